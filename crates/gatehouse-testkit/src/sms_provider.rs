//! [`SmsProvider`]: an HTTP server on loopback playing a Twilio-style SMS API. It records
//! every request (path, Basic credentials, form fields) and answers from an
//! [`SmsScript`]: say, two 503s and then 201 Created with a sid and a price.

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine;
use serde_json::json;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;

/// One answer the provider gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsReply {
    /// 201 with the message resource: a fresh sid `SM<32 hex>`, this status and price.
    Created {
        status: String,
        price: Option<String>,
        price_unit: String,
    },
    /// An error status with Twilio's error body `{code, message, more_info, status}`.
    Error {
        status: u16,
        code: i64,
        message: String,
    },
    /// A status with a plain-text body, as a load balancer in front of an API sends.
    Plain { status: u16, body: String },
}

impl SmsReply {
    /// 201, status "queued", price "-0.0075" USD.
    pub fn created() -> Self {
        SmsReply::Created {
            status: "queued".to_owned(),
            price: Some("-0.0075".to_owned()),
            price_unit: "USD".to_owned(),
        }
    }

    pub fn error(status: u16, code: i64, message: &str) -> Self {
        SmsReply::Error {
            status,
            code,
            message: message.to_owned(),
        }
    }

    /// `status` with its reason phrase as a plain-text body.
    pub fn plain(status: u16) -> Self {
        let reason = StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error");
        SmsReply::Plain {
            status,
            body: reason.to_owned(),
        }
    }
}

/// The answers in order: `first` one per request, then `then` for every request after.
#[derive(Debug, Clone)]
pub struct SmsScript {
    first: VecDeque<SmsReply>,
    then: SmsReply,
}

impl SmsScript {
    pub fn new(first: Vec<SmsReply>, then: SmsReply) -> Self {
        Self {
            first: first.into(),
            then,
        }
    }

    /// Every request gets [`SmsReply::created`].
    pub fn accepting() -> Self {
        Self::always(SmsReply::created())
    }

    pub fn always(reply: SmsReply) -> Self {
        Self::new(Vec::new(), reply)
    }

    /// The first `n` requests get a plain `status` (e.g. 503), the rest are created.
    pub fn failing_first(n: usize, status: u16) -> Self {
        Self::new(vec![SmsReply::plain(status); n], SmsReply::created())
    }

    fn next(&mut self) -> SmsReply {
        self.first.pop_front().unwrap_or_else(|| self.then.clone())
    }
}

/// One request the provider received, and what it answered.
#[derive(Debug, Clone)]
pub struct SmsRequest {
    pub method: String,
    pub path: String,
    /// The Basic credentials, if the request had any.
    pub basic_user: Option<String>,
    pub basic_password: Option<String>,
    pub content_type: Option<String>,
    /// The form fields in order.
    pub form: Vec<(String, String)>,
    /// The status it answered with, and the sid it made (for a `Created` answer).
    pub answered: u16,
    pub sid: Option<String>,
}

impl SmsRequest {
    /// The first form field called `name` (exact case, as Twilio's are).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

struct ProviderState {
    script: Mutex<SmsScript>,
    requests: Mutex<Vec<SmsRequest>>,
}

/// The running server; stops accepting when dropped.
pub struct SmsProvider {
    addr: SocketAddr,
    state: Arc<ProviderState>,
    server: JoinHandle<()>,
}

impl SmsProvider {
    /// Listen on a free port of 127.0.0.1 and answer every request (any path) per `script`.
    pub async fn start(script: SmsScript) -> SmsProvider {
        let state = Arc::new(ProviderState {
            script: Mutex::new(script),
            requests: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .fallback(answer)
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("SMS provider bind");
        let addr = listener.local_addr().expect("SMS provider address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        SmsProvider {
            addr,
            state,
            server,
        }
    }

    /// The base URL for gatehouse's SMS provider setting.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<SmsRequest> {
        self.state.requests.lock().expect("requests").clone()
    }
}

impl Drop for SmsProvider {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn answer(
    axum::extract::State(state): axum::extract::State<Arc<ProviderState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let reply = state.script.lock().expect("script").next();
    let (basic_user, basic_password) = basic_credentials(&headers);
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let field = |name: &str| {
        form.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (status, sid, response) = match &reply {
        SmsReply::Created {
            status,
            price,
            price_unit,
        } => {
            let sid = format!("SM{}", uuid::Uuid::now_v7().simple());
            let account = basic_user.clone().unwrap_or_default();
            let body = json!({
                "sid": sid,
                "account_sid": account,
                "to": field("To"),
                "from": field("From"),
                "body": field("Body"),
                "status": status,
                "num_segments": "1",
                "price": price,
                "price_unit": price_unit,
                "error_code": null,
                "error_message": null,
                "uri": format!("/2010-04-01/Accounts/{account}/Messages/{sid}.json"),
            });
            let response = (StatusCode::CREATED, axum::Json(body)).into_response();
            (201, Some(sid), response)
        }
        SmsReply::Error {
            status,
            code,
            message,
        } => {
            let body = json!({
                "code": code,
                "message": message,
                "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
                "status": status,
            });
            (
                *status,
                None,
                (code_of(*status), axum::Json(body)).into_response(),
            )
        }
        SmsReply::Plain { status, body } => (
            *status,
            None,
            (code_of(*status), body.clone()).into_response(),
        ),
    };
    state.requests.lock().expect("requests").push(SmsRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        basic_user,
        basic_password,
        content_type: headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        form,
        answered: status,
        sid,
    });
    response
}

fn code_of(status: u16) -> StatusCode {
    StatusCode::from_u16(status).expect("a scripted HTTP status")
}

/// `Authorization: Basic base64(user:password)`, split.
fn basic_credentials(headers: &HeaderMap) -> (Option<String>, Option<String>) {
    let decoded = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok());
    match decoded.as_deref().and_then(|s| s.split_once(':')) {
        Some((user, password)) => (Some(user.to_owned()), Some(password.to_owned())),
        None => (None, None),
    }
}

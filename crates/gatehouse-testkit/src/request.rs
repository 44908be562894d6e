//! Requests through a [`TestApp`]'s router (no socket: `tower::ServiceExt::oneshot`) and
//! the decoded answers, [`Resp`] and [`Tokens`]. Every answer is checked against the served
//! OpenAPI document first ([`crate::contract`]): one it does not allow fails the test.

use crate::contract::Contract;
use crate::TestApp;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use std::net::SocketAddr;
use tower::ServiceExt;

/// A browser's user agent, so device parsing has something to parse.
const USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";

/// A request body that sends `start` and then nothing more, without ending: a client that
/// stalls mid-body. (The sender is kept open for a minute, far past any read timeout.)
pub fn stalled_body(start: &'static str) -> Body {
    let (mut sender, body) = http_body_util::channel::Channel::<Bytes>::new(1);
    tokio::spawn(async move {
        if sender
            .send_data(Bytes::from_static(start.as_bytes()))
            .await
            .is_ok()
        {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
        drop(sender);
    });
    Body::new(body)
}

/// A response, decoded.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The body as JSON (`Null` when it is not JSON).
    pub body: Value,
    pub text: String,
}

impl Resp {
    /// The problem `code` (for problem+json answers).
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    pub fn is_problem(&self) -> bool {
        self.headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v == "application/problem+json")
    }
}

/// Tokens from a login or refresh answer.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub session_id: String,
}

impl From<&Resp> for Tokens {
    fn from(r: &Resp) -> Self {
        let field = |name: &str| {
            r.body[name]
                .as_str()
                .unwrap_or_else(|| panic!("{name} missing from {}", r.text))
                .to_owned()
        };
        Tokens {
            access: field("access_token"),
            refresh: field("refresh_token"),
            session_id: field("session_id"),
        }
    }
}

impl TestApp {
    /// Send one request from [`TestApp::ip`], check the answer against the OpenAPI document
    /// (panicking, with the operation, status and what is wrong, if it does not allow it)
    /// and decode it.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Body>,
        content_type: Option<&str>,
    ) -> Resp {
        self.request_as(USER_AGENT, method, path, token, body, content_type)
            .await
    }

    /// [`TestApp::request`] with the given `User-Agent`.
    pub async fn request_as(
        &self,
        user_agent: &str,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Body>,
        content_type: Option<&str>,
    ) -> Resp {
        self.request_with(user_agent, &[], method, path, token, body, content_type)
            .await
    }

    /// POST a JSON text with extra headers (a signed webhook, say).
    pub async fn post_with_headers(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Resp {
        self.request_with(
            USER_AGENT,
            headers,
            Method::POST,
            path,
            None,
            Some(Body::from(body.to_owned())),
            Some("application/json"),
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn request_with(
        &self,
        user_agent: &str,
        headers: &[(&str, &str)],
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Body>,
        content_type: Option<&str>,
    ) -> Resp {
        let mut builder = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(header::USER_AGENT, user_agent);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        if let Some(t) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if let Some(ct) = content_type {
            builder = builder.header(header::CONTENT_TYPE, ct);
        }
        let mut request = builder
            .body(body.unwrap_or_else(Body::empty))
            .expect("request");
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(self.ip, 40000)));
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().expect("content type is text"));
        if let Err(violation) =
            Contract::served(&self.router)
                .await
                .check(&method, path, status, content_type, &bytes)
        {
            panic!("contract: {violation}");
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn post(&self, path: &str, body: Value, token: Option<&str>) -> Resp {
        self.request(
            Method::POST,
            path,
            token,
            Some(Body::from(body.to_string())),
            Some("application/json"),
        )
        .await
    }

    pub async fn patch(&self, path: &str, body: Value, token: &str) -> Resp {
        self.request(
            Method::PATCH,
            path,
            Some(token),
            Some(Body::from(body.to_string())),
            Some("application/json"),
        )
        .await
    }

    pub async fn put(&self, path: &str, body: Value, token: &str) -> Resp {
        self.request(
            Method::PUT,
            path,
            Some(token),
            Some(Body::from(body.to_string())),
            Some("application/json"),
        )
        .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.request(Method::GET, path, token, None, None).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.request(Method::DELETE, path, Some(token), None, None)
            .await
    }
}

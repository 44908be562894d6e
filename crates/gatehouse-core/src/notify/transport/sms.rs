//! SMS through a Twilio-style REST API: `POST {base}/2010-04-01/Accounts/{sid}/Messages.json`
//! with HTTP Basic `sid:token` and the form fields To, From, Body and StatusCallback. The
//! base URL is a setting, so tests point it at a local stand-in.

use super::{error_chain, redact, Accepted, SendError, SmsCost, SmsMessage, TransportConfigError};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Bound on one request, answer included: a provider that hangs is retried later.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Sends SMS through one provider account; clones share the HTTP connection pool.
#[derive(Clone)]
pub struct TwilioTransport {
    client: reqwest::Client,
    messages_url: String,
    account_sid: String,
    auth_token: Arc<SecretString>,
    from_number: String,
    status_callback: Option<String>,
}

impl fmt::Debug for TwilioTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioTransport")
            .field("messages_url", &self.messages_url)
            .field("from_number", &self.from_number)
            .field("status_callback", &self.status_callback)
            .finish_non_exhaustive()
    }
}

impl TwilioTransport {
    /// `base_url` is `https://api.twilio.com` in production; `from_number` is an E.164
    /// number (or whatever sender the provider accepts in `From`); `status_callback` is
    /// the URL the provider reports delivery to.
    pub fn new(
        base_url: &str,
        account_sid: &str,
        auth_token: SecretString,
        from_number: &str,
        status_callback: Option<String>,
    ) -> Result<Self, TransportConfigError> {
        let invalid = |why: &str| TransportConfigError::Sms(why.to_owned());
        let base = url::Url::parse(base_url).map_err(|e| invalid(&format!("base URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.query().is_some() {
            return Err(invalid("the base URL is an http(s) URL without a query"));
        }
        // The sid becomes a path segment: nothing but letters and digits may pass.
        if account_sid.is_empty() || !account_sid.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(invalid("the account sid is letters and digits (e.g. AC…)"));
        }
        if from_number.trim().is_empty() {
            return Err(invalid("no sender number"));
        }
        if base.scheme() == "http" && !base.host_str().is_some_and(is_loopback_host) {
            tracing::warn!(
                base_url = %base,
                "SMS provider over plain HTTP to a host that is not loopback: the auth token \
                 and the messages cross the network in the clear"
            );
        }
        let client = reqwest::Client::builder()
            // rustls with ring and the webpki roots (the crate features): no system
            // certificate store needed, no OpenSSL.
            .use_rustls_tls()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            // A POST with credentials goes where it is configured to go, nowhere else.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gatehouse/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| invalid(&format!("HTTP client: {e}")))?;
        Ok(Self {
            client,
            messages_url: format!(
                "{}/2010-04-01/Accounts/{account_sid}/Messages.json",
                base.as_str().trim_end_matches('/')
            ),
            account_sid: account_sid.to_owned(),
            auth_token: Arc::new(auth_token),
            from_number: from_number.to_owned(),
            status_callback,
        })
    }

    /// Ask the provider to send `message`. `provider_message_id` is the provider's sid.
    pub async fn send(&self, message: &SmsMessage) -> Result<Accepted, SendError> {
        let mut form = vec![
            ("To", message.to.as_str()),
            ("From", self.from_number.as_str()),
            ("Body", message.body.as_str()),
        ];
        if let Some(callback) = &self.status_callback {
            form.push(("StatusCallback", callback.as_str()));
        }
        let secrets = [message.body.as_str(), self.auth_token.expose_secret()];
        let response = self
            .client
            .post(&self.messages_url)
            .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
            .form(&form)
            .send()
            .await
            .map_err(|e| request_failed(e, &secrets))?;
        let status = response.status();
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(e) => {
                tracing::warn!(%status, error = %redact(error_chain(&e.without_url()), &secrets),
                    "SMS provider's answer was cut short");
                Default::default()
            }
        };
        if status.is_success() {
            accepted(&body, &secrets)
        } else {
            Err(refused(status, &body, &secrets))
        }
    }
}

/// The provider's message resource (the fields gatehouse reads).
#[derive(Deserialize)]
struct MessageResource {
    sid: Option<String>,
    status: Option<String>,
    price: Option<serde_json::Value>,
    price_unit: Option<String>,
    error_code: Option<serde_json::Value>,
    error_message: Option<String>,
}

/// The provider's error body: `{"code": 21211, "message": "…", "status": 400}`.
#[derive(Deserialize)]
struct ApiError {
    code: Option<serde_json::Value>,
    message: Option<String>,
}

/// A 2xx answer. The message exists at the provider now, so even an answer that cannot
/// be read counts as sent: retrying would text the person twice.
fn accepted(body: &[u8], secrets: &[&str]) -> Result<Accepted, SendError> {
    let resource: MessageResource = match serde_json::from_slice(body) {
        Ok(resource) => resource,
        Err(e) => {
            tracing::warn!(error = %e, "SMS provider accepted the message with an unreadable answer");
            return Ok(Accepted {
                provider: "twilio",
                provider_message_id: None,
                cost: None,
            });
        }
    };
    if let Some(status @ ("failed" | "undelivered")) = resource.status.as_deref() {
        let why = resource
            .error_message
            .as_deref()
            .unwrap_or("no reason given");
        return Err(SendError::permanent(
            redact(format!("SMS provider: message {status}: {why}"), secrets),
            resource.error_code.as_ref().and_then(code_text),
        ));
    }
    let cost = resource
        .price
        .as_ref()
        .and_then(code_text)
        .and_then(|price| parse_price_micros(&price))
        .zip(resource.price_unit.as_deref().and_then(currency))
        .map(|(micros, currency)| SmsCost { micros, currency });
    Ok(Accepted {
        provider: "twilio",
        provider_message_id: resource.sid,
        cost,
    })
}

/// A non-2xx answer: 429 and 5xx may pass later; any other 4xx (a bad number, bad
/// credentials, an unknown account) will not.
fn refused(status: StatusCode, body: &[u8], secrets: &[&str]) -> SendError {
    let error: Option<ApiError> = serde_json::from_slice(body).ok();
    let code = error
        .as_ref()
        .and_then(|e| e.code.as_ref())
        .and_then(code_text);
    let detail = error
        .and_then(|e| e.message)
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("no reason").to_owned());
    let message = redact(
        format!("SMS provider: HTTP {}: {detail}", status.as_u16()),
        secrets,
    );
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        SendError::transient(message, code)
    } else {
        SendError::permanent(message, code)
    }
}

/// No answer at all: refused or dropped connections and timeouts are worth a retry; a
/// request that could not even be built is not.
fn request_failed(error: reqwest::Error, secrets: &[&str]) -> SendError {
    let is_builder = error.is_builder();
    // The URL carries the account sid only, but the error says enough without it.
    let text = redact(
        format!("SMS provider: {}", error_chain(&error.without_url())),
        secrets,
    );
    if is_builder {
        SendError::permanent(text, None)
    } else {
        SendError::transient(text, None)
    }
}

/// A code or price as text, whether the provider sent a number or a string.
fn code_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An ISO 4217 code, upper-cased (`"usd"` is `"USD"`).
fn currency(unit: &str) -> Option<String> {
    (unit.len() == 3 && unit.chars().all(|c| c.is_ascii_alphabetic()))
        .then(|| unit.to_ascii_uppercase())
}

/// A decimal price in millionths, as a magnitude: Twilio states charges as negative
/// amounts (`"-0.0075"` is 7500). Exact decimal arithmetic, no floats; digits past the
/// sixth decimal round half up.
fn parse_price_micros(price: &str) -> Option<i64> {
    let trimmed = price.trim();
    let unsigned = trimmed.strip_prefix(['-', '+']).unwrap_or(trimmed);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.len() + fraction.len() == 0 || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut micros = whole.checked_mul(1_000_000)?;
    let mut place = 100_000;
    for digit in fraction.bytes().take(6) {
        micros = micros.checked_add(i64::from(digit - b'0') * place)?;
        place /= 10;
    }
    if fraction.as_bytes().get(6).is_some_and(|d| *d >= b'5') {
        micros = micros.checked_add(1)?;
    }
    Some(micros)
}

fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_become_positive_micros() {
        for (price, micros) in [
            ("-0.0075", 7500),
            ("0.0075", 7500),
            ("-0.00750", 7500),
            ("-1.5", 1_500_000),
            ("2", 2_000_000),
            ("-.25", 250_000),
            ("0.00", 0),
            ("-0.0000004", 0),
            ("-0.0000005", 1),
            ("-0.1234567", 123_457),
        ] {
            assert_eq!(parse_price_micros(price), Some(micros), "{price}");
        }
    }

    #[test]
    fn prices_that_are_not_decimals_are_refused() {
        for price in [
            "",
            "-",
            ".",
            "--5",
            "abc",
            "1e-3",
            "0.0075 USD",
            "1.2.3",
            "99999999999999999",
        ] {
            assert_eq!(parse_price_micros(price), None, "{price}");
        }
    }

    #[test]
    fn a_2xx_answer_gives_sid_and_cost() {
        let body = br#"{"sid":"SM0123","status":"queued","price":"-0.0075","price_unit":"usd",
                         "error_code":null,"error_message":null}"#;
        let sent = accepted(body, &[]).expect("accepted");
        assert_eq!(sent.provider_message_id.as_deref(), Some("SM0123"));
        assert_eq!(
            sent.cost,
            Some(SmsCost {
                micros: 7500,
                currency: "USD".to_owned()
            })
        );
        // Twilio often prices a message only later: no price, no cost.
        let unpriced = accepted(br#"{"sid":"SM1","status":"queued","price":null}"#, &[]);
        assert_eq!(unpriced.expect("accepted").cost, None);
    }

    #[test]
    fn a_2xx_answer_saying_failed_is_permanent() {
        let body = br#"{"sid":"SM1","status":"failed","error_code":30006,
                         "error_message":"Landline or unreachable carrier"}"#;
        let error = accepted(body, &[]).expect_err("failed");
        assert!(!error.is_transient());
        assert_eq!(error.code(), Some("30006"));
    }

    #[test]
    fn refusals_echoing_the_body_or_token_are_redacted() {
        let body = br#"{"code":21610,"message":"Attempt to send 'Code 771205' with tok-secret"}"#;
        let error = refused(
            StatusCode::BAD_REQUEST,
            body,
            &["Code 771205", "tok-secret"],
        );
        assert!(!error.message().contains("771205"), "{error}");
        assert!(!error.message().contains("tok-secret"), "{error}");
        assert_eq!(error.code(), Some("21610"));
    }

    #[test]
    fn status_decides_transient_or_permanent() {
        let html = b"<html>Bad Gateway</html>";
        assert!(refused(StatusCode::BAD_GATEWAY, html, &[]).is_transient());
        assert!(refused(StatusCode::TOO_MANY_REQUESTS, b"", &[]).is_transient());
        assert!(!refused(StatusCode::UNAUTHORIZED, b"", &[]).is_transient());
        assert!(!refused(StatusCode::NOT_FOUND, b"", &[]).is_transient());
    }

    #[test]
    fn settings_that_cannot_work_are_refused() {
        let token = || SecretString::from("token");
        let refused = |base: &str, sid: &str, from: &str| {
            TwilioTransport::new(base, sid, token(), from, None).is_err()
        };
        assert!(refused("ftp://api.example.com", "AC1", "+15005550006"));
        assert!(refused("not a url", "AC1", "+15005550006"));
        assert!(refused(
            "https://api.example.com",
            "AC1/../x",
            "+15005550006"
        ));
        assert!(refused("https://api.example.com", "", "+15005550006"));
        assert!(refused("https://api.example.com", "AC1", " "));
        let ok = TwilioTransport::new("https://api.example.com/", "AC1", token(), "+1500", None)
            .expect("valid settings");
        assert_eq!(
            ok.messages_url,
            "https://api.example.com/2010-04-01/Accounts/AC1/Messages.json"
        );
    }
}

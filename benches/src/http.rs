//! The HTTP side of the load generator: one keep-alive reqwest client (HTTP/1.1, loopback, no
//! proxy) and small helpers that turn a response into success or a short error description.

use std::time::Duration;

use reqwest::{Client, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A client whose idle pool can hold one connection per worker, so every worker keeps its
/// connection alive for the whole phase.
pub fn client(concurrency: usize) -> anyhow::Result<Client> {
    Ok(Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(concurrency.max(1) * 2)
        .pool_idle_timeout(Duration::from_secs(90))
        .timeout(Duration::from_secs(60))
        .build()?)
}

/// A short client for readiness polls: a refused connection must fail fast, not retry.
pub fn probe_client() -> anyhow::Result<Client> {
    Ok(Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(1))
        .pool_max_idle_per_host(0)
        .build()?)
}

/// `GET url` (optionally with a bearer token) answered 2xx; the body is read and dropped.
pub async fn get_ok(client: &Client, url: &str, bearer: Option<&str>) -> Result<(), String> {
    let mut request = client.get(url);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.map_err(describe_transport)?;
    read_ok(response).await.map(drop)
}

/// `POST url` with a JSON body answered 2xx; the body is parsed as `T`.
pub async fn post_json<B: Serialize, T: DeserializeOwned>(
    client: &Client,
    url: &str,
    body: &B,
) -> Result<T, String> {
    let response = client
        .post(url)
        .json(body)
        .send()
        .await
        .map_err(describe_transport)?;
    let bytes = read_ok(response).await?;
    serde_json::from_slice(&bytes).map_err(|error| format!("unexpected body ({error})"))
}

/// `POST url` with a JSON body answered with exactly `expected`; the body is dropped.
pub async fn post_expect<B: Serialize>(
    client: &Client,
    url: &str,
    body: &B,
    expected: reqwest::StatusCode,
) -> Result<(), String> {
    let response = client
        .post(url)
        .json(body)
        .send()
        .await
        .map_err(describe_transport)?;
    let status = response.status();
    if status == expected {
        response.bytes().await.map_err(describe_transport)?;
        Ok(())
    } else {
        let body = response.text().await.unwrap_or_default();
        Err(describe_status(status, &body))
    }
}

async fn read_ok(response: Response) -> Result<bytes::Bytes, String> {
    let status = response.status();
    if status.is_success() {
        response.bytes().await.map_err(describe_transport)
    } else {
        let body = response.text().await.unwrap_or_default();
        Err(describe_status(status, &body))
    }
}

fn describe_status(status: reqwest::StatusCode, body: &str) -> String {
    let snippet: String = body.chars().take(200).collect();
    format!("HTTP {status}: {snippet}")
}

fn describe_transport(error: reqwest::Error) -> String {
    // Timeouts and refused connections are kept apart so the report says which one it was.
    if error.is_timeout() {
        "timeout".to_owned()
    } else if error.is_connect() {
        "connect error".to_owned()
    } else {
        format!("transport error: {error}")
    }
}

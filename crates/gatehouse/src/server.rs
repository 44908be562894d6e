//! The HTTP/1.1 server loop: accept, serve each connection with hyper, stop gracefully.
//! `axum::serve` cannot bound the time a client takes to send its headers, so a client
//! that sent half a request held its connection (and a task) for as long as it liked;
//! here hyper's `header_read_timeout` closes such a connection, and an idle keep-alive
//! one, after `http.header_read_timeout_secs`. With a TLS acceptor each connection is a
//! TLS handshake first (bounded by the same timeout), then the same HTTP/1.1.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// Serve `app` on `listener` (over TLS when `tls` is given) until `shutdown` completes;
/// then stop accepting, let requests in flight finish (each is bounded by the request
/// timeout) and return.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        // What the `Client` extractor reads the peer address from.
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
            app.clone().oneshot(request)
        });
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            // A client that hangs up, sends garbage or runs out of time ends here; that is
            // the client's business, not an error of the server.
            let ended = match tls {
                None => {
                    let io = TokioIo::new(stream);
                    watcher.watch(builder.serve_connection(io, service)).await
                }
                Some(tls) => {
                    // A client that never finishes its handshake is one that never sends
                    // its headers: the same limit closes it.
                    let stream =
                        match tokio::time::timeout(header_read_timeout, tls.accept(stream)).await {
                            Ok(Ok(stream)) => stream,
                            Ok(Err(e)) => {
                                tracing::debug!(error = %e, "TLS handshake failed");
                                return;
                            }
                            Err(_) => {
                                tracing::debug!("TLS handshake timed out");
                                return;
                            }
                        };
                    let io = TokioIo::new(stream);
                    watcher.watch(builder.serve_connection(io, service)).await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(error = %e, "connection ended");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// SIGTERM or Ctrl-C: what stops `serve` and `worker`.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

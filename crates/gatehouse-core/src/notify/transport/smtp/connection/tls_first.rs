//! Implicit TLS (`smtps://`, RFC 8314 3.3): the relay speaks TLS from the first byte, so
//! the handshake comes before lettre reads the greeting.
//!
//! Built so because lettre offers no other way onto an existing socket: its only
//! constructor that takes a stream, `AsyncSmtpConnection::connect_with_transport`, reads
//! the greeting at once in plaintext. So the TLS layer is made with lettre's own
//! `AsyncNetworkStream::upgrade_tls` (the same rustls setup STARTTLS uses, checks
//! included) and handed back to `connect_with_transport` through [`TlsFirst`], which
//! turns that stream's `futures-io` traits into Tokio's. `AsyncNetworkStream` is marked
//! deprecated in lettre 0.11 ("not meant to be made public") but is public and works; the
//! alternative, a second rustls configuration here, could drift from lettre's.

// The one use of lettre's deprecated `AsyncNetworkStream`; see the module docs.
#![allow(deprecated)]

use futures_io::{AsyncRead as FuturesRead, AsyncWrite as FuturesWrite};
use lettre::transport::smtp::client::{AsyncNetworkStream, AsyncTokioStream, TlsParameters};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// `tcp` after a TLS handshake for the relay `tls` names.
pub(super) async fn wrap(
    tcp: TcpStream,
    tls: &TlsParameters,
) -> Result<TlsFirst, lettre::transport::smtp::Error> {
    let mut stream = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
    stream.upgrade_tls(tls.clone()).await?;
    Ok(TlsFirst(stream))
}

/// A TLS stream lettre made, seen through Tokio's IO traits.
#[derive(Debug)]
pub(super) struct TlsFirst(AsyncNetworkStream);

impl AsyncTokioStream for TlsFirst {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }
}

impl AsyncRead for TlsFirst {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let unfilled = buf.initialize_unfilled();
        match Pin::new(&mut self.0).poll_read(cx, unfilled) {
            Poll::Ready(Ok(read)) => {
                buf.advance(read);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for TlsFirst {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}

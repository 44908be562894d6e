//! [`TcpProxy`]: a TCP hop between gatehouse and PostgreSQL that a test can break, to
//! play a database outage without touching the shared server. [`TcpProxy::cut`] is a
//! server gone (connections reset, new ones refused), [`TcpProxy::black_hole`] a network
//! gone silent (connections stay open but nothing passes, new ones are never answered),
//! [`TcpProxy::refuse_new`] a server shutting down (no new connections; the open ones
//! carry on until the server ends them), [`TcpProxy::restore`] brings it back on the same
//! port.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;

/// What the proxy does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Forward,
    Cut,
    BlackHole,
    Refuse,
}

/// A proxy on `127.0.0.1:<port>` forwarding to one upstream address; stops when dropped.
pub struct TcpProxy {
    addr: SocketAddr,
    commands: mpsc::Sender<(Mode, oneshot::Sender<()>)>,
}

impl TcpProxy {
    /// Listen on a free local port and forward every connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> TcpProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy bind");
        let addr = listener.local_addr().expect("proxy address");
        let (commands, rx) = mpsc::channel(4);
        tokio::spawn(run(listener, addr, upstream, rx));
        TcpProxy { addr, commands }
    }

    /// A proxy in front of the PostgreSQL server of `url`, and `url` rewritten to go
    /// through it.
    pub async fn for_postgres_url(url: &str) -> (TcpProxy, String) {
        let (prefix, host_port, rest) = split_url(url);
        let upstream = tokio::net::lookup_host(&host_port)
            .await
            .expect("resolve the PostgreSQL host")
            .next()
            .expect("an address for the PostgreSQL host");
        let proxy = TcpProxy::start(upstream).await;
        let through = format!("{prefix}{}{rest}", proxy.addr);
        (proxy, through)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server is gone: reset every open connection and refuse new ones (the listening
    /// socket is closed). Returns once that is so.
    pub async fn cut(&self) {
        self.set(Mode::Cut).await;
    }

    /// The network is silent: open connections stay open but nothing passes either way, and
    /// new connections complete the TCP handshake but are never served (they queue in the
    /// listen backlog). Returns once no byte passes any more.
    pub async fn black_hole(&self) {
        self.set(Mode::BlackHole).await;
    }

    /// New connections are refused (the listening socket is closed); open ones carry on.
    pub async fn refuse_new(&self) {
        self.set(Mode::Refuse).await;
    }

    /// Forward again, on the same port. Connections held by a black hole are reset (as
    /// they would be by a server that forgot them).
    pub async fn restore(&self) {
        self.set(Mode::Forward).await;
    }

    async fn set(&self, mode: Mode) {
        let (done, applied) = oneshot::channel();
        self.commands
            .send((mode, done))
            .await
            .expect("proxy running");
        applied.await.expect("proxy applied the change");
    }
}

/// `postgres://user@host:port/db?x` as (`postgres://user@`, `host:port`, `/db?x`); the
/// port defaults to 5432.
fn split_url(url: &str) -> (String, String, String) {
    let (scheme, after) = url.split_once("://").expect("a URL with a scheme");
    let end = after.find(['/', '?']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    let (user, host_port) = match authority.rsplit_once('@') {
        Some((user, host)) => (format!("{user}@"), host),
        None => (String::new(), authority),
    };
    let host_port = if host_port.rsplit_once(':').is_some() && !host_port.ends_with(']') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    };
    (format!("{scheme}://{user}"), host_port, rest.to_owned())
}

/// The proxy's one task: accepts while forwarding, and applies mode changes in order.
async fn run(
    listener: TcpListener,
    addr: SocketAddr,
    upstream: SocketAddr,
    mut commands: mpsc::Receiver<(Mode, oneshot::Sender<()>)>,
) {
    let mut listener = Some(listener);
    let mut mode = Mode::Forward;
    let mut connections = JoinSet::new();
    let (mut stop, mut stopped) = watch::channel(false);
    // Client sockets taken back from their connections while the black hole lasts.
    let mut held: Vec<TcpStream> = Vec::new();
    loop {
        let event = {
            let accepting = listener.as_ref().filter(|_| mode == Mode::Forward);
            tokio::select! {
                command = commands.recv() => Event::Command(command),
                accepted = accept(accepting) => Event::Accepted(accepted),
            }
        };
        match event {
            // The proxy was dropped: everything closes with this task.
            Event::Command(None) => return,
            Event::Command(Some((next, done))) => {
                if matches!(next, Mode::Cut | Mode::BlackHole) {
                    // Stop every forwarding connection and take its client socket back.
                    let _ = stop.send(true);
                    while let Some(joined) = connections.join_next().await {
                        if let Ok(Some(client)) = joined {
                            held.push(client);
                        }
                    }
                    (stop, stopped) = watch::channel(false);
                }
                match next {
                    Mode::Forward => {
                        held.clear();
                        if listener.is_none() {
                            listener = Some(rebind(addr).await);
                        }
                    }
                    Mode::Cut => {
                        held.clear();
                        listener = None;
                    }
                    Mode::Refuse => listener = None,
                    Mode::BlackHole => {}
                }
                mode = next;
                let _ = done.send(());
            }
            Event::Accepted(Ok((client, _))) => {
                // Dropping a socket then resets the connection instead of closing it
                // politely, as a vanished server or network would.
                let _ = client.set_zero_linger();
                connections.spawn(forward(client, upstream, stopped.clone()));
            }
            Event::Accepted(Err(_)) => {}
        }
    }
}

enum Event {
    Command(Option<(Mode, oneshot::Sender<()>)>),
    Accepted(io::Result<(TcpStream, SocketAddr)>),
}

async fn accept(listener: Option<&TcpListener>) -> io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(listener) => listener.accept().await,
        None => std::future::pending().await,
    }
}

/// Bind the proxy's port again (it was closed by a cut).
async fn rebind(addr: SocketAddr) -> TcpListener {
    for _ in 0..50 {
        match TcpListener::bind(addr).await {
            Ok(listener) => return listener,
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("proxy rebind {addr}: {e}"),
        }
    }
    panic!("proxy rebind {addr}: the port stayed in use")
}

/// Copy both ways until either side closes or the proxy says stop; then hand the client
/// socket back (for a black hole to hold) — the upstream one is closed.
async fn forward(
    mut client: TcpStream,
    upstream: SocketAddr,
    mut stop: watch::Receiver<bool>,
) -> Option<TcpStream> {
    let mut server = tokio::select! {
        server = TcpStream::connect(upstream) => server.ok()?,
        () = stopped(&mut stop) => return Some(client),
    };
    let _ = server.set_nodelay(true);
    let _ = client.set_nodelay(true);
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {
            let _ = client.shutdown().await;
            None
        }
        () = stopped(&mut stop) => Some(client),
    }
}

/// Wait until the proxy says stop (or is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not `Send`: drop it here, not across an await.
    let _ = stop.wait_for(|s| *s).await.is_ok();
}

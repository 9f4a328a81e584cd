//! Knowing when a client has gone, so that its upstream call stops.
//!
//! actix-web drops a handler only when it next writes to a closed
//! connection (actix/actix-web#1313), so a request still waiting for its
//! answer's head would keep its upstream call running after the client gave
//! up. At connect time, [`remember`] keeps a duplicate of the socket's file
//! descriptor; [`gone`] waits on it (reading nothing: it only peeks) until
//! the client closes its side.

use actix_web::HttpRequest;
use actix_web::dev::Extensions;
use std::any::Any;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;

/// A duplicate of a connection's socket.
#[derive(Clone)]
struct Peer(Arc<OwnedFd>);

/// `on_connect`: keeps a duplicate of the socket, plain or TLS, and turns
/// Nagle's algorithm off on it. An answer's last bytes go out on their own
/// once the journal holds it (see `messages::Relay`); with Nagle on, that
/// small write would wait for the client's delayed ACK (~40 ms).
pub(crate) fn remember(conn: &dyn Any, ext: &mut Extensions) {
    let tcp = if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
        tcp
    } else if let Some(tls) =
        conn.downcast_ref::<actix_tls::accept::rustls_0_23::TlsStream<actix_web::rt::net::TcpStream>>()
    {
        tls.get_ref().0
    } else {
        return;
    };
    let _ = tcp.set_nodelay(true);
    let fd = tcp.as_fd().try_clone_to_owned();
    if let Ok(fd) = fd {
        ext.insert(Peer(Arc::new(fd)));
    }
}

/// Resolves once the client of `req` has closed its connection; never when
/// that cannot be known (no socket kept, or the client sent more bytes).
pub(crate) async fn gone(req: &HttpRequest) {
    let Some(Peer(fd)) = req.conn_data::<Peer>().cloned() else { return std::future::pending().await };
    let Some(sock) = watcher(&fd) else { return std::future::pending().await };
    let mut probe = [0u8; 1];
    loop {
        if sock.readable().await.is_err() {
            return;
        }
        match sock.peek(&mut probe).await {
            Ok(0) => return,
            // More bytes from the client (a pipelined request): it is there.
            Ok(_) => return std::future::pending().await,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return,
        }
    }
}

/// A non-blocking tokio socket over another duplicate of `fd`.
fn watcher(fd: &OwnedFd) -> Option<tokio::net::TcpStream> {
    let std = std::net::TcpStream::from(fd.try_clone().ok()?);
    std.set_nonblocking(true).ok()?;
    tokio::net::TcpStream::from_std(std).ok()
}

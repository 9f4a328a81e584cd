//! The holder's side: a Unix socket in the data dir, one thread per
//! connection (the clients are the user's own commands and windows, a few
//! at a time; the proxy's traffic never comes here).

use crate::wire::{self, PROTOCOL, Reply, Request};
use crate::{ControlError, SOCKET_FILE, SocketState, socket_state};
use lantern_actors::runtime::Client;
use lantern_events::{Envelope, EventLog, ReadError, Recv};
use std::io::{BufReader, BufWriter, Write};
use std::net::Shutdown;
use std::ops::ControlFlow;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often a quiet subscription says it is alive.
const ALIVE_EVERY: Duration = Duration::from_millis(500);

/// The running endpoint. Dropping it stops accepting, ends every
/// connection (so that nothing holds the log past its owner) and removes
/// the socket.
pub struct ControlServer {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    /// The listening socket, to wake the accept loop at the end (even if
    /// the socket file was removed under it).
    listening: UnixListener,
    connections: Connections,
    replaced_stale: bool,
}

/// Open connections: a handle on each socket (to end it) and its thread.
type Connections = Arc<Mutex<Vec<(UnixStream, JoinHandle<()>)>>>;

struct Served {
    log: Arc<EventLog>,
    client: Option<Client>,
}

impl ControlServer {
    /// Serves `log`, and the pipeline of `client` if there is one, on
    /// `dir/control.sock` (mode 0600). A socket left there by a holder that
    /// died is removed first; a live one is an error (two holders of one log
    /// cannot both be running).
    pub fn start(dir: &Path, log: Arc<EventLog>, client: Option<Client>) -> Result<Self, ControlError> {
        let path = dir.join(SOCKET_FILE);
        // Only the log's holder removes a stale socket: holding the log, it
        // knows no other holder is alive.
        let replaced_stale = match socket_state(&path)? {
            SocketState::Absent => false,
            SocketState::Stale => match std::fs::remove_file(&path) {
                Ok(()) => true,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
                Err(e) => return Err(ControlError::io(&path, e)),
            },
            SocketState::Live => return Err(ControlError::AlreadyServed { path }),
        };
        let listener = UnixListener::bind(&path).map_err(|e| ControlError::bind(&path, e))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| ControlError::io(&path, e))?;
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(Served { log, client });
        let listening = listener.try_clone().map_err(|e| ControlError::io(&path, e))?;
        let (flag, connections) = (stop.clone(), Connections::default());
        let open = connections.clone();
        let accept = std::thread::Builder::new()
            .name("lantern-control".into())
            .spawn(move || accept_loop(listener, served, flag, open))
            .map_err(|e| ControlError::io(&path, e))?;
        Ok(ControlServer { path, stop, accept: Some(accept), listening, connections, replaced_stale })
    }

    /// Where the socket is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether it replaced a socket left by a holder that died.
    pub fn replaced_stale(&self) -> bool {
        self.replaced_stale
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop (accept fails on a shut-down listener), which then sees the flag.
        let _ = rustix::net::shutdown(&self.listening, rustix::net::Shutdown::Both);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        let open = std::mem::take(&mut *self.connections.lock().unwrap_or_else(PoisonError::into_inner));
        for (stream, _) in &open {
            let _ = stream.shutdown(Shutdown::Both);
        }
        for (_, thread) in open {
            let _ = thread.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

fn accept_loop(listener: UnixListener, served: Arc<Served>, stop: Arc<AtomicBool>, open: Connections) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let stream = match stream {
            Ok(s) => s,
            Err(_) if stop.load(Ordering::SeqCst) => return,
            Err(e) => {
                tracing::warn!(error = %e, "control endpoint: accept failed");
                continue;
            }
        };
        let handle = match stream.try_clone() {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(error = %e, "control endpoint: cannot keep a handle on a connection");
                continue;
            }
        };
        let served = served.clone();
        let spawned = std::thread::Builder::new().name("lantern-control-conn".into()).spawn(move || {
            if let Err(e) = serve_connection(stream, &served) {
                tracing::debug!(error = %e, "control connection ended");
            }
        });
        match spawned {
            Ok(thread) => {
                let mut open = open.lock().unwrap_or_else(PoisonError::into_inner);
                open.retain(|(_, t)| !t.is_finished());
                open.push((handle, thread));
            }
            Err(e) => tracing::warn!(error = %e, "control endpoint: cannot start a connection thread"),
        }
    }
}

/// Refuses peers running as another user (the socket's mode already keeps
/// them out; this holds even if it was loosened).
fn same_user(stream: &UnixStream) -> Result<(), String> {
    let me = rustix::process::getuid().as_raw();
    match rustix::net::sockopt::socket_peercred(stream) {
        Ok(cred) if cred.uid.as_raw() == me => Ok(()),
        Ok(cred) => Err(format!(
            "this Lantern runs as uid {me} and serves only its own user; uid {} was refused",
            cred.uid.as_raw()
        )),
        Err(e) => Err(format!("cannot read the peer's credentials: {e}")),
    }
}

fn serve_connection(stream: UnixStream, served: &Served) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = BufWriter::new(stream.try_clone()?);
    if let Err(why) = same_user(&stream) {
        return wire::send(&mut writer, &Reply::Failed(why));
    }
    match wire::recv::<Request>(&mut reader)? {
        Some(Request::Hello { protocol }) if protocol == PROTOCOL => {}
        Some(Request::Hello { protocol }) => {
            let why = format!("this Lantern speaks control protocol v{PROTOCOL}, the client v{protocol}");
            wire::send(&mut writer, &Reply::Failed(why))?;
            return Ok(());
        }
        Some(_) => return wire::send(&mut writer, &Reply::Failed("a connection starts with Hello".into())),
        None => return Ok(()),
    }
    let hello = Reply::Hello {
        protocol: PROTOCOL,
        pid: std::process::id(),
        log_path: served.log.path().display().to_string(),
        pipeline: served.client.is_some(),
    };
    wire::send(&mut writer, &hello)?;
    while let Some(request) = wire::recv::<Request>(&mut reader)? {
        if let Request::Follow { from } = request {
            return stream_events(served, from, &mut writer);
        }
        match read(&served.log, request, &mut writer)? {
            None => {}
            Some(op) => {
                let reply = match &served.client {
                    Some(client) => self::op(client, op),
                    None => failed("this Lantern holds the log but runs no pipeline"),
                };
                wire::queue(&mut writer, &reply)?;
            }
        }
        writer.flush()?;
    }
    Ok(())
}

fn failed(e: impl std::fmt::Display) -> Reply {
    Reply::Failed(e.to_string())
}

/// Answers a read into `w` (events one frame each, then `End`); any other
/// request is handed back.
fn read(log: &EventLog, request: Request, w: &mut impl Write) -> std::io::Result<Option<Request>> {
    let reply = match request {
        Request::Hello { .. } => failed("Hello was already said"),
        Request::Follow { .. } => failed("Follow is answered by a stream"),
        Request::LastSeq => log.last_seq().map_or_else(failed, Reply::Seq),
        Request::Range { from, to, max } => {
            let (mut sent, mut io) = (0u32, Ok(()));
            let read = log.visit_range(from..=to, |e| {
                io = wire::queue(w, &Reply::Event(Box::new(e)));
                sent += 1;
                if io.is_err() || sent >= max { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
            });
            io?;
            Reply::End(read.err().map(|e| e.to_string()))
        }
        Request::Session(s) => events(log.read_session(s), w)?,
        Request::Chain(r) => events(log.read_request(r), w)?,
        Request::Sessions => log.sessions().map_or_else(failed, Reply::Sessions),
        Request::Summary(s) => log.session_summary(s).map_or_else(failed, Reply::Summary),
        Request::Damage => Reply::Damage(log.damage()),
        other => return Ok(Some(other)),
    };
    wire::queue(w, &reply)?;
    Ok(None)
}

/// Writes `read`'s events one frame each; returns the closing `End`.
fn events(read: Result<Vec<Envelope>, ReadError>, w: &mut impl Write) -> std::io::Result<Reply> {
    match read {
        Ok(events) => {
            for e in events {
                wire::queue(w, &Reply::Event(Box::new(e)))?;
            }
            Ok(Reply::End(None))
        }
        Err(e) => Ok(Reply::End(Some(e.to_string()))),
    }
}

/// Hands an op to the pipeline; its effects follow in the journal.
fn op(client: &Client, request: Request) -> Reply {
    match request {
        Request::CacheStats => Reply::CacheStats(client.cache().stats_blocking().map_err(|e| e.to_string())),
        Request::OpenSession { frontend, workspace } => Reply::Session(client.open_session(frontend, workspace)),
        Request::CloseSession { session, reason } => {
            client.close_session(session, reason);
            Reply::Done
        }
        Request::Submit(ask) => {
            client.submit(*ask);
            Reply::Done
        }
        Request::Decide { request, decision } => {
            client.decide(request, decision);
            Reply::Done
        }
        Request::DecideOffer { request, use_cached } => {
            client.decide_offer(request, use_cached);
            Reply::Done
        }
        Request::ActOnSuggestion { offered_seq, index, action, template } => {
            client.act_on_suggestion(offered_seq, index, action, *template);
            Reply::Done
        }
        Request::GiveFeedback { session, response_seq, verdict, entry } => {
            client.give_feedback(session, response_seq, verdict, entry);
            Reply::Done
        }
        other => failed(format!("{other:?} is not an op")),
    }
}

/// The log's own catch-up subscription, written to the socket. A client that
/// reads slowly only slows this thread: the subscription then falls off the
/// live fan-out and catches up from storage, so the writer never waits.
fn stream_events(served: &Served, from: u64, writer: &mut impl std::io::Write) -> std::io::Result<()> {
    let mut sub = served.log.subscribe(from);
    loop {
        let frame = match sub.recv_timeout(ALIVE_EVERY) {
            Ok(Recv::Event(e)) => Reply::Event(Box::new((*e).clone())),
            Ok(Recv::Timeout) => Reply::Alive,
            Ok(Recv::Closed) => {
                wire::send(writer, &Reply::Closed)?;
                return Ok(());
            }
            Err(e) => {
                wire::send(writer, &failed(e))?;
                return Ok(());
            }
        };
        wire::send(writer, &frame)?;
    }
}

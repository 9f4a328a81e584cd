//! The client's side: finding the holder of a data dir and reading, following
//! and driving its pipeline through it.

use crate::wire::{self, PROTOCOL, RANGE_CHUNK, Reply, Request};
use crate::{ControlError, SOCKET_FILE};
use crossbeam_channel::{Receiver, RecvTimeoutError, bounded};
use lantern_actors::cache_bridge::CacheStats;
use lantern_actors::handle::Handle;
use lantern_actors::pipeline::Ask;
use lantern_events::schema::{Decision, EndReason, EntryId, FeedbackVerdict, FrontendKind, SuggestionAction};
use lantern_events::{Envelope, Follow, ReadError, ReadLog, Recv, RequestId, SessionId, SessionSummary};
use std::io::{self, BufReader, BufWriter};
use std::ops::ControlFlow;
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Events a [`RemoteFeed`] buffers ahead of its reader.
const FEED_BUFFER: usize = 4096;

/// What [`Holder::find`] found at a data dir.
pub enum Found {
    /// A running Lantern holds the log: go through it.
    Holder(Arc<Holder>),
    /// Nobody holds it: open the log directly.
    Nobody,
    /// A socket left by a Lantern that died was removed: open the log directly.
    RemovedStale(PathBuf),
}

struct Conn {
    reader: BufReader<UnixStream>,
    writer: BufWriter<UnixStream>,
}

/// A connection to the process holding a data dir's log.
pub struct Holder {
    socket: PathBuf,
    log_path: PathBuf,
    pid: u32,
    conn: Mutex<Conn>,
}

fn connect(socket: &Path) -> Result<(Conn, PathBuf, u32), ControlError> {
    let stream = UnixStream::connect(socket).map_err(|e| ControlError::io(socket, e))?;
    let lost = |e| ControlError::lost(socket, e);
    let mut conn = Conn { reader: BufReader::new(stream.try_clone().map_err(lost)?), writer: BufWriter::new(stream) };
    wire::send(&mut conn.writer, &Request::Hello { protocol: PROTOCOL }).map_err(lost)?;
    match wire::recv::<Reply>(&mut conn.reader).map_err(lost)? {
        Some(Reply::Hello { protocol, pid, log_path }) if protocol == PROTOCOL => Ok((conn, log_path.into(), pid)),
        Some(Reply::Hello { protocol, pid, .. }) => Err(ControlError::Refused {
            path: socket.to_owned(),
            detail: format!(
                "it (pid {pid}) speaks control protocol v{protocol}, this build v{PROTOCOL}; run the same Lantern build"
            ),
        }),
        Some(Reply::Failed(detail)) => Err(ControlError::Refused { path: socket.to_owned(), detail }),
        Some(other) => Err(ControlError::Refused { path: socket.to_owned(), detail: format!("unexpected {other:?}") }),
        None => Err(ControlError::lost(socket, io::ErrorKind::UnexpectedEof.into())),
    }
}

impl Holder {
    /// Looks for the process holding `dir`'s log. A socket owned by another
    /// user is an error; one nobody listens on is removed.
    pub fn find(dir: &Path) -> Result<Found, ControlError> {
        let socket = dir.join(SOCKET_FILE);
        let meta = match std::fs::symlink_metadata(&socket) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Found::Nobody),
            Err(e) => return Err(ControlError::io(&socket, e)),
        };
        let me = rustix::process::getuid().as_raw();
        if meta.uid() != me {
            return Err(ControlError::OtherUser { path: socket, owner: meta.uid(), me });
        }
        match connect(&socket) {
            Ok((conn, log_path, pid)) => {
                Ok(Found::Holder(Arc::new(Holder { socket, log_path, pid, conn: Mutex::new(conn) })))
            }
            Err(ControlError::Io { source, .. })
                if matches!(source.kind(), io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound) =>
            {
                std::fs::remove_file(&socket).map_err(|e| ControlError::io(&socket, e))?;
                Ok(Found::RemovedStale(socket))
            }
            Err(e) => Err(e),
        }
    }

    /// The holder's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The socket it listens on.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    fn call(&self, request: &Request) -> Result<Reply, ControlError> {
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let lost = |e| ControlError::lost(&self.socket, e);
        wire::send(&mut conn.writer, request).map_err(lost)?;
        match wire::recv::<Reply>(&mut conn.reader).map_err(lost)? {
            Some(reply) => Ok(reply),
            None => Err(lost(io::ErrorKind::UnexpectedEof.into())),
        }
    }

    /// Widget-Log's counters, from the holder's cache.
    pub fn cache_stats(&self) -> Result<Result<CacheStats, String>, ControlError> {
        match self.call(&Request::CacheStats)? {
            Reply::CacheStats(stats) => Ok(stats),
            other => Err(self.unexpected(other)),
        }
    }

    fn unexpected(&self, reply: Reply) -> ControlError {
        let detail = match reply {
            Reply::Failed(why) => why,
            other => format!("unexpected {other:?}"),
        };
        ControlError::Refused { path: self.socket.clone(), detail }
    }

    /// The holder's log, read through it.
    pub fn log(self: &Arc<Self>) -> RemoteLog {
        RemoteLog(self.clone())
    }

    /// The holder's pipeline, driven through it.
    pub fn pipeline(self: &Arc<Self>) -> RemotePipeline {
        RemotePipeline(self.clone())
    }

    /// A subscription from `from` on, on a connection of its own.
    pub fn follow(&self, from: u64) -> Result<RemoteFeed, ControlError> {
        let (mut conn, _, _) = connect(&self.socket)?;
        let lost = |e| ControlError::lost(&self.socket, e);
        wire::send(&mut conn.writer, &Request::Follow { from }).map_err(lost)?;
        let stream = conn.writer.get_ref().try_clone().map_err(lost)?;
        let (tx, rx) = bounded(FEED_BUFFER);
        let mut reader = conn.reader;
        std::thread::Builder::new()
            .name("lantern-feed".into())
            .spawn(move || {
                loop {
                    let frame = match wire::recv::<Reply>(&mut reader) {
                        Ok(Some(Reply::Alive)) => continue,
                        Ok(Some(Reply::Event(e))) => Ok(Some(*e)),
                        Ok(Some(Reply::Closed) | None) => Ok(None),
                        Ok(Some(Reply::Failed(why))) => Err(why),
                        Ok(Some(other)) => Err(format!("unexpected {other:?} in a subscription")),
                        Err(e) => Err(format!("lost the connection to the Lantern holding the log: {e}")),
                    };
                    let end = !matches!(frame, Ok(Some(_)));
                    if tx.send(frame).is_err() || end {
                        return;
                    }
                }
            })
            .map_err(lost)?;
        Ok(RemoteFeed { next: from.max(1), rx, stream, ended: None })
    }
}

fn holder_err(e: ControlError) -> ReadError {
    ReadError::Holder(e.to_string())
}

/// The log of a data dir, read through its holder.
#[derive(Clone)]
pub struct RemoteLog(Arc<Holder>);

impl RemoteLog {
    fn events(&self, request: &Request) -> Result<Vec<Envelope>, ReadError> {
        match self.0.call(request).map_err(holder_err)? {
            Reply::Events { events, error: None } => Ok(events),
            Reply::Events { error: Some(why), .. } | Reply::Failed(why) => Err(ReadError::Holder(why)),
            other => Err(holder_err(self.0.unexpected(other))),
        }
    }
}

impl ReadLog for RemoteLog {
    fn path(&self) -> &Path {
        &self.0.log_path
    }

    fn damage(&self) -> Option<String> {
        match self.0.call(&Request::Damage) {
            Ok(Reply::Damage(d)) => d,
            _ => None,
        }
    }

    fn last_seq(&self) -> Result<u64, ReadError> {
        match self.0.call(&Request::LastSeq).map_err(holder_err)? {
            Reply::Seq(s) => Ok(s),
            other => Err(holder_err(self.0.unexpected(other))),
        }
    }

    fn visit(&self, from: u64, to: u64, visit: &mut dyn FnMut(Envelope) -> ControlFlow<()>) -> Result<(), ReadError> {
        let mut next = from;
        while next <= to {
            let request = Request::Range { from: next, to, max: RANGE_CHUNK };
            let (events, error) = match self.0.call(&request).map_err(holder_err)? {
                Reply::Events { events, error } => (events, error),
                other => return Err(holder_err(self.0.unexpected(other))),
            };
            let Some(last) = events.last().map(|e| e.seq) else {
                return error.map_or(Ok(()), |why| Err(ReadError::Holder(why)));
            };
            for e in events {
                if visit(e).is_break() {
                    return Ok(());
                }
            }
            if let Some(why) = error {
                return Err(ReadError::Holder(why));
            }
            next = last.saturating_add(1);
            if last == u64::MAX {
                break;
            }
        }
        Ok(())
    }

    fn read_session(&self, session: SessionId) -> Result<Vec<Envelope>, ReadError> {
        self.events(&Request::Session(session))
    }

    fn read_request(&self, request: RequestId) -> Result<Vec<Envelope>, ReadError> {
        self.events(&Request::Chain(request))
    }

    fn sessions(&self) -> Result<Vec<SessionSummary>, ReadError> {
        match self.0.call(&Request::Sessions).map_err(holder_err)? {
            Reply::Sessions(s) => Ok(s),
            Reply::Failed(why) => Err(ReadError::Holder(why)),
            other => Err(holder_err(self.0.unexpected(other))),
        }
    }

    fn session_summary(&self, session: SessionId) -> Result<Option<SessionSummary>, ReadError> {
        match self.0.call(&Request::Summary(session)).map_err(holder_err)? {
            Reply::Summary(s) => Ok(s),
            Reply::Failed(why) => Err(ReadError::Holder(why)),
            other => Err(holder_err(self.0.unexpected(other))),
        }
    }

    fn follow(&self, from: u64) -> Result<Box<dyn Follow>, ReadError> {
        Ok(Box::new(self.0.follow(from).map_err(holder_err)?))
    }
}

/// A subscription served by the holder: every committed event from a seq
/// on, exactly once, in order (the holder runs the log's own catch-up
/// subscription; a reader thread here keeps the socket drained).
pub struct RemoteFeed {
    next: u64,
    rx: Receiver<Result<Option<Envelope>, String>>,
    stream: UnixStream,
    ended: Option<Result<(), String>>,
}

impl Follow for RemoteFeed {
    fn next_seq(&self) -> u64 {
        self.next
    }

    fn recv_timeout(&mut self, timeout: Duration) -> Result<Recv, ReadError> {
        if let Some(end) = &self.ended {
            return end.clone().map(|()| Recv::Closed).map_err(ReadError::Holder);
        }
        match self.rx.recv_timeout(timeout) {
            Ok(Ok(Some(e))) => {
                self.next = e.seq + 1;
                Ok(Recv::Event(Arc::new(e)))
            }
            Ok(Ok(None)) => {
                self.ended = Some(Ok(()));
                Ok(Recv::Closed)
            }
            Ok(Err(why)) => {
                self.ended = Some(Err(why.clone()));
                Err(ReadError::Holder(why))
            }
            Err(RecvTimeoutError::Timeout) => Ok(Recv::Timeout),
            Err(RecvTimeoutError::Disconnected) => {
                self.ended = Some(Ok(()));
                Ok(Recv::Closed)
            }
        }
    }
}

impl Drop for RemoteFeed {
    fn drop(&mut self) {
        // Ends the reader thread, and the holder's side with it.
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

/// The holder's pipeline. Ops are sent at once; a holder that has gone is
/// reported in the tracing log, and the caller's subscription then ends.
#[derive(Clone)]
pub struct RemotePipeline(Arc<Holder>);

impl RemotePipeline {
    fn op(&self, request: &Request) {
        match self.0.call(request) {
            Ok(Reply::Done) => {}
            Ok(other) => tracing::warn!(error = %self.0.unexpected(other), "control op refused"),
            Err(e) => tracing::warn!(error = %e, "control op not delivered"),
        }
    }
}

impl Handle for RemotePipeline {
    fn open_session(&self, frontend: FrontendKind, workspace: Option<String>) -> SessionId {
        match self.0.call(&Request::OpenSession { frontend, workspace }) {
            Ok(Reply::Session(s)) => s,
            other => {
                tracing::warn!(reply = ?other.map(|_| ()), "control: open_session failed; using a fresh id");
                SessionId::new()
            }
        }
    }

    fn close_session(&self, session: SessionId, reason: EndReason) {
        self.op(&Request::CloseSession { session, reason });
    }

    fn submit(&self, ask: Ask) {
        self.op(&Request::Submit(Box::new(ask)));
    }

    fn decide(&self, request: RequestId, decision: Decision) {
        self.op(&Request::Decide { request, decision });
    }

    fn act_on_suggestion(&self, offered_seq: u64, index: u8, action: SuggestionAction, template: Ask) {
        self.op(&Request::ActOnSuggestion { offered_seq, index, action, template: Box::new(template) });
    }

    fn give_feedback(&self, session: SessionId, response_seq: u64, verdict: FeedbackVerdict, entry: Option<EntryId>) {
        self.op(&Request::GiveFeedback { session, response_seq, verdict, entry });
    }
}

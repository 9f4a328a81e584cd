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
/// How long a holder may take to answer Hello (a stopped one never does).
const HELLO_TIMEOUT: Duration = Duration::from_secs(5);

/// What [`Holder::find`] found at a data dir.
pub enum Found {
    /// A running Lantern holds the log: go through it.
    Holder(Arc<Holder>),
    /// Nobody holds it: open the log directly.
    Nobody,
    /// A socket nobody listens on: its holder died, or is starting and does
    /// not listen yet. Only a holder of the log removes it
    /// ([`crate::ControlServer::start`]).
    Stale(PathBuf),
}

struct Conn {
    reader: BufReader<UnixStream>,
    writer: BufWriter<UnixStream>,
}

/// What Hello told.
struct Hello {
    log_path: PathBuf,
    pid: u32,
    pipeline: bool,
}

/// A connection to the process holding a data dir's log.
pub struct Holder {
    socket: PathBuf,
    hello: Hello,
    /// `None` after a failed exchange: the next one reconnects, so that a
    /// reply never answers the wrong request.
    conn: Mutex<Option<Conn>>,
}

/// Connects, checks that the peer runs as this user, and says Hello.
fn connect(socket: &Path) -> Result<(Conn, Hello), ControlError> {
    let stream = UnixStream::connect(socket).map_err(|e| ControlError::io(socket, e))?;
    let lost = |e| ControlError::lost(socket, e);
    let me = rustix::process::getuid().as_raw();
    match rustix::net::sockopt::socket_peercred(&stream) {
        Ok(cred) if cred.uid.as_raw() == me => {}
        Ok(cred) => return Err(ControlError::OtherUser { path: socket.to_owned(), owner: cred.uid.as_raw(), me }),
        Err(e) => return Err(lost(e.into())),
    }
    stream.set_read_timeout(Some(HELLO_TIMEOUT)).map_err(lost)?;
    let mut conn = Conn { reader: BufReader::new(stream.try_clone().map_err(lost)?), writer: BufWriter::new(stream) };
    wire::send(&mut conn.writer, &Request::Hello { protocol: PROTOCOL }).map_err(lost)?;
    let hello = match wire::recv::<Reply>(&mut conn.reader) {
        Ok(reply) => reply,
        Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
            return Err(ControlError::Unresponsive { path: socket.to_owned(), waited: HELLO_TIMEOUT });
        }
        Err(e) => return Err(lost(e)),
    };
    conn.writer.get_ref().set_read_timeout(None).map_err(lost)?;
    match hello {
        Some(Reply::Hello { protocol, pid, log_path, pipeline }) if protocol == PROTOCOL => {
            Ok((conn, Hello { log_path: log_path.into(), pid, pipeline }))
        }
        Some(Reply::Hello { protocol, pid, .. }) => Err(ControlError::Refused {
            path: socket.to_owned(),
            detail: format!(
                "it (pid {pid}) speaks control protocol v{protocol}, this build v{PROTOCOL}; run the same Lantern build"
            ),
        }),
        Some(Reply::Failed(detail)) => Err(ControlError::Refused { path: socket.to_owned(), detail }),
        Some(other) => Err(ControlError::Refused { path: socket.to_owned(), detail: format!("unexpected {other:?}") }),
        None => Err(lost(io::ErrorKind::UnexpectedEof.into())),
    }
}

impl Holder {
    /// Looks for the process holding `dir`'s log. A socket owned by another
    /// user, or answered by another user's process, is an error.
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
            Ok((conn, hello)) => Ok(Found::Holder(Arc::new(Holder { socket, hello, conn: Mutex::new(Some(conn)) }))),
            Err(ControlError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => Ok(Found::Nobody),
            Err(ControlError::Io { source, .. }) if source.kind() == io::ErrorKind::ConnectionRefused => {
                Ok(Found::Stale(socket))
            }
            Err(e) => Err(e),
        }
    }

    /// The holder's process id.
    pub fn pid(&self) -> u32 {
        self.hello.pid
    }

    /// The socket it listens on.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Whether it runs a pipeline that takes ops (a `serve`, a window), or
    /// only serves reads (an `ask` or `demo` under way).
    pub fn runs_pipeline(&self) -> bool {
        self.hello.pipeline
    }

    /// Sends `request` and hands each reply frame to `each` until it returns
    /// `false` (the answer's last frame). Any failure drops the connection,
    /// so that the next exchange starts clean.
    fn exchange(&self, request: &Request, mut each: impl FnMut(Reply) -> bool) -> Result<(), ControlError> {
        let mut guard = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        if guard.is_none() {
            *guard = Some(connect(&self.socket)?.0);
        }
        let Some(conn) = guard.as_mut() else { return Err(self.gone()) };
        let outcome = (|| {
            wire::send(&mut conn.writer, request)?;
            loop {
                match wire::recv::<Reply>(&mut conn.reader)? {
                    Some(reply) => {
                        if !each(reply) {
                            return Ok(());
                        }
                    }
                    None => return Err(io::Error::from(io::ErrorKind::UnexpectedEof)),
                }
            }
        })();
        outcome.map_err(|e| {
            *guard = None;
            ControlError::lost(&self.socket, e)
        })
    }

    fn call(&self, request: &Request) -> Result<Reply, ControlError> {
        let mut answer = None;
        self.exchange(request, |reply| {
            answer = Some(reply);
            false
        })?;
        answer.ok_or_else(|| self.gone())
    }

    fn gone(&self) -> ControlError {
        ControlError::lost(&self.socket, io::ErrorKind::UnexpectedEof.into())
    }

    /// A reply a request did not expect, as an error.
    fn unexpected(&self, reply: Reply) -> ControlError {
        let detail = match reply {
            Reply::Failed(why) => why,
            other => format!("unexpected {other:?}"),
        };
        ControlError::Refused { path: self.socket.clone(), detail }
    }

    /// A reply a read did not expect, as a read error (the holder's own
    /// message when it failed the read).
    fn read_error(&self, reply: Reply) -> ReadError {
        match reply {
            Reply::Failed(why) => ReadError::Holder(why),
            other => ReadError::Holder(format!(
                "the Lantern holding {} answered with an unexpected {other:?}",
                self.socket.display()
            )),
        }
    }

    /// Reads events: each `Event` frame goes to `visit` until it breaks (the
    /// rest of the answer is still read off the socket), then the `End`.
    /// Returns how many arrived.
    fn read_events(
        &self,
        request: &Request,
        visit: &mut dyn FnMut(Envelope) -> ControlFlow<()>,
    ) -> Result<(u64, bool), ReadError> {
        let (mut seen, mut broke, mut end, mut unexpected) = (0u64, false, None, None);
        self.exchange(request, |reply| match reply {
            Reply::Event(e) => {
                seen += 1;
                broke = broke || visit(*e).is_break();
                true
            }
            Reply::End(error) => {
                end = Some(error);
                false
            }
            other => {
                unexpected = Some(other);
                false
            }
        })
        .map_err(holder_err)?;
        if let Some(other) = unexpected {
            return Err(self.read_error(other));
        }
        match end {
            Some(Some(why)) if !broke => Err(ReadError::Holder(why)),
            _ => Ok((seen, broke)),
        }
    }

    /// Widget-Log's counters, from the holder's cache.
    pub fn cache_stats(&self) -> Result<Result<CacheStats, String>, ControlError> {
        match self.call(&Request::CacheStats)? {
            Reply::CacheStats(stats) => Ok(stats),
            other => Err(self.unexpected(other)),
        }
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
        let (mut conn, _) = connect(&self.socket)?;
        let lost = |e| ControlError::lost(&self.socket, e);
        wire::send(&mut conn.writer, &Request::Follow { from }).map_err(lost)?;
        let stream = conn.writer.get_ref().try_clone().map_err(lost)?;
        let (tx, rx) = bounded(FEED_BUFFER);
        let (mut reader, pid) = (conn.reader, self.hello.pid);
        std::thread::Builder::new()
            .name("lantern-feed".into())
            .spawn(move || {
                loop {
                    let frame = match wire::recv::<Reply>(&mut reader) {
                        Ok(Some(Reply::Alive)) => continue,
                        Ok(Some(Reply::Event(e))) => Ok(Some(*e)),
                        Ok(Some(Reply::Closed)) => Ok(None),
                        Ok(Some(Reply::Failed(why))) => Err(why),
                        Ok(Some(other)) => Err(format!("unexpected {other:?} in a subscription")),
                        Ok(None) => Err(format!(
                            "the Lantern holding the log (pid {pid}) stopped; what it committed is in the log"
                        )),
                        Err(e) => Err(format!("lost the connection to the Lantern holding the log (pid {pid}): {e}")),
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
    fn all(&self, request: &Request) -> Result<Vec<Envelope>, ReadError> {
        let mut events = Vec::new();
        self.0.read_events(request, &mut |e| {
            events.push(e);
            ControlFlow::Continue(())
        })?;
        Ok(events)
    }
}

impl ReadLog for RemoteLog {
    fn path(&self) -> &Path {
        &self.0.hello.log_path
    }

    fn damage(&self) -> Option<String> {
        match self.0.call(&Request::Damage) {
            Ok(Reply::Damage(d)) => d,
            Ok(other) => Some(format!("cannot ask the holder: {}", self.0.unexpected(other))),
            Err(e) => Some(format!("cannot ask the holder: {e}")),
        }
    }

    fn last_seq(&self) -> Result<u64, ReadError> {
        match self.0.call(&Request::LastSeq).map_err(holder_err)? {
            Reply::Seq(s) => Ok(s),
            other => Err(self.0.read_error(other)),
        }
    }

    fn visit(&self, from: u64, to: u64, visit: &mut dyn FnMut(Envelope) -> ControlFlow<()>) -> Result<(), ReadError> {
        let mut next = from;
        while next <= to {
            // In chunks, so that a visit that breaks early leaves at most one
            // chunk to read off the socket.
            let mut last = None;
            let request = Request::Range { from: next, to, max: RANGE_CHUNK };
            let (seen, broke) = self.0.read_events(&request, &mut |e| {
                last = Some(e.seq);
                visit(e)
            })?;
            match last {
                _ if broke => return Ok(()),
                Some(last) if seen == u64::from(RANGE_CHUNK) && last < to => next = last + 1,
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    fn read_session(&self, session: SessionId) -> Result<Vec<Envelope>, ReadError> {
        self.all(&Request::Session(session))
    }

    fn read_request(&self, request: RequestId) -> Result<Vec<Envelope>, ReadError> {
        self.all(&Request::Chain(request))
    }

    fn sessions(&self) -> Result<Vec<SessionSummary>, ReadError> {
        match self.0.call(&Request::Sessions).map_err(holder_err)? {
            Reply::Sessions(s) => Ok(s),
            other => Err(self.0.read_error(other)),
        }
    }

    fn session_summary(&self, session: SessionId) -> Result<Option<SessionSummary>, ReadError> {
        match self.0.call(&Request::Summary(session)).map_err(holder_err)? {
            Reply::Summary(s) => Ok(s),
            other => Err(self.0.read_error(other)),
        }
    }

    fn follow(&self, from: u64) -> Result<Box<dyn Follow>, ReadError> {
        Ok(Box::new(self.0.follow(from).map_err(holder_err)?))
    }
}

/// A subscription served by the holder: every committed event from a seq
/// on, exactly once, in order (the holder runs the log's own catch-up
/// subscription; a reader thread here keeps the socket drained). A holder
/// that stops ends it with an error, not as a closed log.
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
                let why = "the subscription's reader stopped".to_owned();
                self.ended = Some(Err(why.clone()));
                Err(ReadError::Holder(why))
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

/// The holder's pipeline. Ops are sent at once, like the in-process
/// client's; one the holder cannot take is said on stderr (the caller's
/// subscription then shows nothing happening).
#[derive(Clone)]
pub struct RemotePipeline(Arc<Holder>);

impl RemotePipeline {
    fn op(&self, request: &Request) {
        let refused = match self.0.call(request) {
            Ok(Reply::Done) => return,
            Ok(other) => self.0.unexpected(other),
            Err(e) => e,
        };
        tracing::warn!(error = %refused, "control op not taken");
        eprintln!("lantern: {refused}");
    }
}

impl Handle for RemotePipeline {
    fn open_session(&self, frontend: FrontendKind, workspace: Option<String>) -> SessionId {
        match self.0.call(&Request::OpenSession { frontend, workspace }) {
            Ok(Reply::Session(s)) => s,
            other => {
                let why = other.map_or_else(|e| e.to_string(), |r| self.0.unexpected(r).to_string());
                eprintln!("lantern: cannot open a session on the Lantern holding the log: {why}");
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

    fn decide_offer(&self, request: RequestId, use_cached: bool) {
        self.op(&Request::DecideOffer { request, use_cached });
    }

    fn act_on_suggestion(&self, offered_seq: u64, index: u8, action: SuggestionAction, template: Ask) {
        self.op(&Request::ActOnSuggestion { offered_seq, index, action, template: Box::new(template) });
    }

    fn give_feedback(&self, session: SessionId, response_seq: u64, verdict: FeedbackVerdict, entry: Option<EntryId>) {
        self.op(&Request::GiveFeedback { session, response_seq, verdict, entry });
    }
}

//! The control protocol: length-prefixed bincode frames on a Unix socket.
//!
//! A connection starts with [`Request::Hello`]. After that it either asks
//! ([`Request`] → one [`Reply`] each, in order; a read of events is
//! answered by one [`Reply::Event`] frame per event and a final
//! [`Reply::End`], so that no frame holds more than one event), or, after
//! [`Request::Follow`], receives a stream of [`Reply::Event`]s, with
//! [`Reply::Alive`] while nothing commits and [`Reply::Closed`] at the end.

use lantern_actors::cache_bridge::CacheStats;
use lantern_actors::pipeline::Ask;
use lantern_events::schema::{Decision, EndReason, EntryId, FeedbackVerdict, FrontendKind, SuggestionAction};
use lantern_events::{Envelope, RequestId, SessionId, SessionSummary};
use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};

/// Version of this protocol; both ends must speak the same one.
pub const PROTOCOL: u32 = 2;
/// The largest frame either end accepts: one event (a record is at most
/// 16 MiB) with room to spare.
const MAX_FRAME: usize = 64 << 20;
/// Events per [`Request::Range`] answer.
pub const RANGE_CHUNK: u32 = 4096;

/// What a client asks.
#[derive(Debug, Serialize, Deserialize)]
pub enum Request {
    /// The first frame of every connection.
    Hello {
        /// [`PROTOCOL`] of the client.
        protocol: u32,
    },
    /// The newest committed seq.
    LastSeq,
    /// Up to `max` committed events from `from` to `to`, in order.
    Range {
        /// First seq (inclusive).
        from: u64,
        /// Last seq (inclusive).
        to: u64,
        /// Most events to return.
        max: u32,
    },
    /// Every event of a session.
    Session(SessionId),
    /// Every event of a request's chain.
    Chain(RequestId),
    /// Every session's summary.
    Sessions,
    /// One session's summary.
    Summary(SessionId),
    /// What the log found damaged.
    Damage,
    /// Widget-Log's own counters.
    CacheStats,
    /// Opens a session.
    OpenSession {
        /// Which frontend.
        frontend: FrontendKind,
        /// Its workspace.
        workspace: Option<String>,
    },
    /// Closes a session.
    CloseSession {
        /// The session.
        session: SessionId,
        /// Why.
        reason: EndReason,
    },
    /// Submits a prompt.
    Submit(Box<Ask>),
    /// Decides on a refinement awaiting a user.
    Decide {
        /// The request.
        request: RequestId,
        /// The decision.
        decision: Decision,
    },
    /// Acts on a suggestion.
    ActOnSuggestion {
        /// Seq of the `SuggestionsOffered`.
        offered_seq: u64,
        /// Which suggestion.
        index: u8,
        /// What the user did.
        action: SuggestionAction,
        /// The request it becomes, if sent.
        template: Box<Ask>,
    },
    /// Judges a response.
    GiveFeedback {
        /// The session.
        session: SessionId,
        /// Seq of the `ResponseDelivered`.
        response_seq: u64,
        /// The verdict.
        verdict: FeedbackVerdict,
        /// The cache entry that answered, if any.
        entry: Option<EntryId>,
    },
    /// Turns the connection into a subscription from `from` (inclusive).
    Follow {
        /// First seq to deliver.
        from: u64,
    },
    /// Takes or refuses a semantic offer awaiting a user (protocol 2).
    DecideOffer {
        /// The request.
        request: RequestId,
        /// `true`: the cached answer; `false`: ask the model.
        use_cached: bool,
    },
}

/// What the holder answers.
#[derive(Debug, Serialize, Deserialize)]
pub enum Reply {
    /// Answer to [`Request::Hello`].
    Hello {
        /// [`PROTOCOL`] of the holder.
        protocol: u32,
        /// The holder's process id.
        pid: u32,
        /// The log file it holds.
        log_path: String,
        /// Whether it runs a pipeline (takes ops), or only serves reads.
        pipeline: bool,
    },
    /// A seq.
    Seq(u64),
    /// The end of a read of events (each came as a [`Reply::Event`]), and
    /// the error that stopped it early, if one did, word for word.
    End(Option<String>),
    /// Session summaries.
    Sessions(Vec<SessionSummary>),
    /// One session's summary.
    Summary(Option<SessionSummary>),
    /// What the log found damaged.
    Damage(Option<String>),
    /// Widget-Log's counters, or why they cannot be read.
    CacheStats(Result<CacheStats, String>),
    /// The session just opened.
    Session(SessionId),
    /// The op was taken.
    Done,
    /// The request failed; the holder's message, word for word.
    Failed(String),
    /// One event of a read, or of a subscription.
    Event(Box<Envelope>),
    /// A subscription with nothing new (sent twice a second, so that a
    /// client that has gone is noticed).
    Alive,
    /// The log closed; every committed event has been delivered.
    Closed,
}

fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// Writes one frame and flushes.
pub fn send<T: Serialize>(w: &mut impl Write, value: &T) -> io::Result<()> {
    queue(w, value)?;
    w.flush()
}

/// Writes one frame into `w`'s buffer (flush to send).
pub fn queue<T: Serialize>(w: &mut impl Write, value: &T) -> io::Result<()> {
    let body = bincode::serde::encode_to_vec(value, config()).map_err(io::Error::other)?;
    if body.len() > MAX_FRAME {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("a {}-byte frame is too large", body.len())));
    }
    w.write_all(&(body.len() as u32).to_le_bytes())?;
    w.write_all(&body)
}

/// Reads one frame; `None` at a clean end of stream.
pub fn recv<T: for<'de> Deserialize<'de>>(r: &mut impl Read) -> io::Result<Option<T>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("a {len}-byte frame is too large")));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    let (value, _) = bincode::serde::decode_from_slice(&body, config())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok(Some(value))
}

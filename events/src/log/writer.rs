//! The single writer thread and its group commit.

use super::sessions::SessionDeltas;
use super::{BY_REQUEST, BY_SESSION, Db, FRAMES, Shared};
use crate::codec::{self, frame};
use crate::envelope::{Envelope, NewEvent};
use crate::error::AppendError;
use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

/// Most events one transaction takes before it commits.
const MAX_BATCH_EVENTS: usize = 8192;

type Ack = Sender<Result<RangeInclusive<u64>, AppendError>>;

struct Job {
    /// Seq reserved for the first event.
    first: u64,
    events: Vec<NewEvent>,
    /// The events' records, encoded on the submitting thread.
    records: Vec<Vec<u8>>,
    /// What live subscribers are shown instead of `events`, if anything.
    shown: Option<Vec<NewEvent>>,
    ack: Ack,
}

/// An append queued for the next group commit.
#[must_use = "an append is acknowledged only through wait()"]
pub struct Pending {
    seqs: RangeInclusive<u64>,
    ack: Receiver<Result<RangeInclusive<u64>, AppendError>>,
}

impl Pending {
    /// The seqs the events will have once committed, known at once so that
    /// later events can name them as their cause without waiting.
    ///
    /// They are durable only when [`Pending::wait`] says so. If the commit
    /// fails, these seqs are reused by later appends.
    pub fn seqs(&self) -> RangeInclusive<u64> {
        self.seqs.clone()
    }

    /// Blocks until the batch is durable; returns the seqs it was given.
    pub fn wait(self) -> Result<RangeInclusive<u64>, AppendError> {
        self.ack.recv().map_err(|_| AppendError::Closed)?
    }
}

/// The next seq to hand out. Held while a job is sent, so the writer's queue
/// is always in seq order; held by the writer while it fails a queue after a
/// failed commit, so that no reservation outlives the seqs it assumed.
type Reservation = Arc<Mutex<u64>>;

pub(crate) struct Writer {
    tx: Sender<Job>,
    handle: JoinHandle<()>,
    next: Reservation,
}

impl Writer {
    pub(crate) fn spawn(shared: Arc<Shared>, next_seq: u64) -> std::io::Result<Self> {
        let (tx, rx) = unbounded::<Job>();
        let next = Arc::new(Mutex::new(next_seq));
        let reservation = next.clone();
        let handle = std::thread::Builder::new()
            .name("lantern-log-writer".into())
            .spawn(move || run(&shared, &rx, &reservation, next_seq))?;
        Ok(Self { tx, handle, next })
    }

    pub(crate) fn submit(&self, events: Vec<NewEvent>, shown: Option<Vec<NewEvent>>) -> Result<Pending, AppendError> {
        let (ack, rx) = bounded(1);
        if events.is_empty() {
            // Nothing to commit: acknowledge with an empty range.
            let _ = ack.send(Ok(RangeInclusive::new(1, 0)));
            return Ok(Pending { seqs: RangeInclusive::new(1, 0), ack: rx });
        }
        // Encode here, on the caller's thread, so the writer only writes.
        let records = events.iter().map(codec::encode).collect::<Result<Vec<_>, _>>()?;
        let n = events.len() as u64;
        let mut next = lock(&self.next);
        let first = *next;
        let shown = shown.filter(|s| s.len() == events.len());
        self.tx.send(Job { first, events, records, shown, ack }).map_err(|_| AppendError::Closed)?;
        *next += n;
        Ok(Pending { seqs: first..=first + n - 1, ack: rx })
    }

    pub(crate) fn shutdown(self) {
        drop(self.tx);
        if self.handle.join().is_err() {
            tracing::error!("log writer thread panicked");
        }
    }
}

fn lock(m: &Mutex<u64>) -> MutexGuard<'_, u64> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn run(shared: &Shared, rx: &Receiver<Job>, next: &Mutex<u64>, mut next_seq: u64) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        let mut count = jobs[0].events.len();
        while count < MAX_BATCH_EVENTS {
            match rx.try_recv() {
                Ok(job) => {
                    count += job.events.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let committed = commit_batch(shared, jobs, next_seq);
        if committed == next_seq {
            // The commit failed: everything queued behind it reserved seqs
            // that will not exist. Fail it all and hand out seqs again from
            // the last committed one, so committed seqs stay dense.
            let mut reserved = lock(next);
            for job in rx.try_iter() {
                let _ = job.ack.send(Err(AppendError::Storage("an earlier commit failed; not written".into())));
            }
            *reserved = next_seq;
        }
        next_seq = committed;
    }
    shared.hub.close();
}

/// Writes and commits one group; acknowledges and publishes on success.
fn commit_batch(shared: &Shared, jobs: Vec<Job>, next_seq: u64) -> u64 {
    match write(shared, &jobs, next_seq) {
        Ok(()) => {
            let mut seq = next_seq;
            let mut committed = Vec::with_capacity(jobs.len());
            for job in jobs {
                let n = job.events.len() as u64;
                let _ = job.ack.send(Ok(seq..=seq + n - 1));
                committed.push((seq, job.shown.unwrap_or(job.events)));
                seq += n;
            }
            shared.hub.publish(seq - 1, || {
                committed
                    .into_iter()
                    .flat_map(|(first, events)| events.into_iter().zip(first..).map(|(e, s)| Arc::new(e.committed(s))))
                    .collect::<Vec<Arc<Envelope>>>()
            });
            seq
        }
        Err(msg) => {
            tracing::error!(error = %msg, "log commit failed");
            for job in jobs {
                let _ = job.ack.send(Err(AppendError::Storage(msg.clone())));
            }
            next_seq
        }
    }
}

fn write(shared: &Shared, batch: &[Job], next_seq: u64) -> Result<(), String> {
    let Db::ReadWrite(db) = &shared.db else {
        return Err("log is read-only".into());
    };
    if let Some(damage) = shared.damage() {
        return Err(AppendError::Damaged(damage).to_string());
    }
    let mut expected = next_seq;
    for job in batch {
        if job.first != expected {
            return Err(format!("reservation {} does not follow seq {}", job.first, expected - 1));
        }
        expected += job.events.len() as u64;
    }
    let txn = db.begin_write().map_err(|e| e.to_string())?;
    {
        let mut out = FrameWriter {
            frames: txn.open_table(FRAMES).map_err(|e| e.to_string())?,
            by_session: txn.open_table(BY_SESSION).map_err(|e| e.to_string())?,
            by_request: txn.open_table(BY_REQUEST).map_err(|e| e.to_string())?,
            first: next_seq,
            records: Vec::with_capacity(frame::MAX_RECORDS),
            bytes: 0,
            sessions: Vec::new(),
            requests: Vec::new(),
        };
        let mut deltas = SessionDeltas::default();
        let mut seq = next_seq;
        for job in batch {
            for (event, record) in job.events.iter().zip(&job.records) {
                if out.records.len() == frame::MAX_RECORDS || out.bytes >= frame::TARGET_BYTES {
                    out.flush(seq)?;
                }
                out.push(event, record);
                deltas.record(seq, event);
                seq += 1;
            }
        }
        out.flush(seq)?;
        deltas.apply(&txn).map_err(|e| e.to_string())?;
    }
    txn.commit().map_err(|e| e.to_string())
}

/// Packs consecutive records into frames and indexes each frame once per
/// session and request it holds.
struct FrameWriter<'t, 'r> {
    frames: redb::Table<'t, u64, &'static [u8]>,
    by_session: redb::Table<'t, (u128, u64), ()>,
    by_request: redb::Table<'t, (u128, u64), ()>,
    first: u64,
    records: Vec<&'r [u8]>,
    bytes: usize,
    sessions: Vec<u128>,
    requests: Vec<u128>,
}

impl<'r> FrameWriter<'_, 'r> {
    fn push(&mut self, event: &NewEvent, record: &'r [u8]) {
        self.records.push(record);
        self.bytes += record.len();
        let s = event.session.0.as_u128();
        if !self.sessions.contains(&s) {
            self.sessions.push(s);
        }
        if let Some(r) = event.request.map(|r| r.0.as_u128()).filter(|r| !self.requests.contains(r)) {
            self.requests.push(r);
        }
    }

    /// Writes the open frame (if any); the next one starts at `next_first`.
    fn flush(&mut self, next_first: u64) -> Result<(), String> {
        if !self.records.is_empty() {
            let bytes = frame::encode(self.first, self.records.iter().copied());
            self.frames.insert(self.first, bytes.as_slice()).map_err(|e| e.to_string())?;
            for s in self.sessions.drain(..) {
                self.by_session.insert((s, self.first), ()).map_err(|e| e.to_string())?;
            }
            for r in self.requests.drain(..) {
                self.by_request.insert((r, self.first), ()).map_err(|e| e.to_string())?;
            }
        }
        self.records.clear();
        self.bytes = 0;
        self.first = next_first;
        Ok(())
    }
}

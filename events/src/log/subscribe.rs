//! Catch-up subscriptions: replay from any seq, then follow live commits,
//! with no gap and no duplicate across the switch.
//!
//! The writer publishes each committed batch under the hub's lock and records
//! the last seq published. A subscriber registers its live channel under the
//! same lock and notes that seq: everything up to it is committed and read
//! from storage; everything after it arrives on the channel. A subscriber
//! too slow to keep up loses its channel and catches up from storage again,
//! so the writer never blocks on a reader.

use super::{EventLog, Shared};
use crate::envelope::Envelope;
use crate::error::ReadError;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError, bounded};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Live events buffered per subscriber before it is switched to catch-up.
const LIVE_CAPACITY: usize = 4096;
/// Events read from storage per catch-up step.
const CATCH_UP_CHUNK: u64 = 1024;

struct HubState {
    published: u64,
    live: Vec<Sender<Arc<Envelope>>>,
    closed: bool,
}

pub(crate) struct Hub(Mutex<HubState>);

impl Hub {
    pub(crate) fn new(published: u64) -> Self {
        Hub(Mutex::new(HubState { published, live: Vec::new(), closed: false }))
    }

    fn lock(&self) -> MutexGuard<'_, HubState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `last` as published and hands the batch to live subscribers.
    /// `batch` is only built when someone listens.
    pub(crate) fn publish(&self, last: u64, batch: impl FnOnce() -> Vec<Arc<Envelope>>) {
        let mut st = self.lock();
        st.published = last;
        if st.live.is_empty() {
            return;
        }
        let batch = batch();
        st.live.retain(|tx| {
            batch.iter().all(|e| match tx.try_send(e.clone()) {
                Ok(()) => true,
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
            })
        });
    }

    pub(crate) fn close(&self) {
        let mut st = self.lock();
        st.closed = true;
        st.live.clear();
    }

    /// Registers a live channel; returns it (unless closed) and the seq published so far.
    fn attach(&self) -> (Option<Receiver<Arc<Envelope>>>, u64) {
        let mut st = self.lock();
        if st.closed {
            return (None, st.published);
        }
        let (tx, rx) = bounded(LIVE_CAPACITY);
        st.live.push(tx);
        (Some(rx), st.published)
    }
}

/// What [`Subscription::recv_timeout`] produced.
#[derive(Debug)]
pub enum Recv {
    /// The next event.
    Event(Arc<Envelope>),
    /// Nothing new within the timeout.
    Timeout,
    /// The log closed and every committed event has been delivered.
    Closed,
}

/// Delivers every committed event from a starting seq, exactly once, in order.
pub struct Subscription {
    shared: Arc<Shared>,
    next: u64,
    /// Storage holds everything up to here that the live channel will not carry.
    catch_up_to: u64,
    backlog: VecDeque<Envelope>,
    live: Option<Receiver<Arc<Envelope>>>,
    attached: bool,
}

impl EventLog {
    /// Subscribes from `from` (inclusive; 1 = everything): committed events
    /// first, then new commits as they happen.
    pub fn subscribe(&self, from: u64) -> Subscription {
        Subscription {
            shared: self.shared.clone(),
            next: from.max(1),
            catch_up_to: 0,
            backlog: VecDeque::new(),
            live: None,
            attached: false,
        }
    }
}

impl Subscription {
    /// The seq the next delivered event will have.
    pub fn next_seq(&self) -> u64 {
        self.next
    }

    /// Blocks until the next event, or `None` once the log has closed.
    pub fn recv(&mut self) -> Result<Option<Arc<Envelope>>, ReadError> {
        loop {
            match self.recv_timeout(Duration::from_secs(3600))? {
                Recv::Event(e) => return Ok(Some(e)),
                Recv::Closed => return Ok(None),
                Recv::Timeout => {}
            }
        }
    }

    /// Waits at most `timeout` for the next event.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Recv, ReadError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = self.backlog.pop_front() {
                self.next = e.seq + 1;
                return Ok(Recv::Event(Arc::new(e)));
            }
            if self.next <= self.catch_up_to {
                let end = self.catch_up_to.min(self.next + CATCH_UP_CHUNK - 1);
                let chunk = self.shared.read_range(self.next..=end)?;
                if chunk.is_empty() {
                    // Storage has nothing more up to the mark (e.g. it was never written).
                    self.next = end + 1;
                }
                self.backlog.extend(chunk);
                continue;
            }
            if !self.attached {
                let (rx, published) = self.shared.hub.attach();
                self.attached = rx.is_some();
                self.live = rx;
                self.catch_up_to = published;
                if self.live.is_none() && self.next > published {
                    return Ok(Recv::Closed);
                }
                continue;
            }
            let Some(rx) = &self.live else { return Ok(Recv::Closed) };
            match rx.recv_deadline(deadline) {
                Ok(e) if e.seq < self.next => {}
                Ok(e) if e.seq == self.next => {
                    self.next += 1;
                    return Ok(Recv::Event(e));
                }
                Ok(e) => {
                    // Cannot happen while the hub keeps its ordering promise;
                    // storage still has the events, so fetch them rather than skip.
                    tracing::warn!(expected = self.next, got = e.seq, "subscription gap; catching up");
                    self.catch_up_to = e.seq;
                }
                Err(RecvTimeoutError::Timeout) => return Ok(Recv::Timeout),
                Err(RecvTimeoutError::Disconnected) => {
                    // Dropped for lagging, or the log closed: catch up again.
                    self.live = None;
                    self.attached = false;
                }
            }
        }
    }
}

impl Iterator for Subscription {
    type Item = Result<Arc<Envelope>, ReadError>;

    /// Blocks for the next event; ends when the log closes.
    fn next(&mut self) -> Option<Self::Item> {
        self.recv().transpose()
    }
}

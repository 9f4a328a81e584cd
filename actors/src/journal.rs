//! Telemetry's shell: every event is scrubbed (secrets always, then the
//! privacy level) and handed to the log's group commit.
//!
//! [`Journal::record`] returns the event's seq at once (the log reserves it),
//! so the next event of a chain can name it as its cause without waiting for
//! the disk. A watcher thread waits for each durable acknowledgement and
//! logs failures; [`Journal::sync`] waits until everything recorded so far
//! is durable.

use crate::telemetry::{Persist, scrub};
use crossbeam_channel::{Sender, bounded, unbounded};
use lantern_events::schema::PrivacyLevel;
use lantern_events::{AppendError, EventLog, NewEvent, Pending};
use std::sync::Arc;

enum Watch {
    Ack(Pending),
    Sync(Sender<()>),
    Then(Box<dyn FnOnce(bool) + Send>),
}

/// The journal. Cheap to clone; all clones share one log and one watcher.
#[derive(Clone)]
pub struct Journal {
    log: Arc<EventLog>,
    privacy: PrivacyLevel,
    watch: Sender<Watch>,
}

impl Journal {
    /// A journal writing to `log` at `privacy`.
    pub fn new(log: Arc<EventLog>, privacy: PrivacyLevel) -> std::io::Result<Self> {
        let (watch, rx) = unbounded::<Watch>();
        std::thread::Builder::new().name("lantern-journal-acks".into()).spawn(move || {
            let mut failed = false;
            for w in rx {
                match w {
                    Watch::Ack(p) => {
                        if let Err(e) = p.wait() {
                            tracing::error!(error = %e, "journal commit failed");
                            failed = true;
                        }
                    }
                    Watch::Sync(done) => {
                        let _ = done.send(());
                    }
                    Watch::Then(f) => f(!std::mem::take(&mut failed)),
                }
            }
        })?;
        Ok(Journal { log, privacy, watch })
    }

    /// Scrubs and journals one event; returns its seq (`None` at privacy `off`).
    ///
    /// At `metadata`, the log stores digests while live subscribers in this
    /// process (the frontend showing the user their own answer) get the
    /// event with only its secrets redacted.
    pub fn record(&self, event: NewEvent) -> Result<Option<u64>, AppendError> {
        let mut stored = event;
        let shown = match self.privacy {
            PrivacyLevel::Metadata => {
                let mut shown = stored.clone();
                scrub(&mut shown.event, PrivacyLevel::Full);
                Some(shown)
            }
            PrivacyLevel::Full | PrivacyLevel::Off => None,
        };
        if scrub(&mut stored.event, self.privacy).0 == Persist::Nothing {
            return Ok(None);
        }
        let pending = match shown {
            Some(shown) => self.log.submit_shown(vec![stored], vec![shown])?,
            None => self.log.submit(vec![stored])?,
        };
        let seq = *pending.seqs().start();
        if self.watch.send(Watch::Ack(pending)).is_err() {
            return Err(AppendError::Closed);
        }
        Ok(Some(seq))
    }

    /// Runs `f` on the watcher once every event recorded so far is durable,
    /// with `true`, or with `false` if a commit since the previous such call
    /// failed (or the watcher has stopped: then at once).
    pub fn when_durable(&self, f: impl FnOnce(bool) + Send + 'static) {
        if let Err(unsent) = self.watch.send(Watch::Then(Box::new(f)))
            && let Watch::Then(f) = unsent.0
        {
            f(false);
        }
    }

    /// Blocks until every event recorded so far is durable (or has failed).
    pub fn sync(&self) {
        let (done, wait) = bounded(1);
        if self.watch.send(Watch::Sync(done)).is_ok() {
            let _ = wait.recv();
        }
    }

    /// The privacy level applied.
    pub fn privacy(&self) -> PrivacyLevel {
        self.privacy
    }

    /// The log written to.
    pub fn log(&self) -> &Arc<EventLog> {
        &self.log
    }
}

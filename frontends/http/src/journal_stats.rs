//! The journal's stats projection ([`lantern_replay::stats`]), kept current
//! by a thread that follows the log from its first event, for `/stats`.
//! Counters only: the server's memory does not grow with its log (the
//! proxy's own latency histograms are beside it in `/stats`).

use lantern_actors::runtime::Client;
use lantern_events::Recv;
use lantern_replay::stats::{Stats, Summary};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// The projection and the thread folding into it.
pub(crate) struct JournalStats {
    stats: Arc<Mutex<Stats>>,
    stop: Arc<AtomicBool>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl JournalStats {
    /// Follows `client`'s journal from seq 1.
    pub(crate) fn start(client: &Client) -> std::io::Result<Self> {
        let (stats, stop) = (Arc::new(Mutex::new(Stats::counters_only())), Arc::new(AtomicBool::new(false)));
        let (into, flag, mut sub) = (stats.clone(), stop.clone(), client.subscribe(1));
        let thread = std::thread::Builder::new().name("lantern-http-stats".into()).spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match sub.recv_timeout(Duration::from_millis(200)) {
                    Ok(Recv::Event(e)) => into.lock().unwrap_or_else(PoisonError::into_inner).apply(&e),
                    Ok(Recv::Timeout) => {}
                    Ok(Recv::Closed) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "the proxy's journal stats stopped following the log");
                        return;
                    }
                }
            }
        })?;
        Ok(JournalStats { stats, stop, thread: Mutex::new(Some(thread)) })
    }

    /// What the journal says so far.
    pub(crate) fn summary(&self) -> Summary {
        self.stats.lock().unwrap_or_else(PoisonError::into_inner).summary()
    }

    /// Stops following (so that nothing holds the log past the server).
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.lock().unwrap_or_else(PoisonError::into_inner).take() {
            let _ = t.join();
        }
    }
}

impl Drop for JournalStats {
    fn drop(&mut self) {
        self.stop();
    }
}

//! Follows the log on a thread of its own and hands committed envelopes to
//! the UI thread, waking it for each one.

use crossbeam_channel::{Receiver, Sender};
use lantern_events::{Envelope, Follow, Recv};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What the feed thread delivers.
#[derive(Debug, Clone)]
pub enum Fed {
    /// A committed envelope.
    Event(Arc<Envelope>),
    /// The log could not be read; the feed stopped.
    Failed(String),
}

/// The UI's end of the feed; dropping it stops the thread.
pub struct Feed {
    rx: Receiver<Fed>,
    stop: Arc<AtomicBool>,
}

impl Feed {
    /// Starts following `sub`; `wake` runs after each delivery (to repaint the UI).
    pub fn start(mut sub: Box<dyn Follow>, wake: impl Fn() + Send + 'static) -> std::io::Result<Self> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("lantern-ui-feed".into())
            .spawn(move || follow(&mut *sub, &tx, &wake, &flag))?;
        Ok(Self { rx, stop })
    }

    /// What arrived, without waiting.
    pub fn try_next(&self) -> Option<Fed> {
        self.rx.try_recv().ok()
    }

    /// Waits at most `limit` for the next delivery.
    pub fn next_within(&self, limit: Duration) -> Option<Fed> {
        self.rx.recv_timeout(limit).ok()
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn follow(sub: &mut dyn Follow, tx: &Sender<Fed>, wake: &dyn Fn(), stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        match sub.recv_timeout(Duration::from_millis(200)) {
            Ok(Recv::Event(e)) => {
                if tx.send(Fed::Event(e)).is_err() {
                    return;
                }
                wake();
            }
            Ok(Recv::Timeout) => {}
            Ok(Recv::Closed) => return,
            Err(e) => {
                let _ = tx.send(Fed::Failed(e.to_string()));
                wake();
                return;
            }
        }
    }
}

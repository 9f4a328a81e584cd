//! Terminal input read on a thread of its own and handed over a channel, so
//! that the drawing loop waits on the channel with a timeout and always sees
//! a stop request, even when the terminal has hung up (crossterm's poll can
//! then spin without returning). The thread pauses while `$EDITOR` owns the
//! terminal, so that it never takes the editor's keys.

use crossbeam_channel::{Receiver, RecvTimeoutError};
use crossterm::event::{self, Event};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long one poll of the terminal waits before the thread looks at its flags.
const POLL: Duration = Duration::from_millis(25);

/// The drawing loop's end of the input thread; dropping it stops the thread.
pub struct Input {
    rx: Receiver<std::io::Result<Event>>,
    /// Asks the thread to stop polling (the editor is about to run).
    pause: Arc<AtomicBool>,
    /// Set by the thread while it is not polling.
    idle: Arc<AtomicBool>,
    quit: Arc<AtomicBool>,
}

impl Input {
    /// Starts reading the terminal.
    pub fn start() -> std::io::Result<Self> {
        let (tx, rx) = crossbeam_channel::bounded(1024);
        let (pause, idle, quit) =
            (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
        let (p, i, q) = (pause.clone(), idle.clone(), quit.clone());
        std::thread::Builder::new().name("lantern-tui-input".into()).spawn(move || {
            while !q.load(Ordering::Relaxed) {
                if p.load(Ordering::Acquire) {
                    i.store(true, Ordering::Release);
                    std::thread::sleep(POLL);
                    continue;
                }
                i.store(false, Ordering::Release);
                let read = match event::poll(POLL) {
                    Ok(false) => continue,
                    Ok(true) => event::read(),
                    Err(e) => Err(e),
                };
                let failed = read.is_err();
                if tx.send(read).is_err() || failed {
                    return;
                }
            }
        })?;
        Ok(Self { rx, pause, idle, quit })
    }

    /// The next input, waiting at most `limit`.
    pub fn next_within(&self, limit: Duration) -> Option<std::io::Result<Event>> {
        match self.rx.recv_timeout(limit) {
            Ok(read) => Some(read),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => {
                Some(Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the terminal's input stopped")))
            }
        }
    }

    /// Input already read, without waiting.
    pub fn try_next(&self) -> Option<std::io::Result<Event>> {
        self.rx.try_recv().ok()
    }

    /// Runs `f` with the thread not reading the terminal (it waits at most
    /// one poll for the thread to stop).
    pub fn paused<T>(&self, f: impl FnOnce() -> T) -> T {
        self.pause.store(true, Ordering::Release);
        for _ in 0..40 {
            if self.idle.load(Ordering::Acquire) {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let out = f();
        self.idle.store(false, Ordering::Release);
        self.pause.store(false, Ordering::Release);
        out
    }
}

impl Drop for Input {
    fn drop(&mut self) {
        self.quit.store(true, Ordering::Relaxed);
    }
}

//! A journal on disk from a synthetic plan.

use lantern_events::EventLog;
use lantern_replay::progress::Silent;
use lantern_replay::source::{Loaded, Selection, load};
use lantern_replay::synthetic::{Plan, events};

/// A log written from `plan` in a fresh temp dir (kept alive by the returned guard).
pub fn log_of(plan: &Plan) -> (tempfile::TempDir, EventLog) {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(&dir.path().join(lantern_events::LOG_FILE)).unwrap();
    log.append_batch(events(plan)).unwrap();
    (dir, log)
}

/// Everything in the log.
pub fn load_all(log: &EventLog) -> Loaded {
    load(log, &Selection::default(), &mut Silent).unwrap()
}

//! Every way opening or reading a log can go wrong gets a typed error that says what to do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use lantern_events::codec::{self, CodecError};
use lantern_events::{AppendError, EventLog, OpenError, ReadError, SessionId};
use redb::{Database, ReadableTable, TableDefinition};

fn one_event() -> lantern_events::NewEvent {
    support::request_chain(&mut support::Rng::new(3), SessionId::new(), 0).remove(0)
}

#[test]
fn missing_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope").join("events.redb");
    let err = EventLog::open(&path).err().unwrap();
    assert!(matches!(err, OpenError::MissingDirectory { .. }), "{err}");
    assert!(err.to_string().contains("--data-dir"));
    assert!(matches!(EventLog::open_read_only(&path).err().unwrap(), OpenError::MissingDirectory { .. }));
}

#[test]
fn read_only_open_of_absent_log() {
    let dir = tempfile::tempdir().unwrap();
    let err = EventLog::open_read_only(&dir.path().join("events.redb")).err().unwrap();
    assert!(matches!(err, OpenError::NotFound { .. }), "{err}");
}

#[test]
fn corrupt_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.redb");
    let junk: Vec<u8> = (0..64 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &junk).unwrap();
    let err = EventLog::open(&path).err().unwrap();
    assert!(matches!(err, OpenError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("lantern log repair"), "{err}");
    // Nothing was rewritten.
    assert_eq!(std::fs::read(&path).unwrap(), junk);
    assert!(matches!(EventLog::open_read_only(&path).err().unwrap(), OpenError::Corrupt { .. }));
}

#[test]
fn file_held_by_another_writer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.redb");
    let _first = EventLog::open(&path).unwrap();
    let err = EventLog::open(&path).err().unwrap();
    assert!(matches!(err, OpenError::Locked { .. }), "{err:?}");
    assert!(err.to_string().contains("another Lantern process"));
    assert!(matches!(EventLog::open_read_only(&path).err().unwrap(), OpenError::Locked { .. }));
}

#[test]
fn read_only_log_reads_but_refuses_appends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.redb");
    EventLog::open(&path).unwrap().append(one_event()).unwrap();
    let ro = EventLog::open_read_only(&path).unwrap();
    assert!(ro.is_read_only());
    assert_eq!(ro.read_range(..).unwrap().len(), 1);
    assert!(matches!(ro.append(one_event()), Err(AppendError::ReadOnly)));
    // Its subscription delivers what is there, then reports closed.
    let mut sub = ro.subscribe(1);
    assert_eq!(sub.next().unwrap().unwrap().seq, 1);
    assert!(sub.next().is_none());
}

const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const FRAMES: TableDefinition<u64, &[u8]> = TableDefinition::new("frames");

#[test]
fn log_from_a_newer_schema_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.redb");
    drop(EventLog::open(&path).unwrap());
    {
        let db = Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(META).unwrap().insert("schema_version", 99).unwrap();
        txn.commit().unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = EventLog::open(&path).err().unwrap();
    assert!(matches!(err, OpenError::SchemaTooNew { found: 99, .. }), "{err:?}");
    assert!(err.to_string().contains("upgrade Lantern"));
    assert!(matches!(EventLog::open_read_only(&path).err().unwrap(), OpenError::SchemaTooNew { .. }));
    assert_eq!(std::fs::read(&path).unwrap(), before, "a refused log must not be rewritten");
}

#[test]
fn unreadable_record_is_a_typed_read_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.redb");
    EventLog::open(&path).unwrap().append(one_event()).unwrap();
    {
        let db = Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        let mut record = codec::encode(&one_event()).unwrap();
        let newer = codec::SCHEMA_VERSION + 1;
        record[5..7].copy_from_slice(&newer.to_le_bytes());
        let frame = codec::frame::encode(2, [record.as_slice()]);
        txn.open_table(FRAMES).unwrap().insert(2, frame.as_slice()).unwrap();
        txn.commit().unwrap();
    }
    let log = EventLog::open_read_only(&path).unwrap();
    let err = log.read_range(..).unwrap_err();
    let newer = codec::SCHEMA_VERSION + 1;
    assert!(
        matches!(err, ReadError::Record { seq: 2, source: CodecError::SchemaTooNew { found, .. } } if found == newer),
        "{err:?}"
    );
    assert_eq!(log.read_range(1..=1).unwrap().len(), 1);
}

/// A log of `n` batches of two events (one frame each, first seqs 1, 3, 5…).
fn two_event_batches(path: &std::path::Path, n: usize) {
    let log = EventLog::open(path).unwrap();
    for _ in 0..n {
        log.append_batch(vec![one_event(), one_event()]).unwrap();
    }
}

/// Flips `mask` into byte `at(len)` of each frame stored under `firsts`, as a bad disk would.
fn flip_in_frames(path: &std::path::Path, firsts: &[u64], at: fn(usize) -> usize, mask: u8) {
    let db = Database::create(path).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let mut frames = txn.open_table(FRAMES).unwrap();
        for &first in firsts {
            let mut frame = frames.get(first).unwrap().unwrap().value().to_vec();
            let i = at(frame.len());
            frame[i] ^= mask;
            frames.insert(first, frame.as_slice()).unwrap();
        }
    }
    txn.commit().unwrap();
}

#[test]
fn damaged_frame_is_a_typed_read_error_and_repair_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.redb");
    two_event_batches(&path, 2);
    flip_in_frames(&path, &[1], |len| len / 2, 0x20);
    // Read-only: the damaged range is named; the other frame still reads.
    let ro = EventLog::open_read_only(&path).unwrap();
    let err = ro.read_range(..).unwrap_err();
    assert!(
        matches!(err, ReadError::Damaged { first: 1, last: Some(2), source: CodecError::Checksum { .. } }),
        "{err:?}"
    );
    assert!(err.to_string().contains("events 1\u{2013}2"), "{err}");
    assert_eq!(ro.read_range(3..).unwrap().len(), 2);
    drop(ro);
    // Writable: refused, and the file is not touched.
    let before = std::fs::read(&path).unwrap();
    let err = EventLog::open(&path).err().unwrap();
    assert!(matches!(err, OpenError::Damaged { .. }), "{err:?}");
    assert!(err.to_string().contains("lantern log repair"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);

    let check = lantern_events::check_log(&path).unwrap();
    assert!(!check.is_healthy() && !check.unclean);
    let report = check.report.unwrap();
    assert_eq!((report.events, report.damaged.len()), (2, 1));
    assert_eq!((report.damaged[0].first, report.damaged[0].last), (1, Some(2)));

    let repaired = lantern_events::repair_log(&path).unwrap();
    assert_eq!(repaired.kept_events, 2);
    assert_eq!(repaired.lost.len(), 1);
    let old = repaired.old_file.unwrap();
    assert_eq!(std::fs::read(&old).unwrap(), before, "the old file is kept as it was");
    // The repaired log is healthy (the lost run is recorded), reads, and takes appends after its last seq.
    assert!(lantern_events::check_log(&path).unwrap().is_healthy());
    let log = EventLog::open(&path).unwrap();
    assert_eq!(log.read_range(..).unwrap().iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 4]);
    assert_eq!(log.append(one_event()).unwrap(), 5);
    assert_eq!(log.sessions().unwrap().len(), 3);
}

#[test]
fn a_repair_that_loses_the_tail_reuses_its_seqs_and_records_nothing_past_the_kept_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.redb");
    two_event_batches(&path, 3);
    flip_in_frames(&path, &[3, 5], |_| 6, 1);
    let repaired = lantern_events::repair_log(&path).unwrap();
    assert_eq!((repaired.kept_events, repaired.lost.len()), (2, 2), "{repaired:?}");
    let log = EventLog::open(&path).unwrap();
    assert_eq!(log.append(one_event()).unwrap(), 3, "the lost tail's seqs are reused");
    drop(log);
    let check = lantern_events::check_log(&path).unwrap();
    assert!(check.is_healthy(), "{check:?}");
    assert!(check.report.unwrap().lost.is_empty());
}

#[test]
fn an_unclean_shutdown_is_called_recoverable_and_check_proves_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.redb");
    let log = EventLog::open(&path).unwrap();
    log.append_batch(vec![one_event(), one_event()]).unwrap();
    // A copy taken while the writer holds the file is what a kill -9 leaves.
    let copy = dir.path().join("killed.redb");
    std::fs::copy(&path, &copy).unwrap();
    drop(log);
    match EventLog::open_read_only(&copy) {
        Err(e @ OpenError::Unclean { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("recoverable") && !msg.contains("new log"), "{msg}");
        }
        Ok(_) => {} // redb found nothing to recover
        Err(e) => panic!("{e:?}"),
    }
    let check = lantern_events::check_log(&copy).unwrap();
    assert!(check.is_recoverable_without_loss(), "{check:?}");
    assert_eq!(check.report.unwrap().events, 2);
    assert_eq!(EventLog::open(&copy).unwrap().read_range(..).unwrap().len(), 2);
}

#[test]
fn a_new_log_is_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.redb");
    drop(EventLog::open(&path).unwrap());
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
}

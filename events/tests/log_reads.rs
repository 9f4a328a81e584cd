//! Appends and reads: by range, session and request; session summaries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use lantern_events::schema::*;
use lantern_events::{Actor, EventLog, NewEvent, SessionId};
use proptest::prelude::*;

fn open() -> (tempfile::TempDir, EventLog) {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(&dir.path().join("events.redb")).unwrap();
    (dir, log)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn append_then_read_returns_exactly_what_was_appended(
        batches in prop::collection::vec(prop::collection::vec(support::arb_new_event(), 1..8), 1..6)
    ) {
        let (_dir, log) = open();
        let mut expected = Vec::new();
        for batch in batches {
            let range = log.append_batch(batch.clone()).unwrap();
            prop_assert_eq!(*range.start(), expected.len() as u64 + 1);
            for (event, seq) in batch.into_iter().zip(range) {
                expected.push(event.committed(seq));
            }
        }
        let read = log.read_range(..).unwrap();
        prop_assert_eq!(format!("{read:?}"), format!("{expected:?}"));
        prop_assert_eq!(log.last_seq().unwrap(), expected.len() as u64);
    }
}

#[test]
fn reads_by_session_request_and_range() {
    let (_dir, log) = open();
    let mut rng = support::Rng::new(7);
    let (a, b) = (SessionId::new(), SessionId::new());
    let chain_a = support::request_chain(&mut rng, a, 1_000);
    let chain_b = support::request_chain(&mut rng, b, 2_000);
    let request_a = chain_a[0].request.unwrap();
    // Interleave the two sessions.
    for (x, y) in chain_a.iter().zip(&chain_b) {
        log.append(x.clone()).unwrap();
        log.append(y.clone()).unwrap();
    }
    let session_a = log.read_session(a).unwrap();
    assert_eq!(session_a.len(), chain_a.len());
    assert!(session_a.iter().all(|e| e.session == a));
    assert_eq!(session_a.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 3, 5, 7, 9]);
    assert_eq!(log.read_request(request_a).unwrap().len(), chain_a.len());
    assert_eq!(log.read_range(3..=4).unwrap().iter().map(|e| e.seq).collect::<Vec<_>>(), vec![3, 4]);
    assert!(log.read_session(SessionId::new()).unwrap().is_empty());

    let summaries = log.sessions().unwrap();
    assert_eq!(summaries.len(), 2);
    let sa = log.session_summary(a).unwrap().unwrap();
    assert_eq!((sa.events, sa.prompts, sa.responses, sa.first_seq, sa.last_seq), (5, 1, 1, 1, 9));
}

#[test]
fn summaries_accumulate_across_commits_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.redb");
    let s = SessionId::new();
    let start = Event::SessionStarted(SessionStarted {
        frontend: FrontendKind::Desktop,
        lantern_version: "0.1.0".into(),
        privacy: PrivacyLevel::Full,
        workspace: None,
    });
    let end = Event::SessionEnded(SessionEnded { reason: EndReason::UserExit });
    {
        let log = EventLog::open(&path).unwrap();
        log.append(NewEvent::now(s, Actor::Frontend(FrontendKind::Desktop), start)).unwrap();
    }
    let log = EventLog::open(&path).unwrap();
    assert_eq!(log.append(NewEvent::now(s, Actor::Frontend(FrontendKind::Desktop), end)).unwrap(), 2);
    let sum = log.session_summary(s).unwrap().unwrap();
    assert_eq!(sum.events, 2);
    assert_eq!(sum.frontend, Some(FrontendKind::Desktop));
    assert!(sum.ended);
}

#[test]
fn concurrent_appenders_share_commits_and_get_dense_seqs() {
    let (_dir, log) = open();
    let log = std::sync::Arc::new(log);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut rng = support::Rng::new(t);
                let s = SessionId::new();
                (0..50)
                    .map(|i| log.append(support::request_chain(&mut rng, s, i).remove(0)).unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut seqs: Vec<u64> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=200).collect::<Vec<_>>());
}

#[test]
fn empty_batch_commits_nothing() {
    let (_dir, log) = open();
    assert!(log.append_batch(Vec::new()).unwrap().is_empty());
    assert_eq!(log.last_seq().unwrap(), 0);
}

#[test]
fn submit_tells_the_seqs_at_once_and_commits_them_in_that_order() {
    let (_dir, log) = open();
    let mut rng = support::Rng::new(9);
    let s = SessionId::new();
    let pendings: Vec<_> = (0..20)
        .map(|i| {
            log.submit(support::request_chain(&mut rng, s, i).into_iter().take(1 + (i as usize % 3)).collect()).unwrap()
        })
        .collect();
    let reserved: Vec<_> = pendings.iter().map(|p| p.seqs()).collect();
    // Reservations are contiguous, in submission order.
    let mut next = 1;
    for r in &reserved {
        assert_eq!(*r.start(), next);
        next = r.end() + 1;
    }
    for (p, r) in pendings.into_iter().zip(&reserved) {
        assert_eq!(&p.wait().unwrap(), r);
    }
    assert_eq!(log.last_seq().unwrap(), next - 1);
}

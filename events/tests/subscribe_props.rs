//! Property: a subscriber started at any seq sees every committed event
//! exactly once, in order, while appends continue concurrently.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use lantern_events::{EventLog, Recv, SessionId};
use proptest::prelude::*;
use std::sync::Arc;
use std::time::Duration;

fn run(pre: usize, concurrent: usize, batch: usize, from: u64, writers: u64) {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(EventLog::open(&dir.path().join("events.redb")).unwrap());
    let mut rng = support::Rng::new(from);
    let s = SessionId::new();
    for i in 0..pre {
        log.append(support::request_chain(&mut rng, s, i as i64).remove(0)).unwrap();
    }
    let mut sub = log.subscribe(from);
    let total = (pre + concurrent * batch * writers as usize) as u64;
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut rng = support::Rng::new(100 + w);
                for i in 0..concurrent {
                    let events = (0..batch).map(|_| support::request_chain(&mut rng, s, i as i64).remove(0)).collect();
                    log.append_batch(events).unwrap();
                }
            })
        })
        .collect();
    let mut seen = Vec::new();
    while (seen.len() as u64) < total.saturating_sub(from.max(1) - 1) {
        match sub.recv_timeout(Duration::from_secs(10)).unwrap() {
            Recv::Event(e) => seen.push(e.seq),
            other => panic!("stalled after {} events: {other:?}", seen.len()),
        }
    }
    for h in handles {
        h.join().unwrap();
    }
    let expected: Vec<u64> = (from.max(1)..=total).collect();
    assert_eq!(seen, expected);
    // Nothing extra arrives, and closing the log ends the subscription.
    assert!(matches!(sub.recv_timeout(Duration::from_millis(50)).unwrap(), Recv::Timeout));
    drop(log);
    assert!(matches!(sub.recv_timeout(Duration::from_secs(5)).unwrap(), Recv::Closed));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn subscriber_sees_everything_once_in_order(
        pre in 0usize..40, concurrent in 0usize..30, batch in 1usize..5, from in 0u64..60, writers in 1u64..3
    ) {
        run(pre, concurrent, batch, from, writers);
    }
}

#[test]
fn a_lagging_subscriber_catches_up_from_storage() {
    // More events than the live buffer holds, while the subscriber does not read.
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(&dir.path().join("events.redb")).unwrap();
    let mut sub = log.subscribe(1);
    assert!(matches!(sub.recv_timeout(Duration::from_millis(1)).unwrap(), Recv::Timeout));
    let mut rng = support::Rng::new(5);
    let s = SessionId::new();
    for _ in 0..5 {
        let events = (0..2000).map(|i| support::request_chain(&mut rng, s, i).remove(0)).collect();
        log.append_batch(events).unwrap();
    }
    let mut next = 1;
    while next <= 10_000 {
        match sub.recv_timeout(Duration::from_secs(5)).unwrap() {
            Recv::Event(e) => {
                assert_eq!(e.seq, next);
                next += 1;
            }
            other => panic!("stalled at {next}: {other:?}"),
        }
    }
}

#[test]
fn live_subscribers_see_the_shown_form_and_catch_up_reads_the_stored_one() {
    use lantern_events::schema::{Event, Text};
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(&dir.path().join("events.redb")).unwrap();
    let mut live = log.subscribe(1);
    assert!(matches!(live.recv_timeout(Duration::from_millis(1)).unwrap(), Recv::Timeout));
    let shown = support::request_chain(&mut support::Rng::new(8), SessionId::new(), 0).remove(0);
    let mut stored = shown.clone();
    if let Event::PromptSubmitted(p) = &mut stored.event {
        p.text = Text::Withheld { sha256: "ab".repeat(32), chars: 10 };
    }
    log.submit_shown(vec![stored.clone()], vec![shown.clone()]).unwrap().wait().unwrap();
    let Recv::Event(seen) = live.recv_timeout(Duration::from_secs(5)).unwrap() else { panic!() };
    assert_eq!(seen.event, shown.event, "live: the full form");
    let later = log.subscribe(1).next().unwrap().unwrap();
    assert_eq!(later.event, stored.event, "catch-up: what was written");
    assert_eq!(log.read_range(..).unwrap()[0].event, stored.event);
    assert!(log.submit_shown(vec![stored], vec![]).is_err());
}

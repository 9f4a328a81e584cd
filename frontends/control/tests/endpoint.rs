//! The control endpoint: reads through the holder are the file's reads, a
//! follower sees every committed event once and in order across the
//! catch-up/live switch, and a stale or foreign socket is handled.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../../events/tests/support/mod.rs"]
mod support;

use lantern_control::{ControlError, ControlServer, Found, Holder, SOCKET_FILE};
use lantern_events::{EventLog, Follow, ReadLog, Recv, SessionId};
use proptest::prelude::*;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn holder(dir: &Path) -> Arc<Holder> {
    match Holder::find(dir).unwrap() {
        Found::Holder(h) => h,
        _ => panic!("no holder at {}", dir.display()),
    }
}

/// A log of `sessions` sessions with a few request chains each.
fn filled(dir: &Path, sessions: usize) -> Arc<EventLog> {
    let log = Arc::new(EventLog::open(&dir.join("events.redb")).unwrap());
    let mut rng = support::Rng::new(7);
    for s in 0..sessions {
        let session = SessionId::new();
        for i in 0..3 {
            log.append_batch(support::request_chain(&mut rng, session, (s * 10 + i) as i64)).unwrap();
        }
    }
    log
}

#[test]
fn reads_through_the_holder_are_the_reads_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let log = filled(dir.path(), 4);
    let _server = ControlServer::start(dir.path(), log.clone(), None).unwrap();
    let remote = holder(dir.path()).log();

    assert_eq!(remote.path(), log.path());
    assert_eq!(ReadLog::last_seq(&remote).unwrap(), log.last_seq().unwrap());
    assert_eq!(ReadLog::sessions(&remote).unwrap(), log.sessions().unwrap());
    assert_eq!(remote.damage(), None);
    for s in log.sessions().unwrap() {
        assert_eq!(ReadLog::session_summary(&remote, s.session).unwrap(), Some(s.clone()));
        let events = log.read_session(s.session).unwrap();
        assert_eq!(ReadLog::read_session(&remote, s.session).unwrap(), events);
        let request = events.iter().find_map(|e| e.request).unwrap();
        assert_eq!(ReadLog::read_request(&remote, request).unwrap(), log.read_request(request).unwrap());
    }
    assert_eq!(ReadLog::session_summary(&remote, SessionId::new()).unwrap(), None);

    // A whole visit, one that spans more than one chunk, and one that stops early.
    let mut all = Vec::new();
    remote
        .visit(1, u64::MAX, &mut |e| {
            all.push(e);
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(all, log.read_range(..).unwrap());
    let mut first_five = Vec::new();
    remote
        .visit(3, u64::MAX, &mut |e| {
            first_five.push(e.seq);
            if first_five.len() == 5 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        })
        .unwrap();
    assert_eq!(first_five, vec![3, 4, 5, 6, 7]);
}

#[test]
fn a_visit_longer_than_one_chunk_reads_every_event_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(EventLog::open(&dir.path().join("events.redb")).unwrap());
    let mut rng = support::Rng::new(3);
    let s = SessionId::new();
    let events = (0..10_000).map(|i| support::request_chain(&mut rng, s, i).remove(0)).collect();
    log.append_batch(events).unwrap();
    let _server = ControlServer::start(dir.path(), log.clone(), None).unwrap();
    let remote = holder(dir.path()).log();
    let mut seqs = Vec::new();
    remote
        .visit(2, 9_999, &mut |e| {
            seqs.push(e.seq);
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(seqs, (2..=9_999).collect::<Vec<_>>());
}

fn follow_while_appending(pre: usize, concurrent: usize, batch: usize, from: u64, writers: u64) {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(EventLog::open(&dir.path().join("events.redb")).unwrap());
    let mut rng = support::Rng::new(from);
    let s = SessionId::new();
    for i in 0..pre {
        log.append(support::request_chain(&mut rng, s, i as i64).remove(0)).unwrap();
    }
    let server = ControlServer::start(dir.path(), log.clone(), None).unwrap();
    let mut sub = holder(dir.path()).follow(from).unwrap();
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
    assert_eq!(seen, (from.max(1)..=total).collect::<Vec<_>>());
    assert_eq!(sub.next_seq(), (total + 1).max(from));
    assert!(matches!(sub.recv_timeout(Duration::from_millis(50)).unwrap(), Recv::Timeout));
    // The holder stopping ends the subscription with an error that says so
    // (not as a closed log), and frees the log.
    drop(server);
    let stopped = sub.recv_timeout(Duration::from_secs(5)).unwrap_err();
    assert!(stopped.to_string().contains("stopped"), "{stopped}");
    drop(log);
    EventLog::open(&dir.path().join("events.redb")).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn a_follower_over_the_endpoint_sees_everything_once_in_order(
        pre in 0usize..40, concurrent in 0usize..30, batch in 1usize..5, from in 0u64..60, writers in 1u64..3
    ) {
        follow_while_appending(pre, concurrent, batch, from, writers);
    }
}

#[test]
fn a_follower_that_does_not_read_never_blocks_the_writer_and_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(EventLog::open(&dir.path().join("events.redb")).unwrap());
    let _server = ControlServer::start(dir.path(), log.clone(), None).unwrap();
    let mut sub = holder(dir.path()).follow(1).unwrap();
    assert!(matches!(sub.recv_timeout(Duration::from_millis(20)).unwrap(), Recv::Timeout));
    // Far more than the live fan-out, the feed's buffer and the socket hold.
    let (done, appended) = std::sync::mpsc::channel();
    let writer = log.clone();
    std::thread::spawn(move || {
        let mut rng = support::Rng::new(5);
        let s = SessionId::new();
        for _ in 0..20 {
            let events = (0..2000).map(|i| support::request_chain(&mut rng, s, i).remove(0)).collect();
            writer.append_batch(events).unwrap();
        }
        done.send(()).unwrap();
    });
    appended.recv_timeout(Duration::from_secs(60)).expect("the writer waited on a follower that does not read");
    let mut next = 1;
    while next <= 40_000 {
        match sub.recv_timeout(Duration::from_secs(10)).unwrap() {
            Recv::Event(e) => {
                assert_eq!(e.seq, next);
                next += 1;
            }
            other => panic!("stalled at {next}: {other:?}"),
        }
    }
}

#[test]
fn a_stale_socket_is_reported_and_replaced_by_the_next_holder_and_a_live_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join(SOCKET_FILE);
    assert!(matches!(Holder::find(dir.path()).unwrap(), Found::Nobody));
    // What a killed holder leaves: a socket file nobody listens on. A
    // client says so and leaves it (only a holder of the log removes it).
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    assert!(matches!(Holder::find(dir.path()).unwrap(), Found::Stale(p) if p == socket));
    assert!(socket.exists());

    // A holder starting over a stale socket takes its place.
    let log = filled(dir.path(), 1);
    let server = ControlServer::start(dir.path(), log.clone(), None).unwrap();
    assert!(server.replaced_stale());
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&socket).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let second = ControlServer::start(dir.path(), log.clone(), None);
    assert!(matches!(second, Err(ControlError::AlreadyServed { .. })));
    assert!(matches!(Holder::find(dir.path()).unwrap(), Found::Holder(_)), "the first holder still serves");
    drop(server);
    assert!(!socket.exists(), "a holder that stops removes its socket");
}

#[test]
fn ops_on_a_holder_without_a_pipeline_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let log = filled(dir.path(), 1);
    let _server = ControlServer::start(dir.path(), log, None).unwrap();
    let err = holder(dir.path()).cache_stats().unwrap_err();
    assert!(err.to_string().contains("runs no pipeline"), "{err}");
}

#[test]
fn another_users_socket_is_refused() {
    if !rustix::process::getuid().is_root() {
        // Only root can make a socket owned by another user here.
        eprintln!("skipped: needs root to chown a socket to another user");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join(SOCKET_FILE);
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    std::os::unix::fs::chown(&socket, Some(65_534), None).unwrap();
    let err = Holder::find(dir.path()).err().expect("a foreign socket is an error");
    assert!(matches!(err, ControlError::OtherUser { owner: 65_534, .. }), "{err}");
    assert!(err.to_string().contains("belongs to uid 65534"), "{err}");
}

#[test]
fn a_session_larger_than_any_frame_reads_whole_and_the_connection_stays_in_step() {
    use lantern_events::schema::{Event, PromptContext, PromptOrigin, PromptSubmitted};
    use lantern_events::{Actor, NewEvent, RequestId};
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(EventLog::open(&dir.path().join("events.redb")).unwrap());
    let session = SessionId::new();
    // 8 prompts of 10 MiB: 80 MiB of one session, more than a frame may hold.
    for i in 0..8u8 {
        let text = char::from(b'a' + i).to_string().repeat(10 << 20);
        let event = Event::PromptSubmitted(PromptSubmitted {
            text: text.into(),
            model: "m".into(),
            context: PromptContext::default(),
            origin: PromptOrigin::Typed,
        });
        log.append(NewEvent::now(session, Actor::Telemetry, event).in_request(RequestId::new())).unwrap();
    }
    let _server = ControlServer::start(dir.path(), log.clone(), None).unwrap();
    let remote = holder(dir.path()).log();
    let through = ReadLog::read_session(&remote, session).unwrap();
    assert_eq!(through.len(), 8);
    assert!(through == log.read_session(session).unwrap());
    // The same connection answers the next request with its own answer.
    assert_eq!(ReadLog::last_seq(&remote).unwrap(), 8);
    assert_eq!(ReadLog::sessions(&remote).unwrap().len(), 1);
}

#[test]
fn a_holder_that_does_not_answer_is_named_not_waited_on_forever() {
    let dir = tempfile::tempdir().unwrap();
    // Accepts connections (the kernel's backlog) but never answers, like a
    // holder stopped with Ctrl-Z.
    let _silent = std::os::unix::net::UnixListener::bind(dir.path().join(SOCKET_FILE)).unwrap();
    let err = Holder::find(dir.path()).err().expect("a silent holder is an error");
    assert!(matches!(err, ControlError::Unresponsive { .. }), "{err}");
    assert!(err.to_string().contains("did not answer"), "{err}");
}

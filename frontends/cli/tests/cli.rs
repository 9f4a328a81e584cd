//! The `lantern` binary, run as a user runs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use lantern_events::{EventLog, LOG_FILE};
use std::process::{Command, Output};

fn lantern(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lantern"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("LANTERN_DATA_DIR")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn demo_records_a_session_that_sessions_and_replay_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fresh"); // created on demand
    let demo = lantern(&data, &["demo"]);
    assert!(demo.status.success(), "{}", stderr(&demo));
    let text = stdout(&demo);
    assert!(text.contains("How do I reverse a string in Python?"), "{text}");

    // The log on disk holds exactly the session the demo printed.
    let log = EventLog::open_read_only(&data.join(LOG_FILE)).unwrap();
    let sessions = log.sessions().unwrap();
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert_eq!((s.events, s.prompts, s.ended), (5, 3, true));
    drop(log);

    let id = s.session.to_string();
    let shown = lantern(&data, &["replay", "show", &id[..13]]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    assert_eq!(stdout(&shown).matches("prompt \"").count(), 3);

    let json = lantern(&data, &["replay", "show", &id, "--json"]);
    let lines: Vec<serde_json::Value> = stdout(&json).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines.iter().map(|l| l["seq"].as_u64().unwrap()).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
    assert!(lines[1]["event"]["PromptSubmitted"].is_object());

    let listed = lantern(&data, &["sessions"]);
    assert!(stdout(&listed).contains(&id));
    let listed = lantern(&data, &["replay", "sessions", "--json"]);
    assert_eq!(stdout(&listed).lines().count(), 1);
}

#[test]
fn a_second_demo_appends_a_second_session() {
    let dir = tempfile::tempdir().unwrap();
    assert!(lantern(dir.path(), &["demo"]).status.success());
    assert!(lantern(dir.path(), &["demo"]).status.success());
    let log = EventLog::open_read_only(&dir.path().join(LOG_FILE)).unwrap();
    assert_eq!(log.sessions().unwrap().len(), 2);
    assert_eq!(log.last_seq().unwrap(), 10);
}

#[test]
fn unknown_session_and_missing_log_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let o = lantern(dir.path(), &["sessions"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no Lantern log"), "{}", stderr(&o));

    let o = lantern(&dir.path().join("missing"), &["replay", "show", "abc"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("does not exist"), "{}", stderr(&o));

    assert!(lantern(dir.path(), &["demo"]).status.success());
    let o = lantern(dir.path(), &["replay", "show", "ffff"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("lantern sessions"), "{}", stderr(&o));
}

#[test]
fn a_log_held_by_another_process_is_reported_not_waited_on() {
    let dir = tempfile::tempdir().unwrap();
    let _held = EventLog::open(&dir.path().join(LOG_FILE)).unwrap();
    for args in [&["sessions"][..], &["demo"][..]] {
        let o = lantern(dir.path(), args);
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("held by another Lantern process"), "{}", stderr(&o));
    }
}

#[test]
fn a_corrupt_log_is_reported_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(LOG_FILE);
    std::fs::write(&path, vec![0x5a; 8192]).unwrap();
    let o = lantern(dir.path(), &["demo"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("corrupt"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&path).unwrap(), vec![0x5a; 8192]);
}

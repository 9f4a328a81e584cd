//! The `lantern` binary, run as a user runs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use lantern_events::{EventLog, LOG_FILE};
use std::process::Output;
use support::{lantern, stderr, stdout};

/// The command failed (status 1) with a message containing `needle`.
fn fails_saying(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(1), "{}", stderr(o));
    assert!(stderr(o).contains(needle), "{}", stderr(o));
}

#[test]
fn demo_runs_the_pipeline_and_sessions_and_replay_read_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fresh"); // created on demand
    let demo = lantern(&data, &["demo"]);
    assert!(demo.status.success(), "{}", stderr(&demo));
    let text = stdout(&demo);
    assert!(text.contains("[Cache: exact hit · entry "), "{text}");
    assert!(text.contains("[Cache: semantic hit · similarity "), "{text}");
    assert!(text.contains("The cache refused a near match"), "{text}");
    assert!(text.contains("• selection: "), "{text}");
    assert!(text.contains("re-run on the 5 logged prompt(s): 5 identical, 0 determinism bug(s)"), "{text}");

    // The log on disk holds the session the demo printed.
    let log = EventLog::open_read_only(&data.join(LOG_FILE)).unwrap();
    let sessions = log.sessions().unwrap();
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert_eq!((s.prompts, s.responses, s.cache_hits, s.ended), (5, 5, 2, true));
    let events = log.read_session(s.session).unwrap();
    drop(log);

    let id = s.session.to_string();
    let shown = lantern(&data, &["replay", "show", &id[..13]]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    assert_eq!(stdout(&shown).matches("prompt \"").count(), 5);

    let json = lantern(&data, &["replay", "show", &id, "--json"]);
    let lines: Vec<serde_json::Value> = stdout(&json).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), events.len());
    assert!(lines.windows(2).all(|w| w[0]["seq"].as_u64() < w[1]["seq"].as_u64()));

    let listed = lantern(&data, &["sessions"]);
    assert!(stdout(&listed).contains(&id));
    let stats = lantern(&data, &["stats", "--json", "--no-cache-stats"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&stats)).unwrap();
    assert_eq!((v["log"]["exact_hits"].as_u64(), v["log"]["semantic_hits"].as_u64()), (Some(1), Some(1)));
    counters_add_up(&v["log"]);
}

/// The identities docs/guide.md ("Statistics") promises on a finished log.
fn counters_add_up(log: &serde_json::Value) {
    let n = |k: &str| log[k].as_u64().unwrap();
    let sum = |k: &str| log[k].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum::<u64>();
    assert_eq!(n("prompts"), n("refined") + n("not_refined"), "{log}");
    assert_eq!(sum("decisions"), n("refined"), "{log}");
    assert_eq!(n("cache_checks"), n("exact_hits") + n("semantic_hits") + sum("misses"), "{log}");
    assert_eq!(sum("responses") + n("upstream_failures"), n("cache_checks"), "{log}");
    let from_cache = log["responses"]["cache"].as_u64().unwrap_or(0);
    assert!(from_cache <= n("exact_hits") + n("semantic_hits"), "{log}");
}

#[test]
fn ask_prints_the_chain_as_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let o = lantern(dir.path(), &["ask", "How do I parse JSON in Go?", "--approve", "original", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let kinds: Vec<String> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| v["event"].as_object().unwrap().keys().next().unwrap().clone())
        .collect();
    assert_eq!(kinds.first().map(String::as_str), Some("SessionStarted"), "{kinds:?}");
    for k in [
        "PromptSubmitted",
        "RefinementProposed",
        "ApprovalDecided",
        "CacheChecked",
        "ResponseDelivered",
        "SessionEnded",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing from {kinds:?}");
    }
}

#[test]
fn ask_refuses_to_wait_for_a_decision_nobody_can_type() {
    let dir = tempfile::tempdir().unwrap();
    let o = lantern(dir.path(), &["ask", "hello"]); // --approve ask, stdin not a terminal
    fails_saying(&o, "--approve accept");
}

#[test]
fn a_missing_python_environment_names_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let o = lantern(dir.path(), &["ask", "hello", "--approve", "accept", "--venv", "/nonexistent/venv"]);
    fails_saying(&o, "make setup");
}

#[test]
fn unknown_session_and_missing_log_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let o = lantern(dir.path(), &["sessions"]);
    fails_saying(&o, "no Lantern log");

    let o = lantern(&dir.path().join("missing"), &["replay", "show", "abc"]);
    fails_saying(&o, "does not exist");

    EventLog::open(&dir.path().join(LOG_FILE)).unwrap(); // an empty log
    let o = lantern(dir.path(), &["replay", "show", "ffff"]);
    fails_saying(&o, "lantern sessions");
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
    fails_saying(&o, "is damaged");
    fails_saying(&o, "lantern log repair");
    assert_eq!(std::fs::read(&path).unwrap(), vec![0x5a; 8192]);
    let o = lantern(dir.path(), &["log", "check"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("unreadable"), "{}", stdout(&o));
    // Repair sets it aside, as it was; the next command starts a new log.
    let o = lantern(dir.path(), &["log", "repair"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("lost: events from 1 on"), "{}", stdout(&o));
    assert!(!path.exists());
    assert!(lantern(dir.path(), &["demo"]).status.success());
}

/// Every copy of `needle` in the file, changed: what a bad disk does to a prompt.
fn damage(path: &std::path::Path, needle: &[u8]) -> usize {
    let mut bytes = std::fs::read(path).unwrap();
    let mut n = 0;
    let mut at = 0;
    while let Some(i) = bytes[at..].windows(needle.len()).position(|w| w == needle) {
        bytes[at + i + 1] ^= 0x20;
        at += i + 1;
        n += 1;
    }
    std::fs::write(path, bytes).unwrap();
    n
}

#[test]
fn a_damaged_log_names_the_damage_refuses_writes_and_is_repaired() {
    let dir = tempfile::tempdir().unwrap();
    assert!(lantern(dir.path(), &["demo"]).status.success());
    let o = lantern(dir.path(), &["log", "check"]);
    assert!(o.status.success() && stdout(&o).contains(": healthy"), "{}", stdout(&o));
    let path = dir.path().join(LOG_FILE);
    assert!(damage(&path, b"reverse a string in Python") > 0);

    // Read-only commands still answer, and say what they leave out.
    let o = lantern(dir.path(), &["sessions"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("is damaged"), "{}", stderr(&o));
    // Nothing writes into it.
    let before = std::fs::read(&path).unwrap();
    let o = lantern(dir.path(), &["ask", "--offline", "--approve", "accept", "hello there"]);
    fails_saying(&o, "failed verification");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let o = lantern(dir.path(), &["log", "check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("damaged: event"), "{}", stdout(&o));

    let o = lantern(dir.path(), &["log", "repair"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("lost: event") && stdout(&o).contains("The old file is kept at"), "{}", stdout(&o));
    let kept = std::fs::read_dir(dir.path()).unwrap().filter_map(Result::ok);
    let old = kept.map(|e| e.path()).find(|p| p.to_string_lossy().contains(".damaged-")).unwrap();
    assert_eq!(std::fs::read(old).unwrap(), before, "the damaged file is kept as it was");
    assert!(lantern(dir.path(), &["log", "check"]).status.success());
    assert!(lantern(dir.path(), &["ask", "--offline", "--approve", "accept", "hello there"]).status.success());
}

#[test]
fn the_data_dir_and_its_files_are_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("umask 000; exec '{}' --data-dir '{}' demo", env!("CARGO_BIN_EXE_lantern"), data.display()))
        .env_remove("LANTERN_DATA_DIR")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    let mut files = 0;
    let mut dirs = vec![data.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap().map(Result::unwrap) {
            let p = e.path();
            if p.is_dir() {
                assert_eq!(mode(&p), 0o700, "{}", p.display());
                dirs.push(p);
            } else {
                assert_eq!(mode(&p) & 0o077, 0, "{} is readable by others", p.display());
                files += 1;
            }
        }
    }
    assert!(files >= 2, "the log and the cache");
}

#[test]
fn metadata_privacy_shows_the_answer_but_keeps_only_digests_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let prompt = "How do I memoize a recursive Fibonacci in Haskell?";
    let o = lantern(dir.path(), &["ask", prompt, "--approve", "original", "--privacy", "metadata"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("Answer") && text.contains("no model was asked"), "the user sees the answer: {text}");
    let bytes = std::fs::read(dir.path().join(LOG_FILE)).unwrap();
    assert!(!bytes.windows(prompt.len()).any(|w| w == prompt.as_bytes()), "the prompt reached the log file");
    let log = EventLog::open_read_only(&dir.path().join(LOG_FILE)).unwrap();
    let events = log.read_range(..).unwrap();
    let submitted = events.iter().find_map(|e| match &e.event {
        lantern_events::schema::Event::PromptSubmitted(p) => Some(p.text.clone()),
        _ => None,
    });
    let want = prompt.chars().count() as u32;
    assert!(
        matches!(submitted, Some(lantern_events::schema::Text::Withheld { chars, .. }) if chars == want),
        "{submitted:?}"
    );
}

#[test]
fn privacy_off_is_refused_where_the_user_follows_events() {
    let dir = tempfile::tempdir().unwrap();
    let o = lantern(dir.path(), &["ask", "hello", "--approve", "accept", "--privacy", "off"]);
    fails_saying(&o, "--privacy metadata");
}

#[test]
fn malformed_arguments_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.rs");
    std::fs::write(&file, "fn a() {}\n").unwrap();
    let f = file.to_str().unwrap();
    let o = lantern(dir.path(), &["ask", "x", "--approve", "accept", "--file", f, "--lines", "5:2"]);
    fails_saying(&o, "A must not exceed B");
    let o = lantern(dir.path(), &["ask", "x", "--approve", "accept", "--file", f, "--lines", "seven"]);
    fails_saying(&o, "--lines takes A:B");
    let o = lantern(dir.path(), &["ask", "x", "--approve", "accept", "--file", f, "--lines", "3:4"]);
    assert!(stderr(&o).contains("has no line 3"), "{}", stderr(&o));
    let o = lantern(dir.path(), &["frobnicate"]);
    assert_eq!(o.status.code(), Some(2), "usage errors exit 2");
}

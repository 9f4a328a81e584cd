//! `lantern replay verify | what-if | show` and `lantern export`, run as a user runs them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use lantern_events::schema::{Event, Text};
use lantern_events::{EventLog, LOG_FILE};
use lantern_replay::synthetic::{Plan, events};
use std::process::Output;
use support::{lantern, stderr, stdout};

fn exits(o: &Output, code: i32, needle: &str) {
    assert_eq!(o.status.code(), Some(code), "stdout: {}\nstderr: {}", stdout(o), stderr(o));
    assert!(stdout(o).contains(needle) || stderr(o).contains(needle), "{}\n{}", stdout(o), stderr(o));
}

/// A data dir whose log holds a synthetic journal, optionally tampered with.
fn data_dir(tamper: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut evs = events(&Plan::new(3, 8, 4));
    if tamper {
        let p = evs
            .iter_mut()
            .find_map(|e| match &mut e.event {
                Event::RefinementProposed(p) if p.original != p.refined => Some(p),
                _ => None,
            })
            .unwrap();
        p.refined = Text::Full("a refinement today's Refiner would never write".into());
    }
    EventLog::open(&dir.path().join(LOG_FILE)).unwrap().append_batch(evs).unwrap();
    dir
}

#[test]
fn verify_passes_on_a_faithful_log_and_exits_4_on_a_determinism_bug() {
    let good = data_dir(false);
    let o = lantern(good.path(), &["replay", "verify"]);
    exits(&o, 0, "24 identical, 0 changed, 0 determinism bug(s)");

    let bad = data_dir(true);
    let o = lantern(bad.path(), &["replay", "verify"]);
    exits(&o, 4, "DETERMINISM BUG");
    let json = lantern(bad.path(), &["replay", "verify", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(report["refiner"]["divergent"], 1);
    let diff = &report["changed"][0]["refiner"]["differences"][0];
    assert_eq!(diff["field"], "refined");
    assert_eq!(diff["logged"], "a refinement today's Refiner would never write");
}

#[test]
fn what_if_reports_how_decisions_change_and_names_a_bad_config() {
    let dir = data_dir(false);
    let cfg = dir.path().join("no-structure.toml");
    std::fs::write(&cfg, "[rules]\nadd_structure = false\nattach_selection = false\n").unwrap();
    let o = lantern(dir.path(), &["replay", "what-if", "--refiner-config", cfg.to_str().unwrap()]);
    exits(&o, 0, "logged decision   same proposal   different proposal   no change proposed");
    assert!(stdout(&o).contains("changes: AddedStructure"), "{}", stdout(&o));

    std::fs::write(&cfg, "[rules\n").unwrap();
    let o = lantern(dir.path(), &["replay", "what-if", "--refiner-config", cfg.to_str().unwrap()]);
    exits(&o, 1, "no-structure.toml");
}

#[test]
fn show_prints_each_decision_chain() {
    let dir = data_dir(false);
    let log = EventLog::open_read_only(&dir.path().join(LOG_FILE)).unwrap();
    let id = log.sessions().unwrap()[0].session.to_string();
    drop(log);
    let o = lantern(dir.path(), &["replay", "show", &id[..18]]);
    exits(&o, 0, "original");
    let text = stdout(&o);
    for stage in ["refined", "decision", "cache", "response", "suggestions"] {
        assert!(text.contains(stage), "{stage} missing:\n{text}");
    }
    assert_eq!(text.matches("\n  request ").count(), 8, "{text}");
}

#[test]
fn export_writes_data_and_card_and_refuses_what_it_cannot_do() {
    let dir = data_dir(false);
    let out = dir.path().join("ds");
    let o =
        lantern(dir.path(), &["export", "--kind", "routing", "--format", "parquet", "--out", out.to_str().unwrap()]);
    exits(&o, 0, "24 routing rows");
    assert!(out.join("README.md").exists());

    // The same directory again: refused, and what is there stays.
    let o = lantern(dir.path(), &["export", "--kind", "routing", "--out", out.to_str().unwrap()]);
    exits(&o, 1, "already holds files");
    assert!(out.join("README.md").exists());

    let empty = dir.path().join("empty");
    let o =
        lantern(dir.path(), &["export", "--kind", "sft", "--since", "2099-01-01", "--out", empty.to_str().unwrap()]);
    exits(&o, 5, "nothing to export");

    let o = lantern(dir.path(), &["export", "--kind", "sft", "--since", "last week", "--out", "x"]);
    exits(&o, 2, "is not YYYY-MM-DD");
    let o = lantern(dir.path(), &["export", "--kind", "sft", "--validation", "1.5", "--out", "x"]);
    exits(&o, 2, "not a number from 0 to 1");
    let o = lantern(dir.path(), &["export", "--kind", "tweets", "--out", "x"]);
    exits(&o, 2, "invalid value 'tweets'");
    let o = lantern(&dir.path().join("nowhere"), &["export", "--kind", "sft", "--out", "x"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[test]
fn anonymized_exports_keep_a_private_salt_and_stable_pseudonyms() {
    let dir = data_dir(false);
    let run = |name: &str| {
        let out = dir.path().join(name);
        let o = lantern(
            dir.path(),
            &["export", "--kind", "routing", "--anonymize", "--validation", "0", "--out", out.to_str().unwrap()],
        );
        exits(&o, 0, "routing rows");
        std::fs::read_to_string(out.join("routing.train.jsonl")).unwrap()
    };
    let (a, b) = (run("a"), run("b"));
    assert_eq!(a, b, "the same salt must give the same pseudonyms");
    assert!(a.contains("\"session\":\"s-"), "{a}");
    let salt = dir.path().join("export-salt");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&salt).unwrap().permissions().mode() & 0o777, 0o600);
    }
    std::fs::write(&salt, b"short").unwrap();
    let o = lantern(
        dir.path(),
        &["export", "--kind", "routing", "--anonymize", "--out", dir.path().join("c").to_str().unwrap()],
    );
    exits(&o, 1, "export-salt is damaged");
}

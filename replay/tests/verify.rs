#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! `replay verify` and `replay what-if` against synthetic journals.

mod support;

use lantern_actors::refiner::RefinerConfig;
use lantern_events::schema::{Event, Text};
use lantern_replay::chain::Chains;
use lantern_replay::synthetic::{Plan, events};
use lantern_replay::verify::{Outcome, verify};
use lantern_replay::whatif::{Proposed, what_if};
use support::{load_all, log_of};

#[test]
fn a_log_written_by_todays_refiner_verifies_identical() {
    let (_dir, log) = log_of(&Plan::new(8, 12, 1));
    let loaded = load_all(&log);
    let report = verify(&loaded.chains, &RefinerConfig::default(), |_| true);
    assert_eq!(report.requests, 96);
    assert_eq!(report.determinism_bugs(), 0, "{:#?}", report.changed.first());
    assert_eq!(report.refiner.changed, 0);
    // Session 6 was journalled at privacy `metadata`: its 12 prompts cannot be re-run.
    assert_eq!(report.refiner.skipped.get("text withheld by the privacy level"), Some(&12));
    assert_eq!(report.refiner.identical, 96 - 12);
    assert!(report.suggestions.identical > 40, "{:?}", report.suggestions);
    assert_eq!(report.suggestions.changed, 0, "{:#?}", report.changed.first());
}

fn tampered(plan: &Plan, edit: impl Fn(&mut lantern_events::schema::RefinementProposed)) -> Chains {
    let mut evs = events(plan);
    let target = evs.iter_mut().find_map(|e| match &mut e.event {
        Event::RefinementProposed(p) if p.original != p.refined => Some(p),
        _ => None,
    });
    edit(target.unwrap());
    let envelopes: Vec<_> = evs.into_iter().enumerate().map(|(i, e)| e.committed(i as u64 + 1)).collect();
    Chains::from_events(&envelopes)
}

#[test]
fn a_changed_proposal_under_the_same_stamp_is_a_determinism_bug() {
    let chains = tampered(&Plan::new(2, 6, 3), |p| p.refined = Text::Full("something else entirely".into()));
    let report = verify(&chains, &RefinerConfig::default(), |_| true);
    assert_eq!(report.determinism_bugs(), 1);
    let Outcome::Changed { same_refiner: true, differences } = &report.changed[0].refiner else { panic!() };
    assert_eq!(differences[0].field, "refined");
    assert_eq!(differences[0].logged, "something else entirely");
}

#[test]
fn a_changed_proposal_under_another_config_is_expected() {
    let chains = tampered(&Plan::new(2, 6, 3), |p| {
        p.refined = Text::Full("older refiner output".into());
        p.refiner.config_hash = "0000000000000000".into();
    });
    let report = verify(&chains, &RefinerConfig::default(), |_| true);
    assert_eq!(report.determinism_bugs(), 0);
    assert_eq!(report.refiner.changed, 1);
}

#[test]
fn what_if_tallies_decisions_against_the_alternative_proposals() {
    let chains = lantern_replay::synthetic::chains(&Plan::new(4, 10, 5));
    let same = what_if(&chains, &RefinerConfig::default(), |_| true);
    assert_eq!(same.changed.len(), 0);
    assert!(same.decisions.values().all(|row| row.get(&Proposed::Different).is_none()));

    let mut off = RefinerConfig::default();
    off.rules.add_structure = false;
    off.rules.attach_selection = false;
    let report = what_if(&chains, &off, |_| true);
    assert!(!report.changed.is_empty());
    let different: u64 = report.decisions.values().filter_map(|row| row.get(&Proposed::Different)).sum();
    let no_change: u64 = report.decisions.values().filter_map(|row| row.get(&Proposed::NoChange)).sum();
    assert!(different + no_change >= report.changed.len() as u64);
    assert!(report.tokens_after.alternative < report.tokens_after.logged);
    let structure = report.change_kinds.get("AddedStructure").copied().unwrap();
    assert!(structure.0 > 0 && structure.1 == 0, "{structure:?}");
    assert_eq!(report.compared + report.skipped.values().sum::<u64>(), report.requests);
}

#[test]
fn refiner_configs_load_from_toml_and_json_and_bad_ones_say_where() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("alt.toml");
    std::fs::write(&toml, "max_anchors = 2\n[rules]\nadd_structure = false\n").unwrap();
    let c = lantern_replay::whatif::load_config(&toml).unwrap();
    assert_eq!((c.max_anchors, c.rules.add_structure, c.rules.attach_selection), (2, false, true));
    let json = dir.path().join("alt.json");
    std::fs::write(&json, r#"{"rules": {"normalise_whitespace": false}}"#).unwrap();
    assert!(!lantern_replay::whatif::load_config(&json).unwrap().rules.normalise_whitespace);
    std::fs::write(&toml, "max_anchors = \"many\"").unwrap();
    let err = lantern_replay::whatif::load_config(&toml).unwrap_err().to_string();
    assert!(err.contains("alt.toml") && err.contains("max_anchors"), "{err}");
}

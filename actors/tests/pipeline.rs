//! The whole pipeline, through the actor system, the real Widget-Log in
//! `.venv` and the local fake of the Anthropic API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use lantern_actors::cache_bridge::{BridgeConfig, BridgeError};
use lantern_actors::pipeline::{SemanticMode, Settings};
use lantern_actors::runtime::{Runtime, RuntimeConfig, StartError};
use lantern_events::EventLog;
use lantern_events::schema::*;
use std::sync::Arc;
use std::time::Duration;
use support::{anthropic, ask, chain, ended, fake, fake_received, found_under, kinds, run, runtime, wait_for};

const KEY_IN_PROMPT: &str = "sk-ant-api03-PLANTEDinPROMPT0123456789abcdefgh";
const KEY_FOR_UPSTREAM: &str = "sk-ant-api03-PLANTEDforUPSTREAM0123456789abcd";

#[test]
fn pipeline_end_to_end() {
    let fake = fake();
    let dir = tempfile::tempdir().unwrap();
    let settings =
        Settings { decision_timeout: Duration::from_millis(300), semantic: SemanticMode::Serve, ..Settings::default() };
    let (log, rt) = runtime(dir.path(), &fake.url, KEY_FOR_UPSTREAM, settings);
    let client = rt.client();
    let mut sub = client.subscribe(client.next_seq());
    let session = client.open_session(FrontendKind::Cli, None);

    // Given an empty cache, when a prompt is accepted as refined, then it goes upstream.
    let first = run(&client, &mut sub, ask(session, "How do I reverse a list in Python?", ApprovalPolicy::Accept));
    assert_eq!(
        kinds(&first),
        [
            "PromptSubmitted",
            "RefinementProposed",
            "ApprovalDecided",
            "CacheChecked",
            "UpstreamCompleted",
            "ResponseDelivered",
            "SuggestionsOffered"
        ]
    );
    for pair in first.windows(2) {
        assert_eq!(pair[1].cause, Some(pair[0].seq), "each event is caused by the previous one");
    }
    let Event::RefinementProposed(proposal) = &first[1].event else { panic!() };
    assert_eq!(proposal.cache_outlook.original.verdict, OutlookVerdict::NoCandidate);
    assert!(!proposal.refiner.config_hash.is_empty());
    let Event::ApprovalDecided(d) = &first[2].event else { panic!() };
    assert_eq!((&d.decision, d.by), (&Decision::Accepted, Decider::Policy(ApprovalPolicy::Accept)));
    let Event::CacheChecked(c) = &first[3].event else { panic!() };
    assert_eq!(c.outcome, CacheOutcome::Miss { reason: MissReason::Empty });
    let Event::ResponseDelivered(r) = &first[5].event else { panic!() };
    assert_eq!(r.source, ResponseSource::Upstream);
    let refined = proposal.refined.as_str().unwrap();
    assert_eq!(r.text.as_str().unwrap(), format!("Fake reply to: {refined}"), "the refined prompt was sent");
    let Event::SuggestionsOffered(s) = &first[6].event else { panic!() };
    assert_eq!(s.origin, Some(SuggestionOrigin::Heuristic));
    assert!(!s.suggestions.is_empty() && s.suggestions.len() <= 3);

    // Given that answer cached, the same prompt is an exact hit and never goes upstream;
    // the outlook saw it coming.
    let hit = run(&client, &mut sub, ask(session, "How do I reverse a list in Python?", ApprovalPolicy::Accept));
    assert_eq!(
        kinds(&hit),
        [
            "PromptSubmitted",
            "RefinementProposed",
            "ApprovalDecided",
            "CacheChecked",
            "ResponseDelivered",
            "SuggestionsOffered"
        ]
    );
    let Event::RefinementProposed(p2) = &hit[1].event else { panic!() };
    assert_eq!(p2.cache_outlook.refined.verdict, OutlookVerdict::ExactHit);
    let Event::CacheChecked(c) = &hit[3].event else { panic!() };
    let CacheOutcome::ExactHit { entry } = &c.outcome else { panic!("{:?}", c.outcome) };
    let Event::ResponseDelivered(r) = &hit[4].event else { panic!() };
    assert_eq!(r.source, ResponseSource::Cache);

    // A wrong-answer flag invalidates the entry: the next ask misses.
    client.give_feedback(session, hit[4].seq, FeedbackVerdict::WrongAnswer, Some(entry.clone()));
    let fb = wait_for(&mut sub, |e| matches!(e, Event::FeedbackGiven(_)));
    let Event::FeedbackGiven(f) = &fb.event else { panic!() };
    assert!(f.invalidated && f.entry.as_ref() == Some(entry));
    let again = run(&client, &mut sub, ask(session, "How do I reverse a list in Python?", ApprovalPolicy::Accept));
    assert!(kinds(&again).contains(&"UpstreamCompleted"));

    // Given policy ask and no decision, the timeout sends the original.
    let timed = run(&client, &mut sub, ask(session, "What does `?` do in Rust?", ApprovalPolicy::Ask));
    let Event::ApprovalDecided(d) = &timed[2].event else { panic!("{:?}", kinds(&timed)) };
    assert_eq!((&d.decision, d.by), (&Decision::TimedOut, Decider::Policy(ApprovalPolicy::Ask)));
    let delivered = timed
        .iter()
        .find_map(|e| match &e.event {
            Event::ResponseDelivered(r) => Some(r),
            _ => None,
        })
        .unwrap();
    assert_eq!(delivered.text.as_str().unwrap(), "Fake reply to: What does `?` do in Rust?");

    // Given policy ask, a user's edit is what goes out.
    let a = ask(session, "explain borrowing", ApprovalPolicy::Ask);
    let request = a.request;
    client.submit(a);
    wait_for(&mut sub, |e| matches!(e, Event::RefinementProposed(_)));
    client.decide(request, Decision::Modified { text: "Explain borrowing in Rust with one example.".into() });
    let edited = chain(&mut sub, request, ended);
    let Event::ApprovalDecided(d) = &edited[0].event else { panic!("{:?}", kinds(&edited)) };
    assert_eq!(d.by, Decider::User);
    assert!(edited.iter().any(|e| matches!(&e.event, Event::ResponseDelivered(r) if r.text.as_str() == Some("Fake reply to: Explain borrowing in Rust with one example."))));

    // Sending a suggestion records the act and runs it as a new prompt.
    let offered = edited.iter().find(|e| matches!(e.event, Event::SuggestionsOffered(_))).unwrap();
    let next = ask(session, "", ApprovalPolicy::Original);
    let next_request = next.request;
    client.act_on_suggestion(offered.seq, 0, SuggestionAction::Sent, next);
    let acted = wait_for(&mut sub, |e| matches!(e, Event::SuggestionActed(_)));
    assert_eq!(acted.cause, Some(offered.seq));
    let follow = chain(&mut sub, next_request, ended);
    let Event::PromptSubmitted(p) = &follow[0].event else { panic!() };
    assert_eq!(p.origin, PromptOrigin::Suggestion { offered_seq: offered.seq, index: 0 });

    // A secret in a prompt reaches neither the log's bytes; nor does the upstream key.
    let leaky = format!("My key {KEY_IN_PROMPT} gets a 401, why?");
    run(&client, &mut sub, ask(session, &leaky, ApprovalPolicy::Original));
    client.close_session(session, EndReason::UserExit);
    wait_for(&mut sub, |e| matches!(e, Event::SessionEnded(_)));
    drop(sub);
    drop(rt);
    drop(log);
    let bytes = std::fs::read(dir.path().join("events.redb")).unwrap();
    for key in [KEY_IN_PROMPT, KEY_FOR_UPSTREAM] {
        assert!(!bytes.windows(key.len()).any(|w| w == key.as_bytes()), "{key} reached the journal");
    }
    // Nor did the pasted key reach the cache's files or the model.
    assert_eq!(found_under(&dir.path().join("widget-log"), KEY_IN_PROMPT), None, "the key reached the cache");
    let seen = fake_received(&fake);
    assert!(seen.contains("[REDACTED:anthropic_key]") && !seen.contains(KEY_IN_PROMPT), "the model saw the key");
    assert!(bytes.windows(14).any(|w| w == b"[REDACTED:anth"), "the redaction marker is there");

    // An upstream that cannot be reached is a clear failure event, not a hang.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    let (_log2, rt2) = runtime(dir2.path(), &format!("http://{dead}"), KEY_FOR_UPSTREAM, Settings::default());
    let client2 = rt2.client();
    let mut sub2 = client2.subscribe(client2.next_seq());
    let s2 = client2.open_session(FrontendKind::Cli, None);
    let failed = run(&client2, &mut sub2, ask(s2, "Is anyone there?", ApprovalPolicy::Original));
    let Event::UpstreamFailed(f) = &failed.last().unwrap().event else { panic!("{:?}", kinds(&failed)) };
    assert!(!f.kind.is_empty() && !f.message.is_empty(), "{f:?}");
}

#[test]
fn a_missing_python_environment_stops_the_start_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(EventLog::open(&dir.path().join("events.redb")).unwrap());
    let config = RuntimeConfig {
        bridge: BridgeConfig { venv: dir.path().join("no-venv"), config_json: "{}".into(), threads: 1 },
        upstream: anthropic("http://127.0.0.1:9", "k"),
        privacy: PrivacyLevel::Full,
        settings: Settings::default(),
    };
    let err = Runtime::start(log, config).err().unwrap();
    assert!(matches!(err, StartError::Bridge(BridgeError::VenvMissing { .. })), "{err}");
    assert!(err.to_string().contains("make setup"));
}

//! Semantic offers through the whole pipeline (the real Widget-Log in
//! `.venv`, the local fake of the Anthropic API): a paraphrase waits for the
//! user, who takes it or asks the model. In a binary of its own: the embedded
//! interpreter is one per process, so its tests must not share one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use lantern_actors::pipeline::{Ask, Settings};
use lantern_actors::runtime::Client;
use lantern_events::schema::*;
use lantern_events::{Envelope, Recv, Subscription};
use std::sync::Arc;
use std::time::Duration;
use support::{ask, chain, ended, fake, kinds, run, runtime, wait_for};

/// Submits `prompt` with policy ask, sends the original, and returns the
/// chain up to its cache check.
fn until_checked(client: &Client, sub: &mut Subscription, a: Ask) -> Arc<Envelope> {
    let request = a.request;
    client.submit(a);
    let proposed = wait_for(sub, |e| matches!(e, Event::RefinementProposed(_)));
    assert_eq!(proposed.request, Some(request));
    client.decide(request, Decision::Rejected);
    wait_for(sub, |e| matches!(e, Event::CacheChecked(_)))
}

#[test]
fn a_paraphrase_is_offered_and_waits_for_the_user() {
    let fake = fake();
    let dir = tempfile::tempdir().unwrap();
    // Offer mode is the default of the interactive frontends.
    let settings = Settings { decision_timeout: Duration::from_secs(3), ..Settings::default() };
    let (_log, rt) = runtime(dir.path(), &fake.url, "sk-ant-test", settings);
    let client = rt.client();
    let mut sub = client.subscribe(client.next_seq());
    let session = client.open_session(FrontendKind::Cli, None);
    let stored = run(&client, &mut sub, ask(session, "How do I reverse a list in Python?", ApprovalPolicy::Original));
    assert!(kinds(&stored).contains(&"UpstreamCompleted"));
    let first_answer = "Fake reply to: How do I reverse a list in Python?";

    // A paraphrase: offered with the verifier's verdict and the answer's opening; taken.
    let a = ask(session, "whats the pythonic way to reverse a list", ApprovalPolicy::Ask);
    let request = a.request;
    let checked = until_checked(&client, &mut sub, a);
    let Event::CacheChecked(c) = &checked.event else { panic!() };
    let CacheOutcome::SemanticOffered { verdict, preview, matched_prompt, entry, .. } = &c.outcome else {
        panic!("{:?}", c.outcome)
    };
    assert!(verdict.accepted && verdict.reason.is_none(), "{verdict:?}");
    assert_eq!(preview.as_str(), Some(first_answer));
    assert_eq!(matched_prompt.as_ref().and_then(|m| m.as_str()), Some("How do I reverse a list in Python?"));
    // Nothing is answered until the user chooses.
    std::thread::sleep(Duration::from_millis(300));
    assert!(matches!(sub.recv_timeout(Duration::from_millis(10)).unwrap(), Recv::Timeout));
    client.decide_offer(request, true);
    let rest = chain(&mut sub, request, ended);
    assert_eq!(kinds(&rest), ["OfferDecided", "ResponseDelivered", "SuggestionsOffered"]);
    let Event::OfferDecided(d) = &rest[0].event else { panic!() };
    assert_eq!((d.choice, d.by, &d.entry), (OfferChoice::UsedCached, Decider::User, entry));
    assert_eq!(rest[0].cause, Some(checked.seq));
    let Event::ResponseDelivered(r) = &rest[1].event else { panic!() };
    assert_eq!((r.source, r.text.as_str()), (ResponseSource::Cache, Some(first_answer)));

    // A sibling the verifier refuses is offered with its reason; refused, the model answers.
    let a = ask(session, "How do I reverse a string in Python?", ApprovalPolicy::Ask);
    let request = a.request;
    let checked = until_checked(&client, &mut sub, a);
    let Event::CacheChecked(c) = &checked.event else { panic!() };
    let CacheOutcome::SemanticOffered { verdict, .. } = &c.outcome else { panic!("{:?}", c.outcome) };
    assert!(!verdict.accepted && verdict.reason.as_deref().is_some_and(|r| !r.is_empty()), "{verdict:?}");
    client.decide_offer(request, false);
    let rest = chain(&mut sub, request, ended);
    assert_eq!(kinds(&rest), ["OfferDecided", "UpstreamCompleted", "ResponseDelivered", "SuggestionsOffered"]);
    let Event::ResponseDelivered(r) = &rest[2].event else { panic!() };
    assert_eq!(r.text.as_str(), Some("Fake reply to: How do I reverse a string in Python?"));

    // With nobody deciding (policy accept), a paraphrase is neither served nor offered.
    let unattended = run(&client, &mut sub, ask(session, "reverse a python list, how?", ApprovalPolicy::Accept));
    let Some(Event::CacheChecked(c)) = unattended.iter().map(|e| &e.event).find(|e| e.kind() == "CacheChecked") else {
        panic!()
    };
    assert_eq!(c.outcome, CacheOutcome::Miss { reason: MissReason::ExactOnly });
    // Nobody answers an offer: when the time is up, the model is asked.
    let a = ask(session, "what is the pythonic way to reverse a list", ApprovalPolicy::Ask);
    let request = a.request;
    client.submit(a);
    let rest = chain(&mut sub, request, ended);
    let decided = rest.iter().find_map(|e| match &e.event {
        Event::OfferDecided(d) => Some(d),
        _ => None,
    });
    let d = decided.unwrap_or_else(|| panic!("{:?}", kinds(&rest)));
    assert_eq!((d.choice, d.by), (OfferChoice::TimedOut, Decider::Policy(ApprovalPolicy::Ask)));
    assert!(kinds(&rest).contains(&"UpstreamCompleted"));
}

//! The model's part in the pipeline, with the fake upstream (which echoes
//! what it is sent, so a prompt can carry the "model's" answer):
//! suggestions labelled `Llm` with the context actually used, or `Heuristic`
//! when the model gives nothing usable; and LLM-assisted refinement, taken
//! only when the rewrite keeps the original's protected parts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use lantern_actors::cache_bridge::BridgeConfig;
use lantern_actors::pipeline::{Settings, SuggestWith};
use lantern_actors::runtime::{Runtime, RuntimeConfig};
use lantern_actors::suggester::llm::Source;
use lantern_events::schema::*;
use lantern_events::{EventLog, RequestId, SessionId, Subscription};
use std::sync::Arc;
use support::{fake, first_of, venv};

fn start(dir: &std::path::Path, url: &str, source: Source) -> Runtime {
    let log = Arc::new(EventLog::open(&dir.join("events.redb")).unwrap());
    let widget_log = serde_json::json!({"data_dir": dir.join("widget-log")});
    let settings = Settings { suggest_with: SuggestWith::Llm(source), refine_with_llm: true, ..Settings::default() };
    let config = RuntimeConfig {
        bridge: BridgeConfig { venv: venv(), config_json: widget_log.to_string(), threads: 2 },
        upstream: support::anthropic(url, "test-key"),
        privacy: PrivacyLevel::Full,
        settings,
    };
    Runtime::start(log, config).unwrap()
}

#[test]
fn the_models_part_is_labelled_and_guarded() {
    let fake = fake();
    let dir = tempfile::tempdir().unwrap();
    let rt = start(dir.path(), &fake.url, Source::History(3));
    let client = rt.client();
    let mut sub = client.subscribe(client.next_seq());
    let session = client.open_session(FrontendKind::Cli, None);

    // The fake echoes the request it gets; the history holds a JSON array,
    // so the "model" answers with it, as a real model answers with its own.
    let first = ask(session, "How do I profile parse()?");
    client.submit(first.clone());
    let s = offered(&mut sub, first.request);
    // The echo of this first request holds no array: the heuristic answers, and says so.
    assert_eq!(s.origin, Some(SuggestionOrigin::Heuristic));
    assert_eq!(s.context, Some(SuggestionContext::History { depth: 1 }), "one user turn existed");
    let second = ask(session, r#"Suggest ["Add a benchmark for parse", "Fuzz parse"]"#);
    client.submit(second.clone());
    let s = offered(&mut sub, second.request);
    assert_eq!(s.origin, Some(SuggestionOrigin::Llm));
    assert_eq!(s.context, Some(SuggestionContext::History { depth: 2 }));
    let texts: Vec<String> = s.suggestions.iter().map(|x| x.text.display()).collect();
    assert_eq!(texts, ["Add a benchmark for parse", "Fuzz parse"]);
    drop(rt);

    // From the last reply, which holds no JSON array: the heuristic answers.
    let dir2 = tempfile::tempdir().unwrap();
    let rt = start(dir2.path(), &fake.url, Source::LastAssistant);
    let client = rt.client();
    let mut sub = client.subscribe(client.next_seq());
    let session = client.open_session(FrontendKind::Cli, None);
    let a = ask(session, "Why does my build fail with a panic?");
    client.submit(a.clone());
    let s = offered(&mut sub, a.request);
    assert_eq!(s.origin, Some(SuggestionOrigin::Heuristic), "the model gave nothing usable");

    // A faithful rewrite is taken; one that changes the inline code is not.
    let good = ask(session, "explain `Vec::retain` <prompt>Explain `Vec::retain` with one example.</prompt>");
    client.submit(good.clone());
    let p = proposed(&mut sub, good.request);
    assert_eq!(p.origin, RefinementOrigin::Llm);
    assert_eq!(p.refined.as_str(), Some("Explain `Vec::retain` with one example."));
    assert_eq!(p.changes.last().map(|c| c.kind), Some(ChangeKind::LlmRewrite));
    let bad = ask(session, "explain `Vec::retain` <prompt>Explain `Vec::drain` instead.</prompt>");
    client.submit(bad.clone());
    let p = proposed(&mut sub, bad.request);
    assert_eq!(p.origin, RefinementOrigin::Rules, "the rewrite lost `Vec::retain`");
}

fn ask(session: SessionId, prompt: &str) -> lantern_actors::pipeline::Ask {
    support::ask(session, prompt, ApprovalPolicy::Original)
}

fn offered(sub: &mut Subscription, request: RequestId) -> SuggestionsOffered {
    first_of(sub, request, |e| if let Event::SuggestionsOffered(s) = e { Some(s.clone()) } else { None })
}

fn proposed(sub: &mut Subscription, request: RequestId) -> RefinementProposed {
    first_of(sub, request, |e| if let Event::RefinementProposed(p) = e { Some(p.clone()) } else { None })
}

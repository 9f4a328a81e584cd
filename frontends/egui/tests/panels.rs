//! The real panels, driven by their AccessKit labels.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use lantern_events::schema::*;
use lantern_events::{RequestId, SessionId};
use support::{Op, Rig, harness, harness_with, settle};

const SIZE: [f32; 2] = [1100.0, 800.0];

/// Types `prompt` in the composer, sends it, and plays the Refiner; returns the request.
fn submit_and_propose(
    rig: &Rig,
    h: &mut egui_kittest::Harness<'static, lantern_egui::LanternApp>,
    prompt: &str,
) -> RequestId {
    h.get_by_label("Prompt").click();
    h.run_steps(1);
    h.get_by_label("Prompt").type_text(prompt);
    h.run_steps(1);
    h.get_by_label("Send prompt").click();
    h.run_steps(2);
    let ask = rig
        .ops()
        .into_iter()
        .find_map(|op| match op {
            Op::Submit(ask) if ask.prompt == prompt => Some(ask),
            _ => None,
        })
        .expect("the composer submitted the prompt");
    assert_eq!(ask.session, rig.session);
    assert_eq!(ask.policy, ApprovalPolicy::Ask);
    assert_eq!(ask.frontend, FrontendKind::Desktop);
    rig.propose(rig.session, ask.request, prompt, ask.context.clone());
    settle(h, rig);
    ask.request
}

fn decisions(rig: &Rig) -> Vec<(RequestId, Decision)> {
    rig.ops()
        .into_iter()
        .filter_map(|op| match op {
            Op::Decide(r, d) => Some((r, d)),
            _ => None,
        })
        .collect()
}

#[test]
fn accept_sends_the_refined_prompt_and_shows_the_answer() {
    let rig = Rig::new();
    let mut h = harness(&rig, SIZE);
    let request = submit_and_propose(&rig, &mut h, "fix the parser");
    h.get_by_label_contains("Quality");
    h.get_by_label_contains("Tokens");
    h.get_by_label_contains("Est. cost $");
    h.get_by_label("Original");
    h.get_by_label("Refined");
    h.get_by_label("Accept & Send").click();
    h.run_steps(2);
    assert_eq!(decisions(&rig), vec![(request, Decision::Accepted)]);

    rig.answer(
        rig.session,
        request,
        Decision::Accepted,
        CacheOutcome::Miss { reason: MissReason::Empty },
        "Here is the fix.",
    );
    settle(&mut h, &rig);
    h.get_by_label("Here is the fix.");
    h.get_by_label_contains("Offline: no API key configured");
    h.get_by_label_contains("Decided by you after 2.3 s: sent the refined prompt");
    assert!(h.query_by_label("Accept & Send").is_none(), "decided: no more buttons");
    assert!(h.query_by_label("Wrong answer").is_none(), "only cached answers can be flagged");
}

#[test]
fn ctrl_enter_accepts_and_escape_uses_the_original() {
    let rig = Rig::new();
    let mut h = harness(&rig, SIZE);
    let first = submit_and_propose(&rig, &mut h, "explain this");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    h.run_steps(2);
    rig.answer(rig.session, first, Decision::Accepted, CacheOutcome::Miss { reason: MissReason::Empty }, "one");
    settle(&mut h, &rig);

    let second = submit_and_propose(&rig, &mut h, "and this");
    h.key_press(Key::Escape);
    h.run_steps(2);
    rig.answer(rig.session, second, Decision::Rejected, CacheOutcome::Miss { reason: MissReason::Empty }, "two");
    settle(&mut h, &rig);

    let third = submit_and_propose(&rig, &mut h, "and that");
    h.get_by_label("Use Original").click();
    h.run_steps(2);
    assert_eq!(
        decisions(&rig),
        vec![(first, Decision::Accepted), (second, Decision::Rejected), (third, Decision::Rejected)]
    );
}

#[test]
fn edit_sends_the_users_text() {
    let rig = Rig::new();
    let mut h = harness(&rig, SIZE);
    let request = submit_and_propose(&rig, &mut h, "fix the parser");
    h.get_by_label("Edit").click();
    h.run_steps(2);
    let editor = h.get_by_label("Refined prompt (editing)");
    assert!(editor.value().unwrap().contains("fix the parser"), "the editor starts from the refined prompt");
    editor.click();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.run_steps(1);
    h.get_by_label("Refined prompt (editing)").type_text("fix the tokenizer instead");
    h.run_steps(1);
    h.get_by_label("Send edited").click();
    h.run_steps(2);
    assert_eq!(decisions(&rig), vec![(request, Decision::Modified { text: "fix the tokenizer instead".into() })]);
}

#[test]
fn e_opens_the_editor_and_escape_leaves_it() {
    let rig = Rig::new();
    let mut h = harness(&rig, SIZE);
    let request = submit_and_propose(&rig, &mut h, "fix the parser");
    // Esc decides even while the composer has the focus.
    h.key_press(Key::Escape);
    h.run_steps(1);
    assert_eq!(decisions(&rig), vec![(request, Decision::Rejected)], "Esc uses the original");

    let rig = Rig::new();
    let mut h = harness(&rig, SIZE);
    let request = submit_and_propose(&rig, &mut h, "fix the parser");
    // Clicking outside the composer takes the keyboard focus from it.
    h.get_by_label("Original").click();
    h.run_steps(1);
    h.key_press(Key::E);
    h.run_steps(2);
    assert!(h.query_by_label("Refined prompt (editing)").is_some());
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(h.query_by_label("Refined prompt (editing)").is_none());
    assert!(decisions(&rig).is_empty(), "leaving the editor decides nothing");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    h.run_steps(2);
    assert_eq!(decisions(&rig), vec![(request, Decision::Accepted)]);
}

/// A live chain answered and offered three suggestions; returns the offer's seq.
fn answered_with_suggestions(rig: &Rig, outcome: CacheOutcome) -> (RequestId, u64, u64) {
    let request = RequestId::new();
    rig.start_session(rig.session, FrontendKind::Desktop);
    rig.propose(rig.session, request, "How do I reverse a list in Python?", PromptContext::default());
    let answer = rig.answer(rig.session, request, Decision::Accepted, outcome, "Use reversed(xs) or xs[::-1].");
    let offered = rig.suggest(rig.session, request, &["Show an example", "Explain slicing", "Compare the two"]);
    (request, answer, offered)
}

#[test]
fn suggestions_can_be_sent_dismissed_and_edited() {
    let rig = Rig::new();
    let (_, _, offered) = answered_with_suggestions(&rig, CacheOutcome::Miss { reason: MissReason::Empty });
    let mut h = harness(&rig, SIZE);
    h.get_by_label("Origin: Heuristic · Context: last assistant reply");
    h.get_by_label("1. Show an example");

    h.get_all_by_label("Send").next().unwrap().click();
    h.run_steps(2);
    let acted = |rig: &Rig| -> Vec<(u64, u8, SuggestionAction)> {
        rig.ops()
            .into_iter()
            .filter_map(|op| match op {
                Op::Act { offered_seq, index, action, .. } => Some((offered_seq, index, action)),
                _ => None,
            })
            .collect()
    };
    assert_eq!(acted(&rig), vec![(offered, 0, SuggestionAction::Sent)]);
    let act = |index, action| Event::SuggestionActed(SuggestionActed { offered_seq: offered, index, action });
    rig.write(rig.session, None, act(0, SuggestionAction::Sent));
    settle(&mut h, &rig);
    h.get_by_label("1. Show an example: sent");

    h.get_all_by_label("Dismiss").next().unwrap().click();
    h.run_steps(2);
    assert_eq!(acted(&rig)[1], (offered, 1, SuggestionAction::Dismissed));
    rig.write(rig.session, None, act(1, SuggestionAction::Dismissed));
    settle(&mut h, &rig);
    h.get_by_label("2. Explain slicing: dismissed");

    h.get_by_label("Edit").click();
    h.run_steps(2);
    h.get_by_label("3. Edit the suggestion").click();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label("3. Edit the suggestion").type_text("Compare them on speed");
    h.run_steps(1);
    h.get_by_label("Send edited suggestion").click();
    h.run_steps(2);
    assert_eq!(acted(&rig)[2], (offered, 2, SuggestionAction::Edited { text: "Compare them on speed".into() }));
}

#[test]
fn a_wrong_cached_answer_is_flagged_with_its_entry() {
    let rig = Rig::new();
    let entry = EntryId("e-42".into());
    let outcome = CacheOutcome::SemanticHit {
        similarity: 0.934,
        entry: entry.clone(),
        matched_prompt: Some("how to reverse a python list".into()),
    };
    let (_, answer, _) = answered_with_suggestions(&rig, outcome);
    let mut h = harness(&rig, SIZE);
    h.get_by_label_contains(
        "Cache: semantic hit · similarity 0.934 · entry e-42 · matched “how to reverse a python list”",
    );
    h.get_by_label("Wrong answer").click();
    h.run_steps(2);
    let feedback: Vec<Op> = rig.ops().into_iter().filter(|op| matches!(op, Op::Feedback { .. })).collect();
    assert_eq!(
        feedback,
        vec![Op::Feedback {
            session: rig.session,
            response_seq: answer,
            verdict: FeedbackVerdict::WrongAnswer,
            entry: Some(entry.clone())
        }]
    );
    let given = FeedbackGiven {
        response_seq: answer,
        verdict: FeedbackVerdict::WrongAnswer,
        entry: Some(entry),
        invalidated: true,
        note: None,
    };
    rig.write(rig.session, None, Event::FeedbackGiven(given));
    settle(&mut h, &rig);
    h.get_by_label_contains("Flagged as wrong: the cache entry was invalidated");
    assert!(h.query_by_label("Wrong answer").is_none());
}

#[test]
fn browsing_a_session_shows_its_requests_read_only() {
    let rig = Rig::new();
    let old = SessionId::new();
    rig.start_session(old, FrontendKind::Cli);
    let (a, b) = (RequestId::new(), RequestId::new());
    rig.propose(old, a, "How do I reverse a list in Python?", PromptContext::default());
    rig.answer(old, a, Decision::Accepted, CacheOutcome::Miss { reason: MissReason::Empty }, "Use reversed().");
    rig.propose(old, b, "how do i reverse a list in python", PromptContext::default());
    let entry = EntryId("e-1".into());
    rig.answer(old, b, Decision::Rejected, CacheOutcome::ExactHit { entry }, "Use reversed().");
    rig.write(old, None, Event::SessionEnded(SessionEnded { reason: EndReason::UserExit }));
    let mut h = harness(&rig, SIZE);

    h.get_by_label("Sessions").click();
    h.run_steps(2);
    h.get_by_label("2026-01-15 09:30").click();
    h.run_steps(2);
    h.get_by_label("50%"); // one hit out of two answers
    h.get_by_label_contains("how do i reverse a list in python · exact hit").click();
    h.run_steps(2);
    h.get_by_label_contains("Decided by you after 2.3 s: sent the original prompt");
    h.get_by_label_contains("Cache: exact hit · entry e-1");
    h.get_by_label("Refinement").click();
    h.run_steps(2);
    settle(&mut h, &rig);
    h.get_by_label_contains("Quality");
    assert!(h.query_by_label("Accept & Send").is_none(), "history is read-only");
    assert!(h.query_by_label("Use Original").is_none());
}

#[test]
fn the_composer_refuses_bad_attachments_and_empty_prompts() {
    let rig = Rig::new();
    let mut h = harness(&rig, SIZE);
    h.get_by_label("Send prompt").click();
    h.run_steps(2);
    h.get_by_label("Write a prompt first.");
    h.state_mut().state.composer.prompt = "explain".into();
    h.get_by_label("Lines").focus();
    h.run_steps(1);
    assert!(h.get_by_label("Lines").is_focused());
    h.get_by_label("Lines").type_text("4-2");
    h.run_steps(1);
    h.get_by_label("Send prompt").click();
    h.run_steps(2);
    h.get_by_label("choose a file to take lines 4-2 from");
    assert!(rig.ops().iter().all(|op| !matches!(op, Op::Submit(_))), "nothing was sent");
}

#[test]
fn the_composer_attaches_a_line_range() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lib.rs");
    std::fs::write(&file, "fn a() {}\nfn b() {}\nfn c() {}\n").unwrap();
    let mut h = harness(&rig, SIZE);
    h.state_mut().state.composer.file = file.display().to_string();
    h.state_mut().state.composer.lines = "2-3".into();
    let request = submit_and_propose(&rig, &mut h, "why is b slow");
    let ask = rig.ops().into_iter().find_map(|op| if let Op::Submit(a) = op { Some(a) } else { None }).unwrap();
    assert_eq!(ask.request, request);
    let selection = ask.context.selection.unwrap();
    assert_eq!(selection.text.as_str(), Some("fn b() {}\nfn c() {}"));
    h.get_by_label_contains("attached");
}

#[test]
fn f1_shows_the_shortcuts() {
    let rig = Rig::new();
    let mut h = harness(&rig, SIZE);
    h.key_press(Key::F1);
    h.run_steps(2);
    h.get_by_label("Keyboard shortcuts");
    h.get_by_label("Ctrl+Enter");
    h.get_by_label("Close help").click();
    h.run_steps(2);
    assert!(h.query_by_label("Keyboard shortcuts").is_none());
}

#[test]
fn closing_the_window_closes_the_session() {
    let rig = Rig::new();
    let h = harness(&rig, SIZE);
    h.state().close();
    assert_eq!(rig.ops(), vec![Op::Close(rig.session)]);
}

#[test]
fn ctrl_q_closes_the_window() {
    let rig = Rig::new();
    let mut h = harness(&rig, SIZE);
    // One event, one frame: the frame that reads Ctrl+Q is the one whose output is checked.
    let key = egui::Event::Key {
        key: Key::Q,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: Modifiers::COMMAND,
    };
    h.event(key);
    h.step();
    let commands = &h.output().viewport_output[&egui::ViewportId::ROOT].commands;
    assert!(commands.contains(&egui::ViewportCommand::Close), "{commands:?}");
}

#[test]
fn with_serve_ui_new_proxied_requests_wait_in_the_window_for_a_decision() {
    for proxy_approvals in [true, false] {
        let rig = Rig::new();
        let proxy = SessionId::new();
        rig.start_session(proxy, FrontendKind::Proxy);
        // Proposed before the window opened: history, not waiting for this window.
        rig.propose(proxy, RequestId::new(), "an older proxied prompt", PromptContext::default());
        let mut h = harness_with(&rig, SIZE, proxy_approvals);
        assert!(h.query_by_label("Accept & Send").is_none(), "an old request was offered for approval");

        let request = RequestId::new();
        rig.propose_from(PromptOrigin::Proxy, proxy, request, "fix the parser", PromptContext::default());
        settle(&mut h, &rig);
        if !proxy_approvals {
            assert!(
                h.query_by_label("Accept & Send").is_none(),
                "`lantern ui` alone must not approve proxied requests"
            );
            continue;
        }
        h.get_by_label("Proxy client");
        h.get_by_label("Accept & Send").click();
        h.run_steps(2);
        assert_eq!(decisions(&rig), vec![(request, Decision::Accepted)]);
    }
}

/// The user's decision, then a lookup that offers entry `e42` (stored for
/// "How do I reverse a list in Python?") with the verifier's refusal `reason`.
fn offer(rig: &Rig, request: RequestId, similarity: f32, reason: &str) {
    let d = ApprovalDecided { decision: Decision::Rejected, by: Decider::User, waited_ms: 900 };
    rig.write(rig.session, Some(request), Event::ApprovalDecided(d));
    let offered = CacheOutcome::SemanticOffered {
        similarity,
        entry: EntryId("e42".into()),
        matched_prompt: Some("How do I reverse a list in Python?".into()),
        verdict: GuardVerdict { accepted: false, reason: Some(reason.into()) },
        preview: "Use list.reverse() or reversed(xs).".into(),
    };
    let c = CacheChecked { outcome: offered, namespace: "default".into(), latency_us: 900 };
    rig.write(rig.session, Some(request), Event::CacheChecked(c));
}

#[test]
fn a_cached_answer_offered_is_taken_or_refused_in_the_window_and_a_taken_one_can_be_flagged() {
    let rig = Rig::new();
    let mut h = harness(&rig, SIZE);
    let request = submit_and_propose(&rig, &mut h, "whats the pythonic way to reverse a list");
    h.get_by_label("Use Original").click();
    h.run_steps(2);
    offer(&rig, request, 0.912, "unmatched_term: 'pythonic'");
    settle(&mut h, &rig);
    // The offer says what matched, how close, what the verifier thinks, and how the answer begins.
    h.get_by_label("Cached answer offered");
    h.get_by_label_contains("similarity 0.912");
    h.get_by_label_contains("the verifier refuses it: unmatched_term: 'pythonic'");
    h.get_by_label("Matched prompt: “How do I reverse a list in Python?”");
    h.get_by_label("> Use list.reverse() or reversed(xs).");
    h.get_by_label("Use cached answer").click();
    h.run_steps(2);
    let chosen: Vec<_> = rig.ops().into_iter().filter(|op| matches!(op, Op::DecideOffer(..))).collect();
    assert_eq!(chosen, vec![Op::DecideOffer(request, true)]);

    // The pipeline takes it: the choice and the cached answer, which can be flagged wrong.
    let choice = OfferDecided {
        entry: EntryId("e42".into()),
        choice: OfferChoice::UsedCached,
        by: Decider::User,
        waited_ms: 700,
    };
    rig.write(rig.session, Some(request), Event::OfferDecided(choice));
    let r = ResponseDelivered {
        source: ResponseSource::Cache,
        text: "Use list.reverse() or reversed(xs).".into(),
        latency_ms: 5,
    };
    let answered = rig.write(rig.session, Some(request), Event::ResponseDelivered(r));
    settle(&mut h, &rig);
    assert!(h.query_by_label("Use cached answer").is_none(), "chosen: no more buttons");
    h.get_by_label_contains("Chosen by you after 0.7 s: used the cached answer");
    h.get_by_label_contains("Cache: semantic match you took");
    h.get_by_label("Wrong answer").click();
    h.run_steps(2);
    let flagged = rig.ops().into_iter().find(|op| matches!(op, Op::Feedback { .. }));
    assert_eq!(
        flagged,
        Some(Op::Feedback {
            session: rig.session,
            response_seq: answered,
            verdict: FeedbackVerdict::WrongAnswer,
            entry: Some(EntryId("e42".into()))
        })
    );

    // A second offer, refused.
    let second = submit_and_propose(&rig, &mut h, "how can I reverse a string in python");
    h.get_by_label("Use Original").click();
    h.run_steps(2);
    offer(&rig, second, 0.83, "unmatched_term: 'string'");
    settle(&mut h, &rig);
    h.get_by_label("Ask the model").click();
    h.run_steps(2);
    assert!(rig.ops().contains(&Op::DecideOffer(second, false)));
}

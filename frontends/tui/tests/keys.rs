//! The terminal's logic without a terminal: keys in, ops out, state between.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use crossterm::event::{KeyCode, KeyModifiers};
use lantern_events::SessionId;
use lantern_events::schema::*;
use lantern_frontend::View;
use lantern_tui::keys::Step;
use lantern_tui::state::Editing;
use support::{Op, Rig, key, press, request, type_text};

#[test]
fn typing_and_enter_submit_the_prompt_with_its_attachment() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("header.rs");
    std::fs::write(&file, "fn a() {}\nfn parse() {\n    todo!()\n}\n").unwrap();
    let mut app = rig.app(false);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.state.composer.error.as_deref(), Some("Write a prompt first."));
    assert!(rig.ops().is_empty());
    type_text(&mut app, "why does parse panic");
    key(&mut app, KeyCode::Backspace);
    type_text(&mut app, "c");
    press(&mut app, KeyCode::Char('f'), KeyModifiers::CONTROL);
    type_text(&mut app, &file.display().to_string());
    press(&mut app, KeyCode::Char('f'), KeyModifiers::CONTROL);
    type_text(&mut app, "2-4");
    key(&mut app, KeyCode::Enter);
    let ops = rig.ops();
    let [Op::Submit(ask)] = &ops[..] else { panic!("{ops:?}") };
    assert_eq!(ask.prompt, "why does parse panic");
    assert_eq!(ask.session, rig.session);
    assert_eq!(ask.frontend, FrontendKind::Cli);
    assert_eq!(ask.policy, ApprovalPolicy::Ask);
    let selection = ask.context.selection.as_ref().unwrap();
    assert_eq!(selection.text.as_str(), Some("fn parse() {\n    todo!()\n}"));
    assert_eq!((selection.start_line, selection.end_line), (Some(2), Some(4)));
    assert!(app.state.composer.prompt.is_empty(), "the composer is cleared once sent");
    assert_eq!(app.tracked.live.pending, vec![ask.request]);
}

#[test]
fn a_bad_attachment_is_refused_in_the_composer() {
    let rig = Rig::new();
    let mut app = rig.app(false);
    type_text(&mut app, "explain");
    press(&mut app, KeyCode::Char('f'), KeyModifiers::CONTROL);
    press(&mut app, KeyCode::Char('f'), KeyModifiers::CONTROL);
    type_text(&mut app, "9-3");
    key(&mut app, KeyCode::Enter);
    let error = app.state.composer.error.clone().unwrap();
    assert!(error.contains("choose a file"), "{error}");
    // With a file, a reversed range is refused for what it is.
    press(&mut app, KeyCode::Char('f'), KeyModifiers::CONTROL);
    press(&mut app, KeyCode::Char('f'), KeyModifiers::CONTROL);
    type_text(&mut app, "Cargo.toml");
    key(&mut app, KeyCode::Enter);
    let error = app.state.composer.error.clone().unwrap();
    assert!(error.contains("lines \"9-3\": write A-B"), "{error}");
    assert!(rig.ops().is_empty());
    assert_eq!(app.state.composer.prompt, "explain", "nothing typed is lost");
}

#[test]
fn approval_keys_accept_send_the_original_or_edit_inline() {
    let rig = Rig::new();
    rig.start_session(rig.session, FrontendKind::Cli);
    let (a, b, c) = (request(1), request(2), request(3));
    rig.propose(rig.session, a, "fix this", PromptContext::default());
    let mut app = rig.app(false);
    assert_eq!(app.tracked.live.awaiting().map(|c| c.request), Some(a));
    // Typed letters that are not keys of the panel do nothing while deciding.
    key(&mut app, KeyCode::Char('z'));
    assert!(app.state.composer.prompt.is_empty());
    key(&mut app, KeyCode::Enter);
    assert_eq!(rig.ops(), vec![Op::Decide(a, Decision::Accepted)]);

    rig.answer(rig.session, a, CacheOutcome::Miss { reason: MissReason::Empty }, "ok");
    rig.propose(rig.session, b, "and this", PromptContext::default());
    rig.settle(&mut app);
    key(&mut app, KeyCode::Char('o'));
    assert_eq!(rig.ops()[1], Op::Decide(b, Decision::Rejected));

    rig.answer(rig.session, b, CacheOutcome::Miss { reason: MissReason::Empty }, "ok");
    rig.propose(rig.session, c, "what about that one", PromptContext::default());
    rig.settle(&mut app);
    key(&mut app, KeyCode::Char('i'));
    let Some(Editing::Refined { request: r, text }) = app.state.editing.clone() else { panic!() };
    assert_eq!(r, c);
    // Unchanged, the edit accepts the refinement.
    key(&mut app, KeyCode::Esc);
    assert!(app.state.editing.is_none());
    key(&mut app, KeyCode::Char('i'));
    key(&mut app, KeyCode::Enter);
    assert_eq!(rig.ops()[2], Op::Decide(c, Decision::Accepted));
    // Edited: a new line with Alt+Enter, then text.
    key(&mut app, KeyCode::Char('i'));
    press(&mut app, KeyCode::Enter, KeyModifiers::ALT);
    type_text(&mut app, "In Rust.");
    key(&mut app, KeyCode::Enter);
    assert_eq!(rig.ops()[3], Op::Decide(c, Decision::Modified { text: format!("{text}\nIn Rust.").into() }));
}

#[test]
fn the_external_editor_sends_its_text_or_nothing() {
    let rig = Rig::new();
    rig.start_session(rig.session, FrontendKind::Cli);
    let a = request(1);
    rig.propose(rig.session, a, "fix this", PromptContext::default());
    let mut app = rig.app(false);
    let steps = app.key(crossterm::event::KeyEvent::new(KeyCode::Char('e'), KeyModifiers::NONE));
    let [Step::OpenEditor(editing)] = &steps[..] else { panic!("{steps:?}") };
    let refined = editing.text().to_owned();
    // An editor that fails, then one left without saving: nothing is sent, the user is told.
    assert!(app.run_step(steps[0].clone(), &mut |_| Err("vi exited with 1".into())));
    assert!(app.state.status.as_deref().unwrap().contains("vi exited with 1; nothing was sent"));
    assert!(app.run_step(steps[0].clone(), &mut |_| Ok(None)));
    assert!(app.state.status.as_deref().unwrap().contains("without saving"));
    assert!(rig.ops().is_empty());
    let mut seen = String::new();
    assert!(app.run_step(steps[0].clone(), &mut |text| {
        seen = text.to_owned();
        Ok(Some(format!("{text} (edited)")))
    }));
    assert_eq!(seen, refined);
    assert_eq!(rig.ops(), vec![Op::Decide(a, Decision::Modified { text: format!("{refined} (edited)").into() })]);
}

#[test]
fn suggestion_keys_send_edit_or_dismiss_and_typing_starts_a_prompt() {
    let rig = Rig::new();
    rig.start_session(rig.session, FrontendKind::Cli);
    let a = request(1);
    rig.propose(rig.session, a, "reverse a list in python", PromptContext::default());
    rig.answer(rig.session, a, CacheOutcome::Miss { reason: MissReason::Empty }, "xs[::-1]");
    let offered = rig.suggest(
        rig.session,
        a,
        SuggestionOrigin::Heuristic,
        SuggestionContext::LastAssistant,
        &["Show an example", "What does it cost?", "And for a tuple?"],
    );
    let mut app = rig.app(false);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    assert_eq!(app.state.suggestion, 2, "the selection stops at the last suggestion");
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Enter);
    let ops = rig.ops();
    let [Op::Act { offered_seq, index: 1, action: SuggestionAction::Sent, request }] = &ops[..] else {
        panic!("{ops:?}")
    };
    assert_eq!(*offered_seq, offered);
    assert_eq!(app.tracked.live.pending, vec![*request]);
    // A second Enter before the pipeline's event arrives does not send it twice: the next one is selected.
    assert_eq!(app.state.suggestion, 0);
    let remaining = lantern_tui::keys::open_suggestions(app.tracked.live.current().unwrap(), &app.state.acted);
    assert_eq!(remaining.iter().map(|s| s.1).collect::<Vec<_>>(), [0, 2]);

    // Tab edits the selected one (now #3 after a Down); Enter sends the edit.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Tab);
    assert!(matches!(app.state.editing, Some(Editing::Suggestion { index: 2, .. })));
    press(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    key(&mut app, KeyCode::Enter);
    assert!(app.state.status.as_deref().unwrap().contains("empty prompt cannot be sent"), "an emptied edit is refused");
    type_text(&mut app, "And for a tuple of bytes?");
    key(&mut app, KeyCode::Enter);
    let edited = SuggestionAction::Edited { text: "And for a tuple of bytes?".into() };
    assert!(matches!(&rig.ops()[1], Op::Act { index: 2, action, .. } if *action == edited));

    // The pipeline's events arrive; the last one left is dismissed with Esc.
    for index in [1, 2] {
        let acted = SuggestionActed { offered_seq: offered, index, action: SuggestionAction::Sent };
        rig.write(rig.session, Some(a), Event::SuggestionActed(acted));
    }
    rig.settle(&mut app);
    assert!(app.state.acted.is_empty(), "local notes are dropped once the log has them");
    key(&mut app, KeyCode::Esc);
    assert!(matches!(&rig.ops()[2], Op::Act { index: 0, action: SuggestionAction::Dismissed, .. }));

    // A letter starts a prompt: Enter then submits it, not a suggestion.
    type_text(&mut app, "thanks");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(&rig.ops()[3], Op::Submit(ask) if ask.prompt == "thanks"));
}

#[test]
fn acted_suggestions_are_not_offered_again() {
    let rig = Rig::new();
    rig.start_session(rig.session, FrontendKind::Cli);
    let a = request(1);
    rig.propose(rig.session, a, "reverse a list", PromptContext::default());
    rig.answer(rig.session, a, CacheOutcome::Miss { reason: MissReason::Empty }, "xs[::-1]");
    let offered =
        rig.suggest(rig.session, a, SuggestionOrigin::Llm, SuggestionContext::History { depth: 2 }, &["one", "two"]);
    let acted = SuggestionActed { offered_seq: offered, index: 0, action: SuggestionAction::Dismissed };
    rig.write(rig.session, Some(a), Event::SuggestionActed(acted));
    let mut app = rig.app(false);
    key(&mut app, KeyCode::Enter);
    assert!(matches!(&rig.ops()[..], [Op::Act { index: 1, action: SuggestionAction::Sent, .. }]));
}

#[test]
fn ctrl_x_flags_only_a_cached_answer() {
    let rig = Rig::new();
    rig.start_session(rig.session, FrontendKind::Cli);
    let (a, b) = (request(1), request(2));
    rig.propose(rig.session, a, "q1", PromptContext::default());
    rig.answer(rig.session, a, CacheOutcome::Miss { reason: MissReason::Empty }, "fresh");
    let mut app = rig.app(false);
    press(&mut app, KeyCode::Char('x'), KeyModifiers::CONTROL);
    assert!(rig.ops().is_empty());
    assert!(app.state.status.as_deref().unwrap().contains("Only an answer from the cache"));
    rig.propose(rig.session, b, "q2", PromptContext::default());
    let response = rig.answer(rig.session, b, CacheOutcome::ExactHit { entry: EntryId("e-7".into()) }, "cached");
    rig.settle(&mut app);
    press(&mut app, KeyCode::Char('x'), KeyModifiers::CONTROL);
    assert_eq!(
        rig.ops(),
        vec![Op::Feedback {
            session: rig.session,
            response_seq: response,
            verdict: FeedbackVerdict::WrongAnswer,
            entry: Some(EntryId("e-7".into())),
        }]
    );
}

#[test]
fn views_help_and_quit() {
    let rig = Rig::new();
    let old = SessionId(uuid::Uuid::from_u128(7));
    rig.start_session(old, FrontendKind::Proxy);
    rig.propose_from(PromptOrigin::Proxy, old, request(9), "old question", PromptContext::default());
    rig.start_session(rig.session, FrontendKind::Cli);
    let mut app = rig.app(false);
    key(&mut app, KeyCode::F(1));
    assert!(app.state.help);
    // With the help open, keys do nothing but close it.
    type_text(&mut app, "abc");
    assert!(app.state.composer.prompt.is_empty());
    key(&mut app, KeyCode::Esc);
    assert!(!app.state.help);
    key(&mut app, KeyCode::Char('?'));
    assert!(app.state.help, "? opens the help while the composer is empty");
    key(&mut app, KeyCode::Char('?'));
    press(&mut app, KeyCode::Char('2'), KeyModifiers::ALT);
    assert_eq!(app.state.view, View::Sessions);
    assert_eq!(app.tracked.history.sessions.len(), 2);
    // Newest first: the proxy session is second.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.tracked.history.opened.as_ref().map(|o| o.session), Some(old));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.tracked.history.request, Some(request(9)));
    key(&mut app, KeyCode::Esc);
    assert!(app.tracked.history.opened.is_none());
    key(&mut app, KeyCode::F(4));
    assert_eq!(app.state.view, View::Stats);
    assert!(!key(&mut app, KeyCode::Char('q')), "q quits from the stats");
    key(&mut app, KeyCode::F(2));
    assert!(key(&mut app, KeyCode::Char('q')), "q is typed in the live view");
    assert_eq!(app.state.composer.prompt, "q");
    assert!(!press(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL));
    app.close();
    assert_eq!(rig.ops(), vec![Op::Close(rig.session)]);
}

#[test]
fn attached_it_approves_proxied_requests_but_not_old_ones() {
    let rig = Rig::new();
    let proxy = SessionId(uuid::Uuid::from_u128(5));
    rig.start_session(proxy, FrontendKind::Proxy);
    rig.propose_from(PromptOrigin::Proxy, proxy, request(1), "an old proxied prompt", PromptContext::default());
    let mut app = rig.app(true);
    assert!(app.tracked.live.awaiting().is_none(), "requests from before the app started wait for no one");
    rig.propose_from(PromptOrigin::Proxy, proxy, request(2), "a new proxied prompt", PromptContext::default());
    rig.settle(&mut app);
    assert_eq!(app.tracked.live.awaiting().map(|c| c.request), Some(request(2)));
    key(&mut app, KeyCode::Enter);
    assert_eq!(rig.ops(), vec![Op::Decide(request(2), Decision::Accepted)]);
    // Not attached, a proxied request is not this app's to decide.
    let mut own = rig.app(false);
    assert!(own.tracked.live.awaiting().is_none());
    key(&mut own, KeyCode::Enter);
    assert_eq!(rig.ops().len(), 1, "Enter with an empty composer sends nothing");
}

#[test]
fn the_guide_lists_every_key() {
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/guide.md")).unwrap();
    for (key, what) in lantern_tui::keys::KEY_MAP {
        assert!(guide.contains(&format!("| `{key}` | {what} |")), "docs/guide.md lacks the key {key}");
    }
}

#[test]
fn typing_ahead_is_never_taken_for_panel_keys() {
    let rig = Rig::new();
    let proxy = SessionId(uuid::Uuid::from_u128(5));
    rig.start_session(proxy, FrontendKind::Proxy);
    rig.start_session(rig.session, FrontendKind::Cli);
    let mut app = rig.app(true);
    type_text(&mut app, "how do ");
    // A proxied request arrives for approval while the user types.
    rig.propose_from(PromptOrigin::Proxy, proxy, request(2), "a proxied prompt", PromptContext::default());
    rig.settle(&mut app);
    assert!(app.tracked.live.awaiting().is_some());
    type_text(&mut app, "i open");
    key(&mut app, KeyCode::Enter);
    assert!(rig.ops().is_empty(), "neither `o`, `i`, `e` nor Enter acted on the panel: {:?}", rig.ops());
    assert_eq!(app.state.composer.prompt, "how do i open");
    assert!(app.state.status.as_deref().unwrap().contains("Decide on the refinement first"));
    press(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    key(&mut app, KeyCode::Char('o'));
    assert_eq!(rig.ops(), vec![Op::Decide(request(2), Decision::Rejected)]);
}

#[test]
fn an_edit_of_a_request_decided_elsewhere_is_dropped() {
    let rig = Rig::new();
    rig.start_session(rig.session, FrontendKind::Cli);
    rig.propose(rig.session, request(1), "fix this", PromptContext::default());
    let mut app = rig.app(false);
    key(&mut app, KeyCode::Char('i'));
    assert!(app.state.editing.is_some());
    // The decision timeout sends the original meanwhile.
    let d =
        ApprovalDecided { decision: Decision::TimedOut, by: Decider::Policy(ApprovalPolicy::Ask), waited_ms: 600_000 };
    rig.write(rig.session, Some(request(1)), Event::ApprovalDecided(d));
    rig.settle(&mut app);
    assert!(app.state.editing.is_none());
    assert!(app.state.status.as_deref().unwrap().contains("decided elsewhere"));
    type_text(&mut app, "x");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(&rig.ops()[..], [Op::Submit(ask)] if ask.prompt == "x"), "keys go to the composer again");
}

#[test]
fn paste_types_text_with_its_line_breaks() {
    let rig = Rig::new();
    let mut app = rig.app(false);
    app.paste("line one\r\nline two");
    assert_eq!(app.state.composer.prompt, "line one\nline two");
    assert!(rig.ops().is_empty(), "a pasted line break does not send");
    press(&mut app, KeyCode::Char('f'), KeyModifiers::CONTROL);
    app.paste("src/a.rs\n");
    assert_eq!(app.state.composer.file, "src/a.rs ");
}

#[test]
fn scrolling_keys_move_the_right_way_and_stay_in_range() {
    let rig = Rig::new();
    rig.start_session(rig.session, FrontendKind::Cli);
    let long: String = (1..=120).map(|i| format!("line {i} of the question\n")).collect();
    rig.propose(rig.session, request(1), &long, PromptContext::default());
    let mut app = rig.app(false);
    let first = |app: &mut lantern_tui::TuiApp| {
        let screen = support::screen(app, 100, 30);
        screen.lines().find(|l| l.contains("of the question")).unwrap_or("").to_owned()
    };
    assert!(first(&mut app).contains("line 1 of"), "{}", first(&mut app));
    key(&mut app, KeyCode::PageDown);
    assert!(first(&mut app).contains("line 11 of"), "PgDn moves down the diff");
    key(&mut app, KeyCode::End);
    support::screen(&mut app, 100, 30);
    let end = app.state.scroll;
    assert!(end < 200, "End is clamped to the diff when drawn ({end})");
    key(&mut app, KeyCode::PageUp);
    assert_eq!(app.state.scroll, end - 10, "PgUp after End moves at once");
    key(&mut app, KeyCode::Home);
    assert_eq!(app.state.scroll, 0);
    // In the live view the newest lines are at the bottom: PgUp goes back.
    rig.answer(rig.session, request(1), CacheOutcome::Miss { reason: MissReason::Empty }, &long);
    rig.settle(&mut app);
    let last = |app: &mut lantern_tui::TuiApp| support::screen(app, 100, 30);
    assert!(last(&mut app).contains("line 120 of"));
    key(&mut app, KeyCode::PageUp);
    assert!(!last(&mut app).contains("line 120 of"), "PgUp shows earlier lines");
    key(&mut app, KeyCode::End);
    assert!(last(&mut app).contains("line 120 of"), "End goes back to the newest");
}

#[test]
fn u_takes_an_offered_cached_answer_and_m_asks_the_model_but_typing_goes_to_the_prompt() {
    let rig = Rig::new();
    let a = request(1);
    rig.propose(rig.session, a, "whats the pythonic way to reverse a list", PromptContext::default());
    rig.offer(rig.session, a, true);
    let mut app = rig.app(false);
    key(&mut app, KeyCode::Char('u'));
    assert_eq!(rig.ops(), vec![Op::DecideOffer(a, true)]);
    key(&mut app, KeyCode::Char('m'));
    assert_eq!(rig.ops(), vec![Op::DecideOffer(a, true), Op::DecideOffer(a, false)]);
    // With a prompt being written, the letters are the prompt's.
    type_text(&mut app, "x");
    key(&mut app, KeyCode::Char('u'));
    assert_eq!(app.state.composer.prompt, "xu");
    assert_eq!(rig.ops().len(), 2);
    // Once the choice is journalled, u is a letter again.
    let chosen =
        OfferDecided { entry: EntryId("e42".into()), choice: OfferChoice::UsedCached, by: Decider::User, waited_ms: 4 };
    rig.write(rig.session, Some(a), Event::OfferDecided(chosen));
    rig.settle(&mut app);
    press(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    key(&mut app, KeyCode::Char('u'));
    assert_eq!(app.state.composer.prompt, "u");
    assert_eq!(rig.ops().len(), 2);
}

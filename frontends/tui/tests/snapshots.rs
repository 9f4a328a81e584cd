//! Frames of the terminal drawn into ratatui's TestBackend, as text
//! (insta). `INSTA_UPDATE=always cargo test -p lantern-tui --test snapshots`
//! rewrites them after an intended change; read the diff before committing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use crossterm::event::KeyCode;
use lantern_events::SessionId;
use lantern_events::schema::*;
use lantern_tui::theme::Theme;
use ratatui::style::Modifier;
use support::{Rig, draw, key, request, screen};

const W: u16 = 120;
const H: u16 = 34;

fn editor_context() -> PromptContext {
    let code = "fn parse_header(buf: &[u8]) -> Header {\n    let version = u16::from_le_bytes([buf[6], buf[7]]);\n    Header { version }\n}";
    PromptContext {
        active_file: Some("src/header.rs".into()),
        language: Some("rust".into()),
        selection: Some(Selection { text: code.into(), start_line: Some(12), end_line: Some(15) }),
    }
}

#[test]
fn approval_panel_with_a_real_diff() {
    let rig = Rig::new();
    rig.start_session(rig.session, FrontendKind::Cli);
    rig.propose(rig.session, request(1), "Why does this panic when the buffer is 7 bytes long?", editor_context());
    let mut app = rig.app(false);
    insta::assert_snapshot!("approval_side_by_side", screen(&mut app, W, H));
    key(&mut app, KeyCode::Char('d'));
    insta::assert_snapshot!("approval_unified", screen(&mut app, W, H));
    key(&mut app, KeyCode::Char('r'));
    key(&mut app, KeyCode::Char('i'));
    insta::assert_snapshot!("approval_rubric_and_inline_edit", screen(&mut app, W, H));
}

#[test]
fn changed_words_are_marked_without_colour() {
    let rig = Rig::new();
    rig.start_session(rig.session, FrontendKind::Cli);
    rig.propose(rig.session, request(1), "Why does this panic when the buffer is 7 bytes long?", editor_context());
    let mut app = rig.app(false);
    assert_eq!(app.theme, Theme { monochrome: true });
    let t = draw(&mut app, W, H);
    let buf = t.backend().buffer();
    // Every cell is free of colour; added text is underlined and bold.
    let mut added = 0;
    for cell in buf.content() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset);
        assert_eq!(cell.bg, ratatui::style::Color::Reset);
        if cell.modifier.contains(Modifier::UNDERLINED | Modifier::BOLD) {
            added += 1;
        }
    }
    assert!(added > 40, "{added} cells marked as added");
}

#[test]
fn a_cached_answer_offered_with_the_verifiers_refusal() {
    let rig = Rig::new();
    rig.start_session(rig.session, FrontendKind::Cli);
    let a = request(1);
    rig.propose(rig.session, a, "How do I reverse a string in Python?", PromptContext::default());
    rig.offer(rig.session, a, false);
    let mut app = rig.app(false);
    insta::assert_snapshot!("offer_refused_by_the_verifier", screen(&mut app, W, 20));
}

#[test]
fn answer_and_heuristic_suggestions_on_the_last_reply() {
    let rig = Rig::new();
    rig.start_session(rig.session, FrontendKind::Cli);
    let a = request(1);
    rig.propose(rig.session, a, "How do I reverse a list in Python?", PromptContext::default());
    rig.answer(
        rig.session,
        a,
        CacheOutcome::ExactHit { entry: EntryId("7f3a".into()) },
        "Use reversed(xs), or xs[::-1] for a reversed copy.",
    );
    rig.suggest(
        rig.session,
        a,
        SuggestionOrigin::Heuristic,
        SuggestionContext::LastAssistant,
        &["Show an example with a tuple", "What does xs[::-1] cost in memory?"],
    );
    let mut app = rig.app(false);
    key(&mut app, KeyCode::Down);
    insta::assert_snapshot!("answer_heuristic_last_reply", screen(&mut app, W, 20));
}

#[test]
fn llm_suggestions_on_a_history_of_depth_three() {
    let rig = Rig::new();
    rig.start_session(rig.session, FrontendKind::Cli);
    for (n, prompt) in [(1, "What is a B-tree?"), (2, "How does redb use one?"), (3, "What does a commit cost?")] {
        let r = request(n);
        rig.propose(rig.session, r, prompt, PromptContext::default());
        rig.answer(rig.session, r, CacheOutcome::Miss { reason: MissReason::Empty }, "An answer.");
    }
    rig.suggest(
        rig.session,
        request(3),
        SuggestionOrigin::Llm,
        SuggestionContext::History { depth: 3 },
        &["How does fsync interact with that?", "Compare it with an LSM tree"],
    );
    let mut app = rig.app(false);
    key(&mut app, KeyCode::Tab);
    insta::assert_snapshot!("llm_history_depth_three_editing", screen(&mut app, W, 22));
}

#[test]
fn help_sessions_and_stats() {
    let rig = Rig::new();
    let old = SessionId(uuid::Uuid::from_u128(7));
    rig.start_session(old, FrontendKind::Proxy);
    rig.propose_from(
        PromptOrigin::Proxy,
        old,
        request(9),
        "How do I reverse a list in Python?",
        PromptContext::default(),
    );
    rig.answer(old, request(9), CacheOutcome::Miss { reason: MissReason::Empty }, "xs[::-1]");
    rig.propose_from(PromptOrigin::Proxy, old, request(10), "reverse a python list", PromptContext::default());
    rig.answer(old, request(10), CacheOutcome::ExactHit { entry: EntryId("7f3a".into()) }, "xs[::-1]");
    rig.start_session(rig.session, FrontendKind::Cli);
    let mut app = rig.app(false);
    key(&mut app, KeyCode::F(1));
    insta::assert_snapshot!("help", screen(&mut app, W, H));
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::F(3));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!("sessions_opened_request", screen(&mut app, W, H));
    key(&mut app, KeyCode::F(4));
    insta::assert_snapshot!("stats", screen(&mut app, W, 20));
}

#[test]
fn a_small_terminal_still_draws() {
    let rig = Rig::new();
    rig.start_session(rig.session, FrontendKind::Cli);
    rig.propose(rig.session, request(1), "Why does this panic when the buffer is 7 bytes long?", editor_context());
    let mut app = rig.app(false);
    for (w, h) in [(20, 6), (1, 1), (40, 12), (300, 80)] {
        draw(&mut app, w, h);
    }
    insta::assert_snapshot!("small_40x12", screen(&mut app, 40, 12));
}

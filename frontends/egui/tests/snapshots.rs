//! Snapshot images of the main views (rendered headless by egui_kittest's
//! wgpu renderer). `UPDATE_SNAPSHOTS=1 cargo test -p lantern-egui --test snapshots`
//! rewrites them after an intended change; look at them before committing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use egui::Key;
use egui_kittest::kittest::Queryable;
use lantern_events::schema::*;
use lantern_events::{RequestId, SessionId};
use support::{Rig, harness, settle};

const SIZE: [f32; 2] = [1100.0, 760.0];

fn editor_context() -> PromptContext {
    let code = "fn parse_header(buf: &[u8]) -> Header {\n    let version = u16::from_le_bytes([buf[6], buf[7]]);\n    Header { version }\n}";
    PromptContext {
        active_file: Some("src/header.rs".into()),
        language: Some("rust".into()),
        selection: Some(Selection { text: code.into(), start_line: Some(12), end_line: Some(15) }),
    }
}

/// A past CLI session: a miss, then a semantic hit.
fn past_session(rig: &Rig) -> SessionId {
    let old = SessionId::new();
    rig.start_session(old, FrontendKind::Cli);
    let (a, b) = (RequestId::new(), RequestId::new());
    rig.propose(old, a, "How do I reverse a list in Python?", PromptContext::default());
    let miss = CacheOutcome::Miss { reason: MissReason::Empty };
    rig.answer(old, a, Decision::Accepted, miss, "Use reversed(xs), or xs[::-1] for a reversed copy.");
    rig.propose(old, b, "whats the pythonic way to reverse a list", PromptContext::default());
    let hit = CacheOutcome::SemanticHit {
        similarity: 0.912,
        entry: EntryId("7f3a".into()),
        matched_prompt: Some("How do I reverse a list in Python?".into()),
    };
    rig.answer(old, b, Decision::Accepted, hit, "Use reversed(xs), or xs[::-1] for a reversed copy.");
    rig.write(old, None, Event::SessionEnded(SessionEnded { reason: EndReason::UserExit }));
    old
}

#[test]
fn main_views() {
    let rig = Rig::new();
    past_session(&rig);
    rig.start_session(rig.session, FrontendKind::Desktop);
    let first = RequestId::new();
    rig.propose(rig.session, first, "How do I reverse a list in Python?", PromptContext::default());
    let exact = CacheOutcome::ExactHit { entry: EntryId("7f3a".into()) };
    rig.answer(rig.session, first, Decision::Accepted, exact, "Use reversed(xs), or xs[::-1] for a reversed copy.");
    rig.suggest(rig.session, first, &["Show an example with a tuple", "What does xs[::-1] cost in memory?"]);
    let mut h = harness(&rig, SIZE);
    h.snapshot("live_answer_and_suggestions");

    let pending = RequestId::new();
    rig.propose(rig.session, pending, "Why does this panic when the buffer is 7 bytes long?", editor_context());
    settle(&mut h, &rig);
    h.get_by_label("Accept & Send");
    h.snapshot("live_approval_panel");

    h.key_press(Key::E);
    h.run_steps(2);
    h.snapshot("live_approval_editing");
    h.key_press(Key::Escape);
    h.run_steps(2);

    h.key_press(Key::F1);
    h.run_steps(3);
    h.snapshot("help_overlay");
    h.key_press(Key::Escape);
    h.run_steps(3);

    h.get_by_label("Sessions").click();
    h.run_steps(2);
    // Newest first: the past session is the second of the two started that minute.
    h.get_all_by_label("2026-01-15 09:30").nth(1).unwrap().click();
    h.run_steps(2);
    h.get_by_label_contains("whats the pythonic way").click();
    h.run_steps(2);
    h.get_by_label("Refinement").click();
    h.run_steps(2);
    settle(&mut h, &rig);
    h.snapshot("session_browser");

    h.get_by_label("Stats").click();
    h.run_steps(3);
    h.snapshot("stats");
}

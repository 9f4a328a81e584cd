//! Frame time of the approval panel showing a 2,000-line prompt diff, while
//! scrolling through it; and the off-thread diff itself.
//!
//! `cargo bench -p lantern-egui --bench diff_frame` prints criterion's
//! figures and then p50/p99/max over 2,000 scrolled frames (UI pass plus
//! tessellation; no GPU upload).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::Criterion;
use lantern_actors::pipeline::Ask;
use lantern_egui::{Handle, LanternApp, UiOptions};
use lantern_events::schema::*;
use lantern_events::{Actor, EventLog, NewEvent, RequestId, SessionId};
use std::sync::Arc;
use std::time::{Duration, Instant};

const LINES: usize = 2_000;

/// A 2,000-line prompt (prose with fenced Rust blocks) and a refinement that
/// rewords every 7th line, adds a line every 50 and drops every 97th.
fn pair() -> (String, String) {
    let line = |i: usize| {
        if i % 40 >= 30 {
            format!("    let token_{i} = parser.next_token(&mut input)?; // step {i}")
        } else {
            format!("Step {i}: check that the parser handles token {i} and reports errors with line numbers.")
        }
    };
    let mut original = Vec::new();
    let mut refined = Vec::new();
    for i in 0..LINES {
        let fence = match i % 40 {
            30 => Some("```rust"),
            39 => Some("```"),
            _ => None,
        };
        let text = fence.map_or_else(|| line(i), str::to_owned);
        original.push(text.clone());
        if i.is_multiple_of(97) && fence.is_none() {
            continue;
        }
        if i.is_multiple_of(7) && fence.is_none() {
            refined.push(text.replace("check that", "verify that").replace("handles", "correctly handles"));
        } else {
            refined.push(text);
        }
        if i.is_multiple_of(50) {
            refined.push(format!("Note {i}: the expected output is a list of diagnostics."));
        }
    }
    (original.join("\n"), refined.join("\n"))
}

struct Null(SessionId);

impl Handle for Null {
    fn open_session(&self, _: FrontendKind, _: Option<String>) -> SessionId {
        self.0
    }
    fn close_session(&self, _: SessionId, _: EndReason) {}
    fn submit(&self, _: Ask) {}
    fn decide(&self, _: RequestId, _: Decision) {}
    fn decide_offer(&self, _: RequestId, _: bool) {}
    fn act_on_suggestion(&self, _: u64, _: u8, _: SuggestionAction, _: Ask) {}
    fn give_feedback(&self, _: SessionId, _: u64, _: FeedbackVerdict, _: Option<EntryId>) {}
}

fn proposal(original: &str, refined: &str) -> RefinementProposed {
    let score = Score { total: 40, max_total: 100, criteria: Vec::new() };
    let miss = PromptOutlook { nearest_similarity: None, verdict: OutlookVerdict::NoCandidate };
    RefinementProposed {
        original: original.into(),
        refined: refined.into(),
        changes: vec![Change { kind: ChangeKind::AddedStructure, description: "reworded".into(), tokens_added: 120 }],
        quality: QualityEstimate { before: score.clone(), after: score },
        cache_outlook: CacheOutlook { original: miss.clone(), refined: miss },
        anchors: Vec::new(),
        tokens_before: 30_000,
        tokens_after: 30_400,
        origin: RefinementOrigin::Rules,
        refiner: RefinerStamp { version: "bench".into(), config_hash: "0".into() },
    }
}

fn input(ctx_time: f64, wheel: f32) -> egui::RawInput {
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1400.0, 1000.0));
    let mut raw = egui::RawInput { screen_rect: Some(screen), time: Some(ctx_time), ..Default::default() };
    raw.events.push(egui::Event::PointerMoved(egui::pos2(700.0, 420.0)));
    if wheel != 0.0 {
        raw.events.push(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, wheel),
            modifiers: egui::Modifiers::NONE,
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
        });
    }
    raw
}

fn main() {
    let (original, refined) = pair();
    let mut c = Criterion::default().configure_from_args();
    c.bench_function("side_by_side diff, 2000 lines", |b| {
        b.iter(|| lantern_egui::diff::side_by_side(&original, &refined))
    });

    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(EventLog::open(&dir.path().join("events.redb")).unwrap());
    let (session, request) = (SessionId::new(), RequestId::new());
    let submitted = PromptSubmitted {
        text: original.as_str().into(),
        model: "claude-sonnet-4-5".into(),
        context: PromptContext::default(),
        origin: PromptOrigin::Typed,
    };
    let write = |event| log.append(NewEvent::now(session, Actor::Telemetry, event).in_request(request)).unwrap();
    write(Event::PromptSubmitted(submitted));
    let last = write(Event::RefinementProposed(proposal(&original, &refined)));
    let ctx = egui::Context::default();
    let options = UiOptions { model: "claude-sonnet-4-5".into(), workspace: None, proxy_approvals: false };
    let mut app = LanternApp::new(Box::new(Null(session)), log.clone(), options, &ctx).unwrap();
    assert!(app.pump_until(Duration::from_secs(30), |a| a.last_seq() >= last));
    let mut t = 0.0;
    let mut frame = |app: &mut LanternApp, wheel: f32| {
        t += 1.0 / 60.0;
        let out = ctx.run_ui(input(t, wheel), |ui| app.ui(ui));
        ctx.tessellate(out.shapes, out.pixels_per_point).len()
    };
    frame(&mut app, 0.0);
    assert!(app.diffs.wait_idle(Duration::from_secs(60)));
    for _ in 0..30 {
        frame(&mut app, 0.0);
    }
    c.bench_function("approval frame, 2000-line diff, scrolling", |b| {
        let mut i = 0u32;
        b.iter(|| {
            i += 1;
            frame(&mut app, if (i / 300).is_multiple_of(2) { -60.0 } else { 60.0 })
        })
    });

    let mut times = Vec::with_capacity(2_000);
    for i in 0..2_000u32 {
        let wheel = if (i / 300).is_multiple_of(2) { -60.0 } else { 60.0 };
        let start = Instant::now();
        frame(&mut app, wheel);
        times.push(start.elapsed());
    }
    times.sort_unstable();
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    println!(
        "approval frame, 2000-line diff, 2000 scrolled frames: p50 {:.3} ms · p99 {:.3} ms · max {:.3} ms",
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3
    );
    c.final_summary();
}

//! Frame time of the terminal's approval panel showing a 2,000-line prompt
//! diff, while scrolling through it (PgDn/PgUp), side by side and unified.
//!
//! `cargo bench -p lantern-tui --bench diff_frame` prints criterion's
//! figures and then p50/p99/max over 2,000 scrolled frames of a 200×60
//! terminal: the whole draw into ratatui's buffer (what goes to the terminal
//! is only the cells that changed, written by the backend, not timed here).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::Criterion;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use lantern_actors::pipeline::Ask;
use lantern_events::schema::*;
use lantern_events::{Actor, EventLog, NewEvent, RequestId, SessionId};
use lantern_tui::{Handle, TuiApp, TuiOptions};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;
use std::time::{Duration, Instant};

const LINES: usize = 2_000;

/// The prompt pair of the window's benchmark (frontends/egui/benches/diff_frame.rs):
/// prose with fenced Rust blocks; every 7th line reworded, a line added every
/// 50, every 97th dropped.
fn pair() -> (String, String) {
    let line = |i: usize| {
        if i % 40 >= 30 {
            format!("    let token_{i} = parser.next_token(&mut input)?; // step {i}")
        } else {
            format!("Step {i}: check that the parser handles token {i} and reports errors with line numbers.")
        }
    };
    let (mut original, mut refined) = (Vec::new(), Vec::new());
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

fn main() {
    let (original, refined) = pair();
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
    let options = TuiOptions { model: "claude-sonnet-4-5".into(), ..TuiOptions::default() };
    let mut app = TuiApp::new(Box::new(Null(session)), log.clone(), options).unwrap();
    assert!(app.pump_until(Duration::from_secs(30), |a| a.tracked.last_seq() >= last));
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    terminal.draw(|f| app.draw(f)).unwrap();
    assert!(app.diffs.wait_idle(Duration::from_secs(60)));
    let rows = app.diffs.get(&original, &refined).unwrap().rows.len();
    // Down the whole diff and back, a page per frame.
    let pages = (rows / 10).max(1);
    let mut frame = |app: &mut TuiApp, i: usize| {
        let code = if (i / pages).is_multiple_of(2) { KeyCode::PageDown } else { KeyCode::PageUp };
        app.key(KeyEvent::new(code, KeyModifiers::NONE));
        terminal.draw(|f| app.draw(f)).unwrap();
    };
    let mut c = Criterion::default().configure_from_args();
    for (name, toggle) in [("side by side", false), ("unified", true)] {
        if toggle {
            app.key(KeyEvent::new(KeyCode::Char('d'), KeyModifiers::NONE));
        }
        app.state.scroll = 0;
        c.bench_function(&format!("terminal approval frame, 2000-line diff, {name}, scrolling"), |b| {
            let mut i = 0;
            b.iter(|| {
                i += 1;
                frame(&mut app, i)
            })
        });
        app.state.scroll = 0;
        let mut times = Vec::with_capacity(2_000);
        for i in 0..2_000 {
            let start = Instant::now();
            frame(&mut app, i);
            times.push(start.elapsed());
        }
        times.sort_unstable();
        let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
        println!(
            "terminal approval frame, 2000-line diff ({rows} rows), {name}, 200x60, 2000 scrolled frames: p50 {:.3} ms · p99 {:.3} ms · max {:.3} ms",
            at(0.5).as_secs_f64() * 1e3,
            at(0.99).as_secs_f64() * 1e3,
            at(1.0).as_secs_f64() * 1e3
        );
    }
    c.final_summary();
}

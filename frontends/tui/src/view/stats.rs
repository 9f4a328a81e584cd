//! Figures over the whole log: the counters `lantern stats` prints, the hit
//! rate over time and the answers' latency by source.

use super::wrap;
use crate::app::TuiApp;
use lantern_events::schema::ResponseSource;
use lantern_replay::stats::{LATENCY_BUCKETS_MS, latency_histogram};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline};

/// Lookups the hit-rate curve averages over.
const WINDOW: usize = 20;

/// Draws the stats into `area`.
pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &mut TuiApp) {
    let t = app.theme;
    let stats = &app.tracked.stats;
    let width = usize::from(area.width);
    let mut lines: Vec<Line<'static>> = vec![Line::styled("Stats over the whole log", t.strong())];
    for l in stats.summary().lines() {
        lines.extend(wrap::lines(&l, Style::new(), width));
    }
    lines.extend(wrap::lines(
        &format!("~{} tokens saved by the cache (estimated)", stats.tokens_saved()),
        Style::new(),
        width,
    ));
    let rows = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    let [text, curve, latency] =
        Layout::vertical([Constraint::Length(rows), Constraint::Length(6), Constraint::Min(0)]).areas(area);
    frame.render_widget(Paragraph::new(lines), text);
    if stats.lookups.is_empty() {
        frame
            .render_widget(Paragraph::new(Line::styled("No cache lookups yet: send a prompt first.", t.weak())), curve);
        return;
    }
    let points: Vec<u64> = stats.hit_rate_over_time(WINDOW).iter().map(|(_, r)| (r * 100.0).round() as u64).collect();
    let keep = usize::from(curve.width.saturating_sub(2));
    let shown = &points[points.len().saturating_sub(keep)..];
    let title = format!(" Cache hit rate, last {WINDOW} lookups (0–100 %), newest right ");
    let spark = Sparkline::default().block(Block::new().borders(Borders::ALL).title(title)).data(shown).max(100);
    frame.render_widget(spark, curve);
    let last = LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.len() - 1];
    let heads: Vec<String> = LATENCY_BUCKETS_MS
        .iter()
        .map(|b| format!("≤{b}"))
        .chain([format!(">{last}")])
        .map(|h| format!("{h:>7}"))
        .collect();
    let mut lines = vec![
        Line::styled("Answers by latency (ms)", t.strong()),
        Line::styled(format!("{:>9} {}", "", heads.concat()), t.weak()),
    ];
    for (source, name) in
        [(ResponseSource::Cache, "cache"), (ResponseSource::Upstream, "upstream"), (ResponseSource::Offline, "offline")]
    {
        let counts = latency_histogram(&stats.deliveries, source);
        if counts.iter().all(|n| *n == 0) {
            continue;
        }
        let cells: Vec<String> = counts.iter().map(|n| format!("{n:>7}")).collect();
        lines.push(Line::raw(format!("{name:>9} {}", cells.concat())));
    }
    frame.render_widget(Paragraph::new(lines), latency);
}

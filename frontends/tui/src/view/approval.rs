//! The approval panel: quality, cache outlook, tokens and cost on one line,
//! the change list and cache anchors, the rubric on demand, and the diff (or
//! the inline editor) below.

use super::{diff, wrap};
use crate::state::{Editing, TuiState};
use crate::theme::Theme;
use lantern_events::schema::*;
use lantern_frontend::diff::SideBySide;
use lantern_frontend::{format, pricing};
use lantern_replay::chain::RequestChain;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

/// The lines above the diff: metrics, changes, anchors (and the rubric when asked).
pub fn header(p: &RefinementProposed, model: &str, rubric: bool, t: &Theme, w: usize) -> Vec<Line<'static>> {
    let (before, after) = (&p.quality.before, &p.quality.after);
    let by = match p.origin {
        RefinementOrigin::Rules => "rules",
        RefinementOrigin::Llm => "LLM",
    };
    let metrics = format!(
        "Quality {} -> {} / {} · Cache: original {} · refined {} · Tokens {} -> {} · Est. cost ${:.6} -> ${:.6}",
        before.total,
        after.total,
        after.max_total,
        format::outlook(&p.cache_outlook.original),
        format::outlook(&p.cache_outlook.refined),
        p.tokens_before,
        p.tokens_after,
        pricing::input_cost(model, p.tokens_before),
        pricing::input_cost(model, p.tokens_after),
    );
    let mut out = wrap::spans(
        &[(metrics, t.strong()), (format!("  refined by {by} · refiner {}", p.refiner.version), t.weak())],
        w,
    );
    if rubric {
        out.extend(wrap::lines(
            "Quality rubric (an estimate, not a measurement): criterion, original, refined, why",
            t.weak(),
            w,
        ));
        for c in &after.criteria {
            let was = before.criteria.iter().find(|b| b.name == c.name).map_or(0, |b| b.points);
            let line = format!("  {}: {was}/{} -> {}/{} · {}", c.name, c.max_points, c.points, c.max_points, c.note);
            out.extend(wrap::lines(&line, Style::new(), w));
        }
    }
    if p.changes.is_empty() {
        out.extend(wrap::lines("No changes proposed: the prompt goes out as written.", t.weak(), w));
    } else {
        out.push(Line::styled(format!("Changes ({})", p.changes.len()), t.strong()));
        for c in &p.changes {
            let line = format!("  {} · {} · {:+} tokens", format::change_kind(c.kind), c.description, c.tokens_added);
            out.extend(wrap::lines(&line, Style::new(), w));
        }
    }
    if !p.anchors.is_empty() {
        out.push(Line::styled(format!("Cache anchors ({})", p.anchors.len()), t.strong()));
        for a in &p.anchors {
            out.extend(wrap::lines(&format!("  {}", format::anchor(a)), Style::new(), w));
        }
    }
    out
}

/// Draws the panel for `chain` (which carries a proposal) into `area`.
/// `proxied` says whether it is a proxy client's request rather than the user's.
pub fn draw(
    frame: &mut Frame<'_>,
    area: Rect,
    chain: &RequestChain,
    d: Option<&SideBySide>,
    proxied: bool,
    state: &TuiState,
    t: &Theme,
) {
    let Some(p) = chain.proposal.as_ref().map(|p| &p.event) else { return };
    let who = if proxied {
        let prompt = chain.prompt().map(|p| format!(": “{}”", format::excerpt(p, 50))).unwrap_or_default();
        format!("A proxied request waits for your decision{prompt}")
    } else {
        "Your prompt, refined".to_owned()
    };
    let block = Block::new().borders(Borders::ALL).title(Line::styled(format!(" {who} "), t.strong()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let mut head = header(p, &state.model, state.rubric, t, w);
    let cap = usize::from(inner.height / 2).max(1);
    if head.len() > cap {
        head.truncate(cap.saturating_sub(1));
        let more = if state.rubric {
            "… (r hides the rubric; a taller terminal shows the rest)"
        } else {
            "… (a taller terminal shows the rest)"
        };
        head.push(Line::styled(more, t.weak()));
    }
    let rows = u16::try_from(head.len()).unwrap_or(u16::MAX);
    let [top, bottom] = Layout::vertical([Constraint::Length(rows), Constraint::Min(1)]).areas(inner);
    frame.render_widget(Paragraph::new(head), top);
    if let Some(Editing::Refined { request, text }) = &state.editing
        && *request == chain.request
    {
        let editor = Block::new().borders(Borders::TOP).title(Line::styled(
            " Refined prompt (editing: Enter sends, Alt+Enter or Ctrl+J new line, Esc cancels) ",
            t.strong(),
        ));
        let lines = wrap::lines(&format!("{text}▏"), Style::new(), usize::from(bottom.width));
        let skip = lines.len().saturating_sub(usize::from(bottom.height.saturating_sub(1)));
        frame.render_widget(Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>()).block(editor), bottom);
        return;
    }
    let title = match d {
        Some(d) => format!(
            " Original │ Refined · −{} +{} words · {} ",
            d.removed_words,
            d.added_words,
            match state.layout {
                crate::state::DiffLayout::SideBySide => "side by side (d: unified)",
                crate::state::DiffLayout::Unified => "unified (d: side by side)",
            }
        ),
        None => " Diff ".to_owned(),
    };
    let pane = Block::new().borders(Borders::TOP).title(Line::styled(title, t.weak()));
    let body = pane.inner(bottom);
    frame.render_widget(pane, bottom);
    let lines = match (p.original.as_str(), p.refined.as_str(), d) {
        (Some(_), Some(_), Some(d)) => {
            let from = state.scroll.min(d.rows.len().saturating_sub(1));
            diff::lines(d, state.layout, t, usize::from(body.width), from, usize::from(body.height))
        }
        (Some(_), Some(_), None) => vec![Line::styled("Computing the diff…", t.weak())],
        _ => wrap::lines(
            "The texts were withheld by the privacy level; only their sizes are known.",
            t.weak(),
            usize::from(body.width),
        ),
    };
    frame.render_widget(Paragraph::new(lines), body);
}

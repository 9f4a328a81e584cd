//! The session browser: sessions newest first; an opened session's requests;
//! the selected request's chain, read-only, with its refinement.

use super::{approval, chain, row_style, wrap};
use crate::app::TuiApp;
use lantern_events::schema::FrontendKind;
use lantern_frontend::format;
use lantern_replay::words;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

/// Draws the browser into `area`.
pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &mut TuiApp) {
    let t = app.theme;
    let history = &app.tracked.history;
    let [left, right] = Layout::horizontal([Constraint::Percentage(40), Constraint::Min(20)]).areas(area);
    let block = Block::new()
        .borders(Borders::RIGHT)
        .title(Line::styled(format!(" Sessions ({}) ", history.sessions.len()), t.strong()));
    let inner = block.inner(left);
    frame.render_widget(block, left);
    let mut lines: Vec<Line<'static>> = Vec::new();
    if let Some(e) = &history.error {
        lines.extend(wrap::lines(e, t.error(), usize::from(inner.width)));
    }
    if history.sessions.is_empty() {
        lines.push(Line::styled("No sessions in the log yet.", t.weak()));
    }
    let height = usize::from(inner.height);
    let first = app.state.session_row.saturating_sub(height.saturating_sub(1));
    for (i, s) in history.sessions.iter().enumerate().skip(first).take(height) {
        let open = history.opened.as_ref().is_some_and(|o| o.session == s.session);
        let frontend = s.frontend.map_or("?", words::frontend);
        let text = format!(
            "{}{} {:<7} {} prompts · {} hits",
            if open { "▸" } else { " " },
            format::minute(s.started_at),
            frontend,
            s.prompts,
            s.cache_hits
        );
        lines.push(Line::styled(text, row_style(&t, i == app.state.session_row && history.opened.is_none())));
    }
    frame.render_widget(Paragraph::new(lines), inner);

    let Some(opened) = &history.opened else {
        frame.render_widget(Paragraph::new(Line::styled(" Enter opens the selected session.", t.weak())), right);
        return;
    };
    let n = opened.chains.len();
    let list_rows = u16::try_from(n.min(8) + 1).unwrap_or(9);
    let [list, detail] = Layout::vertical([Constraint::Length(list_rows), Constraint::Min(3)]).areas(right);
    let mut rows = vec![Line::styled(format!(" Session {} · {n} requests", opened.session), t.strong())];
    let first = app.state.request_row.saturating_sub(7);
    for (i, c) in opened.chains.iter().enumerate().skip(first).take(8) {
        rows.push(Line::styled(format!(" {}", chain::summary(c)), row_style(&t, i == app.state.request_row)));
    }
    frame.render_widget(Paragraph::new(rows), list);
    let Some(c) = history.request.and_then(|r| opened.chains.get(r)) else {
        frame.render_widget(Paragraph::new(Line::styled(" Enter shows the selected request.", t.weak())), detail);
        return;
    };
    let width = usize::from(detail.width);
    let mut lines = Vec::new();
    if let Some(p) = &c.proposal {
        lines.extend(approval::header(&p.event, &app.state.model, true, &t, width));
    }
    let proxied =
        history.sessions.iter().any(|s| s.session == opened.session && s.frontend == Some(FrontendKind::Proxy));
    let ctx = chain::Ctx { theme: &t, width, selected: None, editing: None, proxied, acted: &[] };
    lines.extend(chain::lines(c, &ctx));
    app.state.scroll = app.state.scroll.min(lines.len().saturating_sub(1));
    let skip = app.state.scroll;
    let block = Block::new().borders(Borders::TOP);
    frame.render_widget(Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>()).block(block), detail);
}

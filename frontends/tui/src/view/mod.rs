//! Drawing: one function per part of the screen, reading the app's state
//! and the folded log; nothing here changes either.

pub mod approval;
pub mod chain;
pub mod diff;
mod help;
mod sessions;
mod stats;
pub mod wrap;

use crate::app::TuiApp;
use crate::state::Field;
use crate::theme::Theme;
use lantern_frontend::View;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, app: &mut TuiApp) {
    let [top, body, hints] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)]).areas(frame.area());
    top_bar(frame, top, app);
    match app.state.view {
        View::Live => live(frame, body, app),
        View::Sessions => sessions::draw(frame, body, app),
        View::Stats => stats::draw(frame, body, app),
    }
    hint_line(frame, hints, app);
    if app.state.help {
        help::draw(frame, frame.area(), &app.theme);
    }
}

fn top_bar(frame: &mut Frame<'_>, area: Rect, app: &TuiApp) {
    let t = &app.theme;
    let mut spans = vec![Span::styled(" Lantern ", t.strong())];
    for (key, name, view) in
        [("F2", "Live", View::Live), ("F3", "Sessions", View::Sessions), ("F4", "Stats", View::Stats)]
    {
        let style = if app.state.view == view { t.selected() } else { Style::new() };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(format!("{key} {name}"), style));
    }
    let pipeline = app.attached.as_deref().unwrap_or("own pipeline");
    spans.push(Span::styled(format!("  · {} · {pipeline} · F1 help", app.state.model), t.weak()));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn hint_line(frame: &mut Frame<'_>, area: Rect, app: &TuiApp) {
    let t = &app.theme;
    let (text, style) = if let Some(e) = app.tracked.feed_error() {
        (format!("The log stopped: {e}"), t.error())
    } else if let Some(s) = &app.state.status {
        (s.clone(), t.warn())
    } else {
        (hints(app).to_owned(), t.weak())
    };
    frame.render_widget(Paragraph::new(Line::styled(text, style)), area);
}

fn hints(app: &TuiApp) -> &'static str {
    let live = &app.tracked.live;
    match app.state.view {
        View::Sessions if app.tracked.history.opened.is_some() => {
            "↑↓ request · Enter show · PgUp/PgDn scroll · Esc back · q quit"
        }
        View::Sessions => "↑↓ session · Enter open · F5 reload · Esc live · q quit",
        View::Stats => "Esc live · q quit",
        View::Live if app.state.editing.is_some() => "Enter send · Alt+Enter / Ctrl+J new line · Esc cancel",
        View::Live if live.awaiting().is_some() => {
            "Enter accept · e edit in $EDITOR · i edit inline · o send original · d diff layout · r rubric · PgUp/PgDn scroll"
        }
        View::Live if app.state.composer.is_idle() && live.current().is_some_and(|c| c.pending_offer().is_some()) => {
            "u use the cached answer · m ask the model · type to write a new prompt · F1 help"
        }
        View::Live
            if app.state.composer.is_idle()
                && live.current().is_some_and(|c| !crate::keys::open_suggestions(c, &app.state.acted).is_empty()) =>
        {
            "↑↓ suggestion · Enter send it · Tab edit it · Esc dismiss it · type to write a new prompt · F1 help"
        }
        View::Live => {
            "Enter send · Ctrl+F file/lines · PgUp/PgDn scroll · Ctrl+X flag a cached answer · F1 help · Ctrl+C quit"
        }
    }
}

fn live(frame: &mut Frame<'_>, area: Rect, app: &mut TuiApp) {
    let [main, composer_area] = Layout::vertical([Constraint::Min(3), Constraint::Length(5)]).areas(area);
    composer(frame, composer_area, app);
    let t = app.theme;
    if let Some(chain) = app.tracked.live.awaiting() {
        let d = match chain.proposal.as_ref().map(|p| (p.event.original.as_str(), p.event.refined.as_str())) {
            Some((Some(o), Some(r))) => app.diffs.get(o, r),
            _ => None,
        };
        let proxied = chain.session != app.tracked.live.session;
        if let Some(d) = &d {
            app.state.scroll = app.state.scroll.min(d.rows.len().saturating_sub(1));
        }
        approval::draw(frame, main, chain, d.as_deref(), proxied, &app.state, &t);
        return;
    }
    let width = usize::from(main.width);
    let live = &app.tracked.live;
    let mut lines: Vec<Line<'static>> = Vec::new();
    let n = live.chains.len();
    if n == 0 && live.pending.is_empty() {
        lines.extend(wrap::lines(
            "Write a prompt below and press Enter. Lantern proposes a refinement; you accept it, edit it or send the original.",
            t.weak(),
            width,
        ));
    }
    for c in live.chains.iter().take(n.saturating_sub(1)).skip(n.saturating_sub(4)) {
        let who = if c.session == live.session { "" } else { "proxy · " };
        lines.push(Line::styled(wrap_cut(&format!("{who}{}", chain::summary(c)), width), t.weak()));
    }
    if let Some(c) = live.current() {
        if n > 1 {
            lines.push(Line::styled("─".repeat(width), t.weak()));
        }
        let open = crate::keys::open_suggestions(c, &app.state.acted).len();
        let selected = (app.state.composer.is_idle() && open > 0).then(|| app.state.suggestion.min(open - 1));
        let proxied = c.session != live.session;
        let acted = &app.state.acted;
        let ctx = chain::Ctx { theme: &t, width, selected, editing: app.state.editing.as_ref(), proxied, acted };
        lines.extend(chain::lines(c, &ctx));
    }
    if !live.pending.is_empty() {
        lines.push(Line::styled("Refining the prompt…", t.weak()));
    }
    let height = usize::from(main.height);
    // Scrolled from the end: the newest lines show unless the user scrolls up.
    let max = lines.len().saturating_sub(height);
    app.state.scroll = app.state.scroll.min(max);
    let skip = max - app.state.scroll;
    frame.render_widget(Paragraph::new(lines.into_iter().skip(skip).take(height).collect::<Vec<_>>()), main);
}

fn wrap_cut(text: &str, width: usize) -> String {
    wrap::rows(text, Style::new(), &[], Style::new(), width.max(2) - 1).first().map_or_else(String::new, |r| {
        let s: String = r.spans.iter().map(|s| s.content.as_ref()).collect();
        if s.len() < text.len() { format!("{s}…") } else { s }
    })
}

fn composer(frame: &mut Frame<'_>, area: Rect, app: &TuiApp) {
    let t = &app.theme;
    let c = &app.state.composer;
    let busy = app.tracked.live.awaiting().is_some();
    let title = if busy { " Prompt (decide on the refinement above first) " } else { " Prompt " };
    let block = Block::new().borders(Borders::ALL).title(Line::styled(title, if busy { t.weak() } else { t.strong() }));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let cursor = |f: Field| if c.field == f && !busy && app.state.editing.is_none() { "▏" } else { "" };
    let width = usize::from(inner.width);
    let mut prompt = wrap::lines(&format!("{}{}", c.prompt, cursor(Field::Prompt)), Style::new(), width);
    if c.prompt.is_empty() && c.field == Field::Prompt {
        prompt = vec![Line::from(vec![
            Span::raw(cursor(Field::Prompt)),
            Span::styled("Ask something… (Enter sends)", t.weak()),
        ])];
    }
    let keep = usize::from(inner.height.saturating_sub(1)).max(1);
    let skip = prompt.len().saturating_sub(keep);
    let mut lines: Vec<Line<'static>> = prompt.into_iter().skip(skip).collect();
    let field = |name: &str, value: &str, f: Field, hint: &str| {
        let style = if c.field == f { t.selected() } else { Style::new() };
        let shown = if value.is_empty() && c.field != f { hint.to_owned() } else { format!("{value}{}", cursor(f)) };
        [Span::styled(format!("{name}: "), t.weak()), Span::styled(shown, style), Span::raw("  ")]
    };
    let mut last: Vec<Span<'static>> = Vec::new();
    match &c.error {
        Some(e) => last.push(Span::styled(e.clone(), t.error())),
        None => {
            last.extend(field("File", &c.file, Field::File, "none"));
            last.extend(field("Lines", &c.lines, Field::Lines, "A-B"));
            last.push(Span::styled("(Ctrl+F)", t.weak()));
        }
    }
    while lines.len() < keep {
        lines.push(Line::default());
    }
    lines.push(Line::from(last));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Shared by the views: a theme's style for a selected or plain row.
fn row_style(t: &Theme, selected: bool) -> Style {
    if selected { t.selected() } else { Style::new() }
}

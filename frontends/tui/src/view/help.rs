//! The key map overlay.

use crate::keys::KEY_MAP;
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// Draws the overlay centred in `area`.
pub fn draw(frame: &mut Frame<'_>, area: Rect, t: &Theme) {
    let width = area.width.saturating_sub(4).min(100);
    let height = area.height.saturating_sub(2).min(u16::try_from(KEY_MAP.len() + 4).unwrap_or(u16::MAX));
    let rect = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    let mut lines: Vec<Line<'static>> = KEY_MAP
        .iter()
        .map(|(k, what)| Line::from(vec![Span::styled(format!("{k:>16}  "), t.key()), Span::raw(*what)]))
        .collect();
    lines.push(Line::default());
    lines.push(Line::styled("Esc, ? or F1 closes this help.", t.weak()));
    let block = Block::new().borders(Borders::ALL).title(Line::styled(" Keys ", t.strong()));
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), rect);
}

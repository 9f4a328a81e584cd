//! The key map overlay.

use super::wrap;
use crate::keys::KEY_MAP;
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// Draws the overlay centred in `area`.
pub fn draw(frame: &mut Frame<'_>, area: Rect, t: &Theme) {
    let width = area.width.saturating_sub(4).min(100);
    let inner = usize::from(width.saturating_sub(2));
    let mut lines: Vec<Line<'static>> = KEY_MAP
        .iter()
        .flat_map(|(k, what)| {
            wrap::spans(&[(format!("{k:>16}  "), t.key()), ((*what).to_owned(), Style::new())], inner)
        })
        .collect();
    lines.push(Line::default());
    lines.push(Line::styled("Esc, ? or F1 closes this help.", t.weak()));
    let wanted = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let height = area.height.saturating_sub(2).min(wanted);
    let rect = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    let block = Block::new().borders(Borders::ALL).title(Line::styled(" Keys ", t.strong()));
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

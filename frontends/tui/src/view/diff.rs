//! The refinement diff in the terminal: side by side (original left,
//! refined right) or unified (`-` then `+` lines), changed words marked.
//! Only the rows on screen are wrapped and styled, so that a frame costs the
//! same for a 20-line and a 2,000-line prompt.

use super::wrap::{Row, rows};
use crate::state::DiffLayout;
use crate::theme::Theme;
use lantern_frontend::diff::{DiffLine, Mark, SideBySide};
use ratatui::text::{Line, Span};

fn styled(line: &DiffLine, theme: &Theme, width: usize) -> Vec<Row> {
    let (base, word) = match line.mark {
        Mark::Same if line.code.is_some() => (theme.code(), theme.code()),
        Mark::Same => (ratatui::style::Style::new(), ratatui::style::Style::new()),
        Mark::Removed => (theme.removed_line(), theme.removed_word()),
        Mark::Added => (theme.added_line(), theme.added_word()),
    };
    // A line changed as a whole has no word marks: mark all of it (words keep their spaces).
    let whole = 0..line.text.len();
    let marks = if line.words.is_empty() && line.mark != Mark::Same && !line.text.trim().is_empty() && theme.monochrome
    {
        std::slice::from_ref(&whole)
    } else {
        &line.words[..]
    };
    rows(&line.text, base, marks, word, width)
}

/// Up to `height` terminal lines of `diff`, starting at row `from`, for a pane `width` wide.
pub fn lines(
    diff: &SideBySide,
    layout: DiffLayout,
    theme: &Theme,
    width: usize,
    from: usize,
    height: usize,
) -> Vec<Line<'static>> {
    let mut out = Vec::with_capacity(height);
    let sep = Span::styled(" │ ", theme.weak());
    for row in diff.rows.iter().skip(from) {
        if out.len() >= height {
            break;
        }
        match layout {
            DiffLayout::SideBySide => {
                let half = width.saturating_sub(3) / 2;
                let left = row.left.as_ref().map(|l| styled(l, theme, half)).unwrap_or_default();
                let right = row.right.as_ref().map(|l| styled(l, theme, half)).unwrap_or_default();
                for k in 0..left.len().max(right.len()) {
                    let mut spans = left.get(k).cloned().unwrap_or_default().pad(half).spans;
                    spans.push(sep.clone());
                    spans.extend(right.get(k).cloned().unwrap_or_default().spans);
                    out.push(Line::from(spans));
                }
            }
            DiffLayout::Unified => {
                let same = matches!((&row.left, &row.right), (Some(l), Some(_)) if l.mark == Mark::Same);
                let sides: Vec<(&str, &DiffLine)> = if same {
                    row.left.iter().map(|l| ("  ", l)).collect()
                } else {
                    row.left.iter().map(|l| ("- ", l)).chain(row.right.iter().map(|r| ("+ ", r))).collect()
                };
                for (prefix, line) in sides {
                    let style = match line.mark {
                        Mark::Removed => theme.removed_line(),
                        Mark::Added => theme.added_line(),
                        Mark::Same => theme.weak(),
                    };
                    for (k, r) in styled(line, theme, width.saturating_sub(2)).into_iter().enumerate() {
                        let lead = if k == 0 { prefix } else { "  " };
                        let mut spans = vec![Span::styled(lead, style)];
                        spans.extend(r.spans);
                        out.push(Line::from(spans));
                    }
                }
            }
        }
    }
    out.truncate(height);
    out
}

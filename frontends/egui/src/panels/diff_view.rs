//! Original and refined side by side: changed lines tinted, changed words
//! marked, code blocks syntax-highlighted.

use crate::diff::{DiffLine, DiffRow, Mark, SideBySide};
use egui::text::{ByteIndex, LayoutJob, LayoutSection};
use egui::{Color32, TextFormat, TextStyle};
use egui_extras::syntax_highlighting::{CodeTheme, highlight};
use std::borrow::Cow;

/// Up to this many rows, lines wrap and every row is laid out; beyond it,
/// only the visible rows are, one line each (full text on hover).
pub const WRAP_LIMIT: usize = 200;

/// Shows the diff.
pub fn show(ui: &mut egui::Ui, diff: &SideBySide) {
    ui.columns(2, |cols| {
        cols[0].strong("Original");
        cols[1].strong("Refined");
    });
    ui.label(
        egui::RichText::new(format!("-{} words · +{} words", diff.removed_words, diff.added_words)).weak().small(),
    );
    let theme = CodeTheme::from_style(ui.style());
    let scroll = egui::ScrollArea::vertical().id_salt("diff").max_height(420.0).auto_shrink([false, true]);
    if diff.rows.len() <= WRAP_LIMIT {
        scroll.show(ui, |ui| {
            for row in &diff.rows {
                show_row(ui, row, &theme, true);
            }
        });
    } else {
        let row_height = ui.text_style_height(&TextStyle::Body).max(ui.text_style_height(&TextStyle::Monospace));
        scroll.show_rows(ui, row_height, diff.rows.len(), |ui, range| {
            for row in &diff.rows[range] {
                show_row(ui, row, &theme, false);
            }
        });
    }
}

fn show_row(ui: &mut egui::Ui, row: &DiffRow, theme: &CodeTheme, wrap: bool) {
    ui.columns(2, |cols| {
        for (ui, line) in cols.iter_mut().zip([&row.left, &row.right]) {
            match line {
                Some(line) => {
                    let (job, indent) = line_job(ui, line, theme);
                    let label = egui::Label::new(job);
                    if indent > 0.0 {
                        ui.horizontal(|ui| {
                            ui.add_space(indent);
                            ui.add(label.truncate());
                        });
                        continue;
                    }
                    // Code keeps its indentation on one line; prose wraps when there is room.
                    if wrap && line.code.is_none() {
                        ui.add(label.wrap());
                    } else {
                        ui.add(label.truncate());
                    }
                }
                None => {
                    ui.label("");
                }
            }
        }
    });
}

/// The layout of one line, and the indentation to put before it: code is
/// highlighted, and the diff's tints and word marks are laid over.
pub fn line_job(ui: &egui::Ui, line: &DiffLine, theme: &CodeTheme) -> (LayoutJob, f32) {
    let (base, line, indent_px) = match &line.code {
        Some(lang) => {
            // egui hangs a row's leading spaces left of the label: indent with space before it instead.
            let indent = line.text.len() - line.text.trim_start_matches(' ').len();
            let lang = if lang.is_empty() { "txt" } else { lang };
            let job = highlight(ui.ctx(), ui.style(), theme, &line.text[indent..], lang);
            let font = TextStyle::Monospace.resolve(ui.style());
            let space = ui.ctx().fonts_mut(|f| f.glyph_width(&font, ' '));
            let words = line.words.iter().map(|r| r.start.saturating_sub(indent)..r.end.saturating_sub(indent));
            let shifted = DiffLine { text: line.text[indent..].to_owned(), words: words.collect(), ..line.clone() };
            (job, Cow::Owned(shifted), indent as f32 * space)
        }
        None => {
            let font = TextStyle::Body.resolve(ui.style());
            let job = LayoutJob::simple_singleline(line.text.clone(), font, ui.visuals().text_color());
            (job, Cow::Borrowed(line), 0.0)
        }
    };
    let line = line.as_ref();
    let dark = ui.visuals().dark_mode;
    let (tint, strong) = match (line.mark, dark) {
        (Mark::Same, _) => return (base, indent_px),
        (Mark::Removed, true) => (Color32::from_rgb(70, 30, 30), Color32::from_rgb(140, 45, 45)),
        (Mark::Removed, false) => (Color32::from_rgb(255, 232, 232), Color32::from_rgb(250, 180, 180)),
        (Mark::Added, true) => (Color32::from_rgb(25, 60, 35), Color32::from_rgb(40, 120, 60)),
        (Mark::Added, false) => (Color32::from_rgb(230, 255, 236), Color32::from_rgb(170, 240, 185)),
    };
    (overlay(base, line, tint, strong), indent_px)
}

/// Splits `job`'s sections at the marked words; tints the line, and marks
/// the words (removed words are also struck through).
fn overlay(job: LayoutJob, line: &DiffLine, tint: Color32, strong: Color32) -> LayoutJob {
    let mut cuts: Vec<usize> = line.words.iter().flat_map(|r| [r.start, r.end]).collect();
    cuts.sort_unstable();
    let in_word = |at: usize| line.words.iter().any(|r| r.start <= at && at < r.end);
    let mut out = LayoutJob { sections: Vec::new(), ..job.clone() };
    for section in job.sections {
        let range = section.byte_range.start.0..section.byte_range.end.0;
        let mut start = range.start;
        let ends = cuts.iter().copied().filter(|&c| c > range.start && c < range.end).chain([range.end]);
        for end in ends {
            let mut format: TextFormat = section.format.clone();
            if in_word(start) {
                format.background = strong;
                if line.mark == Mark::Removed {
                    format.strikethrough = egui::Stroke::new(1.0, format.color);
                }
            } else {
                format.background = tint;
            }
            let leading_space = if start == range.start { section.leading_space } else { 0.0 };
            out.sections.push(LayoutSection { leading_space, byte_range: ByteIndex(start)..ByteIndex(end), format });
            start = end;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_get_their_own_sections() {
        let line = DiffLine {
            text: "fix the nasty bug".into(),
            mark: Mark::Added,
            words: std::iter::once(8..13).collect(),
            code: None,
        };
        let job = LayoutJob::simple_singleline(line.text.clone(), egui::FontId::default(), Color32::WHITE);
        let out = overlay(job, &line, Color32::BLACK, Color32::GREEN);
        let parts: Vec<(&str, Color32)> = out
            .sections
            .iter()
            .map(|s| (&line.text[s.byte_range.start.0..s.byte_range.end.0], s.format.background))
            .collect();
        assert_eq!(parts, vec![("fix the ", Color32::BLACK), ("nasty", Color32::GREEN), (" bug", Color32::BLACK)]);
    }
}

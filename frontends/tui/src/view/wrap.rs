//! Text cut into terminal lines of a given width, keeping styled word
//! ranges, so that a view knows exactly how many rows it takes and draws
//! only the rows on screen.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use std::ops::Range;
use unicode_width::UnicodeWidthChar;

/// Columns a tab takes.
const TAB: usize = 4;

/// One wrapped row: its spans and its width in columns.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// The spans.
    pub spans: Vec<Span<'static>>,
    /// Columns used.
    pub width: usize,
}

impl Row {
    fn push(&mut self, text: &str, style: Style, width: usize) {
        match self.spans.last_mut() {
            Some(last) if last.style == style => last.content.to_mut().push_str(text),
            _ => self.spans.push(Span::styled(text.to_owned(), style)),
        }
        self.width += width;
    }

    /// Pads the row with spaces to `width` columns.
    pub fn pad(mut self, width: usize) -> Self {
        if self.width < width {
            self.spans.push(Span::raw(" ".repeat(width - self.width)));
            self.width = width;
        }
        self
    }
}

/// Cuts `text` into rows of at most `width` columns: `base` style, and
/// `marked` style on the byte ranges in `marks`. Rows break after a space
/// where they can (a word longer than a row is cut); but for the spaces at
/// a break, which are dropped, the text is kept as it is. An empty text is
/// one empty row.
pub fn rows(text: &str, base: Style, marks: &[Range<usize>], marked: Style, width: usize) -> Vec<Row> {
    let styled =
        text.char_indices().map(|(i, c)| (c, if marks.iter().any(|m| m.contains(&i)) { marked } else { base }));
    wrap(styled, width)
}

/// A line of styled parts, wrapped to `width` like [`rows`]; a `\n` starts a new row.
pub fn spans(parts: &[(String, Style)], width: usize) -> Vec<Line<'static>> {
    let styled = parts.iter().flat_map(|(text, style)| text.chars().map(move |c| (c, *style)));
    wrap(styled, width).into_iter().map(|r| Line::from(r.spans)).collect()
}

/// [`rows`] of plain text as lines (each line of `text` starts a row).
pub fn lines(text: &str, style: Style, width: usize) -> Vec<Line<'static>> {
    rows(text, style, &[], style, width).into_iter().map(|r| Line::from(r.spans)).collect()
}

/// A word being placed: its characters, their styles and columns.
#[derive(Default)]
struct Word {
    pieces: Vec<(char, Style, usize)>,
    /// Columns of all its pieces.
    width: usize,
    /// Columns of its trailing spaces (the rest must fit on the row).
    trailing: usize,
}

fn wrap(chars: impl Iterator<Item = (char, Style)>, width: usize) -> Vec<Row> {
    let width = width.max(1);
    let (mut out, mut row, mut word) = (Vec::new(), Row::default(), Word::default());
    for (c, style) in chars {
        if c == '\n' {
            place(&mut word, &mut row, &mut out, width);
            out.push(std::mem::take(&mut row));
            continue;
        }
        let (c, w) = match c {
            '\t' => (' ', TAB),
            c if c.is_control() => continue,
            c => (c, c.width().unwrap_or(0)),
        };
        word.pieces.push((c, style, w));
        word.width += w;
        if c == ' ' {
            word.trailing += w;
            place(&mut word, &mut row, &mut out, width);
        } else {
            word.trailing = 0;
        }
    }
    place(&mut word, &mut row, &mut out, width);
    out.push(row);
    out
}

fn place(word: &mut Word, row: &mut Row, out: &mut Vec<Row>, width: usize) {
    let solid = word.width - word.trailing;
    if row.width > 0 && row.width + solid > width && solid <= width {
        out.push(std::mem::take(row));
    }
    let mut buf = [0u8; 4];
    for (c, style, w) in word.pieces.drain(..) {
        if row.width + w > width && row.width > 0 {
            // Spaces that do not fit end the row; they are not carried over.
            if c == ' ' {
                continue;
            }
            out.push(std::mem::take(row));
        }
        let text = if w == TAB && c == ' ' { "    " } else { c.encode_utf8(&mut buf) };
        row.push(text, style, w);
    }
    word.width = 0;
    word.trailing = 0;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(r: &Row) -> String {
        r.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn wraps_at_the_width_and_keeps_marks() {
        let bold = Style::new().add_modifier(ratatui::style::Modifier::BOLD);
        let r = rows("abcdefgh", Style::new(), std::slice::from_ref(&(2..4)), bold, 3);
        assert_eq!(r.iter().map(text).collect::<Vec<_>>(), ["abc", "def", "gh"]);
        let words = rows("one two three", Style::new(), &[], bold, 9);
        assert_eq!(words.iter().map(text).collect::<Vec<_>>(), ["one two ", "three"]);
        assert_eq!(r[0].spans.len(), 2);
        assert_eq!(r[0].spans[1].style, bold);
        assert_eq!(r[1].spans[0].style, bold);
        assert_eq!(r[1].spans[1].content, "ef");
    }

    #[test]
    fn wide_characters_and_tabs_count_their_columns() {
        let r = rows("日本語\tx", Style::new(), &[], Style::new(), 6);
        assert_eq!(r.iter().map(text).collect::<Vec<_>>(), ["日本語", "x"]);
        let r = rows("a\tb", Style::new(), &[], Style::new(), 8);
        assert_eq!(r.iter().map(text).collect::<Vec<_>>(), ["a    b"]);
        assert_eq!(rows("", Style::new(), &[], Style::new(), 5).len(), 1);
    }

    #[test]
    fn span_lines_wrap_across_parts() {
        let parts = [("ab".to_owned(), Style::new()), ("cde".to_owned(), Style::new())];
        let l = spans(&parts, 4);
        assert_eq!(l.len(), 2);
        assert_eq!(l[1].spans[0].content, "e");
        assert!(rows("", Style::new(), &[], Style::new(), 3)[0].spans.is_empty());
        let two = spans(&[("You: ".to_owned(), Style::new()), ("line one\nline two".to_owned(), Style::new())], 40);
        assert_eq!(two.len(), 2);
        assert_eq!(two[1].spans[0].content, "line two");
    }
}

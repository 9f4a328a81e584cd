//! Whitespace normalisation of prose, leaving every protected span untouched.
//!
//! In prose only: trailing spaces, tabs and `\r` are removed at line ends; runs
//! of two or more spaces inside a line become one (leading indentation is
//! kept, so nested lists survive); runs of blank lines become one blank line;
//! blank lines at the start and whitespace at the end of the prompt are
//! removed. A Markdown hard break (two trailing spaces) is therefore lost.

use super::markup::Span;

/// What the normalisation did, for the change description.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct WhitespaceStats {
    /// Lines whose trailing whitespace was removed.
    pub(crate) trailing: u32,
    /// Runs of spaces collapsed to one.
    pub(crate) space_runs: u32,
    /// Runs of blank lines collapsed to one.
    pub(crate) blank_runs: u32,
    /// Whether leading blank lines or trailing whitespace of the prompt were removed.
    pub(crate) edges: bool,
}

impl WhitespaceStats {
    /// A short human description, e.g. "trailing spaces on 2 lines, 1 run of blank lines".
    pub(crate) fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.trailing > 0 {
            parts.push(format!("trailing whitespace on {} line(s)", self.trailing));
        }
        if self.space_runs > 0 {
            parts.push(format!("{} run(s) of spaces", self.space_runs));
        }
        if self.blank_runs > 0 {
            parts.push(format!("{} run(s) of blank lines", self.blank_runs));
        }
        if self.edges {
            parts.push("blank lines at the start or end".to_owned());
        }
        format!("Normalised whitespace in prose ({}); code and quotes untouched.", parts.join(", "))
    }
}

/// `text` with its prose normalised, and what changed.
pub(crate) fn normalise(text: &str, spans: &[Span]) -> (String, WhitespaceStats) {
    let mut stats = WhitespaceStats::default();
    let mut out = String::with_capacity(text.len());
    for (i, span) in spans.iter().enumerate() {
        let piece = &text[span.range.clone()];
        if span.kind.is_protected() {
            out.push_str(piece);
            continue;
        }
        let at_line_start = span.range.start == 0 || text[..span.range.start].ends_with('\n');
        let mut prose = normalise_prose(piece, at_line_start, &mut stats);
        if i == 0 {
            let trimmed = prose.trim_start_matches('\n');
            if trimmed.len() != prose.len() {
                stats.edges = true;
                prose = trimmed.to_owned();
            }
        }
        if i + 1 == spans.len() {
            let trimmed = prose.trim_end();
            if trimmed.len() != prose.len() {
                stats.edges = true;
                prose.truncate(trimmed.len());
            }
        }
        out.push_str(&prose);
    }
    (out, stats)
}

fn normalise_prose(piece: &str, at_line_start: bool, stats: &mut WhitespaceStats) -> String {
    let segments: Vec<&str> = piece.split('\n').collect();
    let mut lines = Vec::with_capacity(segments.len());
    for (idx, seg) in segments.iter().enumerate() {
        let ends_line = idx + 1 < segments.len();
        let mut line: &str = seg;
        if ends_line {
            let trimmed = line.trim_end_matches([' ', '\t', '\r']);
            if trimmed.len() != line.len() {
                stats.trailing += 1;
            }
            line = trimmed;
        }
        let lead_len =
            if idx > 0 || at_line_start { line.len() - line.trim_start_matches([' ', '\t']).len() } else { 0 };
        let (lead, rest) = line.split_at(lead_len);
        lines.push(format!("{lead}{}", collapse_spaces(rest, stats)));
    }
    collapse_blank_lines(&lines.join("\n"), stats)
}

fn collapse_spaces(s: &str, stats: &mut WhitespaceStats) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = 0;
    for c in s.chars() {
        if c == ' ' {
            run += 1;
            if run == 1 {
                out.push(c);
            } else if run == 2 {
                stats.space_runs += 1;
            }
        } else {
            run = 0;
            out.push(c);
        }
    }
    out
}

fn collapse_blank_lines(s: &str, stats: &mut WhitespaceStats) -> String {
    let mut out = String::with_capacity(s.len());
    let mut newlines = 0;
    for c in s.chars() {
        if c == '\n' {
            newlines += 1;
            if newlines <= 2 {
                out.push(c);
            } else if newlines == 3 {
                stats.blank_runs += 1;
            }
        } else {
            newlines = 0;
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::markup::scan;
    use super::*;

    fn norm(text: &str) -> String {
        normalise(text, &scan(text)).0
    }

    #[test]
    fn prose_is_tidied() {
        assert_eq!(norm("\n\nwhy   does it  fail?  \n\n\n\nthanks  \n"), "why does it fail?\n\nthanks");
    }

    #[test]
    fn indentation_and_protected_spans_are_kept() {
        let text = "- a\n  - nested  item\n```\nx  =  1   \n\n\n```\n> keep   this  \n`a  b` and \"c   d\"";
        assert_eq!(norm(text), "- a\n  - nested item\n```\nx  =  1   \n\n\n```\n> keep   this  \n`a  b` and \"c   d\"");
    }

    #[test]
    fn normalising_twice_changes_nothing_more() {
        let text = "a  `x`   b  \n\n\n   c \"q  \"  \n    code  \n\n\n\n    more\n\n\nend   ";
        let once = norm(text);
        assert_eq!(norm(&once), once);
    }
}

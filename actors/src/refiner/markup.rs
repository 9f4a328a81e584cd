//! Splits a prompt into prose and protected spans.
//!
//! Protected spans are never altered by any rule: fenced code blocks (```` ``` ````
//! or `~~~`, closed or running to the end), indented code (a line starting with
//! four spaces or a tab, plus blank lines between two such lines), `>` block
//! quotes, `` `inline code` `` and quoted strings (`"…"` and `“…”`). A block
//! span covers its lines but not the newline ending its last line, which stays
//! prose. Inline spans are searched within a prose region only; an unmatched
//! backtick run or quote is plain prose.

use std::ops::Range;

/// What a span of the prompt is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SpanKind {
    /// Ordinary text: the only kind that may be normalised.
    Prose,
    /// A fenced code block; `info` is its info string (often the language), `closed` whether it ends.
    Fenced { info: String, closed: bool },
    /// Lines indented by four spaces or a tab.
    Indented,
    /// Lines starting with `>`.
    BlockQuote,
    /// A backtick code span.
    InlineCode,
    /// A `"…"` or `“…”` quotation.
    Quoted,
}

impl SpanKind {
    /// Whether rules must keep this span byte-for-byte.
    pub(crate) fn is_protected(&self) -> bool {
        !matches!(self, SpanKind::Prose)
    }

    /// Whether this is a code block (fenced or indented).
    pub(crate) fn is_code_block(&self) -> bool {
        matches!(self, SpanKind::Fenced { .. } | SpanKind::Indented)
    }
}

/// A contiguous byte range of the prompt with its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Span {
    /// What it is.
    pub(crate) kind: SpanKind,
    /// Byte range in the scanned text.
    pub(crate) range: Range<usize>,
}

/// The spans of `text`, in order, covering it completely.
pub(crate) fn scan(text: &str) -> Vec<Span> {
    let lines = line_ranges(text);
    let mut spans = Vec::new();
    let mut prose_start = 0;
    let mut i = 0;
    while i < lines.len() {
        let line = &text[lines[i].clone()];
        let (kind, last) = if let Some((fence, len, info)) = fence_open(line) {
            let close = (i + 1..lines.len()).find(|&j| is_fence_close(&text[lines[j].clone()], fence, len));
            (SpanKind::Fenced { info, closed: close.is_some() }, close.unwrap_or(lines.len() - 1))
        } else if is_block_quote(line) {
            let mut j = i;
            while j + 1 < lines.len() && is_block_quote(&text[lines[j + 1].clone()]) {
                j += 1;
            }
            (SpanKind::BlockQuote, j)
        } else if is_indented(line) {
            (SpanKind::Indented, indented_end(text, &lines, i))
        } else {
            i += 1;
            continue;
        };
        let block = lines[i].start..lines[last].end;
        push_prose(text, prose_start..block.start, &mut spans);
        spans.push(Span { kind, range: block.clone() });
        prose_start = block.end;
        i = last + 1;
    }
    push_prose(text, prose_start..text.len(), &mut spans);
    spans
}

/// The text of the prose spans, with each protected span replaced by one space.
pub(crate) fn prose_only(text: &str, spans: &[Span]) -> String {
    let mut out = String::with_capacity(text.len());
    for span in spans {
        if span.kind.is_protected() {
            out.push(' ');
        } else {
            out.push_str(&text[span.range.clone()]);
        }
    }
    out
}

/// Whether `text` ends inside a fenced block that is never closed.
pub(crate) fn ends_in_open_fence(spans: &[Span]) -> bool {
    spans.iter().any(|s| matches!(s.kind, SpanKind::Fenced { closed: false, .. }))
}

/// Byte ranges of each line, without its `\n`.
fn line_ranges(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            out.push(start..i);
            start = i + 1;
        }
    }
    out.push(start..text.len());
    out
}

/// Up to three spaces of indentation, as CommonMark allows before a fence or `>`.
fn strip_up_to_three_spaces(line: &str) -> &str {
    let n = line.bytes().take(4).take_while(|&b| b == b' ').count();
    if n <= 3 { &line[n..] } else { line }
}

/// `(fence char, run length, info string)` when `line` opens a fence.
fn fence_open(line: &str) -> Option<(char, usize, String)> {
    let rest = strip_up_to_three_spaces(line);
    let fence = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = rest.chars().take_while(|c| *c == fence).count();
    if len < 3 {
        return None;
    }
    let info = rest[len..].trim();
    if fence == '`' && info.contains('`') {
        return None;
    }
    Some((fence, len, info.split_whitespace().next().unwrap_or("").to_owned()))
}

/// Whether `line` closes a fence opened with `len` times `fence`.
fn is_fence_close(line: &str, fence: char, len: usize) -> bool {
    let rest = strip_up_to_three_spaces(line);
    let run = rest.chars().take_while(|c| *c == fence).count();
    run >= len && rest[run..].trim().is_empty()
}

fn is_block_quote(line: &str) -> bool {
    strip_up_to_three_spaces(line).starts_with('>')
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

fn is_indented(line: &str) -> bool {
    (line.starts_with("    ") || line.starts_with('\t')) && !is_blank(line)
}

/// Last line of the indented block starting at `i`: blank lines count only between indented lines.
fn indented_end(text: &str, lines: &[Range<usize>], i: usize) -> usize {
    let mut last = i;
    let mut j = i + 1;
    while j < lines.len() {
        let line = &text[lines[j].clone()];
        if is_indented(line) {
            last = j;
        } else if !is_blank(line) {
            break;
        }
        j += 1;
    }
    last
}

/// Pushes the prose region `range`, split around its inline code spans and quotations.
fn push_prose(text: &str, range: Range<usize>, spans: &mut Vec<Span>) {
    let region = &text[range.clone()];
    let mut plain_start = 0;
    let mut pos = 0;
    while pos < region.len() {
        let rest = &region[pos..];
        let Some(c) = rest.chars().next() else { break };
        let found = match c {
            '`' => {
                let run = rest.bytes().take_while(|&b| b == b'`').count();
                match closing_backticks(&rest[run..], run) {
                    Some(end) => Some((SpanKind::InlineCode, run + end)),
                    None => {
                        pos += run;
                        continue;
                    }
                }
            }
            '"' => rest[1..].find('"').map(|e| (SpanKind::Quoted, 1 + e + 1)),
            '“' => rest[c.len_utf8()..].find('”').map(|e| (SpanKind::Quoted, c.len_utf8() + e + '”'.len_utf8())),
            _ => None,
        };
        match found {
            Some((kind, len)) => {
                if plain_start < pos {
                    spans.push(Span { kind: SpanKind::Prose, range: range.start + plain_start..range.start + pos });
                }
                spans.push(Span { kind, range: range.start + pos..range.start + pos + len });
                pos += len;
                plain_start = pos;
            }
            None => pos += c.len_utf8(),
        }
    }
    if plain_start < region.len() {
        spans.push(Span { kind: SpanKind::Prose, range: range.start + plain_start..range.end });
    }
}

/// End (exclusive, relative to `s`) of the first run of exactly `run` backticks in `s`.
fn closing_backticks(s: &str, run: usize) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let n = bytes[i..].iter().take_while(|&&b| b == b'`').count();
            if n == run {
                return Some(i + n);
            }
            i += n;
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(SpanKind, &str)> {
        scan(text).into_iter().map(|s| (s.kind, &text[s.range])).collect()
    }

    #[test]
    fn spans_cover_the_text_in_order() {
        let text = "a \"q\" `c`\n```rust\nfn x() {}\n```\n> quoted\n\n    indented\nend";
        let spans = scan(text);
        let mut at = 0;
        for s in &spans {
            assert_eq!(s.range.start, at);
            at = s.range.end;
        }
        assert_eq!(at, text.len());
    }

    #[test]
    fn finds_fences_quotes_inline_code_and_indented_blocks() {
        let got = kinds("ask `x` \"y\"\n```rust\ncode  \n```\n> q  \n\n    ind\n\n    ent\nok");
        let protected: Vec<_> = got.iter().filter(|(k, _)| k.is_protected()).collect();
        assert_eq!(protected.len(), 5, "{got:?}");
        assert_eq!(protected[2].0, SpanKind::Fenced { info: "rust".into(), closed: true });
        assert_eq!(protected[2].1, "```rust\ncode  \n```");
        assert_eq!(protected[4], &(SpanKind::Indented, "    ind\n\n    ent"));
    }

    #[test]
    fn unmatched_backticks_and_quotes_are_prose() {
        assert!(kinds("it's a \"loose quote and `tick").iter().all(|(k, _)| !k.is_protected()));
    }

    #[test]
    fn an_unclosed_fence_runs_to_the_end() {
        let spans = scan("see\n```\ncode\n\n");
        assert!(ends_in_open_fence(&spans));
        assert_eq!(spans.last().map(|s| s.range.end), Some(14));
    }
}

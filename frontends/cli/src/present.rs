//! How a request's chain is shown in a terminal: the refinement diff and
//! metrics, the decision, the answer with its source, the suggestions.

use crate::render;
use lantern_events::schema::*;
use lantern_replay::words;
use similar::{ChangeTag, TextDiff};
use std::io::Write;

/// ANSI styling, off when the output is not a terminal or `NO_COLOR` is set.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Whether to emit colour codes.
    pub color: bool,
}

impl Style {
    /// Colour when `out_is_tty` and `NO_COLOR` is unset.
    pub fn detect(out_is_tty: bool) -> Self {
        Style { color: out_is_tty && std::env::var_os("NO_COLOR").is_none() }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_owned() }
    }

    /// Dimmed text.
    pub fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }

    /// Bold text.
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }

    fn removed(&self, s: &str) -> String {
        if self.color { self.paint("9;31", s) } else { format!("[-{s}-]") }
    }

    fn added(&self, s: &str) -> String {
        if self.color { self.paint("32", s) } else { format!("{{+{s}+}}") }
    }
}

/// A word-level diff of `original` → `refined`: removals struck through in
/// red, additions in green (`[-…-]` / `{+…+}` without colour).
pub fn word_diff(original: &str, refined: &str, style: Style) -> String {
    let diff = TextDiff::from_words(original, refined);
    let mut out = String::new();
    let mut run: Option<(ChangeTag, String)> = None;
    let flush = |out: &mut String, run: Option<(ChangeTag, String)>| match run {
        Some((ChangeTag::Equal, v)) => out.push_str(&v),
        Some((ChangeTag::Delete, v)) => out.push_str(&style.removed(&v)),
        Some((ChangeTag::Insert, v)) => out.push_str(&style.added(&v)),
        None => {}
    };
    // Whole runs of one kind are marked once, not word by word.
    for change in diff.iter_all_changes() {
        match &mut run {
            Some((tag, text)) if *tag == change.tag() => text.push_str(change.value()),
            _ => flush(&mut out, run.replace((change.tag(), change.value().to_owned()))),
        }
    }
    flush(&mut out, run);
    out
}

/// The approval panel: metrics, diff, changes, anchors.
pub fn proposal(p: &RefinementProposed, style: Style, out: &mut impl Write) -> std::io::Result<()> {
    let (Some(original), Some(refined)) = (p.original.as_str(), p.refined.as_str()) else {
        return writeln!(out, "{}", render::describe(&Event::RefinementProposed(p.clone())));
    };
    writeln!(
        out,
        "{}  quality {} → {} (estimate) · tokens {} → {} · cache: original {} / refined {}",
        style.bold("Refinement"),
        p.quality.before.total,
        p.quality.after.total,
        p.tokens_before,
        p.tokens_after,
        words::outlook(&p.cache_outlook.original),
        words::outlook(&p.cache_outlook.refined),
    )?;
    if p.changes.is_empty() {
        writeln!(out, "  {}", style.dim("no changes proposed"))?;
        return Ok(());
    }
    for line in word_diff(original, refined, style).lines() {
        writeln!(out, "  │ {line}")?;
    }
    for c in &p.changes {
        writeln!(out, "  • {}: {} ({:+} tokens)", words::change_kind(c.kind), c.description, c.tokens_added)?;
    }
    for a in &p.anchors {
        writeln!(
            out,
            "  ⚓ cache_control after {:?} ({} tokens, {:?}): {}",
            a.target, a.prefix_tokens, a.ttl, a.reason
        )?;
    }
    let rubric: Vec<String> =
        p.quality.after.criteria.iter().map(|c| format!("{} {}/{}", c.name, c.points, c.max_points)).collect();
    writeln!(out, "  {}", style.dim(&format!("rubric (refined): {}", rubric.join(", "))))
}

/// The suggestions, numbered, with their metadata line.
pub fn suggestions(s: &SuggestionsOffered, style: Style, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "{}  {}", style.bold("Next"), style.dim(&s.metadata_line()))?;
    for (i, x) in s.suggestions.iter().enumerate() {
        writeln!(out, "  {}. {}", i + 1, x.text.display())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_diff_marks_additions_and_removals() {
        let d = word_diff("fix the bug", "fix the parser bug now", Style { color: false });
        assert_eq!(d, "fix the {+parser +}bug{+ now+}");
        let d = word_diff("ask", "ask\n\nExpected output: a list.", Style { color: false });
        assert_eq!(d, "ask{+\n\nExpected output: a list.+}");
        let d = word_diff("a b c", "a c", Style { color: false });
        assert_eq!(d, "a [-b -]c");
    }
}

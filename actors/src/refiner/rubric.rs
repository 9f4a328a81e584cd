//! The quality rubric: a transparent estimate, not a measurement.
//!
//! It scores only what the model will see (the prompt text), with five
//! criteria whose points add up to at most 100:
//!
//! | criterion              | max | points for                                                      |
//! |------------------------|-----|-----------------------------------------------------------------|
//! | context                | 25  | a code block 12 (inline code or a quote only: 5), a file named 8, a language named 5 |
//! | specificity (own words)| 25  | prose length (≥ 6 words 5, ≥ 15 words 10), identifiers 5, concrete values or an error message 5, constraints 5 |
//! | intent and structure   | 20  | a recognisable intent 10, structure (a list or headings) 10     |
//! | expected output        | 15  | the prompt says what to return                                  |
//! | resolved references    | 15  | no vague reference, or something in the text it can refer to   |
//!
//! Specificity is measured on the user's own words only (for the refined
//! prompt: the normalised original, without the sections the rules added),
//! so boilerplate cannot buy points. The other criteria read the whole text.
//!
//! The numbers are a heuristic for comparing a prompt with its refinement;
//! they do not predict answer quality.

use super::cues;
use super::markup::{self, SpanKind};
use lantern_events::schema::{Criterion, Score};
use regex::Regex;
use std::sync::LazyLock;

/// A path with a known source extension, or a relative path with a slash.
static FILE_NAME: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"\b[\w.-]+\.(rs|py|pyi|ts|tsx|js|jsx|mjs|go|java|kt|c|h|cc|cpp|hpp|cs|rb|php|swift|scala|sh|sql|html|css",
        r"|toml|ya?ml|json|md|lua|zig|exs?|hs|dart|vue|svelte|lock|txt|cfg|ini)\b|\b[\w.-]+/[\w./-]+\b",
    ))
    .ok()
});

/// `snake_case`, `camelCase`/`PascalCase` with an inner capital, `path::item`, or `call()`.
static IDENTIFIER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"\b[a-z]+_[a-z0-9_]+\b|\b[a-z]+[A-Z]\w*\b|\b[A-Z][a-z]+[A-Z]\w*\b|\w::\w|\w\(\)").ok()
});

const CONSTRAINTS: &[&str] = &[
    "must",
    "should",
    "without",
    "only",
    "don't",
    "do not",
    "keep",
    "avoid",
    "at most",
    "at least",
    "preserve",
    "no more than",
    "never",
    "always",
];

/// Scores `text` against the rubric; `own` is the part the user wrote, for specificity.
pub(crate) fn score(text: &str, own: &str) -> Score {
    let spans = markup::scan(text);
    let prose = markup::prose_only(text, &spans);
    let lower = prose.to_lowercase();
    let has = |f: fn(&SpanKind) -> bool| spans.iter().any(|s| f(&s.kind));
    let matches = |re: &LazyLock<Option<Regex>>, s: &str| re.as_ref().is_some_and(|re| re.is_match(s));

    let code_block = has(SpanKind::is_code_block);
    let inline_or_quote = has(|k| matches!(k, SpanKind::InlineCode | SpanKind::Quoted | SpanKind::BlockQuote));
    let file = matches(&FILE_NAME, text);
    let fence_lang = has(|k| matches!(k, SpanKind::Fenced { info, .. } if !info.is_empty()));
    let language = fence_lang || super::languages::language_named_in(&prose).is_some();
    let error = cues::has_error_message(text);
    let mut criteria = Vec::with_capacity(5);

    let mut notes = Vec::new();
    let mut points = 0;
    if code_block {
        points += 12;
        notes.push("a code block");
    } else if inline_or_quote {
        points += 5;
        notes.push("inline code or a quote, but no code block");
    } else {
        notes.push("no code");
    }
    if file {
        points += 8;
        notes.push("a file named");
    } else {
        notes.push("no file named");
    }
    if language {
        points += 5;
        notes.push("a language named");
    } else {
        notes.push("no language named");
    }
    criteria.push(criterion("context", points, 25, &notes));

    criteria.push(specificity(own));

    let intent = cues::detect_intent(&prose, text);
    let structured = cues::is_structured(&prose);
    let intent_note = intent.map_or_else(|| "no recognisable intent".to_owned(), |i| format!("a {} ask", i.name()));
    let structure_note = if structured { "structured" } else { "no structure" };
    let points = if intent.is_some() { 10 } else { 0 } + if structured { 10 } else { 0 };
    criteria.push(criterion("intent and structure", points, 20, &[&intent_note, structure_note]));

    let stated = cues::states_expected_output(&lower);
    let note = if stated { "says what to return" } else { "does not say what to return" };
    criteria.push(criterion("expected output", if stated { 15 } else { 0 }, 15, &[note]));

    let vague = cues::vague_references(&prose);
    let (points, note) = if vague.is_empty() {
        (15, "no vague references".to_owned())
    } else if code_block || inline_or_quote || file || error {
        (15, format!("{} can refer to the code, quote or file in the prompt", vague.join(", ")))
    } else {
        (0, format!("{} refer to nothing in the prompt", vague.join(", ")))
    };
    criteria.push(criterion("resolved references", points, 15, &[&note]));

    let total = criteria.iter().map(|c| c.points).sum();
    let max_total = criteria.iter().map(|c| c.max_points).sum();
    Score { total, max_total, criteria }
}

/// Specificity of the user's own text.
fn specificity(own: &str) -> Criterion {
    let spans = markup::scan(own);
    let prose = markup::prose_only(own, &spans);
    let words = cues::sentences(&prose).concat();
    let has = |f: fn(&SpanKind) -> bool| spans.iter().any(|s| f(&s.kind));
    let mut notes = Vec::new();
    let mut points = 0;
    let n = words.len();
    points += if n >= 15 {
        10
    } else if n >= 6 {
        5
    } else {
        0
    };
    let length_note = format!("{n} words of prose");
    notes.push(length_note.as_str());
    if has(|k| matches!(k, SpanKind::InlineCode)) || IDENTIFIER.as_ref().is_some_and(|re| re.is_match(&prose)) {
        points += 5;
        notes.push("names identifiers");
    }
    if cues::has_error_message(own)
        || has(|k| matches!(k, SpanKind::Quoted))
        || prose.chars().any(|c| c.is_ascii_digit())
    {
        points += 5;
        notes.push("concrete values or an error message");
    }
    if CONSTRAINTS.iter().any(|c| contains_words(&words, c)) {
        points += 5;
        notes.push("states constraints");
    }
    criterion("specificity", points, 25, &notes)
}

fn criterion(name: &str, points: u8, max_points: u8, notes: &[&str]) -> Criterion {
    Criterion { name: name.to_owned(), points: points.min(max_points), max_points, note: notes.join("; ") }
}

fn contains_words(words: &[String], phrase: &str) -> bool {
    let parts: Vec<&str> = phrase.split(' ').collect();
    words.windows(parts.len()).any(|w| w.iter().zip(&parts).all(|(a, b)| a == b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile() {
        assert!(FILE_NAME.is_some() && IDENTIFIER.is_some());
    }

    #[test]
    fn totals_are_the_sum_and_at_most_100() {
        let s = score("fix it", "fix it");
        assert_eq!(s.max_total, 100);
        assert_eq!(s.total, s.criteria.iter().map(|c| c.points).sum::<u8>());
        assert!(s.total < 30, "{s:?}");
    }

    #[test]
    fn a_complete_prompt_scores_high() {
        let p = "In `src/date.rs`, implement `parse_date(s: &str) -> Option<Date>` in Rust; it must reject \
                 dates before 1970.\n\n1. Accept ISO-8601.\n2. Return None otherwise.\n\n```rust\nstruct Date;\n```\n\n\
                 Expected output: the function and its tests.";
        let s = score(p, p);
        assert!(s.total >= 90, "{s:?}");
    }
}

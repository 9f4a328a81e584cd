//! The documented cues the rules and the rubric read from a prompt.
//!
//! Words are matched whole and case-insensitively, in prose only (code,
//! quotes and block quotes are masked), except error messages, which are
//! looked for everywhere because they are usually pasted as code or quotes.

use regex::Regex;
use std::sync::LazyLock;

/// What the user is asking for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Intent {
    /// Something is broken: find why and fix it.
    Debug,
    /// Write new code.
    Implement,
    /// Change code without changing behaviour.
    Refactor,
    /// Understand code or a concept.
    Explain,
}

impl Intent {
    /// Lowercase name for descriptions.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Intent::Debug => "debug",
            Intent::Implement => "implement",
            Intent::Refactor => "refactor",
            Intent::Explain => "explain",
        }
    }

    /// The name with its indefinite article: "a debug", "an implement".
    pub(crate) fn with_article(self) -> String {
        let name = self.name();
        let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
        format!("{article} {name}")
    }
}

/// Debug cues that win over any other intent (the user reports a failure).
const STRONG_DEBUG: &[&str] = &[
    "fails",
    "fail",
    "failing",
    "failed",
    "failure",
    "panic",
    "panics",
    "panicked",
    "crash",
    "crashes",
    "crashed",
    "crashing",
    "exception",
    "doesn't work",
    "does not work",
    "not working",
    "why does",
    "why is",
    "why do",
    "why am i",
    "why are",
    "stack trace",
    "traceback",
    "segfault",
    "hangs",
    "deadlock",
    "deadlocks",
];
/// Debug cues that compete with the others by position.
const WEAK_DEBUG: &[&str] = &["error", "errors", "bug", "broken", "fix", "wrong", "debug"];
const IMPLEMENT: &[&str] = &["implement", "write", "add", "create", "build", "generate", "scaffold"];
const REFACTOR: &[&str] = &[
    "refactor",
    "clean up",
    "cleanup",
    "simplify",
    "extract",
    "rename",
    "restructure",
    "reorganise",
    "reorganize",
    "deduplicate",
    "tidy",
    "split up",
    "modularise",
    "modularize",
];
const EXPLAIN: &[&str] = &["explain", "what does", "how does", "walk me through", "what is", "what are", "describe"];

/// Phrases that state the expected output.
const EXPECTED_OUTPUT: &[&str] = &[
    "expected output",
    "output:",
    "return only",
    "respond with",
    "reply with",
    "answer with",
    "answer in",
    "format:",
    "as a diff",
    "as a patch",
    "as a table",
    "as a list",
    "as json",
    "in json",
    "as yaml",
    "in a table",
    "only the code",
    "just the code",
    "only code",
    "unified diff",
    "one paragraph",
    "bullet points",
    "step by step",
    "step-by-step",
    "in one sentence",
    "tl;dr",
];

/// Verbs whose object, when a bare pronoun, needs something to point at.
const ACTION_VERBS: &[&str] = &[
    "fix",
    "explain",
    "refactor",
    "improve",
    "change",
    "check",
    "debug",
    "review",
    "update",
    "optimise",
    "optimize",
    "simplify",
    "rewrite",
    "correct",
    "solve",
    "handle",
    "test",
    "document",
    "convert",
    "translate",
    "finish",
    "complete",
    "make",
];
const FAILURE_VERBS: &[&str] = &[
    "fails", "fail", "failing", "crashes", "crashing", "panics", "breaks", "errors", "doesn't", "isn't", "won't",
    "throws", "hangs",
];
const PROBLEM_NOUNS: &[&str] =
    &["error", "bug", "issue", "problem", "exception", "crash", "warning", "traceback", "above"];
const ARTEFACT_NOUNS: &[&str] = &[
    "code",
    "function",
    "snippet",
    "file",
    "output",
    "test",
    "method",
    "class",
    "script",
    "error",
    "bug",
    "issue",
    "problem",
    "exception",
    "crash",
    "warning",
    "module",
    "query",
    "component",
];

/// Lines that look like a compiler, runtime or test-runner failure.
static ERROR_MESSAGE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?m)(^\s*(error(\[[A-Za-z]?\d+\])?:|fatal( error)?:|FAILED\b|FAIL\b|npm ERR!)",
        r"|\b\w*(Error|Exception): \S",
        r"|panicked at|Traceback \(most recent call last\)|Segmentation fault|core dumped|Uncaught \w",
        r"|undefined reference to|cannot find (symbol|module|value|type|crate)|command not found",
        r"|No such file or directory|exit (code|status):? [1-9])",
    ))
    .ok()
});

/// Whether `text` (all of it, code included) contains something that looks like an error message.
pub(crate) fn has_error_message(text: &str) -> bool {
    ERROR_MESSAGE.as_ref().is_some_and(|re| re.is_match(text))
}

/// Lowercase sentences of `prose`, each as its words (letters, digits, `'`, `_`, `-`, `;`, `:` kept inside).
pub(crate) fn sentences(prose: &str) -> Vec<Vec<String>> {
    prose
        .replace(['’', '‘'], "'")
        .to_lowercase()
        .split(['.', '?', '!', '\n'])
        .map(|s| {
            s.split(|c: char| !(c.is_alphanumeric() || matches!(c, '\'' | '_' | '-' | ';' | ':')))
                .map(|w| w.trim_matches(|c| matches!(c, '\'' | '-' | ';' | ':')).to_owned())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// Position (sentence, word) of the first occurrence of any cue phrase, in reading order.
fn first_cue(sents: &[Vec<String>], cues: &[&str]) -> Option<(usize, usize)> {
    for (si, words) in sents.iter().enumerate() {
        for wi in 0..words.len() {
            if cues.iter().any(|cue| phrase_at(words, wi, cue)) {
                return Some((si, wi));
            }
        }
    }
    None
}

fn phrase_at(words: &[String], at: usize, phrase: &str) -> bool {
    // Word by word, allocating nothing: this runs for every word and cue.
    let mut rest = words.get(at..).unwrap_or_default().iter();
    phrase.split(' ').all(|p| rest.next().is_some_and(|w| w == p))
}

/// The intent: a strong debug cue or an error message means debug; otherwise the earliest cue decides.
pub(crate) fn detect_intent(prose: &str, full_text: &str) -> Option<Intent> {
    let sents = sentences(prose);
    if has_error_message(full_text) || first_cue(&sents, STRONG_DEBUG).is_some() {
        return Some(Intent::Debug);
    }
    [
        (Intent::Debug, WEAK_DEBUG),
        (Intent::Refactor, REFACTOR),
        (Intent::Implement, IMPLEMENT),
        (Intent::Explain, EXPLAIN),
    ]
    .into_iter()
    .filter_map(|(intent, cues)| first_cue(&sents, cues).map(|pos| (pos, intent)))
    .min_by_key(|(pos, _)| *pos)
    .map(|(_, intent)| intent)
}

/// Whether the prose already has structure: two list items, or a heading.
pub(crate) fn is_structured(prose: &str) -> bool {
    let (mut numbered, mut bullets) = (0, 0);
    for line in prose.lines().map(str::trim_start) {
        let digits = line.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && (line[digits..].starts_with(". ") || line[digits..].starts_with(") ")) {
            numbered += 1;
        }
        if ["- ", "* ", "+ "].iter().any(|b| line.starts_with(b)) {
            bullets += 1;
        }
        if line.starts_with('#') && line.trim_start_matches('#').starts_with(' ') {
            return true;
        }
    }
    numbered >= 2 || bullets >= 2
}

/// Whether the prose says what the answer should look like.
pub(crate) fn states_expected_output(prose: &str) -> bool {
    let lower = prose.to_lowercase();
    EXPECTED_OUTPUT.iter().any(|cue| lower.contains(cue))
}

/// Vague references in the prose, as the phrases found, in order, without duplicates.
///
/// A pronoun (`it`, `this`, `that`, `these`, `those`) counts when it is the
/// object of an action verb (`fix it`; `that`/`these`/`those` only at the end
/// of a sentence), the subject of a failure verb (`it fails`, `this panics`),
/// follows `why`/`how` + `does`/`is`/`do`/`did`, or ends the prompt. `this`/
/// `that` + an artefact noun (`this function`) and `the` + a problem noun
/// (`the error`, `the above`) count too.
pub(crate) fn vague_references(prose: &str) -> Vec<String> {
    let sents = sentences(prose);
    let mut found: Vec<String> = Vec::new();
    let mut add = |phrase: String| {
        if !found.contains(&phrase) {
            found.push(phrase);
        }
    };
    let last_sentence = sents.len().saturating_sub(1);
    for (si, words) in sents.iter().enumerate() {
        for (wi, w) in words.iter().enumerate() {
            let next = words.get(wi + 1).map(String::as_str);
            let prev = wi.checked_sub(1).map(|p| words[p].as_str());
            let pronoun = matches!(w.as_str(), "it" | "this" | "that" | "these" | "those");
            let demonstrative_tail = matches!(w.as_str(), "that" | "these" | "those");
            if pronoun && prev.is_some_and(|p| ACTION_VERBS.contains(&p)) && (!demonstrative_tail || next.is_none()) {
                add(format!("{} {w}", prev.unwrap_or_default()));
            } else if pronoun
                && wi >= 2
                && matches!(words[wi - 2].as_str(), "why" | "how")
                && prev.is_some_and(|p| matches!(p, "does" | "is" | "do" | "did"))
            {
                add(format!("{} {} {w}", words[wi - 2], prev.unwrap_or_default()));
            } else if (matches!(w.as_str(), "it" | "this") && next.is_some_and(|n| FAILURE_VERBS.contains(&n)))
                || (matches!(w.as_str(), "this" | "that") && next.is_some_and(|n| ARTEFACT_NOUNS.contains(&n)))
            {
                add(format!("{w} {}", next.unwrap_or_default()));
            } else if w == "the" && next.is_some_and(|n| PROBLEM_NOUNS.contains(&n)) {
                add(format!("the {}", next.unwrap_or_default()));
            } else if pronoun && si == last_sentence && next.is_none() && wi > 0 {
                add(w.clone());
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_pattern_compiles() {
        assert!(ERROR_MESSAGE.is_some());
        assert!(has_error_message("error[E0382]: borrow of moved value: `v`"));
        assert!(has_error_message("thread 'main' panicked at src/main.rs:3:5"));
        assert!(has_error_message("TypeError: x is undefined"));
        assert!(!has_error_message("raise ValueError(\"bad\") when the input is empty"));
    }

    #[test]
    fn intent_follows_the_documented_cues() {
        let i = |p: &str| detect_intent(p, p);
        assert_eq!(i("Why does my parser panic on empty input?"), Some(Intent::Debug));
        assert_eq!(i("Add error handling to the parser"), Some(Intent::Implement));
        assert_eq!(i("Refactor the parser and add tests"), Some(Intent::Refactor));
        assert_eq!(i("Implement a trie; it currently fails on unicode"), Some(Intent::Debug));
        assert_eq!(i("Explain how lifetimes work"), Some(Intent::Explain));
        assert_eq!(i("hello there"), None);
    }

    #[test]
    fn vague_references_are_found_without_common_false_positives() {
        assert_eq!(vague_references("fix it"), vec!["fix it"]);
        assert_eq!(vague_references("Why does this fail? See the error."), vec!["why does this", "the error"]);
        assert!(
            vague_references("Check that the list is sorted and write a function that returns it sorted").is_empty()
        );
        assert!(vague_references("Is it possible to reverse a list in place in Python?").is_empty());
    }

    #[test]
    fn structure_and_expected_output_are_recognised() {
        assert!(is_structured("Do this:\n1. a\n2. b"));
        assert!(is_structured("## Context\nstuff"));
        assert!(!is_structured("1. just one"));
        assert!(states_expected_output("Answer with a unified diff."));
        assert!(!states_expected_output("Make it faster."));
    }
}

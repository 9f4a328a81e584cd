//! The cues the heuristic Suggester reads, and the prompts they lead to.

use regex::Regex;
use std::sync::LazyLock;

fn re(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

/// Names defined in code: `fn x`, `def x`, `class X`, `function x`, `func x`, `struct X`.
static DEFINED: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"\b(?:fn|def|class|function|func|struct|enum|interface|trait)\s+([A-Za-z_][A-Za-z0-9_]*)"));
/// A numbered step at the start of a line: `1. Do the thing`.
static STEP: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"(?m)^\s*1[.)]\s+(\S[^\n]{0,60})"));
/// An error or exception type named in the text.
static ERROR_TYPE: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"\b([A-Z][A-Za-z0-9]*(?:Error|Exception))\b"));
/// Words that introduce alternatives.
static ALTERNATIVES: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"(?i)\b(alternatively|another option|trade-?offs?|instead of|you could also)\b"));
/// Debugging asks in a user turn.
static DEBUG_ASK: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(r"(?i)\b(error|fails?|failing|panic\w*|crash\w*|exception|traceback|bug|broken|doesn'?t work|why does)\b")
});
/// Implementation asks in a user turn.
static BUILD_ASK: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"(?i)\b(implement|write|add|create|build|generate)\b"));

fn first_capture(re: &LazyLock<Option<Regex>>, text: &str) -> Option<String> {
    let re = re.as_ref()?;
    re.captures(text).and_then(|c| c.get(1)).map(|m| m.as_str().trim_end().to_owned())
}

fn matches(re: &LazyLock<Option<Regex>>, text: &str) -> bool {
    re.as_ref().is_some_and(|re| re.is_match(text))
}

/// Prompts suggested by the last assistant reply, best first.
pub fn from_reply(reply: &str) -> Vec<String> {
    let mut out = Vec::new();
    let has_code = reply.contains("```");
    if let Some(name) = has_code.then(|| first_capture(&DEFINED, reply)).flatten() {
        out.push(format!("Write unit tests for `{name}`, including edge cases."));
    }
    if let Some(error) = first_capture(&ERROR_TYPE, reply) {
        out.push(format!("How should I handle `{error}` here?"));
    }
    if let Some(step) = first_capture(&STEP, reply) {
        out.push(format!("Explain the first step (\"{step}\") in more detail."));
    }
    if matches(&ALTERNATIVES, reply) {
        out.push("Compare the alternatives you mentioned: when is each the better choice?".to_owned());
    }
    if has_code {
        out.push("What are the performance and memory costs of this code?".to_owned());
    }
    out
}

/// Prompts suggested by the user's recent turns (newest first), best first.
pub fn from_history(recent: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    if recent.iter().any(|t| matches(&DEBUG_ASK, t)) {
        out.push("Write a regression test that reproduces this bug.".to_owned());
        out.push("How can I prevent this class of bug in the future?".to_owned());
    }
    if recent.iter().any(|t| matches(&BUILD_ASK, t)) {
        out.push("What edge cases should this handle?".to_owned());
    }
    if !recent.is_empty() {
        out.push("Show a minimal, complete example.".to_owned());
    }
    out
}

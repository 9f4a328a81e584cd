//! The rules, applied in a fixed order to build the refined prompt.
//!
//! Layout of a refined prompt: context sections first (active file, then the
//! selection), then the user's prompt with its prose whitespace normalised,
//! then the answer structure and the expected output. Long, stable material
//! comes before the question, which is what both the model and the prompt
//! cache prefer. Every section is separated by one blank line.

use super::RefineInput;
use super::config::RefinerConfig;
use super::cues::{self, Intent};
use super::languages;
use super::markup::{self, Span, SpanKind};
use super::tokens::{delta, estimate_tokens};
use super::whitespace;
use lantern_events::schema::{Change, ChangeKind, PromptContext};

/// The refined prompt under construction.
struct Draft {
    before: Vec<String>,
    body: String,
    after: Vec<String>,
    changes: Vec<Change>,
    tokens: u32,
}

impl Draft {
    fn text(&self) -> String {
        let mut parts: Vec<&str> = self.before.iter().map(String::as_str).collect();
        parts.push(&self.body);
        parts.extend(self.after.iter().map(String::as_str));
        parts.join("\n\n")
    }

    /// Records a change, pricing it as the token difference it made to the whole text.
    fn record(&mut self, kind: ChangeKind, description: String) {
        let tokens = estimate_tokens(&self.text());
        self.changes.push(Change { kind, description, tokens_added: delta(self.tokens, tokens) });
        self.tokens = tokens;
    }
}

/// What the rules produced.
pub(crate) struct Applied {
    /// The refined prompt.
    pub(crate) refined: String,
    /// The changes, in the order applied.
    pub(crate) changes: Vec<Change>,
    /// The user's own prompt as it appears in `refined` (whitespace normalised, no added sections).
    pub(crate) body: String,
}

/// Runs every enabled rule.
pub(crate) fn apply(input: &RefineInput<'_>, config: &RefinerConfig) -> Applied {
    let rules = &config.rules;
    let spans = markup::scan(input.prompt);
    let mut draft =
        Draft { before: Vec::new(), body: input.prompt.to_owned(), after: Vec::new(), changes: Vec::new(), tokens: 0 };
    draft.tokens = estimate_tokens(input.prompt);
    if rules.normalise_whitespace {
        let (normalised, stats) = whitespace::normalise(input.prompt, &spans);
        if normalised != input.prompt {
            draft.body = normalised;
            draft.record(ChangeKind::NormalisedWhitespace, stats.describe());
        }
    }
    if draft.body.trim().is_empty() {
        return Applied { refined: draft.body.clone(), changes: draft.changes, body: draft.body };
    }

    let spans = markup::scan(&draft.body);
    let prose = markup::prose_only(&draft.body, &spans);
    let ctx = input.context;
    let selection = usable_selection(ctx);
    let has_code = spans.iter().any(|s| s.kind.is_code_block());
    let has_quote = spans.iter().any(|s| matches!(s.kind, SpanKind::BlockQuote | SpanKind::Quoted));
    let resolved = has_code
        || has_quote
        || selection.is_some()
        || ctx.active_file.is_some()
        || cues::has_error_message(&draft.body);
    let vague = cues::vague_references(&prose);
    let unresolved = !vague.is_empty() && !resolved;
    if unresolved && rules.flag_vague_references {
        draft.changes.push(Change {
            kind: ChangeKind::FlaggedVagueReference,
            description: vague_description(&vague),
            tokens_added: 0,
        });
    }

    let language = language(ctx, &spans, &prose);
    if rules.inject_file_context
        && let Some(path) = ctx.active_file.as_deref()
        && !names_file(&draft.body, path)
    {
        let line = match &language {
            Some((name, _)) => format!("Active file: {} ({name}).", code_span(path)),
            None => format!("Active file: {}.", code_span(path)),
        };
        draft.before.push(line);
        draft.record(ChangeKind::InjectedFileContext, format!("Named the active file {path} and its language."));
    }
    if rules.attach_selection
        && let Some(sel) = selection
        && !draft.body.contains(sel)
    {
        let tag = language.as_ref().map_or("", |(_, tag)| tag.as_str());
        let (header, lines) = selection_header(ctx);
        draft.before.push(format!("{header}\n{}", fenced(sel, tag)));
        draft.record(ChangeKind::AttachedSelection, format!("Attached the selection{lines} as a fenced block."));
    }

    let intent = cues::detect_intent(&prose, &draft.body);
    let can_append = !unresolved && !markup::ends_in_open_fence(&spans);
    if let Some(intent) = intent.filter(|_| can_append) {
        if rules.add_structure
            && !cues::is_structured(&prose)
            && let Some(structure) = structure_for(intent)
        {
            draft.after.push(structure.to_owned());
            draft.record(
                ChangeKind::AddedStructure,
                format!("Detected {} ask; appended an answer structure.", intent.with_article()),
            );
        }
        if rules.state_expected_output && !cues::states_expected_output(&prose) {
            let lang = language.as_ref().map(|(name, _)| name.as_str());
            draft.after.push(expected_output_for(intent, lang));
            draft.record(
                ChangeKind::StatedExpectedOutput,
                format!("The prompt did not say what to return; stated it for {} ask.", intent.with_article()),
            );
        }
    }
    Applied { refined: draft.text(), changes: draft.changes, body: draft.body }
}

/// The selection's text without trailing line breaks, when it is kept in full and not blank.
fn usable_selection(ctx: &PromptContext) -> Option<&str> {
    let text = ctx.selection.as_ref()?.text.as_str()?.trim_end_matches(['\n', '\r']);
    (!text.trim().is_empty()).then_some(text)
}

/// Whether the prompt already names the file, by its path or its file name.
fn names_file(body: &str, path: &str) -> bool {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    body.contains(path) || (!name.is_empty() && body.contains(name))
}

/// `(display name, fence tag)`: the context's language, else the active file's extension, else the first
/// fence's info string, else the first language named in the prose.
fn language(ctx: &PromptContext, spans: &[Span], prose: &str) -> Option<(String, String)> {
    if let Some(lang) = ctx.language.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        let tag: String =
            lang.to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '#' | '-')).collect();
        return Some((lang.to_owned(), tag));
    }
    let ext = ctx.active_file.as_deref().and_then(|p| p.rsplit_once('.')).map(|(_, e)| e);
    if let Some((name, tag)) = ext.and_then(languages::language_for_extension) {
        return Some((name.to_owned(), tag.to_owned()));
    }
    let fence = spans.iter().find_map(|s| match &s.kind {
        SpanKind::Fenced { info, .. } if !info.is_empty() => Some((info.clone(), info.clone())),
        _ => None,
    });
    fence.or_else(|| languages::language_named_in(prose).map(|(name, tag)| (name.to_owned(), tag.to_owned())))
}

/// Header line for the attached selection, and the line-range wording for the change.
fn selection_header(ctx: &PromptContext) -> (String, String) {
    let range = match ctx.selection.as_ref().map(|s| (s.start_line, s.end_line)) {
        Some((Some(a), Some(b))) if a != b => format!("lines {a}–{b}"),
        Some((Some(a), _)) => format!("line {a}"),
        _ => String::new(),
    };
    let header = match (ctx.active_file.as_deref(), range.is_empty()) {
        (Some(path), false) => format!("Selected code from {}, {range}:", code_span(path)),
        (Some(path), true) => format!("Selected code from {}:", code_span(path)),
        (None, false) => format!("Selected code ({range}):"),
        (None, true) => "Selected code:".to_owned(),
    };
    let wording = if range.is_empty() { String::new() } else { format!(" ({range})") };
    (header, wording)
}

/// `text` in a backtick fence longer than any backtick run inside it.
fn fenced(text: &str, tag: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}{tag}\n{text}\n{fence}")
}

/// `path` as inline code, unless it contains a backtick.
fn code_span(path: &str) -> String {
    if path.contains('`') { path.to_owned() } else { format!("`{path}`") }
}

fn vague_description(found: &[String]) -> String {
    let quoted: Vec<String> = found.iter().map(|f| format!("\"{f}\"")).collect();
    let problem = found.iter().any(|f| {
        ["error", "exception", "crash", "warning", "traceback", "fail", "panic", "bug", "issue", "problem", "throws"]
            .iter()
            .any(|w| f.contains(w))
    });
    let attach = if problem {
        "the code involved and the full error message or stack trace"
    } else {
        "the code it refers to (select it in the editor or paste it in a fenced block) or the file path"
    };
    format!(
        "Vague reference {} with nothing to resolve it: attach {attach}. The prompt was not rewritten around it.",
        quoted.join(", ")
    )
}

fn structure_for(intent: Intent) -> Option<&'static str> {
    match intent {
        Intent::Debug => Some(
            "Structure the answer as:\n1. Root cause: what goes wrong, pointing at the responsible line(s).\n\
             2. Fix: the smallest change that corrects it.\n3. Check: a command or test that shows it is fixed.",
        ),
        Intent::Implement => Some(
            "Structure the answer as:\n1. Assumptions: anything unspecified you had to decide, briefly.\n\
             2. Implementation: the code.\n3. Tests: the main case and the edge cases.",
        ),
        Intent::Refactor => Some(
            "Structure the answer as:\n1. Plan: what changes and why, briefly.\n2. Refactored code.\n\
             3. Behaviour: confirm it is unchanged, or list what differs.",
        ),
        Intent::Explain => None,
    }
}

fn expected_output_for(intent: Intent, language: Option<&str>) -> String {
    let code = language.map_or_else(|| "code".to_owned(), |l| format!("{l} code"));
    match intent {
        Intent::Debug => {
            format!(
                "Expected output: the root cause in one or two sentences, then the corrected {code} as a minimal diff."
            )
        }
        Intent::Implement => {
            format!("Expected output: complete {code} in one fenced block, followed by a short usage example.")
        }
        Intent::Refactor => {
            format!("Expected output: the refactored {code} in a fenced block, with behaviour preserved.")
        }
        Intent::Explain => "Expected output: a concise explanation in prose, quoting the relevant lines; no code \
                            changes unless asked."
            .to_owned(),
    }
}

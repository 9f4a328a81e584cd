//! The Refiner core: a deterministic, versioned rule engine that proposes a
//! better prompt.
//!
//! [`refine`] is a pure function of its input and a [`RefinerConfig`]. It
//! returns a [`Proposal`]: the refined text, the change list, a rubric
//! [`QualityEstimate`](lantern_events::schema::QualityEstimate) for the
//! original and the refined prompt, Anthropic cache anchors, token estimates
//! and the [`RefinerStamp`] (version + config hash) that lets replay verify
//! it. The cache outlook comes from the real cache later;
//! [`Proposal::into_event`] adds it to make the journaled event.
//!
//! Rules, in the order applied (each can be switched off in [`RuleSwitches`]):
//!
//! 1. **Whitespace** in prose: trailing spaces, runs of blank lines, runs of
//!    spaces ([`whitespace`] rules).
//! 2. **Vague references** (`fix it`, `why does this fail`, `the error`) with
//!    no code block, quote, error message, selection or active file to
//!    resolve them are flagged in the change list, telling the user what to
//!    attach. Nothing is invented: the structure and expected-output rules
//!    then stay off, since they would pretend the ask is clear.
//! 3. **Active file** and its language are named, unless the prompt already
//!    names the file (by path or file name).
//! 4. **Selection** is attached as a fenced block tagged with its language,
//!    with the file and line range when known, unless its text is already in
//!    the prompt.
//! 5. **Structure** is appended to debug / implement / refactor asks that
//!    have no list or headings yet. The intent comes from documented cues:
//!    an error message or a failure word (`fails`, `panic`, `exception`,
//!    `why does …`) means debug; otherwise the earliest of `error`/`bug`/
//!    `fix` (debug), `implement`/`write`/`add`/`create` (implement),
//!    `refactor`/`clean up`/`simplify`/`extract` (refactor) and
//!    `explain`/`what does`/`how does` (explain) decides.
//! 6. **Expected output**, derived from the intent, is stated when the prompt
//!    says nothing about what to return.
//!
//! Code blocks (fenced and indented), inline code, quoted strings and block
//! quotes are never altered, and all original text is kept in order.
//! Refining a refined prompt again adds nothing: every rule first checks
//! whether what it would add is already there.
//!
//! ```
//! use lantern_actors::refiner::{refine, RefineInput, RefinerConfig};
//! use lantern_events::schema::{ChangeKind, PromptContext};
//!
//! let context = PromptContext { active_file: Some("src/lib.rs".into()), ..Default::default() };
//! let input = RefineInput::new("Why does parse() panic on empty input?", "claude-sonnet-4-5", &context);
//! let proposal = refine(&input, &RefinerConfig::default());
//! assert!(proposal.refined.starts_with("Active file: `src/lib.rs` (Rust)."));
//! assert!(proposal.changes.iter().any(|c| c.kind == ChangeKind::AddedStructure));
//! assert!(proposal.quality.after.total > proposal.quality.before.total);
//! ```

mod anchors;
mod config;
mod cues;
mod languages;
pub mod llm;
mod markup;
mod rubric;
mod rules;
pub mod shell;
mod tokens;
mod whitespace;

pub use anchors::message_blocks;
pub use config::{ANTHROPIC_MAX_BREAKPOINTS, MinCacheable, MinCacheableTable, RefinerConfig, RuleSwitches};
pub use tokens::estimate_tokens;

use lantern_events::schema::{
    CacheAnchor, CacheOutlook, Change, PromptContext, QualityEstimate, RefinementOrigin, RefinementProposed,
    RefinerStamp, Text,
};

/// Version of the rule engine; bump it whenever a rule's output can change.
pub const REFINER_VERSION: &str = "rules-1.0.0";

/// Tool definitions of the request, as sent or as a known size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolDefs<'a> {
    /// The `tools` array as JSON text; its size is estimated.
    Json(&'a str),
    /// The size of the tool definitions in tokens, when already known.
    Tokens(u32),
}

/// Everything the Refiner looks at.
#[derive(Debug, Clone, Copy)]
pub struct RefineInput<'a> {
    /// The user's prompt.
    pub prompt: &'a str,
    /// Target model name (selects the minimum cacheable prefix).
    pub model: &'a str,
    /// Editor context sent with the prompt.
    pub context: &'a PromptContext,
    /// System prompt of the request, if any.
    pub system: Option<&'a str>,
    /// Tool definitions of the request, if any.
    pub tools: Option<ToolDefs<'a>>,
}

impl<'a> RefineInput<'a> {
    /// An input with no system prompt and no tools.
    pub fn new(prompt: &'a str, model: &'a str, context: &'a PromptContext) -> Self {
        Self { prompt, model, context, system: None, tools: None }
    }
}

/// A refinement proposal: everything of [`RefinementProposed`] except the cache outlook.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// The prompt as submitted.
    pub original: String,
    /// The proposed prompt.
    pub refined: String,
    /// What changed and why, in the order applied.
    pub changes: Vec<Change>,
    /// Rubric scores of the original and the refined prompt.
    pub quality: QualityEstimate,
    /// Proposed `cache_control` breakpoints (at most 4).
    pub anchors: Vec<CacheAnchor>,
    /// Estimated tokens of the original prompt (see [`estimate_tokens`]).
    pub tokens_before: u32,
    /// Estimated tokens of the refined prompt.
    pub tokens_after: u32,
    /// Always [`RefinementOrigin::Rules`] here.
    pub origin: RefinementOrigin,
    /// Refiner version and config hash.
    pub stamp: RefinerStamp,
}

impl Proposal {
    /// The journaled event, once the cache has given its outlook.
    ///
    /// Texts are kept in full; the journal applies the privacy level.
    pub fn into_event(self, cache_outlook: CacheOutlook) -> RefinementProposed {
        RefinementProposed {
            original: Text::Full(self.original),
            refined: Text::Full(self.refined),
            changes: self.changes,
            quality: self.quality,
            cache_outlook,
            anchors: self.anchors,
            tokens_before: self.tokens_before,
            tokens_after: self.tokens_after,
            origin: self.origin,
            refiner: self.stamp,
        }
    }
}

/// The parts of `text` no rule ever alters, in order: fenced and indented code
/// blocks, block quotes, inline code spans and quoted strings.
pub fn protected_spans(text: &str) -> Vec<&str> {
    markup::scan(text).into_iter().filter(|s| s.kind.is_protected()).map(|s| &text[s.range]).collect()
}

/// The stamp every proposal made with `config` carries.
pub fn stamp(config: &RefinerConfig) -> RefinerStamp {
    RefinerStamp { version: REFINER_VERSION.to_owned(), config_hash: config.hash() }
}

/// Proposes a refinement of `input` under `config`. Pure and deterministic.
pub fn refine(input: &RefineInput<'_>, config: &RefinerConfig) -> Proposal {
    let rules::Applied { refined, changes, body } = rules::apply(input, config);
    let before = rubric::score(input.prompt, input.prompt);
    // Nothing changed (the usual case for a good prompt): nothing to score again.
    let after =
        if refined == input.prompt && body == input.prompt { before.clone() } else { rubric::score(&refined, &body) };
    let quality = QualityEstimate { before, after };
    let anchors = anchors::propose(input.model, input.tools, input.system, &refined, config);
    Proposal {
        original: input.prompt.to_owned(),
        tokens_before: estimate_tokens(input.prompt),
        tokens_after: estimate_tokens(&refined),
        refined,
        changes,
        quality,
        anchors,
        origin: RefinementOrigin::Rules,
        stamp: stamp(config),
    }
}

//! The Refiner's configuration and its hash.
//!
//! The hash is what replay compares: two proposals made with the same
//! [`super::REFINER_VERSION`] and the same hash must be identical.

use lantern_events::schema::CacheTtl;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Anthropic accepts at most this many `cache_control` breakpoints per request.
pub const ANTHROPIC_MAX_BREAKPOINTS: u8 = 4;

/// Everything that changes what the Refiner proposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RefinerConfig {
    /// Which rules run.
    pub rules: RuleSwitches,
    /// Lifetime requested for every proposed cache anchor.
    pub anchor_ttl: CacheTtl,
    /// Most anchors to propose (clamped to [`ANTHROPIC_MAX_BREAKPOINTS`]).
    pub max_anchors: u8,
    /// A fenced block in the message is a "long document" worth an anchor from this many tokens.
    pub document_min_tokens: u32,
    /// Minimum cacheable prefix per model.
    pub min_cacheable: MinCacheableTable,
}

impl Default for RefinerConfig {
    fn default() -> Self {
        Self {
            rules: RuleSwitches::default(),
            anchor_ttl: CacheTtl::FiveMinutes,
            max_anchors: ANTHROPIC_MAX_BREAKPOINTS,
            document_min_tokens: 256,
            min_cacheable: MinCacheableTable::default(),
        }
    }
}

impl RefinerConfig {
    /// First 16 hex characters of the SHA-256 of the config's canonical JSON.
    ///
    /// Canonical JSON is `serde_json` output of this struct: fields in
    /// declaration order, no maps, no whitespace.
    pub fn hash(&self) -> String {
        // Serialising plain structs, bools and integers cannot fail; an empty
        // input would still give a stable (if useless) hash.
        let json = serde_json::to_vec(self).unwrap_or_default();
        let digest = Sha256::digest(&json);
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }
}

/// One switch per rule; all on by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RuleSwitches {
    /// Name the active file and its language when the prompt does not.
    pub inject_file_context: bool,
    /// Attach the selection as a fenced block.
    pub attach_selection: bool,
    /// Append an answer structure to debug / implement / refactor asks.
    pub add_structure: bool,
    /// State the expected output when the prompt does not.
    pub state_expected_output: bool,
    /// Flag vague references that nothing resolves.
    pub flag_vague_references: bool,
    /// Normalise whitespace in prose.
    pub normalise_whitespace: bool,
}

impl Default for RuleSwitches {
    fn default() -> Self {
        Self {
            inject_file_context: true,
            attach_selection: true,
            add_structure: true,
            state_expected_output: true,
            flag_vague_references: true,
            normalise_whitespace: true,
        }
    }
}

/// Minimum cacheable prefix by model-name prefix; the longest matching prefix wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MinCacheableTable {
    /// The entries, matched case-insensitively against the start of the model name.
    pub entries: Vec<MinCacheable>,
    /// For models that match no entry.
    pub default_tokens: u32,
}

/// One row of [`MinCacheableTable`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinCacheable {
    /// Start of the model name, e.g. `claude-3-5-haiku`.
    pub model_prefix: String,
    /// Minimum cacheable prefix in tokens.
    pub tokens: u32,
}

impl Default for MinCacheableTable {
    fn default() -> Self {
        let rows: [(&str, u32); 9] = [
            ("claude-opus-4", 1024),
            ("claude-sonnet-4", 1024),
            ("claude-3-7-sonnet", 1024),
            ("claude-3-5-haiku", 2048),
            ("claude-3-haiku", 2048),
            ("claude-opus-4-5", 4096),
            ("claude-haiku-4-5", 4096),
            ("claude-3-opus", 1024),
            ("claude-3-5-sonnet", 1024),
        ];
        Self {
            entries: rows.iter().map(|(p, t)| MinCacheable { model_prefix: (*p).to_owned(), tokens: *t }).collect(),
            default_tokens: 1024,
        }
    }
}

impl MinCacheableTable {
    /// Minimum cacheable prefix for `model`.
    pub fn for_model(&self, model: &str) -> u32 {
        let model = model.to_ascii_lowercase();
        self.entries
            .iter()
            .filter(|e| model.starts_with(&e.model_prefix.to_ascii_lowercase()))
            .max_by_key(|e| e.model_prefix.len())
            .map_or(self.default_tokens, |e| e.tokens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins() {
        let t = MinCacheableTable::default();
        assert_eq!(t.for_model("claude-sonnet-4-5-20250929"), 1024);
        assert_eq!(t.for_model("claude-opus-4-1-20250805"), 1024);
        assert_eq!(t.for_model("claude-opus-4-5-20251101"), 4096);
        assert_eq!(t.for_model("claude-haiku-4-5"), 4096);
        assert_eq!(t.for_model("claude-3-5-haiku-latest"), 2048);
        assert_eq!(t.for_model("Claude-3-Haiku-20240307"), 2048);
        assert_eq!(t.for_model("claude-3-7-sonnet-latest"), 1024);
        assert_eq!(t.for_model("gpt-4o"), 1024);
    }
}

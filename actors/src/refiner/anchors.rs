//! Anthropic `cache_control` breakpoints on stable prefixes.
//!
//! The request prefix is, in order: tool definitions, the system prompt, then
//! the user message, cut into content blocks by [`message_blocks`]. A
//! breakpoint is proposed after the tools, after the system prompt, and after
//! each message block that ends in a long fenced block (a "document": at
//! least [`RefinerConfig::document_min_tokens`]), but only where the
//! cumulative prefix reaches the model's minimum cacheable prefix (below it
//! Anthropic silently skips caching). At most `max_anchors` (≤ 4) are kept:
//! when there are more candidates, the earliest ones (most widely reusable)
//! and the last one (longest prefix) win.

use super::ToolDefs;
use super::config::{ANTHROPIC_MAX_BREAKPOINTS, RefinerConfig};
use super::markup::{self, SpanKind};
use super::tokens::estimate_tokens;
use lantern_events::schema::{AnchorTarget, CacheAnchor};

/// The refined prompt cut into the content blocks of the user message.
///
/// Each block ends right after a fenced code block (including its line
/// break); the rest of the text after the last fence joins the last block
/// when it is only whitespace, else it is a block of its own. The blocks
/// concatenate back to `refined`, and none is empty or whitespace only
/// (unless `refined` itself is). [`AnchorTarget::Message`] block indices
/// refer to this cut, with `message: 0`.
pub fn message_blocks(refined: &str) -> Vec<&str> {
    let mut cuts = Vec::new();
    for span in markup::scan(refined) {
        if matches!(span.kind, SpanKind::Fenced { .. }) {
            let end = if refined[span.range.end..].starts_with('\n') { span.range.end + 1 } else { span.range.end };
            cuts.push(end);
        }
    }
    let mut blocks = Vec::new();
    let mut start = 0;
    for end in cuts {
        blocks.push(&refined[start..end]);
        start = end;
    }
    let rest = &refined[start..];
    match blocks.last_mut() {
        Some(last) if rest.trim().is_empty() => *last = &refined[refined.len() - last.len() - rest.len()..],
        _ => blocks.push(rest),
    }
    blocks
}

/// Proposed breakpoints for `refined` sent to `model` with the given system prompt and tools.
pub(crate) fn propose(
    model: &str,
    tools: Option<ToolDefs<'_>>,
    system: Option<&str>,
    refined: &str,
    config: &RefinerConfig,
) -> Vec<CacheAnchor> {
    let min = config.min_cacheable.for_model(model);
    let mut candidates = Vec::new();
    let mut prefix: u32 = 0;
    let mut offer = |target: AnchorTarget, prefix: u32, why: String| {
        if prefix >= min {
            candidates.push(CacheAnchor {
                target,
                ttl: config.anchor_ttl,
                prefix_tokens: prefix,
                reason: format!("{why}; the prefix (~{prefix} tokens) reaches the {min}-token minimum for {model}."),
            });
        }
    };
    let tool_tokens = match tools {
        Some(ToolDefs::Json(json)) => estimate_tokens(json),
        Some(ToolDefs::Tokens(n)) => n,
        None => 0,
    };
    if tool_tokens > 0 {
        prefix += tool_tokens;
        offer(AnchorTarget::Tools, prefix, format!("Tool definitions (~{tool_tokens} tokens) repeat on every request"));
    }
    let system_tokens = system.map_or(0, estimate_tokens);
    if system_tokens > 0 {
        prefix += system_tokens;
        offer(
            AnchorTarget::System,
            prefix,
            format!("The system prompt (~{system_tokens} tokens) repeats on every request"),
        );
    }
    for (i, block) in message_blocks(refined).into_iter().enumerate() {
        prefix = prefix.saturating_add(estimate_tokens(block));
        let document = markup::scan(block)
            .into_iter()
            .rev()
            .find(|s| matches!(s.kind, SpanKind::Fenced { .. }))
            .map_or(0, |s| estimate_tokens(&block[s.range]));
        if document >= config.document_min_tokens.max(1) {
            let target = AnchorTarget::Message { message: 0, block: u32::try_from(i).unwrap_or(u32::MAX) };
            offer(target, prefix, format!("A long fenced block (~{document} tokens) is a stable document"));
        }
    }
    keep_at_most(candidates, usize::from(config.max_anchors.min(ANTHROPIC_MAX_BREAKPOINTS)))
}

/// The first `max - 1` candidates and the last one.
fn keep_at_most(mut candidates: Vec<CacheAnchor>, max: usize) -> Vec<CacheAnchor> {
    if candidates.len() <= max {
        return candidates;
    }
    if max == 0 {
        return Vec::new();
    }
    let last = candidates.pop();
    candidates.truncate(max - 1);
    candidates.extend(last);
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_end_after_fences_and_concatenate_back() {
        let text = "a\n```\nx\n```\nb\n~~~\ny\n~~~\n\n";
        let blocks = message_blocks(text);
        assert_eq!(blocks, vec!["a\n```\nx\n```\n", "b\n~~~\ny\n~~~\n\n"]);
        assert_eq!(blocks.concat(), text);
        assert_eq!(message_blocks("no fences"), vec!["no fences"]);
        assert_eq!(message_blocks("```\nx\n```\nthen ask"), vec!["```\nx\n```\n", "then ask"]);
    }
}

//! LLM-assisted refinement (off by default): the model rewrites the rules'
//! proposal. The rewrite is taken only if every protected part of the
//! original (code blocks, inline code, quotes) survives byte for byte;
//! otherwise the rules' proposal stands.

use super::{Proposal, RefineInput, RefinerConfig, anchors, estimate_tokens, protected_spans, rubric};
use lantern_events::schema::{Change, ChangeKind, RefinementOrigin};

/// System prompt of the rewrite request.
pub const SYSTEM: &str = "You improve prompts that developers send to a coding assistant. Rewrite the prompt to be \
clear, specific and well structured. Keep every fact, name, number, code block and quoted text exactly as written; add \
nothing the developer did not say. Reply with only the rewritten prompt between <prompt> and </prompt>.";

/// The rewritten prompt inside the model's reply, if it has one.
pub fn extract(reply: &str) -> Option<&str> {
    let start = reply.find("<prompt>")? + "<prompt>".len();
    let end = start + reply[start..].find("</prompt>")?;
    Some(reply[start..end].trim()).filter(|s| !s.is_empty())
}

/// Why a rewrite was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The reply had no `<prompt>…</prompt>`.
    NoPrompt,
    /// The rewrite is the rules' proposal unchanged.
    Unchanged,
    /// A protected part of the original is missing from the rewrite.
    LostProtected(String),
}

/// The proposal revised by the model's `reply`, or why not.
pub fn revise(
    rules: &Proposal,
    input: &RefineInput<'_>,
    config: &RefinerConfig,
    model: &str,
    reply: &str,
) -> Result<Proposal, Refused> {
    let text = extract(reply).ok_or(Refused::NoPrompt)?;
    if text == rules.refined {
        return Err(Refused::Unchanged);
    }
    if let Some(lost) = protected_spans(input.prompt).into_iter().find(|p| !text.contains(p)) {
        return Err(Refused::LostProtected(lost.chars().take(40).collect()));
    }
    let tokens_after = estimate_tokens(text);
    let mut revised = rules.clone();
    revised.changes.push(Change {
        kind: ChangeKind::LlmRewrite,
        description: format!("Rewritten by {model}; protected parts kept verbatim."),
        tokens_added: i64::from(tokens_after)
            .saturating_sub(i64::from(rules.tokens_after))
            .clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32,
    });
    revised.quality.after = rubric::score(text, input.prompt);
    revised.anchors = anchors::propose(input.model, input.tools, input.system, text, config);
    revised.refined = text.to_owned();
    revised.tokens_after = tokens_after;
    revised.origin = RefinementOrigin::Llm;
    Ok(revised)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refiner::refine;
    use lantern_events::schema::PromptContext;

    fn rules(prompt: &str) -> (Proposal, PromptContext) {
        let ctx = PromptContext::default();
        (refine(&RefineInput::new(prompt, "claude-sonnet-4-5", &ctx), &RefinerConfig::default()), ctx)
    }

    #[test]
    fn given_a_faithful_rewrite_then_it_replaces_the_rules_proposal() {
        let prompt = "why does `parse(\"0x1F\")` fail";
        let (p, ctx) = rules(prompt);
        let input = RefineInput::new(prompt, "claude-sonnet-4-5", &ctx);
        let reply =
            "Sure.\n<prompt>Why does `parse(\"0x1F\")` return an error? Explain the cause and show a fix.</prompt>";
        let r = revise(&p, &input, &RefinerConfig::default(), "claude-x", reply).unwrap();
        assert_eq!(r.origin, RefinementOrigin::Llm);
        assert!(r.refined.starts_with("Why does `parse(\"0x1F\")`"));
        assert_eq!(r.changes.last().map(|c| c.kind), Some(ChangeKind::LlmRewrite));
        assert_eq!(r.tokens_after, estimate_tokens(&r.refined));
        assert_eq!(r.stamp, p.stamp);
    }

    #[test]
    fn given_a_rewrite_that_changes_code_then_it_is_refused() {
        let prompt = "why does `parse(\"0x1F\")` fail";
        let (p, ctx) = rules(prompt);
        let input = RefineInput::new(prompt, "claude-sonnet-4-5", &ctx);
        let reply = "<prompt>Why does `parse(\"0x2A\")` fail?</prompt>";
        assert!(matches!(revise(&p, &input, &RefinerConfig::default(), "m", reply), Err(Refused::LostProtected(_))));
        assert_eq!(revise(&p, &input, &RefinerConfig::default(), "m", "no tags"), Err(Refused::NoPrompt));
        let same = format!("<prompt>{}</prompt>", p.refined);
        assert_eq!(revise(&p, &input, &RefinerConfig::default(), "m", &same), Err(Refused::Unchanged));
    }
}

//! One row type per dataset kind, built from request chains.
//!
//! Field order here is column order in JSONL and Parquet; the Parquet
//! schema in [`super::schema`] declares the same fields.

use crate::anonymize::Anonymizer;
use crate::chain::{RequestChain, Turns};
use lantern_actors::refiner::estimate_tokens;
use lantern_events::schema::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The instruction every SFT example starts with.
pub const SFT_INSTRUCTION: &str = "You refine prompts that developers send to a coding assistant. Rewrite the \
user's prompt so that it is specific and self-contained: name the file and language when context gives them, \
include the selected code, structure debugging and implementation requests, and state the expected output. \
Never change code, quoted text or the user's meaning. Reply with the refined prompt only.";

/// Why a chain gave no row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NoRow {
    /// The chain lacks what this kind needs (a user decision, a lookup, suggestions).
    NotApplicable,
    /// A text it needs was withheld by the privacy level.
    Withheld,
    /// The two sides of the pair are the same text.
    NoContrast,
}

/// How ids and texts are written: as logged, or anonymised.
#[derive(Debug, Clone, Copy)]
pub struct Scrub<'a>(pub Option<&'a Anonymizer>);

impl Scrub<'_> {
    fn text(&self, t: &str) -> String {
        match self.0 {
            Some(a) => a.text(t),
            None => t.to_owned(),
        }
    }
    fn session(&self, c: &RequestChain) -> String {
        let id = c.session.to_string();
        match self.0 {
            Some(a) => a.pseudonym("s-", &id),
            None => id,
        }
    }
    fn request(&self, c: &RequestChain) -> String {
        let id = c.request.to_string();
        match self.0 {
            Some(a) => a.pseudonym("r-", &id),
            None => id,
        }
    }
}

/// Where a row comes from, common to every kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Origin {
    /// Request id (pseudonymised with `--anonymize`).
    pub request: String,
    /// Session id (pseudonymised with `--anonymize`).
    pub session: String,
    /// When the prompt was submitted, RFC 3339.
    pub at: String,
    /// Target model.
    pub model: String,
}

fn origin(c: &RequestChain, s: Scrub<'_>) -> Origin {
    Origin {
        request: s.request(c),
        session: s.session(c),
        at: c.started_at().map(|t| t.to_string()).unwrap_or_default(),
        model: c.submitted.as_ref().map(|p| p.event.model.clone()).unwrap_or_default(),
    }
}

/// A preference pair from a user's approval decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreferenceRow {
    /// The prompt as the user wrote it.
    pub prompt: String,
    /// The text the user preferred.
    pub chosen: String,
    /// The text the user passed over.
    pub rejected: String,
    /// Everything else.
    pub meta: PreferenceMeta,
}

/// Metadata of a preference pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreferenceMeta {
    /// Where it comes from.
    #[serde(flatten)]
    pub origin: Origin,
    /// `accepted`, `rejected` or `modified`.
    pub decision: String,
    /// Milliseconds the user took.
    pub waited_ms: u64,
    /// Rubric score of the original (points).
    pub quality_original: u8,
    /// Rubric score of the refinement (points).
    pub quality_refined: u8,
    /// Kinds of change the refinement made.
    pub changes: Vec<String>,
    /// Refiner version of the proposal.
    pub refiner_version: String,
    /// Refiner config hash of the proposal.
    pub refiner_config_hash: String,
}

fn user_decision(c: &RequestChain) -> Result<&Decision, NoRow> {
    match &c.decision {
        Some(d) if d.event.by == Decider::User => Ok(&d.event.decision),
        _ => Err(NoRow::NotApplicable),
    }
}

/// The preference pair of a chain: only decisions a person made count.
pub fn preference(c: &RequestChain, s: Scrub<'_>) -> Result<PreferenceRow, NoRow> {
    let decision = user_decision(c)?;
    let proposal = &c.proposal.as_ref().ok_or(NoRow::NotApplicable)?.event;
    let original = proposal.original.as_str().ok_or(NoRow::Withheld)?;
    let refined = proposal.refined.as_str().ok_or(NoRow::Withheld)?;
    let (name, chosen, rejected) = match decision {
        Decision::Accepted => ("accepted", refined, original),
        Decision::Rejected => ("rejected", original, refined),
        Decision::Modified { text } => ("modified", text.as_str().ok_or(NoRow::Withheld)?, refined),
        Decision::TimedOut => return Err(NoRow::NotApplicable),
    };
    if chosen == rejected {
        return Err(NoRow::NoContrast);
    }
    let prompt = c.prompt().unwrap_or(original);
    Ok(PreferenceRow {
        prompt: s.text(prompt),
        chosen: s.text(chosen),
        rejected: s.text(rejected),
        meta: PreferenceMeta {
            origin: origin(c, s),
            decision: name.to_owned(),
            waited_ms: c.decision.as_ref().map_or(0, |d| d.event.waited_ms),
            quality_original: proposal.quality.before.total,
            quality_refined: proposal.quality.after.total,
            changes: proposal.changes.iter().map(|ch| format!("{:?}", ch.kind)).collect(),
            refiner_version: proposal.refiner.version.clone(),
            refiner_config_hash: proposal.refiner.config_hash.clone(),
        },
    })
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

/// A refinement pair as a chat: instruction, prompt with its context, the refinement a person approved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SftRow {
    /// System, user and assistant messages.
    pub messages: Vec<Message>,
    /// Where it comes from.
    pub meta: SftMeta,
}

/// Metadata of an SFT example.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SftMeta {
    /// Where it comes from.
    #[serde(flatten)]
    pub origin: Origin,
    /// `accepted` or `modified`.
    pub decision: String,
    /// Refiner version of the proposal.
    pub refiner_version: String,
}

/// The user turn of an SFT example: the prompt, then its editor context.
fn user_message(prompt: &str, ctx: &PromptContext) -> Result<String, NoRow> {
    let mut lines = Vec::new();
    if let Some(f) = &ctx.active_file {
        lines.push(format!("active_file: {f}"));
    }
    if let Some(l) = &ctx.language {
        lines.push(format!("language: {l}"));
    }
    if let Some(sel) = &ctx.selection {
        let text = sel.text.as_str().ok_or(NoRow::Withheld)?;
        let range = match (sel.start_line, sel.end_line) {
            (Some(a), Some(b)) => format!(" (lines {a}-{b})"),
            _ => String::new(),
        };
        lines.push(format!("selection{range}:\n```\n{text}\n```"));
    }
    Ok(if lines.is_empty() {
        prompt.to_owned()
    } else {
        format!("{prompt}\n\n<context>\n{}\n</context>", lines.join("\n"))
    })
}

/// The SFT example of a chain: a person accepted or edited the refinement.
pub fn sft(c: &RequestChain, s: Scrub<'_>) -> Result<SftRow, NoRow> {
    let decision = user_decision(c)?;
    let proposal = &c.proposal.as_ref().ok_or(NoRow::NotApplicable)?.event;
    let submitted = &c.submitted.as_ref().ok_or(NoRow::NotApplicable)?.event;
    let prompt = submitted.text.as_str().ok_or(NoRow::Withheld)?;
    let (name, target) = match decision {
        Decision::Accepted => ("accepted", proposal.refined.as_str().ok_or(NoRow::Withheld)?),
        Decision::Modified { text } => ("modified", text.as_str().ok_or(NoRow::Withheld)?),
        Decision::Rejected | Decision::TimedOut => return Err(NoRow::NotApplicable),
    };
    if target == prompt {
        return Err(NoRow::NoContrast);
    }
    let message = |role: &str, content: String| Message { role: role.to_owned(), content };
    Ok(SftRow {
        messages: vec![
            message("system", SFT_INSTRUCTION.to_owned()),
            message("user", s.text(&user_message(prompt, &submitted.context)?)),
            message("assistant", s.text(target)),
        ],
        meta: SftMeta {
            origin: origin(c, s),
            decision: name.to_owned(),
            refiner_version: proposal.refiner.version.clone(),
        },
    })
}

/// One cache decision, with the features a router would see and its label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoutingRow {
    /// Where it comes from.
    #[serde(flatten)]
    pub origin: Origin,
    /// First 16 hex digits of SHA-256 of the cache namespace.
    pub namespace_hash: String,
    /// Estimated tokens of the prompt that was sent.
    pub prompt_tokens: u32,
    /// Similarity of the best candidate (semantic hits and near misses).
    pub similarity: Option<f32>,
    /// `exact_hit`, `semantic_hit` or `miss`.
    pub outcome: String,
    /// Why it missed: `empty`, `below_threshold`, `guard_rejected`, `disabled`, `bypassed`.
    pub miss_reason: Option<String>,
    /// The verifier's reason for refusing the best candidate.
    pub verification_reason: Option<String>,
    /// `hit` or `miss`.
    pub label: String,
    /// The user's later judgement: `correct` or `wrong_answer`.
    pub feedback: Option<String>,
    /// Cache lookup time in microseconds.
    pub lookup_latency_us: u64,
    /// Submission to delivered answer, in milliseconds.
    pub response_latency_ms: Option<u64>,
    /// `cache`, `upstream` or `offline`.
    pub response_source: Option<String>,
    /// Upstream tokens a hit avoided (estimated from the prompt and the answer); 0 on a miss.
    pub tokens_saved: u32,
    /// Upstream input tokens, on a miss that went upstream.
    pub upstream_input_tokens: Option<u32>,
    /// Upstream output tokens, on a miss that went upstream.
    pub upstream_output_tokens: Option<u32>,
}

fn sent_tokens(c: &RequestChain) -> u32 {
    let Some(p) = &c.proposal else { return c.prompt().map_or(0, estimate_tokens) };
    match c.decision.as_ref().map(|d| &d.event.decision) {
        Some(Decision::Accepted) => p.event.tokens_after,
        Some(Decision::Modified { text: Text::Full(t) }) => estimate_tokens(t),
        _ => p.event.tokens_before,
    }
}

/// The routing row of a chain's cache lookup.
pub fn routing(c: &RequestChain, s: Scrub<'_>) -> Result<RoutingRow, NoRow> {
    let checked = &c.cache.as_ref().ok_or(NoRow::NotApplicable)?.event;
    let prompt_tokens = sent_tokens(c);
    let (outcome, similarity, miss_reason, verification_reason) = match &checked.outcome {
        CacheOutcome::ExactHit { .. } => ("exact_hit", Some(1.0), None, None),
        CacheOutcome::SemanticHit { similarity, .. } => ("semantic_hit", Some(*similarity), None, None),
        CacheOutcome::SemanticOffered { similarity, verdict, .. } => {
            ("semantic_offer", Some(*similarity), None, verdict.reason.as_ref().map(|r| s.text(r)))
        }
        CacheOutcome::Miss { reason } => {
            let (name, best, why) = match reason {
                MissReason::Empty => ("empty", None, None),
                MissReason::BelowThreshold { best } => ("below_threshold", Some(*best), None),
                MissReason::GuardRejected { best, reason } => ("guard_rejected", Some(*best), Some(s.text(reason))),
                MissReason::Disabled => ("disabled", None, None),
                MissReason::Bypassed => ("bypassed", None, None),
                MissReason::ExactOnly => ("exact_only", None, None),
                MissReason::NoWords => ("no_words", None, None),
                MissReason::Unavailable { message } => ("unavailable", None, Some(s.text(message))),
            };
            ("miss", best, Some(name.to_owned()), why)
        }
    };
    // An offer is a hit once the user took it.
    let taken = c.offer.as_ref().is_some_and(|o| o.event.choice == OfferChoice::UsedCached);
    let hit = matches!(outcome, "exact_hit" | "semantic_hit") || taken;
    let response = c.response.as_ref().map(|r| &r.event);
    let tokens_saved = match (hit, response.and_then(|r| r.text.as_str())) {
        (true, Some(answer)) => prompt_tokens + estimate_tokens(answer),
        (true, None) => prompt_tokens,
        (false, _) => 0,
    };
    let feedback = c.feedback.last().map(|f| match f.event.verdict {
        FeedbackVerdict::Correct => "correct".to_owned(),
        FeedbackVerdict::WrongAnswer => "wrong_answer".to_owned(),
    });
    let usage = c.upstream.as_ref().map(|u| u.event.usage);
    Ok(RoutingRow {
        origin: origin(c, s),
        namespace_hash: short_hash(&checked.namespace),
        prompt_tokens,
        similarity,
        outcome: outcome.to_owned(),
        miss_reason,
        verification_reason,
        label: if hit { "hit" } else { "miss" }.to_owned(),
        feedback,
        lookup_latency_us: checked.latency_us,
        response_latency_ms: response.map(|r| r.latency_ms),
        response_source: response.map(|r| format!("{:?}", r.source).to_lowercase()),
        tokens_saved,
        upstream_input_tokens: usage.map(|u| u.input_tokens),
        upstream_output_tokens: usage.map(|u| u.output_tokens),
    })
}

/// A semantic cache pair, served or offered, with its label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CachePairRow {
    /// Where it comes from.
    #[serde(flatten)]
    pub origin: Origin,
    /// First 16 hex digits of SHA-256 of the cache namespace.
    pub namespace_hash: String,
    /// The prompt looked up.
    pub query: String,
    /// The cached prompt it matched.
    pub matched_prompt: String,
    /// Their cosine similarity.
    pub similarity: f32,
    /// `served` or `offered`.
    pub shown: String,
    /// Whether the verifier accepted the pair.
    pub guard_accepted: bool,
    /// Why the verifier refused it.
    pub guard_reason: Option<String>,
    /// `flagged_wrong`, `confirmed`, `accepted`, `refused`, `timed_out` or `served`.
    pub label: String,
    /// Who chose on an offer: `user` or `policy`.
    pub decided_by: Option<String>,
    /// Offer to choice, in milliseconds.
    pub waited_ms: Option<u64>,
}

/// The cache-pair row of a chain whose lookup served or offered a paraphrase.
pub fn cache_pair(c: &RequestChain, s: Scrub<'_>) -> Result<CachePairRow, NoRow> {
    let checked = &c.cache.as_ref().ok_or(NoRow::NotApplicable)?.event;
    let (similarity, matched, shown, accepted, reason) = match &checked.outcome {
        CacheOutcome::SemanticHit { similarity, matched_prompt, .. } => {
            (*similarity, matched_prompt, "served", true, None)
        }
        CacheOutcome::SemanticOffered { similarity, matched_prompt, verdict, .. } => {
            (*similarity, matched_prompt, "offered", verdict.accepted, verdict.reason.as_deref())
        }
        CacheOutcome::ExactHit { .. } | CacheOutcome::Miss { .. } => return Err(NoRow::NotApplicable),
    };
    let matched = matched.as_ref().and_then(|m| m.as_str()).ok_or(NoRow::Withheld)?;
    let query = c.sent_text().or(c.prompt()).ok_or(NoRow::Withheld)?;
    let offer = c.offer.as_ref().map(|o| &o.event);
    let judged = c.feedback.last().map(|f| match f.event.verdict {
        FeedbackVerdict::WrongAnswer => "flagged_wrong",
        FeedbackVerdict::Correct => "confirmed",
    });
    let chosen = offer.map(|o| match o.choice {
        OfferChoice::UsedCached => "accepted",
        OfferChoice::AskedModel => "refused",
        OfferChoice::TimedOut => "timed_out",
    });
    let label = judged.or(chosen).unwrap_or("served");
    Ok(CachePairRow {
        origin: origin(c, s),
        namespace_hash: short_hash(&checked.namespace),
        query: s.text(query),
        matched_prompt: s.text(matched),
        similarity,
        shown: shown.to_owned(),
        guard_accepted: accepted,
        guard_reason: reason.map(|r| s.text(r)),
        label: label.to_owned(),
        decided_by: offer.map(|o| if o.by == Decider::User { "user" } else { "policy" }.to_owned()),
        waited_ms: offer.map(|o| o.waited_ms),
    })
}

fn short_hash(s: &str) -> String {
    Sha256::digest(s.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Suggestions offered after an answer, their metadata, and what the user did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuggestionRow {
    /// Where it comes from.
    #[serde(flatten)]
    pub origin: Origin,
    /// The prompt the answer was for.
    pub prompt: Option<String>,
    /// `llm`, `heuristic` or `unknown`.
    pub suggestion_origin: String,
    /// `last_assistant`, `history` or `unknown`.
    pub context: String,
    /// Number of user turns read, for `history`.
    pub history_depth: Option<u8>,
    /// The assistant reply the suggestions were derived from, for `last_assistant`.
    pub last_assistant: Option<String>,
    /// The user turns they were derived from, oldest first, for `history`.
    pub history: Vec<String>,
    /// The suggestions, best first.
    pub suggestions: Vec<String>,
    /// Per suggestion: `sent`, `edited`, `dismissed` or `ignored`.
    pub actions: Vec<String>,
    /// Per suggestion: the user's edited text, for `edited`.
    pub edited: Vec<Option<String>>,
}

/// The suggestions row of a chain.
pub fn suggestions(c: &RequestChain, turns: &Turns, s: Scrub<'_>) -> Result<SuggestionRow, NoRow> {
    let offered = c.suggestions.as_ref().ok_or(NoRow::NotApplicable)?;
    let texts: Option<Vec<&str>> = offered.event.suggestions.iter().map(|x| x.text.as_str()).collect();
    let texts = texts.ok_or(NoRow::Withheld)?;
    let (context, depth, last_assistant, history) = match offered.event.context {
        Some(SuggestionContext::LastAssistant) => {
            let reply = c.response.as_ref().and_then(|r| r.event.text.as_str()).ok_or(NoRow::Withheld)?;
            ("last_assistant", None, Some(s.text(reply)), Vec::new())
        }
        Some(SuggestionContext::History { depth }) => {
            let all = turns.before(c.session, offered.seq).ok_or(NoRow::Withheld)?;
            let from = all.len().saturating_sub(usize::from(depth));
            ("history", Some(depth), None, all[from..].iter().map(|t| s.text(t)).collect())
        }
        None => ("unknown", None, None, Vec::new()),
    };
    let mut actions = vec!["ignored".to_owned(); texts.len()];
    let mut edited = vec![None; texts.len()];
    for a in &c.acted {
        let i = usize::from(a.event.index);
        if i >= texts.len() {
            continue;
        }
        actions[i] = match &a.event.action {
            SuggestionAction::Sent => "sent",
            SuggestionAction::Edited { text } => {
                edited[i] = text.as_str().map(|t| s.text(t));
                "edited"
            }
            SuggestionAction::Dismissed => "dismissed",
        }
        .to_owned();
    }
    Ok(SuggestionRow {
        origin: origin(c, s),
        prompt: c.prompt().map(|p| s.text(p)),
        suggestion_origin: match offered.event.origin {
            Some(SuggestionOrigin::Llm) => "llm",
            Some(SuggestionOrigin::Heuristic) => "heuristic",
            None => "unknown",
        }
        .to_owned(),
        context: context.to_owned(),
        history_depth: depth,
        last_assistant,
        history,
        suggestions: texts.iter().map(|t| s.text(t)).collect(),
        actions,
        edited,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::Chains;
    use lantern_events::{Actor, NewEvent, RequestId, SessionId};

    fn offered_chain(choice: OfferChoice) -> RequestChain {
        let (s, r) = (SessionId::new(), RequestId::new());
        let outcome = CacheOutcome::SemanticOffered {
            similarity: 0.88,
            entry: EntryId("e".into()),
            matched_prompt: Some("reverse a list".into()),
            verdict: GuardVerdict { accepted: false, reason: Some("unmatched_term: string".into()) },
            preview: "use reversed()".into(),
        };
        let decided = OfferDecided { entry: EntryId("e".into()), choice, by: Decider::User, waited_ms: 3 };
        let submitted = PromptSubmitted {
            text: "reverse a string".into(),
            model: "m".into(),
            context: PromptContext::default(),
            origin: PromptOrigin::Typed,
        };
        let events = [
            Event::PromptSubmitted(submitted),
            Event::RefinementSkipped(RefinementSkipped { reason: SkipReason::NoMessages }),
            Event::CacheChecked(CacheChecked { outcome, namespace: "default".into(), latency_us: 40 }),
            Event::OfferDecided(decided),
        ];
        let log: Vec<_> = events
            .into_iter()
            .enumerate()
            .map(|(i, e)| NewEvent::now(s, Actor::Telemetry, e).in_request(r).committed(i as u64 + 1))
            .collect();
        Chains::from_events(&log).get(r).cloned().expect("the chain")
    }

    #[test]
    fn offered_pairs_carry_the_users_label_and_a_later_flag_overrides_it() {
        let row = |choice| cache_pair(&offered_chain(choice), Scrub(None)).map_err(|_| "no row");
        let refused = row(OfferChoice::AskedModel);
        let refused = refused.as_ref();
        assert_eq!(refused.map(|r| (r.label.as_str(), r.shown.as_str())), Ok(("refused", "offered")));
        assert_eq!(
            refused.map(|r| (r.guard_accepted, r.guard_reason.as_deref())),
            Ok((false, Some("unmatched_term: string")))
        );
        assert_eq!(
            refused.map(|r| (r.matched_prompt.as_str(), r.decided_by.as_deref())),
            Ok(("reverse a list", Some("user")))
        );
        assert_eq!(row(OfferChoice::UsedCached).map(|r| r.label), Ok("accepted".to_owned()));
        assert_eq!(row(OfferChoice::TimedOut).map(|r| r.label), Ok("timed_out".to_owned()));
        let mut flagged = offered_chain(OfferChoice::UsedCached);
        let verdict = FeedbackGiven {
            response_seq: 9,
            verdict: FeedbackVerdict::WrongAnswer,
            entry: None,
            invalidated: true,
            note: None,
        };
        let at = lantern_events::Timestamp(0);
        flagged.feedback.push(crate::chain::Stamped { seq: 10, at, event: verdict });
        assert_eq!(cache_pair(&flagged, Scrub(None)).map(|r| r.label).map_err(|_| ()), Ok("flagged_wrong".to_owned()));
    }

    #[test]
    fn an_offer_is_routed_as_a_hit_only_when_taken() {
        let taken = routing(&offered_chain(OfferChoice::UsedCached), Scrub(None)).map_err(|_| "no row");
        let refused = routing(&offered_chain(OfferChoice::AskedModel), Scrub(None)).map_err(|_| "no row");
        let (taken, refused) = (taken.as_ref().map(|r| r.label.as_str()), refused.as_ref());
        assert_eq!(taken, Ok("hit"));
        assert_eq!(refused.map(|r| (r.label.as_str(), r.outcome.as_str())), Ok(("miss", "semantic_offer")));
        assert_eq!(
            refused.map(|r| r.verification_reason.as_deref()),
            Ok(Some("unmatched_term: string")),
            "the verifier's refusal is kept as a feature"
        );
    }
}

//! One wording of what the events say, shared by every frontend (the CLI,
//! the window), so that a cache outcome, a decision or an answer's source
//! reads the same wherever it is shown.

use crate::chain::RequestChain;
use lantern_events::Timestamp;
use lantern_events::schema::*;

/// `YYYY-MM-DD HH:MM` (UTC).
pub fn minute(at: Timestamp) -> String {
    let s = at.to_string();
    format!("{} {}", &s[..10], &s[11..16])
}

/// The first line of `text`, cut to `max` characters (`…` when cut).
pub fn excerpt(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > max || text.lines().nth(1).is_some() {
        format!("{}…", line.chars().take(max).collect::<String>())
    } else {
        line.to_owned()
    }
}

/// Lower-case frontend name.
pub fn frontend(f: FrontendKind) -> &'static str {
    match f {
        FrontendKind::Cli => "cli",
        FrontendKind::Desktop => "desktop",
        FrontendKind::Proxy => "proxy",
    }
}

/// What the cache would do with one prompt.
pub fn outlook(o: &PromptOutlook) -> String {
    let sim = o.nearest_similarity.map(|s| format!(" {s:.2}")).unwrap_or_default();
    match &o.verdict {
        OutlookVerdict::ExactHit => "exact hit".into(),
        OutlookVerdict::SemanticHit => format!("semantic hit{sim}"),
        OutlookVerdict::GuardRejected { reason } => format!("near{sim}, refused: {reason}"),
        OutlookVerdict::BelowThreshold => format!("miss (nearest{sim})"),
        OutlookVerdict::NoCandidate => "miss (nothing close)".into(),
        OutlookVerdict::Offered { accepted } => {
            format!("offered to you{sim} (verifier {})", if *accepted { "accepts" } else { "refuses" })
        }
    }
}

/// A semantic offer, as shown before anything is sent: the matched prompt,
/// the similarity, the verifier's verdict and reason, the cached answer's opening.
pub fn offer(c: &CacheChecked) -> Option<Vec<String>> {
    let CacheOutcome::SemanticOffered { similarity, entry, matched_prompt, verdict, preview } = &c.outcome else {
        return None;
    };
    let judged = match (&verdict.accepted, &verdict.reason) {
        (true, _) => "the verifier accepts it".to_owned(),
        (false, Some(r)) => format!("the verifier refuses it: {r}"),
        (false, None) => "the verifier refuses it".to_owned(),
    };
    let mut lines = vec![
        format!("A cached answer to a similar prompt (similarity {similarity:.3}, entry {}): {judged}", entry.0),
        format!(
            "Matched prompt: “{}”",
            matched_prompt.as_ref().map_or_else(|| "(withheld)".to_owned(), |m| excerpt(&m.display(), 120))
        ),
    ];
    lines.extend(preview.display().lines().map(|l| format!("> {l}")));
    Some(lines)
}

/// What became of an offer, and who chose.
pub fn offer_decided(d: &OfferDecided) -> String {
    let what = match d.choice {
        OfferChoice::UsedCached => "used the cached answer",
        OfferChoice::AskedModel => "asked the model",
        OfferChoice::TimedOut => "asked the model (no choice in time)",
    };
    format!("Chosen by {} after {:.1} s: {what}", decider(d.by), d.waited_ms as f64 / 1000.0)
}

/// Who decided.
pub fn decider(by: Decider) -> String {
    match by {
        Decider::User => "you".to_owned(),
        Decider::Policy(p) => format!("policy {}", format!("{p:?}").to_lowercase()),
    }
}

/// What was decided, and by whom.
pub fn decision(d: &ApprovalDecided) -> String {
    let what = match &d.decision {
        Decision::Accepted => "sent the refined prompt",
        Decision::Modified { .. } => "sent an edited prompt",
        Decision::Rejected => "sent the original prompt",
        Decision::TimedOut => "sent the original prompt (no decision in time)",
    };
    format!("Decided by {} after {:.1} s: {what}", decider(d.by), d.waited_ms as f64 / 1000.0)
}

/// A cache miss, and why.
pub fn miss(reason: &MissReason) -> String {
    match reason {
        MissReason::Empty => "miss (cache empty for this context)".into(),
        MissReason::BelowThreshold { best } => format!("miss (nearest {best:.3} below threshold)"),
        MissReason::GuardRejected { best, reason } => format!("miss (nearest {best:.3} refused: {reason})"),
        MissReason::Disabled => "miss (cache disabled)".into(),
        MissReason::Bypassed => "miss (bypassed by request)".into(),
        MissReason::ExactOnly => "miss (no exact match; semantic matching off)".into(),
        MissReason::NoWords => "miss (no exact match; no words to match on, so exact matches only)".into(),
        MissReason::Unavailable { message } => format!("miss (cache unavailable: {message})"),
    }
}

/// Why the cache did not answer, when there is more to say than "miss".
pub fn miss_note(c: &CacheChecked) -> Option<String> {
    match &c.outcome {
        CacheOutcome::Miss { reason: MissReason::GuardRejected { best, reason } } => {
            Some(format!("The cache refused a near match ({best:.3}): {reason}"))
        }
        CacheOutcome::Miss { reason: MissReason::BelowThreshold { best } } => {
            Some(format!("Cache miss: the nearest entry ({best:.3}) is below the threshold"))
        }
        _ => None,
    }
}

/// Where an answer came from, in words.
pub fn source(r: &ResponseDelivered, cache: Option<&CacheChecked>, upstream: Option<&UpstreamCompleted>) -> String {
    match (r.source, cache.map(|c| &c.outcome)) {
        (ResponseSource::Cache, Some(CacheOutcome::ExactHit { entry })) => {
            format!("Cache: exact hit · entry {}", entry.0)
        }
        (ResponseSource::Cache, Some(CacheOutcome::SemanticHit { similarity, entry, matched_prompt })) => format!(
            "Cache: semantic hit · similarity {similarity:.3} · entry {}{}",
            entry.0,
            matched_prompt.as_ref().map(|m| format!(" · matched “{}”", excerpt(&m.display(), 80))).unwrap_or_default()
        ),
        (ResponseSource::Cache, Some(CacheOutcome::SemanticOffered { similarity, entry, matched_prompt, .. })) => {
            format!(
                "Cache: semantic match you took · similarity {similarity:.3} · entry {}{}",
                entry.0,
                matched_prompt
                    .as_ref()
                    .map(|m| format!(" · matched “{}”", excerpt(&m.display(), 80)))
                    .unwrap_or_default()
            )
        }
        (ResponseSource::Cache, _) => "Cache".into(),
        (ResponseSource::Offline, _) => "Offline: no API key configured, nothing was sent anywhere".into(),
        (ResponseSource::Upstream, _) => match upstream {
            Some(u) => format!(
                "Upstream {} · {} in / {} out tokens · {} attempt(s) · {} ms",
                u.model, u.usage.input_tokens, u.usage.output_tokens, u.attempts, u.latency_ms
            ),
            None => "Upstream".into(),
        },
    }
}

/// Where a chain's answer came from, once it has one.
pub fn chain_source(chain: &RequestChain) -> Option<String> {
    let r = &chain.response.as_ref()?.event;
    Some(source(r, chain.cache.as_ref().map(|c| &c.event), chain.upstream.as_ref().map(|u| &u.event)))
}

/// A change kind in words.
pub fn change_kind(k: ChangeKind) -> &'static str {
    match k {
        ChangeKind::InjectedFileContext => "file context",
        ChangeKind::AttachedSelection => "selection",
        ChangeKind::AddedStructure => "structure",
        ChangeKind::StatedExpectedOutput => "expected output",
        ChangeKind::FlaggedVagueReference => "vague reference",
        ChangeKind::NormalisedWhitespace => "whitespace",
        ChangeKind::LlmRewrite => "LLM rewrite",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_excerpts() {
        let at = Timestamp::parse_rfc3339("2026-03-04T05:06:07.000000Z").unwrap_or(Timestamp(0));
        assert_eq!(minute(at), "2026-03-04 05:06");
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("two\nlines", 10), "two…");
        assert_eq!(excerpt("abcdefghijkl", 4), "abcd…");
    }

    #[test]
    fn decisions_say_who_and_what() {
        let d =
            ApprovalDecided { decision: Decision::TimedOut, by: Decider::Policy(ApprovalPolicy::Ask), waited_ms: 1500 };
        assert_eq!(decision(&d), "Decided by policy ask after 1.5 s: sent the original prompt (no decision in time)");
        let d = ApprovalDecided { decision: Decision::Accepted, by: Decider::User, waited_ms: 0 };
        assert_eq!(decision(&d), "Decided by you after 0.0 s: sent the refined prompt");
    }
}

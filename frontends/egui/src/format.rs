//! Words for what the events say, shared by the panels.

use lantern_events::Timestamp;
use lantern_events::schema::*;
use lantern_replay::chain::RequestChain;

/// `YYYY-MM-DD HH:MM` (UTC).
pub fn minute(at: Timestamp) -> String {
    let s = at.to_string();
    format!("{} {}", &s[..10], &s[11..16])
}

/// `HH:MM:SS` (UTC).
pub fn clock(at: Timestamp) -> String {
    at.to_string()[11..19].to_owned()
}

/// The first line of `text`, cut to `max` characters.
pub fn excerpt(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > max || text.lines().nth(1).is_some() {
        format!("{}…", line.chars().take(max).collect::<String>())
    } else {
        line.to_owned()
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
    let by = match d.by {
        Decider::User => "you".to_owned(),
        Decider::Policy(p) => format!("policy {}", format!("{p:?}").to_lowercase()),
    };
    format!("Decided by {by} after {:.1} s: {what}", d.waited_ms as f64 / 1000.0)
}

/// Where the chain's answer came from, in words.
pub fn source(chain: &RequestChain) -> Option<String> {
    let r = &chain.response.as_ref()?.event;
    let cache = chain.cache.as_ref().map(|c| &c.event.outcome);
    Some(match (r.source, cache) {
        (ResponseSource::Cache, Some(CacheOutcome::ExactHit { entry })) => {
            format!("Cache: exact hit · entry {}", entry.0)
        }
        (ResponseSource::Cache, Some(CacheOutcome::SemanticHit { similarity, entry, matched_prompt })) => format!(
            "Cache: semantic hit · similarity {similarity:.3} · entry {}{}",
            entry.0,
            matched_prompt.as_ref().map(|m| format!(" · matched “{}”", excerpt(&m.display(), 80))).unwrap_or_default()
        ),
        (ResponseSource::Cache, _) => "Cache".into(),
        (ResponseSource::Offline, _) => "Offline: no API key configured, nothing was sent anywhere".into(),
        (ResponseSource::Upstream, _) => match chain.upstream.as_ref().map(|u| &u.event) {
            Some(u) => format!(
                "Upstream {} · {} in / {} out tokens · {} attempt(s) · {} ms",
                u.model, u.usage.input_tokens, u.usage.output_tokens, u.attempts, u.latency_ms
            ),
            None => "Upstream".into(),
        },
    })
}

/// Short label of the source, for lists.
pub fn source_short(chain: &RequestChain) -> &'static str {
    match (chain.response.as_ref().map(|r| r.event.source), chain.cache.as_ref().map(|c| &c.event.outcome)) {
        (Some(ResponseSource::Cache), Some(CacheOutcome::SemanticHit { .. })) => "semantic hit",
        (Some(ResponseSource::Cache), _) => "exact hit",
        (Some(ResponseSource::Upstream), _) => "upstream",
        (Some(ResponseSource::Offline), _) => "offline",
        (None, _) if chain.failure.is_some() => "failed",
        (None, _) => "open",
    }
}

/// Why the cache did not answer, when there is something to say.
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

/// Where an anchor goes, in words.
pub fn anchor(a: &CacheAnchor) -> String {
    let target = match &a.target {
        AnchorTarget::Tools => "after the tools".to_owned(),
        AnchorTarget::System => "after the system prompt".to_owned(),
        AnchorTarget::Message { message, block } => format!("after message {message}, block {block}"),
    };
    let ttl = match a.ttl {
        CacheTtl::FiveMinutes => "5m",
        CacheTtl::OneHour => "1h",
    };
    format!("cache_control {target} · {} tokens · ttl {ttl} · {}", a.prefix_tokens, a.reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_excerpts() {
        let at = Timestamp::parse_rfc3339("2026-03-04T05:06:07.000000Z").unwrap();
        assert_eq!(minute(at), "2026-03-04 05:06");
        assert_eq!(clock(at), "05:06:07");
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("two\nlines", 10), "two…");
        assert_eq!(excerpt("abcdefghijkl", 4), "abcd…");
    }
}

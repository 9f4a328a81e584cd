//! Words for what the events say, shared by the panels: the wording every
//! frontend shares ([`lantern_replay::words`]), and what only the window shows.

use lantern_events::Timestamp;
use lantern_events::schema::*;
use lantern_replay::chain::RequestChain;
pub use lantern_replay::words::{change_kind, decision, excerpt, minute, miss_note, offer, offer_decided, outlook};

/// Where the chain's answer came from, in words.
pub fn source(chain: &RequestChain) -> Option<String> {
    lantern_replay::words::chain_source(chain)
}

/// `HH:MM:SS` (UTC).
pub fn clock(at: Timestamp) -> String {
    at.to_string()[11..19].to_owned()
}

/// Short label of the source, for lists.
pub fn source_short(chain: &RequestChain) -> &'static str {
    match (chain.response.as_ref().map(|r| r.event.source), chain.cache.as_ref().map(|c| &c.event.outcome)) {
        (Some(ResponseSource::Cache), Some(CacheOutcome::SemanticHit { .. })) => "semantic hit",
        (Some(ResponseSource::Cache), Some(CacheOutcome::SemanticOffered { .. })) => "semantic match taken",
        (Some(ResponseSource::Cache), _) => "exact hit",
        (Some(ResponseSource::Upstream), _) => "upstream",
        (Some(ResponseSource::Offline), _) => "offline",
        (None, _) if chain.failure.is_some() => "failed",
        (None, _) => "open",
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

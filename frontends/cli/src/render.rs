//! Human-readable, one-line renderings of events and times.

use lantern_events::Timestamp;
use lantern_events::schema::*;
use lantern_replay::words::miss;
pub use lantern_replay::words::{frontend, minute};

/// `04:40:00.250` (UTC).
pub fn clock(t: Timestamp) -> String {
    t.to_string()[11..23].to_owned()
}

/// First line of a text, shortened to `max` characters.
pub fn excerpt(t: &Text, max: usize) -> String {
    let full = t.display();
    let line = full.lines().next().unwrap_or("");
    let mut s: String = line.chars().take(max).collect();
    if line.chars().count() > max || full.lines().nth(1).is_some() {
        s.push('…');
    }
    format!("{s:?}")
}

/// One line describing an event.
pub fn describe(event: &Event) -> String {
    match event {
        Event::SessionStarted(s) => format!(
            "session started ({}, lantern {}, privacy {:?}{})",
            frontend(s.frontend),
            s.lantern_version,
            s.privacy,
            s.workspace.as_deref().map(|w| format!(", in {w}")).unwrap_or_default()
        ),
        Event::PromptSubmitted(p) => format!(
            "prompt {} → {}{}",
            excerpt(&p.text, 60),
            p.model,
            p.context.active_file.as_deref().map(|f| format!(" (file {f})")).unwrap_or_default()
        ),
        Event::RefinementProposed(r) => format!(
            "refinement proposed: {} change(s), quality {} → {}, tokens {} → {}, {} anchor(s), refiner {} [{}]",
            r.changes.len(),
            r.quality.before.total,
            r.quality.after.total,
            r.tokens_before,
            r.tokens_after,
            r.anchors.len(),
            r.refiner.version,
            r.refiner.config_hash
        ),
        Event::RefinementSkipped(r) => format!("not refined: {}; sent as it came", r.reason.describe()),
        Event::ApprovalDecided(a) => match &a.decision {
            Decision::Modified { text } => format!("{} {}", lantern_replay::words::decision(a), excerpt(text, 40)),
            _ => lantern_replay::words::decision(a),
        },
        Event::CacheChecked(c) => {
            let outcome = match &c.outcome {
                CacheOutcome::ExactHit { entry } => format!("exact hit ({})", entry.0),
                CacheOutcome::SemanticHit { similarity, entry, .. } => {
                    format!("semantic hit {similarity:.3} ({})", entry.0)
                }
                CacheOutcome::SemanticOffered { similarity, entry, verdict, .. } => format!(
                    "semantic match {similarity:.3} ({}) offered; verifier {}",
                    entry.0,
                    verdict.reason.as_deref().map_or_else(|| "accepts".to_owned(), |r| format!("refuses: {r}"))
                ),
                CacheOutcome::Miss { reason } => miss(reason),
            };
            format!("cache [{}]: {outcome} in {:.1} ms", c.namespace, c.latency_us as f64 / 1000.0)
        }
        Event::UpstreamCompleted(u) => format!(
            "{} {} answered: {} in / {} out tokens (cache write {}, read {}), {} attempt(s), {} ms",
            u.provider,
            u.model,
            u.usage.input_tokens,
            u.usage.output_tokens,
            u.usage.cache_creation_input_tokens,
            u.usage.cache_read_input_tokens,
            u.attempts,
            u.latency_ms
        ),
        Event::UpstreamFailed(f) => format!(
            "{} failed: {}{} {} ({} attempt(s){})",
            f.provider,
            f.kind,
            f.status.map(|s| format!(" {s}")).unwrap_or_default(),
            f.message,
            f.attempts,
            if f.retryable { ", retryable" } else { "" }
        ),
        Event::ResponseDelivered(r) => {
            format!("response from {:?} after {} ms: {}", r.source, r.latency_ms, excerpt(&r.text, 60)).to_owned()
        }
        Event::OfferDecided(d) => lantern_replay::words::offer_decided(d),
        Event::SuggestionsOffered(s) => format!("{} suggestion(s) — {}", s.suggestions.len(), s.metadata_line()),
        Event::SuggestionActed(a) => {
            let what = match &a.action {
                SuggestionAction::Sent => "sent".to_owned(),
                SuggestionAction::Edited { text } => format!("edited and sent as {}", excerpt(text, 40)),
                SuggestionAction::Dismissed => "dismissed".to_owned(),
            };
            format!("suggestion {} of #{} {what}", a.index + 1, a.offered_seq)
        }
        Event::FeedbackGiven(f) => format!(
            "feedback on #{}: {:?}{}",
            f.response_seq,
            f.verdict,
            if f.invalidated { ", cache entry invalidated" } else { "" }
        ),
        Event::SessionEnded(e) => format!("session ended ({:?})", e.reason),
    }
}

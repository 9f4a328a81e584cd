//! What each event keeps at each privacy level: one exhaustive match, with
//! no wildcard arm, so a new event variant cannot compile until someone has
//! decided how it is persisted and what is redacted in it.
//!
//! At every level, secrets are redacted from every free-text field
//! ([`super::redact`]). At `Metadata`, user text (prompts, answers,
//! suggestions, edits) is replaced by its SHA-256 and length, and verifier
//! reasons keep only their code (`number_mismatch`, not the numbers). At
//! `Off`, [`scrub`] says [`Persist::Nothing`] and the journal writes nothing.

use super::redact::redact;
use lantern_events::schema::*;
use sha2::{Digest, Sha256};

/// What the journal does with a scrubbed event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persist {
    /// Write the (scrubbed) event.
    Event,
    /// Write nothing.
    Nothing,
}

/// Redacts secrets in a plain string field.
fn secret_free(s: &mut String) -> usize {
    let r = redact(s);
    let n = r.found.len();
    if n > 0 {
        *s = r.text.into_owned();
    }
    n
}

/// Scrubs a user text: secrets always; at `Metadata`, the text itself.
fn user_text(t: &mut Text, level: PrivacyLevel) -> usize {
    let Text::Full(s) = t else { return 0 };
    let n = secret_free(s);
    if level != PrivacyLevel::Full {
        let digest = Sha256::digest(s.as_bytes());
        let sha256 = digest.iter().map(|b| format!("{b:02x}")).collect();
        *t = Text::Withheld { sha256, chars: u32::try_from(s.chars().count()).unwrap_or(u32::MAX) };
    }
    n
}

fn opt_user_text(t: &mut Option<Text>, level: PrivacyLevel) -> usize {
    t.as_mut().map_or(0, |t| user_text(t, level))
}

fn opt_secret_free(s: &mut Option<String>) -> usize {
    s.as_mut().map_or(0, secret_free)
}

/// A verifier reason (`code: detail`): at `Metadata`, the detail quotes the
/// prompt, so only the code stays.
fn reason(s: &mut String, level: PrivacyLevel) -> usize {
    let n = secret_free(s);
    if level != PrivacyLevel::Full
        && let Some((code, _)) = s.split_once(':')
    {
        *s = code.trim().to_owned();
    }
    n
}

/// Applies `level` and secret redaction to `event` in place.
///
/// Returns what to persist and how many secrets were redacted.
pub fn scrub(event: &mut Event, level: PrivacyLevel) -> (Persist, usize) {
    if level == PrivacyLevel::Off {
        return (Persist::Nothing, 0);
    }
    let l = level;
    let secrets = match event {
        Event::SessionStarted(e) => opt_secret_free(&mut e.workspace),
        Event::PromptSubmitted(e) => {
            let mut n = user_text(&mut e.text, l) + opt_secret_free(&mut e.context.active_file);
            if let Some(sel) = &mut e.context.selection {
                n += user_text(&mut sel.text, l);
            }
            n
        }
        Event::RefinementProposed(e) => {
            let mut n = user_text(&mut e.original, l) + user_text(&mut e.refined, l);
            for c in &mut e.changes {
                n += secret_free(&mut c.description);
            }
            for c in e.quality.before.criteria.iter_mut().chain(e.quality.after.criteria.iter_mut()) {
                n += secret_free(&mut c.note);
            }
            for o in [&mut e.cache_outlook.original, &mut e.cache_outlook.refined] {
                if let OutlookVerdict::GuardRejected { reason: r } = &mut o.verdict {
                    n += reason(r, l);
                }
            }
            n
        }
        Event::ApprovalDecided(e) => match &mut e.decision {
            Decision::Modified { text } => user_text(text, l),
            Decision::Accepted | Decision::Rejected | Decision::TimedOut => 0,
        },
        Event::CacheChecked(e) => match &mut e.outcome {
            CacheOutcome::SemanticHit { matched_prompt, .. } => opt_user_text(matched_prompt, l),
            CacheOutcome::SemanticOffered { matched_prompt, verdict, preview, .. } => {
                let refused = verdict.reason.as_mut().map_or(0, |r| reason(r, l));
                opt_user_text(matched_prompt, l) + user_text(preview, l) + refused
            }
            CacheOutcome::Miss { reason: MissReason::GuardRejected { reason: r, .. } } => reason(r, l),
            CacheOutcome::Miss { reason: MissReason::Unavailable { message } } => secret_free(message),
            CacheOutcome::ExactHit { .. }
            | CacheOutcome::Miss {
                reason:
                    MissReason::Empty
                    | MissReason::BelowThreshold { .. }
                    | MissReason::Disabled
                    | MissReason::Bypassed
                    | MissReason::ExactOnly
                    | MissReason::NoWords,
            } => 0,
        },
        Event::UpstreamCompleted(e) => opt_secret_free(&mut e.stop_reason),
        Event::UpstreamFailed(e) => secret_free(&mut e.message),
        Event::ResponseDelivered(e) => user_text(&mut e.text, l),
        Event::SuggestionsOffered(e) => e.suggestions.iter_mut().map(|s| user_text(&mut s.text, l)).sum(),
        Event::SuggestionActed(e) => match &mut e.action {
            SuggestionAction::Edited { text } => user_text(text, l),
            SuggestionAction::Sent | SuggestionAction::Dismissed => 0,
        },
        Event::FeedbackGiven(e) => opt_user_text(&mut e.note, l),
        Event::OfferDecided(_) => 0,
        Event::SessionEnded(_) => 0,
        // Roles and block types come from the client: never trusted to be free of secrets.
        Event::RefinementSkipped(e) => match &mut e.reason {
            SkipReason::NoMessages | SkipReason::TooLarge { .. } => 0,
            SkipReason::LastTurnNotUser { role } => secret_free(role),
            SkipReason::NotPlainText { blocks } => blocks.iter_mut().map(secret_free).sum(),
        },
    };
    (Persist::Event, secrets)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-ant-api03-PLANTEDplantedPLANTED0123456789abcdef";

    fn prompt(text: &str) -> Event {
        Event::PromptSubmitted(PromptSubmitted {
            text: text.into(),
            model: "claude-sonnet-4-5".into(),
            context: PromptContext {
                active_file: Some("src/main.rs".into()),
                language: Some("rust".into()),
                selection: Some(Selection {
                    text: format!("let k = \"{KEY}\";").into(),
                    start_line: Some(3),
                    end_line: Some(3),
                }),
            },
            origin: PromptOrigin::Typed,
        })
    }

    #[test]
    fn given_full_level_when_a_prompt_holds_a_key_then_only_the_key_goes() {
        let mut e = prompt(&format!("why is {KEY} rejected?"));
        let (persist, n) = scrub(&mut e, PrivacyLevel::Full);
        assert_eq!((persist, n), (Persist::Event, 2));
        let Event::PromptSubmitted(p) = &e else { panic!() };
        assert_eq!(p.text.as_str(), Some("why is [REDACTED:anthropic_key] rejected?"));
        let json = format!("{e:?}");
        assert!(!json.contains("PLANTED"), "{json}");
    }

    #[test]
    fn given_metadata_level_then_texts_become_digests_of_the_redacted_text() {
        let mut e = prompt("How do I reverse a list?");
        scrub(&mut e, PrivacyLevel::Metadata);
        let Event::PromptSubmitted(p) = &e else { panic!() };
        let Text::Withheld { sha256, chars } = &p.text else { panic!("text kept: {:?}", p.text) };
        assert_eq!(*chars, 24);
        assert_eq!(sha256, &format!("{:x}", Sha256::digest(b"How do I reverse a list?")));
        assert!(!format!("{e:?}").contains("PLANTED"));
        // Paths are not user text: they stay.
        assert_eq!(p.context.active_file.as_deref(), Some("src/main.rs"));
    }

    #[test]
    fn given_metadata_level_then_guard_reasons_keep_only_their_code() {
        let mut e = Event::CacheChecked(CacheChecked {
            outcome: CacheOutcome::Miss {
                reason: MissReason::GuardRejected { best: 0.93, reason: "number_mismatch: 401 vs 403".into() },
            },
            namespace: "default".into(),
            latency_us: 10,
        });
        let mut full = e.clone();
        scrub(&mut full, PrivacyLevel::Full);
        assert_eq!(full, e, "nothing to redact at full level");
        scrub(&mut e, PrivacyLevel::Metadata);
        let Event::CacheChecked(CacheChecked {
            outcome: CacheOutcome::Miss { reason: MissReason::GuardRejected { reason, .. } },
            ..
        }) = &e
        else {
            panic!()
        };
        assert_eq!(reason, "number_mismatch");
    }

    #[test]
    fn given_off_level_then_nothing_is_persisted() {
        let mut e = prompt("anything");
        let before = e.clone();
        assert_eq!(scrub(&mut e, PrivacyLevel::Off), (Persist::Nothing, 0));
        assert_eq!(e, before);
    }

    #[test]
    fn errors_and_suggestions_are_scrubbed_too() {
        let mut e = Event::UpstreamFailed(UpstreamFailed {
            provider: "anthropic".into(),
            kind: "authentication".into(),
            status: Some(401),
            message: format!("invalid x-api-key {KEY}"),
            retryable: false,
            attempts: 1,
        });
        assert_eq!(scrub(&mut e, PrivacyLevel::Metadata).1, 1);
        assert!(!format!("{e:?}").contains("PLANTED"));

        let mut s = Event::SuggestionsOffered(SuggestionsOffered {
            suggestions: vec![Suggestion { text: format!("Rotate {KEY}").into() }],
            origin: Some(SuggestionOrigin::Heuristic),
            context: Some(SuggestionContext::LastAssistant),
        });
        assert_eq!(scrub(&mut s, PrivacyLevel::Full).1, 1);
        assert!(!format!("{s:?}").contains("PLANTED"));
    }
}

//! A request's chain as lines: the prompt, the decision, the answer with its
//! source, and the suggestions with their metadata line.

use super::wrap;
use crate::state::Editing;
use crate::theme::Theme;
use lantern_events::schema::*;
use lantern_frontend::format;
use lantern_replay::chain::RequestChain;
use ratatui::text::Line;

/// What the chain's view can act on.
pub struct Ctx<'a> {
    /// Styles.
    pub theme: &'a Theme,
    /// Columns available.
    pub width: usize,
    /// The selected suggestion, when the chain is the live one.
    pub selected: Option<usize>,
    /// The inline editor, when it edits one of this chain's suggestions.
    pub editing: Option<&'a Editing>,
    /// Whether the chain is a proxied request (a proxy client's prompt, not the user's).
    pub proxied: bool,
    /// Suggestions this frontend acted on whose event has not arrived yet.
    pub acted: &'a [(u64, u8)],
}

/// The chain's lines (the approval panel is drawn apart, while deciding).
pub fn lines(chain: &RequestChain, ctx: &Ctx<'_>) -> Vec<Line<'static>> {
    let (t, w) = (ctx.theme, ctx.width);
    let mut out = Vec::new();
    if let Some(s) = &chain.submitted {
        let who = match s.event.origin {
            _ if ctx.proxied => "Proxy client: ",
            PromptOrigin::Suggestion { .. } => "You (a suggestion): ",
            PromptOrigin::Proxy | PromptOrigin::Typed => "You: ",
        };
        out.extend(wrap::spans(
            &[(who.to_owned(), t.strong()), (s.event.text.display(), ratatui::style::Style::new())],
            w,
        ));
        if let Some(file) = &s.event.context.active_file {
            let range = s
                .event
                .context
                .selection
                .as_ref()
                .and_then(|s| Some(format!(", lines {}-{}", s.start_line?, s.end_line?)));
            out.extend(wrap::lines(&format!("attached {file}{}", range.unwrap_or_default()), t.weak(), w));
        }
    }
    if let Some(d) = &chain.decision {
        out.extend(wrap::lines(&format::decision(&d.event), t.weak(), w));
        if let Decision::Modified { text } = &d.event.decision {
            out.extend(wrap::lines(&format!("Sent: {}", text.display()), t.weak(), w));
        }
    } else if chain.skipped.is_some() {
        out.extend(wrap::lines("Sent as written: the Refiner had nothing to change.", t.weak(), w));
    }
    let offered = chain.pending_offer();
    if let Some(c) = offered {
        out.push(Line::default());
        out.push(Line::styled("Cached answer offered", t.strong()));
        for line in format::offer(c).unwrap_or_default() {
            out.extend(wrap::lines(&line, ratatui::style::Style::new(), w));
        }
        out.extend(wrap::lines("u uses the cached answer · m asks the model", t.selected(), w));
    } else if let Some(d) = &chain.offer {
        out.extend(wrap::lines(&format::offer_decided(&d.event), t.weak(), w));
    }
    if chain.proposal.is_none() && chain.skipped.is_none() && !chain.is_complete() {
        out.push(Line::styled("Refining the prompt…", t.weak()));
    } else if (chain.decision.is_some() || chain.skipped.is_some()) && !chain.is_complete() && offered.is_none() {
        out.push(Line::styled("Waiting for the answer…", t.weak()));
    }
    answer(chain, t, w, &mut out);
    suggestions(chain, ctx, &mut out);
    out
}

fn answer(chain: &RequestChain, t: &Theme, w: usize, out: &mut Vec<Line<'static>>) {
    if let Some(f) = &chain.failure {
        let f = &f.event;
        let status = f.status.map(|s| format!(" ({s})")).unwrap_or_default();
        let retry = if f.retryable { " Try again later." } else { "" };
        out.extend(wrap::lines(&format!("No answer: {}{status}: {}.{retry}", f.kind, f.message), t.error(), w));
        return;
    }
    let Some(r) = &chain.response else { return };
    out.push(Line::default());
    let source = format::source(chain).unwrap_or_default();
    out.extend(wrap::spans(&[("Answer".to_owned(), t.strong()), (format!("  [{source}]"), t.weak())], w));
    if let Some(note) = chain.cache.as_ref().and_then(|c| format::miss_note(&c.event)) {
        out.extend(wrap::lines(&note, t.weak(), w));
    }
    out.extend(wrap::lines(&r.event.text.display(), ratatui::style::Style::new(), w));
    if r.event.source != ResponseSource::Cache {
        return;
    }
    match chain.feedback.iter().find(|f| f.event.verdict == FeedbackVerdict::WrongAnswer) {
        Some(f) if f.event.invalidated => out.extend(wrap::lines(
            "Flagged as wrong: the cache entry was invalidated and will not be served again.",
            t.warn(),
            w,
        )),
        Some(_) => out.extend(wrap::lines("Flagged as wrong (the cache entry was already gone).", t.warn(), w)),
        None => out.extend(wrap::lines("From the cache: Ctrl+X flags it as wrong.", t.weak(), w)),
    }
}

fn suggestions(chain: &RequestChain, ctx: &Ctx<'_>, out: &mut Vec<Line<'static>>) {
    let (t, w) = (ctx.theme, ctx.width);
    let Some(offered) = &chain.suggestions else { return };
    let s = &offered.event;
    if s.suggestions.is_empty() {
        return;
    }
    out.push(Line::default());
    out.extend(wrap::spans(&[("Next prompts  ".to_owned(), t.strong()), (s.metadata_line(), t.weak())], w));
    let mut open = 0;
    for (i, suggestion) in s.suggestions.iter().enumerate() {
        let index = u8::try_from(i).unwrap_or(u8::MAX);
        let text = suggestion.text.display();
        if let Some(action) = chain.acted.iter().rev().find(|a| a.event.index == index).map(|a| &a.event.action) {
            let what = match action {
                SuggestionAction::Sent => "sent".to_owned(),
                SuggestionAction::Edited { text } => {
                    format!("edited and sent as “{}”", format::excerpt(&text.display(), 60))
                }
                SuggestionAction::Dismissed => "dismissed".to_owned(),
            };
            out.extend(wrap::lines(&format!("  {}. {text}: {what}", i + 1), t.weak(), w));
            continue;
        }
        if ctx.acted.contains(&(offered.seq, index)) {
            out.extend(wrap::lines(&format!("  {}. {text}: sending…", i + 1), t.weak(), w));
            continue;
        }
        let editing = ctx.editing.and_then(|e| match e {
            Editing::Suggestion { offered_seq, index: ix, text } if *offered_seq == offered.seq && *ix == index => {
                Some(text)
            }
            _ => None,
        });
        let selected = ctx.selected == Some(open);
        open += 1;
        match editing {
            Some(text) => {
                out.extend(wrap::lines(
                    &format!("  {}. Edit the suggestion (Enter sends, Esc cancels):", i + 1),
                    t.strong(),
                    w,
                ));
                out.extend(wrap::lines(&format!("     {text}▏"), t.selected(), w));
            }
            None if selected => out.extend(wrap::lines(&format!("› {}. {text}", i + 1), t.selected(), w)),
            None => out.extend(wrap::lines(&format!("  {}. {text}", i + 1), ratatui::style::Style::new(), w)),
        }
    }
}

/// One line naming a chain, for lists.
pub fn summary(chain: &RequestChain) -> String {
    let at = chain.started_at().map(format::clock).unwrap_or_default();
    let prompt = chain.prompt().map_or_else(|| "<withheld>".to_owned(), |p| format::excerpt(p, 70));
    format!("{at} · {prompt} · {}", format::source_short(chain))
}

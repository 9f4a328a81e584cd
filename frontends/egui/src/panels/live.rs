//! The live session: the composer, then each request's chain — the
//! approval panel while deciding, the answer and the suggestions after.

use super::{approval, composer, offer, response, suggestions};
use crate::command::Command;
use crate::diff::DiffWorker;
use crate::format;
use crate::live::Live;
use crate::state::UiState;
use lantern_events::schema::PromptOrigin;
use lantern_replay::chain::RequestChain;

/// Shows the live view.
pub fn show(ui: &mut egui::Ui, state: &mut UiState, live: &Live, diffs: &mut DiffWorker, out: &mut Vec<Command>) {
    let busy = live.awaiting().is_some();
    egui::Panel::bottom("composer").show(ui, |ui| {
        ui.add_space(4.0);
        composer::show(ui, &mut state.composer, busy, out);
        ui.add_space(4.0);
    });
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical().id_salt("live").auto_shrink([false, false]).show(ui, |ui| {
            let n = live.chains.len();
            if n == 0 && live.pending.is_empty() {
                ui.label(
                    egui::RichText::new(
                        "Write a prompt below. Lantern proposes a refinement; you accept, edit or keep the original.",
                    )
                    .weak(),
                );
            }
            for (i, chain) in live.chains.iter().enumerate() {
                if i + 1 < n {
                    egui::CollapsingHeader::new(summary(chain)).id_salt(chain.request).show(ui, |ui| {
                        chain_view(ui, chain, state, diffs, Interactive::No, out);
                    });
                } else {
                    ui.separator();
                    chain_view(ui, chain, state, diffs, Interactive::Yes, out);
                }
            }
            if !live.pending.is_empty() {
                waiting(ui, "Refining the prompt…");
            }
        });
    });
}

/// Whether a chain's view takes decisions and actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interactive {
    /// The live session's current request.
    Yes,
    /// History and earlier requests: read-only (a wrong cached answer can still be flagged).
    No,
}

/// One line naming a chain.
pub fn summary(chain: &RequestChain) -> String {
    let at = chain.started_at().map(format::clock).unwrap_or_default();
    let prompt = chain.prompt().map_or_else(|| "<withheld>".to_owned(), |p| format::excerpt(p, 70));
    format!("{at} · {prompt} · {}", format::source_short(chain))
}

/// The whole chain: prompt, approval, answer, suggestions.
pub fn chain_view(
    ui: &mut egui::Ui,
    chain: &RequestChain,
    state: &mut UiState,
    diffs: &mut DiffWorker,
    interactive: Interactive,
    out: &mut Vec<Command>,
) {
    if let Some(s) = &chain.submitted {
        ui.horizontal_wrapped(|ui| {
            let who = match s.event.origin {
                PromptOrigin::Proxy => "Proxy client",
                PromptOrigin::Typed | PromptOrigin::Suggestion { .. } => "You",
            };
            ui.strong(who);
            ui.label(s.event.text.display());
        });
        if let Some(file) = &s.event.context.active_file {
            let lines = s
                .event
                .context
                .selection
                .as_ref()
                .and_then(|s| Some(format!(", lines {}-{}", s.start_line?, s.end_line?)));
            ui.label(egui::RichText::new(format!("attached {file}{}", lines.unwrap_or_default())).weak().small());
        }
    }
    if let Some(p) = &chain.proposal {
        let diff = match (p.event.original.as_str(), p.event.refined.as_str()) {
            (Some(o), Some(r)) => diffs.get(o, r),
            _ => None,
        };
        let deciding = interactive == Interactive::Yes && chain.decision.is_none() && !chain.is_complete();
        if deciding {
            let edit = state.edit.as_mut().filter(|e| e.request == chain.request).map(|e| &mut e.text);
            egui::Frame::group(ui.style()).show(ui, |ui| {
                approval::show(ui, chain, diff.as_deref(), &state.model, approval::Mode::Deciding { edit }, out);
            });
        } else {
            if let Some(d) = &chain.decision {
                ui.label(egui::RichText::new(format::decision(&d.event)).weak());
            }
            egui::CollapsingHeader::new("Refinement").id_salt(("refinement", chain.request)).show(ui, |ui| {
                approval::show(ui, chain, diff.as_deref(), &state.model, approval::Mode::ReadOnly, out);
            });
        }
    } else if !chain.is_complete() {
        waiting(ui, "Refining the prompt…");
    }
    let offered = chain.pending_offer();
    if let Some(c) = offered {
        egui::Frame::group(ui.style()).show(ui, |ui| offer::show(ui, chain.request, c, interactive, out));
    } else if let Some(d) = &chain.offer {
        ui.label(egui::RichText::new(format::offer_decided(&d.event)).weak());
    }
    if chain.decision.is_some() && !chain.is_complete() && offered.is_none() {
        waiting(ui, "Waiting for the answer…");
    }
    response::show(ui, chain, out);
    let edit = if interactive == Interactive::Yes { state.suggestion_edit.as_mut() } else { None };
    suggestions::show(ui, chain, edit, interactive == Interactive::Yes, out);
}

fn waiting(ui: &mut egui::Ui, what: &str) {
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(what);
    });
}

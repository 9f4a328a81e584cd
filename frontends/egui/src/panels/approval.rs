//! The approval panel: metric chips, the side-by-side diff, the change list
//! and cache anchors, and the decision (buttons live; what was decided in history).

use super::diff_view;
use crate::command::Command;
use crate::diff::SideBySide;
use crate::{format, pricing};
use lantern_events::schema::*;
use lantern_replay::chain::RequestChain;

/// How the panel behaves.
pub enum Mode<'a> {
    /// Waiting for the user; `edit` holds the inline editor's text when editing.
    Deciding {
        /// The refined prompt being edited, if the user chose Edit.
        edit: Option<&'a mut String>,
    },
    /// Read-only: shows what was decided.
    ReadOnly,
}

/// Shows the panel for `chain` (which must carry a proposal).
pub fn show(
    ui: &mut egui::Ui,
    chain: &RequestChain,
    diff: Option<&SideBySide>,
    model: &str,
    mode: Mode<'_>,
    out: &mut Vec<Command>,
) {
    let Some(p) = chain.proposal.as_ref().map(|p| &p.event) else { return };
    header(ui, p, model);
    ui.add_space(4.0);
    // The decision comes first, so that it never scrolls out of sight.
    let editing = matches!(mode, Mode::Deciding { edit: Some(_) });
    match &chain.decision {
        Some(d) => {
            ui.label(egui::RichText::new(format::decision(&d.event)).strong());
            if let Decision::Modified { text } = &d.event.decision {
                ui.label(egui::RichText::new(format!("Sent: {}", text.display())).weak());
            }
        }
        None if chain.is_complete() || editing => {}
        None => buttons(ui, chain, p, out),
    }
    match mode {
        Mode::Deciding { edit: Some(text) } => {
            let label = ui.label("Refined prompt (editing)");
            ui.add(egui::TextEdit::multiline(text).desired_rows(8).desired_width(f32::INFINITY).code_editor())
                .labelled_by(label.id);
            ui.horizontal(|ui| {
                if ui.button("Send edited").on_hover_text("Ctrl+Enter").clicked() {
                    let decision = edited(p.refined.as_str(), text);
                    out.push(Command::Decide { request: chain.request, decision });
                }
                if ui.button("Cancel edit").on_hover_text("Esc").clicked() {
                    out.push(Command::CancelEdit);
                }
            });
        }
        _ => match (p.original.as_str(), p.refined.as_str(), diff) {
            (Some(_), Some(_), Some(diff)) => diff_view::show(ui, diff),
            (Some(_), Some(_), None) => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Computing the diff…");
                });
            }
            _ => {
                ui.label(
                    egui::RichText::new("The texts were withheld by the privacy level; only their sizes are known.")
                        .italics(),
                );
            }
        },
    }
    ui.add_space(4.0);
    changes(ui, p);
}

fn chip(ui: &mut egui::Ui, text: String) -> egui::Response {
    // A label of known size, so that the wrapping row moves it whole to the next line.
    let rich = egui::RichText::new(format!(" {text} ")).background_color(ui.visuals().widgets.inactive.weak_bg_fill);
    ui.add(egui::Label::new(rich).extend())
}

fn header(ui: &mut egui::Ui, p: &RefinementProposed, model: &str) {
    ui.horizontal_wrapped(|ui| {
        let (before, after) = (&p.quality.before, &p.quality.after);
        chip(ui, format!("Quality {} -> {} / {}", before.total, after.total, after.max_total))
            .on_hover_ui(|ui| rubric(ui, &p.quality));
        chip(
            ui,
            format!(
                "Cache: original {} · refined {}",
                format::outlook(&p.cache_outlook.original),
                format::outlook(&p.cache_outlook.refined)
            ),
        );
        chip(ui, format!("Tokens {} -> {}", p.tokens_before, p.tokens_after));
        chip(
            ui,
            format!(
                "Est. cost ${:.6} -> ${:.6}",
                pricing::input_cost(model, p.tokens_before),
                pricing::input_cost(model, p.tokens_after)
            ),
        )
        .on_hover_text(format!(
            "Input tokens only, at ${} per million for {model} (Widget-Log's default prices); the answer costs extra.",
            pricing::input_per_million(model)
        ));
        let by = match p.origin {
            RefinementOrigin::Rules => "rules",
            RefinementOrigin::Llm => "LLM",
        };
        ui.label(egui::RichText::new(format!("refined by {by} · refiner {}", p.refiner.version)).weak().small());
    });
}

fn rubric(ui: &mut egui::Ui, q: &QualityEstimate) {
    ui.strong("Quality rubric (an estimate, not a measurement)");
    egui::Grid::new("rubric").num_columns(4).striped(true).show(ui, |ui| {
        ui.label("Criterion");
        ui.label("Original");
        ui.label("Refined");
        ui.label("Why (refined)");
        ui.end_row();
        for c in &q.after.criteria {
            let before = q.before.criteria.iter().find(|b| b.name == c.name).map_or(0, |b| b.points);
            ui.label(&c.name);
            ui.label(format!("{before}/{}", c.max_points));
            ui.label(format!("{}/{}", c.points, c.max_points));
            ui.label(&c.note);
            ui.end_row();
        }
    });
}

fn changes(ui: &mut egui::Ui, p: &RefinementProposed) {
    if p.changes.is_empty() {
        ui.label(egui::RichText::new("No changes proposed: the prompt goes out as written.").weak());
    } else {
        egui::CollapsingHeader::new(format!("Changes ({})", p.changes.len())).default_open(true).show(ui, |ui| {
            egui::Grid::new("changes").num_columns(3).striped(true).show(ui, |ui| {
                for c in &p.changes {
                    ui.label(format::change_kind(c.kind));
                    ui.label(&c.description);
                    ui.label(format!("{:+} tokens", c.tokens_added));
                    ui.end_row();
                }
            });
        });
    }
    if !p.anchors.is_empty() {
        egui::CollapsingHeader::new(format!("Cache anchors ({})", p.anchors.len())).default_open(true).show(ui, |ui| {
            for a in &p.anchors {
                ui.label(format::anchor(a));
            }
        });
    }
}

pub use crate::command::edited;

fn buttons(ui: &mut egui::Ui, chain: &RequestChain, p: &RefinementProposed, out: &mut Vec<Command>) {
    let request = chain.request;
    ui.horizontal(|ui| {
        let accept = egui::Button::new(egui::RichText::new("Accept & Send").strong());
        if ui.add(accept).on_hover_text("Ctrl+Enter").clicked() {
            out.push(Command::Decide { request, decision: Decision::Accepted });
        }
        if ui.add_enabled(p.refined.as_str().is_some(), egui::Button::new("Edit")).on_hover_text("E").clicked() {
            let text = p.refined.as_str().unwrap_or_default().to_owned();
            out.push(Command::BeginEdit { request, text });
        }
        if ui.button("Use Original").on_hover_text("Esc").clicked() {
            out.push(Command::Decide { request, decision: Decision::Rejected });
        }
    });
}

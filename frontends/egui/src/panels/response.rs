//! The answer, with where it came from; cached answers can be flagged wrong.

use crate::command::Command;
use crate::format;
use lantern_events::schema::*;
use lantern_replay::chain::RequestChain;

/// Shows the answer (or the failure) of `chain`, if there is one.
pub fn show(ui: &mut egui::Ui, chain: &RequestChain, out: &mut Vec<Command>) {
    if let Some(f) = &chain.failure {
        let f = &f.event;
        let status = f.status.map(|s| format!(" ({s})")).unwrap_or_default();
        let retry = if f.retryable { " Try again later." } else { "" };
        ui.colored_label(ui.visuals().error_fg_color, format!("No answer: {}{status}: {}.{retry}", f.kind, f.message));
        return;
    }
    let Some(r) = &chain.response else { return };
    ui.horizontal_wrapped(|ui| {
        ui.heading("Answer");
        if let Some(source) = format::source(chain) {
            ui.label(egui::RichText::new(source).weak());
        }
    });
    if let Some(note) = chain.cache.as_ref().and_then(|c| format::miss_note(&c.event)) {
        ui.label(egui::RichText::new(note).weak().italics());
    }
    egui::Frame::group(ui.style()).show(ui, |ui| {
        egui::ScrollArea::vertical().id_salt(("answer", r.seq)).max_height(320.0).show(ui, |ui| {
            ui.add(egui::Label::new(r.event.text.display()).selectable(true).wrap());
        });
    });
    if r.event.source != ResponseSource::Cache {
        return;
    }
    if let Some(f) = chain.feedback.iter().find(|f| f.event.verdict == FeedbackVerdict::WrongAnswer) {
        let what = if f.event.invalidated {
            "Flagged as wrong: the cache entry was invalidated and will not be served again."
        } else {
            "Flagged as wrong (the cache entry was already gone)."
        };
        ui.colored_label(ui.visuals().warn_fg_color, what);
    } else {
        let entry = chain.served_entry().cloned();
        let button = ui
            .button("Wrong answer")
            .on_hover_text("This cached answer does not fit the question: remove it from the cache");
        if button.clicked() {
            out.push(Command::FlagWrong { session: chain.session, response_seq: r.seq, entry });
        }
    }
}

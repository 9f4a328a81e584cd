//! A cached answer to a similar prompt, offered before anything is sent:
//! the user takes it or asks the model (semantic mode `offer`).

use super::live::Interactive;
use crate::command::Command;
use crate::format;
use lantern_events::RequestId;
use lantern_events::schema::CacheChecked;

/// Shows the offer of `checked` (its outcome `SemanticOffered`), with its
/// two choices when `interactive`.
pub fn show(
    ui: &mut egui::Ui,
    request: RequestId,
    checked: &CacheChecked,
    interactive: Interactive,
    out: &mut Vec<Command>,
) {
    let Some(lines) = format::offer(checked) else { return };
    ui.heading("Cached answer offered");
    for line in &lines {
        ui.add(egui::Label::new(line.as_str()).wrap());
    }
    if interactive == Interactive::No {
        ui.label(egui::RichText::new("Waiting for a choice…").weak());
        return;
    }
    ui.horizontal(|ui| {
        let take = ui.button("Use cached answer").on_hover_text("Answer from the cache; nothing is sent");
        if take.clicked() {
            out.push(Command::DecideOffer { request, use_cached: true });
        }
        let ask = ui.button("Ask the model").on_hover_text("Send the request upstream");
        if ask.clicked() {
            out.push(Command::DecideOffer { request, use_cached: false });
        }
    });
}

//! Next-prompt suggestions with their metadata line: send, edit or dismiss.

use crate::command::Command;
use crate::format;
use crate::state::SuggestionEdit;
use lantern_events::schema::*;
use lantern_replay::chain::RequestChain;

/// Shows the suggestions of `chain`; `interactive` is false in history.
pub fn show(
    ui: &mut egui::Ui,
    chain: &RequestChain,
    mut edit: Option<&mut SuggestionEdit>,
    interactive: bool,
    out: &mut Vec<Command>,
) {
    let Some(offered) = &chain.suggestions else { return };
    let (seq, s) = (offered.seq, &offered.event);
    if s.suggestions.is_empty() {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        ui.strong("Next prompts");
        ui.label(egui::RichText::new(s.metadata_line()).weak());
    });
    for (i, suggestion) in s.suggestions.iter().enumerate() {
        let index = u8::try_from(i).unwrap_or(u8::MAX);
        let acted = chain.acted.iter().rev().find(|a| a.event.index == index).map(|a| &a.event.action);
        let text = suggestion.text.display();
        ui.push_id(("suggestion", seq, index), |ui| {
            if let Some(action) = acted {
                let what = match action {
                    SuggestionAction::Sent => "sent".to_owned(),
                    SuggestionAction::Edited { text } => {
                        format!("edited and sent as “{}”", format::excerpt(&text.display(), 60))
                    }
                    SuggestionAction::Dismissed => "dismissed".to_owned(),
                };
                ui.label(egui::RichText::new(format!("{}. {text}: {what}", i + 1)).weak());
                return;
            }
            match edit.as_deref_mut().filter(|e| e.offered_seq == seq && e.index == index) {
                Some(e) => {
                    let label = ui.label(format!("{}. Edit the suggestion", i + 1));
                    ui.add(egui::TextEdit::multiline(&mut e.text).desired_rows(2).desired_width(f32::INFINITY))
                        .labelled_by(label.id);
                    ui.horizontal(|ui| {
                        if ui.button("Send edited suggestion").on_hover_text("Ctrl+Enter").clicked() {
                            let action = SuggestionAction::Edited { text: e.text.clone().into() };
                            out.push(Command::Suggestion { offered_seq: seq, index, action });
                        }
                        if ui.button("Cancel").on_hover_text("Esc").clicked() {
                            out.push(Command::CancelSuggestionEdit);
                        }
                    });
                }
                None => {
                    ui.horizontal_wrapped(|ui| {
                        ui.label(format!("{}. {text}", i + 1));
                        if !interactive {
                            return;
                        }
                        if ui.small_button("Send").clicked() {
                            out.push(Command::Suggestion { offered_seq: seq, index, action: SuggestionAction::Sent });
                        }
                        if ui.small_button("Edit").clicked() {
                            out.push(Command::BeginSuggestionEdit { offered_seq: seq, index, text: text.clone() });
                        }
                        if ui.small_button("Dismiss").clicked() {
                            let action = SuggestionAction::Dismissed;
                            out.push(Command::Suggestion { offered_seq: seq, index, action });
                        }
                    });
                }
            }
        });
    }
}

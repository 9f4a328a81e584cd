//! The top bar: the views and the help button.

use crate::command::{Command, View};
use crate::state::UiState;

/// Shows the bar.
pub fn show(ui: &mut egui::Ui, state: &UiState, feed_error: Option<&str>, out: &mut Vec<Command>) {
    egui::Panel::top("top_bar").show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.strong("Lantern");
            ui.separator();
            for (view, label) in [(View::Live, "Live"), (View::Sessions, "Sessions"), (View::Stats, "Stats")] {
                if ui.selectable_label(state.view == view, label).clicked() {
                    out.push(Command::Show(view));
                }
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button("Help (F1)").clicked() {
                    out.push(Command::ToggleHelp);
                }
                ui.label(egui::RichText::new(&state.model).weak());
                if let Some(e) = feed_error {
                    ui.colored_label(ui.visuals().error_fg_color, format!("log unreadable: {e}"));
                }
            });
        });
    });
}

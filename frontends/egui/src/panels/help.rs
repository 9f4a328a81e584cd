//! The help overlay: the keyboard shortcuts.

use super::shortcuts::LIST;
use crate::command::Command;

/// Shows the overlay (a modal; clicking outside or Esc closes it).
pub fn show(ctx: &egui::Context, out: &mut Vec<Command>) {
    let modal = egui::Modal::new(egui::Id::unique("lantern-help")).show(ctx, |ui| {
        ui.heading("Keyboard shortcuts");
        ui.add_space(6.0);
        egui::Grid::new("shortcuts").num_columns(2).striped(true).spacing([16.0, 4.0]).show(ui, |ui| {
            for (key, what) in LIST {
                ui.monospace(key);
                ui.label(what);
                ui.end_row();
            }
        });
        ui.add_space(6.0);
        if ui.button("Close help").clicked() {
            out.push(Command::ToggleHelp);
        }
    });
    if modal.should_close() && !out.contains(&Command::ToggleHelp) {
        out.push(Command::ToggleHelp);
    }
}

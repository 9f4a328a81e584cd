//! The composer: a prompt, and optionally a file and a line range of it.

use crate::command::Command;
use crate::state::Composer;

/// Shows the composer.
pub fn show(ui: &mut egui::Ui, composer: &mut Composer, busy: bool, out: &mut Vec<Command>) {
    let label = ui.label("Prompt");
    ui.add(
        egui::TextEdit::multiline(&mut composer.prompt)
            .hint_text("Ask something… (Ctrl+Enter to send)")
            .desired_rows(3)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id);
    ui.horizontal(|ui| {
        let file = ui.label("Attach file");
        ui.add(egui::TextEdit::singleline(&mut composer.file).hint_text("path/to/file.rs").desired_width(260.0))
            .labelled_by(file.id);
        let lines = ui.label("Lines");
        ui.add(egui::TextEdit::singleline(&mut composer.lines).hint_text("A-B").desired_width(70.0))
            .labelled_by(lines.id);
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let send = ui.add_enabled(!busy, egui::Button::new("Send prompt"));
            if send.clicked() {
                out.push(Command::Submit);
            }
            if busy {
                send.on_disabled_hover_text("Decide on the refinement first");
            }
        });
    });
    if let Some(e) = &composer.error {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
}

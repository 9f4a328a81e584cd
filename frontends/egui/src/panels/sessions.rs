//! The session browser: sessions from the log, a session's timeline of
//! requests, and one request shown read-only with what was decided.

use super::live::{Interactive, chain_view, summary};
use crate::command::Command;
use crate::diff::DiffWorker;
use crate::format;
use crate::history::History;
use crate::state::UiState;
use crate::stats::Stats;
use lantern_events::schema::FrontendKind;

/// Shows the browser.
pub fn show(
    ui: &mut egui::Ui,
    state: &mut UiState,
    history: &History,
    stats: &Stats,
    diffs: &mut DiffWorker,
    out: &mut Vec<Command>,
) {
    egui::Panel::left("session_list").resizable(true).default_size(460.0).show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.heading("Sessions");
            if ui.small_button("Refresh").clicked() {
                out.push(Command::RefreshSessions);
            }
        });
        if let Some(e) = &history.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        egui::ScrollArea::vertical().id_salt("sessions").max_height(ui.available_height() * 0.5).show(ui, |ui| {
            egui::Grid::new("session_grid").num_columns(5).striped(true).show(ui, |ui| {
                for h in ["Started (UTC)", "Prompts", "Hit rate", "Tokens saved", "From"] {
                    ui.strong(h);
                }
                ui.end_row();
                for s in &history.sessions {
                    let open = history.opened.as_ref().is_some_and(|o| o.session == s.session);
                    if ui.selectable_label(open, format::minute(s.started_at)).clicked() {
                        out.push(Command::OpenSession(s.session));
                    }
                    ui.label(s.prompts.to_string());
                    ui.label(History::hit_rate(s).map_or_else(|| "–".to_owned(), |r| format!("{:.0}%", r * 100.0)));
                    ui.label(stats.saved_by_session.get(&s.session).copied().unwrap_or(0).to_string());
                    let from = match s.frontend {
                        Some(FrontendKind::Cli) => "CLI",
                        Some(FrontendKind::Desktop) => "window",
                        Some(FrontendKind::Proxy) => "proxy",
                        None => "?",
                    };
                    ui.label(if s.ended { from.to_owned() } else { format!("{from} (open)") });
                    ui.end_row();
                }
            });
            if history.sessions.is_empty() {
                ui.label(egui::RichText::new("The log has no sessions yet.").weak());
            }
        });
        ui.separator();
        let Some(opened) = &history.opened else {
            ui.label(egui::RichText::new("Select a session to see its requests.").weak());
            return;
        };
        ui.strong(format!("Timeline ({} requests)", opened.chains.len()));
        egui::ScrollArea::vertical().id_salt("timeline").show(ui, |ui| {
            for chain in opened.chains.iter() {
                let selected = history.request == Some(chain.request);
                if ui.selectable_label(selected, summary(chain)).clicked() {
                    out.push(Command::OpenRequest(chain.request));
                }
            }
            if opened.chains.is_empty() {
                ui.label(egui::RichText::new("No requests in this session.").weak());
            }
        });
    });
    egui::CentralPanel::default().show(ui, |ui| {
        let chain = history.opened.as_ref().zip(history.request).and_then(|(o, r)| o.chains.get(r));
        match chain {
            Some(chain) => {
                egui::ScrollArea::vertical().id_salt("request").auto_shrink([false, false]).show(ui, |ui| {
                    chain_view(ui, chain, state, diffs, Interactive::No, out);
                });
            }
            None => {
                ui.label(egui::RichText::new("Select a request to see its refinement, decision and answer.").weak());
            }
        }
    });
}

//! Keyboard shortcuts, read before the panels so that text fields never see
//! the keys they trigger.

use crate::command::{Command, View};
use crate::live::Live;
use crate::state::UiState;
use egui::{Key, Modifiers};
use lantern_events::schema::{Decision, SuggestionAction};

/// The shortcuts, as the help overlay lists them.
pub const LIST: [(&str, &str); 11] = [
    ("Ctrl+Enter", "Accept & Send the refined prompt (or send the edit, or send the composer's prompt)"),
    ("E", "Edit the refined prompt inline"),
    ("Esc", "Use Original (or leave the editor)"),
    ("Ctrl+1", "Live session"),
    ("Ctrl+2", "Session browser"),
    ("Ctrl+3", "Stats"),
    ("F1", "Show or hide this help"),
    ("Ctrl+Q", "Close the window"),
    ("Send", "Send a suggestion as it is"),
    ("Edit", "Edit a suggestion, then send it with Ctrl+Enter"),
    ("Dismiss", "Dismiss a suggestion"),
];

/// Turns this frame's shortcut keys into commands.
pub fn read(ctx: &egui::Context, state: &UiState, live: &Live, out: &mut Vec<Command>) {
    let typing = ctx.egui_wants_keyboard_input();
    let pressed = |m: Modifiers, k: Key| ctx.input_mut(|i| i.consume_key(m, k));
    if pressed(Modifiers::NONE, Key::F1) {
        out.push(Command::ToggleHelp);
    }
    if pressed(Modifiers::COMMAND, Key::Q) {
        out.push(Command::Quit);
    }
    for (key, view) in [(Key::Num1, View::Live), (Key::Num2, View::Sessions), (Key::Num3, View::Stats)] {
        if pressed(Modifiers::COMMAND, key) {
            out.push(Command::Show(view));
        }
    }
    if state.help {
        if pressed(Modifiers::NONE, Key::Escape) {
            out.push(Command::ToggleHelp);
        }
        return;
    }
    if state.view != View::Live {
        return;
    }
    if let Some(edit) = &state.edit {
        if pressed(Modifiers::COMMAND, Key::Enter) {
            let refined = live.chains.get(edit.request).and_then(|c| c.proposal.as_ref()?.event.refined.as_str());
            let decision = super::approval::edited(refined, &edit.text);
            out.push(Command::Decide { request: edit.request, decision });
        } else if pressed(Modifiers::NONE, Key::Escape) {
            out.push(Command::CancelEdit);
        }
        return;
    }
    if let Some(chain) = live.awaiting() {
        let request = chain.request;
        if pressed(Modifiers::COMMAND, Key::Enter) {
            out.push(Command::Decide { request, decision: Decision::Accepted });
        } else if pressed(Modifiers::NONE, Key::Escape) {
            out.push(Command::Decide { request, decision: Decision::Rejected });
        } else if !typing && pressed(Modifiers::NONE, Key::E) {
            let text = chain.proposal.as_ref().and_then(|p| p.event.refined.as_str()).unwrap_or_default();
            out.push(Command::BeginEdit { request, text: text.to_owned() });
        }
        return;
    }
    if let Some(edit) = &state.suggestion_edit {
        if pressed(Modifiers::COMMAND, Key::Enter) {
            let action = SuggestionAction::Edited { text: edit.text.clone().into() };
            out.push(Command::Suggestion { offered_seq: edit.offered_seq, index: edit.index, action });
        } else if pressed(Modifiers::NONE, Key::Escape) {
            out.push(Command::CancelSuggestionEdit);
        }
        return;
    }
    if pressed(Modifiers::COMMAND, Key::Enter) {
        out.push(Command::Submit);
    }
}

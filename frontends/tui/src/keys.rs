//! Keys to commands: typing changes the state here, everything the pipeline
//! or the log must do comes back as a [`Step`]. No terminal is involved, so
//! every binding is tested as a plain function.

use crate::state::{DiffLayout, Editing, Field, TuiState};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use lantern_events::schema::{Decision, ResponseSource, SuggestionAction};
use lantern_frontend::command::edited;
use lantern_frontend::live::Tracker;
use lantern_frontend::{Command, View};
use lantern_replay::chain::RequestChain;

/// What a key asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A command every frontend knows.
    Do(Command),
    /// Edit this text in `$VISUAL`/`$EDITOR`, then send it.
    OpenEditor(Editing),
}

/// The key map, as the help overlay and the guide list it.
pub const KEY_MAP: [(&str, &str); 24] = [
    ("Enter", "send the prompt · accept the refinement · send the selected suggestion"),
    ("e", "edit the refined prompt in $VISUAL / $EDITOR, then send it"),
    ("i", "edit the refined prompt inline (Enter sends, Alt+Enter or Ctrl+J: new line, Esc: cancel)"),
    ("o", "send the original prompt instead of the refinement"),
    ("d", "switch the diff between side by side and unified"),
    ("r", "show or hide the quality rubric"),
    ("↑ ↓", "select a suggestion (composer empty) · move in lists"),
    ("Tab", "edit the selected suggestion inline, then Enter sends it"),
    ("Esc", "dismiss the selected suggestion · close an editor · go back"),
    ("PgUp PgDn", "scroll the diff or the answer"),
    ("u", "use the cached answer offered for a similar prompt (composer empty)"),
    ("m", "refuse the offered cached answer: ask the model (composer empty)"),
    ("Ctrl+X", "flag the cached answer as wrong (its cache entry is invalidated)"),
    ("Ctrl+F", "move between the composer's fields: prompt, file, lines"),
    ("F2 / Alt+1", "live session"),
    ("F3 / Alt+2", "session browser (Enter opens, Esc goes back)"),
    ("F4 / Alt+3", "stats"),
    ("F5", "reload the session list"),
    ("F1 / ?", "show or hide this help (? with an empty composer)"),
    ("Ctrl+C / Ctrl+Q", "quit (the session ends; a server you attached to keeps running)"),
    ("q", "quit, from the session browser or the stats"),
    ("Backspace", "delete the last character typed"),
    ("Ctrl+U", "clear the field being typed in"),
    ("Home End", "scroll to the top or the end"),
];

/// Rows a page key scrolls.
const PAGE: usize = 10;

/// Reads one key; typing and selections change `state`, the rest is returned.
pub fn read(state: &mut TuiState, tracked: &Tracker, key: KeyEvent) -> Vec<Step> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    state.status = None;
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    let step = |c: Command| vec![Step::Do(c)];
    match key.code {
        KeyCode::Char('c' | 'q') if ctrl => return step(Command::Quit),
        KeyCode::F(1) => return step(Command::ToggleHelp),
        KeyCode::F(2) => return step(Command::Show(View::Live)),
        KeyCode::F(3) => return step(Command::Show(View::Sessions)),
        KeyCode::F(4) => return step(Command::Show(View::Stats)),
        KeyCode::F(5) => return step(Command::RefreshSessions),
        KeyCode::Char('1') if alt => return step(Command::Show(View::Live)),
        KeyCode::Char('2') if alt => return step(Command::Show(View::Sessions)),
        KeyCode::Char('3') if alt => return step(Command::Show(View::Stats)),
        _ => {}
    }
    if state.help {
        return match key.code {
            KeyCode::Esc | KeyCode::Char('?' | 'q') => step(Command::ToggleHelp),
            _ => Vec::new(),
        };
    }
    match state.view {
        View::Live => live(state, tracked, key),
        View::Sessions => sessions(state, tracked, key),
        View::Stats => match key.code {
            KeyCode::Char('q') => step(Command::Quit),
            KeyCode::Esc => step(Command::Show(View::Live)),
            _ => Vec::new(),
        },
    }
}

/// Scrolling keys. `from_end`: the view is anchored at its end (the live
/// session, newest at the bottom), so `scroll` counts rows back from the end.
fn scroll(state: &mut TuiState, code: KeyCode, from_end: bool) -> bool {
    let (back, on) = if from_end { (KeyCode::PageDown, KeyCode::PageUp) } else { (KeyCode::PageUp, KeyCode::PageDown) };
    let (start, end) = if from_end { (usize::MAX / 2, 0) } else { (0, usize::MAX / 2) };
    match code {
        c if c == back => state.scroll = state.scroll.saturating_sub(PAGE),
        c if c == on => state.scroll = state.scroll.saturating_add(PAGE),
        KeyCode::Home => state.scroll = start,
        KeyCode::End => state.scroll = end,
        _ => return false,
    }
    true
}

/// Typing into `text`; returns whether the key was typing.
fn type_into(text: &mut String, key: KeyEvent, newlines: bool) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    match key.code {
        KeyCode::Char('j') if ctrl && newlines => text.push('\n'),
        KeyCode::Enter if alt && newlines => text.push('\n'),
        KeyCode::Char('u') if ctrl => text.clear(),
        KeyCode::Char(c) if !ctrl && !alt => text.push(c),
        KeyCode::Backspace => {
            text.pop();
        }
        _ => return false,
    }
    true
}

fn live(state: &mut TuiState, tracked: &Tracker, key: KeyEvent) -> Vec<Step> {
    let live = &tracked.live;
    if let Some(editing) = &mut state.editing {
        return match key.code {
            KeyCode::Esc => {
                let cancel = if matches!(editing, Editing::Refined { .. }) {
                    Command::CancelEdit
                } else {
                    Command::CancelSuggestionEdit
                };
                vec![Step::Do(cancel)]
            }
            KeyCode::Enter if !key.modifiers.contains(KeyModifiers::ALT) => {
                if editing.text().trim().is_empty() {
                    state.status = Some("An empty prompt cannot be sent: type something, or Esc to cancel.".into());
                    return Vec::new();
                }
                vec![Step::Do(send_edit(editing, tracked))]
            }
            _ => {
                type_into(editing.text_mut(), key, true);
                Vec::new()
            }
        };
    }
    let awaiting = live.awaiting();
    if scroll(state, key.code, awaiting.is_none()) {
        return Vec::new();
    }
    // Typing ahead when a refinement arrives: the letters go on into the
    // prompt being written, never to the panel (an `o` must not send anything).
    if awaiting.is_some() && !state.composer.is_idle() {
        if key.code == KeyCode::Enter {
            state.status =
                Some("Decide on the refinement first: empty the prompt (Ctrl+U) to use the panel's keys.".into());
        } else {
            let newlines = state.composer.field == Field::Prompt;
            type_into(state.composer.text_mut(), key, newlines);
        }
        return Vec::new();
    }
    if let Some(chain) = awaiting {
        let request = chain.request;
        let refined = chain.proposal.as_ref().and_then(|p| p.event.refined.as_str()).map(str::to_owned);
        let decide = |decision| vec![Step::Do(Command::Decide { request, decision })];
        return match key.code {
            KeyCode::Enter => decide(Decision::Accepted),
            KeyCode::Char('o') => decide(Decision::Rejected),
            KeyCode::Char('e') => match refined {
                Some(text) => vec![Step::OpenEditor(Editing::Refined { request, text })],
                None => withheld(state),
            },
            KeyCode::Char('i') => match refined {
                Some(text) => vec![Step::Do(Command::BeginEdit { request, text })],
                None => withheld(state),
            },
            KeyCode::Char('d') => {
                state.layout = match state.layout {
                    DiffLayout::SideBySide => DiffLayout::Unified,
                    DiffLayout::Unified => DiffLayout::SideBySide,
                };
                Vec::new()
            }
            KeyCode::Char('r') => {
                state.rubric = !state.rubric;
                Vec::new()
            }
            KeyCode::Char('?') => vec![Step::Do(Command::ToggleHelp)],
            _ => Vec::new(),
        };
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('f') {
        state.composer.next_field();
        return Vec::new();
    }
    if ctrl && key.code == KeyCode::Char('x') {
        let flag = live.current().filter(|c| !c.response.as_ref().is_some_and(|r| state.flagged.contains(&r.seq)));
        return match flag.and_then(flag_wrong) {
            Some(c) => vec![Step::Do(c)],
            None => {
                state.status = Some("Only an answer from the cache can be flagged as wrong.".into());
                Vec::new()
            }
        };
    }
    // A cached answer offered for the current request: u takes it, m asks the model.
    if state.composer.is_idle()
        && let Some(chain) = live.current().filter(|c| c.pending_offer().is_some())
    {
        let request = chain.request;
        match key.code {
            KeyCode::Char('u') => return vec![Step::Do(Command::DecideOffer { request, use_cached: true })],
            KeyCode::Char('m') => return vec![Step::Do(Command::DecideOffer { request, use_cached: false })],
            _ => {}
        }
    }
    if state.composer.is_idle() {
        let open: Vec<(u64, u8, String)> =
            live.current().map(|c| open_suggestions(c, &state.acted)).unwrap_or_default();
        if !open.is_empty() {
            state.suggestion = state.suggestion.min(open.len() - 1);
            let (offered_seq, index, text) = open[state.suggestion].clone();
            let act = |action| vec![Step::Do(Command::Suggestion { offered_seq, index, action })];
            match key.code {
                KeyCode::Up => {
                    state.suggestion = state.suggestion.saturating_sub(1);
                    return Vec::new();
                }
                KeyCode::Down => {
                    state.suggestion = (state.suggestion + 1).min(open.len() - 1);
                    return Vec::new();
                }
                KeyCode::Enter => return act(SuggestionAction::Sent),
                KeyCode::Esc => return act(SuggestionAction::Dismissed),
                KeyCode::Tab => return vec![Step::Do(Command::BeginSuggestionEdit { offered_seq, index, text })],
                _ => {}
            }
        }
        if key.code == KeyCode::Char('?') {
            return vec![Step::Do(Command::ToggleHelp)];
        }
    }
    match key.code {
        KeyCode::Enter => vec![Step::Do(Command::Submit)],
        KeyCode::Esc => {
            state.composer.field = Field::Prompt;
            state.composer.error = None;
            Vec::new()
        }
        _ => {
            let newlines = state.composer.field == Field::Prompt;
            type_into(state.composer.text_mut(), key, newlines);
            Vec::new()
        }
    }
}

fn withheld(state: &mut TuiState) -> Vec<Step> {
    state.status = Some("The refined text was withheld by the privacy level: there is nothing to edit.".into());
    Vec::new()
}

/// The command that sends an edit (the inline editor's, or the external editor's once it exits).
pub fn send_edit(editing: &Editing, tracked: &Tracker) -> Command {
    match editing {
        Editing::Refined { request, text } => {
            let refined = tracked.live.chains.get(*request).and_then(|c| c.proposal.as_ref()?.event.refined.as_str());
            Command::Decide { request: *request, decision: edited(refined, text) }
        }
        Editing::Suggestion { offered_seq, index, text } => Command::Suggestion {
            offered_seq: *offered_seq,
            index: *index,
            action: SuggestionAction::Edited { text: text.clone().into() },
        },
    }
}

/// The suggestions of `chain` not acted on yet (in the log, or in `acted`,
/// this frontend's acts not folded yet): (offered seq, index, text).
pub fn open_suggestions(chain: &RequestChain, acted: &[(u64, u8)]) -> Vec<(u64, u8, String)> {
    let Some(offered) = &chain.suggestions else { return Vec::new() };
    offered
        .event
        .suggestions
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let index = u8::try_from(i).ok()?;
            let done = chain.acted.iter().any(|a| a.event.index == index) || acted.contains(&(offered.seq, index));
            (!done).then(|| (offered.seq, index, s.text.display()))
        })
        .collect()
}

/// The wrong-answer flag of a chain answered from the cache and not flagged yet.
fn flag_wrong(chain: &RequestChain) -> Option<Command> {
    let r = chain.response.as_ref()?;
    if r.event.source != ResponseSource::Cache || chain.flagged_wrong() {
        return None;
    }
    Some(Command::FlagWrong { session: chain.session, response_seq: r.seq, entry: chain.served_entry().cloned() })
}

fn sessions(state: &mut TuiState, tracked: &Tracker, key: KeyEvent) -> Vec<Step> {
    let history = &tracked.history;
    let step = |c: Command| vec![Step::Do(c)];
    match &history.opened {
        None => match key.code {
            KeyCode::Up => state.session_row = state.session_row.saturating_sub(1),
            KeyCode::Down => state.session_row = (state.session_row + 1).min(history.sessions.len().saturating_sub(1)),
            KeyCode::Enter => {
                if let Some(s) = history.sessions.get(state.session_row) {
                    state.request_row = 0;
                    return step(Command::OpenSession(s.session));
                }
            }
            KeyCode::Esc => return step(Command::Show(View::Live)),
            KeyCode::Char('q') => return step(Command::Quit),
            _ => {}
        },
        Some(opened) => {
            let n = opened.chains.len();
            match key.code {
                KeyCode::Up => state.request_row = state.request_row.saturating_sub(1),
                KeyCode::Down => state.request_row = (state.request_row + 1).min(n.saturating_sub(1)),
                KeyCode::Enter => {
                    if let Some(chain) = opened.chains.iter().nth(state.request_row) {
                        state.scroll = 0;
                        return step(Command::OpenRequest(chain.request));
                    }
                }
                KeyCode::Esc => return step(Command::CloseSession),
                KeyCode::Char('q') => return step(Command::Quit),
                code => {
                    scroll(state, code, false);
                }
            }
        }
    }
    Vec::new()
}

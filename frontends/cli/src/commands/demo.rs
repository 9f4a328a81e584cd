//! `lantern demo`: a scripted session through the real pipeline, on embedded
//! defaults: the redb log and the in-process cache in the data directory,
//! the offline provider unless `ANTHROPIC_API_KEY` is set, refinements
//! auto-accepted. Nothing is invented: every line printed comes from the
//! events the pipeline journaled.

use super::ask::{Mode, submit_and_follow};
use crate::gateway::{self, GatewayArgs};
use crate::present::Style;
use lantern_actors::pipeline::{Ask, SemanticMode, Settings};
use lantern_events::RequestId;
use lantern_events::schema::*;
use std::io::{IsTerminal, Write};
use std::path::Path;

const SCRIPT: [(&str, &str); 5] = [
    ("a first question: nothing is cached yet", "How do I reverse a list in Python?"),
    ("the same question again: an exact hit", "How do I reverse a list in Python?"),
    ("a paraphrase: a verified semantic hit", "whats the pythonic way to reverse a list"),
    ("a near miss: close, but a different question", "How do I reverse a string in Python?"),
    (
        "a debug ask from an editor: the refiner adds context and structure",
        "Why does this panic when the buffer is 7 bytes long?",
    ),
];

/// Editor context of the last prompt: the file and the lines selected in it.
fn editor_context() -> PromptContext {
    let code = "fn parse_header(buf: &[u8]) -> Header {\n    let version = u16::from_le_bytes([buf[6], buf[7]]);\n    Header { version }\n}";
    PromptContext {
        active_file: Some("src/header.rs".into()),
        language: Some("rust".into()),
        selection: Some(Selection { text: code.into(), start_line: Some(12), end_line: Some(15) }),
    }
}

/// The demo decides by policy, so it shows the verifier serving on its own
/// (`--semantic serve`), which `lantern ask` leaves to you by default.
fn demo_settings() -> Settings {
    Settings { semantic: SemanticMode::Serve, ..Settings::default() }
}

/// Runs the demo.
pub fn run(dir: &Path, args: &GatewayArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let style = Style::detect(std::io::stdout().is_terminal());
    writeln!(out, "{}", style.bold(&format!("Lantern demo · data in {}", dir.display())))?;
    let gateway::Started { control, runtime, log } = gateway::start(dir, args, demo_settings(), gateway::Offer::Reads)?;
    let client = runtime.client();
    let mut sub = client.subscribe(client.next_seq());
    let session = client.open_session(FrontendKind::Cli, Some("lantern demo".into()));
    for (i, (what, prompt)) in SCRIPT.iter().enumerate() {
        writeln!(out, "\n{}", style.bold(&format!("── {}/{} · {what} ──", i + 1, SCRIPT.len())))?;
        writeln!(out, "> {prompt}")?;
        let ask = Ask {
            session,
            request: RequestId::new(),
            prompt: (*prompt).into(),
            model: args.model.clone(),
            context: if i + 1 == SCRIPT.len() { editor_context() } else { PromptContext::default() },
            origin: PromptOrigin::Typed,
            policy: ApprovalPolicy::Accept,
            frontend: FrontendKind::Cli,
        };
        submit_and_follow(&client, &mut sub, ask, Mode::Scripted(style), out)?;
    }
    client.close_session(session, EndReason::UserExit);
    // Read the cache's own counters from the Python already running.
    let cache = super::stats::cache_stats(runtime.client().cache());
    drop(control);
    drop(runtime);
    writeln!(out, "\n{}", style.bold("── this session ──"))?;
    super::stats::print(&super::stats::gather(&*log, Some(session))?, out)?;
    if let Ok(c) = cache {
        super::stats::print_cache_stats(&c, out)?;
    }
    // Replay: today's Refiner and Suggester re-run on what the log holds.
    let chains = lantern_replay::chain::Chains::from_events(&log.read_session(session)?);
    let check = lantern_replay::verify::verify(&chains, &Default::default(), |_| true);
    writeln!(
        out,
        "\nReplay check: today's Refiner re-run on the {} logged prompt(s): {} identical, {} determinism bug(s); \
         suggestions: {} identical",
        check.requests,
        check.refiner.identical,
        check.determinism_bugs(),
        check.suggestions.identical
    )?;
    writeln!(out, "\nReplay it: lantern --data-dir {} replay show {}", dir.display(), session)?;
    writeln!(out, "Export it: lantern --data-dir {} export --kind routing --out DIR", dir.display())?;
    Ok(())
}

//! `lantern demo`: record a short scripted session, then print it back.
//!
//! The refinement, cache and upstream pipeline is not part of this build
//! yet, so the demo records only what really happens here: a CLI session
//! and the prompts submitted in it. Nothing is invented.

use lantern_events::schema::*;
use lantern_events::{Actor, NewEvent, RequestId, SessionId};
use std::io::Write;
use std::path::Path;

const PROMPTS: [&str; 3] = [
    "How do I reverse a list in Python?",
    "whats the pythonic way to reverse a list",
    "How do I reverse a string in Python?",
];

/// Records the session and prints its timeline.
pub fn run(dir: &Path, out: &mut impl Write) -> anyhow::Result<()> {
    let summary = {
        let log = crate::data_dir::open_for_writing(dir)?;
        let session = SessionId::new();
        let cli = Actor::Frontend(FrontendKind::Cli);
        let started = log.append(NewEvent::now(
            session,
            cli,
            Event::SessionStarted(SessionStarted {
                frontend: FrontendKind::Cli,
                lantern_version: env!("CARGO_PKG_VERSION").into(),
                privacy: PrivacyLevel::Full,
                workspace: std::env::current_dir().ok().map(|d| d.display().to_string()),
            }),
        ))?;
        for prompt in PROMPTS {
            let submitted = Event::PromptSubmitted(PromptSubmitted {
                text: prompt.into(),
                model: "claude-sonnet-4-5".into(),
                context: PromptContext::default(),
                origin: PromptOrigin::Typed,
            });
            log.append(NewEvent::now(session, cli, submitted).in_request(RequestId::new()).caused_by(started))?;
        }
        let ended = Event::SessionEnded(SessionEnded { reason: EndReason::UserExit });
        log.append(NewEvent::now(session, cli, ended))?;
        log.session_summary(session)?.ok_or_else(|| anyhow::anyhow!("session {session} vanished after commit"))?
    };
    writeln!(out, "Recorded session {} in {}.", summary.session, dir.display())?;
    writeln!(
        out,
        "(This build journals sessions and prompts; refinement, cache and upstream are not wired in yet.)\n"
    )?;
    // Read back through a fresh read-only open: what is printed is what is on disk.
    let log = crate::data_dir::open_for_reading(dir)?;
    super::replay::show(&log, &summary, false, out)?;
    writeln!(out)?;
    super::sessions::run(dir, &super::sessions::Args::default(), out)
}

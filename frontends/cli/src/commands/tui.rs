//! `lantern tui`: the terminal frontend over the pipeline.

use crate::gateway::{self, GatewayArgs};
use anyhow::Context;
use lantern_actors::pipeline::Settings;
use lantern_tui::TuiOptions;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Options of `lantern tui`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Attach this file to the prompts you write (named to the model; the composer's File field).
    #[arg(long)]
    file: Option<PathBuf>,
    /// Attach lines A to B (1-based, inclusive) of --file.
    #[arg(long, value_name = "A:B", requires = "file")]
    lines: Option<String>,
    /// No colours: marks are bold, underlined, struck through or reversed (also when NO_COLOR is set).
    #[arg(long)]
    monochrome: bool,
    /// Seconds to wait for your decision on a refinement before the original is sent.
    #[arg(long, default_value_t = 600)]
    decision_timeout: u64,
    #[command(flatten)]
    gateway: GatewayArgs,
}

/// Runs the terminal frontend until you quit. With a `lantern serve`
/// running on the data dir, it attaches to it (proxied requests awaiting a
/// person wait in it too); quitting leaves the server running.
pub fn run(dir: &Path, args: &Args) -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!("lantern tui needs a terminal; for scripts, use `lantern ask`");
    }
    let workspace = std::env::current_dir().ok().map(|d| d.display().to_string());
    let mut options = TuiOptions {
        model: args.gateway.model.clone(),
        workspace,
        attached: None,
        file: args.file.as_ref().map(|f| f.display().to_string()).unwrap_or_default(),
        // `ask` takes A:B; the composer's field reads A-B and A:B alike.
        lines: args.lines.clone().unwrap_or_default(),
        monochrome: args.monochrome,
    };
    if let Some(holder) = crate::data_dir::pipeline_holder(dir)? {
        options.attached = Some(format!("attached to serve (pid {})", holder.pid()));
        return lantern_tui::run(Box::new(holder.pipeline()), Arc::new(holder.log()), options).context(NO_TERMINAL);
    }
    let settings = Settings { decision_timeout: Duration::from_secs(args.decision_timeout), ..Settings::default() };
    let started = gateway::start(dir, &args.gateway, settings, gateway::Offer::Pipeline)?;
    let shown = lantern_tui::run(Box::new(started.runtime.client()), started.log.clone(), options);
    // Stops the actors once everything the terminal sent is journalled.
    drop(started);
    shown.context(NO_TERMINAL)
}

const NO_TERMINAL: &str = "the terminal frontend stopped";

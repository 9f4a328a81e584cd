//! `lantern ui`: the desktop window over the pipeline.

use crate::gateway::{self, GatewayArgs};
use anyhow::Context;
use lantern_actors::pipeline::Settings;
use lantern_egui::UiOptions;
use std::path::Path;
use std::time::Duration;

/// Options of `lantern ui`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Seconds to wait for your decision on a refinement before the original is sent.
    #[arg(long, default_value_t = 600)]
    decision_timeout: u64,
    #[command(flatten)]
    gateway: GatewayArgs,
}

/// Runs the window until it is closed.
pub fn run(dir: &Path, args: &Args) -> anyhow::Result<()> {
    let settings = Settings { decision_timeout: Duration::from_secs(args.decision_timeout), ..Settings::default() };
    let (log, runtime) = gateway::start(dir, &args.gateway, settings)?;
    let options = UiOptions {
        model: args.gateway.model.clone(),
        workspace: std::env::current_dir().ok().map(|d| d.display().to_string()),
        proxy_approvals: false,
    };
    let shown = lantern_egui::run(runtime.client(), log, options);
    // Stops the actors once everything the window sent is journaled.
    drop(runtime);
    shown.context("cannot show the Lantern window (is DISPLAY or WAYLAND_DISPLAY set, with OpenGL available?)")
}

//! `lantern ui`: the desktop window over the pipeline.

use crate::gateway::{self, GatewayArgs};
use anyhow::Context;
use lantern_actors::pipeline::Settings;
use lantern_egui::UiOptions;
use std::path::Path;
use std::sync::Arc;
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

/// Runs the window until it is closed. With a `lantern serve` running on
/// the data dir, the window attaches to it: it drives that server's
/// pipeline, and the proxied requests awaiting a person wait in it too.
/// Closing it leaves the server running.
pub fn run(dir: &Path, args: &Args) -> anyhow::Result<()> {
    let workspace = std::env::current_dir().ok().map(|d| d.display().to_string());
    if let Some(holder) = crate::data_dir::pipeline_holder(dir)? {
        eprintln!(
            "lantern: attached to the Lantern serving {} (pid {}); proxied requests awaiting a decision show here, \
             and closing this window leaves it running",
            dir.display(),
            holder.pid()
        );
        let options = UiOptions { model: args.gateway.model.clone(), workspace, proxy_approvals: true };
        return lantern_egui::run(Box::new(holder.pipeline()), Arc::new(holder.log()), options).context(NO_WINDOW);
    }
    let settings = Settings { decision_timeout: Duration::from_secs(args.decision_timeout), ..Settings::default() };
    let started = gateway::start(dir, &args.gateway, settings, gateway::Offer::Pipeline)?;
    let options = UiOptions { model: args.gateway.model.clone(), workspace, proxy_approvals: false };
    let shown = lantern_egui::run(Box::new(started.runtime.client()), started.log.clone(), options);
    // Stops the actors once everything the window sent is journaled.
    drop(started);
    shown.context(NO_WINDOW)
}

const NO_WINDOW: &str = "cannot show the Lantern window (is DISPLAY or WAYLAND_DISPLAY set, with OpenGL available?)";

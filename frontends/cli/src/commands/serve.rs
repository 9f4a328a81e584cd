//! `lantern serve`: the pipeline behind an Anthropic-compatible endpoint.

use crate::commands::ask::Approve;
use crate::gateway::Semantic;
use crate::upstream_args::UpstreamArgs;
use anyhow::Context;
use lantern_actors::cache_bridge::BridgeConfig;
use lantern_actors::pipeline::Settings;
use lantern_actors::runtime::{Runtime, RuntimeConfig};
use lantern_events::schema::PrivacyLevel;
use lantern_events::{EventLog, LOG_FILE};
use lantern_http::{DEFAULT_MAX_BODY, ServeConfig, Server, TOKEN_FILE, TlsFiles, Token};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Options of `lantern serve`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8443", value_name = "ADDR:PORT")]
    listen: SocketAddr,
    /// Allow listening on a non-loopback address.
    #[arg(long)]
    allow_remote: bool,
    /// Serve HTTPS with this PEM certificate chain (needs --tls-key).
    #[arg(long, requires = "tls_key", value_name = "PEM")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert", value_name = "PEM")]
    tls_key: Option<PathBuf>,
    /// Where answers come from.
    #[command(flatten)]
    upstream: UpstreamArgs,
    /// Whether a paraphrase may be served from the cache: `off` serves exact
    /// (normalised) matches only; `offer` shows it in an attached window
    /// (with `--approve ask`) for a person to take or refuse. Off by default
    /// here: on prompts it has not seen, the verifier serves too many wrong
    /// answers to answer an unattended client with them (docs/cache.md).
    #[arg(long, value_enum, default_value = "off")]
    semantic: Semantic,
    /// A Widget-Log configuration file (TOML; see docs/cache.md).
    #[arg(long, value_name = "FILE")]
    widget_log_config: Option<PathBuf>,
    /// Who decides on refinements: `original` changes nothing; `ask` waits
    /// for a decision from a Lantern window, then sends the original
    /// [default: `ask` with --ui, else `original`].
    #[arg(long, value_enum)]
    approve: Option<Approve>,
    /// Open the approval window in this process: proxied requests wait there
    /// for your decision (up to --decision-timeout, then the original goes).
    #[arg(long)]
    ui: bool,
    /// Target model of prompts written in the window (with --ui).
    #[arg(long, default_value = "claude-sonnet-4-5")]
    model: String,
    /// Seconds `--approve ask` waits for a decision before sending the original.
    #[arg(long, default_value_t = 120)]
    decision_timeout: u64,
    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_BODY)]
    max_body_bytes: usize,
    /// HTTP worker threads.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Threads running the cache's Python (1–8). Waiting on the upstream holds none.
    #[arg(long, default_value_t = 2)]
    bridge_threads: usize,
    /// Cache namespace of requests without x-lantern-namespace.
    #[arg(long, default_value = "default")]
    namespace: String,
    /// How much text the journal keeps: full, metadata (digests) or off.
    #[arg(long, default_value = "full", value_parser = crate::gateway::parse_privacy)]
    privacy: PrivacyLevel,
    /// The Python environment with widget-log installed [default: the checkout's .venv].
    #[arg(long, env = "LANTERN_VENV", value_name = "DIR")]
    venv: Option<PathBuf>,
}

fn widget_log_config(dir: &Path, args: &Args) -> String {
    let mut config = serde_json::json!({ "data_dir": dir.join("widget-log") });
    if let Some(file) = &args.widget_log_config {
        config["config_file"] = file.display().to_string().into();
    }
    config.to_string()
}

/// Runs `lantern serve` until SIGINT or SIGTERM.
pub fn run(dir: &Path, args: &Args, out: &mut impl Write) -> anyhow::Result<()> {
    let approve = args.approve.unwrap_or(if args.ui { Approve::Ask } else { Approve::Original });
    let upstream = args.upstream.config(0, true)?;
    crate::data_dir::prepare(dir)?;
    let token = Token::load_or_create(dir)?;
    let config = ServeConfig {
        listen: args.listen,
        allow_remote: args.allow_remote,
        tls: args.tls_cert.clone().zip(args.tls_key.clone()).map(|(cert, key)| TlsFiles { cert, key }),
        max_body_bytes: args.max_body_bytes,
        workers: args.workers,
        policy: approve.into(),
        token,
    };
    config.check()?;
    let log = Arc::new(EventLog::open(&dir.join(LOG_FILE))?);
    let venv = args.venv.clone().unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv"));
    let settings = Settings {
        decision_timeout: Duration::from_secs(args.decision_timeout),
        namespace: args.namespace.clone(),
        semantic: args.semantic.into(),
        ..Settings::default()
    };
    let bridge = BridgeConfig { venv, config_json: widget_log_config(dir, args), threads: args.bridge_threads };
    let runtime = Runtime::start(log.clone(), RuntimeConfig { bridge, upstream, privacy: args.privacy, settings })?;
    // Every other command on this data dir goes through this process.
    let control = crate::gateway::serve_control(dir, &log, Some(runtime.client()));
    let server = Server::start(config, runtime.client())?;
    let scheme = if args.tls_cert.is_some() { "https" } else { "http" };
    for addr in server.addrs() {
        writeln!(out, "lantern serve: listening on {scheme}://{addr}")?;
    }
    let token_file = dir.join(TOKEN_FILE);
    writeln!(out, "  ANTHROPIC_BASE_URL={scheme}://{}", server.addrs().first().unwrap_or(&args.listen))?;
    writeln!(out, "  ANTHROPIC_API_KEY=$(cat {})", token_file.display())?;
    if let Some(control) = &control {
        writeln!(out, "  other lantern commands on {} go through {}", dir.display(), control.path().display())?;
    }
    let policy = format!("{approve:?}").to_lowercase();
    if args.ui {
        writeln!(out, "  refinements: policy {policy}, decided in the window; closing it stops the server")?;
        out.flush()?;
        let options = lantern_egui::UiOptions {
            model: args.model.clone(),
            workspace: std::env::current_dir().ok().map(|d| d.display().to_string()),
            proxy_approvals: true,
        };
        let shown = lantern_egui::run(Box::new(runtime.client()), log, options);
        server.stop()?;
        drop(control);
        runtime.client().sync();
        drop(runtime);
        return shown
            .context("cannot show the Lantern window (is DISPLAY or WAYLAND_DISPLAY set, with OpenGL available?)");
    }
    writeln!(out, "  refinements: policy {policy}; Ctrl-C stops")?;
    out.flush()?;
    server.wait()?;
    drop(control);
    runtime.client().sync();
    drop(runtime);
    Ok(())
}

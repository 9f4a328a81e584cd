//! `lantern`: the command line of Lantern, a local prompt gateway.

mod commands;
mod data_dir;
mod gateway;
mod present;
mod progress;
mod render;
mod upstream_args;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Lantern: see what your prompts become, what the cache does, and why.
#[derive(Parser)]
#[command(name = "lantern", version, about)]
struct Cli {
    /// Where the event log, the cache and the local token live
    /// [default: $XDG_DATA_HOME/lantern, i.e. ~/.local/share/lantern].
    #[arg(long, global = true, env = "LANTERN_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Send one prompt through the pipeline: refine, decide, answer, suggest.
    Ask(commands::ask::Args),
    /// Run a scripted session through the pipeline on embedded defaults.
    Demo(gateway::GatewayArgs),
    /// Hit rate, latency, tokens: what the cache and pipeline did.
    Stats(commands::stats::Args),
    /// List the sessions in the log.
    Sessions(commands::sessions::Args),
    /// Rebuild past sessions from the log.
    #[command(subcommand)]
    Replay(commands::replay::Command),
    /// Serve the pipeline as an Anthropic-compatible endpoint (ANTHROPIC_BASE_URL).
    Serve(commands::serve::Args),
    /// Open the desktop window: approve refinements, read answers, browse sessions and stats.
    Ui(commands::ui::Args),
    /// Open the terminal frontend: the same approval panel, suggestions, sessions and stats, in this terminal.
    Tui(commands::tui::Args),
    /// Export training datasets (preferences, sft, routing, suggestions) as JSONL or Parquet.
    Export(commands::export::Args),
    /// Show a request's cache key, or why two requests do not share one.
    CacheKey(commands::cache_key::Args),
    /// Check the event log for damage, or rebuild it from what verifies.
    #[command(subcommand)]
    Log(commands::log::Command),
}

/// Rust's allocations go to mimalloc: the proxy's request path allocates
/// small, short-lived buffers across threads, where glibc's malloc was
/// ~17 % of the Rust threads' profile under load (BENCHMARKS.md). The embedded Python
/// and onnxruntime keep their own allocators.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("LANTERN_LOG"))
        .with_writer(std::io::stderr)
        .init();
    quiet_guarded_panics();
    private_files();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("lantern: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A panic inside the storage engine on a damaged file is returned as the
/// corrupt-file error; only other panics print the usual report.
fn quiet_guarded_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !lantern_events::panic_is_guarded() {
            default(info);
        }
    }));
}

/// Everything Lantern creates (log, cache, token, exports) is its owner's
/// alone, whatever the umask it was started with.
fn private_files() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let dir = data_dir::resolve(cli.data_dir)?;
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Ask(args) => return commands::ask::run(&dir, &args, &mut out),
        Command::Demo(args) => commands::demo::run(&dir, &args, &mut out)?,
        Command::Stats(args) => commands::stats::run(&dir, &args, &mut out)?,
        Command::Sessions(args) => commands::sessions::run(&dir, &args, &mut out)?,
        Command::Serve(args) => commands::serve::run(&dir, &args, &mut out)?,
        Command::Replay(cmd) => return commands::replay::run(&dir, cmd, &mut out),
        Command::Export(args) => return commands::export::run(&dir, &args, &mut out),
        Command::Ui(args) => commands::ui::run(&dir, &args)?,
        Command::Tui(args) => commands::tui::run(&dir, &args)?,
        Command::CacheKey(args) => commands::cache_key::run(&args, &mut out)?,
        Command::Log(cmd) => return commands::log::run(&dir, &cmd, &mut out),
    }
    Ok(ExitCode::SUCCESS)
}

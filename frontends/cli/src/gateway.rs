//! Starting the pipeline for a command, and following one request through it.

use crate::upstream_args::UpstreamArgs;
use anyhow::bail;
use lantern_actors::cache_bridge::BridgeConfig;
use lantern_actors::pipeline::{SemanticMode, Settings, SuggestWith};
use lantern_actors::runtime::{Client, Runtime, RuntimeConfig};
use lantern_actors::suggester::llm::Source;
use lantern_control::ControlServer;
use lantern_events::schema::PrivacyLevel;
use lantern_events::{Envelope, EventLog, Follow, LOG_FILE, Recv};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Options every pipeline command shares.
#[derive(clap::Args, Debug, Clone)]
pub struct GatewayArgs {
    /// The Python environment with widget-log installed [default: the checkout's .venv].
    #[arg(long, env = "LANTERN_VENV", value_name = "DIR")]
    pub venv: Option<PathBuf>,
    /// How much text the journal keeps: full, metadata (digests) or off (counters only).
    #[arg(long, default_value = "full", value_parser = parse_privacy)]
    pub privacy: PrivacyLevel,
    /// Target model.
    #[arg(long, default_value = "claude-sonnet-4-5")]
    pub model: String,
    /// Where next-prompt suggestions come from: local rules, or the model
    /// reading its last reply or your last turns (falls back to the rules,
    /// labelled as such, when the model gives nothing usable).
    #[arg(long, value_enum, default_value = "heuristic")]
    pub suggest: SuggestFrom,
    /// How many of your last turns `--suggest llm-history` reads.
    #[arg(long, default_value_t = 3)]
    pub history_depth: u8,
    /// Who refines: the rules alone, or the rules and then the model (its
    /// rewrite is taken only if code and quotes survive verbatim).
    #[arg(long, value_enum, default_value = "rules")]
    pub refine: RefineWith,
    /// What the cache does with a paraphrase of an earlier prompt: `offer`
    /// shows it (matched prompt, similarity, the verifier's verdict, the
    /// answer's opening) and you take it or ask the model; `serve` serves it
    /// when the verifier accepts; `off` uses exact matches only
    /// [default: offer; paraphrases are never used with --approve accept|original].
    #[arg(long, value_enum)]
    pub semantic: Option<Semantic>,
    /// Where answers come from.
    #[command(flatten)]
    pub upstream: UpstreamArgs,
}

/// Values of `--semantic`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Semantic {
    /// Serve paraphrases the verifier accepts.
    Serve,
    /// Offer paraphrases to the person deciding.
    Offer,
    /// Exact matches only.
    Off,
}

impl From<Semantic> for SemanticMode {
    fn from(s: Semantic) -> Self {
        match s {
            Semantic::Serve => SemanticMode::Serve,
            Semantic::Offer => SemanticMode::Offer,
            Semantic::Off => SemanticMode::Off,
        }
    }
}

/// Values of `--refine`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RefineWith {
    /// The deterministic rules only.
    Rules,
    /// The rules, then a rewrite by the model.
    Llm,
}

/// Values of `--suggest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SuggestFrom {
    /// Local rules, offline.
    Heuristic,
    /// The model, from its last reply.
    LlmReply,
    /// The model, from your last turns.
    LlmHistory,
}

impl GatewayArgs {
    /// Applies these options to pipeline settings.
    pub fn apply(&self, settings: Settings) -> Settings {
        let suggest_with = match self.suggest {
            SuggestFrom::Heuristic => SuggestWith::Heuristic,
            SuggestFrom::LlmReply => SuggestWith::Llm(Source::LastAssistant),
            SuggestFrom::LlmHistory => SuggestWith::Llm(Source::History(self.history_depth)),
        };
        let semantic = self.semantic.map_or(settings.semantic, SemanticMode::from);
        Settings { suggest_with, refine_with_llm: self.refine == RefineWith::Llm, semantic, ..settings }
    }
}

/// `--privacy` values: full, metadata or off.
pub fn parse_privacy(s: &str) -> Result<PrivacyLevel, String> {
    match s {
        "full" => Ok(PrivacyLevel::Full),
        "metadata" => Ok(PrivacyLevel::Metadata),
        "off" => Ok(PrivacyLevel::Off),
        _ => Err("expected full, metadata or off".into()),
    }
}

/// The venv: `--venv`/`LANTERN_VENV`, else the `.venv` of the checkout this binary was built in.
pub fn venv(args: &GatewayArgs) -> PathBuf {
    args.venv.clone().unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv"))
}

/// How to start Widget-Log over `data_dir` (its cache lives in `widget-log/`).
pub fn bridge_config(data_dir: &Path, args: &GatewayArgs, threads: usize) -> BridgeConfig {
    let config_json = serde_json::json!({ "data_dir": data_dir.join("widget-log") }).to_string();
    BridgeConfig { venv: venv(args), config_json, threads }
}

/// The log, the pipeline and the control endpoint of a command that holds
/// the data dir. Dropping it ends the endpoint's connections first, then
/// stops the actors (their journal made durable), then closes the log.
pub struct Started {
    /// Serves the data dir to other commands while this one runs.
    pub control: Option<ControlServer>,
    /// The actors and Widget-Log.
    pub runtime: Runtime,
    /// The log, held for writing.
    pub log: Arc<EventLog>,
}

/// What a command holding the data dir offers other commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// Reads only: a short command (`ask`, `demo`), whose pipeline stops
    /// when it ends, must not take others' prompts.
    Reads,
    /// Reads and its pipeline (`serve`, a window).
    Pipeline,
}

/// Opens the control endpoint on `dir` for other commands (with `client`'s
/// pipeline, if given). If it cannot be opened the command goes on without
/// it, and says what others will miss.
pub fn serve_control(dir: &Path, log: &Arc<EventLog>, client: Option<Client>) -> Option<ControlServer> {
    match ControlServer::start(dir, log.clone(), client) {
        Ok(c) => {
            if c.replaced_stale() {
                eprintln!(
                    "lantern: replaced {}, left by a Lantern that stopped without closing it (killed or crashed)",
                    c.path().display()
                );
            }
            Some(c)
        }
        Err(e) => {
            eprintln!("lantern: warning: other lantern commands cannot use {} while this one runs: {e}", dir.display());
            None
        }
    }
}

/// Opens the log and starts the actors and Widget-Log over `data_dir`, and
/// the control endpoint through which other commands reach them.
pub fn start(data_dir: &Path, args: &GatewayArgs, settings: Settings, offer: Offer) -> anyhow::Result<Started> {
    if args.privacy == PrivacyLevel::Off {
        bail!(
            "--privacy off journals nothing, and this command shows you what the journal records; \
             use --privacy metadata to keep only digests and lengths on disk"
        );
    }
    crate::data_dir::prepare(data_dir)?;
    let log = Arc::new(EventLog::open(&data_dir.join(LOG_FILE))?);
    let config = RuntimeConfig {
        bridge: bridge_config(data_dir, args, 2),
        upstream: args.upstream.config(3, false)?,
        privacy: args.privacy,
        settings: args.apply(settings),
    };
    let runtime = Runtime::start(log.clone(), config)?;
    let control = serve_control(data_dir, &log, (offer == Offer::Pipeline).then(|| runtime.client()));
    Ok(Started { control, runtime, log })
}

/// Waits for the next event `wanted` accepts; `None` when `limit` passes first.
pub fn next_where(
    sub: &mut dyn Follow,
    limit: Duration,
    wanted: impl Fn(&Envelope) -> bool,
) -> anyhow::Result<Option<Arc<Envelope>>> {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(None);
        }
        match sub.recv_timeout(left)? {
            Recv::Event(e) if wanted(&e) => return Ok(Some(e)),
            Recv::Event(_) => {}
            Recv::Timeout => return Ok(None),
            Recv::Closed => bail!("the event log closed while Lantern was waiting for an event"),
        }
    }
}

//! Where answers come from: the `--provider`, `--upstream-*` and
//! `--max-in-flight` options every command that starts the pipeline takes.

use anyhow::bail;
use lantern_actors::upstream::{ApiKey, Limits, Provider, RetryPolicy, UpstreamConfig};
use std::time::Duration;

/// Values of `--provider`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProviderChoice {
    /// Anthropic when its key is set, else the offline placeholder.
    Auto,
    /// The Anthropic Messages API (or a server that speaks it).
    Anthropic,
    /// An OpenAI-compatible `/chat/completions` server (vLLM, Ollama, llama.cpp).
    Openai,
    /// No model: a placeholder that says so.
    Offline,
}

/// Upstream options.
#[derive(clap::Args, Debug, Clone)]
pub struct UpstreamArgs {
    /// Where answers come from.
    #[arg(long, env = "LANTERN_PROVIDER", value_enum, default_value = "auto")]
    pub provider: ProviderChoice,
    /// Shorthand for --provider offline.
    #[arg(long)]
    pub offline: bool,
    /// Base URL of the upstream [default: https://api.anthropic.com; for
    /// openai, http://127.0.0.1:8000/v1].
    #[arg(long, env = "LANTERN_UPSTREAM_URL", value_name = "URL")]
    pub upstream_url: Option<String>,
    /// The environment variable that holds the upstream API key
    /// [default: ANTHROPIC_API_KEY; for openai, OPENAI_API_KEY].
    #[arg(long, value_name = "NAME")]
    pub upstream_key_env: Option<String>,
    /// Model name sent to an OpenAI-compatible server instead of the request's.
    #[arg(long, value_name = "NAME")]
    pub openai_model: Option<String>,
    /// Retries of a failed upstream attempt before anything reached the
    /// client (429, 529, 5xx, timeouts), honouring retry-after
    /// [default: 3; `lantern serve`: 0, its clients retry themselves].
    #[arg(long, value_name = "N")]
    pub upstream_retries: Option<u32>,
    /// Seconds of upstream silence (before its answer begins, or between
    /// two of its chunks) after which the call fails.
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    pub upstream_timeout: u64,
    /// Upstream calls in flight at once; past it (and a queue of as many)
    /// requests get a 529 with retry-after.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub max_in_flight: usize,
}

fn key_from(var: &str) -> Option<ApiKey> {
    std::env::var(var).ok().filter(|k| !k.trim().is_empty()).map(ApiKey::new)
}

impl UpstreamArgs {
    /// The configuration; `require_key` refuses `auto` without a key
    /// instead of falling back to the offline placeholder.
    pub fn config(&self, default_retries: u32, require_key: bool) -> anyhow::Result<UpstreamConfig> {
        let choice = if self.offline { ProviderChoice::Offline } else { self.provider };
        let anthropic_env = self.upstream_key_env.clone().unwrap_or_else(|| "ANTHROPIC_API_KEY".into());
        let provider = match choice {
            ProviderChoice::Offline => Provider::Offline,
            ProviderChoice::Openai => Provider::OpenAi {
                base_url: self.upstream_url.clone().unwrap_or_else(|| "http://127.0.0.1:8000/v1".into()),
                api_key: key_from(self.upstream_key_env.as_deref().unwrap_or("OPENAI_API_KEY")),
                model: self.openai_model.clone(),
            },
            ProviderChoice::Anthropic | ProviderChoice::Auto => match key_from(&anthropic_env) {
                Some(api_key) => Provider::Anthropic {
                    base_url: self.upstream_url.clone().unwrap_or_else(|| "https://api.anthropic.com".into()),
                    api_key,
                    version: "2023-06-01".into(),
                },
                None if choice == ProviderChoice::Auto && !require_key => Provider::Offline,
                None => bail!(
                    "no upstream API key: set ${anthropic_env} (or name another variable with --upstream-key-env), \
                     or pass --offline to answer with placeholders"
                ),
            },
        };
        let mut config = UpstreamConfig::new(provider);
        config.retry =
            RetryPolicy { max_retries: self.upstream_retries.unwrap_or(default_retries), ..RetryPolicy::PATIENT };
        config.idle_timeout = Duration::from_secs(self.upstream_timeout.max(1));
        config.limits = Limits {
            max_in_flight: self.max_in_flight.max(1),
            max_queued: self.max_in_flight.max(1),
            ..Limits::default()
        };
        Ok(config)
    }
}

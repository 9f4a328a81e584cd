//! Starts the actor system on its own thread and hands frontends a [`Client`].
//!
//! The caller's thread (the UI's main thread, the CLI, the HTTP server) never
//! runs actix: it sends ops through the client and follows the journal.

use crate::cache_bridge::{BridgeConfig, BridgeError, Cache};
use crate::journal::Journal;
use crate::pipeline::{
    ActOnSuggestion, Ask, CloseSession, Decide, DecideOffer, Delivery, GiveFeedback, OpenSession, Pipeline, Proxied,
    Settings, SubmitPrompt, SubmitProxied,
};
use crate::upstream::{Upstream, UpstreamConfig, UpstreamError, UpstreamRuntime};
use actix::{Actor, Addr, System};
use lantern_events::schema::{
    Decision, EndReason, EntryId, FeedbackVerdict, FrontendKind, PrivacyLevel, SuggestionAction,
};
use lantern_events::{EventLog, RequestId, SessionId, Subscription};
use std::sync::Arc;
use std::thread::JoinHandle;
use thiserror::Error;

/// Everything the runtime needs.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// How to start Widget-Log.
    pub bridge: BridgeConfig,
    /// How to reach the model.
    pub upstream: UpstreamConfig,
    /// Privacy level of the journal.
    pub privacy: PrivacyLevel,
    /// Pipeline behaviour.
    pub settings: Settings,
}

/// Why the runtime did not start.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StartError {
    /// Widget-Log could not be started; the message says what to run.
    #[error(transparent)]
    Bridge(#[from] BridgeError),
    /// The upstream client could not be built.
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// A thread could not be started.
    #[error("cannot start a runtime thread: {0}")]
    Thread(#[from] std::io::Error),
    /// The actor system did not come up.
    #[error("the actor system did not start")]
    System,
}

/// The running system. Dropping it stops the actors and Widget-Log.
pub struct Runtime {
    client: Client,
    system: System,
    thread: Option<JoinHandle<()>>,
    upstream: Option<UpstreamRuntime>,
}

/// What frontends hold: send ops, follow events.
#[derive(Clone)]
pub struct Client {
    pipeline: Addr<Pipeline>,
    journal: Journal,
    cache: Arc<Cache>,
    upstream: Upstream,
}

impl Runtime {
    /// Starts Widget-Log (on the caller's thread, so errors come back here),
    /// the upstream client, then the actors on a thread of their own.
    pub fn start(log: Arc<EventLog>, config: RuntimeConfig) -> Result<Self, StartError> {
        let cache = Arc::new(Cache::start(&config.bridge)?);
        let (upstream, upstream_runtime) = Upstream::start(config.upstream)?;
        let journal = Journal::new(log, config.privacy)?;
        let (tx, rx) = std::sync::mpsc::channel();
        let (j, c, u) = (journal.clone(), cache.clone(), upstream.clone());
        let thread = std::thread::Builder::new().name("lantern-actors".into()).spawn(move || {
            let system = System::new();
            let addr = system.block_on(async move { Pipeline::new(j, c, u, config.settings).start() });
            let _ = tx.send((addr, System::current()));
            if let Err(e) = system.run() {
                tracing::error!(error = %e, "actor system stopped with an error");
            }
        })?;
        let (pipeline, system) = rx.recv().map_err(|_| StartError::System)?;
        let client = Client { pipeline, journal, cache, upstream };
        Ok(Runtime { client, system, thread: Some(thread), upstream: Some(upstream_runtime) })
    }

    /// A handle for a frontend.
    pub fn client(&self) -> Client {
        self.client.clone()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.client.journal.sync();
        self.system.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        drop(self.upstream.take());
    }
}

impl Client {
    /// Opens a session; its `SessionStarted` follows in the journal.
    pub fn open_session(&self, frontend: FrontendKind, workspace: Option<String>) -> SessionId {
        let session = SessionId::new();
        self.pipeline.do_send(OpenSession { session, frontend, workspace });
        session
    }

    /// Closes a session.
    pub fn close_session(&self, session: SessionId, reason: EndReason) {
        self.pipeline.do_send(CloseSession { session, reason });
    }

    /// Submits a prompt; follow `ask.request` in the journal.
    pub fn submit(&self, ask: Ask) {
        self.pipeline.do_send(SubmitPrompt(ask));
    }

    /// Submits a whole Messages request (`ask.prompt` is its last user
    /// turn's text). The answer, or its stream, comes on the returned
    /// channel; the chain is journaled as for [`Client::submit`]. With
    /// policy `Ask`, a decision is awaited from any frontend
    /// ([`Client::decide`]) until the pipeline's decision timeout, after
    /// which the original is sent.
    pub fn submit_proxied(&self, ask: Ask, proxied: Proxied) -> tokio::sync::mpsc::Receiver<Delivery> {
        let (reply, answers) = tokio::sync::mpsc::channel(32);
        self.pipeline.do_send(SubmitProxied { ask, proxied: Arc::new(proxied), reply });
        answers
    }

    /// The response cache, for what is not an event (its own statistics, health).
    pub fn cache(&self) -> &Arc<Cache> {
        &self.cache
    }

    /// The upstream client, for calls outside the pipeline (`count_tokens`)
    /// and its in-flight figures.
    pub fn upstream(&self) -> &Upstream {
        &self.upstream
    }

    /// Decides on a refinement awaiting a user.
    pub fn decide(&self, request: RequestId, decision: Decision) {
        self.pipeline.do_send(Decide { request, decision });
    }

    /// Takes (`use_cached`) or refuses a semantic offer awaiting a user.
    pub fn decide_offer(&self, request: RequestId, use_cached: bool) {
        self.pipeline.do_send(DecideOffer { request, use_cached });
    }

    /// Acts on a suggestion; `Sent`/`Edited` submit it as request `template.request`.
    pub fn act_on_suggestion(&self, offered_seq: u64, index: u8, action: SuggestionAction, template: Ask) {
        let (session, request) = (template.session, template.request);
        self.pipeline.do_send(ActOnSuggestion { session, offered_seq, index, action, request, template });
    }

    /// Judges a response; a wrong cached answer invalidates its entry.
    pub fn give_feedback(
        &self,
        session: SessionId,
        response_seq: u64,
        verdict: FeedbackVerdict,
        entry: Option<EntryId>,
    ) {
        self.pipeline.do_send(GiveFeedback { session, response_seq, verdict, entry });
    }

    /// Follows committed events from `from` on.
    pub fn subscribe(&self, from: u64) -> Subscription {
        self.journal.log().subscribe(from)
    }

    /// The next seq the log will commit (subscribe here to see only what follows).
    pub fn next_seq(&self) -> u64 {
        self.journal.log().last_seq().map_or(1, |s| s + 1)
    }

    /// Blocks until everything journaled so far is durable.
    pub fn sync(&self) {
        self.journal.sync();
    }
}

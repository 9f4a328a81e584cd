//! The running server: actix-web on a thread of its own, next to the actor
//! system, talking to it through the runtime's [`Client`].

use crate::config::{ServeConfig, ServeError};
use crate::journal_stats::JournalStats;
use crate::metrics::Metrics;
use crate::routes::{self, State};
use crate::tls;
use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use lantern_actors::runtime::Client;
use lantern_events::SessionId;
use lantern_events::schema::{EndReason, FrontendKind};
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

/// A listening proxy. Its requests form one journal session, opened at
/// start and closed when the server stops.
pub struct Server {
    addrs: Vec<SocketAddr>,
    handle: ServerHandle,
    thread: Option<JoinHandle<std::io::Result<()>>>,
    client: Client,
    session: SessionId,
    journal: Arc<JournalStats>,
}

impl Server {
    /// Checks `config`, binds and starts serving; returns once it listens.
    /// SIGINT and SIGTERM stop it gracefully.
    pub fn start(config: ServeConfig, client: Client) -> Result<Server, ServeError> {
        config.check()?;
        let tls = config.tls.as_ref().map(tls::server_config).transpose()?;
        let session = client.open_session(FrontendKind::Proxy, None);
        let journal = Arc::new(JournalStats::start(&client).map_err(|e| ServeError::Server(e.to_string()))?);
        let state = web::Data::new(State {
            client: client.clone(),
            session,
            config,
            metrics: Metrics::default(),
            journal: journal.clone(),
        });
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("lantern-http".into())
            .spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let (listen, workers) = (state.config.listen, state.config.workers.max(1));
                    let app_state = state.clone();
                    let server =
                        HttpServer::new(move || App::new().app_data(app_state.clone()).configure(routes::configure))
                            .on_connect(crate::peer::remember)
                            .workers(workers)
                            .shutdown_timeout(10);
                    let bound = match tls {
                        Some(tls) => server.bind_rustls_0_23(listen, tls),
                        None => server.bind(listen),
                    };
                    let server = match bound {
                        Ok(s) => s,
                        Err(source) => {
                            let _ = tx.send(Err(ServeError::Bind { addr: listen, source }));
                            return Ok(());
                        }
                    };
                    let addrs = server.addrs();
                    let running = server.run();
                    let handle = running.handle();
                    let serving = actix_web::rt::spawn(running);
                    // Its first polls install the SIGINT/SIGTERM handlers: only then
                    // is it announced, so that a signal right after never kills it.
                    for _ in 0..4 {
                        actix_web::rt::task::yield_now().await;
                    }
                    let _ = tx.send(Ok((addrs, handle)));
                    serving.await.unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())))
                })
            })
            .map_err(|e| ServeError::Server(e.to_string()))?;
        let started = rx.recv().map_err(|_| ServeError::Server("the server thread stopped at start".into()));
        let (addrs, handle) = match started.and_then(|r| r) {
            Ok(ok) => ok,
            Err(e) => {
                let _ = thread.join();
                journal.stop();
                client.close_session(session, EndReason::Shutdown);
                return Err(e);
            }
        };
        Ok(Server { addrs, handle, thread: Some(thread), client, session, journal })
    }

    /// The addresses it listens on (the port chosen when 0 was asked).
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// The pipeline's client: follow the proxy's requests in the journal,
    /// or decide on refinements awaiting a person (policy `Ask`).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The journal session the proxy's requests belong to.
    pub fn session(&self) -> SessionId {
        self.session
    }

    /// Blocks until the server stops (on SIGINT or SIGTERM).
    pub fn wait(mut self) -> Result<(), ServeError> {
        self.join()
    }

    /// Stops gracefully: requests in flight finish (10 s at most).
    pub fn stop(mut self) -> Result<(), ServeError> {
        drop(self.handle.stop(true));
        self.join()
    }

    fn join(&mut self) -> Result<(), ServeError> {
        let Some(thread) = self.thread.take() else { return Ok(()) };
        let outcome = match thread.join() {
            Ok(r) => r.map_err(|e| ServeError::Server(e.to_string())),
            Err(_) => Err(ServeError::Server("the server thread panicked".into())),
        };
        self.journal.stop();
        self.client.close_session(self.session, EndReason::Shutdown);
        outcome
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.thread.is_some() {
            drop(self.handle.stop(false));
            let _ = self.join();
        }
    }
}

//! The threads that own the embedded interpreter.

use super::BridgeError;
use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use pyo3::prelude::*;
use pyo3::types::PyModule;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use tokio::sync::{mpsc, oneshot};

/// How to start the bridge.
#[derive(Debug, Clone)]
pub struct BridgeConfig {
    /// The virtual environment with widget-log installed (`.venv`).
    pub venv: PathBuf,
    /// Overrides passed to `widget_log.bridge.initialize` (a JSON object).
    pub config_json: String,
    /// Bridge threads (1–8). Each holds the interpreter only while it runs Python.
    pub threads: usize,
}

enum Call {
    /// A function taking one optional string argument and returning a JSON string.
    Json { function: &'static str, arg: Option<String>, reply: Reply },
    /// `stream(request)`: each chunk is handed over before the next is pulled.
    Stream { request: String, chunks: ChunkSink },
}

/// Where streamed chunks go: a blocking iterator, or an async receiver.
enum ChunkSink {
    Blocking(Sender<Result<String, BridgeError>>),
    Async(mpsc::Sender<Result<String, BridgeError>>),
}

impl ChunkSink {
    /// Hands one chunk over with the interpreter released, so that a slow
    /// consumer never stalls the other bridge threads; `false` when the
    /// consumer has gone.
    fn send(&self, py: Python<'_>, chunk: Result<String, BridgeError>) -> bool {
        py.detach(|| match self {
            ChunkSink::Blocking(tx) => tx.send(chunk).is_ok(),
            ChunkSink::Async(tx) => tx.blocking_send(chunk).is_ok(),
        })
    }
}

/// Where an answer goes: a blocking caller waits on a crossbeam channel
/// (which spins briefly before parking, so back-to-back calls skip a
/// thread wake-up), an async caller awaits a oneshot.
enum Reply {
    Blocking(Sender<Result<String, BridgeError>>),
    Async(oneshot::Sender<Result<String, BridgeError>>),
}

impl Reply {
    fn send(self, answer: Result<String, BridgeError>) {
        match self {
            Reply::Blocking(tx) => {
                let _ = tx.send(answer);
            }
            Reply::Async(tx) => {
                let _ = tx.send(answer);
            }
        }
    }
}

/// A running bridge. Dropping it shuts Widget-Log down and joins the threads.
pub struct Bridge {
    tx: Option<Sender<Call>>,
    threads: Vec<JoinHandle<()>>,
}

/// Chunks of a streamed answer, pulled from Python one at a time.
pub struct ChunkStream(Receiver<Result<String, BridgeError>>);

impl Iterator for ChunkStream {
    type Item = Result<String, BridgeError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.0.recv().ok()
    }
}

fn py_err(function: &'static str) -> impl Fn(PyErr) -> BridgeError {
    move |e| BridgeError::Python { function, detail: e.to_string() }
}

/// Finds `<venv>/lib/pythonX.Y/site-packages` for the embedded X.Y.
fn site_packages(venv: &Path, embedded: &str) -> Result<PathBuf, BridgeError> {
    if !venv.is_dir() {
        return Err(BridgeError::VenvMissing { venv: venv.to_owned() });
    }
    let want = venv.join("lib").join(format!("python{embedded}")).join("site-packages");
    if want.is_dir() {
        return Ok(want);
    }
    let found = std::fs::read_dir(venv.join("lib"))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect::<Vec<_>>())
        .unwrap_or_default();
    Err(BridgeError::WrongPython {
        venv: venv.to_owned(),
        embedded: embedded.to_owned(),
        found: if found.is_empty() { "nothing".into() } else { found.join(", ") },
    })
}

/// Imports `widget_log.bridge` with the venv on `sys.path`.
fn import_bridge(py: Python<'_>, venv: &Path) -> Result<Py<PyModule>, BridgeError> {
    let v = py.version_info();
    let site_dir = site_packages(venv, &format!("{}.{}", v.major, v.minor))?;
    py.import("site")
        .and_then(|site| site.call_method1("addsitedir", (site_dir.to_string_lossy().into_owned(),)))
        .map_err(py_err("site.addsitedir"))?;
    py.import("widget_log.bridge")
        .map(Bound::unbind)
        .map_err(|e| BridgeError::WidgetLogMissing { venv: venv.to_owned(), detail: e.to_string() })
}

fn call_json(
    py: Python<'_>,
    module: &Py<PyModule>,
    function: &'static str,
    arg: Option<&str>,
) -> Result<String, BridgeError> {
    let m = module.bind(py);
    let out = match arg {
        Some(a) => m.call_method1(function, (a,)),
        None => m.call_method0(function),
    };
    out.and_then(|o| o.extract::<String>()).map_err(py_err(function))
}

fn stream(py: Python<'_>, module: &Py<PyModule>, request: &str, chunks: &ChunkSink) {
    let iter = module.bind(py).call_method1("stream", (request,)).and_then(|it| it.try_iter());
    let iter = match iter {
        Ok(it) => it,
        Err(e) => {
            chunks.send(py, Err(py_err("stream")(e)));
            return;
        }
    };
    for item in iter {
        let chunk = item.and_then(|c| c.extract::<String>()).map_err(py_err("stream"));
        let failed = chunk.is_err();
        // A consumer that went away ends the stream; Python's generator is closed when dropped.
        if !chunks.send(py, chunk) || failed {
            return;
        }
    }
}

fn serve(module: &Py<PyModule>, rx: &Receiver<Call>) {
    while let Ok(call) = rx.recv() {
        Python::attach(|py| match call {
            Call::Json { function, arg, reply } => reply.send(call_json(py, module, function, arg.as_deref())),
            Call::Stream { request, chunks } => stream(py, module, &request, &chunks),
        });
    }
}

impl Bridge {
    /// Starts the interpreter and Widget-Log; returns once `initialize` has answered.
    pub fn start(config: &BridgeConfig) -> Result<Self, BridgeError> {
        // Check the venv before starting Python, so the message is about the venv.
        if !config.venv.is_dir() {
            return Err(BridgeError::VenvMissing { venv: config.venv.clone() });
        }
        let (tx, rx) = unbounded::<Call>();
        let (ready_tx, ready_rx) = bounded::<Result<(), BridgeError>>(1);
        let mut threads = Vec::new();
        for i in 0..config.threads.clamp(1, 8) {
            let (rx, ready, venv, init) =
                (rx.clone(), ready_tx.clone(), config.venv.clone(), (i == 0).then(|| config.config_json.clone()));
            let spawned = std::thread::Builder::new().name(format!("lantern-py-{i}")).spawn(move || {
                let module = Python::attach(|py| -> Result<Py<PyModule>, BridgeError> {
                    let module = import_bridge(py, &venv)?;
                    if let Some(init) = init {
                        let answer = call_json(py, &module, "initialize", Some(&init))?;
                        check_initialized(&answer)?;
                    }
                    Ok(module)
                });
                match module {
                    Ok(m) => {
                        let _ = ready.send(Ok(()));
                        drop(ready);
                        serve(&m, &rx);
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                    }
                }
            });
            match spawned {
                Ok(h) => threads.push(h),
                Err(e) => return Err(BridgeError::Python { function: "thread spawn", detail: e.to_string() }),
            }
            // Start threads one at a time: the first imports and initialises.
            match ready_rx.recv() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    drop(tx);
                    for h in threads {
                        let _ = h.join();
                    }
                    return Err(e);
                }
                Err(_) => return Err(BridgeError::Stopped),
            }
        }
        Ok(Bridge { tx: Some(tx), threads })
    }

    fn send(&self, call: Call) -> Result<(), BridgeError> {
        self.tx.as_ref().ok_or(BridgeError::Stopped)?.send(call).map_err(|_| BridgeError::Stopped)
    }

    /// Blocking call; not for use inside an async runtime (use [`Bridge::call`]).
    fn json(&self, function: &'static str, arg: Option<String>) -> Result<String, BridgeError> {
        let (reply, answer) = bounded(1);
        self.send(Call::Json { function, arg, reply: Reply::Blocking(reply) })?;
        answer.recv().map_err(|_| BridgeError::Stopped)?
    }

    /// Calls a bridge function without blocking: `process`, `peek`, `stats`,
    /// `health`, `invalidate` or `count_tokens` (the ones taking at most one string).
    pub fn call(
        &self,
        function: &'static str,
        arg: Option<String>,
    ) -> impl std::future::Future<Output = Result<String, BridgeError>> + 'static {
        let (reply, answer) = oneshot::channel();
        let queued = self.send(Call::Json { function, arg, reply: Reply::Async(reply) });
        async move {
            queued?;
            answer.await.map_err(|_| BridgeError::Stopped)?
        }
    }

    /// `widget_log.bridge.process(request_json)`: cache lookup, then upstream on a miss.
    pub fn process(&self, request_json: &str) -> Result<String, BridgeError> {
        self.json("process", Some(request_json.to_owned()))
    }

    /// `widget_log.bridge.peek(request_json)`: what a lookup would find, changing nothing.
    pub fn peek(&self, request_json: &str) -> Result<String, BridgeError> {
        self.json("peek", Some(request_json.to_owned()))
    }

    /// `widget_log.bridge.stream(request_json)`: the SSE events, then a `lantern_result` chunk.
    pub fn stream(&self, request_json: &str) -> Result<ChunkStream, BridgeError> {
        let (chunks, rx) = bounded(0);
        self.send(Call::Stream { request: request_json.to_owned(), chunks: ChunkSink::Blocking(chunks) })?;
        Ok(ChunkStream(rx))
    }

    /// [`Bridge::stream`] for async callers: the chunks arrive on a channel
    /// (a few are buffered, so Python runs slightly ahead of a slow reader).
    pub fn stream_async(
        &self,
        request_json: String,
    ) -> Result<mpsc::Receiver<Result<String, BridgeError>>, BridgeError> {
        let (chunks, rx) = mpsc::channel(16);
        self.send(Call::Stream { request: request_json, chunks: ChunkSink::Async(chunks) })?;
        Ok(rx)
    }

    /// Cache statistics (JSON).
    pub fn stats(&self) -> Result<String, BridgeError> {
        self.json("stats", None)
    }

    /// Health (JSON).
    pub fn health(&self) -> Result<String, BridgeError> {
        self.json("health", None)
    }

    /// Invalidates a cache entry (a user said its answer was wrong).
    pub fn invalidate(&self, entry_id: &str) -> Result<String, BridgeError> {
        self.json("invalidate", Some(entry_id.to_owned()))
    }
}

fn check_initialized(answer: &str) -> Result<(), BridgeError> {
    let v: serde_json::Value = serde_json::from_str(answer)
        .map_err(|e| BridgeError::Python { function: "initialize", detail: format!("malformed answer: {e}") })?;
    if v["ok"].as_bool() == Some(true) {
        Ok(())
    } else {
        Err(BridgeError::Initialize(v["error"]["message"].as_str().unwrap_or(answer).to_owned()))
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if self.tx.is_some() {
            let _ = self.json("shutdown", None);
        }
        self.tx = None;
        for h in self.threads.drain(..) {
            let _ = h.join();
        }
    }
}

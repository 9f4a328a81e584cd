//! The threads that own the embedded interpreter.

use super::BridgeError;
use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use pyo3::prelude::*;
use pyo3::types::PyModule;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

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

/// The arguments of a bridge function: none, one or two strings.
pub(super) enum Args {
    None,
    One(String),
    Two(String, String),
}

/// What a bridge function returns: a JSON string, and for `lookup` the
/// stored answer's text too.
pub(super) type Answer = (String, Option<String>);

struct Call {
    function: &'static str,
    args: Args,
    reply: Reply,
}

/// Where an answer goes: a blocking caller waits on a crossbeam channel
/// (which spins briefly before parking, so back-to-back calls skip a
/// thread wake-up), an async caller awaits a oneshot.
enum Reply {
    Blocking(Sender<Result<Answer, BridgeError>>),
    Async(oneshot::Sender<Result<Answer, BridgeError>>),
}

impl Reply {
    fn send(self, answer: Result<Answer, BridgeError>) {
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
    initialized: serde_json::Value,
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

fn call(py: Python<'_>, module: &Py<PyModule>, function: &'static str, args: &Args) -> Result<Answer, BridgeError> {
    let m = module.bind(py);
    let out = match args {
        Args::None => m.call_method0(function),
        Args::One(a) => m.call_method1(function, (a.as_str(),)),
        Args::Two(a, b) => m.call_method1(function, (a.as_str(), b.as_str())),
    };
    let out = out.map_err(py_err(function))?;
    if let Ok(pair) = out.extract::<(String, Option<String>)>() {
        return Ok(pair);
    }
    out.extract::<String>().map(|s| (s, None)).map_err(py_err(function))
}

fn serve(module: &Py<PyModule>, rx: &Receiver<Call>) {
    while let Ok(Call { function, args, reply }) = rx.recv() {
        reply.send(Python::attach(|py| call(py, module, function, &args)));
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
        let (ready_tx, ready_rx) = bounded::<Result<Option<serde_json::Value>, BridgeError>>(1);
        let mut threads = Vec::new();
        let mut initialized = serde_json::Value::Null;
        for i in 0..config.threads.clamp(1, 8) {
            let (rx, ready, venv, init) =
                (rx.clone(), ready_tx.clone(), config.venv.clone(), (i == 0).then(|| config.config_json.clone()));
            let spawned = std::thread::Builder::new().name(format!("lantern-py-{i}")).spawn(move || {
                let module = Python::attach(|py| -> Result<_, BridgeError> {
                    let module = import_bridge(py, &venv)?;
                    let answer = match init {
                        Some(init) => Some(check_initialized(&call(py, &module, "initialize", &Args::One(init))?.0)?),
                        None => None,
                    };
                    Ok((module, answer))
                });
                match module {
                    Ok((m, answer)) => {
                        let _ = ready.send(Ok(answer));
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
                Ok(Ok(answer)) => {
                    if let Some(a) = answer {
                        initialized = a;
                    }
                }
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
        Ok(Bridge { tx: Some(tx), threads, initialized })
    }

    fn send(&self, call: Call) -> Result<(), BridgeError> {
        self.tx.as_ref().ok_or(BridgeError::Stopped)?.send(call).map_err(|_| BridgeError::Stopped)
    }

    /// What `initialize` answered.
    pub(super) fn initialized(&self) -> &serde_json::Value {
        &self.initialized
    }

    /// Calls a bridge function and blocks for its answer; not for use
    /// inside an async runtime (use [`Bridge::call`]).
    pub(super) fn call_blocking(&self, function: &'static str, args: Args) -> Result<Answer, BridgeError> {
        let (reply, answer) = bounded(1);
        self.send(Call { function, args, reply: Reply::Blocking(reply) })?;
        answer.recv().map_err(|_| BridgeError::Stopped)?
    }

    /// Calls a bridge function without blocking.
    pub(super) fn call(
        &self,
        function: &'static str,
        args: Args,
    ) -> impl std::future::Future<Output = Result<Answer, BridgeError>> + Send + use<> {
        let (reply, answer) = oneshot::channel();
        let queued = self.send(Call { function, args, reply: Reply::Async(reply) });
        async move {
            queued?;
            answer.await.map_err(|_| BridgeError::Stopped)?
        }
    }
}

fn check_initialized(answer: &str) -> Result<serde_json::Value, BridgeError> {
    let v: serde_json::Value = serde_json::from_str(answer)
        .map_err(|e| BridgeError::Python { function: "initialize", detail: format!("malformed answer: {e}") })?;
    if v["ok"].as_bool() == Some(true) {
        Ok(v)
    } else {
        Err(BridgeError::Initialize(v["error"]["message"].as_str().unwrap_or(answer).to_owned()))
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if self.tx.is_some() {
            let _ = self.call_blocking("shutdown", Args::None);
        }
        self.tx = None;
        for h in self.threads.drain(..) {
            let _ = h.join();
        }
    }
}

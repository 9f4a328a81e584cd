//! The checkout's venv and the fake Anthropic server, for every crate's
//! integration tests (frontends/http includes this file by path).

use lantern_actors::upstream::{ApiKey, Provider, RetryPolicy, UpstreamConfig};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The checkout's `.venv` (made by `make setup`).
pub fn venv() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = crate_dir.ancestors().find(|d| d.join("Cargo.lock").exists()).unwrap_or(crate_dir);
    root.join(".venv")
}

/// `python -m widget_log.testing.fake_anthropic` on a free loopback port; killed on drop.
pub struct Fake {
    child: Child,
    /// Its base URL.
    pub url: String,
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the fake and waits until it listens.
pub fn fake() -> Fake {
    let mut child = Command::new(venv().join("bin/python"))
        .args(["-m", "widget_log.testing.fake_anthropic", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    Fake { child, url }
}

/// The fake as an Anthropic upstream with `key`, without retries.
pub fn anthropic(url: &str, key: &str) -> UpstreamConfig {
    let provider =
        Provider::Anthropic { base_url: url.into(), api_key: ApiKey::new(key), version: "2023-06-01".into() };
    UpstreamConfig { retry: RetryPolicy::NONE, ..UpstreamConfig::new(provider) }
}

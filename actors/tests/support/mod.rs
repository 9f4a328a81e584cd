//! Shared by the integration tests: the venv and the fake Anthropic server.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The checkout's `.venv` (made by `make setup`).
pub fn venv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv")
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

use lantern_actors::pipeline::Ask;
use lantern_events::schema::{ApprovalPolicy, Event, FrontendKind, PromptContext, PromptOrigin};
use lantern_events::{Recv, RequestId, SessionId, Subscription};
use std::time::Duration;

/// A typed CLI prompt under `policy`, with a fresh request id.
pub fn ask(session: SessionId, prompt: &str, policy: ApprovalPolicy) -> Ask {
    Ask {
        session,
        request: RequestId::new(),
        prompt: prompt.into(),
        model: "claude-sonnet-4-5".into(),
        context: PromptContext::default(),
        origin: PromptOrigin::Typed,
        policy,
        frontend: FrontendKind::Cli,
    }
}

/// The first event of `request` that `pick` accepts (30 s at most).
pub fn first_of<T>(sub: &mut Subscription, request: RequestId, pick: impl Fn(&Event) -> Option<T>) -> T {
    loop {
        let Recv::Event(e) = sub.recv_timeout(Duration::from_secs(30)).unwrap() else {
            panic!("nothing came for {request}")
        };
        if e.request == Some(request)
            && let Some(t) = pick(&e.event)
        {
            return t;
        }
    }
}

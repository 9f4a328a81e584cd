//! Shared by the integration tests: the venv and the fake Anthropic server.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

mod chains;
mod files;
mod upstream;

#[allow(unused_imports)]
pub use chains::{chain, ended, kinds, run, runtime, wait_for};
#[allow(unused_imports)] // not every test binary that includes this module uses them all
pub use files::{files_under, found_under};
#[allow(unused_imports)]
pub use upstream::{Fake, anthropic, fake, venv};

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

/// What the fake upstream has received (its `GET /_fake/requests`), as text.
pub fn fake_received(fake: &Fake) -> String {
    use std::io::{Read, Write};
    let addr = fake.url.trim_start_matches("http://");
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    write!(conn, "GET /_fake/requests HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut body = String::new();
    conn.read_to_string(&mut body).unwrap();
    body
}

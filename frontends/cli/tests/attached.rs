//! Every reading command, and `ask`, while `lantern serve` holds the data
//! dir: they go through its control endpoint and print what they print on
//! the file itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use lantern_events::{EventLog, LOG_FILE};
use lantern_replay::synthetic::{Plan, events};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::{lantern, stderr, stdout};

/// A running `lantern serve`, killed if a test fails while it runs.
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `lantern serve --offline` on `dir`, once it says it is listening.
fn serve(dir: &Path) -> Serving {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lantern"))
        .arg("--data-dir")
        .arg(dir)
        .args(["serve", "--offline", "--listen", "127.0.0.1:0"])
        .env_remove("LANTERN_DATA_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(Instant::now() < deadline, "serve did not start");
        let line = lines.next().expect("serve exited before it was ready").unwrap();
        if line.contains("go through") {
            break;
        }
    }
    // Keep draining its output so that it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Serving(child)
}

/// Sends `sig` and waits for the exit; whether it exited with success.
fn stop(server: &mut Serving, sig: &str) -> bool {
    let ok = Command::new("kill").args([sig, &server.0.id().to_string()]).status().unwrap().success();
    assert!(ok, "kill {sig} failed");
    server.0.wait().unwrap().success()
}

/// Each command as run, and what it wrote (stdout, exit status, files).
struct Ran {
    args: Vec<String>,
    output: Output,
    files: Vec<(String, Vec<u8>)>,
}

/// The commands a user runs on a data dir, with exports under `out`.
fn commands(session: &str, out: &Path) -> Vec<Vec<String>> {
    let mut c: Vec<Vec<String>> = [
        &["sessions"][..],
        &["sessions", "--json"],
        &["stats", "--no-cache-stats"],
        &["stats", "--json", "--no-cache-stats"],
        &["stats", "--no-cache-stats", "--session", session],
        &["replay", "show", &session[..13]],
        &["replay", "show", session, "--json"],
        &["replay", "show", session, "--events"],
        &["replay", "verify"],
        &["replay", "verify", "--json"],
        &["replay", "sessions"],
    ]
    .iter()
    .map(|a| a.iter().map(|s| s.to_string()).collect())
    .collect();
    for kind in ["preferences", "sft", "routing", "suggestions"] {
        for format in ["jsonl", "parquet"] {
            let dir = out.join(format!("{kind}-{format}"));
            c.push(
                ["export", "--kind", kind, "--format", format, "--out", dir.to_str().unwrap()]
                    .map(String::from)
                    .to_vec(),
            );
        }
    }
    c
}

fn run_all(dir: &Path, session: &str, out: &Path) -> Vec<Ran> {
    commands(session, out)
        .into_iter()
        .map(|args| {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            let output = lantern(dir, &refs);
            let files = match args.iter().position(|a| a == "--out") {
                Some(i) => read_tree(&PathBuf::from(&args[i + 1])),
                None => Vec::new(),
            };
            Ran { args, output, files }
        })
        .collect()
}

fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> =
        std::fs::read_dir(dir).map(|rd| rd.map(|e| e.unwrap().path()).collect()).unwrap_or_else(|_| Vec::new());
    files.sort();
    files
        .into_iter()
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect()
}

/// A consistent copy of a held log, as a crash at this instant would leave
/// it (the holder is idle), recovered by a writable open.
fn snapshot(data: &Path, into: &Path) {
    std::fs::create_dir_all(into).unwrap();
    std::fs::copy(data.join(LOG_FILE), into.join(LOG_FILE)).unwrap();
    drop(EventLog::open(&into.join(LOG_FILE)).unwrap());
}

#[test]
fn with_serve_running_every_command_goes_through_it_and_prints_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    EventLog::open(&data.join(LOG_FILE)).unwrap().append_batch(events(&Plan::new(3, 6, 4))).unwrap();
    let session = {
        let log = EventLog::open_read_only(&data.join(LOG_FILE)).unwrap();
        log.sessions().unwrap()[1].session.to_string()
    };

    let mut server = serve(&data);
    // Without the endpoint this fails: the log is held.
    let asked = lantern(&data, &["ask", "How do I parse JSON in Go?", "--approve", "accept", "--offline"]);
    assert!(asked.status.success(), "{}", stderr(&asked));
    assert!(stderr(&asked).contains("asking through the Lantern serving"), "{}", stderr(&asked));
    assert!(stdout(&asked).contains("Answer"), "{}", stdout(&asked));
    let with_cache = lantern(&data, &["stats"]);
    assert!(with_cache.status.success(), "{}", stderr(&with_cache));
    assert!(stdout(&with_cache).contains("cache store: "), "{}", stdout(&with_cache));

    let attached = run_all(&data, &session, &tmp.path().join("attached"));
    let copy = tmp.path().join("copy");
    snapshot(&data, &copy);
    let direct = run_all(&copy, &session, &tmp.path().join("direct"));

    for (a, d) in attached.iter().zip(&direct) {
        let shown = a.args.join(" ");
        assert!(a.output.status.success(), "attached `{shown}`: {}", stderr(&a.output));
        assert_eq!(a.output.status.code(), d.output.status.code(), "`{shown}`");
        let (a_out, d_out) = (stdout(&a.output), stdout(&d.output));
        // Exports name the data dir they read and the directory they wrote
        // to (in their output and dataset card); everything else is equal.
        let same_paths = |text: &str| {
            text.replace(tmp.path().join("direct").to_str().unwrap(), tmp.path().join("attached").to_str().unwrap())
                .replace(copy.to_str().unwrap(), data.to_str().unwrap())
        };
        let d_out = same_paths(&d_out);
        assert_eq!(a_out, d_out, "`{shown}` printed something else through serve");
        assert_eq!(a.files.len(), d.files.len(), "`{shown}`");
        for ((an, ab), (dn, db)) in a.files.iter().zip(&d.files) {
            assert_eq!(an, dn);
            let db = &match std::str::from_utf8(db) {
                Ok(text) => same_paths(text).into_bytes(),
                Err(_) => db.clone(),
            };
            let first_difference = String::from_utf8_lossy(ab)
                .lines()
                .zip(String::from_utf8_lossy(db).lines())
                .find(|(a, d)| a != d)
                .map(|(a, d)| format!("through serve: {a}\ndirect:        {d}"));
            assert!(ab == db, "`{shown}`: {an} differs\n{}", first_difference.unwrap_or_default());
        }
    }
    // The ask went into the running server's journal.
    let listed = stdout(&attached[1].output);
    assert!(listed.lines().any(|l| l.contains("\"frontend\":\"Cli\"") && l.contains("\"prompts\":1")), "{listed}");

    // Stopping the server removes its socket; commands then open the file.
    assert!(stop(&mut server, "-TERM"), "serve exits cleanly on SIGTERM");
    assert!(!data.join("control.sock").exists());
    let after = lantern(&data, &["sessions"]);
    assert!(after.status.success(), "{}", stderr(&after));
}

#[test]
fn a_socket_left_by_a_killed_server_is_cleaned_up_with_a_message() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    EventLog::open(&data.join(LOG_FILE)).unwrap().append_batch(events(&Plan::new(1, 2, 2))).unwrap();
    let mut server = serve(&data);
    stop(&mut server, "-KILL");
    assert!(data.join("control.sock").exists(), "kill -9 leaves the socket");

    let o = lantern(&data, &["sessions"]);
    assert!(
        stderr(&o).contains("control.sock was left by a Lantern that stopped without closing it"),
        "{}",
        stderr(&o)
    );
    // The log itself was not closed either; the message says how it recovers.
    assert!(stderr(&o).contains("not closed cleanly"), "{}", stderr(&o));
    assert!(data.join("control.sock").exists(), "only a holder of the log removes it");

    // A new server takes over (recovering the log and replacing the socket), and is found again.
    let mut again = serve(&data);
    let o = lantern(&data, &["sessions"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("left by a Lantern"), "{}", stderr(&o));
    assert!(stop(&mut again, "-TERM"));
    assert!(!data.join("control.sock").exists());

    // A stale socket over a log that was closed cleanly: a reader removes it.
    drop(std::os::unix::net::UnixListener::bind(data.join("control.sock")).unwrap());
    let o = lantern(&data, &["sessions"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("removed") && stderr(&o).contains("control.sock, left by a Lantern"), "{}", stderr(&o));
    assert!(!data.join("control.sock").exists());
}

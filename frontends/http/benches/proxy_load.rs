//! `lantern serve` under load, each phase measured side by side with the
//! same load sent straight to the fake upstream, in one run:
//!
//! - **slow misses**: 500 concurrent requests whose upstream answers after
//!   10 s (wall time, and the server's RSS growth);
//! - **misses**: 50 keep-alive clients, an instant upstream, a new prompt
//!   each time (throughput, p50/p99, and Lantern's added latency);
//! - **hits**: 50 keep-alive clients repeating cached prompts;
//! - **first byte**: a streamed miss, time to its first event.
//!
//!     cargo build --release -p lantern && cargo bench -p lantern-http --bench proxy_load
//!
//! (`make bench-proxy` does both.) The server is the release `lantern serve`
//! binary in its own process, on its defaults (exact matches only, policy
//! `original`); the fake and the clients share the same two cores.
//! `LANTERN_BENCH_SECONDS` (default 20), `LANTERN_BENCH_CLIENTS` (50),
//! `LANTERN_BENCH_SLOW` (500 requests) and `LANTERN_BENCH_DELAY` (10 s)
//! change the run.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../../actors/tests/support/upstream.rs"]
#[allow(dead_code)]
mod upstream;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A bound on each client's loop, whatever the clock says.
const MAX_PER_CLIENT: usize = 1_000_000;
/// Distinct prompts the hit phase cycles through.
const HOT_PROMPTS: usize = 64;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Where requests go: Lantern (with its token) or the fake directly.
#[derive(Clone)]
struct Target {
    addr: SocketAddr,
    token: String,
}

/// One keep-alive connection.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

/// What a reply said.
struct Reply {
    status: u16,
    cache: String,
    /// Time from the request's last byte to the first byte of the body.
    first_byte: Duration,
}

impl Conn {
    fn open(addr: SocketAddr) -> Conn {
        let s = TcpStream::connect(addr).unwrap();
        s.set_nodelay(true).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
        Conn { reader: BufReader::new(s.try_clone().unwrap()), writer: s }
    }

    fn post(&mut self, t: &Target, prompt: &str, stream: bool, fault: &str) -> std::io::Result<Reply> {
        let body = serde_json::json!({"model": "claude-sonnet-4-5", "max_tokens": 256, "stream": stream,
            "messages": [{"role": "user", "content": prompt}]})
        .to_string();
        let fault = if fault.is_empty() { String::new() } else { format!("x-fake-fault: {fault}\r\n") };
        write!(
            self.writer,
            "POST /v1/messages HTTP/1.1\r\nHost: bench\r\nx-api-key: {}\r\ncontent-type: application/json\r\n\
             {fault}content-length: {}\r\n\r\n{body}",
            t.token,
            body.len()
        )?;
        let sent = Instant::now();
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status = line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let (mut length, mut chunked, mut cache) = (None, false, String::new());
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                match k.to_ascii_lowercase().as_str() {
                    "content-length" => length = v.trim().parse().ok(),
                    "transfer-encoding" => chunked = v.trim().eq_ignore_ascii_case("chunked"),
                    "x-lantern-cache" => cache = v.trim().to_owned(),
                    _ => {}
                }
            }
        }
        let mut first_byte = None;
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                first_byte.get_or_insert_with(|| sent.elapsed());
                let size = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
                let mut chunk = vec![0; size + 2];
                self.reader.read_exact(&mut chunk)?;
                if size == 0 {
                    break;
                }
            }
        } else {
            let mut body = vec![0; length.unwrap_or(0)];
            self.reader.read_exact(&mut body)?;
            first_byte = Some(sent.elapsed());
        }
        Ok(Reply { status, cache, first_byte: first_byte.unwrap_or_default() })
    }
}

struct Phase {
    latencies: Vec<Duration>,
    errors: usize,
    elapsed: Duration,
}

impl Phase {
    fn pct(&self, p: f64) -> f64 {
        let s = &self.latencies;
        if s.is_empty() {
            return f64::NAN;
        }
        let i = ((s.len() as f64 * p).ceil() as usize).clamp(1, s.len()) - 1;
        s[i].as_secs_f64() * 1e3
    }

    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn report(&self, name: &str) {
        println!(
            "{name:<24} {:>8} ok {:>5} errors {:>9.1} req/s   p50 {:>8.2} ms   p99 {:>8.2} ms   max {:>8.2} ms",
            self.latencies.len(),
            self.errors,
            self.rate(),
            self.pct(0.50),
            self.pct(0.99),
            self.pct(1.0),
        );
    }
}

/// `clients` threads sending `prompt(client, i)` back to back until
/// `seconds` pass; a reply that is not a 200 (with `expect` as its cache
/// header, when Lantern answers) is an error.
fn run(t: &Target, clients: usize, seconds: u64, expect: &'static str, prompt: fn(usize, usize) -> String) -> Phase {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let t = t.clone();
            std::thread::spawn(move || {
                let mut conn = Conn::open(t.addr);
                let (mut lat, mut errors) = (Vec::new(), 0);
                for i in 0..MAX_PER_CLIENT {
                    if Instant::now() >= deadline {
                        break;
                    }
                    let start = Instant::now();
                    match conn.post(&t, &prompt(c, i), false, "") {
                        Ok(r) if r.status == 200 && (expect.is_empty() || r.cache == expect) => {
                            lat.push(start.elapsed())
                        }
                        Ok(_) => errors += 1,
                        Err(_) => {
                            errors += 1;
                            conn = Conn::open(t.addr);
                        }
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    collect(threads, started)
}

fn collect(threads: Vec<std::thread::JoinHandle<(Vec<Duration>, usize)>>, started: Instant) -> Phase {
    let mut phase = Phase { latencies: Vec::new(), errors: 0, elapsed: Duration::ZERO };
    for t in threads {
        let (lat, errors) = t.join().unwrap();
        phase.latencies.extend(lat);
        phase.errors += errors;
    }
    phase.elapsed = started.elapsed();
    phase.latencies.sort();
    phase
}

/// `n` requests at once, each on its own connection, each answered by the
/// upstream after `delay` seconds.
fn slow(t: &Target, n: usize, delay: u64, tag: &'static str) -> Phase {
    let started = Instant::now();
    let fault: &'static str = Box::leak(format!("delay={delay}").into_boxed_str());
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let t = t.clone();
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || {
                    let start = Instant::now();
                    let ok = Conn::open(t.addr)
                        .post(&t, &format!("{tag} slow question {i} {}", std::process::id()), false, fault)
                        .is_ok_and(|r| r.status == 200);
                    if ok { (vec![start.elapsed()], 0) } else { (Vec::new(), 1) }
                })
                .unwrap()
        })
        .collect();
    collect(threads, started)
}

/// Time to the first byte of `n` streamed misses, one after another.
fn first_bytes(t: &Target, n: usize, tag: &str) -> Vec<Duration> {
    let mut conn = Conn::open(t.addr);
    let mut out: Vec<Duration> = (0..n)
        .map(|i| conn.post(t, &format!("{tag} streamed {i} {}", std::process::id()), true, "").unwrap().first_byte)
        .collect();
    out.sort();
    out
}

fn hot(c: usize, i: usize) -> String {
    format!("How do I reverse a list in Python, variant {}?", (c + i) % HOT_PROMPTS)
}

fn cold(c: usize, i: usize) -> String {
    format!("Unique question {c}-{i}: what does error {} mean in service {c}?", i * 7919 + c)
}

fn cold_direct(c: usize, i: usize) -> String {
    format!("Direct question {c}-{i}: what does error {} mean?", i * 7919 + c)
}

/// The release `lantern serve`, in its own process.
struct Lantern {
    child: Child,
    target: Target,
}

impl Drop for Lantern {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn lantern(dir: &Path, fake_url: &str) -> Lantern {
    let bin = root().join("target/release/lantern");
    assert!(bin.is_file(), "build it first: cargo build --release -p lantern");
    let mut child = Command::new(bin)
        .args(["--data-dir", &dir.display().to_string(), "serve", "--listen", "127.0.0.1:0"])
        .args(["--upstream-url", fake_url, "--max-in-flight", "2048", "--venv"])
        .arg(root().join(".venv"))
        .env("ANTHROPIC_API_KEY", "sk-ant-api03-BENCHkey0123456789abcdefghij")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut line).unwrap();
    // Keep reading what it prints after, so that it never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let addr = line.trim().rsplit("//").next().unwrap().parse().unwrap();
    let token = std::fs::read_to_string(dir.join("proxy-token")).unwrap().trim().to_owned();
    Lantern { child, target: Target { addr, token } }
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1e3
}

fn main() {
    let seconds = env_or("LANTERN_BENCH_SECONDS", 20);
    let clients = env_or("LANTERN_BENCH_CLIENTS", 50) as usize;
    let (n_slow, delay) = (env_or("LANTERN_BENCH_SLOW", 500) as usize, env_or("LANTERN_BENCH_DELAY", 10));
    let dir = tempfile::tempdir().unwrap();
    let fake = upstream::fake();
    let direct = Target { addr: fake.url.trim_start_matches("http://").parse().unwrap(), token: "direct".into() };
    let server = lantern(dir.path(), &fake.url);
    let l = server.target.clone();
    println!("lantern serve (release) on {}, the fake on {}, loopback, 2 cores shared by all", l.addr, direct.addr);

    // Slow misses: hundreds in flight at once.
    let rss_before = rss_kib(server.child.id());
    let pid = server.child.id();
    let peak = std::thread::spawn(move || {
        let (mut peak, until) = (0, Instant::now() + Duration::from_secs(delay + 5));
        while Instant::now() < until {
            peak = peak.max(rss_kib(pid));
            std::thread::sleep(Duration::from_millis(100));
        }
        peak
    });
    let through = slow(&l, n_slow, delay, "lantern");
    let peak = peak.join().unwrap();
    through.report(&format!("{n_slow} misses of {delay} s, lantern"));
    println!(
        "{:<24} wall {:.2} s; lantern RSS {} MiB before, {} MiB at peak (+{} MiB)",
        "",
        through.elapsed.as_secs_f64(),
        rss_before / 1024,
        peak / 1024,
        peak.saturating_sub(rss_before) / 1024
    );
    let straight = slow(&direct, n_slow, delay, "direct");
    straight.report(&format!("{n_slow} misses of {delay} s, direct"));
    println!("{:<24} wall {:.2} s", "", straight.elapsed.as_secs_f64());

    // Instant misses, keep-alive clients.
    let misses = run(&l, clients, seconds, "miss", cold);
    misses.report("misses, lantern");
    let direct_misses = run(&direct, clients, seconds, "", cold_direct);
    direct_misses.report("misses, direct");
    println!("{:<24} added latency p50 {:.2} ms", "", misses.pct(0.5) - direct_misses.pct(0.5));

    // Hits.
    let mut warm = Conn::open(l.addr);
    for p in 0..HOT_PROMPTS {
        assert_eq!(warm.post(&l, &hot(p, 0), false, "").unwrap().status, 200, "warm-up failed");
    }
    run(&l, clients, seconds, "hit-exact", hot).report("hits, lantern");

    // Time to the first event of a streamed miss.
    let n = 300;
    let (tl, td) = (first_bytes(&l, n, "lantern"), first_bytes(&direct, n, "direct"));
    println!(
        "first byte of a streamed miss ({n} sequential): lantern p50 {:.2} ms, direct p50 {:.2} ms, added {:.2} ms (p99 {:.2} vs {:.2})",
        pct(&tl, 0.5),
        pct(&td, 0.5),
        pct(&tl, 0.5) - pct(&td, 0.5),
        pct(&tl, 0.99),
        pct(&td, 0.99)
    );
}

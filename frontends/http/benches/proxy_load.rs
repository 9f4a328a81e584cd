//! Load on `lantern serve`'s code over loopback: 50 clients with keep-alive
//! connections, each sending requests back to back for a fixed time (the
//! loops stop by themselves), first all cache hits, then all misses
//! answered by the fake upstream. Prints throughput and latency percentiles.
//!
//!     cargo bench -p lantern-http --bench proxy_load
//!
//! `LANTERN_BENCH_SECONDS` (default 30) and `LANTERN_BENCH_CLIENTS` (default
//! 50) change the run.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/support/mod.rs"]
mod support;

use lantern_http::{ServeConfig, Server, Token};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

const TOKEN: &str = "lantern-bench-token";
/// A bound on each client's loop, whatever the clock says.
const MAX_PER_CLIENT: usize = 200_000;
/// Distinct prompts the hit phase cycles through.
const HOT_PROMPTS: usize = 64;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// One keep-alive connection.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    fn open(addr: SocketAddr) -> Conn {
        let s = TcpStream::connect(addr).unwrap();
        s.set_nodelay(true).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
        Conn { reader: BufReader::new(s.try_clone().unwrap()), writer: s }
    }

    /// Posts a prompt; returns the status and the `x-lantern-cache` header.
    fn post(&mut self, prompt: &str) -> std::io::Result<(u16, String)> {
        let body = serde_json::json!({"model": "claude-sonnet-4-5", "max_tokens": 256,
            "messages": [{"role": "user", "content": prompt}]})
        .to_string();
        write!(
            self.writer,
            "POST /v1/messages HTTP/1.1\r\nHost: bench\r\nx-api-key: {TOKEN}\r\ncontent-type: application/json\r\n\
             content-length: {}\r\n\r\n{body}",
            body.len()
        )?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status = line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let (mut length, mut cache) = (0usize, String::new());
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                match k.to_ascii_lowercase().as_str() {
                    "content-length" => length = v.trim().parse().unwrap_or(0),
                    "x-lantern-cache" => cache = v.trim().to_owned(),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        Ok((status, cache))
    }
}

struct Phase {
    latencies: Vec<Duration>,
    errors: usize,
    elapsed: Duration,
}

/// `clients` threads sending `prompt(client, i)` until `seconds` pass; a
/// reply that is not a 200 with `expect` as its cache header is an error.
fn run(
    addr: SocketAddr,
    clients: usize,
    seconds: u64,
    expect: &'static str,
    prompt: fn(usize, usize) -> String,
) -> Phase {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            std::thread::spawn(move || {
                let mut conn = Conn::open(addr);
                let (mut lat, mut errors) = (Vec::new(), 0);
                for i in 0..MAX_PER_CLIENT {
                    if Instant::now() >= deadline {
                        break;
                    }
                    let t = Instant::now();
                    match conn.post(&prompt(c, i)) {
                        Ok((200, cache)) if cache == expect => lat.push(t.elapsed()),
                        Ok(_) => errors += 1,
                        Err(_) => {
                            errors += 1;
                            conn = Conn::open(addr);
                        }
                    }
                }
                (lat, errors)
            })
        })
        .collect();
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

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1e3
}

fn report(name: &str, p: &Phase) {
    let n = p.latencies.len();
    println!(
        "{name:<6} {n:>8} ok {:>4} errors {:>9.1} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms",
        p.errors,
        n as f64 / p.elapsed.as_secs_f64(),
        pct(&p.latencies, 0.50),
        pct(&p.latencies, 0.99),
        pct(&p.latencies, 1.0),
    );
}

fn hot(c: usize, i: usize) -> String {
    format!("How do I reverse a list in Python, variant {}?", (c + i) % HOT_PROMPTS)
}

fn cold(c: usize, i: usize) -> String {
    format!("Unique question {c}-{i}: what does error {} mean in service {c}?", i * 7919 + c)
}

fn main() {
    // `cargo bench` passes --bench; nothing else is read from the command line.
    let (seconds, clients) = (env_or("LANTERN_BENCH_SECONDS", 30), env_or("LANTERN_BENCH_CLIENTS", 50) as usize);
    let dir = tempfile::tempdir().unwrap();
    let fake = support::fake();
    let (_log, runtime) = support::runtime(dir.path(), &fake, Duration::from_secs(120));
    let mut config = ServeConfig::new(Token::new(TOKEN));
    config.listen = "127.0.0.1:0".parse().unwrap();
    let server = Server::start(config, runtime.client()).unwrap();
    let addr = server.addrs()[0];

    let mut warm = Conn::open(addr);
    for p in 0..HOT_PROMPTS {
        let (status, _) = warm.post(&hot(p, 0)).unwrap();
        assert_eq!(status, 200, "warm-up failed");
    }
    println!("lantern serve on {addr}: {clients} clients, {seconds} s per phase, keep-alive, loopback");
    let hits = run(addr, clients, seconds, "hit-exact", hot);
    report("hits", &hits);
    let misses = run(addr, clients, seconds, "miss", cold);
    report("misses", &misses);
    server.stop().unwrap();
    drop(runtime);
}

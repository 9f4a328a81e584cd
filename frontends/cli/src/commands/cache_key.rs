//! `lantern cache-key`: the cache key of a request, and why two requests do
//! not share one.
//!
//! A file holds a Messages body, or a capture `{"body": .., "headers": ..,
//! "query": ..}` (headers as a name → value object). Two files: whether
//! they share a fingerprint, and if not, which fields differ once the
//! answer-neutral ones (`stream`, `metadata`, `cache_control`) are left out.

use anyhow::Context;
use lantern_actors::cache_bridge::{CacheKey, key};
use lantern_actors::upstream::Header;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Options of `lantern cache-key`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A request body or capture (JSON).
    file: PathBuf,
    /// A second one to compare with.
    other: Option<PathBuf>,
    /// The namespace of the exact key.
    #[arg(long, default_value = "default")]
    namespace: String,
}

struct Request {
    body: Value,
    headers: Vec<Header>,
    query: String,
}

fn read(path: &Path) -> anyhow::Result<Request> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let v: Value = serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    if v["messages"].is_array() {
        return Ok(Request { body: v, headers: Vec::new(), query: String::new() });
    }
    anyhow::ensure!(v["body"].is_object(), "{}: neither a Messages body nor a capture with a body", path.display());
    let headers = v["headers"]
        .as_object()
        .map(|h| {
            h.iter().filter_map(|(k, v)| Some((k.to_ascii_lowercase(), v.as_str()?.as_bytes().to_vec()))).collect()
        })
        .unwrap_or_default();
    let query = v["query"].as_str().unwrap_or_default().to_owned();
    Ok(Request { body: v["body"].clone(), headers, query })
}

fn describe(path: &Path, r: &Request, namespace: &str, out: &mut impl Write) -> anyhow::Result<CacheKey> {
    let fp = key::fingerprint(&r.body, &r.headers, &r.query);
    let k = CacheKey::new(namespace, &fp, &r.body);
    writeln!(out, "{}", path.display())?;
    writeln!(out, "  fingerprint {}", k.fingerprint.0)?;
    writeln!(out, "  exact key   {}", k.exact)?;
    let excerpt: String = k.text.chars().take(80).collect();
    writeln!(out, "  last user text ({} chars): {excerpt:?}", k.text.chars().count())?;
    Ok(k)
}

/// Runs `lantern cache-key`.
pub fn run(args: &Args, out: &mut impl Write) -> anyhow::Result<()> {
    let a = read(&args.file)?;
    let ka = describe(&args.file, &a, &args.namespace, out)?;
    let Some(other) = &args.other else { return Ok(()) };
    let b = read(other)?;
    let kb = describe(other, &b, &args.namespace, out)?;
    if ka.fingerprint == kb.fingerprint {
        let same = if ka.exact == kb.exact { "and the same exact key" } else { "but different last user texts" };
        writeln!(out, "same fingerprint, {same}")?;
        return Ok(());
    }
    writeln!(out, "different fingerprints; what differs (answer-neutral fields left out):")?;
    let mut fields = key::differences(&a.body, &b.body);
    for name in key::KEYED_HEADERS {
        let get = |h: &[Header]| lantern_actors::upstream::headers::get(h, name).map(str::to_owned);
        if get(&a.headers) != get(&b.headers) {
            fields.push(format!("header {name}"));
        }
    }
    if a.query != b.query {
        fields.push("query string".into());
    }
    for f in fields {
        writeln!(out, "  {f}")?;
    }
    Ok(())
}

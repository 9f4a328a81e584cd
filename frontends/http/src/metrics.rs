//! What the proxy counts: requests by route and status, cache results,
//! latency histograms for hits and misses, and the upstream calls in flight,
//! queued and refused. Shown as JSON (`/stats`) and in Prometheus' text
//! format (`/metrics`).

use lantern_actors::cache_bridge::CacheStats;
use lantern_actors::upstream::LimitStats;
use lantern_events::schema::{CacheOutcome, MissReason};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What the cache did for a request (the `x-lantern-cache` header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheResult {
    /// Exact match served.
    HitExact,
    /// Verified semantic match served.
    HitSemantic,
    /// Looked up, nothing served.
    Miss,
    /// Not looked up (`no-cache`, or the cache is off).
    Bypass,
}

const RESULTS: [CacheResult; 4] =
    [CacheResult::HitExact, CacheResult::HitSemantic, CacheResult::Miss, CacheResult::Bypass];

impl CacheResult {
    /// Its header value.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheResult::HitExact => "hit-exact",
            CacheResult::HitSemantic => "hit-semantic",
            CacheResult::Miss => "miss",
            CacheResult::Bypass => "bypass",
        }
    }

    /// The result of a lookup, and the similarity to report (1 for an
    /// exact hit, the nearest entry's for a miss that had one).
    pub fn of(outcome: &CacheOutcome) -> (Self, Option<f32>) {
        match outcome {
            CacheOutcome::ExactHit { .. } => (CacheResult::HitExact, Some(1.0)),
            CacheOutcome::SemanticHit { similarity, .. } => (CacheResult::HitSemantic, Some(*similarity)),
            // An offer the user refused: the answer came from the upstream.
            CacheOutcome::SemanticOffered { similarity, .. } => (CacheResult::Miss, Some(*similarity)),
            CacheOutcome::Miss { reason: MissReason::Bypassed | MissReason::Disabled } => (CacheResult::Bypass, None),
            CacheOutcome::Miss {
                reason: MissReason::BelowThreshold { best } | MissReason::GuardRejected { best, .. },
            } => (CacheResult::Miss, Some(*best)),
            CacheOutcome::Miss {
                reason: MissReason::Empty | MissReason::ExactOnly | MissReason::NoWords | MissReason::Unavailable { .. },
            } => (CacheResult::Miss, None),
        }
    }

    fn is_hit(self) -> bool {
        matches!(self, CacheResult::HitExact | CacheResult::HitSemantic)
    }
}

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 13] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_us: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    fn render(&self, name: &str, label: &str, out: &mut String) {
        let mut cumulative = 0;
        for (b, n) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += n.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{cache=\"{label}\",le=\"{b}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{cache=\"{label}\",le=\"+Inf\"}} {count}");
        let sum = self.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{{cache=\"{label}\"}} {sum}");
        let _ = writeln!(out, "{name}_count{{cache=\"{label}\"}} {count}");
    }

    fn summary(&self) -> serde_json::Value {
        let count = self.count.load(Ordering::Relaxed);
        let sum_ms = self.sum_us.load(Ordering::Relaxed) as f64 / 1e3;
        serde_json::json!({"count": count, "mean_ms": if count == 0 { 0.0 } else { sum_ms / count as f64 }})
    }
}

/// The proxy's counters. Shared by all workers.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    results: [AtomicU64; 4],
    hits: Histogram,
    misses: Histogram,
}

impl Metrics {
    /// Counts an answered request.
    pub fn request(&self, route: &'static str, status: u16) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((route, status)).or_default() += 1;
        }
    }

    /// Counts a cache result and how long the answer took.
    pub fn answered(&self, result: CacheResult, took: Duration) {
        if let Some(i) = RESULTS.iter().position(|r| *r == result) {
            self.results[i].fetch_add(1, Ordering::Relaxed);
        }
        if result.is_hit() { &self.hits } else { &self.misses }.observe(took);
    }

    /// `/stats`: the proxy's counters, the upstream's, and Widget-Log's
    /// statistics when it gave them.
    pub fn json(&self, upstream: LimitStats, cache: Option<CacheStats>) -> serde_json::Value {
        let mut requests = serde_json::Map::new();
        if let Ok(r) = self.requests.lock() {
            for ((route, status), n) in r.iter() {
                let by_status = requests.entry(*route).or_insert_with(|| serde_json::json!({}));
                by_status[status.to_string()] = (*n).into();
            }
        }
        let results: serde_json::Map<_, _> = RESULTS
            .iter()
            .zip(&self.results)
            .map(|(r, n)| (r.as_str().into(), n.load(Ordering::Relaxed).into()))
            .collect();
        serde_json::json!({
            "requests": requests,
            "cache_results": results,
            "latency": {"hit": self.hits.summary(), "miss": self.misses.summary()},
            "upstream": upstream,
            "widget_log": cache,
        })
    }

    /// `/metrics`: Prometheus' text exposition format.
    pub fn prometheus(&self, upstream: LimitStats, cache: Option<&CacheStats>) -> String {
        let mut out = String::new();
        out.push_str("# HELP lantern_http_requests_total HTTP requests answered, by route and status.\n");
        out.push_str("# TYPE lantern_http_requests_total counter\n");
        if let Ok(r) = self.requests.lock() {
            for ((route, status), n) in r.iter() {
                let _ = writeln!(out, "lantern_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}");
            }
        }
        out.push_str("# HELP lantern_cache_results_total Messages requests by what the cache did.\n");
        out.push_str("# TYPE lantern_cache_results_total counter\n");
        for (r, n) in RESULTS.iter().zip(&self.results) {
            let _ =
                writeln!(out, "lantern_cache_results_total{{result=\"{}\"}} {}", r.as_str(), n.load(Ordering::Relaxed));
        }
        let name = "lantern_http_request_duration_seconds";
        let _ = writeln!(out, "# HELP {name} Time to the complete answer of a Messages request.");
        let _ = writeln!(out, "# TYPE {name} histogram");
        self.hits.render(name, "hit", &mut out);
        self.misses.render(name, "miss", &mut out);
        let gauges = [
            ("lantern_upstream_in_flight", "gauge", "Upstream calls under way.", upstream.in_flight as f64),
            ("lantern_upstream_queued", "gauge", "Upstream calls waiting for a slot.", upstream.queued as f64),
            (
                "lantern_upstream_rejected_total",
                "counter",
                "Upstream calls refused (529) past the limit.",
                upstream.rejected as f64,
            ),
            ("lantern_upstream_max_in_flight", "gauge", "The in-flight limit.", upstream.max_in_flight as f64),
        ];
        for (name, kind, help, v) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}");
        }
        if let Some(stats) = cache {
            widget_log_gauges(stats, &mut out);
        }
        out
    }
}

/// Widget-Log's own figures.
fn widget_log_gauges(stats: &CacheStats, out: &mut String) {
    let metrics = [
        ("lantern_cache_entries", "gauge", "Entries in the response cache.", stats.entries as f64),
        ("lantern_cache_stored_total", "counter", "Answers stored.", stats.stored as f64),
        ("lantern_cache_cost_saved_usd_total", "counter", "Estimated upstream cost saved.", stats.cost_saved_usd),
    ];
    for (name, kind, help, v) in metrics {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}");
    }
    let name = "lantern_cache_tokens_saved_total";
    let _ = writeln!(out, "# HELP {name} Upstream tokens not spent thanks to hits.\n# TYPE {name} counter");
    let _ = writeln!(out, "{name}{{kind=\"input\"}} {}", stats.tokens_saved.input);
    let _ = writeln!(out, "{name}{{kind=\"output\"}} {}", stats.tokens_saved.output);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn outcomes_map_onto_header_values() {
        use lantern_events::schema::EntryId;
        let exact = CacheOutcome::ExactHit { entry: EntryId("e".into()) };
        assert_eq!(CacheResult::of(&exact), (CacheResult::HitExact, Some(1.0)));
        let sem = CacheOutcome::SemanticHit { similarity: 0.9, entry: EntryId("e".into()), matched_prompt: None };
        assert_eq!(CacheResult::of(&sem), (CacheResult::HitSemantic, Some(0.9)));
        let by = CacheOutcome::Miss { reason: MissReason::Bypassed };
        assert_eq!(CacheResult::of(&by).0.as_str(), "bypass");
        let below = CacheOutcome::Miss { reason: MissReason::BelowThreshold { best: 0.4 } };
        assert_eq!(CacheResult::of(&below), (CacheResult::Miss, Some(0.4)));
    }

    #[test]
    fn counters_show_in_both_formats() {
        let m = Metrics::default();
        m.request("/v1/messages", 200);
        m.request("/v1/messages", 200);
        m.request("/v1/messages", 400);
        m.answered(CacheResult::HitExact, Duration::from_micros(1500));
        m.answered(CacheResult::Miss, Duration::from_millis(40));
        let cache = CacheStats {
            entries: 3,
            tokens_saved: lantern_actors::cache_bridge::TokensSaved { input: 5, output: 7 },
            ..CacheStats::default()
        };
        let upstream = LimitStats { in_flight: 4, queued: 1, rejected: 2, max_in_flight: 512 };
        let text = m.prometheus(upstream, Some(&cache));
        assert!(text.contains("lantern_http_requests_total{route=\"/v1/messages\",status=\"200\"} 2\n"));
        assert!(text.contains("lantern_cache_results_total{result=\"hit-exact\"} 1\n"));
        assert!(text.contains("lantern_http_request_duration_seconds_bucket{cache=\"hit\",le=\"0.001\"} 0\n"));
        assert!(text.contains("lantern_http_request_duration_seconds_bucket{cache=\"hit\",le=\"0.0025\"} 1\n"));
        assert!(text.contains("lantern_http_request_duration_seconds_count{cache=\"miss\"} 1\n"));
        assert!(text.contains("lantern_cache_entries 3\n"));
        assert!(text.contains("lantern_cache_tokens_saved_total{kind=\"output\"} 7\n"));
        assert!(
            text.contains("lantern_upstream_in_flight 4\n") && text.contains("lantern_upstream_rejected_total 2\n")
        );
        // Every sample line is `name{labels} value` or `name value`.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
        let json = m.json(upstream, None);
        assert_eq!(json["upstream"]["queued"], 1);
        assert_eq!(json["requests"]["/v1/messages"]["400"], 1);
        assert_eq!(json["cache_results"]["miss"], 1);
        assert_eq!(json["latency"]["hit"]["count"], 1);
    }
}

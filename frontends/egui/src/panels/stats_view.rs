//! Charts over the whole log: hit rate over time, latency histogram, tokens saved.

use crate::format;
use crate::history::History;
use crate::stats::{LATENCY_BUCKETS_MS, Stats, latency_histogram};
use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoints};
use lantern_events::Timestamp;
use lantern_events::schema::ResponseSource;

/// Lookups the hit-rate curve averages over.
const WINDOW: usize = 20;

fn hours(at: Timestamp, origin: Timestamp) -> f64 {
    (at.0 - origin.0) as f64 / 3_600_000_000.0
}

/// Shows the stats view.
pub fn show(ui: &mut egui::Ui, stats: &Stats, history: &History) {
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical().id_salt("stats").auto_shrink([false, false]).show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.heading("Stats");
                let rate = stats.hit_rate().map_or_else(|| "–".to_owned(), |r| format!("{:.0}%", r * 100.0));
                ui.label(format!(
                    "{} sessions · {} lookups · hit rate {rate} · {} answers · ~{} tokens saved (estimated)",
                    history.sessions.len(),
                    stats.lookups.len(),
                    stats.deliveries.len(),
                    stats.tokens_saved()
                ));
            });
            let Some(origin) = stats.lookups.first().map(|l| l.at).or(stats.deliveries.first().map(|d| d.at)) else {
                ui.label(egui::RichText::new("Nothing in the log yet: send a prompt first.").weak());
                return;
            };
            let since = format!("hours since {}", format::minute(origin));
            ui.strong(format!("Cache hit rate (last {WINDOW} lookups)"));
            let points: PlotPoints =
                stats.hit_rate_over_time(WINDOW).iter().map(|(at, r)| [hours(*at, origin), r * 100.0]).collect();
            Plot::new("hit_rate")
                .height(180.0)
                .include_y(0.0)
                .include_y(100.0)
                .x_axis_label(since.clone())
                .y_axis_label("%")
                .allow_scroll(false)
                .show(ui, |p| p.line(Line::new("hit rate", points)));
            ui.strong("Answer latency");
            let labels: Vec<String> = LATENCY_BUCKETS_MS
                .iter()
                .map(|b| format!("<={b}"))
                .chain([format!(">{}", LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.len() - 1])])
                .collect();
            let series = [
                (ResponseSource::Cache, "cache", -0.25),
                (ResponseSource::Upstream, "upstream", 0.0),
                (ResponseSource::Offline, "offline", 0.25),
            ];
            Plot::new("latency")
                .height(180.0)
                .legend(Legend::default())
                .x_axis_label("milliseconds")
                .y_axis_label("answers")
                .x_axis_formatter(move |mark, _| {
                    let i = mark.value.round();
                    if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
                        labels.get(i as usize).cloned().unwrap_or_default()
                    } else {
                        String::new()
                    }
                })
                .allow_scroll(false)
                .show(ui, |p| {
                    for (source, name, offset) in series {
                        let bars = latency_histogram(&stats.deliveries, source)
                            .into_iter()
                            .enumerate()
                            .map(|(i, n)| Bar::new(i as f64 + offset, n as f64).width(0.25))
                            .collect();
                        p.bar_chart(BarChart::new(name, bars));
                    }
                });
            ui.strong("Tokens saved by the cache (estimated, cumulative)");
            let saved: PlotPoints =
                stats.saved_over_time.iter().map(|(at, n)| [hours(*at, origin), *n as f64]).collect();
            Plot::new("saved")
                .height(180.0)
                .include_y(0.0)
                .x_axis_label(since)
                .y_axis_label("tokens")
                .allow_scroll(false)
                .show(ui, |p| p.line(Line::new("tokens saved", saved)));
        });
    });
}

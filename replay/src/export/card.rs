//! The dataset card: `README.md` beside the data files.

use super::{Options, Split, Summary, schema};
use crate::ReplayError;
use crate::source::Loaded;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Writes the card and returns its path.
pub fn write(opts: &Options, loaded: &Loaded, summary: &Summary) -> Result<PathBuf, ReplayError> {
    let path = opts.out.join("README.md");
    std::fs::write(&path, render(opts, loaded, summary)).map_err(|e| ReplayError::io(&path, e))?;
    Ok(path)
}

fn render(opts: &Options, loaded: &Loaded, summary: &Summary) -> String {
    let kind = opts.kind.name();
    let mut s = String::new();
    let _ = writeln!(s, "# Lantern dataset: {kind}\n");
    let _ = writeln!(s, "Exported from a Lantern event log by lantern {}.\n", env!("CARGO_PKG_VERSION"));
    let command = opts.anonymize.as_ref().map_or_else(|| opts.command.clone(), |a| a.text(&opts.command));
    let _ = writeln!(s, "Command: `{command}`\n");
    let _ = writeln!(s, "## Contents\n");
    let _ = writeln!(s, "| split | rows | file |\n|---|---|---|");
    for split in [Split::Train, Split::Validation] {
        let rows = summary.rows.get(&split).copied().unwrap_or(0);
        let file = summary
            .files
            .iter()
            .filter_map(|f| f.file_name().and_then(|n| n.to_str()))
            .find(|n| n.contains(&format!(".{}.", split.name())))
            .unwrap_or("(none)");
        let _ = writeln!(s, "| {} | {rows} | {file} |", split.name());
    }
    let range = match (summary.first, summary.last) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "no rows".to_owned(),
    };
    let _ = writeln!(s, "\n- Date range (prompt submission, UTC): {range}");
    let window = match (&opts.selection.since, &opts.selection.until) {
        (None, None) => "none".to_owned(),
        (a, b) => format!(
            "since {} until {}",
            a.map_or("the start".to_owned(), |t| t.to_string()),
            b.map_or("the end".to_owned(), |t| t.to_string())
        ),
    };
    let _ = writeln!(s, "- Time window asked for: {window}");
    let session = opts.selection.session.map_or("all".to_owned(), |id| id.to_string());
    let _ =
        writeln!(s, "- Sessions: {session}; events read: {}; request chains: {}", loaded.events, loaded.chains.len());
    let _ = writeln!(
        s,
        "- Split: by session, SHA-256 of (seed, session id); seed {}, validation fraction {}",
        opts.seed, opts.validation_fraction
    );
    let privacy: Vec<&str> = loaded.privacy.iter().copied().collect();
    let privacy =
        if privacy.is_empty() { "unknown (no SessionStarted in range)".to_owned() } else { privacy.join(", ") };
    let _ = writeln!(s, "- Privacy level the sessions were journalled at: {privacy}");
    let anon = if opts.anonymize.is_some() {
        "yes: secrets, e-mail addresses, IP addresses, home-directory user names and host names scrubbed; \
         session and request ids pseudonymised with a salted SHA-256"
    } else {
        "no: texts as journalled (secrets were already redacted by the journal); ids as logged"
    };
    let _ = writeln!(s, "- Anonymised: {anon}");
    if !summary.skipped.is_empty() {
        let _ = writeln!(s, "\nChains without a row:\n");
        for (why, n) in &summary.skipped {
            let _ = writeln!(s, "- {why}: {n}");
        }
    }
    let _ = writeln!(s, "\n## Schema\n\nParquet files carry this Arrow schema; JSONL rows have the same fields.\n");
    let _ = writeln!(s, "| column | type | meaning |\n|---|---|---|");
    let schema = schema::schema(opts.kind);
    for (name, meaning) in schema::descriptions(opts.kind) {
        let ty = column_type(&schema, name).unwrap_or_else(|| "?".to_owned());
        let _ = writeln!(s, "| `{name}` | {ty} | {meaning} |");
    }
    s
}

/// The Arrow type of a column or nested `parent.child` column, as text.
fn column_type(schema: &arrow_schema::Schema, name: &str) -> Option<String> {
    let mut parts = name.split('.');
    let mut field = schema.field_with_name(parts.next()?).ok()?.clone();
    for part in parts {
        let arrow_schema::DataType::Struct(children) = field.data_type() else { return None };
        field = children.iter().find(|f| f.name() == part)?.as_ref().clone();
    }
    let nullable = if field.is_nullable() { ", nullable" } else { "" };
    Some(format!("{}{nullable}", field.data_type()))
}

//! The composer's attachment: a file, and optionally a line range of it,
//! turned into the prompt's editor context.

use lantern_events::schema::{PromptContext, Selection};
use std::path::Path;
use thiserror::Error;

/// Why an attachment was refused.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttachError {
    /// A line range was given without a file.
    #[error("choose a file to take lines {0} from")]
    RangeWithoutFile(String),
    /// The range is not `A-B` / `A:B` with 1 ≤ A ≤ B.
    #[error("lines {0:?}: write A-B (1-based, A not after B), e.g. 10-24")]
    BadRange(String),
    /// The file could not be read.
    #[error("cannot read {path}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// The file is shorter than the range's start.
    #[error("{path} has {lines} lines; there is no line {start}")]
    PastEnd {
        /// The file.
        path: String,
        /// Its line count.
        lines: usize,
        /// The first requested line.
        start: u32,
    },
}

/// The editor context for `file` (may be empty: no attachment) and `lines`
/// (may be empty: the whole file is only named, not attached).
pub fn context(file: &str, lines: &str) -> Result<PromptContext, AttachError> {
    let (file, lines) = (file.trim(), lines.trim());
    if file.is_empty() {
        return if lines.is_empty() {
            Ok(PromptContext::default())
        } else {
            Err(AttachError::RangeWithoutFile(lines.into()))
        };
    }
    let mut ctx = PromptContext { active_file: Some(file.to_owned()), ..Default::default() };
    if lines.is_empty() {
        return Ok(ctx);
    }
    let (a, b) = parse_range(lines).ok_or_else(|| AttachError::BadRange(lines.into()))?;
    let text = std::fs::read_to_string(Path::new(file))
        .map_err(|e| AttachError::Unreadable { path: file.into(), reason: e.to_string() })?;
    let all: Vec<&str> = text.lines().collect();
    if a as usize > all.len() {
        return Err(AttachError::PastEnd { path: file.into(), lines: all.len(), start: a });
    }
    let picked = all[a as usize - 1..(b as usize).min(all.len())].join("\n");
    ctx.selection = Some(Selection { text: picked.into(), start_line: Some(a), end_line: Some(b) });
    Ok(ctx)
}

fn parse_range(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once(['-', ':'])?;
    let (a, b): (u32, u32) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    (a >= 1 && a <= b).then_some((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_file_no_context() {
        assert_eq!(context(" ", ""), Ok(PromptContext::default()));
    }

    #[test]
    fn a_range_attaches_those_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.rs");
        std::fs::write(&path, "l1\nl2\nl3\nl4\n").unwrap();
        let p = path.display().to_string();
        let ctx = context(&p, "2-3").unwrap();
        let sel = ctx.selection.unwrap();
        assert_eq!(sel.text.as_str(), Some("l2\nl3"));
        assert_eq!((sel.start_line, sel.end_line), (Some(2), Some(3)));
        assert_eq!(context(&p, "").unwrap().selection, None);
        assert_eq!(context(&p, "3:9").unwrap().selection.unwrap().text.as_str(), Some("l3\nl4"));
    }

    #[test]
    fn bad_inputs_say_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.rs");
        std::fs::write(&path, "only\n").unwrap();
        let p = path.display().to_string();
        assert_eq!(context("", "1-2"), Err(AttachError::RangeWithoutFile("1-2".into())));
        for bad in ["3-1", "0-2", "x", "1-"] {
            assert_eq!(context(&p, bad), Err(AttachError::BadRange(bad.into())), "{bad}");
        }
        assert_eq!(context(&p, "5-6"), Err(AttachError::PastEnd { path: p.clone(), lines: 1, start: 5 }));
        let missing = dir.path().join("nope.rs").display().to_string();
        assert!(matches!(context(&missing, "1-1"), Err(AttachError::Unreadable { .. })));
    }
}

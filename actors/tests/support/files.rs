//! File helpers for tests that check what reached the disk.

use std::path::{Path, PathBuf};

/// Every file below `dir`.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(files_under(&p)) } else { out.push(p) }
    }
    out
}

/// The first file below `dir` whose bytes contain `needle`.
pub fn found_under(dir: &Path, needle: &str) -> Option<PathBuf> {
    files_under(dir)
        .into_iter()
        .find(|f| std::fs::read(f).unwrap().windows(needle.len()).any(|w| w == needle.as_bytes()))
}

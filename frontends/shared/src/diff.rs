//! The side-by-side diff of an original and a refined prompt: lines aligned
//! in rows, changed words marked, fenced code blocks tagged with their
//! language. Computed off the UI thread by [`DiffWorker`] and cached.

use similar::{ChangeTag, DiffOp, TextDiff};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How a line or a span differs from the other side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Present on both sides.
    Same,
    /// Only in the original (a removal).
    Removed,
    /// Only in the refined prompt (an addition).
    Added,
}

/// One line of one side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    /// The line, without its line break.
    pub text: String,
    /// How the whole line differs.
    pub mark: Mark,
    /// Byte ranges of the words that changed within the line.
    pub words: Vec<Range<usize>>,
    /// Language of the fenced code block the line is in (`""` when unnamed).
    pub code: Option<String>,
}

/// One row of the side-by-side view; a side is `None` where the other side
/// has a line with no counterpart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffRow {
    /// The original's line.
    pub left: Option<DiffLine>,
    /// The refined prompt's line.
    pub right: Option<DiffLine>,
}

/// A computed diff.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SideBySide {
    /// Aligned rows.
    pub rows: Vec<DiffRow>,
    /// Words removed from the original.
    pub removed_words: usize,
    /// Words added in the refined prompt.
    pub added_words: usize,
}

/// Identifies a pair of texts in the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DiffKey(u64);

impl DiffKey {
    /// The key of `original` → `refined`.
    pub fn of(original: &str, refined: &str) -> Self {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        original.hash(&mut h);
        refined.hash(&mut h);
        Self(h.finish())
    }
}

/// Computes the side-by-side diff (line alignment, then words within changed lines).
pub fn side_by_side(original: &str, refined: &str) -> SideBySide {
    // A last line without its line break is the same line as with one: an
    // unchanged sentence that the refinement follows with more text stays unchanged.
    let (original, refined) = (terminated(original), terminated(refined));
    let diff = TextDiff::configure().timeout(Duration::from_secs(2)).diff_lines(&*original, &*refined);
    let deadline = Some(Instant::now() + Duration::from_secs(2));
    let mut out = SideBySide::default();
    let (mut left_fence, mut right_fence) = (Fence::default(), Fence::default());
    for op in diff.ops() {
        let mut lefts = Vec::new();
        let mut rights = Vec::new();
        let changes: Vec<_> = diff.iter_inline_changes_deadline(op, deadline).collect();
        // With a word-level diff, only marked words count as changed; without one, whole lines do.
        let inline = changes.iter().any(|c| c.values().iter().any(|(emphasised, _)| *emphasised));
        for change in changes {
            let mut text = String::new();
            let mut words = Vec::new();
            for (emphasised, value) in change.iter_strings_lossy() {
                let value = value.trim_end_matches(['\n', '\r']);
                let word = value.trim();
                if emphasised && !word.is_empty() {
                    // Mark the words, not the spaces around them.
                    let start = text.len() + (value.len() - value.trim_start().len());
                    words.push(start..start + word.len());
                }
                text.push_str(value);
            }
            match change.tag() {
                ChangeTag::Equal => {
                    let code = left_fence.step(&text);
                    right_fence.step(&text);
                    let line = DiffLine { text, mark: Mark::Same, words, code };
                    out.rows.push(DiffRow { left: Some(line.clone()), right: Some(line) });
                }
                ChangeTag::Delete => {
                    out.removed_words += count_words(&text, &words, inline);
                    let code = left_fence.step(&text);
                    lefts.push(DiffLine { text, mark: Mark::Removed, words, code });
                }
                ChangeTag::Insert => {
                    out.added_words += count_words(&text, &words, inline);
                    let code = right_fence.step(&text);
                    rights.push(DiffLine { text, mark: Mark::Added, words, code });
                }
            }
        }
        if !matches!(op, DiffOp::Equal { .. }) {
            let n = lefts.len().max(rights.len());
            let (mut l, mut r) = (lefts.into_iter(), rights.into_iter());
            for _ in 0..n {
                out.rows.push(DiffRow { left: l.next(), right: r.next() });
            }
        }
    }
    out
}

/// Words in the marked ranges (`inline`), or in the whole line.
fn terminated(text: &str) -> std::borrow::Cow<'_, str> {
    if text.is_empty() || text.ends_with('\n') { text.into() } else { format!("{text}\n").into() }
}

fn count_words(text: &str, words: &[Range<usize>], inline: bool) -> usize {
    if !inline {
        text.split_whitespace().count()
    } else {
        words.iter().filter_map(|r| text.get(r.clone())).map(|w| w.split_whitespace().count()).sum()
    }
}

/// Tracks fenced code blocks (```lang … ```) line by line.
#[derive(Debug, Default)]
struct Fence {
    open: Option<String>,
}

impl Fence {
    /// The code language of `line` (fence lines themselves are not code).
    fn step(&mut self, line: &str) -> Option<String> {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("```") {
            self.open = match self.open {
                Some(_) => None,
                None => Some(rest.trim().to_owned()),
            };
            return None;
        }
        self.open.clone()
    }
}

/// Diffs computed on a thread of their own, cached by [`DiffKey`].
pub struct DiffWorker {
    jobs: crossbeam_channel::Sender<(DiffKey, String, String)>,
    done: crossbeam_channel::Receiver<(DiffKey, Arc<SideBySide>)>,
    cache: HashMap<DiffKey, Arc<SideBySide>>,
    pending: HashSet<DiffKey>,
}

impl DiffWorker {
    /// Starts the worker; `on_done` runs on the worker after each diff (to wake the UI).
    pub fn start(on_done: impl Fn() + Send + 'static) -> std::io::Result<Self> {
        let (jobs, job_rx) = crossbeam_channel::unbounded::<(DiffKey, String, String)>();
        let (done_tx, done) = crossbeam_channel::unbounded();
        std::thread::Builder::new().name("lantern-diff".into()).spawn(move || {
            for (key, original, refined) in job_rx {
                let diff = Arc::new(side_by_side(&original, &refined));
                if done_tx.send((key, diff)).is_err() {
                    return;
                }
                on_done();
            }
        })?;
        Ok(Self { jobs, done, cache: HashMap::new(), pending: HashSet::new() })
    }

    /// The diff of `original` → `refined` if it is ready; otherwise asks the
    /// worker for it (once) and returns `None`.
    pub fn get(&mut self, original: &str, refined: &str) -> Option<Arc<SideBySide>> {
        self.collect();
        let key = DiffKey::of(original, refined);
        if let Some(d) = self.cache.get(&key) {
            return Some(d.clone());
        }
        if self.pending.insert(key) && self.jobs.send((key, original.to_owned(), refined.to_owned())).is_err() {
            // The worker is gone: compute here rather than never.
            self.pending.remove(&key);
            let d = Arc::new(side_by_side(original, refined));
            self.cache.insert(key, d.clone());
            return Some(d);
        }
        None
    }

    /// Blocks until every requested diff is ready (tests, benchmarks).
    pub fn wait_idle(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while !self.pending.is_empty() {
            match self.done.recv_deadline(deadline) {
                Ok((key, d)) => self.store(key, d),
                Err(_) => return false,
            }
        }
        true
    }

    fn collect(&mut self) {
        while let Ok((key, d)) = self.done.try_recv() {
            self.store(key, d);
        }
    }

    fn store(&mut self, key: DiffKey, d: Arc<SideBySide>) {
        self.pending.remove(&key);
        self.cache.insert(key, d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &DiffLine) -> Vec<&str> {
        line.words.iter().map(|r| &line.text[r.clone()]).collect()
    }

    #[test]
    fn changed_words_are_marked_within_aligned_lines() {
        let d = side_by_side("fix the bug in the parser\nthanks", "fix the nasty bug in the parser\nthanks");
        assert_eq!(d.rows.len(), 2);
        let row = &d.rows[0];
        let (l, r) = (row.left.as_ref().unwrap(), row.right.as_ref().unwrap());
        assert_eq!((l.mark, r.mark), (Mark::Removed, Mark::Added));
        assert!(words(l).is_empty());
        assert_eq!(words(r), vec!["nasty"]);
        assert_eq!(d.rows[1].left.as_ref().unwrap().mark, Mark::Same);
        assert_eq!(d.added_words, 1);
        assert_eq!(d.removed_words, 0);
    }

    #[test]
    fn added_lines_have_no_left_side_and_code_is_tagged() {
        let d = side_by_side("ask", "ask\n\n```rust\nfn main() {}\n```\nExpected output: a list.");
        assert_eq!(d.rows[0].left.as_ref().map(|l| l.text.as_str()), Some("ask"));
        let code: Vec<_> = d.rows.iter().filter_map(|r| r.right.as_ref()).filter(|l| l.code.is_some()).collect();
        assert_eq!(code.len(), 1);
        assert_eq!(code[0].text, "fn main() {}");
        assert_eq!(code[0].code.as_deref(), Some("rust"));
        assert!(d.rows[1..].iter().all(|r| r.left.is_none()));
    }

    #[test]
    fn a_last_line_followed_by_more_text_is_unchanged() {
        let d = side_by_side("Why does it panic?", "Context: a.rs\n\nWhy does it panic?\n\nAnswer briefly.");
        let same: Vec<_> = d.rows.iter().filter_map(|r| r.left.as_ref()).filter(|l| l.mark == Mark::Same).collect();
        assert_eq!(same.len(), 1);
        assert_eq!(same[0].text, "Why does it panic?");
        assert_eq!(d.removed_words, 0);
    }

    #[test]
    fn identical_texts_have_no_marks() {
        let d = side_by_side("a\nb", "a\nb");
        assert!(d.rows.iter().all(|r| r.left.as_ref().unwrap().mark == Mark::Same));
        assert_eq!((d.added_words, d.removed_words), (0, 0));
    }

    #[test]
    fn worker_computes_once_and_caches() {
        let mut w = DiffWorker::start(|| {}).unwrap();
        assert!(w.get("a b", "a c").is_none());
        assert!(w.wait_idle(Duration::from_secs(5)));
        let first = w.get("a b", "a c").unwrap();
        let again = w.get("a b", "a c").unwrap();
        assert!(Arc::ptr_eq(&first, &again));
    }
}

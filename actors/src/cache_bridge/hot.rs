//! Lantern's own copy of recent exact answers, so that an exact hit is
//! answered in Rust without a call into Python.
//!
//! Widget-Log stays the cache of record: every entry here is one it holds
//! (or is being given), with its entry id and expiry. What it does to an
//! entry reaches this copy through [`super::Cache`]: a store replaces it, an
//! invalidation removes it, and the expiry is checked on every read.
//!
//! The copy is bounded by bytes with two generations: entries go into the
//! current one; when it holds half the budget it becomes the previous one
//! and the one before is dropped. A read from the previous generation moves
//! the entry back into the current one, so what is used stays.

use bytes::Bytes;
use lantern_events::schema::EntryId;
use std::collections::HashMap;
use std::time::SystemTime;

/// `(namespace, exact key)`.
pub(super) type Slot = (String, String);

/// One held answer.
#[derive(Debug, Clone)]
pub(super) struct Held {
    /// Widget-Log's entry.
    pub entry: EntryId,
    /// The stored answer, as stored.
    pub response: Bytes,
    /// When it stops being served (`None`: never).
    pub expires_at: Option<SystemTime>,
}

impl Held {
    fn bytes(&self, slot: &Slot) -> usize {
        // The answer, the key and the entry id, plus the maps' own overhead.
        self.response.len() + slot.0.len() + slot.1.len() + self.entry.0.len() + 96
    }

    fn expired(&self, now: SystemTime) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }
}

/// The bounded copy.
#[derive(Debug)]
pub(super) struct Hot {
    budget: usize,
    current: HashMap<Slot, Held>,
    current_bytes: usize,
    previous: HashMap<Slot, Held>,
}

impl Hot {
    /// A copy holding at most about `budget` bytes (0 holds nothing).
    pub fn new(budget: usize) -> Self {
        Hot { budget, current: HashMap::new(), current_bytes: 0, previous: HashMap::new() }
    }

    /// The answer held for `slot`, if it has not expired at `now`.
    pub fn get(&mut self, slot: &Slot, now: SystemTime) -> Option<Held> {
        if let Some(h) = self.current.get(slot) {
            if !h.expired(now) {
                return Some(h.clone());
            }
            self.current.remove(slot);
            return None;
        }
        let h = self.previous.remove(slot)?;
        if h.expired(now) {
            return None;
        }
        self.put(slot.clone(), h.clone());
        Some(h)
    }

    /// Holds `held` for `slot`, replacing what was held for it.
    pub fn put(&mut self, slot: Slot, held: Held) {
        let size = held.bytes(&slot);
        if size > self.budget / 2 {
            self.remove(&slot);
            return;
        }
        self.previous.remove(&slot);
        self.current_bytes += size;
        if let Some(old) = self.current.insert(slot.clone(), held) {
            self.current_bytes = self.current_bytes.saturating_sub(old.bytes(&slot));
        }
        if self.current_bytes > self.budget / 2 {
            self.previous = std::mem::take(&mut self.current);
            self.current_bytes = 0;
        }
    }

    /// Stops holding `slot`'s answer.
    pub fn remove(&mut self, slot: &Slot) {
        if let Some(old) = self.current.remove(slot) {
            self.current_bytes = self.current_bytes.saturating_sub(old.bytes(slot));
        }
        self.previous.remove(slot);
    }

    /// Stops holding `slot`'s answer if it is `entry`'s.
    pub fn remove_if(&mut self, slot: &Slot, entry: &EntryId) {
        let holds = |m: &HashMap<Slot, Held>| m.get(slot).is_some_and(|h| h.entry == *entry);
        if holds(&self.current) || holds(&self.previous) {
            self.remove(slot);
        }
    }

    /// Stops holding these entries; whether any was held.
    pub fn remove_entries(&mut self, entries: &[String]) -> bool {
        let gone: std::collections::HashSet<&str> = entries.iter().map(String::as_str).collect();
        let before = self.len();
        self.previous.retain(|_, h| !gone.contains(h.entry.0.as_str()));
        let mut freed = 0;
        self.current.retain(|slot, h| {
            let keep = !gone.contains(h.entry.0.as_str());
            if !keep {
                freed += h.bytes(slot);
            }
            keep
        });
        self.current_bytes = self.current_bytes.saturating_sub(freed);
        self.len() != before
    }

    /// Answers held.
    pub fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::time::Duration;

    fn slot(i: usize) -> Slot {
        ("ns".into(), format!("key-{i}"))
    }

    fn held(entry: &str, size: usize, expires_at: Option<SystemTime>) -> Held {
        Held { entry: EntryId(entry.into()), response: Bytes::from(vec![b'x'; size]), expires_at }
    }

    #[test]
    fn an_answer_is_served_until_it_expires() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let mut hot = Hot::new(1 << 20);
        hot.put(slot(1), held("a", 10, Some(now + Duration::from_secs(5))));
        hot.put(slot(2), held("b", 10, None));
        assert_eq!(hot.get(&slot(1), now).unwrap().entry.0, "a");
        assert!(hot.get(&slot(1), now + Duration::from_secs(5)).is_none());
        assert!(hot.get(&slot(1), now).is_none(), "an expired answer is dropped");
        assert!(hot.get(&slot(2), now + Duration::from_secs(1 << 30)).is_some());
    }

    #[test]
    fn the_budget_bounds_what_is_held_and_what_is_read_stays() {
        let now = SystemTime::UNIX_EPOCH;
        let mut hot = Hot::new(100_000);
        hot.put(slot(0), held("kept", 1_000, None));
        for i in 1..1_000 {
            hot.put(slot(i), held(&format!("e{i}"), 1_000, None));
            assert!(hot.get(&slot(0), now).is_some(), "a read keeps an answer in the current generation");
        }
        assert!(hot.len() * 1_100 <= 100_000 + 2_200, "{} answers held", hot.len());
        assert!(hot.get(&slot(1), now).is_none(), "the oldest unread answers are gone");
        hot.put(slot(5_000), held("huge", 60_000, None));
        assert!(hot.get(&slot(5_000), now).is_none(), "an answer over half the budget is never held");
    }

    #[test]
    fn removal_by_entry_and_replacement() {
        let now = SystemTime::UNIX_EPOCH;
        let mut hot = Hot::new(1 << 20);
        hot.put(slot(1), held("a", 10, None));
        hot.put(slot(1), held("b", 10, None));
        assert_eq!(hot.get(&slot(1), now).unwrap().entry.0, "b");
        hot.remove_if(&slot(1), &EntryId("a".into()));
        assert!(hot.get(&slot(1), now).is_some(), "another entry's removal leaves it");
        assert!(!hot.remove_entries(&["a".into()]));
        assert!(hot.remove_entries(&["x".into(), "b".into()]));
        assert!(hot.get(&slot(1), now).is_none());
        assert!(Hot::new(0).get(&slot(1), now).is_none());
    }
}

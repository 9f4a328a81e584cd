//! Back-pressure: at most so many upstream calls at once, a bounded queue
//! behind them, and a clear refusal past it (never a hang).

use super::Failure;
use super::config::Limits;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What the limiter has seen, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct LimitStats {
    /// Calls under way now.
    pub in_flight: u64,
    /// Calls waiting for a slot now.
    pub queued: u64,
    /// Calls refused since start (queue full, or waited too long).
    pub rejected: u64,
    /// The configured limit.
    pub max_in_flight: u64,
}

/// Shared by every call.
#[derive(Debug)]
pub(super) struct Limiter {
    slots: Arc<Semaphore>,
    limits: Limits,
    queued: AtomicU64,
    rejected: AtomicU64,
}

/// A slot; the call holds it until its answer has been read or dropped.
#[derive(Debug)]
pub struct Slot(#[allow(dead_code)] OwnedSemaphorePermit);

/// Seconds a refused client is asked to wait.
const RETRY_AFTER: Duration = Duration::from_secs(1);

impl Limiter {
    pub(super) fn new(limits: Limits) -> Self {
        Limiter {
            slots: Arc::new(Semaphore::new(limits.max_in_flight.max(1))),
            limits,
            queued: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
        }
    }

    /// A slot now, or after waiting in the queue; a refusal (HTTP 529 with
    /// `retry-after`) when the queue is full or the wait too long.
    pub(super) async fn acquire(&self) -> Result<Slot, Failure> {
        if let Ok(p) = self.slots.clone().try_acquire_owned() {
            return Ok(Slot(p));
        }
        let waiting = self.queued.fetch_add(1, Ordering::SeqCst);
        let outcome = if waiting as usize >= self.limits.max_queued {
            Err("its queue is full")
        } else {
            match tokio::time::timeout(self.limits.queue_wait, self.slots.clone().acquire_owned()).await {
                Ok(Ok(p)) => Ok(Slot(p)),
                Ok(Err(_)) => Err("it is shutting down"),
                Err(_) => Err("no slot came free in time"),
            }
        };
        self.queued.fetch_sub(1, Ordering::SeqCst);
        outcome.map_err(|why| {
            self.rejected.fetch_add(1, Ordering::Relaxed);
            let message = format!(
                "Lantern has {} requests in flight upstream and {why}; retry after {} s",
                self.limits.max_in_flight,
                RETRY_AFTER.as_secs()
            );
            Failure {
                status: Some(529),
                retry_after: Some(RETRY_AFTER),
                provider: "lantern".into(),
                ..Failure::new("in_flight_limit", message, true)
            }
        })
    }

    pub(super) fn stats(&self) -> LimitStats {
        let max = self.limits.max_in_flight.max(1);
        LimitStats {
            in_flight: (max - self.slots.available_permits()) as u64,
            queued: self.queued.load(Ordering::SeqCst),
            rejected: self.rejected.load(Ordering::Relaxed),
            max_in_flight: max as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn past_the_limit_and_the_queue_calls_are_refused_then_served_again() {
        let l =
            Arc::new(Limiter::new(Limits { max_in_flight: 2, max_queued: 1, queue_wait: Duration::from_millis(200) }));
        let a = l.acquire().await.unwrap();
        let _b = l.acquire().await.unwrap();
        assert_eq!(l.stats().in_flight, 2);
        let waiter = tokio::spawn({
            let l = l.clone();
            async move { l.acquire().await.map(|_| ()) }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(l.stats().queued, 1);
        let refused = l.acquire().await.unwrap_err();
        assert_eq!((refused.status, refused.kind.as_str()), (Some(529), "in_flight_limit"));
        assert_eq!(refused.retry_after, Some(RETRY_AFTER));
        drop(a);
        assert!(waiter.await.unwrap().is_ok());
        let _c = l.acquire().await.unwrap();
        let timed_out = l.acquire().await.unwrap_err();
        assert!(timed_out.message.contains("in time"), "{}", timed_out.message);
        assert_eq!(l.stats(), LimitStats { in_flight: 2, queued: 0, rejected: 2, max_in_flight: 2 });
    }
}

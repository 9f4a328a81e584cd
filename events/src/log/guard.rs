//! Panics inside redb, turned into errors.
//!
//! redb can panic on a damaged file (one seen: `bitmap.rs:112`, from bytes
//! flipped in an allocator page). Every call into it that reads a file goes
//! through [`guarded`], so a damaged file is reported as one, not as a
//! crash; [`panic_is_guarded`] lets a binary's panic hook stay quiet for
//! those.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Whether the current thread is inside a guarded call, whose panic is
/// about to be returned as an error (for a panic hook to stay quiet).
pub fn panic_is_guarded() -> bool {
    DEPTH.with(|d| d.get() > 0)
}

/// Runs `f`; a panic becomes `Err` with its message.
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    DEPTH.with(|d| d.set(d.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    result.map_err(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        format!("the storage engine failed on this file ({what})")
    })
}

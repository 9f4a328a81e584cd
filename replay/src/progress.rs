//! Progress reporting for long runs; the CLI draws bars, tests stay quiet.

/// Receives progress of a long run, stage by stage.
pub trait Progress {
    /// A new stage begins, with `total` units of work.
    fn stage(&mut self, name: &str, total: u64);
    /// `n` more units are done.
    fn advance(&mut self, n: u64);
    /// The current stage is over.
    fn finish(&mut self);
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn stage(&mut self, _: &str, _: u64) {}
    fn advance(&mut self, _: u64) {}
    fn finish(&mut self) {}
}

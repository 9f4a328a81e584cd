//! What can go wrong in a replay or an export.

use std::path::PathBuf;

/// Errors of replay, verify, what-if and export.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The log could not be read.
    #[error(transparent)]
    Read(#[from] lantern_events::ReadError),
    /// A file could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The output directory already holds an export.
    #[error("{0} already holds files; choose an empty or new directory")]
    OutputNotEmpty(PathBuf),
    /// A refiner configuration file could not be used.
    #[error("refiner configuration {path}: {message}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// Arrow or Parquet refused the data.
    #[error("writing Parquet: {0}")]
    Parquet(String),
}

impl ReplayError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }
}

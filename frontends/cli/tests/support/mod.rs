//! Running the `lantern` binary as a user runs it.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

/// `lantern --data-dir DIR ARGS…`, with no Lantern settings inherited from the environment.
pub fn lantern(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lantern"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("LANTERN_DATA_DIR")
        .env_remove("LANTERN_EXPORT_SALT")
        .output()
        .unwrap()
}

/// Its standard output.
pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// Its standard error.
pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

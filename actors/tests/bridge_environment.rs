//! A missing or wrong Python environment is a clear error naming the fix.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use lantern_actors::cache_bridge::{BridgeConfig, BridgeError, Cache};

fn start(venv: &std::path::Path) -> BridgeError {
    Cache::start(&BridgeConfig { venv: venv.to_owned(), config_json: "{}".into(), threads: 1 }).err().unwrap()
}

#[test]
fn missing_wrong_and_incomplete_environments() {
    let dir = tempfile::tempdir().unwrap();

    let err = start(&dir.path().join("no-venv"));
    assert!(matches!(err, BridgeError::VenvMissing { .. }), "{err}");
    assert!(err.to_string().contains("make setup"));

    let other = dir.path().join("py39");
    std::fs::create_dir_all(other.join("lib/python3.9/site-packages")).unwrap();
    let err = start(&other);
    assert!(matches!(err, BridgeError::WrongPython { .. }), "{err}");
    assert!(err.to_string().contains("python3.9"), "{err}");

    // A venv for the right Python, without widget-log in it.
    let empty = dir.path().join("empty");
    let v = pyo3_version();
    std::fs::create_dir_all(empty.join(format!("lib/python{v}/site-packages"))).unwrap();
    let err = start(&empty);
    assert!(matches!(err, BridgeError::WidgetLogMissing { .. }), "{err}");
    assert!(err.to_string().contains("make setup"), "{err}");
}

/// `major.minor` of the venv's Python, which is the one pyo3 embeds.
fn pyo3_version() -> String {
    let out = std::process::Command::new(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python3"))
        .args(["-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

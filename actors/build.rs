//! Link test binaries against the libpython pyo3 was configured with, not
//! whatever libpython the system loader would find first.
fn main() {
    pyo3_build_config::add_libpython_rpath_link_args();
}

//! Link `lantern` against the libpython pyo3 was configured with (the venv's),
//! not the first libpython the system loader finds.
fn main() {
    pyo3_build_config::add_libpython_rpath_link_args();
}

//! The test binaries of this crate link libpython: point their rpath at the interpreter pyo3
//! was configured with, so `cargo test` never picks up another Python's library at run time.

fn main() {
    pyo3_build_config::add_libpython_rpath_link_args();
}

//! Integration tests across crates and the benchmarks that need a database; see
//! `Cargo.toml` and `docs/ARCHITECTURE.md` (« Tests »). Nothing to link here.

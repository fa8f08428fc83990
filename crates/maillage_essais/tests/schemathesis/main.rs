//! The JSON API against its OpenAPI document, by schemathesis (PyPI, pinned in `.ci/run`).
//! A test binary of its own: it runs alone, as it did before the web tests were merged, so
//! that the other web tests' load does not eat its ten minutes on two cores.

#[path = "../commun/mod.rs"]
mod commun;

mod api;

//! Search engine benchmarks (placeholder, filled in below).
fn main() {}

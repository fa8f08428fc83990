//! The library part of the `maillage` binary's package (the composition root): opening the
//! store named by a URL ([`stockage`]), shared by the binary and the integration tests.

pub mod stockage;

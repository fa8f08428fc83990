//! Test databases: see `maillage_store_postgres::testing`.

#![allow(unused_imports)]

pub use maillage_store_postgres::testing::*;

//! Use cases of Maillage, shared by the web pages, the JSON API and the command line.
//!
//! - [`import`]: reading every source format into schema places, with a line-by-line report;
//! - [`doublons`]: finding duplicate places across and within sources, and merging them;
//! - [`lieux`]: a place as one source gave it;
//! - [`signalement`]: error reports sent by the public about a place;
//! - [`corrections`]: coordinators' edits and places' own updates, applied at each merge.

pub mod annuaire;
pub mod corrections;
pub mod doublons;
pub mod export;
pub mod import;
pub mod lieux;
pub mod recherche;
pub mod signalement;
#[cfg(any(test, feature = "synthetique"))]
pub mod synthetique;
pub mod tableur;
pub mod territoire;

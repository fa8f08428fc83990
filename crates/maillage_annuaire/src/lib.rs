//! Use cases of Maillage, shared by the web pages, the JSON API and the command line.
//!
//! - [`import`]: reading every source format into schema places, with a line-by-line report
//!   (and any CSV file through a column mapping, [`import::correspondance`]);
//! - [`data_inclusion`]: the data·inclusion schema's structures and services, both ways;
//! - [`doublons`]: finding duplicate places across and within sources, and merging them;
//! - [`identifiants`]: the stable public ids of the published places;
//! - [`lieux`]: a place as one source gave it;
//! - [`signalement`]: error reports sent by the public about a place;
//! - [`gestion`]: the back office of the people who keep a territory's directory;
//! - [`corrections`]: coordinators' edits and places' own updates, applied at each merge.

pub mod annuaire;
pub mod corrections;
pub mod data_inclusion;
pub mod doublons;
pub mod export;
pub mod gestion;
pub mod identifiants;
pub mod import;
pub mod lieux;
pub mod recherche;
pub mod signalement;
#[cfg(any(test, feature = "synthetique"))]
pub mod synthetique;
pub mod tableur;
pub mod territoire;

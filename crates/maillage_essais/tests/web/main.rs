//! Black-box tests of `maillage_web` through its router and its server: one test binary
//! (one link instead of eleven; see docs/PERFORMANCE.md « Compilation »). Run a part with a
//! filter: `cargo test -p maillage_essais --test web mediation::` (or `permission`, `faille_`…).

#[path = "../commun/mod.rs"]
mod commun;

mod competences;
mod enquete;
mod evenements;
mod evenements_espace;
mod evenements_suivi;
mod faille_territoire;
mod failles_web;
mod http;
mod lieux_back_office;
mod lieux_ids;
mod lieux_maj;
mod mandats_personne;
mod mediation;
mod observabilite;
mod openapi;
mod pages;
mod pass;
mod pass_espace;
mod premiere_utilisation_mots;
mod premiere_utilisation_recherche;
mod rechargement;
mod securite;
mod tentatives;
mod territoire;
mod tournees;

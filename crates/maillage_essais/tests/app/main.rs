//! Integration tests of the directory (import, duplicates, export, search, territory
//! figures, error reports) and of the use cases across modules (Médiation, Mandats, first
//! use), on SQLite and PostgreSQL: one test binary (one link instead of eighteen; see
//! docs/PERFORMANCE.md « Compilation »). Run a part with a filter:
//! `cargo test -p maillage_essais --test app mandats::` (or `faille_`…).

use maillage_annuaire::annuaire::Annuaire;

/// The directory of a fresh instance over the store named by `url`.
async fn ouvrir(url: &str) -> Result<Annuaire, maillage_cli::stockage::ErreurOuverture> {
    Ok(maillage_cli::stockage::ouvrir(url)
        .await?
        .annuaire()
        .clone())
}

mod annuaire_cycle;
mod competences;
mod comptes;
mod correspondance;
mod data_inclusion;
mod export_standard;
mod faille_fusion_flux;
mod faille_import;
mod faille_import_lots;
mod import_proptest;
mod import_regles;
mod import_sources;
mod lieux_reels;
mod mandats;
mod mediation_import_coop;
mod mediation_smtp;
mod mediation_synthetique;
mod premiere_utilisation;
mod recherche_moteur;
mod recherche_reels;
mod signalements;
mod territoire_calculs;

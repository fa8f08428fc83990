//! Black-box tests of the `maillage` binary (commands, `serve` over HTTP): one test binary
//! (one link instead of five; see docs/PERFORMANCE.md « Compilation »). Run a part with a
//! filter: `cargo test -p maillage_cli --test cli premiere_utilisation::`.

mod cli_journal;
mod cli_journal_cle;
mod cli_signalements;
mod cli_territoire;
mod competences;
mod crash;
mod deux_noeuds;
mod erreurs;
mod evenements;
// The local OpenID Connect provider, one file shared with maillage_identite's tests.
#[path = "../../../maillage_identite/tests/commun/fournisseur_oidc.rs"]
mod fournisseur_oidc;
mod interop;
mod journaux;
mod premiere_utilisation;
mod sauvegarde;

//! How the binary words an error (`maillage_cli::message_erreur`).

use maillage_cli::message_erreur;

/// Issue 14, item 14: « Erreur : X: X » — an error displaying its source was printed with
/// that source again.
#[test]
fn faille_cli_erreur_dite_une_fois() {
    let e = anyhow::Error::new(maillage_annuaire::annuaire::AppError::Import(
        maillage_annuaire::import::ImportError::Vide,
    ));
    assert_eq!(message_erreur(&e), "le fichier est vide");
    let e = anyhow::Error::new(maillage_annuaire::annuaire::AppError::Store(
        maillage_store::StoreError::Database("disk full".into()),
    ))
    .context("ouverture de la base sqlite://x.db");
    assert_eq!(
        message_erreur(&e),
        "ouverture de la base sqlite://x.db : base de données : database error: disk full"
    );
    let e = anyhow::anyhow!("cause").context("contexte");
    assert_eq!(message_erreur(&e), "contexte : cause");
}

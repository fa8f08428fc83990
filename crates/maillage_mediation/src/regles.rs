//! Médiation's own permission rules, over the kernel's [`Acteur`] (the accounts' rules are
//! `maillage_comptes::acces`):
//!
//! | what | médiateur | coordinateur | administrateur |
//! |---|---|---|---|
//! | activity records (read, write, export with names and notes) | their own | — | — |
//! | beneficiary files | their own, and those a team mate shared with consent | — | — |
//!
//! Someone else's record or file answers "not found", not "forbidden".

use maillage_comptes::Acteur;
use maillage_domain::CompteId;
use maillage_store::mediation::{ActiviteRow, BeneficiaireRow};

/// What an actor may do with Médiation's records and files.
pub trait DroitsMediation {
    /// May read and change this activity record.
    fn peut_modifier_activite(&self, a: &ActiviteRow) -> bool;
    /// May open this beneficiary's file.
    fn peut_voir_beneficiaire(&self, b: &BeneficiaireRow) -> bool;
    /// May change, merge or delete this beneficiary's file (the owner only).
    fn peut_modifier_beneficiaire(&self, b: &BeneficiaireRow) -> bool;
}

impl DroitsMediation for Acteur {
    fn peut_modifier_activite(&self, a: &ActiviteRow) -> bool {
        self.est_mediateur() && CompteId::new(a.mediateur_id) == self.id()
    }

    fn peut_voir_beneficiaire(&self, b: &BeneficiaireRow) -> bool {
        if !self.est_mediateur() || b.fusionne_dans.is_some() {
            return false;
        }
        let proprietaire = CompteId::new(b.mediateur_id);
        proprietaire == self.id()
            || (b.partage_equipe
                && b.consentement_at.is_some()
                && self.coequipiers.contains(&proprietaire))
    }

    fn peut_modifier_beneficiaire(&self, b: &BeneficiaireRow) -> bool {
        self.est_mediateur()
            && b.fusionne_dans.is_none()
            && CompteId::new(b.mediateur_id) == self.id()
    }
}

//! Storage of the Médiation module: beneficiaries, activity records (CRA) with their
//! history, and the statistics roll-ups (accounts, structures and places of activity are the
//! kernel's: [`crate::comptes`]). The [`MediationStore`] trait is implemented by both backends and checked by the
//! same contract suite (`contract::mediation`).
//!
//! Data the store does not interpret (a record's fields, a beneficiary's personal fields)
//! is kept as JSON written by `maillage_annuaire`; the store only sees what it must index.
//! Statistics counters are vectors of little-endian `i64` (see
//! `maillage_domain::mediation::statistiques`), summed per roll-up row in the same
//! transaction as the record they come from.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use crate::StoreError;
use crate::StoreResult;

/// A new beneficiary's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBeneficiaire {
    pub mediateur_id: i64,
    /// JSON of the personal fields.
    pub data: String,
    /// Key for duplicate detection (normalised name, birth year, commune).
    pub cle_doublon: String,
    pub partage_equipe: bool,
    pub consentement_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A stored beneficiary. Once purged, `data` and `cle_doublon` are `None` and only the
/// anonymous statistics it contributed remain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeneficiaireRow {
    pub id: i64,
    pub mediateur_id: i64,
    pub data: Option<String>,
    pub cle_doublon: Option<String>,
    pub partage_equipe: bool,
    pub consentement_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub derniere_activite: DateTime<Utc>,
    pub purge_at: Option<DateTime<Utc>>,
    /// Set when this file was merged into another one.
    pub fusionne_dans: Option<i64>,
}

/// One access to a beneficiary's file, shown to the person on request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultationRow {
    pub beneficiaire_id: i64,
    pub compte_id: i64,
    /// `consultation`, `modification`, `export`, `fusion`, `creation`.
    pub action: String,
    pub at: DateTime<Utc>,
}

/// The roll-up keys and payload of one activity record, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiviteWrite {
    /// `None` to create a record, `Some(id)` to replace one.
    pub id: Option<i64>,
    pub mediateur_id: i64,
    pub structure_id: Option<i64>,
    pub lieu_activite_id: Option<i64>,
    /// Commune where it took place (INSEE code).
    pub commune: String,
    pub date: NaiveDate,
    /// `individuel` or `collectif`.
    pub type_activite: String,
    pub duree: i32,
    /// JSON of the record (opaque to the store).
    pub data: String,
    /// Statistics counters (little-endian `i64`s).
    pub compteurs: Vec<u8>,
    /// Known beneficiaries taking part.
    pub beneficiaires: Vec<i64>,
    /// Who wrote it (kept in the history).
    pub auteur_id: i64,
    pub at: DateTime<Utc>,
}

/// A stored activity record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiviteRow {
    pub id: i64,
    pub mediateur_id: i64,
    pub structure_id: Option<i64>,
    pub lieu_activite_id: Option<i64>,
    pub commune: String,
    pub date: NaiveDate,
    pub type_activite: String,
    pub duree: i32,
    pub data: String,
    pub compteurs: Vec<u8>,
    pub beneficiaires: Vec<i64>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// One version of an activity record (`data` is `None` for the deletion).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoriqueRow {
    pub activite_id: i64,
    pub version: i32,
    /// `creation`, `modification` or `suppression`.
    pub action: String,
    pub data: Option<String>,
    pub auteur_id: i64,
    pub at: DateTime<Utc>,
}

/// What a dashboard sums. Months are `yyyymm` integers, both bounds included.
///
/// With `mediateurs` or `lieux` set, rows come from the per-mediator roll-up; otherwise
/// from the per-commune one (smaller: one row per commune and month).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatFiltre {
    pub mediateurs: Option<Vec<i64>>,
    pub lieux: Option<Vec<i64>>,
    /// INSEE codes of the territory's communes.
    pub communes: Option<Vec<String>>,
    pub mois_debut: i32,
    pub mois_fin: i32,
}

/// One roll-up row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatRow {
    /// `None` for per-commune rows.
    pub mediateur_id: Option<i64>,
    pub lieu_activite_id: Option<i64>,
    pub commune: String,
    pub mois: i32,
    pub activites: i64,
    pub accompagnements: i64,
    pub minutes: i64,
    pub compteurs: Vec<u8>,
}

/// The Médiation storage. Object safe: use it as `Arc<dyn MediationStore>`.
#[async_trait]
pub trait MediationStore: Send + Sync {
    // --- beneficiaries ---

    async fn create_beneficiaire(&self, beneficiaire: NewBeneficiaire) -> StoreResult<i64>;
    async fn beneficiaire(&self, id: i64) -> StoreResult<Option<BeneficiaireRow>>;
    /// Files (not merged away) of the given mediators, by id.
    async fn beneficiaires_de(&self, mediateur_ids: &[i64]) -> StoreResult<Vec<BeneficiaireRow>>;
    /// Writes back `data`, `cle_doublon`, `partage_equipe` and `consentement_at`.
    async fn update_beneficiaire(&self, beneficiaire: &BeneficiaireRow) -> StoreResult<()>;
    /// Moves every participation of `absorbe` to `garde` and marks `absorbe` merged (its
    /// personal fields erased), in one transaction.
    async fn merge_beneficiaires(&self, garde: i64, absorbe: i64) -> StoreResult<()>;
    /// Erases the personal fields of files (not merged away, not yet purged) whose last
    /// activity is before `avant`; the
    /// statistics they fed stay. Returns how many were purged.
    async fn purge_beneficiaires(
        &self,
        avant: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> StoreResult<u64>;
    async fn add_consultation(&self, consultation: &ConsultationRow) -> StoreResult<()>;
    /// Accesses to one file, oldest first.
    async fn consultations(&self, beneficiaire_id: i64) -> StoreResult<Vec<ConsultationRow>>;
    /// Number of (not deleted) activities a beneficiary took part in.
    async fn count_participations(&self, beneficiaire_id: i64) -> StoreResult<i64>;

    // --- activity records and statistics ---

    /// Creates or replaces activity records in one transaction: history rows,
    /// participations, the beneficiaries' last activity, and both roll-ups (the replaced
    /// version's counters are taken away). Returns the ids in order. `NotFound` if an id
    /// to replace does not exist or is deleted; nothing is written on any error.
    async fn save_activites(&self, activites: Vec<ActiviteWrite>) -> StoreResult<Vec<i64>>;
    /// Deletes a record (kept in history, taken out of the roll-ups); `false` if it did not
    /// exist or was already deleted.
    async fn delete_activite(
        &self,
        id: i64,
        auteur_id: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// One record, deleted or not.
    async fn activite(&self, id: i64) -> StoreResult<Option<ActiviteRow>>;
    /// Records (not deleted) of the given mediators, latest date first.
    async fn activites_de(
        &self,
        mediateur_ids: &[i64],
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<ActiviteRow>>;
    /// Records (not deleted) a beneficiary took part in, latest first.
    async fn activites_du_beneficiaire(
        &self,
        beneficiaire_id: i64,
    ) -> StoreResult<Vec<ActiviteRow>>;
    async fn historique_activite(&self, activite_id: i64) -> StoreResult<Vec<HistoriqueRow>>;
    /// The mediator's durations (minutes) used at least `min_uses` times, most used first.
    async fn durees_frequentes(
        &self,
        mediateur_id: i64,
        min_uses: i64,
        limit: i64,
    ) -> StoreResult<Vec<(i32, i64)>>;
    /// Roll-up rows matching the filter, in no particular order (callers sum them).
    async fn stats(&self, filtre: &StatFiltre) -> StoreResult<Vec<StatRow>>;
}

/// The month key `yyyymm` of a date.
pub fn mois_de(date: NaiveDate) -> i32 {
    use chrono::Datelike;
    date.year() * 100 + date.month() as i32
}

/// Adds (or with `signe = -1` subtracts) the counter vector `b` to `a` (both little-endian
/// `i64`s; the shorter is padded). `Invalid` if one is not a multiple of 8 bytes.
pub fn add_counters(a: &mut Vec<u8>, b: &[u8], signe: i64) -> StoreResult<()> {
    if !a.len().is_multiple_of(8) || !b.len().is_multiple_of(8) {
        return Err(StoreError::Invalid(
            "statistics counters must be whole i64s".into(),
        ));
    }
    if a.len() < b.len() {
        a.resize(b.len(), 0);
    }
    for (x, y) in a.chunks_exact_mut(8).zip(b.chunks_exact(8)) {
        let mut xb = [0u8; 8];
        xb.copy_from_slice(x);
        let mut yb = [0u8; 8];
        yb.copy_from_slice(y);
        let v = i64::from_le_bytes(xb) + signe * i64::from_le_bytes(yb);
        x.copy_from_slice(&v.to_le_bytes());
    }
    Ok(())
}

/// The first three counters: activities, accompaniments, minutes.
pub fn counter_totals(c: &[u8]) -> (i64, i64, i64) {
    let at = |i: usize| {
        c.get(i * 8..i * 8 + 8)
            .and_then(|s| <[u8; 8]>::try_from(s).ok())
            .map(i64::from_le_bytes)
            .unwrap_or(0)
    };
    (at(0), at(1), at(2))
}

/// Key of a per-mediator roll-up row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CleStatMediateur {
    pub mediateur_id: i64,
    /// `0` when the activity was not at a place of activity.
    pub lieu_activite_id: i64,
    pub structure_id: i64,
    pub commune: String,
    pub mois: i32,
}

/// Roll-up deltas of a batch of writes, summed per key before touching the database.
#[derive(Debug, Default)]
pub struct StatDeltas {
    pub par_mediateur: HashMap<CleStatMediateur, Vec<u8>>,
    pub par_commune: HashMap<(String, i32), Vec<u8>>,
}

impl StatDeltas {
    /// Adds (`signe = 1`) or removes (`-1`) one record's counters.
    #[allow(clippy::too_many_arguments)] // the roll-up keys of one record, named
    pub fn record(
        &mut self,
        mediateur_id: i64,
        lieu_activite_id: Option<i64>,
        structure_id: Option<i64>,
        commune: &str,
        date: NaiveDate,
        compteurs: &[u8],
        signe: i64,
    ) -> StoreResult<()> {
        let mois = mois_de(date);
        let cle = CleStatMediateur {
            mediateur_id,
            lieu_activite_id: lieu_activite_id.unwrap_or(0),
            structure_id: structure_id.unwrap_or(0),
            commune: commune.to_string(),
            mois,
        };
        add_counters(self.par_mediateur.entry(cle).or_default(), compteurs, signe)?;
        add_counters(
            self.par_commune
                .entry((commune.to_string(), mois))
                .or_default(),
            compteurs,
            signe,
        )
    }

    /// Adds the counters of a record being written.
    pub fn record_write(&mut self, a: &ActiviteWrite) -> StoreResult<()> {
        self.record(
            a.mediateur_id,
            a.lieu_activite_id,
            a.structure_id,
            &a.commune,
            a.date,
            &a.compteurs,
            1,
        )
    }
}

/// Checks a batch of writes before anything is written.
pub fn validate_activites(activites: &[ActiviteWrite]) -> StoreResult<()> {
    for a in activites {
        if !a.compteurs.len().is_multiple_of(8) {
            return Err(StoreError::Invalid(
                "statistics counters must be whole i64s".into(),
            ));
        }
        if a.commune.is_empty() {
            return Err(StoreError::Invalid("an activity needs a commune".into()));
        }
        if a.type_activite != "individuel" && a.type_activite != "collectif" {
            return Err(StoreError::Invalid(format!(
                "unknown activity type {:?}",
                a.type_activite
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(xs: &[i64]) -> Vec<u8> {
        xs.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn counters_add_and_subtract() {
        let mut a = v(&[1, 2]);
        add_counters(&mut a, &v(&[1, 5, 7]), 1).unwrap();
        assert_eq!(a, v(&[2, 7, 7]));
        add_counters(&mut a, &v(&[2, 7, 7]), -1).unwrap();
        assert_eq!(a, v(&[0, 0, 0]));
        assert!(add_counters(&mut a, &[1, 2], 1).is_err());
        assert_eq!(counter_totals(&v(&[3, 30, 90, 1])), (3, 30, 90));
        assert_eq!(counter_totals(&[]), (0, 0, 0));
    }
}

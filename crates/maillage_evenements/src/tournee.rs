//! From the territory's planner to a tour: the stops chosen on the plan become draft
//! events of one tour, one date each (one per week by default, each editable before and
//! after), to be completed (address, programme) and published by the organiser.

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Paris;
use maillage_comptes::Acteur;
use maillage_store::evenements::{FiltreEvenements, TourneeRow};

use crate::domaine::{StatutEvenement, TypeEvenement};
use crate::fichier::EvenementLu;
use crate::{ErreurEvenements, EvenementRow, Evenements, Resultat};

/// Most stops a tour is created with at once (the planner's own limit).
pub const ARRETS_MAX: usize = 50;

/// A stop chosen on the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct ArretPropose {
    /// INSEE code of the commune.
    pub commune: String,
    /// The stop's day.
    pub date: NaiveDate,
    /// Fragile inhabitants the stop reaches that no permanent place covers (the plan's
    /// figure, kept in the draft's description).
    pub atteints: f64,
}

/// A tour with its stops, by date.
#[derive(Debug, Clone)]
pub struct TourneeDetaillee {
    pub tournee: TourneeRow,
    pub arrets: Vec<EvenementRow>,
}

/// A stop's day in France: 9 h 30 to 17 h.
fn journee(date: NaiveDate) -> Resultat<(chrono::DateTime<Utc>, chrono::DateTime<Utc>)> {
    let heure = |h, m| {
        let t = NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default();
        Paris
            .from_local_datetime(&date.and_time(t))
            .earliest()
            .map(|d| d.with_timezone(&Utc))
            .ok_or_else(|| {
                ErreurEvenements::invalide("date", format!("heure impossible le {date}"))
            })
    };
    Ok((heure(9, 30)?, heure(17, 0)?))
}

impl Evenements {
    /// Creates a tour and one draft stop (« étape d’une tournée », 9 h 30–17 h) per chosen
    /// commune. Refuses before writing anything: no stop, too many, an unknown commune, a
    /// date already past, two stops in one commune. Returns the tour's id and the stops'.
    pub async fn creer_tournee_depuis_plan(
        &self,
        acteur: &Acteur,
        titre: &str,
        rayon_km: f64,
        arrets: &[ArretPropose],
    ) -> Resultat<(i64, Vec<i64>)> {
        Self::exiger_organisateur(acteur)?;
        if arrets.is_empty() {
            return Err(ErreurEvenements::invalide(
                "arrets",
                "choisissez au moins un arrêt",
            ));
        }
        if arrets.len() > ARRETS_MAX {
            return Err(ErreurEvenements::invalide(
                "arrets",
                format!("{ARRETS_MAX} arrêts au plus (ici {})", arrets.len()),
            ));
        }
        let referentiel = self.comptes.referentiel();
        let aujourdhui = self.comptes.aujourdhui();
        let mut jours = Vec::with_capacity(arrets.len());
        for (i, a) in arrets.iter().enumerate() {
            let Some(commune) = referentiel.commune(&a.commune) else {
                return Err(ErreurEvenements::invalide(
                    "arrets",
                    format!("arrêt n° {} : commune inconnue « {} »", i + 1, a.commune),
                ));
            };
            if a.date < aujourdhui {
                return Err(ErreurEvenements::invalide(
                    "date",
                    format!(
                        "arrêt n° {} ({}) : le {} est déjà passé",
                        i + 1,
                        commune.nom,
                        a.date.format("%d/%m/%Y")
                    ),
                ));
            }
            if arrets[..i].iter().any(|b| b.commune == a.commune) {
                return Err(ErreurEvenements::invalide(
                    "arrets",
                    format!("{} est choisie deux fois", commune.nom),
                ));
            }
            jours.push((commune.nom.clone(), journee(a.date)?));
        }
        let tournee = self.creer_tournee(acteur, titre).await?;
        let mut ids = Vec::with_capacity(arrets.len());
        for (a, (nom, (debut, fin))) in arrets.iter().zip(jours) {
            let e = EvenementLu {
                titre: format!("{} : étape de {nom}", titre.trim()),
                type_evenement: TypeEvenement::EtapeTournee,
                commune: a.commune.clone(),
                adresse: None,
                lieu: None,
                debut,
                fin,
                statut: StatutEvenement::Brouillon,
                description: Some(format!(
                    "Arrêt proposé par le planificateur : environ {} habitants fragiles à moins de {} km, qu’aucun lieu permanent ne couvre.",
                    a.atteints.round() as i64,
                    rayon_km
                )),
                accessibilite: Default::default(),
                tournee: Some(tournee),
                sessions: Vec::new(),
            };
            ids.push(self.creer(acteur, e).await?.id);
        }
        tracing::info!(tournee, arrets = ids.len(), "tour created from a plan");
        Ok((tournee, ids))
    }

    /// A tour and every one of its stops (drafts included), by date: organisers only.
    pub async fn tournee_detaillee(&self, acteur: &Acteur, id: i64) -> Resultat<TourneeDetaillee> {
        let tournee = self.tournee(id).await?;
        if !crate::accueil::peut_organiser(acteur, tournee.structure_id) {
            return Err(ErreurEvenements::Introuvable);
        }
        let arrets = self
            .store
            .evenements(&FiltreEvenements {
                communes: Vec::new(),
                depuis: None,
                type_evenement: None,
                statuts: Vec::new(),
                tournee: Some(id),
                limite: ARRETS_MAX as i64 * 4,
            })
            .await?;
        Ok(TourneeDetaillee { tournee, arrets })
    }
}

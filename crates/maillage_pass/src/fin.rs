//! End of validity of a programme (#APTIC's lifecycle, `REFERENTIELS.md` §4) and the
//! incidents of forced (offline) redemptions.
//!
//! A programme's passes are valid until its end of validity (`fin_validite`), and still
//! accepted until its tolerance date. Around that end:
//!
//! | when | what | who |
//! |---|---|---|
//! | J−30 (30 days before the end of validity) | the alert: how many passes are not redeemed yet, and their value, recorded once (`pass_alerte_fin`) | the daily job |
//! | from J−15 | the passes never given to anyone (`emis`) are blocked (one `pass_blocage` each, then `pass_blocage_fin`) | the funder validates it (page or command line); never automatic |
//! | until the tolerance date | passes already given out are still accepted | — |
//! | after the tolerance date | the passes not redeemed expire (one `pass_expiration` each) and the credit note (*avoir*) of every pass not redeemed is recorded (`pass_avoir`) | the daily job |
//!
//! Each step is done once per programme (`pass_fin_validite`), in one transaction with its
//! ledger entries.

use chrono::{Duration, NaiveDate};
use maillage_comptes::Acteur;
use maillage_store::pass::{
    EtapeFinRow, IncidentRow, ProgrammeRow, DECISION_ACCEPTEE, DECISION_REFUSEE, ETAPE_ALERTE,
    ETAPE_AVOIR, ETAPE_BLOCAGE,
};
use maillage_store::StoreError;

use crate::{euros, ErreurPass, Pass, Resultat};

/// Days before the end of validity when the alert is due.
pub const ALERTE_JOURS: i64 = 30;
/// Days before the end of validity from when the funder may block the passes never given
/// out.
pub const BLOCAGE_JOURS: i64 = 15;

/// Where a programme stands with its end of validity.
#[derive(Debug, Clone)]
pub struct FinDeValidite {
    pub programme: ProgrammeRow,
    pub aujourdhui: NaiveDate,
    pub alerte_le: NaiveDate,
    pub blocage_le: NaiveDate,
    pub etapes: Vec<EtapeFinRow>,
}

impl FinDeValidite {
    pub fn new(programme: ProgrammeRow, aujourdhui: NaiveDate, etapes: Vec<EtapeFinRow>) -> Self {
        FinDeValidite {
            alerte_le: programme.fin_validite - Duration::days(ALERTE_JOURS),
            blocage_le: programme.fin_validite - Duration::days(BLOCAGE_JOURS),
            programme,
            aujourdhui,
            etapes,
        }
    }

    pub fn etape(&self, etape: &str) -> Option<&EtapeFinRow> {
        self.etapes.iter().find(|e| e.etape == etape)
    }

    /// The alert is due and not recorded.
    pub fn alerte_due(&self) -> bool {
        self.aujourdhui >= self.alerte_le
            && self.etape(ETAPE_ALERTE).is_none()
            && self.etape(ETAPE_AVOIR).is_none()
    }

    /// The funder may validate the blocking now.
    pub fn blocage_possible(&self) -> bool {
        self.aujourdhui >= self.blocage_le
            && self.etape(ETAPE_BLOCAGE).is_none()
            && self.etape(ETAPE_AVOIR).is_none()
    }

    /// The tolerance date passed and the credit note is not recorded.
    pub fn avoir_du(&self) -> bool {
        self.aujourdhui > self.programme.tolerance && self.etape(ETAPE_AVOIR).is_none()
    }

    /// In plain words, for the funder.
    pub fn situation(&self) -> String {
        let date = |d: NaiveDate| d.format("%d/%m/%Y").to_string();
        let p = &self.programme;
        if let Some(a) = self.etape(ETAPE_AVOIR) {
            return format!(
                "Programme terminé : les pass non utilisés ont expiré après le {} ; avoir de {} pass ({}) enregistré le {}.",
                date(p.tolerance),
                a.nombre,
                euros(a.montant_centimes),
                date(a.at.date_naive())
            );
        }
        if self.aujourdhui > p.tolerance {
            return format!(
                "La date de tolérance ({}) est passée : les pass non utilisés vont expirer et l’avoir sera enregistré par la tâche quotidienne.",
                date(p.tolerance)
            );
        }
        if self.aujourdhui > p.fin_validite {
            return format!(
                "Fin de validité passée ({}) : les pass déjà remis sont encore acceptés jusqu’au {} (tolérance).",
                date(p.fin_validite),
                date(p.tolerance)
            );
        }
        if self.aujourdhui >= self.alerte_le {
            return format!(
                "Fin de validité le {} : les pass non utilisés seront acceptés jusqu’au {}, puis crédités en avoir.",
                date(p.fin_validite),
                date(p.tolerance)
            );
        }
        format!(
            "Valable jusqu’au {} (tolérance jusqu’au {}). Alerte prévue le {}, blocage des pass non remis possible à partir du {}.",
            date(p.fin_validite),
            date(p.tolerance),
            date(self.alerte_le),
            date(self.blocage_le)
        )
    }
}

/// A step's name in words.
pub fn libelle_etape(etape: &str) -> &'static str {
    match etape {
        ETAPE_ALERTE => "Alerte J−30",
        ETAPE_BLOCAGE => "Blocage des pass non remis (J−15)",
        ETAPE_AVOIR => "Expiration et avoir",
        _ => "Étape inconnue",
    }
}

impl Pass {
    /// Where the programme stands with its end of validity (its funder only).
    pub async fn fin_de_validite(
        &self,
        acteur: &Acteur,
        programme_id: i64,
    ) -> Resultat<FinDeValidite> {
        let p = self.programme_gere(acteur, programme_id).await?;
        let etapes = self.store.etapes_fin(programme_id).await?;
        Ok(FinDeValidite::new(p, self.comptes.aujourdhui(), etapes))
    }

    async fn faire_etape(
        &self,
        acteur: &Acteur,
        programme_id: i64,
        etape: &str,
    ) -> Resultat<EtapeFinRow> {
        let r = self
            .store
            .etape_fin(
                programme_id,
                etape,
                &Self::nom_acteur(acteur),
                self.maintenant(),
            )
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => ErreurPass::Refus(format!(
                    "L’étape « {} » a déjà été faite pour ce programme.",
                    libelle_etape(etape)
                )),
                e => e.into(),
            })?;
        tracing::info!(
            programme = programme_id,
            etape,
            passes = r.nombre,
            "pass programme end of validity step done"
        );
        Ok(r)
    }

    /// The funder validates the J−15 blocking: the passes never given to anyone are blocked.
    /// Refused before J−15, and once done.
    pub async fn valider_blocage(
        &self,
        acteur: &Acteur,
        programme_id: i64,
    ) -> Resultat<EtapeFinRow> {
        let f = self.fin_de_validite(acteur, programme_id).await?;
        if !f.blocage_possible() {
            return Err(ErreurPass::Refus(if f.aujourdhui < f.blocage_le {
                format!(
                    "Le blocage des pass non remis n’est possible qu’à partir du {} (15 jours avant la fin de validité).",
                    f.blocage_le.format("%d/%m/%Y")
                )
            } else {
                "Le blocage des pass non remis a déjà été fait pour ce programme.".to_string()
            }));
        }
        self.faire_etape(acteur, programme_id, ETAPE_BLOCAGE).await
    }

    /// The daily job (`maillage pass fin-de-validite`): for every programme, the J−30 alert
    /// when due, and after the tolerance date the expiry of the passes not redeemed and the
    /// credit note. The blocking waits for the funder. From J−30 to the tolerance date, the
    /// holders of passes still unused who left an address are told, once per pass
    /// ([`crate::avis`]). Returns the steps done now.
    pub async fn tache_fin_de_validite(&self, acteur: &Acteur) -> Resultat<Vec<EtapeFinRow>> {
        Self::exiger_gestionnaire(acteur)?;
        let mut faites = Vec::new();
        for p in self.store.programmes().await? {
            if !Self::peut_gerer(acteur, p.financeur_structure_id) {
                continue;
            }
            // The J−30 notice to the people holding its passes (once per pass).
            self.aviser_porteurs(&p).await?;
            let etapes = self.store.etapes_fin(p.id).await?;
            let id = p.id;
            let f = FinDeValidite::new(p, self.comptes.aujourdhui(), etapes);
            if f.alerte_due() && !f.avoir_du() {
                faites.extend(self.etape_du_job(acteur, id, ETAPE_ALERTE).await?);
            }
            if f.avoir_du() {
                faites.extend(self.etape_du_job(acteur, id, ETAPE_AVOIR).await?);
            }
        }
        Ok(faites)
    }

    /// A step of the daily job: `None` when another run (on this node or another) did it
    /// between our reading and our writing; the step is made once whoever makes it.
    async fn etape_du_job(
        &self,
        acteur: &Acteur,
        programme_id: i64,
        etape: &str,
    ) -> Resultat<Option<EtapeFinRow>> {
        match self.faire_etape(acteur, programme_id, etape).await {
            Ok(r) => Ok(Some(r)),
            Err(e) => {
                let faite = self
                    .store
                    .etapes_fin(programme_id)
                    .await?
                    .iter()
                    .any(|x| x.etape == etape);
                if !faite {
                    return Err(e);
                }
                tracing::info!(
                    programme = programme_id,
                    etape,
                    "end of validity step already done by another run"
                );
                Ok(None)
            }
        }
    }

    /// The incidents of the programme's forced redemptions (its funder only).
    pub async fn incidents(
        &self,
        acteur: &Acteur,
        programme_id: i64,
    ) -> Resultat<Vec<IncidentRow>> {
        self.programme_gere(acteur, programme_id).await?;
        Ok(self.store.incidents_du_programme(programme_id).await?)
    }

    /// The funder decides a forced redemption's incident: accepted, the redemption is
    /// counted in the place's statement; refused, it is not paid. Once.
    pub async fn decider_incident(
        &self,
        acteur: &Acteur,
        programme_id: i64,
        incident_id: i64,
        accepter: bool,
        commentaire: Option<&str>,
    ) -> Resultat<IncidentRow> {
        self.programme_gere(acteur, programme_id).await?;
        match self.store.incident(incident_id).await? {
            Some(i) if i.programme_id == programme_id => {}
            _ => return Err(ErreurPass::Introuvable),
        }
        let commentaire = commentaire.map(str::trim).filter(|c| !c.is_empty());
        if commentaire.is_some_and(|c| c.chars().count() > 1000) {
            return Err(ErreurPass::invalide(
                "commentaire",
                "1000 caractères au plus",
            ));
        }
        let decision = if accepter {
            DECISION_ACCEPTEE
        } else {
            DECISION_REFUSEE
        };
        self.store
            .decider_incident(
                incident_id,
                decision,
                &Self::nom_acteur(acteur),
                self.maintenant(),
                commentaire,
            )
            .await
            .map_err(|e| match e {
                StoreError::Invalid(_) => {
                    ErreurPass::Refus("Cet incident a déjà été tranché.".into())
                }
                e => e.into(),
            })
    }
}

/// An incident's state in words.
pub fn libelle_decision(decision: Option<&str>) -> &'static str {
    match decision {
        Some(DECISION_ACCEPTEE) => "acceptée : payée au lieu",
        Some(DECISION_REFUSEE) => "refusée : non payée",
        _ => "à trancher",
    }
}

//! Beneficiaries' files: owned by the mediator who created them, shared with team mates
//! only with recorded consent, every access logged, merged when duplicated, purged after
//! the retention period, exported on an access request (RGPD art. 15).

use maillage_domain::mediation::Beneficiaire;
use maillage_domain::CompteId;
use maillage_store::mediation::{BeneficiaireRow, ConsultationRow, NewBeneficiaire};
use serde::Serialize;

use super::activites::{lire, Activite};
use super::{Acteur, DroitsMediation, ErreurMediation, Mediation, Resultat};

/// A readable file.
#[derive(Debug, Clone)]
pub struct Fiche {
    pub row: BeneficiaireRow,
    /// `None` once purged.
    pub beneficiaire: Option<Beneficiaire>,
}

impl Fiche {
    pub fn id(&self) -> i64 {
        self.row.id
    }
    /// First name, or a neutral label once purged.
    pub fn nom(&self) -> String {
        self.beneficiaire
            .as_ref()
            .map(|b| b.prenom.clone())
            .unwrap_or_else(|| format!("Bénéficiaire anonymisé nº {}", self.row.id))
    }
}

/// The name shown for a stored file.
pub fn nom_de(row: &BeneficiaireRow) -> String {
    fiche(row.clone()).nom()
}

fn fiche(row: BeneficiaireRow) -> Fiche {
    let beneficiaire = row
        .data
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok());
    Fiche { row, beneficiaire }
}

/// What a person gets on an access request.
#[derive(Debug, Serialize)]
pub struct ExportPersonnel {
    pub genere_le: String,
    pub identifiant: i64,
    pub donnees: Option<Beneficiaire>,
    pub partage_equipe: bool,
    pub consentement_le: Option<String>,
    pub cree_le: String,
    pub accompagnements: Vec<serde_json::Value>,
    pub acces_au_dossier: Vec<serde_json::Value>,
}

impl Mediation {
    async fn journaliser(&self, acteur: &Acteur, id: i64, action: &str) -> Resultat<()> {
        self.store
            .add_consultation(&ConsultationRow {
                beneficiaire_id: id,
                compte_id: acteur.id().get(),
                action: action.into(),
                at: self.maintenant(),
            })
            .await?;
        Ok(())
    }

    fn valider_beneficiaire(&self, b: Beneficiaire) -> Resultat<Beneficiaire> {
        let annee = chrono::Datelike::year(&self.aujourdhui());
        let b = b
            .valider(annee)
            .map_err(|e| ErreurMediation::invalide(e.champ, e.message))?;
        if let Some(c) = &b.commune {
            if self.referentiel().commune(c.as_str()).is_none() {
                return Err(ErreurMediation::invalide("commune", "commune inconnue"));
            }
        }
        Ok(b)
    }

    /// Creates a file owned by the mediator. `partage` needs the person's consent, which
    /// the mediator declares having collected (its time is recorded).
    pub async fn creer_beneficiaire(
        &self,
        acteur: &Acteur,
        b: Beneficiaire,
        partage: bool,
    ) -> Resultat<i64> {
        if !acteur.est_mediateur() {
            return Err(ErreurMediation::Interdit);
        }
        let b = self.valider_beneficiaire(b)?;
        let now = self.maintenant();
        let id = self
            .store
            .create_beneficiaire(NewBeneficiaire {
                mediateur_id: acteur.id().get(),
                data: serde_json::to_string(&b)
                    .map_err(|e| ErreurMediation::Interne(e.to_string()))?,
                cle_doublon: b.cle_doublon(),
                partage_equipe: partage,
                consentement_at: partage.then_some(now),
                created_at: now,
            })
            .await?;
        self.journaliser(acteur, id, "creation").await?;
        Ok(id)
    }

    async fn fiche_visible(&self, acteur: &Acteur, id: i64) -> Resultat<Fiche> {
        let row = self
            .store
            .beneficiaire(id)
            .await?
            .filter(|b| acteur.peut_voir_beneficiaire(b))
            .ok_or(ErreurMediation::Introuvable)?;
        Ok(fiche(row))
    }

    /// Opens a file (the access is logged).
    pub async fn beneficiaire(&self, acteur: &Acteur, id: i64) -> Resultat<Fiche> {
        let f = self.fiche_visible(acteur, id).await?;
        self.journaliser(acteur, id, "consultation").await?;
        Ok(f)
    }

    /// Changes a file (owner only).
    pub async fn modifier_beneficiaire(
        &self,
        acteur: &Acteur,
        id: i64,
        b: Beneficiaire,
        partage: bool,
    ) -> Resultat<()> {
        let mut row = self
            .store
            .beneficiaire(id)
            .await?
            .filter(|r| acteur.peut_modifier_beneficiaire(r) && r.data.is_some())
            .ok_or(ErreurMediation::Introuvable)?;
        let b = self.valider_beneficiaire(b)?;
        row.data =
            Some(serde_json::to_string(&b).map_err(|e| ErreurMediation::Interne(e.to_string()))?);
        row.cle_doublon = Some(b.cle_doublon());
        if partage && !row.partage_equipe {
            row.consentement_at = Some(self.maintenant());
        }
        if !partage {
            row.consentement_at = None;
        }
        row.partage_equipe = partage;
        self.store.update_beneficiaire(&row).await?;
        self.journaliser(acteur, id, "modification").await
    }

    /// The files a mediator may open: their own and those shared by team mates.
    pub async fn mes_beneficiaires(&self, acteur: &Acteur) -> Resultat<Vec<Fiche>> {
        if !acteur.est_mediateur() {
            return Err(ErreurMediation::Interdit);
        }
        let mut ids: Vec<i64> = acteur.coequipiers.iter().map(|c| c.get()).collect();
        ids.push(acteur.id().get());
        Ok(self
            .store
            .beneficiaires_de(&ids)
            .await?
            .into_iter()
            .filter(|b| acteur.peut_voir_beneficiaire(b) && b.data.is_some())
            .map(fiche)
            .collect())
    }

    /// Groups of the mediator's own files that look like the same person.
    pub async fn doublons(&self, acteur: &Acteur) -> Resultat<Vec<Vec<Fiche>>> {
        let mut par_cle: std::collections::BTreeMap<String, Vec<Fiche>> = Default::default();
        for f in self.mes_beneficiaires(acteur).await? {
            if CompteId::new(f.row.mediateur_id) != acteur.id() {
                continue;
            }
            if let Some(cle) = f.row.cle_doublon.clone() {
                par_cle.entry(cle).or_default().push(f);
            }
        }
        Ok(par_cle.into_values().filter(|g| g.len() > 1).collect())
    }

    /// Merges `absorbe` into `garde` (both the mediator's own).
    pub async fn fusionner(&self, acteur: &Acteur, garde: i64, absorbe: i64) -> Resultat<()> {
        self.comptes.exiger_reauthentification(acteur)?;
        for id in [garde, absorbe] {
            self.store
                .beneficiaire(id)
                .await?
                .filter(|r| acteur.peut_modifier_beneficiaire(r))
                .ok_or(ErreurMediation::Introuvable)?;
        }
        self.store.merge_beneficiaires(garde, absorbe).await?;
        self.journaliser(acteur, garde, "fusion").await
    }

    /// The access log of a file.
    pub async fn consultations(&self, acteur: &Acteur, id: i64) -> Resultat<Vec<ConsultationRow>> {
        self.fiche_visible(acteur, id).await?;
        Ok(self.store.consultations(id).await?)
    }

    /// The activities a file took part in.
    pub async fn activites_du_beneficiaire(
        &self,
        acteur: &Acteur,
        id: i64,
    ) -> Resultat<Vec<Activite>> {
        self.fiche_visible(acteur, id).await?;
        self.store
            .activites_du_beneficiaire(id)
            .await?
            .into_iter()
            .filter(|a| CompteId::new(a.mediateur_id) == acteur.id())
            .map(lire)
            .collect()
    }

    /// Everything kept about a person, for their access request (owner only, logged).
    pub async fn export_personnel(&self, acteur: &Acteur, id: i64) -> Resultat<ExportPersonnel> {
        self.comptes.exiger_reauthentification(acteur)?;
        let row = self
            .store
            .beneficiaire(id)
            .await?
            .filter(|r| acteur.peut_modifier_beneficiaire(r))
            .ok_or(ErreurMediation::Introuvable)?;
        self.journaliser(acteur, id, "export").await?;
        let f = fiche(row);
        let accompagnements = self
            .store
            .activites_du_beneficiaire(id)
            .await?
            .into_iter()
            .map(|a| {
                let mut v: serde_json::Value =
                    serde_json::from_str(&a.data).unwrap_or(serde_json::Value::Null);
                if let Some(o) = v.as_object_mut() {
                    // Other participants are not this person's data.
                    o.remove("beneficiaires");
                    o.insert("id".into(), a.id.into());
                }
                v
            })
            .collect();
        let acces_au_dossier = self
            .store
            .consultations(id)
            .await?
            .into_iter()
            .map(|c| {
                serde_json::json!({
                    "date": c.at.to_rfc3339(),
                    "action": c.action,
                    "compte": c.compte_id,
                })
            })
            .collect();
        Ok(ExportPersonnel {
            genere_le: self.maintenant().to_rfc3339(),
            identifiant: f.row.id,
            donnees: f.beneficiaire,
            partage_equipe: f.row.partage_equipe,
            consentement_le: f.row.consentement_at.map(|t| t.to_rfc3339()),
            cree_le: f.row.created_at.to_rfc3339(),
            accompagnements,
            acces_au_dossier,
        })
    }
}

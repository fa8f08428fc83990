//! Activity records (CRA): record, edit, duplicate, delete (with history).

use maillage_domain::mediation::{
    Beneficiaire, Compteurs, Cra, ProfilParticipant, TypeLieu, DUREES_PROPOSEES,
};
use maillage_domain::{LieuActiviteId, StructureId};
use maillage_store::mediation::{ActiviteRow, ActiviteWrite, HistoriqueRow};

use super::{Acteur, DroitsMediation, ErreurMediation, Mediation, Resultat};

/// A stored record, read back.
#[derive(Debug, Clone)]
pub struct Activite {
    pub row: ActiviteRow,
    pub cra: Cra,
}

impl Mediation {
    /// Durations offered on the form: the mediator's own frequent ones first (used more
    /// than 5 times, top 10), then the usual ones.
    pub async fn durees_proposees(&self, acteur: &Acteur) -> Resultat<Vec<u32>> {
        let mut out: Vec<u32> = self
            .store
            .durees_frequentes(acteur.id().get(), 6, 10)
            .await?
            .into_iter()
            .map(|(d, _)| d as u32)
            .collect();
        for d in DUREES_PROPOSEES {
            if !out.contains(&d) {
                out.push(d);
            }
        }
        Ok(out)
    }

    async fn profils(
        &self,
        acteur: &Acteur,
        cra: &Cra,
        activite_id: Option<i64>,
    ) -> Resultat<Vec<ProfilParticipant>> {
        let annee = chrono::Datelike::year(&cra.date);
        let mut out = Vec::new();
        for id in &cra.beneficiaires {
            let row = self
                .store
                .beneficiaire(*id)
                .await?
                .filter(|b| acteur.peut_voir_beneficiaire(b))
                .ok_or_else(|| {
                    ErreurMediation::invalide("participants", "bénéficiaire introuvable")
                })?;
            let b: Option<Beneficiaire> = row
                .data
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok());
            let mut deja = self.store.count_participations(*id).await?;
            if let Some(aid) = activite_id {
                if let Some(old) = self.store.activite(aid).await? {
                    if old.beneficiaires.contains(id) {
                        deja -= 1;
                    }
                }
            }
            out.push(match b {
                Some(b) => ProfilParticipant {
                    tranche_age: b.tranche_age(annee),
                    statut: b.statut,
                    genre: b.genre,
                    nouveau: deja <= 0,
                },
                None => ProfilParticipant {
                    tranche_age: maillage_domain::mediation::TrancheAge::NonCommunique,
                    statut: maillage_domain::mediation::StatutSocial::NonCommunique,
                    genre: maillage_domain::mediation::Genre::NonCommunique,
                    nouveau: deja <= 0,
                },
            });
        }
        Ok(out)
    }

    /// Turns a record into a write (checks, place, commune, counters).
    pub(super) async fn preparer(
        &self,
        acteur: &Acteur,
        id: Option<i64>,
        cra: Cra,
    ) -> Resultat<ActiviteWrite> {
        if !acteur.est_mediateur() {
            return Err(ErreurMediation::Interdit);
        }
        let cra = cra
            .valider(self.aujourdhui())
            .map_err(|e| ErreurMediation::invalide(e.champ, e.message))?;
        let (commune, lieu) = match (cra.type_lieu, cra.lieu_activite_id) {
            (TypeLieu::LieuActivite, Some(lid)) => {
                let lieu = self
                    .comptes
                    .mes_lieux(acteur)
                    .await?
                    .into_iter()
                    .find(|l| LieuActiviteId::new(l.id) == lid)
                    .ok_or_else(|| {
                        ErreurMediation::invalide("lieu", "ce lieu n’est pas l’un des vôtres")
                    })?;
                (lieu.code_insee.clone(), Some(lieu))
            }
            _ => (
                cra.commune
                    .as_ref()
                    .map(|c| c.as_str().to_string())
                    .unwrap_or_default(),
                None,
            ),
        };
        if self.referentiel().commune(&commune).is_none() {
            return Err(ErreurMediation::invalide("commune", "commune inconnue"));
        }
        let profils = self.profils(acteur, &cra, id).await?;
        let compteurs = Compteurs::d_une_activite(&cra, &profils).en_octets();
        let data =
            serde_json::to_string(&cra).map_err(|e| ErreurMediation::Interne(e.to_string()))?;
        Ok(ActiviteWrite {
            id,
            mediateur_id: acteur.id().get(),
            structure_id: lieu
                .as_ref()
                .map(|l| l.structure_id)
                .or(acteur.compte.structure_id.map(StructureId::get)),
            lieu_activite_id: lieu.map(|l| l.id),
            commune,
            date: cra.date,
            type_activite: maillage_domain::mediation::Referentiel::code(cra.type_activite).into(),
            duree: cra.duree as i32,
            data,
            compteurs,
            beneficiaires: cra.beneficiaires.clone(),
            auteur_id: acteur.id().get(),
            at: self.maintenant(),
        })
    }

    /// Records a new activity, or replaces one of the mediator's (`id`). Returns its id.
    pub async fn enregistrer_activite(
        &self,
        acteur: &Acteur,
        id: Option<i64>,
        cra: Cra,
    ) -> Resultat<i64> {
        if let Some(id) = id {
            self.activite(acteur, id).await?;
        }
        let w = self.preparer(acteur, id, cra).await?;
        let ids = self.store.save_activites(vec![w]).await?;
        ids.first()
            .copied()
            .ok_or_else(|| ErreurMediation::Interne("no id returned".into()))
    }

    /// One of the mediator's records (others' are "not found").
    pub async fn activite(&self, acteur: &Acteur, id: i64) -> Resultat<Activite> {
        let row = self
            .store
            .activite(id)
            .await?
            .filter(|a| a.deleted_at.is_none() && acteur.peut_modifier_activite(a))
            .ok_or(ErreurMediation::Introuvable)?;
        lire(row)
    }

    /// The mediator's latest records.
    pub async fn mes_activites(
        &self,
        acteur: &Acteur,
        limite: i64,
        decalage: i64,
    ) -> Resultat<Vec<Activite>> {
        if !acteur.est_mediateur() {
            return Err(ErreurMediation::Interdit);
        }
        self.store
            .activites_de(&[acteur.id().get()], limite, decalage)
            .await?
            .into_iter()
            .map(lire)
            .collect()
    }

    /// Deletes one of the mediator's records (kept in its history).
    pub async fn supprimer_activite(&self, acteur: &Acteur, id: i64) -> Resultat<()> {
        self.activite(acteur, id).await?;
        self.store
            .delete_activite(id, acteur.id().get(), self.maintenant())
            .await?;
        Ok(())
    }

    /// The versions of one of the mediator's records.
    pub async fn historique(&self, acteur: &Acteur, id: i64) -> Resultat<Vec<HistoriqueRow>> {
        self.activite(acteur, id).await?;
        Ok(self.store.historique_activite(id).await?)
    }
}

pub(super) fn lire(row: ActiviteRow) -> Resultat<Activite> {
    let cra: Cra = serde_json::from_str(&row.data)
        .map_err(|e| ErreurMediation::Interne(format!("activité {} illisible : {e}", row.id)))?;
    Ok(Activite { row, cra })
}

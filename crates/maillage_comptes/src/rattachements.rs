//! Members of structures: who belongs to which structure, from when to when. An account
//! invited into a structure belongs to it from the day it is created; administrators and
//! coordinators (see [`super::acces`]) attach existing accounts and detach them with
//! dates, as for places of activity. An aidant of several structures chooses the one it
//! acts for (mandates are signed and used in that structure's name).

use chrono::NaiveDate;
use maillage_domain::mediation::{Referentiel, Role};
use maillage_domain::{CompteId, StructureId};
use maillage_store::comptes::{CompteRow, RattachementRow, StructureRow};

use super::{Acteur, Compte, Comptes, ErreurComptes, Resultat};

/// A member of a structure, as listed on its page.
#[derive(Debug, Clone)]
pub struct Membre {
    pub compte: Compte,
    pub debut: NaiveDate,
    pub fin: Option<NaiveDate>,
    /// Belongs to the structure today.
    pub actif: bool,
}

impl Comptes {
    /// The structures this actor may manage (invite into, attach, detach), by name.
    pub async fn structures_gerables(&self, acteur: &Acteur) -> Resultat<Vec<StructureRow>> {
        let mut v: Vec<StructureRow> = self
            .store
            .structures()
            .await?
            .into_iter()
            .filter(|s| acteur.peut_gerer_structure(s))
            .collect();
        v.sort_by(|a, b| a.nom.cmp(&b.nom).then(a.id.cmp(&b.id)));
        Ok(v)
    }

    /// The structure with this id, if the actor may manage it (`Interdit` otherwise, and
    /// an unknown id is a field error).
    pub(super) async fn structure_geree(
        &self,
        acteur: &Acteur,
        structure_id: StructureId,
    ) -> Resultat<StructureRow> {
        let s = self
            .store
            .structures()
            .await?
            .into_iter()
            .find(|s| StructureId::new(s.id) == structure_id)
            .ok_or_else(|| ErreurComptes::invalide("structure", "structure inconnue"))?;
        if !acteur.peut_gerer_structure(&s) {
            return Err(ErreurComptes::Interdit);
        }
        Ok(s)
    }

    async fn compte_a_rattacher(&self, acteur: &Acteur, email: &str) -> Resultat<CompteRow> {
        let c = self
            .store
            .compte_par_email(&email.trim().to_lowercase())
            .await?
            .ok_or_else(|| {
                ErreurComptes::invalide("adresse électronique", "aucun compte à cette adresse")
            })?;
        match Role::depuis_code(&c.role) {
            Some(Role::Mediateur) => Ok(c),
            // Coordinators are attached by administrators only.
            Some(Role::Coordinateur) if acteur.role == Role::Administrateur => Ok(c),
            Some(Role::Coordinateur) => Err(ErreurComptes::Interdit),
            _ => Err(ErreurComptes::invalide(
                "adresse électronique",
                "un administrateur n’est rattaché à aucune structure",
            )),
        }
    }

    /// Attaches an existing account to a structure from `debut`. An account that acted for
    /// no structure now acts for this one.
    pub async fn rattacher(
        &self,
        acteur: &Acteur,
        email: &str,
        structure_id: StructureId,
        debut: NaiveDate,
    ) -> Resultat<Compte> {
        let s = self.structure_geree(acteur, structure_id).await?;
        let mut c = self.compte_a_rattacher(acteur, email).await?;
        let rattachements = self.store.rattachements(c.id).await?;
        if rattachements
            .iter()
            .any(|r| r.structure_id == s.id && r.fin.is_none_or(|f| f >= debut))
        {
            return Err(ErreurComptes::invalide(
                "adresse électronique",
                format!("{} fait déjà partie de {}", c.nom, s.nom),
            ));
        }
        self.store
            .add_rattachement(&RattachementRow {
                compte_id: c.id,
                structure_id: s.id,
                debut,
                fin: None,
            })
            .await?;
        self.suivre_structure_courante(&mut c).await?;
        tracing::info!(
            compte = c.id,
            structure = s.id,
            par = acteur.id().get(),
            "account attached to a structure"
        );
        Ok(Compte::from(c))
    }

    /// Ends an account's membership of a structure on `fin` (its last day). If it acted
    /// for that structure, it acts from the next day for another of its structures, or
    /// for none (and can no longer sign or use mandates).
    pub async fn detacher(
        &self,
        acteur: &Acteur,
        email: &str,
        structure_id: StructureId,
        fin: NaiveDate,
    ) -> Resultat<Compte> {
        let s = self.structure_geree(acteur, structure_id).await?;
        let mut c = self.compte_a_rattacher(acteur, email).await?;
        let ouverts: Vec<RattachementRow> = self
            .store
            .rattachements(c.id)
            .await?
            .into_iter()
            .filter(|r| r.structure_id == s.id && r.fin.is_none())
            .collect();
        if ouverts.is_empty() {
            return Err(ErreurComptes::invalide(
                "adresse électronique",
                format!("{} ne fait pas partie de {}", c.nom, s.nom),
            ));
        }
        if ouverts.iter().any(|r| r.debut > fin) {
            return Err(ErreurComptes::invalide(
                "fin",
                "la date de fin précède le début du rattachement",
            ));
        }
        self.store.fin_rattachement(c.id, s.id, fin).await?;
        self.suivre_structure_courante(&mut c).await?;
        tracing::info!(
            compte = c.id,
            structure = s.id,
            par = acteur.id().get(),
            "account detached from a structure"
        );
        Ok(Compte::from(c))
    }

    /// After a membership changed: the account acts for its chosen structure while it still
    /// belongs to it, else for the first of its structures (written back if it changed).
    async fn suivre_structure_courante(&self, c: &mut CompteRow) -> Resultat<()> {
        let choisie = c.structure_id.map(StructureId::new);
        let (_, courante) = self
            .structures_du_compte(CompteId::new(c.id), choisie)
            .await?;
        if courante != choisie {
            c.structure_id = courante.map(StructureId::get);
            self.store.update_compte(c).await?;
        }
        Ok(())
    }

    /// Chooses the structure the account acts for, among those it belongs to today.
    pub async fn choisir_structure(
        &self,
        acteur: &Acteur,
        structure_id: StructureId,
    ) -> Resultat<()> {
        if !acteur.structures.iter().any(|(id, _)| *id == structure_id) {
            return Err(ErreurComptes::invalide(
                "structure",
                "vous ne faites pas partie de cette structure",
            ));
        }
        let mut c = self
            .store
            .compte(acteur.id().get())
            .await?
            .ok_or(ErreurComptes::Introuvable)?;
        c.structure_id = Some(structure_id.get());
        self.store.update_compte(&c).await?;
        Ok(())
    }

    /// The members of a structure the actor may manage, present and past, newest first.
    pub async fn membres_de_structure(
        &self,
        acteur: &Acteur,
        structure_id: StructureId,
    ) -> Resultat<Vec<Membre>> {
        self.structure_geree(acteur, structure_id).await?;
        let jour = self.aujourdhui();
        let mut v = Vec::new();
        for r in self
            .store
            .rattachements_de_structure(structure_id.get())
            .await?
        {
            if let Some(compte) = self.store.compte(r.compte_id).await? {
                v.push(Membre {
                    actif: r.actif_le(jour),
                    compte: Compte::from(compte),
                    debut: r.debut,
                    fin: r.fin,
                });
            }
        }
        v.sort_by(|a, b| b.actif.cmp(&a.actif).then(b.debut.cmp(&a.debut)));
        Ok(v)
    }
}

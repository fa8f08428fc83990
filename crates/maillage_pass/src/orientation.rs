//! What Pass tells the other modules' public pages: the programmes a person living in a
//! commune could be given a pass by (the self-assessment's next steps ask it).

use chrono::NaiveDate;

use crate::stockage::ProgrammeRow;
use crate::{Pass, Resultat};

/// A programme that covers a commune, with the places where its passes are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffrePass {
    pub programme: ProgrammeRow,
    /// Names of the qualified places' structures, in the order they were qualified.
    pub lieux: Vec<String>,
}

impl Pass {
    /// The programmes still valid on `jour` (up to their end of validity, not the
    /// tolerance: a pass given today must be usable) whose territory covers `code_insee`,
    /// those that end last first. No personal data: what any visitor may read.
    pub async fn offres_pour_commune(
        &self,
        code_insee: &str,
        jour: NaiveDate,
    ) -> Resultat<Vec<OffrePass>> {
        let mut offres = Vec::new();
        let mut structures = None;
        for p in self.store.programmes().await? {
            if p.fin_validite < jour || !self.store.programme_couvre(p.id, code_insee).await? {
                continue;
            }
            if structures.is_none() {
                structures = Some(self.comptes.toutes_les_structures().await?);
            }
            let noms = structures.as_deref().unwrap_or_default();
            let lieux = self
                .store
                .lieux_qualifies(p.id)
                .await?
                .into_iter()
                .filter_map(|l| {
                    noms.iter()
                        .find(|s| s.id == l.structure_id)
                        .map(|s| s.nom.clone())
                })
                .collect();
            offres.push(OffrePass {
                programme: p,
                lieux,
            });
        }
        offres.sort_by(|a, b| {
            b.programme
                .fin_validite
                .cmp(&a.programme.fin_validite)
                .then(a.programme.id.cmp(&b.programme.id))
        });
        Ok(offres)
    }
}

//! Telling the person who holds a pass that its end of validity approaches (the J−30
//! notice): « Mon espace » shows it from J−30 (30 days before the programme's end of
//! validity) until the last day the pass is accepted (the tolerance date), with the places
//! that accept it; and when the person left an e-mail address in « Mon espace », the daily
//! job queues one message per pass in the accounts kernel's outbox.
//!
//! « Once » across runs and nodes: a pass's message is queued only by the call that
//! inserted its row in `pass_avis_fin` ([`PassStore::marquer_avise`], `ON CONFLICT DO
//! NOTHING`); every later run, on any node, finds the row and queues nothing. The row is
//! written before the message is queued: if queuing fails, the message is lost (logged)
//! rather than sent twice.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use maillage_comptes::personnes::SessionEspace;
use maillage_comptes::stockage::NewCourriel;
use maillage_store::pass::{ProgrammeRow, ETAT_DISTRIBUE};

use crate::fin::ALERTE_JOURS;
use crate::{euros, ErreurPass, Pass, Resultat};

/// Whether `aujourdhui` is in the programme's notice period: from J−30 to the tolerance
/// date included.
pub fn periode_d_avis(p: &ProgrammeRow, aujourdhui: NaiveDate) -> bool {
    aujourdhui >= p.fin_validite - Duration::days(ALERTE_JOURS) && aujourdhui <= p.tolerance
}

/// The notice, in words: the value, the last day, where to use it.
pub fn texte_avis(valeur_centimes: i64, p: &ProgrammeRow, lieux: &[String]) -> String {
    let ou = if lieux.is_empty() {
        "dans un lieu qualifié pour ce pass".to_string()
    } else {
        format!("dans l’un de ces lieux : {}", lieux.join(", "))
    };
    format!(
        "Votre pass de {} est valable jusqu’au {} : utilisez-le avant cette date, pour un atelier ou un accompagnement, {ou}.",
        euros(valeur_centimes),
        p.tolerance.format("%d/%m/%Y")
    )
}

/// An e-mail address, roughly: something before and after one `@`, a dot in the domain,
/// no space, 254 characters at most.
fn adresse_valide(a: &str) -> bool {
    a.len() <= 254
        && !a.contains(char::is_whitespace)
        && a.split_once('@').is_some_and(|(local, domaine)| {
            !local.is_empty()
                && !domaine.contains('@')
                && domaine.contains('.')
                && !domaine.starts_with('.')
                && !domaine.ends_with('.')
        })
}

impl Pass {
    /// The places that accept the programme's passes: « Name (Commune) », by name.
    pub async fn lieux_du_programme(&self, programme_id: i64) -> Resultat<Vec<String>> {
        let qualifies = self.store.lieux_qualifies(programme_id).await?;
        if qualifies.is_empty() {
            return Ok(Vec::new());
        }
        let noms: BTreeMap<i64, String> = self
            .comptes
            .toutes_les_structures()
            .await?
            .into_iter()
            .map(|s| (s.id, s.nom))
            .collect();
        let referentiel = self.comptes.referentiel();
        let mut lieux: Vec<String> = qualifies
            .iter()
            .map(|l| {
                let nom = noms
                    .get(&l.structure_id)
                    .cloned()
                    .unwrap_or_else(|| format!("structure n° {}", l.structure_id));
                match referentiel.commune(&l.commune) {
                    Some(c) => format!("{nom} ({})", c.nom),
                    None => nom,
                }
            })
            .collect();
        lieux.sort();
        lieux.dedup();
        Ok(lieux)
    }

    /// The address the person left to be told about their passes.
    pub async fn contact_avis(&self, s: &SessionEspace) -> Resultat<Option<String>> {
        Ok(self.store.contact_personne(s.personne_id()).await?)
    }

    /// The person leaves (or, empty, removes) the address to be told before the end of
    /// validity of their passes. Returns the address kept.
    pub async fn definir_contact_avis(
        &self,
        s: &SessionEspace,
        contact: &str,
    ) -> Resultat<Option<String>> {
        let c = contact.trim();
        if c.is_empty() {
            self.store
                .definir_contact_personne(s.personne_id(), None, self.maintenant())
                .await?;
            return Ok(None);
        }
        if !adresse_valide(c) {
            return Err(ErreurPass::invalide(
                "contact",
                format!("« {c} » n’est pas une adresse électronique (exemple : prenom@exemple.fr)"),
            ));
        }
        self.store
            .definir_contact_personne(s.personne_id(), Some(c), self.maintenant())
            .await?;
        Ok(Some(c.to_string()))
    }

    /// For a programme in its notice period: queues one message per distributed pass whose
    /// holder left an address and was not told yet. Returns how many were queued.
    pub(crate) async fn aviser_porteurs(&self, p: &ProgrammeRow) -> Resultat<u64> {
        if !periode_d_avis(p, self.comptes.aujourdhui()) {
            return Ok(0);
        }
        let a_aviser = self.store.pass_a_aviser(p.id).await?;
        if a_aviser.is_empty() {
            return Ok(0);
        }
        let lieux = self.lieux_du_programme(p.id).await?;
        let adresse = self
            .comptes
            .reglages()
            .adresse_publique
            .trim_end_matches('/')
            .to_string();
        let mut n = 0;
        for a in a_aviser {
            if !self
                .store
                .marquer_avise(a.pass_id, self.maintenant())
                .await?
            {
                continue;
            }
            let remis = a
                .distribue_at
                .map(|d| {
                    format!(
                        ", remis le {}",
                        d.with_timezone(&chrono_tz::Europe::Paris)
                            .format("%d/%m/%Y")
                    )
                })
                .unwrap_or_default();
            let courriel = NewCourriel {
                destinataire: a.contact,
                sujet: format!(
                    "Votre pass numérique de {} est valable jusqu’au {}",
                    euros(a.valeur_centimes),
                    p.tolerance.format("%d/%m/%Y")
                ),
                corps: format!(
                    "Bonjour,\n\n{}\n\nC’est le pass « {} »{remis}. Vous le retrouvez dans « Mon espace », avec votre code personnel :\n{adresse}/mon-espace\n\nVous recevez ce message parce que vous avez laissé cette adresse dans « Mon espace » ; vous pouvez l’y retirer.\n",
                    texte_avis(a.valeur_centimes, p, &lieux),
                    p.nom
                ),
            };
            match self.comptes.mettre_en_file(courriel).await {
                Ok(_) => n += 1,
                Err(e) => tracing::warn!(
                    pass = a.pass_id,
                    "pass end-of-validity notice could not be queued: {e}"
                ),
            }
        }
        if n > 0 {
            tracing::info!(
                programme = p.id,
                messages = n,
                "pass end-of-validity notices queued"
            );
        }
        Ok(n)
    }

    /// The notice of a pass attached to the person's key, if it is due today.
    pub(crate) fn avis_du_pass(
        &self,
        etat: &str,
        valeur_centimes: i64,
        p: &ProgrammeRow,
        lieux: &[String],
    ) -> Option<String> {
        (etat == ETAT_DISTRIBUE && periode_d_avis(p, self.comptes.aujourdhui()))
            .then(|| texte_avis(valeur_centimes, p, lieux))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn programme(fin: NaiveDate, tolerance: NaiveDate) -> ProgrammeRow {
        ProgrammeRow {
            id: 1,
            financeur_structure_id: 1,
            nom: "Pass".into(),
            budget_centimes: 100_000,
            valeur_centimes: 1_000,
            fin_validite: fin,
            tolerance,
            territoire: "dep:31".into(),
            publics: String::new(),
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn periode_de_j_moins_30_a_la_tolerance() {
        let j = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let p = programme(j(12, 10), j(12, 20));
        assert!(!periode_d_avis(&p, j(11, 9)));
        assert!(periode_d_avis(&p, j(11, 10)), "J−30");
        assert!(periode_d_avis(&p, j(12, 20)), "the tolerance date");
        assert!(!periode_d_avis(&p, j(12, 21)));
        let t = texte_avis(1_000, &p, &["Lieu A (Muret)".into()]);
        assert!(t.starts_with("Votre pass de 10,00"), "{t}");
        assert!(
            t.contains("valable jusqu’au 20/12/2026 : utilisez-le avant cette date"),
            "{t}"
        );
        assert!(t.contains("Lieu A (Muret)"), "{t}");
    }

    #[test]
    fn adresses() {
        for ok in ["a@b.fr", "prenom.nom@exemple.fr"] {
            assert!(adresse_valide(ok), "{ok}");
        }
        for non in [
            "", "a", "a@b", "@b.fr", "a b@c.fr", "a@b@c.fr", "a@.fr", "a@b.",
        ] {
            assert!(!adresse_valide(non), "{non}");
        }
    }
}

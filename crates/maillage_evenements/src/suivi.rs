//! After a registration: the waiting list's time-limited offer, and the messages of the
//! outbox (the reminder the day before, the message after).
//!
//! - A cancellation offers the freed seat to the first person waiting for
//!   [`Evenements::delai_offre`] (24 h by default, `MAILLAGE_DELAI_OFFRE_HEURES`): the seat is
//!   held for them; they confirm with the link of their ticket or in « Mon espace » with their
//!   key. [`Evenements::taches`] lets the lapsed offers go to the next person.
//! - Messages go only to people who gave an e-mail address (the form asks for a contact only
//!   « si vous voulez un rappel »; the outbox sends e-mails, so a phone number gets nothing):
//!   an offer of a seat, the reminder the day before (sessions starting in the next
//!   [`FENETRE_VEILLE`]), the message after (sessions ended in the last
//!   [`FENETRE_APRES`]). Each reminder is recorded before it is queued
//!   ([`maillage_store::evenements::EvenementsStore::marquer_rappel`]): the job can run any
//!   number of times, a person gets each message once.

use chrono::{DateTime, Duration, Utc};
use maillage_comptes::personnes::SessionEspace;
use maillage_comptes::stockage::NewCourriel;
use maillage_store::evenements::{
    ConfirmationOffre, InscriptionRow, OffresTraitees, RAPPEL_APRES, RAPPEL_VEILLE,
};

use crate::{ErreurEvenements, Evenements, Resultat};

/// How long a freed seat is held for the person it is offered to, by default.
pub const DELAI_OFFRE_DEFAUT: Duration = Duration::hours(24);
/// The reminder goes to sessions starting within this long.
pub const FENETRE_VEILLE: Duration = Duration::hours(36);
/// The message after goes to sessions ended within this long.
pub const FENETRE_APRES: Duration = Duration::days(7);

/// What one run of [`Evenements::taches`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BilanTaches {
    pub offres: OffresTraitees,
    /// Reminders queued (the day before).
    pub rappels: u64,
    /// Messages after queued.
    pub messages_apres: u64,
}

/// An e-mail address among what a person typed as contact, if it is one.
fn courriel_de(contact: Option<&str>) -> Option<&str> {
    contact
        .map(str::trim)
        .filter(|c| c.contains('@') && !c.contains(char::is_whitespace))
}

/// « le 12/06/2030 à 10:00 », at the hour of Paris.
fn le(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Paris)
        .format("le %d/%m/%Y à %H:%M")
        .to_string()
}

impl Evenements {
    /// The same module holding a freed seat `delai` for the person it is offered to.
    pub fn avec_delai_offre(mut self, delai: Duration) -> Self {
        self.delai_offre = delai;
        self
    }

    pub fn delai_offre(&self) -> Duration {
        self.delai_offre
    }

    /// The deadline of an offer made now.
    pub(crate) fn echeance_offre(&self) -> DateTime<Utc> {
        self.maintenant() + self.delai_offre
    }

    /// Tells the people a seat was just offered to (those who gave an e-mail address).
    pub(crate) async fn prevenir_offres(&self, ids: &[i64]) -> Resultat<()> {
        for id in ids {
            let Some(i) = self.store.inscription(*id).await? else {
                continue;
            };
            let Some(a) = courriel_de(i.contact.as_deref()) else {
                continue;
            };
            let Some((session, evenement)) = self.session_et_evenement(&i).await? else {
                continue;
            };
            let fin = i.offre_jusqu_a.unwrap_or_else(|| self.echeance_offre());
            let adresse = self.adresse_publique();
            self.comptes
                .mettre_en_file(NewCourriel {
                    destinataire: a.to_string(),
                    sujet: format!("Une place s’est libérée : {}", session),
                    corps: format!(
                        "Bonjour {},\n\nUne place s’est libérée pour « {session} » \
                         ({evenement}). Elle vous est réservée jusqu’{} (heure de Paris).\n\
                         Confirmez-la avant avec le lien de votre billet, ou dans « Mon espace » \
                         avec votre code personnel :\n{adresse}/mon-espace\n\n\
                         Sans réponse, elle sera proposée à la personne suivante.\n",
                        i.prenom,
                        le(fin).replacen("le ", "au ", 1)
                    ),
                })
                .await?;
        }
        Ok(())
    }

    fn adresse_publique(&self) -> String {
        self.comptes
            .reglages()
            .adresse_publique
            .trim_end_matches('/')
            .to_string()
    }

    /// The session's title and « event, when, where » of a registration.
    async fn session_et_evenement(&self, i: &InscriptionRow) -> Resultat<Option<(String, String)>> {
        let Some(s) = self.store.session_evenement(i.session_id).await? else {
            return Ok(None);
        };
        let Some(e) = self.store.evenement(s.evenement_id).await? else {
            return Ok(None);
        };
        let ou = match (&s.salle, &e.adresse) {
            (Some(salle), Some(a)) => format!("{salle}, {a}"),
            (None, Some(a)) => a.clone(),
            (Some(salle), None) => salle.clone(),
            (None, None) => String::new(),
        };
        let ou = if ou.is_empty() {
            String::new()
        } else {
            format!(", {ou}")
        };
        Ok(Some((
            s.titre,
            format!("« {} », {}{ou}", e.titre, le(s.debut)),
        )))
    }

    /// Confirms the seat offered to the registration of a ticket's link.
    pub async fn confirmer_offre(&self, jeton: &str) -> Resultat<ConfirmationOffre> {
        let i = self.par_jeton(jeton).await?;
        self.confirmer(i.id).await
    }

    /// Confirms the seat offered to one of the registrations under the key of an open space.
    pub async fn confirmer_offre_par_personne(
        &self,
        session: &SessionEspace,
        uuid: &str,
    ) -> Resultat<ConfirmationOffre> {
        let i = self
            .store
            .inscription_by_uuid(uuid.trim())
            .await?
            .filter(|i| i.personne_id == Some(session.personne_id()))
            .ok_or(ErreurEvenements::Introuvable)?;
        self.confirmer(i.id).await
    }

    async fn confirmer(&self, id: i64) -> Resultat<ConfirmationOffre> {
        let c = self.store.confirmer_offre(id, self.maintenant()).await?;
        tracing::info!(inscription = id, resultat = ?c, "offered seat confirmation");
        Ok(c)
    }

    /// The job (every few minutes in `maillage serve`, and `maillage evenements taches`):
    /// lapsed offers go to the next person, then the reminders and the messages after.
    /// Idempotent.
    pub async fn taches(&self) -> Resultat<BilanTaches> {
        let maintenant = self.maintenant();
        let offres = self
            .store
            .expirer_offres(maintenant, self.echeance_offre())
            .await?;
        if !offres.expirees.is_empty() {
            tracing::info!(
                expirees = offres.expirees.len(),
                offertes = offres.offertes.len(),
                "lapsed seat offers handed on"
            );
        }
        self.prevenir_offres(&offres.offertes).await?;
        let rappels = self
            .prevenir(RAPPEL_VEILLE, maintenant, maintenant + FENETRE_VEILLE)
            .await?;
        let messages_apres = self
            .prevenir(RAPPEL_APRES, maintenant - FENETRE_APRES, maintenant)
            .await?;
        Ok(BilanTaches {
            offres,
            rappels,
            messages_apres,
        })
    }

    async fn prevenir(&self, nature: &str, de: DateTime<Utc>, a: DateTime<Utc>) -> Resultat<u64> {
        let mut n = 0;
        let adresse = self.adresse_publique();
        for i in self.store.inscriptions_a_prevenir(nature, de, a).await? {
            let Some(dest) = courriel_de(i.contact.as_deref()) else {
                continue;
            };
            let Some((session, evenement)) = self.session_et_evenement(&i).await? else {
                continue;
            };
            if !self
                .store
                .marquer_rappel(i.id, nature, self.maintenant())
                .await?
            {
                continue;
            }
            let (sujet, corps) = if nature == RAPPEL_VEILLE {
                (
                    format!("Rappel : {session}"),
                    format!(
                        "Bonjour {},\n\nNous vous attendons pour « {session} » : {evenement}.\n\
                         Vous ne pouvez plus venir ? Annulez dans « Mon espace » avec votre \
                         code personnel, votre place ira à quelqu’un d’autre :\n\
                         {adresse}/mon-espace\n",
                        i.prenom
                    ),
                )
            } else {
                (
                    format!("Merci : {session}"),
                    format!(
                        "Bonjour {},\n\nMerci de votre inscription à « {session} » : \
                         {evenement}.\nVos inscriptions et votre code personnel restent dans \
                         « Mon espace » :\n{adresse}/mon-espace\n\
                         Les prochains événements près de chez vous :\n{adresse}/evenements\n",
                        i.prenom
                    ),
                )
            };
            self.comptes
                .mettre_en_file(NewCourriel {
                    destinataire: dest.to_string(),
                    sujet,
                    corps,
                })
                .await?;
            n += 1;
        }
        if n > 0 {
            tracing::info!(nature, n, "event messages queued");
        }
        Ok(n)
    }
}

/// Runs [`Evenements::taches`] every `periode` (from `maillage serve`), once per period
/// across the instance's nodes.
pub fn planifier_taches(evenements: Evenements, periode: std::time::Duration) {
    let comptes = evenements.comptes.clone();
    maillage_comptes::taches::planifier(comptes, "evenements", periode, move || {
        let evenements = evenements.clone();
        async move { evenements.taches().await.map(|_| ()) }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_e_mail_addresses_get_messages() {
        assert_eq!(courriel_de(Some(" a@b.fr ")), Some("a@b.fr"));
        assert_eq!(courriel_de(Some("06 12 34 56 78")), None);
        assert_eq!(courriel_de(Some("a @b.fr")), None);
        assert_eq!(courriel_de(None), None);
    }
}

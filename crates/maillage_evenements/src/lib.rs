//! Événements: tour stops, local days and workshops, their programmes, and registrations
//! with a hard capacity (see `docs/EVENEMENTS.md`).
//!
//! Who may do what (decided here only):
//!
//! | what | anyone (no account) | coordinateur, administrateur (and the operator at the command line) |
//! |---|---|---|
//! | see published, cancelled and finished events and their programme | yes | yes |
//! | register to a session of a published event | yes | yes |
//! | cancel a registration | with its link's secret | — |
//! | create or import an event, change its statut, see who registered | — | yes |
//!
//! The capacity is the store's (one transaction under the jauge's lock, see
//! [`maillage_store::evenements`]); this crate checks what people typed and draws the
//! visitor's key, the cancellation secret and the client-facing id.

pub mod accueil;
pub mod domaine;
pub mod fichier;
pub mod ical;
mod lot;
pub mod suivi;
pub mod tournee;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use maillage_comptes::personnes::SessionEspace;
use maillage_comptes::{Acteur, Comptes, ErreurComptes};
use maillage_store::evenements::{
    Annulation, EvenementRow, FiltreEvenements, GardeCapacite, InscriptionRow, NewEvenement,
    NewInscription, NewJauge, NewSessionEvenement, NewTournee, SessionEvenementRow, TourneeRow,
};
use maillage_store::{EvenementsStore, StoreError};

pub use domaine::{
    ecrire_horodatage, lire_horodatage, StatutEvenement, StatutInscription, TypeEvenement,
    TypeSession,
};
pub use fichier::{lire_evenement, EvenementLu, SessionLue};
pub use maillage_store::evenements as stockage;

/// Longest first name or pseudonym, in characters.
pub const PRENOM_MAX: usize = 50;
/// Longest contact (phone or e-mail), in characters.
pub const CONTACT_MAX: usize = 200;
/// Most events a list gives.
pub const LISTE_MAX: i64 = 500;

#[derive(Debug, thiserror::Error)]
pub enum ErreurEvenements {
    #[error("{champ} : {message}")]
    Invalide { champ: String, message: String },
    #[error("Introuvable.")]
    Introuvable,
    /// The event was cancelled: nobody can register any more.
    #[error("Cet événement est annulé : les inscriptions sont fermées.")]
    EvenementAnnule,
    /// The event is a draft or finished, or the session has started.
    #[error("Les inscriptions à cette session sont fermées.")]
    InscriptionsFermees,
    #[error("Ce lien d’annulation n’est pas valable (il a peut-être été mal copié).")]
    LienInvalide,
    #[error("Vous n’avez pas accès à cette page.")]
    Interdit,
    #[error(transparent)]
    Comptes(#[from] ErreurComptes),
    #[error("erreur interne ({0})")]
    Interne(String),
}

impl ErreurEvenements {
    pub fn invalide(champ: &str, message: impl Into<String>) -> Self {
        ErreurEvenements::Invalide {
            champ: champ.to_string(),
            message: message.into(),
        }
    }
}

impl From<StoreError> for ErreurEvenements {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ErreurEvenements::Introuvable,
            other => ErreurEvenements::Interne(other.to_string()),
        }
    }
}

pub type Resultat<T> = Result<T, ErreurEvenements>;

/// An event and its programme.
#[derive(Debug, Clone)]
pub struct DetailEvenement {
    pub evenement: EvenementRow,
    pub sessions: Vec<SessionEvenementRow>,
    /// Its local actors, in their order.
    pub acteurs: Vec<maillage_store::evenements::ActeurLocal>,
}

/// What a person gives to register.
#[derive(Debug, Clone, Default)]
pub struct DemandeInscription {
    /// A first name or a pseudonym.
    pub prenom: String,
    /// A phone or an e-mail, only for reminders.
    pub contact: Option<String>,
    /// The person's personal code when they already have one (« Mon espace »): the
    /// registration goes under it. Empty: a new key is made.
    pub cle: Option<String>,
    /// The client's address, to throttle guesses of a code (not stored with the
    /// registration).
    pub adresse: String,
}

/// A registration as the person gets it back.
#[derive(Debug, Clone)]
pub struct InscriptionFaite {
    /// The client-facing id (UUID).
    pub uuid: String,
    pub statut: StatutInscription,
    /// The person's personal code (`ABCDE-FGHJK-MNPQR-STVW`) when this registration made
    /// it (shown once); `None` when the person gave theirs.
    pub cle: Option<String>,
    /// The person's key in the accounts kernel.
    pub personne_id: i64,
    /// The secret of the cancellation link (shown once, stored hashed).
    pub jeton_annulation: String,
    pub session_id: i64,
}

/// A created event.
#[derive(Debug, Clone)]
pub struct EvenementCree {
    pub id: i64,
    pub sessions: Vec<i64>,
}

/// The public filter of the lists.
#[derive(Debug, Clone, Default)]
pub struct FiltrePublic {
    /// INSEE codes (a territory already expanded to its communes); empty: everywhere.
    pub communes: Vec<String>,
    /// Events still going on at this instant or later.
    pub depuis: Option<DateTime<Utc>>,
    pub type_evenement: Option<TypeEvenement>,
    /// Only the stops of this tour.
    pub tournee: Option<i64>,
    pub limite: Option<i64>,
}

/// The Événements module of one instance.
#[derive(Clone)]
pub struct Evenements {
    store: Arc<dyn EvenementsStore>,
    comptes: Comptes,
    garde: GardeCapacite,
    /// How long a freed seat is held for the person waiting it is offered to.
    delai_offre: chrono::Duration,
    /// Registrations waiting for the next group commit ([`lot`]).
    file: Arc<lot::FileInscriptions>,
}

fn octets_aleatoires<const N: usize>() -> Resultat<[u8; N]> {
    let mut octets = [0u8; N];
    getrandom::getrandom(&mut octets)
        .map_err(|e| ErreurEvenements::Interne(format!("randomness unavailable: {e}")))?;
    Ok(octets)
}

/// A random UUID (version 4), lowercase.
pub fn nouvel_uuid() -> Resultat<String> {
    let mut o = octets_aleatoires::<16>()?;
    o[6] = (o[6] & 0x0f) | 0x40;
    o[8] = (o[8] & 0x3f) | 0x80;
    let h: String = o.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

/// A one-line text typed by a person: trimmed, at most `max` characters, no control
/// character; `None` when empty.
fn ligne(champ: &str, texte: &str, max: usize) -> Resultat<Option<String>> {
    let t = texte.trim();
    let n = t.chars().count();
    if n > max {
        return Err(ErreurEvenements::invalide(
            champ,
            format!("{max} caractères au plus (ici {n})"),
        ));
    }
    if t.chars().any(char::is_control) {
        return Err(ErreurEvenements::invalide(
            champ,
            "une seule ligne, sans caractère de contrôle",
        ));
    }
    Ok(Some(t.to_string()).filter(|t| !t.is_empty()))
}

/// Checks what a person typed to register.
pub fn valider_demande(d: &DemandeInscription) -> Resultat<(String, Option<String>)> {
    let prenom = ligne("prenom", &d.prenom, PRENOM_MAX)?.ok_or_else(|| {
        ErreurEvenements::invalide("prenom", "indiquez un prénom ou un pseudonyme")
    })?;
    let contact = match d.contact.as_deref() {
        Some(c) => ligne("contact", c, CONTACT_MAX)?,
        None => None,
    };
    Ok((prenom, contact))
}

impl Evenements {
    pub fn new(store: Arc<dyn EvenementsStore>, comptes: Comptes) -> Self {
        Evenements {
            store,
            comptes,
            garde: GardeCapacite::Active,
            delai_offre: suivi::DELAI_OFFRE_DEFAUT,
            file: Arc::new(lot::FileInscriptions::new(lot::LOT_MAX)),
        }
    }

    /// The same module asking other accounts (another clock, other settings).
    pub fn avec_comptes(mut self, comptes: Comptes) -> Self {
        self.comptes = comptes;
        self
    }

    /// TEST ONLY when not [`GardeCapacite::Active`]: the control run of the capacity tests
    /// (`MAILLAGE_ESSAI_SANS_GARDE_CAPACITE=1`, read by `maillage serve`).
    pub fn avec_garde(mut self, garde: GardeCapacite) -> Self {
        if garde != GardeCapacite::Active {
            tracing::warn!(
                "TEST ONLY: the capacity guard of registrations is DISABLED: sessions WILL be overbooked under concurrency"
            );
        }
        self.garde = garde;
        self
    }

    pub fn garde(&self) -> GardeCapacite {
        self.garde
    }

    pub fn comptes(&self) -> &Comptes {
        &self.comptes
    }

    pub fn maintenant(&self) -> DateTime<Utc> {
        self.comptes.maintenant()
    }

    /// Who may create events and tours (pages ask it before any work): the one organiser
    /// rule of [`accueil::peut_organiser`] applied to the actor's own structure — an
    /// administrator, or a coordinator of a structure (what it creates belongs to that
    /// structure).
    pub fn exiger_organisateur(acteur: &Acteur) -> Resultat<()> {
        if accueil::peut_creer(acteur) {
            Ok(())
        } else {
            Err(ErreurEvenements::Interdit)
        }
    }

    /// Creates an event and its programme in one transaction.
    pub async fn creer(&self, acteur: &Acteur, e: EvenementLu) -> Resultat<EvenementCree> {
        Self::exiger_organisateur(acteur)?;
        if let Some(t) = e.tournee {
            if self.store.tournee(t).await?.is_none() {
                return Err(ErreurEvenements::invalide(
                    "tournee",
                    format!("la tournée n° {t} n’existe pas"),
                ));
            }
        }
        let mut jauges: Vec<NewJauge> = Vec::new();
        for s in &e.sessions {
            if let Some(nom) = &s.jauge {
                if !jauges.iter().any(|j| &j.nom == nom) {
                    jauges.push(NewJauge {
                        nom: nom.clone(),
                        capacite: s.capacite,
                    });
                }
            }
        }
        let nouveau = NewEvenement {
            tournee_id: e.tournee,
            type_evenement: e.type_evenement.code().into(),
            titre: e.titre,
            description: e.description,
            commune: e.commune,
            adresse: e.adresse,
            lieu_id: e.lieu,
            debut: e.debut,
            fin: e.fin,
            statut: e.statut.code().into(),
            accessibilite: e.accessibilite,
            structure_id: acteur.compte.structure_id.map(|s| s.get()),
            created_at: self.maintenant(),
            jauges,
        };
        let sessions: Vec<NewSessionEvenement> = e
            .sessions
            .into_iter()
            .map(|s| NewSessionEvenement {
                titre: s.titre,
                type_session: s.type_session.code().into(),
                debut: s.debut,
                fin: s.fin,
                salle: s.salle,
                capacite: s.capacite,
                jauge: s.jauge,
            })
            .collect();
        let (id, sessions) = self.store.create_evenement(&nouveau, &sessions).await?;
        tracing::info!(evenement = id, sessions = sessions.len(), "event created");
        Ok(EvenementCree { id, sessions })
    }

    /// Reads a JSON file of an event (see [`fichier`]) and creates it.
    pub async fn importer(&self, acteur: &Acteur, texte: &str) -> Resultat<EvenementCree> {
        Self::exiger_organisateur(acteur)?;
        let referentiel = self.comptes.referentiel();
        let lu = lire_evenement(texte, |code| referentiel.commune(code).is_some())?;
        self.creer(acteur, lu).await
    }

    /// Published, cancelled and finished events matching `filtre`, by start.
    pub async fn publics(&self, filtre: &FiltrePublic) -> Resultat<Vec<EvenementRow>> {
        Ok(self
            .store
            .evenements(&FiltreEvenements {
                communes: filtre.communes.clone(),
                depuis: filtre.depuis,
                type_evenement: filtre.type_evenement.map(|t| t.code().to_string()),
                statuts: [
                    StatutEvenement::Publie,
                    StatutEvenement::Annule,
                    StatutEvenement::Termine,
                ]
                .iter()
                .map(|s| s.code().to_string())
                .collect(),
                tournee: filtre.tournee,
                limite: filtre.limite.unwrap_or(LISTE_MAX).clamp(1, LISTE_MAX),
            })
            .await?)
    }

    /// Creates a tour (organisers only); its stops name it (`tournee` in the event's file).
    pub async fn creer_tournee(&self, acteur: &Acteur, titre: &str) -> Resultat<i64> {
        Self::exiger_organisateur(acteur)?;
        let titre = ligne("titre", titre, fichier::TITRE_MAX)?
            .ok_or_else(|| ErreurEvenements::invalide("titre", "obligatoire"))?;
        let id = self
            .store
            .create_tournee(&NewTournee {
                titre,
                structure_id: acteur.compte.structure_id.map(|s| s.get()),
                created_at: self.maintenant(),
            })
            .await?;
        tracing::info!(tournee = id, "tour created");
        Ok(id)
    }

    /// A tour: its title is public (the stops' pages and its calendar feed name it).
    pub async fn tournee(&self, id: i64) -> Resultat<TourneeRow> {
        self.store
            .tournee(id)
            .await?
            .ok_or(ErreurEvenements::Introuvable)
    }

    /// The name of the structure that organises an event, when it is known.
    pub async fn organisateur(&self, e: &EvenementRow) -> Resultat<Option<String>> {
        let Some(id) = e.structure_id else {
            return Ok(None);
        };
        Ok(self
            .comptes
            .toutes_les_structures()
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .map(|s| s.nom))
    }

    /// An event visible to the public (not a draft) with its programme.
    pub async fn detail(&self, id: i64) -> Resultat<DetailEvenement> {
        let evenement = self
            .store
            .evenement(id)
            .await?
            .filter(|e| e.statut != StatutEvenement::Brouillon.code())
            .ok_or(ErreurEvenements::Introuvable)?;
        let sessions = self.store.sessions_of_evenement(id).await?;
        let acteurs = self.store.acteurs_of_evenement(id).await?;
        Ok(DetailEvenement {
            evenement,
            sessions,
            acteurs,
        })
    }

    /// A session with its seats (`None` when it does not exist).
    pub async fn session(&self, id: i64) -> Resultat<Option<SessionEvenementRow>> {
        Ok(self.store.session_evenement(id).await?)
    }

    /// `Ok` when the session takes registrations at `maintenant`: its event is published
    /// and the session has not started.
    pub(crate) async fn session_ouverte(
        &self,
        session_id: i64,
        maintenant: DateTime<Utc>,
    ) -> Resultat<()> {
        let session = self
            .store
            .session_evenement(session_id)
            .await?
            .ok_or(ErreurEvenements::Introuvable)?;
        let evenement = self
            .store
            .evenement(session.evenement_id)
            .await?
            .ok_or(ErreurEvenements::Introuvable)?;
        match evenement.statut.parse::<StatutEvenement>() {
            Ok(StatutEvenement::Publie) => {}
            Ok(StatutEvenement::Annule) => return Err(ErreurEvenements::EvenementAnnule),
            Ok(StatutEvenement::Brouillon) => return Err(ErreurEvenements::Introuvable),
            _ => return Err(ErreurEvenements::InscriptionsFermees),
        }
        if session.debut <= maintenant {
            return Err(ErreurEvenements::InscriptionsFermees);
        }
        Ok(())
    }

    /// Registers a person to a session: « inscrit » while seats remain, else on the waiting
    /// list, decided by the store under the jauge's lock.
    pub async fn inscrire(
        &self,
        session_id: i64,
        demande: &DemandeInscription,
    ) -> Resultat<InscriptionFaite> {
        let (prenom, contact) = valider_demande(demande)?;
        let maintenant = self.maintenant();
        let cle_saisie = demande
            .cle
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        // Guarded registrations without a code are checked in their batch, once per session
        // ([`lot`]); a typed code is only tried on a session that takes registrations.
        if self.garde != GardeCapacite::Active || cle_saisie.is_some() {
            self.session_ouverte(session_id, maintenant).await?;
        }
        let jeton = maillage_comptes::securite::jeton_aleatoire();
        // One key per person across modules: the code the person gave (checked, throttled),
        // else a new one, made in the same batch as the registration ([`lot`]).
        let connue = match cle_saisie {
            Some(saisie) => match self.comptes.verifier_cle(saisie, &demande.adresse).await {
                Ok(id) => {
                    let publique = maillage_comptes::personnes::CodePersonnel::lire(saisie)
                        .map(|c| c.cle().to_string())
                        .unwrap_or_default();
                    Some((id, publique))
                }
                Err(ErreurComptes::CodePersonnelIncorrect) => {
                    return Err(ErreurEvenements::invalide(
                        "cle",
                        "ce code personnel n’ouvre aucun espace : vérifiez-le, ou laissez le champ vide pour en recevoir un",
                    ))
                }
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let mut nouvelle = NewInscription {
            session_id,
            uuid: nouvel_uuid()?,
            prenom,
            contact,
            cle: String::new(),
            jeton_hash: maillage_comptes::securite::empreinte(&jeton),
            created_at: maintenant,
            personne_id: None,
        };
        if let Some((id, publique)) = connue {
            nouvelle.personne_id = Some(id);
            nouvelle.cle = publique;
        }
        let personne_connue = nouvelle.personne_id;
        let (creee, cle_faite) = if self.garde == GardeCapacite::Active {
            lot::soumettre(self, nouvelle).await?
        } else {
            // The control run of the capacity tests: one registration at a time, unguarded.
            let mut cle_faite = None;
            if nouvelle.personne_id.is_none() {
                let n = self.comptes.nouvelle_personne().await?;
                nouvelle.personne_id = Some(n.personne_id);
                nouvelle.cle = n.code.cle().to_string();
                cle_faite = Some(n);
            }
            (
                self.store.create_inscription(&nouvelle, self.garde).await?,
                cle_faite,
            )
        };
        let personne_id = personne_connue
            .or(cle_faite.as_ref().map(|c| c.personne_id))
            .ok_or_else(|| ErreurEvenements::Interne("registration without a person".into()))?;
        let cle = cle_faite.map(|c| c.code.texte());
        let statut = creee
            .statut
            .parse::<StatutInscription>()
            .map_err(ErreurEvenements::Interne)?;
        Ok(InscriptionFaite {
            uuid: creee.uuid,
            statut,
            cle,
            personne_id,
            jeton_annulation: jeton,
            session_id,
        })
    }

    async fn par_jeton(&self, jeton: &str) -> Resultat<InscriptionRow> {
        let jeton = jeton.trim();
        if jeton.is_empty() || jeton.len() > 100 {
            return Err(ErreurEvenements::LienInvalide);
        }
        self.store
            .inscription_by_jeton(&maillage_comptes::securite::empreinte(jeton))
            .await?
            .ok_or(ErreurEvenements::LienInvalide)
    }

    /// The registration a cancellation link names, its session and its event.
    pub async fn inscription_du_lien(
        &self,
        jeton: &str,
    ) -> Resultat<(InscriptionRow, SessionEvenementRow, EvenementRow)> {
        let i = self.par_jeton(jeton).await?;
        let s = self
            .store
            .session_evenement(i.session_id)
            .await?
            .ok_or(ErreurEvenements::Introuvable)?;
        let e = self
            .store
            .evenement(s.evenement_id)
            .await?
            .ok_or(ErreurEvenements::Introuvable)?;
        Ok((i, s, e))
    }

    /// Cancels the registration its link names; a freed seat is offered to the first
    /// person waiting, for [`Evenements::delai_offre`] (see [`suivi`]).
    pub async fn annuler(&self, jeton: &str) -> Resultat<Annulation> {
        let i = self.par_jeton(jeton).await?;
        self.annuler_id(i.id).await
    }

    async fn annuler_id(&self, id: i64) -> Resultat<Annulation> {
        let a = self
            .store
            .cancel_inscription(id, self.maintenant(), self.echeance_offre())
            .await?;
        if let Some(p) = a.offerte {
            tracing::info!(inscription = p, "freed seat offered to the first waiting");
            // The cancellation is done: a message that cannot be queued does not undo it.
            if let Err(e) = self.prevenir_offres(&[p]).await {
                tracing::warn!(inscription = p, "seat offer message not queued: {e}");
            }
        }
        Ok(a)
    }

    /// The registrations under the key of an open space (« Mon espace »), newest first,
    /// each with its session and event.
    pub async fn inscriptions_de_personne(
        &self,
        session: &SessionEspace,
    ) -> Resultat<Vec<(InscriptionRow, SessionEvenementRow, EvenementRow)>> {
        let mut out = Vec::new();
        for i in self
            .store
            .inscriptions_of_personne(session.personne_id())
            .await?
        {
            let Some(s) = self.store.session_evenement(i.session_id).await? else {
                continue;
            };
            let Some(e) = self.store.evenement(s.evenement_id).await? else {
                continue;
            };
            out.push((i, s, e));
        }
        Ok(out)
    }

    /// Cancels one of the registrations under the key of an open space.
    pub async fn annuler_par_personne(
        &self,
        session: &SessionEspace,
        uuid: &str,
    ) -> Resultat<Annulation> {
        let i = self
            .store
            .inscription_by_uuid(uuid.trim())
            .await?
            .filter(|i| i.personne_id == Some(session.personne_id()))
            .ok_or(ErreurEvenements::Introuvable)?;
        self.annuler_id(i.id).await
    }

    /// The registrations of a session, in arrival order (those who welcome people at its
    /// event: see [`accueil::peut_accueillir`]).
    pub async fn inscriptions(
        &self,
        acteur: &Acteur,
        session_id: i64,
    ) -> Resultat<Vec<InscriptionRow>> {
        let s = self
            .store
            .session_evenement(session_id)
            .await?
            .ok_or(ErreurEvenements::Introuvable)?;
        self.evenement_accueilli(acteur, s.evenement_id).await?;
        Ok(self.store.inscriptions_of_session(session_id).await?)
    }

    /// Changes an event's statut (its organisers: see [`accueil::peut_organiser`]).
    pub async fn changer_statut(
        &self,
        acteur: &Acteur,
        id: i64,
        statut: StatutEvenement,
    ) -> Resultat<()> {
        self.changer_statut_organise(acteur, id, statut).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_have_their_shape() {
        let u = nouvel_uuid().unwrap();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn what_people_type_is_checked() {
        let d = |p: &str, c: Option<&str>| {
            valider_demande(&DemandeInscription {
                prenom: p.into(),
                contact: c.map(String::from),
                ..Default::default()
            })
            .map_err(|e| e.to_string())
        };
        assert_eq!(d("  Lucienne ", Some(" ")), Ok(("Lucienne".into(), None)));
        assert_eq!(
            d("  ", None).unwrap_err(),
            "prenom : indiquez un prénom ou un pseudonyme"
        );
        assert_eq!(
            d(&"a".repeat(51), None).unwrap_err(),
            "prenom : 50 caractères au plus (ici 51)"
        );
        assert!(d("Lu\ncienne", None)
            .unwrap_err()
            .starts_with("prenom : une seule ligne"));
        assert!(d("Lu", Some(&"x".repeat(201)))
            .unwrap_err()
            .starts_with("contact : 200"));
    }
}

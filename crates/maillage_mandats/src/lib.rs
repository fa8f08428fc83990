//! Mandats: procedures an habilitated aidant does on a person's behalf, under a mandate
//! the person consented to, with a journal nobody can rewrite.
//!
//! Who may do what (decided here only):
//!
//! | what | aidant habilité of the holding structure | other accounts | the person (personal code) | administrateur |
//! |---|---|---|---|---|
//! | sign, renew (second factor again) | yes | — | — | — |
//! | declare a use | yes, within scope | refused (journalled) | — | — |
//! | view a mandate (journalled), print | yes | not found | their own | — |
//! | revoke (per démarche or whole) | yes | — | their own | — |
//! | transfer to another structure | yes | — | — | yes |
//! | habilitate an aidant | — | coordinateur of the same structure | — | yes |
//! | verify the journal | — | — | — | yes (and auditors' token) |
//!
//! See `docs/MANDATS.md`.

pub mod cle;
pub mod document;
pub mod identification;
pub mod personne;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use maillage_domain::mandats::{
    Action, Demarche, DureeMandat, Entree, MotifRefus, NouvelleEntree, Rapport, Sceau, SigningKey,
    VerifyingKey,
};
use maillage_domain::mediation::Role;
use maillage_domain::{CompteId, MandatId, StructureId};
use maillage_store::comptes::NewCourriel;
use maillage_store::mandats::{
    details, verifier_journal, DetailValeur, MandatRow, NewMandat, NewUsager, UsagerCible,
    UsagerRow, Utilisation,
};
use maillage_store::{MandatsStore, StoreError};

use maillage_comptes::{Acteur, Comptes, ErreurComptes};

pub use document::{DocumentMandat, Identite, MODELE_COURANT};
pub use maillage_comptes::personnes::{CodePersonnel, SessionEspace};
pub use maillage_store::mandats as stockage;

/// Settings of the module.
#[derive(Debug, Clone)]
pub struct ReglagesMandats {
    /// A seal is signed once this many entries were appended since the last one (the
    /// hourly job also seals whatever is pending).
    pub sceller_tous_les: i64,
    /// Reminder sent this long before expiry.
    pub rappel_avant: Duration,
}

impl Default for ReglagesMandats {
    fn default() -> Self {
        ReglagesMandats {
            sceller_tous_les: 100,
            rappel_avant: Duration::days(7),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ErreurMandat {
    /// A use or an act refused by the rules (a refusal entry was written for uses).
    #[error("{0}")]
    Refus(MotifRefus),
    #[error("Votre compte n’est pas habilité à signer ou utiliser des mandats. Demandez l’habilitation à votre coordinateur ou à l’administrateur.")]
    NonHabilite,
    #[error("{champ} : {message}")]
    Invalide { champ: String, message: String },
    #[error("Introuvable.")]
    Introuvable,
    #[error("Vous n’avez pas accès à cette page.")]
    Interdit,
    #[error(transparent)]
    Comptes(#[from] ErreurComptes),
    #[error("erreur interne ({0})")]
    Interne(String),
    /// The journal key does not match the database's seals (see [`cle::controler`]).
    #[error("{0}")]
    CleJournal(String),
}

impl ErreurMandat {
    pub fn invalide(champ: &str, message: impl Into<String>) -> Self {
        ErreurMandat::Invalide {
            champ: champ.into(),
            message: message.into(),
        }
    }
}

impl From<StoreError> for ErreurMandat {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ErreurMandat::Introuvable,
            other => ErreurMandat::Interne(other.to_string()),
        }
    }
}

pub type Resultat<T> = Result<T, ErreurMandat>;

/// Longest note of a declared use, in characters.
pub const NOTE_MAX: usize = 200;

/// A use's note: trimmed, empty is none, one line of at most [`NOTE_MAX`] characters.
pub fn valider_note(note: Option<&str>) -> Resultat<Option<String>> {
    let Some(n) = note.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    let longueur = n.chars().count();
    if longueur > NOTE_MAX {
        return Err(ErreurMandat::invalide(
            "note",
            format!("{NOTE_MAX} caractères au plus (ici {longueur})"),
        ));
    }
    if n.chars().any(char::is_control) {
        return Err(ErreurMandat::invalide(
            "note",
            "une seule ligne, sans caractère de contrôle",
        ));
    }
    Ok(Some(n.to_string()))
}

/// What the aidant fills in to sign a mandate.
#[derive(Debug, Clone)]
pub struct DemandeMandat {
    /// An existing person of the structure, or a new one with their identity as checked.
    pub usager: Option<i64>,
    pub identite: Option<Identite>,
    pub demarches: Vec<Demarche>,
    pub duree: DureeMandat,
    /// The person is not under a legal protection measure that forbids it (tutelle…).
    pub pas_de_protection_juridique: bool,
    /// The person gave explicit consent, after reading the démarches and duration.
    pub consentement: bool,
    /// The legal notices of the démarches (e.g. over-indebtedness) were read to the person.
    pub mentions_lues: bool,
    /// The aidant's second factor, to sign.
    pub code_second_facteur: String,
    /// The mandate renewed by this one.
    pub renouvelle: Option<MandatId>,
    /// Use the identity just verified by the identity provider (see [`identification`])
    /// instead of `identite`.
    pub identite_par_fournisseur: bool,
}

/// A signed mandate: what the aidant prints and hands over.
#[derive(Debug, Clone)]
pub struct MandatSigne {
    pub id: MandatId,
    pub usager_id: i64,
    pub empreinte: String,
    /// Shown once, printed on the person's copy; `None` for a person who already has one.
    pub code_personnel: Option<String>,
}

/// A mandate with what pages show about it.
#[derive(Debug, Clone)]
pub struct FicheMandat {
    pub mandat: MandatRow,
    pub usager: UsagerRow,
    pub document: Option<DocumentMandat>,
    pub structure: String,
    pub aidant: String,
    pub journal: Vec<Entree>,
}

/// What `/verifier` tells about a printed mandate.
#[derive(Debug, Clone)]
pub struct Verification {
    pub mandat: MandatRow,
    pub structure: String,
    /// The creation entry carrying this fingerprint, whose hash recomputes.
    pub entree: Option<Entree>,
    /// A valid seal covers that entry.
    pub scelle: bool,
}

#[derive(Clone)]
pub struct Mandats {
    store: Arc<dyn MandatsStore>,
    comptes: Comptes,
    cle: Arc<SigningKey>,
    reglages: ReglagesMandats,
    dernier_sceau: Arc<AtomicI64>,
    fournisseur: Option<Arc<dyn maillage_identite::FournisseurIdentite>>,
}

fn identite_expiree() -> ErreurMandat {
    ErreurMandat::invalide(
        "identité",
        "la vérification d’identité a expiré ou n’a pas eu lieu : recommencez",
    )
}

fn acteur_aidant(a: &Acteur) -> String {
    format!("aidant:{}", a.id())
}

impl Mandats {
    pub fn new(store: Arc<dyn MandatsStore>, comptes: Comptes, cle: SigningKey) -> Self {
        Mandats {
            store,
            comptes,
            cle: Arc::new(cle),
            reglages: ReglagesMandats::default(),
            dernier_sceau: Arc::new(AtomicI64::new(-1)),
            fournisseur: None,
        }
    }

    pub fn avec_reglages(mut self, reglages: ReglagesMandats) -> Self {
        self.reglages = reglages;
        self
    }

    /// The same module over other accounts (their clock and settings).
    pub fn avec_comptes(mut self, comptes: Comptes) -> Self {
        self.comptes = comptes;
        self
    }

    /// The accounts kernel this module asks.
    pub fn comptes(&self) -> &Comptes {
        &self.comptes
    }

    pub fn store(&self) -> &Arc<dyn MandatsStore> {
        &self.store
    }

    pub fn cle_publique(&self) -> VerifyingKey {
        self.cle.verifying_key()
    }

    pub fn reglages(&self) -> &ReglagesMandats {
        &self.reglages
    }

    fn maintenant(&self) -> DateTime<Utc> {
        self.comptes.maintenant()
    }

    fn entree(&self, action: Action, acteur: String) -> NouvelleEntree {
        NouvelleEntree {
            at_us: self.maintenant().timestamp_micros(),
            action: action.code().into(),
            acteur,
            structure_id: None,
            mandat_id: None,
            usager: None,
            demarches: String::new(),
            details: "{}".into(),
        }
    }

    // --- permissions ---

    /// `true` if this account may act under mandates (mediator with a habilitation and a
    /// structure).
    pub async fn est_habilite(&self, acteur: &Acteur) -> Resultat<bool> {
        Ok(acteur.est_mediateur()
            && acteur.compte.structure_id.is_some()
            && self.store.habilitation(acteur.id().get()).await?.is_some())
    }

    async fn exiger_habilite(&self, acteur: &Acteur) -> Resultat<StructureId> {
        match acteur.compte.structure_id {
            Some(s) if self.est_habilite(acteur).await? => Ok(s),
            _ => Err(ErreurMandat::NonHabilite),
        }
    }

    /// A mandate the aidant's structure holds (others answer "not found").
    async fn mandat_de_ma_structure(&self, acteur: &Acteur, id: MandatId) -> Resultat<MandatRow> {
        let structure = self.exiger_habilite(acteur).await?;
        self.store
            .mandat(id.get())
            .await?
            .filter(|m| StructureId::new(m.structure_id) == structure)
            .ok_or(ErreurMandat::Introuvable)
    }

    /// Habilitates the mediator with this e-mail address (see [`Mandats::habiliter`]).
    /// Mediators are refused before the address is even looked up.
    pub async fn habiliter_par_email(&self, acteur: &Acteur, email: &str) -> Resultat<String> {
        if acteur.role == Role::Mediateur {
            return Err(ErreurMandat::Interdit);
        }
        let compte =
            self.comptes.compte_par_email(email).await?.ok_or_else(|| {
                ErreurMandat::invalide("adresse", "aucun compte avec cette adresse")
            })?;
        self.habiliter(acteur, compte.id).await?;
        Ok(compte.nom)
    }

    /// Habilitates a mediator: administrators, or a coordinator who manages one of the
    /// structures the mediator belongs to today (`Acteur::peut_gerer_structure`).
    pub async fn habiliter(&self, acteur: &Acteur, compte_id: CompteId) -> Resultat<()> {
        let compte = self
            .comptes
            .compte_par_id(compte_id)
            .await?
            .ok_or(ErreurMandat::Introuvable)?;
        let (siennes, _) = self
            .comptes
            .structures_du_compte(compte.id, compte.structure_id)
            .await?;
        let permis = match acteur.role {
            Role::Administrateur => true,
            Role::Coordinateur => self.comptes.toutes_les_structures().await?.iter().any(|s| {
                siennes.contains(&StructureId::new(s.id)) && acteur.peut_gerer_structure(s)
            }),
            Role::Mediateur => false,
        };
        if !permis {
            return Err(ErreurMandat::Interdit);
        }
        if compte.role != "mediateur" || siennes.is_empty() {
            return Err(ErreurMandat::invalide(
                "compte",
                "seul un médiateur rattaché à une structure peut être habilité",
            ));
        }
        self.store
            .add_habilitation(compte_id.get(), acteur.id().get(), self.maintenant())
            .await?;
        Ok(())
    }

    // --- signing ---

    /// Signs a mandate: checks the habilitation, the declarations and the aidant's second
    /// factor, writes the mandate and its journal entries in one transaction, and returns
    /// what is printed (with the person's personal code when the person is new).
    pub async fn signer(&self, acteur: &Acteur, d: DemandeMandat) -> Resultat<MandatSigne> {
        let structure = self.exiger_habilite(acteur).await?;
        let mut demarches = d.demarches.clone();
        demarches.sort();
        demarches.dedup();
        if demarches.is_empty() {
            return Err(ErreurMandat::invalide(
                "démarches",
                "choisissez au moins une démarche",
            ));
        }
        if !d.pas_de_protection_juridique {
            return Err(ErreurMandat::invalide(
                "protection juridique",
                "un mandat ne peut pas être signé pour une personne sous tutelle ou curatelle sans son représentant : la déclaration est obligatoire",
            ));
        }
        if !d.consentement {
            return Err(ErreurMandat::invalide(
                "consentement",
                "le consentement explicite de la personne est obligatoire",
            ));
        }
        if demarches.iter().any(|x| x.mention_legale().is_some()) && !d.mentions_lues {
            return Err(ErreurMandat::invalide(
                "mentions légales",
                "confirmez avoir lu à la personne les mentions légales des démarches choisies",
            ));
        }
        // The person: existing (of this structure), verified by the provider, or declared.
        let par_fournisseur = if d.identite_par_fournisseur && d.usager.is_none() {
            Some(
                self.identite_verifiee(acteur)
                    .await?
                    .ok_or_else(identite_expiree)?,
            )
        } else {
            None
        };
        let identite_choisie = par_fournisseur.as_ref().or(d.identite.as_ref());
        let (cible, identite, code) = match (d.usager, identite_choisie) {
            (Some(id), _) => {
                let u = self
                    .store
                    .usager(id)
                    .await?
                    .filter(|u| u.purge_at.is_none())
                    .ok_or(ErreurMandat::Introuvable)?;
                let visibles = self.store.usagers_of_structure(structure.get()).await?;
                if !visibles.iter().any(|v| v.id == u.id) {
                    return Err(ErreurMandat::Introuvable);
                }
                let identite: Identite = u
                    .data
                    .as_deref()
                    .and_then(|t| serde_json::from_str(t).ok())
                    .ok_or(ErreurMandat::Introuvable)?;
                (UsagerCible::Existant(id), identite, None)
            }
            (None, Some(identite)) => {
                // The person's key lives in the kernel (« Mon espace »): made first, so a
                // failed signature leaves at most a key with nothing under it.
                let cle = self.comptes.nouvelle_personne().await?;
                let code = cle.code;
                let u = NewUsager {
                    pseudonyme: personne::pseudonyme().map_err(ErreurMandat::Interne)?,
                    structure_id: structure.get(),
                    data: serde_json::to_string(identite)
                        .map_err(|e| ErreurMandat::Interne(e.to_string()))?,
                    code_cle: code.cle().to_string(),
                    code_hash: code.hash_secret(),
                    created_at: self.maintenant(),
                    personne_id: Some(cle.personne_id),
                };
                (UsagerCible::Nouveau(u), identite.clone(), Some(code))
            }
            (None, None) => {
                return Err(ErreurMandat::invalide(
                    "identité",
                    "renseignez l’identité de la personne, vérifiée sur une pièce d’identité",
                ))
            }
        };
        if let Some(ancien) = d.renouvelle {
            let a = self.mandat_de_ma_structure(acteur, ancien).await?;
            if Some(a.usager_id) != d.usager {
                return Err(ErreurMandat::invalide(
                    "renouvellement",
                    "un renouvellement concerne la même personne",
                ));
            }
        }
        // Signing: the second factor again (after every check, so a refused form does not
        // burn a code).
        self.comptes
            .confirmer_code(acteur.id(), &d.code_second_facteur)
            .await?;
        let now = self.maintenant();
        let fin = d.duree.expiration(now);
        let structure_nom = self.nom_structure(structure).await?;
        let document = DocumentMandat::nouveau(
            &structure_nom,
            &acteur.compte.nom,
            identite,
            &demarches,
            d.duree,
            now,
            fin,
        )
        .map_err(ErreurMandat::Interne)?;
        let (empreinte, canonique) = document.empreinte().map_err(ErreurMandat::Interne)?;
        if par_fournisseur.is_some() {
            // A verified identity signs one mandate: taken at once, so that two signatures
            // sent together (to one node or two) cannot both use it.
            if self.prendre_identite_verifiee(acteur).await?.as_ref() != par_fournisseur.as_ref() {
                return Err(identite_expiree());
            }
        }
        let action = if d.renouvelle.is_some() {
            Action::Renouvellement
        } else {
            Action::CreationMandat
        };
        let mut entree = self.entree(action, acteur_aidant(acteur));
        entree.structure_id = Some(structure.get());
        entree.demarches = Demarche::codes(&demarches);
        let mut paires = vec![
            ("empreinte", DetailValeur::Texte(&empreinte)),
            ("duree", DetailValeur::Texte(d.duree.code())),
            ("modele", DetailValeur::Texte(MODELE_COURANT)),
            ("expire_at_us", DetailValeur::Entier(fin.timestamp_micros())),
        ];
        if let Some(a) = d.renouvelle {
            paires.push(("renouvelle", DetailValeur::Entier(a.get())));
        }
        entree.details = details(&paires);
        let cree = self
            .store
            .create_mandat(
                NewMandat {
                    usager: cible,
                    structure_id: structure.get(),
                    aidant_id: acteur.id().get(),
                    duree: d.duree.code().into(),
                    created_at: now,
                    expire_at: fin,
                    demarches,
                    empreinte: empreinte.clone(),
                    modele: MODELE_COURANT.into(),
                    document: canonique,
                    renouvelle: d.renouvelle.map(MandatId::get),
                },
                entree,
            )
            .await?;
        self.sceller_si_besoin().await?;
        Ok(MandatSigne {
            id: MandatId::new(cree.id),
            usager_id: cree.usager_id,
            empreinte,
            code_personnel: code.map(|c| c.texte().to_string()),
        })
    }

    /// Gives a person a new personal code (the old one stops working), e.g. when lost.
    pub async fn nouveau_code(&self, acteur: &Acteur, usager_id: i64) -> Resultat<String> {
        let structure = self.exiger_habilite(acteur).await?;
        let visibles = self.store.usagers_of_structure(structure.get()).await?;
        if !visibles.iter().any(|v| v.id == usager_id) {
            return Err(ErreurMandat::Introuvable);
        }
        let usager = self
            .store
            .usager(usager_id)
            .await?
            .ok_or(ErreurMandat::Introuvable)?;
        let code = match usager.personne_id {
            Some(p) => self.comptes.nouveau_code_personne(p).await?,
            None => return Err(ErreurMandat::Introuvable),
        };
        // The copy in `usagers` follows (no longer read; kept consistent).
        self.store
            .set_usager_code(usager_id, code.cle(), &code.hash_secret())
            .await?;
        Ok(code.texte().to_string())
    }

    // --- use, revocation, transfer ---

    /// Declares a procedure done under a mandate. Refused (and journalled as refused)
    /// outside scope, after expiry or revocation, from another structure or without
    /// habilitation.
    pub async fn utiliser(
        &self,
        acteur: &Acteur,
        mandat_id: MandatId,
        demarche: Demarche,
    ) -> Resultat<Entree> {
        self.utiliser_avec_note(acteur, mandat_id, demarche, None)
            .await
    }

    /// [`Mandats::utiliser`] with a short note for the person (« dossier déposé, réponse
    /// sous 15 jours »): at most [`NOTE_MAX`] characters, one line. The note is shown in the
    /// person's space; it is kept apart from the journal (it may hold personal data, and is
    /// purged with the person) and the use's entry carries its SHA-256.
    pub async fn utiliser_avec_note(
        &self,
        acteur: &Acteur,
        mandat_id: MandatId,
        demarche: Demarche,
        note: Option<&str>,
    ) -> Resultat<Entree> {
        let note = valider_note(note)?;
        let habilite = self.est_habilite(acteur).await?;
        let mut entree = self.entree(Action::Utilisation, acteur_aidant(acteur));
        entree.structure_id = acteur.compte.structure_id.map(StructureId::get);
        entree.demarches = demarche.code().into();
        if let Some(n) = &note {
            use sha2::Digest;
            let h = maillage_domain::mandats::journal::hex(&sha2::Sha256::digest(n.as_bytes()));
            entree.details = details(&[("note_sha256", DetailValeur::Texte(&h))]);
        }
        let verdict = self
            .store
            .record_utilisation(
                Utilisation {
                    mandat_id: mandat_id.get(),
                    demarche,
                    habilite,
                    structure_aidant: acteur.compte.structure_id.map(StructureId::get),
                    at: self.maintenant(),
                    note,
                },
                entree,
            )
            .await?;
        self.sceller_si_besoin().await?;
        verdict.map_err(|(motif, _)| ErreurMandat::Refus(motif))
    }

    /// Revocation by the aidant (all démarches if `demarches` is empty).
    pub async fn revoquer(
        &self,
        acteur: &Acteur,
        mandat_id: MandatId,
        demarches: &[Demarche],
    ) -> Resultat<Option<Entree>> {
        self.mandat_de_ma_structure(acteur, mandat_id).await?;
        let mut entree = self.entree(Action::RevocationDemarche, acteur_aidant(acteur));
        entree.structure_id = acteur.compte.structure_id.map(StructureId::get);
        let e = self
            .store
            .revoke(
                mandat_id.get(),
                (!demarches.is_empty()).then(|| demarches.to_vec()),
                "aidant",
                entree,
            )
            .await?;
        self.sceller_si_besoin().await?;
        Ok(e)
    }

    /// Revocation by the person themself, from their space.
    pub async fn revoquer_par_la_personne(
        &self,
        session: &SessionEspace,
        mandat_id: MandatId,
        demarches: &[Demarche],
    ) -> Resultat<Option<Entree>> {
        let usagers = self.usagers_de_session(session).await?;
        let m = self
            .store
            .mandat(mandat_id.get())
            .await?
            .ok_or(ErreurMandat::Introuvable)?;
        let usager = usagers
            .into_iter()
            .find(|u| u.id == m.usager_id)
            .ok_or(ErreurMandat::Introuvable)?;
        let entree = self.entree(
            Action::RevocationDemarche,
            format!("usager:{}", usager.pseudonyme),
        );
        let e = self
            .store
            .revoke(
                m.id,
                (!demarches.is_empty()).then(|| demarches.to_vec()),
                "usager",
                entree,
            )
            .await?;
        self.sceller_si_besoin().await?;
        Ok(e)
    }

    /// Moves a mandate to another structure: an habilitated aidant of the holding
    /// structure, or an administrator.
    pub async fn transferer(
        &self,
        acteur: &Acteur,
        mandat_id: MandatId,
        vers_structure: StructureId,
    ) -> Resultat<Entree> {
        if acteur.role != Role::Administrateur {
            self.mandat_de_ma_structure(acteur, mandat_id).await?;
        }
        let structures = self.comptes.toutes_les_structures().await?;
        if !structures
            .iter()
            .any(|s| StructureId::new(s.id) == vers_structure)
        {
            return Err(ErreurMandat::invalide("structure", "structure inconnue"));
        }
        let acteur_txt = if acteur.role == Role::Administrateur {
            format!("admin:{}", acteur.id())
        } else {
            acteur_aidant(acteur)
        };
        let mut entree = self.entree(Action::Transfert, acteur_txt);
        entree.details = details(&[("vers_structure", DetailValeur::Entier(vers_structure.get()))]);
        let e = self
            .store
            .transfer_mandat(mandat_id.get(), vers_structure.get(), entree)
            .await?;
        self.sceller_si_besoin().await?;
        Ok(e)
    }

    // --- reading ---

    /// A mandate as the aidant sees it; the view is journalled.
    pub async fn fiche(&self, acteur: &Acteur, mandat_id: MandatId) -> Resultat<FicheMandat> {
        let m = self.mandat_de_ma_structure(acteur, mandat_id).await?;
        let pseudonyme = self.store.usager(m.usager_id).await?.map(|u| u.pseudonyme);
        let vue = NouvelleEntree {
            structure_id: Some(m.structure_id),
            mandat_id: Some(m.id),
            usager: pseudonyme,
            ..self.entree(Action::Consultation, acteur_aidant(acteur))
        };
        self.store.append_entree(vue).await?;
        self.sceller_si_besoin().await?;
        self.completer_fiche(m).await
    }

    /// The printable document, without journalling a view (the print follows a view).
    pub async fn document(&self, acteur: &Acteur, mandat_id: MandatId) -> Resultat<FicheMandat> {
        let m = self.mandat_de_ma_structure(acteur, mandat_id).await?;
        self.completer_fiche(m).await
    }

    async fn completer_fiche(&self, m: MandatRow) -> Resultat<FicheMandat> {
        let usager = self
            .store
            .usager(m.usager_id)
            .await?
            .ok_or(ErreurMandat::Introuvable)?;
        let document = m
            .document
            .as_deref()
            .and_then(|d| serde_json::from_str::<DocumentMandat>(d).ok());
        let structure = self.nom_structure(StructureId::new(m.structure_id)).await?;
        let aidant = self
            .comptes
            .nom_du_compte(CompteId::new(m.aidant_id))
            .await?
            .unwrap_or_default();
        let journal = self.store.journal_of_mandat(m.id).await?;
        Ok(FicheMandat {
            mandat: m,
            usager,
            document,
            structure,
            aidant,
            journal,
        })
    }

    /// The mandates of the aidant's structure, latest first, with the person's identity.
    pub async fn mandats_de_ma_structure(
        &self,
        acteur: &Acteur,
    ) -> Resultat<Vec<(MandatRow, Option<Identite>)>> {
        let structure = self.exiger_habilite(acteur).await?;
        let usagers = self.store.usagers_of_structure(structure.get()).await?;
        let mandats = self.store.mandats_of_structure(structure.get()).await?;
        Ok(mandats
            .into_iter()
            .map(|m| {
                let identite = usagers
                    .iter()
                    .find(|u| u.id == m.usager_id)
                    .and_then(|u| u.data.as_deref())
                    .and_then(|d| serde_json::from_str(d).ok());
                (m, identite)
            })
            .collect())
    }

    /// The persons of the structure (to sign another mandate for someone known).
    pub async fn personnes(&self, acteur: &Acteur) -> Resultat<Vec<(i64, Identite)>> {
        let structure = self.exiger_habilite(acteur).await?;
        Ok(self
            .store
            .usagers_of_structure(structure.get())
            .await?
            .into_iter()
            .filter_map(|u| {
                let i: Identite = serde_json::from_str(u.data.as_deref()?).ok()?;
                Some((u.id, i))
            })
            .collect())
    }

    pub async fn nom_structure(&self, id: StructureId) -> Resultat<String> {
        Ok(self
            .comptes
            .toutes_les_structures()
            .await?
            .into_iter()
            .find(|s| StructureId::new(s.id) == id)
            .map(|s| s.nom)
            .unwrap_or_else(|| format!("structure n° {id}")))
    }

    /// Names of the actors of journal entries, for people (`aidant:3` → their name).
    pub async fn nom_acteur(&self, acteur: &str) -> String {
        if let Some(id) = acteur.strip_prefix("aidant:").and_then(|s| s.parse().ok()) {
            if let Ok(Some(nom)) = self.comptes.nom_du_compte(id).await {
                return nom;
            }
        }
        if acteur.starts_with("usager:") {
            return "vous-même".into();
        }
        if acteur.starts_with("admin:") {
            return "l’administrateur".into();
        }
        "Maillage (automatique)".into()
    }

    // --- the person's space ---
    //
    // The key and the space's session belong to the accounts kernel
    // ([`maillage_comptes::personnes`]): « Mon espace » opens with the code, and Mandats
    // shows what it holds under that key.

    /// The persons (one per structure that signed for them) under the space's key, not
    /// purged, newest first.
    pub async fn usagers_de_session(&self, session: &SessionEspace) -> Resultat<Vec<UsagerRow>> {
        Ok(self
            .store
            .usagers_of_personne(session.personne_id())
            .await?
            .into_iter()
            .filter(|u| u.purge_at.is_none())
            .collect())
    }

    /// The newest person under the space's key (`Interdit` when there is none: nothing of
    /// Mandats under this key).
    pub async fn usager_de_session(&self, session: &SessionEspace) -> Resultat<UsagerRow> {
        self.usagers_de_session(session)
            .await?
            .into_iter()
            .next()
            .ok_or(ErreurMandat::Interdit)
    }

    /// A person's mandates (under every structure that signed for them) and every entry
    /// about them (uses, revocations…), oldest first.
    pub async fn espace_personne(
        &self,
        session: &SessionEspace,
    ) -> Resultat<(UsagerRow, Vec<MandatRow>, Vec<Entree>)> {
        let usagers = self.usagers_de_session(session).await?;
        let Some(premier) = usagers.first().cloned() else {
            return Err(ErreurMandat::Interdit);
        };
        let mut mandats = Vec::new();
        let mut journal = Vec::new();
        for u in &usagers {
            mandats.extend(self.store.mandats_of_usager(u.id).await?);
            journal.extend(self.store.journal_of_usager(&u.pseudonyme).await?);
        }
        mandats.sort_by_key(|m| m.id);
        journal.sort_by_key(|e| e.seq);
        Ok((premier, mandats, journal))
    }

    /// One of the person's mandates, for their revocation attestation.
    pub async fn mandat_de_la_personne(
        &self,
        session: &SessionEspace,
        mandat_id: MandatId,
    ) -> Resultat<FicheMandat> {
        let usagers = self.usagers_de_session(session).await?;
        let m = self
            .store
            .mandat(mandat_id.get())
            .await?
            .filter(|m| usagers.iter().any(|u| u.id == m.usager_id))
            .ok_or(ErreurMandat::Introuvable)?;
        self.completer_fiche(m).await
    }

    /// The notes of the declared uses of these mandates, by journal entry number.
    pub async fn notes_des_mandats(
        &self,
        mandats: &[MandatRow],
    ) -> Resultat<std::collections::HashMap<i64, String>> {
        let mut notes = std::collections::HashMap::new();
        for m in mandats {
            notes.extend(self.store.utilisation_notes(m.id).await?);
        }
        Ok(notes)
    }

    // --- public check, journal ---

    /// What a paper copy's QR code leads to: the mandate with this fingerprint, its
    /// creation entry in the journal (hash recomputed) and whether a seal covers it.
    pub async fn verifier_empreinte(&self, empreinte: &str) -> Resultat<Option<Verification>> {
        let empreinte = empreinte.trim().to_ascii_lowercase();
        if empreinte.len() != 64 || !empreinte.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ErreurMandat::invalide(
                "empreinte",
                "une empreinte compte 64 caractères hexadécimaux (0-9, a-f)",
            ));
        }
        let Some(m) = self.store.mandat_by_empreinte(&empreinte).await? else {
            return Ok(None);
        };
        let marque = format!("\"empreinte\":\"{empreinte}\"");
        let mut tampon = Vec::new();
        let entree = self
            .store
            .journal_of_mandat(m.id)
            .await?
            .into_iter()
            .find(|e| {
                e.contenu.details.contains(&marque) && e.calculer_hash(&mut tampon) == e.hash
            });
        let cle = self.cle.verifying_key();
        let scelle = match &entree {
            Some(e) => self
                .store
                .sceaux()
                .await?
                .iter()
                .any(|s| s.seq >= e.seq && s.signature_valide(&cle)),
            None => false,
        };
        let structure = self.nom_structure(StructureId::new(m.structure_id)).await?;
        Ok(Some(Verification {
            mandat: m,
            structure,
            entree,
            scelle,
        }))
    }

    /// Recomputes the whole chain and checks every seal.
    pub async fn verifier_journal(&self) -> Resultat<Rapport> {
        let sceaux = self.store.sceaux().await?;
        Ok(verifier_journal(
            self.store.as_ref(),
            sceaux,
            &self.cle.verifying_key(),
            10_000,
        )
        .await?)
    }

    /// Checks that this instance's key signed the seals already in the database (see
    /// [`cle::controler`]); `chemin` names the key file in the message.
    pub async fn controler_cle(&self, chemin: &str) -> Resultat<()> {
        let sceaux = self.store.sceaux().await?;
        cle::controler(&self.cle.verifying_key(), &sceaux, chemin).map_err(ErreurMandat::CleJournal)
    }

    /// Signs a seal over the head if entries were appended since the last one. Refused if
    /// the last seal was signed by another key (two nodes with different key files).
    pub async fn sceller(&self) -> Resultat<Option<Sceau>> {
        let tete = self.store.journal_head().await?;
        let dernier = self.dernier_sceau_seq().await?;
        if tete.seq == 0 || tete.seq <= dernier {
            return Ok(None);
        }
        if let Err(e) = self.controler_cle("clé de ce nœud").await {
            tracing::error!(error = %e, "journal key does not match the last seal: not sealing");
            return Err(e);
        }
        let s = Sceau::signer(
            &self.cle,
            tete.seq,
            tete.hash,
            self.maintenant().timestamp_micros(),
        );
        match self.store.add_sceau(&s).await {
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
        self.dernier_sceau.fetch_max(s.seq, Ordering::Relaxed);
        Ok(Some(s))
    }

    async fn dernier_sceau_seq(&self) -> Resultat<i64> {
        let connu = self.dernier_sceau.load(Ordering::Relaxed);
        if connu >= 0 {
            return Ok(connu);
        }
        let s = self.store.sceaux().await?.last().map_or(0, |s| s.seq);
        self.dernier_sceau.fetch_max(s, Ordering::Relaxed);
        Ok(s)
    }

    /// After a committed write: a failed seal is logged (and retried by the hourly job), it
    /// does not turn the write the person or aidant just made into an error.
    async fn sceller_si_besoin(&self) -> Resultat<()> {
        let tete = self.store.journal_head().await?.seq;
        if tete - self.dernier_sceau_seq().await? >= self.reglages.sceller_tous_les {
            if let Err(e) = self.sceller().await {
                tracing::error!(error = %e, "sealing the journal failed");
            }
        }
        Ok(())
    }

    /// Daily: reminds aidants of mandates expiring soon (outbox), journalled once each.
    pub async fn rappels_expiration(&self) -> Resultat<u64> {
        let now = self.maintenant();
        let mut n = 0;
        for m in self
            .store
            .mandats_due_rappel(now, now + self.reglages.rappel_avant)
            .await?
        {
            let Some(aidant) = self
                .comptes
                .compte_par_id(CompteId::new(m.aidant_id))
                .await?
            else {
                continue;
            };
            let entree = self.entree(Action::RappelExpiration, "systeme".into());
            if self.store.mark_rappel(m.id, entree).await?.is_none() {
                continue;
            }
            let demarches: Vec<&str> = m
                .autorisations
                .iter()
                .filter(|a| a.revoquee_at.is_none())
                .map(|a| a.demarche.titre_court())
                .collect();
            let adresse = &self.comptes.reglages().adresse_publique;
            self.comptes
                .mettre_en_file(NewCourriel {
                    destinataire: aidant.email.clone(),
                    sujet: format!("Le mandat n° {} expire bientôt", m.id),
                    corps: format!(
                        "Bonjour,\n\nLe mandat n° {} (démarches : {}) expire le {}.\n\
                         S’il doit continuer, renouvelez-le avec la personne : un nouveau \
                         consentement est nécessaire.\n\n{adresse}/espace/mandats/{}\n",
                        m.id,
                        demarches.join(", "),
                        document::date_longue(m.expire_at),
                        m.id
                    ),
                })
                .await
                .map_err(ErreurMandat::from)?;
            n += 1;
        }
        self.sceller_si_besoin().await?;
        Ok(n)
    }

    /// The length of the journal's Mandats stream and the time (µs) of its last seal, if
    /// any: what `/metrics` reports.
    pub async fn etat_journal(&self) -> Resultat<(i64, Option<i64>)> {
        let tete = self.store.journal_head().await?;
        let dernier = self.store.sceaux().await?.last().map(|s| s.at_us);
        Ok((tete.seq, dernier))
    }

    /// The hourly job: forgets the identity verifications left pending, then reminders,
    /// then a seal over whatever is pending.
    pub async fn taches(&self) -> Resultat<(u64, Option<Sceau>)> {
        let oubliees = self
            .store
            .purge_identifications(identification::purge_avant(self.maintenant()))
            .await?;
        if oubliees > 0 {
            tracing::info!(oubliees, "expired identity verifications forgotten");
        }
        let rappels = self.rappels_expiration().await?;
        let sceau = self.sceller().await?;
        Ok((rappels, sceau))
    }
}

/// What a verification says about the end of the journal: the entries after the last seal
/// are intact as far as the chain shows, but nothing protects them yet — a copy of the
/// database taken during writes may have lost some of them and still verify. Stated by the
/// CLI and the audit endpoint.
pub fn resume_non_scellees(r: &Rapport) -> String {
    let dernier_sceau = r.derniere - r.non_scellees;
    let n = r.non_scellees;
    if n <= 0 {
        return if r.derniere == 0 {
            "Journal vide.".to_string()
        } else {
            format!(
                "0 entrée après le dernier sceau : tout le journal est scellé (dernier sceau sur l’entrée n° {}).",
                r.derniere
            )
        };
    }
    let (entrees, scellees) = if n == 1 {
        ("entrée", "scellée")
    } else {
        ("entrées", "scellées")
    };
    let apres = if dernier_sceau == 0 {
        "aucun sceau encore".to_string()
    } else {
        format!("dernier sceau sur l’entrée n° {dernier_sceau}")
    };
    format!(
        "{n} {entrees} après le dernier sceau (non encore {scellees}) : n° {} à {} ({apres}). \
         Rien ne les protège encore : une suppression à la fin du journal (ou une copie de la \
         base faite pendant des écritures) ne se voit pas avant le prochain sceau. Scellez avant \
         une sauvegarde : maillage journal sceller.",
        dernier_sceau + 1,
        r.derniere
    )
}

/// Runs [`Mandats::taches`] now and then every `periode`, once per period across the
/// instance's nodes (so a seal is signed by one node per period).
pub fn planifier_taches(mandats: Mandats, periode: std::time::Duration) {
    let comptes = mandats.comptes().clone();
    maillage_comptes::taches::planifier(comptes, "mandats", periode, move || {
        let mandats = mandats.clone();
        async move {
            let (rappels, sceau) = mandats.taches().await?;
            if rappels > 0 || sceau.is_some() {
                tracing::info!(rappels, sceau = ?sceau.map(|s| s.seq), "mandats jobs");
            }
            Ok::<(), ErreurMandat>(())
        }
    });
}

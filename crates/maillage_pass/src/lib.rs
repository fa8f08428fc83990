//! Pass numérique: programmes of a funder, carnets of passes with unguessable codes,
//! distribution by prescribers to pseudonymous persons, redemption by qualified places
//! (through their API key or a signed-in mediator) without double spend, the pass ledger
//! (the pass stream of the journal), and the monthly statement of a place (see
//! `docs/PASS.md`).
//!
//! Who may do what (decided here only):
//!
//! | what | anyone (no account) | a place's API key (`pass:utiliser`) | coordinateur, administrateur (and the operator at the command line) |
//! |---|---|---|---|
//! | check a pass by its code (validity, value; no personal data) | yes | yes | yes |
//! | redeem a pass for its place | — | yes | yes (for a qualified structure) |
//! | create a programme, qualify places, add prescribers, issue and print carnets, read its dashboard | — | — | the funder: a coordinator acting for the funder's structure, or an administrator ([`Pass::peut_gerer`]) |
//! | distribute a pass (optionally to the person's key) | — | — | a coordinator or mediator acting for a prescriber structure of the programme, or an administrator |
//! | block, cancel, create and revoke API keys, statements | — | — | yes |
//! | see the passes attached to one's key | the person, in « Mon espace » | — | — |
//!
//! Double spend is the store's to prevent (a conditional update in one transaction, unique
//! indexes as the last guard: [`maillage_store::pass`]); redemptions are committed in
//! groups ([`lot`]: those that arrive while a batch is written go together into the next
//! one, one transaction, one commit). This crate checks what people
//! typed, the place's qualification, the territory and the dates, and draws the codes and
//! the keys.

pub mod avis;
pub mod code;
pub mod fin;
pub mod gestion;
pub mod lot;
pub mod orientation;
pub mod releve;

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use maillage_comptes::{Acteur, Comptes, ErreurComptes};
use maillage_domain::journal::{Flux, Rapport, Sceau, Verificateur};
use maillage_domain::mandats::{SigningKey, VerifyingKey};
use maillage_domain::mediation::Role;
use maillage_store::pass::{
    CleApiRow, CompteEtats, Forcee, GardePass, LieuQualifieRow, NewCarnet, NewCleApi,
    NewDistribution, NewProgramme, NewUtilisation, PassRow, ProgrammeRow, Utilisation,
    UtilisationRow, ACTION_ANNULATION, ACTION_BLOCAGE, ETAT_ANNULE, ETAT_BLOQUE, ETAT_DISTRIBUE,
    ETAT_EMIS, ETAT_UTILISE,
};
use maillage_store::{PassStore, StoreError};
use sha2::{Digest, Sha256};

pub use maillage_store::pass as stockage;

/// The scope a place API key needs to redeem passes.
pub const SCOPE_UTILISER: &str = "pass:utiliser";
/// The scopes a place API key may have, with their words.
pub const SCOPES: [(&str, &str); 1] = [(
    SCOPE_UTILISER,
    "Utiliser des pass (enregistrer une utilisation, y compris forcée hors ligne)",
)];
/// Most passes in one carnet.
pub const CARNET_MAX: usize = 1000;
/// Longest nonce, in characters.
pub const NONCE_MAX: usize = 100;
/// How old a forced (offline) redemption may be when it reaches the server, in days.
pub const HORS_LIGNE_MAX_JOURS: i64 = 30;

#[derive(Debug, thiserror::Error)]
pub enum ErreurPass {
    #[error("{champ} : {message}")]
    Invalide { champ: String, message: String },
    #[error("Ce pass est introuvable : vérifiez le code.")]
    Introuvable,
    #[error("Vous n’avez pas accès à cette action.")]
    Interdit,
    /// 401: no key, or a key that does not exist.
    #[error("Clé d’API absente ou inconnue : envoyez « Authorization: Bearer <clé> ».")]
    NonAuthentifie,
    /// 409: already redeemed by another request.
    #[error("{0}")]
    Conflit(String),
    /// 422: the pass cannot be redeemed here or now.
    #[error("{0}")]
    Refus(String),
    #[error(transparent)]
    Comptes(#[from] ErreurComptes),
    #[error("erreur interne ({0})")]
    Interne(String),
}

impl ErreurPass {
    pub fn invalide(champ: &str, message: impl Into<String>) -> Self {
        ErreurPass::Invalide {
            champ: champ.to_string(),
            message: message.into(),
        }
    }
}

/// A redemption request as a till sends it (`POST /api/v1/pass/{code}/utilisation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandeUtilisation {
    pub nonce: String,
    /// The activity record it is for, if any.
    pub activite: Option<i64>,
    /// « Utilisation forcée »: when it was recorded offline.
    pub hors_ligne_le: Option<DateTime<Utc>>,
}

/// Why a redemption request cannot be read: the field at fault (none when the JSON itself
/// is unreadable) and a message in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandeIllisible {
    pub champ: Option<&'static str>,
    pub message: String,
}

/// Reads the JSON body of a redemption request (pure): `{"nonce": "…", "activite": 12,
/// "hors_ligne_le": "2026-11-20T14:30:00+01:00"}`, the last two optional.
pub fn lire_demande_utilisation(corps: &[u8]) -> Result<DemandeUtilisation, DemandeIllisible> {
    use serde_json::Value;
    let v: Value = serde_json::from_slice(corps).map_err(|e| DemandeIllisible {
        champ: None,
        message: format!(
            "JSON illisible à la ligne {}, colonne {}",
            e.line(),
            e.column()
        ),
    })?;
    let nonce = match v.get("nonce") {
        Some(Value::String(s)) => s.clone(),
        _ => {
            return Err(DemandeIllisible {
                champ: Some("nonce"),
                message: "nonce : indiquez un texte, par exemple {\"nonce\": \"caisse-1-000123\"}"
                    .into(),
            })
        }
    };
    let activite = match v.get("activite") {
        None | Some(Value::Null) => None,
        Some(a) => Some(a.as_i64().ok_or_else(|| DemandeIllisible {
            champ: Some("activite"),
            message: "activite : le numéro d’une fiche d’activité".into(),
        })?),
    };
    let hors_ligne_le = match v.get("hors_ligne_le") {
        None | Some(Value::Null) => None,
        Some(h) => Some(
            h.as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|d| d.with_timezone(&Utc))
                .ok_or_else(|| DemandeIllisible {
                    champ: Some("hors_ligne_le"),
                    message: "hors_ligne_le : une date et une heure RFC 3339, par exemple « 2026-11-20T14:30:00+01:00 »".into(),
                })?,
        ),
    };
    Ok(DemandeUtilisation {
        nonce,
        activite,
        hors_ligne_le,
    })
}

/// A redemption's nonce, trimmed: 1 to [`NONCE_MAX`] characters, no control character.
pub fn verifier_nonce(nonce: &str) -> Resultat<&str> {
    let nonce = nonce.trim();
    if nonce.is_empty() || nonce.chars().count() > NONCE_MAX || nonce.chars().any(char::is_control)
    {
        return Err(ErreurPass::invalide(
            "nonce",
            format!("un texte de 1 à {NONCE_MAX} caractères, différent pour chaque utilisation"),
        ));
    }
    Ok(nonce)
}

/// The date of a forced (offline) redemption: past (5 minutes of clock drift allowed) and
/// at most [`HORS_LIGNE_MAX_JOURS`] days before `maintenant`.
pub fn verifier_hors_ligne(
    hors_ligne_at: DateTime<Utc>,
    maintenant: DateTime<Utc>,
) -> Resultat<()> {
    if hors_ligne_at > maintenant + Duration::minutes(5)
        || hors_ligne_at < maintenant - Duration::days(HORS_LIGNE_MAX_JOURS)
    {
        return Err(ErreurPass::invalide(
            "hors_ligne_le",
            format!(
                "la date de l’utilisation hors ligne doit être passée, et dater de {HORS_LIGNE_MAX_JOURS} jours au plus"
            ),
        ));
    }
    Ok(())
}

impl From<StoreError> for ErreurPass {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ErreurPass::Introuvable,
            other => ErreurPass::Interne(other.to_string()),
        }
    }
}

pub type Resultat<T> = Result<T, ErreurPass>;

/// What a funder gives to create a programme.
#[derive(Debug, Clone)]
pub struct DemandeProgramme {
    pub financeur_structure_id: i64,
    pub nom: String,
    pub budget_centimes: i64,
    pub valeur_centimes: i64,
    pub fin_validite: NaiveDate,
    /// Last day a pass is still accepted (≥ `fin_validite`).
    pub tolerance: NaiveDate,
    /// `dep:31`, `epci:…`, `commune:…`, `reg:…`.
    pub territoire: String,
    pub publics: Vec<String>,
}

/// The pseudonymous person a pass is given to.
#[derive(Debug, Clone, Default)]
pub struct Beneficiaire {
    pub commune: String,
    /// `-18`, `18-24`, `25-39`, `40-59`, `60-69`, `70+`.
    pub tranche_age: String,
    /// The Coop's statuses: `emploi`, `sans_emploi`, `retraite`, `etudiant`, `non_communique`.
    pub statut: String,
    /// The person's key (« Mon espace »), when known.
    pub personne_id: Option<i64>,
}

pub const TRANCHES_AGE: [&str; 6] = ["-18", "18-24", "25-39", "40-59", "60-69", "70+"];
pub const STATUTS: [&str; 5] = [
    "emploi",
    "sans_emploi",
    "retraite",
    "etudiant",
    "non_communique",
];

/// Who redeems: a place's API key, or a signed-in account acting for a structure.
#[derive(Debug, Clone)]
pub enum Origine {
    Cle(CleApiRow),
    Compte { compte_id: i64, structure_id: i64 },
}

impl Origine {
    fn structure_id(&self) -> i64 {
        match self {
            Origine::Cle(c) => c.structure_id,
            Origine::Compte { structure_id, .. } => *structure_id,
        }
    }

    fn acteur(&self) -> String {
        match self {
            Origine::Cle(c) => format!("cle_api:{}", c.id),
            Origine::Compte { compte_id, .. } => format!("compte:{compte_id}"),
        }
    }
}

/// A redemption as answered: recorded now (`nouvelle`) or the same request again.
#[derive(Debug, Clone)]
pub struct UtilisationFaite {
    pub utilisation: UtilisationRow,
    pub nouvelle: bool,
}

/// What anyone holding a pass may know of it (no personal data).
#[derive(Debug, Clone, serde::Serialize)]
pub struct VuePublique {
    pub code: String,
    pub etat: String,
    pub valeur_centimes: i64,
    pub programme: String,
    pub fin_validite: NaiveDate,
    pub tolerance: NaiveDate,
    /// Whether it can be redeemed today.
    pub utilisable: bool,
    /// Why not, in French.
    pub explication: String,
}

/// A place API key just created: the whole key is shown once.
#[derive(Debug, Clone)]
pub struct CleCreee {
    pub id: i64,
    /// `mpk_<préfixe>_<secret>`.
    pub cle: String,
}

/// The Pass module of one instance.
#[derive(Clone)]
pub struct Pass {
    store: Arc<dyn PassStore>,
    comptes: Comptes,
    garde: GardePass,
    /// Redemptions waiting for the next group commit (shared by the clones).
    file: Arc<lot::FileUtilisations>,
    /// The directory's opening hours and Médiation's accompaniments of places (two fraud
    /// signals), given by the instance.
    contexte: Option<Arc<dyn gestion::ContexteLieux>>,
}

fn octets_aleatoires(buf: &mut [u8]) -> Resultat<()> {
    getrandom::getrandom(buf)
        .map_err(|e| ErreurPass::Interne(format!("randomness unavailable: {e}")))
}

fn hex_aleatoire(n: usize) -> Resultat<String> {
    let mut o = vec![0u8; n];
    octets_aleatoires(&mut o)?;
    Ok(hex::encode(o))
}

/// SHA-256 (hex) of an API key's secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// `1234,50` → centimes.
pub fn lire_euros(champ: &str, texte: &str) -> Resultat<i64> {
    let t = texte.trim().replace([' ', '€'], "").replace(',', ".");
    let (e, c) = t.split_once('.').unwrap_or((t.as_str(), ""));
    let euros: i64 = e.parse().map_err(|_| {
        ErreurPass::invalide(champ, format!("« {texte} » n’est pas un montant en euros"))
    })?;
    let centimes: i64 = match c.len() {
        0 => 0,
        1 => c.parse::<i64>().map(|v| v * 10).unwrap_or(-1),
        2 => c.parse().unwrap_or(-1),
        _ => -1,
    };
    if euros < 0 || !(0..100).contains(&centimes) {
        return Err(ErreurPass::invalide(
            champ,
            format!("« {texte} » n’est pas un montant en euros (deux décimales au plus)"),
        ));
    }
    euros
        .checked_mul(100)
        .and_then(|v| v.checked_add(centimes))
        .ok_or_else(|| ErreurPass::invalide(champ, "montant trop grand"))
}

/// `1 234,50 €`.
pub fn euros(centimes: i64) -> String {
    let e = centimes / 100;
    let c = (centimes % 100).abs();
    let chiffres = e.abs().to_string();
    let mut groupes = String::new();
    for (i, ch) in chiffres.chars().enumerate() {
        if i > 0 && (chiffres.len() - i).is_multiple_of(3) {
            groupes.push('\u{202f}');
        }
        groupes.push(ch);
    }
    let signe = if centimes < 0 { "-" } else { "" };
    format!("{signe}{groupes},{c:02} €")
}

impl Pass {
    pub fn new(store: Arc<dyn PassStore>, comptes: Comptes) -> Self {
        Pass {
            store,
            comptes,
            garde: GardePass::Active,
            file: Arc::new(lot::FileUtilisations::new(lot::LOT_MAX)),
            contexte: None,
        }
    }

    /// What the directory and Médiation know of places, for the fraud signals of
    /// redemptions outside opening hours and of redemptions far above accompaniments.
    pub fn avec_contexte(mut self, contexte: Arc<dyn gestion::ContexteLieux>) -> Self {
        self.contexte = Some(contexte);
        self
    }

    /// The same module asking other accounts (another clock, other settings).
    pub fn avec_comptes(mut self, comptes: Comptes) -> Self {
        self.comptes = comptes;
        self
    }

    /// TEST ONLY when not [`GardePass::Active`]: the control run of the double spend tests
    /// (`MAILLAGE_ESSAI_SANS_GARDE_PASS=1`, read by `maillage serve`).
    pub fn avec_garde(mut self, garde: GardePass) -> Self {
        if garde != GardePass::Active {
            tracing::warn!(
                "TEST ONLY: the double spend guard of passes is DISABLED: passes WILL be redeemed several times under concurrency"
            );
        }
        self.garde = garde;
        self
    }

    pub fn garde(&self) -> GardePass {
        self.garde
    }

    pub fn store(&self) -> &Arc<dyn PassStore> {
        &self.store
    }

    pub fn maintenant(&self) -> DateTime<Utc> {
        self.comptes.maintenant()
    }

    fn exiger_gestionnaire(acteur: &Acteur) -> Resultat<()> {
        match acteur.role {
            Role::Administrateur | Role::Coordinateur => Ok(()),
            _ => Err(ErreurPass::Interdit),
        }
    }

    fn nom_acteur(acteur: &Acteur) -> String {
        if acteur.compte.id.get() == 0 {
            "admin:cli".into()
        } else {
            format!("compte:{}", acteur.compte.id.get())
        }
    }

    async fn structure(&self, id: i64) -> Resultat<maillage_store::comptes::StructureRow> {
        self.comptes
            .toutes_les_structures()
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| {
                ErreurPass::invalide("structure", format!("la structure n° {id} n’existe pas"))
            })
    }

    pub async fn programme(&self, id: i64) -> Resultat<ProgrammeRow> {
        self.store.programme(id).await?.ok_or_else(|| {
            ErreurPass::invalide("programme", format!("le programme n° {id} n’existe pas"))
        })
    }

    pub async fn programmes(&self) -> Resultat<Vec<ProgrammeRow>> {
        Ok(self.store.programmes().await?)
    }

    /// Creates a programme: its territory is expanded to INSEE communes from the referential.
    pub async fn creer_programme(&self, acteur: &Acteur, d: DemandeProgramme) -> Resultat<i64> {
        Self::exiger_financeur(acteur, d.financeur_structure_id)?;
        self.structure(d.financeur_structure_id).await?;
        let nom = d.nom.trim();
        if nom.is_empty() || nom.chars().count() > 200 {
            return Err(ErreurPass::invalide(
                "nom",
                "indiquez le nom du programme (200 caractères au plus)",
            ));
        }
        if d.valeur_centimes <= 0 {
            return Err(ErreurPass::invalide(
                "valeur",
                "la valeur d’un pass doit être positive",
            ));
        }
        if d.budget_centimes < d.valeur_centimes {
            return Err(ErreurPass::invalide(
                "budget",
                "le budget doit couvrir au moins un pass",
            ));
        }
        if d.tolerance < d.fin_validite {
            return Err(ErreurPass::invalide(
                "tolerance",
                "la date de tolérance doit suivre la fin de validité",
            ));
        }
        let referentiel = self.comptes.referentiel();
        let territoire = referentiel
            .territoire(d.territoire.trim())
            .map_err(|e| ErreurPass::invalide("territoire", e.to_string()))?;
        let communes: Vec<String> = referentiel
            .communes_of_territoire(&territoire)
            .into_iter()
            .map(|c| c.code_insee.clone())
            .collect();
        if communes.is_empty() {
            return Err(ErreurPass::invalide(
                "territoire",
                "ce territoire ne compte aucune commune",
            ));
        }
        let id = self
            .store
            .create_programme(&NewProgramme {
                financeur_structure_id: d.financeur_structure_id,
                nom: nom.to_string(),
                budget_centimes: d.budget_centimes,
                valeur_centimes: d.valeur_centimes,
                fin_validite: d.fin_validite,
                tolerance: d.tolerance,
                territoire: territoire.to_string(),
                communes,
                publics: d.publics.join(","),
                acteur: Self::nom_acteur(acteur),
                created_at: self.maintenant(),
            })
            .await?;
        tracing::info!(programme = id, "pass programme created");
        Ok(id)
    }

    /// Qualifies a structure as a place of the programme: it needs a valid SIRET (Luhn) and
    /// a commune; one SIRET is qualified once per programme.
    pub async fn qualifier_lieu(
        &self,
        acteur: &Acteur,
        programme_id: i64,
        structure_id: i64,
    ) -> Resultat<LieuQualifieRow> {
        let p = self.programme(programme_id).await?;
        Self::exiger_financeur(acteur, p.financeur_structure_id)?;
        let s = self.structure(structure_id).await?;
        let siret = s.siret.as_deref().ok_or_else(|| {
            ErreurPass::invalide(
                "siret",
                format!("la structure « {} » n’a pas de SIRET", s.nom),
            )
        })?;
        let siret = maillage_domain::Siret::parse(siret)
            .map_err(|e| ErreurPass::invalide("siret", e.to_string()))?;
        let commune = s.code_insee.clone().ok_or_else(|| {
            ErreurPass::invalide(
                "commune",
                format!("la structure « {} » n’a pas de commune", s.nom),
            )
        })?;
        let l = LieuQualifieRow {
            programme_id,
            structure_id,
            siret: siret.as_str().to_string(),
            commune,
            approuve_par: Self::nom_acteur(acteur),
            approuve_at: self.maintenant(),
        };
        match self.store.qualifier_lieu(&l).await {
            Ok(()) => Ok(l),
            Err(StoreError::Conflict(_)) => Err(ErreurPass::invalide(
                "siret",
                format!("le SIRET {} est déjà qualifié pour ce programme", l.siret),
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn lieux_qualifies(&self, programme_id: i64) -> Resultat<Vec<LieuQualifieRow>> {
        Ok(self.store.lieux_qualifies(programme_id).await?)
    }

    pub async fn ajouter_prescripteur(
        &self,
        acteur: &Acteur,
        programme_id: i64,
        structure_id: i64,
    ) -> Resultat<()> {
        let p = self.programme(programme_id).await?;
        Self::exiger_financeur(acteur, p.financeur_structure_id)?;
        self.structure(structure_id).await?;
        Ok(self
            .store
            .ajouter_prescripteur(programme_id, structure_id)
            .await?)
    }

    /// Issues a carnet of `nombre` passes; returns its id and the codes (canonical form).
    pub async fn emettre_carnet(
        &self,
        acteur: &Acteur,
        programme_id: i64,
        nombre: usize,
    ) -> Resultat<(i64, Vec<String>)> {
        let p = self.programme(programme_id).await?;
        Self::exiger_financeur(acteur, p.financeur_structure_id)?;
        if nombre == 0 || nombre > CARNET_MAX {
            return Err(ErreurPass::invalide(
                "nombre",
                format!("un carnet compte de 1 à {CARNET_MAX} pass"),
            ));
        }
        let mut codes = Vec::with_capacity(nombre);
        while codes.len() < nombre {
            let c = code::nouveau_code(octets_aleatoires)?;
            if !codes.contains(&c) {
                codes.push(c);
            }
        }
        let (carnet, _) = self
            .store
            .emettre_carnet(&NewCarnet {
                programme_id,
                codes: codes.clone(),
                acteur: Self::nom_acteur(acteur),
                created_at: self.maintenant(),
            })
            .await?;
        tracing::info!(carnet, passes = nombre, "carnet issued");
        Ok((carnet, codes))
    }

    pub async fn pass_du_carnet(&self, carnet_id: i64) -> Resultat<Vec<PassRow>> {
        Ok(self.store.pass_du_carnet(carnet_id).await?)
    }

    /// The pass of a typed code (`Invalide` naming the field `code` when it cannot exist).
    pub async fn pass(&self, saisie: &str) -> Resultat<PassRow> {
        let code =
            code::normaliser(saisie).map_err(|e| ErreurPass::invalide("code", e.to_string()))?;
        self.store
            .pass_par_code(&code)
            .await?
            .ok_or(ErreurPass::Introuvable)
    }

    /// Checks the pseudonymous person's fields (commune, age band, status).
    pub(crate) fn verifier_beneficiaire(&self, b: &Beneficiaire) -> Resultat<()> {
        if self
            .comptes
            .referentiel()
            .commune(b.commune.trim())
            .is_none()
        {
            return Err(ErreurPass::invalide(
                "commune",
                format!("« {} » n’est pas un code INSEE connu", b.commune),
            ));
        }
        if !TRANCHES_AGE.contains(&b.tranche_age.as_str()) {
            return Err(ErreurPass::invalide(
                "tranche_age",
                format!("choisissez parmi {}", TRANCHES_AGE.join(", ")),
            ));
        }
        if !STATUTS.contains(&b.statut.as_str()) {
            return Err(ErreurPass::invalide(
                "statut",
                format!("choisissez parmi {}", STATUTS.join(", ")),
            ));
        }
        Ok(())
    }

    /// A prescriber (a structure allowed by the programme, or the operator) gives a pass to a
    /// pseudonymous person.
    pub async fn distribuer(
        &self,
        acteur: &Acteur,
        prescripteur_structure_id: i64,
        saisie: &str,
        b: Beneficiaire,
    ) -> Resultat<PassRow> {
        let pass = self.pass(saisie).await?;
        let permis = matches!(acteur.role, Role::Administrateur)
            || (acteur.compte.structure_id.map(|s| s.get()) == Some(prescripteur_structure_id)
                && matches!(acteur.role, Role::Coordinateur | Role::Mediateur));
        if !permis {
            return Err(ErreurPass::Interdit);
        }
        if !self
            .store
            .est_prescripteur(pass.programme_id, prescripteur_structure_id)
            .await?
        {
            return Err(ErreurPass::invalide(
                "prescripteur",
                "cette structure n’est pas prescriptrice de ce programme",
            ));
        }
        self.verifier_beneficiaire(&b)?;
        if pass.etat != ETAT_EMIS {
            return Err(ErreurPass::Refus(format!(
                "Ce pass est {} : il ne peut plus être remis à une personne.",
                libelle_etat(&pass.etat)
            )));
        }
        self.store
            .distribuer(&NewDistribution {
                code: pass.code,
                prescripteur_structure_id,
                commune: b.commune.trim().to_string(),
                tranche_age: b.tranche_age,
                statut: b.statut,
                personne_id: b.personne_id,
                acteur: Self::nom_acteur(acteur),
                at: self.maintenant(),
            })
            .await
            .map_err(|e| match e {
                StoreError::Invalid(m) => ErreurPass::Refus(m),
                e => e.into(),
            })
    }

    /// Blocks (J−15, decided by the funder) or cancels a pass not yet redeemed.
    pub async fn bloquer_ou_annuler(
        &self,
        acteur: &Acteur,
        saisie: &str,
        annuler: bool,
    ) -> Resultat<PassRow> {
        Self::exiger_gestionnaire(acteur)?;
        let pass = self.pass(saisie).await?;
        let (etat, action) = if annuler {
            (ETAT_ANNULE, ACTION_ANNULATION)
        } else {
            (ETAT_BLOQUE, ACTION_BLOCAGE)
        };
        self.store
            .changer_etat(
                pass.id,
                etat,
                action,
                &Self::nom_acteur(acteur),
                self.maintenant(),
            )
            .await
            .map_err(|e| match e {
                StoreError::Invalid(_) => ErreurPass::Refus(format!(
                    "Ce pass est {} : il ne peut plus changer d’état.",
                    libelle_etat(&pass.etat)
                )),
                e => e.into(),
            })
    }

    /// Creates a place API key valid `jours` days from now with the scope `pass:utiliser`.
    pub async fn creer_cle_api(
        &self,
        acteur: &Acteur,
        structure_id: i64,
        nom: &str,
        jours: i64,
    ) -> Resultat<CleCreee> {
        if !(1..=3660).contains(&jours) {
            return Err(ErreurPass::invalide(
                "jours",
                "une clé vaut de 1 à 3660 jours",
            ));
        }
        let debut = self.maintenant();
        self.creer_cle_api_avec(
            acteur,
            structure_id,
            nom,
            &[SCOPE_UTILISER.to_string()],
            debut,
            debut + Duration::days(jours),
        )
        .await
    }

    /// Whether `acteur` manages the API keys of `structure_id`: an administrator, or a
    /// coordinator acting for that structure.
    pub fn gere_les_cles(acteur: &Acteur, structure_id: i64) -> bool {
        match acteur.role {
            Role::Administrateur => true,
            Role::Coordinateur => acteur.compte.structure_id.map(|s| s.get()) == Some(structure_id),
            _ => false,
        }
    }

    /// The place's API keys (never their secrets), for who manages them.
    pub async fn cles_api(&self, acteur: &Acteur, structure_id: i64) -> Resultat<Vec<CleApiRow>> {
        if !Self::gere_les_cles(acteur, structure_id) {
            return Err(ErreurPass::Interdit);
        }
        Ok(self.store.cles_api(structure_id).await?)
    }

    /// Creates a place API key with `scopes` (among [`SCOPES`]) valid from `debut` to `fin`
    /// (at most ten years); the whole key is returned once, only its secret's hash is kept.
    pub async fn creer_cle_api_avec(
        &self,
        acteur: &Acteur,
        structure_id: i64,
        nom: &str,
        scopes: &[String],
        debut: DateTime<Utc>,
        fin: DateTime<Utc>,
    ) -> Resultat<CleCreee> {
        if !Self::gere_les_cles(acteur, structure_id) {
            return Err(ErreurPass::Interdit);
        }
        self.structure(structure_id).await?;
        if scopes.is_empty() {
            return Err(ErreurPass::invalide("scopes", "cochez au moins un droit"));
        }
        if let Some(s) = scopes.iter().find(|s| !SCOPES.iter().any(|(c, _)| c == s)) {
            return Err(ErreurPass::invalide(
                "scopes",
                format!("« {s} » n’est pas un droit connu"),
            ));
        }
        if fin <= debut || fin - debut > Duration::days(3660) {
            return Err(ErreurPass::invalide(
                "fin",
                "la fin de validité doit suivre le début, dix ans au plus après",
            ));
        }
        if fin <= self.maintenant() {
            return Err(ErreurPass::invalide(
                "fin",
                "la fin de validité est déjà passée",
            ));
        }
        let nom = nom.trim();
        if nom.is_empty() || nom.chars().count() > 100 {
            return Err(ErreurPass::invalide(
                "nom",
                "donnez un nom à la clé (100 caractères au plus)",
            ));
        }
        let prefixe = hex_aleatoire(8)?;
        let secret = hex_aleatoire(32)?;
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        let id = self
            .store
            .create_cle_api(&NewCleApi {
                structure_id,
                nom: nom.to_string(),
                prefixe: prefixe.clone(),
                secret_hash: hash_secret(&secret),
                scopes: scopes.join(","),
                debut,
                fin,
                created_at: self.maintenant(),
            })
            .await?;
        Ok(CleCreee {
            id,
            cle: format!("mpk_{prefixe}_{secret}"),
        })
    }

    /// Revokes a key: an administrator any key; a coordinator those of its structure
    /// (another structure's key is `Introuvable`).
    pub async fn revoquer_cle_api(&self, acteur: &Acteur, id: i64) -> Resultat<bool> {
        Self::exiger_gestionnaire(acteur)?;
        if !matches!(acteur.role, Role::Administrateur) {
            let structure = acteur
                .compte
                .structure_id
                .map(|s| s.get())
                .ok_or(ErreurPass::Interdit)?;
            if !self
                .store
                .cles_api(structure)
                .await?
                .iter()
                .any(|c| c.id == id)
            {
                return Err(ErreurPass::Introuvable);
            }
        }
        Ok(self.store.revoquer_cle_api(id, self.maintenant()).await?)
    }

    /// The key of an `Authorization: Bearer …` value, if it exists, is in its validity
    /// window, is not revoked and has `scope`.
    pub async fn authentifier(&self, cle: &str, scope: &str) -> Resultat<CleApiRow> {
        let cle = cle.trim();
        let Some((prefixe, secret)) = cle.strip_prefix("mpk_").and_then(|r| r.split_once('_'))
        else {
            return Err(ErreurPass::NonAuthentifie);
        };
        let Some(row) = self.store.cle_api_par_prefixe(prefixe).await? else {
            return Err(ErreurPass::NonAuthentifie);
        };
        if hash_secret(secret) != row.secret_hash {
            return Err(ErreurPass::NonAuthentifie);
        }
        let maintenant = self.maintenant();
        if row.revoquee_at.is_some() {
            return Err(ErreurPass::Interdit);
        }
        if maintenant < row.debut || maintenant >= row.fin {
            return Err(ErreurPass::Interdit);
        }
        if !row.scopes.split(',').any(|s| s.trim() == scope) {
            return Err(ErreurPass::Interdit);
        }
        Ok(row)
    }

    /// Redeems a pass at the origin's place. The same nonce again gives the same redemption
    /// (`nouvelle: false`); another request on a used pass is a `Conflit` (409); a pass that
    /// cannot be redeemed here or now a `Refus` (422).
    pub async fn utiliser(
        &self,
        origine: &Origine,
        saisie: &str,
        nonce: &str,
        activite_id: Option<i64>,
    ) -> Resultat<UtilisationFaite> {
        self.utiliser_avec(origine, saisie, nonce, activite_id, None)
            .await
    }

    /// « Utilisation forcée »: a redemption the place recorded offline at `hors_ligne_at`
    /// (a phone without network) and sends now. The pass must have been valid then (its
    /// tolerance date not passed) and still unredeemed now: the guard is the same as for any
    /// redemption, so a pass is never paid twice. The redemption is flagged and opens an
    /// incident that the funder decides ([`Pass::decider_incident`]): accepted, it is
    /// counted in the place's statement; refused, it is not paid. `hors_ligne_at` must be in
    /// the last [`HORS_LIGNE_MAX_JOURS`] days.
    pub async fn utiliser_forcee(
        &self,
        origine: &Origine,
        saisie: &str,
        nonce: &str,
        activite_id: Option<i64>,
        hors_ligne_at: DateTime<Utc>,
    ) -> Resultat<UtilisationFaite> {
        verifier_hors_ligne(hors_ligne_at, self.maintenant())?;
        self.utiliser_avec(origine, saisie, nonce, activite_id, Some(hors_ligne_at))
            .await
    }

    async fn utiliser_avec(
        &self,
        origine: &Origine,
        saisie: &str,
        nonce: &str,
        activite_id: Option<i64>,
        hors_ligne_at: Option<DateTime<Utc>>,
    ) -> Resultat<UtilisationFaite> {
        let nonce = verifier_nonce(nonce)?;
        let code =
            code::normaliser(saisie).map_err(|e| ErreurPass::invalide("code", e.to_string()))?;
        let lieu = origine.structure_id();
        let jour = match hors_ligne_at {
            Some(h) => h.with_timezone(&chrono_tz::Europe::Paris).date_naive(),
            None => self.comptes.aujourdhui(),
        };
        let forcee = hors_ligne_at.map(|h| Forcee {
            hors_ligne_at: h,
            motif: format!(
                "Utilisation forcée : faite hors ligne le {}, reçue le {}.",
                h.with_timezone(&chrono_tz::Europe::Paris)
                    .format("%d/%m/%Y à %H:%M"),
                self.maintenant()
                    .with_timezone(&chrono_tz::Europe::Paris)
                    .format("%d/%m/%Y à %H:%M")
            ),
        });
        let mut u = NewUtilisation {
            pass_id: 0,
            structure_id: lieu,
            nonce: nonce.to_string(),
            cle_api_id: match origine {
                Origine::Cle(c) => Some(c.id),
                Origine::Compte { .. } => None,
            },
            compte_id: match origine {
                Origine::Compte { compte_id, .. } => Some(*compte_id),
                Origine::Cle(_) => None,
            },
            activite_id,
            acteur: origine.acteur(),
            at: self.maintenant(),
            forcee,
        };
        // Guarded: through the group commit (`lot`), which reads the pass and checks it in
        // the batch. The control run stays one request, one transaction, for its race
        // window.
        let (resultat, pass) = match self.garde {
            GardePass::Active => {
                lot::soumettre(
                    self,
                    lot::Demande {
                        code,
                        jour,
                        utilisation: u,
                    },
                )
                .await?
            }
            garde => {
                let pass = self
                    .store
                    .pass_par_code(&code)
                    .await?
                    .ok_or(ErreurPass::Introuvable)?;
                if pass.etat != ETAT_UTILISE {
                    self.verifier_utilisable(&pass, lieu, jour).await?;
                }
                u.pass_id = pass.id;
                (self.store.utiliser(&u, garde).await?, pass)
            }
        };
        match resultat {
            Utilisation::Creee(utilisation) => {
                tracing::info!(pass = pass.id, lieu, "pass redeemed");
                Ok(UtilisationFaite {
                    utilisation,
                    nouvelle: true,
                })
            }
            Utilisation::Rejouee(utilisation) => Ok(UtilisationFaite {
                utilisation,
                nouvelle: false,
            }),
            Utilisation::DejaUtilise(e) => Err(ErreurPass::Conflit(format!(
                "Ce pass a déjà été utilisé le {} : il ne peut servir qu’une fois.",
                e.at.with_timezone(&chrono_tz::Europe::Paris).format("%d/%m/%Y à %H:%M")
            ))),
            Utilisation::NonceDejaServi => Err(ErreurPass::Conflit(
                "Ce nonce a déjà servi à une autre utilisation de votre lieu : envoyez un nonce nouveau pour chaque pass.".into(),
            )),
            Utilisation::EtatRefuse { etat } => Err(ErreurPass::Refus(format!(
                "Ce pass est {} : il ne peut pas être utilisé.",
                libelle_etat(&etat)
            ))),
        }
    }

    /// Whether the pass of a typed code can be redeemed by the structure `lieu` now (what a
    /// mediator's form checks before writing the record it pays for).
    pub async fn verifier_pour_lieu(&self, saisie: &str, lieu: i64) -> Resultat<()> {
        let pass = self.pass(saisie).await?;
        if pass.etat == ETAT_UTILISE {
            return Err(ErreurPass::Conflit(
                "Ce pass a déjà été utilisé : il ne peut servir qu’une fois.".into(),
            ));
        }
        self.verifier_utilisable(&pass, lieu, self.comptes.aujourdhui())
            .await
    }

    pub async fn utilisation_de_activite(
        &self,
        activite_id: i64,
    ) -> Resultat<Option<UtilisationRow>> {
        Ok(self.store.utilisation_de_activite(activite_id).await?)
    }

    /// Why the pass cannot be redeemed at `lieu` on `jour` (Paris), if it cannot.
    async fn verifier_utilisable(
        &self,
        pass: &PassRow,
        lieu: i64,
        jour: NaiveDate,
    ) -> Resultat<()> {
        Verifications::default()
            .verifier(self, pass, lieu, jour)
            .await
    }

    /// What anyone holding the pass may see.
    pub async fn verifier_public(&self, saisie: &str) -> Resultat<VuePublique> {
        let pass = self.pass(saisie).await?;
        let programme = self.programme(pass.programme_id).await?;
        let expire = self.comptes.aujourdhui() > programme.tolerance;
        let (utilisable, explication) = match pass.etat.as_str() {
            ETAT_DISTRIBUE if !expire => (
                true,
                "Ce pass est valable : présentez-le dans un lieu qualifié.".to_string(),
            ),
            ETAT_DISTRIBUE | ETAT_EMIS if expire => (false, "Ce pass est expiré.".to_string()),
            ETAT_EMIS => (
                false,
                "Ce pass n’a pas encore été remis à une personne.".to_string(),
            ),
            ETAT_UTILISE => {
                let u = self.store.utilisation_du_pass(pass.id).await?;
                let quand = u
                    .as_ref()
                    .map(|u| {
                        format!(
                            " le {}",
                            u.at.with_timezone(&chrono_tz::Europe::Paris)
                                .format("%d/%m/%Y")
                        )
                    })
                    .unwrap_or_default();
                let pour = u
                    .and_then(|u| u.activite_id)
                    .map(|a| format!(", pour l’activité n° {a}"))
                    .unwrap_or_default();
                (false, format!("Ce pass a déjà été utilisé{quand}{pour}."))
            }
            autre => (false, format!("Ce pass est {}.", libelle_etat(autre))),
        };
        Ok(VuePublique {
            code: code::afficher(&pass.code),
            etat: pass.etat,
            valeur_centimes: pass.valeur_centimes,
            programme: programme.nom,
            fin_validite: programme.fin_validite,
            tolerance: programme.tolerance,
            utilisable,
            explication,
        })
    }

    pub async fn utilisation_du_pass(&self, pass_id: i64) -> Resultat<Option<UtilisationRow>> {
        Ok(self.store.utilisation_du_pass(pass_id).await?)
    }

    pub async fn compte_etats(&self, programme_id: i64) -> Resultat<CompteEtats> {
        Ok(self.store.compte_etats(programme_id).await?)
    }

    /// Chains the ledger entries of redemptions that did not find the journal's lock free
    /// (they wait, committed with their redemption, for the next writer): returns how many.
    pub async fn chainer_registre(&self) -> Resultat<u64> {
        let n = self.store.chainer_registre().await?;
        if n > 0 {
            tracing::debug!(entries = n, "pass ledger: waiting entries chained");
        }
        Ok(n)
    }

    /// Chains the waiting ledger entries every `periode`, for ever (`maillage serve` runs it
    /// beside the server, so that the last redemptions of a burst do not wait for the next
    /// write). Errors are logged and retried at the next period.
    pub async fn tenir_registre(&self, periode: std::time::Duration) {
        let mut minuterie = tokio::time::interval(periode);
        minuterie.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            minuterie.tick().await;
            match self.store.registre_en_attente().await {
                Ok(0) => {}
                Ok(_) => {
                    if let Err(e) = self.chainer_registre().await {
                        tracing::warn!(error = %e, "pass ledger: chaining failed");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "pass ledger: queue unreadable"),
            }
        }
    }

    /// Signs a seal over the head of the pass stream (after chaining what waits) with the
    /// instance's journal key, unless that head is already sealed (`maillage journal
    /// sceller` seals both streams).
    pub async fn sceller_registre(&self, cle: &SigningKey) -> Resultat<Option<Sceau>> {
        self.chainer_registre().await?;
        let tete = self.store.pass_journal_head().await?;
        let dernier = self.store.sceaux_pass().await?.last().map_or(0, |s| s.seq);
        if tete.seq == 0 || tete.seq <= dernier {
            return Ok(None);
        }
        let s = Sceau::signer_flux(
            Flux::Pass,
            cle,
            tete.seq,
            tete.hash,
            self.maintenant().timestamp_micros(),
        );
        match self.store.add_sceau_pass(&s).await {
            Ok(()) | Err(StoreError::Conflict(_)) => Ok(Some(s)),
            Err(e) => Err(e.into()),
        }
    }

    /// Chains what waits, then recomputes the pass stream of the journal: chain, hashes and
    /// seals (`cle`: the instance's public key).
    pub async fn verifier_journal(&self, cle: &VerifyingKey) -> Resultat<Rapport> {
        self.chainer_registre().await?;
        verifier_flux_pass(self.store.as_ref(), cle, 20_000)
            .await
            .map_err(Into::into)
    }
}

/// Recomputes the whole pass stream, reading it `page` entries at a time, with its seals
/// (signatures checked with `cle`, the instance's public key).
///
/// Reading and hashing overlap: while a blocking thread hashes page `n` (the verifier and
/// the page move to it and back), page `n + 1` is read from the store. The result is the
/// one a loop over every entry in order gives: pages are verified in order, and the first
/// rupture stops everything.
pub async fn verifier_flux_pass(
    store: &(impl PassStore + ?Sized),
    cle: &VerifyingKey,
    page: i64,
) -> Result<Rapport, StoreError> {
    let page = page.max(1);
    let mut v = Verificateur::pour_flux(Flux::Pass, store.sceaux_pass().await?, cle);
    let mut lot = store.pass_journal(0, page).await?;
    while let Some(derniere) = lot.last() {
        let apres = derniere.seq;
        let suite = (lot.len() as i64) >= page;
        let hachage = tokio::task::spawn_blocking(move || {
            let intact = lot.iter().all(|e| v.entree(e));
            (v, intact)
        });
        let lecture = async {
            if suite {
                store.pass_journal(apres, page).await
            } else {
                Ok(Vec::new())
            }
        };
        let (hache, suivant) = tokio::join!(hachage, lecture);
        let (verifie, intact) = hache
            .map_err(|e| StoreError::Database(format!("ledger verification task failed: {e}")))?;
        v = verifie;
        if !intact {
            return Ok(v.fin());
        }
        lot = suivant?;
    }
    Ok(v.fin())
}

/// The state of a pass in words.
pub fn libelle_etat(etat: &str) -> &'static str {
    match etat {
        ETAT_EMIS => "émis (pas encore remis)",
        ETAT_DISTRIBUE => "remis à une personne",
        ETAT_UTILISE => "déjà utilisé",
        "expire" => "expiré",
        ETAT_BLOQUE => "bloqué par le financeur",
        ETAT_ANNULE => "annulé",
        _ => "dans un état inconnu",
    }
}

/// The checks of a redemption ([`Pass::verifier_utilisable`]), with what they read kept for
/// the next pass of the same batch: each programme, place qualification and territory is
/// read once.
#[derive(Default)]
pub(crate) struct Verifications {
    programmes: std::collections::HashMap<i64, ProgrammeRow>,
    qualifications: std::collections::HashMap<(i64, i64), Option<LieuQualifieRow>>,
    couvertures: std::collections::HashMap<(i64, String), bool>,
}

impl Verifications {
    /// Why `pass` cannot be redeemed at `lieu` on `jour` (Paris), if it cannot.
    pub(crate) async fn verifier(
        &mut self,
        module: &Pass,
        pass: &PassRow,
        lieu: i64,
        jour: NaiveDate,
    ) -> Resultat<()> {
        match pass.etat.as_str() {
            ETAT_DISTRIBUE => {}
            ETAT_EMIS => {
                return Err(ErreurPass::Refus(
                    "Ce pass n’a pas encore été remis à une personne par un prescripteur : il ne peut pas être utilisé.".into(),
                ))
            }
            autre => {
                return Err(ErreurPass::Refus(format!(
                    "Ce pass est {} : il ne peut pas être utilisé.",
                    libelle_etat(autre)
                )))
            }
        }
        let programme = match self.programmes.get(&pass.programme_id) {
            Some(p) => p.clone(),
            None => {
                let p = module.programme(pass.programme_id).await?;
                self.programmes.insert(pass.programme_id, p.clone());
                p
            }
        };
        if jour > programme.tolerance {
            return Err(ErreurPass::Refus(format!(
                "Ce pass est expiré : il était valable jusqu’au {}.",
                programme.tolerance.format("%d/%m/%Y")
            )));
        }
        let cle = (pass.programme_id, lieu);
        let qualification = match self.qualifications.get(&cle) {
            Some(q) => q.clone(),
            None => {
                let q = module.store.lieu_qualifie(pass.programme_id, lieu).await?;
                self.qualifications.insert(cle, q.clone());
                q
            }
        };
        let Some(q) = qualification else {
            return Err(ErreurPass::Refus(format!(
                "Votre lieu n’est pas qualifié pour le programme « {} » : il ne peut pas accepter ce pass.",
                programme.nom
            )));
        };
        let cle = (pass.programme_id, q.commune.clone());
        let couvre = match self.couvertures.get(&cle) {
            Some(&c) => c,
            None => {
                let c = module
                    .store
                    .programme_couvre(pass.programme_id, &q.commune)
                    .await?;
                self.couvertures.insert(cle, c);
                c
            }
        };
        if !couvre {
            return Err(ErreurPass::Refus(format!(
                "Ce pass n’est valable que sur le territoire du programme « {} » : votre lieu est en dehors.",
                programme.nom
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redemption_body_is_read_field_by_field() {
        let d = lire_demande_utilisation(
            br#"{"nonce": "caisse-1", "activite": 12, "hors_ligne_le": "2026-11-20T14:30:00+01:00"}"#,
        );
        assert_eq!(
            d,
            Ok(DemandeUtilisation {
                nonce: "caisse-1".into(),
                activite: Some(12),
                hors_ligne_le: DateTime::from_timestamp(1_795_181_400, 0),
            })
        );
        let champ = |corps: &[u8]| lire_demande_utilisation(corps).err().map(|e| e.champ);
        assert_eq!(champ(b"{\"nonce\": 3}"), Some(Some("nonce")));
        assert_eq!(
            champ(b"{\"nonce\": \"n\", \"activite\": \"x\"}"),
            Some(Some("activite"))
        );
        assert_eq!(
            champ(b"{\"nonce\": \"n\", \"hors_ligne_le\": \"hier\"}"),
            Some(Some("hors_ligne_le"))
        );
        let json = lire_demande_utilisation(b"{\"nonce\": ").err();
        assert_eq!(json.as_ref().map(|e| e.champ), Some(None));
        assert!(json.is_some_and(|e| e.message.starts_with("JSON illisible à la ligne 1")));
    }

    #[test]
    fn nonces_and_offline_dates_are_bounded() {
        assert_eq!(verifier_nonce("  caisse-1 ").ok(), Some("caisse-1"));
        assert!(verifier_nonce(" ").is_err());
        assert!(verifier_nonce("a\u{7}b").is_err());
        assert!(verifier_nonce(&"x".repeat(NONCE_MAX + 1)).is_err());
        let maintenant = DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default();
        assert!(verifier_hors_ligne(maintenant - Duration::days(2), maintenant).is_ok());
        assert!(verifier_hors_ligne(maintenant - Duration::days(31), maintenant).is_err());
        assert!(verifier_hors_ligne(maintenant + Duration::hours(1), maintenant).is_err());
    }
}

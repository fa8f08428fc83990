//! Enquête de besoins: door-to-door survey campaigns of a territory, planned from the
//! fragility index, collected offline on a phone, whose answers measure what the index only
//! predicts (see `docs/ENQUETE.md`).
//!
//! Who may do what (decided here only):
//!
//! | what | a surveyor of the campaign | coordinateur, administrateur (and the operator at the command line) |
//! |---|---|---|
//! | create a campaign, add questions (new version), add surveyors and addresses | — | yes |
//! | read the campaign, its questionnaire and the addresses they cover | yes | yes |
//! | sync visits and questionnaires | yes (communes they cover) | yes |
//! | results (rates, progress) | yes | yes |
//!
//! Answers are anonymous: the store keeps them apart from the visit list (see
//! [`maillage_store::enquete`]); the sync computes every score here, from the answers,
//! never trusting the device's.

pub mod calibrage;
pub mod echantillon;
pub mod questionnaire;
pub mod statistiques;

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use maillage_comptes::{Acteur, Comptes, ErreurComptes};
use maillage_domain::mediation::Role;
use maillage_store::enquete::{
    AdresseRow, CampagneRow, CibleRow, CompteCommuneRow, EnqueteurRow, NewAdresse, NewCampagne,
    NewQuestionnaire, NewReponse, NewVisite, Synchro, VisiteRow, ISSUES, ISSUE_ABSENT,
};
use maillage_store::{EnqueteStore, StoreError};
use serde::{Deserialize, Serialize};

pub use maillage_store::enquete as stockage;

use crate::echantillon::CommuneAEnqueter;
use crate::questionnaire::{Question, Questionnaire};
use crate::statistiques::{Recensement, Taux};
use maillage_territoire::indice::{Configuration, DonneesIndicateurs, Indicateur, Indice};

/// Most items in one sync request.
pub const LOT_MAX: usize = 5_000;
/// Days until the revisit of an absent household, when the surveyor gives none.
pub const REVISITE_JOURS: i64 = 7;

#[derive(Debug, thiserror::Error)]
pub enum ErreurEnquete {
    #[error("{champ} : {message}")]
    Invalide { champ: String, message: String },
    #[error("Cette campagne est introuvable.")]
    Introuvable,
    #[error("Vous n’avez pas accès à cette action.")]
    Interdit,
    /// 409: the questionnaire is frozen once collection has started.
    #[error("{0}")]
    Conflit(String),
    #[error(transparent)]
    Comptes(#[from] ErreurComptes),
    #[error("erreur interne ({0})")]
    Interne(String),
}

impl ErreurEnquete {
    pub fn invalide(champ: &str, message: impl Into<String>) -> Self {
        ErreurEnquete::Invalide {
            champ: champ.to_string(),
            message: message.into(),
        }
    }
}

impl From<StoreError> for ErreurEnquete {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ErreurEnquete::Introuvable,
            StoreError::Conflict(m) => ErreurEnquete::Conflit(m),
            other => ErreurEnquete::Interne(other.to_string()),
        }
    }
}

pub type Resultat<T> = Result<T, ErreurEnquete>;

/// What a coordinator gives to create a campaign.
#[derive(Debug, Clone)]
pub struct DemandeCampagne {
    pub intitule: String,
    /// `epci:…`, `commune:…`, `dep:…` (as for the other modules), several separated by
    /// commas.
    pub territoire: String,
    pub debut: NaiveDate,
    pub fin: NaiveDate,
    pub consentement: String,
    /// Households to visit over the perimeter.
    pub menages: i64,
    /// Households to visit at least in each commune.
    pub minimum_par_commune: i64,
}

/// The title, dates and consent wording of a campaign, checked: `(title, consent)` trimmed.
fn verifier_champs<'a>(
    intitule: &'a str,
    debut: NaiveDate,
    fin: NaiveDate,
    consentement: &'a str,
) -> Resultat<(&'a str, &'a str)> {
    let intitule = intitule.trim();
    if intitule.is_empty() || intitule.chars().count() > 200 {
        return Err(ErreurEnquete::invalide(
            "intitule",
            "indiquez l’intitulé de la campagne (200 caractères au plus)",
        ));
    }
    if fin < debut {
        return Err(ErreurEnquete::invalide(
            "fin",
            "la fin de la campagne doit suivre son début",
        ));
    }
    let consentement = consentement.trim();
    if consentement.is_empty() || consentement.chars().count() > 2000 {
        return Err(ErreurEnquete::invalide(
            "consentement",
            "indiquez le texte lu aux personnes avant de les interroger (2 000 caractères au plus)",
        ));
    }
    Ok((intitule, consentement))
}

/// A surveyor of a campaign, with the account's name.
#[derive(Debug, Clone, Serialize)]
pub struct Enqueteur {
    pub compte_id: i64,
    pub nom: String,
    /// INSEE codes covered; empty: the whole perimeter.
    pub communes: Vec<String>,
}

/// What the campaign's management page shows.
#[derive(Debug, Clone, Serialize)]
pub struct FicheGestion {
    pub campagne: CampagneRow,
    pub questionnaire: Questionnaire,
    pub cibles: Vec<CibleRow>,
    pub enqueteurs: Vec<Enqueteur>,
    /// Addresses of the visit list, per commune.
    pub adresses: Vec<(String, usize)>,
}

/// A visit as the device sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisiteSaisie {
    pub uuid: String,
    pub adresse_id: i64,
    /// `absent`, `refus` or `fait`.
    pub issue: String,
    #[serde(default)]
    pub revisite: Option<NaiveDate>,
    pub at: DateTime<Utc>,
}

/// An answered questionnaire as the device sends it: no address, no name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionnaireSaisi {
    pub uuid: String,
    pub questionnaire_id: i64,
    pub commune: String,
    #[serde(default)]
    pub iris: Option<String>,
    pub reponses: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// One sync request from a device.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LotSynchro {
    #[serde(default)]
    pub visites: Vec<VisiteSaisie>,
    #[serde(default)]
    pub questionnaires: Vec<QuestionnaireSaisi>,
}

/// An item the server refused, and why (the device keeps it and shows the reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejet {
    pub uuid: String,
    pub message: String,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecuSynchro {
    pub visites: Synchro,
    pub questionnaires: Synchro,
    pub rejets: Vec<Rejet>,
}

/// What a surveyor's device downloads to work offline.
#[derive(Debug, Clone, Serialize)]
pub struct DossierCollecte {
    pub campagne: CampagneRow,
    pub questionnaire_id: i64,
    pub questionnaire: Questionnaire,
    pub adresses: Vec<AdresseRow>,
    pub visites: Vec<VisiteRow>,
}

/// The results of a campaign.
#[derive(Debug, Clone, Serialize)]
pub struct Resultats {
    pub campagne: CampagneRow,
    pub cibles: Vec<CibleRow>,
    /// Illectronisme per commune and per EPCI.
    pub communes: Vec<Taux>,
    pub epcis: Vec<Taux>,
    /// Visits per outcome over the campaign: absent, refus, fait.
    pub visites: [i64; 3],
    /// The same per commune (communes with at least one visit), by INSEE code.
    pub visites_par_commune: Vec<(String, [i64; 3])>,
    pub questionnaires: i64,
}

impl Resultats {
    /// Questionnaires over households met (done + refusals): the response rate.
    pub fn taux_reponse(&self) -> Option<f64> {
        let rencontres = self.visites[1] + self.visites[2];
        (rencontres > 0).then(|| self.visites[2] as f64 / rencontres as f64)
    }
}

/// A client-generated UUID, as browsers draw them (`crypto.randomUUID()`): 36 characters,
/// hexadecimal digits in groups 8-4-4-4-12. Returned in lower case.
pub fn lire_uuid(texte: &str) -> Option<String> {
    let t = texte.trim().to_ascii_lowercase();
    let groupes: Vec<&str> = t.split('-').collect();
    let tailles = [8, 4, 4, 4, 12];
    (groupes.len() == 5
        && groupes
            .iter()
            .zip(tailles)
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit())))
    .then_some(t)
}

/// Reads the lines `commune;adresse[;iris[;compte]]` of a visit list (pure): `perimetre`
/// are the campaign's communes, `enqueteurs` its surveyors' accounts. Every line is checked;
/// the first wrong one is the error, naming the line (`ligne N`).
pub fn lire_adresses(
    texte: &str,
    perimetre: &HashSet<String>,
    enqueteurs: &HashSet<i64>,
) -> Resultat<Vec<NewAdresse>> {
    let mut adresses = Vec::new();
    for (i, ligne) in texte.lines().enumerate() {
        let n = i + 1;
        let ligne = ligne.trim();
        if ligne.is_empty() || (n == 1 && ligne.to_lowercase().starts_with("commune;")) {
            continue;
        }
        let champs: Vec<&str> = ligne.split(';').map(str::trim).collect();
        let erreur = |m: String| ErreurEnquete::invalide(&format!("ligne {n}"), m);
        if champs.len() < 2 || champs.len() > 4 {
            return Err(erreur(
                "attendu « commune;adresse » suivi au besoin de « ;iris;compte »".into(),
            ));
        }
        let commune = champs[0];
        if !perimetre.contains(commune) {
            return Err(erreur(format!(
                "la commune {commune} n’est pas dans le périmètre de la campagne"
            )));
        }
        let adresse = champs[1];
        if adresse.is_empty() || adresse.chars().count() > 300 {
            return Err(erreur(
                "adresse vide ou trop longue (300 caractères au plus)".into(),
            ));
        }
        let iris = champs
            .get(2)
            .filter(|s| !s.is_empty())
            .map(|s| s.to_string());
        if let Some(iris) = &iris {
            if iris.len() != 9 || !iris.starts_with(commune) {
                return Err(erreur(format!(
                    "le code IRIS {iris} doit avoir 9 caractères et commencer par le code de la commune"
                )));
            }
        }
        let compte = match champs.get(3).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => {
                let id: i64 = s
                    .parse()
                    .map_err(|_| erreur(format!("« {s} » n’est pas un numéro de compte")))?;
                if !enqueteurs.contains(&id) {
                    return Err(erreur(format!(
                        "le compte n° {id} n’enquête pas sur cette campagne"
                    )));
                }
                Some(id)
            }
        };
        adresses.push(NewAdresse {
            commune: commune.to_string(),
            iris,
            adresse: adresse.to_string(),
            enqueteur_compte_id: compte,
        });
    }
    Ok(adresses)
}

/// Checks a visit a device sent (pure: `adresse` says whether the address is on the
/// campaign's list and in the surveyor's sector, or why not). Returns its UUID in lower
/// case and, for an `absent`, the day to come back (the device's, or [`REVISITE_JOURS`]
/// after the visit); a refusal names the reason, in French.
pub fn verifier_visite(
    v: &VisiteSaisie,
    adresse: impl FnOnce(i64) -> Result<(), &'static str>,
) -> Result<(String, Option<NaiveDate>), Rejet> {
    let Some(uuid) = lire_uuid(&v.uuid) else {
        return Err(Rejet {
            uuid: v.uuid.clone(),
            message: "identifiant de visite illisible".into(),
        });
    };
    let rejet = |m: &str| Rejet {
        uuid: uuid.clone(),
        message: m.to_string(),
    };
    adresse(v.adresse_id).map_err(rejet)?;
    if !ISSUES.contains(&v.issue.as_str()) {
        return Err(rejet("issue inconnue (absent, refus ou fait)"));
    }
    let revisite = if v.issue == ISSUE_ABSENT {
        match v.revisite {
            Some(d) => Some(d),
            None => Some(
                v.at.checked_add_signed(Duration::days(REVISITE_JOURS))
                    .ok_or_else(|| rejet("date de visite hors des dates possibles"))?
                    .date_naive(),
            ),
        }
    } else {
        None
    };
    Ok((uuid, revisite))
}

/// A questionnaire of a sync, checked by [`verifier_questionnaire`].
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionnaireVerifie {
    /// In lower case.
    pub uuid: String,
    pub iris: Option<String>,
    /// The answers kept (see [`Questionnaire::noter`]).
    pub reponses: std::collections::BTreeMap<String, serde_json::Value>,
    pub scores: questionnaire::Scores,
}

/// Checks a questionnaire a device sent (pure): its UUID, that it follows the campaign's
/// questionnaire (`questionnaire_id`), that its commune is in the surveyor's sector
/// (`secteur`), its IRIS code, and its answers (scored by `questionnaire`). A refusal names
/// the reason, in French.
pub fn verifier_questionnaire(
    q: &QuestionnaireSaisi,
    questionnaire: &Questionnaire,
    questionnaire_id: i64,
    secteur: impl FnOnce(&str) -> bool,
) -> Result<QuestionnaireVerifie, Rejet> {
    let Some(uuid) = lire_uuid(&q.uuid) else {
        return Err(Rejet {
            uuid: q.uuid.clone(),
            message: "identifiant de questionnaire illisible".into(),
        });
    };
    let rejet = |m: String| Rejet {
        uuid: uuid.clone(),
        message: m,
    };
    if q.questionnaire_id != questionnaire_id {
        return Err(rejet(
            "ce questionnaire n’est plus la version de la campagne : rechargez la page de collecte"
                .into(),
        ));
    }
    if !secteur(&q.commune) {
        return Err(rejet(format!(
            "la commune {} n’est pas dans votre secteur de la campagne",
            q.commune
        )));
    }
    let iris = q.iris.clone().filter(|i| !i.trim().is_empty());
    if let Some(i) = &iris {
        if i.len() != 9 || !i.starts_with(&q.commune) {
            return Err(rejet(format!("code IRIS {i} illisible pour cette commune")));
        }
    }
    let (reponses, scores) = questionnaire
        .noter(&q.reponses)
        .map_err(|e| rejet(e.to_string()))?;
    Ok(QuestionnaireVerifie {
        uuid,
        iris,
        reponses,
        scores,
    })
}

#[derive(Clone)]
pub struct Enquete {
    store: Arc<dyn EnqueteStore>,
    comptes: Comptes,
    /// Bumped by every write of this process that can change [`Enquete::mesures`].
    generation: Arc<std::sync::atomic::AtomicU64>,
}

impl Enquete {
    pub fn new(store: Arc<dyn EnqueteStore>, comptes: Comptes) -> Self {
        Enquete {
            store,
            comptes,
            generation: Arc::default(),
        }
    }

    /// A number that changes whenever this process writes something that can change
    /// [`Enquete::mesures`] (answers, a campaign's dates or questionnaire). Pages that keep
    /// what they computed from the measures use it to know when to compute again; writes
    /// made by another process (another node, the command line) are not counted here.
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    fn a_change(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// The same module asking other accounts (another clock, other settings).
    pub fn avec_comptes(mut self, comptes: Comptes) -> Self {
        self.comptes = comptes;
        self
    }

    pub fn store(&self) -> &Arc<dyn EnqueteStore> {
        &self.store
    }

    pub fn maintenant(&self) -> DateTime<Utc> {
        self.comptes.maintenant()
    }

    /// Who may plan campaigns: administrators and coordinators.
    pub fn exiger_gestionnaire(acteur: &Acteur) -> Resultat<()> {
        match acteur.role {
            Role::Administrateur | Role::Coordinateur => Ok(()),
            _ => Err(ErreurEnquete::Interdit),
        }
    }

    fn nom_acteur(acteur: &Acteur) -> String {
        if acteur.compte.id.get() == 0 {
            "admin:cli".into()
        } else {
            format!("compte:{}", acteur.compte.id.get())
        }
    }

    pub async fn campagne(&self, id: i64) -> Resultat<CampagneRow> {
        self.store
            .campagne(id)
            .await?
            .ok_or(ErreurEnquete::Introuvable)
    }

    pub async fn campagnes(&self) -> Resultat<Vec<CampagneRow>> {
        Ok(self.store.campagnes().await?)
    }

    /// The surveyor's row when `acteur` surveys the campaign; `None` for a manager.
    /// Anyone else is refused.
    async fn acces(&self, acteur: &Acteur, campagne_id: i64) -> Resultat<Option<EnqueteurRow>> {
        self.campagne(campagne_id).await?;
        if Self::exiger_gestionnaire(acteur).is_ok() {
            return Ok(None);
        }
        let id = acteur.compte.id.get();
        self.store
            .enqueteurs(campagne_id)
            .await?
            .into_iter()
            .find(|e| e.compte_id == id)
            .map(Some)
            .ok_or(ErreurEnquete::Interdit)
    }

    /// The campaigns `acteur` surveys (all of them for a manager).
    pub async fn campagnes_de(&self, acteur: &Acteur) -> Resultat<Vec<CampagneRow>> {
        let toutes = self.store.campagnes().await?;
        if Self::exiger_gestionnaire(acteur).is_ok() {
            return Ok(toutes);
        }
        let mut miennes = Vec::new();
        for c in toutes {
            if self
                .store
                .enqueteurs(c.id)
                .await?
                .iter()
                .any(|e| e.compte_id == acteur.compte.id.get())
            {
                miennes.push(c);
            }
        }
        Ok(miennes)
    }

    /// The stored standard questionnaire (version 1), recorded on first use.
    pub async fn questionnaire_standard(&self) -> Resultat<i64> {
        let standard = Questionnaire::standard()?;
        if let Some(q) = self
            .store
            .questionnaires()
            .await?
            .into_iter()
            .find(|q| q.code == standard.code && q.version == standard.version)
        {
            return Ok(q.id);
        }
        match self
            .store
            .creer_questionnaire(&NewQuestionnaire {
                code: standard.code.clone(),
                version: standard.version,
                contenu: standard.json(),
                created_at: self.maintenant(),
            })
            .await
        {
            Ok(id) => Ok(id),
            // Recorded by a concurrent first use: read it.
            Err(StoreError::Conflict(_)) => self
                .store
                .questionnaires()
                .await?
                .into_iter()
                .find(|q| q.code == standard.code && q.version == standard.version)
                .map(|q| q.id)
                .ok_or_else(|| ErreurEnquete::Interne("standard questionnaire lost".into())),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn questionnaire(&self, id: i64) -> Resultat<Questionnaire> {
        let row = self.store.questionnaire(id).await?.ok_or_else(|| {
            ErreurEnquete::invalide("questionnaire", format!("la version n° {id} n’existe pas"))
        })?;
        Questionnaire::lire(&row.contenu)
    }

    /// The communes of a perimeter given as `epci:…, commune:…`.
    fn communes_du_perimetre(&self, territoire: &str) -> Resultat<Vec<String>> {
        let referentiel = self.comptes.referentiel();
        let mut communes: Vec<String> = Vec::new();
        for partie in territoire
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let t = referentiel
                .territoire(partie)
                .map_err(|e| ErreurEnquete::invalide("territoire", e.to_string()))?;
            for c in referentiel.communes_of_territoire(&t) {
                if !communes.contains(&c.code_insee) {
                    communes.push(c.code_insee.clone());
                }
            }
        }
        if communes.is_empty() {
            return Err(ErreurEnquete::invalide(
                "territoire",
                "indiquez au moins une commune ou un EPCI (par exemple « epci:243100633 »)",
            ));
        }
        communes.sort();
        Ok(communes)
    }

    /// Creates a campaign on the standard questionnaire; its target households per commune
    /// are drawn from the fragility index ([`echantillon::repartir`]).
    pub async fn creer_campagne(&self, acteur: &Acteur, d: DemandeCampagne) -> Resultat<i64> {
        Self::exiger_gestionnaire(acteur)?;
        let (intitule, consentement) =
            verifier_champs(&d.intitule, d.debut, d.fin, &d.consentement)?;
        let communes = self.communes_du_perimetre(&d.territoire)?;
        let indice = indice_national();
        let a_enqueter: Vec<CommuneAEnqueter> = communes
            .iter()
            .map(|c| CommuneAEnqueter {
                code: c.clone(),
                indice: indice.commune(c).and_then(|i| i.indice),
            })
            .collect();
        let cibles = echantillon::repartir(&a_enqueter, d.menages, d.minimum_par_commune)
            .map_err(|m| ErreurEnquete::invalide("menages", m))?;
        let questionnaire_id = self.questionnaire_standard().await?;
        Ok(self
            .store
            .creer_campagne(&NewCampagne {
                intitule: intitule.to_string(),
                territoire: d.territoire.trim().to_string(),
                debut: d.debut,
                fin: d.fin,
                questionnaire_id,
                consentement: consentement.to_string(),
                cibles,
                cree_par: Self::nom_acteur(acteur),
                created_at: self.maintenant(),
            })
            .await?)
    }

    /// Changes the title and dates of a campaign, and its consent wording while collection
    /// has not started (after, the wording given is ignored: the store keeps the one read
    /// to the first households).
    pub async fn modifier_campagne(
        &self,
        acteur: &Acteur,
        campagne_id: i64,
        intitule: &str,
        debut: NaiveDate,
        fin: NaiveDate,
        consentement: &str,
    ) -> Resultat<()> {
        Self::exiger_gestionnaire(acteur)?;
        let c = self.campagne(campagne_id).await?;
        let (intitule, consentement) = verifier_champs(intitule, debut, fin, consentement)?;
        if c.collecte_commencee_at.is_some() && consentement != c.consentement {
            return Err(ErreurEnquete::Conflit(
                "La collecte a commencé : le texte de consentement ne peut plus changer.".into(),
            ));
        }
        let m = stockage::ModificationCampagne {
            intitule: intitule.to_string(),
            debut,
            fin,
            consentement: consentement.to_string(),
        };
        if !self.store.modifier_campagne(campagne_id, &m).await? {
            return Err(ErreurEnquete::Introuvable);
        }
        self.a_change();
        Ok(())
    }

    /// What the management page shows: campaign, questionnaire, targets, surveyors with
    /// their names, addresses per commune. Coordinators and administrators only.
    pub async fn fiche_gestion(&self, acteur: &Acteur, campagne_id: i64) -> Resultat<FicheGestion> {
        Self::exiger_gestionnaire(acteur)?;
        let campagne = self.campagne(campagne_id).await?;
        let questionnaire = self.questionnaire(campagne.questionnaire_id).await?;
        let mut enqueteurs = Vec::new();
        for e in self.store.enqueteurs(campagne_id).await? {
            let nom = self
                .comptes
                .nom_du_compte(maillage_domain::CompteId::new(e.compte_id))
                .await?
                .unwrap_or_else(|| format!("compte n° {}", e.compte_id));
            enqueteurs.push(Enqueteur {
                compte_id: e.compte_id,
                nom,
                communes: e
                    .communes
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect(),
            });
        }
        let mut adresses: std::collections::BTreeMap<String, usize> = Default::default();
        for a in self.store.adresses(campagne_id).await? {
            *adresses.entry(a.commune).or_default() += 1;
        }
        Ok(FicheGestion {
            cibles: self.store.cibles(campagne_id).await?,
            campagne,
            questionnaire,
            enqueteurs,
            adresses: adresses.into_iter().collect(),
        })
    }

    /// Adds a surveyor found by the account's e-mail address.
    pub async fn ajouter_enqueteur_par_courriel(
        &self,
        acteur: &Acteur,
        campagne_id: i64,
        courriel: &str,
        communes: &[String],
    ) -> Resultat<i64> {
        Self::exiger_gestionnaire(acteur)?;
        let compte = self
            .comptes
            .compte_par_email(courriel.trim())
            .await?
            .ok_or_else(|| {
                ErreurEnquete::invalide(
                    "courriel",
                    "aucun compte n’a cette adresse : invitez d’abord la personne dans l’équipe",
                )
            })?;
        let id = compte.id.get();
        self.ajouter_enqueteur(acteur, campagne_id, id, communes)
            .await?;
        Ok(id)
    }

    /// Adds the territory's questions in a new version of the campaign's questionnaire,
    /// while collection has not started.
    pub async fn ajouter_questions(
        &self,
        acteur: &Acteur,
        campagne_id: i64,
        ajouts: Vec<Question>,
    ) -> Resultat<i64> {
        Self::exiger_gestionnaire(acteur)?;
        let c = self.campagne(campagne_id).await?;
        let gele = || {
            ErreurEnquete::Conflit(
                "La collecte a commencé : le questionnaire ne peut plus changer. Créez une nouvelle campagne pour d’autres questions.".into(),
            )
        };
        if c.collecte_commencee_at.is_some() {
            return Err(gele());
        }
        let base = self.questionnaire(c.questionnaire_id).await?;
        let mut nouvelle = base.etendre(ajouts)?;
        // The next free version of this code.
        let derniere = self
            .store
            .questionnaires()
            .await?
            .into_iter()
            .filter(|q| q.code == base.code)
            .map(|q| q.version)
            .max()
            .unwrap_or(base.version);
        nouvelle.version = derniere + 1;
        let id = self
            .store
            .creer_questionnaire(&NewQuestionnaire {
                code: nouvelle.code.clone(),
                version: nouvelle.version,
                contenu: nouvelle.json(),
                created_at: self.maintenant(),
            })
            .await?;
        if !self.store.changer_questionnaire(campagne_id, id).await? {
            return Err(gele());
        }
        self.a_change();
        Ok(id)
    }

    pub async fn cibles(&self, campagne_id: i64) -> Resultat<Vec<CibleRow>> {
        Ok(self.store.cibles(campagne_id).await?)
    }

    /// Adds a surveyor (an account of the kernel) covering `communes` (INSEE codes of the
    /// perimeter; empty: all of it).
    pub async fn ajouter_enqueteur(
        &self,
        acteur: &Acteur,
        campagne_id: i64,
        compte_id: i64,
        communes: &[String],
    ) -> Resultat<()> {
        Self::exiger_gestionnaire(acteur)?;
        self.campagne(campagne_id).await?;
        let perimetre: HashSet<String> = self
            .store
            .cibles(campagne_id)
            .await?
            .into_iter()
            .map(|c| c.commune)
            .collect();
        for c in communes {
            if !perimetre.contains(c.trim()) {
                return Err(ErreurEnquete::invalide(
                    "communes",
                    format!("la commune {c} n’est pas dans le périmètre de la campagne"),
                ));
            }
        }
        let existe = self
            .comptes
            .compte_par_id(maillage_domain::CompteId::new(compte_id))
            .await?
            .is_some();
        if !existe {
            return Err(ErreurEnquete::invalide(
                "compte",
                format!("le compte n° {compte_id} n’existe pas"),
            ));
        }
        let liste: Vec<&str> = communes.iter().map(|c| c.trim()).collect();
        self.store
            .ajouter_enqueteur(campagne_id, compte_id, &liste.join(","))
            .await?;
        Ok(())
    }

    /// Adds addresses to the visit list from lines `commune;adresse[;iris[;compte]]`.
    /// Every line is checked before anything is written; the error names the line.
    pub async fn importer_adresses(
        &self,
        acteur: &Acteur,
        campagne_id: i64,
        texte: &str,
    ) -> Resultat<usize> {
        Self::exiger_gestionnaire(acteur)?;
        self.campagne(campagne_id).await?;
        let perimetre: HashSet<String> = self
            .store
            .cibles(campagne_id)
            .await?
            .into_iter()
            .map(|c| c.commune)
            .collect();
        let enqueteurs: HashSet<i64> = self
            .store
            .enqueteurs(campagne_id)
            .await?
            .into_iter()
            .map(|e| e.compte_id)
            .collect();
        let adresses = lire_adresses(texte, &perimetre, &enqueteurs)?;
        if adresses.is_empty() {
            return Err(ErreurEnquete::invalide(
                "adresses",
                "aucune adresse à ajouter",
            ));
        }
        Ok(self
            .store
            .ajouter_adresses(campagne_id, &adresses)
            .await?
            .len())
    }

    /// Whether `enqueteur` covers this address.
    fn couvre(enqueteur: &Option<EnqueteurRow>, a: &AdresseRow) -> bool {
        match enqueteur {
            None => true,
            Some(e) => match a.enqueteur_compte_id {
                Some(id) => id == e.compte_id,
                None => Self::couvre_commune(enqueteur, &a.commune),
            },
        }
    }

    fn couvre_commune(enqueteur: &Option<EnqueteurRow>, commune: &str) -> bool {
        match enqueteur {
            None => true,
            Some(e) => e.communes.is_empty() || e.communes.split(',').any(|c| c == commune),
        }
    }

    /// What the device downloads: the campaign, its questionnaire, the addresses the
    /// surveyor covers and the visits already received for them.
    pub async fn dossier(&self, acteur: &Acteur, campagne_id: i64) -> Resultat<DossierCollecte> {
        let enqueteur = self.acces(acteur, campagne_id).await?;
        let campagne = self.campagne(campagne_id).await?;
        let questionnaire = self.questionnaire(campagne.questionnaire_id).await?;
        let adresses: Vec<AdresseRow> = self
            .store
            .adresses(campagne_id)
            .await?
            .into_iter()
            .filter(|a| Self::couvre(&enqueteur, a))
            .collect();
        let ids: HashSet<i64> = adresses.iter().map(|a| a.id).collect();
        let visites = self
            .store
            .visites(campagne_id)
            .await?
            .into_iter()
            .filter(|v| ids.contains(&v.adresse_id))
            .collect();
        Ok(DossierCollecte {
            questionnaire_id: campagne.questionnaire_id,
            campagne,
            questionnaire,
            adresses,
            visites,
        })
    }

    /// Stores what a device sends. Idempotent: an item already received (same UUID) is
    /// reported in `deja_recus` and stored once. An item that is wrong is refused alone
    /// (in `rejets`, with the reason); the others are stored.
    pub async fn synchroniser(
        &self,
        acteur: &Acteur,
        campagne_id: i64,
        lot: LotSynchro,
    ) -> Resultat<RecuSynchro> {
        let enqueteur = self.acces(acteur, campagne_id).await?;
        if lot.visites.len() + lot.questionnaires.len() > LOT_MAX {
            return Err(ErreurEnquete::invalide(
                "lot",
                format!("{LOT_MAX} éléments au plus par envoi"),
            ));
        }
        let campagne = self.campagne(campagne_id).await?;
        let maintenant = self.maintenant();
        let compte = acteur.compte.id.get();
        let mut recu = RecuSynchro::default();

        let mut visites = Vec::new();
        if !lot.visites.is_empty() {
            let adresses: std::collections::HashMap<i64, AdresseRow> = self
                .store
                .adresses(campagne_id)
                .await?
                .into_iter()
                .map(|a| (a.id, a))
                .collect();
            for v in lot.visites {
                let adresse = |id: i64| match adresses.get(&id) {
                    None => Err("cette adresse n’est pas sur la liste de la campagne"),
                    Some(a) if !Self::couvre(&enqueteur, a) => {
                        Err("cette adresse n’est pas dans votre secteur")
                    }
                    Some(_) => Ok(()),
                };
                match verifier_visite(&v, adresse) {
                    Err(r) => recu.rejets.push(r),
                    Ok((uuid, revisite)) => visites.push(NewVisite {
                        uuid,
                        campagne_id,
                        adresse_id: v.adresse_id,
                        issue: v.issue,
                        revisite,
                        enqueteur_compte_id: compte,
                        visite_at: v.at,
                        recu_at: maintenant,
                    }),
                }
            }
        }

        let mut reponses = Vec::new();
        if !lot.questionnaires.is_empty() {
            let perimetre: HashSet<String> = self
                .store
                .cibles(campagne_id)
                .await?
                .into_iter()
                .map(|c| c.commune)
                .collect();
            let questionnaire = self.questionnaire(campagne.questionnaire_id).await?;
            for q in lot.questionnaires {
                let secteur = |commune: &str| {
                    perimetre.contains(commune) && Self::couvre_commune(&enqueteur, commune)
                };
                let lu = match verifier_questionnaire(
                    &q,
                    &questionnaire,
                    campagne.questionnaire_id,
                    secteur,
                ) {
                    Ok(lu) => lu,
                    Err(r) => {
                        recu.rejets.push(r);
                        continue;
                    }
                };
                let s = lu.scores;
                reponses.push(NewReponse {
                    uuid: lu.uuid,
                    campagne_id,
                    questionnaire_id: q.questionnaire_id,
                    commune: q.commune,
                    iris: lu.iris,
                    reponses: serde_json::to_string(&lu.reponses)
                        .map_err(|e| ErreurEnquete::Interne(e.to_string()))?,
                    score_information: s.information,
                    score_communication: s.communication,
                    score_resolution: s.resolution,
                    score_logiciels: s.logiciels,
                    internet_3mois: s.internet_3mois,
                    illectronisme: s.illectronisme,
                    personnes_foyer: s.personnes_foyer,
                    collecte_at: q.at,
                    recu_at: maintenant,
                });
            }
        }
        recu.visites = self.store.enregistrer_visites(&visites).await?;
        recu.questionnaires = self.store.enregistrer_reponses(&reponses).await?;
        self.a_change();
        Ok(recu)
    }

    /// The campaign's answers for an export, with the questionnaire they follow:
    /// coordinators and administrators only. Anonymous already (commune, IRIS, answers,
    /// scores); the export leaves out the UUIDs, the times and the short texts.
    pub async fn reponses_a_exporter(
        &self,
        acteur: &Acteur,
        campagne_id: i64,
    ) -> Resultat<(Questionnaire, Vec<stockage::ReponseRow>)> {
        Self::exiger_gestionnaire(acteur)?;
        let c = self.campagne(campagne_id).await?;
        let questionnaire = self.questionnaire(c.questionnaire_id).await?;
        Ok((questionnaire, self.store.reponses(campagne_id).await?))
    }

    /// « Un coup de main à la porte »: counts a help given with the person's consent
    /// (`fiche`: an orientation sheet, `inscription`: a registration to a session, `cle`:
    /// a « Mon espace » key) in a commune the surveyor covers. For a key, makes it (a new
    /// person of the accounts kernel, [`Comptes::nouvelle_personne`]) and returns its code
    /// to give; the count holds no name and no link to an answer.
    pub async fn coup_de_main(
        &self,
        acteur: &Acteur,
        campagne_id: i64,
        commune: &str,
        genre: &str,
        consentement: bool,
    ) -> Resultat<Option<String>> {
        let enqueteur = self.acces(acteur, campagne_id).await?;
        if !consentement {
            return Err(ErreurEnquete::invalide(
                "consentement",
                "la personne doit être d’accord : cochez la case après le lui avoir demandé",
            ));
        }
        if !stockage::COUPS_DE_MAIN.contains(&genre) {
            return Err(ErreurEnquete::invalide(
                "genre",
                "choisissez une fiche d’orientation, une inscription ou une clé « Mon espace »",
            ));
        }
        let perimetre = self.store.cibles(campagne_id).await?;
        if !perimetre.iter().any(|c| c.commune == commune)
            || !Self::couvre_commune(&enqueteur, commune)
        {
            return Err(ErreurEnquete::invalide(
                "commune",
                format!("la commune {commune} n’est pas dans votre secteur de la campagne"),
            ));
        }
        let code = if genre == "cle" {
            Some(self.comptes.nouvelle_personne().await?.code.texte())
        } else {
            None
        };
        self.store
            .compter_coup_de_main(campagne_id, commune, genre, self.maintenant())
            .await?;
        Ok(code)
    }

    /// Helps given at the door during a campaign: `[fiche, inscription, cle]`.
    pub async fn coups_de_main(&self, acteur: &Acteur, campagne_id: i64) -> Resultat<[i64; 3]> {
        self.acces(acteur, campagne_id).await?;
        let mut n = [0i64; 3];
        for r in self.store.coups_de_main(campagne_id).await? {
            if let Some(i) = stockage::COUPS_DE_MAIN.iter().position(|g| *g == r.genre) {
                n[i] = r.nombre;
            }
        }
        Ok(n)
    }

    /// Rates of illectronisme per commune and per EPCI (95 % Wilson intervals, cells under
    /// five suppressed), and the campaign's progress.
    pub async fn resultats(&self, acteur: &Acteur, campagne_id: i64) -> Resultat<Resultats> {
        self.acces(acteur, campagne_id).await?;
        self.resultats_publics(campagne_id).await
    }

    /// The same, for the public aggregate page (nothing but counts and rates).
    pub async fn resultats_publics(&self, campagne_id: i64) -> Resultat<Resultats> {
        let campagne = self.campagne(campagne_id).await?;
        let comptes = self.store.comptes_par_commune(campagne_id).await?;
        let (communes, epcis) = self.taux(&comptes);
        let mut visites = [0i64; 3];
        let mut par_commune: std::collections::BTreeMap<String, [i64; 3]> = Default::default();
        for a in self.store.avancement(campagne_id).await? {
            if let Some(i) = ISSUES.iter().position(|x| *x == a.issue) {
                visites[i] += a.visites;
                par_commune.entry(a.commune).or_default()[i] += a.visites;
            }
        }
        Ok(Resultats {
            cibles: self.store.cibles(campagne_id).await?,
            questionnaires: comptes.iter().map(|c| c.reponses).sum(),
            campagne,
            communes,
            epcis,
            visites,
            visites_par_commune: par_commune.into_iter().collect(),
        })
    }

    /// Rates per commune and EPCI from the counts, weighted against the census
    /// ([`statistiques::taux_par_territoire`]).
    pub fn taux(&self, comptes: &[CompteCommuneRow]) -> (Vec<Taux>, Vec<Taux>) {
        let referentiel = self.comptes.referentiel();
        let indice = indice_national();
        statistiques::taux_par_territoire(comptes, |code| {
            let c = indice.commune(code);
            Recensement {
                part_seuls: c
                    .and_then(|c| c.valeurs[Indicateur::MenagesUnePersonne])
                    .map(|v| v / 100.0),
                population: c.map(|c| f64::from(c.population)).unwrap_or(0.0),
                epci: referentiel.commune(code).and_then(|c| c.code_epci.clone()),
            }
        })
    }
}

impl Enquete {
    /// What every campaign measured, pooled per commune (the counts of all campaigns
    /// added up), the rates per commune and EPCI, and the calibrated index fitted on the
    /// surveyed communes ([`calibrage::ajuster`]). Aggregates only: public.
    pub async fn mesures(&self) -> Resultat<Mesures> {
        let mut par_commune: std::collections::BTreeMap<String, CompteCommuneRow> =
            Default::default();
        for c in self.store.campagnes().await? {
            for r in self.store.comptes_par_commune(c.id).await? {
                let t = par_commune
                    .entry(r.commune.clone())
                    .or_insert_with(|| CompteCommuneRow {
                        commune: r.commune.clone(),
                        reponses: 0,
                        illectronisme: 0,
                        seuls: 0,
                        seuls_illectronisme: 0,
                        plusieurs: 0,
                        plusieurs_illectronisme: 0,
                    });
                t.reponses += r.reponses;
                t.illectronisme += r.illectronisme;
                t.seuls += r.seuls;
                t.seuls_illectronisme += r.seuls_illectronisme;
                t.plusieurs += r.plusieurs;
                t.plusieurs_illectronisme += r.plusieurs_illectronisme;
            }
        }
        let comptes: Vec<CompteCommuneRow> = par_commune.into_values().collect();
        let (communes, epcis) = self.taux(&comptes);
        let indice = indice_national();
        let observations = observations(&comptes, indice);
        Ok(Mesures {
            modele: calibrage::ajuster(&observations, indice),
            communes,
            epcis,
        })
    }
}

/// The surveyed communes as the calibration sees them: every commune with at least
/// [`statistiques::SEUIL_SECRET`] answers and the six indicators.
pub fn observations(
    comptes: &[CompteCommuneRow],
    indice: &Indice<'_>,
) -> Vec<calibrage::Observation> {
    comptes
        .iter()
        .filter(|c| c.reponses >= statistiques::SEUIL_SECRET)
        .filter_map(|c| {
            let ic = indice.commune(&c.commune)?;
            let x = calibrage::variables(ic)?;
            let part = ic.valeurs[Indicateur::MenagesUnePersonne].map(|v| v / 100.0);
            let e = statistiques::estimer_commune(c, part)?;
            Some(calibrage::Observation {
                code: c.commune.clone(),
                x,
                taux: e.taux,
                poids: e.effectif_efficace,
            })
        })
        .collect()
}

/// Measured illectronisme over every campaign, and the calibrated index.
#[derive(Debug, Clone, Serialize)]
pub struct Mesures {
    pub communes: Vec<Taux>,
    pub epcis: Vec<Taux>,
    /// `None` under [`calibrage::COMMUNES_MIN`] surveyed communes.
    pub modele: Option<calibrage::Modele>,
}

impl Mesures {
    pub fn commune(&self, code: &str) -> Option<&Taux> {
        self.communes.iter().find(|t| t.code == code)
    }

    pub fn epci(&self, code: &str) -> Option<&Taux> {
        self.epcis.iter().find(|t| t.code == code)
    }
}

/// The national fragility index (deciles method), computed once.
pub fn indice_national() -> &'static Indice<'static> {
    static INDICE: OnceLock<Indice<'static>> = OnceLock::new();
    INDICE.get_or_init(|| {
        maillage_territoire::indice::calculer(
            DonneesIndicateurs::embedded(),
            &Configuration::deciles(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A visit as a device's JSON gives it (the body of `/api/v1/enquete/{id}/synchro`).
    fn visite(json: &str) -> VisiteSaisie {
        serde_json::from_str(json).expect("a visit")
    }

    /// Found while writing the fuzz target `synchro_enquete` (`fuzz/`): a visit dated at
    /// the very end of the dates chrono can hold (year 262142) made the default revisit
    /// date overflow and the sync panic (`DateTime + TimeDelta overflowed`), even when the
    /// device gave its own revisit date (the default was computed all the same). It is now
    /// refused alone, with a reason; a revisit date given by the device is kept.
    #[test]
    fn a_visit_at_the_end_of_time_is_refused_not_a_panic() {
        let uuid = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
        let tard = visite(&format!(
            r#"{{"uuid": "{uuid}", "adresse_id": 4, "issue": "absent", "at": "+262142-12-31T23:00:00Z"}}"#
        ));
        let rejet = verifier_visite(&tard, |_| Ok(())).err();
        assert_eq!(
            rejet.map(|r| (r.uuid, r.message)),
            Some((
                uuid.to_string(),
                "date de visite hors des dates possibles".to_string()
            ))
        );
        let avec_revisite = visite(&format!(
            r#"{{"uuid": "{uuid}", "adresse_id": 4, "issue": "absent", "revisite": "2026-12-01", "at": "+262142-12-31T23:00:00Z"}}"#
        ));
        assert_eq!(
            verifier_visite(&avec_revisite, |_| Ok(())).map(|(_, r)| r),
            Ok(NaiveDate::from_ymd_opt(2026, 12, 1))
        );
    }

    #[test]
    fn a_visit_is_checked_uuid_address_issue_then_revisit() {
        let v = visite(
            r#"{"uuid": "7C9E6679-7425-40DE-944B-E07FC1F90AE7", "adresse_id": 4, "issue": "absent", "at": "2026-11-20T10:00:00Z"}"#,
        );
        assert_eq!(
            verifier_visite(&v, |_| Ok(())),
            Ok((
                "7c9e6679-7425-40de-944b-e07fc1f90ae7".to_string(),
                NaiveDate::from_ymd_opt(2026, 11, 27)
            ))
        );
        let refus = verifier_visite(&v, |_| Err("cette adresse n’est pas dans votre secteur"));
        assert_eq!(
            refus.err().map(|r| r.message).as_deref(),
            Some("cette adresse n’est pas dans votre secteur")
        );
        let mauvais = visite(
            r#"{"uuid": "pas-un-uuid", "adresse_id": 4, "issue": "fait", "at": "2026-11-20T10:00:00Z"}"#,
        );
        assert_eq!(
            verifier_visite(&mauvais, |_| Ok(()))
                .err()
                .map(|r| r.uuid)
                .as_deref(),
            Some("pas-un-uuid")
        );
        let issue = visite(
            r#"{"uuid": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "adresse_id": 4, "issue": "parti", "at": "2026-11-20T10:00:00Z"}"#,
        );
        assert!(verifier_visite(&issue, |_| Ok(())).is_err());
    }

    #[test]
    fn a_visit_list_names_the_wrong_line() {
        let perimetre: HashSet<String> = ["31555".to_string()].into();
        let enqueteurs: HashSet<i64> = [7].into();
        let lues = lire_adresses(
            "commune;adresse;iris;compte\n31555;12 rue des Lois;315550101;7\n\n31555;3 place\n",
            &perimetre,
            &enqueteurs,
        );
        assert_eq!(lues.as_ref().map(Vec::len).ok(), Some(2));
        let e = lire_adresses("31555;1 rue A\n31555;2 rue B;;8\n", &perimetre, &enqueteurs);
        assert!(
            matches!(&e, Err(ErreurEnquete::Invalide { champ, .. }) if champ == "ligne 2"),
            "{e:?}"
        );
    }

    #[test]
    fn uuids_are_read_as_browsers_draw_them() {
        assert_eq!(
            lire_uuid(" 3F2504E0-4F89-41D3-9A0C-0305E82C3301 ").as_deref(),
            Some("3f2504e0-4f89-41d3-9a0c-0305e82c3301")
        );
        for faux in [
            "",
            "3f2504e0-4f89-41d3-9a0c",
            "3f2504e0-4f89-41d3-9a0c-0305e82c330z",
            "3f2504e04f8941d39a0c0305e82c3301",
            "3f2504e0-4f89-41d3-9a0c-0305e82c3301-00",
        ] {
            assert_eq!(lire_uuid(faux), None, "{faux}");
        }
    }
}

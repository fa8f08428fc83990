//! Corrections of published places, and places updating their own entry.
//!
//! A **correction** overrides one field of a published place (keyed by its published id):
//! its origin is `coordination` (a coordinator's edit, with the account's name) or `lieu`
//! (the place's own answer through its personal link). Corrections are applied when the
//! directory is merged ([`appliquer`], called by [`Annuaire::refusionner`]), so search,
//! export, the API and the pages all see them. Both origins rank above every imported
//! source; between them the most recent wins. A place may change only
//! [`CHAMPS_DU_LIEU`] (hours, contacts, services, accessibility); a coordinator any field
//! of [`CHAMPS_COORDINATION`], and may retire the place ([`CHAMP_RETRAIT`]: it leaves the
//! public directory). Undoing a correction records when and by whom; nothing is deleted.
//!
//! A value is checked by the importer itself: the place's values as a one-row file of the
//! national schema, the edited fields replaced, read by [`import::lire`] — the same
//! validators for phone numbers, OSM opening hours, e-mails, addresses and vocabularies,
//! and the same French messages.
//!
//! Coordinators are scoped to their territories ([`peut_modifier`]); administrators see
//! all. A **personal link** (`/mise-a-jour?jeton=…`) lets a place confirm or correct its
//! entry without an account: a random token of which only the SHA-256 is stored, valid
//! [`DUREE_LIEN_DEFAUT_JOURS`] days (configurable), answered once.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use maillage_comptes::{Acteur, Comptes, ErreurComptes};
use maillage_domain::mediation::Role;
use maillage_domain::{lieu::CHAMPS, Lieu};
use maillage_store::comptes::NewCourriel;
use maillage_store::corrections::{
    CampagneLieuxRow, CorrectionRow, CorrectionsStore, LienLieuRow, NewCampagneLieux,
    NewCorrection, NewLienLieu, REPONSE_CONFIRME, REPONSE_CORRIGE,
};
use maillage_territoire::{Referentiel, Territoire};
use sha2::{Digest, Sha256};

pub use maillage_store::corrections::{ORIGINE_COORDINATION, ORIGINE_LIEU};

use crate::annuaire::Annuaire;
use crate::doublons::LieuFusionne;
use crate::import::{self, Format, Gravite, OptionsImport};

/// The pseudo-field of a retirement: the place leaves the public directory.
pub const CHAMP_RETRAIT: &str = "retrait";

/// The fields a place may change itself: hours, contacts, services, accessibility.
pub const CHAMPS_DU_LIEU: [&str; 8] = [
    "horaires",
    "telephone",
    "courriels",
    "site_web",
    "services",
    "modalites_acces",
    "prise_en_charge_specifique",
    "fiche_acces_libre",
];

/// The fields a coordinator may change, in the form's order, with their labels.
pub const CHAMPS_COORDINATION: [(&str, &str); 29] = [
    ("nom", "Nom"),
    ("adresse", "Adresse"),
    ("complement_adresse", "Complément d'adresse"),
    ("code_postal", "Code postal"),
    ("commune", "Commune"),
    ("code_insee", "Code INSEE de la commune"),
    ("latitude", "Latitude"),
    ("longitude", "Longitude"),
    ("telephone", "Téléphone"),
    ("courriels", "Courriels"),
    ("site_web", "Sites web"),
    ("horaires", "Horaires (format OpenStreetMap)"),
    ("prise_rdv", "Lien de prise de rendez-vous"),
    ("services", "Services"),
    ("modalites_acces", "Modalités d'accès"),
    ("modalites_accompagnement", "Modalités d'accompagnement"),
    ("prise_en_charge_specifique", "Prise en charge spécifique"),
    ("fiche_acces_libre", "Fiche d'accessibilité (Acceslibre)"),
    (
        "publics_specifiquement_adresses",
        "Publics spécifiquement adressés",
    ),
    ("frais_a_charge", "Frais à charge"),
    ("typologie", "Typologie"),
    ("itinerance", "Itinérance"),
    ("structure_parente", "Structure parente"),
    ("pivot", "SIRET ou RNA"),
    ("presentation_resume", "Présentation (résumé)"),
    ("presentation_detail", "Présentation (détail)"),
    (
        "dispositif_programmes_nationaux",
        "Dispositifs et programmes nationaux",
    ),
    ("formations_labels", "Formations et labels"),
    ("autres_formations_labels", "Autres formations et labels"),
];

/// Days a personal link stays valid unless configured otherwise.
pub const DUREE_LIEN_DEFAUT_JOURS: i64 = 60;

/// A field's label for people (its name when unknown).
pub fn libelle_champ(champ: &str) -> &str {
    match champ {
        CHAMP_RETRAIT => "Retrait de l'annuaire",
        "date_maj" => "Date de mise à jour",
        _ => CHAMPS_COORDINATION
            .iter()
            .find(|(c, _)| *c == champ)
            .map(|(_, l)| *l)
            .unwrap_or(champ),
    }
}

/// Where a corrected field's value comes from, as kept in the published place's
/// `provenance` (`correction:ORIGINE:UNIX_SECONDS:AUTHOR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    pub origine: String,
    pub at: DateTime<Utc>,
    pub auteur: String,
}

const PREFIXE_PROVENANCE: &str = "correction:";

impl Provenance {
    fn de(c: &CorrectionRow) -> String {
        format!(
            "{PREFIXE_PROVENANCE}{}:{}:{}",
            c.origine,
            c.created_at.timestamp(),
            c.auteur
        )
    }

    /// Reads a provenance entry; `None` for an imported source's ref.
    pub fn lire(entree: &str) -> Option<Provenance> {
        let reste = entree.strip_prefix(PREFIXE_PROVENANCE)?;
        let mut parts = reste.splitn(3, ':');
        let origine = parts.next()?.to_string();
        let secondes: i64 = parts.next()?.parse().ok()?;
        let auteur = parts.next().unwrap_or_default().to_string();
        Some(Provenance {
            origine,
            at: DateTime::from_timestamp(secondes, 0)?,
            auteur,
        })
    }

    /// « modifié par la coordination le 06/12/2026 », « mis à jour par le lieu le … ».
    pub fn phrase(&self) -> String {
        let date = self
            .at
            .with_timezone(&chrono_tz::Europe::Paris)
            .format("%d/%m/%Y");
        if self.origine == ORIGINE_LIEU {
            format!("mis à jour par le lieu le {date}")
        } else {
            format!("modifié par la coordination le {date}")
        }
    }
}

/// The corrected fields of a published place with where each comes from, in field order.
pub fn provenances(f: &LieuFusionne) -> Vec<(String, Provenance)> {
    let mut out: Vec<(String, Provenance)> = f
        .provenance
        .iter()
        .filter_map(|(champ, p)| Provenance::lire(p).map(|p| (champ.clone(), p)))
        .filter(|(champ, _)| champ != "longitude")
        .collect();
    out.sort_by_key(|(champ, _)| {
        CHAMPS_COORDINATION
            .iter()
            .position(|(c, _)| c == champ)
            .unwrap_or(usize::MAX)
    });
    out
}

/// The last update made by the place itself, if any.
pub fn derniere_maj_par_le_lieu(f: &LieuFusionne) -> Option<Provenance> {
    f.provenance
        .values()
        .filter_map(|p| Provenance::lire(p))
        .filter(|p| p.origine == ORIGINE_LIEU)
        .max_by_key(|p| p.at)
}

/// A place's value of `champ` as written in the schema's CSV.
pub fn valeur_du_champ(lieu: &Lieu, champ: &str) -> String {
    let valeurs = lieu.valeurs_schema();
    CHAMPS
        .iter()
        .position(|c| *c == champ)
        .and_then(|i| valeurs.get(i).cloned())
        .unwrap_or_default()
}

/// Two texts of a field say the same (lists, split on `|`, compared as sets).
pub fn meme_valeur(a: &str, b: &str) -> bool {
    fn morceaux(s: &str) -> Vec<&str> {
        let mut v: Vec<&str> = s
            .split('|')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .collect();
        v.sort_unstable();
        v
    }
    morceaux(a) == morceaux(b)
}

/// Fields and their values as written in the schema's CSV.
pub type Valeurs = Vec<(String, String)>;

/// One field's refusal, in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErreurChamp {
    pub champ: String,
    pub message: String,
}

/// The place `lieu` with `valeurs` (field → CSV text) replaced, read again by the importer.
/// The new values as the importer wrote them, or the refusals of the edited fields.
pub fn verifier(
    lieu: &Lieu,
    valeurs: &[(String, String)],
    referentiel: &Referentiel,
) -> Result<(Lieu, Valeurs), Vec<ErreurChamp>> {
    let mut ligne = lieu.valeurs_schema();
    for (champ, valeur) in valeurs {
        match CHAMPS.iter().position(|c| c == champ) {
            Some(i) => ligne[i] = valeur.trim().to_string(),
            None => {
                return Err(vec![ErreurChamp {
                    champ: champ.clone(),
                    message: "champ inconnu".into(),
                }])
            }
        }
    }
    let mut csv = csv::WriterBuilder::new().from_writer(Vec::new());
    let ecrit = csv
        .write_record(CHAMPS)
        .and_then(|_| csv.write_record(&ligne));
    let octets = match ecrit
        .map_err(|e| e.to_string())
        .and_then(|_| csv.into_inner().map_err(|e| e.to_string()))
    {
        Ok(o) => o,
        Err(e) => {
            return Err(vec![ErreurChamp {
                champ: String::new(),
                message: format!("lecture impossible : {e}"),
            }])
        }
    };
    let options = OptionsImport {
        date_maj_par_defaut: Some(lieu.date_maj),
    };
    let lecture = match import::lire("correction", Format::V1Csv, &octets, &options, referentiel) {
        Ok(l) => l,
        Err(e) => {
            return Err(vec![ErreurChamp {
                champ: String::new(),
                message: e.to_string(),
            }])
        }
    };
    let edites: Vec<&str> = valeurs.iter().map(|(c, _)| c.as_str()).collect();
    let mut erreurs = Vec::new();
    for r in &lecture.rapport.remarques {
        let concerne = edites.contains(&r.champ.as_str());
        let refus = match r.gravite {
            Gravite::Rejet => true,
            // A repair keeping the meaning is accepted; a value dropped or kept invalid is not.
            Gravite::Correction => {
                concerne
                    && !(r.message.contains("corrigé en")
                        || r.message.contains("écrites au format OSM"))
            }
        };
        if refus {
            let message = r
                .message
                .split(" : champ vidé")
                .next()
                .unwrap_or(&r.message)
                .to_string();
            erreurs.push(ErreurChamp {
                champ: if concerne || edites.is_empty() {
                    r.champ.clone()
                } else {
                    edites.first().map(|c| c.to_string()).unwrap_or_default()
                },
                message,
            });
        }
    }
    if !erreurs.is_empty() {
        return Err(erreurs);
    }
    let Some(lu) = lecture.lieux.into_iter().next() else {
        return Err(vec![ErreurChamp {
            champ: String::new(),
            message: "la fiche modifiée n'est plus valable".into(),
        }]);
    };
    let mut nouveau = lu.lieu;
    nouveau.id = lieu.id.clone();
    nouveau.source = lieu.source.clone();
    let ecrites = valeurs
        .iter()
        .map(|(c, _)| (c.clone(), valeur_du_champ(&nouveau, c)))
        .collect();
    Ok((nouveau, ecrites))
}

/// Applies the active corrections `cs` of one published place: the most recent per field
/// (both origins above every source). `false` when the place is retired (not published).
/// A correction the place no longer accepts (its other fields changed since) is skipped
/// and logged.
pub fn appliquer(f: &mut LieuFusionne, cs: &[CorrectionRow], referentiel: &Referentiel) -> bool {
    let mut derniere: BTreeMap<&str, &CorrectionRow> = BTreeMap::new();
    for c in cs.iter().filter(|c| c.annulee_at.is_none()) {
        let garder = derniere
            .get(c.champ.as_str())
            .is_none_or(|d| (d.created_at, d.id) < (c.created_at, c.id));
        if garder {
            derniere.insert(c.champ.as_str(), c);
        }
    }
    if derniere.contains_key(CHAMP_RETRAIT) {
        return false;
    }
    if let Some(c) = derniere.remove("date_maj") {
        if let Ok(d) = c.valeur.parse::<NaiveDate>() {
            if d > f.lieu.date_maj {
                f.lieu.date_maj = d;
            }
            f.provenance.insert("date_maj".into(), Provenance::de(c));
        }
    }
    let valeurs: Vec<(String, String)> = derniere
        .iter()
        .map(|(champ, c)| (champ.to_string(), c.valeur.clone()))
        .collect();
    if valeurs.is_empty() {
        return true;
    }
    let appliquees: Vec<&CorrectionRow> = match verifier(&f.lieu, &valeurs, referentiel) {
        Ok((lieu, _)) => {
            f.lieu = lieu;
            derniere.values().copied().collect()
        }
        Err(_) => {
            // One by one, keeping those that still apply.
            let mut ok = Vec::new();
            for c in derniere.values() {
                match verifier(&f.lieu, &[(c.champ.clone(), c.valeur.clone())], referentiel) {
                    Ok((lieu, _)) => {
                        f.lieu = lieu;
                        ok.push(*c);
                    }
                    Err(e) => tracing::warn!(
                        place = %f.id,
                        correction = c.id,
                        "correction no longer applies: {:?}",
                        e.first().map(|e| &e.message)
                    ),
                }
            }
            ok
        }
    };
    for c in appliquees {
        f.provenance.insert(c.champ.clone(), Provenance::de(c));
        if c.champ == "latitude" || c.champ == "longitude" {
            f.provenance.insert("latitude".into(), Provenance::de(c));
            f.provenance.insert("longitude".into(), Provenance::de(c));
        }
    }
    true
}

/// The current published id of a stored correction's place. Today ids are kept as stored;
/// once published ids are redirected (old id → current id), the redirection is plugged in
/// here, the one place where a stored id is resolved.
pub fn id_courant(id_stocke: &str) -> String {
    id_stocke.to_string()
}

/// The active corrections of every place, by current published id (see [`id_courant`]).
pub async fn corrections_par_lieu(
    store: &dyn CorrectionsStore,
) -> Result<HashMap<String, Vec<CorrectionRow>>, maillage_store::StoreError> {
    let mut par_lieu: HashMap<String, Vec<CorrectionRow>> = HashMap::new();
    for c in store.corrections_actives().await? {
        par_lieu.entry(id_courant(&c.lieu_id)).or_default().push(c);
    }
    Ok(par_lieu)
}

/// The corrections a place takes at a re-merge, once its stable id is given
/// ([`crate::identifiants`]): those stored under that id, and the field corrections stored
/// under an id whose main record is now one of its members — the id it absorbed on a merge
/// (which now redirects here), or kept on a split (the group holding the main record keeps
/// it). A retirement follows the id only: a retired place absorbed by another does not
/// retire it. `ids_par_ref_principale`: main record → id, as stored before this re-merge.
pub fn du_lieu(
    f: &LieuFusionne,
    corrections: &HashMap<String, Vec<CorrectionRow>>,
    ids_par_ref_principale: &HashMap<String, String>,
) -> Vec<CorrectionRow> {
    let mut cs: Vec<CorrectionRow> = corrections.get(&f.id).cloned().unwrap_or_default();
    let mut anciens: Vec<&str> = f
        .membres
        .iter()
        .filter_map(|m| ids_par_ref_principale.get(m).map(String::as_str))
        .filter(|id| *id != f.id)
        .collect();
    anciens.sort_unstable();
    anciens.dedup();
    for id in anciens {
        if let Some(autres) = corrections.get(id) {
            cs.extend(autres.iter().filter(|c| c.champ != CHAMP_RETRAIT).cloned());
        }
    }
    cs
}

/// May change the entry of a place of commune `code_insee`: an administrator any; a
/// coordinator those of their territories.
pub fn peut_modifier(acteur: &Acteur, code_insee: Option<&str>) -> bool {
    match acteur.role {
        Role::Administrateur => true,
        Role::Coordinateur => {
            code_insee.is_some_and(|c| acteur.territoires.iter().any(|t| t.contient(c)))
        }
        Role::Mediateur => false,
    }
}

/// A place as its editing page shows it.
#[derive(Debug, Clone)]
pub struct FicheModifiable {
    pub id: String,
    /// `None` when the place is retired (or no longer published).
    pub lieu: Option<LieuFusionne>,
    pub code_insee: Option<String>,
    pub historique: Vec<CorrectionRow>,
    pub retire: bool,
    pub liens: Vec<LienLieuRow>,
}

/// The answer of a place through its link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReponseLieu {
    /// « Tout est juste ».
    Confirme,
    /// Field → CSV text, among [`CHAMPS_DU_LIEU`].
    Corrige(Vec<(String, String)>),
}

/// Why a link opens nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RefusLien {
    #[error("Ce lien n'est pas valable : vérifiez qu'il a été recopié en entier.")]
    Inconnu,
    #[error("Ce lien a expiré : demandez-en un nouveau à la coordination de votre territoire.")]
    Expire,
    #[error("Ce lien a déjà été utilisé : merci, votre réponse a bien été enregistrée. Pour une nouvelle modification, demandez un nouveau lien à la coordination.")]
    DejaUtilise,
    #[error("Ce lieu n'est plus publié dans l'annuaire.")]
    LieuAbsent,
}

/// A link just made: its token (shown once, never stored) and where it goes.
#[derive(Debug, Clone)]
pub struct LienCree {
    pub lieu_id: String,
    pub lieu_nom: String,
    pub adresse: String,
    pub jeton: String,
    pub url: String,
    pub expire_at: DateTime<Utc>,
    /// The address it was sent to; `None`: to print as a letter.
    pub courriel: Option<String>,
}

/// One commune's line of a campaign's dashboard.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LigneTableau {
    pub commune: String,
    pub envoyes: usize,
    pub ouverts: usize,
    pub confirmes: usize,
    pub corriges: usize,
}

impl LigneTableau {
    /// Answers (confirmed or corrected) per link sent, in percent.
    pub fn taux_reponse(&self) -> f64 {
        if self.envoyes == 0 {
            0.0
        } else {
            100.0 * (self.confirmes + self.corriges) as f64 / self.envoyes as f64
        }
    }
}

/// A campaign's dashboard: the total first, then one line per commune.
#[derive(Debug, Clone)]
pub struct TableauCampagne {
    pub campagne: CampagneLieuxRow,
    pub total: LigneTableau,
    pub communes: Vec<LigneTableau>,
}

fn hash_jeton(jeton: &str) -> String {
    hex::encode(Sha256::digest(jeton.as_bytes()))
}

fn interne(e: impl std::fmt::Display) -> ErreurComptes {
    ErreurComptes::Interne(e.to_string())
}

/// The use cases of corrections and of the places' own updates.
#[derive(Clone)]
pub struct MisesAJour {
    annuaire: Annuaire,
    store: Arc<dyn CorrectionsStore>,
    comptes: Comptes,
    duree_lien: Duration,
}

impl MisesAJour {
    pub fn new(annuaire: Annuaire, store: Arc<dyn CorrectionsStore>, comptes: Comptes) -> Self {
        Self {
            annuaire,
            store,
            comptes,
            duree_lien: Duration::days(DUREE_LIEN_DEFAUT_JOURS),
        }
    }

    /// Another validity for the links made from now on.
    pub fn avec_duree_lien(mut self, duree: Duration) -> Self {
        self.duree_lien = duree;
        self
    }

    /// The same use cases asking other accounts (another clock).
    pub fn avec_comptes(mut self, comptes: Comptes) -> Self {
        self.comptes = comptes;
        self
    }

    pub fn duree_lien(&self) -> Duration {
        self.duree_lien
    }

    fn maintenant(&self) -> DateTime<Utc> {
        self.comptes.maintenant()
    }

    /// The place (published or retired) an account may change, else `Introuvable` (a
    /// place of another territory is not revealed).
    pub async fn fiche(&self, acteur: &Acteur, id: &str) -> Result<FicheModifiable, ErreurComptes> {
        if !matches!(acteur.role, Role::Administrateur | Role::Coordinateur) {
            return Err(ErreurComptes::Interdit);
        }
        let lieu = self.annuaire.lieu_publie(id).await.map_err(interne)?;
        let id = lieu
            .as_ref()
            .map(|f| f.id.clone())
            .unwrap_or_else(|| id.to_string());
        let historique = self.store.corrections_du_lieu(&id).await.map_err(interne)?;
        let code_insee = match &lieu {
            Some(f) => f.lieu.code_insee.as_ref().map(|c| c.to_string()),
            None => historique.iter().rev().find_map(|c| c.code_insee.clone()),
        };
        if lieu.is_none() && historique.is_empty() {
            return Err(ErreurComptes::Introuvable);
        }
        if !peut_modifier(acteur, code_insee.as_deref()) {
            return Err(ErreurComptes::Introuvable);
        }
        let retire = lieu.is_none()
            && historique
                .iter()
                .any(|c| c.champ == CHAMP_RETRAIT && c.annulee_at.is_none());
        if lieu.is_none() && !retire {
            return Err(ErreurComptes::Introuvable);
        }
        let liens = self.store.liens_du_lieu(&id).await.map_err(interne)?;
        Ok(FicheModifiable {
            id,
            lieu,
            code_insee,
            historique,
            retire,
            liens,
        })
    }

    /// A coordinator's edit: the fields whose text changed become `coordination`
    /// corrections, checked by the importer (nothing written if one is refused), then the
    /// directory is merged again. The number of fields changed.
    pub async fn modifier(
        &self,
        acteur: &Acteur,
        id: &str,
        valeurs: &[(String, String)],
    ) -> Result<Result<usize, Vec<ErreurChamp>>, ErreurComptes> {
        let fiche = self.fiche(acteur, id).await?;
        let Some(f) = &fiche.lieu else {
            return Err(ErreurComptes::invalide(
                "lieu",
                "ce lieu est retiré de l'annuaire : annulez le retrait avant de le modifier",
            ));
        };
        let changes: Vec<(String, String)> = valeurs
            .iter()
            .filter(|(c, _)| CHAMPS_COORDINATION.iter().any(|(k, _)| k == c))
            .filter(|(c, v)| !meme_valeur(v, &valeur_du_champ(&f.lieu, c)))
            .cloned()
            .collect();
        if changes.is_empty() {
            return Ok(Ok(0));
        }
        let ecrites: Vec<(String, String)> =
            match verifier(&f.lieu, &changes, self.annuaire.referentiel()) {
                // A value written otherwise but read the same (« 05 61… » for « +33561… »)
                // is no change.
                Ok((_, ecrites)) => ecrites
                    .into_iter()
                    .filter(|(c, v)| !meme_valeur(v, &valeur_du_champ(&f.lieu, c)))
                    .collect(),
                Err(e) => return Ok(Err(e)),
            };
        if ecrites.is_empty() {
            return Ok(Ok(0));
        }
        let at = self.maintenant();
        let corrections = ecrites
            .into_iter()
            .map(|(champ, valeur)| NewCorrection {
                lieu_id: fiche.id.clone(),
                champ,
                valeur,
                origine: ORIGINE_COORDINATION.into(),
                auteur_id: Some(acteur.id().get()),
                auteur: acteur.compte.nom.clone(),
                code_insee: fiche.code_insee.clone(),
                created_at: at,
            })
            .collect::<Vec<_>>();
        let n = corrections.len();
        self.store
            .add_corrections(corrections)
            .await
            .map_err(interne)?;
        tracing::info!(place = %fiche.id, fields = n, account = %acteur.id(), "place edited");
        self.annuaire.refusionner().await.map_err(interne)?;
        Ok(Ok(n))
    }

    /// Retires a place from the public directory (a correction: undoing it publishes the
    /// place again).
    pub async fn retirer(&self, acteur: &Acteur, id: &str) -> Result<(), ErreurComptes> {
        let fiche = self.fiche(acteur, id).await?;
        if fiche.retire {
            return Ok(());
        }
        self.store
            .add_corrections(vec![NewCorrection {
                lieu_id: fiche.id.clone(),
                champ: CHAMP_RETRAIT.into(),
                valeur: "retiré".into(),
                origine: ORIGINE_COORDINATION.into(),
                auteur_id: Some(acteur.id().get()),
                auteur: acteur.compte.nom.clone(),
                code_insee: fiche.code_insee.clone(),
                created_at: self.maintenant(),
            }])
            .await
            .map_err(interne)?;
        tracing::info!(place = %fiche.id, account = %acteur.id(), "place retired");
        self.annuaire.refusionner().await.map_err(interne)?;
        Ok(())
    }

    /// Undoes correction `correction_id` of place `id` (the history keeps it).
    pub async fn annuler(
        &self,
        acteur: &Acteur,
        id: &str,
        correction_id: i64,
    ) -> Result<(), ErreurComptes> {
        let fiche = self.fiche(acteur, id).await?;
        if !fiche.historique.iter().any(|c| c.id == correction_id) {
            return Err(ErreurComptes::Introuvable);
        }
        let fait = self
            .store
            .annuler_correction(correction_id, &acteur.compte.nom, self.maintenant())
            .await
            .map_err(interne)?;
        if !fait {
            return Err(ErreurComptes::invalide(
                "correction",
                "cette modification est déjà annulée",
            ));
        }
        tracing::info!(place = %fiche.id, correction = correction_id, "correction undone");
        self.annuaire.refusionner().await.map_err(interne)?;
        Ok(())
    }

    /// Makes the links of `lieux` (in one transaction), queues an e-mail for each place
    /// with an address, and returns them all (those without an address are to be printed).
    async fn creer_liens(
        &self,
        lieux: &[LieuFusionne],
        campagne_id: Option<i64>,
        adresse_publique: &str,
    ) -> Result<Vec<LienCree>, ErreurComptes> {
        let at = self.maintenant();
        let expire_at = at + self.duree_lien;
        let mut crees = Vec::with_capacity(lieux.len());
        let mut nouveaux = Vec::with_capacity(lieux.len());
        for f in lieux {
            let jeton = maillage_comptes::securite::jeton_aleatoire();
            let courriel = f.lieu.courriels.first().cloned();
            nouveaux.push(NewLienLieu {
                lieu_id: f.id.clone(),
                lieu_nom: f.lieu.nom.clone(),
                code_insee: f.lieu.code_insee.as_ref().map(|c| c.to_string()),
                campagne_id,
                jeton_hash: hash_jeton(&jeton),
                courriel: courriel.clone(),
                created_at: at,
                expire_at,
            });
            crees.push(LienCree {
                lieu_id: f.id.clone(),
                lieu_nom: f.lieu.nom.clone(),
                adresse: format!(
                    "{}, {} {}",
                    f.lieu.adresse, f.lieu.code_postal, f.lieu.commune
                ),
                url: format!(
                    "{}/mise-a-jour?jeton={jeton}",
                    adresse_publique.trim_end_matches('/')
                ),
                jeton,
                expire_at,
                courriel,
            });
        }
        self.store
            .add_liens_lieux(nouveaux)
            .await
            .map_err(interne)?;
        let echeance = expire_at
            .with_timezone(&chrono_tz::Europe::Paris)
            .format("%d/%m/%Y");
        for l in &crees {
            if let Some(dest) = &l.courriel {
                self.comptes
                    .mettre_en_file(NewCourriel {
                        destinataire: dest.clone(),
                        sujet: format!("Vos informations dans l'annuaire : {}", l.lieu_nom),
                        corps: format!(
                            "Bonjour,\n\nVotre lieu « {} » figure dans l'annuaire des lieux de médiation numérique.\nVérifiez vos horaires, vos contacts, vos services et l'accessibilité, et corrigez-les si besoin, en ouvrant ce lien personnel (sans compte, jusqu'au {echeance}, une seule fois) :\n\n{}\n\nSi tout est juste, un clic sur « Tout est juste » suffit.\n\nMerci,\nLa coordination de votre territoire",
                            l.lieu_nom, l.url
                        ),
                    })
                    .await?;
            }
        }
        Ok(crees)
    }

    /// Sends one place its personal link (e-mail when it has an address, else a letter to
    /// print).
    pub async fn envoyer_lien(
        &self,
        acteur: &Acteur,
        id: &str,
        adresse_publique: &str,
    ) -> Result<LienCree, ErreurComptes> {
        let fiche = self.fiche(acteur, id).await?;
        let Some(f) = fiche.lieu else {
            return Err(ErreurComptes::invalide(
                "lieu",
                "ce lieu est retiré de l'annuaire",
            ));
        };
        let mut liens = self.creer_liens(&[f], None, adresse_publique).await?;
        tracing::info!(place = %fiche.id, "personal link made");
        liens.pop().ok_or(ErreurComptes::Introuvable)
    }

    /// A campaign: every published place of `territoire` (a code the coordinator steers:
    /// `dep:31`, `commune:31555`…) gets its personal link.
    pub async fn lancer_campagne(
        &self,
        acteur: &Acteur,
        nom: &str,
        territoire: &str,
        adresse_publique: &str,
    ) -> Result<(i64, Vec<LienCree>), ErreurComptes> {
        if !matches!(acteur.role, Role::Administrateur | Role::Coordinateur) {
            return Err(ErreurComptes::Interdit);
        }
        let nom = nom.trim();
        if nom.is_empty() {
            return Err(ErreurComptes::invalide(
                "nom",
                "donnez un nom à la campagne (par exemple « Printemps 2027 »)",
            ));
        }
        let t: Territoire = self
            .annuaire
            .referentiel()
            .territoire(territoire.trim())
            .map_err(|e| ErreurComptes::invalide("territoire", e.to_string()))?;
        if !acteur_voit(acteur, &t) {
            return Err(ErreurComptes::invalide(
                "territoire",
                "ce territoire n'est pas l'un des vôtres",
            ));
        }
        let lieux = self
            .annuaire
            .lieux_publies(Some(&t))
            .await
            .map_err(interne)?;
        if lieux.is_empty() {
            return Err(ErreurComptes::invalide(
                "territoire",
                "aucun lieu publié dans ce territoire",
            ));
        }
        let id = self
            .store
            .add_campagne_lieux(NewCampagneLieux {
                nom: nom.to_string(),
                territoire: maillage_comptes::acces::code_territoire(&t),
                compte_id: Some(acteur.id().get()),
                cree_par: acteur.compte.nom.clone(),
                created_at: self.maintenant(),
            })
            .await
            .map_err(interne)?;
        let liens = self.creer_liens(&lieux, Some(id), adresse_publique).await?;
        tracing::info!(campaign = id, links = liens.len(), "campaign sent");
        Ok((id, liens))
    }

    /// The campaigns an account may see: every one for an administrator, those of its
    /// territories for a coordinator.
    pub async fn campagnes(&self, acteur: &Acteur) -> Result<Vec<CampagneLieuxRow>, ErreurComptes> {
        if !matches!(acteur.role, Role::Administrateur | Role::Coordinateur) {
            return Err(ErreurComptes::Interdit);
        }
        let referentiel = self.annuaire.referentiel();
        Ok(self
            .store
            .campagnes_lieux()
            .await
            .map_err(interne)?
            .into_iter()
            .filter(|c| {
                referentiel
                    .territoire(&c.territoire)
                    .is_ok_and(|t| acteur_voit(acteur, &t))
            })
            .collect())
    }

    /// A campaign's dashboard: sent, opened, confirmed, corrected, by commune.
    pub async fn tableau(
        &self,
        acteur: &Acteur,
        id: i64,
    ) -> Result<TableauCampagne, ErreurComptes> {
        let campagne = self
            .campagnes(acteur)
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or(ErreurComptes::Introuvable)?;
        let referentiel = self.annuaire.referentiel();
        let mut par_commune: BTreeMap<String, LigneTableau> = BTreeMap::new();
        let mut total = LigneTableau {
            commune: "Total".into(),
            ..LigneTableau::default()
        };
        for l in self.store.liens_de_campagne(id).await.map_err(interne)? {
            let commune = l
                .code_insee
                .as_deref()
                .map(|c| {
                    referentiel
                        .commune_or_parent(c)
                        .map(|x| x.nom.clone())
                        .unwrap_or_else(|| c.to_string())
                })
                .unwrap_or_else(|| "commune inconnue".into());
            let ligne = par_commune.entry(commune.clone()).or_insert(LigneTableau {
                commune,
                ..LigneTableau::default()
            });
            for x in [&mut *ligne, &mut total] {
                x.envoyes += 1;
                x.ouverts += usize::from(l.ouvert_at.is_some());
                x.confirmes += usize::from(l.reponse.as_deref() == Some(REPONSE_CONFIRME));
                x.corriges += usize::from(l.reponse.as_deref() == Some(REPONSE_CORRIGE));
            }
        }
        Ok(TableauCampagne {
            campagne,
            total,
            communes: par_commune.into_values().collect(),
        })
    }

    async fn lien_valable(&self, jeton: &str) -> Result<(LienLieuRow, LieuFusionne), RefusLien> {
        let jeton = jeton.trim();
        if jeton.is_empty() || jeton.len() > 200 {
            return Err(RefusLien::Inconnu);
        }
        let lien = self
            .store
            .lien_lieu_par_hash(&hash_jeton(jeton))
            .await
            .map_err(|e| {
                tracing::error!("reading a personal link failed: {e}");
                RefusLien::Inconnu
            })?
            .ok_or(RefusLien::Inconnu)?;
        if lien.repondu_at.is_some() {
            return Err(RefusLien::DejaUtilise);
        }
        if lien.expire_at < self.maintenant() {
            return Err(RefusLien::Expire);
        }
        let lieu = self
            .annuaire
            .lieu_publie(&id_courant(&lien.lieu_id))
            .await
            .ok()
            .flatten()
            .ok_or(RefusLien::LieuAbsent)?;
        Ok((lien, lieu))
    }

    /// Opens a personal link (no account): the place, if the link is valid. The first
    /// opening is noted for the campaign's dashboard.
    pub async fn ouvrir_lien(&self, jeton: &str) -> Result<LieuFusionne, RefusLien> {
        let (lien, lieu) = self.lien_valable(jeton).await?;
        if let Err(e) = self
            .store
            .ouvrir_lien_lieu(lien.id, self.maintenant())
            .await
        {
            tracing::warn!("noting a link's opening failed: {e}");
        }
        Ok(lieu)
    }

    /// A place's answer through its link: a confirmation (the date is recorded) or
    /// corrections of [`CHAMPS_DU_LIEU`], checked by the importer; written with the link's
    /// answer in one transaction, then the directory is merged again.
    pub async fn repondre(
        &self,
        jeton: &str,
        reponse: ReponseLieu,
    ) -> Result<Result<String, Vec<ErreurChamp>>, RefusLien> {
        let (lien, f) = self.lien_valable(jeton).await?;
        let at = self.maintenant();
        let code_insee = f.lieu.code_insee.as_ref().map(|c| c.to_string());
        let correction = |champ: String, valeur: String| NewCorrection {
            lieu_id: f.id.clone(),
            champ,
            valeur,
            origine: ORIGINE_LIEU.into(),
            auteur_id: None,
            auteur: f.lieu.nom.clone(),
            code_insee: code_insee.clone(),
            created_at: at,
        };
        let mut corrections = Vec::new();
        let code = match reponse {
            ReponseLieu::Confirme => REPONSE_CONFIRME,
            ReponseLieu::Corrige(valeurs) => {
                let changes: Vec<(String, String)> = valeurs
                    .into_iter()
                    .filter(|(c, _)| CHAMPS_DU_LIEU.contains(&c.as_str()))
                    .filter(|(c, v)| !meme_valeur(v, &valeur_du_champ(&f.lieu, c)))
                    .collect();
                if changes.is_empty() {
                    REPONSE_CONFIRME
                } else {
                    match verifier(&f.lieu, &changes, self.annuaire.referentiel()) {
                        Ok((_, ecrites)) => {
                            corrections.extend(
                                ecrites
                                    .into_iter()
                                    .filter(|(c, v)| !meme_valeur(v, &valeur_du_champ(&f.lieu, c)))
                                    .map(|(c, v)| correction(c, v)),
                            );
                            if corrections.is_empty() {
                                REPONSE_CONFIRME
                            } else {
                                REPONSE_CORRIGE
                            }
                        }
                        Err(e) => return Ok(Err(e)),
                    }
                }
            }
        };
        let jour = at.with_timezone(&chrono_tz::Europe::Paris).date_naive();
        corrections.push(correction("date_maj".into(), jour.to_string()));
        let fait = self
            .store
            .repondre_lien_lieu(lien.id, code, at, corrections)
            .await
            .map_err(|e| {
                tracing::error!("recording a place's answer failed: {e}");
                RefusLien::Inconnu
            })?;
        if !fait {
            return Err(RefusLien::DejaUtilise);
        }
        tracing::info!(place = %f.id, answer = code, "place answered its link");
        if let Err(e) = self.annuaire.refusionner().await {
            tracing::error!("re-merge after a place's answer failed: {e}");
        }
        Ok(Ok(f.id))
    }
}

/// May see (and address a campaign to) territory `t`.
fn acteur_voit(acteur: &Acteur, t: &Territoire) -> bool {
    match acteur.role {
        Role::Administrateur => true,
        Role::Coordinateur => acteur.peut_voir_territoire(t),
        Role::Mediateur => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lieu() -> Lieu {
        let csv = "id,pivot,nom,commune,code_postal,code_insee,adresse,complement_adresse,latitude,longitude,typologie,telephone,courriels,site_web,horaires,presentation_resume,presentation_detail,source,itinerance,structure_parente,date_maj,services,publics_specifiquement_adresses,prise_en_charge_specifique,frais_a_charge,dispositif_programmes_nationaux,formations_labels,autres_formations_labels,modalites_acces,modalites_accompagnement,fiche_acces_libre,prise_rdv\n\
                   a1,,Médiathèque,Toulouse,31000,31555,1 rue du Taur,,43.6045,1.4440,,05 61 00 00 00,,,Mo-Fr 09:00-12:00,,,,,,2024-01-10,,,,,,,,,,,\n";
        let l = import::lire(
            "t",
            Format::V1Csv,
            csv.as_bytes(),
            &OptionsImport::default(),
            Referentiel::embedded(),
        )
        .expect("read");
        l.lieux.into_iter().next().expect("one place").lieu
    }

    fn row(id: i64, champ: &str, valeur: &str, origine: &str, secondes: i64) -> CorrectionRow {
        CorrectionRow {
            id,
            lieu_id: "lieu-x".into(),
            champ: champ.into(),
            valeur: valeur.into(),
            origine: origine.into(),
            auteur_id: None,
            auteur: "Camille".into(),
            code_insee: Some("31555".into()),
            created_at: DateTime::from_timestamp(1_790_000_000 + secondes, 0).expect("t"),
            annulee_at: None,
            annulee_par: None,
        }
    }

    #[test]
    fn the_importer_checks_each_field() {
        let l = lieu();
        let err = verifier(
            &l,
            &[
                ("telephone".into(), "pas un numéro".into()),
                ("horaires".into(), "quand ça nous chante".into()),
                ("nom".into(), "Médiathèque José Cabanis".into()),
            ],
            Referentiel::embedded(),
        )
        .expect_err("refused");
        let champs: Vec<&str> = err.iter().map(|e| e.champ.as_str()).collect();
        assert!(champs.contains(&"telephone"), "{err:?}");
        assert!(champs.contains(&"horaires"), "{err:?}");
        assert!(!champs.contains(&"nom"), "{err:?}");
        let (nouveau, ecrites) = verifier(
            &l,
            &[
                ("telephone".into(), "0561000001".into()),
                ("horaires".into(), "Mo-Sa 10:00-18:00".into()),
            ],
            Referentiel::embedded(),
        )
        .expect("accepted");
        assert_eq!(nouveau.nom, "Médiathèque");
        assert!(nouveau.horaires.as_ref().is_some_and(|h| h.valide));
        assert_eq!(ecrites[1].1, "Mo-Sa 10:00-18:00");
        assert_ne!(
            nouveau.telephone, l.telephone,
            "the new number replaces the old one"
        );
    }

    #[test]
    fn the_most_recent_correction_wins_and_retire_unpublishes() {
        let mut f = LieuFusionne {
            id: "lieu-x".into(),
            lieu: lieu(),
            membres: vec!["t#a1".into()],
            provenance: BTreeMap::new(),
        };
        let cs = vec![
            row(1, "nom", "Nom de la coordination", ORIGINE_COORDINATION, 10),
            row(2, "nom", "Nom donné par le lieu", ORIGINE_LIEU, 20),
            row(3, "horaires", "Mo 10:00-12:00", ORIGINE_COORDINATION, 5),
            row(4, "date_maj", "2026-12-06", ORIGINE_LIEU, 20),
        ];
        assert!(appliquer(&mut f, &cs, Referentiel::embedded()));
        assert_eq!(f.lieu.nom, "Nom donné par le lieu");
        assert_eq!(
            f.lieu.date_maj,
            NaiveDate::from_ymd_opt(2026, 12, 6).expect("date")
        );
        let p = Provenance::lire(f.provenance_de("nom").expect("kept")).expect("a correction");
        assert_eq!(p.origine, ORIGINE_LIEU);
        assert!(
            p.phrase().starts_with("mis à jour par le lieu le "),
            "{}",
            p.phrase()
        );
        let h = Provenance::lire(f.provenance_de("horaires").expect("kept")).expect("c");
        assert!(h.phrase().starts_with("modifié par la coordination le "));
        assert_eq!(provenances(&f).len(), 3);
        assert!(derniere_maj_par_le_lieu(&f).is_some());

        let mut undone = cs.clone();
        undone[1].annulee_at = Some(Utc::now());
        let mut g = LieuFusionne {
            id: "lieu-x".into(),
            lieu: lieu(),
            membres: vec!["t#a1".into()],
            provenance: BTreeMap::new(),
        };
        assert!(appliquer(&mut g, &undone, Referentiel::embedded()));
        assert_eq!(g.lieu.nom, "Nom de la coordination");

        let mut r = g.clone();
        assert!(!appliquer(
            &mut r,
            &[row(9, CHAMP_RETRAIT, "retiré", ORIGINE_COORDINATION, 1)],
            Referentiel::embedded()
        ));
    }

    #[test]
    fn provenance_round_trip() {
        let c = row(1, "nom", "x", ORIGINE_COORDINATION, 0);
        let p = Provenance::lire(&Provenance::de(&c)).expect("read");
        assert_eq!(p.auteur, "Camille");
        assert_eq!(p.at, c.created_at);
        assert!(Provenance::lire("france-services#12").is_none());
    }
}

//! The directory's back office: what the people who keep a territory's directory do in the
//! browser (`/espace/lieux…`). Every use case takes the signed-in [`Acteur`] and decides here
//! (over the kernel's rules [`Acteur::peut_gerer_annuaire`] and [`Acteur::peut_gerer_lieu`])
//! who may do what; the pages only show the result.
//!
//! | what | coordinator | administrator |
//! |---|---|---|
//! | upload a file, preview it, apply it, read its report | into a source whose places are all in their territories; rows outside are rejected and reported, never imported | anything |
//! | an uploaded file and its report | those uploaded for their territories | any |
//! | duplicate candidates, decide, undo, history | pairs whose two records are in their territories | any |
//! | freshness (places not updated for 12 months) | places of their territories | all |
//!
//! An upload is kept in the database (`imports_en_attente`), keyed by a random token, until
//! « Appliquer »: nothing is written to the directory before. The preview and the
//! application read the same file with the same rules; the application is the import of
//! the command line (one transaction, the same retire threshold), then the re-merge.
//! Someone else's upload answers « introuvable ».

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use maillage_comptes::{Acteur, ErreurComptes};
use maillage_domain::mediation::Role;
use maillage_store::{ImportEnAttenteRow, NewImportEnAttente, PairDecisionEvent, SourceRecord};
use maillage_territoire::Territoire;
use serde::Serialize;

use crate::annuaire::{Annuaire, AppError, BilanFusion, PaireExpliquee, RegleRetrait};
use crate::doublons::{self, Decision, OptionsDoublons};
use crate::import::{self, Format, FormatDemande, Gravite, OptionsImport, Rapport, Remarque};
use crate::lieux::LieuSource;
use crate::tableur::{Tableau, Valeur};

type Resultat<T> = Result<T, ErreurComptes>;

/// Rows of the file shown in the preview.
pub const LIGNES_APERCU: usize = 10;
/// Examples of each kind of change shown in the preview.
pub const EXEMPLES_APERCU: usize = 10;
/// Candidate pairs shown in the review queue.
pub const PAIRES_FILE: usize = 50;
/// A candidate pair enters the review queue from this score (the merge threshold is
/// [`OptionsDoublons::seuil`]): pairs below are far from being the same place.
pub const SCORE_REVUE_MIN: f64 = 0.0;
/// Entries of the decisions' history shown.
pub const HISTORIQUE_MAX: i64 = 200;
/// Months without an update after which a place is listed as stale.
pub const MOIS_FRAICHEUR: u32 = 12;
/// Longest note on a decision, in characters.
pub const NOTE_MAX: usize = 1_000;
/// Uploads never applied are forgotten after this many days.
pub const JOURS_CONSERVATION: i64 = 7;

fn interne(e: impl std::fmt::Display) -> ErreurComptes {
    ErreurComptes::Interne(e.to_string())
}

/// A use case's error said for the person: what they can fix is `Invalide`.
fn erreur_annuaire(e: AppError) -> ErreurComptes {
    match e {
        AppError::Import(e) => ErreurComptes::invalide("fichier", e.to_string()),
        AppError::ImportArrete(m) => ErreurComptes::invalide("import", m),
        AppError::Invalide(m) => ErreurComptes::invalide("import", m),
        AppError::Introuvable(_) => ErreurComptes::Introuvable,
        e => interne(e),
    }
}

/// What an account may keep: every place, or the places of some territories.
#[derive(Debug, Clone)]
pub struct Perimetre {
    tout: bool,
    territoires: Vec<Territoire>,
}

impl Perimetre {
    /// The account's perimeter; `Interdit` for an account without the back office.
    pub fn de(acteur: &Acteur) -> Resultat<Perimetre> {
        if !acteur.peut_gerer_annuaire() {
            return Err(ErreurComptes::Interdit);
        }
        Ok(Perimetre {
            tout: acteur.role == Role::Administrateur,
            territoires: acteur.territoires.clone(),
        })
    }

    /// Everything (an administrator, and the benchmarks).
    pub fn tout() -> Perimetre {
        Perimetre {
            tout: true,
            territoires: Vec::new(),
        }
    }

    /// `true` for an administrator.
    pub fn est_tout(&self) -> bool {
        self.tout
    }

    /// A place of commune `code_insee` is in the perimeter (an unknown commune is only in
    /// an administrator's).
    pub fn contient(&self, code_insee: Option<&str>) -> bool {
        self.tout || code_insee.is_some_and(|c| self.territoires.iter().any(|t| t.contient(c)))
    }

    /// For people: « tous les territoires », or the names.
    pub fn libelle(&self) -> String {
        if self.tout {
            "tous les territoires".into()
        } else if self.territoires.is_empty() {
            "aucun territoire (un administrateur doit vous en confier un)".into()
        } else {
            self.territoires
                .iter()
                .map(|t| t.nom().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }
    }

    fn codes(&self) -> String {
        if self.tout {
            String::new()
        } else {
            self.territoires
                .iter()
                .map(maillage_comptes::acces::code_territoire)
                .collect::<Vec<_>>()
                .join(",")
        }
    }
}

/// Whether `acteur` may open the upload `row`: an administrator any; its uploader; a
/// coordinator who sees every territory it was uploaded for.
fn peut_ouvrir(acteur: &Acteur, row: &ImportEnAttenteRow) -> bool {
    if !acteur.peut_gerer_annuaire() {
        return false;
    }
    if acteur.role == Role::Administrateur || row.compte_id == acteur.id().get() {
        return true;
    }
    let referentiel = maillage_territoire::Referentiel::embedded();
    let codes: Vec<&str> = row
        .territoires
        .split(',')
        .filter(|c| !c.is_empty())
        .collect();
    !codes.is_empty()
        && codes.iter().all(|c| {
            referentiel
                .territoire(c)
                .is_ok_and(|t| acteur.peut_voir_territoire(&t))
        })
}

/// A file to upload from the page.
pub struct Depot {
    pub source: String,
    /// `auto` or a format's name.
    pub format: String,
    pub nom_fichier: String,
    pub contenu: Vec<u8>,
    /// Retire every record of the source missing from the file, whatever their number.
    pub retirer_absents: bool,
    /// The column mapping to read a CSV in its own columns (the TOML file of `maillage
    /// import --mapping`), if one was chosen.
    pub correspondance: Option<Vec<u8>>,
}

/// Keeps an uploaded file until « Appliquer » and returns its token. Nothing is read into
/// the directory. The source name and the format are checked now.
pub async fn deposer(annuaire: &Annuaire, acteur: &Acteur, depot: Depot) -> Resultat<String> {
    let perimetre = Perimetre::de(acteur)?;
    let source = depot.source.trim().to_string();
    if source.is_empty() || source.contains('#') || source.chars().count() > 100 {
        return Err(ErreurComptes::invalide(
            "source",
            "donnez un nom de source (100 caractères au plus, sans #), par exemple « toulouse-metropole »",
        ));
    }
    let format: FormatDemande = depot
        .format
        .parse()
        .map_err(|e: import::ImportError| ErreurComptes::invalide("format", e.to_string()))?;
    if depot.contenu.is_empty() {
        return Err(ErreurComptes::invalide("fichier", "choisissez un fichier"));
    }
    // Read through the mapping, the file needs no format (the stored one is then unused).
    let correspondance = match depot.correspondance.filter(|c| !c.is_empty()) {
        None => None,
        Some(octets) => {
            let texte = String::from_utf8(octets).map_err(|_| {
                ErreurComptes::invalide(
                    "correspondance",
                    "le fichier de correspondance n’est pas un texte UTF-8",
                )
            })?;
            lire_correspondance(&texte)?;
            Some(texte)
        }
    };
    let jeton = maillage_comptes::securite::jeton_aleatoire();
    let store = annuaire.store();
    // Forget old uploads never applied.
    let _ = store
        .purger_imports_en_attente(Utc::now() - chrono::Duration::days(JOURS_CONSERVATION))
        .await;
    store
        .add_import_en_attente(NewImportEnAttente {
            jeton: jeton.clone(),
            compte_id: acteur.id().get(),
            territoires: perimetre.codes(),
            source,
            format: match format {
                FormatDemande::Auto => None,
                FormatDemande::Format(f) => Some(f.nom().to_string()),
            },
            nom_fichier: depot.nom_fichier.chars().take(200).collect(),
            contenu: depot.contenu,
            retirer_absents: depot.retirer_absents,
            correspondance,
        })
        .await
        .map_err(interne)?;
    tracing::info!(account = %acteur.id(), "import file uploaded for preview");
    Ok(jeton)
}

/// A row of the file, as the preview shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LigneApercu {
    pub id: String,
    pub nom: String,
    pub adresse: String,
    pub commune: String,
    pub date_maj: NaiveDate,
}

impl LigneApercu {
    fn de(l: &LieuSource) -> LigneApercu {
        LigneApercu {
            id: l.lieu.id.clone(),
            nom: l.lieu.nom.clone(),
            adresse: l.lieu.adresse.clone(),
            commune: l.lieu.commune.clone(),
            date_maj: l.lieu.date_maj,
        }
    }
}

/// What applying a file would do, computed without writing anything.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Apercu {
    pub source: String,
    pub format: Format,
    /// The reading's report (with the rows outside the perimeter rejected).
    pub rapport: Rapport,
    /// The first accepted rows.
    pub premieres_lignes: Vec<LigneApercu>,
    /// Records new to the source (or put back after being retired).
    pub ajoutes: usize,
    pub modifies: usize,
    pub inchanges: usize,
    /// Active records of the source missing from the file.
    pub retires: usize,
    /// Active records of the source now.
    pub actifs: usize,
    pub exemples_ajoutes: Vec<LigneApercu>,
    pub exemples_modifies: Vec<LigneApercu>,
    /// `(id, nom)` of records that would be retired.
    pub exemples_retires: Vec<(String, String)>,
    /// Why « Appliquer » would stop and write nothing (threshold, no accepted row), said
    /// as the import would say it.
    pub arret: Option<String>,
}

/// An uploaded file and how to read it.
pub struct Fichier<'a> {
    /// `None`: detected.
    pub format: Option<Format>,
    /// The column mapping (TOML text): the file is read with it, whatever `format`.
    pub correspondance: Option<&'a str>,
    pub nom_fichier: &'a str,
    pub contenu: &'a [u8],
}

fn lire_correspondance(texte: &str) -> Resultat<import::Correspondance> {
    import::Correspondance::depuis_toml(texte).map_err(|e| {
        ErreurComptes::invalide("correspondance", format!("fichier de correspondance : {e}"))
    })
}

/// The file's reading with the perimeter's rule: accepted rows outside it become
/// rejections of the report (field `code_insee`). Read through a column mapping, a file
/// with rejected rows (a value without correspondence, an unreadable date…) is never
/// imported in part, as with `maillage import --mapping`: the second value says why
/// « Appliquer » stops, row by row and field by field.
fn lire_dans(
    annuaire: &Annuaire,
    source: &str,
    fichier: &Fichier<'_>,
    perimetre: &Perimetre,
) -> Result<(import::Lecture, Option<String>), ErreurComptes> {
    let options = OptionsImport {
        date_maj_par_defaut: import::date_dans_nom(fichier.nom_fichier),
    };
    let contenu = fichier.contenu;
    let mut arret = None;
    let mut lecture = match fichier.correspondance {
        Some(texte) => {
            let correspondance = lire_correspondance(texte)?;
            let lecture = import::lire_avec_correspondance(
                source,
                &correspondance,
                contenu,
                &options,
                annuaire.referentiel(),
            )
            .map_err(|e| ErreurComptes::invalide("fichier", e.to_string()))?;
            if lecture.rapport.rejetes > 0 {
                arret = Some(crate::annuaire::lignes_rejetees(source, &lecture.rapport));
            }
            lecture
        }
        None => {
            let format = match fichier.format {
                Some(f) => f,
                None => import::detecter(contenu)
                    .map_err(|e| ErreurComptes::invalide("fichier", e.to_string()))?,
            };
            import::lire(source, format, contenu, &options, annuaire.referentiel())
                .map_err(|e| ErreurComptes::invalide("fichier", e.to_string()))?
        }
    };
    if !perimetre.tout {
        let lieux = std::mem::take(&mut lecture.lieux);
        let mut hors = Vec::new();
        for l in lieux {
            let code = l.lieu.code_insee.as_ref().map(|c| c.to_string());
            if perimetre.contient(code.as_deref()) {
                lecture.lieux.push(l);
            } else {
                hors.push((l, code));
            }
        }
        if !hors.is_empty() {
            // The records keep no line number once read: the rejection names the record
            // by its id, in file order among the accepted ones.
            for (l, code) in &hors {
                lecture.rapport.noter(Remarque {
                    enregistrement: 0,
                    id: Some(l.lieu.id.clone()),
                    champ: "code_insee".into(),
                    gravite: Gravite::Rejet,
                    message: format!(
                        "hors de vos territoires ({}, commune {}) : non importé",
                        perimetre.libelle(),
                        code.as_deref().unwrap_or("inconnue")
                    ),
                });
            }
            lecture.rapport.acceptes -= hors.len();
            lecture.rapport.rejetes += hors.len();
        }
    }
    Ok((lecture, arret))
}

/// A coordinator may import only into a source whose active places are all in their
/// territories (or a new source): an import retires the source's places missing from the
/// file, and those of another territory are not theirs to retire.
fn verifier_source_dans(
    source: &str,
    existants: &[SourceRecord],
    perimetre: &Perimetre,
) -> Resultat<()> {
    if perimetre.tout {
        return Ok(());
    }
    let dehors = existants
        .iter()
        .filter(|r| !perimetre.contient(r.code_insee.as_deref()))
        .count();
    if dehors > 0 {
        return Err(ErreurComptes::invalide(
            "source",
            format!(
                "la source « {source} » a {dehors} lieu(x) hors de vos territoires : un import \
                 pourrait les retirer. Choisissez un autre nom de source (par exemple celui de \
                 votre territoire), ou demandez cet import à un administrateur."
            ),
        ));
    }
    Ok(())
}

/// The active records of one source, read by pages of the keyset order.
async fn actifs_de(annuaire: &Annuaire, source: &str) -> Resultat<Vec<SourceRecord>> {
    let mut out = Vec::new();
    let mut apres = (source.to_string(), String::new());
    loop {
        let page = annuaire
            .store()
            .active_source_records_page(Some((&apres.0, &apres.1)), 4_096)
            .await
            .map_err(interne)?;
        let fin = page.len() < 4_096;
        for r in page {
            if r.source != source {
                return Ok(out);
            }
            apres = (r.source.clone(), r.source_id.clone());
            out.push(r);
        }
        if fin {
            return Ok(out);
        }
    }
}

fn nom_de(r: &SourceRecord) -> String {
    serde_json::from_str::<serde_json::Value>(&r.data)
        .ok()
        .and_then(|v| v.get("nom").and_then(|n| n.as_str()).map(str::to_string))
        .unwrap_or_default()
}

/// What applying this file would change, computed from the file and the source's active
/// records, writing nothing. Public for the benchmark; pages go through [`apercu`].
pub async fn calculer_apercu(
    annuaire: &Annuaire,
    perimetre: &Perimetre,
    source: &str,
    format: Option<Format>,
    nom_fichier: &str,
    contenu: &[u8],
    regle: RegleRetrait,
) -> Resultat<Apercu> {
    let fichier = Fichier {
        format,
        correspondance: None,
        nom_fichier,
        contenu,
    };
    calculer_apercu_fichier(annuaire, perimetre, source, &fichier, regle).await
}

/// [`calculer_apercu`] of a file read with its format or its column mapping.
pub async fn calculer_apercu_fichier(
    annuaire: &Annuaire,
    perimetre: &Perimetre,
    source: &str,
    fichier: &Fichier<'_>,
    regle: RegleRetrait,
) -> Resultat<Apercu> {
    let existants = actifs_de(annuaire, source).await?;
    verifier_source_dans(source, &existants, perimetre)?;
    let (lecture, arret_lecture) = lire_dans(annuaire, source, fichier, perimetre)?;
    let mut connus: HashMap<&str, &SourceRecord> = existants
        .iter()
        .map(|r| (r.source_id.as_str(), r))
        .collect();
    let (mut ajoutes, mut modifies, mut inchanges) = (0, 0, 0);
    let (mut exemples_ajoutes, mut exemples_modifies) = (Vec::new(), Vec::new());
    for l in &lecture.lieux {
        match connus.remove(l.lieu.id.as_str()) {
            Some(r) => {
                let hash = crate::annuaire::empreinte_lieu(&l.lieu).map_err(erreur_annuaire)?;
                if hash == r.content_hash {
                    inchanges += 1;
                } else {
                    modifies += 1;
                    if exemples_modifies.len() < EXEMPLES_APERCU {
                        exemples_modifies.push(LigneApercu::de(l));
                    }
                }
            }
            None => {
                ajoutes += 1;
                if exemples_ajoutes.len() < EXEMPLES_APERCU {
                    exemples_ajoutes.push(LigneApercu::de(l));
                }
            }
        }
    }
    let mut restants: Vec<&SourceRecord> = connus.into_values().collect();
    restants.sort_by(|a, b| a.source_id.cmp(&b.source_id));
    let retires = restants.len();
    let exemples_retires = restants
        .iter()
        .take(EXEMPLES_APERCU)
        .map(|r| (r.source_id.clone(), nom_de(r)))
        .collect();
    let actifs = existants.len();
    let arret = if arret_lecture.is_some() {
        arret_lecture
    } else if lecture.rapport.acceptes == 0 && !regle.retirer_absents {
        Some(crate::annuaire::message_aucun_accepte(
            source,
            &lecture.rapport,
        ))
    } else if !regle.retirer_absents
        && retires > 0
        // The store's rule exactly (`ImportGuard::check`).
        && (retires as f64) > (regle.seuil_pourcent / 100.0) * (actifs as f64)
    {
        Some(crate::annuaire::message_trop_de_retraits(
            source,
            actifs as i64,
            retires as i64,
            regle,
        ))
    } else {
        None
    };
    Ok(Apercu {
        source: source.to_string(),
        format: lecture.format,
        premieres_lignes: lecture
            .lieux
            .iter()
            .take(LIGNES_APERCU)
            .map(LigneApercu::de)
            .collect(),
        rapport: lecture.rapport,
        ajoutes,
        modifies,
        inchanges,
        retires,
        actifs,
        exemples_ajoutes,
        exemples_modifies,
        exemples_retires,
        arret,
    })
}

/// An upload as its pages show it.
#[derive(Debug, Clone)]
pub struct ImportDepose {
    pub jeton: String,
    pub source: String,
    pub nom_fichier: String,
    pub format: Option<String>,
    pub retirer_absents: bool,
    pub depose_le: DateTime<Utc>,
    pub applique_le: Option<DateTime<Utc>>,
    pub import_id: Option<i64>,
}

impl From<&ImportEnAttenteRow> for ImportDepose {
    fn from(r: &ImportEnAttenteRow) -> ImportDepose {
        ImportDepose {
            jeton: r.jeton.clone(),
            source: r.source.clone(),
            nom_fichier: r.nom_fichier.clone(),
            format: r.format.clone(),
            retirer_absents: r.retirer_absents,
            depose_le: r.created_at,
            applique_le: r.applique_at,
            import_id: r.import_id,
        }
    }
}

/// The upload `jeton` if `acteur` may open it (else `Introuvable`).
async fn ouvrir(annuaire: &Annuaire, acteur: &Acteur, jeton: &str) -> Resultat<ImportEnAttenteRow> {
    Perimetre::de(acteur)?;
    let row = annuaire
        .store()
        .import_en_attente(jeton)
        .await
        .map_err(interne)?
        .ok_or(ErreurComptes::Introuvable)?;
    if !peut_ouvrir(acteur, &row) {
        return Err(ErreurComptes::Introuvable);
    }
    Ok(row)
}

fn format_de(row: &ImportEnAttenteRow) -> Resultat<Option<Format>> {
    row.format
        .as_deref()
        .map(str::parse::<Format>)
        .transpose()
        .map_err(|e| interne(format!("format enregistré illisible : {e}")))
}

fn regle_de(row: &ImportEnAttenteRow) -> RegleRetrait {
    RegleRetrait {
        retirer_absents: row.retirer_absents,
        ..RegleRetrait::default()
    }
}

/// What the page of an upload shows: the preview while it waits, the report once applied.
pub enum EtatImport {
    EnAttente(ImportDepose, Box<Apercu>),
    Applique(ImportDepose, Box<Rapport>),
}

/// The upload `jeton`: its preview (computed now, nothing written) or, once applied, its
/// report.
pub async fn apercu(annuaire: &Annuaire, acteur: &Acteur, jeton: &str) -> Resultat<EtatImport> {
    let row = ouvrir(annuaire, acteur, jeton).await?;
    let depose = ImportDepose::from(&row);
    match &row.contenu {
        None => Ok(EtatImport::Applique(depose, Box::new(rapport_de(&row)?))),
        Some(contenu) => {
            let perimetre = perimetre_du_depot(acteur, &row)?;
            let fichier = Fichier {
                format: format_de(&row)?,
                correspondance: row.correspondance.as_deref(),
                nom_fichier: &row.nom_fichier,
                contenu,
            };
            let a = calculer_apercu_fichier(
                annuaire,
                &perimetre,
                &row.source,
                &fichier,
                regle_de(&row),
            )
            .await?;
            Ok(EtatImport::EnAttente(depose, Box::new(a)))
        }
    }
}

/// The perimeter an upload is read with: the uploader's at upload time (an
/// administrator's upload: everything), so that another person opening it sees the same.
fn perimetre_du_depot(acteur: &Acteur, row: &ImportEnAttenteRow) -> Resultat<Perimetre> {
    if row.territoires.is_empty() {
        return if acteur.role == Role::Administrateur || row.compte_id == acteur.id().get() {
            Perimetre::de(acteur)
        } else {
            Err(ErreurComptes::Introuvable)
        };
    }
    let referentiel = maillage_territoire::Referentiel::embedded();
    let territoires = row
        .territoires
        .split(',')
        .filter(|c| !c.is_empty())
        .map(|c| referentiel.territoire(c).map_err(interne))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Perimetre {
        tout: false,
        territoires,
    })
}

fn rapport_de(row: &ImportEnAttenteRow) -> Resultat<Rapport> {
    match &row.rapport_json {
        Some(j) => serde_json::from_str(j).map_err(interne),
        None => Ok(Rapport::default()),
    }
}

/// What « Appliquer » did.
#[derive(Debug, Clone)]
pub struct Application {
    pub rapport: Rapport,
    pub bilan: maillage_store::ImportSummary,
    pub fusion: BilanFusion,
}

/// Applies the upload `jeton`: the same reading as its preview, stored in one transaction
/// under the retire threshold (nothing written if it stops: `Invalide` with the reason,
/// and the upload can be applied again once corrected), then the re-merge; the upload is
/// then kept as its report. Applying an upload already applied is `Invalide`.
pub async fn appliquer(annuaire: &Annuaire, acteur: &Acteur, jeton: &str) -> Resultat<Application> {
    let row = ouvrir(annuaire, acteur, jeton).await?;
    let Some(contenu) = &row.contenu else {
        return Err(ErreurComptes::invalide(
            "import",
            "ce fichier a déjà été appliqué : voyez son rapport",
        ));
    };
    let perimetre = perimetre_du_depot(acteur, &row)?;
    let existants = actifs_de(annuaire, &row.source).await?;
    verifier_source_dans(&row.source, &existants, &perimetre)?;
    drop(existants);
    let fichier = Fichier {
        format: format_de(&row)?,
        correspondance: row.correspondance.as_deref(),
        nom_fichier: &row.nom_fichier,
        contenu,
    };
    let (lecture, arret) = lire_dans(annuaire, &row.source, &fichier, &perimetre)?;
    if let Some(arret) = arret {
        return Err(ErreurComptes::invalide("import", arret));
    }
    let rapport = lecture.rapport.clone();
    let (_, _, _, bilan) = annuaire
        .stocker_lecture(
            row.source.clone(),
            row.nom_fichier.clone(),
            lecture,
            regle_de(&row),
        )
        .await
        .map_err(erreur_annuaire)?;
    let rapport_json =
        serde_json::to_string(&rapport.abrege(import::REMARQUES_STOCKEES)).map_err(interne)?;
    annuaire
        .store()
        .marquer_import_applique(jeton, Some(bilan.import_id), &rapport_json)
        .await
        .map_err(interne)?;
    tracing::info!(
        account = %acteur.id(),
        import = bilan.import_id,
        added = bilan.added,
        updated = bilan.updated,
        retired = bilan.retired,
        "import applied from the back office; re-merging"
    );
    let fusion = annuaire.refusionner().await.map_err(erreur_annuaire)?;
    Ok(Application {
        rapport,
        bilan,
        fusion,
    })
}

/// The line-by-line report of an applied upload (`Introuvable` before it is applied).
pub async fn rapport(
    annuaire: &Annuaire,
    acteur: &Acteur,
    jeton: &str,
) -> Resultat<(ImportDepose, Rapport)> {
    let row = ouvrir(annuaire, acteur, jeton).await?;
    if row.applique_at.is_none() {
        return Err(ErreurComptes::Introuvable);
    }
    Ok((ImportDepose::from(&row), rapport_de(&row)?))
}

/// A report as a table of the product's convention (`;`, French headers).
pub fn rapport_tableau(rapport: &Rapport) -> Tableau {
    let mut t = Tableau::new([
        "Enregistrement",
        "Identifiant",
        "Champ",
        "Gravité",
        "Message",
    ]);
    for r in &rapport.remarques {
        t.lignes.push(vec![
            if r.enregistrement == 0 {
                Valeur::Vide
            } else {
                Valeur::entier(r.enregistrement as f64)
            },
            Valeur::texte(r.id.clone().unwrap_or_default()),
            Valeur::texte(&r.champ),
            Valeur::texte(match r.gravite {
                Gravite::Correction => "corrigé",
                Gravite::Rejet => "rejeté",
            }),
            Valeur::texte(&r.message),
        ]);
    }
    t
}

/// A candidate pair of the review queue.
#[derive(Debug, Clone)]
pub struct Candidat {
    pub paire: PaireExpliquee,
    pub a: LieuSource,
    pub b: LieuSource,
    /// The published place(s) the two records are in now.
    pub lieu_a: Option<String>,
    pub lieu_b: Option<String>,
}

/// The queue: the candidate pairs (score at least [`SCORE_REVUE_MIN`]) with no decision
/// yet whose two records are in the account's perimeter, the most uncertain first (closest
/// to the merge threshold), at most [`PAIRES_FILE`]. Scores are those of the merge (the
/// corpus of every active record).
pub async fn file_doublons(annuaire: &Annuaire, acteur: &Acteur) -> Resultat<Vec<Candidat>> {
    let perimetre = Perimetre::de(acteur)?;
    let lieux = annuaire.lieux_sources().await.map_err(interne)?;
    let decidees: HashSet<(String, String)> = annuaire
        .store()
        .pair_decisions()
        .await
        .map_err(interne)?
        .into_iter()
        .map(|d| (d.ref_a, d.ref_b))
        .collect();
    let dans: Vec<bool> = lieux
        .iter()
        .map(|l| perimetre.contient(l.lieu.code_insee.as_ref().map(|c| c.as_str())))
        .collect();
    if !dans.iter().any(|&d| d) {
        return Ok(Vec::new());
    }
    let options = OptionsDoublons::default();
    let corpus = doublons::Corpus::preparer(&lieux, &options);
    let mut paires: Vec<(f64, usize, usize, crate::doublons::Explication)> = Vec::new();
    for (a, b) in doublons::candidats(&lieux, &options) {
        if !(dans[a] && dans[b]) {
            continue;
        }
        let (ra, rb) = (lieux[a].reference(), lieux[b].reference());
        let cle = if ra < rb { (ra, rb) } else { (rb, ra) };
        if decidees.contains(&cle) {
            continue;
        }
        if let Some(e) = corpus.expliquer(a, b) {
            if e.score >= SCORE_REVUE_MIN {
                paires.push(((e.score - options.seuil).abs(), a, b, e));
            }
        }
    }
    paires.sort_by(|x, y| x.0.total_cmp(&y.0));
    paires.truncate(PAIRES_FILE);
    let mut out = Vec::with_capacity(paires.len());
    for (_, a, b, explication) in paires {
        let (ra, rb) = (lieux[a].reference(), lieux[b].reference());
        let lieu_de = |r: &str| {
            let r = r.to_string();
            async move {
                annuaire
                    .store()
                    .merged_lieu_by_member(&r)
                    .await
                    .map(|m| m.map(|m| m.id))
            }
        };
        let lieu_a = lieu_de(&ra).await.map_err(interne)?;
        let lieu_b = lieu_de(&rb).await.map_err(interne)?;
        out.push(Candidat {
            paire: PaireExpliquee {
                ref_a: ra,
                ref_b: rb,
                explication,
            },
            a: lieux[a].clone(),
            b: lieux[b].clone(),
            lieu_a,
            lieu_b,
        });
    }
    Ok(out)
}

/// Checks that both records exist and are in the account's perimeter (else `Introuvable`).
async fn verifier_paire(
    annuaire: &Annuaire,
    perimetre: &Perimetre,
    ref_a: &str,
    ref_b: &str,
) -> Resultat<()> {
    for r in [ref_a, ref_b] {
        let (source, id) = r.split_once('#').ok_or(ErreurComptes::Introuvable)?;
        let rec = annuaire
            .store()
            .source_record(source, id)
            .await
            .map_err(interne)?
            .ok_or(ErreurComptes::Introuvable)?;
        if !perimetre.contient(rec.record.code_insee.as_deref()) {
            return Err(ErreurComptes::Introuvable);
        }
    }
    Ok(())
}

/// How a decision names its author in the history.
pub fn auteur(acteur: &Acteur) -> String {
    format!("{} (compte nº {})", acteur.compte.nom, acteur.id())
}

fn note_propre(note: Option<&str>) -> Resultat<Option<String>> {
    let note = note
        .map(crate::signalement::nettoyer_message)
        .filter(|n| !n.is_empty());
    if let Some(n) = &note {
        let longueur = n.chars().count();
        if longueur > NOTE_MAX {
            return Err(ErreurComptes::invalide(
                "note",
                format!("trop longue : {longueur} caractères, {NOTE_MAX} au plus"),
            ));
        }
    }
    Ok(note)
}

/// « Même lieu » ([`Decision::Confirmee`]) or « lieux différents » ([`Decision::Refusee`])
/// on a pair of records of the account's perimeter: the decision of `maillage lieux
/// confirmer|refuser`, recorded with its author and time (and in the history), then the
/// directory is re-merged.
pub async fn decider_paire(
    annuaire: &Annuaire,
    acteur: &Acteur,
    ref_a: &str,
    ref_b: &str,
    decision: Decision,
    note: Option<&str>,
) -> Resultat<BilanFusion> {
    let perimetre = Perimetre::de(acteur)?;
    verifier_paire(annuaire, &perimetre, ref_a, ref_b).await?;
    let note = note_propre(note)?;
    let bilan = annuaire
        .decider(ref_a, ref_b, decision, &auteur(acteur), note)
        .await
        .map_err(erreur_annuaire)?;
    tracing::info!(account = %acteur.id(), ?decision, "pair decision recorded from the back office");
    Ok(bilan)
}

/// Undoes the decision on a pair of the account's perimeter (recorded in the history as
/// « annulée », not deleted from it), then re-merges; `Introuvable` if it has none.
pub async fn annuler_decision(
    annuaire: &Annuaire,
    acteur: &Acteur,
    ref_a: &str,
    ref_b: &str,
    note: Option<&str>,
) -> Resultat<BilanFusion> {
    let perimetre = Perimetre::de(acteur)?;
    verifier_paire(annuaire, &perimetre, ref_a, ref_b).await?;
    let note = note_propre(note)?;
    let bilan = annuaire
        .annuler_decision(ref_a, ref_b, &auteur(acteur), note)
        .await
        .map_err(erreur_annuaire)?;
    tracing::info!(account = %acteur.id(), "pair decision undone from the back office");
    Ok(bilan)
}

/// An entry of the decisions' history, and whether the pair's decision is still in force
/// (the newest entry of its pair, not an undoing).
#[derive(Debug, Clone)]
pub struct EntreeHistorique {
    pub entree: PairDecisionEvent,
    pub en_vigueur: bool,
}

/// The newest [`HISTORIQUE_MAX`] entries of the decisions' history, those whose two records
/// are in the account's perimeter.
pub async fn historique(annuaire: &Annuaire, acteur: &Acteur) -> Resultat<Vec<EntreeHistorique>> {
    let perimetre = Perimetre::de(acteur)?;
    let store = annuaire.store();
    let entrees = store
        .pair_decisions_history(HISTORIQUE_MAX)
        .await
        .map_err(interne)?;
    let mut communes: HashMap<String, Option<String>> = HashMap::new();
    let mut vues: HashSet<(String, String)> = HashSet::new();
    let mut out = Vec::new();
    for e in entrees {
        let mut dedans = true;
        for r in [&e.ref_a, &e.ref_b] {
            if !communes.contains_key(r) {
                let code = match r.split_once('#') {
                    Some((s, i)) => store
                        .source_record(s, i)
                        .await
                        .map_err(interne)?
                        .and_then(|x| x.record.code_insee),
                    None => None,
                };
                communes.insert(r.clone(), code);
            }
            dedans &= perimetre.contient(communes.get(r).and_then(|c| c.as_deref()));
        }
        if !dedans {
            continue;
        }
        let premiere = vues.insert((e.ref_a.clone(), e.ref_b.clone()));
        out.push(EntreeHistorique {
            en_vigueur: premiere && e.decision != "annule",
            entree: e,
        });
    }
    Ok(out)
}

/// A stale place of the freshness view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LieuAncien {
    pub id: String,
    pub nom: String,
    pub code_insee: Option<String>,
    pub commune: String,
    pub sources: Vec<String>,
    pub date_maj: NaiveDate,
}

/// Places not updated for [`MOIS_FRAICHEUR`] months, counted by source and by commune.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fraicheur {
    /// Published places of the perimeter.
    pub publies: usize,
    pub avant: NaiveDate,
    /// Oldest first.
    pub lieux: Vec<LieuAncien>,
    /// `(source, stale places)`: a merged place counts once under each of its sources.
    pub par_source: Vec<(String, usize)>,
    /// `(code INSEE, commune, stale places)`, most first.
    pub par_commune: Vec<(String, String, usize)>,
}

/// The freshness view on `aujourdhui`: the published places of the account's perimeter
/// whose `date_maj` is more than [`MOIS_FRAICHEUR`] months old.
pub async fn fraicheur(
    annuaire: &Annuaire,
    acteur: &Acteur,
    aujourdhui: NaiveDate,
) -> Resultat<Fraicheur> {
    let perimetre = Perimetre::de(acteur)?;
    let avant = aujourdhui
        .checked_sub_months(chrono::Months::new(MOIS_FRAICHEUR))
        .unwrap_or(aujourdhui);
    let referentiel = annuaire.referentiel();
    let mut publies = 0;
    let mut lieux = Vec::new();
    let mut par_source: BTreeMap<String, usize> = BTreeMap::new();
    let mut par_commune: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for f in annuaire.lieux_publies(None).await.map_err(interne)? {
        let code = f.lieu.code_insee.as_ref().map(|c| c.to_string());
        if !perimetre.contient(code.as_deref()) {
            continue;
        }
        publies += 1;
        if f.lieu.date_maj >= avant {
            continue;
        }
        let sources: BTreeSet<String> = f
            .membres
            .iter()
            .map(|m| m.split_once('#').map_or(m.as_str(), |(s, _)| s).to_string())
            .collect();
        for s in &sources {
            *par_source.entry(s.clone()).or_default() += 1;
        }
        let commune = code
            .as_deref()
            .and_then(|c| referentiel.commune_or_parent(c).map(|x| x.nom.clone()))
            .unwrap_or_else(|| f.lieu.commune.clone());
        par_commune
            .entry(code.clone().unwrap_or_default())
            .or_insert_with(|| (commune.clone(), 0))
            .1 += 1;
        lieux.push(LieuAncien {
            id: f.id,
            nom: f.lieu.nom,
            code_insee: code,
            commune,
            sources: sources.into_iter().collect(),
            date_maj: f.lieu.date_maj,
        });
    }
    lieux.sort_by(|a, b| a.date_maj.cmp(&b.date_maj).then(a.id.cmp(&b.id)));
    let mut par_commune: Vec<(String, String, usize)> = par_commune
        .into_iter()
        .map(|(code, (nom, n))| (code, nom, n))
        .collect();
    par_commune.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(&b.1)));
    Ok(Fraicheur {
        publies,
        avant,
        lieux,
        par_source: par_source.into_iter().collect(),
        par_commune,
    })
}

/// The stale places as a table (`;`, French headers).
pub fn fraicheur_tableau(f: &Fraicheur) -> Tableau {
    let mut t = Tableau::new([
        "Identifiant",
        "Nom",
        "Code INSEE",
        "Commune",
        "Sources",
        "Mis à jour le",
    ]);
    for l in &f.lieux {
        t.lignes.push(vec![
            Valeur::texte(&l.id),
            Valeur::texte(&l.nom),
            Valeur::texte(l.code_insee.clone().unwrap_or_default()),
            Valeur::texte(&l.commune),
            Valeur::texte(l.sources.join(", ")),
            Valeur::texte(l.date_maj.format("%d/%m/%Y").to_string()),
        ]);
    }
    t
}

//! The directory of places: the use cases behind `maillage import | export | lieux` and the
//! web pages. One place decides how an import is stored and when the directory is re-merged.

use crate::doublons::{
    self, Decision, Explication, LieuFusionne, OptionsDoublons, ResultatDoublons,
};
use crate::export::{self, FormatExport};
use crate::identifiants::{empreinte_ref, Attribution};
use crate::import::{self, Format, OptionsImport, Rapport};
use crate::lieux::LieuSource;
use crate::signalement::{self, CategorieSignalement, CONTACT_MAX, MESSAGE_MAX};
use maillage_domain::Lieu;
use maillage_store::corrections::{CorrectionRow, CorrectionsStore};
use maillage_store::{
    ImportGuard, ImportSummary, LieuxStore, MergedLieuRow, NewImportReport, NewSignalement,
    PairDecision, PairDecisionKind, SignalementRow, SourceRecord, StoreError,
};
use maillage_territoire::{Referentiel, Territoire};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// Errors of the directory's use cases; `Display` is French, for people.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("base de données : {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Import(#[from] import::ImportError),
    #[error(transparent)]
    Export(#[from] export::ExportError),
    /// An import stopped before writing anything, because of what it would have done
    /// (see [`RegleRetrait`]).
    #[error("{0}")]
    ImportArrete(String),
    #[error("{0}")]
    Invalide(String),
    #[error("introuvable : {0}")]
    Introuvable(String),
    #[error("donnée enregistrée illisible ({0}) : la base a-t-elle été modifiée à la main ?")]
    Corrompu(String),
}

/// A file to import.
pub struct DemandeImport {
    /// The `--source` name: records are identified by source + their own id.
    pub source: String,
    /// `None` detects the format.
    pub format: Option<Format>,
    pub nom_fichier: String,
    pub contenu: Vec<u8>,
}

/// A CSV file in its own columns to import through a column mapping (`maillage import
/// --mapping`, the upload page with a mapping file).
pub struct DemandeImportCorrespondance {
    /// The source name; `None` takes the mapping's `source`.
    pub source: Option<String>,
    pub correspondance: import::Correspondance,
    pub nom_fichier: String,
    pub contenu: Vec<u8>,
}

/// Rejected lines quoted when a mapping import is stopped.
const LIGNES_REJETEES_CITEES: usize = 20;

/// What an import may retire: the records of its source missing from the file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegleRetrait {
    /// Largest share, in percent, of the source's active records an import may retire
    /// (`--seuil-retrait`, 20 by default). Beyond it the import stops and writes nothing.
    pub seuil_pourcent: f64,
    /// Retire every missing record whatever their number, and accept a file with no
    /// accepted record (`--retirer-absents`).
    pub retirer_absents: bool,
}

/// Default of `--seuil-retrait`, in percent.
pub const SEUIL_RETRAIT_DEFAUT: f64 = 20.0;

impl Default for RegleRetrait {
    fn default() -> Self {
        Self {
            seuil_pourcent: SEUIL_RETRAIT_DEFAUT,
            retirer_absents: false,
        }
    }
}

/// At most this many remarks are quoted when an import is stopped for lack of any
/// accepted record.
const RAISONS_CITEES: usize = 5;

/// `1234567` → `1 234 567` (narrow no-break spaces).
fn milliers(n: i64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && c != '-' && (s.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ResultatImport {
    pub source: String,
    pub format: Format,
    pub rapport: Rapport,
    pub bilan: ImportSummary,
    pub fusion: BilanFusion,
    /// Batches the records were written in, in the import's one transaction: 1 for a file
    /// read in memory, about one per 2,048 accepted places for a file read as a stream
    /// ([`Annuaire::importer_fichier`]).
    pub lots_stockes: usize,
}

/// The published directory after a re-merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BilanFusion {
    pub enregistrements: usize,
    pub lieux_publies: usize,
    pub groupes_doublons: usize,
    /// Published places (re)written by this re-merge: the new and changed ones only, the
    /// others are left as they were (see [`LieuxStore::publish_merged_lieux`]).
    pub lieux_ecrits: usize,
    /// Published places deleted (gone, or changed and written again).
    pub lieux_supprimes: usize,
}

/// Source names and files of the places bundled in the binary (`data/lieux/`).
pub const SOURCES_DEMO: [(&str, &str, &[u8]); 5] = [
    (
        "france-services",
        "france-services_2022-12-01.csv",
        include_bytes!("../../../data/lieux/france-services_2022-12-01.csv.gz"),
    ),
    (
        "conseillers-numeriques",
        "conseillers-numeriques_lieux_2022-07.json",
        include_bytes!("../../../data/lieux/conseillers-numeriques_lieux_2022-07.json.gz"),
    ),
    (
        "hinaura",
        "hinaura_2021.json",
        include_bytes!("../../../data/lieux/hinaura_2021.json.gz"),
    ),
    (
        "hauts-de-france",
        "hauts-de-france_2022-11.geojson",
        include_bytes!("../../../data/lieux/hauts-de-france_2022-11.geojson.gz"),
    ),
    (
        "nouvelle-caledonie",
        "nouvelle-caledonie_2024-03.json",
        include_bytes!("../../../data/lieux/nouvelle-caledonie_2024-03.json.gz"),
    ),
];

/// What tells that the published directory changed ([`Annuaire::version_publication`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionPublication {
    pub lieux: i64,
    pub dernier_import: Option<i64>,
    pub decisions: usize,
    /// Grows with every correction written or undone (0 without a corrections store).
    pub corrections: i64,
}

/// The directory, on one store.
#[derive(Clone)]
pub struct Annuaire {
    store: Arc<dyn LieuxStore>,
    referentiel: &'static Referentiel,
    /// The corrections applied at each merge ([`crate::corrections`]), when given.
    corrections: Option<Arc<dyn CorrectionsStore>>,
}

/// Decompresses gzip data.
pub fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

fn hash_json(json: &str) -> String {
    hex::encode(Sha256::digest(json.as_bytes()))
}

/// The content hash a place's source record is stored with (what tells a changed record
/// from an unchanged one at import).
pub(crate) fn empreinte_lieu(lieu: &Lieu) -> Result<String, AppError> {
    let data = serde_json::to_string(lieu).map_err(|e| AppError::Corrompu(e.to_string()))?;
    Ok(hash_json(&data))
}

fn record_of(lieu_source: &LieuSource) -> Result<SourceRecord, AppError> {
    let lieu = &lieu_source.lieu;
    let data = serde_json::to_string(lieu).map_err(|e| AppError::Corrompu(e.to_string()))?;
    Ok(SourceRecord {
        source: lieu_source.source.clone(),
        source_id: lieu.id.clone(),
        content_hash: hash_json(&data),
        data,
        code_insee: lieu.code_insee.as_ref().map(|c| c.to_string()),
        latitude: lieu.localisation.map(|l| l.latitude),
        longitude: lieu.localisation.map(|l| l.longitude),
        date_maj: Some(lieu.date_maj),
    })
}

/// Source records read per page by the re-merge.
const PAGE_FUSION: i64 = 4_096;
/// Published places written per batch by the re-merge.
const LOT_PUBLICATION: usize = 2_048;
/// Attempts of a re-merge whose records keep changing under it.
pub const ESSAIS_FUSION: usize = 3;

/// A stored source record as a place.
fn lieu_source_of(r: SourceRecord) -> Result<LieuSource, AppError> {
    let lieu: Lieu = serde_json::from_str(&r.data)
        .map_err(|e| AppError::Corrompu(format!("{}#{} : {e}", r.source, r.source_id)))?;
    Ok(LieuSource {
        source: r.source,
        lieu,
    })
}

/// Gives a merged place its published id (see [`crate::identifiants`]).
fn renommer(f: &mut LieuFusionne, id: String) {
    f.lieu.id = id.clone();
    f.id = id;
}

fn row_of(f: &LieuFusionne) -> Result<MergedLieuRow, AppError> {
    let corrupt = |e: serde_json::Error| AppError::Corrompu(e.to_string());
    Ok(MergedLieuRow {
        id: f.id.clone(),
        data: serde_json::to_string(&f.lieu).map_err(corrupt)?,
        members: f.membres.clone(),
        provenance: serde_json::to_string(&f.provenance).map_err(corrupt)?,
        code_insee: f.lieu.code_insee.as_ref().map(|c| c.to_string()),
        latitude: f.lieu.localisation.map(|l| l.latitude),
        longitude: f.lieu.localisation.map(|l| l.longitude),
    })
}

/// Reads a published place back from its stored row.
pub fn fusionne_of(row: &MergedLieuRow) -> Result<LieuFusionne, AppError> {
    let corrupt = |e: serde_json::Error| AppError::Corrompu(format!("lieu {} : {e}", row.id));
    Ok(LieuFusionne {
        id: row.id.clone(),
        lieu: serde_json::from_str(&row.data).map_err(corrupt)?,
        membres: row.members.clone(),
        provenance: serde_json::from_str::<BTreeMap<String, String>>(&row.provenance)
            .map_err(corrupt)?,
    })
}

impl Annuaire {
    pub fn new(store: Arc<dyn LieuxStore>) -> Self {
        Self {
            store,
            referentiel: Referentiel::embedded(),
            corrections: None,
        }
    }

    /// The same directory applying the corrections of `store` at each merge.
    pub fn avec_corrections(mut self, store: Arc<dyn CorrectionsStore>) -> Self {
        self.corrections = Some(store);
        self
    }

    /// The active corrections by current place id (empty without a corrections store).
    async fn corrections_par_lieu(
        &self,
    ) -> Result<std::collections::HashMap<String, Vec<CorrectionRow>>, AppError> {
        match &self.corrections {
            Some(c) => Ok(crate::corrections::corrections_par_lieu(c.as_ref()).await?),
            None => Ok(Default::default()),
        }
    }

    pub fn store(&self) -> &Arc<dyn LieuxStore> {
        &self.store
    }

    pub fn referentiel(&self) -> &'static Referentiel {
        self.referentiel
    }

    /// What tells a reader that the published directory changed: the number of published
    /// places, the newest import's id (never its details: a report may be large) and the
    /// newest entry of the coordinators' decisions' history.
    pub async fn version_publication(&self) -> Result<VersionPublication, AppError> {
        Ok(VersionPublication {
            lieux: self.store.count_merged_lieux().await?,
            dernier_import: self.store.latest_import_id().await?,
            // The newest entry of the decisions' history: it moves with every decision and
            // every undoing (a count of the decisions in force would not).
            decisions: self
                .store
                .pair_decisions_history(1)
                .await?
                .first()
                .map_or(0, |e| usize::try_from(e.id).unwrap_or(usize::MAX)),
            corrections: match &self.corrections {
                Some(c) => c.version_corrections().await?,
                None => 0,
            },
        })
    }

    /// The import generation whose re-merge is owed, if one is (see
    /// [`Annuaire::fusion_en_attente`]).
    pub async fn generation_en_attente(&self) -> Result<Option<i64>, AppError> {
        let m = self.store.merge_state().await?;
        Ok(m.pending().then_some(m.wanted))
    }

    /// Reads a file and stores it in one transaction (new, changed and retired records of
    /// that source), then re-merges the directory. A file that cannot be read writes nothing.
    ///
    /// The import stops, writes nothing and says why (`AppError::ImportArrete`) when no
    /// record of the file is accepted, or when it would retire more than
    /// [`SEUIL_RETRAIT_DEFAUT`] % of the source's active records; see
    /// [`Annuaire::importer_avec`] to change that.
    pub async fn importer(&self, demande: DemandeImport) -> Result<ResultatImport, AppError> {
        self.importer_avec(demande, RegleRetrait::default()).await
    }

    /// [`Annuaire::importer`] with another rule for the records the file no longer has.
    pub async fn importer_avec(
        &self,
        demande: DemandeImport,
        regle: RegleRetrait,
    ) -> Result<ResultatImport, AppError> {
        let (source, format, rapport, bilan) = self.stocker(demande, regle).await?;
        let fusion = self.refusionner().await?;
        Ok(ResultatImport {
            source,
            format,
            rapport,
            bilan,
            fusion,
            lots_stockes: 1,
        })
    }

    /// [`Annuaire::importer_avec`] on a file read as a stream (see
    /// [`import::lire_fichier`]): the file is never held in memory as a whole.
    pub async fn importer_fichier(
        &self,
        source: &str,
        format: Option<Format>,
        chemin: &std::path::Path,
        regle: RegleRetrait,
    ) -> Result<ResultatImport, AppError> {
        let source = verifier_source(source, regle)?;
        let nom_fichier = chemin
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let options = OptionsImport {
            date_maj_par_defaut: import::date_dans_nom(&nom_fichier),
        };
        let guard = garde(regle);
        // One transaction, fed while the file is read: the places go to the store by
        // batches, and nothing is committed before the end (all or nothing, as before).
        let mut session = self.store.begin_import(&source, guard).await?;
        let (envoi, mut recus) = tokio::sync::mpsc::channel::<Vec<LieuSource>>(2);
        let lecteur = {
            let source = source.clone();
            let chemin = chemin.to_path_buf();
            let referentiel = self.referentiel;
            tokio::task::spawn_blocking(move || {
                let mut lots = move |lot: Vec<LieuSource>| envoi.blocking_send(lot).is_ok();
                import::lire_fichier_par_lots(
                    &source,
                    format,
                    &chemin,
                    &options,
                    referentiel,
                    &mut lots,
                )
            })
        };
        let mut lots_stockes = 0usize;
        let mut echec: Option<AppError> = None;
        while let Some(lot) = recus.recv().await {
            if echec.is_some() {
                continue;
            }
            let ecrit = match lot.iter().map(record_of).collect::<Result<Vec<_>, _>>() {
                Ok(records) => {
                    drop(lot);
                    session.add(records).await.map_err(AppError::from)
                }
                Err(e) => Err(e),
            };
            match ecrit {
                Ok(()) => lots_stockes += 1,
                Err(e) => {
                    // The reader's next batch is refused: it reads on for nothing but stops
                    // keeping places.
                    recus.close();
                    echec = Some(e);
                }
            }
        }
        let lecture = match lecteur.await {
            Ok(lecture) => lecture,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => {
                return Err(AppError::Invalide(format!(
                    "lecture du fichier interrompue : {e}"
                )))
            }
        };
        if let Some(e) = echec {
            return Err(e);
        }
        let lecture = lecture?;
        let format = lecture.format;
        let rapport = lecture.rapport;
        if rapport.acceptes == 0 && !regle.retirer_absents {
            session.abort().await?;
            return Err(AppError::ImportArrete(aucun_accepte(&source, &rapport)));
        }
        let report = rapport_stocke(&source, format, nom_fichier, &rapport)?;
        let bilan = session
            .finish(report)
            .await
            .map_err(|e| erreur_stockage(e, &source, regle))?;
        tracing::info!(
            batches = lots_stockes,
            added = bilan.added,
            updated = bilan.updated,
            retired = bilan.retired,
            "import stored; re-merging the directory"
        );
        let fusion = self.refusionner().await?;
        tracing::info!(
            published = fusion.lieux_publies,
            written = fusion.lieux_ecrits,
            "directory re-merged"
        );
        Ok(ResultatImport {
            source,
            format,
            rapport,
            bilan,
            fusion,
            lots_stockes,
        })
    }

    /// Imports a CSV file in its own columns through a column mapping, all or nothing: when
    /// a line is rejected (a value without correspondence, a date, hours or coordinates that
    /// cannot be read…) nothing is written and the error lists the lines and columns at
    /// fault; otherwise as [`Annuaire::importer_avec`].
    pub async fn importer_correspondance(
        &self,
        demande: DemandeImportCorrespondance,
        regle: RegleRetrait,
    ) -> Result<ResultatImport, AppError> {
        let source = demande
            .source
            .clone()
            .or_else(|| demande.correspondance.source.clone())
            .ok_or_else(|| {
                AppError::Invalide(
                    "nom de source absent : donnez --source NOM, ou source = \"NOM\" dans le \
                     fichier de correspondance"
                        .into(),
                )
            })?;
        let source = verifier_source(&source, regle)?;
        let options = OptionsImport {
            date_maj_par_defaut: import::date_dans_nom(&demande.nom_fichier),
        };
        let lecture = import::lire_avec_correspondance(
            &source,
            &demande.correspondance,
            &demande.contenu,
            &options,
            self.referentiel,
        )?;
        drop(demande.contenu);
        if lecture.rapport.rejetes > 0 {
            return Err(AppError::ImportArrete(lignes_rejetees(
                &source,
                &lecture.rapport,
            )));
        }
        let (source, format, rapport, bilan) = self
            .stocker_lecture(source, demande.nom_fichier, lecture, regle)
            .await?;
        let fusion = self.refusionner().await?;
        Ok(ResultatImport {
            source,
            format,
            rapport,
            bilan,
            fusion,
            lots_stockes: 1,
        })
    }

    /// Exports the published directory (optionally a territory) in the data·inclusion
    /// schema: structures and services, under the producer name `source`.
    pub async fn exporter_data_inclusion(
        &self,
        source: &str,
        territoire: Option<&Territoire>,
    ) -> Result<(crate::data_inclusion::ExportDataInclusion, usize), AppError> {
        let source = source.trim();
        if source.is_empty() || source.contains(crate::data_inclusion::SEPARATEUR_ID) {
            return Err(AppError::Invalide(format!(
                "nom de producteur invalide : « {source} » (non vide, sans « -- »)"
            )));
        }
        let lieux = self.lieux_publies(territoire).await?;
        let aujourd_hui = chrono::Local::now().date_naive();
        let export =
            crate::data_inclusion::exporter(lieux.iter().map(|f| &f.lieu), source, aujourd_hui);
        Ok((export, lieux.len()))
    }

    /// Reads a file and stores its records in one transaction, without re-merging.
    async fn stocker(
        &self,
        demande: DemandeImport,
        regle: RegleRetrait,
    ) -> Result<(String, Format, Rapport, ImportSummary), AppError> {
        let source = verifier_source(&demande.source, regle)?;
        let format = match demande.format {
            Some(f) => f,
            None => import::detecter(&demande.contenu)?,
        };
        let options = OptionsImport {
            date_maj_par_defaut: import::date_dans_nom(&demande.nom_fichier),
        };
        let lecture = import::lire(
            &source,
            format,
            &demande.contenu,
            &options,
            self.referentiel,
        )?;
        drop(demande.contenu);
        self.stocker_lecture(source, demande.nom_fichier, lecture, regle)
            .await
    }

    /// Stores what was read, in one transaction, unless [`RegleRetrait`] stops it.
    pub(crate) async fn stocker_lecture(
        &self,
        source: String,
        nom_fichier: String,
        lecture: import::Lecture,
        regle: RegleRetrait,
    ) -> Result<(String, Format, Rapport, ImportSummary), AppError> {
        let format = lecture.format;
        let rapport = lecture.rapport;
        if rapport.acceptes == 0 && !regle.retirer_absents {
            return Err(AppError::ImportArrete(aucun_accepte(&source, &rapport)));
        }
        // Each place is dropped once turned into its record.
        let records = lecture
            .lieux
            .into_iter()
            .map(|l| record_of(&l))
            .collect::<Result<Vec<_>, _>>()?;
        let report = rapport_stocke(&source, format, nom_fichier, &rapport)?;
        let bilan = self
            .store
            .apply_import_guarded(records, report, garde(regle))
            .await
            .map_err(|e| erreur_stockage(e, &source, regle))?;
        Ok((source, format, rapport, bilan))
    }

    /// Every active source record, as places.
    pub async fn lieux_sources(&self) -> Result<Vec<LieuSource>, AppError> {
        self.store
            .source_records(true)
            .await?
            .into_iter()
            .map(|r| lieu_source_of(r.record))
            .collect()
    }

    async fn decisions(&self) -> Result<Vec<(String, String, Decision)>, AppError> {
        Ok(self
            .store
            .pair_decisions()
            .await?
            .into_iter()
            .map(|d| {
                let k = match d.decision {
                    PairDecisionKind::Confirmed => Decision::Confirmee,
                    PairDecisionKind::Refused => Decision::Refusee,
                };
                (d.ref_a, d.ref_b, k)
            })
            .collect())
    }

    /// Finds duplicates among the active source records (with the coordinators' decisions).
    pub async fn doublons(&self) -> Result<(Vec<LieuSource>, ResultatDoublons), AppError> {
        let lieux = self.lieux_sources().await?;
        let decisions = self.decisions().await?;
        let mut resultat = doublons::dedupliquer(&lieux, &decisions, &OptionsDoublons::default());
        // The groups under the ids they are published with (the merge names them after
        // their smallest ref; the published ids are stable, see `identifiants`).
        let publies: HashMap<String, String> = self
            .store
            .merged_lieux()
            .await?
            .into_iter()
            .flat_map(|row| {
                let id = row.id;
                row.members.into_iter().map(move |m| (m, id.clone()))
            })
            .collect();
        for f in &mut resultat.fusionnes {
            if let Some(id) = f.membres.first().and_then(|m| publies.get(m)) {
                let id = id.clone();
                renommer(f, id);
            }
        }
        Ok((lieux, resultat))
    }

    /// Recomputes the published directory from the sources and the decisions.
    ///
    /// The records are read from the store by pages, twice, and never held all at once
    /// ([`doublons::flux`]): the first pass keeps only their fingerprints to find the
    /// groups, the second merges them and publishes the places by batches through one
    /// publication session ([`LieuxStore::begin_publish`]). The result is that of
    /// [`doublons::dedupliquer`] on all the records. If an import commits between the two
    /// passes, the re-merge starts again (at most [`ESSAIS_FUSION`] times).
    pub async fn refusionner(&self) -> Result<BilanFusion, AppError> {
        for essai in 1..=ESSAIS_FUSION {
            if let Some(bilan) = self.refusionner_une_fois().await? {
                return Ok(bilan);
            }
            tracing::info!(
                attempt = essai,
                "source records changed during the re-merge: starting again"
            );
        }
        Err(AppError::Invalide(format!(
            "les fiches ont changé pendant chacune des {ESSAIS_FUSION} tentatives de fusion de \
             l'annuaire : la fusion reste en attente et sera reprise"
        )))
    }

    /// One re-merge; `None` when the records changed between the two passes (nothing
    /// written).
    async fn refusionner_une_fois(&self) -> Result<Option<BilanFusion>, AppError> {
        // Read before the records: an import committed meanwhile keeps the merge pending.
        let generation = self.store.merge_state().await?.wanted;
        let decisions = self.decisions().await?;
        let options = OptionsDoublons::default();

        // First pass: fingerprints only.
        // The number of active records, to reserve the fingerprints at once (a hint: an
        // import committed meanwhile only makes the vector grow).
        let actifs: i64 = self.store.sources().await?.iter().map(|(_, n)| *n).sum();
        let mut preparation =
            doublons::Preparation::avec_capacite(&options, usize::try_from(actifs).unwrap_or(0));
        // The hash of each record's ref, for the stable ids.
        let mut presents: HashSet<u64> =
            HashSet::with_capacity(usize::try_from(actifs).unwrap_or(0));
        let mut apres: Option<(String, String)> = None;
        loop {
            let cle = apres.as_ref().map(|(s, i)| (s.as_str(), i.as_str()));
            let page = self
                .store
                .active_source_records_page(cle, PAGE_FUSION)
                .await?;
            let fin = page.len() < PAGE_FUSION as usize;
            if let Some(r) = page.last() {
                apres = Some((r.source.clone(), r.source_id.clone()));
            }
            for r in page {
                let ls = lieu_source_of(r)?;
                presents.insert(empreinte_ref(&ls.reference()));
                preparation.ajouter(&ls);
            }
            if fin {
                break;
            }
        }
        let enregistrements = preparation.len();
        let detection = preparation.detecter(&decisions);
        let groupes_doublons = detection.groupes().len();
        tracing::debug!(
            records = enregistrements,
            groups = groupes_doublons,
            "duplicates found"
        );

        // Second pass, in the publication's transaction: no import commits meanwhile, and
        // none did since the first pass began if `wanted` did not move.
        let corrections = self.corrections_par_lieu().await?;
        let mut session = self.store.begin_publish().await?;
        if session.merge_state().await?.wanted != generation {
            session.abort().await?;
            return Ok(None);
        }
        // The stable ids, read and written in the publication's transaction.
        let etat_ids = session.lieu_ids().await?;
        let ids_par_ref_principale = ids_par_ref_principale(&etat_ids);
        let mut attribution =
            Attribution::nouvelle(etat_ids, &presents, maillage_store::now_micros());
        drop(presents);
        let mut assemblage = detection.assembler();
        let mut lot: Vec<MergedLieuRow> = Vec::with_capacity(LOT_PUBLICATION);
        let mut lieux_publies = 0usize;
        let mut apres: Option<(String, String)> = None;
        let relecture = |e: doublons::ErreurRelecture| AppError::Corrompu(e.to_string());
        loop {
            let cle = apres.as_ref().map(|(s, i)| (s.as_str(), i.as_str()));
            let page = session.active_source_records_page(cle, PAGE_FUSION).await?;
            let fin = page.len() < PAGE_FUSION as usize;
            if let Some(r) = page.last() {
                apres = Some((r.source.clone(), r.source_id.clone()));
            }
            for r in page {
                if let Some(mut f) = assemblage.ajouter(lieu_source_of(r)?).map_err(relecture)? {
                    let id = attribution.attribuer(&f.membres);
                    renommer(&mut f, id);
                    let cs = crate::corrections::du_lieu(&f, &corrections, &ids_par_ref_principale);
                    if !cs.is_empty()
                        && !crate::corrections::appliquer(&mut f, &cs, self.referentiel)
                    {
                        continue;
                    }
                    lot.push(row_of(&f)?);
                    lieux_publies += 1;
                }
            }
            if lot.len() >= LOT_PUBLICATION {
                session.add(std::mem::take(&mut lot)).await?;
            }
            if fin {
                break;
            }
        }
        assemblage.terminer().map_err(relecture)?;
        if !lot.is_empty() {
            session.add(lot).await?;
        }
        let ids = attribution.terminer();
        if !ids.is_empty() {
            session.save_lieu_ids(ids).await?;
        }
        let publie = session.finish(Some(generation)).await?;
        tracing::debug!(
            written = publie.written,
            deleted = publie.deleted,
            kept = publie.kept,
            "directory published"
        );
        Ok(Some(BilanFusion {
            enregistrements,
            lieux_publies,
            groupes_doublons,
            lieux_ecrits: usize::try_from(publie.written).unwrap_or(usize::MAX),
            lieux_supprimes: usize::try_from(publie.deleted).unwrap_or(usize::MAX),
        }))
    }

    /// The re-merge of the whole directory in memory, as before the streamed one
    /// ([`Annuaire::refusionner`]): every record loaded, [`doublons::dedupliquer_possede`],
    /// one [`LieuxStore::publish_merged_lieux`]. Kept to compare the two.
    pub async fn refusionner_en_memoire(&self) -> Result<BilanFusion, AppError> {
        let generation = self.store.merge_state().await?.wanted;
        let lieux = self.lieux_sources().await?;
        let enregistrements = lieux.len();
        let decisions = self.decisions().await?;
        let presents: HashSet<u64> = lieux
            .iter()
            .map(|l| empreinte_ref(&l.reference()))
            .collect();
        let resultat =
            doublons::dedupliquer_possede(lieux, &decisions, &OptionsDoublons::default());
        let groupes_doublons = resultat.groupes.len();
        let corrections = self.corrections_par_lieu().await?;
        let mut session = self.store.begin_publish().await?;
        let etat_ids = session.lieu_ids().await?;
        let ids_par_ref_principale = ids_par_ref_principale(&etat_ids);
        let mut attribution =
            Attribution::nouvelle(etat_ids, &presents, maillage_store::now_micros());
        let mut rows = Vec::with_capacity(resultat.fusionnes.len());
        for mut f in resultat.fusionnes {
            let id = attribution.attribuer(&f.membres);
            renommer(&mut f, id);
            let cs = crate::corrections::du_lieu(&f, &corrections, &ids_par_ref_principale);
            if !cs.is_empty() && !crate::corrections::appliquer(&mut f, &cs, self.referentiel) {
                continue;
            }
            rows.push(row_of(&f)?);
        }
        let lieux_publies = rows.len();
        maillage_store::validate_merged_lieux(&rows)?;
        session.add(rows).await?;
        let ids = attribution.terminer();
        if !ids.is_empty() {
            session.save_lieu_ids(ids).await?;
        }
        let publie = session.finish(Some(generation)).await?;
        Ok(BilanFusion {
            enregistrements,
            lieux_publies,
            groupes_doublons,
            lieux_ecrits: usize::try_from(publie.written).unwrap_or(usize::MAX),
            lieux_supprimes: usize::try_from(publie.deleted).unwrap_or(usize::MAX),
        })
    }

    /// `true` when stored records are not yet published: an import's re-merge was
    /// interrupted (the process stopped between the two) or is under way.
    pub async fn fusion_en_attente(&self) -> Result<bool, AppError> {
        Ok(self.store.merge_state().await?.pending())
    }

    /// Finishes an interrupted re-merge, if there is one (at start-up and on each change
    /// check of the server); `None` when the directory was up to date.
    pub async fn reprendre_fusion(&self) -> Result<Option<BilanFusion>, AppError> {
        if !self.fusion_en_attente().await? {
            return Ok(None);
        }
        tracing::warn!("the published directory is behind the stored records: re-merging");
        Ok(Some(self.refusionner().await?))
    }

    /// The published places, optionally restricted to a territory.
    pub async fn lieux_publies(
        &self,
        territoire: Option<&Territoire>,
    ) -> Result<Vec<LieuFusionne>, AppError> {
        let mut out = Vec::new();
        for row in self.store.merged_lieux().await? {
            let f = fusionne_of(&row)?;
            let garde = match territoire {
                None => true,
                Some(t) => f
                    .lieu
                    .code_insee
                    .as_ref()
                    .is_some_and(|c| t.contient(c.as_str())),
            };
            if garde {
                out.push(f);
            }
        }
        Ok(out)
    }

    /// The current id of a place named by `id`: `id` itself while it names a published
    /// place; the id it redirects to when its place was merged into another or split (see
    /// [`crate::identifiants`]); the place holding a record when `id` is a `SOURCE#ID`;
    /// `None` when nothing is published under that name any more (or ever was).
    ///
    /// Every stored place id (error reports, coordinators' corrections, links handed out)
    /// is resolved through this function.
    pub async fn id_courant(&self, id: &str) -> Result<Option<String>, AppError> {
        if self.store.merged_lieu(id).await?.is_some() {
            return Ok(Some(id.to_string()));
        }
        if id.contains('#') {
            return Ok(self.store.merged_lieu_by_member(id).await?.map(|r| r.id));
        }
        let Some(courant) = self.store.lieu_id_redirect(id).await? else {
            return Ok(None);
        };
        // Redirects are collapsed when stored: the target names a place, unless that place
        // is gone too.
        Ok(self
            .store
            .merged_lieu(&courant)
            .await?
            .is_some()
            .then_some(courant))
    }

    /// One published place, by its id or by the `SOURCE#ID` of one of its records.
    pub async fn lieu_publie(&self, id: &str) -> Result<Option<LieuFusionne>, AppError> {
        let row = match self.store.merged_lieu(id).await? {
            Some(r) => Some(r),
            None if id.contains('#') => self.store.merged_lieu_by_member(id).await?,
            None => None,
        };
        row.as_ref().map(fusionne_of).transpose()
    }

    /// Exports the published directory (optionally a territory) in a standard format.
    pub async fn exporter(
        &self,
        format: FormatExport,
        territoire: Option<&Territoire>,
    ) -> Result<(Vec<u8>, usize), AppError> {
        let lieux = self.lieux_publies(territoire).await?;
        let bytes = export::exporter(format, lieux.iter().map(|f| &f.lieu))?;
        Ok((bytes, lieux.len()))
    }

    /// Explains the duplicate decisions around a place: its id (published or `SOURCE#ID`),
    /// every scored candidate pair touching one of its records.
    pub async fn expliquer(&self, id: &str) -> Result<Vec<PaireExpliquee>, AppError> {
        let (lieux, _) = self.doublons().await?;
        let membres: Vec<String> = match self.lieu_publie(id).await? {
            Some(f) => f.membres,
            None => return Err(AppError::Introuvable(format!("aucun lieu « {id} »"))),
        };
        let index: BTreeMap<String, usize> = lieux
            .iter()
            .enumerate()
            .map(|(i, l)| (l.reference(), i))
            .collect();
        // The corpus knows how many records share each phone, e-mail or SIRET: its scores are
        // exactly those the merge used.
        let options = OptionsDoublons::default();
        let corpus = doublons::Corpus::preparer(&lieux, &options);
        let mut paires: Vec<(usize, usize)> = doublons::candidats(&lieux, &options)
            .into_iter()
            .filter(|&(a, b)| {
                membres.contains(&lieux[a].reference()) || membres.contains(&lieux[b].reference())
            })
            .collect();
        // Members merged by a coordinator's decision may not be candidates: explain them too.
        for (i, ra) in membres.iter().enumerate() {
            for rb in &membres[i + 1..] {
                if let (Some(&a), Some(&b)) = (index.get(ra), index.get(rb)) {
                    if !paires.contains(&(a, b)) && !paires.contains(&(b, a)) {
                        paires.push((a, b));
                    }
                }
            }
        }
        let mut out: Vec<PaireExpliquee> = paires
            .into_iter()
            .filter_map(|(a, b)| {
                Some(PaireExpliquee {
                    explication: corpus.expliquer(a, b)?,
                    ref_a: lieux[a].reference(),
                    ref_b: lieux[b].reference(),
                })
            })
            .collect();
        out.sort_by(|x, y| y.explication.score.total_cmp(&x.explication.score));
        Ok(out)
    }

    /// Records a coordinator's decision on a pair of records, then re-merges.
    pub async fn decider(
        &self,
        ref_a: &str,
        ref_b: &str,
        decision: Decision,
        par: &str,
        note: Option<String>,
    ) -> Result<BilanFusion, AppError> {
        if ref_a == ref_b {
            return Err(AppError::Invalide(
                "une décision porte sur deux enregistrements différents".into(),
            ));
        }
        for r in [ref_a, ref_b] {
            let (source, id) = r.split_once('#').ok_or_else(|| {
                AppError::Invalide(format!("référence invalide : « {r} » (attendu SOURCE#ID)"))
            })?;
            if self.store.source_record(source, id).await?.is_none() {
                return Err(AppError::Introuvable(format!(
                    "aucun enregistrement « {r} »"
                )));
            }
        }
        self.store
            .set_pair_decision(PairDecision {
                ref_a: ref_a.to_string(),
                ref_b: ref_b.to_string(),
                decision: match decision {
                    Decision::Confirmee => PairDecisionKind::Confirmed,
                    Decision::Refusee => PairDecisionKind::Refused,
                },
                decided_by: par.to_string(),
                decided_at: chrono::Utc::now(),
                note,
            })
            .await?;
        self.refusionner().await
    }

    /// Undoes the decision on a pair of records (kept in the history as undone, by `par`),
    /// then re-merges; `Introuvable` if the pair has no decision.
    pub async fn annuler_decision(
        &self,
        ref_a: &str,
        ref_b: &str,
        par: &str,
        note: Option<String>,
    ) -> Result<BilanFusion, AppError> {
        if !self
            .store
            .remove_pair_decision(ref_a, ref_b, par, maillage_store::now_micros(), note)
            .await?
        {
            return Err(AppError::Introuvable(format!(
                "aucune décision sur « {ref_a} » et « {ref_b} »"
            )));
        }
        self.refusionner().await
    }

    /// Records an error report sent by the public about the published place `lieu_id`;
    /// returns its id. The message is cleaned (line breaks kept, other control characters
    /// removed) and trimmed: it must then have 1 to [`MESSAGE_MAX`] characters, or may be
    /// empty for [`CategorieSignalement::LieuFerme`]. The contact is optional (blank counts
    /// as none), at most [`CONTACT_MAX`] characters. Errors are French, for the person who
    /// filled the form: `Invalide` for the text, `Introuvable` for an unknown place.
    pub async fn signaler(
        &self,
        lieu_id: &str,
        categorie: CategorieSignalement,
        message: &str,
        contact: Option<&str>,
    ) -> Result<i64, AppError> {
        let lieu_id = lieu_id.trim();
        let message = signalement::nettoyer_message(message);
        let longueur = message.chars().count();
        if longueur == 0 && categorie.message_obligatoire() {
            return Err(AppError::Invalide(
                "Le message est obligatoire : décrivez l'erreur que vous avez constatée.".into(),
            ));
        }
        if longueur > MESSAGE_MAX {
            return Err(AppError::Invalide(format!(
                "Le message est trop long : {longueur} caractères, {MESSAGE_MAX} au plus."
            )));
        }
        let contact = contact
            .map(signalement::nettoyer_ligne)
            .filter(|c| !c.is_empty());
        if let Some(c) = &contact {
            let longueur = c.chars().count();
            if longueur > CONTACT_MAX {
                return Err(AppError::Invalide(format!(
                    "Le contact est trop long : {longueur} caractères, {CONTACT_MAX} au plus."
                )));
            }
        }
        if lieu_id.is_empty() || self.store.merged_lieu(lieu_id).await?.is_none() {
            return Err(AppError::Introuvable(format!("aucun lieu « {lieu_id} »")));
        }
        Ok(self
            .store
            .add_signalement(NewSignalement {
                lieu_id: lieu_id.to_string(),
                categorie: categorie.code().to_string(),
                message,
                contact,
            })
            .await?)
    }

    /// The [`LIMITE_SIGNALEMENTS`](signalement::LIMITE_SIGNALEMENTS) newest error reports,
    /// about one place (`None` or a blank id: every place), only the open ones if
    /// `seulement_ouverts`. A place id is matched exactly, whether the place is still
    /// published or not.
    pub async fn signalements(
        &self,
        lieu_id: Option<&str>,
        seulement_ouverts: bool,
    ) -> Result<Vec<SignalementRow>, AppError> {
        let lieu_id = lieu_id.map(str::trim).filter(|id| !id.is_empty());
        Ok(self
            .store
            .signalements(lieu_id, seulement_ouverts, signalement::LIMITE_SIGNALEMENTS)
            .await?)
    }

    /// Marks an error report as dealt with; `false` if there is no report `id`.
    pub async fn traiter_signalement(&self, id: i64) -> Result<bool, AppError> {
        Ok(self.store.set_signalement_traite(id, true).await?)
    }

    /// Closes an error report with a decision (« traité » or « rejeté ») by account `par`
    /// (`None` from the command line), with an optional note; `false` if there is no
    /// report `id`.
    pub async fn decider_signalement(
        &self,
        id: i64,
        decision: signalement::DecisionSignalement,
        par: Option<maillage_domain::CompteId>,
        note: Option<&str>,
    ) -> Result<bool, AppError> {
        Ok(self
            .store
            .decide_signalement(
                id,
                decision.code(),
                par.map(maillage_domain::CompteId::get),
                note,
            )
            .await?)
    }

    /// The [`LIMITE_SIGNALEMENTS`](signalement::LIMITE_SIGNALEMENTS) newest error reports
    /// (only the open ones if `seulement_ouverts`), each with the name and commune of its
    /// place as published now (`None` for a place no longer published).
    pub async fn signalements_avec_lieux(
        &self,
        seulement_ouverts: bool,
    ) -> Result<Vec<signalement::SignalementLieu>, AppError> {
        let lignes = self.signalements(None, seulement_ouverts).await?;
        type Infos = (Option<String>, Option<String>, Option<String>);
        let mut lieux: HashMap<String, Infos> = HashMap::new();
        let mut out = Vec::with_capacity(lignes.len());
        for s in lignes {
            if !lieux.contains_key(&s.lieu_id) {
                // A report about a place since merged or split follows it.
                let courant = self.id_courant(&s.lieu_id).await?;
                let ligne = match &courant {
                    Some(id) => self.store.merged_lieu(id).await?,
                    None => None,
                };
                let infos = match ligne {
                    Some(row) => {
                        let nom = serde_json::from_str::<serde_json::Value>(&row.data)
                            .ok()
                            .and_then(|v| {
                                v.get("nom").and_then(|n| n.as_str()).map(str::to_string)
                            });
                        (Some(row.id), nom, row.code_insee)
                    }
                    None => (None, None, None),
                };
                lieux.insert(s.lieu_id.clone(), infos);
            }
            let (lieu_id_courant, lieu_nom, code_insee) =
                lieux.get(&s.lieu_id).cloned().unwrap_or_default();
            out.push(signalement::SignalementLieu {
                signalement: s,
                lieu_id_courant,
                lieu_nom,
                code_insee,
            });
        }
        Ok(out)
    }

    /// Imports the places bundled in the binary (the five real sources), then merges once.
    pub async fn charger_demo(&self) -> Result<(Vec<ResultatImport>, BilanFusion), AppError> {
        let mut stockes = Vec::new();
        for (source, fichier, gz) in SOURCES_DEMO {
            let contenu = gunzip(gz).map_err(|e| AppError::Corrompu(e.to_string()))?;
            stockes.push(
                self.stocker(
                    DemandeImport {
                        source: source.to_string(),
                        format: None,
                        nom_fichier: fichier.to_string(),
                        contenu,
                    },
                    RegleRetrait::default(),
                )
                .await?,
            );
        }
        let fusion = self.refusionner().await?;
        let resultats = stockes
            .into_iter()
            .map(|(source, format, rapport, bilan)| ResultatImport {
                source,
                format,
                rapport,
                bilan,
                fusion,
                lots_stockes: 1,
            })
            .collect();
        Ok((resultats, fusion))
    }
}

/// The store's limit for an import under `regle`.
fn garde(regle: RegleRetrait) -> ImportGuard {
    ImportGuard {
        max_retired_share: (!regle.retirer_absents).then_some(regle.seuil_pourcent / 100.0),
    }
}

/// The report stored with an import.
fn rapport_stocke(
    source: &str,
    format: Format,
    nom_fichier: String,
    rapport: &Rapport,
) -> Result<NewImportReport, AppError> {
    Ok(NewImportReport {
        source: source.to_string(),
        format: format.to_string(),
        file_name: nom_fichier,
        rows_read: rapport.lus as i64,
        accepted: rapport.acceptes as i64,
        corrected: rapport.acceptes_avec_corrections as i64,
        rejected: rapport.rejetes as i64,
        details_json: serde_json::to_string(&rapport.abrege(import::REMARQUES_STOCKEES))
            .map_err(|e| AppError::Corrompu(e.to_string()))?,
    })
}

/// A store error of an import, the retire guard said in French.
fn erreur_stockage(e: StoreError, source: &str, regle: RegleRetrait) -> AppError {
    match e {
        StoreError::TooManyRetired { active, retired } => {
            AppError::ImportArrete(trop_de_retraits(source, active, retired, regle))
        }
        e => e.into(),
    }
}

/// The `--source` name, trimmed, and the rule, checked.
fn verifier_source(source: &str, regle: RegleRetrait) -> Result<String, AppError> {
    let source = source.trim().to_string();
    if source.is_empty() || source.contains('#') {
        return Err(AppError::Invalide(format!(
            "nom de source invalide : « {source} » (non vide, sans #)"
        )));
    }
    if !(0.0..=100.0).contains(&regle.seuil_pourcent) {
        return Err(AppError::Invalide(format!(
            "seuil de retrait invalide : {} (un pourcentage entre 0 et 100)",
            regle.seuil_pourcent
        )));
    }
    Ok(source)
}

/// Why a mapping import stopped: its rejected lines, by line and column.
pub(crate) fn lignes_rejetees(source: &str, rapport: &Rapport) -> String {
    let mut message = format!(
        "{} ligne(s) sur {} rejetée(s) : import arrêté, rien n'a été écrit ; les lieux de la \
         source « {source} » restent tels quels.",
        milliers(i64::try_from(rapport.rejetes).unwrap_or(i64::MAX)),
        milliers(i64::try_from(rapport.lus).unwrap_or(i64::MAX)),
    );
    let rejets: Vec<&import::Remarque> = rapport
        .remarques
        .iter()
        .filter(|r| r.gravite == import::Gravite::Rejet)
        .collect();
    for r in rejets.iter().take(LIGNES_REJETEES_CITEES) {
        let id =
            r.id.as_ref()
                .map(|i| format!(" (id {i})"))
                .unwrap_or_default();
        message.push_str(&format!(
            "\n  ligne {}{id}, {} : {}",
            r.enregistrement, r.champ, r.message
        ));
    }
    if rejets.len() > LIGNES_REJETEES_CITEES {
        message.push_str(&format!(
            "\n  … et {} autres",
            rejets.len() - LIGNES_REJETEES_CITEES
        ));
    }
    if let Some(r) = rapport
        .remarques
        .iter()
        .find(|r| r.champ == "valeurs" && r.enregistrement == 1)
    {
        message.push_str(&format!("\n{}", r.message));
    }
    message.push_str("\nCorrigez le fichier ou le fichier de correspondance, puis relancez.");
    message
}

/// Why an import with no accepted record stopped, with its first reasons.
pub(crate) fn message_aucun_accepte(source: &str, rapport: &Rapport) -> String {
    aucun_accepte(source, rapport)
}

/// Why an import that would retire too many records stopped.
pub(crate) fn message_trop_de_retraits(
    source: &str,
    actifs: i64,
    retires: i64,
    regle: RegleRetrait,
) -> String {
    trop_de_retraits(source, actifs, retires, regle)
}

/// Why an import with no accepted record stopped, with its first reasons.
fn aucun_accepte(source: &str, rapport: &Rapport) -> String {
    let mut message = if rapport.lus == 0 {
        format!(
            "Le fichier ne contient aucun lieu : import arrêté, rien n'a été écrit ; les lieux \
             de la source « {source} » restent publiés."
        )
    } else {
        format!(
            "Aucun des {} enregistrements lus n'a été accepté : import arrêté, rien n'a été \
             écrit ; les lieux de la source « {source} » restent publiés.",
            milliers(i64::try_from(rapport.lus).unwrap_or(i64::MAX))
        )
    };
    let raisons: Vec<String> = rapport
        .remarques
        .iter()
        .filter(|r| r.gravite == import::Gravite::Rejet)
        .take(RAISONS_CITEES)
        .map(|r| format!("\n  {r}"))
        .collect();
    if !raisons.is_empty() {
        message.push_str("\nPremières raisons :");
        message.extend(raisons);
    }
    message.push_str(
        "\nCorrigez le fichier ; pour retirer vraiment tous les lieux de cette source, relancez \
         avec --retirer-absents.",
    );
    message
}

/// Why an import that would retire too many records stopped.
fn trop_de_retraits(source: &str, actifs: i64, retires: i64, regle: RegleRetrait) -> String {
    let part = if actifs > 0 {
        (retires as f64) * 100.0 / (actifs as f64)
    } else {
        100.0
    };
    format!(
        "L'import retirerait {} des {} lieux actifs de la source « {source} » ({part:.0} %, \
         au-delà du seuil de {} %) : import arrêté, rien n'a été écrit. Le fichier est-il \
         complet ? Si ces lieux ont vraiment disparu, relancez avec --retirer-absents (ou \
         --seuil-retrait {}).",
        milliers(retires),
        milliers(actifs),
        regle.seuil_pourcent,
        part.ceil()
    )
}

/// A scored pair, for `maillage lieux doublons --explain`.
#[derive(Debug, Clone)]
pub struct PaireExpliquee {
    pub ref_a: String,
    pub ref_b: String,
    pub explication: Explication,
}

/// Scored pairs as a table of the product's convention ([`crate::tableur`]): one row per
/// criterion of each pair.
pub fn paires_tableau(paires: &[PaireExpliquee]) -> crate::tableur::Tableau {
    use crate::tableur::{Tableau, Valeur};
    let mut t = Tableau::new([
        "Référence A",
        "Référence B",
        "Score",
        "Même lieu",
        "Critère",
        "Points",
        "Raison",
        "Valeur comparée",
    ]);
    for p in paires {
        for c in &p.explication.criteres {
            t.lignes.push(vec![
                Valeur::texte(&p.ref_a),
                Valeur::texte(&p.ref_b),
                Valeur::Nombre(p.explication.score, 2),
                Valeur::texte(if p.explication.decision { "oui" } else { "non" }),
                Valeur::texte(c.nom),
                Valeur::Nombre(c.points, 2),
                Valeur::texte(&c.raison),
                Valeur::texte(&c.valeur),
            ]);
        }
    }
    t
}

/// Main record → id, of the stable ids as stored (see [`crate::corrections::du_lieu`]).
fn ids_par_ref_principale(
    etat: &maillage_store::LieuIdsState,
) -> std::collections::HashMap<String, String> {
    etat.ids
        .iter()
        .map(|r| (r.main_ref.clone(), r.id.clone()))
        .collect()
}

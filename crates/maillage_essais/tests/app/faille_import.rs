//! Issue 14 « Failles et pertes de données », the import path: a file that would unpublish
//! its source (item 9), fields without length limits (item 4), a crash between an import
//! and its re-merge (item 10), and the line numbers of CRLF files (item 14).

use async_trait::async_trait;
use maillage_annuaire::annuaire::{Annuaire, AppError, DemandeImport, RegleRetrait};
use maillage_annuaire::import::{Format, Gravite};
use maillage_store::{
    ImportGuard, ImportReportRow, ImportSession, ImportSummary, LieuxStore, MergeState,
    MergedLieuRow, NewImportReport, NewSignalement, PairDecision, PublishSession, PublishSummary,
    SignalementRow, SourceRecord, StoreError, StoreResult, StoredSourceRecord,
};
use maillage_store_postgres::testing::TestDatabase;
use std::sync::Arc;

const ENTETE: &str = "id,nom,adresse,code_postal,commune,latitude,longitude,date_maj";

/// A valid row of the short CSV: places spread over Toulouse so that none is a duplicate.
fn ligne(id: &str, nom: &str, n: usize) -> String {
    format!(
        "{id},{nom},{n} rue de la République,31000,Toulouse,{:.4},{:.4},2026-10-01",
        43.58 + 0.01 * n as f64,
        1.40 + 0.013 * n as f64
    )
}

fn noms(n: usize) -> Vec<String> {
    let lieux = [
        "Médiathèque José Cabanis",
        "Maison France Services Capitole",
        "Centre social Bagatelle",
        "Espace public numérique des Chalets",
        "Point numérique de la Reynerie",
        "Cyber-base Empalot",
    ];
    lieux.iter().take(n).map(|s| s.to_string()).collect()
}

fn fichier(lignes: &[String], fin: &str) -> Vec<u8> {
    let mut s = String::from(ENTETE);
    for l in lignes {
        s.push_str(fin);
        s.push_str(l);
    }
    s.push_str(fin);
    s.into_bytes()
}

fn demande(source: &str, contenu: Vec<u8>) -> DemandeImport {
    DemandeImport {
        source: source.into(),
        format: None,
        nom_fichier: format!("{source}.csv"),
        contenu,
    }
}

/// `n` valid places of source `ville`, ids `1..=n`.
fn valides(n: usize) -> Vec<String> {
    noms(n)
        .iter()
        .enumerate()
        .map(|(i, nom)| ligne(&(i + 1).to_string(), nom, i + 1))
        .collect()
}

async fn actifs(annuaire: &Annuaire, source: &str) -> usize {
    annuaire
        .store()
        .source_records(true)
        .await
        .expect("records")
        .iter()
        .filter(|r| r.record.source == source)
        .count()
}

async fn publies(annuaire: &Annuaire) -> i64 {
    annuaire.store().count_merged_lieux().await.expect("count")
}

async fn nb_rapports(annuaire: &Annuaire) -> usize {
    annuaire
        .store()
        .import_reports(1000)
        .await
        .expect("reports")
        .len()
}

fn arrete(r: Result<maillage_annuaire::annuaire::ResultatImport, AppError>) -> String {
    match r {
        Err(AppError::ImportArrete(m)) => m,
        Err(e) => panic!("expected a stopped import, got {e}"),
        Ok(r) => panic!("expected a stopped import, got {:?}", r.bilan),
    }
}

// ---------------------------------------------------------------------------------------
// Item 9: a file whose rows are all rejected, or that drops most of its source

async fn rien_d_accepte_ne_retire_rien(annuaire: Annuaire) {
    annuaire
        .importer(demande("ville", fichier(&valides(4), "\n")))
        .await
        .expect("first import");
    assert_eq!(publies(&annuaire).await, 4);
    let rapports = nb_rapports(&annuaire).await;

    // Five rows, none accepted (no name): before, 4 records were retired with exit code 0.
    let rejetees: Vec<String> = (1..=5).map(|i| ligne(&i.to_string(), "", i)).collect();
    let message = arrete(
        annuaire
            .importer(demande("ville", fichier(&rejetees, "\n")))
            .await,
    );
    assert!(
        message.contains("Aucun des 5 enregistrements lus"),
        "{message}"
    );
    assert!(message.contains("rien n'a été écrit"), "{message}");
    assert!(
        message.contains("nom absent"),
        "the first reasons: {message}"
    );
    assert!(message.contains("--retirer-absents"), "{message}");
    assert_eq!(actifs(&annuaire, "ville").await, 4);
    assert_eq!(publies(&annuaire).await, 4);
    assert_eq!(nb_rapports(&annuaire).await, rapports, "no report stored");

    // A JSON file holding `[]`.
    let vide = DemandeImport {
        source: "ville".into(),
        format: Some(Format::V1Json),
        nom_fichier: "ville.json".into(),
        contenu: b"[]".to_vec(),
    };
    let message = arrete(annuaire.importer(vide).await);
    assert!(message.contains("ne contient aucun lieu"), "{message}");
    assert_eq!(actifs(&annuaire, "ville").await, 4);

    // Explicitly asked: the source is emptied.
    let vide = DemandeImport {
        source: "ville".into(),
        format: Some(Format::V1Json),
        nom_fichier: "ville.json".into(),
        contenu: b"[]".to_vec(),
    };
    let r = annuaire
        .importer_avec(
            vide,
            RegleRetrait {
                retirer_absents: true,
                ..RegleRetrait::default()
            },
        )
        .await
        .expect("asked for");
    assert_eq!(r.bilan.retired, 4);
    assert_eq!(publies(&annuaire).await, 0);
}

async fn seuil_de_retrait(annuaire: Annuaire) {
    annuaire
        .importer(demande("ville", fichier(&valides(5), "\n")))
        .await
        .expect("first import");
    // A truncated file: 1 of 5 left, 4 would be retired (80 % > 20 %).
    let message = arrete(
        annuaire
            .importer(demande("ville", fichier(&valides(1), "\n")))
            .await,
    );
    assert!(
        message.contains("retirerait 4 des 5 lieux actifs"),
        "{message}"
    );
    assert!(message.contains("80 %"), "{message}");
    assert!(message.contains("rien n'a été écrit"), "{message}");
    assert_eq!(actifs(&annuaire, "ville").await, 5);
    assert_eq!(publies(&annuaire).await, 5);

    // A higher threshold lets 2 of 5 (40 %) go, not 4.
    let quarante = RegleRetrait {
        seuil_pourcent: 40.0,
        retirer_absents: false,
    };
    let message = arrete(
        annuaire
            .importer_avec(demande("ville", fichier(&valides(1), "\n")), quarante)
            .await,
    );
    assert!(message.contains("--seuil-retrait 80"), "{message}");
    let r = annuaire
        .importer_avec(demande("ville", fichier(&valides(3), "\n")), quarante)
        .await
        .expect("40 % allowed");
    assert_eq!(r.bilan.retired, 2);
    // One of three at the default threshold is 33 %: refused; 1 of 5 would have passed.
    arrete(
        annuaire
            .importer(demande("ville", fichier(&valides(2), "\n")))
            .await,
    );
    assert_eq!(actifs(&annuaire, "ville").await, 3);
    // Another source is never counted.
    annuaire
        .importer(demande(
            "asso",
            fichier(&[ligne("z", "Cyber-base Empalot", 6)], "\n"),
        ))
        .await
        .expect("other source");
    assert_eq!(actifs(&annuaire, "ville").await, 3);
}

#[tokio::test]
async fn faille_import_sans_ligne_acceptee_ne_retire_rien_sqlite() {
    rien_d_accepte_ne_retire_rien(crate::ouvrir("sqlite::memory:").await.expect("open")).await;
}

#[tokio::test]
async fn faille_import_sans_ligne_acceptee_ne_retire_rien_postgres() {
    let db = TestDatabase::create().await;
    rien_d_accepte_ne_retire_rien(crate::ouvrir(&db.url).await.expect("open")).await;
    db.drop_database().await;
}

#[tokio::test]
async fn faille_import_seuil_de_retrait_sqlite() {
    seuil_de_retrait(crate::ouvrir("sqlite::memory:").await.expect("open")).await;
}

#[tokio::test]
async fn faille_import_seuil_de_retrait_postgres() {
    let db = TestDatabase::create().await;
    seuil_de_retrait(crate::ouvrir(&db.url).await.expect("open")).await;
    db.drop_database().await;
}

// ---------------------------------------------------------------------------------------
// Item 4: field length limits

#[tokio::test]
async fn faille_import_champ_trop_long_rejete() {
    let annuaire = crate::ouvrir("sqlite::memory:").await.expect("open");
    let geant = "A".repeat(2_000_000);
    let mut lignes = valides(3);
    lignes[1] = ligne("2", &geant, 2);
    let r = annuaire
        .importer(demande("ville", fichier(&lignes, "\n")))
        .await
        .expect("import");
    assert_eq!(
        (r.rapport.lus, r.rapport.acceptes, r.rapport.rejetes),
        (3, 2, 1)
    );
    let remarque = r
        .rapport
        .remarques
        .iter()
        .find(|m| m.gravite == Gravite::Rejet)
        .expect("a rejection");
    assert_eq!(remarque.enregistrement, 3, "line 3 of the file");
    assert_eq!(remarque.champ, "nom");
    assert!(
        remarque
            .message
            .contains("2 000 000 caractères, 300 au plus"),
        "{}",
        remarque.message
    );
    assert!(remarque.message.len() < 200, "the value is not quoted");
    for f in annuaire.lieux_publies(None).await.expect("lieux") {
        assert!(f.lieu.nom.len() <= 300);
    }

    // JSON: by record number; a huge id is not copied into the report either.
    let json = format!(
        r#"[{{"id":"{geant}","nom":"Cyber-base Empalot","adresse":"1 rue","code_postal":"31000",
            "commune":"Toulouse","date_maj":"2026-10-01"}},
           {{"id":"ok","nom":"Cyber-base Empalot","adresse":"1 rue","code_postal":"31000",
            "commune":"Toulouse","date_maj":"2026-10-01","presentation_detail":"{}"}}]"#,
        "é".repeat(10_001)
    );
    let r = annuaire
        .importer_avec(
            DemandeImport {
                source: "json".into(),
                format: Some(Format::V1Json),
                nom_fichier: "j.json".into(),
                contenu: json.into_bytes(),
            },
            RegleRetrait {
                retirer_absents: true,
                ..RegleRetrait::default()
            },
        )
        .await
        .expect("import");
    assert_eq!((r.rapport.lus, r.rapport.rejetes), (2, 2));
    let par_champ: Vec<(usize, &str)> = r
        .rapport
        .remarques
        .iter()
        .map(|m| (m.enregistrement, m.champ.as_str()))
        .collect();
    assert_eq!(par_champ, [(1, "id"), (2, "presentation_detail")]);
    let rapport = serde_json::to_string(&r.rapport).expect("json");
    assert!(rapport.len() < 5_000, "report of {} bytes", rapport.len());
}

// ---------------------------------------------------------------------------------------
// Item 14: CRLF line numbers

#[tokio::test]
async fn faille_import_crlf_numeros_de_ligne() {
    let annuaire = crate::ouvrir("sqlite::memory:").await.expect("open");
    let mut lignes = valides(4);
    // Line 3: no address; lines 4-5: a name over two lines (quoted); line 7: no name.
    lignes[1] = "2,Sans adresse,,31000,Toulouse,43.6,1.44,2026-10-01".to_string();
    lignes[2] = ligne("3", "\"Centre social\nBagatelle\"", 3);
    lignes.push(ligne("5", "", 5));
    let rejets = |fin: &str| {
        let annuaire = annuaire.clone();
        let contenu = fichier(&lignes, fin).replace_nl(fin);
        async move {
            let r = annuaire
                .importer_avec(
                    demande("crlf", contenu),
                    RegleRetrait {
                        retirer_absents: true,
                        ..RegleRetrait::default()
                    },
                )
                .await
                .expect("import");
            r.rapport
                .remarques
                .iter()
                .filter(|m| m.gravite == Gravite::Rejet)
                .map(|m| (m.enregistrement, m.champ.clone()))
                .collect::<Vec<_>>()
        }
    };
    let attendu = vec![(3, "adresse".to_string()), (7, "nom".to_string())];
    assert_eq!(rejets("\n").await, attendu, "LF");
    assert_eq!(rejets("\r\n").await, attendu, "CRLF");
}

trait RemplacerFinDeLigne {
    fn replace_nl(self, fin: &str) -> Vec<u8>;
}

impl RemplacerFinDeLigne for Vec<u8> {
    /// Every line end (also inside quoted cells) becomes `fin`.
    fn replace_nl(self, fin: &str) -> Vec<u8> {
        String::from_utf8(self)
            .expect("utf-8")
            .replace("\r\n", "\n")
            .replace('\n', fin)
            .into_bytes()
    }
}

// ---------------------------------------------------------------------------------------
// Item 10: a crash between the import and its re-merge

/// A store whose process "dies" when it publishes the re-merged directory: every call is
/// passed on, except that publication (a publication session dies at its commit, after its
/// batches were written in its transaction).
struct CrashAvantFusion(Arc<dyn LieuxStore>);

/// A publication session that dies before its commit: its transaction is dropped.
struct PublicationTuee(Box<dyn PublishSession>);

#[async_trait]
impl PublishSession for PublicationTuee {
    async fn merge_state(&mut self) -> StoreResult<MergeState> {
        self.0.merge_state().await
    }
    async fn active_source_records_page(
        &mut self,
        after: Option<(&str, &str)>,
        limit: i64,
    ) -> StoreResult<Vec<SourceRecord>> {
        self.0.active_source_records_page(after, limit).await
    }
    async fn add(&mut self, lieux: Vec<MergedLieuRow>) -> StoreResult<()> {
        self.0.add(lieux).await
    }
    async fn finish(self: Box<Self>, _: Option<i64>) -> StoreResult<PublishSummary> {
        drop(self.0);
        Err(StoreError::Database("process killed".into()))
    }
    async fn abort(self: Box<Self>) -> StoreResult<()> {
        self.0.abort().await
    }
    async fn lieu_ids(&mut self) -> StoreResult<maillage_store::LieuIdsState> {
        self.0.lieu_ids().await
    }
    async fn save_lieu_ids(&mut self, changes: maillage_store::LieuIdsChanges) -> StoreResult<()> {
        self.0.save_lieu_ids(changes).await
    }
}

#[async_trait]
impl LieuxStore for CrashAvantFusion {
    async fn apply_import_guarded(
        &self,
        records: Vec<SourceRecord>,
        report: NewImportReport,
        guard: ImportGuard,
    ) -> StoreResult<ImportSummary> {
        self.0.apply_import_guarded(records, report, guard).await
    }
    async fn begin_import(
        &self,
        source: &str,
        guard: ImportGuard,
    ) -> StoreResult<Box<dyn ImportSession>> {
        self.0.begin_import(source, guard).await
    }
    async fn merge_state(&self) -> StoreResult<MergeState> {
        self.0.merge_state().await
    }
    async fn begin_publish(&self) -> StoreResult<Box<dyn PublishSession>> {
        Ok(Box::new(PublicationTuee(self.0.begin_publish().await?)))
    }
    async fn active_source_records_page(
        &self,
        after: Option<(&str, &str)>,
        limit: i64,
    ) -> StoreResult<Vec<SourceRecord>> {
        self.0.active_source_records_page(after, limit).await
    }
    async fn replace_merged_lieux_at(&self, _: Vec<MergedLieuRow>, _: i64) -> StoreResult<()> {
        Err(StoreError::Database("process killed".into()))
    }
    async fn publish_merged_lieux(
        &self,
        _: Vec<MergedLieuRow>,
        _: Option<i64>,
    ) -> StoreResult<PublishSummary> {
        Err(StoreError::Database("process killed".into()))
    }
    async fn latest_import_id(&self) -> StoreResult<Option<i64>> {
        self.0.latest_import_id().await
    }
    async fn source_records(&self, active_only: bool) -> StoreResult<Vec<StoredSourceRecord>> {
        self.0.source_records(active_only).await
    }
    async fn source_record(
        &self,
        source: &str,
        source_id: &str,
    ) -> StoreResult<Option<StoredSourceRecord>> {
        self.0.source_record(source, source_id).await
    }
    async fn sources(&self) -> StoreResult<Vec<(String, i64)>> {
        self.0.sources().await
    }
    async fn replace_merged_lieux(&self, _: Vec<MergedLieuRow>) -> StoreResult<()> {
        Err(StoreError::Database("process killed".into()))
    }
    async fn merged_lieux(&self) -> StoreResult<Vec<MergedLieuRow>> {
        self.0.merged_lieux().await
    }
    async fn merged_lieu(&self, id: &str) -> StoreResult<Option<MergedLieuRow>> {
        self.0.merged_lieu(id).await
    }
    async fn merged_lieu_by_member(&self, member_ref: &str) -> StoreResult<Option<MergedLieuRow>> {
        self.0.merged_lieu_by_member(member_ref).await
    }
    async fn count_merged_lieux(&self) -> StoreResult<i64> {
        self.0.count_merged_lieux().await
    }
    async fn lieu_id_redirect(&self, old_id: &str) -> StoreResult<Option<String>> {
        self.0.lieu_id_redirect(old_id).await
    }
    async fn set_pair_decision(&self, decision: PairDecision) -> StoreResult<()> {
        self.0.set_pair_decision(decision).await
    }
    async fn pair_decisions(&self) -> StoreResult<Vec<PairDecision>> {
        self.0.pair_decisions().await
    }
    async fn import_reports(&self, limit: i64) -> StoreResult<Vec<ImportReportRow>> {
        self.0.import_reports(limit).await
    }
    async fn add_signalement(&self, signalement: NewSignalement) -> StoreResult<i64> {
        self.0.add_signalement(signalement).await
    }
    async fn signalements(
        &self,
        lieu_id: Option<&str>,
        only_open: bool,
        limit: i64,
    ) -> StoreResult<Vec<SignalementRow>> {
        self.0.signalements(lieu_id, only_open, limit).await
    }
    async fn decide_signalement(
        &self,
        id: i64,
        decision: &str,
        par: Option<i64>,
        note: Option<&str>,
    ) -> StoreResult<bool> {
        self.0.decide_signalement(id, decision, par, note).await
    }
    async fn remove_pair_decision(
        &self,
        ref_a: &str,
        ref_b: &str,
        by: &str,
        at: chrono::DateTime<chrono::Utc>,
        note: Option<String>,
    ) -> StoreResult<bool> {
        self.0
            .remove_pair_decision(ref_a, ref_b, by, at, note)
            .await
    }
    async fn pair_decisions_history(
        &self,
        limit: i64,
    ) -> StoreResult<Vec<maillage_store::PairDecisionEvent>> {
        self.0.pair_decisions_history(limit).await
    }
    async fn add_import_en_attente(
        &self,
        import: maillage_store::NewImportEnAttente,
    ) -> StoreResult<()> {
        self.0.add_import_en_attente(import).await
    }
    async fn import_en_attente(
        &self,
        jeton: &str,
    ) -> StoreResult<Option<maillage_store::ImportEnAttenteRow>> {
        self.0.import_en_attente(jeton).await
    }
    async fn marquer_import_applique(
        &self,
        jeton: &str,
        import_id: Option<i64>,
        rapport_json: &str,
    ) -> StoreResult<bool> {
        self.0
            .marquer_import_applique(jeton, import_id, rapport_json)
            .await
    }
    async fn purger_imports_en_attente(
        &self,
        avant: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<u64> {
        self.0.purger_imports_en_attente(avant).await
    }
    async fn set_signalement_traite(&self, id: i64, traite: bool) -> StoreResult<bool> {
        self.0.set_signalement_traite(id, traite).await
    }
}

async fn fusion_interrompue_reprise(url: &str) {
    let annuaire = crate::ouvrir(url).await.expect("open");
    annuaire
        .importer(demande("ville", fichier(&valides(2), "\n")))
        .await
        .expect("first import");
    assert!(!annuaire.fusion_en_attente().await.expect("state"));
    assert_eq!(
        annuaire.reprendre_fusion().await.expect("nothing to do"),
        None
    );

    // The CLI imports 4 more places and dies before the re-merge is written.
    let store = maillage_cli::stockage::ouvrir_store(url)
        .await
        .expect("open");
    let mourant = Annuaire::new(Arc::new(CrashAvantFusion(store as Arc<dyn LieuxStore>)));
    mourant
        .importer(demande("ville", fichier(&valides(6), "\n")))
        .await
        .expect_err("killed during the re-merge");
    assert_eq!(
        actifs(&annuaire, "ville").await,
        6,
        "the records are stored"
    );
    assert_eq!(publies(&annuaire).await, 2, "the directory is stale");
    assert!(annuaire.fusion_en_attente().await.expect("state"));

    // The next start (or change check) finishes the re-merge.
    let redemarre = crate::ouvrir(url).await.expect("open");
    let bilan = redemarre
        .reprendre_fusion()
        .await
        .expect("re-merge")
        .expect("a re-merge was pending");
    assert_eq!(bilan.lieux_publies, 6);
    assert_eq!(publies(&redemarre).await, 6);
    assert!(!redemarre.fusion_en_attente().await.expect("state"));
    assert_eq!(redemarre.reprendre_fusion().await.expect("done"), None);
}

#[tokio::test]
async fn faille_fusion_interrompue_reprise_sqlite() {
    let dossier = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dossier.path().join("m.db").display());
    fusion_interrompue_reprise(&url).await;
}

#[tokio::test]
async fn faille_fusion_interrompue_reprise_postgres() {
    let db = TestDatabase::create().await;
    fusion_interrompue_reprise(&db.url).await;
    db.drop_database().await;
}

//! The directory's use cases end to end, on SQLite and on PostgreSQL: import in one
//! transaction, re-import that changes nothing, updated file (update, add, retire), coordinator
//! decisions persisted and respected by the re-merge, export by territory.

use maillage_annuaire::annuaire::{Annuaire, DemandeImport, RegleRetrait};
use maillage_annuaire::doublons::Decision;
use maillage_annuaire::export::FormatExport;
use maillage_annuaire::import::Format;
use maillage_store_postgres::testing::TestDatabase;
use maillage_territoire::Referentiel;

const HEADER: &str = "id,pivot,nom,commune,code_postal,code_insee,adresse,complement_adresse,latitude,longitude,typologie,telephone,courriels,site_web,horaires,presentation_resume,presentation_detail,source,itinerance,structure_parente,date_maj,services,publics_specifiquement_adresses,prise_en_charge_specifique,frais_a_charge,dispositif_programmes_nationaux,formations_labels,autres_formations_labels,modalites_acces,modalites_accompagnement,fiche_acces_libre,prise_rdv";

#[allow(clippy::too_many_arguments)]
fn row(
    id: &str,
    nom: &str,
    adresse: &str,
    cp: &str,
    insee: &str,
    commune: &str,
    lat: f64,
    lon: f64,
    tel: &str,
    date: &str,
) -> String {
    format!(
        "{id},00000000000000,{nom},{commune},{cp},{insee},{adresse},,{lat},{lon},,{tel},,,Mo-Fr 09:00-12:00,,,,,,{date},Aide aux démarches administratives,,,Gratuit,,,,,,,"
    )
}

fn csv(rows: &[String]) -> Vec<u8> {
    let mut s = String::from(HEADER);
    for r in rows {
        s.push('\n');
        s.push_str(r);
    }
    s.push('\n');
    s.into_bytes()
}

fn demande(source: &str, contenu: Vec<u8>) -> DemandeImport {
    DemandeImport {
        source: source.into(),
        format: Some(Format::V1Csv),
        nom_fichier: "lieux.csv".into(),
        contenu,
    }
}

fn toulouse_a() -> String {
    row(
        "a",
        "Espace numérique du Capitole",
        "1 place du Capitole",
        "31000",
        "31555",
        "Toulouse",
        43.6045,
        1.4440,
        "0561000000",
        "2024-01-10",
    )
}
fn toulouse_b() -> String {
    row(
        "b",
        "Médiathèque José Cabanis",
        "1 allée Jacques Chaban-Delmas",
        "31500",
        "31555",
        "Toulouse",
        43.6112,
        1.4554,
        "0562000000",
        "2024-01-10",
    )
}
fn albi_c() -> String {
    row(
        "c",
        "Centre social de Cantepau",
        "10 rue de Cantepau",
        "81000",
        "81004",
        "Albi",
        43.9310,
        2.1620,
        "0563000000",
        "2024-01-10",
    )
}
/// The same place as `toulouse_a`, published by another source.
fn toulouse_a_bis() -> String {
    row(
        "x1",
        "Espace Numerique du Capitole",
        "1 pl. du Capitole",
        "31000",
        "31555",
        "Toulouse",
        43.60455,
        1.44405,
        "05 61 00 00 00",
        "2024-03-01",
    )
}

async fn cycle(annuaire: Annuaire) {
    // First import: three places, three published places.
    let r = annuaire
        .importer(demande(
            "ville",
            csv(&[toulouse_a(), toulouse_b(), albi_c()]),
        ))
        .await
        .expect("import");
    assert_eq!(
        (r.rapport.lus, r.rapport.acceptes, r.rapport.rejetes),
        (3, 3, 0)
    );
    assert_eq!(
        (
            r.bilan.added,
            r.bilan.updated,
            r.bilan.unchanged,
            r.bilan.retired
        ),
        (3, 0, 0, 0)
    );
    assert_eq!(r.fusion.lieux_publies, 3);
    let ids_avant: Vec<String> = annuaire
        .lieux_publies(None)
        .await
        .expect("lieux")
        .into_iter()
        .map(|f| f.id)
        .collect();

    // Same file again: nothing changes, same published ids.
    let r = annuaire
        .importer(demande(
            "ville",
            csv(&[toulouse_a(), toulouse_b(), albi_c()]),
        ))
        .await
        .expect("re-import");
    assert_eq!(
        (
            r.bilan.added,
            r.bilan.updated,
            r.bilan.unchanged,
            r.bilan.retired
        ),
        (0, 0, 3, 0)
    );
    let ids_apres: Vec<String> = annuaire
        .lieux_publies(None)
        .await
        .expect("lieux")
        .into_iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(ids_avant, ids_apres);

    // Updated file: b changed, c gone, d new.
    let b_modifie = toulouse_b().replace("0562000000", "0562999999");
    let d = row(
        "d",
        "France services de Muret",
        "2 place de la République",
        "31600",
        "31395",
        "Muret",
        43.4612,
        1.3270,
        "",
        "2024-02-01",
    );
    // Retiring 1 of 3 records is over the default threshold (20 %): refused, then asked for.
    let err = annuaire
        .importer(demande(
            "ville",
            csv(&[toulouse_a(), b_modifie.clone(), d.clone()]),
        ))
        .await
        .expect_err("over the retirement threshold");
    assert!(err.to_string().contains("retirerait 1 des 3"), "{err}");
    let r = annuaire
        .importer_avec(
            demande("ville", csv(&[toulouse_a(), b_modifie, d])),
            RegleRetrait {
                retirer_absents: true,
                ..RegleRetrait::default()
            },
        )
        .await
        .expect("updated import");
    assert_eq!(
        (
            r.bilan.added,
            r.bilan.updated,
            r.bilan.unchanged,
            r.bilan.retired
        ),
        (1, 1, 1, 1)
    );
    let noms: Vec<String> = annuaire
        .lieux_publies(None)
        .await
        .expect("lieux")
        .into_iter()
        .map(|f| f.lieu.nom)
        .collect();
    assert!(
        !noms.iter().any(|n| n.contains("Cantepau")),
        "retired place still published: {noms:?}"
    );
    assert!(noms.iter().any(|n| n.contains("Muret")));
    let b = annuaire
        .lieu_publie("ville#b")
        .await
        .expect("get")
        .expect("b published");
    assert_eq!(
        b.lieu.telephone.map(|t| t.to_string()).as_deref(),
        Some("+33562999999")
    );

    // Another source publishes place a again: merged into one, most recent values win.
    let r = annuaire
        .importer(demande("asso", csv(&[toulouse_a_bis()])))
        .await
        .expect("second source");
    assert_eq!(r.fusion.enregistrements, 4);
    assert_eq!(r.fusion.lieux_publies, 3, "a and x1 should be merged");
    let a = annuaire
        .lieu_publie("ville#a")
        .await
        .expect("get")
        .expect("a");
    assert_eq!(
        a.membres,
        vec!["asso#x1".to_string(), "ville#a".to_string()]
    );
    assert_eq!(a.lieu.date_maj.to_string(), "2024-03-01");
    assert_eq!(a.provenance_de("nom"), Some("asso#x1"));

    // A coordinator refuses the merge: persisted, and the re-merge respects it.
    let bilan = annuaire
        .decider("ville#a", "asso#x1", Decision::Refusee, "coord", None)
        .await
        .expect("refuse");
    assert_eq!(bilan.lieux_publies, 4);
    let decisions = annuaire.store().pair_decisions().await.expect("decisions");
    assert_eq!(decisions.len(), 1);
    // Re-importing the source re-merges without ever joining the refused pair.
    let r = annuaire
        .importer(demande("asso", csv(&[toulouse_a_bis()])))
        .await
        .expect("re-import second source");
    assert_eq!(r.fusion.lieux_publies, 4);

    // Then confirms two different places: always merged.
    let bilan = annuaire
        .decider("ville#b", "ville#d", Decision::Confirmee, "coord", None)
        .await
        .expect("confirm");
    assert_eq!(bilan.lieux_publies, 3);
    // Unknown refs are refused with a French message, nothing written.
    let err = annuaire
        .decider("ville#b", "ville#zzz", Decision::Confirmee, "coord", None)
        .await
        .expect_err("unknown ref");
    assert!(err.to_string().contains("aucun enregistrement"), "{err}");
    assert_eq!(
        annuaire
            .store()
            .pair_decisions()
            .await
            .expect("decisions")
            .len(),
        2
    );

    // Export by territory: Albi's place is retired, Haute-Garonne has the rest.
    let referentiel = Referentiel::embedded();
    let dep31 = referentiel.territoire("dep:31").expect("dep:31");
    let (bytes, n) = annuaire
        .exporter(FormatExport::Csv, Some(&dep31))
        .await
        .expect("export");
    assert_eq!(n, 3);
    let text = String::from_utf8(bytes).expect("utf-8");
    assert_eq!(text.lines().count(), 4);
    let dep81 = referentiel.territoire("dep:81").expect("dep:81");
    let (_, n) = annuaire
        .exporter(FormatExport::Json, Some(&dep81))
        .await
        .expect("export");
    assert_eq!(n, 0);

    // A file that cannot be read writes nothing.
    let avant = annuaire
        .store()
        .source_records(false)
        .await
        .expect("records")
        .len();
    let err = annuaire
        .importer(DemandeImport {
            source: "ville".into(),
            format: Some(Format::V1Json),
            nom_fichier: "casse.json".into(),
            contenu: b"[{\"id\": \"a\",".to_vec(),
        })
        .await
        .expect_err("broken file");
    assert!(!err.to_string().is_empty());
    assert_eq!(
        annuaire
            .store()
            .source_records(false)
            .await
            .expect("records")
            .len(),
        avant
    );
    let actifs = annuaire
        .store()
        .source_records(true)
        .await
        .expect("records")
        .len();
    assert_eq!(actifs, 4, "a broken file must not retire anything");
}

#[tokio::test]
async fn directory_cycle_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("maillage-cycle-{}", std::process::id()));
    let url = format!("sqlite://{}/m.db", dir.display());
    let annuaire = crate::ouvrir(&url).await.expect("open sqlite");
    cycle(annuaire).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn directory_cycle_on_postgres() {
    let db = TestDatabase::create().await;
    let annuaire = crate::ouvrir(&db.url).await.expect("open postgres");
    cycle(annuaire).await;
    db.drop_database().await;
}

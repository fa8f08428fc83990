//! Issue « Première utilisation réelle », the public search as a person lives it: communes
//! without a centroid (Nouméa, Papeete, Mata-Utu), no place near for the need, typos in the
//! commune, « samedi matin », ticks kept across pages, the map of the results.
//!
//! The directory is built through the product (imports, as `maillage lieux importer` does):
//! the bundled file of Nouvelle-Calédonie, and a small file of places written here.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use maillage_annuaire::annuaire::{gunzip, DemandeImport};
use maillage_web::{router, AppState, Site};
use scraper::{ElementRef, Html, Selector};
use tower::ServiceExt;

const NOUVELLE_CALEDONIE: &[u8] =
    include_bytes!("../../../../data/lieux/nouvelle-caledonie_2024-03.json.gz");

const DEMARCHES: &str = "Aide aux démarches administratives";
const INSERTION: &str = "Insertion professionnelle via le numérique";

/// Places of the test file: id, name, postal code, commune, latitude, longitude, services,
/// opening hours.
fn lieux_de_test() -> Vec<[String; 8]> {
    let mut lieux: Vec<[String; 8]> = [
        (
            "papeete",
            "Médiathèque de Papeete",
            "98714",
            "Papeete",
            "-17.5350",
            "-149.5696",
            DEMARCHES,
            "",
        ),
        (
            "matautu",
            "Point numérique de Mata-Utu",
            "98600",
            "Mata-Utu",
            "-13.2825",
            "-176.1736",
            DEMARCHES,
            "",
        ),
        (
            "paris-emploi",
            "Espace emploi numérique de Paris",
            "75011",
            "Paris",
            "48.8590",
            "2.3790",
            INSERTION,
            "Mo-Fr 09:00-17:00",
        ),
        (
            "samedi-matin",
            "Atelier du samedi matin",
            "31000",
            "Toulouse",
            "43.6050",
            "1.4450",
            DEMARCHES,
            "Sa 09:00-12:00",
        ),
        (
            "samedi-aprem",
            "Atelier du samedi après-midi",
            "31000",
            "Toulouse",
            "43.6040",
            "1.4430",
            DEMARCHES,
            "Sa 14:00-18:00",
        ),
    ]
    .iter()
    .map(|(a, b, c, d, e, f, g, h)| [a, b, c, d, e, f, g, h].map(|x| x.to_string()))
    .collect();
    // Enough places in Toulouse for two pages of results (distinct names, addresses and
    // positions, so that they are not merged as duplicates).
    for (k, quartier) in QUARTIERS.iter().enumerate() {
        let k = k as f64;
        lieux.push([
            format!("toulouse-{k}"),
            format!("{quartier}, espace numérique"),
            "31000".into(),
            "Toulouse".into(),
            format!("{:.4}", 43.60 + k * 0.004),
            format!("{:.4}", 1.44 + (k % 5.0) * 0.006),
            format!("{DEMARCHES}|Maîtrise des outils numériques du quotidien"),
            "Mo-Fr 09:00-12:00,14:00-17:00".into(),
        ]);
    }
    lieux
}

const QUARTIERS: [&str; 30] = [
    "Capitole",
    "Carmes",
    "Saint-Cyprien",
    "Minimes",
    "Rangueil",
    "Bagatelle",
    "Mirail",
    "Purpan",
    "Lardenne",
    "Croix-Daurade",
    "Borderouge",
    "Jolimont",
    "Saint-Agne",
    "Empalot",
    "Montaudran",
    "Lalande",
    "Sept-Deniers",
    "Amidonniers",
    "Patte-d'Oie",
    "Arènes",
    "Bonnefoy",
    "Compans",
    "Marengo",
    "Matabiau",
    "Busca",
    "Pont-des-Demoiselles",
    "Guilheméry",
    "Côte-Pavée",
    "Soupetard",
    "Reynerie",
];

/// A place of the Toulouse districts above.
fn quartier(nom: &str) -> bool {
    nom.ends_with(", espace numérique")
}

fn fichier_csv() -> Vec<u8> {
    let mut s = String::from(
        "id,nom,adresse,code_postal,commune,latitude,longitude,date_maj,services,horaires\n",
    );
    for [id, nom, cp, commune, lat, lon, services, horaires] in lieux_de_test() {
        s.push_str(&format!(
            "{id},\"{nom}\",\"{} rue {}\",{cp},{commune},{lat},{lon},2026-10-01,{services},\"{horaires}\"\n",
            id.len(),
            nom.replace(", espace numérique", "")
        ));
    }
    s.into_bytes()
}

async fn etat() -> (tempfile::TempDir, AppState) {
    let dossier = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dossier.path().join("m.db").display());
    let annuaire = maillage_cli::stockage::ouvrir(&url).await.expect("open");
    for (source, nom, contenu) in [
        (
            "nouvelle-caledonie",
            "nouvelle-caledonie_2024-03.json",
            gunzip(NOUVELLE_CALEDONIE).expect("gzip"),
        ),
        ("essai", "essai_2026-10-01.csv", fichier_csv()),
    ] {
        annuaire
            .annuaire()
            .importer(DemandeImport {
                source: source.into(),
                format: None,
                nom_fichier: nom.into(),
                contenu,
            })
            .await
            .expect("import");
    }
    let state = AppState::new(annuaire, Site::default())
        .await
        .expect("state");
    (dossier, state)
}

async fn page(state: &AppState, uri: &str) -> (StatusCode, String) {
    // As a browser sends it: spaces and letters beyond ASCII percent-encoded.
    let mut encodee = String::with_capacity(uri.len());
    for c in uri.chars() {
        if c.is_ascii() && c != ' ' {
            encodee.push(c);
        } else {
            let mut octets = [0u8; 4];
            for o in c.encode_utf8(&mut octets).bytes() {
                encodee.push_str(&format!("%{o:02X}"));
            }
        }
    }
    let uri = encodee;
    let r = router(state.clone())
        .oneshot(Request::get(&uri).body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = r.status();
    let corps = r
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    (status, String::from_utf8_lossy(&corps).into_owned())
}

async fn html(state: &AppState, uri: &str) -> Html {
    let (status, corps) = page(state, uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {corps}");
    let h = Html::parse_document(&corps);
    aucun_lieu_lointain_sans_le_dire(&h, uri);
    h
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

fn texte(e: ElementRef) -> String {
    e.text().collect::<String>()
}

fn textes(h: &Html, s: &str) -> Vec<String> {
    h.select(&sel(s))
        .map(|e| texte(e).trim().to_string())
        .collect()
}

fn attributs(h: &Html, s: &str, a: &str) -> Vec<String> {
    h.select(&sel(s))
        .filter_map(|e| e.value().attr(a).map(str::to_string))
        .collect()
}

/// `737 km` → 737 000, `1,2 km` → 1 200, `350 m` → 350.
fn metres(d: &str) -> f64 {
    let n: String = d
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == ',')
        .collect();
    let x: f64 = n.replace(',', ".").parse().unwrap_or(f64::NAN);
    if d.contains("km") {
        x * 1000.0
    } else {
        x
    }
}

/// The rule of the issue: no place beyond 50 km is listed as a result without the far-away
/// wording; and distances say they are as the crow flies.
fn aucun_lieu_lointain_sans_le_dire(h: &Html, uri: &str) {
    for carte in h.select(&sel("li.resultat")) {
        let t = texte(carte);
        let Some(d) = carte.select(&sel(".distance")).next() else {
            continue;
        };
        assert!(t.contains("à vol d'oiseau"), "{uri}: {t}");
        if metres(&texte(d)) > 50_000.0 {
            assert!(
                t.contains("loin de chez vous"),
                "{uri}: far place unflagged: {t}"
            );
        }
    }
}

fn noms(h: &Html) -> Vec<String> {
    textes(h, "li.resultat h2")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn premiere_utilisation_communes_sans_centroide() {
    let (_d, state) = etat().await;

    // Nouméa, by name and by postal code: found, and its places listed nearest first.
    for ou in ["Nouméa", "98800", "noumea", "Nouméa (98800)"] {
        let h = html(&state, &format!("/lieux?ou={ou}")).await;
        let titre = textes(&h, "h1").concat();
        assert!(titre.contains("Nouméa"), "{ou}: {titre}");
        let cartes = noms(&h);
        assert_eq!(cartes.len(), 20, "{ou}: a full page of Nouméa's places");
        let adresses = textes(&h, "li.resultat .adresse");
        assert!(
            adresses
                .iter()
                .filter(|a| a.contains("Nouméa") || a.contains("NOUMEA") || a.contains("noumea"))
                .count()
                >= 10,
            "{adresses:?}"
        );
        let distances: Vec<f64> = textes(&h, "li.resultat .distance")
            .iter()
            .map(|d| metres(d))
            .collect();
        assert!(distances[0] < 10_000.0, "{distances:?}");
        assert!(!textes(&h, "[role=status]")
            .concat()
            .contains("Nous ne trouvons pas"));
    }
    // The question « Où ? » lets Nouméa through (it used to send the person back).
    let h = html(
        &state,
        &format!("/?besoin={DEMARCHES}&ou=Nouméa&etape=quand"),
    )
    .await;
    assert!(textes(&h, "[role=alert]").is_empty());
    assert_eq!(textes(&h, "legend"), vec!["Quand voulez-vous y aller ?"]);

    // Papeete and Mata-Utu (the chef-lieu of Uvea, Wallis) list their places.
    for (ou, attendu) in [
        ("Papeete", "Médiathèque de Papeete"),
        ("98714", "Médiathèque de Papeete"),
        ("Mata-Utu", "Point numérique de Mata-Utu"),
        ("Uvea", "Point numérique de Mata-Utu"),
    ] {
        let h = html(&state, &format!("/lieux?ou={ou}")).await;
        assert_eq!(noms(&h).first().map(String::as_str), Some(attendu), "{ou}");
    }
    // A commune without any place nor centroid: found all the same, and told plainly.
    let h = html(&state, "/lieux?ou=Miquelon-Langlade").await;
    let message = textes(&h, "[role=status]").concat();
    assert!(!message.contains("Nous ne trouvons pas"), "{message}");
    assert!(message.contains("Saint-Pierre-et-Miquelon"), "{message}");
    // The API too.
    let (status, corps) = page(&state, "/api/v1/lieux?ou=Papeete").await;
    assert_eq!(status, StatusCode::OK, "{corps}");
    assert!(corps.contains("Médiathèque de Papeete"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn premiere_utilisation_rien_pres_pour_ce_besoin() {
    let (_d, state) = etat().await;
    let h = html(
        &state,
        &format!("/lieux?ou=Castanet-Tolosan&besoin={INSERTION}"),
    )
    .await;
    let corps = h.html();
    let message = textes(&h, "[role=status]").concat();
    assert!(
        message.contains("Aucun lieu à moins de 50 km de Castanet-Tolosan")
            && message.contains("Chercher un emploi ou une formation"),
        "{message}"
    );
    // Never a national count nor pages of far places.
    assert!(!corps.contains("en tout"));
    assert!(h.select(&sel(".pagination")).next().is_none());
    // The nearest places for any help come first (they can orient)…
    let sections = textes(&h, "h2.section-resultats");
    assert_eq!(sections.len(), 2, "{sections:?}");
    assert!(sections[0].contains("les plus proches"), "{sections:?}");
    let listes: Vec<Vec<String>> = h
        .select(&sel("ol.resultats"))
        .map(|ol| {
            ol.select(&sel("li.resultat h2"))
                .map(|e| texte(e).trim().to_string())
                .collect()
        })
        .collect();
    assert_eq!(listes[0].len(), 3, "{listes:?}");
    assert!(!listes[0].iter().any(|n| n.contains("Paris")), "{listes:?}");
    let premiers: Vec<f64> = h
        .select(&sel("ol.resultats"))
        .next()
        .map(|ol| {
            ol.select(&sel(".distance"))
                .map(|d| metres(&texte(d)))
                .collect()
        })
        .unwrap_or_default();
    assert!(premiers.iter().all(|d| *d < 50_000.0), "{premiers:?}");
    // …then the place that does list the need, flagged as far (those of Nouvelle-Calédonie,
    // 17,000 km away, are not offered).
    assert_eq!(listes[1], vec!["Espace emploi numérique de Paris"]);
    let loin = textes(&h, "li.resultat.loin");
    assert_eq!(loin.len(), 1);
    assert!(loin[0].contains("loin de chez vous") && loin[0].contains("à vol d'oiseau"));

    // With places near, nothing beyond 50 km is listed, and the count is the local one.
    let h = html(
        &state,
        &format!("/lieux?ou=Castanet-Tolosan&besoin={DEMARCHES}"),
    )
    .await;
    let resume = textes(&h, ".resume").concat();
    assert!(
        resume.contains("à moins de 50 km") && !resume.contains("en tout"),
        "{resume}"
    );
    assert!(!noms(&h)
        .iter()
        .any(|n| n.contains("Paris") || n.contains("Papeete")));
    assert!(h.select(&sel("li.resultat.loin")).next().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn premiere_utilisation_fautes_de_frappe_et_codes() {
    let (_d, state) = etat().await;
    // A typo: « Vouliez-vous dire … ? », and the link gives the results there.
    for (tape, commune) in [
        ("Saint-Gaudins", "Saint-Gaudens"),
        ("Marseile", "Marseille"),
        ("lile", "Lille"),
    ] {
        let h = html(&state, &format!("/lieux?ou={tape}&besoin={DEMARCHES}")).await;
        let proposees = textes(&h, ".suggestions a");
        assert!(
            proposees.first().is_some_and(|p| p.starts_with(commune)),
            "{tape}: {proposees:?}"
        );
        let lien = attributs(&h, ".suggestions a", "href").remove(0);
        let h = html(&state, &lien).await;
        assert!(textes(&h, "h1").concat().contains(commune), "{lien}");
        assert!(
            lien.contains("besoin="),
            "the other answers are kept: {lien}"
        );

        // The same on the question « Où ? ».
        let h = html(&state, &format!("/?ou={tape}&etape=quand")).await;
        assert!(textes(&h, "[role=alert]").concat().contains(tape));
        let proposees = textes(&h, ".suggestions a");
        assert!(
            proposees.first().is_some_and(|p| p.starts_with(commune)),
            "{proposees:?}"
        );
        let lien = attributs(&h, ".suggestions a", "href").remove(0);
        let h = html(&state, &lien).await;
        assert_eq!(
            textes(&h, "legend"),
            vec!["Quand voulez-vous y aller ?"],
            "{lien}"
        );
    }
    // A name with its postal code, in either order.
    for (ou, commune) in [
        ("Saint-Gaudens (31800)", "Saint-Gaudens"),
        ("31000 Toulouse", "Toulouse"),
    ] {
        let h = html(&state, &format!("/lieux?ou={}", urlencode(ou))).await;
        assert!(textes(&h, "h1").concat().contains(commune), "{ou}");
        let h = html(&state, &format!("/?ou={}&etape=quand", urlencode(ou))).await;
        assert!(textes(&h, "[role=alert]").is_empty(), "{ou}");
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn premiere_utilisation_samedi_matin() {
    let (_d, state) = etat().await;
    // The question « Quand ? » offers « Samedi matin » and every day and half-day.
    let h = html(&state, "/?ou=Toulouse&etape=quand").await;
    let valeurs = attributs(&h, "input[name=quand]", "value");
    assert!(valeurs.contains(&"samedi-matin".to_string()), "{valeurs:?}");
    let jours: Vec<String> = attributs(&h, "select[name=jour] option", "value")
        .into_iter()
        .filter(|v| !v.is_empty())
        .collect();
    assert_eq!(jours.len(), 21, "{jours:?}");
    assert!(jours.contains(&"mardi-apres-midi".to_string()));

    let h = html(&state, "/lieux?ou=Toulouse&quand=samedi-matin").await;
    let cartes = noms(&h);
    assert!(
        cartes.contains(&"Atelier du samedi matin".to_string()),
        "{cartes:?}"
    );
    assert!(!cartes.contains(&"Atelier du samedi après-midi".to_string()));
    assert!(!cartes.iter().any(|n| quartier(n)));
    // The card gives the hours of that morning, not the next opening from now.
    let carte = h
        .select(&sel("li.resultat"))
        .find(|c| texte(*c).contains("Atelier du samedi matin"))
        .map(texte)
        .unwrap_or_default();
    assert!(
        carte.contains("Samedi") && carte.contains("matin : 9 h – 12 h"),
        "{carte}"
    );
    assert!(textes(&h, "h1").concat().contains("samedi"));

    // « Un autre jour ou moment » with the list.
    let h = html(
        &state,
        "/lieux?ou=Toulouse&quand=autre&jour=samedi-apres-midi",
    )
    .await;
    let cartes = noms(&h);
    assert!(
        cartes.contains(&"Atelier du samedi après-midi".to_string()),
        "{cartes:?}"
    );
    assert!(!cartes.contains(&"Atelier du samedi matin".to_string()));
    let h = html(&state, "/lieux?ou=Toulouse&quand=mardi-matin").await;
    let cartes = noms(&h);
    assert!(cartes.iter().any(|n| quartier(n)));
    assert!(!cartes.iter().any(|n| n.starts_with("Atelier du samedi")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn premiere_utilisation_resultats_et_fiche() {
    let (_d, state) = etat().await;
    let base = format!(
        "/lieux?ou=Toulouse&besoin={DEMARCHES}&besoin=Maîtrise des outils numériques du quotidien&quand=mardi-matin"
    );
    let (_, corps) = page(&state, &base).await;
    let h = Html::parse_document(&corps);
    aucun_lieu_lointain_sans_le_dire(&h, &base);
    // Every need, in the person's words.
    let titre = textes(&h, "h1").concat();
    assert!(
        titre.contains("Faire une démarche en ligne")
            && titre.contains("Apprendre à me servir d'un téléphone")
            && titre.contains("près de Toulouse"),
        "{titre}"
    );
    // « Préparer une fiche » before the first result.
    let bouton = corps.find("Préparer une fiche").unwrap_or(usize::MAX);
    let premier = corps.find("class=\"resultat").unwrap_or(0);
    assert!(bouton < premier, "the sheet button is above the results");

    // Ticks survive paging: page 2 is reached through the sheet form, which carries the
    // search and the places ticked.
    let page1 = attributs(&h, "input[form=fiche][name=lieu]", "value");
    assert_eq!(page1.len(), 20);
    let suivante = h
        .select(&sel("button[name=page]"))
        .find(|b| texte(*b).contains("suivante"))
        .expect("next page button");
    assert_eq!(suivante.value().attr("form"), Some("fiche"));
    assert_eq!(suivante.value().attr("formaction"), Some("/lieux"));
    let caches: Vec<(String, String)> = h
        .select(&sel("form#fiche input[type=hidden]"))
        .filter_map(|e| {
            Some((
                e.value().attr("name")?.to_string(),
                e.value().attr("value")?.to_string(),
            ))
        })
        .collect();
    // What the browser sends when « Page suivante » is pressed with two places ticked.
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &caches {
        s.append_pair(k, v);
    }
    s.append_pair("lieu", &page1[0]);
    s.append_pair("lieu", &page1[1]);
    s.append_pair("page", "2");
    let h2 = html(&state, &format!("/lieux?{}", s.finish())).await;
    assert!(textes(&h2, "h1")
        .concat()
        .contains("Faire une démarche en ligne"));
    assert!(textes(&h2, ".pagination").concat().contains("Page 2"));
    let gardes = attributs(&h2, "form#fiche input[type=hidden][name=lieu]", "value");
    assert_eq!(gardes, vec![page1[0].clone(), page1[1].clone()]);
    // Back to page 1: they are ticked there.
    let mut s = form_urlencoded::Serializer::new(String::new());
    for e in h2.select(&sel("form#fiche input[type=hidden]")) {
        s.append_pair(
            e.value().attr("name").unwrap_or(""),
            e.value().attr("value").unwrap_or(""),
        );
    }
    s.append_pair("page", "1");
    let h1 = html(&state, &format!("/lieux?{}", s.finish())).await;
    let coches = attributs(&h1, "input[form=fiche][name=lieu][checked]", "value");
    assert_eq!(coches, vec![page1[0].clone(), page1[1].clone()]);

    // The sheet, then « Retour aux résultats »: the same search, page and ticks.
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &caches {
        s.append_pair(k, v);
    }
    s.append_pair("lieu", &page1[0]);
    s.append_pair("page", "2");
    let fiche = html(&state, &format!("/fiche?{}", s.finish())).await;
    let retour = fiche
        .select(&sel("a"))
        .find(|a| texte(*a).contains("Retour aux résultats"))
        .and_then(|a| a.value().attr("href").map(str::to_string))
        .expect("retour");
    let p: Vec<(String, String)> =
        form_urlencoded::parse(retour.split_once('?').map_or("", |x| x.1).as_bytes())
            .into_owned()
            .collect();
    for attendu in [
        ("ou", "Toulouse"),
        ("quand", "mardi-matin"),
        ("besoin", "Maîtrise des outils numériques du quotidien"),
        ("besoin", DEMARCHES),
        ("page", "2"),
        ("lieu", page1[0].as_str()),
    ] {
        assert!(
            p.contains(&(attendu.0.to_string(), attendu.1.to_string())),
            "{attendu:?} in {retour}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn premiere_utilisation_carte_des_resultats() {
    let (_d, state) = etat().await;
    let h = html(
        &state,
        &format!("/lieux?ou=Castanet-Tolosan&besoin={INSERTION}"),
    )
    .await;
    let ids: Vec<String> = attributs(&h, "li.resultat h2 a", "href");
    let lien = h
        .select(&sel("a"))
        .find(|a| texte(*a).contains("sur la carte"))
        .and_then(|a| a.value().attr("href").map(str::to_string))
        .expect("map link");
    // The map shows those very results (here, Toulouse and Paris: it frames them).
    let carte = html(&state, &lien).await;
    let sur_la_carte: Vec<String> = attributs(&carte, "table.liste-carte td a", "href")
        .into_iter()
        .collect();
    assert_eq!(sur_la_carte, ids);
    let zoom: u8 = attributs(&carte, "#carte", "data-zoom")
        .first()
        .and_then(|z| z.parse().ok())
        .unwrap_or(0);
    assert!(
        (3..=7).contains(&zoom),
        "Toulouse and Paris in one view: zoom {zoom}"
    );
    assert!(carte.select(&sel("svg.carte-svg circle")).count() >= ids.len());

    // Without JavaScript: links to zoom and pan, keeping the filters.
    let liens = attributs(&carte, "nav.deplacer a", "href");
    assert_eq!(liens.len(), 6, "{liens:?}");
    assert!(liens
        .iter()
        .all(|l| l.contains("zoom=") && l.contains("besoin=")));
    let plus = html(&state, &liens[0]).await;
    assert_eq!(
        attributs(&plus, "#carte", "data-zoom"),
        vec![(zoom + 1).to_string()]
    );
}

//! Crash safety, proven (issue « Fiabilité et exploitation », item 1): `maillage serve` is
//! killed with SIGKILL at random moments while several writers drive writes through the HTTP
//! layer, restarted on the same database, and after each restart every write the server
//! acknowledged is read back through the API and the pages (never SQL), nothing half-written
//! is visible, and `maillage journal verify` passes. `maillage import` is killed mid-way too:
//! nothing of it is visible, and a re-run completes with the right count.
//!
//! The writes, each counted when the server answered 2xx with its id:
//! - registrations to an event (public JSON API: uuid, personal code, cancellation link);
//! - pass distributions by a signed-in mediator (the page's form; journaled in the pass
//!   ledger);
//! - pass redemptions by the place's software (API key; journaled: the statement must list
//!   each with its ledger entry);
//! - activity records by the same mediator (the page's form; the record's id);
//! - mandate signatures by habilitated aidants (`/espace/mandats/nouveau`, a new person
//!   each time, the aidant's second factor again: a TOTP step once per account, else a
//!   recovery code; acknowledged by the printed copies' page with the mandate's number, its
//!   fingerprint and the person's code) and mandate uses (« Déclarer une démarche » on the
//!   mandate's page, each with a note of its own; acknowledged by the page showing its
//!   journal entry and note);
//! - survey questionnaires uploaded by the mediator's device as surveyor of a campaign
//!   (`POST /api/v1/enquete/{id}/synchro`, the session and the collection page's token, one
//!   to three questionnaires per upload, each with its UUID; acknowledged when every UUID is
//!   listed « nouveau »).
//!
//! Survey uploads are read back through the same upload, as the device's retry would be
//! (idempotent by UUID): an acknowledged one is « déjà reçu » whole; one sent when the server
//! died is found whole or not at all, never half; then the count of questionnaires that
//! `maillage enquete resultats` gives for the commune equals the number stored.
//!
//! One signature per cycle at most (a second factor is needed each time); uses fill the rest
//! of the cycle. Mandates are read back on `/verifier` (the creation entry carrying the
//! fingerprint is intact), in the person's space opened with their code (`/mon-mandat`: the
//! signature and every acknowledged use, once, at the entry number its answer showed, with
//! its note; any other use is one sent when the server died, at most once) and in the
//! structure's list (every acknowledged mandate; any other is a signature sent when the
//! server died, and has its creation entry).
//!
//! `cargo test -p maillage_cli --test cli crash_` runs 50 kills per backend (1.5 to 3 minutes
//! each on 2 loaded cores, the tests running at once); `scripts/crash.sh` runs more
//! (`MAILLAGE_CRASH_COUPURES`; the seed with `MAILLAGE_CRASH_GRAINE`). The seed is printed:
//! a failure is replayed with it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Datelike;

use crate::premiere_utilisation::{
    accepter_invitation, lien_dans, Formulaire, Instance, Navigateur, Page, Personne,
};
use crate::sauvegarde::{base_postgres, supprimer_base};

// ------------------------------------------------------------------------ seeded randomness

/// SplitMix64: a small seeded generator, so that a run is replayed from its printed seed.
struct Alea(u64);

impl Alea {
    fn suivant(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[min, max]`.
    fn entre(&mut self, min: u64, max: u64) -> u64 {
        min + self.suivant() % (max - min + 1)
    }
}

fn graine(nom: &str) -> u64 {
    let g = std::env::var("MAILLAGE_CRASH_GRAINE")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    println!("{nom}: seed {g} (replay with MAILLAGE_CRASH_GRAINE={g})");
    g
}

fn variable(nom: &str, defaut: usize) -> usize {
    std::env::var(nom)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(defaut)
}

// ------------------------------------------------------------------------ the instance

/// What the setup created (through the CLI, then the pages).
struct Monde {
    session: i64,
    evenement: i64,
    lieu: i64,
    cle_api: String,
    /// Passes issued and never handed out yet (the mediator takes them one by one).
    codes: Arc<Mutex<VecDeque<String>>>,
    mediateur: Personne,
    /// The place's habilitated aidants (Mandats), with their authenticator apps.
    aidants: Arc<Mutex<Aidants>>,
    /// The survey campaign the mediator collects for (Enquête).
    enquete: Enquete,
}

/// A survey campaign on Muret and what its surveyor's device knows of it: the token its page
/// gives the device (`data-csrf`) and the questionnaire's version (from `…/dossier`).
#[derive(Clone)]
struct Enquete {
    campagne: i64,
    csrf: String,
    questionnaire: i64,
}

/// How many aidants sign mandates: each signature takes a second factor again (a TOTP step
/// once per account, or one of the account's ten recovery codes), so several accounts keep
/// a signature in nearly every cycle.
const AIDANTS: usize = 3;

/// The habilitated aidants, taken in turn.
struct Aidants {
    personnes: Vec<Personne>,
    tour: usize,
}

impl Aidants {
    /// The next aidant's session cookies.
    fn cookies(&mut self) -> String {
        self.tour += 1;
        self.personnes[self.tour % self.personnes.len()]
            .nav
            .en_tete_cookies()
    }

    /// An aidant's cookies and a second factor to sign with: a TOTP step not used yet by
    /// one of them, else one of their recovery codes; `None` when every one is used (a
    /// code sent is counted as used, whether or not the server died before using it).
    fn second_facteur(&mut self) -> Option<(String, String)> {
        let n = self.personnes.len();
        self.tour += 1;
        let ordre: Vec<usize> = (0..n).map(|i| (self.tour + i) % n).collect();
        for &i in &ordre {
            let p = &mut self.personnes[i];
            if let Some(code) = p.code_du_moment() {
                return Some((p.nav.en_tete_cookies(), code));
            }
        }
        for &i in &ordre {
            let p = &mut self.personnes[i];
            if let Some(code) = p.codes_secours.pop() {
                return Some((p.nav.en_tete_cookies(), code));
            }
        }
        None
    }
}

pub(crate) fn numero_apres(texte: &str, apres: &str) -> i64 {
    texte
        .split(apres)
        .nth(1)
        .and_then(|s| {
            s.trim_start()
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or_else(|| panic!("a number after « {apres} » in:\n{texte}"))
}

/// Two places imported through the command line (source « amorce »), so that `serve` does
/// not load the bundled directory at each start.
pub(crate) fn importer_amorce(instance: &Instance, dossier: &std::path::Path) {
    let lieux = dossier.join("amorce.csv");
    std::fs::write(
        &lieux,
        "id,nom,adresse,code_postal,code_insee,commune,latitude,longitude,date_maj\n\
         a1,Espace numérique de Muret,1 allées Niel,31600,31395,Muret,43.4612,1.3270,2026-10-01\n\
         a2,Médiathèque de Blagnac,2 rue Pasteur,31700,31069,Blagnac,43.6373,1.3906,2026-10-01\n",
    )
    .expect("places file");
    instance.executer(&[
        "import",
        "--source",
        "amorce",
        "--format",
        "v1-csv",
        &lieux.display().to_string(),
    ]);
}

/// A few places (so that `serve` does not load the bundled ones at each restart), the first
/// administrator, a funder and a qualified place with a SIRET (also prescriber), a pass
/// programme, a carnet, the place's API key, an event; then `serve`, a mediator of the
/// place signed in through the pages, and [`AIDANTS`] mediators of the place habilitated
/// for Mandats (`maillage mandats habiliter`), signed in with their second factor enrolled.
async fn preparer(instance: &mut Instance, nombre_de_pass: usize) -> Monde {
    let dossier = instance.dossier().to_path_buf();
    importer_amorce(instance, &dossier);
    let sortie = instance.executer(&["mediation", "administrateur", "admin@exemple.fr"]);
    let lien_admin =
        lien_dans(&sortie, &format!("{}/invitation/", instance.base())).expect("admin link");
    let sortie = instance.executer(&[
        "mediation",
        "structure",
        "Conseil départemental de la Haute-Garonne",
        "--commune",
        "31555",
    ]);
    let financeur = numero_apres(&sortie, "créée : nº");
    let sortie = instance.executer(&[
        "mediation",
        "structure",
        "Espace numérique de Muret",
        "--siret",
        "73282932000074",
        "--commune",
        "31395",
    ]);
    let lieu = numero_apres(&sortie, "créée : nº");
    instance.executer(&[
        "mediation",
        "lieu",
        "--structure",
        &lieu.to_string(),
        "Médiathèque de Muret",
        "--commune",
        "31395",
    ]);
    let fin = format!("{}-12-31", chrono::Utc::now().year() + 1);
    let sortie = instance.executer(&[
        "pass",
        "programme",
        "--financeur",
        &financeur.to_string(),
        "--nom",
        "Pass numérique (essai de coupures)",
        "--budget",
        "10000000",
        "--valeur",
        "10",
        "--fin",
        &fin,
        "--territoire",
        "dep:31",
    ]);
    let programme = numero_apres(&sortie, "Programme n°");
    for quoi in ["qualifier", "prescripteur"] {
        instance.executer(&[
            "pass",
            quoi,
            "--programme",
            &programme.to_string(),
            "--structure",
            &lieu.to_string(),
        ]);
    }
    // Carnets of 1,000 passes at most.
    let mut codes: VecDeque<String> = VecDeque::new();
    while codes.len() < nombre_de_pass {
        let nombre = (nombre_de_pass - codes.len()).min(1000);
        let sortie = instance.executer(&[
            "pass",
            "carnet",
            "--programme",
            &programme.to_string(),
            "--nombre",
            &nombre.to_string(),
        ]);
        let avant = codes.len();
        codes.extend(
            sortie
                .lines()
                .map(str::trim)
                .filter(|l| l.len() == 14 && l.matches('-').count() == 2)
                .map(String::from),
        );
        assert_eq!(codes.len() - avant, nombre, "{sortie}");
    }
    let sortie = instance.executer(&["pass", "cle", "--structure", &lieu.to_string()]);
    let cle_api = sortie
        .split_whitespace()
        .find(|m| m.starts_with("mpk_"))
        .unwrap_or_else(|| panic!("an API key:\n{sortie}"))
        .to_string();
    let evenement = serde_json::json!({
        "titre": "Atelier numérique à Muret",
        "type": "atelier",
        "commune": "31395",
        "adresse": "Allées Niel",
        "debut": "2035-06-12T09:00:00+02:00",
        "fin": "2035-06-12T17:00:00+02:00",
        "sessions": [
            {"titre": "Premiers pas", "type": "atelier",
             "debut": "2035-06-12T10:00:00+02:00", "fin": "2035-06-12T12:00:00+02:00",
             "capacite": 100_000}
        ]
    });
    let fichier = dossier.join("evenement.json");
    std::fs::write(&fichier, evenement.to_string()).expect("event file");
    let sortie = instance.executer(&["evenements", "importer", &fichier.display().to_string()]);
    let evenement = numero_apres(&sortie, "Événement créé : n°");

    demarrer(instance).await;
    let base = instance.base();
    let (mut admin, _) = accepter_invitation(&base, &lien_admin, "Alice Admin").await;
    let sortie = instance.executer(&[
        "mediation",
        "inviter",
        "mediateur@exemple.fr",
        "--role",
        "mediateur",
        "--structure",
        &lieu.to_string(),
        "--par",
        "admin@exemple.fr",
    ]);
    let lien = lien_dans(&sortie, &format!("{base}/invitation/")).expect("mediator link");
    let (mediateur, _) = accepter_invitation(&base, &lien, "Mehdi Médiateur").await;
    let mut aidants = Vec::new();
    for k in 0..AIDANTS {
        let email = format!("aidant{k}@exemple.fr");
        let sortie = instance.executer(&[
            "mediation",
            "inviter",
            &email,
            "--role",
            "mediateur",
            "--structure",
            &lieu.to_string(),
            "--par",
            "admin@exemple.fr",
        ]);
        let lien = lien_dans(&sortie, &format!("{base}/invitation/")).expect("aidant link");
        let (aidant, _) = accepter_invitation(&base, &lien, &format!("Awa Aidante {k}")).await;
        let sortie =
            instance.executer(&["mandats", "habiliter", &email, "--par", "admin@exemple.fr"]);
        assert!(sortie.contains("est habilité·e"), "{sortie}");
        aidants.push(aidant);
    }

    let enquete = preparer_enquete(instance, &mut admin, &mediateur).await;

    let http = client();
    let v: serde_json::Value = http
        .get(format!("{base}/api/v1/evenements/{evenement}"))
        .send()
        .await
        .expect("event")
        .json()
        .await
        .expect("json");
    let session = v["sessions"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a session: {v}"));
    Monde {
        session,
        evenement,
        lieu,
        cle_api,
        codes: Arc::new(Mutex::new(codes)),
        mediateur,
        aidants: Arc::new(Mutex::new(Aidants {
            personnes: aidants,
            tour: 0,
        })),
        enquete,
    }
}

/// A survey campaign on Muret made by `maillage enquete campagne`; the administrator adds
/// the mediator as its surveyor on the campaign's page; the mediator opens the collection
/// page (its token) and the device's file (the questionnaire's version), as the offline
/// page does.
async fn preparer_enquete(
    instance: &Instance,
    admin: &mut Personne,
    mediateur: &Personne,
) -> Enquete {
    let aujourdhui = chrono::Utc::now().date_naive();
    let sortie = instance.executer(&[
        "enquete",
        "campagne",
        "--intitule",
        "Besoins numériques à Muret (essai de coupures)",
        "--territoire",
        "commune:31395",
        "--debut",
        &(aujourdhui - chrono::Days::new(1)).to_string(),
        "--fin",
        &(aujourdhui + chrono::Days::new(60)).to_string(),
        "--consentement",
        "Vos réponses restent anonymes.",
        "--menages",
        "20",
    ]);
    let campagne = numero_apres(&sortie, "Campagne n°");
    let page = admin
        .nav
        .get(&format!("/espace/enquete/{campagne}/gestion"))
        .await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    let f = page
        .formulaire(&format!(
            "form[action='/espace/enquete/{campagne}/enqueteurs']"
        ))
        .remplir("courriel", "mediateur@exemple.fr");
    let page = admin.nav.soumettre(f).await;
    assert!(
        page.corps.contains("L’enquêteur est ajouté."),
        "{}",
        page.corps
    );
    let onglet = Onglet {
        http: &client(),
        base: &instance.base(),
        cookies: mediateur.nav.en_tete_cookies(),
    };
    let page = onglet
        .get(&format!("/espace/enquete/{campagne}/collecte"))
        .await
        .expect("collection page");
    assert_eq!(page.statut, 200, "{}", page.corps);
    let csrf = page
        .attribut("#collecte", "data-csrf")
        .unwrap_or_else(|| panic!("the device's token:\n{}", page.corps));
    let dossier = onglet
        .get(&format!("/api/v1/enquete/{campagne}/dossier"))
        .await
        .expect("device file");
    let v: serde_json::Value = serde_json::from_str(&dossier.corps).expect("json");
    let questionnaire = v["questionnaire_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a questionnaire: {v}"));
    Enquete {
        campagne,
        csrf,
        questionnaire,
    }
}

/// A client that keeps no connection between requests: a connection to the killed server
/// is never reused for the next one.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

/// `maillage serve` (registration limit off: every writer comes from 127.0.0.1), waiting
/// until `/pret` says the database, the migrations and the engine are ready.
async fn demarrer(instance: &mut Instance) {
    instance.demarrer_avec(&[("MAILLAGE_LIMITE_INSCRIPTIONS_PAR_MINUTE", "0")]);
    let http = client();
    let debut = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("{}/pret", instance.base())).send().await {
            if r.status().is_success() {
                return;
            }
        }
        assert!(
            debut.elapsed() < Duration::from_secs(120),
            "not ready within 2 minutes:\n{}",
            instance.journal_serveur()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ------------------------------------------------------------------------ what was written

/// A registration the server acknowledged (201).
#[derive(Clone)]
struct Inscription {
    prenom: String,
    annulation: String,
}

/// Every write acknowledged, and those sent without an answer (the server died first: they
/// may or may not have been committed).
#[derive(Default)]
struct Registre {
    inscriptions: Vec<Inscription>,
    inscriptions_incertaines: usize,
    /// Passes distributed (acknowledged), in order; popped by the redeemer.
    a_utiliser: VecDeque<String>,
    distribues: BTreeSet<String>,
    distributions_incertaines: BTreeSet<String>,
    /// Code → redemption id.
    utilises: BTreeMap<String, i64>,
    /// Code → redemption time (for the month of the statement).
    utilises_le: BTreeMap<String, chrono::DateTime<chrono::Utc>>,
    utilisations_incertaines: BTreeSet<String>,
    activites: Vec<i64>,
    activites_incertaines: usize,
    /// Mandates signed (acknowledged: the printed copies with the number, the fingerprint
    /// and the person's code), in order.
    mandats: Vec<MandatSigne>,
    /// The persons (their names) of signatures sent without an answer.
    mandats_incertains: BTreeSet<String>,
    /// Mandate → its acknowledged uses: the journal entry of each, and its note.
    demarches: BTreeMap<i64, Vec<(i64, String)>>,
    /// Mandate → the notes of uses sent without an answer.
    demarches_incertaines: BTreeMap<i64, BTreeSet<String>>,
    /// Survey uploads the server acknowledged (every UUID « nouveau »), each as sent.
    enquetes: Vec<Vec<serde_json::Value>>,
    /// Survey uploads sent without an answer.
    enquetes_incertaines: Vec<Vec<serde_json::Value>>,
    /// How many of those were checked after a restart, and how many were found committed.
    enquetes_incertaines_vues: usize,
    enquetes_retrouvees: usize,
    /// What a writer saw that a crash does not explain (a 4xx/5xx answer).
    anomalies: Vec<String>,
}

/// A mandate the server acknowledged: the page of the printed copies (200) with its number,
/// its fingerprint and the person's code.
#[derive(Clone)]
struct MandatSigne {
    id: i64,
    /// The person's name as the structure's list shows it (« Jeanne Essai-12 »).
    personne: String,
    code: String,
    empreinte: String,
}

type Partage = Arc<Mutex<Registre>>;

fn registre(r: &Partage) -> std::sync::MutexGuard<'_, Registre> {
    r.lock().unwrap_or_else(|e| e.into_inner())
}

/// Registrations through the public API, until the server dies or `fin`.
async fn ecrire_inscriptions(
    base: String,
    session: i64,
    qui: usize,
    r: Partage,
    fin: Arc<AtomicBool>,
) {
    let http = client();
    let mut n = 0usize;
    while !fin.load(Ordering::Relaxed) {
        n += 1;
        let prenom = format!("P{qui}x{n}x{}", rand_suffixe());
        let envoi = http
            .post(format!("{base}/api/v1/sessions/{session}/inscriptions"))
            .json(&serde_json::json!({"prenom": prenom}))
            .send()
            .await;
        let reponse = match envoi {
            Ok(rep) => rep,
            Err(_) => {
                registre(&r).inscriptions_incertaines += 1;
                return;
            }
        };
        let statut = reponse.status().as_u16();
        let corps = match reponse.text().await {
            Ok(c) => c,
            Err(_) => {
                registre(&r).inscriptions_incertaines += 1;
                return;
            }
        };
        let v: serde_json::Value = serde_json::from_str(&corps).unwrap_or_default();
        let mut g = registre(&r);
        match (
            statut,
            v["id"].as_str(),
            v["annulation"].as_str(),
            v["cle"].as_str(),
        ) {
            (201, Some(id), Some(annulation), Some(cle)) if !id.is_empty() && !cle.is_empty() => {
                g.inscriptions.push(Inscription {
                    prenom,
                    annulation: annulation.to_string(),
                });
            }
            _ => g
                .anomalies
                .push(format!("registration answered {statut}: {corps}")),
        }
    }
}

/// A distinct suffix for names (the test process's clock, not the seeded generator: it only
/// makes names unique across runs).
fn rand_suffixe() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() % 100_000)
        .unwrap_or(0)
}

/// The mediator: alternately hands a pass out (distribution page) and records an activity
/// (activity form), with the session cookie of their browser.
async fn ecrire_mediateur(
    base: String,
    cookies: String,
    codes: Arc<Mutex<VecDeque<String>>>,
    r: Partage,
    fin: Arc<AtomicBool>,
) {
    let http = client();
    let get = |chemin: String| {
        let req = http
            .get(format!("{base}{chemin}"))
            .header(reqwest::header::COOKIE, cookies.clone());
        async move {
            let rep = req.send().await.ok()?;
            let statut = rep.status().as_u16();
            let url = rep.url().to_string();
            let corps = rep.text().await.ok()?;
            Some(Page { statut, url, corps })
        }
    };
    let poster = |action: String, champs: Vec<(String, String)>| {
        let corps = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(champs)
            .finish();
        let url = if action.starts_with("http") {
            action
        } else {
            format!("{base}{action}")
        };
        let req = http
            .post(url)
            .header(reqwest::header::COOKIE, cookies.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ORIGIN, base.clone())
            .body(corps);
        async move {
            let rep = req.send().await.ok()?;
            let statut = rep.status().as_u16();
            let location = rep
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(String::from);
            let corps = rep.text().await.ok()?;
            Some((statut, location, corps))
        }
    };
    while !fin.load(Ordering::Relaxed) {
        let suivant = codes.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
        let Some(code) = suivant else {
            registre(&r)
                .anomalies
                .push("the carnet is used up: issue more passes".into());
            return;
        };
        // A pass handed out.
        let Some(page) = get("/espace/pass/distribuer".into()).await else {
            return;
        };
        if page.statut != 200 {
            registre(&r)
                .anomalies
                .push(format!("distribution page {}: {}", page.statut, page.corps));
            return;
        }
        let f = page
            .formulaire("form[action='/espace/pass/distribuer']")
            .remplir("code", &code)
            .remplir("commune", "31395")
            .remplir("tranche_age", "60-69")
            .remplir("statut", "retraite");
        match poster(f.action.clone(), f.champs).await {
            Some((200, _, corps)) if corps.contains(&format!("Pass {code} remis.")) => {
                let mut g = registre(&r);
                g.distribues.insert(code.clone());
                g.a_utiliser.push_back(code);
            }
            Some((statut, _, corps)) => {
                registre(&r)
                    .anomalies
                    .push(format!("distribution of {code} answered {statut}: {corps}"));
                return;
            }
            None => {
                registre(&r).distributions_incertaines.insert(code);
                return;
            }
        }
        if fin.load(Ordering::Relaxed) {
            return;
        }
        // An activity record.
        let Some(page) = get("/espace/activites/nouvelle".into()).await else {
            return;
        };
        if page.statut != 200 {
            registre(&r)
                .anomalies
                .push(format!("activity page {}: {}", page.statut, page.corps));
            return;
        }
        let f = page
            .formulaire("form.cra")
            .remplir("duree_heures", "1")
            .remplir("duree_minutes", "20")
            .cocher("thematiques", "email");
        match poster(f.action.clone(), f.champs).await {
            Some((303, Some(vers), _)) if vers.starts_with("/espace/activites/") => {
                let id = vers
                    .trim_start_matches("/espace/activites/")
                    .split(|c: char| !c.is_ascii_digit())
                    .next()
                    .and_then(|n| n.parse::<i64>().ok());
                let mut g = registre(&r);
                match id {
                    Some(id) => g.activites.push(id),
                    None => g.anomalies.push(format!("activity saved at {vers}")),
                }
            }
            Some((statut, vers, corps)) => {
                registre(&r)
                    .anomalies
                    .push(format!("activity answered {statut} {vers:?}: {corps}"));
                return;
            }
            None => {
                registre(&r).activites_incertaines += 1;
                return;
            }
        }
    }
}

/// The place's software: redeems every distributed pass through the API.
async fn ecrire_utilisations(base: String, cle: String, r: Partage, fin: Arc<AtomicBool>) {
    let http = client();
    while !fin.load(Ordering::Relaxed) {
        let suivant = registre(&r).a_utiliser.pop_front();
        let Some(code) = suivant else {
            tokio::time::sleep(Duration::from_millis(3)).await;
            continue;
        };
        let envoi = http
            .post(format!("{base}/api/v1/pass/{code}/utilisation"))
            .bearer_auth(&cle)
            .json(&serde_json::json!({"nonce": format!("caisse-{code}")}))
            .send()
            .await;
        let reponse = match envoi {
            Ok(rep) => rep,
            Err(_) => {
                registre(&r).utilisations_incertaines.insert(code);
                return;
            }
        };
        let statut = reponse.status().as_u16();
        let Ok(corps) = reponse.text().await else {
            registre(&r).utilisations_incertaines.insert(code);
            return;
        };
        let v: serde_json::Value = serde_json::from_str(&corps).unwrap_or_default();
        let mut g = registre(&r);
        let le = v["utilise_le"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
        match (statut, v["id"].as_i64(), le) {
            (201, Some(id), Some(le)) => {
                g.utilises.insert(code.clone(), id);
                g.utilises_le.insert(code, le.with_timezone(&chrono::Utc));
            }
            _ => g
                .anomalies
                .push(format!("redemption of {code} answered {statut}: {corps}")),
        }
    }
}

/// A signed-in browser tab as the Mandats writer uses it: an aidant's session cookies, no
/// connection kept. `None` when the server did not answer (it died).
struct Onglet<'a> {
    http: &'a reqwest::Client,
    base: &'a str,
    cookies: String,
}

impl Onglet<'_> {
    async fn get(&self, chemin: &str) -> Option<Page> {
        let rep = self
            .http
            .get(format!("{}{chemin}", self.base))
            .header(reqwest::header::COOKIE, self.cookies.clone())
            .send()
            .await
            .ok()?;
        let statut = rep.status().as_u16();
        let url = rep.url().to_string();
        let corps = rep.text().await.ok()?;
        Some(Page { statut, url, corps })
    }

    /// The form sent as a browser sends it (same-site `Origin`).
    async fn poster(&self, f: Formulaire) -> Option<Page> {
        let url = if f.action.starts_with("http") {
            f.action
        } else {
            format!("{}{}", self.base, f.action)
        };
        let corps = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(f.champs)
            .finish();
        let rep = self
            .http
            .post(&url)
            .header(reqwest::header::COOKIE, self.cookies.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ORIGIN, self.base)
            .body(corps)
            .send()
            .await
            .ok()?;
        let statut = rep.status().as_u16();
        let corps = rep.text().await.ok()?;
        Some(Page { statut, url, corps })
    }
}

/// The rows of the first journal table of a page (`_journal.html`: a mandate's page, « Mon
/// mandat »): entry number, what (« Démarche faite en votre nom »…), detail (the note).
fn lignes_du_journal(corps: &str) -> Vec<(i64, String, String)> {
    let doc = scraper::Html::parse_document(corps);
    let table = scraper::Selector::parse("table.empilable").expect("selector");
    let ligne = scraper::Selector::parse("tbody tr").expect("selector");
    let cellule = |tr: &scraper::ElementRef<'_>, libelle: &str| {
        let sel =
            scraper::Selector::parse(&format!("td[data-label='{libelle}']")).expect("selector");
        tr.select(&sel)
            .next()
            .map(|td| td.text().collect::<String>().trim().to_string())
            .unwrap_or_default()
    };
    let Some(t) = doc.select(&table).next() else {
        return Vec::new();
    };
    t.select(&ligne)
        .map(|tr| {
            (
                cellule(&tr, "N°").parse().unwrap_or(0),
                cellule(&tr, "Quoi"),
                cellule(&tr, "Précision"),
            )
        })
        .collect()
}

const SIGNATURE: &str = "Signature du mandat";
const UTILISATION: &str = "Démarche faite en votre nom";

/// What the detail of a use shows for its note.
fn note_affichee(note: &str) -> String {
    format!("Note de l’aidant : {note}")
}

/// The aidants (Mandats): in each cycle, one mandate signed for a new person after
/// `signer_apres` uses (at once while none is signed yet), with a second factor at hand
/// (see [`Aidants::second_facteur`]; none left: no signature); otherwise procedures
/// declared done under the mandates acknowledged so far — the newest, and an older one in
/// turn — each with a note of its own (the mandate's page, its « utilisation » form).
async fn ecrire_mandats(
    base: String,
    aidants: Arc<Mutex<Aidants>>,
    cycle: usize,
    signer_apres: usize,
    r: Partage,
    fin: Arc<AtomicBool>,
) {
    let http = client();
    let verrou = || aidants.lock().unwrap_or_else(|e| e.into_inner());
    let mut a_signer = true;
    let mut n = 0usize;
    while !fin.load(Ordering::Relaxed) {
        let connus = registre(&r).mandats.len();
        if a_signer && (n >= signer_apres || connus == 0) {
            a_signer = false;
            let choix = verrou().second_facteur();
            match choix {
                Some((cookies, code)) => {
                    let onglet = Onglet {
                        http: &http,
                        base: &base,
                        cookies,
                    };
                    if !signer_mandat(&onglet, &code, &format!("Essai-{cycle}"), &r).await {
                        return;
                    }
                }
                None if connus == 0 => return,
                None => {}
            }
            continue;
        }
        n += 1;
        let mandat = {
            let g = registre(&r);
            let i = if n.is_multiple_of(2) {
                connus - 1
            } else {
                (n * 7919 + cycle * 104_729) % connus
            };
            g.mandats[i].id
        };
        let onglet = Onglet {
            http: &http,
            base: &base,
            cookies: verrou().cookies(),
        };
        if !utiliser_mandat(&onglet, mandat, &format!("essai {cycle}.{n}"), &r).await {
            return;
        }
    }
}

/// Signs a mandate (social, logement; 6 months) for a new person named `nom`, from the
/// form of `/espace/mandats/nouveau`, as the aidant fills it in with the person. `false`
/// when the writer stops (no answer, or an answer a crash does not explain).
async fn signer_mandat(onglet: &Onglet<'_>, code: &str, nom: &str, r: &Partage) -> bool {
    let Some(page) = onglet.get("/espace/mandats/nouveau").await else {
        return false;
    };
    if page.statut != 200 || !page.corps.contains("action=\"/espace/mandats\"") {
        registre(r)
            .anomalies
            .push(format!("mandate form {}: {}", page.statut, page.corps));
        return false;
    }
    let personne = format!("Jeanne {nom}");
    let f = page
        .formulaire("form[action='/espace/mandats']")
        .remplir("nom", nom)
        .remplir("prenoms", "Jeanne")
        .remplir("naissance", "1948-03-12")
        .remplir("piece", "cni")
        .cocher("identite_verifiee", "on")
        .decocher_tout("demarche")
        .cocher("demarche", "social")
        .cocher("demarche", "logement")
        .remplir("duree", "6m")
        .cocher("pas_de_protection", "on")
        .cocher("mentions_lues", "on")
        .cocher("consentement", "on")
        .remplir("code", code);
    let Some(page) = onglet.poster(f).await else {
        registre(r).mandats_incertains.insert(personne);
        return false;
    };
    let id = page
        .attribut("a[href^='/espace/mandats/']", "href")
        .and_then(|h| {
            h.trim_start_matches("/espace/mandats/")
                .split('/')
                .next()
                .and_then(|n| n.parse::<i64>().ok())
        });
    let code_personnel = page.texte("article.mandat .code-personnel");
    let empreinte = page.texte("article.mandat p.aide code");
    let mut g = registre(r);
    match (page.statut, id, code_personnel, empreinte) {
        (200, Some(id), Some(code), Some(empreinte))
            if page.corps.contains("Mandat signé et inscrit au journal.") =>
        {
            g.mandats.push(MandatSigne {
                id,
                personne,
                code,
                empreinte,
            });
            true
        }
        _ => {
            g.anomalies.push(format!(
                "signature of {personne}'s mandate answered {}: {}",
                page.statut, page.corps
            ));
            false
        }
    }
}

/// Declares a procedure done under `mandat` (its page's « utilisation » form, the first
/// démarche offered) with the note `note`; acknowledged when the answer says it is in the
/// journal and shows its entry (number) with the note.
async fn utiliser_mandat(onglet: &Onglet<'_>, mandat: i64, note: &str, r: &Partage) -> bool {
    let Some(page) = onglet.get(&format!("/espace/mandats/{mandat}")).await else {
        return false;
    };
    if page.statut != 200 || !page.corps.contains("value=\"utilisation\"") {
        registre(r).anomalies.push(format!(
            "mandate {mandat}'s page {}: {}",
            page.statut, page.corps
        ));
        return false;
    }
    let f = page
        .formulaire_contenant("form", "input[name=action][value=utilisation]")
        .remplir("note", note);
    let Some(page) = onglet.poster(f).await else {
        registre(r)
            .demarches_incertaines
            .entry(mandat)
            .or_default()
            .insert(note.to_string());
        return false;
    };
    let affichee = note_affichee(note);
    let entree = lignes_du_journal(&page.corps)
        .into_iter()
        .find(|(_, quoi, detail)| quoi == UTILISATION && detail.contains(&affichee))
        .map(|(seq, _, _)| seq);
    let mut g = registre(r);
    match entree {
        Some(seq)
            if page.statut == 200
                && seq > 0
                && page.corps.contains("enregistrée dans le journal") =>
        {
            g.demarches
                .entry(mandat)
                .or_default()
                .push((seq, note.to_string()));
            true
        }
        _ => {
            g.anomalies.push(format!(
                "use « {note} » of mandate {mandat} answered {}: {}",
                page.statut, page.corps
            ));
            false
        }
    }
}

// ------------------------------------------------------------------------ the checks

/// Reads back, after a restart: the registrations `inscriptions` (their cancellation pages),
/// the activity records `activites` (their pages), the state of every pass written so far,
/// the statements (each acknowledged redemption with its ledger entry), the number of
/// registrations of the session, the mandates `mandats` and the structure's list of
/// mandates ([`verifier_mandats`]), and `maillage journal verify`. Returns how many
/// unanswered signatures and uses (of the mandates read back) were committed.
async fn verifier(
    instance: &Instance,
    monde: &Monde,
    g: &Registre,
    inscriptions: &[Inscription],
    activites: &[i64],
    mandats: &[MandatSigne],
) -> (usize, usize) {
    let base = instance.base();
    let http = client();
    for i in inscriptions {
        let rep = http
            .get(format!("{base}{}", i.annulation))
            .send()
            .await
            .expect("registration page");
        let statut = rep.status().as_u16();
        let corps = rep.text().await.unwrap_or_default();
        assert!(
            statut == 200 && corps.contains(&format!("<dd>{}</dd>", i.prenom)),
            "acknowledged registration {} lost ({statut}):\n{corps}",
            i.prenom
        );
    }
    let v: serde_json::Value = http
        .get(format!("{base}/api/v1/evenements/{}", monde.evenement))
        .send()
        .await
        .expect("event")
        .json()
        .await
        .expect("json");
    let inscrits = v["sessions"][0]["inscrits"].as_u64().unwrap_or(0) as usize;
    let acquittees = g.inscriptions.len();
    assert!(
        (acquittees..=acquittees + g.inscriptions_incertaines).contains(&inscrits),
        "{inscrits} registrations visible; acknowledged {acquittees}, unanswered {}",
        g.inscriptions_incertaines
    );

    let mediateur = Onglet {
        http: &http,
        base: &base,
        cookies: monde.mediateur.nav.en_tete_cookies(),
    };
    for id in activites {
        let Page { statut, corps, .. } = mediateur
            .get(&format!("/espace/activites/{id}"))
            .await
            .expect("activity page");
        assert!(
            statut == 200 && corps.contains("1 h 20"),
            "acknowledged activity record {id} lost ({statut}):\n{corps}"
        );
    }

    // Every pass the writers touched, in a state its acknowledged writes allow.
    let etat = |code: String| {
        let http = http.clone();
        let url = format!("{base}/api/v1/pass/{code}");
        async move {
            let v: serde_json::Value = http
                .get(&url)
                .send()
                .await
                .expect("pass")
                .json()
                .await
                .expect("json");
            v["etat"].as_str().unwrap_or("").to_string()
        }
    };
    for code in &g.distribues {
        let e = etat(code.clone()).await;
        let attendu: &[&str] = if g.utilises.contains_key(code) {
            &["utilise"]
        } else if g.utilisations_incertaines.contains(code) {
            &["distribue", "utilise"]
        } else {
            &["distribue"]
        };
        assert!(
            attendu.contains(&e.as_str()),
            "pass {code}: {e}, expected one of {attendu:?}"
        );
    }
    for code in &g.distributions_incertaines {
        let e = etat(code.clone()).await;
        assert!(
            ["emis", "distribue"].contains(&e.as_str()),
            "pass {code} (distribution unanswered): {e}"
        );
    }

    // The statements: each acknowledged redemption with its ledger entry (chained, seq > 0),
    // and no redemption nobody asked for.
    let mois: BTreeSet<String> = g
        .utilises_le
        .values()
        .map(|t| {
            t.with_timezone(&chrono_tz::Europe::Paris)
                .format("%Y-%m")
                .to_string()
        })
        .collect();
    let mut au_releve: BTreeMap<String, i64> = BTreeMap::new();
    for m in &mois {
        let csv = instance.dossier().join(format!("releve-{m}.csv"));
        let _ = std::fs::remove_file(&csv);
        instance.executer(&[
            "pass",
            "releve",
            "--structure",
            &monde.lieu.to_string(),
            "--mois",
            m,
            "--csv",
            &csv.display().to_string(),
        ]);
        let texte = std::fs::read_to_string(&csv).expect("statement");
        for ligne in texte.lines().skip(1) {
            let champs: Vec<&str> = ligne.split(';').collect();
            // The redemptions' lines (not the total nor the covered entry's).
            if champs.len() == 7 && champs[2].len() == 14 && champs[2].matches('-').count() == 2 {
                let seq = champs[6].trim().parse::<i64>().unwrap_or(0);
                au_releve.insert(champs[2].to_string(), seq);
            }
        }
    }
    for code in g.utilises.keys() {
        let seq = au_releve.get(code).copied();
        assert!(
            seq.is_some_and(|s| s > 0),
            "acknowledged redemption of {code}: on the statement with ledger entry {seq:?}"
        );
    }
    for code in au_releve.keys() {
        assert!(
            g.utilises.contains_key(code) || g.utilisations_incertaines.contains(code),
            "a redemption of {code} that no writer sent"
        );
    }

    let sans_reponse = verifier_mandats(instance, monde, g, mandats).await;

    let v = instance.executer(&["journal", "verify"]);
    assert!(v.contains("Journal intact"), "{v}");
    sans_reponse
}

/// The creation entry of the mandate with fingerprint `empreinte`, as `/verifier` (where
/// the printed copy's QR code leads) shows it: the mandate `id`, and the number of an intact
/// journal entry carrying the fingerprint. Panics otherwise.
async fn entree_de_creation(http: &reqwest::Client, base: &str, id: i64, empreinte: &str) -> i64 {
    let rep = http
        .get(format!("{base}/verifier?empreinte={empreinte}"))
        .send()
        .await
        .expect("/verifier");
    let statut = rep.status().as_u16();
    let corps = rep.text().await.unwrap_or_default();
    assert!(
        statut == 200
            && corps.contains(&format!("Mandat n° {id} :"))
            && corps.contains("empreinte intacte"),
        "mandate {id} (fingerprint {empreinte}) without its intact journal entry ({statut}):\n{corps}"
    );
    numero_apres(&corps, "inscrit à l’entrée n°")
}

/// Reads back, after a restart: each mandate of `mandats` on `/verifier` (its creation
/// entry intact in the journal) and in the person's space opened with the code of their
/// copy (`/mon-mandat`: the mandate, its signature entry, every acknowledged use with its
/// entry and note, and no use nobody sent); then the structure's list of mandates, where
/// every acknowledged mandate is and any other is a signature sent when the server died,
/// with its creation entry. Returns how many of those, and how many uses sent when the
/// server died were committed.
async fn verifier_mandats(
    instance: &Instance,
    monde: &Monde,
    g: &Registre,
    mandats: &[MandatSigne],
) -> (usize, usize) {
    let base = instance.base();
    let http = client();
    let aucune = Vec::new();
    let rien = BTreeSet::new();
    let mut utilisations_sans_reponse = 0;
    for m in mandats {
        let creation = entree_de_creation(&http, &base, m.id, &m.empreinte).await;
        let mut nav = Navigateur::nouveau(&base);
        let page = nav.get("/mon-mandat").await;
        let f = page
            .formulaire_contenant("form", "input[name=action][value=ouvrir]")
            .remplir("code", &m.code);
        let page = nav.soumettre(f).await;
        assert!(
            page.statut == 200 && page.corps.contains(&format!("id=\"m{}\"", m.id)),
            "mandate {} not in the space of {} ({}):\n{}",
            m.id,
            m.personne,
            page.statut,
            page.corps
        );
        let lignes = lignes_du_journal(&page.corps);
        assert!(
            lignes
                .iter()
                .any(|(seq, quoi, _)| *seq == creation && quoi == SIGNATURE),
            "mandate {}: its signature (entry {creation}) not in the person's space: {lignes:?}",
            m.id
        );
        let acquittees = g.demarches.get(&m.id).unwrap_or(&aucune);
        let incertaines = g.demarches_incertaines.get(&m.id).unwrap_or(&rien);
        for (seq, note) in acquittees {
            let affichee = note_affichee(note);
            assert!(
                lignes
                    .iter()
                    .any(|(s, quoi, d)| s == seq && quoi == UTILISATION && d.contains(&affichee)),
                "acknowledged use « {note} » (entry {seq}) of mandate {} lost: {lignes:?}",
                m.id
            );
        }
        // Nothing else: each use once, at the entry its answer showed, or sent when the
        // server died (then at most once).
        let mut vues = BTreeSet::new();
        for (seq, quoi, detail) in &lignes {
            if quoi == SIGNATURE && *seq == creation {
                continue;
            }
            let note = detail
                .split("Note de l’aidant : ")
                .nth(1)
                .unwrap_or("")
                .trim();
            let acquittee = acquittees.iter().any(|(s, n)| s == seq && n == note);
            let envoyee = acquittee
                || (incertaines.contains(note) && !acquittees.iter().any(|(_, n)| n == note));
            if !acquittee && envoyee {
                utilisations_sans_reponse += 1;
            }
            assert!(
                quoi == UTILISATION && envoyee && vues.insert(note.to_string()),
                "mandate {}: entry {seq} « {quoi} » « {detail} » that no writer sent (or twice)",
                m.id
            );
        }
    }

    // The structure's list: every acknowledged mandate, and nothing else but signatures
    // sent when the server died (each then with its creation entry).
    let cookies = monde
        .aidants
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .cookies();
    let aidant = Onglet {
        http: &http,
        base: &base,
        cookies,
    };
    let Page { statut, corps, .. } = aidant.get("/espace/mandats").await.expect("mandates page");
    assert_eq!(statut, 200, "{corps}");
    let liste: BTreeMap<String, i64> = {
        let doc = scraper::Html::parse_document(&corps);
        let tr = scraper::Selector::parse("table tbody tr").expect("selector");
        let td = scraper::Selector::parse("td").expect("selector");
        doc.select(&tr)
            .map(|l| {
                let c: Vec<String> = l
                    .select(&td)
                    .map(|c| c.text().collect::<String>().trim().to_string())
                    .collect();
                (
                    c.get(1).cloned().unwrap_or_default(),
                    c.first().and_then(|n| n.parse().ok()).unwrap_or(0),
                )
            })
            .collect()
    };
    for m in &g.mandats {
        assert_eq!(
            liste.get(&m.personne),
            Some(&m.id),
            "acknowledged mandate {} of {} not in the structure's list",
            m.id,
            m.personne
        );
    }
    let mut sans_reponse = 0;
    for (personne, &id) in &liste {
        if g.mandats.iter().any(|m| m.id == id) {
            continue;
        }
        assert!(
            g.mandats_incertains.contains(personne),
            "mandate {id} of « {personne} » that no writer sent"
        );
        let corps = aidant
            .get(&format!("/espace/mandats/{id}/imprimer"))
            .await
            .expect("printed mandate")
            .corps;
        let empreinte = corps
            .split("Empreinte : <code>")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .unwrap_or_else(|| panic!("mandate {id}'s fingerprint:\n{corps}"))
            .to_string();
        entree_de_creation(&http, &base, id, &empreinte).await;
        sans_reponse += 1;
    }
    (sans_reponse, utilisations_sans_reponse)
}

// ------------------------------------------------------------------------ the survey

/// One upload of the surveyor's device (`POST /api/v1/enquete/{id}/synchro`, the session's
/// cookie and the page's token): `None` when the server did not answer.
async fn envoyer_questionnaires(
    http: &reqwest::Client,
    base: &str,
    cookies: &str,
    e: &Enquete,
    questionnaires: &[serde_json::Value],
) -> Option<(u16, String)> {
    let corps = serde_json::json!({ "visites": [], "questionnaires": questionnaires });
    let rep = http
        .post(format!("{base}/api/v1/enquete/{}/synchro", e.campagne))
        .header(reqwest::header::COOKIE, cookies)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("x-csrf", &e.csrf)
        .header(reqwest::header::ORIGIN, base)
        .body(corps.to_string())
        .send()
        .await
        .ok()?;
    let statut = rep.status().as_u16();
    Some((statut, rep.text().await.ok()?))
}

/// The UUIDs of an answer's list `cle` (« nouveaux », « deja_recus »).
fn uuids(reponse: &serde_json::Value, cle: &str) -> BTreeSet<String> {
    reponse[cle]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|u| u.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn uuids_envoyes(lot: &[serde_json::Value]) -> BTreeSet<String> {
    lot.iter()
        .filter_map(|q| q["uuid"].as_str().map(String::from))
        .collect()
}

/// The surveyor's device uploads questionnaires (1 to 3 at a time, each with a UUID of its
/// own) until the server dies; an upload counts as acknowledged when the answer (200) lists
/// every one of its UUIDs as « nouveaux ».
async fn ecrire_questionnaires(
    base: String,
    cookies: String,
    e: Enquete,
    cycle: usize,
    r: Partage,
    fin: Arc<AtomicBool>,
) {
    let http = client();
    let mut n = 0usize;
    while !fin.load(Ordering::Relaxed) {
        let lot: Vec<serde_json::Value> = (0..1 + n % 3)
            .map(|k| {
                let uuid = format!("5f0c6a1e-{:04x}-4000-8000-{:012x}", cycle, n * 4 + k);
                serde_json::json!({
                    "uuid": uuid,
                    "questionnaire_id": e.questionnaire,
                    "commune": "31395",
                    "reponses": {"age": "60-74", "internet_3mois": if (n + k).is_multiple_of(3) { "non" } else { "oui" }},
                    "at": chrono::Utc::now().to_rfc3339(),
                })
            })
            .collect();
        n += 1;
        let Some((statut, corps)) = envoyer_questionnaires(&http, &base, &cookies, &e, &lot).await
        else {
            registre(&r).enquetes_incertaines.push(lot);
            return;
        };
        let v: serde_json::Value = serde_json::from_str(&corps).unwrap_or_default();
        if statut != 200 || uuids(&v, "nouveaux") != uuids_envoyes(&lot) {
            registre(&r)
                .anomalies
                .push(format!("survey upload {statut}: {corps}"));
            return;
        }
        registre(&r).enquetes.push(lot);
    }
}

/// After a restart, through the same upload the device would retry with (idempotent by
/// UUID): every acknowledged upload in `verifier` is found whole (all its UUIDs « déjà
/// reçus », none new); every upload sent without an answer is found whole or not at all
/// (committed or not: never half), and is then stored (the device's retry). The count of
/// questionnaires that `maillage enquete resultats` gives for Muret is then exactly the
/// number stored: nothing lost, nothing counted twice.
async fn verifier_enquete(
    instance: &Instance,
    monde: &Monde,
    g: &mut Registre,
    verifier: &[Vec<serde_json::Value>],
) {
    let http = client();
    let base = instance.base();
    let cookies = monde.mediateur.nav.en_tete_cookies();
    let renvoyer = |lot: Vec<serde_json::Value>| {
        let (http, base, cookies) = (&http, &base, &cookies);
        async move {
            let (statut, corps) = envoyer_questionnaires(http, base, cookies, &monde.enquete, &lot)
                .await
                .expect("the restarted server answers");
            assert_eq!(statut, 200, "survey upload again: {corps}");
            let v: serde_json::Value = serde_json::from_str(&corps).expect("json");
            (
                uuids(&v, "nouveaux"),
                uuids(&v, "deja_recus"),
                uuids_envoyes(&lot),
            )
        }
    };
    for lot in verifier {
        let (nouveaux, deja, envoyes) = renvoyer(lot.clone()).await;
        assert!(
            nouveaux.is_empty() && deja == envoyes,
            "acknowledged survey upload {envoyes:?}: lost {nouveaux:?}"
        );
    }
    for lot in std::mem::take(&mut g.enquetes_incertaines) {
        let (nouveaux, deja, envoyes) = renvoyer(lot.clone()).await;
        assert!(
            (nouveaux.is_empty() && deja == envoyes) || (deja.is_empty() && nouveaux == envoyes),
            "a survey upload half-written: {deja:?} stored, {nouveaux:?} not"
        );
        g.enquetes_incertaines_vues += 1;
        if nouveaux.is_empty() {
            g.enquetes_retrouvees += 1;
        }
        g.enquetes.push(lot);
    }
    let attendus: usize = g.enquetes.iter().map(Vec::len).sum();
    let sortie = instance.executer(&[
        "enquete",
        "resultats",
        "--campagne",
        &monde.enquete.campagne.to_string(),
    ]);
    let comptes = sortie
        .lines()
        .find_map(|l| l.strip_prefix("31395;"))
        .and_then(|reste| reste.split(';').next())
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or(0);
    assert_eq!(
        comptes, attendus,
        "questionnaires counted for Muret:\n{sortie}"
    );
}

// ------------------------------------------------------------------------ the harness

async fn coupures(nom: &str, url: Option<String>) {
    let coupures = variable("MAILLAGE_CRASH_COUPURES", 50);
    let mut alea = Alea(graine(nom));
    // About 8 distributions per cycle on 2 loaded cores (a cycle lasts 0.03–0.7 s): a wide
    // margin for a faster machine.
    let nombre_de_pass = (coupures * 40).max(200);
    let mut instance = match &url {
        Some(u) => Instance::sur(nom, u),
        None => Instance::nouvelle(nom),
    };
    let monde = preparer(&mut instance, nombre_de_pass).await;
    let r: Partage = Arc::new(Mutex::new(Registre::default()));
    let debut = Instant::now();
    for cycle in 0..coupures {
        let fin = Arc::new(AtomicBool::new(false));
        let base = instance.base();
        let (deja_i, deja_a, deja_m, deja_e) = {
            let g = registre(&r);
            (
                g.inscriptions.len(),
                g.activites.len(),
                g.mandats.len(),
                g.enquetes.len(),
            )
        };
        let mut taches = Vec::new();
        for qui in 0..2 {
            taches.push(tokio::spawn(ecrire_inscriptions(
                base.clone(),
                monde.session,
                qui,
                Arc::clone(&r),
                Arc::clone(&fin),
            )));
        }
        taches.push(tokio::spawn(ecrire_mediateur(
            base.clone(),
            monde.mediateur.nav.en_tete_cookies(),
            Arc::clone(&monde.codes),
            Arc::clone(&r),
            Arc::clone(&fin),
        )));
        taches.push(tokio::spawn(ecrire_utilisations(
            base.clone(),
            monde.cle_api.clone(),
            Arc::clone(&r),
            Arc::clone(&fin),
        )));
        taches.push(tokio::spawn(ecrire_mandats(
            base.clone(),
            Arc::clone(&monde.aidants),
            cycle,
            alea.entre(0, 6) as usize,
            Arc::clone(&r),
            Arc::clone(&fin),
        )));
        taches.push(tokio::spawn(ecrire_questionnaires(
            base.clone(),
            monde.mediateur.nav.en_tete_cookies(),
            monde.enquete.clone(),
            cycle,
            Arc::clone(&r),
            Arc::clone(&fin),
        )));
        // SIGKILL at a random moment of the writes.
        tokio::time::sleep(Duration::from_millis(alea.entre(30, 700))).await;
        instance.tuer();
        fin.store(true, Ordering::Relaxed);
        for t in taches {
            t.await.expect("writer");
        }
        demarrer(&mut instance).await;
        let (inscriptions, activites, mandats) = {
            let g = registre(&r);
            assert!(
                g.anomalies.is_empty(),
                "cycle {cycle}: answers a crash does not explain:\n{}",
                g.anomalies.join("\n")
            );
            (
                g.inscriptions[deja_i..].to_vec(),
                g.activites[deja_a..].to_vec(),
                g.mandats[deja_m..].to_vec(),
            )
        };
        // The writes of this cycle one by one, and a sample of the older ones.
        let (mut i_verif, mut a_verif, mut m_verif) = (inscriptions, activites, mandats);
        {
            let g = registre(&r);
            for _ in 0..3 {
                if deja_i > 0 {
                    i_verif.push(g.inscriptions[alea.entre(0, deja_i as u64 - 1) as usize].clone());
                }
                if deja_a > 0 {
                    a_verif.push(g.activites[alea.entre(0, deja_a as u64 - 1) as usize]);
                }
                if deja_m > 0 {
                    m_verif.push(g.mandats[alea.entre(0, deja_m as u64 - 1) as usize].clone());
                }
            }
        }
        let mut instantane = std::mem::take(&mut *registre(&r));
        verifier(&instance, &monde, &instantane, &i_verif, &a_verif, &m_verif).await;
        let mut e_verif = instantane.enquetes[deja_e..].to_vec();
        for _ in 0..3 {
            if deja_e > 0 {
                e_verif
                    .push(instantane.enquetes[alea.entre(0, deja_e as u64 - 1) as usize].clone());
            }
        }
        verifier_enquete(&instance, &monde, &mut instantane, &e_verif).await;
        *registre(&r) = instantane;
    }
    // After the last restart, everything, one by one.
    let mut tout = std::mem::take(&mut *registre(&r));
    let toutes = tout.enquetes.clone();
    verifier_enquete(&instance, &monde, &mut tout, &toutes).await;
    let (signees_sans_reponse, utilisees_sans_reponse) = verifier(
        &instance,
        &monde,
        &tout,
        &tout.inscriptions,
        &tout.activites,
        &tout.mandats,
    )
    .await;
    let demarches: usize = tout.demarches.values().map(Vec::len).sum();
    let demarches_incertaines: usize = tout.demarches_incertaines.values().map(BTreeSet::len).sum();
    println!(
        "{nom}: {coupures} kills in {:.0} s; acknowledged and found again: {} registrations, \
         {} pass distributions, {} pass redemptions, {} activity records, {} mandate \
         signatures, {} mandate uses; unanswered (sent when the server died): {} \
         registrations, {} distributions, {} redemptions, {} activity records, {} \
         signatures ({} of them committed, each with its journal entry), {} uses ({} \
         committed); survey: {} uploads of {} questionnaires found again, {} of them sent \
         when the server died ({} committed, none half)",
        debut.elapsed().as_secs_f64(),
        tout.inscriptions.len(),
        tout.distribues.len(),
        tout.utilises.len(),
        tout.activites.len(),
        tout.mandats.len(),
        demarches,
        tout.inscriptions_incertaines,
        tout.distributions_incertaines.len(),
        tout.utilisations_incertaines.len(),
        tout.activites_incertaines,
        tout.mandats_incertains.len(),
        signees_sans_reponse,
        demarches_incertaines,
        utilisees_sans_reponse,
        tout.enquetes.len(),
        tout.enquetes.iter().map(Vec::len).sum::<usize>(),
        tout.enquetes_incertaines_vues,
        tout.enquetes_retrouvees
    );
    // The harness wrote something of each kind (else it proves nothing about that kind).
    assert!(
        !tout.inscriptions.is_empty()
            && !tout.distribues.is_empty()
            && !tout.utilises.is_empty()
            && !tout.activites.is_empty()
            && !tout.mandats.is_empty()
            && demarches > 0
            && !tout.enquetes.is_empty(),
        "some kind of write was never acknowledged"
    );
    instance.tuer();
    drop(instance);
    if let Some(u) = url {
        supprimer_base(&u).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_sqlite_kill9_ecritures_acquittees() {
    coupures("crash-sqlite", None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_postgres_kill9_ecritures_acquittees() {
    let url = base_postgres().await;
    coupures("crash-postgres", Some(url)).await;
}

// ------------------------------------------------------------------------ the import

/// A v1 CSV of `n` valid places of Haute-Garonne, each at its own address and position.
fn fichier_de_lieux(chemin: &std::path::Path, n: usize) {
    const COMMUNES: [(&str, &str, &str, f64, f64); 4] = [
        ("31555", "31000", "Toulouse", 43.6045, 1.4440),
        ("31069", "31700", "Blagnac", 43.6373, 1.3906),
        ("31395", "31600", "Muret", 43.4612, 1.3270),
        ("31483", "31800", "Saint-Gaudens", 43.1080, 0.7234),
    ];
    let mut s = String::from(
        "id,nom,adresse,code_postal,code_insee,commune,latitude,longitude,horaires,date_maj\n",
    );
    for i in 0..n {
        let (insee, cp, commune, lat, lon) = COMMUNES[i % COMMUNES.len()];
        let k = i / COMMUNES.len();
        s.push_str(&format!(
            "g{i},Point d'appui numérique {i},{k} avenue {k} de la République,{cp},{insee},{commune},{:.5},{:.5},Mo-Fr 09:00-12:00,2026-10-01\n",
            lat + (k % 200) as f64 * 1e-3,
            lon + (k / 200) as f64 * 1e-3,
        ));
    }
    std::fs::write(chemin, s).expect("places file");
}

/// The places published, as `maillage export` writes them (one CSV line each).
fn publies(instance: &Instance) -> usize {
    let sortie = instance.executer(&["export", "--format", "csv"]);
    sortie
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .count()
}

async fn import_coupe(nom: &str, url: Option<String>) {
    let mut alea = Alea(graine(nom));
    let tours = variable("MAILLAGE_CRASH_IMPORTS", 3);
    let n = variable("MAILLAGE_CRASH_LIEUX", 4_000);
    let dossier = std::env::temp_dir().join(format!("maillage-{nom}-{}", std::process::id()));
    std::fs::create_dir_all(&dossier).expect("dir");
    let fichier = dossier.join("lieux.csv");
    fichier_de_lieux(&fichier, n);
    // How long a whole import takes, learnt from the first complete run.
    let mut duree = Duration::from_millis(1500);
    let mut tuees = 0;
    for tour in 0..tours {
        let url_tour = match &url {
            Some(_) => Some(base_postgres().await),
            None => None,
        };
        let instance = match &url_tour {
            Some(u) => Instance::sur(&format!("{nom}-{tour}"), u),
            None => Instance::nouvelle(&format!("{nom}-{tour}")),
        };
        // A directory with two places already: the import adds to it.
        importer_amorce(&instance, &dossier);
        assert_eq!(publies(&instance), 2);
        let args = [
            "import",
            "--source",
            "gros",
            "--format",
            "v1-csv",
            fichier.to_str().expect("utf-8"),
        ];
        // Killed between 10 % and 90 % of a whole run.
        let attente = duree.mul_f64(alea.entre(10, 90) as f64 / 100.0);
        let mut enfant = instance
            .commande()
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("maillage import starts");
        tokio::time::sleep(attente).await;
        let deja_fini = enfant.try_wait().ok().flatten().is_some();
        let _ = enfant.kill();
        let _ = enfant.wait();
        let vus = publies(&instance);
        let t = Instant::now();
        let sortie = instance.executer(&args);
        duree = t.elapsed();
        // All added, or (the killed run had committed its transaction) all unchanged.
        assert!(
            sortie.contains(&format!("base : {n} ajoutés"))
                || sortie.contains(&format!("0 ajoutés, 0 mis à jour, {n} inchangés")),
            "{sortie}"
        );
        // What the whole file publishes (its near-identical places are grouped as
        // duplicates), as the re-run says and as the export shows.
        let complet = sortie
            .split("Annuaire :")
            .nth(1)
            .and_then(|s| s.split("lieux publiés").next())
            .map(|s| s.chars().filter(char::is_ascii_digit).collect::<String>())
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or_else(|| panic!("the number published:\n{sortie}"));
        assert!(complet > n * 9 / 10, "{sortie}");
        assert_eq!(
            publies(&instance),
            complet,
            "the re-run completes: {sortie}"
        );
        // After the kill: nothing of it, or (killed after its last commit) all of it.
        assert!(
            vus == 2 || vus == complet,
            "a killed import left {vus} places published (2 before it, {complet} with it whole)"
        );
        if vus == 2 && !deja_fini {
            tuees += 1;
        }
        println!(
            "{nom}: round {tour}: killed after {} ms, {vus} places published; the re-run took {} ms and published {complet}",
            attente.as_millis(),
            duree.as_millis()
        );
        drop(instance);
        if let Some(u) = url_tour {
            supprimer_base(&u).await;
        }
    }
    let _ = std::fs::remove_dir_all(&dossier);
    assert!(tuees > 0, "no import was killed while it ran");
    println!("{nom}: {tuees} of {tours} imports killed mid-way");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_import_sqlite_kill9_rien_de_visible_puis_reprise() {
    import_coupe("crash-import-sqlite", None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_import_postgres_kill9_rien_de_visible_puis_reprise() {
    import_coupe("crash-import-postgres", Some(String::new())).await;
}

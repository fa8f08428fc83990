//! First use of a fresh instance, black box: only the product's commands and pages, as
//! people would use them. The `maillage` binary prints the first administrator's
//! invitation, `maillage serve` runs on a free port over the same SQLite file, and
//! everything else goes through HTTP (a cookie jar of our own, forms filled from the
//! pages as a browser would, TOTP codes computed from the key shown at enrolment, as an
//! authenticator app does). No store call, no SQL.
//!
//! `cargo test -p maillage_cli --test cli premiere_utilisation::`

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use maillage_comptes::securite;

const MDP: &str = "un mot de passe assez long";

// ------------------------------------------------------------------------ the instance

/// A fresh instance: a data directory, the database URL and the address `serve` will
/// listen on. The server is stopped when this is dropped.
pub(crate) struct Instance {
    dossier: PathBuf,
    port: u16,
    serveur: Option<Child>,
    /// The database: a SQLite file in `dossier` unless given.
    url: String,
    /// Another node of an instance does not remove the shared data directory.
    proprietaire: bool,
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(mut c) = self.serveur.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if self.proprietaire {
            let _ = std::fs::remove_dir_all(&self.dossier);
        }
    }
}

fn port_libre() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Instance {
    pub(crate) fn nouvelle(nom: &str) -> Instance {
        let dossier = std::env::temp_dir().join(format!(
            "maillage-premiere-{nom}-{}-{}",
            std::process::id(),
            port_libre()
        ));
        let _ = std::fs::remove_dir_all(&dossier);
        std::fs::create_dir_all(&dossier).expect("data dir");
        Instance {
            url: format!("sqlite://{}", dossier.join("maillage.db").display()),
            dossier,
            port: port_libre(),
            serveur: None,
            proprietaire: true,
        }
    }

    /// A fresh instance over the database at `url` (PostgreSQL).
    pub(crate) fn sur(nom: &str, url: &str) -> Instance {
        let mut instance = Instance::nouvelle(nom);
        instance.url = url.to_string();
        instance
    }

    /// Another node of the same instance: same database, data directory (journal key) and
    /// settings, its own port.
    pub(crate) fn autre_noeud(&self) -> Instance {
        Instance {
            dossier: self.dossier.clone(),
            port: port_libre(),
            serveur: None,
            url: self.url.clone(),
            proprietaire: false,
        }
    }

    pub(crate) fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `maillage …` with this instance's environment, as an operator would set it once.
    pub(crate) fn commande(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_maillage"));
        c.env("MAILLAGE_DATABASE_URL", &self.url)
            .env("MAILLAGE_DATA_DIR", &self.dossier)
            .env("MAILLAGE_LISTEN", format!("127.0.0.1:{}", self.port))
            .env_remove("MAILLAGE_ADRESSE_PUBLIQUE")
            .env_remove("MAILLAGE_SMTP_URL")
            .env_remove("MAILLAGE_OIDC_ISSUER")
            .env_remove("RUST_LOG");
        c
    }

    /// Runs a command to its end; panics with its output if it fails.
    pub(crate) fn executer(&self, args: &[&str]) -> String {
        let sortie = self.commande().args(args).output().expect("maillage runs");
        let stdout = String::from_utf8_lossy(&sortie.stdout).into_owned();
        assert!(
            sortie.status.success(),
            "maillage {args:?} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&sortie.stderr)
        );
        stdout
    }

    /// `maillage serve`, waiting until it answers.
    pub(crate) fn demarrer(&mut self) {
        self.demarrer_avec(&[]);
    }

    /// Kills `maillage serve` with SIGKILL (what `Child::kill` sends on Unix) and reaps it:
    /// no shutdown code runs (the crash harness, `crash.rs`).
    pub(crate) fn tuer(&mut self) {
        if let Some(mut c) = self.serveur.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The data directory (journal key, logs).
    pub(crate) fn dossier(&self) -> &std::path::Path {
        &self.dossier
    }

    /// `maillage serve` with more environment variables, waiting until it answers.
    pub(crate) fn demarrer_avec(&mut self, variables: &[(&str, &str)]) {
        let journal = std::fs::File::create(self.fichier_journal()).expect("log");
        let erreurs = journal.try_clone().expect("log");
        let enfant = self
            .commande()
            .envs(variables.iter().copied())
            .arg("serve")
            .stdout(Stdio::from(journal))
            .stderr(Stdio::from(erreurs))
            .spawn()
            .expect("maillage serve starts");
        self.serveur = Some(enfant);
        let debut = Instant::now();
        let adresse = format!("127.0.0.1:{}", self.port);
        while std::net::TcpStream::connect(&adresse).is_err() {
            if let Some(c) = self.serveur.as_mut() {
                if let Ok(Some(statut)) = c.try_wait() {
                    panic!(
                        "maillage serve stopped ({statut}):\n{}",
                        self.journal_serveur()
                    );
                }
            }
            assert!(
                debut.elapsed() < Duration::from_secs(300),
                "maillage serve did not listen within 5 minutes:\n{}",
                self.journal_serveur()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What `serve` wrote (standard output and error).
    pub(crate) fn journal_serveur(&self) -> String {
        std::fs::read_to_string(self.fichier_journal()).unwrap_or_default()
    }

    /// One log per node (`serve.log` for the first one).
    fn fichier_journal(&self) -> PathBuf {
        if self.proprietaire {
            self.dossier.join("serve.log")
        } else {
            self.dossier.join(format!("serve-{}.log", self.port))
        }
    }
}

/// The first link of a text that starts with `prefixe`.
pub(crate) fn lien_dans(texte: &str, prefixe: &str) -> Option<String> {
    texte
        .split_whitespace()
        .find(|m| m.starts_with(prefixe))
        .map(String::from)
}

// ------------------------------------------------------------------------ a browser

/// A page as received.
pub(crate) struct Page {
    pub(crate) statut: u16,
    pub(crate) url: String,
    pub(crate) corps: String,
}

impl Page {
    fn doc(&self) -> scraper::Html {
        scraper::Html::parse_document(&self.corps)
    }

    /// Text of the first element matching `css`.
    pub(crate) fn texte(&self, css: &str) -> Option<String> {
        let sel = scraper::Selector::parse(css).ok()?;
        self.doc()
            .select(&sel)
            .next()
            .map(|e| e.text().collect::<String>().trim().to_string())
    }

    /// Texts of every element matching `css`.
    pub(crate) fn textes(&self, css: &str) -> Vec<String> {
        let Ok(sel) = scraper::Selector::parse(css) else {
            return Vec::new();
        };
        self.doc()
            .select(&sel)
            .map(|e| e.text().collect::<String>().trim().to_string())
            .collect()
    }

    /// An attribute of the first element matching `css`.
    pub(crate) fn attribut(&self, css: &str, nom: &str) -> Option<String> {
        let sel = scraper::Selector::parse(css).ok()?;
        self.doc()
            .select(&sel)
            .next()
            .and_then(|e| e.value().attr(nom).map(String::from))
    }

    /// The value of the option of `select_css` whose text contains `libelle`.
    fn option(&self, select_css: &str, libelle: &str) -> Option<String> {
        let sel = scraper::Selector::parse(&format!("{select_css} option")).ok()?;
        self.doc()
            .select(&sel)
            .find(|o| o.text().collect::<String>().contains(libelle))
            .and_then(|o| o.value().attr("value").map(String::from))
    }

    /// What a browser would send for the form matching `css` if submitted as it is: hidden
    /// and filled fields, ticked boxes, the selected (or first) option of each list.
    pub(crate) fn formulaire(&self, css: &str) -> Formulaire {
        self.formulaire_contenant(css, "*")
    }

    /// Like [`Page::formulaire`], the first form matching `css` that holds an element
    /// matching `interieur` (`input[name=action][value=lieu]`).
    pub(crate) fn formulaire_contenant(&self, css: &str, interieur: &str) -> Formulaire {
        let doc = self.doc();
        let sel = scraper::Selector::parse(css).expect("selector");
        let dedans = scraper::Selector::parse(interieur).expect("selector");
        let form = doc
            .select(&sel)
            .find(|f| f.select(&dedans).next().is_some())
            .unwrap_or_else(|| {
                panic!(
                    "no form {css} with {interieur} on {}:\n{}",
                    self.url, self.corps
                )
            });
        let action = form.value().attr("action").unwrap_or(&self.url).to_string();
        let champs_sel = scraper::Selector::parse("input, select, textarea").expect("selector");
        let option_sel = scraper::Selector::parse("option").expect("selector");
        let mut champs = Vec::new();
        for e in form.select(&champs_sel) {
            let v = e.value();
            let Some(nom) = v.attr("name") else { continue };
            match v.name() {
                "select" => {
                    let options: Vec<_> = e.select(&option_sel).collect();
                    let choisie = options
                        .iter()
                        .find(|o| o.value().attr("selected").is_some())
                        .or(options.first());
                    if let Some(o) = choisie {
                        champs.push((
                            nom.to_string(),
                            o.value().attr("value").unwrap_or("").to_string(),
                        ));
                    }
                }
                "textarea" => champs.push((nom.to_string(), e.text().collect())),
                _ => match v.attr("type").unwrap_or("text") {
                    "checkbox" | "radio" => {
                        if v.attr("checked").is_some() {
                            champs.push((
                                nom.to_string(),
                                v.attr("value").unwrap_or("on").to_string(),
                            ));
                        }
                    }
                    "submit" | "button" | "file" => {}
                    _ => champs.push((nom.to_string(), v.attr("value").unwrap_or("").to_string())),
                },
            }
        }
        Formulaire { action, champs }
    }
}

/// A form being filled.
pub(crate) struct Formulaire {
    pub(crate) action: String,
    pub(crate) champs: Vec<(String, String)>,
}

impl Formulaire {
    /// Types `valeur` in the field `nom` (or picks it in a list).
    pub(crate) fn remplir(mut self, nom: &str, valeur: &str) -> Self {
        match self.champs.iter_mut().find(|(k, _)| k == nom) {
            Some((_, v)) => *v = valeur.to_string(),
            None => self.champs.push((nom.to_string(), valeur.to_string())),
        }
        self
    }

    /// Ticks a box `nom` = `valeur` (for radio buttons, [`Formulaire::remplir`]).
    pub(crate) fn cocher(mut self, nom: &str, valeur: &str) -> Self {
        if !self.champs.iter().any(|(k, v)| k == nom && v == valeur) {
            self.champs.push((nom.to_string(), valeur.to_string()));
        }
        self
    }

    /// Unticks every box `nom`.
    pub(crate) fn decocher_tout(mut self, nom: &str) -> Self {
        self.champs.retain(|(k, _)| k != nom);
        self
    }
}

/// An HTTP client with its own cookie jar, redirections followed by hand (to see the
/// cookies each step sets).
pub(crate) struct Navigateur {
    http: reqwest::Client,
    pub(crate) base: String,
    cookies: BTreeMap<String, String>,
}

impl Navigateur {
    pub(crate) fn nouveau(base: &str) -> Navigateur {
        Navigateur {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(120))
                .build()
                .expect("client"),
            base: base.to_string(),
            cookies: BTreeMap::new(),
        }
    }

    fn url(&self, chemin: &str) -> String {
        if chemin.starts_with("http") {
            chemin.to_string()
        } else {
            format!("{}{chemin}", self.base)
        }
    }

    pub(crate) fn en_tete_cookies(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Sends with this browser's cookies and keeps those the answer sets.
    async fn reponse(&mut self, requete: reqwest::RequestBuilder, url: &str) -> reqwest::Response {
        let r = requete
            .header(reqwest::header::COOKIE, self.en_tete_cookies())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        for v in r.headers().get_all(reqwest::header::SET_COOKIE) {
            let v = v.to_str().unwrap_or("");
            let Some((nom, valeur)) = v.split(';').next().and_then(|kv| kv.split_once('=')) else {
                continue;
            };
            if valeur.is_empty() || v.contains("Max-Age=0") {
                self.cookies.remove(nom);
            } else {
                self.cookies.insert(nom.to_string(), valeur.to_string());
            }
        }
        r
    }

    async fn envoyer(&mut self, requete: reqwest::RequestBuilder, url: String) -> Page {
        let r = self.reponse(requete, &url).await;
        let statut = r.status().as_u16();
        let location = r
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let corps = r.text().await.unwrap_or_default();
        match location {
            Some(vers) if (300..400).contains(&statut) => Box::pin(self.get(&vers)).await,
            _ => Page { statut, url, corps },
        }
    }

    pub(crate) async fn get(&mut self, chemin: &str) -> Page {
        let url = self.url(chemin);
        let req = self.http.get(&url);
        self.envoyer(req, url).await
    }

    /// Where a GET is redirected to, not followed (to another site: the identity
    /// provider). Panics unless the answer is a redirection.
    pub(crate) async fn redirection(&mut self, chemin: &str) -> String {
        let url = self.url(chemin);
        let req = self.http.get(&url);
        let r = self.reponse(req, &url).await;
        let statut = r.status().as_u16();
        let location = r
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        match location {
            Some(vers) if (300..400).contains(&statut) => vers,
            _ => panic!(
                "{url}: {statut}, not a redirection:\n{}",
                r.text().await.unwrap_or_default()
            ),
        }
    }

    /// The raw body of a GET (a PDF), with this browser's cookies; panics unless 200.
    async fn octets(&mut self, chemin: &str) -> Vec<u8> {
        let url = self.url(chemin);
        let req = self.http.get(&url);
        self.octets_de(req, url).await
    }

    /// The raw body answered to a form (the person's PDF); panics unless 200.
    async fn octets_formulaire(&mut self, f: Formulaire) -> Vec<u8> {
        let (req, url) = self.post_formulaire(&f);
        self.octets_de(req, url).await
    }

    /// The POST a browser sends for a form, and its URL.
    fn post_formulaire(&self, f: &Formulaire) -> (reqwest::RequestBuilder, String) {
        let url = self.url(&f.action);
        let corps = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&f.champs)
            .finish();
        let req = self
            .http
            .post(&url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(corps);
        (req, url)
    }

    async fn octets_de(&mut self, requete: reqwest::RequestBuilder, url: String) -> Vec<u8> {
        let r = requete
            .header(reqwest::header::COOKIE, self.en_tete_cookies())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let statut = r.status().as_u16();
        let octets = r.bytes().await.expect("body").to_vec();
        assert_eq!(statut, 200, "{url}: {}", String::from_utf8_lossy(&octets));
        octets
    }

    pub(crate) async fn soumettre(&mut self, f: Formulaire) -> Page {
        let (req, url) = self.post_formulaire(&f);
        self.envoyer(req, url).await
    }
}

/// A PDF read back as text with `pdftotext` (poppler-utils), white space collapsed.
fn pdf_en_texte(octets: &[u8], fichier: &std::path::Path) -> String {
    assert!(octets.starts_with(b"%PDF"), "not a PDF");
    std::fs::write(fichier, octets).expect("write the PDF");
    let sortie = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(fichier)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) runs");
    assert!(sortie.status.success(), "pdftotext failed");
    String::from_utf8_lossy(&sortie.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

// ------------------------------------------------------------------------ people

/// Someone with an account: their browser and their authenticator app.
pub(crate) struct Personne {
    pub(crate) nav: Navigateur,
    email: String,
    /// The key the authenticator app holds.
    secret: String,
    /// Last TOTP step used (the server accepts a step once per account).
    dernier_pas: i64,
    /// The recovery codes shown once at enrolment, not used yet.
    pub(crate) codes_secours: Vec<String>,
}

impl Personne {
    /// The authenticator app's current code, waiting for a step not used yet.
    pub(crate) async fn code(&mut self) -> String {
        loop {
            let pas = securite::pas_totp(chrono::Utc::now());
            if pas > self.dernier_pas {
                self.dernier_pas = pas;
                return securite::code_totp(&self.secret, pas).expect("code");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// The authenticator app's current code if its step was not used yet (then it is
    /// counted as used, whatever the server does with it), without waiting.
    pub(crate) fn code_du_moment(&mut self) -> Option<String> {
        let pas = securite::pas_totp(chrono::Utc::now());
        if pas <= self.dernier_pas {
            return None;
        }
        self.dernier_pas = pas;
        securite::code_totp(&self.secret, pas).ok()
    }
}

/// Opens an invitation link in a fresh browser, creates the account, enrols the second
/// factor from the key shown (checking the `otpauth://` link and the groups of 4), and
/// lands signed in. Returns the person and the page after enrolment.
pub(crate) async fn accepter_invitation(base: &str, lien: &str, nom: &str) -> (Personne, Page) {
    let mut nav = Navigateur::nouveau(base);
    let page = nav.get(lien).await;
    assert_eq!(page.statut, 200, "{lien}: {}", page.corps);
    let email = page
        .texte(".etroit strong")
        .expect("the invitation names the address");
    let f = page
        .formulaire("form")
        .remplir("nom", nom)
        .remplir("mot_de_passe", MDP)
        .remplir("confirmation", MDP);
    let page = nav.soumettre(f).await;
    // Signed in right after creating the account: straight to the second factor.
    assert!(
        page.url.contains("/connexion/enrolement"),
        "after creating the account, enrolment without signing in again: {} {}",
        page.url,
        page.corps
    );
    let groupe = page.texte("#secret").expect("the key to type by hand");
    assert!(
        groupe
            .split(' ')
            .all(|g| (1..=4).contains(&g.len()) && g.chars().all(|c| c.is_ascii_alphanumeric()))
            && groupe.split(' ').count() >= 4
            && groupe.split(' ').rev().skip(1).all(|g| g.len() == 4),
        "key grouped by 4: {groupe:?}"
    );
    let secret: String = groupe.chars().filter(|c| !c.is_whitespace()).collect();
    let otpauth = page
        .attribut("#lien-otpauth", "href")
        .expect("an otpauth:// link");
    assert!(
        otpauth.starts_with("otpauth://totp/") && otpauth.contains(&format!("secret={secret}")),
        "{otpauth}"
    );
    let mut p = Personne {
        nav,
        email,
        secret,
        dernier_pas: 0,
        codes_secours: Vec::new(),
    };
    let code = p.code().await;
    let f = page.formulaire("form").remplir("code", &code);
    let page = p.nav.soumettre(f).await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    assert!(
        page.corps.contains("Double authentification activée"),
        "{}",
        page.corps
    );
    p.codes_secours = page.textes("#codes-secours code");
    assert_eq!(p.codes_secours.len(), 10, "{}", page.corps);
    // « Continuer vers mon espace »: already signed in.
    let espace = p.nav.get("/espace").await;
    assert!(
        espace.url.ends_with("/espace") && espace.corps.contains("Se déconnecter"),
        "signed in after enrolment: {} {}",
        espace.url,
        espace.corps
    );
    (p, espace)
}

/// The instance, its first administrator signed in.
async fn instance_et_administrateur(nom: &str) -> (Instance, Personne) {
    let mut instance = Instance::nouvelle(nom);
    let sortie = instance.executer(&["mediation", "administrateur", "admin@exemple.fr"]);
    // The link uses the address the server listens on (MAILLAGE_LISTEN), not a default.
    let lien = lien_dans(&sortie, &format!("{}/invitation/", instance.base()))
        .unwrap_or_else(|| panic!("an invitation link on {}:\n{sortie}", instance.base()));
    instance.demarrer();
    let (admin, _) = accepter_invitation(&instance.base(), &lien, "Alice Admin").await;
    (instance, admin)
}

/// The administrator creates a structure (commune typed by name) and a place of activity;
/// returns the structure's number as shown in the forms.
pub(crate) async fn creer_structure(admin: &mut Personne, nom: &str) -> String {
    let page = admin.nav.get("/espace/structures").await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    let f = page
        .formulaire_contenant("form", "input[name=action][value=structure]")
        .remplir("nom", nom)
        .remplir("commune", "Muret");
    let page = admin.nav.soumettre(f).await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    let id = page
        .option("#l_structure", nom)
        .unwrap_or_else(|| panic!("structure {nom} listed:\n{}", page.corps));
    assert!(
        page.corps.contains("Muret"),
        "the commune, found by its name"
    );
    let f = page
        .formulaire_contenant("form", "input[name=action][value=lieu]")
        .remplir("structure", &id)
        .remplir("nom", "Médiathèque de Muret")
        .remplir("commune", "Muret (31600)");
    let page = admin.nav.soumettre(f).await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    assert!(
        page.corps.contains("Médiathèque de Muret"),
        "{}",
        page.corps
    );
    id
}

/// Invites someone into a structure from « Comptes »; returns the link shown (no SMTP).
async fn inviter(p: &mut Personne, email: &str, role: &str, structure: &str) -> String {
    let page = p.nav.get("/espace/equipe").await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    let f = page
        .formulaire("form[action='/espace/invitations']")
        .remplir("email", email)
        .remplir("role", role)
        .remplir("structure", structure);
    let page = p.nav.soumettre(f).await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    assert!(
        page.corps
            .contains("Invitation enregistrée (en attente d’envoi)"),
        "no SMTP configured: the invitation waits, and says so:\n{}",
        page.corps
    );
    let lien = page
        .texte("#lien-invitation")
        .expect("the link to hand over");
    assert!(
        lien.starts_with(&format!("{}/invitation/", p.nav.base)),
        "{lien}"
    );
    lien
}

// ------------------------------------------------------------------------ the tests

#[tokio::test(flavor = "multi_thread")]
async fn premiere_utilisation_parcours_administrateur_coordinateur_aidant_mandat() {
    let (instance, mut admin) = instance_et_administrateur("parcours").await;
    let base = instance.base();
    let structure = creer_structure(&mut admin, "CCAS de Muret").await;
    let lien_coord = inviter(&mut admin, "coord@exemple.fr", "coordinateur", &structure).await;
    let lien_aidant = inviter(&mut admin, "aidant@exemple.fr", "mediateur", &structure).await;

    let (mut aidant, espace) = accepter_invitation(&base, &lien_aidant, "Awa Aidante").await;
    assert_eq!(aidant.email, "aidant@exemple.fr");
    assert!(
        espace.corps.contains("CCAS de Muret"),
        "the aidant's structure is shown:\n{}",
        espace.corps
    );
    let (mut coord, _) = accepter_invitation(&base, &lien_coord, "Claude Coordinateur").await;

    // The administrator sees both accounts in the structure.
    let page = admin.nav.get("/espace/structures").await;
    let membres = page
        .texte(&format!("#structure-{structure}"))
        .unwrap_or_default();
    assert!(
        membres.contains("aidant@exemple.fr") && membres.contains("coord@exemple.fr"),
        "{membres}"
    );

    // The coordinator habilitates the mediator of their structure.
    let page = coord.nav.get("/espace/mandats").await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    let f = page
        .formulaire("form[action='/espace/habilitations']")
        .remplir("email", "aidant@exemple.fr");
    let page = coord.nav.soumettre(f).await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    assert!(
        page.corps.contains("est habilité·e à signer des mandats"),
        "{}",
        page.corps
    );

    // The aidant signs a 6-month mandate (social + logement), second factor again.
    let page = aidant.nav.get("/espace/mandats").await;
    assert!(
        page.texte("#structure-mandats")
            .is_some_and(|t| t.contains("CCAS de Muret")),
        "the aidant sees in whose name they act:\n{}",
        page.corps
    );
    let page = aidant.nav.get("/espace/mandats/nouveau").await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    let code = aidant.code().await;
    let f = page
        .formulaire("form[action='/espace/mandats']")
        .remplir("nom", "Martin")
        .remplir("prenoms", "Jeanne Louise")
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
        .remplir("code", &code);
    let page = aidant.nav.soumettre(f).await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    let retour = page
        .attribut("a[href^='/espace/mandats/']", "href")
        .unwrap_or_else(|| panic!("the printable mandate links to it:\n{}", page.corps));
    let mandat = retour
        .trim_start_matches("/espace/mandats/")
        .split('/')
        .next()
        .unwrap_or("")
        .to_string();
    assert!(mandat.parse::<i64>().is_ok(), "{retour}");

    // The person's printed copy: the PDF asked from the print page carries the personal
    // code and the full address of « Mon mandat »; the structure's copy carries neither.
    let code_personnel = page
        .texte("article.mandat .code-personnel")
        .unwrap_or_else(|| panic!("the personal code on the person's copy:\n{}", page.corps));
    let form_pdf = page.formulaire(&format!(
        "form[action='/espace/mandats/{mandat}/mandat.pdf']"
    ));
    let pdf = aidant.nav.octets_formulaire(form_pdf).await;
    let texte_pdf = pdf_en_texte(&pdf, &instance.dossier.join("personne.pdf"));
    assert!(
        texte_pdf.contains(&code_personnel),
        "the code {code_personnel} on the person's PDF:\n{texte_pdf}"
    );
    assert!(
        texte_pdf.contains(&format!("{base}/mon-mandat")),
        "the full address of « Mon mandat » on the person's PDF:\n{texte_pdf}"
    );
    let pdf_structure = aidant
        .nav
        .octets(&format!("/espace/mandats/{mandat}/mandat.pdf"))
        .await;
    let texte_structure = pdf_en_texte(&pdf_structure, &instance.dossier.join("structure.pdf"));
    assert!(
        texte_structure.contains(&format!("Mandat n° {mandat}"))
            && !texte_structure.contains(&code_personnel),
        "the structure's copy, without the code:\n{texte_structure}"
    );

    // Declare a procedure under « logement »: the aidant's use succeeds.
    let page = aidant.nav.get(&format!("/espace/mandats/{mandat}")).await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    let f = page
        .formulaire_contenant("form", "input[name=action][value=utilisation]")
        .remplir("demarche", "logement");
    let page = aidant.nav.soumettre(f).await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    assert!(
        page.corps.contains("enregistrée dans le journal"),
        "{}",
        page.corps
    );

    // The aidant's page as it is now: its « logement » form will be sent again after the
    // person has stopped that procedure, as a page left open would.
    let page_aidant = aidant.nav.get(&format!("/espace/mandats/{mandat}")).await;
    let utiliser_logement = page_aidant
        .formulaire_contenant("form", "input[name=action][value=utilisation]")
        .remplir("demarche", "logement");

    // In a fresh browser, the person follows the footer link of a public page to « Mon
    // mandat » and types the code read on their paper copy.
    let mut personne = Navigateur::nouveau(&base);
    let accueil = personne.get("/").await;
    assert_eq!(accueil.statut, 200, "{}", accueil.corps);
    let lien = accueil
        .attribut("footer a[href$='/mon-mandat']", "href")
        .unwrap_or_else(|| panic!("a footer link to « Mon mandat »:\n{}", accueil.corps));
    let page = personne.get(&lien).await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    let f = page
        .formulaire_contenant("form", "input[name=action][value=ouvrir]")
        .remplir("code", &code_personnel);
    let page = personne.soumettre(f).await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    assert!(
        page.corps.contains("Bonjour Jeanne Louise"),
        "the person's space opens:\n{}",
        page.corps
    );
    let fait = page.texte("table").unwrap_or_default();
    assert!(
        fait.contains("Logement"),
        "the aidant's use is in « ce qui a été fait en votre nom »:\n{fait}"
    );

    // « Arrêter » with « Logement » ticked asks first, in plain words; nothing stops yet.
    let f = page
        .formulaire_contenant("form", "input[name=action][value=revocation]")
        .cocher("demarche", "logement");
    let page = personne.soumettre(f).await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    assert!(
        page.texte("main section")
            .is_some_and(|t| t.contains("ne pourra plus faire en votre nom : Logement.")),
        "a confirmation first:\n{}",
        page.corps
    );
    let f = page.formulaire_contenant("form", "input[name=confirme][value=oui]");
    let page = personne.soumettre(f).await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    assert!(
        page.corps.contains(&format!(
            "« Logement » ne peut plus être fait en votre nom au titre du mandat n° {mandat}"
        )),
        "{}",
        page.corps
    );
    assert!(page.corps.contains("Arrêté : Logement."), "{}", page.corps);

    // The aidant's « logement » use is now refused; « social » is still accepted.
    let page = aidant.nav.soumettre(utiliser_logement).await;
    assert!(
        !page.corps.contains("enregistrée dans le journal")
            && page.texte("[role=alert]").is_some_and(|t| !t.is_empty()),
        "a stopped procedure is refused to the aidant ({}):\n{}",
        page.statut,
        page.corps
    );
    let page = aidant.nav.get(&format!("/espace/mandats/{mandat}")).await;
    let f = page
        .formulaire_contenant("form", "input[name=action][value=utilisation]")
        .remplir("demarche", "social");
    let page = aidant.nav.soumettre(f).await;
    assert!(
        page.corps.contains("enregistrée dans le journal"),
        "« social » is still allowed:\n{}",
        page.corps
    );
    drop(instance);
}

#[tokio::test(flavor = "multi_thread")]
async fn premiere_utilisation_journee_mediateur() {
    let (instance, mut admin) = instance_et_administrateur("journee").await;
    let base = instance.base();
    let structure = creer_structure(&mut admin, "Espace numérique de Muret").await;
    let lien = inviter(&mut admin, "mediateur@exemple.fr", "mediateur", &structure).await;
    let (mut med, _) = accepter_invitation(&base, &lien, "Mehdi Médiateur").await;

    // An individual accompaniment of 1 h 20, typed in « Autre durée » (the list untouched).
    let page = med.nav.get("/espace/activites/nouvelle").await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    let f = page
        .formulaire("form.cra")
        .remplir("duree_heures", "1")
        .remplir("duree_minutes", "20")
        .cocher("thematiques", "email")
        .cocher("materiel", "ordinateur")
        .remplir("autonomie", "entierement_accompagne");
    let page = med.nav.soumettre(f).await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    assert!(
        page.url.contains("/espace/activites/") && page.corps.contains("Activité enregistrée"),
        "{} {}",
        page.url,
        page.corps
    );
    assert!(
        page.texte("dl.details")
            .is_some_and(|t| t.contains("1 h 20")),
        "the typed duration was kept:\n{}",
        page.corps
    );
    assert!(
        page.corps.contains("Ordinateur") && page.corps.contains("Autonomie"),
        "every field entered is shown:\n{}",
        page.corps
    );
    let historique = page.texte("#historique").unwrap_or_default();
    assert!(historique.contains("création"), "{historique}");

    let tableau = med.nav.get("/espace").await;
    assert_eq!(
        tableau.texte("#mois-duree").as_deref(),
        Some("1 h 20"),
        "the dashboard shows 1 h 20:\n{}",
        tableau.corps
    );

    // A workshop of 8, 1 h 10 typed.
    let page = med
        .nav
        .get("/espace/activites/nouvelle?type=collectif")
        .await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    let f = page
        .formulaire("form.cra")
        .remplir("titre", "Premiers pas sur la tablette")
        .remplir("duree_heures", "1")
        .remplir("duree_minutes", "10")
        .cocher("thematiques", "email")
        .remplir("groupe_nombre", "8");
    let page = med.nav.soumettre(f).await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    assert!(
        page.corps.contains("Activité enregistrée"),
        "{}",
        page.corps
    );

    // A wrong typed duration is refused, the message next to the field.
    let page = med.nav.get("/espace/activites/nouvelle").await;
    let f = page
        .formulaire("form.cra")
        .remplir("duree_heures", "1")
        .remplir("duree_minutes", "75")
        .cocher("thematiques", "email");
    let page = med.nav.soumettre(f).await;
    assert_eq!(page.statut, 422, "{}", page.corps);
    assert!(
        page.texte("#erreur-duree")
            .is_some_and(|t| t.contains("minutes")),
        "the error next to the duration:\n{}",
        page.corps
    );

    // A beneficiary's commune typed by name; a typo gets suggestions, and the file shows
    // the commune back by name (not as a code).
    let page = med.nav.get("/espace/beneficiaires").await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    let f = page
        .formulaire("form[action='/espace/beneficiaires']")
        .remplir("prenom", "Jeanne")
        .remplir("commune", "Saint-Gaudins");
    let refus = med.nav.soumettre(f).await;
    assert!(
        refus
            .texte("[role=alert]")
            .is_some_and(|t| t.contains("Saint-Gaudens")),
        "a typo in the commune suggests the right one:\n{}",
        refus.corps
    );
    let f = page
        .formulaire("form[action='/espace/beneficiaires']")
        .remplir("prenom", "Jeanne")
        .remplir("commune", "Saint-Gaudens (31800)");
    let fiche = med.nav.soumettre(f).await;
    assert_eq!(fiche.statut, 200, "{}", fiche.corps);
    assert!(
        fiche.url.contains("/espace/beneficiaires/"),
        "{} {}",
        fiche.url,
        fiche.corps
    );
    assert_eq!(
        fiche.attribut("#commune", "value").as_deref(),
        Some("Saint-Gaudens (31800)"),
        "the commune shown back by name:\n{}",
        fiche.corps
    );

    let stats = med.nav.get("/espace/statistiques").await;
    assert_eq!(stats.statut, 200, "{}", stats.corps);
    assert_eq!(
        stats.texte("#duree-totale").as_deref(),
        Some("2 h 30"),
        "{}",
        stats.corps
    );
    let totaux = stats.texte("#totaux").unwrap_or_default();
    assert!(totaux.contains("9"), "a workshop of 8 counts 8: {totaux}");
    drop(instance);
}

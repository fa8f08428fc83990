//! The Médiation space, black box: requests through the router, on an in-memory SQLite
//! store with a hand-set clock. Security checks are named so they can be run alone:
//! `cargo test -p maillage_essais --test web permission` (also `csrf`, `totp`,
//! `fixation`, `brute`, `idor`, `retention`).
//!
//! The world: two structures (Toulouse, Paris), mediators A1 and A2 in coordinator CA's
//! team (territory dep:31), mediator B1 in CB's team (dep:75), an administrator.

use super::http::{envoyer, formulaire, requete, Reponse};
use std::sync::Arc;

use axum::http::StatusCode;
use chrono::{Duration, TimeZone, Utc};
use maillage_comptes::stockage::AffectationRow;
use maillage_comptes::{securite, Acteur, HorlogeManuelle};
use maillage_domain::mediation::{
    Beneficiaire, Cra, Genre, GroupeAnonyme, Materiel, Role, StatutSocial, Thematique, TrancheAge,
    TypeActivite, TypeLieu,
};
use maillage_domain::{CompteId, LieuActiviteId, StructureId};
use maillage_mediation::Mediation;
use maillage_web::{AppState, Site};

const MDP: &str = "un mot de passe solide";
const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

pub(crate) struct Monde {
    pub(crate) state: AppState,
    pub(crate) horloge: Arc<HorlogeManuelle>,
    pub(crate) m: Mediation,
    pub(crate) lieu_a: LieuActiviteId,
    pub(crate) a1: CompteId,
    pub(crate) a2: CompteId,
    pub(crate) b1: CompteId,
    pub(crate) ca: CompteId,
    pub(crate) admin: CompteId,
}

pub(crate) async fn monde() -> Monde {
    let horloge = Arc::new(HorlogeManuelle::new(
        Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0)
            .single()
            .unwrap(),
    ));
    let annuaire = maillage_cli::stockage::ouvrir("sqlite::memory:")
        .await
        .expect("store");
    let annuaire = annuaire.avec_horloge(horloge.clone());
    let m = annuaire.mediation().clone();
    let annuaire =
        annuaire.avec_cle_journal(maillage_domain::mandats::SigningKey::from_bytes(&[5; 32]));
    let s = annuaire.store().clone();
    let st_a = s
        .create_structure(
            "Médiathèque de Toulouse",
            Some("73282932000074"),
            Some("31555"),
        )
        .await
        .unwrap();
    let st_b = s
        .create_structure("Espace numérique Paris", None, Some("75056"))
        .await
        .unwrap();
    let lieu_a = s
        .create_lieu_activite(st_a, "Médiathèque José Cabanis", None, "31555")
        .await
        .unwrap();
    let lieu_b = s
        .create_lieu_activite(st_b, "Espace Paris 11", None, "75056")
        .await
        .unwrap();
    let compte = |email: &'static str, role: Role, st: Option<i64>| {
        let m = m.clone();
        async move {
            let id = m
                .comptes()
                .creer_compte(email, email, role, st.map(StructureId::new), MDP)
                .await
                .expect("account");
            m.comptes().activer_totp(id, SECRET).await.expect("totp");
            id
        }
    };
    let a1 = compte("a1@exemple.fr", Role::Mediateur, Some(st_a)).await;
    let a2 = compte("a2@exemple.fr", Role::Mediateur, Some(st_a)).await;
    let b1 = compte("b1@exemple.fr", Role::Mediateur, Some(st_b)).await;
    let ca = compte("ca@exemple.fr", Role::Coordinateur, Some(st_a)).await;
    let cb = compte("cb@exemple.fr", Role::Coordinateur, Some(st_b)).await;
    let admin = compte("admin@exemple.fr", Role::Administrateur, None).await;
    let debut = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    for (c, l) in [(a1, lieu_a), (a2, lieu_a), (b1, lieu_b)] {
        s.add_affectation(&AffectationRow {
            compte_id: c.get(),
            lieu_activite_id: l,
            debut,
            fin: None,
        })
        .await
        .unwrap();
    }
    s.add_equipe_membre(ca.get(), a1.get()).await.unwrap();
    s.add_equipe_membre(ca.get(), a2.get()).await.unwrap();
    s.add_equipe_membre(cb.get(), b1.get()).await.unwrap();
    s.add_territoire_coordonne(ca.get(), "dep:31")
        .await
        .unwrap();
    s.add_territoire_coordonne(cb.get(), "dep:75")
        .await
        .unwrap();
    let state = AppState::new(annuaire, Site::default())
        .await
        .expect("state");
    Monde {
        state,
        horloge,
        m,
        lieu_a: LieuActiviteId::new(lieu_a),
        a1,
        a2,
        b1,
        ca,
        admin,
    }
}

fn code_actuel(m: &Mediation) -> String {
    securite::code_totp(SECRET, securite::pas_totp(m.maintenant())).unwrap()
}

/// Password step through the pages; returns the partial session cookie.
async fn mot_de_passe(w: &Monde, email: &str, mdp: &str) -> Reponse {
    let page = envoyer(&w.state, requete("GET", "/connexion", None, None)).await;
    let pre = page.cookie("maillage_pre").expect("pre cookie");
    let csrf = page.champ_cache("csrf").expect("csrf field");
    assert_eq!(pre, csrf);
    envoyer(
        &w.state,
        requete(
            "POST",
            "/connexion",
            Some(&format!("maillage_pre={pre}")),
            Some(formulaire(&[
                ("csrf", &csrf),
                ("email", email),
                ("mot_de_passe", mdp),
                ("retour", "/espace"),
            ])),
        ),
    )
    .await
}

/// A fully signed-in session: `(cookie header, csrf)`.
pub(crate) async fn connecter(w: &Monde, email: &str) -> (String, String) {
    let r = mot_de_passe(w, email, MDP).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let partiel = r.cookie("maillage_session").expect("session cookie");
    let page = envoyer(
        &w.state,
        requete(
            "GET",
            "/connexion/code",
            Some(&format!("maillage_session={partiel}")),
            None,
        ),
    )
    .await;
    let csrf = page.champ_cache("csrf").expect("csrf");
    // Each sign-in in a test uses a fresh time step (a code is accepted once).
    w.horloge.avancer(Duration::seconds(31));
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            "/connexion/code",
            Some(&format!("maillage_session={partiel}")),
            Some(formulaire(&[
                ("csrf", &csrf),
                ("code", &code_actuel(&w.m)),
                ("retour", "/espace"),
            ])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let jeton = r.cookie("maillage_session").expect("full session");
    let (session, _) =
        w.m.comptes()
            .session(&jeton)
            .await
            .unwrap()
            .expect("session");
    (format!("maillage_session={jeton}"), session.csrf)
}

pub(crate) async fn acteur(w: &Monde, cookie: &str) -> Acteur {
    w.m.comptes()
        .acteur(cookie.trim_start_matches("maillage_session="))
        .await
        .expect("actor")
}

fn cra_individuel(lieu: LieuActiviteId, beneficiaire: Option<i64>) -> Cra {
    Cra {
        type_activite: TypeActivite::Individuel,
        date: chrono::NaiveDate::from_ymd_opt(2026, 11, 19).unwrap(),
        duree: 45,
        type_lieu: TypeLieu::LieuActivite,
        lieu_activite_id: Some(lieu),
        commune: None,
        thematiques: vec![Thematique::Email],
        materiel: vec![Materiel::Ordinateur],
        autonomie: None,
        orientation: None,
        titre: None,
        niveau: None,
        beneficiaires: beneficiaire.into_iter().collect(),
        anonymes: if beneficiaire.is_some() {
            vec![]
        } else {
            vec![GroupeAnonyme {
                nombre: 1,
                tranche_age: TrancheAge::SoixanteDixPlus,
                statut: StatutSocial::Retraite,
                genre: Genre::Feminin,
            }]
        },
        notes: "note privée".into(),
        tags: vec![],
    }
}

pub(crate) fn personne(prenom: &str) -> Beneficiaire {
    Beneficiaire {
        prenom: prenom.into(),
        annee_naissance: Some(1950),
        commune: maillage_domain::CodeInsee::parse("31555").ok(),
        statut: StatutSocial::Retraite,
        genre: Genre::Feminin,
        notes: String::new(),
    }
}

// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn totp_is_required_and_codes_are_single_use() {
    let w = monde().await;
    let r = mot_de_passe(&w, "a1@exemple.fr", MDP).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        r.location().starts_with("/connexion/code"),
        "{}",
        r.location()
    );
    let partiel = format!("maillage_session={}", r.cookie("maillage_session").unwrap());
    // The password alone opens nothing.
    let espace = envoyer(&w.state, requete("GET", "/espace", Some(&partiel), None)).await;
    assert_eq!(espace.status, StatusCode::SEE_OTHER);
    assert!(espace.location().starts_with("/connexion"));
    let page = envoyer(
        &w.state,
        requete("GET", "/connexion/code", Some(&partiel), None),
    )
    .await;
    let csrf = page.champ_cache("csrf").unwrap();
    let faux = envoyer(
        &w.state,
        requete(
            "POST",
            "/connexion/code",
            Some(&partiel),
            Some(formulaire(&[("csrf", &csrf), ("code", "000000")])),
        ),
    )
    .await;
    let bon = code_actuel(&w.m);
    if bon != "000000" {
        assert_eq!(faux.status, StatusCode::UNAUTHORIZED);
        assert!(faux.corps.contains("Code incorrect"));
    }
    let ok = envoyer(
        &w.state,
        requete(
            "POST",
            "/connexion/code",
            Some(&partiel),
            Some(formulaire(&[("csrf", &csrf), ("code", &bon)])),
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.corps);
    let complet = format!(
        "maillage_session={}",
        ok.cookie("maillage_session").unwrap()
    );
    let espace = envoyer(&w.state, requete("GET", "/espace", Some(&complet), None)).await;
    assert_eq!(espace.status, StatusCode::OK);
    assert!(espace.corps.contains("Bonjour"));

    // The same code again (same time step) is refused on a new sign-in.
    let r = mot_de_passe(&w, "a1@exemple.fr", MDP).await;
    let partiel = format!("maillage_session={}", r.cookie("maillage_session").unwrap());
    let page = envoyer(
        &w.state,
        requete("GET", "/connexion/code", Some(&partiel), None),
    )
    .await;
    let csrf = page.champ_cache("csrf").unwrap();
    let rejeu = envoyer(
        &w.state,
        requete(
            "POST",
            "/connexion/code",
            Some(&partiel),
            Some(formulaire(&[("csrf", &csrf), ("code", &bon)])),
        ),
    )
    .await;
    assert_eq!(
        rejeu.status,
        StatusCode::UNAUTHORIZED,
        "replayed code accepted"
    );

    // A recovery code works once.
    let codes = w.m.comptes().activer_totp(w.a1, SECRET).await.unwrap();
    let t =
        w.m.comptes()
            .second_facteur(partiel.trim_start_matches("maillage_session="), &codes[0])
            .await;
    assert!(t.is_ok());
    let r = mot_de_passe(&w, "a1@exemple.fr", MDP).await;
    let j = r.cookie("maillage_session").unwrap();
    assert!(w.m.comptes().second_facteur(&j, &codes[0]).await.is_err());
}

#[tokio::test]
async fn totp_enrolment_is_forced_for_new_accounts() {
    let w = monde().await;
    w.m.comptes()
        .creer_compte("neuf@exemple.fr", "Neuf", Role::Mediateur, None, MDP)
        .await
        .unwrap();
    let r = mot_de_passe(&w, "neuf@exemple.fr", MDP).await;
    assert!(
        r.location().starts_with("/connexion/enrolement"),
        "{}",
        r.location()
    );
    let cookie = format!("maillage_session={}", r.cookie("maillage_session").unwrap());
    let page = envoyer(
        &w.state,
        requete("GET", "/connexion/enrolement", Some(&cookie), None),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.corps.contains("<svg role=\"img\""));
    let doc = scraper::Html::parse_document(&page.corps);
    let secret = doc
        .select(&scraper::Selector::parse("#secret").unwrap())
        .next()
        .unwrap()
        .text()
        .collect::<String>();
    let csrf = page.champ_cache("csrf").unwrap();
    let code = securite::code_totp(&secret, securite::pas_totp(w.m.maintenant())).unwrap();
    let fin = envoyer(
        &w.state,
        requete(
            "POST",
            "/connexion/enrolement",
            Some(&cookie),
            Some(formulaire(&[("csrf", &csrf), ("code", &code)])),
        ),
    )
    .await;
    assert_eq!(fin.status, StatusCode::OK, "{}", fin.corps);
    let doc = scraper::Html::parse_document(&fin.corps);
    assert_eq!(
        doc.select(&scraper::Selector::parse("#codes-secours li").unwrap())
            .count(),
        10
    );
    let nouveau = format!(
        "maillage_session={}",
        fin.cookie("maillage_session").unwrap()
    );
    let espace = envoyer(&w.state, requete("GET", "/espace", Some(&nouveau), None)).await;
    assert_eq!(espace.status, StatusCode::OK);
}

#[tokio::test]
async fn fixation_session_token_is_replaced_at_each_step() {
    let w = monde().await;
    // A cookie planted by an attacker before sign-in is ignored, never adopted.
    let plante = "maillage_session=jeton-choisi-par-un-attaquant";
    let page = envoyer(&w.state, requete("GET", "/connexion", Some(plante), None)).await;
    let pre = page.cookie("maillage_pre").unwrap();
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            "/connexion",
            Some(&format!("{plante}; maillage_pre={pre}")),
            Some(formulaire(&[
                ("csrf", &pre),
                ("email", "a1@exemple.fr"),
                ("mot_de_passe", MDP),
            ])),
        ),
    )
    .await;
    let partiel = r.cookie("maillage_session").unwrap();
    assert_ne!(partiel, "jeton-choisi-par-un-attaquant");
    let cookie = format!("maillage_session={partiel}");
    let csrf = envoyer(
        &w.state,
        requete("GET", "/connexion/code", Some(&cookie), None),
    )
    .await
    .champ_cache("csrf")
    .unwrap();
    let ok = envoyer(
        &w.state,
        requete(
            "POST",
            "/connexion/code",
            Some(&cookie),
            Some(formulaire(&[("csrf", &csrf), ("code", &code_actuel(&w.m))])),
        ),
    )
    .await;
    let complet = ok.cookie("maillage_session").unwrap();
    assert_ne!(
        complet, partiel,
        "the token must change when the second factor is passed"
    );
    // The pre-second-factor token is dead.
    assert!(w.m.comptes().session(&partiel).await.unwrap().is_none());
    let vieux = envoyer(
        &w.state,
        requete("GET", "/connexion/code", Some(&cookie), None),
    )
    .await;
    assert_eq!(vieux.status, StatusCode::SEE_OTHER);
    // Signing out kills the session server-side, whatever the browser keeps.
    let (session, _) =
        w.m.comptes()
            .session(&complete_or(&complet))
            .await
            .unwrap()
            .unwrap();
    let sortie = envoyer(
        &w.state,
        requete(
            "POST",
            "/deconnexion",
            Some(&format!("maillage_session={complet}")),
            Some(formulaire(&[("csrf", &session.csrf)])),
        ),
    )
    .await;
    assert_eq!(sortie.status, StatusCode::SEE_OTHER);
    let apres = envoyer(
        &w.state,
        requete(
            "GET",
            "/espace",
            Some(&format!("maillage_session={complet}")),
            None,
        ),
    )
    .await;
    assert_eq!(apres.status, StatusCode::SEE_OTHER);
}

fn complete_or(s: &str) -> String {
    s.to_string()
}

/// The signed-in actor every rule and page receives holds no secret of the account, and
/// its `Debug` (what a log line or a panic would print) shows none either.
#[tokio::test]
async fn acteur_debug_shows_no_secret() {
    let w = monde().await;
    let (cookie, csrf) = connecter(&w, "a1@exemple.fr").await;
    let a = acteur(&w, &cookie).await;
    let brut = w
        .state
        .instance
        .store()
        .compte(w.a1.get())
        .await
        .unwrap()
        .expect("account");
    // Recovery codes exist once the second factor is on.
    let jeton = cookie.trim_start_matches("maillage_session=");
    let vu = format!("{a:?}");
    assert!(vu.contains("a1@exemple.fr"), "{vu}");
    for secret in [
        brut.password_hash.as_str(),
        brut.totp_secret.as_deref().unwrap_or(SECRET),
        SECRET,
        csrf.as_str(),
        jeton,
        &a.session.token_hash,
    ] {
        assert!(!secret.is_empty());
        assert!(!vu.contains(secret), "{secret} in {vu}");
    }
    for mot in ["password", "totp_secret", "codes_secours", "csrf", "token"] {
        assert!(!vu.contains(mot), "{mot} in {vu}");
    }
}

#[tokio::test]
async fn csrf_is_checked_on_every_form() {
    let w = monde().await;
    let (cookie, csrf) = connecter(&w, "a1@exemple.fr").await;
    let (_, csrf_autre) = connecter(&w, "b1@exemple.fr").await;
    let champs = |jeton: &str| {
        formulaire(&[
            ("csrf", jeton),
            ("prenom", "Lucienne"),
            ("statut", "retraite"),
        ])
    };
    let sans = envoyer(
        &w.state,
        requete(
            "POST",
            "/espace/beneficiaires",
            Some(&cookie),
            Some(formulaire(&[("prenom", "Lucienne")])),
        ),
    )
    .await;
    assert_eq!(sans.status, StatusCode::FORBIDDEN);
    let autre = envoyer(
        &w.state,
        requete(
            "POST",
            "/espace/beneficiaires",
            Some(&cookie),
            Some(champs(&csrf_autre)),
        ),
    )
    .await;
    assert_eq!(autre.status, StatusCode::FORBIDDEN);
    let a = acteur(&w, &cookie).await;
    assert!(
        w.m.mes_beneficiaires(&a).await.unwrap().is_empty(),
        "nothing written"
    );
    let ok = envoyer(
        &w.state,
        requete(
            "POST",
            "/espace/beneficiaires",
            Some(&cookie),
            Some(champs(&csrf)),
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.corps);
    assert_eq!(w.m.mes_beneficiaires(&a).await.unwrap().len(), 1);
    // The sign-in form has its own double-submit token.
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            "/connexion",
            None,
            Some(formulaire(&[
                ("csrf", "x"),
                ("email", "a1@exemple.fr"),
                ("mot_de_passe", MDP),
            ])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Signing out needs the token too.
    let r = envoyer(
        &w.state,
        requete("POST", "/deconnexion", Some(&cookie), Some(String::new())),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn brute_force_is_throttled_without_revealing_accounts() {
    let w = monde().await;
    let inconnu = mot_de_passe(&w, "personne@exemple.fr", "mauvais mot de passe").await;
    let connu = mot_de_passe(&w, "a1@exemple.fr", "mauvais mot de passe").await;
    assert_eq!(inconnu.status, StatusCode::UNAUTHORIZED);
    assert_eq!(connu.status, StatusCode::UNAUTHORIZED);
    let message = |r: &Reponse| {
        let doc = scraper::Html::parse_document(&r.corps);
        doc.select(&scraper::Selector::parse("#erreur").unwrap())
            .next()
            .map(|e| e.text().collect::<String>())
    };
    assert_eq!(
        message(&inconnu),
        message(&connu),
        "same answer whether the account exists"
    );
    for _ in 0..4 {
        mot_de_passe(&w, "a1@exemple.fr", "mauvais mot de passe").await;
    }
    let bloque = mot_de_passe(&w, "a1@exemple.fr", MDP).await;
    assert_eq!(
        bloque.status,
        StatusCode::TOO_MANY_REQUESTS,
        "right password after 5 failures"
    );
    let autre = mot_de_passe(&w, "a2@exemple.fr", MDP).await;
    assert_eq!(
        autre.status,
        StatusCode::SEE_OTHER,
        "other accounts unaffected"
    );
    w.horloge.avancer(Duration::minutes(16));
    let r = mot_de_passe(&w, "a1@exemple.fr", MDP).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "window over");
    // Wrong second-factor codes are throttled too.
    let j = r.cookie("maillage_session").unwrap();
    for _ in 0..5 {
        let _ = w.m.comptes().second_facteur(&j, "111111").await;
    }
    let e =
        w.m.comptes()
            .second_facteur(&j, &code_actuel(&w.m))
            .await
            .unwrap_err();
    assert!(
        matches!(e, maillage_mediation::ErreurMediation::TropDeTentatives),
        "{e:?}"
    );
}

#[tokio::test]
async fn idor_beneficiaries_are_invisible_outside_their_owner_and_consent() {
    let w = monde().await;
    let (c_a1, _) = connecter(&w, "a1@exemple.fr").await;
    let (c_a2, _) = connecter(&w, "a2@exemple.fr").await;
    let (c_b1, csrf_b1) = connecter(&w, "b1@exemple.fr").await;
    let (c_ca, _) = connecter(&w, "ca@exemple.fr").await;
    let a1 = acteur(&w, &c_a1).await;
    let prive =
        w.m.creer_beneficiaire(&a1, personne("Lucienne"), false)
            .await
            .unwrap();
    let partage =
        w.m.creer_beneficiaire(&a1, personne("Marcel"), true)
            .await
            .unwrap();
    let avant = w
        .state
        .instance
        .store()
        .consultations(prive)
        .await
        .unwrap()
        .len();
    for chemin in [
        format!("/espace/beneficiaires/{prive}"),
        format!("/espace/beneficiaires/{prive}/export.json"),
    ] {
        for c in [&c_b1, &c_a2, &c_ca] {
            let r = envoyer(&w.state, requete("GET", &chemin, Some(c), None)).await;
            assert!(
                matches!(r.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
                "{chemin}: {}",
                r.status
            );
            assert!(!r.corps.contains("Lucienne"));
        }
    }
    let modif = envoyer(
        &w.state,
        requete(
            "POST",
            &format!("/espace/beneficiaires/{prive}"),
            Some(&c_b1),
            Some(formulaire(&[("csrf", &csrf_b1), ("prenom", "Pirate")])),
        ),
    )
    .await;
    assert_eq!(modif.status, StatusCode::NOT_FOUND);
    assert_eq!(
        w.state
            .instance
            .store()
            .consultations(prive)
            .await
            .unwrap()
            .len(),
        avant,
        "no access logged"
    );
    // A team mate sees the file shared with consent, not the other.
    let r = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/beneficiaires/{partage}"),
            Some(&c_a2),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.corps.contains("Marcel"));
    let r = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/beneficiaires/{partage}"),
            Some(&c_b1),
            None,
        ),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "consent is for the team only"
    );
    // Every view is logged and visible in the file.
    let r = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/beneficiaires/{partage}"),
            Some(&c_a1),
            None,
        ),
    )
    .await;
    let journal = w
        .state
        .instance
        .store()
        .consultations(partage)
        .await
        .unwrap();
    assert!(journal
        .iter()
        .any(|c| CompteId::new(c.compte_id) == w.a2 && c.action == "consultation"));
    assert!(r.corps.contains("a2@exemple.fr"));
    // A mediator cannot record an activity for someone else's beneficiary.
    let b1 = acteur(&w, &c_b1).await;
    let e =
        w.m.enregistrer_activite(&b1, None, cra_individuel(w.lieu_a, Some(prive)))
            .await;
    assert!(e.is_err());
}

#[tokio::test]
async fn retention_purges_personal_data_and_keeps_statistics() {
    let w = monde().await;
    let (c_a1, _) = connecter(&w, "a1@exemple.fr").await;
    let a1 = acteur(&w, &c_a1).await;
    let vieux =
        w.m.creer_beneficiaire(&a1, personne("Lucienne"), false)
            .await
            .unwrap();
    let actif =
        w.m.creer_beneficiaire(&a1, personne("Marcel"), false)
            .await
            .unwrap();
    w.m.enregistrer_activite(&a1, None, cra_individuel(w.lieu_a, Some(vieux)))
        .await
        .unwrap();
    let filtres = maillage_mediation::statistiques::Filtres {
        perimetre: maillage_mediation::statistiques::Perimetre::Moi,
        du: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        au: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        lieu: None,
    };
    let avant = w.m.tableau(&a1, &filtres).await.unwrap().compteurs;
    // 23 months later, Marcel is seen again; nothing is purged yet.
    w.horloge.avancer(Duration::days(23 * 30));
    let a1_plus_tard = {
        let (c, _) = connecter(&w, "a1@exemple.fr").await;
        acteur(&w, &c).await
    };
    let mut cra = cra_individuel(w.lieu_a, Some(actif));
    cra.date = w.m.aujourdhui();
    w.m.enregistrer_activite(&a1_plus_tard, None, cra)
        .await
        .unwrap();
    assert_eq!(w.m.taches_quotidiennes().await.unwrap().0, 0);
    // 25 months after Lucienne's last activity: her personal fields go, Marcel's stay.
    w.horloge.avancer(Duration::days(2 * 31));
    let (purges, _) = w.m.taches_quotidiennes().await.unwrap();
    assert_eq!(purges, 1);
    let row = w
        .state
        .instance
        .store()
        .beneficiaire(vieux)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.data, None);
    assert!(row.purge_at.is_some());
    assert!(w
        .m
        .store()
        .beneficiaire(actif)
        .await
        .unwrap()
        .unwrap()
        .data
        .is_some());
    let apres =
        w.m.tableau(&a1_plus_tard, &filtres)
            .await
            .unwrap()
            .compteurs;
    assert_eq!(avant, apres, "anonymous statistics are kept");
    // Dormant accounts (no activity for 6 months) are deactivated by the same job.
    w.horloge.avancer(Duration::days(200));
    let (_, desactives) = w.m.taches_quotidiennes().await.unwrap();
    assert!(desactives >= 1);
    assert!(
        !w.state
            .instance
            .store()
            .compte(w.b1.get())
            .await
            .unwrap()
            .unwrap()
            .actif
    );
}

/// A draft event of structure A (a1's and ca's), with one session.
pub(crate) async fn evenement_de_a(w: &Monde) -> i64 {
    evenement_de_a_le(
        w,
        Utc.with_ymd_and_hms(2035, 6, 12, 0, 0, 0).single().unwrap(),
    )
    .await
}

/// [`evenement_de_a`] on the day `jour` (its session from 9 to 10, UTC).
pub(crate) async fn evenement_de_a_le(w: &Monde, jour: chrono::DateTime<Utc>) -> i64 {
    let st = w
        .state
        .instance
        .store()
        .compte(w.a1.get())
        .await
        .unwrap()
        .unwrap()
        .structure_id;
    let t = |h: i64| jour + Duration::hours(h);
    let (id, _) = w
        .state
        .instance
        .store()
        .create_evenement(
            &maillage_store::evenements::NewEvenement {
                tournee_id: None,
                type_evenement: "atelier".into(),
                titre: "Atelier de la médiathèque".into(),
                description: None,
                commune: "31555".into(),
                adresse: None,
                lieu_id: None,
                debut: t(9),
                fin: t(12),
                statut: "brouillon".into(),
                accessibilite: Default::default(),
                structure_id: st,
                created_at: t(8),
                jauges: vec![],
            },
            &[maillage_store::evenements::NewSessionEvenement {
                titre: "Atelier".into(),
                type_session: "atelier".into(),
                debut: t(9),
                fin: t(10),
                salle: None,
                capacite: 10,
                jauge: None,
            }],
        )
        .await
        .unwrap();
    id
}

/// Every route of every module's router (`maillage_web::routes`, built from the routers
/// themselves): `(method in lower case, path)`.
fn toutes_les_routes() -> Vec<(String, String)> {
    maillage_web::routes()
        .into_iter()
        .map(|r| (r.methode.as_str().to_lowercase(), r.chemin))
        .collect()
}

/// What each route must answer to someone without rights. A new route of any module
/// without an entry here fails `permission_every_route_is_covered`.
fn cas_de_permission(methode: &str, chemin: &str) -> Option<&'static str> {
    Some(match (methode, chemin) {
        // Open to everyone, no session read: the directory, the territories, the assets.
        ("get", "/")
        | ("get", "/lieux")
        | ("get", "/lieux/{id}")
        | ("post", "/lieux/{id}/signalement")
        | ("get", "/fiche")
        | ("get", "/fiche.pdf")
        | ("get", "/carte")
        | ("get", "/api/carte/points")
        | ("get", "/widget")
        | ("get", "/competences")
        | ("post", "/competences")
        | ("get", "/competences/quiz/{code}")
        | ("post", "/competences/quiz/{code}")
        | ("get", "/api/v1/lieux")
        | ("get", "/api/v1/lieux/{id}")
        | ("get", "/api/v1/communes")
        | ("get", "/territoires")
        | ("get", "/territoires/{code}")
        | ("get", "/territoires/{code}/indice.csv")
        | ("get", "/territoires/{code}/indice.xlsx")
        | ("get", "/territoires/{code}/zones-blanches.csv")
        | ("get", "/territoires/{code}/zones-blanches.xlsx")
        | ("get", "/territoires/{code}/plan.csv")
        | ("get", "/territoires/{code}/plan.xlsx")
        | ("get", "/api/v1/territoires/{code}/indice")
        | ("get", "/api/v1/territoires/{code}/couverture")
        | ("get", "/api/v1/territoires/{code}/zones-blanches")
        | ("get", "/api/v1/territoires/{code}/plan")
        // Compétences' measured needs: anonymous, every cell under 5 suppressed.
        | ("get", "/api/v1/territoires/{code}/competences")
        | ("get", "/api/openapi.json")
        | ("get", "/assets/{*chemin}")
        | ("get", "/sante")
        // Readiness for a load balancer: booleans only, no data.
        | ("get", "/pret")
        // Operators' counters: a token (MAILLAGE_METRIQUES_JETON) or the loopback address,
        // tested in tests/web/observabilite.rs.
        | ("get", "/metrics")
        | ("get", "/favicon.ico")
        | ("get", "/.well-known/security.txt")
        // Événements: public pages, the calendars (`/evenements/{id}` also gives `{id}.ics`,
        // `/tournees/{id}` only `{id}.ics`), the widget, the public registration form (signed
        // token, origin, per-address limit), the ticket and the cancellation by the
        // registration's secret link, the JSON API.
        | ("get", "/evenements")
        | ("get", "/evenements/{id}")
        | ("get", "/evenements.ics")
        | ("get", "/evenements/widget")
        | ("get", "/tournees/{id}")
        | ("get", "/inscriptions/billet")
        | ("post", "/sessions/{id}/inscription")
        | ("get", "/inscriptions/annuler")
        | ("post", "/inscriptions/annuler")
        // The seat offered from the waiting list, confirmed by the ticket's secret link.
        | ("post", "/inscriptions/confirmer")
        | ("get", "/api/v1/evenements")
        | ("get", "/api/v1/evenements/{id}")
        | ("post", "/api/v1/sessions/{id}/inscriptions")
        // Pass: the public check of a pass by its code (no personal data).
        | ("get", "/pass")
        | ("get", "/pass/{code}")
        | ("get", "/api/v1/pass/{code}") => "ouvert",
        // Pass: a place's API key only (a session does not count).
        ("post", "/api/v1/pass/{code}/utilisation") => "cle-api-lieu",
        // Public by design: sign-in steps, invitations, public aggregates.
        ("get", "/connexion") | ("post", "/connexion") => "public",
        ("get", "/connexion/code") | ("post", "/connexion/code") => "session-partielle",
        ("get", "/connexion/enrolement") | ("post", "/connexion/enrolement") => "session-partielle",
        ("get", "/invitation/{jeton}") | ("post", "/invitation/{jeton}") => "jeton",
        ("get", "/statistiques/{territoire}") => "public",
        // Signed in, own objects only.
        ("get", "/espace/activites/{id}")
        | ("get", "/espace/activites/{id}/modifier")
        | ("post", "/espace/activites/{id}")
        | ("post", "/espace/activites/{id}/supprimer") => "activite-d-autrui",
        ("get", "/espace/beneficiaires/{id}")
        | ("post", "/espace/beneficiaires/{id}")
        | ("get", "/espace/beneficiaires/{id}/export.json")
        // Compétences with a mediator: the beneficiary's file must be visible to them.
        | ("get", "/espace/beneficiaires/{id}/competences")
        | ("post", "/espace/beneficiaires/{id}/competences") => "beneficiaire-d-autrui",
        ("post", "/espace/beneficiaires/fusion") => "fusion-d-autrui",
        // Mediators only.
        ("get", "/espace/activites")
        | ("get", "/espace/activites/nouvelle")
        | ("post", "/espace/activites")
        | ("get", "/espace/beneficiaires")
        | ("post", "/espace/beneficiaires")
        | ("get", "/espace/import")
        | ("post", "/espace/import") => "mediateur",
        // Coordinators and administrators.
        ("get", "/espace/equipe")
        | ("post", "/espace/invitations")
        | ("get", "/espace/structures")
        | ("post", "/espace/structures")
        | ("get", "/espace/signalements")
        | ("post", "/espace/signalements")
        // The directory's back office (`maillage_annuaire::gestion`): coordinators (their
        // territories) and administrators; someone else's upload is 404 (tested in
        // `lieux_back_office::`).
        | ("get", "/espace/lieux")
        | ("get", "/espace/lieux/import")
        | ("post", "/espace/lieux/import")
        | ("get", "/espace/lieux/import/{jeton}")
        | ("post", "/espace/lieux/import/{jeton}")
        | ("get", "/espace/lieux/import/{jeton}/rapport.csv")
        | ("get", "/espace/lieux/doublons")
        | ("post", "/espace/lieux/doublons")
        | ("get", "/espace/lieux/fraicheur")
        | ("get", "/espace/lieux/fraicheur.csv") => "encadrement",
        // Keeping the directory true: a place of the coordinator's territories (another
        // territory's place is 404, see `lieux_maj::`), the campaigns and their dashboards.
        | ("get", "/espace/lieux/{id}/modifier")
        | ("post", "/espace/lieux/{id}/modifier")
        | ("post", "/espace/lieux/{id}/annuler")
        | ("post", "/espace/lieux/{id}/retirer")
        | ("post", "/espace/lieux/{id}/lien")
        | ("get", "/espace/lieux/campagnes")
        | ("post", "/espace/lieux/campagnes")
        | ("get", "/espace/lieux/campagnes/{id}") => "encadrement",
        // A place's own form, opened by the secret of its personal link (no account):
        // unknown 404, used or expired 410, see `lieux_maj::`.
        ("get", "/mise-a-jour") | ("post", "/mise-a-jour") => "lien-du-lieu",
        ("get", "/espace/courriels") => "administrateur",
        // Événements, the organisers' space: the lists of the organising structure only
        // (another structure's event is 404), creation and statut for its coordinators
        // (and administrators); the check-in page's script and service worker are static.
        ("get", "/espace/evenements") => "connecte",
        ("get", "/espace/evenements/accueil.js") | ("get", "/espace/evenements/accueil-sw.js") => {
            "ouvert"
        }
        ("get", "/espace/evenements/nouveau") | ("post", "/espace/evenements") => "encadrement",
        ("get", "/espace/evenements/{id}")
        | ("get", "/espace/evenements/{id}/accueil")
        | ("post", "/espace/evenements/{id}/accueil/cle")
        | ("get", "/espace/evenements/{id}/bilan")
        | ("get", "/espace/evenements/{id}/bilan.csv")
        | ("get", "/espace/evenements/{id}/bilan.xlsx")
        | ("post", "/espace/evenements/{id}/sessions/{session}/activite") => "evenement-d-autrui",
        ("post", "/espace/evenements/{id}/statut")
        | ("get", "/espace/evenements/{id}/modifier")
        | ("post", "/espace/evenements/{id}/modifier") => "organisation-evenement",
        ("get", "/api/v1/evenements/{id}/listes")
        | ("post", "/api/v1/evenements/{id}/allocations")
        | ("post", "/api/v1/evenements/{id}/pointages") => "api-evenement-d-autrui",
        // Enquête: the campaigns one surveys (a manager: all); the shared offline module,
        // the collection script and the service worker are static; the device's JSON wants
        // a session (401), then a surveyor of the campaign (403; 404 for an unknown one).
        ("get", "/espace/enquete") => "connecte",
        ("get", "/espace/hors-ligne.js")
        | ("get", "/espace/enquete/collecte.js")
        | ("get", "/espace/enquete/hors-ligne-sw.js") => "ouvert",
        ("get", "/espace/enquete/{id}/collecte")
        | ("get", "/espace/enquete/{id}/resultats")
        | ("get", "/espace/enquete/{id}/agregats.csv")
        | ("get", "/espace/enquete/{id}/agregats.xlsx")
        | ("get", "/espace/enquete/{id}/reponses.csv")
        | ("get", "/espace/enquete/{id}/reponses.xlsx")
        | ("post", "/espace/enquete/{id}/coup-de-main") => "enquete-d-autrui",
        // Creating and managing a campaign: coordinators and administrators.
        ("get", "/espace/enquete/nouvelle")
        | ("post", "/espace/enquete/nouvelle")
        | ("get", "/espace/enquete/{id}/gestion")
        | ("post", "/espace/enquete/{id}/gestion")
        | ("post", "/espace/enquete/{id}/enqueteurs")
        | ("post", "/espace/enquete/{id}/adresses")
        | ("post", "/espace/enquete/{id}/questions") => "encadrement",
        // A campaign's public aggregates (no session; 404 for an unknown campaign).
        ("get", "/enquetes/{id}") | ("get", "/api/v1/enquete/{id}/resultats") => "ouvert",
        ("get", "/api/v1/enquete/{id}/dossier") | ("post", "/api/v1/enquete/{id}/synchro") => {
            "api-enquete-d-autrui"
        }
        // Mandats: the holding structure's habilitated aidants only (others: 404 / 403).
        ("get", "/espace/mandats/{id}")
        | ("post", "/espace/mandats/{id}")
        | ("get", "/espace/mandats/{id}/imprimer")
        | ("get", "/espace/mandats/{id}/mandat.pdf")
        | ("post", "/espace/mandats/{id}/mandat.pdf")
        | ("get", "/espace/mandats/{id}/attestation-revocation") => "mandat-d-autrui",
        ("get", "/espace/mandats/nouveau")
        | ("post", "/espace/mandats")
        | ("get", "/espace/mandats/identite")
        | ("get", "/espace/mandats/identite/retour") => "aidant-habilite",
        ("post", "/espace/habilitations") => "encadrement",
        ("get", "/espace/mandats") => "connecte",
        // The person's space (personal code), the public check, the journal's public key.
        ("get", "/mon-mandat") | ("post", "/mon-mandat") | ("get", "/mon-mandat/attestation") => {
            "public"
        }
        // « Créer cette tournée »: organisers (coordinators, administrators).
        ("get", "/territoires/{code}/tournee")
        | ("post", "/espace/tournees")
        | ("get", "/espace/tournees/{id}")
        | ("get", "/espace/tournees/{id}/bilan")
        | ("get", "/espace/tournees/{id}/bilan.csv")
        | ("get", "/espace/tournees/{id}/bilan.xlsx") => "encadrement",
        // Pass numérique in the signed-in space: the list and the prescriber's form for any
        // account (the module decides: a prescriber structure's coordinators and mediators);
        // creating a programme for coordinators (of the funder) and administrators; a
        // programme, its carnets and its dashboard for its funder only (others: 404).
        ("get", "/espace/pass")
        | ("get", "/espace/pass/distribuer")
        | ("post", "/espace/pass/distribuer") => "connecte",
        ("post", "/espace/pass/programmes") => "encadrement",
        ("get", "/espace/pass/programmes/{id}")
        | ("post", "/espace/pass/programmes/{id}/lieux")
        | ("post", "/espace/pass/programmes/{id}/prescripteurs")
        | ("post", "/espace/pass/programmes/{id}/carnets")
        | ("post", "/espace/pass/programmes/{id}/blocage")
        | ("post", "/espace/pass/programmes/{id}/incidents/{incident}")
        | ("get", "/espace/pass/programmes/{id}/tableau")
        | ("get", "/espace/pass/programmes/{id}/tableau.csv")
        | ("get", "/espace/pass/programmes/{id}/tableau.xlsx")
        | ("get", "/espace/pass/programmes/{id}/releve")
        | ("get", "/espace/pass/programmes/{id}/releve.csv")
        | ("get", "/espace/pass/programmes/{id}/releve.xlsx")
        | ("get", "/espace/pass/programmes/{id}/releve.pdf")
        | ("get", "/espace/pass/carnets/{id}/imprimer") => "programme-pass-d-autrui",
        // A place's API keys: the coordinator acting for the place (or an administrator).
        ("get", "/espace/pass/cles")
        | ("post", "/espace/pass/cles")
        | ("post", "/espace/pass/cles/{id}/revoquer") => "cles-api-du-lieu",
        // « Mon espace »: opened by the person's code, not by an account.
        ("get", "/mon-espace") | ("post", "/mon-espace") => "public",
        ("get", "/verifier") | ("get", "/.well-known/maillage-journal.pub") => "public",
        ("get", "/api/v1/journal/verification") => "auditeur",
        // Any signed-in account (each sees its own perimeter).
        ("get", "/espace")
        | ("get", "/espace/statistiques")
        | ("get", "/espace/statistiques/export.csv")
        | ("get", "/espace/statistiques/export.xlsx")
        | ("get", "/reauthentification")
        | ("post", "/reauthentification")
        | ("post", "/deconnexion")
        | ("post", "/espace/structure-courante") => "connecte",
        _ => return None,
    })
}

#[tokio::test]
async fn permission_every_route_is_covered() {
    let routes = toutes_les_routes();
    // Every module's router was enumerated, the signed-in space's among them.
    for (methode, chemin) in [
        ("get", "/"),
        ("get", "/territoires/{code}"),
        ("get", "/espace/activites/{id}"),
        ("get", "/espace/mandats/{id}"),
        ("get", "/api/v1/journal/verification"),
        ("get", "/sante"),
    ] {
        assert!(
            routes.iter().any(|(m, p)| m == methode && p == chemin),
            "{methode} {chemin} enumerated"
        );
    }
    let manquants: Vec<_> = routes
        .iter()
        .filter(|(m, p)| cas_de_permission(m, p).is_none())
        .collect();
    assert!(
        manquants.is_empty(),
        "routes without a permission case: {manquants:?}"
    );
}

#[tokio::test]
async fn permission_every_route_refuses_the_wrong_people() {
    let w = monde().await;
    let (c_a1, csrf_a1) = connecter(&w, "a1@exemple.fr").await;
    let (c_b1, csrf_b1) = connecter(&w, "b1@exemple.fr").await;
    let (c_ca, csrf_ca) = connecter(&w, "ca@exemple.fr").await;
    let a1 = acteur(&w, &c_a1).await;
    let activite =
        w.m.enregistrer_activite(&a1, None, cra_individuel(w.lieu_a, None))
            .await
            .unwrap();
    let ben =
        w.m.creer_beneficiaire(&a1, personne("Lucienne"), false)
            .await
            .unwrap();
    let ben2 =
        w.m.creer_beneficiaire(&a1, personne("Lucienne"), false)
            .await
            .unwrap();
    // A mandate of structure A (a1 habilitated); b1 is habilitated in structure B.
    let mandats = w.state.instance.mandats().unwrap();
    for c in [w.a1, w.b1] {
        mandats
            .store()
            .add_habilitation(c.get(), w.admin.get(), w.m.maintenant())
            .await
            .unwrap();
    }
    let mandat = mandat_de_a(&w).await;
    let evenement = evenement_de_a(&w).await;
    let (programme_pass, carnet_pass) = programme_pass_de_a(&w).await;
    // A key of structure B's place, that structure A's people may not revoke.
    let cle_pass = w
        .state
        .instance
        .pass()
        .creer_cle_api(
            &w.state.instance.comptes().exploitant(),
            structure_de(&w, "cb@exemple.fr").await,
            "Caisse",
            30,
        )
        .await
        .expect("key")
        .id;
    let session_evenement = w
        .state
        .instance
        .store()
        .sessions_of_evenement(evenement)
        .await
        .unwrap()[0]
        .id;
    let concret = |p: &str| {
        p.replace("/espace/lieux/campagnes/{id}", "/espace/lieux/campagnes/1")
            .replace(
                "/espace/pass/programmes/{id}",
                &format!("/espace/pass/programmes/{programme_pass}"),
            )
            .replace(
                "/espace/pass/carnets/{id}",
                &format!("/espace/pass/carnets/{carnet_pass}"),
            )
            .replace("{incident}", "1")
            .replace(
                "/espace/pass/cles/{id}",
                &format!("/espace/pass/cles/{cle_pass}"),
            )
            .replace("/espace/mandats/{id}", &format!("/espace/mandats/{mandat}"))
            .replace(
                "/espace/evenements/{id}",
                &format!("/espace/evenements/{evenement}"),
            )
            .replace(
                "/api/v1/evenements/{id}/",
                &format!("/api/v1/evenements/{evenement}/"),
            )
            .replace("{session}", &session_evenement.to_string())
            .replace(
                "/espace/activites/{id}",
                &format!("/espace/activites/{activite}"),
            )
            .replace(
                "/espace/beneficiaires/{id}",
                &format!("/espace/beneficiaires/{ben}"),
            )
            .replace("{jeton}", "jeton-inconnu")
            .replace("{territoire}", "dep:31")
            .replace("/lieux/{id}", "/lieux/lieu-inconnu")
            .replace("{code}", "commune:31555")
            .replace("{*chemin}", "style.css")
    };
    let routes = toutes_les_routes();
    let mut verifies = 0;
    for (methode, chemin) in &routes {
        let cas = cas_de_permission(methode, chemin).expect("covered");
        let uri = concret(chemin);
        let post = |cookie: Option<&str>, csrf: &str| {
            requete(
                "POST",
                &uri,
                cookie,
                Some(formulaire(&[
                    ("csrf", csrf),
                    ("garde", &ben.to_string()),
                    ("absorbe", &ben2.to_string()),
                    ("email", "x@exemple.fr"),
                    ("prenom", "Pirate"),
                ])),
            )
        };
        let req = |cookie: Option<&str>, csrf: &str| {
            if *methode == "post" {
                post(cookie, csrf)
            } else {
                requete("GET", &uri, cookie, None)
            }
        };
        // Nobody signed in.
        let anonyme = envoyer(&w.state, req(None, "x")).await;
        match cas {
            "ouvert" => assert!(
                anonyme.status != StatusCode::UNAUTHORIZED
                    && !(anonyme.status.is_redirection()
                        && anonyme.location().starts_with("/connexion")),
                "{methode} {uri}: {}",
                anonyme.status
            ),
            "auditeur" | "cle-api-lieu" | "api-evenement-d-autrui" | "api-enquete-d-autrui" => {
                assert_eq!(anonyme.status, StatusCode::UNAUTHORIZED, "{methode} {uri}")
            }
            "public" => assert!(
                anonyme.status.is_success()
                    || anonyme.status == StatusCode::FORBIDDEN
                    || anonyme.status.is_redirection(),
                "{methode} {uri}: {}",
                anonyme.status
            ),
            "jeton" => assert!(
                matches!(
                    anonyme.status,
                    StatusCode::BAD_REQUEST | StatusCode::FORBIDDEN
                ),
                "{methode} {uri}: {}",
                anonyme.status
            ),
            "lien-du-lieu" => assert!(
                matches!(
                    anonyme.status,
                    StatusCode::NOT_FOUND | StatusCode::FORBIDDEN
                ),
                "{methode} {uri}: {}",
                anonyme.status
            ),
            _ => {
                assert_eq!(
                    anonyme.status,
                    StatusCode::SEE_OTHER,
                    "{methode} {uri} without session"
                );
                assert!(
                    anonyme.location().starts_with("/connexion"),
                    "{methode} {uri}"
                );
            }
        }
        // The wrong signed-in people.
        let refuse =
            |r: &Reponse| matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND);
        match cas {
            "activite-d-autrui" | "beneficiaire-d-autrui" | "fusion-d-autrui" => {
                let r = envoyer(&w.state, req(Some(&c_b1), &csrf_b1)).await;
                assert!(
                    refuse(&r),
                    "{methode} {uri} as another structure's mediator: {}",
                    r.status
                );
                let r = envoyer(&w.state, req(Some(&c_ca), &csrf_ca)).await;
                assert!(refuse(&r), "{methode} {uri} as a coordinator: {}", r.status);
            }
            "mediateur" => {
                let r = envoyer(&w.state, req(Some(&c_ca), &csrf_ca)).await;
                assert!(refuse(&r), "{methode} {uri} as a coordinator: {}", r.status);
            }
            "mandat-d-autrui" => {
                let r = envoyer(&w.state, req(Some(&c_b1), &csrf_b1)).await;
                assert_eq!(
                    r.status,
                    StatusCode::NOT_FOUND,
                    "{methode} {uri} as another structure's aidant"
                );
                let r = envoyer(&w.state, req(Some(&c_ca), &csrf_ca)).await;
                assert!(refuse(&r), "{methode} {uri} as a coordinator: {}", r.status);
            }
            "cles-api-du-lieu" => {
                // Mediators, of the place or of another structure: refused.
                for (c, s) in [(&c_b1, &csrf_b1), (&c_a1, &csrf_a1)] {
                    let r = envoyer(&w.state, req(Some(c), s)).await;
                    assert_eq!(r.status, StatusCode::FORBIDDEN, "{methode} {uri}");
                }
            }
            "programme-pass-d-autrui" => {
                // Another structure's mediator, and the funder's own mediator (not its
                // coordinator): the programme is not shown.
                for (c, s) in [(&c_b1, &csrf_b1), (&c_a1, &csrf_a1)] {
                    let r = envoyer(&w.state, req(Some(c), s)).await;
                    assert_eq!(r.status, StatusCode::NOT_FOUND, "{methode} {uri}");
                }
            }
            "evenement-d-autrui" => {
                let r = envoyer(&w.state, req(Some(&c_b1), &csrf_b1)).await;
                assert_eq!(
                    r.status,
                    StatusCode::NOT_FOUND,
                    "{methode} {uri} as another structure's mediator"
                );
            }
            "organisation-evenement" => {
                let r = envoyer(&w.state, req(Some(&c_b1), &csrf_b1)).await;
                assert!(
                    refuse(&r),
                    "{methode} {uri} as another structure's mediator: {}",
                    r.status
                );
                let r = envoyer(&w.state, req(Some(&c_a1), &csrf_a1)).await;
                assert!(
                    refuse(&r),
                    "{methode} {uri} as the structure's mediator: {}",
                    r.status
                );
            }
            "api-evenement-d-autrui" => {
                // A form body is refused before anything (415/403); the JSON cases with the
                // right header are in `evenements_espace::`.
                let r = envoyer(&w.state, req(Some(&c_b1), &csrf_b1)).await;
                assert!(
                    r.status.is_client_error(),
                    "{methode} {uri} as another structure's mediator: {}",
                    r.status
                );
            }
            "enquete-d-autrui" | "api-enquete-d-autrui" => {
                // A mediator who surveys no campaign: refused (the JSON cases with a real
                // campaign are in `enquete::`).
                let r = envoyer(&w.state, req(Some(&c_b1), &csrf_b1)).await;
                assert!(
                    r.status.is_client_error(),
                    "{methode} {uri} as a mediator who surveys nothing: {}",
                    r.status
                );
            }
            "aidant-habilite" => {
                let r = envoyer(&w.state, req(Some(&c_ca), &csrf_ca)).await;
                assert!(refuse(&r), "{methode} {uri} as a coordinator: {}", r.status);
            }
            "auditeur" | "cle-api-lieu" => {
                for (c, s) in [(&c_a1, &csrf_a1), (&c_ca, &csrf_ca)] {
                    let r = envoyer(&w.state, req(Some(c), s)).await;
                    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{methode} {uri}");
                }
            }
            "encadrement" => {
                let r = envoyer(&w.state, req(Some(&c_a1), &csrf_a1)).await;
                assert!(refuse(&r), "{methode} {uri} as a mediator: {}", r.status);
            }
            "administrateur" => {
                for (c, s) in [(&c_a1, &csrf_a1), (&c_ca, &csrf_ca)] {
                    let r = envoyer(&w.state, req(Some(c), s)).await;
                    assert!(refuse(&r), "{methode} {uri}: {}", r.status);
                }
            }
            _ => {}
        }
        verifies += 1;
    }
    assert_eq!(verifies, routes.len());
    // The refused requests changed no mandate: only views by its own structure are journalled.
    let m = mandats.store().mandat(mandat).await.unwrap().unwrap();
    assert!(m.revoque_at.is_none() && m.autorisations.iter().all(|a| a.revoquee_at.is_none()));
    let structure_a1 = w
        .state
        .instance
        .store()
        .compte(w.a1.get())
        .await
        .unwrap()
        .unwrap()
        .structure_id;
    assert_eq!(Some(m.structure_id), structure_a1, "not transferred");
    let actions: Vec<String> = mandats
        .store()
        .journal_of_mandat(mandat)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.contenu.action)
        .collect();
    assert!(
        actions
            .iter()
            .all(|a| a == "creation_mandat" || a == "refus_utilisation"),
        "{actions:?}"
    );
    // Nothing was changed by the refused requests.
    assert!(w.m.activite(&a1, activite).await.is_ok());
    assert!(w
        .state
        .instance
        .competences()
        .historique(ben)
        .await
        .unwrap()
        .is_empty());
    assert!(w
        .m
        .store()
        .beneficiaire(ben2)
        .await
        .unwrap()
        .unwrap()
        .fusionne_dans
        .is_none());
    // Statistics perimeters: a coordinator cannot open another territory nor another team's mediator.
    for uri in [
        "/espace/statistiques?perimetre=dep:75".to_string(),
        format!("/espace/statistiques?perimetre=mediateur:{}", w.b1),
    ] {
        let r = envoyer(&w.state, requete("GET", &uri, Some(&c_ca), None)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}");
    }
    let r = envoyer(
        &w.state,
        requete(
            "GET",
            "/espace/statistiques?perimetre=dep:31",
            Some(&c_ca),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = envoyer(
        &w.state,
        requete(
            "GET",
            "/espace/statistiques?perimetre=equipe",
            Some(&c_a1),
            None,
        ),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a mediator sees only their own"
    );
    let _ = (w.a2, w.ca, w.admin);
}

#[tokio::test]
async fn dashboard_counts_a_workshop_of_eight_as_eight_and_exports_follow_the_role() {
    let w = monde().await;
    let (c_a1, csrf) = connecter(&w, "a1@exemple.fr").await;
    // An individual accompaniment and a workshop with 8 participants, through the form.
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            "/espace/activites",
            Some(&c_a1),
            Some(formulaire(&[
                ("csrf", &csrf),
                ("type_activite", "individuel"),
                ("date", "2026-11-19"),
                ("duree", "45"),
                ("type_lieu", "lieu_activite"),
                ("lieu_activite_id", &w.lieu_a.to_string()),
                ("thematiques", "email"),
                ("thematiques", "logement"),
                ("materiel", "ordinateur"),
                ("anon_tranche", "soixante_dix_plus"),
                ("anon_statut", "retraite"),
                ("notes", "Mme a besoin d’un suivi"),
            ])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            "/espace/activites",
            Some(&c_a1),
            Some(formulaire(&[
                ("csrf", &csrf),
                ("type_activite", "collectif"),
                ("date", "2026-11-18"),
                ("duree", "120"),
                ("type_lieu", "lieu_activite"),
                ("lieu_activite_id", &w.lieu_a.to_string()),
                ("thematiques", "securite_numerique"),
                ("titre", "Déjouer les arnaques"),
                ("niveau", "debutant"),
                ("groupe_nombre", "5"),
                ("groupe_tranche", "soixante_dix_plus"),
                ("groupe_statut", "retraite"),
                ("groupe_nombre", "3"),
                ("groupe_tranche", "quarante_cinquante_neuf"),
                ("groupe_statut", "en_emploi"),
                ("groupe_nombre", ""),
            ])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    // A wrong form names the field and writes nothing.
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            "/espace/activites",
            Some(&c_a1),
            Some(formulaire(&[
                ("csrf", &csrf),
                ("type_activite", "individuel"),
                ("date", "2026-11-19"),
                ("duree", "45"),
                ("type_lieu", "domicile"),
            ])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.corps.contains("thématiques") || r.corps.contains("commune"),
        "{}",
        r.corps
    );

    let stats = envoyer(
        &w.state,
        requete(
            "GET",
            "/espace/statistiques?du=2026-11-01&au=2026-11-30",
            Some(&c_a1),
            None,
        ),
    )
    .await;
    assert_eq!(stats.status, StatusCode::OK);
    let doc = scraper::Html::parse_document(&stats.corps);
    let totaux: String = doc
        .select(&scraper::Selector::parse("#totaux").unwrap())
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(totaux.contains("2 activités"), "{totaux}");
    assert!(totaux.contains("9 accompagnements"), "{totaux}");
    assert!(stats.corps.contains("<svg class=\"graphique\""));

    // The coordinator's team export has no names nor notes; the mediator's own has notes.
    let propre = envoyer(
        &w.state,
        requete(
            "GET",
            "/espace/statistiques/export.csv?perimetre=moi&du=2026-11-01&au=2026-11-30",
            Some(&c_a1),
            None,
        ),
    )
    .await;
    assert_eq!(propre.status, StatusCode::OK);
    assert!(propre.corps.contains("Notes supplémentaires") && propre.corps.contains("suivi"));
    let (c_ca, _) = connecter(&w, "ca@exemple.fr").await;
    let equipe = envoyer(
        &w.state,
        requete(
            "GET",
            "/espace/statistiques/export.csv?perimetre=equipe&du=2026-11-01&au=2026-11-30",
            Some(&c_ca),
            None,
        ),
    )
    .await;
    assert_eq!(equipe.status, StatusCode::OK, "{}", equipe.corps);
    assert!(!equipe.corps.contains("Notes supplémentaires") && !equipe.corps.contains("suivi"));
    assert!(equipe.corps.contains("Nom du médiateur"));
    assert_eq!(equipe.corps.lines().count(), 3);

    // Public page: aggregates only, small counts hidden.
    let public = envoyer(
        &w.state,
        requete(
            "GET",
            "/statistiques/dep:31?du=2026-11-01&au=2026-11-30",
            None,
            None,
        ),
    )
    .await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.corps.contains("moins de 5"));
    assert!(public.corps.contains("9"));
    assert!(
        !public.corps.contains("José Cabanis"),
        "no place names on public pages"
    );
}

#[tokio::test]
async fn totp_reauthentication_before_sensitive_actions() {
    let w = monde().await;
    let (cookie, _) = connecter(&w, "a1@exemple.fr").await;
    let a1 = acteur(&w, &cookie).await;
    let id =
        w.m.creer_beneficiaire(&a1, personne("Lucienne"), false)
            .await
            .unwrap();
    let chemin = format!("/espace/beneficiaires/{id}/export.json");
    let r = envoyer(&w.state, requete("GET", &chemin, Some(&cookie), None)).await;
    assert_eq!(r.status, StatusCode::OK, "second factor just passed");
    assert!(r.corps.contains("Lucienne"));
    // 16 minutes later (the session is still alive: activity every 10 minutes).
    for _ in 0..2 {
        w.horloge.avancer(Duration::minutes(8));
        let r = envoyer(&w.state, requete("GET", "/espace", Some(&cookie), None)).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let r = envoyer(&w.state, requete("GET", &chemin, Some(&cookie), None)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        r.location().starts_with("/reauthentification?retour="),
        "{}",
        r.location()
    );
    let page = envoyer(&w.state, requete("GET", &r.location(), Some(&cookie), None)).await;
    let csrf = page.champ_cache("csrf").unwrap();
    let ok = envoyer(
        &w.state,
        requete(
            "POST",
            "/reauthentification",
            Some(&cookie),
            Some(formulaire(&[
                ("csrf", &csrf),
                ("code", &code_actuel(&w.m)),
                ("retour", &chemin),
            ])),
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.corps);
    assert_eq!(ok.location(), chemin);
    let nouveau = format!(
        "maillage_session={}",
        ok.cookie("maillage_session").unwrap()
    );
    assert_ne!(nouveau, cookie, "re-authentication also renews the token");
    let r = envoyer(&w.state, requete("GET", &chemin, Some(&nouveau), None)).await;
    assert_eq!(r.status, StatusCode::OK);
    // An idle session (over 30 minutes) is over.
    w.horloge.avancer(Duration::minutes(31));
    let r = envoyer(&w.state, requete("GET", "/espace", Some(&nouveau), None)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn permission_structures_places_and_assignments_from_the_pages() {
    let w = monde().await;
    let (c_admin, csrf_admin) = connecter(&w, "admin@exemple.fr").await;
    let (c_ca, csrf_ca) = connecter(&w, "ca@exemple.fr").await;
    let post = |cookie: &str, champs: &[(&str, &str)]| {
        requete(
            "POST",
            "/espace/structures",
            Some(cookie),
            Some(formulaire(champs)),
        )
    };
    let r = envoyer(
        &w.state,
        post(
            &c_admin,
            &[
                ("csrf", &csrf_admin),
                ("action", "structure"),
                ("nom", "Centre social Bagatelle"),
                ("commune", "31555"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(r.corps.contains("Centre social Bagatelle"));
    let st = w
        .state
        .instance
        .store()
        .structures()
        .await
        .unwrap()
        .last()
        .unwrap()
        .id;
    let r = envoyer(
        &w.state,
        post(
            &c_admin,
            &[
                ("csrf", &csrf_admin),
                ("action", "structure"),
                ("nom", "X"),
                ("siret", "12345678901234"),
            ],
        ),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad SIRET named"
    );
    assert!(r.corps.contains("SIRET"));
    let r = envoyer(
        &w.state,
        post(
            &c_admin,
            &[
                ("csrf", &csrf_admin),
                ("action", "lieu"),
                ("structure", &st.to_string()),
                ("nom", "Bagatelle"),
                ("commune", "31555"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let lieu = w
        .state
        .instance
        .store()
        .lieux_activite(Some(st))
        .await
        .unwrap()[0]
        .id;
    // A coordinator may assign their own team's mediators, not others, and creates nothing.
    let r = envoyer(
        &w.state,
        post(
            &c_ca,
            &[
                ("csrf", &csrf_ca),
                ("action", "affectation"),
                ("email", "a1@exemple.fr"),
                ("lieu", &lieu.to_string()),
                ("debut", "2026-11-20"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(w
        .state
        .instance
        .store()
        .affectations(w.a1.get())
        .await
        .unwrap()
        .iter()
        .any(|a| a.lieu_activite_id == lieu));
    let r = envoyer(
        &w.state,
        post(
            &c_ca,
            &[
                ("csrf", &csrf_ca),
                ("action", "affectation"),
                ("email", "b1@exemple.fr"),
                ("lieu", &lieu.to_string()),
                ("debut", "2026-11-20"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(w
        .state
        .instance
        .store()
        .affectations(w.b1.get())
        .await
        .unwrap()
        .iter()
        .all(|a| a.lieu_activite_id != lieu));
    let r = envoyer(
        &w.state,
        post(
            &c_ca,
            &[
                ("csrf", &csrf_ca),
                ("action", "structure"),
                ("nom", "Pirate"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The assigned mediator now finds the place in the activity form.
    let a1 = w.m.comptes().acteur_de_confiance(w.a1).await.unwrap();
    assert!(w
        .m
        .comptes()
        .mes_lieux(&a1)
        .await
        .unwrap()
        .iter()
        .any(|l| l.id == lieu));
}

/// A mandate signed in structure A by a1 (written through the store: the signature flow is
/// tested in maillage_annuaire's tests/mandats.rs).
async fn mandat_de_a(w: &Monde) -> i64 {
    use maillage_domain::mandats::{Demarche, NouvelleEntree};
    use maillage_mandats::stockage::{NewMandat, NewUsager, UsagerCible};
    let md = w.state.instance.mandats().unwrap();
    let a1 = w
        .state
        .instance
        .store()
        .compte(w.a1.get())
        .await
        .unwrap()
        .unwrap();
    let now = w.m.maintenant();
    let cree = md
        .store()
        .create_mandat(
            NewMandat {
                usager: UsagerCible::Nouveau(NewUsager {
                    pseudonyme: "p-test".into(),
                    structure_id: a1.structure_id.unwrap(),
                    data: r#"{"nom":"Martin","prenoms":"Jeanne","date_naissance":"1950-04-02","verification":"document:cni"}"#.into(),
                    code_cle: "TESTA".into(),
                    code_hash: "x".into(),
                    created_at: now,
                    personne_id: None,
                }),
                structure_id: a1.structure_id.unwrap(),
                aidant_id: a1.id,
                duree: "6m".into(),
                created_at: now,
                expire_at: now + chrono::Duration::days(182),
                demarches: vec![Demarche::Social],
                empreinte: "a".repeat(64),
                modele: "2026-11".into(),
                document: "{}".into(),
                renouvelle: None,
            },
            NouvelleEntree {
                at_us: now.timestamp_micros(),
                action: "creation_mandat".into(),
                acteur: format!("aidant:{}", a1.id),
                structure_id: None,
                mandat_id: None,
                usager: None,
                demarches: "social".into(),
                details: "{}".into(),
            },
        )
        .await
        .unwrap();
    cree.id
}

/// Issue « Première utilisation réelle », item 7: a report sent from a place's page reaches
/// the coordinators of the place's territory. The coordinator of dep:31 sees the report about
/// a Toulouse place (not the Paris one) in `/espace/signalements` and closes it « traité »;
/// the coordinator of dep:75 closes the Paris one « rejeté » and cannot close Toulouse's; a
/// mediator sees nothing; the administrator sees both, with their state.
#[tokio::test]
async fn premiere_utilisation_signalements_vus_et_clos_par_le_coordinateur() {
    use maillage_annuaire::signalement::CategorieSignalement;
    let w = monde().await;
    let lieu = |id: &str, nom: &str, insee: &str| maillage_store::MergedLieuRow {
        id: id.to_string(),
        data: serde_json::json!({ "id": id, "nom": nom }).to_string(),
        members: vec![format!("test#{id}")],
        provenance: "{}".to_string(),
        code_insee: Some(insee.to_string()),
        latitude: None,
        longitude: None,
    };
    w.state
        .annuaire
        .store()
        .replace_merged_lieux(vec![
            lieu("lieu-toulouse", "Médiathèque José Cabanis", "31555"),
            lieu("lieu-paris", "Espace numérique Paris 11", "75111"),
        ])
        .await
        .unwrap();
    let a = &w.state.annuaire;
    let toulouse = a
        .signaler(
            "lieu-toulouse",
            CategorieSignalement::Horaires,
            "Fermé le lundi matin",
            Some("zoe@exemple.fr"),
        )
        .await
        .unwrap();
    let paris = a
        .signaler(
            "lieu-paris",
            CategorieSignalement::Adresse,
            "Mauvaise rue",
            None,
        )
        .await
        .unwrap();
    let ligne = |r: &Reponse, id: i64| r.corps.contains(&format!("data-id=\"{id}\""));

    // The coordinator of dep:31 (ca) sees Toulouse's report only, from the menu.
    let (c_ca, csrf_ca) = connecter(&w, "ca@exemple.fr").await;
    let accueil = envoyer(&w.state, requete("GET", "/espace", Some(&c_ca), None)).await;
    assert!(accueil.corps.contains("href=\"/espace/signalements\""));
    let r = envoyer(
        &w.state,
        requete("GET", "/espace/signalements", Some(&c_ca), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(ligne(&r, toulouse) && !ligne(&r, paris), "{}", r.corps);
    assert!(r.corps.contains("Fermé le lundi matin") && r.corps.contains("zoe@exemple.fr"));
    assert!(r.corps.contains("Médiathèque José Cabanis"));
    // ca cannot close Paris's report (not revealed: 404), and nothing changes.
    let clore = |cookie: &str, csrf: &str, id: i64, decision: &str| {
        requete(
            "POST",
            "/espace/signalements",
            Some(cookie),
            Some(formulaire(&[
                ("csrf", csrf),
                ("id", &id.to_string()),
                ("decision", decision),
            ])),
        )
    };
    let r = envoyer(&w.state, clore(&c_ca, &csrf_ca, paris, "traite")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Without the CSRF token: refused.
    let r = envoyer(&w.state, clore(&c_ca, "faux", toulouse, "traite")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // ca closes Toulouse's: « traité »; the list of open reports is then empty.
    let r = envoyer(&w.state, clore(&c_ca, &csrf_ca, toulouse, "traite")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(r.corps.contains("traité"), "{}", r.corps);
    assert!(!ligne(&r, toulouse));
    let r = envoyer(
        &w.state,
        requete("GET", "/espace/signalements?tous=1", Some(&c_ca), None),
    )
    .await;
    assert!(ligne(&r, toulouse));

    // The coordinator of dep:75 (cb) rejects Paris's.
    let (c_cb, csrf_cb) = connecter(&w, "cb@exemple.fr").await;
    let r = envoyer(
        &w.state,
        requete("GET", "/espace/signalements", Some(&c_cb), None),
    )
    .await;
    assert!(ligne(&r, paris) && !ligne(&r, toulouse), "{}", r.corps);
    let r = envoyer(&w.state, clore(&c_cb, &csrf_cb, paris, "rejete")).await;
    assert_eq!(r.status, StatusCode::OK);

    // A mediator may not.
    let (c_a1, _) = connecter(&w, "a1@exemple.fr").await;
    let r = envoyer(
        &w.state,
        requete("GET", "/espace/signalements", Some(&c_a1), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The store holds the decisions, who made them and when.
    let rows = a.signalements(None, false).await.unwrap();
    let de = |id: i64| rows.iter().find(|r| r.id == id).unwrap();
    assert_eq!(de(toulouse).decision.as_deref(), Some("traite"));
    assert_eq!(de(toulouse).decide_par, Some(w.ca.get()));
    assert_eq!(de(paris).decision.as_deref(), Some("rejete"));
    assert!(de(paris).traite && de(paris).decide_at.is_some());

    // The administrator sees both, with their state.
    let (c_admin, _) = connecter(&w, "admin@exemple.fr").await;
    let r = envoyer(
        &w.state,
        requete("GET", "/espace/signalements?tous=1", Some(&c_admin), None),
    )
    .await;
    assert!(ligne(&r, paris) && ligne(&r, toulouse));
    assert!(r.corps.contains("rejeté"));
}

/// A pass programme funded by structure A, with one carnet: `(programme, carnet)`.
async fn programme_pass_de_a(w: &Monde) -> (i64, i64) {
    let pass = w.state.instance.pass();
    let op = w.state.instance.comptes().exploitant();
    let st_a = w
        .state
        .instance
        .store()
        .compte(w.ca.get())
        .await
        .unwrap()
        .unwrap()
        .structure_id
        .expect("structure");
    let programme = pass
        .creer_programme(
            &op,
            maillage_pass::DemandeProgramme {
                financeur_structure_id: st_a,
                nom: "Pass numérique Toulouse".into(),
                budget_centimes: 100_000,
                valeur_centimes: 1_000,
                fin_validite: chrono::NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(),
                tolerance: chrono::NaiveDate::from_ymd_opt(2028, 1, 31).unwrap(),
                territoire: "dep:31".into(),
                publics: vec![],
            },
        )
        .await
        .expect("programme");
    let (carnet, _) = pass
        .emettre_carnet(&op, programme, 2)
        .await
        .expect("carnet");
    (programme, carnet)
}

/// Pass numérique: a mediator redeems a pass while recording the activity it pays for (the
/// CRA form's « Code du pass » field): the record shows the pass, the pass shows the record,
/// the ledger has the redemption by the mediator's account; the same pass on another record
/// is refused on the form, nothing written.
#[tokio::test]
async fn pass_le_mediateur_utilise_un_pass_en_enregistrant_l_activite() {
    let w = monde().await;
    let (c_a1, csrf) = connecter(&w, "a1@exemple.fr").await;
    let a1 = acteur(&w, &c_a1).await;
    let st_a = a1.compte.structure_id.expect("structure").get();
    let pass = w.state.instance.pass();
    let op = w.state.instance.comptes().exploitant();
    let programme = pass
        .creer_programme(
            &op,
            maillage_pass::DemandeProgramme {
                financeur_structure_id: st_a,
                nom: "Pass numérique Toulouse".into(),
                budget_centimes: 100_000,
                valeur_centimes: 1_500,
                fin_validite: chrono::NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(),
                tolerance: chrono::NaiveDate::from_ymd_opt(2028, 1, 31).unwrap(),
                territoire: "dep:31".into(),
                publics: vec![],
            },
        )
        .await
        .expect("programme");
    pass.qualifier_lieu(&op, programme, st_a)
        .await
        .expect("qualified");
    pass.ajouter_prescripteur(&op, programme, st_a)
        .await
        .expect("prescriber");
    let (_, codes) = pass
        .emettre_carnet(&op, programme, 1)
        .await
        .expect("carnet");
    pass.distribuer(
        &op,
        st_a,
        &codes[0],
        maillage_pass::Beneficiaire {
            commune: "31555".into(),
            tranche_age: "70+".into(),
            statut: "retraite".into(),
            personne_id: None,
        },
    )
    .await
    .expect("distributed");
    let affiche = maillage_pass::code::afficher(&codes[0]);
    let champs = |code: &str| {
        formulaire(&[
            ("csrf", &csrf),
            ("type_activite", "individuel"),
            ("date", "2026-11-19"),
            ("duree", "60"),
            ("type_lieu", "lieu_activite"),
            ("lieu_activite_id", &w.lieu_a.to_string()),
            ("thematiques", "email"),
            ("anon_tranche", "soixante_dix_plus"),
            ("anon_statut", "retraite"),
            ("pass", code),
        ])
    };
    // The form offers the field.
    let page = envoyer(
        &w.state,
        requete("GET", "/espace/activites/nouvelle", Some(&c_a1), None),
    )
    .await;
    assert!(page.corps.contains("name=\"pass\""), "{}", page.corps);
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            "/espace/activites",
            Some(&c_a1),
            Some(champs(&affiche.to_lowercase())),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let lieu = r.location();
    assert!(!lieu.contains("pass_refuse"), "{lieu}");
    let id: i64 = lieu
        .trim_start_matches("/espace/activites/")
        .split('?')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("record id");
    // The record shows the pass.
    let page = envoyer(&w.state, requete("GET", &lieu, Some(&c_a1), None)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.corps.contains(&affiche), "{}", page.corps);
    assert!(page.corps.contains("payée par le pass"), "{}", page.corps);
    // The pass shows the record (and nothing personal).
    let page = envoyer(
        &w.state,
        requete("GET", &format!("/pass/{}", codes[0]), None, None),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.corps.contains(&format!("pour l’activité n° {id}")),
        "{}",
        page.corps
    );
    let u = pass
        .utilisation_de_activite(id)
        .await
        .unwrap()
        .expect("redemption");
    assert_eq!(
        (u.structure_id, u.compte_id, u.valeur_centimes),
        (st_a, Some(a1.compte.id.get()), 1_500)
    );
    let registre = pass.store().pass_journal(0, 1000).await.unwrap();
    let derniere = registre.last().expect("ledger entry");
    assert_eq!(derniere.contenu.action, "pass_utilisation");
    assert_eq!(
        derniere.contenu.acteur,
        format!("compte:{}", a1.compte.id.get())
    );
    // The same pass for another record: refused on the form, no record written.
    let avant =
        w.m.mes_activites(&a1, 100, 0)
            .await
            .map(|v| v.len())
            .unwrap_or(0);
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            "/espace/activites",
            Some(&c_a1),
            Some(champs(&codes[0])),
        ),
    )
    .await;
    assert_ne!(r.status, StatusCode::SEE_OTHER);
    assert!(r.corps.contains("déjà été utilisé"), "{}", r.corps);
    let apres =
        w.m.mes_activites(&a1, 100, 0)
            .await
            .map(|v| v.len())
            .unwrap_or(0);
    assert_eq!(apres, avant);
}

/// The structure the account `email` acts for.
pub(crate) async fn structure_de(w: &Monde, email: &str) -> i64 {
    w.state
        .instance
        .comptes()
        .compte_par_email(email)
        .await
        .expect("account read")
        .expect("account")
        .structure_id
        .expect("structure")
        .get()
}

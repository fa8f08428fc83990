//! Mandats use cases: signing with the second factor again, every refused use (a clear
//! French error and nothing written but a refusal entry), the person's space and code,
//! revocation by the person, the check of a printed copy, reminders, and 50 concurrent uses
//! on a SQLite file (one unbroken chain).

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use maillage_comptes::{securite, Acteur, ErreurComptes, HorlogeManuelle};
use maillage_domain::mandats::{Demarche, DureeMandat, MotifRefus, SigningKey};
use maillage_domain::mediation::Role;
use maillage_mandats::{DemandeMandat, ErreurMandat, Identite, Mandats};
use maillage_mediation::Mediation;

const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

struct Monde {
    md: Mandats,
    horloge: Arc<HorlogeManuelle>,
    aidant: Acteur,
    collegue_non_habilite: Acteur,
    autre_structure: Acteur,
    coordinateur: Acteur,
}

async fn monde_sur(url: &str) -> Monde {
    let horloge = Arc::new(HorlogeManuelle::new(
        Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0)
            .single()
            .unwrap(),
    ));
    let annuaire = maillage_cli::stockage::ouvrir(url).await.unwrap();
    let annuaire = annuaire.avec_horloge(horloge.clone());
    let m: Mediation = annuaire.mediation().clone();
    let annuaire = annuaire.avec_cle_journal(SigningKey::from_bytes(&[9; 32]));
    let md = annuaire.mandats().unwrap().clone();
    let s = annuaire.store().clone();
    let st_a = s
        .create_structure("France Services Muret", None, Some("31395"))
        .await
        .unwrap();
    let st_b = s
        .create_structure("CCAS Blagnac", None, Some("31069"))
        .await
        .unwrap();
    let compte = |email: &'static str, role: Role, st: i64| {
        let m = m.clone();
        async move {
            let id = m
                .comptes()
                .creer_compte(
                    email,
                    email,
                    role,
                    Some(maillage_domain::StructureId::new(st)),
                    "un mot de passe solide",
                )
                .await
                .unwrap();
            m.comptes().activer_totp(id, SECRET).await.unwrap();
            m.comptes().acteur_de_confiance(id).await.unwrap()
        }
    };
    let aidant = compte("aidant@muret.fr", Role::Mediateur, st_a).await;
    let collegue = compte("collegue@muret.fr", Role::Mediateur, st_a).await;
    let autre = compte("aidant@blagnac.fr", Role::Mediateur, st_b).await;
    let coordinateur = compte("coord@muret.fr", Role::Coordinateur, st_a).await;
    let admin = compte("admin@exemple.fr", Role::Administrateur, st_a).await;
    md.habiliter(&coordinateur, aidant.id()).await.unwrap();
    md.habiliter(&admin, autre.id()).await.unwrap();
    // A coordinator cannot habilitate outside their structure, nor a mediator anyone.
    assert!(matches!(
        md.habiliter(&coordinateur, autre.id()).await,
        Err(ErreurMandat::Interdit)
    ));
    assert!(matches!(
        md.habiliter(&aidant, collegue.id()).await,
        Err(ErreurMandat::Interdit)
    ));
    Monde {
        md,
        horloge,
        aidant,
        collegue_non_habilite: collegue,
        autre_structure: autre,
        coordinateur,
    }
}

async fn monde() -> Monde {
    monde_sur("sqlite::memory:").await
}

/// A fresh TOTP code (the clock moves 30 s so a step is never reused).
fn code(w: &Monde) -> String {
    w.horloge.avancer(Duration::seconds(31));
    securite::code_totp(SECRET, securite::pas_totp(w.md.comptes().maintenant())).unwrap()
}

fn demande(w: &Monde, demarches: &[Demarche]) -> DemandeMandat {
    DemandeMandat {
        usager: None,
        identite: Some(
            Identite::declaree(
                "Martin",
                "Jeanne",
                "1950-04-02",
                "cni",
                w.md.comptes().aujourdhui(),
            )
            .unwrap(),
        ),
        demarches: demarches.to_vec(),
        duree: DureeMandat::SixMois,
        pas_de_protection_juridique: true,
        consentement: true,
        mentions_lues: false,
        code_second_facteur: code(w),
        renouvelle: None,
        identite_par_fournisseur: false,
    }
}

/// The French message of a refused signature.
async fn refus_signature(w: &Monde, d: DemandeMandat) -> String {
    w.md.signer(&w.aidant, d)
        .await
        .expect_err("signature refused")
        .to_string()
}

async fn tete(w: &Monde) -> i64 {
    w.md.store().journal_head().await.unwrap().seq
}

#[tokio::test]
async fn signing_needs_the_second_factor_declarations_and_habilitation() {
    let w = monde().await;
    let avant = tete(&w).await;
    let mut d = demande(&w, &[Demarche::Social]);
    d.code_second_facteur = "000000".into();
    assert_eq!(
        refus_signature(&w, d).await,
        "Code incorrect ou déjà utilisé."
    );
    let mut d = demande(&w, &[Demarche::Social]);
    d.consentement = false;
    assert!(refus_signature(&w, d).await.contains("consentement"));
    let mut d = demande(&w, &[Demarche::Social]);
    d.pas_de_protection_juridique = false;
    assert!(refus_signature(&w, d)
        .await
        .contains("protection juridique"));
    // The over-indebtedness notice must have been read for "argent".
    let d = demande(&w, &[Demarche::Argent]);
    assert!(refus_signature(&w, d).await.contains("mentions légales"));
    let d = demande(&w, &[Demarche::Social]);
    assert!(matches!(
        w.md.signer(&w.collegue_non_habilite, d).await,
        Err(ErreurMandat::NonHabilite)
    ));
    let d = demande(&w, &[Demarche::Social]);
    assert!(matches!(
        w.md.signer(&w.coordinateur, d).await,
        Err(ErreurMandat::NonHabilite)
    ));
    assert_eq!(
        tete(&w).await,
        avant,
        "nothing written by refused signatures"
    );

    let signe =
        w.md.signer(
            &w.aidant,
            demande(&w, &[Demarche::Logement, Demarche::Social]),
        )
        .await
        .unwrap();
    let code = signe
        .code_personnel
        .clone()
        .expect("a new person gets a code");
    assert_eq!(code.len(), 23);
    let fiche = w.md.document(&w.aidant, signe.id).await.unwrap();
    let doc = fiche.document.expect("document kept");
    assert_eq!(doc.usager.nom, "Martin");
    assert_eq!(
        doc.empreinte().unwrap().0,
        signe.empreinte,
        "the printed fingerprint is the document's"
    );
    let creation = &fiche.journal[0];
    assert_eq!(creation.contenu.action, "creation_mandat");
    assert!(creation.contenu.details.contains(&signe.empreinte));
    assert!(
        !creation.contenu.details.contains("Martin"),
        "no personal data in the journal"
    );
    // The paper copy checks out at /verifier.
    let v =
        w.md.verifier_empreinte(&signe.empreinte)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(v.entree.map(|e| e.seq), Some(creation.seq));
    assert!(w
        .md
        .verifier_empreinte(&"0".repeat(64))
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        w.md.verifier_empreinte("zz").await,
        Err(ErreurMandat::Invalide { .. })
    ));
}

#[tokio::test]
async fn every_refused_use_is_explained_and_only_journalled() {
    let w = monde().await;
    let signe =
        w.md.signer(
            &w.aidant,
            demande(&w, &[Demarche::Logement, Demarche::Social]),
        )
        .await
        .unwrap();
    let id = signe.id;
    w.md.utiliser(&w.aidant, id, Demarche::Social)
        .await
        .expect("in scope");

    async fn refus(
        w: &Monde,
        a: &Acteur,
        id: maillage_domain::MandatId,
        d: Demarche,
        attendu: MotifRefus,
        message: &str,
    ) {
        let avant = w.md.store().journal(0, 1000).await.unwrap();
        let mandat_avant = w.md.store().mandat(id.get()).await.unwrap();
        let e = w.md.utiliser(a, id, d).await.unwrap_err();
        match &e {
            ErreurMandat::Refus(m) => assert_eq!(m, &attendu),
            autre => panic!("{autre:?}"),
        }
        assert_eq!(e.to_string(), message);
        let apres = w.md.store().journal(0, 1000).await.unwrap();
        assert_eq!(apres.len(), avant.len() + 1, "exactly one entry");
        let derniere = apres.last().unwrap();
        assert_eq!(derniere.contenu.action, "refus_utilisation");
        assert!(derniere.contenu.details.contains(attendu.code()));
        assert_eq!(
            w.md.store().mandat(id.get()).await.unwrap(),
            mandat_avant,
            "the mandate is unchanged"
        );
    }
    refus(
        &w,
        &w.aidant,
        id,
        Demarche::Argent,
        MotifRefus::HorsPerimetre {
            demarche: Demarche::Argent,
        },
        "Refusé : la démarche « Argent - Impôts - Consommation » n'est pas couverte par ce mandat.",
    )
    .await;
    refus(
        &w,
        &w.autre_structure,
        id,
        Demarche::Social,
        MotifRefus::AutreStructure,
        "Refusé : ce mandat a été signé avec une autre structure que la vôtre.",
    )
    .await;
    refus(
        &w,
        &w.collegue_non_habilite,
        id,
        Demarche::Social,
        MotifRefus::NonHabilite,
        "Refusé : votre compte n'est pas habilité à agir au titre d'un mandat.",
    )
    .await;
    w.md.revoquer(&w.aidant, id, &[Demarche::Logement])
        .await
        .unwrap()
        .expect("revoked");
    refus(
        &w,
        &w.aidant,
        id,
        Demarche::Logement,
        MotifRefus::DemarcheRevoquee {
            demarche: Demarche::Logement,
        },
        "Refusé : la démarche « Logement » a été révoquée pour ce mandat.",
    )
    .await;
    w.horloge.avancer(Duration::days(183));
    refus(
        &w,
        &w.aidant,
        id,
        Demarche::Social,
        MotifRefus::Expire,
        "Refusé : ce mandat a expiré.",
    )
    .await;
    // A whole revocation of another mandate.
    let autre =
        w.md.signer(&w.aidant, demande(&w, &[Demarche::Famille]))
            .await
            .unwrap();
    w.md.revoquer(&w.aidant, autre.id, &[])
        .await
        .unwrap()
        .expect("revoked");
    refus(
        &w,
        &w.aidant,
        autre.id,
        Demarche::Famille,
        MotifRefus::MandatRevoque,
        "Refusé : ce mandat a été révoqué.",
    )
    .await;
    // Another structure cannot even see or revoke it.
    assert!(matches!(
        w.md.fiche(&w.autre_structure, id).await,
        Err(ErreurMandat::Introuvable)
    ));
    assert!(matches!(
        w.md.revoquer(&w.autre_structure, id, &[]).await,
        Err(ErreurMandat::Introuvable)
    ));
    assert!(w.md.verifier_journal().await.unwrap().intact());
}

#[tokio::test]
async fn the_person_sees_every_use_and_revokes_with_their_code() {
    let w = monde().await;
    let signe =
        w.md.signer(
            &w.aidant,
            demande(&w, &[Demarche::Logement, Demarche::Social]),
        )
        .await
        .unwrap();
    let code = signe.code_personnel.unwrap();
    w.md.utiliser(&w.aidant, signe.id, Demarche::Social)
        .await
        .unwrap();
    w.md.fiche(&w.aidant, signe.id).await.unwrap();
    // Wrong codes are refused, then throttled.
    // The code is the kernel's key (« Mon espace »): one key across modules.
    let comptes = w.md.comptes();
    assert!(matches!(
        comptes
            .ouvrir_espace("AAAAA-BBBBB-CCCCC-DDDDD", "1.2.3.4")
            .await,
        Err(ErreurComptes::CodePersonnelIncorrect)
    ));
    let (jeton, session) = comptes
        .ouvrir_espace(&code.to_lowercase(), "1.2.3.4")
        .await
        .expect("code accepted");
    let (_u, mandats, journal) = w.md.espace_personne(&session).await.unwrap();
    assert_eq!(mandats.len(), 1);
    let actions: Vec<&str> = journal.iter().map(|e| e.contenu.action.as_str()).collect();
    assert_eq!(actions, ["creation_mandat", "utilisation", "consultation"]);
    let e =
        w.md.revoquer_par_la_personne(&session, signe.id, &[Demarche::Logement])
            .await
            .unwrap()
            .unwrap();
    assert!(e.contenu.acteur.starts_with("usager:"));
    let m = w.md.store().mandat(signe.id.get()).await.unwrap().unwrap();
    let logement = m
        .autorisations
        .iter()
        .find(|a| a.demarche == Demarche::Logement)
        .unwrap();
    assert_eq!(logement.revoquee_par.as_deref(), Some("usager"));
    assert!(matches!(
        w.md.utiliser(&w.aidant, signe.id, Demarche::Logement).await,
        Err(ErreurMandat::Refus(MotifRefus::DemarcheRevoquee { .. }))
    ));
    // Someone else's mandate is not reachable from this session.
    let autre =
        w.md.signer(&w.aidant, demande(&w, &[Demarche::Famille]))
            .await
            .unwrap();
    assert!(matches!(
        w.md.revoquer_par_la_personne(&session, autre.id, &[]).await,
        Err(ErreurMandat::Introuvable)
    ));
    // The session is found by its token until it expires.
    assert_eq!(
        comptes.personne_de_session(&jeton).await.unwrap(),
        Some(session.clone())
    );
    w.horloge.avancer(Duration::minutes(25));
    assert_eq!(comptes.personne_de_session(&jeton).await.unwrap(), None);
    for _ in 0..12 {
        let _ = comptes
            .ouvrir_espace("AAAAA-BBBBB-CCCCC-DDDDD", "9.9.9.9")
            .await;
    }
    assert!(matches!(
        comptes.ouvrir_espace(&code, "9.9.9.9").await,
        Err(ErreurComptes::TropDeTentatives)
    ));
}

#[tokio::test]
async fn renewal_needs_fresh_consent_and_reminders_go_once() {
    let w = monde().await;
    let mut d = demande(&w, &[Demarche::Social]);
    d.duree = DureeMandat::UnMois;
    let signe = w.md.signer(&w.aidant, d).await.unwrap();
    let mut r = demande(&w, &[Demarche::Social, Demarche::Travail]);
    r.usager = Some(signe.usager_id);
    r.identite = None;
    r.renouvelle = Some(signe.id);
    r.consentement = false;
    assert!(
        w.md.signer(&w.aidant, r.clone()).await.is_err(),
        "renewal without consent"
    );
    r.consentement = true;
    r.code_second_facteur = code(&w);
    let nouveau = w.md.signer(&w.aidant, r).await.unwrap();
    assert!(
        nouveau.code_personnel.is_none(),
        "the person keeps their code"
    );
    let ancien = w.md.store().mandat(signe.id.get()).await.unwrap().unwrap();
    assert_eq!(ancien.revoque_par.as_deref(), Some("renouvellement"));
    // Reminders a week before expiry, once.
    let mut d = demande(&w, &[Demarche::Papiers]);
    d.duree = DureeMandat::UnMois;
    w.md.signer(&w.aidant, d).await.unwrap();
    w.horloge.avancer(Duration::days(26));
    assert_eq!(w.md.rappels_expiration().await.unwrap(), 1);
    assert_eq!(w.md.rappels_expiration().await.unwrap(), 0);
    let courriels = w.md.comptes().courriels(10).await.unwrap();
    assert!(courriels[0].sujet.contains("expire bientôt"));
    assert!(
        !courriels[0].corps.contains("Martin"),
        "no personal data by e-mail"
    );
    // Seals: the hourly job seals what is pending; verification is intact.
    assert!(w.md.sceller().await.unwrap().is_some());
    assert!(w.md.sceller().await.unwrap().is_none());
    let r = w.md.verifier_journal().await.unwrap();
    assert!(r.intact() && r.sceaux >= 1 && r.non_scellees == 0, "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_uses_on_a_sqlite_file_make_one_unbroken_chain() {
    let dir = tempfile::tempdir().unwrap();
    let w = Arc::new(monde_sur(&format!("sqlite://{}", dir.path().join("m.db").display())).await);
    let signe =
        w.md.signer(
            &w.aidant,
            demande(&w, &[Demarche::Social, Demarche::Logement]),
        )
        .await
        .unwrap();
    let avant = tete(&w).await;
    let taches: Vec<_> = (0..50)
        .map(|i| {
            let w = Arc::clone(&w);
            tokio::spawn(async move {
                let d = if i % 2 == 0 {
                    Demarche::Social
                } else {
                    Demarche::Logement
                };
                w.md.utiliser(&w.aidant, signe.id, d).await.map(|e| e.seq)
            })
        })
        .collect();
    let mut seqs = Vec::new();
    for t in taches {
        seqs.push(t.await.unwrap().expect("use allowed"));
    }
    seqs.sort();
    assert_eq!(seqs, ((avant + 1)..=(avant + 50)).collect::<Vec<_>>());
    let r = w.md.verifier_journal().await.unwrap();
    assert!(r.intact(), "{r:?}");
    assert_eq!(r.derniere, avant + 50);
}

/// A provider plugged in for the test: the identity step is pluggable.
struct FournisseurDeTest;

#[async_trait::async_trait]
impl maillage_identite::FournisseurIdentite for FournisseurDeTest {
    fn identifiant(&self) -> &str {
        "test"
    }
    fn libelle(&self) -> &str {
        "Fournisseur de test"
    }
    fn demarrer(
        &self,
    ) -> Result<maillage_identite::DemandeAutorisation, maillage_identite::ErreurIdentite> {
        Ok(maillage_identite::DemandeAutorisation {
            fournisseur: "test".into(),
            url: "https://fournisseur.test/autoriser?state=etat-1".into(),
            state: "etat-1".into(),
            nonce: "n".into(),
            code_verifier: "v".into(),
            creee_le: Utc::now(),
        })
    }
    async fn terminer(
        &self,
        demande: &maillage_identite::DemandeAutorisation,
        code: &str,
        state: &str,
    ) -> Result<maillage_identite::IdentiteVerifiee, maillage_identite::ErreurIdentite> {
        if state != demande.state {
            return Err(maillage_identite::ErreurIdentite::EtatInvalide);
        }
        assert_eq!(code, "bon-code");
        Ok(maillage_identite::IdentiteVerifiee {
            nom: "Durand".into(),
            prenoms: "Lucienne".into(),
            date_naissance: chrono::NaiveDate::from_ymd_opt(1948, 3, 9),
            lieu_naissance: None,
            methode: maillage_identite::Methode::Oidc {
                fournisseur: "https://fournisseur.test".into(),
                sujet: "sujet-42".into(),
            },
        })
    }
}

#[tokio::test]
async fn a_plugged_identity_provider_verifies_the_person_once_per_mandate() {
    let mut w = monde().await;
    w.md = w.md.clone().avec_fournisseur(Arc::new(FournisseurDeTest));
    assert_eq!(
        w.md.fournisseur_libelle().as_deref(),
        Some("Fournisseur de test")
    );
    // Not habilitated: refused before reaching the provider.
    assert!(matches!(
        w.md.demarrer_identification(&w.coordinateur).await,
        Err(ErreurMandat::NonHabilite)
    ));
    let url = w.md.demarrer_identification(&w.aidant).await.unwrap();
    assert!(url.starts_with("https://fournisseur.test/"));
    // A callback with another state is refused and consumes the request.
    let e =
        w.md.terminer_identification(&w.aidant, "bon-code", "etat-pirate")
            .await
            .unwrap_err();
    assert!(matches!(e, ErreurMandat::Invalide { .. }), "{e:?}");
    assert!(w
        .md
        .terminer_identification(&w.aidant, "bon-code", "etat-1")
        .await
        .is_err());
    w.md.demarrer_identification(&w.aidant).await.unwrap();
    let identite =
        w.md.terminer_identification(&w.aidant, "bon-code", "etat-1")
            .await
            .unwrap();
    assert_eq!(identite.verification, "oidc:https://fournisseur.test");
    // Kept for this aidant only.
    assert!(w
        .md
        .identite_verifiee(&w.autre_structure)
        .await
        .unwrap()
        .is_none());
    let mut d = demande(&w, &[Demarche::Social]);
    d.identite = None;
    d.identite_par_fournisseur = true;
    let signe = w.md.signer(&w.aidant, d).await.unwrap();
    let doc =
        w.md.document(&w.aidant, signe.id)
            .await
            .unwrap()
            .document
            .unwrap();
    assert_eq!(doc.usager.nom, "Durand");
    assert!(doc
        .usager
        .verification_lisible()
        .contains("fournisseur d’identité"));
    // Used once: a second mandate needs a new verification.
    let mut d = demande(&w, &[Demarche::Social]);
    d.identite = None;
    d.identite_par_fournisseur = true;
    assert!(refus_signature(&w, d)
        .await
        .contains("vérification d’identité"));
}

/// Two app nodes on one database (issue « Fiabilité et exploitation », item 2): the pending
/// request made on node A is found by the provider's callback on node B, the identity B
/// verified signs on A, each is used once, and the hourly job forgets what expired.
#[tokio::test]
async fn deux_noeuds_identification_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    identification_sur_deux_noeuds(&format!(
        "sqlite://{}",
        dir.path().join("noeuds.db").display()
    ))
    .await;
}

#[tokio::test]
async fn deux_noeuds_identification_postgres() {
    let db = maillage_store_postgres::testing::TestDatabase::create().await;
    identification_sur_deux_noeuds(&db.url).await;
    db.drop_database().await;
}

async fn identification_sur_deux_noeuds(url: &str) {
    let url = url.to_string();
    let mut w = monde_sur(&url).await;
    w.md = w.md.clone().avec_fournisseur(Arc::new(FournisseurDeTest));
    // Node B: its own pool over the same file, the same clock and journal key.
    let noeud_b = maillage_cli::stockage::ouvrir(&url)
        .await
        .unwrap()
        .avec_horloge(w.horloge.clone())
        .avec_cle_journal(SigningKey::from_bytes(&[9; 32]));
    let b = noeud_b
        .mandats()
        .unwrap()
        .clone()
        .avec_fournisseur(Arc::new(FournisseurDeTest));

    // Started on A, ended on B.
    w.md.demarrer_identification(&w.aidant).await.unwrap();
    let identite = b
        .terminer_identification(&w.aidant, "bon-code", "etat-1")
        .await
        .unwrap();
    assert_eq!(identite.nom, "Durand");
    // The request was taken: a second callback (on either node) finds nothing.
    for n in [&b, &w.md] {
        let e = n
            .terminer_identification(&w.aidant, "bon-code", "etat-1")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("recommencez"), "{e}");
    }
    // The identity verified on B is seen on A (for this aidant only) and signs there.
    assert_eq!(
        w.md.identite_verifiee(&w.aidant).await.unwrap(),
        Some(identite.clone())
    );
    assert_eq!(
        b.identite_verifiee(&w.collegue_non_habilite).await.unwrap(),
        None
    );
    let mut d = demande(&w, &[Demarche::Social]);
    d.identite = None;
    d.identite_par_fournisseur = true;
    w.md.signer(&w.aidant, d).await.unwrap();
    // Used once, on every node.
    assert_eq!(b.identite_verifiee(&w.aidant).await.unwrap(), None);

    // A verified identity waits 30 minutes, then is refused, and the hourly job forgets
    // it and any pending request.
    w.md.demarrer_identification(&w.aidant).await.unwrap();
    b.terminer_identification(&w.aidant, "bon-code", "etat-1")
        .await
        .unwrap();
    w.md.demarrer_identification(&w.aidant).await.unwrap();
    w.horloge.avancer(Duration::minutes(29));
    assert!(b.identite_verifiee(&w.aidant).await.unwrap().is_some());
    w.horloge.avancer(Duration::minutes(2));
    assert!(b.identite_verifiee(&w.aidant).await.unwrap().is_none());
    let mut d = demande(&w, &[Demarche::Social]);
    d.identite = None;
    d.identite_par_fournisseur = true;
    assert!(refus_signature(&w, d)
        .await
        .contains("vérification d’identité"));
    let s = w.md.store();
    let aidant = w.aidant.id().get();
    use maillage_store::mandats::NatureIdentification as N;
    assert!(s
        .identification(aidant, N::Demande)
        .await
        .unwrap()
        .is_some());
    w.md.taches().await.unwrap();
    assert!(s
        .identification(aidant, N::Demande)
        .await
        .unwrap()
        .is_none());
    assert!(s
        .identification(aidant, N::Verifiee)
        .await
        .unwrap()
        .is_none());
}

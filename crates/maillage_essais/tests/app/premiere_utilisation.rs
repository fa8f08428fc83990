//! Issue « Première utilisation réelle », item 1 and the commune field: accounts join
//! structures through the product (invitation into a structure, attach and detach with
//! dates), habilitation follows, an aidant of several structures chooses the one they act
//! for; communes are typed by name. Use cases only (no store call but to read back).
//!
//! `cargo test -p maillage_essais --test app premiere_utilisation::`

use std::sync::Arc;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use maillage_domain::mandats::SigningKey;
use maillage_domain::mediation::Role;
use maillage_domain::{CompteId, StructureId};
use maillage_mandats::{ErreurMandat, Mandats};
use maillage_mediation::{Acteur, ErreurMediation, HorlogeManuelle, Mediation};

const MDP: &str = "un mot de passe solide";

struct Monde {
    m: Mediation,
    md: Mandats,
    horloge: Arc<HorlogeManuelle>,
    admin: Acteur,
    /// Coordinator of dep:31, member of no structure.
    coord31: Acteur,
    /// Structures in Muret (31) and Paris (75).
    muret: StructureId,
    paris: StructureId,
}

async fn monde() -> Monde {
    let horloge = Arc::new(HorlogeManuelle::new(
        Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0)
            .single()
            .unwrap(),
    ));
    let annuaire = maillage_cli::stockage::ouvrir("sqlite::memory:")
        .await
        .unwrap();
    let annuaire = annuaire.avec_horloge(horloge.clone());
    let m: Mediation = annuaire.mediation().clone();
    let annuaire = annuaire.avec_cle_journal(SigningKey::from_bytes(&[3; 32]));
    let md = annuaire.mandats().unwrap().clone();
    let admin_id = m
        .comptes()
        .creer_compte("admin@exemple.fr", "Admin", Role::Administrateur, None, MDP)
        .await
        .unwrap();
    let admin = m.comptes().acteur_de_confiance(admin_id).await.unwrap();
    let muret = m
        .comptes()
        .creer_structure(&admin, "CCAS de Muret", None, Some("Muret"))
        .await
        .unwrap();
    let paris = m
        .comptes()
        .creer_structure(&admin, "Espace Paris 11", None, Some("75056"))
        .await
        .unwrap();
    let c = m
        .comptes()
        .creer_compte("coord31@exemple.fr", "Coord", Role::Coordinateur, None, MDP)
        .await
        .unwrap();
    m.comptes()
        .confier_territoire(&admin, c, "dep:31")
        .await
        .unwrap();
    let coord31 = m.comptes().acteur_de_confiance(c).await.unwrap();
    Monde {
        m,
        md,
        horloge,
        admin,
        coord31,
        muret,
        paris,
    }
}

fn jour(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

async fn mediateur_sans_structure(w: &Monde, email: &str) -> CompteId {
    w.m.comptes()
        .creer_compte(email, email, Role::Mediateur, None, MDP)
        .await
        .unwrap()
}

#[tokio::test]
async fn premiere_utilisation_invitation_dans_une_structure_puis_habilitation() {
    let w = monde().await;
    // The administrator invites a mediator into the Muret structure; the account created
    // from the link belongs to it, and the coordinator of dep:31 may habilitate them.
    let lien =
        w.m.comptes()
            .inviter(
                &w.admin,
                "aidant@exemple.fr",
                Role::Mediateur,
                Some(w.muret),
            )
            .await
            .unwrap();
    let jeton = lien.rsplit('/').next().unwrap();
    let id =
        w.m.comptes()
            .accepter_invitation(jeton, "Awa", MDP)
            .await
            .unwrap();
    let aidant = w.m.comptes().acteur_de_confiance(id).await.unwrap();
    assert_eq!(aidant.compte.structure_id, Some(w.muret));
    assert_eq!(aidant.structure_courante(), Some("CCAS de Muret"));
    let courriel = &w.m.comptes().courriels(1).await.unwrap()[0];
    assert!(
        courriel.corps.contains("CCAS de Muret"),
        "{}",
        courriel.corps
    );
    w.md.habiliter_par_email(&w.coord31, "aidant@exemple.fr")
        .await
        .unwrap();
    assert!(w.md.est_habilite(&aidant).await.unwrap());
    // A coordinator cannot invite into a structure outside their territories.
    let refus =
        w.m.comptes()
            .inviter(&w.coord31, "x@exemple.fr", Role::Mediateur, Some(w.paris))
            .await;
    assert!(matches!(refus, Err(ErreurMediation::Interdit)), "{refus:?}");
}

#[tokio::test]
async fn premiere_utilisation_rattacher_et_detacher_avec_des_dates() {
    let w = monde().await;
    let id = mediateur_sans_structure(&w, "seul@exemple.fr").await;
    // Without a structure: no habilitation, with the message of the issue.
    let refus = w.md.habiliter(&w.admin, id).await;
    assert!(
        matches!(&refus, Err(ErreurMandat::Invalide { message, .. }) if message.contains("rattaché à une structure")),
        "{refus:?}"
    );
    // The coordinator of dep:31 attaches them to Muret from today; not to Paris.
    let c =
        w.m.comptes()
            .rattacher(&w.coord31, "seul@exemple.fr", w.muret, jour(20))
            .await
            .unwrap();
    assert_eq!(
        c.structure_id,
        Some(w.muret),
        "acts for its first structure"
    );
    assert!(matches!(
        w.m.comptes()
            .rattacher(&w.coord31, "seul@exemple.fr", w.paris, jour(20))
            .await,
        Err(ErreurMediation::Interdit)
    ));
    // Twice is refused, with the field named.
    assert!(matches!(
        w.m.comptes()
            .rattacher(&w.coord31, "seul@exemple.fr", w.muret, jour(21))
            .await,
        Err(ErreurMediation::Invalide { .. })
    ));
    w.md.habiliter(&w.coord31, id).await.unwrap();
    let membres =
        w.m.comptes()
            .membres_de_structure(&w.coord31, w.muret)
            .await
            .unwrap();
    assert_eq!(membres.len(), 1);
    assert_eq!((membres[0].debut, membres[0].fin), (jour(20), None));
    // Detached with a last day before the start: refused; on the 25th: ends then.
    assert!(matches!(
        w.m.comptes()
            .detacher(&w.coord31, "seul@exemple.fr", w.muret, jour(19))
            .await,
        Err(ErreurMediation::Invalide { .. })
    ));
    w.m.comptes()
        .detacher(&w.coord31, "seul@exemple.fr", w.muret, jour(25))
        .await
        .unwrap();
    let aidant = w.m.comptes().acteur_de_confiance(id).await.unwrap();
    assert_eq!(aidant.compte.structure_id, Some(w.muret), "until the 25th");
    assert!(w.md.est_habilite(&aidant).await.unwrap());
    w.horloge.avancer(Duration::days(6));
    let aidant = w.m.comptes().acteur_de_confiance(id).await.unwrap();
    assert_eq!(aidant.compte.structure_id, None, "after the last day");
    assert!(!w.md.est_habilite(&aidant).await.unwrap());
    let membres =
        w.m.comptes()
            .membres_de_structure(&w.admin, w.muret)
            .await
            .unwrap();
    assert_eq!(membres[0].fin, Some(jour(25)));
    assert!(!membres[0].actif);
    // A mediator manages no structure.
    assert!(matches!(
        w.m.comptes()
            .rattacher(&aidant, "seul@exemple.fr", w.muret, jour(26))
            .await,
        Err(ErreurMediation::Interdit)
    ));
}

#[tokio::test]
async fn premiere_utilisation_aidant_de_plusieurs_structures_choisit_la_sienne() {
    let w = monde().await;
    let id = mediateur_sans_structure(&w, "double@exemple.fr").await;
    w.m.comptes()
        .rattacher(&w.admin, "double@exemple.fr", w.muret, jour(1))
        .await
        .unwrap();
    w.m.comptes()
        .rattacher(&w.admin, "double@exemple.fr", w.paris, jour(10))
        .await
        .unwrap();
    let a = w.m.comptes().acteur_de_confiance(id).await.unwrap();
    assert_eq!(
        a.structures.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![w.muret, w.paris]
    );
    assert_eq!(a.compte.structure_id, Some(w.muret));
    w.m.comptes().choisir_structure(&a, w.paris).await.unwrap();
    let a = w.m.comptes().acteur_de_confiance(id).await.unwrap();
    assert_eq!(a.structure_courante(), Some("Espace Paris 11"));
    // Not a structure of theirs.
    let autre =
        w.m.comptes()
            .creer_structure(&w.admin, "Autre", None, None)
            .await
            .unwrap();
    assert!(w.m.comptes().choisir_structure(&a, autre).await.is_err());
    // Detached from the chosen one: back to the other.
    w.m.comptes()
        .detacher(&w.admin, "double@exemple.fr", w.paris, jour(19))
        .await
        .unwrap();
    let a = w.m.comptes().acteur_de_confiance(id).await.unwrap();
    assert_eq!(a.compte.structure_id, Some(w.muret));
    assert_eq!(a.structures.len(), 1);
}

#[tokio::test]
async fn premiere_utilisation_commune_par_son_nom() {
    let w = monde().await;
    let code = |t: &str| w.m.comptes().resoudre_commune(t);
    assert_eq!(code("Muret").unwrap(), "31395");
    assert_eq!(code("muret").unwrap(), "31395");
    assert_eq!(code("Saint-Gaudens (31800)").unwrap(), "31483");
    assert_eq!(code("31000 Toulouse").unwrap(), "31555");
    assert_eq!(code("31555").unwrap(), "31555");
    // A name shared by several communes asks for the postal code, naming them.
    let e = code("Saint-Denis").unwrap_err().to_string();
    assert!(e.contains("code postal"), "{e}");
    let e = code("Xyzzyville").unwrap_err().to_string();
    assert!(e.contains("Xyzzyville"), "{e}");
    // The structure created with « Muret » above has its INSEE code.
    let s = w.m.comptes().structures_gerables(&w.admin).await.unwrap();
    assert_eq!(
        s.iter()
            .find(|s| StructureId::new(s.id) == w.muret)
            .and_then(|s| s.code_insee.clone())
            .as_deref(),
        Some("31395")
    );
}

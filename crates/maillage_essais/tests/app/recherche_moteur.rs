//! The search engine on hand-made places: filter semantics, nearest places against brute
//! force, radius, territory, text, opening hours, map rectangles, atomic swaps.

use chrono::{NaiveDate, NaiveDateTime};
use maillage_annuaire::doublons::LieuFusionne;
use maillage_annuaire::recherche::{
    ErreurRecherche, EtatOuverture, Filtres, Moteur, MoteurPartage, Ouverture, Requete, Tri,
    LIMITE_MAX,
};
use maillage_domain::{
    CodeInsee, CodePostal, DispositifProgrammeNational, Frais, Horaires, Itinerance, Lieu,
    Localisation, ModaliteAccompagnement, Pivot, PublicSpecifiquementAdresse, Service, Typologie,
    Vocabulary,
};
use maillage_geo::{haversine_m, Point};
use maillage_territoire::{Referentiel, Territoire};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn lieu(
    id: &str,
    nom: &str,
    insee: &str,
    cp: &str,
    commune: &str,
    lat: f64,
    lon: f64,
) -> LieuFusionne {
    let l = Lieu {
        id: id.into(),
        pivot: Pivot::Absent,
        nom: nom.into(),
        commune: commune.into(),
        code_postal: CodePostal::parse(cp).expect("postal code"),
        code_insee: Some(CodeInsee::parse(insee).expect("insee code")),
        adresse: "1 place de la Mairie".into(),
        complement_adresse: None,
        localisation: Localisation::new(lat, lon),
        typologie: vec![],
        telephone: None,
        courriels: vec![],
        site_web: vec![],
        horaires: None,
        presentation_resume: None,
        presentation_detail: None,
        source: Some("test".into()),
        itinerance: vec![],
        structure_parente: None,
        date_maj: NaiveDate::from_ymd_opt(2025, 1, 1).expect("date"),
        services: vec![],
        publics_specifiquement_adresses: vec![],
        prise_en_charge_specifique: vec![],
        frais_a_charge: vec![],
        dispositif_programmes_nationaux: vec![],
        formations_labels: vec![],
        autres_formations_labels: vec![],
        modalites_acces: vec![],
        modalites_accompagnement: vec![],
        fiche_acces_libre: None,
        prise_rdv: None,
    };
    LieuFusionne {
        id: id.into(),
        lieu: l,
        membres: vec![format!("test#{id}")],
        provenance: BTreeMap::new(),
    }
}

fn dt(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("test date")
}

fn p(lat: f64, lon: f64) -> Point {
    Point::new(lat, lon).expect("test point")
}

/// Toulouse, Blagnac, Colomiers (Haute-Garonne, Toulouse Métropole), Albi (Tarn), Lyon,
/// Nouméa.
fn jeu() -> Vec<LieuFusionne> {
    let mut a = lieu(
        "a",
        "Médiathèque José Cabanis",
        "31555",
        "31000",
        "Toulouse",
        43.6114,
        1.4536,
    );
    a.lieu.services = vec![
        Service::AideAuxDemarchesAdministratives,
        Service::AccesInternetEtMaterielInformatique,
    ];
    a.lieu.frais_a_charge = vec![Frais::Gratuit];
    a.lieu.typologie = vec![Typologie::Bib];
    a.lieu.horaires = Horaires::new("Tu-Sa 10:00-19:00; PH off");

    let mut b = lieu(
        "b",
        "France Services Blagnac",
        "31069",
        "31700",
        "Blagnac",
        43.6370,
        1.3900,
    );
    b.lieu.services = vec![Service::AideAuxDemarchesAdministratives];
    b.lieu.frais_a_charge = vec![Frais::Payant];
    b.lieu.dispositif_programmes_nationaux = vec![DispositifProgrammeNational::FranceServices];
    b.lieu.horaires = Horaires::new("Mo-Fr 09:00-12:00,14:00-17:00");

    let mut c = lieu(
        "c",
        "Espace numérique de Colomiers",
        "31149",
        "31770",
        "Colomiers",
        43.6110,
        1.3350,
    );
    c.lieu.services = vec![Service::MaitriseDesOutilsNumeriquesDuQuotidien];
    c.lieu.frais_a_charge = vec![Frais::GratuitSousCondition];
    c.lieu.publics_specifiquement_adresses = vec![PublicSpecifiquementAdresse::Seniors];
    c.lieu.modalites_accompagnement = vec![ModaliteAccompagnement::DansUnAtelier];
    c.lieu.horaires = Horaires::new("Mo-Fr 09:00-17:00; PH off");

    let mut d = lieu(
        "d",
        "Centre social d'Albi",
        "81004",
        "81000",
        "Albi",
        43.9289,
        2.1464,
    );
    d.lieu.services = vec![
        Service::AideAuxDemarchesAdministratives,
        Service::MaitriseDesOutilsNumeriquesDuQuotidien,
    ];
    d.lieu.frais_a_charge = vec![Frais::Gratuit];
    d.lieu.itinerance = vec![Itinerance::Fixe];
    d.lieu.horaires = Horaires::new("le mardi matin sur rendez-vous");

    let mut e = lieu(
        "e",
        "Bus numérique du Rhône",
        "69123",
        "69001",
        "Lyon",
        45.7640,
        4.8357,
    );
    e.lieu.services = vec![Service::AccesInternetEtMaterielInformatique];
    e.lieu.itinerance = vec![Itinerance::Itinerant];
    e.lieu.horaires = Horaires::new("24/7");

    let mut f = lieu(
        "f",
        "Maison de quartier de Nouméa",
        "98818",
        "98800",
        "Nouméa",
        -22.2758,
        166.4580,
    );
    f.lieu.services = vec![Service::AideAuxDemarchesAdministratives];
    f.lieu.horaires = Horaires::new("Mo-Fr 07:30-16:00");
    vec![a, b, c, d, e, f]
}

fn ids(m: &Moteur, indexes: impl IntoIterator<Item = usize>) -> Vec<String> {
    indexes
        .into_iter()
        .map(|i| m.lieu_a(i).expect("index").id.clone())
        .collect()
}

fn chercher(m: &Moteur, r: &Requete) -> (usize, Vec<String>) {
    let rep = m.rechercher(r).expect("valid query");
    (rep.total, ids(m, rep.resultats.iter().map(|t| t.index)))
}

fn trier(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn avec_filtres(filtres: Filtres) -> Requete {
    Requete {
        filtres,
        limit: 100,
        ..Requete::default()
    }
}

#[test]
fn or_inside_a_category_and_across_categories() {
    let m = Moteur::nouveau(jeu());
    assert_eq!(m.len(), 6);
    let un = |f: Filtres| trier(chercher(&m, &avec_filtres(f)).1);

    // OR inside services.
    let f = Filtres {
        services: vec![
            Service::MaitriseDesOutilsNumeriquesDuQuotidien,
            Service::AccesInternetEtMaterielInformatique,
        ],
        ..Filtres::default()
    };
    assert_eq!(un(f.clone()), vec!["a", "c", "d", "e"]);

    // AND with frais (itself an OR).
    let f2 = Filtres {
        frais_a_charge: vec![Frais::Gratuit, Frais::GratuitSousCondition],
        ..f.clone()
    };
    assert_eq!(un(f2.clone()), vec!["a", "c", "d"]);

    // AND with a third category.
    let f3 = Filtres {
        itinerance: vec![Itinerance::Fixe],
        ..f2
    };
    assert_eq!(un(f3), vec!["d"]);

    // Places without any value of a filtered category never pass it.
    let f4 = Filtres {
        publics_specifiquement_adresses: vec![
            PublicSpecifiquementAdresse::Seniors,
            PublicSpecifiquementAdresse::Jeunes,
        ],
        ..Filtres::default()
    };
    assert_eq!(un(f4), vec!["c"]);
    let f5 = Filtres {
        dispositif_programmes_nationaux: vec![DispositifProgrammeNational::FranceServices],
        modalites_accompagnement: vec![ModaliteAccompagnement::DansUnAtelier],
        ..Filtres::default()
    };
    assert!(un(f5).is_empty());
    let f6 = Filtres {
        typologie: vec![Typologie::Bib, Typologie::Mjc],
        ..Filtres::default()
    };
    assert_eq!(un(f6.clone()), vec!["a"]);
    assert!(m.correspond(m.index_de("a").expect("a"), &f6));
    assert!(!m.correspond(m.index_de("b").expect("b"), &f6));

    // No filter: everything, in name order.
    let (total, tous) = chercher(&m, &avec_filtres(Filtres::default()));
    assert_eq!(total, 6);
    assert_eq!(tous, vec!["e", "d", "c", "b", "f", "a"]);
    assert!(Filtres::default().est_vide());
}

#[test]
fn nearest_first_with_distances_and_radius() {
    let m = Moteur::nouveau(jeu());
    let capitole = p(43.6045, 1.4440);
    let rep = m.rechercher(&Requete::autour(capitole)).expect("query");
    assert_eq!(rep.total, 6);
    assert_eq!(
        ids(&m, rep.resultats.iter().map(|t| t.index)),
        vec!["a", "b", "c", "d", "e", "f"]
    );
    let d0 = rep.resultats[0].distance_m.expect("distance");
    assert!((d0 - haversine_m(capitole, p(43.6114, 1.4536))).abs() < 1e-6);
    assert!(rep
        .resultats
        .windows(2)
        .all(|w| w[0].distance_m <= w[1].distance_m));

    // 15 km: Toulouse, Blagnac, Colomiers.
    let r = Requete {
        rayon_km: Some(15.0),
        ..Requete::autour(capitole)
    };
    assert_eq!(
        chercher(&m, &r),
        (3, vec!["a".into(), "b".into(), "c".into()])
    );
    // Pagination.
    let r2 = Requete {
        limit: 2,
        offset: 1,
        ..r.clone()
    };
    assert_eq!(chercher(&m, &r2), (3, vec!["b".into(), "c".into()]));
    // By name within the radius.
    let r3 = Requete { tri: Tri::Nom, ..r };
    assert_eq!(
        chercher(&m, &r3),
        (3, vec!["c".into(), "b".into(), "a".into()])
    );
    // With a filter.
    let r4 = Requete {
        filtres: Filtres {
            services: vec![Service::AideAuxDemarchesAdministratives],
            ..Filtres::default()
        },
        ..Requete::autour(capitole)
    };
    assert_eq!(
        chercher(&m, &r4),
        (4, vec!["a".into(), "b".into(), "d".into(), "f".into()])
    );
}

#[test]
fn territory_filter() {
    let m = Moteur::nouveau(jeu());
    let referentiel = Referentiel::embedded();
    let t = |s: &str| referentiel.territoire(s).expect("territory");
    let dans = |s: &str| {
        trier(
            chercher(
                &m,
                &avec_filtres(Filtres {
                    territoire: Some(t(s)),
                    ..Filtres::default()
                }),
            )
            .1,
        )
    };
    assert_eq!(dans("dep:31"), vec!["a", "b", "c"]);
    assert_eq!(dans("reg:76"), vec!["a", "b", "c", "d"]);
    assert_eq!(dans("epci:243100518"), vec!["a", "b", "c"]);
    assert_eq!(dans("commune:31555"), vec!["a"]);
    assert_eq!(dans("commune:69381"), vec!["e"]);
    assert_eq!(dans("dep:988"), vec!["f"]);
    assert_eq!(dans("fr").len(), 6);
    assert!(dans("dep:75").is_empty());
    assert!(Territoire::France != t("dep:31"));
}

#[test]
fn text_is_accent_insensitive_and_prefix_based() {
    let m = Moteur::nouveau(jeu());
    let texte = |q: &str| {
        trier(
            chercher(
                &m,
                &Requete {
                    texte: Some(q.into()),
                    limit: 100,
                    ..Requete::default()
                },
            )
            .1,
        )
    };
    assert_eq!(texte("medi"), vec!["a"]);
    assert_eq!(texte("MÉDIATHÈQUE toul"), vec!["a"]);
    assert_eq!(texte("noumea"), vec!["f"]);
    // "numériques" in a service label of d.
    assert_eq!(texte("numérique"), vec!["c", "d", "e"]);
    // Services' labels are searched too.
    assert_eq!(texte("demarches administ"), vec!["a", "b", "d", "f"]);
    assert_eq!(texte("81000"), vec!["d"]);
    assert!(texte("zzz").is_empty());
    // Text and a filter.
    let r = Requete {
        texte: Some("numerique".into()),
        filtres: Filtres {
            itinerance: vec![Itinerance::Itinerant],
            ..Filtres::default()
        },
        ..Requete::default()
    };
    assert_eq!(chercher(&m, &r).1, vec!["e"]);
}

#[test]
fn opening_hours_states() {
    let mut lieux = jeu();
    let mut x = lieu("x", "Atelier", "31555", "31000", "Toulouse", 43.60, 1.44);
    x.lieu.horaires = Horaires::new("Mo-Fr 09:00-12:00,14:00-17:00");
    let mut y = lieu(
        "y",
        "Point numérique",
        "31555",
        "31000",
        "Toulouse",
        43.61,
        1.45,
    );
    y.lieu.horaires = Horaires::new("Mo-Fr 09:00-17:00; PH off");
    lieux.push(x);
    lieux.push(y);
    let m = Moteur::nouveau(lieux);
    let ix = m.index_de("x").expect("x");
    let iy = m.index_de("y").expect("y");
    // Tuesday 4 March 2025.
    assert_eq!(
        m.etat_ouverture(ix, dt("2025-03-04 10:00")),
        EtatOuverture::Ouvert {
            jusqu_a: Some(dt("2025-03-04 12:00"))
        }
    );
    assert_eq!(
        m.etat_ouverture(ix, dt("2025-03-04 12:30")),
        EtatOuverture::Ferme {
            prochaine_ouverture: Some(dt("2025-03-04 14:00"))
        }
    );
    // Saturday: next Monday 09:00.
    assert_eq!(
        m.etat_ouverture(ix, dt("2025-03-08 11:00")),
        EtatOuverture::Ferme {
            prochaine_ouverture: Some(dt("2025-03-10 09:00"))
        }
    );
    // Friday evening: next Monday.
    assert_eq!(
        m.etat_ouverture(ix, dt("2025-03-07 17:00")),
        EtatOuverture::Ferme {
            prochaine_ouverture: Some(dt("2025-03-10 09:00"))
        }
    );
    // Monday 14 July 2025 is a public holiday: "PH off" closes, the next opening is Tuesday.
    assert_eq!(
        m.etat_ouverture(iy, dt("2025-07-14 10:00")),
        EtatOuverture::Ferme {
            prochaine_ouverture: Some(dt("2025-07-15 09:00"))
        }
    );
    // Without "PH off", the holiday does not close it.
    assert!(matches!(
        m.etat_ouverture(ix, dt("2025-07-14 10:00")),
        EtatOuverture::Ouvert { .. }
    ));
    // Easter Monday, Ascension, Whit Monday 2025.
    for jour in ["2025-04-21 10:00", "2025-05-29 10:00", "2025-06-09 10:00"] {
        assert!(
            matches!(m.etat_ouverture(iy, dt(jour)), EtatOuverture::Ferme { .. }),
            "{jour}"
        );
    }
    // Unparsable hours, and no hours.
    let id = m.index_de("d").expect("d");
    assert_eq!(
        m.etat_ouverture(id, dt("2025-03-04 10:00")),
        EtatOuverture::Inconnu
    );
    assert_eq!(
        m.etat_ouverture(usize::MAX, dt("2025-03-04 10:00")),
        EtatOuverture::Inconnu
    );
    // 24/7.
    let ie = m.index_de("e").expect("e");
    assert_eq!(
        m.etat_ouverture(ie, dt("2025-07-14 03:00")),
        EtatOuverture::Ouvert { jusqu_a: None }
    );
    // Nouméa is 10 hours ahead of Paris in winter: 2025-03-04 10:00 in Paris is 20:00 there.
    let i_f = m.index_de("f").expect("f");
    assert_eq!(
        m.etat_ouverture(i_f, dt("2025-03-04 10:00")),
        EtatOuverture::Ferme {
            prochaine_ouverture: Some(dt("2025-03-05 07:30"))
        }
    );
}

#[test]
fn open_now_filter() {
    let m = Moteur::nouveau(jeu());
    let ouverts = |o: Ouverture| {
        trier(
            chercher(
                &m,
                &avec_filtres(Filtres {
                    ouvert: Some(o),
                    ..Filtres::default()
                }),
            )
            .1,
        )
    };
    // Tuesday 4 March 2025 at 10:00 (20:00 in Nouméa).
    assert_eq!(
        ouverts(Ouverture::A(dt("2025-03-04 10:00"))),
        vec!["a", "b", "c", "e"]
    );
    // Tuesday at 12:30: Blagnac closes for lunch.
    assert_eq!(
        ouverts(Ouverture::A(dt("2025-03-04 12:30"))),
        vec!["a", "c", "e"]
    );
    // Monday 14 July at 10:00: Toulouse is closed on Mondays, Colomiers on holidays.
    assert_eq!(
        ouverts(Ouverture::A(dt("2025-07-14 10:00"))),
        vec!["b", "e"]
    );
    // Tuesday at 23:00 in Paris is Wednesday 09:00 in Nouméa.
    assert_eq!(
        ouverts(Ouverture::A(dt("2025-03-04 23:00"))),
        vec!["e", "f"]
    );
    // Some time on Sunday 9 March.
    assert_eq!(
        ouverts(Ouverture::Jour(
            NaiveDate::from_ymd_opt(2025, 3, 9).expect("date")
        )),
        vec!["e"]
    );
    // With a centre: nearest open places.
    let r = Requete {
        filtres: Filtres {
            ouvert: Some(Ouverture::A(dt("2025-03-04 12:30"))),
            ..Filtres::default()
        },
        ..Requete::autour(p(43.64, 1.39))
    };
    assert_eq!(
        chercher(&m, &r),
        (3, vec!["c".into(), "a".into(), "e".into()])
    );
}

#[test]
fn map_rectangle() {
    let m = Moteur::nouveau(jeu());
    let f = Filtres::default();
    let r = m
        .dans_rectangle(43.5, 1.3, 43.7, 1.5, &f, 100)
        .expect("rectangle");
    assert_eq!(trier(ids(&m, r)), vec!["a", "b", "c"]);
    let r = m
        .dans_rectangle(43.5, 1.3, 43.7, 1.5, &f, 2)
        .expect("rectangle");
    assert_eq!(r.len(), 2);
    // Stable sample.
    assert_eq!(
        r,
        m.dans_rectangle(43.5, 1.3, 43.7, 1.5, &f, 2)
            .expect("rectangle")
    );
    let gratuit = Filtres {
        frais_a_charge: vec![Frais::Gratuit],
        ..Filtres::default()
    };
    let r = m
        .dans_rectangle(43.0, 1.0, 44.0, 3.0, &gratuit, 100)
        .expect("rectangle");
    assert_eq!(trier(ids(&m, r)), vec!["a", "d"]);
    // Across the antimeridian.
    let r = m
        .dans_rectangle(-23.0, 160.0, -20.0, -170.0, &f, 100)
        .expect("rectangle");
    assert_eq!(ids(&m, r), vec!["f"]);
    assert!(matches!(
        m.dans_rectangle(44.0, 1.0, 43.0, 2.0, &f, 10),
        Err(ErreurRecherche::RectangleInvalide { .. })
    ));
}

#[test]
fn invalid_queries_are_refused_in_french() {
    let m = Moteur::nouveau(jeu());
    let e = m
        .rechercher(&Requete {
            rayon_km: Some(5.0),
            ..Requete::default()
        })
        .expect_err("radius without centre");
    assert_eq!(
        e.to_string(),
        "un rayon de recherche demande un point de départ"
    );
    let e = m
        .rechercher(&Requete {
            rayon_km: Some(-1.0),
            ..Requete::autour(p(43.6, 1.4))
        })
        .expect_err("negative radius");
    assert!(e.to_string().contains("rayon"));
    let e = m
        .rechercher(&Requete {
            limit: LIMITE_MAX + 1,
            ..Requete::default()
        })
        .expect_err("limit");
    assert!(e.to_string().starts_with("au plus 1000 résultats"));
    let e = m
        .rechercher(&Requete::autour(Point {
            lat: f64::NAN,
            lon: 1.0,
        }))
        .expect_err("NaN");
    assert!(e.to_string().starts_with("position invalide"));
}

#[test]
fn lookups_and_atomic_swap() {
    let m = Moteur::nouveau(jeu());
    assert_eq!(
        m.lieu("c").map(|l| l.lieu.nom.as_str()),
        Some("Espace numérique de Colomiers")
    );
    assert!(m.lieu("zz").is_none());
    let partage = MoteurPartage::new(m);
    let avant = partage.courant();
    assert_eq!(avant.len(), 6);
    let ancien = partage.remplacer(Moteur::nouveau(jeu().into_iter().take(2).collect()));
    assert_eq!(ancien.len(), 6);
    assert_eq!(avant.len(), 6, "a reader keeps its engine");
    assert_eq!(partage.courant().len(), 2);
    let vide = Moteur::default();
    assert!(vide.is_empty());
    let rep = vide
        .rechercher(&Requete::autour(p(43.6, 1.4)))
        .expect("query");
    assert_eq!(rep.total, 0);
    assert!(rep.resultats.is_empty());
}

// --- Against brute force, on random places and filters.

fn aleatoires(points: &[(f64, f64, u16, u8, u8, bool)]) -> Vec<LieuFusionne> {
    points
        .iter()
        .enumerate()
        .map(|(i, &(lat, lon, services, frais, publics, localise))| {
            let mut l = lieu(
                &format!("p{i:04}"),
                &format!("Lieu {}", (i * 7919) % 1000),
                "31555",
                "31000",
                "Toulouse",
                lat,
                lon,
            );
            if !localise {
                l.lieu.localisation = None;
            }
            l.lieu.services = Service::ALL
                .iter()
                .enumerate()
                .filter(|(k, _)| services & (1 << k) != 0)
                .map(|(_, s)| *s)
                .collect();
            l.lieu.frais_a_charge = Frais::ALL
                .iter()
                .enumerate()
                .filter(|(k, _)| frais & (1 << k) != 0)
                .map(|(_, s)| *s)
                .collect();
            l.lieu.publics_specifiquement_adresses = PublicSpecifiquementAdresse::ALL
                .iter()
                .enumerate()
                .filter(|(k, _)| publics & (1 << k) != 0)
                .map(|(_, s)| *s)
                .collect();
            l
        })
        .collect()
}

fn filtre_aleatoire(services: u16, frais: u8, publics: u8) -> Filtres {
    Filtres {
        services: Service::ALL
            .iter()
            .enumerate()
            .filter(|(k, _)| services & (1 << k) != 0)
            .map(|(_, s)| *s)
            .collect(),
        frais_a_charge: Frais::ALL
            .iter()
            .enumerate()
            .filter(|(k, _)| frais & (1 << k) != 0)
            .map(|(_, s)| *s)
            .collect(),
        publics_specifiquement_adresses: PublicSpecifiquementAdresse::ALL
            .iter()
            .enumerate()
            .filter(|(k, _)| publics & (1 << k) != 0)
            .map(|(_, s)| *s)
            .collect(),
        ..Filtres::default()
    }
}

/// The filter semantics, written plainly on the place.
fn passe(l: &Lieu, f: &Filtres) -> bool {
    fn un<V: PartialEq>(voulus: &[V], a: &[V]) -> bool {
        voulus.is_empty() || voulus.iter().any(|v| a.contains(v))
    }
    un(&f.services, &l.services)
        && un(&f.frais_a_charge, &l.frais_a_charge)
        && un(
            &f.publics_specifiquement_adresses,
            &l.publics_specifiquement_adresses,
        )
}

fn strategie_lieux() -> impl Strategy<Value = Vec<(f64, f64, u16, u8, u8, bool)>> {
    // Clustered around Toulouse (many near ties), some far, some across the antimeridian;
    // sparse masks so that filters are sometimes very selective.
    let point = prop_oneof![
        4 => (43.5f64..43.7, 1.3f64..1.6),
        2 => (42.0f64..51.0, -5.0f64..8.0),
        1 => (-23.0f64..-19.0, 163.0f64..=180.0),
        1 => (-15.0f64..-12.0, -180.0f64..-178.0),
    ];
    prop::collection::vec(
        (point, 0u16..512, 0u8..8, 0u8..32, prop::bool::weighted(0.9))
            .prop_map(|((lat, lon), s, f, p, l)| (lat, lon, s & (s >> 3), f, p & (p >> 2), l)),
        0..400,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn nearest_radius_and_name_order_equal_brute_force(
        points in strategie_lieux(),
        centre in prop_oneof![(43.5f64..43.7, 1.3f64..1.6), (-40.0f64..60.0, -180.0f64..180.0)],
        filtre in (0u16..512, 0u8..8, 0u8..32),
        limit in 0usize..30,
        offset in 0usize..10,
        rayon_km in prop::option::of(0.0f64..3000.0),
        par_nom in any::<bool>(),
    ) {
        let lieux = aleatoires(&points);
        let m = Moteur::nouveau(lieux.clone());
        let filtres = filtre_aleatoire(filtre.0, filtre.1, filtre.2);
        let c = p(centre.0, centre.1);
        let requete = Requete {
            centre: Some(c),
            rayon_km,
            limit,
            offset,
            texte: None,
            filtres: filtres.clone(),
            tri: if par_nom { Tri::Nom } else { Tri::Distance },
        };
        let rep = m.rechercher(&requete).expect("valid");

        // Brute force.
        let mut attendus: Vec<(f64, String, String)> = lieux
            .iter()
            .filter(|l| passe(&l.lieu, &filtres))
            .filter_map(|l| {
                let loc = l.lieu.localisation?;
                let d = haversine_m(c, p(loc.latitude, loc.longitude));
                rayon_km.is_none_or(|r| d <= r * 1000.0).then(|| {
                    (d, maillage_domain::texte::normaliser(&l.lieu.nom), l.id.clone())
                })
            })
            .collect();
        prop_assert_eq!(rep.total, attendus.len());
        let n_page = attendus.len().saturating_sub(offset).min(limit);
        prop_assert_eq!(rep.resultats.len(), n_page);
        if par_nom {
            attendus.sort_by(|a, b| (&a.1, &a.2).cmp(&(&b.1, &b.2)));
            let trouves = ids(&m, rep.resultats.iter().map(|t| t.index));
            let voulus: Vec<String> =
                attendus.iter().skip(offset).take(limit).map(|a| a.2.clone()).collect();
            prop_assert_eq!(trouves, voulus);
        } else {
            attendus.sort_by(|a, b| a.0.total_cmp(&b.0));
            for (t, a) in rep.resultats.iter().zip(attendus.iter().skip(offset)) {
                let d = t.distance_m.expect("distance");
                prop_assert!((d - a.0).abs() <= 1e-6 * a.0.max(1.0), "{} vs {}", d, a.0);
                let l = &m.lieu_a(t.index).expect("index").lieu;
                prop_assert!(passe(l, &filtres));
            }
        }
    }

    #[test]
    fn name_order_without_centre_and_rectangles_equal_brute_force(
        points in strategie_lieux(),
        filtre in (0u16..512, 0u8..8, 0u8..32),
        limit in 0usize..50,
        offset in 0usize..10,
        rect in (-30.0f64..50.0, 0.1f64..40.0, -180.0f64..180.0, 0.1f64..200.0),
    ) {
        let lieux = aleatoires(&points);
        let m = Moteur::nouveau(lieux.clone());
        let filtres = filtre_aleatoire(filtre.0, filtre.1, filtre.2);
        let rep = m
            .rechercher(&Requete { limit, offset, filtres: filtres.clone(), ..Requete::default() })
            .expect("valid");
        let mut attendus: Vec<(String, String)> = lieux
            .iter()
            .filter(|l| passe(&l.lieu, &filtres))
            .map(|l| (maillage_domain::texte::normaliser(&l.lieu.nom), l.id.clone()))
            .collect();
        attendus.sort();
        prop_assert_eq!(rep.total, attendus.len());
        let voulus: Vec<String> = attendus.iter().skip(offset).take(limit).map(|a| a.1.clone()).collect();
        prop_assert_eq!(ids(&m, rep.resultats.iter().map(|t| t.index)), voulus);
        for i in 0..m.len() {
            prop_assert_eq!(m.correspond(i, &filtres), passe(&m.lieu_a(i).expect("i").lieu, &filtres));
        }

        // Rectangle: every matching place inside, when the limit allows.
        let (sud, haut, ouest, large) = rect;
        let nord = (sud + haut).min(90.0);
        let mut est = ouest + large;
        if est > 180.0 { est -= 360.0; }
        let dedans = |pt: Point| {
            sud <= pt.lat && pt.lat <= nord
                && if ouest <= est { ouest <= pt.lon && pt.lon <= est } else { pt.lon >= ouest || pt.lon <= est }
        };
        let mut voulus: Vec<String> = lieux
            .iter()
            .filter(|l| passe(&l.lieu, &filtres))
            .filter(|l| l.lieu.localisation.is_some_and(|x| dedans(p(x.latitude, x.longitude))))
            .map(|l| l.id.clone())
            .collect();
        voulus.sort();
        let trouves = m.dans_rectangle(sud, ouest, nord, est, &filtres, 10_000).expect("rectangle");
        prop_assert_eq!(trier(ids(&m, trouves)), voulus.clone());
        let peu = m.dans_rectangle(sud, ouest, nord, est, &filtres, 3).expect("rectangle");
        prop_assert_eq!(peu.len(), voulus.len().min(3));
    }
}

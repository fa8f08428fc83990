//! The public pages. Every page works without JavaScript; scripts only add the position
//! button, commune suggestions and the interactive map.

use crate::erreur::{rendre, ErreurWeb};
use crate::parametres::{analyser, Depart, Parametres, Recherche};
use crate::pdf;
use crate::presentation::{self, Carte, LigneSemaine, RAYON_LOCAL_KM};
use crate::routeurs::{Module, RouteurModule};
use crate::site::Site;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{NaiveDateTime, Utc};
use maillage_annuaire::doublons::LieuFusionne;
use maillage_annuaire::recherche::{Moteur, Requete, Trouve};
use maillage_annuaire::signalement::CategorieSignalement;
use maillage_domain::{Frais, ModaliteAcces, PriseEnChargeSpecifique, Service, Vocabulary};
use std::sync::Arc;
use utoipa_axum::routes;

/// The current id of a place id the engine does not know: the place was merged into
/// another or split ([`maillage_annuaire::annuaire::Annuaire::id_courant`]), or the id is a
/// record's `SOURCE#ID`. `None` when the engine knows `id`, or when nothing answers it.
pub(crate) async fn id_deplace(state: &AppState, moteur: &Moteur, id: &str) -> Option<String> {
    if moteur.index_de(id).is_some() {
        return None;
    }
    match state.annuaire.id_courant(id).await {
        Ok(Some(courant)) if courant != id && moteur.index_de(&courant).is_some() => Some(courant),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!("resolving a former place id failed: {e}");
            None
        }
    }
}

/// `301 Moved Permanently` to `cible` (an id that changed for good: links, bookmarks and
/// printed sheets follow it, and search engines replace it).
pub(crate) fn redirection_permanente(cible: &str) -> Response {
    (
        axum::http::StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, cible.to_string())],
    )
        .into_response()
}

/// The same query with every former place id of `lieu` replaced by its current id, when
/// one changed (`/fiche`, `/fiche.pdf`).
async fn fiche_deplacee(state: &AppState, p: &Parametres) -> Option<String> {
    let moteur = state.moteur();
    let mut change = false;
    let mut paires: Vec<(String, String)> = Vec::with_capacity(p.0.len());
    for (k, v) in &p.0 {
        if k != "lieu" {
            paires.push((k.clone(), v.clone()));
            continue;
        }
        let mut ids: Vec<String> = Vec::new();
        for id in v.split('|') {
            let id = id.trim();
            match id_deplace(state, &moteur, id).await {
                Some(c) => {
                    change = true;
                    ids.push(c);
                }
                None => ids.push(id.to_string()),
            }
        }
        paires.push((k.clone(), ids.join("|")));
    }
    if !change {
        return None;
    }
    // The serializer is not `Send`: built after the lookups.
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &paires {
        s.append_pair(k, v);
    }
    Some(s.finish())
}

/// The directory's routes: the public pages, the map's points, the widget, the printable
/// sheet and the JSON API of places and communes ([`crate::api`]).
pub(crate) fn routeur() -> RouteurModule {
    crate::espace::lieux::routes(RouteurModule::new(Module::Annuaire))
        .get("/", accueil)
        .get("/lieux", resultats)
        .get("/lieux/{id}", lieu)
        .post("/lieux/{id}/signalement", signaler)
        .get("/fiche", fiche)
        .get("/fiche.pdf", fiche_pdf)
        .get("/carte", carte)
        .get("/api/carte/points", points_carte)
        .get("/widget", widget)
        .api(routes!(crate::api::lieux))
        .api(routes!(crate::api::lieu))
        .api(routes!(crate::api::communes))
}

/// Now, wall-clock time in Paris (opening hours are read in local time).
pub fn maintenant() -> NaiveDateTime {
    Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .naive_local()
}

/// The needs, in plain words, with the standard service they stand for.
pub const BESOINS: [(Service, &str); 9] = [
    (
        Service::AideAuxDemarchesAdministratives,
        "Faire une démarche en ligne (CAF, impôts, France Travail, santé…)",
    ),
    (
        Service::MaitriseDesOutilsNumeriquesDuQuotidien,
        "Apprendre à me servir d'un téléphone, d'une tablette ou d'un ordinateur",
    ),
    (
        Service::AccesInternetEtMaterielInformatique,
        "Utiliser un ordinateur, Internet, une imprimante ou un scanner",
    ),
    (
        Service::MaterielInformatiqueAPrixSolidaire,
        "Acheter un ordinateur ou un téléphone à petit prix",
    ),
    (
        Service::InsertionProfessionnelleViaLeNumerique,
        "Chercher un emploi ou une formation avec le numérique",
    ),
    (
        Service::UtilisationSecuriseeDuNumerique,
        "Me protéger des arnaques et protéger mes données",
    ),
    (
        Service::ParentaliteEtEducationAvecLeNumerique,
        "Accompagner mes enfants avec les écrans et l'école en ligne",
    ),
    (
        Service::LoisirsEtCreationsNumeriques,
        "Découvrir des loisirs et créer avec le numérique",
    ),
    (
        Service::ComprehensionDuMondeNumerique,
        "Comprendre le numérique et m'informer en ligne",
    ),
];

/// One choice of a question: parameter, value, words, checked.
pub struct Choix {
    pub nom: &'static str,
    pub valeur: String,
    pub texte: String,
    pub coche: bool,
}

/// The last question: what matters for access.
fn choix_acces(p: &Parametres) -> Vec<Choix> {
    let coche = |nom: &str, v: &str| p.tous(nom).contains(&v);
    let mut c = vec![
        Choix {
            nom: "frais",
            valeur: Frais::Gratuit.label().into(),
            texte: "Gratuit".into(),
            coche: coche("frais", Frais::Gratuit.label()),
        },
        Choix {
            nom: "acces",
            valeur: ModaliteAcces::SePresenter.label().into(),
            texte: "Sans rendez-vous (je peux venir directement)".into(),
            coche: coche("acces", ModaliteAcces::SePresenter.label()),
        },
    ];
    for (v, texte) in [
        (
            PriseEnChargeSpecifique::HandicapsMoteurs,
            "Accueil des personnes en fauteuil roulant ou avec un handicap moteur",
        ),
        (
            PriseEnChargeSpecifique::Surdite,
            "Accueil des personnes sourdes ou malentendantes",
        ),
        (
            PriseEnChargeSpecifique::DeficienceVisuelle,
            "Accueil des personnes aveugles ou malvoyantes",
        ),
        (
            PriseEnChargeSpecifique::Illettrisme,
            "Aide si j'ai du mal à lire ou à écrire",
        ),
        (
            PriseEnChargeSpecifique::LanguesEtrangeresAutre,
            "Aide si je parle peu le français",
        ),
    ] {
        c.push(Choix {
            nom: "prise_en_charge",
            valeur: v.label().into(),
            texte: texte.into(),
            coche: coche("prise_en_charge", v.label()),
        });
    }
    c
}

const ETAPES: [&str; 4] = ["besoin", "ou", "quand", "acces"];

/// The usual answers to « Quand ? », then « Un autre jour ou moment » with its list.
const QUAND_COURANTS: [(&str, &str); 4] = [
    ("maintenant", "Maintenant"),
    ("aujourdhui", "Aujourd'hui"),
    ("samedi-matin", "Samedi matin"),
    ("", "Peu importe"),
];

/// The « quand » radio buttons, and the options of the day list (`samedi`, `samedi-matin`,
/// `samedi-apres-midi` for each day) with the one chosen.
fn choix_quand(p: &Parametres) -> (Vec<Choix>, Vec<(String, String, bool)>) {
    let choisi = p.un("quand").unwrap_or("");
    let courant = QUAND_COURANTS.iter().any(|(v, _)| *v == choisi);
    let mut radios: Vec<Choix> = QUAND_COURANTS
        .iter()
        .map(|(v, t)| Choix {
            nom: "quand",
            valeur: (*v).into(),
            texte: (*t).into(),
            coche: choisi == *v,
        })
        .collect();
    radios.push(Choix {
        nom: "quand",
        valeur: "autre".into(),
        texte: "Un autre jour ou moment (choisissez-le dans la liste)".into(),
        coche: !courant,
    });
    let jour_choisi = match choisi {
        "autre" => p.un("jour"),
        v if !courant => Some(v),
        _ => None,
    };
    let mut jours = Vec::new();
    for (nom, _) in crate::parametres::JOURS_QUAND {
        let mut majuscule = nom.to_string();
        if let Some(premiere) = majuscule.get_mut(0..1) {
            premiere.make_ascii_uppercase();
        }
        jours.push((nom.to_string(), format!("{majuscule} (toute la journée)")));
        for (suffixe, mots, _, _) in crate::parametres::DEMI_JOURNEES {
            jours.push((format!("{nom}-{suffixe}"), format!("{majuscule} {mots}")));
        }
    }
    let jours = jours
        .into_iter()
        .map(|(v, t)| {
            let coche = jour_choisi == Some(v.as_str());
            (v, t, coche)
        })
        .collect();
    (radios, jours)
}

#[derive(Template)]
#[template(path = "accueil.html")]
struct AccueilPage {
    site: Arc<Site>,
    /// The whole search on one page (need, commune, and « quand » / « accès » folded away),
    /// sent straight to the results: `/` without `etape`.
    tout_en_un: bool,
    /// On the one-page form, a refinement was already chosen: the `<details>` is open.
    precise: bool,
    etape: &'static str,
    numero: usize,
    suivante: &'static str,
    precedente: Option<String>,
    passer: String,
    caches: Vec<(String, String)>,
    besoins: Vec<Choix>,
    quand: Vec<Choix>,
    jours: Vec<(String, String, bool)>,
    acces: Vec<Choix>,
    ou: String,
    message: Option<String>,
    suggestions: Vec<(String, String)>,
    /// « Vouliez-vous dire … ? »: (words, link to the next question with that commune).
    vouliez: Vec<(String, String)>,
    nb_lieux: String,
}

/// `/`: the need and the commune on one form sent straight to the results (two page loads
/// from home to the first result: on a slow phone each page costs a round trip and the
/// rendering), with « quand » and « accès » as optional refinements folded in a `<details>`.
/// `/?etape=besoin` (and the other steps) asks one question at a time (need → where → when →
/// access), each answer carried to the next step in hidden fields; the last step shows the
/// results.
pub async fn accueil(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Html<String>, ErreurWeb> {
    let p = Parametres::depuis(q.as_deref());
    let tout_en_un = p.un("etape").is_none();
    let mut numero = ETAPES
        .iter()
        .position(|e| Some(*e) == p.un("etape"))
        .unwrap_or(0);
    let mut message = None;
    let mut suggestions = Vec::new();
    let mut vouliez = Vec::new();
    // Leaving the "where" step with a place we do not know: ask again, with the communes
    // spelt nearly the same.
    if numero > 1 && p.un("lat").is_none() {
        if let Some(ou) = p.un("ou") {
            let r = state.annuaire.referentiel();
            if crate::parametres::localiser(r, ou).is_none() {
                vouliez = crate::parametres::suggestions(r, ou)
                    .into_iter()
                    .map(|a| {
                        let mut s = form_urlencoded::Serializer::new(String::new());
                        for (k, v) in p.sans(&["ou"]) {
                            s.append_pair(&k, &v);
                        }
                        s.append_pair("ou", &a.saisie);
                        (
                            format!("{} ({})", a.nom, a.departement),
                            format!("/?{}", s.finish()),
                        )
                    })
                    .collect();
                numero = 1;
                message = Some(format!(
                    "Nous ne trouvons pas « {ou} ». Écrivez le nom de votre commune ou son code postal (5 chiffres)."
                ));
            }
        }
    }
    let etape = ETAPES[numero];
    if etape == "ou" || tout_en_un {
        if let Some(ou) = p.un("ou") {
            suggestions = state
                .annuaire
                .referentiel()
                .rechercher(ou, 5)
                .into_iter()
                .map(|c| {
                    (
                        crate::parametres::saisie_commune(c),
                        format!("{} ({})", c.nom, c.code_departement),
                    )
                })
                .collect();
        }
    }
    let suivante = ETAPES.get(numero + 1).copied().unwrap_or("");
    let besoin_choisi = p.un("besoin").unwrap_or("");
    let besoins = BESOINS
        .iter()
        .map(|(s, texte)| Choix {
            nom: "besoin",
            valeur: s.label().into(),
            texte: (*texte).into(),
            coche: besoin_choisi == s.label(),
        })
        .collect();
    let (quand, jours) = choix_quand(&p);
    let garder: &[&str] = match etape {
        "besoin" => &["etape", "besoin"],
        "ou" => &["etape", "ou", "lat", "lon"],
        "quand" => &["etape", "quand", "jour"],
        _ => &["etape", "frais", "acces", "prise_en_charge"],
    };
    let caches = if tout_en_un {
        // Every question is on the form; any other parameter (a filter of the results page)
        // goes on to the results.
        p.sans(&[
            "etape",
            "besoin",
            "ou",
            "lat",
            "lon",
            "quand",
            "jour",
            "frais",
            "acces",
            "prise_en_charge",
            "page",
            "offset",
        ])
    } else {
        p.sans(garder)
    };
    let precedente = (numero > 0).then(|| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in p.sans(&["etape"]) {
            s.append_pair(&k, &v);
        }
        s.append_pair("etape", ETAPES[numero - 1]);
        format!("/?{}", s.finish())
    });
    let passer = {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &caches {
            s.append_pair(k, v);
        }
        if suivante.is_empty() {
            format!("/lieux?{}", s.finish())
        } else {
            s.append_pair("etape", suivante);
            format!("/?{}", s.finish())
        }
    };
    rendre(&AccueilPage {
        site: Arc::clone(&state.site),
        tout_en_un,
        precise: ["quand", "jour", "frais", "acces", "prise_en_charge"]
            .iter()
            .any(|k| p.un(k).is_some()),
        etape,
        numero: numero + 1,
        suivante,
        precedente,
        passer,
        caches,
        besoins,
        quand,
        jours,
        acces: choix_acces(&p),
        ou: p.un("ou").unwrap_or("").to_string(),
        message,
        suggestions,
        vouliez,
        nb_lieux: milliers(state.moteur().len()),
    })
}

/// `6 911`.
pub fn milliers(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// A filter checkbox of the "Affiner" panel.
pub struct Filtre {
    pub id: String,
    pub nom: &'static str,
    pub valeur: &'static str,
    pub coche: bool,
}

pub struct GroupeFiltres {
    pub titre: &'static str,
    pub filtres: Vec<Filtre>,
}

fn groupe<V: Vocabulary>(
    p: &Parametres,
    titre: &'static str,
    nom: &'static str,
    alias: &'static str,
) -> GroupeFiltres {
    let choisis: Vec<V> = p
        .tous(nom)
        .into_iter()
        .chain(p.tous(alias))
        .filter_map(crate::parametres::valeur::<V>)
        .collect();
    GroupeFiltres {
        titre,
        filtres: V::ALL
            .iter()
            .enumerate()
            .map(|(i, v)| Filtre {
                id: format!("f-{alias}-{i}"),
                nom: alias,
                valeur: v.label(),
                coche: choisis.iter().any(|c| c.label() == v.label()),
            })
            .collect(),
    }
}

fn groupes_filtres(p: &Parametres) -> Vec<GroupeFiltres> {
    vec![
        groupe::<Service>(p, "Besoin", "services", "besoin"),
        groupe::<Frais>(p, "Coût", "frais_a_charge", "frais"),
        groupe::<ModaliteAcces>(p, "Comment y accéder", "modalites_acces", "acces"),
        groupe::<maillage_domain::ModaliteAccompagnement>(
            p,
            "Accompagnement",
            "modalites_accompagnement",
            "accompagnement",
        ),
        groupe::<PriseEnChargeSpecifique>(
            p,
            "Accueil adapté",
            "prise_en_charge_specifique",
            "prise_en_charge",
        ),
        groupe::<maillage_domain::PublicSpecifiquementAdresse>(
            p,
            "Publics",
            "publics_specifiquement_adresses",
            "publics",
        ),
    ]
}

/// A group of result cards, with a heading when the list has several groups.
pub struct Section {
    pub titre: Option<String>,
    pub explication: Option<String>,
    pub cartes: Vec<Carte>,
    /// Number of the first card.
    pub debut: usize,
}

/// What a results list shows, shared by `/lieux` and `/widget`.
struct Liste {
    titre: String,
    resume: Option<String>,
    message: Option<String>,
    sections: Vec<Section>,
    page: usize,
    pages: usize,
    lien_precedent: Option<String>,
    lien_suivant: Option<String>,
    autres: Vec<(String, String)>,
    /// « Vouliez-vous dire … ? »: communes spelt nearly like the one typed.
    suggestions: Vec<(String, String)>,
    elargir: Vec<(String, String)>,
}

impl Liste {
    fn nb_cartes(&self) -> usize {
        self.sections.iter().map(|s| s.cartes.len()).sum()
    }
}

/// The places found for a search, as the results page shows them; the map opened from the
/// results shows the same ones.
pub struct Trouves {
    pub sections: Vec<(Option<String>, Option<String>, Vec<Trouve>)>,
    /// Places matching, near (or all, without a place to start from).
    pub total: usize,
    /// Nothing within [`RAYON_LOCAL_KM`]: the sections hold the nearest places for any help
    /// and the nearest far ones.
    pub rien_pres: bool,
    pub resume: Option<String>,
    pub message: Option<String>,
}

/// Searches as the results page does. With a place to start from and no radius given, only
/// places within [`RAYON_LOCAL_KM`] are listed (and counted); when none is, the person is
/// told plainly, and offered the nearest places for any help (they can orient) and the
/// nearest ones for the search, flagged as far, never a national list.
pub fn trouver(moteur: &Moteur, r: &Recherche) -> Result<Trouves, ErreurWeb> {
    let erreur =
        |e: maillage_annuaire::recherche::ErreurRecherche| ErreurWeb::Requete(e.to_string());
    let local = r.requete.centre.is_some() && r.requete.rayon_km.is_none();
    let requete = if local {
        Requete {
            rayon_km: Some(RAYON_LOCAL_KM),
            ..r.requete.clone()
        }
    } else {
        r.requete.clone()
    };
    let reponse = moteur.rechercher(&requete).map_err(erreur)?;
    let ici = match &r.depart {
        Some(Depart::Commune { nom, .. }) => presentation::de(nom),
        _ => "de votre position".to_string(),
    };
    if local && reponse.total == 0 {
        let filtre = !r.requete.filtres.est_vide() || r.requete.texte.is_some();
        let besoins = besoins_en_mots(r);
        let message = if !besoins.is_empty() {
            format!(
                "Aucun lieu à moins de {RAYON_LOCAL_KM} km {ici} n'indique aider pour : {}.",
                besoins.join(" ; ")
            )
        } else if filtre {
            format!(
                "Aucun lieu à moins de {RAYON_LOCAL_KM} km {ici} ne correspond à votre recherche."
            )
        } else {
            format!(
                "Aucun lieu d'aide au numérique n'est connu à moins de {RAYON_LOCAL_KM} km {ici}."
            )
        };
        let mut sections = Vec::new();
        if filtre {
            let tous = moteur
                .rechercher(&Requete {
                    centre: r.requete.centre,
                    rayon_km: Some(RAYON_LOIN_KM),
                    limit: 3,
                    ..Requete::default()
                })
                .map_err(erreur)?;
            if !tous.resultats.is_empty() {
                sections.push((
                    Some("Les lieux d'aide au numérique les plus proches".to_string()),
                    Some(
                        "Ils n'indiquent pas ce que vous cherchez, mais ils peuvent vous aider \
                         ou vous orienter : appelez-les."
                            .to_string(),
                    ),
                    tous.resultats,
                ));
            }
        }
        let loin = moteur
            .rechercher(&Requete {
                rayon_km: Some(RAYON_LOIN_KM),
                limit: 3,
                offset: 0,
                ..r.requete.clone()
            })
            .map_err(erreur)?;
        if !loin.resultats.is_empty() {
            sections.push((
                Some(if filtre {
                    "Les plus proches qui correspondent à votre recherche, loin de chez vous"
                        .to_string()
                } else {
                    "Les lieux les plus proches, loin de chez vous".to_string()
                }),
                Some("Les distances sont à vol d'oiseau.".to_string()),
                loin.resultats,
            ));
        }
        return Ok(Trouves {
            sections,
            total: 0,
            rien_pres: true,
            resume: None,
            message: Some(message),
        });
    }
    let resume = if local {
        let proches = moteur
            .rechercher(&Requete {
                rayon_km: Some(RAYON_PROCHE_KM),
                limit: 0,
                offset: 0,
                ..r.requete.clone()
            })
            .map(|x| x.total)
            .unwrap_or(0);
        Some(if proches == reponse.total {
            format!(
                "{} à moins de {RAYON_PROCHE_KM} km, du plus proche au plus loin (distances à vol d'oiseau).",
                nombre_de_lieux(reponse.total)
            )
        } else {
            format!(
                "{} à moins de {RAYON_LOCAL_KM} km, dont {} à moins de {RAYON_PROCHE_KM} km ; \
                 du plus proche au plus loin (distances à vol d'oiseau).",
                nombre_de_lieux(reponse.total),
                milliers(proches)
            )
        })
    } else {
        Some(format!("{}.", nombre_de_lieux(reponse.total)))
    };
    Ok(Trouves {
        sections: vec![(None, None, reponse.resultats)],
        total: reponse.total,
        rien_pres: false,
        resume,
        message: None,
    })
}

fn chercher(
    state: &AppState,
    p: &Parametres,
    chemin: &str,
    par_page: usize,
) -> Result<(Liste, Recherche), ErreurWeb> {
    let moteur = state.moteur();
    let maintenant = maintenant();
    let r = analyser(
        p,
        state.annuaire.referentiel(),
        &moteur,
        maintenant,
        par_page,
    )
    .map_err(|e| ErreurWeb::Requete(format!("{} (paramètre « {} »)", e.message, e.parametre)))?;
    if r.ou_inconnu {
        let suggestions = r
            .suggestions
            .iter()
            .map(|a| {
                (
                    format!("{} ({})", a.nom, a.departement),
                    format!("{chemin}?{}", p.avec("ou", Some(&a.saisie))),
                )
            })
            .collect();
        let liste = Liste {
            titre: "Commune introuvable".to_string(),
            resume: None,
            message: Some(format!(
                "Nous ne trouvons pas la commune « {} ». Vérifiez l'orthographe ou donnez le code postal.",
                r.ou.as_deref().unwrap_or("")
            )),
            sections: Vec::new(),
            page: 1,
            pages: 1,
            lien_precedent: None,
            lien_suivant: None,
            autres: Vec::new(),
            suggestions,
            elargir: Vec::new(),
        };
        return Ok((liste, r));
    }
    let trouves = trouver(&moteur, &r)?;
    let coches = p.tous("lieu");
    let choix = r.requete.filtres.ouvert;
    let carte = |t: &Trouve| {
        let f = moteur.lieu_a(t.index)?;
        let mut c = presentation::carte(&moteur, t.index, f, t.distance_m, maintenant, choix);
        c.coche = coches.contains(&c.id.as_str());
        Some(c)
    };
    let mut message = trouves.message.clone();
    if let Some(sp) = &r.sans_position {
        let texte = if trouves.total == 0 {
            format!(
                "Nous ne connaissons pas la position de {} : aucun lieu ne correspond à \
                 votre recherche sur tout le territoire ({}).",
                sp.commune, sp.territoire
            )
        } else {
            format!(
                "Nous ne connaissons pas la position de {} : voici les lieux de tout le \
                 territoire ({}), par ordre alphabétique.",
                sp.commune, sp.territoire
            )
        };
        message = Some(texte);
    } else if r.requete.centre.is_none() && r.requete.filtres.territoire.is_none() {
        message = Some("Indiquez votre commune pour voir les lieux les plus proches.".into());
    }
    let mut sections = Vec::new();
    let mut debut = if trouves.rien_pres {
        1
    } else {
        r.requete.offset.saturating_add(1)
    };
    for (titre, explication, resultats) in &trouves.sections {
        let cartes: Vec<Carte> = resultats.iter().filter_map(carte).collect();
        let n = cartes.len();
        sections.push(Section {
            titre: titre.clone(),
            explication: explication.clone(),
            cartes,
            debut,
        });
        debut += n;
    }
    let titre = r.titre();
    let limite = r.requete.limit.max(1);
    let page = if trouves.rien_pres {
        1
    } else {
        r.requete.offset / limite + 1
    };
    let pages = trouves.total.div_ceil(limite).max(1);
    let lien = |n: usize| format!("{chemin}?{}", p.avec("page", Some(&n.to_string())));
    let autres = r
        .autres_communes
        .iter()
        .map(|a| {
            (
                format!("{} ({})", a.nom, a.departement),
                format!("{chemin}?{}", p.avec("ou", Some(&a.saisie))),
            )
        })
        .collect();
    let mut elargir = Vec::new();
    if trouves.total < 3 {
        if r.requete.filtres.ouvert.is_some() {
            let sans = Parametres(p.sans(&["quand", "ouvert", "jour", "page"]));
            elargir.push((
                "Voir aussi les lieux fermés à ce moment".to_string(),
                format!("{chemin}?{}", sans.avec("page", None)),
            ));
        }
        let sans_filtres = Parametres(p.sans(&[
            "frais",
            "frais_a_charge",
            "acces",
            "modalites_acces",
            "prise_en_charge",
            "prise_en_charge_specifique",
            "publics",
            "publics_specifiquement_adresses",
            "accompagnement",
            "modalites_accompagnement",
            "page",
        ]));
        if sans_filtres.0.len() + 1 < p.0.len() {
            elargir.push((
                "Retirer les critères d'accès".to_string(),
                format!("{chemin}?{}", sans_filtres.avec("page", None)),
            ));
        }
        if !r.requete.filtres.services.is_empty() {
            let sans = Parametres(p.sans(&["besoin", "services", "page"]));
            elargir.push((
                "Voir tous les lieux, quel que soit le besoin".to_string(),
                format!("{chemin}?{}", sans.avec("page", None)),
            ));
        }
    }
    Ok((
        Liste {
            titre,
            resume: trouves.resume,
            message,
            sections,
            page,
            pages,
            lien_precedent: (page > 1).then(|| lien(page - 1)),
            lien_suivant: (page < pages).then(|| lien(page + 1)),
            autres,
            suggestions: Vec::new(),
            elargir,
        },
        r,
    ))
}

/// Radius of "near" in the summary line of the results.
const RAYON_PROCHE_KM: f64 = 10.0;

/// When nothing is near, far places are offered up to this distance only (from Toulouse, a
/// place in Nouméa helps no one).
const RAYON_LOIN_KM: f64 = 1000.0;

/// `1 lieu`, `12 lieux`, `Aucun lieu`.
fn nombre_de_lieux(n: usize) -> String {
    match n {
        0 => "Aucun lieu".to_string(),
        1 => "1 lieu".to_string(),
        n => format!("{} lieux", milliers(n)),
    }
}

/// `près de Lille`, `près d'Aubusson`, `près du Mans`, `près des Ulis`.
pub fn pres_de(nom: &str) -> String {
    format!("près {}", presentation::de(nom))
}

/// The words a person uses for a need (those of the first question), or its standard label.
pub fn mots_du_besoin(s: Service) -> &'static str {
    BESOINS
        .iter()
        .find(|(b, _)| *b == s)
        .map_or(s.label(), |(_, t)| *t)
}

/// Every need of the search, in the person's words.
fn besoins_en_mots(r: &Recherche) -> Vec<&'static str> {
    r.requete
        .filtres
        .services
        .iter()
        .map(|s| mots_du_besoin(*s))
        .collect()
}

impl Recherche {
    /// `Faire une démarche en ligne (CAF, impôts…) — près de Lille, ouverts maintenant`:
    /// every need chosen, in the person's words.
    fn titre(&self) -> String {
        let besoins = besoins_en_mots(self);
        let mut t = if besoins.is_empty() {
            "Lieux d'aide au numérique".to_string()
        } else {
            besoins.join(" ; ")
        };
        match &self.depart {
            Some(Depart::Commune { nom, .. }) => {
                t.push_str(" — ");
                t.push_str(&pres_de(nom));
            }
            Some(Depart::Position) => t.push_str(" — près de votre position"),
            None => {
                if let Some(terr) = &self.requete.filtres.territoire {
                    t.push_str(&format!(" — {}", terr.nom()));
                }
            }
        }
        if let Some(q) = &self.quand {
            t.push_str(", ");
            t.push_str(q);
        }
        t
    }
}

#[derive(Template)]
#[template(path = "lieux.html")]
struct ResultatsPage {
    site: Arc<Site>,
    liste: Liste,
    ou: String,
    quand: Vec<Choix>,
    jours: Vec<(String, String, bool)>,
    groupes: Vec<GroupeFiltres>,
    caches_recherche: Vec<(String, String)>,
    caches_affiner: Vec<(String, String)>,
    caches_fiche: Vec<(String, String)>,
    lien_carte: String,
    /// « Prochainement près de chez vous »: events to come near the chosen commune.
    prochainement: Vec<(crate::evenements::LigneEvenement, u32)>,
}

/// The parameters the « Affiner » form sets itself.
const PARAMETRES_AFFINER: [&str; 17] = [
    "quand",
    "ouvert",
    "jour",
    "besoin",
    "services",
    "frais",
    "frais_a_charge",
    "acces",
    "modalites_acces",
    "accompagnement",
    "modalites_accompagnement",
    "prise_en_charge",
    "prise_en_charge_specifique",
    "publics",
    "publics_specifiquement_adresses",
    "page",
    "offset",
];

/// `/lieux`: the results.
pub async fn resultats(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Html<String>, ErreurWeb> {
    let p = Parametres::depuis(q.as_deref());
    let (liste, r) = chercher(&state, &p, "/lieux", 20)?;
    // The sheet form carries the whole search (the page buttons submit it too, so the ticks
    // of this page are kept), and the places ticked on other pages.
    let mut caches_fiche = p.sans(&["lieu", "page", "offset"]);
    let sur_la_page: Vec<&str> = liste
        .sections
        .iter()
        .flat_map(|s| s.cartes.iter().map(|c| c.id.as_str()))
        .collect();
    let mut vus = Vec::new();
    for id in p.tous("lieu") {
        if !sur_la_page.contains(&id) && !vus.contains(&id) {
            vus.push(id);
            caches_fiche.push(("lieu".to_string(), id.to_string()));
        }
    }
    let (quand, jours) = choix_quand(&p);
    let prochainement = match &r.depart {
        Some(crate::parametres::Depart::Commune { code_insee, .. }) => {
            crate::evenements::prochainement(&state, code_insee, 3).await
        }
        _ => Vec::new(),
    };
    rendre(&ResultatsPage {
        site: Arc::clone(&state.site),
        ou: r.ou.clone().unwrap_or_default(),
        quand,
        jours,
        groupes: groupes_filtres(&p),
        caches_recherche: p.sans(&["ou", "lat", "lon", "page", "offset"]),
        caches_affiner: p.sans(&PARAMETRES_AFFINER),
        caches_fiche,
        lien_carte: format!("/carte?{}", p.avec("vue", Some("resultats"))),
        liste,
        prochainement,
    })
}

#[derive(Template)]
#[template(path = "widget.html")]
struct WidgetPage {
    site: Arc<Site>,
    liste: Liste,
    ou: String,
    caches: Vec<(String, String)>,
}

/// `/widget`: the results, compact, for an iframe on a commune's website; filters preset by
/// the URL (`/widget?besoin=…&ou=…&frais=Gratuit`). Links open in the parent page.
pub async fn widget(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ErreurWeb> {
    let p = Parametres::depuis(q.as_deref());
    let (liste, r) = chercher(&state, &p, "/widget", 10)?;
    let page = rendre(&WidgetPage {
        site: Arc::clone(&state.site),
        liste,
        ou: r.ou.unwrap_or_default(),
        caches: p.sans(&["ou", "page"]),
    })?;
    // Meant to be framed by any site.
    Ok((
        [(header::CONTENT_SECURITY_POLICY, "frame-ancestors *")],
        page,
    )
        .into_response())
}

/// A field of the place page.
pub struct Champ {
    pub nom: &'static str,
    pub valeur: String,
    pub lien: Option<String>,
}

#[derive(Template)]
#[template(path = "lieu.html")]
struct LieuPage {
    site: Arc<Site>,
    id: String,
    nom: String,
    adresse: String,
    ouverture: String,
    ouverture_classe: &'static str,
    semaine: Option<Vec<LigneSemaine>>,
    horaires_brut: Option<String>,
    fraicheur: String,
    ancien: bool,
    telephone: Option<(String, String)>,
    itineraire: Option<String>,
    champs: Vec<Champ>,
    sources: String,
    /// Corrected fields: label and « modifié par la coordination le … » / « mis à jour par
    /// le lieu le … ».
    provenances: Vec<(String, String)>,
    /// « mis à jour par le lieu le … » when the place answered its link.
    maj_lieu: Option<String>,
    categories: Vec<(&'static str, &'static str, bool)>,
    signale: bool,
    erreur: Option<String>,
    message: String,
    contact: String,
    /// Signed token of the report form (see `crate::signalements`).
    jeton: String,
}

fn champs_du_lieu(l: &maillage_domain::Lieu) -> Vec<Champ> {
    let mut c = Vec::new();
    let mut texte = |nom: &'static str, valeur: String| {
        if !valeur.trim().is_empty() {
            c.push(Champ {
                nom,
                valeur,
                lien: None,
            });
        }
    };
    let j = |v: Vec<&str>| v.join(", ");
    texte("Services", j(presentation::libelles(&l.services)));
    texte("Coût", j(presentation::libelles(&l.frais_a_charge)));
    texte(
        "Comment y accéder",
        j(presentation::libelles(&l.modalites_acces)),
    );
    texte(
        "Accompagnement",
        j(presentation::libelles(&l.modalites_accompagnement)),
    );
    texte(
        "Accueil adapté",
        j(presentation::libelles(&l.prise_en_charge_specifique)),
    );
    texte(
        "Publics",
        j(presentation::libelles(&l.publics_specifiquement_adresses)),
    );
    texte(
        "Dispositifs",
        j(presentation::libelles(&l.dispositif_programmes_nationaux)),
    );
    texte("Labels", j(presentation::libelles(&l.formations_labels)));
    texte("Autres labels", l.autres_formations_labels.join(", "));
    texte("Type de lieu", presentation::typologies(&l.typologie));
    texte(
        "Où l'on vous reçoit",
        presentation::accueil(&l.itinerance)
            .unwrap_or_default()
            .to_string(),
    );
    texte(
        "Présentation",
        l.presentation_resume.clone().unwrap_or_default(),
    );
    texte(
        "En détail",
        l.presentation_detail.clone().unwrap_or_default(),
    );
    texte(
        "Structure parente",
        l.structure_parente.clone().unwrap_or_default(),
    );
    texte(
        "Numéro SIRET / RNA",
        match &l.pivot {
            maillage_domain::Pivot::Absent => String::new(),
            p => p.to_string(),
        },
    );
    for m in &l.courriels {
        c.push(Champ {
            nom: "Courriel",
            valeur: m.clone(),
            lien: Some(format!("mailto:{m}")),
        });
    }
    for s in &l.site_web {
        c.push(Champ {
            nom: "Site web",
            valeur: s.clone(),
            lien: Some(s.clone()),
        });
    }
    if let Some(u) = &l.prise_rdv {
        c.push(Champ {
            nom: "Prendre rendez-vous",
            valeur: u.clone(),
            lien: Some(u.clone()),
        });
    }
    if let Some(u) = &l.fiche_acces_libre {
        c.push(Champ {
            nom: "Fiche d'accessibilité (Acceslibre)",
            valeur: u.clone(),
            lien: Some(u.clone()),
        });
    }
    c
}

/// The state of the report form on the place page.
#[derive(Default)]
struct Formulaire {
    signale: bool,
    erreur: Option<String>,
    message: String,
    contact: String,
    categorie: Option<CategorieSignalement>,
}

fn page_lieu(
    state: &AppState,
    moteur: &Moteur,
    id: &str,
    formulaire: Formulaire,
) -> Result<Html<String>, ErreurWeb> {
    let Formulaire {
        signale,
        erreur,
        message,
        contact,
        categorie,
    } = formulaire;
    let index = moteur.index_de(id).ok_or_else(|| {
        ErreurWeb::Introuvable(format!("Aucun lieu ne porte l'identifiant « {id} »."))
    })?;
    let f: &LieuFusionne = moteur
        .lieu_a(index)
        .ok_or_else(|| ErreurWeb::Introuvable(format!("Aucun lieu « {id} ».")))?;
    let l = &f.lieu;
    let maintenant = maintenant();
    let aujourdhui = maintenant.date();
    let (ouverture, ouverture_classe) =
        presentation::ouverture(moteur.etat_ouverture(index, maintenant), maintenant);
    let (semaine, horaires_brut) = presentation::horaires_du_lieu(moteur, index, l, aujourdhui);
    rendre(&LieuPage {
        site: Arc::clone(&state.site),
        id: f.id.clone(),
        nom: l.nom.clone(),
        adresse: presentation::adresse(l),
        ouverture,
        ouverture_classe,
        semaine,
        horaires_brut,
        fraicheur: presentation::fraicheur(l.date_maj, aujourdhui),
        ancien: (aujourdhui - l.date_maj).num_days() > 365,
        telephone: l.telephone.as_ref().map(|t| (t.href(), t.lisible())),
        itineraire: presentation::itineraire(l),
        champs: champs_du_lieu(l),
        sources: presentation::sources(l.source.as_deref().unwrap_or_default()),
        provenances: maillage_annuaire::corrections::provenances(f)
            .into_iter()
            .filter(|(champ, _)| champ != "date_maj")
            .map(|(champ, p)| {
                (
                    maillage_annuaire::corrections::libelle_champ(&champ)
                        .split(" (")
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                    p.phrase(),
                )
            })
            .collect(),
        maj_lieu: maillage_annuaire::corrections::derniere_maj_par_le_lieu(f).map(|p| p.phrase()),
        categories: CategorieSignalement::ALL
            .iter()
            .map(|c| (c.code(), c.libelle(), Some(*c) == categorie))
            .collect(),
        signale,
        erreur,
        message,
        contact,
        jeton: state.signalements.jeton(&f.id, Utc::now().timestamp()),
    })
}

/// `/lieux/{id}`: every field, the week's hours, freshness, and the error report form. A
/// former id (place merged or split since) answers `301` to the current one.
pub async fn lieu(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ErreurWeb> {
    let p = Parametres::depuis(q.as_deref());
    let moteur = state.moteur();
    if let Some(courant) = id_deplace(&state, &moteur, &id).await {
        let requete = q.map(|q| format!("?{q}")).unwrap_or_default();
        return Ok(redirection_permanente(&format!(
            "/lieux/{}{requete}",
            crate::espace::encoder(&courant)
        )));
    }
    page_lieu(
        &state,
        &moteur,
        &id,
        Formulaire {
            signale: p.un("signale") == Some("1"),
            ..Formulaire::default()
        },
    )
    .map(IntoResponse::into_response)
}

/// `POST /lieux/{id}/signalement`: stores the report for the coordinators, then back to the
/// place page with a thank-you (or the form again, with what was typed and why it failed).
/// The form reporting an error about a place.
#[derive(serde::Deserialize)]
pub struct FormulaireSignalement {
    #[serde(default)]
    message: String,
    #[serde(default)]
    contact: String,
    categorie: Option<String>,
    /// The signed token of the place's page.
    #[serde(default)]
    jeton: String,
}

pub async fn signaler(
    State(state): State<AppState>,
    Path(id): Path<String>,
    crate::espace::connexion::AdresseClient(adresse): crate::espace::connexion::AdresseClient,
    entetes: axum::http::HeaderMap,
    crate::formulaires::Formulaire(champs): crate::formulaires::Formulaire<FormulaireSignalement>,
) -> Result<Response, ErreurWeb> {
    use axum::http::StatusCode;
    let message = champs.message;
    let contact = champs.contact;
    let categorie = champs
        .categorie
        .as_deref()
        .and_then(|c| c.parse::<CategorieSignalement>().ok());
    let moteur = state.moteur();
    // A form sent from the page of a place since merged or split: the report goes to the
    // place now; the form's token was signed for the id of its page.
    let jeton_de = id.clone();
    let id = id_deplace(&state, &moteur, &id).await.unwrap_or(id);
    // The form again, with what was typed and why it was not taken.
    let refus = |statut: StatusCode, erreur: String| -> Result<Response, ErreurWeb> {
        let page = page_lieu(
            &state,
            &moteur,
            &id,
            Formulaire {
                erreur: Some(erreur),
                message: message.clone(),
                contact: contact.clone(),
                categorie,
                ..Formulaire::default()
            },
        )?;
        Ok((statut, page).into_response())
    };
    // Another site cannot make its visitors' browsers send reports: the browser must say the
    // form comes from here, and the form must carry this page's signed token.
    let adresse_publique = Some(state.instance.comptes().reglages().adresse_publique.clone());
    let origine = crate::signalements::origine_acceptee(&entetes, adresse_publique.as_deref());
    let jeton = champs.jeton.as_str();
    if moteur.index_de(&id).is_some()
        && (!origine
            || !state
                .signalements
                .jeton_valide(&jeton_de, jeton, Utc::now().timestamp()))
    {
        tracing::info!(origin_ok = origine, "error report refused: token or origin");
        return refus(
            StatusCode::FORBIDDEN,
            "Ce formulaire a expiré ou n'a pas été envoyé depuis ce site : vérifiez ce qui est écrit ci-dessous et envoyez-le de nouveau.".into(),
        );
    }
    let Some(categorie) = categorie else {
        return refus(
            StatusCode::BAD_REQUEST,
            "Choisissez ce qui est faux (horaires, services, adresse, contacts, ou le lieu n'existe plus).".into(),
        );
    };
    if moteur.index_de(&id).is_some() {
        if let Err(r) = state
            .signalements
            .compter(state.instance.comptes(), &adresse, &id)
            .await?
        {
            let (attente, texte) = match r {
                crate::signalements::Refus::Adresse(s) => (
                    s,
                    "Beaucoup de signalements ont été envoyés depuis votre connexion : merci, ils seront lus. Réessayez plus tard (dans une heure au plus).",
                ),
                crate::signalements::Refus::Lieu(s) => (
                    s,
                    "Ce lieu a déjà reçu beaucoup de signalements aujourd'hui : ils seront lus. Réessayez demain si l'erreur est toujours là.",
                ),
            };
            tracing::info!("error report refused: rate limit ({r:?})");
            let mut reponse = refus(StatusCode::TOO_MANY_REQUESTS, texte.into())?;
            if let Ok(v) = axum::http::HeaderValue::from_str(&attente.to_string()) {
                reponse.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Ok(reponse);
        }
    }
    let contact_opt = Some(contact.trim()).filter(|c| !c.is_empty());
    match state
        .annuaire
        .signaler(&id, categorie, &message, contact_opt)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/lieux/{}?signale=1#signaler",
            crate::espace::encoder(&id)
        ))
        .into_response()),
        Err(maillage_annuaire::annuaire::AppError::Invalide(m))
        | Err(maillage_annuaire::annuaire::AppError::Introuvable(m)) => {
            refus(StatusCode::BAD_REQUEST, m)
        }
        Err(e) => Err(ErreurWeb::from(e)),
    }
}

/// A place of the orientation sheet.
pub struct LieuFiche {
    pub nom: String,
    pub adresse: String,
    pub telephone: Option<String>,
    pub courriel: Option<String>,
    pub semaine: Vec<LigneSemaine>,
    pub horaires_brut: Option<String>,
    pub acces: String,
    pub services: String,
    pub itineraire: Option<String>,
}

struct DonneesFiche {
    lieux: Vec<LieuFiche>,
    besoin: Option<String>,
    pour: Option<String>,
    note: Option<String>,
    date: String,
    ignores: usize,
}

/// At most this many places on a sheet.
const LIEUX_PAR_FICHE: usize = 8;

fn donnees_fiche(state: &AppState, p: &Parametres) -> DonneesFiche {
    let moteur = state.moteur();
    let maintenant = maintenant();
    let mut ids: Vec<&str> = p.tous("lieu");
    ids.dedup();
    let mut ignores = 0;
    let mut lieux = Vec::new();
    for id in ids {
        let Some(index) = moteur.index_de(id) else {
            ignores += 1;
            continue;
        };
        let Some(f) = moteur.lieu_a(index) else {
            ignores += 1;
            continue;
        };
        if lieux.len() >= LIEUX_PAR_FICHE {
            ignores += 1;
            continue;
        }
        let l = &f.lieu;
        let (semaine, horaires_brut) =
            presentation::horaires_du_lieu(&moteur, index, l, maintenant.date());
        let mut acces: Vec<&str> = presentation::libelles(&l.modalites_acces);
        acces.extend(presentation::libelles(&l.frais_a_charge));
        lieux.push(LieuFiche {
            nom: l.nom.clone(),
            adresse: presentation::adresse(l),
            telephone: l.telephone.as_ref().map(|t| t.lisible()),
            courriel: l.courriels.first().cloned(),
            horaires_brut,
            semaine: semaine.unwrap_or_default(),
            acces: acces.join(", "),
            services: presentation::libelles(&l.services).join(", "),
            itineraire: presentation::itineraire(l),
        });
    }
    let court = |k: &str, max: usize| p.un(k).map(|v| v.chars().take(max).collect::<String>());
    DonneesFiche {
        lieux,
        besoin: court("besoin", 200),
        pour: court("pour", 80),
        note: court("note", 600),
        date: presentation::date_longue(maintenant.date()),
        ignores,
    }
}

#[derive(Template)]
#[template(path = "fiche.html")]
struct FichePage {
    site: Arc<Site>,
    d: DonneesFiche,
    lien_pdf: String,
    caches: Vec<(String, String)>,
    retour: String,
}

/// `/fiche?lieu=ID&lieu=ID&besoin=…&pour=…&note=…`: the printable orientation sheet.
pub async fn fiche(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ErreurWeb> {
    let p = Parametres::depuis(q.as_deref());
    if let Some(requete) = fiche_deplacee(&state, &p).await {
        return Ok(redirection_permanente(&format!("/fiche?{requete}")));
    }
    let d = donnees_fiche(&state, &p);
    // Back to the very same results: every parameter of the search, the page, and the
    // places ticked (the sheet's own fields aside).
    let retour = if p.un("ou").is_some() || p.un("lat").is_some() {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in p.sans(&["pour", "note"]) {
            // The need may have been rewritten in the sheet's free-text field.
            if k == "besoin" && crate::parametres::valeur::<Service>(&v).is_none() {
                continue;
            }
            s.append_pair(&k, &v);
        }
        format!("/lieux?{}", s.finish())
    } else {
        "/".into()
    };
    rendre(&FichePage {
        site: Arc::clone(&state.site),
        lien_pdf: format!("/fiche.pdf?{}", p.avec("_", None)),
        caches: p.sans(&["pour", "note", "besoin"]),
        d,
        retour,
    })
    .map(IntoResponse::into_response)
}

/// `/fiche.pdf?…`: the same sheet as a PDF.
pub async fn fiche_pdf(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ErreurWeb> {
    let p = Parametres::depuis(q.as_deref());
    if let Some(requete) = fiche_deplacee(&state, &p).await {
        return Ok(redirection_permanente(&format!("/fiche.pdf?{requete}")));
    }
    let d = donnees_fiche(&state, &p);
    if d.lieux.is_empty() {
        return Err(ErreurWeb::Requete(
            "Aucun lieu choisi : cochez des lieux dans la liste des résultats.".into(),
        ));
    }
    let f = pdf::FichePdf {
        titre: "Fiche d'orientation".into(),
        territoire: state.site.nom.clone(),
        besoin: d.besoin,
        pour: d.pour,
        date: d.date,
        lieux: d
            .lieux
            .into_iter()
            .map(|l| pdf::LieuPdf {
                nom: l.nom,
                adresse: l.adresse,
                telephone: l.telephone,
                courriel: l.courriel,
                horaires: if l.semaine.is_empty() {
                    l.horaires_brut
                        .map(|b| vec![("Horaires".to_string(), b)])
                        .unwrap_or_default()
                } else {
                    l.semaine
                        .into_iter()
                        .map(|j| (j.jour, j.horaires))
                        .collect()
                },
                acces: Some(l.acces).filter(|a| !a.is_empty()),
                services: Some(l.services).filter(|s| !s.is_empty()),
                distance: None,
            })
            .collect(),
        pied: format!(
            "{} — {}",
            state.site.nom,
            d.note
                .unwrap_or_else(|| "Annuaire des lieux d'aide au numérique".into())
        ),
    };
    let octets = pdf::fiche_pdf(&f);
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"fiche-orientation.pdf\"",
            ),
        ],
        octets,
    )
        .into_response())
}

/// A place drawn on the server-side map.
pub struct Point2 {
    pub x: f64,
    pub y: f64,
}

#[derive(Template)]
#[template(path = "carte.html")]
struct CartePage {
    site: Arc<Site>,
    lat: f64,
    lon: f64,
    zoom: u8,
    points: Vec<Point2>,
    cartes: Vec<Carte>,
    total: usize,
    filtres: String,
    titre: String,
    titre_liste: String,
    largeur: f64,
    hauteur: f64,
    /// Links that move the view without JavaScript: (words, link).
    deplacer: Vec<(&'static str, String)>,
    retour: Option<String>,
}

/// Web Mercator projection at a zoom level: pixels of the whole world map.
fn projeter(zoom: u8, la: f64, lo: f64) -> (f64, f64) {
    let echelle = 256.0 * 2f64.powi(i32::from(zoom));
    let x = (lo + 180.0) / 360.0 * echelle;
    let s = la.to_radians().sin().clamp(-0.9999, 0.9999);
    let y = (0.5 - ((1.0 + s) / (1.0 - s)).ln() / (4.0 * std::f64::consts::PI)) * echelle;
    (x, y)
}

/// The inverse of [`projeter`]: (latitude, longitude).
fn deprojeter(zoom: u8, x: f64, y: f64) -> (f64, f64) {
    let echelle = 256.0 * 2f64.powi(i32::from(zoom));
    let lo = x / echelle * 360.0 - 180.0;
    let n = std::f64::consts::PI - 2.0 * std::f64::consts::PI * y / echelle;
    (n.sinh().atan().to_degrees(), lo)
}

/// Size of the server-drawn map, in pixels.
const CARTE_LARGEUR: f64 = 640.0;
const CARTE_HAUTEUR: f64 = 480.0;

/// The centre and the largest zoom (at most 15) at which every point fits in the map.
fn cadrer(points: &[maillage_geo::Point]) -> Option<(f64, f64, u8)> {
    let first = points.first()?;
    let (mut sud, mut nord, mut ouest, mut est) = (first.lat, first.lat, first.lon, first.lon);
    for p in points {
        sud = sud.min(p.lat);
        nord = nord.max(p.lat);
        ouest = ouest.min(p.lon);
        est = est.max(p.lon);
    }
    let zoom = (3..=15u8)
        .rev()
        .find(|&z| {
            let (x1, y1) = projeter(z, nord, ouest);
            let (x2, y2) = projeter(z, sud, est);
            (x2 - x1) <= CARTE_LARGEUR * 0.85 && (y2 - y1) <= CARTE_HAUTEUR * 0.85
        })
        .unwrap_or(3);
    let (x1, y1) = projeter(zoom, nord, ouest);
    let (x2, y2) = projeter(zoom, sud, est);
    let (lat, lon) = deprojeter(zoom, (x1 + x2) / 2.0, (y1 + y2) / 2.0);
    Some((lat, lon, zoom))
}

/// `/carte?lat=&lon=&zoom=` (or `ou=`), with the same filters as `/lieux`: a server-drawn
/// SVG map of the area and the list of its places; with JavaScript, an interactive Leaflet
/// map that asks the API for the visible area only. Opened from the results
/// (`vue=resultats` with the whole search), it frames and lists those very results.
pub async fn carte(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Html<String>, ErreurWeb> {
    let p = Parametres::depuis(q.as_deref());
    let moteur = state.moteur();
    let maintenant = maintenant();
    let referentiel = state.annuaire.referentiel();
    // Filters without the place: the view decides where.
    let sans_lieu = Parametres(p.sans(&[
        "lat", "lon", "zoom", "ou", "rayon_km", "page", "limit", "offset", "lieu", "vue",
    ]));
    let r = analyser(&sans_lieu, referentiel, &moteur, maintenant, 20).map_err(|e| {
        ErreurWeb::Requete(format!("{} (paramètre « {} »)", e.message, e.parametre))
    })?;
    let nombre = |k: &str| {
        p.un(k)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|x| x.is_finite())
    };
    let (mut lat, mut lon, mut zoom, mut titre) = (46.6, 2.4, 6u8, "Carte des lieux".to_string());
    let mut titre_liste = "Les lieux les plus proches du centre".to_string();
    // Opened from the results: the same search, the same places.
    let mut resultats: Option<Vec<Trouve>> = None;
    let mut retour = None;
    if p.un("vue") == Some("resultats") {
        let sans_vue = Parametres(p.sans(&["vue", "zoom"]));
        let rr = analyser(&sans_vue, referentiel, &moteur, maintenant, 20).map_err(|e| {
            ErreurWeb::Requete(format!("{} (paramètre « {} »)", e.message, e.parametre))
        })?;
        if !rr.ou_inconnu {
            let t = trouver(&moteur, &rr)?;
            let liste: Vec<Trouve> = t.sections.into_iter().flat_map(|(_, _, v)| v).collect();
            let mut points: Vec<maillage_geo::Point> = liste
                .iter()
                .filter_map(|t| {
                    let l = moteur.lieu_a(t.index)?.lieu.localisation?;
                    maillage_geo::Point::new(l.latitude, l.longitude)
                })
                .collect();
            points.extend(rr.requete.centre);
            if let Some(cadre) = cadrer(&points) {
                (lat, lon, zoom) = cadre;
            }
            titre = match &rr.depart {
                Some(Depart::Commune { nom, .. }) => {
                    format!("Carte des lieux trouvés {}", pres_de(nom))
                }
                _ => "Carte des lieux trouvés".to_string(),
            };
            titre_liste = "Les lieux de votre recherche".to_string();
            retour = Some(format!("/lieux?{}", sans_vue.avec("_", None)));
            resultats = Some(liste);
        }
    } else if let Some(ou) = p.un("ou") {
        if let Some((c, _)) = crate::parametres::localiser(referentiel, ou) {
            if let Some(centre) = c.centre.or_else(|| moteur.centre_des_lieux(&c.code_insee)) {
                (lat, lon, zoom) = (centre.lat, centre.lon, 12);
                titre = format!("Carte des lieux autour {}", presentation::de(&c.nom));
            }
        }
    }
    if let (Some(a), Some(o)) = (nombre("lat"), nombre("lon")) {
        if resultats.is_none() && (-90.0..=90.0).contains(&a) && (-180.0..=180.0).contains(&o) {
            (lat, lon, zoom) = (a, o, 12);
        }
    }
    if let Some(z) = nombre("zoom") {
        zoom = z.clamp(3.0, 18.0) as u8;
    }
    // Web Mercator view of 640 × 480 px around the centre.
    let (largeur, hauteur) = (CARTE_LARGEUR, CARTE_HAUTEUR);
    let (cx, cy) = projeter(zoom, lat, lon);
    let (nord, ouest) = deprojeter(zoom, cx - largeur / 2.0, cy - hauteur / 2.0);
    let (sud, est) = deprojeter(zoom, cx + largeur / 2.0, cy + hauteur / 2.0);
    let mut indexes = moteur
        .dans_rectangle(sud, ouest, nord, est, &r.requete.filtres, 300)
        .unwrap_or_default();
    if let Some(liste) = &resultats {
        for t in liste {
            if !indexes.contains(&t.index) {
                indexes.push(t.index);
            }
        }
    }
    let centre = maillage_geo::Point::new(lat, lon);
    let points = indexes
        .iter()
        .filter_map(|&i| {
            let f = moteur.lieu_a(i)?;
            let l = f.lieu.localisation?;
            let (x, y) = projeter(zoom, l.latitude, l.longitude);
            Some(Point2 {
                x: ((x - cx + largeur / 2.0) * 10.0).round() / 10.0,
                y: ((y - cy + hauteur / 2.0) * 10.0).round() / 10.0,
            })
        })
        .collect();
    let choix = r.requete.filtres.ouvert;
    let cartes = match &resultats {
        Some(liste) => liste
            .iter()
            .filter_map(|t| {
                Some(presentation::carte(
                    &moteur,
                    t.index,
                    moteur.lieu_a(t.index)?,
                    t.distance_m,
                    maintenant,
                    choix,
                ))
            })
            .collect(),
        None => {
            let mut avec_distance: Vec<(f64, usize)> = indexes
                .iter()
                .filter_map(|&i| {
                    let l = moteur.lieu_a(i)?.lieu.localisation?;
                    let p = maillage_geo::Point::new(l.latitude, l.longitude)?;
                    Some((centre.map_or(0.0, |c| maillage_geo::haversine_m(c, p)), i))
                })
                .collect();
            avec_distance.sort_by(|a, b| a.0.total_cmp(&b.0));
            avec_distance
                .iter()
                .take(20)
                .filter_map(|&(d, i)| {
                    Some(presentation::carte(
                        &moteur,
                        i,
                        moteur.lieu_a(i)?,
                        Some(d),
                        maintenant,
                        choix,
                    ))
                })
                .collect()
        }
    };
    // Zoom and pan without JavaScript: the same filters, another view.
    let filtres = sans_lieu.avec("_", None);
    let vue = |la: f64, lo: f64, z: u8| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &sans_lieu.0 {
            s.append_pair(k, v);
        }
        s.append_pair("lat", &format!("{la:.5}"));
        s.append_pair("lon", &format!("{lo:.5}"));
        s.append_pair("zoom", &z.to_string());
        format!("/carte?{}", s.finish())
    };
    let decale = |dx: f64, dy: f64| {
        let (la, lo) = deprojeter(zoom, cx + dx, cy + dy);
        vue(la, lo, zoom)
    };
    let mut deplacer = Vec::new();
    if zoom < 18 {
        deplacer.push(("Rapprocher (zoom avant)", vue(lat, lon, zoom + 1)));
    }
    if zoom > 3 {
        deplacer.push(("Éloigner (zoom arrière)", vue(lat, lon, zoom - 1)));
    }
    deplacer.push(("Vers le nord", decale(0.0, -hauteur / 2.0)));
    deplacer.push(("Vers le sud", decale(0.0, hauteur / 2.0)));
    deplacer.push(("Vers l'ouest", decale(-largeur / 2.0, 0.0)));
    deplacer.push(("Vers l'est", decale(largeur / 2.0, 0.0)));
    rendre(&CartePage {
        site: Arc::clone(&state.site),
        lat,
        lon,
        zoom,
        points,
        cartes,
        total: indexes.len(),
        filtres,
        titre,
        titre_liste,
        largeur,
        hauteur,
        deplacer,
        retour,
    })
}

/// Any unknown path.
pub async fn introuvable() -> ErreurWeb {
    ErreurWeb::Introuvable(
        "Cette page n'existe pas. Revenez à l'accueil pour chercher un lieu.".into(),
    )
}

/// `/api/carte/points?bbox=sud,ouest,nord,est&…filters`: the places of the visible area for
/// the interactive map, as compact rows `[lat, lon, id, nom, commune, ouverture]` (a few
/// dozen bytes each once gzipped). Internal to the map page: the documented API is
/// `/api/v1/lieux` (`bbox`, `format=geojson`), whose full objects weigh ten times more.
pub async fn points_carte(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Parametres::depuis(q.as_deref());
    let maintenant = maintenant();
    let erreur = |parametre: &str, message: String| {
        (
            axum::http::StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({ "erreur": message, "parametre": parametre })),
        )
            .into_response()
    };
    let sans = Parametres(p.sans(&["bbox", "limit", "ou", "lat", "lon", "rayon_km", "zoom"]));
    let moteur = state.moteur();
    let r = match analyser(&sans, state.annuaire.referentiel(), &moteur, maintenant, 20) {
        Ok(r) => r,
        Err(e) => return erreur(&e.parametre, e.message),
    };
    let [sud, ouest, nord, est] = match crate::parametres::rectangle(&p) {
        Ok(Some(b)) => b,
        Ok(None) => return erreur("bbox", "bbox : quatre nombres sud,ouest,nord,est".into()),
        Err(e) => return erreur(&e.parametre, e.message),
    };
    let limit = p
        .un("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(400)
        .min(500);
    let indexes = match moteur.dans_rectangle(sud, ouest, nord, est, &r.requete.filtres, limit) {
        Ok(i) => i,
        Err(e) => return erreur("bbox", e.to_string()),
    };
    let arrondi = |x: f64| (x * 1e5).round() / 1e5;
    let lieux: Vec<serde_json::Value> = indexes
        .iter()
        .filter_map(|&i| {
            let f = moteur.lieu_a(i)?;
            let l = f.lieu.localisation?;
            let (ouverture, _) =
                presentation::ouverture(moteur.etat_ouverture(i, maintenant), maintenant);
            Some(serde_json::json!([
                arrondi(l.latitude),
                arrondi(l.longitude),
                f.id,
                f.lieu.nom,
                f.lieu.commune,
                ouverture
            ]))
        })
        .collect();
    axum::Json(serde_json::json!({ "lieux": lieux })).into_response()
}

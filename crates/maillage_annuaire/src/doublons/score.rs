//! The score of a pair of records: a sum of points, criterion by criterion, each explained.
//!
//! Points (positive: same place; negative: two places). The decision is `score ≥ seuil`
//! (3.0 by default). The scale was set so that no single clue decides alone except a record
//! copied from the other (`reprise`): a merge needs at least two agreeing clues (a close
//! name and a close point, or a shared phone and the same address…); one strong
//! contradiction (two kinds of structures, two communes, 3 km apart) outweighs one shared
//! contact; a bus is never its fixed site. Real sources show many distinct places sharing a
//! phone, an e-mail or a SIRET (one conseiller for several mairies, a city's SIRET for all
//! its libraries, a national phone number), and sources that describe the same place's
//! services in different vocabularies.
//!
//! The weights were set by hand from these principles, then adjusted on half of the
//! labelled pairs of `tests/data/paires_doublons.csv` (odd rows); the other half is the
//! check (see `examples/doublons_reel.rs`).
//!
//! | criterion | points |
//! |---|---|
//! | `reprise`: one id is `{other id}-mediation-numerique-{other source}` | +4 |
//! | `itinerance`: a bus against a fixed place | −8 when a name says so (a veto: only a coordinator can merge them), −2 when only the `itinerance` field does |
//! | `nom`: distinctive words (kind of structure, commune and empty words removed) | +3 (≥ 0.92), +2 (≥ 0.8), +0.5 (≥ 0.65), −1 (≥ 0.45), −3 below; when both names are only kind + commune: +2 same kind and commune, 0 other or no kind, −1 other commune; only one with distinctive words: 0 same kind, −0.5 otherwise |
//! | `categorie`: kind announced by the names (or `typologie` RFS/MSAP) | +1 same, −1 France services and a usual host (mairie, EPCI, La Poste, Département, MSA, PIMMS), −3 other; 0 for a France services and another kind at the same address (as for `label`) when both carry the France Services label or share a phone or an e-mail (the body that runs the counter) |
//! | `adresse`: same street (name without its kind, similar or one inside the other) | +2 same number, +0.5 a number missing, −2.5 other number; another street: 0 with the same number (≥ 10), −1 otherwise |
//! | `distance` (non-approximate points) | +1.5 (≤ 30 m), +1 (≤ 100 m), +0.5 (≤ 300 m), −0.5 (≤ 1 km), −2 (≤ 3 km), −3 (≤ 10 km), −4.5 beyond; 0 instead of a penalty up to 5 km when the postal address is the same (same number, same street, same commune: a geocoding gap) |
//! | `commune` | −2 other INSEE code; −1 other postal code when nothing else locates them |
//! | `pivot` | +1.5 × w same SIRET/RNA, −1 same SIREN other establishment, −1.5 other SIREN, −1 other RNA |
//! | `telephone` | +2 × w same, −0.5 different |
//! | `courriel` | +2 × w one shared, +0.5 same non-generic domain, −0.5 none shared |
//! | `services` | when both are listed and disjoint: −1.5 within one source, −0.5 across sources |
//! | `typologie` | −0.5 when both are given and disjoint |
//! | `label` | +3 when both records carry the France Services label (programme or RFS/MSAP typology) at the same address (same number of the same street, or a number missing and ≤ 100 m), same commune, both fixed or both itinerant |
//!
//! `w` weakens values carried by many records of the corpus (a council's SIRET, a network's
//! e-mail): 1 when at most 2 records carry it, 0.6 up to 4, 0.3 beyond.

use super::normalisation::{Categorie, Empreinte, PivotCle};
use super::similarite::{meme_mot, similarite_noms_jusqua, Mots};
use maillage_domain::Lieu;
use maillage_geo::{haversine_m, Point};
use serde::Serialize;

/// One criterion of a pair's score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Critere {
    /// Short name of the criterion: `nom`, `categorie`, `itinerance`, `adresse`, `distance`,
    /// `commune`, `pivot`, `telephone`, `courriel`, `services`, `typologie`, `reprise`,
    /// `label`.
    pub nom: &'static str,
    /// What was compared, e.g. `« France services de X » / « MSAP X »`.
    pub valeur: String,
    pub points: f64,
    /// Why, in French.
    pub raison: String,
}

/// A pair's score with every criterion that counted.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explication {
    pub score: f64,
    /// `score ≥ seuil`: the pair is taken as the same place (before group constraints and
    /// coordinators' decisions).
    pub decision: bool,
    pub criteres: Vec<Critere>,
}

/// Receives the criteria; the fast path ignores them (closures never called). The value
/// closures read the two places (`la`, `lb`), which only a journal that keeps the criteria
/// has: scoring itself needs the fingerprints only.
pub(crate) trait Journal {
    fn noter<V: FnOnce(&Lieu, &Lieu) -> String, R: FnOnce() -> String>(
        &mut self,
        nom: &'static str,
        points: f64,
        valeur: V,
        raison: R,
    );
}

/// Keeps nothing: the score only.
pub(crate) struct Muet;

impl Journal for Muet {
    #[inline]
    fn noter<V: FnOnce(&Lieu, &Lieu) -> String, R: FnOnce() -> String>(
        &mut self,
        _: &'static str,
        _: f64,
        _: V,
        _: R,
    ) {
    }
}

/// Keeps every criterion, with the values read from the two places.
pub(crate) struct Detail<'a> {
    pub la: &'a Lieu,
    pub lb: &'a Lieu,
    pub criteres: Vec<Critere>,
}

impl Journal for Detail<'_> {
    fn noter<V: FnOnce(&Lieu, &Lieu) -> String, R: FnOnce() -> String>(
        &mut self,
        nom: &'static str,
        points: f64,
        valeur: V,
        raison: R,
    ) {
        self.criteres.push(Critere {
            nom,
            valeur: valeur(self.la, self.lb),
            points,
            raison: raison(),
        });
    }
}

/// Points of the `label` criterion: both records labelled France Services at one address.
pub(crate) const POINTS_LABEL_MEME_ADRESSE: f64 = 3.0;

/// Weight of a shared value carried by `freq` records of the corpus.
fn poids(freq: u32) -> f64 {
    match freq {
        0..=2 => 1.0,
        3..=4 => 0.6,
        _ => 0.3,
    }
}

fn rarete(freq: u32) -> String {
    if freq <= 2 {
        String::new()
    } else {
        format!(" (valeur portée par {freq} fiches : indice affaibli)")
    }
}

fn guillemets(a: &str, b: &str) -> String {
    format!("« {a} » / « {b} »")
}

fn metres(d: f64) -> String {
    if d < 1000.0 {
        format!("{d:.0} m")
    } else {
        format!("{:.1} km", d / 1000.0).replace('.', ",")
    }
}

/// The value closures of [`noter`]: they read the two places.
type Valeur<'v> = &'v dyn Fn(&Lieu, &Lieu) -> String;

/// Scores a pair from the fingerprints alone; the places are read only by a journal that
/// writes explanations ([`Detail`]).
pub(crate) fn noter<J: Journal>(a: &Empreinte, b: &Empreinte, j: &mut J) -> f64 {
    let mut total = 0.0;
    let mut ajouter = |nom, points: f64, valeur: Valeur<'_>, raison: &dyn Fn() -> String| {
        total += points;
        j.noter(nom, points, valeur, raison);
    };

    // Copied record.
    let reprise = match (a.reprise_de(), b.reprise_de()) {
        (None, None) => false,
        (ra, rb) => {
            let (ka, kb) = (a.cles_propres(), b.cles_propres());
            ra.is_some_and(|k| kb.contains(&k)) || rb.is_some_and(|k| ka.contains(&k))
        }
    };
    if reprise {
        ajouter(
            "reprise",
            4.0,
            &|la, lb| guillemets(&la.id, &lb.id),
            &|| {
                "l'identifiant de l'une reprend celui de l'autre (fiche recopiée d'une autre source)"
                .into()
            },
        );
    }

    // Bus against fixed place. A name that says "bus", "camion", "itinérante" is a veto; the
    // `itinerance` field alone is only a clue (the France services list marks "Oui" sites
    // that also run itinerant permanences from the same counter).
    if a.itinerant != b.itinerant {
        let par_le_nom = a.nom.itinerant || b.nom.itinerant;
        ajouter(
            "itinerance",
            if par_le_nom { -8.0 } else { -2.0 },
            &|_, _| {
                let f = |x: bool| if x { "itinérant" } else { "fixe" };
                format!("{} / {}", f(a.itinerant), f(b.itinerant))
            },
            &|| {
                if par_le_nom {
                    "un service itinérant (bus) et un lieu fixe sont deux guichets distincts".into()
                } else {
                    "l'une des fiches seulement se déclare itinérante (sans le dire dans son nom)"
                        .into()
                }
            },
        );
    }

    // Names.
    // Words of the names, without the words of either commune (all on the stack).
    let commune_a = Mots::de(a.commune());
    let commune_b = if a.meme_commune(b) {
        commune_a
    } else {
        Mots::de(b.commune())
    };
    let hors_communes = |w: &str| !commune_a.contient(w) && !commune_b.contient(w);
    let (mots_a, mots_b) = (Mots::de(&a.nom.coeur), Mots::de(&b.nom.coeur));
    let (ca, cb) = (mots_a.tranche(), mots_b.tranche());
    let (dist_a, dist_b) = (mots_a.filtrer(hors_communes), mots_b.filtrer(hors_communes));
    let (da, db) = (dist_a.tranche(), dist_b.tranche());
    let valeur_noms = |la: &Lieu, lb: &Lieu| guillemets(&la.nom, &lb.nom);
    let meme_categorie = a.nom.categorie.is_some() && a.nom.categorie == b.nom.categorie;
    match (da.is_empty(), db.is_empty()) {
        (true, true) => {
            if ca.is_empty() || cb.is_empty() {
                ajouter("nom", 0.0, &valeur_noms, &|| {
                    "au moins un nom sans mot distinctif : non comparable".into()
                });
            } else if similarite_noms_jusqua(ca, cb, 0.8) >= 0.8 {
                // "Bibliothèque de Lestrem" / "Bibliothèque municipale de Lestrem": the same
                // kind of structure in the same commune (one mairie, one France services per
                // commune, as a rule).
                if meme_categorie {
                    ajouter("nom", 2.0, &valeur_noms, &|| {
                        "même type de structure et même commune, sans autre mot : même intitulé"
                            .into()
                    });
                } else {
                    ajouter("nom", 0.0, &valeur_noms, &|| {
                        "les deux noms ne disent que la commune".into()
                    });
                }
            } else {
                ajouter("nom", -1.0, &valeur_noms, &|| {
                    "les noms désignent des communes différentes".into()
                });
            }
        }
        (false, false) => {
            let s = similarite_noms_jusqua(da, db, 0.92);
            let (p, qualif) = if s >= 0.92 {
                (3.0, "quasi identiques")
            } else if s >= 0.8 {
                (2.0, "proches")
            } else if s >= 0.65 {
                (0.5, "assez proches")
            } else if s >= 0.45 {
                (-1.0, "peu ressemblants")
            } else {
                (-3.0, "différents")
            };
            ajouter("nom", p, &valeur_noms, &|| {
                format!(
                    "noms {qualif} (similarité {:.2} entre « {} » et « {} »)",
                    s,
                    da.join(" "),
                    db.join(" ")
                )
            });
        }
        _ => {
            if meme_categorie {
                ajouter("nom", 0.0, &valeur_noms, &|| {
                    "même type de structure, un seul nom précise davantage : neutre".into()
                });
            } else {
                ajouter("nom", -0.5, &valeur_noms, &|| {
                    "un seul des noms porte des mots distinctifs".into()
                });
            }
        }
    }

    // Address. `meme_voie`: the same street, with whether the numbers agree (None: a number
    // is missing), for the `label` criterion below.
    let mut meme_voie: Option<Option<bool>> = None;
    let (va, vb) = (&a.adresse, &b.adresse);
    if !va.voie.is_empty() && !vb.voie.is_empty() {
        let (voie_a, voie_b) = (Mots::de(&va.voie), Mots::de(&vb.voie));
        let (wa, wb) = (voie_a.tranche(), voie_b.tranche());
        let s = similarite_noms_jusqua(wa, wb, 0.85);
        // One street name inside the other: "rue du Collège" / "rue du Collège Plaine des
        // Cafres", "Grand Rue" / "Grand Rue - La Poste".
        let inclus = {
            let (petit, grand) = if wa.len() <= wb.len() {
                (wa, wb)
            } else {
                (wb, wa)
            };
            petit.iter().map(|w| w.len()).sum::<usize>() >= 4
                && petit.iter().all(|w| grand.iter().any(|v| meme_mot(w, v)))
        };
        let valeur = |la: &Lieu, lb: &Lieu| guillemets(&la.adresse, &lb.adresse);
        let meme_numero = match (va.numero, vb.numero) {
            (Some((a1, a2)), Some((b1, b2))) => Some(a1 <= b2 && b1 <= a2),
            _ => None,
        };
        if s >= 0.85 || inclus {
            meme_voie = Some(meme_numero);
            match meme_numero {
                Some(true) => ajouter("adresse", 2.0, &valeur, &|| {
                    "même numéro dans la même voie".into()
                }),
                Some(false) => ajouter("adresse", -2.5, &valeur, &|| {
                    "même voie mais numéros différents : deux bâtiments".into()
                }),
                None => ajouter("adresse", 0.5, &valeur, &|| {
                    "même voie, numéro absent d'un côté".into()
                }),
            }
        } else if meme_numero == Some(true) && va.numero.is_some_and(|(n, _)| n >= 10) {
            ajouter("adresse", 0.0, &valeur, &|| {
                "voies libellées différemment mais même numéro : neutre".into()
            });
        } else {
            ajouter("adresse", -1.0, &valeur, &|| "voies différentes".into());
        }
    }

    // Distance. The same number of the same street in the same commune is one building,
    // whatever the points say: geocoders place one postal address up to a few kilometres
    // apart (tests/data/README.md: 1 to 2.9 km for identical addresses in the first set), so
    // within 5 km the distance does not count against such a pair. Beyond, a postal code
    // is probably wrong and the penalty stands.
    let meme_commune = !matches!((&a.insee, &b.insee), (Some(x), Some(y)) if x != y);
    let meme_adresse_postale = meme_voie == Some(Some(true)) && meme_commune;
    let mut distance = None;
    if let (Some(pa), Some(pb)) = (a.point(), b.point()) {
        let d = haversine_m(
            Point {
                lat: pa.0,
                lon: pa.1,
            },
            Point {
                lat: pb.0,
                lon: pb.1,
            },
        );
        distance = Some(d);
        let p = match d {
            d if d <= 30.0 => 1.5,
            d if d <= 100.0 => 1.0,
            d if d <= 300.0 => 0.5,
            d if d <= 1000.0 => -0.5,
            d if d <= 3000.0 => -2.0,
            d if d <= 10_000.0 => -3.0,
            _ => -4.5,
        };
        let geocodage = p < 0.0 && meme_adresse_postale && d <= 5000.0;
        let p = if geocodage { 0.0 } else { p };
        ajouter("distance", p, &|_, _| metres(d), &|| {
            if geocodage {
                "points éloignés mais même adresse postale (même numéro, même voie, même \
                 commune) : écart de géocodage, neutre"
                    .into()
            } else if p > 0.0 {
                "points proches".into()
            } else {
                "points éloignés".into()
            }
        });
    }

    // The body that runs a France Services, at its address. A conseiller numérique's record
    // is often named after its employer, the body that runs the France Services (« CCAS DE
    // X », « COMMUNE DE X », « CC DU PAYS DE X »): no word of the name in common with the
    // France Services' own record, and another kind of structure. The labelling rules
    // (tests/data/README.md) count it as the same counter when it stands at the France
    // Services' address AND carries the France Services label or shares its reception line
    // (phone or e-mail). Same address: the same number of the same street, or the same
    // street with a number missing within 100 m; same commune; both fixed or both
    // itinerant. Then the two kinds of structure are expected (`categorie` neutral) and,
    // when both carry the label, that is a clue of its own (`label`); a shared contact is
    // already counted by its own criterion.
    let meme_adresse = match meme_voie {
        Some(Some(numero)) => numero,
        Some(None) => distance.is_some_and(|d| d <= 100.0),
        None => false,
    };
    let france_services = |e: &Empreinte| {
        e.label_france_services || e.nom.categorie == Some(Categorie::FranceServices)
    };
    let meme_lieu_possible = a.itinerant == b.itinerant
        && meme_commune
        && meme_adresse
        && (france_services(a) || france_services(b));
    let deux_labels = meme_lieu_possible && a.label_france_services && b.label_france_services;
    let contact_commun = (a.telephone().is_some() && a.telephone() == b.telephone())
        || a.courriels()
            .any(|(h, _)| b.courriels().any(|(g, _)| g == h));
    let porteur = deux_labels || (meme_lieu_possible && contact_commun);
    if deux_labels {
        ajouter(
            "label",
            POINTS_LABEL_MEME_ADRESSE,
            &|la, lb| guillemets(&la.adresse, &lb.adresse),
            &|| {
                "les deux fiches portent le label France Services à la même adresse : le même \
                 guichet, décrit par la structure qui le porte ou par une autre source"
                    .into()
            },
        );
    }

    // Kind of structure.
    if let (Some(x), Some(y)) = (a.nom.categorie, b.nom.categorie) {
        let valeur = |_: &Lieu, _: &Lieu| format!("{} / {}", x.libelle(), y.libelle());
        if x == y {
            ajouter("categorie", 1.0, &valeur, &|| {
                "même type de structure".into()
            });
        } else if porteur && (x == Categorie::FranceServices || y == Categorie::FranceServices) {
            ajouter("categorie", 0.0, &valeur, &|| {
                "une France services et, à la même adresse, une structure labellisée France \
                 Services ou qui partage sa ligne d'accueil : la structure qui la porte, types \
                 différents attendus"
                    .into()
            });
        } else if x.heberge_france_services(y) {
            ajouter("categorie", -1.0, &valeur, &|| {
                "une France services et une structure qui en héberge souvent : indice faible".into()
            });
        } else {
            ajouter("categorie", -3.0, &valeur, &|| {
                "types de structure différents : deux structures, même si elles partagent un bâtiment"
                    .into()
            });
        }
    }

    // Commune.
    match (&a.insee, &b.insee) {
        (Some(x), Some(y)) if x != y => {
            ajouter(
                "commune",
                -2.0,
                &|la, lb| {
                    let f = |l: &Lieu| {
                        l.code_insee
                            .as_ref()
                            .map(|c| c.to_string())
                            .unwrap_or_default()
                    };
                    format!("{} / {}", f(la), f(lb))
                },
                &|| "communes différentes (code INSEE)".into(),
            );
        }
        (Some(_), Some(_)) => {}
        _ => {
            if distance.is_none() && a.code_postal != b.code_postal {
                ajouter(
                    "commune",
                    -1.0,
                    &|la, lb| format!("{} / {}", la.code_postal, lb.code_postal),
                    &|| "codes postaux différents".into(),
                );
            }
        }
    }

    // Pivot.
    let valeur_pivot =
        |la: &Lieu, lb: &Lieu| format!("{} / {}", la.pivot.as_str(), lb.pivot.as_str());
    match (a.pivot(), b.pivot()) {
        (PivotCle::Siret(x), PivotCle::Siret(y)) => {
            if x == y {
                let w = poids(a.freq_siret.max(b.freq_siret));
                ajouter("pivot", 1.5 * w, &valeur_pivot, &|| {
                    format!("même SIRET{}", rarete(a.freq_siret.max(b.freq_siret)))
                });
            } else if a.pivot().siren() == b.pivot().siren() {
                ajouter("pivot", -1.0, &valeur_pivot, &|| {
                    "même SIREN mais établissements (SIRET) différents".into()
                });
            } else {
                ajouter("pivot", -1.5, &valeur_pivot, &|| {
                    "SIREN différents : structures différentes".into()
                });
            }
        }
        (PivotCle::Rna(x), PivotCle::Rna(y)) => {
            if x == y {
                let w = poids(a.freq_siret.max(b.freq_siret));
                ajouter("pivot", 1.5 * w, &valeur_pivot, &|| {
                    format!("même RNA{}", rarete(a.freq_siret.max(b.freq_siret)))
                });
            } else {
                ajouter("pivot", -1.0, &valeur_pivot, &|| {
                    "associations (RNA) différentes".into()
                });
            }
        }
        _ => {}
    }

    // Phone.
    if let (Some(x), Some(y)) = (a.telephone(), b.telephone()) {
        let valeur = |la: &Lieu, lb: &Lieu| {
            format!(
                "{} / {}",
                la.telephone.as_ref().map(|t| t.as_str()).unwrap_or(""),
                lb.telephone.as_ref().map(|t| t.as_str()).unwrap_or("")
            )
        };
        if x == y {
            let f = a.freq_telephone.max(b.freq_telephone);
            ajouter("telephone", 2.0 * poids(f), &valeur, &|| {
                format!("même téléphone{}", rarete(f))
            });
        } else {
            ajouter("telephone", -0.5, &valeur, &|| {
                "téléphones différents".into()
            });
        }
    }

    // E-mails.
    if a.a_courriels() && b.a_courriels() {
        let valeur =
            |la: &Lieu, lb: &Lieu| guillemets(&la.courriels.join(", "), &lb.courriels.join(", "));
        let mut freq_commun: Option<u32> = None;
        for (h, fa) in a.courriels() {
            if let Some((_, fb)) = b.courriels().find(|(g, _)| *g == h) {
                let f = fa.max(fb);
                freq_commun = Some(freq_commun.map_or(f, |g| g.min(f)));
            }
        }
        if let Some(f) = freq_commun {
            ajouter("courriel", 2.0 * poids(f), &valeur, &|| {
                format!("courriel en commun{}", rarete(f))
            });
        } else if a.domaines().iter().any(|d| b.domaines().contains(d)) {
            ajouter("courriel", 0.5, &valeur, &|| {
                "même domaine de courriel".into()
            });
        } else {
            ajouter("courriel", -0.5, &valeur, &|| {
                "aucun courriel en commun".into()
            });
        }
    }

    // Services. Sources describe services each in their own way (the France services list
    // says "démarches administratives" for all, conseillers numériques list their own four):
    // only within one source is a disjoint list strong evidence.
    if a.services != 0 && b.services != 0 && a.services & b.services == 0 {
        let meme_source = a.source == b.source;
        ajouter(
            "services",
            if meme_source { -1.5 } else { -0.5 },
            &|la, lb| {
                let f = |l: &Lieu| {
                    l.services
                        .iter()
                        .map(|s| s.label())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                guillemets(&f(la), &f(lb))
            },
            &|| {
                if meme_source {
                    "aucun service en commun (même source)".into()
                } else {
                    "aucun service en commun (sources différentes, vocabulaires différents : indice faible)".into()
                }
            },
        );
    }

    // Typology.
    let (ta, tb) = (a.typologies(), b.typologies());
    if ta != 0 && tb != 0 && ta & tb == 0 {
        ajouter(
            "typologie",
            -0.5,
            &|la, lb| {
                let f = |l: &Lieu| {
                    l.typologie
                        .iter()
                        .map(|s| s.label())
                        .collect::<Vec<_>>()
                        .join("|")
                };
                guillemets(&f(la), &f(lb))
            },
            &|| "typologies sans valeur commune".into(),
        );
    }

    total
}

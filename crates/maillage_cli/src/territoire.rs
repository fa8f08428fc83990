//! `maillage territoire …` and `maillage tournee …`: fragility index, coverage, zones
//! blanches, tour planning and benchmark instances. Everything is computed by
//! [`maillage_annuaire::territoire`]; this module reads the arguments, shows a spinner, writes the
//! result and prints a short summary in French on stderr.

use crate::spinner;
use anyhow::{anyhow, Context, Result};
use chrono::NaiveDate;
use clap::Subcommand;
use maillage_annuaire::annuaire::Annuaire;
use maillage_annuaire::tableur as t_tableur;
use maillage_annuaire::territoire as t;
use maillage_territoire::tournee::{Options, OptionsPlan};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Subcommand)]
pub enum TerritoireCommande {
    /// Indice de fragilité numérique des communes d'un territoire.
    Indice {
        /// fr, reg:CODE, dep:CODE, epci:SIREN ou commune:CODE_INSEE.
        #[arg(long, default_value = "fr")]
        territoire: String,
        /// csv (convention française : « ; », virgule décimale), xlsx (avec --output) ou json.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Fichier de sortie (sinon la sortie standard).
        #[arg(long)]
        output: Option<PathBuf>,
        /// deciles (méthode actuelle de La MedNum), 2019 (médiane du département) ou 2019:epci|dep|reg|fr.
        #[arg(long, default_value = "deciles")]
        methode: String,
    },
    /// Distance de chaque commune au lieu le plus proche, en tout et par critère.
    Couverture {
        #[arg(long, default_value = "fr")]
        territoire: String,
        #[arg(long, default_value = "csv")]
        format: String,
        #[arg(long)]
        output: Option<PathBuf>,
        /// Méthode de l'indice qui donne la population fragile.
        #[arg(long, default_value = "deciles")]
        methode: String,
    },
    /// Communes à plus de RAYON km de tout lieu, population fragile décroissante.
    ZonesBlanches {
        #[arg(long, default_value = "fr")]
        territoire: String,
        #[arg(long, default_value = "csv")]
        format: String,
        #[arg(long)]
        output: Option<PathBuf>,
        #[arg(long, default_value = "deciles")]
        methode: String,
        /// Distance à vol d'oiseau au-delà de laquelle une commune est en zone blanche.
        #[arg(long, default_value_t = 10.0)]
        rayon_km: f64,
    },
}

#[derive(Subcommand)]
pub enum TourneeCommande {
    /// Choisit les arrêts d'une tournée itinérante (bus, village, caravane).
    Plan {
        /// fr, reg:CODE, dep:CODE, epci:SIREN ou commune:CODE_INSEE.
        #[arg(long)]
        territoire: String,
        /// Nombre d'arrêts.
        #[arg(long, default_value_t = 10)]
        arrets: usize,
        /// Rayon d'action d'un arrêt (et d'un lieu permanent), à vol d'oiseau.
        #[arg(long, default_value_t = 10.0)]
        rayon_km: f64,
        /// Communes candidates (codes INSEE séparés par des virgules) ; par défaut les
        /// communes de 2 000 à 8 000 habitants du territoire.
        #[arg(long, value_delimiter = ',')]
        candidats: Option<Vec<String>>,
        /// Population minimale d'une commune candidate (sans --candidats).
        #[arg(long, default_value_t = 2_000)]
        population_min: u32,
        /// Population maximale d'une commune candidate (sans --candidats).
        #[arg(long, default_value_t = 8_000)]
        population_max: u32,
        /// texte, csv, xlsx (avec --output) ou json.
        #[arg(long, default_value = "texte")]
        format: String,
        #[arg(long)]
        output: Option<PathBuf>,
        /// Date du premier arrêt (AAAA-MM-JJ) : un arrêt par semaine dans l'ordre de visite.
        #[arg(long)]
        debut: Option<NaiveDate>,
        #[arg(long, default_value = "deciles")]
        methode: String,
        /// Temps accordé au solveur exact, en secondes (0 : pas de solveur exact).
        #[arg(long, default_value_t = 2.0)]
        exact_s: f64,
    },
    /// Résout une instance de référence (format de data/benchmarks/mclp/).
    Instance {
        file: PathBuf,
        /// Nombre de sites à ouvrir.
        #[arg(long)]
        p: usize,
        /// Rayon de couverture, en mètres (donné par le README des instances).
        #[arg(long)]
        rayon_m: f64,
        /// Durée maximale de la recherche locale itérée, en secondes.
        #[arg(long, default_value_t = 5.0)]
        duree_s: f64,
        /// Tente ensuite le solveur exact pendant ce nombre de secondes.
        #[arg(long)]
        exact_s: Option<f64>,
        /// texte ou json.
        #[arg(long, default_value = "texte")]
        format: String,
    },
}

fn milliers(v: f64) -> String {
    let s = format!("{:.0}", if v > 0.5 { v } else { 0.0 });
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

pub(crate) fn ecrire(output: Option<&Path>, contenu: &[u8]) -> Result<()> {
    match output {
        Some(path) => {
            std::fs::write(path, contenu).with_context(|| format!("écriture de {}", path.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error.
            match out.write_all(contenu).and_then(|()| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
                _ => Ok(()),
            }
        }
    }
}

fn destination(output: Option<&Path>) -> String {
    output
        .map(|p| format!(" dans {}", p.display()))
        .unwrap_or_default()
}

pub(crate) enum Format {
    Csv,
    Xlsx,
    Json,
    Texte,
}

pub(crate) fn format(texte: &str, texte_permis: bool) -> Result<Format> {
    match texte.trim().to_lowercase().as_str() {
        "csv" => Ok(Format::Csv),
        "xlsx" => Ok(Format::Xlsx),
        "json" => Ok(Format::Json),
        "texte" | "text" if texte_permis => Ok(Format::Texte),
        _ if texte_permis => Err(anyhow!(
            "format inconnu « {texte} » (attendu : texte, csv, xlsx ou json)"
        )),
        _ => Err(anyhow!(
            "format inconnu « {texte} » (attendu : csv, xlsx ou json)"
        )),
    }
}

/// A spreadsheet is binary: it goes to a file, not to the terminal.
pub(crate) fn verifier_sortie(f: &Format, output: Option<&Path>) -> Result<()> {
    if matches!(f, Format::Xlsx) && output.is_none() {
        return Err(anyhow!(
            "le format xlsx s'écrit dans un fichier : ajoutez --output FICHIER.xlsx"
        ));
    }
    Ok(())
}

pub(crate) fn xlsx(t: &t_tableur::Tableau, feuille: &str) -> Result<Vec<u8>> {
    t.xlsx(feuille).map_err(|e| anyhow!("{e}"))
}

fn duree(secondes: f64, option: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(secondes).map_err(|_| {
        anyhow!("{option} invalide ({secondes}) : il faut un nombre de secondes positif")
    })
}

pub async fn territoire(annuaire: &Annuaire, commande: TerritoireCommande) -> Result<()> {
    let debut = Instant::now();
    match commande {
        TerritoireCommande::Indice {
            territoire,
            format: f,
            output,
            methode,
        } => {
            let f = format(&f, false)?;
            verifier_sortie(&f, output.as_deref())?;
            let territoire = t::territoire(&territoire)?;
            let configuration = t::configuration(&methode)?;
            let resultat = t::indice(&territoire, &configuration);
            let contenu = match f {
                Format::Json => t::indice_json(&resultat)?,
                Format::Xlsx => xlsx(&t::tableau_indice(&resultat), "Indice")?,
                _ => t::indice_csv(&resultat)?,
            };
            ecrire(output.as_deref(), &contenu)?;
            let agregat = resultat.agregat();
            eprintln!(
                "Indice de fragilité numérique ({}) : {} ({}), {} communes dont {} sans indice ; indice moyen pondéré {} ; population fragile estimée {}. Écrit{} en {:.0} ms.",
                t::libelle_methode(&configuration),
                territoire.nom(),
                territoire,
                agregat.nombre_communes,
                agregat.communes_sans_indice,
                agregat
                    .indice
                    .map(|v| format!("{v:.2}"))
                    .unwrap_or_else(|| "non calculable".to_string()),
                agregat
                    .population_fragile
                    .map(milliers)
                    .unwrap_or_else(|| "non calculable".to_string()),
                destination(output.as_deref()),
                debut.elapsed().as_secs_f64() * 1000.0
            );
        }
        TerritoireCommande::Couverture {
            territoire,
            format: f,
            output,
            methode,
        } => {
            let f = format(&f, false)?;
            verifier_sortie(&f, output.as_deref())?;
            let territoire = t::territoire(&territoire)?;
            let configuration = t::configuration(&methode)?;
            let pb = spinner("Chargement des lieux publiés et calcul de la couverture");
            let lieux = t::lieux_de_l_annuaire(annuaire).await?;
            let indice = t::indice(&territoire, &configuration);
            let resultat = t::couverture(&territoire, &lieux, &indice.indice);
            pb.finish_and_clear();
            let contenu = match f {
                Format::Json => t::couverture_json(&resultat)?,
                Format::Xlsx => xlsx(&t::tableau_couverture(&resultat), "Couverture")?,
                _ => t::couverture_csv(&resultat)?,
            };
            ecrire(output.as_deref(), &contenu)?;
            let r = &resultat.resume;
            let au_dela: Vec<String> = r
                .au_dela
                .iter()
                .map(|a| {
                    format!(
                        "{} hab. (dont {} fragiles) à plus de {} km",
                        milliers(a.population as f64),
                        milliers(a.population_fragile),
                        a.seuil_km
                    )
                })
                .collect();
            eprintln!(
                "Couverture de {} ({}) par {} lieux publiés localisés : {} communes, {} habitants ; distance moyenne pondérée {} ; {}. Écrit{} en {:.1} s.",
                territoire.nom(),
                territoire,
                milliers(resultat.couverture.lieux as f64),
                r.communes,
                milliers(r.population as f64),
                r.distance_moyenne_km
                    .map(|d| format!("{d:.1} km"))
                    .unwrap_or_else(|| "inconnue (aucun lieu)".to_string()),
                au_dela.join(", "),
                destination(output.as_deref()),
                debut.elapsed().as_secs_f64()
            );
        }
        TerritoireCommande::ZonesBlanches {
            territoire,
            format: f,
            output,
            methode,
            rayon_km,
        } => {
            let f = format(&f, false)?;
            verifier_sortie(&f, output.as_deref())?;
            if !(rayon_km.is_finite() && rayon_km > 0.0) {
                return Err(anyhow!(
                    "rayon invalide ({rayon_km} km) : il doit être positif"
                ));
            }
            let territoire = t::territoire(&territoire)?;
            let configuration = t::configuration(&methode)?;
            let pb = spinner("Chargement des lieux publiés et recherche des zones blanches");
            let lieux = t::lieux_de_l_annuaire(annuaire).await?;
            let indice = t::indice(&territoire, &configuration);
            let (_, zones) = t::zones_blanches(&territoire, &lieux, &indice.indice, rayon_km);
            pb.finish_and_clear();
            let contenu = match f {
                Format::Json => t::zones_blanches_json(&territoire, rayon_km, &zones)?,
                Format::Xlsx => xlsx(&t::tableau_zones_blanches(&zones), "Zones blanches")?,
                _ => t::zones_blanches_csv(&zones)?,
            };
            ecrire(output.as_deref(), &contenu)?;
            let population: u64 = zones.iter().map(|z| u64::from(z.population)).sum();
            let fragile: f64 = zones.iter().map(|z| z.population_fragile).sum();
            eprintln!(
                "Zones blanches de {} ({}) à plus de {} km de tout lieu : {} communes, {} habitants dont {} fragiles. Écrit{} en {:.1} s.",
                territoire.nom(),
                territoire,
                rayon_km,
                zones.len(),
                milliers(population as f64),
                milliers(fragile),
                destination(output.as_deref()),
                debut.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

pub async fn tournee(annuaire: &Annuaire, commande: TourneeCommande) -> Result<()> {
    let debut_calcul = Instant::now();
    match commande {
        TourneeCommande::Plan {
            territoire,
            arrets,
            rayon_km,
            candidats,
            population_min,
            population_max,
            format: f,
            output,
            debut,
            methode,
            exact_s,
        } => {
            let f = format(&f, true)?;
            verifier_sortie(&f, output.as_deref())?;
            if arrets == 0 {
                return Err(anyhow!("il faut au moins un arrêt (--arrets)"));
            }
            let territoire = t::territoire(&territoire)?;
            let configuration = t::configuration(&methode)?;
            let exact = duree(exact_s, "--exact-s")?;
            let options = OptionsPlan {
                arrets,
                rayon_km,
                candidats,
                population_min,
                population_max,
                ordre_de_visite: true,
                debut,
                exact: (!exact.is_zero()).then_some(exact),
                ..OptionsPlan::default()
            };
            let pb = spinner(&format!("Planification de {arrets} arrêts"));
            let lieux = t::lieux_de_l_annuaire(annuaire).await?;
            let indice = t::indice(&territoire, &configuration);
            let plan = t::plan(&territoire, &lieux, &indice.indice, &options);
            pb.finish_and_clear();
            let plan = plan?;
            let contenu = match f {
                Format::Csv => t::plan_csv(&plan)?,
                Format::Xlsx => xlsx(&t::tableau_plan(&plan), "Tournée")?,
                Format::Json => t::plan_json(&plan)?,
                Format::Texte => t::plan_texte(&plan, territoire.nom()).into_bytes(),
            };
            ecrire(output.as_deref(), &contenu)?;
            if let Some(e) = t::explication_arrets(&plan) {
                eprintln!("Attention : {e}");
            }
            eprintln!(
                "Tournée {} : {} arrêts parmi {} candidates, {} personnes fragiles atteintes sur {} ; écart {}. Calculé en {:.1} s.",
                territoire,
                plan.arrets.len(),
                plan.candidats,
                milliers(plan.total_couvert),
                milliers(plan.demande_totale),
                if plan.optimal {
                    "0 % (optimum prouvé)".to_string()
                } else {
                    plan.ecart
                        .map(|e| format!("≤ {:.2} %", (100.0 * e).max(0.0)).replace('.', ","))
                        .unwrap_or_else(|| "non calculé".to_string())
                },
                debut_calcul.elapsed().as_secs_f64()
            );
        }
        TourneeCommande::Instance {
            file,
            p,
            rayon_m,
            duree_s,
            exact_s,
            format: f,
        } => {
            let f = format(&f, true)?;
            let texte = std::fs::read_to_string(&file)
                .with_context(|| format!("lecture de {}", file.display()))?;
            let options = Options {
                duree_max: Some(duree(duree_s, "--duree-s")?),
                ..Options::default()
            };
            let exact = exact_s.map(|s| duree(s, "--exact-s")).transpose()?;
            let pb = spinner(&format!("Résolution de {} (p = {p})", file.display()));
            let r = t::resoudre_instance(&texte, p, rayon_m, &options, exact)
                .with_context(|| format!("instance illisible {}", file.display()));
            pb.finish_and_clear();
            let r = r?;
            match f {
                Format::Json => ecrire(None, &serde_json::to_vec_pretty(&r)?)?,
                _ => {
                    let mut s = String::new();
                    s.push_str(&format!(
                        "Instance {} : {} points, demande totale {:.0}, p = {}, rayon {} m\n",
                        r.nom.as_deref().unwrap_or("sans nom"),
                        r.points,
                        r.demande_totale,
                        r.p,
                        r.rayon_m
                    ));
                    s.push_str(&format!("Demande couverte : {:.0}\n", r.solution.couvert));
                    s.push_str(&format!(
                        "Glouton seul : {:.0}\n",
                        r.solution.couvert_glouton
                    ));
                    if let Some(b) = r.solution.borne_sup {
                        s.push_str(&format!(
                            "Borne supérieure : {:.0} (écart ≤ {:.3} %)\n",
                            b,
                            100.0 * r.solution.ecart.unwrap_or(0.0)
                        ));
                    }
                    if let Some(o) = r.optimal {
                        s.push_str(&format!(
                            "Solveur exact : {}\n",
                            if o {
                                "optimum prouvé"
                            } else {
                                "optimum non prouvé dans le temps imparti"
                            }
                        ));
                    }
                    s.push_str("Sites choisis (position dans le fichier à partir de 0, latitude, longitude) :\n");
                    for (j, lat, lon) in &r.coordonnees {
                        s.push_str(&format!("{j}\t{lat}\t{lon}\n"));
                    }
                    ecrire(None, s.as_bytes())?;
                }
            }
            eprintln!(
                "Instance {} : {} sites, demande couverte {:.0} sur {:.0} ({:.2} %), {} itérations, en {:.1} s.",
                r.nom.as_deref().unwrap_or("sans nom"),
                r.solution.sites.len(),
                r.solution.couvert,
                r.demande_totale,
                if r.demande_totale > 0.0 {
                    100.0 * r.solution.couvert / r.demande_totale
                } else {
                    0.0
                },
                r.solution.iterations,
                debut_calcul.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

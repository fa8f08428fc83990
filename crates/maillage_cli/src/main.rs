//! `maillage`: the one binary of Maillage.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use maillage_annuaire::annuaire::{
    Annuaire, DemandeImportCorrespondance, RegleRetrait, ResultatImport,
};
use maillage_annuaire::doublons::Decision;
use maillage_annuaire::export::FormatExport;
use maillage_annuaire::import::{proposer_correspondance, Correspondance, Format};
use maillage_instance::Instance;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

mod competences;
mod enquete;
mod evenements;
mod mandats;
mod mediation;
mod pass;
mod territoire;

#[derive(Parser)]
#[command(
    name = "maillage",
    version,
    about = "Maillage : la plateforme territoriale de l'inclusion numérique"
)]
struct Cli {
    /// Base de données : sqlite://CHEMIN (par défaut dans le répertoire de données) ou postgres://…
    #[arg(long, global = true, env = "MAILLAGE_DATABASE_URL")]
    database_url: Option<String>,
    /// Répertoire de données (par défaut ~/.local/share/maillage).
    #[arg(long, global = true, env = "MAILLAGE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Clé privée Ed25519 du journal des mandats (par défaut maillage-journal.key dans le
    /// répertoire de données ; créée par « maillage journal cle --creer » ou au premier
    /// lancement d'une instance vide). La même sur tous les nœuds ; sauvegardée hors de la base.
    #[arg(long, global = true, env = "MAILLAGE_JOURNAL_CLE")]
    cle_journal: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lance le serveur web (pages publiques et API).
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080", env = "MAILLAGE_LISTEN")]
        listen: SocketAddr,
        /// Charge les lieux réels fournis avec le logiciel (fait d'office sur une base vide).
        #[arg(long)]
        demo: bool,
    },
    /// Importe un fichier de lieux (une transaction ; rapport ligne à ligne).
    Import {
        /// Nom de la source (les lieux sont identifiés par source + identifiant) ; avec
        /// --mapping, celui du fichier de correspondance par défaut.
        #[arg(long)]
        source: Option<String>,
        /// v1-csv, v1-json, v0-json, geojson, france-services, data-inclusion ou auto.
        #[arg(long, default_value = "auto")]
        format: String,
        /// Fichier de correspondance (TOML) d'un CSV dans ses propres colonnes : colonnes,
        /// valeurs, horaires par demi-journée. Rien n'est importé si une ligne est rejetée.
        #[arg(long, value_name = "FICHIER.toml", conflicts_with = "proposer_mapping")]
        mapping: Option<PathBuf>,
        /// Propose un brouillon de fichier de correspondance d'après l'en-tête du fichier
        /// (affiché, ou écrit dans --output), à relire avant --mapping. N'importe rien.
        #[arg(long)]
        proposer_mapping: bool,
        /// Avec --proposer-mapping : fichier où écrire le brouillon (jamais écrasé).
        #[arg(long)]
        output: Option<PathBuf>,
        /// Écrit le rapport détaillé (JSON) dans ce fichier.
        #[arg(long)]
        rapport: Option<PathBuf>,
        /// Part maximale (en %) des lieux actifs de la source qu'un import peut retirer ;
        /// au-delà, l'import s'arrête sans rien écrire.
        #[arg(long, default_value_t = maillage_annuaire::annuaire::SEUIL_RETRAIT_DEFAUT)]
        seuil_retrait: f64,
        /// Retire tous les lieux absents du fichier, quel que soit leur nombre (et accepte un
        /// fichier sans aucun lieu accepté, qui retire alors toute la source).
        #[arg(long)]
        retirer_absents: bool,
        file: PathBuf,
    },
    /// Exporte l'annuaire fusionné au standard national (CSV, JSON), en GeoJSON, ou au
    /// schéma data·inclusion (structures.json et services.json dans le répertoire --output).
    Export {
        /// csv, json, geojson ou data-inclusion.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Avec --format data-inclusion : nom du producteur (champ « source », préfixe des
        /// identifiants).
        #[arg(long, default_value = maillage_annuaire::data_inclusion::SOURCE_PAR_DEFAUT)]
        producteur: String,
        /// fr, reg:CODE, dep:CODE, epci:SIREN ou commune:CODE_INSEE.
        #[arg(long)]
        territoire: Option<String>,
        /// Fichier de sortie (sinon la sortie standard).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Annuaire des lieux : doublons et décisions des coordinateurs.
    Lieux {
        #[command(subcommand)]
        command: LieuxCommand,
    },
    /// Territoire : indice de fragilité numérique, couverture, zones blanches.
    Territoire {
        #[command(subcommand)]
        command: territoire::TerritoireCommande,
    },
    /// Tournée itinérante : choix des arrêts, instances de référence.
    Tournee {
        #[command(subcommand)]
        command: territoire::TourneeCommande,
    },
    /// Médiation : premier administrateur, structures, lieux d'activité, tâches, import.
    Mediation {
        #[command(subcommand)]
        command: mediation::MediationCommande,
    },
    /// Journal des mandats : vérification de la chaîne et des sceaux, scellement.
    Journal {
        #[command(subcommand)]
        command: mandats::JournalCommande,
    },
    /// Mandats : habilitation des aidants, rappels d'expiration.
    Mandats {
        #[command(subcommand)]
        command: mandats::MandatsCommande,
    },
    /// Événements : import d'un événement et de son programme (fichier JSON).
    Evenements {
        #[command(subcommand)]
        command: evenements::EvenementsCommande,
    },
    /// Compétences : réétalonnage des questions à partir des réponses anonymes.
    Competences {
        #[command(subcommand)]
        command: competences::CompetencesCommande,
    },
    /// Pass numérique : programmes, lieux qualifiés, carnets, distribution, clés d'API, relevés.
    Pass {
        #[command(subcommand)]
        command: pass::PassCommande,
    },
    /// Enquête de besoins : campagnes, enquêteurs, adresses à visiter, résultats.
    Enquete {
        #[command(subcommand)]
        command: enquete::EnqueteCommande,
    },
    /// Sauvegarde toute la base dans un fichier, cohérente même pendant que le serveur écrit
    /// (SQLite : copie instantanée ; PostgreSQL : pg_dump). La clé du journal n'y est pas :
    /// gardez-la à part.
    Sauvegarde {
        /// Fichier à créer (jamais écrasé).
        fichier: PathBuf,
    },
    /// Restaure une sauvegarde à la place de la base (serveur arrêté).
    Restaurer {
        fichier: PathBuf,
        /// Remplace une base qui contient déjà des données.
        #[arg(long)]
        remplacer: bool,
    },
}

#[derive(Subcommand)]
enum LieuxCommand {
    /// Liste les groupes de doublons fusionnés, ou explique les scores autour d'un lieu.
    Doublons {
        /// texte, csv (convention française : « ; », en-têtes en français) ou xlsx (avec
        /// --output).
        #[arg(long, default_value = "texte")]
        format: String,
        /// Explique les scores des paires autour de ce lieu (identifiant publié ou SOURCE#ID).
        #[arg(long)]
        explain: Option<String>,
        /// Fichier de sortie (sinon la sortie standard ; obligatoire pour xlsx).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Confirme que deux enregistrements sont le même lieu (toujours fusionnés).
    Confirmer {
        ref_a: String,
        ref_b: String,
        #[arg(long, default_value = "coordinateur")]
        par: String,
    },
    /// Refuse la fusion de deux enregistrements (jamais fusionnés).
    Refuser {
        ref_a: String,
        ref_b: String,
        #[arg(long, default_value = "coordinateur")]
        par: String,
    },
    /// Liste les signalements d'erreurs envoyés par le public (« Signaler une erreur »),
    /// du plus récent au plus ancien : ceux à traiter, ou tous.
    Signalements {
        /// Aussi les signalements déjà traités ou rejetés.
        #[arg(long)]
        tous: bool,
        /// Seulement ceux des lieux de ce territoire (dep:31, epci:SIREN, commune:CODE_INSEE…).
        #[arg(long)]
        territoire: Option<String>,
        /// texte ou csv (convention française : « ; », en-têtes en français).
        #[arg(long, default_value = "texte")]
        format: String,
    },
    /// Clôt un signalement : traite (la fiche est corrigée) ou rejete (rien à changer).
    CloreSignalement {
        /// Numéro du signalement (colonne « Nº » de `maillage lieux signalements`).
        id: i64,
        /// traite ou rejete.
        decision: String,
    },
}

fn data_dir(cli: &Cli) -> PathBuf {
    if let Some(d) = &cli.data_dir {
        return d.clone();
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".local/share/maillage"),
        None => PathBuf::from("maillage-data"),
    }
}

fn database_url(cli: &Cli) -> String {
    match &cli.database_url {
        Some(u) => u.clone(),
        None => format!("sqlite://{}", data_dir(cli).join("maillage.db").display()),
    }
}

/// `maillage sauvegarde` (`restaurer: None`) and `maillage restaurer`.
async fn sauvegarde(url: &str, fichier: &std::path::Path, restaurer: Option<bool>) -> Result<()> {
    use maillage_cli::sauvegarde as s;
    let start = Instant::now();
    let pb = spinner(if restaurer.is_some() {
        "Restauration de la sauvegarde"
    } else {
        "Sauvegarde de la base"
    });
    let bilan = match restaurer {
        None => s::sauvegarder(url, fichier).await,
        Some(remplacer) => s::restaurer(url, fichier, remplacer).await,
    };
    pb.finish_and_clear();
    let bilan = bilan?;
    let mo = bilan.octets as f64 / 1_048_576.0;
    if restaurer.is_some() {
        println!(
            "Base restaurée depuis {} ({mo:.1} Mo, {}) en {:.1} s. Vérifiez le journal : maillage journal verify.",
            bilan.fichier.display(),
            bilan.moteur,
            start.elapsed().as_secs_f64()
        );
    } else {
        println!(
            "Sauvegarde écrite : {} ({mo:.1} Mo, {}) en {:.1} s. La clé du journal n'y est pas : gardez-la avec vos sauvegardes.",
            bilan.fichier.display(),
            bilan.moteur,
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// A spinner for long command-line work (stderr).
pub(crate) fn spinner(message: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(message.to_string());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

fn nombre(n: impl Into<u64>) -> String {
    let s = n.into().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

fn afficher_import(r: &ResultatImport) {
    println!(
        "Source « {} » ({}) : {}",
        r.source,
        r.format,
        r.rapport.resume_fr()
    );
    println!(
        "  base : {} ajoutés, {} mis à jour, {} inchangés, {} retirés",
        r.bilan.added, r.bilan.updated, r.bilan.unchanged, r.bilan.retired
    );
}

/// mimalloc: the importer checks records on every core, and the system allocator of glibc
/// slows down markedly when threads allocate and free millions of small strings (import of
/// 1M places: 18 s with it, 11 s with mimalloc; see docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATEUR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let filtre = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "maillage=info,maillage_web=info,warn".into());
    // MAILLAGE_JOURNAUX=json: one JSON object per line (with the request's span: its id,
    // method and route), for a log collector. Otherwise lines for people.
    if std::env::var("MAILLAGE_JOURNAUX").is_ok_and(|v| v == "json") {
        tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filtre)
            .with_writer(std::io::stderr)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filtre)
            .with_writer(std::io::stderr)
            .init();
    }
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Erreur : {}", maillage_cli::message_erreur(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    let url = database_url(&cli);
    // Backups work on the database as a whole, before (and without) any module opening it.
    match &cli.command {
        Command::Sauvegarde { fichier } => return sauvegarde(&url, fichier, None).await,
        Command::Restaurer { fichier, remplacer } => {
            return sauvegarde(&url, fichier, Some(*remplacer)).await
        }
        // A draft mapping reads the file only: no database.
        Command::Import {
            proposer_mapping: true,
            file,
            output,
            ..
        } => return proposer_mapping(file, output.as_deref()),
        _ => {}
    }
    let pb = spinner("Ouverture de la base");
    let instance = maillage_cli::stockage::ouvrir(&url)
        .await
        .with_context(|| format!("ouverture de la base {url}"))?;
    let chemin_cle = cli
        .cle_journal
        .clone()
        .unwrap_or_else(|| data_dir(&cli).join("maillage-journal.key"));
    // Never created here: only by `maillage journal cle --creer` or the first `serve` of an
    // empty instance (see `cle_pour_serveur`).
    let instance =
        match maillage_mandats::cle::charger(&chemin_cle).map_err(|e| anyhow::anyhow!(e))? {
            Some(cle) => instance.avec_cle_journal(cle),
            None => instance,
        };
    // How long a place's personal link stays valid (`MAILLAGE_LIEN_LIEU_JOURS`, 60 days).
    let instance = match std::env::var("MAILLAGE_LIEN_LIEU_JOURS")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|j| (1..=3650).contains(j))
    {
        Some(jours) => {
            let m = instance
                .mises_a_jour()
                .clone()
                .avec_duree_lien(chrono::Duration::days(jours));
            instance.avec_mises_a_jour(m)
        }
        None => instance,
    };
    pb.finish_and_clear();
    let annuaire = instance.annuaire().clone();
    match cli.command {
        Command::Serve { listen, demo } => {
            let instance = cle_pour_serveur(instance, &chemin_cle).await?;
            if let Some(fusion) = annuaire.reprendre_fusion().await? {
                println!(
                    "Fusion interrompue reprise : {} lieux publiés ({} enregistrements).",
                    nombre(fusion.lieux_publies as u64),
                    nombre(fusion.enregistrements as u64)
                );
            }
            let vide = annuaire.store().count_merged_lieux().await? == 0;
            if demo || vide {
                let pb = spinner("Chargement des lieux de démonstration (5 sources réelles)");
                let start = Instant::now();
                let (resultats, fusion) = annuaire.charger_demo().await?;
                pb.finish_and_clear();
                for r in &resultats {
                    afficher_import(r);
                }
                println!(
                        "Démonstration chargée en {:.1} s : {} lieux publiés ({} enregistrements, {} groupes de doublons).",
                        start.elapsed().as_secs_f64(),
                        nombre(fusion.lieux_publies as u64),
                        nombre(fusion.enregistrements as u64),
                        nombre(fusion.groupes_doublons as u64)
                    );
            }
            {
                if instance
                    .comptes()
                    .aucun_compte()
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                {
                    println!(
                        "Espace professionnel (médiation) : aucun compte. Créez l'administrateur avec\n  maillage mediation administrateur VOTRE@ADRESSE"
                    );
                }
            }
            // The pass ledger's waiting entries (redemptions that found the journal's lock
            // taken) are chained by the next write, and at the latest within a second.
            let pass = instance.pass().clone();
            tokio::spawn(
                async move { pass.tenir_registre(std::time::Duration::from_secs(1)).await },
            );
            maillage_web::serve(instance, listen, maillage_web::Site::depuis_env()).await?;
        }
        Command::Import {
            source,
            format,
            mapping,
            rapport,
            seuil_retrait,
            retirer_absents,
            file,
            ..
        } => {
            let format: Option<Format> = if format == "auto" {
                None
            } else {
                Some(format.parse().map_err(|e| anyhow::anyhow!("{e}"))?)
            };
            // A data·inclusion export is a directory: its structures.json.
            let file = if file.is_dir() {
                file.join("structures.json")
            } else {
                file
            };
            let nom_fichier = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let regle = RegleRetrait {
                seuil_pourcent: seuil_retrait,
                retirer_absents,
            };
            let r = match mapping {
                Some(mapping) => {
                    let texte = std::fs::read_to_string(&mapping).with_context(|| {
                        format!("lecture du fichier de correspondance {}", mapping.display())
                    })?;
                    let correspondance = Correspondance::depuis_toml(&texte)
                        .map_err(|e| anyhow::anyhow!("{} : {e}", mapping.display()))?;
                    let contenu = std::fs::read(&file)
                        .with_context(|| format!("lecture de {}", file.display()))?;
                    let pb = spinner(&format!("Import de {nom_fichier}"));
                    let r = annuaire
                        .importer_correspondance(
                            DemandeImportCorrespondance {
                                source,
                                correspondance,
                                nom_fichier,
                                contenu,
                            },
                            regle,
                        )
                        .await;
                    pb.finish_and_clear();
                    r
                }
                None => {
                    let source = source.ok_or_else(|| {
                        anyhow::anyhow!(
                            "--source NOM est obligatoire (sauf avec --mapping, dont le fichier \
                             peut nommer la source)"
                        )
                    })?;
                    let pb = spinner(&format!("Import de {nom_fichier}"));
                    // Read as a stream: the file is never held in memory as a whole.
                    let r = annuaire
                        .importer_fichier(&source, format, &file, regle)
                        .await;
                    pb.finish_and_clear();
                    r
                }
            };
            let r = r.with_context(|| format!("import de {}", file.display()))?;
            for remarque in r.rapport.remarques.iter().take(20) {
                println!("  {remarque}");
            }
            let total = r.rapport.nombre_de_remarques();
            if total > 20 {
                println!(
                    "  … et {} autres remarques (--rapport FICHIER pour les {} premières)",
                    nombre((total - 20) as u64),
                    nombre(r.rapport.remarques.len() as u64)
                );
            }
            if let Some(path) = rapport {
                std::fs::write(&path, serde_json::to_vec_pretty(&r.rapport)?)
                    .with_context(|| format!("écriture du rapport {}", path.display()))?;
            }
            afficher_import(&r);
            println!(
                "Annuaire : {} lieux publiés ({} enregistrements actifs, {} groupes de doublons ; {} lieux réécrits).",
                nombre(r.fusion.lieux_publies as u64),
                nombre(r.fusion.enregistrements as u64),
                nombre(r.fusion.groupes_doublons as u64),
                nombre(r.fusion.lieux_ecrits as u64)
            );
        }
        Command::Export {
            format,
            producteur,
            territoire,
            output,
        } => {
            if format.trim().eq_ignore_ascii_case("data-inclusion") {
                let territoire = territoire
                    .map(|t| annuaire.referentiel().territoire(&t))
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let dir = output.ok_or_else(|| {
                    anyhow::anyhow!(
                        "--output RÉPERTOIRE est obligatoire avec --format data-inclusion \
                         (structures.json et services.json y sont écrits)"
                    )
                })?;
                return exporter_data_inclusion(&annuaire, &producteur, territoire.as_ref(), &dir)
                    .await;
            }
            let format: FormatExport = format.parse().map_err(|e: String| anyhow::anyhow!(e))?;
            let territoire = territoire
                .map(|t| annuaire.referentiel().territoire(&t))
                .transpose()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let pb = spinner("Export");
            let (bytes, n) = annuaire.exporter(format, territoire.as_ref()).await?;
            pb.finish_and_clear();
            match output {
                Some(path) => {
                    std::fs::write(&path, &bytes)
                        .with_context(|| format!("écriture de {}", path.display()))?;
                    eprintln!(
                        "Export {format} : {} lieux écrits dans {}.",
                        nombre(n as u64),
                        path.display()
                    );
                }
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&bytes)?;
                    eprintln!("Export {format} : {} lieux.", nombre(n as u64));
                }
            }
        }
        Command::Lieux { command } => lieux(&annuaire, command).await?,
        Command::Territoire { command } => territoire::territoire(&annuaire, command).await?,
        Command::Tournee { command } => territoire::tournee(&annuaire, command).await?,
        Command::Mediation { command } => mediation::mediation(&instance, command).await?,
        Command::Journal { command } => {
            return mandats::journal(&instance, command, &chemin_cle).await
        }
        Command::Mandats { command } => mandats::mandats(&instance, command, &chemin_cle).await?,
        Command::Evenements { command } => evenements::evenements(&instance, command).await?,
        Command::Competences { command } => competences::competences(&instance, command).await?,
        Command::Pass { command } => pass::pass(&instance, command).await?,
        Command::Enquete { command } => enquete::enquete(&instance, command).await?,
        Command::Sauvegarde { .. } | Command::Restaurer { .. } => unreachable!("handled above"),
    }
    Ok(())
}

/// `maillage import --proposer-mapping`: a draft column mapping from the file's header.
fn proposer_mapping(file: &std::path::Path, output: Option<&std::path::Path>) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("lecture de {}", file.display()))?;
    let nom = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let brouillon = proposer_correspondance(&nom, &bytes)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("lecture de {}", file.display()))?;
    match output {
        Some(path) => {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .with_context(|| format!("création de {} (jamais écrasé)", path.display()))?;
            f.write_all(brouillon.as_bytes())?;
            eprintln!(
                "Brouillon de correspondance écrit dans {} : relisez-le, puis maillage import --mapping {} {}",
                path.display(),
                path.display(),
                file.display()
            );
        }
        None => print!("{brouillon}"),
    }
    Ok(())
}

/// `maillage export --format data-inclusion --output DIR`.
async fn exporter_data_inclusion(
    annuaire: &Annuaire,
    producteur: &str,
    territoire: Option<&maillage_territoire::Territoire>,
    dir: &std::path::Path,
) -> Result<()> {
    let pb = spinner("Export data·inclusion");
    let r = annuaire
        .exporter_data_inclusion(producteur, territoire)
        .await;
    pb.finish_and_clear();
    let (export, n) = r?;
    std::fs::create_dir_all(dir).with_context(|| format!("création de {}", dir.display()))?;
    for (nom, valeurs) in [
        ("structures.json", &export.structures),
        ("services.json", &export.services),
    ] {
        let path = dir.join(nom);
        std::fs::write(&path, serde_json::to_vec_pretty(valeurs)?)
            .with_context(|| format!("écriture de {}", path.display()))?;
    }
    eprintln!(
        "Export data·inclusion : {} structures et {} services écrits dans {}.",
        nombre(n as u64),
        nombre(export.services.len() as u64),
        dir.display()
    );
    Ok(())
}

/// `maillage lieux signalements`: the error reports, newest first, as text or French CSV.
async fn signalements(
    annuaire: &Annuaire,
    tous: bool,
    territoire: Option<&str>,
    format: &str,
) -> Result<()> {
    use maillage_annuaire::tableur::{Tableau, Valeur};
    let territoire = territoire
        .map(maillage_annuaire::territoire::territoire)
        .transpose()?;
    let liste: Vec<_> = annuaire
        .signalements_avec_lieux(!tous)
        .await?
        .into_iter()
        .filter(|s| match &territoire {
            None => true,
            Some(t) => s.code_insee.as_deref().is_some_and(|c| t.contient(c)),
        })
        .collect();
    let etat = |s: &maillage_annuaire::signalement::SignalementLieu| match (
        s.signalement.traite,
        s.decision(),
    ) {
        (false, _) => "à traiter",
        (true, Some(d)) => d.libelle(),
        (true, None) => "traité",
    };
    let date = |s: &maillage_annuaire::signalement::SignalementLieu| {
        s.signalement
            .created_at
            .with_timezone(&chrono_tz::Europe::Paris)
            .format("%d/%m/%Y %H:%M")
            .to_string()
    };
    match format.trim() {
        "csv" => {
            let mut t = Tableau::new([
                "Nº",
                "Reçu le",
                "Identifiant du lieu",
                "Lieu",
                "Code INSEE",
                "Ce qui est faux",
                "Message",
                "Contact",
                "État",
            ]);
            for s in &liste {
                t.lignes.push(vec![
                    Valeur::Nombre(s.signalement.id as f64, 0),
                    Valeur::texte(date(s)),
                    Valeur::texte(s.signalement.lieu_id.clone()),
                    Valeur::texte(s.lieu_nom.clone().unwrap_or_default()),
                    Valeur::texte(s.code_insee.clone().unwrap_or_default()),
                    Valeur::texte(s.categorie_libelle()),
                    Valeur::texte(s.signalement.message.clone()),
                    Valeur::texte(s.signalement.contact.clone().unwrap_or_default()),
                    Valeur::texte(etat(s)),
                ]);
            }
            let octets = t.csv().map_err(|e| anyhow::anyhow!("{e}"))?;
            std::io::Write::write_all(&mut std::io::stdout().lock(), &octets)?;
        }
        "texte" | "text" => {
            if liste.is_empty() {
                println!(
                    "{}",
                    if tous {
                        "Aucun signalement."
                    } else {
                        "Aucun signalement à traiter."
                    }
                );
            }
            for s in &liste {
                println!(
                    "nº {} — {} — {} ({}) — {} — {}",
                    s.signalement.id,
                    date(s),
                    s.lieu_nom.as_deref().unwrap_or("lieu plus publié"),
                    s.signalement.lieu_id,
                    s.categorie_libelle(),
                    etat(s)
                );
                if !s.signalement.message.is_empty() {
                    println!("    {}", s.signalement.message.replace('\n', "\n    "));
                }
                if let Some(c) = &s.signalement.contact {
                    println!("    contact : {c}");
                }
            }
            if !tous {
                eprintln!("Pour clore : maillage lieux clore-signalement Nº traite|rejete.");
            }
        }
        autre => anyhow::bail!("format inconnu « {autre} » (attendu : texte ou csv)"),
    }
    Ok(())
}

/// The journal key of a starting server: the key file must have signed the database's
/// seals; without a key file, one is created only for an empty instance (no journal entry,
/// no seal), said on stderr and in the log. Anything else refuses to start.
async fn cle_pour_serveur(instance: Instance, chemin_cle: &std::path::Path) -> Result<Instance> {
    let chemin = chemin_cle.display().to_string();
    if let Ok(m) = instance.mandats() {
        m.controler_cle(&chemin).await?;
        return Ok(instance);
    }
    let store = instance.store();
    let entrees = store.journal_head().await?.seq;
    let sceaux = store.sceaux().await?.len();
    if entrees > 0 || sceaux > 0 {
        anyhow::bail!(
            "{}",
            maillage_mandats::cle::absente(&chemin, entrees, sceaux)
        );
    }
    let cle = maillage_mandats::cle::creer(chemin_cle).map_err(|e| anyhow::anyhow!(e))?;
    eprintln!(
        "ATTENTION : nouvelle instance, clé du journal des mandats créée : {chemin}\n  Sauvegardez ce fichier à part de la base et copiez-le sur chaque nœud (tous les nœuds signent avec la même clé).\n  Clé publique :\n{}",
        maillage_mandats::cle::pem_publique(&cle.verifying_key())
    );
    Ok(instance.avec_cle_journal(cle))
}

/// A table's format for `lieux doublons` (the same reading as the territory commands):
/// `None` for text, `Some(true)` for XLSX (which needs a file), `Some(false)` for CSV.
fn format_tableau(format: &str, output: Option<&std::path::Path>) -> Result<Option<bool>> {
    let f = territoire::format(format, true)?;
    territoire::verifier_sortie(&f, output)?;
    match f {
        territoire::Format::Texte => Ok(None),
        territoire::Format::Csv => Ok(Some(false)),
        territoire::Format::Xlsx => Ok(Some(true)),
        territoire::Format::Json => Err(anyhow::anyhow!(
            "format json non disponible ici (attendu : texte, csv ou xlsx)"
        )),
    }
}

/// Writes a table as CSV or XLSX, to `output` or to the standard output.
fn ecrire_tableau(
    t: &maillage_annuaire::tableur::Tableau,
    xlsx: bool,
    output: Option<&std::path::Path>,
    feuille: &str,
) -> Result<()> {
    let octets = if xlsx {
        territoire::xlsx(t, feuille)?
    } else {
        t.csv().map_err(|e| anyhow::anyhow!("{e}"))?
    };
    territoire::ecrire(output, &octets)?;
    if let Some(chemin) = output {
        eprintln!(
            "{} lignes écrites dans {}.",
            nombre(t.lignes.len() as u64),
            chemin.display()
        );
    }
    Ok(())
}

async fn lieux(annuaire: &Annuaire, command: LieuxCommand) -> Result<()> {
    match command {
        LieuxCommand::Doublons {
            format,
            explain: Some(id),
            output,
        } => {
            let paires = annuaire.expliquer(&id).await?;
            let tableau = format_tableau(&format, output.as_deref())?;
            if let Some(f) = tableau {
                let t = maillage_annuaire::annuaire::paires_tableau(&paires);
                ecrire_tableau(&t, f, output.as_deref(), "Paires")?;
            } else {
                if paires.is_empty() {
                    println!("Aucune paire candidate autour de « {id} ».");
                }
                for p in &paires {
                    println!(
                        "{} ↔ {} : score {:.2} → {}",
                        p.ref_a,
                        p.ref_b,
                        p.explication.score,
                        if p.explication.decision {
                            "même lieu"
                        } else {
                            "lieux distincts"
                        }
                    );
                    for c in &p.explication.criteres {
                        println!(
                            "    {:+.2}  {} : {} ({})",
                            c.points, c.nom, c.raison, c.valeur
                        );
                    }
                }
            }
        }
        LieuxCommand::Doublons {
            format,
            explain: None,
            output,
        } => {
            let tableau = format_tableau(&format, output.as_deref())?;
            let pb = spinner("Recherche des doublons");
            let (lieux, resultat) = annuaire.doublons().await?;
            pb.finish_and_clear();
            if let Some(f) = tableau {
                let t = maillage_annuaire::doublons::groupes_tableau(&resultat, &lieux);
                ecrire_tableau(&t, f, output.as_deref(), "Doublons")?;
            } else {
                for f in resultat.fusionnes.iter().filter(|f| f.membres.len() > 1) {
                    println!("{} « {} » : {}", f.id, f.lieu.nom, f.membres.join(", "));
                }
                eprintln!(
                    "{} enregistrements, {} paires candidates, {} groupes de doublons, {} lieux publiés.",
                    nombre(lieux.len() as u64),
                    nombre(resultat.paires_candidates as u64),
                    nombre(resultat.groupes.len() as u64),
                    nombre(resultat.fusionnes.len() as u64)
                );
            }
        }
        LieuxCommand::Confirmer { ref_a, ref_b, par } => {
            let b = annuaire
                .decider(&ref_a, &ref_b, Decision::Confirmee, &par, None)
                .await?;
            println!(
                "Fusion confirmée : {ref_a} et {ref_b}. Annuaire : {} lieux publiés.",
                nombre(b.lieux_publies as u64)
            );
        }
        LieuxCommand::Signalements {
            tous,
            territoire,
            format,
        } => signalements(annuaire, tous, territoire.as_deref(), &format).await?,
        LieuxCommand::CloreSignalement { id, decision } => {
            let d: maillage_annuaire::signalement::DecisionSignalement =
                decision.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            if !annuaire.decider_signalement(id, d, None, None).await? {
                anyhow::bail!("aucun signalement nº {id}");
            }
            println!("Signalement nº {id} : {}.", d.libelle());
        }
        LieuxCommand::Refuser { ref_a, ref_b, par } => {
            let b = annuaire
                .decider(&ref_a, &ref_b, Decision::Refusee, &par, None)
                .await?;
            println!(
                "Fusion refusée : {ref_a} et {ref_b} ne seront plus fusionnés. Annuaire : {} lieux publiés.",
                nombre(b.lieux_publies as u64)
            );
        }
    }
    Ok(())
}

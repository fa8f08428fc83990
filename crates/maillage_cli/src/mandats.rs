//! `maillage journal …` (verify, seal) and `maillage mandats …` (habilitation, reminders).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use maillage_instance::Instance;
use maillage_store::mandats::verifier_journal_suivi;

#[derive(Subcommand)]
pub enum JournalCommande {
    /// Recalcule toute la chaîne et vérifie les sceaux ; nomme la première entrée rompue.
    /// Code de sortie 0 si le journal est intact, 2 sinon.
    Verify {
        /// Vérifie avec cette clé publique (PEM, celle de /.well-known/maillage-journal.pub)
        /// plutôt qu'avec la clé de l'instance.
        #[arg(long)]
        cle_publique: Option<PathBuf>,
    },
    /// Signe un sceau sur la dernière entrée (si des entrées ne sont pas encore scellées).
    Sceller,
    /// Affiche la clé publique du journal (PEM).
    ClePublique,
    /// État de la clé du journal (fichier, clé publique, accord avec les sceaux de la base) ;
    /// avec --creer, crée la clé d'une nouvelle instance (jamais si elle existe ou si la base
    /// a déjà des sceaux).
    Cle {
        /// Crée la clé (fichier absent, base sans sceau). À sauvegarder à part de la base et à
        /// copier sur chaque nœud.
        #[arg(long)]
        creer: bool,
    },
}

#[derive(Subcommand)]
pub enum MandatsCommande {
    /// Habilite un compte médiateur à signer et utiliser des mandats (au nom de l'administrateur).
    Habiliter {
        /// Adresse du compte à habiliter.
        email: String,
        /// Adresse du compte administrateur qui habilite.
        #[arg(long)]
        par: String,
    },
    /// Envoie (dans la boîte d'envoi) les rappels des mandats qui expirent bientôt.
    Rappels,
}

/// The Mandats module, with a key that signed the database's seals.
async fn mandats_verifies<'a>(
    instance: &'a Instance,
    chemin_cle: &Path,
) -> Result<&'a maillage_mandats::Mandats> {
    let Ok(mandats) = instance.mandats() else {
        let store = instance.store();
        let entrees = store.journal_head().await?.seq;
        let sceaux = store.sceaux().await?.len();
        if entrees == 0 && sceaux == 0 {
            bail!(
                "aucune clé du journal dans {} : créez-la avec « maillage journal cle --creer » (une seule fois par instance ; copiez ensuite ce fichier sur chaque nœud et sauvegardez-le à part de la base)",
                chemin_cle.display()
            );
        }
        bail!(
            "{}",
            maillage_mandats::cle::absente(&chemin_cle.display().to_string(), entrees, sceaux)
        );
    };
    mandats
        .controler_cle(&chemin_cle.display().to_string())
        .await?;
    Ok(mandats)
}

pub async fn journal(
    instance: &Instance,
    commande: JournalCommande,
    chemin_cle: &Path,
) -> Result<()> {
    let store = instance.store();
    match commande {
        JournalCommande::Verify { cle_publique } => {
            // Verification reads a public key; it never creates a key.
            let cle = match cle_publique {
                Some(chemin) => {
                    let pem = std::fs::read_to_string(&chemin)
                        .with_context(|| format!("lecture de {}", chemin.display()))?;
                    maillage_mandats::cle::lire_pem_publique(&pem).ok_or_else(|| {
                        anyhow!("{} : clé publique Ed25519 (PEM) attendue", chemin.display())
                    })?
                }
                None => match instance.mandats() {
                    Ok(m) => m.cle_publique(),
                    Err(_) => bail!(
                        "aucune clé du journal dans {} : indiquez la clé publique de l'instance avec --cle-publique FICHIER (celle de /.well-known/maillage-journal.pub), ou le fichier de clé avec --cle-journal",
                        chemin_cle.display()
                    ),
                },
            };
            let tete = store.journal_head().await?;
            let sceaux = store.sceaux().await?;
            let pb = ProgressBar::new(tete.seq.max(0) as u64);
            pb.set_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:40}] {pos}/{len} ({per_sec}, reste {eta})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            pb.set_message("Vérification du journal");
            let debut = Instant::now();
            let r = verifier_journal_suivi(store.as_ref(), sceaux, &cle, 20_000, |seq| {
                pb.set_position(seq.max(0) as u64)
            })
            .await?;
            pb.finish_and_clear();
            let duree = debut.elapsed().as_secs_f64();
            match &r.rupture {
                None => {
                    println!(
                        "Journal intact : {} entrées et {} sceaux vérifiés en {:.2} s ({:.0} entrées/s).",
                        r.entrees,
                        r.sceaux,
                        duree,
                        r.entrees as f64 / duree.max(1e-9),
                    );
                    println!("{}", maillage_mandats::resume_non_scellees(&r));
                    verifier_flux_pass(store.as_ref(), &cle).await
                }
                Some(rupture) => {
                    println!("JOURNAL ROMPU — {}", rupture.message());
                    println!(
                        "Chaîne intacte jusqu'à l'entrée n° {} ({} entrées lues, {} sceaux vérifiés).",
                        r.derniere, r.entrees, r.sceaux
                    );
                    std::process::exit(2);
                }
            }
        }
        JournalCommande::Sceller => {
            let mandats = mandats_verifies(instance, chemin_cle).await?;
            match mandats.sceller().await? {
                Some(s) => println!("Sceau signé sur l'entrée n° {}.", s.seq),
                None => println!("Rien à sceller : toutes les entrées le sont déjà."),
            }
            // The pass stream, with the same key (checked above against the seals).
            let cle = maillage_mandats::cle::charger(chemin_cle)
                .map_err(|e| anyhow!(e))?
                .ok_or_else(|| anyhow!("clé du journal absente : {}", chemin_cle.display()))?;
            match instance.pass().sceller_registre(&cle).await? {
                Some(s) => println!("Flux pass : sceau signé sur l'entrée n° {}.", s.seq),
                None => println!("Flux pass : rien à sceller."),
            }
            Ok(())
        }
        JournalCommande::ClePublique => {
            let mandats = instance.mandats().map_err(|_| {
                anyhow!(
                    "aucune clé du journal dans {} (voir « maillage journal cle »)",
                    chemin_cle.display()
                )
            })?;
            print!(
                "{}",
                maillage_mandats::cle::pem_publique(&mandats.cle_publique())
            );
            Ok(())
        }
        JournalCommande::Cle { creer } => {
            let entrees = store.journal_head().await?.seq;
            let sceaux = store.sceaux().await?;
            if creer {
                if chemin_cle.exists() {
                    bail!(
                        "la clé du journal {} existe déjà : elle n'est jamais remplacée",
                        chemin_cle.display()
                    );
                }
                if !sceaux.is_empty() {
                    bail!(
                        "la base contient déjà {} sceau(x) signés par la clé de l'instance : une nouvelle clé ne les vérifierait pas. Restaurez le fichier de clé depuis sa sauvegarde ou copiez-le depuis un autre nœud.",
                        sceaux.len()
                    );
                }
                let cle = maillage_mandats::cle::creer(chemin_cle).map_err(|e| anyhow!(e))?;
                println!(
                    "Clé du journal créée : {}\nSauvegardez ce fichier à part de la base (sans lui, les sceaux ne peuvent plus être prolongés) et copiez-le sur chaque nœud de l'instance.\nClé publique :\n{}",
                    chemin_cle.display(),
                    maillage_mandats::cle::pem_publique(&cle.verifying_key())
                );
                return Ok(());
            }
            match instance.mandats() {
                Err(_) => {
                    println!("Aucune clé du journal dans {}.", chemin_cle.display());
                    if entrees == 0 && sceaux.is_empty() {
                        println!("Base sans journal : créez la clé avec « maillage journal cle --creer ».");
                    } else {
                        println!(
                            "{}",
                            maillage_mandats::cle::absente(
                                &chemin_cle.display().to_string(),
                                entrees,
                                sceaux.len()
                            )
                        );
                        std::process::exit(2);
                    }
                }
                Ok(m) => {
                    println!("Clé du journal : {}", chemin_cle.display());
                    print!("{}", maillage_mandats::cle::pem_publique(&m.cle_publique()));
                    match maillage_mandats::cle::controler(
                        &m.cle_publique(),
                        &sceaux,
                        &chemin_cle.display().to_string(),
                    ) {
                        Ok(()) => println!(
                            "Elle correspond aux {} sceau(x) de la base ({} entrée(s) au journal).",
                            sceaux.len(),
                            entrees
                        ),
                        Err(e) => {
                            println!("ATTENTION : {e}");
                            std::process::exit(2);
                        }
                    }
                }
            }
            Ok(())
        }
    }
}

pub async fn mandats(
    instance: &Instance,
    commande: MandatsCommande,
    chemin_cle: &Path,
) -> Result<()> {
    match commande {
        MandatsCommande::Habiliter { email, par } => {
            // A habilitation writes no journal entry and signs nothing: it works before the
            // instance's key exists (a key made here is never saved nor used to sign).
            let sans_cle;
            let mandats = match instance.mandats() {
                Ok(m) => m,
                Err(_) => {
                    let store = instance.store();
                    sans_cle = maillage_mandats::Mandats::new(
                        store.clone(),
                        instance.comptes().clone(),
                        maillage_mandats::cle::nouvelle().map_err(|e| anyhow!(e))?,
                    );
                    &sans_cle
                }
            };
            let c = mandats.comptes();
            let admin = c
                .compte_par_email(&par)
                .await?
                .ok_or_else(|| anyhow!("aucun compte {par}"))?;
            let acteur = c.acteur_de_confiance(admin.id).await?;
            let compte = c
                .compte_par_email(&email)
                .await?
                .ok_or_else(|| anyhow!("aucun compte {email}"))?;
            mandats.habiliter(&acteur, compte.id).await?;
            println!(
                "{} ({email}) est habilité·e à signer des mandats.",
                compte.nom
            );
        }
        MandatsCommande::Rappels => {
            let mandats = mandats_verifies(instance, chemin_cle).await?;
            let n = mandats.rappels_expiration().await?;
            println!("{n} rappel(s) d'expiration mis dans la boîte d'envoi.");
        }
    }
    Ok(())
}

/// The pass stream of the journal (Pass numérique): the same chain, recomputed entry by
/// entry; exits with status 2 when broken.
async fn verifier_flux_pass(
    store: &dyn maillage_store::Store,
    cle: &maillage_domain::mandats::VerifyingKey,
) -> Result<()> {
    let chainees = store.chainer_registre().await?;
    if chainees > 0 {
        println!("{chainees} entrée(s) du flux pass en attente chaînée(s) avant la vérification.");
    }
    let debut = Instant::now();
    let r = maillage_pass::verifier_flux_pass(store, cle, 20_000).await?;
    let duree = debut.elapsed().as_secs_f64();
    match &r.rupture {
        None => {
            println!(
                "Flux pass du journal intact : {} entrées et {} sceaux vérifiés en {:.2} s ({:.0} entrées/s) ; {} entrée(s) après le dernier sceau.",
                r.entrees,
                r.sceaux,
                duree,
                r.entrees as f64 / duree.max(1e-9),
                r.non_scellees
            );
            Ok(())
        }
        Some(rupture) => {
            println!("FLUX PASS DU JOURNAL ROMPU — {}", rupture.message());
            println!(
                "Chaîne intacte jusqu'à l'entrée n° {} ({} entrées lues).",
                r.derniere, r.entrees
            );
            std::process::exit(2);
        }
    }
}

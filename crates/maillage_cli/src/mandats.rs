//! `maillage journal …` (verify, seal) and `maillage mandats …` (habilitation, reminders).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, Context, Result};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use maillage_app::annuaire::Annuaire;
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

pub async fn journal(annuaire: &Annuaire, commande: JournalCommande) -> Result<()> {
    let mandats = annuaire.mandats()?;
    match commande {
        JournalCommande::Verify { cle_publique } => {
            let cle = match cle_publique {
                Some(chemin) => {
                    let pem = std::fs::read_to_string(&chemin)
                        .with_context(|| format!("lecture de {}", chemin.display()))?;
                    maillage_app::mandats::cle::lire_pem_publique(&pem).ok_or_else(|| {
                        anyhow!("{} : clé publique Ed25519 (PEM) attendue", chemin.display())
                    })?
                }
                None => mandats.cle_publique(),
            };
            let store = mandats.store();
            let tete = store.tete_journal().await?;
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
                        "Journal intact : {} entrées et {} sceaux vérifiés en {:.2} s ({:.0} entrées/s) ; {} entrée(s) pas encore scellée(s).",
                        r.entrees,
                        r.sceaux,
                        duree,
                        r.entrees as f64 / duree.max(1e-9),
                        r.non_scellees
                    );
                    Ok(())
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
            match mandats.sceller().await? {
                Some(s) => println!("Sceau signé sur l'entrée n° {}.", s.seq),
                None => println!("Rien à sceller : toutes les entrées le sont déjà."),
            }
            Ok(())
        }
        JournalCommande::ClePublique => {
            print!(
                "{}",
                maillage_app::mandats::cle::pem_publique(&mandats.cle_publique())
            );
            Ok(())
        }
    }
}

pub async fn mandats(annuaire: &Annuaire, commande: MandatsCommande) -> Result<()> {
    let mandats = annuaire.mandats()?;
    let m = mandats.mediation();
    match commande {
        MandatsCommande::Habiliter { email, par } => {
            let admin = m
                .store()
                .compte_par_email(&par.to_lowercase())
                .await?
                .ok_or_else(|| anyhow!("aucun compte {par}"))?;
            let acteur = m.acteur_de_confiance(admin.id).await?;
            let compte = m
                .store()
                .compte_par_email(&email.to_lowercase())
                .await?
                .ok_or_else(|| anyhow!("aucun compte {email}"))?;
            mandats.habiliter(&acteur, compte.id).await?;
            println!(
                "{} ({email}) est habilité·e à signer des mandats.",
                compte.nom
            );
        }
        MandatsCommande::Rappels => {
            let n = mandats.rappels_expiration().await?;
            println!("{n} rappel(s) d'expiration mis dans la boîte d'envoi.");
        }
    }
    Ok(())
}

//! `maillage evenements …`: importing an event and its programme from a JSON file whose
//! shape is that of `GET /api/v1/evenements/{id}`.

use std::path::PathBuf;

use anyhow::{anyhow, Context, Result};
use clap::Subcommand;
use maillage_instance::Instance;

#[derive(Subcommand)]
pub enum EvenementsCommande {
    /// Importe un événement et son programme depuis un fichier JSON, de la forme de
    /// GET /api/v1/evenements/{id} (titre, type, commune, adresse, debut, fin, sessions[] :
    /// titre, type, debut, fin, capacite). Une seule transaction : tout ou rien.
    Importer { fichier: PathBuf },
    /// Lance les tâches des événements (faites aussi toutes les 5 minutes par `serve`) :
    /// les places proposées dont le délai est passé vont à la personne suivante de la liste
    /// d'attente, rappels la veille et messages après (boîte d'envoi). Sans danger à relancer.
    Taches,
}

pub async fn evenements(instance: &Instance, commande: EvenementsCommande) -> Result<()> {
    match commande {
        EvenementsCommande::Taches => {
            let b = instance
                .evenements()
                .taches()
                .await
                .map_err(|e| anyhow!("{e}"))?;
            println!(
                "Places proposées expirées : {} ; nouvelles propositions : {} ; rappels de la veille : {} ; messages après : {}.",
                b.offres.expirees.len(),
                b.offres.offertes.len(),
                b.rappels,
                b.messages_apres
            );
        }
        EvenementsCommande::Importer { fichier } => {
            let texte = std::fs::read_to_string(&fichier)
                .with_context(|| format!("lecture de {}", fichier.display()))?;
            let module = instance.evenements();
            let operateur = instance.comptes().exploitant();
            let cree = module
                .importer(&operateur, &texte)
                .await
                .map_err(|e| anyhow!("{} : {e}", fichier.display()))?;
            let d = module.detail(cree.id).await.ok();
            println!("Événement créé : n° {}", cree.id);
            for (id, titre) in cree.sessions.iter().map(|id| {
                let titre = d
                    .as_ref()
                    .and_then(|d| d.sessions.iter().find(|s| s.id == *id))
                    .map(|s| s.titre.clone())
                    .unwrap_or_default();
                (id, titre)
            }) {
                println!("  session n° {id} : {titre}");
            }
            if let Some(d) = d {
                let places: i64 = d.sessions.iter().map(|s| s.capacite).sum();
                println!(
                    "« {} » : {} session{}, {} place{} en tout ; page publique /evenements/{}.",
                    d.evenement.titre,
                    d.sessions.len(),
                    if d.sessions.len() > 1 { "s" } else { "" },
                    places,
                    if places > 1 { "s" } else { "" },
                    cree.id
                );
            }
        }
    }
    Ok(())
}

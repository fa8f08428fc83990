//! `maillage competences …`: recalibrating the item bank from the anonymised answers
//! stored.

use anyhow::{anyhow, Result};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use maillage_instance::Instance;

#[derive(Subcommand)]
pub enum CompetencesCommande {
    /// Réestime la difficulté des questions à partir des réponses anonymes enregistrées
    /// (maximum de vraisemblance marginale, EM), écrit une nouvelle version d'étalonnage
    /// et en fait la version des nouvelles évaluations. Les résultats déjà enregistrés
    /// gardent leur version et leurs estimations.
    Calibrer,
}

pub async fn competences(instance: &Instance, commande: CompetencesCommande) -> Result<()> {
    match commande {
        CompetencesCommande::Calibrer => {
            let module = instance.competences();
            let avant = module
                .banque()
                .await
                .map_err(|e| anyhow!("{e}"))?
                .version_courante();
            let pb = ProgressBar::new(0);
            pb.set_style(
                ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} réponses")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            pb.set_message("Lecture des réponses anonymes");
            let suivi = |fait: u64, total: u64| {
                pb.set_length(total);
                pb.set_position(fait);
            };
            let bilan = module.calibrer(&suivi).await;
            pb.finish_and_clear();
            let bilan = bilan.map_err(|e| anyhow!("{e}"))?;
            println!(
                "Étalonnage {} écrit (à partir de la version {avant}) : {} passation{}, {} réponse{}, {} question{} réestimée{} en {} tours.",
                bilan.calibration.version,
                bilan.passations,
                if bilan.passations > 1 { "s" } else { "" },
                bilan.reponses,
                if bilan.reponses > 1 { "s" } else { "" },
                bilan.items_reestimes,
                if bilan.items_reestimes > 1 { "s" } else { "" },
                if bilan.items_reestimes > 1 { "s" } else { "" },
                bilan.tours,
            );
            if bilan.items_reestimes == 0 {
                println!(
                    "Aucune question n'a assez de réponses ({} au moins) : les difficultés restent celles de la version {avant}.",
                    maillage_competences::calibration::REPONSES_MIN
                );
            }
            println!(
                "Les nouvelles évaluations utilisent la version {} ; les résultats enregistrés gardent la leur.",
                bilan.calibration.version
            );
        }
    }
    Ok(())
}

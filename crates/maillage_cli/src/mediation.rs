//! `maillage mediation …`: first administrator, structures and places of activity,
//! territories of coordinators, daily jobs, Coop CSV import.

use anyhow::{anyhow, Context, Result};
use clap::Subcommand;
use maillage_app::annuaire::Annuaire;
use maillage_app::mediation::stockage::AffectationRow;

#[derive(Subcommand)]
pub enum MediationCommande {
    /// Invite le premier administrateur (affiche le lien d'invitation).
    Administrateur {
        email: String,
        /// Adresse publique du serveur, pour le lien (par défaut http://127.0.0.1:8080).
        #[arg(
            long,
            env = "MAILLAGE_ADRESSE_PUBLIQUE",
            default_value = "http://127.0.0.1:8080"
        )]
        adresse: String,
    },
    /// Crée une structure employeuse.
    Structure {
        nom: String,
        #[arg(long)]
        siret: Option<String>,
        /// Code INSEE de la commune du siège.
        #[arg(long)]
        commune: Option<String>,
    },
    /// Ajoute un lieu d'activité à une structure (lié à un lieu de l'annuaire si connu).
    Lieu {
        #[arg(long)]
        structure: i64,
        nom: String,
        /// Code INSEE de la commune.
        #[arg(long)]
        commune: String,
        /// Identifiant du lieu dans l'annuaire publié.
        #[arg(long)]
        lieu: Option<String>,
    },
    /// Affecte un médiateur à un lieu d'activité à partir d'une date.
    Affecter {
        email: String,
        #[arg(long)]
        lieu: i64,
        /// AAAA-MM-JJ (par défaut aujourd'hui).
        #[arg(long)]
        debut: Option<chrono::NaiveDate>,
    },
    /// Confie un territoire (dep:31, reg:76…) à un coordinateur.
    Territoire { email: String, territoire: String },
    /// Lance les tâches quotidiennes : purge des bénéficiaires inactifs, comptes dormants.
    Taches,
    /// Importe l'historique d'activités d'un médiateur (CSV exporté de La Coop).
    ImporterCoop {
        /// Adresse du compte du médiateur.
        email: String,
        fichier: std::path::PathBuf,
    },
}

pub async fn mediation(annuaire: &Annuaire, commande: MediationCommande) -> Result<()> {
    let m = annuaire.mediation().map_err(|e| anyhow!("{e}"))?;
    let s = m.store();
    let compte = |email: String| async move {
        s.compte_par_email(&email.trim().to_lowercase())
            .await?
            .ok_or_else(|| anyhow!("aucun compte pour {email}"))
    };
    match commande {
        MediationCommande::Administrateur { email, adresse } => {
            let mut reglages = m.reglages().clone();
            reglages.adresse_publique = adresse;
            let m = m.clone().avec_reglages(reglages);
            let lien = m
                .inviter_administrateur(&email)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            println!("Invitation de l'administrateur {email} (valable 7 jours) :\n{lien}");
        }
        MediationCommande::Structure {
            nom,
            siret,
            commune,
        } => {
            let id = s
                .create_structure(&nom, siret.as_deref(), commune.as_deref())
                .await?;
            println!("Structure « {nom} » créée : nº {id}.");
        }
        MediationCommande::Lieu {
            structure,
            nom,
            commune,
            lieu,
        } => {
            if m.referentiel().commune(&commune).is_none() {
                return Err(anyhow!("commune inconnue : {commune} (code INSEE attendu)"));
            }
            let id = s
                .create_lieu_activite(structure, &nom, lieu.as_deref(), &commune)
                .await?;
            println!("Lieu d'activité « {nom} » créé : nº {id}.");
        }
        MediationCommande::Affecter { email, lieu, debut } => {
            let c = compte(email.clone()).await?;
            s.add_affectation(&AffectationRow {
                compte_id: c.id,
                lieu_activite_id: lieu,
                debut: debut.unwrap_or_else(|| m.aujourdhui()),
                fin: None,
            })
            .await?;
            println!("{email} travaille désormais au lieu d'activité nº {lieu}.");
        }
        MediationCommande::Territoire { email, territoire } => {
            let c = compte(email.clone()).await?;
            let t = m
                .referentiel()
                .territoire(&territoire)
                .map_err(|e| anyhow!("{e}"))?;
            s.add_territoire_coordonne(c.id, &maillage_app::mediation::acces::code_territoire(&t))
                .await?;
            println!("{email} coordonne désormais {}.", t.nom());
        }
        MediationCommande::Taches => {
            let (purges, desactives) = m.taches_quotidiennes().await.map_err(|e| anyhow!("{e}"))?;
            println!("Tâches quotidiennes : {purges} fiches de bénéficiaires anonymisées, {desactives} comptes dormants désactivés.");
        }
        MediationCommande::ImporterCoop { email, fichier } => {
            let c = compte(email).await?;
            let acteur = m
                .acteur_de_confiance(c.id)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            let contenu = std::fs::read(&fichier)
                .with_context(|| format!("lecture de {}", fichier.display()))?;
            let pb = crate::spinner("Import de l'historique");
            let r = m
                .importer_coop(&acteur, &contenu)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            pb.finish_and_clear();
            for l in &r.refusees {
                println!("  ligne {} — {} : {}", l.ligne, l.colonne, l.message);
            }
            println!("{}", r.resume());
            if !r.refusees.is_empty() {
                return Err(anyhow!("import refusé"));
            }
        }
    }
    Ok(())
}

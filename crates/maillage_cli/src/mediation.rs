//! `maillage mediation …`: first administrator, invitations, structures and their members,
//! places of activity, territories of coordinators, daily jobs, Coop CSV import.

use anyhow::{anyhow, Context, Result};
use clap::Subcommand;
use maillage_domain::{LieuActiviteId, StructureId};
use maillage_instance::Instance;

#[derive(Subcommand)]
pub enum MediationCommande {
    /// Invite le premier administrateur (affiche le lien d'invitation).
    Administrateur {
        email: String,
        /// Adresse publique du serveur, pour le lien (par défaut celle où `maillage serve`
        /// écoute : MAILLAGE_LISTEN, sinon http://127.0.0.1:8080).
        #[arg(long, env = "MAILLAGE_ADRESSE_PUBLIQUE")]
        adresse: Option<String>,
    },
    /// Invite une personne dans une structure (affiche le lien d'invitation).
    Inviter {
        email: String,
        /// mediateur, coordinateur ou administrateur.
        #[arg(long, default_value = "mediateur")]
        role: String,
        /// Numéro de la structure (voir `maillage mediation structures`).
        #[arg(long)]
        structure: Option<StructureId>,
        /// Adresse du compte administrateur ou coordinateur qui invite.
        #[arg(long)]
        par: String,
        /// Adresse publique du serveur, pour le lien (comme pour `administrateur`).
        #[arg(long, env = "MAILLAGE_ADRESSE_PUBLIQUE")]
        adresse: Option<String>,
    },
    /// Rattache un compte existant à une structure à partir d'une date.
    Rattacher {
        email: String,
        #[arg(long)]
        structure: StructureId,
        /// AAAA-MM-JJ (par défaut aujourd'hui).
        #[arg(long)]
        debut: Option<chrono::NaiveDate>,
        /// Adresse du compte administrateur ou coordinateur qui rattache.
        #[arg(long)]
        par: String,
    },
    /// Détache un compte d'une structure (dernier jour inclus).
    Detacher {
        email: String,
        #[arg(long)]
        structure: StructureId,
        /// Dernier jour dans la structure, AAAA-MM-JJ (par défaut aujourd'hui).
        #[arg(long)]
        fin: Option<chrono::NaiveDate>,
        /// Adresse du compte administrateur ou coordinateur qui détache.
        #[arg(long)]
        par: String,
    },
    /// Liste les structures, leurs lieux d'activité et leurs membres.
    Structures,
    /// Crée une structure employeuse.
    Structure {
        nom: String,
        #[arg(long)]
        siret: Option<String>,
        /// Commune du siège : nom (« Muret », « Saint-Gaudens (31800) ») ou code INSEE.
        #[arg(long)]
        commune: Option<String>,
    },
    /// Ajoute un lieu d'activité à une structure (lié à un lieu de l'annuaire si connu).
    Lieu {
        #[arg(long)]
        structure: StructureId,
        nom: String,
        /// Commune : nom (« Muret », « Saint-Gaudens (31800) ») ou code INSEE.
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
        lieu: LieuActiviteId,
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

pub async fn mediation(instance: &Instance, commande: MediationCommande) -> Result<()> {
    let m = instance.mediation();
    let c = instance.comptes();
    let compte = |email: String| async move {
        c.compte_par_email(&email)
            .await
            .map_err(|e| anyhow!("{e}"))?
            .ok_or_else(|| anyhow!("aucun compte pour {email}"))
    };
    // The operator at the command line acts as an administrator.
    let exploitant = c.exploitant();
    match commande {
        MediationCommande::Administrateur { email, adresse } => {
            let mut reglages = c.reglages().clone();
            reglages.adresse_publique = adresse.unwrap_or_else(adresse_d_ecoute);
            let c = c.clone().avec_reglages(reglages);
            let lien = c
                .inviter_administrateur(&email)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            println!("Invitation de l'administrateur {email} (valable 7 jours) :\n{lien}");
        }
        MediationCommande::Inviter {
            email,
            role,
            structure,
            par,
            adresse,
        } => {
            use maillage_domain::mediation::{Referentiel, Role};
            let role = Role::depuis_code(&role).ok_or_else(|| {
                anyhow!("rôle inconnu : {role} (mediateur, coordinateur ou administrateur)")
            })?;
            let mut reglages = c.reglages().clone();
            reglages.adresse_publique = adresse.unwrap_or_else(adresse_d_ecoute);
            let acteur = c
                .acteur_de_confiance(compte(par).await?.id)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            let c = c.clone().avec_reglages(reglages);
            let lien = c
                .inviter(&acteur, &email, role, structure)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            println!(
                "Invitation de {email} ({}) enregistrée, valable 7 jours :\n{lien}",
                role.libelle()
            );
        }
        MediationCommande::Rattacher {
            email,
            structure,
            debut,
            par,
        } => {
            let acteur = c
                .acteur_de_confiance(compte(par).await?.id)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            let debut = debut.unwrap_or_else(|| m.aujourdhui());
            let membre = c
                .rattacher(&acteur, &email, structure, debut)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            println!(
                "{} ({email}) fait partie de la structure nº {structure} à partir du {}.",
                membre.nom,
                debut.format("%d/%m/%Y")
            );
        }
        MediationCommande::Detacher {
            email,
            structure,
            fin,
            par,
        } => {
            let acteur = c
                .acteur_de_confiance(compte(par).await?.id)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            let fin = fin.unwrap_or_else(|| m.aujourdhui());
            let membre = c
                .detacher(&acteur, &email, structure, fin)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            println!(
                "{} ({email}) ne fait plus partie de la structure nº {structure} après le {}.",
                membre.nom,
                fin.format("%d/%m/%Y")
            );
        }
        MediationCommande::Structures => {
            let lieux = c.lieux_activite(None).await.map_err(|e| anyhow!("{e}"))?;
            for st in c
                .toutes_les_structures()
                .await
                .map_err(|e| anyhow!("{e}"))?
            {
                println!("nº {} — {}", st.id, st.nom);
                for l in lieux.iter().filter(|l| l.structure_id == st.id) {
                    println!("  lieu nº {} : {}", l.id, l.nom);
                }
                let membres = c
                    .membres_de_structure(&exploitant, StructureId::new(st.id))
                    .await
                    .map_err(|e| anyhow!("{e}"))?;
                for r in membres {
                    println!(
                        "  {} <{}> ({}) depuis le {}{}",
                        r.compte.nom,
                        r.compte.email,
                        r.compte.role,
                        r.debut.format("%d/%m/%Y"),
                        match r.fin {
                            Some(f) => format!(" jusqu'au {}", f.format("%d/%m/%Y")),
                            None => String::new(),
                        }
                    );
                }
            }
        }
        MediationCommande::Structure {
            nom,
            siret,
            commune,
        } => {
            let id = c
                .creer_structure(&exploitant, &nom, siret.as_deref(), commune.as_deref())
                .await
                .map_err(|e| anyhow!("{e}"))?;
            println!("Structure « {nom} » créée : nº {id}.");
        }
        MediationCommande::Lieu {
            structure,
            nom,
            commune,
            lieu,
        } => {
            let id = c
                .creer_lieu_activite(&exploitant, structure, &nom, &commune, lieu.as_deref())
                .await
                .map_err(|e| anyhow!("{e}"))?;
            println!("Lieu d'activité « {nom} » créé : nº {id}.");
        }
        MediationCommande::Affecter { email, lieu, debut } => {
            c.affecter(
                &exploitant,
                &email,
                lieu,
                debut.unwrap_or_else(|| m.aujourdhui()),
            )
            .await
            .map_err(|e| anyhow!("{e}"))?;
            println!("{email} travaille désormais au lieu d'activité nº {lieu}.");
        }
        MediationCommande::Territoire { email, territoire } => {
            let coordinateur = compte(email.clone()).await?;
            let t = m
                .referentiel()
                .territoire(&territoire)
                .map_err(|e| anyhow!("{e}"))?;
            c.confier_territoire(&exploitant, coordinateur.id, &territoire)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            println!("{email} coordonne désormais {}.", t.nom());
        }
        MediationCommande::Taches => {
            let (purges, desactives) = m.taches_quotidiennes().await.map_err(|e| anyhow!("{e}"))?;
            println!("Tâches quotidiennes : {purges} fiches de bénéficiaires anonymisées, {desactives} comptes dormants désactivés.");
        }
        MediationCommande::ImporterCoop { email, fichier } => {
            let mediateur = compte(email).await?;
            let acteur = c
                .acteur_de_confiance(mediateur.id)
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

/// The address `maillage serve` listens on, for links printed here: `MAILLAGE_LISTEN` (the
/// same variable as `serve --listen`), an unspecified address (`0.0.0.0`) given as this
/// machine's loopback; else `serve`'s default.
pub fn adresse_d_ecoute() -> String {
    match std::env::var("MAILLAGE_LISTEN")
        .ok()
        .and_then(|l| l.trim().parse::<std::net::SocketAddr>().ok())
    {
        Some(a) if a.ip().is_unspecified() => format!("http://127.0.0.1:{}", a.port()),
        Some(a) => format!("http://{a}"),
        None => "http://127.0.0.1:8080".into(),
    }
}

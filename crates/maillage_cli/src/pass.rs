//! `maillage pass …`: every funder and prescriber action of Pass numérique, so that a
//! territory can script a programme (create it, qualify places, add prescribers, issue and
//! print carnets, distribute, create and revoke place API keys, monthly statements, the end
//! of validity, the incidents of forced redemptions).

use std::path::PathBuf;

use anyhow::{anyhow, Context, Result};
use chrono::NaiveDate;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use maillage_instance::Instance;
use maillage_pass::{code, euros, lire_euros, Beneficiaire, DemandeProgramme};

#[derive(Subcommand)]
pub enum PassCommande {
    /// Crée un programme de pass d'un financeur (sa structure) sur un territoire.
    Programme {
        /// Numéro de la structure qui finance.
        #[arg(long)]
        financeur: i64,
        #[arg(long)]
        nom: String,
        /// Budget en euros (« 10000 », « 10 000,50 »).
        #[arg(long)]
        budget: String,
        /// Valeur d'un pass en euros.
        #[arg(long, default_value = "10")]
        valeur: String,
        /// Fin de validité (AAAA-MM-JJ).
        #[arg(long)]
        fin: NaiveDate,
        /// Dernier jour de tolérance (AAAA-MM-JJ ; par défaut la fin de validité).
        #[arg(long)]
        tolerance: Option<NaiveDate>,
        /// dep:31, epci:…, commune:…, reg:…
        #[arg(long)]
        territoire: String,
        /// Publics visés, séparés par des virgules.
        #[arg(long, default_value = "")]
        publics: String,
    },
    /// Qualifie un lieu (une structure avec un SIRET valide) pour un programme.
    Qualifier {
        #[arg(long)]
        programme: i64,
        #[arg(long)]
        structure: i64,
    },
    /// Autorise une structure à distribuer les pass d'un programme.
    Prescripteur {
        #[arg(long)]
        programme: i64,
        #[arg(long)]
        structure: i64,
    },
    /// Émet un carnet : affiche les codes, et écrit la planche à imprimer (un code QR par pass).
    Carnet {
        #[arg(long)]
        programme: i64,
        #[arg(long, default_value_t = 10)]
        nombre: usize,
        /// Planche PDF à écrire.
        #[arg(long)]
        pdf: Option<PathBuf>,
        /// Adresse publique du site (pour les codes QR).
        #[arg(
            long,
            env = "MAILLAGE_URL_PUBLIQUE",
            default_value = "http://127.0.0.1:8080"
        )]
        url: String,
    },
    /// Remet un pass à une personne (pseudonyme : commune, tranche d'âge, statut).
    Distribuer {
        /// Numéro de la structure prescriptrice.
        #[arg(long)]
        prescripteur: i64,
        #[arg(long)]
        code: String,
        /// Code INSEE de la commune de la personne.
        #[arg(long)]
        commune: String,
        /// -18, 18-24, 25-39, 40-59, 60-69, 70+
        #[arg(long)]
        tranche_age: String,
        /// emploi, sans_emploi, retraite, etudiant, non_communique
        #[arg(long, default_value = "non_communique")]
        statut: String,
    },
    /// Crée la clé d'API d'un lieu (affichée une seule fois).
    Cle {
        #[arg(long)]
        structure: i64,
        #[arg(long, default_value = "Logiciel du lieu")]
        nom: String,
        #[arg(long, default_value_t = 365)]
        jours: i64,
    },
    /// Révoque une clé d'API.
    RevoquerCle { id: i64 },
    /// Bloque (ou annule avec --annuler) un pass pas encore utilisé.
    Bloquer {
        code: String,
        #[arg(long)]
        annuler: bool,
    },
    /// Relevé mensuel d'un lieu : les pass utilisés dans le mois, le total, l'empreinte du registre.
    Releve {
        #[arg(long)]
        structure: i64,
        /// AAAA-MM
        #[arg(long)]
        mois: String,
        #[arg(long)]
        csv: Option<PathBuf>,
        #[arg(long)]
        pdf: Option<PathBuf>,
    },
    /// Vérifie un pass (comme la page publique).
    Verifier { code: String },
    /// Tâche quotidienne de fin de validité : alerte J−30, puis après la date de tolérance
    /// expiration des pass non utilisés et avoir (le blocage J−15 attend le financeur).
    FinDeValidite,
    /// Valide le blocage J−15 des pass jamais remis d'un programme (décision du financeur).
    ValiderBlocage {
        #[arg(long)]
        programme: i64,
    },
    /// Liste les incidents des utilisations forcées (hors ligne) d'un programme.
    Incidents {
        #[arg(long)]
        programme: i64,
    },
    /// Tranche l'incident d'une utilisation forcée : --accepter (payée) ou --refuser.
    Trancher {
        id: i64,
        #[arg(long)]
        programme: i64,
        #[arg(long, conflicts_with = "refuser", required_unless_present = "refuser")]
        accepter: bool,
        #[arg(long)]
        refuser: bool,
        #[arg(long)]
        commentaire: Option<String>,
    },
    /// Chaîne au registre les entrées en attente (utilisations qui n'ont pas trouvé le verrou
    /// du registre libre ; « maillage serve » le fait chaque seconde).
    Chainer,
}

fn ecrire(chemin: &PathBuf, octets: &[u8]) -> Result<()> {
    std::fs::write(chemin, octets).with_context(|| format!("écriture de {}", chemin.display()))
}

pub async fn pass(instance: &Instance, commande: PassCommande) -> Result<()> {
    let module = instance.pass();
    let op = instance.comptes().exploitant();
    match commande {
        PassCommande::Programme {
            financeur,
            nom,
            budget,
            valeur,
            fin,
            tolerance,
            territoire,
            publics,
        } => {
            let d = DemandeProgramme {
                financeur_structure_id: financeur,
                nom,
                budget_centimes: lire_euros("budget", &budget)?,
                valeur_centimes: lire_euros("valeur", &valeur)?,
                fin_validite: fin,
                tolerance: tolerance.unwrap_or(fin),
                territoire,
                publics: publics
                    .split(',')
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty())
                    .collect(),
            };
            let (budget, valeur) = (d.budget_centimes, d.valeur_centimes);
            let id = module.creer_programme(&op, d).await?;
            println!(
                "Programme n° {id} créé : {} de budget, pass de {}, soit {} pass au plus.",
                euros(budget),
                euros(valeur),
                budget / valeur
            );
        }
        PassCommande::Qualifier {
            programme,
            structure,
        } => {
            let l = module.qualifier_lieu(&op, programme, structure).await?;
            println!(
                "Lieu qualifié : structure n° {structure} (SIRET {}, commune {}) pour le programme n° {programme}.",
                l.siret, l.commune
            );
        }
        PassCommande::Prescripteur {
            programme,
            structure,
        } => {
            module
                .ajouter_prescripteur(&op, programme, structure)
                .await?;
            println!(
                "La structure n° {structure} peut distribuer les pass du programme n° {programme}."
            );
        }
        PassCommande::Carnet {
            programme,
            nombre,
            pdf,
            url,
        } => {
            let pb = ProgressBar::new_spinner();
            pb.set_style(ProgressStyle::default_spinner());
            pb.set_message(format!("Émission de {nombre} pass"));
            let (carnet, codes) = module.emettre_carnet(&op, programme, nombre).await?;
            pb.finish_and_clear();
            let p = module.programme(programme).await?;
            for c in &codes {
                println!("{}", code::afficher(c));
            }
            if let Some(chemin) = pdf {
                let base = url.trim_end_matches('/');
                let passes: Vec<_> = codes
                    .iter()
                    .map(|c| maillage_web::pdf::PassImprime {
                        code: code::afficher(c),
                        url: format!("{base}/pass/{c}"),
                    })
                    .collect();
                let octets = maillage_web::pdf::carnet_pass(
                    &p.nom,
                    carnet,
                    &euros(p.valeur_centimes),
                    &p.tolerance.format("%d/%m/%Y").to_string(),
                    &passes,
                );
                ecrire(&chemin, &octets)?;
                eprintln!("Planche écrite : {}", chemin.display());
            }
            eprintln!(
                "Carnet n° {carnet} émis : {} pass de {} (programme « {} »).",
                codes.len(),
                euros(p.valeur_centimes),
                p.nom
            );
        }
        PassCommande::Distribuer {
            prescripteur,
            code,
            commune,
            tranche_age,
            statut,
        } => {
            let p = module
                .distribuer(
                    &op,
                    prescripteur,
                    &code,
                    Beneficiaire {
                        commune,
                        tranche_age,
                        statut,
                        personne_id: None,
                    },
                )
                .await?;
            println!("Pass {} remis à la personne.", code::afficher(&p.code));
        }
        PassCommande::Cle {
            structure,
            nom,
            jours,
        } => {
            let c = module.creer_cle_api(&op, structure, &nom, jours).await?;
            println!("{}", c.cle);
            eprintln!(
                "Clé d'API n° {} créée pour la structure n° {structure}, valable {jours} jours. Elle ne sera plus affichée : gardez-la en lieu sûr.",
                c.id
            );
        }
        PassCommande::RevoquerCle { id } => {
            if module.revoquer_cle_api(&op, id).await? {
                println!("Clé n° {id} révoquée.");
            } else {
                println!("Clé n° {id} inconnue ou déjà révoquée : rien n'a changé.");
            }
        }
        PassCommande::Bloquer { code, annuler } => {
            let p = module.bloquer_ou_annuler(&op, &code, annuler).await?;
            println!(
                "Pass {} : {}.",
                code::afficher(&p.code),
                maillage_pass::libelle_etat(&p.etat)
            );
        }
        PassCommande::Releve {
            structure,
            mois,
            csv,
            pdf,
        } => {
            let (a, m) = mois
                .split_once('-')
                .and_then(|(a, m)| Some((a.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
                .ok_or_else(|| anyhow!("--mois : AAAA-MM attendu (ici « {mois} »)"))?;
            let r = module.releve(&op, structure, a, m).await?;
            if let Some(chemin) = &csv {
                ecrire(chemin, r.csv().as_bytes())?;
                eprintln!("CSV écrit : {}", chemin.display());
            }
            if let Some(chemin) = &pdf {
                ecrire(chemin, &maillage_web::pdf::releve_pass(&r.lignes_texte()))?;
                eprintln!("PDF écrit : {}", chemin.display());
            }
            for l in r.lignes_texte() {
                println!("{l}");
            }
        }
        PassCommande::FinDeValidite => {
            let faites = module.tache_fin_de_validite(&op).await?;
            if faites.is_empty() {
                println!("Rien à faire aujourd'hui.");
            }
            for e in faites {
                println!(
                    "Programme n° {} : {} — {} pass ({}).",
                    e.programme_id,
                    maillage_pass::fin::libelle_etape(&e.etape),
                    e.nombre,
                    euros(e.montant_centimes)
                );
            }
        }
        PassCommande::ValiderBlocage { programme } => {
            let e = module.valider_blocage(&op, programme).await?;
            println!(
                "Programme n° {programme} : {} pass jamais remis bloqués ({}).",
                e.nombre,
                euros(e.montant_centimes)
            );
        }
        PassCommande::Incidents { programme } => {
            let liste = module.incidents(&op, programme).await?;
            if liste.is_empty() {
                println!("Aucun incident.");
            }
            for i in liste {
                println!(
                    "Incident n° {} — pass {} ({}), lieu n° {} — {} — {}",
                    i.id,
                    code::afficher(&i.code),
                    euros(i.valeur_centimes),
                    i.structure_id,
                    i.motif,
                    maillage_pass::fin::libelle_decision(i.decision.as_deref())
                );
            }
        }
        PassCommande::Trancher {
            id,
            programme,
            accepter,
            refuser: _,
            commentaire,
        } => {
            let i = module
                .decider_incident(&op, programme, id, accepter, commentaire.as_deref())
                .await?;
            println!(
                "Incident n° {} : utilisation {}.",
                i.id,
                maillage_pass::fin::libelle_decision(i.decision.as_deref())
            );
        }
        PassCommande::Chainer => {
            let n = module.chainer_registre().await?;
            println!("{n} entrée(s) chaînée(s) au registre.");
        }
        PassCommande::Verifier { code } => {
            let v = module.verifier_public(&code).await?;
            println!(
                "Pass {} : {} — {} — programme « {} », valable jusqu'au {}.",
                v.code,
                v.explication,
                euros(v.valeur_centimes),
                v.programme,
                v.tolerance.format("%d/%m/%Y")
            );
        }
    }
    Ok(())
}

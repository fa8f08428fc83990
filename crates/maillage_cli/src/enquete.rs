//! `maillage enquete …`: create a survey campaign (targets drawn from the fragility index),
//! add its surveyors and its visit list, read its results.

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::Subcommand;
use maillage_enquete::DemandeCampagne;
use maillage_instance::Instance;

#[derive(Subcommand)]
pub enum EnqueteCommande {
    /// Crée une campagne d'enquête sur le questionnaire standard ; les foyers à visiter
    /// par commune sont tirés de l'indice de fragilité.
    Campagne {
        #[arg(long)]
        intitule: String,
        /// epci:…, commune:…, dep:… (plusieurs, séparés par des virgules).
        #[arg(long)]
        territoire: String,
        /// Premier jour (AAAA-MM-JJ).
        #[arg(long)]
        debut: NaiveDate,
        /// Dernier jour (AAAA-MM-JJ).
        #[arg(long)]
        fin: NaiveDate,
        /// Texte lu aux personnes avant les questions.
        #[arg(long)]
        consentement: String,
        /// Nombre de foyers à visiter sur tout le périmètre.
        #[arg(long)]
        menages: i64,
        /// Foyers à visiter au moins dans chaque commune.
        #[arg(long, default_value_t = 10)]
        minimum: i64,
    },
    /// Ajoute un enquêteur (un compte) à une campagne, sur certaines communes.
    Enqueteur {
        #[arg(long)]
        campagne: i64,
        #[arg(long)]
        compte: i64,
        /// Codes INSEE couverts, séparés par des virgules (vide : tout le périmètre).
        #[arg(long, default_value = "")]
        communes: String,
    },
    /// Ajoute des adresses à visiter : un fichier de lignes « commune;adresse[;iris[;compte]] ».
    Adresses {
        #[arg(long)]
        campagne: i64,
        fichier: PathBuf,
    },
    /// Affiche les foyers visés, l'avancement et les taux d'illectronisme mesurés.
    Resultats {
        #[arg(long)]
        campagne: i64,
    },
}

fn pourcent(x: f64) -> String {
    format!("{:.1} %", x * 100.0).replace('.', ",")
}

pub async fn enquete(instance: &Instance, commande: EnqueteCommande) -> Result<()> {
    let module = instance.enquete();
    let op = instance.comptes().exploitant();
    match commande {
        EnqueteCommande::Campagne {
            intitule,
            territoire,
            debut,
            fin,
            consentement,
            menages,
            minimum,
        } => {
            let id = module
                .creer_campagne(
                    &op,
                    DemandeCampagne {
                        intitule,
                        territoire,
                        debut,
                        fin,
                        consentement,
                        menages,
                        minimum_par_commune: minimum,
                    },
                )
                .await?;
            let cibles = module.cibles(id).await?;
            println!("Campagne n° {id} créée sur {} communes.", cibles.len());
            println!("commune;foyers à visiter");
            for c in cibles {
                println!("{};{}", c.commune, c.cible_menages);
            }
        }
        EnqueteCommande::Enqueteur {
            campagne,
            compte,
            communes,
        } => {
            let liste: Vec<String> = communes
                .split(',')
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect();
            module
                .ajouter_enqueteur(&op, campagne, compte, &liste)
                .await?;
            println!("Le compte n° {compte} enquête sur la campagne n° {campagne}.");
        }
        EnqueteCommande::Adresses { campagne, fichier } => {
            let texte = std::fs::read_to_string(&fichier)
                .with_context(|| format!("lecture de {}", fichier.display()))?;
            let n = module.importer_adresses(&op, campagne, &texte).await?;
            println!("{n} adresses ajoutées à la campagne n° {campagne}.");
        }
        EnqueteCommande::Resultats { campagne } => {
            let r = module.resultats(&op, campagne).await?;
            println!(
                "« {} » : {} visites (absents {}, refus {}, questionnaires {}).",
                r.campagne.intitule,
                r.visites.iter().sum::<i64>(),
                r.visites[0],
                r.visites[1],
                r.visites[2]
            );
            if let Some(t) = r.taux_reponse() {
                println!("Taux de réponse : {}.", pourcent(t));
            }
            println!("territoire;réponses;illectronisme;intervalle à 95 %");
            for t in r.epcis.iter().chain(r.communes.iter()) {
                match (t.taux, t.intervalle) {
                    (Some(x), Some((b, h))) => println!(
                        "{};{};{};{} – {}",
                        t.code,
                        t.effectif,
                        pourcent(x),
                        pourcent(b),
                        pourcent(h)
                    ),
                    _ => println!("{};{};secret (moins de 5 réponses);", t.code, t.effectif),
                }
            }
        }
    }
    Ok(())
}

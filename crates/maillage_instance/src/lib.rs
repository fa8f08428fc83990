//! One Maillage instance: the directory, the accounts kernel, Médiation, Mandats and
//! Événements built once over one store.
//!
//! The binary (`maillage_cli`) is the composition root: it opens the store named by the
//! configuration (`maillage_stockage::ouvrir_store`), loads the journal key, and builds the
//! [`Instance`] the web server and the commands share. This crate links no database driver.
//!
//! Every module is built from the same store and the same [`Comptes`]; replacing the
//! accounts (a fake clock, other settings: [`Instance::avec_comptes`],
//! [`Instance::avec_horloge`]) gives them to every module, in any order.

use std::sync::Arc;

use maillage_annuaire::annuaire::Annuaire;
use maillage_annuaire::corrections::MisesAJour;
use maillage_competences::Competences;
use maillage_comptes::{Comptes, Horloge};
use maillage_domain::mandats::SigningKey;
use maillage_enquete::Enquete;
use maillage_evenements::Evenements;
use maillage_mandats::Mandats;
use maillage_mediation::Mediation;
use maillage_pass::Pass;
use maillage_store::{
    CompetencesStore, ComptesStore, CorrectionsStore, EnqueteStore, EvenementsStore, LieuxStore,
    MandatsStore, MediationStore, PassStore, Store,
};

/// The periodic jobs that ran in this process (for `/metrics`).
pub use maillage_store::exploitation::{
    taches as taches_executees, EtatBase, SignalPublication, StatTache,
};

/// What an instance cannot give; `Display` is French, for people.
#[derive(Debug, thiserror::Error)]
pub enum ErreurInstance {
    #[error(
        "le module Mandats n’est pas activé (clé du journal absente : voir maillage journal cle)"
    )]
    MandatsInactif,
}

/// What the directory and Médiation know of a structure's places, for the Pass module's
/// fraud signals: the opening hours the directory publishes for its places of activity,
/// and the accompaniments its mediators record there.
struct ContexteDesLieux {
    store: Arc<dyn Store>,
    comptes: Comptes,
    annuaire: Annuaire,
}

impl ContexteDesLieux {
    async fn lieux(&self, structure_id: i64) -> Vec<maillage_store::comptes::LieuActiviteRow> {
        self.comptes
            .lieux_activite(Some(maillage_domain::StructureId::new(structure_id)))
            .await
            .unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl maillage_pass::gestion::ContexteLieux for ContexteDesLieux {
    async fn horaires(&self, structure_id: i64) -> Vec<String> {
        let mut out = Vec::new();
        for l in self.lieux(structure_id).await {
            let Some(id) = l.lieu_id else { continue };
            if let Ok(Some(f)) = self.annuaire.lieu_publie(&id).await {
                if let Some(h) = f.lieu.horaires.filter(|h| h.valide) {
                    out.push(h.brut);
                }
            }
        }
        out
    }

    async fn accompagnements(
        &self,
        structure_id: i64,
        mois_debut: i32,
        mois_fin: i32,
    ) -> Option<i64> {
        let lieux: Vec<i64> = self
            .lieux(structure_id)
            .await
            .into_iter()
            .map(|l| l.id)
            .collect();
        if lieux.is_empty() {
            return None;
        }
        let lignes = self
            .store
            .stats(&maillage_store::mediation::StatFiltre {
                mediateurs: None,
                lieux: Some(lieux),
                communes: None,
                mois_debut,
                mois_fin,
            })
            .await
            .ok()?;
        Some(lignes.iter().map(|l| l.accompagnements).sum())
    }
}

/// Every module of one instance, over one store.
#[derive(Clone)]
struct Modules {
    store: Arc<dyn Store>,
    annuaire: Annuaire,
    comptes: Comptes,
    mediation: Mediation,
    /// Present once the instance's journal key is given.
    mandats: Option<Mandats>,
    evenements: Evenements,
    competences: Competences,
    pass: Pass,
    enquete: Enquete,
    /// Corrections of published places and the places' own updates.
    mises_a_jour: MisesAJour,
}

/// Every module of one instance, over one store: one `Arc`, so that a clone (the web layer
/// makes several per request) is one atomic increment, not one per module and its accounts.
#[derive(Clone)]
pub struct Instance {
    m: Arc<Modules>,
}

impl Instance {
    /// The directory, the accounts and Médiation over `store`; Mandats waits for the journal
    /// key ([`Instance::avec_cle_journal`]).
    pub fn new(store: Arc<dyn Store>) -> Self {
        let comptes = Comptes::new(Arc::clone(&store) as Arc<dyn ComptesStore>);
        let annuaire = Annuaire::new(Arc::clone(&store) as Arc<dyn LieuxStore>)
            .avec_corrections(Arc::clone(&store) as Arc<dyn CorrectionsStore>);
        let mises_a_jour = MisesAJour::new(
            annuaire.clone(),
            Arc::clone(&store) as Arc<dyn CorrectionsStore>,
            comptes.clone(),
        );
        Instance {
            m: Arc::new(Modules {
                annuaire: annuaire.clone(),
                mediation: Mediation::new(
                    comptes.clone(),
                    Arc::clone(&store) as Arc<dyn MediationStore>,
                ),
                evenements: Evenements::new(
                    Arc::clone(&store) as Arc<dyn EvenementsStore>,
                    comptes.clone(),
                ),
                competences: Competences::new(
                    comptes.clone(),
                    Arc::clone(&store) as Arc<dyn CompetencesStore>,
                ),
                pass: Pass::new(Arc::clone(&store) as Arc<dyn PassStore>, comptes.clone())
                    .avec_contexte(Arc::new(ContexteDesLieux {
                        store: Arc::clone(&store),
                        comptes: comptes.clone(),
                        annuaire,
                    })),
                enquete: Enquete::new(Arc::clone(&store) as Arc<dyn EnqueteStore>, comptes.clone()),
                mises_a_jour,
                comptes,
                mandats: None,
                store,
            }),
        }
    }

    /// Replaces the accounts (other settings, another clock); every module asks the new
    /// ones.
    pub fn avec_comptes(self, comptes: Comptes) -> Self {
        let mut m = Arc::unwrap_or_clone(self.m);
        m.mediation = m.mediation.avec_comptes(comptes.clone());
        m.mandats = m.mandats.take().map(|m| m.avec_comptes(comptes.clone()));
        m.evenements = m.evenements.clone().avec_comptes(comptes.clone());
        m.competences = m.competences.clone().avec_comptes(comptes.clone());
        m.pass = m.pass.clone().avec_comptes(comptes.clone());
        m.enquete = m.enquete.clone().avec_comptes(comptes.clone());
        m.mises_a_jour = m.mises_a_jour.clone().avec_comptes(comptes.clone());
        m.comptes = comptes;
        Instance { m: Arc::new(m) }
    }

    /// The same instance on another clock (tests, simulations).
    pub fn avec_horloge(self, horloge: Arc<dyn Horloge>) -> Self {
        let comptes = self.m.comptes.clone().avec_horloge(horloge);
        self.avec_comptes(comptes)
    }

    /// Replaces the Médiation module (other settings); it asks this instance's accounts.
    pub fn avec_mediation(self, mediation: Mediation) -> Self {
        let mut m = Arc::unwrap_or_clone(self.m);
        m.mediation = mediation.avec_comptes(m.comptes.clone());
        Instance { m: Arc::new(m) }
    }

    /// Enables Mandats with the instance's journal key (see
    /// [`maillage_mandats::cle::charger_ou_creer`]), on the current accounts.
    pub fn avec_cle_journal(self, cle: SigningKey) -> Self {
        let mut m = Arc::unwrap_or_clone(self.m);
        m.mandats = Some(Mandats::new(
            Arc::clone(&m.store) as Arc<dyn MandatsStore>,
            m.comptes.clone(),
            cle,
        ));
        Instance { m: Arc::new(m) }
    }

    /// Replaces the Mandats module (other settings, an identity provider); it asks this
    /// instance's accounts.
    pub fn avec_mandats(self, mandats: Mandats) -> Self {
        let mut m = Arc::unwrap_or_clone(self.m);
        m.mandats = Some(mandats.avec_comptes(m.comptes.clone()));
        Instance { m: Arc::new(m) }
    }

    /// Replaces the Événements module (other settings: the capacity guard of the tests'
    /// control run); it asks this instance's accounts.
    pub fn avec_evenements(self, evenements: Evenements) -> Self {
        let mut m = Arc::unwrap_or_clone(self.m);
        m.evenements = evenements.avec_comptes(m.comptes.clone());
        Instance { m: Arc::new(m) }
    }

    /// The Événements module.
    pub fn evenements(&self) -> &Evenements {
        &self.m.evenements
    }

    /// Replaces the Pass module (other settings: the double spend guard of the tests'
    /// control run); it asks this instance's accounts.
    pub fn avec_pass(self, pass: Pass) -> Self {
        let mut m = Arc::unwrap_or_clone(self.m);
        m.pass = pass.avec_comptes(m.comptes.clone());
        Instance { m: Arc::new(m) }
    }

    /// The Pass numérique module.
    pub fn pass(&self) -> &Pass {
        &self.m.pass
    }

    /// Corrections of published places, retirements, and the places' own updates through
    /// their personal links.
    pub fn mises_a_jour(&self) -> &MisesAJour {
        &self.m.mises_a_jour
    }

    /// Replaces the corrections' use cases (another link validity); they ask this
    /// instance's accounts.
    pub fn avec_mises_a_jour(self, mises_a_jour: MisesAJour) -> Self {
        let mut m = Arc::unwrap_or_clone(self.m);
        m.mises_a_jour = mises_a_jour.avec_comptes(m.comptes.clone());
        Instance { m: Arc::new(m) }
    }

    /// The Enquête de besoins module.
    pub fn enquete(&self) -> &Enquete {
        &self.m.enquete
    }

    /// The directory of places.
    /// Compétences: stored results, progress, aggregates, calibrations.
    pub fn competences(&self) -> &Competences {
        &self.m.competences
    }

    pub fn annuaire(&self) -> &Annuaire {
        &self.m.annuaire
    }

    /// The accounts kernel.
    pub fn comptes(&self) -> &Comptes {
        &self.m.comptes
    }

    /// The Médiation module.
    pub fn mediation(&self) -> &Mediation {
        &self.m.mediation
    }

    /// The Mandats module, when the journal key is loaded.
    pub fn mandats(&self) -> Result<&Mandats, ErreurInstance> {
        self.m
            .mandats
            .as_ref()
            .ok_or(ErreurInstance::MandatsInactif)
    }

    /// The database as an operator sees it (reachable, migrations, pool): `/pret`, `/metrics`.
    pub async fn etat_base(&self) -> maillage_store::StoreResult<EtatBase> {
        self.m.store.etat_base().await
    }

    /// The database's signal that the published directory changed (PostgreSQL
    /// LISTEN/NOTIFY), `None` on SQLite: see [`maillage_store::ExploitationStore::signal_publication`].
    pub async fn signal_publication(
        &self,
    ) -> maillage_store::StoreResult<Option<maillage_store::SignalPublication>> {
        self.m.store.signal_publication().await
    }

    /// The whole store (the journal can be read without the Mandats module, e.g. to verify
    /// it with a public key only).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.m.store
    }
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    fn cargo_tree(args: &[&str]) -> Vec<String> {
        let sortie = Command::new(env!("CARGO"))
            .args(["tree", "--offline", "-e", "normal", "--prefix", "none"])
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo tree");
        assert!(
            sortie.status.success(),
            "{}",
            String::from_utf8_lossy(&sortie.stderr)
        );
        String::from_utf8_lossy(&sortie.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .map(String::from)
            .collect()
    }

    /// Only the two backends and the binary's package (the composition root, whose library
    /// opens the store named by a URL) link a database driver; the crate of integration
    /// tests may too. Every other member of the workspace — the modules, the kernel, this
    /// crate, the web crate, and any crate added later — sees the store traits only (issue
    /// « Architecture »). Read from `cargo tree`: normal dependencies, transitively (not
    /// the tests' dev-dependencies).
    #[test]
    fn aucun_module_ne_depend_d_un_pilote_de_base() {
        let autorises = [
            "maillage_store_sqlite",
            "maillage_store_postgres",
            "maillage_cli",
            "maillage_essais",
        ];
        let mut membres = cargo_tree(&["--workspace", "--depth", "0"]);
        membres.sort();
        membres.dedup();
        for attendu in [
            "maillage_web",
            "maillage_mandats",
            "maillage_comptes",
            "maillage_evenements",
            "maillage_competences",
            "maillage_enquete",
        ] {
            assert!(membres.iter().any(|m| m == attendu), "{membres:?}");
        }
        let mut verifies = 0;
        for module in membres.iter().filter(|m| !autorises.contains(&m.as_str())) {
            let noms = cargo_tree(&["-p", module]);
            // The tree really is this crate's, with its dependencies.
            assert_eq!(noms.first(), Some(module));
            let fautes: Vec<&String> = noms
                .iter()
                .filter(|n| {
                    n.starts_with("sqlx")
                        || n.as_str() == "maillage_store_sqlite"
                        || n.as_str() == "maillage_store_postgres"
                })
                .collect();
            assert!(fautes.is_empty(), "{module} dépend de {fautes:?}");
            verifies += 1;
        }
        assert!(verifies >= 10, "{verifies} crates checked");
    }

    /// Web handlers ask the modules, never the store: no `.store()` call in `maillage_web`'s
    /// sources (the modules decide who sees what; a handler reading the store would decide
    /// in their place).
    #[test]
    fn aucun_gestionnaire_web_n_appelle_le_stockage() {
        fn fichiers(dossier: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dossier).expect("read_dir").flatten() {
                let p = e.path();
                if p.is_dir() {
                    fichiers(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        let racine = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../maillage_web/src");
        let mut v = Vec::new();
        fichiers(&racine, &mut v);
        assert!(
            v.len() > 10,
            "sources de maillage_web introuvables : {racine:?}"
        );
        let mut fautes = Vec::new();
        for f in v {
            let texte = std::fs::read_to_string(&f).expect("lecture");
            for (n, ligne) in texte.lines().enumerate() {
                let code = ligne.split("//").next().unwrap_or("");
                if code.contains(".store()") {
                    fautes.push(format!("{}:{}: {}", f.display(), n + 1, ligne.trim()));
                }
            }
        }
        assert!(
            fautes.is_empty(),
            "appels au stockage :\n{}",
            fautes.join("\n")
        );
    }
}

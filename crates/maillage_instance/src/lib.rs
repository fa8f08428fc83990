//! One Maillage instance: the directory, Médiation and Mandats built once over one store.
//!
//! The binary (`maillage_cli`) is the composition root: it opens the store named by the
//! configuration (`maillage_stockage::ouvrir_store`), loads the journal key, and builds the
//! [`Instance`] the web server and the commands share. This crate links no database driver.
//!
//! Every module is built from the same store; replacing a module (a fake clock for
//! Médiation, other settings for Mandats) keeps the others consistent, in any order:
//! [`Instance::avec_mediation`] also gives the new Médiation to Mandats.

use std::sync::Arc;

use maillage_app::annuaire::Annuaire;
use maillage_domain::mandats::SigningKey;
use maillage_mandats::Mandats;
use maillage_mediation::Mediation;
use maillage_store::{LieuxStore, MediationStore, Store};

/// What an instance cannot give; `Display` is French, for people.
#[derive(Debug, thiserror::Error)]
pub enum ErreurInstance {
    #[error(
        "le module Mandats n’est pas activé (clé du journal absente : voir maillage journal cle)"
    )]
    MandatsInactif,
}

/// Every module of one instance, over one store.
#[derive(Clone)]
pub struct Instance {
    store: Arc<dyn Store>,
    annuaire: Annuaire,
    mediation: Mediation,
    /// Present once the instance's journal key is given.
    mandats: Option<Mandats>,
}

impl Instance {
    /// The directory and Médiation over `store`; Mandats waits for the journal key
    /// ([`Instance::avec_cle_journal`]).
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            annuaire: Annuaire::new(Arc::clone(&store) as Arc<dyn LieuxStore>),
            mediation: Mediation::new(Arc::clone(&store) as Arc<dyn MediationStore>),
            mandats: None,
            store,
        }
    }

    /// Replaces the Médiation module (a fake clock or other settings); Mandats, if enabled,
    /// uses the new one too.
    pub fn avec_mediation(mut self, mediation: Mediation) -> Self {
        self.mandats = self
            .mandats
            .take()
            .map(|m| m.avec_mediation(Some(mediation.clone())));
        self.mediation = mediation;
        self
    }

    /// Enables Mandats with the instance's journal key (see
    /// [`maillage_mandats::cle::charger_ou_creer`]), on the current Médiation.
    pub fn avec_cle_journal(mut self, cle: SigningKey) -> Self {
        self.mandats = Some(Mandats::new(
            Arc::clone(&self.store),
            self.mediation.clone(),
            cle,
        ));
        self
    }

    /// Replaces the Mandats module (other settings, an identity provider).
    pub fn avec_mandats(mut self, mandats: Mandats) -> Self {
        self.mandats = Some(mandats);
        self
    }

    /// The directory of places.
    pub fn annuaire(&self) -> &Annuaire {
        &self.annuaire
    }

    /// The Médiation module.
    pub fn mediation(&self) -> &Mediation {
        &self.mediation
    }

    /// The Mandats module, when the journal key is loaded.
    pub fn mandats(&self) -> Result<&Mandats, ErreurInstance> {
        self.mandats.as_ref().ok_or(ErreurInstance::MandatsInactif)
    }

    /// The whole store (the journal can be read without the Mandats module, e.g. to verify
    /// it with a public key only).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};
    use std::process::Command;

    /// The use-case crates, this one and the web crate never link a database driver: only
    /// the backends, `maillage_stockage` and the binary do (issue « Architecture »). Read from
    /// `cargo metadata`: normal dependencies, transitively (not the tests' dev-dependencies).
    #[test]
    fn aucun_module_ne_depend_d_un_pilote_de_base() {
        let sortie = Command::new(env!("CARGO"))
            .args(["metadata", "--format-version", "1", "--offline"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo metadata");
        assert!(
            sortie.status.success(),
            "{}",
            String::from_utf8_lossy(&sortie.stderr)
        );
        let meta: serde_json::Value = serde_json::from_slice(&sortie.stdout).expect("JSON");
        let noms: HashMap<&str, &str> = meta["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .filter_map(|p| Some((p["id"].as_str()?, p["name"].as_str()?)))
            .collect();
        let noeuds = meta["resolve"]["nodes"].as_array().expect("resolve");
        // id → ids of its normal (non-dev, non-build) dependencies.
        let normales: HashMap<&str, Vec<&str>> = noeuds
            .iter()
            .filter_map(|n| {
                let deps = n["deps"]
                    .as_array()?
                    .iter()
                    .filter(|d| {
                        d["dep_kinds"]
                            .as_array()
                            .is_some_and(|k| k.iter().any(|k| k["kind"].is_null()))
                    })
                    .filter_map(|d| d["pkg"].as_str())
                    .collect();
                Some((n["id"].as_str()?, deps))
            })
            .collect();
        let interdits = |nom: &str| {
            nom.starts_with("sqlx")
                || nom == "maillage_store_sqlite"
                || nom == "maillage_store_postgres"
                || nom == "maillage_stockage"
        };
        let modules = [
            "maillage_app",
            "maillage_mediation",
            "maillage_mandats",
            "maillage_instance",
            "maillage_web",
        ];
        let mut vus_modules = 0;
        for (&id, &nom) in &noms {
            if !modules.contains(&nom) {
                continue;
            }
            vus_modules += 1;
            let mut pile = vec![id];
            let mut vus = BTreeSet::new();
            while let Some(x) = pile.pop() {
                for &d in normales.get(x).into_iter().flatten() {
                    if vus.insert(d) {
                        pile.push(d);
                    }
                }
            }
            let fautes: Vec<&str> = vus
                .iter()
                .filter_map(|d| noms.get(d).copied())
                .filter(|n| interdits(n))
                .collect();
            assert!(fautes.is_empty(), "{nom} dépend de {fautes:?}");
        }
        assert_eq!(vus_modules, modules.len(), "modules absents du workspace");
    }
}

//! Fuzzes the offline check-in sync of Événements (`POST /api/v1/evenements/{id}/pointages`):
//! the JSON body, read with the web layer's shape (`CorpsPointages`, mirrored here: the
//! web crate is not a dependency of the fuzz targets), then checked by
//! `maillage_evenements::accueil::lire_pointages`, the pure part of `Evenements::pointer`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maillage_evenements::accueil::{lire_pointages, PointageEnvoye};
use serde::Deserialize;

#[derive(Deserialize)]
struct PointageApi {
    uuid: String,
    session: i64,
    #[serde(default)]
    inscription: Option<String>,
    #[serde(default)]
    tranche_age: Option<String>,
    #[serde(default)]
    statut: Option<String>,
    #[serde(default)]
    besoin: Option<String>,
    heure: String,
}

#[derive(Deserialize)]
struct CorpsPointages {
    appareil: String,
    pointages: Vec<PointageApi>,
    #[serde(default)]
    #[allow(dead_code)]
    rendre: bool,
}

fuzz_target!(|data: &[u8]| {
    let Ok(c) = serde_json::from_slice::<CorpsPointages>(data) else {
        return;
    };
    let envoyes: Vec<PointageEnvoye> = c
        .pointages
        .into_iter()
        .map(|p| PointageEnvoye {
            uuid: p.uuid,
            session: p.session,
            inscription: p.inscription,
            tranche_age: p.tranche_age,
            statut: p.statut,
            besoin: p.besoin,
            heure: p.heure,
        })
        .collect();
    if let Ok((appareil, lus)) = lire_pointages(&c.appareil, &envoyes) {
        assert_eq!(appareil.len(), 36);
        assert_eq!(lus.len(), envoyes.len());
    }
});

//! Merging a group of records into one published place.
//!
//! Members are ranked: most recent `date_maj` first; ties broken by the source priority
//! ([`OptionsDoublons::priorite_sources`](super::OptionsDoublons::priorite_sources): a source
//! listed earlier wins, unlisted sources come after every listed one), then by ref
//! (`SOURCE#ID`, byte order). Then, field by field:
//!
//! - single values: the first member (in rank order) with a non-empty value; an empty value
//!   never overrides a non-empty one;
//! - `horaires`: the first value that parses as OSM opening hours, else the first non-empty;
//! - `localisation`: the first non-approximate point, else the first approximate one;
//! - `itinerance`: treated as a single value (uniting "Itinérant" and "Fixe" would be
//!   contradictory);
//! - lists (`typologie`, `courriels`, `site_web`, `services`, …): united in rank order,
//!   without duplicates (e-mails compared case-insensitively); "Ce lieu n'accueille pas de
//!   public" is dropped from `modalites_acces` when another value says it does;
//! - `date_maj`: the maximum;
//! - `id`: `"lieu-"` + the first 16 hex digits of sha256(smallest member ref): stable across
//!   runs and re-imports as long as that member stays in the group;
//! - `source`: the distinct sources of the members, sorted, joined with `|`.
//!
//! `provenance` maps each schema field that got a value to the ref it came from; for lists,
//! the refs that contributed, in rank order, joined with `|`. `id` and `source` are computed
//! and have no entry. A singleton's provenance is left empty (every field comes from its only
//! member): see [`LieuFusionne::provenance_de`].

use super::LieuFusionne;
use crate::lieux::LieuSource;
use maillage_domain::{Lieu, ModaliteAcces};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// `"lieu-"` + the first 16 hex digits of sha256(`reference`).
pub fn identifiant(reference: &str) -> String {
    let h = Sha256::digest(reference.as_bytes());
    format!("lieu-{}", hex::encode(&h[..8]))
}

fn non_vide(s: &Option<String>) -> bool {
    s.as_deref().is_some_and(|v| !v.trim().is_empty())
}

/// A singleton group: the record itself, with its published id `id` (from [`identifiant`]).
pub(crate) fn singleton(ls: LieuSource, reference: String, id: String) -> LieuFusionne {
    let LieuSource { source, mut lieu } = ls;
    lieu.id = id.clone();
    lieu.source = Some(source);
    LieuFusionne {
        id,
        lieu,
        membres: vec![reference],
        provenance: BTreeMap::new(),
    }
}

/// Merges records (at least one). `refs[k]` is the ref of `membres[k]`; `priorite(source)`
/// gives the rank of a source (lower wins).
pub(crate) fn fusionner(
    membres: &[&LieuSource],
    refs: &[String],
    priorite: &dyn Fn(&str) -> usize,
) -> LieuFusionne {
    let mut ordre: Vec<usize> = (0..membres.len()).collect();
    ordre.sort_by(|&x, &y| {
        membres[y]
            .lieu
            .date_maj
            .cmp(&membres[x].lieu.date_maj)
            .then(priorite(&membres[x].source).cmp(&priorite(&membres[y].source)))
            .then(refs[x].cmp(&refs[y]))
    });
    let classes: Vec<&Lieu> = ordre.iter().map(|&k| &membres[k].lieu).collect();
    let refs_classes: Vec<&str> = ordre.iter().map(|&k| refs[k].as_str()).collect();
    let mut provenance: BTreeMap<String, String> = BTreeMap::new();
    let tete = classes[0];
    let mut lieu = tete.clone();

    // Single values: the first non-empty in rank order.
    macro_rules! premier {
        ($champ:ident, $nom:literal, $ok:expr) => {{
            let ok: fn(&Lieu) -> bool = $ok;
            if let Some(k) = classes.iter().position(|l| ok(l)) {
                lieu.$champ = classes[k].$champ.clone();
                provenance.insert($nom.to_string(), refs_classes[k].to_string());
            }
        }};
    }
    premier!(pivot, "pivot", |l| !l.pivot.is_absent());
    premier!(nom, "nom", |l| !l.nom.trim().is_empty());
    premier!(commune, "commune", |l| !l.commune.trim().is_empty());
    premier!(code_postal, "code_postal", |_| true);
    premier!(code_insee, "code_insee", |l| l.code_insee.is_some());
    premier!(adresse, "adresse", |l| !l.adresse.trim().is_empty());
    premier!(complement_adresse, "complement_adresse", |l| non_vide(
        &l.complement_adresse
    ));
    premier!(telephone, "telephone", |l| l.telephone.is_some());
    premier!(presentation_resume, "presentation_resume", |l| non_vide(
        &l.presentation_resume
    ));
    premier!(presentation_detail, "presentation_detail", |l| non_vide(
        &l.presentation_detail
    ));
    premier!(itinerance, "itinerance", |l| !l.itinerance.is_empty());
    premier!(structure_parente, "structure_parente", |l| non_vide(
        &l.structure_parente
    ));
    premier!(fiche_acces_libre, "fiche_acces_libre", |l| non_vide(
        &l.fiche_acces_libre
    ));
    premier!(prise_rdv, "prise_rdv", |l| non_vide(&l.prise_rdv));
    premier!(date_maj, "date_maj", |_| true);
    // Opening hours: a valid OSM value first.
    if let Some(k) = classes
        .iter()
        .position(|l| l.horaires.as_ref().is_some_and(|h| h.valide))
        .or_else(|| classes.iter().position(|l| l.horaires.is_some()))
    {
        lieu.horaires = classes[k].horaires.clone();
        provenance.insert("horaires".into(), refs_classes[k].to_string());
    }
    // Point: a non-approximate one first.
    if let Some(k) = classes
        .iter()
        .position(|l| l.localisation.is_some_and(|p| !p.approximative))
        .or_else(|| classes.iter().position(|l| l.localisation.is_some()))
    {
        lieu.localisation = classes[k].localisation;
        provenance.insert("latitude".into(), refs_classes[k].to_string());
        provenance.insert("longitude".into(), refs_classes[k].to_string());
    }

    // Lists: united in rank order.
    macro_rules! unir {
        ($champ:ident, $nom:literal) => {{
            let mut valeurs = Vec::new();
            let mut contributeurs: Vec<&str> = Vec::new();
            for (k, l) in classes.iter().enumerate() {
                let mut apporte = false;
                for v in &l.$champ {
                    if !valeurs.contains(v) {
                        valeurs.push(v.clone());
                        apporte = true;
                    }
                }
                if apporte {
                    contributeurs.push(refs_classes[k]);
                }
            }
            if !contributeurs.is_empty() {
                provenance.insert($nom.to_string(), contributeurs.join("|"));
            }
            lieu.$champ = valeurs;
        }};
    }
    unir!(typologie, "typologie");
    unir!(site_web, "site_web");
    unir!(services, "services");
    unir!(
        publics_specifiquement_adresses,
        "publics_specifiquement_adresses"
    );
    unir!(prise_en_charge_specifique, "prise_en_charge_specifique");
    unir!(frais_a_charge, "frais_a_charge");
    unir!(
        dispositif_programmes_nationaux,
        "dispositif_programmes_nationaux"
    );
    unir!(formations_labels, "formations_labels");
    unir!(autres_formations_labels, "autres_formations_labels");
    unir!(modalites_acces, "modalites_acces");
    unir!(modalites_accompagnement, "modalites_accompagnement");
    if lieu.modalites_acces.len() > 1 {
        lieu.modalites_acces
            .retain(|m| *m != ModaliteAcces::PasDePublic);
    }
    // E-mails: case-insensitive.
    {
        let mut valeurs: Vec<String> = Vec::new();
        let mut vus: Vec<String> = Vec::new();
        let mut contributeurs: Vec<&str> = Vec::new();
        for (k, l) in classes.iter().enumerate() {
            let mut apporte = false;
            for c in &l.courriels {
                let bas = c.trim().to_lowercase();
                if !bas.is_empty() && !vus.contains(&bas) {
                    vus.push(bas);
                    valeurs.push(c.trim().to_string());
                    apporte = true;
                }
            }
            if apporte {
                contributeurs.push(refs_classes[k]);
            }
        }
        if !contributeurs.is_empty() {
            provenance.insert("courriels".into(), contributeurs.join("|"));
        }
        lieu.courriels = valeurs;
    }

    let mut sources: Vec<&str> = membres.iter().map(|m| m.source.as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    lieu.source = Some(sources.join("|"));

    let mut membres_refs: Vec<String> = refs.to_vec();
    membres_refs.sort_unstable();
    let id = membres_refs
        .first()
        .map(|r| identifiant(r))
        .unwrap_or_default();
    lieu.id = id.clone();
    LieuFusionne {
        id,
        lieu,
        membres: membres_refs,
        provenance,
    }
}

//! Length limits of the imported fields: a value longer than its field's limit makes the
//! record rejected, reported by line (or record number) and field. Without them one
//! 50 MB name would be served to every visitor of its area (place page, orientation
//! sheet, map points). The limits leave room far above the real files (the longest
//! values of the five shared sources are in brackets); they are documented in
//! docs/ARCHITECTURE.md (« Limites des champs à l'import »).

/// Limit of each field, in characters (after trimming). Schema v1 names, then the v0
/// names read as aliases.
pub const LIMITES: [(&str, usize); 40] = [
    ("id", 200),                                // [65]
    ("pivot", 100),                             // [24]
    ("nom", 300),                               // [134]
    ("commune", 150),                           // [45]
    ("code_postal", 20),                        // [10]
    ("code_insee", 20),                         // [5]
    ("adresse", 500),                           // [125]
    ("complement_adresse", 500),                // [140]
    ("latitude", 50),                           // [19]
    ("longitude", 50),                          // [19]
    ("typologie", 1_000),                       // [7]
    ("telephone", 100),                         // [14]
    ("courriels", 2_000),                       // [59]
    ("site_web", 2_000),                        // [195]
    ("horaires", 2_000),                        // [166]
    ("presentation_resume", 5_000),             // [2 420], then cut to 280
    ("presentation_detail", 10_000),            // [500]
    ("source", 300),                            // [20]
    ("itinerance", 100),                        // [3]
    ("structure_parente", 300),                 // [–]
    ("date_maj", 50),                           // [10]
    ("services", 5_000),                        // [539]
    ("publics_specifiquement_adresses", 2_000), // [44]
    ("prise_en_charge_specifique", 2_000),      // [17]
    ("frais_a_charge", 1_000),                  // [351 as conditions_acces]
    ("dispositif_programmes_nationaux", 2_000), // [–]
    ("formations_labels", 2_000),               // [38 as labels_nationaux]
    ("autres_formations_labels", 2_000),        // [48 as labels_autres]
    ("modalites_acces", 1_000),                 // [–]
    ("modalites_accompagnement", 1_000),        // [249]
    ("fiche_acces_libre", 1_000),               // [–]
    ("prise_rdv", 1_000),                       // [88]
    ("courriel", 2_000),                        // v0 [53]
    ("conditions_acces", 1_000),                // v0 [351]
    ("conditions_access", 1_000),               // v0 [7]
    ("labels_nationaux", 2_000),                // v0 [38]
    ("labels_autres", 2_000),                   // v0 [48]
    ("publics_accueillis", 2_000),              // v0 [316]
    ("accessibilite", 1_000),                   // v0
    ("cle_ban", 100),                           // v0
];

/// The limit of a field read by the importer; `None` for a field it ignores.
pub fn limite(champ: &str) -> Option<usize> {
    LIMITES
        .iter()
        .find(|(nom, _)| *nom == champ)
        .map(|(_, max)| *max)
}

/// The number of characters of `texte` when it is over `max`, else `None` (cheap for the
/// usual short values: a text of at most `max` bytes has at most `max` characters).
pub fn depassement(texte: &str, max: usize) -> Option<usize> {
    if texte.len() <= max {
        return None;
    }
    let n = texte.chars().count();
    (n > max).then_some(n)
}

/// `texte` cut to `max` characters, `…` marking the cut (for values quoted in the report).
pub fn abreger(texte: &str, max: usize) -> String {
    match texte.char_indices().nth(max) {
        None => texte.to_string(),
        Some((i, _)) => format!("{}…", texte.get(..i).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_read_field_has_a_limit() {
        for champ in maillage_domain::lieu::CHAMPS {
            assert!(limite(champ).is_some(), "{champ}");
        }
        for champ in super::super::construction::ALIAS_V0 {
            assert!(limite(champ).is_some(), "{champ}");
        }
        assert_eq!(limite("inconnu"), None);
    }

    #[test]
    fn overflow_counts_characters() {
        assert_eq!(depassement("abc", 3), None);
        assert_eq!(depassement("ééé", 3), None);
        assert_eq!(depassement("éééé", 3), Some(4));
        assert_eq!(abreger("éééé", 2), "éé…");
        assert_eq!(abreger("éé", 2), "éé");
    }
}

//! The printed mandate: a versioned template's data, its canonical serialisation and the
//! SHA-256 fingerprint the QR code carries.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use chrono_tz::Europe::Paris;
use maillage_domain::mandats::{journal::hex, Demarche, DureeMandat};
use maillage_domain::texte::MOIS;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Version of the mandate template in use (templates are never edited, only added).
pub const MODELE_COURANT: &str = "2026-11";

/// The person's identity as checked by the aidant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identite {
    pub nom: String,
    pub prenoms: String,
    pub date_naissance: Option<NaiveDate>,
    /// How it was checked: `document:<type>` (document seen by the aidant) or
    /// `oidc:<issuer>` (identity provider).
    pub verification: String,
}

impl Identite {
    /// Validates what the aidant typed.
    pub fn declaree(
        nom: &str,
        prenoms: &str,
        date_naissance: &str,
        piece: &str,
        aujourdhui: NaiveDate,
    ) -> Result<Identite, (String, String)> {
        let champ = |c: &str, m: &str| (c.to_string(), m.to_string());
        let nom = nom.trim();
        let prenoms = prenoms.trim();
        if nom.is_empty() || nom.chars().count() > 100 {
            return Err(champ(
                "nom",
                "indiquez le nom de naissance (100 caractères au plus)",
            ));
        }
        if prenoms.is_empty() || prenoms.chars().count() > 100 {
            return Err(champ(
                "prénoms",
                "indiquez les prénoms (100 caractères au plus)",
            ));
        }
        let date = NaiveDate::parse_from_str(date_naissance.trim(), "%Y-%m-%d")
            .map_err(|_| champ("date de naissance", "date attendue au format AAAA-MM-JJ"))?;
        if date > aujourdhui || date.year() < 1900 {
            return Err(champ("date de naissance", "date impossible"));
        }
        let piece = PIECES
            .iter()
            .find(|(code, _)| *code == piece)
            .ok_or_else(|| champ("pièce d’identité", "choisissez la pièce vue"))?;
        Ok(Identite {
            nom: nom.to_string(),
            prenoms: prenoms.to_string(),
            date_naissance: Some(date),
            verification: format!("document:{}", piece.0),
        })
    }

    /// Plain French for how the identity was checked.
    pub fn verification_lisible(&self) -> String {
        if let Some(code) = self.verification.strip_prefix("document:") {
            let libelle = PIECES
                .iter()
                .find(|(c, _)| *c == code)
                .map_or(code, |(_, l)| *l);
            return format!("vérifiée par l’aidant sur présentation : {libelle}");
        }
        if let Some(f) = self.verification.strip_prefix("oidc:") {
            return format!("vérifiée par le fournisseur d’identité {f}");
        }
        self.verification.clone()
    }

    pub fn nom_complet(&self) -> String {
        format!("{} {}", self.prenoms, self.nom)
    }
}

/// Identity documents an aidant may check.
pub const PIECES: [(&str, &str); 4] = [
    ("cni", "carte nationale d’identité"),
    ("passeport", "passeport"),
    ("titre_sejour", "titre de séjour"),
    ("permis", "permis de conduire"),
];

/// Everything printed on a mandate. Its canonical JSON (fields in this order) is hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentMandat {
    pub modele: String,
    pub structure: String,
    pub aidant: String,
    pub usager: Identite,
    pub demarches: Vec<Demarche>,
    pub duree: DureeMandat,
    pub debut: DateTime<Utc>,
    pub fin: DateTime<Utc>,
    pub declarations: Vec<String>,
    /// Random salt: the fingerprint reveals nothing about the person.
    pub sel: String,
}

impl DocumentMandat {
    pub fn nouveau(
        structure: &str,
        aidant: &str,
        usager: Identite,
        demarches: &[Demarche],
        duree: DureeMandat,
        debut: DateTime<Utc>,
        fin: DateTime<Utc>,
    ) -> Result<DocumentMandat, String> {
        let mut sel = [0u8; 16];
        getrandom::getrandom(&mut sel).map_err(|e| format!("aléa indisponible : {e}"))?;
        let mut declarations = vec![
            "La personne a donné son consentement explicite, après lecture des démarches et de la durée.".to_string(),
            "La personne déclare ne pas faire l’objet d’une mesure de protection juridique l’empêchant de donner mandat.".to_string(),
        ];
        declarations.extend(
            demarches
                .iter()
                .filter_map(|d| d.mention_legale())
                .map(str::to_string),
        );
        Ok(DocumentMandat {
            modele: MODELE_COURANT.into(),
            structure: structure.into(),
            aidant: aidant.into(),
            usager,
            demarches: demarches.to_vec(),
            duree,
            debut,
            fin,
            declarations,
            sel: hex(&sel),
        })
    }

    /// The fingerprint (hex SHA-256) and the canonical JSON it is computed from.
    pub fn empreinte(&self) -> Result<(String, String), String> {
        let canonique = serde_json::to_string(self).map_err(|e| e.to_string())?;
        Ok((hex(&Sha256::digest(canonique.as_bytes())), canonique))
    }
}

/// `3 décembre 2026` (Paris time).
pub fn date_longue(t: DateTime<Utc>) -> String {
    let d = t.with_timezone(&Paris);
    format!("{} {} {}", d.day(), MOIS[d.month0() as usize], d.year())
}

/// `3 décembre 2026 à 14 h 05` (Paris time).
pub fn date_heure(t: DateTime<Utc>) -> String {
    let d = t.with_timezone(&Paris);
    format!("{} à {} h {:02}", date_longue(t), d.hour(), d.minute())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn identity_is_validated_and_the_fingerprint_covers_every_field() {
        let jour = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let id = Identite::declaree(" Martin ", "Jeanne", "1950-04-02", "cni", jour).unwrap();
        assert_eq!(id.nom, "Martin");
        assert!(id.verification_lisible().contains("carte nationale"));
        assert_eq!(
            Identite::declaree("Martin", "Jeanne", "2030-01-01", "cni", jour)
                .unwrap_err()
                .0,
            "date de naissance"
        );
        assert_eq!(
            Identite::declaree("", "Jeanne", "1950-04-02", "cni", jour)
                .unwrap_err()
                .0,
            "nom"
        );
        assert!(Identite::declaree("M", "J", "1950-04-02", "facture", jour).is_err());
        let t = Utc.with_ymd_and_hms(2026, 11, 23, 13, 5, 0).unwrap();
        let doc = DocumentMandat::nouveau(
            "CCAS",
            "Awa",
            id,
            &[Demarche::Argent],
            DureeMandat::UnMois,
            t,
            DureeMandat::UnMois.expiration(t),
        )
        .unwrap();
        assert!(doc
            .declarations
            .iter()
            .any(|d| d.contains("Surendettement")));
        let (h, json) = doc.empreinte().unwrap();
        assert_eq!(h.len(), 64);
        let relu: DocumentMandat = serde_json::from_str(&json).unwrap();
        assert_eq!(relu.empreinte().unwrap().0, h);
        let mut autre = doc.clone();
        autre.duree = DureeMandat::SixMois;
        assert_ne!(autre.empreinte().unwrap().0, h);
        assert_eq!(date_heure(t), "23 novembre 2026 à 14 h 05");
    }
}

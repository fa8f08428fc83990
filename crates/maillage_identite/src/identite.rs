//! Verified identity of a person and the "document seen by the aidant" method.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::ErreurIdentite;

/// Maximum length, in characters, of a name, given names or birthplace.
pub const LONGUEUR_MAX: usize = 100;

/// Identity of a person as checked when a mandate is signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentiteVerifiee {
    /// Family name (nom de naissance or nom d'usage, as on the document), trimmed.
    pub nom: String,
    /// Given names, space separated, trimmed. Never empty for a [`declaration`]; may be empty
    /// when an OpenID provider certifies a person without given name.
    pub prenoms: String,
    /// Birth date, when known.
    pub date_naissance: Option<NaiveDate>,
    /// Birthplace as sent by the provider (FranceConnect sends the INSEE code of the commune
    /// for people born in France).
    pub lieu_naissance: Option<String>,
    /// How the identity was checked.
    pub methode: Methode,
}

/// How an identity was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Methode {
    /// The aidant saw an identity document.
    Document {
        /// The document presented.
        piece: PieceIdentite,
    },
    /// An OpenID Connect provider authenticated the person.
    Oidc {
        /// Issuer of the provider (`iss`).
        fournisseur: String,
        /// Stable identifier of the person at that provider (`sub`).
        sujet: String,
    },
}

/// Identity documents an aidant may accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PieceIdentite {
    /// Carte nationale d'identité.
    #[serde(rename = "cni")]
    CarteNationaleIdentite,
    /// Passeport.
    #[serde(rename = "passeport")]
    Passeport,
    /// Titre de séjour.
    #[serde(rename = "titre_sejour")]
    TitreSejour,
    /// Permis de conduire.
    #[serde(rename = "permis_conduire")]
    PermisConduire,
}

impl PieceIdentite {
    /// Every document, in the order of a form.
    pub const TOUTES: [PieceIdentite; 4] = [
        PieceIdentite::CarteNationaleIdentite,
        PieceIdentite::Passeport,
        PieceIdentite::TitreSejour,
        PieceIdentite::PermisConduire,
    ];

    /// Stable code, used in forms and storage (same as the serde representation).
    pub fn code(self) -> &'static str {
        match self {
            PieceIdentite::CarteNationaleIdentite => "cni",
            PieceIdentite::Passeport => "passeport",
            PieceIdentite::TitreSejour => "titre_sejour",
            PieceIdentite::PermisConduire => "permis_conduire",
        }
    }

    /// French label for people.
    pub fn libelle(self) -> &'static str {
        match self {
            PieceIdentite::CarteNationaleIdentite => "Carte nationale d'identité",
            PieceIdentite::Passeport => "Passeport",
            PieceIdentite::TitreSejour => "Titre de séjour",
            PieceIdentite::PermisConduire => "Permis de conduire",
        }
    }
}

impl fmt::Display for PieceIdentite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.libelle())
    }
}

impl FromStr for PieceIdentite {
    type Err = ErreurIdentite;

    /// Parses a [`PieceIdentite::code`] (case-insensitive, surrounding spaces ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let code = s.trim();
        PieceIdentite::TOUTES
            .into_iter()
            .find(|piece| piece.code().eq_ignore_ascii_case(code))
            .ok_or_else(|| ErreurIdentite::Champ {
                champ: "piece",
                message: "Choisissez la pièce d'identité présentée parmi celles proposées."
                    .to_owned(),
            })
    }
}

/// Records an identity checked by the aidant on a document.
///
/// Names are trimmed; they must be non-empty, at most [`LONGUEUR_MAX`] characters and without
/// control characters. The birth date, when given, must be between 1900-01-01 and today.
pub fn declaration(
    nom: &str,
    prenoms: &str,
    date_naissance: Option<NaiveDate>,
    piece: PieceIdentite,
) -> Result<IdentiteVerifiee, ErreurIdentite> {
    declaration_au(nom, prenoms, date_naissance, piece, Utc::now().date_naive())
}

/// [`declaration`] with an explicit "today" (for tests and reproducible checks).
pub fn declaration_au(
    nom: &str,
    prenoms: &str,
    date_naissance: Option<NaiveDate>,
    piece: PieceIdentite,
    aujourd_hui: NaiveDate,
) -> Result<IdentiteVerifiee, ErreurIdentite> {
    let champ = |(champ, message)| ErreurIdentite::Champ { champ, message };
    let nom = valider_texte(&NOM, nom).map_err(champ)?;
    let prenoms = valider_texte(&PRENOMS, prenoms).map_err(champ)?;
    if let Some(date) = date_naissance {
        valider_date_naissance(date, aujourd_hui).map_err(champ)?;
    }
    Ok(IdentiteVerifiee {
        nom,
        prenoms,
        date_naissance,
        lieu_naissance: None,
        methode: Methode::Document { piece },
    })
}

/// Parses a birth date typed in a form: `AAAA-MM-JJ` (HTML date input) or `JJ/MM/AAAA`.
/// An empty field gives `None`.
pub fn lire_date_naissance(saisie: &str) -> Result<Option<NaiveDate>, ErreurIdentite> {
    let saisie = saisie.trim();
    if saisie.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(saisie, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(saisie, "%d/%m/%Y"))
        .map(Some)
        .map_err(|_| ErreurIdentite::Champ {
            champ: "date_naissance",
            message: "La date de naissance doit être au format JJ/MM/AAAA.".to_owned(),
        })
}

/// Field error: form field name and French message.
pub(crate) type ErreurChamp = (&'static str, String);

/// A text field and how French messages speak of it.
pub(crate) struct Texte {
    /// Form field name.
    pub(crate) champ: &'static str,
    /// Subject of the messages ("Le nom").
    sujet: &'static str,
    /// Whether the subject is plural (verb agreement).
    pluriel: bool,
    /// Whether an empty text is accepted.
    vide_permis: bool,
}

pub(crate) const NOM: Texte = Texte {
    champ: "nom",
    sujet: "Le nom",
    pluriel: false,
    vide_permis: false,
};
pub(crate) const PRENOMS: Texte = Texte {
    champ: "prenoms",
    sujet: "Les prénoms",
    pluriel: true,
    vide_permis: false,
};
pub(crate) const LIEU_NAISSANCE: Texte = Texte {
    champ: "lieu_naissance",
    sujet: "Le lieu de naissance",
    pluriel: false,
    vide_permis: true,
};

impl Texte {
    /// The same field, accepting an empty text.
    pub(crate) const fn vide_permis(self) -> Texte {
        Texte {
            vide_permis: true,
            ..self
        }
    }
}

/// Trims and checks a name-like text: non-empty (unless permitted), at most [`LONGUEUR_MAX`]
/// characters, no control characters.
pub(crate) fn valider_texte(champ: &Texte, texte: &str) -> Result<String, ErreurChamp> {
    let Texte {
        champ: nom_champ,
        sujet,
        pluriel,
        vide_permis,
    } = *champ;
    let (etre, devoir, contenir) = if pluriel {
        ("sont obligatoires", "doivent", "contiennent")
    } else {
        ("est obligatoire", "doit", "contient")
    };
    let texte = texte.trim();
    if texte.is_empty() && !vide_permis {
        return Err((nom_champ, format!("{sujet} {etre}.")));
    }
    if texte.chars().count() > LONGUEUR_MAX {
        return Err((
            nom_champ,
            format!("{sujet} ne {devoir} pas dépasser {LONGUEUR_MAX} caractères."),
        ));
    }
    if texte.chars().any(char::is_control) {
        return Err((
            nom_champ,
            format!("{sujet} {contenir} des caractères non autorisés."),
        ));
    }
    Ok(texte.to_owned())
}

/// Checks that a birth date is between 1900-01-01 and `aujourd_hui`.
pub(crate) fn valider_date_naissance(
    date: NaiveDate,
    aujourd_hui: NaiveDate,
) -> Result<(), ErreurChamp> {
    if date > aujourd_hui {
        return Err((
            "date_naissance",
            "La date de naissance ne peut pas être dans le futur.".to_owned(),
        ));
    }
    if date.year() < 1900 {
        return Err((
            "date_naissance",
            "La date de naissance doit être postérieure au 1er janvier 1900.".to_owned(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jour(a: i32, m: u32, j: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(a, m, j).unwrap()
    }

    const AUJOURD_HUI: (i32, u32, u32) = (2026, 11, 23);

    fn declarer(
        nom: &str,
        prenoms: &str,
        date: Option<NaiveDate>,
    ) -> Result<IdentiteVerifiee, ErreurIdentite> {
        let (a, m, j) = AUJOURD_HUI;
        declaration_au(nom, prenoms, date, PieceIdentite::Passeport, jour(a, m, j))
    }

    fn champ_en_erreur(resultat: Result<IdentiteVerifiee, ErreurIdentite>) -> &'static str {
        match resultat {
            Err(ErreurIdentite::Champ { champ, .. }) => champ,
            autre => panic!("expected a field error, got {autre:?}"),
        }
    }

    #[test]
    fn declaration_valide_rogne_les_espaces() {
        let identite = declarer("  Martin ", " Jeanne  Marie ", Some(jour(1950, 2, 28))).unwrap();
        assert_eq!(identite.nom, "Martin");
        assert_eq!(identite.prenoms, "Jeanne  Marie");
        assert_eq!(identite.date_naissance, Some(jour(1950, 2, 28)));
        assert_eq!(identite.lieu_naissance, None);
        assert_eq!(
            identite.methode,
            Methode::Document {
                piece: PieceIdentite::Passeport
            }
        );
    }

    #[test]
    fn declaration_sans_date_de_naissance() {
        assert_eq!(
            declarer("Martin", "Jeanne", None).unwrap().date_naissance,
            None
        );
    }

    #[test]
    fn nom_et_prenoms_obligatoires() {
        assert_eq!(champ_en_erreur(declarer("   ", "Jeanne", None)), "nom");
        assert_eq!(champ_en_erreur(declarer("Martin", "", None)), "prenoms");
        let erreur = declarer("", "Jeanne", None).unwrap_err();
        assert_eq!(erreur.to_string(), "Le nom est obligatoire.");
        let erreur = declarer("Martin", " ", None).unwrap_err();
        assert_eq!(erreur.to_string(), "Les prénoms sont obligatoires.");
    }

    #[test]
    fn longueur_maximale() {
        let cent = "é".repeat(LONGUEUR_MAX);
        assert!(declarer(&cent, &cent, None).is_ok());
        let trop = "é".repeat(LONGUEUR_MAX + 1);
        assert_eq!(champ_en_erreur(declarer(&trop, "Jeanne", None)), "nom");
        let erreur = declarer("Martin", &trop, None).unwrap_err();
        assert_eq!(
            erreur,
            ErreurIdentite::Champ {
                champ: "prenoms",
                message: "Les prénoms ne doivent pas dépasser 100 caractères.".to_owned()
            }
        );
    }

    #[test]
    fn caracteres_de_controle_refuses() {
        assert_eq!(
            champ_en_erreur(declarer("Mar\u{0}tin", "Jeanne", None)),
            "nom"
        );
        assert_eq!(
            champ_en_erreur(declarer("Martin", "Jea\nnne", None)),
            "prenoms"
        );
    }

    #[test]
    fn date_de_naissance_dans_le_futur_refusee() {
        let (a, m, j) = AUJOURD_HUI;
        assert!(declarer("Martin", "Jeanne", Some(jour(a, m, j))).is_ok());
        let erreur = declarer("Martin", "Jeanne", Some(jour(a, m, j + 1))).unwrap_err();
        assert_eq!(
            erreur,
            ErreurIdentite::Champ {
                champ: "date_naissance",
                message: "La date de naissance ne peut pas être dans le futur.".to_owned()
            }
        );
    }

    #[test]
    fn date_de_naissance_avant_1900_refusee() {
        assert!(declarer("Martin", "Jeanne", Some(jour(1900, 1, 1))).is_ok());
        assert_eq!(
            champ_en_erreur(declarer("Martin", "Jeanne", Some(jour(1899, 12, 31)))),
            "date_naissance"
        );
    }

    #[test]
    fn lecture_de_la_date_saisie() {
        assert_eq!(lire_date_naissance(" ").unwrap(), None);
        assert_eq!(
            lire_date_naissance("1950-02-28").unwrap(),
            Some(jour(1950, 2, 28))
        );
        assert_eq!(
            lire_date_naissance("28/02/1950").unwrap(),
            Some(jour(1950, 2, 28))
        );
        assert!(matches!(
            lire_date_naissance("30/02/1950"),
            Err(ErreurIdentite::Champ {
                champ: "date_naissance",
                ..
            })
        ));
    }

    #[test]
    fn pieces_codes_libelles_et_serde() {
        for piece in PieceIdentite::TOUTES {
            assert_eq!(piece.code().parse::<PieceIdentite>().unwrap(), piece);
            let json = serde_json::to_string(&piece).unwrap();
            assert_eq!(json, format!("\"{}\"", piece.code()));
            assert_eq!(piece.to_string(), piece.libelle());
        }
        assert_eq!(
            " CNI ".parse::<PieceIdentite>().unwrap(),
            PieceIdentite::CarteNationaleIdentite
        );
        assert_eq!(
            PieceIdentite::CarteNationaleIdentite.libelle(),
            "Carte nationale d'identité"
        );
        assert!(matches!(
            "carte_vitale".parse::<PieceIdentite>(),
            Err(ErreurIdentite::Champ { champ: "piece", .. })
        ));
    }

    #[test]
    fn methode_serde() {
        let oidc = Methode::Oidc {
            fournisseur: "https://fc.example".to_owned(),
            sujet: "abc".to_owned(),
        };
        let json = serde_json::to_value(&oidc).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "oidc", "fournisseur": "https://fc.example", "sujet": "abc"})
        );
        assert_eq!(serde_json::from_value::<Methode>(json).unwrap(), oidc);
        let document = Methode::Document {
            piece: PieceIdentite::TitreSejour,
        };
        assert_eq!(
            serde_json::to_value(&document).unwrap(),
            serde_json::json!({"type": "document", "piece": "titre_sejour"})
        );
    }
}

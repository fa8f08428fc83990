//! Errors that make a whole file unreadable. A bad record is never an error: it is rejected
//! and reported in the [`Rapport`](super::Rapport).

/// The file as a whole cannot be read. Messages are in French and give the position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("le fichier est vide")]
    Vide,
    #[error("lecture du fichier impossible : {0}")]
    Lecture(String),
    #[error(
        "le fichier n'est pas encodé en UTF-8 : octet invalide à la position {octet} \
         (ligne {ligne}, colonne {colonne})"
    )]
    PasUtf8 {
        octet: usize,
        ligne: usize,
        colonne: usize,
    },
    #[error("JSON invalide, ligne {ligne}, colonne {colonne} : {message}")]
    Json {
        ligne: usize,
        colonne: usize,
        message: String,
    },
    #[error("CSV illisible, ligne {ligne} : {message}")]
    Csv { ligne: usize, message: String },
    #[error("colonne(s) obligatoire(s) absente(s) de l'en-tête (ligne 1) : {}", .colonnes.join(", "))]
    ColonnesManquantes { colonnes: Vec<String> },
    #[error("{message} (octet {octet})")]
    Structure { octet: usize, message: String },
    #[error(
        "la liste des France Services ne donne pas de date de mise à jour : indiquer une date \
         par défaut (celle du nom du fichier, par exemple)"
    )]
    DateRequise,
    #[error(
        "format non reconnu : {0}. Pour un fichier CSV dans ses propres colonnes, décrivez \
         ses colonnes dans un fichier de correspondance : maillage import --mapping \
         FICHIER.toml (brouillon : maillage import --proposer-mapping FICHIER)"
    )]
    FormatInconnu(String),
    #[error("format d'import inconnu : « {0} » (attendu auto, v1-csv, v1-json, v0-json, geojson, france-services ou data-inclusion ; pour un fichier dans ses propres colonnes : --mapping FICHIER.toml)")]
    NomDeFormat(String),
    /// The column mapping file is unreadable or names what does not exist.
    #[error("fichier de correspondance : {0}")]
    Correspondance(String),
}

/// Line and column (1-based, column in characters) of a byte offset in `bytes`.
pub(crate) fn ligne_colonne(bytes: &[u8], octet: usize) -> (usize, usize) {
    let avant = bytes.get(..octet.min(bytes.len())).unwrap_or_default();
    let ligne = 1 + avant.iter().filter(|&&b| b == b'\n').count();
    let debut = avant.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let colonne = 1 + String::from_utf8_lossy(avant.get(debut..).unwrap_or_default())
        .chars()
        .count();
    (ligne, colonne)
}

/// The text of a file: UTF-8 without its byte-order mark.
pub(crate) fn texte_utf8(bytes: &[u8]) -> Result<&str, ImportError> {
    let sans_bom = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let decale = bytes.len() - sans_bom.len();
    let texte = std::str::from_utf8(sans_bom).map_err(|e| {
        let octet = decale + e.valid_up_to();
        let (ligne, colonne) = ligne_colonne(bytes, octet);
        ImportError::PasUtf8 {
            octet,
            ligne,
            colonne,
        }
    })?;
    if texte.trim().is_empty() {
        return Err(ImportError::Vide);
    }
    Ok(texte)
}

/// A French message for a serde_json error, with its position.
pub(crate) fn erreur_json(e: &serde_json::Error) -> ImportError {
    use serde_json::error::Category;
    let message = match e.classify() {
        Category::Eof => "fin de fichier inattendue (document tronqué ?)".to_string(),
        Category::Syntax => {
            let brut = e.to_string();
            // serde_json's own wording, kept after a French summary for the details.
            let detail = brut.split(" at line ").next().unwrap_or("").to_string();
            format!("erreur de syntaxe ({detail})")
        }
        Category::Data => "structure inattendue".to_string(),
        Category::Io => "lecture impossible".to_string(),
    };
    ImportError::Json {
        ligne: e.line(),
        colonne: e.column(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        assert_eq!(ligne_colonne(b"abc\ndef", 5), (2, 2));
        assert_eq!(ligne_colonne("é\nxy".as_bytes(), 4), (2, 2));
        assert_eq!(ligne_colonne(b"", 10), (1, 1));
    }

    #[test]
    fn not_utf8_gives_the_position_in_french() {
        let e = texte_utf8(b"id,nom\n1,caf\xE9\n").err();
        assert_eq!(
            e,
            Some(ImportError::PasUtf8 {
                octet: 12,
                ligne: 2,
                colonne: 6
            })
        );
        let msg = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("n'est pas encodé en UTF-8"), "{msg}");
        assert!(msg.contains("ligne 2"), "{msg}");
        assert_eq!(texte_utf8(b"\xEF\xBB\xBFid"), Ok("id"));
        assert_eq!(texte_utf8(b"  \n"), Err(ImportError::Vide));
    }

    #[test]
    fn json_errors_are_in_french_with_position() {
        let e = serde_json::from_str::<serde_json::Value>("[\n {\"a\": }").err();
        let e = e.map(|e| erreur_json(&e));
        match e {
            Some(ImportError::Json { ligne, message, .. }) => {
                assert_eq!(ligne, 2);
                assert!(message.starts_with("erreur de syntaxe"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}

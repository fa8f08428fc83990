//! The product's one convention for tables people download (issue « Première utilisation
//! réelle », item 12): every CSV is written the same way, for a spreadsheet set to French,
//! and comes with an XLSX of the same table.
//!
//! - CSV: UTF-8 with a byte-order mark (so that Excel reads the accents), `;` between
//!   fields, CRLF line ends, French column headers in words (« Code INSEE », « Population
//!   fragile estimée »), decimal comma (`12,5`), no thousands separator, empty cell for an
//!   unknown value;
//! - XLSX: the same headers in bold, numbers as numbers (so they sort and sum), codes as text
//!   (leading zeros kept), header row frozen, filter on every column.
//!
//! One exception: `maillage export --format csv`, the national schema of the places of
//! digital inclusion, keeps the schema's own format (`,`, the schema's column names, decimal
//! point): it is a data exchange format, validated by frictionless against the schema, not a
//! table for people (see « Tableaux à télécharger » in `README.md`).

/// A cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Valeur {
    /// Text (codes included: kept as text in the spreadsheet).
    Texte(String),
    /// A number, written with this many decimals (a decimal comma in the CSV).
    Nombre(f64, usize),
    /// An unknown value: an empty cell.
    Vide,
}

impl Valeur {
    /// `Texte`, from anything that is a string.
    pub fn texte(s: impl Into<String>) -> Valeur {
        Valeur::Texte(s.into())
    }

    /// An integer.
    pub fn entier(n: impl Into<f64>) -> Valeur {
        Valeur::Nombre(n.into(), 0)
    }

    /// A number, or an empty cell for `None` (and for a non-finite value).
    pub fn nombre(v: Option<f64>, decimales: usize) -> Valeur {
        match v {
            Some(v) if v.is_finite() => Valeur::Nombre(v, decimales),
            _ => Valeur::Vide,
        }
    }

    /// The cell as the CSV writes it: `12,5`, never `-0`.
    pub fn en_csv(&self) -> String {
        match self {
            Valeur::Texte(s) => s.clone(),
            Valeur::Vide => String::new(),
            Valeur::Nombre(v, d) => {
                let s = format!("{v:.d$}");
                let s = match s.strip_prefix('-') {
                    Some(reste) if reste.chars().all(|c| c == '0' || c == '.') => reste.to_string(),
                    _ => s,
                };
                s.replace('.', ",")
            }
        }
    }
}

/// A table: French column headers and rows of cells.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tableau {
    pub colonnes: Vec<String>,
    pub lignes: Vec<Vec<Valeur>>,
}

/// Why a table could not be written (only the XLSX writer can fail in practice).
#[derive(Debug, thiserror::Error)]
#[error("écriture du tableau : {0}")]
pub struct ErreurTableur(pub String);

fn erreur(e: impl std::fmt::Display) -> ErreurTableur {
    ErreurTableur(e.to_string())
}

impl Tableau {
    pub fn new(colonnes: impl IntoIterator<Item = impl Into<String>>) -> Tableau {
        Tableau {
            colonnes: colonnes.into_iter().map(Into::into).collect(),
            lignes: Vec::new(),
        }
    }

    /// The CSV of the convention (see the module documentation).
    pub fn csv(&self) -> Result<Vec<u8>, ErreurTableur> {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(csv::Terminator::CRLF)
            .from_writer(vec![0xEF, 0xBB, 0xBF]);
        w.write_record(&self.colonnes).map_err(erreur)?;
        for ligne in &self.lignes {
            w.write_record(ligne.iter().map(Valeur::en_csv))
                .map_err(erreur)?;
        }
        w.into_inner().map_err(erreur)
    }

    /// The XLSX of the convention, one sheet named `feuille` (at most 31 characters).
    pub fn xlsx(&self, feuille: &str) -> Result<Vec<u8>, ErreurTableur> {
        use rust_xlsxwriter::{Format, Workbook};
        let mut classeur = Workbook::new();
        let ws = classeur.add_worksheet();
        let nom: String = feuille.chars().take(31).collect();
        ws.set_name(&nom).map_err(erreur)?;
        let gras = Format::new().set_bold();
        for (j, c) in self.colonnes.iter().enumerate() {
            let j = u16::try_from(j).map_err(erreur)?;
            ws.write_string_with_format(0, j, c, &gras)
                .map_err(erreur)?;
        }
        for (i, ligne) in self.lignes.iter().enumerate() {
            let i = u32::try_from(i + 1).map_err(erreur)?;
            for (j, v) in ligne.iter().enumerate() {
                let j = u16::try_from(j).map_err(erreur)?;
                match v {
                    Valeur::Texte(s) if !s.is_empty() => {
                        ws.write_string(i, j, s).map_err(erreur)?;
                    }
                    Valeur::Nombre(x, _) if x.is_finite() => {
                        ws.write_number(i, j, *x).map_err(erreur)?;
                    }
                    _ => {}
                }
            }
        }
        ws.set_freeze_panes(1, 0).map_err(erreur)?;
        if let (Ok(der), Ok(col)) = (
            u32::try_from(self.lignes.len()),
            u16::try_from(self.colonnes.len().saturating_sub(1)),
        ) {
            ws.autofilter(0, 0, der, col).map_err(erreur)?;
        }
        classeur.save_to_buffer().map_err(erreur)
    }
}

/// Reads a CSV of the convention back (tests, tools): headers and rows of text, the
/// byte-order mark skipped.
pub fn lire_csv(octets: &[u8]) -> Result<(Vec<String>, Vec<Vec<String>>), ErreurTableur> {
    let octets = octets.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(octets);
    let mut r = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(octets);
    let colonnes = r
        .headers()
        .map_err(erreur)?
        .iter()
        .map(str::to_string)
        .collect();
    let lignes = r
        .records()
        .map(|l| l.map(|l| l.iter().map(str::to_string).collect()))
        .collect::<Result<_, _>>()
        .map_err(erreur)?;
    Ok((colonnes, lignes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convention_francaise() {
        let mut t = Tableau::new(["Code INSEE", "Commune", "Distance (km)"]);
        t.lignes.push(vec![
            Valeur::texte("01453"),
            Valeur::texte("Arvière; « Valromey »"),
            Valeur::Nombre(12.345, 2),
        ]);
        t.lignes.push(vec![
            Valeur::texte("31555"),
            Valeur::texte("Toulouse"),
            Valeur::Vide,
        ]);
        t.lignes.push(vec![
            Valeur::texte("x"),
            Valeur::texte("y"),
            Valeur::Nombre(-0.001, 1),
        ]);
        let octets = t.csv().expect("csv");
        assert!(octets.starts_with(&[0xEF, 0xBB, 0xBF]));
        let texte = String::from_utf8(octets[3..].to_vec()).expect("utf-8");
        assert_eq!(
            texte,
            "Code INSEE;Commune;Distance (km)\r\n01453;\"Arvière; « Valromey »\";12,35\r\n31555;Toulouse;\r\nx;y;0,0\r\n"
        );
        let (colonnes, lignes) = lire_csv(&t.csv().expect("csv")).expect("read back");
        assert_eq!(colonnes, t.colonnes);
        assert_eq!(lignes[0][1], "Arvière; « Valromey »");
        assert!(t.xlsx("Feuille").expect("xlsx").starts_with(b"PK"));
    }
}

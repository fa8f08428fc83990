//! Writes a large file of valid synthetic places (national standard, v1 JSON or CSV), for the
//! memory measurement of `maillage import` on a 1 GB file (docs/PERFORMANCE.md, issue 14,
//! item 11):
//!
//! ```text
//! cargo run --release -p maillage_annuaire --example genere_gros_fichier -- 1000 json /tmp/gros/valides-1go.json
//! ```
//!
//! Arguments: size in MB (10^6 bytes), `json` or `csv`, output path. The places come from
//! `maillage_annuaire::synthetique` (real communes weighted by population, ~5 % duplicates,
//! "two structures in one building" traps), generated and written 50,000 at a time so that
//! the generator stays small; each gets a unique id (`g` + its number) so that the whole file
//! is one valid source.

use maillage_annuaire::export::{csv_standard, objet_standard};
use maillage_annuaire::synthetique::generer;
use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(taille), Some(format), Some(chemin)) = (args.get(1), args.get(2), args.get(3)) else {
        return Err("usage : genere_gros_fichier TAILLE_MO json|csv FICHIER".into());
    };
    let cible: u64 = taille.parse::<u64>()? * 1_000_000;
    let json = match format.as_str() {
        "json" => true,
        "csv" => false,
        autre => return Err(format!("format inconnu : {autre} (json ou csv)").into()),
    };
    let mut sortie = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(chemin)?);
    let mut ecrits: u64 = 0;
    let mut numero: u64 = 0;
    let mut morceau: u64 = 0;
    let mut places: u64 = 0;
    if json {
        sortie.write_all(b"[")?;
        ecrits += 1;
    }
    'fin: while ecrits < cible {
        let mut lieux: Vec<maillage_domain::Lieu> = generer(50_000, 0.05, 1_000 + morceau)
            .into_iter()
            .map(|l| l.lieu)
            .collect();
        morceau += 1;
        for lieu in &mut lieux {
            lieu.id = format!("g{numero}");
            numero += 1;
        }
        if json {
            for lieu in &lieux {
                let mut octets = serde_json::to_vec(&objet_standard(lieu))?;
                if places > 0 {
                    octets.insert(0, b',');
                }
                sortie.write_all(&octets)?;
                ecrits += octets.len() as u64;
                places += 1;
                if ecrits >= cible {
                    break 'fin;
                }
            }
        } else {
            let mut csv = csv_standard(lieux.iter())?;
            if morceau > 1 {
                // The header only once.
                let fin_entete = csv.iter().position(|&b| b == b'\n').map_or(0, |p| p + 1);
                csv.drain(..fin_entete);
            }
            sortie.write_all(&csv)?;
            ecrits += csv.len() as u64;
            places += lieux.len() as u64;
        }
    }
    if json {
        sortie.write_all(b"]\n")?;
    }
    sortie.flush()?;
    eprintln!("{chemin} : {places} lieux, {ecrits} octets");
    Ok(())
}

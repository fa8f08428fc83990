//! Reading the journal with `COPY … TO STDOUT (FORMAT binary)`.
//!
//! Verifying a journal reads every entry once, in order: one `COPY` per page costs the
//! server about a fifth of what building the same page as rows or as JSON costs, and the
//! binary format needs no unescaping (big-endian integers, raw text and bytes).
//! Format: <https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4>.

use maillage_domain::mandats::{Entree, NouvelleEntree};
use maillage_store::{StoreError, StoreResult};

/// The columns read, in this order, by [`requete_page`] and [`lire_page`].
const COLONNES: i16 = 11;

/// A stream's table and the column of the object its entries are about.
#[derive(Debug, Clone, Copy)]
pub enum Table {
    /// `journal` (`mandat_id`).
    Mandats,
    /// `pass_journal` (`objet_id`, the pass).
    Pass,
}

/// The `COPY` statement of a page of `table`: entries after `apres`, at most `limite`. Both
/// values are integers formatted here (a `COPY` takes no bind parameters); the table and
/// column names are constants.
pub fn requete_page(table: Table, apres: i64, limite: i64) -> String {
    let (nom, objet) = match table {
        Table::Mandats => ("journal", "mandat_id"),
        Table::Pass => ("pass_journal", "objet_id"),
    };
    format!(
        "COPY (SELECT seq, at_us, action, acteur, structure_id, {objet}, usager, demarches, \
         details, prev_hash, hash FROM {nom} WHERE seq > {apres} ORDER BY seq LIMIT {limite}) \
         TO STDOUT (FORMAT binary)"
    )
}

/// Reads a page of `table` by binary `COPY` on `pool`.
pub async fn page(
    pool: &sqlx::PgPool,
    table: Table,
    apres: i64,
    limite: i64,
) -> StoreResult<Vec<Entree>> {
    use crate::DbResult;
    use futures_util::StreamExt;
    use sqlx::postgres::PgPoolCopyExt;
    let requete = requete_page(table, apres, limite.max(0));
    let mut flux = pool.copy_out_raw(&requete).await.db()?;
    // Parsed as it arrives: the parsing overlaps the server's work on the rest.
    let mut lecteur = LecteurCopie::new(COLONNES, lire_entree);
    while let Some(morceau) = flux.next().await {
        lecteur.ajouter(&morceau.db()?)?;
    }
    lecteur.fin()
}

fn erreur(quoi: &str) -> StoreError {
    StoreError::Database(format!("journal COPY data: {quoi}"))
}

pub struct Curseur<'a> {
    octets: &'a [u8],
}

impl<'a> Curseur<'a> {
    fn prendre(&mut self, n: usize) -> StoreResult<&'a [u8]> {
        if self.octets.len() < n {
            return Err(erreur("truncated"));
        }
        let (tete, reste) = self.octets.split_at(n);
        self.octets = reste;
        Ok(tete)
    }

    fn i16(&mut self) -> StoreResult<i16> {
        let b = self.prendre(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    fn i32(&mut self) -> StoreResult<i32> {
        let b = self.prendre(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// One field: `None` for SQL NULL.
    fn champ(&mut self) -> StoreResult<Option<&'a [u8]>> {
        match self.i32()? {
            -1 => Ok(None),
            n if n >= 0 => self.prendre(n as usize).map(Some),
            _ => Err(erreur("negative field length")),
        }
    }

    fn requis(&mut self) -> StoreResult<&'a [u8]> {
        self.champ()?
            .ok_or_else(|| erreur("NULL in a NOT NULL column"))
    }

    fn entier(&mut self) -> StoreResult<i64> {
        entier(self.requis()?)
    }

    fn entier_ou_nul(&mut self) -> StoreResult<Option<i64>> {
        self.champ()?.map(entier).transpose()
    }

    fn texte(&mut self) -> StoreResult<String> {
        texte(self.requis()?)
    }

    fn texte_ou_nul(&mut self) -> StoreResult<Option<String>> {
        self.champ()?.map(texte).transpose()
    }

    /// A stored hash: one of the wrong length (tampered) becomes a value no SHA-256
    /// equals, so verification names the entry instead of failing to read it.
    fn hash(&mut self) -> StoreResult<[u8; 32]> {
        Ok(<[u8; 32]>::try_from(self.requis()?).unwrap_or([0xff; 32]))
    }
}

fn entier(b: &[u8]) -> StoreResult<i64> {
    <[u8; 8]>::try_from(b)
        .map(i64::from_be_bytes)
        .map_err(|_| erreur("bigint of the wrong size"))
}

fn texte(b: &[u8]) -> StoreResult<String> {
    String::from_utf8(b.to_vec()).map_err(|_| erreur("text that is not UTF-8"))
}

/// Parses the whole output of [`requete_page`] at once (the entry point of the tests and
/// of the fuzz target `copie_page`; [`page`] parses as the output arrives, with the same
/// reader).
pub fn lire_page(octets: &[u8]) -> StoreResult<Vec<Entree>> {
    let mut lecteur = LecteurCopie::new(COLONNES, lire_entree);
    lecteur.ajouter(octets)?;
    lecteur.fin()
}

/// One journal entry (the columns of [`requete_page`]).
fn lire_entree(c: &mut Curseur<'_>) -> StoreResult<Entree> {
    let seq = c.entier()?;
    let at_us = c.entier()?;
    let action = c.texte()?;
    let acteur = c.texte()?;
    let structure_id = c.entier_ou_nul()?;
    let mandat_id = c.entier_ou_nul()?;
    let usager = c.texte_ou_nul()?;
    let demarches = c.texte()?;
    let details = c.texte()?;
    let prev_hash = c.hash()?;
    let hash = c.hash()?;
    if !c.octets.is_empty() {
        return Err(erreur("data after the last column"));
    }
    Ok(Entree {
        seq,
        contenu: NouvelleEntree {
            at_us,
            action,
            acteur,
            structure_id,
            mandat_id,
            usager,
            demarches,
            details,
        },
        prev_hash,
        hash,
    })
}

// --- a place's redemptions (the monthly statement) ---

/// The columns of [`requete_utilisations`], in this order.
const COLONNES_UTILISATIONS: i16 = 14;

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC), for binary
/// `timestamptz` values.
const EPOQUE_PG_US: i64 = 946_684_800_000_000;

/// The `COPY` of a place's redemptions in `[debut, fin)`: the same rows as the shared
/// `__select_utilisations!` with that filter, in no order (sorted by time then id by
/// [`utilisations_du_lieu`]: the server then neither sorts a month nor joins `pass`, the
/// redemption keeps its pass's code). The place is an integer and the bounds RFC 3339
/// timestamps formatted here (a `COPY` takes no bind parameters).
pub fn requete_utilisations(
    structure_id: i64,
    debut: chrono::DateTime<chrono::Utc>,
    fin: chrono::DateTime<chrono::Utc>,
) -> String {
    use chrono::SecondsFormat::Micros;
    format!(
        "COPY (SELECT u.id, u.pass_id, u.code, u.structure_id, u.nonce, u.cle_api_id, \
         u.compte_id, u.activite_id, u.valeur_centimes, u.utilise_at, u.journal_seq, u.forcee, \
         i.decision, i.decision_seq \
         FROM pass_utilisations u LEFT JOIN pass_incidents i ON i.utilisation_id = u.id \
         WHERE u.structure_id = {structure_id} AND u.utilise_at >= '{}' AND u.utilise_at < '{}') \
         TO STDOUT (FORMAT binary)",
        debut.to_rfc3339_opts(Micros, true),
        fin.to_rfc3339_opts(Micros, true)
    )
}

/// A place's redemptions in `[debut, fin)` by binary `COPY`, parsed as the server sends
/// them (no row goes through sqlx's decoding; the parsing overlaps the server's work).
pub async fn utilisations_du_lieu(
    pool: &sqlx::PgPool,
    structure_id: i64,
    debut: chrono::DateTime<chrono::Utc>,
    fin: chrono::DateTime<chrono::Utc>,
) -> StoreResult<Vec<maillage_store::pass::UtilisationRow>> {
    use crate::DbResult;
    use futures_util::StreamExt;
    use sqlx::postgres::PgPoolCopyExt;
    let mut flux = pool
        .copy_out_raw(&requete_utilisations(structure_id, debut, fin))
        .await
        .db()?;
    let mut lecteur = LecteurCopie::new(COLONNES_UTILISATIONS, lire_utilisation);
    while let Some(morceau) = flux.next().await {
        lecteur.ajouter(&morceau.db()?)?;
    }
    let mut lignes = lecteur.fin()?;
    // Nearly in order already (rows are written as they happen): cheap.
    lignes.sort_unstable_by_key(|l| (l.at, l.id));
    Ok(lignes)
}

/// Parses binary `COPY` output as it arrives, in pieces of any size: rows of `colonnes`
/// columns, each read by `lire`.
pub struct LecteurCopie<T> {
    tampon: Vec<u8>,
    /// Bytes of `tampon` already parsed.
    lu: usize,
    entete: bool,
    termine: bool,
    colonnes: i16,
    lire: fn(&mut Curseur<'_>) -> StoreResult<T>,
    lignes: Vec<T>,
}

impl<T> LecteurCopie<T> {
    pub fn new(colonnes: i16, lire: fn(&mut Curseur<'_>) -> StoreResult<T>) -> Self {
        LecteurCopie {
            tampon: Vec::new(),
            lu: 0,
            entete: false,
            termine: false,
            colonnes,
            lire,
            lignes: Vec::new(),
        }
    }

    /// Adds a piece of the `COPY` output and parses every complete row in it.
    pub fn ajouter(&mut self, morceau: &[u8]) -> StoreResult<()> {
        if self.lu == self.tampon.len() {
            self.tampon.clear();
            self.lu = 0;
        } else if self.lu > 1 << 20 {
            self.tampon.drain(..self.lu);
            self.lu = 0;
        }
        self.tampon.extend_from_slice(morceau);
        self.analyser()
    }

    fn analyser(&mut self) -> StoreResult<()> {
        const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";
        if !self.entete {
            let reste = &self.tampon[self.lu..];
            let fixe = SIGNATURE.len() + 8;
            if reste.len() < fixe {
                return Ok(());
            }
            if &reste[..SIGNATURE.len()] != SIGNATURE {
                return Err(erreur("not binary COPY output"));
            }
            let n = SIGNATURE.len() + 4;
            let extension =
                i32::from_be_bytes([reste[n], reste[n + 1], reste[n + 2], reste[n + 3]]);
            let extension =
                usize::try_from(extension).map_err(|_| erreur("negative header extension"))?;
            if reste.len() < fixe + extension {
                return Ok(());
            }
            self.lu += fixe + extension;
            self.entete = true;
        }
        while !self.termine {
            let reste = &self.tampon[self.lu..];
            let Some(taille) = taille_tuple(reste)? else {
                return Ok(());
            };
            let mut c = Curseur {
                octets: &reste[..taille],
            };
            match c.i16()? {
                -1 => {
                    self.termine = true;
                }
                n if n == self.colonnes => self.lignes.push((self.lire)(&mut c)?),
                _ => return Err(erreur("unexpected number of columns")),
            }
            self.lu += taille;
        }
        Ok(())
    }

    /// The rows, once the trailer was read and nothing follows it.
    pub fn fin(self) -> StoreResult<Vec<T>> {
        if !self.termine || self.lu != self.tampon.len() {
            return Err(erreur(if self.termine {
                "data after the trailer"
            } else {
                "truncated"
            }));
        }
        Ok(self.lignes)
    }
}

/// The size of the tuple (or trailer) at the start of `octets`, `None` while incomplete.
fn taille_tuple(octets: &[u8]) -> StoreResult<Option<usize>> {
    let Some(n) = octets.get(..2) else {
        return Ok(None);
    };
    let n = i16::from_be_bytes([n[0], n[1]]);
    if n == -1 {
        return Ok(Some(2));
    }
    let n = usize::try_from(n).map_err(|_| erreur("negative number of columns"))?;
    let mut p = 2;
    for _ in 0..n {
        let Some(l) = octets.get(p..p + 4) else {
            return Ok(None);
        };
        let l = i32::from_be_bytes([l[0], l[1], l[2], l[3]]);
        p += 4;
        match l {
            -1 => {}
            l if l >= 0 => p += l as usize,
            _ => return Err(erreur("negative field length")),
        }
        if p > octets.len() {
            return Ok(None);
        }
    }
    Ok(Some(p))
}

fn lire_utilisation(c: &mut Curseur<'_>) -> StoreResult<maillage_store::pass::UtilisationRow> {
    let id = c.entier()?;
    let pass_id = c.entier()?;
    let code = c.texte()?;
    let structure_id = c.entier()?;
    let nonce = c.texte()?;
    let cle_api_id = c.entier_ou_nul()?;
    let compte_id = c.entier_ou_nul()?;
    let activite_id = c.entier_ou_nul()?;
    let valeur_centimes = c.entier()?;
    let micros = c.entier()?;
    let at = chrono::DateTime::from_timestamp_micros(micros.saturating_add(EPOQUE_PG_US))
        .ok_or_else(|| erreur("timestamp out of range"))?;
    let journal_seq = c.entier()?;
    let forcee = match c.requis()? {
        [b] => *b != 0,
        _ => return Err(erreur("boolean of the wrong size")),
    };
    let decision = c.texte_ou_nul()?;
    let decision_seq = c.entier_ou_nul()?;
    if !c.octets.is_empty() {
        return Err(erreur("data after the last column"));
    }
    Ok(maillage_store::pass::UtilisationRow {
        id,
        pass_id,
        code,
        structure_id,
        nonce,
        cle_api_id,
        compte_id,
        activite_id,
        valeur_centimes,
        at,
        journal_seq,
        forcee,
        decision,
        decision_seq,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn champ(v: &mut Vec<u8>, b: Option<&[u8]>) {
        match b {
            None => v.extend_from_slice(&(-1i32).to_be_bytes()),
            Some(b) => {
                v.extend_from_slice(&(b.len() as i32).to_be_bytes());
                v.extend_from_slice(b);
            }
        }
    }

    fn page(hash_len: usize) -> Vec<u8> {
        let mut v = b"PGCOPY\n\xff\r\n\0".to_vec();
        v.extend_from_slice(&0i32.to_be_bytes());
        v.extend_from_slice(&4i32.to_be_bytes());
        v.extend_from_slice(b"ext!");
        v.extend_from_slice(&COLONNES.to_be_bytes());
        champ(&mut v, Some(&7i64.to_be_bytes()));
        champ(&mut v, Some(&1_700_000_000_000_000i64.to_be_bytes()));
        champ(&mut v, Some(b"utilisation"));
        champ(&mut v, Some("aidant:3 é".as_bytes()));
        champ(&mut v, None);
        champ(&mut v, Some(&42i64.to_be_bytes()));
        champ(&mut v, Some(b"u-1"));
        champ(&mut v, Some(b"social"));
        champ(&mut v, Some(b"{}"));
        champ(&mut v, Some(&[1u8; 32]));
        champ(&mut v, Some(&vec![2u8; hash_len]));
        v.extend_from_slice(&(-1i16).to_be_bytes());
        v
    }

    #[test]
    fn reads_a_binary_copy_page() {
        let e = lire_page(&page(32)).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].seq, e[0].contenu.at_us), (7, 1_700_000_000_000_000));
        assert_eq!(e[0].contenu.acteur, "aidant:3 é");
        assert_eq!(
            (e[0].contenu.structure_id, e[0].contenu.mandat_id),
            (None, Some(42))
        );
        assert_eq!(e[0].contenu.usager.as_deref(), Some("u-1"));
        assert_eq!((e[0].prev_hash, e[0].hash), ([1; 32], [2; 32]));
    }

    /// Two redemptions (one with NULLs, one forced and decided) as the server sends them.
    fn page_utilisations() -> Vec<u8> {
        let mut v = b"PGCOPY\n\xff\r\n\0".to_vec();
        v.extend_from_slice(&0i32.to_be_bytes());
        v.extend_from_slice(&0i32.to_be_bytes());
        for (id, forcee) in [(1i64, false), (2, true)] {
            v.extend_from_slice(&COLONNES_UTILISATIONS.to_be_bytes());
            champ(&mut v, Some(&id.to_be_bytes()));
            champ(&mut v, Some(&(10 + id).to_be_bytes()));
            champ(&mut v, Some(format!("CODE{id}").as_bytes()));
            champ(&mut v, Some(&7i64.to_be_bytes()));
            champ(&mut v, Some("nonce é;1".as_bytes()));
            champ(&mut v, forcee.then_some(&3i64.to_be_bytes()[..]));
            champ(&mut v, None);
            champ(&mut v, Some(&(40 + id).to_be_bytes()));
            champ(&mut v, Some(&1_000i64.to_be_bytes()));
            // 2026-11-01T00:00:00Z in microseconds from 2000-01-01.
            let us = 1_793_491_200_000_000i64 - EPOQUE_PG_US + id;
            champ(&mut v, Some(&us.to_be_bytes()));
            champ(&mut v, Some(&(100 + id).to_be_bytes()));
            champ(&mut v, Some(&[u8::from(forcee)]));
            champ(&mut v, forcee.then_some(&b"acceptee"[..]));
            champ(&mut v, forcee.then_some(&200i64.to_be_bytes()[..]));
        }
        v.extend_from_slice(&(-1i16).to_be_bytes());
        v
    }

    #[test]
    fn reads_a_place_s_redemptions_in_pieces_of_any_size() {
        let octets = page_utilisations();
        for taille in [1, 2, 3, 7, 64, octets.len()] {
            let mut l = LecteurCopie::new(COLONNES_UTILISATIONS, lire_utilisation);
            for morceau in octets.chunks(taille) {
                l.ajouter(morceau).unwrap();
            }
            let lignes = l.fin().unwrap();
            assert_eq!(lignes.len(), 2, "pieces of {taille}");
            let (a, b) = (&lignes[0], &lignes[1]);
            assert_eq!((a.id, a.pass_id, a.code.as_str()), (1, 11, "CODE1"));
            assert_eq!((a.structure_id, a.nonce.as_str()), (7, "nonce é;1"));
            assert_eq!(
                (a.cle_api_id, a.compte_id, a.activite_id),
                (None, None, Some(41))
            );
            assert_eq!(a.at.to_rfc3339(), "2026-11-01T00:00:00.000001+00:00");
            assert_eq!(
                (a.journal_seq, a.forcee, a.decision.as_deref()),
                (101, false, None)
            );
            assert_eq!(
                (b.cle_api_id, b.forcee, b.decision.as_deref()),
                (Some(3), true, Some("acceptee"))
            );
            assert_eq!(b.decision_seq, Some(200));
        }
    }

    #[test]
    fn malformed_redemptions_are_an_error_not_a_panic() {
        let bonne = page_utilisations();
        for n in 0..bonne.len() {
            let mut l = LecteurCopie::new(COLONNES_UTILISATIONS, lire_utilisation);
            let r = l.ajouter(&bonne[..n]).and_then(|()| l.fin());
            assert!(r.is_err(), "truncated at {n}");
        }
        let mut apres = bonne.clone();
        apres.push(0);
        let mut l = LecteurCopie::new(COLONNES_UTILISATIONS, lire_utilisation);
        assert!(l.ajouter(&apres).and_then(|()| l.fin()).is_err());
        // A boolean of two bytes.
        let mut l = LecteurCopie::new(COLONNES_UTILISATIONS, lire_utilisation);
        let mut faux = page_utilisations();
        let i = faux.len() - 2 - (4 + 8) - (4 + 8) - (4 + 1) - 4 - 8;
        assert_eq!(faux[i..i + 4], 8i32.to_be_bytes(), "journal_seq's length");
        let j = i + 4 + 8;
        faux.splice(j..j + 5, [0, 0, 0, 2, 1, 1]);
        assert!(l.ajouter(&faux).and_then(|()| l.fin()).is_err());
    }

    #[test]
    fn tampered_hash_length_reads_as_an_impossible_hash() {
        assert_eq!(lire_page(&page(31)).unwrap()[0].hash, [0xff; 32]);
    }

    #[test]
    fn malformed_copy_data_is_an_error_not_a_panic() {
        let bonne = page(32);
        for n in 0..bonne.len() {
            assert!(lire_page(&bonne[..n]).is_err(), "truncated at {n}");
        }
        let mut apres = bonne.clone();
        apres.push(0);
        assert!(lire_page(&apres).is_err());
        let mut nul = bonne.clone();
        // seq replaced by NULL: same length prefix position, -1.
        let debut = 11 + 4 + 4 + 4 + 2;
        nul.splice(debut..debut + 12, (-1i32).to_be_bytes());
        assert!(lire_page(&nul).is_err());
        assert_eq!(
            lire_page(b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0\xff\xff").unwrap(),
            vec![]
        );
    }
}

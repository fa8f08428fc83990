//! Where an import reads its bytes from: bytes in memory, or a file read as a stream (a
//! 1 GB file is never held in memory). Each reading pass (UTF-8 check, format detection,
//! reading) opens the content again from its start.

use super::erreur::ImportError;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;

/// The UTF-8 byte-order mark, skipped.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Buffer of a file being read.
const TAMPON: usize = 256 * 1024;

/// Content to import, opened once per reading pass.
pub trait Contenu: Sync {
    /// A reader from the first byte, byte-order mark included.
    fn ouvrir_brut(&self) -> std::io::Result<Box<dyn BufRead + '_>>;

    /// The whole content, when it is in memory (read faster than through a reader).
    fn octets(&self) -> Option<&[u8]> {
        None
    }

    /// A file named `nom` in the same directory, when the content is a file on disk (the
    /// data·inclusion services beside its structures).
    fn voisin(&self, _nom: &str) -> Option<PathBuf> {
        None
    }

    /// A reader from the first byte after the byte-order mark.
    fn ouvrir(&self) -> Result<Box<dyn BufRead + '_>, ImportError> {
        let mut r = self.ouvrir_brut().map_err(lecture)?;
        if r.fill_buf().map_err(lecture)?.starts_with(BOM) {
            r.consume(BOM.len());
        }
        Ok(r)
    }
}

/// Bytes in memory.
pub struct Octets<'a>(pub &'a [u8]);

impl Contenu for Octets<'_> {
    fn ouvrir_brut(&self) -> std::io::Result<Box<dyn BufRead + '_>> {
        Ok(Box::new(self.0))
    }

    fn octets(&self) -> Option<&[u8]> {
        Some(self.0.strip_prefix(BOM).unwrap_or(self.0))
    }
}

/// A file on disk.
pub struct Fichier(pub PathBuf);

impl Contenu for Fichier {
    fn ouvrir_brut(&self) -> std::io::Result<Box<dyn BufRead + '_>> {
        Ok(Box::new(BufReader::with_capacity(
            TAMPON,
            std::fs::File::open(&self.0)?,
        )))
    }

    fn voisin(&self, nom: &str) -> Option<PathBuf> {
        Some(self.0.parent()?.join(nom))
    }
}

pub(crate) fn lecture(e: std::io::Error) -> ImportError {
    use std::io::ErrorKind;
    ImportError::Lecture(match e.kind() {
        ErrorKind::NotFound => "fichier introuvable".to_string(),
        ErrorKind::PermissionDenied => "accès refusé".to_string(),
        ErrorKind::IsADirectory => "c'est un répertoire".to_string(),
        _ => format!("erreur du système ({e})"),
    })
}

/// Checks, reading it once as a stream, that the content is UTF-8 and not blank: the same
/// errors, at the same positions, as [`super::erreur::texte_utf8`] on the whole bytes.
pub(crate) fn verifier_utf8(contenu: &dyn Contenu) -> Result<(), ImportError> {
    let mut r = contenu.ouvrir_brut().map_err(lecture)?;
    let mut octet = 0usize; // bytes checked before `reste`
    let mut ligne = 1usize;
    let mut colonne = 1usize; // of the next character
    let mut bom = true;
    let mut plein = false;
    let mut reste: Vec<u8> = Vec::new(); // an incomplete character at a buffer's end
    loop {
        let tampon = r.fill_buf().map_err(lecture)?;
        if tampon.is_empty() {
            if !reste.is_empty() {
                return Err(ImportError::PasUtf8 {
                    octet,
                    ligne,
                    colonne,
                });
            }
            break;
        }
        let n = tampon.len();
        let mut morceau = std::mem::take(&mut reste);
        morceau.extend_from_slice(tampon);
        r.consume(n);
        let mut valides = |t: &str| {
            let t = if bom {
                bom = false;
                t.strip_prefix('\u{feff}').unwrap_or(t)
            } else {
                t
            };
            if !plein && !t.trim().is_empty() {
                plein = true;
            }
            match t.rfind('\n') {
                Some(i) => {
                    ligne += t.matches('\n').count();
                    colonne = 1 + t.get(i + 1..).unwrap_or_default().chars().count();
                }
                None => colonne += t.chars().count(),
            }
        };
        match std::str::from_utf8(&morceau) {
            Ok(t) => {
                valides(t);
                octet += morceau.len();
            }
            Err(e) => {
                let bon = e.valid_up_to();
                valides(std::str::from_utf8(morceau.get(..bon).unwrap_or_default()).unwrap_or(""));
                if e.error_len().is_some() {
                    return Err(ImportError::PasUtf8 {
                        octet: octet + bon,
                        ligne,
                        colonne,
                    });
                }
                octet += bon;
                reste = morceau.get(bon..).unwrap_or_default().to_vec();
            }
        }
    }
    if plein {
        Ok(())
    } else {
        Err(ImportError::Vide)
    }
}

/// A reader that turns every `\r\n` into `\n` (a lone `\r` is kept). The csv crate counts
/// a `\r\n` line end as a record end followed by an empty line start, and numbers the next
/// record's line one too low; without `\r` its line numbers are the file's.
pub(crate) struct SansCr<R> {
    interieur: R,
    /// A `\r` ending the previous buffer, not yet known to be followed by `\n`.
    cr: bool,
}

impl<R: BufRead> SansCr<R> {
    pub fn new(interieur: R) -> Self {
        Self {
            interieur,
            cr: false,
        }
    }
}

impl<R: BufRead> Read for SansCr<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            let tampon = self.interieur.fill_buf()?;
            if tampon.is_empty() {
                // End of input: a held `\r` was a lone one.
                if std::mem::take(&mut self.cr) {
                    out[0] = b'\r';
                    return Ok(1);
                }
                return Ok(0);
            }
            let mut ecrit = 0;
            if std::mem::take(&mut self.cr) && tampon.first() != Some(&b'\n') {
                out[0] = b'\r';
                ecrit = 1;
            }
            let mut lu = 0;
            while lu < tampon.len() && ecrit < out.len() {
                let b = tampon[lu];
                if b == b'\r' {
                    match tampon.get(lu + 1) {
                        None => {
                            self.cr = true;
                            lu += 1;
                            break;
                        }
                        Some(b'\n') => {
                            lu += 1;
                            continue;
                        }
                        Some(_) => {}
                    }
                }
                out[ecrit] = b;
                ecrit += 1;
                lu += 1;
            }
            self.interieur.consume(lu);
            if ecrit > 0 {
                return Ok(ecrit);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sans_cr(bytes: &[u8], morceaux: usize) -> Vec<u8> {
        /// Hands its bytes `morceaux` at a time.
        struct Lent<'a>(&'a [u8], usize);
        impl Read for Lent<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.1.min(out.len()).min(self.0.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut out = Vec::new();
        let mut r = SansCr::new(BufReader::with_capacity(morceaux, Lent(bytes, morceaux)));
        let mut tampon = [0u8; 3];
        loop {
            let n = r.read(&mut tampon).unwrap_or(0);
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&tampon[..n]);
        }
    }

    #[test]
    fn crlf_becomes_lf_across_buffer_ends() {
        for morceaux in 1..6 {
            assert_eq!(sans_cr(b"a\r\nb\r\n", morceaux), b"a\nb\n", "{morceaux}");
            assert_eq!(
                sans_cr(b"\r\r\n\rx\r", morceaux),
                b"\r\n\rx\r",
                "{morceaux}"
            );
            assert_eq!(sans_cr(b"", morceaux), b"", "{morceaux}");
            assert_eq!(sans_cr(b"\r\n\r\n", morceaux), b"\n\n", "{morceaux}");
        }
    }

    #[test]
    fn streamed_utf8_check_matches_the_whole_check() {
        let cas: [&[u8]; 6] = [
            b"id,nom\n1,caf\xE9\n",
            b"\xEF\xBB\xBF\xC3\xA9\nx\xC3\xA9\n\xFF",
            b"  \n",
            b"ok\n",
            b"ab\xE2\x82",
            b"",
        ];
        for bytes in cas {
            let attendu = super::super::erreur::texte_utf8(bytes).map(|_| ());
            assert_eq!(verifier_utf8(&Octets(bytes)), attendu, "{bytes:?}");
        }
    }
}

//! The "fiche d'orientation" as a PDF: an A4 sheet a mediator prints and hands to a person,
//! listing the chosen help places (address, phone, e-mail, opening hours, access, services).
//!
//! Dependency-free writer: PDF 1.4, the standard 14 fonts Helvetica and Helvetica-Bold in
//! `/WinAnsiEncoding` (so French text is written as cp1252 bytes), uncompressed content
//! streams, a classic xref table. Lines are wrapped by measuring text with the Adobe AFM
//! widths of both fonts. Content that does not fit one page flows onto further pages, each
//! with the footer and "page i/n". The output depends on the input only (no clock, no random
//! identifier), and no input makes it panic.

use std::fmt::Write as _;

/// What the sheet shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FichePdf {
    /// Title, e.g. "Fiche d'orientation".
    pub titre: String,
    /// Name of the territory's site.
    pub territoire: String,
    /// The person's need, as the mediator wrote it.
    pub besoin: Option<String>,
    /// The person's first name, if they want it on the sheet.
    pub pour: Option<String>,
    /// Date as it should be printed, e.g. "23 novembre 2026".
    pub date: String,
    /// The chosen places, in the order to print them.
    pub lieux: Vec<LieuPdf>,
    /// Footer on every page: data source and URL.
    pub pied: String,
}

/// One help place on the sheet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LieuPdf {
    pub nom: String,
    /// Address on one line.
    pub adresse: String,
    pub telephone: Option<String>,
    pub courriel: Option<String>,
    /// (day, hours), e.g. ("Lundi", "9 h – 12 h, 14 h – 17 h").
    pub horaires: Vec<(String, String)>,
    /// How to get there, accessibility.
    pub acces: Option<String>,
    pub services: Option<String>,
    /// Distance from the person, already formatted ("1,2 km").
    pub distance: Option<String>,
}

/// Writes the sheet as a complete PDF file.
pub fn fiche_pdf(f: &FichePdf) -> Vec<u8> {
    let pied = Pied::nouveau(&f.pied);
    let mut mise = Mise::nouvelle(pied.bas_du_contenu());
    composer(f, &mut mise);
    let mut pages = mise.pages;
    pied.ajouter(&mut pages);
    ecrire_pdf(&pages, &f.titre)
}

// ---------------------------------------------------------------------------------------------
// Page geometry (PDF points, origin bottom left).

const PAGE_L: f64 = 595.0;
const PAGE_H: f64 = 842.0;
const MARGE: f64 = 50.0;
/// Width of the text box: everything is drawn between `MARGE` and `PAGE_L - MARGE`.
const LARGEUR_TEXTE: f64 = PAGE_L - 2.0 * MARGE;
const HAUT: f64 = PAGE_H - MARGE;
/// Width of the label column ("Adresse", "Téléphone", …).
const COLONNE_ETIQUETTE: f64 = 80.0;
const X_VALEUR: f64 = MARGE + COLONNE_ETIQUETTE;
const LARGEUR_VALEUR: f64 = LARGEUR_TEXTE - COLONNE_ETIQUETTE;
/// Body text size.
const CORPS: f64 = 10.0;
const INTERLIGNE: f64 = 1.3;
const GRIS_ETIQUETTE: f64 = 0.35;

// ---------------------------------------------------------------------------------------------
// Fonts and metrics.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Police {
    Normale,
    Grasse,
}

impl Police {
    fn ressource(self) -> &'static str {
        match self {
            Police::Normale => "F1",
            Police::Grasse => "F2",
        }
    }

    fn largeurs(self) -> &'static [u16; 224] {
        match self {
            Police::Normale => &HELVETICA_LARGEURS,
            Police::Grasse => &HELVETICA_GRAS_LARGEURS,
        }
    }
}

/// Advance widths (1/1000 em) of Helvetica for WinAnsi codes 32..=255, from Adobe's AFM file
/// (Core 14 metrics). 0 for the codes WinAnsi leaves undefined (127, 129, 141, 143, 144, 157),
/// which this writer never emits.
#[rustfmt::skip]
const HELVETICA_LARGEURS: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // 32..=47
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 48..=63
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // 64..=79
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 80..=95
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // 96..=111
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0, // 112..=127
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, // 128..=143
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667, // 144..=159
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 160..=175
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 176..=191
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 192..=207
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 208..=223
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, // 224..=239
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500, // 240..=255
];

/// Same for Helvetica-Bold.
#[rustfmt::skip]
const HELVETICA_GRAS_LARGEURS: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // 32..=47
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 48..=63
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // 64..=79
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // 80..=95
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // 96..=111
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0, // 112..=127
    556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, // 128..=143
    0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667, // 144..=159
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 160..=175
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 176..=191
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 192..=207
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 208..=223
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, // 224..=239
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556, // 240..=255
];

/// Width in 1/1000 em of cp1252 bytes (codes below 32 count 0: they are never emitted).
fn unites(octets: &[u8], police: Police) -> u64 {
    let table = police.largeurs();
    octets
        .iter()
        .map(|&b| {
            usize::from(b)
                .checked_sub(32)
                .and_then(|i| table.get(i))
                .map_or(0, |&w| u64::from(w))
        })
        .sum()
}

/// Width in points of cp1252 bytes set in `police` at `taille` points.
fn largeur(octets: &[u8], police: Police, taille: f64) -> f64 {
    unites(octets, police) as f64 * taille / 1000.0
}

// ---------------------------------------------------------------------------------------------
// Text to WinAnsi (cp1252).

/// The cp1252 byte of `c`, if cp1252 has it (printable characters only).
fn cp1252(c: char) -> Option<u8> {
    let u = u32::from(c);
    if (0x20..=0x7E).contains(&u) || (0xA0..=0xFF).contains(&u) {
        return u8::try_from(u).ok();
    }
    Some(match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => return None,
    })
}

/// Latin Extended-A (U+0100..=U+017F) without its accent, for the letters cp1252 lacks
/// (ă, ł, ő, ś…). Entries for letters cp1252 has (Œ, Š, Ÿ, Ž…) are never used.
const LATIN_ETENDU_A: &[u8; 128] = b"AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiIiJjKkkLlLlLlLlLlNnNnNnnNnOoOoOoOoRrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";

/// A close ASCII (or cp1252) spelling of a character cp1252 lacks, or `None` for "?".
fn repli(c: char) -> Option<&'static [u8]> {
    let u = u32::from(c);
    if (0x100..=0x17F).contains(&u) {
        let i = usize::try_from(u - 0x100).ok()?;
        return LATIN_ETENDU_A.get(i..i + 1);
    }
    Some(match c {
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2212}' | '\u{2043}' => b"-",
        '\u{2015}' => b"\x97",
        '\u{2032}' | '\u{02BC}' | '\u{02B9}' => b"\x92",
        '\u{2033}' => b"\"",
        '\u{2022}' | '\u{2023}' | '\u{25CF}' | '\u{25E6}' | '\u{2219}' => b"\x95",
        '\u{2190}' => b"<-",
        '\u{2192}' => b"->",
        '\u{2194}' => b"<->",
        '\u{21D2}' => b"=>",
        '\u{2264}' => b"<=",
        '\u{2265}' => b">=",
        '\u{2260}' => b"!=",
        '\u{2248}' => b"~",
        '\u{2713}' | '\u{2714}' => b"v",
        '\u{FB00}' => b"ff",
        '\u{FB01}' => b"fi",
        '\u{FB02}' => b"fl",
        '\u{FB03}' => b"ffi",
        '\u{FB04}' => b"ffl",
        '\u{0218}' => b"S",
        '\u{0219}' => b"s",
        '\u{021A}' => b"T",
        '\u{021B}' => b"t",
        '\u{2116}' => b"No",
        _ => return None,
    })
}

/// Base letter + combining accent (text typed on some systems arrives decomposed: "e\u{301}").
fn composer_accent(base: u8, accent: char) -> Option<u8> {
    let (bases, composes): (&[u8], &str) = match accent {
        '\u{300}' => (b"AEIOUaeiou", "ÀÈÌÒÙàèìòù"),
        '\u{301}' => (b"AEIOUYaeiouy", "ÁÉÍÓÚÝáéíóúý"),
        '\u{302}' => (b"AEIOUaeiou", "ÂÊÎÔÛâêîôû"),
        '\u{303}' => (b"ANOano", "ÃÑÕãñõ"),
        '\u{308}' => (b"AEIOUYaeiouy", "ÄËÏÖÜŸäëïöüÿ"),
        '\u{30A}' => (b"Aa", "Åå"),
        '\u{327}' => (b"Cc", "Çç"),
        '\u{30C}' => (b"SZsz", "ŠŽšž"),
        _ => return None,
    };
    let i = bases.iter().position(|&b| b == base)?;
    composes.chars().nth(i).and_then(cp1252)
}

/// Text as cp1252 bytes. Spaces of any kind become one space (non-breaking ones, including
/// the narrow one French puts before « ; : ! ? », become the non-breaking space 0xA0), line
/// breaks become `\n`, other control and invisible characters are dropped, decomposed
/// accents are composed, and characters cp1252 lacks get a close fallback or "?".
fn encoder(texte: &str) -> Vec<u8> {
    let mut sortie: Vec<u8> = Vec::with_capacity(texte.len());
    for c in texte.chars() {
        match c {
            '\r' => {}
            '\n' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => sortie.push(b'\n'),
            '\u{A0}' | '\u{202F}' | '\u{2007}' => sortie.push(0xA0),
            '\u{300}'..='\u{36F}' => {
                if let Some(compose) = sortie.last().and_then(|&b| composer_accent(b, c)) {
                    sortie.pop();
                    sortie.push(compose);
                }
            }
            '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{AD}'
            | '\u{E0000}'..='\u{E007F}' => {}
            _ if c.is_whitespace() => sortie.push(b' '),
            _ if c.is_control() => {}
            _ => match cp1252(c) {
                Some(b) => sortie.push(b),
                None => sortie.extend_from_slice(repli(c).unwrap_or(b"?")),
            },
        }
    }
    sortie
}

/// Text cleaned of blank edges; `None` when nothing printable is left.
fn texte_utile(texte: &str) -> Option<Vec<u8>> {
    let octets = encoder(texte);
    let debut = octets
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\n' | 0xA0))?;
    let fin = octets
        .iter()
        .rposition(|&b| !matches!(b, b' ' | b'\n' | 0xA0))?;
    octets.get(debut..=fin).map(<[u8]>::to_vec)
}

fn option_utile(texte: Option<&String>) -> Option<Vec<u8>> {
    texte.and_then(|t| texte_utile(t))
}

// ---------------------------------------------------------------------------------------------
// Line wrapping.

/// Wraps cp1252 text into lines no wider than `largeur_max` points. Breaks at spaces and at
/// `\n`; a word wider than a line is cut wherever it must be. Never returns a line wider than
/// `largeur_max` unless a single character is (then that character is alone on its line).
fn couper(texte: &[u8], police: Police, taille: f64, largeur_max: f64) -> Vec<Vec<u8>> {
    let max = if taille > 0.0 {
        (largeur_max.max(0.0) * 1000.0 / taille).floor() as u64
    } else {
        u64::MAX
    };
    let espace = unites(b" ", police);
    let mut lignes = Vec::new();
    for paragraphe in texte.split(|&b| b == b'\n') {
        let mut ligne: Vec<u8> = Vec::new();
        let mut ligne_u = 0u64;
        let mut mots = paragraphe.split(|&b| b == b' ').filter(|m| !m.is_empty());
        let mut vide = true;
        for mot in &mut mots {
            vide = false;
            let mot_u = unites(mot, police);
            if !ligne.is_empty() && ligne_u + espace + mot_u <= max {
                ligne.push(b' ');
                ligne.extend_from_slice(mot);
                ligne_u += espace + mot_u;
                continue;
            }
            if !ligne.is_empty() {
                lignes.push(std::mem::take(&mut ligne));
            }
            if mot_u <= max {
                ligne.extend_from_slice(mot);
                ligne_u = mot_u;
                continue;
            }
            // A word wider than the line: cut it.
            ligne_u = 0;
            for &b in mot {
                let b_u = unites(&[b], police);
                if !ligne.is_empty() && ligne_u + b_u > max {
                    lignes.push(std::mem::take(&mut ligne));
                    ligne_u = 0;
                }
                ligne.push(b);
                ligne_u += b_u;
            }
        }
        if !ligne.is_empty() {
            lignes.push(ligne);
        } else if vide && !lignes.is_empty() {
            // An empty paragraph between two others keeps its blank line.
            lignes.push(Vec::new());
        }
    }
    while lignes.last().is_some_and(Vec::is_empty) {
        lignes.pop();
    }
    lignes
}

// ---------------------------------------------------------------------------------------------
// Layout: what to draw where, page by page.

#[derive(Clone, Debug, PartialEq)]
enum Trace {
    Texte {
        police: Police,
        taille: f64,
        gris: f64,
        x: f64,
        y: f64,
        octets: Vec<u8>,
    },
    Filet {
        x1: f64,
        x2: f64,
        y: f64,
    },
    /// A filled black rectangle (QR code modules).
    Pave {
        x: f64,
        y: f64,
        l: f64,
        h: f64,
    },
}

/// One column of a row: its wrapped lines, where and how to draw them.
struct Cellule {
    x: f64,
    police: Police,
    taille: f64,
    gris: f64,
    lignes: Vec<Vec<u8>>,
}

impl Cellule {
    fn nouvelle(x: f64, largeur: f64, police: Police, taille: f64, texte: &[u8]) -> Self {
        Self {
            x,
            police,
            taille,
            gris: 0.0,
            lignes: couper(texte, police, taille, largeur),
        }
    }

    fn grise(mut self, gris: f64) -> Self {
        self.gris = gris;
        self
    }
}

/// The flowing cursor: pages drawn so far, top of the next line, bottom of the content area.
struct Mise {
    pages: Vec<Vec<Trace>>,
    y: f64,
    bas: f64,
    /// Nothing drawn yet on the current page.
    page_vide: bool,
}

impl Mise {
    fn nouvelle(bas: f64) -> Self {
        Self {
            pages: vec![Vec::new()],
            y: HAUT,
            bas,
            page_vide: true,
        }
    }

    fn nouvelle_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = HAUT;
        self.page_vide = true;
    }

    /// Goes to a new page unless `hauteur` still fits (or the page is empty anyway).
    fn reserver(&mut self, hauteur: f64) {
        if self.y - hauteur < self.bas && !self.page_vide {
            self.nouvelle_page();
        }
    }

    /// Vertical space; none at the top of a page.
    fn espace(&mut self, hauteur: f64) {
        if self.page_vide {
            return;
        }
        self.y -= hauteur;
        if self.y < self.bas {
            self.nouvelle_page();
        }
    }

    fn tracer(&mut self, trace: Trace) {
        if let Some(page) = self.pages.last_mut() {
            page.push(trace);
        }
        self.page_vide = false;
    }

    /// Draws cells side by side, line by line; a row may continue on the next page.
    fn rangee(&mut self, cellules: Vec<Cellule>) {
        let n = cellules.iter().map(|c| c.lignes.len()).max().unwrap_or(0);
        let taille = cellules.iter().map(|c| c.taille).fold(0.0, f64::max);
        let interligne = taille * INTERLIGNE;
        let mut colonnes: Vec<_> = cellules
            .into_iter()
            .map(|c| {
                let Cellule {
                    x,
                    police,
                    taille,
                    gris,
                    lignes,
                } = c;
                (x, police, taille, gris, lignes.into_iter())
            })
            .collect();
        for _ in 0..n {
            self.reserver(interligne);
            let base = self.y - taille * 0.8;
            for (x, police, taille, gris, lignes) in &mut colonnes {
                if let Some(octets) = lignes.next() {
                    if !octets.is_empty() {
                        self.tracer(Trace::Texte {
                            police: *police,
                            taille: *taille,
                            gris: *gris,
                            x: *x,
                            y: base,
                            octets,
                        });
                    }
                }
            }
            self.y -= interligne;
            self.page_vide = false;
        }
    }

    /// A paragraph over the whole text width.
    fn paragraphe(&mut self, texte: &[u8], police: Police, taille: f64, gris: f64) {
        let cellule = Cellule::nouvelle(MARGE, LARGEUR_TEXTE, police, taille, texte).grise(gris);
        self.rangee(vec![cellule]);
    }

    /// "Label   value", the value wrapped in its column.
    fn ligne_etiquetee(&mut self, etiquette: &str, valeur: &[u8]) {
        self.rangee(vec![
            Cellule::nouvelle(
                MARGE,
                COLONNE_ETIQUETTE - 6.0,
                Police::Grasse,
                CORPS,
                &encoder(etiquette),
            )
            .grise(GRIS_ETIQUETTE),
            Cellule::nouvelle(X_VALEUR, LARGEUR_VALEUR, Police::Normale, CORPS, valeur),
        ]);
    }

    fn filet(&mut self) {
        self.espace(6.0);
        self.reserver(8.0);
        let y = self.y - 2.0;
        self.tracer(Trace::Filet {
            x1: MARGE,
            x2: PAGE_L - MARGE,
            y,
        });
        self.y -= 8.0;
    }
}

fn composer(f: &FichePdf, mise: &mut Mise) {
    if let Some(titre) = texte_utile(&f.titre) {
        mise.paragraphe(&titre, Police::Grasse, 20.0, 0.0);
    }
    if let Some(territoire) = texte_utile(&f.territoire) {
        mise.paragraphe(&territoire, Police::Normale, 13.0, 0.2);
    }
    mise.espace(8.0);
    if let Some(pour) = option_utile(f.pour.as_ref()) {
        mise.ligne_etiquetee("Pour", &pour);
    }
    if let Some(date) = texte_utile(&f.date) {
        mise.ligne_etiquetee("Date", &date);
    }
    if let Some(besoin) = option_utile(f.besoin.as_ref()) {
        mise.ligne_etiquetee("Besoin", &besoin);
    }
    mise.filet();

    if f.lieux.is_empty() {
        mise.paragraphe(
            &encoder("Aucun lieu n’a été choisi."),
            Police::Normale,
            CORPS,
            0.0,
        );
        return;
    }
    let entete = if f.lieux.len() == 1 {
        "Le lieu qui peut vous aider".to_string()
    } else {
        format!("Les {} lieux qui peuvent vous aider", f.lieux.len())
    };
    mise.paragraphe(&encoder(&entete), Police::Grasse, 11.0, GRIS_ETIQUETTE);
    for (i, lieu) in f.lieux.iter().enumerate() {
        mise.espace(12.0);
        // A place's block goes whole on the next page rather than split, when it fits a page.
        let hauteur = hauteur_lieu(i + 1, lieu);
        if hauteur <= HAUT - mise.bas {
            mise.reserver(hauteur);
        }
        composer_lieu(i + 1, lieu, mise);
    }
}

/// Height of a place's block, laid out on an endless page.
fn hauteur_lieu(numero: usize, lieu: &LieuPdf) -> f64 {
    let mut essai = Mise::nouvelle(f64::NEG_INFINITY);
    composer_lieu(numero, lieu, &mut essai);
    HAUT - essai.y
}

fn composer_lieu(numero: usize, lieu: &LieuPdf, mise: &mut Mise) {
    let mut nom = format!("{numero}. ").into_bytes();
    nom.extend(texte_utile(&lieu.nom).unwrap_or_else(|| encoder("Lieu sans nom")));
    let taille_nom = 12.0;
    let lignes_nom = couper(&nom, Police::Grasse, taille_nom, LARGEUR_TEXTE).len() as f64;
    // Keep the name with the first line of the block.
    mise.reserver(lignes_nom * taille_nom * INTERLIGNE + 2.0 + CORPS * INTERLIGNE);
    mise.paragraphe(&nom, Police::Grasse, taille_nom, 0.0);
    mise.y -= 2.0;

    if let Some(adresse) = texte_utile(&lieu.adresse) {
        mise.ligne_etiquetee("Adresse", &adresse);
    }
    if let Some(distance) = option_utile(lieu.distance.as_ref()) {
        mise.ligne_etiquetee("Distance", &distance);
    }
    if let Some(telephone) = option_utile(lieu.telephone.as_ref()) {
        mise.ligne_etiquetee("Téléphone", &telephone);
    }
    if let Some(courriel) = option_utile(lieu.courriel.as_ref()) {
        mise.ligne_etiquetee("Courriel", &courriel);
    }
    composer_horaires(&lieu.horaires, mise);
    if let Some(acces) = option_utile(lieu.acces.as_ref()) {
        mise.ligne_etiquetee("Accès", &acces);
    }
    if let Some(services) = option_utile(lieu.services.as_ref()) {
        mise.ligne_etiquetee("Services", &services);
    }
}

/// Opening hours: the label, then a two-column table (day, hours) in the value column.
fn composer_horaires(horaires: &[(String, String)], mise: &mut Mise) {
    let lignes: Vec<(Vec<u8>, Vec<u8>)> = horaires
        .iter()
        .filter_map(|(jour, heures)| {
            let jour = texte_utile(jour).unwrap_or_default();
            let heures = texte_utile(heures).unwrap_or_default();
            (!jour.is_empty() || !heures.is_empty()).then_some((jour, heures))
        })
        .collect();
    if lignes.is_empty() {
        return;
    }
    let plus_large = lignes
        .iter()
        .map(|(jour, _)| largeur(jour, Police::Normale, CORPS))
        .fold(0.0, f64::max);
    // Whole points, so that the column's x is written exactly.
    let colonne_jour = (plus_large + 10.0).min(LARGEUR_VALEUR * 0.4).ceil();
    for (i, (jour, heures)) in lignes.iter().enumerate() {
        let etiquette = if i == 0 { "Horaires" } else { "" };
        mise.rangee(vec![
            Cellule::nouvelle(
                MARGE,
                COLONNE_ETIQUETTE - 6.0,
                Police::Grasse,
                CORPS,
                &encoder(etiquette),
            )
            .grise(GRIS_ETIQUETTE),
            Cellule::nouvelle(X_VALEUR, colonne_jour - 6.0, Police::Normale, CORPS, jour),
            Cellule::nouvelle(
                X_VALEUR + colonne_jour,
                LARGEUR_VALEUR - colonne_jour,
                Police::Normale,
                CORPS,
                heures,
            ),
        ]);
    }
}

// ---------------------------------------------------------------------------------------------
// Footer.

const PIED_TAILLE: f64 = 8.0;
const PIED_INTERLIGNE: f64 = 10.0;
const PIED_BAS: f64 = 24.0;
const PIED_LIGNES_MAX: usize = 3;
/// Room left on the right of the footer text for "page i/n".
const PIED_NUMERO: f64 = 70.0;

struct Pied {
    lignes: Vec<Vec<u8>>,
}

impl Pied {
    fn nouveau(texte: &str) -> Self {
        let largeur_max = LARGEUR_TEXTE - PIED_NUMERO;
        let octets = texte_utile(texte).unwrap_or_default();
        let mut lignes = couper(&octets, Police::Normale, PIED_TAILLE, largeur_max);
        if lignes.len() > PIED_LIGNES_MAX {
            lignes.truncate(PIED_LIGNES_MAX);
            if let Some(derniere) = lignes.last_mut() {
                while !derniere.is_empty()
                    && (largeur(derniere, Police::Normale, PIED_TAILLE)
                        + largeur(&[0x85], Police::Normale, PIED_TAILLE)
                        > largeur_max
                        || derniere.last() == Some(&b' '))
                {
                    derniere.pop();
                }
                derniere.push(0x85);
            }
        }
        Self { lignes }
    }

    /// Baseline of the footer's top line.
    fn haut(&self) -> f64 {
        PIED_BAS + (self.lignes.len().max(1) - 1) as f64 * PIED_INTERLIGNE
    }

    /// Lowest point the page content may reach.
    fn bas_du_contenu(&self) -> f64 {
        self.haut() + PIED_TAILLE + 16.0
    }

    fn ajouter(&self, pages: &mut [Vec<Trace>]) {
        let total = pages.len();
        let haut = self.haut();
        for (i, page) in pages.iter_mut().enumerate() {
            page.push(Trace::Filet {
                x1: MARGE,
                x2: PAGE_L - MARGE,
                y: haut + PIED_TAILLE + 4.0,
            });
            for (j, ligne) in self.lignes.iter().enumerate() {
                page.push(Trace::Texte {
                    police: Police::Normale,
                    taille: PIED_TAILLE,
                    gris: GRIS_ETIQUETTE,
                    x: MARGE,
                    y: haut - j as f64 * PIED_INTERLIGNE,
                    octets: ligne.clone(),
                });
            }
            let numero = format!("page {}/{}", i + 1, total).into_bytes();
            let l = largeur(&numero, Police::Normale, PIED_TAILLE);
            page.push(Trace::Texte {
                police: Police::Normale,
                taille: PIED_TAILLE,
                gris: GRIS_ETIQUETTE,
                // Whole points, so that rounding never pushes it past the margin.
                x: (PAGE_L - MARGE - l).floor(),
                y: haut,
                octets: numero,
            });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Serialisation.

/// A number as PDF wants it: at most two decimals, no trailing zeros, no exponent.
fn nombre(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// A PDF literal string: `(`, `)` and `\` escaped, bytes otherwise as they are.
fn chaine_pdf(octets: &[u8], sortie: &mut Vec<u8>) {
    sortie.push(b'(');
    for &b in octets {
        match b {
            b'(' | b')' | b'\\' => sortie.extend_from_slice(&[b'\\', b]),
            b'\r' => sortie.extend_from_slice(b"\\r"),
            b'\n' => sortie.extend_from_slice(b"\\n"),
            _ => sortie.push(b),
        }
    }
    sortie.push(b')');
}

fn flux_de_page(traces: &[Trace]) -> Vec<u8> {
    let mut flux = Vec::new();
    for trace in traces {
        match trace {
            Trace::Texte {
                police,
                taille,
                gris,
                x,
                y,
                octets,
            } => {
                let debut = format!(
                    "BT /{} {} Tf {} g {} {} Td ",
                    police.ressource(),
                    nombre(*taille),
                    nombre(*gris),
                    nombre(*x),
                    nombre(*y)
                );
                flux.extend_from_slice(debut.as_bytes());
                chaine_pdf(octets, &mut flux);
                flux.extend_from_slice(b" Tj ET\n");
            }
            Trace::Pave { x, y, l, h } => {
                let pave = format!(
                    "0 g {} {} {} {} re f\n",
                    nombre(*x),
                    nombre(*y),
                    nombre(*l),
                    nombre(*h)
                );
                flux.extend_from_slice(pave.as_bytes());
            }
            Trace::Filet { x1, x2, y } => {
                let ligne = format!(
                    "0.7 G 0.5 w {} {} m {} {} l S\n",
                    nombre(*x1),
                    nombre(*y),
                    nombre(*x2),
                    nombre(*y)
                );
                flux.extend_from_slice(ligne.as_bytes());
            }
        }
    }
    flux
}

/// The document title for /Info, as UTF-16BE with a byte order mark (a hex string).
fn titre_info(titre: &str) -> String {
    let mut hex = String::from("<FEFF");
    for unite in titre
        .chars()
        .filter(|c| !c.is_control())
        .take(500)
        .collect::<String>()
        .encode_utf16()
    {
        let _ = write!(hex, "{unite:04X}");
    }
    hex.push('>');
    hex
}

struct Ecrivain {
    octets: Vec<u8>,
    positions: Vec<usize>,
}

impl Ecrivain {
    fn objet(&mut self, numero: usize, corps: &[u8]) {
        if let Some(position) = self.positions.get_mut(numero) {
            *position = self.octets.len();
        }
        self.octets
            .extend_from_slice(format!("{numero} 0 obj\n").as_bytes());
        self.octets.extend_from_slice(corps);
        self.octets.extend_from_slice(b"\nendobj\n");
    }
}

fn ecrire_pdf(pages: &[Vec<Trace>], titre: &str) -> Vec<u8> {
    // 1 catalog, 2 page tree, 3 and 4 fonts, 5 info, then a page and its content per page.
    let premiere_page = 6;
    let taille = premiere_page + 2 * pages.len();
    let mut e = Ecrivain {
        octets: b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec(),
        positions: vec![0; taille],
    };
    e.objet(
        1,
        b"<< /Type /Catalog /Pages 2 0 R /Lang (fr-FR) /ViewerPreferences << /DisplayDocTitle true >> >>",
    );
    let enfants: Vec<String> = (0..pages.len())
        .map(|i| format!("{} 0 R", premiere_page + 2 * i))
        .collect();
    e.objet(
        2,
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            enfants.join(" "),
            pages.len()
        )
        .as_bytes(),
    );
    e.objet(
        3,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    );
    e.objet(
        4,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    );
    e.objet(
        5,
        format!("<< /Title {} /Producer (Maillage) >>", titre_info(titre)).as_bytes(),
    );
    for (i, traces) in pages.iter().enumerate() {
        let page = premiere_page + 2 * i;
        e.objet(
            page,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] \
                 /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
                nombre(PAGE_L),
                nombre(PAGE_H),
                page + 1
            )
            .as_bytes(),
        );
        let flux = flux_de_page(traces);
        let mut corps = format!("<< /Length {} >>\nstream\n", flux.len()).into_bytes();
        corps.extend_from_slice(&flux);
        corps.extend_from_slice(b"\nendstream");
        e.objet(page + 1, &corps);
    }

    let debut_xref = e.octets.len();
    let mut xref = format!("xref\n0 {taille}\n0000000000 65535 f \n");
    for position in e.positions.iter().skip(1) {
        let _ = writeln!(xref, "{position:010} 00000 n ");
    }
    let _ = write!(
        xref,
        "trailer\n<< /Size {taille} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{debut_xref}\n%%EOF\n"
    );
    e.octets.extend_from_slice(xref.as_bytes());
    e.octets
}

/// The printable mandate as a PDF: the same content as the HTML print (template
/// [`maillage_mandats::MODELE_COURANT`]), with the QR code that leads to `/verifier`.
/// A printed mandate. `personne` = `(personal code, address of « Mon mandat »)` makes it
/// the person's copy; without it, the structure's copy (never with the code).
pub fn mandat(
    site: &str,
    numero: maillage_domain::MandatId,
    doc: &maillage_mandats::DocumentMandat,
    empreinte: &str,
    url_verification: &str,
    personne: Option<(&str, &str)>,
) -> Vec<u8> {
    use maillage_mandats::document::{date_heure, date_longue};
    let mut mise = Mise::nouvelle(MARGE);
    mise.paragraphe(
        &encoder(&format!("Mandat n° {numero}")),
        Police::Grasse,
        18.0,
        0.0,
    );
    mise.paragraphe(
        &encoder(&format!(
            "{} — {site} — modèle {}",
            if personne.is_some() {
                "Exemplaire de la personne"
            } else {
                "Exemplaire de la structure"
            },
            doc.modele
        )),
        Police::Normale,
        CORPS,
        GRIS_ETIQUETTE,
    );
    mise.filet();
    mise.ligne_etiquetee("Personne", &encoder(&doc.usager.nom_complet()));
    if let Some(d) = doc.usager.date_naissance {
        mise.ligne_etiquetee("Née ou né le", &encoder(&d.format("%d/%m/%Y").to_string()));
    }
    mise.ligne_etiquetee("Identité", &encoder(&doc.usager.verification_lisible()));
    mise.ligne_etiquetee("Structure", &encoder(&doc.structure));
    mise.ligne_etiquetee("Aidant", &encoder(&doc.aidant));
    mise.ligne_etiquetee("Signé le", &encoder(&date_heure(doc.debut)));
    mise.ligne_etiquetee(
        "Durée",
        &encoder(&format!(
            "{} — jusqu’au {}",
            doc.duree.libelle(),
            date_longue(doc.fin)
        )),
    );
    mise.filet();
    mise.paragraphe(
        &encoder("La personne autorise l’aidant à faire en son nom les démarches suivantes :"),
        Police::Normale,
        CORPS,
        0.0,
    );
    for d in &doc.demarches {
        mise.paragraphe(
            &encoder(&format!("• {} ({})", d.titre(), d.description())),
            Police::Normale,
            CORPS,
            0.0,
        );
    }
    mise.espace(6.0);
    for decl in &doc.declarations {
        mise.paragraphe(&encoder(decl), Police::Normale, CORPS, 0.0);
    }
    if let Some((code, adresse)) = personne {
        mise.filet();
        mise.paragraphe(&encoder("Votre code personnel"), Police::Grasse, CORPS, 0.0);
        mise.paragraphe(&encoder(code), Police::Grasse, 16.0, 0.0);
        mise.paragraphe(
            &encoder("Avec ce code, sur la page « Mon mandat » :"),
            Police::Normale,
            CORPS,
            0.0,
        );
        mise.paragraphe(&encoder(adresse), Police::Grasse, CORPS, 0.0);
        mise.paragraphe(
            &encoder("vous voyez ce qui a été fait en votre nom et vous pouvez arrêter le mandat à tout moment. Gardez ce code pour vous."),
            Police::Normale,
            CORPS,
            0.0,
        );
    }
    mise.filet();
    mise.paragraphe(
        &encoder("Signature de la personne :                              Signature de l’aidant :"),
        Police::Grasse,
        CORPS,
        0.0,
    );
    mise.espace(48.0);
    mise.paragraphe(
        &encoder("Vérifier ce mandat : scannez le code ou ouvrez l’adresse ci-dessous."),
        Police::Normale,
        CORPS,
        0.0,
    );
    mise.paragraphe(&encoder(url_verification), Police::Normale, 8.0, 0.0);
    mise.paragraphe(
        &encoder(&format!("Empreinte : {empreinte}")),
        Police::Normale,
        8.0,
        0.0,
    );
    if let Some((n, modules)) = maillage_comptes::securite::qr_modules(url_verification) {
        let cote = 2.2;
        let taille = cote * n as f64;
        mise.reserver(taille + 8.0);
        let haut = mise.y - 4.0;
        for (i, sombre) in modules.iter().enumerate() {
            if *sombre {
                let (ligne, col) = (i / n, i % n);
                mise.tracer(Trace::Pave {
                    x: MARGE + col as f64 * cote,
                    y: haut - (ligne + 1) as f64 * cote,
                    l: cote,
                    h: cote,
                });
            }
        }
        mise.y = haut - taille - 4.0;
    }
    ecrire_pdf(&mise.pages, &format!("Mandat n° {numero}"))
}

/// One pass of a printed carnet: its code in groups of four and the address its QR code
/// carries (the public check, `/pass/{code}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassImprime {
    pub code: String,
    pub url: String,
}

/// The printable sheet of a carnet of passes (Pass numérique): a heading, then each pass
/// with its value, its last valid day, its code and a QR code leading to the public check.
pub fn carnet_pass(
    programme: &str,
    carnet: i64,
    valeur: &str,
    valable_jusqu_au: &str,
    passes: &[PassImprime],
) -> Vec<u8> {
    let mut mise = Mise::nouvelle(MARGE);
    mise.paragraphe(
        &encoder(&format!("Carnet n° {carnet} — {programme}")),
        Police::Grasse,
        16.0,
        0.0,
    );
    mise.paragraphe(
        &encoder(&format!(
            "{} pass de {valeur}, valables jusqu’au {valable_jusqu_au}. Un atelier = un pass.",
            passes.len()
        )),
        Police::Normale,
        CORPS,
        GRIS_ETIQUETTE,
    );
    for p in passes {
        mise.filet();
        mise.paragraphe(
            &encoder(&format!("Pass {}", p.code)),
            Police::Grasse,
            14.0,
            0.0,
        );
        mise.paragraphe(
            &encoder(&format!("Valeur : {valeur} — vérifier : {}", p.url)),
            Police::Normale,
            8.0,
            0.0,
        );
        if let Some((n, modules)) = maillage_comptes::securite::qr_modules(&p.url) {
            let cote = 1.8;
            let taille = cote * n as f64;
            mise.reserver(taille + 8.0);
            let haut = mise.y - 4.0;
            for (i, sombre) in modules.iter().enumerate() {
                if *sombre {
                    let (ligne, col) = (i / n, i % n);
                    mise.tracer(Trace::Pave {
                        x: MARGE + col as f64 * cote,
                        y: haut - (ligne + 1) as f64 * cote,
                        l: cote,
                        h: cote,
                    });
                }
            }
            mise.y = haut - taille - 4.0;
        }
    }
    ecrire_pdf(&mise.pages, &format!("Carnet n° {carnet}"))
}

/// A monthly statement of a place as a PDF: its lines of text as given (the first one as
/// the title).
pub fn releve_pass(lignes: &[String]) -> Vec<u8> {
    let mut mise = Mise::nouvelle(MARGE);
    let mut titre = String::new();
    for (i, l) in lignes.iter().enumerate() {
        if i == 0 {
            titre = l.clone();
            mise.paragraphe(&encoder(l), Police::Grasse, 16.0, 0.0);
        } else if l.is_empty() {
            mise.espace(6.0);
        } else {
            mise.paragraphe(&encoder(l), Police::Normale, CORPS, 0.0);
        }
    }
    ecrire_pdf(&mise.pages, &titre)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn trouver(botte: &[u8], aiguille: &[u8]) -> Option<usize> {
        botte.windows(aiguille.len()).position(|w| w == aiguille)
    }

    fn trouver_dernier(botte: &[u8], aiguille: &[u8]) -> Option<usize> {
        botte.windows(aiguille.len()).rposition(|w| w == aiguille)
    }

    fn compter(botte: &[u8], aiguille: &[u8]) -> usize {
        botte
            .windows(aiguille.len())
            .filter(|w| *w == aiguille)
            .count()
    }

    fn entier_apres(octets: &[u8], debut: usize) -> usize {
        let chiffres: Vec<u8> = octets[debut..]
            .iter()
            .copied()
            .take_while(u8::is_ascii_digit)
            .collect();
        String::from_utf8(chiffres).unwrap().parse().unwrap()
    }

    /// An object's bytes, from "N 0 obj\n" to "endobj", found through the xref table.
    struct Objets<'a> {
        pdf: &'a [u8],
        positions: Vec<usize>,
    }

    impl<'a> Objets<'a> {
        fn corps(&self, numero: usize) -> &'a [u8] {
            let debut = self.positions[numero];
            let fin = debut + trouver(&self.pdf[debut..], b"\nendobj\n").unwrap();
            &self.pdf[debut..fin]
        }

        fn flux(&self, numero: usize) -> &'a [u8] {
            let corps = self.corps(numero);
            let debut = trouver(corps, b"stream\n").unwrap() + 7;
            let fin = trouver_dernier(corps, b"\nendstream").unwrap();
            &corps[debut..fin]
        }
    }

    /// Parses the file as a reader would (startxref → xref → objects) and checks the
    /// structure. Returns the objects and the number of pages.
    fn verifier_structure(pdf: &[u8]) -> (Objets<'_>, usize) {
        assert!(pdf.starts_with(b"%PDF-1.4\n"), "header");
        assert!(pdf.ends_with(b"%%EOF\n"), "end of file");
        let sx = trouver_dernier(pdf, b"startxref\n").expect("startxref");
        let debut_xref = entier_apres(pdf, sx + 10);
        assert_eq!(&pdf[sx + 10 + debut_xref.to_string().len()..], b"\n%%EOF\n");
        let xref = &pdf[debut_xref..];
        assert!(xref.starts_with(b"xref\n0 "), "xref at startxref");
        let taille = entier_apres(xref, 7);
        let mut i = 7 + taille.to_string().len();
        assert_eq!(xref[i], b'\n');
        i += 1;
        assert_eq!(&xref[i..i + 20], b"0000000000 65535 f \n");
        let mut positions = vec![0];
        for numero in 1..taille {
            let entree = &xref[i + 20 * numero..i + 20 * (numero + 1)];
            assert!(entree[..10].iter().all(u8::is_ascii_digit), "10 digits");
            assert_eq!(&entree[10..], b" 00000 n \n");
            let position = entier_apres(entree, 0);
            let attendu = format!("{numero} 0 obj\n");
            assert!(
                pdf[position..].starts_with(attendu.as_bytes()),
                "xref entry {numero} points at {position}, not at its object"
            );
            positions.push(position);
        }
        let trailer = &xref[i + 20 * taille..];
        assert!(trailer.starts_with(b"trailer\n<< "));
        assert!(trouver(trailer, format!("/Size {taille} ").as_bytes()).is_some());
        assert!(trouver(trailer, b"/Root 1 0 R").is_some());
        // No object outside the table.
        assert_eq!(compter(pdf, b" 0 obj\n"), taille - 1);
        let objets = Objets { pdf, positions };
        assert!(trouver(objets.corps(1), b"/Type /Catalog /Pages 2 0 R").is_some());
        // Every stream's /Length is its real length.
        for numero in 1..taille {
            let corps = objets.corps(numero);
            if let Some(l) = trouver(corps, b"/Length ") {
                assert_eq!(entier_apres(corps, l + 8), objets.flux(numero).len());
            }
        }
        let arbre = objets.corps(2);
        let compte = entier_apres(arbre, trouver(arbre, b"/Count ").unwrap() + 7);
        let pages = (1..taille)
            .filter(|&n| trouver(objets.corps(n), b"/Type /Page ").is_some())
            .count();
        assert_eq!(compte, pages, "/Count and page objects");
        assert!(pages >= 1);
        for n in 1..taille {
            let corps = objets.corps(n);
            if trouver(corps, b"/Type /Page ").is_some() {
                assert!(trouver(corps, b"/MediaBox [0 0 595 842]").is_some(), "A4");
            }
        }
        (objets, pages)
    }

    /// Text drawn on each page: (font, size, x, y, bytes), read back from the content streams.
    /// A text drawn: font, size, x, y (baseline), cp1252 bytes.
    type TexteLu = (Police, f64, f64, f64, Vec<u8>);

    fn textes(objets: &Objets<'_>) -> Vec<Vec<TexteLu>> {
        let mut pages = Vec::new();
        for n in 1..objets.positions.len() {
            let corps = objets.corps(n);
            if trouver(corps, b"/Type /Page ").is_none() {
                continue;
            }
            let contenu = entier_apres(corps, trouver(corps, b"/Contents ").unwrap() + 10);
            let flux = objets.flux(contenu);
            let mut page = Vec::new();
            let mut reste = flux;
            while let Some(bt) = trouver(reste, b"BT /F") {
                reste = &reste[bt + 5..];
                let police = match reste[0] {
                    b'1' => Police::Normale,
                    b'2' => Police::Grasse,
                    autre => panic!("font F{}", autre as char),
                };
                let tj = trouver(reste, b" Td (").unwrap();
                let entete = String::from_utf8(reste[2..tj].to_vec()).unwrap();
                let nombres: Vec<f64> = entete.split(' ').filter_map(|m| m.parse().ok()).collect();
                let (taille, x, y) = (nombres[0], nombres[2], nombres[3]);
                let mut octets = Vec::new();
                let mut i = tj + 5;
                loop {
                    match reste[i] {
                        b'\\' => {
                            octets.push(reste[i + 1]);
                            i += 2;
                        }
                        b')' => break,
                        b'(' => panic!("unescaped ( in a string"),
                        b => {
                            octets.push(b);
                            i += 1;
                        }
                    }
                }
                assert!(reste[i..].starts_with(b") Tj ET\n"));
                page.push((police, taille, x, y, octets));
                reste = &reste[i..];
            }
            pages.push(page);
        }
        pages
    }

    fn lieu(n: usize) -> LieuPdf {
        LieuPdf {
            nom: format!("Médiathèque François-Mitterrand n°{n}"),
            adresse: "12 rue de l’Église, 35000 Rennes".to_string(),
            telephone: Some("02 99 00 00 00".to_string()),
            courriel: Some("accueil@mediatheque.example.fr".to_string()),
            // Blocks of different heights (1 to 5 days), so that pages end at various places.
            horaires: [
                ("Lundi", "9 h – 12 h, 14 h – 17 h"),
                ("Mercredi", "9 h – 17 h"),
                ("Samedi", "10 h – 12 h"),
                ("Mardi", "14 h – 18 h"),
                ("Vendredi", "9 h – 12 h"),
            ]
            .iter()
            .take(1 + (n * n + n / 3) % 5)
            .map(|(jour, heures)| (jour.to_string(), heures.to_string()))
            .collect(),
            acces: Some("Bus C3 arrêt « Hôtel de Ville » ; accès de plain-pied".to_string()),
            services: Some(
                "Aide aux démarches en ligne (CAF, impôts), prêt d’ordinateurs, ateliers"
                    .to_string(),
            ),
            distance: Some("1,2 km".to_string()),
        }
    }

    fn fiche(lieux: usize) -> FichePdf {
        FichePdf {
            titre: "Fiche d'orientation".to_string(),
            territoire: "Maillage Ille-et-Vilaine".to_string(),
            besoin: Some("Créer une adresse e-mail et déclarer ses impôts en ligne".to_string()),
            pour: Some("Zoé".to_string()),
            date: "23 novembre 2026".to_string(),
            lieux: (1..=lieux).map(lieu).collect(),
            pied: "Source : annuaire Maillage (données ouvertes, Licence Ouverte) — https://maillage.example.fr/lieux".to_string(),
        }
    }

    #[test]
    fn structure_une_page_pour_un_lieu() {
        let pdf = fiche_pdf(&fiche(1));
        let (objets, pages) = verifier_structure(&pdf);
        assert_eq!(pages, 1);
        let textes = textes(&objets);
        assert!(textes[0].iter().any(|t| t.4 == b"page 1/1"));
    }

    #[test]
    fn structure_plusieurs_pages_pour_quarante_lieux() {
        let pdf = fiche_pdf(&fiche(40));
        let (objets, pages) = verifier_structure(&pdf);
        // About 9 lines per place, ~55 lines a page: 40 places need several pages.
        assert!(pages >= 5, "{pages} pages");
        let textes = textes(&objets);
        assert_eq!(textes.len(), pages);
        for (i, page) in textes.iter().enumerate() {
            let numero = format!("page {}/{}", i + 1, pages).into_bytes();
            assert!(
                page.iter().any(|t| t.4 == numero),
                "page number on page {i}"
            );
            assert!(
                page.iter().any(|t| t.4.starts_with(b"Source : annuaire")),
                "footer on page {i}"
            );
            // Content stays above the footer and inside the page.
            for (_, taille, x, y, _) in page {
                // (Helvetica's capitals are 0.718 em high.)
                assert!(*y > 0.0 && *y + 0.718 * taille <= HAUT + 1e-6 && *x >= MARGE);
            }
        }
        // Every place is there, once, in order.
        let noms: Vec<Vec<u8>> = textes
            .iter()
            .flatten()
            .filter(|t| t.0 == Police::Grasse && t.4.contains(&b'.'))
            .map(|t| t.4.clone())
            .collect();
        let attendus: Vec<Vec<u8>> = (1..=40)
            .map(|n| encoder(&format!("{n}. Médiathèque François-Mitterrand n°{n}")))
            .collect();
        assert_eq!(noms, attendus);
        // Blocks are not split: every page after the first starts with a place's name.
        for page in textes.iter().skip(1) {
            let premier = page.iter().find(|t| t.1 != PIED_TAILLE).unwrap();
            assert!(premier.0 == Police::Grasse && premier.4.contains(&b'.'));
        }
        // A place's name is never the last thing on a page (kept with its block).
        for page in &textes {
            let contenu: Vec<_> = page.iter().filter(|t| t.1 != PIED_TAILLE).collect();
            assert!(contenu.last().is_some_and(|t| t.0 == Police::Normale));
        }
    }

    #[test]
    fn sortie_deterministe() {
        assert_eq!(fiche_pdf(&fiche(3)), fiche_pdf(&fiche(3)));
    }

    #[test]
    fn accents_en_cp1252_et_parentheses_echappees() {
        let pdf = fiche_pdf(&fiche(1));
        let (objets, _) = verifier_structure(&pdf);
        let flux = objets.flux(7);
        // "Médiathèque": é = 0xE9, è = 0xE8; "l’Église": ’ = 0x92, É = 0xC9.
        assert!(trouver(flux, b"M\xE9diath\xE8que Fran\xE7ois").is_some());
        assert!(trouver(flux, b"l\x92\xC9glise").is_some());
        assert!(trouver(flux, b"9 h \x96 12 h").is_some(), "en dash 0x96");
        assert!(
            trouver(flux, b"\xAB H\xF4tel de Ville \xBB").is_some(),
            "guillemets"
        );
        assert!(trouver(flux, b"T\xE9l\xE9phone").is_some(), "label");
        // No UTF-8 left in the stream.
        assert!(trouver(flux, "é".as_bytes()).is_none());
        // Parentheses in text are escaped.
        assert!(trouver(flux, b"en ligne \\(CAF, imp\xF4ts\\)").is_some());
        assert!(trouver(flux, b"en ligne (CAF").is_none());
    }

    #[test]
    fn encodage_caractere_par_caractere() {
        assert_eq!(
            encoder("é è ê à ç ô û ù ï î"),
            b"\xE9 \xE8 \xEA \xE0 \xE7 \xF4 \xFB \xF9 \xEF \xEE"
        );
        assert_eq!(
            encoder("« € – ’ … œ Ÿ »"),
            b"\xAB \x80 \x96 \x92 \x85 \x9C \x9F \xBB"
        );
        // Decomposed accents, narrow no-break space, fallbacks, controls, emoji.
        assert_eq!(encoder("e\u{301}te\u{301}\u{202F}!"), b"\xE9t\xE9\xA0!");
        assert_eq!(encoder("Łódź → ﬁn"), b"L\xF3dz -> fin");
        assert_eq!(encoder("a\u{0}b\u{7}c\td\r\ne"), b"abc d\ne");
        assert_eq!(encoder("📞 ✉\u{FE0F}"), b"? ?");
        assert_eq!(encoder("a\u{2060}b\u{200B}c\u{AD}d"), b"abcd");
        assert_eq!(encoder("\\()"), b"\\()");
        let mut s = Vec::new();
        chaine_pdf(b"a(b)c\\d", &mut s);
        assert_eq!(s, b"(a\\(b\\)c\\\\d)");
    }

    #[test]
    fn largeurs_des_polices_adobe() {
        assert_eq!(unites(b" ", Police::Normale), 278);
        assert_eq!(unites(b"a", Police::Normale), 556);
        assert_eq!(
            unites(b"Helvetica", Police::Normale),
            722 + 556 + 222 + 500 + 556 + 278 + 222 + 500 + 556
        );
        assert_eq!(unites(b"\xE9", Police::Normale), 556);
        assert_eq!(unites(b"\xE9", Police::Grasse), 556);
        assert_eq!(unites(b"W", Police::Grasse), 944);
        assert_eq!(unites(b"i", Police::Grasse), 278);
        assert_eq!(unites(b"\x80\x85\x96", Police::Normale), 556 + 1000 + 556);
        assert!((largeur(b"aa", Police::Normale, 10.0) - 11.12).abs() < 1e-9);
    }

    #[test]
    fn une_longue_adresse_est_coupee_dans_la_boite() {
        let mut adresse = String::new();
        while adresse.chars().count() < 300 {
            adresse.push_str("Résidence « Les Peupliers », bâtiment C, escalier 4, ");
        }
        let adresse: String = adresse.chars().take(300).collect();
        let mut f = fiche(1);
        f.lieux[0].adresse = adresse.clone();
        let pdf = fiche_pdf(&f);
        let (objets, _) = verifier_structure(&pdf);
        let textes = textes(&objets);
        let tout: Vec<_> = textes.iter().flatten().collect();
        // Nothing is drawn past the text box.
        for (police, taille, x, _, octets) in &tout {
            assert!(
                *x + largeur(octets, *police, *taille) <= PAGE_L - MARGE + 1e-6,
                "line too wide: {}",
                String::from_utf8_lossy(octets)
            );
        }
        // The address comes back as several lines of the value column, in order.
        let attendu = texte_utile(&adresse).unwrap();
        let lignes: Vec<&Vec<u8>> = tout
            .iter()
            .filter(|t| t.2 == X_VALEUR && trouver(&attendu, &t.4).is_some() && t.4.len() > 15)
            .map(|t| &t.4)
            .collect();
        assert!(lignes.len() >= 3, "{} lines", lignes.len());
        assert_eq!(
            lignes
                .iter()
                .map(|l| l.as_slice())
                .collect::<Vec<_>>()
                .join(&b' '),
            attendu
        );
        for ligne in &lignes {
            assert!(largeur(ligne, Police::Normale, CORPS) <= LARGEUR_VALEUR);
        }
    }

    #[test]
    fn coupure_des_mots_trop_longs() {
        let mot = vec![b'm'; 10_000];
        let lignes = couper(&mot, Police::Grasse, 20.0, LARGEUR_TEXTE);
        assert!(lignes.len() > 100);
        assert_eq!(lignes.concat(), mot);
        for l in &lignes {
            assert!(largeur(l, Police::Grasse, 20.0) <= LARGEUR_TEXTE);
        }
        let lignes = couper(b"un deux\n\ntrois", Police::Normale, 10.0, 1000.0);
        assert_eq!(
            lignes,
            vec![b"un deux".to_vec(), Vec::new(), b"trois".to_vec()]
        );
        assert!(couper(b"   \n ", Police::Normale, 10.0, 100.0).is_empty());
        // A box narrower than one character still makes progress.
        assert_eq!(couper(b"ab", Police::Normale, 10.0, 0.0).len(), 2);
    }

    #[test]
    fn pied_trop_long_tronque() {
        let pied = Pied::nouveau(&"source très longue ".repeat(200));
        assert_eq!(pied.lignes.len(), PIED_LIGNES_MAX);
        let derniere = pied.lignes.last().unwrap();
        assert_eq!(derniere.last(), Some(&0x85));
        assert!(largeur(derniere, Police::Normale, PIED_TAILLE) <= LARGEUR_TEXTE - PIED_NUMERO);
    }

    fn entrees_bizarres() -> Vec<FichePdf> {
        let mot = "x".repeat(10_000);
        let emojis = "📞📍🕘♿🚌👩‍💻".repeat(20);
        let controles: String =
            (0u8..32).map(char::from).collect::<String>() + "\u{7F}\u{85}\u{9F}";
        let mut sortie = vec![FichePdf::default(), fiche(0)];
        for texte in [
            mot.clone(),
            emojis.clone(),
            controles.clone(),
            ")))(((\\\\".repeat(50),
            "\u{202E}abc\u{200B}\u{FEFF}".to_string(),
        ] {
            let l = LieuPdf {
                nom: texte.clone(),
                adresse: texte.clone(),
                telephone: Some(texte.clone()),
                courriel: Some(texte.clone()),
                horaires: vec![
                    (texte.clone(), texte.clone()),
                    (String::new(), String::new()),
                ],
                acces: Some(texte.clone()),
                services: Some(texte.clone()),
                distance: Some(texte.clone()),
            };
            sortie.push(FichePdf {
                titre: texte.clone(),
                territoire: texte.clone(),
                besoin: Some(texte.clone()),
                pour: Some(texte.clone()),
                date: texte.clone(),
                lieux: vec![l.clone(), LieuPdf::default(), l],
                pied: texte.clone(),
            });
        }
        sortie.push(fiche(50));
        sortie
    }

    #[test]
    fn entrees_bizarres_donnent_un_pdf_valide() {
        for f in entrees_bizarres() {
            let pdf = fiche_pdf(&f);
            let (objets, pages) = verifier_structure(&pdf);
            let textes = textes(&objets);
            assert_eq!(textes.len(), pages);
            for (police, taille, x, _, octets) in textes.iter().flatten() {
                assert!(
                    *x + largeur(octets, *police, *taille) <= PAGE_L - MARGE + 1e-6,
                    "too wide at x {x}: {}",
                    String::from_utf8_lossy(octets)
                );
                assert!(octets.iter().all(|&b| b >= 0x20), "no control byte drawn");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn toute_entree_donne_un_pdf_valide(
            titre in any::<String>(),
            pied in any::<String>(),
            besoin in proptest::option::of(any::<String>()),
            lieux in proptest::collection::vec(
                (any::<String>(), any::<String>(), proptest::option::of(any::<String>()),
                 proptest::collection::vec((any::<String>(), any::<String>()), 0..4)),
                0..6,
            ),
        ) {
            let f = FichePdf {
                titre: titre.clone(),
                territoire: titre,
                besoin: besoin.clone(),
                pour: besoin,
                date: pied.clone(),
                lieux: lieux
                    .into_iter()
                    .map(|(nom, adresse, acces, horaires)| LieuPdf {
                        nom,
                        adresse: adresse.clone(),
                        telephone: acces.clone(),
                        courriel: Some(adresse),
                        horaires,
                        acces: acces.clone(),
                        services: acces.clone(),
                        distance: acces,
                    })
                    .collect(),
                pied,
            };
            let pdf = fiche_pdf(&f);
            verifier_structure(&pdf);
        }
    }

    /// Reads the PDF back with poppler's pdftotext, when it is installed.
    #[test]
    fn pdftotext_relit_le_texte_francais() {
        let f = fiche(12);
        let pdf = fiche_pdf(&f);
        let chemin =
            std::env::temp_dir().join(format!("maillage-fiche-{}.pdf", std::process::id()));
        std::fs::write(&chemin, &pdf).unwrap();
        let sortie = std::process::Command::new("pdftotext")
            .args(["-enc", "UTF-8"])
            .arg(&chemin)
            .arg("-")
            .output();
        let sortie = match sortie {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let _ = std::fs::remove_file(&chemin);
                println!(
                    "NOTICE: pdftotext not installed (Debian package poppler-utils): test skipped"
                );
                return;
            }
            autre => autre.unwrap(),
        };
        let _ = std::fs::remove_file(&chemin);
        assert!(
            sortie.status.success(),
            "{}",
            String::from_utf8_lossy(&sortie.stderr)
        );
        let texte = String::from_utf8(sortie.stdout).unwrap();
        let pages = texte.matches('\u{C}').count();
        assert!(pages >= 2, "{pages} pages");
        for attendu in [
            "Fiche d'orientation",
            "Maillage Ille-et-Vilaine",
            "Zoé",
            "23 novembre 2026",
            "Créer une adresse e-mail et déclarer ses impôts en ligne",
            "Les 12 lieux qui peuvent vous aider",
            "1. Médiathèque François-Mitterrand n°1",
            "12. Médiathèque François-Mitterrand n°12",
            "12 rue de l’Église, 35000 Rennes",
            "Téléphone",
            "02 99 00 00 00",
            "accueil@mediatheque.example.fr",
            "9 h – 12 h, 14 h – 17 h",
            "« Hôtel de Ville »",
            "Aide aux démarches en ligne (CAF, impôts)",
            "Accès",
            "Source : annuaire Maillage (données ouvertes, Licence Ouverte) —",
            "page 1/",
            "page 2/",
        ] {
            assert!(texte.contains(attendu), "missing {attendu:?} in:\n{texte}");
        }
    }
}

//! The monthly statement of a place: the passes it redeemed in a month (Europe/Paris), their
//! total, and the seq and hash of the last ledger entry it covers, so that the funder can
//! check, with the ledger alone, that the statement is the sum of the month's redemptions
//! ([`total_depuis_le_registre`]).

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Paris;
use maillage_domain::mandats::Entree;
use maillage_store::pass::{
    UtilisationRow, ACTION_INCIDENT, ACTION_UTILISATION, DECISION_ACCEPTEE,
};

use crate::{code, euros, ErreurPass, Pass, Resultat};

/// One place's statement of one month.
#[derive(Debug, Clone)]
pub struct Releve {
    pub structure_id: i64,
    pub nom_lieu: String,
    pub annee: i32,
    pub mois: u32,
    pub debut: DateTime<Utc>,
    pub fin: DateTime<Utc>,
    pub lignes: Vec<UtilisationRow>,
    pub total_centimes: i64,
    /// The last ledger entry it covers (`0` and zeros when the month is empty).
    pub dernier_seq: i64,
    pub dernier_hash: [u8; 32],
}

/// `[debut, fin)` of a month in Paris, in UTC.
pub fn bornes_du_mois(annee: i32, mois: u32) -> Resultat<(DateTime<Utc>, DateTime<Utc>)> {
    let premier = |a: i32, m: u32| {
        NaiveDate::from_ymd_opt(a, m, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|d| Paris.from_local_datetime(&d).earliest())
            .map(|d| d.with_timezone(&Utc))
            .ok_or_else(|| {
                ErreurPass::invalide("mois", format!("{mois:02}/{annee} n’est pas un mois"))
            })
    };
    let debut = premier(annee, mois)?;
    let (a, m) = if mois == 12 {
        (annee + 1, 1)
    } else {
        (annee, mois + 1)
    };
    Ok((debut, premier(a, m)?))
}

/// The sum of the month's redemptions by `structure_id` read from ledger entries alone
/// (up to `jusqu_a` included): what a funder recomputes to check a statement. A forced
/// redemption (`"forcee": true` in its details) counts only when a later `pass_incident`
/// entry of the same pass, up to `jusqu_a`, says the funder accepted it.
pub fn total_depuis_le_registre(
    entrees: &[Entree],
    structure_id: i64,
    debut: DateTime<Utc>,
    fin: DateTime<Utc>,
    jusqu_a: i64,
) -> i64 {
    let (d, f) = (debut.timestamp_micros(), fin.timestamp_micros());
    let details = |e: &Entree| serde_json::from_str::<serde_json::Value>(&e.contenu.details).ok();
    let acceptees: std::collections::HashSet<i64> = entrees
        .iter()
        .filter(|e| e.seq <= jusqu_a && e.contenu.action == ACTION_INCIDENT)
        .filter(|e| details(e).is_some_and(|v| v["decision"].as_str() == Some(DECISION_ACCEPTEE)))
        .filter_map(|e| e.contenu.mandat_id)
        .collect();
    entrees
        .iter()
        .filter(|e| {
            e.seq <= jusqu_a
                && e.contenu.action == ACTION_UTILISATION
                && e.contenu.structure_id == Some(structure_id)
                && (d..f).contains(&e.contenu.at_us)
        })
        .filter_map(|e| {
            let v = details(e)?;
            let forcee = v["forcee"].as_bool() == Some(true);
            if forcee && !e.contenu.mandat_id.is_some_and(|p| acceptees.contains(&p)) {
                return None;
            }
            v["valeur_centimes"].as_i64()
        })
        .sum()
}

/// The lines a statement pays (redemptions, and forced ones the funder accepted), their
/// total and the last ledger entry they rest on (a redemption's, or the decision's).
fn payees(lignes: Vec<UtilisationRow>) -> (Vec<UtilisationRow>, i64, i64) {
    let lignes: Vec<UtilisationRow> = lignes.into_iter().filter(|l| l.payee()).collect();
    let total = lignes.iter().map(|l| l.valeur_centimes).sum();
    let dernier = lignes
        .iter()
        .map(|l| l.journal_seq.max(l.decision_seq.unwrap_or(0)))
        .max()
        .unwrap_or(0);
    (lignes, total, dernier)
}

impl Pass {
    /// The statement of `structure_id` for the month `mois`/`annee`.
    pub async fn releve(
        &self,
        acteur: &maillage_comptes::Acteur,
        structure_id: i64,
        annee: i32,
        mois: u32,
    ) -> Resultat<Releve> {
        Self::exiger_gestionnaire(acteur)?;
        let s = self.structure(structure_id).await?;
        let (debut, fin) = bornes_du_mois(annee, mois)?;
        // Every redemption's entry chained, so that each line knows its seq.
        self.chainer_registre().await?;
        let lignes = self
            .store
            .utilisations_du_lieu(structure_id, debut, fin)
            .await?;
        let (lignes, total_centimes, dernier_seq) = payees(lignes);
        let dernier_hash = if dernier_seq > 0 {
            self.store
                .pass_journal(dernier_seq - 1, 1)
                .await?
                .first()
                .map(|e| e.hash)
                .unwrap_or([0; 32])
        } else {
            [0; 32]
        };
        Ok(Releve {
            structure_id,
            nom_lieu: s.nom,
            annee,
            mois,
            debut,
            fin,
            lignes,
            total_centimes,
            dernier_seq,
            dernier_hash,
        })
    }
}

/// Appends `s` as a CSV field (quoted when it holds `;`, `"` or a line break).
fn champ_csv(sortie: &mut Vec<u8>, s: &str) {
    if s.contains([';', '"', '\n', '\r']) {
        sortie.push(b'"');
        for morceau in s.split_inclusive('"') {
            sortie.extend_from_slice(morceau.as_bytes());
            if morceau.ends_with('"') {
                sortie.push(b'"');
            }
        }
        sortie.push(b'"');
    } else {
        sortie.extend_from_slice(s.as_bytes());
    }
}

/// Appends an amount in cents as euros with a decimal comma (`1234` → `12,34`).
fn montant_csv(sortie: &mut Vec<u8>, entiers: &mut itoa::Buffer, centimes: i64) {
    if centimes < 0 {
        sortie.push(b'-');
    }
    let c = centimes.unsigned_abs();
    sortie.extend_from_slice(entiers.format(c / 100).as_bytes());
    sortie.push(b',');
    sortie.push(b'0' + (c % 100 / 10) as u8);
    sortie.push(b'0' + (c % 10) as u8);
}

/// `dd/mm/yyyy;HH:` of a time in Paris, kept for the whole UTC hour it falls in (Paris's
/// offset is a whole number of hours: only the minutes change within that hour).
struct HeureParis {
    heure_utc: i64,
    prefixe: Vec<u8>,
    /// `false` when the offset is not whole hours (then every time is formatted alone).
    stable: bool,
}

impl HeureParis {
    fn ecrire(&mut self, sortie: &mut Vec<u8>, at: DateTime<Utc>) {
        use chrono::{Offset, Timelike};
        let secondes = at.timestamp();
        let heure = secondes.div_euclid(3600);
        if !self.stable || heure != self.heure_utc {
            let t = at.with_timezone(&Paris);
            self.heure_utc = heure;
            self.stable = t.offset().fix().local_minus_utc() % 3600 == 0;
            self.prefixe.clear();
            self.prefixe
                .extend_from_slice(format!("{};{:02}:", t.format("%d/%m/%Y"), t.hour()).as_bytes());
            if !self.stable {
                sortie.extend_from_slice(&self.prefixe);
                sortie.extend_from_slice(format!("{:02}", t.minute()).as_bytes());
                return;
            }
        }
        sortie.extend_from_slice(&self.prefixe);
        let minute = secondes.div_euclid(60).rem_euclid(60) as u8;
        sortie.push(b'0' + minute / 10);
        sortie.push(b'0' + minute % 10);
    }
}

impl Releve {
    pub fn hash_hex(&self) -> String {
        hex::encode(self.dernier_hash)
    }

    /// CSV (BOM, `;`, French headers, decimal comma), the total and the ledger's hash last.
    /// Written into one buffer (integers by `itoa`, each hour's date formatted once): a
    /// month of 1,000,000 redemptions is about 55 MB.
    pub fn csv(&self) -> String {
        let mut s: Vec<u8> = Vec::with_capacity(256 + self.lignes.len() * 64);
        s.extend_from_slice("\u{feff}".as_bytes());
        s.extend_from_slice(
            "Date;Heure;Code du pass;Valeur (€);Nonce;Fiche d’activité;Entrée du registre\n"
                .as_bytes(),
        );
        let mut entiers = itoa::Buffer::new();
        let mut heure = HeureParis {
            heure_utc: i64::MIN,
            prefixe: Vec::with_capacity(16),
            stable: false,
        };
        for l in &self.lignes {
            heure.ecrire(&mut s, l.at);
            s.push(b';');
            code::ecrire_affiche(&mut s, &l.code);
            s.push(b';');
            montant_csv(&mut s, &mut entiers, l.valeur_centimes);
            s.push(b';');
            champ_csv(&mut s, &l.nonce);
            s.push(b';');
            if let Some(a) = l.activite_id {
                s.extend_from_slice(entiers.format(a).as_bytes());
            }
            s.push(b';');
            s.extend_from_slice(entiers.format(l.journal_seq).as_bytes());
            s.push(b'\n');
        }
        s.extend_from_slice(b"Total;;");
        s.extend_from_slice(entiers.format(self.lignes.len()).as_bytes());
        s.extend_from_slice(b" pass;");
        montant_csv(&mut s, &mut entiers, self.total_centimes);
        s.extend_from_slice(b";;;\n");
        s.extend_from_slice("Dernière entrée couverte;;".as_bytes());
        s.extend_from_slice(self.hash_hex().as_bytes());
        s.extend_from_slice(b";;;;");
        s.extend_from_slice(entiers.format(self.dernier_seq).as_bytes());
        s.push(b'\n');
        // Only whole `&str`s and ASCII were appended.
        String::from_utf8(s).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// The statement's lines in words (for the PDF and the terminal).
    pub fn lignes_texte(&self) -> Vec<String> {
        let mut v = vec![
            format!("Relevé des pass utilisés — {}", self.nom_lieu),
            format!("Mois : {:02}/{}", self.mois, self.annee),
            String::new(),
        ];
        for l in &self.lignes {
            let t = l.at.with_timezone(&Paris);
            v.push(format!(
                "{}  {}  {}",
                t.format("%d/%m/%Y %H:%M"),
                code::afficher(&l.code),
                euros(l.valeur_centimes)
            ));
        }
        v.push(String::new());
        v.push(format!(
            "Total : {} pass, {}",
            self.lignes.len(),
            euros(self.total_centimes)
        ));
        v.push(format!(
            "Dernière entrée du registre couverte : n° {}",
            self.dernier_seq
        ));
        v.push(format!("Empreinte : {}", self.hash_hex()));
        v
    }
}

impl Pass {
    /// The statement of a place qualified for a programme the actor funds, for one month,
    /// restricted to that programme's passes (what this funder pays the place).
    pub async fn releve_du_programme(
        &self,
        acteur: &maillage_comptes::Acteur,
        programme_id: i64,
        structure_id: i64,
        annee: i32,
        mois: u32,
    ) -> Resultat<Releve> {
        self.programme_gere(acteur, programme_id).await?;
        if self
            .store
            .lieu_qualifie(programme_id, structure_id)
            .await?
            .is_none()
        {
            return Err(ErreurPass::invalide(
                "lieu",
                "ce lieu n’est pas qualifié pour ce programme",
            ));
        }
        let s = self.structure(structure_id).await?;
        let (debut, fin) = bornes_du_mois(annee, mois)?;
        self.chainer_registre().await?;
        let du_programme: std::collections::BTreeSet<i64> = self
            .store
            .pass_du_programme(programme_id)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        let lignes: Vec<UtilisationRow> = self
            .store
            .utilisations_du_lieu(structure_id, debut, fin)
            .await?
            .into_iter()
            .filter(|u| du_programme.contains(&u.pass_id))
            .collect();
        let (lignes, total_centimes, dernier_seq) = payees(lignes);
        let dernier_hash = if dernier_seq > 0 {
            self.store
                .pass_journal(dernier_seq - 1, 1)
                .await?
                .first()
                .map(|e| e.hash)
                .unwrap_or([0; 32])
        } else {
            [0; 32]
        };
        Ok(Releve {
            structure_id,
            nom_lieu: s.nom,
            annee,
            mois,
            debut,
            fin,
            lignes,
            total_centimes,
            dernier_seq,
            dernier_hash,
        })
    }
}

/// `2026-11` → (2026, 11).
pub fn lire_mois(texte: &str) -> Resultat<(i32, u32)> {
    let t = texte.trim();
    t.split_once('-')
        .and_then(|(a, m)| Some((a.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
        .filter(|(a, m)| (2000..=2100).contains(a) && (1..=12).contains(m))
        .ok_or_else(|| ErreurPass::invalide("mois", format!("« {t} » n’est pas un mois (AAAA-MM)")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The statement's CSV as it was written line by line with `format!` before the
    /// one-buffer writer: the reference the fast writer must equal.
    fn csv_de_reference(r: &Releve) -> String {
        let champ = |s: &str| {
            if s.contains([';', '"', '\n', '\r']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        let mut s = String::from("\u{feff}");
        s.push_str(
            "Date;Heure;Code du pass;Valeur (€);Nonce;Fiche d’activité;Entrée du registre\n",
        );
        for l in &r.lignes {
            let t = l.at.with_timezone(&Paris);
            s.push_str(&format!(
                "{};{};{};{},{:02};{};{};{}\n",
                t.format("%d/%m/%Y"),
                t.format("%H:%M"),
                code::afficher(&l.code),
                l.valeur_centimes / 100,
                l.valeur_centimes % 100,
                champ(&l.nonce),
                l.activite_id.map(|a| a.to_string()).unwrap_or_default(),
                l.journal_seq
            ));
        }
        s.push_str(&format!(
            "Total;;{} pass;{},{:02};;;\n",
            r.lignes.len(),
            r.total_centimes / 100,
            r.total_centimes % 100
        ));
        s.push_str(&format!(
            "Dernière entrée couverte;;{};;;;{}\n",
            r.hash_hex(),
            r.dernier_seq
        ));
        s
    }

    fn ligne(i: i64, at: DateTime<Utc>, nonce: &str) -> UtilisationRow {
        UtilisationRow {
            id: i,
            pass_id: i,
            code: format!("AB{i:02}CDEFGHJK"),
            structure_id: 3,
            nonce: nonce.into(),
            cle_api_id: None,
            compte_id: None,
            activite_id: (i % 2 == 0).then_some(i * 7),
            valeur_centimes: 1_000 + i * 37,
            at,
            journal_seq: 100 + i,
            forcee: false,
            decision: None,
            decision_seq: None,
        }
    }

    #[test]
    fn csv_rapide_identique_a_la_reference_y_compris_aux_changements_d_heure() {
        // Around both 2026 changes of Paris's offset (29 March and 25 October, 01:00
        // UTC), minute by minute and across hours, and nonces that need quoting.
        let mut lignes = Vec::new();
        let nonces = ["n-1", "a;b", "dit \"oui\"", "x\ny", "é"];
        for (k, debut) in [
            Utc.with_ymd_and_hms(2026, 3, 29, 0, 30, 0),
            Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0),
            Utc.with_ymd_and_hms(2026, 12, 31, 22, 58, 59),
        ]
        .into_iter()
        .enumerate()
        {
            let debut = debut.single().expect("date");
            for m in 0..95 {
                let i = (k * 100 + m) as i64;
                let at = debut + chrono::Duration::seconds(m as i64 * 61);
                lignes.push(ligne(i, at, nonces[m % nonces.len()]));
            }
        }
        let r = Releve {
            structure_id: 3,
            nom_lieu: "Lieu".into(),
            annee: 2026,
            mois: 10,
            debut: Utc::now(),
            fin: Utc::now(),
            total_centimes: lignes.iter().map(|l| l.valeur_centimes).sum(),
            lignes,
            dernier_seq: 4_242,
            dernier_hash: [0xab; 32],
        };
        let attendu = csv_de_reference(&r);
        assert_eq!(r.csv(), attendu);
        assert!(attendu.contains("25/10/2026;02:"), "{attendu}");
        assert!(attendu.contains("\"dit \"\"oui\"\"\""), "{attendu}");
        let vide = Releve {
            lignes: vec![],
            total_centimes: 0,
            ..r
        };
        assert_eq!(vide.csv(), csv_de_reference(&vide));
    }
}

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

fn champ_csv(s: &str) -> String {
    if s.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl Releve {
    pub fn hash_hex(&self) -> String {
        hex::encode(self.dernier_hash)
    }

    /// CSV (BOM, `;`, French headers, decimal comma), the total and the ledger's hash last.
    pub fn csv(&self) -> String {
        let mut s = String::from("\u{feff}");
        s.push_str(
            "Date;Heure;Code du pass;Valeur (€);Nonce;Fiche d’activité;Entrée du registre\n",
        );
        for l in &self.lignes {
            let t = l.at.with_timezone(&Paris);
            s.push_str(&format!(
                "{};{};{};{},{:02};{};{};{}\n",
                t.format("%d/%m/%Y"),
                t.format("%H:%M"),
                code::afficher(&l.code),
                l.valeur_centimes / 100,
                l.valeur_centimes % 100,
                champ_csv(&l.nonce),
                l.activite_id.map(|a| a.to_string()).unwrap_or_default(),
                l.journal_seq
            ));
        }
        s.push_str(&format!(
            "Total;;{} pass;{},{:02};;;\n",
            self.lignes.len(),
            self.total_centimes / 100,
            self.total_centimes % 100
        ));
        s.push_str(&format!(
            "Dernière entrée couverte;;{};;;;{}\n",
            self.hash_hex(),
            self.dernier_seq
        ));
        s
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

//! Dashboards (a mediator's own, a coordinator's team or territory, public aggregates) and
//! exports whose columns depend on who asks.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use maillage_domain::mediation::{Compteurs, Dimension, Referentiel, Role};
use maillage_domain::{CompteId, LieuActiviteId};
use maillage_store::mediation::{mois_de, StatFiltre};
use maillage_territoire::Territoire;

use super::{Acteur, ErreurMediation, Mediation, Resultat};
use maillage_comptes::acces::code_territoire;

/// Below this, a public figure is shown as « moins de 5 ».
pub const SEUIL_SECRET: i64 = 5;

/// Whose activity a dashboard sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Perimetre {
    /// The mediator's own.
    Moi,
    /// A coordinator's whole team.
    Equipe,
    /// One mediator of a coordinator's team.
    Mediateur(CompteId),
    /// A territory (coordinators: theirs; administrators: any).
    Territoire(String),
}

/// A dashboard's filters. Months are inclusive.
#[derive(Debug, Clone)]
pub struct Filtres {
    pub perimetre: Perimetre,
    pub du: NaiveDate,
    pub au: NaiveDate,
    /// Only this place of activity.
    pub lieu: Option<LieuActiviteId>,
}

/// Totals of one row of a breakdown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ligne {
    pub cle: String,
    pub libelle: String,
    pub activites: i64,
    pub accompagnements: i64,
    pub minutes: i64,
}

/// A computed dashboard.
#[derive(Debug, Clone)]
pub struct Tableau {
    pub titre: String,
    pub compteurs: Compteurs,
    pub par_mois: Vec<Ligne>,
    pub par_commune: Vec<Ligne>,
    pub par_lieu: Vec<Ligne>,
    pub par_mediateur: Vec<Ligne>,
    /// Roll-up rows read (for the performance notes).
    pub lignes_lues: usize,
}

impl Tableau {
    /// `(label, value)` of one block of counters.
    pub fn bloc(&self, d: Dimension) -> Vec<(&'static str, i64)> {
        d.libelles()
            .into_iter()
            .zip(self.compteurs.bloc(d).iter().copied())
            .collect()
    }
}

use maillage_domain::texte::MOIS;

/// `202611` → « novembre 2026 ».
pub fn mois_lisible(mois: i32) -> String {
    let m = (mois % 100).clamp(1, 12) as usize;
    format!("{} {}", MOIS[m - 1], mois / 100)
}

fn trier(map: BTreeMap<String, Ligne>, par_volume: bool) -> Vec<Ligne> {
    let mut v: Vec<Ligne> = map.into_values().collect();
    if par_volume {
        v.sort_by(|a, b| {
            b.accompagnements
                .cmp(&a.accompagnements)
                .then(a.cle.cmp(&b.cle))
        });
    }
    v
}

impl Mediation {
    fn territoire(&self, code: &str) -> Resultat<Territoire> {
        self.referentiel()
            .territoire(code)
            .map_err(|e| ErreurMediation::invalide("territoire", e.to_string()))
    }

    /// Builds the store filter for a perimeter, checking the actor may see it.
    fn filtre(&self, acteur: &Acteur, f: &Filtres) -> Resultat<(StatFiltre, String)> {
        if f.au < f.du {
            return Err(ErreurMediation::invalide(
                "période",
                "la fin de la période précède son début",
            ));
        }
        let mut sf = StatFiltre {
            mois_debut: mois_de(f.du),
            mois_fin: mois_de(f.au),
            lieux: f.lieu.map(|l| vec![l.get()]),
            ..StatFiltre::default()
        };
        let titre = match (&f.perimetre, acteur.role) {
            (Perimetre::Moi, Role::Mediateur) => {
                sf.mediateurs = Some(vec![acteur.id().get()]);
                "Mon activité".to_string()
            }
            (Perimetre::Equipe, Role::Coordinateur) => {
                sf.mediateurs = Some(acteur.equipe.iter().map(|m| m.get()).collect());
                "Mon équipe".to_string()
            }
            (Perimetre::Mediateur(m), Role::Coordinateur) if acteur.equipe.contains(m) => {
                sf.mediateurs = Some(vec![m.get()]);
                "Un médiateur de mon équipe".to_string()
            }
            (Perimetre::Territoire(code), Role::Coordinateur | Role::Administrateur) => {
                let t = self.territoire(code)?;
                if !acteur.peut_voir_territoire(&t) {
                    return Err(ErreurMediation::Interdit);
                }
                if t != Territoire::France {
                    sf.communes = Some(
                        self.referentiel()
                            .communes_of_territoire(&t)
                            .iter()
                            .map(|c| c.code_insee.clone())
                            .collect(),
                    );
                }
                t.nom().to_string()
            }
            _ => return Err(ErreurMediation::Interdit),
        };
        Ok((sf, titre))
    }

    /// A dashboard for the signed-in actor.
    pub async fn tableau(&self, acteur: &Acteur, f: &Filtres) -> Resultat<Tableau> {
        let (sf, titre) = self.filtre(acteur, f)?;
        self.calculer(sf, titre).await
    }

    /// Sums roll-up rows into a dashboard.
    pub async fn calculer(&self, sf: StatFiltre, titre: String) -> Resultat<Tableau> {
        let rows = self.store.stats(&sf).await?;
        let noms_lieux: BTreeMap<i64, String> = if sf.mediateurs.is_some() || sf.lieux.is_some() {
            self.comptes
                .lieux_activite(None)
                .await?
                .into_iter()
                .map(|l| (l.id, l.nom))
                .collect()
        } else {
            BTreeMap::new()
        };
        let mut compteurs = Compteurs::default();
        let mut par_mois: BTreeMap<String, Ligne> = BTreeMap::new();
        let mut par_commune: BTreeMap<String, Ligne> = BTreeMap::new();
        let mut par_lieu: BTreeMap<String, Ligne> = BTreeMap::new();
        let mut par_mediateur: BTreeMap<String, Ligne> = BTreeMap::new();
        let ajouter = |m: &mut BTreeMap<String, Ligne>,
                       cle: String,
                       libelle: &dyn Fn() -> String,
                       r: &maillage_store::mediation::StatRow| {
            let l = m.entry(cle.clone()).or_insert_with(|| Ligne {
                cle,
                libelle: libelle(),
                ..Ligne::default()
            });
            l.activites += r.activites;
            l.accompagnements += r.accompagnements;
            l.minutes += r.minutes;
        };
        for r in &rows {
            if !compteurs.additionner_octets(&r.compteurs) {
                return Err(ErreurMediation::Interne(
                    "compteurs de statistiques illisibles".into(),
                ));
            }
            ajouter(
                &mut par_mois,
                r.mois.to_string(),
                &|| mois_lisible(r.mois),
                r,
            );
            ajouter(
                &mut par_commune,
                r.commune.clone(),
                &|| {
                    self.referentiel()
                        .commune(&r.commune)
                        .map(|c| c.nom.clone())
                        .unwrap_or_else(|| r.commune.clone())
                },
                r,
            );
            if sf.mediateurs.is_some() || sf.lieux.is_some() {
                let lieu = r.lieu_activite_id.unwrap_or(0);
                ajouter(
                    &mut par_lieu,
                    lieu.to_string(),
                    &|| {
                        noms_lieux.get(&lieu).cloned().unwrap_or_else(|| {
                            "Hors lieu d’activité (domicile, à distance, autre)".into()
                        })
                    },
                    r,
                );
                if let Some(m) = r.mediateur_id {
                    ajouter(
                        &mut par_mediateur,
                        m.to_string(),
                        &|| format!("Médiateur nº {m}"),
                        r,
                    );
                }
            }
        }
        // Mediators by name (only ids are in the roll-up).
        for l in par_mediateur.values_mut() {
            if let Ok(id) = l.cle.parse::<CompteId>() {
                if let Some(nom) = self.comptes.nom_du_compte(id).await? {
                    l.libelle = nom;
                }
            }
        }
        Ok(Tableau {
            titre,
            compteurs,
            par_mois: trier(par_mois, false),
            par_commune: trier(par_commune, true),
            par_lieu: trier(par_lieu, true),
            par_mediateur: trier(par_mediateur, true),
            lignes_lues: rows.len(),
        })
    }

    /// The public aggregates of a territory over a period (anyone may read them).
    /// Counts under [`SEUIL_SECRET`] must be shown as such by the caller
    /// ([`secret_statistique`]).
    pub async fn tableau_public(
        &self,
        territoire: &str,
        du: NaiveDate,
        au: NaiveDate,
    ) -> Resultat<Tableau> {
        let t = self.territoire(territoire)?;
        let communes = (t != Territoire::France).then(|| {
            self.referentiel()
                .communes_of_territoire(&t)
                .iter()
                .map(|c| c.code_insee.clone())
                .collect()
        });
        let sf = StatFiltre {
            communes,
            mois_debut: mois_de(du),
            mois_fin: mois_de(au),
            ..StatFiltre::default()
        };
        let mut tableau = self.calculer(sf, t.nom().to_string()).await?;
        tableau.par_lieu.clear();
        tableau.par_mediateur.clear();
        Ok(tableau)
    }

    /// The territories an actor may open (their code and name).
    pub fn territoires_visibles(&self, acteur: &Acteur) -> Vec<(String, String)> {
        match acteur.role {
            Role::Administrateur => vec![("fr".into(), "France".into())],
            _ => acteur
                .territoires
                .iter()
                .map(|t| (code_territoire(t), t.nom().to_string()))
                .collect(),
        }
    }

    /// The activity records exported for a perimeter, as rows of cells, with the Coop's
    /// column names. Names of beneficiaries and notes only in a mediator's own export.
    pub async fn export_activites(
        &self,
        acteur: &Acteur,
        f: &Filtres,
    ) -> Resultat<(Vec<&'static str>, Vec<Vec<String>>)> {
        self.comptes.exiger_reauthentification(acteur)?;
        let (sf, _) = self.filtre(acteur, f)?;
        let soi = f.perimetre == Perimetre::Moi;
        let mediateurs = match sf.mediateurs {
            Some(m) => m,
            None => return Err(ErreurMediation::invalide(
                "export",
                "l’export détaillé porte sur vous ou votre équipe ; pour un territoire, téléchargez le tableau de bord",
            )),
        };
        let mut entetes = vec!["Date", "Enregistré le", "Dernière modification le"];
        if !soi {
            entetes.push("Nom du médiateur");
        }
        entetes.extend(["Type", "Participants"]);
        if soi {
            entetes.push("Bénéficiaire");
        }
        entetes.extend([
            "Canaux d’accompagnement",
            "Nom du lieu",
            "Commune",
            "Code Insee",
            "Durée (min)",
            "Nom de l’atelier",
            "Matériel numérique utilisé",
            "Thématique(s) d’accompagnement",
            "Tags",
            "Niveau d’autonomie (ou de l’atelier)",
            "Structure de redirection",
            "Tranche d’âge du bénéficiaire",
            "Statut du bénéficiaire",
        ]);
        if soi {
            entetes.push("Notes supplémentaires");
        }
        entetes.push("ID CRA");
        let lieux: BTreeMap<i64, String> = self
            .comptes
            .lieux_activite(None)
            .await?
            .into_iter()
            .map(|l| (l.id, l.nom))
            .collect();
        let mut noms = BTreeMap::new();
        for m in &mediateurs {
            if let Some(nom) = self.comptes.nom_du_compte(CompteId::new(*m)).await? {
                noms.insert(*m, nom);
            }
        }
        let mut lignes = Vec::new();
        let mut decalage = 0;
        loop {
            let lot = self.store.activites_de(&mediateurs, 1000, decalage).await?;
            if lot.is_empty() {
                break;
            }
            decalage += lot.len() as i64;
            for row in lot {
                if row.date < f.du
                    || row.date > f.au
                    || f.lieu
                        .is_some_and(|l| row.lieu_activite_id != Some(l.get()))
                {
                    continue;
                }
                let a = super::activites::lire(row)?;
                let c = &a.cra;
                let joindre = |v: Vec<&str>| v.join(", ");
                let mut l = vec![
                    c.date.format("%d/%m/%Y").to_string(),
                    a.row.created_at.format("%d/%m/%Y").to_string(),
                    a.row.updated_at.format("%d/%m/%Y").to_string(),
                ];
                if !soi {
                    l.push(noms.get(&a.row.mediateur_id).cloned().unwrap_or_default());
                }
                l.push(c.type_activite.libelle().into());
                l.push(c.participants().to_string());
                if soi {
                    let mut prenoms = Vec::new();
                    for id in &c.beneficiaires {
                        if let Some(b) = self.store.beneficiaire(*id).await? {
                            prenoms.push(super::beneficiaires::nom_de(&b));
                        }
                    }
                    l.push(prenoms.join(", "));
                }
                l.push(c.type_lieu.libelle().into());
                l.push(
                    a.row
                        .lieu_activite_id
                        .and_then(|i| lieux.get(&i).cloned())
                        .unwrap_or_default(),
                );
                l.push(
                    self.referentiel()
                        .commune(&a.row.commune)
                        .map(|c| c.nom.clone())
                        .unwrap_or_default(),
                );
                l.push(a.row.commune.clone());
                l.push(c.duree.to_string());
                l.push(c.titre.clone().unwrap_or_default());
                l.push(joindre(c.materiel.iter().map(|m| m.libelle()).collect()));
                l.push(joindre(c.thematiques.iter().map(|t| t.libelle()).collect()));
                l.push(c.tags.join(", "));
                l.push(
                    c.autonomie
                        .map(|x| x.libelle())
                        .or(c.niveau.map(|n| n.libelle()))
                        .unwrap_or_default()
                        .into(),
                );
                l.push(
                    c.orientation
                        .map(|o| o.libelle())
                        .unwrap_or_default()
                        .into(),
                );
                l.push(joindre(
                    c.anonymes.iter().map(|g| g.tranche_age.libelle()).collect(),
                ));
                l.push(joindre(
                    c.anonymes.iter().map(|g| g.statut.libelle()).collect(),
                ));
                if soi {
                    l.push(c.notes.clone());
                }
                l.push(a.row.id.to_string());
                lignes.push(l);
            }
        }
        Ok((entetes, lignes))
    }
}

/// A public count: « moins de 5 » under the threshold (but 0 stays 0).
pub fn secret_statistique(n: i64) -> String {
    if n > 0 && n < SEUIL_SECRET {
        "moins de 5".into()
    } else {
        crate::statistiques::nombre(n)
    }
}

/// `12345` → `12 345` (narrow no-break space).
pub fn nombre(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    if n < 0 {
        out.push('-');
    }
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// A total time as people say it: `150` → `2 h 30`, `80` → `1 h 20`, `45` → `45 min`,
/// `720` → `12 h` (hours grouped by thousands).
pub fn duree_totale(minutes: i64) -> String {
    let minutes = minutes.max(0);
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{} h", nombre(h)),
        (h, m) => format!("{} h {m:02}", nombre(h)),
    }
}

/// First day of the month `mois` months before `date`'s month.
pub fn debut_de_mois(date: NaiveDate, mois_avant: u32) -> NaiveDate {
    let d = date.with_day(1).unwrap_or(date);
    d.checked_sub_months(chrono::Months::new(mois_avant))
        .unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_are_hidden() {
        assert_eq!(secret_statistique(0), "0");
        assert_eq!(secret_statistique(4), "moins de 5");
        assert_eq!(secret_statistique(5), "5");
        assert_eq!(nombre(1234567), "1\u{202f}234\u{202f}567");
        assert_eq!(mois_lisible(202611), "novembre 2026");
    }

    #[test]
    fn premiere_utilisation_duree_totale_en_heures_et_minutes() {
        assert_eq!(duree_totale(150), "2 h 30");
        assert_eq!(duree_totale(80), "1 h 20");
        assert_eq!(duree_totale(45), "45 min");
        assert_eq!(duree_totale(720), "12 h");
        assert_eq!(duree_totale(61), "1 h 01");
        assert_eq!(duree_totale(60 * 1234 + 5), "1\u{202f}234 h 05");
    }
}

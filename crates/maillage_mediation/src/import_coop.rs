//! Import of a mediator's CRA history from a CSV export of La Coop de la médiation
//! numérique (columns of `REFERENTIELS.md` §1.4). Participants become anonymous groups.
//! All or nothing: if one line is wrong, nothing is written and every wrong line is
//! reported with its number and the column at fault.

use chrono::NaiveDate;
use maillage_domain::mediation::{
    Autonomie, Cra, Genre, GroupeAnonyme, Materiel, NiveauAtelier, Referentiel, StatutSocial,
    StructureRedirection, Thematique, TrancheAge, TypeActivite, TypeLieu,
};
use maillage_domain::CodeInsee;

use super::{Acteur, ErreurMediation, Mediation, Resultat};

/// One wrong line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LigneRefusee {
    /// Line number in the file (the header is line 1).
    pub ligne: usize,
    pub colonne: String,
    pub message: String,
}

/// What an import did, or would have done.
#[derive(Debug, Clone, Default)]
pub struct RapportImportCoop {
    pub lignes_lues: usize,
    pub importees: usize,
    pub refusees: Vec<LigneRefusee>,
}

impl RapportImportCoop {
    /// A short French summary.
    pub fn resume(&self) -> String {
        if self.refusees.is_empty() {
            format!(
                "{} lignes lues, {} activités importées.",
                self.lignes_lues, self.importees
            )
        } else {
            format!(
                "{} lignes lues, {} en erreur : rien n’a été importé. Corrigez le fichier et recommencez.",
                self.lignes_lues,
                self.refusees.len()
            )
        }
    }
}

fn liste<R: Referentiel>(texte: &str) -> Result<Vec<R>, String> {
    texte
        .split([',', ';', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| R::depuis_code(s).ok_or_else(|| format!("valeur inconnue « {s} »")))
        .collect()
}

fn optionnel<R: Referentiel>(texte: &str) -> Result<Option<R>, String> {
    let t = texte.trim();
    if t.is_empty() {
        return Ok(None);
    }
    R::depuis_code(t)
        .map(Some)
        .ok_or_else(|| format!("valeur inconnue « {t} »"))
}

fn date(texte: &str) -> Result<NaiveDate, String> {
    let t = texte.trim();
    NaiveDate::parse_from_str(t, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(t, "%Y-%m-%d"))
        .map_err(|_| format!("date illisible « {t} » (attendu JJ/MM/AAAA)"))
}

/// A place of the mediator's, as the Coop import matches the « Nom du lieu » column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LieuCoop {
    pub id: i64,
    pub nom: String,
}

/// What [`lire_coop`] read: the report so far (lines read, refused lines) and the records
/// read, each with its line number, not yet checked against the referential and the store.
#[derive(Debug, Clone, Default)]
pub struct LectureCoop {
    pub rapport: RapportImportCoop,
    pub activites: Vec<(usize, Cra)>,
}

/// Reads a Coop CSV export (pure: no store, no clock). An error for the file as a whole
/// (not UTF-8, header unreadable, a required column missing); otherwise every line is
/// either read or refused with its number and the column at fault. `mes_lieux` are the
/// mediator's places, matched by name (« Nom du lieu »).
pub fn lire_coop(contenu: &[u8], mes_lieux: &[LieuCoop]) -> Resultat<LectureCoop> {
    let texte = std::str::from_utf8(contenu.strip_prefix(b"\xef\xbb\xbf").unwrap_or(contenu))
        .map_err(|_| ErreurMediation::invalide("fichier", "le fichier n’est pas en UTF-8"))?;
    let premiere = texte.lines().next().unwrap_or_default();
    let separateur = if premiere.matches(';').count() > premiere.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut lecteur = csv::ReaderBuilder::new()
        .delimiter(separateur)
        .flexible(true)
        .from_reader(texte.as_bytes());
    let entetes: Vec<String> = lecteur
        .headers()
        .map_err(|e| ErreurMediation::invalide("fichier", format!("en-tête illisible : {e}")))?
        .iter()
        .map(|h| h.trim().replace('\'', "’"))
        .collect();
    let col = |nom: &str| entetes.iter().position(|h| h == nom);
    for requis in [
        "Date",
        "Type",
        "Durée (min)",
        "Thématique(s) d’accompagnement",
    ] {
        if col(requis).is_none() {
            return Err(ErreurMediation::invalide(
                "fichier",
                format!("colonne « {requis} » absente (ligne 1)"),
            ));
        }
    }
    let mut lecture = LectureCoop::default();
    for (i, enregistrement) in lecteur.records().enumerate() {
        let ligne = i + 2;
        lecture.rapport.lignes_lues += 1;
        let rec = match enregistrement {
            Ok(r) => r,
            Err(e) => {
                lecture.rapport.refusees.push(LigneRefusee {
                    ligne,
                    colonne: String::new(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        let champ = |nom: &str| {
            col(nom)
                .and_then(|c| rec.get(c))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let refus = |colonne: &str, message: String| LigneRefusee {
            ligne,
            colonne: colonne.into(),
            message,
        };
        let resultat: Result<Cra, LigneRefusee> = (|| {
            let type_activite: TypeActivite = optionnel(&champ("Type"))
                .map_err(|m| refus("Type", m))?
                .ok_or_else(|| refus("Type", "vide".into()))?;
            let duree: u32 = champ("Durée (min)")
                .parse()
                .map_err(|_| refus("Durée (min)", "nombre de minutes attendu".into()))?;
            let participants: u32 = match champ("Participants").as_str() {
                "" => 1,
                p => p
                    .parse()
                    .map_err(|_| refus("Participants", "nombre attendu".into()))?,
            };
            let canal = champ("Canaux d’accompagnement");
            let mut type_lieu: TypeLieu = optionnel(&canal)
                .map_err(|m| refus("Canaux d’accompagnement", m))?
                .unwrap_or(TypeLieu::Autre);
            let nom_lieu = champ("Nom du lieu");
            let lieu = mes_lieux
                .iter()
                .find(|l| !nom_lieu.is_empty() && l.nom.eq_ignore_ascii_case(&nom_lieu));
            if type_lieu == TypeLieu::LieuActivite && lieu.is_none() {
                type_lieu = TypeLieu::Autre;
            }
            let commune = match champ("Code Insee").as_str() {
                "" => None,
                c => Some(CodeInsee::parse(c).map_err(|e| refus("Code Insee", e.to_string()))?),
            };
            let tranche: TrancheAge = optionnel(&champ("Tranche d’âge du bénéficiaire"))
                .map_err(|m| refus("Tranche d’âge du bénéficiaire", m))?
                .unwrap_or(TrancheAge::NonCommunique);
            let statut: StatutSocial = optionnel(&champ("Statut du bénéficiaire"))
                .map_err(|m| refus("Statut du bénéficiaire", m))?
                .unwrap_or(StatutSocial::NonCommunique);
            let genre: Genre = optionnel(
                &champ("Genre du bénéficiaire")
                    .replace("Homme", "Masculin")
                    .replace("Femme", "Féminin"),
            )
            .map_err(|m| refus("Genre du bénéficiaire", m))?
            .unwrap_or(Genre::NonCommunique);
            let niveau_texte = champ("Niveau d’autonomie (ou de l’atelier)");
            let (autonomie, niveau) = match type_activite {
                TypeActivite::Individuel => (
                    optionnel::<Autonomie>(&niveau_texte)
                        .map_err(|m| refus("Niveau d’autonomie (ou de l’atelier)", m))?,
                    None,
                ),
                TypeActivite::Collectif => (
                    None,
                    optionnel::<NiveauAtelier>(&niveau_texte)
                        .map_err(|m| refus("Niveau d’autonomie (ou de l’atelier)", m))?,
                ),
            };
            let cra = Cra {
                type_activite,
                date: date(&champ("Date")).map_err(|m| refus("Date", m))?,
                duree,
                type_lieu,
                lieu_activite_id: if type_lieu == TypeLieu::LieuActivite {
                    lieu.map(|l| maillage_domain::LieuActiviteId::new(l.id))
                } else {
                    None
                },
                commune,
                thematiques: liste::<Thematique>(&champ("Thématique(s) d’accompagnement"))
                    .map_err(|m| refus("Thématique(s) d’accompagnement", m))?,
                materiel: liste::<Materiel>(&champ("Matériel numérique utilisé"))
                    .map_err(|m| refus("Matériel numérique utilisé", m))?,
                autonomie,
                orientation: optionnel::<StructureRedirection>(&champ("Structure de redirection"))
                    .map_err(|m| refus("Structure de redirection", m))?,
                titre: Some(champ("Nom de l’atelier")).filter(|t| !t.is_empty()),
                niveau,
                beneficiaires: vec![],
                anonymes: vec![GroupeAnonyme {
                    nombre: participants,
                    tranche_age: tranche,
                    statut,
                    genre,
                }],
                notes: champ("Notes supplémentaires"),
                tags: champ("Tags")
                    .split(',')
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect(),
            };
            Ok(cra)
        })();
        match resultat {
            Ok(cra) => lecture.activites.push((ligne, cra)),
            Err(r) => lecture.rapport.refusees.push(r),
        }
    }
    Ok(lecture)
}

impl Mediation {
    /// Imports a Coop CSV export as the mediator's own records.
    pub async fn importer_coop(
        &self,
        acteur: &Acteur,
        contenu: &[u8],
    ) -> Resultat<RapportImportCoop> {
        if !acteur.est_mediateur() {
            return Err(ErreurMediation::Interdit);
        }
        let mes_lieux: Vec<LieuCoop> = self
            .comptes
            .mes_lieux(acteur)
            .await?
            .into_iter()
            .map(|l| LieuCoop {
                id: l.id,
                nom: l.nom,
            })
            .collect();
        let LectureCoop {
            mut rapport,
            activites,
        } = lire_coop(contenu, &mes_lieux)?;
        let mut ecritures = Vec::new();
        for (ligne, cra) in activites {
            match self.preparer(acteur, None, cra).await {
                Ok(w) => ecritures.push(w),
                Err(ErreurMediation::Invalide { champ, message }) => {
                    rapport.refusees.push(LigneRefusee {
                        ligne,
                        colonne: champ,
                        message,
                    })
                }
                Err(e) => return Err(e),
            }
        }
        rapport.refusees.sort_by_key(|r| r.ligne);
        if rapport.refusees.is_empty() && !ecritures.is_empty() {
            rapport.importees = self.store.save_activites(ecritures).await?.len();
        }
        Ok(rapport)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTETE: &str = "Date;Type;Participants;Canaux d’accompagnement;Nom du lieu;Code Insee;Durée (min);Thématique(s) d’accompagnement";

    #[test]
    fn the_coop_reader_keeps_line_numbers_and_the_column_at_fault() {
        let lieux = [LieuCoop {
            id: 4,
            nom: "Médiathèque Cabanis".into(),
        }];
        let csv = format!(
            "{ENTETE}\n12/11/2026;Accompagnement individuel;1;Lieu d’activité;médiathèque cabanis;31555;45;E-mail\n\
             13/11/2026;Atelier collectif;6;À domicile;;31555;quarante;E-mail\n"
        );
        let lecture = lire_coop(csv.as_bytes(), &lieux).expect("a readable file");
        assert_eq!(lecture.rapport.lignes_lues, 2);
        assert_eq!(lecture.activites.len(), 1);
        assert_eq!(lecture.activites[0].0, 2);
        assert_eq!(
            lecture.activites[0].1.lieu_activite_id,
            Some(maillage_domain::LieuActiviteId::new(4))
        );
        assert_eq!(
            lecture
                .rapport
                .refusees
                .iter()
                .map(|r| (r.ligne, r.colonne.as_str()))
                .collect::<Vec<_>>(),
            vec![(3, "Durée (min)")]
        );
        let sans_duree = lire_coop(b"Date;Type\n", &lieux)
            .err()
            .map(|e| e.to_string());
        assert!(
            sans_duree.as_deref().unwrap_or("").contains("Durée (min)"),
            "{sans_duree:?}"
        );
    }
}

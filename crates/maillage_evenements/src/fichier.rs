//! Reading an event from JSON: the file of `maillage evenements importer`, whose shape is
//! that of `GET /api/v1/evenements/{id}` (what the API writes can be imported again; the
//! fields only the API writes — `id`, `commune_nom`, `inscrits`, `places_libres`… — are
//! ignored).
//!
//! Every error names the field at fault, as a path (`sessions[2].capacite`), in French.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::domaine::{lire_horodatage, StatutEvenement, TypeEvenement, TypeSession};
use crate::ErreurEvenements;

/// Longest title (event or session), in characters.
pub const TITRE_MAX: usize = 200;
/// Longest address, room or place id.
pub const ADRESSE_MAX: usize = 300;
/// Longest description or accessibility text.
pub const TEXTE_MAX: usize = 2_000;
/// Largest capacity of a session.
pub const CAPACITE_MAX: i64 = 100_000;
/// Most sessions in one event.
pub const SESSIONS_MAX: usize = 500;

/// An event read and checked, ready to be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvenementLu {
    pub titre: String,
    pub type_evenement: TypeEvenement,
    pub commune: String,
    pub adresse: Option<String>,
    pub lieu: Option<String>,
    pub debut: DateTime<Utc>,
    pub fin: DateTime<Utc>,
    pub statut: StatutEvenement,
    pub description: Option<String>,
    pub accessibilite: maillage_store::evenements::Accessibilite,
    pub tournee: Option<i64>,
    pub sessions: Vec<SessionLue>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionLue {
    pub titre: String,
    pub type_session: TypeSession,
    pub debut: DateTime<Utc>,
    pub fin: DateTime<Utc>,
    pub salle: Option<String>,
    pub capacite: i64,
    /// The name of a capacity pool shared with the other sessions naming it.
    pub jauge: Option<String>,
}

fn invalide(champ: &str, message: impl Into<String>) -> ErreurEvenements {
    ErreurEvenements::invalide(champ, message)
}

/// One object of the file and the path that names it in messages.
struct Objet<'a> {
    chemin: String,
    champs: &'a Map<String, Value>,
}

impl<'a> Objet<'a> {
    fn nom(&self, champ: &str) -> String {
        if self.chemin.is_empty() {
            champ.to_string()
        } else {
            format!("{}.{champ}", self.chemin)
        }
    }

    /// A text field: trimmed, `None` when absent, null or empty.
    fn texte(&self, champ: &str, max: usize) -> Result<Option<String>, ErreurEvenements> {
        match self.champs.get(champ) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                let s = s.trim();
                let n = s.chars().count();
                if n > max {
                    return Err(invalide(
                        &self.nom(champ),
                        format!("trop long : {n} caractères, {max} au plus"),
                    ));
                }
                Ok(Some(s.to_string()).filter(|s| !s.is_empty()))
            }
            Some(_) => Err(invalide(&self.nom(champ), "doit être un texte")),
        }
    }

    /// A one-line text (no control character).
    fn ligne(&self, champ: &str, max: usize) -> Result<Option<String>, ErreurEvenements> {
        let t = self.texte(champ, max)?;
        if t.as_deref()
            .is_some_and(|t| t.chars().any(char::is_control))
        {
            return Err(invalide(
                &self.nom(champ),
                "une seule ligne, sans caractère de contrôle",
            ));
        }
        Ok(t)
    }

    fn ligne_requise(&self, champ: &str, max: usize) -> Result<String, ErreurEvenements> {
        self.ligne(champ, max)?
            .ok_or_else(|| invalide(&self.nom(champ), "obligatoire"))
    }

    fn horodatage(&self, champ: &str) -> Result<DateTime<Utc>, ErreurEvenements> {
        let t = self.ligne_requise(champ, 64)?;
        lire_horodatage(&t).map_err(|m| invalide(&self.nom(champ), m))
    }

    fn vocabulaire<T: std::str::FromStr<Err = String>>(
        &self,
        champ: &str,
    ) -> Result<Option<T>, ErreurEvenements> {
        self.ligne(champ, 64)?
            .map(|t| t.parse::<T>().map_err(|m| invalide(&self.nom(champ), m)))
            .transpose()
    }

    fn entier(&self, champ: &str) -> Result<Option<i64>, ErreurEvenements> {
        match self.champs.get(champ) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| invalide(&self.nom(champ), "doit être un nombre entier")),
            Some(_) => Err(invalide(&self.nom(champ), "doit être un nombre entier")),
        }
    }

    fn objet(&self, champ: &str) -> Result<Option<Objet<'a>>, ErreurEvenements> {
        match self.champs.get(champ) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(o)) => Ok(Some(Objet {
                chemin: self.nom(champ),
                champs: o,
            })),
            Some(_) => Err(invalide(&self.nom(champ), "doit être un objet { … }")),
        }
    }
}

fn periode(o: &Objet<'_>) -> Result<(DateTime<Utc>, DateTime<Utc>), ErreurEvenements> {
    let debut = o.horodatage("debut")?;
    let fin = o.horodatage("fin")?;
    if fin <= debut {
        return Err(invalide(&o.nom("fin"), "doit être après le début"));
    }
    Ok((debut, fin))
}

/// Reads an event from the text of a JSON file (see the module's doc). `commune_connue`
/// says whether an INSEE code is in the referential.
pub fn lire_evenement(
    texte: &str,
    commune_connue: impl Fn(&str) -> bool,
) -> Result<EvenementLu, ErreurEvenements> {
    let valeur: Value = serde_json::from_str(texte).map_err(|e| {
        invalide(
            "fichier",
            format!(
                "JSON illisible à la ligne {}, colonne {} ({})",
                e.line(),
                e.column(),
                match e.classify() {
                    serde_json::error::Category::Eof => "fin de fichier inattendue",
                    serde_json::error::Category::Syntax => "erreur de syntaxe",
                    _ => "contenu inattendu",
                }
            ),
        )
    })?;
    let Value::Object(champs) = &valeur else {
        return Err(invalide(
            "fichier",
            "doit contenir un objet { … } (un événement)",
        ));
    };
    let racine = Objet {
        chemin: String::new(),
        champs,
    };
    let titre = racine.ligne_requise("titre", TITRE_MAX)?;
    let type_evenement = racine
        .vocabulaire::<TypeEvenement>("type")?
        .ok_or_else(|| invalide("type", "obligatoire"))?;
    let commune = racine.ligne_requise("commune", 10)?;
    if !commune_connue(&commune) {
        return Err(invalide(
            "commune",
            format!("« {commune} » n’est pas un code INSEE de commune connu"),
        ));
    }
    let adresse = racine.ligne("adresse", ADRESSE_MAX)?;
    let lieu = racine.ligne("lieu", ADRESSE_MAX)?;
    if adresse.is_none() && lieu.is_none() {
        return Err(invalide(
            "adresse",
            "obligatoire (ou « lieu » : l’identifiant d’un lieu de l’annuaire)",
        ));
    }
    let (debut, fin) = periode(&racine)?;
    let statut = racine
        .vocabulaire::<StatutEvenement>("statut")?
        .unwrap_or(StatutEvenement::Publie);
    let description = racine.texte("description", TEXTE_MAX)?;
    let accessibilite = match racine.objet("accessibilite")? {
        None => Default::default(),
        Some(a) => maillage_store::evenements::Accessibilite {
            mobilite: a.texte("mobilite", TEXTE_MAX)?,
            auditif: a.texte("auditif", TEXTE_MAX)?,
            visuel: a.texte("visuel", TEXTE_MAX)?,
            mental: a.texte("mental", TEXTE_MAX)?,
        },
    };
    let tournee = racine.entier("tournee")?;
    let liste = match champs.get("sessions") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(_) => return Err(invalide("sessions", "doit être une liste [ … ]")),
    };
    if liste.len() > SESSIONS_MAX {
        return Err(invalide(
            "sessions",
            format!("{} sessions, {SESSIONS_MAX} au plus", liste.len()),
        ));
    }
    let mut sessions: Vec<SessionLue> = Vec::with_capacity(liste.len());
    for (i, v) in liste.into_iter().enumerate() {
        let chemin = format!("sessions[{i}]");
        let Value::Object(champs) = v else {
            return Err(invalide(&chemin, "doit être un objet { … }"));
        };
        let o = Objet { chemin, champs };
        let titre = o.ligne_requise("titre", TITRE_MAX)?;
        let type_session = o
            .vocabulaire::<TypeSession>("type")?
            .ok_or_else(|| invalide(&o.nom("type"), "obligatoire"))?;
        let (sdebut, sfin) = periode(&o)?;
        let capacite = o
            .entier("capacite")?
            .ok_or_else(|| invalide(&o.nom("capacite"), "obligatoire (nombre de places)"))?;
        if !(0..=CAPACITE_MAX).contains(&capacite) {
            return Err(invalide(
                &o.nom("capacite"),
                format!("doit être entre 0 et {CAPACITE_MAX}"),
            ));
        }
        let jauge = o.ligne("jauge", TITRE_MAX)?;
        if let Some(nom) = &jauge {
            if let Some(autre) = sessions
                .iter()
                .find(|s| s.jauge.as_ref() == Some(nom) && s.capacite != capacite)
            {
                return Err(invalide(
                    &o.nom("capacite"),
                    format!(
                        "les sessions de la jauge « {nom} » partagent ses places : même capacité attendue ({} pour « {} »)",
                        autre.capacite, autre.titre
                    ),
                ));
            }
        }
        sessions.push(SessionLue {
            titre,
            type_session,
            debut: sdebut,
            fin: sfin,
            salle: o.ligne("salle", ADRESSE_MAX)?,
            capacite,
            jauge,
        });
    }
    Ok(EvenementLu {
        titre,
        type_evenement,
        commune,
        adresse,
        lieu,
        debut,
        fin,
        statut,
        description,
        accessibilite,
        tournee,
        sessions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lire(texte: &str) -> Result<EvenementLu, String> {
        lire_evenement(texte, |c| c == "31395").map_err(|e| e.to_string())
    }

    const BON: &str = r#"{
        "titre": "Village numérique de Muret",
        "type": "etape_tournee",
        "commune": "31395",
        "adresse": "Place de la République",
        "debut": "2030-06-12T09:00:00+02:00",
        "fin": "2030-06-12T17:00:00+02:00",
        "accessibilite": {"mobilite": "Plain-pied"},
        "id": 12, "commune_nom": "Muret",
        "sessions": [
            {"titre": "Casque VR", "type": "realite_virtuelle", "debut": "2030-06-12T10:00:00",
             "fin": "2030-06-12T11:00:00", "capacite": 8, "jauge": "casques", "places_libres": 3},
            {"titre": "Casque VR (2)", "type": "realite_virtuelle", "debut": "2030-06-12T11:00:00",
             "fin": "2030-06-12T12:00:00", "capacite": 8, "jauge": "casques"},
            {"titre": "Quiz arnaques", "type": "quiz", "debut": "2030-06-12T14:00:00",
             "fin": "2030-06-12T15:00:00", "capacite": 30, "salle": "Salle des fêtes"}
        ]
    }"#;

    #[test]
    fn reads_a_whole_event() {
        let e = lire(BON).unwrap();
        assert_eq!(e.titre, "Village numérique de Muret");
        assert_eq!(e.type_evenement, TypeEvenement::EtapeTournee);
        assert_eq!(e.statut, StatutEvenement::Publie);
        assert_eq!(e.sessions.len(), 3);
        assert_eq!(e.sessions[0].jauge.as_deref(), Some("casques"));
        assert_eq!(e.sessions[2].salle.as_deref(), Some("Salle des fêtes"));
        assert_eq!(e.accessibilite.mobilite.as_deref(), Some("Plain-pied"));
        assert_eq!(
            e.sessions[0].debut,
            lire_horodatage("2030-06-12T08:00:00Z").unwrap()
        );
    }

    #[test]
    fn errors_name_the_field() {
        let sans = |champ: &str| {
            let mut v: Value = serde_json::from_str(BON).unwrap();
            if let Some(o) = v.as_object_mut() {
                o.remove(champ);
            }
            lire(&v.to_string()).unwrap_err()
        };
        assert_eq!(sans("titre"), "titre : obligatoire");
        assert_eq!(sans("type"), "type : obligatoire");
        assert!(sans("adresse").starts_with("adresse : obligatoire"));
        assert_eq!(sans("fin"), "fin : obligatoire");
        let avec = |pointeur: &str, valeur: Value| {
            let mut v: Value = serde_json::from_str(BON).unwrap();
            if let Some(c) = v.pointer_mut(pointeur) {
                *c = valeur;
            }
            lire(&v.to_string()).unwrap_err()
        };
        assert!(avec("/commune", "99999".into()).starts_with("commune : « 99999 »"));
        assert!(avec("/sessions/2/type", "karaoke".into())
            .starts_with("sessions[2].type : « karaoke » inconnu"));
        assert_eq!(
            avec("/sessions/1/capacite", Value::from(-1)),
            "sessions[1].capacite : doit être entre 0 et 100000"
        );
        assert!(avec("/sessions/1/capacite", Value::from(9))
            .starts_with("sessions[1].capacite : les sessions de la jauge « casques »"));
        assert_eq!(
            avec("/sessions/0/capacite", "huit".into()),
            "sessions[0].capacite : doit être un nombre entier"
        );
        assert_eq!(
            avec("/sessions/0/fin", "2030-06-12T09:00:00".into()),
            "sessions[0].fin : doit être après le début"
        );
        assert!(avec("/titre", "x".repeat(201).into())
            .starts_with("titre : trop long : 201 caractères"));
        assert!(lire("{")
            .unwrap_err()
            .starts_with("fichier : JSON illisible à la ligne 1"));
        assert!(lire("[]")
            .unwrap_err()
            .starts_with("fichier : doit contenir un objet"));
    }
}

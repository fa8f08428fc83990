//! The counters an activity record adds to the statistics.
//!
//! Every record adds one fixed-size vector of counters ([`Compteurs`]) to the roll-up rows
//! of its mediator, place, commune and month. Dashboards sum those rows, so a dashboard
//! costs the number of roll-up rows it reads, not the number of records. The layout is a
//! concatenation of the vocabularies below, in this order; what each block counts:
//!
//! | block | counts |
//! |---|---|
//! | type d'activité, type de lieu, tranche de durée, thématique, matériel, autonomie, niveau, orientation | activities |
//! | tranche d'âge, statut, genre, suivi (nouveau / déjà accompagné / anonyme) | participants |
//!
//! Three totals come first: activities, accompaniments (participants: a workshop of 10
//! counts 10) and minutes.

use super::cra::Cra;
use super::referentiels::{
    Autonomie, Genre, Materiel, NiveauAtelier, Referentiel, StatutSocial, StructureRedirection,
    SuiviBeneficiaire, Thematique, TrancheAge, TrancheDuree, TypeActivite, TypeLieu,
};

/// One block of the counter vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    TypeActivite,
    TypeLieu,
    Duree,
    Thematique,
    Materiel,
    Autonomie,
    Niveau,
    Orientation,
    TrancheAge,
    Statut,
    Genre,
    Suivi,
}

impl Dimension {
    /// Every block, in layout order.
    pub const TOUTES: [Dimension; 12] = [
        Dimension::TypeActivite,
        Dimension::TypeLieu,
        Dimension::Duree,
        Dimension::Thematique,
        Dimension::Materiel,
        Dimension::Autonomie,
        Dimension::Niveau,
        Dimension::Orientation,
        Dimension::TrancheAge,
        Dimension::Statut,
        Dimension::Genre,
        Dimension::Suivi,
    ];

    /// Title of the block on dashboards and in exports.
    pub fn titre(self) -> &'static str {
        match self {
            Dimension::TypeActivite => "Type d’activité",
            Dimension::TypeLieu => "Lieu de l’accompagnement",
            Dimension::Duree => "Durée",
            Dimension::Thematique => "Thématiques",
            Dimension::Materiel => "Matériel utilisé",
            Dimension::Autonomie => "Autonomie",
            Dimension::Niveau => "Niveau des ateliers",
            Dimension::Orientation => "Orientation",
            Dimension::TrancheAge => "Tranche d’âge",
            Dimension::Statut => "Statut",
            Dimension::Genre => "Genre",
            Dimension::Suivi => "Bénéficiaires",
        }
    }

    /// `true` if the block counts participants, `false` if it counts activities.
    pub fn compte_participants(self) -> bool {
        matches!(
            self,
            Dimension::TrancheAge | Dimension::Statut | Dimension::Genre | Dimension::Suivi
        )
    }

    /// The labels of the block's values, in layout order.
    pub fn libelles(self) -> Vec<&'static str> {
        fn l<R: Referentiel>() -> Vec<&'static str> {
            R::TOUS.iter().map(|v| v.libelle()).collect()
        }
        match self {
            Dimension::TypeActivite => l::<TypeActivite>(),
            Dimension::TypeLieu => l::<TypeLieu>(),
            Dimension::Duree => l::<TrancheDuree>(),
            Dimension::Thematique => l::<Thematique>(),
            Dimension::Materiel => l::<Materiel>(),
            Dimension::Autonomie => l::<Autonomie>(),
            Dimension::Niveau => l::<NiveauAtelier>(),
            Dimension::Orientation => l::<StructureRedirection>(),
            Dimension::TrancheAge => l::<TrancheAge>(),
            Dimension::Statut => l::<StatutSocial>(),
            Dimension::Genre => l::<Genre>(),
            Dimension::Suivi => l::<SuiviBeneficiaire>(),
        }
    }

    fn taille(self) -> usize {
        match self {
            Dimension::TypeActivite => TypeActivite::TOUS.len(),
            Dimension::TypeLieu => TypeLieu::TOUS.len(),
            Dimension::Duree => TrancheDuree::TOUS.len(),
            Dimension::Thematique => Thematique::TOUS.len(),
            Dimension::Materiel => Materiel::TOUS.len(),
            Dimension::Autonomie => Autonomie::TOUS.len(),
            Dimension::Niveau => NiveauAtelier::TOUS.len(),
            Dimension::Orientation => StructureRedirection::TOUS.len(),
            Dimension::TrancheAge => TrancheAge::TOUS.len(),
            Dimension::Statut => StatutSocial::TOUS.len(),
            Dimension::Genre => Genre::TOUS.len(),
            Dimension::Suivi => SuiviBeneficiaire::TOUS.len(),
        }
    }

    /// Index of the block's first counter in [`Compteurs`].
    pub fn debut(self) -> usize {
        let mut i = TOTAUX;
        for d in Dimension::TOUTES {
            if d == self {
                return i;
            }
            i += d.taille();
        }
        i
    }

    /// The block's range of indices in [`Compteurs`].
    pub fn plage(self) -> std::ops::Range<usize> {
        self.debut()..self.debut() + self.taille()
    }
}

/// Totals before the blocks: activities, accompaniments, minutes.
const TOTAUX: usize = 3;
/// Length of the counter vector.
pub const NB_COMPTEURS: usize = TOTAUX + 2 + 4 + 4 + 30 + 5 + 3 + 3 + 7 + 8 + 5 + 3 + 3;

/// The counters of one activity, or the sum of many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compteurs(pub [i64; NB_COMPTEURS]);

impl Default for Compteurs {
    fn default() -> Self {
        Compteurs([0; NB_COMPTEURS])
    }
}

/// What the statistics need to know of a known participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfilParticipant {
    pub tranche_age: TrancheAge,
    pub statut: StatutSocial,
    pub genre: Genre,
    /// First activity ever recorded for this person.
    pub nouveau: bool,
}

impl Compteurs {
    pub fn activites(&self) -> i64 {
        self.0[0]
    }
    pub fn accompagnements(&self) -> i64 {
        self.0[1]
    }
    pub fn minutes(&self) -> i64 {
        self.0[2]
    }

    /// The counters of `dimension`, in layout order.
    pub fn bloc(&self, dimension: Dimension) -> &[i64] {
        &self.0[dimension.plage()]
    }

    fn ajouter<R: Referentiel>(&mut self, dimension: Dimension, valeur: R, n: i64) {
        self.0[dimension.debut() + valeur.rang()] += n;
    }

    /// The counters one record adds; `connus` describes its known participants.
    pub fn d_une_activite(cra: &Cra, connus: &[ProfilParticipant]) -> Compteurs {
        let mut c = Compteurs::default();
        c.0[0] = 1;
        c.0[1] = i64::from(cra.participants());
        c.0[2] = i64::from(cra.duree);
        c.ajouter(Dimension::TypeActivite, cra.type_activite, 1);
        c.ajouter(Dimension::TypeLieu, cra.type_lieu, 1);
        c.ajouter(Dimension::Duree, TrancheDuree::depuis_minutes(cra.duree), 1);
        for t in &cra.thematiques {
            c.ajouter(Dimension::Thematique, *t, 1);
        }
        for m in &cra.materiel {
            c.ajouter(Dimension::Materiel, *m, 1);
        }
        if let Some(a) = cra.autonomie {
            c.ajouter(Dimension::Autonomie, a, 1);
        }
        if let Some(n) = cra.niveau {
            c.ajouter(Dimension::Niveau, n, 1);
        }
        if let Some(o) = cra.orientation {
            c.ajouter(Dimension::Orientation, o, 1);
        }
        for p in connus {
            c.ajouter(Dimension::TrancheAge, p.tranche_age, 1);
            c.ajouter(Dimension::Statut, p.statut, 1);
            c.ajouter(Dimension::Genre, p.genre, 1);
            let suivi = if p.nouveau {
                SuiviBeneficiaire::Nouveau
            } else {
                SuiviBeneficiaire::DejaAccompagne
            };
            c.ajouter(Dimension::Suivi, suivi, 1);
        }
        for g in &cra.anonymes {
            let n = i64::from(g.nombre);
            c.ajouter(Dimension::TrancheAge, g.tranche_age, n);
            c.ajouter(Dimension::Statut, g.statut, n);
            c.ajouter(Dimension::Genre, g.genre, n);
            c.ajouter(Dimension::Suivi, SuiviBeneficiaire::Anonyme, n);
        }
        c
    }

    /// Adds `autre` to `self`.
    pub fn additionner(&mut self, autre: &Compteurs) {
        for (a, b) in self.0.iter_mut().zip(autre.0.iter()) {
            *a += *b;
        }
    }

    /// Stored form: little-endian `i64`s.
    pub fn en_octets(&self) -> Vec<u8> {
        self.0.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// Reads the stored form; a shorter vector (written before a vocabulary grew) is
    /// padded with zeros, a longer one or a length not a multiple of 8 is refused.
    pub fn depuis_octets(octets: &[u8]) -> Option<Compteurs> {
        if !octets.len().is_multiple_of(8) || octets.len() > NB_COMPTEURS * 8 {
            return None;
        }
        let mut c = Compteurs::default();
        for (i, chunk) in octets.chunks_exact(8).enumerate() {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            c.0[i] = i64::from_le_bytes(b);
        }
        Some(c)
    }

    /// Adds the stored form `octets` to `self` without building a vector (dashboards sum
    /// thousands of rows). Returns `false` if `octets` is malformed.
    pub fn additionner_octets(&mut self, octets: &[u8]) -> bool {
        if !octets.len().is_multiple_of(8) || octets.len() > NB_COMPTEURS * 8 {
            return false;
        }
        for (slot, chunk) in self.0.iter_mut().zip(octets.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *slot += i64::from_le_bytes(b);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mediation::cra::GroupeAnonyme;
    use chrono::NaiveDate;

    #[test]
    fn layout_covers_every_vocabulary_once() {
        let last = Dimension::Suivi.plage().end;
        assert_eq!(last, NB_COMPTEURS);
        for d in Dimension::TOUTES {
            assert_eq!(d.libelles().len(), d.plage().len(), "{d:?}");
        }
    }

    #[test]
    fn a_workshop_of_eight_counts_eight_accompaniments() {
        let cra = Cra {
            type_activite: TypeActivite::Collectif,
            date: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            duree: 90,
            type_lieu: TypeLieu::LieuActivite,
            lieu_activite_id: Some(crate::LieuActiviteId::new(1)),
            commune: None,
            thematiques: vec![Thematique::Email, Thematique::SecuriteNumerique],
            materiel: vec![Materiel::Tablette],
            autonomie: None,
            orientation: None,
            titre: Some("Les arnaques en ligne".into()),
            niveau: Some(NiveauAtelier::Debutant),
            beneficiaires: vec![7, 9],
            anonymes: vec![GroupeAnonyme {
                nombre: 6,
                tranche_age: TrancheAge::SoixanteDixPlus,
                statut: StatutSocial::Retraite,
                genre: Genre::NonCommunique,
            }],
            notes: String::new(),
            tags: vec![],
        };
        let connus = [
            ProfilParticipant {
                tranche_age: TrancheAge::QuaranteCinquanteNeuf,
                statut: StatutSocial::EnEmploi,
                genre: Genre::Feminin,
                nouveau: true,
            },
            ProfilParticipant {
                tranche_age: TrancheAge::SoixanteDixPlus,
                statut: StatutSocial::Retraite,
                genre: Genre::Masculin,
                nouveau: false,
            },
        ];
        let c = Compteurs::d_une_activite(&cra, &connus);
        assert_eq!(
            (c.activites(), c.accompagnements(), c.minutes()),
            (1, 8, 90)
        );
        assert_eq!(c.bloc(Dimension::Suivi), &[1, 1, 6]);
        assert_eq!(c.bloc(Dimension::TrancheAge)[6], 7);
        assert_eq!(c.bloc(Dimension::Duree), &[0, 0, 1, 0]);
        assert_eq!(c.bloc(Dimension::Thematique).iter().sum::<i64>(), 2);
        let octets = c.en_octets();
        assert_eq!(Compteurs::depuis_octets(&octets), Some(c.clone()));
        let mut somme = c.clone();
        assert!(somme.additionner_octets(&octets));
        assert_eq!(somme.accompagnements(), 16);
        assert!(!somme.additionner_octets(&[1, 2, 3]));
    }
}

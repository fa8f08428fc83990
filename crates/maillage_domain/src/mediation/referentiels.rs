//! The vocabularies of activity records, as La Coop de la médiation numérique defines them
//! (`../shared/standards/REFERENTIELS.md` §1): each value has a stored code (the Coop's
//! DB/API value, e.g. `diagnostic_numerique`) and a label shown to people.

/// A closed list of values, each with its stored code and its French label.
pub trait Referentiel: Sized + Copy + Eq + 'static {
    /// Name of the field, in French, for error messages.
    const CHAMP: &'static str;
    /// Every value, in the Coop's order.
    const TOUS: &'static [Self];
    /// The stored code (`snake_case`).
    fn code(self) -> &'static str;
    /// The label shown to people.
    fn libelle(self) -> &'static str;
    /// Position of the value in [`Referentiel::TOUS`].
    fn rang(self) -> usize {
        Self::TOUS.iter().position(|v| *v == self).unwrap_or(0)
    }
    /// Parses a stored code, or a label (the Coop's exports use labels).
    fn depuis_code(valeur: &str) -> Option<Self> {
        let v = valeur.trim();
        Self::TOUS
            .iter()
            .copied()
            .find(|x| x.code() == v || x.libelle().eq_ignore_ascii_case(v))
    }
}

/// A code or label that is not in its list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("valeur inconnue pour « {champ} » : « {valeur} »")]
pub struct ValeurInconnue {
    pub champ: &'static str,
    pub valeur: String,
}

macro_rules! referentiel {
    (
        $(#[$meta:meta])*
        $name:ident, $champ:literal {
            $($variant:ident => ($code:literal, $libelle:literal),)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(
                #[doc = $libelle]
                $variant,
            )+
        }

        impl Referentiel for $name {
            const CHAMP: &'static str = $champ;
            const TOUS: &'static [Self] = &[$(Self::$variant,)+];
            fn code(self) -> &'static str {
                match self { $(Self::$variant => $code,)+ }
            }
            fn libelle(self) -> &'static str {
                match self { $(Self::$variant => $libelle,)+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.libelle())
            }
        }

        impl std::str::FromStr for $name {
            type Err = ValeurInconnue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <Self as Referentiel>::depuis_code(s).ok_or_else(|| ValeurInconnue {
                    champ: $champ,
                    valeur: s.to_string(),
                })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

referentiel! {
    /// Thématique of an accompaniment: digital (first 18) or administrative (last 12).
    Thematique, "thématique" {
        DiagnosticNumerique => ("diagnostic_numerique", "Diagnostic numérique"),
        PrendreEnMainDuMateriel => ("prendre_en_main_du_materiel", "Prendre en main du matériel"),
        MaintenanceDeMateriel => ("maintenance_de_materiel", "Maintenance de matériel"),
        GereSesContenusNumeriques => ("gere_ses_contenus_numeriques", "Gérer ses contenus numériques"),
        NavigationSurInternet => ("navigation_sur_internet", "Navigation sur internet"),
        Email => ("email", "E-mail"),
        Bureautique => ("bureautique", "Bureautique"),
        ReseauxSociaux => ("reseaux_sociaux", "Réseaux sociaux communication"),
        Sante => ("sante", "Santé"),
        BanqueEtAchatsEnLigne => ("banque_et_achats_en_ligne", "Banque et achats en ligne"),
        Entrepreneuriat => ("entrepreneuriat", "Accompagner un professionnel"),
        InsertionProfessionnelle => ("insertion_professionnelle", "Insertion professionnelle"),
        SecuriteNumerique => ("securite_numerique", "Prévention en sécurité numérique"),
        Parentalite => ("parentalite", "Parentalité"),
        ScolariteEtNumerique => ("scolarite_et_numerique", "Scolarité et numérique"),
        CreerAvecLeNumerique => ("creer_avec_le_numerique", "Créer avec le numérique"),
        CultureNumerique => ("culture_numerique", "Culture numérique"),
        IntelligenceArtificielle => ("intelligence_artificielle", "Intelligence artificielle (IA)"),
        AideAuxDemarchesAdministratives => ("aide_aux_demarches_administratives", "Aide aux démarches administratives"),
        PapiersElectionsCitoyennete => ("papiers_elections_citoyennete", "Papiers - Élections - Citoyenneté"),
        FamilleScolarite => ("famille_scolarite", "Famille - Scolarité"),
        SocialSante => ("social_sante", "Social - Santé"),
        TravailFormation => ("travail_formation", "Travail - Formation - Entreprise"),
        Logement => ("logement", "Logement"),
        TransportsMobilite => ("transports_mobilite", "Transports - Mobilité"),
        ArgentImpots => ("argent_impots", "Argent - Impôts"),
        Justice => ("justice", "Justice"),
        EtrangersEurope => ("etrangers_europe", "Étrangers - Europe"),
        LoisirsSportsCulture => ("loisirs_sports_culture", "Loisirs - Sports - Culture"),
        Associations => ("associations", "Associations"),
    }
}

impl Thematique {
    /// `true` for the administrative thématiques (démarches), `false` for digital ones.
    pub fn est_administrative(self) -> bool {
        self.rang() >= Thematique::AideAuxDemarchesAdministratives.rang()
    }
}

referentiel! {
    /// Individual accompaniment or collective workshop.
    TypeActivite, "type d’activité" {
        Individuel => ("individuel", "Accompagnement individuel"),
        Collectif => ("collectif", "Atelier collectif"),
    }
}

referentiel! {
    /// Where the activity took place.
    TypeLieu, "type de lieu" {
        LieuActivite => ("lieu_activite", "Lieu d’activité"),
        Domicile => ("domicile", "À domicile"),
        ADistance => ("a_distance", "À distance"),
        Autre => ("autre", "Autre lieu"),
    }
}

referentiel! {
    /// Equipment used.
    Materiel, "matériel" {
        Ordinateur => ("ordinateur", "Ordinateur"),
        Telephone => ("telephone", "Téléphone"),
        Tablette => ("tablette", "Tablette"),
        Autre => ("autre", "Autre"),
        Aucun => ("aucun", "Pas de matériel"),
    }
}

referentiel! {
    /// How autonomous the person was (individual accompaniment).
    Autonomie, "autonomie" {
        EntierementAccompagne => ("entierement_accompagne", "Avec guidage"),
        PartiellementAutonome => ("partiellement_autonome", "Autonome avec guidage en cas de besoin"),
        Autonome => ("autonome", "Autonome"),
    }
}

referentiel! {
    /// Where the person was sent afterwards.
    StructureRedirection, "structure de redirection" {
        Administration => ("administration", "Administration (mairie, préfecture…)"),
        MediationNumerique => ("mediation_numerique", "Autre structure de médiation numérique"),
        OperateurOuOrganismeEnCharge => ("operateur_ou_organisme_en_charge", "Opérateur ou organisme en charge de la démarche administrative"),
        AideSociale => ("aide_sociale", "Structure d’aide sociale (maison des solidarités, centre social…)"),
        InsertionProfessionnelle => ("insertion_professionnelle", "Structure d’insertion professionnelle (France Travail, mission locale, chambre de commerce…)"),
        AideAuxDemarchesAdministratives => ("aide_aux_demarches_administratives", "Structure d’aide aux démarches administratives (France Services…)"),
        Autre => ("autre", "Autre"),
    }
}

referentiel! {
    /// Level of a collective workshop.
    NiveauAtelier, "niveau de l’atelier" {
        Debutant => ("debutant", "Débutant"),
        Intermediaire => ("intermediaire", "Intermédiaire"),
        Avance => ("avance", "Avancé"),
    }
}

referentiel! {
    /// Gender, as the person chose to say it.
    Genre, "genre" {
        Masculin => ("masculin", "Masculin"),
        Feminin => ("feminin", "Féminin"),
        NonCommunique => ("non_communique", "Non communiqué"),
    }
}

referentiel! {
    /// Age band.
    TrancheAge, "tranche d’âge" {
        MoinsDeDouze => ("moins_de_douze", "Moins de 12 ans"),
        DouzeDixHuit => ("douze_dix_huit", "12 - 17 ans"),
        DixHuitVingtQuatre => ("dix_huit_vingt_quatre", "18 - 24 ans"),
        VingtCinqTrenteNeuf => ("vingt_cinq_trente_neuf", "25 - 39 ans"),
        QuaranteCinquanteNeuf => ("quarante_cinquante_neuf", "40 - 59 ans"),
        SoixanteSoixanteNeuf => ("soixante_soixante_neuf", "60 - 69 ans"),
        SoixanteDixPlus => ("soixante_dix_plus", "70 ans et plus"),
        NonCommunique => ("non_communique", "Non communiqué"),
    }
}

impl TrancheAge {
    /// The band of someone born in `annee_naissance`, in year `annee` (age reached during
    /// the year). A birth year in the future or over 120 years ago gives `NonCommunique`.
    pub fn depuis_annee_naissance(annee_naissance: i32, annee: i32) -> TrancheAge {
        match annee - annee_naissance {
            age if !(0..=120).contains(&age) => TrancheAge::NonCommunique,
            0..=11 => TrancheAge::MoinsDeDouze,
            12..=17 => TrancheAge::DouzeDixHuit,
            18..=24 => TrancheAge::DixHuitVingtQuatre,
            25..=39 => TrancheAge::VingtCinqTrenteNeuf,
            40..=59 => TrancheAge::QuaranteCinquanteNeuf,
            60..=69 => TrancheAge::SoixanteSoixanteNeuf,
            _ => TrancheAge::SoixanteDixPlus,
        }
    }
}

referentiel! {
    /// Social status.
    StatutSocial, "statut" {
        Scolarise => ("scolarise", "Scolarisé"),
        SansEmploi => ("sans_emploi", "Sans emploi"),
        EnEmploi => ("en_emploi", "En emploi"),
        Retraite => ("retraite", "Retraité"),
        NonCommunique => ("non_communique", "Non communiqué ou hétérogène"),
    }
}

referentiel! {
    /// Duration buckets of the statistics (`dureeAccompagnementStatisticsRanges`).
    TrancheDuree, "tranche de durée" {
        MoinsDe30 => ("30", "Moins de 30 min"),
        De30A60 => ("60", "30 min à 1 h"),
        De60A120 => ("120", "1 h à 2 h"),
        Plus120 => ("more", "2 h et plus"),
    }
}

impl TrancheDuree {
    /// The bucket of a duration in minutes (upper bounds included, as the Coop does).
    pub fn depuis_minutes(minutes: u32) -> TrancheDuree {
        match minutes {
            0..=30 => TrancheDuree::MoinsDe30,
            31..=60 => TrancheDuree::De30A60,
            61..=120 => TrancheDuree::De60A120,
            _ => TrancheDuree::Plus120,
        }
    }
}

referentiel! {
    /// Who the participants of an activity were, for the statistics.
    SuiviBeneficiaire, "suivi" {
        Nouveau => ("nouveau", "Nouveaux bénéficiaires"),
        DejaAccompagne => ("deja_accompagne", "Bénéficiaires déjà accompagnés"),
        Anonyme => ("anonyme", "Participants anonymes"),
    }
}

referentiel! {
    /// The role of an account.
    Role, "rôle" {
        Mediateur => ("mediateur", "Médiateur·rice numérique"),
        Coordinateur => ("coordinateur", "Coordinateur·rice"),
        Administrateur => ("administrateur", "Administrateur·rice de l’instance"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_labels_round_trip() {
        assert_eq!(Thematique::TOUS.len(), 30);
        for t in Thematique::TOUS {
            assert_eq!(Thematique::depuis_code(t.code()), Some(*t));
            assert_eq!(t.code().parse::<Thematique>(), Ok(*t));
        }
        assert_eq!(
            "Aide aux démarches administratives".parse::<Thematique>(),
            Ok(Thematique::AideAuxDemarchesAdministratives)
        );
        assert!("rien".parse::<Materiel>().is_err());
        assert!(Thematique::Logement.est_administrative());
        assert!(!Thematique::Email.est_administrative());
    }

    #[test]
    fn age_bands_and_duration_buckets() {
        assert_eq!(
            TrancheAge::depuis_annee_naissance(1950, 2026),
            TrancheAge::SoixanteDixPlus
        );
        assert_eq!(
            TrancheAge::depuis_annee_naissance(2009, 2026),
            TrancheAge::DouzeDixHuit
        );
        assert_eq!(
            TrancheAge::depuis_annee_naissance(2008, 2026),
            TrancheAge::DixHuitVingtQuatre
        );
        assert_eq!(
            TrancheAge::depuis_annee_naissance(2030, 2026),
            TrancheAge::NonCommunique
        );
        assert_eq!(TrancheDuree::depuis_minutes(30), TrancheDuree::MoinsDe30);
        assert_eq!(TrancheDuree::depuis_minutes(45), TrancheDuree::De30A60);
        assert_eq!(TrancheDuree::depuis_minutes(120), TrancheDuree::De60A120);
        assert_eq!(TrancheDuree::depuis_minutes(121), TrancheDuree::Plus120);
    }
}

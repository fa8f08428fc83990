//! Every enumeration of the national places schema v1.0.2, as Rust types.
//!
//! Generated from `standards/lieux-mediation-numerique/enumerations.json`; the
//! string of each variant is the exact value of the schema.

vocabulary! {
    /// Values of the `services` field.
    Service, "services" {
        MaterielInformatiqueAPrixSolidaire => "Acquisition de matériel informatique à prix solidaire",
        AideAuxDemarchesAdministratives => "Aide aux démarches administratives",
        MaitriseDesOutilsNumeriquesDuQuotidien => "Maîtrise des outils numériques du quotidien",
        InsertionProfessionnelleViaLeNumerique => "Insertion professionnelle via le numérique",
        UtilisationSecuriseeDuNumerique => "Utilisation sécurisée du numérique",
        ParentaliteEtEducationAvecLeNumerique => "Parentalité et éducation avec le numérique",
        LoisirsEtCreationsNumeriques => "Loisirs et créations numériques",
        ComprehensionDuMondeNumerique => "Compréhension du monde numérique",
        AccesInternetEtMaterielInformatique => "Accès internet et matériel informatique",
    }
}

vocabulary! {
    /// Values of the `publics_specifiquement_adresses` field.
    PublicSpecifiquementAdresse, "publics_specifiquement_adresses" {
        Jeunes => "Jeunes",
        Etudiants => "Étudiants",
        FamillesEnfants => "Familles et/ou enfants",
        Seniors => "Seniors",
        Femmes => "Femmes",
    }
}

vocabulary! {
    /// Values of the `prise_en_charge_specifique` field.
    PriseEnChargeSpecifique, "prise_en_charge_specifique" {
        Surdite => "Surdité",
        HandicapsMoteurs => "Handicaps moteurs",
        HandicapsMentaux => "Handicaps mentaux",
        Illettrisme => "Illettrisme",
        LanguesEtrangeresAnglais => "Langues étrangères (anglais)",
        LanguesEtrangeresAutre => "Langues étrangères (autres)",
        DeficienceVisuelle => "Déficience visuelle",
    }
}

vocabulary! {
    /// Values of the `frais_a_charge` field.
    Frais, "frais_a_charge" {
        Gratuit => "Gratuit",
        GratuitSousCondition => "Gratuit sous condition",
        Payant => "Payant",
    }
}

vocabulary! {
    /// Values of the `modalites_acces` field.
    ModaliteAcces, "modalites_acces" {
        SePresenter => "Se présenter",
        Telephoner => "Téléphoner",
        ContacterParMail => "Contacter par mail",
        PrescriptionParMail => "Envoyer un mail avec une fiche de prescription",
        PrendreRdvEnLigne => "Prendre un RDV en ligne",
        PasDePublic => "Ce lieu n'accueille pas de public",
    }
}

vocabulary! {
    /// Values of the `modalites_accompagnement` field.
    ModaliteAccompagnement, "modalites_accompagnement" {
        EnAutonomie => "En autonomie",
        AccompagnementIndividuel => "Accompagnement individuel",
        DansUnAtelier => "Dans un atelier collectif",
        ADistance => "À distance",
    }
}

vocabulary! {
    /// Values of the `dispositif_programmes_nationaux` field.
    DispositifProgrammeNational, "dispositif_programmes_nationaux" {
        AidantsConnect => "Aidants Connect",
        BibliothequesNumeriqueDeReference => "Bibliothèques numérique de référence",
        CertificationPIX => "Certification PIX",
        ConseillersNumeriques => "Conseillers numériques",
        EmmausConnect => "Emmaüs Connect",
        FranceServices => "France Services",
        GrandeEcoleDuNumerique => "Grande école du numérique",
        LaCroixRouge => "La Croix Rouge",
        PointNumeriqueCAF => "Point d'accès numérique CAF",
        PromeneursDuNet => "Promeneurs du net",
        RelaisNumeriqueEmmausConnect => "Relais numérique (Emmaüs Connect)",
    }
}

vocabulary! {
    /// Values of the `formations_labels` field.
    FormationLabel, "formations_labels" {
        FormeAMonEspaceSante => "Formé à « Mon Espace Santé »",
        FormeADuplex => "Formé à « DUPLEX » (illettrisme)",
        ArniaMednum => "Arnia/MedNum BFC (Bourgogne-Franche-Comté)",
        CollectifRessourcesEtActeursReemploi => "Collectif ressources et acteurs réemploi (Normandie)",
        EtapesNumeriques => "Étapes numériques (La Poste)",
        FabriquesDeTerritoire => "Fabriques de Territoire",
        LesEclaireurs => "Les Éclaireurs du numérique (Drôme)",
        MesPapiers => "Mes Papiers (Métropole de Lyon)",
        Ordi3 => "ORDI 3.0",
        SudLabs => "SUD LABS (PACA)",
    }
}

vocabulary! {
    /// Values of the `itinerance` field.
    Itinerance, "itinerance" {
        Itinerant => "Itinérant",
        Fixe => "Fixe",
    }
}

vocabulary! {
    /// Values of the `typologie` field.
    Typologie, "typologie" {
        Aci => "ACI",
        Aciphc => "ACIPHC",
        Afpa => "AFPA",
        Ai => "AI",
        Ase => "ASE",
        Asso => "ASSO",
        AssoChomeur => "ASSO_CHOMEUR",
        Autre => "Autre",
        Avip => "AVIP",
        Bib => "BIB",
        Caarud => "CAARUD",
        Cada => "CADA",
        Caf => "CAF",
        CapEmploi => "CAP_EMPLOI",
        Cava => "CAVA",
        Cc => "CC",
        Ccas => "CCAS",
        Ccons => "CCONS",
        Cd => "CD",
        Cdas => "CDAS",
        Cfp => "CFP",
        Chrs => "CHRS",
        Chu => "CHU",
        Cias => "CIAS",
        Cidff => "CIDFF",
        Citmet => "CITMET",
        Cmp => "CMP",
        Cms => "CMS",
        Cpam => "CPAM",
        Cph => "CPH",
        Cs => "CS",
        Csapa => "CSAPA",
        Csc => "CSC",
        Deets => "DEETS",
        Dept => "DEPT",
        Diplp => "DIPLP",
        E2c => "E2C",
        Ea => "EA",
        Eatt => "EATT",
        Ei => "EI",
        Eiti => "EITI",
        Enm => "ENM",
        Epci => "EPCI",
        Epi => "EPI",
        Epide => "EPIDE",
        Epn => "EPN",
        Es => "ES",
        Esat => "ESAT",
        Ess => "ESS",
        Etti => "ETTI",
        Evs => "EVS",
        Fablab => "FABLAB",
        Fabrique => "FABRIQUE",
        Fais => "FAIS",
        Ft => "FT",
        Geiq => "GEIQ",
        Huda => "HUDA",
        LaPoste => "LA_POSTE",
        Mde => "MDE",
        Mdh => "MDH",
        Mdef => "MDEF",
        Mdph => "MDPH",
        Mds => "MDS",
        Mjc => "MJC",
        Ml => "ML",
        Mq => "MQ",
        Msa => "MSA",
        Msap => "MSAP",
        Muni => "MUNI",
        Oacas => "OACAS",
        Odc => "ODC",
        Of => "OF",
        Oil => "OIL",
        Opcs => "OPCS",
        Pad => "PAD",
        Pension => "PENSION",
        Pi => "PI",
        PijBij => "PIJ_BIJ",
        Pimms => "PIMMS",
        Pjj => "PJJ",
        Plie => "PLIE",
        Pref => "PREF",
        Prevention => "PREVENTION",
        Reg => "REG",
        RelaisLecture => "RELAIS_LECTURE",
        Ressourcerie => "RESSOURCERIE",
        Rfs => "RFS",
        RsFjt => "RS_FJT",
        Scp => "SCP",
        Spip => "SPIP",
        TiersLieux => "TIERS_LIEUX",
        Udaf => "UDAF",
    }
}

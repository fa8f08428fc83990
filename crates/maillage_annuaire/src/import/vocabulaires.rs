//! Labels of the schema's enumerations, as written in the files: schema v1 labels matched
//! loosely (case, accents, apostrophes, punctuation), and schema v0 labels translated to v1
//! (SCHEMA.md §6, and §7.1 `THEMATIQUES_TO_SERVICES` for the services).
//!
//! Every function matches after [`texte::normaliser`]; v0 labels in their long form
//! (`Gratuit : Je peux accéder gratuitement…`) are matched on the part before the colon.

use maillage_domain::texte;
use maillage_domain::{
    DispositifProgrammeNational as Dispositif, FormationLabel, Frais, Itinerance, ModaliteAcces,
    ModaliteAccompagnement, PriseEnChargeSpecifique as Prise,
    PublicSpecifiquementAdresse as Public, Service, Typologie, Vocabulary,
};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Which version of the schema a label belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    V0,
    V1,
}

/// The match key of a label.
pub fn cle(libelle: &str) -> String {
    texte::normaliser(libelle)
}

/// The match key of the short form of a label: the part before ` : ` (v0 long labels).
fn cle_courte(libelle: &str) -> Option<String> {
    libelle.split_once(':').map(|(avant, _)| cle(avant))
}

/// The match keys of every label of the schema's vocabularies, computed once.
fn cles_des_libelles() -> &'static HashMap<&'static str, String> {
    static CLES: OnceLock<HashMap<&'static str, String>> = OnceLock::new();
    CLES.get_or_init(|| {
        fn ajouter<V: Vocabulary>(m: &mut HashMap<&'static str, String>) {
            for v in V::ALL {
                m.insert(v.label(), cle(v.label()));
            }
        }
        let mut m = HashMap::new();
        ajouter::<Service>(&mut m);
        ajouter::<Public>(&mut m);
        ajouter::<Prise>(&mut m);
        ajouter::<Frais>(&mut m);
        ajouter::<ModaliteAcces>(&mut m);
        ajouter::<ModaliteAccompagnement>(&mut m);
        ajouter::<Dispositif>(&mut m);
        ajouter::<FormationLabel>(&mut m);
        ajouter::<Itinerance>(&mut m);
        ajouter::<Typologie>(&mut m);
        m
    })
}

/// A v1 value whose label matches, ignoring case, accents and punctuation.
pub fn v1<V: Vocabulary>(libelle: &str) -> Option<V> {
    V::from_label(libelle).or_else(|| {
        let k = cle(libelle);
        if k.is_empty() {
            return None;
        }
        let cles = cles_des_libelles();
        V::ALL.iter().copied().find(|v| match cles.get(v.label()) {
            Some(c) => *c == k,
            None => cle(v.label()) == k,
        })
    })
}

/// Looks `libelle` up in a table of normalised keys, first whole, then by its short form.
fn chercher<T: Copy>(table: &[(&str, T)], libelle: &str) -> Option<T> {
    let k = cle(libelle);
    let trouve = |k: &str| table.iter().find(|(c, _)| *c == k).map(|(_, v)| *v);
    trouve(&k).or_else(|| cle_courte(libelle).and_then(|c| trouve(&c)))
}

/// The 15 v0 services → the 9 v1 services (data·inclusion `THEMATIQUES_TO_SERVICES`).
const SERVICES_V0: [(&str, Service); 15] = [
    (
        "devenir autonome dans les demarches administratives",
        Service::AideAuxDemarchesAdministratives,
    ),
    (
        "realiser des demarches administratives avec un accompagnement",
        Service::AideAuxDemarchesAdministratives,
    ),
    (
        "accompagner les demarches de sante",
        Service::AideAuxDemarchesAdministratives,
    ),
    (
        "prendre en main un smartphone ou une tablette",
        Service::MaitriseDesOutilsNumeriquesDuQuotidien,
    ),
    (
        "prendre en main un ordinateur",
        Service::MaitriseDesOutilsNumeriquesDuQuotidien,
    ),
    (
        "utiliser le numerique au quotidien",
        Service::MaitriseDesOutilsNumeriquesDuQuotidien,
    ),
    (
        "approfondir ma culture numerique",
        Service::ComprehensionDuMondeNumerique,
    ),
    (
        "favoriser mon insertion professionnelle",
        Service::InsertionProfessionnelleViaLeNumerique,
    ),
    (
        "acceder a une connexion internet",
        Service::AccesInternetEtMaterielInformatique,
    ),
    (
        "acceder a du materiel",
        Service::AccesInternetEtMaterielInformatique,
    ),
    (
        "s equiper en materiel informatique",
        Service::MaterielInformatiqueAPrixSolidaire,
    ),
    (
        "creer et developper mon entreprise",
        Service::InsertionProfessionnelleViaLeNumerique,
    ),
    (
        "creer avec le numerique",
        Service::LoisirsEtCreationsNumeriques,
    ),
    (
        "promouvoir la citoyennete numerique",
        Service::ComprehensionDuMondeNumerique,
    ),
    (
        "soutenir la parentalite et l education avec le numerique",
        Service::ParentaliteEtEducationAvecLeNumerique,
    ),
];

/// A v0 service label translated to v1.
pub fn service_v0(libelle: &str) -> Option<Service> {
    chercher(&SERVICES_V0, libelle)
}

/// A `services` label of either version.
pub fn service(libelle: &str) -> Option<Service> {
    v1(libelle).or_else(|| service_v0(libelle))
}

/// Whether a services label is a v1 label, a v0 one, or neither.
pub fn version_service(libelle: &str) -> Option<Version> {
    if v1::<Service>(libelle).is_some() {
        Some(Version::V1)
    } else if service_v0(libelle).is_some() {
        Some(Version::V0)
    } else {
        None
    }
}

/// What a v0 label of a field that was split in v1 becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Equivalent {
    Public(Public),
    Prise(Prise),
    Dispositif(Dispositif),
    Formation(FormationLabel),
    /// Goes to the free list `autres_formations_labels`, with this label.
    AutreLabel(&'static str),
    /// A known label with no v1 equivalent, dropped on purpose (`Adultes`: everyone).
    Aucun,
}

/// v0 `publics_accueillis` → `publics_specifiquement_adresses` + `prise_en_charge_specifique`.
const PUBLICS_V0: [(&str, Equivalent); 12] = [
    ("seniors 65 ans", Equivalent::Public(Public::Seniors)),
    (
        "familles enfants",
        Equivalent::Public(Public::FamillesEnfants),
    ),
    ("adultes", Equivalent::Aucun),
    ("jeunes 16 26 ans", Equivalent::Public(Public::Jeunes)),
    ("uniquement femmes", Equivalent::Public(Public::Femmes)),
    (
        "public langues etrangeres",
        Equivalent::Prise(Prise::LanguesEtrangeresAutre),
    ),
    (
        "deficience visuelle",
        Equivalent::Prise(Prise::DeficienceVisuelle),
    ),
    ("surdite", Equivalent::Prise(Prise::Surdite)),
    (
        "handicaps psychiques",
        Equivalent::Prise(Prise::HandicapsMentaux),
    ),
    (
        "handicaps mentaux",
        Equivalent::Prise(Prise::HandicapsMentaux),
    ),
    (
        "personnes en situation d illettrisme",
        Equivalent::Prise(Prise::Illettrisme),
    ),
    ("tout public", Equivalent::Aucun),
];

/// A label of `publics_specifiquement_adresses`, `prise_en_charge_specifique` (v1) or
/// `publics_accueillis` (v0).
pub fn public(libelle: &str) -> Option<Equivalent> {
    v1::<Public>(libelle)
        .map(Equivalent::Public)
        .or_else(|| v1::<Prise>(libelle).map(Equivalent::Prise))
        .or_else(|| chercher(&PUBLICS_V0, libelle))
}

/// v0 `conditions_acces` (long and short forms) → `frais_a_charge`.
const FRAIS_V0: [(&str, Frais); 7] = [
    ("gratuit", Frais::Gratuit),
    ("gratuit sous condition", Frais::GratuitSousCondition),
    ("gratuit sous conditions", Frais::GratuitSousCondition),
    ("payant", Frais::Payant),
    ("accepte le pass numerique", Frais::GratuitSousCondition),
    ("pass numerique", Frais::GratuitSousCondition),
    ("adhesion", Frais::Payant),
];

/// A label of `frais_a_charge` (v1) or `conditions_acces` (v0).
pub fn frais(libelle: &str) -> Option<Frais> {
    v1(libelle).or_else(|| chercher(&FRAIS_V0, libelle))
}

/// v0 `labels_nationaux` → `dispositif_programmes_nationaux`, `formations_labels` or
/// `autres_formations_labels`.
const LABELS_V0: [(&str, Equivalent); 15] = [
    (
        "france services",
        Equivalent::Dispositif(Dispositif::FranceServices),
    ),
    (
        "cnfs",
        Equivalent::Dispositif(Dispositif::ConseillersNumeriques),
    ),
    (
        "conseiller numerique",
        Equivalent::Dispositif(Dispositif::ConseillersNumeriques),
    ),
    (
        "conseillers numeriques france services",
        Equivalent::Dispositif(Dispositif::ConseillersNumeriques),
    ),
    (
        "aidants connect",
        Equivalent::Dispositif(Dispositif::AidantsConnect),
    ),
    ("aptic", Equivalent::AutreLabel("APTIC")),
    (
        "fabriques de territoire",
        Equivalent::Formation(FormationLabel::FabriquesDeTerritoire),
    ),
    (
        "fabrique de territoire",
        Equivalent::Formation(FormationLabel::FabriquesDeTerritoire),
    ),
    (
        "grandes ecoles du numerique",
        Equivalent::Dispositif(Dispositif::GrandeEcoleDuNumerique),
    ),
    (
        "point relais caf",
        Equivalent::Dispositif(Dispositif::PointNumeriqueCAF),
    ),
    (
        "point numerique caf",
        Equivalent::Dispositif(Dispositif::PointNumeriqueCAF),
    ),
    (
        "point d acces numerique caf",
        Equivalent::Dispositif(Dispositif::PointNumeriqueCAF),
    ),
    (
        "relais pole emploi",
        Equivalent::AutreLabel("Relais pôle emploi"),
    ),
    ("french tech", Equivalent::AutreLabel("French Tech")),
    ("campus connecte", Equivalent::AutreLabel("Campus connecté")),
];

/// A label of `dispositif_programmes_nationaux`, `formations_labels` (v1) or
/// `labels_nationaux` (v0).
pub fn label(libelle: &str) -> Option<Equivalent> {
    v1::<Dispositif>(libelle)
        .map(Equivalent::Dispositif)
        .or_else(|| v1::<FormationLabel>(libelle).map(Equivalent::Formation))
        .or_else(|| chercher(&LABELS_V0, libelle))
}

/// v0 `modalites_accompagnement` (long labels, matched on their short form).
const ACCOMPAGNEMENT_V0: [(&str, ModaliteAccompagnement); 5] = [
    ("seul", ModaliteAccompagnement::EnAutonomie),
    (
        "avec de l aide",
        ModaliteAccompagnement::AccompagnementIndividuel,
    ),
    ("dans un atelier", ModaliteAccompagnement::DansUnAtelier),
    (
        "a ma place",
        ModaliteAccompagnement::AccompagnementIndividuel,
    ),
    ("a distance", ModaliteAccompagnement::ADistance),
];

/// A label of `modalites_accompagnement`, v1 or v0.
pub fn accompagnement(libelle: &str) -> Option<ModaliteAccompagnement> {
    v1(libelle).or_else(|| chercher(&ACCOMPAGNEMENT_V0, libelle))
}

/// Splits a multi-valued field: on `|` (v1) and `;` (v0), then on `,` when that yields
/// recognised labels (the conseillers numériques file writes `A, B, C`). Commas inside a
/// recognised label are kept: segments are joined back greedily, longest match first.
pub fn decouper(brut: &str, reconnait: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    for morceau in brut.split(['|', ';']) {
        let m = morceau.trim();
        if m.is_empty() {
            continue;
        }
        if !m.contains(',') || reconnait(m) {
            out.push(m.to_string());
            continue;
        }
        let segments: Vec<&str> = m.split(',').collect();
        let mut parties = Vec::new();
        let mut un_reconnu = false;
        let mut i = 0;
        while i < segments.len() {
            let mut j = segments.len();
            let mut pris = None;
            while j > i + 1 {
                let candidat = segments.get(i..j).unwrap_or_default().join(",");
                if reconnait(candidat.trim()) {
                    pris = Some((candidat, j));
                    break;
                }
                j -= 1;
            }
            let (texte, suivant) = match pris {
                Some(p) => p,
                None => (segments.get(i).copied().unwrap_or("").to_string(), i + 1),
            };
            let t = texte.trim();
            if !t.is_empty() {
                un_reconnu |= reconnait(t);
                parties.push(t.to_string());
            }
            i = suivant;
        }
        if un_reconnu {
            out.extend(parties);
        } else {
            out.push(m.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_v0_service_maps_to_its_v1_service() {
        use Service::*;
        let attendu = [
            (
                "Devenir autonome dans les démarches administratives",
                AideAuxDemarchesAdministratives,
            ),
            (
                "Réaliser des démarches administratives avec un accompagnement",
                AideAuxDemarchesAdministratives,
            ),
            (
                "Accompagner les démarches de santé",
                AideAuxDemarchesAdministratives,
            ),
            (
                "Prendre en main un smartphone ou une tablette",
                MaitriseDesOutilsNumeriquesDuQuotidien,
            ),
            (
                "Prendre en main un ordinateur",
                MaitriseDesOutilsNumeriquesDuQuotidien,
            ),
            (
                "Utiliser le numérique au quotidien",
                MaitriseDesOutilsNumeriquesDuQuotidien,
            ),
            (
                "Approfondir ma culture numérique",
                ComprehensionDuMondeNumerique,
            ),
            (
                "Favoriser mon insertion professionnelle",
                InsertionProfessionnelleViaLeNumerique,
            ),
            (
                "Accéder à une connexion internet",
                AccesInternetEtMaterielInformatique,
            ),
            ("Accéder à du matériel", AccesInternetEtMaterielInformatique),
            (
                "S'équiper en matériel informatique",
                MaterielInformatiqueAPrixSolidaire,
            ),
            (
                "Créer et développer mon entreprise",
                InsertionProfessionnelleViaLeNumerique,
            ),
            ("Créer avec le numérique", LoisirsEtCreationsNumeriques),
            (
                "Promouvoir la citoyenneté numérique",
                ComprehensionDuMondeNumerique,
            ),
            (
                "Soutenir la parentalité et l'éducation avec le numérique",
                ParentaliteEtEducationAvecLeNumerique,
            ),
        ];
        for (v0, v1) in attendu {
            assert_eq!(service(v0), Some(v1), "{v0}");
            assert_eq!(version_service(v0), Some(Version::V0), "{v0}");
        }
        // Case, accents and apostrophe variants.
        assert_eq!(
            service("s’EQUIPER en materiel informatique"),
            Some(MaterielInformatiqueAPrixSolidaire)
        );
        assert_eq!(
            service("Compréhension du monde numérique"),
            Some(ComprehensionDuMondeNumerique)
        );
        assert_eq!(
            version_service("Comprehension du monde numerique"),
            Some(Version::V1)
        );
        assert_eq!(service("Jardinage"), None);
        assert_eq!(service(""), None);
    }

    #[test]
    fn v0_publics_split_into_publics_and_prise_en_charge() {
        use Equivalent::*;
        let attendu = [
            ("Seniors (+ 65 ans)", Public(self::Public::Seniors)),
            ("Familles/enfants", Public(self::Public::FamillesEnfants)),
            ("Adultes", Aucun),
            ("Jeunes (16-26 ans)", Public(self::Public::Jeunes)),
            ("Uniquement femmes", Public(self::Public::Femmes)),
            (
                "Public langues étrangères",
                Prise(self::Prise::LanguesEtrangeresAutre),
            ),
            ("Déficience visuelle", Prise(self::Prise::DeficienceVisuelle)),
            ("Surdité", Prise(self::Prise::Surdite)),
            (
                "Handicaps psychiques : troubles psychiatriques donnant lieu à des atteintes comportementales",
                Prise(self::Prise::HandicapsMentaux),
            ),
            (
                "Handicaps mentaux : déficiences limitant les activités d'une personne",
                Prise(self::Prise::HandicapsMentaux),
            ),
            (
                "Personnes en situation d'illettrisme",
                Prise(self::Prise::Illettrisme),
            ),
            ("Familles et/ou enfants", Public(self::Public::FamillesEnfants)),
            ("Handicaps mentaux", Prise(self::Prise::HandicapsMentaux)),
            ("Étudiants", Public(self::Public::Etudiants)),
        ];
        for (v0, eq) in attendu {
            assert_eq!(public(v0), Some(eq), "{v0}");
        }
        assert_eq!(public("Chats"), None);
    }

    #[test]
    fn v0_conditions_map_to_frais() {
        for (v0, f) in [
            (
                "Gratuit : Je peux accéder gratuitement au lieu et à ses services",
                Frais::Gratuit,
            ),
            (
                "Gratuit sous condition : La gratuité est conditionnée à des critères (situation familiale, convention avec un organisme social...)",
                Frais::GratuitSousCondition,
            ),
            (
                "Payant : L'accès au lieu et/ou à ses services est payant",
                Frais::Payant,
            ),
            (
                "Accepte le Pass numérique : Il est possible d'utiliser un Pass numérique pour accéder au lieu",
                Frais::GratuitSousCondition,
            ),
            (
                "Adhésion : L'accès au lieu et/ou à ses services nécessite d'y adhérer",
                Frais::Payant,
            ),
            ("Gratuit", Frais::Gratuit),
            ("gratuit sous condition", Frais::GratuitSousCondition),
            ("Adhesion", Frais::Payant),
        ] {
            assert_eq!(frais(v0), Some(f), "{v0}");
        }
        assert_eq!(frais("Sur devis"), None);
    }

    #[test]
    fn v0_labels_nationaux_map_to_dispositifs_formations_and_others() {
        use Equivalent::*;
        for (v0, eq) in [
            (
                "France Services",
                Dispositif(self::Dispositif::FranceServices),
            ),
            ("CNFS", Dispositif(self::Dispositif::ConseillersNumeriques)),
            ("APTIC", AutreLabel("APTIC")),
            (
                "Aidants Connect",
                Dispositif(self::Dispositif::AidantsConnect),
            ),
            (
                "Fabriques de Territoire",
                Formation(FormationLabel::FabriquesDeTerritoire),
            ),
            (
                "Grandes écoles du numérique",
                Dispositif(self::Dispositif::GrandeEcoleDuNumerique),
            ),
            (
                "Point relais CAF",
                Dispositif(self::Dispositif::PointNumeriqueCAF),
            ),
            (
                "Point numérique CAF",
                Dispositif(self::Dispositif::PointNumeriqueCAF),
            ),
            ("Relais pôle emploi", AutreLabel("Relais pôle emploi")),
            ("French Tech", AutreLabel("French Tech")),
            ("Campus connecté", AutreLabel("Campus connecté")),
            (
                "Point d'accès numérique CAF",
                Dispositif(self::Dispositif::PointNumeriqueCAF),
            ),
            (
                "Étapes numériques(La Poste)",
                Formation(FormationLabel::EtapesNumeriques),
            ),
        ] {
            assert_eq!(label(v0), Some(eq), "{v0}");
        }
        assert_eq!(label("Label rouge"), None);
    }

    #[test]
    fn v0_modalites_accompagnement() {
        use ModaliteAccompagnement::*;
        for (v0, m) in [
            (
                "Seul : j'ai accès à du matériel et une connexion",
                EnAutonomie,
            ),
            (
                "Avec de l'aide : je suis accompagné seul dans l'usage du numérique",
                AccompagnementIndividuel,
            ),
            (
                "Dans un atelier : j'apprends collectivement à utiliser le numérique",
                DansUnAtelier,
            ),
            (
                "A ma place : une personne habilitée fait les démarches à ma place",
                AccompagnementIndividuel,
            ),
            ("À distance", ADistance),
            ("en autonomie", EnAutonomie),
        ] {
            assert_eq!(accompagnement(v0), Some(m), "{v0}");
        }
    }

    #[test]
    fn splitting_keeps_commas_inside_known_labels() {
        let cnfs = "Prendre en main un smartphone ou une tablette, Prendre en main un ordinateur, \
                    Utiliser le numérique au quotidien, Approfondir ma culture numérique";
        let v = decouper(cnfs, |l| service(l).is_some());
        assert_eq!(v.len(), 4);
        assert_eq!(v[3], "Approfondir ma culture numérique");
        let gsc = "Gratuit sous condition : La gratuité est conditionnée à des critères \
                   (situation familiale, convention avec un organisme social...)";
        assert_eq!(decouper(gsc, |l| frais(l).is_some()), vec![gsc.to_string()]);
        let deux = format!("Payant, {gsc}");
        assert_eq!(
            decouper(&deux, |l| frais(l).is_some()),
            vec!["Payant".to_string(), gsc.to_string()]
        );
        assert_eq!(
            decouper("CNFS, Aidants Connect, France Services", |l| label(l)
                .is_some()),
            vec!["CNFS", "Aidants Connect", "France Services"]
        );
        assert_eq!(decouper("A|B;C, D| ", |_| false), vec!["A", "B", "C, D"]);
        assert_eq!(
            decouper("CNFS, Inconnu", |l| label(l).is_some()),
            vec!["CNFS", "Inconnu"]
        );
    }
}

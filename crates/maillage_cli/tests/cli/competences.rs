//! `maillage competences calibrer`, black box: on a fresh instance (no answer stored yet),
//! each run writes the next calibration version and says so in French; the items keep
//! their difficulties while they have too few answers.
//!
//! `cargo test -p maillage_cli --test cli competences::`

use crate::premiere_utilisation::Instance;

#[test]
fn competences_calibrer_ecrit_une_nouvelle_version_a_chaque_fois() {
    let instance = Instance::nouvelle("competences");
    let sortie = instance.executer(&["competences", "calibrer"]);
    assert!(
        sortie.contains("Étalonnage 2 écrit (à partir de la version 1) : 0 passation, 0 réponse"),
        "{sortie}"
    );
    assert!(
        sortie.contains("Aucune question n'a assez de réponses (30 au moins)"),
        "{sortie}"
    );
    assert!(
        sortie.contains("Les nouvelles évaluations utilisent la version 2"),
        "{sortie}"
    );
    let sortie = instance.executer(&["competences", "calibrer"]);
    assert!(
        sortie.contains("Étalonnage 3 écrit (à partir de la version 2)"),
        "{sortie}"
    );
}

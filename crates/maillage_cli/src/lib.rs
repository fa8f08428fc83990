//! The library part of the `maillage` binary's package (the composition root): opening the
//! store named by a URL ([`stockage`]) and the wording of errors ([`message_erreur`]), shared
//! by the binary and the integration tests (`tests/cli`: this package has no unit tests, so
//! that an edit of a page does not relink two more test executables).

pub mod sauvegarde;
pub mod stockage;

/// The error and its causes, `: `-separated, each cause said once: a cause whose text the
/// message already contains (an error that displays its source) is not repeated.
pub fn message_erreur(e: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in e.chain() {
        let texte = cause.to_string();
        if texte.is_empty() || message.contains(&texte) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(" : ");
        }
        message.push_str(&texte);
    }
    message
}

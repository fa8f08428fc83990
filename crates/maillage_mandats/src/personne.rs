//! The person's pseudonymous id in the journal. The person's personal code and the session
//! of their space belong to the accounts kernel ([`maillage_comptes::personnes`]): one key
//! across modules (« Mon espace »).

use maillage_domain::mandats::journal::hex;

/// A random pseudonymous id for the journal.
pub fn pseudonyme() -> Result<String, String> {
    let mut octets = [0u8; 12];
    getrandom::getrandom(&mut octets).map_err(|e| format!("aléa indisponible : {e}"))?;
    Ok(format!("p-{}", hex(&octets)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn pseudonymes_are_random_and_shaped() {
        let a = super::pseudonyme().unwrap();
        let b = super::pseudonyme().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("p-") && a.len() == 26, "{a}");
    }
}

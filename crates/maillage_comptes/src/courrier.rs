//! Sending the outbox by SMTP, when an instance configures it.
//!
//! `MAILLAGE_SMTP_URL` follows lettre's URLs: `smtps://user:pass@host` (TLS),
//! `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtp://host:25` (plain, for a
//! local relay). `MAILLAGE_SMTP_EXPEDITEUR` is the From address. Without them, e-mails stay
//! in the outbox (readable by administrators at `/espace/courriels`).

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{Comptes, ErreurComptes, Resultat};

/// A configured SMTP relay.
#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    expediteur: Mailbox,
}

impl Smtp {
    pub fn depuis_url(url: &str, expediteur: &str) -> Resultat<Smtp> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| ErreurComptes::invalide("MAILLAGE_SMTP_URL", e.to_string()))?
            .build();
        let expediteur = expediteur
            .parse()
            .map_err(|e| ErreurComptes::invalide("MAILLAGE_SMTP_EXPEDITEUR", format!("{e}")))?;
        Ok(Smtp {
            transport,
            expediteur,
        })
    }

    /// From `MAILLAGE_SMTP_URL` and `MAILLAGE_SMTP_EXPEDITEUR`, if both are set.
    pub fn depuis_env() -> Option<Resultat<Smtp>> {
        let url = std::env::var("MAILLAGE_SMTP_URL")
            .ok()
            .filter(|u| !u.is_empty())?;
        let de = std::env::var("MAILLAGE_SMTP_EXPEDITEUR").unwrap_or_default();
        Some(Smtp::depuis_url(&url, &de))
    }
}

impl Comptes {
    /// Sends the e-mails of the outbox not sent yet (oldest first) and marks each one sent.
    /// Returns (sent, failed); a failed one stays in the outbox for the next round.
    pub async fn envoyer_courriels(&self, smtp: &Smtp) -> Resultat<(u64, u64)> {
        // Claimed for ten minutes: another node skips them meanwhile; a node that stops
        // mid-round leaves them to the next claim once that time has passed.
        let maintenant = self.maintenant();
        let en_attente = self
            .store
            .reserver_courriels(maintenant, maintenant + chrono::Duration::minutes(10), 500)
            .await?;
        let (mut envoyes, mut echecs) = (0, 0);
        for c in en_attente {
            let message = match c
                .destinataire
                .parse::<Mailbox>()
                .map_err(|e| e.to_string())
                .and_then(|to| {
                    Message::builder()
                        .from(smtp.expediteur.clone())
                        .to(to)
                        .subject(c.sujet.clone())
                        .body(c.corps.clone())
                        .map_err(|e| e.to_string())
                }) {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(id = c.id, "outbox e-mail cannot be built: {e}");
                    echecs += 1;
                    continue;
                }
            };
            match smtp.transport.send(message).await {
                Ok(_) => {
                    self.store
                        .mark_courriel_envoye(c.id, self.maintenant())
                        .await?;
                    envoyes += 1;
                }
                Err(e) => {
                    tracing::warn!(id = c.id, "SMTP sending failed: {e}");
                    echecs += 1;
                }
            }
        }
        Ok((envoyes, echecs))
    }
}

/// Sends the outbox every `periode` (each e-mail claimed by one node: see
/// [`Comptes::envoyer_courriels`]).
pub fn planifier_envois(mediation: Comptes, smtp: Smtp, periode: std::time::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(periode);
        loop {
            tick.tick().await;
            let resultat = mediation.envoyer_courriels(&smtp).await;
            maillage_store::exploitation::noter_tache("courriels", matches!(resultat, Ok((_, 0))));
            if let Err(e) = resultat {
                tracing::warn!("outbox sending failed: {e}");
            }
        }
    });
}

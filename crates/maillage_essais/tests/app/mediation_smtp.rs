//! The outbox is sent through a real SMTP conversation (a minimal server on 127.0.0.1).

use maillage_comptes::courrier::Smtp;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Accepts one connection, speaks just enough SMTP, returns what DATA carried.
async fn serveur_smtp(listener: tokio::net::TcpListener) -> String {
    let (flux, _) = listener.accept().await.expect("accept");
    let (lecture, mut ecriture) = flux.into_split();
    let mut lignes = BufReader::new(lecture).lines();
    ecriture.write_all(b"220 test ESMTP\r\n").await.unwrap();
    let mut donnees = String::new();
    let mut dans_data = false;
    while let Ok(Some(l)) = lignes.next_line().await {
        if dans_data {
            if l == "." {
                dans_data = false;
                ecriture.write_all(b"250 OK\r\n").await.unwrap();
            } else {
                donnees.push_str(&l);
                donnees.push('\n');
            }
            continue;
        }
        let cmd = l.to_ascii_uppercase();
        let reponse: &[u8] = if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
            b"250 test\r\n"
        } else if cmd.starts_with("DATA") {
            dans_data = true;
            b"354 go\r\n"
        } else if cmd.starts_with("QUIT") {
            ecriture.write_all(b"221 bye\r\n").await.unwrap();
            break;
        } else {
            b"250 OK\r\n"
        };
        ecriture.write_all(reponse).await.unwrap();
    }
    donnees
}

#[tokio::test]
async fn invitations_are_sent_by_smtp_and_marked_sent() {
    let annuaire = maillage_cli::stockage::ouvrir("sqlite::memory:")
        .await
        .unwrap();
    let m = annuaire.mediation().clone();
    let lien = m
        .comptes()
        .inviter_administrateur("admin@exemple.fr")
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let serveur = tokio::spawn(serveur_smtp(listener));
    let smtp = Smtp::depuis_url(
        &format!("smtp://127.0.0.1:{port}"),
        "Maillage <ne-pas-repondre@exemple.fr>",
    )
    .unwrap();
    assert_eq!(m.comptes().envoyer_courriels(&smtp).await.unwrap(), (1, 0));
    let recu = serveur.await.unwrap();
    assert!(recu.contains("To: admin@exemple.fr"), "{recu}");
    let jeton = lien.rsplit('/').next().unwrap();
    assert!(recu.replace("=\n", "").contains(&jeton[..20]), "{recu}");
    let courriels = m.comptes().courriels(10).await.unwrap();
    assert!(courriels[0].envoye_at.is_some());
    // Nothing left to send; a dead relay leaves mail in the outbox.
    assert_eq!(m.comptes().envoyer_courriels(&smtp).await.unwrap(), (0, 0));
    m.comptes()
        .inviter_administrateur("autre@exemple.fr")
        .await
        .unwrap();
    let mort = Smtp::depuis_url("smtp://127.0.0.1:1", "ne-pas-repondre@exemple.fr").unwrap();
    assert_eq!(m.comptes().envoyer_courriels(&mort).await.unwrap(), (0, 1));
    assert!(m.comptes().courriels(10).await.unwrap()[0]
        .envoye_at
        .is_none());
    assert!(Smtp::depuis_url("pas une url", "x@exemple.fr").is_err());
}

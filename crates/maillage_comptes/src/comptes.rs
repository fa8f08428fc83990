//! Sign-in (password, then TOTP or a recovery code), server-side sessions, invitations.
//!
//! - A session token is 32 random bytes; the database keeps only its SHA-256, so a leaked
//!   database gives no usable session.
//! - Every step that raises the session's rights issues a **new** token and deletes the
//!   previous one (no session fixation): the password step creates a session that can only
//!   pass the second factor; passing it replaces that session.
//! - Attempts are throttled per (e-mail address, network address), per network address,
//!   and per e-mail address with a slowdown ([`super::limitation`]); the message is the same whether the
//!   account exists or not, and a decoy hash is verified when it does not.
//! - Argon2 runs on a bounded blocking pool ([`securite::verifier_mot_de_passe_ou_leurre`]),
//!   never on the async workers that answer other requests.

use maillage_domain::mediation::{Referentiel, Role};
use maillage_domain::{CompteId, StructureId};
use maillage_store::comptes::{CompteRow, InvitationRow, NewCompte, NewCourriel, SessionRow};

use super::limitation::Sujet;
use super::securite;
use super::{Acteur, Compte, Comptes, ErreurComptes, Resultat};

/// A session cookie issued to the browser: the raw token (never stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JetonSession(pub String);

/// Where sign-in stands after the password.
#[derive(Debug)]
pub enum EtapeConnexion {
    /// Enter the TOTP code (or a recovery code).
    SecondFacteur(JetonSession),
    /// No second factor yet: enrol one (QR code) before anything else.
    Enrolement(JetonSession),
}

/// What enrolling a second factor shows the person.
#[derive(Debug, Clone)]
pub struct Enrolement {
    pub secret: String,
    pub uri: String,
    pub qr_svg: String,
}

fn normaliser_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn email_valide(email: &str) -> bool {
    let Some((local, domaine)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domaine.contains('.')
        && !domaine.starts_with('.')
        && !domaine.ends_with('.')
        && email.len() <= 254
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c == '<' || c == '>')
}

impl Comptes {
    async fn nouvelle_session(
        &self,
        compte_id: CompteId,
        mfa: bool,
    ) -> Resultat<(JetonSession, SessionRow)> {
        let now = self.maintenant();
        let jeton = securite::jeton_aleatoire();
        let row = SessionRow {
            token_hash: securite::empreinte(&jeton),
            compte_id: compte_id.get(),
            created_at: now,
            last_seen_at: now,
            mfa_at: mfa.then_some(now),
            csrf: securite::jeton_aleatoire(),
            expires_at: now + self.reglages.duree_session,
        };
        self.store.put_session(&row).await?;
        Ok((JetonSession(jeton), row))
    }

    /// Password step. `ip` is the client's network address (for throttling, see
    /// [`super::limitation`]): the attempt is reserved before the password is checked, and
    /// the check runs on the bounded blocking pool, off the async workers.
    pub async fn connexion(
        &self,
        email: &str,
        mot_de_passe: &str,
        ip: &str,
    ) -> Resultat<EtapeConnexion> {
        let email = normaliser_email(email);
        let Some(tentative) = self
            .reserver_tentative(Sujet::Compte { email: &email }, ip)
            .await?
        else {
            return Err(ErreurComptes::TropDeTentatives);
        };
        let compte = self.store.compte_par_email(&email).await?;
        let hash = compte.as_ref().map(|c| c.password_hash.clone());
        let ok = securite::verifier_mot_de_passe_ou_leurre(mot_de_passe, hash).await;
        let compte = match compte {
            Some(c) if ok && c.actif => c,
            _ => return Err(ErreurComptes::Identifiants),
        };
        self.tentative_reussie(&tentative).await?;
        let (jeton, _) = self
            .nouvelle_session(CompteId::new(compte.id), false)
            .await?;
        Ok(if compte.totp_actif {
            EtapeConnexion::SecondFacteur(jeton)
        } else {
            EtapeConnexion::Enrolement(jeton)
        })
    }

    /// The session behind a cookie, if valid (not expired, not idle too long, account
    /// active). Refreshes its last-seen time.
    pub async fn session(&self, jeton: &str) -> Resultat<Option<(SessionRow, Compte)>> {
        Ok(self
            .session_et_compte(jeton)
            .await?
            .map(|(s, c)| (s, Compte::from(c))))
    }

    /// [`Comptes::session`] with the stored account (secrets included), inside this crate.
    async fn session_et_compte(&self, jeton: &str) -> Resultat<Option<(SessionRow, CompteRow)>> {
        let hash = securite::empreinte(jeton);
        let Some(mut s) = self.store.session(&hash).await? else {
            return Ok(None);
        };
        let now = self.maintenant();
        if now >= s.expires_at || now - s.last_seen_at > self.reglages.inactivite_session {
            self.store.delete_session(&hash).await?;
            return Ok(None);
        }
        let Some(mut compte) = self.store.compte(s.compte_id).await? else {
            return Ok(None);
        };
        if !compte.actif {
            self.store.delete_session(&hash).await?;
            return Ok(None);
        }
        if now - s.last_seen_at > chrono::Duration::seconds(30) {
            s.last_seen_at = now;
            self.store.put_session(&s).await?;
            compte.derniere_activite = now;
            self.store.update_compte(&compte).await?;
        }
        Ok(Some((s, compte)))
    }

    /// The fully signed-in actor behind a cookie (second factor passed).
    pub async fn acteur(&self, jeton: &str) -> Resultat<Acteur> {
        let (session, compte) = self
            .session_et_compte(jeton)
            .await?
            .ok_or(ErreurComptes::NonConnecte)?;
        if session.mfa_at.is_none() {
            return Err(ErreurComptes::NonConnecte);
        }
        self.charger_acteur(session, compte).await
    }

    async fn session_partielle(&self, jeton: &str) -> Resultat<(SessionRow, CompteRow)> {
        self.session_et_compte(jeton)
            .await?
            .ok_or(ErreurComptes::NonConnecte)
    }

    /// Second-factor step (also used to re-authenticate). Accepts a TOTP code or a
    /// recovery code. Returns the new session token: the old one is deleted.
    pub async fn second_facteur(&self, jeton: &str, code: &str) -> Resultat<JetonSession> {
        let (session, compte) = self.session_partielle(jeton).await?;
        self.verifier_code(compte, code).await?;
        self.store.delete_session(&session.token_hash).await?;
        let (nouveau, _) = self
            .nouvelle_session(CompteId::new(session.compte_id), true)
            .await?;
        Ok(nouveau)
    }

    /// Checks a TOTP or recovery code of an account with an active second factor
    /// (throttled; a TOTP step or recovery code is accepted once). Used at sign-in and to
    /// sign legal acts (a mandate) with the second factor again.
    pub async fn confirmer_code(&self, compte_id: CompteId, code: &str) -> Resultat<()> {
        let compte = self
            .store
            .compte(compte_id.get())
            .await?
            .filter(|c| c.actif)
            .ok_or(ErreurComptes::NonConnecte)?;
        self.verifier_code(compte, code).await
    }

    async fn verifier_code(&self, mut compte: CompteRow, code: &str) -> Resultat<()> {
        let cle = format!("totp:{}", compte.id);
        if !self.reserver_simple(&cle).await? {
            return Err(ErreurComptes::TropDeTentatives);
        }
        let secret = match (&compte.totp_secret, compte.totp_actif) {
            (Some(s), true) => s.clone(),
            _ => return Err(ErreurComptes::NonConnecte),
        };
        let now = self.maintenant();
        let code_net: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(pas) = securite::verifier_totp(&secret, &code_net, now, compte.totp_dernier_pas)
        {
            compte.totp_dernier_pas = Some(pas);
        } else if let Some(restants) =
            securite::utiliser_code_de_secours(&compte.codes_secours, &code_net)
        {
            compte.codes_secours = restants;
        } else {
            return Err(ErreurComptes::CodeIncorrect);
        }
        compte.derniere_activite = now;
        self.store.update_compte(&compte).await?;
        self.store.clear_login_failures(&cle).await?;
        Ok(())
    }

    /// Starts enrolling a second factor (a session after the password, no TOTP yet).
    pub async fn debut_enrolement(&self, jeton: &str) -> Resultat<Enrolement> {
        let (_, mut compte) = self.session_partielle(jeton).await?;
        if compte.totp_actif {
            return Err(ErreurComptes::Interdit);
        }
        let secret = match &compte.totp_secret {
            Some(s) => s.clone(),
            None => {
                let s = securite::nouveau_secret_totp();
                compte.totp_secret = Some(s.clone());
                self.store.update_compte(&compte).await?;
                s
            }
        };
        let uri = securite::uri_totp(&secret, &compte.email, "Maillage");
        Ok(Enrolement {
            qr_svg: securite::qr_svg(&uri),
            secret,
            uri,
        })
    }

    /// Confirms enrolment with a first code. Returns the new session token and the
    /// recovery codes (shown once).
    pub async fn confirmer_enrolement(
        &self,
        jeton: &str,
        code: &str,
    ) -> Resultat<(JetonSession, Vec<String>)> {
        let (session, mut compte) = self.session_partielle(jeton).await?;
        let Some(secret) = compte.totp_secret.clone().filter(|_| !compte.totp_actif) else {
            return Err(ErreurComptes::Interdit);
        };
        let code_net: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let pas = securite::verifier_totp(&secret, &code_net, self.maintenant(), None)
            .ok_or(ErreurComptes::CodeIncorrect)?;
        let (codes, hashes) = securite::codes_de_secours();
        compte.totp_actif = true;
        compte.totp_dernier_pas = Some(pas);
        compte.codes_secours = hashes;
        compte.derniere_activite = self.maintenant();
        self.store.update_compte(&compte).await?;
        self.store.delete_session(&session.token_hash).await?;
        let (nouveau, _) = self
            .nouvelle_session(CompteId::new(compte.id), true)
            .await?;
        Ok((nouveau, codes))
    }

    /// Ends a session.
    pub async fn deconnexion(&self, jeton: &str) -> Resultat<()> {
        self.store
            .delete_session(&securite::empreinte(jeton))
            .await?;
        Ok(())
    }

    /// Sensitive actions call this: the second factor must be recent.
    pub fn exiger_reauthentification(&self, acteur: &Acteur) -> Resultat<()> {
        match acteur.session.mfa_at {
            Some(t) if self.maintenant() - t <= self.reglages.reauthentification => Ok(()),
            _ => Err(ErreurComptes::ReauthRequise),
        }
    }

    /// Invites someone: a coordinator invites mediators into their team (and structure),
    /// an administrator anyone. The link goes to the outbox.
    pub async fn inviter(
        &self,
        acteur: &Acteur,
        email: &str,
        role: Role,
        structure_id: Option<StructureId>,
    ) -> Resultat<String> {
        let email = normaliser_email(email);
        if !email_valide(&email) {
            return Err(ErreurComptes::invalide(
                "adresse électronique",
                "adresse invalide",
            ));
        }
        let (coordinateur_id, structure_id) = match acteur.role {
            Role::Administrateur => (None, structure_id),
            Role::Coordinateur if role == Role::Mediateur => (
                Some(acteur.compte.id),
                structure_id.or(acteur.compte.structure_id),
            ),
            _ => return Err(ErreurComptes::Interdit),
        };
        // Into a structure the inviter manages (see `acces`); administrators belong to none.
        let structure_id = match structure_id {
            _ if role == Role::Administrateur => None,
            Some(s) => Some(StructureId::new(self.structure_geree(acteur, s).await?.id)),
            None => None,
        };
        self.exiger_reauthentification(acteur)?;
        if self.store.compte_par_email(&email).await?.is_some() {
            return Err(ErreurComptes::DejaInscrit);
        }
        self.creer_invitation(
            &email,
            role,
            structure_id,
            coordinateur_id,
            acteur.compte.id,
        )
        .await
    }

    /// Writes an invitation and its e-mail; returns the link.
    async fn creer_invitation(
        &self,
        email: &str,
        role: Role,
        structure_id: Option<StructureId>,
        coordinateur_id: Option<CompteId>,
        invite_par: CompteId,
    ) -> Resultat<String> {
        let jeton = securite::jeton_aleatoire();
        let now = self.maintenant();
        self.store
            .create_invitation(&InvitationRow {
                token_hash: securite::empreinte(&jeton),
                email: email.to_string(),
                role: role.code().to_string(),
                structure_id: structure_id.map(StructureId::get),
                coordinateur_id: coordinateur_id.map(CompteId::get),
                invite_par: invite_par.get(),
                created_at: now,
                expires_at: now + chrono::Duration::days(7),
                used_at: None,
            })
            .await?;
        let lien = format!(
            "{}/invitation/{jeton}",
            self.reglages.adresse_publique.trim_end_matches('/')
        );
        let dans = match structure_id {
            Some(id) => match self
                .store
                .structures()
                .await?
                .into_iter()
                .find(|s| StructureId::new(s.id) == id)
            {
                Some(s) => format!(" pour la structure « {} »", s.nom),
                None => String::new(),
            },
            None => String::new(),
        };
        self.store
            .add_courriel(NewCourriel {
                destinataire: email.to_string(),
                sujet: "Votre invitation à Maillage".into(),
                corps: format!(
                    "Bonjour,\n\nVous êtes invité·e à rejoindre Maillage en tant que {}{dans}.\n\
                     Créez votre compte avec ce lien, valable 7 jours :\n{lien}\n\n\
                     Si vous n’attendiez pas ce message, ignorez-le.\n",
                    role.libelle()
                ),
            })
            .await?;
        Ok(lien)
    }

    /// The first administrator of an instance (command line only).
    pub async fn inviter_administrateur(&self, email: &str) -> Resultat<String> {
        let email = normaliser_email(email);
        if !email_valide(&email) {
            return Err(ErreurComptes::invalide(
                "adresse électronique",
                "adresse invalide",
            ));
        }
        if self.store.compte_par_email(&email).await?.is_some() {
            return Err(ErreurComptes::DejaInscrit);
        }
        // The invitation is signed by the account it creates: a placeholder is needed
        // for the foreign key, so the first administrator is created right away with an
        // unusable password and the invitation sets it.
        let id = self
            .store
            .create_compte(NewCompte {
                email: email.clone(),
                nom: email.clone(),
                role: Role::Administrateur.code().into(),
                structure_id: None,
                password_hash: "!".into(),
                created_at: self.maintenant(),
            })
            .await?;
        self.creer_invitation(&email, Role::Administrateur, None, None, CompteId::new(id))
            .await
    }

    /// The invitation behind a link, if still valid.
    pub async fn invitation(&self, jeton: &str) -> Resultat<InvitationRow> {
        let inv = self
            .store
            .invitation(&securite::empreinte(jeton))
            .await?
            .ok_or(ErreurComptes::InvitationInvalide)?;
        if inv.used_at.is_some() || self.maintenant() >= inv.expires_at {
            return Err(ErreurComptes::InvitationInvalide);
        }
        Ok(inv)
    }

    /// Accepts an invitation: creates the account (or sets the first administrator's
    /// password). The person then signs in and enrols a second factor.
    pub async fn accepter_invitation(
        &self,
        jeton: &str,
        nom: &str,
        mot_de_passe: &str,
    ) -> Resultat<CompteId> {
        let inv = self.invitation(jeton).await?;
        let nom = nom.split_whitespace().collect::<Vec<_>>().join(" ");
        if nom.is_empty() || nom.chars().count() > 100 {
            return Err(ErreurComptes::invalide(
                "nom",
                "indiquez votre nom (100 caractères au plus)",
            ));
        }
        securite::valider_mot_de_passe(mot_de_passe)
            .map_err(|e| ErreurComptes::invalide("mot de passe", e.to_string()))?;
        let hash = securite::hacher_mot_de_passe_hors_travailleurs(mot_de_passe)
            .await
            .map_err(|e| ErreurComptes::Interne(e.to_string()))?;
        let now = self.maintenant();
        if !self.store.use_invitation(&inv.token_hash, now).await? {
            return Err(ErreurComptes::InvitationInvalide);
        }
        let id = match self.store.compte_par_email(&inv.email).await? {
            Some(mut c) if c.password_hash == "!" => {
                c.nom = nom;
                c.password_hash = hash;
                c.derniere_activite = now;
                self.store.update_compte(&c).await?;
                c.id
            }
            Some(_) => return Err(ErreurComptes::DejaInscrit),
            None => {
                self.store
                    .create_compte(NewCompte {
                        email: inv.email.clone(),
                        nom,
                        role: inv.role.clone(),
                        structure_id: inv.structure_id,
                        password_hash: hash,
                        created_at: now,
                    })
                    .await?
            }
        };
        if let Some(coordinateur) = inv.coordinateur_id {
            self.store.add_equipe_membre(coordinateur, id).await?;
        }
        Ok(CompteId::new(id))
    }

    /// Accepts an invitation and signs the new account in at once (the password was just
    /// chosen): the person goes straight on to enrol a second factor, with no second
    /// sign-in. The session can only pass the second factor, as after the password step.
    pub async fn accepter_invitation_et_connecter(
        &self,
        jeton: &str,
        nom: &str,
        mot_de_passe: &str,
    ) -> Resultat<EtapeConnexion> {
        let id = self.accepter_invitation(jeton, nom, mot_de_passe).await?;
        let compte = self
            .store
            .compte(id.get())
            .await?
            .ok_or(ErreurComptes::Introuvable)?;
        let (session, _) = self.nouvelle_session(id, false).await?;
        Ok(if compte.totp_actif {
            EtapeConnexion::SecondFacteur(session)
        } else {
            EtapeConnexion::Enrolement(session)
        })
    }

    /// Creates an account directly (command line, tests, demo data): the caller is
    /// trusted. Returns its id.
    pub async fn creer_compte(
        &self,
        email: &str,
        nom: &str,
        role: Role,
        structure_id: Option<StructureId>,
        mot_de_passe: &str,
    ) -> Resultat<CompteId> {
        let email = normaliser_email(email);
        if !email_valide(&email) {
            return Err(ErreurComptes::invalide(
                "adresse électronique",
                "adresse invalide",
            ));
        }
        securite::valider_mot_de_passe(mot_de_passe)
            .map_err(|e| ErreurComptes::invalide("mot de passe", e.to_string()))?;
        let hash = securite::hacher_mot_de_passe_hors_travailleurs(mot_de_passe)
            .await
            .map_err(|e| ErreurComptes::Interne(e.to_string()))?;
        self.store
            .create_compte(NewCompte {
                email,
                nom: nom.to_string(),
                role: role.code().to_string(),
                structure_id: structure_id.map(StructureId::get),
                password_hash: hash,
                created_at: self.maintenant(),
            })
            .await
            .map(CompteId::new)
            .map_err(|e| match e {
                maillage_store::StoreError::Conflict(_) => ErreurComptes::DejaInscrit,
                other => other.into(),
            })
    }

    /// Sets a TOTP secret as confirmed (command line, tests, demo data).
    pub async fn activer_totp(&self, compte_id: CompteId, secret: &str) -> Resultat<Vec<String>> {
        let mut compte = self
            .store
            .compte(compte_id.get())
            .await?
            .ok_or(ErreurComptes::Introuvable)?;
        let (codes, hashes) = securite::codes_de_secours();
        compte.totp_secret = Some(secret.to_string());
        compte.totp_actif = true;
        compte.codes_secours = hashes;
        self.store.update_compte(&compte).await?;
        Ok(codes)
    }

    /// The outbox (development page and tests).
    pub async fn courriels(
        &self,
        limite: i64,
    ) -> Resultat<Vec<maillage_store::comptes::CourrielRow>> {
        Ok(self.store.courriels(limite).await?)
    }

    /// Every account (administrators).
    pub async fn comptes(&self, acteur: &Acteur) -> Resultat<Vec<Compte>> {
        if acteur.role != Role::Administrateur {
            return Err(ErreurComptes::Interdit);
        }
        Ok(self
            .store
            .comptes()
            .await?
            .into_iter()
            .map(Compte::from)
            .collect())
    }

    /// Whether the instance has no account yet (the first start tells how to create the
    /// first administrator).
    pub async fn aucun_compte(&self) -> Resultat<bool> {
        Ok(self.store.comptes().await?.is_empty())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn emails() {
        assert!(super::email_valide("a.b@exemple.fr"));
        assert!(!super::email_valide("a.b@exemple"));
        assert!(!super::email_valide("@exemple.fr"));
        assert!(!super::email_valide("a b@exemple.fr"));
    }
}

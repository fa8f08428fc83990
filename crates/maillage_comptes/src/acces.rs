//! Who may do what. Every module's use cases ask these rules (and their own, written over
//! [`Acteur`]: Médiation's for records and files live in `maillage_mediation::regles`);
//! nothing else decides.
//!
//! | what | médiateur | coordinateur | administrateur |
//! |---|---|---|---|
//! | statistics | their own | their team's, their territories' | any territory |
//! | invitations | — | mediators into their team | anyone |
//! | structures, places of activity | read | read | write |
//! | error reports from the public (see and close) | — | about places of their territories | any |
//! | the directory's back office (import, duplicates, freshness) | — | places of their territories | any |
//! | members of a structure (invite into, attach, detach) | — | structures of their territories, and their own | any |
//! | the structure one acts for (among one's own) | choose | choose | — |
//!
//! Someone else's record or file answers "not found", not "forbidden": its existence is
//! not revealed.

use maillage_domain::mediation::{Referentiel, Role};
use maillage_domain::{CompteId, LieuActiviteId, StructureId};
use maillage_store::comptes::{CompteRow, LieuActiviteRow, SessionRow, StructureRow};
use maillage_territoire::Territoire;

use super::{Comptes, ErreurComptes, Resultat};

/// An account as the rules and pages see it: no password hash, no second-factor secret,
/// no recovery codes (those stay in the store's [`CompteRow`], read only where a secret is
/// checked or changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compte {
    pub id: CompteId,
    pub email: String,
    pub nom: String,
    pub role: String,
    /// The structure the account acts for now.
    pub structure_id: Option<StructureId>,
    pub actif: bool,
    /// `true` once the second factor was confirmed.
    pub totp_actif: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub derniere_activite: chrono::DateTime<chrono::Utc>,
}

impl From<CompteRow> for Compte {
    fn from(c: CompteRow) -> Compte {
        Compte {
            id: CompteId::new(c.id),
            email: c.email,
            nom: c.nom,
            role: c.role,
            structure_id: c.structure_id.map(StructureId::new),
            actif: c.actif,
            totp_actif: c.totp_actif,
            created_at: c.created_at,
            derniere_activite: c.derniere_activite,
        }
    }
}

/// The signed-in account, with what its rights depend on. It holds no secret of the
/// account; its `Debug` leaves out the session's tokens too.
#[derive(Clone)]
pub struct Acteur {
    pub compte: Compte,
    pub role: Role,
    pub session: SessionRow,
    /// Mediators of a coordinator's team.
    pub equipe: Vec<CompteId>,
    /// Mediators sharing a coordinator with this mediator (team mates), self excluded.
    pub coequipiers: Vec<CompteId>,
    /// Territories a coordinator steers.
    pub territoires: Vec<Territoire>,
    /// Structures the account belongs to today `(id, name)`. `compte.structure_id` is the
    /// one it acts for now (always one of these, or `None`).
    pub structures: Vec<(StructureId, String)>,
}

impl std::fmt::Debug for Acteur {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acteur")
            .field("compte", &self.compte)
            .field("role", &self.role)
            .field("session_creee", &self.session.created_at)
            .field("equipe", &self.equipe)
            .field("coequipiers", &self.coequipiers)
            .field("territoires", &self.territoires)
            .field("structures", &self.structures)
            .finish_non_exhaustive()
    }
}

impl Acteur {
    pub fn id(&self) -> CompteId {
        self.compte.id
    }

    pub fn est_mediateur(&self) -> bool {
        self.role == Role::Mediateur
    }

    /// The CSRF token every form of this session must carry.
    pub fn csrf(&self) -> &str {
        &self.session.csrf
    }

    /// May see error reports from the public at all (administrators, coordinators).
    pub fn peut_voir_signalements(&self) -> bool {
        matches!(self.role, Role::Administrateur | Role::Coordinateur)
    }

    /// May see and close the error reports about a place of commune `code_insee`: an
    /// administrator any; a coordinator those of a commune of one of their territories (not
    /// those of a place whose commune is unknown, e.g. no longer published).
    pub fn peut_traiter_signalement(&self, code_insee: Option<&str>) -> bool {
        match self.role {
            Role::Administrateur => true,
            Role::Coordinateur => {
                code_insee.is_some_and(|code| self.territoires.iter().any(|t| t.contient(code)))
            }
            Role::Mediateur => false,
        }
    }

    /// May use the directory's back office at all (administrators, coordinators).
    pub fn peut_gerer_annuaire(&self) -> bool {
        matches!(self.role, Role::Administrateur | Role::Coordinateur)
    }

    /// May keep the directory's entries of commune `code_insee` (import them, decide on
    /// their duplicates, see their freshness): an administrator any; a coordinator those
    /// of a commune of one of their territories (not a place whose commune is unknown).
    pub fn peut_gerer_lieu(&self, code_insee: Option<&str>) -> bool {
        self.peut_traiter_signalement(code_insee)
    }

    /// May invite people into this structure, attach accounts to it and detach them:
    /// administrators any; coordinators the structures of their territories (by the
    /// structure's commune) and those they belong to.
    pub fn peut_gerer_structure(&self, s: &StructureRow) -> bool {
        match self.role {
            Role::Administrateur => true,
            Role::Coordinateur => {
                self.structures
                    .iter()
                    .any(|(id, _)| *id == StructureId::new(s.id))
                    || s.code_insee
                        .as_deref()
                        .is_some_and(|c| self.territoires.iter().any(|t| t.contient(c)))
            }
            Role::Mediateur => false,
        }
    }

    /// The name of the structure the account acts for now.
    pub fn structure_courante(&self) -> Option<&str> {
        let id = self.compte.structure_id?;
        self.structures
            .iter()
            .find(|(s, _)| *s == id)
            .map(|(_, nom)| nom.as_str())
    }

    /// May see the statistics of this territory.
    pub fn peut_voir_territoire(&self, t: &Territoire) -> bool {
        match self.role {
            Role::Administrateur => true,
            Role::Coordinateur => self.territoires.iter().any(|mien| contient(mien, t)),
            Role::Mediateur => false,
        }
    }
}

/// `true` if territory `a` contains territory `b` (or is it).
fn contient(a: &Territoire, b: &Territoire) -> bool {
    if a == b || *a == Territoire::France {
        return true;
    }
    let referentiel = maillage_territoire::Referentiel::embedded();
    let communes = referentiel.communes_of_territoire(b);
    !communes.is_empty() && communes.iter().all(|c| a.contient(&c.code_insee))
}

impl Comptes {
    /// Loads what an account's rights depend on.
    pub(super) async fn charger_acteur(
        &self,
        session: SessionRow,
        compte: CompteRow,
    ) -> Resultat<Acteur> {
        let role = Role::depuis_code(&compte.role)
            .ok_or_else(|| ErreurComptes::Interne(format!("rôle inconnu {}", compte.role)))?;
        let mut equipe = Vec::new();
        let mut coequipiers = Vec::new();
        let mut territoires = Vec::new();
        match role {
            Role::Coordinateur => {
                equipe = self
                    .store
                    .equipe(compte.id)
                    .await?
                    .into_iter()
                    .map(CompteId::new)
                    .collect();
                for code in self.store.territoires_coordonnes(compte.id).await? {
                    match self.referentiel.territoire(&code) {
                        Ok(t) => territoires.push(t),
                        Err(e) => tracing::warn!("coordinated territory {code}: {e}"),
                    }
                }
            }
            Role::Mediateur => {
                for c in self.store.coordinateurs_de(compte.id).await? {
                    coequipiers.extend(self.store.equipe(c).await?.into_iter().map(CompteId::new));
                }
                coequipiers.sort_unstable();
                coequipiers.dedup();
                coequipiers.retain(|m| *m != CompteId::new(compte.id));
            }
            Role::Administrateur => {}
        }
        let mut compte = Compte::from(compte);
        let (actives, courante) = self
            .structures_du_compte(compte.id, compte.structure_id)
            .await?;
        compte.structure_id = courante;
        let noms = self.store.structures().await?;
        let structures = actives
            .into_iter()
            .map(|id| {
                let nom = noms
                    .iter()
                    .find(|s| StructureId::new(s.id) == id)
                    .map(|s| s.nom.clone())
                    .unwrap_or_else(|| format!("structure nº {id}"));
                (id, nom)
            })
            .collect();
        Ok(Acteur {
            compte,
            role,
            session,
            equipe,
            coequipiers,
            territoires,
            structures,
        })
    }

    /// The structures an account belongs to today, and the one it acts for: its chosen
    /// structure while it still belongs to it, else the first of its structures. An
    /// account without any membership row keeps its `structure_id` (accounts written
    /// before memberships existed).
    pub async fn structures_du_compte(
        &self,
        compte_id: CompteId,
        structure_choisie: Option<StructureId>,
    ) -> Resultat<(Vec<StructureId>, Option<StructureId>)> {
        let rattachements = self.store.rattachements(compte_id.get()).await?;
        if rattachements.is_empty() {
            return Ok((structure_choisie.into_iter().collect(), structure_choisie));
        }
        let jour = self.aujourdhui();
        let mut actives: Vec<StructureId> = Vec::new();
        for r in rattachements.iter().filter(|r| r.actif_le(jour)) {
            let structure = StructureId::new(r.structure_id);
            if !actives.contains(&structure) {
                actives.push(structure);
            }
        }
        let courante = structure_choisie
            .filter(|s| actives.contains(s))
            .or_else(|| actives.first().copied());
        Ok((actives, courante))
    }

    /// The actor of an account, for trusted callers only (command line, tests): no
    /// session, the second factor counts as just passed.
    pub async fn acteur_de_confiance(&self, compte_id: CompteId) -> Resultat<Acteur> {
        let compte = self
            .store
            .compte(compte_id.get())
            .await?
            .filter(|c| c.actif)
            .ok_or(ErreurComptes::Introuvable)?;
        let now = self.maintenant();
        let session = SessionRow {
            token_hash: String::new(),
            compte_id: compte_id.get(),
            created_at: now,
            last_seen_at: now,
            mfa_at: Some(now),
            csrf: String::new(),
            expires_at: now,
        };
        self.charger_acteur(session, compte).await
    }

    /// The operator of the instance at the command line: acts as an administrator, with no
    /// account and no session (`maillage mediation structure|lieu|affecter|territoire`).
    pub fn exploitant(&self) -> Acteur {
        let now = self.maintenant();
        Acteur {
            compte: Compte {
                id: CompteId::new(0),
                email: String::new(),
                nom: "exploitant (ligne de commande)".into(),
                role: Role::Administrateur.code().into(),
                structure_id: None,
                actif: true,
                totp_actif: true,
                created_at: now,
                derniere_activite: now,
            },
            role: Role::Administrateur,
            session: SessionRow {
                token_hash: String::new(),
                compte_id: 0,
                created_at: now,
                last_seen_at: now,
                mfa_at: Some(now),
                csrf: String::new(),
                expires_at: now,
            },
            equipe: Vec::new(),
            coequipiers: Vec::new(),
            territoires: Vec::new(),
            structures: Vec::new(),
        }
    }

    /// Gives a coordinator a territory to steer (administrators).
    pub async fn confier_territoire(
        &self,
        acteur: &Acteur,
        coordinateur_id: CompteId,
        territoire: &str,
    ) -> Resultat<()> {
        if acteur.role != Role::Administrateur {
            return Err(ErreurComptes::Interdit);
        }
        let t = self
            .referentiel
            .territoire(territoire)
            .map_err(|e| ErreurComptes::invalide("territoire", e.to_string()))?;
        let code = code_territoire(&t);
        self.store
            .add_territoire_coordonne(coordinateur_id.get(), &code)
            .await?;
        Ok(())
    }
    /// Places of activity where the mediator works (their assignments), else those of
    /// their structure.
    pub async fn mes_lieux(&self, acteur: &Acteur) -> Resultat<Vec<LieuActiviteRow>> {
        let tous = self.store.lieux_activite(None).await?;
        let affectes: Vec<LieuActiviteId> = self
            .store
            .affectations(acteur.id().get())
            .await?
            .into_iter()
            .filter(|a| a.fin.is_none_or(|f| f >= self.aujourdhui()))
            .map(|a| LieuActiviteId::new(a.lieu_activite_id))
            .collect();
        Ok(tous
            .into_iter()
            .filter(|l| {
                affectes.contains(&LieuActiviteId::new(l.id))
                    || (affectes.is_empty()
                        && Some(StructureId::new(l.structure_id)) == acteur.compte.structure_id)
            })
            .collect())
    }

    /// The places of activity an actor works with: a mediator's own (see
    /// [`Comptes::mes_lieux`]), those of a coordinator's structure, every place for an
    /// administrator.
    pub async fn lieux_visibles(&self, acteur: &Acteur) -> Resultat<Vec<LieuActiviteRow>> {
        match acteur.role {
            Role::Mediateur => self.mes_lieux(acteur).await,
            Role::Coordinateur => Ok(self
                .store
                .lieux_activite(acteur.compte.structure_id.map(StructureId::get))
                .await?),
            Role::Administrateur => Ok(self.store.lieux_activite(None).await?),
        }
    }

    /// The accounts shown on « Équipe »: every account to an administrator, the members of
    /// their team to a coordinator; refused to a mediator.
    pub async fn comptes_visibles(&self, acteur: &Acteur) -> Resultat<Vec<Compte>> {
        match acteur.role {
            Role::Administrateur => self.comptes(acteur).await,
            Role::Coordinateur => {
                let mut v = Vec::new();
                for id in &acteur.equipe {
                    if let Some(c) = self.store.compte(id.get()).await? {
                        v.push(Compte::from(c));
                    }
                }
                Ok(v)
            }
            Role::Mediateur => Err(ErreurComptes::Interdit),
        }
    }

    /// The names of a coordinator's team members, to choose a mediator's statistics (empty
    /// for the other roles).
    pub async fn noms_equipe(&self, acteur: &Acteur) -> Resultat<Vec<(CompteId, String)>> {
        if acteur.role != Role::Coordinateur {
            return Ok(Vec::new());
        }
        let mut v = Vec::new();
        for id in &acteur.equipe {
            if let Some(c) = self.store.compte(id.get()).await? {
                v.push((CompteId::new(c.id), c.nom));
            }
        }
        Ok(v)
    }
}

fn prefixe(t: &Territoire) -> &'static str {
    match t {
        Territoire::France => "fr",
        Territoire::Region { .. } => "reg",
        Territoire::Departement { .. } => "dep",
        Territoire::Epci { .. } => "epci",
        Territoire::Commune { .. } => "commune",
    }
}

/// The written code of a territory (`dep:31`).
pub fn code_territoire(t: &Territoire) -> String {
    match t.code() {
        None => "fr".into(),
        Some(c) => format!("{}:{}", prefixe(t), c.to_ascii_lowercase()),
    }
}

impl Comptes {
    /// Creates an employer structure (administrators).
    pub async fn creer_structure(
        &self,
        acteur: &Acteur,
        nom: &str,
        siret: Option<&str>,
        commune: Option<&str>,
    ) -> Resultat<StructureId> {
        if acteur.role != Role::Administrateur {
            return Err(ErreurComptes::Interdit);
        }
        let nom = nom.trim();
        if nom.is_empty() || nom.chars().count() > 200 {
            return Err(ErreurComptes::invalide(
                "nom",
                "indiquez le nom de la structure",
            ));
        }
        let siret = match siret.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(
                maillage_domain::Siret::parse(s)
                    .map_err(|e| ErreurComptes::invalide("SIRET", e.to_string()))?
                    .as_str()
                    .to_string(),
            ),
            None => None,
        };
        let commune = self.commune_valide(commune)?;
        Ok(StructureId::new(
            self.store
                .create_structure(nom, siret.as_deref(), commune.as_deref())
                .await?,
        ))
    }

    fn commune_valide(&self, commune: Option<&str>) -> Resultat<Option<String>> {
        match commune.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(c) => self.resoudre_commune(c).map(Some),
        }
    }

    /// The INSEE code of a commune as a person types it ([`Referentiel::commune_saisie`]),
    /// refused as the field « commune ».
    ///
    /// [`Referentiel::commune_saisie`]: maillage_territoire::Referentiel::commune_saisie
    pub fn resoudre_commune(&self, texte: &str) -> Resultat<String> {
        self.referentiel
            .commune_saisie(texte)
            .map(|c| c.code_insee.clone())
            .map_err(|message| ErreurComptes::invalide("commune", message))
    }

    /// Adds a place of activity to a structure, optionally linked to a published place of
    /// the directory (administrators).
    pub async fn creer_lieu_activite(
        &self,
        acteur: &Acteur,
        structure_id: StructureId,
        nom: &str,
        commune: &str,
        lieu_annuaire: Option<&str>,
    ) -> Resultat<LieuActiviteId> {
        if acteur.role != Role::Administrateur {
            return Err(ErreurComptes::Interdit);
        }
        if !self
            .store
            .structures()
            .await?
            .iter()
            .any(|s| StructureId::new(s.id) == structure_id)
        {
            return Err(ErreurComptes::invalide("structure", "structure inconnue"));
        }
        let nom = nom.trim();
        if nom.is_empty() {
            return Err(ErreurComptes::invalide("nom", "indiquez le nom du lieu"));
        }
        let commune = self
            .commune_valide(Some(commune))?
            .ok_or_else(|| ErreurComptes::invalide("commune", "indiquez la commune"))?;
        let lieu = lieu_annuaire.map(str::trim).filter(|s| !s.is_empty());
        Ok(LieuActiviteId::new(
            self.store
                .create_lieu_activite(structure_id.get(), nom, lieu, &commune)
                .await?,
        ))
    }

    /// Assigns a mediator to a place of activity from a date: administrators, or the
    /// mediator's coordinator.
    pub async fn affecter(
        &self,
        acteur: &Acteur,
        mediateur_email: &str,
        lieu_activite_id: LieuActiviteId,
        debut: chrono::NaiveDate,
    ) -> Resultat<()> {
        let m = self
            .store
            .compte_par_email(&mediateur_email.trim().to_lowercase())
            .await?
            .filter(|c| c.role == Role::Mediateur.code())
            .ok_or_else(|| {
                ErreurComptes::invalide("médiateur", "aucun médiateur à cette adresse")
            })?;
        let permis = match acteur.role {
            Role::Administrateur => true,
            Role::Coordinateur => acteur.equipe.contains(&CompteId::new(m.id)),
            Role::Mediateur => false,
        };
        if !permis {
            return Err(ErreurComptes::Interdit);
        }
        if !self
            .store
            .lieux_activite(None)
            .await?
            .iter()
            .any(|l| LieuActiviteId::new(l.id) == lieu_activite_id)
        {
            return Err(ErreurComptes::invalide("lieu", "lieu d’activité inconnu"));
        }
        self.store
            .add_affectation(&maillage_store::comptes::AffectationRow {
                compte_id: m.id,
                lieu_activite_id: lieu_activite_id.get(),
                debut,
                fin: None,
            })
            .await?;
        Ok(())
    }
}

//! The organisers' space and the day itself: who may organise or welcome at an event, the
//! check-in lists a device downloads, the batches of check-ins it uploads (idempotent by
//! their client-generated UUIDs) and the allotments of free seats it holds for walk-ins.
//!
//! | what | administrateur | coordinateur of the organising structure | médiateur of that structure | others |
//! |---|---|---|---|---|
//! | see the structure's events and their registrations, check in, sync | yes | yes | yes | — |
//! | create an event or a tour, edit, publish, cancel | yes | yes | — | — |
//!
//! This is the one organiser rule of the module: the import, the tours from the planner
//! and the pages all ask [`peut_organiser`] (through [`peut_creer`] for what is new).

use chrono::{DateTime, Utc};
use maillage_comptes::Acteur;
use maillage_domain::mediation::{Referentiel, Role, StatutSocial, TrancheAge};
use maillage_domain::{Service, Vocabulary};
use maillage_store::evenements::{
    ActeurLocal, BilanPointages, EvenementRow, InscriptionRow, ModifEvenement, NewJauge,
    NewPointage, NewSessionEvenement, PointageRow, RefusModification, SessionEvenementRow,
    SessionModifiee, POINTAGES_PAR_LOT_MAX,
};

use crate::{ErreurEvenements, EvenementLu, Evenements, Resultat, StatutEvenement};

/// Most local actors of one event.
pub const ACTEURS_MAX: usize = 30;

/// Most seats one device may hold per session.
pub const ALLOCATION_MAX: i64 = 50;

/// Whether `acteur` creates, publishes and cancels the events of `structure`.
pub fn peut_organiser(acteur: &Acteur, structure: Option<i64>) -> bool {
    match acteur.role {
        Role::Administrateur => true,
        Role::Coordinateur => {
            structure.is_some() && acteur.compte.structure_id.map(|s| s.get()) == structure
        }
        _ => false,
    }
}

/// Whether `acteur` creates events and tours (they then belong to its structure): the
/// organiser rule applied to its own structure.
pub fn peut_creer(acteur: &Acteur) -> bool {
    peut_organiser(acteur, acteur.compte.structure_id.map(|s| s.get()))
}

/// Whether `acteur` sees the lists of the events of `structure` and checks people in.
pub fn peut_accueillir(acteur: &Acteur, structure: Option<i64>) -> bool {
    peut_organiser(acteur, structure)
        || (acteur.role == Role::Mediateur
            && structure.is_some()
            && acteur.compte.structure_id.map(|s| s.get()) == structure)
}

/// A session with its registrations and check-ins.
#[derive(Debug, Clone)]
pub struct ListeSession {
    pub session: SessionEvenementRow,
    pub inscriptions: Vec<InscriptionRow>,
    pub pointages: Vec<PointageRow>,
    /// Keys (« Mon espace ») given at the check-in of this session.
    pub cles_remises: i64,
}

impl ListeSession {
    /// Walk-ins (check-ins without a registration).
    pub fn sur_place(&self) -> usize {
        self.pointages
            .iter()
            .filter(|p| p.inscription_id.is_none())
            .count()
    }

    /// Check-ins (registered or walk-ins) recorded as oriented towards a need.
    pub fn orientes(&self) -> usize {
        self.pointages.iter().filter(|p| p.besoin.is_some()).count()
    }

    /// Registrations checked in.
    pub fn presents(&self) -> usize {
        self.inscriptions
            .iter()
            .filter(|i| i.statut == maillage_store::evenements::STATUT_PRESENT)
            .count()
    }
}

/// A check-in as a device sends it (checked by [`Evenements::pointer`]).
#[derive(Debug, Clone)]
pub struct PointageEnvoye {
    pub uuid: String,
    pub session: i64,
    pub inscription: Option<String>,
    pub tranche_age: Option<String>,
    pub statut: Option<String>,
    /// The need the person was oriented for (a label of the Lieux services vocabulary, as
    /// the orientation sheet names them); empty or absent: not oriented.
    pub besoin: Option<String>,
    pub heure: String,
}

/// Whether `texte` is a UUID as the pages draw them (8-4-4-4-12 hexadecimal digits).
pub fn est_uuid(texte: &str) -> bool {
    let o = texte.as_bytes();
    o.len() == 36
        && o.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn uuid(champ: &str, texte: &str) -> Resultat<String> {
    let t = texte.trim().to_ascii_lowercase();
    if est_uuid(&t) {
        Ok(t)
    } else {
        Err(ErreurEvenements::invalide(
            champ,
            format!("« {} » n’est pas un identifiant UUID", texte.trim()),
        ))
    }
}

/// Checks a batch of check-ins as a device sends it (pure): the device's UUID, at most
/// [`POINTAGES_PAR_LOT_MAX`] check-ins, each one's UUIDs, codes and time. Returns the
/// device's UUID in lower case and the check-ins to record; an error names the field at
/// fault (`pointages[3].heure`), in French.
pub fn lire_pointages(
    appareil: &str,
    pointages: &[PointageEnvoye],
) -> Resultat<(String, Vec<NewPointage>)> {
    let appareil = uuid("appareil", appareil)?;
    if pointages.len() > POINTAGES_PAR_LOT_MAX {
        return Err(ErreurEvenements::invalide(
            "pointages",
            format!("{POINTAGES_PAR_LOT_MAX} pointages au plus par envoi"),
        ));
    }
    let mut lus = Vec::with_capacity(pointages.len());
    for (n, p) in pointages.iter().enumerate() {
        let champ = |c: &str| format!("pointages[{n}].{c}");
        let inscription = match p.inscription.as_deref().map(str::trim) {
            Some(i) if !i.is_empty() => Some(uuid(&champ("inscription"), i)?),
            _ => None,
        };
        let code =
            |c: &str, v: &Option<String>, ok: fn(&str) -> bool| -> Resultat<Option<String>> {
                match v.as_deref().map(str::trim) {
                    None | Some("") => Ok(None),
                    Some(x) if ok(x) => Ok(Some(x.to_string())),
                    Some(x) => Err(ErreurEvenements::invalide(
                        &champ(c),
                        format!("valeur inconnue « {x} »"),
                    )),
                }
            };
        let (tranche_age, statut_social) = if inscription.is_none() {
            (
                code("tranche_age", &p.tranche_age, |x| {
                    TrancheAge::depuis_code(x).is_some()
                })?
                .or_else(|| Some(TrancheAge::NonCommunique.code().into())),
                code("statut", &p.statut, |x| {
                    StatutSocial::depuis_code(x).is_some()
                })?
                .or_else(|| Some(StatutSocial::NonCommunique.code().into())),
            )
        } else {
            (None, None)
        };
        let besoin = code("besoin", &p.besoin, |x| Service::from_label(x).is_some())?;
        let pointe_at = crate::lire_horodatage(&p.heure)
            .map_err(|m| ErreurEvenements::invalide(&champ("heure"), m))?;
        lus.push(NewPointage {
            uuid: uuid(&champ("uuid"), &p.uuid)?,
            session_id: p.session,
            inscription_uuid: inscription,
            tranche_age,
            statut_social,
            besoin,
            pointe_at,
        });
    }
    Ok((appareil, lus))
}

impl Evenements {
    /// An event the actor may welcome people at (else `Introuvable`, so that others'
    /// events are not even confirmed).
    pub async fn evenement_accueilli(&self, acteur: &Acteur, id: i64) -> Resultat<EvenementRow> {
        self.store
            .evenement(id)
            .await?
            .filter(|e| peut_accueillir(acteur, e.structure_id))
            .ok_or(ErreurEvenements::Introuvable)
    }

    /// The events of the actor's structure (all of them for an administrator), the upcoming
    /// ones first (soonest first), then the past ones (latest first).
    pub async fn evenements_organises(&self, acteur: &Acteur) -> Resultat<Vec<EvenementRow>> {
        let structure = match acteur.role {
            Role::Administrateur => None,
            Role::Coordinateur | Role::Mediateur => match acteur.compte.structure_id {
                Some(s) => Some(s.get()),
                None => return Ok(Vec::new()),
            },
        };
        let mut tous = self
            .store
            .evenements_of_structure(structure, crate::LISTE_MAX)
            .await?;
        let maintenant = self.maintenant();
        let (mut a_venir, passes): (Vec<_>, Vec<_>) =
            tous.drain(..).partition(|e| e.fin >= maintenant);
        a_venir.sort_by_key(|e| (e.debut, e.id));
        a_venir.extend(passes);
        Ok(a_venir)
    }

    /// An event the actor organises (`Introuvable` when it may not even see it,
    /// `Interdit` when it only welcomes people there).
    pub async fn evenement_organise(&self, acteur: &Acteur, id: i64) -> Resultat<EvenementRow> {
        let e = self.evenement_accueilli(acteur, id).await?;
        if !peut_organiser(acteur, e.structure_id) {
            return Err(ErreurEvenements::Interdit);
        }
        Ok(e)
    }

    /// Publishes or cancels an event of the actor's structure.
    pub async fn changer_statut_organise(
        &self,
        acteur: &Acteur,
        id: i64,
        statut: StatutEvenement,
    ) -> Resultat<()> {
        self.evenement_organise(acteur, id).await?;
        self.store.set_statut_evenement(id, statut.code()).await?;
        tracing::info!(
            evenement = id,
            statut = statut.code(),
            "event statut changed"
        );
        Ok(())
    }

    /// Edits an event of the actor's structure and its programme (draft or published):
    /// `ids[i]` is the id of the session `lu.sessions[i]` edits, `None` for a new one; the
    /// event's sessions not named are removed. Refused, with the field named in French,
    /// when a session to remove has registrations or check-ins, or when a capacity would
    /// fall below the seats already taken; nothing is written then. Its tour, structure and
    /// statut stay.
    pub async fn modifier(
        &self,
        acteur: &Acteur,
        id: i64,
        lu: EvenementLu,
        ids: &[Option<i64>],
    ) -> Resultat<()> {
        let e = self.evenement_organise(acteur, id).await?;
        match e.statut.parse::<StatutEvenement>() {
            Ok(StatutEvenement::Brouillon | StatutEvenement::Publie) => {}
            _ => {
                return Err(ErreurEvenements::invalide(
                    "statut",
                    "un événement annulé ou terminé ne se modifie plus",
                ))
            }
        }
        if ids.len() != lu.sessions.len() {
            return Err(ErreurEvenements::Interne(
                "sessions and their ids differ in number".into(),
            ));
        }
        let actuelles = self.store.sessions_of_evenement(id).await?;
        let mut jauges: Vec<NewJauge> = Vec::new();
        for s in &lu.sessions {
            if let Some(nom) = &s.jauge {
                if !jauges.iter().any(|j| &j.nom == nom) {
                    jauges.push(NewJauge {
                        nom: nom.clone(),
                        capacite: s.capacite,
                    });
                }
            }
        }
        let modif = ModifEvenement {
            type_evenement: lu.type_evenement.code().into(),
            titre: lu.titre,
            description: lu.description,
            commune: lu.commune,
            adresse: lu.adresse,
            lieu_id: lu.lieu,
            debut: lu.debut,
            fin: lu.fin,
            accessibilite: lu.accessibilite,
            jauges,
        };
        let sessions: Vec<SessionModifiee> = lu
            .sessions
            .into_iter()
            .zip(ids)
            .map(|(s, id)| SessionModifiee {
                id: *id,
                session: NewSessionEvenement {
                    titre: s.titre,
                    type_session: s.type_session.code().into(),
                    debut: s.debut,
                    fin: s.fin,
                    salle: s.salle,
                    capacite: s.capacite,
                    jauge: s.jauge,
                },
            })
            .collect();
        match self
            .store
            .modifier_evenement(id, &modif, &sessions, self.maintenant())
            .await
        {
            Ok(()) => {}
            Err(err) => {
                let titre = |sid: i64| {
                    actuelles
                        .iter()
                        .find(|s| s.id == sid)
                        .map(|s| s.titre.clone())
                        .unwrap_or_else(|| format!("n° {sid}"))
                };
                return Err(match RefusModification::lire(&err) {
                    Some(RefusModification::SessionOccupee(sid)) => ErreurEvenements::invalide(
                        "sessions",
                        format!(
                            "la session « {} » a déjà des inscriptions (ou des pointages) : elle ne peut être ni retirée du programme ni changer de jauge partagée",
                            titre(sid)
                        ),
                    ),
                    Some(RefusModification::CapaciteInsuffisante {
                        jauge_id,
                        prises,
                        capacite,
                    }) => {
                        let n = actuelles
                            .iter()
                            .filter(|s| s.jauge_id == jauge_id)
                            .find_map(|s| ids.iter().position(|i| *i == Some(s.id)));
                        ErreurEvenements::invalide(
                            &match n {
                                Some(n) => format!("sessions[{n}].capacite"),
                                None => "sessions".to_string(),
                            },
                            format!(
                                "{prises} places sont déjà prises (inscrits, présents, personnes venues sans inscription, places tenues par les appareils) : la capacité ne peut pas descendre à {capacite}"
                            ),
                        )
                    }
                    Some(RefusModification::SessionEtrangere(_)) => ErreurEvenements::invalide(
                        "sessions",
                        "le programme a changé entre-temps : rechargez la page",
                    ),
                    None => err.into(),
                });
            }
        }
        tracing::info!(evenement = id, sessions = sessions.len(), "event edited");
        Ok(())
    }

    /// Every session of an event with its registrations and check-ins.
    pub async fn listes(
        &self,
        acteur: &Acteur,
        id: i64,
    ) -> Resultat<(EvenementRow, Vec<ListeSession>)> {
        let e = self.evenement_accueilli(acteur, id).await?;
        let mut listes = Vec::new();
        for session in self.store.sessions_of_evenement(id).await? {
            let inscriptions = self.store.inscriptions_of_session(session.id).await?;
            let pointages = self.store.pointages_of_session(session.id).await?;
            let cles_remises = self.store.cles_remises_of_session(session.id).await?;
            listes.push(ListeSession {
                session,
                inscriptions,
                pointages,
                cles_remises,
            });
        }
        Ok((e, listes))
    }

    /// Gives a key (« Mon espace ») at the check-in of a session of event `id` to a person
    /// who has none (a walk-in mostly): a new person of the accounts kernel, counted in the
    /// reports. Online only: the code is drawn here and shown once.
    pub async fn donner_cle(
        &self,
        acteur: &Acteur,
        id: i64,
        session_id: i64,
    ) -> Resultat<maillage_comptes::personnes::NouvelleCle> {
        self.evenement_accueilli(acteur, id).await?;
        let session = self
            .store
            .session_evenement(session_id)
            .await?
            .filter(|s| s.evenement_id == id)
            .ok_or_else(|| {
                ErreurEvenements::invalide("session", "cette session n’est pas de cet événement")
            })?;
        let n = self.comptes.nouvelle_personne().await?;
        self.store
            .noter_cle_remise(session.id, n.personne_id, self.maintenant())
            .await?;
        tracing::info!(
            evenement = id,
            session = session.id,
            "key given at check-in"
        );
        Ok(n)
    }

    /// Records a device's batch of check-ins (see `maillage_store::evenements`).
    pub async fn pointer(
        &self,
        acteur: &Acteur,
        id: i64,
        appareil: &str,
        pointages: &[PointageEnvoye],
        rendre: bool,
    ) -> Resultat<BilanPointages> {
        self.evenement_accueilli(acteur, id).await?;
        let (appareil, lus) = lire_pointages(appareil, pointages)?;
        let bilan = self
            .store
            .enregistrer_pointages(
                id,
                &appareil,
                acteur.compte.id.get(),
                &lus,
                rendre,
                self.maintenant(),
            )
            .await?;
        tracing::info!(
            evenement = id,
            recus = lus.len(),
            crees = bilan
                .etats
                .iter()
                .filter(|(_, e)| *e == maillage_store::evenements::EtatPointage::Cree)
                .count(),
            "check-ins synced"
        );
        Ok(bilan)
    }

    /// Asks for an allotment of free seats per session for a device (see
    /// `maillage_store::evenements`): at most [`ALLOCATION_MAX`] per session.
    pub async fn allouer(
        &self,
        acteur: &Acteur,
        id: i64,
        appareil: &str,
        demandes: &[(i64, i64)],
    ) -> Resultat<Vec<(i64, i64)>> {
        self.evenement_accueilli(acteur, id).await?;
        let appareil = uuid("appareil", appareil)?;
        let demandes: Vec<(i64, i64)> = demandes
            .iter()
            .map(|&(s, n)| (s, n.clamp(0, ALLOCATION_MAX)))
            .collect();
        match self
            .store
            .allouer(id, &appareil, &demandes, self.maintenant())
            .await
        {
            Err(maillage_store::StoreError::NotFound) => Err(ErreurEvenements::invalide(
                "sessions",
                "une session demandée n’est pas de cet événement",
            )),
            r => Ok(r?),
        }
    }

    /// The Médiation records made from the sessions of an event `(session, record)` (0:
    /// being written).
    pub async fn activites_des_sessions(
        &self,
        acteur: &Acteur,
        id: i64,
    ) -> Resultat<Vec<(i64, i64)>> {
        self.evenement_accueilli(acteur, id).await?;
        let mut v = Vec::new();
        for s in self.store.sessions_of_evenement(id).await? {
            if let Some(a) = self.store.activite_of_session(s.id).await? {
                v.push((s.id, a));
            }
        }
        Ok(v)
    }

    /// The local actors of an event (for its public page and its edit form).
    pub async fn acteurs_locaux(&self, id: i64) -> Resultat<Vec<ActeurLocal>> {
        Ok(self.store.acteurs_of_evenement(id).await?)
    }

    /// Replaces the local actors of an event of the actor's structure (organisers): at most
    /// [`ACTEURS_MAX`], each named (at most 200 characters), without repeats.
    pub async fn modifier_acteurs(
        &self,
        acteur: &Acteur,
        id: i64,
        acteurs: Vec<ActeurLocal>,
    ) -> Resultat<()> {
        self.evenement_organise(acteur, id).await?;
        if acteurs.len() > ACTEURS_MAX {
            return Err(ErreurEvenements::invalide(
                "acteurs",
                format!("{ACTEURS_MAX} acteurs locaux au plus"),
            ));
        }
        let mut lus: Vec<ActeurLocal> = Vec::with_capacity(acteurs.len());
        for a in acteurs {
            let nom = a.nom.trim().to_string();
            if nom.is_empty() || nom.chars().count() > 200 {
                return Err(ErreurEvenements::invalide(
                    "acteurs",
                    "chaque acteur local a un nom de 200 caractères au plus",
                ));
            }
            let lieu_id = a
                .lieu_id
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty());
            if !lus.iter().any(|x| x.nom == nom && x.lieu_id == lieu_id) {
                lus.push(ActeurLocal { nom, lieu_id });
            }
        }
        self.store.set_acteurs_evenement(id, &lus).await?;
        tracing::info!(
            evenement = id,
            acteurs = lus.len(),
            "event local actors edited"
        );
        Ok(())
    }

    /// The mediators a session's collective activity record may be attributed to
    /// `(account, name)`: the active mediators of the organising structure for an organiser
    /// of the event, the actor alone for a mediator of that structure.
    pub async fn mediateurs_attribuables(
        &self,
        acteur: &Acteur,
        id: i64,
    ) -> Resultat<Vec<(i64, String)>> {
        let e = self.evenement_accueilli(acteur, id).await?;
        match (peut_organiser(acteur, e.structure_id), e.structure_id) {
            (true, Some(s)) => Ok(self
                .comptes
                .membres_de_structure(acteur, maillage_domain::StructureId::new(s))
                .await?
                .into_iter()
                .filter(|m| {
                    m.actif
                        && m.compte.actif
                        && Role::depuis_code(&m.compte.role) == Some(Role::Mediateur)
                })
                .map(|m| (m.compte.id.get(), m.compte.nom))
                .collect()),
            _ if acteur.role == Role::Mediateur => {
                Ok(vec![(acteur.compte.id.get(), acteur.compte.nom.clone())])
            }
            _ => Ok(Vec::new()),
        }
    }

    /// The mediator a session's collective activity record goes to: `choisi` (an account
    /// among [`Evenements::mediateurs_attribuables`]), by default the actor itself when it
    /// is a mediator. A mediator of another structure, or an account that is no mediator,
    /// is refused (`Interdit`).
    pub async fn mediateur_de_l_activite(
        &self,
        acteur: &Acteur,
        id: i64,
        choisi: Option<i64>,
    ) -> Resultat<Acteur> {
        let possibles = self.mediateurs_attribuables(acteur, id).await?;
        let compte = match choisi {
            Some(c) => c,
            None if acteur.role == Role::Mediateur => acteur.compte.id.get(),
            None => {
                return Err(ErreurEvenements::invalide(
                    "mediateur",
                    "choisissez le médiateur qui a animé la session",
                ))
            }
        };
        if !possibles.iter().any(|(c, _)| *c == compte) {
            return Err(ErreurEvenements::Interdit);
        }
        if compte == acteur.compte.id.get() {
            return Ok(acteur.clone());
        }
        Ok(self
            .comptes
            .acteur_de_confiance(maillage_domain::CompteId::new(compte))
            .await?)
    }

    /// Reserves the collective activity record of a session of the event (once per
    /// session): `Ok(None)` when this call reserved it (write the record, then
    /// [`Evenements::fixer_activite`]), `Ok(Some(record))` when it already exists.
    pub async fn reserver_activite(
        &self,
        acteur: &Acteur,
        id: i64,
        session: i64,
    ) -> Resultat<Option<i64>> {
        self.evenement_accueilli(acteur, id).await?;
        let s = self
            .store
            .session_evenement(session)
            .await?
            .filter(|s| s.evenement_id == id)
            .ok_or(ErreurEvenements::Introuvable)?;
        if self
            .store
            .reserve_activite_of_session(s.id, self.maintenant())
            .await?
        {
            Ok(None)
        } else {
            Ok(Some(
                self.store.activite_of_session(s.id).await?.unwrap_or(0),
            ))
        }
    }

    /// Records the Médiation record of a reserved session (`None`: gives the reservation up,
    /// the record could not be written).
    pub async fn fixer_activite(&self, session: i64, activite: Option<i64>) -> Resultat<()> {
        Ok(self
            .store
            .set_activite_of_session(session, activite)
            .await?)
    }

    /// The hour of Paris of an instant, `HH:MM`.
    pub fn heure_minute(t: DateTime<Utc>) -> String {
        t.with_timezone(&chrono_tz::Europe::Paris)
            .format("%H:%M")
            .to_string()
    }
}

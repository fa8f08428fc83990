//! Browser tests (Debian's Chromium driven by playwright-core, axe-core): the public pages,
//! the slow phone, Médiation, Mandats, « Connaître mon niveau », Événements and the Pass numérique. One test binary; two suites run at a time
//! ([`commun::un_navigateur_a_la_fois`], `MAILLAGE_E2E_SUITES`), the slow phone alone. Needs `/usr/bin/chromium` and `e2e/node_modules`
//! (`.ci/run` installs both).

#[path = "../commun/mod.rs"]
mod commun;

mod accueil;
mod competences;
mod enquete;
mod evenements;
mod evenements_parcours;
mod lent;
mod lieux;
mod lieux_maj;
mod mandats;
mod mediation;
mod pass;
mod public;

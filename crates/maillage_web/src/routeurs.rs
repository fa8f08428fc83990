//! One router per module, merged in one place ([`crate::router`]).
//!
//! Each module of the web layer declares its routes once, in a function returning a
//! [`RouteurModule`]: an [`OpenApiRouter`] (JSON routes with utoipa-axum's `routes!`, so the
//! OpenAPI document is built from the routers; pages with plain routes) and the list of what
//! it registered. [`routes`] gives every `(module, method, path)` from the same declarations:
//! a route added to a router is in the list without a second edit (the permission tests
//! enumerate it).

use crate::AppState;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::MethodRouter;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

/// The modules of the web layer, each with its router.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Module {
    /// The directory: public pages, `/api/v1/lieux…`, `/api/v1/communes`, the map, the widget,
    /// the printable sheet.
    Annuaire,
    /// Coordinators' territory pages and `/api/v1/territoires/…`.
    Territoire,
    /// Sign-in, the signed-in space except Mandats, public statistics.
    Mediation,
    /// Mandates: `/espace/mandats…`, the person's space, the public check, the journal.
    Mandats,
    /// « Connaître son niveau »: the self-assessment without an account (`/competences`).
    Competences,
    /// Events: `/evenements…`, registrations, `/api/v1/evenements…`, `/api/v1/sessions/…`.
    Evenements,
    /// « Mon espace » (`/mon-espace`): the person's space across modules, by their code.
    Espace,
    /// Pass numérique: the public check `/pass…`, `/api/v1/pass/…` (places' API keys).
    Pass,
    /// Enquête de besoins: `/espace/enquete…`, `/api/v1/enquete/…`, the shared offline module.
    Enquete,
    /// Assets, `/sante`, the favicon, `/api/openapi.json`.
    Technique,
}

/// A route as registered: its module, method and path (axum's syntax, `{id}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub module: Module,
    pub methode: Method,
    pub chemin: String,
}

/// The router of one module and what it registered.
pub struct RouteurModule {
    module: Module,
    routeur: OpenApiRouter<AppState>,
    routes: Vec<Route>,
}

impl RouteurModule {
    pub fn new(module: Module) -> RouteurModule {
        RouteurModule {
            module,
            routeur: OpenApiRouter::new(),
            routes: Vec::new(),
        }
    }

    fn ajouter(
        mut self,
        methode: Method,
        chemin: &'static str,
        mr: MethodRouter<AppState>,
    ) -> Self {
        self.routes.push(Route {
            module: self.module,
            methode,
            chemin: chemin.to_string(),
        });
        self.routeur = self.routeur.route(chemin, mr);
        self
    }

    /// A `GET` route outside the OpenAPI document (a page, a download, an asset).
    pub fn get<H, T>(self, chemin: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.ajouter(Method::GET, chemin, axum::routing::get(handler))
    }

    /// A `POST` route outside the OpenAPI document (a form).
    pub fn post<H, T>(self, chemin: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.ajouter(Method::POST, chemin, axum::routing::post(handler))
    }

    /// JSON routes documented with `#[utoipa::path]`, given by utoipa-axum's `routes!`: their
    /// paths and methods come from the annotations, and they enter the OpenAPI document.
    pub fn api(mut self, routes: UtoipaMethodRouter<AppState>) -> Self {
        for (chemin, item) in routes.1.paths.iter() {
            let methodes = [
                (Method::GET, item.get.is_some()),
                (Method::POST, item.post.is_some()),
                (Method::PUT, item.put.is_some()),
                (Method::DELETE, item.delete.is_some()),
                (Method::PATCH, item.patch.is_some()),
            ];
            for (methode, present) in methodes {
                if present {
                    self.routes.push(Route {
                        module: self.module,
                        methode,
                        chemin: chemin.clone(),
                    });
                }
            }
        }
        self.routeur = self.routeur.routes(routes);
        self
    }

    /// The router and the routes it registered.
    pub fn en_parties(self) -> (OpenApiRouter<AppState>, Vec<Route>) {
        (self.routeur, self.routes)
    }
}

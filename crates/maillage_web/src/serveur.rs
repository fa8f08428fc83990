//! The HTTP server loop, with the limits `axum::serve` does not have: a client gets
//! [`ReglagesServeur::delai_entetes`] to send its request line and headers (and a kept-alive
//! connection as long to start its next request), [`ReglagesServeur::delai_corps`] between
//! two pieces of a request body, [`ReglagesServeur::delai_ecriture`] to take each piece of the
//! answer; at most [`ReglagesServeur::connexions_max`] connections are open at once (the
//! next ones wait in the system's queue, they are not refused); and a stop signal (Ctrl-C or
//! SIGTERM) ends the loop gracefully: no new connection, the requests under way finish (for
//! at most [`ReglagesServeur::delai_arret`]).
//!
//! Without these, slow clients held connections forever and enough of them exhausted the
//! process's file descriptors (issue « Failles », item 2).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt;

/// The connection limits of the server. Each one can be set by an environment variable (see
/// [`ReglagesServeur::depuis_env`] and the README).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReglagesServeur {
    /// Time to receive a request's line and headers; also how long an idle kept-alive
    /// connection waits for its next request (`MAILLAGE_DELAI_ENTETES`, seconds, default 10).
    pub delai_entetes: Duration,
    /// Longest pause between two pieces of a request body (`MAILLAGE_DELAI_CORPS`, seconds,
    /// default 30).
    pub delai_corps: Duration,
    /// Longest time a piece of an answer may wait for the client to take it
    /// (`MAILLAGE_DELAI_ECRITURE`, seconds, default 60).
    pub delai_ecriture: Duration,
    /// Connections open at once (`MAILLAGE_CONNEXIONS_MAX`, default 4,096, lowered to fit
    /// under the process's open-file limit with a margin for the database and files).
    pub connexions_max: usize,
    /// On a stop signal, how long the requests under way may take to finish
    /// (`MAILLAGE_DELAI_ARRET`, seconds, default 30).
    pub delai_arret: Duration,
}

impl Default for ReglagesServeur {
    fn default() -> Self {
        ReglagesServeur {
            delai_entetes: Duration::from_secs(10),
            delai_corps: Duration::from_secs(30),
            delai_ecriture: Duration::from_secs(60),
            connexions_max: 4096,
            delai_arret: Duration::from_secs(30),
        }
    }
}

/// File descriptors kept for the database pool, imports, logs… out of the process's limit.
const MARGE_DESCRIPTEURS: usize = 256;

impl ReglagesServeur {
    /// The defaults, overridden by the environment variables that are set. A variable set to
    /// something else than a positive whole number is an error (in French, naming it).
    pub fn depuis_env() -> Result<ReglagesServeur, String> {
        Self::depuis(|nom| std::env::var(nom).ok())
    }

    /// As [`ReglagesServeur::depuis_env`], reading the variables with `lire`.
    pub fn depuis(lire: impl Fn(&str) -> Option<String>) -> Result<ReglagesServeur, String> {
        let nombre = |nom: &str, defaut: u64| -> Result<u64, String> {
            match lire(nom) {
                None => Ok(defaut),
                Some(v) => match v.trim().parse::<u64>() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => Err(format!(
                        "{nom} vaut « {v} » : il faut un nombre entier positif"
                    )),
                },
            }
        };
        let d = ReglagesServeur::default();
        let secondes =
            |nom: &str, defaut: Duration| nombre(nom, defaut.as_secs()).map(Duration::from_secs);
        let mut r = ReglagesServeur {
            delai_entetes: secondes("MAILLAGE_DELAI_ENTETES", d.delai_entetes)?,
            delai_corps: secondes("MAILLAGE_DELAI_CORPS", d.delai_corps)?,
            delai_ecriture: secondes("MAILLAGE_DELAI_ECRITURE", d.delai_ecriture)?,
            connexions_max: nombre("MAILLAGE_CONNEXIONS_MAX", d.connexions_max as u64)? as usize,
            delai_arret: secondes("MAILLAGE_DELAI_ARRET", d.delai_arret)?,
        };
        if let Some(limite) = limite_descripteurs() {
            let possible = limite.saturating_sub(MARGE_DESCRIPTEURS).max(16);
            if r.connexions_max > possible {
                tracing::warn!(
                    "connection limit lowered from {} to {possible}: the process may open {limite} files (raise it with ulimit -n or LimitNOFILE)",
                    r.connexions_max
                );
                r.connexions_max = possible;
            }
        }
        Ok(r)
    }
}

/// The soft limit on open files of this process (Linux: `/proc/self/limits`).
fn limite_descripteurs() -> Option<usize> {
    let texte = std::fs::read_to_string("/proc/self/limits").ok()?;
    let ligne = texte.lines().find(|l| l.starts_with("Max open files"))?;
    ligne
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM (what `systemctl stop`, `docker stop` and
/// Kubernetes send).
pub async fn signal_arret() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen to SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C: stopping"),
        _ = term => tracing::info!("SIGTERM: stopping"),
    }
}

/// Connections the kernel keeps waiting for `accept` (the listen backlog). Tokio's
/// `TcpListener::bind` asks for less: under a burst (200 people registering at the same
/// second), the kernel then dropped the SYNs beyond it and those clients retried one second
/// later (`nstat`: `TcpExtListenOverflows`), which made the burst's p99 about 1 s. The kernel
/// caps it at `net.core.somaxconn` (4,096 by default).
pub const ATTENTE_CONNEXIONS: u32 = 4096;

/// Listens on `adresse` (`HOST:PORT`, or a socket address) with a backlog of [`ATTENTE_CONNEXIONS`]; the first
/// address the name resolves to that can be bound.
pub async fn ecouter(
    adresse: impl tokio::net::ToSocketAddrs + std::fmt::Display,
) -> std::io::Result<tokio::net::TcpListener> {
    let nom = adresse.to_string();
    let mut derniere = None;
    for a in tokio::net::lookup_host(adresse).await? {
        let socket = if a.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        if let Err(e) = socket.bind(a) {
            derniere = Some(e);
            continue;
        }
        match socket.listen(ATTENTE_CONNEXIONS) {
            Ok(l) => return Ok(l),
            Err(e) => derniere = Some(e),
        }
    }
    Err(derniere.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("no address to listen on: {nom}"),
        )
    }))
}

/// Serves `app` on `listener` until `arret` resolves, then waits for the requests under way
/// (at most `reglages.delai_arret`). Each request carries the client's address
/// ([`ConnectInfo<SocketAddr>`]).
pub async fn servir(
    listener: TcpListener,
    app: Router,
    reglages: ReglagesServeur,
    arret: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let max = reglages.connexions_max.clamp(1, Semaphore::MAX_PERMITS);
    let places = Arc::new(Semaphore::new(max));
    let (signal_tx, signal_rx) = watch::channel(false);
    let mut arret = std::pin::pin!(arret);
    loop {
        // A free place first: past the limit, new connections wait in the system's queue.
        let place = tokio::select! {
            p = Arc::clone(&places).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut arret => break,
        };
        let (tcp, adresse) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    erreur_accept(e).await;
                    continue;
                }
            },
            _ = &mut arret => break,
        };
        let _ = tcp.set_nodelay(true);
        let app = app.clone();
        let reglages = reglages.clone();
        let mut signal = signal_rx.clone();
        tokio::spawn(async move {
            let delai_corps = reglages.delai_corps;
            let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(adresse));
                let req = req.map(|corps| {
                    Body::new(tower_http::timeout::TimeoutBody::new(delai_corps, corps))
                });
                app.clone().oneshot(req)
            });
            let io = TokioIo::new(DelaiEcriture::new(tcp, reglages.delai_ecriture));
            let mut constructeur = hyper::server::conn::http1::Builder::new();
            constructeur
                .timer(TokioTimer::new())
                .header_read_timeout(reglages.delai_entetes)
                .keep_alive(true);
            let connexion = constructeur.serve_connection(io, service);
            let mut connexion = std::pin::pin!(connexion);
            let mut arret_demande = false;
            loop {
                tokio::select! {
                    r = connexion.as_mut() => {
                        if let Err(e) = r {
                            tracing::debug!("connection from {adresse} ended: {e}");
                        }
                        break;
                    }
                    changement = signal.changed(), if !arret_demande => {
                        arret_demande = true;
                        if changement.is_err() || *signal.borrow() {
                            connexion.as_mut().graceful_shutdown();
                        }
                    }
                }
            }
            drop(place);
        });
    }
    drop(listener);
    let _ = signal_tx.send(true);
    // Every place back = every connection closed.
    match tokio::time::timeout(reglages.delai_arret, places.acquire_many(max as u32)).await {
        Ok(_) => tracing::info!("every connection closed"),
        Err(_) => tracing::warn!(
            "stopping with {} connection(s) still open after {} s",
            max - places.available_permits(),
            reglages.delai_arret.as_secs()
        ),
    }
    Ok(())
}

/// An accept error: a connection that failed before we took it is skipped; anything else
/// (out of file descriptors) is logged and retried a moment later.
async fn erreur_accept(e: std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!("accepting a connection failed: {e}");
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// A TCP stream whose writes fail when the client takes nothing for `delai` (a client that
/// never reads its answer would otherwise hold its connection forever).
struct DelaiEcriture {
    tcp: TcpStream,
    delai: Duration,
    attente: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl DelaiEcriture {
    fn new(tcp: TcpStream, delai: Duration) -> Self {
        DelaiEcriture {
            tcp,
            delai,
            attente: None,
        }
    }

    /// After a write that could not go through: pending until `delai` has passed since the
    /// first such write, then a timeout error.
    fn bloque<T>(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<T>> {
        let delai = self.delai;
        let attente = self
            .attente
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(delai)));
        match attente.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the client took nothing of the answer in time",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for DelaiEcriture {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for DelaiEcriture {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match Pin::new(&mut self.tcp).poll_write(cx, buf) {
            Poll::Pending => self.bloque(cx),
            fait => {
                self.attente = None;
                fait
            }
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs) {
            Poll::Pending => self.bloque(cx),
            fait => {
                self.attente = None;
                fait
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match Pin::new(&mut self.tcp).poll_flush(cx) {
            Poll::Pending => self.bloque(cx),
            fait => {
                self.attente = None;
                fait
            }
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_from_the_environment() {
        let r = ReglagesServeur::depuis(|n| match n {
            "MAILLAGE_DELAI_ENTETES" => Some("3".into()),
            "MAILLAGE_CONNEXIONS_MAX" => Some("100".into()),
            _ => None,
        })
        .unwrap_or_default();
        assert_eq!(r.delai_entetes, Duration::from_secs(3));
        assert_eq!(r.connexions_max, 100);
        assert_eq!(r.delai_corps, Duration::from_secs(30));
        let e = ReglagesServeur::depuis(|n| (n == "MAILLAGE_DELAI_CORPS").then(|| "0".into()));
        assert!(e.is_err_and(|m| m.contains("MAILLAGE_DELAI_CORPS")));
    }
}

//! The client's network address, as used to throttle sign-in and personal-code attempts.
//!
//! The address is the TCP peer's, unless the peer is one of the reverse proxies listed in
//! `MAILLAGE_PROXIES` (addresses or networks, `127.0.0.1,10.0.0.0/8,::1`): then
//! `X-Forwarded-For` is read from right to left, skipping the configured proxies, and the
//! first other address is the client's. Entries a client wrote itself (further left) are
//! never trusted, and `X-Forwarded-For` from any other peer is ignored: a client cannot pick
//! its own address. With no proxy configured, behind a reverse proxy every client would have
//! the proxy's address and share one limit: configure it.
//!
//! IPv6 addresses are counted per /64 network (what one subscriber usually gets), so a
//! single client cannot escape the per-address limit by changing the end of its address.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use axum::http::HeaderMap;

/// An address or network (`10.0.0.0/8`, `::1`), e.g. of a trusted reverse proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reseau {
    adresse: IpAddr,
    prefixe: u8,
}

fn canonique(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

impl Reseau {
    /// Whether `ip` belongs to this network.
    pub fn contient(&self, ip: IpAddr) -> bool {
        match (self.adresse, canonique(ip)) {
            (IpAddr::V4(r), IpAddr::V4(a)) => {
                let masque = u32::MAX
                    .checked_shl(32 - u32::from(self.prefixe))
                    .unwrap_or(0);
                u32::from(r) & masque == u32::from(a) & masque
            }
            (IpAddr::V6(r), IpAddr::V6(a)) => {
                let masque = u128::MAX
                    .checked_shl(128 - u32::from(self.prefixe))
                    .unwrap_or(0);
                u128::from(r) & masque == u128::from(a) & masque
            }
            _ => false,
        }
    }
}

impl FromStr for Reseau {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (adresse, prefixe) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let adresse =
            canonique(adresse.trim().parse::<IpAddr>().map_err(|_| {
                format!("« {s} » n’est pas une adresse IP ni un réseau (a.b.c.d/n)")
            })?);
        let max = if adresse.is_ipv4() { 32 } else { 128 };
        let prefixe = match prefixe {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("« {s} » : longueur de préfixe invalide (0 à {max})"))?,
        };
        Ok(Reseau { adresse, prefixe })
    }
}

/// Reads a list of networks separated by commas or spaces (`MAILLAGE_PROXIES`).
pub fn lire_reseaux(liste: &str) -> Result<Vec<Reseau>, String> {
    liste
        .split([',', ' ', '\t', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Reseau::from_str)
        .collect()
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`) or in brackets.
fn lire_entree(entree: &str) -> Option<IpAddr> {
    let e = entree.trim().trim_matches('"');
    if let Ok(ip) = e.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = e.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    e.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|v6| v6.parse::<Ipv6Addr>().ok())
        .map(IpAddr::V6)
}

/// The client's address for throttling: `pair` (the TCP peer) unless it is a trusted proxy,
/// then the right-most `X-Forwarded-For` entry that is not one.
pub fn adresse_du_client(
    pair: Option<IpAddr>,
    entetes: &HeaderMap,
    proxies: &[Reseau],
) -> Option<IpAddr> {
    let pair = canonique(pair?);
    let de_confiance = |ip: IpAddr| proxies.iter().any(|r| r.contient(ip));
    if !de_confiance(pair) {
        return Some(pair);
    }
    let entrees: Vec<&str> = entetes
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = pair;
    for entree in entrees.iter().rev() {
        // An unreadable entry: nothing left of it can be trusted; the last hop is the client.
        let Some(ip) = lire_entree(entree).map(canonique) else {
            break;
        };
        client = ip;
        if !de_confiance(ip) {
            break;
        }
    }
    Some(client)
}

/// The text of an address as a throttling key: IPv4 as is, IPv6 as its /64 network.
pub fn cle_adresse(ip: IpAddr) -> String {
    match canonique(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let reseau = Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64));
            format!("{reseau}/64")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn xff(valeurs: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in valeurs {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn reseaux() {
        let r = lire_reseaux("127.0.0.1, 10.0.0.0/8 ::1 fd00::/8").unwrap();
        assert_eq!(r.len(), 4);
        assert!(r[0].contient(ip("127.0.0.1")));
        assert!(!r[0].contient(ip("127.0.0.2")));
        assert!(r[1].contient(ip("10.200.3.4")));
        assert!(r[1].contient(ip("::ffff:10.1.1.1")));
        assert!(!r[1].contient(ip("11.0.0.1")));
        assert!(r[2].contient(ip("::1")));
        assert!(r[3].contient(ip("fd12::5")));
        assert!(!r[3].contient(ip("10.0.0.1")));
        assert!(lire_reseaux("0.0.0.0/0").unwrap()[0].contient(ip("8.8.8.8")));
        assert!(lire_reseaux("10.0.0.0/33").is_err());
        assert!(lire_reseaux("proxy.local").is_err());
        assert_eq!(lire_reseaux(" ").unwrap(), vec![]);
    }

    #[test]
    fn faille_x_forwarded_for_lu_seulement_derriere_un_proxy_de_confiance() {
        let proxies = lire_reseaux("127.0.0.1,10.0.0.0/8").unwrap();
        let h = xff(&["6.6.6.6, 203.0.113.7"]);
        // From the proxy: the client the proxy saw (right-most entry).
        assert_eq!(
            adresse_du_client(Some(ip("127.0.0.1")), &h, &proxies),
            Some(ip("203.0.113.7"))
        );
        // Two proxies in a row: both skipped; what the client wrote itself is ignored.
        let h2 = xff(&["6.6.6.6", "203.0.113.7, 10.1.2.3"]);
        assert_eq!(
            adresse_du_client(Some(ip("10.9.9.9")), &h2, &proxies),
            Some(ip("203.0.113.7"))
        );
        // Straight from a client: its header is ignored.
        assert_eq!(
            adresse_du_client(Some(ip("198.51.100.1")), &h, &proxies),
            Some(ip("198.51.100.1"))
        );
        // No proxy configured: the peer, whatever the header says.
        assert_eq!(
            adresse_du_client(Some(ip("127.0.0.1")), &h, &[]),
            Some(ip("127.0.0.1"))
        );
        // From the proxy without a header, or with garbage: the last trusted hop.
        assert_eq!(
            adresse_du_client(Some(ip("127.0.0.1")), &HeaderMap::new(), &proxies),
            Some(ip("127.0.0.1"))
        );
        assert_eq!(
            adresse_du_client(Some(ip("127.0.0.1")), &xff(&["n'importe quoi"]), &proxies),
            Some(ip("127.0.0.1"))
        );
        // Ports and brackets.
        assert_eq!(
            adresse_du_client(
                Some(ip("127.0.0.1")),
                &xff(&["[2001:db8::1]:443"]),
                &proxies
            ),
            Some(ip("2001:db8::1"))
        );
        assert_eq!(
            adresse_du_client(Some(ip("127.0.0.1")), &xff(&["192.0.2.1:5678"]), &proxies),
            Some(ip("192.0.2.1"))
        );
        assert_eq!(adresse_du_client(None, &h, &proxies), None);
    }

    #[test]
    fn ipv6_par_reseau_64() {
        assert_eq!(cle_adresse(ip("192.0.2.1")), "192.0.2.1");
        assert_eq!(cle_adresse(ip("::ffff:192.0.2.1")), "192.0.2.1");
        assert_eq!(
            cle_adresse(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            cle_adresse(ip("2001:db8:1:2::1")),
            cle_adresse(ip("2001:db8:1:2:ffff::9"))
        );
    }
}

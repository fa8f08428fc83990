//! Scratch databases for tests (feature `testing`): each test gets its own database
//! Test databases: each test gets its own database `maillage_test_<random>` on the server
//! given by `MAILLAGE_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`),
//! dropped at the end (best effort). An unreachable server fails the test.
//!
//! Each is a copy of a template database already migrated (`maillage_gabarit_<checksum of
//! the migrations>`, made once per server and per set of migrations, kept for the next
//! runs): a test does not replay the migrations, it copies their result
//! (`CREATE DATABASE … TEMPLATE`). A changed migration gives another checksum, hence a new
//! template.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::PgStore;
use sqlx::postgres::{PgPool, PgPoolOptions};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The URL of the maintenance database used to create and drop test databases.
pub fn server_url() -> String {
    std::env::var("MAILLAGE_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_URL.to_string())
}

/// `url` with its database name replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

fn random_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // Mix so that names from concurrent processes differ in their leading characters too.
    let mut x = (nanos as u64)
        ^ (u64::from(std::process::id()) << 40)
        ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    format!("maillage_test_{x:016x}_{n}")
}

async fn admin_pool(url: &str) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect(url)
        .await
}

/// A fresh database on the test server; drop it with [`TestDatabase::drop_database`].
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

/// The template's name: the migrations' versions and checksums, hashed (FNV-1a).
fn nom_du_gabarit() -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for m in crate::MIGRATOR.iter() {
        for octet in m.version.to_le_bytes().iter().chain(m.checksum.iter()) {
            h ^= u64::from(*octet);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("maillage_gabarit_{h:016x}")
}

/// The migrated template on `server`: made now if it does not exist yet. It is built under
/// another name and renamed when complete, so that a half-made template is never copied;
/// when several processes build it at once, the first rename wins and the others drop
/// theirs.
async fn gabarit(server: &str, admin: &PgPool) -> String {
    let nom = nom_du_gabarit();
    let existe: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&nom)
        .fetch_optional(admin)
        .await
        .unwrap_or_else(|e| panic!("cannot look for the template {nom}: {e}"));
    if existe.is_some() {
        return nom;
    }
    let brouillon = format!("{nom}_{}", random_name());
    sqlx::raw_sql(&format!("CREATE DATABASE \"{brouillon}\""))
        .execute(admin)
        .await
        .unwrap_or_else(|e| panic!("cannot create the template {brouillon}: {e}"));
    let store = PgStore::connect(&with_database(server, &brouillon))
        .await
        .unwrap_or_else(|e| panic!("cannot migrate the template {brouillon}: {e}"));
    store.close().await;
    let renomme = sqlx::raw_sql(&format!(
        "ALTER DATABASE \"{brouillon}\" RENAME TO \"{nom}\""
    ))
    .execute(admin)
    .await;
    if renomme.is_err() {
        // Another process published it first.
        let _ = sqlx::raw_sql(&format!(
            "DROP DATABASE IF EXISTS \"{brouillon}\" WITH (FORCE)"
        ))
        .execute(admin)
        .await;
    }
    nom
}

impl TestDatabase {
    /// A fresh database, its migrations applied (a copy of the template).
    pub async fn create() -> TestDatabase {
        let server = server_url();
        let name = random_name();
        let admin = admin_pool(&server).await.unwrap_or_else(|e| {
            panic!("PostgreSQL test server unreachable at {server} (set MAILLAGE_TEST_PG_URL): {e}")
        });
        let gabarit = gabarit(&server, &admin).await;
        // A copy fails while another session is connected to the template (only its
        // builder, for an instant): try again a few times.
        let mut essais = 0;
        loop {
            match sqlx::raw_sql(&format!(
                "CREATE DATABASE \"{name}\" TEMPLATE \"{gabarit}\""
            ))
            .execute(&admin)
            .await
            {
                Ok(_) => break,
                Err(e) if essais < 50 => {
                    essais += 1;
                    eprintln!("test database {name}: copy of {gabarit} refused ({e}), again");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot create test database {name}: {e}"),
            }
        }
        admin.close().await;
        let url = with_database(&server, &name);
        TestDatabase { name, url }
    }

    pub async fn store(&self) -> PgStore {
        PgStore::connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("cannot open store on {}: {e}", self.url))
    }

    /// Drops the database (best effort: failures are only printed).
    pub async fn drop_database(self) {
        let server = server_url();
        match admin_pool(&server).await {
            Ok(admin) => {
                let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
                if let Err(e) = sqlx::raw_sql(&sql).execute(&admin).await {
                    eprintln!("could not drop test database {}: {e}", self.name);
                }
                admin.close().await;
            }
            Err(e) => eprintln!("could not drop test database {}: {e}", self.name),
        }
    }
}

#[cfg(test)]
#[test]
fn database_is_replaced_in_urls() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://h:5432", "x"),
        "postgres://h:5432/x"
    );
}

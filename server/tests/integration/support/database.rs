//! Fresh databases for tests: an SQLite file in a temporary folder, or a new PostgreSQL database dropped afterwards.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection, Executor, PgConnection};

/// The PostgreSQL server tests create their databases on; in CI it must be reachable.
const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn label(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A database of its own for one test, plus a data folder for the wxgate processes that use it.
pub struct TestDatabase {
    pub backend: Backend,
    data_dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub fn sqlite() -> TestDatabase {
        TestDatabase {
            backend: Backend::Sqlite,
            data_dir: tempfile::tempdir().expect("temporary folder"),
            postgres: None,
        }
    }

    /// A new, empty PostgreSQL database; `None` (with a message) when the server is unreachable outside CI.
    pub async fn postgres() -> Option<TestDatabase> {
        let admin_url = admin_url();
        let mut admin = match PgConnection::connect(&admin_url).await {
            Ok(connection) => connection,
            Err(error) if std::env::var_os("CI").is_some() => {
                panic!("CI needs PostgreSQL at {admin_url} for the PostgreSQL test run, and it is unreachable: {error}")
            }
            Err(error) => {
                eprintln!(
                    "SKIPPED the PostgreSQL run of this test: {admin_url} is unreachable ({error})"
                );
                return None;
            }
        };
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "wxgate_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            rand_suffix()
        );
        admin
            .execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
            .await
            .expect("create the test database");
        let url = with_database(&admin_url, &name);
        Some(TestDatabase {
            backend: Backend::Postgres,
            data_dir: tempfile::tempdir().expect("temporary folder"),
            postgres: Some((name, url)),
        })
    }

    /// The `DATABASE_URL` wxgate should use: unset for SQLite (the default file in the data folder).
    pub fn database_url(&self) -> Option<&str> {
        self.postgres.as_ref().map(|(_, url)| url.as_str())
    }

    /// The credentials of the sandbox a wxgate on this database plays (made by the first one started).
    pub fn sandbox_credentials(&self) -> sandbox::credentials::SandboxCredentials {
        sandbox::credentials::SandboxCredentials::load_or_create(self.data_dir())
            .expect("the sandbox's credentials")
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// wxgate's own database layer on this database, migrated: what a process would have.
    pub async fn connect(&self) -> app::ssr::db::Database {
        use app::ssr::db::{Backend as Engine, Database};
        let (url, engine) = match &self.postgres {
            Some((_, url)) => (url.clone(), Engine::Postgres),
            None => (
                format!("sqlite://{}?mode=rwc", self.sqlite_file().display()),
                Engine::Sqlite,
            ),
        };
        let database = Database::connect(&url, engine).await.expect("connect");
        database.migrate().await.expect("migrate");
        database
    }

    /// The SQLite file wxgate creates in the data folder.
    pub fn sqlite_file(&self) -> PathBuf {
        self.data_dir.path().join("wxgate.db")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((name, _)) = self.postgres.take() else {
            return;
        };
        // Drop runs outside any async context: use a runtime of its own on a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let mut admin = PgConnection::connect(&admin_url()).await?;
                admin
                    .execute(format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str())
                    .await
                    .map(|_| ())
            })
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("could not drop a test database: {error}");
        }
    }
}

fn admin_url() -> String {
    std::env::var("WXGATE_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

fn with_database(admin_url: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin_url).expect("WXGATE_TEST_POSTGRES_URL is a URL");
    url.set_path(name);
    url.to_string()
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or_default()
}

//! The database: one sqlx `Any` pool over SQLite or PostgreSQL, one migration folder, one set of portable queries.
//!
//! Queries use `$N` placeholders and SQL that both engines accept (`ON CONFLICT … DO UPDATE`, `BIGINT`, `TEXT`);
//! times are stored as Unix seconds in `BIGINT` columns.

pub mod api_keys;
pub mod avatars;
mod catalogue;
pub mod checkouts;
mod event_data;
pub mod events;
pub mod idempotency;
mod instance;
mod migrations;
mod notifications;
mod oauth;
pub mod openid;
mod order_limits;
mod orders;
pub mod push;
mod rate_limits;
pub mod reconciliations;
pub mod refunds;
mod sessions;
pub mod shipments;
mod tokens;
mod users;
mod writer;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use sqlx::any::{install_default_drivers, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use catalogue::ProductRow;
pub use events::{Attempt, EndpointHealth, EventRow};
pub use instance::InstanceRow;
pub use oauth::{NewOAuthLogin, OAuthLoginRow, OAuthLoginStatus};
pub use orders::{MarkedPaid, NotificationReceipt, OrderRow, PaidTransaction};
pub use reconciliations::ReconciliationRow;
pub use refunds::RefundRow;
pub use sessions::DbSessionStore;
pub use shipments::ShipmentRow;
pub use tokens::TokenRow;
pub use users::{new_id, IdentityRow, NewIdentity, UserRow};
pub use writer::Write;
use writer::Writer;

/// How long start-up waits for the database before reporting it unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Settings applied to every SQLite connection: a busy timeout first, so concurrent writers wait instead of
/// failing, then the rest, with a page cache of 8 MiB per connection
/// (<https://www.sqlite.org/pragma.html#pragma_cache_size>). No memory map: while the file grows, as it does with
/// every order, SQLite unmaps and maps it again at the start of transactions, and each unmap stops both cores to
/// flush their TLBs — about 6% of a notification's CPU in the profile (README, "Benchmarks").
const SQLITE_PRAGMAS: &str =
    "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
     PRAGMA cache_size = -8192;";

/// Switches an SQLite file to write-ahead logging (readers never block the writer) unless it is already: the
/// mode is stored in the file, and asking for it on every new connection can fail with SQLITE_BUSY while another
/// process writes, since switching takes a lock the busy timeout does not wait for.
async fn use_write_ahead_log(pool: &AnyPool) -> Result<(), sqlx::Error> {
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(pool)
        .await?;
    if !mode.eq_ignore_ascii_case("wal") {
        pool.execute("PRAGMA journal_mode = WAL").await?;
    }
    Ok(())
}

/// Whether the SQLite `url` names an in-memory database.
fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// Makes the SQLite file of `url` and its `-wal`/`-shm` files readable by wxgate's user only, creating the file
/// first when the URL lets SQLite create it (`mode=rwc`); an in-memory database has no file.
fn make_sqlite_file_private(url: &str) -> std::io::Result<()> {
    use std::str::FromStr;
    if is_in_memory(url) {
        return Ok(());
    }
    let Ok(options) = sqlx::sqlite::SqliteConnectOptions::from_str(url) else {
        // Connecting reports what is wrong with the URL.
        return Ok(());
    };
    private_files::prepare_sqlite_file(options.get_filename(), url.contains("mode=rwc"))
}

/// A pool of at most `max_connections` to `url`, each connection set up for wxgate.
async fn open_pool(
    url: &str,
    backend: Backend,
    max_connections: u32,
) -> Result<AnyPool, sqlx::Error> {
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(CONNECT_TIMEOUT)
        // No ping before a connection is handed out (on PostgreSQL a round trip per use of the pool): sqlx pings
        // each on its way back into the pool and closes those idle for ten minutes, so a connection the server
        // closed meanwhile fails only its next query — a page's request, or a notification WeChat Pay sends again.
        .test_before_acquire(false)
        .after_connect(move |connection, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    connection.execute(SQLITE_PRAGMAS).await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
}

/// The two engines wxgate runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The engine a database URL names, if it is one wxgate supports.
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    /// The engine's name, for people.
    pub fn label(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }

    /// The engine behind `connection`.
    fn of(connection: &sqlx::AnyConnection) -> Backend {
        if connection.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// How many connections the pool holds. On SQLite these read, and most writes go through one writer
    /// connection of their own ([`Database::write`]).
    fn max_connections(self) -> u32 {
        match self {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        }
    }
}

/// What can go wrong with the database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot reach the {backend} database: {source}")]
    Connect {
        backend: &'static str,
        source: sqlx::Error,
    },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
}

/// A pool of connections to wxgate's database.
#[derive(Debug, Clone)]
pub struct Database {
    pool: AnyPool,
    /// Where writes run ([`writer`]).
    writer: Writer,
    backend: Backend,
    /// Signalled after a transaction that may have written an event commits, so this process's delivery starts at
    /// once (other processes find the event when they next look).
    events_written: Arc<Notify>,
}

impl Database {
    /// Connects to `url` (an SQLite file is created when missing); fails fast when the database cannot be reached.
    pub async fn connect(url: &str, backend: Backend) -> Result<Database, DbError> {
        install_default_drivers();
        if backend == Backend::Sqlite {
            make_sqlite_file_private(url).map_err(|source| DbError::Connect {
                backend: backend.label(),
                source: sqlx::Error::Io(source),
            })?;
        }
        let connect_error = |source| DbError::Connect {
            backend: backend.label(),
            source,
        };
        let pool = open_pool(url, backend, backend.max_connections())
            .await
            .map_err(connect_error)?;
        if backend == Backend::Sqlite {
            use_write_ahead_log(&pool).await.map_err(connect_error)?;
        }
        let writer = match backend {
            // An in-memory database is one per connection: its writes stay on the pool's connections.
            Backend::Sqlite if !is_in_memory(url) => Writer::sqlite_file(url, SQLITE_PRAGMAS)
                .await
                .map_err(connect_error)?,
            Backend::Sqlite | Backend::Postgres => Writer::Pool(pool.clone()),
        };
        Ok(Database {
            pool,
            writer,
            backend,
            events_written: Arc::new(Notify::new()),
        })
    }

    /// A connection to write on, held until dropped ([`writer`]); `write.begin()` starts a transaction on it.
    pub async fn write(&self) -> Result<Write, DbError> {
        Ok(self.writer.take(self.backend).await?)
    }

    /// Applies the migrations not applied yet; safe to run from several processes at once.
    pub async fn migrate(&self) -> Result<(), DbError> {
        migrations::migrator().await?.run(&self.pool).await?;
        Ok(())
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The newest migration applied, or 0 before the first.
    pub async fn schema_version(&self) -> Result<i64, DbError> {
        let version: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations")
                .fetch_one(&self.pool)
                .await?;
        Ok(version)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Wakes this process's event delivery (see [`Database::event_written`]).
    pub fn events_written(&self) {
        self.events_written.notify_one();
    }

    /// Resolves when a transaction of this process may have written an event since the last call.
    pub async fn event_written(&self) {
        self.events_written.notified().await;
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

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

/// How long start-up waits for the database before reporting it unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Settings applied to every SQLite connection: a busy timeout first, so concurrent writers wait instead of
/// failing, then the rest. Pages are read through a memory map and kept in a cache of 8 MiB per connection, so a
/// page another connection's commit made stale is read again without a `read()` and a copy
/// (<https://www.sqlite.org/mmap.html>, <https://www.sqlite.org/pragma.html#pragma_cache_size>).
const SQLITE_PRAGMAS: &str =
    "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
     PRAGMA mmap_size = 268435456; PRAGMA cache_size = -8192;";

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
        // A PostgreSQL connection may have been closed by the server while it sat in the pool: sqlx pings it
        // before handing it out. An SQLite connection is a file handle in this process; pinging it would only
        // cost a round trip to its worker thread per query.
        .test_before_acquire(backend == Backend::Postgres)
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

    /// How many connections the pool holds. On SQLite these read, and most writes go through one writer
    /// connection of their own ([`Database::begin_write`]).
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
    /// Where write transactions run. On SQLite, which lets one connection write at a time, a pool of one
    /// connection: writers wait their turn in the pool's queue instead of sleeping in SQLite's busy handler, and
    /// the writer's page cache stays warm (its own commits do not make it stale). On PostgreSQL the pool itself.
    writer: AnyPool,
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
            Backend::Sqlite if !is_in_memory(url) => {
                open_pool(url, backend, 1).await.map_err(connect_error)?
            }
            Backend::Sqlite | Backend::Postgres => pool.clone(),
        };
        Ok(Database {
            pool,
            writer,
            backend,
            events_written: Arc::new(Notify::new()),
        })
    }

    /// Starts a transaction that writes. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a
    /// transaction that reads first and writes later would otherwise fail with SQLITE_BUSY_SNAPSHOT, which no busy
    /// timeout waits out, whenever another connection wrote in between.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, DbError> {
        Ok(match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.writer.begin().await?,
        })
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

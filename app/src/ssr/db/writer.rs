//! Where write transactions run. On an SQLite file, one connection of wxgate's own, taken in turn: SQLite lets one
//! connection write at a time, so writers wait in a queue instead of sleeping in SQLite's busy handler, the
//! connection's page cache stays warm (its own commits do not make it stale), and no pool pings it each time it is
//! given back (sqlx's pool does, to find broken network connections: on SQLite a round trip to the connection's
//! worker thread for nothing, since its commands run in order). Elsewhere, a connection of the pool.

use std::sync::Arc;

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::Backend;

/// What [`Writer::take`] hands out connections from.
#[derive(Debug, Clone)]
pub(super) enum Writer {
    Pool(AnyPool),
    Connection(Arc<Mutex<AnyConnection>>),
}

impl Writer {
    /// The writer connection of the SQLite file at `url`, set up with `pragmas`.
    pub async fn sqlite_file(url: &str, pragmas: &str) -> Result<Writer, sqlx::Error> {
        let mut connection = AnyConnection::connect(url).await?;
        connection.execute(pragmas).await?;
        Ok(Writer::Connection(Arc::new(Mutex::new(connection))))
    }

    /// A connection to write on, for as long as it is held: the writer connection once it is free, or one of the
    /// pool's.
    pub async fn take(&self, backend: Backend) -> Result<Write, sqlx::Error> {
        let held = match self {
            Writer::Pool(pool) => Held::Pooled(pool.acquire().await?),
            Writer::Connection(connection) => Held::Own(Arc::clone(connection).lock_owned().await),
        };
        Ok(Write { held, backend })
    }
}

/// A connection held to write on (see [`super::Database::write`]).
#[derive(Debug)]
pub struct Write {
    held: Held,
    backend: Backend,
}

#[derive(Debug)]
enum Held {
    Pooled(PoolConnection<Any>),
    Own(OwnedMutexGuard<AnyConnection>),
}

impl Write {
    /// The connection, for a single statement that writes.
    pub fn connection(&mut self) -> &mut AnyConnection {
        match &mut self.held {
            Held::Pooled(connection) => connection,
            Held::Own(connection) => connection,
        }
    }

    /// Starts a transaction that writes. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a
    /// transaction that reads first and writes later would otherwise fail with SQLITE_BUSY_SNAPSHOT, which no busy
    /// timeout waits out, whenever another connection wrote in between. A transaction dropped before its commit is
    /// rolled back before the connection's next command.
    pub async fn begin(&mut self) -> Result<Transaction<'_, Any>, sqlx::Error> {
        let backend = self.backend;
        let connection = self.connection();
        match backend {
            Backend::Sqlite => connection.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => connection.begin().await,
        }
    }
}

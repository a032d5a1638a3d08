//! Counting attempts in fixed one-minute windows in the database, so a limit holds across wxgate processes.

use super::{Database, DbError};

impl Database {
    /// Counts one hit for `key` (a digest, never a raw code) in the window that started at `window_start`; returns
    /// the hits in that window so far, this one included. One statement, so concurrent hits are all counted.
    pub async fn count_hit(&self, key: &str, window_start: i64) -> Result<i64, DbError> {
        let hits = sqlx::query_scalar(
            "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
             hits = CASE WHEN rate_limits.window_start = excluded.window_start THEN rate_limits.hits + 1 ELSE 1 END, \
             window_start = excluded.window_start \
             RETURNING hits",
        )
        .bind(key)
        .bind(window_start)
        .fetch_one(self.pool())
        .await?;
        Ok(hits)
    }

    /// Removes windows that started before `before`; returns how many.
    pub async fn purge_rate_limits(&self, before: i64) -> Result<u64, DbError> {
        let removed = sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
            .bind(before)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(removed)
    }
}

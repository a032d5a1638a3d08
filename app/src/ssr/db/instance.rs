//! What the database was made for (sandbox or live, and the live merchant), recorded by the first start.

use super::{Database, DbError};
use crate::ssr::clock::now;

/// The mode a database was made for, and the live merchant once one was configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRow {
    pub mode: String,
    pub mch_id: Option<String>,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for InstanceRow {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(InstanceRow {
            mode: row.try_get("mode")?,
            mch_id: row.try_get("mch_id")?,
        })
    }
}

impl Database {
    /// Records `mode` (and `mch_id`) unless the database already says what it was made for, and returns what it
    /// says. A live database made before WeChat Pay was configured takes the first merchant it meets. Safe from
    /// several processes at once: the first insert wins.
    pub async fn claim_instance(
        &self,
        mode: &str,
        mch_id: Option<&str>,
    ) -> Result<InstanceRow, DbError> {
        sqlx::query(
            "INSERT INTO instance (id, mode, mch_id, created_at) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING",
        )
        .bind(mode)
        .bind(mch_id)
        .bind(now())
        .execute(self.pool())
        .await?;
        if let Some(mch_id) = mch_id {
            sqlx::query(
                "UPDATE instance SET mch_id = $1 WHERE id = 1 AND mode = $2 AND mch_id IS NULL",
            )
            .bind(mch_id)
            .bind(mode)
            .execute(self.pool())
            .await?;
        }
        let row = sqlx::query_as("SELECT mode, mch_id FROM instance WHERE id = 1")
            .fetch_one(self.pool())
            .await?;
        Ok(row)
    }
}

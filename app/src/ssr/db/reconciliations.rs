//! The record of each China day reconciled against WeChat Pay's trade bill, and the claim that lets one process
//! of many run the daily job for a day.

use super::{Database, DbError};
use crate::types::status::ReconciliationOutcome;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconciliationRow {
    pub bill_date: String,
    pub outcome: ReconciliationOutcome,
    pub payments: i64,
    pub refunds: i64,
    /// The differences found, one per line, or why the check failed.
    pub findings: String,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for ReconciliationRow {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        let status: String = row.try_get("status")?;
        let outcome = ReconciliationOutcome::parse(&status).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown reconciliation outcome {status}").into())
        })?;
        Ok(ReconciliationRow {
            bill_date: row.try_get("bill_date")?,
            outcome,
            payments: row.try_get("payments")?,
            refunds: row.try_get("refunds")?,
            findings: row.try_get("findings")?,
        })
    }
}

impl Database {
    /// Claims `bill_date` for this process: true when nobody has reconciled it, or when the last try failed before
    /// `retry_failed_before`, or a claim was abandoned (still RUNNING) before `abandoned_before`.
    pub async fn claim_reconciliation(
        &self,
        bill_date: &str,
        now: i64,
        retry_failed_before: i64,
        abandoned_before: i64,
    ) -> Result<bool, DbError> {
        let inserted = sqlx::query(
            "INSERT INTO reconciliations (bill_date, status, claimed_at) VALUES ($1, $2, $3) \
             ON CONFLICT (bill_date) DO NOTHING",
        )
        .bind(bill_date)
        .bind(ReconciliationOutcome::Running.as_str())
        .bind(now)
        .execute(self.pool())
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(true);
        }
        let retaken = sqlx::query(
            "UPDATE reconciliations SET status = $1, claimed_at = $2 WHERE bill_date = $3 \
             AND ((status = $4 AND claimed_at < $5) OR (status = $1 AND claimed_at < $6))",
        )
        .bind(ReconciliationOutcome::Running.as_str())
        .bind(now)
        .bind(bill_date)
        .bind(ReconciliationOutcome::Failed.as_str())
        .bind(retry_failed_before)
        .bind(abandoned_before)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(retaken == 1)
    }

    /// Writes a day's outcome, whether or not the day was claimed first (`wxgate reconcile` records over it); a
    /// failure is retried counting from now.
    pub async fn record_reconciliation(
        &self,
        row: &ReconciliationRow,
        now: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO reconciliations (bill_date, status, payments, refunds, findings, claimed_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (bill_date) DO UPDATE SET status = $2, payments = $3, \
             refunds = $4, findings = $5, claimed_at = $6",
        )
        .bind(&row.bill_date)
        .bind(row.outcome.as_str())
        .bind(row.payments)
        .bind(row.refunds)
        .bind(&row.findings)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The first day ever checked, if any.
    pub async fn oldest_reconciliation(&self) -> Result<Option<String>, DbError> {
        let (oldest,): (Option<String>,) =
            sqlx::query_as("SELECT MIN(bill_date) FROM reconciliations")
                .fetch_one(self.pool())
                .await?;
        Ok(oldest)
    }

    /// The days from `from` on whose check ended with an answer (AGREED or DIFFERS): nothing left to do for them.
    pub async fn settled_reconciliations(&self, from: &str) -> Result<Vec<String>, DbError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT bill_date FROM reconciliations WHERE bill_date >= $1 AND (status = $2 OR status = $3)",
        )
        .bind(from)
        .bind(ReconciliationOutcome::Agreed.as_str())
        .bind(ReconciliationOutcome::Differs.as_str())
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(bill_date,)| bill_date).collect())
    }

    /// The latest days reconciled, newest first.
    pub async fn recent_reconciliations(
        &self,
        limit: i64,
    ) -> Result<Vec<ReconciliationRow>, DbError> {
        Ok(sqlx::query_as(
            "SELECT bill_date, status, payments, refunds, findings FROM reconciliations \
             ORDER BY bill_date DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}

//! The audit trail of WeChat Pay notifications (written by `orders::record_notification`): what leaves it.

use super::{Database, DbError};

impl Database {
    /// Removes the notifications whose outcome is one of `outcomes` and that arrived before `received_before`
    /// (Unix seconds); returns how many.
    pub async fn delete_notifications(
        &self,
        outcomes: &[&str],
        received_before: i64,
    ) -> Result<u64, DbError> {
        if outcomes.is_empty() {
            return Ok(0);
        }
        let placeholders: Vec<String> = (2..outcomes.len() + 2).map(|n| format!("${n}")).collect();
        let sql = format!(
            "DELETE FROM payment_notifications WHERE received_at < $1 AND outcome IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(received_before);
        for outcome in outcomes {
            query = query.bind(*outcome);
        }
        Ok(query.execute(self.pool()).await?.rows_affected())
    }
}

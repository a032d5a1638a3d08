//! What a process shares about shipping: the nudge that wakes the upload job when a shipment became due (a payment,
//! an admin's dispatch), and WeChat's express companies, kept for a day.

use std::sync::Mutex;

use tokio::sync::Notify;

use crate::types::shipping::ExpressCompany;

/// How long WeChat's list of express companies is kept before it is asked for again.
pub const COMPANIES_TTL_SECONDS: i64 = 24 * 60 * 60;

#[derive(Debug, Default)]
pub struct ShippingDesk {
    due: Notify,
    companies: Mutex<Option<(i64, Vec<ExpressCompany>)>>,
}

impl ShippingDesk {
    /// Tells the upload job a shipment is due now.
    pub fn wake(&self) {
        self.due.notify_one();
    }

    /// Waits until [`ShippingDesk::wake`] is called (a call made while nobody waited counts once).
    pub async fn woken(&self) {
        self.due.notified().await;
    }

    /// The express companies kept since `since` or later, if any.
    pub fn companies(&self, since: i64) -> Option<Vec<ExpressCompany>> {
        let kept = self.lock();
        kept.as_ref()
            .filter(|(fetched_at, _)| *fetched_at >= since)
            .map(|(_, companies)| companies.clone())
    }

    /// Keeps the express companies WeChat gave at `fetched_at`.
    pub fn keep_companies(&self, fetched_at: i64, companies: Vec<ExpressCompany>) {
        *self.lock() = Some((fetched_at, companies));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(i64, Vec<ExpressCompany>)>> {
        self.companies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

//! The test harness: databases made fresh for each test, and wxgate and its sandbox started in-process or as
//! processes, either way stopped when dropped.

mod browser;
mod database;
mod environment;
pub mod example_backend;
mod in_process;
pub mod merchant;
mod process;
mod sandbox;
mod served;
mod server_thread;
mod sockets;

pub use browser::{Browser, WECHAT_UA};
pub use database::TestDatabase;
use environment::environment;
pub use in_process::Wxgate;
pub use process::{free_port, run_to_exit, WxgateProcess};
pub use sandbox::{Sandbox, SandboxProcess, SandboxSite};
pub use served::Served;
pub use sockets::listening_ports;

/// POSTs `body` to a control route and returns its JSON answer (`null` when it has none); fails on an error status.
pub async fn control_call(url: String, body: serde_json::Value) -> serde_json::Value {
    let response = reqwest::Client::new()
        .post(&url)
        .json(&body)
        .send()
        .await
        .expect("control call");
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    response.json().await.unwrap_or(serde_json::Value::Null)
}

/// Waits (for up to ten seconds) until the stored order is `status`, without asking through the API (which would
/// ask WeChat Pay itself).
pub async fn until_stored_status(db: &app::ssr::db::Database, order_id: &str, status: &str) {
    for _ in 0..100 {
        let stored = db.order(order_id).await.expect("order").expect("exists");
        if stored.status.as_str() == status {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("order {order_id} never became {status}");
}

/// The time now, in Unix seconds (wxgate's stored times).
pub fn unix_now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs(),
    )
    .expect("seconds")
}

/// The schema version a migrated database has: the number of the newest migration file.
pub fn schema_version() -> i64 {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../app/migrations");
    std::fs::read_dir(folder)
        .expect("migrations folder")
        .filter_map(|entry| {
            let name = entry.expect("a migration").file_name();
            name.to_str()?.split('_').next()?.parse::<i64>().ok()
        })
        .max()
        .expect("at least one migration")
}

/// Runs a test body once on SQLite and once on PostgreSQL (PostgreSQL may be skipped outside CI, loudly).
macro_rules! on_both_backends {
    ($($name:ident => $body:ident;)+) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() {
                super::$body($crate::support::TestDatabase::sqlite()).await;
            })+
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() {
                if let Some(database) = $crate::support::TestDatabase::postgres().await {
                    super::$body(database).await;
                }
            })+
        }
    };
}
pub(crate) use on_both_backends;

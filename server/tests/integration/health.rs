//! Health and readiness probes, migrations, and the SQLite file created on first start.

use serde_json::{json, Value};

use crate::support::{on_both_backends, run_to_exit, schema_version, TestDatabase, Wxgate};

on_both_backends! {
    probes_report_the_process_and_the_database => probes_report_the_process_and_the_database;
    migrate_command_brings_the_schema_up_to_date => migrate_command_brings_the_schema_up_to_date;
}

async fn probes_report_the_process_and_the_database(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let client = reqwest::Client::new();

    let health = client
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    assert_eq!(
        health.json::<Value>().await.expect("json"),
        json!({"status": "ok"})
    );

    let ready = client
        .get(server.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
    assert_eq!(
        ready.json::<Value>().await.expect("json"),
        json!({"status": "ready", "database": database.backend.label()})
    );
}

async fn migrate_command_brings_the_schema_up_to_date(database: TestDatabase) {
    for _ in 0..2 {
        let output = run_to_exit(&database, &["migrate"], &[]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            stdout.trim(),
            format!(
                "{} database is up to date (schema version {}).",
                database.backend.label(),
                schema_version()
            )
        );
    }
}

#[tokio::test]
async fn sqlite_file_is_created_in_the_data_folder_in_wal_mode() {
    let database = TestDatabase::sqlite();
    let _server = Wxgate::start(&database, &[]).await;

    let path = database.sqlite_file();
    assert!(path.exists(), "{} was not created", path.display());
    let mut connection = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
        "sqlite://{}",
        path.display()
    ))
    .await
    .expect("open the SQLite file");
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut connection)
        .await
        .expect("journal mode");
    assert_eq!(mode, "wal");
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'sessions'",
    )
    .fetch_one(&mut connection)
    .await
    .expect("sessions table");
    assert_eq!(tables, 1);
}

#[test]
fn data_dir_flag_works_before_and_after_the_command() {
    let database = TestDatabase::sqlite();
    for (position, args) in [
        ("before", ["--data-dir", "flag-before", "migrate"]),
        ("after", ["migrate", "--data-dir", "flag-after"]),
    ] {
        let output = run_to_exit(&database, &args, &[]);
        assert!(
            output.status.success(),
            "{position}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let folder = database.data_dir().join(format!("flag-{position}"));
        assert!(
            folder.join("wxgate.db").exists(),
            "{position}: no database in {}",
            folder.display()
        );
    }
}

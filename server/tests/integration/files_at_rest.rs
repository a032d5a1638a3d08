//! Files at rest: `wxgate serve` in a fresh data folder makes the folder 0700, and the SQLite database (with its
//! `-wal` and `-shm` files) and the sandbox's credentials 0600.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::{on_both_backends, TestDatabase, Wxgate};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

on_both_backends! {
    a_fresh_data_folder_and_its_files_are_private => a_fresh_data_folder_and_its_files_are_private;
}

async fn a_fresh_data_folder_and_its_files_are_private(database: TestDatabase) {
    let data_dir = database.data_dir().join("fresh/data");
    let data_dir_text = data_dir.to_str().expect("utf-8 path").to_owned();
    let _server = Wxgate::start(&database, &[("WXGATE_DATA_DIR", &data_dir_text)]).await;

    assert_eq!(mode(&data_dir), 0o700, "the data folder");
    assert_eq!(
        mode(&data_dir.join("sandbox")),
        0o700,
        "the sandbox's folder"
    );
    assert_eq!(
        mode(&data_dir.join("sandbox/credentials.json")),
        0o600,
        "the sandbox's keys"
    );
    if database.database_url().is_none() {
        // The server is running, in write-ahead-log mode: all three files are there.
        for file in ["wxgate.db", "wxgate.db-wal", "wxgate.db-shm"] {
            assert_eq!(mode(&data_dir.join(file)), 0o600, "{file}");
        }
    }
}

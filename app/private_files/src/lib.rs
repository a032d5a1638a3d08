//! Files only wxgate's own user may open: the data folder (0700), the SQLite database with its `-wal`/`-shm`
//! files and the sandbox's keys (0600). On other systems than Unix these fall back to the platform's defaults.

use std::io;
use std::path::Path;

/// Creates `folder` and any missing parents, each readable by wxgate's user only; an existing folder is left as
/// it is (its owner may have chosen otherwise).
pub fn create_folder(folder: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(folder)
}

/// Opens `path` for writing from scratch (created or truncated), readable by wxgate's user only.
pub fn create_file(path: &Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    // The mode above applies only when the file is created; one left by an older wxgate is tightened too.
    restrict(path)?;
    Ok(file)
}

/// Makes an existing file readable by wxgate's user only; a missing file is no error.
pub fn restrict(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// Prepares an SQLite database file before SQLite opens it: made (empty, which SQLite reads as a new database)
/// with mode 0600 when missing and `create` says it may be, tightened to 0600 when it exists, and so are its
/// `-wal` and `-shm` files. SQLite gives the `-wal` and `-shm` files it makes later the database file's own
/// permissions (`findCreateFileMode` in its `os_unix.c`), so they are private too.
pub fn prepare_sqlite_file(database: &Path, create: bool) -> io::Result<()> {
    if create {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(database) {
            Ok(_) => {}
            // There already, or another process made it first.
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(error),
        }
    }
    restrict(database)?;
    for suffix in ["-wal", "-shm"] {
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        restrict(Path::new(&name))?;
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn folders_and_files_are_made_private_and_old_files_are_tightened() {
        let root = std::env::temp_dir().join(format!(
            "wxgate-private-files-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|elapsed| elapsed.as_nanos())
                .unwrap_or_default()
        ));
        let folder = root.join("data/nested");
        create_folder(&folder).expect("folder made");
        assert_eq!(mode(&folder), 0o700);
        assert_eq!(mode(&root.join("data")), 0o700);

        let database = folder.join("wxgate.db");
        let wal = folder.join("wxgate.db-wal");
        std::fs::write(&wal, b"").expect("an old -wal file");
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        prepare_sqlite_file(&database, true).expect("prepared");
        assert_eq!(mode(&database), 0o600);
        assert_eq!(mode(&wal), 0o600);
        assert!(
            !folder.join("wxgate.db-shm").exists(),
            "nothing else is made"
        );

        let keys = folder.join("keys.json");
        std::fs::write(&keys, b"{}").expect("an old file");
        std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        drop(create_file(&keys).expect("rewritten"));
        assert_eq!(mode(&keys), 0o600);
        std::fs::remove_dir_all(&root).expect("clean up");
    }
}

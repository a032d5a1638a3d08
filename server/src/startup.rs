//! Start-up checks shared by every command: the settings, then the database, every problem reported together.

use std::path::Path;
use std::sync::Arc;

use app::ssr::config::{self, Problems, Settings, Vars};
use app::ssr::context::AppContext;
use app::ssr::db::Database;
use secrecy::ExposeSecret;

/// The exit code for a configuration that cannot run (sysexits' EX_CONFIG).
pub const CONFIG_EXIT_CODE: u8 = 78;

/// Reads the environment and connects to the database; returns every problem found, not just the first.
pub async fn check(data_dir: &Path) -> Result<AppContext, Problems> {
    let vars = Vars::from_env();
    let mut problems = Problems::default();
    if let Err(error) = std::fs::create_dir_all(data_dir) {
        problems.push(
            "WXGATE_DATA_DIR",
            format!(
                "cannot create the data folder {}: {error}",
                data_dir.display()
            ),
        );
    }
    let settings = Settings::from_vars(&vars, data_dir);
    if let Err(found) = &settings {
        for problem in found.iter() {
            problems.push_plain(problem);
        }
    }
    // The database is tried even when other settings are wrong, so one run names every problem.
    let database = match config::database_url(&vars, data_dir) {
        Ok((url, backend)) => match Database::connect(url.expose_secret(), backend).await {
            Ok(db) => Some(db),
            Err(error) => {
                problems.push("DATABASE_URL", error);
                None
            }
        },
        Err(_) => None,
    };
    match (settings, database) {
        (Ok(settings), Some(db)) if problems.is_empty() => Ok(AppContext {
            settings: Arc::new(settings),
            db,
        }),
        _ => Err(problems),
    }
}

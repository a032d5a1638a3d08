//! The variables a test's wxgate runs with, in-process or as the binary: only what the test sets, plus its data
//! folder and database. Unless the test sets `WXGATE_MODE` or a WeChat variable (live), wxgate runs in sandbox
//! mode, as `make run` starts it.

use app::ssr::config::WECHAT_VARIABLES;

use super::TestDatabase;

/// The whole environment of a wxgate on `database`: the defaults, the test's `env` over them (later pairs win).
pub fn environment(database: &TestDatabase, env: &[(&str, &str)]) -> Vec<(String, String)> {
    let chooses_mode = env
        .iter()
        .any(|(name, _)| *name == "WXGATE_MODE" || WECHAT_VARIABLES.contains(name));
    let data_dir = database.data_dir().to_string_lossy().into_owned();
    let mut vars = vec![
        ("WXGATE_DATA_DIR".to_owned(), data_dir),
        ("RUST_LOG".to_owned(), "info".to_owned()),
        // The daily reconciliation would ask the sandbox for a bill in the middle of other tests' requests.
        ("WXGATE_RECONCILE_AT".to_owned(), "off".to_owned()),
        // Tests reconcile the day they pay in, so its bill is ready at once (WeChat's: from 10:00 the next day).
        ("WXGATE_SANDBOX_BILLS".to_owned(), "at-once".to_owned()),
    ];
    if !chooses_mode {
        vars.push(("WXGATE_MODE".to_owned(), "sandbox".to_owned()));
    }
    vars.extend(
        env.iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
    );
    // The test's own database wins over any the test names.
    if let Some(url) = database.database_url() {
        vars.push(("DATABASE_URL".to_owned(), url.to_owned()));
    }
    vars
}

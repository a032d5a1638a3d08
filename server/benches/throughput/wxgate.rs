//! The `wxgate serve` the benchmark drives (release build, sandbox mode, a data folder of its own, quiet logs), its
//! HTTP API, the sandbox's credentials, and a PostgreSQL database made for one run.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::{Connection, Executor, PgConnection};

const WXGATE: &str = env!("CARGO_BIN_EXE_wxgate");
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// The PostgreSQL server to make the run's database on: the integration tests' setting and default.
const POSTGRES_URL_VAR: &str = "WXGATE_TEST_POSTGRES_URL";
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A running `wxgate serve`, killed when dropped.
pub struct Wxgate {
    child: Child,
    data_dir: tempfile::TempDir,
    pub api: Api,
}

impl Wxgate {
    /// Starts wxgate on a free port, on `database_url` or else an SQLite file in its data folder, and waits until
    /// `/readyz` answers 200.
    pub async fn start(database_url: Option<&str>) -> Wxgate {
        let data_dir = tempfile::tempdir().expect("a temporary data folder");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let log = std::fs::File::create(data_dir.path().join("wxgate.log")).expect("a log file");
        let mut command = Command::new(WXGATE);
        command
            .env_clear()
            .current_dir(data_dir.path())
            .env("WXGATE_DATA_DIR", data_dir.path())
            .env("WXGATE_MODE", "sandbox")
            // One buyer makes every order of the run.
            .env("WXGATE_MAX_OPEN_ORDERS", "1000000")
            .env("WXGATE_ORDERS_PER_MINUTE", "1000000")
            .env("RUST_LOG", "warn")
            // No sweep or reconciliation during the run: they would ask the sandbox while it is being measured.
            .env("WXGATE_SWEEP_SECONDS", "3600")
            .env("WXGATE_RECONCILE_AT", "off")
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("a log file"))
            .stderr(log);
        if let Some(url) = database_url {
            command.env("DATABASE_URL", url);
        }
        let mut server = Wxgate {
            child: command.spawn().expect("start wxgate"),
            data_dir,
            api: Api {
                http: reqwest::Client::new(),
                base_url: format!("http://127.0.0.1:{port}"),
            },
        };
        server.wait_until_ready().await;
        server
    }

    async fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("wxgate exited with {status}:\n{}", self.log());
            }
            let ready = self.api.http.get(self.api.url("/readyz")).send().await;
            if ready.is_ok_and(|answer| answer.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "wxgate was not ready within {START_TIMEOUT:?}:\n{}",
            self.log()
        );
    }

    /// The sandbox's merchant, keys and apps, which it made in the data folder on start-up.
    pub fn credentials(&self) -> Credentials {
        let path = self.data_dir.path().join("sandbox/credentials.json");
        let text = std::fs::read_to_string(&path).expect("the sandbox's credentials");
        serde_json::from_str(&text).expect("the sandbox's credentials are JSON")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("wxgate.log")).unwrap_or_default()
    }
}

impl Drop for Wxgate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The part of the sandbox's `credentials.json` the benchmark uses.
#[derive(Debug, Deserialize)]
pub struct Credentials {
    pub mp_appid: String,
    pub mchid: String,
    pub merchant_serial: String,
    pub merchant_private_key_pem: String,
    pub apiv3_key: String,
    pub pay_public_key_id: String,
    pub pay_public_key_pem: String,
    pub pay_private_key_pem: String,
}

/// wxgate's HTTP API; cheap to clone into each request's task (the client's connections are shared).
#[derive(Debug, Clone)]
pub struct Api {
    pub http: reqwest::Client,
    base_url: String,
}

impl Api {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// POSTs `body` as JSON, with `token` as the bearer when given; panics unless the answer is 200 with JSON.
    pub async fn post_ok(&self, path: &str, token: Option<&str>, body: Value) -> Value {
        let mut request = self.http.post(self.url(path)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let answer = request.send().await.expect("wxgate answers");
        let status = answer.status();
        let text = answer.text().await.expect("an answer body");
        assert_eq!(status, 200, "POST {path} was answered {status}: {text}");
        serde_json::from_str(&text).expect("a JSON answer")
    }

    /// Logs `persona` in as the mini program does (the sandbox mints the `wx.login` code); returns the session token.
    pub async fn mini_program_login(&self, persona: &str) -> String {
        let minted = self
            .post_ok(
                "/sandbox/mp/login-code",
                None,
                json!({ "persona": persona }),
            )
            .await;
        let login = self
            .post_ok(
                "/api/auth/wechat/login",
                None,
                json!({ "code": minted["code"] }),
            )
            .await;
        login["session_token"]
            .as_str()
            .expect("a session_token")
            .to_owned()
    }
}

/// A new PostgreSQL database for one run, dropped with this value.
pub struct PostgresDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PostgresDatabase {
    /// Creates the database; says why not when the server is unreachable.
    pub async fn create() -> Result<PostgresDatabase, String> {
        let admin_url =
            std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .map_err(|error| format!("{admin_url} is unreachable ({error})"))?;
        let name = format!("wxgate_bench_{}", std::process::id());
        admin
            .execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
            .await
            .map_err(|error| format!("cannot create a database on {admin_url}: {error}"))?;
        let mut url = url::Url::parse(&admin_url).expect("a PostgreSQL URL");
        url.set_path(&name);
        Ok(PostgresDatabase {
            admin_url,
            name,
            url: url.to_string(),
        })
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop may run inside the benchmark's runtime, which cannot block on another: use a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let mut admin = PgConnection::connect(&admin_url).await?;
                admin
                    .execute(format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str())
                    .await
                    .map(|_| ())
            })
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("could not drop the database {}: {error}", self.name);
        }
    }
}

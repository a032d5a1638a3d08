//! The processes the benchmark drives: `wxgate sandbox` (WeChat and WeChat Pay, in a process of its own, so the CPU
//! wxgate spends is wxgate's alone) and a release `wxgate serve` in live mode against it (a data folder of its own,
//! quiet logs); their HTTP APIs, the sandbox's credentials, and a PostgreSQL database made for one run.

use std::path::Path;
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

/// A `wxgate` command in `data_dir`, with nothing of the caller's environment but `vars`.
fn command(data_dir: &Path, vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(WXGATE);
    command
        .env_clear()
        .current_dir(data_dir)
        .env("WXGATE_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .envs(vars.iter().copied())
        .stdin(Stdio::null());
    command
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// A process the benchmark started, killed when dropped, with its log.
struct Process {
    child: Child,
    data_dir: tempfile::TempDir,
}

impl Process {
    /// Starts `wxgate args…` in a new data folder with `vars`, and waits until `ready` answers 2xx.
    async fn start(
        args: &[&str],
        vars: &[(&str, &str)],
        data_dir: tempfile::TempDir,
        ready: &str,
    ) -> Process {
        let log = std::fs::File::create(data_dir.path().join("wxgate.log")).expect("a log file");
        let child = command(data_dir.path(), vars)
            .args(args)
            .stdout(log.try_clone().expect("a log file"))
            .stderr(log)
            .spawn()
            .expect("start wxgate");
        let mut process = Process { child, data_dir };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = process.child.try_wait() {
                panic!("wxgate {args:?} exited with {status}:\n{}", process.log());
            }
            if http
                .get(ready)
                .send()
                .await
                .is_ok_and(|answer| answer.status().is_success())
            {
                return process;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "wxgate {args:?} did not answer within {START_TIMEOUT:?}:\n{}",
            process.log()
        );
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("wxgate.log")).unwrap_or_default()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `wxgate sandbox`: WeChat's APIs, WeChat Pay's, and the control API that plays the buyer.
pub struct Sandbox {
    _process: Process,
    pub api: Api,
    pub credentials: Credentials,
    /// The personas who buy in the run.
    buyers: Vec<String>,
}

impl Sandbox {
    /// Starts the sandbox with `buyers` personas more, the run's buyers.
    pub async fn start(buyers: usize) -> Sandbox {
        let data_dir = tempfile::tempdir().expect("a temporary data folder");
        let port = free_port().to_string();
        let printed = command(data_dir.path(), &[])
            .args(["sandbox", "credentials", "--port", &port])
            .output()
            .expect("wxgate sandbox credentials");
        assert!(
            printed.status.success(),
            "{}",
            String::from_utf8_lossy(&printed.stderr)
        );
        let credentials: Credentials =
            serde_json::from_slice(&printed.stdout).expect("the sandbox's credentials");
        let base_url = format!("http://127.0.0.1:{port}");
        let process = Process::start(
            &["sandbox", "--port", &port],
            &[],
            data_dir,
            &format!("{base_url}/sandbox"),
        )
        .await;
        let api = Api::new(base_url);
        let buyers: Vec<String> = (0..buyers).map(|i| format!("buyer-{i}")).collect();
        for id in &buyers {
            api.post_ok(
                "/sandbox/personas",
                None,
                json!({ "id": id, "nickname": id }),
            )
            .await;
        }
        Sandbox {
            _process: process,
            api,
            credentials,
            buyers,
        }
    }

    /// The session token of each of the run's buyers at `wxgate`, signed in from the mini program.
    pub async fn sign_in_buyers(&self, wxgate: &Api) -> Vec<String> {
        let mut tokens = Vec::with_capacity(self.buyers.len());
        for buyer in &self.buyers {
            tokens.push(wxgate.mini_program_login(&self.api, buyer).await);
        }
        tokens
    }
}

/// A running `wxgate serve` in live mode against the sandbox.
pub struct Wxgate {
    process: Process,
    pub api: Api,
}

impl Wxgate {
    /// Starts wxgate on a free port, on `database_url` or else an SQLite file in its data folder, with the
    /// sandbox's apps and merchant as its WeChat, and waits until `/readyz` answers 200.
    pub async fn start(sandbox: &Sandbox, database_url: Option<&str>) -> Wxgate {
        let base_url = format!("http://127.0.0.1:{}", free_port());
        let address = base_url.trim_start_matches("http://");
        let credentials = &sandbox.credentials;
        let notify_url = format!("{base_url}/api/webhooks/wechat-pay");
        let mut vars = vec![
            ("WXGATE_MODE", "live"),
            ("APP_URL", base_url.as_str()),
            ("WECHAT_API_BASE", credentials.api_base.as_str()),
            ("WECHAT_OPEN_BASE", credentials.open_base.as_str()),
            ("WECHAT_PAY_BASE", credentials.pay_base.as_str()),
            ("WECHAT_MP_APPID", credentials.mp_appid.as_str()),
            ("WECHAT_MP_SECRET", credentials.mp_secret.as_str()),
            ("WECHAT_PAY_MCH_ID", credentials.mchid.as_str()),
            ("WECHAT_PAY_API_V3_KEY", credentials.apiv3_key.as_str()),
            (
                "WECHAT_PAY_PRIVATE_KEY",
                credentials.merchant_private_key_pem.as_str(),
            ),
            (
                "WECHAT_PAY_CERT_SERIAL",
                credentials.merchant_serial.as_str(),
            ),
            (
                "WECHAT_PAY_PUBLIC_KEY",
                credentials.pay_public_key_pem.as_str(),
            ),
            (
                "WECHAT_PAY_PUBLIC_KEY_ID",
                credentials.pay_public_key_id.as_str(),
            ),
            ("WECHAT_PAY_NOTIFY_URL", notify_url.as_str()),
            // Each of the run's twenty buyers makes some two hundred orders within minutes (the defaults allow ten).
            ("WXGATE_MAX_OPEN_ORDERS", "1000"),
            ("WXGATE_ORDERS_PER_MINUTE", "1000"),
            // No sweep or reconciliation during the run: they would ask the sandbox while it is being measured.
            ("WXGATE_SWEEP_SECONDS", "3600"),
            ("WXGATE_RECONCILE_AT", "off"),
        ];
        if let Some(url) = database_url {
            vars.push(("DATABASE_URL", url));
        }
        let data_dir = tempfile::tempdir().expect("a temporary data folder");
        let process = Process::start(
            &["serve", "--addr", address],
            &vars,
            data_dir,
            &format!("{base_url}/readyz"),
        )
        .await;
        Wxgate {
            process,
            api: Api::new(base_url),
        }
    }

    /// The process id, whose CPU time the benchmark reads.
    pub fn pid(&self) -> u32 {
        self.process.child.id()
    }
}

/// The part of `wxgate sandbox credentials` the benchmark uses.
#[derive(Debug, Deserialize)]
pub struct Credentials {
    pub api_base: String,
    pub open_base: String,
    pub pay_base: String,
    pub mp_appid: String,
    pub mp_secret: String,
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
    fn new(base_url: String) -> Api {
        Api {
            http: reqwest::Client::new(),
            base_url,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// POSTs `body` as JSON, with `token` as the bearer when given; panics unless the answer is 2xx with JSON.
    pub async fn post_ok(&self, path: &str, token: Option<&str>, body: Value) -> Value {
        let mut request = self.http.post(self.url(path)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let answer = request.send().await.expect("wxgate answers");
        let status = answer.status();
        let text = answer.text().await.expect("an answer body");
        assert!(
            status.is_success(),
            "POST {path} was answered {status}: {text}"
        );
        serde_json::from_str(&text).expect("a JSON answer")
    }

    /// Logs `persona` in as the mini program does, with a `wx.login` code `sandbox` mints; returns the session
    /// token.
    pub async fn mini_program_login(&self, sandbox: &Api, persona: &str) -> String {
        let minted = sandbox
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

//! Running the real `wxgate` binary: as a server on a free port, or as a command that exits.

use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use app::ssr::config::WECHAT_VARIABLES;

use super::TestDatabase;

const WXGATE: &str = env!("CARGO_BIN_EXE_wxgate");
/// A generous bound for a debug build to migrate and start listening on a busy 2-core machine.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A command for `wxgate` with a clean environment: only what the test sets, run in the data folder so no `.env`
/// from the developer's checkout is read. Unless the test sets `WXGATE_MODE` or a WeChat variable (live), wxgate
/// runs in sandbox mode, as `make run` starts it.
fn command(database: &TestDatabase, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(WXGATE);
    command.env_clear();
    let chooses_mode = env
        .iter()
        .any(|(name, _)| *name == "WXGATE_MODE" || WECHAT_VARIABLES.contains(name));
    if !chooses_mode {
        command.env("WXGATE_MODE", "sandbox");
    }
    command
        .current_dir(database.data_dir())
        .env("WXGATE_DATA_DIR", database.data_dir())
        .env("RUST_LOG", "info")
        // The daily reconciliation would ask the sandbox for a bill in the middle of other tests' requests.
        .env("WXGATE_RECONCILE_AT", "off")
        .envs(env.iter().copied());
    if let Some(url) = database.database_url() {
        command.env("DATABASE_URL", url);
    }
    command
}

/// Runs `wxgate ARGS…` to completion and returns what it printed and its exit status.
pub fn run_to_exit(database: &TestDatabase, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(database, env)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run wxgate")
}

/// A running `wxgate serve`, killed when dropped.
pub struct Wxgate {
    child: Child,
    pub base_url: String,
    log_path: std::path::PathBuf,
}

impl Wxgate {
    /// Starts `wxgate serve` on a free port with the given extra environment, and waits until it answers.
    pub async fn start(database: &TestDatabase, env: &[(&str, &str)]) -> Wxgate {
        let port = free_port();
        let log_path = database.data_dir().join(format!("wxgate-{port}.log"));
        let log = std::fs::File::create(&log_path).expect("log file");
        let child = command(database, env)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("start wxgate");
        let mut server = Wxgate {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            log_path,
        };
        server.wait_until_healthy().await;
        server
    }

    async fn wait_until_healthy(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "wxgate exited with {status} before answering:\n{}",
                    self.log()
                );
            }
            if client.get(self.url("/healthz")).send().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "wxgate did not answer within {START_TIMEOUT:?}:\n{}",
            self.log()
        );
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Calls a control route (the sandbox's, in sandbox mode) of this process.
    pub async fn control(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        super::control_call(self.url(path), body).await
    }

    /// `GET /api/orders/{order_id}` as `token`'s session (which asks WeChat Pay while the order is paying).
    pub async fn order(&self, token: &str, order_id: &str) -> (u16, serde_json::Value) {
        self.api(
            token,
            reqwest::Method::GET,
            &format!("/api/orders/{order_id}"),
            None,
        )
        .await
    }

    /// Asks for the order until it is `status` (for up to ten seconds), each answer a 200; the last answer.
    pub async fn until_order_status(
        &self,
        token: &str,
        order_id: &str,
        status: &str,
    ) -> serde_json::Value {
        let mut order = serde_json::Value::Null;
        for _ in 0..100 {
            let (code, seen) = self.order(token, order_id).await;
            assert_eq!(code, 200, "{seen}");
            if seen["status"] == status {
                return seen;
            }
            order = seen;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("order {order_id} never became {status}: {order}");
    }

    /// The buyer pays `out_trade_no` (the sandbox's control API plays the buyer's WeChat).
    pub async fn sandbox_pays(&self, out_trade_no: &str) {
        self.control(
            &format!("/sandbox/pay/orders/{out_trade_no}/pay"),
            serde_json::json!({}),
        )
        .await;
    }

    /// WeChat Pay finishes the refund `out_refund_no` successfully (the sandbox's control API plays that part).
    pub async fn sandbox_settles_refund(&self, out_refund_no: &str) {
        self.control(
            &format!("/sandbox/pay/refunds/{out_refund_no}/outcome"),
            serde_json::json!({ "status": "SUCCESS" }),
        )
        .await;
    }

    /// Calls the server function `endpoint` (under `/api/fn`) with form `fields`, as `token`'s session.
    pub async fn server_fn(
        &self,
        token: &str,
        endpoint: &str,
        fields: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let response = reqwest::Client::new()
            .post(self.url(&format!("/api/fn/{endpoint}")))
            .bearer_auth(token)
            .form(fields)
            .send()
            .await
            .expect("server function");
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    /// Logs `persona` in as the mini program would (the sandbox mints its `wx.login` code); returns the session token.
    pub async fn mini_program_login(&self, persona: &str) -> String {
        let minted = self
            .control(
                "/sandbox/mp/login-code",
                serde_json::json!({ "persona": persona }),
            )
            .await;
        let (status, login) = self
            .api(
                "",
                reqwest::Method::POST,
                "/api/auth/wechat/login",
                Some(serde_json::json!({ "code": minted["code"] })),
            )
            .await;
        assert_eq!(status, 200, "{login}");
        login["session_token"]
            .as_str()
            .expect("session_token")
            .to_owned()
    }

    /// Buys one `product_id` as the mini program would (`POST /api/payments/miniprogram/create`, which must answer
    /// Binds `persona`'s phone (the sandbox mints the phone button's code) to `token`'s user; the 200 answer.
    pub async fn bind_phone(&self, token: &str, persona: &str) -> serde_json::Value {
        let phone_code = self
            .control(
                "/sandbox/mp/phone-code",
                serde_json::json!({ "persona": persona }),
            )
            .await["code"]
            .clone();
        let (status, bound) = self
            .api(
                token,
                reqwest::Method::POST,
                "/api/auth/wechat/phone",
                Some(serde_json::json!({ "code": phone_code })),
            )
            .await;
        assert_eq!(status, 200, "{bound}");
        bound
    }

    /// 200); returns the answer: `order_id`, `out_trade_no` and `wx.requestPayment`'s parameters.
    pub async fn mini_program_order(&self, token: &str, product_id: &str) -> serde_json::Value {
        let (status, created) = self
            .api(
                token,
                reqwest::Method::POST,
                "/api/payments/miniprogram/create",
                Some(serde_json::json!({ "product_id": product_id })),
            )
            .await;
        assert_eq!(status, 200, "{created}");
        created
    }

    /// Calls the JSON API, with `token` as the bearer unless it is empty; returns the status and the JSON body
    /// (`null` when there is none).
    pub async fn api(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = reqwest::Client::new().request(method, self.url(path));
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    /// GETs a control route of this process.
    pub async fn control_get(&self, path: &str) -> serde_json::Value {
        reqwest::get(self.url(path))
            .await
            .expect("control call")
            .json()
            .await
            .expect("control JSON")
    }

    /// The process id of this wxgate.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the process has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

impl Drop for Wxgate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP port nothing listens on now, for a server the test is about to start.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

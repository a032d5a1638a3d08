//! A running `wxgate sandbox` (WeChat's paths at its root), with its credentials, killed when dropped.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const WXGATE: &str = env!("CARGO_BIN_EXE_wxgate");
const START_TIMEOUT: Duration = Duration::from_secs(60);

pub struct SandboxProcess {
    child: Child,
    pub base_url: String,
    /// What `wxgate sandbox credentials` prints for this sandbox.
    pub credentials: Value,
    _data_dir: tempfile::TempDir,
}

impl SandboxProcess {
    pub async fn start() -> SandboxProcess {
        let data_dir = tempfile::tempdir().expect("temporary folder");
        let port = super::process::free_port();
        let port_text = port.to_string();
        let run = |args: &[&str]| {
            let mut command = Command::new(WXGATE);
            command
                .env_clear()
                .current_dir(data_dir.path())
                .env("WXGATE_DATA_DIR", data_dir.path())
                .env("RUST_LOG", "warn")
                .args(args);
            command
        };
        let printed = run(&["sandbox", "credentials", "--port", &port_text])
            .output()
            .expect("wxgate sandbox credentials");
        assert!(
            printed.status.success(),
            "{}",
            String::from_utf8_lossy(&printed.stderr)
        );
        let credentials: Value = serde_json::from_slice(&printed.stdout).expect("credentials JSON");
        let child = run(&["sandbox", "--port", &port_text])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start wxgate sandbox");
        let sandbox = SandboxProcess {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            credentials,
            _data_dir: data_dir,
        };
        sandbox.wait_until_ready().await;
        sandbox
    }

    async fn wait_until_ready(&self) {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if reqwest::get(self.url("/sandbox")).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the sandbox did not answer within {START_TIMEOUT:?}");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Calls a control route of this sandbox.
    pub async fn control(&self, path: &str, body: Value) -> Value {
        super::control_call(self.url(path), body).await
    }

    /// A credential field as text.
    pub fn credential(&self, name: &str) -> String {
        self.credentials[name]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! The WeChat sandbox alone (WeChat's paths at its root), with its credentials: in-process ([`Sandbox`]) or as
//! `wxgate sandbox` ([`SandboxProcess`], which runs its command line too); both deref to a [`SandboxSite`].

use std::ops::Deref;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sandbox::credentials::SandboxCredentials;
use serde_json::Value;

use super::server_thread::ServerThread;

const WXGATE: &str = env!("CARGO_BIN_EXE_wxgate");
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A sandbox answering at `base_url`.
pub struct SandboxSite {
    pub base_url: String,
    /// What `wxgate sandbox credentials` prints for this sandbox.
    pub credentials: Value,
}

impl SandboxSite {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Calls a control route of this sandbox.
    pub async fn control(&self, path: &str, body: Value) -> Value {
        super::control_call(self.url(path), body).await
    }

    /// GETs `path` of this sandbox and reads its JSON answer.
    pub async fn get_json(&self, path: &str) -> Value {
        reqwest::get(self.url(path))
            .await
            .expect("the sandbox answers")
            .json()
            .await
            .expect("a JSON answer")
    }

    /// The openid of ready-made or added persona `id` in `appid`, as the control API lists it.
    pub async fn persona_openid(&self, id: &str, appid: &str) -> String {
        self.get_json("/sandbox/personas")
            .await
            .as_array()
            .and_then(|list| list.iter().find(|persona| persona["id"] == id))
            .and_then(|persona| persona["openids"][appid].as_str())
            .unwrap_or_default()
            .to_owned()
    }

    /// A credential field as text.
    pub fn credential(&self, name: &str) -> String {
        self.credentials[name]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// A sandbox serving in this process on a port of its own, with fresh credentials; stopped when dropped.
pub struct Sandbox {
    site: SandboxSite,
    _thread: ServerThread,
    _data_dir: tempfile::TempDir,
}

impl Sandbox {
    pub async fn start() -> Sandbox {
        let data_dir = tempfile::tempdir().expect("temporary folder");
        let credentials =
            SandboxCredentials::load_or_create(data_dir.path()).expect("the sandbox's credentials");
        let serving = credentials.clone();
        let (thread, address) = ServerThread::start(move |listener, stop| async move {
            let base = format!(
                "http://{}",
                listener.local_addr().map_err(|e| e.to_string())?
            );
            let sandbox = sandbox::Sandbox::new(serving, base, None, None)
                .map_err(|error| error.to_string())?;
            Ok(async move {
                let _ = sandbox::serve_alone(sandbox, listener, stop.signalled()).await;
            })
        })
        .await;
        let base_url = format!("http://{address}");
        let credentials = credentials.with_bases(&base_url).expect("credentials JSON");
        Sandbox {
            site: SandboxSite {
                base_url,
                credentials,
            },
            _thread: thread,
            _data_dir: data_dir,
        }
    }
}

impl Deref for Sandbox {
    type Target = SandboxSite;

    fn deref(&self) -> &SandboxSite {
        &self.site
    }
}

/// A running `wxgate sandbox` process, killed when dropped.
pub struct SandboxProcess {
    child: Child,
    site: SandboxSite,
    _data_dir: tempfile::TempDir,
}

impl SandboxProcess {
    /// Asks `wxgate sandbox credentials` for the keys, then starts `wxgate sandbox` on a free port.
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
            site: SandboxSite {
                base_url: format!("http://127.0.0.1:{port}"),
                credentials,
            },
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
}

impl Deref for SandboxProcess {
    type Target = SandboxSite;

    fn deref(&self) -> &SandboxSite {
        &self.site
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

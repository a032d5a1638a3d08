//! Running the real `wxgate` binary: as a server on a free port, or as a command that exits. Tests that need a
//! process of its own (its command line, its exit, its log, its listening sockets, its process-wide metrics
//! recorder, two of them on one database) use this; the others start wxgate in-process (`super::Wxgate`).

use std::net::TcpListener;
use std::ops::Deref;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::{environment, Served, TestDatabase};

const WXGATE: &str = env!("CARGO_BIN_EXE_wxgate");
/// A generous bound for a debug build to migrate and start listening on a busy 2-core machine.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A command for `wxgate` with a clean environment (see [`environment`]), run in the data folder so no `.env` from
/// the developer's checkout is read.
fn command(database: &TestDatabase, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(WXGATE);
    command
        .env_clear()
        .current_dir(database.data_dir())
        .envs(environment(database, env));
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

/// A running `wxgate serve` process, killed when dropped.
pub struct WxgateProcess {
    child: Child,
    served: Served,
    log_path: std::path::PathBuf,
}

impl WxgateProcess {
    /// Starts `wxgate serve` on a free port with the given extra environment, and waits until it answers.
    pub async fn start(database: &TestDatabase, env: &[(&str, &str)]) -> WxgateProcess {
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
        let mut server = WxgateProcess {
            child,
            served: Served {
                base_url: format!("http://127.0.0.1:{port}"),
            },
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

    /// The process id of this wxgate.
    /// Kills the process with SIGKILL, as a crash would end it, and waits for it to be gone.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the process has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

impl Deref for WxgateProcess {
    type Target = Served;

    fn deref(&self) -> &Served {
        &self.served
    }
}

impl Drop for WxgateProcess {
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

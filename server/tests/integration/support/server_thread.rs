//! A server inside the test's process, on a thread and a runtime of its own (as a process of its own would be, so a
//! test blocking its own thread, on a command it runs, say, never stalls the server), listening on 127.0.0.1, port 0.
//! Dropping it stops it: it stops accepting, lets open connections finish (for a moment at most), and its runtime
//! then ends every task it started, so nothing the server opened (the database among it) outlives it.

use std::future::Future;
use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

/// How long open connections may take to finish once a server is told to stop.
const GRACE: Duration = Duration::from_secs(5);

/// The signal to stop serving, for the server's graceful shutdown.
pub struct Stop(watch::Receiver<bool>);

impl Stop {
    /// Resolves once the server is to stop.
    pub async fn signalled(mut self) {
        // An error means the sender is gone: stopping too.
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// A running server thread; stopped and joined when dropped.
pub struct ServerThread {
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl ServerThread {
    /// Starts a thread whose runtime binds 127.0.0.1:0 and calls `start` with the listener and the stop signal.
    /// `start` prepares the server (an error fails the test with its message) and returns the serving future; once
    /// it has, the address is returned here.
    pub async fn start<S, P, F>(start: S) -> (ServerThread, SocketAddr)
    where
        S: FnOnce(TcpListener, Stop) -> P + Send + 'static,
        P: Future<Output = Result<F, String>>,
        F: Future<Output = ()>,
    {
        let (stop, stopping) = watch::channel(false);
        let (ready, readied) = oneshot::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
                let address = listener.local_addr().expect("the address");
                let serving = match start(listener, Stop(stopping.clone())).await {
                    Ok(serving) => serving,
                    Err(refusal) => {
                        let _ = ready.send(Err(refusal));
                        return;
                    }
                };
                let _ = ready.send(Ok(address));
                let out_of_time = async {
                    Stop(stopping).signalled().await;
                    tokio::time::sleep(GRACE).await;
                };
                tokio::select! {
                    () = serving => {},
                    () = out_of_time => {},
                }
            });
            runtime.shutdown_timeout(GRACE);
        });
        let address = match readied.await {
            Ok(Ok(address)) => address,
            Ok(Err(refusal)) => panic!("the server refused to start:\n{refusal}"),
            Err(_) => panic!("the server's thread ended before it was ready (see its panic above)"),
        };
        let server = ServerThread {
            stop,
            thread: Some(thread),
        };
        (server, address)
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

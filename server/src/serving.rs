//! Serving HTTP/1.1 connections with hyper, as `axum::serve` does, plus a limit on how long a client may take to
//! send a request's headers: `axum::serve` has no setting for it and gives hyper no timer, so hyper's own limit
//! never applies and a client sending its headers a byte at a time holds a connection for as long as it likes
//! (slowloris). hyper starts that clock whenever a connection waits for a request, so it also closes a keep-alive
//! connection left idle that long: a reverse proxy that keeps connections to wxgate open must let them go sooner
//! (nginx: `keepalive_timeout` in the `upstream` block below `WXGATE_HEADER_TIMEOUT_SECONDS`). On Ctrl-C or SIGTERM
//! it stops accepting and lets open connections finish their requests.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::{Service, ServiceExt};

/// Serves `app` on `listener` until `shutdown` resolves, then until the open connections are done.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let mut make_service = app.into_make_service_with_connect_info::<SocketAddr>();
    // Dropping `stop` tells every connection to finish; `done` is closed once every connection has.
    let (stop, stopping) = watch::channel(());
    let (done, finished) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let (socket, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    pause_after(&error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = match make_service.call(peer).await {
            Ok(service) => service,
            Err(never) => match never {},
        };
        let service = TowerToHyperService::new(
            service.map_request(|request: Request<Incoming>| request.map(Body::new)),
        );
        let mut stopping = stopping.clone();
        let finished = finished.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout);
            let connection = builder
                .serve_connection(TokioIo::new(socket), service)
                .with_upgrades();
            tokio::pin!(connection);
            let outcome = tokio::select! {
                outcome = connection.as_mut() => outcome,
                _ = stopping.changed() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = outcome {
                tracing::debug!(%error, %peer, "a connection ended with an error");
            }
            drop(finished);
        });
    }
    drop(listener);
    drop(stop);
    drop(finished);
    done.closed().await;
}

/// After a failed accept: a connection the client gave up on is nothing; anything else (out of file descriptors)
/// waits a second before trying again, as `axum::serve` does.
async fn pause_after(error: &io::Error) {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::warn!(%error, "could not accept a connection; trying again in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

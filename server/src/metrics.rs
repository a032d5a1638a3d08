//! `GET /metrics` in the Prometheus text format, on a listener of its own at `WXGATE_METRICS_ADDR` and never on
//! the public router: the recorder of the `metrics` facade (see `app::ssr::metrics` for the series and why this
//! crate) is installed only then, and each scrape first counts the open unpaid orders in the database.
//!
//! Format: <https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format>.

use std::time::Duration;

use app::ssr::context::AppContext;
use app::ssr::metrics;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

/// How often histograms are folded into what a scrape shows (the exporter's own default).
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);
/// The content type of the text format, version 0.0.4.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone)]
struct Scrape {
    handle: PrometheusHandle,
    context: AppContext,
}

/// Installs the process's recorder: from now on the `metrics` calls record. Latencies are true histograms with
/// [`wechat::metrics::LATENCY_BUCKETS`]. Fails only if a recorder is installed already.
pub fn install() -> Result<PrometheusHandle, BuildError> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(wechat::metrics::WECHAT_CALL_DURATION.to_owned()),
            wechat::metrics::LATENCY_BUCKETS,
        )?
        .install_recorder()?;
    metrics::describe();
    Ok(handle)
}

/// Serves `GET /metrics` on `listener` until the process ends; every other path is 404.
pub async fn serve(listener: TcpListener, handle: PrometheusHandle, context: AppContext) {
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(UPKEEP_INTERVAL);
        loop {
            interval.tick().await;
            upkeep.run_upkeep();
        }
    });
    let router = Router::new()
        .route("/metrics", get(scrape))
        .with_state(Scrape { handle, context });
    if let Err(error) = axum::serve(listener, router).await {
        tracing::error!(%error, "the metrics listener stopped");
    }
}

/// One scrape: the open unpaid orders counted now, then every series.
async fn scrape(State(scrape): State<Scrape>) -> impl IntoResponse {
    match scrape.context.db.count_unpaid_orders().await {
        Ok(count) => metrics::open_unpaid_orders(u64::try_from(count).unwrap_or_default()),
        Err(error) => {
            tracing::warn!(%error, "could not count the open unpaid orders for the metrics")
        }
    }
    (
        [(header::CONTENT_TYPE, TEXT_FORMAT)],
        scrape.handle.render(),
    )
}

//! `cargo bench -p server --bench throughput` (`make bench`): what a release `wxgate serve` spends on mini-program
//! payments and WeChat Pay webhook notifications, on SQLite and on PostgreSQL, against `wxgate sandbox` in a process
//! of its own: the rate end to end, wxgate's own CPU per operation (user + system of its process over the batch,
//! from `/proc`, which holds on a shared machine), the cost of its crypto for one operation measured alone, and the
//! notification's answer times at a fixed rate below saturation; then the browser bundle's size. See README.md,
//! "Benchmarks".

#[path = "throughput/bundle.rs"]
mod bundle;
#[path = "throughput/cpu.rs"]
mod cpu;
#[path = "throughput/measure.rs"]
mod measure;
#[path = "throughput/payments.rs"]
mod payments;
#[path = "throughput/webhook.rs"]
mod webhook;
#[path = "throughput/wechat_pay.rs"]
mod wechat_pay;
#[path = "throughput/wxgate.rs"]
mod wxgate;

use std::future::Future;
use std::time::Duration;

use measure::{Latency, Rate};
use wxgate::{PostgresDatabase, Sandbox, Wxgate};

/// Payments created, then notifications delivered (one per payment), per database.
const COUNT: usize = 3000;
/// Requests in flight at once, as several WeChat Pay servers or many buyers would send them.
const IN_FLIGHT: usize = 16;
/// The buyers taking turns to pay: fewer than the logins wxgate takes from one client in a minute.
const BUYERS: usize = 20;
/// Payments made and notified first, unmeasured, so connections, caches and the database are warm.
const WARM_UP: usize = 100;
/// Notifications sent at a fixed rate for their answer times: well below what wxgate takes on 2 cores.
const LATENCY_COUNT: usize = 1000;
const LATENCY_RATE: f64 = 200.0;

#[tokio::main]
async fn main() {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "wxgate: {COUNT} requests per measurement, {IN_FLIGHT} in flight, on {cores} cores shared by wxgate, its\n\
         sandbox (another process), the database and this client; wxgate's CPU is its own process's; crypto alone\n\
         on one core\n"
    );
    let sandbox = Sandbox::start(BUYERS).await;
    let sqlite = Wxgate::start(&sandbox, None).await;
    run(&sandbox, &sqlite, "SQLite").await;
    drop(sqlite);
    match PostgresDatabase::create().await {
        Ok(database) => {
            let postgres = Wxgate::start(&sandbox, Some(&database.url)).await;
            run(&sandbox, &postgres, "PostgreSQL").await;
        }
        Err(why) => println!("PostgreSQL skipped: {why}"),
    }
    println!("\n{}", bundle::report());
}

/// Warms up, creates `COUNT` payments, pays them at the sandbox, delivers their notifications, then sends more at a
/// fixed rate, and prints what each cost.
async fn run(sandbox: &Sandbox, server: &Wxgate, database: &str) {
    let credentials = &sandbox.credentials;
    let tokens = sandbox.sign_in_buyers(&server.api).await;
    let create = |count| payments::create(&server.api, &tokens, count, IN_FLIGHT);
    let notify =
        |out_trade_nos| webhook::prepare(&sandbox.api, credentials, out_trade_nos, IN_FLIGHT);

    let (warm_up, _) = create(WARM_UP).await;
    webhook::deliver(&server.api, notify(warm_up).await, IN_FLIGHT).await;

    let ((out_trade_nos, created), cpu) = cpu_of(server, create(COUNT)).await;
    let crypto = payments::crypto_alone(credentials);
    print_costs(
        &format!("payment creation ({database})"),
        "payments/s",
        &created,
        cpu,
        &crypto,
    );

    let (later, _) = create(LATENCY_COUNT).await;
    let notifications = notify(out_trade_nos).await;
    let crypto = webhook::crypto_alone(credentials, &notifications);
    let (delivered, cpu) = cpu_of(
        server,
        webhook::deliver(&server.api, notifications, IN_FLIGHT),
    )
    .await;
    print_costs(
        &format!("webhook ({database})"),
        "notifications/s",
        &delivered,
        cpu,
        &crypto,
    );
    let latency = webhook::deliver_at_rate(&server.api, notify(later).await, LATENCY_RATE).await;
    print_latency(&latency);
}

/// What `work` gives, and the CPU time wxgate's process spent meanwhile.
async fn cpu_of<T>(server: &Wxgate, work: impl Future<Output = T>) -> (T, Duration) {
    let before = cpu::used_by(server.pid());
    let output = work.await;
    (output, cpu::used_by(server.pid()) - before)
}

fn print_costs(what: &str, unit: &str, end_to_end: &Rate, cpu: Duration, crypto: &Rate) {
    let cpu_each = cpu.as_secs_f64() * 1e6 / end_to_end.operations() as f64;
    println!(
        "{what:<30} {:>6.0} {unit:<16} wxgate CPU {cpu_each:>6.0} µs each; its crypto alone {:>5.0} µs ({:.1}×)",
        end_to_end.per_second(),
        crypto.micros_each(),
        cpu_each / crypto.micros_each(),
    );
}

fn print_latency(latency: &Latency) {
    println!(
        "{:<30} {LATENCY_COUNT} at {LATENCY_RATE:.0}/s: p50 {:.2} ms, p99 {:.2} ms",
        "  answer times",
        latency.p50.as_secs_f64() * 1e3,
        latency.p99.as_secs_f64() * 1e3,
    );
}

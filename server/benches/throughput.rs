//! `cargo bench -p server --bench throughput` (`make bench`): how many mini-program payments and WeChat Pay webhook
//! notifications a release `wxgate serve` in sandbox mode handles per second, on SQLite and on PostgreSQL, each next
//! to the cost of wxgate's crypto for one of them measured alone in the same run. See README.md, "Benchmarks".

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

use measure::Rate;
use wxgate::{PostgresDatabase, Wxgate};

/// Payments created, then notifications delivered (one per payment), per database.
const COUNT: usize = 2000;
/// Requests in flight at once, as several WeChat Pay servers or many buyers would send them.
const IN_FLIGHT: usize = 16;

#[tokio::main]
async fn main() {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "wxgate throughput: {COUNT} requests per measurement, {IN_FLIGHT} in flight, on {cores} cores shared by\n\
         wxgate (its sandbox included), the database and this client; crypto alone on one core\n"
    );
    let sqlite = Wxgate::start(None).await;
    run(&sqlite, "SQLite").await;
    drop(sqlite);
    match PostgresDatabase::create().await {
        Ok(database) => {
            let postgres = Wxgate::start(Some(&database.url)).await;
            run(&postgres, "PostgreSQL").await;
        }
        Err(why) => println!("PostgreSQL skipped: {why}"),
    }
}

/// Creates `COUNT` payments, pays them at the sandbox, delivers their notifications, and prints both rates.
async fn run(server: &Wxgate, database: &str) {
    let credentials = server.credentials();
    let token = server.api.mini_program_login("xiaoming").await;

    let (out_trade_nos, created) = payments::create(&server.api, &token, COUNT, IN_FLIGHT).await;
    let crypto = payments::crypto_alone(&credentials);
    print_line(
        &format!("payment creation ({database})"),
        &created,
        "payments/s",
        &crypto,
    );

    let notifications = webhook::prepare(&server.api, &credentials, out_trade_nos, IN_FLIGHT).await;
    let crypto = webhook::crypto_alone(&credentials, &notifications);
    let delivered = webhook::deliver(&server.api, notifications, IN_FLIGHT).await;
    print_line(
        &format!("webhook ({database})"),
        &delivered,
        "notifications/s",
        &crypto,
    );
}

fn print_line(what: &str, end_to_end: &Rate, unit: &str, crypto: &Rate) {
    println!(
        "{what:<30} {:>6.0} {unit:<16} crypto alone: {:>6.0} /s ({:.0} µs each)",
        end_to_end.per_second(),
        crypto.per_second(),
        crypto.micros_each()
    );
}

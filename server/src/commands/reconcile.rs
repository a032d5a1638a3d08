//! `wxgate reconcile --date YYYY-MM-DD`: the day's trade bill against wxgate's orders and refunds, recorded for the
//! admin page like the daily job's; exits 1 on differences.

use std::path::Path;
use std::process::ExitCode;

use app::ssr::payments::reconcile::{check_and_record, failure_sentence};

use crate::startup;

pub async fn run(data_dir: &Path, listen: std::net::SocketAddr, date: &str) -> ExitCode {
    let context =
        match startup::prepared_context("reconcile", data_dir, listen, ExitCode::from(2)).await {
            Ok(context) => context,
            Err(code) => return code,
        };
    match check_and_record(&context, date).await {
        Ok(report) => {
            println!(
                "Trade bill of {date}: {} payments, {} refunds (SHA-1 checked).",
                report.payments_in_bill, report.refunds_in_bill
            );
            if report.differences.is_empty() {
                println!("Differences: none.");
                ExitCode::SUCCESS
            } else {
                println!("Differences: {}", report.differences.len());
                for difference in &report.differences {
                    println!("  - {difference}");
                }
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("wxgate reconcile: {}", failure_sentence(&error));
            ExitCode::from(2)
        }
    }
}

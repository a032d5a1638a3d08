//! `wxgate events list` and `wxgate events resend <id>`: the events for the product, with how their delivery
//! went, and one sent again (with its own `webhook-id`) by whichever wxgate process delivers next.

use std::path::Path;
use std::process::ExitCode;

use app::ssr::clock::china_rfc3339;
use app::ssr::db::EventRow;

use crate::cli::EventsCommand;
use crate::startup;

/// The most events `list` shows.
const MAX_LISTED: i64 = 1000;

pub async fn run(
    data_dir: &Path,
    listen: std::net::SocketAddr,
    command: &EventsCommand,
) -> ExitCode {
    let context =
        match startup::prepared_context("events", data_dir, listen, ExitCode::from(2)).await {
            Ok(context) => context,
            Err(code) => return code,
        };
    let db = &context.db;
    match command {
        EventsCommand::List { limit } => {
            match db.recent_events((*limit).clamp(1, MAX_LISTED)).await {
                Ok(events) => {
                    if context.settings.events.is_none() {
                        println!("WXGATE_EVENTS_URL is not set: events are kept, not sent.");
                    }
                    println!(
                        "{:<36}  {:<22}  {:<9}  {:>8}  {:<25}  last answer",
                        "id", "type", "state", "attempts", "created"
                    );
                    for event in &events {
                        println!("{}", line(event));
                    }
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("wxgate events: {error}");
                    ExitCode::from(2)
                }
            }
        }
        EventsCommand::Resend { id } => {
            match db.resend_event(id).await {
                Ok(true) => {
                    println!("{id} is due again now; a running wxgate delivers it with the same webhook-id.");
                    ExitCode::SUCCESS
                }
                Ok(false) => {
                    eprintln!("wxgate events: no event {id}, or it is being delivered right now");
                    ExitCode::FAILURE
                }
                Err(error) => {
                    eprintln!("wxgate events: {error}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

/// One event in a line: id, type, state, attempts, when it was made and its last answer.
fn line(event: &EventRow) -> String {
    let answer = match (event.last_status, event.last_error.as_deref()) {
        (Some(status), _) if (200..300).contains(&status) => status.to_string(),
        (Some(status), Some(error)) => format!("{status} {}", error.replace('\n', " ")),
        (Some(status), None) => status.to_string(),
        (None, Some(error)) => error.to_owned(),
        (None, None) => "-".to_owned(),
    };
    format!(
        "{:<36}  {:<22}  {:<9}  {:>8}  {:<25}  {answer}",
        event.id,
        event.kind,
        event.state.as_str(),
        event.attempts,
        china_rfc3339(event.created_at),
    )
}

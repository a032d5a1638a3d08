//! `wxgate keys create|list|revoke`: the API keys the product's backend calls `/api/v1/` with.

use std::path::Path;
use std::process::ExitCode;

use app::ssr::clock::{china_rfc3339, now};
use app::ssr::product_api::keys;

use crate::cli::KeysCommand;
use crate::startup;

pub async fn run(data_dir: &Path, listen: std::net::SocketAddr, command: &KeysCommand) -> ExitCode {
    let context = match startup::prepared_context("keys", data_dir, listen, ExitCode::from(2)).await
    {
        Ok(context) => context,
        Err(code) => return code,
    };
    let failed = |error: &dyn std::fmt::Display| {
        eprintln!("wxgate keys: {error}");
        ExitCode::from(2)
    };
    match command {
        KeysCommand::Create { name, scopes } => match keys::create(&context.db, name, scopes).await
        {
            Ok(made) => {
                println!("id: {}", made.row.id);
                println!("scopes: {}", made.row.scopes);
                println!("key: {}", made.key);
                println!(
                    "The key is shown this once; wxgate keeps only its digest. Send it as `Authorization: Bearer <key>`."
                );
                ExitCode::SUCCESS
            }
            Err(why) => {
                eprintln!("wxgate keys: {why}");
                ExitCode::FAILURE
            }
        },
        KeysCommand::List => match context.db.api_keys().await {
            Ok(all) => {
                println!(
                    "{:<36}  {:<8}  {:<25}  {:<25}  {:<40}  name",
                    "id", "state", "created", "last used", "scopes"
                );
                for key in &all {
                    println!(
                        "{:<36}  {:<8}  {:<25}  {:<25}  {:<40}  {}",
                        key.id,
                        if key.revoked_at.is_some() {
                            "revoked"
                        } else {
                            "live"
                        },
                        china_rfc3339(key.created_at),
                        key.last_used_at
                            .map(china_rfc3339)
                            .unwrap_or_else(|| "never".to_owned()),
                        key.scopes,
                        key.name
                    );
                }
                ExitCode::SUCCESS
            }
            Err(error) => failed(&error),
        },
        KeysCommand::Revoke { id } => match context.db.revoke_api_key(id, now()).await {
            Ok(true) => {
                println!("{id} is revoked; requests with it are refused from now on.");
                ExitCode::SUCCESS
            }
            Ok(false) => {
                eprintln!("wxgate keys: no live key {id}");
                ExitCode::FAILURE
            }
            Err(error) => failed(&error),
        },
    }
}

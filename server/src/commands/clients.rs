//! `wxgate clients add|list|remove`: the OpenID Connect clients registered in the database (those of
//! `WXGATE_OIDC_CLIENTS` are listed too, and changed in the configuration).

use std::path::Path;
use std::process::ExitCode;

use app::ssr::clock::now;
use app::ssr::db::openid::OidcClientRow;
use app::ssr::digest::sha256_hex;
use app::ssr::oidc::{self, clients};

use crate::cli::ClientsCommand;
use crate::startup;

pub async fn run(
    data_dir: &Path,
    listen: std::net::SocketAddr,
    command: &ClientsCommand,
) -> ExitCode {
    let context =
        match startup::prepared_context("clients", data_dir, listen, ExitCode::from(2)).await {
            Ok(context) => context,
            Err(code) => return code,
        };
    let failed = |error: &dyn std::fmt::Display| {
        eprintln!("wxgate clients: {error}");
        ExitCode::from(2)
    };
    match command {
        ClientsCommand::Add {
            id,
            name,
            redirect_uris,
            post_logout_redirect_uris,
            public,
        } => {
            let checked = clients::check_id(id)
                .and_then(|()| clients::check_uris(redirect_uris, "--redirect-uri", true))
                .and_then(|()| {
                    clients::check_uris(
                        post_logout_redirect_uris,
                        "--post-logout-redirect-uri",
                        false,
                    )
                });
            if let Err(why) = checked {
                eprintln!("wxgate clients: {why}");
                return ExitCode::FAILURE;
            }
            if context
                .settings
                .oidc_clients
                .iter()
                .any(|client| &client.id == id)
            {
                eprintln!("wxgate clients: {id} is configured in WXGATE_OIDC_CLIENTS already");
                return ExitCode::FAILURE;
            }
            let secret = (!public).then(oidc::new_secret);
            let row = OidcClientRow {
                client_id: id.clone(),
                name: name.clone().unwrap_or_else(|| id.clone()),
                secret_digest: secret.as_deref().map(sha256_hex),
                redirect_uris: redirect_uris.clone(),
                post_logout_redirect_uris: post_logout_redirect_uris.clone(),
                created_at: now(),
            };
            match context.db.add_oidc_client(&row).await {
                Ok(true) => {
                    println!("client_id: {id}");
                    match secret {
                        Some(secret) => {
                            println!("client_secret: {secret}");
                            println!(
                                "The secret is shown this once; wxgate keeps only its digest."
                            );
                        }
                        None => println!("A public client: no secret; it must use PKCE (S256)."),
                    }
                    println!(
                        "Issuer: {} (discovery at {}{})",
                        oidc::issuer(&context.settings.app_url),
                        oidc::issuer(&context.settings.app_url),
                        oidc::DISCOVERY_PATH
                    );
                    ExitCode::SUCCESS
                }
                Ok(false) => {
                    eprintln!("wxgate clients: a client {id} is registered already");
                    ExitCode::FAILURE
                }
                Err(error) => failed(&error),
            }
        }
        ClientsCommand::List => match clients::all(&context).await {
            Ok(all) => {
                println!(
                    "{:<24}  {:<12}  {:<13}  redirect URIs",
                    "client_id", "kind", "from"
                );
                for client in &all {
                    println!(
                        "{:<24}  {:<12}  {:<13}  {}",
                        client.id,
                        if client.is_public() {
                            "public"
                        } else {
                            "confidential"
                        },
                        if client.configured {
                            "configuration"
                        } else {
                            "registered"
                        },
                        client.redirect_uris.join(" ")
                    );
                }
                ExitCode::SUCCESS
            }
            Err(error) => failed(&error),
        },
        ClientsCommand::Remove { id } => {
            if context
                .settings
                .oidc_clients
                .iter()
                .any(|client| &client.id == id)
            {
                eprintln!("wxgate clients: {id} comes from WXGATE_OIDC_CLIENTS; remove it there");
                return ExitCode::FAILURE;
            }
            match context.db.remove_oidc_client(id).await {
                Ok(true) => {
                    println!("{id} is removed; its tokens no longer work.");
                    ExitCode::SUCCESS
                }
                Ok(false) => {
                    eprintln!("wxgate clients: no registered client {id}");
                    ExitCode::FAILURE
                }
                Err(error) => failed(&error),
            }
        }
    }
}

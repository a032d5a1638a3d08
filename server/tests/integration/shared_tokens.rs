//! Processes that share a database fetch the server access token and the jsapi_ticket once between them: the one
//! that takes the lease fetches, the others use what it shares. With `cgi-bin/token` that is what keeps them from
//! invalidating each other's tokens.

use std::sync::Arc;

use app::ssr::shared_tokens::DatabaseTokenStore;
use secrecy::{ExposeSecret, SecretString};
use url::Url;
use wechat::api::ApiClient;
use wechat::ids::AppId;
use wechat::token::{ServerToken, Shared, TokenEndpoint};
use wechat::AppCredentials;

use crate::support::{on_both_backends, Sandbox, TestDatabase};

on_both_backends! {
    processes_sharing_a_database_fetch_tokens_once => processes_sharing_a_database_fetch_tokens_once;
}

async fn processes_sharing_a_database_fetch_tokens_once(database: TestDatabase) {
    let sandbox = Sandbox::start().await;
    let app = AppCredentials {
        appid: AppId::parse(&sandbox.credential("oa_appid")).expect("appid"),
        secret: SecretString::from(sandbox.credential("oa_secret")),
    };
    let store = Arc::new(DatabaseTokenStore::new(database.connect().await));
    let process = |holder: &str| {
        ServerToken::new(
            ApiClient::new(Url::parse(&sandbox.base_url).expect("url")).expect("client"),
            app.clone(),
            TokenEndpoint::Classic,
            Some(Shared {
                store: store.clone(),
                holder: holder.to_owned(),
            }),
        )
    };
    let (first, second, third) = (process("first"), process("second"), process("third"));

    let (a, b, c) = tokio::join!(
        first.access_token(),
        second.access_token(),
        third.access_token()
    );
    let tokens: Vec<String> = [a, b, c]
        .into_iter()
        .map(|token| token.expect("token").expose_secret().to_owned())
        .collect();
    assert_eq!(tokens[0], tokens[1], "one fetch, shared");
    assert_eq!(tokens[1], tokens[2], "one fetch, shared");

    let (x, y) = tokio::join!(first.jsapi_ticket(), second.jsapi_ticket());
    assert_eq!(
        x.expect("ticket").expose_secret(),
        y.expect("ticket").expose_secret(),
        "the ticket is shared too"
    );

    // A process started later finds the shared token instead of fetching (which would replace it).
    let later = process("later");
    assert_eq!(
        later.access_token().await.expect("token").expose_secret(),
        tokens[0]
    );
}

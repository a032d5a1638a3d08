//! The JSON API's contract: an OpenAPI 3.1 document made from the routes themselves (each handler's
//! `#[utoipa::path]`, collected by `utoipa-axum` as the router is built, so a route cannot be served undocumented)
//! and from the Rust types of its bodies and answers. Served at `GET /api/openapi.json`, printed by
//! `wxgate openapi`; the mini-program kit's TypeScript types are generated from it.
//!
//! Spec: OpenAPI 3.1.0 <https://spec.openapis.org/oas/v3.1.0>, whose schemas are JSON Schema 2020-12.

pub mod answers;
pub mod refusals;
pub mod requests;

use std::sync::Arc;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as Document;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::router::SESSION_COOKIE;
use crate::routes;
use crate::state::ServerState;

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/api/openapi.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "wxgate",
        description = "WeChat login and WeChat Pay for a product: the JSON API a mini program, an app or a product's \
                       backend calls. Money is integer fen. Errors are `{\"error\": {\"code\", \"message\"}}`.",
    ),
    tags(
        (name = "login", description = "Mini-program login, the phone number, browser OAuth and the start/poll login"),
        (name = "account", description = "The signed-in user"),
        (name = "payments", description = "The catalogue, payments, orders and refunds"),
        (name = "webhooks", description = "What WeChat Pay and WeChat's message push call"),
        (name = "operations", description = "Probes for the platform wxgate runs on"),
        (name = "product", description = "The product's backend, server to server, with an API key (`wxgate keys create`)"),
        (name = "openid-connect", description = "Sign in with WeChat over OpenID Connect: wxgate as the provider (clients find it by discovery)"),
    ),
    components(schemas(refusals::ErrorAnswer)),
    modifiers(&SessionSchemes),
)]
struct ApiDoc;

/// The two ways a request carries its session: the login's `session_token` as a bearer token (mini programs and
/// apps), or the session cookie (browsers, and Taro with `enableCookie`); and the product's backend's API key.
struct SessionSchemes;

impl Modify for SessionSchemes {
    fn modify(&self, document: &mut Document) {
        let components = document.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("wxk_…")
                    .description(Some(
                        "An API key of the product's backend, made by `wxgate keys create` with scopes",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "client_secret_basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "An OpenID Connect client's id and secret (`wxgate clients add`), RFC 6749 §2.3.1",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "oidc_access_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An access token from the OpenID Connect token endpoint",
                    ))
                    .build(),
            ),
        );
    }
}

/// The documented routes, with their document.
pub fn api() -> (Router<ServerState>, Document) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::health::router())
        .merge(routes::auth::router())
        .merge(routes::payments::router())
        .merge(routes::profile::router())
        .merge(routes::push::router())
        .merge(routes::product_api::router())
        .merge(routes::oidc::router())
        .split_for_parts()
}

/// The document alone, as `GET /api/openapi.json` serves it.
pub fn document() -> Document {
    api().1
}

/// `GET /api/openapi.json`, with the document rendered once.
pub fn document_route(document: &Document) -> Router<ServerState> {
    // Serializing a document of strings and maps cannot fail; an empty answer would show it did.
    let rendered: Arc<str> = document.to_pretty_json().unwrap_or_default().into();
    Router::new().route(
        DOCUMENT_PATH,
        get(move || {
            let rendered = rendered.clone();
            async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    rendered.to_string(),
                )
                    .into_response()
            }
        }),
    )
}

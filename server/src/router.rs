//! The Axum router: Leptos pages and server functions, the plain HTTP routes, sessions and request logs, all inside
//! the HTTP hardening layers.

use app::ssr::context::AppContext;
use app::ssr::db::DbSessionStore;
use std::sync::Arc;

use app::App;
use axum::Router;
use leptos::prelude::{provide_context, IntoView, LeptosOptions};
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::bundle::{self, Bundle};
use crate::contract;
use crate::hardening::{self, Hardening, Timeouts};
use crate::routes;
use crate::startup;
use crate::state::ServerState;
use sandbox::Sandbox;

/// The name of wxgate's session cookie.
pub const SESSION_COOKIE: &str = "wxgate_session";

/// The whole app; with a sandbox, it is mounted under `/sandbox` and every page carries the sandbox banner.
pub fn build(
    context: AppContext,
    leptos_options: LeptosOptions,
    bundle: Bundle,
    sandbox: Option<Arc<Sandbox>>,
    timeouts: Timeouts,
) -> Router {
    let hardening = Hardening::new(&context.settings, sandbox.is_none(), timeouts);
    let app = match sandbox {
        Some(sandbox) => {
            let mounted =
                sandbox::mounted_router(sandbox).layer(axum::middleware::from_fn_with_state(
                    context.clone(),
                    routes::client::tell_sandbox_the_browser,
                ));
            assemble(
                context,
                leptos_options,
                app::sandbox_shell as fn(LeptosOptions) -> _,
            )
            .nest(startup::SANDBOX_PATH, mounted)
        }
        None => assemble(
            context,
            leptos_options,
            app::shell as fn(LeptosOptions) -> _,
        ),
    };
    hardening.apply(app.layer(axum::middleware::from_fn_with_state(
        bundle,
        bundle::cache_content_named,
    )))
}

fn assemble<IV>(
    context: AppContext,
    leptos_options: LeptosOptions,
    shell: fn(LeptosOptions) -> IV,
) -> Router
where
    IV: IntoView + 'static,
{
    let sessions = SessionManagerLayer::new(DbSessionStore::new(context.db.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(context.settings.secure_cookies())
        .with_expiry(Expiry::OnInactivity(context.settings.session_ttl));
    let session_ttl = context.settings.session_ttl;
    let page_routes = generate_route_list(App);
    let state = ServerState {
        leptos_options: leptos_options.clone(),
        app: context.clone(),
    };
    let (api, document) = contract::api();
    Router::new()
        .merge(api)
        .merge(contract::document_route(&document))
        .merge(routes::lang::router())
        .merge(routes::hosted_checkout::router())
        .leptos_routes_with_context(
            &state,
            page_routes,
            move || {
                provide_context(context.clone());
                hardening::provide_page_nonce();
            },
            move || shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            ServerState,
            _,
        >(hardening::provide_page_nonce, shell))
        // Inside the session layer, so it settles each session before the layer decides whether to save it.
        .layer(axum::middleware::from_fn_with_state(
            session_ttl,
            routes::session_lifetime::settle_session,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn(
            routes::stale_session::keep_newer_session_cookie,
        ))
        .layer(axum::middleware::from_fn(
            routes::bearer::bearer_as_session_cookie,
        ))
        .layer(axum::middleware::from_fn(
            routes::body_limit::bounded_server_fn_body,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// The span of one request: its method and path, never its query, which carries OAuth codes and states, the
/// sandbox's login codes and bill tokens (tower-http's default span writes the whole URI).
fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    tracing::debug_span!(
        "request",
        method = %request.method(),
        path = request.uri().path(),
    )
}

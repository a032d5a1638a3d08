//! `GET /api/lang?set=zh|en&next=/path`: the language switch; the choice lives in a cookie for a year.

use app::lang::{Lang, COOKIE};
use app::ssr::context::AppContext;
use app::ssr::redirect::same_origin_path;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use crate::state::ServerState;

/// A year, in seconds.
const COOKIE_MAX_AGE: u32 = 365 * 24 * 60 * 60;

pub fn router() -> Router<ServerState> {
    Router::new().route("/api/lang", get(switch))
}

#[derive(Deserialize)]
struct SwitchQuery {
    set: String,
    #[serde(default)]
    next: Option<String>,
}

async fn switch(State(context): State<AppContext>, Query(query): Query<SwitchQuery>) -> Response {
    let lang = Lang::from_code(&query.set);
    let code = match lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    };
    let cookie = format!("{COOKIE}={code}; Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax");
    (
        [(SET_COOKIE, cookie)],
        Redirect::to(&same_origin_path(
            &context.settings.app_url,
            query.next.as_deref(),
        )),
    )
        .into_response()
}

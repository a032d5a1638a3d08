//! The bodies and queries the JSON API takes, as the contract documents them.

use app::types::money::Fen;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// A code from the mini program: `wx.login`'s, or the phone-number button's.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeBody {
    /// At most 128 bytes.
    pub code: String,
}

/// Legacy open data from the mini program (`encryptedData` and `iv`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct EncryptedDataBody {
    pub encrypted_data: String,
    pub iv: String,
}

/// Where a browser login goes, and how.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StartQuery {
    /// `wechat_oa` (the default, inside the WeChat browser) or `wechat_web` (the desktop QR).
    #[serde(default)]
    pub provider: Option<String>,
    /// `base` (the default: the openid, silently) or `userinfo` (nickname and avatar, with the user's consent).
    #[serde(default)]
    pub scope: Option<String>,
    /// The path on this site to return to.
    #[serde(default)]
    pub next: Option<String>,
}

/// What WeChat's redirect brings back.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// Absent when the user declined.
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
}

/// A website QR login for a client that cannot follow redirects.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PollStartBody {
    /// `wechat_web`.
    pub provider: String,
    #[serde(default)]
    pub next: Option<String>,
}

/// Which login a poll asks about.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PollQuery {
    /// The `state` the start answered.
    pub state: String,
}

/// The profile fields a user sets.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ProfileBody {
    /// 1 to 32 characters, from `<input type="nickname">`.
    pub nickname: String,
}

/// An avatar upload, as `wx.uploadFile({name: "avatar", filePath})` sends it.
#[derive(ToSchema)]
pub struct AvatarUpload {
    /// The image: JPEG, PNG or WebP, at most 1 MiB and 4096 pixels a side, checked by its content.
    #[schema(value_type = String, format = Binary)]
    pub avatar: Vec<u8>,
}

/// What to pay: a new order of a product, or an order made before.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreatePaymentBody {
    #[serde(default)]
    pub product_id: Option<String>,
    /// 1 to 99; 1 when left out.
    #[serde(default)]
    pub quantity: Option<i64>,
    /// Pay an order made before instead of a new one.
    #[serde(default)]
    pub order_id: Option<String>,
    /// Pay a checkout the product's backend made (`POST /api/v1/checkouts`): it becomes this buyer's order.
    #[serde(default)]
    pub checkout_id: Option<String>,
}

/// A refund of part or all of an order, by an admin.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefundBody {
    pub refund_fen: Fen,
    /// At most 80 characters; WeChat Pay shows it to the buyer.
    #[serde(default)]
    pub reason: Option<String>,
    /// Names this request: sending the same request_id again is the same refund.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// A token request (RFC 6749 §4.1.3 and §6), as a form; the client authenticates with HTTP Basic
/// (`client_secret_basic`) or with `client_id` and `client_secret` here (`client_secret_post`), or is a public
/// client that sends only its `client_id` and the PKCE `code_verifier`.
#[derive(ToSchema)]
pub struct TokenForm {
    /// `authorization_code` or `refresh_token`.
    pub grant_type: String,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    /// RFC 7636: the verifier of the authorization request's S256 `code_challenge`.
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// An authorization request (OpenID Connect Core §3.1.2.1), in the query of a GET or the form of a POST.
#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuthorizeRequest {
    pub client_id: String,
    /// Exactly one the client registered.
    pub redirect_uri: String,
    /// `code`.
    pub response_type: String,
    /// `openid`, and any of `profile`, `phone`, `wechat`.
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// RFC 7636: required of public clients.
    pub code_challenge: Option<String>,
    /// `S256`.
    pub code_challenge_method: Option<String>,
    /// `none`, `login` or `consent`.
    pub prompt: Option<String>,
    /// Seconds since the person signed in, at most.
    pub max_age: Option<i64>,
}

/// A logout request (OpenID Connect RP-Initiated Logout 1.0 §2), in the query of a GET or the form of a POST.
#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogoutRequest {
    pub id_token_hint: Option<String>,
    pub client_id: Option<String>,
    /// One the client registered.
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    /// `yes` from wxgate's own confirmation page.
    pub confirm: Option<String>,
}

/// A userinfo request's form: the access token in the body (RFC 6750 §2.2) instead of the header.
#[derive(ToSchema)]
pub struct UserinfoForm {
    pub access_token: Option<String>,
}

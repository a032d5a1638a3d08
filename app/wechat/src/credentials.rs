//! An application's credentials: the appid WeChat issued with its AppSecret.

use secrecy::SecretString;

use crate::ids::AppId;

/// An appid with its AppSecret (a mini program, an official account or a website app). The secret is redacted in
/// `Debug` and leaves this crate only in the query of a call to WeChat.
#[derive(Debug, Clone)]
pub struct AppCredentials {
    pub appid: AppId,
    pub secret: SecretString,
}

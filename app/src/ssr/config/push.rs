//! The message push's settings per app (消息推送 in each app's console): the Token, and for safe mode the
//! EncodingAESKey. `WECHAT_PUSH_TOKEN` / `WECHAT_PUSH_AES_KEY` serve both apps; `WECHAT_MP_PUSH_…` and
//! `WECHAT_OA_PUSH_…` name one app's where the two differ (the first set wins, as with the apps' credentials).

use secrecy::SecretString;

use super::{Problems, Vars};
use wechat::push::PushKey;

/// The variables of one app's Token and EncodingAESKey, the app's own first.
pub(super) struct PushVars {
    pub token: [&'static str; 2],
    pub aes_key: [&'static str; 2],
}

pub(super) const MINI_PROGRAM_PUSH: PushVars = PushVars {
    token: ["WECHAT_MP_PUSH_TOKEN", "WECHAT_PUSH_TOKEN"],
    aes_key: ["WECHAT_MP_PUSH_AES_KEY", "WECHAT_PUSH_AES_KEY"],
};

pub(super) const OFFICIAL_ACCOUNT_PUSH: PushVars = PushVars {
    token: ["WECHAT_OA_PUSH_TOKEN", "WECHAT_PUSH_TOKEN"],
    aes_key: ["WECHAT_OA_PUSH_AES_KEY", "WECHAT_PUSH_AES_KEY"],
};

/// One app's message-push settings.
#[derive(Debug, Clone)]
pub struct PushSettings {
    /// The Token the console was given: it signs every push.
    pub token: SecretString,
    /// The EncodingAESKey's key, for safe mode (and compatible mode's encrypted copy); none for plain mode only.
    pub key: Option<PushKey>,
}

impl PushSettings {
    /// The settings `vars` give, if any; a key without a token, a token WeChat's console would not take or a key that
    /// is not 43 characters of base64 is a problem.
    pub(super) fn read(
        vars: &Vars,
        problems: &mut Problems,
        names: &PushVars,
    ) -> Option<PushSettings> {
        let first = |candidates: &[&'static str; 2]| {
            candidates
                .iter()
                .find_map(|name| vars.get(name).map(|value| (*name, value)))
        };
        let token = first(&names.token);
        let aes_key = first(&names.aes_key);
        let Some((token_var, token)) = token else {
            if let Some((key_var, _)) = aes_key {
                problems.push(key_var, format!("needs {} too", names.token[1]));
            }
            return None;
        };
        // The console takes 3 to 32 letters and digits.
        let token_ok = (3..=32).contains(&token.len())
            && token.bytes().all(|byte| byte.is_ascii_alphanumeric());
        if !token_ok {
            problems.push(
                token_var,
                "must be 3 to 32 letters and digits, as the app's console takes it",
            );
            return None;
        }
        let key = match aes_key {
            None => None,
            Some((key_var, value)) => match PushKey::new(value) {
                Ok(key) => Some(key),
                Err(why) => {
                    problems.push(key_var, why.to_string());
                    return None;
                }
            },
        };
        Some(PushSettings {
            token: SecretString::from(token.to_owned()),
            key,
        })
    }
}

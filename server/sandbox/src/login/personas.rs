//! Sandbox WeChat users: a few ready-made ones and any number added through the control API. Each has one unionid
//! (all the sandbox's apps belong to one Open Platform account) and a different openid in every app.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A WeChat user the sandbox can log in as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Persona {
    /// A short handle used by the control API and the pages, e.g. `xiaoming`.
    pub id: String,
    pub nickname: String,
    pub avatar_url: String,
    pub phone_number: String,
    /// Opens pages from a Moments snapshot: WeChat gives a virtual openid with `is_snapshotuser: 1`.
    #[serde(default)]
    pub snapshot: bool,
}

impl Persona {
    fn new(id: &str, nickname: &str, color: &str, phone_number: &str) -> Persona {
        Persona {
            id: id.to_owned(),
            nickname: nickname.to_owned(),
            avatar_url: avatar(color, nickname),
            phone_number: phone_number.to_owned(),
            snapshot: false,
        }
    }

    /// The ready-made users; the first is who you are until you pick another.
    pub fn ready_made() -> Vec<Persona> {
        vec![
            Persona::new("xiaoming", "小明", "#07c160", "13800138000"),
            Persona::new("xiaohong", "小红", "#fa5151", "13900139000"),
            Persona::ready_made_admin(),
        ]
    }

    /// The ready-made user who is the shop's admin when wxgate runs on the sandbox: 老王.
    pub fn ready_made_admin() -> Persona {
        Persona::new("laowang", "老王", "#10aeff", "13700137000")
    }

    /// A user added through the control API.
    pub fn added(id: &str, nickname: &str, phone_number: Option<&str>, snapshot: bool) -> Persona {
        let phone = phone_number
            .map(str::to_owned)
            .unwrap_or_else(|| format!("1360000{:04}", id.len() * 97 % 10_000));
        Persona {
            snapshot,
            ..Persona::new(id, nickname, "#576b95", &phone)
        }
    }

    /// This user's openid in `appid`: stable, and different in every app.
    pub fn openid(&self, appid: &str) -> String {
        format!("o{}", &digest(&format!("openid|{appid}|{}", self.id))[..27])
    }

    /// This user's unionid, the same in every app of the sandbox's Open Platform account.
    pub fn unionid(&self) -> String {
        format!("o{}", &digest(&format!("unionid|{}", self.id))[..27])
    }
}

fn digest(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(text.as_bytes()))
}

/// A data-URL avatar: the first character of the nickname on a coloured square.
fn avatar(color: &str, nickname: &str) -> String {
    let initial: String = nickname.chars().take(1).collect();
    let svg = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 64 64'><rect width='64' height='64' rx='8' fill='{color}'/>\
         <text x='32' y='42' font-size='28' text-anchor='middle' fill='white'>{initial}</text></svg>"
    );
    format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openids_differ_per_app_and_unionid_is_shared() {
        let persona = &Persona::ready_made()[0];
        let other = &Persona::ready_made()[1];
        assert_ne!(
            persona.openid("wxaaaaaaaaaaaaaaaa"),
            persona.openid("wxbbbbbbbbbbbbbbbb")
        );
        assert_eq!(
            persona.openid("wxaaaaaaaaaaaaaaaa"),
            persona.openid("wxaaaaaaaaaaaaaaaa")
        );
        assert_ne!(persona.unionid(), other.unionid());
        assert_eq!(persona.openid("wxaaaaaaaaaaaaaaaa").len(), 28);
    }
}

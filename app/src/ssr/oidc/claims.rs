//! What a client learns of a person, by scope (OpenID Connect Core §5.4): `profile` gives `name`, `nickname` and
//! `picture`; `phone` gives `phone_number` (verified by WeChat); wxgate's own `wechat` scope gives `unionid` and
//! the person's `openids` (one per WeChat app, with the app and the way they signed in). The same claims are in
//! the ID token and at the userinfo endpoint.

use serde_json::{json, Map, Value};

use super::{has_scope, OidcError};
use crate::ssr::context::AppContext;
use crate::ssr::db::openid::GrantRow;

/// The person's claims for `grant`'s scope, `sub` included; `None` when the person no longer exists.
pub async fn of_grant(
    context: &AppContext,
    grant: &GrantRow,
) -> Result<Option<Map<String, Value>>, OidcError> {
    let Some(user) = context.db.user(&grant.user_id).await? else {
        return Ok(None);
    };
    let mut claims = Map::new();
    claims.insert("sub".to_owned(), json!(grant.sub));
    if has_scope(&grant.scope, "profile") {
        if let Some(nickname) = &user.nickname {
            claims.insert("name".to_owned(), json!(nickname));
            claims.insert("nickname".to_owned(), json!(nickname));
        }
        if let Some(picture) = user
            .avatar_url
            .as_deref()
            .and_then(|avatar| context.settings.app_url.join(avatar).ok())
        {
            claims.insert("picture".to_owned(), json!(picture.as_str()));
        }
    }
    if has_scope(&grant.scope, "phone") {
        if let Some(phone) = &user.phone {
            claims.insert("phone_number".to_owned(), json!(phone));
            claims.insert("phone_number_verified".to_owned(), json!(true));
        }
    }
    if has_scope(&grant.scope, "wechat") {
        // An app whose authorisation the person withdrew is no longer named to clients.
        let identities: Vec<_> = context
            .db
            .identities(&user.id)
            .await?
            .into_iter()
            .filter(|identity| identity.revoked_at.is_none())
            .collect();
        if let Some(unionid) = identities
            .iter()
            .find_map(|identity| identity.unionid.as_deref())
        {
            claims.insert("unionid".to_owned(), json!(unionid));
        }
        let openids: Vec<Value> = identities
            .iter()
            .map(|identity| {
                json!({
                    "appid": identity.appid,
                    "openid": identity.openid,
                    "provider": identity.provider,
                })
            })
            .collect();
        claims.insert("openids".to_owned(), Value::Array(openids));
    }
    Ok(Some(claims))
}

//! Applies stored pushes: each message is read into an [`Effect`] (what it changes) and applied exactly once.
//!
//! - Official account `subscribe` / `unsubscribe` / `SCAN`: who follows, and the QR scene (`EventKey`, its
//!   `qrscene_` prefix dropped) that brought them, recorded on the person's openid.
//! - Mini program trade management (发货信息管理): `trade_manage_order_settlement` sets the shipment's receipt
//!   confirmation and settlement times (a first confirmation is reported as `shipping.confirmed`);
//!   `trade_manage_remind_shipping` notes WeChat's reminder on the shipment; `trade_manage_remind_access_api` is kept.
//! - 授权用户信息变更 (<https://developers.weixin.qq.com/miniprogram/dev/server/event_push/platform/authorized_user_information_changes>):
//!   the platform asks developers to delete what a person withdrew. wxgate erases the nickname and avatar when those
//!   are withdrawn (mini program 6, 19, 20; official account 205) or cleaned by the platform (`user_info_modified`),
//!   the phone number when it is withdrawn (8), and all of them with the mini-program session key when everything
//!   is withdrawn (301) or the person closed their WeChat account (`user_authorization_cancellation`). Other items
//!   (address, invoice, location, …) are not stored by wxgate; each revocation is still reported (`user.revoked`)
//!   so the product erases its own copies. Orders are kept: they are the merchant's accounting records.
//! - Anything else is kept with its outcome, never an error.

use std::collections::BTreeMap;

use crate::ssr::context::AppContext;
use crate::ssr::db::push::{Effect, Erase, PushRow};
use crate::ssr::db::DbError;

/// Messages applied per round.
const BATCH: i64 = 50;

/// Applies every stored message not applied yet; how many this call applied.
pub async fn run_unapplied(context: &AppContext) -> Result<usize, DbError> {
    let mut applied = 0;
    loop {
        let pending = context.db.unapplied_pushes(BATCH).await?;
        if pending.is_empty() {
            return Ok(applied);
        }
        for push in &pending {
            let effect = effect_of(push);
            if let Some(outcome) = context
                .db
                .apply_push(&push.appid, &push.repeat_key, &effect)
                .await?
            {
                applied += 1;
                tracing::debug!(appid = %push.appid, event = push.event.as_deref().unwrap_or(&push.msg_type), outcome, "push applied");
            }
        }
    }
}

/// What a stored message changes.
pub fn effect_of(push: &PushRow) -> Effect {
    let fields: BTreeMap<String, String> = serde_json::from_str(&push.fields).unwrap_or_default();
    let field = |name: &str| fields.get(name).filter(|value| !value.is_empty()).cloned();
    let time = |name: &str| {
        field(name)
            .and_then(|value| value.parse::<i64>().ok())
            .filter(|at| *at > 0)
    };
    let at = time("CreateTime").unwrap_or(push.received_at);
    let scene = || {
        field("EventKey").map(|key| {
            key.strip_prefix("qrscene_")
                .map(str::to_owned)
                .unwrap_or(key)
        })
    };
    if push.msg_type != "event" {
        return Effect::Keep("message kept");
    }
    match push.event.as_deref().unwrap_or_default() {
        "subscribe" => Effect::Follow {
            openid: push.from_openid.clone(),
            following: true,
            scene: scene(),
            at,
        },
        "unsubscribe" => Effect::Follow {
            openid: push.from_openid.clone(),
            following: false,
            scene: None,
            at,
        },
        "SCAN" => Effect::Scan {
            openid: push.from_openid.clone(),
            scene: scene(),
            at,
        },
        "trade_manage_order_settlement" => Effect::Settlement {
            transaction_id: field("transaction_id"),
            out_trade_no: field("merchant_trade_no"),
            confirmed_at: time("confirm_receive_time"),
            settled_at: time("settlement_time"),
            confirm_receive_method: time("confirm_receive_method"),
        },
        "trade_manage_remind_shipping" => Effect::ShippingReminder {
            transaction_id: field("transaction_id"),
            out_trade_no: field("merchant_trade_no"),
        },
        "trade_manage_remind_access_api" => Effect::Keep("access reminder kept"),
        event @ ("user_authorization_revoke"
        | "user_authorization_cancellation"
        | "user_info_modified") => {
            let Some(openid) = field("OpenID") else {
                return Effect::Keep("revocation without an OpenID kept");
            };
            let revoke_info = field("RevokeInfo");
            let (reason, erase) = match event {
                "user_authorization_cancellation" => ("account_closed", Erase::everything()),
                "user_info_modified" => ("profile_cleaned", Erase::profile()),
                _ => (
                    "revoked",
                    Erase::withdrawn(revoke_info.as_deref().unwrap_or_default()),
                ),
            };
            Effect::Revoke {
                openid,
                reason,
                revoke_info,
                erase,
            }
        }
        _ => Effect::Keep("unknown event kept"),
    }
}

impl Erase {
    fn everything() -> Erase {
        Erase {
            profile: true,
            phone: true,
            session_key: true,
        }
    }

    fn profile() -> Erase {
        Erase {
            profile: true,
            ..Erase::default()
        }
    }

    /// What `RevokeInfo` (one code, or several separated by commas) withdrew of what wxgate keeps.
    fn withdrawn(revoke_info: &str) -> Erase {
        let codes: Vec<&str> = revoke_info.split(',').map(str::trim).collect();
        if codes.contains(&"301") {
            return Erase::everything();
        }
        Erase {
            profile: codes
                .iter()
                .any(|code| matches!(*code, "6" | "19" | "20" | "205")),
            phone: codes.contains(&"8"),
            session_key: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(event: &str, fields: &[(&str, &str)]) -> PushRow {
        let fields: BTreeMap<&str, &str> = fields.iter().copied().collect();
        PushRow {
            appid: "wxapp".to_owned(),
            repeat_key: "key".to_owned(),
            msg_type: "event".to_owned(),
            event: Some(event.to_owned()),
            from_openid: "o-follower".to_owned(),
            fields: serde_json::to_string(&fields).unwrap_or_default(),
            received_at: 100,
            applied_at: None,
            outcome: None,
        }
    }

    #[test]
    fn a_qr_subscribe_and_a_scan_name_the_same_scene() {
        let subscribe = effect_of(&push(
            "subscribe",
            &[("EventKey", "qrscene_42"), ("CreateTime", "7")],
        ));
        assert_eq!(
            subscribe,
            Effect::Follow {
                openid: "o-follower".to_owned(),
                following: true,
                scene: Some("42".to_owned()),
                at: 7
            }
        );
        let scan = effect_of(&push("SCAN", &[("EventKey", "42")]));
        assert!(
            matches!(scan, Effect::Scan { scene: Some(ref scene), at: 100, .. } if scene == "42")
        );
    }

    #[test]
    fn what_is_erased_follows_what_was_withdrawn() {
        let effect = |event: &str, info: &str| match effect_of(&push(
            event,
            &[("OpenID", "o-person"), ("RevokeInfo", info)],
        )) {
            Effect::Revoke { erase, .. } => erase,
            other => panic!("not a revocation: {other:?}"),
        };
        assert_eq!(effect("user_authorization_revoke", "6"), Erase::profile());
        assert!(effect("user_authorization_revoke", "8").phone);
        assert_eq!(effect("user_authorization_revoke", "2"), Erase::default());
        assert_eq!(
            effect("user_authorization_revoke", "301"),
            Erase::everything()
        );
        assert_eq!(
            effect("user_authorization_cancellation", ""),
            Erase::everything()
        );
        assert_eq!(effect("user_info_modified", ""), Erase::profile());
    }

    #[test]
    fn unknown_events_and_plain_messages_are_kept() {
        assert_eq!(
            effect_of(&push("something_new", &[])),
            Effect::Keep("unknown event kept")
        );
        let mut text = push("", &[]);
        text.msg_type = "text".to_owned();
        assert_eq!(effect_of(&text), Effect::Keep("message kept"));
    }
}

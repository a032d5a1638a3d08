//! Where events go: `WXGATE_EVENTS_URL` (the product's endpoint), `WXGATE_EVENTS_SECRET` (the Standard Webhooks
//! signing secret, `whsec_` + base64 of 24 to 64 random bytes, as Svix makes them) and, optionally,
//! `WXGATE_EVENTS_SCHEDULE` (the waits before each attempt, comma-separated seconds; default Svix's).

use base64::Engine;
use secrecy::SecretString;
use url::Url;

use super::{Problems, Vars};
use crate::ssr::events::schedule::Schedule;

/// How events reach the product.
#[derive(Debug, Clone)]
pub struct EventsSettings {
    pub url: Url,
    /// The whole `whsec_…` secret.
    pub secret: SecretString,
    pub schedule: Schedule,
}

/// The secret's prefix (<https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md>).
const SECRET_PREFIX: &str = "whsec_";

impl EventsSettings {
    /// The settings, if the URL is set; a URL without a secret (or the reverse) is a problem.
    pub(super) fn read(vars: &Vars, problems: &mut Problems) -> Option<EventsSettings> {
        let schedule = schedule(vars, problems);
        let (url, secret) = match (
            vars.get("WXGATE_EVENTS_URL"),
            vars.get("WXGATE_EVENTS_SECRET"),
        ) {
            (None, None) => return None,
            (Some(_), None) => {
                problems.push("WXGATE_EVENTS_SECRET", "must be set with WXGATE_EVENTS_URL");
                return None;
            }
            (None, Some(_)) => {
                problems.push("WXGATE_EVENTS_URL", "must be set with WXGATE_EVENTS_SECRET");
                return None;
            }
            (Some(url), Some(secret)) => (url, secret),
        };
        let url = match Url::parse(url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                Some(url)
            }
            _ => {
                problems.push("WXGATE_EVENTS_URL", "must be an http or https URL");
                None
            }
        };
        let key_length = secret
            .strip_prefix(SECRET_PREFIX)
            .and_then(|key| base64::engine::general_purpose::STANDARD.decode(key).ok())
            .map(|key| key.len());
        if !matches!(key_length, Some(24..=64)) {
            problems.push(
                "WXGATE_EVENTS_SECRET",
                "must be whsec_ followed by base64 of 24 to 64 random bytes (e.g. whsec_$(openssl rand -base64 32))",
            );
            return None;
        }
        Some(EventsSettings {
            url: url?,
            secret: SecretString::from(secret.to_owned()),
            schedule: schedule?,
        })
    }
}

/// `WXGATE_EVENTS_SCHEDULE`: up to 20 waits of up to a day each.
fn schedule(vars: &Vars, problems: &mut Problems) -> Option<Schedule> {
    let Some(value) = vars.get("WXGATE_EVENTS_SCHEDULE") else {
        return Some(Schedule::default());
    };
    let waits: Option<Vec<u64>> = value
        .split(',')
        .map(|wait| {
            wait.trim()
                .parse::<u64>()
                .ok()
                .filter(|wait| *wait <= 86_400)
        })
        .collect();
    match waits
        .filter(|waits| waits.len() <= 20)
        .and_then(Schedule::new)
    {
        Some(schedule) => Some(schedule),
        None => {
            problems.push(
                "WXGATE_EVENTS_SCHEDULE",
                "must be 1 to 20 comma-separated waits in seconds, each at most 86400 (e.g. 0,5,300)",
            );
            None
        }
    }
}

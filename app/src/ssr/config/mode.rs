//! Sandbox or live: the built-in sandbox plays WeChat only when `WXGATE_MODE=sandbox` asks for it (it can mark
//! orders paid and sign anyone in); WeChat credentials, or `WXGATE_MODE=live`, mean live. With neither, wxgate
//! refuses to guess, and the two never mix.

use std::fmt;

use super::{Problems, Vars};

/// Every variable that points wxgate at a real WeChat account.
pub const WECHAT_VARIABLES: [&str; 26] = [
    "WECHAT_APPID",
    "WECHAT_SECRET",
    "WECHAT_MP_APPID",
    "WECHAT_MP_SECRET",
    "WECHAT_OA_APPID",
    "WECHAT_OA_SECRET",
    "WECHAT_CLIENT_ID",
    "WECHAT_CLIENT_SECRET",
    "WECHAT_PAY_MCH_ID",
    "WECHAT_PAY_APP_ID",
    "WECHAT_PAY_API_V3_KEY",
    "WECHAT_PAY_PRIVATE_KEY",
    "WECHAT_PAY_CERT_SERIAL",
    "WECHAT_PAY_PUBLIC_KEY",
    "WECHAT_PAY_PUBLIC_KEY_ID",
    "WECHAT_PAY_PLATFORM_CERT",
    "WECHAT_PAY_NOTIFY_URL",
    "WECHAT_API_BASE",
    "WECHAT_OPEN_BASE",
    "WECHAT_PAY_BASE",
    "WECHAT_PUSH_TOKEN",
    "WECHAT_PUSH_AES_KEY",
    "WECHAT_MP_PUSH_TOKEN",
    "WECHAT_MP_PUSH_AES_KEY",
    "WECHAT_OA_PUSH_TOKEN",
    "WECHAT_OA_PUSH_AES_KEY",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The built-in sandbox plays WeChat, under `/sandbox` of this process.
    Sandbox,
    /// wxgate talks to the WeChat hosts configured.
    Live,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Sandbox => "sandbox",
            Mode::Live => "live",
        })
    }
}

impl Mode {
    /// The mode the user's variables ask for. Nothing configured is a problem, not a silent sandbox; a sandbox
    /// asked for next to WeChat credentials is a problem too.
    pub fn from_vars(vars: &Vars) -> Result<Mode, Problems> {
        let configured = WECHAT_VARIABLES
            .iter()
            .find(|name| vars.get(name).is_some());
        let mut problems = Problems::default();
        let mode = match (vars.get("WXGATE_MODE"), configured) {
            (None, None) => {
                problems.push("WXGATE_MODE", NOTHING_CONFIGURED);
                Mode::Live
            }
            (None, Some(_)) | (Some("live"), _) => Mode::Live,
            (Some("sandbox"), None) => Mode::Sandbox,
            (Some("sandbox"), Some(name)) => {
                problems.push(
                    "WXGATE_MODE",
                    format!("is sandbox, but {name} is set: the sandbox uses its own throwaway credentials and never mixes with a real account; unset one of them"),
                );
                Mode::Sandbox
            }
            (Some(_), _) => {
                problems.push("WXGATE_MODE", "must be sandbox or live");
                Mode::Live
            }
        };
        if problems.is_empty() {
            Ok(mode)
        } else {
            Err(problems)
        }
    }
}

/// What wxgate says when it is given neither WeChat credentials nor a mode.
const NOTHING_CONFIGURED: &str = "is not set and no WeChat credentials are: to go live, set your WeChat \
     apps and merchant (see .env.example; `wxgate doctor` checks them); to try wxgate with the built-in WeChat \
     sandbox, set WXGATE_MODE=sandbox (`make run` does)";

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(pairs: &[(&str, &str)]) -> Result<Mode, Problems> {
        Mode::from_vars(&Vars::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn the_sandbox_runs_only_when_asked_for_and_any_wechat_variable_means_live() {
        assert_eq!(mode(&[("WXGATE_MODE", "sandbox")]), Ok(Mode::Sandbox));
        assert_eq!(
            mode(&[("WECHAT_APPID", "wx1234567890abcdef")]),
            Ok(Mode::Live)
        );
        assert_eq!(mode(&[("WXGATE_MODE", "live")]), Ok(Mode::Live));
    }

    #[test]
    fn nothing_configured_is_refused_with_both_ways_forward() {
        for blank in [&[][..], &[("WECHAT_APPID", " "), ("WECHAT_SECRET", "")][..]] {
            let problems = mode(blank).expect_err("refused");
            let first = problems.iter().next().expect("one problem").to_owned();
            assert!(first.starts_with("WXGATE_MODE: is not set"), "{first}");
            assert!(first.contains("WXGATE_MODE=sandbox"), "{first}");
            assert!(first.contains(".env.example"), "{first}");
        }
    }

    #[test]
    fn sandbox_never_mixes_with_real_credentials() {
        let problems = mode(&[
            ("WXGATE_MODE", "sandbox"),
            ("WECHAT_PAY_MCH_ID", "1900000109"),
        ])
        .expect_err("refused");
        let first = problems.iter().next().expect("one problem").to_owned();
        assert!(
            first.starts_with("WXGATE_MODE: is sandbox, but WECHAT_PAY_MCH_ID is set"),
            "{first}"
        );
        assert!(mode(&[("WXGATE_MODE", "demo")]).is_err());
    }
}

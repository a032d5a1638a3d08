//! The login side's memory and rules: single-use codes that expire, mini-program sessions, user and server tokens,
//! tickets and QR logins, each failing with the errcode WeChat sends.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::personas::Persona;
use super::tokens::{random_token, CODE_LEN, SERVER_TOKEN_LEN, USER_TOKEN_LEN};

/// Codes (login, OAuth, phone) live five minutes.
pub const CODE_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// Access tokens, user tokens and tickets live two hours.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(7200);
/// After `cgi-bin/token` hands out a new token, the previous one keeps working this long.
pub const CLASSIC_OVERLAP: Duration = Duration::from_secs(5 * 60);
/// Refresh tokens live thirty days.
pub const REFRESH_LIFETIME: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// `stable_token` rules (<https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-access-token/getStableAccessToken.html>):
/// in normal mode a token with less than five minutes left is replaced, so `expires_in` is never under 300; a
/// forced refresh ends the previous token at once, at most 20 times a day and 30 seconds apart.
pub const STABLE_RENEW_BELOW: Duration = Duration::from_secs(5 * 60);
pub const FORCED_PER_DAY: usize = 20;
pub const FORCED_SPACING: Duration = Duration::from_secs(30);
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// A WeChat error: `{"errcode": N, "errmsg": "… rid: …"}` with HTTP 200.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeChatError {
    pub errcode: i64,
    pub errmsg: &'static str,
}

impl WeChatError {
    pub const INVALID_CREDENTIAL: WeChatError = WeChatError {
        errcode: 40001,
        errmsg: "invalid credential, access_token is invalid or not latest",
    };
    pub const INVALID_GRANT_TYPE: WeChatError = WeChatError {
        errcode: 40002,
        errmsg: "invalid grant_type",
    };
    pub const INVALID_OPENID: WeChatError = WeChatError {
        errcode: 40003,
        errmsg: "invalid openid",
    };
    pub const INVALID_APPID: WeChatError = WeChatError {
        errcode: 40013,
        errmsg: "invalid appid",
    };
    pub const INVALID_ACCESS_TOKEN: WeChatError = WeChatError {
        errcode: 40014,
        errmsg: "invalid access_token",
    };
    pub const INVALID_CODE: WeChatError = WeChatError {
        errcode: 40029,
        errmsg: "invalid code",
    };
    pub const INVALID_REFRESH_TOKEN: WeChatError = WeChatError {
        errcode: 40030,
        errmsg: "invalid refresh_token",
    };
    pub const REFRESH_TOKEN_EXPIRED: WeChatError = WeChatError {
        errcode: 42002,
        errmsg: "refresh_token timeout",
    };
    pub const DAILY_QUOTA: WeChatError = WeChatError {
        errcode: 45009,
        errmsg: "reach max api daily quota limit",
    };
    pub const MINUTE_QUOTA: WeChatError = WeChatError {
        errcode: 45011,
        errmsg: "api minute-quota reach limit  mustslower  retry next minute",
    };
    pub const INVALID_APPSECRET: WeChatError = WeChatError {
        errcode: 40125,
        errmsg: "invalid appsecret",
    };
    pub const CODE_USED: WeChatError = WeChatError {
        errcode: 40163,
        errmsg: "code been used",
    };
    pub const ACCESS_TOKEN_EXPIRED: WeChatError = WeChatError {
        errcode: 42001,
        errmsg: "access_token expired",
    };
    pub const CODE_EXPIRED: WeChatError = WeChatError {
        errcode: 42003,
        errmsg: "code expired",
    };
    pub const API_UNAUTHORIZED: WeChatError = WeChatError {
        errcode: 48001,
        errmsg: "api unauthorized",
    };
    pub const INVALID_SIGNATURE: WeChatError = WeChatError {
        errcode: 87009,
        errmsg: "invalid signature",
    };
}

/// Which product an app is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppKind {
    MiniProgram,
    OfficialAccount,
    Website,
}

/// One of the sandbox's apps.
#[derive(Debug, Clone)]
pub struct App {
    pub appid: String,
    pub secret: String,
    pub kind: AppKind,
    pub name: &'static str,
    /// Bound to the sandbox's Open Platform account (all are, until the control API unbinds one): only then does
    /// WeChat tell the app a user's unionid.
    pub open_platform: bool,
}

/// What a code can be exchanged for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeKind {
    MiniProgramLogin,
    OAuth { scope: String },
    Phone,
}

#[derive(Debug)]
struct IssuedCode {
    appid: String,
    persona: String,
    kind: CodeKind,
    issued_at: Instant,
    used: bool,
}

#[derive(Debug, Clone)]
pub struct UserGrant {
    pub appid: String,
    pub persona: String,
    pub scope: String,
}

#[derive(Debug)]
struct Expiring<T> {
    value: T,
    until: Instant,
}

/// Where a website QR login stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrStatus {
    Waiting,
    Scanned,
    Confirmed { code: String },
    Declined,
}

#[derive(Debug, Clone)]
pub struct QrLogin {
    pub appid: String,
    pub redirect_uri: String,
    pub state: String,
    pub status: QrStatus,
}

/// Everything the login side remembers; guarded by one lock.
#[derive(Debug)]
pub struct LoginState {
    pub apps: Vec<App>,
    pub personas: Vec<Persona>,
    codes: HashMap<String, IssuedCode>,
    session_keys: HashMap<(String, String), String>,
    user_tokens: HashMap<String, Expiring<UserGrant>>,
    refresh_tokens: HashMap<String, Expiring<UserGrant>>,
    server_tokens: HashMap<String, Expiring<String>>,
    latest_classic: HashMap<String, String>,
    stable: HashMap<String, String>,
    /// When each app last forced a stable token refresh, within the last day.
    forced_refreshes: HashMap<String, Vec<Instant>>,
    tickets: HashMap<String, Expiring<String>>,
    qr_logins: HashMap<String, QrLogin>,
    pub faults: super::faults::LoginFaults,
}

impl LoginState {
    pub fn new(apps: Vec<App>) -> LoginState {
        LoginState {
            apps,
            personas: Persona::ready_made(),
            codes: HashMap::new(),
            session_keys: HashMap::new(),
            user_tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            server_tokens: HashMap::new(),
            latest_classic: HashMap::new(),
            stable: HashMap::new(),
            forced_refreshes: HashMap::new(),
            tickets: HashMap::new(),
            qr_logins: HashMap::new(),
            faults: super::faults::LoginFaults::default(),
        }
    }

    pub fn app(&self, appid: &str, kinds: &[AppKind]) -> Result<&App, WeChatError> {
        self.apps
            .iter()
            .find(|app| app.appid == appid && kinds.contains(&app.kind))
            .ok_or(WeChatError::INVALID_APPID)
    }

    /// The app, after checking its secret.
    pub fn authenticate(
        &self,
        appid: &str,
        secret: &str,
        kinds: &[AppKind],
    ) -> Result<&App, WeChatError> {
        let app = self.app(appid, kinds)?;
        if app.secret == secret {
            Ok(app)
        } else {
            Err(WeChatError::INVALID_APPSECRET)
        }
    }

    /// `persona`'s unionid as `appid` may learn it: none when the app is not bound to an Open Platform account.
    pub fn unionid_for(&self, appid: &str, persona: &Persona) -> Option<String> {
        self.apps
            .iter()
            .any(|app| app.appid == appid && app.open_platform)
            .then(|| persona.unionid())
    }

    /// Binds `appid` to the sandbox's Open Platform account or unbinds it; false when there is no such app.
    pub fn bind_open_platform(&mut self, appid: &str, bound: bool) -> bool {
        match self.apps.iter_mut().find(|app| app.appid == appid) {
            Some(app) => {
                app.open_platform = bound;
                true
            }
            None => false,
        }
    }

    pub fn persona(&self, id: &str) -> Option<&Persona> {
        self.personas.iter().find(|persona| persona.id == id)
    }

    /// The persona named `id`, or the first one when no id is given.
    pub fn persona_or_default(&self, id: Option<&str>) -> Option<Persona> {
        match id {
            Some(id) => self.persona(id).cloned(),
            None => self.personas.first().cloned(),
        }
    }

    /// The persona whose openid in `appid` is `openid`.
    pub fn persona_by_openid(&self, appid: &str, openid: &str) -> Option<&Persona> {
        self.personas
            .iter()
            .find(|persona| persona.openid(appid) == openid)
    }

    /// A new single-use code for `persona` in `appid`.
    pub fn issue_code(&mut self, appid: &str, persona: &str, kind: CodeKind) -> String {
        let code = random_token(CODE_LEN);
        self.codes.insert(
            code.clone(),
            IssuedCode {
                appid: appid.to_owned(),
                persona: persona.to_owned(),
                kind,
                issued_at: Instant::now(),
                used: false,
            },
        );
        code
    }

    /// Uses a code up: 40029 when unknown, for another app or of another kind; 40163 when used; expired codes
    /// answer `expired`.
    pub fn redeem_code(
        &mut self,
        code: &str,
        appid: &str,
        expired: WeChatError,
    ) -> Result<(String, CodeKind), WeChatError> {
        let issued = self.codes.get_mut(code).ok_or(WeChatError::INVALID_CODE)?;
        if issued.appid != appid {
            return Err(WeChatError::INVALID_CODE);
        }
        if issued.used {
            return Err(WeChatError::CODE_USED);
        }
        if issued.issued_at.elapsed() > CODE_LIFETIME {
            return Err(expired);
        }
        issued.used = true;
        Ok((issued.persona.clone(), issued.kind.clone()))
    }

    /// Ages every outstanding code past its lifetime, as if five minutes had gone by; returns how many.
    pub fn expire_codes(&mut self) -> usize {
        let aged = Instant::now().checked_sub(CODE_LIFETIME + Duration::from_secs(1));
        let mut count = 0;
        for code in self.codes.values_mut().filter(|code| !code.used) {
            if let Some(aged) = aged {
                code.issued_at = aged;
                count += 1;
            }
        }
        count
    }

    /// Every OAuth refresh token reaches its 30 days now (refreshing answers 42002); returns how many.
    pub fn expire_refresh_tokens(&mut self) -> usize {
        expire_all(&mut self.refresh_tokens)
    }

    /// Every server access token expires now (the next business call answers 42001); returns how many.
    pub fn expire_server_tokens(&mut self) -> usize {
        expire_all(&mut self.server_tokens)
    }

    /// A fresh session_key for `persona` in a mini program; the previous one stops working.
    pub fn rotate_session_key(&mut self, appid: &str, persona: &str) -> String {
        let key: Vec<u8> = (0..16).map(|_| rand::random::<u8>()).collect();
        let key = BASE64.encode(key);
        self.session_keys
            .insert((appid.to_owned(), persona.to_owned()), key.clone());
        key
    }

    pub fn session_key(&self, appid: &str, persona: &str) -> Option<&str> {
        self.session_keys
            .get(&(appid.to_owned(), persona.to_owned()))
            .map(String::as_str)
    }

    /// A user token and refresh token for an OAuth grant.
    pub fn grant_user_token(&mut self, grant: UserGrant) -> (String, String) {
        let access_token = random_token(USER_TOKEN_LEN);
        let refresh_token = random_token(USER_TOKEN_LEN);
        self.user_tokens.insert(
            access_token.clone(),
            Expiring {
                value: grant.clone(),
                until: Instant::now() + TOKEN_LIFETIME,
            },
        );
        self.refresh_tokens.insert(
            refresh_token.clone(),
            Expiring {
                value: grant,
                until: Instant::now() + REFRESH_LIFETIME,
            },
        );
        (access_token, refresh_token)
    }

    /// A new user token for `grant`, refreshed: its refresh token stays as it is.
    pub fn renew_user_token(&mut self, grant: UserGrant) -> String {
        let access_token = random_token(USER_TOKEN_LEN);
        self.user_tokens.insert(
            access_token.clone(),
            Expiring {
                value: grant,
                until: Instant::now() + TOKEN_LIFETIME,
            },
        );
        access_token
    }

    pub fn user_grant(&self, access_token: &str) -> Result<&UserGrant, WeChatError> {
        let entry = self
            .user_tokens
            .get(access_token)
            .ok_or(WeChatError::INVALID_ACCESS_TOKEN)?;
        if Instant::now() > entry.until {
            return Err(WeChatError::ACCESS_TOKEN_EXPIRED);
        }
        Ok(&entry.value)
    }

    pub fn refresh_grant(
        &self,
        appid: &str,
        refresh_token: &str,
    ) -> Result<UserGrant, WeChatError> {
        match self.refresh_tokens.get(refresh_token) {
            Some(entry) if entry.value.appid == appid && Instant::now() <= entry.until => {
                Ok(entry.value.clone())
            }
            Some(entry) if entry.value.appid == appid => Err(WeChatError::REFRESH_TOKEN_EXPIRED),
            _ => Err(WeChatError::INVALID_REFRESH_TOKEN),
        }
    }

    /// `cgi-bin/token`: a new token; the previous one of that app keeps working five more minutes.
    pub fn classic_token(&mut self, appid: &str) -> String {
        let now = Instant::now();
        if let Some(previous) = self.latest_classic.get(appid) {
            if let Some(entry) = self.server_tokens.get_mut(previous) {
                entry.until = entry.until.min(now + CLASSIC_OVERLAP);
            }
        }
        let token = self.new_server_token(appid);
        self.latest_classic.insert(appid.to_owned(), token.clone());
        token
    }

    /// `cgi-bin/stable_token`: the current stable token and its remaining lifetime, a new one when less than
    /// [`STABLE_RENEW_BELOW`] is left or when forced (within the limits, ending the previous one); independent of
    /// `cgi-bin/token`.
    pub fn stable_token(
        &mut self,
        appid: &str,
        force_refresh: bool,
    ) -> Result<(String, Duration), WeChatError> {
        let now = Instant::now();
        if force_refresh {
            let forced = self.forced_refreshes.entry(appid.to_owned()).or_default();
            forced.retain(|at| now.duration_since(*at) < DAY);
            if forced
                .last()
                .is_some_and(|last| now.duration_since(*last) < FORCED_SPACING)
            {
                return Err(WeChatError::MINUTE_QUOTA);
            }
            if forced.len() >= FORCED_PER_DAY {
                return Err(WeChatError::DAILY_QUOTA);
            }
            forced.push(now);
            if let Some(previous) = self.stable.get(appid) {
                self.server_tokens.remove(previous);
            }
        } else if let Some((token, entry)) = self
            .stable
            .get(appid)
            .and_then(|token| self.server_tokens.get(token).map(|entry| (token, entry)))
        {
            if entry.until > now + STABLE_RENEW_BELOW {
                return Ok((token.clone(), entry.until - now));
            }
        }
        let token = self.new_server_token(appid);
        self.stable.insert(appid.to_owned(), token.clone());
        Ok((token, TOKEN_LIFETIME))
    }

    fn new_server_token(&mut self, appid: &str) -> String {
        let token = random_token(SERVER_TOKEN_LEN);
        self.server_tokens.insert(
            token.clone(),
            Expiring {
                value: appid.to_owned(),
                until: Instant::now() + TOKEN_LIFETIME,
            },
        );
        token
    }

    /// The app a server access token belongs to: 40001 when unknown or replaced, 42001 when expired.
    pub fn token_app(&self, access_token: &str) -> Result<String, WeChatError> {
        let entry = self
            .server_tokens
            .get(access_token)
            .ok_or(WeChatError::INVALID_CREDENTIAL)?;
        if Instant::now() > entry.until {
            let replaced = self
                .latest_classic
                .get(&entry.value)
                .is_some_and(|latest| latest != access_token);
            return Err(if replaced {
                WeChatError::INVALID_CREDENTIAL
            } else {
                WeChatError::ACCESS_TOKEN_EXPIRED
            });
        }
        Ok(entry.value.clone())
    }

    /// The app's jsapi_ticket, made anew when it has expired.
    pub fn jsapi_ticket(&mut self, appid: &str) -> (String, Duration) {
        let now = Instant::now();
        if let Some(entry) = self.tickets.get(appid).filter(|entry| entry.until > now) {
            return (entry.value.clone(), entry.until - now);
        }
        let ticket = random_token(86);
        self.tickets.insert(
            appid.to_owned(),
            Expiring {
                value: ticket.clone(),
                until: now + TOKEN_LIFETIME,
            },
        );
        (ticket, TOKEN_LIFETIME)
    }

    /// The app's jsapi_ticket if one has been handed out and is still valid (what `wx.config` signatures use).
    pub fn issued_jsapi_ticket(&self, appid: &str) -> Option<&str> {
        self.tickets
            .get(appid)
            .filter(|entry| entry.until > Instant::now())
            .map(|entry| entry.value.as_str())
    }

    /// Starts a website QR login and returns its id.
    pub fn start_qr_login(&mut self, login: QrLogin) -> String {
        let id = random_token(16);
        self.qr_logins.insert(id.clone(), login);
        id
    }

    pub fn qr_login(&self, id: &str) -> Option<&QrLogin> {
        self.qr_logins.get(id)
    }

    pub fn set_qr_status(&mut self, id: &str, status: QrStatus) -> Option<&QrLogin> {
        let login = self.qr_logins.get_mut(id)?;
        login.status = status;
        Some(login)
    }
}

/// Ends every entry of `entries` still running now; returns how many.
fn expire_all<T>(entries: &mut HashMap<String, Expiring<T>>) -> usize {
    let now = Instant::now();
    let mut count = 0;
    for entry in entries.values_mut().filter(|entry| entry.until > now) {
        entry.until = now;
        count += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> LoginState {
        LoginState::new(vec![App {
            appid: "wxaaaaaaaaaaaaaaaa".to_owned(),
            secret: "s".to_owned(),
            kind: AppKind::MiniProgram,
            name: "mini program",
            open_platform: true,
        }])
    }

    #[test]
    fn a_code_works_once_and_only_for_its_app() {
        let mut state = state();
        let code = state.issue_code("wxaaaaaaaaaaaaaaaa", "xiaoming", CodeKind::MiniProgramLogin);
        assert_eq!(
            state.redeem_code(&code, "wxbbbbbbbbbbbbbbbb", WeChatError::INVALID_CODE),
            Err(WeChatError::INVALID_CODE)
        );
        assert!(state
            .redeem_code(&code, "wxaaaaaaaaaaaaaaaa", WeChatError::INVALID_CODE)
            .is_ok());
        assert_eq!(
            state.redeem_code(&code, "wxaaaaaaaaaaaaaaaa", WeChatError::INVALID_CODE),
            Err(WeChatError::CODE_USED)
        );
        assert_eq!(
            state.redeem_code("nope", "wxaaaaaaaaaaaaaaaa", WeChatError::INVALID_CODE),
            Err(WeChatError::INVALID_CODE)
        );
    }

    #[test]
    fn classic_tokens_replace_each_other_but_stable_tokens_do_not() {
        let mut state = state();
        let first = state.classic_token("wxaaaaaaaaaaaaaaaa");
        let second = state.classic_token("wxaaaaaaaaaaaaaaaa");
        assert_ne!(first, second);
        // The first keeps working during the overlap.
        assert_eq!(state.token_app(&first).as_deref(), Ok("wxaaaaaaaaaaaaaaaa"));
        let (stable, _) = state
            .stable_token("wxaaaaaaaaaaaaaaaa", false)
            .expect("stable");
        let (again, _) = state
            .stable_token("wxaaaaaaaaaaaaaaaa", false)
            .expect("stable");
        assert_eq!(stable, again);
        state.classic_token("wxaaaaaaaaaaaaaaaa");
        assert_eq!(
            state.token_app(&stable).as_deref(),
            Ok("wxaaaaaaaaaaaaaaaa")
        );
        assert_eq!(
            state.token_app("unknown"),
            Err(WeChatError::INVALID_CREDENTIAL)
        );
    }

    #[test]
    fn a_stable_token_near_its_end_is_replaced_so_expires_in_is_never_under_five_minutes() {
        let mut state = state();
        let (first, _) = state
            .stable_token("wxaaaaaaaaaaaaaaaa", false)
            .expect("stable");
        if let Some(entry) = state.server_tokens.get_mut(&first) {
            entry.until = Instant::now() + Duration::from_secs(200);
        }
        let (second, expires_in) = state
            .stable_token("wxaaaaaaaaaaaaaaaa", false)
            .expect("stable");
        assert_ne!(first, second);
        assert!(expires_in >= STABLE_RENEW_BELOW);
        // The one near its end still works until it ends.
        assert_eq!(state.token_app(&first).as_deref(), Ok("wxaaaaaaaaaaaaaaaa"));
    }

    #[test]
    fn forced_refreshes_end_the_previous_token_and_are_limited() {
        let mut state = state();
        let (first, _) = state
            .stable_token("wxaaaaaaaaaaaaaaaa", true)
            .expect("forced");
        let (second, _) = state
            .stable_token("wxaaaaaaaaaaaaaaaa", false)
            .expect("stable");
        assert_eq!(first, second);
        assert_eq!(
            state.stable_token("wxaaaaaaaaaaaaaaaa", true),
            Err(WeChatError::MINUTE_QUOTA),
            "30 seconds apart"
        );
        let long_ago = Instant::now().checked_sub(FORCED_SPACING * 2);
        let spaced: Vec<Instant> = (0..FORCED_PER_DAY).filter_map(|_| long_ago).collect();
        state
            .forced_refreshes
            .insert("wxaaaaaaaaaaaaaaaa".to_owned(), spaced);
        assert_eq!(
            state.stable_token("wxaaaaaaaaaaaaaaaa", true),
            Err(WeChatError::DAILY_QUOTA),
            "20 a day"
        );
        state.forced_refreshes.clear();
        let (third, _) = state
            .stable_token("wxaaaaaaaaaaaaaaaa", true)
            .expect("forced");
        assert_ne!(third, first);
        assert_eq!(
            state.token_app(&first),
            Err(WeChatError::INVALID_CREDENTIAL),
            "a forced refresh ends the previous token"
        );
    }
}

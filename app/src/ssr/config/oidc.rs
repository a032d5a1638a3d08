//! The OpenID Connect clients of the configuration: `WXGATE_OIDC_CLIENTS`, a JSON array of
//! `{"client_id", "client_secret"?, "redirect_uris", "post_logout_redirect_uris"?, "name"?}` (a client without a
//! secret is public and must use PKCE). Clients can also be registered with `wxgate clients add`.

use serde::Deserialize;

use super::{Problems, Vars};
use crate::ssr::oidc::clients::{self, Client};

/// The most clients the variable may hold.
const MAX_CLIENTS: usize = 50;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfiguredClient {
    client_id: String,
    client_secret: Option<String>,
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    name: Option<String>,
}

/// The configured clients; each problem is reported without the secret.
pub(super) fn read(vars: &Vars, problems: &mut Problems) -> Vec<Client> {
    const VARIABLE: &str = "WXGATE_OIDC_CLIENTS";
    let Some(value) = vars.get(VARIABLE) else {
        return Vec::new();
    };
    let parsed: Vec<ConfiguredClient> = match serde_json::from_str(value) {
        Ok(parsed) => parsed,
        Err(error) => {
            // serde_json's message names the line and column, never the value.
            problems.push(
                VARIABLE,
                format!(
                    "must be a JSON array of {{client_id, client_secret?, redirect_uris, post_logout_redirect_uris?, name?}} ({})",
                    error.classify_sentence()
                ),
            );
            return Vec::new();
        }
    };
    if parsed.len() > MAX_CLIENTS {
        problems.push(VARIABLE, format!("holds at most {MAX_CLIENTS} clients"));
        return Vec::new();
    }
    let mut found: Vec<Client> = Vec::new();
    for client in parsed {
        match clients::configured(
            client.client_id,
            client.name,
            client.client_secret.as_deref(),
            client.redirect_uris,
            client.post_logout_redirect_uris,
        ) {
            Ok(client) if found.iter().any(|other| other.id == client.id) => {
                problems.push(VARIABLE, format!("client {} is listed twice", client.id))
            }
            Ok(client) => found.push(client),
            Err(why) => problems.push(VARIABLE, why),
        }
    }
    found
}

/// What kind of JSON mistake serde found, and where, without quoting the input.
trait ClassifySentence {
    fn classify_sentence(&self) -> String;
}

impl ClassifySentence for serde_json::Error {
    fn classify_sentence(&self) -> String {
        let kind = match self.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "not valid JSON",
            serde_json::error::Category::Data => "a field is missing, unknown or of the wrong type",
            serde_json::error::Category::Eof => "it ends too early",
        };
        format!("{kind} at line {} column {}", self.line(), self.column())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_value(value: &str) -> (Vec<Client>, Problems) {
        let vars = Vars::from_pairs([("WXGATE_OIDC_CLIENTS", value)]);
        let mut problems = Problems::default();
        (read(&vars, &mut problems), problems)
    }

    #[test]
    fn clients_are_read_with_their_secret_hashed() {
        let (clients, problems) = read_value(
            r#"[{"client_id": "shop", "client_secret": "0123456789abcdef0123456789abcdef", "redirect_uris": ["https://shop.example.com/cb"]},
                {"client_id": "spa", "redirect_uris": ["http://127.0.0.1:5173/cb"], "post_logout_redirect_uris": ["http://127.0.0.1:5173/"]}]"#,
        );
        assert!(problems.is_empty(), "{problems}");
        assert_eq!(clients.len(), 2);
        assert!(clients[0].secret_matches("0123456789abcdef0123456789abcdef"));
        assert!(!format!("{:?}", clients[0]).contains("0123456789abcdef0123456789abcdef"));
        assert!(clients[1].is_public());
    }

    #[test]
    fn bad_clients_are_problems_that_never_quote_the_secret() {
        let secret = "short-secret";
        let (_, problems) = read_value(&format!(
            r#"[{{"client_id": "shop", "client_secret": "{secret}", "redirect_uris": ["https://shop.example.com/cb"]}}]"#
        ));
        assert_eq!(problems.len(), 1);
        assert!(!problems.to_string().contains(secret));
        let (_, problems) = read_value(r#"[{"client_id": "shop", "client_secret": "s3cr3t"#);
        assert!(!problems.to_string().contains("s3cr3t"));
        let (_, problems) =
            read_value(r#"[{"client_id": "a", "redirect_uris": ["http://evil.example.com/cb"]}]"#);
        assert!(problems.to_string().contains("https"));
    }
}

//! The OpenID Connect provider's rows: registered clients, signing keys, grants with their codes and tokens (each
//! kept as a digest), and the `sub` each client knows a person by.

use sqlx::{Any, Transaction};

use super::{Database, DbError};
use crate::ssr::clock::now;

/// A client registered with `wxgate clients add`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcClientRow {
    pub client_id: String,
    pub name: String,
    /// SHA-256 (hex) of the secret; `None` for a public client.
    pub secret_digest: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub created_at: i64,
}

/// A signing key as stored: PKCS#8 DER in base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyRow {
    pub kid: String,
    pub private_key: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

/// One authorization of a client by a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRow {
    pub id: String,
    pub client_id: String,
    pub user_id: String,
    pub sub: String,
    pub scope: String,
    pub auth_time: i64,
}

/// An authorization code as it was issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRow {
    pub grant: GrantRow,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub expires_at: i64,
}

/// A code about to be issued with its grant.
#[derive(Debug, Clone, Copy)]
pub struct NewCode<'a> {
    pub digest: &'a str,
    pub grant_id: &'a str,
    pub client_id: &'a str,
    pub user_id: &'a str,
    pub scope: &'a str,
    pub auth_time: i64,
    pub redirect_uri: &'a str,
    pub code_challenge: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub expires_at: i64,
}

/// A token about to be stored: its digest, `access` or `refresh`, and when it ends.
#[derive(Debug, Clone, Copy)]
pub struct NewToken<'a> {
    pub digest: &'a str,
    pub kind: TokenKind,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

/// What presenting a code or a refresh token came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redemption<T> {
    /// Used now, for the first time.
    First(T),
    /// Used before: the grant it belongs to is revoked now, with every token it issued (RFC 6749 §4.1.2; the
    /// OAuth 2.0 Security BCP, RFC 9700 §4.14.2, for refresh tokens).
    Replayed,
    /// Unknown, expired or of a revoked grant.
    Invalid,
}

const GRANT_COLUMNS: &str = "g.id, g.client_id, g.user_id, g.sub, g.scope, g.auth_time";

type GrantTuple = (String, String, String, String, String, i64);

fn grant((id, client_id, user_id, sub, scope, auth_time): GrantTuple) -> GrantRow {
    GrantRow {
        id,
        client_id,
        user_id,
        sub,
        scope,
        auth_time,
    }
}

fn uri_list(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

impl Database {
    /// Registers a client; `false` when its id is taken.
    pub async fn add_oidc_client(&self, client: &OidcClientRow) -> Result<bool, DbError> {
        let added = sqlx::query(
            "INSERT INTO oidc_clients (client_id, name, secret_digest, redirect_uris, post_logout_redirect_uris, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (client_id) DO NOTHING",
        )
        .bind(&client.client_id)
        .bind(&client.name)
        .bind(client.secret_digest.as_deref())
        .bind(serde_json::json!(client.redirect_uris).to_string())
        .bind(serde_json::json!(client.post_logout_redirect_uris).to_string())
        .bind(client.created_at)
        .execute(self.pool())
        .await?;
        Ok(added.rows_affected() == 1)
    }

    pub async fn oidc_client(&self, client_id: &str) -> Result<Option<OidcClientRow>, DbError> {
        Ok(self
            .oidc_clients_where("WHERE client_id = $1", Some(client_id))
            .await?
            .pop())
    }

    /// Every registered client, by id.
    pub async fn oidc_clients(&self) -> Result<Vec<OidcClientRow>, DbError> {
        self.oidc_clients_where("ORDER BY client_id", None).await
    }

    async fn oidc_clients_where(
        &self,
        filter: &str,
        client_id: Option<&str>,
    ) -> Result<Vec<OidcClientRow>, DbError> {
        let query = format!(
            "SELECT client_id, name, secret_digest, redirect_uris, post_logout_redirect_uris, created_at \
             FROM oidc_clients {filter}"
        );
        let mut query =
            sqlx::query_as::<_, (String, String, Option<String>, String, String, i64)>(&query);
        if let Some(client_id) = client_id {
            query = query.bind(client_id);
        }
        let rows = query.fetch_all(self.pool()).await?;
        Ok(rows
            .into_iter()
            .map(
                |(client_id, name, secret_digest, redirects, logouts, created_at)| OidcClientRow {
                    client_id,
                    name,
                    secret_digest,
                    redirect_uris: uri_list(&redirects),
                    post_logout_redirect_uris: uri_list(&logouts),
                    created_at,
                },
            )
            .collect())
    }

    /// Removes a client and revokes every grant it holds; `false` when there was none.
    pub async fn remove_oidc_client(&self, client_id: &str) -> Result<bool, DbError> {
        let mut write = self.write().await?;
        let mut tx = write.begin().await?;
        let removed = sqlx::query("DELETE FROM oidc_clients WHERE client_id = $1")
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE oidc_grants SET revoked_at = $1 WHERE client_id = $2 AND revoked_at IS NULL",
        )
        .bind(now())
        .bind(client_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(removed.rows_affected() == 1)
    }

    /// The keys the JWKS publishes (unretired, or retired and still within their tokens' lifetime), newest first.
    pub async fn signing_keys(&self) -> Result<Vec<SigningKeyRow>, DbError> {
        let rows: Vec<(String, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT kid, private_key, created_at, retired_at FROM oidc_signing_keys \
             WHERE expires_at IS NULL OR expires_at > $1 ORDER BY created_at DESC, kid",
        )
        .bind(now())
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(kid, private_key, created_at, retired_at)| SigningKeyRow {
                kid,
                private_key,
                created_at,
                retired_at,
            })
            .collect())
    }

    /// Stores a new signing key and retires the others, which stay published until `old_keys_until`; keys whose
    /// time is over are deleted.
    pub async fn rotate_signing_key(
        &self,
        key: &SigningKeyRow,
        old_keys_until: i64,
    ) -> Result<(), DbError> {
        let mut write = self.write().await?;
        let mut tx = write.begin().await?;
        let now = now();
        sqlx::query(
            "DELETE FROM oidc_signing_keys WHERE expires_at IS NOT NULL AND expires_at <= $1",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE oidc_signing_keys SET retired_at = $1, expires_at = $2 WHERE retired_at IS NULL",
        )
        .bind(now)
        .bind(old_keys_until)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO oidc_signing_keys (kid, private_key, created_at) VALUES ($1, $2, $3)",
        )
        .bind(&key.kid)
        .bind(&key.private_key)
        .bind(key.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores a grant and its code in one transaction.
    pub async fn issue_code(&self, code: &NewCode<'_>) -> Result<(), DbError> {
        let mut write = self.write().await?;
        let mut tx = write.begin().await?;
        sqlx::query(
            "INSERT INTO oidc_grants (id, client_id, user_id, sub, scope, auth_time, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(code.grant_id)
        .bind(code.client_id)
        .bind(code.user_id)
        .bind(subject_in(&mut tx, code.client_id, code.user_id).await?)
        .bind(code.scope)
        .bind(code.auth_time)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO oidc_codes (digest, grant_id, redirect_uri, code_challenge, nonce, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(code.digest)
        .bind(code.grant_id)
        .bind(code.redirect_uri)
        .bind(code.code_challenge)
        .bind(code.nonce)
        .bind(code.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Uses the code of `digest` once; a code used before revokes its grant.
    pub async fn redeem_code(&self, digest: &str) -> Result<Redemption<CodeRow>, DbError> {
        let mut write = self.write().await?;
        let mut tx = write.begin().await?;
        if let Some(refused) = use_once(&mut tx, "oidc_codes", "", digest).await? {
            tx.commit().await?;
            return Ok(refused);
        }
        let query = format!(
            "SELECT {GRANT_COLUMNS}, c.redirect_uri, c.code_challenge, c.nonce, c.expires_at \
             FROM oidc_codes c JOIN oidc_grants g ON g.id = c.grant_id WHERE c.digest = $1 AND g.revoked_at IS NULL"
        );
        type CodeTuple = (
            String,
            String,
            String,
            String,
            String,
            i64,
            String,
            Option<String>,
            Option<String>,
            i64,
        );
        let row: Option<CodeTuple> = sqlx::query_as(&query)
            .bind(digest)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        let Some((
            id,
            client_id,
            user_id,
            sub,
            scope,
            auth_time,
            redirect_uri,
            challenge,
            nonce,
            expires_at,
        )) = row
        else {
            return Ok(Redemption::Invalid);
        };
        Ok(Redemption::First(CodeRow {
            grant: grant((id, client_id, user_id, sub, scope, auth_time)),
            redirect_uri,
            code_challenge: challenge,
            nonce,
            expires_at,
        }))
    }

    /// Uses the refresh token of `digest` once; a refresh token used before revokes its grant.
    pub async fn use_refresh_token(&self, digest: &str) -> Result<Redemption<GrantRow>, DbError> {
        let mut write = self.write().await?;
        let mut tx = write.begin().await?;
        if let Some(refused) =
            use_once(&mut tx, "oidc_tokens", "AND kind = 'refresh'", digest).await?
        {
            tx.commit().await?;
            return Ok(refused);
        }
        let query = format!(
            "SELECT {GRANT_COLUMNS} FROM oidc_tokens t JOIN oidc_grants g ON g.id = t.grant_id \
             WHERE t.digest = $1 AND g.revoked_at IS NULL"
        );
        let row: Option<GrantTuple> = sqlx::query_as(&query)
            .bind(digest)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row.map_or(Redemption::Invalid, |row| Redemption::First(grant(row))))
    }

    /// Stores the tokens issued for a grant.
    pub async fn store_oidc_tokens(
        &self,
        grant_id: &str,
        tokens: &[NewToken<'_>],
    ) -> Result<(), DbError> {
        let mut write = self.write().await?;
        let mut tx = write.begin().await?;
        for token in tokens {
            sqlx::query(
                "INSERT INTO oidc_tokens (digest, grant_id, kind, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(token.digest)
            .bind(grant_id)
            .bind(token.kind.as_str())
            .bind(token.expires_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The grant of a live access token.
    pub async fn access_token_grant(&self, digest: &str) -> Result<Option<GrantRow>, DbError> {
        let query = format!(
            "SELECT {GRANT_COLUMNS} FROM oidc_tokens t JOIN oidc_grants g ON g.id = t.grant_id \
             WHERE t.digest = $1 AND t.kind = 'access' AND t.expires_at > $2 AND g.revoked_at IS NULL"
        );
        let row: Option<GrantTuple> = sqlx::query_as(&query)
            .bind(digest)
            .bind(now())
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(grant))
    }

    /// Deletes codes and tokens that ended before `before`, and the revoked grants left without either.
    pub async fn delete_ended_oidc_tokens(&self, before: i64) -> Result<u64, DbError> {
        let mut write = self.write().await?;
        let mut tx = write.begin().await?;
        let codes = sqlx::query("DELETE FROM oidc_codes WHERE expires_at < $1")
            .bind(before)
            .execute(&mut *tx)
            .await?;
        let tokens = sqlx::query("DELETE FROM oidc_tokens WHERE expires_at < $1")
            .bind(before)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM oidc_grants WHERE created_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM oidc_codes c WHERE c.grant_id = oidc_grants.id) \
             AND NOT EXISTS (SELECT 1 FROM oidc_tokens t WHERE t.grant_id = oidc_grants.id)",
        )
        .bind(before)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(codes.rows_affected() + tokens.rows_affected())
    }
}

/// The `sub` `client_id` knows `user_id` by: the oldest it was given for this person (merges move the rows to the
/// surviving user), or the user id itself the first time.
async fn subject_in(
    tx: &mut Transaction<'_, Any>,
    client_id: &str,
    user_id: &str,
) -> Result<String, DbError> {
    let known: Option<(String,)> = sqlx::query_as(
        "SELECT sub FROM oidc_subjects WHERE client_id = $1 AND user_id = $2 ORDER BY created_at, sub LIMIT 1",
    )
    .bind(client_id)
    .bind(user_id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some((sub,)) = known {
        return Ok(sub);
    }
    sqlx::query(
        "INSERT INTO oidc_subjects (client_id, sub, user_id, created_at) VALUES ($1, $2, $2, $3) \
         ON CONFLICT (client_id, sub) DO NOTHING",
    )
    .bind(client_id)
    .bind(user_id)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(user_id.to_owned())
}

/// Moves the subjects of a merged user to the user it was merged into (called by the merge, in its transaction).
pub(super) async fn move_subjects(
    tx: &mut Transaction<'_, Any>,
    into: &str,
    from: &str,
) -> Result<(), DbError> {
    sqlx::query("UPDATE oidc_subjects SET user_id = $1 WHERE user_id = $2")
        .bind(into)
        .bind(from)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Marks the code or refresh token of `digest` in `table` (rows also matching `condition`) used now, if it is
/// unused and alive; otherwise what presenting it comes to.
async fn use_once<T>(
    tx: &mut Transaction<'_, Any>,
    table: &'static str,
    condition: &'static str,
    digest: &str,
) -> Result<Option<Redemption<T>>, DbError> {
    let now = now();
    let query = format!(
        "UPDATE {table} SET used_at = $1 WHERE digest = $2 {condition} AND used_at IS NULL AND expires_at > $1"
    );
    let used = sqlx::query(&query)
        .bind(now)
        .bind(digest)
        .execute(&mut **tx)
        .await?;
    if used.rows_affected() == 1 {
        return Ok(None);
    }
    Ok(Some(replayed(tx, table, digest, now).await?))
}

/// Why a code or refresh token of `table` could not be used: used before (its grant is revoked now), or unknown
/// or expired.
async fn replayed<T>(
    tx: &mut Transaction<'_, Any>,
    table: &'static str,
    digest: &str,
    now: i64,
) -> Result<Redemption<T>, DbError> {
    let query = format!("SELECT grant_id, used_at FROM {table} WHERE digest = $1");
    let row: Option<(String, Option<i64>)> = sqlx::query_as(&query)
        .bind(digest)
        .fetch_optional(&mut **tx)
        .await?;
    match row {
        Some((grant_id, Some(_))) => {
            revoke_grant(tx, &grant_id, now).await?;
            Ok(Redemption::Replayed)
        }
        _ => Ok(Redemption::Invalid),
    }
}

async fn revoke_grant(
    tx: &mut Transaction<'_, Any>,
    grant_id: &str,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query("UPDATE oidc_grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(grant_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

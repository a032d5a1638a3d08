//! Login attempts counted against their client's and their code's limits ([`crate::ssr::limits`], shared by every
//! process on the database).

use std::net::IpAddr;

use super::error::AuthError;
use crate::ssr::context::AppContext;
use crate::ssr::limits;

/// Counts a login attempt from `client` (with `code`, when it brings one); `RateLimited` once either is used up.
pub async fn count(
    context: &AppContext,
    client: IpAddr,
    code: Option<&str>,
) -> Result<(), AuthError> {
    let client_ok =
        limits::allow(&context.db, limits::LOGINS_PER_CLIENT, &client.to_string()).await?;
    let code_ok = match code {
        Some(code) => limits::allow(&context.db, limits::ATTEMPTS_PER_CODE, code).await?,
        None => true,
    };
    if client_ok && code_ok {
        Ok(())
    } else {
        Err(AuthError::RateLimited)
    }
}

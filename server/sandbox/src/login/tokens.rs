//! The sandbox's login codes, tokens and tickets: random URL-safe text, as WeChat's look.

/// How long WeChat's are, so a column or bound too narrow for the real ones fails here first: a `wx.login` code
/// and an OAuth code are 32 characters; OAuth user tokens about 100 (110 here); the server `access_token` is
/// documented as needing at least 512 characters of storage
/// (<https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html>), so the sandbox's
/// are that long.
pub const CODE_LEN: usize = 32;
pub const USER_TOKEN_LEN: usize = 110;
pub const SERVER_TOKEN_LEN: usize = 512;

/// The request id WeChat ends an errmsg with (`…, rid: 6517d7c1-4b0a6b6d-1f2a3c4d`): the Unix time in hex and two
/// random 32-bit groups.
pub fn rid() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default();
    format!(
        "{:08x}-{:08x}-{:08x}",
        now & 0xffff_ffff,
        rand::random::<u32>(),
        rand::random::<u32>()
    )
}

/// A random token of `len` URL-safe characters (64 of them, so every byte maps without bias).
pub fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    (0..len)
        .map(|_| char::from(ALPHABET[usize::from(rand::random::<u8>()) % ALPHABET.len()]))
        .collect()
}

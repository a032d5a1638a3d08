//! What the sandbox's pages share, login and pay alike: WeChat's look (WeUI colours), escaped text, the persona
//! picker, a real QR code, and their Content-Security-Policy.

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::login::personas::Persona;

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// The pages' style sheet, inline in each page (and allowed by its hash in [`content_security_policy`]).
const STYLE: &str = r#"
body{margin:0;background:#ededed;color:rgba(0,0,0,.9);font-family:-apple-system,BlinkMacSystemFont,"PingFang SC","Microsoft YaHei",sans-serif;font-size:17px}
.banner{background:#fff3cd;color:#7a5b00;font-size:13px;text-align:center;padding:6px}
.card{max-width:420px;margin:24px auto;background:#fff;border-radius:12px;padding:28px 24px;text-align:center}
h1{font-size:20px;margin:0 0 8px} p{color:rgba(0,0,0,.55);font-size:15px}
.btn{display:block;width:100%;margin:12px 0 0;padding:12px;border:0;border-radius:8px;font-size:17px;font-weight:600;cursor:pointer;text-decoration:none}
.primary{background:#07c160;color:#fff} .default{background:#f2f2f2;color:#07c160}
.persona{display:flex;align-items:center;gap:12px;text-align:left;padding:10px;border-radius:8px;border:1px solid rgba(0,0,0,.1);margin:8px 0}
.persona img{width:40px;height:40px;border-radius:6px} .qr svg{width:220px;height:220px}
.error{color:#fa5151} .amount{font-size:40px;font-weight:600;margin:8px 0 16px}
.rows{text-align:left;font-size:15px;color:rgba(0,0,0,.55)} .rows div{display:flex;justify-content:space-between;padding:6px 0}
"#;

/// A whole page around `body`, with a banner saying it is the sandbox.
pub fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{STYLE}</style></head><body><div class="banner">wxgate 微信沙盒 · WeChat sandbox — not WeChat</div>
<div class="card">{body}</div></body></html>"#,
        title = escape(title),
    )
}

/// The Content-Security-Policy of the sandbox's pages inside `wxgate serve`, where they are this site's pages:
/// scripts only from files of this site (no inline script), the inline style sheet by its hash, images from this
/// site or data URLs (the personas' avatars), framed only by this site (the login page's QR frame).
pub fn content_security_policy() -> String {
    let digest = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    format!(
        "default-src 'self'; script-src 'self'; style-src 'sha256-{digest}'; img-src 'self' data:; \
         frame-ancestors 'self'; object-src 'none'; base-uri 'self'"
    )
}

/// An inline SVG QR code of `text`.
pub fn qr_svg(text: &str) -> String {
    crate::qr::svg(text).unwrap_or_else(|| format!("<p class=\"error\">{}</p>", escape(text)))
}

/// Radio buttons to choose a persona (`name="persona"`), the one with id `checked` selected.
pub fn persona_choices(personas: &[Persona], checked: &str) -> String {
    personas
        .iter()
        .map(|persona| {
            format!(
                r#"<label class="persona"><input type="radio" name="persona" value="{id}" {checked}><img src="{avatar}" alt=""><span>{nickname}</span></label>"#,
                id = escape(&persona.id),
                checked = if persona.id == checked { "checked" } else { "" },
                avatar = escape(&persona.avatar_url),
                nickname = escape(&persona.nickname),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_hash_of_the_style_sheet_pages_carry() {
        let page = page("t", "<p>b</p>");
        let inline = page
            .split_once("<style>")
            .and_then(|(_, rest)| rest.split_once("</style>"))
            .map(|(style, _)| style)
            .expect("an inline style sheet");
        let digest =
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(inline.as_bytes()));
        assert!(content_security_policy().contains(&format!("style-src 'sha256-{digest}'")));
    }
}

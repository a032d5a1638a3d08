//! QR codes drawn as SVG, for the sandbox's pages and for wxgate's Native checkout (which draws its code with this one).

use qrcode::render::svg;
use qrcode::QrCode;

/// `text` as a QR code, an `<svg>` document at least 220 pixels wide; `None` if it is too long for a QR code.
pub fn svg(text: &str) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(220, 220)
            .quiet_zone(true)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn draws_a_code_url() {
        let drawn = super::svg("weixin://wxpay/bizpayurl?pr=abc123").expect("fits");
        assert!(drawn.contains("<svg") && drawn.contains("</svg>"));
    }
}

//! An uploaded avatar checked by its content, never by the name or type the upload claims: the file's signature
//! must be JPEG's, PNG's or WebP's, and its header must parse to dimensions within bounds.
//!
//! Signatures: JPEG `FF D8 FF` (ITU T.81 SOI marker and the next marker), PNG's eight bytes (RFC 2083 §3.1), WebP's
//! RIFF container with the `WEBP` form type (RFC 9649 §2).

use super::ProfileError;

/// The largest avatar accepted, in bytes.
pub const MAX_AVATAR_BYTES: usize = 1024 * 1024;
/// The longest side accepted, in pixels.
pub const MAX_SIDE: usize = 4096;

/// The formats an avatar may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Jpeg,
    Png,
    Webp,
}

impl ImageKind {
    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
            ImageKind::Webp => "image/webp",
        }
    }

    fn of(bytes: &[u8]) -> Option<ImageKind> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageKind::Png)
        } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
            Some(ImageKind::Webp)
        } else {
            None
        }
    }
}

/// The image's format, once its size, signature and dimensions pass.
pub fn check(bytes: &[u8]) -> Result<ImageKind, ProfileError> {
    if bytes.len() > MAX_AVATAR_BYTES {
        return Err(ProfileError::TooLarge(MAX_AVATAR_BYTES));
    }
    let kind = ImageKind::of(bytes).ok_or(ProfileError::UnsupportedImage(
        "its content is not one of them",
    ))?;
    let size = imagesize::blob_size(bytes)
        .map_err(|_| ProfileError::UnsupportedImage("its header does not parse"))?;
    if size.width == 0 || size.height == 0 || size.width > MAX_SIDE || size.height > MAX_SIDE {
        return Err(ProfileError::UnsupportedImage(
            "its sides must be 1 to 4096 pixels",
        ));
    }
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1×1 PNG.
    const PIXEL_PNG: &[u8] = include_bytes!("testdata/pixel.png");

    #[test]
    fn a_png_passes_and_is_named_by_its_content() {
        assert_eq!(check(PIXEL_PNG).ok(), Some(ImageKind::Png));
    }

    #[test]
    fn text_claiming_to_be_an_image_and_a_bare_signature_are_refused() {
        assert!(matches!(
            check(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            Err(ProfileError::UnsupportedImage(_))
        ));
        assert!(matches!(
            check(b"\x89PNG\r\n\x1a\n"),
            Err(ProfileError::UnsupportedImage(_))
        ));
    }

    #[test]
    fn a_file_past_the_bound_is_too_large_before_anything_reads_it() {
        assert!(matches!(
            check(&vec![0; MAX_AVATAR_BYTES + 1]),
            Err(ProfileError::TooLarge(_))
        ));
    }
}

//! The JSON encoding of server functions' answers, read as text in the browser.
//!
//! The same as server_fn's `JsonEncoding` on the wire (`application/json`, written by `serde_json::to_vec`), but
//! decoded with `serde_json::from_str`: the browser also reads resources and island props from text, so each
//! answer type's decoder is compiled into the wasm once instead of once per kind of input.

use leptos::server_fn::codec::Post;
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::de::{DeserializeOwned, Error as _};
use serde::Serialize;

/// Serializes with `serde_json`, and decodes from the body as UTF-8 text.
pub struct JsonTextEncoding;

/// Server functions' arguments sent and answers received as JSON in the body of a `POST` request.
pub type JsonText = Post<JsonTextEncoding>;

impl ContentType for JsonTextEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonTextEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonTextEncoding {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonTextEncoding {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(serde_json::Error::custom)?;
        serde_json::from_str(text)
    }
}

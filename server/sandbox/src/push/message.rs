//! A pushed message written out as WeChat writes it: XML (`<xml>`, text in CDATA, numbers bare) or JSON.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// 数据格式.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Xml,
    Json,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xml => "text/xml",
            Format::Json => "application/json",
        }
    }
}

/// `fields` in `format`; nested objects become nested elements in XML.
pub fn render(fields: &Map<String, Value>, format: Format) -> String {
    match format {
        Format::Json => Value::Object(fields.clone()).to_string(),
        Format::Xml => {
            let mut xml = String::from("<xml>");
            write_elements(&mut xml, fields);
            xml.push_str("</xml>");
            xml
        }
    }
}

fn write_elements(xml: &mut String, fields: &Map<String, Value>) {
    for (name, value) in fields {
        xml.push_str(&format!("<{name}>"));
        match value {
            Value::Object(nested) => write_elements(xml, nested),
            Value::Number(number) => xml.push_str(&number.to_string()),
            Value::String(text) => xml.push_str(&cdata(text)),
            other => xml.push_str(&cdata(&other.to_string())),
        }
        xml.push_str(&format!("</{name}>"));
    }
}

/// `text` in CDATA sections; a `]]>` inside is split across two, as XML requires.
fn cdata(text: &str) -> String {
    format!("<![CDATA[{}]]>", text.replace("]]>", "]]]]><![CDATA[>"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn xml_is_written_as_wechat_writes_it() {
        let fields = json!({"ToUserName": "gh_1", "CreateTime": 12, "Event": "a]]>b"});
        let Value::Object(fields) = fields else {
            panic!("an object")
        };
        assert_eq!(
            render(&fields, Format::Xml),
            "<xml><CreateTime>12</CreateTime><Event><![CDATA[a]]]]><![CDATA[>b]]></Event><ToUserName><![CDATA[gh_1]]></ToUserName></xml>"
        );
        let parsed = wechat::push::message::PushMessage::parse(
            render(&fields, Format::Xml).as_bytes(),
            wechat::push::message::Format::Xml,
        )
        .expect("wxgate reads it");
        assert_eq!(parsed.get("Event"), Some("a]]>b"));
    }
}

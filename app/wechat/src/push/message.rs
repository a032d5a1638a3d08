//! A pushed message read into its fields, whichever format the app chose: XML (`<xml><ToUserName>…`, CDATA or
//! plain text) or JSON (mini programs may choose it). Nested fields are named by their path (`a.b`), so the
//! trade-management events' nested data reads the same from both formats.
//!
//! Docs: 接收事件推送 <https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_event_pushes.html>;
//! WeChat retries a message it got no answer to in 5 s three times, and says to recognise a repeat by `MsgId`, or
//! for events by `FromUserName` + `CreateTime` (see [`PushMessage::repeat_key`]).

use std::collections::BTreeMap;

use serde_json::Value;

/// How the app's console was set: 数据格式 XML or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xml,
    Json,
}

/// Fields nested deeper than this are refused.
const MAX_DEPTH: usize = 4;
/// A message with more fields than this is refused.
const MAX_FIELDS: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("the message is not well-formed {0}")]
    Malformed(&'static str),
    #[error("the message's root must be <xml> (or a JSON object)")]
    NotAMessage,
    #[error("the message nests deeper or has more fields than a WeChat message does")]
    TooLarge,
}

/// A message's fields by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushMessage {
    fields: BTreeMap<String, String>,
}

impl PushMessage {
    /// Reads `body` in `format`.
    pub fn parse(body: &[u8], format: Format) -> Result<PushMessage, MessageError> {
        let mut message = PushMessage::default();
        match format {
            Format::Xml => {
                let text = std::str::from_utf8(body).map_err(|_| MessageError::Malformed("XML"))?;
                // roxmltree refuses DTDs (and so entity expansion) by default.
                let document =
                    roxmltree::Document::parse(text).map_err(|_| MessageError::Malformed("XML"))?;
                let root = document.root_element();
                if root.tag_name().name() != "xml" {
                    return Err(MessageError::NotAMessage);
                }
                message.read_xml(root, "", 1)?;
            }
            Format::Json => {
                let value: Value =
                    serde_json::from_slice(body).map_err(|_| MessageError::Malformed("JSON"))?;
                if !value.is_object() {
                    return Err(MessageError::NotAMessage);
                }
                message.read_json(&value, "", 1)?;
            }
        }
        Ok(message)
    }

    fn keep(&mut self, name: String, value: String) -> Result<(), MessageError> {
        if self.fields.len() >= MAX_FIELDS {
            return Err(MessageError::TooLarge);
        }
        self.fields.insert(name, value);
        Ok(())
    }

    fn read_xml(&mut self, node: roxmltree::Node, prefix: &str, depth: usize) -> Result<(), MessageError> {
        if depth > MAX_DEPTH {
            return Err(MessageError::TooLarge);
        }
        for child in node.children().filter(roxmltree::Node::is_element) {
            let name = format!("{prefix}{}", child.tag_name().name());
            if child.children().any(|grandchild| grandchild.is_element()) {
                self.read_xml(child, &format!("{name}."), depth + 1)?;
            } else {
                let text: String = child.children().filter_map(|text| text.text()).collect();
                self.keep(name, text)?;
            }
        }
        Ok(())
    }

    fn read_json(&mut self, value: &Value, prefix: &str, depth: usize) -> Result<(), MessageError> {
        if depth > MAX_DEPTH {
            return Err(MessageError::TooLarge);
        }
        let Some(object) = value.as_object() else {
            return Ok(());
        };
        for (key, value) in object {
            let name = format!("{prefix}{key}");
            match value {
                Value::Object(_) => self.read_json(value, &format!("{name}."), depth + 1)?,
                Value::String(text) => self.keep(name, text.clone())?,
                Value::Null => {}
                other => self.keep(name, other.to_string())?,
            }
        }
        Ok(())
    }

    /// The field `name` (a nested one by its path, `a.b`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// The app the message is for: its original id (`gh_…`), or in safe mode's envelope the appid.
    pub fn to_user_name(&self) -> Option<&str> {
        self.get("ToUserName")
    }

    /// The person's openid.
    pub fn from_user_name(&self) -> Option<&str> {
        self.get("FromUserName")
    }

    /// `event`, `text`, …
    pub fn msg_type(&self) -> Option<&str> {
        self.get("MsgType")
    }

    /// The event of an `event` message: `subscribe`, `SCAN`, `trade_manage_order_settlement`, …
    pub fn event(&self) -> Option<&str> {
        self.get("Event")
    }

    /// Unix seconds.
    pub fn create_time(&self) -> Option<i64> {
        self.get("CreateTime")?.trim().parse().ok()
    }

    /// Safe mode's `Encrypt` field: the real message, encrypted.
    pub fn encrypted(&self) -> Option<&str> {
        self.get("Encrypt")
    }

    /// What tells a repeat from a new message, as WeChat says to: the `MsgId`, or for an event its sender, time
    /// and event. `None` when the message has neither.
    pub fn repeat_key(&self) -> Option<String> {
        if let Some(id) = self.get("MsgId").filter(|id| !id.is_empty()) {
            return Some(format!("msg:{id}"));
        }
        let from = self.from_user_name()?;
        let time = self.create_time()?;
        Some(format!("event:{from}:{time}:{}", self.event().unwrap_or_default()))
    }

    /// Every field, by name.
    pub fn fields(&self) -> &BTreeMap<String, String> {
        &self.fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBSCRIBE: &str = "<xml><ToUserName><![CDATA[gh_123456789abc]]></ToUserName>\
        <FromUserName><![CDATA[oOPENID]]></FromUserName><CreateTime>1700000000</CreateTime>\
        <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event></xml>";

    #[test]
    fn an_xml_event_reads_with_cdata_and_plain_text() {
        let message = PushMessage::parse(SUBSCRIBE.as_bytes(), Format::Xml).expect("parses");
        assert_eq!(message.to_user_name(), Some("gh_123456789abc"));
        assert_eq!(message.from_user_name(), Some("oOPENID"));
        assert_eq!(message.msg_type(), Some("event"));
        assert_eq!(message.event(), Some("subscribe"));
        assert_eq!(message.create_time(), Some(1_700_000_000));
        assert_eq!(
            message.repeat_key().as_deref(),
            Some("event:oOPENID:1700000000:subscribe")
        );
    }

    #[test]
    fn json_and_xml_name_nested_fields_alike() {
        let json = br#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1700000001,"MsgType":"event",
            "Event":"trade_manage_order_settlement","transaction_id":"4200","confirm_receive_method":1,
            "settlement":{"estimated_settlement_time":1700000900}}"#;
        let xml = b"<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1700000001</CreateTime>\
            <MsgType>event</MsgType><Event>trade_manage_order_settlement</Event><transaction_id>4200</transaction_id>\
            <confirm_receive_method>1</confirm_receive_method>\
            <settlement><estimated_settlement_time>1700000900</estimated_settlement_time></settlement></xml>";
        let from_json = PushMessage::parse(json, Format::Json).expect("JSON");
        let from_xml = PushMessage::parse(xml, Format::Xml).expect("XML");
        assert_eq!(from_json, from_xml);
        assert_eq!(from_json.get("settlement.estimated_settlement_time"), Some("1700000900"));
        assert_eq!(from_json.get("confirm_receive_method"), Some("1"));
    }

    #[test]
    fn a_message_id_tells_repeats_apart() {
        let text = b"<xml><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>\
            <Content>hi</Content><MsgId>23456</MsgId></xml>";
        let message = PushMessage::parse(text, Format::Xml).expect("parses");
        assert_eq!(message.repeat_key().as_deref(), Some("msg:23456"));
    }

    #[test]
    fn what_is_not_a_message_is_refused() {
        assert_eq!(
            PushMessage::parse(b"<root/>", Format::Xml),
            Err(MessageError::NotAMessage)
        );
        assert_eq!(
            PushMessage::parse(b"<xml><a>", Format::Xml),
            Err(MessageError::Malformed("XML"))
        );
        let entities = b"<!DOCTYPE xml [<!ENTITY a \"aaaa\">]><xml><A>&a;</A></xml>";
        assert!(PushMessage::parse(entities, Format::Xml).is_err(), "no DTD");
        assert_eq!(PushMessage::parse(b"[1]", Format::Json), Err(MessageError::NotAMessage));
        let deep = b"<xml><a><b><c><d><e>1</e></d></c></b></a></xml>";
        assert_eq!(PushMessage::parse(deep, Format::Xml), Err(MessageError::TooLarge));
    }
}

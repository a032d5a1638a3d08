//! WeChat's message push (消息推送) for official accounts and mini programs: [`crypto`] checks its signatures and
//! decrypts safe mode, [`message`] reads a message in either format (XML, or JSON for mini programs that chose it).

pub mod crypto;
pub mod message;

pub use crypto::{msg_signature, signature, signature_matches, PushError, PushKey};
pub use message::{Format, MessageError, PushMessage};

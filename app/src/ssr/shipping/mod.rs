//! Shipping information for mini-program payments (小程序发货信息管理): a trade-managed mini program's money is held
//! by WeChat until the merchant reports how the goods went out and the buyer confirms receipt.
//!
//! A mini-program order marked paid gets its shipment in the same transaction (`db::shipments`). [`upload`] reports
//! due shipments to WeChat (virtual goods at once, physical goods once [`dispatch`] has an admin's express details),
//! asking first whether the mini program is trade-managed at all ([`managed`], cached), and retries failures with
//! backoff; [`desk`] is what one process shares: the nudge that a shipment is due and WeChat's express companies.
//!
//! Doc: 发货信息管理服务
//! <https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/order-shipping/order-shipping.html>.

pub mod desk;
pub mod dispatch;
pub mod error;
pub mod managed;
pub mod upload;

pub use desk::ShippingDesk;
pub use error::ShippingError;

//! Money: whole fen (分, a hundredth of a yuan) from the database to the page, as one type. WeChat Pay counts in
//! unsigned fen (`amount.total`, `amount.refund`: <https://pay.weixin.qq.com/doc/v3/merchant/4012791856>); the
//! only conversion is [`Fen::to_wechat`], where wxgate sends an amount or compares one WeChat Pay reported.

use std::fmt;
use std::iter::Sum;

use serde::{Deserialize, Serialize};

/// An amount of fen; on the wire and in storage the plain integer.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Fen(i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub const fn new(fen: i64) -> Fen {
        Fen(fen)
    }

    /// The integer, as a database column of fen holds it.
    pub const fn get(self) -> i64 {
        self.0
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    pub fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }

    /// `quantity` of something costing this much.
    pub fn times(self, quantity: i64) -> Option<Fen> {
        self.0.checked_mul(quantity).map(Fen)
    }

    /// The amount as WeChat Pay takes it; `None` for a negative amount, which it has no way to say.
    pub fn to_wechat(self) -> Option<u64> {
        u64::try_from(self.0).ok()
    }

    /// As yuan with two decimals, e.g. 6800 → "68.00".
    pub fn yuan(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let fen = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", fen / 100, fen % 100)
    }

    /// Yuan as a person types them ("68", "68.5", "0.01"); `None` for anything else, or more than two decimals.
    pub fn from_yuan(text: &str) -> Option<Fen> {
        let text = text.trim();
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
        if whole.is_empty()
            || whole.len() > 9
            || fraction.len() > 2
            || !digits(whole)
            || !digits(fraction)
        {
            return None;
        }
        let whole: i64 = whole.parse().ok()?;
        let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
        Some(Fen(whole * 100 + fraction))
    }
}

/// The plain number of fen, as logs and findings print amounts.
impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A total that saturates rather than wraps (no real sum of wxgate's amounts comes near either end).
impl Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(amounts: I) -> Fen {
        Fen(amounts.fold(0i64, |total, amount| total.saturating_add(amount.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::Fen;

    #[test]
    fn typed_yuan_read_as_fen() {
        assert_eq!(Fen::from_yuan("68"), Some(Fen::new(6800)));
        assert_eq!(Fen::from_yuan(" 68.5 "), Some(Fen::new(6850)));
        assert_eq!(Fen::from_yuan("12.8"), Some(Fen::new(1280)));
        assert_eq!(Fen::from_yuan("0.01"), Some(Fen::new(1)));
        assert_eq!(Fen::from_yuan("1."), Some(Fen::new(100)));
        for wrong in ["", ".5", "1.234", "-1", "1e3", "abc", "1,00", "9999999999"] {
            assert_eq!(Fen::from_yuan(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn fen_read_as_yuan() {
        assert_eq!(Fen::new(6800).yuan(), "68.00");
        assert_eq!(Fen::new(1).yuan(), "0.01");
        assert_eq!(Fen::new(123_456).yuan(), "1234.56");
        assert_eq!(Fen::new(-250).yuan(), "-2.50");
    }

    #[test]
    fn only_amounts_wechat_pay_can_say_cross_to_it() {
        assert_eq!(Fen::new(12_800).to_wechat(), Some(12_800));
        assert_eq!(Fen::new(-1).to_wechat(), None);
    }

    #[test]
    fn amounts_cross_the_wire_as_plain_fen() {
        assert_eq!(
            serde_json::to_value(Fen::new(6800)).ok(),
            Some(serde_json::json!(6800))
        );
        assert_eq!(
            [Fen::new(100), Fen::new(250)].into_iter().sum::<Fen>(),
            Fen::new(350)
        );
    }
}

//! The cause of a failure inside wxgate (its database, its session store, the signer, a bill it could not read),
//! kept whole for the log with its sources; pages and API clients are only told that the server failed.

use std::error::Error;
use std::fmt;

/// What made wxgate fail: the error itself, so its sources stay reachable, or what wxgate noticed, in a sentence.
#[derive(Debug)]
pub struct Cause(Box<dyn Error + Send + Sync>);

impl Cause {
    /// An error (its sources kept) or a sentence.
    pub fn new(cause: impl Into<Box<dyn Error + Send + Sync>>) -> Cause {
        Cause(cause.into())
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Error for Cause {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}

/// `error` and every source under it, joined by ": ", as the log keeps a failure.
pub fn chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let said = inner.to_string();
        // An error that prints its source in its own message (`failed: {0}`) is not told twice.
        if !text.ends_with(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("the bill could not be read")]
    struct Outer(#[source] Cause);

    #[test]
    fn a_cause_keeps_its_sources_for_the_log() {
        let unreadable = String::from_utf8(vec![0xff]).expect_err("not UTF-8");
        let outer = Outer(Cause::new(unreadable));
        let told = chain(&outer);
        assert!(
            told.starts_with("the bill could not be read: invalid utf-8"),
            "{told}"
        );
        assert_eq!(
            chain(&Outer(Cause::new("no bill yet"))),
            "the bill could not be read: no bill yet"
        );
    }

    #[test]
    fn a_source_already_in_the_message_is_not_repeated() {
        #[derive(Debug, thiserror::Error)]
        #[error("could not be applied: {0}")]
        struct Quoting(#[source] Cause);
        assert_eq!(
            chain(&Quoting(Cause::new("the database is locked"))),
            "could not be applied: the database is locked"
        );
    }
}

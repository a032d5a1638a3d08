//! The environment variables wxgate reads, captured once so validation is a pure function of them.

use std::collections::HashMap;

/// A snapshot of environment variables. Blank values count as unset.
#[derive(Debug, Default, Clone)]
pub struct Vars(HashMap<String, String>);

impl Vars {
    /// Captures the process environment (after `.env` has been loaded into it).
    pub fn from_env() -> Vars {
        Vars(std::env::vars().collect())
    }

    /// Builds a snapshot from explicit pairs, for tests and tools.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vars {
        Vars(
            pairs
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect(),
        )
    }

    /// These variables with `overlay` laid over them (the overlay wins).
    pub fn with<'a>(&self, overlay: impl IntoIterator<Item = (&'a str, String)>) -> Vars {
        let mut merged = self.0.clone();
        merged.extend(
            overlay
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value)),
        );
        Vars(merged)
    }

    /// The trimmed value of `name`, or `None` when it is unset or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
    }
}

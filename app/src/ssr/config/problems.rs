//! The list of configuration problems found at start-up, reported together in one message.

use std::fmt;

/// Every problem found while reading the configuration; each names the variable to fix, never a secret's value.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Problems(Vec<String>);

impl Problems {
    /// Records that `variable` is wrong, and why.
    pub fn push(&mut self, variable: &str, why: impl fmt::Display) {
        self.push_plain(format!("{variable}: {why}"));
    }

    /// Records a problem that is not about one variable (for example an unreachable database).
    /// A problem already recorded (two products sharing one variable) is kept once.
    pub fn push_plain(&mut self, problem: impl Into<String>) {
        let problem = problem.into();
        if !self.0.contains(&problem) {
            self.0.push(problem);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.len();
        let noun = if count == 1 { "problem" } else { "problems" };
        writeln!(
            f,
            "wxgate cannot start: {count} configuration {noun} to fix:"
        )?;
        for problem in &self.0 {
            writeln!(f, "  - {problem}")?;
        }
        write!(f, "Run `wxgate doctor` to check the configuration again.")
    }
}

impl std::error::Error for Problems {}

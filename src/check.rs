//! Diagnostics of rule files: `accord rules check` and every command that loads rules.
//!
//! Loading rules ([`crate::rules`]) never stops at the first problem: it collects a
//! [`Diagnostic`] for each one, with the file, line and column it comes from and a one-line
//! hint, then refuses the rules if any is an error. Warnings name what is legal but most
//! likely a mistake (a captured group no fact uses, a slot whose type the predicate only
//! partly takes); they never stop a run. This module holds the diagnostic type, how one is
//! printed, and the check itself, which is the loader run for its diagnostics alone.

use std::fmt;
use std::path::Path;

use crate::rules::{self, RulesError};

/// How bad a problem is: an error refuses the rules, a warning only tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One problem of a rule file, at a place in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    /// One-based line and column (in characters) of the place.
    pub line: usize,
    pub column: usize,
    pub severity: Severity,
    /// What is wrong, lower-case, no trailing period.
    pub message: String,
    /// What to do about it, one line.
    pub hint: String,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:column`, the place as the messages of other diagnostics cite it.
    pub fn place(&self) -> String {
        format!("{}:{}:{}", self.file, self.line, self.column)
    }

    /// The diagnostic and its hint on the next line, as `accord rules check` prints them.
    pub fn with_hint(&self) -> String {
        format!("{self}\n  hint: {}", self.hint)
    }
}

/// `file:line:column: error: message`.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.place(), self.severity, self.message)
    }
}

/// Every diagnostic of a set of rule files, in the order of the files and places.
#[derive(Debug, Default)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    /// How many files were read.
    pub files: usize,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }

    /// `2 errors, 1 warning in 19 files`.
    pub fn summary(&self) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        format!(
            "{}, {} in {}",
            plural(self.errors(), "error"),
            plural(self.warnings(), "warning"),
            plural(self.files, "file")
        )
    }
}

/// Checks the rules compiled into the binary.
pub fn check_embedded() -> Report {
    report(rules::embedded_files())
}

/// Checks every `*.toml` under `dir`. Fails only when the folder or a file cannot be read.
pub fn check_dir(dir: &Path) -> Result<Report, RulesError> {
    Ok(report(rules::read_dir_files(dir)?))
}

fn report(files: Vec<(String, String)>) -> Report {
    let count = files.len();
    let (_, mut diagnostics) = rules::load(files);
    sort(&mut diagnostics);
    Report {
        diagnostics,
        files: count,
    }
}

/// Sorts diagnostics by file, then place, then errors before warnings; the loader finds
/// them in the order of its passes.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.severity).cmp(&(&b.file, b.line, b.column, b.severity))
    });
}

//! Shared helpers: the compiled rules, the repository root, running the built binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use accord::eval::{self, Outcome};
use accord::rules::Rules;

pub fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| Rules::from_dir(&root().join("rules")).expect("shipped rules compile"))
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `accord` with `args` in `dir`.
pub fn accord(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("accord runs")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The traps an outcome fell into, one line each (`line N: ! S p O`).
pub fn trap_lines(o: &Outcome) -> String {
    o.traps
        .iter()
        .map(|e| {
            format!(
                "line {}: ! {} {} {}",
                e.line, e.subject, e.predicate, e.object
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Evaluates one `.facts` file whose cases are documents of their own: the merged outcome and
/// the number of cases.
pub fn evaluate_cases(path: &Path) -> (Outcome, usize) {
    let parsed = eval::parse(
        &std::fs::read_to_string(path).unwrap(),
        &path.display().to_string(),
    )
    .unwrap();
    let mut total = Outcome::default();
    for (_, o) in eval::evaluate(rules(), &parsed, &root()).unwrap() {
        total.merge(o);
    }
    (total, parsed.cases.len())
}

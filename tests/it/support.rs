//! Shared helpers: the compiled rules, the repository root, running the built binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
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

/// Runs `accord` with `args` in `dir`, `input` on its standard input.
pub fn accord_with_input(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("accord runs");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Written from a thread: accord may write before it has read all of its input, or stop
    // without reading it (a broken pipe here, which its own output tells).
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("accord ends");
    let _ = writer.join().unwrap();
    out
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

/// The cases of a `.facts` file whose cases are documents of their own, as `accord eval`
/// reads them: each case's paragraphs, then its `date:` as the date line under the text. Keys
/// name the folder, the file and the case (`genre-dates-3`), so the cases of several files are
/// distinct documents.
pub fn case_documents(path: &Path) -> Vec<accord::read::Document> {
    let name = |p: Option<&std::ffi::OsStr>| p.unwrap().to_string_lossy().into_owned();
    let prefix = format!(
        "{}-{}",
        name(path.parent().and_then(Path::file_name)),
        name(path.file_stem())
    );
    let parsed = eval::parse(
        &std::fs::read_to_string(path).unwrap(),
        &path.display().to_string(),
    )
    .unwrap();
    assert!(
        parsed.documents.is_empty(),
        "{}: cases of % documents",
        path.display()
    );
    parsed
        .cases
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let text = match &case.date {
                Some(date) => {
                    let [y, m, d] = date
                        .splitn(3, '-')
                        .map(|p| p.parse::<u32>().unwrap())
                        .collect::<Vec<_>>()[..]
                    else {
                        panic!("{}:{}: bad date {date:?}", path.display(), case.line)
                    };
                    format!("{}\n{y}年{m}月{d}日", case.text)
                }
                None => case.text.clone(),
            };
            accord::read::decode(&format!("{prefix}-{}", i + 1), "case", text.as_bytes()).unwrap()
        })
        .collect()
}

/// The `.facts` files of a folder, sorted.
pub fn facts_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|f| f.extension().is_some_and(|e| e == "facts"))
        .collect();
    files.sort();
    files
}

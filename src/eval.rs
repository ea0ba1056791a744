//! Compares extracted facts with facts written by hand (`.facts` files, see
//! `tests/data/README.md`) and counts, per predicate, what was found, wrong and missed.
//!
//! The same code serves the tests and `accord eval`, which writes the accuracy report.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::graph::{self, DocGraph, Entity};
use crate::read::{self, Document};
use crate::recognize::Target;
use crate::rules::{Pattern, Rules, Surface};
use crate::{Extraction, extract};

/// One `@` case of a `.facts` file.
#[derive(Clone, Debug)]
pub struct Case {
    pub text: String,
    pub line: usize,
    /// Document date for texts that give a day without a year (`date: 2022-09-16`).
    pub date: Option<String>,
    pub facts: Vec<Expected>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    pub subject: String,
    pub predicate: String,
    pub object: String,
    /// A trap: this fact must not be extracted.
    pub negative: bool,
    pub line: usize,
}

/// A `.facts` file that cannot be used: each error names the file and, where there is one,
/// the line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FactsError {
    #[error("{file}:{line}: {message}")]
    Syntax {
        file: String,
        line: usize,
        message: String,
    },
    /// Without a case a file would measure nothing and report precision and recall 1.
    #[error("{file}: no case (`@ text` line) in this file")]
    NoCase { file: String },
    #[error("{file}:{line}: document {document:?} not found in {folder} or a folder above it")]
    DocumentNotFound {
        file: String,
        line: usize,
        document: String,
        folder: String,
    },
    #[error("{file}:{line}: {error}")]
    Read {
        file: String,
        line: usize,
        error: read::ReadError,
    },
}

/// A `% document PATH` line: a document the cases are sentences of.
#[derive(Clone, Debug)]
pub struct DocumentRef {
    /// The path as written, relative to the `.facts` file's folder (or a folder above it).
    pub path: String,
    pub line: usize,
}

#[derive(Clone, Debug, Default)]
pub struct FactsFile {
    /// The name errors and reports give the file (its path).
    pub name: String,
    /// Documents the cases are sentences of (`% document PATH`); empty when every case is a
    /// document of its own.
    pub documents: Vec<DocumentRef>,
    pub cases: Vec<Case>,
}

/// Parses a `.facts` file; a line that is none of the forms of `tests/data/README.md`, and a
/// file without a case, are errors.
pub fn parse(text: &str, name: &str) -> Result<FactsFile, FactsError> {
    let mut file = FactsFile {
        name: name.to_string(),
        ..FactsFile::default()
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        parse_line(&mut file, line, n + 1).map_err(|message| FactsError::Syntax {
            file: name.to_string(),
            line: n + 1,
            message,
        })?;
    }
    if file.cases.is_empty() {
        return Err(FactsError::NoCase {
            file: name.to_string(),
        });
    }
    Ok(file)
}

fn parse_line(file: &mut FactsFile, line: &str, number: usize) -> Result<(), String> {
    if let Some(rest) = line.strip_prefix('%') {
        let path = rest
            .trim()
            .strip_prefix("document")
            .filter(|p| p.starts_with(char::is_whitespace))
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| format!("expected `% document PATH`, found {line:?}"))?;
        file.documents.push(DocumentRef {
            path: path.to_string(),
            line: number,
        });
    } else if let Some(text) = line.strip_prefix('@') {
        if text.trim().is_empty() {
            return Err("empty case: write its text after `@`".into());
        }
        file.cases.push(Case {
            text: text.trim().to_string(),
            line: number,
            date: None,
            facts: Vec::new(),
        });
    } else if let Some(more) = line.strip_prefix('+') {
        let case = last_case(file, "`+` paragraph")?;
        case.text.push('\n');
        case.text.push_str(more.trim());
    } else if let Some(date) = line.strip_prefix("date:") {
        let date = date.trim();
        date_line(date)?;
        last_case(file, "date")?.date = Some(date.to_string());
    } else {
        let fact = parse_fact(line, number)?;
        last_case(file, "fact")?.facts.push(fact);
    }
    Ok(())
}

/// The case a `+`, `date:` or fact line belongs to.
fn last_case<'a>(file: &'a mut FactsFile, what: &str) -> Result<&'a mut Case, String> {
    let case = file.cases.last_mut();
    case.ok_or_else(|| format!("{what} before any case (`@ text`)"))
}

/// `S predicate O`, or `! S predicate O` for a trap.
fn parse_fact(line: &str, number: usize) -> Result<Expected, String> {
    let (negative, body) = match line.strip_prefix('!') {
        Some(rest) => (true, rest.trim()),
        None => (false, line),
    };
    let parts: Vec<&str> = body.split_whitespace().collect();
    let [subject, predicate, object] = parts[..] else {
        return Err(format!(
            "expected `subject predicate object`, found {body:?}"
        ));
    };
    if !crate::rules::PREDICATES.contains(&predicate) {
        return Err(format!("unknown predicate {predicate:?}"));
    }
    Ok(Expected {
        subject: subject.into(),
        predicate: predicate.into(),
        object: object.into(),
        negative,
        line: number,
    })
}

/// An extracted fact, with names for display and for matching.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    pub subject: Name,
    pub predicate: String,
    pub object: Name,
    pub sentence: String,
    pub rule: String,
}

/// How an entity or literal can be named in a `.facts` file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Name {
    /// The name shown in reports.
    pub display: String,
    /// Every form that names it (normalised).
    pub forms: Vec<String>,
}

impl Name {
    /// A name written without `@date` names an event of any date: a case that is a document
    /// of its own rarely holds two meetings of one name.
    /// A name that opens with its year (`2024年中非合作论坛峰会`) names the event of that label
    /// dated in that year (`中非合作论坛峰会@2024-09-04`): the graph keeps the year as its date.
    /// A person written with initials before the name (`埃·拉赫蒙`) is the person of that name.
    fn matches(&self, rules: &Rules, written: &str) -> bool {
        let w = normal(rules, written);
        let of_year = leading_year(&w);
        let bare = without_initials(&w);
        self.forms.iter().any(|f| {
            *f == w
                || bare.is_some_and(|b| f == b)
                || (!w.contains('@')
                    && f.split_once('@').is_some_and(|(label, date)| {
                        label == w
                            || of_year
                                .is_some_and(|(year, rest)| label == rest && date.starts_with(year))
                    }))
        })
    }
}

/// Typography and spaces removed, organisation abbreviations expanded: what two spellings of
/// one name share.
fn normal(rules: &Rules, s: &str) -> String {
    // Names get the repairs the text gets (`澜沧江-湄公河` → `澜沧江—湄公河`); dates stay ISO.
    // Regional words too: a name written as a Taiwan paper has it (视讯峰会) is the name the
    // extractor gives (视频峰会).
    let key = |label: &str| {
        let clean = crate::normalize::normalize(label).text;
        let clean = graph::without_notes(&rules.regional.apply(&clean));
        graph::canonical_key(rules, &clean)
    };
    if is_iso_date(s) {
        return s.to_string();
    }
    match s.split_once('@') {
        Some((label, date)) => format!("{}@{date}", key(label)),
        None => key(s),
    }
}

/// `拉赫蒙` of `埃·拉赫蒙`: the name after one or more initials of one or two characters.
fn without_initials(name: &str) -> Option<&str> {
    let mut rest = name;
    while let Some((initial, after)) = rest.split_once('·')
        && (1..=2).contains(&initial.chars().count())
        && !after.is_empty()
    {
        rest = after;
    }
    (rest != name).then_some(rest)
}

/// `("2024", "中非合作论坛峰会")` of `2024年中非合作论坛峰会`.
fn leading_year(name: &str) -> Option<(&str, &str)> {
    let (year, rest) = name.split_at_checked(4)?;
    let rest = rest.strip_prefix('年')?;
    (year.bytes().all(|b| b.is_ascii_digit()) && !rest.is_empty()).then_some((year, rest))
}

/// `2019`, `2019-06` or `2019-06-14`.
fn is_iso_date(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_digit() || c == '-')
        && s.as_bytes()[0].is_ascii_digit()
}

/// Facts of an extraction, named.
pub fn found_facts(rules: &Rules, g: &DocGraph) -> Vec<Found> {
    let name = |i: petgraph::graph::NodeIndex| {
        let mut n = entity_name(rules, &g.graph[i]);
        // `$document` names the text's own document, whatever its title (a copy without a
        // title line names it by its file); its title names it too.
        if i == g.document {
            n.display = crate::rules::DOCUMENT_SLOT.to_string();
            n.forms.push(n.display.clone());
        }
        // Other names the graph gives it (`skos:altLabel`) name it too.
        for (_, a) in g.aliases.iter().filter(|(j, _)| *j == i) {
            n.forms.push(normal(rules, a));
        }
        n
    };
    let mut out = Vec::new();
    for e in g.graph.edge_indices() {
        let (s, o) = g.graph.edge_endpoints(e).expect("edge");
        let edge = &g.graph[e];
        out.push(Found {
            subject: name(s),
            predicate: edge.predicate.clone(),
            object: name(o),
            sentence: g.sentences[edge.sentence].text.clone(),
            rule: edge.rule.clone(),
        });
    }
    for (n, edge, date) in &g.dated {
        let d = date.to_string();
        out.push(Found {
            subject: name(*n),
            predicate: edge.predicate.clone(),
            object: Name {
                display: d.clone(),
                forms: vec![d],
            },
            sentence: g.sentences[edge.sentence].text.clone(),
            rule: edge.rule.clone(),
        });
    }
    out.sort();
    // The same fact from two rules is one fact.
    out.dedup_by(|a, b| {
        a.subject == b.subject
            && a.predicate == b.predicate
            && a.object == b.object
            && a.sentence == b.sentence
    });
    out
}

fn entity_name(rules: &Rules, e: &Entity) -> Name {
    match e {
        Entity::Known(i) => {
            let ent = &rules.entities[*i];
            let mut forms: Vec<String> = std::iter::once(ent.key.clone())
                .chain(std::iter::once(ent.zh.clone()))
                .chain(ent.aliases.iter().cloned())
                .chain(ent.en.iter().cloned())
                .chain(sides_of(rules, *i))
                .map(|f| normal(rules, &f))
                .collect();
            forms.sort();
            forms.dedup();
            Name {
                display: ent.zh.clone(),
                forms,
            }
        }
        Entity::Found { path, label, .. } => {
            let key = path.split_once('/').map_or(path.as_str(), |(_, k)| k);
            let date = key.split_once('@').map(|(_, d)| d);
            let dated = |l: String| match date {
                Some(d) => format!("{l}@{d}"),
                None => l,
            };
            // The form is made from the label as written: expanding abbreviations inside a
            // bracketed note (`上海合作组织（上合组织）成员国…`) would break the name around it.
            Name {
                display: dated(graph::canonical_key(rules, label)),
                forms: vec![normal(rules, &dated(label.clone()))],
            }
        }
        Entity::Group { .. } => {
            let mut forms: Vec<String> = rules
                .surfaces
                .iter()
                .filter(|(_, s)| matches!(s, Surface::Group { .. }))
                .map(|(t, _)| normal(rules, t))
                .collect();
            // A collective side (阿方 of the Arab states) is a group too.
            let side = rules.parties.side.as_deref().unwrap_or_default();
            forms.extend(
                rules
                    .parties
                    .collective_sides
                    .keys()
                    .map(|c| normal(rules, &format!("{c}{side}"))),
            );
            forms.sort();
            Name {
                display: rules.group_label.clone(),
                forms,
            }
        }
    }
}

/// The sides a state is written as where its initial names several states (`乌方`).
fn sides_of(rules: &Rules, state: usize) -> Vec<String> {
    let parties = &rules.parties;
    let Some(side) = &parties.side else {
        return Vec::new();
    };
    parties
        .initials
        .keys()
        .filter(|&&c| {
            parties
                .side_candidates(c)
                .is_some_and(|s| s.contains(&state))
        })
        .map(|c| format!("{c}{side}"))
        .collect()
}

/// Counts for one predicate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub correct: usize,
    pub wrong: usize,
    pub missed: usize,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        ratio(self.correct, self.correct + self.wrong)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.correct, self.correct + self.missed)
    }
    fn add(&mut self, o: Counts) {
        self.correct += o.correct;
        self.wrong += o.wrong;
        self.missed += o.missed;
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// The outcome of comparing one document (or case) with its expected facts.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub by_predicate: BTreeMap<String, Counts>,
    /// Extracted facts no case expects (with their sentence).
    pub wrong: Vec<Found>,
    /// For each wrong fact, the line of the case its sentence belongs to (0: none).
    pub wrong_cases: Vec<usize>,
    /// Expected facts not extracted.
    pub missed: Vec<Expected>,
    /// Traps fallen into: `!` facts that were extracted.
    pub traps: Vec<Expected>,
    /// Cases whose text is not in the document: their facts and traps are not counted, so a
    /// mistyped case must show here rather than vanish.
    pub absent: Vec<Case>,
    /// Entities the expected facts name (dates aside), and how many of them the text's
    /// mentions name as a typed entity.
    pub entities_named: usize,
    pub entities_typed: usize,
}

impl Outcome {
    pub fn total(&self) -> Counts {
        let mut t = Counts::default();
        for c in self.by_predicate.values() {
            t.add(*c);
        }
        t
    }

    pub fn merge(&mut self, o: Outcome) {
        for (p, c) in o.by_predicate {
            self.by_predicate.entry(p).or_default().add(c);
        }
        self.wrong.extend(o.wrong);
        self.wrong_cases.extend(o.wrong_cases);
        self.missed.extend(o.missed);
        self.traps.extend(o.traps);
        self.absent.extend(o.absent);
        self.entities_named += o.entities_named;
        self.entities_typed += o.entities_typed;
    }

    /// Share of the named entities that come out typed.
    pub fn typed_share(&self) -> f64 {
        ratio(self.entities_typed, self.entities_named)
    }
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Compares the facts of one document with cases that name sentences of it. A found fact is
/// correct when a case whose text lies in the fact's sentence expects it.
pub fn compare(rules: &Rules, found: &[Found], cases: &[&Case], whole_text: &str) -> Outcome {
    let mut out = Outcome::default();
    let text = squeeze(whole_text);
    let (present, absent): (Vec<&&Case>, Vec<&&Case>) =
        cases.iter().partition(|c| text.contains(&squeeze(&c.text)));
    out.absent = absent.into_iter().map(|c| (*c).clone()).collect();
    let matches = |f: &Found, e: &Expected| {
        f.predicate == e.predicate
            && f.subject.matches(rules, &e.subject)
            && f.object.matches(rules, &e.object)
    };
    let in_sentence = |f: &Found, c: &Case| {
        squeeze(&f.sentence).contains(&squeeze(&c.text))
            || squeeze(&c.text).contains(&squeeze(&f.sentence))
    };
    for f in found {
        let expected = present
            .iter()
            .any(|c| in_sentence(f, c) && c.facts.iter().any(|e| !e.negative && matches(f, e)));
        let counts = out.by_predicate.entry(f.predicate.clone()).or_default();
        if expected {
            counts.correct += 1;
        } else {
            counts.wrong += 1;
            out.wrong.push(f.clone());
            out.wrong_cases.push(
                present
                    .iter()
                    .find(|c| in_sentence(f, c))
                    .map_or(0, |c| c.line),
            );
        }
    }
    for c in &present {
        for e in &c.facts {
            let hit = found.iter().any(|f| in_sentence(f, c) && matches(f, e));
            match (e.negative, hit) {
                (false, false) => {
                    out.by_predicate
                        .entry(e.predicate.clone())
                        .or_default()
                        .missed += 1;
                    out.missed.push(e.clone());
                }
                (true, true) => out.traps.push(e.clone()),
                _ => {}
            }
        }
    }
    out
}

/// Counts the entities the expected facts of `cases` name and how many of them the mentions of
/// the extraction name: what share of the named entities accord types at all.
fn count_typed(rules: &Rules, x: &Extraction, cases: &[&Case]) -> (usize, usize) {
    let mut named: Vec<String> = cases
        .iter()
        .flat_map(|c| c.facts.iter().filter(|e| !e.negative))
        .flat_map(|e| [&e.subject, &e.object])
        .filter(|n| !is_iso_date(n))
        .map(|n| normal(rules, n.split_once('@').map_or(n.as_str(), |(l, _)| l)))
        .collect();
    named.sort();
    named.dedup();
    let mut forms: Vec<String> = Vec::new();
    for m in x.mentions.iter().flatten() {
        match &m.target {
            Target::Entity(i) => forms.extend(entity_name(rules, &Entity::Known(*i)).forms),
            Target::Parties(states) => {
                for &i in states {
                    forms.extend(entity_name(rules, &Entity::Known(i)).forms);
                }
            }
            Target::Text(label) => forms.push(normal(rules, label)),
            Target::Group { .. } => forms.extend(
                entity_name(
                    rules,
                    &Entity::Group {
                        path: String::new(),
                        of: None,
                        participants: false,
                    },
                )
                .forms,
            ),
            _ => {}
        }
    }
    let typed = named.iter().filter(|n| forms.contains(n)).count();
    (named.len(), typed)
}

/// Extracts a document and names its facts.
pub fn run_document(rules: &Rules, doc: Document) -> (Extraction, Vec<Found>) {
    let x = extract(rules, doc);
    let g = x.graph(rules);
    let found = found_facts(rules, &g);
    (x, found)
}

/// Evaluates a `.facts` file: against its `% document`s, or each case as a document. `folder`
/// is the `.facts` file's folder: document paths resolve against it, or against the nearest
/// folder above it that holds them, never against the working folder.
pub fn evaluate(
    rules: &Rules,
    file: &FactsFile,
    folder: &Path,
) -> Result<Vec<(String, Outcome)>, FactsError> {
    if file.documents.is_empty() {
        return Ok(vec![(String::new(), evaluate_cases(rules, file)?)]);
    }
    let cases: Vec<&Case> = file.cases.iter().collect();
    let mut results = Vec::new();
    for d in &file.documents {
        let read_error = |error| FactsError::Read {
            file: file.name.clone(),
            line: d.line,
            error,
        };
        let doc = read::read_file(&locate(file, d, folder)?).map_err(read_error)?;
        let (x, found) = run_document(rules, doc);
        let text: String = x
            .segmented
            .paragraphs
            .iter()
            .map(|p| p.text.as_str())
            .collect();
        let mut outcome = compare(rules, &found, &cases, &text);
        // Entities of cases the text does not hold are not the text's to type.
        let present: Vec<&Case> = cases
            .iter()
            .copied()
            .filter(|c| outcome.absent.iter().all(|a| a.line != c.line))
            .collect();
        (outcome.entities_named, outcome.entities_typed) = count_typed(rules, &x, &present);
        results.push((d.path.clone(), outcome));
    }
    Ok(results)
}

/// Each case is a document of its own.
fn evaluate_cases(rules: &Rules, file: &FactsFile) -> Result<Outcome, FactsError> {
    let mut total = Outcome::default();
    for (i, case) in file.cases.iter().enumerate() {
        let syntax = |message| FactsError::Syntax {
            file: file.name.clone(),
            line: case.line,
            message,
        };
        // The document date goes under the text as the date line of a signature block.
        let text = match &case.date {
            Some(d) => format!("{}\n{}", case.text, date_line(d).map_err(syntax)?),
            None => case.text.clone(),
        };
        let doc =
            read::decode(&format!("case-{}", i + 1), "case", text.as_bytes()).map_err(|error| {
                FactsError::Read {
                    file: file.name.clone(),
                    line: case.line,
                    error,
                }
            })?;
        let (x, found) = run_document(rules, doc);
        // The case is the whole document: compare in the clean (simplified) text.
        let clean = clean_text(&x);
        let case = Case {
            text: clean.clone(),
            ..case.clone()
        };
        let mut outcome = compare(rules, &found, &[&case], &clean);
        (outcome.entities_named, outcome.entities_typed) = count_typed(rules, &x, &[&case]);
        total.merge(outcome);
    }
    Ok(total)
}

/// The file a `% document` line names: its path from `folder` or, for a file kept beside the
/// `.facts` files' tree (a corpus at the root of a project), from the nearest folder above.
/// `folder` is made absolute first, so the working folder never takes part.
fn locate(file: &FactsFile, d: &DocumentRef, folder: &Path) -> Result<PathBuf, FactsError> {
    let folder = std::path::absolute(folder).unwrap_or_else(|_| folder.to_path_buf());
    folder
        .ancestors()
        .map(|dir| dir.join(&d.path))
        .find(|p| p.is_file())
        .ok_or_else(|| FactsError::DocumentNotFound {
            file: file.name.clone(),
            line: d.line,
            document: d.path.clone(),
            folder: folder.display().to_string(),
        })
}

/// `2022-09-16` → `2022年9月16日`.
fn date_line(iso: &str) -> Result<String, String> {
    use chrono::Datelike;
    let d = chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .map_err(|_| format!("bad date {iso:?}: write YYYY-MM-DD"))?;
    Ok(format!("{}年{}月{}日", d.year(), d.month(), d.day()))
}

/// One line per evaluated file, then one per folder of several files (a set), then a total when
/// the files are in several folders: facts correct,
/// wrong and missed, precision, recall, traps fallen into, share of named entities typed, and
/// cases whose text is not in the document (not counted).
pub fn summary(sections: &[(String, String, Outcome)]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<66} {:>7} {:>6} {:>6} {:>9} {:>6} {:>5} {:>6} {:>6}",
        "set", "correct", "wrong", "missed", "precision", "recall", "traps", "typed", "absent"
    );
    let mut row = |name: &str, o: &Outcome| {
        let t = o.total();
        let _ = writeln!(
            s,
            "{name:<66} {:>7} {:>6} {:>6} {:>9.3} {:>6.3} {:>5} {:>6.3} {:>6}",
            t.correct,
            t.wrong,
            t.missed,
            t.precision(),
            t.recall(),
            o.traps.len(),
            o.typed_share(),
            o.absent.len()
        );
    };
    for (_, title, o) in sections {
        row(title, o);
    }
    let mut sets: BTreeMap<&str, (usize, Outcome)> = BTreeMap::new();
    for (set, _, o) in sections {
        let entry = sets.entry(set).or_default();
        entry.0 += 1;
        entry.1.merge(o.clone());
    }
    let several = sets.len() > 1;
    let mut total = Outcome::default();
    for (set, (n, o)) in sets {
        if several {
            total.merge(o.clone());
        }
        if n > 1 {
            row(&format!("{set}/ (all {n})"), &o);
        }
    }
    if several {
        row(&format!("total (all {})", sections.len()), &total);
    }
    let _ = writeln!(s);
    s
}

/// The accuracy report: per predicate, then the wrong and missed facts.
pub fn report(title: &str, o: &Outcome) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## {title}\n");
    let _ = writeln!(
        s,
        "{:<20} {:>7} {:>7} {:>7} {:>9} {:>7}",
        "predicate", "correct", "wrong", "missed", "precision", "recall"
    );
    for (p, c) in &o.by_predicate {
        let _ = writeln!(
            s,
            "{p:<20} {:>7} {:>7} {:>7} {:>9.3} {:>7.3}",
            c.correct,
            c.wrong,
            c.missed,
            c.precision(),
            c.recall()
        );
    }
    let t = o.total();
    let _ = writeln!(
        s,
        "{:<20} {:>7} {:>7} {:>7} {:>9.3} {:>7.3}",
        "all",
        t.correct,
        t.wrong,
        t.missed,
        t.precision(),
        t.recall()
    );
    let _ = writeln!(
        s,
        "\nentities named by the expected facts: {}, typed by accord: {} ({:.3})",
        o.entities_named,
        o.entities_typed,
        o.typed_share()
    );
    write_absent(&mut s, &o.absent);
    let _ = writeln!(s, "\ntraps fallen into: {}", o.traps.len());
    for e in &o.traps {
        let _ = writeln!(
            s,
            "  ! {} {} {}    (line {})",
            e.subject, e.predicate, e.object, e.line
        );
    }
    let _ = writeln!(s, "\nwrong facts: {}", o.wrong.len());
    for (f, line) in o.wrong.iter().zip(&o.wrong_cases) {
        let case = if *line > 0 {
            format!(" (case at line {line})")
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "  {} {} {}    [{}]{case} {}",
            f.subject.display, f.predicate, f.object.display, f.rule, f.sentence
        );
    }
    let _ = writeln!(s, "\nmissed facts: {}", o.missed.len());
    for e in &o.missed {
        let _ = writeln!(
            s,
            "  {} {} {}    (line {})",
            e.subject, e.predicate, e.object, e.line
        );
    }
    s
}

/// Cases not found in the text, with what was not counted because of them.
fn write_absent(s: &mut String, absent: &[Case]) {
    let _ = writeln!(s, "\ncases not found in the text: {}", absent.len());
    for c in absent {
        let traps = c.facts.iter().filter(|e| e.negative).count();
        let _ = writeln!(
            s,
            "  line {}: {} facts and {traps} traps not counted: {}",
            c.line,
            c.facts.len() - traps,
            abridged(&c.text, 40)
        );
    }
}

/// The first `max` characters of a case's text (its first paragraph), `…` when cut.
pub fn abridged(text: &str, max: usize) -> String {
    let first = text.lines().next().unwrap_or_default();
    if first.chars().count() <= max && first.len() == text.len() {
        return first.to_string();
    }
    let mut cut: String = first.chars().take(max).collect();
    cut.push('…');
    cut
}

/// A rule whose own example or counterexample does not hold.
#[derive(Debug)]
pub struct RuleFailure {
    /// `file:line` of the rule.
    pub place: String,
    pub rule: String,
    /// `example` or `counterexample`.
    pub kind: &'static str,
    pub text: String,
    /// Facts the text gave that the example does not list (for a counterexample: the facts
    /// its rule gave).
    pub wrong: Vec<String>,
    /// Facts the example lists that the text did not give.
    pub missed: Vec<String>,
}

/// What running every rule's examples and counterexamples found.
#[derive(Debug, Default)]
pub struct RuleTests {
    pub examples: usize,
    pub counterexamples: usize,
    pub failures: Vec<RuleFailure>,
    /// Rules with no example (`file:line`, id): nothing shows what they are for or holds them.
    pub without_example: Vec<(String, String)>,
    /// Relation rules that match none of their own examples (`file:line`, id): the examples
    /// hold by other rules, and nothing shows this rule still works.
    pub never_fire: Vec<(String, String)>,
}

/// Runs every relation rule's examples (each text, extracted as a document of its own, gives
/// exactly the facts listed: no more, no fewer) and counterexamples (the rule gives nothing
/// from the text), so a rule author sees at once which rule a change broke and where it is.
pub fn test_rules(rules: &Rules) -> Result<RuleTests, String> {
    let mut out = RuleTests::default();
    let show = |f: &Found| format!("{} {} {}", f.subject.display, f.predicate, f.object.display);
    for r in &rules.relations {
        if r.examples.is_empty() {
            out.without_example.push((r.place.clone(), r.id.clone()));
        }
        let mut fired = false;
        for ex in &r.examples {
            out.examples += 1;
            let (x, found) = run_text(rules, &ex.text, true)?;
            fired |= x.trace.iter().any(|s| s.fired.contains(&r.id));
            // The example is the whole document: compare in the clean text, as a case.
            let clean = clean_text(&x);
            let case = example_case(&clean, &ex.facts)
                .map_err(|e| format!("{}: rule {}: {e}", r.place, r.id))?;
            let o = compare(rules, &found, &[&case], &clean);
            if !o.wrong.is_empty() || !o.missed.is_empty() {
                out.failures.push(RuleFailure {
                    place: r.place.clone(),
                    rule: r.id.clone(),
                    kind: "example",
                    text: ex.text.clone(),
                    wrong: o.wrong.iter().map(show).collect(),
                    missed: o
                        .missed
                        .iter()
                        .map(|e| format!("{} {} {}", e.subject, e.predicate, e.object))
                        .collect(),
                });
            }
        }
        if !fired && !r.examples.is_empty() {
            out.never_fire.push((r.place.clone(), r.id.clone()));
        }
        for text in &r.counterexamples {
            out.counterexamples += 1;
            let (_, found) = run_text(rules, text, false)?;
            let gave: Vec<String> = found.iter().filter(|f| f.rule == r.id).map(show).collect();
            if !gave.is_empty() {
                out.failures.push(RuleFailure {
                    place: r.place.clone(),
                    rule: r.id.clone(),
                    kind: "counterexample",
                    text: text.clone(),
                    wrong: gave,
                    missed: Vec::new(),
                });
            }
        }
    }
    for p in &rules.patterns {
        if p.examples.is_empty() {
            out.without_example.push((p.place.clone(), p.id.clone()));
        }
        test_pattern(rules, p, &mut out)?;
    }
    Ok(out)
}

/// A pattern's examples (the text gives exactly the mentions listed, by this pattern alone or
/// joined with another) and counterexamples (the pattern gives no mention in the text).
fn test_pattern(rules: &Rules, p: &Pattern, out: &mut RuleTests) -> Result<(), String> {
    let cases = p
        .examples
        .iter()
        .map(|ex| ("example", &ex.text, ex.mentions.as_slice()))
        .chain(
            p.counterexamples
                .iter()
                .map(|t| ("counterexample", t, &[][..])),
        );
    for (kind, text, listed) in cases {
        match kind {
            "example" => out.examples += 1,
            _ => out.counterexamples += 1,
        }
        let (x, _) = run_text(rules, text, false)?;
        let mut found = mentions_of(&x, &p.id);
        found.sort();
        let mut listed = listed.to_vec();
        listed.sort();
        let wrong = multiset_minus(&found, &listed);
        let missed = multiset_minus(&listed, &found);
        if !wrong.is_empty() || !missed.is_empty() {
            out.failures.push(RuleFailure {
                place: p.place.clone(),
                rule: p.id.clone(),
                kind,
                text: text.clone(),
                wrong,
                missed,
            });
        }
    }
    Ok(())
}

/// The texts of the mentions a pattern made in a document, alone or as part of a joined
/// mention (`a+b`).
fn mentions_of(x: &Extraction, pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (p, mentions) in x.segmented.paragraphs.iter().zip(&x.mentions) {
        let chars: Vec<char> = p.text.chars().collect();
        for m in mentions {
            if m.rule.split('+').any(|r| r == pattern) {
                out.push(chars[m.start..m.end].iter().collect());
            }
        }
    }
    out
}

/// The items of sorted `a` that sorted `b` does not have, counting repeats.
fn multiset_minus(a: &[String], b: &[String]) -> Vec<String> {
    let mut rest = b.iter().peekable();
    let mut out = Vec::new();
    for item in a {
        while rest.next_if(|r| *r < item).is_some() {}
        if rest.next_if(|r| *r == item).is_none() {
            out.push(item.clone());
        }
    }
    out
}

/// A document's text as the rules read it (simplified, asides cut), paragraph after paragraph.
fn clean_text(x: &Extraction) -> String {
    x.segmented
        .paragraphs
        .iter()
        .map(|p| p.text.as_str())
        .collect()
}

/// `traced`: keep which rules matched each sentence (`Extraction::trace`).
fn run_text(rules: &Rules, text: &str, traced: bool) -> Result<(Extraction, Vec<Found>), String> {
    let doc = read::decode("example", "example", text.as_bytes()).map_err(|e| e.to_string())?;
    if !traced {
        return Ok(run_document(rules, doc));
    }
    let x = crate::extract_traced(rules, doc);
    let found = found_facts(rules, &x.graph(rules));
    Ok((x, found))
}

/// The case an example stands for: its text, the facts it lists.
fn example_case(text: &str, facts: &[String]) -> Result<Case, String> {
    let facts = facts
        .iter()
        .map(|f| match f.split_whitespace().collect::<Vec<_>>()[..] {
            [s, p, o] => Ok(Expected {
                subject: s.into(),
                predicate: p.into(),
                object: o.into(),
                negative: false,
                line: 0,
            }),
            _ => Err(format!(
                "example fact {f:?} is not `subject predicate object`"
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Case {
        text: text.into(),
        line: 0,
        date: None,
        facts,
    })
}

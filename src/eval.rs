//! Compares extracted facts with facts written by hand (`.facts` files, see
//! `tests/data/README.md`) and counts, per predicate, what was found, wrong and missed.
//!
//! The same code serves the tests and `accord eval`, which writes the accuracy report.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::graph::{self, DocGraph, Entity};
use crate::read::{self, Document};
use crate::recognize::Target;
use crate::rules::{Rules, Surface};
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

#[derive(Clone, Debug, Default)]
pub struct FactsFile {
    /// Documents the cases are sentences of (`% document PATH`); empty when every case is a
    /// document of its own.
    pub documents: Vec<String>,
    pub cases: Vec<Case>,
}

pub fn parse(text: &str, name: &str) -> Result<FactsFile, String> {
    let mut file = FactsFile::default();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let at = || format!("{name}:{}", n + 1);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(doc) = line.strip_prefix("% document ") {
            file.documents.push(doc.trim().to_string());
        } else if let Some(text) = line.strip_prefix('@') {
            file.cases.push(Case {
                text: text.trim().to_string(),
                line: n + 1,
                date: None,
                facts: Vec::new(),
            });
        } else if let Some(more) = line.strip_prefix('+') {
            let case = file
                .cases
                .last_mut()
                .ok_or_else(|| format!("{}: `+` paragraph before any case", at()))?;
            case.text.push('\n');
            case.text.push_str(more.trim());
        } else if let Some(date) = line.strip_prefix("date:") {
            let case = file
                .cases
                .last_mut()
                .ok_or_else(|| format!("{}: date before any case", at()))?;
            case.date = Some(date.trim().to_string());
        } else {
            let case = file
                .cases
                .last_mut()
                .ok_or_else(|| format!("{}: fact before any case", at()))?;
            let (negative, body) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let parts: Vec<&str> = body.split_whitespace().collect();
            let [subject, predicate, object] = parts[..] else {
                return Err(format!(
                    "{}: expected `subject predicate object`, found {body:?}",
                    at()
                ));
            };
            if !crate::rules::PREDICATES.contains(&predicate) {
                return Err(format!("{}: unknown predicate {predicate:?}", at()));
            }
            case.facts.push(Expected {
                subject: subject.into(),
                predicate: predicate.into(),
                object: object.into(),
                negative,
                line: n + 1,
            });
        }
    }
    Ok(file)
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
    fn matches(&self, rules: &Rules, written: &str) -> bool {
        let w = normal(rules, written);
        self.forms.iter().any(|f| {
            *f == w || (!w.contains('@') && f.split_once('@').is_some_and(|(label, _)| label == w))
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
            let mut display = graph::canonical_key(rules, label);
            if let Some(d) = date {
                display = format!("{display}@{d}");
            }
            Name {
                display: display.clone(),
                forms: vec![normal(rules, &display)],
            }
        }
        Entity::Group { .. } => {
            let mut forms: Vec<String> = rules
                .surfaces
                .iter()
                .filter(|(_, s)| matches!(s, Surface::Group { .. }))
                .map(|(t, _)| normal(rules, t))
                .collect();
            forms.sort();
            Name {
                display: rules.group_label.clone(),
                forms,
            }
        }
    }
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
    /// Expected facts whose case text is not in the document (not counted).
    pub absent_cases: usize,
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
        self.absent_cases += o.absent_cases;
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
    let present: Vec<&&Case> = cases
        .iter()
        .filter(|c| text.contains(&squeeze(&c.text)))
        .collect();
    out.absent_cases = cases.len() - present.len();
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

/// Evaluates a `.facts` file: against its `% document`s, or each case as a document.
pub fn evaluate(
    rules: &Rules,
    file: &FactsFile,
    base: &Path,
) -> Result<Vec<(String, Outcome)>, String> {
    let mut results = Vec::new();
    if file.documents.is_empty() {
        let mut total = Outcome::default();
        for (i, case) in file.cases.iter().enumerate() {
            // The document date goes under the text as the date line of a signature block.
            let text = match &case.date {
                Some(d) => format!("{}\n{}", case.text, date_line(d)?),
                None => case.text.clone(),
            };
            let doc = read::decode(&format!("case-{}", i + 1), "case", text.as_bytes())
                .map_err(|e| e.to_string())?;
            let (x, found) = run_document(rules, doc);
            // The case is the whole document: compare in the clean (simplified) text.
            let clean: String = x
                .segmented
                .paragraphs
                .iter()
                .map(|p| p.text.as_str())
                .collect();
            let case = Case {
                text: clean.clone(),
                ..case.clone()
            };
            let mut outcome = compare(rules, &found, &[&case], &clean);
            (outcome.entities_named, outcome.entities_typed) = count_typed(rules, &x, &[&case]);
            total.merge(outcome);
        }
        results.push((String::new(), total));
    } else {
        let cases: Vec<&Case> = file.cases.iter().collect();
        for d in &file.documents {
            let doc = read::read_file(&base.join(d)).map_err(|e| e.to_string())?;
            let (x, found) = run_document(rules, doc);
            let text: String = x
                .segmented
                .paragraphs
                .iter()
                .map(|p| p.text.as_str())
                .collect();
            let mut outcome = compare(rules, &found, &cases, &text);
            (outcome.entities_named, outcome.entities_typed) = count_typed(rules, &x, &cases);
            results.push((d.clone(), outcome));
        }
    }
    Ok(results)
}

/// `2022-09-16` → `2022年9月16日`.
fn date_line(iso: &str) -> Result<String, String> {
    let parts: Vec<u32> = iso
        .split('-')
        .map(|p| p.parse().map_err(|_| format!("bad date {iso:?}")))
        .collect::<Result<_, _>>()?;
    match parts[..] {
        [y, m, d] => Ok(format!("{y}年{m}月{d}日")),
        _ => Err(format!("bad date {iso:?}: write YYYY-MM-DD")),
    }
}

/// One line per evaluated file, then one per folder of several files (a set): facts correct,
/// wrong and missed, precision, recall, traps fallen into, share of named entities typed.
pub fn summary(sections: &[(String, String, Outcome)]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<66} {:>7} {:>6} {:>6} {:>9} {:>6} {:>5} {:>6}",
        "set", "correct", "wrong", "missed", "precision", "recall", "traps", "typed"
    );
    let mut row = |name: &str, o: &Outcome| {
        let t = o.total();
        let _ = writeln!(
            s,
            "{name:<66} {:>7} {:>6} {:>6} {:>9.3} {:>6.3} {:>5} {:>6.3}",
            t.correct,
            t.wrong,
            t.missed,
            t.precision(),
            t.recall(),
            o.traps.len(),
            o.typed_share()
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
    for (set, (n, o)) in sets {
        if n > 1 {
            row(&format!("{set}/ (all {n})"), &o);
        }
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

//! Loads the rule files, validates them and compiles them once per run.
//!
//! Two phases, as for command-line flags: serde structs that mirror the TOML exactly, then a
//! compiled [`Rules`] (one Aho-Corasick automaton over every gazetteer surface, regexes built
//! once). Every error names the file, line and column it comes from. Nothing here knows any
//! entity or trigger word: all of that is in the files.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs;
use std::path::Path;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::Regex;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

/// The rule files compiled into the binary (`rules/` at build time).
const EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// What a mention is: an entity type, or a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    State,
    City,
    Place,
    Organization,
    Person,
    Document,
    Initiative,
    Event,
    Group,
    Date,
    /// An issue, threat or practice a text takes a stance on (`恐怖主义`, `缅甸局势`).
    Topic,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::State,
        Kind::City,
        Kind::Place,
        Kind::Organization,
        Kind::Person,
        Kind::Document,
        Kind::Initiative,
        Kind::Event,
        Kind::Group,
        Kind::Date,
        Kind::Topic,
    ];

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The class local name (`acc:State`), also the name used in rule files.
    pub fn name(self) -> &'static str {
        match self {
            Kind::State => "State",
            Kind::City => "City",
            Kind::Place => "Place",
            Kind::Organization => "Organization",
            Kind::Person => "Person",
            Kind::Document => "Document",
            Kind::Initiative => "Initiative",
            Kind::Event => "Event",
            Kind::Topic => "Topic",
            Kind::Group => "Group",
            Kind::Date => "Date",
        }
    }

    /// The IRI path segment of entities of this kind (`id/state/uzb`).
    pub fn segment(self) -> &'static str {
        match self {
            Kind::State => "state",
            Kind::City => "city",
            Kind::Place => "place",
            Kind::Organization => "org",
            Kind::Person => "person",
            Kind::Document => "document",
            Kind::Initiative => "initiative",
            Kind::Event => "event",
            Kind::Topic => "topic",
            Kind::Group => "group",
            Kind::Date => "date",
        }
    }

    pub fn is_entity(self) -> bool {
        self != Kind::Date
    }

    /// The private-use character that stands for a mention of this kind in the encoded
    /// sentences relation patterns run over.
    pub fn placeholder(self) -> char {
        char::from_u32(0xE000 + self as u32).expect("private-use range")
    }

    pub fn from_placeholder(c: char) -> Option<Kind> {
        let n = (c as u32).checked_sub(0xE000)?;
        Kind::ALL.get(n as usize).copied()
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The predicates of the vocabulary. Rule files name them by local name; a typo is an error.
pub const PREDICATES: &[&str] = &[
    "proposed",
    "supports",
    "welcomes",
    "notes",
    "appreciates",
    "regrets",
    "concernedAbout",
    "opposes",
    "condemns",
    "signedIn",
    "signedOn",
    "signedBy",
    "adoptedIn",
    "adoptedOn",
    "adoptedBy",
    "enteredIntoForceOn",
    "heldIn",
    "startDate",
    "endDate",
    "hostedBy",
    "locatedIn",
    "joined",
    "observerOf",
    "dialoguePartnerOf",
    "represents",
    "hasMember",
    "attended",
    "chaired",
];

/// Suffix of a fact's slot (`doc.dates`): the period written in that mention's own name
/// (`《2025—2027年…纲要》`), as a date.
pub const OWN_DATES: &str = ".dates";
/// Pseudo-predicate of rule files: a date slot gives `startDate` and `endDate`.
pub const DATED: &str = "dated";

/// Pseudo-predicates of rule files: a document adopted or signed at a meeting (`会议发表了《…》`)
/// takes the meeting's place and, for a one-day meeting, its day. Each is (pseudo-predicate,
/// place predicate, date predicate).
pub const AT_EVENT: &[(&str, &str, &str)] = &[
    ("adoptedAt", "adoptedIn", "adoptedOn"),
    ("signedAt", "signedIn", "signedOn"),
];

/// Pseudo-predicate of rule files: a document signed by the leaders of a meeting
/// (`六国元首共同签署《…》`): each person the document's facts say attended or chaired the meeting
/// signs it. The sentence names no signer, so only the meeting's facts can.
pub const SIGNED_BY_ATTENDEES: &str = "signedByAttendeesOf";

/// Pseudo-predicate of rule files: where a participant sits (`在东京主持…会议`). It is where the
/// meeting is held unless the document tells of a meeting online (the lexicon's `online`).
pub const SITS_IN: &str = "sitsIn";

/// Slot names of fact templates that no pattern group fills: the document's member-state
/// group, the document's organisation, and the sentence's subject (the group or states that
/// open the clause).
pub const GROUP_SLOT: &str = "$group";
pub const ORGANISATION_SLOT: &str = "$organisation";
pub const TOPIC_SLOT: &str = "$topic";
/// The last event named before the sentence, in the document (`…出席。` after the meeting).
pub const EVENT_SLOT: &str = "$event";
/// The text's own document (the declaration a signature block signs).
pub const DOCUMENT_SLOT: &str = "$document";
/// `of` value of group words that name the parties of a text.
const PARTICIPANTS: &str = "participants";
const SPECIAL_SLOTS: &[&str] = &[
    GROUP_SLOT,
    ORGANISATION_SLOT,
    TOPIC_SLOT,
    EVENT_SLOT,
    DOCUMENT_SLOT,
];

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RulesError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{}", .0.join("\n"))]
    Invalid(Vec<String>),
}

/// Whose group a group word names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupOf {
    /// The member states of the document's organisation (`成员国`).
    Document,
    /// The member states of this organisation (`上合组织成员国`).
    Organisation(usize),
    /// The parties of the text (`双方`, `与会领导人`).
    Participants,
}

/// A gazetteer entity after merging every file that mentions its key.
#[derive(Clone, Debug)]
pub struct Entity {
    pub key: String,
    pub kind: Kind,
    pub zh: String,
    pub en: Option<String>,
    pub aliases: Vec<String>,
    pub wikidata: Option<String>,
    pub country: Option<String>,
}

/// What a gazetteer surface stands for.
#[derive(Clone, Debug, PartialEq)]
pub enum Surface {
    Entity(usize),
    /// A word for a group of states (`成员国`, `双方`).
    Group {
        of: GroupOf,
    },
    /// A common word that holds a name but is none (`沿海地区` holds `海地`).
    Blocker,
}

#[derive(Debug)]
pub struct Pattern {
    pub id: String,
    pub kind: Kind,
    pub regex: Regex,
    pub priority: i32,
    /// Kinds of mentions cut off the start of this pattern's mention (`莫斯科上合组织…会议`
    /// is a city, then the meeting).
    pub trim: Vec<Kind>,
    /// A mention whose text matches this is no mention (a clause, not a name).
    pub reject: Option<Regex>,
    /// The mention refers back to the last event named (`出席会议`).
    pub anaphor: bool,
    /// The mention is only the end of a name: kept where an organisation before it makes the
    /// whole name (`博鳌论坛` + `年会`), dropped elsewhere.
    pub owned: bool,
}

#[derive(Debug, Default)]
pub struct Layout {
    pub page_markers: Vec<Regex>,
    pub datelines: Vec<Regex>,
    /// News datelines at the start or end of a paragraph (`新华社北京9月16日电`): cut off
    /// the running text, as they are neither place nor date of what it reports.
    pub dateline_affixes: Vec<Regex>,
    /// Asides cut out of the running text wherever they stand: a foreign name in brackets
    /// after its Chinese form (`普丁（Vladimir Putin）`).
    pub asides: Vec<Regex>,
    pub heading_max_chars: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Body,
    Signature,
}

#[derive(Clone, Debug)]
pub struct FactTemplate {
    pub subject: String,
    pub predicate: String,
    pub object: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub text: String,
    #[serde(default)]
    pub facts: Vec<String>,
}

#[derive(Debug)]
pub struct Relation {
    pub id: String,
    /// Where the rule is written (`file:line` of its id), for reports on it.
    pub place: String,
    pub regex: Regex,
    pub facts: Vec<FactTemplate>,
    pub create: Vec<(String, Kind)>,
    pub exclude: Option<Regex>,
    /// A match is dropped when the text of one of these slots matches its regex.
    pub reject: Vec<(String, Regex)>,
    pub role: Option<String>,
    pub replace: Option<String>,
    pub scope: Scope,
    pub examples: Vec<Example>,
    pub counterexamples: Vec<String>,
}

/// A count of parties written right after one-character names of states (`中俄双方`,
/// `中吉乌三国`): the parties are those states.
#[derive(Debug, Default)]
pub struct Parties {
    /// Count words and the number of parties each names, longest word first.
    pub counts: Vec<(String, usize)>,
    /// The states a character may name; more than one where it is ambiguous (巴).
    pub initials: HashMap<char, Vec<usize>>,
}

/// Everything compiled, ready for `recognize` and `relate`.
#[derive(Debug)]
pub struct Rules {
    pub entities: Vec<Entity>,
    pub surfaces: Vec<(String, Surface)>,
    pub automaton: AhoCorasick,
    /// Organisation surfaces only, with the organisation each names: expands abbreviations
    /// in the keys of entities found in text.
    pub organisations: (AhoCorasick, Vec<usize>),
    pub patterns: Vec<Pattern>,
    pub numerals: HashMap<char, u32>,
    /// In-text abbreviation definitions, read right after a mention (`（以下称“上合组织”）`):
    /// the groups `a` and `b` are the short forms.
    pub abbreviations: Vec<Regex>,
    pub list_separators: Vec<String>,
    /// Words between an organisation and its meeting that belong to the meeting's name.
    pub event_owner_gap: Option<Regex>,
    /// What joins a meeting's other party to its name (`欧盟—拉共体峰会`).
    pub event_partner_gap: Option<Regex>,
    /// How a sentence that announces a plan begins: it states dates and offices, no acts.
    pub plan_sentence: Option<Regex>,
    /// An undated meeting whose name matches this is one meeting in every document; other
    /// undated meetings are scoped to their document.
    pub event_global: Option<Regex>,
    /// The words of a meeting anaphor (`在峰会上`) that, with no meeting named before, name the
    /// document's own meeting; other anaphors with nothing before name nothing.
    pub unnamed_meeting: Option<Regex>,
    /// Names of bilateral talks (`会谈`): a meeting word (`会议`, `峰会`) or `$event` does not
    /// refer back to them.
    pub talks: Option<Regex>,
    /// A ceremony of a meeting (`中非合作论坛峰会开幕式`), whose group `meeting` names the meeting
    /// itself: a meeting word after it (`本次峰会`) refers back to that meeting.
    pub ceremony: Option<Regex>,
    /// Words that tell of a meeting held online: a document that has them gives no `heldIn`
    /// from where a participant sits.
    pub online: Option<Regex>,
    /// Taiwan and Hong Kong vocabulary for lines in traditional script.
    pub regional: crate::normalize::Regional,
    /// Counts of parties and the states one character names, for `中俄双方`.
    pub parties: Parties,
    /// Offices (`总统`, `总理`, …), longest first: `{offices}` in a regex stands for them.
    pub offices: Vec<String>,
    pub relations: Vec<Relation>,
    pub layout: Layout,
    /// Labels of group nodes: the first group word of the lexicon for member states, the
    /// first `of = "participants"` word for the parties of a text.
    pub group_label: String,
    pub participants_label: String,
    /// SHA-256 of every rule file, so a store knows which rules made it.
    pub hash: String,
    by_key: HashMap<String, usize>,
    surface_index: HashMap<String, usize>,
}

impl Rules {
    /// Whether a mention found by this rule id is an anaphor (`出席会议`).
    pub fn is_anaphor_rule(&self, rule: &str) -> bool {
        self.any_pattern(rule, |p| p.anaphor)
    }

    /// Whether a mention found by this rule id is only the end of a meeting's name (`峰会`
    /// after an organisation: an `owned` pattern).
    pub fn is_owned_rule(&self, rule: &str) -> bool {
        self.any_pattern(rule, |p| p.owned)
    }

    fn any_pattern(&self, id: &str, test: impl Fn(&Pattern) -> bool) -> bool {
        self.patterns.iter().any(|p| p.id == id && test(p))
    }

    /// The meeting a ceremony of this name belongs to (the lexicon's `ceremony`).
    pub fn meeting_of_ceremony<'a>(&self, name: &'a str) -> Option<&'a str> {
        let caps = self.ceremony.as_ref()?.captures(name)?;
        caps.name("meeting").map(|m| m.as_str())
    }

    /// Whether an event of this name is bilateral talks (the lexicon's `talks`).
    pub fn is_talks(&self, name: &str) -> bool {
        self.talks.as_ref().is_some_and(|re| re.is_match(name))
    }

    /// The rules compiled into the binary.
    pub fn embedded() -> Result<Rules, RulesError> {
        let files = EMBEDDED
            .iter()
            .map(|(p, c)| (format!("rules/{p}"), c.to_string()))
            .collect();
        compile(files)
    }

    /// Every `*.toml` under `dir`, read at run time.
    pub fn from_dir(dir: &Path) -> Result<Rules, RulesError> {
        let mut files = Vec::new();
        read_dir_sorted(dir, &mut files)?;
        if files.is_empty() {
            return Err(RulesError::Invalid(vec![format!(
                "{}: no rule files (*.toml) found",
                dir.display()
            )]));
        }
        compile(files)
    }

    pub fn entity_by_key(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
    }

    /// The entity a surface form names, if any (used to resolve test expectations too).
    pub fn lookup_surface(&self, text: &str) -> Option<&Surface> {
        self.surface_index.get(text).map(|&i| &self.surfaces[i].1)
    }
}

fn read_dir_sorted(dir: &Path, out: &mut Vec<(String, String)>) -> Result<(), RulesError> {
    let io = |source| RulesError::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(io)?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            read_dir_sorted(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            let content = fs::read_to_string(&path).map_err(|source| RulesError::Io {
                path: path.display().to_string(),
                source,
            })?;
            out.push((path.display().to_string(), content));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Raw files: serde mirrors of the TOML.

/// `[parties]` of the lexicon: `counts` of parties (`双方 = 2`) and `initials`, the
/// one-character names of states (`俄 = ["rus"]`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParties {
    counts: BTreeMap<String, usize>,
    initials: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    entity: Vec<RawEntity>,
    #[serde(default)]
    office: Vec<RawWord>,
    #[serde(default)]
    group: Vec<RawWord>,
    #[serde(default)]
    list_separators: Vec<String>,
    #[serde(default)]
    list_item_suffixes: Vec<String>,
    #[serde(default)]
    list_item_prefixes: Vec<String>,
    #[serde(default)]
    blockers: Vec<Spanned<String>>,
    #[serde(default)]
    abbreviation: Vec<RawAbbreviation>,
    #[serde(default)]
    pattern: Vec<RawPattern>,
    #[serde(default)]
    numerals: BTreeMap<String, u32>,
    /// Named regex fragments (`{place}`) that patterns and relations share.
    #[serde(default)]
    fragments: BTreeMap<String, String>,
    /// What may stand between an organisation and a meeting of its own (`领导人` in
    /// 金砖国家领导人第十一次会晤): the words join the meeting's name.
    event_owner_gap: Option<Spanned<String>>,
    /// What joins a meeting's other party to its name (a dash).
    event_partner_gap: Option<Spanned<String>>,
    /// What an unnamed item of a tolerant list may be (a regex).
    list_gap: Option<String>,
    /// How a sentence that announces a plan begins (`按计划`).
    plan_sentence: Option<Spanned<String>>,
    /// An undated meeting name that names one meeting everywhere (an ordinal with its body).
    event_global: Option<Spanned<String>>,
    /// Anaphor words that name the document's own meeting when none was named before.
    unnamed_meeting: Option<Spanned<String>>,
    /// Names of bilateral talks, which meeting words do not refer back to.
    talks: Option<Spanned<String>>,
    /// A ceremony of a meeting, with the meeting's name as group `meeting`.
    ceremony: Option<Spanned<String>>,
    /// Words that tell of a meeting held online (视频, 线上).
    online: Option<Spanned<String>>,
    /// Counts of parties and the one-character state names written before them (中俄双方).
    parties: Option<RawParties>,
    /// Taiwan and Hong Kong words and their mainland forms (`视讯 = "视频"`).
    #[serde(default)]
    regional: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    layout: Option<RawLayout>,
    #[serde(default)]
    relation: Vec<RawRelation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntity {
    id: Spanned<String>,
    #[serde(rename = "type")]
    kind: Option<Spanned<String>>,
    #[serde(default)]
    labels: RawLabels,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
    wikidata: Option<Spanned<String>>,
    country: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLabels {
    zh: Option<Spanned<String>>,
    en: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWord {
    zh: Spanned<String>,
    of: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPattern {
    id: String,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    regex: Spanned<String>,
    #[serde(default)]
    priority: i32,
    #[serde(default)]
    trim: Vec<Spanned<String>>,
    reject: Option<Spanned<String>>,
    #[serde(default)]
    anaphor: bool,
    #[serde(default)]
    owned: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAbbreviation {
    regex: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayout {
    #[serde(default)]
    page_markers: Vec<Spanned<String>>,
    #[serde(default)]
    datelines: Vec<Spanned<String>>,
    #[serde(default)]
    dateline_affixes: Vec<Spanned<String>>,
    #[serde(default)]
    asides: Vec<Spanned<String>>,
    heading_max_chars: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRelation {
    id: Spanned<String>,
    pattern: Spanned<String>,
    facts: Vec<Spanned<String>>,
    #[serde(default)]
    create: BTreeMap<String, Spanned<String>>,
    exclude: Option<Spanned<String>>,
    #[serde(default)]
    reject: BTreeMap<String, Spanned<String>>,
    role: Option<String>,
    replace: Option<Spanned<String>>,
    scope: Option<Spanned<String>>,
    #[serde(default)]
    examples: Vec<Example>,
    #[serde(default)]
    counterexamples: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Compilation.

/// Collects errors with their place, so one run reports every problem at once.
struct Diagnostics<'a> {
    file: &'a str,
    content: &'a str,
    errors: &'a mut Vec<String>,
}

impl Diagnostics<'_> {
    fn at(&mut self, span: std::ops::Range<usize>, message: impl fmt::Display) {
        let (line, col) = line_col(self.content, span.start);
        self.errors
            .push(format!("{}:{line}:{col}: {message}", self.file));
    }
}

/// One-based line and column (in characters) of a byte offset.
pub fn line_col(content: &str, offset: usize) -> (usize, usize) {
    let before = &content[..offset.min(content.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[derive(Default)]
struct Builder {
    entities: Vec<Entity>,
    by_key: HashMap<String, usize>,
    surfaces: Vec<(String, Surface)>,
    surface_index: HashMap<String, usize>,
    patterns: Vec<Pattern>,
    numerals: HashMap<char, u32>,
    list_separators: Vec<String>,
    list_item_suffixes: Vec<String>,
    list_item_prefixes: Vec<String>,
    offices: Vec<String>,
    fragments: Vec<(String, String)>,
    event_owner_gap: Option<Regex>,
    event_partner_gap: Option<Regex>,
    plan_sentence: Option<Regex>,
    event_global: Option<Regex>,
    unnamed_meeting: Option<Regex>,
    talks: Option<Regex>,
    ceremony: Option<Regex>,
    online: Option<Regex>,
    list_gap: Option<String>,
    regional: Vec<(String, String)>,
    parties: Parties,
    pending_initials: Vec<(char, Vec<String>, String)>,
    group_label: String,
    participants_label: String,
    relations: Vec<Relation>,
    layout: Layout,
    pending_groups: Vec<(String, Option<String>, String, std::ops::Range<usize>)>,
    pending_blockers: Vec<(String, String)>,
    abbreviations: Vec<Regex>,
}

fn compile(files: Vec<(String, String)>) -> Result<Rules, RulesError> {
    let mut errors = Vec::new();
    let mut hasher = Sha256::new();
    let mut parsed = Vec::new();
    for (path, content) in &files {
        hasher.update(path.as_bytes());
        hasher.update([0]);
        hasher.update(content.as_bytes());
        match toml::from_str::<RawFile>(content) {
            Ok(raw) => parsed.push((path, content, raw)),
            Err(e) => {
                let (line, col) = e.span().map_or((1, 1), |s| line_col(content, s.start));
                errors.push(format!("{path}:{line}:{col}: {}", e.message().trim_end()));
            }
        }
    }
    let mut b = Builder {
        layout: Layout {
            heading_max_chars: 16,
            ..Layout::default()
        },
        ..Builder::default()
    };
    // Entities first, so that patterns, words and relations can refer to them; entries that
    // only add to an entity defined elsewhere wait until every definition is read.
    let mut overlays = Vec::new();
    for (path, content, raw) in &mut parsed {
        let mut d = Diagnostics {
            file: path,
            content,
            errors: &mut errors,
        };
        for e in std::mem::take(&mut raw.entity) {
            let defines = e.kind.is_some() && e.labels.zh.is_some();
            if defines || b.by_key.contains_key(e.id.get_ref()) {
                b.add_entity(e, &mut d);
            } else {
                overlays.push((path.as_str(), content.as_str(), e));
            }
        }
    }
    for (path, content, e) in overlays {
        let mut d = Diagnostics {
            file: path,
            content,
            errors: &mut errors,
        };
        b.add_entity(e, &mut d);
    }
    for (path, content, raw) in &mut parsed {
        let mut d = Diagnostics {
            file: path,
            content,
            errors: &mut errors,
        };
        b.add_lexicon(raw, &mut d);
    }
    b.offices
        .sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
    for (path, content, raw) in &mut parsed {
        let mut d = Diagnostics {
            file: path,
            content,
            errors: &mut errors,
        };
        b.add_rules(std::mem::take(raw), &mut d);
    }
    b.resolve_groups(&mut errors);
    b.resolve_initials(&mut errors);
    for (text, place) in std::mem::take(&mut b.pending_blockers) {
        b.add_surface(&text, Surface::Blocker, &mut errors, &place);
    }
    b.add_entity_surfaces(&mut errors);
    if !errors.is_empty() {
        return Err(RulesError::Invalid(errors));
    }
    let automaton = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .kind(Some(AhoCorasickKind::DFA))
        .build(b.surfaces.iter().map(|(s, _)| s.as_str()))
        .map_err(|e| {
            RulesError::Invalid(vec![format!(
                "rules: cannot build the gazetteer automaton: {e}"
            )])
        })?;
    let organisations = organisation_automaton(&b.entities)?;
    Ok(Rules {
        organisations,
        entities: b.entities,
        surfaces: b.surfaces,
        automaton,
        patterns: b.patterns,
        numerals: b.numerals,
        abbreviations: b.abbreviations,
        list_separators: b.list_separators,
        event_owner_gap: b.event_owner_gap,
        event_partner_gap: b.event_partner_gap,
        plan_sentence: b.plan_sentence,
        event_global: b.event_global,
        unnamed_meeting: b.unnamed_meeting,
        talks: b.talks,
        ceremony: b.ceremony,
        online: b.online,
        regional: crate::normalize::Regional::new(&b.regional),
        parties: b.parties,
        offices: b.offices,
        relations: b.relations,
        layout: b.layout,
        hash: format!("{:x}", hasher.finalize()),
        by_key: b.by_key,
        surface_index: b.surface_index,
        group_label: b.group_label,
        participants_label: b.participants_label,
    })
}

fn organisation_automaton(entities: &[Entity]) -> Result<(AhoCorasick, Vec<usize>), RulesError> {
    let mut surfaces = Vec::new();
    for (i, e) in entities
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == Kind::Organization)
    {
        surfaces.extend(
            std::iter::once(&e.zh)
                .chain(&e.aliases)
                .map(|s| (s.clone(), i)),
        );
    }
    let automaton = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(surfaces.iter().map(|(s, _)| s.as_str()))
        .map_err(|e| {
            RulesError::Invalid(vec![format!(
                "rules: cannot build the organisation automaton: {e}"
            )])
        })?;
    Ok((automaton, surfaces.into_iter().map(|(_, i)| i).collect()))
}

impl Builder {
    fn add_entity(&mut self, raw: RawEntity, d: &mut Diagnostics) {
        let key = raw.id.get_ref().clone();
        if key.is_empty()
            || !key
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        {
            d.at(
                raw.id.span(),
                format_args!("entity id {key:?} must be lower-case ASCII letters, digits and _"),
            );
            return;
        }
        let kind = match &raw.kind {
            Some(k) => {
                match Kind::parse(k.get_ref()).filter(|k| k.is_entity() && *k != Kind::Group) {
                    Some(kind) => Some(kind),
                    None => {
                        return d.at(
                            k.span(),
                            format_args!("unknown entity type {:?}", k.get_ref()),
                        );
                    }
                }
            }
            None => None,
        };
        if let Some(w) = &raw.wikidata {
            let ok = w
                .get_ref()
                .strip_prefix('Q')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()));
            if !ok {
                return d.at(
                    w.span(),
                    format_args!("wikidata id {:?} is not of the form Q123", w.get_ref()),
                );
            }
        }
        let aliases = raw.aliases.iter().map(|a| a.get_ref().clone());
        if let Some(&i) = self.by_key.get(&key) {
            self.merge_entity(i, &raw, d);
            let existing = &mut self.entities[i];
            for a in aliases {
                if !existing.aliases.contains(&a) {
                    existing.aliases.push(a);
                }
            }
            return;
        }
        let (Some(kind), Some(zh)) = (kind, raw.labels.zh.as_ref()) else {
            return d.at(
                raw.id.span(),
                format_args!("entity {key:?} needs a type and labels.zh"),
            );
        };
        self.by_key.insert(key.clone(), self.entities.len());
        self.entities.push(Entity {
            key,
            kind,
            zh: zh.get_ref().clone(),
            en: raw.labels.en.clone(),
            aliases: aliases.collect(),
            wikidata: raw.wikidata.as_ref().map(|w| w.get_ref().clone()),
            country: raw.country.clone(),
        });
        self.check_surfaces(&raw, d);
    }

    /// A second entry for a known key may add aliases and fill gaps, never contradict.
    fn merge_entity(&mut self, i: usize, raw: &RawEntity, d: &mut Diagnostics) {
        let e = &mut self.entities[i];
        let key = e.key.clone();
        if let Some(k) = &raw.kind
            && Kind::parse(k.get_ref()) != Some(e.kind)
        {
            d.at(
                k.span(),
                format_args!("entity {key:?} is already a {}", e.kind),
            );
        }
        if let Some(zh) = &raw.labels.zh
            && zh.get_ref() != &e.zh
        {
            d.at(
                zh.span(),
                format_args!("entity {key:?} already has the label {:?}", e.zh),
            );
        }
        match (&raw.labels.en, &e.en) {
            (Some(new), Some(old)) if new != old => d.at(
                raw.id.span(),
                format_args!("entity {key:?} already has the English label {old:?}"),
            ),
            (Some(new), None) => e.en = Some(new.clone()),
            _ => {}
        }
        match (&raw.wikidata, &e.wikidata) {
            (Some(new), Some(old)) if new.get_ref() != old => d.at(
                new.span(),
                format_args!("entity {key:?} already has the Wikidata id {old}"),
            ),
            (Some(new), None) => e.wikidata = Some(new.get_ref().clone()),
            _ => {}
        }
        if e.country.is_none() {
            e.country = raw.country.clone();
        }
        self.check_surfaces(raw, d);
    }

    /// Surfaces are registered after all files are read; here only their shape is checked,
    /// with the place of the offending string.
    fn check_surfaces(&self, raw: &RawEntity, d: &mut Diagnostics) {
        for a in raw.aliases.iter().chain(raw.labels.zh.iter()) {
            if a.get_ref().chars().count() < 2 {
                d.at(
                    a.span(),
                    format_args!(
                        "surface {:?} is too short: one character matches everywhere",
                        a.get_ref()
                    ),
                );
            }
        }
    }

    fn add_surface(&mut self, text: &str, target: Surface, errors: &mut Vec<String>, place: &str) {
        if let Some(&i) = self.surface_index.get(text) {
            if self.surfaces[i].1 != target {
                errors.push(format!(
                    "{place}: surface {text:?} already names {}",
                    self.describe(&self.surfaces[i].1)
                ));
            }
            return;
        }
        self.surface_index
            .insert(text.to_string(), self.surfaces.len());
        self.surfaces.push((text.to_string(), target));
    }

    fn describe(&self, s: &Surface) -> String {
        match s {
            Surface::Entity(i) => format!("{} {}", self.entities[*i].kind, self.entities[*i].key),
            Surface::Group { .. } => "a group".into(),
            Surface::Blocker => "a blocker".into(),
        }
    }

    fn add_entity_surfaces(&mut self, errors: &mut Vec<String>) {
        for i in 0..self.entities.len() {
            let e = &self.entities[i];
            let place = format!("rules: entity {}", e.key);
            let forms: Vec<String> = std::iter::once(e.zh.clone())
                .chain(e.aliases.iter().cloned())
                .collect();
            for f in forms {
                self.add_surface(&f, Surface::Entity(i), errors, &place);
            }
        }
    }

    fn resolve_initials(&mut self, errors: &mut Vec<String>) {
        for (c, keys, place) in std::mem::take(&mut self.pending_initials) {
            let mut states = Vec::new();
            for key in keys {
                match self.by_key.get(&key) {
                    Some(&i) if self.entities[i].kind == Kind::State => states.push(i),
                    _ => errors.push(format!("{place}: initial {c:?}: no state with id {key:?}")),
                }
            }
            self.parties.initials.insert(c, states);
        }
    }

    fn resolve_groups(&mut self, errors: &mut Vec<String>) {
        for (zh, of, file, _) in std::mem::take(&mut self.pending_groups) {
            let of = match of.as_deref() {
                None => GroupOf::Document,
                Some(PARTICIPANTS) => GroupOf::Participants,
                Some(key) => match self.by_key.get(key) {
                    Some(&i) => GroupOf::Organisation(i),
                    None => {
                        errors.push(format!("{file}: group {zh:?}: no entity with id {key:?}"));
                        continue;
                    }
                },
            };
            let label = match of {
                GroupOf::Participants => &mut self.participants_label,
                _ => &mut self.group_label,
            };
            if label.is_empty() {
                *label = zh.clone();
            }
            self.add_surface(&zh, Surface::Group { of }, errors, &file);
        }
    }

    fn add_lexicon(&mut self, raw: &mut RawFile, d: &mut Diagnostics) {
        for w in std::mem::take(&mut raw.office) {
            self.offices.push(w.zh.into_inner());
        }
        for (name, fragment) in std::mem::take(&mut raw.fragments) {
            if name == "offices" || !name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                d.errors.push(format!(
                    "{}: fragment name {name:?}: use lower-case letters and `_`, not `offices`",
                    d.file
                ));
            } else {
                self.fragments.push((name, fragment));
            }
        }
        for w in std::mem::take(&mut raw.group) {
            let (line, col) = line_col(d.content, w.zh.span().start);
            let place = format!("{}:{line}:{col}", d.file);
            let of = w.of.map(|o| o.into_inner());
            self.pending_groups
                .push((w.zh.into_inner(), of, place, 0..0));
        }
        for (from, to) in std::mem::take(&mut raw.regional) {
            if from.chars().count() == to.get_ref().chars().count() {
                self.regional.push((from, to.into_inner()));
            } else {
                d.at(
                    to.span(),
                    format_args!(
                        "regional word {from:?}: its mainland form must have as many characters"
                    ),
                );
            }
        }
        if let Some(online) = raw.online.take() {
            self.online = compile_regex(&online, d);
        }
        if let Some(global) = raw.event_global.take() {
            self.event_global = compile_regex(&global, d);
        }
        if let Some(unnamed) = raw.unnamed_meeting.take() {
            self.unnamed_meeting = compile_whole(&unnamed, d);
        }
        if let Some(talks) = raw.talks.take() {
            self.talks = compile_regex(&talks, d);
        }
        if let Some(ceremony) = raw.ceremony.take() {
            self.ceremony = compile_regex(&ceremony, d);
        }
        if let Some(plan) = raw.plan_sentence.take() {
            self.plan_sentence = compile_regex(&plan, d);
        }
        if let Some(gap) = raw.list_gap.take() {
            self.list_gap = Some(gap);
        }
        if let Some(gap) = raw.event_partner_gap.take() {
            self.event_partner_gap = compile_whole(&gap, d);
        }
        if let Some(gap) = raw.event_owner_gap.take() {
            self.event_owner_gap = compile_whole(&gap, d);
        }
        self.list_separators
            .extend(std::mem::take(&mut raw.list_separators));
        self.list_item_suffixes
            .extend(std::mem::take(&mut raw.list_item_suffixes));
        self.list_item_prefixes
            .extend(std::mem::take(&mut raw.list_item_prefixes));
        for b in std::mem::take(&mut raw.blockers) {
            let (line, col) = line_col(d.content, b.span().start);
            let place = format!("{}:{line}:{col}", d.file);
            self.pending_blockers.push((b.into_inner(), place));
        }
        for (k, v) in std::mem::take(&mut raw.numerals) {
            let mut chars = k.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => {
                    self.numerals.insert(c, v);
                }
                _ => d
                    .errors
                    .push(format!("{}: numeral {k:?} must be one character", d.file)),
            }
        }
        if let Some(layout) = raw.layout.take() {
            self.add_layout(layout, d);
        }
        if let Some(parties) = raw.parties.take() {
            self.add_parties(parties, d);
        }
    }

    fn add_parties(&mut self, raw: RawParties, d: &mut Diagnostics) {
        for (word, n) in raw.counts {
            self.parties.counts.push((word, n));
        }
        // Longest first, so `三国` is not read as a shorter count word inside it.
        self.parties
            .counts
            .sort_by_key(|(w, _)| std::cmp::Reverse(w.chars().count()));
        for (k, keys) in raw.initials {
            let mut chars = k.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => self.pending_initials.push((c, keys, d.file.to_string())),
                _ => d
                    .errors
                    .push(format!("{}: initial {k:?} must be one character", d.file)),
            }
        }
    }

    fn add_rules(&mut self, raw: RawFile, d: &mut Diagnostics) {
        for a in &raw.abbreviation {
            if let Some(re) = compile_regex(&a.regex, d) {
                self.abbreviations.push(re);
            }
        }
        for p in raw.pattern {
            self.add_pattern(p, d);
        }
        for r in raw.relation {
            let lex = Lexicon {
                separators: &self.list_separators,
                suffixes: &self.list_item_suffixes,
                prefixes: &self.list_item_prefixes,
                offices: &self.offices,
                fragments: &self.fragments,
                list_gap: self.list_gap.as_deref(),
            };
            if let Some(rel) = compile_relation(r, &lex, d) {
                self.relations.push(rel);
            }
        }
    }

    fn add_layout(&mut self, raw: RawLayout, d: &mut Diagnostics) {
        for r in raw.page_markers {
            if let Some(re) = compile_regex(&r, d) {
                self.layout.page_markers.push(re);
            }
        }
        for r in raw.asides {
            if let Some(re) = compile_regex(&r, d) {
                self.layout.asides.push(re);
            }
        }
        for r in raw.dateline_affixes {
            if let Some(re) = compile_regex(&r, d) {
                self.layout.dateline_affixes.push(re);
            }
        }
        for r in raw.datelines {
            if let Some(re) = compile_regex(&r, d) {
                self.layout.datelines.push(re);
            }
        }
        if let Some(n) = raw.heading_max_chars {
            self.layout.heading_max_chars = n;
        }
    }

    fn add_pattern(&mut self, p: RawPattern, d: &mut Diagnostics) {
        let Some(kind) = Kind::parse(p.kind.get_ref()) else {
            return d.at(
                p.kind.span(),
                format_args!("unknown type {:?}", p.kind.get_ref()),
            );
        };
        let mut trim = Vec::new();
        for t in &p.trim {
            match Kind::parse(t.get_ref()) {
                Some(k) => trim.push(k),
                None => d.at(t.span(), format_args!("unknown type {:?}", t.get_ref())),
            }
        }
        let source = Spanned::new(
            p.regex.span(),
            expand_words(p.regex.get_ref(), &self.offices, &self.fragments),
        );
        let reject = p.reject.as_ref().and_then(|r| compile_regex(r, d));
        if let Some(regex) = compile_regex(&source, d) {
            self.patterns.push(Pattern {
                id: p.id,
                kind,
                regex,
                priority: p.priority,
                trim,
                reject,
                anaphor: p.anaphor,
                owned: p.owned,
            });
        }
    }
}

/// A regex that must match a whole text (a word, a gap between two mentions), not part of it.
fn compile_whole(source: &Spanned<String>, d: &mut Diagnostics) -> Option<Regex> {
    let anchored = Spanned::new(source.span(), format!("^(?:{})$", source.get_ref()));
    compile_regex(&anchored, d)
}

fn compile_regex(source: &Spanned<String>, d: &mut Diagnostics) -> Option<Regex> {
    match Regex::new(source.get_ref()) {
        Ok(re) => Some(re),
        Err(e) => {
            d.at(
                source.span(),
                format_args!(
                    "invalid regex: {}",
                    e.to_string().lines().last().unwrap_or("")
                ),
            );
            None
        }
    }
}

/// Replaces each `{fragment}` of the lexicon with its text (fragments may use one another and
/// `{offices}`), then `{offices}` with an alternation of the lexicon's offices, longest first.
fn expand_words(pattern: &str, offices: &[String], fragments: &[(String, String)]) -> String {
    let mut out = pattern.to_string();
    // Fragments nest a few levels at most; a cycle stops growing after this many rounds.
    for _ in 0..4 {
        let before = out.clone();
        for (name, text) in fragments {
            out = out.replace(&format!("{{{name}}}"), text);
        }
        if out == before {
            break;
        }
    }
    let alternation: Vec<String> = offices.iter().map(|o| regex::escape(o)).collect();
    out.replace("{offices}", &format!("(?:{})", alternation.join("|")))
}

/// The words relation patterns may refer to.
pub struct Lexicon<'a> {
    pub separators: &'a [String],
    /// Words that may follow each item of a list (`成果` in `欢迎…会议成果和…论坛成果`).
    pub suffixes: &'a [String],
    /// Words that may open an item of a tolerant list (`观察员国` in `…，观察员国白俄罗斯总理…`).
    pub prefixes: &'a [String],
    pub offices: &'a [String],
    /// Named regex fragments (`{place}`).
    pub fragments: &'a [(String, String)],
    /// An unnamed item a tolerant list (`{name:Type*}`) may hold.
    pub list_gap: Option<&'a str>,
}

/// The lexicon fragment that may follow each item of a tolerant list (a name's note).
const LIST_ITEM_NOTE: &str = "list_item_note";

/// Turns `{name:Type|Type}` and `{name:Type+}` slots into regex groups over placeholders.
pub fn expand_slots(pattern: &str, lex: &Lexicon) -> Result<String, String> {
    let pattern = expand_words(pattern, lex.offices, lex.fragments);
    let mut out = String::with_capacity(pattern.len() * 2);
    let mut rest = pattern.as_str();
    while let Some(open) = rest.find('{') {
        // `{3,80}` and other regex repetitions pass through untouched.
        let after = &rest[open + 1..];
        let escaped = ["\\x", "\\p", "\\P"]
            .iter()
            .any(|e| rest[..open].ends_with(e));
        let is_slot = !escaped
            && after
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        let Some(close) = after.find('}').filter(|_| is_slot) else {
            out.push_str(&rest[..open + 1]);
            rest = after;
            continue;
        };
        out.push_str(&rest[..open]);
        let body = &after[..close];
        let (name, types) = body
            .split_once(':')
            .ok_or_else(|| format!("slot {{{body}}} needs name:Type"))?;
        // `Type+`: a list; `Type*`: a list that survives unnamed items (`list_gap`).
        let (types, list, tolerant) = match (types.strip_suffix('+'), types.strip_suffix('*')) {
            (Some(t), _) => (t, true, false),
            (_, Some(t)) => (t, true, true),
            _ => (types, false, false),
        };
        let mut class = String::from("[");
        for t in types.split('|') {
            let kind =
                Kind::parse(t).ok_or_else(|| format!("slot {{{body}}}: unknown type {t:?}"))?;
            class.push_str(&format!("\\x{{{:X}}}", kind.placeholder() as u32));
        }
        class.push(']');
        let inner = if list {
            let alt = |words: &[String]| {
                words
                    .iter()
                    .map(|s| regex::escape(s))
                    .collect::<Vec<_>>()
                    .join("|")
            };
            let item = format!("{class}(?:{})?", alt(lex.suffixes));
            match (tolerant, lex.list_gap) {
                (true, Some(gap)) => {
                    // Clause commas join the items of a tolerant list too (…埃利亚松，…黎良明列席),
                    // and an item may open with the status its person comes in (观察员国…).
                    let sep = format!("(?:{}|，|；)", alt(lex.separators));
                    let gap = format!("(?:{gap})");
                    // A note after a name (`夏纳纳（Xanana Gusmão）`): the lexicon's fragment.
                    let item = match lex.fragments.iter().find(|(k, _)| k == LIST_ITEM_NOTE) {
                        Some((_, note)) => format!("{item}(?:{note})?"),
                        None => item,
                    };
                    let item = if lex.prefixes.is_empty() {
                        item
                    } else {
                        // `以及主席国客人…`: a joining word may come before the status.
                        let (seps, prefixes) = (alt(lex.separators), alt(lex.prefixes));
                        format!("(?:(?:{seps})?(?:{prefixes}))?{item}")
                    };
                    format!("{item}(?:{sep}(?:{gap}{sep})?{item})*(?:{sep}{gap})?")
                }
                _ => format!("{item}(?:(?:{}){item})*", alt(lex.separators)),
            }
        } else {
            class
        };
        if name == "_" {
            out.push_str(&format!("(?:{inner})"));
        } else {
            out.push_str(&format!("(?P<{name}>{inner})"));
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn compile_relation(r: RawRelation, lex: &Lexicon, d: &mut Diagnostics) -> Option<Relation> {
    let expanded = match expand_slots(r.pattern.get_ref(), lex) {
        Ok(p) => p,
        Err(e) => {
            d.at(r.pattern.span(), e);
            return None;
        }
    };
    let regex = match Regex::new(&expanded) {
        Ok(re) => re,
        Err(e) => {
            d.at(
                r.pattern.span(),
                format_args!(
                    "invalid pattern: {}",
                    e.to_string().lines().last().unwrap_or("")
                ),
            );
            return None;
        }
    };
    let names: Vec<&str> = regex.capture_names().flatten().collect();
    let mut facts = Vec::new();
    for f in &r.facts {
        let parts: Vec<&str> = f.get_ref().split_whitespace().collect();
        let [s, p, o] = parts[..] else {
            d.at(f.span(), "a fact is `subject predicate object`");
            continue;
        };
        if !PREDICATES.contains(&p)
            && p != DATED
            && p != SITS_IN
            && p != SIGNED_BY_ATTENDEES
            && !AT_EVENT.iter().any(|(at, ..)| *at == p)
        {
            d.at(f.span(), format_args!("unknown predicate {p:?}"));
            continue;
        }
        for slot in [s, o]
            .into_iter()
            .flat_map(|x| x.split(['@', '|']))
            .map(|x| x.trim_end_matches(".org").trim_end_matches(OWN_DATES))
        {
            if !SPECIAL_SLOTS.contains(&slot) && !names.contains(&slot) {
                d.at(
                    f.span(),
                    format_args!("slot {slot:?} is not in the pattern"),
                );
            }
        }
        facts.push(FactTemplate {
            subject: s.into(),
            predicate: p.into(),
            object: o.into(),
        });
    }
    let mut create = Vec::new();
    for (slot, kind) in &r.create {
        match Kind::parse(kind.get_ref()).filter(|k| k.is_entity()) {
            Some(k) if names.contains(&slot.as_str()) => create.push((slot.clone(), k)),
            Some(_) => d.at(
                kind.span(),
                format_args!("create: slot {slot:?} is not in the pattern"),
            ),
            None => d.at(
                kind.span(),
                format_args!("create: unknown entity type {:?}", kind.get_ref()),
            ),
        }
    }
    let exclude = r.exclude.as_ref().and_then(|e| compile_regex(e, d));
    let mut reject = Vec::new();
    for (slot, re) in &r.reject {
        if !names.contains(&slot.as_str()) {
            d.at(
                re.span(),
                format_args!("reject: slot {slot:?} is not in the pattern"),
            );
        } else if let Some(re) = compile_regex(re, d) {
            reject.push((slot.clone(), re));
        }
    }
    let scope = match r.scope.as_ref().map(|s| s.get_ref().as_str()) {
        None | Some("body") => Scope::Body,
        Some("signature") => Scope::Signature,
        Some(other) => {
            d.at(
                r.scope.as_ref().unwrap().span(),
                format_args!("scope {other:?}: use body or signature"),
            );
            Scope::Body
        }
    };
    if let Some(rep) = &r.replace {
        for slot in rep.get_ref().split(',').flat_map(|x| x.split(['@', '|'])) {
            if !names.contains(&slot.trim()) {
                d.at(
                    rep.span(),
                    format_args!("replace: slot {slot:?} is not in the pattern"),
                );
            }
        }
    }
    let (line, _) = line_col(d.content, r.id.span().start);
    Some(Relation {
        place: format!("{}:{line}", d.file),
        id: r.id.into_inner(),
        regex,
        facts,
        create,
        exclude,
        reject,
        role: r.role,
        replace: r.replace.map(|s| s.into_inner()),
        scope,
        examples: r.examples,
        counterexamples: r.counterexamples,
    })
}

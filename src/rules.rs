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
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use ferrous_opencc::OpenCC;
use ferrous_opencc::config::BuiltinConfig;
use regex::Regex;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

use crate::check::{self, Diagnostic, Severity};

pub mod elements;

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
/// `slot.state` in a fact: the state each person of the slot represents, as the sentence's
/// person rules read it (`阿富汗总统加尼…作为观察员国领导人出席` → 阿富汗).
pub const PERSON_STATE: &str = ".state";

/// The group a fact's slot reads, without the accessor it may end with (`.org`, `.state`,
/// `.dates`).
pub fn slot_group(slot: &str) -> &str {
    slot.trim_end_matches(".org")
        .trim_end_matches(PERSON_STATE)
        .trim_end_matches(OWN_DATES)
}
/// Pseudo-predicate of rule files: a date slot gives `startDate` and `endDate`.
pub const DATED: &str = "dated";

/// Pseudo-predicates of rule files: a document adopted or signed at a meeting (`会议发表了《…》`)
/// takes the meeting's place and, for a one-day meeting, its day. Each is (pseudo-predicate,
/// place predicate, date predicate).
pub const AT_EVENT: &[(&str, &str, &str)] = &[
    (ADOPTED_AT, "adoptedIn", "adoptedOn"),
    ("signedAt", "signedIn", "signedOn"),
];

/// A document adopted at a meeting is adopted by it: those at the meeting adopt it there.
pub const ADOPTED_AT: &str = "adoptedAt";
/// The predicate `adoptedAt` gives beside the meeting's place and day.
pub const ADOPTED_BY: &str = "adoptedBy";

/// Pseudo-predicate of rule files: a document signed by the leaders of a meeting
/// (`六国元首共同签署《…》`): each person the document's facts say attended or chaired the meeting
/// signs it. The sentence names no signer, so only the meeting's facts can.
pub const SIGNED_BY_ATTENDEES: &str = "signedByAttendeesOf";

/// Group of a relation pattern: a date the match tells of (`支持印度担任2026年…主席国`). A match
/// whose `when` lies after the document's date gives no fact: it tells of a plan.
pub const WHEN_SLOT: &str = "when";

/// Pseudo-predicate of rule files: a meeting lasting a number of days from its first day
/// (`…22日在约翰内斯堡登场，为期两天`): `event@date lastsDays event@date`, the rule's `role`
/// being the count. It gives the meeting's last day.
pub const LASTS_DAYS: &str = "lastsDays";

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
/// The leaders of the last two states a leader was named for (`两国元首举行会谈` after
/// `应托卡耶夫总统邀请，习近平…进行国事访问`): offices of the lexicon's `leader_offices`.
pub const LEADERS_SLOT: &str = "$leaders";
/// `of` value of group words that name the parties of a text.
const PARTICIPANTS: &str = "participants";
const SPECIAL_SLOTS: &[&str] = &[
    GROUP_SLOT,
    ORGANISATION_SLOT,
    TOPIC_SLOT,
    EVENT_SLOT,
    DOCUMENT_SLOT,
    LEADERS_SLOT,
];

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RulesError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{dir}: no rule files (*.toml) found")]
    Empty { dir: String },
    /// The errors of the rule files (warnings are not among them), each with its hint.
    #[error("{}", render(.0))]
    Invalid(Vec<Diagnostic>),
}

fn render(errors: &[Diagnostic]) -> String {
    let lines: Vec<String> = errors.iter().map(Diagnostic::with_hint).collect();
    let n = errors.len();
    format!(
        "{}\n{n} error{} in the rules (`accord rules check` lists every problem)",
        lines.join("\n"),
        if n == 1 { "" } else { "s" }
    )
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
    /// Where the rule is written (`file:line` of its id), for reports on it.
    pub place: String,
    pub examples: Vec<PatternExample>,
    pub counterexamples: Vec<String>,
}

/// A text and the mentions a pattern must find in it, as written: no more, no fewer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternExample {
    pub text: String,
    #[serde(default)]
    pub mentions: Vec<String>,
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
    /// The pattern's top-level elements, branch by branch, for `accord explain`'s near misses.
    pub elements: Vec<Vec<elements::Element>>,
    /// The types of each tolerant list slot (`{who:Person*}`): the unnamed items between its
    /// names may hold other mentions (a state), which the slot does not stand for.
    pub list_kinds: Vec<(String, Vec<Kind>)>,
}

/// A count of parties written right after one-character names of states (`中俄双方`,
/// `中吉乌三国`): the parties are those states.
#[derive(Debug, Default)]
pub struct Parties {
    /// Count words and the number of parties each names, longest word first.
    pub counts: Vec<(String, usize)>,
    /// The states a character may name; more than one where it is ambiguous (巴).
    pub initials: HashMap<char, Vec<usize>>,
    /// The word that makes an initial a state's side (`方`: 乌方, the Uzbek side).
    pub side: Option<String>,
    /// Characters after which the side word is part of another word (`新方案`).
    pub side_not_before: Vec<char>,
    /// Words that, written in a document, make an initial's side a collective one there
    /// (`阿方` in a text on `阿拉伯国家` is the Arab side, no one state).
    pub collective_sides: HashMap<char, Vec<String>>,
}

impl Parties {
    /// The states `c` + the side word may name (`乌方`: Uzbekistan or Ukraine; `坦方`:
    /// Tanzania), for the document to tell which (and whether) it is.
    pub fn side_candidates(&self, c: char) -> Option<&[usize]> {
        self.initials
            .get(&c)
            .filter(|states| !states.is_empty() && self.side.is_some())
            .map(Vec::as_slice)
    }
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
    /// A proposal named by what it sets up (`设立亚信基金`): group `name` is that thing's name,
    /// another name of the proposal (`skos:altLabel`).
    pub proposal_name: Option<Regex>,
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
    /// What follows an organisation's name in a generic name of its meeting (`上合组织` +
    /// `峰会`), and what the name of the meeting it stands for holds (`元首理事会`).
    pub generic_meeting: Option<(Regex, Regex)>,
    /// The offices of leaders (`$leaders`): heads of state or government.
    pub leader_offices: Option<Regex>,
    /// A title written right after a person's name (`主席` of 习近平主席), group `title`.
    pub title_after_name: Option<Regex>,
    /// What the text before a meeting's name reads like when the name describes the meeting
    /// named last again (`这是…首次峰会`).
    pub apposition: Option<Regex>,
    /// What makes a person named before it the one who sends the person named after
    /// (`特使` of 习近平特使、国家副主席王岐山).
    pub envoy_of: Option<Regex>,
    /// A ceremony named by a bare meeting word (`会议开幕式`), group `ceremony` the ceremony.
    pub unnamed_ceremony: Option<Regex>,
    /// The determiner an anaphor's mention opens with (`该` of 该银行).
    pub determiner: Option<Regex>,
    /// The text before a meeting's name, back to the clause's start, that tells of a meeting
    /// past (`去年在塔什干峰会上`): a later `会议` does not point back to it.
    pub past_reference: Option<Regex>,
    /// The text right before a meeting's name that names the meeting by its year (`2025年` of
    /// `2025年上合组织峰会`): a meeting of its own, not a shorter name of one named before.
    pub named_by_year: Option<Regex>,
    /// Names of events that are no meeting (`中日韩文化交流年`, a joint exercise): a later
    /// `会上` or `会议` does not point back to them.
    pub no_meeting: Option<Regex>,
    /// A verb of saying that may open a clause before its subject (`…，表示中方强烈谴责…`).
    pub clause_lead: Option<Regex>,
    /// A meeting's ordinal (`第十七次`): a short name may leave it out (`领导人会晤`).
    pub ordinal: Option<Regex>,
    /// The time zone a date may be written after (`当地时间`), ending the text before it.
    pub time_zone: Option<Regex>,
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
    /// What the check found that is legal but likely a mistake; the commands print it.
    pub warnings: Vec<Diagnostic>,
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

    /// The organisation whose name opens `name` and the rest of the name after it.
    pub fn organisation_prefix<'a>(&self, name: &'a str) -> Option<(usize, &'a str)> {
        let (automaton, orgs) = &self.organisations;
        automaton
            .find_iter(name)
            .filter(|m| m.start() == 0)
            .max_by_key(|m| m.end())
            .map(|m| (orgs[m.pattern().as_usize()], &name[m.end()..]))
    }

    /// The organisation whose shortest name opens `name`: a body's meetings are its
    /// organisation's (`上合组织成员国元首理事会…会议` opens with `上合组织`).
    pub fn organisation_opening(&self, name: &str) -> Option<usize> {
        self.entities
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == Kind::Organization)
            .flat_map(|(i, e)| {
                std::iter::once(&e.zh)
                    .chain(&e.aliases)
                    .map(move |s| (i, s))
            })
            .filter(|(_, s)| name.starts_with(s.as_str()))
            .min_by_key(|(_, s)| s.len())
            .map(|(i, _)| i)
    }

    /// The organisation of a generic name of its meeting (`上合组织峰会`, the lexicon's
    /// `generic_meeting`).
    pub fn generic_meeting_of(&self, name: &str) -> Option<usize> {
        let (generic, _) = self.generic_meeting.as_ref()?;
        let (org, rest) = self.organisation_prefix(name)?;
        generic.is_match(rest).then_some(org)
    }

    /// Whether a meeting of this name may be what a generic name of `org`'s meeting stands
    /// for: its name opens with the organisation and holds a word of that level (`元首`).
    pub fn fits_generic_meeting(&self, org: usize, name: &str) -> bool {
        let Some((_, level)) = &self.generic_meeting else {
            return false;
        };
        let e = &self.entities[org];
        std::iter::once(&e.zh)
            .chain(&e.aliases)
            .filter_map(|s| name.strip_prefix(s.as_str()))
            .any(|rest| level.is_match(rest))
    }

    /// Whether an event of this name is bilateral talks (the lexicon's `talks`).
    pub fn is_talks(&self, name: &str) -> bool {
        self.talks.as_ref().is_some_and(|re| re.is_match(name))
    }

    /// A meeting's name without its ordinal (`金砖国家领导人会晤` of `金砖国家领导人第十七次会晤`).
    pub fn without_ordinal<'a>(&self, name: &'a str) -> std::borrow::Cow<'a, str> {
        match &self.ordinal {
            Some(re) => re.replace(name, ""),
            None => std::borrow::Cow::Borrowed(name),
        }
    }

    /// Whether an event's name is that of no meeting (lexicon `no_meeting`: `…交流年`).
    pub fn is_no_meeting(&self, name: &str) -> bool {
        self.no_meeting.as_ref().is_some_and(|re| re.is_match(name))
    }

    /// The rules compiled into the binary.
    pub fn embedded() -> Result<Rules, RulesError> {
        compile(embedded_files())
    }

    /// Every `*.toml` under `dir`, read at run time.
    pub fn from_dir(dir: &Path) -> Result<Rules, RulesError> {
        compile(read_dir_files(dir)?)
    }

    pub fn entity_by_key(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
    }

    /// The entity a surface form names, if any (used to resolve test expectations too).
    pub fn lookup_surface(&self, text: &str) -> Option<&Surface> {
        self.surface_index.get(text).map(|&i| &self.surfaces[i].1)
    }
}

/// The rule files compiled into the binary, each as (path, text).
pub fn embedded_files() -> Vec<(String, String)> {
    EMBEDDED
        .iter()
        .map(|(p, c)| (format!("rules/{p}"), c.to_string()))
        .collect()
}

/// Every `*.toml` under `dir`, in path order, each as (path, text).
pub fn read_dir_files(dir: &Path) -> Result<Vec<(String, String)>, RulesError> {
    let mut files = Vec::new();
    read_dir_sorted(dir, &mut files)?;
    if files.is_empty() {
        return Err(RulesError::Empty {
            dir: dir.display().to_string(),
        });
    }
    Ok(files)
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
    initials: BTreeMap<String, Vec<Spanned<String>>>,
    /// The word after an initial that makes it a state's side (`方`: 乌方).
    #[serde(default)]
    side: Option<String>,
    /// Characters after which that word is another word (`新方案`).
    #[serde(default)]
    side_not_before: String,
    /// Words that make an initial's side a collective one (`阿` → `阿拉伯国家`: the Arab side).
    #[serde(default)]
    collective_sides: BTreeMap<String, Vec<String>>,
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
    /// Venues named without their city (`人民大会堂` → `beijing`): each names the city it is in.
    #[serde(default)]
    venues: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    abbreviation: Vec<RawAbbreviation>,
    #[serde(default)]
    pattern: Vec<RawPattern>,
    #[serde(default)]
    numerals: BTreeMap<String, Spanned<u32>>,
    /// Named regex fragments (`{place}`) that patterns and relations share.
    #[serde(default)]
    fragments: BTreeMap<String, Spanned<String>>,
    /// What may stand between an organisation and a meeting of its own (`领导人` in
    /// 金砖国家领导人第十一次会晤): the words join the meeting's name.
    event_owner_gap: Option<Spanned<String>>,
    /// What joins a meeting's other party to its name (a dash).
    event_partner_gap: Option<Spanned<String>>,
    /// What an unnamed item of a tolerant list may be (a regex).
    list_gap: Option<Spanned<String>>,
    /// How a sentence that announces a plan begins (`按计划`).
    plan_sentence: Option<Spanned<String>>,
    /// A proposal named by what it sets up (`设立亚信基金`), the thing's name in group `name`.
    proposal_name: Option<Spanned<String>>,
    /// An undated meeting name that names one meeting everywhere (an ordinal with its body).
    event_global: Option<Spanned<String>>,
    /// Anaphor words that name the document's own meeting when none was named before.
    unnamed_meeting: Option<Spanned<String>>,
    /// Names of bilateral talks, which meeting words do not refer back to.
    talks: Option<Spanned<String>>,
    /// A ceremony of a meeting, with the meeting's name as group `meeting`.
    ceremony: Option<Spanned<String>>,
    /// A generic name of an organisation's meeting after the organisation (`峰会`).
    generic_meeting: Option<Spanned<String>>,
    /// The offices whose holders `$leaders` stands for (`总统`, `主席`).
    leader_offices: Option<Spanned<String>>,
    /// A title written right after a person's name (`习近平主席`), group `title`.
    title_after_name: Option<Spanned<String>>,
    /// The text before a meeting's name that makes it the meeting named last (`这是…`).
    apposition: Option<Spanned<String>>,
    /// The words after a person's name that make the person the sender of an envoy (`特使`).
    envoy_of: Option<Spanned<String>>,
    /// A ceremony named by a bare meeting word (`会议开幕式`): the last meeting's ceremony.
    unnamed_ceremony: Option<Spanned<String>>,
    /// The determiner an anaphor's mention opens with (`该`).
    determiner: Option<Spanned<String>>,
    /// The clause before a meeting's name that tells of a meeting past (`去年在`).
    past_reference: Option<Spanned<String>>,
    /// The year written right before a meeting's name (`2025年`).
    named_by_year: Option<Spanned<String>>,
    /// Names of events that are no meeting (`…交流年`).
    no_meeting: Option<Spanned<String>>,
    /// A verb of saying before a clause's subject (`表示`).
    clause_lead: Option<Spanned<String>>,
    /// A meeting's ordinal (`第十七次`).
    ordinal: Option<Spanned<String>>,
    /// The time zone before a date (`当地时间`).
    time_zone: Option<Spanned<String>>,
    /// What the name of the meeting a generic name stands for holds (`元首|领导人`).
    generic_meeting_of: Option<Spanned<String>>,
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
    country: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLabels {
    zh: Option<Spanned<String>>,
    en: Option<Spanned<String>>,
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
    id: Spanned<String>,
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
    #[serde(default)]
    examples: Vec<PatternExample>,
    #[serde(default)]
    counterexamples: Vec<String>,
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
pub(crate) struct RawRelation {
    pub(crate) id: Spanned<String>,
    pub(crate) pattern: Spanned<String>,
    pub(crate) facts: Vec<Spanned<String>>,
    #[serde(default)]
    pub(crate) create: BTreeMap<String, Spanned<String>>,
    pub(crate) exclude: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) reject: BTreeMap<String, Spanned<String>>,
    pub(crate) role: Option<Spanned<String>>,
    pub(crate) replace: Option<Spanned<String>>,
    pub(crate) scope: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) examples: Vec<Example>,
    #[serde(default)]
    pub(crate) counterexamples: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Compilation.

/// Collects the diagnostics of one file with their place, so one run reports every problem
/// at once.
pub(crate) struct Diagnostics<'a> {
    file: &'a str,
    content: &'a str,
    out: &'a mut Vec<Diagnostic>,
    /// The last place asked for (offset, line, column): places come mostly in file order,
    /// so each is counted from the one before, not from the start of the file.
    cursor: std::cell::Cell<(usize, usize, usize)>,
}

impl<'a> Diagnostics<'a> {
    fn new(file: &'a str, content: &'a str, out: &'a mut Vec<Diagnostic>) -> Self {
        Diagnostics {
            file,
            content,
            out,
            cursor: std::cell::Cell::new((0, 1, 1)),
        }
    }

    pub(crate) fn error(
        &mut self,
        span: Span,
        message: impl fmt::Display,
        hint: impl fmt::Display,
    ) {
        self.site(span)
            .push(self.out, Severity::Error, message, hint);
    }

    pub(crate) fn warning(
        &mut self,
        span: Span,
        message: impl fmt::Display,
        hint: impl fmt::Display,
    ) {
        self.site(span)
            .push(self.out, Severity::Warning, message, hint);
    }

    pub(crate) fn site(&self, span: Span) -> Site {
        let offset = span.start.min(self.content.len());
        let (from, mut line, mut column) = match self.cursor.get() {
            (at, line, column) if at <= offset && self.content.is_char_boundary(at) => {
                (at, line, column)
            }
            _ => (0, 1, 1),
        };
        for c in self.content[from..offset].chars() {
            if c == '\n' {
                line += 1;
                column = 1;
            } else {
                column += 1;
            }
        }
        self.cursor.set((offset, line, column));
        Site {
            file: self.file.to_string(),
            line,
            column,
        }
    }
}

pub(crate) type Span = std::ops::Range<usize>;

/// A place in a rule file, kept for problems found once every file is read (a surface bound
/// to two entities, a `country` no state has).
#[derive(Clone, Debug)]
pub(crate) struct Site {
    file: String,
    line: usize,
    column: usize,
}

impl Site {
    fn push(
        &self,
        out: &mut Vec<Diagnostic>,
        severity: Severity,
        message: impl fmt::Display,
        hint: impl fmt::Display,
    ) {
        out.push(Diagnostic {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            severity,
            message: message.to_string(),
            hint: hint.to_string(),
        });
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
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
    proposal_name: Option<Regex>,
    event_global: Option<Regex>,
    unnamed_meeting: Option<Regex>,
    talks: Option<Regex>,
    ceremony: Option<Regex>,
    generic_meeting: Option<Regex>,
    generic_meeting_of: Option<Regex>,
    leader_offices: Option<Regex>,
    title_after_name: Option<Regex>,
    apposition: Option<Regex>,
    envoy_of: Option<Regex>,
    unnamed_ceremony: Option<Regex>,
    determiner: Option<Regex>,
    past_reference: Option<Regex>,
    named_by_year: Option<Regex>,
    no_meeting: Option<Regex>,
    clause_lead: Option<Regex>,
    ordinal: Option<Regex>,
    time_zone: Option<Regex>,
    online: Option<Regex>,
    list_gap: Option<String>,
    regional: Vec<(String, String)>,
    parties: Parties,
    pending_initials: Vec<(char, Vec<Spanned<String>>, Site)>,
    pending_venues: Vec<(String, Spanned<String>, Site)>,
    group_label: String,
    participants_label: String,
    relations: Vec<Relation>,
    layout: Layout,
    pending_groups: Vec<(String, Option<String>, Site)>,
    pending_blockers: Vec<(String, Site)>,
    /// Each entity's `country`, checked once every entity is read.
    pending_countries: Vec<(usize, String, Site)>,
    /// Where each entity's surfaces are written (and whether as an alias), parallel to
    /// `entities`.
    forms: Vec<Vec<(String, Site, bool)>>,
    /// Each English label given, checked once every entity is read.
    pending_english: Vec<(usize, String, Site)>,
    /// Where each surface was first bound, parallel to `surfaces`.
    surface_sites: Vec<Site>,
    /// The kinds of mention something makes (an entity, a pattern, a group word, a rule that
    /// replaces its match): a slot of another kind never matches.
    producible: Vec<Kind>,
    /// Where each pattern and relation id is first used.
    rule_ids: HashMap<String, Site>,
    abbreviations: Vec<Regex>,
}

/// Parses one file into its mirror. Each entry of an array of tables (`[[relation]]`, …) is read
/// on its own, so one bad entry does not hide the problems of the next; a syntax error leaves
/// nothing to read.
fn parse_file(d: &mut Diagnostics) -> Option<RawFile> {
    let (root, syntax) = toml::de::DeTable::parse_recoverable(d.content);
    if !syntax.is_empty() {
        for e in &syntax {
            toml_error(d, e);
        }
        return None;
    }
    let span = root.span();
    let mut table = root.into_inner();
    let entity = take_each(&mut table, "entity", d);
    let office = take_each(&mut table, "office", d);
    let group = take_each(&mut table, "group", d);
    let abbreviation = take_each(&mut table, "abbreviation", d);
    let pattern = take_each(&mut table, "pattern", d);
    let relation = take_each(&mut table, "relation", d);
    let rest = toml::de::Deserializer::from(Spanned::new(span, table));
    let rest = RawFile::deserialize(rest).unwrap_or_else(|e| {
        toml_error(d, &e);
        RawFile::default()
    });
    Some(RawFile {
        entity,
        office,
        group,
        abbreviation,
        pattern,
        relation,
        ..rest
    })
}

/// Reads every entry of the array `key` on its own, leaving anything that is no array for the
/// file's own reading to name.
fn take_each<T: serde::de::DeserializeOwned>(
    table: &mut toml::de::DeTable,
    key: &str,
    d: &mut Diagnostics,
) -> Vec<T> {
    let Some(k) = table.keys().find(|k| k.get_ref() == key).cloned() else {
        return Vec::new();
    };
    if !table.get(&k).is_some_and(|v| v.get_ref().is_array()) {
        return Vec::new();
    }
    let Some(toml::de::DeValue::Array(items)) = table.remove(&k).map(|v| v.into_inner()) else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(
            |item| match T::deserialize(toml::de::ValueDeserializer::from(item)) {
                Ok(t) => Some(t),
                Err(e) => {
                    toml_error(d, &e);
                    None
                }
            },
        )
        .collect()
}

fn toml_error(d: &mut Diagnostics, e: &toml::de::Error) {
    let message = e.message().trim_end();
    let hint = if message.starts_with("unknown field") {
        "check the spelling; rules/README.md lists the keys each table takes"
    } else if message.starts_with("missing field") {
        "add the key; rules/README.md says what each table needs"
    } else if message.starts_with("invalid type") || message.starts_with("invalid value") {
        "write the value as rules/README.md shows it (a string in quotes, a list in [ ])"
    } else {
        "fix the TOML syntax here; the file's other problems show once it parses"
    };
    d.error(e.span().unwrap_or(0..0), message, hint);
}

/// Loads the rules, refusing them when any file has an error.
fn compile(files: Vec<(String, String)>) -> Result<Rules, RulesError> {
    let (rules, mut diagnostics) = load(files);
    crate::check::sort(&mut diagnostics);
    match rules {
        Some(mut rules) if !diagnostics.iter().any(Diagnostic::is_error) => {
            rules.warnings = diagnostics;
            Ok(rules)
        }
        _ => Err(RulesError::Invalid(
            diagnostics
                .into_iter()
                .filter(Diagnostic::is_error)
                .collect(),
        )),
    }
}

/// Reads and compiles every file, collecting every problem of every file: the rules, unless
/// an error left them unusable, and the diagnostics (errors and warnings, unsorted).
pub fn load(files: Vec<(String, String)>) -> (Option<Rules>, Vec<Diagnostic>) {
    let mut errors = Vec::new();
    let mut hasher = Sha256::new();
    let mut parsed = Vec::new();
    for (path, content) in &files {
        hasher.update(path.as_bytes());
        hasher.update([0]);
        hasher.update(content.as_bytes());
        let mut d = Diagnostics::new(path, content, &mut errors);
        if let Some(raw) = parse_file(&mut d) {
            parsed.push((path, content, raw));
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
        let mut d = Diagnostics::new(path, content, &mut errors);
        let mut in_file: HashMap<String, Site> = HashMap::new();
        for e in std::mem::take(&mut raw.entity) {
            let site = d.site(e.id.span());
            if let Some(first) = in_file.get(e.id.get_ref()) {
                d.error(
                    e.id.span(),
                    format_args!("entity {:?} is already defined at {first}", e.id.get_ref()),
                    "merge the two entries, or give one another id (entries of one id in \
                     different files merge)",
                );
                continue;
            }
            in_file.insert(e.id.get_ref().clone(), site);
            let defines = e.kind.is_some() && e.labels.zh.is_some();
            if defines || b.by_key.contains_key(e.id.get_ref()) {
                b.add_entity(e, &mut d);
            } else {
                overlays.push((path.as_str(), content.as_str(), e));
            }
        }
    }
    for (path, content, e) in overlays {
        let mut d = Diagnostics::new(path, content, &mut errors);
        b.add_entity(e, &mut d);
    }
    for (path, content, raw) in &mut parsed {
        let mut d = Diagnostics::new(path, content, &mut errors);
        b.add_lexicon(raw, &mut d);
    }
    b.offices
        .sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
    b.producible = producible_kinds(&b, parsed.iter().map(|(_, _, raw)| raw));
    for (path, content, raw) in &mut parsed {
        let mut d = Diagnostics::new(path, content, &mut errors);
        b.add_rules(std::mem::take(raw), &mut d);
    }
    b.resolve_groups(&mut errors);
    b.resolve_initials(&mut errors);
    b.resolve_venues(&mut errors);
    b.resolve_countries(&mut errors);
    b.resolve_english(&mut errors);
    for (text, site) in std::mem::take(&mut b.pending_blockers) {
        b.add_surface(&text, Surface::Blocker, &mut errors, &site);
    }
    b.add_entity_surfaces(&mut errors);
    if errors.iter().any(Diagnostic::is_error) {
        return (None, errors);
    }
    let first = files.first().map_or("rules", |(p, _)| p.as_str());
    let unbuildable = |what: &str, e: &dyn fmt::Display| Diagnostic {
        file: first.to_string(),
        line: 1,
        column: 1,
        severity: Severity::Error,
        message: format!("cannot build the {what} automaton: {e}"),
        hint: "the gazetteers hold too many surfaces; split them or report this".into(),
    };
    let automaton = match AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .kind(Some(AhoCorasickKind::DFA))
        .build(b.surfaces.iter().map(|(s, _)| s.as_str()))
    {
        Ok(a) => a,
        Err(e) => {
            errors.push(unbuildable("gazetteer", &e));
            return (None, errors);
        }
    };
    let organisations = match organisation_automaton(&b.entities) {
        Ok(o) => o,
        Err(e) => {
            errors.push(unbuildable("organisation", &e));
            return (None, errors);
        }
    };
    let rules = Rules {
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
        proposal_name: b.proposal_name,
        event_global: b.event_global,
        unnamed_meeting: b.unnamed_meeting,
        talks: b.talks,
        ceremony: b.ceremony,
        generic_meeting: b.generic_meeting.zip(b.generic_meeting_of),
        leader_offices: b.leader_offices,
        title_after_name: b.title_after_name,
        apposition: b.apposition,
        envoy_of: b.envoy_of,
        unnamed_ceremony: b.unnamed_ceremony,
        determiner: b.determiner,
        past_reference: b.past_reference,
        named_by_year: b.named_by_year,
        no_meeting: b.no_meeting,
        clause_lead: b.clause_lead,
        ordinal: b.ordinal,
        time_zone: b.time_zone,
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
        warnings: Vec::new(),
    };
    (Some(rules), errors)
}

fn organisation_automaton(
    entities: &[Entity],
) -> Result<(AhoCorasick, Vec<usize>), aho_corasick::BuildError> {
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
        .build(surfaces.iter().map(|(s, _)| s.as_str()))?;
    Ok((automaton, surfaces.into_iter().map(|(_, i)| i).collect()))
}

impl Builder {
    fn add_entity(&mut self, raw: RawEntity, d: &mut Diagnostics) {
        let key = raw.id.get_ref().clone();
        if !key.starts_with(|c: char| c.is_ascii_lowercase())
            || !key
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        {
            return d.error(
                raw.id.span(),
                format_args!(
                    "entity id {key:?} must be lower-case ASCII letters, digits and _, \
                     starting with a letter"
                ),
                "ids are keys such as `uzb` or `xi_jinping`; the name goes in labels.zh",
            );
        }
        let kind = match &raw.kind {
            Some(k) => {
                match Kind::parse(k.get_ref()).filter(|k| k.is_entity() && *k != Kind::Group) {
                    Some(kind) => Some(kind),
                    None => {
                        return d.error(
                            k.span(),
                            format_args!("unknown entity type {:?}", k.get_ref()),
                            ENTITY_TYPES_HINT,
                        );
                    }
                }
            }
            None => None,
        };
        if let Some(w) = &raw.wikidata {
            let ok = w.get_ref().strip_prefix('Q').is_some_and(|n| {
                !n.starts_with('0') && !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit())
            });
            if !ok {
                return d.error(
                    w.span(),
                    format_args!("wikidata id {:?} is not of the form Q123", w.get_ref()),
                    "write the item's id alone (Q265 for Uzbekistan), not its URL",
                );
            }
        }
        let aliases = raw.aliases.iter().map(|a| a.get_ref().clone());
        if let Some(&i) = self.by_key.get(&key) {
            self.merge_entity(i, &raw, d);
            self.note_forms(i, &raw, d);
            let existing = &mut self.entities[i];
            for a in aliases {
                if !existing.aliases.contains(&a) {
                    existing.aliases.push(a);
                }
            }
            return;
        }
        let (Some(kind), Some(zh)) = (kind, raw.labels.zh.as_ref()) else {
            return d.error(
                raw.id.span(),
                format_args!("entity {key:?} needs a type and labels.zh"),
                "give the first entry of an id its type and Chinese label; later entries may \
                 only add to it",
            );
        };
        self.by_key.insert(key.clone(), self.entities.len());
        self.forms.push(Vec::new());
        self.entities.push(Entity {
            key,
            kind,
            zh: zh.get_ref().clone(),
            en: raw.labels.en.as_ref().map(|en| en.get_ref().clone()),
            aliases: aliases.collect(),
            wikidata: raw.wikidata.as_ref().map(|w| w.get_ref().clone()),
            country: None,
        });
        self.note_forms(self.entities.len() - 1, &raw, d);
        self.check_surfaces(&raw, d);
    }

    /// Keeps where each surface and the `country` of an entry are written.
    fn note_forms(&mut self, i: usize, raw: &RawEntity, d: &mut Diagnostics) {
        if let Some(zh) = &raw.labels.zh
            && !self.forms[i].iter().any(|(f, ..)| f == zh.get_ref())
        {
            self.forms[i].push((zh.get_ref().clone(), d.site(zh.span()), false));
        }
        for a in &raw.aliases {
            match self.forms[i].iter().find(|(f, ..)| f == a.get_ref()) {
                Some((_, first, true)) => d.warning(
                    a.span(),
                    format_args!("alias {:?} is already given at {first}", a.get_ref()),
                    "give each alias once",
                ),
                Some(_) => {}
                None => self.forms[i].push((a.get_ref().clone(), d.site(a.span()), true)),
            }
        }
        if let Some(en) = &raw.labels.en {
            self.pending_english
                .push((i, en.get_ref().clone(), d.site(en.span())));
        }
        if let Some(c) = &raw.country {
            match &self.entities[i].country {
                None => self.entities[i].country = Some(c.get_ref().clone()),
                Some(old) if old != c.get_ref() => d.error(
                    c.span(),
                    format_args!(
                        "entity {:?} already has the country {old:?}",
                        self.entities[i].key
                    ),
                    "entries of one id merge: a later entry may add aliases and fill gaps, \
                     not change what an earlier one says",
                ),
                Some(_) => {}
            }
            self.pending_countries
                .push((i, c.get_ref().clone(), d.site(c.span())));
        }
    }

    /// A second entry for a known key may add aliases and fill gaps, never contradict.
    fn merge_entity(&mut self, i: usize, raw: &RawEntity, d: &mut Diagnostics) {
        let e = &mut self.entities[i];
        let key = e.key.clone();
        let merge_hint = "entries of one id merge: a later entry may add aliases and fill \
                          gaps, not change what an earlier one says";
        if let Some(k) = &raw.kind
            && Kind::parse(k.get_ref()) != Some(e.kind)
        {
            d.error(
                k.span(),
                format_args!("entity {key:?} is already a {}", e.kind),
                merge_hint,
            );
        }
        if let Some(zh) = &raw.labels.zh
            && zh.get_ref() != &e.zh
        {
            d.error(
                zh.span(),
                format_args!("entity {key:?} already has the label {:?}", e.zh),
                merge_hint,
            );
        }
        match (raw.labels.en.as_ref().map(|en| en.get_ref()), &e.en) {
            (Some(new), Some(old)) if new != old => d.error(
                raw.id.span(),
                format_args!("entity {key:?} already has the English label {old:?}"),
                merge_hint,
            ),
            (Some(new), None) => e.en = Some(new.clone()),
            _ => {}
        }
        match (&raw.wikidata, &e.wikidata) {
            (Some(new), Some(old)) if new.get_ref() != old => d.error(
                new.span(),
                format_args!("entity {key:?} already has the Wikidata id {old}"),
                merge_hint,
            ),
            (Some(new), None) => e.wikidata = Some(new.get_ref().clone()),
            _ => {}
        }
        self.check_surfaces(raw, d);
    }

    /// Surfaces are registered after all files are read; here only their shape is checked,
    /// with the place of the offending string.
    fn check_surfaces(&self, raw: &RawEntity, d: &mut Diagnostics) {
        for a in raw.aliases.iter().chain(raw.labels.zh.iter()) {
            if a.get_ref().chars().count() < 2 {
                d.error(
                    a.span(),
                    format_args!(
                        "surface {:?} is too short: one character matches everywhere",
                        a.get_ref()
                    ),
                    "write the name in full; one-character names of states go in the \
                     lexicon's [parties.initials]",
                );
            }
        }
    }

    fn add_surface(&mut self, text: &str, target: Surface, out: &mut Vec<Diagnostic>, site: &Site) {
        if let Some(&i) = self.surface_index.get(text) {
            if self.surfaces[i].1 != target {
                site.push(
                    out,
                    Severity::Error,
                    format_args!(
                        "surface {text:?} already names {} at {}",
                        self.describe(&self.surfaces[i].1),
                        self.surface_sites[i]
                    ),
                    "a surface names one thing: drop it from one of the two, or make the \
                     longer name its own surface",
                );
            }
            return;
        }
        self.insert_surface(text.to_string(), target, site.clone());
    }

    /// Adds a surface no other surface has yet.
    fn insert_surface(&mut self, text: String, target: Surface, site: Site) {
        self.surface_index.insert(text.clone(), self.surfaces.len());
        self.surfaces.push((text, target));
        self.surface_sites.push(site);
    }

    fn describe(&self, s: &Surface) -> String {
        match s {
            Surface::Entity(i) => format!("{} {}", self.entities[*i].kind, self.entities[*i].key),
            Surface::Group { .. } => "a group".into(),
            Surface::Blocker => "a blocker".into(),
        }
    }

    fn add_entity_surfaces(&mut self, out: &mut Vec<Diagnostic>) {
        for i in 0..self.entities.len() {
            let e = &self.entities[i];
            let forms: Vec<String> = std::iter::once(e.zh.clone())
                .chain(e.aliases.iter().cloned())
                .collect();
            for f in forms {
                let site = self.forms[i]
                    .iter()
                    .find(|(g, ..)| *g == f)
                    .map(|(_, s, _)| s.clone())
                    .expect("every form of an entity has its place");
                self.add_surface(&f, Surface::Entity(i), out, &site);
            }
        }
        self.add_taiwan_forms();
    }

    /// Taiwan papers write many names in forms of their own (伊斯坦布林, 纽西兰, 沙乌地阿拉伯,
    /// 川普), which the text's conversion to simplified characters keeps. Each entity's name is
    /// also known in its Taiwan form: OpenCC's `s2twp` phrase table, then back to simplified
    /// characters one by one. A form another surface already has stays that one's.
    fn add_taiwan_forms(&mut self) {
        let (Ok(to_taiwan), Ok(to_simplified)) = (
            OpenCC::from_config(BuiltinConfig::S2twp),
            OpenCC::from_config(BuiltinConfig::T2s),
        ) else {
            return;
        };
        let entities: Vec<(String, usize)> = self
            .surfaces
            .iter()
            .filter_map(|(text, target)| match target {
                Surface::Entity(i) => Some((text.clone(), *i)),
                _ => None,
            })
            .collect();
        for (text, i) in entities {
            let taiwan: String =
                crate::normalize::by_character(&to_simplified, &to_taiwan.convert(&text)).collect();
            if taiwan != text
                && taiwan.chars().count() >= 2
                && !self.surface_index.contains_key(&taiwan)
            {
                let site = self.surface_sites[self.surface_index[&text]].clone();
                self.insert_surface(taiwan, Surface::Entity(i), site);
            }
        }
    }

    /// Two entities with one English label cannot be told apart in English output.
    fn resolve_english(&mut self, out: &mut Vec<Diagnostic>) {
        let mut first: HashMap<String, (usize, Site)> = HashMap::new();
        for (i, en, site) in std::mem::take(&mut self.pending_english) {
            match first.get(&en) {
                Some((j, at)) if *j != i => site.push(
                    out,
                    Severity::Warning,
                    format_args!(
                        "English label {en:?} is already the label of entity {:?} at {at}",
                        self.entities[*j].key
                    ),
                    "give each entity an English label of its own",
                ),
                Some(_) => {}
                None => {
                    first.insert(en, (i, site));
                }
            }
        }
    }

    /// A `country` must be the id of a state, and only a city, place or person has one:
    /// anything else would give no `acc:country`.
    fn resolve_countries(&mut self, out: &mut Vec<Diagnostic>) {
        for (i, key, site) in std::mem::take(&mut self.pending_countries) {
            let own = self.entities[i].kind;
            if ![Kind::City, Kind::Place, Kind::Person].contains(&own) {
                site.push(
                    out,
                    Severity::Error,
                    format_args!("a {own} has no country"),
                    "only a City, a Place or a Person has a country",
                );
                continue;
            }
            let kind = self.by_key.get(&key).map(|&c| self.entities[c].kind);
            if kind == Some(Kind::State) {
                continue;
            }
            let what = match kind {
                Some(k) => format!("is a {k}, not a State"),
                None => "names no entity".into(),
            };
            site.push(
                out,
                Severity::Error,
                format_args!(
                    "country {key:?} of entity {:?} {what}",
                    self.entities[i].key
                ),
                "use the id of a State entity (`uzb`, `chn`: rules/entities/generated/states.toml)",
            );
        }
    }

    fn resolve_initials(&mut self, out: &mut Vec<Diagnostic>) {
        for (c, keys, site) in std::mem::take(&mut self.pending_initials) {
            let mut states = Vec::new();
            for key in keys {
                match self.by_key.get(key.get_ref()) {
                    Some(&i) if self.entities[i].kind == Kind::State => states.push(i),
                    _ => site.push(
                        out,
                        Severity::Error,
                        format_args!("initial {c:?}: no state with id {:?}", key.get_ref()),
                        "list ids of State entities (`chn`, `rus`)",
                    ),
                }
            }
            self.parties.initials.insert(c, states);
        }
    }

    /// A venue is a surface of its city, though no label of it: where a meeting in the venue is
    /// held (`在人民大会堂举行` → 北京), not another name the city goes by.
    fn resolve_venues(&mut self, out: &mut Vec<Diagnostic>) {
        for (venue, city, site) in std::mem::take(&mut self.pending_venues) {
            match self.by_key.get(city.get_ref()) {
                Some(&i) if self.entities[i].kind == Kind::City => {
                    self.add_surface(&venue, Surface::Entity(i), out, &site);
                }
                _ => site.push(
                    out,
                    Severity::Error,
                    format_args!("venue {venue:?}: no city with id {:?}", city.get_ref()),
                    "give the id of a City entity (`beijing`)",
                ),
            }
        }
    }

    fn resolve_groups(&mut self, out: &mut Vec<Diagnostic>) {
        for (zh, of, site) in std::mem::take(&mut self.pending_groups) {
            let of = match of.as_deref() {
                None => GroupOf::Document,
                Some(PARTICIPANTS) => GroupOf::Participants,
                Some(key) => match self.by_key.get(key) {
                    Some(&i) => GroupOf::Organisation(i),
                    None => {
                        site.push(
                            out,
                            Severity::Error,
                            format_args!("group {zh:?}: no entity with id {key:?}"),
                            "`of` is the id of an organisation, or \"participants\"",
                        );
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
            self.add_surface(&zh, Surface::Group { of }, out, &site);
        }
    }

    fn add_lexicon(&mut self, raw: &mut RawFile, d: &mut Diagnostics) {
        for w in std::mem::take(&mut raw.office) {
            self.offices.push(w.zh.into_inner());
        }
        for (name, fragment) in std::mem::take(&mut raw.fragments) {
            if name == "offices" || !name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                d.error(
                    fragment.span(),
                    format_args!("fragment name {name:?} is not allowed"),
                    "use lower-case letters and `_`, and not `offices` (the lexicon's offices)",
                );
            } else if self.fragments.iter().any(|(n, _)| *n == name) {
                d.error(
                    fragment.span(),
                    format_args!("fragment {{{name}}} is already defined"),
                    "fragments of every file share one namespace: rename one",
                );
            } else {
                self.fragments
                    .push((name, mention_classes(fragment.get_ref())));
            }
        }
        for (venue, city) in std::mem::take(&mut raw.venues) {
            let site = d.site(city.span());
            self.pending_venues.push((venue, city, site));
        }
        for w in std::mem::take(&mut raw.group) {
            let site = d.site(w.zh.span());
            let of = w.of.map(|o| o.into_inner());
            self.pending_groups.push((w.zh.into_inner(), of, site));
        }
        for (from, to) in std::mem::take(&mut raw.regional) {
            if from.chars().count() == to.get_ref().chars().count() {
                self.regional.push((from, to.into_inner()));
            } else {
                d.error(
                    to.span(),
                    format_args!(
                        "regional word {from:?}: its mainland form must have as many characters"
                    ),
                    "the text is rewritten character for character; map only words of one length",
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
        if let Some(re) = raw.leader_offices.take() {
            self.leader_offices = compile_regex(&re, d);
        }
        if let Some(re) = raw.title_after_name.take() {
            self.title_after_name = compile_regex(&re, d);
        }
        if let Some(re) = raw.apposition.take() {
            self.apposition = compile_regex(&re, d);
        }
        if let Some(re) = raw.envoy_of.take() {
            self.envoy_of = compile_regex(&re, d);
        }
        if let Some(re) = raw.unnamed_ceremony.take() {
            self.unnamed_ceremony = compile_regex(&re, d);
        }
        if let Some(re) = raw.determiner.take() {
            self.determiner = compile_regex(&re, d);
        }
        if let Some(re) = raw.past_reference.take() {
            self.past_reference = compile_regex(&re, d);
        }
        if let Some(re) = raw.named_by_year.take() {
            self.named_by_year = compile_regex(&re, d);
        }
        if let Some(re) = raw.no_meeting.take() {
            self.no_meeting = compile_regex(&re, d);
        }
        if let Some(re) = raw.clause_lead.take() {
            self.clause_lead = compile_regex(&re, d);
        }
        if let Some(re) = raw.ordinal.take() {
            self.ordinal = compile_regex(&re, d);
        }
        if let Some(re) = raw.time_zone.take() {
            self.time_zone = compile_regex(&re, d);
        }
        if let Some(re) = raw.generic_meeting.take() {
            self.generic_meeting = compile_regex(&re, d);
        }
        if let Some(re) = raw.generic_meeting_of.take() {
            self.generic_meeting_of = compile_regex(&re, d);
        }
        if let Some(ceremony) = raw.ceremony.take() {
            self.ceremony = compile_regex(&ceremony, d);
        }
        if let Some(plan) = raw.plan_sentence.take() {
            self.plan_sentence = compile_regex(&plan, d);
        }
        if let Some(name) = raw.proposal_name.take() {
            self.proposal_name = compile_regex(&name, d);
        }
        if let Some(mut gap) = raw.list_gap.take() {
            *gap.get_mut() = mention_classes(gap.get_ref());
            self.list_gap = compile_list_gap(&gap, d).then(|| gap.into_inner());
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
            let site = d.site(b.span());
            self.pending_blockers.push((b.into_inner(), site));
        }
        for (k, v) in std::mem::take(&mut raw.numerals) {
            let mut chars = k.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => {
                    self.numerals.insert(c, v.into_inner());
                }
                _ => d.error(
                    v.span(),
                    format_args!("numeral {k:?} must be one character"),
                    "numerals map one character to its value (`十 = 10`)",
                ),
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
        self.parties.side = raw.side;
        self.parties.side_not_before = raw.side_not_before.chars().collect();
        for (k, words) in raw.collective_sides {
            if let Some(c) = k.chars().next() {
                self.parties.collective_sides.insert(c, words);
            }
        }
        for (word, n) in raw.counts {
            self.parties.counts.push((word, n));
        }
        // Longest first, so `三国` is not read as a shorter count word inside it.
        self.parties
            .counts
            .sort_by_key(|(w, _)| std::cmp::Reverse(w.chars().count()));
        for (k, keys) in raw.initials {
            let span = keys.first().map_or(0..0, |k| k.span());
            let mut chars = k.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => self.pending_initials.push((c, keys, d.site(span))),
                _ => d.error(
                    span,
                    format_args!("initial {k:?} must be one character"),
                    "initials are the one-character names of states (`俄 = [\"rus\"]`)",
                ),
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
            self.note_rule_id(&p.id, d);
            self.add_pattern(p, d);
        }
        for r in raw.relation {
            self.note_rule_id(&r.id, d);
            let lex = Lexicon {
                separators: &self.list_separators,
                suffixes: &self.list_item_suffixes,
                prefixes: &self.list_item_prefixes,
                offices: &self.offices,
                fragments: &self.fragments,
                list_gap: self.list_gap.as_deref(),
                kinds: None,
            };
            if let Some(rel) = compile_relation(r, &lex, &self.producible, d) {
                self.relations.push(rel);
            }
        }
    }

    /// Facts and mentions name the rule that made them: two rules of one id cannot be told
    /// apart.
    fn note_rule_id(&mut self, id: &Spanned<String>, d: &mut Diagnostics) {
        match self.rule_ids.get(id.get_ref()) {
            Some(first) => d.error(
                id.span(),
                format_args!("rule id {:?} is already used at {first}", id.get_ref()),
                "give each pattern and relation an id of its own",
            ),
            None => {
                self.rule_ids
                    .insert(id.get_ref().clone(), d.site(id.span()));
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
            return d.error(
                p.kind.span(),
                format_args!("unknown type {:?}", p.kind.get_ref()),
                TYPES_HINT,
            );
        };
        let mut trim = Vec::new();
        for t in &p.trim {
            match Kind::parse(t.get_ref()) {
                Some(k) => trim.push(k),
                None => d.error(
                    t.span(),
                    format_args!("unknown type {:?}", t.get_ref()),
                    TYPES_HINT,
                ),
            }
        }
        if !check::check_words(&p.regex, &self.offices, &self.fragments, d) {
            return;
        }
        let source = Spanned::new(
            p.regex.span(),
            expand_words(p.regex.get_ref(), &self.offices, &self.fragments),
        );
        let reject = p
            .reject
            .as_ref()
            .and_then(|r| compile_filter(r, "reject", d));
        if let Some(regex) = compile_regex(&source, d) {
            if check::never_matches(source.get_ref()) {
                d.error(
                    p.regex.span(),
                    check::NEVER_MATCHES,
                    check::NEVER_MATCHES_HINT,
                );
            }
            let line = d.site(p.id.span()).line;
            self.patterns.push(Pattern {
                place: format!("{}:{line}", d.file),
                examples: p.examples,
                counterexamples: p.counterexamples,
                id: p.id.into_inner(),
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
            d.error(
                source.span(),
                format_args!("invalid regex: {}", regex_message(&e)),
                REGEX_HINT,
            );
            None
        }
    }
}

/// The regex of an unnamed list item, checked where it is written: it is pasted into every
/// tolerant list slot, where a mistake would otherwise be reported at each relation that has
/// one, and an item that may be empty would let a list run over any text.
fn compile_list_gap(source: &Spanned<String>, d: &mut Diagnostics) -> bool {
    if compile_regex(source, d).is_none() {
        return false;
    }
    if check::matches_everything(source.get_ref()) {
        d.error(
            source.span(),
            "list_gap matches the empty string, so a list would run over any text",
            "give the unnamed item at least one character, as in `[^，。]{1,20}`",
        );
        return false;
    }
    true
}

/// A relation's `exclude` or `reject`, which read the text: named lists and fragments
/// (`{not_a_name}`) stand for their words there as in patterns.
fn compile_text_filter(
    source: &Spanned<String>,
    key: &str,
    lex: &Lexicon,
    d: &mut Diagnostics,
) -> Option<Regex> {
    if !check::check_words(source, lex.offices, lex.fragments, d) {
        return None;
    }
    let expanded = Spanned::new(
        source.span(),
        expand_words(source.get_ref(), lex.offices, lex.fragments),
    );
    compile_filter(&expanded, key, d)
}

/// An `exclude` or `reject` regex: one that matches the empty string (`将|`, a stray `|`)
/// matches every text, so the rule it filters never gives anything.
fn compile_filter(source: &Spanned<String>, key: &str, d: &mut Diagnostics) -> Option<Regex> {
    let re = compile_regex(source, d)?;
    if check::matches_everything(source.get_ref()) {
        d.error(
            source.span(),
            format_args!("{key} matches every text, so the rule never gives anything"),
            "it matches the empty string: look for an empty alternative (a stray `|`) or a `?`/`*` \
             over all of it",
        );
    }
    Some(re)
}

/// The regex crate's message without the pattern it repeats (the place says where).
fn regex_message(e: &regex::Error) -> String {
    let last = e
        .to_string()
        .lines()
        .last()
        .unwrap_or("")
        .trim()
        .to_string();
    last.strip_prefix("error: ").unwrap_or(&last).to_string()
}

const REGEX_HINT: &str = "the syntax is Rust's regex crate's (docs.rs/regex); escape ( ) [ ] { } \
                          with \\ to match them as written";
const TYPES_HINT: &str = "types are State, City, Place, Organization, Person, Document, \
                          Initiative, Event, Topic, Group and Date";
const ENTITY_TYPES_HINT: &str = "entity types are State, City, Place, Organization, Person, \
                                 Document, Initiative, Event and Topic";

/// Replaces each `{fragment}` of the lexicon with its text (fragments may use one another and
/// `{offices}`), then `{offices}` with an alternation of the lexicon's offices, longest first.
pub(crate) fn expand_words(
    pattern: &str,
    offices: &[String],
    fragments: &[(String, String)],
) -> String {
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
    if offices.is_empty() {
        // An empty list matches nothing, not the empty string.
        return out.replace("{offices}", EMPTY_CLASS);
    }
    let alternation: Vec<String> = offices.iter().map(|o| regex::escape(o)).collect();
    mention_classes(&out.replace("{offices}", &format!("(?:{})", alternation.join("|"))))
}

/// Replaces, inside character classes, `{mention}` with the placeholders of every mention and
/// `{mention:Person|Group}` with those of mentions of these types: `[^，。；{mention}]` is any
/// character of the clause that is no mention. A type the code does not know is left as
/// written, for the slot parser to name.
pub(crate) fn mention_classes(pattern: &str) -> String {
    static MENTION: OnceLock<Regex> = OnceLock::new();
    let re = MENTION.get_or_init(|| Regex::new(r"\{mention(?::([A-Za-z|]+))?\}").expect("regex"));
    re.replace_all(pattern, |caps: &regex::Captures| {
        let Some(types) = caps.get(1) else {
            return format!(
                "\\x{{{:X}}}-\\x{{{:X}}}",
                Kind::State.placeholder() as u32,
                PLACEHOLDER_LAST
            );
        };
        let kinds: Option<Vec<Kind>> = types.as_str().split('|').map(Kind::parse).collect();
        match kinds {
            Some(kinds) => kinds
                .iter()
                .map(|k| format!("\\x{{{:X}}}", k.placeholder() as u32))
                .collect(),
            None => caps[0].to_string(),
        }
    })
    .into_owned()
}

/// The last character the placeholders of mentions may use (the private-use area's end).
const PLACEHOLDER_LAST: u32 = 0xF8FF;

/// The name of the mention class in rule regexes (`{mention}`, `{mention:Person}`).
pub(crate) const MENTION_CLASS: &str = "mention";

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
    /// Only mentions of these kinds fill slots (the check's question: can the rule match at
    /// all with what the other rules make?); all kinds when none.
    pub kinds: Option<&'a [Kind]>,
}

/// The lexicon fragment that may follow each item of a tolerant list (a name's note).
const LIST_ITEM_NOTE: &str = "list_item_note";

/// The lexicon fragment that may open an item of a tolerant list besides the words of
/// `list_item_prefixes`: a status written with the organisation it is of (`拉共体轮值主席国`).
const LIST_ITEM_STATUS: &str = "list_item_status";

/// The lexicon fragment for a bare unknown name in a tolerant list, after its first unnamed
/// item (`…、库克群岛、纽埃等`).
const LIST_UNKNOWN_NAME: &str = "list_unknown_name";

/// A class no character is in.
const EMPTY_CLASS: &str = "[^\\s\\S]";

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
            if lex.kinds.is_none_or(|ks| ks.contains(&kind)) {
                class.push_str(&format!("\\x{{{:X}}}", kind.placeholder() as u32));
            }
        }
        class.push(']');
        if class == "[]" {
            class = EMPTY_CLASS.to_string();
        }
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
                    let status = lex.fragments.iter().find(|(k, _)| k == LIST_ITEM_STATUS);
                    let item = if lex.prefixes.is_empty() && status.is_none() {
                        item
                    } else {
                        // `以及主席国客人…`: a joining word may come before the status.
                        let seps = alt(lex.separators);
                        let mut prefixes: Vec<String> =
                            lex.prefixes.iter().map(|p| regex::escape(p)).collect();
                        prefixes.extend(status.map(|(_, re)| format!("(?:{re})")));
                        let prefixes = prefixes.join("|");
                        format!("(?:(?:{seps})?(?:{prefixes}))?{item}")
                    };
                    // An unnamed item may open the list too, before `、`, `和` or `以及`
                    // (`习近平特使、国家副主席王岐山`, `东盟国家领导人和东盟秘书长高金洪`); two more
                    // that are bare names (no mention, no verb) may follow it between named items
                    // or at the end (`…、汤加、库克群岛、纽埃等`).
                    let bare = match lex.fragments.iter().find(|(k, _)| k == LIST_UNKNOWN_NAME) {
                        Some((_, name)) => format!("(?:、(?:{name})){{0,2}}"),
                        None => String::new(),
                    };
                    format!(
                        "(?:{gap}(?:、|和|以及))?{item}(?:{sep}(?:{gap}{bare}{sep})?{item})*(?:{sep}{gap}{bare})?"
                    )
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

fn compile_relation(
    r: RawRelation,
    lex: &Lexicon,
    producible: &[Kind],
    d: &mut Diagnostics,
) -> Option<Relation> {
    if !check::check_words(&r.pattern, lex.offices, lex.fragments, d) {
        return None;
    }
    let expanded = match expand_slots(r.pattern.get_ref(), lex) {
        Ok(p) => p,
        Err(e) => {
            d.error(r.pattern.span(), e, SLOT_HINT);
            return None;
        }
    };
    let regex = match Regex::new(&expanded) {
        Ok(re) => re,
        Err(e) => {
            d.error(
                r.pattern.span(),
                format_args!("invalid pattern: {}", regex_message(&e)),
                REGEX_HINT,
            );
            return None;
        }
    };
    let names: Vec<&str> = regex.capture_names().flatten().collect();
    let mut create = Vec::new();
    for (slot, kind) in &r.create {
        match Kind::parse(kind.get_ref()).filter(|k| k.is_entity()) {
            Some(k) if names.contains(&slot.as_str()) => create.push((slot.clone(), k)),
            Some(_) => d.error(
                kind.span(),
                format_args!("create: slot {slot:?} is not in the pattern"),
                "name a group of the pattern, such as (?P<object>…)",
            ),
            None => d.error(
                kind.span(),
                format_args!("create: unknown entity type {:?}", kind.get_ref()),
                ENTITY_TYPES_HINT,
            ),
        }
    }
    let kinds = check::SlotKinds {
        slots: check::slot_kinds(&expand_words(
            r.pattern.get_ref(),
            lex.offices,
            lex.fragments,
        )),
        create: &create,
    };
    let mut facts = Vec::new();
    for f in &r.facts {
        if let Some(t) = fact_template(f, &names, &kinds, d) {
            facts.push(t);
        }
    }
    let exclude = r
        .exclude
        .as_ref()
        .and_then(|e| compile_text_filter(e, "exclude", lex, d));
    let mut reject = Vec::new();
    for (slot, re) in &r.reject {
        if !names.contains(&slot.as_str()) {
            d.error(
                re.span(),
                format_args!("reject: slot {slot:?} is not in the pattern"),
                "reject is keyed by a group of the pattern",
            );
        } else if let Some(re) = compile_text_filter(re, "reject", lex, d) {
            reject.push((slot.clone(), re));
        }
    }
    let scope = match r.scope.as_ref().map(|s| s.get_ref().as_str()) {
        None | Some("body") => Scope::Body,
        Some("signature") => Scope::Signature,
        Some(other) => {
            d.error(
                r.scope.as_ref().unwrap().span(),
                format_args!("unknown scope {other:?}"),
                "scope is \"body\" (running text, the default) or \"signature\"",
            );
            Scope::Body
        }
    };
    if let Some(rep) = &r.replace {
        for slot in rep.get_ref().split(',').flat_map(|x| x.split(['@', '|'])) {
            if !names.contains(&slot.trim()) {
                d.error(
                    rep.span(),
                    format_args!("replace: slot {:?} is not in the pattern", slot.trim()),
                    "replace lists groups of the pattern, separated by commas",
                );
            }
        }
    }
    if let Some(role) = &r.role
        && !names.contains(&role.get_ref().as_str())
    {
        d.error(
            role.span(),
            format_args!("role: group {:?} is not in the pattern", role.get_ref()),
            "role names the group whose text is the office, such as (?P<role>{offices})",
        );
    }
    check::warn_unused_groups(&r, &names, d);
    if check::never_matches(&expanded) {
        d.error(
            r.pattern.span(),
            check::NEVER_MATCHES,
            check::NEVER_MATCHES_HINT,
        );
    } else {
        check::warn_unfillable(&r, lex, producible, d);
    }
    let line = d.site(r.id.span()).line;
    let elements = elements::elements(r.pattern.get_ref(), lex);
    let list_kinds = tolerant_slots(r.pattern.get_ref());
    Some(Relation {
        place: format!("{}:{line}", d.file),
        id: r.id.into_inner(),
        regex,
        facts,
        create,
        exclude,
        reject,
        role: r.role.map(|s| s.into_inner()),
        replace: r.replace.map(|s| s.into_inner()),
        scope,
        examples: r.examples,
        counterexamples: r.counterexamples,
        elements,
        list_kinds,
    })
}

/// The tolerant list slots of a pattern (`{who:Person*}`) with their types.
fn tolerant_slots(pattern: &str) -> Vec<(String, Vec<Kind>)> {
    static SLOT: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let slot = SLOT.get_or_init(|| {
        Regex::new(r"\{(\w+):([A-Za-z|]+)\*\}").expect("the slot syntax is a valid regex")
    });
    slot.captures_iter(pattern)
        .map(|c| {
            let kinds = c[2].split('|').filter_map(Kind::parse).collect();
            (c[1].to_string(), kinds)
        })
        .collect()
}

const SLOT_HINT: &str = "a slot is {name:Type}, {name:Type|Type}, {name:Type+} (a list) or \
                         {_:Type} (not captured)";

/// Reads one `subject predicate object` of a relation, checking its slots and that their
/// types suit the predicate.
fn fact_template(
    f: &Spanned<String>,
    names: &[&str],
    kinds: &check::SlotKinds,
    d: &mut Diagnostics,
) -> Option<FactTemplate> {
    let parts: Vec<&str> = f.get_ref().split_whitespace().collect();
    let [s, p, o] = parts[..] else {
        d.error(
            f.span(),
            "a fact is `subject predicate object`",
            "write three words: two slots and a predicate, such as \"s supports o\"",
        );
        return None;
    };
    let Some((domain, range)) = signature(p) else {
        d.error(
            f.span(),
            format_args!("unknown predicate {p:?}"),
            format_args!("predicates are {}", PREDICATES.join(", ")),
        );
        return None;
    };
    let mut ok = true;
    for slot in [s, o]
        .into_iter()
        .flat_map(|x| x.split(['@', '|']))
        .map(slot_group)
    {
        if !SPECIAL_SLOTS.contains(&slot) && !names.contains(&slot) {
            ok = false;
            d.error(
                f.span(),
                format_args!("slot {slot:?} is not in the pattern"),
                format_args!(
                    "name a group of the pattern ({{{slot}:Type}} or (?P<{slot}>…)), or use {}",
                    SPECIAL_SLOTS.join(", ")
                ),
            );
        }
    }
    if ok {
        check::check_kinds(f, "subject", s, p, &kinds.of(s), domain, d);
        check::check_kinds(f, "object", o, p, &kinds.of(o), range, d);
    }
    Some(FactTemplate {
        subject: s.into(),
        predicate: p.into(),
        object: o.into(),
    })
}

/// The kinds of mention the rules can make: of gazetteer entities, patterns, group words and
/// relations that replace their match with a mention (created, or of a slot they fold).
fn producible_kinds<'a>(b: &Builder, files: impl Iterator<Item = &'a RawFile>) -> Vec<Kind> {
    let mut kinds: Vec<Kind> = b.entities.iter().map(|e| e.kind).collect();
    if !b.pending_groups.is_empty() {
        kinds.push(Kind::Group);
    }
    for raw in files {
        kinds.extend(
            raw.pattern
                .iter()
                .filter_map(|p| Kind::parse(p.kind.get_ref())),
        );
        for r in raw.relation.iter().filter(|r| r.replace.is_some()) {
            kinds.extend(r.create.values().filter_map(|k| Kind::parse(k.get_ref())));
            kinds.extend(
                check::slot_kinds(r.pattern.get_ref())
                    .into_iter()
                    .flat_map(|(_, ks)| ks),
            );
        }
    }
    kinds.sort();
    kinds.dedup();
    kinds
}

/// Domain and range of each predicate of rule files, as `ontology/accord.ttl` declares them
/// (a test compares), and of the pseudo-predicates: `dated` (a date slot gives both dates),
/// `sitsIn`, `adoptedAt`/`signedAt` and `signedByAttendeesOf` (a document and its meeting).
pub fn signature(predicate: &str) -> Option<(&'static [Kind], &'static [Kind])> {
    use Kind::*;
    const ENTITIES: &[Kind] = &[
        State,
        City,
        Place,
        Organization,
        Person,
        Document,
        Initiative,
        Event,
        Group,
        Topic,
    ];
    const PLACES: &[Kind] = &[City, Place, State];
    const DATES: &[Kind] = &[Date];
    const DOCUMENT: &[Kind] = &[Document];
    const DATED_THINGS: &[Kind] = &[Event, Initiative, Document];
    const MEMBERS: &[Kind] = &[State, Organization];
    Some(match predicate {
        "proposed" => (
            &[State, Organization, Person],
            &[Initiative, Document, Event, Organization],
        ),
        "supports" | "welcomes" | "notes" | "appreciates" | "regrets" | "concernedAbout"
        | "opposes" | "condemns" => (&[Group, State, Organization, Person], ENTITIES),
        "signedIn" | "adoptedIn" => (DOCUMENT, PLACES),
        "signedOn" | "adoptedOn" | "enteredIntoForceOn" => (DOCUMENT, DATES),
        "signedBy" => (DOCUMENT, &[Person, State, Organization]),
        "adoptedBy" => (DOCUMENT, &[Organization, State, Event]),
        "heldIn" => (&[Event], PLACES),
        "startDate" | "endDate" | DATED => (DATED_THINGS, DATES),
        "hostedBy" => (&[Event], MEMBERS),
        "locatedIn" => (&[Initiative, Organization], PLACES),
        "joined" | "observerOf" | "dialoguePartnerOf" => (MEMBERS, &[Organization]),
        "represents" => (&[Person], MEMBERS),
        "hasMember" => (&[Group], &[State]),
        "attended" => (&[Person, State], &[Event]),
        "chaired" => (&[State, Person], &[Organization, Event]),
        SITS_IN => (ENTITIES, PLACES),
        LASTS_DAYS => (&[Event], &[Event]),
        SIGNED_BY_ATTENDEES => (DOCUMENT, &[Event]),
        p if AT_EVENT.iter().any(|(at, ..)| *at == p) => (DOCUMENT, &[Event]),
        _ => return None,
    })
}

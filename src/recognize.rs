//! Finds typed mentions in a paragraph: gazetteer surfaces (one Aho-Corasick pass,
//! leftmost-longest), then the pattern rules (dates, 《titles》, quoted names, events, persons
//! by office). Where candidates overlap, the longer one wins (a 《title》 over the organisation
//! named inside it), then the higher priority, then the earlier start.
//!
//! Invariant: recognize does no I/O and cannot fail; spans are character offsets into the
//! paragraph's text.

use std::sync::{Arc, Mutex, OnceLock};

use regex::Regex;

use crate::date::{Context, DateValue, Point, RawDate};
use crate::rules::{GroupOf, Kind, Rules, Surface};

#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A gazetteer entity (index into `Rules::entities`).
    Entity(usize),
    /// An entity found by a pattern, named by its label as written.
    Text(String),
    /// The member states of an organisation, or of the document's organisation.
    Group {
        of: GroupOf,
    },
    Date(DateValue),
    /// A date as written, until `resolve_dates` reads it against its context.
    RawDate(RawDate),
    /// The states of a count of parties written with their one-character names (`中俄双方`).
    Parties(Vec<usize>),
    /// A state's side written with an initial that names several states (`乌方`), until the
    /// document tells which: the one of them it names in full.
    Side(Vec<usize>),
    /// A word that refers back to the last event named (`出席会议`: that meeting).
    Anaphor,
    /// An anaphor with no meeting named before it among the mentions: text for the relation
    /// rules (which may read it as `$event`, a meeting a rule named) or, when `Some` and no
    /// rule named a meeting before, the document's own meeting by that word (`峰会`).
    Unresolved(Option<String>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Mention {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
    pub target: Target,
    /// The rule that found it: `gazetteer` or a pattern id.
    pub rule: String,
    /// The organisation a meeting's name begins with (`上合组织` of `上合组织峰会`), which the
    /// text names too.
    pub owner: Option<usize>,
}

struct Candidate {
    mention: Mention,
    priority: i32,
    /// From an `owned` pattern: the end of a meeting's name, which names nothing alone.
    owned: bool,
    trim: Vec<Kind>,
}

/// Mentions of one paragraph, sorted by start. `document` is the document's date, for dates
/// written without a year (`6月13日`, `今年`).
pub fn recognize(rules: &Rules, text: &str, document: Option<Point>) -> Vec<Mention> {
    recognize_after(rules, text, document, None)
}

/// `recognize`, for a paragraph after others: `earlier` is the last date they wrote, the day a
/// paragraph's `当天` (`同日`, `次日`) counts from when the paragraph writes no date before it
/// (`会议昨(1)日举行。` … `当天上午举行的…会议`).
pub fn recognize_after(
    rules: &Rules,
    text: &str,
    document: Option<Point>,
    earlier: Option<Point>,
) -> Vec<Mention> {
    let chars = CharIndex::new(text);
    let mut candidates = gazetteer(rules, text, &chars);
    let names: Vec<(usize, usize)> = candidates
        .iter()
        .map(|c| (c.mention.start, c.mention.end))
        .collect();
    candidates.extend(patterns(rules, text, &chars, &names));
    trim(&mut candidates, text);
    let mut mentions = select(candidates);
    // Mentions count characters: index the paragraph's characters once for the joins.
    let letters: Vec<char> = text.chars().collect();
    drop_namesakes(rules, &mut mentions, &letters);
    absorb_titles(rules, &mut mentions, &letters);
    drop_senders(rules, &mut mentions, &letters);
    join_parties(rules, &mut mentions, &letters);
    mark_sides(rules, &mut mentions, &letters);
    join_owner_to_event(rules, &mut mentions, &letters);
    absorb_quotes(&mut mentions, &letters);
    absorb_time_zones(rules, &mut mentions, &letters);
    resolve_dates(&mut mentions, document, earlier);
    mentions
}

/// A known person's surname written after given names that are not his (`艾莎塔·塔尔·萨勒`,
/// where the gazetteer knows `马基·萨勒`) names someone else: the mention is dropped, and the
/// full name is left to the person rules. Given names are his when each is one of the names his
/// dotted forms write, or an initial (`弗·普京`, `德·阿·梅德韦杰夫`); a person known by no
/// dotted form keeps any.
fn drop_namesakes(rules: &Rules, mentions: &mut Vec<Mention>, chars: &[char]) {
    mentions.retain(|m| {
        let Target::Entity(i) = m.target else {
            return true;
        };
        if m.kind != Kind::Person || m.start == 0 || chars[m.start - 1] != '·' {
            return true;
        }
        let written = given_names(&chars[..m.start - 1]);
        let entity = &rules.entities[i];
        let known: Vec<&str> = std::iter::once(&entity.zh)
            .chain(&entity.aliases)
            .filter(|f| f.contains('·'))
            .flat_map(|f| f.split('·'))
            .collect();
        // The leftmost given name may run into the words before it (`总统弗拉基米尔`): it
        // matches by its end, or as an initial by its last character.
        let leftmost = written.len().saturating_sub(1);
        known.is_empty()
            || written.iter().enumerate().all(|(n, w)| {
                known.iter().any(|k| {
                    let initial = w.chars().last().is_some_and(|c| k.starts_with(c));
                    if n == leftmost {
                        w.ends_with(k) || initial
                    } else {
                        // An initial (`德·阿·梅德韦杰夫`) may be a patronymic's.
                        w == k || w.chars().count() == 1
                    }
                })
            })
    });
}

/// The given names written right before a name's last dot, nearest first (`塔尔`, `艾莎塔` of
/// `艾莎塔·塔尔·萨勒`); the leftmost runs back to the first character that is no Han.
fn given_names(before: &[char]) -> Vec<String> {
    let mut names = Vec::new();
    let mut end = before.len();
    loop {
        let start = before[..end]
            .iter()
            .rposition(|c| !is_han(*c))
            .map_or(0, |p| p + 1);
        if start == end {
            break;
        }
        names.push(before[start..end].iter().collect());
        if start == 0 || before[start - 1] != '·' || names.len() == 3 {
            break;
        }
        end = start - 1;
    }
    names
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

/// The gazetteer entities the mentions name.
fn named_entities<'m>(mentions: impl IntoIterator<Item = &'m Mention>) -> Vec<usize> {
    mentions
        .into_iter()
        .filter_map(|m| match m.target {
            Target::Entity(i) => Some(i),
            _ => None,
        })
        .collect()
}

/// One-character names of states right before a count of parties (`中俄` + `双方`, `中吉乌` +
/// `三国`) name those parties: one mention of the states, taking in a group word that begins at
/// the count (`两国领导人`). A character that names several states (巴) stands for the one the
/// paragraph names in full; where it names none of them, or the count does not match the
/// characters, the text names no parties.
fn join_parties(rules: &Rules, mentions: &mut Vec<Mention>, chars: &[char]) {
    let parties = &rules.parties;
    if parties.counts.is_empty() || !chars.iter().any(|c| parties.initials.contains_key(c)) {
        return;
    }
    let named = named_entities(mentions.iter());
    let pick = |c: &char| -> Option<usize> {
        let states = parties.initials.get(c)?;
        match states.as_slice() {
            [one] => Some(*one),
            _ => {
                let mut named_here = states.iter().filter(|i| named.contains(i));
                match (named_here.next(), named_here.next()) {
                    (Some(&i), None) => Some(i),
                    _ => None,
                }
            }
        }
    };
    let mut found = Vec::new();
    for pos in 1..chars.len() {
        let Some((word, n)) = parties.counts.iter().find(|(w, _)| {
            chars[pos..]
                .iter()
                .copied()
                .take(w.chars().count())
                .eq(w.chars())
        }) else {
            continue;
        };
        let Some(start) = pos.checked_sub(*n) else {
            continue;
        };
        if start > 0 && parties.initials.contains_key(&chars[start - 1]) {
            continue;
        }
        let Some(states) = chars[start..pos]
            .iter()
            .map(pick)
            .collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        let mut distinct = states.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() == states.len() {
            found.push((start, pos + word.chars().count(), states));
        }
    }
    for (start, end, states) in found {
        let inside: Vec<usize> = (0..mentions.len())
            .filter(|&i| mentions[i].start < end && mentions[i].end > start)
            .collect();
        // Inside a longer name (a 《title》, an event) the characters are that name's.
        if inside.iter().any(|&i| {
            mentions[i].start < start || !matches!(mentions[i].target, Target::Group { .. })
        }) {
            continue;
        }
        let end = inside
            .iter()
            .map(|&i| mentions[i].end)
            .fold(end, usize::max);
        let at = inside
            .first()
            .copied()
            .unwrap_or_else(|| mentions.partition_point(|m| m.start < start));
        mentions.splice(
            at..at + inside.len(),
            [Mention {
                start,
                end,
                kind: Kind::State,
                target: Target::Parties(states),
                rule: "parties".into(),
                owner: None,
            }],
        );
    }
}

/// A state's side written with an initial that names several states (`乌方`: Uzbekistan or
/// Ukraine; the gazetteer names the sides of the others, `俄方`): the state the paragraph
/// names in full, else the one the document names (`resolve_sides`). Not inside a longer
/// name, nor before a character that makes the side word another word (`新方案`).
fn mark_sides(rules: &Rules, mentions: &mut Vec<Mention>, chars: &[char]) {
    let parties = &rules.parties;
    let Some(side) = parties.side.as_deref() else {
        return;
    };
    let side: Vec<char> = side.chars().collect();
    let named = named_entities(mentions.iter());
    for start in 0..chars.len() {
        let Some(states) = parties.side_candidates(chars[start]) else {
            continue;
        };
        let end = start + 1 + side.len();
        if !chars[start + 1..].starts_with(&side)
            || chars
                .get(end)
                .is_some_and(|c| parties.side_not_before.contains(c))
            || mentions.iter().any(|m| m.start < end && m.end > start)
        {
            continue;
        }
        let here: Vec<usize> = states
            .iter()
            .copied()
            .filter(|i| named.contains(i))
            .collect();
        let states = if here.len() == 1 {
            here
        } else {
            states.to_vec()
        };
        let at = mentions.partition_point(|m| m.start < start);
        mentions.insert(
            at,
            Mention {
                start,
                end,
                kind: Kind::State,
                target: Target::Side(states),
                rule: "side".into(),
                owner: None,
            },
        );
    }
}

/// A side (`乌方`) is the state its paragraph named, else the one of its states the document
/// names in full. Where the document names none or several, the side names nothing and is
/// dropped. Where it writes a word of a collective side (`阿方` in a text on `阿拉伯国家`: the
/// Arab side), the side is the member states of the organisation one of those words names
/// (`阿盟`), as a group.
/// `title` is the document's title line, which names the parties of a joint statement.
pub fn resolve_sides(
    rules: &Rules,
    title: Option<&str>,
    texts: &[&str],
    mentions: &mut [Vec<Mention>],
) {
    let parties = &rules.parties;
    let open = |m: &Mention| matches!(m.target, Target::Side(_));
    if !mentions.iter().flatten().any(open) {
        return;
    }
    let in_title = title.map(|t| recognize(rules, t, None)).unwrap_or_default();
    let named = named_entities(mentions.iter().flatten().chain(&in_title));
    let collective = |c: char| {
        parties.collective_sides.get(&c).is_some_and(|words| {
            words
                .iter()
                .any(|w| texts.iter().chain(&title).any(|t| t.contains(w.as_str())))
        })
    };
    // The organisation of a collective side: the one of its words that names one (阿盟).
    let organisation_of = |c: char| {
        parties
            .collective_sides
            .get(&c)?
            .iter()
            .find_map(|w| match rules.lookup_surface(w) {
                Some(Surface::Entity(i)) if rules.entities[*i].kind == Kind::Organization => {
                    Some(*i)
                }
                _ => None,
            })
    };
    for (text, paragraph) in texts.iter().zip(mentions.iter_mut()) {
        paragraph.retain_mut(|m| {
            let Target::Side(states) = &m.target else {
                return true;
            };
            if let Some(c) = text.chars().nth(m.start).filter(|&c| collective(c)) {
                // The side of the states of that organisation (阿方: the Arab states), where
                // the lexicon names it; else no one.
                return match organisation_of(c) {
                    Some(i) => {
                        m.kind = Kind::Group;
                        m.target = Target::Group {
                            of: GroupOf::Organisation(i),
                        };
                        true
                    }
                    None => false,
                };
            }
            let mut in_document = states
                .iter()
                .filter(|i| states.len() == 1 || named.contains(i));
            match (in_document.next(), in_document.next()) {
                (Some(&i), None) => {
                    m.target = Target::Entity(i);
                    true
                }
                _ => false,
            }
        });
    }
}

/// An organisation written right before a meeting found by a pattern is part of its name
/// (`亚信` + `第六次外长会议`), also across the lexicon's `event_owner_gap` words (`金砖国家` +
/// `领导人` + `第十一次会晤`): the meeting is the organisation's, and its label says so.
/// Quoted names stay as they are.
fn join_owner_to_event(rules: &Rules, mentions: &mut Vec<Mention>, chars: &[char]) {
    join_city_to_meeting_word(rules, mentions, chars);
    let mut i = 0;
    while i + 1 < mentions.len() {
        let (a, b) = (&mentions[i], &mentions[i + 1]);
        let owns = a.kind == Kind::Organization
            && b.kind == Kind::Event
            && matches!(b.target, Target::Text(_))
            // A quoted name is a name of its own: 安理会“…”会议 is not 安理会…会议.
            && chars.get(b.start) != Some(&'“')
            && (a.end == b.start
                || (a.end < b.start
                    && rules.event_owner_gap.as_ref().is_some_and(|re| {
                        re.is_match(&chars[a.end..b.start].iter().collect::<String>())
                    })));
        if owns {
            let owner = match a.target {
                Target::Entity(i) => Some(i),
                _ => a.owner,
            };
            let joined = joined_event(a, b, chars, owner);
            mentions.splice(i..i + 2, [joined]);
        }
        i += 1;
    }
    join_partner_to_event(rules, mentions, chars);
    // The end of a name that no organisation came to own names nothing.
    mentions.retain(|m| !is_owned(rules, m));
}

/// A city right before a bare meeting word names a meeting (乌法 + 会晤, 杭州 + 峰会), which an
/// organisation before it may own in turn (金砖国家领导人乌法会晤).
fn join_city_to_meeting_word(rules: &Rules, mentions: &mut Vec<Mention>, chars: &[char]) {
    let mut i = 0;
    while i + 1 < mentions.len() {
        let (a, b) = (&mentions[i], &mentions[i + 1]);
        if matches!(a.kind, Kind::City | Kind::Place) && a.end == b.start && is_owned(rules, b) {
            let joined = joined_event(a, b, chars, None);
            mentions.splice(i..i + 2, [joined]);
        }
        i += 1;
    }
}

/// A state or organisation joined to a meeting's name by the lexicon's `event_partner_gap`
/// (`欧盟` + `—` + `拉共体峰会`) is the meeting's other party: one name, as the text writes it.
fn join_partner_to_event(rules: &Rules, mentions: &mut Vec<Mention>, chars: &[char]) {
    let Some(gap) = rules.event_partner_gap.as_ref() else {
        return;
    };
    let mut i = 0;
    while i + 1 < mentions.len() {
        let (a, b) = (&mentions[i], &mentions[i + 1]);
        let joins = matches!(a.kind, Kind::State | Kind::Organization)
            && b.kind == Kind::Event
            && matches!(b.target, Target::Text(_))
            && a.end < b.start
            && chars.get(b.start) != Some(&'“')
            && gap.is_match(&chars[a.end..b.start].iter().collect::<String>());
        if joins {
            let joined = joined_event(a, b, chars, b.owner);
            mentions.splice(i..i + 2, [joined]);
        }
        i += 1;
    }
}

/// Whether a mention comes from an `owned` pattern: only the end of a meeting's name.
fn is_owned(rules: &Rules, m: &Mention) -> bool {
    rules.is_owned_rule(&m.rule)
}

/// The meeting named by `a` and the meeting words `b` right after it, as one mention.
fn joined_event(a: &Mention, b: &Mention, chars: &[char], owner: Option<usize>) -> Mention {
    Mention {
        start: a.start,
        end: b.end,
        kind: Kind::Event,
        target: Target::Text(chars[a.start..b.end].iter().collect()),
        rule: format!("{}+{}", a.rule, b.rule),
        owner,
    }
}

/// A title written after a person's name (`习近平主席`, `洪森阁下`) is part of the name's
/// mention, so rules need not allow for it between the name and its verb. The lexicon's
/// `title_after_name` says which titles, and where a following character makes the title
/// another word (`主席国`). A title that runs into the next mention is left alone.
fn absorb_titles(rules: &Rules, mentions: &mut [Mention], chars: &[char]) {
    let Some(title) = &rules.title_after_name else {
        return;
    };
    for i in 0..mentions.len() {
        if mentions[i].kind != Kind::Person {
            continue;
        }
        let end = mentions[i].end;
        let after = window_after(chars, end);
        let Some(found) = title.captures(&after).and_then(|c| c.name("title")) else {
            continue;
        };
        if found.start() != 0 || found.is_empty() {
            continue;
        }
        let new_end = end + after[..found.end()].chars().count();
        if mentions.get(i + 1).is_none_or(|next| next.start >= new_end) {
            mentions[i].end = new_end;
        }
    }
}

/// A person named right before an envoy's title (`习近平特使、国家副主席王岐山`,
/// `国家主席习近平特别代表`) only says whose envoy the next person is: the name is no mention,
/// so lists of those who attend or sign read the envoy, not the one who sent him.
fn drop_senders(rules: &Rules, mentions: &mut Vec<Mention>, chars: &[char]) {
    let Some(envoy) = &rules.envoy_of else {
        return;
    };
    let senders: Vec<(usize, usize)> = mentions
        .iter()
        .filter(|m| m.kind == Kind::Person)
        .filter(|m| envoy.is_match(&window_after(chars, m.end)))
        .map(|m| {
            // The sender's state and office go with him (`中国国家主席习近平特使`): back to the
            // list's separator or the clause's start.
            let from = chars[..m.start]
                .iter()
                .rposition(|c| "、，；。：,;".contains(*c))
                .map_or(0, |i| i + 1);
            (from, m.end)
        })
        .collect();
    mentions.retain(|m| {
        !senders
            .iter()
            .any(|&(from, end)| m.start >= from && m.end <= end)
    });
}

/// The text right after a name, as far as a title after it (with what follows it) is looked
/// for.
fn window_after(chars: &[char], end: usize) -> String {
    chars[end..chars.len().min(end + TITLE_WINDOW)]
        .iter()
        .collect()
}

/// The most characters a title after a name (with what follows it) is looked for in.
const TITLE_WINDOW: usize = 12;

/// A name in quotes (`“全球安全倡议”`) is one mention with its quotes, so rules need not
/// allow for them. Mentions are sorted and disjoint, so the quotes belong to no other.
fn absorb_quotes(mentions: &mut [Mention], chars: &[char]) {
    for m in mentions.iter_mut().filter(|m| m.kind != Kind::Date) {
        if m.start > 0 && chars.get(m.start - 1) == Some(&'“') && chars.get(m.end) == Some(&'”')
        {
            m.start -= 1;
            m.end += 1;
        }
    }
}

/// The time zone written before a date (`当地时间11日`, lexicon `time_zone`) is part of it, so
/// every rule that reads a date reads it too. Only where no other mention holds those words.
fn absorb_time_zones(rules: &Rules, mentions: &mut [Mention], chars: &[char]) {
    let Some(re) = &rules.time_zone else {
        return;
    };
    let mut free_from = 0;
    for m in mentions.iter_mut() {
        if m.kind == Kind::Date {
            let window: String = chars
                [free_from.max(m.start.saturating_sub(TIME_ZONE_WINDOW))..m.start]
                .iter()
                .collect();
            if let Some(zone) = re.find(&window) {
                m.start -= window[zone.start()..].chars().count();
            }
        }
        free_from = m.end;
    }
}

/// The most characters a time zone before a date is looked for in.
const TIME_ZONE_WINDOW: usize = 8;

/// Reads each date against the document's date and the date before it; a date that cannot be
/// read (no year known, impossible day) is no mention.
fn resolve_dates(mentions: &mut Vec<Mention>, document: Option<Point>, earlier: Option<Point>) {
    let mut previous = None;
    let mut previous_end = None;
    mentions.retain_mut(|m| {
        let Target::RawDate(raw) = m.target else {
            return true;
        };
        let context = Context {
            document,
            previous,
            previous_end,
            earlier,
        };
        match raw.resolve(context) {
            Some(d) => {
                previous = Some(d.start);
                previous_end = Some(d.end);
                m.target = Target::Date(d);
                true
            }
            None => false,
        }
    });
}

/// The period a name gives itself (`《2025—2027年…纲要》`, `《…（2007—2009年）》`,
/// `…2016年至2018年行动执行计划`): the one date range with its years written out that the date
/// patterns find in it. A single year (`《国际卫生条例（2005）》`, `2030年议程`) is no period.
pub fn period_in_name(rules: &Rules, name: &str) -> Option<DateValue> {
    let chars = CharIndex::new(name);
    let dates: Vec<Candidate> = patterns(rules, name, &chars, &[])
        .into_iter()
        .filter(|c| c.mention.kind == Kind::Date)
        .collect();
    let mut periods = select(dates).into_iter().filter_map(|m| match m.target {
        Target::RawDate(raw) => raw.resolve(Context::default()).filter(|d| d.start != d.end),
        _ => None,
    });
    let first = periods.next()?;
    periods.all(|d| d == first).then_some(first)
}

/// Whether a whole line is a date (the date line under a signature block).
pub fn is_date_line(rules: &Rules, line: &str) -> bool {
    let line = line.trim();
    // Most lines hold no date at all: one pass of every date pattern at once rules them out.
    if any_date(rules).is_some_and(|re| !re.is_match(line)) {
        return false;
    }
    rules
        .patterns
        .iter()
        .filter(|p| p.kind == Kind::Date)
        .any(|p| {
            p.regex.captures(line).is_some_and(|c| {
                let m = c.name("mention").unwrap_or_else(|| c.get(0).unwrap());
                m.start() == 0
                    && m.end() == line.len()
                    && RawDate::from_captures(&c, &rules.numerals)
                        .resolve(Context::default())
                        .is_some()
            })
        })
}

/// The date patterns joined into one regex (their group names dropped, as they repeat), which
/// matches a text wherever one of them does; `None` when they do not join into one regex.
/// Built once per rule set (by its hash).
fn any_date(rules: &Rules) -> Option<Arc<Regex>> {
    static BUILT: OnceLock<BuiltRegexes> = OnceLock::new();
    let mut built = BUILT
        .get_or_init(Default::default)
        .lock()
        .expect("date regex cache");
    if let Some((_, re)) = built.iter().find(|(hash, _)| *hash == rules.hash) {
        return re.clone();
    }
    let unname = Regex::new(r"\(\?P?<[A-Za-z0-9_]+>").expect("valid regex");
    let joined: Vec<String> = rules
        .patterns
        .iter()
        .filter(|p| p.kind == Kind::Date)
        .map(|p| format!("(?:{})", unname.replace_all(p.regex.as_str(), "(?:")))
        .collect();
    // With no date pattern, a regex that matches nothing.
    let source = if joined.is_empty() {
        r"[^\s\S]".to_string()
    } else {
        joined.join("|")
    };
    let re = Regex::new(&source).ok().map(Arc::new);
    built.push((rules.hash.clone(), re.clone()));
    re
}

/// Regexes built so far, by the hash of their rules.
type BuiltRegexes = Mutex<Vec<(String, Option<Arc<Regex>>)>>;

fn gazetteer(rules: &Rules, text: &str, chars: &CharIndex) -> Vec<Candidate> {
    rules
        .automaton
        .find_iter(text)
        .filter(|m| !inside_latin_word(text, m.start(), m.end()))
        .filter_map(|m| {
            let (kind, target) = match &rules.surfaces[m.pattern().as_usize()].1 {
                Surface::Entity(i) => (rules.entities[*i].kind, Target::Entity(*i)),
                Surface::Group { of } => (Kind::Group, Target::Group { of: *of }),
                // Matched so that the shorter name inside it is not (沿海地区 ⊃ 海地).
                Surface::Blocker => return None,
            };
            let mention = Mention {
                start: chars.char_at(m.start()),
                end: chars.char_at(m.end()),
                kind,
                target,
                rule: "gazetteer".into(),
                owner: None,
            };
            Some(Candidate {
                mention,
                priority: 0,
                owned: false,
                trim: Vec::new(),
            })
        })
        .collect()
}

/// A Latin name (`APEC`, `G20`) is a word of its own: not the `SCO` of `UNESCO` nor the `G20`
/// of `G200`.
fn inside_latin_word(text: &str, start: usize, end: usize) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric();
    let first = text[start..end].chars().next().is_some_and(word);
    let last = text[start..end].chars().next_back().is_some_and(word);
    (first && text[..start].chars().next_back().is_some_and(word))
        || (last && text[end..].chars().next().is_some_and(word))
}

/// `names` are the gazetteer's names in the paragraph (character ranges): a pattern's `reject`
/// reads the mention with each of their characters written `□`, so a word inside a name (和 of
/// `拉美和加勒比国家共同体`) is no clause word, and a reject can tell a word between names
/// (`□和□元首会议`: 中国和俄罗斯…) from one between words of a theme (`金融市场和世界经济峰会`).
fn patterns(
    rules: &Rules,
    text: &str,
    chars: &CharIndex,
    names: &[(usize, usize)],
) -> Vec<Candidate> {
    let mut out = Vec::new();
    for p in &rules.patterns {
        for caps in p.regex.captures_iter(text) {
            let m = caps.name("mention").unwrap_or_else(|| caps.get(0).unwrap());
            let rejected = p.reject.as_ref().is_some_and(|re| {
                re.is_match(&masked(m.as_str(), chars.char_at(m.start()), names))
            });
            if m.is_empty() || rejected {
                continue;
            }
            let target = if p.kind == Kind::Date {
                Target::RawDate(RawDate::from_captures(&caps, &rules.numerals))
            } else if p.anaphor {
                Target::Anaphor
            } else {
                let label = caps.name("label").unwrap_or(m).as_str();
                match rules.lookup_surface(label) {
                    Some(Surface::Entity(i)) if rules.entities[*i].kind == p.kind => {
                        Target::Entity(*i)
                    }
                    _ => Target::Text(label.to_string()),
                }
            };
            let mention = Mention {
                start: chars.char_at(m.start()),
                end: chars.char_at(m.end()),
                kind: p.kind,
                target,
                rule: p.id.clone(),
                owner: None,
            };
            out.push(Candidate {
                mention,
                priority: p.priority,
                owned: p.owned,
                trim: p.trim.clone(),
            });
        }
    }
    out
}

/// `text`, which starts at character `start` of its paragraph, with every character inside one
/// of `names` (character ranges wholly inside it) written as `□`.
fn masked(text: &str, start: usize, names: &[(usize, usize)]) -> String {
    let end = start + text.chars().count();
    let inside: Vec<&(usize, usize)> = names
        .iter()
        .filter(|(s, e)| *s >= start && *e <= end)
        .collect();
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            let at = start + i;
            if inside.iter().any(|(s, e)| (*s..*e).contains(&at)) {
                '□'
            } else {
                c
            }
        })
        .collect()
}

/// Cuts leading mentions of the `trim` kinds off pattern mentions, relabelling them.
fn trim(candidates: &mut [Candidate], text: &str) {
    let spans: Vec<(usize, usize, Kind)> = candidates
        .iter()
        .map(|c| (c.mention.start, c.mention.end, c.mention.kind))
        .collect();
    let chars: Vec<char> = text.chars().collect();
    for c in candidates.iter_mut().filter(|c| !c.trim.is_empty()) {
        let before = c.mention.start;
        while let Some(&(_, end, _)) = spans
            .iter()
            .find(|(s, e, k)| *s == c.mention.start && *e < c.mention.end && c.trim.contains(k))
        {
            c.mention.start = end;
        }
        if c.mention.start != before
            && let Target::Text(label) = &mut c.mention.target
        {
            *label = chars[c.mention.start..c.mention.end].iter().collect();
        }
    }
}

/// Longest first, then priority, then a mention that names something alone over the end of a
/// meeting's name (`owned`: it is dropped unless an owner joins it, so winning the span would
/// lose `举行会晤`'s meeting), then position; a candidate overlapping a chosen one is
/// dropped. Occupied characters are marked, so this stays linear in the paragraph's length.
fn select(mut candidates: Vec<Candidate>) -> Vec<Mention> {
    candidates.sort_by(|a, b| {
        let len = |c: &Candidate| c.mention.end - c.mention.start;
        len(b)
            .cmp(&len(a))
            .then(b.priority.cmp(&a.priority))
            .then(a.owned.cmp(&b.owned))
            .then(a.mention.start.cmp(&b.mention.start))
    });
    let len = candidates.iter().map(|c| c.mention.end).max().unwrap_or(0);
    let mut taken = vec![false; len];
    let mut chosen: Vec<Mention> = Vec::new();
    for c in candidates {
        let m = c.mention;
        if m.start < m.end && !taken[m.start..m.end].iter().any(|t| *t) {
            taken[m.start..m.end].iter_mut().for_each(|t| *t = true);
            chosen.push(m);
        }
    }
    chosen.sort_by_key(|m| m.start);
    chosen
}

/// Byte offset → character offset for one paragraph.
pub struct CharIndex {
    /// Character index of every byte offset (bytes inside a character map to it).
    map: Vec<u32>,
}

impl CharIndex {
    pub fn new(text: &str) -> CharIndex {
        let mut map = Vec::with_capacity(text.len() + 1);
        for (ci, c) in text.chars().enumerate() {
            map.extend(std::iter::repeat_n(ci as u32, c.len_utf8()));
        }
        map.push(map.len() as u32);
        let chars = text.chars().count() as u32;
        *map.last_mut().expect("one entry") = chars;
        CharIndex { map }
    }

    pub fn char_at(&self, byte: usize) -> usize {
        self.map
            .get(byte)
            .copied()
            .unwrap_or_else(|| *self.map.last().expect("one entry")) as usize
    }
}

/// A short form the text defines for an entity it has just named (`上海合作组织（以下称
/// “上合组织”或“本组织”）`, `《…条约》（中导条约）`).
#[derive(Clone, Debug, PartialEq)]
pub struct Abbreviation {
    pub short: String,
    pub kind: Kind,
    pub target: Target,
    /// Where the definition ends: paragraph index and character offset.
    pub paragraph: usize,
    pub end: usize,
}

/// Reads the abbreviation definitions that follow mentions.
///
/// The definition becomes part of its mention, so that relation patterns read
/// `<Organization>主任<Person>` in `…执行委员会（简称“执委会”）主任瑟索耶夫`. A definition that
/// holds mentions of the defined thing's own type only (`中国与中亚五国首届元首峰会（中国—中亚峰会）`,
/// the short name known to the gazetteer) is taken in whole, those mentions with it: they name the
/// thing again. One with other mentions (`（南宁）`) stays apart.
pub fn abbreviations(
    rules: &Rules,
    texts: &[&str],
    mentions: &mut [Vec<Mention>],
) -> Vec<Abbreviation> {
    let mut out = Vec::new();
    for (p, (text, ms)) in texts.iter().zip(mentions.iter_mut()).enumerate() {
        let chars: Vec<char> = text.chars().collect();
        let mut absorbed = Vec::new();
        for i in 0..ms.len() {
            let m = &ms[i];
            if matches!(m.kind, Kind::Date | Kind::Group) {
                continue;
            }
            let after: String = chars[m.end..].iter().take(40).collect();
            let Some(caps) = rules
                .abbreviations
                .iter()
                .find_map(|re| re.captures(&after))
            else {
                continue;
            };
            let end = m.end + after[..caps.get(0).unwrap().end()].chars().count();
            let inside: Vec<usize> = (0..ms.len())
                .filter(|&j| ms[j].start >= m.end && ms[j].start < end)
                .collect();
            let restates = inside
                .iter()
                .all(|&j| ms[j].end <= end && ms[j].kind == m.kind);
            if restates {
                absorbed.extend(inside);
                ms[i].end = end;
            }
            let m = &ms[i];
            for g in ["a", "b"] {
                if let Some(short) = caps.name(g).map(|x| x.as_str().to_string())
                    && short.chars().count() >= 2
                    && rules.lookup_surface(&short).is_none()
                {
                    out.push(Abbreviation {
                        short,
                        kind: m.kind,
                        target: m.target.clone(),
                        paragraph: p,
                        end,
                    });
                }
            }
        }
        let mut j = 0;
        ms.retain(|_| {
            j += 1;
            !absorbed.contains(&(j - 1))
        });
    }
    out
}

/// Adds a mention for each later use of a defined abbreviation that no mention covers.
pub fn apply_abbreviations(
    text: &str,
    paragraph: usize,
    mentions: &mut Vec<Mention>,
    abbreviations: &[Abbreviation],
) {
    let chars = CharIndex::new(text);
    let mut added = Vec::new();
    for a in abbreviations.iter().filter(|a| a.paragraph <= paragraph) {
        for (byte, _) in text.match_indices(a.short.as_str()) {
            let start = chars.char_at(byte);
            let end = start + a.short.chars().count();
            let defined_before = a.paragraph < paragraph || start >= a.end;
            let free = mentions
                .iter()
                .chain(&added)
                .all(|m: &Mention| end <= m.start || start >= m.end);
            if defined_before && free {
                added.push(Mention {
                    start,
                    end,
                    kind: a.kind,
                    target: a.target.clone(),
                    rule: "abbreviation".into(),
                    owner: None,
                });
            }
        }
    }
    mentions.extend(added);
    mentions.sort_by_key(|m| m.start);
}

//! Turns the mentions of each sentence into facts with the relation rules.
//!
//! A sentence is encoded as a string in which each mention is one private-use character of its
//! type; relation patterns are regexes over that string (see `rules::expand_slots`). Rules with
//! `replace` run first, in file order: each match becomes a single mention of its `replace`
//! slot, so a later stance rule sees `成员国注意到<Initiative>` where the text had a whole
//! proposal clause. The other rules then run over the final encoding, those of them that can
//! match it: one automaton pass over the sentence finds the strings each rule's matches must
//! contain (`Triggers`), and a rule none of whose strings occurs is not searched.
//!
//! Invariant: relate does no I/O and cannot fail; every fact names its rule and sentence.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use aho_corasick::AhoCorasick;
use regex_syntax::hir::{Class, Hir, HirKind};

use crate::date::{DateValue, Point};
use crate::recognize::{CharIndex, Mention, Target};
use crate::rules::{
    ADOPTED_AT, ADOPTED_BY, AT_EVENT, DATED, DOCUMENT_SLOT, EVENT_SLOT, GROUP_SLOT, GroupOf, Kind,
    LASTS_DAYS, LEADERS_SLOT, ORGANISATION_SLOT, OWN_DATES, PERSON_STATE, Relation, Rules,
    SIGNED_BY_ATTENDEES, SITS_IN, Scope, TOPIC_SLOT, WHEN_SLOT,
};
use crate::segment::{Paragraph, ParagraphKind};

/// Predicates whose event is only spoken of: a meeting proposed is not the one the text goes
/// on about (`$event`).
const MENTIONED_ONLY: [&str; 1] = ["proposed"];

/// One end of a fact.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    /// A gazetteer entity.
    Entity(usize),
    /// An entity found in the text; events carry their start date, as recurring meetings share
    /// a name.
    Text {
        kind: Kind,
        label: String,
        date: Option<Point>,
    },
    /// The member states of `of`, or of the document's organisation.
    Group { of: GroupOf },
    /// The document's organisation (the one named most often).
    Organisation,
    /// The text's own document (`$document`): the declaration its signature block signs.
    Document,
    /// A date literal; a range only as the object of a `dated` template.
    Date(DateValue),
}

impl Node {
    pub fn kind(&self, rules: &Rules) -> Kind {
        match self {
            Node::Entity(i) => rules.entities[*i].kind,
            Node::Text { kind, .. } => *kind,
            Node::Group { .. } => Kind::Group,
            Node::Organisation => Kind::Organization,
            Node::Document => Kind::Document,
            Node::Date(_) => Kind::Date,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fact {
    pub subject: Node,
    pub predicate: String,
    pub object: Node,
    pub rule: String,
    /// Index of the paragraph in `Segmented::paragraphs`.
    pub paragraph: usize,
    /// Index of the sentence within the paragraph.
    pub sentence: usize,
    /// The office as written, for `represents`.
    pub role: Option<String>,
}

/// What a paragraph takes over from the paragraphs before it.
#[derive(Default)]
pub struct Context {
    /// The last event named before the paragraph (the `$event` of its first sentence).
    pub last_event: Option<Node>,
    /// The subject the last paragraph opened with (`成员国`): a paragraph that may continue it
    /// (`Paragraph::may_continue`: a print copy's line of full width ended with `。`) and opens
    /// without one goes on with it.
    pub subject: Vec<Node>,
    /// Leaders named so far with the state each represents, latest last, one per state
    /// (`$leaders`).
    pub leaders: Vec<(Node, Node)>,
    /// Persons the rules found in earlier sentences (`巴林国王哈迈德`), by their names as
    /// written: a later sentence may name them alone (`哈迈德国王表示`).
    pub persons: Vec<(Vec<char>, Node)>,
    /// Words that point back to nothing, met so far (`accord explain` lists them, `extract`
    /// counts them).
    pub losses: Vec<crate::Loss>,
    /// Facts a rule read that a later step set aside, with why (`accord explain`).
    pub set_aside: Vec<SetAside>,
    /// When `Some`, each sentence as the rules read it last is kept here (`accord explain`).
    pub trace: Option<Vec<Encoded>>,
    /// The document's date, when known: a meeting dated after it is yet to be held.
    pub today: Option<Point>,
}

/// Notes the leaders a sentence names (`represents` facts whose office is a leader's), one per
/// state, latest last.
fn note_leaders(rules: &Rules, leaders: &mut Vec<(Node, Node)>, found: &[RawFact]) {
    let Some(offices) = &rules.leader_offices else {
        return;
    };
    for (person, predicate, state, _, role) in found {
        if predicate == "represents"
            && matches!(state, Node::Entity(i) if rules.entities[*i].kind == Kind::State)
            && role.as_deref().is_some_and(|r| offices.is_match(r))
        {
            leaders.retain(|(_, s)| s != state);
            leaders.push((person.clone(), state.clone()));
        }
    }
}

/// Notes the persons a sentence's rules found (not the gazetteer's, which recognition names
/// everywhere) by their names of two characters or more.
fn note_persons(persons: &mut Vec<(Vec<char>, Node)>, found: &[RawFact]) {
    for node in found.iter().flat_map(|(s, _, o, ..)| [s, o]) {
        if let Node::Text {
            kind: Kind::Person,
            label,
            ..
        } = node
        {
            let name: Vec<char> = label.chars().collect();
            if name.len() >= 2 && !persons.iter().any(|(n, _)| *n == name) {
                persons.push((name, node.clone()));
            }
        }
    }
}

/// Notes the known persons a sentence names with a leader's office and no state
/// (`国家主席习近平`, `习近平主席`): the gazetteer's `country` is the state they lead. `represents` still
/// needs the state written; `$leaders` (`两国元首`) only needs to know whose.
fn note_office_leaders(rules: &Rules, leaders: &mut Vec<(Node, Node)>, sentence: &Sentence) {
    let Some(offices) = &rules.leader_offices else {
        return;
    };
    for local in sentence.locals.iter().filter(|l| l.kind == Kind::Person) {
        let [Node::Entity(i)] = local.nodes[..] else {
            continue;
        };
        let entity = &rules.entities[i];
        let Some(state) = entity
            .country
            .as_deref()
            .and_then(|k| rules.entity_by_key(k))
            .filter(|&s| rules.entities[s].kind == Kind::State)
        else {
            continue;
        };
        let written: String = sentence.chars[local.span.clone()].iter().collect();
        // The office before the name (`国家主席习近平`) or after it (`习近平主席`).
        let office = std::iter::once(&entity.zh)
            .chain(&entity.aliases)
            .flat_map(|name| {
                [
                    written.strip_suffix(name.as_str()),
                    written.strip_prefix(name.as_str()),
                ]
            })
            .flatten()
            .find(|o| !o.is_empty());
        if office.is_some_and(|o| offices.is_match(o)) {
            let state = Node::Entity(state);
            leaders.retain(|(_, s)| *s != state);
            leaders.push((Node::Entity(i), state));
        }
    }
}

/// The leaders of the last two states named with one (`两国元首`).
fn last_two(leaders: &[(Node, Node)]) -> Vec<Node> {
    match leaders {
        [.., a, b] => vec![a.0.clone(), b.0.clone()],
        _ => Vec::new(),
    }
}

/// A fact a rule read that a later step set aside: a sentence that announces a plan, a fact
/// replaced by what it stands for, a place less precise than another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetAside {
    pub fact: Fact,
    pub why: String,
}

/// A sentence as the relation rules read it last, once the `replace` rules have folded their
/// matches: one private-use character per mention.
#[derive(Clone, Debug)]
pub struct Encoded {
    /// Index of the paragraph in `Segmented::paragraphs`, and of the sentence in it.
    pub paragraph: usize,
    pub sentence: usize,
    pub text: String,
    /// The paragraph's characters under each character of `text`.
    pub spans: Vec<Range<usize>>,
    /// The rules that matched it (neither excluded nor rejected), facts or none.
    pub fired: Vec<String>,
}

/// What the rules' matches in a sentence leave besides facts.
#[derive(Default)]
struct Trail<'r> {
    /// `$topic` or `$event` slots that stood for nothing: where, and which.
    unfilled: Vec<(usize, String)>,
    /// Ids of the rules that matched.
    fired: Vec<&'r str>,
    /// Facts of matches whose `when` date lies after the document's: plans, set aside.
    later: Vec<RawFact>,
}

impl<'r> Trail<'r> {
    fn note(&mut self, rule: &'r Relation, unfilled: Option<(usize, String)>) {
        self.fired.push(&rule.id);
        self.unfilled.extend(unfilled);
    }
}

/// For each relation rule, whether one of the strings its matches must contain, a word (not
/// only mentions and punctuation), is in `encoded` (a sentence as `Encoded::text`); false for a
/// rule of which no such string can be read.
pub fn triggered(rules: &Rules, encoded: &str) -> Vec<bool> {
    let t = triggers(rules);
    let mut out = vec![false; t.always.len()];
    for m in t.automaton.find_overlapping_iter(encoded) {
        if encoded[m.range()].chars().any(char::is_alphanumeric) {
            out[t.owner[m.pattern().as_usize()]] = true;
        }
    }
    out
}

/// Facts of one paragraph. Datelines and date lines give none. `context` is updated to the
/// last event named and the last subject opened with in it.
pub fn relate(
    rules: &Rules,
    paragraph: &Paragraph,
    index: usize,
    mentions: &[Mention],
    context: &mut Context,
) -> Vec<Fact> {
    let last_event = &mut context.last_event;
    let scope = match paragraph.kind {
        ParagraphKind::Body => Scope::Body,
        ParagraphKind::Signature => Scope::Signature,
        ParagraphKind::DateLine | ParagraphKind::Dateline => return Vec::new(),
    };
    let chars: Vec<char> = paragraph.text.chars().collect();
    let mut facts = Vec::new();
    let mut next = 0;
    if !paragraph.may_continue {
        context.subject.clear();
    }
    let inherited = &mut context.subject;
    for (s, range) in paragraph.sentences.iter().enumerate() {
        // Mentions and sentences are both in text order: one pass over the mentions.
        while next < mentions.len() && mentions[next].start < range.start {
            next += 1;
        }
        let local: Vec<&Mention> = mentions[next..]
            .iter()
            .take_while(|m| m.start < range.end)
            .filter(|m| m.end <= range.end)
            .collect();
        // A meeting word with no meeting before it and no rule's meeting to stand for.
        for m in &local {
            if last_event.is_none() && m.target == Target::Unresolved(None) {
                context.losses.push(no_antecedent(
                    index,
                    m.start,
                    chars[m.start..m.end].iter().collect(),
                ));
            }
        }
        let mut sentence = Sentence::new(
            rules,
            &chars,
            range.clone(),
            &local,
            inherited.clone(),
            last_event.clone(),
        );
        sentence.leaders = last_two(&context.leaders);
        sentence.today = context.today;
        sentence.recall_persons(&context.persons);
        let mut found = Vec::new();
        let mut trail = Trail::default();
        for rule in rules.relations.iter().filter(|r| r.scope == scope) {
            if rule.replace.is_some() {
                sentence.apply_replacing(rules, rule, &mut found, &mut trail);
            }
        }
        sentence.represents = found
            .iter()
            .filter(|(_, p, ..)| p == "represents")
            .map(|(s, _, o, ..)| (s.clone(), o.clone()))
            .collect();
        // Leaders the person rules just read count for the rest of the sentence
        // (`…同托卡耶夫总统举行会谈，两国元首签署《…》`), for states with none named before: a
        // premier later in the sentence (`两国元首举行会谈，国务院总理李克强会见…`) does not
        // take the place of the president named before it.
        let mut fresh = Vec::new();
        note_leaders(rules, &mut fresh, &found);
        note_office_leaders(rules, &mut fresh, &sentence);
        let mut leaders = context.leaders.clone();
        for (person, state) in fresh {
            if !leaders.iter().any(|(_, s)| *s == state) {
                leaders.push((person, state));
            }
        }
        sentence.leaders = last_two(&leaders);
        let can_match = triggers(rules).can_match(&sentence.encoded);
        for (_, rule) in rules
            .relations
            .iter()
            .enumerate()
            .filter(|(i, r)| r.scope == scope && r.replace.is_none() && can_match[*i])
        {
            sentence.apply(rules, rule, &mut found, &mut trail);
        }
        if let Some(trace) = &mut context.trace {
            trace.push(sentence.trace(index, s, &trail.fired));
        }
        for (at, what) in trail.unfilled {
            context.losses.push(no_antecedent(index, at, what));
        }
        for raw in trail.later {
            context.set_aside.push(SetAside {
                fact: fact_at(raw, index, s),
                why: "the date the rule read (`when`) lies after the document's: a plan".into(),
            });
        }
        let text: String = chars[range.clone()].iter().collect();
        if rules
            .plan_sentence
            .as_ref()
            .is_some_and(|re| re.is_match(&text))
        {
            // A sentence that announces a plan (`按计划，…将…`) states no act: a planned
            // meeting keeps its dates, a person their office.
            let (kept, planned) = found
                .into_iter()
                .partition(|(_, p, ..)| KEPT_IN_PLANS.contains(&p.as_str()));
            found = kept;
            for raw in planned {
                context.set_aside.push(SetAside {
                    fact: fact_at(raw, index, s),
                    why: "the sentence announces a plan".into(),
                });
            }
        }
        if let Some(subject) = sentence.opening_subject(rules) {
            *inherited = subject;
        }
        note_leaders(rules, &mut context.leaders, &found);
        note_persons(&mut context.persons, &found);
        note_office_leaders(rules, &mut context.leaders, &sentence);
        // A meeting only referred to (`落实新德里峰会共识`) is not the meeting the text goes on
        // about: `$event` moves to the last meeting that takes part in a fact of the sentence.
        // Talks (`会谈`) and events that are no meeting (`…交流年`) are not what `$event` stands for.
        // The meeting is taken as its facts name it, dated where one of them dates it (a
        // second mention of it, `这是…首次峰会`, is undated).
        if let Some(event) = sentence.current_events().rev().find_map(|e| {
            if matches!(&e, Node::Text { label, .. } if rules.is_talks(label) || rules.is_no_meeting(label))
            {
                return None;
            }
            // A meeting only proposed (`中方倡议召开第二届…峰会`) is yet to be held; so is one
            // dated after the text (`第二届…峰会将于2025年在哈萨克斯坦举行`): neither is the
            // meeting a later `会上` speaks of.
            found
                .iter()
                .filter(|(_, p, ..)| !MENTIONED_ONLY.contains(&p.as_str()))
                .flat_map(|(s, _, o, ..)| [s, o])
                .filter(|n| same_event(n, &e))
                .max_by_key(|n| matches!(n, Node::Text { date: Some(_), .. }))
                .filter(|n| !is_later(n, context.today.as_ref()))
                .cloned()
        }) {
            *last_event = Some(event);
        }
        for raw in propagate_event_dates(found) {
            facts.push(fact_at(raw, index, s));
        }
    }
    facts.sort();
    facts.dedup();
    facts
}

/// Which relation rules can match a sentence, told by one automaton pass over it: for each rule,
/// strings one of which every match of its regex contains (its trigger words, often), read from
/// the regex itself. A rule none of whose strings occurs in the sentence matches nowhere, so it
/// is not searched; a rule with no such strings is always searched. Built once per rule set (by
/// its hash) and shared by every thread.
struct Triggers {
    automaton: AhoCorasick,
    /// The rule (index into `Rules::relations`) of each string of the automaton.
    owner: Vec<usize>,
    /// Rules searched whatever the sentence holds.
    always: Vec<bool>,
}

impl Triggers {
    fn new(rules: &Rules) -> Triggers {
        let mut strings = Vec::new();
        let mut owner = Vec::new();
        let mut always = vec![true; rules.relations.len()];
        for (i, rule) in rules.relations.iter().enumerate() {
            let Some(set) = regex_syntax::parse(rule.regex.as_str())
                .ok()
                .and_then(|hir| required(&hir))
            else {
                continue;
            };
            always[i] = false;
            for s in set {
                strings.push(s);
                owner.push(i);
            }
        }
        let automaton = AhoCorasick::new(&strings).expect("trigger automaton");
        Triggers {
            automaton,
            owner,
            always,
        }
    }

    /// For each relation rule, whether it can match `encoded`.
    fn can_match(&self, encoded: &str) -> Vec<bool> {
        let mut out = self.always.clone();
        for m in self.automaton.find_overlapping_iter(encoded) {
            out[self.owner[m.pattern().as_usize()]] = true;
        }
        out
    }
}

/// The triggers built so far, by the hash of their rules.
type BuiltTriggers = Mutex<Vec<(String, Arc<Triggers>)>>;

fn triggers(rules: &Rules) -> Arc<Triggers> {
    static BUILT: OnceLock<BuiltTriggers> = OnceLock::new();
    let mut built = BUILT
        .get_or_init(Default::default)
        .lock()
        .expect("trigger cache");
    if let Some((_, t)) = built.iter().find(|(hash, _)| *hash == rules.hash) {
        return Arc::clone(t);
    }
    let t = Arc::new(Triggers::new(rules));
    built.push((rules.hash.clone(), Arc::clone(&t)));
    t
}

/// Strings one of which every match of `hir` contains, or `None` when there are none to tell
/// (an optional part, a wide class, an assertion). Of the parts of a concatenation, the one
/// with the most telling strings is kept: no mention placeholder, longest, fewest.
fn required(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    /// A class of at most this many characters counts as that many one-character strings.
    const SMALL_CLASS: usize = 16;
    match hir.kind() {
        HirKind::Literal(l) => Some(vec![l.0.to_vec()]),
        HirKind::Class(Class::Unicode(c)) => {
            let chars: Vec<char> = c
                .ranges()
                .iter()
                .flat_map(|r| r.start()..=r.end())
                .take(SMALL_CLASS + 1)
                .collect();
            (!chars.is_empty() && chars.len() <= SMALL_CLASS)
                .then(|| chars.iter().map(|c| c.to_string().into_bytes()).collect())
        }
        HirKind::Class(Class::Bytes(_)) | HirKind::Empty | HirKind::Look(_) => None,
        HirKind::Repetition(r) if r.min >= 1 => required(&r.sub),
        HirKind::Repetition(_) => None,
        HirKind::Capture(c) => required(&c.sub),
        HirKind::Concat(parts) => parts.iter().filter_map(required).max_by_key(|set| {
            let placeholder = set
                .iter()
                .any(|s| std::str::from_utf8(s).is_ok_and(|s| s.chars().any(is_placeholder)));
            let shortest = set.iter().map(Vec::len).min().unwrap_or(0);
            (!placeholder, shortest, std::cmp::Reverse(set.len()))
        }),
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for b in branches {
                all.extend(required(b)?);
            }
            Some(all)
        }
    }
}

/// The private-use characters that stand for mentions in an encoded sentence.
fn is_placeholder(c: char) -> bool {
    ('\u{E000}'..='\u{F8FF}').contains(&c)
}

type RawFact = (Node, String, Node, String, Option<String>);

/// A mention inside the sentence being related: one or more nodes over a character span.
#[derive(Clone, Debug)]
struct Local {
    kind: Kind,
    nodes: Vec<Node>,
    span: Range<usize>,
    /// A meeting word pointing back to a meeting named before (`出席峰会`, `会上`).
    points_back: bool,
}

#[derive(Clone, Copy, Debug)]
enum Token {
    Char(char, usize),
    Mention(usize),
}

struct Sentence<'a> {
    chars: &'a [char],
    /// The subject of the sentences before, in the same paragraph.
    inherited: Vec<Node>,
    /// The last event named before the sentence (`$event`).
    event: Option<Node>,
    /// The leaders of the last two states named with one (`$leaders`).
    leaders: Vec<Node>,
    /// Whom each person of the sentence represents, as its person rules read it.
    represents: Vec<(Node, Node)>,
    /// Meetings the sentence only recalls (`去年举行的东亚峰会`, lexicon `past_reference`).
    recalled: Vec<Node>,
    /// The document's date: a match whose `when` date lies after it tells of a plan.
    today: Option<Point>,
    locals: Vec<Local>,
    tokens: Vec<Token>,
    encoded: String,
    index: CharIndex,
}

impl<'a> Sentence<'a> {
    fn new(
        rules: &Rules,
        chars: &'a [char],
        range: Range<usize>,
        mentions: &[&Mention],
        inherited: Vec<Node>,
        event: Option<Node>,
    ) -> Sentence<'a> {
        // A mention that names nothing yet (an anaphor with no meeting before) stays text.
        // A meeting anaphor with no meeting named before it in its own sentence is the
        // meeting the text goes on about (`$event`), not merely the last one named (a planned
        // summit, a meeting referred to).
        let mut named_here = false;
        let locals: Vec<Local> = mentions
            .iter()
            .filter_map(|m| {
                // An anaphor left unresolved stays text for the rules that read it as
                // `$event` (`…应邀出席了会议`), as `node_of` decides.
                // A ceremony or talks word (`出席开幕式`) that points back to a ceremony or talks
                // named before is that one, not the meeting the text goes on about.
                let to_own_kind = || {
                    let word: String = chars[m.start..m.end].iter().collect();
                    rules.is_talks(&word)
                        && matches!(&m.target, Target::Text(label) if rules.is_talks(label))
                };
                let anaphor = m.kind == Kind::Event
                    && rules.is_anaphor_rule(&m.rule)
                    && !matches!(m.target, Target::Unresolved(_))
                    && !to_own_kind();
                let nodes = match (&event, &m.target) {
                    (Some(e), _) if anaphor && !named_here => vec![e.clone()],
                    (_, Target::Parties(states)) => {
                        states.iter().map(|&i| Node::Entity(i)).collect()
                    }
                    _ => vec![node_of(m, event.as_ref())?],
                };
                named_here |= m.kind == Kind::Event && !anaphor;
                Some(Local {
                    kind: m.kind,
                    nodes,
                    span: m.start..m.end,
                    points_back: anaphor,
                })
            })
            .collect();
        let mut tokens = Vec::new();
        let mut pos = range.start;
        let mut next = 0;
        while pos < range.end {
            if next < locals.len() && locals[next].span.start == pos {
                tokens.push(Token::Mention(next));
                pos = locals[next].span.end;
                next += 1;
            } else {
                tokens.push(Token::Char(chars[pos], pos));
                pos += 1;
            }
        }
        // Read where each meeting is named, before rules fold its words into larger spans.
        let recalled = locals
            .iter()
            .filter(|l| {
                l.kind == Kind::Event && crate::recalled_meeting(rules, chars, l.span.start)
            })
            .flat_map(|l| l.nodes.iter().cloned())
            .collect();
        let mut s = Sentence {
            chars,
            inherited,
            event,
            leaders: Vec::new(),
            represents: Vec::new(),
            recalled,
            today: None,
            locals,
            tokens,
            encoded: String::new(),
            index: CharIndex::new(""),
        };
        s.encode();
        s
    }

    /// Names persons the rules found in earlier sentences where the sentence writes their
    /// names alone. A name inside a longer mention (`穆罕默德` of a gazetteer's
    /// `穆罕默德·本·萨勒曼`) or joined to another name (`·`) is not the person; a gazetteer
    /// mention that starts inside the name and runs past it (`德国` of `哈迈德国王`) is read
    /// wrong and gives way, its last characters becoming text again.
    fn recall_persons(&mut self, persons: &[(Vec<char>, Node)]) {
        let mut changed = false;
        for (name, node) in persons {
            let mut from = 0;
            while let Some((token, start)) = self.find_name(name, from) {
                from = token + 1;
                changed |= self.name_person(token, start..start + name.len(), node);
            }
        }
        if changed {
            self.encode();
        }
    }

    /// The first token at or after `from` that is a character where `name` is written, and
    /// that character's place.
    fn find_name(&self, name: &[char], from: usize) -> Option<(usize, usize)> {
        let joined = |c: Option<&char>| c.is_some_and(|c| "·•‧・".contains(*c));
        (from..self.tokens.len()).find_map(|t| {
            let Token::Char(_, start) = self.tokens[t] else {
                return None;
            };
            let end = start + name.len();
            (end <= self.chars.len()
                && self.chars[start..end] == *name
                && !joined(start.checked_sub(1).and_then(|p| self.chars.get(p)))
                && !joined(self.chars.get(end)))
            .then_some((t, start))
        })
    }

    /// Makes the characters of `span`, from token `at` on, one mention of the person. False
    /// when a mention that begins inside the span cannot give way (not a gazetteer place).
    fn name_person(&mut self, at: usize, span: Range<usize>, node: &Node) -> bool {
        let mut end = at;
        let mut rest = Vec::new();
        while end < self.tokens.len() {
            match self.tokens[end] {
                Token::Char(_, p) if p < span.end => end += 1,
                Token::Mention(i) if self.locals[i].span.start < span.end => {
                    let local = &self.locals[i];
                    let place = matches!(local.kind, Kind::State | Kind::City)
                        && local.nodes.iter().all(|n| matches!(n, Node::Entity(_)));
                    if local.span.end > span.end && !place {
                        return false;
                    }
                    rest = (span.end..local.span.end.max(span.end))
                        .map(|p| Token::Char(self.chars[p], p))
                        .collect();
                    end += 1;
                }
                _ => break,
            }
        }
        self.locals.push(Local {
            kind: Kind::Person,
            nodes: vec![node.clone()],
            span,
            points_back: false,
        });
        let id = self.locals.len() - 1;
        self.tokens
            .splice(at..end, std::iter::once(Token::Mention(id)).chain(rest));
        true
    }

    /// The meetings of the sentence but those it only recalls (`去年举行的东亚峰会`): the ones
    /// `$event` may move to.
    fn current_events(&self) -> impl DoubleEndedIterator<Item = Node> + '_ {
        self.tokens.iter().filter_map(move |t| match t {
            Token::Mention(i) if self.locals[*i].kind == Kind::Event => {
                self.locals[*i].nodes.last().cloned().filter(|n| match n {
                    Node::Text { label, .. } => {
                        !label.is_empty() && !self.recalled.iter().any(|r| same_event(r, n))
                    }
                    _ => true,
                })
            }
            _ => None,
        })
    }

    fn encode(&mut self) {
        self.encoded = self
            .tokens
            .iter()
            .map(|t| match t {
                Token::Char(c, _) => *c,
                Token::Mention(i) => self.locals[*i].kind.placeholder(),
            })
            .collect();
        self.index = CharIndex::new(&self.encoded);
    }

    fn tokens_of(&self, bytes: Range<usize>) -> Range<usize> {
        self.index.char_at(bytes.start)..self.index.char_at(bytes.end)
    }

    /// The original text under a token range.
    fn text_of(&self, tokens: Range<usize>) -> String {
        let span = self.span_of(tokens);
        self.chars[span].iter().collect()
    }

    fn span_of(&self, tokens: Range<usize>) -> Range<usize> {
        let start = |t: &Token| match t {
            Token::Char(_, p) => *p,
            Token::Mention(i) => self.locals[*i].span.start,
        };
        let end = |t: &Token| match t {
            Token::Char(_, p) => *p + 1,
            Token::Mention(i) => self.locals[*i].span.end,
        };
        let toks = &self.tokens[tokens];
        match (toks.first(), toks.last()) {
            (Some(a), Some(b)) => start(a)..end(b),
            _ => 0..0,
        }
    }

    /// Runs a `replace` rule: every match (they do not overlap) becomes one mention. The
    /// tokens are spliced from the last match back to the first, then encoded once, so a
    /// sentence of any length costs one pass per rule.
    fn apply_replacing<'r>(
        &mut self,
        rules: &Rules,
        rule: &'r Relation,
        out: &mut Vec<RawFact>,
        trail: &mut Trail<'r>,
    ) {
        let slots: Vec<&str> = rule
            .replace
            .as_deref()
            .expect("replace rule")
            .split(',')
            .map(str::trim)
            .collect();
        let mut replacements = Vec::new();
        for caps in rule.regex.captures_iter(&self.encoded) {
            let tokens = self.tokens_of(caps.get(0).unwrap().range());
            let Some(m) = self.accepted(rules, rule, &caps, out, trail) else {
                continue;
            };
            let mut nodes: Vec<Node> = slots.iter().flat_map(|s| m.nodes(s)).collect();
            nodes.dedup();
            // A `span` group narrows what is replaced: the words after it stay for later
            // rules (`…托卡耶夫主持会议`: the person, then 主持).
            let tokens = caps
                .name("span")
                .map_or(tokens, |g| self.tokens_of(g.range()));
            if let Some(first) = nodes.first() {
                let local = Local {
                    kind: first.kind(rules),
                    nodes,
                    span: self.span_of(tokens.clone()),
                    points_back: false,
                };
                replacements.push((tokens, local));
            }
        }
        if replacements.is_empty() {
            return;
        }
        for (tokens, local) in replacements.into_iter().rev() {
            self.locals.push(local);
            let id = self.locals.len() - 1;
            self.tokens.splice(tokens, [Token::Mention(id)]);
        }
        self.encode();
    }

    fn apply<'r>(
        &self,
        rules: &Rules,
        rule: &'r Relation,
        out: &mut Vec<RawFact>,
        trail: &mut Trail<'r>,
    ) {
        // A match that ends with a clause's punctuation shares it with the next match, which
        // may open with it (`俄方建议成立…，乌兹别克斯坦提议建立…`).
        let mut at = 0;
        while let Some(caps) = rule.regex.captures_at(&self.encoded, at) {
            self.accepted(rules, rule, &caps, out, trail);
            let whole = caps.get(0).unwrap();
            let shared = whole
                .as_str()
                .chars()
                .last()
                .filter(|c| CLAUSE_ENDS.contains(*c))
                .map_or(0, char::len_utf8);
            at = if whole.end() - shared > whole.start() {
                whole.end() - shared
            } else if !whole.is_empty() {
                // A match of the punctuation alone shares nothing.
                whole.end()
            } else {
                // An empty match moves on one character.
                match self.encoded[whole.end()..].chars().next() {
                    Some(c) => whole.end() + c.len_utf8(),
                    None => break,
                }
            };
        }
    }

    /// A match of `rule` that its `exclude` and `reject` leave: its facts go to `out`, and it
    /// is noted in `trail`.
    fn accepted<'s, 'r>(
        &'s self,
        rules: &'s Rules,
        rule: &'r Relation,
        caps: &'s regex::Captures<'s>,
        out: &mut Vec<RawFact>,
        trail: &mut Trail<'r>,
    ) -> Option<Match<'s, 'a>>
    where
        'r: 's,
    {
        let tokens = self.tokens_of(caps.get(0).unwrap().range());
        if self.excluded(rule, tokens.clone()) || self.rejected(rule, caps) {
            return None;
        }
        let m = Match {
            sentence: self,
            caps,
            rule,
            rules,
            start: tokens.start,
        };
        if m.tells_of_later() {
            trail.later.extend(m.facts());
        } else {
            out.extend(m.facts());
        }
        trail.note(rule, m.unfilled());
        Some(m)
    }

    /// The sentence as the rules read it now, with the characters under each of its own.
    fn trace(&self, paragraph: usize, sentence: usize, fired: &[&str]) -> Encoded {
        Encoded {
            paragraph,
            sentence,
            fired: fired.iter().map(|id| id.to_string()).collect(),
            text: self.encoded.clone(),
            spans: (0..self.tokens.len())
                .map(|t| self.span_of(t..t + 1))
                .collect(),
        }
    }

    /// A match is excluded when its text, with the few characters before it, matches the
    /// rule's `exclude` (`拟在杜尚别举行` is a plan, not a meeting held).
    fn excluded(&self, rule: &Relation, tokens: Range<usize>) -> bool {
        let Some(re) = &rule.exclude else {
            return false;
        };
        let span = self.span_of(tokens);
        let start = span
            .start
            .saturating_sub(EXCLUDE_CONTEXT)
            .max(self.first_char());
        re.is_match(&self.chars[start..span.end].iter().collect::<String>())
    }

    /// A match is rejected when a slot's text matches the rule's `reject` for it (a created
    /// name that is no name: `…外长会议`).
    fn rejected(&self, rule: &Relation, caps: &regex::Captures) -> bool {
        rule.reject.iter().any(|(slot, re)| {
            caps.name(slot)
                .is_some_and(|g| re.is_match(&self.text_of(self.tokens_of(g.range()))))
        })
    }

    fn first_char(&self) -> usize {
        self.span_of(0..self.tokens.len()).start
    }

    /// The subject of the clause a match is in: the nearest group, organisation or list of
    /// states that opens
    /// the sentence (after a short adverbial such as `为此，`) or a clause (after `，` `；`).
    fn topic(&self, rules: &Rules, before: usize) -> Vec<Node> {
        let opens = |i: usize| {
            i == 0 || matches!(self.tokens[i - 1], Token::Char(c, _) if CLAUSE_BREAKS.contains(&c))
        };
        let is_subject = |t: &Token| matches!(t, Token::Mention(m) if matches!(self.locals[*m].kind, Kind::Group | Kind::State | Kind::Organization));
        // A clause that opens with a region (`中亚国家欢迎…`, `湄公河国家领导人支持…`) has a
        // subject of its own that names no known party: not the one of the clause before.
        let clause = (0..before).rev().find(|&i| opens(i));
        if let Some(c) = clause
            && matches!(self.tokens[c], Token::Mention(m) if self.locals[m].kind == Kind::Place)
        {
            return Vec::new();
        }
        // `…，表示中方强烈谴责…`: a subject after a verb of saying opens its clause too.
        let led = |i: usize| {
            // The characters back to the clause break (or a mention) before the subject.
            let from = self.tokens[..i]
                .iter()
                .rposition(|t| !matches!(t, Token::Char(c, _) if !CLAUSE_BREAKS.contains(c)))
                .map_or(0, |k| k + 1);
            let lead: String = self.tokens[from..i]
                .iter()
                .filter_map(|t| match t {
                    Token::Char(c, _) => Some(*c),
                    Token::Mention(_) => None,
                })
                .collect();
            (from == 0 || opens(from))
                && rules
                    .clause_lead
                    .as_ref()
                    .is_some_and(|re| re.is_match(&lead))
        };
        match (0..before)
            .rev()
            .find(|&i| is_subject(&self.tokens[i]) && (opens(i) || led(i)))
        {
            Some(start) => self.subject_at(rules, start),
            // A sentence without a subject goes on with the previous one's (`…。欢迎…`).
            None => self.inherited.clone(),
        }
    }

    /// The subject that opens the sentence, after at most a short adverbial (`为此，`).
    fn opening_subject(&self, rules: &Rules) -> Option<Vec<Node>> {
        let first = self
            .tokens
            .iter()
            .position(|t| matches!(t, Token::Mention(_)))?;
        let subject = matches!(self.tokens[first], Token::Mention(m) if matches!(self.locals[m].kind, Kind::Group | Kind::State | Kind::Organization));
        (subject && first <= OPENING_ADVERBIAL).then(|| self.subject_at(rules, first))
    }

    /// The group, organisation or list of states starting at token `start`.
    fn subject_at(&self, rules: &Rules, start: usize) -> Vec<Node> {
        let mut nodes = Vec::new();
        let mut i = start;
        while let Some(Token::Mention(m)) = self.tokens.get(i) {
            let local = &self.locals[*m];
            if !matches!(local.kind, Kind::Group | Kind::State | Kind::Organization) {
                break;
            }
            nodes.extend(local.nodes.iter().cloned());
            if local.kind != Kind::State {
                break;
            }
            // A list of states continues after a separator (`、`, `和`).
            let gap: String = self.tokens[i + 1..]
                .iter()
                .map_while(|t| match t {
                    Token::Char(c, _) => Some(*c),
                    Token::Mention(_) => None,
                })
                .collect();
            if !rules.list_separators.contains(&gap) {
                break;
            }
            i += 1 + gap.chars().count();
        }
        nodes
    }
}

struct Match<'s, 'a> {
    sentence: &'s Sentence<'a>,
    caps: &'s regex::Captures<'s>,
    rule: &'s Relation,
    rules: &'s Rules,
    /// First token of the match.
    start: usize,
}

impl Match<'_, '_> {
    /// A `$topic` or `$event` of the rule's facts that stands for nothing here (no subject
    /// opens the clause or a sentence before; no meeting named before), with where the match
    /// starts: the facts of that template are lost.
    fn unfilled(&self) -> Option<(usize, String)> {
        let slot = self
            .rule
            .facts
            .iter()
            .flat_map(|t| [t.subject.as_str(), t.object.as_str()])
            .find(|&slot| {
                (slot == TOPIC_SLOT || slot == EVENT_SLOT) && self.nodes(slot).is_empty()
            })?;
        let at = self.sentence.span_of(self.start..self.start + 1).start;
        Some((at, format!("{slot} of rule {}", self.rule.id)))
    }

    /// Whether the meeting a `slot@date` slot names was dated before this sentence, or is a word
    /// pointing back to one named before (`开幕式`, `会上`): one day the sentence gives (`习近平29日出席开幕式`)
    /// is a day within it, not all of it.
    fn already_dated(&self, slot: &str) -> bool {
        slot.split_once('@').is_some_and(|(name, _)| {
            self.nodes(name)
                .iter()
                .any(|n| matches!(n, Node::Text { date: Some(_), .. }))
                || self.points_back(name)
        })
    }

    /// Whether the slot holds a meeting word pointing back to a meeting named before
    /// (`莫迪今（1）日出席峰会`): the day someone attends it is no more than a day within it.
    fn points_back(&self, slot: &str) -> bool {
        self.caps.name(slot).is_some_and(|g| {
            self.sentence.tokens[self.sentence.tokens_of(g.range())]
                .iter()
                .any(|t| matches!(t, Token::Mention(i) if self.sentence.locals[*i].points_back))
        })
    }

    /// Whether the match's `when` date (`支持印度担任2026年金砖国家主席国`) lies after the
    /// document's date: what it tells of is yet to come.
    fn tells_of_later(&self) -> bool {
        self.nodes(WHEN_SLOT).iter().any(
            |n| matches!(n, Node::Date(d) if after_today(&d.start, self.sentence.today.as_ref())),
        )
    }

    fn facts(&self) -> Vec<RawFact> {
        let role = self
            .rule
            .role
            .as_deref()
            .and_then(|g| self.caps.name(g))
            .map(|m| {
                let text = self.sentence.text_of(self.sentence.tokens_of(m.range()));
                text.trim().to_string()
            });
        let mut out = Vec::new();
        for t in &self.rule.facts {
            let subjects = self.nodes(&t.subject);
            let objects = self.nodes(&t.object);
            for s in &subjects {
                for o in &objects {
                    if t.predicate == DATED {
                        if let Node::Date(d) = o
                            && !starts_elsewhere(s, d.start)
                            && !(d.start == d.end && self.already_dated(&t.subject))
                        {
                            let day = |p: Point| Node::Date(DateValue { start: p, end: p });
                            out.push((
                                s.clone(),
                                "startDate".into(),
                                day(d.start),
                                self.rule.id.clone(),
                                None,
                            ));
                            out.push((
                                s.clone(),
                                "endDate".into(),
                                day(d.end),
                                self.rule.id.clone(),
                                None,
                            ));
                        }
                    } else if s != o || t.predicate == LASTS_DAYS {
                        out.push((
                            s.clone(),
                            t.predicate.clone(),
                            o.clone(),
                            self.rule.id.clone(),
                            role.clone(),
                        ));
                    }
                }
            }
        }
        out
    }

    /// The nodes a slot stands for; `slot@dateslot` dates text events with that date.
    fn nodes(&self, slot: &str) -> Vec<Node> {
        match slot {
            GROUP_SLOT => {
                return vec![Node::Group {
                    of: GroupOf::Document,
                }];
            }
            ORGANISATION_SLOT => return vec![Node::Organisation],
            DOCUMENT_SLOT => return vec![Node::Document],
            TOPIC_SLOT => return self.sentence.topic(self.rules, self.start),
            EVENT_SLOT => return self.sentence.event.iter().cloned().collect(),
            LEADERS_SLOT => return self.sentence.leaders.clone(),
            _ => {}
        }
        if let Some((name, date_slot)) = slot.split_once('@') {
            // `object@date|date0`: the first of these date slots that the match filled.
            let date = date_slot
                .split('|')
                .flat_map(|d| self.nodes(d))
                .find_map(|n| match n {
                    Node::Date(d) => Some(d.start),
                    _ => None,
                });
            return self
                .nodes(name)
                .into_iter()
                .map(|n| with_date(n, date))
                .collect();
        }
        if let Some(name) = slot.strip_suffix(OWN_DATES) {
            return own_dates(self.rules, &self.nodes(name));
        }
        if let Some(name) = slot.strip_suffix(PERSON_STATE) {
            // The state each person represents, as this sentence's person rules read it.
            return self
                .nodes(name)
                .iter()
                .flat_map(|p| {
                    self.sentence
                        .represents
                        .iter()
                        .filter(move |(who, _)| who == p)
                        .map(|(_, state)| state.clone())
                })
                .filter(|n| n.kind(self.rules) == Kind::State)
                .collect();
        }
        if let Some(name) = slot.strip_suffix(".org") {
            // The organisation a group stands for (`上海合作组织成员国` → 上海合作组织) or a
            // meeting is of.
            return self
                .nodes(name)
                .into_iter()
                .map(|n| match n {
                    Node::Group {
                        of: GroupOf::Organisation(i),
                    } => Node::Entity(i),
                    Node::Group {
                        of: GroupOf::Document,
                    } => Node::Organisation,
                    // A body's organisation (`上合组织成员国元首理事会` → 上合组织).
                    Node::Entity(i) if self.rules.entities[i].kind == Kind::Organization => self
                        .rules
                        .organisation_opening(&self.rules.entities[i].zh)
                        .map_or(Node::Entity(i), Node::Entity),
                    // The organisation a meeting's name opens with (`二十国集团领导人峰会`),
                    // else the document's.
                    Node::Text {
                        kind: Kind::Event,
                        label,
                        ..
                    } => self
                        .rules
                        .organisation_opening(&label)
                        .map_or(Node::Organisation, Node::Entity),
                    other => other,
                })
                .collect();
        }
        let Some(group) = self.caps.name(slot) else {
            return Vec::new();
        };
        let tokens = self.sentence.tokens_of(group.range());
        let created = self
            .rule
            .create
            .iter()
            .find(|(s, _)| s == slot)
            .map(|(_, k)| *k);
        let inner: Vec<Node> = self.sentence.tokens[tokens.clone()]
            .iter()
            .filter_map(|t| match t {
                Token::Mention(i) => Some(&self.sentence.locals[*i]),
                Token::Char(..) => None,
            })
            .flat_map(|l| l.nodes.iter().cloned())
            .collect();
        // A tolerant list's unnamed items may hold mentions of other types (a state).
        let inner = match self.rule.list_kinds.iter().find(|(s, _)| s == slot) {
            Some((_, kinds)) => inner
                .into_iter()
                .filter(|n| kinds.contains(&n.kind(self.rules)))
                .collect(),
            None => inner,
        };
        match created {
            None => inner,
            Some(kind) => {
                // A proposal that names a 《title》 or a known initiative proposes that, not the
                // clause around it.
                let named: Vec<Node> = inner
                    .into_iter()
                    .filter(|n| {
                        kind == Kind::Initiative
                            && matches!(
                                n.kind(self.rules),
                                Kind::Document | Kind::Initiative | Kind::Event
                            )
                    })
                    .collect();
                if !named.is_empty() {
                    return named;
                }
                let label = clean_label(&self.sentence.text_of(tokens));
                if label.chars().count() < 2 {
                    return Vec::new();
                }
                vec![Node::Text {
                    kind,
                    label,
                    date: None,
                }]
            }
        }
    }
}

/// The fact a rule read in sentence `sentence` of paragraph `paragraph`.
fn fact_at(raw: RawFact, paragraph: usize, sentence: usize) -> Fact {
    let (subject, predicate, object, rule, role) = raw;
    Fact {
        subject,
        predicate,
        object,
        rule,
        paragraph,
        sentence,
        role,
    }
}

fn no_antecedent(paragraph: usize, at: usize, what: String) -> crate::Loss {
    crate::Loss {
        paragraph,
        at,
        kind: crate::LossKind::NoAntecedent,
        what,
    }
}

/// Whether `node` is a meeting dated after `today` (the document's date).
fn is_later(node: &Node, today: Option<&Point>) -> bool {
    matches!(node, Node::Text { date: Some(d), .. } if after_today(d, today))
}

/// Whether `p` begins after the last day of `today` (the document's date, when known).
fn after_today(p: &Point, today: Option<&Point>) -> bool {
    today.is_some_and(|t| p.first_day() > t.last_day())
}

/// Punctuation that ends one clause and may open the next one's match.
const CLAUSE_ENDS: &str = "，；：。";

/// What a sentence announcing a plan still states.
const KEPT_IN_PLANS: &[&str] = &["startDate", "endDate", "represents"];

/// Characters before a match that `exclude` also sees.
const EXCLUDE_CONTEXT: usize = 4;
/// Tokens an adverbial may take before a sentence's subject (`为此，`, `在此背景下，`).
const OPENING_ADVERBIAL: usize = 8;
/// Characters that end a clause.
const CLAUSE_BREAKS: &[char] = &['，', '；', '：', ','];

/// `doc.dates`: the period a single document, initiative or event names in its own name
/// (`《2025—2027年…纲要》` → 2025/2027); nothing for several nodes, whose dates could be mixed up.
fn own_dates(rules: &Rules, nodes: &[Node]) -> Vec<Node> {
    let label = match nodes {
        [Node::Text { label, .. }] => label.as_str(),
        [Node::Entity(i)] => rules.entities[*i].zh.as_str(),
        _ => return Vec::new(),
    };
    crate::recognize::period_in_name(rules, label)
        .map(Node::Date)
        .into_iter()
        .collect()
}

/// Whether a meeting already known by its start date (`…会晤@2024-10-22`) would be dated to start
/// on another day: a day within it (`普京23日主持会晤`) is not its start.
fn starts_elsewhere(node: &Node, start: Point) -> bool {
    let Node::Text {
        date: Some(key), ..
    } = node
    else {
        return false;
    };
    key.year != start.year
        || key.month.zip(start.month).is_some_and(|(a, b)| a != b)
        || key.day.zip(start.day).is_some_and(|(a, b)| a != b)
}

fn with_date(node: Node, date: Option<Point>) -> Node {
    match node {
        Node::Text {
            kind: Kind::Event,
            label,
            date: None,
        } => Node::Text {
            kind: Kind::Event,
            label,
            date,
        },
        other => other,
    }
}

/// The node of a mention, if it names one; `event` is the meeting a rule named before.
fn node_of(m: &Mention, event: Option<&Node>) -> Option<Node> {
    Some(match &m.target {
        Target::Entity(i) => Node::Entity(*i),
        Target::Group { of } => Node::Group { of: *of },
        Target::Date(d) => Node::Date(*d),
        // Resolved before relate; an unresolved one names nothing that can be related.
        // With a meeting named before by a rule, the word stays text for the rules that read
        // it as `$event` (`…应邀出席了会议`).
        Target::Unresolved(Some(word)) if event.is_none() => Node::Text {
            kind: m.kind,
            label: word.clone(),
            date: None,
        },
        Target::Unresolved(_) => return None,
        // Resolved before relate; parties stand for several nodes, taken by the caller.
        Target::RawDate(_) | Target::Anaphor | Target::Parties(_) | Target::Side(_) => {
            return None;
        }
        Target::Text(label) => Node::Text {
            kind: m.kind,
            label: label.clone(),
            date: None,
        },
    })
}

/// Trims punctuation a clause may begin or end with.
fn clean_label(text: &str) -> String {
    text.trim_matches(|c: char| c.is_whitespace() || "，、；：。,".contains(c))
        .to_string()
}

/// Gives every undated mention of a text event the dates the same sentence gives it, so a
/// stance (`积极评价…青委会例行会议成果`) reaches the dated event node.
fn propagate_event_dates(found: Vec<RawFact>) -> Vec<RawFact> {
    let mut dates = dates_of_events(found.iter().flat_map(|(s, _, o, ..)| [s, o]));
    for (s, p, o, ..) in &found {
        if let (
            Node::Text {
                kind: Kind::Event,
                label,
                date: None,
            },
            "startDate",
            Node::Date(d),
        ) = (s, p.as_str(), o)
        {
            dates.entry(label.clone()).or_default().insert(d.start);
        }
    }
    let expand = |n: &Node| -> Vec<Node> {
        match n {
            Node::Text {
                kind: Kind::Event,
                label,
                date: None,
            } => match dates.get(label) {
                Some(ds) => ds
                    .iter()
                    .map(|d| Node::Text {
                        kind: Kind::Event,
                        label: label.clone(),
                        date: Some(*d),
                    })
                    .collect(),
                None => vec![n.clone()],
            },
            _ => vec![n.clone()],
        }
    };
    let mut out = Vec::new();
    for (s, p, o, rule, role) in &found {
        for s2 in expand(s) {
            for o2 in expand(o) {
                out.push((s2.clone(), p.clone(), o2, rule.clone(), role.clone()));
            }
        }
    }
    out
}

/// Facts that need the whole document: where participants sit, documents adopted or signed at
/// a meeting, and the most precise place of a meeting. `text` is the document's clean text.
/// The facts these steps remove go to `set_aside`, with why.
pub fn resolve_document(
    rules: &Rules,
    facts: &mut Vec<Fact>,
    text: &str,
    set_aside: &mut Vec<SetAside>,
) {
    resolve_sits_in(rules, facts, text, set_aside);
    refine_event_dates(facts, set_aside);
    drop_coarse_dates(facts, set_aside);
    resolve_at_event(facts, set_aside);
    resolve_signed_by_attendees(rules, facts, set_aside);
    resolve_lasts_days(rules, facts, set_aside);
    hold_meeting_where_ceremony(rules, facts);
    drop_state_where_city(rules, facts, set_aside);
    drop_chair_attended(facts, set_aside);
    drop_unsigned_date_line(facts, set_aside);
}

/// A meeting dated by a coarser word (`今年首次…参加东亚峰会`: the year) is the meeting of the same
/// name the text dates more precisely within it (`第六届东亚峰会19日…举行`), not a second meeting:
/// its node takes the precise date, and the coarse start and end it gave are set aside. With two
/// precise dates inside the coarse one, it is left as it is.
fn refine_event_dates(facts: &mut Vec<Fact>, set_aside: &mut Vec<SetAside>) {
    let dated = event_dates(facts);
    let refined = |n: &Node| -> Option<Node> {
        let Node::Text {
            kind: Kind::Event,
            label,
            date: Some(coarse),
        } = n
        else {
            return None;
        };
        if coarse.day.is_some() {
            return None;
        }
        let within: Vec<&Point> = dated[label]
            .iter()
            .filter(|p| p != &coarse && p.day.is_some())
            .filter(|p| coarse.first_day() <= p.first_day() && p.first_day() <= coarse.last_day())
            .collect();
        match within[..] {
            [precise] => Some(Node::Text {
                kind: Kind::Event,
                label: label.clone(),
                date: Some(*precise),
            }),
            _ => None,
        }
    };
    let why = "the meeting is dated more precisely elsewhere in the text: the coarse date is no \
               start or end of it";
    set_aside_where(facts, set_aside, why, |f| {
        matches!(f.predicate.as_str(), "startDate" | "endDate") && refined(&f.subject).is_some()
    });
    for f in facts.iter_mut() {
        if let Some(n) = refined(&f.subject) {
            f.subject = n;
        }
        if let Some(n) = refined(&f.object) {
            f.object = n;
        }
    }
    facts.sort();
    facts.dedup();
}

/// A meeting given a day (`2018年中非合作论坛北京峰会4日…闭幕`: its end) is not also given the
/// coarser period that day lies in (the year its name opens with) as a start or end: the coarse
/// dates are set aside, as a reader takes the precise one.
fn drop_coarse_dates(facts: &mut Vec<Fact>, set_aside: &mut Vec<SetAside>) {
    let is_date = |f: &Fact| matches!(f.predicate.as_str(), "startDate" | "endDate");
    let precise: Vec<(Node, Point)> = facts
        .iter()
        .filter(|f| is_date(f))
        .filter_map(|f| match &f.object {
            Node::Date(d) if d.start.day.is_some() => Some((f.subject.clone(), d.start)),
            _ => None,
        })
        .collect();
    let why = "the meeting is given a day within this period: the period is no start or end of it";
    set_aside_where(facts, set_aside, why, |f| {
        let Node::Date(coarse) = &f.object else {
            return false;
        };
        is_date(f)
            && coarse.start.day.is_none()
            && precise.iter().any(|(s, p)| {
                s == &f.subject
                    && coarse.start.first_day() <= p.first_day()
                    && p.first_day() <= coarse.end.last_day()
            })
    });
}

/// The dates each event label is given in `facts` (the date of a node `label@date`).
pub(crate) fn event_dates(facts: &[Fact]) -> HashMap<String, BTreeSet<Point>> {
    dates_of_events(facts.iter().flat_map(|f| [&f.subject, &f.object]))
}

/// The dates each event label is given among `nodes` (the date of a node `label@date`).
fn dates_of_events<'a>(nodes: impl Iterator<Item = &'a Node>) -> HashMap<String, BTreeSet<Point>> {
    let mut out: HashMap<String, BTreeSet<Point>> = HashMap::new();
    for n in nodes {
        if let Node::Text {
            kind: Kind::Event,
            label,
            date: Some(d),
        } = n
        {
            out.entry(label.clone()).or_default().insert(*d);
        }
    }
    out
}

/// A date line (`2019年11月3日于曼谷`) dates and places the text's adoption, and its signing only
/// where the text names who signed: without a signature block, no signing is stated. A sentence
/// that says the text was signed (`本备忘录于…在北京签署`) gives no adoption, and keeps its signing.
fn drop_unsigned_date_line(facts: &mut Vec<Fact>, set_aside: &mut Vec<SetAside>) {
    let own = |f: &Fact| f.subject == Node::Document;
    if facts.iter().any(|f| own(f) && f.predicate == "signedBy") {
        return;
    }
    let date_lines: Vec<(usize, usize)> = facts
        .iter()
        .filter(|f| own(f) && f.predicate == "adoptedOn")
        .map(|f| (f.paragraph, f.sentence))
        .collect();
    let why = "a date line with no signer named dates the adoption, not a signing";
    set_aside_where(facts, set_aside, why, |f| {
        own(f)
            && matches!(f.predicate.as_str(), "signedOn" | "signedIn")
            && date_lines.contains(&(f.paragraph, f.sentence))
    });
}

/// The chair of a meeting attends it, and the graph says so once: `chaired` (`习近平主持会议并
/// 发表讲话` is no second fact `attended`).
fn drop_chair_attended(facts: &mut Vec<Fact>, set_aside: &mut Vec<SetAside>) {
    let chairs: Vec<(Node, Node)> = facts
        .iter()
        .filter(|f| f.predicate == "chaired")
        .map(|f| (f.subject.clone(), f.object.clone()))
        .collect();
    let why = "the person chaired the meeting: chaired says it";
    set_aside_where(facts, set_aside, why, |f| {
        f.predicate == "attended"
            && chairs
                .iter()
                .any(|(who, what)| *who == f.subject && same_event(what, &f.object))
    });
}

/// A small count as written (`六`, `十`, `6`), by the rules' numerals.
fn count_of(rules: &Rules, written: &str) -> Option<usize> {
    if let Ok(n) = written.parse() {
        return Some(n);
    }
    let digits: Option<Vec<u32>> = written
        .chars()
        .map(|c| rules.numerals.get(&c).copied())
        .collect();
    match digits?[..] {
        [n] => Some(n as usize),
        [10, n] => Some(10 + n as usize),
        _ => None,
    }
}

fn set_aside_where(
    facts: &mut Vec<Fact>,
    set_aside: &mut Vec<SetAside>,
    why: &str,
    test: impl Fn(&Fact) -> bool,
) {
    facts.retain(|f| {
        let gone = test(f);
        if gone {
            set_aside.push(SetAside {
                fact: f.clone(),
                why: why.to_string(),
            });
        }
        !gone
    });
}

/// Where a participant sits is where the meeting is held, unless the document tells of a
/// meeting online anywhere: then the chair in Beijing says nothing of where the meeting was.
fn resolve_sits_in(
    rules: &Rules,
    facts: &mut Vec<Fact>,
    text: &str,
    set_aside: &mut Vec<SetAside>,
) {
    let online = rules.online.as_ref().is_some_and(|re| re.is_match(text));
    if online {
        let why = "the text tells of a meeting online: where a participant sits is not where \
                   it is held";
        set_aside_where(facts, set_aside, why, |f| f.predicate == SITS_IN);
    }
    for f in facts.iter_mut().filter(|f| f.predicate == SITS_IN) {
        f.predicate = "heldIn".into();
    }
}

/// A meeting's ceremony held in a city (`…部长级会议开幕式…在北京…举行`) says where the meeting
/// was held: the meeting, as the text's facts name it (else undated), is held there too, unless
/// they already say where.
fn hold_meeting_where_ceremony(rules: &Rules, facts: &mut Vec<Fact>) {
    let mut derived = Vec::new();
    for f in facts.iter().filter(|f| f.predicate == "heldIn") {
        let Node::Text {
            kind: Kind::Event,
            label,
            ..
        } = &f.subject
        else {
            continue;
        };
        let Some(meeting) = rules.meeting_of_ceremony(label) else {
            continue;
        };
        let mut nodes: Vec<&Node> = facts
            .iter()
            .flat_map(|g| [&g.subject, &g.object])
            .filter(
                |n| matches!(n, Node::Text { kind: Kind::Event, label, .. } if label == meeting),
            )
            .collect();
        nodes.sort();
        nodes.dedup();
        let node = match nodes[..] {
            [] => Node::Text {
                kind: Kind::Event,
                label: meeting.to_string(),
                date: None,
            },
            [one] => one.clone(),
            _ => continue,
        };
        let placed = facts
            .iter()
            .any(|g| g.predicate == "heldIn" && same_event(&g.subject, &node));
        if !placed {
            derived.push(Fact {
                subject: node,
                ..f.clone()
            });
        }
    }
    facts.extend(derived);
    facts.sort();
    facts.dedup();
}

/// A meeting held in a city is not also "held in" the state around it: `在土耳其召开` and, later,
/// `在伊斯坦布尔举行` give the city only. The state stays where the text names no city.
fn drop_state_where_city(rules: &Rules, facts: &mut Vec<Fact>, set_aside: &mut Vec<SetAside>) {
    let in_city: Vec<Node> = facts
        .iter()
        .filter(|f| {
            f.predicate == "heldIn" && matches!(f.object.kind(rules), Kind::City | Kind::Place)
        })
        .map(|f| f.subject.clone())
        .collect();
    let why = "the meeting is held in a city the text names: the state around it goes";
    set_aside_where(facts, set_aside, why, |f| {
        f.predicate == "heldIn"
            && f.object.kind(rules) == Kind::State
            && in_city.iter().any(|e| same_event(e, &f.subject))
    });
}

/// Two mentions of one meeting: the same label, dated alike or one of them undated.
fn same_event(a: &Node, b: &Node) -> bool {
    match (a, b) {
        (
            Node::Text {
                kind: Kind::Event,
                label: la,
                date: da,
            },
            Node::Text {
                kind: Kind::Event,
                label: lb,
                date: db,
            },
        ) => la == lb && (da.is_none() || db.is_none() || da == db),
        _ => a == b,
    }
}

/// Facts about a document adopted or signed at a meeting (`adoptedAt`, `signedAt`) become
/// facts of the meeting's place and, when the meeting lasted one day, of its day: the meeting's
/// own facts say where and when it was held, anywhere in the document. A meeting known by an
/// undated mention is the same meeting as a dated one of its name.
fn resolve_at_event(facts: &mut Vec<Fact>, set_aside: &mut Vec<SetAside>) {
    let mut derived = Vec::new();
    for f in facts.iter() {
        let Some((_, place_predicate, date_predicate)) =
            AT_EVENT.iter().find(|(at, ..)| *at == f.predicate)
        else {
            continue;
        };
        let of_event = |predicate: &str| -> Vec<&Node> {
            facts
                .iter()
                .filter(|g| g.predicate == predicate && same_event(&g.subject, &f.object))
                .map(|g| &g.object)
                .collect()
        };
        let derive = |predicate: &str, object: &Node| Fact {
            predicate: predicate.to_string(),
            object: object.clone(),
            role: None,
            ..f.clone()
        };
        if f.predicate == ADOPTED_AT {
            derived.push(derive(ADOPTED_BY, &f.object));
        }
        let mut places = of_event("heldIn");
        places.sort();
        places.dedup();
        if let [place] = places[..] {
            derived.push(derive(place_predicate, place));
        }
        let mut starts = of_event("startDate");
        let mut ends = of_event("endDate");
        starts.sort();
        starts.dedup();
        ends.sort();
        ends.dedup();
        if let ([start], [end]) = (&starts[..], &ends[..])
            && start == end
        {
            derived.push(derive(date_predicate, start));
        }
    }
    let why = "read through the meeting it names: the meeting's place, and its day when it \
               lasted one, are the document's";
    set_aside_where(facts, set_aside, why, |f| {
        AT_EVENT.iter().any(|(at, ..)| *at == f.predicate)
    });
    facts.extend(derived);
    facts.sort();
    facts.dedup();
}

/// `event lastsDays event` (`…22日…登场，为期两天`) becomes the meeting's `endDate`: the day
/// the count of days (the rule's `role`) ends on, counted from its start (the date of its
/// node), when that is a day.
fn resolve_lasts_days(rules: &Rules, facts: &mut Vec<Fact>, set_aside: &mut Vec<SetAside>) {
    let mut derived = Vec::new();
    for f in facts.iter().filter(|f| f.predicate == LASTS_DAYS) {
        let Node::Text {
            date: Some(start), ..
        } = &f.object
        else {
            continue;
        };
        let days = f.role.as_deref().and_then(|n| count_of(rules, n));
        let (Some(days @ 1..), Some(_)) = (days, start.day) else {
            continue;
        };
        let last = start.first_day() + chrono::Days::new(days as u64 - 1);
        derived.push(Fact {
            predicate: "endDate".to_string(),
            object: Node::Date(DateValue::day(last)),
            role: None,
            ..f.clone()
        });
    }
    let why = "read as the meeting's last day, counted from its first";
    set_aside_where(facts, set_aside, why, |f| f.predicate == LASTS_DAYS);
    // `…举行，为期两天`: the day `举行` gave as the last one stands for a one-day meeting.
    let one_day = |f: &Fact| {
        f.predicate == "endDate"
            && derived.iter().any(|d: &Fact| {
                same_event(&f.subject, &d.subject)
                    && f.object != d.object
                    && matches!(&f.subject, Node::Text { date: Some(start), .. }
                        if f.object == Node::Date(DateValue { start: *start, end: *start }))
            })
    };
    let why = "the meeting lasted longer than the day it was held on (为期…天)";
    set_aside_where(facts, set_aside, why, one_day);
    facts.extend(derived);
    facts.sort();
    facts.dedup();
}

/// `doc signedByAttendeesOf event` (`六国元首共同签署《…》`) becomes `doc signedBy P` for each
/// person P that attended or chaired the meeting, by the document's own facts. The rule's
/// `role` is the count the text gives (`六`): where the meeting had more or fewer attendants
/// (observers and guests beside six heads of state), which of them signed is not said.
fn resolve_signed_by_attendees(
    rules: &Rules,
    facts: &mut Vec<Fact>,
    set_aside: &mut Vec<SetAside>,
) {
    let mut derived = Vec::new();
    for f in facts.iter().filter(|f| f.predicate == SIGNED_BY_ATTENDEES) {
        let mut signers: Vec<&Node> = facts
            .iter()
            .filter(|g| g.predicate == "attended" || g.predicate == "chaired")
            .filter(|g| same_event(&g.object, &f.object))
            .map(|g| &g.subject)
            .collect();
        signers.sort();
        signers.dedup();
        let counted = f.role.as_deref().and_then(|n| count_of(rules, n));
        if counted.is_some_and(|n| n != signers.len()) {
            continue;
        }
        for who in signers {
            derived.push(Fact {
                predicate: "signedBy".to_string(),
                object: who.clone(),
                role: None,
                ..f.clone()
            });
        }
    }
    let why = "read as signedBy of each person the text says attended or chaired the meeting";
    set_aside_where(facts, set_aside, why, |f| {
        f.predicate == SIGNED_BY_ATTENDEES
    });
    facts.extend(derived);
    facts.sort();
    facts.dedup();
}

//! What a Discord button carries: the encoding of component `custom_id`s.
//!
//! A button carries everything needed to judge a click without reading the session store
//! or any memory of earlier clicks: who the conversation belongs to, the place it was
//! made in (a server, a DM), the rules version and the step of the conversation it was
//! shown at, **the answers given so far**, and what it does. A click is judged by
//! replaying those answers through the rules and applying the action, so it is correct
//! after a restart, a double click computes the same reply, and a button made under
//! older rules can be carried over into the running ones (see `conversation`).
//!
//! The answers fit in a few characters because the facts and their values are a fixed
//! contract (the project's facts catalogue, contract version 2): [`SYMBOLS`] gives each
//! fact value one character, once and for ever. The table is append-only: a symbol is
//! never reused or reassigned, so a button keeps its meaning across versions; a new value
//! gets the next free character at the end. The rules loader refuses a rules file whose
//! fact or value has no symbol, so every question's choices can be put on a button.
//!
//! Format (ASCII, `:`-separated, at most [`MAX_LEN`] characters):
//! `ac1:<verb>:<owner>:<rules tag>:<step>:<place>:<answers>[:<value>]`,
//! where `<answers>` is one symbol per answer in the order given (possibly empty) and
//! `<value>` is, for an answer button (`a`), the symbol of the value it answers with.
//! Decoding is strict and total: any other string is an error, never a panic, and
//! anything accepted is exactly what [`CustomId::encode`] makes of it.
//!
//! Ids of earlier builds (`ac1:a:<owner>:<tag>:<step>:<node>:<choice>`, `ac1:b:...:<step>`)
//! have fewer parts for every verb and are refused as not this bot's.
//!
//! Why the deepest path always fits: the loader refuses a rules file that asks one fact
//! twice along a path, and one whose facts are not all in [`SYMBOLS`], so no conversation
//! has more answers than [`SYMBOLS`] has facts, which is well under [`MAX_ANSWERS`] (a
//! test proves it, and the worst case encodes to exactly [`MAX_LEN`]).

use std::fmt;

/// Discord's limit on a component's `custom_id`.
pub const MAX_LEN: usize = 100;

const PREFIX: &str = "ac1";
/// Longest encoding of everything but the answers: prefix, verb, a 20-digit owner, the
/// 8-character rules tag, a 20-digit step, the place, an answer's value, and seven
/// separators.
const FIXED_LEN: usize = PREFIX.len() + 1 + 20 + 8 + 20 + 1 + 1 + 7;
/// The most answers a `custom_id` can carry within [`MAX_LEN`].
pub const MAX_ANSWERS: usize = MAX_LEN - FIXED_LEN;

/// Every fact value of the contract and its symbol: entry `i` is written as
/// `ALPHABET[i]`. **Append-only**: never remove, reorder or rename an entry (a button on
/// someone's screen may carry it); add new values at the end.
pub const SYMBOLS: &[(&str, &str)] = &[
    ("concern", "lost-activation"),
    ("concern", "planning-update"),
    ("concern", "hardware-change"),
    ("concern", "reinstall"),
    ("concern", "virtual-machine"),
    ("concern", "check-risk"),
    ("license_origin", "preinstalled-win11"),
    ("license_origin", "native-win10"),
    ("license_origin", "free-upgrade-win10"),
    ("license_origin", "free-upgrade-win7-8"),
    ("license_origin", "unknown"),
    ("installation_id_shown", "yes"),
    ("installation_id_shown", "no"),
    ("installation_id_shown", "not-checked"),
    ("self_service_activation", "not-tried"),
    ("self_service_activation", "troubleshooter-failed"),
    ("self_service_activation", "all-failed"),
    ("hardware_change", "motherboard-repair"),
    ("hardware_change", "other-parts"),
    ("hardware_change", "new-pc"),
    ("hardware_change", "none"),
    ("system_backup", "yes"),
    ("system_backup", "no"),
    ("vm_disk", "new-vm"),
    ("vm_disk", "reused-vhd"),
];

/// The characters symbols are written as, in table order.
const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// One fact value of [`SYMBOLS`], by its position there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Symbol(u8);

impl Symbol {
    /// The symbol of `fact = value`, if the contract has it.
    pub fn of(fact: &str, value: &str) -> Option<Symbol> {
        SYMBOLS
            .iter()
            .position(|&(f, v)| f == fact && v == value)
            .map(|i| Symbol(i as u8))
    }

    /// The fact and value this symbol stands for.
    pub fn fact_value(self) -> (&'static str, &'static str) {
        SYMBOLS[usize::from(self.0)]
    }

    pub fn fact(self) -> &'static str {
        self.fact_value().0
    }

    pub fn value(self) -> &'static str {
        self.fact_value().1
    }

    /// The character it is written as.
    pub fn char(self) -> char {
        char::from(ALPHABET[usize::from(self.0)])
    }

    /// The symbol written as `b`, if one is assigned to it.
    fn from_byte(b: u8) -> Option<Symbol> {
        let i = ALPHABET.iter().position(|&a| a == b)?;
        (i < SYMBOLS.len()).then_some(Symbol(i as u8))
    }
}

/// The answers given so far, in order, as symbols; at most [`MAX_ANSWERS`]. Small and
/// `Copy`: it travels with every reply without an allocation.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Answers {
    len: u8,
    symbols: [u8; MAX_ANSWERS],
}

impl Default for Answers {
    fn default() -> Self {
        Self {
            len: 0,
            symbols: [0; MAX_ANSWERS],
        }
    }
}

/// More answers than a button can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("more than {MAX_ANSWERS} answers do not fit a button")]
pub struct TooMany;

impl Answers {
    pub fn new() -> Self {
        Self::default()
    }

    /// The answers of `fact = value` pairs, in order.
    pub fn from_symbols(symbols: impl IntoIterator<Item = Symbol>) -> Result<Self, TooMany> {
        let mut a = Self::new();
        for s in symbols {
            a.push(s)?;
        }
        Ok(a)
    }

    pub fn push(&mut self, s: Symbol) -> Result<(), TooMany> {
        let i = usize::from(self.len);
        if i >= MAX_ANSWERS {
            return Err(TooMany);
        }
        self.symbols[i] = s.0;
        self.len += 1;
        Ok(())
    }

    /// Without the last answer; `None` when there is none.
    pub fn without_last(&self) -> Option<Self> {
        let mut a = *self;
        a.len = a.len.checked_sub(1)?;
        Some(a)
    }

    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = Symbol> + '_ {
        self.symbols[..self.len()].iter().map(|&s| Symbol(s))
    }

    fn write(&self, out: &mut String) {
        out.extend(self.iter().map(Symbol::char));
    }
}

impl fmt::Debug for Answers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|s| format!("{}={}", s.fact(), s.value())))
            .finish()
    }
}

/// Where a conversation takes place, as far as a button needs to know: a click in
/// another place than the button's finds no conversation there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Place {
    /// A Discord server.
    Server,
    /// A direct-message conversation with the bot.
    Dm,
    /// The terminal front end (its "buttons" never leave the process).
    Terminal,
}

impl Place {
    fn char(self) -> char {
        match self {
            Place::Server => 'g',
            Place::Dm => 'd',
            Place::Terminal => 't',
        }
    }

    fn parse(s: &str) -> Option<Place> {
        match s {
            "g" => Some(Place::Server),
            "d" => Some(Place::Dm),
            "t" => Some(Place::Terminal),
            _ => None,
        }
    }
}

/// What a component does when clicked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Answer the question the answers lead to with this value.
    Answer(Symbol),
    /// Answer that question with the choice picked in a select menu (by position).
    Select,
    /// Go back one question.
    Back,
    /// Start over from the first question.
    Restart,
    /// Continue an unfinished conversation.
    Continue,
    /// Post the finished card publicly in the channel.
    Post,
    /// Delete the user's stored data.
    Forget,
    /// "Did this help?" on the user's own card: `yes` or no, replacing `before` (the
    /// vote the message showed as given, if any). Written `h`, with the value `y`/`n` for
    /// a first vote and `Y`/`N` for a change from the other answer.
    Helped { yes: bool, before: Option<bool> },
    /// "Check my own PC" on a posted card: starts the clicker's own conversation (anyone
    /// may click it; its owner and step are 0 and it carries no answers).
    Own,
}

/// A decoded `custom_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomId {
    pub action: Action,
    /// The Discord user the conversation belongs to.
    pub owner: u64,
    /// [`rules_tag`] of the rules version the component was made under.
    pub rules_tag: String,
    /// The conversation's step the component was shown at.
    pub step: u64,
    /// Where the conversation takes place.
    pub place: Place,
    /// The answers given before the component was shown.
    pub answers: Answers,
}

/// Why a `custom_id` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed custom_id: {0}")]
pub struct Malformed(pub &'static str);

/// A short, stable tag for a rules version: FNV-1a (32 bit) as 8 hex digits. Stable
/// across builds and platforms, unlike `std`'s hasher.
pub fn rules_tag(version: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in version.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

impl CustomId {
    pub fn new(
        action: Action,
        owner: u64,
        rules_tag: impl Into<String>,
        step: u64,
        place: Place,
        answers: Answers,
    ) -> Self {
        Self {
            action,
            owner,
            rules_tag: rules_tag.into(),
            step,
            place,
            answers,
        }
    }

    pub fn encode(&self) -> String {
        let verb = match self.action {
            Action::Answer(_) => 'a',
            Action::Select => 's',
            Action::Back => 'b',
            Action::Restart => 'r',
            Action::Continue => 'c',
            Action::Post => 'p',
            Action::Forget => 'f',
            Action::Helped { .. } => 'h',
            Action::Own => 'o',
        };
        // Written by hand: every button of every reply is encoded, and `format!` costs
        // several times this.
        let mut s = String::with_capacity(MAX_LEN);
        s.push_str(PREFIX);
        s.push(':');
        s.push(verb);
        s.push(':');
        push_number(&mut s, self.owner);
        s.push(':');
        s.push_str(&self.rules_tag);
        s.push(':');
        push_number(&mut s, self.step);
        s.push(':');
        s.push(self.place.char());
        s.push(':');
        self.answers.write(&mut s);
        if let Action::Helped { yes, before } = self.action {
            s.push(':');
            s.push(match (yes, before.is_some_and(|b| b != yes)) {
                (true, false) => 'y',
                (false, false) => 'n',
                (true, true) => 'Y',
                (false, true) => 'N',
            });
        }
        if let Action::Answer(v) = self.action {
            s.push(':');
            s.push(v.char());
        }
        s
    }

    pub fn decode(s: &str) -> Result<Self, Malformed> {
        if s.len() > MAX_LEN {
            return Err(Malformed("longer than 100 characters"));
        }
        if !s.is_ascii() {
            return Err(Malformed("not ASCII"));
        }
        let mut parts = [""; 8];
        let mut n = 0;
        for part in s.split(':') {
            if n == parts.len() {
                return Err(Malformed("too many parts"));
            }
            parts[n] = part;
            n += 1;
        }
        if n < 7 || parts[0] != PREFIX {
            return Err(Malformed("not one of this bot's components"));
        }
        let owner = parse_number(parts[2]).ok_or(Malformed("bad owner"))?;
        let tag = parts[3];
        if tag.len() != 8
            || !tag
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(Malformed("bad rules tag"));
        }
        let step = parse_number(parts[4]).ok_or(Malformed("bad step"))?;
        let place = Place::parse(parts[5]).ok_or(Malformed("bad place"))?;
        if parts[6].len() > MAX_ANSWERS {
            return Err(Malformed("too many answers"));
        }
        let mut answers = Answers::new();
        for b in parts[6].bytes() {
            let symbol = Symbol::from_byte(b).ok_or(Malformed("bad answer"))?;
            answers
                .push(symbol)
                .map_err(|_| Malformed("too many answers"))?;
        }
        let action = match (parts[1], n) {
            ("a", 8) => {
                let value = parts[7].as_bytes();
                match value {
                    [b] => Action::Answer(Symbol::from_byte(*b).ok_or(Malformed("bad value"))?),
                    _ => return Err(Malformed("bad value")),
                }
            }
            ("s", 7) => Action::Select,
            ("b", 7) => Action::Back,
            ("r", 7) => Action::Restart,
            ("c", 7) => Action::Continue,
            ("p", 7) => Action::Post,
            ("f", 7) => Action::Forget,
            ("h", 8) => match parts[7] {
                "y" => Action::Helped {
                    yes: true,
                    before: None,
                },
                "n" => Action::Helped {
                    yes: false,
                    before: None,
                },
                "Y" => Action::Helped {
                    yes: true,
                    before: Some(false),
                },
                "N" => Action::Helped {
                    yes: false,
                    before: Some(true),
                },
                _ => return Err(Malformed("bad vote")),
            },
            ("o", 7) => Action::Own,
            _ => return Err(Malformed("unknown action or wrong number of parts")),
        };
        Ok(Self {
            action,
            owner,
            rules_tag: tag.to_owned(),
            step,
            place,
            answers,
        })
    }
}

/// Appends `n` in decimal.
fn push_number(s: &mut String, n: u64) {
    s.push_str(itoa::Buffer::new().format(n));
}

/// A decimal number without sign, leading zeros or overflow.
fn parse_number(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    s.parse().ok()
}

impl fmt::Display for CustomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn longest() -> Answers {
        Answers::from_symbols((0..MAX_ANSWERS).map(|i| Symbol((i % SYMBOLS.len()) as u8))).unwrap()
    }

    #[test]
    fn worst_case_fits_discord_limit() {
        let id = CustomId::new(
            Action::Answer(Symbol((SYMBOLS.len() - 1) as u8)),
            u64::MAX,
            rules_tag("x"),
            u64::MAX,
            Place::Server,
            longest(),
        );
        let s = id.encode();
        assert_eq!(s.len(), MAX_LEN);
        assert_eq!(CustomId::decode(&s), Ok(id));
        assert!(longest().push(Symbol(0)).is_err(), "one more does not fit");
    }

    /// No rules file the loader accepts can make a conversation longer than a button
    /// holds: each fact is asked at most once along a path, and only facts of the table.
    #[test]
    fn every_path_of_any_accepted_rules_fits() {
        let mut facts: Vec<&str> = SYMBOLS.iter().map(|&(f, _)| f).collect();
        facts.dedup();
        assert!(facts.len() <= MAX_ANSWERS, "{} facts", facts.len());
    }

    /// The symbol table is append-only: these are the symbols of contract version 2, and
    /// an edit that moves one of them breaks every button on people's screens.
    #[test]
    fn symbols_are_stable() {
        let written: String = (0..SYMBOLS.len()).map(|i| Symbol(i as u8).char()).collect();
        assert_eq!(written, "ABCDEFGHIJKLMNOPQRSTUVWXY");
        assert_eq!(SYMBOLS[0], ("concern", "lost-activation"));
        assert_eq!(SYMBOLS[13], ("installation_id_shown", "not-checked"));
        assert_eq!(SYMBOLS[20], ("hardware_change", "none"));
        assert_eq!(SYMBOLS[24], ("vm_disk", "reused-vhd"));
        let mut seen = std::collections::HashSet::new();
        for entry in SYMBOLS {
            assert!(seen.insert(entry), "{entry:?} twice");
        }
        assert!(SYMBOLS.len() <= ALPHABET.len());
        assert_eq!(
            Symbol::of("hardware_change", "none").map(Symbol::char),
            Some('U')
        );
        assert_eq!(Symbol::of("hardware_change", "nothing"), None);
    }

    #[test]
    fn rules_tag_is_stable() {
        // FNV-1a reference values.
        assert_eq!(rules_tag(""), "811c9dc5");
        assert_eq!(rules_tag("a"), "e40c292c");
    }

    #[test]
    fn reads_what_it_writes() {
        let id = CustomId::new(
            Action::Answer(Symbol::of("installation_id_shown", "yes").unwrap()),
            80351110224678912,
            "0a1b2c3d",
            7,
            Place::Dm,
            Answers::from_symbols([
                Symbol::of("concern", "lost-activation").unwrap(),
                Symbol::of("license_origin", "free-upgrade-win10").unwrap(),
            ])
            .unwrap(),
        );
        assert_eq!(id.encode(), "ac1:a:80351110224678912:0a1b2c3d:7:d:AI:L");
        assert_eq!(CustomId::decode(&id.encode()), Ok(id));
        let back = CustomId::decode("ac1:b:1:00000000:0:g:").unwrap();
        assert_eq!(back.action, Action::Back);
        assert!(back.answers.is_empty());
    }

    #[test]
    fn rejects_forgeries_and_earlier_formats() {
        for bad in [
            "",
            "ac1",
            "ac1:a:1:00000000:0:g:",
            "ac1:a:1:00000000:0:g::",
            "ac1:a:1:00000000:0:g::AB",
            "ac1:a:1:00000000:0:g::Z",
            "ac1:a:1:0000000g:0:g::A",
            "ac1:a:01:00000000:0:g::A",
            "ac1:b:1:00000000:0:x:",
            "ac1:b:1:00000000:0:g:Z",
            "ac1:b:1:00000000:0:g:a",
            "ac1:b:1:00000000:0:g::",
            "ac1:b:1:00000000:0:g:A:extra",
            "ac1:z:1:00000000:0:g:",
            "ac2:b:1:00000000:0:g:",
            "ac1:b:-1:00000000:0:g:",
            "ac1:b:99999999999999999999:00000000:0:g:",
            "ac1:b:1:00000000:0:g:\u{e9}",
            // Earlier builds' ids.
            "ac1:a:1:00000000:0:concern:0",
            "ac1:s:1:00000000:0:concern",
            "ac1:b:1:00000000:0",
            "ac1:p:1:00000000:3",
        ] {
            assert!(CustomId::decode(bad).is_err(), "accepted {bad:?}");
        }
        let too_many = format!("ac1:b:1:00000000:0:g:{}", "A".repeat(MAX_ANSWERS + 1));
        assert!(too_many.len() <= MAX_LEN);
        assert!(CustomId::decode(&too_many).is_err());
    }

    fn symbol() -> impl Strategy<Value = Symbol> {
        (0..SYMBOLS.len() as u8).prop_map(Symbol)
    }

    fn action() -> impl Strategy<Value = Action> {
        prop_oneof![
            symbol().prop_map(Action::Answer),
            Just(Action::Select),
            Just(Action::Back),
            Just(Action::Restart),
            Just(Action::Continue),
            Just(Action::Post),
            Just(Action::Forget),
            (any::<bool>(), any::<bool>()).prop_map(|(yes, changed)| Action::Helped {
                yes,
                before: changed.then_some(!yes),
            }),
            Just(Action::Own),
        ]
    }

    fn place() -> impl Strategy<Value = Place> {
        prop_oneof![Just(Place::Server), Just(Place::Dm), Just(Place::Terminal)]
    }

    fn answers() -> impl Strategy<Value = Answers> {
        prop::collection::vec(symbol(), 0..=MAX_ANSWERS)
            .prop_map(|v| Answers::from_symbols(v).unwrap())
    }

    proptest! {
        #[test]
        fn encode_decode_round_trips(
            action in action(),
            owner: u64,
            step: u64,
            v in ".*",
            place in place(),
            answers in answers(),
        ) {
            let id = CustomId::new(action, owner, rules_tag(&v), step, place, answers);
            let s = id.encode();
            prop_assert!(s.len() <= MAX_LEN);
            prop_assert_eq!(CustomId::decode(&s), Ok(id));
        }

        #[test]
        fn decode_never_panics(s in "\\PC{0,120}") {
            let _ = CustomId::decode(&s);
        }

        /// A valid id with one byte replaced and possibly cut short: never a panic, and
        /// anything accepted is canonical (so it is exactly an id this bot could make).
        #[test]
        fn decode_mutated_valid_ids(
            action in action(),
            owner: u64,
            step: u64,
            place in place(),
            answers in answers(),
            at in any::<prop::sample::Index>(),
            byte: u8,
            cut in any::<prop::sample::Index>(),
        ) {
            let mut b = CustomId::new(action, owner, rules_tag("v"), step, place, answers)
                .encode()
                .into_bytes();
            let i = at.index(b.len());
            b[i] = byte;
            b.truncate(cut.index(b.len() + 1));
            let s = String::from_utf8_lossy(&b);
            if let Ok(id) = CustomId::decode(&s) {
                prop_assert_eq!(id.encode(), s);
            }
        }

        #[test]
        fn decode_never_panics_near_valid(
            s in "ac1:[a-z]:[0-9]{0,21}:[0-9a-f]{7,9}:[0-9]{0,21}:[dgtx]{0,2}:[A-Za-z0-9]{0,45}(:[A-Za-z0-9]{0,2}){0,2}"
        ) {
            if let Ok(id) = CustomId::decode(&s) {
                prop_assert_eq!(id.encode(), s);
            }
        }
    }
}

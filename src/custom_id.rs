//! What a Discord button carries: the encoding of component `custom_id`s.
//!
//! Buttons must keep working after a restart and for as long as Discord shows them, so
//! a `custom_id` carries everything needed to judge a click without any in-memory state:
//! who the conversation belongs to, which rules version and which step of the session it
//! was shown at, and what it does. The session store then decides whether the click
//! still fits (same step: apply; already applied: repeat the result; anything else:
//! stale, with a way to start again).
//!
//! Format (ASCII, `:`-separated, at most [`MAX_LEN`] characters):
//! `ac1:<verb>:<owner>:<rules tag>:<step>[:<node>[:<choice>]]`.
//! Decoding is strict and total: any other string is an error, never a panic.

use std::fmt;

/// Discord's limit on a component's `custom_id`.
pub const MAX_LEN: usize = 100;
/// At most this many choices fit one message as a select menu (Discord: 25 options).
pub const MAX_CHOICES: usize = 25;

const PREFIX: &str = "ac1";
/// Longest encoding of everything but the node id: prefix, verb, a 20-digit owner, the
/// 8-character rules tag, a 20-digit step, a two-digit choice, and six separators.
const FIXED_LEN: usize = PREFIX.len() + 1 + 20 + 8 + 20 + 2 + 6;
/// The longest node id that still fits [`MAX_LEN`] in every encoding.
pub const MAX_NODE_ID_LEN: usize = MAX_LEN - FIXED_LEN;

/// What a component does when clicked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Answer question `node` with its choice at position `choice`.
    Answer { node: String, choice: u8 },
    /// Answer question `node` with the choice picked in a select menu.
    Select { node: String },
    /// Go back one question.
    Back,
    /// Start over from the first question.
    Restart,
    /// Continue an unfinished session.
    Continue,
    /// Post the finished card publicly in the channel.
    Post,
    /// Delete the user's stored data.
    Forget,
}

/// A decoded `custom_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomId {
    pub action: Action,
    /// The Discord user the conversation belongs to.
    pub owner: u64,
    /// [`rules_tag`] of the rules version the component was made under.
    pub rules_tag: String,
    /// The session step the component was shown at.
    pub step: u64,
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
    pub fn new(action: Action, owner: u64, rules_tag: impl Into<String>, step: u64) -> Self {
        Self {
            action,
            owner,
            rules_tag: rules_tag.into(),
            step,
        }
    }

    pub fn encode(&self) -> String {
        let head = |verb: &str| {
            format!(
                "{PREFIX}:{verb}:{}:{}:{}",
                self.owner, self.rules_tag, self.step
            )
        };
        match &self.action {
            Action::Answer { node, choice } => format!("{}:{node}:{choice}", head("a")),
            Action::Select { node } => format!("{}:{node}", head("s")),
            Action::Back => head("b"),
            Action::Restart => head("r"),
            Action::Continue => head("c"),
            Action::Post => head("p"),
            Action::Forget => head("f"),
        }
    }

    pub fn decode(s: &str) -> Result<Self, Malformed> {
        if s.len() > MAX_LEN {
            return Err(Malformed("longer than 100 characters"));
        }
        if !s.is_ascii() {
            return Err(Malformed("not ASCII"));
        }
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() < 5 || parts[0] != PREFIX {
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
        let rest = &parts[5..];
        let node = |n: &str| -> Result<String, Malformed> {
            let ok = !n.is_empty()
                && n.len() <= MAX_NODE_ID_LEN
                && n.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            ok.then(|| n.to_owned()).ok_or(Malformed("bad node id"))
        };
        let action = match (parts[1], rest) {
            ("a", [n, c]) => {
                let choice = parse_number(c)
                    .filter(|&c| c < MAX_CHOICES as u64)
                    .ok_or(Malformed("bad choice"))? as u8;
                Action::Answer {
                    node: node(n)?,
                    choice,
                }
            }
            ("s", [n]) => Action::Select { node: node(n)? },
            ("b", []) => Action::Back,
            ("r", []) => Action::Restart,
            ("c", []) => Action::Continue,
            ("p", []) => Action::Post,
            ("f", []) => Action::Forget,
            _ => return Err(Malformed("unknown action or wrong number of parts")),
        };
        Ok(Self {
            action,
            owner,
            rules_tag: tag.to_owned(),
            step,
        })
    }
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

    fn longest_node() -> String {
        "n".repeat(MAX_NODE_ID_LEN)
    }

    #[test]
    fn worst_case_fits_discord_limit() {
        let id = CustomId::new(
            Action::Answer {
                node: longest_node(),
                choice: (MAX_CHOICES - 1) as u8,
            },
            u64::MAX,
            rules_tag("x"),
            u64::MAX,
        );
        let s = id.encode();
        assert_eq!(s.len(), MAX_LEN);
        assert_eq!(CustomId::decode(&s), Ok(id));
    }

    #[test]
    fn rules_tag_is_stable() {
        // FNV-1a reference values.
        assert_eq!(rules_tag(""), "811c9dc5");
        assert_eq!(rules_tag("a"), "e40c292c");
    }

    #[test]
    fn rejects_forgeries() {
        for bad in [
            "",
            "ac1",
            "ac1:a:1:00000000:0",
            "ac1:a:1:0000000g:0:node:1",
            "ac1:a:01:00000000:0:node:1",
            "ac1:a:1:00000000:0:node:25",
            "ac1:a:1:00000000:0:Node:1",
            "ac1:b:1:00000000:0:extra",
            "ac1:z:1:00000000:0",
            "ac2:b:1:00000000:0",
            "ac1:b:-1:00000000:0",
            "ac1:b:99999999999999999999:00000000:0",
            "ac1:b:1:00000000:0\u{e9}",
        ] {
            assert!(CustomId::decode(bad).is_err(), "accepted {bad:?}");
        }
    }

    fn action() -> impl Strategy<Value = Action> {
        let node = "[a-z0-9][a-z0-9-]{0,39}";
        prop_oneof![
            (node, 0u8..25).prop_map(|(node, choice)| Action::Answer { node, choice }),
            node.prop_map(|node| Action::Select { node }),
            Just(Action::Back),
            Just(Action::Restart),
            Just(Action::Continue),
            Just(Action::Post),
            Just(Action::Forget),
        ]
    }

    proptest! {
        #[test]
        fn encode_decode_round_trips(action in action(), owner: u64, step: u64, v in ".*") {
            let id = CustomId::new(action, owner, rules_tag(&v), step);
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
            at in any::<prop::sample::Index>(),
            byte: u8,
            cut in any::<prop::sample::Index>(),
        ) {
            let mut b = CustomId::new(action, owner, rules_tag("v"), step).encode().into_bytes();
            let i = at.index(b.len());
            b[i] = byte;
            b.truncate(cut.index(b.len() + 1));
            let s = String::from_utf8_lossy(&b);
            if let Ok(id) = CustomId::decode(&s) {
                prop_assert_eq!(id.encode(), s);
            }
        }

        #[test]
        fn decode_never_panics_near_valid(s in "ac1:[a-z]:[0-9]{0,21}:[0-9a-f]{7,9}:[0-9]{0,21}(:[a-z0-9-]{0,45}){0,3}") {
            if let Ok(id) = CustomId::decode(&s) {
                prop_assert_eq!(id.encode(), s);
            }
        }
    }
}

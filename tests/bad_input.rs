//! Bad input never crashes the bot and never leaves a user without an answer.
//!
//! - The real bot against the Discord stand-in gets forged and malformed interactions:
//!   `custom_id`s that are not ours, truncated, for someone else, for unknown nodes, out of
//!   range, from other rules, with huge steps or 5000 characters; payloads serenity cannot
//!   read (a number for `locale`, no `data`, numbers for select values); a component type
//!   the bot never made; and interactions from places the commands are not offered (a
//!   group DM, the moderator commands in a DM). Each one, in en-US and in ja, gets exactly
//!   the expected localized sentence and exactly one log line, and the bot keeps serving.
//! - Fuzzing: cargo-fuzz needs a nightly toolchain, which CI does not have, so fuzzing is
//!   deterministic and seeded here (and proptest in `src/domain/custom_id.rs`): 100,000 random
//!   and mutated `custom_id`s through the decoder, and thousands of mutated copies of the
//!   shipped rules through the rules loader. Both print their counts
//!   (`cargo test --test bad_input -- --nocapture fuzz`).

mod support;

use std::path::Path;
use std::time::Duration;

use activation_check::custom_id::{
    rules_tag, Action, Answers, CustomId, Place, Symbol, MAX_LEN, SYMBOLS,
};
use serde_json::{json, Value};

use support::standin::{
    ComponentClick, Dispatched, InteractionOpts, MessageCommand, SlashCommand, StandIn,
};
use support::walks::*;

/// One bad interaction and the message the user must get for it.
struct Case {
    name: &'static str,
    expect: &'static str,
    make: Make,
}

/// How the bad interaction is made, from the user's first question.
enum Make {
    /// A button click carrying this `custom_id`.
    Button(fn(&Ids) -> String),
    /// A string-select choice with this `custom_id` and these values.
    Select(fn(&Ids) -> String, &'static [&'static str]),
    /// A click on the first answer button with its payload edited.
    Payload(fn(&mut Value)),
    /// A click on the first answer button as a component of this type.
    ComponentType(u8),
    /// A click from a group DM (context 2).
    GroupDm,
    /// The pin command on a message in the user's DM.
    PinInDm,
    /// A slash command by name, in a DM or in the guild.
    Slash(&'static str, bool),
    /// `/activation-check` with its payload edited.
    SlashPayload(fn(&mut Value)),
}

/// The parts of a valid first-question button:
/// `ac1:a:<owner>:<tag>:<step>:g::<symbol of concern's first value>`.
struct Ids {
    first: String,
    owner: u64,
    tag: String,
    step: u64,
}

impl Ids {
    fn of(first: &str) -> Ids {
        let decoded = CustomId::decode(first).expect("the bot's own id decodes");
        Ids {
            first: first.to_owned(),
            owner: decoded.owner,
            tag: decoded.rules_tag,
            step: decoded.step,
        }
    }
    /// An id of this user's first question with `verb` and `rest` (the answers, and an
    /// answer button's value) after the place.
    fn with(&self, verb: &str, rest: &str) -> String {
        format!(
            "ac1:{verb}:{}:{}:{}:g:{rest}",
            self.owner, self.tag, self.step
        )
    }
}

/// The character of the contract value `fact = value`.
fn sym(fact: &str, value: &str) -> char {
    Symbol::of(fact, value).expect("a contract value").char()
}

const OTHER: u64 = 931_999_999_999_999_999;

fn cases() -> Vec<Case> {
    use Make::*;
    vec![
        Case {
            name: "not ours",
            expect: "error-bad-component",
            make: Button(|_| "hello:world".into()),
        },
        Case {
            name: "another bot's prefix",
            expect: "error-bad-component",
            make: Button(|i| i.with("b", "").replacen("ac1", "ac2", 1)),
        },
        Case {
            name: "truncated (choice cut off)",
            expect: "error-bad-component",
            make: Button(|i| i.first[..i.first.len() - 2].to_owned()),
        },
        Case {
            name: "truncated (in the owner)",
            expect: "error-bad-component",
            make: Button(|i| i.first[..10].to_owned()),
        },
        Case {
            name: "wrong owner",
            expect: "error-not-yours",
            make: Button(|i| {
                i.first
                    .replacen(&i.owner.to_string(), &OTHER.to_string(), 1)
            }),
        },
        Case {
            name: "an answer for a fact no question here asks (vm_disk)",
            expect: "outdated-click",
            make: Button(|i| i.with("a", &format!(":{}", sym("vm_disk", "new-vm")))),
        },
        Case {
            name: "an answer for a later question (installation ID shown)",
            expect: "outdated-click",
            make: Button(|i| i.with("a", &format!(":{}", sym("installation_id_shown", "yes")))),
        },
        Case {
            name: "a contract value the question does not offer",
            expect: "outdated-click",
            make: Button(|i| i.with("a", &format!(":{}", sym("hardware_change", "none")))),
        },
        Case {
            name: "a value symbol beyond the contract",
            expect: "error-bad-component",
            make: Button(|i| i.with("a", ":Z")),
        },
        Case {
            name: "answers no conversation gives",
            expect: "error-bad-component",
            make: Button(|i| i.with("b", &sym("installation_id_shown", "yes").to_string())),
        },
        Case {
            name: "stale rules tag",
            expect: "rules-updated",
            make: Button(|i| i.first.replacen(&i.tag, "deadbeef", 1)),
        },
        Case {
            name: "huge step",
            expect: "outdated-click",
            make: Button(|i| {
                i.first
                    .replacen(&format!(":{}:", i.step), &format!(":{}:", u64::MAX), 1)
            }),
        },
        Case {
            name: "Post with a huge step",
            expect: "outdated-click",
            make: Button(|i| format!("ac1:p:{}:{}:{}:g:", i.owner, i.tag, u64::MAX)),
        },
        Case {
            name: "step overflowing u64",
            expect: "error-bad-component",
            make: Button(|i| {
                i.first
                    .replacen(&format!(":{}:", i.step), ":18446744073709551616:", 1)
            }),
        },
        Case {
            name: "5000 characters",
            expect: "error-bad-component",
            make: Button(|i| format!("{}:{}", i.first, "9".repeat(5000 - i.first.len() - 1))),
        },
        Case {
            name: "not ASCII",
            expect: "error-bad-component",
            make: Button(|i| format!("{}\u{2713}", i.with("b", ""))),
        },
        Case {
            name: "select with a value that is not a number",
            expect: "error-bad-component",
            make: Select(|i| i.with("s", ""), &["abc"]),
        },
        Case {
            name: "select without a value",
            expect: "error-bad-component",
            make: Select(|i| i.with("s", ""), &[]),
        },
        Case {
            name: "select with a value out of range",
            expect: "outdated-click",
            make: Select(|i| i.with("s", ""), &["99"]),
        },
        Case {
            name: "a select choice carrying a button's id",
            expect: "error-bad-component",
            make: Select(|i| i.first.clone(), &["0"]),
        },
        Case {
            name: "a button carrying a select's id",
            expect: "error-bad-component",
            make: Button(|i| i.with("s", "")),
        },
        Case {
            name: "component_type 99",
            expect: "error-bad-component",
            make: ComponentType(99),
        },
        Case {
            name: "a user select (type 5) carrying our id",
            expect: "error-bad-component",
            make: ComponentType(5),
        },
        Case {
            name: "locale is a number",
            expect: "error-unreadable",
            make: Payload(|v| v["locale"] = json!(42)),
        },
        Case {
            name: "no data",
            expect: "error-unreadable",
            make: Payload(|v| {
                v.as_object_mut().unwrap().remove("data");
            }),
        },
        Case {
            name: "custom_id is a number",
            expect: "error-unreadable",
            make: Payload(|v| v["data"]["custom_id"] = json!(42)),
        },
        Case {
            name: "select values are numbers",
            expect: "error-unreadable",
            make: Payload(|v| {
                v["data"]["component_type"] = json!(3);
                v["data"]["values"] = json!([0, 1]);
            }),
        },
        Case {
            name: "a component in a group DM (context 2)",
            expect: "stale-session",
            make: GroupDm,
        },
        Case {
            name: "the pin command in a DM",
            expect: "error-guild-only",
            make: PinInDm,
        },
        Case {
            name: "/activation-pins in a DM",
            expect: "error-guild-only",
            make: Slash("activation-pins", true),
        },
        Case {
            name: "a command the bot does not have",
            expect: "error-internal",
            make: Slash("no-such-command", false),
        },
        Case {
            name: "a slash command whose locale is a number",
            expect: "error-unreadable",
            make: SlashPayload(|v| v["locale"] = json!(42)),
        },
    ]
}

async fn send_bad(
    standin: &StandIn,
    case: &Case,
    q1: &support::standin::StoredMessage,
    user: u64,
    locale: &str,
) -> Dispatched {
    let ids = Ids::of(&answer_id(q1, "concern", 0));
    let on_q1 = |custom_id: &str| {
        ComponentClick::button(q1.id, custom_id)
            .user(user)
            .locale(locale)
            .guild_locale(locale)
    };
    match &case.make {
        Make::Button(f) => standin.send_component_edited(on_q1(&f(&ids)), |_| {}).await,
        Make::Select(f, values) => {
            let click = ComponentClick::select(q1.id, &f(&ids), values)
                .user(user)
                .locale(locale)
                .guild_locale(locale);
            standin.send_component_edited(click, |_| {}).await
        }
        Make::Payload(edit) => standin.send_component_edited(on_q1(&ids.first), edit).await,
        Make::ComponentType(t) => {
            let t = *t;
            standin
                .send_component_edited(on_q1(&ids.first), move |v| {
                    v["data"]["component_type"] = json!(t);
                    if t != 2 {
                        v["data"]["values"] = json!([]);
                    }
                })
                .await
        }
        Make::GroupDm => {
            let user_json = json!({
                "id": user.to_string(), "username": "someone", "discriminator": "0",
                "global_name": null, "avatar": null,
            });
            standin
                .send_component_edited(on_q1(&ids.first), move |v| {
                    let o = v.as_object_mut().unwrap();
                    for k in ["guild_id", "guild", "member", "guild_locale"] {
                        o.remove(k);
                    }
                    let channel = o["channel_id"].clone();
                    o.insert("user".into(), user_json.clone());
                    o.insert("context".into(), json!(2));
                    o.insert(
                        "channel".into(),
                        json!({"id": channel, "type": 3, "recipients": []}),
                    );
                })
                .await
        }
        Make::PinInDm => {
            let dm = standin.dm_channel(user);
            let msg = standin.seed_message(dm, user, "hello");
            standin
                .send_message_command_edited(
                    MessageCommand::new(PIN_COMMAND, msg)
                        .user(user)
                        .in_dm()
                        .locale(locale),
                    |_| {},
                )
                .await
        }
        Make::Slash(name, dm) => {
            let cmd = SlashCommand::new(name).user(user).locale(locale);
            let cmd = if *dm {
                cmd.in_dm()
            } else {
                cmd.in_guild(GUILD, CHANNEL)
                    .member_permissions(MOD_PERMS)
                    .guild_locale(locale)
            };
            standin.send_slash_command(cmd).await
        }
        Make::SlashPayload(edit) => {
            let cmd = SlashCommand::new("activation-check")
                .user(user)
                .in_guild(GUILD, CHANNEL)
                .member_permissions(MEMBER)
                .locale(locale)
                .guild_locale(locale);
            standin.send_slash_command_edited(cmd, edit).await
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_interaction_gets_a_sentence_and_one_log_line() {
    let (standin, _tmp, _dir, mut bot) = started().await;
    let cases = cases();
    let mut user = 931_000_000_000_000_000u64;
    let mut failures = Vec::new();
    for locale in ["en-US", "ja"] {
        for case in &cases {
            user += 1;
            let q1 = slash(&standin, user, locale, false).await;
            let d = send_bad(&standin, case, &q1, user, locale).await;
            let answered = standin
                .wait_for_callback(d.interaction_id, Duration::from_secs(5))
                .await;
            if answered.is_none() {
                failures.push(format!("{locale} / {}: no answer at all", case.name));
                continue;
            }
            let m = reply(&standin, d.interaction_id).await;
            let expected = text(locale, case.expect);
            if m.content() != expected {
                failures.push(format!(
                    "{locale} / {}: expected {} {expected:?}, got {:?}",
                    case.name,
                    case.expect,
                    m.content()
                ));
            }
            let mut seen = std::collections::BTreeSet::new();
            for l in bot
                .log_lines_mentioning(&user.to_string())
                .into_iter()
                .chain(bot.log_lines_mentioning(&d.interaction_id.to_string()))
            {
                seen.insert(l);
            }
            if seen.len() != 1 {
                failures.push(format!(
                    "{locale} / {}: {} log lines instead of 1: {seen:#?}",
                    case.name,
                    seen.len()
                ));
            }
            bot.assert_alive();
        }
    }
    // Still serving: a new conversation moves on.
    user += 1;
    let q1 = slash(&standin, user, "en-US", false).await;
    let q2 = answer(&standin, &q1, "concern", 0, user, "en-US").await;
    assert!(title(&q2).contains("How did this PC"), "{}", title(&q2));
    bot.assert_alive();
    let log = strip_ansi(&bot.log());
    for l in log.lines().filter(|l| l.contains("panicked")) {
        failures.push(format!("the bot panicked: {l}"));
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}\n--- log ---\n{log}",
        failures.len(),
        2 * cases.len(),
        failures.join("\n")
    );
    assert_no_violations(&standin, None);
    println!(
        "bad input: {} kinds of bad interaction x 2 locales answered",
        cases.len()
    );
}

// ---------------------------------------------------------------------------------------
// Fuzzing (seeded, deterministic)
// ---------------------------------------------------------------------------------------

/// SplitMix64: small, fast, and the same sequence on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const CUSTOM_ID_INPUTS: usize = 100_000;

fn valid_custom_id(rng: &mut Rng) -> String {
    let symbol = |rng: &mut Rng| {
        let (fact, value) = SYMBOLS[rng.below(SYMBOLS.len())];
        Symbol::of(fact, value).unwrap()
    };
    let answers =
        Answers::from_symbols((0..rng.below(12)).map(|_| symbol(rng)).collect::<Vec<_>>()).unwrap();
    let place = *rng.pick(&[Place::Server, Place::Dm, Place::Terminal]);
    let action = match rng.below(7) {
        0 => Action::Answer(symbol(rng)),
        1 => Action::Select,
        2 => Action::Back,
        3 => Action::Restart,
        4 => Action::Continue,
        5 => Action::Post,
        _ => Action::Forget,
    };
    let big = |rng: &mut Rng| match rng.below(3) {
        0 => rng.next(),
        1 => rng.below(100) as u64,
        _ => u64::MAX - rng.below(3) as u64,
    };
    let owner = big(rng);
    let step = big(rng);
    CustomId::new(
        action,
        owner,
        rules_tag(&rng.next().to_string()),
        step,
        place,
        answers,
    )
    .encode()
}

/// One random edit of `s`, as bytes (so the result may be any byte string).
fn mutate_bytes(rng: &mut Rng, s: &[u8]) -> Vec<u8> {
    let mut v = s.to_vec();
    let interesting: &[&[u8]] = &[
        b":",
        b"::",
        b"0",
        b"-",
        b"ac1",
        b"18446744073709551616",
        b"\xc3\xa9",
        b"\xff",
        b"\0",
        b" ",
        b"%",
        b"a:",
        b"25",
    ];
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(v.len() + 1);
        match rng.below(7) {
            0 if !v.is_empty() => {
                let at = at.min(v.len() - 1);
                v[at] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                v.remove(at.min(v.len() - 1));
            }
            2 => {
                let ins = rng.pick(interesting);
                v.splice(at..at, ins.iter().copied());
            }
            3 => v.truncate(at),
            4 => {
                let extra: Vec<u8> = v[at..].to_vec();
                v.extend_from_slice(&extra);
            }
            5 if !v.is_empty() => {
                let (a, b) = (at.min(v.len() - 1), rng.below(v.len()));
                v.swap(a, b);
            }
            _ => v.push(rng.below(256) as u8),
        }
    }
    v
}

#[test]
fn fuzz_custom_id_decoding_100k() {
    let mut rng = Rng(0x00c0_ffee);
    let (mut accepted, mut rejected, mut mutated, mut random) = (0usize, 0usize, 0usize, 0usize);
    for i in 0..CUSTOM_ID_INPUTS {
        let input: Vec<u8> = match i % 4 {
            // Entirely random bytes, printable or not, up to 120 long.
            0 => {
                random += 1;
                (0..rng.below(121)).map(|_| rng.below(256) as u8).collect()
            }
            // Random text from the id alphabet.
            1 => {
                random += 1;
                (0..rng.below(121))
                    .map(|_| *rng.pick(b"ac1:abcdefsrpgdt0123456789-ABCLYZ"))
                    .collect()
            }
            // Valid ids mutated.
            _ => {
                mutated += 1;
                let valid = valid_custom_id(&mut rng);
                mutate_bytes(&mut rng, valid.as_bytes())
            }
        };
        // Discord only sends strings; invalid UTF-8 is decoded lossily as serde would
        // refuse it before us.
        let s = String::from_utf8_lossy(&input);
        match CustomId::decode(&s) {
            Ok(id) => {
                accepted += 1;
                assert_eq!(id.encode(), s, "accepted a non-canonical id");
                assert!(s.len() <= MAX_LEN);
            }
            Err(_) => rejected += 1,
        }
    }
    // Every valid id round-trips.
    for _ in 0..1000 {
        let valid = valid_custom_id(&mut rng);
        assert_eq!(CustomId::decode(&valid).unwrap().encode(), valid);
    }
    assert_eq!(accepted + rejected, CUSTOM_ID_INPUTS);
    assert!(
        rejected > CUSTOM_ID_INPUTS / 2,
        "the mutations mostly break ids"
    );
    println!(
        "fuzz custom_id: {CUSTOM_ID_INPUTS} inputs ({random} random, {mutated} mutated valid \
         ids): {rejected} rejected, {accepted} accepted (all canonical), 0 panics"
    );
}

const RULES_INPUTS: usize = 3_000;

/// One seeded mutation of the rules text, at the level people make mistakes at.
fn mutate_rules(rng: &mut Rng, text: &str) -> (String, &'static str) {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let n = lines.len();
    if n == 0 {
        return ("[meta]\n".to_owned(), "insert a line");
    }
    let kind = match rng.below(9) {
        0 => {
            lines.remove(rng.below(n));
            "delete a line"
        }
        1 => {
            let i = rng.below(n);
            let l = lines[i].clone();
            lines.insert(i, l);
            "duplicate a line"
        }
        2 => {
            // Swap the values of two `key = value` lines.
            let with_values: Vec<usize> = (0..n).filter(|&i| lines[i].contains(" = ")).collect();
            if with_values.is_empty() {
                return (text.to_owned(), "swap two values");
            }
            let a = *rng.pick(&with_values);
            let b = *rng.pick(&with_values);
            let (ka, va) = lines[a].split_once(" = ").unwrap();
            let (kb, vb) = lines[b].split_once(" = ").unwrap();
            let (na, nb) = (format!("{ka} = {vb}"), format!("{kb} = {va}"));
            lines[a] = na;
            lines[b] = nb;
            "swap two values"
        }
        3 => {
            // Replace a quoted identifier with another one from the file, or a bad one.
            let quoted: Vec<(usize, String)> = lines
                .iter()
                .enumerate()
                .flat_map(|(i, l)| {
                    l.split('"')
                        .skip(1)
                        .step_by(2)
                        .map(move |q| (i, q.to_owned()))
                        .collect::<Vec<_>>()
                })
                .filter(|(_, q)| !q.is_empty())
                .collect();
            if quoted.is_empty() {
                return (text.to_owned(), "replace an identifier");
            }
            let (i, from) = rng.pick(&quoted).clone();
            let to = match rng.below(4) {
                0 => rng.pick(&quoted).1.clone(),
                1 => "no-such-id".to_owned(),
                2 => "Bad Id".to_owned(),
                _ => String::new(),
            };
            lines[i] = lines[i].replacen(&format!("\"{from}\""), &format!("\"{to}\""), 1);
            "replace an identifier"
        }
        4 => {
            let a = rng.below(n);
            let b = rng.below(n);
            lines.swap(a, b);
            "swap two lines"
        }
        5 => {
            // Flip one character to something else (ASCII, so the text stays UTF-8).
            let i = rng.below(n);
            if !lines[i].is_empty() && lines[i].is_ascii() {
                let mut b = lines[i].clone().into_bytes();
                let at = rng.below(b.len());
                b[at] = *rng.pick(b"=[]\"#{},.0aZ -\\\t");
                lines[i] = String::from_utf8(b).unwrap();
            }
            "change a character"
        }
        6 => {
            let i = rng.below(n);
            lines.insert(
                i,
                (*rng.pick(&[
                    "[[question]]",
                    "[meta]",
                    "x = 1",
                    "[[outcome]]",
                    "id = \"concern\"",
                    "next = []",
                ]))
                .to_owned(),
            );
            "insert a line"
        }
        7 => {
            // Remove one element from a list value.
            let lists: Vec<usize> = (0..n).filter(|&i| lines[i].contains("[\"")).collect();
            if let Some(&i) = lists.get(rng.below(lists.len().max(1))) {
                if let Some(comma) = lines[i].find("\", ") {
                    let start = lines[i][..comma].rfind('"').unwrap_or(comma);
                    lines[i].replace_range(start..comma + 3, "");
                }
            }
            "shorten a list"
        }
        _ => {
            let mut t = lines.join("\n");
            let mut at = rng.below(t.len());
            while !t.is_char_boundary(at) {
                at -= 1;
            }
            t.truncate(at);
            return (t, "truncate");
        }
    };
    (lines.join("\n") + "\n", kind)
}

#[test]
fn fuzz_rules_loader_names_file_and_line() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/activation-check.toml");
    let shipped = std::fs::read_to_string(&path).unwrap();
    activation_check::rules::load_str(&shipped, &path).expect("the shipped rules load");
    let mut rng = Rng(0x5eed_2026);
    let (mut accepted, mut rejected, mut problems) = (0usize, 0usize, 0usize);
    let mut whole_file = 0usize;
    let mut by_kind = std::collections::BTreeMap::<&str, (usize, usize)>::new();
    let start = std::time::Instant::now();
    for i in 0..RULES_INPUTS {
        // Mostly one mutation, sometimes several on top of each other.
        let (mut text, mut kind) = mutate_rules(&mut rng, &shipped);
        if i % 5 == 0 {
            for _ in 0..rng.below(4) {
                (text, kind) = mutate_rules(&mut rng, &text);
            }
        }
        let line_count = text.lines().count().max(1);
        let result = std::panic::catch_unwind(|| activation_check::rules::load_str(&text, &path));
        let result = result.unwrap_or_else(|_| panic!("the loader panicked on input {i}:\n{text}"));
        let entry = by_kind.entry(kind).or_default();
        match result {
            Ok(_) => {
                accepted += 1;
                entry.0 += 1;
            }
            Err(p) => {
                rejected += 1;
                entry.1 += 1;
                assert!(!p.is_empty(), "a rejection without a problem (input {i})");
                for problem in p.iter() {
                    problems += 1;
                    assert_eq!(problem.file, path, "input {i}: {problem}");
                    assert!(
                        problem.line <= line_count,
                        "input {i}: line {} beyond the file's {line_count} lines: {problem}\n{text}",
                        problem.line
                    );
                    let shown = problem.to_string();
                    if problem.line == 0 {
                        whole_file += 1;
                        assert!(
                            shown.starts_with(&format!("{}: ", path.display())),
                            "{shown}"
                        );
                    } else {
                        assert!(
                            shown.starts_with(&format!("{}:{}: ", path.display(), problem.line)),
                            "{shown}"
                        );
                    }
                    assert!(
                        !problem.message.trim().is_empty(),
                        "input {i}: an empty message"
                    );
                }
            }
        }
    }
    assert!(
        start.elapsed() < Duration::from_secs(300),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(accepted + rejected, RULES_INPUTS);
    assert!(
        rejected > 0 && accepted > 0,
        "{rejected} rejected, {accepted} accepted"
    );
    println!(
        "fuzz rules loader: {RULES_INPUTS} mutated rules files: {rejected} rejected \
         ({problems} problems, {whole_file} of them whole-file at line 0), {accepted} accepted, \
         0 panics, in {:?}",
        start.elapsed()
    );
    for (kind, (a, r)) in by_kind {
        println!("  {kind}: {r} rejected, {a} accepted");
    }
}

#![allow(dead_code)]
//! Finding a button among the `custom_id`s of a message by what it does: tests speak of
//! "question `concern`, choice 0", and a button carries the value's symbol instead.

use std::path::Path;
use std::sync::OnceLock;

use activation_check::custom_id::{Action, CustomId, Symbol};
use activation_check::engine::{Position, Walk};
use activation_check::rules::Rules;

/// The shipped rules, loaded once.
pub fn shipped_rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/activation-check.toml");
        activation_check::rules::load(&file).expect("the shipped rules load")
    })
}

/// The symbol of question `node`'s choice `choice` in the shipped rules.
pub fn choice_symbol(node: &str, choice: usize) -> Option<Symbol> {
    let rules = shipped_rules();
    let q = rules.question(rules.find(node)?)?;
    Symbol::of(&q.fact, &q.choices.get(choice)?.value)
}

/// The answer button for question `node`'s choice `choice` among `ids`.
pub fn answer_button<'a>(
    ids: impl IntoIterator<Item = &'a String>,
    node: &str,
    choice: usize,
) -> Option<String> {
    let symbol = choice_symbol(node, choice)?;
    let rules = shipped_rules();
    ids.into_iter()
        .find(|id| {
            CustomId::decode(id).is_ok_and(|d| {
                // The button answers that question: its answers lead there.
                let at =
                    Walk::replay_symbols(rules, &d.answers).and_then(|w| match w.position(rules) {
                        Position::Asking(_, q) => Some(q.id.clone()),
                        Position::Done(..) => None,
                    });
                d.action == Action::Answer(symbol) && at.as_deref() == Some(node)
            })
        })
        .cloned()
}

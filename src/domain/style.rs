//! Style warnings for the texts: what makes a card hard to read on a phone, or a hint that
//! names a button nobody can find.
//!
//! The loaders refuse what the program cannot rely on (a missing message, a broken tree);
//! this module only *warns*, because a long sentence still works, it just reads badly. The
//! limits come from the project's Japanese style guide: a sentence of at most 80 characters,
//! a headline of at most 30, a button label of at most 20, and a question's hint that quotes a
//! label quotes it exactly as one of that question's buttons shows it (a user looks for the
//! words the hint gives). `activation-check rules check` prints the warnings with the
//! `file:line` of the message (of the line within a multi-line message where it can), and
//! still exits 0 when there are only warnings.
//!
//! Texts are measured as a user sees them: each message is formatted with typical values for
//! its variables ([`sample`]), so `{ $desk_number }` counts as the twelve characters of a
//! phone number, not as its placeholder. Pure: no runtime, no Discord, no storage; it reads
//! the `.ftl` files only to find the line a sentence is on.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::domain::i18n::{LocaleId, Localizer};
use crate::domain::rules::Rules;

/// The longest Japanese sentence, in characters.
pub const JA_SENTENCE_MAX: usize = 80;
/// The longest Japanese headline, in characters.
pub const JA_HEADLINE_MAX: usize = 30;
/// The longest Japanese button label, in characters.
pub const JA_LABEL_MAX: usize = 20;

/// One style warning, at the text it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: warning: {}",
            self.file.display(),
            self.line,
            self.message
        )
    }
}

/// A typical value for a message variable, so that a text is measured as shown.
pub fn sample(variable: &str, rules: &Rules) -> String {
    match variable {
        "desk_number" => rules.phone.activation_desk.clone(),
        "support_number" => rules.phone.general_support.clone(),
        "when" => "2024年11月28日と2024年12月6日(約2年前)".to_owned(),
        "date" | "review_by" => "2024年11月28日".to_owned(),
        "dates" => "2024年11月28日と2024年12月6日".to_owned(),
        "age" => "約2年前".to_owned(),
        "generated" => "2026年12月6日 13:43(日本時間)".to_owned(),
        "version" => rules.meta.version.clone(),
        "year" => "2026".to_owned(),
        "month" => "dec".to_owned(),
        "day" | "n" | "number" | "at_most" | "count" => "12".to_owned(),
        _ => "XXXXXX".to_owned(),
    }
}

/// Every style warning for the shipped texts.
pub fn check(rules: &Rules, l10n: &Localizer) -> Vec<Warning> {
    let mut files = Files::default();
    let mut out = Vec::new();
    for locale in l10n.locale_ids() {
        let japanese = l10n.tag(locale) == "ja" || l10n.tag(locale).starts_with("ja-");
        if japanese {
            japanese_lengths(rules, l10n, locale, &mut files, &mut out);
        }
        quoted_labels(rules, l10n, locale, &mut files, &mut out);
    }
    out.sort_by(|a, b| (&a.file, a.line, &a.message).cmp(&(&b.file, b.line, &b.message)));
    out.dedup();
    out
}

/// The `.ftl` files read so far, to find the line a text is on.
#[derive(Default)]
struct Files(BTreeMap<PathBuf, Vec<String>>);

impl Files {
    /// The line (1-based) at or after `from` of `file` that contains `needle`, else `from`.
    fn line_of(&mut self, file: &Path, from: usize, needle: &str) -> usize {
        let lines = self.0.entry(file.to_path_buf()).or_insert_with(|| {
            std::fs::read_to_string(file)
                .map(|t| t.lines().map(str::to_owned).collect())
                .unwrap_or_default()
        });
        let needle = needle.trim();
        if needle.is_empty() {
            return from;
        }
        lines
            .iter()
            .enumerate()
            .skip(from.saturating_sub(1))
            .find(|(_, l)| l.contains(needle))
            .map_or(from, |(i, _)| i + 1)
    }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// The message formatted with [`sample`] values for its variables.
fn shown(rules: &Rules, l10n: &Localizer, locale: LocaleId, id: &str) -> Option<String> {
    let info = l10n.messages(locale).get(id)?;
    let args: Vec<(&str, String)> = info
        .variables
        .iter()
        .map(|v| (v.as_str(), sample(v, rules)))
        .collect();
    Some(l10n.format(locale, id, &args))
}

/// The sentences of a Japanese text: split after 。!? and at line ends, with list markers
/// (「・」, 「1. 」) and surrounding blanks removed.
pub fn ja_sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut line = line.trim();
        line = line.trim_start_matches('・');
        if let Some((n, rest)) = line.split_once(". ") {
            if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) {
                line = rest;
            }
        }
        let mut current = String::new();
        let mut depth = 0i32; // inside 「」 or ()
        for c in line.chars() {
            current.push(c);
            match c {
                '「' | '(' | '\u{FF08}' => depth += 1,
                '」' | ')' | '\u{FF09}' => depth -= 1,
                '。' | '!' | '?' | '\u{FF01}' | '\u{FF1F}' if depth <= 0 => {
                    let s = current.trim();
                    if !s.is_empty() {
                        out.push(s.to_owned());
                    }
                    current.clear();
                }
                _ => {}
            }
        }
        let s = current.trim();
        if !s.is_empty() {
            out.push(s.to_owned());
        }
    }
    out
}

/// The first characters of a sentence, for a warning.
fn opening(s: &str) -> String {
    let head: String = s.chars().take(24).collect();
    if chars(s) > 24 {
        format!("{head}…")
    } else {
        head
    }
}

fn japanese_lengths(
    rules: &Rules,
    l10n: &Localizer,
    locale: LocaleId,
    files: &mut Files,
    out: &mut Vec<Warning>,
) {
    let messages = l10n.messages(locale);
    // Every sentence of every message.
    for (id, info) in messages {
        let Some(text) = shown(rules, l10n, locale, id) else {
            continue;
        };
        for s in ja_sentences(&text) {
            let n = chars(&s);
            if n > JA_SENTENCE_MAX {
                let needle: String = s.chars().take(8).collect();
                out.push(Warning {
                    file: info.file.clone(),
                    line: files.line_of(&info.file, info.line, &needle),
                    message: format!(
                        "`{id}`: a sentence of {n} characters (at most {JA_SENTENCE_MAX}; split \
                         it): 「{}」",
                        opening(&s)
                    ),
                });
            }
        }
    }
    // Headlines.
    for o in rules.outcomes() {
        let Some(info) = messages.get(&o.headline) else {
            continue;
        };
        let text = l10n.text(locale, &o.headline);
        let n = chars(text.trim());
        if n > JA_HEADLINE_MAX {
            out.push(Warning {
                file: info.file.clone(),
                line: info.line,
                message: format!(
                    "`{}`: the headline of outcome `{}` has {n} characters (at most \
                     {JA_HEADLINE_MAX}): 「{}」",
                    o.headline,
                    o.id,
                    opening(&text)
                ),
            });
        }
    }
    // Button labels: the choices, and the bot's own buttons.
    let mut labels: Vec<&str> = rules
        .questions()
        .flat_map(|q| q.choices.iter().map(|c| c.label.as_str()))
        .collect();
    labels.extend(
        messages
            .keys()
            .filter(|id| id.starts_with("button-"))
            .map(String::as_str),
    );
    labels.sort_unstable();
    labels.dedup();
    for id in labels {
        let Some(info) = messages.get(id) else {
            continue;
        };
        let text = l10n.text(locale, id);
        let n = chars(text.trim());
        if n > JA_LABEL_MAX {
            out.push(Warning {
                file: info.file.clone(),
                line: info.line,
                message: format!(
                    "`{id}`: a button label of {n} characters (at most {JA_LABEL_MAX}): 「{text}」"
                ),
            });
        }
    }
}

/// The texts quoted in `text`: between 「」 for Japanese, “” otherwise.
pub fn quotes(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (open, close) in [('「', '」'), ('“', '”')] {
        let mut rest = text;
        while let Some(start) = rest.find(open) {
            let after = &rest[start + open.len_utf8()..];
            let Some(end) = after.find(close) else {
                break;
            };
            out.push(after[..end].to_owned());
            rest = &after[end + close.len_utf8()..];
        }
    }
    out
}

/// A question's hint that quotes a label must quote one of that question's buttons, word for
/// word. A quote counts as a label when it is some question's label, or when it is part of
/// one of this question's labels or contains one (a label quoted inexactly); other quotes
/// (「slui 4」, “Settings”) are left alone.
fn quoted_labels(
    rules: &Rules,
    l10n: &Localizer,
    locale: LocaleId,
    files: &mut Files,
    out: &mut Vec<Warning>,
) {
    let messages = l10n.messages(locale);
    let all_labels: Vec<String> = rules
        .questions()
        .flat_map(|q| q.choices.iter().map(|c| l10n.text(locale, &c.label)))
        .collect();
    // One warning per hint, quote and set of buttons, naming every question that shows them
    // (several questions share a hint).
    let mut found: BTreeMap<(String, String, Vec<String>), Vec<String>> = BTreeMap::new();
    for q in rules.questions() {
        let Some(help) = &q.help else {
            continue;
        };
        if !messages.contains_key(help) {
            continue;
        }
        let own: Vec<String> = q
            .choices
            .iter()
            .map(|c| l10n.text(locale, &c.label))
            .collect();
        let text = shown(rules, l10n, locale, help).unwrap_or_default();
        for quoted in quotes(&text) {
            if own.contains(&quoted) {
                continue;
            }
            let like_a_label = all_labels.contains(&quoted)
                || own
                    .iter()
                    .any(|l| l.contains(quoted.as_str()) || quoted.contains(l.as_str()));
            if like_a_label {
                found
                    .entry((help.clone(), quoted, own.clone()))
                    .or_default()
                    .push(q.id.clone());
            }
        }
    }
    for ((help, quoted, own), questions) in found {
        let info = &messages[&help];
        out.push(Warning {
            file: info.file.clone(),
            line: files.line_of(&info.file, info.line, &quoted),
            message: format!(
                "`{help}`, the hint of question(s) {}, quotes “{quoted}”, which none of their \
                 buttons shows (they show: {})",
                questions
                    .iter()
                    .map(|q| format!("`{q}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                own.iter()
                    .map(|l| format!("“{l}”"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_after_full_stops_outside_quotes_and_at_line_ends() {
        let s = ja_sentences("・一つ目です。「中。の文」も一文です!\n1. 二行目\n最後");
        assert_eq!(
            s,
            ["一つ目です。", "「中。の文」も一文です!", "二行目", "最後"]
        );
    }

    #[test]
    fn quotes_in_both_styles() {
        assert_eq!(
            quotes("「はい」と“Yes” and 「いいえ」"),
            ["はい", "いいえ", "Yes"]
        );
        assert!(quotes("「unclosed").is_empty());
    }
}

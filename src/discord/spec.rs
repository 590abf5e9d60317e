//! Discord messages as plain data, and Discord's limits on them.
//!
//! Every message the bot sends is first laid out here as a [`MessageSpec`], without
//! serenity, so its shape and its limits are tested directly: for every outcome and every
//! locale, a test proves the card fits (6000 characters of embeds, 25 fields, 100-character
//! `custom_id`s, 5 buttons a row, 5 rows). The handler only converts a spec to serenity's
//! builders. The limits are named constants, as in twilight-validate.

use crate::card::{Card, TimeStyle};
use crate::conversation::{view_of, QuestionView, Reply, View};
use crate::custom_id::{self, Action, Answers, CustomId, Place};
use crate::engine::{Position, Walk};
use crate::i18n::{LocaleId, Localizer};
use crate::knowledge::Knowledge;
use crate::problem::Problem;
use crate::rules::Severity;

/// Discord's limits on messages, embeds and components.
pub mod limits {
    pub const EMBED_TOTAL_CHARS: usize = 6000;
    pub const EMBEDS_PER_MESSAGE: usize = 10;
    pub const EMBED_TITLE_CHARS: usize = 256;
    pub const EMBED_DESCRIPTION_CHARS: usize = 4096;
    pub const EMBED_FIELDS: usize = 25;
    pub const FIELD_NAME_CHARS: usize = 256;
    pub const FIELD_VALUE_CHARS: usize = 1024;
    pub const FOOTER_CHARS: usize = 2048;
    pub const CONTENT_CHARS: usize = 2000;
    pub const ACTION_ROWS: usize = 5;
    pub const BUTTONS_PER_ROW: usize = 5;
    pub const BUTTON_LABEL_CHARS: usize = 80;
    pub const SELECT_OPTIONS: usize = 25;
    pub const SELECT_OPTION_LABEL_CHARS: usize = 100;
    pub const SELECT_PLACEHOLDER_CHARS: usize = 150;
    pub const CUSTOM_ID_CHARS: usize = crate::custom_id::MAX_LEN;
}

/// Which of Discord's limits a message breaks, or a text was cut to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Limit {
    /// Characters of a message's content.
    Content,
    /// Embeds in one message.
    Embeds,
    /// Characters of all a message's embeds together.
    EmbedTotal,
    EmbedTitle,
    EmbedDescription,
    EmbedFooter,
    /// Fields in one embed.
    EmbedFields,
    FieldName,
    FieldValue,
    /// Rows of components in one message.
    ActionRows,
    /// Components in the row of a select menu (which must be alone).
    BesideSelect,
    ButtonsPerRow,
    /// Bytes of a component's `custom_id`.
    CustomId,
    ButtonLabel,
    SelectPlaceholder,
    /// Options in one select menu.
    SelectOptions,
    /// Characters of a select menu option's label.
    OptionLabel,
}

impl Limit {
    /// The most Discord allows.
    pub fn max(self) -> usize {
        use limits::*;
        match self {
            Limit::Content => CONTENT_CHARS,
            Limit::Embeds => EMBEDS_PER_MESSAGE,
            Limit::EmbedTotal => EMBED_TOTAL_CHARS,
            Limit::EmbedTitle => EMBED_TITLE_CHARS,
            Limit::EmbedDescription => EMBED_DESCRIPTION_CHARS,
            Limit::EmbedFooter => FOOTER_CHARS,
            Limit::EmbedFields => EMBED_FIELDS,
            Limit::FieldName => FIELD_NAME_CHARS,
            Limit::FieldValue => FIELD_VALUE_CHARS,
            Limit::ActionRows => ACTION_ROWS,
            Limit::BesideSelect => 1,
            Limit::ButtonsPerRow => BUTTONS_PER_ROW,
            Limit::CustomId => CUSTOM_ID_CHARS,
            Limit::ButtonLabel => BUTTON_LABEL_CHARS,
            Limit::SelectPlaceholder => SELECT_PLACEHOLDER_CHARS,
            Limit::SelectOptions => SELECT_OPTIONS,
            Limit::OptionLabel => SELECT_OPTION_LABEL_CHARS,
        }
    }

    /// What is counted, as operators read it in `rules check`.
    pub fn what(self) -> &'static str {
        match self {
            Limit::Content => "content",
            Limit::Embeds => "embeds",
            Limit::EmbedTotal => "embed characters",
            Limit::EmbedTitle => "embed title",
            Limit::EmbedDescription => "embed description",
            Limit::EmbedFooter => "embed footer",
            Limit::EmbedFields => "embed fields",
            Limit::FieldName => "field name",
            Limit::FieldValue => "field value",
            Limit::ActionRows => "action rows",
            Limit::BesideSelect => "components beside a select menu",
            Limit::ButtonsPerRow => "buttons in a row",
            Limit::CustomId => "custom_id",
            Limit::ButtonLabel => "button label",
            Limit::SelectPlaceholder => "select placeholder",
            Limit::SelectOptions => "select options",
            Limit::OptionLabel => "option label",
        }
    }
}

/// A limit a message breaks, and by how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Violation {
    pub limit: Limit,
    /// What the message has (characters, bytes or items), more than `limit.max()`.
    pub found: usize,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, max) = (self.limit.what(), self.limit.max());
        write!(f, "{what}: {} > {max}", self.found)
    }
}

/// A text [`clip`] cut to the length of its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    pub limit: Limit,
}

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.limit {
            Limit::OptionLabel => "select option label",
            other => other.what(),
        };
        write!(f, "{what} cut at {} characters", self.limit.max())
    }
}

/// Embed colour of a question.
pub const QUESTION_COLOUR: u32 = 0x5865F2;

/// Embed colour by severity.
pub fn severity_colour(s: Severity) -> u32 {
    match s {
        Severity::Good => 0x2ECC71,
        Severity::Info => 0x3498DB,
        Severity::Caution => 0xF1C40F,
        Severity::Danger => 0xE74C3C,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Embed {
    pub title: Option<String>,
    pub description: Option<String>,
    pub colour: Option<u32>,
    pub fields: Vec<Field>,
    pub footer: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonStyle {
    Primary,
    Secondary,
    Success,
    Danger,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Component {
    Button {
        custom_id: String,
        label: String,
        style: ButtonStyle,
        disabled: bool,
    },
    Select {
        custom_id: String,
        placeholder: String,
        /// `(label, value)`.
        options: Vec<(String, String)>,
    },
}

/// A message as the bot will send it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageSpec {
    pub content: Option<String>,
    pub embeds: Vec<Embed>,
    pub rows: Vec<Vec<Component>>,
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Cuts `s` to at most `max` characters, marking the cut with an ellipsis.
pub fn clip(s: &str, max: usize) -> String {
    if chars(s) <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

impl MessageSpec {
    /// Characters counted against Discord's 6000-character embed total.
    pub fn embed_chars(&self) -> usize {
        self.embeds
            .iter()
            .map(|e| {
                e.title.as_deref().map_or(0, chars)
                    + e.description.as_deref().map_or(0, chars)
                    + e.footer.as_deref().map_or(0, chars)
                    + e.fields
                        .iter()
                        .map(|f| chars(&f.name) + chars(&f.value))
                        .sum::<usize>()
            })
            .sum()
    }

    /// The texts [`clip`] had to cut to fit their own limits (a cut text is exactly
    /// its limit long and ends with an ellipsis), as operators read them.
    pub fn clipped(&self) -> Vec<String> {
        self.cuts().iter().map(Cut::to_string).collect()
    }

    /// The limits a text of this message was cut to fit, one entry per cut place.
    pub fn cuts(&self) -> Vec<Cut> {
        let cut = |s: &str, limit: Limit| chars(s) == limit.max() && s.ends_with('…');
        let mut v = Vec::new();
        for e in &self.embeds {
            for (limit, text) in [
                (Limit::EmbedTitle, e.title.as_deref()),
                (Limit::EmbedDescription, e.description.as_deref()),
                (Limit::EmbedFooter, e.footer.as_deref()),
            ] {
                if text.is_some_and(|t| cut(t, limit)) {
                    v.push(Cut { limit });
                }
            }
        }
        for c in self.rows.iter().flatten() {
            match c {
                Component::Button { label, .. } => {
                    if cut(label, Limit::ButtonLabel) {
                        v.push(Cut {
                            limit: Limit::ButtonLabel,
                        });
                    }
                }
                Component::Select {
                    placeholder,
                    options,
                    ..
                } => {
                    if cut(placeholder, Limit::SelectPlaceholder) {
                        v.push(Cut {
                            limit: Limit::SelectPlaceholder,
                        });
                    }
                    if options
                        .iter()
                        .any(|(label, _)| cut(label, Limit::OptionLabel))
                    {
                        v.push(Cut {
                            limit: Limit::OptionLabel,
                        });
                    }
                }
            }
        }
        v
    }

    /// Every way this message breaks Discord's limits, as operators read them; empty
    /// when it fits.
    pub fn violations(&self) -> Vec<String> {
        self.breaches().iter().map(Violation::to_string).collect()
    }

    /// Every limit this message breaks, with the count found; empty when it fits.
    pub fn breaches(&self) -> Vec<Violation> {
        let mut v = Vec::new();
        let mut over = |limit: Limit, found: usize| {
            if found > limit.max() {
                v.push(Violation { limit, found });
            }
        };
        over(Limit::Content, self.content.as_deref().map_or(0, chars));
        over(Limit::Embeds, self.embeds.len());
        over(Limit::EmbedTotal, self.embed_chars());
        for e in &self.embeds {
            over(Limit::EmbedTitle, e.title.as_deref().map_or(0, chars));
            over(
                Limit::EmbedDescription,
                e.description.as_deref().map_or(0, chars),
            );
            over(Limit::EmbedFooter, e.footer.as_deref().map_or(0, chars));
            over(Limit::EmbedFields, e.fields.len());
            for f in &e.fields {
                over(Limit::FieldName, chars(&f.name));
                over(Limit::FieldValue, chars(&f.value));
            }
        }
        over(Limit::ActionRows, self.rows.len());
        for row in &self.rows {
            let selects = row
                .iter()
                .filter(|c| matches!(c, Component::Select { .. }))
                .count();
            // A select menu must be alone in its row.
            over(Limit::BesideSelect, (selects > 0) as usize * row.len());
            over(Limit::ButtonsPerRow, row.len());
            for c in row {
                match c {
                    Component::Button {
                        custom_id, label, ..
                    } => {
                        over(Limit::CustomId, custom_id.len());
                        over(Limit::ButtonLabel, chars(label));
                    }
                    Component::Select {
                        custom_id,
                        placeholder,
                        options,
                    } => {
                        over(Limit::CustomId, custom_id.len());
                        over(Limit::SelectPlaceholder, chars(placeholder));
                        over(Limit::SelectOptions, options.len());
                        for (label, _) in options {
                            over(Limit::OptionLabel, chars(label));
                        }
                    }
                }
            }
        }
        v
    }
}

/// What the buttons of one message carry: who owns the conversation and where it takes
/// place, under which rules, at which step, with which answers given.
#[derive(Debug, Clone)]
pub struct Owner {
    pub user: u64,
    pub place: Place,
    pub rules_tag: String,
    pub step: u64,
    pub answers: Answers,
}

impl Owner {
    /// The owner of the buttons showing `reply`.
    pub fn of(user: u64, place: Place, rules_tag: &str, reply: &Reply) -> Self {
        Self {
            user,
            place,
            rules_tag: rules_tag.to_owned(),
            step: reply.step,
            answers: reply.answers,
        }
    }

    fn id(&self, action: Action) -> String {
        CustomId::new(
            action,
            self.user,
            self.rules_tag.clone(),
            self.step,
            self.place,
            self.answers,
        )
        .encode()
    }

    fn button(&self, action: Action, label: String, style: ButtonStyle) -> Component {
        Component::Button {
            custom_id: self.id(action),
            label: clip(&label, limits::BUTTON_LABEL_CHARS),
            style,
            disabled: false,
        }
    }

    /// The conversation's own buttons (not answers), each labelled by its message id.
    fn controls(
        &self,
        l10n: &Localizer,
        locale: LocaleId,
        which: &[(Action, &str, ButtonStyle)],
    ) -> Vec<Component> {
        which
            .iter()
            .map(|&(action, label, style)| self.button(action, l10n.text(locale, label), style))
            .collect()
    }
}

/// The most choice buttons shown before switching to a select menu: four rows, leaving
/// the fifth for Back and Start over.
pub const MAX_CHOICE_BUTTONS: usize = 4 * limits::BUTTONS_PER_ROW;

/// The message for a conversation view (ephemeral, for its owner).
pub fn view_message(view: &View, l10n: &Localizer, locale: LocaleId, owner: &Owner) -> MessageSpec {
    match view {
        View::Question(q) => question_message(q, l10n, locale, owner),
        View::Card(card) => {
            let mut m = card_message(card);
            m.rows = card_rows(l10n, locale, owner, None);
            m
        }
    }
}

/// The buttons under the user's own card: Back, Start over, Post, Delete; then "Did this
/// help?" as a yes and a no button, showing `vote` as given (its button disabled, the
/// other one changing it).
pub fn card_rows(
    l10n: &Localizer,
    locale: LocaleId,
    owner: &Owner,
    vote: Option<bool>,
) -> Vec<Vec<Component>> {
    let helped = |yes: bool| {
        let (label, style) = match yes {
            true => ("button-helped", ButtonStyle::Success),
            false => ("button-not-helped", ButtonStyle::Danger),
        };
        let given = vote == Some(yes);
        let mut b = owner.button(
            Action::Helped {
                yes,
                before: vote.filter(|&v| v != yes),
            },
            l10n.text(locale, label),
            if given { style } else { ButtonStyle::Secondary },
        );
        if let Component::Button { disabled, .. } = &mut b {
            *disabled = given;
        }
        b
    };
    vec![
        owner.controls(
            l10n,
            locale,
            &[
                (Action::Back, "button-back", ButtonStyle::Secondary),
                (Action::Restart, "button-restart", ButtonStyle::Secondary),
                (Action::Post, "button-post", ButtonStyle::Success),
                (Action::Forget, "button-forget", ButtonStyle::Danger),
            ],
        ),
        vec![helped(true), helped(false)],
    ]
}

/// The card as posted publicly: [`card_message`] with a "Check my own PC" button, which
/// starts the clicker's own conversation in `place` (labelled in the card's locale).
pub fn posted_card_message(
    card: &Card,
    l10n: &Localizer,
    locale: LocaleId,
    rules_tag: &str,
    place: Place,
) -> MessageSpec {
    let mut m = card_message(card);
    let own = Owner {
        user: 0,
        place,
        rules_tag: rules_tag.to_owned(),
        step: 0,
        answers: Answers::new(),
    };
    m.rows = vec![vec![own.button(
        Action::Own,
        l10n.text(locale, "button-check-own"),
        ButtonStyle::Primary,
    )]];
    m
}

fn question_message(
    q: &QuestionView,
    l10n: &Localizer,
    locale: LocaleId,
    owner: &Owner,
) -> MessageSpec {
    let embed = Embed {
        title: Some(clip(&q.text, limits::EMBED_TITLE_CHARS)),
        description: q
            .help
            .as_ref()
            .map(|h| clip(h, limits::EMBED_DESCRIPTION_CHARS)),
        colour: Some(QUESTION_COLOUR),
        fields: Vec::new(),
        footer: Some(q.progress_text.clone()),
    };
    let fits_buttons = q.choices.len() <= MAX_CHOICE_BUTTONS
        && q.choices
            .iter()
            .all(|c| chars(c) <= limits::BUTTON_LABEL_CHARS);
    let mut rows: Vec<Vec<Component>> = if fits_buttons {
        q.choices
            .chunks(limits::BUTTONS_PER_ROW)
            .enumerate()
            .map(|(r, chunk)| {
                chunk
                    .iter()
                    .enumerate()
                    .map(|(i, label)| {
                        owner.button(
                            Action::Answer(q.symbols[r * limits::BUTTONS_PER_ROW + i]),
                            label.clone(),
                            ButtonStyle::Primary,
                        )
                    })
                    .collect()
            })
            .collect()
    } else {
        vec![vec![Component::Select {
            custom_id: owner.id(Action::Select),
            placeholder: clip(
                &l10n.text(locale, "select-placeholder"),
                limits::SELECT_PLACEHOLDER_CHARS,
            ),
            options: q
                .choices
                .iter()
                // All of them: more than Discord takes is a violation the fit check
                // reports at the question's line, never a choice silently left out.
                .enumerate()
                .map(|(i, label)| {
                    (
                        clip(label, limits::SELECT_OPTION_LABEL_CHARS),
                        i.to_string(),
                    )
                })
                .collect(),
        }]]
    };
    let mut controls = owner.controls(
        l10n,
        locale,
        &[
            (Action::Back, "button-back", ButtonStyle::Secondary),
            (Action::Restart, "button-restart", ButtonStyle::Secondary),
        ],
    );
    if let Component::Button { disabled, .. } = &mut controls[0] {
        *disabled = !q.can_go_back;
    }
    rows.push(controls);
    MessageSpec {
        content: None,
        embeds: vec![embed],
        rows,
    }
}

/// The card as embeds, without buttons (the public, posted form).
pub fn card_message(card: &Card) -> MessageSpec {
    let colour = Some(severity_colour(card.severity));
    let mut first = card.explain.clone();
    if !card.answers.items.is_empty() {
        first.push_str(&format!("\n\n**{}**", card.answers.title));
        for a in &card.answers.items {
            first.push_str(&format!("\n• {a}"));
        }
    }
    let mut embeds = vec![Embed {
        title: Some(clip(&card.headline, limits::EMBED_TITLE_CHARS)),
        description: Some(clip(&first, limits::EMBED_DESCRIPTION_CHARS)),
        colour,
        ..Embed::default()
    }];
    let steps = card
        .steps
        .items
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}. {s}", i + 1))
        .collect::<Vec<_>>()
        .join("\n");
    embeds.push(Embed {
        title: Some(card.steps.title.clone()),
        description: Some(clip(&steps, limits::EMBED_DESCRIPTION_CHARS)),
        colour,
        ..Embed::default()
    });
    for s in card
        .support
        .iter()
        .chain(card.phone.iter().map(|(_, s)| s))
        .chain(card.checklist.iter())
    {
        embeds.push(Embed {
            title: Some(clip(&s.title, limits::EMBED_TITLE_CHARS)),
            description: Some(clip(&s.body, limits::EMBED_DESCRIPTION_CHARS)),
            colour,
            ..Embed::default()
        });
    }
    let mut caveat = card.caveat.body.clone();
    caveat.push_str(&format!("\n\n**{}**", card.sources_title));
    for s in &card.sources {
        caveat.push_str(&format!("\n• {}", s.line));
    }
    caveat.push_str(&format!("\n\n{}", card.generated));
    embeds.push(Embed {
        title: Some(clip(&card.caveat.title, limits::EMBED_TITLE_CHARS)),
        description: Some(clip(&caveat, limits::EMBED_DESCRIPTION_CHARS)),
        colour,
        fields: Vec::new(),
        footer: Some(clip(&card.rules_line, limits::FOOTER_CHARS)),
    });
    MessageSpec {
        content: None,
        embeds,
        rows: Vec::new(),
    }
}

/// A sentence for the user, optionally with buttons.
pub fn notice(text: String, rows: Vec<Vec<Component>>) -> MessageSpec {
    MessageSpec {
        content: Some(clip(&text, limits::CONTENT_CHARS)),
        embeds: Vec::new(),
        rows,
    }
}

/// `header`, then as many of `lines` as fit in one message's content, then `more(n)`
/// for the `n` lines left out, so nothing is cut off without a word.
pub fn fit_list(header: String, lines: &[String], more: impl Fn(usize) -> String) -> String {
    let mut text = header;
    for (i, line) in lines.iter().enumerate() {
        let left_after = lines.len() - i - 1;
        let tail = if left_after > 0 {
            chars(&more(left_after)) + 1
        } else {
            0
        };
        if chars(&text) + 1 + chars(line) + tail > limits::CONTENT_CHARS {
            text.push('\n');
            text.push_str(&more(lines.len() - i));
            return text;
        }
        text.push('\n');
        text.push_str(line);
    }
    text
}

/// Every message the rules and texts make that would not fit in Discord, or would only
/// fit cut short: each text too long for its own place, at its `.ftl` line
/// ([`text_fit_problems`]); then each question (and its resume offer) and each card
/// (with its buttons, and as posted), along every path, in every locale, with the
/// longest ids and dates, at the node's line in the rules file. So an edit that makes a
/// card too long fails `rules check` and the bot's start rather than a user's click.
pub fn fit_problems(k: &Knowledge) -> Vec<Problem> {
    let mut problems = text_fit_problems(k);
    problems.extend(message_fit_problems(k));
    problems
}

/// Where one text goes in a Discord message, and how long it may be there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    ButtonLabel,
    SelectOption,
    EmbedTitle,
    EmbedDescription,
    SelectPlaceholder,
    Content,
}

impl Slot {
    fn limit(self) -> Limit {
        match self {
            Slot::ButtonLabel => Limit::ButtonLabel,
            Slot::SelectOption => Limit::OptionLabel,
            Slot::EmbedTitle => Limit::EmbedTitle,
            Slot::EmbedDescription => Limit::EmbedDescription,
            Slot::SelectPlaceholder => Limit::SelectPlaceholder,
            Slot::Content => Limit::Content,
        }
    }

    fn what(self) -> &'static str {
        match self {
            Slot::ButtonLabel => "a button label",
            Slot::SelectOption => "a select menu option",
            Slot::EmbedTitle => "an embed title",
            Slot::EmbedDescription => "an embed description",
            Slot::SelectPlaceholder => "a select menu's placeholder",
            Slot::Content => "a message",
        }
    }
}

/// The program's own messages that always fill one slot alone, without variables.
const CODE_SLOTS: &[(&str, Slot)] = &[
    ("button-back", Slot::ButtonLabel),
    ("button-restart", Slot::ButtonLabel),
    ("button-continue", Slot::ButtonLabel),
    ("button-post", Slot::ButtonLabel),
    ("button-forget", Slot::ButtonLabel),
    ("select-placeholder", Slot::SelectPlaceholder),
    ("resume-title", Slot::EmbedTitle),
    ("card-what-to-do", Slot::EmbedTitle),
    ("card-phone-activation-title", Slot::EmbedTitle),
    ("card-phone-activation-body", Slot::EmbedDescription),
    ("card-reach-operator-title", Slot::EmbedTitle),
    ("card-reach-operator-body", Slot::EmbedDescription),
    ("card-checklist-title", Slot::EmbedTitle),
    ("card-checklist-body", Slot::EmbedDescription),
    ("card-caveat-title", Slot::EmbedTitle),
    ("pinned", Slot::Content),
    ("forgotten", Slot::Content),
    ("stale-rules", Slot::Content),
    ("stale-session", Slot::Content),
    ("outdated-click", Slot::Content),
    ("error-discord-slow", Slot::Content),
    ("error-bad-component", Slot::Content),
    ("error-not-yours", Slot::Content),
    ("error-save", Slot::Content),
    ("error-cannot-post", Slot::Content),
    ("error-not-a-card", Slot::Content),
    ("error-guild-only", Slot::Content),
    ("error-pin-permission", Slot::Content),
    ("error-pin-limit", Slot::Content),
    ("error-pin-unknown-message", Slot::Content),
    ("error-pin-failed", Slot::Content),
    ("error-member-cannot-pin", Slot::Content),
    ("error-pin-check-failed", Slot::Content),
    ("error-internal", Slot::Content),
    ("error-busy", Slot::Content),
    ("error-unreadable", Slot::Content),
];

/// Each text that alone is too long for its place in a Discord message, reported at
/// the `.ftl` line that defines it, with its name and length: a choice label over 80
/// characters (the question would silently become a select menu, its labels cut at
/// 100), a question or headline too long for an embed title, a help, explanation or
/// step too long for an embed description, a button or a notice too long for its slot.
/// Texts are formatted with the values the program passes (the phone numbers).
pub fn text_fit_problems(k: &Knowledge) -> Vec<Problem> {
    let rules = &*k.rules;
    let l10n = &*k.l10n;
    let mut texts: Vec<(&str, Slot, Option<&str>)> = Vec::new();
    for q in rules.questions() {
        texts.push((&q.text, Slot::EmbedTitle, None));
        if let Some(h) = &q.help {
            texts.push((h, Slot::EmbedDescription, None));
        }
        // Too many choices for buttons are a select menu anyway.
        let slot = if q.choices.len() > MAX_CHOICE_BUTTONS {
            Slot::SelectOption
        } else {
            Slot::ButtonLabel
        };
        for c in &q.choices {
            texts.push((&c.label, slot, Some(&q.id)));
        }
    }
    for o in rules.outcomes() {
        texts.push((&o.headline, Slot::EmbedTitle, None));
        texts.push((&o.explain, Slot::EmbedDescription, None));
        for step in &o.steps {
            texts.push((step, Slot::EmbedDescription, None));
        }
    }
    texts.extend(CODE_SLOTS.iter().map(|(id, slot)| (*id, *slot, None)));
    let numbers = [
        ("desk_number", rules.phone.activation_desk.clone()),
        ("support_number", rules.phone.general_support.clone()),
    ];
    let mut out = Vec::new();
    for locale in l10n.locale_ids() {
        let messages = l10n.messages(locale);
        for (id, slot, question) in &texts {
            let Some(info) = messages.get(*id) else {
                continue;
            };
            let n = chars(&l10n.format(locale, id, &numbers));
            let limit = slot.limit().max();
            if n <= limit {
                continue;
            }
            let mut message = format!(
                "message `{id}` is {n} characters long in {}, more than the {limit} of {}",
                l10n.tag(locale),
                slot.what()
            );
            match (slot, question) {
                (Slot::ButtonLabel, Some(q)) => {
                    message.push_str(&format!(
                        ": question `{q}` would show its choices as a select menu instead of \
                         buttons"
                    ));
                    if n > limits::SELECT_OPTION_LABEL_CHARS {
                        message.push_str(&format!(
                            ", with this label cut at {} characters",
                            limits::SELECT_OPTION_LABEL_CHARS
                        ));
                    }
                }
                _ => message.push_str(": it would be cut short with an ellipsis"),
            }
            message.push_str("; shorten it");
            out.push(Problem::new(&info.file, info.line, message));
        }
    }
    crate::problem::Problems::sorted(out).0
}

/// Each whole message (question, resume offer, card) that breaks Discord's limits
/// along some path, at its node's line in the rules.
fn message_fit_problems(k: &Knowledge) -> Vec<Problem> {
    let rules = &*k.rules;
    let l10n = &*k.l10n;
    let tag = custom_id::rules_tag(&rules.meta.version);
    // Per node and locale, the problems of the path with the longest message (paths
    // differ in the answers a card lists).
    let mut found: std::collections::BTreeMap<(usize, String), (usize, String)> =
        Default::default();
    let mut walks = vec![Walk::start(rules)];
    while let Some(walk) = walks.pop() {
        let (idx, kind, id) = match walk.position(rules) {
            Position::Asking(idx, q) => {
                for i in 0..q.choices.len() {
                    walks.push(
                        walk.answer(rules, i)
                            .expect("every choice of a question leads on"),
                    );
                }
                (idx, "question", &q.id)
            }
            Position::Done(idx, o) => (idx, "the card of outcome", &o.id),
        };
        // The longest ids: the largest owner and step, and this path's answers.
        let owner = Owner {
            user: u64::MAX,
            place: Place::Server,
            rules_tag: tag.clone(),
            step: u64::MAX,
            answers: walk.symbols(rules),
        };
        for locale in l10n.locale_ids() {
            let view = view_of(rules, l10n, &walk, i64::MAX / 2, locale, TimeStyle::Discord);
            let mut messages = vec![view_message(&view, l10n, locale, &owner)];
            match &view {
                View::Question(q) => messages.push(resume_offer(q, l10n, locale, &owner)),
                View::Card(card) => messages.push(card_message(card)),
            }
            let mut why: Vec<String> = messages.iter().flat_map(MessageSpec::violations).collect();
            why.extend(messages.iter().flat_map(MessageSpec::clipped));
            why.sort();
            why.dedup();
            if why.is_empty() {
                continue;
            }
            let size = messages
                .iter()
                .map(MessageSpec::embed_chars)
                .max()
                .unwrap_or(0);
            let what = format!(
                "{kind} `{id}` does not fit in a Discord message in {}",
                l10n.tag(locale)
            );
            let key = (rules.node(idx).line(), what);
            if found.get(&key).is_none_or(|(longest, _)| size > *longest) {
                found.insert(key, (size, why.join("; ")));
            }
        }
    }
    found
        .into_iter()
        .map(|((line, what), (_, why))| Problem::new(rules.path(), line, format!("{what}: {why}")))
        .collect()
}

/// A sentence with a Start over button, for buttons that no longer fit.
pub fn start_again(text: String, l10n: &Localizer, locale: LocaleId, owner: &Owner) -> MessageSpec {
    notice(
        text,
        vec![owner.controls(
            l10n,
            locale,
            &[(Action::Restart, "button-restart", ButtonStyle::Primary)],
        )],
    )
}

/// The offer to continue an unfinished conversation or start over.
pub fn resume_offer(
    question: &QuestionView,
    l10n: &Localizer,
    locale: LocaleId,
    owner: &Owner,
) -> MessageSpec {
    MessageSpec {
        content: None,
        embeds: vec![Embed {
            title: Some(l10n.text(locale, "resume-title")),
            description: Some(clip(
                &l10n.format(
                    locale,
                    "resume-body",
                    &[
                        ("progress", question.progress_text.clone()),
                        ("question", question.text.clone()),
                    ],
                ),
                limits::EMBED_DESCRIPTION_CHARS,
            )),
            colour: Some(QUESTION_COLOUR),
            ..Embed::default()
        }],
        rows: vec![owner.controls(
            l10n,
            locale,
            &[
                (Action::Continue, "button-continue", ButtonStyle::Primary),
                (Action::Restart, "button-restart", ButtonStyle::Secondary),
                (Action::Forget, "button-forget", ButtonStyle::Danger),
            ],
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Progress;

    fn l10n() -> Localizer {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("en-US");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("a.ftl"),
            "button-back = Back\nbutton-restart = Start over\nselect-placeholder = Choose\n",
        )
        .unwrap();
        Localizer::load(tmp.path(), "en-US").unwrap()
    }

    fn owner() -> Owner {
        Owner {
            user: 1,
            place: Place::Server,
            rules_tag: "00000000".into(),
            step: 3,
            answers: Answers::new(),
        }
    }

    fn question(choices: Vec<String>) -> View {
        let symbols = (0..choices.len())
            .map(|i| custom_id::Symbol::of("concern", custom_id::SYMBOLS[i % 6].1).unwrap())
            .collect();
        View::Question(QuestionView {
            node: "q".into(),
            fact: "f".into(),
            text: "Question?".into(),
            help: None,
            choices,
            symbols,
            progress: Progress {
                number: 1,
                at_most: 2,
            },
            progress_text: "1 of 2".into(),
            can_go_back: false,
        })
    }

    #[test]
    fn each_broken_limit_is_named_with_what_was_found() {
        let button = |custom_id: String, label: &str| Component::Button {
            custom_id,
            label: label.to_owned(),
            style: ButtonStyle::Primary,
            disabled: false,
        };
        let m = MessageSpec {
            content: Some("c".repeat(2001)),
            embeds: vec![Embed {
                footer: Some(clip(&"f".repeat(3000), limits::FOOTER_CHARS)),
                ..Embed::default()
            }],
            rows: vec![
                vec![button("x".repeat(101), "ok")],
                (0..6).map(|i| button(i.to_string(), "ok")).collect(),
            ],
        };
        assert_eq!(
            m.breaches(),
            vec![
                Violation {
                    limit: Limit::Content,
                    found: 2001
                },
                Violation {
                    limit: Limit::CustomId,
                    found: 101
                },
                Violation {
                    limit: Limit::ButtonsPerRow,
                    found: 6
                },
            ]
        );
        assert_eq!(
            m.violations(),
            vec![
                "content: 2001 > 2000",
                "custom_id: 101 > 100",
                "buttons in a row: 6 > 5"
            ]
        );
        assert_eq!(
            m.cuts(),
            vec![Cut {
                limit: Limit::EmbedFooter
            }]
        );
        assert_eq!(m.clipped(), vec!["embed footer cut at 2048 characters"]);
    }

    #[test]
    fn more_choices_than_a_select_menu_holds_are_a_violation_not_a_silent_cut() {
        let l = l10n();
        let loc = l.default_locale();
        let owner = owner();
        let labels = |n: usize| (0..n).map(|i| format!("choice {i}")).collect();
        let full = view_message(&question(labels(limits::SELECT_OPTIONS)), &l, loc, &owner);
        assert!(full.breaches().is_empty(), "{:?}", full.breaches());
        let over = view_message(
            &question(labels(limits::SELECT_OPTIONS + 1)),
            &l,
            loc,
            &owner,
        );
        assert_eq!(
            over.breaches(),
            vec![Violation {
                limit: Limit::SelectOptions,
                found: limits::SELECT_OPTIONS + 1
            }]
        );
    }

    #[test]
    fn choices_that_do_not_fit_as_buttons_become_a_select_menu() {
        let l = l10n();
        let loc = l.default_locale();
        let owner = owner();
        let few = view_message(&question(vec!["a".into(), "b".into()]), &l, loc, &owner);
        assert_eq!(few.rows.len(), 2);
        assert!(matches!(&few.rows[0][0], Component::Button { .. }));
        // Back is disabled at the first question.
        assert!(matches!(
            &few.rows[1][0],
            Component::Button { disabled: true, .. }
        ));

        let many: Vec<String> = (0..21).map(|i| format!("choice {i}")).collect();
        let m = view_message(&question(many), &l, loc, &owner);
        let Component::Select {
            custom_id, options, ..
        } = &m.rows[0][0]
        else {
            panic!("expected a select menu: {:?}", m.rows[0]);
        };
        assert_eq!(options.len(), 21);
        assert_eq!(options[20].1, "20");
        assert_eq!(CustomId::decode(custom_id).unwrap().action, Action::Select);
        assert!(m.violations().is_empty(), "{:?}", m.violations());

        let long = vec!["x".repeat(81), "y".into()];
        let m = view_message(&question(long), &l, loc, &owner);
        assert!(matches!(&m.rows[0][0], Component::Select { .. }));
    }

    #[test]
    fn a_long_list_keeps_what_fits_and_counts_the_rest() {
        let lines: Vec<String> = (0..100)
            .map(|i| format!("{i:03} {}", "x".repeat(96)))
            .collect();
        let more = |n: usize| format!("and {n} more");
        let text = fit_list("Header".to_owned(), &lines, more);
        assert!(chars(&text) <= limits::CONTENT_CHARS, "{}", chars(&text));
        let shown = text.lines().filter(|l| l.ends_with('x')).count();
        assert!(shown >= 15, "{shown}");
        assert!(text.ends_with(&more(100 - shown)), "{text}");
        assert!(text.starts_with("Header\n000 "));

        let few = fit_list("Header".to_owned(), &lines[..3], more);
        assert_eq!(
            few,
            format!("Header\n{}\n{}\n{}", lines[0], lines[1], lines[2])
        );
    }
}

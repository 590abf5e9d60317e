//! Localized texts: Fluent bundles loaded at run time from `i18n/<locale>/*.ftl`.
//!
//! Texts are data that translators and moderators edit, so they are read from disk (the
//! directory is configurable) and checked the same way the rules are: every problem is
//! reported as `file:line`. [`Localizer::problems`] proves what the program relies on:
//! every message exists in every locale with the same variables, so a message formatted
//! in any locale never loses a value that another locale shows.
//!
//! Locale choice follows Discord's codes (`ja`, `en-US`, `en-GB`, `zh-TW`, ...) through
//! fluent-langneg, falling back to the configured default. Bidi isolation marks are
//! turned off: Discord and terminals show them as stray characters. A message missing at
//! run time falls back to the default locale, then to its id, and is logged; formatting
//! never fails.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_langneg::{negotiate_languages, NegotiationStrategy};
use fluent_syntax::ast;
use unic_langid::LanguageIdentifier;

use crate::domain::problem::{LineIndex, Problem, Problems};

/// A locale among those loaded, by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LocaleId(usize);

/// Where a message is defined and which variables it uses.
#[derive(Debug, Clone)]
pub struct MessageInfo {
    pub file: PathBuf,
    pub line: usize,
    pub variables: BTreeSet<String>,
    /// The line of each variable's first use, for pointing at a misspelt one.
    pub variable_lines: BTreeMap<String, usize>,
}

struct Locale {
    id: LanguageIdentifier,
    tag: String,
    bundle: FluentBundle<FluentResource>,
    messages: BTreeMap<String, MessageInfo>,
}

/// All locales' bundles, and the default to fall back to.
pub struct Localizer {
    locales: Vec<Locale>,
    default: LocaleId,
    dir: PathBuf,
}

impl std::fmt::Debug for Localizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Localizer")
            .field("dir", &self.dir)
            .field("locales", &self.tags())
            .field("default", &self.tag(self.default))
            .finish()
    }
}

/// Arguments for a message: name and value pairs. Snowflakes and numbers are passed as
/// strings (Fluent's `NUMBER` does not localize them usefully).
pub type Args<'a> = [(&'a str, String)];

impl Localizer {
    /// Loads every `i18n/<locale>/*.ftl`. Fails with every problem found: unreadable
    /// files, syntax errors, a message defined twice, a locale directory whose name is
    /// not a language tag, a default locale that is not present.
    pub fn load(dir: &Path, default: &str) -> Result<Self, Problems> {
        let mut problems = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|e| {
            Problems(vec![Problem::new(
                dir,
                0,
                format!(
                    "cannot read the i18n directory{}: {e}",
                    crate::domain::problem::full_path_note(dir)
                ),
            )])
        })?;
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        let mut locales = Vec::new();
        let mut found = Vec::new();
        for ldir in dirs {
            let tag = ldir
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            let Ok(id) = tag.parse::<LanguageIdentifier>() else {
                problems.push(Problem::new(
                    &ldir,
                    0,
                    format!("`{tag}` is not a language tag such as `ja` or `en-US`"),
                ));
                continue;
            };
            found.push(tag.clone());
            match load_locale(&ldir, id, tag) {
                Ok(locale) => locales.push(locale),
                Err(mut p) => problems.append(&mut p),
            }
        }
        let default_pos = locales.iter().position(|l| l.tag == default);
        if !found.iter().any(|t| t == default) {
            problems.push(Problem::new(
                dir,
                0,
                format!(
                    "the default locale `{default}` has no directory here (found: {})",
                    found.join(", ")
                ),
            ));
        }
        if !problems.is_empty() {
            return Err(Problems::sorted(problems));
        }
        Ok(Self {
            locales,
            default: LocaleId(default_pos.expect("checked above")),
            dir: dir.to_path_buf(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn default_locale(&self) -> LocaleId {
        self.default
    }

    /// The locale tags loaded, in directory order.
    pub fn tags(&self) -> Vec<&str> {
        self.locales.iter().map(|l| l.tag.as_str()).collect()
    }

    pub fn tag(&self, locale: LocaleId) -> &str {
        &self.locales[locale.0].tag
    }

    /// The loaded locale with exactly this tag.
    pub fn exact(&self, tag: &str) -> Option<LocaleId> {
        self.locales.iter().position(|l| l.tag == tag).map(LocaleId)
    }

    /// The best loaded locale for the requested tags, most preferred first (Discord's
    /// `interaction.locale`, then `guild_locale`); the default when none matches.
    /// Unparseable tags are skipped.
    pub fn negotiate<S: AsRef<str>>(&self, requested: &[S]) -> LocaleId {
        let available: Vec<&LanguageIdentifier> = self.locales.iter().map(|l| &l.id).collect();
        for req in requested {
            let Ok(req) = req.as_ref().parse::<LanguageIdentifier>() else {
                continue;
            };
            let found = negotiate_languages(&[req], &available, None, NegotiationStrategy::Lookup);
            if let Some(first) = found.first() {
                if let Some(pos) = self.locales.iter().position(|l| &&l.id == *first) {
                    return LocaleId(pos);
                }
            }
        }
        self.default
    }

    /// Formats message `id` in `locale`. A message missing there falls back to the
    /// default locale, then to the id itself; both are logged. Formatting errors (an
    /// unknown variable, say) are logged and the best-effort text is returned.
    pub fn format(&self, locale: LocaleId, id: &str, args: &Args<'_>) -> String {
        let mut chosen = &self.locales[locale.0];
        let msg = match chosen.bundle.get_message(id) {
            Some(m) => m,
            None => {
                tracing::warn!(
                    message_id = id,
                    locale = %chosen.tag,
                    "message missing in this locale; falling back to the default"
                );
                chosen = &self.locales[self.default.0];
                match chosen.bundle.get_message(id) {
                    Some(m) => m,
                    None => {
                        tracing::error!(message_id = id, "message missing in every locale");
                        return id.to_owned();
                    }
                }
            }
        };
        let Some(pattern) = msg.value() else {
            tracing::error!(message_id = id, "message has no value");
            return id.to_owned();
        };
        let mut fargs = FluentArgs::with_capacity(args.len());
        for (k, v) in args {
            fargs.set(*k, FluentValue::from(v.as_str()));
        }
        let mut errors = Vec::new();
        let text = chosen
            .bundle
            .format_pattern(pattern, Some(&fargs), &mut errors);
        if !errors.is_empty() {
            tracing::warn!(message_id = id, locale = %chosen.tag, ?errors, "message formatted with errors");
        }
        text.into_owned()
    }

    /// Message `id` without arguments.
    pub fn text(&self, locale: LocaleId, id: &str) -> String {
        self.format(locale, id, &[])
    }

    /// Where each message of `locale` is defined, and its variables.
    pub fn messages(&self, locale: LocaleId) -> &BTreeMap<String, MessageInfo> {
        &self.locales[locale.0].messages
    }

    pub fn locale_ids(&self) -> impl Iterator<Item = LocaleId> {
        (0..self.locales.len()).map(LocaleId)
    }

    /// Consistency problems across locales: a message present in one locale but not in
    /// another, or using different variables. Reported at the defining file and line.
    pub fn problems(&self) -> Vec<Problem> {
        self.consistency(None)
    }

    /// [`Self::problems`], knowing which ids the rules and the program use: a message
    /// that one locale defines, another lacks and nothing uses is not to be copied into
    /// the other locale; most likely its id is misspelt (the id actually used is then
    /// reported by [`Self::missing`]), so the hint says that instead.
    pub fn consistency_problems(&self, used: &BTreeSet<&str>) -> Vec<Problem> {
        self.consistency(Some(used))
    }

    fn consistency(&self, used: Option<&BTreeSet<&str>>) -> Vec<Problem> {
        let mut out = Vec::new();
        let all: BTreeSet<&String> = self
            .locales
            .iter()
            .flat_map(|l| l.messages.keys())
            .collect();
        for id in all {
            let defined: Vec<(&Locale, &MessageInfo)> = self
                .locales
                .iter()
                .filter_map(|l| l.messages.get(id).map(|m| (l, m)))
                .collect();
            let (first_locale, first) = defined[0];
            let unused = used.is_some_and(|u| !u.contains(id.as_str()));
            for l in &self.locales {
                if l.messages.contains_key(id) {
                    continue;
                }
                let message = if unused {
                    let nearest = used
                        .and_then(|u| crate::domain::problem::nearest(id, u.iter().copied()))
                        .map(|n| format!(": is it a misspelling of `{n}`?"))
                        .unwrap_or_default();
                    format!(
                        "message `{id}` is defined in `{}` but missing in `{}`, and neither \
                         the rules nor the program use it{nearest} Correct its id, or delete \
                         it if it is no longer needed",
                        first_locale.tag, l.tag
                    )
                } else {
                    format!(
                        "message `{id}` is defined in `{}` but missing in `{}` (add it under {})",
                        first_locale.tag,
                        l.tag,
                        self.dir.join(&l.tag).display()
                    )
                };
                out.push(Problem::new(&first.file, first.line, message));
            }
            for (l, m) in &defined[1..] {
                if m.variables != first.variables {
                    out.push(Problem::new(
                        &m.file,
                        m.line,
                        format!(
                            "message `{id}` uses variables {{{}}} in `{}` but {{{}}} in `{}`",
                            join(&m.variables),
                            l.tag,
                            join(&first.variables),
                            first_locale.tag
                        ),
                    ));
                }
            }
        }
        out
    }

    /// Problems for ids that some code or rules reference (`(id, file, line)`) but that
    /// are missing in a locale, reported where they are referenced. When a locale holds
    /// an id nothing references that is close to the missing one, it is named as the
    /// likely misspelling, with its place.
    pub fn missing<'a>(
        &self,
        referenced: impl IntoIterator<Item = (&'a str, &'a Path, usize)>,
    ) -> Vec<Problem> {
        let referenced: Vec<(&str, &Path, usize)> = referenced.into_iter().collect();
        let used: BTreeSet<&str> = referenced.iter().map(|(id, _, _)| *id).collect();
        let mut out = Vec::new();
        for &(id, file, line) in &referenced {
            let lacking: Vec<&Locale> = self
                .locales
                .iter()
                .filter(|l| !l.messages.contains_key(id))
                .collect();
            for l in &lacking {
                let misspelt = crate::domain::problem::nearest(
                    id,
                    l.messages
                        .keys()
                        .map(String::as_str)
                        .filter(|m| !used.contains(m)),
                )
                .map(|m| {
                    let info = &l.messages[m];
                    format!(
                        "; `{m}` at {}:{} looks like a misspelling of it",
                        info.file.display(),
                        info.line
                    )
                })
                .unwrap_or_default();
                let nowhere = if lacking.len() == self.locales.len() {
                    ", nor in any other locale"
                } else {
                    ""
                };
                out.push(Problem::new(
                    file,
                    line,
                    format!(
                        "message `{id}` is referenced here but missing in locale `{}` ({}){nowhere}: \
                         the id referenced here does not exist there{misspelt}",
                        l.tag,
                        self.dir.join(&l.tag).display()
                    ),
                ));
            }
        }
        out
    }

    /// Problems for variables that message `id` uses in some locale but the program
    /// never passes to it (`passed`): a misspelt `{ $desk_numbr }` would otherwise show
    /// as the raw placeholder. Reported at the line of the variable.
    pub fn unpassed_variables(&self, id: &str, passed: &[&str]) -> Vec<Problem> {
        let mut out = Vec::new();
        for l in &self.locales {
            let Some(m) = l.messages.get(id) else {
                continue;
            };
            for (var, line) in &m.variable_lines {
                if passed.contains(&var.as_str()) {
                    continue;
                }
                let offered = if passed.is_empty() {
                    "it passes no variables to this message".to_owned()
                } else {
                    let list: Vec<String> = passed.iter().map(|p| format!("${p}")).collect();
                    format!("it passes only {}", list.join(", "))
                };
                let guess = crate::domain::problem::nearest(var, passed.iter().copied())
                    .map(|p| format!("; did you mean `${p}`?"))
                    .unwrap_or_default();
                out.push(Problem::new(
                    &m.file,
                    *line,
                    format!(
                        "message `{id}` in `{}` uses `${var}`, which the program does not pass \
                         to it ({offered}), so it would show as a raw placeholder{guess}",
                        l.tag
                    ),
                ));
            }
        }
        out
    }

    /// How many messages each locale has.
    pub fn counts(&self) -> Vec<(&str, usize)> {
        self.locales
            .iter()
            .map(|l| (l.tag.as_str(), l.messages.len()))
            .collect()
    }
}

fn join(set: &BTreeSet<String>) -> String {
    set.iter()
        .map(|v| format!("${v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn load_locale(dir: &Path, id: LanguageIdentifier, tag: String) -> Result<Locale, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| {
            vec![Problem::new(
                dir,
                0,
                format!("cannot read this directory: {e}"),
            )]
        })?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "ftl"))
        .collect();
    files.sort();
    if files.is_empty() {
        problems.push(Problem::new(dir, 0, "this locale has no .ftl files"));
    }
    let mut bundle = FluentBundle::new_concurrent(vec![id.clone()]);
    bundle.set_use_isolating(false);
    let mut messages: BTreeMap<String, MessageInfo> = BTreeMap::new();
    for file in files {
        let text = match crate::domain::problem::read_to_string(&file) {
            Ok(t) => t,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        let lines = LineIndex::new(&text);
        // A resource with syntax errors still holds its valid entries: keep checking them,
        // so one run reports every problem.
        let resource = match FluentResource::try_new(text.clone()) {
            Ok(r) => r,
            Err((partial, errors)) => {
                for e in errors {
                    problems.push(Problem::new(
                        &file,
                        // The junk slice starts where the broken entry does.
                        lines.line(e.slice.as_ref().map_or(e.pos.start, |s| s.start)),
                        format!("Fluent syntax error: {}", e.kind),
                    ));
                }
                partial
            }
        };
        let defs = definition_lines(&text);
        for entry in resource.entries() {
            if let ast::Entry::Message(m) = entry {
                let name = m.id.name.to_owned();
                let line = defs.get(name.as_str()).copied().unwrap_or(0);
                let mut names = Vec::new();
                if let Some(p) = &m.value {
                    pattern_variables(p, &mut names);
                } else {
                    problems.push(Problem::new(
                        &file,
                        line,
                        format!("message `{name}` has no value"),
                    ));
                }
                for a in &m.attributes {
                    pattern_variables(&a.value, &mut names);
                }
                let source = resource.source();
                let mut variables = BTreeSet::new();
                let mut variable_lines = BTreeMap::new();
                for name in names {
                    variables.insert(name.to_owned());
                    // The parser borrows every name from the source text, so a name's
                    // address gives its place in the file.
                    let offset = (name.as_ptr() as usize)
                        .checked_sub(source.as_ptr() as usize)
                        .filter(|o| *o <= source.len());
                    let at = offset.map_or(line, |o| lines.line(o));
                    variable_lines.entry(name.to_owned()).or_insert(at);
                }
                if let Some(prev) = messages.get(&name) {
                    problems.push(Problem::new(
                        &file,
                        line,
                        format!(
                            "message `{name}` is already defined at {}:{}",
                            prev.file.display(),
                            prev.line
                        ),
                    ));
                    continue;
                }
                messages.insert(
                    name,
                    MessageInfo {
                        file: file.clone(),
                        line,
                        variables,
                        variable_lines,
                    },
                );
            }
        }
        if let Err(errors) = bundle.add_resource(resource) {
            // Overrides are reported above with their lines; anything else is unexpected.
            for e in errors {
                if !matches!(e, fluent_bundle::FluentError::Overriding { .. }) {
                    problems.push(Problem::new(&file, 0, format!("{e}")));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(Locale {
            id,
            tag,
            bundle,
            messages,
        })
    } else {
        Err(problems)
    }
}

/// The line on which each message (`id =` at the start of a line) is defined.
fn definition_lines(text: &str) -> BTreeMap<&str, usize> {
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let ident_len = line
            .char_indices()
            .take_while(|&(i, c)| {
                if i == 0 {
                    c.is_ascii_alphabetic()
                } else {
                    c.is_ascii_alphanumeric() || c == '-' || c == '_'
                }
            })
            .count();
        if ident_len > 0 && line[ident_len..].trim_start().starts_with('=') {
            out.entry(&line[..ident_len]).or_insert(n + 1);
        }
    }
    out
}

fn pattern_variables<'s>(p: &ast::Pattern<&'s str>, out: &mut Vec<&'s str>) {
    for el in &p.elements {
        if let ast::PatternElement::Placeable { expression } = el {
            expression_variables(expression, out);
        }
    }
}

fn expression_variables<'s>(e: &ast::Expression<&'s str>, out: &mut Vec<&'s str>) {
    match e {
        ast::Expression::Inline(i) => inline_variables(i, out),
        ast::Expression::Select { selector, variants } => {
            inline_variables(selector, out);
            for v in variants {
                pattern_variables(&v.value, out);
            }
        }
    }
}

fn inline_variables<'s>(e: &ast::InlineExpression<&'s str>, out: &mut Vec<&'s str>) {
    match e {
        ast::InlineExpression::VariableReference { id } => out.push(id.name),
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            call_variables(arguments, out);
        }
        ast::InlineExpression::TermReference {
            arguments: Some(arguments),
            ..
        } => call_variables(arguments, out),
        ast::InlineExpression::Placeable { expression } => expression_variables(expression, out),
        _ => {}
    }
}

fn call_variables<'s>(args: &ast::CallArguments<&'s str>, out: &mut Vec<&'s str>) {
    for p in &args.positional {
        inline_variables(p, out);
    }
    for n in &args.named {
        inline_variables(&n.value, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, locale: &str, file: &str, text: &str) {
        let d = dir.join(locale);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(file), text).unwrap();
    }

    /// Why the folder `dir` does not load with `en-US` as the default locale.
    fn load_error(dir: &Path) -> String {
        Localizer::load(dir, "en-US").unwrap_err().to_string()
    }

    #[test]
    fn negotiates_discord_locales_and_falls_back() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "ja", "a.ftl", "hello = こんにちは { $name }\n");
        write(tmp.path(), "en-US", "a.ftl", "hello = Hello { $name }\n");
        let l = Localizer::load(tmp.path(), "en-US").unwrap();
        let ja = l.exact("ja").unwrap();
        let en = l.exact("en-US").unwrap();
        assert_eq!(l.negotiate(&["ja"]), ja);
        assert_eq!(l.negotiate(&["en-GB"]), en);
        assert_eq!(l.negotiate(&["zh-TW"]), en);
        assert_eq!(
            l.negotiate(&["zh-TW", "ja"]),
            ja,
            "guild locale is the next choice"
        );
        assert_eq!(l.negotiate(&["not a tag!"]), en);
        let args = [("name", "42".to_owned())];
        // No bidi isolation marks around the variable.
        assert_eq!(l.format(ja, "hello", &args), "こんにちは 42");
        assert_eq!(l.format(en, "missing-id", &[]), "missing-id");
    }

    #[test]
    fn reports_inconsistent_locales_with_lines() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "ja", "a.ftl", "one = 一\ntwo = 二 { $n }\n");
        write(
            tmp.path(),
            "en-US",
            "a.ftl",
            "# c\none = One\ntwo = Two { $m }\nthree = 3\n",
        );
        let l = Localizer::load(tmp.path(), "en-US").unwrap();
        let problems: Vec<String> = l.problems().iter().map(|p| p.to_string()).collect();
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems.iter().any(|p| p.contains("a.ftl:4:")
            && p.contains("`three`")
            && p.contains("missing in `ja`")));
        assert!(problems
            .iter()
            .any(|p| p.contains("a.ftl:2:") && p.contains("$n") && p.contains("$m")));
    }

    #[test]
    fn syntax_errors_and_duplicates_name_file_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "en-US", "a.ftl", "ok = fine\n\nbroken = { \n");
        write(tmp.path(), "en-US", "b.ftl", "ok = again\n");
        let err = load_error(tmp.path());
        assert!(err.contains("a.ftl:3: Fluent syntax error"), "{err}");
        assert!(
            err.contains("b.ftl:1: message `ok` is already defined at"),
            "{err}"
        );
    }

    #[test]
    fn default_locale_must_exist() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "ja", "a.ftl", "one = 一\n");
        let err = load_error(tmp.path());
        assert!(err.contains("default locale `en-US`"), "{err}");
    }
}

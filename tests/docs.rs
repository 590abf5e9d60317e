//! What a newcomer reads before running anything: the license files that `Cargo.toml`
//! names, and a README that says what `--help` says.

mod support;

use support::cli::*;

fn read(file: &str) -> String {
    std::fs::read_to_string(root().join(file))
        .unwrap_or_else(|e| panic!("{file} cannot be read: {e}"))
}

#[test]
fn the_license_files_match_the_declared_license() {
    let manifest: toml::Value = toml::from_str(&read("Cargo.toml")).unwrap();
    let declared = manifest["package"]["license"].as_str().unwrap();
    assert_eq!(declared, "MIT OR Apache-2.0");
    let mit = read("LICENSE-MIT");
    assert!(mit.starts_with("MIT License"), "{mit}");
    assert!(mit.contains("Permission is hereby granted, free of charge"));
    let apache = read("LICENSE-APACHE");
    assert!(apache.contains("Apache License\n"), "not the Apache text");
    assert!(apache.contains("Version 2.0, January 2004"));
    assert!(apache.contains("END OF TERMS AND CONDITIONS"));
    let readme = read("README.md");
    assert!(
        readme.contains("LICENSE-MIT") && readme.contains("LICENSE-APACHE"),
        "the README names both license files"
    );
}

/// One option as `--help` lists it.
#[derive(Debug, Clone)]
struct HelpOption {
    flag: String,
    value: Option<String>,
    line: String,
    env: Option<String>,
    default: Option<String>,
    possible: Option<String>,
}

/// The text inside the first `[key: ...]` of `line`.
fn bracket(line: &str, key: &str) -> Option<String> {
    let start = line.find(&format!("[{key}: "))? + key.len() + 3;
    let end = start + line[start..].find(']')?;
    Some(line[start..end].to_owned())
}

/// The subcommands, as the words that reach them.
const SUBCOMMANDS: [&[&str]; 9] = [
    &[],
    &["ask"],
    &["run"],
    &["register"],
    &["serve"],
    &["sessions", "forget"],
    &["rules", "check"],
    &["data", "export"],
    &["data", "import"],
];

/// Every long option of `activation-check <words> --help`, but --help and --version.
fn help_options(words: &[&str]) -> Vec<HelpOption> {
    let mut args = words.to_vec();
    args.push("--help");
    let out = run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut options = Vec::new();
    for line in stdout(&out).lines() {
        let t = line.trim_start();
        let t = t
            .strip_prefix("-h, ")
            .or(t.strip_prefix("-V, "))
            .unwrap_or(t);
        let Some(rest) = t.strip_prefix("--") else {
            continue;
        };
        let flag: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if flag == "help" || flag == "version" {
            continue;
        }
        let after = rest[flag.len()..].trim_start();
        let value = after
            .strip_prefix('<')
            .and_then(|v| v.split_once('>'))
            .map(|(v, _)| v.to_owned());
        let described = match &value {
            Some(v) => after[v.len() + 2..].trim(),
            None => after,
        };
        let prose = described.split(" [").next().unwrap_or_default().trim();
        assert!(
            !prose.is_empty() && !described.starts_with('['),
            "`{} --help`: --{flag} has no description: {line:?}",
            words.join(" ")
        );
        options.push(HelpOption {
            flag: format!("--{flag}"),
            value,
            line: line.to_owned(),
            env: bracket(line, "env").map(|e| e.trim_end_matches('=').to_owned()),
            default: bracket(line, "default"),
            possible: bracket(line, "possible values"),
        });
    }
    options
}

/// The cells of a Markdown table row (`\|` is a `|` inside a cell), backticks removed.
fn cells(row: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut chars = row.trim().trim_matches('|').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cells.last_mut().unwrap().push('|');
                chars.next();
            }
            '|' => cells.push(String::new()),
            '`' => {}
            c => cells.last_mut().unwrap().push(c),
        }
    }
    cells.into_iter().map(|c| c.trim().to_owned()).collect()
}

/// Every `--flag` the README gives the program, up to its test and benchmark sections
/// (whose flags are cargo's and the load driver's): in its tables, in inline code, and in
/// commands that run it (`cargo run --release -- ...`, `activation-check ...`).
fn readme_flags(readme: &str) -> std::collections::BTreeSet<String> {
    let flag_words = |text: &str| -> Vec<String> {
        text.split(|c: char| c.is_whitespace() || c == '`' || c == '(' || c == ')' || c == ',')
            .filter(|w| w.starts_with("--") && w.len() > 2)
            .map(|w| {
                w.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect()
            })
            .collect()
    };
    let mut found = std::collections::BTreeSet::new();
    let mut in_code = false;
    for line in readme.lines() {
        if line.starts_with("## Reliability") {
            break;
        }
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        let program_part = |l: &str| -> Option<String> {
            if let Some(after) = l.trim_start().strip_prefix("activation-check ") {
                return Some(after.to_owned());
            }
            let (before, after) = l.split_once(" -- ")?;
            (before.contains("cargo run") && !before.contains("--example"))
                .then(|| after.to_owned())
        };
        if in_code {
            if let Some(part) = program_part(line) {
                found.extend(flag_words(&part));
            }
            continue;
        }
        // Inline code: a span starting with a flag, or a command running the program.
        for (i, span) in line.split('`').enumerate() {
            if i % 2 == 0 {
                continue;
            }
            if span.starts_with("--") {
                found.extend(flag_words(span).into_iter().take(1));
            } else if let Some(part) = program_part(span) {
                found.extend(flag_words(&part));
            }
        }
    }
    found
}

#[test]
fn the_readme_and_help_agree_on_every_flag() {
    let readme = read("README.md");
    let mut all: Vec<HelpOption> = Vec::new();
    for words in SUBCOMMANDS {
        for o in help_options(words) {
            if !all.iter().any(|a| a.flag == o.flag) {
                all.push(o);
            }
        }
    }
    let help_flags: std::collections::BTreeSet<String> =
        all.iter().map(|o| o.flag.clone()).collect();
    let mentioned = readme_flags(&readme);
    let undocumented: Vec<&String> = help_flags.difference(&mentioned).collect();
    assert!(
        undocumented.is_empty(),
        "flags in --help but not in the README: {undocumented:?}"
    );
    let unknown: Vec<&String> = mentioned.difference(&help_flags).collect();
    assert!(
        unknown.is_empty(),
        "flags in the README that no --help lists: {unknown:?}"
    );

    // Every table row about a flag says what --help says: the value's name (or the
    // possible values), the environment variable, the default.
    let mut rows = 0;
    let mut header: Vec<String> = Vec::new();
    for line in readme.lines() {
        if !line.starts_with('|') {
            header.clear();
            continue;
        }
        let c = cells(line);
        if header.is_empty() {
            header = c;
            continue;
        }
        // The separator row, and rows about something else than a flag.
        if c[0].starts_with("---") || !c[0].starts_with("--") {
            continue;
        }
        rows += 1;
        let (flag, value) = match c[0].split_once(' ') {
            Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
            None => (c[0].clone(), None),
        };
        let o = all
            .iter()
            .find(|o| o.flag == flag)
            .unwrap_or_else(|| panic!("README row for {flag}, which no --help lists"));
        let help_value = match (&o.possible, &o.value) {
            (Some(p), _) => Some(p.replace(", ", "|")),
            (None, v) => v.clone(),
        };
        assert_eq!(value, help_value, "{flag}: the value's name\n{}", o.line);
        for (i, column) in header.iter().enumerate() {
            let cell = c.get(i).cloned().unwrap_or_default();
            match column.as_str() {
                "environment variable" => assert_eq!(
                    (!cell.is_empty()).then_some(cell.clone()),
                    o.env,
                    "{flag}: environment variable\n{}",
                    o.line
                ),
                "default" => {
                    // A range in parentheses after the default is in the help text too.
                    let (default, range) = match cell.split_once(" (") {
                        Some((d, r)) => (d.to_owned(), Some(r.trim_end_matches(')'))),
                        None => (cell.clone(), None),
                    };
                    assert_eq!(
                        (!default.is_empty()).then_some(default.clone()),
                        o.default,
                        "{flag}: default\n{}",
                        o.line
                    );
                    if let Some(r) = range {
                        assert!(
                            o.line.contains(&format!("({r})")),
                            "{flag}: {r}\n{}",
                            o.line
                        );
                    }
                }
                _ => {}
            }
        }
    }
    assert!(rows >= 15, "the flag tables were found: {rows} rows");
}

#[test]
fn the_readme_lists_every_text_file() {
    let readme = read("README.md");
    for locale in ["ja", "en-US"] {
        for entry in std::fs::read_dir(root().join("i18n").join(locale)).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                readme.contains(&format!("`{name}`")),
                "the README does not name i18n/{locale}/{name}"
            );
        }
    }
}

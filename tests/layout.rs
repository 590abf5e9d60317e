//! The folder tree says the architecture, and this keeps it true: the pure core
//! (`src/domain/`) names no async runtime, Discord library or storage engine and no edge
//! module; only `src/store/` names sled, and only `src/discord/` names serenity.
//! Comments may mention anything; code may not.

use std::path::{Path, PathBuf};

/// The modules at the edge of the crate, which the core may not reach into.
const EDGES: &[&str] = &[
    "discord", "store", "term", "ops", "site", "graph", "config", "token", "logging",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src(sub: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(sub),
        &mut files,
    );
    files.sort();
    files
}

/// Each line of code in `path` with its number, comments cut off.
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.split("//").next().unwrap_or("").to_owned()))
        .collect()
}

/// Whether `line` names `word` as a path segment (not as part of a longer name).
fn names(line: &str, word: &str) -> bool {
    line.match_indices(word).any(|(at, _)| {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let before = line[..at].chars().next_back();
        let after = line[at + word.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

fn offenders(files: &[PathBuf], forbidden: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let mut found = Vec::new();
    for file in files {
        for (n, line) in code_lines(file) {
            if let Some(what) = forbidden(&line) {
                found.push(format!(
                    "{}:{n}: names {what}: {}",
                    file.display(),
                    line.trim()
                ));
            }
        }
    }
    found
}

#[test]
fn the_core_names_no_runtime_no_library_of_an_edge_and_no_edge_module() {
    let files = src("domain");
    assert!(files.len() > 10, "src/domain/ holds the core: {files:?}");
    let found = offenders(&files, |line| {
        for lib in ["tokio", "serenity", "sled", "axum"] {
            if names(line, lib) {
                return Some(lib.to_owned());
            }
        }
        EDGES
            .iter()
            .find(|edge| line.contains(&format!("crate::{edge}")))
            .map(|edge| format!("the edge module {edge}"))
    });
    assert!(
        found.is_empty(),
        "the core must stay pure:\n{}",
        found.join("\n")
    );
}

#[test]
fn only_the_store_names_sled_and_only_discord_names_serenity() {
    let all = src("");
    let outside = |folder: &str| -> Vec<PathBuf> {
        let inside = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src")
            .join(folder);
        all.iter()
            .filter(|f| !f.starts_with(&inside))
            .cloned()
            .collect()
    };
    for (folder, library) in [("store", "sled"), ("discord", "serenity")] {
        let found = offenders(&outside(folder), |l| {
            names(l, library).then(|| library.into())
        });
        assert!(
            found.is_empty(),
            "{library} outside src/{folder}/:\n{}",
            found.join("\n")
        );
    }
}

/// The check itself: it sees a use in code and passes over a comment.
#[test]
fn the_check_tells_code_from_comments() {
    assert!(names("use tokio::sync::Mutex;", "tokio"));
    assert!(!names("use tokio_util::x;", "tokio"));
    assert!(!names("let resled = 1;", "sled"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.rs");
    std::fs::write(&file, "// sled is named here only\nuse crate::store::X;\n").unwrap();
    let found = offenders(&[file], |l| {
        if names(l, "sled") {
            Some("sled".into())
        } else {
            l.contains("crate::store").then(|| "store".into())
        }
    });
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains(":2: names store"), "{found:?}");
}

//! A located complaint about an input file, and a list of them.
//!
//! Rules and message files are edited by people who are not Rust developers. Every
//! problem found in them is therefore reported the way compilers do, as
//! `file:line: sentence`, and loading reports *all* problems at once rather than the
//! first, so one `rules check` run gives the whole list to fix.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem at one place in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    /// 1-based; 0 when the problem concerns the file as a whole.
    pub line: usize,
    pub message: String,
}

impl Problem {
    pub fn new(file: impl Into<PathBuf>, line: usize, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
        }
    }
}

/// Every problem found in a load, in file and line order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn sorted(mut problems: Vec<Problem>) -> Self {
        problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        problems.dedup();
        Self(problems)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Problem> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// Maps byte offsets in a text to 1-based line numbers.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    pub fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

/// Reads a file, turning an I/O error into a [`Problem`] naming it (with its full path
/// when it was given relative to the working directory).
pub fn read_to_string(path: &Path) -> Result<String, Problem> {
    std::fs::read_to_string(path).map_err(|e| {
        Problem::new(
            path,
            0,
            format!("cannot read this file{}: {e}", full_path_note(path)),
        )
    })
}

/// ` (PATH)` with the absolute path of a relative `path`, so that a run from another
/// directory says where it looked; empty for an absolute path.
pub fn full_path_note(path: &Path) -> String {
    if path.is_absolute() {
        return String::new();
    }
    std::path::absolute(path)
        .map(|p| format!(" ({})", p.display()))
        .unwrap_or_default()
}

/// `e` and its sources, as `e: cause: its cause`, skipping a cause whose text the line
/// already holds (many errors repeat their source in their own message). An error
/// shown without its sources hides what actually failed ("Error while sending HTTP
/// request." for a refused connection and a host name that does not resolve alike).
pub fn with_causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        let more = more.trim_end_matches('.');
        if !more.is_empty() && !text.contains(more) {
            text = format!("{}: {more}", text.trim_end_matches('.'));
        }
        cause = c.source();
    }
    text
}

/// The candidate closest to `typed` within a few edits (two, or three for long names),
/// for "did you mean" hints; `None` when nothing is that close.
pub fn nearest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let most = if typed.chars().count() > 12 { 3 } else { 2 };
    candidates
        .into_iter()
        .filter(|c| *c != typed)
        .map(|c| (edit_distance(typed, c), c))
        .filter(|(d, _)| *d <= most)
        .min()
        .map(|(_, c)| c)
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_shown_once_each() {
        #[derive(Debug, thiserror::Error)]
        #[error("cannot reach it.")]
        struct Outer(#[source] Middle);
        #[derive(Debug, thiserror::Error)]
        #[error("request failed: {0}")]
        struct Middle(#[source] std::io::Error);
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let e = Outer(Middle(io));
        assert_eq!(with_causes(&e), "cannot reach it: request failed: refused");
    }

    #[test]
    fn nearest_finds_a_close_name_or_nothing() {
        let names = ["concern", "license_origin", "vm_disk"];
        assert_eq!(nearest("concer", names), Some("concern"));
        assert_eq!(nearest("licence_origin", names), Some("license_origin"));
        assert_eq!(nearest("colour", names), None);
        assert_eq!(nearest("concern", names), None, "not itself");
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn line_index_counts_from_one() {
        let idx = LineIndex::new("a\nbc\n\nd");
        assert_eq!(idx.line(0), 1);
        assert_eq!(idx.line(1), 1);
        assert_eq!(idx.line(2), 2);
        assert_eq!(idx.line(5), 3);
        assert_eq!(idx.line(6), 4);
    }
}

//! Backup and restore: `activation-check data export` and `data import`.
//!
//! An export is a text file of JSON lines, one record a line, so that it can be read,
//! compressed, diffed and checked with ordinary tools:
//!
//! ```text
//! {"format":"activation-check-export","version":1,"session_format":1,"exported_at":"…","build":"activation-check 0.1.0","rules":{"id":"…","version":"…","review_by":"…"},"while_running":true}
//! {"session":"g/1/2","record":{"format":1,"rules_version":"…","locale":"ja",…}}
//! {"tree":"json/posted_cards","key":"1234","value":{…}}
//! {"end":{"sessions":1,"entries":1,"left_out":0}}
//! ```
//!
//! The header names the export format (its version, and the session record format
//! inside), the build and the rules that wrote it; the closing line counts what came
//! before it, so a file cut short (a full backup disk, a copy interrupted) is refused
//! instead of restored in part. Sessions are written as their fields, not the store's
//! bytes, so a later build with another layout still reads them. Every other tree
//! (posted cards, usage figures, whatever a later build adds) is exported entry by entry
//! under its own name, values as JSON where they are JSON (keys re-encoded in sorted
//! order), as hex where they are not: nothing in the store is left out because this
//! build does not know what it means. The health probe's scratch tree is left out.
//!
//! **While the bot runs.** sled lets one process open a data directory, and the bot
//! holds it. So the running bot serves exports itself ([`serve`]), on a Unix socket in
//! its data directory that only its own user (and root) can open; `data export` opens the
//! directory when no bot holds it, and asks the bot through the socket when one does.
//! The bot reads the store at one moment ([`crate::store::SledStore::snapshot`]) and
//! streams the lines; clicks go on meanwhile (saving only queues in memory). Measured on
//! 10,000 sessions (tests/data.rs): see the README's "Backup and restore".
//!
//! Why a socket and not the metrics listener or a signal: the listener is optional, may
//! listen on a network address (in a container), and anyone who can reach it could read
//! every user's answers; a signal cannot say where to write or report failure. A socket
//! in the data directory is reachable exactly by whoever can read the data anyway.
//!
//! **Import** reads the file twice: first to check every line (an error names the file
//! and line, and nothing is written), then to write; it writes into an empty data
//! directory only, and makes everything durable with one flush at the end.
//!
//! **PostgreSQL** (`--store postgres://...`, the `serve` workers' shared store) exports
//! and imports the same format ([`export_snapshot`], [`write_into_postgres`]): a sled
//! export imports into PostgreSQL and back, which is how a bot moves from one machine to
//! many workers.

pub mod serve;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::session::{SessionKey, SessionRecord, SESSION_FORMAT};
use crate::store::{OpenError, SledStore, Snapshot, StoreOptions};

/// What the header's `format` says.
pub const FORMAT: &str = "activation-check-export";
/// The export format this build writes and the newest it reads.
pub const VERSION: u32 = 1;

/// The rules in force when the export was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesInfo {
    pub id: String,
    pub version: String,
    pub review_by: String,
}

impl RulesInfo {
    pub fn of(meta: &crate::rules::Meta) -> Self {
        Self {
            id: meta.id.clone(),
            version: meta.version.clone(),
            review_by: meta.review_by.clone(),
        }
    }
}

/// The first line of an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    /// The session record format of the sessions inside.
    pub session_format: u32,
    /// RFC 3339, UTC.
    pub exported_at: String,
    /// `activation-check <version>`.
    pub build: String,
    /// `None` when the exporting command could not load the rules.
    pub rules: Option<RulesInfo>,
    /// Served by a running bot (`true`) or read from a stopped one's directory.
    pub while_running: bool,
}

impl Header {
    /// The header of an export made now by this build.
    pub fn new(rules: Option<RulesInfo>, while_running: bool) -> Self {
        Self {
            format: FORMAT.to_owned(),
            version: VERSION,
            session_format: SESSION_FORMAT,
            exported_at: crate::card::rfc3339(crate::clock::unix_now()),
            build: concat!("activation-check ", env!("CARGO_PKG_VERSION")).to_owned(),
            rules,
            while_running,
        }
    }
}

/// What the closing line counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub sessions: usize,
    pub entries: usize,
    /// Session records the exporting build could not read (another format, damaged).
    pub left_out: usize,
}

/// The trees an export leaves out (sled names): the health probe's scratch tree.
pub fn leave_out() -> Vec<String> {
    vec![SledStore::json_tree_name(crate::ops::PROBE_TREE)]
}

/// Writes `snapshot` under `header` to `out`, the closing line last.
pub fn write<W: Write + ?Sized>(
    snapshot: &Snapshot,
    header: &Header,
    out: &mut W,
) -> io::Result<Counts> {
    put(out, header)?;
    for (key, record) in &snapshot.sessions {
        put(
            out,
            &SessionLine {
                session: key.encode(),
                record,
            },
        )?;
    }
    let mut entries = 0;
    for tree in &snapshot.trees {
        for (key, value) in &tree.entries {
            put(out, &entry_line(&tree.name, key, value))?;
            entries += 1;
        }
    }
    let counts = Counts {
        sessions: snapshot.sessions.len(),
        entries,
        left_out: snapshot.unreadable,
    };
    put(out, &json!({ "end": counts }))?;
    out.flush()?;
    Ok(counts)
}

/// A session's line: its key first, for a reader's eye.
#[derive(Serialize)]
struct SessionLine<'a> {
    session: String,
    record: &'a SessionRecord,
}

/// A tree entry's line: one of `key` and `key_hex`, one of `value` and `value_hex`.
#[derive(Serialize)]
struct EntryLine<'a> {
    tree: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_hex: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_hex: Option<String>,
}

/// One JSON line.
fn put<W: Write + ?Sized>(out: &mut W, line: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, line)?;
    out.write_all(b"\n")
}

/// One entry of a tree: the key as text where it is UTF-8, the value as JSON where it is
/// JSON, hex otherwise.
fn entry_line<'a>(tree: &'a str, key: &'a [u8], value: &[u8]) -> EntryLine<'a> {
    let text_key = std::str::from_utf8(key).ok();
    let json = serde_json::from_slice::<Value>(value).ok();
    EntryLine {
        tree,
        key: text_key,
        key_hex: text_key.is_none().then(|| hex(key)),
        value_hex: json.is_none().then(|| hex(value)),
        value: json,
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// One line of an export after the header.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Session(SessionKey, SessionRecord),
    Entry {
        tree: String,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    End(Counts),
}

/// Reads one line after the header; the error says what is wrong with it.
fn parse_line(text: &str) -> Result<Line, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not a JSON line ({e})"))?;
    let Some(obj) = v.as_object() else {
        return Err("not a JSON object".to_owned());
    };
    if let Some(key) = obj.get("session") {
        let key = key
            .as_str()
            .ok_or_else(|| "`session` is not a string".to_owned())?;
        let key = SessionKey::decode(key).ok_or_else(|| {
            format!("`{key}` is not a session key (g/SERVER/USER, dm/USER, term/USER)")
        })?;
        let record: SessionRecord =
            serde_json::from_value(obj.get("record").cloned().unwrap_or(Value::Null))
                .map_err(|e| format!("session {key}: not a session record ({e})"))?;
        if record.format != SESSION_FORMAT {
            return Err(format!(
                "session {key}: record format {}, this build reads format {SESSION_FORMAT}; \
                 import it with the activation-check that exported it, or a newer one",
                record.format
            ));
        }
        return Ok(Line::Session(key, record));
    }
    if let Some(tree) = obj.get("tree") {
        let tree = tree
            .as_str()
            .ok_or_else(|| "`tree` is not a string".to_owned())?
            .to_owned();
        let key = match (obj.get("key"), obj.get("key_hex")) {
            (Some(Value::String(k)), None) => k.as_bytes().to_vec(),
            (None, Some(Value::String(h))) => {
                unhex(h).ok_or_else(|| "`key_hex` is not hex".to_owned())?
            }
            _ => {
                return Err(format!(
                    "an entry of tree {tree:?} without one `key` or `key_hex`"
                ))
            }
        };
        let value = match (obj.get("value"), obj.get("value_hex")) {
            (Some(v), None) => serde_json::to_vec(v).map_err(|e| e.to_string())?,
            (None, Some(Value::String(h))) => {
                unhex(h).ok_or_else(|| "`value_hex` is not hex".to_owned())?
            }
            _ => {
                return Err(format!(
                    "an entry of tree {tree:?} without one `value` or `value_hex`"
                ))
            }
        };
        return Ok(Line::Entry { tree, key, value });
    }
    if let Some(end) = obj.get("end") {
        let counts: Counts = serde_json::from_value(end.clone())
            .map_err(|e| format!("the closing line does not count sessions and entries ({e})"))?;
        return Ok(Line::End(counts));
    }
    Err("neither a session, a tree entry nor the closing line".to_owned())
}

/// Checks an export's first line.
fn parse_header(text: &str) -> Result<Header, String> {
    let v: Value = serde_json::from_str(text).map_err(|_| not_an_export())?;
    if v.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(not_an_export());
    }
    let version = v.get("version").and_then(Value::as_u64).unwrap_or(0);
    let build = v
        .get("build")
        .and_then(Value::as_str)
        .unwrap_or("an unknown build");
    if version > u64::from(VERSION) {
        return Err(format!(
            "export format version {version} (written by {build}) is newer than this build \
             reads (version {VERSION}); import it with {build} or a newer activation-check"
        ));
    }
    let header: Header = serde_json::from_value(v.clone())
        .map_err(|e| format!("the header line is incomplete ({e})"))?;
    if header.session_format > SESSION_FORMAT {
        return Err(format!(
            "the sessions are in record format {} (written by {build}), newer than this build \
             reads (format {SESSION_FORMAT}); import it with {build} or a newer activation-check",
            header.session_format
        ));
    }
    Ok(header)
}

fn not_an_export() -> String {
    format!(
        "not an activation-check export: its first line must be a JSON header with \
         \"format\":\"{FORMAT}\" (made by `activation-check data export`)"
    )
}

/// Reads the export at `path` line by line, giving each line after the header to `each`,
/// and checks the closing line. Every error names the file and the line.
pub fn read(
    path: &Path,
    mut each: impl FnMut(Line) -> Result<(), String>,
) -> Result<(Header, Counts), String> {
    let file = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let at = |n: usize, why: String| format!("{}:{n}: {why}", path.display());
    let mut header = None;
    let mut seen = Counts::default();
    let mut end = None;
    let mut last = 0;
    for (i, text) in BufReader::new(file).lines().enumerate() {
        let n = i + 1;
        last = n;
        let text = text.map_err(|e| at(n, format!("cannot read this line: {e}")))?;
        if header.is_none() {
            header = Some(parse_header(&text).map_err(|e| at(n, e))?);
            continue;
        }
        if text.trim().is_empty() {
            continue;
        }
        if let Some(closing) = end {
            return Err(at(
                n,
                format!("a line after the closing line (line {closing})"),
            ));
        }
        match parse_line(&text).map_err(|e| at(n, e))? {
            Line::End(counts) => {
                if (counts.sessions, counts.entries) != (seen.sessions, seen.entries) {
                    return Err(at(
                        n,
                        format!(
                            "the closing line counts {} session(s) and {} entry(ies), the file \
                             holds {} and {}",
                            counts.sessions, counts.entries, seen.sessions, seen.entries
                        ),
                    ));
                }
                seen.left_out = counts.left_out;
                end = Some(n);
                each(Line::End(counts)).map_err(|e| at(n, e))?;
            }
            line => {
                match &line {
                    Line::Session(..) => seen.sessions += 1,
                    _ => seen.entries += 1,
                }
                each(line).map_err(|e| at(n, e))?;
            }
        }
    }
    let Some(header) = header else {
        return Err(at(1, format!("the file is empty; {}", not_an_export())));
    };
    if end.is_none() {
        return Err(at(
            last,
            "the export ends here without its closing line: it was cut short (copy it \
             again, or take a new export)"
                .to_owned(),
        ));
    }
    Ok((header, seen))
}

/// What an import wrote.
#[derive(Debug, Clone)]
pub struct Imported {
    pub header: Header,
    pub counts: Counts,
}

/// Checks the export at `path` whole, without writing anything: the first error, with
/// the file and line.
pub fn check(path: &Path) -> Result<(Header, Counts), String> {
    read(path, |_| Ok(()))
}

/// [`check`]s the export at `path`, then [`write_into`] `store`.
pub fn import(path: &Path, store: &SledStore) -> Result<Imported, String> {
    check(path)?;
    write_into(path, store)
}

/// Writes the export at `path`, already [`check`]ed, into `store`, which must be empty,
/// and makes it durable.
pub fn write_into(path: &Path, store: &SledStore) -> Result<Imported, String> {
    let (sessions, entries) = store.contents(&leave_out()).map_err(|e| {
        format!(
            "cannot read the data directory {}: {e}",
            store.dir().display()
        )
    })?;
    if sessions + entries > 0 {
        return Err(format!(
            "the data directory {} is not empty (it holds {sessions} session(s) and {entries} \
             other record(s)); import only into an empty one: stop the bot, move the directory \
             aside (or pass another --data-dir), and import again",
            store.dir().display()
        ));
    }
    let (header, counts) = read(path, |line| {
        match line {
            Line::Session(key, record) => store.restore_session(&key, &record),
            Line::Entry { tree, key, value } => store.restore_entry(&tree, &key, &value),
            Line::End(_) => Ok(()),
        }
        .map_err(|e| format!("cannot write it into {}: {e}", store.dir().display()))
    })?;
    store
        .flush()
        .map_err(|e| format!("cannot write into {}: {e}", store.dir().display()))?;
    Ok(Imported { header, counts })
}

/// Writes the export at `path`, already [`check`]ed, into the PostgreSQL store `pg`,
/// which must hold no session, posted card or usage figure: in one transaction, so all
/// of it or nothing.
pub async fn write_into_postgres(
    path: &Path,
    pg: &crate::store::postgres::PgStore,
) -> Result<Imported, String> {
    use crate::store::postgres::Restore;
    let (tx, rx) = tokio::sync::mpsc::channel(1024);
    let file = path.to_owned();
    // The file is read on a thread of its own, line by line, into the transaction.
    let reading = tokio::task::spawn_blocking(move || {
        read(&file, |line| {
            let item = match line {
                Line::Session(key, record) => Restore::Session(key, record),
                Line::Entry { tree, key, value } => Restore::Entry { tree, key, value },
                Line::End(_) => Restore::End,
            };
            tx.blocking_send(item)
                .map_err(|_| "the import stopped (see the error below)".to_owned())
        })
    });
    let written = pg.restore(rx).await;
    let read = reading
        .await
        .map_err(|e| format!("reading {} did not finish: {e}", path.display()))?;
    written.map_err(|e| format!("cannot import into PostgreSQL at {}: {e}", pg.target()))?;
    let (header, counts) = read?;
    Ok(Imported { header, counts })
}

/// What an export wrote, and whether the running bot served it.
#[derive(Debug, Clone, Copy)]
pub struct Exported {
    pub counts: Counts,
    pub from_running_bot: bool,
}

/// Exports the data directory `dir` to `out` (`-` for standard output): read directly
/// when no bot holds it, asked of the running bot otherwise. A file is written under a
/// temporary name and renamed once complete, readable by its owner only.
pub fn export(
    dir: &Path,
    options: StoreOptions,
    rules: Option<RulesInfo>,
    out: &Path,
) -> Result<Exported, String> {
    if !dir.join("db").is_file() {
        return Err(format!(
            "there is no data in {} (no store was ever written there); check --data-dir \
             (or ACTIVATION_CHECK_DATA_DIR)",
            dir.display()
        ));
    }
    // A process that has just let go of the directory (a bot stopping, a command
    // ending) holds sled's lock a moment longer: without a socket to ask, the lock is
    // waited for a little.
    let patience = std::time::Instant::now() + Duration::from_secs(3);
    let source = loop {
        match SledStore::open(dir, options.clone()) {
            Ok(store) => break Source::Store(store),
            Err(OpenError::Locked { .. })
                if !serve::socket_path(dir).exists() && std::time::Instant::now() < patience =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(OpenError::Locked { .. }) => break Source::RunningBot,
            Err(e) => return Err(e.to_string()),
        }
    };
    let write_to = |w: &mut dyn Write| -> Result<Exported, String> {
        match &source {
            Source::Store(store) => {
                let snapshot = store.snapshot(&leave_out()).map_err(|e| {
                    format!("cannot read the data directory {}: {e}", dir.display())
                })?;
                let counts = write(&snapshot, &Header::new(rules.clone(), false), w)
                    .map_err(|e| format!("cannot write the export: {e}"))?;
                Ok(Exported {
                    counts,
                    from_running_bot: false,
                })
            }
            Source::RunningBot => serve::fetch(dir, w).map(|counts| Exported {
                counts,
                from_running_bot: true,
            }),
        }
    };
    to_out(out, write_to)
}

/// Exports `snapshot`, read by the caller from a store of its own (PostgreSQL: see
/// `crate::store::postgres`), to `out` as [`export`] writes: the same lines, so an
/// export of either store imports into the other.
pub fn export_snapshot(
    snapshot: &Snapshot,
    rules: Option<RulesInfo>,
    out: &Path,
) -> Result<Exported, String> {
    to_out(out, |w| {
        let counts = write(snapshot, &Header::new(rules, false), w)
            .map_err(|e| format!("cannot write the export: {e}"))?;
        Ok(Exported {
            counts,
            from_running_bot: false,
        })
    })
}

/// Runs `write_to` on `out` (`-` for standard output); a file is written under a
/// temporary name and renamed once complete, readable by its owner only.
fn to_out(
    out: &Path,
    write_to: impl FnOnce(&mut dyn Write) -> Result<Exported, String>,
) -> Result<Exported, String> {
    if out == Path::new("-") {
        let stdout = io::stdout();
        let mut w = io::BufWriter::new(stdout.lock());
        return write_to(&mut w);
    }
    let partial = partial_name(out);
    let file =
        create_private(&partial).map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
    let mut w = io::BufWriter::new(file);
    let result = write_to(&mut w).and_then(|exported| {
        let file = w
            .into_inner()
            .map_err(|e| format!("cannot write {}: {}", partial.display(), e.error()))?;
        file.sync_all()
            .map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
        std::fs::rename(&partial, out).map_err(|e| {
            format!(
                "cannot rename {} to {}: {e}",
                partial.display(),
                out.display()
            )
        })?;
        Ok(exported)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

enum Source {
    Store(SledStore),
    RunningBot,
}

/// `FILE.partial` beside `FILE`.
fn partial_name(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    out.with_file_name(name)
}

/// A new file readable and writable by its owner only (an export holds user ids).
fn create_private(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Result<Line, String> {
        parse_line(text)
    }

    #[test]
    fn lines_round_trip_and_bad_ones_say_why() {
        let record = SessionRecord::new("2026.12.06", "ja", 1_780_000_000);
        let key = SessionKey::decode("g/1/2").unwrap();
        let text = serde_json::to_string(&json!({"session": "g/1/2", "record": record})).unwrap();
        assert_eq!(one(&text), Ok(Line::Session(key, record.clone())));

        let entry =
            serde_json::to_string(&entry_line("json/figures", b"k", br#"{"n":3}"#)).unwrap();
        assert_eq!(
            one(&entry),
            Ok(Line::Entry {
                tree: "json/figures".into(),
                key: b"k".to_vec(),
                value: br#"{"n":3}"#.to_vec()
            })
        );
        let raw = serde_json::to_string(&entry_line("raw", &[0xff, 0], &[1, 2, 0xfe])).unwrap();
        assert!(raw.contains("\"key_hex\":\"ff00\""), "{raw}");
        assert_eq!(
            one(&raw),
            Ok(Line::Entry {
                tree: "raw".into(),
                key: vec![0xff, 0],
                value: vec![1, 2, 0xfe]
            })
        );

        let mut newer = serde_json::to_value(&record).unwrap();
        newer["format"] = 2.into();
        let e = one(&json!({"session": "g/1/2", "record": newer}).to_string()).unwrap_err();
        assert!(
            e.starts_with("session g/1/2: record format 2, this build reads format 1"),
            "{e}"
        );
        for (line, says) in [
            (
                "{\"session\":\"x\",\"record\":{}}",
                "`x` is not a session key",
            ),
            ("[1]", "not a JSON object"),
            ("{\"what\":1}", "neither a session"),
            (
                "{\"tree\":\"t\",\"key\":\"k\",\"value_hex\":\"zz\"}",
                "`value_hex` is not hex",
            ),
        ] {
            let e = one(line).unwrap_err();
            assert!(e.contains(says), "{line}: {e}");
        }
    }

    #[test]
    fn a_newer_header_is_refused_naming_the_build_that_wrote_it() {
        let mut h = serde_json::to_value(Header::new(None, false)).unwrap();
        assert!(parse_header(&h.to_string()).is_ok());
        h["version"] = 2.into();
        h["build"] = "activation-check 9.0.0".into();
        let e = parse_header(&h.to_string()).unwrap_err();
        assert!(
            e.starts_with("export format version 2 (written by activation-check 9.0.0) is newer"),
            "{e}"
        );
        assert!(parse_header("{\"format\":\"something-else\"}")
            .unwrap_err()
            .starts_with("not an activation-check export"));
    }
}

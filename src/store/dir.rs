//! The data directory: what is refused before sled touches it (a file, a foreign
//! directory), what sled left behind when it refused to open, and sled's errors told
//! apart for the operator ([`OpenError`]).

use std::io;
use std::path::{Path, PathBuf};

/// Why the data directory could not be opened. The `Display` text is written for the
/// operator and names the directory.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Another process (normally another instance of the bot) holds sled's lock on the
    /// directory.
    #[error(
        "another activation-check instance is using the data directory {}; \
         stop it or pass a different --data-dir",
        .dir.display()
    )]
    Locked { dir: PathBuf },
    /// The path exists but is not a directory.
    #[error(
        "the data directory {} is a file, not a directory; pass a directory to --data-dir",
        .dir.display()
    )]
    NotADirectory { dir: PathBuf },
    /// The directory holds files that the store did not write; it was left untouched.
    #[error(
        "the data directory {} is not empty and is not an activation-check data directory \
         (it contains {entry:?}); it was left untouched: pass an empty or new directory to \
         --data-dir",
        .dir.display()
    )]
    NotAStore { dir: PathBuf, entry: String },
    /// The directory could not be read or written.
    #[error("cannot open the data directory {}: {source}", .dir.display())]
    Io { dir: PathBuf, source: io::Error },
    /// The store's files are damaged or were written by an incompatible sled version.
    #[error(
        "the data directory {} is damaged or was written by an incompatible version ({cause}); \
         move it aside or pass a different --data-dir",
        .dir.display()
    )]
    Corrupt { dir: PathBuf, cause: String },
}

/// Entries sled itself creates in its directory. A directory holding anything else is
/// not ours. `lost+found` is allowed so a dedicated volume's root can be the data dir.
pub(super) fn is_sled_entry(name: &str) -> bool {
    matches!(name, "blobs" | "conf" | "db" | "lost+found") || name.starts_with("snap.")
}

/// The names in `dir`, or `None` if it cannot be listed (say, it does not exist yet).
pub(super) fn entries(dir: &Path) -> Option<Vec<std::ffi::OsString>> {
    let listing = std::fs::read_dir(dir).ok()?;
    Some(
        listing
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect(),
    )
}

/// After sled refused to open `dir`, removes what it created there before refusing
/// (it makes `blobs/` before it reads `conf`, and writes `conf` before it finds that
/// `db` cannot be opened), so a damaged directory is left exactly as it was found. Only
/// entries that were not there before the attempt and bear sled's names are removed
/// (directories only when empty); [`check_dir`] already refused any other content.
pub(super) fn undo_new_entries(dir: &Path, before: &Option<Vec<std::ffi::OsString>>) {
    let Some(before) = before else {
        return;
    };
    for name in entries(dir).unwrap_or_default() {
        if before.contains(&name) || !is_sled_entry(&name.to_string_lossy()) {
            continue;
        }
        let path = dir.join(&name);
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let removed = if meta.is_dir() {
            std::fs::remove_dir(&path)
        } else if meta.is_file() {
            std::fs::remove_file(&path)
        } else {
            continue;
        };
        if let Err(e) = removed {
            tracing::warn!(path = %path.display(), error = %e, "could not remove what sled created");
        }
    }
}

/// Refuses, without writing anything, a path sled must not be pointed at.
pub(super) fn check_dir(dir: &Path) -> Result<(), OpenError> {
    let io_error = |source| OpenError::Io {
        dir: dir.to_path_buf(),
        source,
    };
    let meta = match std::fs::metadata(dir) {
        Ok(meta) => meta,
        // sled creates it (and its parents).
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error(e)),
    };
    if !meta.is_dir() {
        return Err(OpenError::NotADirectory {
            dir: dir.to_path_buf(),
        });
    }
    for entry in std::fs::read_dir(dir).map_err(io_error)? {
        let name = entry.map_err(io_error)?.file_name();
        let name = name.to_string_lossy();
        if !is_sled_entry(&name) {
            return Err(OpenError::NotAStore {
                dir: dir.to_path_buf(),
                entry: name.into_owned(),
            });
        }
    }
    Ok(())
}

/// sled 0.34.7 reports a held lock as `Error::Io` of kind `Other` whose message is
/// `could not acquire lock on "<dir>/db": <Debug of the OS error>`; the OS error is
/// `WouldBlock` (EWOULDBLOCK from `flock(LOCK_EX | LOCK_NB)`) on Unix and
/// `ERROR_LOCK_VIOLATION` (33) on Windows. Any other lock failure (say, a file system
/// without locks) is not "another instance" and is reported as an I/O error.
pub(super) fn is_lock_contention(e: &io::Error) -> bool {
    if e.kind() == io::ErrorKind::WouldBlock {
        return true;
    }
    let message = e.to_string();
    e.kind() == io::ErrorKind::Other
        && message.starts_with("could not acquire lock")
        && (message.contains("WouldBlock") || message.contains("code: 33,"))
}

pub(super) fn open_error(dir: &Path, e: sled::Error) -> OpenError {
    let dir = dir.to_path_buf();
    match e {
        sled::Error::Io(e) if is_lock_contention(&e) => OpenError::Locked { dir },
        sled::Error::Io(source) => OpenError::Io { dir, source },
        sled::Error::Corruption { at, .. } => OpenError::Corrupt {
            dir,
            cause: match at {
                Some(at) => format!("corrupt data at {at:?}"),
                None => "corrupt conf file".to_owned(),
            },
        },
        other => OpenError::Corrupt {
            dir,
            cause: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::{SledStore, StoreOptions};
    use super::*;

    #[test]
    fn second_open_in_the_same_process_is_refused_as_locked() {
        let dir = tempfile::tempdir().unwrap();
        let first = SledStore::open(dir.path(), StoreOptions::default()).unwrap();
        let err = SledStore::open(dir.path(), StoreOptions::default()).unwrap_err();
        assert!(matches!(err, OpenError::Locked { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "another activation-check instance is using the data directory {}; \
                 stop it or pass a different --data-dir",
                dir.path().display()
            )
        );
        drop(first);
        SledStore::reopen_for_test(dir.path(), StoreOptions::default);
    }

    const LOCK_PROBE_ENV: &str = "ACTIVATION_CHECK_STORE_LOCK_PROBE_DIR";
    const LOCK_PROBE_MARK: &str = "LOCK-PROBE-RESULT:";

    /// Run by `second_open_from_another_process_is_refused_as_locked` in a child process.
    #[test]
    #[ignore = "helper: run in a child process by another test"]
    fn lock_probe_child() {
        let Some(dir) = std::env::var_os(LOCK_PROBE_ENV) else {
            return;
        };
        match SledStore::open(Path::new(&dir), StoreOptions::default()) {
            Ok(_) => println!("{LOCK_PROBE_MARK} opened"),
            Err(e @ OpenError::Locked { .. }) => println!("{LOCK_PROBE_MARK} locked: {e}"),
            Err(e) => println!("{LOCK_PROBE_MARK} other: {e}"),
        }
    }

    fn run_lock_probe(dir: &Path) -> String {
        // Test names are module paths without the crate name. The harness prints the
        // probe's line after the test's name, so the mark is looked for anywhere.
        let module = module_path!().split_once("::").unwrap().1;
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", &format!("{module}::lock_probe_child")])
            .args(["--ignored", "--nocapture", "--test-threads=1"])
            .env(LOCK_PROBE_ENV, dir)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "child failed: {stdout}");
        stdout
            .lines()
            .find_map(|l| l.split_once(LOCK_PROBE_MARK).map(|(_, rest)| rest))
            .unwrap_or_else(|| panic!("child did not run the probe: {stdout}"))
            .trim()
            .to_owned()
    }

    #[test]
    fn second_open_from_another_process_is_refused_as_locked() {
        let dir = tempfile::tempdir().unwrap();
        let first = SledStore::open(dir.path(), StoreOptions::default()).unwrap();
        assert_eq!(
            run_lock_probe(dir.path()),
            format!(
                "locked: another activation-check instance is using the data directory {}; \
                 stop it or pass a different --data-dir",
                dir.path().display()
            )
        );
        drop(first);
        // Other tests' child processes may hold the lock for a moment (see `SledStore::reopen_for_test`).
        let mut probe = run_lock_probe(dir.path());
        for _ in 0..50 {
            if probe != "opened" {
                std::thread::sleep(Duration::from_millis(100));
                probe = run_lock_probe(dir.path());
            }
        }
        assert_eq!(probe, "opened");
    }

    #[test]
    fn lock_contention_is_told_from_other_lock_failures() {
        let held = io::Error::other(
            r#"could not acquire lock on "/d/db": Os { code: 11, kind: WouldBlock, message: "Resource temporarily unavailable" }"#,
        );
        assert!(is_lock_contention(&held));
        let unsupported = io::Error::other(
            r#"could not acquire lock on "/d/db": Os { code: 37, kind: Uncategorized, message: "No locks available" }"#,
        );
        assert!(!is_lock_contention(&unsupported));
        assert!(!is_lock_contention(&io::Error::other(
            "something else WouldBlock"
        )));
    }

    #[test]
    fn open_refuses_files_and_foreign_directories_untouched() {
        let parent = tempfile::tempdir().unwrap();

        let file = parent.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        let err = SledStore::open(&file, StoreOptions::default()).unwrap_err();
        assert!(matches!(err, OpenError::NotADirectory { .. }), "{err:?}");
        assert!(err.to_string().contains(&file.display().to_string()));
        assert_eq!(std::fs::read(&file).unwrap(), b"x");

        let home = parent.path().join("home");
        std::fs::create_dir(&home).unwrap();
        std::fs::write(home.join("notes.txt"), b"keep").unwrap();
        let err = SledStore::open(&home, StoreOptions::default()).unwrap_err();
        assert!(matches!(err, OpenError::NotAStore { .. }), "{err:?}");
        assert!(err.to_string().contains("notes.txt"), "{err}");
        let entries: Vec<_> = std::fs::read_dir(&home)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(entries, ["notes.txt"]);

        // A new directory, parents included, is created.
        let fresh = parent.path().join("a/b/data");
        SledStore::open(&fresh, StoreOptions::default()).unwrap();
    }

    #[test]
    fn open_reports_damaged_directories() {
        let parent = tempfile::tempdir().unwrap();

        // sled's `conf` replaced by garbage.
        let bad_conf = parent.path().join("bad-conf");
        std::fs::create_dir(&bad_conf).unwrap();
        std::fs::write(bad_conf.join("conf"), b"definitely not a sled conf").unwrap();
        let err = SledStore::open(&bad_conf, StoreOptions::default()).unwrap_err();
        assert!(matches!(err, OpenError::Corrupt { .. }), "{err:?}");
        assert!(err.to_string().contains(&bad_conf.display().to_string()));
        assert_eq!(
            std::fs::read(bad_conf.join("conf")).unwrap(),
            b"definitely not a sled conf"
        );

        // `db` is a directory.
        let db_dir = parent.path().join("db-dir");
        std::fs::create_dir_all(db_dir.join("db")).unwrap();
        let err = SledStore::open(&db_dir, StoreOptions::default()).unwrap_err();
        assert!(matches!(err, OpenError::Io { .. }), "{err:?}");
        assert!(err.to_string().starts_with(&format!(
            "cannot open the data directory {}: ",
            db_dir.display()
        )));
    }
}

//! Storage faults: a full disk, a damaged or foreign data directory at startup, and
//! records written by a future version.
//!
//! - Full disk: the data directory lives on a small tmpfs mounted for the test (we run as
//!   root, here and in CI), and a filler file takes every free byte. The write that needs
//!   new space fails (in the bot, a group of sessions written behind a reply); from then
//!   on each step is saved before its reply, so the user's next click is told
//!   `error-save` (en-US and ja), nothing changes, the bot stays up, and once the filler
//!   is removed the same button works. sled 0.34.7 poisons itself after a failed write
//!   (every later operation fails with the same error), so this needs the store to reopen
//!   itself (see `src/store/`).
//! - A damaged or foreign data directory at startup: exit 1 with a sentence naming the
//!   directory, and the directory byte-for-byte as it was. (Root ignores permissions, so
//!   an unreadable directory is not among the cases.)
//! - A record in a format this build does not know: one log line, treated as absent,
//!   and the user simply starts fresh.

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use activation_check::session::{Scope, SessionKey, SessionRecord, SessionStore};
use support::store::open_store;

use support::standin::StandIn;
use support::walks::*;

// ---------------------------------------------------------------------------------------
// A small file system that can be filled
// ---------------------------------------------------------------------------------------

/// A tmpfs of `size` mounted on a temporary directory; unmounted when dropped.
struct SmallDisk {
    mnt: PathBuf,
    _parent: tempfile::TempDir,
}

impl SmallDisk {
    /// `None` (with a note) where this process may not mount, i.e. is not root.
    fn mount(size: &str) -> Option<SmallDisk> {
        let uid = Command::new("id").arg("-u").output().ok()?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            eprintln!("SKIPPED: mounting a tmpfs for the full-disk test needs root");
            return None;
        }
        let parent = tempfile::tempdir().unwrap();
        let mnt = parent.path().join("mnt");
        std::fs::create_dir(&mnt).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&mnt)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "running as root, yet mounting a tmpfs failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(SmallDisk {
            mnt,
            _parent: parent,
        })
    }

    fn filler(&self) -> PathBuf {
        self.mnt.join("filler")
    }

    /// Takes every free byte; returns how many were taken.
    fn fill(&self) -> u64 {
        let mut f = std::fs::File::create(self.filler()).unwrap();
        let chunk = vec![0xa5u8; 4096];
        let mut written = 0u64;
        loop {
            match f.write(&chunk) {
                Ok(0) => break,
                Ok(n) => written += n as u64,
                Err(e) if e.raw_os_error() == Some(28) => break,
                Err(e) => panic!("filling the disk: {e}"),
            }
        }
        // Partial pages too: byte by byte until nothing more fits.
        while let Ok(1) = f.write(&[0]) {
            written += 1;
        }
        written
    }

    fn free(&self) {
        std::fs::remove_file(self.filler()).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.mnt).status();
    }
}

fn record(now: i64, answers: usize) -> SessionRecord {
    let mut r = SessionRecord::new("2026.11.21", "en-US", now);
    for i in 0..answers {
        r.answers.push(activation_check::session::Answer {
            node: format!("node-{i}"),
            value: "x".repeat(200),
        });
    }
    r.step = answers as u64;
    r
}

#[tokio::test]
async fn the_store_refuses_writes_on_a_full_disk_and_recovers_when_space_returns() {
    let Some(disk) = SmallDisk::mount("4m") else {
        return;
    };
    let dir = disk.mnt.join("data");
    let store = open_store(&dir);
    let key = SessionKey::new(Scope::Dm, "1");
    let now = store.now();
    store.put(&key, &record(now, 1)).await.unwrap();
    let taken = disk.fill();
    assert!(taken > 0);

    // Writes until one needs new space (the first few may fit in pages sled has already
    // written to); every write either succeeds durably or fails and changes nothing.
    let mut failed_at = None;
    for i in 2..200 {
        match store.put(&key, &record(now, i)).await {
            Ok(()) => assert_eq!(store.get(&key).unwrap().unwrap().step, i as u64),
            Err(e) => {
                assert!(
                    e.to_string().starts_with("could not save the session"),
                    "{e}"
                );
                failed_at = Some(i);
                break;
            }
        }
    }
    let failed_at = failed_at.expect("a full disk makes a write fail");
    // Nothing changed: the failed record is never read back. (sled must write to open
    // its directory again, so while the disk is full the store may refuse reads too,
    // as a failed save.)
    let kept = store.get(&key);
    match &kept {
        Ok(Some(r)) => assert_eq!(r.step, failed_at as u64 - 1),
        Err(e) => assert!(e.to_string().starts_with("could not save"), "{e}"),
        Ok(None) => panic!("the saved record is gone"),
    }
    // Still full: still refused, never a panic.
    assert!(store.put(&key, &record(now, 999)).await.is_err());

    disk.free();
    // Space is back: the last saved record is there, the failed ones are not.
    assert_eq!(
        store.get(&key).unwrap().unwrap().step,
        failed_at as u64 - 1,
        "nothing changed"
    );
    // Space is back: the store works again without a restart.
    store.put(&key, &record(now, 1000)).await.unwrap();
    assert_eq!(store.get(&key).unwrap().unwrap().step, 1000);
    let other = SessionKey::new(Scope::Dm, "2");
    store.put(&other, &record(now, 1)).await.unwrap();
    drop(store);
    let store = open_store(&dir);
    assert_eq!(store.get(&key).unwrap().unwrap().step, 1000, "durable");
    assert!(store.get(&other).unwrap().is_some());
    println!(
        "full disk: the write at step {failed_at} failed; recovered after freeing {taken} bytes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_gets_error_save_and_the_bot_recovers() {
    let standin = StandIn::start().await;
    let mut tried = 0;
    // One small disk per language: on a fresh store the first write that needs a new
    // page fails within a few clicks. (After recovering, sled pads its segment, so the
    // next failure would take a segment's worth of clicks.)
    for (n, locale) in ["en-US", "ja"].into_iter().enumerate() {
        let Some(disk) = SmallDisk::mount("4m") else {
            return;
        };
        let dir = disk.mnt.join("data");
        std::fs::create_dir(&dir).unwrap();
        // The bot's log goes next to the data directory's name, so off the small disk.
        let log_dir = tempfile::tempdir().unwrap();
        let data_link = log_dir.path().join("data");
        std::os::unix::fs::symlink(&dir, &data_link).unwrap();
        let mut bot = Bot::start(&standin, &data_link).await;
        let user = 932_000_000_000_000_001 + n as u64;
        let mut shown = slash(&standin, user, locale, false).await;
        disk.fill();
        // Answer, Back, Answer, ... until a save needs new space and fails. The clicks are
        // paced so that each one's session is written (behind its reply) on its own, as
        // when people click, rather than many in one group.
        let mut refused = None;
        for _ in 0..60 {
            tried += 1;
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            // The first question has a (disabled) Back button too.
            let id = support::buttons::answer_button(&shown.custom_ids(), "concern", 0)
                .unwrap_or_else(|| verb_id(&shown, 'b'));
            let m = click(&standin, &shown, &id, user, locale).await;
            if m.id != shown.id {
                refused = Some((m, id));
                break;
            }
            shown = m;
        }
        let (m, id) =
            refused.unwrap_or_else(|| panic!("a click on a full disk is refused:\n{}", bot.log()));
        assert_eq!(m.content(), text(locale, "error-save"), "{locale}");
        assert!(m.is_ephemeral());
        // Nothing changed: the message still shows the state before the click.
        assert_eq!(
            title(&standin.message(shown.id).unwrap()),
            title(&shown),
            "the conversation did not move"
        );
        // Still full: refused again, never a panic.
        let again = click(&standin, &shown, &id, user, locale).await;
        assert_eq!(again.content(), text(locale, "error-save"), "{locale}");
        bot.assert_alive();

        disk.free();
        // The same button now works, without a restart, and the next one too.
        let moved = click(&standin, &shown, &id, user, locale).await;
        assert_eq!(moved.id, shown.id, "updated in place: {}", moved.content());
        assert_ne!(title(&moved), title(&shown), "moved on");
        let next = support::buttons::answer_button(&moved.custom_ids(), "concern", 0)
            .unwrap_or_else(|| verb_id(&moved, 'b'));
        let after = click(&standin, &moved, &next, user, locale).await;
        assert_eq!(after.id, shown.id);
        bot.assert_alive();
        let log = strip_ansi(&bot.log());
        assert!(!log.contains("panicked"), "{log}");
        assert_eq!(
            bot.log_lines_mentioning(&user.to_string()).len(),
            2,
            "one log line per refused click:\n{log}"
        );
        assert!(
            log.contains("reopened the store after a storage error"),
            "{log}"
        );
        drop(bot);
    }
    println!("full disk via the bot: {tried} clicks on a full disk, 2 refused with error-save (1 per language) and 2 more while still full, all recovered");
}

// ---------------------------------------------------------------------------------------
// A damaged or foreign data directory at startup
// ---------------------------------------------------------------------------------------

/// Every entry under `root` (relative path → kind and content), to compare before/after.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let meta = std::fs::symlink_metadata(root).unwrap();
    if meta.is_file() {
        out.insert(
            PathBuf::new(),
            format!("file {:?}", std::fs::read(root).unwrap()),
        );
        return out;
    }
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                out.insert(rel, "dir".to_owned());
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.insert(
                    rel,
                    format!("file {} bytes, fnv {:016x}", bytes.len(), fnv(&bytes)),
                );
            }
        }
    }
    out
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `activation-check <args> --data-dir <dir>` without network: the store is opened
/// before anything connects, and the API base points nowhere.
fn run_on(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_activation-check"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("DISCORD_TOKEN", "never-used-token")
        .env("DISCORD_API_BASE", "http://127.0.0.1:9")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// A real store's directory, written through the library.
fn real_store(dir: &Path) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let store = open_store(dir);
    rt.block_on(store.put(&SessionKey::new(Scope::Dm, "5"), &record(store.now(), 1)))
        .unwrap();
    store.flush().unwrap();
}

#[test]
fn a_damaged_or_foreign_data_directory_is_refused_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    type Setup = fn(&Path);
    let cases: [(&str, Setup, &str); 6] = [
        (
            "a file where the directory should be",
            |p| std::fs::write(p, b"just a file").unwrap(),
            "is a file, not a directory",
        ),
        (
            "a directory of someone else's files",
            |p| {
                std::fs::create_dir_all(p.join("photos")).unwrap();
                std::fs::write(p.join("notes.txt"), b"keep me").unwrap();
                std::fs::write(p.join("photos/cat.jpg"), [0xff, 0xd8, 0xff]).unwrap();
            },
            "is not an activation-check data directory",
        ),
        (
            "a garbage conf",
            |p| {
                std::fs::create_dir_all(p).unwrap();
                std::fs::write(p.join("conf"), b"\x00\x01garbage\xff").unwrap();
            },
            "is damaged or was written by an incompatible version",
        ),
        (
            "a store whose conf was replaced by garbage",
            |p| {
                real_store(p);
                std::fs::write(p.join("conf"), b"segment_size: lots\n").unwrap();
            },
            "is damaged or was written by an incompatible version",
        ),
        (
            "db is a directory",
            |p| std::fs::create_dir_all(p.join("db")).unwrap(),
            "cannot open the data directory",
        ),
        (
            "a store with a file among sled's",
            |p| {
                real_store(p);
                std::fs::write(p.join("README"), b"mine").unwrap();
            },
            "is not an activation-check data directory",
        ),
    ];
    for (n, (name, setup, says)) in cases.iter().enumerate() {
        let dir = root.join(format!("case{n}"));
        setup(&dir);
        let before = snapshot(&dir);
        for args in [&["run"][..], &["sessions", "forget", "--user", "5"][..]] {
            let out = run_on(&dir, args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{name} ({args:?}): {err}");
            assert!(
                err.contains(&dir.display().to_string()) && err.contains(says),
                "{name} ({args:?}): the sentence names the directory and says {says:?}: {err}"
            );
            assert!(!err.contains("panicked"), "{name}: {err}");
            // sled may log what it found first; the bot's own sentence comes once.
            assert_eq!(
                err.lines()
                    .filter(|l| l.starts_with("activation-check: "))
                    .count(),
                1,
                "{name} ({args:?}): one sentence: {err}"
            );
            assert_eq!(snapshot(&dir), before, "{name} ({args:?}): left untouched");
        }
    }
}

// ---------------------------------------------------------------------------------------
// A record from a future version
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_from_a_future_version_is_treated_as_expired() {
    let users = [
        (932_000_000_000_000_100u64, "en-US", 7u32),
        (932_000_000_000_000_101u64, "ja", 2u32),
    ];
    let standin = StandIn::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    {
        let store = open_store(&dir);
        for (user, _, format) in users {
            let mut future = record(store.now(), 2);
            future.format = format;
            future.answers[0].node = "concern".into();
            store
                .put(
                    &SessionKey::new(Scope::Guild(GUILD), user.to_string()),
                    &future,
                )
                .await
                .unwrap();
        }
        store.flush().unwrap();
    }
    let mut bot = Bot::start(&standin, &dir).await;
    for (user, locale, _) in users {
        let q1 = slash(&standin, user, locale, false).await;
        let resume = text(locale, "resume-title");
        assert!(
            !title(&q1).contains(&resume)
                && !q1.custom_ids().iter().any(|i| i.starts_with("ac1:c:")),
            "{locale}: no resume offer for a record it cannot read: {}",
            title(&q1)
        );
        let q2 = answer(&standin, &q1, "concern", 0, user, locale).await;
        assert_eq!(q2.id, q1.id, "the fresh conversation works");
        assert_ne!(title(&q2), title(&q1));
    }
    bot.assert_alive();
    let log = bot.log();
    assert!(!log.contains("panicked"), "{log}");
    for (user, _, format) in users {
        let lines = bot.log_lines_mentioning(&user.to_string());
        assert_eq!(
            lines.len(),
            1,
            "one log line for the unknown record:\n{log}"
        );
        assert!(
            lines[0].contains("format this build does not understand")
                && lines[0].contains(&format!("format={format}")),
            "{}",
            lines[0]
        );
    }
    // Stopped as a supervisor stops it, so the sessions saved for later are written.
    bot.stop();
    // The fresh conversations replaced them.
    let store = open_store(&dir);
    for (user, _, _) in users {
        let now = store
            .get(&SessionKey::new(Scope::Guild(GUILD), user.to_string()))
            .unwrap()
            .expect("a fresh session in this build's format");
        assert_eq!(now.format, activation_check::session::SESSION_FORMAT);
        assert_eq!(now.answers.len(), 1);
    }
}

//! Backup and restore with the real binary (`data export`, `data import`):
//!
//! - 10,000 sessions, posted cards and a usage-figures tree round-trip through an export
//!   and an import into a new directory: the same sessions and entries come back, the
//!   expiry index is rebuilt, and an export of the copy is the same file;
//! - the running bot serves an export (it holds the directory) with the session of a
//!   conversation it just had and the card it posted, and a stopped bot's directory is
//!   read directly;
//! - an import refuses a non-empty directory, a newer export or record format, a damaged
//!   line and a file cut short, naming the file and line, and writes nothing then;
//! - `deploy/activation-check-backup.service` runs the export as the bot's user on the
//!   bot's data directory.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::time::Instant;

use activation_check::clock::unix_now;
use activation_check::discord::registry::{PostedCard, Registry};
use activation_check::session::{
    Answer, Scope, SessionKey, SessionRecord, SessionStore, SESSION_FORMAT,
};
use activation_check::store::{SledStore, StoreOptions};
use support::standin::StandIn;
use support::walks::*;

const USER: u64 = 935_000_000_000_000_001;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn export(data: &Path, out: &Path) -> String {
    let o = cli(data, &["data", "export", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "export failed: {}", text(&o.stderr));
    text(&o.stderr)
}

fn import(data: &Path, file: &Path) -> Output {
    cli(data, &["data", "import", file.to_str().unwrap()])
}

fn open(dir: &Path) -> SledStore {
    SledStore::open(dir, StoreOptions::default()).expect("the store opens")
}

/// A session as a real conversation leaves it: some answers, a step, a last input.
fn record(i: u64, now: i64) -> SessionRecord {
    let mut r = SessionRecord::new(
        "2026.12.06",
        if i.is_multiple_of(3) { "en-US" } else { "ja" },
        now,
    );
    let answers = [
        ("concern", "lost-activation"),
        ("lost-origin", "free-upgrade"),
        ("win10-upgrade-id", "shown"),
    ];
    for (node, value) in answers.iter().take((i % 4) as usize) {
        r.answers.push(Answer {
            node: (*node).to_owned(),
            value: (*value).to_owned(),
        });
    }
    r.step = i % 7;
    r.last_input = i.is_multiple_of(2).then(|| format!("a:{}", i % 5));
    r.created_at = now - (i % 86_400) as i64;
    r.updated_at = now - (i % 3_600) as i64;
    r
}

fn key(i: u64) -> SessionKey {
    match i % 10 {
        0 => SessionKey::new(Scope::Dm, (900_000_000_000_000_000 + i).to_string()),
        1 => SessionKey::new(Scope::Terminal, format!("user{i}")),
        _ => SessionKey::new(
            Scope::Guild(930_000_000_000_000_000 + i % 13),
            (900_000_000_000_000_000 + i).to_string(),
        ),
    }
}

/// The card posted as message 940…000 + `m`, at `now`.
fn posted(m: u64, now: i64) -> PostedCard {
    PostedCard {
        guild_id: Some(930_000_000_000_000_001),
        channel_id: 930_000_000_000_000_002,
        message_id: 940_000_000_000_000_000 + m,
        outcome: "win10-phone".to_owned(),
        verdict: "phone-activation".to_owned(),
        locale: "ja".to_owned(),
        rules_version: "2026.12.06".to_owned(),
        generated_at: now - 60,
        posted_at: now,
        pin: None,
    }
}

/// Every line but the header's (which carries the time of the export).
fn body(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .skip(1)
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_sessions_posted_cards_and_figures_round_trip() {
    const SESSIONS: u64 = 10_000;
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let now = unix_now();
    {
        let store = Arc::new(open(&a));
        store.write_behind();
        for i in 0..SESSIONS {
            store.save(&key(i), &record(i, now)).await.unwrap();
        }
        let registry = Registry::open(store.open_tree_json(Registry::TREE).unwrap());
        for m in 0..25u64 {
            registry.record_post(&posted(m, now)).await.unwrap();
        }
        // Usage figures, as another build keeps them: records this build knows nothing of.
        let figures = store
            .open_tree_json::<serde_json::Value>("figures")
            .unwrap();
        for (k, v) in [
            (
                "2026.12.06/ja/930000000000000001",
                serde_json::json!({"started": 120, "finished": 87, "gave_up_at": {"lost-origin": 9, "concern": 24}}),
            ),
            (
                "2026.12.06/en-US/dm",
                serde_json::json!({"started": 3, "finished": 3, "gave_up_at": {}}),
            ),
            ("since", serde_json::json!(1_780_000_000u64)),
        ] {
            figures.insert(k, &v).await.unwrap();
        }
        store.flush().unwrap();
    }

    let file_a = tmp.path().join("a.jsonl");
    let t = Instant::now();
    let said = export(&a, &file_a);
    let export_took = t.elapsed();
    assert!(
        said.contains(&format!(
            "exported {SESSIONS} session(s) and 28 other record(s) from {}",
            a.display()
        )),
        "{said}"
    );
    assert!(!said.contains("served by the running bot"), "{said}");
    let size = std::fs::metadata(&file_a).unwrap().len();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file_a).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "an export holds user ids: owner only");
    }

    let header: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&file_a)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["format"], "activation-check-export");
    assert_eq!(header["version"], 1);
    assert_eq!(header["session_format"], SESSION_FORMAT);
    assert_eq!(header["while_running"], false);
    let rules = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/activation-check.toml"),
    )
    .unwrap();
    let version = header["rules"]["version"].as_str().unwrap();
    assert!(
        rules.contains(&format!("version = \"{version}\"")),
        "the header names the rules in force: {header}"
    );

    // The same data served by the running bot: the same lines.
    let served_took = {
        let standin = StandIn::start().await;
        let bot = Bot::start(&standin, &a).await;
        let served = tmp.path().join("served.jsonl");
        let t = Instant::now();
        let said = export(&a, &served);
        let took = t.elapsed();
        assert!(said.contains("(served by the running bot)"), "{said}");
        let (x, y) = (body(&file_a), body(&served));
        assert_eq!(x.len(), y.len(), "as many lines");
        assert!(x == y, "the running bot serves the same export");
        let served_line = bot.log_lines_mentioning("served an export");
        assert_eq!(served_line.len(), 1, "{}", bot.log());
        println!("{}", served_line[0]);
        bot.stop();
        took
    };

    let t = Instant::now();
    let o = import(&b, &file_a);
    let import_took = t.elapsed();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).starts_with(&format!(
            "imported {SESSIONS} session(s) and 28 other record(s) into {}",
            b.display()
        )),
        "{}",
        text(&o.stdout)
    );

    // The copy holds what the original holds.
    {
        let (sa, sb) = (open(&a), open(&b));
        let leave_out = activation_check::data::leave_out();
        let (x, y) = (
            sa.snapshot(&leave_out).unwrap(),
            sb.snapshot(&leave_out).unwrap(),
        );
        assert_eq!(x.sessions.len(), SESSIONS as usize);
        assert!(x.sessions == y.sessions, "the same sessions");
        assert_eq!(y.unreadable, 0);
        for i in (0..SESSIONS).step_by(997) {
            assert_eq!(
                sb.get(&key(i)).unwrap(),
                Some(record(i, now)),
                "session {i}"
            );
        }
        let cards = |s: &SledStore| all::<PostedCard>(s, "posted_cards");
        assert_eq!(cards(&sa).len(), 25);
        assert_eq!(cards(&sa), cards(&sb), "the same posted cards");
        let figures = |s: &SledStore| all::<serde_json::Value>(s, "figures");
        assert_eq!(figures(&sa).len(), 3);
        assert_eq!(figures(&sa), figures(&sb), "the same figures");
    }

    // An export of the copy is the same file, but for the time in its header.
    let file_b = tmp.path().join("b.jsonl");
    export(&b, &file_b);
    let (x, y) = (body(&file_a), body(&file_b));
    assert_eq!(x.len(), y.len(), "as many lines");
    if let Some((l, r)) = x.iter().zip(&y).find(|(l, r)| l != r) {
        panic!("the exports differ:\n{l}\n{r}");
    }

    // The expiry index was rebuilt: every imported session expires on time.
    let later = now + StoreOptions::DEFAULT_TTL.as_secs() as i64 + 86_400;
    assert_eq!(open(&b).prune_expired(later).unwrap(), SESSIONS as usize);
    println!(
        "round trip of {SESSIONS} sessions: export {export_took:?} ({} KiB), served by the \
         running bot {served_took:?}, import {import_took:?}",
        size / 1024
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_running_bot_serves_an_export_and_a_stopped_one_is_read_directly() {
    let (standin, tmp, data, bot) = started().await;
    let socket = data.join("export.sock");
    assert!(socket.exists(), "the bot serves exports:\n{}", bot.log());

    // A conversation to a card, posted in the channel.
    let done = card(&standin, USER, "en-US").await;
    let posted = click(&standin, &done, &verb_id(&done, 'p'), USER, "en-US").await;
    assert_links_to_post(&posted);

    // While it runs: the bot holds the directory, and serves the export.
    let file = tmp.path().join("running.jsonl");
    let t = Instant::now();
    let said = export(&data, &file);
    let took = t.elapsed();
    assert!(said.contains("(served by the running bot)"), "{said}");
    // The posted card, and the usage figures the bot counted in memory (written first).
    assert!(
        said.contains("exported 1 session(s) and 2 other record(s)"),
        "{said}\n{}",
        bot.log()
    );
    let lines = std::fs::read_to_string(&file).unwrap();
    let header: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(header["while_running"], true, "{header}");
    let session = format!("{{\"session\":\"g/{GUILD}/{USER}\",");
    let line = lines
        .lines()
        .find(|l| l.starts_with(&session))
        .unwrap_or_else(|| panic!("the session in:\n{lines}"));
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["record"]["answers"].as_array().unwrap().len(), 3, "{v}");
    assert!(
        lines.contains("\"tree\":\"json/posted_cards\""),
        "the posted card:\n{lines}"
    );
    assert!(!lines.contains("\"tree\":\"json/ops\""), "{lines}");

    // Standard output works too (for `podman exec … > backup.jsonl`).
    let o = cli(&data, &["data", "export", "--out", "-"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout).lines().skip(1).collect::<Vec<_>>(),
        lines.lines().skip(1).collect::<Vec<_>>()
    );

    // An import into the running bot's directory is refused: it is in use.
    let o = import(&data, &file);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("another activation-check instance is using the data directory"),
        "{}",
        text(&o.stderr)
    );

    // Stopped: the socket is gone, and the directory itself is read: the same lines.
    bot.stop();
    assert!(!socket.exists(), "the socket is removed at exit");
    let stopped = tmp.path().join("stopped.jsonl");
    let said = export(&data, &stopped);
    assert!(!said.contains("served by the running bot"), "{said}");
    assert_eq!(body(&file), body(&stopped));

    // A socket left by a crash does not stop the next start, which serves again.
    let mut bot = Bot::start(&standin, &data).await;
    bot.child.kill().unwrap();
    bot.child.wait().unwrap();
    drop(bot);
    assert!(socket.exists(), "a crash leaves the socket");
    let bot = Bot::start(&standin, &data).await;
    let again = tmp.path().join("again.jsonl");
    assert!(export(&data, &again).contains("(served by the running bot)"));
    bot.stop();
    println!("export from the running bot (1 session, 1 card): {took:?}");
}

/// Writes `lines` as a file in `dir` and returns its path.
fn file_with(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_refuses_what_it_cannot_restore_whole_naming_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join("source");
    let now = unix_now();
    {
        let store = open(&source);
        for i in 0..3 {
            store.put(&key(i), &record(i, now)).await.unwrap();
        }
    }
    let good = tmp.path().join("good.jsonl");
    export(&source, &good);
    let lines: Vec<String> = std::fs::read_to_string(&good)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), 5, "header, three sessions, closing line");

    // Not into a directory that holds data.
    let o = import(&source, &good);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!(
            "the data directory {} is not empty (it holds 3 session(s) and 0 other record(s)); import only into an empty one",
            source.display()
        )),
        "{err}"
    );

    let target = tmp.path().join("target");
    let mut newer = lines.clone();
    let mut h: serde_json::Value = serde_json::from_str(&newer[0]).unwrap();
    h["version"] = 2.into();
    h["build"] = "activation-check 9.0.0".into();
    newer[0] = h.to_string();
    let mut newer_record = lines.clone();
    newer_record[2] = newer_record[2].replacen("\"format\":1,", "\"format\":2,", 1);
    let mut damaged = lines.clone();
    damaged[3] = "{\"session\": \"g/1/2\", \"record\": ".to_owned();
    let cut: Vec<String> = lines[..4].to_vec();
    let mut miscounted = lines.clone();
    miscounted.remove(1);
    let not_export = vec!["{\"hello\": 1}".to_owned()];
    let cases = [
        (
            "newer.jsonl",
            newer,
            ":1: export format version 2 (written by activation-check 9.0.0) is newer than this build reads (version 1)",
        ),
        (
            "newer-record.jsonl",
            newer_record,
            ":3: session ",
        ),
        ("damaged.jsonl", damaged, ":4: not a JSON line"),
        (
            "cut.jsonl",
            cut,
            ":4: the export ends here without its closing line: it was cut short",
        ),
        (
            "miscounted.jsonl",
            miscounted,
            ":4: the closing line counts 3 session(s) and 0 entry(ies), the file holds 2 and 0",
        ),
        ("hello.jsonl", not_export, ":1: not an activation-check export"),
    ];
    for (name, content, expected) in cases {
        let path = file_with(tmp.path(), name, &content);
        let o = import(&target, &path);
        assert_eq!(o.status.code(), Some(1), "{name}");
        let err = text(&o.stderr);
        assert!(
            err.contains(&format!("{}{expected}", path.display())),
            "{name}: expected `{expected}` in:\n{err}"
        );
        if name == "newer-record.jsonl" {
            assert!(
                err.contains("record format 2, this build reads format 1"),
                "{err}"
            );
        }
    }
    // Nothing was written by the refusals, not even the directory; the whole file still
    // imports.
    assert!(!target.exists(), "a refused import creates nothing");
    let o = import(&target, &good);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).starts_with("imported 3 session(s)"));

    // Nothing to export from a directory that never held a store.
    let o = cli(
        &tmp.path().join("nothing"),
        &["data", "export", "--out", "x.jsonl"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("there is no data in"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn the_backup_unit_exports_the_bots_data_as_the_bots_user() {
    let read = |name: &str| {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("deploy")
                .join(name),
        )
        .unwrap()
    };
    let (bot, backup, timer) = (
        read("activation-check.service"),
        read("activation-check-backup.service"),
        read("activation-check-backup.timer"),
    );
    let settings = |unit: &str, key: &str| -> Vec<String> {
        unit.lines()
            .filter_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(str::to_owned)
            .collect()
    };
    let data_dir = |unit: &str| {
        settings(unit, "Environment")
            .into_iter()
            .find(|e| e.starts_with("ACTIVATION_CHECK_DATA_DIR="))
    };
    assert!(data_dir(&bot).is_some());
    assert_eq!(
        data_dir(&bot),
        data_dir(&backup),
        "the bot's data directory"
    );
    // The bot's dynamic user is named after its unit; the backup runs as the same one,
    // so it may open the export socket (mode 0600) and the directory.
    assert_eq!(
        settings(&backup, "User"),
        vec!["activation-check".to_owned()]
    );
    assert_eq!(settings(&backup, "DynamicUser"), vec!["yes".to_owned()]);
    let state = settings(&backup, "StateDirectory").join(" ");
    assert!(
        state.split_whitespace().any(|d| d == "activation-check"),
        "{state}"
    );
    let exec = settings(&backup, "ExecStart").join(" ");
    assert!(
        exec.contains("activation-check data export --out"),
        "{exec}"
    );
    assert_eq!(settings(&backup, "Type"), vec!["oneshot".to_owned()]);
    assert!(settings(&timer, "OnCalendar").len() == 1, "{timer}");
    assert_eq!(settings(&timer, "Persistent"), vec!["true".to_owned()]);
}

/// Every entry of the JSON tree `tree` in `store`, in key order.
fn all<T: serde::Serialize + serde::de::DeserializeOwned>(
    store: &SledStore,
    tree: &str,
) -> Vec<(String, T)> {
    store
        .open_tree_json::<T>(tree)
        .unwrap()
        .iter()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

/// `cli` with `--store URL` (PostgreSQL) after `args`.
fn cli_pg(data: &Path, url: &str, args: &[&str]) -> Output {
    let mut with = args.to_vec();
    with.extend(["--store", url]);
    cli(data, &with)
}

/// `data import FILE --store URL` fails, saying `says`.
fn refused_into(data: &Path, url: &str, file: &Path, says: &str) {
    let o = cli_pg(data, url, &["data", "import", file.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains(says), "{}", text(&o.stderr));
}

/// The conversations started, as `stats --store URL` counts them.
fn started_in(data: &Path, url: &str) -> i64 {
    let o = cli_pg(data, url, &["stats", "--format", "json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    report["totals"]["started"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_of_sled_imports_into_postgres_and_back_line_for_line() {
    use activation_check::figures::{Event, Key, Place};
    let Some(url) = support::postgres::database().await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let now = unix_now();
    {
        let store = open(&a);
        for i in 0..300 {
            store.put(&key(i), &record(i, now)).await.unwrap();
        }
        let registry = Registry::open(store.open_tree_json(Registry::TREE).unwrap());
        for m in [7u64, 80, 900] {
            let mut card = posted(m, now);
            registry.record_post(&card).await.unwrap();
            card.message_id = m;
            registry.record_post(&card).await.unwrap();
        }
        registry.mark_pinned(7, 5, now).await.unwrap();
        let tally = activation_check::store::figures::Tally::open(&store).unwrap();
        for (place, n) in [(Place::Guild(930_000_000_000_000_001), 5), (Place::Dm, 2)] {
            let k = Key::new(now, "2026.12.06", "ja", place);
            for _ in 0..n {
                tally.record(k.clone(), &Event::Started);
            }
            tally.record(
                k.clone(),
                &Event::Finished {
                    outcome: "win10-phone",
                },
            );
            tally.record(
                k,
                &Event::Abandoned {
                    question: "lost-origin",
                },
            );
        }
        tally.flush().await.unwrap();
        store.flush().unwrap();
    }
    let (file_a, file_pg, file_b) = (
        tmp.path().join("a.jsonl"),
        tmp.path().join("pg.jsonl"),
        tmp.path().join("b.jsonl"),
    );
    export(&a, &file_a);

    // sled → PostgreSQL → an export of PostgreSQL: the same lines.
    let o = cli_pg(&b, &url, &["data", "import", file_a.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout)
            .starts_with("imported 300 session(s) and 8 other record(s) into PostgreSQL"),
        "{}",
        text(&o.stdout)
    );
    let o = cli_pg(
        &b,
        &url,
        &["data", "export", "--out", file_pg.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(body(&file_pg), body(&file_a));

    // `stats` reads the imported figures from PostgreSQL.
    let o = cli_pg(&b, &url, &["stats", "--format", "json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["totals"]["started"], 7, "{report}");
    assert_eq!(report["totals"]["finished"], 2, "{report}");

    // A database holding data is refused, and keeps what it holds.
    refused_into(&b, &url, &file_a, "is not empty");
    assert_eq!(started_in(&b, &url), 7, "nothing added twice");

    // And back: PostgreSQL's export into a new sled directory exports as the first.
    let o = import(&b, &file_pg);
    assert!(o.status.success(), "{}", text(&o.stderr));
    export(&b, &file_b);
    assert_eq!(body(&file_b), body(&file_a));

    // A figure holding counts this build does not keep (another build's) is not dropped
    // on the way into PostgreSQL: the import is refused, and writes nothing.
    let header = std::fs::read_to_string(&file_a).unwrap();
    let header = header.lines().next().unwrap().to_owned();
    let odd = file_with(
        tmp.path(),
        "odd.jsonl",
        &[
            header,
            r#"{"session":"dm/1","record":"#.to_owned()
                + &serde_json::to_string(&record(1, now)).unwrap()
                + "}",
            r#"{"tree":"json/figures","key":"2026-12-06|v|ja|dm","value":{"started":2,"gave_up_at":{"q":1}}}"#.to_owned(),
            r#"{"end":{"sessions":1,"entries":1,"left_out":0}}"#.to_owned(),
        ],
    );
    let empty = support::postgres::fresh_database().await.unwrap();
    refused_into(&b, &empty, &odd, "\"2026-12-06|v|ja|dm\" cannot be kept");
    assert_eq!(started_in(&b, &empty), 0, "nothing written");
    let o = cli_pg(&b, &empty, &["sessions", "forget", "--user", "1"]);
    assert_eq!(text(&o.stdout).trim(), "deleted 0 session(s) of user 1");
}

//! What the container image runs, run outside a container (no machine here can build or
//! run images): the final stage of `Containerfile` is read (its `ENV`, `USER`, `VOLUME`,
//! `COPY` of the rules and texts, `ENTRYPOINT`/`CMD` and `HEALTHCHECK`), its paths are
//! mapped into a temporary directory, and the binary runs exactly so:
//!
//! - as the image's non-root user (uid 10001; as root the test drops to it, otherwise it
//!   already runs as a non-root user),
//! - with the rules and texts in root-owned, read-only directories, the data directory
//!   the only writable place, and the token in a file named by `DISCORD_TOKEN_FILE`, as
//!   `compose.yaml` mounts it;
//! - through one conversation with the stand-in, while the `HEALTHCHECK` command reports
//!   healthy.
//!
//! The only changes from the image: the binary is the one cargo built, the listener binds
//! `127.0.0.1:0` instead of `0.0.0.0:9100` (tests bind loopback only, and run in
//! parallel), and `DISCORD_API_BASE` points at the stand-in.

mod support;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use support::cli::copy_dir;
use support::standin::StandIn;
use support::walks::*;

const USER: u64 = 935_000_000_000_000_001;

/// The final stage of the Containerfile, as far as running it goes.
#[derive(Debug, Default)]
struct Image {
    env: BTreeMap<String, String>,
    user: Option<String>,
    volumes: Vec<String>,
    /// (source in the build context, destination in the image)
    copies: Vec<(String, String)>,
    entrypoint: Vec<String>,
    cmd: Vec<String>,
    healthcheck: Vec<String>,
}

/// The instructions of `text`, with continuation lines joined and comments dropped.
fn instructions(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                let (word, rest) = current.split_once(' ').unwrap_or((&current, ""));
                out.push((word.to_uppercase(), rest.trim().to_owned()));
                current.clear();
            }
        }
    }
    out
}

/// `["a", "b"]` (exec form) as words.
fn exec_form(s: &str) -> Vec<String> {
    serde_json::from_str(s.trim()).unwrap_or_else(|_| panic!("not exec form: {s}"))
}

fn parse_image(text: &str) -> Image {
    let all = instructions(text);
    let last_from = all.iter().rposition(|(w, _)| w == "FROM").expect("a FROM");
    let mut image = Image::default();
    for (word, rest) in &all[last_from + 1..] {
        match word.as_str() {
            "ENV" => {
                for pair in rest.split_whitespace() {
                    let (k, v) = pair.split_once('=').expect("ENV key=value");
                    image
                        .env
                        .insert(k.to_owned(), v.trim_matches('"').to_owned());
                }
            }
            "USER" => image.user = Some(rest.clone()),
            "VOLUME" => image.volumes = exec_form(rest),
            "COPY" if !rest.starts_with("--from") => {
                let parts: Vec<&str> = rest.split_whitespace().collect();
                image
                    .copies
                    .push((parts[0].to_owned(), parts[1].to_owned()));
            }
            "ENTRYPOINT" => image.entrypoint = exec_form(rest),
            "CMD" => image.cmd = exec_form(rest),
            "HEALTHCHECK" => {
                let cmd = rest.split(" CMD ").nth(1).expect("HEALTHCHECK ... CMD");
                image.healthcheck = exec_form(cmd);
            }
            _ => {}
        }
    }
    image
}

/// This process's real uid.
fn uid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|u| u.parse().ok())
        .expect("a Uid line")
}

/// The real uid of process `pid`.
fn uid_of(pid: u32) -> u32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|u| u.parse().ok())
        .unwrap()
}

/// Makes `path` and everything under it read-only (directories 0555, files 0444).
fn read_only(path: &Path) {
    let meta = std::fs::metadata(path).unwrap();
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            read_only(&entry.unwrap().path());
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o555)).unwrap();
    } else {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o444)).unwrap();
    }
}

/// Runs as the image's user: `as_uid` when this process is root, itself otherwise.
fn as_user(cmd: &mut Command, as_uid: Option<(u32, u32)>) -> &mut Command {
    if let Some((u, g)) = as_uid {
        cmd.uid(u).gid(g);
    }
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_image_runs_works_as_a_non_root_user_with_read_only_rules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let image = parse_image(&std::fs::read_to_string(root.join("Containerfile")).unwrap());

    // The image's user, and who runs it here.
    let user = image.user.clone().expect("the image names a USER");
    let (image_uid, image_gid) = user
        .split_once(':')
        .map(|(u, g)| (u.parse::<u32>().unwrap(), g.parse::<u32>().unwrap()))
        .expect("USER uid:gid, numeric, so a runtime can tell it is not root");
    assert_ne!(image_uid, 0, "the image does not run as root");
    let am_root = uid() == 0;
    let drop_to = am_root.then_some((image_uid, image_gid));
    let runs_as = if am_root { image_uid } else { uid() };

    // The image's file system, mapped into a temporary directory everyone can enter.
    let tmp = tempfile::tempdir().unwrap();
    let fs_root = tmp.path();
    std::fs::set_permissions(fs_root, std::fs::Permissions::from_mode(0o755)).unwrap();
    let map = |p: &str| -> PathBuf { fs_root.join(p.trim_start_matches('/')) };
    let bin_dir = map("/usr/local/bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let program = &image.entrypoint[0];
    assert_eq!(
        image.healthcheck[0], *program,
        "the health check runs the same binary"
    );
    let binary = bin_dir.join(program);
    std::fs::copy(env!("CARGO_BIN_EXE_activation-check"), &binary).unwrap();
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
    for source in ["rules", "i18n"] {
        let dest = image
            .copies
            .iter()
            .find(|(s, _)| s == source)
            .map(|(_, d)| d.clone())
            .unwrap_or_else(|| panic!("the image has {source}/ baked in: {:?}", image.copies));
        copy_dir(&root.join(source), &map(&dest));
    }
    let share = map("/usr/share");
    read_only(&share);
    assert_eq!(image.volumes, ["/data"], "one volume, the data");
    let data = map("/data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
    if am_root {
        std::os::unix::fs::chown(&data, Some(image_uid), Some(image_gid)).unwrap();
    }

    // The environment of the image, its paths mapped; the listener on loopback, port 0.
    let mut env: BTreeMap<String, String> = image
        .env
        .iter()
        .map(|(k, v)| {
            let v = if v.starts_with('/') {
                map(v).display().to_string()
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect();
    for key in [
        "ACTIVATION_CHECK_DATA_DIR",
        "ACTIVATION_CHECK_RULES_DIR",
        "ACTIVATION_CHECK_I18N_DIR",
    ] {
        assert!(
            env.contains_key(key),
            "the image sets {key}: {:?}",
            image.env
        );
    }
    assert_eq!(env["ACTIVATION_CHECK_DATA_DIR"], data.display().to_string());
    let published = env
        .insert(
            "ACTIVATION_CHECK_METRICS_ADDR".to_owned(),
            "127.0.0.1:0".to_owned(),
        )
        .expect("the image turns the health listener on");
    assert!(published.starts_with("0.0.0.0:"), "{published}");

    // The token as compose.yaml mounts it: a file named by DISCORD_TOKEN_FILE.
    let compose = std::fs::read_to_string(root.join("compose.yaml")).unwrap();
    let token_path = compose
        .lines()
        .find_map(|l| l.trim().strip_prefix("DISCORD_TOKEN_FILE:"))
        .map(str::trim)
        .expect("compose.yaml passes the token as a file")
        .to_owned();
    assert!(
        compose.contains("dockerfile: Containerfile") && compose.contains(":/data"),
        "compose.yaml builds this Containerfile and mounts /data"
    );
    let standin = StandIn::start().await;
    let token_file = map(&token_path);
    std::fs::create_dir_all(token_file.parent().unwrap()).unwrap();
    std::fs::write(&token_file, standin.token()).unwrap();
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o400)).unwrap();
    if am_root {
        std::os::unix::fs::chown(&token_file, Some(image_uid), Some(image_gid)).unwrap();
    }

    // As the image's user, the baked-in rules cannot be changed.
    let rules_dir = PathBuf::from(&env["ACTIVATION_CHECK_RULES_DIR"]);
    let write = as_user(&mut Command::new("sh"), drop_to)
        .arg("-c")
        .arg("echo changed >> activation-check.toml")
        .current_dir(&rules_dir)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(
        !write.success(),
        "the rules are read-only to the bot's user"
    );

    // ENTRYPOINT + CMD, in WORKDIR /data, with nothing inherited but PATH.
    let log = tmp.path().join("bot.log");
    let before = standin.ready_count();
    let mut cmd = Command::new(&binary);
    as_user(&mut cmd, drop_to)
        .args(&image.entrypoint[1..])
        .args(&image.cmd)
        .current_dir(&data)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .envs(&env)
        .env("DISCORD_TOKEN_FILE", &token_file)
        .env("DISCORD_API_BASE", standin.base_url())
        .env("ACTIVATION_CHECK_LOG_FORMAT", "json")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    let mut child = cmd.spawn().expect("the bot starts");
    let ready = standin
        .wait_for(WAIT, |s| (s.ready_count() > before).then_some(()))
        .await;
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    if ready.is_none() {
        let _ = child.kill();
        panic!("the bot never became ready:\n{}", read_log());
    }
    assert_eq!(
        uid_of(child.id()),
        runs_as,
        "the bot runs as the image's user"
    );
    assert_ne!(runs_as, 0);

    // The image logs JSON lines; the listener's address is in one of them.
    let addr = eventually(WAIT, || {
        read_log().lines().find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            v["message"]
                .as_str()?
                .strip_prefix("serving /healthz and /metrics on http://")?
                .parse::<std::net::SocketAddr>()
                .ok()
        })
    })
    .await
    .unwrap_or_else(|| panic!("no listener address in the log:\n{}", read_log()));

    // One conversation to a card; the store writes in the data directory only.
    let q1 = slash(&standin, USER, "ja", false).await;
    let q2 = answer(&standin, &q1, "concern", 0, USER, "ja").await;
    let q3 = answer(&standin, &q2, "lost-origin", 2, USER, "ja").await;
    let card = answer(&standin, &q3, "win10-upgrade-id", 0, USER, "ja").await;
    assert!(!card.embeds().is_empty(), "a card:\n{}", read_log());
    assert!(
        std::fs::read_dir(&data).unwrap().count() > 0,
        "the store lives in the data volume"
    );

    // The HEALTHCHECK command, as the image's user, with the image's environment.
    let check = |cmd: &mut Command| {
        as_user(cmd, drop_to)
            .args(&image.healthcheck[1..])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .envs(&env)
            .env("ACTIVATION_CHECK_METRICS_ADDR", addr.to_string())
            .current_dir(&data)
            .output()
            .unwrap()
    };
    let healthy = eventually(WAIT, || {
        let out = check(&mut Command::new(&binary));
        out.status.success().then_some(out)
    })
    .await
    .unwrap_or_else(|| panic!("the health check never passed:\n{}", read_log()));
    assert_eq!(String::from_utf8_lossy(&healthy.stdout).trim(), "ok");
    child.kill().unwrap();
    child.wait().unwrap();
    let out = check(&mut Command::new(&binary));
    assert_eq!(out.status.code(), Some(1), "unhealthy once the bot is gone");

    // Every log line is JSON, and none names the token.
    let text = read_log();
    for line in text.lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "not JSON: {line}"
        );
    }
    assert!(!text.contains(&standin.token()));
    println!(
        "container run: uid {runs_as} (dropped from root: {am_root}), read-only rules, a card in ja, HEALTHCHECK ok"
    );
}

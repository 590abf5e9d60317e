//! The running bot's side of `data export`, and the command's side of asking it.
//!
//! The bot listens on [`EXPORT_SOCKET`] in its data directory (mode 0600: its own user
//! and root). A client sends one line, `export 1` (the request and the export format it
//! reads), and receives the export's JSON lines; the connection then closes. One export
//! runs at a time; the store is read on a blocking thread, so the runtime's workers go on
//! answering clicks.

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::{Counts, RulesInfo};
use crate::store::SledStore;
pub use crate::store::EXPORT_SOCKET;

/// What a client sends.
pub const REQUEST: &str = "export 1";
/// How long a client has to send its request, and the bot to write each part of the
/// answer (a client that stops reading is dropped after this).
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

/// The path of the socket in the data directory `dir`.
pub fn socket_path(dir: &Path) -> PathBuf {
    dir.join(EXPORT_SOCKET)
}

/// The running server; [`ExportServer::stop`] ends it and removes the socket.
pub struct ExportServer {
    path: PathBuf,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl ExportServer {
    /// Where it listens.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stops accepting, waits for the accept loop, and removes the socket file.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Serves exports of `store` (whose directory this process holds) until
/// [`ExportServer::stop`]. A socket left by a bot that crashed is replaced: this process
/// holds the store's lock, so no other bot uses it.
#[cfg(unix)]
pub async fn start(store: Arc<SledStore>, rules: Option<RulesInfo>) -> io::Result<ExportServer> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let path = socket_path(store.dir());
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.file_type().is_socket() => std::fs::remove_file(&path)?,
        Ok(_) => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", path.display()),
            ))
        }
        Err(_) => {}
    }
    let listener = tokio::net::UnixListener::bind(&path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let one_at_a_time = Arc::new(tokio::sync::Semaphore::new(1));
    let until_stopped = async move {
        let mut rx = stopped;
        let _ = rx.wait_for(|s| *s).await;
    };
    let task = tokio::spawn(async move {
        tokio::pin!(until_stopped);
        loop {
            let stream = tokio::select! {
                () = &mut until_stopped => break,
                accepted = listener.accept() => match accepted {
                    Ok((s, _)) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, "the export socket could not accept a connection");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
            };
            let store = store.clone();
            let rules = rules.clone();
            let turn = one_at_a_time.clone();
            tokio::spawn(async move {
                if let Err(e) = answer(stream, store, rules, turn).await {
                    tracing::warn!(error = %e, "an export was not served to the end");
                }
            });
        }
    });
    tracing::info!(socket = %path.display(), "serving `data export` on the data directory's socket");
    Ok(ExportServer { path, stop, task })
}

#[cfg(not(unix))]
pub async fn start(_store: Arc<SledStore>, _rules: Option<RulesInfo>) -> io::Result<ExportServer> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "exports from a running bot need Unix sockets",
    ))
}

/// One client: its request, then the export (or one `{"error": …}` line).
#[cfg(unix)]
async fn answer(
    stream: tokio::net::UnixStream,
    store: Arc<SledStore>,
    rules: Option<RulesInfo>,
    turn: Arc<tokio::sync::Semaphore>,
) -> io::Result<()> {
    use tokio::io::AsyncBufReadExt;
    let mut reader = tokio::io::BufReader::new(stream);
    let mut request = String::new();
    let mut limited = tokio::io::AsyncReadExt::take(&mut reader, 64);
    tokio::time::timeout(CLIENT_TIMEOUT, limited.read_line(&mut request))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no request"))??;
    let stream = reader.into_inner().into_std()?;
    stream.set_nonblocking(false)?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    let _turn = turn.acquire_owned().await;
    let wanted = request.trim() == REQUEST;
    if wanted {
        // What the bot still holds in memory (the usage figures) first.
        store.before_export().await;
    }
    tokio::task::spawn_blocking(move || {
        let mut out = io::BufWriter::new(&stream);
        if !wanted {
            return super::put(
                &mut out,
                &serde_json::json!({ "error": format!("unknown request {:?}; this bot serves {REQUEST:?}", request.trim()) }),
            )
            .and_then(|()| out.flush());
        }
        let started = std::time::Instant::now();
        let snapshot = match store.snapshot(&super::leave_out()) {
            Ok(s) => s,
            Err(e) => {
                return super::put(
                    &mut out,
                    &serde_json::json!({ "error": format!("the bot could not read its store: {e}") }),
                )
                .and_then(|()| out.flush())
            }
        };
        let read_in = started.elapsed();
        let counts = super::write(&snapshot, &super::Header::new(rules, true), &mut out)?;
        tracing::info!(
            sessions = counts.sessions,
            entries = counts.entries,
            read_ms = read_in.as_secs_f64() * 1e3,
            took_ms = started.elapsed().as_secs_f64() * 1e3,
            "served an export"
        );
        Ok(())
    })
    .await
    .map_err(io::Error::other)?
}

/// Asks the bot running on the data directory `dir` for an export and copies it to
/// `out`; returns the closing line's counts. Blocking.
#[cfg(unix)]
pub fn fetch(dir: &Path, out: &mut dyn Write) -> Result<Counts, String> {
    let path = socket_path(dir);
    let running = |why: String| {
        format!(
            "another process (normally the running bot) holds the data directory {}, and it \
             cannot be asked for an export: {why}",
            dir.display()
        )
    };
    let mut stream = std::os::unix::net::UnixStream::connect(&path).map_err(|e| {
        running(match e.kind() {
            io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused => format!(
                "nothing serves {} (a bot older than this command? stop it to export, or \
                 upgrade it)",
                path.display()
            ),
            io::ErrorKind::PermissionDenied => format!(
                "{} may be opened only by the bot's own user (and root); run this as that \
                 user",
                path.display()
            ),
            _ => format!("{}: {e}", path.display()),
        })
    })?;
    stream
        .set_read_timeout(Some(CLIENT_TIMEOUT))
        .and_then(|()| stream.write_all(format!("{REQUEST}\n").as_bytes()))
        .map_err(|e| running(e.to_string()))?;
    let mut reader = io::BufReader::new(stream);
    let mut line = Vec::new();
    let mut last = Vec::new();
    let mut lines = 0usize;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("the bot's export broke off after {lines} line(s): {e}"))?;
        if n == 0 {
            break;
        }
        out.write_all(&line)
            .map_err(|e| format!("cannot write the export: {e}"))?;
        lines += 1;
        std::mem::swap(&mut last, &mut line);
    }
    out.flush()
        .map_err(|e| format!("cannot write the export: {e}"))?;
    let closing: serde_json::Value = serde_json::from_slice(&last).unwrap_or_default();
    if let Some(error) = closing.get("error").and_then(serde_json::Value::as_str) {
        return Err(error.to_owned());
    }
    closing
        .get("end")
        .and_then(|e| serde_json::from_value::<Counts>(e.clone()).ok())
        .ok_or_else(|| format!("the bot's export broke off after {lines} line(s)"))
}

#[cfg(not(unix))]
pub fn fetch(dir: &Path, _out: &mut dyn Write) -> Result<Counts, String> {
    Err(format!(
        "another process (normally the running bot) holds the data directory {}; stop it \
         to export (exports from a running bot need Unix sockets)",
        dir.display()
    ))
}

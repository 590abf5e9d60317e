//! A headless Chromium driven over the DevTools protocol, for tests of the static site.
//!
//! Chromium starts with its own empty profile, no sandbox (tests run as root in CI), no
//! GPU and none of its background connections (this machine reaches no network, and every
//! refused connection would be noise), and a DevTools port on 127.0.0.1 that it picks
//! itself and writes to `DevToolsActivePort`. Each page is opened in a fresh target with
//! the Runtime, Log and Page domains on, so every console error, uncaught exception and
//! failed load is collected as a problem of that page.
#![allow(dead_code)]

use std::io::ErrorKind;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

/// How long one protocol call or page load may take before the test fails.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Chromium's path: `$CHROMIUM`, else the first of Debian's and the usual names on `PATH`.
pub fn find() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// True where CI runs this (`CI=true`): there nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// What went wrong on a page: console errors, exceptions and failed loads.
#[derive(Debug, Default, Clone)]
pub struct Problems {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

/// An open page: its DevTools session.
pub struct Page {
    session: String,
    target: String,
    url: String,
}

pub struct Browser {
    /// Chromium, killed when the browser is dropped (a failing test included).
    _child: KillOnDrop,
    ws: WebSocket<TcpStream>,
    next_id: u64,
    /// Events not yet claimed, with their session.
    events: Vec<Value>,
    _profile: tempfile::TempDir,
}

/// A child process killed when dropped (a panic included).
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Browser {
    /// Starts Chromium at `exe` and connects to it.
    pub fn launch(exe: &Path) -> Result<Browser, String> {
        let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
        let log = std::fs::File::create(profile.path().join("chromium.log"))
            .map_err(|e| e.to_string())?;
        let child = Command::new(exe)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-dev-shm-usage",
                "--lang=en-US",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
        // Whatever fails from here on, the browser does not outlive the test.
        let mut child = KillOnDrop(child);
        let ws = Self::connect(&mut child.0, &profile)?;
        Ok(Browser {
            _child: child,
            ws,
            next_id: 0,
            events: Vec::new(),
            _profile: profile,
        })
    }

    /// Waits for the DevTools port Chromium picked and opens its WebSocket.
    fn connect(
        child: &mut Child,
        profile: &tempfile::TempDir,
    ) -> Result<WebSocket<TcpStream>, String> {
        let port_file = profile.path().join("DevToolsActivePort");
        let started = Instant::now();
        let (port, path) = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file) {
                let mut lines = text.lines();
                if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                    if let Ok(port) = port.trim().parse::<u16>() {
                        break (port, path.trim().to_owned());
                    }
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(profile.path().join("chromium.log"))
                    .unwrap_or_default();
                return Err(format!("Chromium exited at start ({status}):\n{log}"));
            }
            if started.elapsed() > CALL_TIMEOUT {
                return Err("Chromium did not open its DevTools port within 60 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
        // The handshake blocks (a timeout would interrupt it); reads after it poll.
        stream
            .set_read_timeout(Some(CALL_TIMEOUT))
            .map_err(|e| e.to_string())?;
        let url = format!("ws://127.0.0.1:{port}{path}");
        let (ws, _) = tungstenite::client(url.as_str(), stream)
            .map_err(|e| format!("DevTools handshake at {url}: {e}"))?;
        ws.get_ref()
            .set_read_timeout(Some(Duration::from_millis(250)))
            .map_err(|e| e.to_string())?;
        Ok(ws)
    }

    /// Reads the next message, or `None` when none came within the read timeout.
    fn read(&mut self) -> Result<Option<Value>, String> {
        match self.ws.read() {
            Ok(Message::Text(text)) => serde_json::from_str(text.as_str())
                .map(Some)
                .map_err(|e| format!("DevTools sent bad JSON: {e}")),
            Ok(_) => Ok(None),
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
            {
                Ok(None)
            }
            Err(e) => Err(format!("DevTools connection: {e}")),
        }
    }

    /// Calls `method`, in `session` if given, and returns its result.
    pub fn call(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.ws
            .send(Message::text(msg.to_string()))
            .map_err(|e| format!("{method}: {e}"))?;
        let started = Instant::now();
        loop {
            if started.elapsed() > CALL_TIMEOUT {
                return Err(format!("{method}: no answer within 60 s"));
            }
            let Some(v) = self.read()? else { continue };
            if v["id"].as_u64() == Some(id) {
                if let Some(err) = v.get("error") {
                    return Err(format!("{method}: {err}"));
                }
                return Ok(v["result"].clone());
            }
            if v.get("method").is_some() {
                self.events.push(v);
            }
        }
    }

    /// Waits until `session` reports event `method`.
    fn wait_for(&mut self, session: &str, method: &str) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if let Some(pos) = self
                .events
                .iter()
                .position(|e| e["method"] == method && e["sessionId"] == session)
            {
                self.events.remove(pos);
                return Ok(());
            }
            if started.elapsed() > CALL_TIMEOUT {
                return Err(format!("no {method} within 60 s"));
            }
            if let Some(v) = self.read()? {
                if v.get("method").is_some() {
                    self.events.push(v);
                }
            }
        }
    }

    /// Opens `url` in a new target and waits for its load event.
    pub fn open(&mut self, url: &str) -> Result<Page, String> {
        let target = self.call(None, "Target.createTarget", json!({ "url": "about:blank" }))?
            ["targetId"]
            .as_str()
            .ok_or("no targetId")?
            .to_owned();
        let session = self.call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target, "flatten": true }),
        )?["sessionId"]
            .as_str()
            .ok_or("no sessionId")?
            .to_owned();
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            self.call(Some(&session), domain, json!({}))?;
        }
        let nav = self.call(Some(&session), "Page.navigate", json!({ "url": url }))?;
        if let Some(err) = nav.get("errorText").and_then(Value::as_str) {
            return Err(format!("{url}: {err}"));
        }
        self.wait_for(&session, "Page.loadEventFired")?;
        Ok(Page {
            session,
            target,
            url: url.to_owned(),
        })
    }

    /// Evaluates `expression` in `page` (awaiting a promise) and returns its value.
    pub fn eval(&mut self, page: &Page, expression: &str) -> Result<Value, String> {
        let r = self.call(
            Some(&page.session),
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
        )?;
        if let Some(ex) = r.get("exceptionDetails") {
            return Err(format!(
                "{}: {expression}: {}",
                page.url,
                ex["exception"]["description"]
                    .as_str()
                    .unwrap_or("exception")
            ));
        }
        Ok(r["result"]["value"].clone())
    }

    /// Every console error, exception and failed load `page` reported so far.
    pub fn problems(&mut self, page: &Page) -> Problems {
        // A round trip, so that everything the page sent before it has arrived.
        let _ = self.eval(page, "0");
        let mut p = Problems::default();
        let mine: Vec<Value> = {
            let (mine, rest) = std::mem::take(&mut self.events)
                .into_iter()
                .partition(|e| e["sessionId"] == page.session.as_str());
            self.events = rest;
            mine
        };
        for e in mine {
            let params = &e["params"];
            match e["method"].as_str().unwrap_or_default() {
                "Runtime.consoleAPICalled" => {
                    let text = params["args"]
                        .as_array()
                        .map(|args| {
                            args.iter()
                                .map(|a| {
                                    a["value"]
                                        .as_str()
                                        .map(str::to_owned)
                                        .unwrap_or_else(|| a["description"].to_string())
                                })
                                .collect::<Vec<_>>()
                                .join(" ")
                        })
                        .unwrap_or_default();
                    match params["type"].as_str() {
                        Some("error" | "assert") => p.errors.push(format!("console: {text}")),
                        Some("warning") => p.warnings.push(format!("console: {text}")),
                        _ => {}
                    }
                }
                "Runtime.exceptionThrown" => {
                    let d = &params["exceptionDetails"];
                    p.errors.push(format!(
                        "exception: {} {}",
                        d["text"].as_str().unwrap_or_default(),
                        d["exception"]["description"].as_str().unwrap_or_default()
                    ));
                }
                "Log.entryAdded" => {
                    let entry = &params["entry"];
                    let text = format!(
                        "{}: {} {}",
                        entry["source"].as_str().unwrap_or_default(),
                        entry["text"].as_str().unwrap_or_default(),
                        entry["url"].as_str().unwrap_or_default()
                    );
                    match entry["level"].as_str() {
                        Some("error") => p.errors.push(text),
                        Some("warning") => p.warnings.push(text),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        p
    }

    /// Closes `page`'s target.
    pub fn close(&mut self, page: Page) -> Result<(), String> {
        self.call(
            None,
            "Target.closeTarget",
            json!({ "targetId": page.target }),
        )
        .map(|_| ())
    }
}

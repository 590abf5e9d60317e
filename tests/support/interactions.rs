#![allow(dead_code)]
//! Discord's side of HTTP interactions, for `activation-check serve`: it signs each
//! interaction with the application's Ed25519 key (the signature covers the timestamp
//! followed by the body, hex in `X-Signature-Ed25519`, the timestamp in unix seconds in
//! `X-Signature-Timestamp`) and POSTs it; [`Balancer`] stands where an operator's load
//! balancer would, spreading the POSTs over several workers, round robin or at random,
//! and passing a request to the next worker when one does not accept the connection (as
//! nginx does for a refused upstream). Wire it to the stand-in with
//! `standin.deliver_over_http(move |o| balancer.clone().post(o))`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ed25519_dalek::{Signer as _, SigningKey};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::standin::{HttpAnswer, Outgoing, StandIn};

/// The application's key pair.
pub struct Signer {
    key: SigningKey,
}

impl Signer {
    /// A fixed key, so that a failing run can be repeated (`seed` tells keys apart).
    pub fn new(seed: u8) -> Self {
        Signer {
            key: SigningKey::from_bytes(&[seed; 32]),
        }
    }

    /// What the Developer Portal shows as the application's Public Key.
    pub fn public_key_hex(&self) -> String {
        hex(self.key.verifying_key().as_bytes())
    }

    /// The two signature headers for `body` sent at `timestamp` (unix seconds).
    pub fn headers(&self, timestamp: i64, body: &[u8]) -> Vec<(String, String)> {
        let ts = timestamp.to_string();
        let mut message = ts.clone().into_bytes();
        message.extend_from_slice(body);
        let signature = self.key.sign(&message);
        vec![
            ("X-Signature-Ed25519".to_owned(), hex(&signature.to_bytes())),
            ("X-Signature-Timestamp".to_owned(), ts),
        ]
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// One POST over a fresh connection (`Connection: close`): the status and body, or the
/// error when the connection could not be made or broke before an answer.
pub async fn post(
    addr: SocketAddr,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<HttpAnswer> {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let mut head = format!(
            "POST /interactions HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\nUser-Agent: Discord-Interactions/1.0 \
             (+https://discord.com)\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut request = head.into_bytes();
        request.extend_from_slice(body);
        stream.write_all(&request).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        parse_response(&response)
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
}

fn parse_response(raw: &[u8]) -> std::io::Result<HttpAnswer> {
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP response");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(bad)?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| bad())?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(bad)?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let mut body = raw[split + 4..].to_vec();
    if chunked {
        body = unchunk(&body).ok_or_else(bad)?;
    }
    Ok(HttpAnswer { status, body })
}

fn unchunk(mut raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = raw.windows(2).position(|w| w == b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&raw[..line_end]).ok()?.trim(), 16).ok()?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(raw.get(..size)?);
        raw = raw.get(size + 2..)?;
    }
}

/// Starts `cmd` (a `serve` command) with its log in `log` and waits for the address it
/// says it listens on; panics with the log if it says something else. The tests' workers
/// and the load driver's start this way.
pub fn spawn_listening(cmd: &mut Command, log: &Path) -> (Child, SocketAddr) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).expect("the worker's log file can be created"))
        .spawn()
        .expect("the worker starts (build it first)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("the worker writes where it listens");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "the worker did not say where it listens: {line:?}\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            )
        });
    (child, addr)
}

/// A `serve` worker as a child process.
pub struct Worker {
    child: Child,
    pub addr: SocketAddr,
    log: std::path::PathBuf,
}

impl Worker {
    pub fn start(
        bin: &str,
        standin: &StandIn,
        public_key: &str,
        data: &Path,
        extra: &[&str],
    ) -> Worker {
        let log = data.with_extension("log");
        let mut cmd = Command::new(bin);
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .args(extra)
            .env("DISCORD_TOKEN", standin.token())
            .env("DISCORD_API_BASE", standin.base_url())
            .env("DISCORD_PUBLIC_KEY", public_key)
            .env("RUST_LOG", "info");
        let (child, addr) = spawn_listening(&mut cmd, &log);
        Worker { child, addr, log }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Worker {
    /// Sends the signal `name` (`HUP`, `TERM`, ...) to the worker.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name}");
    }

    /// SIGTERM, and waits for the worker to end (its shutdown code runs).
    pub fn stop(&mut self) {
        self.signal("TERM");
        let _ = self.child.wait();
    }

    /// SIGKILL: no shutdown code runs (a crashed machine).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How a [`Balancer`] picks a worker.
#[derive(Clone, Copy, Debug)]
pub enum Policy {
    RoundRobin,
    /// xorshift from this seed (not zero).
    Random(u64),
}

/// A request as signed and sent: its headers and body.
type Signed = (Vec<(String, String)>, Vec<u8>);

/// A load balancer in front of `serve` workers, signing as Discord does.
pub struct Balancer {
    workers: Mutex<Vec<SocketAddr>>,
    policy: Policy,
    turn: AtomicUsize,
    rng: Mutex<u64>,
    signer: Signer,
    /// Which worker answered each interaction (an index into the workers).
    served: Mutex<HashMap<u64, usize>>,
    /// Each interaction's request as sent (headers and body), for replaying it.
    sent: Mutex<HashMap<u64, Signed>>,
}

impl Balancer {
    pub fn new(workers: Vec<SocketAddr>, policy: Policy, signer: Signer) -> Arc<Self> {
        let seed = match policy {
            Policy::Random(s) => s.max(1),
            Policy::RoundRobin => 1,
        };
        Arc::new(Balancer {
            workers: Mutex::new(workers),
            policy,
            turn: AtomicUsize::new(0),
            rng: Mutex::new(seed),
            signer,
            served: Mutex::default(),
            sent: Mutex::default(),
        })
    }

    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// Points worker `index` at a new address (a restarted worker).
    pub fn set_worker(&self, index: usize, addr: SocketAddr) {
        self.workers.lock().unwrap()[index] = addr;
    }

    pub fn worker(&self, index: usize) -> SocketAddr {
        self.workers.lock().unwrap()[index]
    }

    fn pick(&self, n: usize) -> usize {
        match self.policy {
            Policy::RoundRobin => self.turn.fetch_add(1, Ordering::SeqCst) % n,
            Policy::Random(_) => {
                let mut x = self.rng.lock().unwrap();
                *x ^= *x << 13;
                *x ^= *x >> 7;
                *x ^= *x << 17;
                (*x % n as u64) as usize
            }
        }
    }

    /// Signs `out` now and POSTs it to the next worker; a worker that refuses the
    /// connection is skipped for the next one. Status 0 when none answered.
    pub async fn post(self: Arc<Self>, out: Outgoing) -> HttpAnswer {
        let headers = self.signer.headers(unix_now(), &out.body);
        self.sent
            .lock()
            .unwrap()
            .insert(out.interaction_id, (headers.clone(), out.body.clone()));
        let workers = self.workers.lock().unwrap().clone();
        let first = self.pick(workers.len());
        for attempt in 0..workers.len() {
            let index = (first + attempt) % workers.len();
            match post(workers[index], &headers, &out.body).await {
                Ok(answer) => {
                    self.served
                        .lock()
                        .unwrap()
                        .insert(out.interaction_id, index);
                    return answer;
                }
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => continue,
                Err(_) => break,
            }
        }
        HttpAnswer {
            status: 0,
            body: Vec::new(),
        }
    }

    /// The worker that answered `interaction`, if one did.
    pub fn served_by(&self, interaction: u64) -> Option<usize> {
        self.served.lock().unwrap().get(&interaction).copied()
    }

    /// The body `interaction` was sent with.
    pub fn sent_body(&self, interaction: u64) -> Vec<u8> {
        self.sent.lock().unwrap()[&interaction].1.clone()
    }

    /// Sends `interaction`'s signed request again, byte for byte, to worker `index` (an
    /// attacker who copied it off the wire, or a proxy retrying).
    pub async fn replay(&self, interaction: u64, index: usize) -> HttpAnswer {
        let (headers, body) = self
            .sent
            .lock()
            .unwrap()
            .get(&interaction)
            .cloned()
            .expect("the interaction was sent");
        post(self.worker(index), &headers, &body)
            .await
            .expect("the worker answers")
    }
}

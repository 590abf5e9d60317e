//! Logging to standard error, with secrets redacted.
//!
//! The bot token must never reach a log, at any level: serenity and its HTTP and
//! WebSocket stacks log requests and payloads at trace level. Rather than trusting every
//! dependency, every formatted log line passes through [`Redacting`], which replaces each
//! secret with `[redacted]` before it is written: as text, and in the encodings a
//! wire-level log shows it in (tungstenite logs each frame it sends at trace level, the
//! IDENTIFY frame with the token included, as a list of decimal bytes and as hex).
//!
//! Lines are text for people, or one JSON object per line ([`LogFormat::Json`],
//! `--log-format json`) for a log collector; the redaction applies to both, and to the
//! secret as a JSON string would escape it.

use std::io::Write;
use std::sync::Arc;

use tracing_subscriber::fmt::MakeWriter;

/// A writer factory that redacts `secrets` from everything written through it.
#[derive(Clone)]
pub struct Redacting<W> {
    secrets: Arc<Vec<String>>,
    inner: W,
}

impl<W> Redacting<W> {
    /// Redacts each non-empty secret of `secrets` (surrounding whitespace aside), in
    /// every form of [`forms`].
    pub fn new(inner: W, secrets: impl IntoIterator<Item = String>) -> Self {
        Self {
            secrets: Arc::new(
                secrets
                    .into_iter()
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .flat_map(|s| forms(&s))
                    .collect(),
            ),
            inner,
        }
    }

    /// `text` with every secret replaced.
    pub fn redact(&self, text: &str) -> String {
        self.secrets
            .iter()
            .fold(text.to_owned(), |t, s| t.replace(s.as_str(), "[redacted]"))
    }
}

/// `secret` as text, and as logs of raw bytes show it: lowercase and uppercase hex
/// (`4d5445...`), and decimal bytes as Rust's `Debug` of a byte slice lists them
/// (`77, 84, 69, ...`).
fn forms(secret: &str) -> Vec<String> {
    let bytes = secret.as_bytes();
    vec![
        secret.to_owned(),
        bytes.iter().map(|b| format!("{b:02x}")).collect(),
        bytes.iter().map(|b| format!("{b:02X}")).collect(),
        bytes
            .iter()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        // As a JSON string holds it (the same as the text unless it has quotes,
        // backslashes or control characters).
        serde_json::to_string(secret)
            .map(|q| q[1..q.len() - 1].to_owned())
            .unwrap_or_default(),
    ]
    .into_iter()
    .fold(Vec::new(), |mut unique, form| {
        if !form.is_empty() && !unique.contains(&form) {
            unique.push(form);
        }
        unique
    })
}

/// Collects one log line and writes it, redacted, when dropped.
pub struct RedactingWriter<W: Write> {
    secrets: Arc<Vec<String>>,
    buf: Vec<u8>,
    out: W,
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let text = String::from_utf8_lossy(&self.buf).into_owned();
        let clean = self
            .secrets
            .iter()
            .fold(text, |t, s| t.replace(s.as_str(), "[redacted]"));
        self.buf.clear();
        self.out.write_all(clean.as_bytes())?;
        self.out.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

impl<'a, M> MakeWriter<'a> for Redacting<M>
where
    M: MakeWriter<'a>,
{
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter {
            secrets: self.secrets.clone(),
            buf: Vec::new(),
            out: self.inner.make_writer(),
        }
    }
}

/// Whether to colour what goes to a stream: only a terminal shows colours, and
/// `NO_COLOR` (set to anything but the empty string, as no-color.org says) turns them
/// off there too. A log file or a pipe gets plain text.
pub fn use_colour(stream_is_terminal: bool) -> bool {
    colour_with(stream_is_terminal, std::env::var_os("NO_COLOR").as_deref())
}

fn colour_with(stream_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    stream_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Installs the global subscriber: `filter` as in RUST_LOG, to standard error, with
/// `secrets` redacted, coloured only on a terminal ([`use_colour`]). An invalid filter
/// falls back to `warn` and says so.
pub fn init(filter: &str, secrets: impl IntoIterator<Item = String>) {
    use std::io::IsTerminal;
    let (filter, bad) = match tracing_subscriber::EnvFilter::try_new(filter) {
        Ok(f) => (f, None),
        Err(e) => (tracing_subscriber::EnvFilter::new("warn"), Some(e)),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(use_colour(std::io::stderr().is_terminal()))
        .with_writer(Redacting::new(std::io::stderr, secrets))
        .try_init();
    if let Some(e) = bad {
        tracing::warn!(error = %e, "the log filter (--log / RUST_LOG) is invalid; using `warn`");
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    // Plain comments, not doc comments: clap would show doc comments as per-value help and
    // switch every `--help` to its long layout.
    // One line of text per event, for people.
    #[default]
    Text,
    // One JSON object per line (`timestamp`, `level`, `target`, `message` and the event's
    // fields at the top level), for log collectors.
    Json,
}

/// [`init`], in the given format.
pub fn init_with_format(
    filter: &str,
    format: LogFormat,
    secrets: impl IntoIterator<Item = String>,
) {
    if format == LogFormat::Text {
        return init(filter, secrets);
    }
    let (filter, bad) = match tracing_subscriber::EnvFilter::try_new(filter) {
        Ok(f) => (f, None),
        Err(e) => (tracing_subscriber::EnvFilter::new("warn"), Some(e)),
    };
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_env_filter(filter)
        .with_writer(Redacting::new(std::io::stderr, secrets))
        .try_init();
    if let Some(e) = bad {
        tracing::warn!(error = %e, "the log filter (--log / RUST_LOG) is invalid; using `warn`");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A writer redacting `secrets` into a sink, and the sink to read back.
    fn redacting(secrets: [&str; 2]) -> (Sink, Redacting<impl Fn() -> Sink>) {
        let sink = Sink::default();
        let make = {
            let sink = sink.clone();
            move || sink.clone()
        };
        (sink, Redacting::new(make, secrets.map(str::to_owned)))
    }

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        use std::ffi::OsStr;
        assert!(colour_with(true, None));
        assert!(colour_with(true, Some(OsStr::new(""))));
        assert!(!colour_with(true, Some(OsStr::new("1"))));
        assert!(!colour_with(false, None));
    }

    #[test]
    fn secrets_never_reach_the_output() {
        let (sink, writer) = redacting([" s3cr3t.t0ken\n", ""]);
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(writer)
            .finish();
        let bytes = b"{\"token\":\"Bot s3cr3t.t0ken\"}".to_vec();
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(header = "Bot s3cr3t.t0ken", "request");
            tracing::info!("plain s3cr3t.t0ken in a message");
            // As tungstenite logs a frame it sends.
            tracing::trace!("Sending frame: payload: {bytes:?}");
            tracing::trace!("payload: 0x{hex}");
        });
        let out = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert!(!out.contains("s3cr3t.t0ken"), "{out}");
        let decimal = b"s3cr3t.t0ken".map(|b| b.to_string()).join(", ");
        assert!(!out.contains(&decimal), "{out}");
        let hex_secret: String = b"s3cr3t.t0ken".iter().map(|b| format!("{b:02x}")).collect();
        assert!(!out.contains(&hex_secret), "{out}");
        assert_eq!(out.matches("[redacted]").count(), 4, "{out}");
    }

    #[test]
    fn json_lines_are_redacted_too() {
        // A secret with a quote and a backslash is written escaped in JSON.
        let (sink, writer) = redacting(["s3cr3t\"q", "plain.t0ken"]);
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_max_level(tracing::Level::TRACE)
            .with_writer(writer)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(header = "Bot plain.t0ken", "request");
            tracing::info!(raw = "s3cr3t\"q", "escaped in JSON");
        });
        let out = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        for line in out.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
            assert!(v["message"].is_string(), "{line}");
        }
        assert!(
            !out.contains("plain.t0ken") && !out.contains("s3cr3t"),
            "{out}"
        );
        assert_eq!(out.matches("[redacted]").count(), 2, "{out}");
    }
}

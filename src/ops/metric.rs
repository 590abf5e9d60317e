//! Every metric the bot exports: its name, its labels, what it means, and the one
//! function that records it. Nothing else in the crate names a metric.
//!
//! Recording goes through the `metrics` facade: with no recorder installed (the listener
//! is off, the default) each call is a no-op costing a few nanoseconds, so the click path
//! may call these unconditionally. [`recorder`] installs the Prometheus recorder once per
//! process and returns the handle that renders `/metrics`.
//!
//! Labels take only the fixed values of [`Kind`], [`Outcome`] and status classes, so a
//! scrape has a bounded number of series whatever users send.
//!
//! The click path ([`interaction`], [`answer_latency`], [`store_flush`],
//! [`discord_http_failure`]) does not go through the facade's macros: every series it can
//! touch is registered once, when [`recorder`] installs the Prometheus recorder, and each
//! call is then an atomic increment on a handle held here (no key built, no registry
//! lookup, no allocation). Without the recorder (no `--metrics-addr`) each call is one
//! load of an unset `OnceLock` and returns.
//!
//! | name | type | labels | recorded by |
//! | --- | --- | --- | --- |
//! | `activation_check_build_info` | gauge (1) | `version` | [`build_info`] |
//! | `activation_check_rules_info` | gauge (1) | `id`, `version`, `review_by` | [`rules_info`] |
//! | `activation_check_gateway_connected` | gauge (0/1) | | [`gateway_connected`] |
//! | `activation_check_gateway_reconnects_total` | counter | | [`gateway_reconnect`] |
//! | `activation_check_store_writable` | gauge (0/1) | | [`store_writable`] |
//! | `activation_check_sessions_stored` | gauge | | [`sessions_stored`] |
//! | `activation_check_interactions_total` | counter | `kind`, `outcome` | [`interaction`] |
//! | `activation_check_answer_seconds` | histogram | | [`answer_latency`] |
//! | `activation_check_store_flush_seconds` | histogram | | [`store_flush`] |
//! | `activation_check_store_flush_writes` | histogram | | [`store_flush`] |
//! | `activation_check_discord_http_failures_total` | counter | `status` | [`discord_http_failure`] |

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// The build, as a label: `version` is the crate version.
pub const BUILD_INFO: &str = "activation_check_build_info";
/// The rules in force, as labels: `id`, `version` and `review_by` (a date).
pub const RULES_INFO: &str = "activation_check_rules_info";
/// 1 while the gateway connection is up (READY or RESUMED seen, no stage change since).
pub const GATEWAY_CONNECTED: &str = "activation_check_gateway_connected";
/// Gateway connections re-established after the first: each RESUMED, and each READY
/// after the first.
pub const GATEWAY_RECONNECTS: &str = "activation_check_gateway_reconnects_total";
/// 1 while the store's last probe (a durable write) succeeded.
pub const STORE_WRITABLE: &str = "activation_check_store_writable";
/// Live sessions in the store, as of the last scrape (refreshed at most every few
/// seconds).
pub const SESSIONS_STORED: &str = "activation_check_sessions_stored";
/// Interactions handled, by `kind` ([`Kind`]) and `outcome` ([`Outcome`]).
pub const INTERACTIONS: &str = "activation_check_interactions_total";
/// From receiving an interaction to Discord accepting its answer, in seconds.
pub const ANSWER_SECONDS: &str = "activation_check_answer_seconds";
/// How long one group flush of the store took, in seconds.
pub const STORE_FLUSH_SECONDS: &str = "activation_check_store_flush_seconds";
/// How many writes one group flush made durable.
pub const STORE_FLUSH_WRITES: &str = "activation_check_store_flush_writes";
/// Discord API responses that were rate limits (`status="429"`) or server errors
/// (`status="5xx"`), as the bot's calls see them (every attempt of an answer, a defer, a
/// post or a pin is counted). serenity's own rate limiter, on when the bot talks to
/// Discord directly, waits out a 429 that names its `retry-after` before the bot sees a
/// response; those waits are in serenity's debug log, not here.
pub const DISCORD_HTTP_FAILURES: &str = "activation_check_discord_http_failures_total";

/// Upper bounds of the answer-latency buckets, in seconds. Discord's deadline for the
/// first response is 3 s.
pub const ANSWER_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 15.0,
];
/// Upper bounds of the flush-latency buckets, in seconds.
pub const FLUSH_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
];
/// Upper bounds of the flush-size buckets, in writes.
pub const FLUSH_WRITES_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// What kind of interaction was handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A slash command (`/activation-check`, `/activation-pins`).
    Command,
    /// A button or select menu.
    Component,
    /// A message context-menu command (pinning a card).
    MessageCommand,
    /// Anything else the bot answers with a refusal.
    Other,
}

impl Kind {
    pub const fn label(self) -> &'static str {
        match self {
            Kind::Command => "command",
            Kind::Component => "component",
            Kind::MessageCommand => "message_command",
            Kind::Other => "other",
        }
    }
}

/// How an interaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The user got what they asked for.
    Answered,
    /// The user got a localized refusal for their input (not theirs, outdated, ...).
    Refused,
    /// The bot could not serve it (storage, Discord, a bug); the user got an apology.
    Failed,
}

impl Outcome {
    pub const fn label(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }
}

impl Kind {
    const ALL: [Kind; 4] = [
        Kind::Command,
        Kind::Component,
        Kind::MessageCommand,
        Kind::Other,
    ];
}

impl Outcome {
    const ALL: [Outcome; 3] = [Outcome::Answered, Outcome::Refused, Outcome::Failed];
}

/// The handles of every click-path series, registered once with the installed recorder.
struct ClickPath {
    /// By `Kind as usize`, then `Outcome as usize`.
    interactions: [[metrics::Counter; 3]; 4],
    answer: metrics::Histogram,
    flush_seconds: metrics::Histogram,
    flush_writes: metrics::Histogram,
    /// `429`, then `5xx`.
    http_failures: [metrics::Counter; 2],
}

impl ClickPath {
    fn register() -> Self {
        Self {
            interactions: Kind::ALL.map(|k| {
                Outcome::ALL.map(|o| {
                    metrics::counter!(INTERACTIONS, "kind" => k.label(), "outcome" => o.label())
                })
            }),
            answer: metrics::histogram!(ANSWER_SECONDS),
            flush_seconds: metrics::histogram!(STORE_FLUSH_SECONDS),
            flush_writes: metrics::histogram!(STORE_FLUSH_WRITES),
            http_failures: ["429", "5xx"]
                .map(|s| metrics::counter!(DISCORD_HTTP_FAILURES, "status" => s)),
        }
    }

    fn interaction(&self, kind: Kind, outcome: Outcome) {
        self.interactions[kind as usize][outcome as usize].increment(1);
    }

    fn answer_latency(&self, elapsed: Duration) {
        self.answer.record(elapsed.as_secs_f64());
    }

    fn store_flush(&self, elapsed: Duration, writes: u64) {
        self.flush_seconds.record(elapsed.as_secs_f64());
        self.flush_writes.record(writes as f64);
    }

    fn discord_http_failure(&self, status: u16) {
        match status {
            429 => self.http_failures[0].increment(1),
            500..=599 => self.http_failures[1].increment(1),
            _ => {}
        }
    }
}

/// Set once the Prometheus recorder is installed (see the module documentation).
static CLICK_PATH: OnceLock<ClickPath> = OnceLock::new();

/// Runs `record` on the click path's handles; does nothing until the recorder is
/// installed (the one check every click-path function below makes).
fn on_click_path(record: impl FnOnce(&ClickPath)) {
    if let Some(c) = CLICK_PATH.get() {
        record(c);
    }
}

/// The process's Prometheus recorder, installed globally on the first call (which also
/// registers the click path's series, see the module documentation); every later
/// call returns the same handle. `None` if another recorder was installed first.
pub fn recorder() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = builder().install_recorder().ok()?;
            describe();
            build_info();
            // Every series the click path touches shows from the first scrape, at 0.
            let _ = CLICK_PATH.set(ClickPath::register());
            Some(handle)
        })
        .clone()
}

/// The exporter's settings: which histograms have buckets (the rest would be summaries).
pub fn builder() -> PrometheusBuilder {
    let buckets = [
        (ANSWER_SECONDS, ANSWER_BUCKETS),
        (STORE_FLUSH_SECONDS, FLUSH_BUCKETS),
        (STORE_FLUSH_WRITES, FLUSH_WRITES_BUCKETS),
    ];
    buckets
        .into_iter()
        .fold(PrometheusBuilder::new(), |b, (name, values)| {
            b.set_buckets_for_metric(Matcher::Full(name.to_owned()), values)
                .expect("the bucket lists are not empty")
        })
}

/// `# HELP` lines for every metric.
pub fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_gauge!(BUILD_INFO, "The running build; the value is always 1.");
    describe_gauge!(
        RULES_INFO,
        "The rules in force (id, version, review-by date); the value is always 1."
    );
    describe_gauge!(
        GATEWAY_CONNECTED,
        "1 while the Discord gateway connection is up."
    );
    describe_counter!(
        GATEWAY_RECONNECTS,
        Unit::Count,
        "Gateway connections re-established after the first (resumes and new sessions)."
    );
    describe_gauge!(
        STORE_WRITABLE,
        "1 while the last probe of the store (a durable write) succeeded."
    );
    describe_gauge!(SESSIONS_STORED, Unit::Count, "Live sessions in the store.");
    describe_counter!(
        INTERACTIONS,
        Unit::Count,
        "Interactions handled, by kind and outcome."
    );
    describe_histogram!(
        ANSWER_SECONDS,
        Unit::Seconds,
        "From receiving an interaction to Discord accepting its answer."
    );
    describe_histogram!(
        STORE_FLUSH_SECONDS,
        Unit::Seconds,
        "Duration of one group flush of the store."
    );
    describe_histogram!(
        STORE_FLUSH_WRITES,
        Unit::Count,
        "Writes made durable by one group flush."
    );
    describe_counter!(
        DISCORD_HTTP_FAILURES,
        Unit::Count,
        "Discord API responses that were rate limits (429) or server errors (5xx)."
    );
}

/// Records the crate version as [`BUILD_INFO`].
pub fn build_info() {
    metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
}

/// Records the rules in force as [`RULES_INFO`] (at start; the bot loads its rules once).
pub fn rules_info(id: &str, version: &str, review_by: &str) {
    metrics::gauge!(
        RULES_INFO,
        "id" => id.to_owned(),
        "version" => version.to_owned(),
        "review_by" => review_by.to_owned()
    )
    .set(1.0);
}

/// Whether the gateway connection is up ([`GATEWAY_CONNECTED`]).
pub fn gateway_connected(up: bool) {
    metrics::gauge!(GATEWAY_CONNECTED).set(if up { 1.0 } else { 0.0 });
}

/// One more re-established gateway connection ([`GATEWAY_RECONNECTS`]).
pub fn gateway_reconnect() {
    metrics::counter!(GATEWAY_RECONNECTS).increment(1);
}

/// Whether the last store probe succeeded ([`STORE_WRITABLE`]).
pub fn store_writable(ok: bool) {
    metrics::gauge!(STORE_WRITABLE).set(if ok { 1.0 } else { 0.0 });
}

/// The number of live sessions ([`SESSIONS_STORED`]).
pub fn sessions_stored(n: usize) {
    metrics::gauge!(SESSIONS_STORED).set(n as f64);
}

/// One interaction handled ([`INTERACTIONS`]). For the Discord handler: call once per
/// interaction, when its answer has been sent or has finally failed.
pub fn interaction(kind: Kind, outcome: Outcome) {
    on_click_path(|c| c.interaction(kind, outcome));
}

/// The time from receiving an interaction to Discord accepting its answer
/// ([`ANSWER_SECONDS`]). For the Discord handler, next to [`interaction`].
pub fn answer_latency(elapsed: Duration) {
    on_click_path(|c| c.answer_latency(elapsed));
}

/// One group flush of the store: how long it took and how many writes it made durable
/// ([`STORE_FLUSH_SECONDS`], [`STORE_FLUSH_WRITES`]). For the store, where a flush
/// completes.
pub fn store_flush(elapsed: Duration, writes: u64) {
    on_click_path(|c| c.store_flush(elapsed, writes));
}

/// A response from Discord's API ([`DISCORD_HTTP_FAILURES`]): 429 and 5xx are counted,
/// every other status is ignored, so the Discord edge may pass every failed status.
pub fn discord_http_failure(status: u16) {
    on_click_path(|c| c.discord_http_failure(status));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders what `record` recorded into a recorder of its own.
    fn rendered(record: impl FnOnce()) -> String {
        let recorder = builder().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            describe();
            record();
        });
        handle.render()
    }

    #[test]
    fn click_path_metrics_render_with_their_labels_and_buckets() {
        let out = rendered(|| {
            let c = ClickPath::register();
            c.interaction(Kind::Component, Outcome::Answered);
            c.interaction(Kind::Component, Outcome::Answered);
            c.interaction(Kind::Command, Outcome::Refused);
            c.answer_latency(Duration::from_millis(40));
            c.answer_latency(Duration::from_millis(4000));
            c.store_flush(Duration::from_micros(700), 3);
            c.discord_http_failure(429);
            c.discord_http_failure(502);
            c.discord_http_failure(503);
            c.discord_http_failure(404);
        });
        for line in [
            "activation_check_interactions_total{kind=\"component\",outcome=\"answered\"} 2",
            "activation_check_interactions_total{kind=\"command\",outcome=\"refused\"} 1",
            "activation_check_answer_seconds_bucket{le=\"0.05\"} 1",
            "activation_check_answer_seconds_bucket{le=\"3\"} 1",
            "activation_check_answer_seconds_bucket{le=\"5\"} 2",
            "activation_check_answer_seconds_count 2",
            "activation_check_store_flush_seconds_bucket{le=\"0.0005\"} 0",
            "activation_check_store_flush_seconds_bucket{le=\"0.001\"} 1",
            "activation_check_store_flush_writes_bucket{le=\"2\"} 0",
            "activation_check_store_flush_writes_bucket{le=\"4\"} 1",
            "activation_check_discord_http_failures_total{status=\"429\"} 1",
            "activation_check_discord_http_failures_total{status=\"5xx\"} 2",
            "# HELP activation_check_answer_seconds From receiving an interaction",
            "# TYPE activation_check_answer_seconds histogram",
        ] {
            assert!(out.contains(line), "missing `{line}` in:\n{out}");
        }
        assert!(!out.contains("status=\"404\""), "{out}");
    }

    #[test]
    fn the_handles_registered_once_record_into_the_right_series() {
        let recorder = builder().build_recorder();
        let handle = recorder.handle();
        let c = metrics::with_local_recorder(&recorder, ClickPath::register);
        for (k, kind) in Kind::ALL.into_iter().enumerate() {
            for (o, outcome) in Outcome::ALL.into_iter().enumerate() {
                for _ in 0..(1 + k * 3 + o) {
                    c.interaction(kind, outcome);
                }
            }
        }
        c.store_flush(Duration::from_millis(3), 7);
        c.answer_latency(Duration::from_millis(200));
        c.discord_http_failure(500);
        c.discord_http_failure(599);
        let out = handle.render();
        for (k, kind) in Kind::ALL.into_iter().enumerate() {
            for (o, outcome) in Outcome::ALL.into_iter().enumerate() {
                let line = format!(
                    "activation_check_interactions_total{{kind=\"{}\",outcome=\"{}\"}} {}",
                    kind.label(),
                    outcome.label(),
                    1 + k * 3 + o
                );
                assert!(out.contains(&line), "missing `{line}` in:\n{out}");
            }
        }
        for line in [
            "activation_check_store_flush_seconds_bucket{le=\"0.005\"} 1",
            "activation_check_store_flush_writes_bucket{le=\"8\"} 1",
            "activation_check_store_flush_writes_sum 7",
            "activation_check_answer_seconds_bucket{le=\"0.25\"} 1",
            "activation_check_discord_http_failures_total{status=\"429\"} 0",
            "activation_check_discord_http_failures_total{status=\"5xx\"} 2",
        ] {
            assert!(out.contains(line), "missing `{line}` in:\n{out}");
        }
    }

    #[test]
    fn state_metrics_render() {
        let out = rendered(|| {
            build_info();
            rules_info("activation-check", "2026.11.22", "2027-03-01");
            gateway_connected(true);
            gateway_reconnect();
            store_writable(false);
            sessions_stored(12);
        });
        let build = format!(
            "activation_check_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        for line in [
            build.as_str(),
            "activation_check_rules_info{id=\"activation-check\",version=\"2026.11.22\",review_by=\"2027-03-01\"} 1",
            "activation_check_gateway_connected 1",
            "activation_check_gateway_reconnects_total 1",
            "activation_check_store_writable 0",
            "activation_check_sessions_stored 12",
        ] {
            assert!(out.contains(line), "missing `{line}` in:\n{out}");
        }
    }
}

//! Faults on demand: canned REST answers instead of (or after) handling, delays, and
//! the route patterns that select which requests they hit.

use super::*;

/// A canned answer for fault injection.
#[derive(Clone, Debug)]
pub struct ForcedResponse {
    pub status: u16,
    /// Sent verbatim; JSON unless `content_type` says otherwise.
    pub body: String,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    /// Extra wait before answering.
    pub delay: Duration,
    /// Handle the request first (its effects happen, as when Discord's edge fails after the
    /// origin did the work, or the answer is lost on the way back), then answer with this.
    pub after_handling: bool,
}

impl ForcedResponse {
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: body.to_string(),
            content_type: "application/json".to_owned(),
            headers: Vec::new(),
            delay: Duration::ZERO,
            after_handling: false,
        }
    }
    pub fn text(status: u16, body: &str) -> Self {
        Self {
            status,
            body: body.to_owned(),
            content_type: "text/html".to_owned(),
            headers: Vec::new(),
            delay: Duration::ZERO,
            after_handling: false,
        }
    }
    pub fn internal_error() -> Self {
        Self::json(
            500,
            json!({"message": "500: Internal Server Error", "code": 0}),
        )
    }
    /// Cloudflare-style 502 (HTML body, as Discord's edge really sends).
    pub fn bad_gateway() -> Self {
        Self::text(
            502,
            "<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>",
        )
    }
    /// 429 with Discord's body and `Retry-After` / `X-RateLimit-*` headers.
    pub fn rate_limited(retry_after_secs: f64, global: bool) -> Self {
        let mut r = Self::json(
            429,
            json!({"message": "You are being rate limited.", "retry_after": retry_after_secs, "global": global, "code": 0}),
        );
        let reset = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64()
            + retry_after_secs;
        r.headers = vec![
            (
                "Retry-After".into(),
                format!("{}", retry_after_secs.ceil() as u64),
            ),
            ("X-RateLimit-Limit".into(), "5".into()),
            ("X-RateLimit-Remaining".into(), "0".into()),
            ("X-RateLimit-Reset".into(), format!("{reset:.3}")),
            (
                "X-RateLimit-Reset-After".into(),
                format!("{retry_after_secs:.3}"),
            ),
            ("X-RateLimit-Bucket".into(), "standin-bucket".into()),
            (
                "X-RateLimit-Scope".into(),
                if global { "global" } else { "user" }.into(),
            ),
        ];
        if global {
            r.headers.push(("X-RateLimit-Global".into(), "true".into()));
        }
        r
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
    /// The request takes effect, but the client gets this answer instead of the real one.
    pub fn after_handling(mut self) -> Self {
        self.after_handling = true;
        self
    }
}

impl StandIn {
    /// Answer the next `times` requests matching `pattern` (`"[METHOD ]/api/v10/a/*/b/**"`) with
    /// `response` instead of handling them. Rules are consumed in insertion order.
    pub fn force_response(&self, pattern: &str, times: usize, response: ForcedResponse) {
        self.inner.lock().forced.push(ForcedRule {
            pattern: RoutePattern::parse(pattern),
            remaining: times,
            response,
        });
    }
    /// Forced responses not yet consumed.
    pub fn pending_forced(&self) -> usize {
        self.inner.lock().forced.iter().map(|r| r.remaining).sum()
    }
    pub fn clear_forced(&self) {
        self.inner.lock().forced.clear();
    }
    /// Delay every answer to requests matching `pattern` by `delay` (until `clear_delays`).
    pub fn set_delay(&self, pattern: &str, delay: Duration) {
        self.inner
            .lock()
            .delays
            .push((RoutePattern::parse(pattern), delay));
    }
    pub fn clear_delays(&self) {
        self.inner.lock().delays.clear();
    }

    // ---- gateway -----------------------------------------------------------------------------
}

// ---------------------------------------------------------------------------------------------
// Route patterns and time
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub(super) struct RoutePattern {
    pub(super) method: Option<String>,
    pub(super) segs: Vec<String>,
}

impl RoutePattern {
    pub(super) fn parse(pattern: &str) -> Self {
        let pattern = pattern.trim();
        let (method, path) = match pattern.split_once(' ') {
            Some((m, p)) => (Some(m.to_ascii_uppercase()), p.trim()),
            None => (None, pattern),
        };
        RoutePattern {
            method,
            segs: path
                .trim_matches('/')
                .split('/')
                .map(str::to_owned)
                .collect(),
        }
    }

    pub(super) fn matches(&self, method: &str, path: &str) -> bool {
        if self
            .method
            .as_deref()
            .is_some_and(|m| !m.eq_ignore_ascii_case(method))
        {
            return false;
        }
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut i = 0;
        for (k, p) in self.segs.iter().enumerate() {
            if p == "**" {
                let _ = k;
                return true;
            }
            match segs.get(i) {
                Some(s) if p == "*" || p == s => i += 1,
                _ => return false,
            }
        }
        i == segs.len()
    }
}

//! Whether the bot can serve users right now: the gateway connection is up and the store
//! takes durable writes. Both are set from where they are known (the Discord edge's
//! gateway events, the store probe in [`super::probe_store`]) and read by `/healthz`.

use std::sync::Mutex;
use std::time::Instant;

use super::metric;

/// One condition: up, or down with a reason and since when.
#[derive(Debug, Clone)]
enum Condition {
    Up,
    Down { reason: String, since: Instant },
}

impl Condition {
    fn down(reason: impl Into<String>) -> Self {
        Condition::Down {
            reason: reason.into(),
            since: Instant::now(),
        }
    }
}

/// The bot's health, shared by the gateway watcher, the store probe and the listener.
#[derive(Debug)]
pub struct Health {
    gateway: Mutex<Condition>,
    store: Mutex<Condition>,
}

impl Default for Health {
    fn default() -> Self {
        Self::new()
    }
}

impl Health {
    /// Not connected yet, store not probed yet.
    pub fn new() -> Self {
        Self {
            gateway: Mutex::new(Condition::down("not connected yet")),
            store: Mutex::new(Condition::down("not probed yet")),
        }
    }

    /// The gateway connection is up (READY or RESUMED).
    pub fn gateway_up(&self) {
        set(&self.gateway, Condition::Up);
        metric::gateway_connected(true);
    }

    /// There is no gateway connection to watch (`serve`: Discord sends each interaction
    /// over HTTP); only the store decides.
    pub fn without_gateway(&self) {
        set(&self.gateway, Condition::Up);
    }

    /// The gateway connection is down, for `reason` (keeps the first reason and time
    /// while it stays down).
    pub fn gateway_down(&self, reason: impl Into<String>) {
        let mut g = self.gateway.lock().unwrap_or_else(|e| e.into_inner());
        if matches!(*g, Condition::Up) {
            *g = Condition::down(reason);
        }
        drop(g);
        metric::gateway_connected(false);
    }

    /// The result of a store probe.
    pub fn store_probed(&self, result: Result<(), String>) {
        metric::store_writable(result.is_ok());
        let mut s = self.store.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok(()) => *s = Condition::Up,
            Err(reason) => match &mut *s {
                Condition::Down { reason: r, .. } => *r = reason,
                up => *up = Condition::down(reason),
            },
        }
    }

    /// `Ok` when both are up; otherwise one line saying what is down, for how long and why.
    pub fn status(&self) -> Result<(), String> {
        let parts: Vec<String> = [("gateway", &self.gateway), ("store", &self.store)]
            .into_iter()
            .filter_map(
                |(what, c)| match c.lock().unwrap_or_else(|e| e.into_inner()).clone() {
                    Condition::Up => None,
                    Condition::Down { reason, since } => Some(format!(
                        "{what}: {} (for {} s)",
                        reason.replace(['\n', '\r'], " "),
                        since.elapsed().as_secs()
                    )),
                },
            )
            .collect();
        if parts.is_empty() {
            Ok(())
        } else {
            Err(parts.join("; "))
        }
    }
}

fn set(m: &Mutex<Condition>, c: Condition) {
    *m.lock().unwrap_or_else(|e| e.into_inner()) = c;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_only_when_both_are_up() {
        let h = Health::new();
        let e = h.status().unwrap_err();
        assert!(
            e.starts_with("gateway: not connected yet (for 0 s); store: not probed yet"),
            "{e}"
        );
        h.gateway_up();
        assert_eq!(
            h.status().unwrap_err(),
            "store: not probed yet (for 0 s)".to_owned()
        );
        h.store_probed(Ok(()));
        assert_eq!(h.status(), Ok(()));
        h.gateway_down("connection lost (Resuming)");
        h.gateway_down("a later reason does not replace the first");
        assert_eq!(
            h.status().unwrap_err(),
            "gateway: connection lost (Resuming) (for 0 s)"
        );
        h.gateway_up();
        h.store_probed(Err("No space left\non device".to_owned()));
        assert_eq!(
            h.status().unwrap_err(),
            "store: No space left on device (for 0 s)",
            "one line"
        );
        h.store_probed(Ok(()));
        assert_eq!(h.status(), Ok(()));
    }
}

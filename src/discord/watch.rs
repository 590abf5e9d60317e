//! Reports the gateway connection to the ops listener's [`Health`], and counts
//! reconnects.
//!
//! The truth is the shard manager's record of each shard's stage, which serenity updates
//! on every stage change and every heartbeat acknowledgement. It is read when a READY,
//! RESUMED or stage-change event arrives (serenity dispatches these on tasks of their
//! own, so they may run out of order: the event's own `new` stage could be stale) and
//! every [`POLL_EVERY`], which also catches a shard that died or is being restarted
//! (gone from the manager, or stuck in a connecting stage) without an event.
//!
//! Each RESUMED, and each READY after the first, counts as a reconnect.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serenity::all::{ConnectionStage, Context, EventHandler, Ready, ResumedEvent, ShardManager};
use serenity::async_trait;
use serenity::gateway::ShardStageUpdateEvent;

use crate::ops::{metric, Health};

/// How often the shard manager is read without an event.
pub const POLL_EVERY: Duration = Duration::from_secs(2);

pub struct GatewayWatch {
    health: Arc<Health>,
    manager: OnceLock<Arc<ShardManager>>,
    connected_before: AtomicBool,
}

impl GatewayWatch {
    pub fn new(health: Arc<Health>) -> Self {
        Self {
            health,
            manager: OnceLock::new(),
            connected_before: AtomicBool::new(false),
        }
    }

    /// The client's shard manager, once the client is built.
    pub fn watch(&self, manager: Arc<ShardManager>) {
        let _ = self.manager.set(manager);
    }

    /// Reads every shard's stage and reports it; `fallback` (the stage an event named)
    /// when there is no manager yet.
    async fn refresh(&self, fallback: ConnectionStage) {
        let down = match self.manager.get() {
            None => (fallback != ConnectionStage::Connected).then(|| fallback.to_string()),
            Some(m) => {
                let runners = m.runners.lock().await;
                if runners.is_empty() {
                    Some("no shard is running".to_owned())
                } else {
                    runners
                        .iter()
                        .find(|(_, r)| r.stage != ConnectionStage::Connected)
                        .map(|(id, r)| format!("shard {id} is {}", r.stage))
                }
            }
        };
        match down {
            None => self.health.gateway_up(),
            Some(why) => self.health.gateway_down(format!("not connected ({why})")),
        }
    }

    /// [`GatewayWatch::refresh`] every [`POLL_EVERY`], forever; the caller aborts it.
    pub async fn poll(self: Arc<Self>) {
        let mut ticker = tokio::time::interval(POLL_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if self.connected_before.load(Ordering::SeqCst) {
                self.refresh(ConnectionStage::Connected).await;
            }
        }
    }
}

#[async_trait]
impl EventHandler for GatewayWatch {
    async fn ready(&self, _ctx: Context, _ready: Ready) {
        if self.connected_before.swap(true, Ordering::SeqCst) {
            metric::gateway_reconnect();
        }
        self.refresh(ConnectionStage::Connected).await;
    }

    async fn resume(&self, _ctx: Context, _event: ResumedEvent) {
        self.connected_before.store(true, Ordering::SeqCst);
        metric::gateway_reconnect();
        self.refresh(ConnectionStage::Connected).await;
    }

    async fn shard_stage_update(&self, _ctx: Context, event: ShardStageUpdateEvent) {
        tracing::debug!(old = %event.old, new = %event.new, "gateway stage");
        self.refresh(event.new).await;
    }
}

//! Who may be served now: one interaction at a time per user, a bounded queue per user,
//! and no interaction twice.
//!
//! - A double click, or two devices, must not move a conversation twice: each user's
//!   interactions run one at a time ([`Gates::enter`]).
//! - One user flooding clicks must not slow anyone else: users never share a lock, and a
//!   user with [`MAX_WAITING`] interactions already waiting is told to slow down at once
//!   instead of queueing more work.
//! - Discord may replay dispatches after a gateway RESUME: [`Seen`] remembers recent
//!   interaction ids so a replay is not handled again.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How many interactions of one user may wait behind the one being handled.
pub const MAX_WAITING: usize = 3;
/// How long an interaction waits for its user's previous one before giving up (well
/// within Discord's 3 seconds for the first response).
pub const MAX_WAIT: Duration = Duration::from_millis(1500);
/// How many recent interaction ids are remembered against replays.
pub const SEEN_CAPACITY: usize = 8192;

struct Slot {
    lock: Arc<tokio::sync::Mutex<()>>,
    /// Interactions holding or waiting for `lock`.
    users: Mutex<usize>,
}

/// Per-key gates; entries exist only while someone holds or waits for them.
pub struct Gates<K> {
    slots: Mutex<HashMap<K, Arc<Slot>>>,
}

impl<K> Default for Gates<K> {
    fn default() -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
        }
    }
}

/// Held while an interaction is handled; releases the gate when dropped.
pub struct Pass<'a, K: Eq + Hash + Clone> {
    gates: &'a Gates<K>,
    key: K,
    slot: Arc<Slot>,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

/// Why a gate was not entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// Too many interactions of this user are already waiting.
    Flooding,
    /// The previous one took longer than [`MAX_WAIT`].
    TimedOut,
}

impl<K: Eq + Hash + Clone> Gates<K> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Waits for `key`'s turn (at most [`MAX_WAIT`]), unless [`MAX_WAITING`] others
    /// already wait.
    pub async fn enter(&self, key: &K) -> Result<Pass<'_, K>, Busy> {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            let slot = slots
                .entry(key.clone())
                .or_insert_with(|| {
                    Arc::new(Slot {
                        lock: Arc::new(tokio::sync::Mutex::new(())),
                        users: Mutex::new(0),
                    })
                })
                .clone();
            let mut users = slot.users.lock().unwrap_or_else(|e| e.into_inner());
            if *users > MAX_WAITING {
                return Err(Busy::Flooding);
            }
            *users += 1;
            drop(users);
            slot
        };
        match tokio::time::timeout(MAX_WAIT, slot.lock.clone().lock_owned()).await {
            Ok(guard) => Ok(Pass {
                gates: self,
                key: key.clone(),
                slot,
                _guard: guard,
            }),
            Err(_) => {
                self.leave(key, &slot);
                Err(Busy::TimedOut)
            }
        }
    }

    fn leave(&self, key: &K, slot: &Arc<Slot>) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let mut users = slot.users.lock().unwrap_or_else(|e| e.into_inner());
        *users -= 1;
        if *users == 0 {
            slots.remove(key);
        }
    }

    /// Keys with someone holding or waiting (for tests and metrics).
    pub fn active(&self) -> usize {
        self.slots.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl<K: Eq + Hash + Clone> Drop for Pass<'_, K> {
    fn drop(&mut self) {
        self.gates.leave(&self.key, &self.slot);
    }
}

/// Recently handled ids, bounded.
pub struct Seen {
    inner: Mutex<(VecDeque<u64>, HashSet<u64>)>,
    capacity: usize,
}

impl Seen {
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new((
                VecDeque::with_capacity(capacity),
                HashSet::with_capacity(capacity),
            )),
            capacity,
        }
    }

    /// Records `id`; `false` if it was already recorded (a replay).
    pub fn first_time(&self, id: u64) -> bool {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (order, set) = &mut *guard;
        if !set.insert(id) {
            return false;
        }
        order.push_back(id);
        if order.len() > self.capacity {
            if let Some(old) = order.pop_front() {
                set.remove(&old);
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn one_at_a_time_per_key_and_bounded_queue() {
        let gates: Arc<Gates<u32>> = Arc::new(Gates::new());
        let running = Arc::new(AtomicUsize::new(0));
        let max_running = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..(MAX_WAITING + 1) {
            let (g, r, m) = (gates.clone(), running.clone(), max_running.clone());
            tasks.push(tokio::spawn(async move {
                let _p = g.enter(&1).await.unwrap();
                let now = r.fetch_add(1, Ordering::SeqCst) + 1;
                m.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                r.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        // The holder plus MAX_WAITING waiters: one more is refused at once.
        assert_eq!(gates.enter(&1).await.err(), Some(Busy::Flooding));
        // Another key is not held up.
        let other = tokio::time::timeout(Duration::from_millis(5), gates.enter(&2)).await;
        assert!(other.is_ok_and(|p| p.is_ok()));
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(max_running.load(Ordering::SeqCst), 1);
        assert_eq!(gates.active(), 0, "no entry left behind");
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_too_long_gives_up() {
        let gates: Gates<u32> = Gates::new();
        let held = gates.enter(&1).await.unwrap();
        assert_eq!(gates.enter(&1).await.err(), Some(Busy::TimedOut));
        drop(held);
        assert_eq!(gates.active(), 0);
        assert!(gates.enter(&1).await.is_ok());
    }

    #[test]
    fn replays_are_recognised_within_capacity() {
        let seen = Seen::new(2);
        assert!(seen.first_time(1));
        assert!(!seen.first_time(1));
        assert!(seen.first_time(2));
        assert!(seen.first_time(3));
        assert!(seen.first_time(1), "forgotten beyond capacity");
    }
}

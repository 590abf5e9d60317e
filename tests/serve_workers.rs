//! Two `serve` workers, one PostgreSQL database, one load balancer: the way a bot runs
//! past one machine. The stand-in signs each interaction and the balancer spreads them
//! over both workers (round robin, then at random), so a conversation's clicks alternate
//! between processes. Shown here: every click is answered; a double click given to both
//! workers moves the conversation once, and two devices answering one step differently
//! on two workers get one answer taken and both see it; a replay sent to the other
//! worker is refused;
//! after one worker is killed mid-conversation the other carries on from the last
//! acknowledged step, which the database holds; the card is posted once. Saved answers
//! deleted through one worker stay deleted: an older button given to the other is
//! refused, as `run` refuses it.

mod support;

use std::sync::Arc;

use activation_check::custom_id::CustomId;
use activation_check::session::{Scope, SessionKey, SessionStore};
use activation_check::store::postgres::PgStore;
use activation_check::store::StoreOptions;
use support::interactions::{Balancer, Policy, Signer, Worker};
use support::replies::{answer_id, assert_links_to_post, public_post, reply, title, verb_id};
use support::standin::{
    perms, ComponentClick, Dispatched, InteractionOpts, SlashCommand, StandIn, StoredMessage,
};

const BIN: &str = env!("CARGO_BIN_EXE_activation-check");
const GUILD: u64 = 940_000_000_000_000_001;
const CHANNEL: u64 = 940_000_000_000_000_002;
const MEMBER: u64 = perms::VIEW_CHANNEL | perms::SEND_MESSAGES | perms::USE_APPLICATION_COMMANDS;

/// The step a message's buttons were made at.
/// Asserts that the interactions `ds` went one to each of the two workers.
fn assert_one_to_each_worker(balancer: &Balancer, ds: &[Dispatched]) {
    let mut workers: Vec<usize> = ds
        .iter()
        .map(|d| balancer.served_by(d.interaction_id).unwrap())
        .collect();
    workers.sort_unstable();
    assert_eq!(workers, vec![0, 1], "one click to each worker");
}

fn step_of(m: &StoredMessage) -> u64 {
    let id = m.custom_ids().into_iter().next().expect("a button");
    CustomId::decode(&id).expect("the bot's button").step
}

/// Two `serve` workers on the database at `url` (data directories under `data`) behind
/// a round-robin balancer signing with `signer`, to which the stand-in delivers.
fn two_workers(
    standin: &StandIn,
    url: &str,
    signer: Signer,
    data: &std::path::Path,
) -> (Worker, Worker, Arc<Balancer>) {
    let key = signer.public_key_hex();
    let store = ["--store", url];
    let w0 = Worker::start(BIN, standin, &key, &data.join("w0"), &store);
    let w1 = Worker::start(BIN, standin, &key, &data.join("w1"), &store);
    let balancer = Balancer::new(vec![w0.addr, w1.addr], Policy::RoundRobin, signer);
    {
        let b = balancer.clone();
        standin.deliver_over_http(move |o| b.clone().post(o));
    }
    (w0, w1, balancer)
}

/// The stand-in found nothing wrong in what the workers sent, and none panicked.
fn assert_clean(standin: &StandIn, workers: [&Worker; 2]) {
    assert!(
        standin.violations().is_empty(),
        "{:?}",
        standin.violations()
    );
    for w in workers {
        assert!(!w.log().contains("panicked"), "{}", w.log());
    }
}

struct Walker<'a> {
    standin: &'a StandIn,
    balancer: Arc<Balancer>,
    db: PgStore,
    user: u64,
    /// Which worker answered each interaction, in order.
    served: Vec<usize>,
}

impl<'a> Walker<'a> {
    /// `user`'s walker, reading the database at `url`.
    async fn new(standin: &'a StandIn, balancer: Arc<Balancer>, url: &str, user: u64) -> Self {
        let db = PgStore::connect(url, StoreOptions::default())
            .await
            .unwrap();
        Walker {
            standin,
            balancer,
            db,
            user,
            served: Vec::new(),
        }
    }

    fn key(&self) -> SessionKey {
        SessionKey::new(Scope::Guild(GUILD), self.user.to_string())
    }

    /// The step the database holds for the user.
    async fn stored_step(&self) -> Option<u64> {
        self.db.load(&self.key()).await.unwrap().map(|r| r.step)
    }

    async fn slash(&mut self) -> StoredMessage {
        let d = self
            .standin
            .send_slash_command(
                SlashCommand::new("activation-check")
                    .user(self.user)
                    .locale("en-US")
                    .in_guild(GUILD, CHANNEL)
                    .member_permissions(MEMBER),
            )
            .await;
        let m = reply(self.standin, d.interaction_id).await;
        self.served
            .push(self.balancer.served_by(d.interaction_id).unwrap());
        m
    }

    /// Clicks, waits for the answer, and checks that the acknowledged step is what the
    /// database holds.
    async fn click(&mut self, m: &StoredMessage, custom_id: &str) -> (u64, StoredMessage) {
        let d = self
            .standin
            .send_component(
                ComponentClick::button(m.id, custom_id)
                    .user(self.user)
                    .locale("en-US"),
            )
            .await;
        let answer = reply(self.standin, d.interaction_id).await;
        self.served
            .push(self.balancer.served_by(d.interaction_id).unwrap());
        if !answer.custom_ids().is_empty() && answer.id == m.id {
            assert_eq!(
                self.stored_step().await,
                Some(step_of(&answer)),
                "the acknowledged step is the stored one"
            );
        }
        (d.interaction_id, answer)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_one_database_one_load_balancer() {
    let Some((url, standin, data)) = support::postgres::with_standin().await else {
        return;
    };
    let store = ["--store", url.as_str()];
    let (mut w0, w1, balancer) = two_workers(&standin, &url, Signer::new(11), data.path());
    let mut walker = Walker::new(&standin, balancer.clone(), &url, 940_000_000_000_000_100).await;

    // Round robin: the clicks alternate between the workers.
    let q1 = walker.slash().await;
    assert!(
        title(&q1).contains("What brings you here"),
        "{}",
        title(&q1)
    );
    let (_, q2) = walker.click(&q1, &answer_id(&q1, "concern", 0)).await;
    assert!(title(&q2).contains("How did this PC get its Windows license"));
    let (_, back) = walker.click(&q2, &verb_id(&q2, 'b')).await;
    assert!(title(&back).contains("What brings you here"));
    assert_eq!(walker.served, vec![0, 1, 0], "alternating workers");

    // Two devices, one step, different answers, one click to each worker at once: the
    // database takes one; both devices are shown where the conversation stands.
    let before = walker.stored_step().await.unwrap();
    let devices = [
        ComponentClick::button(back.id, &answer_id(&back, "concern", 0))
            .user(walker.user)
            .locale("en-US"),
        ComponentClick::button(back.id, &answer_id(&back, "concern", 2))
            .user(walker.user)
            .locale("en-US"),
    ];
    let ds = standin.send_components(&devices).await;
    // What each device was answered with (the message itself shows the last answer).
    let mut shown = Vec::new();
    for d in &ds {
        reply(&standin, d.interaction_id).await;
        let body = standin.callbacks_for(d.interaction_id)[0]
            .body
            .clone()
            .unwrap();
        shown.push(
            body["data"]["embeds"][0]["title"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_one_to_each_worker(&balancer, &ds);
    assert_eq!(
        walker.stored_step().await,
        Some(before + 1),
        "one answer taken"
    );
    let now = standin.message(back.id).unwrap();
    assert_eq!(shown[0], shown[1], "both devices see the answer taken");
    assert_eq!(shown[0], title(&now));
    assert_eq!(step_of(&now), before + 1);
    let (_, back) = walker.click(&now, &verb_id(&now, 'b')).await;
    let (_, q2) = walker.click(&back, &answer_id(&back, "concern", 0)).await;

    // A double click: the same button twice before either answer, one to each worker.
    // Both are answered with the next question; the conversation moves once.
    let before = walker.stored_step().await.unwrap();
    let button = answer_id(&q2, "lost-origin", 2);
    let clicks = [
        ComponentClick::button(q2.id, &button)
            .user(walker.user)
            .locale("en-US"),
        ComponentClick::button(q2.id, &button)
            .user(walker.user)
            .locale("en-US"),
    ];
    let ds = standin.send_components(&clicks).await;
    for d in &ds {
        let m = reply(&standin, d.interaction_id).await;
        assert!(title(&m).contains("installation ID"), "{}", title(&m));
    }
    assert_one_to_each_worker(&balancer, &ds);
    assert_eq!(walker.stored_step().await, Some(before + 1), "applied once");
    let q3 = standin.message(q2.id).unwrap();
    assert_eq!(step_of(&q3), before + 1);

    // A replay of the answered click, to the worker that did not take it: refused, and
    // nothing moves.
    let taken = ds[0].interaction_id;
    let other = 1 - balancer.served_by(taken).unwrap();
    let replayed = balancer.replay(taken, other).await;
    assert_eq!(replayed.status, 409);
    assert_eq!(walker.stored_step().await, Some(before + 1));

    // Worker 0 dies (SIGKILL, mid-conversation). The balancer passes its share to worker
    // 1, which carries on from the step the database holds: nothing acknowledged is lost.
    w0.kill();
    let acknowledged = walker.stored_step().await.unwrap();
    let (_, card) = walker
        .click(&q3, &answer_id(&q3, "win10-upgrade-id", 0))
        .await;
    assert!(
        title(&card).contains("Re-activation by phone works"),
        "{}",
        title(&card)
    );
    assert_eq!(walker.stored_step().await, Some(acknowledged + 1));
    let posted_before = standin.messages_in(CHANNEL).len();
    let (post, confirm) = walker.click(&card, &verb_id(&card, 'p')).await;
    assert_links_to_post(&confirm);
    assert_eq!(*walker.served.last().unwrap(), 1, "the surviving worker");
    let posted = public_post(&standin, CHANNEL, posted_before).await;
    // The registry is shared: the post is recorded in the database.
    let registry = activation_check::discord::registry::Registry::postgres(Arc::new(
        PgStore::connect(&url, StoreOptions::default())
            .await
            .unwrap(),
    ));
    assert!(
        registry.get(posted.id).await.unwrap().is_some(),
        "post {post} recorded: {}",
        w1.log()
    );

    // Worker 0 back (a restart): a second user's conversation at random over both.
    let w0 = Worker::start(
        BIN,
        &standin,
        &balancer.signer().public_key_hex(),
        &data.path().join("w0b"),
        &store,
    );
    let random = Balancer::new(
        vec![w0.addr, w1.addr],
        Policy::Random(0x5eed),
        Signer::new(11),
    );
    {
        let b = random.clone();
        standin.deliver_over_http(move |o| b.clone().post(o));
    }
    walker.balancer = random;
    walker.user += 1;
    walker.served.clear();
    let mut m = walker.slash().await;
    for _ in 0..3 {
        let (_, next) = walker.click(&m, &answer_id(&m, "concern", 0)).await;
        let (_, back) = walker.click(&next, &verb_id(&next, 'b')).await;
        m = back;
    }
    assert!(
        walker.served.contains(&0) && walker.served.contains(&1),
        "{:?}",
        walker.served
    );
    assert_eq!(walker.stored_step().await, Some(step_of(&m)));

    assert_clean(&standin, [&w0, &w1]);
}

/// What the database holds for `user`, every row: (forgotten, record).
async fn rows_of(url: &str, user: u64) -> Vec<(bool, serde_json::Value)> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .query(
            "SELECT forgotten, record FROM sessions WHERE user_id = $1",
            &[&user.to_string()],
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// "Delete my saved answers" through one worker; an older button of that conversation
/// through the other is refused with the sentence `run` gives (its memory does it
/// there; the database here), and nothing of the user's answers is left; Start over and
/// a new `/activation-check` still work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_answers_stay_deleted_whichever_worker_gets_an_old_button() {
    let Some((url, standin, data)) = support::postgres::with_standin().await else {
        return;
    };
    let (w0, w1, balancer) = two_workers(&standin, &url, Signer::new(12), data.path());
    let mut walker = Walker::new(&standin, balancer.clone(), &url, 940_000_000_000_000_200).await;
    let user = walker.user;
    // A click on a button as an older copy of the message shows it (another device).
    let old_click = |message: u64, custom_id: String| {
        let standin = &standin;
        let balancer = &balancer;
        async move {
            let click = ComponentClick::button(message, &custom_id)
                .user(user)
                .locale("en-US");
            let d = standin.send_component_edited(click, |_| {}).await;
            let m = reply(standin, d.interaction_id).await;
            (balancer.served_by(d.interaction_id).unwrap(), m)
        }
    };

    // The walk to the card, over both workers.
    let q1 = walker.slash().await;
    let (_, q2) = walker.click(&q1, &answer_id(&q1, "concern", 0)).await;
    let (_, q3) = walker.click(&q2, &answer_id(&q2, "lost-origin", 2)).await;
    let (_, card) = walker
        .click(&q3, &answer_id(&q3, "win10-upgrade-id", 0))
        .await;
    assert!(title(&card).contains("Re-activation by phone works"));
    assert_eq!(walker.served, vec![0, 1, 0, 1], "alternating workers");
    assert!(!rows_of(&url, user).await.is_empty(), "answers saved");

    // Deleted through worker A (0).
    let (_, deleted) = walker.click(&card, &verb_id(&card, 'f')).await;
    assert_eq!(
        deleted.content(),
        support::walks::text("en-US", "forgotten")
    );
    assert_eq!(*walker.served.last().unwrap(), 0, "worker A");

    // An older answer button (the second question's, another device) through worker B:
    // the sentence run gives, and nothing moved.
    let (by, gone) = old_click(q2.id, answer_id(&q2, "lost-origin", 0)).await;
    assert_eq!(by, 1, "worker B");
    assert_eq!(
        gone.content(),
        support::walks::text("en-US", "stale-session")
    );
    // And the card's Back through worker A: the same.
    let (by, gone) = old_click(card.id, verb_id(&card, 'b')).await;
    assert_eq!(by, 0, "worker A");
    assert_eq!(
        gone.content(),
        support::walks::text("en-US", "stale-session")
    );
    // "Post in this channel" (B) and "Did this help?" (A) on the card write nothing, and
    // are refused the same: nothing is posted.
    for (verb, worker) in [('p', 1), ('h', 0)] {
        let (by, gone) = old_click(card.id, verb_id(&card, verb)).await;
        assert_eq!(by, worker);
        assert_eq!(
            gone.content(),
            support::walks::text("en-US", "stale-session"),
            "{verb}"
        );
    }
    assert!(
        standin
            .messages_in(CHANNEL)
            .iter()
            .all(|m| m.is_ephemeral()),
        "nothing posted"
    );
    // The database holds no answer of the user: one marker, and nothing in it.
    let rows = rows_of(&url, user).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].0, "a marker of the deletion: {rows:?}");
    assert_eq!(rows[0].1, serde_json::json!({}), "no answers kept");
    assert_eq!(walker.stored_step().await, None, "no session to resume");

    // Start over still works (on the card of the deleted conversation, through B).
    let (by, again) = old_click(card.id, verb_id(&card, 'r')).await;
    assert_eq!(by, 1, "worker B");
    assert!(
        title(&again).contains("What brings you here"),
        "{}",
        title(&again)
    );
    assert_eq!(walker.stored_step().await, Some(step_of(&again)));
    assert!(step_of(&again) > step_of(&card), "after the deletion");
    let (_, next) = walker.click(&again, &answer_id(&again, "concern", 0)).await;
    assert!(title(&next).contains("How did this PC get its Windows license"));
    assert_eq!(walker.stored_step().await, Some(step_of(&again) + 1));

    // Deleted again, from the resume offer: the older buttons are refused again, and a
    // new /activation-check starts afresh, without an offer; from then on an older
    // button is answered with where the new conversation stands, as `run` answers it.
    let offer = walker.slash().await;
    assert!(offer.custom_ids().iter().any(|i| i.starts_with("ac1:c:")));
    let (_, deleted) = walker.click(&offer, &verb_id(&offer, 'f')).await;
    assert_eq!(
        deleted.content(),
        support::walks::text("en-US", "forgotten")
    );
    let (by, gone) = old_click(next.id, answer_id(&next, "lost-origin", 0)).await;
    assert_eq!(
        gone.content(),
        support::walks::text("en-US", "stale-session"),
        "worker {by}"
    );
    let fresh = walker.slash().await;
    assert!(
        title(&fresh).contains("What brings you here"),
        "{}",
        title(&fresh)
    );
    assert!(!fresh.custom_ids().iter().any(|i| i.starts_with("ac1:c:")));
    assert_eq!(walker.stored_step().await, Some(step_of(&fresh)));
    let (by, outdated) = old_click(next.id, answer_id(&next, "lost-origin", 0)).await;
    assert_eq!(
        outdated.content(),
        support::walks::text("en-US", "outdated-click"),
        "worker {by}"
    );
    assert_eq!(walker.stored_step().await, Some(step_of(&fresh)));

    assert_clean(&standin, [&w0, &w1]);
}

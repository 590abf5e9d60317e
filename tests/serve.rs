//! `activation-check serve`: the real binary answering HTTP interactions from the
//! stand-in, which signs and POSTs them as Discord does. A PING gets PONG; a request
//! that is unsigned, signed with another key, changed after signing, or too old gets 401
//! and changes nothing; a replayed signed request gets 409 and changes nothing; a whole
//! conversation (question, answers, Back, the card, posting it in the channel) runs with
//! every first response in the HTTP response and the rest over REST.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::interactions::{self, Balancer, Policy, Signer, Worker};
use support::replies::{answer_id, assert_links_to_post, public_post, reply, title, verb_id};
use support::standin::{
    perms, ComponentClick, InteractionOpts, SlashCommand, StandIn, StoredMessage,
};

const BIN: &str = env!("CARGO_BIN_EXE_activation-check");
const WAIT: Duration = Duration::from_secs(20);
const GUILD: u64 = 930_000_000_000_000_001;
const CHANNEL: u64 = 930_000_000_000_000_002;
const USER: u64 = 930_000_000_000_000_003;
const MEMBER: u64 = perms::VIEW_CHANNEL | perms::SEND_MESSAGES | perms::USE_APPLICATION_COMMANDS;

async fn click(standin: &StandIn, m: &StoredMessage, custom_id: &str) -> (u64, StoredMessage) {
    let d = standin
        .send_component(
            ComponentClick::button(m.id, custom_id)
                .user(USER)
                .locale("en-US"),
        )
        .await;
    (d.interaction_id, reply(standin, d.interaction_id).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_over_http_interactions_with_pong_forgeries_and_replays_refused() {
    let standin = StandIn::start().await;
    let signer = Signer::new(7);
    let data = tempfile::tempdir().unwrap();
    let worker = Worker::start(
        BIN,
        &standin,
        &signer.public_key_hex(),
        &data.path().join("w"),
        &[],
    );
    // Registered over REST at start, as with the gateway.
    standin
        .wait_for(WAIT, |s| (!s.commands().is_empty()).then_some(()))
        .await
        .expect("commands registered");
    let addr = worker.addr;

    // PING → PONG, signed.
    let ping: &[u8] = br#"{"type":1,"id":"1","application_id":"1","token":"t","version":1}"#;
    let pong = interactions::post(addr, &signer.headers(interactions::unix_now(), ping), ping)
        .await
        .unwrap();
    assert_eq!(pong.status, 200);
    assert_eq!(
        serde_json::from_slice::<Value>(&pong.body).unwrap(),
        json!({"type": 1})
    );

    // Refused with 401 and nothing else: unsigned, another key, a changed body, a stale
    // or future timestamp, a signature that is not hex.
    let other = Signer::new(8);
    let now = interactions::unix_now();
    let changed: &[u8] = br#"{"type":1,"id":"2","application_id":"1","token":"t","version":2}"#;
    let mut not_hex = signer.headers(now, ping);
    not_hex[0].1 = "zz".repeat(64);
    let forgeries = [
        ("unsigned", Vec::<(String, String)>::new(), ping),
        ("another key", other.headers(now, ping), ping),
        ("changed after signing", signer.headers(now, ping), changed),
        ("two minutes old", signer.headers(now - 120, ping), ping),
        ("two minutes ahead", signer.headers(now + 120, ping), ping),
        ("not hex", not_hex, ping),
    ];
    for (what, headers, body) in forgeries {
        let r = interactions::post(addr, &headers, body).await.unwrap();
        assert_eq!(r.status, 401, "{what}");
        assert!(
            r.body.is_empty(),
            "{what}: nothing else: {:?}",
            String::from_utf8_lossy(&r.body)
        );
    }

    // The conversation, every click through the endpoint.
    let balancer = Balancer::new(vec![addr], Policy::RoundRobin, signer);
    {
        let b = balancer.clone();
        standin.deliver_over_http(move |o| b.clone().post(o));
    }
    let d = standin
        .send_slash_command(
            SlashCommand::new("activation-check")
                .user(USER)
                .locale("en-US")
                .in_guild(GUILD, CHANNEL)
                .member_permissions(MEMBER),
        )
        .await;
    let q1 = reply(&standin, d.interaction_id).await;
    assert!(q1.is_ephemeral());
    assert!(
        title(&q1).contains("What brings you here"),
        "{}",
        title(&q1)
    );
    let (_, q2) = click(&standin, &q1, &answer_id(&q1, "concern", 0)).await;
    assert_eq!(
        q2.id, q1.id,
        "updated in place (type 7 in the HTTP response)"
    );
    let (_, back) = click(&standin, &q2, &verb_id(&q2, 'b')).await;
    assert!(title(&back).contains("What brings you here"));
    let (_, q2) = click(&standin, &back, &answer_id(&back, "concern", 0)).await;
    let (answered, q3) = click(&standin, &q2, &answer_id(&q2, "lost-origin", 2)).await;
    assert!(title(&q3).contains("installation ID"), "{}", title(&q3));

    // A forged click (Back on this message, under a new interaction id) signed with
    // another key, or with the right key two minutes ago: 401, and nothing moves (the
    // answer clicked next is taken at this step, which it would not be after a Back).
    let mut forged: Value = serde_json::from_slice(&balancer.sent_body(answered)).unwrap();
    forged["id"] = json!("1300000000000000001");
    forged["data"]["custom_id"] = json!(verb_id(&q3, 'b'));
    let forged = forged.to_string().into_bytes();
    let now = interactions::unix_now();
    for (what, headers) in [
        ("another key", other.headers(now, &forged)),
        (
            "two minutes old",
            balancer.signer().headers(now - 120, &forged),
        ),
    ] {
        let r = interactions::post(addr, &headers, &forged).await.unwrap();
        assert_eq!(r.status, 401, "forged click, {what}");
    }

    // A replay of a signed click, byte for byte, inside the time window: 409, and the
    // conversation does not move (the message still asks the same question).
    let before = standin.callbacks().len();
    let replayed = balancer.replay(answered, 0).await;
    assert_eq!(
        replayed.status,
        409,
        "{:?}",
        String::from_utf8_lossy(&replayed.body)
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        standin.callbacks().len(),
        before,
        "no callback from the replay"
    );
    assert!(title(&standin.message(q3.id).unwrap()).contains("installation ID"));

    // The card, then posting it: the deferred answer (type 5) in the HTTP response, the
    // post and the confirmation over REST.
    let (_, card) = click(&standin, &q3, &answer_id(&q3, "win10-upgrade-id", 0)).await;
    assert!(
        title(&card).contains("Re-activation by phone works"),
        "{}",
        title(&card)
    );
    let before = standin.messages_in(CHANNEL).len();
    let (post, confirm) = click(&standin, &card, &verb_id(&card, 'p')).await;
    assert_eq!(standin.callbacks_for(post)[0].response_type, Some(5));
    assert_links_to_post(&confirm);
    let posted = public_post(&standin, CHANNEL, before).await;
    assert!(!posted.is_ephemeral());
    assert!(title(&posted).contains("Re-activation by phone works"));

    // No callback ever came over REST: every first response was an HTTP response.
    assert!(
        standin
            .requests_matching("POST /api/v10/interactions/**")
            .is_empty(),
        "{:?}",
        standin.requests_matching("POST /api/v10/interactions/**")
    );
    assert!(
        standin.violations().is_empty(),
        "{:?}",
        standin.violations()
    );
    assert!(!worker.log().contains("panicked"), "{}", worker.log());
}

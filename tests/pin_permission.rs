//! The pin command checks the invoking member's own permissions in the card's channel:
//! Discord offers it to members with Pin Messages by default, but a server admin may
//! open it to any role, and the bot must not then pin with its own permission. The real
//! bot against the stand-in, in en-US and ja: members without Pin Messages (Manage
//! Messages alone no longer allows pinning) get a sentence and nothing is pinned; a
//! member with it, and an administrator, pin. serenity 0.12.5 drops bit 51 from the
//! interaction's permissions, so the bot reads them from the guild's roles (the stand-in
//! gives each member a role holding exactly its permissions).

mod support;

use support::standin::{perms, InteractionOpts, MessageCommand, StandIn, StoredMessage};
use support::walks::*;

const USER: u64 = 940_000_000_000_000_003;
const ASKER: u64 = 940_000_000_000_000_004;

/// Posts a card in the test channel; returns the public message.
async fn posted_card(standin: &StandIn, user: u64, locale: &str) -> StoredMessage {
    let card = card(standin, user, locale).await;
    post(standin, &card, user, locale).await.1
}

/// The pin command as a member with `bits` sends it, whether or not Discord would offer
/// it by default (a server admin may have opened it to everyone); the sentence received.
async fn pin_as(standin: &StandIn, card: u64, bits: u64, locale: &str) -> String {
    let d = standin
        .send_message_command(
            MessageCommand::new(PIN_COMMAND, card)
                .user(ASKER)
                .in_guild(GUILD, CHANNEL)
                .member_permissions(bits)
                .locale(locale),
        )
        .await;
    reply(standin, d.interaction_id).await.content().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_members_who_may_pin_in_the_channel_get_a_card_pinned() {
    let (standin, _tmp, _dir, bot) = started().await;
    for locale in ["en-US", "ja"] {
        let posted = posted_card(&standin, USER, locale).await;
        let pins_tried = standin.requests_matching("PUT /api/v10/channels/**").len();
        for (who, bits) in [
            ("an ordinary member", MEMBER),
            (
                "a member with Manage Messages but not Pin Messages",
                MEMBER | perms::MANAGE_MESSAGES,
            ),
        ] {
            let said = pin_as(&standin, posted.id, bits, locale).await;
            assert_eq!(said, text(locale, "error-member-cannot-pin"), "{who}");
            assert!(standin.pins_in(CHANNEL).is_empty(), "{who}: pinned");
        }
        assert_eq!(
            standin.requests_matching("PUT /api/v10/channels/**").len(),
            pins_tried,
            "no pin was attempted"
        );
        // The guild's roles were read for it: bit 51 is not in serenity's view.
        assert!(!standin
            .requests_matching("GET /api/v10/guilds/*")
            .is_empty());

        let said = pin_as(&standin, posted.id, MOD_PERMS, locale).await;
        assert_eq!(said, text(locale, "pinned"));
        assert_eq!(standin.pins_in(CHANNEL), vec![posted.id]);

        // An administrator may pin whatever their roles say about Pin Messages.
        let second = posted_card(&standin, USER + 1, locale).await;
        let said = pin_as(&standin, second.id, MEMBER | perms::ADMINISTRATOR, locale).await;
        assert_eq!(said, text(locale, "pinned"));
        assert!(standin.pins_in(CHANNEL).contains(&second.id));
        for id in standin.pins_in(CHANNEL) {
            standin.unpin_in_discord(CHANNEL, id);
        }
    }
    drop(bot);
}

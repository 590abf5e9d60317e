//! The application commands and their registration.
//!
//! - `/activation-check`: the conversation, in servers and in DMs with the bot.
//! - "Pin activation answer": a message context-menu command for moderators; Discord
//!   offers it only to members with PIN_MESSAGES (`default_member_permissions`).
//! - `/activation-pins`: for moderators, the pinned cards made under older rules.
//! - `/activation-stats`: for moderators, the usage figures (see `usage`).
//!
//! `/activation-reload` is registered apart, in the configured servers only (`reload`).
//!
//! Names and descriptions are localized from the Fluent texts for every loaded locale.

use serenity::all::{
    Command, CommandType, CreateCommand, GuildId, InstallationContext, InteractionContext,
    Permissions,
};
use serenity::http::Http;

use super::permissions::PIN_MESSAGES;
use crate::i18n::Localizer;

/// The conversation command.
pub const ASK: &str = "activation-check";
/// The moderators' listing of outdated pinned cards.
pub const PINS: &str = "activation-pins";
/// The moderators' context-menu command (its base name; localized per locale).
pub const PIN: &str = "Pin activation answer";
/// This server's usage figures, for members with Manage Server or Pin Messages.
pub const STATS: &str = "activation-stats";
/// The owner's reload of the rules and texts, in the configured servers only.
pub const RELOAD: &str = "activation-reload";

fn localized(
    mut c: CreateCommand,
    l10n: &Localizer,
    name: Option<&str>,
    desc: Option<&str>,
) -> CreateCommand {
    for loc in l10n.locale_ids() {
        let tag = l10n.tag(loc);
        if let Some(id) = name {
            c = c.name_localized(tag, l10n.text(loc, id));
        }
        if let Some(id) = desc {
            c = c.description_localized(tag, l10n.text(loc, id));
        }
    }
    c
}

/// A slash command for servers only, named and described by the messages `name_id` and
/// `desc_id` in every locale (the default locale's description as its base).
pub(super) fn server_command(
    command: &str,
    l10n: &Localizer,
    name_id: &str,
    desc_id: &str,
) -> CreateCommand {
    slash_command(
        command,
        l10n,
        name_id,
        desc_id,
        vec![InteractionContext::Guild],
    )
}

/// A slash command offered in `contexts`, named and described as [`server_command`]'s.
fn slash_command(
    command: &str,
    l10n: &Localizer,
    name_id: &str,
    desc_id: &str,
    contexts: Vec<InteractionContext>,
) -> CreateCommand {
    localized(
        CreateCommand::new(command)
            .description(l10n.text(l10n.default_locale(), desc_id))
            .contexts(contexts)
            .integration_types(vec![InstallationContext::Guild]),
        l10n,
        Some(name_id),
        Some(desc_id),
    )
}

/// The commands as they are registered.
pub fn definitions(l10n: &Localizer) -> Vec<CreateCommand> {
    let pin_permission = Permissions::from_bits_retain(PIN_MESSAGES);
    let ask = slash_command(
        ASK,
        l10n,
        "cmd-ask-name",
        "cmd-ask-description",
        vec![InteractionContext::Guild, InteractionContext::BotDm],
    );
    let pins = server_command(PINS, l10n, "cmd-pins-name", "cmd-pins-description")
        .default_member_permissions(pin_permission);
    let pin = localized(
        CreateCommand::new(PIN)
            .kind(CommandType::Message)
            .default_member_permissions(pin_permission)
            .contexts(vec![InteractionContext::Guild])
            .integration_types(vec![InstallationContext::Guild]),
        l10n,
        Some("cmd-pin-name"),
        None,
    );
    vec![ask, pins, pin, stats(l10n)]
}

/// `/activation-stats`, localized. Discord cannot offer a command to members with one
/// permission *or* another, so it is offered to every member and the handler checks for
/// Manage Server or Pin Messages.
fn stats(l10n: &Localizer) -> CreateCommand {
    server_command(STATS, l10n, "cmd-stats-name", "cmd-stats-description")
}

/// Registers the commands globally, or in one server; returns how many.
pub async fn register(
    http: &Http,
    l10n: &Localizer,
    guild: Option<GuildId>,
) -> Result<usize, serenity::Error> {
    let defs = definitions(l10n);
    let n = defs.len();
    match guild {
        Some(g) => {
            g.set_commands(http, defs).await?;
            tracing::info!(guild = %g, commands = n, "registered the commands in one server");
        }
        None => {
            Command::set_global_commands(http, defs).await?;
            tracing::info!(commands = n, "registered the commands globally");
        }
    }
    Ok(n)
}

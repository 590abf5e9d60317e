//! Builders for the interactions tests send as the user: slash commands, component
//! clicks, message commands, and who sends them from where.

use super::*;

// ---------------------------------------------------------------------------------------------
// Interaction builders
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, Default)]
pub enum Place {
    /// Slash: default guild + channel. Component / message command: where the message is.
    #[default]
    Default,
    Guild {
        guild_id: u64,
        channel_id: u64,
    },
    /// DM with the bot; `None` = the user's DM channel (created on demand).
    Dm {
        channel_id: Option<u64>,
    },
}

/// Who invokes an interaction, where, and with which locale/permissions.
#[derive(Clone, Debug, Default)]
pub struct Actor {
    pub user_id: Option<u64>,
    pub username: Option<String>,
    pub place: Place,
    pub locale: Option<String>,
    /// `None` = "en-US" in guilds, absent in DMs.
    pub guild_locale: Option<String>,
    /// Invoking member's permissions (u64 bits, any bit incl. PIN_MESSAGES allowed).
    pub member_permissions: Option<u64>,
    /// `None` = the bot's configured permissions in that channel.
    pub app_permissions: Option<u64>,
    pub roles: Vec<u64>,
    /// Override the `context` field (0 guild, 1 bot DM, 2 private channel).
    pub context: Option<u8>,
}

/// Builder methods shared by all interaction kinds.
pub trait InteractionOpts: Sized {
    fn actor_mut(&mut self) -> &mut Actor;

    fn user(mut self, user_id: u64) -> Self {
        self.actor_mut().user_id = Some(user_id);
        self
    }
    fn username(mut self, name: &str) -> Self {
        self.actor_mut().username = Some(name.to_owned());
        self
    }
    fn in_guild(mut self, guild_id: u64, channel_id: u64) -> Self {
        self.actor_mut().place = Place::Guild {
            guild_id,
            channel_id,
        };
        self
    }
    fn in_dm(mut self) -> Self {
        self.actor_mut().place = Place::Dm { channel_id: None };
        self
    }
    fn in_dm_channel(mut self, channel_id: u64) -> Self {
        self.actor_mut().place = Place::Dm {
            channel_id: Some(channel_id),
        };
        self
    }
    fn locale(mut self, locale: &str) -> Self {
        self.actor_mut().locale = Some(locale.to_owned());
        self
    }
    fn guild_locale(mut self, locale: &str) -> Self {
        self.actor_mut().guild_locale = Some(locale.to_owned());
        self
    }
    fn member_permissions(mut self, bits: u64) -> Self {
        self.actor_mut().member_permissions = Some(bits);
        self
    }
    fn app_permissions(mut self, bits: u64) -> Self {
        self.actor_mut().app_permissions = Some(bits);
        self
    }
    fn roles(mut self, roles: &[u64]) -> Self {
        self.actor_mut().roles = roles.to_vec();
        self
    }
    fn context(mut self, context: u8) -> Self {
        self.actor_mut().context = Some(context);
        self
    }
}

/// A CHAT_INPUT (slash) command invocation.
#[derive(Clone, Debug)]
pub struct SlashCommand {
    pub name: String,
    /// Discord option objects (`{"name","type","value"}` / sub-commands with `options`).
    pub options: Vec<Value>,
    /// `None` = id of the registered command with that name, or a fresh id.
    pub command_id: Option<u64>,
    pub actor: Actor,
}

impl SlashCommand {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            options: Vec::new(),
            command_id: None,
            actor: Actor::default(),
        }
    }
    pub fn option_str(mut self, name: &str, value: &str) -> Self {
        self.options
            .push(json!({"name": name, "type": 3, "value": value}));
        self
    }
    pub fn option_int(mut self, name: &str, value: i64) -> Self {
        self.options
            .push(json!({"name": name, "type": 4, "value": value}));
        self
    }
    pub fn option_bool(mut self, name: &str, value: bool) -> Self {
        self.options
            .push(json!({"name": name, "type": 5, "value": value}));
        self
    }
    pub fn subcommand(mut self, name: &str, options: Vec<Value>) -> Self {
        self.options
            .push(json!({"name": name, "type": 1, "options": options}));
        self
    }
    pub fn option_raw(mut self, option: Value) -> Self {
        self.options.push(option);
        self
    }
    pub fn command_id(mut self, id: u64) -> Self {
        self.command_id = Some(id);
        self
    }
}

impl InteractionOpts for SlashCommand {
    fn actor_mut(&mut self) -> &mut Actor {
        &mut self.actor
    }
}

/// A click on a button or a choice in a select menu of a stored message.
#[derive(Clone, Debug)]
pub struct ComponentClick {
    pub message_id: u64,
    pub custom_id: String,
    /// 2 button, 3 string select, 5 user select, 6 role, 7 mentionable, 8 channel.
    pub component_type: u8,
    pub values: Vec<String>,
    pub actor: Actor,
}

impl ComponentClick {
    pub fn button(message_id: u64, custom_id: &str) -> Self {
        Self {
            message_id,
            custom_id: custom_id.to_owned(),
            component_type: 2,
            values: Vec::new(),
            actor: Actor::default(),
        }
    }
    pub fn select(message_id: u64, custom_id: &str, values: &[&str]) -> Self {
        Self {
            message_id,
            custom_id: custom_id.to_owned(),
            component_type: 3,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
            actor: Actor::default(),
        }
    }
}

impl InteractionOpts for ComponentClick {
    fn actor_mut(&mut self) -> &mut Actor {
        &mut self.actor
    }
}

/// A context-menu "message" command (type 3) on a stored message (see `seed_message`).
#[derive(Clone, Debug)]
pub struct MessageCommand {
    pub name: String,
    pub target_message_id: u64,
    pub command_id: Option<u64>,
    pub actor: Actor,
}

impl MessageCommand {
    pub fn new(name: &str, target_message_id: u64) -> Self {
        Self {
            name: name.to_owned(),
            target_message_id,
            command_id: None,
            actor: Actor::default(),
        }
    }
}

impl InteractionOpts for MessageCommand {
    fn actor_mut(&mut self) -> &mut Actor {
        &mut self.actor
    }
}

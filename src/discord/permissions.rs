//! A member's permissions in a channel, computed from Discord's raw JSON.
//!
//! Pinning needs PIN_MESSAGES (bit 51), which serenity 0.12.5 drops when it parses any
//! permission field (`from_bits_truncate`), the interaction's `member.permissions`
//! included. So the pin command reads the guild (its owner and roles) and the channel
//! (its overwrites) as raw JSON and computes the member's permissions the way Discord
//! documents it: the @everyone role and the member's roles, everything for the owner
//! and for ADMINISTRATOR, then the channel's overwrites for @everyone, for the member's
//! roles together, and for the member. Permission strings are read as whole `u64`s, so
//! no bit is lost.

use serde_json::Value;

pub const ADMINISTRATOR: u64 = 1 << 3;
pub const VIEW_CHANNEL: u64 = 1 << 10;
pub const READ_MESSAGE_HISTORY: u64 = 1 << 16;
pub const ALL: u64 = u64::MAX;
/// PIN_MESSAGES (1 << 51): since 2026-02-23 Discord requires it to pin. serenity 0.12.5
/// has no constant for it and drops the bit when parsing permissions, so it is built
/// with `from_bits_retain` where the bot sends it.
pub const PIN_MESSAGES: u64 = 1 << 51;

/// Overwrite types in a channel's `permission_overwrites`.
const OVERWRITE_ROLE: u64 = 0;
const OVERWRITE_MEMBER: u64 = 1;

/// Who asks: the member's user id, roles, and whether a timeout is in force (a member
/// in a timeout keeps only View Channel and Read Message History).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asker {
    pub user: u64,
    pub roles: Vec<u64>,
    pub timed_out: bool,
}

fn id_of(v: &Value) -> Option<u64> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

fn bits(v: &Value) -> u64 {
    id_of(v).unwrap_or(0)
}

/// The member's permissions in `channel` (a channel object; for a thread, its parent),
/// given `guild` (a guild object with `owner_id` and `roles`). `None` when the guild
/// object lacks what the computation needs.
pub fn in_channel(guild: &Value, channel: &Value, asker: &Asker) -> Option<u64> {
    let guild_id = id_of(&guild["id"])?;
    let roles = guild["roles"].as_array()?;
    let owner = id_of(&guild["owner_id"]);
    let role_bits = |id: u64| {
        roles
            .iter()
            .find(|r| id_of(&r["id"]) == Some(id))
            .map_or(0, |r| bits(&r["permissions"]))
    };
    let mut p = if owner == Some(asker.user) {
        ALL
    } else {
        // The @everyone role has the guild's id.
        let mut base = role_bits(guild_id);
        for r in &asker.roles {
            base |= role_bits(*r);
        }
        base
    };
    if p & ADMINISTRATOR != 0 {
        return Some(ALL);
    }
    let overwrites: &[Value] = channel["permission_overwrites"]
        .as_array()
        .map_or(&[], Vec::as_slice);
    let find = |kind: u64, id: u64| {
        overwrites
            .iter()
            .find(|o| bits(&o["type"]) == kind && id_of(&o["id"]) == Some(id))
            .map(|o| (bits(&o["allow"]), bits(&o["deny"])))
    };
    if let Some((allow, deny)) = find(OVERWRITE_ROLE, guild_id) {
        p = (p & !deny) | allow;
    }
    let (mut allow, mut deny) = (0, 0);
    for r in &asker.roles {
        if let Some((a, d)) = find(OVERWRITE_ROLE, *r) {
            allow |= a;
            deny |= d;
        }
    }
    p = (p & !deny) | allow;
    if let Some((allow, deny)) = find(OVERWRITE_MEMBER, asker.user) {
        p = (p & !deny) | allow;
    }
    if asker.timed_out {
        p &= VIEW_CHANNEL | READ_MESSAGE_HISTORY;
    }
    Some(p)
}

/// Whether `channel` is a thread, whose permissions are its parent channel's.
pub fn is_thread(channel: &Value) -> bool {
    matches!(bits(&channel["type"]), 10..=12)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PIN: u64 = PIN_MESSAGES;
    const GUILD: u64 = 100;
    const MODS: u64 = 200;
    const HELPERS: u64 = 201;
    const USER: u64 = 300;
    const OWNER: u64 = 301;

    fn guild(everyone: u64) -> Value {
        json!({
            "id": GUILD.to_string(),
            "owner_id": OWNER.to_string(),
            "roles": [
                {"id": GUILD.to_string(), "permissions": everyone.to_string()},
                {"id": MODS.to_string(), "permissions": (PIN | VIEW_CHANNEL).to_string()},
                {"id": HELPERS.to_string(), "permissions": VIEW_CHANNEL.to_string()},
            ],
        })
    }

    fn channel(overwrites: Value) -> Value {
        json!({"id": "400", "type": 0, "permission_overwrites": overwrites})
    }

    fn asker(user: u64, roles: &[u64]) -> Asker {
        Asker {
            user,
            roles: roles.to_vec(),
            timed_out: false,
        }
    }

    fn can_pin(g: &Value, c: &Value, a: &Asker) -> bool {
        in_channel(g, c, a).is_some_and(|p| p & PIN != 0)
    }

    #[test]
    fn bit_51_survives_and_roles_add_up() {
        let g = guild(VIEW_CHANNEL);
        let c = channel(json!([]));
        let p = in_channel(&g, &c, &asker(USER, &[MODS])).unwrap();
        assert_eq!(p, PIN | VIEW_CHANNEL);
        assert!(!can_pin(&g, &c, &asker(USER, &[HELPERS])));
        assert!(!can_pin(&g, &c, &asker(USER, &[])));
        // Everyone may pin when @everyone may.
        assert!(can_pin(&guild(PIN), &c, &asker(USER, &[])));
    }

    #[test]
    fn owner_and_administrator_may_do_anything() {
        let c = channel(json!([
            {"id": GUILD.to_string(), "type": 0, "allow": "0", "deny": PIN.to_string()},
        ]));
        assert!(can_pin(&guild(0), &c, &asker(OWNER, &[])));
        assert!(can_pin(&guild(ADMINISTRATOR), &c, &asker(USER, &[])));
    }

    #[test]
    fn overwrites_apply_everyone_then_roles_then_the_member() {
        let g = guild(VIEW_CHANNEL);
        // The channel takes pinning away from the moderators' role...
        let denied = channel(json!([
            {"id": MODS.to_string(), "type": 0, "allow": "0", "deny": PIN.to_string()},
        ]));
        assert!(!can_pin(&g, &denied, &asker(USER, &[MODS])));
        // ...another role's allow wins over a role's deny...
        let both = channel(json!([
            {"id": MODS.to_string(), "type": 0, "allow": "0", "deny": PIN.to_string()},
            {"id": HELPERS.to_string(), "type": 0, "allow": PIN.to_string(), "deny": "0"},
        ]));
        assert!(can_pin(&g, &both, &asker(USER, &[MODS, HELPERS])));
        // ...and the member's own overwrite wins over both.
        let member = channel(json!([
            {"id": HELPERS.to_string(), "type": 0, "allow": PIN.to_string(), "deny": "0"},
            {"id": USER.to_string(), "type": 1, "allow": "0", "deny": PIN.to_string()},
        ]));
        assert!(!can_pin(&g, &member, &asker(USER, &[HELPERS])));
        // A member overwrite is not a role overwrite with the same id.
        let everyone_allowed = channel(json!([
            {"id": GUILD.to_string(), "type": 0, "allow": PIN.to_string(), "deny": "0"},
        ]));
        assert!(can_pin(&g, &everyone_allowed, &asker(USER, &[])));
    }

    #[test]
    fn a_timeout_leaves_only_reading() {
        let mut a = asker(USER, &[MODS]);
        a.timed_out = true;
        let p = in_channel(&guild(VIEW_CHANNEL), &channel(json!([])), &a).unwrap();
        assert_eq!(p, VIEW_CHANNEL);
    }

    #[test]
    fn an_incomplete_guild_gives_no_answer() {
        assert_eq!(
            in_channel(&json!({"id": "1"}), &channel(json!([])), &asker(USER, &[])),
            None
        );
        assert!(is_thread(&json!({"type": 11})));
        assert!(!is_thread(&json!({"type": 0})));
    }
}

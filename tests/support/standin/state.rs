//! The stand-in's state: guilds, channels, messages, interactions, the gateway session,
//! and the JSON Discord would send for each of them.

use super::*;

// ---------------------------------------------------------------------------------------------
// Internal state
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum InterKind {
    Slash,
    MessageCommand,
    Component,
}

pub(super) struct Inter {
    pub(super) id: u64,
    pub(super) token: String,
    pub(super) kind: InterKind,
    pub(super) dispatched_at: Instant,
    pub(super) channel_id: u64,
    pub(super) guild_id: Option<u64>,
    pub(super) user_id: u64,
    pub(super) component_message_id: Option<u64>,
    pub(super) acked: bool,
    pub(super) response_type: Option<u64>,
    pub(super) original_message_id: Option<u64>,
    pub(super) followups: Vec<u64>,
}

pub(super) struct Chan {
    pub(super) id: u64,
    pub(super) guild_id: Option<u64>,
    pub(super) kind: u8,
    pub(super) name: String,
    pub(super) recipient: Option<u64>,
    /// Message ids in creation order.
    pub(super) order: Vec<u64>,
    /// (message id, pinned_at) in pin order.
    pub(super) pins: Vec<(u64, String)>,
}

pub(super) enum Outbound {
    Text(String),
    Close(u16, String),
    Drop,
}

pub(super) struct Conn {
    pub(super) tx: mpsc::UnboundedSender<Outbound>,
    pub(super) identified: bool,
    pub(super) query: Option<String>,
}

pub(super) struct Session {
    pub(super) id: String,
    pub(super) seq: u64,
    pub(super) resumable: bool,
    /// Every dispatch of the session, for RESUME replay.
    pub(super) log: Vec<(u64, String)>,
    pub(super) shard: Option<Value>,
}

#[derive(Default)]
pub(super) struct Gw {
    pub(super) next_conn: u64,
    pub(super) conns: HashMap<u64, Conn>,
    pub(super) current: Option<u64>,
    pub(super) session: Option<Session>,
    pub(super) identifies: Vec<IdentifyRecord>,
    pub(super) resumes: Vec<ResumeRecord>,
    pub(super) frames: Vec<GatewayFrame>,
    pub(super) heartbeats: u64,
    pub(super) ack_heartbeats: bool,
    pub(super) readies: u64,
    /// Sequence numbers the next accepted RESUME replays even if the client had them.
    pub(super) redeliver: Vec<u64>,
}

pub(super) struct ForcedRule {
    pub(super) pattern: RoutePattern,
    pub(super) remaining: usize,
    pub(super) response: ForcedResponse,
}

pub(super) struct St {
    pub(super) cfg: StandInConfig,
    pub(super) base_url: String,
    pub(super) skew: Duration,
    pub(super) last_id: u64,
    pub(super) rng: u64,
    pub(super) req_seq: u64,
    pub(super) requests: Vec<RecordedRequest>,
    pub(super) violations: Vec<Violation>,
    pub(super) interactions: HashMap<u64, Inter>,
    pub(super) tokens: HashMap<String, u64>,
    pub(super) callbacks: Vec<CallbackRecord>,
    pub(super) channels: BTreeMap<u64, Chan>,
    pub(super) messages: HashMap<u64, StoredMessage>,
    pub(super) usernames: HashMap<u64, String>,
    pub(super) channel_perms: HashMap<u64, u64>,
    pub(super) commands: Vec<RegisteredCommand>,
    pub(super) forced: Vec<ForcedRule>,
    pub(super) delays: Vec<(RoutePattern, Duration)>,
    pub(super) gw: Gw,
    /// Load-test mode (see [`StandIn::set_lean`]).
    pub(super) lean: bool,
    /// What `GET /gateway` names instead of the stand-in (see [`StandIn::refuse_gateway`]).
    pub(super) gateway_override: Option<String>,
    /// Every member permission value dispatched in a guild; each is a role of
    /// `GET /guilds/{id}` (see [`perms_role`]).
    pub(super) perm_roles: std::collections::BTreeSet<u64>,
    /// Subscribers to callbacks (see [`StandIn::subscribe_callbacks`]).
    pub(super) callback_subs: Vec<mpsc::UnboundedSender<CallbackRecord>>,
    /// HTTP interactions mode: where interactions go instead of the gateway (see
    /// [`StandIn::deliver_over_http`]).
    pub(super) http_out: Option<mpsc::UnboundedSender<Outgoing>>,
}

pub(super) struct Inner {
    pub(super) st: Mutex<St>,
    pub(super) notify: Notify,
    pub(super) shutdown: watch::Sender<bool>,
}

impl Inner {
    pub(super) fn lock(&self) -> MutexGuard<'_, St> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }
    pub(super) fn changed(&self) {
        self.notify.notify_waiters();
    }
}

// ---------------------------------------------------------------------------------------------
// State helpers
// ---------------------------------------------------------------------------------------------

pub(super) struct ResolvedActor {
    pub(super) user_id: u64,
    pub(super) guild_id: Option<u64>,
    pub(super) channel_id: u64,
    pub(super) locale: String,
    pub(super) guild_locale: Option<String>,
    pub(super) member_permissions: u64,
    pub(super) app_permissions: u64,
    pub(super) roles: Vec<u64>,
    pub(super) context: u8,
}

impl St {
    /// The gateway URL `GET /gateway` names.
    pub(super) fn gateway_url(&self) -> String {
        self.gateway_override
            .clone()
            .unwrap_or_else(|| self.base_url.replacen("http://", "ws://", 1))
    }

    pub(super) fn now_age(&self, since: Instant) -> Duration {
        since.elapsed() + self.skew
    }

    pub(super) fn next_id(&mut self) -> u64 {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        let candidate = ms.saturating_sub(DISCORD_EPOCH_MS) << 22;
        self.last_id = candidate.max(self.last_id + 1);
        self.last_id
    }

    pub(super) fn rand(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(super) fn ensure_guild_channel(&mut self, guild_id: u64, channel_id: u64) {
        self.channels.entry(channel_id).or_insert_with(|| Chan {
            id: channel_id,
            guild_id: Some(guild_id),
            kind: 0,
            name: format!("channel-{}", channel_id % 10_000),
            recipient: None,
            order: Vec::new(),
            pins: Vec::new(),
        });
    }

    pub(super) fn dm_channel_for(&mut self, user_id: u64) -> u64 {
        if let Some(c) = self
            .channels
            .values()
            .find(|c| c.kind == 1 && c.recipient == Some(user_id))
        {
            return c.id;
        }
        let id = self.next_id();
        self.channels.insert(
            id,
            Chan {
                id,
                guild_id: None,
                kind: 1,
                name: String::new(),
                recipient: Some(user_id),
                order: Vec::new(),
                pins: Vec::new(),
            },
        );
        id
    }

    pub(super) fn bot_perms(&self, channel_id: u64) -> u64 {
        let is_dm = self
            .channels
            .get(&channel_id)
            .is_some_and(|c| c.guild_id.is_none());
        let bits = if is_dm {
            perms::ALL_EXCEPT_ADMIN
        } else {
            self.channel_perms
                .get(&channel_id)
                .copied()
                .unwrap_or(self.cfg.default_bot_permissions)
        };
        if bits & perms::ADMINISTRATOR != 0 {
            perms::ALL
        } else {
            bits
        }
    }

    pub(super) fn username(&self, user_id: u64) -> String {
        self.usernames
            .get(&user_id)
            .cloned()
            .unwrap_or_else(|| format!("user{}", user_id % 100_000))
    }

    /// A guild as `GET /guilds/{id}` returns it. Members get their permissions from
    /// roles: @everyone has none, and each member's `member_permissions` is a role of its
    /// own ([`perms_role`]) listed in the member's `roles`, so permissions computed from
    /// the roles (and the channels' empty overwrites) equal `member.permissions`.
    pub(super) fn guild_json(&self, guild_id: u64) -> Value {
        let role = |id: u64, name: &str, permissions: u64, position: u64| {
            json!({
                "id": id.to_string(),
                "name": name,
                "color": 0,
                "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
                "hoist": false,
                "icon": null,
                "unicode_emoji": null,
                "position": position,
                "permissions": permissions.to_string(),
                "managed": false,
                "mentionable": false,
                "flags": 0,
            })
        };
        let mut roles = vec![role(guild_id, "@everyone", 0, 0)];
        roles.extend(
            self.perm_roles
                .iter()
                .map(|p| role(perms_role(*p), &format!("perms {p}"), *p, 1)),
        );
        json!({
            "id": guild_id.to_string(),
            "name": format!("stand-in guild {guild_id}"),
            "icon": null,
            "splash": null,
            "discovery_splash": null,
            "owner_id": STANDIN_GUILD_OWNER.to_string(),
            "afk_channel_id": null,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": roles,
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": null,
            "system_channel_id": null,
            "system_channel_flags": 0,
            "rules_channel_id": null,
            "vanity_url_code": null,
            "description": null,
            "banner": null,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": null,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": false,
            "safety_alerts_channel_id": null,
        })
    }

    pub(super) fn user_json(&self, user_id: u64) -> Value {
        if user_id == self.cfg.bot_user_id {
            return self.bot_user_json();
        }
        let name = self.username(user_id);
        json!({
            "id": user_id.to_string(),
            "username": name,
            "discriminator": "0",
            "global_name": name,
            "avatar": null,
            "bot": false,
            "system": false,
            "banner": null,
            "accent_color": null,
            "public_flags": 0,
            "flags": 0,
            "avatar_decoration_data": null,
        })
    }

    pub(super) fn bot_user_json(&self) -> Value {
        json!({
            "id": self.cfg.bot_user_id.to_string(),
            "username": self.cfg.bot_username,
            "discriminator": "0",
            "global_name": null,
            "avatar": null,
            "bot": true,
            "system": false,
            "mfa_enabled": false,
            "banner": null,
            "accent_color": null,
            "locale": "en-US",
            "verified": true,
            "email": null,
            "flags": 0,
            "premium_type": 0,
            "public_flags": 0,
            "avatar_decoration_data": null,
        })
    }

    pub(super) fn channel_json(&self, channel_id: u64) -> Option<Value> {
        let c = self.channels.get(&channel_id)?;
        Some(if c.kind == 1 {
            json!({
                "id": c.id.to_string(),
                "type": 1,
                "last_message_id": c.order.last().map(|m| m.to_string()),
                "flags": 0,
                "recipients": [self.user_json(c.recipient.unwrap_or(0))],
            })
        } else {
            json!({
                "id": c.id.to_string(),
                "type": c.kind,
                "guild_id": c.guild_id.map(|g| g.to_string()),
                "name": c.name,
                "position": 0,
                "permission_overwrites": [],
                "nsfw": false,
                "parent_id": null,
                "topic": null,
                "last_message_id": c.order.last().map(|m| m.to_string()),
                "rate_limit_per_user": 0,
                "flags": 0,
            })
        })
    }

    pub(super) fn command_id_for(&mut self, name: &str, kind: u64, guild_id: Option<u64>) -> u64 {
        let found = self
            .commands
            .iter()
            .filter(|c| c.name == name && c.kind == kind)
            .filter(|c| c.guild_id.is_none() || c.guild_id == guild_id)
            .max_by_key(|c| c.guild_id.is_some())
            .map(|c| c.id);
        found.unwrap_or_else(|| self.next_id())
    }

    pub(super) fn command_guild(&self, command_id: u64) -> Option<u64> {
        self.commands
            .iter()
            .find(|c| c.id == command_id)
            .and_then(|c| c.guild_id)
    }

    pub(super) fn resolve_actor(
        &mut self,
        a: &Actor,
        message_channel: Option<u64>,
    ) -> ResolvedActor {
        let user_id = a.user_id.unwrap_or(self.cfg.default_user_id);
        if let Some(name) = &a.username {
            self.usernames.insert(user_id, name.clone());
        }
        let (guild_id, channel_id) = match &a.place {
            Place::Guild {
                guild_id,
                channel_id,
            } => {
                self.ensure_guild_channel(*guild_id, *channel_id);
                (Some(*guild_id), *channel_id)
            }
            Place::Dm {
                channel_id: Some(c),
            } => {
                self.channels.entry(*c).or_insert_with(|| Chan {
                    id: *c,
                    guild_id: None,
                    kind: 1,
                    name: String::new(),
                    recipient: Some(user_id),
                    order: Vec::new(),
                    pins: Vec::new(),
                });
                (None, *c)
            }
            Place::Dm { channel_id: None } => (None, self.dm_channel_for(user_id)),
            Place::Default => match message_channel {
                Some(c) => (self.channels.get(&c).and_then(|ch| ch.guild_id), c),
                None => {
                    let (g, c) = (self.cfg.default_guild_id, self.cfg.default_channel_id);
                    self.ensure_guild_channel(g, c);
                    (Some(g), c)
                }
            },
        };
        let context = a.context.unwrap_or(if guild_id.is_some() { 0 } else { 1 });
        ResolvedActor {
            user_id,
            guild_id,
            channel_id,
            locale: a
                .locale
                .clone()
                .unwrap_or_else(|| self.cfg.default_locale.clone()),
            guild_locale: match guild_id {
                Some(_) => Some(a.guild_locale.clone().unwrap_or_else(|| "en-US".to_owned())),
                None => a.guild_locale.clone(),
            },
            member_permissions: a.member_permissions.unwrap_or(perms::MEMBER_DEFAULT),
            app_permissions: a
                .app_permissions
                .unwrap_or_else(|| self.bot_perms(channel_id)),
            roles: a.roles.clone(),
            context,
        }
    }

    /// The message a test's interaction (made with `what`) names; panics where there is
    /// none, as Discord could never send such an interaction.
    pub(super) fn message_for(&self, what: &str, id: u64) -> StoredMessage {
        self.messages
            .get(&id)
            .cloned()
            .unwrap_or_else(|| panic!("stand-in: {what} on unknown message {id}"))
    }

    /// Dispatches a click; `check_custom_id` refuses (panics on) a custom_id the message
    /// does not carry, as Discord could never send one; `edit` changes the payload.
    pub(super) fn dispatch_click(
        &mut self,
        click: &ComponentClick,
        check_custom_id: bool,
        edit: &mut (dyn FnMut(&mut Value) + Send),
    ) -> Dispatched {
        let msg = self.message_for("send_component", click.message_id);
        assert!(
            !check_custom_id || msg.custom_ids().contains(&click.custom_id),
            "stand-in: message {} has no component with custom_id {:?} (has {:?})",
            msg.id,
            click.custom_id,
            msg.custom_ids()
        );
        let actor = self.resolve_actor(&click.actor, Some(msg.channel_id));
        let mut data =
            json!({"custom_id": click.custom_id, "component_type": click.component_type});
        if click.component_type != 2 {
            data["values"] = json!(click.values);
        }
        self.dispatch_interaction_edited(3, InterKind::Component, &actor, data, Some(msg), edit)
    }

    /// Build the full INTERACTION_CREATE payload, register the interaction, dispatch it.
    pub(super) fn dispatch_interaction(
        &mut self,
        kind_num: u8,
        kind: InterKind,
        a: &ResolvedActor,
        data: Value,
        message: Option<StoredMessage>,
    ) -> Dispatched {
        self.dispatch_interaction_edited(kind_num, kind, a, data, message, &mut |_| {})
    }

    /// `dispatch_interaction` with `edit` applied to the complete payload just before it is
    /// dispatched. The interaction stays registered under the id and token built here.
    pub(super) fn dispatch_interaction_edited(
        &mut self,
        kind_num: u8,
        kind: InterKind,
        a: &ResolvedActor,
        data: Value,
        message: Option<StoredMessage>,
        edit: &mut (dyn FnMut(&mut Value) + Send),
    ) -> Dispatched {
        let id = self.next_id();
        let token = format!("standin-itok-{id}-{:016x}{:016x}", self.rand(), self.rand());
        let mut channel = self
            .channel_json(a.channel_id)
            .unwrap_or_else(|| json!({"id": a.channel_id.to_string(), "type": 0}));
        if a.guild_id.is_some() {
            channel["permissions"] = json!(a.member_permissions.to_string());
        }
        let mut v = json!({
            "id": id.to_string(),
            "application_id": self.cfg.application_id.to_string(),
            "type": kind_num,
            "data": data,
            "channel_id": a.channel_id.to_string(),
            "channel": channel,
            "token": token,
            "version": 1,
            "app_permissions": a.app_permissions.to_string(),
            "locale": a.locale,
            "entitlements": [],
            "authorizing_integration_owners": {"0": a.guild_id.map_or_else(|| "0".to_owned(), |g| g.to_string())},
            "context": a.context,
            "attachment_size_limit": 10_485_760u32,
        });
        let user = self.user_json(a.user_id);
        if a.guild_id.is_some() {
            self.perm_roles.insert(a.member_permissions);
        }
        if let Some(g) = a.guild_id {
            v["guild_id"] = json!(g.to_string());
            v["guild"] = json!({"id": g.to_string(), "locale": a.guild_locale.clone().unwrap_or_else(|| "en-US".into()), "features": []});
            v["member"] = json!({
                "user": user,
                "nick": null,
                "avatar": null,
                "banner": null,
                "roles": a.roles.iter().chain([&perms_role(a.member_permissions)]).map(|r| r.to_string()).collect::<Vec<_>>(),
                "joined_at": rfc3339(SystemTime::now() - Duration::from_secs(86_400 * 30)),
                "premium_since": null,
                "deaf": false,
                "mute": false,
                "flags": 0,
                "pending": false,
                "permissions": a.member_permissions.to_string(),
                "communication_disabled_until": null,
                "unusual_dm_activity_until": null,
            });
        } else {
            v["user"] = user;
        }
        if let Some(gl) = &a.guild_locale {
            v["guild_locale"] = json!(gl);
        }
        if let Some(m) = &message {
            let mut mj = m.json.clone();
            if let Some(g) = a.guild_id {
                mj["guild_id"] = json!(g.to_string());
            }
            v["message"] = mj;
        }
        edit(&mut v);
        self.interactions.insert(
            id,
            Inter {
                id,
                token: token.clone(),
                kind,
                dispatched_at: Instant::now(),
                channel_id: a.channel_id,
                guild_id: a.guild_id,
                user_id: a.user_id,
                component_message_id: message.as_ref().map(|m| m.id),
                acked: false,
                response_type: None,
                original_message_id: None,
                followups: Vec::new(),
            },
        );
        self.tokens.insert(token.clone(), id);
        let seq = match &self.http_out {
            Some(out) => {
                let _ = out.send(Outgoing {
                    interaction_id: id,
                    token: token.clone(),
                    body: v.to_string().into_bytes(),
                });
                0
            }
            None => self
                .push_dispatch("INTERACTION_CREATE", v)
                .expect("stand-in: no gateway session"),
        };
        Dispatched {
            interaction_id: id,
            token,
            seq,
            channel_id: a.channel_id,
            guild_id: a.guild_id,
            user_id: a.user_id,
        }
    }

    /// Assign the next sequence number, log the dispatch for RESUME, send it to the live
    /// connection (if any). `None` when no session exists.
    pub(super) fn push_dispatch(&mut self, event: &str, data: Value) -> Option<u64> {
        let session = self.gw.session.as_mut()?;
        session.seq += 1;
        let seq = session.seq;
        let text = json!({"op": 0, "s": seq, "t": event, "d": data}).to_string();
        if !self.lean {
            session.log.push((seq, text.clone()));
        }
        if let Some(conn) = self.gw.current.and_then(|c| self.gw.conns.get(&c)) {
            let _ = conn.tx.send(Outbound::Text(text));
        }
        Some(seq)
    }

    /// Create and store a message; returns its id.
    pub(super) fn create_message(
        &mut self,
        channel_id: u64,
        author_id: u64,
        data: &Value,
        kind: u64,
        interaction_id: Option<u64>,
        files: &[UploadedFile],
    ) -> u64 {
        let id = self.next_id();
        let from_app = interaction_id.is_some();
        let attachments: Vec<Value> = files
            .iter()
            .map(|f| {
                let aid = self.next_id();
                let url = format!("https://cdn.discordapp.com/attachments/{channel_id}/{aid}/{}", f.filename);
                json!({"id": aid.to_string(), "filename": f.filename, "size": f.size, "url": url, "proxy_url": url, "content_type": f.content_type})
            })
            .collect();
        let mut flags = data["flags"].as_u64().unwrap_or(0);
        if !from_app {
            flags &= !MESSAGE_FLAG_EPHEMERAL;
        }
        let json = json!({
            "id": id.to_string(),
            "channel_id": channel_id.to_string(),
            "author": self.user_json(author_id),
            "content": data["content"].as_str().unwrap_or(""),
            "timestamp": rfc3339(SystemTime::now()),
            "edited_timestamp": null,
            "tts": data["tts"].as_bool().unwrap_or(false),
            "mention_everyone": false,
            "mentions": [],
            "mention_roles": [],
            "mention_channels": [],
            "attachments": attachments,
            "embeds": normalize_embeds(&data["embeds"]),
            "reactions": [],
            "pinned": false,
            "webhook_id": if from_app { json!(self.cfg.application_id.to_string()) } else { Value::Null },
            "type": kind,
            "flags": flags,
            "application_id": if from_app { json!(self.cfg.application_id.to_string()) } else { Value::Null },
            "components": data["components"].as_array().cloned().unwrap_or_default(),
            "sticker_items": [],
        });
        self.messages.insert(
            id,
            StoredMessage {
                id,
                channel_id,
                author_id,
                json,
                interaction_id,
                created_at: Instant::now(),
            },
        );
        if let Some(c) = self.channels.get_mut(&channel_id) {
            c.order.push(id);
        }
        id
    }

    pub(super) fn edit_message(&mut self, id: u64, data: &Value, files: &[UploadedFile]) {
        let now = rfc3339(SystemTime::now());
        let mut attachments = Vec::new();
        for f in files {
            let aid = self.next_id();
            let url = format!(
                "https://cdn.discordapp.com/attachments/0/{aid}/{}",
                f.filename
            );
            attachments.push(json!({"id": aid.to_string(), "filename": f.filename, "size": f.size, "url": url, "proxy_url": url, "content_type": f.content_type}));
        }
        let Some(m) = self.messages.get_mut(&id) else {
            return;
        };
        let j = &mut m.json;
        if let Some(c) = data.get("content") {
            j["content"] = json!(c.as_str().unwrap_or(""));
        }
        if data.get("embeds").is_some() {
            j["embeds"] = normalize_embeds(&data["embeds"]);
        }
        if let Some(c) = data.get("components") {
            j["components"] = json!(c.as_array().cloned().unwrap_or_default());
        }
        if data.get("attachments").is_some() || !files.is_empty() {
            // Keep attachments the payload references by id, add the uploads.
            let keep: Vec<String> = data["attachments"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| {
                    a["id"]
                        .as_str()
                        .map(str::to_owned)
                        .or_else(|| a["id"].as_u64().map(|n| n.to_string()))
                })
                .collect();
            let mut current: Vec<Value> = j["attachments"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|a| {
                    a["id"]
                        .as_str()
                        .is_some_and(|id| keep.iter().any(|k| k == id))
                })
                .collect();
            current.extend(attachments);
            j["attachments"] = json!(current);
        }
        let old_flags = j["flags"].as_u64().unwrap_or(0);
        j["flags"] = json!(old_flags & !MESSAGE_FLAG_LOADING);
        j["edited_timestamp"] = json!(now);
    }

    pub(super) fn delete_message(&mut self, id: u64) {
        if let Some(m) = self.messages.remove(&id) {
            if let Some(c) = self.channels.get_mut(&m.channel_id) {
                c.order.retain(|x| *x != id);
                c.pins.retain(|(x, _)| *x != id);
            }
        }
    }

    /// Whether Discord offers the command `name` of `kind` to `actor`: a command with
    /// `default_member_permissions` only to members holding every one of those bits (or
    /// ADMINISTRATOR).
    pub(super) fn may_use(&self, name: &str, kind: u64, actor: &ResolvedActor) -> bool {
        let required = self
            .commands
            .iter()
            .filter(|c| c.name == name && c.kind == kind)
            .filter(|c| c.guild_id.is_none() || c.guild_id == actor.guild_id)
            .find_map(|c| {
                c.json
                    .get("default_member_permissions")
                    .and_then(|v| v.as_str())
                    .and_then(|v| v.parse::<u64>().ok())
            });
        match (required, actor.guild_id) {
            (Some(bits), Some(_)) => {
                actor.member_permissions & perms::ADMINISTRATOR != 0
                    || actor.member_permissions & bits == bits
            }
            _ => true,
        }
    }

    pub(super) fn pin(&mut self, channel_id: u64, message_id: u64) {
        let now = rfc3339(SystemTime::now());
        if let Some(c) = self.channels.get_mut(&channel_id) {
            if !c.pins.iter().any(|(m, _)| *m == message_id) {
                c.pins.push((message_id, now));
            }
        }
        if let Some(m) = self.messages.get_mut(&message_id) {
            m.json["pinned"] = json!(true);
        }
    }

    pub(super) fn violation(
        &mut self,
        kind: ViolationKind,
        ctx: &Ctx<'_>,
        detail: String,
        interaction_id: Option<u64>,
    ) {
        self.violations.push(Violation {
            kind,
            method: ctx.method.to_owned(),
            path: ctx.path.to_owned(),
            detail,
            interaction_id,
            at: Instant::now(),
        });
    }
}

/// RFC 3339 with microseconds, as Discord formats timestamps.
pub(super) fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}+00:00",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        d.subsec_micros()
    )
}

//! Channel messages (with `nonce` + `enforce_nonce`) and pins (250 a channel).

use super::*;

pub(super) fn channel_messages_route(
    st: &mut St,
    ctx: &Ctx<'_>,
    c: &str,
    msg: Option<&str>,
) -> Reply {
    let (cid, perms) = match visible_channel(st, c) {
        Ok(seen) => seen,
        Err(refused) => return refused,
    };
    let bot = st.cfg.bot_user_id;
    let body = ctx.body().clone();
    match (ctx.method, msg) {
        ("GET", None) => {
            let limit = ctx
                .query
                .iter()
                .find(|(k, _)| k == "limit")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(50usize);
            let list: Vec<Value> = st.channels[&cid]
                .order
                .iter()
                .rev()
                .filter_map(|id| st.messages.get(id))
                .filter(|m| !m.is_ephemeral())
                .take(limit)
                .map(|m| m.json.clone())
                .collect();
            Reply::ok(json!(list))
        }
        ("POST", None) => {
            let mentions = Some(mentions_policy(&body));
            if perms & perms::SEND_MESSAGES == 0 {
                return Reply::missing_permissions().with_mentions(mentions);
            }
            let mut errs = Vec::new();
            validate_message(&body, &[], true, ctx.files.len(), &mut errs);
            if let Some(r) = check_errors(st, ctx, errs, None) {
                return r.with_mentions(mentions);
            }
            // Like Discord: with `enforce_nonce`, a nonce this author used in the last few
            // minutes returns that message instead of creating another.
            let nonce = body.get("nonce").filter(|n| n.is_string() || n.is_u64());
            if let Some(n) = nonce.filter(|_| body["enforce_nonce"].as_bool() == Some(true)) {
                let same = st.messages.values().find(|m| {
                    m.author_id == bot
                        && m.json.get("nonce") == Some(n)
                        && m.created_at.elapsed() < Duration::from_secs(5 * 60)
                });
                if let Some(m) = same {
                    return Reply::ok(m.json.clone()).with_mentions(mentions);
                }
            }
            let id = st.create_message(cid, bot, &body, 0, None, ctx.files);
            if let (Some(n), Some(m)) = (nonce, st.messages.get_mut(&id)) {
                m.json["nonce"] = n.clone();
            }
            Reply::ok(st.messages[&id].json.clone()).with_mentions(mentions)
        }
        (m, Some(which)) => {
            let Some(mid) = visible_message(st, cid, which) else {
                return Reply::unknown_message();
            };
            let author = st.messages[&mid].author_id;
            match m {
                "GET" => {
                    if perms & perms::READ_MESSAGE_HISTORY == 0 {
                        return Reply::missing_access();
                    }
                    Reply::ok(st.messages[&mid].json.clone())
                }
                "PATCH" => {
                    let mentions = Some(mentions_policy(&body));
                    if author != bot {
                        return Reply::err(
                            403,
                            50005,
                            "Cannot edit a message authored by another user",
                        )
                        .with_mentions(mentions);
                    }
                    let mut errs = Vec::new();
                    validate_message(&body, &[], false, ctx.files.len(), &mut errs);
                    if let Some(r) = check_errors(st, ctx, errs, None) {
                        return r.with_mentions(mentions);
                    }
                    st.edit_message(mid, &body, ctx.files);
                    Reply::ok(st.messages[&mid].json.clone()).with_mentions(mentions)
                }
                "DELETE" => {
                    if author != bot && perms & perms::MANAGE_MESSAGES == 0 {
                        return Reply::missing_permissions();
                    }
                    st.delete_message(mid);
                    Reply::no_content()
                }
                _ => Reply::method_not_allowed(),
            }
        }
        _ => Reply::method_not_allowed(),
    }
}

/// The most pins the deprecated `GET /channels/{id}/pins` lists (the newest first), as
/// one page of the paginated endpoint.
pub(super) const LEGACY_PINS_LISTED: usize = 50;

pub(super) fn pins_route(
    st: &mut St,
    ctx: &Ctx<'_>,
    c: &str,
    msg: Option<&str>,
    new_api: bool,
) -> Reply {
    let (cid, perms) = match visible_channel(st, c) {
        Ok(seen) => seen,
        Err(refused) => return refused,
    };
    match (ctx.method, msg) {
        ("GET", None) => {
            let mut pins: Vec<(Value, String)> = st.channels[&cid]
                .pins
                .iter()
                .rev()
                .filter_map(|(id, at)| st.messages.get(id).map(|m| (m.json.clone(), at.clone())))
                .collect();
            if !new_api {
                // The deprecated list shows the newest pins only, at most a page.
                pins.truncate(LEGACY_PINS_LISTED);
            }
            if new_api {
                Reply::ok(json!({
                    "items": pins.into_iter().map(|(m, at)| json!({"pinned_at": at, "message": m})).collect::<Vec<_>>(),
                    "has_more": false,
                }))
            } else {
                Reply::ok(json!(pins.into_iter().map(|(m, _)| m).collect::<Vec<_>>()))
            }
        }
        (m @ ("PUT" | "DELETE"), Some(which)) => {
            if perms & perms::PIN_MESSAGES == 0 {
                return Reply::missing_permissions();
            }
            let Some(mid) = visible_message(st, cid, which) else {
                return Reply::unknown_message();
            };
            if m == "DELETE" {
                if let Some(ch) = st.channels.get_mut(&cid) {
                    ch.pins.retain(|(x, _)| *x != mid);
                }
                if let Some(msg) = st.messages.get_mut(&mid) {
                    msg.json["pinned"] = json!(false);
                }
                return Reply::no_content();
            }
            let ch = &st.channels[&cid];
            if !ch.pins.iter().any(|(x, _)| *x == mid) && ch.pins.len() >= st.cfg.max_pins {
                return Reply::err(
                    400,
                    30003,
                    &format!("Maximum number of pins reached ({})", st.cfg.max_pins),
                );
            }
            st.pin(cid, mid);
            Reply::no_content()
        }
        _ => Reply::method_not_allowed(),
    }
}

/// The channel `c` names and the bot's permissions in it, if it exists and the bot can
/// see it; else Discord's refusal.
fn visible_channel(st: &St, c: &str) -> Result<(u64, u64), Reply> {
    let Some(cid) = parse_id(c).filter(|c| st.channels.contains_key(c)) else {
        return Err(Reply::unknown_channel());
    };
    let perms = st.bot_perms(cid);
    if perms & perms::VIEW_CHANNEL == 0 {
        return Err(Reply::missing_access());
    }
    Ok((cid, perms))
}

/// The message `which` names, if it exists in channel `cid` and is not ephemeral: what
/// the message and pin routes answer Unknown Message for otherwise.
fn visible_message(st: &St, cid: u64, which: &str) -> Option<u64> {
    parse_id(which).filter(|id| {
        st.messages
            .get(id)
            .is_some_and(|x| x.channel_id == cid && !x.is_ephemeral())
    })
}

//! Interaction callbacks (timed against the 3 s rule) and webhook edits and follow-ups
//! (the interaction token's 15 minutes).

use super::*;

pub(super) fn callback_route(st: &mut St, ctx: &Ctx<'_>, id: &str, token: &str) -> Reply {
    let body = ctx.body().clone();
    let rtype = body["type"].as_u64();
    let with_response = ctx.query_flag("with_response");
    let Some(iid) = parse_id(id).filter(|i| st.interactions.contains_key(i)) else {
        st.violation(
            ViolationKind::UnknownInteraction,
            ctx,
            format!("interaction {id}"),
            None,
        );
        return Reply::err(404, 10062, "Unknown interaction");
    };
    let (latency, acked, kind, token_ok, component_message_id, channel_id) = {
        let i = &st.interactions[&iid];
        (
            st.now_age(i.dispatched_at).saturating_sub(ctx.at.elapsed()),
            i.acked,
            i.kind,
            i.token == token,
            i.component_message_id,
            i.channel_id,
        )
    };
    let mentions = matches!(rtype, Some(4 | 7)).then(|| mentions_policy(&body["data"]));
    let mut record = CallbackRecord {
        interaction_id: iid,
        response_type: rtype,
        body: Some(body.clone()),
        status: 0,
        latency,
        received_at: ctx.at,
        accepted: false,
        with_response,
        message_id: None,
    };
    let reply = (|| {
        if !token_ok {
            st.violation(
                ViolationKind::UnknownInteraction,
                ctx,
                "token does not match".into(),
                Some(iid),
            );
            return Reply::err(401, 50027, "Invalid Webhook Token");
        }
        if acked {
            st.violation(
                ViolationKind::DuplicateCallback,
                ctx,
                format!("second callback (type {rtype:?})"),
                Some(iid),
            );
            return Reply::err(400, 40060, "Interaction has already been acknowledged.");
        }
        if latency > st.cfg.callback_deadline {
            st.violation(
                ViolationKind::LateCallback,
                ctx,
                format!(
                    "callback {latency:?} after dispatch (deadline {:?})",
                    st.cfg.callback_deadline
                ),
                Some(iid),
            );
            return Reply::err(404, 10062, "Unknown interaction");
        }
        let valid_type = matches!(
            (kind, rtype),
            (_, Some(4 | 5 | 9)) | (InterKind::Component, Some(6 | 7))
        );
        if !valid_type {
            st.violation(
                ViolationKind::InvalidResponseType,
                ctx,
                format!("type {rtype:?} for {kind:?}"),
                Some(iid),
            );
            return form_reply(&[FieldError::new(
                &["type"],
                "INTERACTION_RESPONSE_TYPE_INVALID",
                "Interaction response type is invalid for this interaction",
            )]);
        }
        let data = &body["data"];
        let mut errs = Vec::new();
        match rtype {
            Some(4) => validate_message(data, &["data"], true, ctx.files.len(), &mut errs),
            Some(7) => validate_message(data, &["data"], false, ctx.files.len(), &mut errs),
            Some(9) => validate_modal(data, &mut errs),
            _ => {}
        }
        if let Some(r) = check_errors(st, ctx, errs, Some(iid)) {
            return r;
        }
        let msg_kind = if kind == InterKind::Slash {
            20
        } else if kind == InterKind::MessageCommand {
            23
        } else {
            0
        };
        let bot = st.cfg.bot_user_id;
        let original = match rtype {
            Some(4) => {
                Some(st.create_message(channel_id, bot, data, msg_kind, Some(iid), ctx.files))
            }
            Some(5) => {
                let flags = (data["flags"].as_u64().unwrap_or(0) & MESSAGE_FLAG_EPHEMERAL)
                    | MESSAGE_FLAG_LOADING;
                Some(st.create_message(
                    channel_id,
                    bot,
                    &json!({"flags": flags}),
                    msg_kind,
                    Some(iid),
                    &[],
                ))
            }
            Some(6) => component_message_id,
            Some(7) => {
                if let Some(mid) = component_message_id {
                    st.edit_message(mid, data, ctx.files);
                }
                component_message_id
            }
            _ => None,
        };
        let i = st.interactions.get_mut(&iid).expect("interaction exists");
        i.acked = true;
        i.response_type = rtype;
        i.original_message_id = original;
        record.accepted = true;
        record.message_id = original;
        if with_response {
            let message = original
                .and_then(|m| st.messages.get(&m))
                .map(|m| m.json.clone());
            Reply::ok(json!({
                "interaction": {
                    "id": iid.to_string(),
                    "type": if kind == InterKind::Component { 3 } else { 2 },
                    "response_message_id": original.map(|m| m.to_string()),
                    "response_message_loading": rtype == Some(5),
                    "response_message_ephemeral": message.as_ref().is_some_and(|m| m["flags"].as_u64().unwrap_or(0) & MESSAGE_FLAG_EPHEMERAL != 0),
                },
                "resource": {"type": rtype, "message": message},
            }))
        } else {
            Reply::no_content()
        }
    })();
    record.status = reply.status;
    if !st.callback_subs.is_empty() {
        st.callback_subs
            .retain(|tx| tx.send(record.clone()).is_ok());
    }
    if st.lean {
        if record.accepted {
            if let Some(i) = st.interactions.remove(&iid) {
                st.tokens.remove(&i.token);
            }
        }
    } else {
        st.callbacks.push(record);
    }
    reply.with_mentions(mentions)
}

// ---- webhooks (follow-ups, @original) ---------------------------------------------------------

pub(super) fn webhook_route(
    st: &mut St,
    ctx: &Ctx<'_>,
    app: &str,
    token: &str,
    msg: Option<&str>,
) -> Reply {
    if parse_id(app) != Some(st.cfg.application_id) {
        st.violation(
            ViolationKind::UnknownWebhook,
            ctx,
            format!("application {app}"),
            None,
        );
        return Reply::unknown_webhook();
    }
    let Some(iid) = st.tokens.get(token).copied() else {
        st.violation(
            ViolationKind::UnknownWebhook,
            ctx,
            "unknown interaction token".into(),
            None,
        );
        return Reply::unknown_webhook();
    };
    let (age, acked, channel_id, original, followups) = {
        let i = &st.interactions[&iid];
        (
            st.now_age(i.dispatched_at),
            i.acked,
            i.channel_id,
            i.original_message_id,
            i.followups.clone(),
        )
    };
    if age > st.cfg.webhook_token_ttl {
        st.violation(
            ViolationKind::ExpiredWebhookToken,
            ctx,
            format!("token used {age:?} after dispatch"),
            Some(iid),
        );
        return Reply::err(401, 50027, "Invalid Webhook Token");
    }
    let body = ctx.body().clone();
    match (ctx.method, msg) {
        ("POST", None) => {
            let mentions = Some(mentions_policy(&body));
            if !acked {
                st.violation(
                    ViolationKind::FollowupBeforeAck,
                    ctx,
                    "follow-up before the interaction was acknowledged".into(),
                    Some(iid),
                );
                return Reply::unknown_webhook().with_mentions(mentions);
            }
            let mut errs = Vec::new();
            validate_message(&body, &[], true, ctx.files.len(), &mut errs);
            if let Some(r) = check_errors(st, ctx, errs, Some(iid)) {
                return r.with_mentions(mentions);
            }
            let bot = st.cfg.bot_user_id;
            let id = st.create_message(channel_id, bot, &body, 0, Some(iid), ctx.files);
            if let Some(i) = st.interactions.get_mut(&iid) {
                i.followups.push(id);
            }
            Reply::ok(st.messages[&id].json.clone()).with_mentions(mentions)
        }
        (m, Some(which)) => {
            let target = if which == "@original" {
                original
            } else {
                parse_id(which).filter(|id| followups.contains(id) || Some(*id) == original)
            };
            let Some(mid) = target.filter(|id| st.messages.contains_key(id)) else {
                return Reply::unknown_message();
            };
            match m {
                "GET" => Reply::ok(st.messages[&mid].json.clone()),
                "DELETE" => {
                    st.delete_message(mid);
                    Reply::no_content()
                }
                "PATCH" => {
                    let mentions = Some(mentions_policy(&body));
                    let mut errs = Vec::new();
                    validate_message(&body, &[], false, ctx.files.len(), &mut errs);
                    if let Some(r) = check_errors(st, ctx, errs, Some(iid)) {
                        return r.with_mentions(mentions);
                    }
                    st.edit_message(mid, &body, ctx.files);
                    Reply::ok(st.messages[&mid].json.clone()).with_mentions(mentions)
                }
                _ => Reply::method_not_allowed(),
            }
        }
        _ => Reply::method_not_allowed(),
    }
}

// ---- channel messages and pins ----------------------------------------------------------------

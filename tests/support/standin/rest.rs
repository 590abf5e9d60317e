//! REST v10: the router every request goes through (recorded, faults applied), the
//! application and its commands.

use super::*;

// ---------------------------------------------------------------------------------------------
// REST
// ---------------------------------------------------------------------------------------------

pub(super) struct Ctx<'a> {
    pub(super) method: &'a str,
    pub(super) path: &'a str,
    pub(super) query: Vec<(String, String)>,
    pub(super) body: Option<&'a Value>,
    pub(super) files: &'a [UploadedFile],
    pub(super) at: Instant,
}

impl Ctx<'_> {
    pub(super) fn query_flag(&self, name: &str) -> bool {
        self.query.iter().any(|(k, v)| k == name && v == "true")
    }
    pub(super) fn body(&self) -> &Value {
        self.body.unwrap_or(&Value::Null)
    }
}

pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) body: Option<Value>,
    pub(super) headers: Vec<(String, String)>,
    pub(super) unhandled: bool,
    pub(super) mentions: Option<MentionsPolicy>,
}

impl Reply {
    pub(super) fn json(status: u16, body: Value) -> Self {
        Reply {
            status,
            body: Some(body),
            headers: Vec::new(),
            unhandled: false,
            mentions: None,
        }
    }
    pub(super) fn ok(body: Value) -> Self {
        Self::json(200, body)
    }
    pub(super) fn no_content() -> Self {
        Reply {
            status: 204,
            body: None,
            headers: Vec::new(),
            unhandled: false,
            mentions: None,
        }
    }
    pub(super) fn err(status: u16, code: i64, message: &str) -> Self {
        Self::json(status, json!({"code": code, "message": message}))
    }
    pub(super) fn unknown_message() -> Self {
        Self::err(404, 10008, "Unknown Message")
    }
    pub(super) fn unknown_channel() -> Self {
        Self::err(404, 10003, "Unknown Channel")
    }
    pub(super) fn missing_permissions() -> Self {
        Self::err(403, 50013, "Missing Permissions")
    }
    pub(super) fn missing_access() -> Self {
        Self::err(403, 50001, "Missing Access")
    }
    pub(super) fn unknown_webhook() -> Self {
        Self::err(404, 10015, "Unknown Webhook")
    }
    pub(super) fn not_found() -> Self {
        Reply {
            unhandled: true,
            ..Self::err(404, 0, "404: Not Found")
        }
    }
    pub(super) fn method_not_allowed() -> Self {
        Reply {
            unhandled: true,
            ..Self::err(405, 0, "405: Method Not Allowed")
        }
    }
    pub(super) fn with_mentions(mut self, m: Option<MentionsPolicy>) -> Self {
        self.mentions = m;
        self
    }
}

pub(super) async fn rest_route(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    let at = Instant::now();
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, 64 * 1024 * 1024).await.unwrap_or_default();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let query_raw = parts.uri.query().map(str::to_owned);
    let header = |name: HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let authorization = header(AUTHORIZATION);
    let content_type = header(CONTENT_TYPE);
    let query: Vec<(String, String)> = query_raw
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    let (body_json, files, body_invalid) = parse_body(&bytes, content_type.as_deref());

    let index = {
        let mut st = inner.lock();
        st.req_seq += 1;
        st.req_seq - 1
    };

    // Configured delays, then forced responses.
    let (delay, forced) = {
        let mut st = inner.lock();
        let delay: Duration = st
            .delays
            .iter()
            .filter(|(p, _)| p.matches(&method, &path))
            .map(|(_, d)| *d)
            .sum();
        let mut forced = None;
        for rule in st.forced.iter_mut() {
            if rule.remaining > 0 && rule.pattern.matches(&method, &path) {
                rule.remaining -= 1;
                forced = Some(rule.response.clone());
                break;
            }
        }
        st.forced.retain(|r| r.remaining > 0);
        (delay, forced)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }

    let (reply, forced_flag, raw_forced) = match forced {
        Some(f) if !f.after_handling => (canned(&f).await, true, Some(f)),
        forced => {
            let ctx = Ctx {
                method: &method,
                path: &path,
                query,
                body: body_json.as_ref(),
                files: &files,
                at,
            };
            let reply = {
                let mut st = inner.lock();
                if body_invalid {
                    st.violation(
                        ViolationKind::InvalidJson,
                        &ctx,
                        "body is not valid JSON".into(),
                        None,
                    );
                    Reply::err(400, 50109, "The request body contains invalid JSON.")
                } else if path != "/api/v10/gateway"
                    && authorization.as_deref() != Some(&format!("Bot {}", st.cfg.token))
                {
                    st.violation(
                        ViolationKind::Unauthorized,
                        &ctx,
                        format!("Authorization: {authorization:?}"),
                        None,
                    );
                    Reply::err(401, 0, "401: Unauthorized")
                } else {
                    route(&mut st, &ctx)
                }
            };
            match forced {
                // Handled (its effects stay), but the client is told otherwise.
                Some(f) => {
                    inner.changed();
                    (canned(&f).await, true, Some(f))
                }
                None => (reply, false, None),
            }
        }
    };

    let lean = inner.lock().lean;
    if !lean {
        let mut st = inner.lock();
        st.requests.push(RecordedRequest {
            index,
            method: method.clone(),
            path: path.clone(),
            query: query_raw,
            authorization,
            content_type,
            body: body_json,
            files,
            received_at: at,
            status: reply.status,
            response: reply.body.clone(),
            forced: forced_flag,
            unhandled: reply.unhandled,
            allowed_mentions: reply.mentions.clone(),
        });
    }
    inner.changed();

    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = match (&raw_forced, &reply.body) {
        (Some(f), _) => {
            let mut r = Response::new(Body::from(f.body.clone()));
            if let Ok(v) = HeaderValue::from_str(&f.content_type) {
                r.headers_mut().insert(CONTENT_TYPE, v);
            }
            r
        }
        (None, Some(b)) if reply.status != 204 => {
            let mut r = Response::new(Body::from(b.to_string()));
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
        _ => Response::new(Body::empty()),
    };
    *resp.status_mut() = status;
    for (k, v) in &reply.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k.as_str()), HeaderValue::from_str(v)) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp.into_response()
}

/// (json body, uploaded files, body present but not parseable)
pub(super) fn parse_body(
    bytes: &[u8],
    content_type: Option<&str>,
) -> (Option<Value>, Vec<UploadedFile>, bool) {
    if bytes.is_empty() {
        return (None, Vec::new(), false);
    }
    let ct = content_type.unwrap_or("");
    if let Some(boundary) = ct.strip_prefix("multipart/form-data").and_then(|rest| {
        rest.split(';')
            .map(str::trim)
            .find_map(|p| p.strip_prefix("boundary="))
            .map(|b| b.trim_matches('"').to_owned())
    }) {
        let (json, files) = parse_multipart(bytes, &boundary);
        return (json, files, false);
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => (Some(v), Vec::new(), false),
        Err(_) => (None, Vec::new(), true),
    }
}

pub(super) fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from >= hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

pub(super) fn parse_multipart(bytes: &[u8], boundary: &str) -> (Option<Value>, Vec<UploadedFile>) {
    let delim = format!("--{boundary}");
    let mut json = None;
    let mut files = Vec::new();
    let mut pos = 0;
    while let Some(start) = find(bytes, delim.as_bytes(), pos) {
        let part_start = start + delim.len();
        if bytes[part_start..].starts_with(b"--") {
            break;
        }
        let Some(next) = find(bytes, delim.as_bytes(), part_start) else {
            break;
        };
        let part = &bytes[part_start..next];
        pos = next;
        let Some(hdr_end) = find(part, b"\r\n\r\n", 0) else {
            continue;
        };
        let headers = String::from_utf8_lossy(&part[..hdr_end]).to_string();
        let mut content = &part[hdr_end + 4..];
        if content.ends_with(b"\r\n") {
            content = &content[..content.len() - 2];
        }
        let attr = |name: &str| {
            let key = format!("{name}=\"");
            headers.find(&key).map(|i| {
                let rest = &headers[i + key.len()..];
                rest[..rest.find('"').unwrap_or(rest.len())].to_owned()
            })
        };
        let field = attr("name").unwrap_or_default();
        let ct = headers
            .lines()
            .find_map(|l| {
                l.strip_prefix("Content-Type: ")
                    .or_else(|| l.strip_prefix("content-type: "))
            })
            .map(str::to_owned);
        if let Some(filename) = attr("filename") {
            files.push(UploadedFile {
                field,
                filename,
                size: content.len(),
                content_type: ct,
            });
        } else if field == "payload_json" {
            json = serde_json::from_slice(content).ok();
        }
    }
    (json, files)
}

pub(super) fn parse_id(s: &str) -> Option<u64> {
    s.parse().ok()
}

pub(super) fn route(st: &mut St, ctx: &Ctx<'_>) -> Reply {
    let Some(rest) = ctx.path.strip_prefix("/api/v10/") else {
        return Reply::not_found();
    };
    let segs: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    let m = ctx.method;
    match segs.as_slice() {
        ["gateway"] if m == "GET" => Reply::ok(json!({"url": st.gateway_url()})),
        ["gateway", "bot"] if m == "GET" => Reply::ok(json!({
            "url": st.gateway_url(),
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1},
        })),
        ["users", "@me"] if m == "GET" => Reply::ok(st.bot_user_json()),
        ["guilds", g] if m == "GET" => match parse_id(g) {
            Some(g) => Reply::ok(st.guild_json(g)),
            None => Reply::err(404, 10004, "Unknown Guild"),
        },
        ["users", "@me", "channels"] if m == "POST" => {
            let Some(user) = ctx.body()["recipient_id"]
                .as_str()
                .and_then(parse_id)
                .or_else(|| ctx.body()["recipient_id"].as_u64())
            else {
                return form_error(
                    st,
                    ctx,
                    vec![FieldError::new(
                        &["recipient_id"],
                        "BASE_TYPE_REQUIRED",
                        "This field is required",
                    )],
                    None,
                );
            };
            let id = st.dm_channel_for(user);
            Reply::ok(st.channel_json(id).unwrap_or(Value::Null))
        }
        ["users", id] if m == "GET" => match parse_id(id) {
            Some(u) => Reply::ok(st.user_json(u)),
            None => Reply::err(404, 10013, "Unknown User"),
        },
        ["oauth2", "applications", "@me"] | ["applications", "@me"] if m == "GET" => {
            Reply::ok(application_json(st))
        }
        ["applications", app, "commands"] => commands_route(st, ctx, app, None, None),
        ["applications", app, "commands", cmd] => commands_route(st, ctx, app, None, Some(cmd)),
        ["applications", app, "guilds", guild, "commands"] => {
            commands_route(st, ctx, app, Some(guild), None)
        }
        ["applications", app, "guilds", guild, "commands", cmd] => {
            commands_route(st, ctx, app, Some(guild), Some(cmd))
        }
        ["interactions", id, token, "callback"] if m == "POST" => {
            callback_route(st, ctx, id, token)
        }
        ["webhooks", app, token] => webhook_route(st, ctx, app, token, None),
        ["webhooks", app, token, "messages", msg] => webhook_route(st, ctx, app, token, Some(msg)),
        ["channels", c] if m == "GET" => match parse_id(c).and_then(|c| st.channel_json(c)) {
            Some(j) => Reply::ok(j),
            None => Reply::unknown_channel(),
        },
        ["channels", c, "pins"] => pins_route(st, ctx, c, None, false),
        ["channels", c, "pins", msg] => pins_route(st, ctx, c, Some(msg), false),
        ["channels", c, "messages", "pins"] => pins_route(st, ctx, c, None, true),
        ["channels", c, "messages", "pins", msg] => pins_route(st, ctx, c, Some(msg), true),
        ["channels", c, "messages"] => channel_messages_route(st, ctx, c, None),
        ["channels", c, "messages", msg] => channel_messages_route(st, ctx, c, Some(msg)),
        ["gateway"]
        | ["gateway", "bot"]
        | ["users", "@me"]
        | ["users", "@me", "channels"]
        | ["users", _]
        | ["channels", _] => Reply::method_not_allowed(),
        ["oauth2", "applications", "@me"]
        | ["applications", "@me"]
        | ["interactions", _, _, "callback"] => Reply::method_not_allowed(),
        _ => Reply::not_found(),
    }
}

pub(super) fn application_json(st: &St) -> Value {
    json!({
        "id": st.cfg.application_id.to_string(),
        "name": st.cfg.bot_username,
        "icon": null,
        "description": "",
        "rpc_origins": [],
        "bot_public": true,
        "bot_require_code_grant": false,
        "bot": st.bot_user_json(),
        "terms_of_service_url": null,
        "privacy_policy_url": null,
        "owner": st.user_json(st.cfg.default_user_id),
        "verify_key": "0000000000000000000000000000000000000000000000000000000000000000",
        "team": null,
        "guild_id": null,
        "flags": 0,
        "tags": [],
        "install_params": null,
        "custom_install_url": null,
        "role_connections_verification_url": null,
        "integration_types_config": {"0": {}},
        "approximate_guild_count": st.cfg.guild_ids.len(),
        "approximate_user_install_count": 0,
        "redirect_uris": [],
        "interactions_endpoint_url": null,
    })
}

// ---- commands ---------------------------------------------------------------------------------

pub(super) fn commands_route(
    st: &mut St,
    ctx: &Ctx<'_>,
    app: &str,
    guild: Option<&str>,
    cmd: Option<&str>,
) -> Reply {
    if parse_id(app) != Some(st.cfg.application_id) {
        return Reply::missing_access();
    }
    let guild_id = match guild.map(parse_id) {
        Some(None) => return Reply::err(404, 10004, "Unknown Guild"),
        Some(Some(g)) => Some(g),
        None => None,
    };
    match (ctx.method, cmd) {
        ("GET", None) => Reply::ok(json!(st
            .commands
            .iter()
            .filter(|c| c.guild_id == guild_id)
            .map(|c| c.json.clone())
            .collect::<Vec<_>>())),
        ("PUT", None) => {
            let Some(list) = ctx.body().as_array().cloned() else {
                return form_error(
                    st,
                    ctx,
                    vec![FieldError::new(&[], "BASE_TYPE_ARRAY", "Must be an array.")],
                    None,
                );
            };
            let mut errs = Vec::new();
            if list.len() > limits::COMMANDS {
                errs.push(FieldError::new(
                    &[],
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 100 or fewer in length.",
                ));
            }
            for (i, c) in list.iter().enumerate() {
                validate_command(c, &[i.to_string()], &mut errs);
            }
            if !errs.is_empty() {
                return form_error(st, ctx, errs, None);
            }
            let old: Vec<RegisteredCommand> = st
                .commands
                .iter()
                .filter(|c| c.guild_id == guild_id)
                .cloned()
                .collect();
            st.commands.retain(|c| c.guild_id != guild_id);
            let mut out = Vec::new();
            for c in &list {
                let kind = c["type"].as_u64().unwrap_or(1);
                let name = c["name"].as_str().unwrap_or("").to_owned();
                let id = old
                    .iter()
                    .find(|o| o.name == name && o.kind == kind)
                    .map(|o| o.id)
                    .unwrap_or_else(|| st.next_id());
                let rc = make_command(st, id, guild_id, c);
                out.push(rc.json.clone());
                st.commands.push(rc);
            }
            Reply::ok(json!(out))
        }
        ("POST", None) => {
            let c = ctx.body().clone();
            let mut errs = Vec::new();
            validate_command(&c, &[], &mut errs);
            if !errs.is_empty() {
                return form_error(st, ctx, errs, None);
            }
            let kind = c["type"].as_u64().unwrap_or(1);
            let name = c["name"].as_str().unwrap_or("").to_owned();
            let existing = st
                .commands
                .iter()
                .position(|o| o.guild_id == guild_id && o.name == name && o.kind == kind);
            let id = existing
                .map(|i| st.commands[i].id)
                .unwrap_or_else(|| st.next_id());
            let rc = make_command(st, id, guild_id, &c);
            let body = rc.json.clone();
            match existing {
                Some(i) => {
                    st.commands[i] = rc;
                    Reply::ok(body)
                }
                None => {
                    st.commands.push(rc);
                    Reply::json(201, body)
                }
            }
        }
        (m, Some(cmd)) => {
            let Some(pos) = parse_id(cmd).and_then(|id| {
                st.commands
                    .iter()
                    .position(|c| c.id == id && c.guild_id == guild_id)
            }) else {
                return Reply::err(404, 10063, "Unknown application command");
            };
            match m {
                "GET" => Reply::ok(st.commands[pos].json.clone()),
                "DELETE" => {
                    st.commands.remove(pos);
                    Reply::no_content()
                }
                "PATCH" => {
                    let mut merged = st.commands[pos].json.clone();
                    if let (Some(obj), Some(patch)) =
                        (merged.as_object_mut(), ctx.body().as_object())
                    {
                        for (k, v) in patch {
                            obj.insert(k.clone(), v.clone());
                        }
                    }
                    let id = st.commands[pos].id;
                    let rc = make_command(st, id, guild_id, &merged);
                    let body = rc.json.clone();
                    st.commands[pos] = rc;
                    Reply::ok(body)
                }
                _ => Reply::method_not_allowed(),
            }
        }
        _ => Reply::method_not_allowed(),
    }
}

pub(super) fn make_command(
    st: &mut St,
    id: u64,
    guild_id: Option<u64>,
    c: &Value,
) -> RegisteredCommand {
    let kind = c["type"].as_u64().unwrap_or(1);
    let name = c["name"].as_str().unwrap_or("").to_owned();
    let version = st.next_id();
    let mut j = json!({
        "id": id.to_string(),
        "application_id": st.cfg.application_id.to_string(),
        "version": version.to_string(),
        "type": kind,
        "name": name,
        "name_localizations": c.get("name_localizations").cloned().unwrap_or(Value::Null),
        "description": c["description"].as_str().unwrap_or(""),
        "description_localizations": c.get("description_localizations").cloned().unwrap_or(Value::Null),
        "options": c.get("options").cloned().filter(Value::is_array).unwrap_or(json!([])),
        "default_member_permissions": c.get("default_member_permissions").cloned().unwrap_or(Value::Null),
        "dm_permission": c.get("dm_permission").cloned().unwrap_or(json!(true)),
        "nsfw": c["nsfw"].as_bool().unwrap_or(false),
        "integration_types": c.get("integration_types").cloned().filter(Value::is_array).unwrap_or(json!([0])),
        "contexts": c.get("contexts").cloned().unwrap_or(Value::Null),
    });
    if let Some(g) = guild_id {
        j["guild_id"] = json!(g.to_string());
    }
    RegisteredCommand {
        id,
        guild_id,
        name,
        kind,
        json: j,
    }
}

/// A forced response's answer, after its delay.
async fn canned(f: &ForcedResponse) -> Reply {
    if !f.delay.is_zero() {
        tokio::time::sleep(f.delay).await;
    }
    let body = serde_json::from_str::<Value>(&f.body).ok();
    let mut r = Reply::json(f.status, body.unwrap_or(Value::Null));
    r.headers = f.headers.clone();
    r
}

//! Gateway v10 over a websocket: HELLO, IDENTIFY, READY, heartbeats, RESUME with replay,
//! close codes and reconnects on demand, and interactions dispatched as complete
//! `INTERACTION_CREATE` payloads.

use super::*;

impl StandIn {
    /// Wait (≤ 30 s, else panic) until a shard is identified/resumed and connected.
    pub async fn wait_ready(&self) {
        assert!(
            self.wait_ready_timeout(Duration::from_secs(30)).await,
            "stand-in: no gateway session became ready within 30 s"
        );
    }
    pub async fn wait_ready_timeout(&self, timeout: Duration) -> bool {
        self.wait_for(timeout, |s| s.gateway_live().then_some(()))
            .await
            .is_some()
    }
    /// A connection is identified/resumed and not being closed.
    pub fn gateway_live(&self) -> bool {
        let st = self.inner.lock();
        st.gw.current.is_some() && st.gw.session.is_some()
    }
    pub fn identifies(&self) -> Vec<IdentifyRecord> {
        self.inner.lock().gw.identifies.clone()
    }
    pub fn resumes(&self) -> Vec<ResumeRecord> {
        self.inner.lock().gw.resumes.clone()
    }
    /// READY payloads sent so far.
    pub fn ready_count(&self) -> u64 {
        self.inner.lock().gw.readies
    }
    /// Websocket connections accepted so far.
    pub fn connection_count(&self) -> u64 {
        self.inner.lock().gw.next_conn
    }
    pub fn heartbeat_count(&self) -> u64 {
        self.inner.lock().gw.heartbeats
    }
    /// Every frame the bot sent (heartbeats included).
    pub fn gateway_frames(&self) -> Vec<GatewayFrame> {
        self.inner.lock().gw.frames.clone()
    }
    pub fn session_id(&self) -> Option<String> {
        self.inner.lock().gw.session.as_ref().map(|s| s.id.clone())
    }
    /// Last dispatch sequence number of the session.
    pub fn seq(&self) -> u64 {
        self.inner.lock().gw.session.as_ref().map_or(0, |s| s.seq)
    }

    /// Close the live gateway connection with `code` (4000 → resumable; 4007/4009 invalidate the
    /// session like Discord; 4004 etc. are fatal for serenity).
    pub fn close_gateway(&self, code: u16) {
        let mut st = self.inner.lock();
        if matches!(code, 4007 | 4009) {
            if let Some(s) = st.gw.session.as_mut() {
                s.resumable = false;
            }
        }
        if let Some(conn) = st.gw.current.take() {
            if let Some(c) = st.gw.conns.get(&conn) {
                let _ =
                    c.tx.send(Outbound::Close(code, format!("stand-in close {code}")));
            }
        }
        drop(st);
        self.inner.changed();
    }
    /// Drop the TCP connection without a close frame.
    pub fn drop_gateway(&self) {
        let mut st = self.inner.lock();
        if let Some(conn) = st.gw.current.take() {
            if let Some(c) = st.gw.conns.get(&conn) {
                let _ = c.tx.send(Outbound::Drop);
            }
        }
    }
    /// Send op 7 RECONNECT; the bot should reconnect and RESUME.
    pub fn send_reconnect(&self) {
        let mut st = self.inner.lock();
        if let Some(conn) = st.gw.current.take() {
            if let Some(c) = st.gw.conns.get(&conn) {
                let _ = c.tx.send(Outbound::Text(
                    json!({"op": 7, "d": null, "s": null, "t": null}).to_string(),
                ));
            }
        }
    }
    /// Send op 9 INVALID_SESSION; with `resumable == false` the session cannot be resumed.
    pub fn send_invalid_session(&self, resumable: bool) {
        let mut st = self.inner.lock();
        if let Some(s) = st.gw.session.as_mut() {
            s.resumable = resumable;
        }
        if let Some(conn) = st.gw.current.take() {
            if let Some(c) = st.gw.conns.get(&conn) {
                let _ = c.tx.send(Outbound::Text(
                    json!({"op": 9, "d": resumable, "s": null, "t": null}).to_string(),
                ));
            }
        }
    }
    /// Make the next accepted RESUME replay the dispatch with sequence number `seq` again, even
    /// though the bot already received it: Discord's delivery is at-least-once, and a RESUME may
    /// repeat events the client had (for example when its last heartbeat carried an older seq).
    pub fn redeliver_on_resume(&self, seq: u64) {
        self.inner.lock().gw.redeliver.push(seq);
    }
    /// Send an arbitrary dispatch (op 0) once the gateway is live; returns its sequence number.
    pub async fn send_dispatch(&self, event: &str, data: Value) -> u64 {
        self.wait_live_or_panic().await;
        let mut st = self.inner.lock();
        st.push_dispatch(event, data)
            .expect("stand-in: no gateway session")
    }

    // ---- interactions ------------------------------------------------------------------------

    pub async fn send_slash_command(&self, cmd: SlashCommand) -> Dispatched {
        self.send_slash_command_edited(cmd, |_| {}).await
    }

    /// Like `send_slash_command`, with `edit` applied to the complete payload before it is
    /// dispatched (see `send_component_edited`).
    pub async fn send_slash_command_edited(
        &self,
        cmd: SlashCommand,
        mut edit: impl FnMut(&mut Value) + Send,
    ) -> Dispatched {
        self.dispatch_live(|st| {
            let actor = st.resolve_actor(&cmd.actor, None);
            let data = command_data(st, cmd.command_id, &cmd.name, 1, actor.guild_id, |data| {
                data["options"] = json!(cmd.options);
            });
            st.dispatch_interaction_edited(2, InterKind::Slash, &actor, data, None, &mut edit)
        })
        .await
    }

    /// Once the gateway is live, dispatches what `dispatch` makes of the state, and wakes
    /// whoever waits for a change.
    async fn dispatch_live<T>(&self, dispatch: impl FnOnce(&mut St) -> T) -> T {
        self.wait_live_or_panic().await;
        let d = dispatch(&mut self.inner.lock());
        self.inner.changed();
        d
    }

    pub async fn send_component(&self, click: ComponentClick) -> Dispatched {
        self.send_component_inner(click, true, &mut |_| {}).await
    }

    /// Like `send_component`, for forged or malformed clicks: the message need not carry
    /// `custom_id`, and `edit` may change anything in the complete INTERACTION_CREATE
    /// payload (a wrong type, a missing field) before it is dispatched. The interaction is
    /// registered as usual, so the bot's callback is accepted and recorded.
    pub async fn send_component_edited(
        &self,
        click: ComponentClick,
        mut edit: impl FnMut(&mut Value) + Send,
    ) -> Dispatched {
        self.send_component_inner(click, false, &mut edit).await
    }

    async fn send_component_inner(
        &self,
        click: ComponentClick,
        check_custom_id: bool,
        edit: &mut (dyn FnMut(&mut Value) + Send),
    ) -> Dispatched {
        self.dispatch_live(|st| st.dispatch_click(&click, check_custom_id, edit))
            .await
    }

    /// Several clicks dispatched back to back, all made on the messages as they are now (a
    /// double click, or the same message clicked on two devices, before any answer arrives).
    pub async fn send_components(&self, clicks: &[ComponentClick]) -> Vec<Dispatched> {
        self.dispatch_live(|st| {
            clicks
                .iter()
                .map(|c| st.dispatch_click(c, true, &mut |_| {}))
                .collect()
        })
        .await
    }

    pub async fn send_message_command(&self, cmd: MessageCommand) -> Dispatched {
        self.send_message_command_edited(cmd, |_| {}).await
    }

    /// Like `send_message_command` (no permission gating), with `edit` applied to the
    /// complete payload before it is dispatched (see `send_component_edited`).
    pub async fn send_message_command_edited(
        &self,
        cmd: MessageCommand,
        mut edit: impl FnMut(&mut Value) + Send,
    ) -> Dispatched {
        self.dispatch_live(|st| {
            let msg = st.message_for("send_message_command", cmd.target_message_id);
            let actor = st.resolve_actor(&cmd.actor, Some(msg.channel_id));
            let guild_id = actor.guild_id;
            let data = command_data(st, cmd.command_id, &cmd.name, 3, guild_id, |data| {
                let mid = msg.id.to_string();
                let mut resolved_msg = msg.json.clone();
                if let Some(g) = guild_id {
                    resolved_msg["guild_id"] = json!(g.to_string());
                }
                data["target_id"] = json!(mid);
                data["resolved"] = json!({"messages": {mid: resolved_msg}});
            });
            st.dispatch_interaction_edited(
                2,
                InterKind::MessageCommand,
                &actor,
                data,
                None,
                &mut edit,
            )
        })
        .await
    }

    /// Like Discord, offers a command with `default_member_permissions` only to members
    /// holding every one of those bits (or ADMINISTRATOR): returns `None`, dispatching
    /// nothing, where Discord would not let this member use the command at all.
    pub async fn try_send_message_command(&self, cmd: MessageCommand) -> Option<Dispatched> {
        let permitted = {
            let mut st = self.inner.lock();
            let channel = st
                .messages
                .get(&cmd.target_message_id)
                .map(|m| m.channel_id);
            let actor = st.resolve_actor(&cmd.actor, channel);
            st.may_use(&cmd.name, 3, &actor)
        };
        if permitted {
            Some(self.send_message_command(cmd).await)
        } else {
            None
        }
    }

    /// [`Self::try_send_message_command`] for a slash command.
    pub async fn try_send_slash_command(&self, cmd: SlashCommand) -> Option<Dispatched> {
        let permitted = {
            let mut st = self.inner.lock();
            let actor = st.resolve_actor(&cmd.actor, None);
            st.may_use(&cmd.name, 1, &actor)
        };
        if permitted {
            Some(self.send_slash_command(cmd).await)
        } else {
            None
        }
    }

    async fn wait_live_or_panic(&self) {
        let (wait, has_session) = {
            let st = self.inner.lock();
            if st.http_out.is_some() {
                return;
            }
            (st.cfg.dispatch_wait, st.gw.session.is_some())
        };
        if wait.is_zero() {
            // Queue into the session log even while disconnected; RESUME replays it.
            assert!(has_session, "stand-in: no gateway session; cannot dispatch");
            return;
        }
        assert!(
            self.wait_ready_timeout(wait).await,
            "stand-in: no live gateway session within {wait:?}; cannot dispatch"
        );
    }

    // ---- inspection --------------------------------------------------------------------------
}

// ---------------------------------------------------------------------------------------------
// Gateway
// ---------------------------------------------------------------------------------------------

pub(super) async fn ws_route(
    State(inner): State<Arc<Inner>>,
    uri: Uri,
    ws: WebSocketUpgrade,
) -> Response {
    let query = uri.query().map(str::to_owned);
    ws.on_upgrade(move |socket| gateway_conn(inner, socket, query))
}

pub(super) async fn gateway_conn(inner: Arc<Inner>, socket: WebSocket, query: Option<String>) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Outbound>();
    let (conn_id, interval) = {
        let mut st = inner.lock();
        st.gw.next_conn += 1;
        let id = st.gw.next_conn;
        st.gw.conns.insert(
            id,
            Conn {
                tx: tx.clone(),
                identified: false,
                query,
            },
        );
        (id, st.cfg.heartbeat_interval_ms)
    };
    inner.changed();
    let hello = json!({"op": 10, "d": {"heartbeat_interval": interval, "_trace": ["standin"]}, "s": null, "t": null});
    let mut shutdown = inner.shutdown.subscribe();
    if sink
        .send(WsMessage::Text(hello.to_string().into()))
        .await
        .is_ok()
    {
        loop {
            tokio::select! {
                incoming = stream.next() => match incoming {
                    Some(Ok(WsMessage::Text(t))) => {
                        handle_gateway_text(&inner, conn_id, &tx, t.as_str());
                        inner.changed();
                    },
                    Some(Ok(WsMessage::Close(frame))) => {
                        // Discord invalidates the session when the client closes with 1000/1001.
                        let code = frame.as_ref().map(|f| f.code);
                        {
                            let mut st = inner.lock();
                            if matches!(code, Some(1000 | 1001)) && st.gw.current == Some(conn_id) {
                                if let Some(s) = st.gw.session.as_mut() {
                                    s.resumable = false;
                                }
                            }
                        }
                        // Complete the close handshake (tungstenite queued the echo frame).
                        let _ = tokio::time::timeout(Duration::from_millis(500), sink.close()).await;
                        break;
                    },
                    Some(Ok(_)) => {},
                    Some(Err(_)) | None => break,
                },
                out = rx.recv() => match out {
                    Some(Outbound::Text(s)) => {
                        if sink.send(WsMessage::Text(s.into())).await.is_err() {
                            break;
                        }
                    },
                    Some(Outbound::Close(code, reason)) => {
                        let _ = sink.send(WsMessage::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                        // Give the peer a moment to answer the close handshake.
                        let _ = tokio::time::timeout(Duration::from_millis(500), async {
                            while let Some(Ok(m)) = stream.next().await {
                                if matches!(m, WsMessage::Close(_)) {
                                    break;
                                }
                            }
                        })
                        .await;
                        break;
                    },
                    Some(Outbound::Drop) | None => break,
                },
                () = wait_stop(&mut shutdown) => {
                    let _ = sink.send(WsMessage::Close(Some(CloseFrame { code: 1001, reason: "stand-in shutting down".into() }))).await;
                    break;
                },
            }
        }
    }
    {
        let mut st = inner.lock();
        st.gw.conns.remove(&conn_id);
        if st.gw.current == Some(conn_id) {
            st.gw.current = None;
        }
    }
    inner.changed();
}

pub(super) async fn wait_stop(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// The `data` of a command interaction: the command's id (as given, or the one registered
/// for `name` of type `kind` where the actor is), its name and type, what `more` adds, and
/// the server the command is registered in.
fn command_data(
    st: &mut St,
    id: Option<u64>,
    name: &str,
    kind: u64,
    guild: Option<u64>,
    more: impl FnOnce(&mut Value),
) -> Value {
    let command_id = id.unwrap_or_else(|| st.command_id_for(name, kind, guild));
    let mut data = json!({"id": command_id.to_string(), "name": name, "type": kind});
    more(&mut data);
    if let Some(g) = st.command_guild(command_id) {
        data["guild_id"] = json!(g.to_string());
    }
    data
}

pub(super) fn send_on(tx: &mpsc::UnboundedSender<Outbound>, v: Value) {
    let _ = tx.send(Outbound::Text(v.to_string()));
}

pub(super) fn strip_bot(token: &str) -> &str {
    token.strip_prefix("Bot ").unwrap_or(token)
}

pub(super) fn handle_gateway_text(
    inner: &Inner,
    conn_id: u64,
    tx: &mpsc::UnboundedSender<Outbound>,
    text: &str,
) {
    let mut st = inner.lock();
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        let _ = tx.send(Outbound::Close(
            4002,
            "Error while decoding payload.".into(),
        ));
        return;
    };
    let op = v["op"].as_i64().unwrap_or(-1);
    if !st.lean {
        st.gw.frames.push(GatewayFrame {
            connection: conn_id,
            op,
            payload: v.clone(),
            at: Instant::now(),
        });
    }
    let d = &v["d"];
    match op {
        1 => {
            st.gw.heartbeats += 1;
            if st.gw.ack_heartbeats {
                send_on(tx, json!({"op": 11, "d": null, "s": null, "t": null}));
            }
        }
        2 => {
            let token = strip_bot(d["token"].as_str().unwrap_or("")).to_owned();
            let accepted = token == st.cfg.token;
            let already = st.gw.conns.get(&conn_id).is_some_and(|c| c.identified);
            st.gw.identifies.push(IdentifyRecord {
                connection: conn_id,
                token: token.clone(),
                intents: d["intents"].as_u64().unwrap_or(0),
                shard: d.get("shard").cloned(),
                compress: d["compress"].as_bool().unwrap_or(false),
                accepted: accepted && !already,
                raw: v.clone(),
                at: Instant::now(),
            });
            if already {
                let _ = tx.send(Outbound::Close(4005, "Already authenticated.".into()));
                return;
            }
            if !accepted {
                let _ = tx.send(Outbound::Close(4004, "Authentication failed.".into()));
                return;
            }
            let session_id = format!("{:016x}{:016x}", st.rand(), st.rand());
            st.gw.session = Some(Session {
                id: session_id.clone(),
                seq: 0,
                resumable: true,
                log: Vec::new(),
                shard: d.get("shard").cloned(),
            });
            if let Some(c) = st.gw.conns.get_mut(&conn_id) {
                c.identified = true;
            }
            st.gw.current = Some(conn_id);
            let ready = json!({
                "v": 10,
                "user": st.bot_user_json(),
                "guilds": st.cfg.guild_ids.iter().map(|g| json!({"id": g.to_string(), "unavailable": true})).collect::<Vec<_>>(),
                "session_id": session_id,
                "resume_gateway_url": st.base_url.replacen("http://", "ws://", 1),
                "shard": d.get("shard").cloned().unwrap_or(json!([0, 1])),
                "application": {"id": st.cfg.application_id.to_string(), "flags": 0},
                "private_channels": [],
                "presences": [],
                "relationships": [],
                "_trace": ["standin"],
            });
            st.push_dispatch("READY", ready);
            st.gw.readies += 1;
        }
        6 => {
            let token = strip_bot(d["token"].as_str().unwrap_or("")).to_owned();
            let sid = d["session_id"].as_str().unwrap_or("").to_owned();
            let seq = d["seq"].as_u64().unwrap_or(0);
            if token != st.cfg.token {
                st.gw.resumes.push(ResumeRecord {
                    connection: conn_id,
                    session_id: sid,
                    seq,
                    accepted: false,
                    replayed: 0,
                    at: Instant::now(),
                });
                let _ = tx.send(Outbound::Close(4004, "Authentication failed.".into()));
                return;
            }
            let ok = st
                .gw
                .session
                .as_ref()
                .is_some_and(|s| s.id == sid && s.resumable && seq <= s.seq);
            if !ok {
                st.gw.resumes.push(ResumeRecord {
                    connection: conn_id,
                    session_id: sid,
                    seq,
                    accepted: false,
                    replayed: 0,
                    at: Instant::now(),
                });
                send_on(tx, json!({"op": 9, "d": false, "s": null, "t": null}));
                return;
            }
            let again = std::mem::take(&mut st.gw.redeliver);
            let missed: Vec<String> = st
                .gw
                .session
                .as_ref()
                .map(|s| {
                    s.log
                        .iter()
                        .filter(|(n, _)| *n > seq || again.contains(n))
                        .map(|(_, t)| t.clone())
                        .collect()
                })
                .unwrap_or_default();
            for m in &missed {
                let _ = tx.send(Outbound::Text(m.clone()));
            }
            if let Some(c) = st.gw.conns.get_mut(&conn_id) {
                c.identified = true;
            }
            st.gw.current = Some(conn_id);
            st.gw.resumes.push(ResumeRecord {
                connection: conn_id,
                session_id: sid,
                seq,
                accepted: true,
                replayed: missed.len(),
                at: Instant::now(),
            });
            st.push_dispatch("RESUMED", json!({"_trace": ["standin"]}));
        }
        3 | 4 | 8 | 31 => {}
        _ => {
            let _ = tx.send(Outbound::Close(4001, "Unknown opcode.".into()));
        }
    }
}

//! HTTP interactions (`activation-check serve`): instead of dispatching interactions on
//! the gateway, the stand-in hands each one out to be signed and POSTed to the bot (see
//! `support::interactions`), and takes the bot's HTTP response as its callback, as
//! Discord does.

use super::*;

/// An interaction to POST to the bot's endpoint.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub interaction_id: u64,
    pub token: String,
    /// The complete payload, as Discord POSTs it.
    pub body: Vec<u8>,
}

/// The bot's HTTP response to an [`Outgoing`] interaction; status 0 when none came
/// (the connection failed).
#[derive(Clone, Debug)]
pub struct HttpAnswer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl StandIn {
    /// From now on interactions are not dispatched on the gateway but given to `post`,
    /// and the bot's HTTP response is taken as the interaction's callback: a 200 with a
    /// JSON body is validated and applied like `POST /interactions/{id}/{token}/callback`;
    /// anything else is recorded as a refused callback with that status (the user would
    /// see "This interaction failed").
    pub fn deliver_over_http<F, Fut>(&self, post: F)
    where
        F: Fn(Outgoing) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = HttpAnswer> + Send + 'static,
    {
        let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
        self.inner.lock().http_out = Some(tx);
        let inner = self.inner.clone();
        let post = Arc::new(post);
        tokio::spawn(async move {
            while let Some(out) = rx.recv().await {
                let (inner, post) = (inner.clone(), post.clone());
                tokio::spawn(async move {
                    let (id, token) = (out.interaction_id, out.token.clone());
                    let answer = post(out).await;
                    let at = Instant::now();
                    inner.lock().http_answer(id, &token, answer, at);
                    inner.changed();
                });
            }
        });
    }
}

impl St {
    /// The bot's HTTP response to an interaction POSTed to it, taken as its callback.
    fn http_answer(&mut self, id: u64, token: &str, answer: HttpAnswer, at: Instant) {
        let body: Option<Value> = serde_json::from_slice(&answer.body).ok();
        if let (200, Some(body)) = (answer.status, &body) {
            let path = format!("/api/v10/interactions/{id}/{token}/callback");
            let ctx = Ctx {
                method: "POST",
                path: &path,
                query: Vec::new(),
                body: Some(body),
                files: &[],
                at,
            };
            callback_route(self, &ctx, &id.to_string(), token);
            return;
        }
        let latency = self
            .interactions
            .get(&id)
            .map_or(Duration::ZERO, |i| self.now_age(i.dispatched_at));
        let record = CallbackRecord {
            interaction_id: id,
            response_type: None,
            body,
            status: answer.status,
            latency,
            received_at: at,
            accepted: false,
            with_response: false,
            message_id: None,
        };
        self.callback_subs
            .retain(|tx| tx.send(record.clone()).is_ok());
        self.callbacks.push(record);
    }
}

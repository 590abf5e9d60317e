//! What a handler needs to reach Discord: its REST client. Over the gateway it comes
//! from serenity's `Context`; over HTTP (the endpoint) there is no shard and so no
//! `Context`, and the handler gets the same client this way.

use std::sync::Arc;

use serenity::all::Context;
use serenity::http::Http;

/// Discord's REST API, as the handler reaches it.
#[derive(Clone)]
pub struct Rest {
    pub http: Arc<Http>,
}

impl From<&Context> for Rest {
    fn from(ctx: &Context) -> Self {
        Rest {
            http: ctx.http.clone(),
        }
    }
}

//! Where the first response to an interaction goes.
//!
//! Over the gateway, the first response is a REST call (`POST
//! /interactions/{id}/{token}/callback`). Over HTTP it is the body of the response to
//! Discord's POST, and a callback would be refused. The handler is the same in both
//! modes; the endpoint runs it inside [`answering`], and the handler's responder hands
//! every first response to [`first`], which gives it to the waiting HTTP response when
//! there is one, and otherwise makes the REST call. Everything after the first response
//! (editing a deferred answer, posting, pinning) is REST in both modes.

use std::future::Future;
use std::sync::Mutex;

use serenity::all::CreateInteractionResponse;
use tokio::sync::oneshot;

/// The HTTP response an interaction's handler answers in, until it has answered.
struct Slot(Mutex<Option<oneshot::Sender<Vec<u8>>>>);

tokio::task_local! {
    static SLOT: Slot;
}

/// Runs `handler` so that its first response becomes the JSON sent on `answer`.
pub async fn answering<F: Future>(answer: oneshot::Sender<Vec<u8>>, handler: F) -> F::Output {
    SLOT.scope(Slot(Mutex::new(Some(answer))), handler).await
}

/// The error of a first response given after the endpoint stopped waiting for it.
pub const TOO_LATE: &str = "the HTTP response to Discord was already given up (3 s passed)";

/// The HTTP response waiting for this task's first response, if this task answers an
/// interaction that came over HTTP and has not answered yet (taken: only once).
fn waiting() -> Option<oneshot::Sender<Vec<u8>>> {
    SLOT.try_with(|slot| slot.0.lock().unwrap_or_else(|e| e.into_inner()).take())
        .ok()
        .flatten()
}

/// Sends `response` as the HTTP response's body.
// serenity's error, as the REST call it stands in for returns.
#[allow(clippy::result_large_err)]
fn give(tx: oneshot::Sender<Vec<u8>>, response: &impl serde::Serialize) -> serenity::Result<()> {
    let body = serde_json::to_vec(response).map_err(serenity::Error::Json)?;
    tx.send(body).map_err(|_| serenity::Error::Other(TOO_LATE))
}

/// Gives `response` to the HTTP response waiting for it, if this task answers an
/// interaction that came over HTTP and has not answered yet; else calls `rest` with it.
pub async fn first<F, Fut>(response: CreateInteractionResponse, rest: F) -> serenity::Result<()>
where
    F: FnOnce(CreateInteractionResponse) -> Fut,
    Fut: Future<Output = serenity::Result<()>>,
{
    match waiting() {
        Some(tx) => give(tx, &response),
        None => rest(response).await,
    }
}

/// Like [`first`], for a response built as JSON (an interaction serenity could not read).
pub async fn first_json<F, Fut>(response: &serde_json::Value, rest: F) -> serenity::Result<()>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = serenity::Result<()>>,
{
    match waiting() {
        Some(tx) => give(tx, response),
        None => rest().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_response_goes_to_the_http_response_and_only_the_first() {
        let (tx, rx) = oneshot::channel();
        let rest_calls = std::sync::atomic::AtomicUsize::new(0);
        let rest = |_r: CreateInteractionResponse| {
            rest_calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async { Ok(()) }
        };
        answering(tx, async {
            first(CreateInteractionResponse::Pong, rest).await.unwrap();
            // A second first response (after a failure) is a REST call, which Discord
            // refuses as already acknowledged; the handler deals with that as over the
            // gateway.
            first(CreateInteractionResponse::Acknowledge, rest)
                .await
                .unwrap();
        })
        .await;
        let body: serde_json::Value = serde_json::from_slice(&rx.await.unwrap()).unwrap();
        assert_eq!(body["type"], 1);
        assert_eq!(rest_calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        // Outside an HTTP interaction, every response is REST.
        first(CreateInteractionResponse::Pong, rest).await.unwrap();
        assert_eq!(rest_calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}

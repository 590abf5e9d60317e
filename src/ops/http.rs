//! A minimal HTTP/1.1 server for two read-only endpoints.
//!
//! `/healthz` and `/metrics` are fetched by a supervisor and a scraper, one request per
//! connection, so the server reads one request head (bounded in size and time), writes
//! one response with `Connection: close`, and closes. That is a few dozen lines on the
//! runtime the bot already has, instead of an HTTP stack in the release binary.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// The largest request head read; longer ones get 431.
const MAX_HEAD: usize = 8 * 1024;
/// How long a client has to send its request and take the response.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections served at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 32;

/// A response: status, content type, body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl Response {
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.into(),
        }
    }
}

/// Answers a `GET` (or `HEAD`) of a path.
pub trait Routes: Send + Sync + 'static {
    fn get(&self, path: &str) -> impl Future<Output = Response> + Send;
}

/// Serves `routes` on `listener` until `shutdown` completes. Connections already
/// accepted finish on their own (each within [`CLIENT_TIMEOUT`]).
pub async fn serve<R: Routes>(
    listener: TcpListener,
    routes: Arc<R>,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            p = slots.clone().acquire_owned() => p.expect("the semaphore is never closed"),
        };
        let (stream, _) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, say: wait a little rather than spin.
                    tracing::warn!(error = %e, "the metrics listener could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let routes = routes.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _ = tokio::time::timeout(CLIENT_TIMEOUT, connection(stream, &*routes)).await;
        });
    }
}

async fn connection<R: Routes>(mut stream: TcpStream, routes: &R) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    let complete = loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break false;
        }
        head.extend_from_slice(&buf[..n]);
        if head.windows(4).any(|w| w == b"\r\n\r\n") {
            break true;
        }
        if head.len() > MAX_HEAD {
            break false;
        }
    };
    let (response, head_only) = if head.len() > MAX_HEAD {
        (Response::text(431, "request head too large\n"), false)
    } else if !complete {
        return Ok(());
    } else {
        respond(&head, routes).await
    };
    let reason = match response.status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "",
    };
    let mut out = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n",
        response.status,
        response.content_type,
        response.body.len()
    );
    if response.status == 405 {
        out.push_str("Allow: GET, HEAD\r\n");
    }
    out.push_str("\r\n");
    if !head_only {
        out.push_str(&response.body);
    }
    stream.write_all(out.as_bytes()).await?;
    stream.shutdown().await
}

/// The response to a request head, and whether only its head is sent (`HEAD`).
async fn respond<R: Routes>(head: &[u8], routes: &R) -> (Response, bool) {
    let line = head
        .split(|&b| b == b'\r' || b == b'\n')
        .next()
        .and_then(|l| std::str::from_utf8(l).ok())
        .unwrap_or_default();
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return (Response::text(400, "bad request line\n"), false);
    };
    if !version.starts_with("HTTP/1.") {
        return (Response::text(400, "only HTTP/1.x is served\n"), false);
    }
    let head_only = match method {
        "GET" => false,
        "HEAD" => true,
        _ => return (Response::text(405, "only GET and HEAD are served\n"), false),
    };
    let path = target.split('?').next().unwrap_or_default();
    (routes.get(path).await, head_only)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo;

    impl Routes for Echo {
        async fn get(&self, path: &str) -> Response {
            match path {
                "/hello" => Response::text(200, "hi\n"),
                _ => Response::text(404, "not found\n"),
            }
        }
    }

    async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(request).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn answers_get_head_and_refuses_the_rest() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, Arc::new(Echo), async {
            let _ = stopped.await;
        }));

        let mut big = b"GET /hello HTTP/1.1\r\nX: ".to_vec();
        big.extend(std::iter::repeat_n(b'a', MAX_HEAD + 10));
        // (request, how the answer starts, what it also holds, how it ends)
        let cases: [(&[u8], &str, &str, &str); 6] = [
            (
                b"GET /hello?x=1 HTTP/1.1\r\nHost: a\r\n\r\n",
                "HTTP/1.1 200 OK\r\n",
                "Content-Length: 3\r\n",
                "\r\n\r\nhi\n",
            ),
            (
                b"HEAD /hello HTTP/1.0\r\n\r\n",
                "HTTP/1.1 200 OK\r\n",
                "",
                "\r\n\r\n",
            ),
            (
                b"GET /nope HTTP/1.1\r\n\r\n",
                "HTTP/1.1 404 Not Found\r\n",
                "",
                "",
            ),
            (
                b"POST /hello HTTP/1.1\r\n\r\n",
                "HTTP/1.1 405 ",
                "Allow: GET, HEAD",
                "",
            ),
            (b"nonsense\r\n\r\n", "HTTP/1.1 400 ", "", ""),
            (&big, "HTTP/1.1 431 ", "", ""),
        ];
        for (request, starts, holds, ends) in cases {
            let r = exchange(addr, request).await;
            assert!(
                r.starts_with(starts) && r.contains(holds) && r.ends_with(ends),
                "{r}"
            );
        }

        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("the server stops on shutdown")
            .unwrap();
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "no longer listening"
        );
    }
}

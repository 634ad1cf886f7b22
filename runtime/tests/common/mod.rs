//! A scripted HTTP server on loopback for the runtime's tests.

#![allow(clippy::unwrap_used, dead_code)] // Tests fail loudly; not every test uses every helper.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the server answers: status line (`200 OK`), extra header lines, body text.
pub type Reply = (String, String, String);

/// The request as the server saw it: head (request line and headers) and body.
#[derive(Debug, Clone)]
pub struct Seen {
    pub target: String,
    pub head: String,
    pub body: String,
}

/// Serves every request with `reply(&seen)`; returns the base URL.
pub async fn serve(reply: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let reply = Arc::new(reply);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Read the head, then as much body as Content-Length says.
                loop {
                    let Ok(n) = socket.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let text = String::from_utf8_lossy(&buf).to_string();
                let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
                let target = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let seen = Seen {
                    target,
                    head: head.to_owned(),
                    body: body.to_owned(),
                };
                let (status, headers, body) = reply(&seen);
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{headers}\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

/// A fixed answer to every request.
pub async fn serve_fixed(
    status: &'static str,
    headers: &'static str,
    body: &'static str,
) -> String {
    serve(move |_| (status.to_owned(), headers.to_owned(), body.to_owned())).await
}

//! The wire between the client and tower-lsp-server, made robust to bad input.
//!
//! tower-lsp-server stops reading (and so the whole server stops) at the first frame it cannot
//! decode: a broken header, a body that is not JSON, JSON that is not a JSON-RPC message. Here
//! every frame is read and checked first; good ones are passed on untouched, bad ones are
//! answered with the JSON-RPC error they deserve (`-32700` parse error, `-32600` invalid
//! request) and skipped, and the server keeps serving. Both directions go through one writer
//! so that these answers never interleave with the server's own messages.

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// Bodies larger than this are refused (and skipped) rather than buffered.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// A frame read from the client.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A well-formed JSON-RPC message, as received.
    Message(Vec<u8>),
    /// Something to answer with an error and skip.
    Bad { code: i64, message: String, id: Value },
}

/// Reads frames from `input` until it ends.
pub struct FrameReader<R> {
    input: BufReader<R>,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub fn new(input: R) -> FrameReader<R> {
        FrameReader { input: BufReader::new(input) }
    }

    /// The next frame; `None` at the end of the input.
    pub async fn next(&mut self) -> Option<Frame> {
        let mut length: Option<Result<usize, String>> = None;
        let mut saw_header = false;
        loop {
            let mut line = Vec::new();
            let read = self.input.read_until(b'\n', &mut line).await.ok()?;
            if read == 0 {
                return None;
            }
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if saw_header {
                    break;
                }
                // Blank lines between frames carry nothing.
                continue;
            }
            saw_header = true;
            let Some((name, value)) = line.split_once(':') else {
                length.get_or_insert(Err(format!("malformed header line `{}`", truncate(line))));
                continue;
            };
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = Some(
                    value
                        .trim()
                        .parse::<usize>()
                        .map_err(|_| format!("Content-Length `{}` is not a number", truncate(value.trim()))),
                );
            }
        }
        let length = match length {
            None => return Some(bad(-32700, "a message without a Content-Length header".into(), Value::Null)),
            Some(Err(message)) => return Some(bad(-32700, message, Value::Null)),
            Some(Ok(length)) => length,
        };
        if length > MAX_MESSAGE_BYTES {
            // Skip the body without holding it.
            let skipped =
                tokio::io::copy(&mut (&mut self.input).take(length as u64), &mut tokio::io::sink()).await.ok()?;
            if (skipped as usize) < length {
                return None;
            }
            let message = format!("a {length}-byte message is over the {MAX_MESSAGE_BYTES}-byte limit");
            return Some(bad(-32600, message, Value::Null));
        }
        let mut body = vec![0; length];
        self.input.read_exact(&mut body).await.ok()?;
        Some(check(body))
    }
}

fn bad(code: i64, message: String, id: Value) -> Frame {
    Frame::Bad { code, message, id }
}

fn truncate(text: &str) -> String {
    text.chars().take(60).collect()
}

/// Whether `body` is a JSON-RPC 2.0 request, notification or response.
pub fn check(body: Vec<u8>) -> Frame {
    let value: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(error) => return bad(-32700, format!("the message is not JSON: {error}"), Value::Null),
    };
    let Some(object) = value.as_object() else {
        return bad(-32600, "a JSON-RPC message must be an object (batches are not used by LSP)".into(), Value::Null);
    };
    let id = object.get("id").cloned().unwrap_or(Value::Null);
    let id_ok = matches!(object.get("id"), None | Some(Value::Number(_) | Value::String(_)));
    let version_ok = object.get("jsonrpc").and_then(Value::as_str) == Some("2.0");
    let method = object.get("method");
    let shape_ok = match method {
        Some(Value::String(_)) => {
            matches!(object.get("params"), None | Some(Value::Object(_) | Value::Array(_) | Value::Null))
        }
        Some(_) => false,
        None => object.contains_key("id") && (object.contains_key("result") || object.contains_key("error")),
    };
    if !(id_ok && version_ok && shape_ok) {
        let id = if id_ok { id } else { Value::Null };
        return bad(-32600, "not a JSON-RPC 2.0 request, notification or response".into(), id);
    }
    Frame::Message(body)
}

fn framed(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// Runs `serve` behind the checking reader and the single writer.
pub async fn guarded<I, O, F, Fut>(input: I, output: O, serve: F)
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin + Send + 'static,
    F: FnOnce(tokio::io::ReadHalf<tokio::io::SimplexStream>, tokio::io::WriteHalf<tokio::io::SimplexStream>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (server_input, to_server) = tokio::io::simplex(1 << 16);
    let (from_server, server_output) = tokio::io::simplex(1 << 16);
    let (replies, mut replies_out) = mpsc::unbounded_channel::<Vec<u8>>();

    // Client -> server: check each frame.
    let reader = tokio::spawn(async move {
        let mut frames = FrameReader::new(input);
        let mut to_server = to_server;
        while let Some(frame) = frames.next().await {
            match frame {
                Frame::Message(body) => {
                    if to_server.write_all(&framed(&body)).await.is_err() {
                        return;
                    }
                }
                Frame::Bad { code, message, id } => {
                    tracing::warn!("bad message from the client: {message}");
                    let reply = json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } });
                    let _ = replies.send(framed(reply.to_string().as_bytes()));
                }
            }
        }
        // The client is gone: let the server see the end of its input.
        let _ = to_server.shutdown().await;
    });

    // Server -> client, and our own replies, one whole frame at a time.
    let writer = tokio::spawn(async move {
        let mut output = output;
        let mut server_frames = FrameReader::new(from_server);
        loop {
            tokio::select! {
                frame = server_frames.next() => match frame {
                    Some(Frame::Message(body)) => {
                        if output.write_all(&framed(&body)).await.is_err() || output.flush().await.is_err() {
                            return;
                        }
                    }
                    Some(Frame::Bad { message, .. }) => tracing::error!("the server wrote a bad frame: {message}"),
                    None => return,
                },
                Some(reply) = replies_out.recv() => {
                    if output.write_all(&reply).await.is_err() || output.flush().await.is_err() {
                        return;
                    }
                }
            }
        }
    });

    serve(server_input, server_output).await;
    reader.abort();
    // Let the writer flush what the server wrote last (the answer to `shutdown`, say).
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), writer).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn frames(input: &'static [u8]) -> Vec<Frame> {
        let mut reader = FrameReader::new(input);
        let mut out = Vec::new();
        while let Some(frame) = reader.next().await {
            out.push(frame);
        }
        out
    }

    fn code(frame: &Frame) -> i64 {
        match frame {
            Frame::Bad { code, .. } => *code,
            Frame::Message(_) => 0,
        }
    }

    fn message(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[tokio::test]
    async fn good_frames_pass_and_bad_ones_are_named() {
        let input = [
            message(r#"{"jsonrpc":"2.0","method":"initialized"}"#),
            message("{not json!!}"),
            "Content-Length: nope\r\n\r\n".to_string(),
            message("[1,2]"),
            "Content-Type: x\r\n\r\n".to_string(),
            message(r#"{"jsonrpc":"2.0","id":7,"method":"x","params":3}"#),
            message(r#"{"jsonrpc":"1.0","method":"x"}"#),
            message(r#"{"jsonrpc":"2.0","id":8,"result":null}"#),
        ]
        .concat();
        let found = frames(Box::leak(input.into_boxed_str()).as_bytes()).await;
        let codes: Vec<i64> = found.iter().map(code).collect();
        assert_eq!(codes, [0, -32700, -32700, -32600, -32700, -32600, -32600, 0]);
        assert!(matches!(&found[5], Frame::Bad { id, .. } if *id == json!(7)));
    }

    #[tokio::test]
    async fn a_truncated_frame_ends_the_input() {
        assert_eq!(frames(b"Content-Length: 100\r\n\r\n{\"jsonrpc\"").await, []);
    }
}

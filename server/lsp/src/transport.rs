//! The wire between the client and tower-lsp-server, made robust to bad input.
//!
//! tower-lsp-server stops reading (and so the whole server stops) at the first frame it cannot
//! decode: a broken header, a body that is not JSON, JSON that is not a JSON-RPC message. Here
//! every frame is read and checked first; good ones are passed on untouched, bad ones are
//! answered with the JSON-RPC error they deserve (`-32700` parse error, `-32600` invalid
//! request) and skipped, and the server keeps serving. Both directions go through one writer
//! so that these answers never interleave with the server's own messages.
//!
//! A frame whose header is broken leaves the reader somewhere in the middle of the stream: it
//! then reports the problem once and skips to the next `Content-Length:` it finds (anywhere, not
//! only at a line start), so one bad frame costs only itself. Memory stays bounded whatever
//! arrives: a header line is given up on after [`MAX_HEADER_LINE`] bytes, and a body over the
//! size limit is skipped without being held.

use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

/// Bodies larger than this are refused (and skipped) rather than buffered.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// A header line longer than this is not a header: the reader stops looking for its end.
pub const MAX_HEADER_LINE: usize = 8 * 1024;

/// The most the reader asks its input for at once while it looks for a header.
const READ_CHUNK: usize = 8 * 1024;

/// The most it asks for at once while it reads a body it knows the length of.
const BODY_CHUNK: usize = 1024 * 1024;

/// The most each pipe between the checks and tower-lsp-server holds.
const PIPE_BYTES: usize = 16 * 1024;

/// Where a frame starts: what the reader looks for after losing its place, in any case.
const CONTENT_LENGTH: &[u8] = b"content-length:";

/// A frame read from the client.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A well-formed JSON-RPC message, as received.
    Message(Vec<u8>),
    /// Something to answer with an error and skip.
    Bad { code: i64, message: String, id: Value },
}

/// Reads frames from `input` until it ends.
///
/// It keeps its own buffer rather than a `BufReader`, so that it can give back bytes it read
/// too far (the header a too-long `Content-Length` swallowed) and hand over what it read ahead
/// ([`FrameReader::into_parts`]).
pub struct FrameReader<R> {
    input: R,
    /// Bytes read and not yet consumed are `buffer[start..]`.
    buffer: Vec<u8>,
    start: usize,
    max_body: usize,
    /// A body over `max_body` is read past (the next frame follows it), rather than refused
    /// with the body unread (the connection then has nothing more to say).
    skip_oversized: bool,
    /// A frame's header was broken: skip to the next `Content-Length:` before reading on.
    lost: bool,
    /// The garbage being skipped has been reported already; more of it is skipped silently.
    reported: bool,
    #[cfg(test)]
    high_water: usize,
    #[cfg(test)]
    high_capacity: usize,
}

/// What a header block said.
enum Header {
    Length(usize),
    /// A `Content-Length` that is not a number: always reported.
    BadLength(String),
    /// Not a header (a malformed line, noise before a `Content-Length:`, no length at all):
    /// reported once per stretch of garbage.
    Garbage(String),
}

/// One header line, at the start of the unconsumed bytes.
enum Line {
    /// It ends at this offset (where its `\n` is).
    Complete(usize),
    /// A `Content-Length:` starts at this offset, after something that is not a header.
    ContentLengthAt(usize),
    /// No line break within [`MAX_HEADER_LINE`] bytes.
    TooLong,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub fn new(input: R) -> FrameReader<R> {
        FrameReader::with_max_body(input, MAX_MESSAGE_BYTES)
    }

    /// A reader that refuses (and skips) bodies over `max_body` bytes.
    pub fn with_max_body(input: R, max_body: usize) -> FrameReader<R> {
        FrameReader {
            input,
            buffer: Vec::new(),
            start: 0,
            max_body,
            skip_oversized: true,
            lost: false,
            reported: false,
            #[cfg(test)]
            high_water: 0,
            #[cfg(test)]
            high_capacity: 0,
        }
    }

    /// A reader of a connection's first message, from a peer not trusted yet: a body over
    /// `max_body` bytes is refused as soon as its header says so, without a byte of it read.
    pub fn first_message(input: R, max_body: usize) -> FrameReader<R> {
        FrameReader { skip_oversized: false, ..FrameReader::with_max_body(input, max_body) }
    }

    /// The bytes read ahead of the last frame, and the input to read the rest from.
    pub fn into_parts(mut self) -> (Vec<u8>, R) {
        self.buffer.drain(..self.start);
        (self.buffer, self.input)
    }

    /// The next frame; `None` at the end of the input.
    pub async fn next(&mut self) -> Option<Frame> {
        loop {
            if self.lost {
                self.skip_to_content_length().await?;
                self.lost = false;
            }
            let (message, always) = match self.header().await? {
                Header::Length(length) => {
                    self.reported = false;
                    return self.body(length).await;
                }
                Header::BadLength(message) => (message, true),
                Header::Garbage(message) => (message, false),
            };
            self.lost = true;
            if always || !self.reported {
                self.reported = true;
                return Some(bad(-32700, message, Value::Null));
            }
        }
    }

    /// Reads a header block, up to and including its blank line.
    async fn header(&mut self) -> Option<Header> {
        self.skip_line_breaks().await?;
        let mut length: Option<Result<usize, String>> = None;
        loop {
            let end = match self.line().await? {
                Line::Complete(end) => end,
                Line::ContentLengthAt(at) => {
                    let skipped = truncate(&String::from_utf8_lossy(&self.buffer[self.start..self.start + at]));
                    self.start += at;
                    return Some(Header::Garbage(format!("`{skipped}` where a header was expected")));
                }
                Line::TooLong => {
                    // Give up on this line; whatever follows its first byte may still hold a
                    // `Content-Length:`.
                    self.start += 1;
                    return Some(Header::Garbage(format!("a header line over {MAX_HEADER_LINE} bytes")));
                }
            };
            let line = &self.buffer[self.start..self.start + end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let parsed = header_field(line);
            let shown = truncate(&String::from_utf8_lossy(line));
            self.start += end + 1;
            if line.is_empty() {
                return Some(match length {
                    Some(Ok(length)) => Header::Length(length),
                    Some(Err(message)) => Header::BadLength(message),
                    None => Header::Garbage("a message without a Content-Length header".into()),
                });
            }
            match parsed {
                None => return Some(Header::Garbage(format!("malformed header line `{shown}`"))),
                Some((name, value)) if name.eq_ignore_ascii_case(b"content-length") => {
                    let value = String::from_utf8_lossy(value);
                    length = Some(
                        value
                            .trim()
                            .parse::<usize>()
                            .map_err(|_| format!("Content-Length `{}` is not a number", truncate(value.trim()))),
                    );
                }
                Some(_) => {}
            }
        }
    }

    /// Finds the end of the header line at `start`, reading as needed; `None` when the input
    /// ends first.
    async fn line(&mut self) -> Option<Line> {
        // What is already searched is not searched again as more arrives.
        let mut searched = 0;
        loop {
            let pending = &self.buffer[self.start..];
            let window = &pending[..pending.len().min(MAX_HEADER_LINE)];
            let newline = window[searched..].iter().position(|it| *it == b'\n').map(|it| it + searched);
            let line_end = newline.unwrap_or(window.len());
            // A `Content-Length:` after the line's first byte means what precedes it is noise
            // (a part may straddle what was searched before, hence the overlap).
            let from = searched.saturating_sub(CONTENT_LENGTH.len() - 1).max(1).min(line_end);
            if let Some(at) = find_content_length(&window[from..line_end]) {
                return Some(Line::ContentLengthAt(from + at));
            }
            if let Some(end) = newline {
                return Some(Line::Complete(end));
            }
            if window.len() >= MAX_HEADER_LINE {
                return Some(Line::TooLong);
            }
            searched = window.len();
            if self.fill(0).await == 0 {
                return None;
            }
        }
    }

    /// Blank lines between frames carry nothing.
    async fn skip_line_breaks(&mut self) -> Option<()> {
        loop {
            let pending = &self.buffer[self.start..];
            let breaks = pending.iter().take_while(|it| matches!(it, b'\r' | b'\n')).count();
            self.start += breaks;
            if breaks < pending.len() {
                return Some(());
            }
            if self.fill(0).await == 0 {
                return None;
            }
        }
    }

    /// Drops bytes up to the next `Content-Length:`, in any case.
    async fn skip_to_content_length(&mut self) -> Option<()> {
        loop {
            if let Some(at) = find_content_length(&self.buffer[self.start..]) {
                self.start += at;
                return Some(());
            }
            // Keep what may be the beginning of one.
            self.start = self.buffer.len() - (self.buffer.len() - self.start).min(CONTENT_LENGTH.len() - 1);
            if self.fill(0).await == 0 {
                return None;
            }
        }
    }

    async fn body(&mut self, length: usize) -> Option<Frame> {
        if length > self.max_body {
            if self.skip_oversized {
                self.skip(length).await?;
            }
            let message = format!("a {length}-byte message is over the {}-byte limit", self.max_body);
            return Some(bad(-32600, message, Value::Null));
        }
        while self.buffer.len() - self.start < length {
            let missing = length - (self.buffer.len() - self.start);
            if self.fill(missing).await == 0 {
                return None;
            }
        }
        let body = &self.buffer[self.start..self.start + length];
        let frame = check(body.to_vec());
        let Frame::Bad { code: -32700, message, id } = frame else {
            self.start += length;
            return Some(frame);
        };
        // Not JSON: the length was probably wrong. Whatever is left of it before the next
        // header is skipped silently.
        self.reported = true;
        match find_content_length(body) {
            Some(at) => {
                // Too long: it swallowed the next frame's header, which is read again.
                self.start += at;
                let message = format!("{message} (its Content-Length {length} ran into the next header)");
                Some(Frame::Bad { code: -32700, message, id })
            }
            None => {
                self.start += length;
                Some(Frame::Bad { code: -32700, message, id })
            }
        }
    }

    /// Consumes `length` bytes without holding more than a read's worth of them.
    async fn skip(&mut self, mut length: usize) -> Option<()> {
        loop {
            let here = (self.buffer.len() - self.start).min(length);
            self.start += here;
            length -= here;
            if length == 0 {
                return Some(());
            }
            if self.fill(length.min(READ_CHUNK)).await == 0 {
                return None;
            }
        }
    }

    /// Reads once more into the buffer: up to `wanted` bytes when that is more than a header
    /// chunk (a body), else up to [`READ_CHUNK`]. Returns how many arrived (0 at the end, or
    /// on a read error, which ends the input too).
    async fn fill(&mut self, wanted: usize) -> usize {
        self.buffer.drain(..self.start);
        self.start = 0;
        // Do not keep a large body's allocation for the small frames after it: a daemon holds
        // two readers per editor, and the largest message one saw (the diagnostics of a large
        // file, a whole document) would otherwise stay allocated for as long as the editor.
        if self.buffer.capacity() > 4 * READ_CHUNK && self.buffer.len() < READ_CHUNK {
            self.buffer.shrink_to(2 * READ_CHUNK);
        }
        let had = self.buffer.len();
        // A declared length is a promise, not bytes: room grows with what arrived (at most
        // doubling what is held), so a peer that declares a large body and sends nothing costs
        // one read's worth, not the body.
        let room = wanted.clamp(READ_CHUNK, BODY_CHUNK).min(had.max(READ_CHUNK));
        self.buffer.resize(had + room, 0);
        let read = self.input.read(&mut self.buffer[had..]).await.unwrap_or(0);
        self.buffer.truncate(had + read);
        #[cfg(test)]
        {
            self.high_water = self.high_water.max(self.buffer.len());
            self.high_capacity = self.high_capacity.max(self.buffer.capacity());
        }
        read
    }

    /// The most bytes it ever held at once.
    #[cfg(test)]
    fn high_water(&self) -> usize {
        self.high_water
    }
}

/// `Name: value` with a token name (RFC 9110's `tchar`s), else `None`.
fn header_field(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = line.iter().position(|it| *it == b':')?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    let token = |byte: &u8| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(byte);
    (!name.is_empty() && name.iter().all(token)).then_some((name, value))
}

/// Where the first `Content-Length:` (in any case) starts.
fn find_content_length(bytes: &[u8]) -> Option<usize> {
    bytes.windows(CONTENT_LENGTH.len()).position(|it| it.eq_ignore_ascii_case(CONTENT_LENGTH))
}

fn bad(code: i64, message: String, id: Value) -> Frame {
    Frame::Bad { code, message, id }
}

fn truncate(text: &str) -> String {
    text.chars().take(60).collect()
}

/// Whether `body` is a JSON-RPC 2.0 request, notification or response. Its members are read
/// as raw text, not built into values: an answer of megabytes (the board's data) is scanned
/// once, not turned into a tree and dropped.
pub fn check(body: Vec<u8>) -> Frame {
    type Members<'a> = std::collections::HashMap<std::borrow::Cow<'a, str>, &'a RawValue>;
    let object: Members<'_> = match serde_json::from_slice(&body) {
        Ok(object) => object,
        Err(error) => {
            return match serde_json::from_slice::<serde::de::IgnoredAny>(&body) {
                Ok(_) => bad(
                    -32600,
                    "a JSON-RPC message must be an object (batches are not used by LSP)".into(),
                    Value::Null,
                ),
                Err(_) => bad(-32700, format!("the message is not JSON: {error}"), Value::Null),
            };
        }
    };
    let raw = |name: &str| object.get(name).map(|it| it.get().trim_start());
    let starts = |name: &str, with: &[char]| raw(name).is_some_and(|it| it.starts_with(with));
    let id_ok = raw("id").is_none() || starts("id", &['"', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    let id = match raw("id") {
        Some(text) if id_ok => serde_json::from_str(text).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    let version_ok = raw("jsonrpc").and_then(|it| serde_json::from_str::<String>(it).ok()).as_deref() == Some("2.0");
    let shape_ok = match raw("method") {
        Some(method) if method.starts_with('"') => {
            raw("params").is_none_or(|it| it.starts_with(['{', '[']) || it == "null")
        }
        Some(_) => false,
        None => object.contains_key("id") && (object.contains_key("result") || object.contains_key("error")),
    };
    if !(id_ok && version_ok && shape_ok) {
        return bad(-32600, "not a JSON-RPC 2.0 request, notification or response".into(), id);
    }
    Frame::Message(body)
}

/// The answer to a request (it has an id) for a `$/` method: LSP defines none, and
/// tower-lsp-server drops its own MethodNotFound answer for any `$/` method, so without this
/// the client would wait forever. `$/` notifications (`$/cancelRequest`, `$/setTrace`) are
/// not touched.
pub fn unknown_dollar_request(body: &[u8]) -> Option<Value> {
    // Almost no message mentions `"$/`: only those are parsed again.
    if !body.windows(3).any(|it| it == b"\"$/") {
        return None;
    }
    let message: Value = serde_json::from_slice(body).ok()?;
    let id = message.get("id")?;
    let method = message.get("method")?.as_str().filter(|it| it.starts_with("$/"))?;
    let error = json!({ "code": -32601, "message": format!("unknown method {method}") });
    Some(json!({ "jsonrpc": "2.0", "id": id, "error": error }))
}

/// `body` with its `Content-Length` header.
pub fn framed(body: &[u8]) -> Vec<u8> {
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
    // The pipes to and from tower-lsp-server keep the largest buffer they ever needed, up to
    // their size, for as long as the connection lasts (a daemon has one pair per editor): large
    // messages pass in several turns instead.
    let (server_input, to_server) = tokio::io::simplex(PIPE_BYTES);
    let (from_server, server_output) = tokio::io::simplex(PIPE_BYTES);
    let (replies, mut replies_out) = mpsc::unbounded_channel::<Vec<u8>>();

    // Client -> server: check each frame.
    let reader = tokio::spawn(async move {
        let mut frames = FrameReader::new(input);
        let mut to_server = to_server;
        while let Some(frame) = frames.next().await {
            match frame {
                Frame::Message(body) => {
                    if let Some(refusal) = unknown_dollar_request(&body) {
                        let _ = replies.send(framed(refusal.to_string().as_bytes()));
                    } else if to_server.write_all(&framed(&body)).await.is_err() {
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
    use proptest::prelude::*;

    use super::*;

    async fn frames(input: impl Into<Vec<u8>>) -> Vec<Frame> {
        let mut reader = FrameReader::new(std::io::Cursor::new(input.into()));
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
        let found = frames(input).await;
        let codes: Vec<i64> = found.iter().map(code).collect();
        assert_eq!(codes, [0, -32700, -32700, -32600, -32700, -32600, -32600, 0]);
        assert!(matches!(&found[5], Frame::Bad { id, .. } if *id == json!(7)));
    }

    #[tokio::test]
    async fn a_truncated_frame_ends_the_input() {
        assert_eq!(frames(&b"Content-Length: 100\r\n\r\n{\"jsonrpc\""[..]).await, []);
    }

    fn request(id: u32) -> String {
        format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"workspace/symbol","params":{{"query":"{id}"}}}}"#)
    }

    /// The bodies of the good frames, and how many bad ones came between them.
    fn delivered(found: &[Frame]) -> (Vec<String>, usize) {
        let bodies = found
            .iter()
            .filter_map(|it| match it {
                Frame::Message(body) => Some(String::from_utf8_lossy(body).into_owned()),
                Frame::Bad { .. } => None,
            })
            .collect();
        (bodies, found.iter().filter(|it| matches!(it, Frame::Bad { .. })).count())
    }

    #[tokio::test]
    async fn an_unparseable_length_then_its_body_then_a_good_frame() {
        let input = format!("Content-Length: nope\r\n\r\n{}{}", request(1), message(&request(2)));
        let found = frames(input).await;
        assert_eq!(delivered(&found), (vec![request(2)], 1), "{found:?}");
        assert_eq!(code(&found[0]), -32700);
    }

    #[tokio::test]
    async fn a_length_too_short_loses_only_its_own_frame() {
        let input = format!("Content-Length: 5\r\n\r\n{}{}{}", request(1), message(&request(2)), message(&request(3)));
        let found = frames(input).await;
        assert_eq!(delivered(&found), (vec![request(2), request(3)], 1), "{found:?}");
    }

    #[tokio::test]
    async fn a_length_too_long_gives_back_the_header_it_swallowed() {
        let swallowed = request(1).len() + 30;
        let input = format!(
            "Content-Length: {swallowed}\r\n\r\n{}{}{}",
            request(1),
            message(&request(2)),
            message(&request(3))
        );
        let found = frames(input).await;
        assert_eq!(delivered(&found), (vec![request(2), request(3)], 1), "{found:?}");
    }

    #[tokio::test]
    async fn garbage_without_a_newline_then_a_good_frame() {
        let mut input = b"garbage \x00\xff\xfe: more garbage {\"id\":1}".to_vec();
        input.extend(message(&request(1)).bytes());
        input.extend(b"\r\n\r\n  junk: \r\nxContent-Length 12\r\n");
        input.extend(message(&request(2)).bytes());
        let found = frames(input).await;
        assert_eq!(delivered(&found), (vec![request(1), request(2)], 2), "{found:?}");
    }

    #[tokio::test]
    async fn a_megabyte_line_without_a_newline_then_a_good_frame() {
        let mut input = vec![b'x'; 1024 * 1024];
        input.extend(message(&request(1)).bytes());
        let found = frames(input).await;
        assert_eq!(delivered(&found), (vec![request(1)], 1), "{found:?}");
    }

    #[tokio::test]
    async fn header_names_are_case_insensitive_even_when_resynchronising() {
        let input = [
            format!("content-length: {}\r\n\r\n{}", request(1).len(), request(1)),
            format!(
                "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nCONTENT-LENGTH:{}\r\n\r\n{}",
                request(2).len(),
                request(2)
            ),
            "stray bytes ".to_string(),
            format!("cOnTeNt-LeNgTh: {}\r\n\r\n{}", request(3).len(), request(3)),
        ]
        .concat();
        let found = frames(input).await;
        assert_eq!(delivered(&found), (vec![request(1), request(2), request(3)], 1), "{found:?}");
    }

    /// Reads everything; the frames and the most the reader ever held.
    async fn frames_and_high_water(input: Vec<u8>) -> (Vec<Frame>, usize) {
        let mut reader = FrameReader::new(std::io::Cursor::new(input));
        let mut out = Vec::new();
        while let Some(frame) = reader.next().await {
            out.push(frame);
        }
        (out, reader.high_water())
    }

    /// What a header can make the reader hold: a line it gives up on, and one read more.
    const HEADER_BOUND: usize = MAX_HEADER_LINE + 2 * READ_CHUNK;

    #[tokio::test]
    async fn noise_without_line_breaks_is_never_held_whole() {
        let mut input = vec![b'x'; 1024 * 1024];
        input.extend(message(&request(1)).bytes());
        // And a megabyte that is no frame at all, in short lines.
        input.extend("no frame here\r\n".repeat(64 * 1024).bytes());
        input.extend(message(&request(2)).bytes());
        let (found, held) = frames_and_high_water(input).await;
        assert_eq!(delivered(&found), (vec![request(1), request(2)], 2), "{found:?}");
        assert!(held <= HEADER_BOUND, "held {held} bytes");
    }

    #[tokio::test]
    async fn endless_header_lines_are_not_held_either() {
        let mut input = "Content-Length: 10\r\n".to_string();
        input.push_str(&"X-Padding: yes\r\n".repeat(100_000));
        input.push_str("\r\n");
        let bogus = r#"{"jsonrpc":"2.0","method":"x","params":{}}"#;
        let input = format!("Content-Length: {}\r\n{input}{bogus}{}", bogus.len(), message(&request(1)));
        let (found, held) = frames_and_high_water(input.into_bytes()).await;
        // The last Content-Length of a block counts: ten bytes are no JSON.
        assert_eq!(delivered(&found), (vec![request(1)], 1), "{found:?}");
        assert!(held <= HEADER_BOUND, "held {held} bytes");
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_skipped_without_being_held() {
        let limit = 100_000;
        let mut input = format!("Content-Length: {}\r\n\r\n", 10 * limit).into_bytes();
        input.extend(vec![b'{'; 10 * limit]);
        input.extend(message(&request(1)).bytes());
        let mut reader = FrameReader::with_max_body(std::io::Cursor::new(input), limit);
        assert_eq!(reader.next().await.as_ref().map(code), Some(-32600));
        assert_eq!(reader.next().await, Some(Frame::Message(request(1).into_bytes())));
        assert_eq!(reader.next().await, None);
        assert!(reader.high_water() <= HEADER_BOUND, "held {} bytes", reader.high_water());
    }

    /// A peer that declares a large body and sends a little of it holds about what it sent.
    #[tokio::test]
    async fn a_declared_length_allocates_nothing_before_its_bytes_arrive() {
        let mut input = format!("Content-Length: {}\r\n\r\n", 50 * 1024 * 1024).into_bytes();
        input.extend(b"{\"jsonrpc\":\"2.0\"");
        let mut reader = FrameReader::new(std::io::Cursor::new(input));
        assert_eq!(reader.next().await, None, "the input ends inside the body");
        assert!(reader.high_capacity <= 4 * READ_CHUNK, "allocated {} bytes", reader.high_capacity);
        // Sent whole, a large body is read whole.
        let large = format!(r#"{{"jsonrpc":"2.0","method":"x","params":{{"text":"{}"}}}}"#, "a".repeat(3_000_000));
        let mut reader = FrameReader::new(std::io::Cursor::new(message(&large).into_bytes()));
        assert_eq!(reader.next().await, Some(Frame::Message(large.into_bytes())));
    }

    /// A first message over the limit is refused from its header, its body unread.
    #[tokio::test]
    async fn a_first_message_over_the_limit_is_refused_without_reading_it() {
        let mut input = format!("Content-Length: {}\r\n\r\n", 1024 * 1024).into_bytes();
        input.extend(vec![b'{'; 1024 * 1024]);
        let mut reader = FrameReader::first_message(std::io::Cursor::new(input), 64 * 1024);
        assert_eq!(reader.next().await.as_ref().map(code), Some(-32600));
        assert!(reader.high_capacity <= 4 * READ_CHUNK, "allocated {} bytes", reader.high_capacity);
    }

    #[tokio::test]
    async fn a_large_body_is_not_kept_allocated_for_the_frames_after_it() {
        let large = format!(r#"{{"jsonrpc":"2.0","method":"x","params":{{"text":"{}"}}}}"#, "a".repeat(300_000));
        let input = format!("{}{}", message(&large), message(&request(1)));
        let mut reader = FrameReader::new(std::io::Cursor::new(input.into_bytes()));
        assert_eq!(reader.next().await, Some(Frame::Message(large.into_bytes())));
        assert_eq!(reader.next().await, Some(Frame::Message(request(1).into_bytes())));
        assert!(reader.buffer.capacity() <= 4 * READ_CHUNK, "kept {} bytes", reader.buffer.capacity());
    }

    #[tokio::test]
    async fn what_was_read_ahead_is_handed_over() {
        let input = format!("{}{}tail", message(&request(1)), message(&request(2)));
        let mut reader = FrameReader::new(std::io::Cursor::new(input.into_bytes()));
        assert_eq!(reader.next().await, Some(Frame::Message(request(1).into_bytes())));
        let (ahead, mut rest) = reader.into_parts();
        let mut after = Vec::new();
        rest.read_to_end(&mut after).await.expect("the rest");
        assert_eq!([ahead, after].concat(), format!("{}tail", message(&request(2))).into_bytes());
    }

    #[test]
    fn requests_for_dollar_methods_are_answered_and_notifications_pass() {
        let answer = unknown_dollar_request(br#"{"jsonrpc":"2.0","id":"a","method":"$/unknown"}"#);
        assert_eq!(
            answer,
            Some(
                json!({ "jsonrpc": "2.0", "id": "a", "error": { "code": -32601, "message": "unknown method $/unknown" } })
            )
        );
        for passing in [
            &br#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}"#[..],
            br#"{"jsonrpc":"2.0","method":"$/setTrace","params":{"value":"off"}}"#,
            br#"{"jsonrpc":"2.0","id":3,"method":"workspace/symbol","params":{"query":"$/x"}}"#,
            br#"{"jsonrpc":"2.0","id":3,"result":"$/x"}"#,
        ] {
            assert_eq!(unknown_dollar_request(passing), None, "{}", String::from_utf8_lossy(passing));
        }
    }

    /// Hands out its bytes a few at a time, as a pipe or socket may.
    struct Trickle {
        bytes: Vec<u8>,
        at: usize,
        step: usize,
    }

    impl AsyncRead for Trickle {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            out: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            let end = (self.at + self.step).min(self.bytes.len()).min(self.at + out.remaining());
            out.put_slice(&self.bytes[self.at..end]);
            self.at = end;
            std::task::Poll::Ready(Ok(()))
        }
    }

    /// Every frame `bytes` yields when read `step` bytes at a time.
    fn frames_trickled(bytes: Vec<u8>, step: usize) -> Vec<Frame> {
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
        runtime.block_on(async {
            let mut reader = FrameReader::new(Trickle { bytes, at: 0, step });
            let mut out = Vec::new();
            while let Some(frame) = reader.next().await {
                out.push(frame);
            }
            out
        })
    }

    fn contains_content_length(bytes: &[u8]) -> bool {
        bytes.windows(14).any(|it| it.eq_ignore_ascii_case(b"content-length"))
    }

    /// A JSON-RPC message whose text may itself mention headers and newlines.
    fn good_body() -> impl Strategy<Value = String> {
        (0u32..1000, "(\\PC|[\r\n]|Content-Length: 9\r\n\r\n){0,40}").prop_map(|(id, text)| {
            json!({ "jsonrpc": "2.0", "id": id, "method": "workspace/symbol", "params": { "query": text } }).to_string()
        })
    }

    /// Bytes that are not a frame and hold no `Content-Length`: noise, blank lines, header-like
    /// lines, broken JSON.
    fn garbage() -> impl Strategy<Value = Vec<u8>> {
        let pieces = prop::collection::vec(
            prop_oneof![
                prop::collection::vec(any::<u8>(), 0..12),
                prop::sample::select(vec![
                    &b"\r\n"[..],
                    b"\n",
                    b"\r",
                    b": ",
                    b"Content-Type: text/plain\r\n",
                    b"X-Junk:",
                    b"{\"jsonrpc\":\"2.0\",",
                    b"Content-Len",
                    b"gth: 12",
                ])
                .prop_map(<[u8]>::to_vec),
            ],
            0..6,
        );
        pieces.prop_map(|it| it.concat()).prop_filter("no Content-Length", |it| !contains_content_length(it))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        #[test]
        fn good_frames_after_garbage_between_frames_are_delivered_intact_and_in_order(
            parts in prop::collection::vec((garbage(), good_body()), 1..8),
            tail in garbage(),
            step in 1usize..64,
        ) {
            let mut input = Vec::new();
            for (noise, body) in &parts {
                input.extend_from_slice(noise);
                input.extend(message(body).bytes());
            }
            input.extend_from_slice(&tail);
            let found = frames_trickled(input, step);
            let (bodies, bad) = delivered(&found);
            let sent: Vec<String> = parts.iter().map(|(_, body)| body.clone()).collect();
            prop_assert_eq!(bodies, sent);
            // At most one error per stretch of garbage: the reader does not report every
            // line of it.
            let noisy = parts.iter().map(|(noise, _)| noise).chain([&tail]).filter(|it| it.iter().any(|b| !b"\r\n".contains(b))).count();
            prop_assert!(bad <= noisy, "{} errors for {} stretches of garbage: {:?}", bad, noisy, found);
        }

        #[test]
        fn arbitrary_bytes_end_without_panicking(
            pieces in prop::collection::vec(
                prop_oneof![
                    prop::collection::vec(any::<u8>(), 0..40),
                    prop::sample::select(vec![
                        &b"Content-Length: "[..],
                        b"content-length:",
                        b"\r\n",
                        b"\r\n\r\n",
                        b"12",
                        b"7",
                        b"99999999999999999999",
                        b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$/x\"}",
                        b"{}",
                    ])
                    .prop_map(<[u8]>::to_vec),
                ],
                0..40,
            ),
            step in 1usize..200,
        ) {
            let input = pieces.concat();
            let length = input.len();
            let found = frames_trickled(input, step);
            // Every frame consumes at least one byte of input.
            prop_assert!(found.len() <= length, "{} frames from {} bytes", found.len(), length);
        }
    }
}

//! The agent's stdio, framed here before rmcp reads it. rmcp's stdio transport drops a line
//! over its size limit without a word, so a client that sent a request that large waited
//! forever for the answer. Here each line is read with a bound: a request over
//! [`MAX_REQUEST_BYTES`] is answered with a JSON-RPC error (`-32600`, with its id when the
//! bytes read before the limit show it, else `null`) and skipped, and the next one is served.
//! Lines within the bound go to rmcp untouched. Both directions go through one writer, so these
//! answers never land inside one of rmcp's messages.

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::mpsc;

/// The largest request read, its line break included: rmcp's own default (16 MiB).
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// The most read from the agent at once.
const READ_CHUNK: usize = 64 * 1024;

/// The most each pipe between these checks and rmcp holds.
const PIPE_BYTES: usize = 64 * 1024;

/// Runs `serve` (rmcp) on pipes (its input, its output) behind the bounded reader of `input`
/// and the single writer of `output`; returns what `serve` returns.
pub async fn guarded<I, O, F, Fut>(input: I, output: O, serve: F) -> Fut::Output
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin + Send + 'static,
    F: FnOnce(DuplexStream, DuplexStream) -> Fut,
    Fut: std::future::Future,
{
    // Duplex pipes, each used one way: an end dropped is the end of the input at the other
    // (rmcp drops its output without shutting it down).
    let (server_input, to_server) = tokio::io::duplex(PIPE_BYTES);
    let (from_server, server_output) = tokio::io::duplex(PIPE_BYTES);
    let (answers, answers_out) = mpsc::unbounded_channel::<Vec<u8>>();
    let reader = tokio::spawn(read_requests(input, to_server, answers));
    let writer = tokio::spawn(write_messages(from_server, output, answers_out));
    let served = serve(server_input, server_output).await;
    reader.abort();
    // What rmcp wrote last still goes out.
    let _ = writer.await;
    served
}

/// Passes `input`'s lines to rmcp, answering (through `answers`) the ones over the limit.
async fn read_requests<I: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    mut input: I,
    mut to_server: W,
    answers: mpsc::UnboundedSender<Vec<u8>>,
) {
    let mut lines = Lines::default();
    let mut chunk = vec![0u8; READ_CHUNK];
    loop {
        let read = match input.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        for piece in lines.split(&chunk[..read]) {
            let written = match piece {
                Piece::Line(line) => to_server.write_all(&line).await,
                Piece::Oversized(id) => {
                    let _ = answers.send(oversized_answer(id));
                    Ok(())
                }
            };
            if written.is_err() {
                return;
            }
        }
    }
    // An unfinished last line is passed on too: rmcp drops it at the end of its input, as it
    // would reading the agent itself.
    let _ = to_server.write_all(&lines.line).await;
    let _ = to_server.shutdown().await;
}

/// Copies rmcp's messages to `output` line by line, and the answers to oversized requests
/// between them.
async fn write_messages<R: AsyncRead + Unpin, O: AsyncWrite + Unpin>(
    from_server: R,
    mut output: O,
    mut answers: mpsc::UnboundedReceiver<Vec<u8>>,
) {
    let mut from_server = BufReader::new(from_server);
    let mut message = Vec::new();
    let mut answering = true;
    loop {
        // A message read in part stays in `message` if an answer comes first (read_until keeps
        // what it read), and is finished on the next turn: answers go out between messages.
        tokio::select! {
            read = from_server.read_until(b'\n', &mut message) => {
                let ended = !matches!(read, Ok(read) if read > 0);
                if output.write_all(&message).await.is_err() || output.flush().await.is_err() {
                    return;
                }
                message.clear();
                if ended {
                    return;
                }
            }
            answer = answers.recv(), if answering && message.is_empty() => match answer {
                Some(answer) => {
                    if output.write_all(&answer).await.is_err() || output.flush().await.is_err() {
                        return;
                    }
                }
                None => answering = false,
            },
        }
    }
}

/// The error an oversized request gets, as a line.
fn oversized_answer(id: Option<Value>) -> Vec<u8> {
    let message = format!(
        "the request is over taskmark mcp's limit of {MAX_REQUEST_BYTES} bytes (16 MiB) a message; it was not read"
    );
    let answer = json!({ "jsonrpc": "2.0", "id": id, "error": { "code": -32600, "message": message } });
    let mut line = answer.to_string().into_bytes();
    line.push(b'\n');
    line
}

/// What the lines read so far make.
enum Piece {
    /// A whole line, its line break included.
    Line(Vec<u8>),
    /// A line over the limit, with the id its first bytes show.
    Oversized(Option<Value>),
}

/// The line being read.
#[derive(Default)]
struct Lines {
    line: Vec<u8>,
    /// The rest of an oversized line is being skipped.
    skipping: bool,
}

impl Lines {
    /// The pieces `bytes` completes, in order.
    fn split(&mut self, mut bytes: &[u8]) -> Vec<Piece> {
        let mut pieces = Vec::new();
        while !bytes.is_empty() {
            let newline = memchr::memchr(b'\n', bytes);
            let take = newline.map_or(bytes.len(), |at| at + 1);
            let (part, rest) = bytes.split_at(take);
            bytes = rest;
            if self.skipping {
                self.skipping = newline.is_none();
                continue;
            }
            if self.line.len() + part.len() > MAX_REQUEST_BYTES {
                pieces.push(Piece::Oversized(id_in_prefix(&self.line)));
                self.line = Vec::new();
                self.skipping = newline.is_none();
                continue;
            }
            self.line.extend_from_slice(part);
            if newline.is_some() {
                pieces.push(Piece::Line(std::mem::take(&mut self.line)));
            }
        }
        pieces
    }
}

/// The `id` of the JSON object `prefix` begins, when the prefix holds it whole (a number, a
/// string or null): the rest of the message is never read.
fn id_in_prefix(prefix: &[u8]) -> Option<Value> {
    let mut scan = Scan { bytes: prefix, at: 0 };
    scan.eat(b'{')?;
    loop {
        let key = scan.string()?;
        scan.eat(b':')?;
        scan.skip_space();
        let start = scan.at;
        scan.value()?;
        if serde_json::from_slice::<String>(key).is_ok_and(|it| it == "id") {
            let id: Value = serde_json::from_slice(&prefix[start..scan.at]).ok()?;
            return matches!(id, Value::Number(_) | Value::String(_) | Value::Null).then_some(id);
        }
        match scan.next()? {
            b',' => {}
            _ => return None,
        }
    }
}

/// A cursor over JSON that may end anywhere: every step is `None` when the bytes end first.
struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scan<'a> {
    fn skip_space(&mut self) {
        while self.bytes.get(self.at).is_some_and(|it| it.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    /// The next byte that is not white space.
    fn next(&mut self) -> Option<u8> {
        self.skip_space();
        let byte = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(byte)
    }

    fn eat(&mut self, wanted: u8) -> Option<()> {
        (self.next()? == wanted).then_some(())
    }

    /// A string, quotes included.
    fn string(&mut self) -> Option<&'a [u8]> {
        self.skip_space();
        let start = self.at;
        self.eat(b'"')?;
        loop {
            let found = memchr::memchr2(b'"', b'\\', &self.bytes[self.at..])?;
            let byte = self.bytes[self.at + found];
            self.at += found + 1;
            match byte {
                b'"' => return Some(&self.bytes[start..self.at]),
                // An escape: the byte after it is part of the string.
                _ => self.at += 1,
            }
            if self.at > self.bytes.len() {
                return None;
            }
        }
    }

    /// Steps over one value (an object or array whole, without checking it).
    fn value(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            self.skip_space();
            match *self.bytes.get(self.at)? {
                b'"' => {
                    self.string()?;
                }
                b'{' | b'[' => {
                    self.at += 1;
                    depth += 1;
                    continue;
                }
                b'}' | b']' if depth > 0 => {
                    self.at += 1;
                    depth -= 1;
                }
                b',' | b':' if depth > 0 => {
                    self.at += 1;
                    continue;
                }
                b'}' | b']' | b',' | b':' => return None,
                _ => {
                    // A number or a literal: it ends at a delimiter, which must be there (a
                    // number cut by the end of the bytes is not known whole).
                    let end = self.bytes[self.at..].iter().position(|it| b",:}] \t\r\n".contains(it))?;
                    self.at += end;
                }
            }
            if depth == 0 {
                return Some(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_read_from_the_first_bytes_when_they_hold_it() {
        let cases: [(&str, Option<Value>); 10] = [
            (r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"x":"aaa"#, Some(json!(7))),
            (r#"{ "jsonrpc" : "2.0" , "id" : "a\"b" , "params": ["#, Some(json!("a\"b"))),
            (r#"{"params":{"id":1,"list":[1,{"id":2}],"s":"}\"]"},"id":-3.5e2,"x":"#, Some(json!(-350.0))),
            (r#"{"\u0069d":12,"#, Some(json!(12))),
            (r#"{"id":null,"#, Some(Value::Null)),
            (r#"{"jsonrpc":"2.0","method":"x","params":{"text":"aaaa"#, None),
            // A number the bytes cut is not known whole.
            (r#"{"id":12"#, None),
            (r#"{"id":{"nested":1},"#, None),
            (r#"[{"id":1}]"#, None),
            ("not json at all", None),
        ];
        for (prefix, id) in cases {
            assert_eq!(id_in_prefix(prefix.as_bytes()), id, "{prefix}");
        }
    }

    #[test]
    fn a_line_over_the_limit_is_one_piece_and_the_next_line_passes() {
        let mut lines = Lines::default();
        let head = br#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"pad":""#;
        let mut pieces = lines.split(head);
        let pad = vec![b'a'; 1024 * 1024];
        for _ in 0..17 {
            pieces.extend(lines.split(&pad));
        }
        assert!(lines.line.is_empty() && lines.skipping, "the rest of the line is not held");
        pieces.extend(lines.split(b"aaa\"}}\n{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"ping\"}\n"));
        match pieces.as_slice() {
            [Piece::Oversized(Some(id)), Piece::Line(next)] => {
                assert_eq!(*id, json!(9));
                assert_eq!(next.as_slice(), b"{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"ping\"}\n");
            }
            _ => panic!("{} pieces", pieces.len()),
        }
        let exactly = [vec![b' '; MAX_REQUEST_BYTES - 1], b"\n".to_vec()].concat();
        assert!(matches!(Lines::default().split(&exactly).as_slice(), [Piece::Line(_)]), "the limit itself passes");
    }
}

//! The secret that TCP connections must show. A TCP port on loopback is open to every local
//! user, so the daemon writes a random token to `daemon.token` in its private runtime folder
//! (readable by its own user only), and a TCP connection is served only if its first message
//! is `initialize` carrying that token as `initializationOptions.taskmarkToken`. Anything else
//! is answered with an error and the connection is closed, before the language server sees
//! a byte of it.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::lsp::{Frame, FrameReader, framed};
use crate::runtime_dir;

pub const TOKEN: &str = "daemon.token";

/// Where `initialize` carries the token; the key is removed before the server sees the options.
const TOKEN_KEY: &str = "taskmarkToken";

/// How long a new connection has to send its first message.
const FIRST_MESSAGE_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest first message read before the token is checked (an `initialize` is a few KiB;
/// VS Code's, with every capability, about 10). Anyone on the machine can connect, so what a
/// connection may cost before it is trusted is kept small: room for the message grows only
/// with the bytes that arrive, up to this.
pub const MAX_FIRST_MESSAGE: usize = 64 * 1024;

/// Writes a fresh token to `dir/daemon.token` (mode 0600, never through a symlink or over a
/// file someone else made) and returns it.
pub fn create_token(dir: &Path) -> anyhow::Result<String> {
    let path = dir.join(TOKEN);
    remove_stale(&path)?;
    let mut random = [0u8; 32];
    fs::File::open("/dev/urandom")
        .and_then(|mut it| it.read_exact(&mut random))
        .context("cannot read random bytes from /dev/urandom")?;
    let token: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(format!("{token}\n").as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(token)
}

/// A token file left by a daemon that died: removed, unless someone else owns it.
pub fn remove_stale(path: &Path) -> anyhow::Result<()> {
    let Ok(metadata) = fs::symlink_metadata(path) else { return Ok(()) };
    runtime_dir::check_owner(path, &metadata).map_err(anyhow::Error::msg)?;
    fs::remove_file(path).with_context(|| format!("cannot remove the stale {}", path.display()))
}

/// Why a connection was not admitted, and the id of the request to answer.
#[derive(Debug, PartialEq)]
pub struct Refusal {
    pub id: Value,
    pub reason: String,
}

/// Reads the connection's first message and checks its token. Admitted, the input to serve
/// is that message (without the token) followed by the rest of the stream; refused, the
/// client gets an error answer on `output` and the connection is to be closed.
pub async fn admit<R, W>(
    input: R,
    output: &mut W,
    token: &str,
    token_path: &Path,
) -> Result<impl AsyncRead + Unpin + Send + 'static, String>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin,
{
    let mut frames = FrameReader::first_message(input, MAX_FIRST_MESSAGE);
    let first = tokio::time::timeout(FIRST_MESSAGE_TIMEOUT, frames.next()).await;
    let checked = match first {
        Err(_) => return Err(format!("no message within {} s", FIRST_MESSAGE_TIMEOUT.as_secs())),
        Ok(None) => return Err("closed before its first message".into()),
        Ok(Some(Frame::Bad { message, id, .. })) => Err(Refusal { id, reason: message }),
        Ok(Some(Frame::Message(body))) => check_first_message(&body, token),
    };
    match checked {
        Ok(first) => {
            let (read_ahead, rest) = frames.into_parts();
            let replayed = [framed(&first), read_ahead].concat();
            Ok(AsyncReadExt::chain(std::io::Cursor::new(replayed), rest))
        }
        Err(Refusal { id, reason }) => {
            let message = format!(
                "{reason}: this taskmark daemon serves a TCP connection only when its `initialize` carries the daemon's token as initializationOptions.{TOKEN_KEY}; read it from {} (only the daemon's user can)",
                token_path.display()
            );
            let answer = json!({ "jsonrpc": "2.0", "id": id, "error": { "code": -32600, "message": message } });
            let _ = output.write_all(&framed(answer.to_string().as_bytes())).await;
            let _ = output.shutdown().await;
            // Read what the client sent meanwhile (briefly): closing with unread data would
            // reset the connection and could destroy the answer before it is read.
            let (_, mut rest) = frames.into_parts();
            let _ = tokio::time::timeout(
                Duration::from_secs(1),
                tokio::io::copy(&mut (&mut rest).take(64 * 1024), &mut tokio::io::sink()),
            )
            .await;
            Err(reason)
        }
    }
}

/// The first message, without its token, if it is an `initialize` request carrying `token`.
pub fn check_first_message(body: &[u8], token: &str) -> Result<Vec<u8>, Refusal> {
    let refuse = |id: &Value, reason: &str| Refusal { id: id.clone(), reason: reason.to_string() };
    let mut message: Value = serde_json::from_slice(body).map_err(|_| refuse(&Value::Null, "not JSON"))?;
    let id = message.get("id").cloned().unwrap_or(Value::Null);
    if message.get("method").and_then(Value::as_str) != Some("initialize") || id.is_null() {
        return Err(refuse(&id, "the first message must be the `initialize` request"));
    }
    let given = message
        .pointer_mut("/params/initializationOptions")
        .and_then(Value::as_object_mut)
        .and_then(|it| it.remove(TOKEN_KEY));
    match given {
        None => Err(refuse(&id, "no token")),
        Some(Value::String(given)) if same_secret(given.as_bytes(), token.as_bytes()) => {
            serde_json::to_vec(&message).map_err(|_| refuse(&id, "cannot re-encode the message"))
        }
        Some(_) => Err(refuse(&id, "wrong token")),
    }
}

/// Compares every byte whatever the first difference, so the time taken says nothing about
/// how much of a guess was right. (The length is no secret: tokens are 64 hex digits.)
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let difference = given.iter().zip(expected).fold(0u8, |difference, (a, b)| difference | (a ^ b));
    given.len() == expected.len() && std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN_VALUE: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    fn initialize(options: Value) -> Vec<u8> {
        json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "capabilities": {}, "initializationOptions": options } })
            .to_string()
            .into_bytes()
    }

    #[test]
    fn the_right_token_is_admitted_and_removed_before_the_server_sees_the_options() {
        let first = initialize(json!({ "taskmarkToken": TOKEN_VALUE, "diagnostics": "pull" }));
        let passed = check_first_message(&first, TOKEN_VALUE).expect("admitted");
        let passed: Value = serde_json::from_slice(&passed).expect("JSON");
        assert_eq!(passed["params"]["initializationOptions"], json!({ "diagnostics": "pull" }));
        assert_eq!(passed["id"], 1);
    }

    #[test]
    fn anything_else_is_refused_with_the_reason() {
        let mut wrong = TOKEN_VALUE.to_string();
        wrong.replace_range(63.., "0");
        let cases = [
            (initialize(json!({})), "no token"),
            (initialize(Value::Null), "no token"),
            (initialize(json!({ "taskmarkToken": wrong })), "wrong token"),
            (initialize(json!({ "taskmarkToken": &TOKEN_VALUE[..10] })), "wrong token"),
            (initialize(json!({ "taskmarkToken": [TOKEN_VALUE] })), "wrong token"),
            (initialize(json!({ "taskmark": { "taskmarkToken": TOKEN_VALUE } })), "no token"),
            (br#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#.to_vec(), "must be the `initialize` request"),
            (br#"{"jsonrpc":"2.0","method":"initialize","params":{}}"#.to_vec(), "must be the `initialize` request"),
        ];
        for (first, reason) in cases {
            let refused = check_first_message(&first, TOKEN_VALUE).expect_err("refused");
            assert!(refused.reason.contains(reason), "{}: {refused:?}", String::from_utf8_lossy(&first));
        }
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
        assert!(!same_secret(b"abcd", b"abc"));
        assert!(!same_secret(b"", b"abc"));
    }

    #[test]
    fn a_token_file_is_private_fresh_and_never_followed_through_a_symlink() {
        let dir = tempfile::tempdir().expect("a folder");
        let first = create_token(dir.path()).expect("a token");
        assert!(first.len() == 64 && first.bytes().all(|it| it.is_ascii_hexdigit()), "{first}");
        let second = create_token(dir.path()).expect("a stale one is replaced");
        assert_ne!(first, second);
        let path = dir.path().join(TOKEN);
        assert_eq!(fs::read_to_string(&path).expect("the file").trim(), second);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(&path).expect("the file").permissions().mode() & 0o777, 0o600);
        // A symlink left in its place is removed, not written through.
        let target = dir.path().join("elsewhere");
        fs::write(&target, "keep").expect("a file");
        fs::remove_file(&path).expect("remove");
        std::os::unix::fs::symlink(&target, &path).expect("a symlink");
        create_token(dir.path()).expect("a token");
        assert_eq!(fs::read_to_string(&target).expect("the target"), "keep");
        assert!(fs::symlink_metadata(&path).expect("the token").file_type().is_file());
    }

    #[tokio::test]
    async fn an_admitted_connection_replays_its_first_message_then_the_rest() {
        let first = initialize(json!({ "taskmarkToken": TOKEN_VALUE }));
        let second = br#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let input = [framed(&first), framed(second)].concat();
        let mut answers = Vec::new();
        let mut admitted = admit(std::io::Cursor::new(input), &mut answers, TOKEN_VALUE, Path::new("t"))
            .await
            .unwrap_or_else(|reason| panic!("refused: {reason}"));
        let mut served = Vec::new();
        admitted.read_to_end(&mut served).await.expect("the stream");
        let expected = [framed(&check_first_message(&first, TOKEN_VALUE).expect("admitted")), framed(second)].concat();
        assert_eq!(String::from_utf8_lossy(&served), String::from_utf8_lossy(&expected));
        assert!(answers.is_empty());
    }

    #[tokio::test]
    async fn a_refused_connection_is_answered_and_gets_nothing_served() {
        let input = framed(&initialize(json!({ "taskmarkToken": "guess" })));
        let mut answers = Vec::new();
        let refused = admit(std::io::Cursor::new(input), &mut answers, TOKEN_VALUE, Path::new("/run/x/daemon.token"))
            .await
            .err()
            .expect("refused");
        assert_eq!(refused, "wrong token");
        let answer = String::from_utf8_lossy(&answers);
        assert!(answer.contains("-32600") && answer.contains("/run/x/daemon.token"), "{answer}");
        assert!(!answer.contains(TOKEN_VALUE));
    }
}

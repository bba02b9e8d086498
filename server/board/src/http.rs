//! The board's HTTP routes and the guard every request passes first.
//!
//! - `GET /board/N/?token=T`: the page (static: its script reads the token from the address).
//! - `GET /assets/NAME`: the page's script and style, the same for everyone (no token).
//! - `GET /api/N/board[?since=G]`: the board's data (`taskmark.board`'s answer); with the
//!   generation of the board the page holds, only the cards that changed since.
//! - `GET /api/N/events?token=T`: Server-Sent Events, one `changed` each time the workspace
//!   does (an `EventSource` cannot send headers, so the token is in the address).
//! - `POST /api/N/status`: a drag, as JSON `{task, status, from?, reason?}`.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::link::message;
use crate::{Boards, assets, lsp};

/// The header a change carries its token in.
const TOKEN_HEADER: &str = "x-taskmark-token";

pub fn router(boards: Boards) -> Router {
    Router::new()
        .route("/board/{number}/", get(page))
        .route("/assets/{name}", get(asset))
        .route("/api/{number}/board", get(board))
        .route("/api/{number}/events", get(events))
        .route("/api/{number}/status", post(set_status))
        .fallback(|| async { refused(StatusCode::NOT_FOUND, "no such page") })
        .layer(middleware::from_fn_with_state(boards.clone(), guard))
        .with_state(boards)
}

fn refused(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "message": message }))).into_response()
}

/// Whether `request` may be answered: see the crate's documentation. Every answer it lets
/// through goes out with headers that keep the page from being framed, cached, or leaking its
/// address (and so its token) to another site.
async fn guard(State(boards): State<Boards>, request: Request, next: Next) -> Response {
    if let Err((status, message)) = admitted(&boards, &request) {
        tracing::warn!("board: refused {} {}: {message}", request.method(), request.uri().path());
        return with_safety_headers(refused(status, &message));
    }
    with_safety_headers(next.run(request).await)
}

fn admitted(boards: &Boards, request: &Request) -> Result<(), (StatusCode, String)> {
    boards.port().ok_or((StatusCode::SERVICE_UNAVAILABLE, "not listening".to_string()))?;
    let headers = request.headers();
    // A loopback name, on any port: this one, or one forwarded to it (VS Code's remote port
    // forwarding, code-server's `/proxy/PORT/`). A DNS name rebound to 127.0.0.1 is refused,
    // even with the token.
    let host = headers.get(header::HOST).and_then(|it| it.to_str().ok()).unwrap_or_default();
    if !is_loopback_host(host) {
        return Err((StatusCode::FORBIDDEN, format!("the board answers to 127.0.0.1 or localhost only, not `{host}`")));
    }
    // A page's request comes from the origin the browser reached the board at: the Host's.
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        let same = ["http://", "https://"].iter().any(|scheme| origin.eq_ignore_ascii_case(&format!("{scheme}{host}")));
        if !same {
            return Err((StatusCode::FORBIDDEN, format!("requests from `{origin}` are not taken")));
        }
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        let site = site.to_str().unwrap_or_default();
        if !matches!(site, "same-origin" | "none") {
            return Err((StatusCode::FORBIDDEN, format!("a {site} request is not taken")));
        }
    }
    if request.uri().path().starts_with("/assets/") {
        return Ok(());
    }
    let in_header = headers.get(TOKEN_HEADER).and_then(|it| it.to_str().ok());
    let shown = match *request.method() {
        Method::GET | Method::HEAD => in_header.or_else(|| query_token(request.uri().query())),
        Method::POST => {
            let json = headers.get(header::CONTENT_TYPE).and_then(|it| it.to_str().ok()).is_some_and(|it| {
                it.split(';').next().is_some_and(|it| it.trim().eq_ignore_ascii_case("application/json"))
            });
            if !json {
                return Err((StatusCode::UNSUPPORTED_MEDIA_TYPE, "a change is sent as application/json".into()));
            }
            in_header
        }
        _ => return Err((StatusCode::METHOD_NOT_ALLOWED, "only GET and POST".into())),
    };
    match shown {
        Some(token) if same(token.as_bytes(), boards.inner.token.as_bytes()) => Ok(()),
        Some(_) => Err((StatusCode::UNAUTHORIZED, "a wrong token".into())),
        None => Err((StatusCode::UNAUTHORIZED, "no token: open the address `taskmark board` gives".into())),
    }
}

/// `127.0.0.1`, `localhost` or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((name, port)) if port.is_empty() || is_port(port) => return name == "::1",
            _ => return false,
        },
        None => match host.rsplit_once(':') {
            Some((name, port)) if is_port(port) => name,
            Some(_) => return false,
            None => host,
        },
    };
    name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost")
}

/// `:PORT`'s digits.
fn is_port(port: &str) -> bool {
    let digits = port.strip_prefix(':').unwrap_or(port);
    !digits.is_empty() && digits.len() <= 5 && digits.bytes().all(|it| it.is_ascii_digit())
}

fn query_token(query: Option<&str>) -> Option<&str> {
    query?.split('&').find_map(|pair| pair.strip_prefix("token="))
}

/// Compares in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn with_safety_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name: &'static str, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
    set(headers, "x-frame-options", "DENY");
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "referrer-policy", "no-referrer");
    // `no-transform`: a proxy in between (code-server's `/proxy/PORT/`) must not compress, and
    // so hold back, the event stream's small events.
    set(headers, "cache-control", "no-store, no-transform");
    set(headers, "cross-origin-resource-policy", "same-origin");
    response
}

async fn page(Path(number): Path<usize>, State(boards): State<Boards>) -> Response {
    if boards.root(number).is_none() {
        return refused(StatusCode::NOT_FOUND, "no such board: run `taskmark board` again");
    }
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], assets::PAGE).into_response()
}

async fn asset(Path(name): Path<String>) -> Response {
    match assets::named(&name) {
        Some((content_type, body)) => ([(header::CONTENT_TYPE, content_type)], body).into_response(),
        None => refused(StatusCode::NOT_FOUND, "no such file"),
    }
}

/// `/api/N/board`'s query (the token may be there too).
#[derive(Deserialize)]
struct BoardQuery {
    #[serde(default)]
    since: Option<String>,
}

async fn board(Path(number): Path<usize>, Query(query): Query<BoardQuery>, State(boards): State<Boards>) -> Response {
    let Some(root) = boards.root(number) else { return refused(StatusCode::NOT_FOUND, "no such board") };
    // A generation is 16 hex digits; anything else names no board (and asks for all of it).
    let since = query.since.filter(|it| it.len() <= 32 && it.bytes().all(|it| it.is_ascii_hexdigit()));
    let link = match boards.link(number).await {
        Ok(link) => link,
        Err(reason) => return refused(StatusCode::SERVICE_UNAVAILABLE, &reason),
    };
    let version = *link.changes().borrow();
    let arguments = match since {
        Some(since) => json!({ "since": since }),
        None => json!({}),
    };
    match link.command(lsp::BOARD, arguments).await {
        // The answer goes on as the server wrote it, inside the page's envelope: never built
        // into a tree of values here (megabytes for thousands of tasks).
        Ok(board) => {
            let workspace = Value::String(root.display().to_string());
            let body = format!(r#"{{"workspace":{workspace},"version":{version},"board":{}}}"#, board.get());
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Err(error) => refused(StatusCode::SERVICE_UNAVAILABLE, &message(&error)),
    }
}

async fn events(Path(number): Path<usize>, State(boards): State<Boards>) -> Response {
    let link = match boards.link(number).await {
        Ok(link) => link,
        Err(reason) => return refused(StatusCode::SERVICE_UNAVAILABLE, &reason),
    };
    let viewer = boards.viewer();
    let changes = link.changes();
    // The version now first, then one event per change (changes close together are one).
    let stream = futures_util::stream::unfold((changes, viewer, true), |(mut changes, viewer, first)| async move {
        if !first && changes.changed().await.is_err() {
            return None;
        }
        let version = *changes.borrow_and_update();
        let event = Event::default().event("changed").data(version.to_string());
        Some((Ok::<Event, Infallible>(event), (changes, viewer, false)))
    });
    let mut response = Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response();
    // Nor buffer it (nginx and those that follow its header).
    response.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// A drag, as the page sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Drag {
    task: String,
    status: String,
    /// The status the card showed: refused if the task has moved since.
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

async fn set_status(Path(number): Path<usize>, State(boards): State<Boards>, body: Body) -> Response {
    // A drag is a few hundred bytes; nothing larger is read.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return refused(StatusCode::PAYLOAD_TOO_LARGE, "a change is at most 64 KB");
    };
    let drag: Drag = match serde_json::from_slice(&bytes) {
        Ok(drag) => drag,
        Err(error) => {
            return refused(StatusCode::BAD_REQUEST, &format!("a change is {{task, status, from?, reason?}}: {error}"));
        }
    };
    let link = match boards.link(number).await {
        Ok(link) => link,
        Err(reason) => return refused(StatusCode::SERVICE_UNAVAILABLE, &reason),
    };
    let params = lsp::ext::SetStatusParams {
        task: drag.task,
        status: drag.status,
        reason: drag.reason.filter(|it| !it.trim().is_empty()),
        expect_from: drag.from,
        ..lsp::ext::SetStatusParams::default()
    };
    let arguments = match serde_json::to_value(&params) {
        Ok(arguments) => arguments,
        Err(error) => return refused(StatusCode::BAD_REQUEST, &error.to_string()),
    };
    match link.command(lsp::SET_STATUS, arguments).await {
        Ok(answer) => {
            ([(header::CONTENT_TYPE, "application/json")], format!(r#"{{"changed":{}}}"#, answer.get())).into_response()
        }
        // The refusal as the editors get it: its words and its data (what would override it).
        Err(error) => (
            StatusCode::CONFLICT,
            Json(json!({ "message": message(&error), "data": error.get("data").cloned().unwrap_or(Value::Null) })),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::is_loopback_host;

    #[test]
    fn loopback_names_on_any_port_and_nothing_else() {
        for host in ["127.0.0.1:4000", "localhost:4000", "LOCALHOST:1", "localhost", "[::1]:4000", "[::1]"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "",
            "evil.example:4000",
            "127.0.0.1.nip.io:4000",
            "localhost.evil.example",
            "127.0.0.2:4000",
            "localhost:",
            "localhost:port",
            "localhost:4000:1",
            "[::1]x",
            "[::2]:4000",
            "127.0.0.1:123456",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}

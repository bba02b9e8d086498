//! `taskmark board`: the web board the daemon serves, driven over raw HTTP from this process as a
//! browser (and a hostile page, a rebinding DNS name, another site) would: who is refused, what a
//! drag writes, and that a page following the board keeps the daemon up. The real browser's
//! workflow is `tests/board/drive.mjs` (Chromium through playwright-core, run by `.ci/run`).
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use taskmark_test_support::lsp_client::copy_tree;
use taskmark_test_support::scratch::Scratch;

const IDLE_MS: u64 = 1500;

/// A board on a copy of `tests/fixtures/board`, opened by `taskmark board --no-open`.
struct Board {
    setup: Scratch,
    root: PathBuf,
    /// `127.0.0.1:PORT`.
    address: String,
    number: String,
    token: String,
}

fn open_board() -> Board {
    let setup = Scratch::new(IDLE_MS);
    let root = setup.base.join("board");
    copy_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/board"), &root);
    let output = setup.run_at(&root, &["board", "--no-open", "--format", "json"]);
    assert!(output.status.success(), "taskmark board: {}", String::from_utf8_lossy(&output.stderr));
    let answer: Value = serde_json::from_slice(&output.stdout).expect("a JSON answer");
    let url = answer["url"].as_str().expect("an address").to_string();
    assert_eq!(answer["opened"], false, "--no-open starts no browser");
    let rest = url.strip_prefix("http://").expect("an http address on loopback");
    let (address, path) = rest.split_once('/').expect("a path");
    assert!(address.starts_with("127.0.0.1:"), "loopback only: {address}");
    let (path, token) = path.split_once("?token=").expect("the token in the address");
    let number = path.trim_start_matches("board/").trim_end_matches('/').to_string();
    assert_eq!(token.len(), 64, "32 random bytes in hex");
    Board { setup, root, address: address.to_string(), number, token: token.to_string() }
}

/// An answer: the status code, the headers (names in lower case) and the body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(it, _)| it == name).map(|(_, value)| value.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.body))
    }
}

impl Board {
    /// `method path` with `headers` (a `Host` naming the board unless one is given) and `body`.
    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
        let mut stream = TcpStream::connect(&self.address).expect("the board's port answers");
        stream.set_read_timeout(Some(Duration::from_secs(30))).expect("a timeout");
        let mut request =
            format!("{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
        if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("host")) {
            request.push_str(&format!("Host: {}\r\n", self.address));
        }
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).expect("the request is sent");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("an answer");
        let raw = String::from_utf8_lossy(&raw).to_string();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        let mut lines = head.lines();
        let status = lines.next().and_then(|it| it.split(' ').nth(1)).and_then(|it| it.parse().ok()).unwrap_or(0);
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
            .collect();
        Answer { status, headers, body: body.to_string() }
    }

    fn get(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        self.request("GET", path, headers, "")
    }

    fn data_path(&self) -> String {
        format!("/api/{}/board", self.number)
    }

    fn status_path(&self) -> String {
        format!("/api/{}/status", self.number)
    }

    fn drag(&self, body: &Value, extra: &[(&str, &str)]) -> Answer {
        let mut headers = vec![("Content-Type", "application/json"), ("X-Taskmark-Token", self.token.as_str())];
        headers.extend_from_slice(extra);
        self.request("POST", &self.status_path(), &headers, &body.to_string())
    }

    fn files(&self) -> (String, String) {
        let read = |path: &str| std::fs::read_to_string(self.root.join(path)).expect("the file reads");
        (read("specs/TODO.md"), read("specs/state.json"))
    }
}

#[test]
fn the_board_answers_its_own_page_with_the_token_and_refuses_everyone_else() {
    let board = open_board();
    let token = board.token.clone();
    let with_token = [("X-Taskmark-Token", token.as_str())];

    // The page and its code, and the data with the token.
    let page = board.get(&format!("/board/{}/?token={token}", board.number), &[]);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("\"../../assets/board.js\""), "the page loads its script, relative to its address");
    let policy = page.header("content-security-policy").expect("a content security policy");
    assert!(policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"), "the address (and token) never leaks");
    assert_eq!(board.get("/assets/board.js", &[]).status, 200, "the page's code needs no token");
    let data = board.get(&board.data_path(), &with_token);
    assert_eq!(data.status, 200, "{}", data.body);
    let cards = data.json()["board"]["cards"].as_array().cloned().expect("cards");
    let dead: Vec<&str> = cards
        .iter()
        .filter(|card| card["dependencies"].as_array().is_some_and(|it| it.iter().any(|dep| dep["dead"].is_string())))
        .filter_map(|card| card["task"].as_str())
        .collect();
    assert_eq!(dead, ["specs:25", "specs:26"], "the dead chain behind task 24");
    assert_eq!(data.json()["board"]["criticalPath"], json!(["specs:22", "specs:21"]));

    // No token, a wrong one, a token for the data in the address of a change.
    assert_eq!(board.get(&board.data_path(), &[]).status, 401);
    assert_eq!(board.get(&board.data_path(), &[("X-Taskmark-Token", &"0".repeat(64))]).status, 401);
    assert_eq!(board.get(&format!("/board/{}/", board.number), &[]).status, 401, "the page needs the token too");
    // A DNS name rebound to 127.0.0.1, or any other name, even with the token.
    for host in ["evil.example", "127.0.0.1.nip.io", "localhost.evil.example"] {
        let port = board.address.rsplit(':').next().unwrap_or_default();
        let host = format!("{host}:{port}");
        let answer = board.get(&board.data_path(), &[("Host", &host), ("X-Taskmark-Token", &token)]);
        assert_eq!(answer.status, 403, "Host {host}: {}", answer.body);
        assert_eq!(board.get("/assets/board.js", &[("Host", &host)]).status, 403, "Host {host} for the code");
    }
    // A port forwarded to the board (VS Code's remote forwarding, code-server's `/proxy/PORT/`)
    // is still this machine's loopback: its own page there, with the token, is answered.
    let forwarded = [("Host", "localhost:8080"), ("Origin", "http://localhost:8080"), ("X-Taskmark-Token", &token)];
    assert_eq!(board.get(&board.data_path(), &forwarded).status, 200, "a forwarded port");
    // Another site's page, by its Origin or the browser's fetch metadata; a page of another
    // local port (another local web server's) is another site.
    let foreign = board.get(&board.data_path(), &[("Origin", "http://evil.example"), ("X-Taskmark-Token", &token)]);
    assert_eq!(foreign.status, 403, "{}", foreign.body);
    let other_port = board.get(&board.data_path(), &[("Origin", "http://127.0.0.1:1"), ("X-Taskmark-Token", &token)]);
    assert_eq!(other_port.status, 403, "{}", other_port.body);
    let cross = board.get(&board.data_path(), &[("Sec-Fetch-Site", "cross-site"), ("X-Taskmark-Token", &token)]);
    assert_eq!(cross.status, 403, "{}", cross.body);
    let same = board.get(
        &board.data_path(),
        &[
            ("Sec-Fetch-Site", "same-origin"),
            ("Origin", &format!("http://{}", board.address)),
            ("X-Taskmark-Token", &token),
        ],
    );
    assert_eq!(same.status, 200, "the board's own page: {}", same.body);

    // Changes that are refused, with nothing written.
    let before = board.files();
    let drag = json!({ "task": "21", "status": "implementing" });
    let as_form = board.request(
        "POST",
        &board.status_path(),
        &[("Content-Type", "application/x-www-form-urlencoded"), ("X-Taskmark-Token", &token)],
        "task=21&status=implementing",
    );
    assert_eq!(as_form.status, 415, "a form (which any site can post) is not a change: {}", as_form.body);
    let token_in_address = board.request(
        "POST",
        &format!("{}?token={token}", board.status_path()),
        &[("Content-Type", "application/json")],
        &drag.to_string(),
    );
    assert_eq!(token_in_address.status, 401, "a change shows its token in a header");
    assert_eq!(board.drag(&drag, &[("Origin", "http://evil.example")]).status, 403);
    assert_eq!(
        board.drag(&json!({ "task": "21", "status": "implementing", "force": true }), &[]).status,
        400,
        "no force"
    );
    assert_eq!(
        board
            .request(
                "POST",
                &board.status_path(),
                &[("Content-Type", "application/json"), ("X-Taskmark-Token", &token)],
                "{"
            )
            .status,
        400
    );
    let big = json!({ "task": "21", "status": "x".repeat(100_000) });
    assert_eq!(board.drag(&big, &[]).status, 413, "a body over 64 KB");
    assert_eq!(board.request("PUT", &board.status_path(), &with_token, "").status, 405);
    let forbidden = board.drag(&json!({ "task": "22", "status": "completed", "from": "[NOT STARTED]" }), &[]);
    assert_eq!(forbidden.status, 409, "{}", forbidden.body);
    assert!(
        forbidden.json()["message"].as_str().is_some_and(|it| it.contains("not an allowed transition")),
        "{}",
        forbidden.body
    );
    let moved_since = board.drag(&json!({ "task": "21", "status": "implementing", "from": "[PLANNED]" }), &[]);
    assert_eq!(moved_since.status, 409, "a card that shows an old status: {}", moved_since.body);
    assert_eq!(board.files(), before, "nothing was written");

    // The board the page holds, named by its generation: asked for since then, only what
    // changed comes back.
    let held = board.get(&board.data_path(), &with_token).json();
    let generation = held["board"]["generation"].as_str().unwrap_or_default().to_string();
    assert_eq!(generation.len(), 16, "{held}");
    let since = |generation: &str| board.get(&format!("{}?since={generation}", board.data_path()), &with_token).json();
    let unchanged = since(&generation);
    assert_eq!(unchanged["board"]["since"], json!(generation), "{unchanged}");
    assert_eq!(unchanged["board"]["cards"], json!([]), "nothing changed: no card");
    for odd in ["0123456789abcdef", "not-hex", &"f".repeat(5000)] {
        let whole = since(odd);
        assert_eq!(whole["board"]["since"], Value::Null, "since={odd:.20}: all of it");
        assert_eq!(whole["board"]["cards"], held["board"]["cards"]);
    }

    // A drag the board's own page sends: every file of the task follows.
    let made = board.drag(&json!({ "task": "21", "status": "implementing", "from": "[NOT STARTED]" }), &[]);
    assert_eq!(made.status, 200, "{}", made.body);
    let (todo, state) = board.files();
    assert!(
        todo.contains("- **21** [IMPLEMENTING]") && todo.contains("### 21. Parser\n- **Status**: [IMPLEMENTING]"),
        "{todo}"
    );
    assert!(state.contains(r#""project_number": 21, "project_name": "parser", "status": "implementing""#), "{state}");
    let after = board.get(&board.data_path(), &with_token).json();
    let card =
        after["board"]["cards"].as_array().and_then(|it| it.iter().find(|card| card["task"] == "specs:21")).cloned();
    assert_eq!(card.as_ref().map(|it| it["kind"].clone()), Some(json!("active")), "the board says so at once");
    assert_eq!(card.map(|it| it["agrees"].clone()), Some(json!(true)));
    let changed = since(&generation);
    assert_eq!(changed["board"]["since"], json!(generation));
    assert_eq!(changed["board"]["generation"], after["board"]["generation"]);
    let sent: Vec<&str> = changed["board"]["cards"]
        .as_array()
        .map(|it| it.iter().filter_map(|card| card["task"].as_str()).collect())
        .unwrap_or_default();
    assert!(sent.contains(&"specs:21"), "the dragged card: {sent:?}");
    let held_cards = held["board"]["cards"].as_array().cloned().unwrap_or_default();
    let after_cards = after["board"]["cards"].as_array().cloned().unwrap_or_default();
    let differing: Vec<&str> =
        held_cards.iter().zip(&after_cards).filter(|(a, b)| a != b).filter_map(|(_, it)| it["task"].as_str()).collect();
    assert_eq!(sent, differing, "exactly the cards that changed");
}

/// A page following the board's changes hears of one made from the command line, and keeps the
/// daemon up past its idle time; once it goes, the daemon exits.
#[test]
fn a_page_following_the_board_hears_every_change_and_keeps_the_daemon_up() {
    let board = open_board();
    let mut stream = TcpStream::connect(&board.address).expect("the board's port answers");
    stream.set_read_timeout(Some(Duration::from_secs(20))).expect("a timeout");
    let request = format!(
        "GET /api/{}/events?token={} HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
        board.number, board.token, board.address
    );
    stream.write_all(request.as_bytes()).expect("the request is sent");
    let mut events = BufReader::new(stream);
    let mut line = String::new();
    events.read_line(&mut line).expect("a status line");
    assert!(line.contains(" 200 "), "{line}");
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        events.read_line(&mut header).expect("a header");
        if header.trim().is_empty() {
            break;
        }
        headers.push(header.trim().to_ascii_lowercase());
    }
    // A proxy in between (code-server's `/proxy/PORT/`) neither compresses nor buffers the
    // stream: its small events would never reach the page.
    for expected in ["cache-control: no-store, no-transform", "x-accel-buffering: no"] {
        assert!(headers.iter().any(|it| it == expected), "{expected} in {headers:?}");
    }
    let next_version = |events: &mut BufReader<TcpStream>| -> u64 {
        loop {
            let mut line = String::new();
            events.read_line(&mut line).expect("the stream goes on");
            assert!(!line.is_empty(), "the stream ended");
            if let Some(data) = line.strip_prefix("data: ") {
                return data.trim().parse().expect("a version");
            }
        }
    };
    let first = next_version(&mut events);
    let pid = board.setup.daemon_pid().expect("a daemon runs");
    // Past the daemon's idle time with no client but the page.
    std::thread::sleep(Duration::from_millis(IDLE_MS * 2));
    assert!(Path::new(&format!("/proc/{pid}")).exists(), "the daemon stays up while a page follows the board");
    let output = board.setup.run_at(&board.root, &["set", "23", "implementing"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let heard = next_version(&mut events);
    assert!(heard > first, "a change is heard: {first} then {heard}");
    drop(events);
    let deadline = Instant::now() + Duration::from_secs(20);
    while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    assert!(stat.is_empty() || stat.contains(") Z"), "the daemon exits once no page follows the board");
}

//! An agent speaking MCP to the real `taskmark mcp` over its stdin and stdout, as the official
//! SDKs do: newline-delimited JSON-RPC, `initialize` then `notifications/initialized`, then
//! `tools/call`. Every answer is awaited for at most [`McpAgent::LIMIT`], or the test fails
//! naming the method.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub struct McpAgent {
    pub child: Child,
    input: Option<ChildStdin>,
    answers: Receiver<String>,
    next: u64,
}

impl McpAgent {
    /// How long any one answer may take.
    pub const LIMIT: Duration = Duration::from_secs(20);

    /// Starts `command` (a `taskmark mcp ...` with its folders and arguments set) and
    /// initializes the session as the client `client`.
    pub fn start(mut command: Command, client: &str) -> McpAgent {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("taskmark mcp starts");
        let input = child.stdin.take();
        let output = BufReader::new(child.stdout.take().expect("stdout"));
        let (sender, answers) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in output.lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        let mut agent = McpAgent { child, input, answers, next: 1 };
        let init = json!({
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": { "name": client, "version": "1" },
        });
        let initialized = agent.request("initialize", init);
        assert_eq!(initialized["result"]["serverInfo"]["name"], "taskmark", "{initialized}");
        agent.send(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }));
        agent
    }

    pub fn send(&mut self, message: Value) {
        let input = self.input.as_mut().expect("the agent's input is open");
        writeln!(input, "{message}").expect("sent");
        input.flush().expect("flushed");
    }

    /// The whole JSON-RPC answer to `method` with `params`.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let deadline = Instant::now() + McpAgent::LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.answers.recv_timeout(left).unwrap_or_else(|_| panic!("no answer to {method} in time"));
            let message: Value = serde_json::from_str(&line).expect("a JSON-RPC line");
            if message["id"] == id {
                return message;
            }
        }
    }

    /// The whole answer to the tool `name` called with `arguments`.
    pub fn call_tool(&mut self, name: &str, arguments: Value) -> Value {
        self.request("tools/call", json!({ "name": name, "arguments": arguments }))
    }

    /// A tool's structured answer: `Ok` when it succeeded, `Err` with its `{error, code, data}`.
    pub fn tool(&mut self, name: &str, arguments: Value) -> Result<Value, Value> {
        let answer = self.call_tool(name, arguments);
        let result = &answer["result"];
        let content = result["structuredContent"].clone();
        if result["isError"] == true { Err(content) } else { Ok(content) }
    }

    /// Closes the connection and waits for the server to exit, as it must when its client
    /// leaves.
    pub fn stop(mut self) {
        drop(self.input.take());
        let deadline = Instant::now() + McpAgent::LIMIT;
        while self.child.try_wait().expect("a status").is_none() {
            assert!(Instant::now() < deadline, "taskmark mcp did not exit when its client left");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for McpAgent {
    /// A test that fails midway leaves no server behind.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

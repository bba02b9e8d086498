//! The boundaries between the adapters that the compiler cannot see (the engine's own is its
//! crate's manifest).

/// The adapters share the engine and `views`, not one another: the language server and the
/// daemon do not reach into the command line.
#[test]
fn the_language_server_does_not_import_the_command_line() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut checked = 0;
    let mut stack = vec![src.join("lsp"), src.join("daemon")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("the sources are readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let source = std::fs::read_to_string(&path).expect("a source file");
            for (number, line) in source.lines().enumerate() {
                assert!(!line.contains("crate::cli"), "{}:{}: imports the command line", path.display(), number + 1);
            }
            checked += 1;
        }
    }
    assert!(checked > 10, "only {checked} adapter files checked");
}

/// The write path is the one every front door shares: it names no protocol (the language
/// server's types, JSON-RPC, MCP) and no adapter; the front doors come to it as a `Desk`.
#[test]
fn the_write_path_names_no_protocol_and_no_adapter() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/write_path.rs");
    let source = std::fs::read_to_string(&path).expect("the write path's source");
    let forbidden =
        ["ls_types", "jsonrpc", "tower_lsp", "rmcp", "crate::lsp", "crate::mcp", "crate::cli", "serde_json"];
    for (number, line) in source.lines().enumerate() {
        for name in forbidden {
            assert!(!line.contains(name), "{}:{}: names `{name}`", path.display(), number + 1);
        }
    }
    assert!(source.contains("pub trait Desk"), "the write path's front-door trait moved: update this test");
}

/// The non-test source of every `.rs` file under `src/{dir}` (test modules come last, after
/// `#[cfg(test)]`), with its path relative to `src`.
fn sources_under(dir: &str) -> Vec<(String, String)> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut stack = vec![src.join(dir)];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("the sources are readable") {
                stack.push(entry.expect("a directory entry").path());
            }
            continue;
        }
        if path.extension().is_none_or(|it| it != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("a source file");
        let code = source.split("#[cfg(test)]").next().unwrap_or("").to_string();
        let name = path.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
        out.push((name, code));
    }
    out.sort();
    out
}

/// **Architecture Invariant:** one analysis thread writes the index. A session's world (its
/// index and diagnostics) is written through `Shared::write`, which only `lsp/analysis.rs`
/// calls, on the `taskmark-analysis` thread `Server::start` spawns; handlers read it.
#[test]
fn only_the_analysis_thread_writes_the_world() {
    let writers: Vec<String> = sources_under("")
        .into_iter()
        .filter(|(_, code)| code.contains("shared.write()") || code.contains("shared().write()"))
        .map(|(name, _)| name)
        .collect();
    assert_eq!(writers, ["lsp/analysis.rs"], "the world is written outside the analysis thread");
    let server = sources_under("lsp").into_iter().find(|(name, _)| name == "lsp/server.rs").expect("server.rs").1;
    assert!(
        server.contains(".name(\"taskmark-analysis\".into()).spawn(move || analysis.run())"),
        "the analysis thread moved: update this test"
    );
}

/// **Architecture Invariant:** open documents change before any `.await`: tower-lsp-server
/// runs handlers concurrently, so a document change applied after an await could be reordered
/// with the next one.
#[test]
fn open_documents_change_before_any_await() {
    let server = sources_under("lsp").into_iter().find(|(name, _)| name == "lsp/server.rs").expect("server.rs").1;
    for handler in ["async fn did_open(", "async fn did_change(", "async fn did_close("] {
        let start = server.find(handler).unwrap_or_else(|| panic!("{handler} moved: update this test"));
        let body = &server[start..];
        let body = &body[..body[1..].find("\n    async fn ").map_or(body.len(), |it| it + 1)];
        let changed = body.find(".documents().").unwrap_or_else(|| panic!("{handler} changes no document"));
        assert!(body.find(".await").is_none_or(|it| it > changed), "{handler} awaits before it changes the document");
    }
}

/// **Architecture Invariant:** closed files are written only by the transaction. The language
/// server, the write path, the daemon's sessions and the MCP server never write, create, move
/// or delete a file themselves (the log file and the daemon's runtime files excepted):
/// `transaction::Transaction::commit` does, under the workspace lock, with its journal.
#[test]
fn the_language_server_writes_files_only_through_the_transaction() {
    let allowed = [("lsp/mod.rs", "OpenOptions")];
    let writing =
        ["fs::write", "File::create", "OpenOptions", "fs::rename", "fs::remove_file", "fs::remove_dir", "fs::copy"];
    let mut sources = sources_under("lsp");
    sources.extend(sources_under("mcp"));
    sources.extend(sources_under("write_path.rs"));
    assert!(sources.len() > 15, "only {} files checked", sources.len());
    for (name, code) in sources {
        for call in writing {
            if code.contains(call) && !allowed.contains(&(name.as_str(), call)) {
                panic!("{name} calls {call}: closed files are written by the transaction only");
            }
        }
    }
}

/// docs/architecture.md's code map names every source file of both crates (by its path
/// relative to the crate's `src`), so a new module comes with its line in the guide.
#[test]
fn the_architecture_guide_names_every_module() {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let guide = std::fs::read_to_string(manifest.join("../docs/architecture.md")).expect("docs/architecture.md");
    let mut missing = Vec::new();
    let mut checked = 0;
    for src in [manifest.join("src"), manifest.join("engine/src")] {
        let mut stack = vec![src.clone()];
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).expect("the sources are readable") {
                    stack.push(entry.expect("a directory entry").path());
                }
                continue;
            }
            if path.extension().is_none_or(|it| it != "rs") {
                continue;
            }
            let name = path.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
            checked += 1;
            if !guide.contains(&format!("`{name}`")) && !guide.contains(&format!("{name}`")) {
                missing.push(name);
            }
        }
    }
    assert!(checked > 100, "only {checked} files checked");
    assert!(missing.is_empty(), "docs/architecture.md's code map does not name {missing:?}");
}

/// The test-only switches (`TASKMARK_TEST_*`) are read only in code compiled with the
/// `test-hooks` feature: a shipped binary cannot be killed mid-commit or slowed down by an
/// environment variable it inherits. Each read must sit in a function whose attributes, just
/// above it, say `#[cfg(feature = "test-hooks")]`.
#[test]
fn test_switches_are_compiled_only_into_test_builds() {
    let mut reads = 0;
    for (path, source) in sources_under("") {
        let lines: Vec<&str> = source.lines().collect();
        for (number, line) in lines.iter().enumerate() {
            if !line.contains("\"TASKMARK_TEST_") || line.trim_start().starts_with("//") {
                continue;
            }
            reads += 1;
            let function = lines[..number]
                .iter()
                .rposition(|it| {
                    ["fn ", "pub fn ", "pub(super) fn ", "pub(crate) fn "].iter().any(|start| it.starts_with(start))
                })
                .unwrap_or_else(|| panic!("{path}:{}: a test switch read outside a function", number + 1));
            let gated = lines[..function]
                .iter()
                .rev()
                .take_while(|it| it.starts_with("#[") || it.starts_with("///"))
                .any(|it| it.trim() == "#[cfg(feature = \"test-hooks\")]");
            assert!(gated, "{path}:{}: reads a test switch in code every build has", number + 1);
        }
    }
    assert!(reads >= 2, "only {reads} test switch reads found: update this test");
}

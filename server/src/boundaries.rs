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

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

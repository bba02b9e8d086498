//! Data-driven tests of the rules and the edit planner on inline multi-file fixtures.

mod edits;
mod families;
mod ide;
mod incremental;
mod lifecycle;
mod merge;
mod properties;
mod rules;
mod vocabularies;

/// The engine is pure: it takes text and gives values. This keeps it that way.
#[test]
fn the_engine_does_no_io() {
    let forbidden = [
        "std::fs",
        "std::process",
        "std::net",
        "std::env",
        "std::io::",
        "tokio",
        "tower_lsp",
        "lsp_types",
        "serde_json",
        "ignore::",
        "SystemTime",
        "Instant::now",
        "Timestamp::now",
        "Zoned::now",
    ];
    let engine = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![engine];
    let mut checked = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("the engine sources are readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                // Tests may read files and use whatever they like.
                if path.file_name().is_some_and(|it| it != "tests") {
                    stack.push(path);
                }
                continue;
            }
            if path.extension().is_none_or(|it| it != "rs") || path.ends_with("fixture.rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).expect("a source file");
            // Unit tests at the bottom of a module are test code.
            let code = source.split("#[cfg(test)]").next().unwrap_or_default();
            for (number, line) in code.lines().enumerate() {
                let line = line.trim_start();
                if line.starts_with("//") {
                    continue;
                }
                for token in forbidden {
                    assert!(
                        !line.contains(token),
                        "{}:{}: the engine must not use `{token}`",
                        path.display(),
                        number + 1
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} engine files checked");
}

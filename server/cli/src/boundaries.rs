//! The boundaries the compiler cannot see inside a crate, and the crate graph itself (each
//! crate's manifest keeps it from importing a crate above it; this checks the manifests).

use std::path::{Path, PathBuf};

/// `server/`, where every crate lives.
fn server() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("server/cli lives in server/").to_path_buf()
}

/// The crates in their dependency order: each may depend only on those before it.
const CRATES: [&str; 10] = [
    "taskmark-engine",
    "taskmark-io",
    "taskmark-transaction",
    "taskmark-service",
    "taskmark-lsp",
    "taskmark-board",
    "taskmark-daemon",
    "taskmark-mcp",
    // Only the command line's tests and benchmarks use it, and it uses none of the others.
    "taskmark-test-support",
    "taskmark",
];

/// The crate graph, as `cargo metadata` reads the manifests: the pure core at the bottom, the
/// command line at the top, no crate depending on one above it (so no circle either).
#[test]
fn no_crate_depends_on_one_above_it() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(server())
        .output()
        .expect("cargo metadata runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let packages = metadata["packages"].as_array().expect("packages");
    let mut names: Vec<&str> = packages.iter().filter_map(|it| it["name"].as_str()).collect();
    names.sort_unstable();
    let mut expected = CRATES.to_vec();
    expected.sort_unstable();
    assert_eq!(names, expected, "the workspace's crates changed: update CRATES and docs/architecture.md");
    for package in packages {
        let name = package["name"].as_str().unwrap_or_default();
        let rank = CRATES.iter().position(|it| *it == name).expect("a known crate");
        for dependency in package["dependencies"].as_array().into_iter().flatten() {
            let target = dependency["name"].as_str().unwrap_or_default();
            let Some(below) = CRATES.iter().position(|it| *it == target) else { continue };
            // The command line's tests turn its own test switches on through a dev-dependency.
            if dependency["kind"].as_str() == Some("dev") && target == name {
                continue;
            }
            assert!(below < rank, "{name} depends on {target}, which is not below it");
        }
    }
}

/// The non-test source of every `.rs` file under `server/{dir}` (test modules come last,
/// after `#[cfg(test)]`), with its path relative to `server/`.
fn sources_under(dir: &str) -> Vec<(String, String)> {
    let server = server();
    let mut out = Vec::new();
    let mut stack = vec![server.join(dir)];
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
        let name = path.strip_prefix(&server).expect("under server/").to_string_lossy().replace('\\', "/");
        out.push((name, code));
    }
    out.sort();
    out
}

/// The write path is the one every front door shares: it names no protocol (the language
/// server's types, JSON-RPC, MCP) and no adapter; the front doors come to it as a `Desk`.
#[test]
fn the_write_path_names_no_protocol_and_no_adapter() {
    let (_, source) = sources_under("service/src/write_path.rs").pop().expect("the write path's source");
    let forbidden = ["ls_types", "jsonrpc", "tower_lsp", "rmcp", "serde_json"];
    for (number, line) in source.lines().enumerate() {
        for name in forbidden {
            assert!(!line.contains(name), "service/src/write_path.rs:{}: names `{name}`", number + 1);
        }
    }
    assert!(source.contains("pub trait Desk"), "the write path's front-door trait moved: update this test");
    let manifest = std::fs::read_to_string(server().join("service/Cargo.toml")).expect("the service's manifest");
    for protocol in ["tower-lsp-server", "rmcp"] {
        assert!(!manifest.contains(protocol), "the service depends on {protocol}");
    }
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
    assert_eq!(writers, ["lsp/src/analysis.rs"], "the world is written outside the analysis thread");
    let server =
        sources_under("lsp/src").into_iter().find(|(name, _)| name == "lsp/src/server.rs").expect("server.rs").1;
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
    let server =
        sources_under("lsp/src").into_iter().find(|(name, _)| name == "lsp/src/server.rs").expect("server.rs").1;
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
    let allowed = [("lsp/src/lib.rs", "OpenOptions")];
    let writing =
        ["fs::write", "File::create", "OpenOptions", "fs::rename", "fs::remove_file", "fs::remove_dir", "fs::copy"];
    let mut sources = sources_under("lsp/src");
    sources.extend(sources_under("mcp/src"));
    sources.extend(sources_under("service/src"));
    assert!(sources.len() > 15, "only {} files checked", sources.len());
    for (name, code) in sources {
        for call in writing {
            if code.contains(call) && !allowed.contains(&(name.as_str(), call)) {
                panic!("{name} calls {call}: closed files are written by the transaction only");
            }
        }
    }
}

/// Each crate's code map (its README.md) names every source file of the crate, by its path
/// relative to the crate's `src/`, so a new module comes with its line in the map; and
/// docs/architecture.md names every crate.
#[test]
fn every_crate_s_code_map_names_every_module() {
    let server = server();
    let guide = std::fs::read_to_string(server.join("../docs/architecture.md")).expect("docs/architecture.md");
    let mut missing = Vec::new();
    let mut checked = 0;
    for (folder, name) in ["engine", "io", "transaction", "service", "lsp", "daemon", "mcp", "test-support", "cli"]
        .into_iter()
        .zip(CRATES)
    {
        assert!(guide.contains(&format!("`{name}`")), "docs/architecture.md does not name the crate {name}");
        let map = std::fs::read_to_string(server.join(folder).join("README.md"))
            .unwrap_or_else(|_| panic!("server/{folder}/README.md, the crate's code map"));
        for (path, _) in sources_under(&format!("{folder}/src")) {
            let relative = path.strip_prefix(&format!("{folder}/src/")).expect("under the crate's src");
            checked += 1;
            if !map.contains(&format!("`{relative}`")) {
                missing.push(path);
            }
        }
    }
    assert!(checked > 100, "only {checked} files checked");
    assert!(missing.is_empty(), "the crates' code maps (server/*/README.md) do not name {missing:?}");
}

/// The engine's public modules are its facade (lib.rs says what each is for): every one is
/// used by some other crate's code, and the format readers stay private. A module made public
/// for nobody, or a reader an adapter reaches into, fails here; the compiler already refuses a
/// path into a private module.
#[test]
fn the_engine_s_facade_is_what_adapters_use() {
    let lib = std::fs::read_to_string(server().join("engine/src/lib.rs")).expect("the engine's lib.rs");
    let public: Vec<&str> = lib.lines().filter_map(|line| line.strip_prefix("pub mod ")?.strip_suffix(';')).collect();
    assert!(public.len() > 10, "the engine's lib.rs declares only {public:?} public");
    for reader in ["parse", "markdown", "yaml", "profiles", "change", "summary"] {
        assert!(!public.contains(&reader), "the engine's `{reader}` is its own, not the facade's");
    }
    let adapters: Vec<String> = ["io", "transaction", "service", "lsp", "daemon", "mcp", "cli"]
        .into_iter()
        .flat_map(|folder| sources_under(&format!("{folder}/src")))
        .map(|(_, code)| code)
        .collect();
    let unused: Vec<&&str> = public
        .iter()
        .filter(|module| !adapters.iter().any(|code| code.contains(&format!("engine::{module}"))))
        .collect();
    assert!(unused.is_empty(), "the engine makes {unused:?} public, but no other crate uses it");
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

/// The top-level modules of a crate (`src/x.rs` or `src/x/`, `lib.rs` and `main.rs` aside)
/// and, for each, the others its non-test code names (`crate::x`, `crate::{x, ..}`, and from a
/// top-level file `super::x`). Comment lines are left out: a doc link is no dependency.
fn module_graph(folder: &str) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let src = format!("{folder}/src/");
    let module_of = |path: &str| -> Option<(String, bool)> {
        let inside = path.strip_prefix(&src)?;
        match inside.split_once('/') {
            Some((module, _)) => Some((module.to_string(), false)),
            None if inside == "lib.rs" || inside == "main.rs" => None,
            None => Some((inside.trim_end_matches(".rs").to_string(), true)),
        }
    };
    let sources: Vec<(String, bool, String)> = sources_under(&format!("{folder}/src"))
        .into_iter()
        .filter_map(|(path, code)| module_of(&path).map(|(module, top)| (module, top, code)))
        .collect();
    let modules: std::collections::BTreeSet<String> = sources.iter().map(|(module, _, _)| module.clone()).collect();
    let mut graph: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        modules.iter().map(|it| (it.clone(), Default::default())).collect();
    for (module, top, code) in &sources {
        let code: String = code.lines().filter(|it| !it.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
        let mut named = Vec::new();
        let mut prefixes = vec!["crate::"];
        if *top {
            prefixes.push("super::");
        }
        for prefix in prefixes {
            for (at, _) in code.match_indices(prefix) {
                let before = code[..at].chars().next_back();
                if before.is_some_and(|it| it.is_alphanumeric() || it == '_') {
                    continue;
                }
                let rest = &code[at + prefix.len()..];
                let words = match rest.strip_prefix('{') {
                    // `crate::{a, b::c}`: the first word of each item of the group.
                    Some(group) => group[..group.find('}').unwrap_or(group.len())]
                        .split(',')
                        .map(|it| it.trim().split("::").next().unwrap_or_default().to_string())
                        .collect(),
                    None => vec![rest.chars().take_while(|it| it.is_alphanumeric() || *it == '_').collect::<String>()],
                };
                named.extend(words);
            }
        }
        let targets = graph.get_mut(module).expect("every module is in the graph");
        targets.extend(named.into_iter().filter(|it| it != module && modules.contains(it)));
    }
    graph
}

/// The import circles of a module graph: each set of two or more modules that reach each other.
fn circles(graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>) -> Vec<Vec<String>> {
    let reaches = |from: &String| {
        let mut seen = std::collections::BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(module) = stack.pop() {
            for next in &graph[&module] {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reached: std::collections::BTreeMap<&String, _> = graph.keys().map(|it| (it, reaches(it))).collect();
    let mut out: Vec<Vec<String>> = Vec::new();
    for module in graph.keys() {
        let circle: Vec<String> = graph
            .keys()
            .filter(|other| reached[module].contains(*other) && reached[other].contains(module))
            .cloned()
            .collect();
        if circle.len() > 1 && !out.contains(&circle) {
            out.push(circle);
        }
    }
    out
}

/// Inside each crate the modules form layers too: no module reaches back to one that reaches
/// it (a circle makes the modules one unit that cannot be read, tested or moved apart).
#[test]
fn no_crate_has_an_import_circle() {
    let mut modules = 0;
    for folder in ["engine", "io", "transaction", "service", "lsp", "daemon", "mcp", "test-support", "cli"] {
        let graph = module_graph(folder);
        modules += graph.len();
        assert_eq!(circles(&graph), Vec::<Vec<String>>::new(), "server/{folder}: modules that import each other");
    }
    assert!(modules > 60, "only {modules} modules found: update this test");
}

/// The circle finder finds a circle through three modules and none in layers.
#[test]
fn the_circle_finder_finds_circles_and_only_circles() {
    let graph = |edges: &[(&str, &str)]| {
        let mut graph: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
        for (from, to) in edges {
            graph.entry(from.to_string()).or_default().insert(to.to_string());
            graph.entry(to.to_string()).or_default();
        }
        graph
    };
    let circled = graph(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]);
    assert_eq!(circles(&circled), vec![vec!["a".to_string(), "b".to_string(), "c".to_string()]]);
    assert!(circles(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])).is_empty());
}

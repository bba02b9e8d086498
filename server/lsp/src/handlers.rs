//! Request handlers: each reads the world and converts an `engine::ide` answer to LSP types.
//! They run under the world's read lock and never wait on anything.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use serde_json::{Value, json};
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::{self as lsp, Uri};

use crate::convert::{self, ClientProfile};
use crate::engine::diagnostic::RuleCode;
use crate::engine::ide::{self, ActionKind, ActionTarget, HoverLinks};
use crate::engine::index::FileId;
use crate::engine::model::TaskKey;
use crate::engine::text::{TextRange, size};
use crate::errors::invalid_params;
use crate::world::World;

/// The indexed file and offset a request points at; `None` for files taskmark does not index.
fn locate(
    world: &World,
    uri: &Uri,
    position: lsp::Position,
    client: &ClientProfile,
) -> Option<(FileId, crate::engine::text::TextSize)> {
    let file = world.file(uri)?;
    Some((file, convert::offset(world, file, position, client.encoding)))
}

/// How a task is named in command arguments: `SCOPE:ID`, which `find_tasks` reads back.
pub fn task_argument(task: &TaskKey) -> String {
    if task.scope.is_empty() { task.id.to_string() } else { format!("{}:{}", task.scope, task.id) }
}

struct Links<'a> {
    world: &'a World,
}

impl HoverLinks for Links<'_> {
    fn file(&self, path: &str, line: u32) -> Option<String> {
        Some(format!("{}#L{line}", self.world.uri(path)?.as_str()))
    }

    fn set_status(&self, task: &TaskKey, status: &str) -> Option<String> {
        let arguments = json!([{ "task": task_argument(task), "status": status }]).to_string();
        Some(format!("command:taskmark.setStatus?{}", percent_encode(&arguments)))
    }
}

/// Links to files only, for clients that show `command:` links as text.
struct FileLinks<'a> {
    world: &'a World,
}

impl HoverLinks for FileLinks<'_> {
    fn file(&self, path: &str, line: u32) -> Option<String> {
        Links { world: self.world }.file(path, line)
    }

    fn set_status(&self, _: &TaskKey, _: &str) -> Option<String> {
        None
    }

    /// The clients that show `command:` links as text (Neovim, Helix, Emacs) draw tables as
    /// raw pipes too.
    fn tables(&self) -> bool {
        false
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, as command URIs need.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

pub fn hover(world: &World, client: &ClientProfile, params: &lsp::HoverParams) -> Option<lsp::Hover> {
    let at = &params.text_document_position_params;
    let (file, offset) = locate(world, &at.text_document.uri, at.position, client)?;
    let info = if client.command_links {
        ide::hover(&world.index, file, offset, &Links { world })?
    } else {
        ide::hover(&world.index, file, offset, &FileLinks { world })?
    };
    let mut markdown = info.markdown;
    match world.claims.holder(&task_argument(&info.task), std::time::SystemTime::now()) {
        Ok(Some(claim)) => markdown.push_str(&format!("\n\n**Claimed** by {}", claim.describe())),
        Ok(None) => {}
        // Said where the claim would be: the reader should not take "no claim" for granted.
        Err(error) => markdown.push_str(&format!("\n\n**Claims** unknown: {error}")),
    }
    let seen = crate::engine::lifecycle::across::seen_elsewhere(&info.task, &world.elsewhere);
    if !seen.is_empty() {
        let rows: Vec<String> = seen
            .iter()
            .map(|it| {
                let status = it.status.as_deref().unwrap_or("no status");
                let archived = if it.archived { " (archived)" } else { "" };
                format!("`{}` `{status}`{archived}", it.worktree)
            })
            .collect();
        markdown.push_str(&format!("\n\n**In other worktrees**: {}", rows.join(" · ")));
    }
    Some(lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value: markdown }),
        range: Some(convert::range(world, file, info.range, client.encoding)),
    })
}

pub fn completion(
    world: &World,
    client: &ClientProfile,
    params: &lsp::CompletionParams,
) -> Option<lsp::CompletionResponse> {
    let at = &params.text_document_position;
    let (file, offset) = locate(world, &at.text_document.uri, at.position, client)?;
    let items: Vec<lsp::CompletionItem> = ide::completions(&world.index, file, offset)
        .into_iter()
        .map(|it| lsp::CompletionItem {
            label: it.label.clone(),
            kind: Some(match it.kind {
                ide::CompletionKind::Status => lsp::CompletionItemKind::ENUM_MEMBER,
                ide::CompletionKind::Checkbox => lsp::CompletionItemKind::VALUE,
                ide::CompletionKind::Task => lsp::CompletionItemKind::REFERENCE,
            }),
            detail: it.detail,
            sort_text: Some(it.sort),
            filter_text: Some(it.label),
            preselect: it.preselect.then_some(true),
            text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit {
                range: convert::range(world, file, it.replace, client.encoding),
                new_text: it.insert,
            })),
            ..Default::default()
        })
        .collect();
    Some(lsp::CompletionResponse::List(lsp::CompletionList { is_incomplete: false, items }))
}

fn location(world: &World, client: &ClientProfile, it: ide::Location) -> Option<lsp::Location> {
    Some(lsp::Location {
        uri: world.uri(world.index.path(it.file))?,
        range: convert::range(world, it.file, it.range, client.encoding),
    })
}

pub fn definition(
    world: &World,
    client: &ClientProfile,
    params: &lsp::GotoDefinitionParams,
) -> Option<lsp::GotoDefinitionResponse> {
    let at = &params.text_document_position_params;
    let (file, offset) = locate(world, &at.text_document.uri, at.position, client)?;
    let target = ide::task_at(&world.index, file, offset)?;
    let locations: Vec<lsp::Location> =
        ide::definition(&world.index, &target.task).into_iter().filter_map(|it| location(world, client, it)).collect();
    (!locations.is_empty()).then_some(lsp::GotoDefinitionResponse::Array(locations))
}

pub fn references(world: &World, client: &ClientProfile, params: &lsp::ReferenceParams) -> Option<Vec<lsp::Location>> {
    let at = &params.text_document_position;
    let (file, offset) = locate(world, &at.text_document.uri, at.position, client)?;
    let target = ide::task_at(&world.index, file, offset)?;
    Some(ide::references(&world.index, &target.task).into_iter().filter_map(|it| location(world, client, it)).collect())
}

fn symbol_kind(kind: ide::SymbolKind) -> lsp::SymbolKind {
    match kind {
        ide::SymbolKind::Task => lsp::SymbolKind::OBJECT,
        ide::SymbolKind::Phase => lsp::SymbolKind::EVENT,
    }
}

pub fn document_symbols(
    world: &World,
    client: &ClientProfile,
    params: &lsp::DocumentSymbolParams,
) -> Option<lsp::DocumentSymbolResponse> {
    let uri = &params.text_document.uri;
    let file = world.file(uri)?;
    let symbols = ide::document_symbols(&world.index, file);
    if client.hierarchical_symbols {
        fn nested(world: &World, file: FileId, client: &ClientProfile, it: ide::DocumentSymbol) -> lsp::DocumentSymbol {
            #[allow(deprecated)]
            lsp::DocumentSymbol {
                name: it.name,
                detail: Some(it.detail),
                kind: symbol_kind(it.kind),
                tags: None,
                deprecated: None,
                range: convert::range(world, file, it.range, client.encoding),
                selection_range: convert::range(world, file, it.selection_range, client.encoding),
                children: Some(it.children.into_iter().map(|child| nested(world, file, client, child)).collect()),
            }
        }
        return Some(lsp::DocumentSymbolResponse::Nested(
            symbols.into_iter().map(|it| nested(world, file, client, it)).collect(),
        ));
    }
    let mut flat = Vec::new();
    let mut stack: Vec<(ide::DocumentSymbol, Option<String>)> =
        symbols.into_iter().rev().map(|it| (it, None)).collect();
    while let Some((symbol, container)) = stack.pop() {
        for child in symbol.children.iter().rev() {
            stack.push((child.clone(), Some(symbol.name.clone())));
        }
        #[allow(deprecated)]
        flat.push(lsp::SymbolInformation {
            name: symbol.name,
            kind: symbol_kind(symbol.kind),
            tags: None,
            deprecated: None,
            location: lsp::Location {
                uri: uri.clone(),
                range: convert::range(world, file, symbol.range, client.encoding),
            },
            container_name: container,
        });
    }
    Some(lsp::DocumentSymbolResponse::Flat(flat))
}

pub fn workspace_symbols(world: &World, client: &ClientProfile, query: &str) -> Vec<lsp::SymbolInformation> {
    let table = world.symbols();
    table
        .search(query, 256)
        .into_iter()
        .filter_map(|entry| {
            let name = if entry.title.is_empty() {
                format!("Task {}", entry.task.id)
            } else {
                format!("{}. {}", entry.task.id, entry.title)
            };
            #[allow(deprecated)]
            Some(lsp::SymbolInformation {
                name,
                kind: lsp::SymbolKind::OBJECT,
                tags: None,
                deprecated: None,
                location: location(world, client, entry.location)?,
                container_name: Some(format!("{} {}", entry.status, entry.task.scope).trim().to_string()),
            })
        })
        .collect()
}

pub fn document_links(world: &World, client: &ClientProfile, uri: &Uri) -> Option<Vec<lsp::DocumentLink>> {
    let file = world.file(uri)?;
    Some(
        ide::document_links(&world.index, file, &world.paths())
            .into_iter()
            .filter_map(|link| {
                Some(lsp::DocumentLink {
                    range: convert::range(world, file, link.range, client.encoding),
                    target: Some(world.uri(&link.target)?),
                    tooltip: Some(format!("Open {}", link.target)),
                    data: None,
                })
            })
            .collect(),
    )
}

pub fn code_lenses(world: &World, client: &ClientProfile, uri: &Uri) -> Option<Vec<lsp::CodeLens>> {
    if !world.settings.code_lens {
        return Some(Vec::new());
    }
    let file = world.file(uri)?;
    Some(
        ide::progress_hints(&world.index, file)
            .into_iter()
            .map(|hint| lsp::CodeLens {
                range: convert::range(world, file, hint.anchor, client.encoding),
                command: Some(lsp::Command {
                    title: format!("{} · set status…", hint.label),
                    command: "taskmark.pickStatus".into(),
                    arguments: Some(vec![json!({ "task": task_argument(&hint.task) })]),
                }),
                data: None,
            })
            .collect(),
    )
}

pub fn inlay_hints(
    world: &World,
    client: &ClientProfile,
    params: &lsp::InlayHintParams,
) -> Option<Vec<lsp::InlayHint>> {
    if !world.settings.inlay_hints {
        return Some(Vec::new());
    }
    let file = world.file(&params.text_document.uri)?;
    let wanted = convert::text_range(world, file, params.range, client.encoding);
    Some(
        ide::progress_hints(&world.index, file)
            .into_iter()
            .filter(|hint| wanted.contains_range(hint.anchor) || hint.anchor.intersect(wanted).is_some())
            .map(|hint| lsp::InlayHint {
                position: convert::position(world, file, hint.anchor.end(), client.encoding),
                label: lsp::InlayHintLabel::String(hint.label),
                kind: None,
                text_edits: None,
                tooltip: None,
                padding_left: Some(true),
                padding_right: None,
                data: None,
            })
            .collect(),
    )
}

/// What a code action's `data` carries, so that resolving it plans the same change against the
/// same document version (or refuses).
pub fn action_data(uri: &Uri, version: Option<i32>, target: &ActionTarget) -> Value {
    let target = match target {
        ActionTarget::Fix { code, range, choice } => json!({
            "fix": code.as_str(), "start": u32::from(range.start()), "end": u32::from(range.end()), "choice": choice,
        }),
        ActionTarget::SetStatus { task, status, force } => json!({
            "scope": *task.scope, "task": *task.id, "status": status, "force": force,
        }),
    };
    json!({ "uri": uri.as_str(), "version": version, "target": target })
}

pub fn parse_action_data(data: &Value) -> Result<(Uri, Option<i32>, ActionTarget), jsonrpc::Error> {
    let bad = || invalid_params("this code action's data is not taskmark's");
    let uri: Uri = data.get("uri").and_then(Value::as_str).and_then(|it| it.parse().ok()).ok_or_else(bad)?;
    let version = data.get("version").and_then(Value::as_i64).and_then(|it| i32::try_from(it).ok());
    let target = data.get("target").ok_or_else(bad)?;
    let text = |key: &str| target.get(key).and_then(Value::as_str).map(str::to_string);
    let number = |key: &str| target.get(key).and_then(Value::as_u64).and_then(|it| u32::try_from(it).ok());
    let target = if let Some(code) = text("fix") {
        let code = RuleCode::parse(&code).ok_or_else(bad)?;
        let (start, end) = (number("start").ok_or_else(bad)?, number("end").ok_or_else(bad)?);
        if end < start {
            return Err(bad());
        }
        let choice = number("choice").ok_or_else(bad)? as usize;
        ActionTarget::Fix { code, range: TextRange::new(size(start as usize), size(end as usize)), choice }
    } else {
        let task = TaskKey::new(text("scope").unwrap_or_default(), text("task").ok_or_else(bad)?);
        let force = target.get("force").and_then(Value::as_bool).unwrap_or(false);
        ActionTarget::SetStatus { task, status: text("status").ok_or_else(bad)?, force }
    };
    Ok((uri, version, target))
}

pub fn code_actions(
    world: &World,
    client: &ClientProfile,
    params: &lsp::CodeActionParams,
) -> Option<Vec<lsp::CodeAction>> {
    let uri = &params.text_document.uri;
    let file = world.file(uri)?;
    let path = world.index.path(file);
    let version = world.versions.get(path).copied();
    let range = convert::text_range(world, file, params.range, client.encoding);
    let diagnostics = world.store.file(file);
    let only = params.context.only.as_ref();
    let wanted = |kind: &lsp::CodeActionKind| {
        only.is_none_or(|only| only.iter().any(|it| kind.as_str().starts_with(it.as_str())))
    };
    let actions = ide::code_actions(&world.index, &diagnostics, file, range)
        .into_iter()
        .filter_map(|choice| {
            let kind = match choice.kind {
                ActionKind::QuickFix => lsp::CodeActionKind::QUICKFIX,
                ActionKind::Rewrite => lsp::CodeActionKind::REFACTOR_REWRITE,
            };
            if !wanted(&kind) {
                return None;
            }
            Some(lsp::CodeAction {
                title: choice.title,
                kind: Some(kind),
                diagnostics: choice.fixes.map(|it| vec![convert::diagnostic(world, &it, client.encoding)]),
                edit: None,
                command: None,
                is_preferred: choice.preferred.then_some(true),
                disabled: None,
                data: Some(action_data(uri, version, &choice.target)),
            })
        })
        .collect();
    Some(actions)
}

/// A stable id for a file's diagnostics, for pull mode's `resultId`.
pub fn result_id(diagnostics: &[lsp::Diagnostic]) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for it in diagnostics {
        it.message.hash(&mut hasher);
        (it.range.start.line, it.range.start.character, it.range.end.line, it.range.end.character).hash(&mut hasher);
        format!("{:?}{:?}", it.severity, it.code).hash(&mut hasher);
    }
    format!("{:016x}", hasher.finish())
}

pub fn file_diagnostics(world: &World, client: &ClientProfile, file: FileId) -> Vec<lsp::Diagnostic> {
    world.diagnostics_of(file).iter().map(|it| convert::diagnostic(world, it, client.encoding)).collect()
}

pub fn document_diagnostic(
    world: &World,
    client: &ClientProfile,
    params: &lsp::DocumentDiagnosticParams,
) -> lsp::DocumentDiagnosticReportResult {
    let items =
        world.file(&params.text_document.uri).map(|file| file_diagnostics(world, client, file)).unwrap_or_default();
    let id = result_id(&items);
    let report = if params.previous_result_id.as_deref() == Some(id.as_str()) {
        lsp::DocumentDiagnosticReport::Unchanged(lsp::RelatedUnchangedDocumentDiagnosticReport {
            related_documents: None,
            unchanged_document_diagnostic_report: lsp::UnchangedDocumentDiagnosticReport { result_id: id },
        })
    } else {
        lsp::DocumentDiagnosticReport::Full(lsp::RelatedFullDocumentDiagnosticReport {
            related_documents: None,
            full_document_diagnostic_report: lsp::FullDocumentDiagnosticReport { result_id: Some(id), items },
        })
    };
    lsp::DocumentDiagnosticReportResult::Report(report)
}

pub fn workspace_diagnostic(
    world: &World,
    client: &ClientProfile,
    params: &lsp::WorkspaceDiagnosticParams,
) -> lsp::WorkspaceDiagnosticReportResult {
    let previous: HashMap<&str, &str> =
        params.previous_result_ids.iter().map(|it| (it.uri.as_str(), it.value.as_str())).collect();
    let mut items = Vec::new();
    for (file, diagnostics) in world.diagnostics_by_file() {
        let path = world.index.path(file);
        let Some(uri) = world.uri(path) else { continue };
        let converted: Vec<lsp::Diagnostic> =
            diagnostics.iter().map(|it| convert::diagnostic(world, it, client.encoding)).collect();
        items.push(report_item(uri, world.versions.get(path).copied(), converted, &previous));
    }
    // Files the client holds results for and that have none now.
    for (uri, _) in previous.iter() {
        let Ok(parsed) = uri.parse::<Uri>() else { continue };
        let clean = world.file(&parsed).is_none_or(|file| world.diagnostics_of(file).is_empty());
        if clean {
            let version = world.relative(&parsed).and_then(|path| world.versions.get(&path).copied());
            items.push(report_item(parsed, version, Vec::new(), &previous));
        }
    }
    lsp::WorkspaceDiagnosticReportResult::Report(lsp::WorkspaceDiagnosticReport { items })
}

fn report_item(
    uri: Uri,
    version: Option<i32>,
    items: Vec<lsp::Diagnostic>,
    previous: &HashMap<&str, &str>,
) -> lsp::WorkspaceDocumentDiagnosticReport {
    let id = result_id(&items);
    let version = version.map(i64::from);
    if previous.get(uri.as_str()) == Some(&id.as_str()) {
        lsp::WorkspaceDocumentDiagnosticReport::Unchanged(lsp::WorkspaceUnchangedDocumentDiagnosticReport {
            uri,
            version,
            unchanged_document_diagnostic_report: lsp::UnchangedDocumentDiagnosticReport { result_id: id },
        })
    } else {
        lsp::WorkspaceDocumentDiagnosticReport::Full(lsp::WorkspaceFullDocumentDiagnosticReport {
            uri,
            version,
            full_document_diagnostic_report: lsp::FullDocumentDiagnosticReport { result_id: Some(id), items },
        })
    }
}

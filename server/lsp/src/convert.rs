//! Conversions between engine values and LSP types: positions in the negotiated encoding,
//! diagnostics, workspace edits. Nothing here decides anything.

use std::collections::HashMap;

use tower_lsp_server::ls_types as lsp;
use tower_lsp_server::ls_types::Uri;

use crate::engine::diagnostic::{Diagnostic, Severity};
use crate::engine::edit::WorkspaceChange;
use crate::engine::index::FileId;
use crate::engine::text::{self, PositionEncoding, TextRange, TextSize};
use crate::world::World;

/// What the client can take, read once from its capabilities.
#[derive(Debug, Clone, Default)]
pub struct ClientProfile {
    pub name: String,
    pub encoding: PositionEncoding,
    /// Versioned `documentChanges` in workspace edits (VS Code; not Neovim 0.11).
    pub document_changes: bool,
    /// `CreateFile` operations in `documentChanges` (VS Code; Neovim declares them but not
    /// `documentChanges`, so it cannot be sent them).
    pub create_files: bool,
    /// `RenameFile` operations, likewise.
    pub rename_files: bool,
    pub change_annotations: bool,
    pub work_done_progress: bool,
    /// `codeAction/resolve` can fill in `edit`.
    pub resolve_code_action_edit: bool,
    /// Shows a code action greyed out with the reason it cannot be applied (`disabled`).
    pub disabled_code_actions: bool,
    pub hierarchical_symbols: bool,
    pub watch_files_dynamically: bool,
    /// `workspace/diagnostic/refresh`.
    pub diagnostic_refresh: bool,
    pub code_lens_refresh: bool,
    pub inlay_hint_refresh: bool,
    /// Runs `command:` links in hovers (VS Code and its forks do; Neovim shows them as text).
    /// Other clients opt in with the experimental capability `commandLinks: true`.
    pub command_links: bool,
}

/// Whether a client runs `command:` links in markdown: the VS Code family does (the clients
/// name themselves, `Visual Studio Code`, `VSCodium`, `code-server`, `Cursor`), any other when
/// it says so in `experimental.commandLinks`.
fn runs_command_links(params: &lsp::InitializeParams) -> bool {
    let declared = params.capabilities.experimental.as_ref().and_then(|it| it.get("commandLinks"));
    if let Some(declared) = declared {
        return declared.as_bool().unwrap_or(false);
    }
    let name = params.client_info.as_ref().map_or("", |it| it.name.as_str());
    ["Visual Studio Code", "VSCodium", "code-server", "Cursor", "Windsurf"].iter().any(|it| name.contains(it))
}

impl ClientProfile {
    pub fn new(params: &lsp::InitializeParams) -> ClientProfile {
        let caps = &params.capabilities;
        let offered = caps.general.as_ref().and_then(|it| it.position_encodings.as_ref());
        let encoding = match offered {
            Some(kinds) if kinds.contains(&lsp::PositionEncodingKind::UTF8) => PositionEncoding::Utf8,
            _ => PositionEncoding::Utf16,
        };
        let workspace = caps.workspace.as_ref();
        let edit = workspace.and_then(|it| it.workspace_edit.as_ref());
        let text_document = caps.text_document.as_ref();
        ClientProfile {
            name: params.client_info.as_ref().map_or_else(|| "an unnamed client".into(), |it| it.name.clone()),
            encoding,
            document_changes: edit.and_then(|it| it.document_changes).unwrap_or(false),
            create_files: edit.and_then(|it| it.document_changes).unwrap_or(false)
                && edit
                    .and_then(|it| it.resource_operations.as_ref())
                    .is_some_and(|it| it.contains(&lsp::ResourceOperationKind::Create)),
            rename_files: edit.and_then(|it| it.document_changes).unwrap_or(false)
                && edit
                    .and_then(|it| it.resource_operations.as_ref())
                    .is_some_and(|it| it.contains(&lsp::ResourceOperationKind::Rename)),
            change_annotations: edit.is_some_and(|it| it.change_annotation_support.is_some()),
            work_done_progress: caps.window.as_ref().and_then(|it| it.work_done_progress).unwrap_or(false),
            resolve_code_action_edit: text_document
                .and_then(|it| it.code_action.as_ref())
                .and_then(|it| it.resolve_support.as_ref())
                .is_some_and(|it| it.properties.iter().any(|property| property == "edit")),
            disabled_code_actions: text_document
                .and_then(|it| it.code_action.as_ref())
                .and_then(|it| it.disabled_support)
                .unwrap_or(false),
            hierarchical_symbols: text_document
                .and_then(|it| it.document_symbol.as_ref())
                .and_then(|it| it.hierarchical_document_symbol_support)
                .unwrap_or(false),
            watch_files_dynamically: workspace
                .and_then(|it| it.did_change_watched_files.as_ref())
                .and_then(|it| it.dynamic_registration)
                .unwrap_or(false),
            diagnostic_refresh: workspace
                .and_then(|it| it.diagnostics.as_ref())
                .and_then(|it| it.refresh_support)
                .unwrap_or(false),
            code_lens_refresh: workspace
                .and_then(|it| it.code_lens.as_ref())
                .and_then(|it| it.refresh_support)
                .unwrap_or(false),
            inlay_hint_refresh: workspace
                .and_then(|it| it.inlay_hint.as_ref())
                .and_then(|it| it.refresh_support)
                .unwrap_or(false),
            command_links: runs_command_links(params),
        }
    }

    pub fn encoding_kind(&self) -> lsp::PositionEncodingKind {
        match self.encoding {
            PositionEncoding::Utf8 => lsp::PositionEncodingKind::UTF8,
            PositionEncoding::Utf16 => lsp::PositionEncodingKind::UTF16,
        }
    }
}

pub fn position(world: &World, file: FileId, offset: TextSize, encoding: PositionEncoding) -> lsp::Position {
    let Some(entry) = world.index.entry(file) else { return lsp::Position::default() };
    let it = text::position(&entry.text, entry.line_index(), offset, encoding);
    lsp::Position { line: it.line, character: it.character }
}

pub fn range(world: &World, file: FileId, range: TextRange, encoding: PositionEncoding) -> lsp::Range {
    lsp::Range {
        start: position(world, file, range.start(), encoding),
        end: position(world, file, range.end(), encoding),
    }
}

/// Edits of `text` as the client's text edits, an insertion at the very end sent before the
/// final line break (see [`text::insertions_before_final_line_break`]: Neovim would end the
/// text with a blank line more).
pub fn text_edits(
    text: &str,
    line_index: &text::LineIndex,
    edits: Vec<text::TextEdit>,
    encoding: PositionEncoding,
) -> Vec<lsp::TextEdit> {
    let lsp_position = |offset| {
        let it = text::position(text, line_index, offset, encoding);
        lsp::Position { line: it.line, character: it.character }
    };
    text::insertions_before_final_line_break(text, edits)
        .into_iter()
        .map(|edit| lsp::TextEdit {
            range: lsp::Range { start: lsp_position(edit.range.start()), end: lsp_position(edit.range.end()) },
            new_text: edit.new_text,
        })
        .collect()
}

/// A client position in an indexed file as a byte offset, clamped into the text.
pub fn offset(world: &World, file: FileId, position: lsp::Position, encoding: PositionEncoding) -> TextSize {
    let Some(entry) = world.index.entry(file) else { return TextSize::from(0) };
    let position = text::Position { line: position.line, character: position.character };
    text::offset(&entry.text, entry.line_index(), position, encoding)
}

pub fn text_range(world: &World, file: FileId, range: lsp::Range, encoding: PositionEncoding) -> TextRange {
    let start = offset(world, file, range.start, encoding);
    let end = offset(world, file, range.end, encoding).max(start);
    TextRange::new(start, end)
}

pub fn severity(severity: Severity) -> lsp::DiagnosticSeverity {
    match severity {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
        Severity::Hint => lsp::DiagnosticSeverity::HINT,
    }
}

pub fn diagnostic(world: &World, it: &Diagnostic, encoding: PositionEncoding) -> lsp::Diagnostic {
    let related: Vec<lsp::DiagnosticRelatedInformation> = it
        .related
        .iter()
        .filter_map(|related| {
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location {
                    uri: world.uri(world.index.path(related.file))?,
                    range: range(world, related.file, related.range, encoding),
                },
                message: related.message.clone(),
            })
        })
        .collect();
    let code_description = world
        .settings
        .rule_page(it.code.as_str())
        .and_then(|page| page.parse::<Uri>().ok())
        .map(|href| lsp::CodeDescription { href });
    lsp::Diagnostic {
        range: range(world, it.file, it.range, encoding),
        severity: Some(severity(it.severity)),
        code: Some(lsp::NumberOrString::String(it.code.as_str().to_string())),
        code_description,
        source: Some("taskmark".into()),
        message: it.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

/// The change as one `WorkspaceEdit`: versioned `documentChanges` when the client declares
/// them (a stale edit is then rejected whole), plain `changes` otherwise. Open documents carry
/// the version the plan was made against; others `null` (the disk is the truth). Files the
/// change creates become a `CreateFile` operation followed by an edit that writes their text,
/// and the paths it moves `RenameFile` operations after every edit, which only clients with
/// `documentChanges` and those resource operations can take ([`ClientProfile::create_files`],
/// [`ClientProfile::rename_files`]; the caller writes and moves them on disk for the others).
pub fn workspace_edit(
    world: &World,
    change: &WorkspaceChange,
    client: &ClientProfile,
    needs_confirmation: bool,
) -> Result<lsp::WorkspaceEdit, String> {
    let annotation = "taskmark".to_string();
    let annotate = client.change_annotations && client.document_changes;
    let uri_of = |path: &str| {
        world.uri(path).ok_or_else(|| format!("cannot name {} as a file URI", world.root.join(path).display()))
    };
    let annotated = |edits: Vec<lsp::TextEdit>| -> Vec<lsp::OneOf<lsp::TextEdit, lsp::AnnotatedTextEdit>> {
        edits
            .into_iter()
            .map(|text_edit| match annotate {
                true => lsp::OneOf::Right(lsp::AnnotatedTextEdit { text_edit, annotation_id: annotation.clone() }),
                false => lsp::OneOf::Left(text_edit),
            })
            .collect()
    };
    let mut plain: HashMap<Uri, Vec<lsp::TextEdit>> = HashMap::new();
    let mut versioned: Vec<lsp::TextDocumentEdit> = Vec::new();
    for file_change in change.files.iter().filter(|it| !it.edits.is_empty()) {
        let uri = uri_of(&file_change.path)?;
        let edits = match world.index.entry(file_change.file) {
            Some(entry) => text_edits(&entry.text, entry.line_index(), file_change.edits.clone(), client.encoding),
            None => Vec::new(),
        };
        if client.document_changes {
            let version = world.versions.get(&file_change.path).copied();
            versioned.push(lsp::TextDocumentEdit {
                text_document: lsp::OptionalVersionedTextDocumentIdentifier { uri, version },
                edits: annotated(edits),
            });
        } else {
            plain.insert(uri, edits);
        }
    }
    if !change.created.is_empty() && !client.create_files {
        return Err(format!("{} cannot create files through a workspace edit", client.name));
    }
    if !change.moved.is_empty() && !client.rename_files {
        return Err(format!("{} cannot move files through a workspace edit", client.name));
    }
    let change_annotations = annotate.then(|| {
        HashMap::from([(
            annotation.clone(),
            lsp::ChangeAnnotation {
                label: change.label.clone(),
                needs_confirmation: Some(needs_confirmation),
                description: (!change.warnings.is_empty()).then(|| change.warnings.join("; ")),
            },
        )])
    });
    if !change.created.is_empty() || !change.moved.is_empty() {
        // Created files first (an edit may not name a file before it exists), then every edit,
        // then the moves (a moved file is never edited).
        let mut operations = Vec::new();
        for file in &change.created {
            let uri = uri_of(&file.path)?;
            operations.push(lsp::DocumentChangeOperation::Op(lsp::ResourceOp::Create(lsp::CreateFile {
                uri: uri.clone(),
                options: Some(lsp::CreateFileOptions { overwrite: Some(false), ignore_if_exists: Some(false) }),
                annotation_id: annotate.then(|| annotation.clone()),
            })));
            let whole = lsp::TextEdit { range: lsp::Range::default(), new_text: file.text.clone() };
            versioned.push(lsp::TextDocumentEdit {
                text_document: lsp::OptionalVersionedTextDocumentIdentifier { uri, version: None },
                edits: annotated(vec![whole]),
            });
        }
        operations.extend(versioned.into_iter().map(lsp::DocumentChangeOperation::Edit));
        for moved in &change.moved {
            operations.push(lsp::DocumentChangeOperation::Op(lsp::ResourceOp::Rename(lsp::RenameFile {
                old_uri: uri_of(&moved.from)?,
                new_uri: uri_of(&moved.to)?,
                options: Some(lsp::RenameFileOptions { overwrite: Some(false), ignore_if_exists: Some(false) }),
                annotation_id: annotate.then(|| annotation.clone()),
            })));
        }
        return Ok(lsp::WorkspaceEdit {
            changes: None,
            document_changes: Some(lsp::DocumentChanges::Operations(operations)),
            change_annotations,
        });
    }
    if client.document_changes {
        Ok(lsp::WorkspaceEdit {
            changes: None,
            document_changes: Some(lsp::DocumentChanges::Edits(versioned)),
            change_annotations,
        })
    } else {
        Ok(lsp::WorkspaceEdit { changes: Some(plain), document_changes: None, change_annotations: None })
    }
}

//! The `LanguageServer` implementation: thin handlers over [`handlers`], [`commands`] and the
//! analysis thread.
//!
//! Ordering: tower-lsp-server runs handlers concurrently. Document notifications therefore
//! change the document store synchronously, before their first (and only) `.await`-free
//! return, and hand the change to the single analysis thread, which applies them in the order
//! they were numbered. Requests first wait until the analysis has caught up with every change
//! submitted before them, then read the world under a short read lock that is never held
//! across an `.await`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};
use tower_lsp_server::jsonrpc::{self, Result};
use tower_lsp_server::ls_types::{self as lsp, MessageType, Uri};
use tower_lsp_server::{Client, LanguageServer};

use crate::analysis::{Analysis, Job, Outgoing};
use crate::broadcast;
use crate::commands;
use crate::convert::ClientProfile;
use crate::desk::{Announcement, SessionDesk};
use crate::documents::Change;
use crate::engine::config;
use crate::engine::text::Position;
use crate::errors::{content_modified, internal_error, invalid_params};
use crate::handlers;
use crate::hub::Hub;
use crate::lifecycle;
use crate::service::status_change::SetStatusRequest;
use crate::session::{Receivers, Session};
use crate::settings::{DiagnosticMode, Settings};
use crate::world::{Shared, World, lock};
use crate::write_path;

/// How long an editor may take to answer a refresh request before the next one is sent.
const REFRESH_TIMEOUT: Duration = Duration::from_secs(5);
/// How long an editor may take to answer `window/workDoneProgress/create` before indexing goes
/// on without a progress bar.
const PROGRESS_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a command waits for its workspace to be read before it refuses.
const INDEXING_WAIT: Duration = Duration::from_secs(60);

pub struct Server {
    client: Client,
    /// What this connection's sessions share with the other connections of the process.
    hub: Arc<Hub>,
    /// One session per workspace folder of the editor's window, in the editor's order.
    sessions: std::sync::RwLock<Vec<Arc<Session>>>,
}

impl Server {
    pub fn new(client: Client, hub: Arc<Hub>) -> Server {
        Server { client, hub, sessions: std::sync::RwLock::new(Vec::new()) }
    }

    /// `taskmark/serverInfo`: which process serves this connection, and how.
    pub async fn server_info(&self) -> Result<serde_json::Value> {
        let mode = match self.hub.mode() {
            crate::ServingMode::Standalone => "standalone",
            crate::ServingMode::Daemon => "daemon",
        };
        Ok(serde_json::json!({
            "pid": std::process::id(),
            "mode": mode,
            "version": env!("CARGO_PKG_VERSION"),
        }))
    }

    fn sessions(&self) -> Vec<Arc<Session>> {
        self.sessions.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The first folder's session (what is the same for all: the editor, its settings).
    fn session(&self) -> Result<Arc<Session>> {
        self.sessions().into_iter().next().ok_or_else(jsonrpc::Error::invalid_request)
    }

    /// The session of the folder holding `uri` (the innermost, when folders nest); the first
    /// folder's for anything else.
    fn session_for(&self, uri: &Uri) -> Result<Arc<Session>> {
        let sessions = self.sessions();
        let inside = uri.to_file_path().and_then(|path| {
            sessions
                .iter()
                .filter(|it| path.starts_with(&it.root))
                .max_by_key(|it| it.root.components().count())
                .cloned()
        });
        inside.or_else(|| sessions.first().cloned()).ok_or_else(jsonrpc::Error::invalid_request)
    }

    /// The session of the folder whose tracker has `task` (the first that has it).
    async fn session_for_task(&self, task: &str) -> Result<Arc<Session>> {
        let sessions = self.sessions();
        for session in &sessions {
            session.shared.caught_up().await;
            if commands::resolve_task(&session.shared.read(), task).is_ok() {
                return Ok(session.clone());
            }
        }
        sessions.into_iter().next().ok_or_else(jsonrpc::Error::invalid_request)
    }

    /// Runs `f` on the world of the folder whose tracker has the arguments' `task`.
    async fn query_task(
        &self,
        arguments: &[Value],
        command: &str,
        f: impl FnOnce(&World, &[Value]) -> Result<Value>,
    ) -> Result<Value> {
        let session = self.session_for_task(&commands::task_of(arguments, command)?).await?;
        self.query_in(&session, command, |world, _| f(world, arguments)).await
    }

    /// Runs `f` on the world of the folder holding `uri`.
    async fn query_at<T>(
        &self,
        uri: &Uri,
        what: &str,
        f: impl FnOnce(&World, &ClientProfile) -> Result<T>,
    ) -> Result<T> {
        let session = self.session_for(uri)?;
        self.query_in(&session, what, f).await
    }

    /// Runs `f` on every folder's world, in order.
    async fn query_all<T>(&self, what: &str, f: impl Fn(&World, &ClientProfile) -> Result<T>) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for session in self.sessions() {
            out.push(self.query_in(&session, what, &f).await?);
        }
        Ok(out)
    }

    /// Runs `f` on a session's world once it holds every change made before this request.
    async fn query_in<T>(
        &self,
        session: &Session,
        what: &str,
        f: impl FnOnce(&World, &ClientProfile) -> Result<T>,
    ) -> Result<T> {
        session.query(what, f).await
    }

    /// The session as the write path's front door.
    fn desk<'a>(&'a self, session: &'a Session) -> SessionDesk<'a> {
        SessionDesk { client: &self.client, session }
    }

    /// A session for one workspace folder; its analysis starts with [`Server::start`] (the
    /// client drops what is sent before `initialized`).
    fn new_session(&self, root: PathBuf, client: &ClientProfile, settings: Settings) -> Arc<Session> {
        let host = self.hub.hosts.for_root(&root);
        let world = World::new(root.clone(), config::Config::default(), settings, host.claims.clone());
        let shared = Arc::new(Shared::new(world));
        let (jobs, inbox) = std::sync::mpsc::channel();
        let (outgoing, receiver) = tokio::sync::mpsc::unbounded_channel();
        let pending = std::sync::Mutex::new(Some((inbox, receiver)));
        let registration =
            self.hub.peers.register(root.clone(), self.client.clone(), shared.clone(), jobs.clone(), client.clone());
        Arc::new(Session { root, shared, host, registration, client: client.clone(), jobs, outgoing, pending })
    }

    /// Starts a session's analysis thread and the delivery of what it sends.
    async fn start(&self, session: &Session) {
        let Some((inbox, receiver)) = lock(&session.pending).take() else { return };
        let analysis = Analysis::new(
            session.shared.clone(),
            session.host.clone(),
            inbox,
            session.jobs.clone(),
            session.outgoing.clone(),
            session.client.encoding,
            !session.client.watch_files_dynamically,
        );
        if let Err(error) = std::thread::Builder::new().name("taskmark-analysis".into()).spawn(move || analysis.run()) {
            self.log(MessageType::ERROR, format!("taskmark cannot start its analysis thread: {error}")).await;
            return;
        }
        tokio::spawn(deliver(self.client.clone(), session.client.clone(), receiver));
    }

    fn submit(&self, uri: Uri) {
        let Ok(session) = self.session_for(&uri) else { return };
        let sequence = session.shared.submit();
        if session.jobs.send(Job::Document { uri, sequence }).is_err() {
            tracing::warn!("the analysis thread has stopped; the change was kept but not analysed");
        }
    }

    async fn log(&self, level: MessageType, message: String) {
        tracing::info!("{message}");
        self.client.log_message(level, message).await;
    }

    /// A status change, through the write path: in turn with every other change on the
    /// workspace (from any editor, the command line or an agent), validated against the state
    /// the previous one left, and refused with who changed what otherwise.
    async fn set_status(&self, request: SetStatusRequest) -> Result<Value> {
        let session = self.session_for_task(&request.task).await?;
        let desk = self.desk(&session);
        let now = crate::workspace::now();
        let label = format!("set {} {}", request.task, request.status);
        let read_whole = std::sync::atomic::AtomicBool::new(false);
        let (described, written) = write_path::change(&desk, &label, &request.task, |world, elsewhere, early| {
            let planned =
                commands::plan_status(&request, world, &session.client, now.clone(), elsewhere, early, &read_whole)?;
            let described = planned.as_ref().map(|(_, _, described)| described.clone()).unwrap_or_default();
            let change = planned.map(|(mut planned, announced, _)| write_path::Change {
                status: Some(write_path::StatusSet {
                    task: announced.task.clone(),
                    from: announced.from.clone(),
                    to: announced.to.clone(),
                    files: announced.files.clone(),
                }),
                write: {
                    if let Some(expected) = planned.expected.take() {
                        session.host.expect_written(expected);
                    }
                    planned.into_write()
                },
                announcement: Announcement::Status(announced),
            });
            Ok(write_path::Plan { answer: described, change })
        })
        .await?;
        let Some(written) = written else {
            let label =
                format!("task {} already says `{}` everywhere; nothing to change", request.task, request.status);
            return Ok(
                json!({ "applied": true, "unchanged": true, "label": label, "files": [], "written": [], "warnings": [] }),
            );
        };
        let answer = crate::ext::ChangeResult {
            // What the change edited in each file, as `taskmark set` prints it.
            changed: Some(
                described
                    .iter()
                    .map(|it| crate::ext::ChangedFile { path: it.path.clone(), changed: it.parts.clone() })
                    .collect(),
            ),
            ..desk.answer(&written)
        };
        serde_json::to_value(answer).map_err(|error| internal_error(format!("{}: {error}", commands::SET_STATUS)))
    }

    /// `taskmark fix`: the service's fixes, every pass as one change, through the write path
    /// as a status change; the other editors' open buffers follow.
    async fn fix(&self, session: &Session, codes: Vec<crate::engine::diagnostic::RuleCode>) -> Result<Value> {
        let desk = self.desk(session);
        let request = crate::service::fixing::FixRequest { codes, now: crate::workspace::now() };
        let (answer, written) = write_path::change(&desk, "fix", "", |world, elsewhere, _| {
            let planned = commands::plan_fixes(world, &request)?;
            let change = planned.change;
            if change.is_empty() {
                return Ok(write_path::Plan { answer: planned.answer, change: None });
            }
            let edited: Vec<broadcast::EditedFile> = change
                .files
                .iter()
                .filter(|it| !it.edits.is_empty())
                .map(|it| broadcast::EditedFile {
                    path: it.path.clone(),
                    before: world.index.text(it.file).into(),
                    edits: it.edits.clone(),
                })
                .collect();
            let prepared =
                commands::prepare(world, &session.client, &change, false, world.settings.closed_files, elsewhere)?;
            // Every editor hears of it: one with a file open as it was on disk reads it again.
            let notice = crate::ext::TaskChanged {
                title: Some(prepared.label.clone()),
                ..crate::ext::TaskChanged::lifecycle("fixed", String::new())
            };
            let announcement = broadcast::Announcement {
                label: prepared.label.clone(),
                files: edited,
                under_editors: prepared.under_editors.clone(),
                notice: Some(notice),
                ..Default::default()
            };
            Ok(write_path::Plan {
                answer: planned.answer,
                change: Some(write_path::Change {
                    write: prepared.into_write(),
                    announcement: Announcement::Edits(announcement),
                    status: None,
                }),
            })
        })
        .await?;
        let held_back = Some(answer.held_back).filter(|it| !it.is_empty());
        let result = match written {
            Some(written) => crate::ext::ChangeResult { fixed: Some(answer.fixed), held_back, ..desk.answer(&written) },
            None => crate::ext::ChangeResult {
                applied: false,
                unchanged: Some(true),
                label: "nothing to fix".into(),
                files: Vec::new(),
                written: Vec::new(),
                warnings: Vec::new(),
                fixed: Some(answer.fixed),
                held_back,
                diff: None,
                changed: None,
            },
        };
        serde_json::to_value(result).map_err(|error| internal_error(format!("{}: {error}", commands::FIX)))
    }

    /// `taskmark.fix` with `dryRun`: what `fix` would write, as a diff, with its counts and the
    /// fixes it would hold back; written nowhere.
    async fn fix_dry_run(&self, session: &Session, codes: Vec<crate::engine::diagnostic::RuleCode>) -> Result<Value> {
        let request = crate::service::fixing::FixRequest { codes, now: crate::workspace::now() };
        // Planned against the disk as `fix` is: a dry run says the same.
        let result = write_path::plan_against_disk(&self.desk(session), commands::FIX, |world| {
            let planned = commands::plan_fixes(world, &request)?;
            let diff = commands::change_diff(world, &planned.change);
            let held_back = Some(planned.answer.held_back).filter(|it| !it.is_empty());
            Ok(crate::ext::ChangeResult {
                applied: false,
                unchanged: Some(planned.change.is_empty()).filter(|it| *it),
                label: if planned.change.is_empty() { "nothing to fix".into() } else { planned.change.label },
                files: planned.change.files.iter().map(|it| it.path.clone()).collect(),
                written: Vec::new(),
                warnings: Vec::new(),
                fixed: Some(planned.answer.fixed),
                held_back,
                diff: Some(diff),
                changed: None,
            })
        })
        .await?;
        commands::answer(result, commands::FIX)
    }

    /// `taskmark.newTask`: a task in every store of its tracker, with an id above every id the
    /// tracker used here and on the other branches and worktrees (read from git off the
    /// runtime's threads, before the change takes its turn), written like a status change.
    async fn new_task(&self, args: lifecycle::NewTaskArgs) -> Result<Value> {
        let session = self.session_for_new_task(&args).await?;
        let scope = self.query_in(&session, commands::NEW_TASK, |world, _| args.tracker(world)).await?;
        let elsewhere = if args.branches {
            let (root, vocabularies) = {
                let world = session.shared.read();
                (world.root.clone(), world.config.vocabularies.clone())
            };
            tokio::task::spawn_blocking(move || crate::branch_ids::used_ids_elsewhere(&root, &scope, &vocabularies))
                .await
                .map_err(|error| internal_error(format!("{}: {error}", commands::NEW_TASK)))?
                .map_err(|error| {
                    let how = crate::engine::edit::Override::SkipBranches;
                    jsonrpc::Error {
                        data: Some(json!({ "kind": "otherBranches", "override": how.as_str() })),
                        ..crate::errors::write_failed(format!(
                            "cannot read the other branches' trackers ({error:#}); nothing was changed{}",
                            commands::override_in_editor_words(how)
                        ))
                    }
                })?
        } else {
            crate::engine::lifecycle::UsedIds::default()
        };
        let label = format!("new {}", args.request.title.trim());
        self.lifecycle(&session, &label, args.dry_run, "", |world, client, open_elsewhere| {
            args.plan(world, client, &elsewhere, open_elsewhere)
        })
        .await
    }

    /// The folder a new task goes to: the one holding `uri` when the editor names a document,
    /// else the first whose trackers can take it.
    async fn session_for_new_task(&self, args: &lifecycle::NewTaskArgs) -> Result<Arc<Session>> {
        if let Some(uri) = &args.uri {
            return self.session_for(uri);
        }
        let sessions = self.sessions();
        if sessions.len() > 1 {
            for session in &sessions {
                session.shared.caught_up().await;
                if args.tracker(&session.shared.read()).is_ok() {
                    return Ok(session.clone());
                }
            }
        }
        sessions.into_iter().next().ok_or_else(jsonrpc::Error::invalid_request)
    }

    /// A lifecycle change (a new task, an edit, an archive) through the write path, exactly as
    /// a status change. A dry run plans and checks only (no turn, no lock), as `--dry-run`
    /// does. `task` names the task a refusal is explained for (`""` for none yet).
    async fn lifecycle(
        &self,
        session: &Session,
        label: &str,
        dry_run: bool,
        task: &str,
        plan: impl Fn(&World, &ClientProfile, &std::collections::HashSet<String>) -> Result<lifecycle::Planned>
        + Send
        + Sync,
    ) -> Result<Value> {
        if dry_run {
            let planned =
                self.query_in(session, label, |world, client| plan(world, client, &Default::default())).await?;
            return commands::answer(planned.answer, label);
        }
        let desk = self.desk(session);
        let (mut answer, written) = write_path::change(&desk, label, task, |world, elsewhere, _| {
            let planned = plan(world, &session.client, elsewhere)?;
            let files = planned.answer.files.clone();
            let change = planned.write.map(|mut write| {
                if let Some(expected) = write.edit.expected.take() {
                    session.host.expect_written(expected);
                }
                write_path::Change {
                    // A refusal names the last change of its task by someone else: a new task's
                    // status is one (edits and archives set no status).
                    status: write.announcement.notice.as_ref().and_then(|notice| {
                        Some(write_path::StatusSet {
                            task: notice.task.clone(),
                            from: notice.from.clone(),
                            to: notice.to.clone()?,
                            files: files.clone(),
                        })
                    }),
                    write: write.edit.into_write(),
                    announcement: Announcement::Edits(write.announcement),
                }
            });
            Ok(write_path::Plan { answer: planned.answer, change })
        })
        .await?;
        if let Some(written) = written {
            let result = desk.answer(&written);
            answer.applied = Some(true);
            // `files` names the workspace-relative paths; the documents the change reached, as URIs.
            answer.uris = Some(result.files);
            answer.written = Some(result.written);
        }
        commands::answer(answer, label)
    }

    /// Asks the user for a status with the client's message buttons, then sets it.
    async fn pick_status(&self, task: String) -> Result<Value> {
        let session = self.session_for_task(&task).await?;
        let (key, title, choices) = self
            .query_in(&session, "taskmark.pickStatus", |world, _| {
                let key = commands::resolve_task(world, &task)?;
                let summary = crate::engine::ide::task_summary(&world.index, &key);
                let profile =
                    world.index.task_profile(&key).ok_or_else(|| invalid_params("the task has no vocabulary"))?;
                let current = world.index.task_status(&key).map(|(_, it)| it);
                let choices = crate::engine::ide::status_choices(profile, current);
                let title = format!(
                    "Task {} — {} is {}. Set it to:",
                    key.id,
                    summary.title.unwrap_or_default(),
                    summary.status.unwrap_or_else(|| "of unknown status".into())
                );
                Ok((key, title, choices))
            })
            .await?;
        let label = |it: &crate::engine::ide::StatusChoice| {
            if it.allowed { it.display.clone() } else { format!("{} (forced)", it.display) }
        };
        let actions = choices
            .iter()
            .map(|it| lsp::MessageActionItem { title: label(it), properties: Default::default() })
            .collect();
        let picked = self.client.show_message_request(MessageType::INFO, title, Some(actions)).await?;
        let Some(picked) = picked else { return Ok(Value::Null) };
        let Some(choice) = choices.iter().find(|it| label(it) == picked.title) else {
            return Err(invalid_params(format!("`{}` is not one of the offered statuses", picked.title)));
        };
        let task = handlers::task_argument(&key);
        self.set_status(SetStatusRequest {
            task,
            status: choice.id.clone(),
            force: !choice.allowed,
            ..SetStatusRequest::default()
        })
        .await
    }

    /// Registers `workspace/didChangeWatchedFiles`, or watches the disk ourselves when the
    /// client cannot.
    async fn watch_files(&self, session: &Session) {
        if !session.client.watch_files_dynamically {
            return;
        }
        let watchers = [
            "**/*.md",
            "**/*.markdown",
            "**/state.json",
            "**/config.yml",
            // Task Master's store and the task files it generates (`workspace::wanted`); its
            // `task_NNN.md` ones are watched as markdown.
            "**/.taskmaster/tasks/tasks.json",
            "**/.taskmaster/tasks/task_*.txt",
            // Conductor's tracks keep their status in metadata.json.
            "**/conductor/tracks/*/metadata.json",
            "**/conductor/archive/*/metadata.json",
            "**/.gitignore",
            &format!("**/{}", config::FILE_NAME),
        ]
        .into_iter()
        .map(|glob| lsp::FileSystemWatcher { glob_pattern: lsp::GlobPattern::String(glob.to_string()), kind: None })
        .collect();
        let registration = lsp::Registration {
            id: "taskmark-watched-files".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(lsp::DidChangeWatchedFilesRegistrationOptions { watchers }).ok(),
        };
        if let Err(error) = self.client.register_capability(vec![registration]).await {
            tracing::warn!(
                "the client refused to watch files ({error}); changes on disk are seen when files are opened"
            );
        }
    }
}

/// Asks the editor to refresh lenses, hints and (pull mode) diagnostics, one request round at
/// a time: the requests are answered when the editor likes, so they must not hold up the
/// diagnostics queued behind them, and changes made while a round runs are folded into one
/// more. Ends when the returned sender is dropped.
fn spawn_refresher(
    client: Client,
    profile: ClientProfile,
    diagnostics: Arc<AtomicBool>,
) -> tokio::sync::mpsc::Sender<()> {
    let (sender, mut requests) = tokio::sync::mpsc::channel::<()>(1);
    tokio::spawn(async move {
        while requests.recv().await.is_some() {
            let diagnostics = diagnostics.swap(false, Ordering::SeqCst) && profile.diagnostic_refresh;
            let round = async {
                if diagnostics {
                    let _ = client.workspace_diagnostic_refresh().await;
                }
                if profile.code_lens_refresh {
                    let _ = client.code_lens_refresh().await;
                }
                if profile.inlay_hint_refresh {
                    let _ = client.inlay_hint_refresh().await;
                }
            };
            if tokio::time::timeout(REFRESH_TIMEOUT, round).await.is_err() {
                tracing::warn!("the editor did not answer a refresh request within {REFRESH_TIMEOUT:?}");
            }
        }
    });
    sender
}

/// Delivers the analysis thread's messages to the client, in order.
async fn deliver(client: Client, profile: ClientProfile, mut outgoing: Receivers) {
    let refresh_diagnostics = Arc::new(AtomicBool::new(false));
    let refresh = spawn_refresher(client.clone(), profile.clone(), refresh_diagnostics.clone());
    let mut progress = None;
    // Tokens are unique in the process: a connection with several folders has several loops.
    static NEXT_TOKEN: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    while let Some(message) = outgoing.recv().await {
        match message {
            Outgoing::Diagnostics { uri, version, diagnostics } => {
                client.publish_diagnostics(uri, diagnostics, version).await;
            }
            Outgoing::Refresh { diagnostics } => {
                if diagnostics {
                    refresh_diagnostics.store(true, Ordering::SeqCst);
                }
                // Full means one is already waiting to run: it will see this change too.
                let _ = refresh.try_send(());
            }
            Outgoing::ProgressBegin { title } => {
                if !profile.work_done_progress {
                    continue;
                }
                let next = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed) + 1;
                let token = lsp::NumberOrString::String(format!("taskmark/indexing/{next}"));
                // This loop delivers the diagnostics too: an editor that never answers does
                // not get a progress bar, rather than no diagnostics ever again.
                match tokio::time::timeout(PROGRESS_TIMEOUT, client.create_work_done_progress(token.clone())).await {
                    Ok(Ok(())) => progress = Some(client.progress(token, title).with_percentage(0).begin().await),
                    Ok(Err(_)) => {}
                    Err(_) => tracing::warn!(
                        "the editor did not answer window/workDoneProgress/create within {PROGRESS_TIMEOUT:?}; indexing without a progress bar"
                    ),
                }
            }
            Outgoing::ProgressReport { done, total } => {
                if let Some(progress) = &progress {
                    let percent = (done * 100).checked_div(total).unwrap_or(100) as u32;
                    progress.report_with_message(format!("{done}/{total} files"), percent).await;
                }
            }
            Outgoing::ProgressEnd { message } => {
                if let Some(progress) = progress.take() {
                    progress.finish_with_message(message).await;
                }
            }
            Outgoing::Log { level, message } => client.log_message(level, message).await,
            Outgoing::Show { level, message } => client.show_message(level, message).await,
        }
    }
}

/// A command's answers from every folder of the window: the one answer when there is one
/// folder, else `{"folders": [...]}`.
fn per_folder(mut answers: Vec<Value>) -> Value {
    if answers.len() == 1 { answers.pop().unwrap_or_default() } else { json!({ "folders": answers }) }
}

/// The window's workspace folders (each gets a session), else its root, else the current folder.
fn workspace_roots(params: &lsp::InitializeParams) -> Vec<PathBuf> {
    let from_uri = |uri: &Uri| uri.to_file_path().map(|it| it.into_owned());
    let mut roots: Vec<PathBuf> = Vec::new();
    for folder in params.workspace_folders.iter().flatten() {
        if let Some(root) = from_uri(&folder.uri)
            && !roots.contains(&root)
        {
            roots.push(root);
        }
    }
    if roots.is_empty() {
        #[allow(deprecated)]
        let root = params
            .root_uri
            .as_ref()
            .and_then(from_uri)
            .or_else(|| params.root_path.as_ref().map(PathBuf::from))
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("."));
        roots.push(root);
    }
    roots
}

fn capabilities(client: &ClientProfile, settings: &Settings) -> lsp::ServerCapabilities {
    let pull = settings.diagnostics == DiagnosticMode::Pull;
    lsp::ServerCapabilities {
        position_encoding: Some(client.encoding_kind()),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(lsp::TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
            will_save: None,
            will_save_wait_until: None,
            // A save changes the files as saved, which every other session on the workspace
            // forks: told at once, not when a watcher gets to it.
            save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
        })),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec!["[".into(), ":".into(), ",".into()]),
            ..Default::default()
        }),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        workspace_symbol_provider: Some(lsp::OneOf::Left(true)),
        // Every folder of a multi-root window is served, and folders added later too.
        workspace: Some(lsp::WorkspaceServerCapabilities {
            workspace_folders: Some(lsp::WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(lsp::OneOf::Left(true)),
            }),
            file_operations: None,
        }),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Options(lsp::CodeActionOptions {
            code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX, lsp::CodeActionKind::REFACTOR_REWRITE]),
            resolve_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        code_lens_provider: Some(lsp::CodeLensOptions { resolve_provider: Some(false) }),
        inlay_hint_provider: Some(lsp::OneOf::Left(true)),
        document_link_provider: Some(lsp::DocumentLinkOptions {
            resolve_provider: Some(false),
            work_done_progress_options: Default::default(),
        }),
        execute_command_provider: Some(lsp::ExecuteCommandOptions {
            commands: commands::ALL.iter().map(|it| it.to_string()).collect(),
            work_done_progress_options: Default::default(),
        }),
        diagnostic_provider: pull.then(|| {
            lsp::DiagnosticServerCapabilities::Options(lsp::DiagnosticOptions {
                identifier: Some("taskmark".into()),
                inter_file_dependencies: true,
                workspace_diagnostics: true,
                work_done_progress_options: Default::default(),
            })
        }),
        ..Default::default()
    }
}

/// Where the rules' pages of the user guide are unless the editor says otherwise (`docsUrl`):
/// the URL the build was given (`TASKMARK_DOCS_URL`, which the release workflow sets to the
/// published guide), else the guide's sources in the checkout this binary runs from
/// (`target/<profile>/taskmark` of a clone). Found at run time from the executable, never from
/// a path compiled in: a shipped binary holds no path of the machine that built it.
fn default_docs_url() -> Option<String> {
    docs_url(option_env!("TASKMARK_DOCS_URL"), std::env::current_exe().ok().as_deref())
}

fn docs_url(given: Option<&str>, executable: Option<&std::path::Path>) -> Option<String> {
    if let Some(url) = given.map(str::trim).filter(|it| !it.is_empty()) {
        return Some(url.to_string());
    }
    // target/<profile>/taskmark, or target/<triple>/<profile>/taskmark: at most four folders up.
    let rules =
        executable?.ancestors().skip(1).take(4).map(|it| it.join("docs/guide/src/rules")).find(|it| it.is_dir())?;
    let folder = Uri::from_file_path(std::fs::canonicalize(rules).ok()?)?;
    Some(format!("{}/{{code}}.md", folder.as_str().trim_end_matches('/')))
}

impl LanguageServer for Server {
    async fn initialize(&self, params: lsp::InitializeParams) -> Result<lsp::InitializeResult> {
        let client = ClientProfile::new(&params);
        let roots = workspace_roots(&params);
        let mut settings = Settings { docs_url: default_docs_url(), ..Settings::default() };
        let problems = params.initialization_options.as_ref().map(|it| settings.merge(it)).unwrap_or_default();
        for problem in &problems {
            tracing::warn!("initializationOptions: {problem}");
        }
        let shown: Vec<String> = roots.iter().map(|it| it.display().to_string()).collect();
        tracing::info!(
            "initializing for {} at {} ({:?} positions, {:?} diagnostics)",
            client.name,
            shown.join(", "),
            client.encoding,
            settings.diagnostics
        );
        let capabilities = capabilities(&client, &settings);
        let sessions: Vec<Arc<Session>> =
            roots.into_iter().map(|root| self.new_session(root, &client, settings.clone())).collect();
        // A second `initialize` is refused by the framework before it gets here.
        *self.sessions.write().unwrap_or_else(PoisonError::into_inner) = sessions;
        Ok(lsp::InitializeResult {
            capabilities,
            server_info: Some(lsp::ServerInfo {
                name: "taskmark".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: lsp::InitializedParams) {
        for session in self.sessions() {
            self.start(&session).await;
        }
        if let Ok(session) = self.session() {
            self.watch_files(&session).await;
        }
    }

    async fn did_change_workspace_folders(&self, params: lsp::DidChangeWorkspaceFoldersParams) {
        let Ok(first) = self.session() else { return };
        let settings = first.shared.read().settings.clone();
        let removed: Vec<PathBuf> =
            params.event.removed.iter().filter_map(|it| it.uri.to_file_path().map(|it| it.into_owned())).collect();
        let (gone, added): (Vec<Arc<Session>>, Vec<Arc<Session>>) = {
            let mut sessions = self.sessions.write().unwrap_or_else(PoisonError::into_inner);
            // A dropped session stops its analysis thread and leaves the broadcast list.
            let (gone, kept): (Vec<_>, Vec<_>) = sessions.drain(..).partition(|it| removed.contains(&it.root));
            *sessions = kept;
            let mut added = Vec::new();
            for folder in &params.event.added {
                let Some(root) = folder.uri.to_file_path().map(|it| it.into_owned()) else { continue };
                if sessions.iter().any(|it| it.root == root) {
                    continue;
                }
                let session = self.new_session(root, &first.client, settings.clone());
                sessions.push(session.clone());
                added.push(session);
            }
            (gone, added)
        };
        for session in gone {
            tracing::info!("workspace folder removed: {}", session.root.display());
            // Its diagnostics leave the editor with it.
            let uris: Vec<Uri> = {
                let world = session.shared.read();
                let mut paths: Vec<String> =
                    world.diagnostics_by_file().into_keys().map(|file| world.index.path(file).to_string()).collect();
                paths.extend(world.skipped.keys().cloned());
                paths.push(config::FILE_NAME.to_string());
                paths.iter().filter_map(|path| world.uri(path)).collect()
            };
            for uri in uris {
                self.client.publish_diagnostics(uri, Vec::new(), None).await;
            }
        }
        for session in added {
            tracing::info!("workspace folder added: {}", session.root.display());
            self.start(&session).await;
        }
    }

    async fn shutdown(&self) -> Result<()> {
        for session in self.sessions() {
            let _ = session.jobs.send(Job::Stop);
        }
        Ok(())
    }

    async fn did_open(&self, params: lsp::DidOpenTextDocumentParams) {
        let Ok(session) = self.session_for(&params.text_document.uri) else { return };
        let document = params.text_document;
        session.shared.documents().open(document.uri.as_str(), document.version, document.text);
        self.submit(document.uri);
    }

    async fn did_change(&self, params: lsp::DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let Ok(session) = self.session_for(&uri) else { return };
        let changes = params
            .content_changes
            .into_iter()
            .map(|it| Change {
                range: it.range.map(|range| {
                    (
                        Position { line: range.start.line, character: range.start.character },
                        Position { line: range.end.line, character: range.end.character },
                    )
                }),
                text: it.text,
            })
            .collect();
        let result = session.shared.documents().change(
            uri.as_str(),
            params.text_document.version,
            changes,
            session.client.encoding,
        );
        match result {
            Ok(()) => self.submit(uri),
            Err(message) => tracing::warn!("{message}"),
        }
    }

    async fn did_save(&self, params: lsp::DidSaveTextDocumentParams) {
        let Ok(session) = self.session_for(&params.text_document.uri) else { return };
        if let Some(path) = crate::world::relative_path(&session.root, &params.text_document.uri) {
            let _ = session.jobs.send(Job::Disk { path, report: None });
        }
    }

    async fn did_close(&self, params: lsp::DidCloseTextDocumentParams) {
        let Ok(session) = self.session_for(&params.text_document.uri) else { return };
        session.shared.documents().close(params.text_document.uri.as_str());
        self.submit(params.text_document.uri);
    }

    async fn did_change_watched_files(&self, params: lsp::DidChangeWatchedFilesParams) {
        for change in params.changes {
            let Ok(session) = self.session_for(&change.uri) else { return };
            if let Some(path) = crate::world::relative_path(&session.root, &change.uri) {
                let _ = session.jobs.send(Job::Disk { path, report: None });
            }
        }
    }

    async fn did_change_configuration(&self, params: lsp::DidChangeConfigurationParams) {
        let Ok(first) = self.session() else { return };
        let mut settings = first.shared.read().settings.clone();
        let problems = settings.merge(&params.settings);
        for problem in problems {
            self.log(MessageType::WARNING, format!("taskmark settings: {problem}")).await;
        }
        for session in self.sessions() {
            let _ = session.jobs.send(Job::Settings(settings.clone()));
        }
    }

    async fn hover(&self, params: lsp::HoverParams) -> Result<Option<lsp::Hover>> {
        self.query_at(&params.text_document_position_params.text_document.uri, "hover", |world, client| {
            Ok(handlers::hover(world, client, &params))
        })
        .await
    }

    async fn completion(&self, params: lsp::CompletionParams) -> Result<Option<lsp::CompletionResponse>> {
        self.query_at(&params.text_document_position.text_document.uri, "completion", |world, client| {
            Ok(handlers::completion(world, client, &params))
        })
        .await
    }

    async fn goto_definition(&self, params: lsp::GotoDefinitionParams) -> Result<Option<lsp::GotoDefinitionResponse>> {
        self.query_at(&params.text_document_position_params.text_document.uri, "definition", |world, client| {
            Ok(handlers::definition(world, client, &params))
        })
        .await
    }

    async fn references(&self, params: lsp::ReferenceParams) -> Result<Option<Vec<lsp::Location>>> {
        self.query_at(&params.text_document_position.text_document.uri, "references", |world, client| {
            Ok(handlers::references(world, client, &params))
        })
        .await
    }

    async fn document_symbol(&self, params: lsp::DocumentSymbolParams) -> Result<Option<lsp::DocumentSymbolResponse>> {
        self.query_at(&params.text_document.uri, "documentSymbol", |world, client| {
            Ok(handlers::document_symbols(world, client, &params))
        })
        .await
    }

    async fn symbol(&self, params: lsp::WorkspaceSymbolParams) -> Result<Option<lsp::WorkspaceSymbolResponse>> {
        let lists = self
            .query_all("workspace/symbol", |world, client| {
                Ok(handlers::workspace_symbols(world, client, &params.query))
            })
            .await?;
        Ok(Some(lsp::WorkspaceSymbolResponse::Flat(lists.into_iter().flatten().collect())))
    }

    async fn document_link(&self, params: lsp::DocumentLinkParams) -> Result<Option<Vec<lsp::DocumentLink>>> {
        self.query_at(&params.text_document.uri, "documentLink", |world, client| {
            Ok(handlers::document_links(world, client, &params.text_document.uri))
        })
        .await
    }

    async fn code_lens(&self, params: lsp::CodeLensParams) -> Result<Option<Vec<lsp::CodeLens>>> {
        self.query_at(&params.text_document.uri, "codeLens", |world, client| {
            Ok(handlers::code_lenses(world, client, &params.text_document.uri))
        })
        .await
    }

    async fn inlay_hint(&self, params: lsp::InlayHintParams) -> Result<Option<Vec<lsp::InlayHint>>> {
        self.query_at(&params.text_document.uri, "inlayHint", |world, client| {
            Ok(handlers::inlay_hints(world, client, &params))
        })
        .await
    }

    async fn code_action(&self, params: lsp::CodeActionParams) -> Result<Option<lsp::CodeActionResponse>> {
        let actions = self
            .query_at(&params.text_document.uri, "codeAction", |world, client| {
                Ok(handlers::code_actions(world, client, &params))
            })
            .await?;
        let Some(actions) = actions else { return Ok(None) };
        let session = self.session()?;
        let mut out = Vec::with_capacity(actions.len());
        for action in actions {
            // Clients that cannot resolve get the edit now. An action that cannot be planned
            // (a status that asks for a reason) is shown disabled with the reason, or left out:
            // it must not take the line's other actions down with it.
            let action = if session.client.resolve_code_action_edit {
                action
            } else {
                match self.code_action_resolve(action.clone()).await {
                    Ok(resolved) => resolved,
                    Err(error) if session.client.disabled_code_actions => lsp::CodeAction {
                        disabled: Some(lsp::CodeActionDisabled { reason: error.message.to_string() }),
                        data: None,
                        ..action
                    },
                    Err(error) => {
                        tracing::debug!(title = action.title, reason = %error.message, "code action left out");
                        continue;
                    }
                }
            };
            out.push(lsp::CodeActionOrCommand::CodeAction(action));
        }
        Ok(Some(out))
    }

    async fn code_action_resolve(&self, mut action: lsp::CodeAction) -> Result<lsp::CodeAction> {
        let data = action.data.clone().ok_or_else(|| invalid_params("this code action carries no data to resolve"))?;
        let (uri, version, target) = handlers::parse_action_data(&data)?;
        let session = self.session_for(&uri)?;
        let open_version = session.shared.documents().get(uri.as_str()).map(|it| it.version);
        if open_version.is_some() && open_version != version {
            return Err(content_modified(format!(
                "{} changed since this action was offered (version {} now, {} then); ask for code actions again",
                uri.as_str(),
                open_version.map_or("none".into(), |it| it.to_string()),
                version.map_or("none".into(), |it| it.to_string())
            )));
        }
        let forced = matches!(target, crate::engine::ide::ActionTarget::SetStatus { force: true, .. });
        let client = &session.client;
        let planned = write_path::plan_against_disk(&self.desk(&session), "codeAction/resolve", |world| {
            let file = world.file(&uri).ok_or_else(|| invalid_params(format!("{} is not indexed", uri.as_str())))?;
            let path = world.index.path(file);
            if world.versions.get(path).copied() != version {
                return Err(content_modified(format!("{path} changed since this action was offered; ask again")).into());
            }
            let diagnostics = world.store.file(file);
            let options = crate::engine::edit::StatusChangeOptions::new(crate::workspace::now());
            let change = crate::engine::ide::plan_action(&world.index, &diagnostics, file, &target, &options)
                .map_err(|it| commands::refusal(&it))?;
            // A code action's edit is the editor's to apply, all of it.
            Ok(commands::prepare(
                world,
                client,
                &change,
                forced,
                crate::settings::ClosedFiles::Editor,
                &Default::default(),
            )?)
        })
        .await?;
        action.edit = Some(planned.edit);
        Ok(action)
    }

    async fn execute_command(&self, params: lsp::ExecuteCommandParams) -> Result<Option<Value>> {
        let arguments = params.arguments;
        // A command is about the workspace: it waits for the workspace to be read.
        for session in self.sessions() {
            if !session.shared.indexed(INDEXING_WAIT).await {
                return Err(content_modified(format!(
                    "{} is still being indexed after {} s; try again when it is",
                    session.shared.read().root.display(),
                    INDEXING_WAIT.as_secs()
                )));
            }
        }
        let result = match params.command.as_str() {
            commands::SET_STATUS => self.set_status(commands::parse_set_status(&arguments)?).await?,
            commands::PICK_STATUS => self.pick_status(commands::task_of(&arguments, commands::PICK_STATUS)?).await?,
            commands::TASK_INFO => {
                self.query_task(&arguments, commands::TASK_INFO, |world, arguments| {
                    let key = commands::resolve_task(world, &commands::task_of(arguments, commands::TASK_INFO)?)?;
                    commands::answer(commands::task_info(world, &key), commands::TASK_INFO)
                })
                .await?
            }
            commands::CLAIM_TASK => self.query_task(&arguments, commands::CLAIM_TASK, commands::claim_task).await?,
            commands::RELEASE_TASK => {
                self.query_task(&arguments, commands::RELEASE_TASK, commands::release_task).await?
            }
            commands::LIST_TASKS => {
                let lists = self
                    .query_all(commands::LIST_TASKS, |world, client| lifecycle::list_tasks(world, client, &arguments))
                    .await?;
                Value::Array(lists.into_iter().flat_map(|it| it.as_array().cloned().unwrap_or_default()).collect())
            }
            commands::NEXT_TASKS => per_folder(
                self.query_all(commands::NEXT_TASKS, |world, _| commands::next_tasks(world, &arguments)).await?,
            ),
            commands::BOARD => {
                let snapshots =
                    self.query_all(commands::BOARD, |world, _| commands::board_snapshot(world, &arguments)).await?;
                // Computed off the world's lock and off the runtime's threads.
                let boards = tokio::task::spawn_blocking(move || {
                    snapshots.iter().map(commands::board).collect::<Result<Vec<Value>>>()
                })
                .await
                .map_err(|error| crate::errors::internal_error(format!("the board failed: {error}")))??;
                per_folder(boards)
            }
            commands::OPEN_BOARD => {
                let root = self.session()?.root.clone();
                let boards = self.hub.boards().ok_or_else(|| {
                    crate::errors::invalid_params(
                        "the board is served by the taskmark daemon; this server runs on its own (`taskmark board` starts the daemon)",
                    )
                })?;
                let url = boards
                    .open(&root)
                    .map_err(|reason| crate::errors::internal_error(format!("no board: {reason}")))?;
                commands::answer(crate::ext::OpenBoardAnswer { url }, commands::OPEN_BOARD)?
            }
            commands::DIAGNOSTICS => per_folder(
                self.query_all(commands::DIAGNOSTICS, |world, _| commands::diagnostics(world, &arguments)).await?,
            ),
            commands::TRACKERS => {
                let lists = self.query_all(commands::TRACKERS, |world, _| Ok(lifecycle::trackers(world))).await?;
                commands::answer(lists.into_iter().flatten().collect::<Vec<_>>(), commands::TRACKERS)?
            }
            commands::EDIT_TASK => {
                let args = lifecycle::EditTaskArgs::parse(&arguments)?;
                let task = &args.request.task;
                let session = self.session_for_task(task).await?;
                let label = format!("edit {task}");
                self.lifecycle(&session, &label, args.dry_run, task, |world, client, open_elsewhere| {
                    args.plan(world, client, open_elsewhere)
                })
                .await?
            }
            commands::ARCHIVE_TASKS => {
                let args = lifecycle::ArchiveArgs::parse(&arguments)?;
                let first = args.request.tasks.first().cloned().unwrap_or_default();
                let now = crate::workspace::now();
                // `done` with no task and no tracker: every folder of the window archives its own.
                let sessions = match &args.request.tracker {
                    None if first.is_empty() => self.sessions(),
                    _ => vec![self.session_for_task(&first).await?],
                };
                let mut archived = Vec::new();
                let mut refused = Vec::new();
                for session in sessions {
                    let folder = session.shared.read().root.display().to_string();
                    let result = self
                        .lifecycle(&session, "archive", args.dry_run, &first, |world, client, open_elsewhere| {
                            args.plan(world, client, now.clone(), open_elsewhere)
                        })
                        .await;
                    match result {
                        Ok(result) => archived.push(result),
                        Err(error) => refused.push((folder, error)),
                    }
                }
                if archived.is_empty() && !refused.is_empty() {
                    return Err(refused.swap_remove(0).1);
                }
                // A folder with nothing finished says so next to the others' results.
                let refused: Vec<String> =
                    refused.iter().map(|(folder, error)| format!("{folder}: {}", error.message)).collect();
                commands::merge_results(archived, &refused)
            }
            commands::NEW_TASK => {
                self.new_task(lifecycle::NewTaskArgs::parse(&arguments, crate::workspace::now())?).await?
            }
            commands::FIX => {
                let (codes, dry_run) = commands::fix_params(&arguments)?;
                let mut results = Vec::new();
                for session in self.sessions() {
                    results.push(if dry_run {
                        self.fix_dry_run(&session, codes.clone()).await?
                    } else {
                        self.fix(&session, codes.clone()).await?
                    });
                }
                commands::merge_results(results, &[])
            }
            commands::TASK_AT => {
                let uri = commands::task_at_uri(&arguments)?;
                let found = self
                    .query_at(&uri, commands::TASK_AT, |world, client| commands::task_at(world, client, &arguments))
                    .await?;
                commands::answer(found, commands::TASK_AT)?
            }
            commands::REINDEX => {
                for session in self.sessions() {
                    let _ = session.jobs.send(Job::Reindex);
                }
                Value::Null
            }
            other => {
                return Err(invalid_params(format!(
                    "unknown command `{other}`; taskmark's are {}",
                    commands::ALL.join(", ")
                )));
            }
        };
        Ok(Some(result))
    }

    async fn diagnostic(&self, params: lsp::DocumentDiagnosticParams) -> Result<lsp::DocumentDiagnosticReportResult> {
        self.query_at(&params.text_document.uri, "textDocument/diagnostic", |world, client| {
            Ok(handlers::document_diagnostic(world, client, &params))
        })
        .await
    }

    async fn workspace_diagnostic(
        &self,
        params: lsp::WorkspaceDiagnosticParams,
    ) -> Result<lsp::WorkspaceDiagnosticReportResult> {
        let reports = self
            .query_all("workspace/diagnostic", |world, client| {
                Ok(handlers::workspace_diagnostic(world, client, &params))
            })
            .await?;
        let mut items = Vec::new();
        for report in reports {
            match report {
                lsp::WorkspaceDiagnosticReportResult::Report(report) => items.extend(report.items),
                lsp::WorkspaceDiagnosticReportResult::Partial(partial) => items.extend(partial.items),
            }
        }
        Ok(lsp::WorkspaceDiagnosticReportResult::Report(lsp::WorkspaceDiagnosticReport { items }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_given_at_build_time_wins_over_the_guide_of_the_checkout() {
        let checkout = tempfile::tempdir().expect("a folder");
        std::fs::create_dir_all(checkout.path().join("docs/guide/src/rules")).expect("the guide's rules");
        let executable = checkout.path().join("target/debug/taskmark");
        let given = "https://example.github.io/taskmark/";
        assert_eq!(docs_url(Some(given), Some(&executable)).as_deref(), Some(given));
        let local = docs_url(None, Some(&executable)).expect("the guide of this checkout");
        assert!(local.starts_with("file://") && local.ends_with("/docs/guide/src/rules/{code}.md"), "{local}");
        let elsewhere = tempfile::tempdir().expect("a folder");
        assert_eq!(docs_url(None, Some(&elsewhere.path().join("bin/taskmark"))), None);
        assert_eq!(docs_url(None, None), None);
    }

    #[tokio::test]
    async fn a_panicking_handler_becomes_an_internal_error_and_the_server_goes_on() {
        let (service, _socket) =
            tower_lsp_server::LspService::new(|client| Server::new(client, Hub::new(crate::ServingMode::Standalone)));
        let server = service.inner();
        let root = std::env::temp_dir();
        let folder = lsp::WorkspaceFolder { uri: Uri::from_file_path(&root).expect("a file URI"), name: "tmp".into() };
        let params = lsp::InitializeParams { workspace_folders: Some(vec![folder]), ..Default::default() };
        server.initialize(params).await.expect("initialize");
        let session = server.session().expect("a session");
        let failed = server
            .query_in(&session, "test", |_, _| -> Result<()> { panic!("boom") })
            .await
            .expect_err("an error answer");
        assert_eq!(failed.code, jsonrpc::ErrorCode::InternalError);
        assert!(failed.message.contains("internal error in test: boom"), "{}", failed.message);
        let answered =
            server.query_in(&session, "test", |world, _| Ok(world.root.clone())).await.expect("still answering");
        assert_eq!(answered, root);
    }
}

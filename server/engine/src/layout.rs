//! Which tracker a file belongs to and what role it plays there, decided from its path.
//!
//! The families of `formats.md` are recognisable by layout: `specs/TODO.md` beside
//! `specs/state.json` and `specs/NNN_slug/plans/`, minsky's `process/tasks.md`, Backlog.md's
//! `backlog/tasks/`, compozy's `_tasks.md`, spec-kit's `specs/NNN-slug/tasks.md`, PIDEA's
//! `slug/slug-index.md`. A file that fits none is prose: indexed for nothing, never diagnosed.

/// The tracker families taskmark understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    SpecFolder,
    Minsky,
    Checklist,
    SpecKit,
    Backlog,
    Compozy,
    Pidea,
    TaskMaster,
    OpenSpec,
    TodoFolder,
    Conductor,
    Gsd,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::SpecFolder => "spec-folder",
            Family::Minsky => "minsky",
            Family::Checklist => "checklist",
            Family::SpecKit => "spec-kit",
            Family::Backlog => "backlog",
            Family::Compozy => "compozy",
            Family::Pidea => "pidea",
            Family::TaskMaster => "taskmaster",
            Family::OpenSpec => "openspec",
            Family::TodoFolder => "todo-folders",
            Family::Conductor => "conductor",
            Family::Gsd => "gsd",
        }
    }

    /// The built-in profile a tracker of this family uses unless configured otherwise.
    pub fn default_profile(self) -> &'static str {
        match self {
            Family::SpecFolder => "spec-folder",
            Family::Minsky => "minsky",
            Family::Checklist => "github",
            Family::SpecKit => "spec-kit",
            Family::Backlog => "backlog",
            Family::Compozy => "compozy",
            Family::Pidea => "pidea",
            Family::TaskMaster => "taskmaster",
            Family::OpenSpec => "openspec",
            Family::TodoFolder => "todo-folders",
            Family::Conductor => "conductor",
            Family::Gsd => "gsd",
        }
    }
}

/// The built-in profile a tracker at `root` uses unless configured otherwise: its family's,
/// except where a tool writes its family's boxes with its own meanings (Kiro's specs, where
/// `[-]` is a task under way, not a cancelled one).
pub fn default_profile_at(family: Family, root: &str) -> &'static str {
    let kiro = root.split('/').collect::<Vec<_>>().windows(2).any(|pair| pair == [".kiro", "specs"]);
    if family == Family::Checklist && kiro { "kiro" } else { family.default_profile() }
}

/// What a file is to its tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// `TODO.md`: spec-folder task sections, or a plain checklist; decided by its content.
    Todo,
    StateJson,
    /// `specs/archive/state.json`: tasks archived on purpose.
    ArchiveStateJson,
    /// `specs/NNN_slug/state.json`.
    TaskStateJson {
        archived: bool,
    },
    Plan {
        archived: bool,
    },
    MinskyIndex,
    MinskySpec,
    CompozyIndex,
    CompozyTask,
    /// compozy's `.compozy/tasks/<feature>/_meta.md`: the feature's task counts (`- Total: 14`,
    /// `- Completed: 14`, `- Pending: 0`), derived from its task files.
    CompozyMeta,
    SpecKitTasks,
    BacklogTask,
    BacklogConfig,
    PideaIndex,
    PideaPhase,
    /// Task Master's `.taskmaster/tasks/tasks.json`: every task and subtask, by tag.
    TaskMasterTasks,
    /// Task Master's generated `.taskmaster/tasks/task_NNN.txt` (`task_NNN_<tag>.txt`), or
    /// `task_NNN.md` as it writes them since eyaltoledano/claude-task-master#1446: one
    /// task's status (`# Status:`, `**Status:**`) and its subtasks', a second place of each.
    TaskMasterText,
    /// Task Master's `.taskmaster/state.json`: its `currentTag` decides whose the untagged
    /// task files are when tasks.json has several tags and no `master`. Of no tracker:
    /// it holds no status, and a folder with only it has no tasks.
    TaskMasterState,
    /// taskmaster-sync's `.taskmaster/sync-state-<tag>.json`: what it last pushed of each task
    /// to a GitHub project (`task_metadata.<id>.status`), a record of the last sync.
    TaskMasterSync,
    /// An OpenSpec change's `tasks.md`: `openspec/changes/<change>/tasks.md`, or archived,
    /// `openspec/changes/archive/YYYY-MM-DD-<change>/tasks.md`.
    OpenSpecTasks {
        archived: bool,
    },
    /// A task of a todo folder: `todos/{work,done}/<timestamp>-<slug>.md` (or
    /// `<slug>/task.md` there), or `docs/todos/<slug>.md` (`DONE-<slug>.md` once closed).
    TodoFolderTask,
    /// Conductor's `conductor/tracks.md`: a box per track (a list line, a `## [ ] Track:`
    /// heading or a table row) linking the track's folder.
    ConductorTracks,
    /// A track's `metadata.json` (`conductor/tracks/<id>/`, or `conductor/archive/<id>/`).
    ConductorMetadata {
        archived: bool,
    },
    /// A track's `plan.md`: phases of boxes, the track's work.
    ConductorPlan {
        archived: bool,
    },
    /// A track's `index.md`, with its `**Status:**` line where it has one.
    ConductorIndex {
        archived: bool,
    },
    /// GSD's `.planning/ROADMAP.md`: phase boxes, each phase's plan boxes, the progress table.
    GsdRoadmap,
    /// GSD's `.planning/phases/<NN-slug>/<NN-MM>-SUMMARY.md`: the plan was executed.
    GsdSummary,
    /// GSD's `.planning/STATE.md`: the current phase and how far it is, and (in older
    /// projects) a table of the phases.
    GsdState,
    /// Reports, summaries, READMEs and everything else: family 5 statuses at most, never
    /// diagnosed.
    Prose,
}

impl Role {
    /// Roles whose files may get diagnostics.
    pub fn is_tracker(self) -> bool {
        !matches!(self, Role::Prose | Role::BacklogConfig | Role::TaskMasterState)
    }

    /// Files of an archive: what they say of a task is its history.
    pub fn is_archive(self) -> bool {
        matches!(
            self,
            Role::ArchiveStateJson
                | Role::TaskStateJson { archived: true }
                | Role::Plan { archived: true }
                | Role::ConductorMetadata { archived: true }
                | Role::ConductorPlan { archived: true }
                | Role::ConductorIndex { archived: true }
        )
    }
}

/// A file's place in the workspace: its role and the root of its tracker. The root doubles as
/// the scope of task ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Classification {
    pub role: Role,
    pub family: Option<Family>,
    pub root: String,
}

/// Classifies a workspace-relative `/`-separated path. `checklists` are extra globs the
/// configuration declares as checklists.
pub fn classify(path: &str) -> Classification {
    let parts: Vec<&str> = path.split('/').collect();
    let name = parts.last().copied().unwrap_or("");
    let dir = |up: usize| -> String { parts[..parts.len().saturating_sub(up)].join("/") };
    let lower = name.to_ascii_lowercase();
    let is_markdown = lower.ends_with(".md") || lower.ends_with(".markdown");
    let prose = Classification { role: Role::Prose, family: None, root: dir(1) };
    let n = parts.len();
    let at = |from_end: usize| -> &str { if from_end <= n { parts[n - from_end] } else { "" } };

    // Backlog.md: backlog/config.yml and backlog/{tasks,completed,drafts}/*.md.
    if name == "config.yml" && at(2) == "backlog" {
        return Classification { role: Role::BacklogConfig, family: Some(Family::Backlog), root: dir(1) };
    }
    if is_markdown && at(3) == "backlog" && matches!(at(2), "tasks" | "completed" | "drafts") {
        return Classification { role: Role::BacklogTask, family: Some(Family::Backlog), root: dir(2) };
    }
    if parts.contains(&"backlog") && parts.contains(&"archive") {
        return prose;
    }

    // Task Master: <x>/.taskmaster/tasks/tasks.json and task_NNN[_tag].txt (or .md) beside it; a GitHub
    // sync's record beside the tasks folder.
    if at(2) == ".taskmaster" && name == "state.json" {
        return Classification { role: Role::TaskMasterState, family: None, root: dir(1) };
    }
    if at(2) == ".taskmaster" && sync_state_tag(name).is_some() {
        return Classification { role: Role::TaskMasterSync, family: Some(Family::TaskMaster), root: dir(1) };
    }
    if at(3) == ".taskmaster" && at(2) == "tasks" {
        if name == "tasks.json" {
            return Classification { role: Role::TaskMasterTasks, family: Some(Family::TaskMaster), root: dir(2) };
        }
        if taskmaster_task_file(name).is_some() {
            return Classification { role: Role::TaskMasterText, family: Some(Family::TaskMaster), root: dir(2) };
        }
    }

    // GSD: <x>/.planning/ROADMAP.md and <x>/.planning/phases/<phase>/<plan>-SUMMARY.md.
    if let Some(planning) = parts.iter().rposition(|it| *it == ".planning") {
        let root = parts[..=planning].join("/");
        let gsd = |role| Classification { role, family: Some(Family::Gsd), root: root.clone() };
        match &parts[planning + 1..] {
            ["ROADMAP.md"] => return gsd(Role::GsdRoadmap),
            ["STATE.md"] => return gsd(Role::GsdState),
            // GSD's debug sessions: a file per session in debug/, moved to debug/resolved/ when
            // resolved; read as a todo folder whose folder is a place of the status.
            ["debug", name] | ["debug", "resolved", name] if name.ends_with(".md") => {
                return Classification {
                    role: Role::TodoFolderTask,
                    family: Some(Family::TodoFolder),
                    root: format!("{root}/debug"),
                };
            }
            ["phases", _, file] if file.ends_with("-SUMMARY.md") && file.len() > "-SUMMARY.md".len() => {
                return gsd(Role::GsdSummary);
            }
            _ => {}
        }
    }

    // Conductor: <x>/conductor/tracks.md, and each track's files in
    // <x>/conductor/tracks/<id>/ (archived: <x>/conductor/archive/<id>/).
    if let Some(conductor) = parts.iter().rposition(|it| *it == "conductor") {
        let root = parts[..=conductor].join("/");
        let conductor_file = |role| Classification { role, family: Some(Family::Conductor), root: root.clone() };
        match &parts[conductor + 1..] {
            ["tracks.md"] => return conductor_file(Role::ConductorTracks),
            [folder @ ("tracks" | "archive"), _, file] => {
                let archived = *folder == "archive";
                match *file {
                    "metadata.json" => return conductor_file(Role::ConductorMetadata { archived }),
                    "plan.md" => return conductor_file(Role::ConductorPlan { archived }),
                    "index.md" => return conductor_file(Role::ConductorIndex { archived }),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    // The spec-folder workflow: <x>/specs/...
    if let Some(specs) = parts.iter().rposition(|it| *it == "specs") {
        let root = parts[..=specs].join("/");
        let inner = &parts[specs + 1..];
        let spec = |role| Classification { role, family: Some(Family::SpecFolder), root: root.clone() };
        match inner {
            ["TODO.md"] => return spec(Role::Todo),
            ["state.json"] => return spec(Role::StateJson),
            ["archive", "state.json"] => return spec(Role::ArchiveStateJson),
            [folder, "state.json"] if is_task_folder(folder) => {
                return spec(Role::TaskStateJson { archived: false });
            }
            ["archive", folder, "state.json"] if is_task_folder(folder) => {
                return spec(Role::TaskStateJson { archived: true });
            }
            [folder, "plans", file] if is_task_folder(folder) && is_markdown_name(file) => {
                return spec(Role::Plan { archived: false });
            }
            ["archive", folder, "plans", file] if is_task_folder(folder) && is_markdown_name(file) => {
                return spec(Role::Plan { archived: true });
            }
            // spec-kit: specs/001-slug/tasks.md.
            [folder, "tasks.md"] if is_kit_folder(folder) => {
                return Classification {
                    role: Role::SpecKitTasks,
                    family: Some(Family::SpecKit),
                    root: format!("{root}/{folder}"),
                };
            }
            _ => {}
        }
    }

    // minsky: process/tasks.md and process/tasks/NNN-slug.md.
    if at(2) == "process" && name == "tasks.md" {
        return Classification { role: Role::MinskyIndex, family: Some(Family::Minsky), root: dir(1) };
    }
    if at(3) == "process" && at(2) == "tasks" && is_markdown && leading_digits(name) > 0 {
        return Classification { role: Role::MinskySpec, family: Some(Family::Minsky), root: dir(2) };
    }

    // compozy: tasks/prd-x/_tasks.md and tasks/prd-x/N_task.md.
    if name == "_tasks.md" {
        return Classification { role: Role::CompozyIndex, family: Some(Family::Compozy), root: dir(1) };
    }
    if lower.ends_with("_task.md") && leading_digits(name) > 0 && name[leading_digits(name)..].starts_with("_task") {
        return Classification { role: Role::CompozyTask, family: Some(Family::Compozy), root: dir(1) };
    }
    // compozy's newer layout: .compozy/tasks/<feature>/task_01.md beside a _tasks.md table, and
    // _meta.md counting them (or under tasks/_archived/<stamp>-<feature>/). Only there: a
    // feature's own folders (`memory/`, `reviews-*/`) hold notes named like tasks.
    let compozy_feature =
        (at(3) == "tasks" && at(4) == ".compozy") || (at(3) == "_archived" && at(4) == "tasks" && at(5) == ".compozy");
    if compozy_feature && name == "_meta.md" {
        return Classification { role: Role::CompozyMeta, family: Some(Family::Compozy), root: dir(1) };
    }
    if compozy_feature
        && let Some(number) = name.strip_prefix("task_").and_then(|it| it.strip_suffix(".md"))
        && leading_digits(number) > 0
    {
        return Classification { role: Role::CompozyTask, family: Some(Family::Compozy), root: dir(1) };
    }

    // PIDEA: <status>/.../<slug>/<slug>-index.md and <slug>-phase-N.md.
    if is_markdown && n >= 2 {
        let folder = at(2);
        let stem = name.trim_end_matches(".md");
        let pidea_root = || {
            let status_dir = parts[..n - 1].iter().rposition(|it| pidea_status_folder(it).is_some());
            match status_dir {
                Some(index) => parts[..index].join("/"),
                None => dir(2),
            }
        };
        if !folder.is_empty() && stem == format!("{folder}-index") {
            return Classification { role: Role::PideaIndex, family: Some(Family::Pidea), root: pidea_root() };
        }
        if !folder.is_empty()
            && let Some(number) = stem.strip_prefix(&format!("{folder}-phase-"))
            && !number.is_empty()
            && number.chars().all(|c| c.is_ascii_digit())
        {
            return Classification { role: Role::PideaPhase, family: Some(Family::Pidea), root: pidea_root() };
        }
    }

    // OpenSpec: <x>/openspec/changes/<change>/tasks.md, archived under changes/archive/.
    if name == "tasks.md"
        && let Some(changes) = parts.windows(2).rposition(|it| it == ["openspec", "changes"])
    {
        let root = parts[..changes + 2].join("/");
        let openspec = |archived| Classification {
            role: Role::OpenSpecTasks { archived },
            family: Some(Family::OpenSpec),
            root: root.clone(),
        };
        match &parts[changes + 2..] {
            ["archive", _, "tasks.md"] => return openspec(true),
            [folder, "tasks.md"] if *folder != "archive" => return openspec(false),
            _ => {}
        }
    }

    // Todo folders: <x>/todos/<state>/<task>.md or <task>/task.md; <x>/todos/<task>.md.
    if is_markdown && let Some(todos) = parts.iter().rposition(|it| *it == "todos") {
        let todo = || Classification {
            role: Role::TodoFolderTask,
            family: Some(Family::TodoFolder),
            root: parts[..=todos].join("/"),
        };
        let companion = lower.ends_with("-analysis.md") || lower == "analysis.md";
        match &parts[todos + 1..] {
            [state, _] if todo_folder_status(state).is_some() && !companion => return todo(),
            [state, _, "task.md"] if todo_folder_status(state).is_some() => return todo(),
            [_] if !matches!(lower.as_str(), "readme.md" | "todos.md" | "todo.md" | "project-description.md") => {
                return todo();
            }
            _ => {}
        }
    }

    // Any other TODO.md or tasks.md: spec-folder sections or a checklist, unless it documents
    // the format rather than tracks work (a standard, a template, an example, an agent's
    // context: `.opencode/context/common/standards/tasks.md`).
    if matches!(lower.as_str(), "todo.md" | "todo.markdown" | "tasks.md") && !documents_a_format(&parts[..n - 1]) {
        return Classification { role: Role::Todo, family: Some(Family::Checklist), root: dir(1) };
    }
    prose
}

/// An OpenSpec change's name from its folder: an archived one's `2025-12-16-add-x` is `add-x`
/// (`openspec archive` puts the date first; some archives have none).
pub fn openspec_change(folder: &str) -> &str {
    let bytes = folder.as_bytes();
    let dated = bytes.len() > 11 && crate::text::starts_with_date(bytes) && bytes[10] == b'-';
    if dated { &folder[11..] } else { folder }
}

/// The tag of taskmaster-sync's record `sync-state-<tag>.json`.
pub fn sync_state_tag(name: &str) -> Option<&str> {
    name.strip_prefix("sync-state-").and_then(|it| it.strip_suffix(".json")).filter(|it| !it.is_empty())
}

/// A Task Master task file's task id and tag: `task_044.txt` (the `master` tag) or
/// `task_044_bugfix-tui.txt`, and the same names in `.md`, which `task-master generate` writes
/// since eyaltoledano/claude-task-master#1446.
pub fn taskmaster_task_file(name: &str) -> Option<(&str, &str)> {
    let stem = name.strip_prefix("task_")?;
    let stem = stem.strip_suffix(".txt").or_else(|| stem.strip_suffix(".md"))?;
    let digits = leading_digits(stem);
    if digits == 0 {
        return None;
    }
    match &stem[digits..] {
        "" => Some((&stem[..digits], "master")),
        rest => rest.strip_prefix('_').filter(|tag| !tag.is_empty()).map(|tag| (&stem[..digits], tag)),
    }
}

/// Whether a folder path (its segments) is where a project documents how it writes things
/// (standards, templates, examples, an agent's `context/` under its dot-folder) rather than
/// where it tracks work: a `tasks.md` there describes the format, and is no tracker.
fn documents_a_format(folders: &[&str]) -> bool {
    folders.iter().enumerate().any(|(at, folder)| {
        let folder = folder.to_ascii_lowercase();
        matches!(folder.as_str(), "standards" | "standard" | "templates" | "template" | "examples" | "example")
            || (folder == "context" && at > 0 && folders[at - 1].starts_with('.'))
    })
}

/// `NNN_slug`: the spec-folder task folder.
/// A tracker root as a person names it on the command line or in a tool call (`specs`,
/// `specs/`, `./specs`, and `.` or `./` for a tracker at the workspace root) as the index keeps
/// it (`specs`, and the empty string for the root).
pub fn tracker_root_named(name: &str) -> &str {
    let mut name = name.trim();
    while let Some(rest) = name.strip_prefix("./") {
        name = rest.trim_start_matches('/');
    }
    let name = name.trim_end_matches('/');
    if name == "." { "" } else { name }
}

pub fn is_task_folder(name: &str) -> bool {
    let digits = leading_digits(name);
    digits > 0 && name[digits..].starts_with('_')
}

/// `NNN-slug`: the spec-kit feature folder.
fn is_kit_folder(name: &str) -> bool {
    let digits = leading_digits(name);
    digits > 0 && name[digits..].starts_with('-')
}

fn is_markdown_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".md") || lower.ends_with(".markdown")
}

pub fn leading_digits(name: &str) -> usize {
    name.len() - name.trim_start_matches(|c: char| c.is_ascii_digit()).len()
}

/// The status a PIDEA roadmap folder stands for.
pub fn pidea_status_folder(name: &str) -> Option<&'static str> {
    Some(match name {
        "pending" => "Pending",
        "in-progress" => "In Progress",
        "completed" => "Completed",
        "blocked" => "Blocked",
        "cancelled" => "Cancelled",
        _ => return None,
    })
}

/// The `NNN_slug` folder a spec-folder path is in (the innermost one).
pub fn task_folder(path: &str) -> Option<&str> {
    let mut parts = path.split('/').rev();
    parts.next();
    parts.find(|it| is_task_folder(it))
}

/// The task id a spec-folder path names through its `NNN_slug` folder.
pub fn task_folder_id(path: &str) -> Option<String> {
    task_folder(path).map(|it| crate::markdown::numeric_id(&it[..leading_digits(it)]))
}

/// What a folder under `todos/` says of the todos in it, when it says anything: the
/// claude-todo workflow's `work/` and `done/`, GSD's `pending/` (and `resolved/` for its debug
/// sessions), and the status words people name them by (`docs/todos/in-progress/`,
/// `completed/`).
pub(crate) fn todo_folder_status(name: &str) -> Option<&'static str> {
    TODO_STATE_FOLDERS.iter().find(|(folder, _)| folder.eq_ignore_ascii_case(name)).map(|(_, said)| *said)
}

/// Each todo state folder and the todo-folder status it says.
const TODO_STATE_FOLDERS: [(&str, &str); 14] = [
    ("work", "in-progress"),
    ("in-progress", "in-progress"),
    ("inprogress", "in-progress"),
    ("doing", "in-progress"),
    ("wip", "in-progress"),
    ("pending", "open"),
    ("todo", "open"),
    ("open", "open"),
    ("backlog", "open"),
    ("blocked", "blocked"),
    ("done", "done"),
    ("completed", "done"),
    ("resolved", "done"),
    ("cancelled", "cancelled"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn role(path: &str) -> (Role, String) {
        let it = classify(path);
        (it.role, it.root)
    }

    #[test]
    fn spec_folder_layout() {
        assert_eq!(role("specs/TODO.md"), (Role::Todo, "specs".into()));
        assert_eq!(role("a/.opencode/specs/state.json"), (Role::StateJson, "a/.opencode/specs".into()));
        assert_eq!(role("specs/221_fix/plans/implementation-001.md"), (Role::Plan { archived: false }, "specs".into()));
        assert_eq!(
            role("x/specs/archive/221_fix/plans/implementation-001.md"),
            (Role::Plan { archived: true }, "x/specs".into())
        );
        assert_eq!(role("specs/221_fix/state.json"), (Role::TaskStateJson { archived: false }, "specs".into()));
        assert_eq!(role("specs/221_fix/reports/research-001.md").0, Role::Prose);
        assert_eq!(role("specs/maintenance/state.json").0, Role::Prose);
        assert_eq!(task_folder_id("specs/058_bundle/plans/06_x.md").as_deref(), Some("58"));
    }

    #[test]
    fn other_families() {
        assert_eq!(role("process/tasks.md"), (Role::MinskyIndex, "process".into()));
        // A document of the format is no tracker; a folder that only mentions one is.
        assert_eq!(role(".opencode/context/common/standards/tasks.md").0, Role::Prose);
        assert_eq!(role("docs/templates/TODO.md").0, Role::Prose);
        assert_eq!(
            role("openspec/changes/enforce-quality-standards/tasks.md"),
            (Role::OpenSpecTasks { archived: false }, "openspec/changes".into())
        );
        assert_eq!(
            role("app/openspec/changes/archive/2025-12-16-add-x/tasks.md"),
            (Role::OpenSpecTasks { archived: true }, "app/openspec/changes".into())
        );
        assert_eq!(role("conductor/tracks.md"), (Role::ConductorTracks, "conductor".into()));
        assert_eq!(role(".planning/ROADMAP.md"), (Role::GsdRoadmap, ".planning".into()));
        assert_eq!(role("app/.planning/STATE.md"), (Role::GsdState, "app/.planning".into()));
        assert_eq!(role(".planning/debug/login-fails.md"), (Role::TodoFolderTask, ".planning/debug".into()));
        assert_eq!(role(".planning/debug/resolved/login-fails.md"), (Role::TodoFolderTask, ".planning/debug".into()));
        assert_eq!(role("app/.planning/phases/13-fixes/13-01-SUMMARY.md"), (Role::GsdSummary, "app/.planning".into()));
        assert_eq!(role(".planning/phases/13-fixes/13-01-PLAN.md").0, Role::Prose);
        assert_eq!(role(".planning/milestones/v1.0-ROADMAP.md").0, Role::Prose);
        assert_eq!(
            role("app/conductor/tracks/login_20251223/metadata.json"),
            (Role::ConductorMetadata { archived: false }, "app/conductor".into())
        );
        assert_eq!(role("conductor/archive/x/plan.md").0, Role::ConductorPlan { archived: true });
        assert_eq!(role("conductor/tracks/x/index.md").0, Role::ConductorIndex { archived: false });
        assert_eq!(role("conductor/tracks/x/spec.md").0, Role::Prose);
        assert_eq!(role("conductor/workflow.md").0, Role::Prose);
        assert_eq!(role("openspec/changes/add-x/proposal.md").0, Role::Prose);
        assert_eq!(openspec_change("2025-12-16-add-x"), "add-x");
        assert_eq!(openspec_change("add-x"), "add-x");
        assert_eq!(openspec_change("2025-12-16"), "2025-12-16");
        let todo = |path: &str| role(path).0 == Role::TodoFolderTask;
        assert!(todo("todos/done/2025-07-17-11-43-41-fix-print.md"));
        assert!(todo("todos/work/2025-08-08-09-46-56-extract/task.md"));
        assert!(!todo("todos/done/2025-08-08-09-46-56-extract/analysis.md"));
        assert!(!todo("todos/done/2025-07-17-11-43-41-fix-print-analysis.md"));
        assert!(todo("docs/todos/DONE-weather-widget.md"));
        assert!(!todo("docs/todos/README.md"));
        assert!(!todo("todos/todos.md"));
        assert_eq!(role("docs/todos/x.md").1, "docs/todos");
        assert_eq!(role("src/context/TODO.md").0, Role::Todo);
        assert_eq!(role("process/tasks/049-x.md"), (Role::MinskySpec, "process".into()));
        assert_eq!(role("backlog/tasks/back-1 - A.md"), (Role::BacklogTask, "backlog".into()));
        assert_eq!(role("backlog/config.yml"), (Role::BacklogConfig, "backlog".into()));
        assert_eq!(role("app/.taskmaster/state.json"), (Role::TaskMasterState, "app/.taskmaster".into()));
        assert!(!Role::TaskMasterState.is_tracker());
        assert_eq!(role("app/.taskmaster/tasks/task_001.md"), (Role::TaskMasterText, "app/.taskmaster".into()));
        assert_eq!(taskmaster_task_file("task_001_bugfix-tui.md"), Some(("001", "bugfix-tui")));
        assert_eq!(taskmaster_task_file("task_044.txt"), Some(("044", "master")));
        assert_eq!(taskmaster_task_file("task_044.markdown"), None);
        assert_eq!(role("app/.taskmaster/docs/task_001.md").0, Role::Prose);
        assert_eq!(role("backlog/archive/drafts/draft-1.md").0, Role::Prose);
        assert_eq!(role("tasks/prd-k/_tasks.md"), (Role::CompozyIndex, "tasks/prd-k".into()));
        assert_eq!(role("tasks/prd-k/10_task.md"), (Role::CompozyTask, "tasks/prd-k".into()));
        assert_eq!(role(".compozy/tasks/chat/task_05a.md"), (Role::CompozyTask, ".compozy/tasks/chat".into()));
        assert_eq!(role(".compozy/tasks/chat/_tasks.md"), (Role::CompozyIndex, ".compozy/tasks/chat".into()));
        assert_eq!(role(".compozy/tasks/chat/_meta.md"), (Role::CompozyMeta, ".compozy/tasks/chat".into()));
        let archived = ".compozy/tasks/_archived/20260422-204811-chat";
        assert_eq!(role(&format!("{archived}/task_01.md")), (Role::CompozyTask, archived.into()));
        // A feature's agent notes are named like its tasks (compozy/kb's `memory/task_01.md`).
        assert_eq!(role(".compozy/tasks/chat/memory/task_01.md").0, Role::Prose);
        assert_eq!(role(".compozy/tasks/chat/memory/_meta.md").0, Role::Prose);
        assert_eq!(role("docs/task_01.md").0, Role::Prose);
        assert_eq!(role("tasks/docs/_task-template.md").0, Role::Prose);
        assert_eq!(role("specs/001-mvp/tasks.md"), (Role::SpecKitTasks, "specs/001-mvp".into()));
        assert_eq!(
            role("docs/roadmap/completed/2025-q3/auto/sync-step/sync-step-index.md"),
            (Role::PideaIndex, "docs/roadmap".into())
        );
        assert_eq!(role("docs/roadmap/pending/x/sync/sync-phase-2.md").0, Role::PideaPhase);
        assert_eq!(role("TODO.md"), (Role::Todo, "".into()));
        assert_eq!(role("docs/README.md").0, Role::Prose);
    }

    proptest::proptest! {
        /// The stale-counts rule finds a tracker's state.json by its path alone.
        #[test]
        fn a_state_json_is_always_its_roots_state_json(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "specs", "state.json", "archive", "221_fix", "plans", "x", ".opencode", "conductor",
                    "tracks", "001-kit", ".planning", "todos", "TODO.md", "backlog", "tasks",
                ]),
                1..7,
            )
        ) {
            let path = parts.join("/");
            let (role, root) = role(&path);
            if role == Role::StateJson {
                proptest::prop_assert_eq!(path, format!("{root}/state.json"));
            }
        }
    }
}

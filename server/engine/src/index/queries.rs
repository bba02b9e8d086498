//! What the rules, the planner and the editor questions ask of an index: files, places,
//! tasks, profiles, which place speaks for a task, reused ids, history files.

use super::*;

impl WorkspaceIndex {
    pub fn entries(&self) -> impl Iterator<Item = (FileId, &FileEntry)> {
        self.files.iter().enumerate().filter_map(|(index, it)| it.as_deref().map(|entry| (FileId(index as u32), entry)))
    }

    /// Records the files listed but not read (see `listed`); they are never entries.
    pub fn set_listed(&mut self, paths: Vec<String>) {
        self.listed = paths.into_iter().filter(|it| !self.by_path.contains_key(it)).collect();
    }

    /// The paths of the tracker at `root`: its indexed files, then the ones listed unread.
    pub fn tracker_paths<'a>(&'a self, root: &'a str) -> impl Iterator<Item = &'a str> {
        let indexed =
            self.entries().filter(move |(_, entry)| entry.class.root == root).map(|(_, entry)| entry.path.as_str());
        let listed = self.listed.iter().filter(move |path| layout::classify(path).root == root).map(String::as_str);
        indexed.chain(listed)
    }

    pub fn entry(&self, file: FileId) -> Option<&FileEntry> {
        self.files.get(file.0 as usize).and_then(Option::as_deref)
    }

    /// The configured vocabularies the index reads its trackers in.
    pub fn vocabularies(&self) -> &Vocabularies {
        &self.vocabularies
    }

    /// The indexed text of the file at `path`.
    pub fn text_at(&self, path: &str) -> Option<&Arc<str>> {
        self.entry(self.file_id(path)?).map(|it| &it.text)
    }

    /// The files named as a TODO.md (role [`Role::Todo`]), in id order.
    pub fn todo_files(&self) -> impl Iterator<Item = (FileId, &FileEntry)> {
        self.by_path.todo_files.iter().filter_map(|id| Some((*id, self.entry(*id)?)))
    }

    pub fn file_id(&self, path: &str) -> Option<FileId> {
        self.by_path.get(path).copied()
    }

    pub fn path(&self, file: FileId) -> &str {
        self.entry(file).map_or("", |it| it.path.as_str())
    }

    pub fn text(&self, file: FileId) -> &str {
        self.entry(file).map_or("", |it| &it.text)
    }

    pub fn role(&self, file: FileId) -> Option<Role> {
        self.entry(file).map(|it| it.class.role)
    }

    pub fn parsed(&self, file: FileId) -> &ParsedFile {
        static EMPTY: OnceLock<ParsedFile> = OnceLock::new();
        self.entry(file).map_or_else(|| EMPTY.get_or_init(ParsedFile::default), |it| &*it.parsed)
    }

    pub fn place(&self, place: PlaceRef) -> &Place {
        &self.parsed(place.file).places[place.index]
    }

    pub fn tasks(&self) -> &TaskTable {
        &self.tasks
    }

    /// The tasks of the tracker at `scope`, in id order: a range of the table, which orders by
    /// scope first, rather than a look at every task of the workspace. (`specs` ends before
    /// `specs/x` begins: every key of a scope sorts before the keys of a longer one.)
    pub fn tasks_in<'a>(&'a self, scope: &'a str) -> impl Iterator<Item = (&'a TaskKey, &'a Arc<TaskEntry>)> + 'a {
        self.tasks.range(TaskKey::new(scope, "")..).take_while(move |(key, _)| key.scope == scope)
    }

    /// Makes this view own what an edit of `path` changes (the file's entry, the list of files,
    /// the task table), copying what it shares with another view. A view starts as a copy of
    /// the saved state every session shares, and its first edit of a file copies them; for a
    /// big tracker that is its whole parse (30-50 ms for a 3.2 MB TODO.md of 5,000 tasks),
    /// which the language server takes when the document opens, not at the first keystroke.
    pub fn own_for_editing(&mut self, path: &str) {
        let Some(id) = self.file_id(path) else { return };
        if let Some(Some(entry)) = Arc::make_mut(&mut self.files).get_mut(id.0 as usize) {
            Arc::make_mut(entry);
        }
        self.tasks_mut();
    }

    /// The task table to change: copied first while another clone of the index shares it.
    pub(super) fn tasks_mut(&mut self) -> &mut TaskTable {
        Arc::make_mut(&mut self.tasks)
    }

    pub fn task(&self, task: &TaskKey) -> Option<&TaskEntry> {
        self.tasks.get(task).map(|it| &**it)
    }

    pub fn trackers(&self) -> &[Tracker] {
        &self.trackers
    }

    /// The vocabulary a file's places are written in.
    pub fn profile(&self, file: FileId) -> Option<&Profile> {
        let tracker = self.entry(file)?.tracker?;
        Some(&self.trackers[tracker].profile)
    }

    /// The vocabulary of the tracker that defines `task`.
    pub fn task_profile(&self, task: &TaskKey) -> Option<&Profile> {
        self.profile_of(self.tasks.get(task)?)
    }

    /// [`WorkspaceIndex::task_profile`] of a task entry already at hand.
    pub fn profile_of(&self, entry: &TaskEntry) -> Option<&Profile> {
        entry.places.first().and_then(|it| self.profile(it.file))
    }

    /// A file of the tracker at `scope` that did not parse, whole or in part, and could hold a
    /// place of `task` (of any task, for `None`): a store the tracker's tasks share, or a file of
    /// the task's own. A write to the tracker could not reach a place there, so writes refuse
    /// while there is one. Returns the file's path and its first problem.
    pub fn unparsed_store(&self, scope: &str, task: Option<&TaskKey>) -> Option<(&str, &str)> {
        self.entries().find_map(|(_, entry)| {
            let problem = entry.parsed.problems.first()?;
            if entry.class.root != scope || !entry.class.role.is_tracker() {
                return None;
            }
            let shared = matches!(
                entry.class.role,
                Role::Todo
                    | Role::StateJson
                    | Role::ArchiveStateJson
                    | Role::MinskyIndex
                    | Role::CompozyIndex
                    | Role::PideaIndex
                    | Role::SpecKitTasks
            );
            let its_own = task.is_some_and(|task| {
                entry.parsed.places.iter().any(|it| it.task() == Some(task)) || folder_names_task(&entry.path, task)
            });
            (shared || its_own).then_some((entry.path.as_str(), problem.message.as_str()))
        })
    }

    /// Whether `file` is history: a file of the archive (tasks put away on purpose), or a plan
    /// its task has moved on from (a later plan is the current one). No one edits history, and
    /// the per-place, per-item and per-link rules leave it alone; how it compares with the live
    /// files (a task archived as abandoned but still active) is still checked.
    pub fn is_history(&self, file: FileId) -> bool {
        let Some(entry) = self.entry(file) else { return false };
        if is_archived_file(entry) {
            return true;
        }
        match entry.class.role {
            Role::Plan { archived: false } => {
                let task = entry
                    .parsed
                    .places
                    .iter()
                    .find_map(|it| (it.kind == PlaceKind::PlanHeader).then(|| it.task()).flatten());
                let Some(task) = task else { return false };
                // A plan the task has moved on from; or any plan of a task that handed its work
                // to others (`[EXPANDED]`), which nobody carries out any more.
                let superseded = self.task(task).and_then(|it| it.current_plan).is_some_and(|current| current != file);
                superseded
                    || self.task_status(task).is_some_and(|(_, status)| {
                        self.task_profile(task).is_some_and(|profile| profile.hands_off(status))
                    })
            }
            _ => false,
        }
    }

    /// A Conductor track's metadata.json as `newTrack` wrote it: a not-started status (`new`)
    /// never updated since (`updated_at` is `created_at`). Conductor's `implement` moves only
    /// the tracks.md box, so such a file says nothing of where the track is now: not compared
    /// as a place of its status (a hint says it is behind; `set` writes it).
    pub fn is_as_created(&self, place_ref: PlaceRef) -> bool {
        let place = self.place(place_ref);
        if place.kind != PlaceKind::TrackMetadata {
            return false;
        }
        let not_started = place
            .status
            .zip(self.profile(place_ref.file))
            .is_some_and(|(status, profile)| profile.kind(status) == crate::vocabulary::Kind::Todo);
        let value = |names: &[&str]| names.iter().find_map(|it| place.field(it)).map(|it| it.value.as_str());
        let updated = value(&["updated_at", "updated"]);
        not_started && (updated.is_none() || updated == value(&["created_at", "created"]))
    }

    /// Whether a place records what became of a task rather than saying what it is: an archive
    /// entry (`completed_projects`, an archive state file's, each time the task was recorded
    /// there), or any place in a file of the archive. A task's status is what its live places
    /// say; its history is compared with that once, never entry by entry (see
    /// [`WorkspaceIndex::agreeing_places`]).
    pub fn is_history_place(&self, place: PlaceRef) -> bool {
        self.place(place).kind == PlaceKind::ArchivedStateJson || self.entry(place.file).is_some_and(is_archived_file)
    }

    /// Whether taskmark may write the task's status anywhere: some place that states it is
    /// editable. An OpenSpec change's only place is where its folder is, which `openspec
    /// archive` moves; `set` refuses such a task and `show` offers it no next step.
    pub fn status_is_writable(&self, entry: &TaskEntry) -> bool {
        entry
            .places
            .iter()
            .map(|it| self.place(*it))
            .filter(|it| matches!(it.subject, Subject::Task(_)))
            .any(|it| !matches!(it.editable, crate::model::Editability::ReadOnly(_)))
    }

    /// Every file of history (see [`WorkspaceIndex::is_history`]).
    pub fn history(&self) -> std::collections::BTreeSet<FileId> {
        self.entries().map(|(file, _)| file).filter(|file| self.is_history(*file)).collect()
    }

    /// The scopes (tracker roots) a person's name for a tracker means: the root itself
    /// (`.opencode/specs`), or else every root it ends (`specs` for `.opencode/specs`, as the
    /// tools' descriptions and people write it).
    pub fn scopes_named(&self, name: &str) -> Vec<&str> {
        let name = crate::layout::tracker_root_named(name);
        let roots = || self.tasks.keys().map(|key| key.scope.as_str());
        let mut exact: Vec<&str> = roots().filter(|root| *root == name).collect();
        if exact.is_empty() && !name.is_empty() {
            let suffix = format!("/{name}");
            exact = roots().filter(|root| root.ends_with(&suffix)).collect();
        }
        exact.sort_unstable();
        exact.dedup();
        exact
    }

    /// Tasks whose id is `id` (`221`, `058`, `BACK-200`, `specs:221`) in any tracker.
    pub fn find_tasks(&self, id: &str) -> Vec<TaskKey> {
        let (scopes, id) = match id.rsplit_once(':') {
            Some((scope, id)) => (Some(self.scopes_named(scope)), id),
            None => (None, id),
        };
        let scope = scopes.as_ref();
        // Compozy writes `2.0` for its task 2.
        let id =
            id.strip_suffix(".0").filter(|it| !it.is_empty() && it.bytes().all(|b| b.is_ascii_digit())).unwrap_or(id);
        let numeric = crate::markdown::leading_number(id)
            .filter(|(skip, digits)| skip + digits.len() == id.len())
            .map(|(_, digits)| crate::markdown::numeric_id(digits));
        self.tasks
            .keys()
            .filter(|key| scope.is_none_or(|scopes| scopes.contains(&key.scope.as_str())))
            .filter(|key| key.id.eq_ignore_ascii_case(id) || numeric.as_deref() == Some(key.id.as_str()))
            .cloned()
            .collect()
    }

    /// Resolves a dependency id in the task's tracker. Backlog.md ids changed prefix over time
    /// (`task-24` for `BACK-24`), so a unique match on the number counts too.
    pub fn resolve_dependency(&self, task: &TaskKey, id: &str) -> Option<TaskKey> {
        let exact = TaskKey::new(task.scope.clone(), id);
        if self.task(&exact).is_some() {
            return Some(exact);
        }
        let tail = id.rsplit('-').next()?;
        if tail == id {
            return None;
        }
        let mut matches = self
            .tasks
            .keys()
            .filter(|key| key.scope == task.scope && key.id.rsplit('-').next() == Some(tail) && key.id.contains('-'));
        let first = matches.next()?.clone();
        matches.next().is_none().then_some(first)
    }

    /// An id handed out again: archived entries (`completed_projects`, the archive) whose
    /// `project_name` shares no word with the name of the live task folder of the same id
    /// (`190_meta_system_optimization` against an archived `improve_maintenance_md_documentation`).
    /// Those entries are another task's, and are left out of this one's agreement.
    pub fn reused_id(&self, task: &TaskKey) -> Option<ReusedId> {
        self.reused_id_of(task, self.tasks.get(task)?)
    }

    /// [`WorkspaceIndex::reused_id`] of a task entry already at hand.
    pub fn reused_id_of(&self, task: &TaskKey, entry: &TaskEntry) -> Option<ReusedId> {
        if !entry.places.iter().any(|it| self.place(*it).kind == PlaceKind::ArchivedStateJson) {
            return None;
        }
        let words = |text: &str| -> HashSet<String> {
            text.split(|it: char| !it.is_alphanumeric())
                .filter(|it| it.len() > 2 && it.chars().any(char::is_alphabetic))
                .map(str::to_ascii_lowercase)
                .collect()
        };
        // The live folder `NNN_slug` one of the task's places sits in.
        let (folder, live) = entry.places.iter().find_map(|it| {
            let path = self.path(it.file);
            if path.split('/').any(|part| part == "archive") {
                return None;
            }
            let folder = crate::layout::task_folder(path)?;
            (crate::layout::task_folder_id(path)? == task.id).then(|| (folder.to_string(), *it))
        })?;
        let slug = words(folder.split_once('_').map_or("", |(_, it)| it));
        if slug.is_empty() {
            return None;
        }
        let archived: Vec<PlaceRef> = entry
            .places
            .iter()
            .copied()
            .filter(|it| {
                let place = self.place(*it);
                place.kind == PlaceKind::ArchivedStateJson
                    && place.title.as_deref().is_some_and(|title| {
                        let title = words(title);
                        !title.is_empty() && title.is_disjoint(&slug)
                    })
            })
            .collect();
        (!archived.is_empty()).then_some(ReusedId { folder, live, archived })
    }

    /// The places of `task` whose statuses must agree: every live task place, but of the plans
    /// only the current one, and only places whose marker is known; and of its history, one
    /// voice per kind of record.
    ///
    /// History is a log, not a second copy: an archive may record a task several times (a
    /// bookkeeping entry appended each time a leftover folder is archived again), and an entry
    /// that agrees with the task's status shows the record keeps up with it. So of each kind
    /// of history place (archive entries, an archived plan's header, an archived task folder's
    /// state.json) the one kept is the first that agrees with the task's status (what its live
    /// places say, or with none, its first archive record), else the first: a kind of record
    /// none of whose entries agrees contradicts the task once, however many entries it has.
    pub fn agreeing_places(&self, task: &TaskKey) -> Vec<PlaceRef> {
        let Some(entry) = self.tasks.get(task) else { return Vec::new() };
        self.agreeing_places_of(task, entry)
    }

    /// [`WorkspaceIndex::agreeing_places`] of a task entry already at hand.
    pub fn agreeing_places_of(&self, task: &TaskKey, entry: &TaskEntry) -> Vec<PlaceRef> {
        let mut places: Vec<PlaceRef> = entry
            .places
            .iter()
            .copied()
            .filter(|it| {
                let place = self.place(*it);
                // What a plan's boxes count is compared with the task's status by
                // `open-children`, as boxes under a parent are: no place of the status.
                place.status.is_some()
                    && !place.kind.stands_apart()
                    && !self.is_as_created(*it)
                    && (place.kind != PlaceKind::PlanHeader || entry.current_plan == Some(it.file))
            })
            .collect();
        if let Some(reused) = self.reused_id_of(task, entry) {
            places.retain(|it| !reused.archived.contains(it));
        }
        // A second live definition in a store that defines the task already (`duplicate-task`)
        // is another task under the same id as often as the same task written twice (spec-kit's
        // two `T024` lines with two titles): not a place of this one to agree, or be aligned,
        // with the first.
        let mut defined: Vec<PlaceKind> = Vec::new();
        places.retain(|it| {
            let kind = self.place(*it).kind;
            if !kind.defines_task() || self.is_history_place(*it) {
                return true;
            }
            let first = !defined.contains(&kind);
            defined.push(kind);
            first
        });
        self.keep_one_voice_of_history(entry, &mut places);
        // A task that handed its work to others (`[EXPANDED]`) leaves its plan as it was.
        let speaker = places.iter().min_by_key(|it| authority(self.place(**it).kind)).map(|it| self.place(*it));
        if let Some(speaker) = speaker
            && speaker.kind != PlaceKind::PlanHeader
            && let (Some(status), Some(profile)) = (speaker.status, self.profile_of(entry))
            && profile.hands_off(status)
        {
            places.retain(|it| self.place(*it).kind != PlaceKind::PlanHeader);
        }
        places
    }

    /// Leaves in `places` one place per kind of history (see [`WorkspaceIndex::agreeing_places`]).
    fn keep_one_voice_of_history(&self, entry: &TaskEntry, places: &mut Vec<PlaceRef>) {
        let history: Vec<PlaceRef> = places.iter().copied().filter(|it| self.is_history_place(*it)).collect();
        if history.len() < 2 {
            return;
        }
        let Some(profile) = self.profile_of(entry) else { return };
        let live: Vec<PlaceRef> = places.iter().copied().filter(|it| !self.is_history_place(*it)).collect();
        let Some((speaker, status)) = self.speaker(if live.is_empty() { &history } else { &live }) else { return };
        let speaker_words = self.place(speaker).kind.task_vocabulary();
        let agrees = |place: PlaceRef| {
            let place = self.place(place);
            place.status.is_some_and(|own| profile.agree(own, status, speaker_words && place.kind.task_vocabulary()))
        };
        // Per kind of record: the place kept, and whether it agrees.
        let mut voices: Vec<(PlaceKind, PlaceRef, bool)> = Vec::new();
        for place in &history {
            let (kind, agreeing) = (self.place(*place).kind, agrees(*place));
            match voices.iter_mut().find(|it| it.0 == kind) {
                None => voices.push((kind, *place, agreeing)),
                Some(voice) if agreeing && !voice.2 => *voice = (kind, *place, true),
                Some(_) => {}
            }
        }
        places.retain(|it| !self.is_history_place(*it) || voices.iter().any(|voice| voice.1 == *it));
    }

    /// The status that speaks for a task: its TODO.md section, index line or frontmatter first,
    /// mirrors after.
    pub fn task_status(&self, task: &TaskKey) -> Option<(PlaceRef, crate::vocabulary::StatusId)> {
        self.speaker(&self.agreeing_places(task))
    }

    /// The place that speaks for a task among its agreeing places, and its status: what
    /// [`WorkspaceIndex::task_status`] gives, from agreeing places already at hand.
    pub fn speaker(&self, agreeing: &[PlaceRef]) -> Option<(PlaceRef, crate::vocabulary::StatusId)> {
        agreeing
            .iter()
            .min_by_key(|it| authority(self.place(**it).kind))
            .and_then(|it| Some((*it, self.place(*it).status?)))
    }

    /// A task's status as its speaking place writes it (`[NOT STARTED]`), empty without one.
    pub fn status_shown(&self, task: &TaskKey) -> String {
        self.task_status(task).map_or_else(String::new, |(place, _)| self.place(place).shown().to_string())
    }

    /// Where a place's status is written, for messages: `specs/TODO.md:123` (empty for a file
    /// gone from the index).
    pub fn location(&self, place: PlaceRef) -> String {
        let Some(entry) = self.entry(place.file) else { return String::new() };
        let line = crate::text::line_number(entry.line_index(), self.place(place).marker.range.start());
        format!("{}:{line}", entry.path)
    }

    pub fn len(&self) -> usize {
        self.by_path.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_path.is_empty()
    }
}

/// Which place speaks for a task when several do: the lower, the more authoritative.
pub fn authority(kind: PlaceKind) -> u8 {
    match kind {
        PlaceKind::TodoSection => 0,
        PlaceKind::IndexLine | PlaceKind::IndexRow => 1,
        PlaceKind::Frontmatter => 2,
        PlaceKind::IndexStatus => 3,
        PlaceKind::ChecklistTask => 4,
        // Task Master's tasks.json is its tool's own record; the text files are generated from it.
        PlaceKind::StateJson | PlaceKind::TaskJson => 5,
        PlaceKind::TaskStateJson | PlaceKind::TrackMetadata => 6,
        PlaceKind::SpecStatus | PlaceKind::TaskText => 7,
        PlaceKind::TaskOrderLine => 8,
        PlaceKind::ArchivedStateJson => 9,
        PlaceKind::PlanHeader => 10,
        PlaceKind::StatusFolder | PlaceKind::SummaryFile => 11,
        PlaceKind::PlanPhase | PlaceKind::PhaseTableRow | PlaceKind::PhaseFile => 12,
        PlaceKind::PlanProgress | PlaceKind::StatePosition | PlaceKind::SyncRecord => 13,
    }
}

/// Orders `implementation-010.md` after `implementation-009.md` and `10_x.md` after `9_x.md`.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |s: &str| -> Vec<(String, u64)> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut digits = String::new();
        for c in s.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else {
                if !digits.is_empty() {
                    parts.push((std::mem::take(&mut text), digits.parse().unwrap_or(u64::MAX)));
                    digits.clear();
                }
                text.push(c);
            }
        }
        parts.push((text, digits.parse().unwrap_or(0)));
        parts
    };
    key(a).cmp(&key(b))
}

/// A file of the archive: tasks put away on purpose (an archive state file, a plan or a task
/// folder's state.json under `archive/`, a Conductor track under `conductor/archive/`, a
/// Backlog.md task in `completed/`).
fn is_archived_file(entry: &super::FileEntry) -> bool {
    match entry.class.role {
        role if role.is_archive() => true,
        // Backlog.md moves finished tasks to backlog/completed/ (`backlog cleanup`).
        Role::BacklogTask => entry.path.rsplit('/').nth(1) == Some("completed"),
        _ => false,
    }
}

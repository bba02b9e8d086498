//! The task table: for each task, the places that state its status, the files that mention
//! it, whether it is archived and its current plan, built from what each file says of it.

use super::*;

impl WorkspaceIndex {
    /// Replaces the file's places in the splice `places` in the task table, moves the indices of
    /// the places after it, and computes the current plan again for `tasks` (the tasks of the
    /// replaced and the new places).
    pub(super) fn update_tasks(&mut self, file: FileId, places: &todo::Splice, tasks: &BTreeSet<TaskKey>) {
        let Some(parsed) = self.entry(file).map(|it| &it.parsed) else { return };
        let mut added: BTreeMap<TaskKey, Vec<PlaceRef>> = BTreeMap::new();
        for index in places.start..places.new_end {
            let place = &parsed.places[index];
            if let Some(task) = place.task()
                && matches!(place.subject, Subject::Task(_))
            {
                added.entry(task.clone()).or_default().push(PlaceRef { file, index });
            }
        }
        // Only the tasks of the replaced places have references into the splice.
        for task in tasks {
            if let Some(entry) = self.tasks_mut().get_mut(task).map(Arc::make_mut) {
                entry.places.retain(|it| it.file != file || !(places.start..places.old_end).contains(&it.index));
            }
        }
        if places.delta() != 0 {
            let moves = |it: &PlaceRef| it.file == file && it.index >= places.old_end;
            for entry in self.tasks_mut().values_mut().filter(|it| it.places.iter().any(moves)) {
                for place in Arc::make_mut(entry).places.iter_mut().filter(|it| moves(it)) {
                    place.index = (place.index as i64 + places.delta()) as usize;
                }
            }
        }
        let mut gone = Vec::new();
        for task in tasks {
            let new_refs = added.remove(task).unwrap_or_default();
            let entry = Arc::make_mut(Arc::make_mut(&mut self.tasks).entry(task.clone()).or_default());
            entry.places.extend(new_refs);
            in_path_order(&self.files, entry);
            // Without places here, the task stays only if something else names it: a mention,
            // an archive entry, or a phase of it (a TODO.md neither archives nor mentions).
            if entry.places.is_empty() && entry.mentions.is_empty() && !entry.archived {
                gone.push(task);
            }
        }
        if !gone.is_empty() {
            // One pass over every place, however many tasks went (a fence opened above hundreds
            // of sections).
            let named: std::collections::HashSet<&TaskKey> =
                self.entries().flat_map(|(_, entry)| entry.parsed.places.iter().filter_map(Place::task)).collect();
            let gone: Vec<TaskKey> = gone.into_iter().filter(|it| !named.contains(it)).cloned().collect();
            for task in gone {
                self.tasks_mut().remove(&task);
            }
        }
        if tasks.is_empty() {
            return;
        }
        let links = self.section_links(Some(tasks));
        let plans: Vec<(TaskKey, Option<FileId>)> =
            tasks.iter().map(|task| (task.clone(), self.current_plan(task, &links))).collect();
        for (task, plan) in plans {
            if let Some(entry) = self.tasks_mut().get_mut(&task).map(Arc::make_mut) {
                entry.current_plan = plan;
            }
        }
    }

    /// The links of TODO.md sections, by task (only of `tasks`, when given).
    pub(super) fn section_links(&self, tasks: Option<&BTreeSet<TaskKey>>) -> SectionLinks<'_> {
        let mut out: SectionLinks<'_> = HashMap::new();
        for (file, entry) in self.entries() {
            if entry.class.role != Role::Todo {
                continue;
            }
            for link in &entry.parsed.links {
                if let Some(task) = &link.task
                    && tasks.is_none_or(|it| it.contains(task))
                {
                    out.entry(task.clone()).or_default().push((file, link));
                }
            }
        }
        out
    }

    /// The task table from scratch. What each file says of each task is listed in parallel, in
    /// file order, and grouped by task in that order (a hash table numbers the tasks as they
    /// come); each task's entry is built from its group, in parallel, and the table from the
    /// entries sorted once by task, rather than by a tree search, with its string comparisons,
    /// for every place on one thread.
    pub(super) fn rebuild_tasks(&mut self) {
        let said: Vec<(&TaskKey, FileId, Said)> = self
            .files
            .par_iter()
            .enumerate()
            .filter_map(|(id, entry)| Some((FileId(id as u32), entry.as_deref()?)))
            .flat_map_iter(|(file, entry)| said_of(file, entry))
            .collect();
        let mut numbers: HashMap<&TaskKey, u32> = HashMap::new();
        let mut groups: Vec<Vec<(FileId, Said)>> = Vec::new();
        for (task, file, said) in said {
            let next = groups.len() as u32;
            let number = *numbers.entry(task).or_insert(next);
            if number == next {
                groups.push(Vec::new());
            }
            groups[number as usize].push((file, said));
        }
        let mut keys: Vec<(&TaskKey, u32)> = numbers.into_iter().collect();
        keys.par_sort_unstable_by(|a, b| a.0.cmp(b.0));
        let files = &self.files;
        let tasks: Vec<(TaskKey, Arc<TaskEntry>)> = keys
            .par_iter()
            .map(|(task, number)| {
                let mut entry = TaskEntry::default();
                for (file, said) in &groups[*number as usize] {
                    entry.add(*file, *said);
                }
                in_path_order(files, &mut entry);
                ((*task).clone(), Arc::new(entry))
            })
            .collect();
        drop(groups);
        // Sorted: built at once, without a search per key.
        let tasks: TaskTable = tasks.into_iter().collect();
        self.tasks = Arc::new(tasks);
        let links = self.section_links(None);
        let keys: Vec<&TaskKey> = self.tasks.keys().collect();
        let plans: Vec<Option<FileId>> = keys.par_iter().map(|task| self.current_plan(task, &links)).collect();
        for (task_entry, plan) in self.tasks_mut().values_mut().zip(plans) {
            Arc::make_mut(task_entry).current_plan = plan;
        }
    }

    /// The task table after `file` was replaced, added or removed (its entry already holds the
    /// new parse, or none), when no tracker's vocabulary changed: only the tasks it named before
    /// (`before`: places, mentions, archive entries and section links) or names now are
    /// recomputed, so writing a file costs what the file holds, not what the workspace holds.
    pub(super) fn retask_file(&mut self, file: FileId, mut touched: BTreeSet<TaskKey>) {
        for task in &touched {
            if let Some(entry) = self.tasks_mut().get_mut(task).map(Arc::make_mut) {
                entry.places.retain(|it| it.file != file);
                entry.mentions.retain(|it| *it != file);
                entry.archived_in.retain(|it| *it != file);
            }
        }
        if let Some(entry) = self.files.get(file.0 as usize).cloned().flatten() {
            touched.extend(tasks_named(&entry.parsed));
            add_to_tasks(self.tasks_mut(), file, &entry);
        }
        let mut gone = Vec::new();
        for task in &touched {
            let Some(entry) = Arc::make_mut(&mut self.tasks).get_mut(task).map(Arc::make_mut) else { continue };
            in_path_order(&self.files, entry);
            entry.archived = !entry.archived_in.is_empty();
            if entry.places.is_empty() && entry.mentions.is_empty() && !entry.archived {
                gone.push(task);
            }
        }
        if !gone.is_empty() {
            // A task with only phases left is still named.
            let named: HashSet<&TaskKey> =
                self.entries().flat_map(|(_, entry)| entry.parsed.places.iter().filter_map(Place::task)).collect();
            let gone: Vec<TaskKey> = gone.into_iter().filter(|it| !named.contains(it)).cloned().collect();
            for task in gone {
                self.tasks_mut().remove(&task);
            }
        }
        let links = self.section_links(Some(&touched));
        let plans: Vec<(TaskKey, Option<FileId>)> =
            touched.iter().map(|task| (task.clone(), self.current_plan(task, &links))).collect();
        for (task, plan) in plans {
            if let Some(entry) = self.tasks_mut().get_mut(&task).map(Arc::make_mut) {
                entry.current_plan = plan;
            }
        }
    }

    /// The plan whose header counts for a task: the last plan its TODO.md section links, else
    /// the highest-numbered one.
    pub(super) fn current_plan(&self, task: &TaskKey, section_links: &SectionLinks<'_>) -> Option<FileId> {
        let task_entry = self.tasks.get(task)?;
        let plans: Vec<FileId> = task_entry
            .places
            .iter()
            .filter(|it| self.place(**it).kind == PlaceKind::PlanHeader)
            .map(|it| it.file)
            .chain(task_entry.mentions.iter().copied().filter(|it| matches!(self.role(*it), Some(Role::Plan { .. }))))
            .collect();
        if plans.is_empty() {
            return None;
        }
        let linked = section_links
            .get(task)
            .into_iter()
            .flatten()
            .filter_map(|(file, link)| {
                let mut found = None;
                link.find_candidate(self.path(*file), |candidate| {
                    found = self.by_path.get(candidate).copied();
                    found.is_some()
                });
                found
            })
            .rfind(|file| plans.contains(file));
        linked.or_else(|| {
            plans
                .iter()
                .filter(|it| !matches!(self.role(**it), Some(Role::Plan { archived: true })))
                .max_by(|a, b| natural_cmp(self.path(**a), self.path(**b)))
                .copied()
        })
    }
}

/// The tasks a file's parse speaks of.
pub(super) fn tasks_of(parsed: &ParsedFile) -> std::collections::BTreeSet<TaskKey> {
    parsed
        .places
        .iter()
        .filter_map(|it| it.task().cloned())
        .chain(parsed.mentions.iter().map(|it| it.task.clone()))
        .chain(parsed.archived.iter().cloned())
        .collect()
}

/// Every task a file names: [`tasks_of`] and the tasks of its section links (which choose
/// their current plans).
pub(super) fn tasks_named(parsed: &ParsedFile) -> BTreeSet<TaskKey> {
    let mut tasks = tasks_of(parsed);
    tasks.extend(parsed.links.iter().filter_map(|it| it.task.clone()));
    tasks
}

/// A task's places and mentions in the order of their files' paths (then within the file), the
/// order an index built from scratch gives: files indexed later get later ids, and the order
/// decides which of two equally authoritative places speaks for a task, so the daemon (which
/// saw a file created) and `taskmark check` (which reads the workspace afresh) must agree.
pub(super) fn in_path_order(files: &[Option<Arc<FileEntry>>], entry: &mut TaskEntry) {
    let path = |file: FileId| files.get(file.0 as usize).and_then(|it| it.as_deref()).map_or("", |it| it.path.as_str());
    entry.places.sort_by(|a, b| path(a.file).cmp(path(b.file)).then(a.index.cmp(&b.index)));
    entry.mentions.sort_by(|a, b| path(*a).cmp(path(*b)));
}

/// What a file says of a task, for the task table.
#[derive(Debug, Clone, Copy)]
pub(super) enum Said {
    /// A place (`states`: a status of the task itself, not of one of its phases; `archives`: it
    /// puts the task away on purpose).
    Place {
        index: u32,
        states: bool,
        archives: bool,
    },
    Mention {
        archives: bool,
    },
    /// An archive entry that states nothing more (`completed_projects`).
    Archived,
}

/// What one file says of each task, in the file's order: its places (phases only name the
/// task), mentions and archive entries.
pub(super) fn said_of(file: FileId, entry: &FileEntry) -> impl Iterator<Item = (&TaskKey, FileId, Said)> {
    let archived_file = entry.class.role.is_archive();
    // A place that only names a task the place before it named adds nothing (a plan's phases
    // name the plan's task; listing each would be most of the list).
    let mut named: Option<&TaskKey> = None;
    let places = entry.parsed.places.iter().enumerate().filter_map(move |(index, place)| {
        let task = place.task()?;
        let said = Said::Place {
            index: index as u32,
            states: matches!(place.subject, Subject::Task(_)),
            archives: archived_file || place.kind == PlaceKind::ArchivedStateJson,
        };
        let adds = !matches!(said, Said::Place { states: false, archives: false, .. }) || named != Some(task);
        named = Some(task);
        adds.then_some((task, file, said))
    });
    let mentions =
        entry.parsed.mentions.iter().map(move |it| (&it.task, file, Said::Mention { archives: archived_file }));
    let archived = entry.parsed.archived.iter().map(move |it| (it, file, Said::Archived));
    places.chain(mentions).chain(archived)
}

/// Adds what one file says of each task to the task table. Files must be added in id order.
pub(super) fn add_to_tasks(tasks: &mut TaskTable, file: FileId, entry: &FileEntry) {
    for (task, file, said) in said_of(file, entry) {
        Arc::make_mut(tasks.entry(task.clone()).or_default()).add(file, said);
    }
}

impl TaskEntry {
    pub(super) fn add(&mut self, file: FileId, said: Said) {
        match said {
            Said::Place { index, states, archives } => {
                if states {
                    self.places.push(PlaceRef { file, index: index as usize });
                }
                if archives {
                    self.archive(file);
                }
            }
            Said::Mention { archives } => {
                self.mentions.push(file);
                if archives {
                    self.archive(file);
                }
            }
            Said::Archived => self.archive(file),
        }
    }

    pub(super) fn archive(&mut self, file: FileId) {
        if self.archived_in.last() != Some(&file) {
            self.archived_in.push(file);
        }
        self.archived = true;
    }
}

/// TODO.md section links by task, with the file they are in.
pub(super) type SectionLinks<'a> = HashMap<TaskKey, Vec<(FileId, &'a crate::model::Link)>>;

/// Whether a folder of `path` is the task's own (`015_slug`, `15-slug` for task 15).
pub(super) fn folder_names_task(path: &str, task: &TaskKey) -> bool {
    path.split('/').any(|folder| {
        crate::markdown::leading_number(folder).is_some_and(|(skip, digits)| {
            skip == 0
                && matches!(folder.as_bytes().get(digits.len()), Some(b'_' | b'-'))
                && crate::markdown::numeric_id(digits) == task.id
        })
    })
}

//! Building an index from scratch: every file classified, its tracker found or registered,
//! and parsed in parallel; then the vocabularies learned and the task table made.

use super::*;

impl WorkspaceIndex {
    /// Indexes `files`, parsing in parallel.
    pub fn build(files: Vec<SourceFile>, vocabularies: &Vocabularies) -> WorkspaceIndex {
        let texts: HashMap<String, Arc<str>> = files.into_iter().map(|it| (it.path, it.text)).collect();
        let paths: Vec<String> = texts.keys().cloned().collect();
        WorkspaceIndex::build_with(paths, vocabularies, |path| texts.get(path).cloned())
    }

    /// Indexes the files at `paths`, getting each one's text from `read` (the adapter's IO;
    /// `None` leaves the file out) and parsing it right after, in parallel on the current rayon
    /// pool: a file is parsed while it is still in the cache, and no more texts are held than
    /// the index keeps.
    pub fn build_with<R>(paths: Vec<String>, vocabularies: &Vocabularies, read: R) -> WorkspaceIndex
    where
        R: Fn(&str) -> Option<Arc<str>> + Sync,
    {
        let mut index = WorkspaceIndex::parse_all(paths, vocabularies, read);
        index.adapt_vocabularies(None);
        index.rebuild_tasks();
        index
    }

    /// Reads and parses every file, the tracker files in their profile with the repository's
    /// standard that applies to them; without learned conventions and without the task table.
    pub(super) fn parse_all<R>(mut paths: Vec<String>, vocabularies: &Vocabularies, read: R) -> WorkspaceIndex
    where
        R: Fn(&str) -> Option<Arc<str>> + Sync,
    {
        paths.sort();
        paths.dedup();
        let mut index = WorkspaceIndex { vocabularies: vocabularies.clone(), ..WorkspaceIndex::default() };
        // The files whose content decides a vocabulary are read first: TODO.md (spec-folder
        // sections or a checklist) and Backlog.md's config.yml.
        let mut classes: Vec<Classification> = paths.iter().map(|path| layout::classify(path)).collect();
        let early: Vec<(usize, Option<Arc<str>>)> = classes
            .par_iter()
            .enumerate()
            .filter(|(_, class)| matches!(class.role, Role::Todo | Role::BacklogConfig))
            .map(|(position, _)| (position, read(&paths[position])))
            .collect();
        // Read once: a file that could not be read early is not read again.
        let mut early_texts: HashMap<usize, Option<Arc<str>>> = HashMap::new();
        for (position, text) in early {
            if let Some(text) = &text {
                classes[position] = classify(&paths[position], text);
            }
            early_texts.insert(position, text);
        }
        let spec_roots = spec_roots(paths.iter().map(String::as_str).zip(classes.iter()));
        let classes: Vec<Classification> =
            classes.into_iter().map(|class| adopt_spec_root(class, &spec_roots)).collect();
        let backlog_statuses = |class: &Classification| -> Option<Vec<String>> {
            if class.family != Some(Family::Backlog) {
                return None;
            }
            let position = classes.iter().position(|it| it.role == Role::BacklogConfig && it.root == class.root)?;
            parse::backlog_statuses(early_texts.get(&position)?.as_ref()?).ok()
        };
        // One tracker per family and root; a workspace can hold hundreds of checklists.
        let mut known: HashMap<(Family, &str), usize> = HashMap::new();
        let mut tracker_of: Vec<Option<usize>> = Vec::with_capacity(classes.len());
        for class in &classes {
            let Some(family) = class.family else {
                tracker_of.push(None);
                continue;
            };
            let tracker = match known.get(&(family, class.root.as_str())) {
                Some(it) => Some(*it),
                None => {
                    let statuses = backlog_statuses(class);
                    let it = index.tracker_for(class, &statuses);
                    if let Some(it) = it {
                        known.insert((family, class.root.as_str()), it);
                    }
                    it
                }
            };
            tracker_of.push(tracker);
        }
        // Prose first: the standards among its documents are part of the trackers'
        // vocabularies, so the tracker files are parsed once, in the vocabulary they end up in.
        let parse_at = |position: usize, path: &str, class: &Classification, tracker: Option<(usize, &Tracker)>| {
            let text = match early_texts.get(&position) {
                Some(early) => early.clone()?,
                None => read(path)?,
            };
            // Shared from the start: the entries are moved once, as pointers (a `FileEntry` is
            // hundreds of bytes, and two copies of every one would be the load's peak).
            Some(Arc::new(parse_entry(path.to_string(), text, class.clone(), tracker)))
        };
        let prose: Vec<(usize, Arc<FileEntry>)> = (0..paths.len())
            .into_par_iter()
            .filter(|it| classes[*it].role == Role::Prose)
            .filter_map(|it| Some((it, parse_at(it, &paths[it], &classes[it], None)?)))
            .collect();
        let standards = select_standards(
            prose.iter().filter_map(|(_, it)| Some((it.path.as_str(), it.parsed.standard.as_deref()?))),
            &index.vocabularies.standard,
        );
        for position in 0..index.trackers.len() {
            let (profile, standard) = index.with_standard(position, &standards);
            let tracker = &mut index.trackers[position];
            tracker.profile = profile;
            tracker.choice.standard = standard;
        }
        let parse_where =
            |wanted: &(dyn Fn(Role) -> bool + Sync), trackers: &[Tracker]| -> Vec<(usize, Arc<FileEntry>)> {
                (0..paths.len())
                    .into_par_iter()
                    .filter(|it| wanted(classes[*it].role))
                    .filter_map(|it| {
                        let tracker = tracker_of[it].map(|tracker| (tracker, &trackers[tracker]));
                        Some((it, parse_at(it, &paths[it], &classes[it], tracker)?))
                    })
                    .collect()
            };
        // A tracker's TODO.md and state.json files are its largest, and a state.json is parsed
        // through a syntax tree many times its size: parsed first, their transient memory is
        // gone before every other file's text is held, and no thread is left with one at the
        // end while the other waits.
        let largest = |role: Role| matches!(role, Role::Todo | Role::StateJson | Role::ArchiveStateJson);
        let mut entries = parse_where(&largest, &index.trackers);
        let rest = |role| role != Role::Prose && role != Role::TaskMasterText && !largest(role);
        entries.extend(parse_where(&rest, &index.trackers));
        // Task Master's untagged task files belong to a tag its tasks.json and state.json
        // decide: read after them.
        {
            let sources: HashMap<&str, &FileEntry> = entries
                .iter()
                .filter(|(_, it)| matches!(it.class.role, Role::TaskMasterTasks | Role::TaskMasterState))
                .map(|(_, it)| (it.path.as_str(), &**it))
                .collect();
            for tracker in index.trackers.iter_mut().filter(|it| it.family == Family::TaskMaster) {
                tracker.untagged_tag = untagged_tag_at(&tracker.root, |path| sources.get(path).copied());
            }
        }
        entries.extend(parse_where(&|role| role == Role::TaskMasterText, &index.trackers));
        entries.extend(prose);
        entries.sort_unstable_by_key(|(position, _)| *position);
        for (_, entry) in entries {
            let id = FileId(index.files.len() as u32);
            Arc::make_mut(&mut index.by_path).insert(entry.path.clone(), id, entry.class.role);
            Arc::make_mut(&mut index.files).push(Some(entry));
        }
        index
    }

    /// Registers the tracker of `class` if new. `backlog_statuses` is the status list of the
    /// tracker's `config.yml`, when it has one.
    pub(super) fn tracker_for(
        &mut self,
        class: &Classification,
        backlog_statuses: &Option<Vec<String>>,
    ) -> Option<usize> {
        let family = class.family?;
        if let Some(existing) = find_tracker(&self.trackers, class) {
            return Some(existing);
        }
        let name = self.vocabularies.profile_name(family, &class.root);
        let (profile, base) = match (family, backlog_statuses) {
            // Backlog.md's own statuses win unless the configuration names a profile for it.
            (Family::Backlog, Some(statuses)) if name == "backlog" => (
                profiles::backlog(statuses),
                BaseSource::BacklogConfig(if class.root.is_empty() {
                    "config.yml".to_string()
                } else {
                    format!("{}/config.yml", class.root)
                }),
            ),
            _ => (
                self.vocabularies.profiles.get(name).cloned().unwrap_or_else(|| {
                    profiles::builtin(crate::layout::default_profile_at(family, &class.root))
                        .unwrap_or_else(profiles::github)
                }),
                BaseSource::Profile(self.vocabularies.profile_source(family, &class.root)),
            ),
        };
        let profile = Arc::new(profile);
        self.trackers.push(Tracker {
            family,
            root: class.root.clone(),
            profile: Arc::clone(&profile),
            base: profile,
            choice: VocabularyChoice { base, standard: StandardUse::None, learned: Vec::new() },
            habits: Vec::new(),
            last_learning: learning::LastLearning::default(),
            untagged_tag: None,
        });
        Some(self.trackers.len() - 1)
    }
}

pub(super) fn classify(path: &str, text: &str) -> Classification {
    let mut class = layout::classify(path);
    if class.role == Role::Todo {
        class.family = Some(if parse::has_spec_sections(text) { Family::SpecFolder } else { Family::Checklist });
    }
    class
}

/// The roots of spec-folder trackers that have a `specs/` directory.
pub(super) fn spec_roots<'a>(classes: impl Iterator<Item = (&'a str, &'a Classification)>) -> Vec<String> {
    let mut roots: Vec<String> = classes.filter_map(|(_, class)| spec_root_of(class)).map(str::to_string).collect();
    roots.sort();
    roots.dedup();
    roots
}

/// The `specs/` folder a file is a spec-folder tracker's file in, if it is.
pub(super) fn spec_root_of(class: &Classification) -> Option<&str> {
    (class.family == Some(Family::SpecFolder) && class.root.rsplit('/').next() == Some("specs"))
        .then_some(class.root.as_str())
}

/// Whether the `specs/` folders decide the file's tracker: a spec-folder TODO.md outside one.
pub(super) fn may_adopt_spec_root(class: &Classification) -> bool {
    class.role == Role::Todo && class.family == Some(Family::SpecFolder) && spec_root_of(class).is_none()
}

/// A spec-folder TODO.md next to a `specs/` directory belongs to that tracker.
pub(super) fn adopt_spec_root(mut class: Classification, spec_roots: &[String]) -> Classification {
    if may_adopt_spec_root(&class) {
        let candidate = if class.root.is_empty() { "specs".to_string() } else { format!("{}/specs", class.root) };
        if spec_roots.binary_search(&candidate).is_ok() {
            class.root = candidate;
        }
    }
    class
}

/// The tag the untagged task files of the Task Master tracker at `root` belong to, when not
/// `master`: what its tasks.json's tags and its state.json's `currentTag` (the files `entry`
/// finds at a path) decide.
pub(super) fn untagged_tag_at<'a>(root: &str, entry: impl Fn(&str) -> Option<&'a FileEntry>) -> Option<String> {
    let tasks = entry(&format!("{root}/tasks/tasks.json"))?;
    let current = || entry(&format!("{root}/state.json")).and_then(|it| parse::taskmaster::current_tag(&it.text));
    parse::taskmaster::untagged_tag(&tasks.parsed.tags, current)
}

pub(super) fn find_tracker(trackers: &[Tracker], class: &Classification) -> Option<usize> {
    let family = class.family?;
    trackers.iter().position(|it| it.family == family && it.root == class.root)
}

pub(super) fn parse_entry(
    path: String,
    text: Arc<str>,
    class: Classification,
    tracker: Option<(usize, &Tracker)>,
) -> FileEntry {
    let (mut todo_layout, mut json_layout) = (None, None);
    let parsed = match (&tracker, class.role) {
        (_, Role::Prose) => parse::prose(&text),
        (Some((_, tracker)), Role::Todo) if class.family == Some(Family::SpecFolder) => {
            let cx = tracker.context(&path, &class);
            let (parsed, layout) = todo::parse_with_layout(&cx, &text);
            todo_layout = Some(Box::new(layout));
            parsed
        }
        (Some((_, tracker)), Role::StateJson | Role::ArchiveStateJson) => {
            use parse::state_json::{Kind, parse_with_layout};
            let cx = tracker.context(&path, &class);
            let kind = if class.role == Role::StateJson { Kind::Main } else { Kind::Archive };
            let (parsed, layout) = parse_with_layout(&cx, &text, kind);
            json_layout = layout.map(Box::new);
            parsed
        }
        (Some((_, tracker)), _) => parse::parse(&tracker.context(&path, &class), &text),
        (None, _) => ParsedFile::default(),
    };
    let mut parsed = parsed;
    // Kept for as long as the file is indexed: no room grown for more (a place's first field
    // grows room for four, 256 bytes, where most places keep one or two).
    for place in &mut parsed.places {
        place.fields.shrink_to_fit();
        place.dependencies.shrink_to_fit();
    }
    parsed.places.shrink_to_fit();
    parsed.items.shrink_to_fit();
    parsed.links.shrink_to_fit();
    parsed.mentions.shrink_to_fit();
    let text = if class.role == Role::Prose { Arc::from("") } else { text };
    FileEntry {
        path,
        class,
        tracker: tracker.map(|it| it.0),
        text,
        line_index: OnceLock::new(),
        parsed: parsed.into(),
        todo_layout,
        json_layout,
    }
}

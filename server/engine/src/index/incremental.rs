//! Updating an index one file at a time, with work proportional to the edit: a spec-folder
//! TODO.md re-parsed in part (`edit_todo`), a state.json entry on its own (`edit_json`), any
//! other file whole, and only the tasks whose parse changed (not merely moved) reported.

use super::*;

impl WorkspaceIndex {
    /// Adds, replaces (`Some`) or removes (`None`) one file, and says what that touched.
    pub fn set_file(&mut self, path: &str, text: Option<Arc<str>>) -> Update {
        self.replace_file(path, text, None)
    }

    /// Replaces one file's text (or adds the file), calling `updated` with the index and what
    /// each step touched. A TODO.md re-parsed in part whose text changed in stretches far apart
    /// (a status change another process wrote, read back from disk) takes each stretch as an
    /// edit of its own, as [`WorkspaceIndex::edit_file`] does with a change's edits.
    pub fn write_file(&mut self, path: &str, text: Arc<str>, updated: impl FnMut(&WorkspaceIndex, &Update)) {
        self.write_file_changed(path, text, None, updated);
    }

    /// [`WorkspaceIndex::write_file`], where `known` (when given) is how `text` differs from
    /// the file's text in the index: an editor's edits say so, and comparing two 16 MB texts
    /// at every keystroke costs more than the keystroke's re-parse. It must cover every byte
    /// that differs.
    pub fn write_file_changed(
        &mut self,
        path: &str,
        text: Arc<str>,
        known: Option<Change>,
        mut updated: impl FnMut(&WorkspaceIndex, &Update),
    ) {
        /// Below this, one region re-parses little enough.
        const SPLIT_ABOVE: usize = 4096;
        if let Some(entry) = self.by_path.get(path).and_then(|id| self.entry(*id))
            && entry.todo_layout.is_some()
            && entry.tracker.is_some()
        {
            let change = known.unwrap_or_else(|| Change::between(&entry.text, &text));
            if change.old_end - change.start > SPLIT_ABOVE {
                let edits = crate::text::line_edits(&entry.text, &text, change);
                if edits.len() > 1 {
                    self.edit_file(path, &edits, updated);
                    return;
                }
            }
        }
        let known = known.filter(|_| self.by_path.contains_key(path)).map(|it| Shift::of_change(&it));
        let update = self.replace_file(path, Some(text), known);
        updated(self, &update);
    }

    /// Applies `edits` (planned against the file's text now, apart from one another) to one
    /// file, calling `updated` with the index and what each step touched. A TODO.md re-parsed
    /// in part takes them one at a time, each re-parsing only around itself: a status change
    /// edits a section and the Task Order line, and one region spanning both would re-parse
    /// every section between. Any other file takes them at once, re-parsed whole, and only the
    /// tasks whose places, mentions or links changed (not merely moved with the text) count as
    /// touched.
    pub fn edit_file(&mut self, path: &str, edits: &[TextEdit], mut updated: impl FnMut(&WorkspaceIndex, &Update)) {
        let Some(entry) = self.by_path.get(path).and_then(|id| self.entry(*id)) else { return };
        let text = entry.text.clone();
        if entry.todo_layout.is_some() && entry.tracker.is_some() && edits.len() > 1 {
            let mut sorted: Vec<&TextEdit> = edits.iter().collect();
            sorted.sort_by_key(|it| std::cmp::Reverse((it.range.start(), it.range.end())));
            let mut current = text.to_string();
            for edit in sorted {
                let (start, end) = (usize::from(edit.range.start()), usize::from(edit.range.end()));
                let in_place = end <= current.len() && current.is_char_boundary(start) && current.is_char_boundary(end);
                // Where the edit is known, neither the text is copied again to apply it nor
                // compared whole to find what changed.
                let shift = if in_place {
                    current.replace_range(start..end, &edit.new_text);
                    Some(Shift::of_edits(std::slice::from_ref(edit)))
                } else {
                    current = crate::text::apply_edits(&current, std::slice::from_ref(edit));
                    None
                };
                let update = self.replace_file(path, Some(Arc::from(current.as_str())), shift);
                updated(self, &update);
            }
            return;
        }
        let after = crate::text::apply_edits(&text, edits);
        let update = self.replace_file(path, Some(Arc::from(after)), Some(Shift::of_edits(edits)));
        updated(self, &update);
    }

    /// [`WorkspaceIndex::set_file`], where `shift` says how the text moved (when the caller
    /// knows the edits; else it is found by comparing the texts).
    pub(super) fn replace_file(&mut self, path: &str, text: Option<Arc<str>>, shift: Option<Shift>) -> Update {
        let previous_id = self.by_path.get(path).copied();
        if let Some(id) = previous_id
            && let Some(text) = &text
        {
            if let Some(update) = self.edit_todo(id, path, text, shift.as_ref()) {
                return update;
            }
            if let Some(update) = self.edit_json(id, path, text, shift.as_ref()) {
                return update;
            }
        }
        let previous_entry = previous_id.and_then(|id| self.files.get(id.0 as usize).cloned().flatten());
        let mut tasks = previous_id.map(|id| tasks_of(self.parsed(id))).unwrap_or_default();
        let named_before = previous_id.map(|id| tasks_named(self.parsed(id))).unwrap_or_default();
        let Some(text) = text else {
            let mut rebuilt = false;
            if let Some(id) = Arc::make_mut(&mut self.by_path).remove(path) {
                let roots_before = spec_roots(self.entries().map(|(_, it)| (it.path.as_str(), &it.class)));
                let was_config =
                    self.files[id.0 as usize].as_ref().is_some_and(|it| it.class.role == Role::BacklogConfig);
                // A standard that goes away changes the vocabulary of the trackers it applied to.
                let was_standard = self.files[id.0 as usize].as_ref().is_some_and(|it| it.parsed.standard.is_some());
                let tracker = self.files[id.0 as usize].as_ref().and_then(|it| it.tracker);
                let tags_from = self.files[id.0 as usize]
                    .as_ref()
                    .filter(|it| decides_untagged_tag(it.class.role))
                    .map(|it| it.class.root.clone());
                Arc::make_mut(&mut self.files)[id.0 as usize] = None;
                let roots_after = spec_roots(self.entries().map(|(_, it)| (it.path.as_str(), &it.class)));
                let emptied = tracker.filter(|&it| !self.entries().any(|(_, entry)| entry.tracker == Some(it)));
                if was_config || was_standard || roots_before != roots_after {
                    self.rebuild_trackers();
                    rebuilt = true;
                } else if let Some(position) = emptied {
                    // A tracker whose last file went is no tracker: a fresh build would not
                    // find it (`new` would count it among the trackers to choose from).
                    self.drop_tracker(position);
                } else if let Some(tracker) = tracker {
                    // Its markers no longer count towards the tracker's conventions.
                    rebuilt = self.adapt_vocabularies(Some(tracker));
                }
                if !rebuilt && let Some(root) = tags_from {
                    rebuilt = self.retag_untagged_files(&root);
                }
            }
            match previous_id {
                _ if rebuilt => self.rebuild_tasks(),
                Some(id) => self.retask_file(id, named_before),
                None => {}
            }
            return Update {
                rebuilt,
                file: None,
                tasks,
                added_or_removed: previous_id.is_some(),
                edit: None,
                phases: true,
                roles_kept: false,
            };
        };
        let mut class = classify(path, &text);
        // A new (or vanished) `specs/` folder can move other TODO.md files into or out of a
        // tracker: then every file is classified again. A file that names the same `specs/`
        // folder as before (or none, before and after) changes no folder, and only a TODO.md
        // outside one needs the folders to know its tracker: the others skip the walks.
        let unmoved = previous_entry.as_ref().is_some_and(|it| spec_root_of(&it.class) == spec_root_of(&class));
        let roots_changed = if unmoved && !may_adopt_spec_root(&class) {
            false
        } else {
            let others =
                || self.entries().filter(|(_, it)| it.path != path).map(|(_, it)| (it.path.as_str(), &it.class));
            let roots_before = spec_roots(self.entries().map(|(_, it)| (it.path.as_str(), &it.class)));
            let roots = spec_roots(others().chain(std::iter::once((path, &class))));
            class = adopt_spec_root(class, &roots);
            roots != roots_before
        };
        let is_config = class.role == Role::BacklogConfig;
        let previous = previous_id.and_then(|id| self.entry(id)).map(|it| it.class.clone());
        let previous_role = previous.as_ref().map(|it| it.role);
        let (class_role, class_root) = (class.role, class.root.clone());
        let old_config = previous.as_ref().is_some_and(|it| it.role == Role::BacklogConfig);
        // A file that changes tracker (a TODO.md that gained task sections) leaves its old one.
        let moved = previous.is_some_and(|it| it.family != class.family || it.root != class.root);
        let statuses = if class.family == Some(Family::Backlog) {
            self.backlog_statuses(&class.root, Some((path, &text)))
        } else {
            None
        };
        let trackers_before = self.trackers.len();
        let tracker = self.tracker_for(&class, &statuses);
        let entry = parse_entry(path.to_string(), text, class, tracker.map(|it| (it, &self.trackers[it])));
        // What the tracker learns its vocabulary from is every one of its files' share of it:
        // when this file's share is as it was, the vocabulary is too, and the walk over the
        // tracker's files (thousands, at every status change written to a plan) is skipped. A
        // file new to its tracker, or a tracker new to the index, learns.
        // A change that only moves how often a weighed status is written in its own spelling,
        // by too little to tip an alias, is followed by difference.
        let learns = match (&previous_entry, tracker) {
            (Some(previous), Some(tracker))
                if tracker < trackers_before
                    && previous.tracker == Some(tracker)
                    && previous.class.role == entry.class.role =>
            {
                let tracker = &mut self.trackers[tracker];
                learning::may_change_learning(&tracker.profile, &tracker.last_learning, previous, &entry)
                    && !tracker.last_learning.follow(
                        &tracker.profile,
                        (&previous.parsed.places, &previous.parsed.items),
                        (&entry.parsed.places, &entry.parsed.items),
                    )
            }
            _ => true,
        };
        tasks.extend(tasks_of(&entry.parsed));
        let standard_changed = previous_id.map_or(entry.parsed.standard.is_some(), |id| {
            self.entry(id).map(|it| &it.parsed.standard) != Some(&entry.parsed.standard)
        });
        match previous_id {
            Some(id) => Arc::make_mut(&mut self.files)[id.0 as usize] = Some(Arc::new(entry)),
            None => {
                let id = FileId(self.files.len() as u32);
                Arc::make_mut(&mut self.by_path).insert(path.to_string(), id, entry.class.role);
                Arc::make_mut(&mut self.files).push(Some(Arc::new(entry)));
            }
        }
        let mut rebuilt = is_config || old_config || roots_changed || moved || standard_changed;
        if rebuilt {
            self.rebuild_trackers();
        } else if let Some(tracker) = tracker.filter(|_| learns) {
            // The file's markers may make (or unmake) a convention of its tracker, and a new
            // tracker has yet to read its standard.
            rebuilt = self.adapt_vocabularies(Some(tracker));
        }
        if !rebuilt && (decides_untagged_tag(class_role) || previous_role.is_some_and(decides_untagged_tag)) {
            rebuilt = self.retag_untagged_files(&class_root);
        }
        let file = self.by_path.get(path).copied();
        match file {
            Some(file) if !rebuilt => self.retask_file(file, named_before),
            _ => self.rebuild_tasks(),
        }
        if let (Some(previous), Some(entry), false) = (&previous_entry, file.and_then(|it| self.entry(it)), rebuilt) {
            let shift = shift.unwrap_or_else(|| Shift::of_change(&Change::between(&previous.text, &entry.text)));
            tasks = changed_tasks(&previous.parsed, &entry.parsed, &shift);
        }
        let phases = rebuilt
            || previous_entry.as_ref().is_some_and(|it| has_phases_of_two_files(&it.parsed.places))
            || file.and_then(|it| self.entry(it)).is_some_and(|it| has_phases_of_two_files(&it.parsed.places));
        let roles_kept = !rebuilt
            && previous_entry.as_ref().zip(file.and_then(|it| self.entry(it))).is_some_and(|(before, after)| {
                before.class.role == after.class.role && before.tracker == after.tracker
            });
        Update { rebuilt, file, tasks, added_or_removed: previous_id.is_none(), edit: None, phases, roles_kept }
    }

    /// Removes the tracker at `position`, which no file belongs to any more; the files of the
    /// trackers after it move down one (usually none: the last tracker made is an editor's
    /// untitled document's, closed first).
    fn drop_tracker(&mut self, position: usize) {
        self.trackers.remove(position);
        let later: Vec<FileId> =
            self.entries().filter(|(_, it)| it.tracker.is_some_and(|it| it > position)).map(|(id, _)| id).collect();
        if later.is_empty() {
            return;
        }
        let files = Arc::make_mut(&mut self.files);
        for id in later {
            if let Some(entry) = files[id.0 as usize].as_mut() {
                let entry = Arc::make_mut(entry);
                entry.tracker = entry.tracker.map(|it| it - 1);
            }
        }
    }

    /// Follows a change of the Task Master tracker at `root`'s tasks.json or state.json: when
    /// the tag its untagged task files belong to changed, they are read again in the new one.
    /// Whether they were: the tasks they are places of changed, and the task table is stale.
    fn retag_untagged_files(&mut self, root: &str) -> bool {
        let Some(position) = self.trackers.iter().position(|it| it.family == Family::TaskMaster && it.root == root)
        else {
            return false;
        };
        let tag = untagged_tag_at(root, |path| self.by_path.get(path).and_then(|id| self.entry(*id)));
        if self.trackers[position].untagged_tag == tag {
            return false;
        }
        self.trackers[position].untagged_tag = tag;
        let tracker = &self.trackers[position];
        let untagged = |entry: &FileEntry| {
            entry.tracker == Some(position)
                && entry.class.role == Role::TaskMasterText
                && layout::taskmaster_task_file(entry.path.rsplit('/').next().unwrap_or(&entry.path))
                    .is_some_and(|(_, tag)| tag == parse::taskmaster::MASTER)
        };
        let parsed: Vec<(FileId, FileEntry)> = self
            .entries()
            .filter(|(_, it)| untagged(it))
            .map(|(id, old)| {
                (id, parse_entry(old.path.clone(), old.text.clone(), old.class.clone(), Some((position, tracker))))
            })
            .collect();
        for (id, entry) in parsed {
            Arc::make_mut(&mut self.files)[id.0 as usize] = Some(Arc::new(entry));
        }
        true
    }

    /// An edit of a spec-folder TODO.md that stays one: re-parsed in part, and the task table
    /// updated for the tasks whose places changed. `None` when the edit needs the general path
    /// (the file changes class).
    pub(super) fn edit_todo(
        &mut self,
        id: FileId,
        path: &str,
        text: &Arc<str>,
        shift: Option<&Shift>,
    ) -> Option<Update> {
        let shared = Arc::make_mut(&mut self.files).get_mut(id.0 as usize)?.as_mut()?;
        shared.tracker?;
        shared.todo_layout.as_ref()?;
        // Another view of the workspace may share this entry: it keeps the old one.
        let entry = Arc::make_mut(shared);
        let tracker_id = entry.tracker?;
        // The class comes from the path and, for a TODO.md, whether it has spec sections; the
        // tracker root from the path and the spec roots, which this file keeps as it was.
        let class = classify(path, text);
        if class.role != entry.class.role || class.family != entry.class.family {
            return None;
        }
        let layout = entry.todo_layout.as_mut()?;
        let old_text = std::mem::replace(&mut entry.text, text.clone());
        let change = shift.and_then(Shift::as_change).unwrap_or_else(|| Change::between(&old_text, text));
        entry.line_index = followed(&entry.line_index, text, change);
        let tracker = &self.trackers[tracker_id];
        let cx = tracker.context(path, &entry.class);
        let reparsed = todo::reparse(&cx, &old_text, text, change, &mut entry.parsed, layout);
        let has_phase = |places: &[Place]| places.iter().any(|it| matches!(it.subject, Subject::Phase(_)));
        let phases = has_phase(&reparsed.old_places)
            || has_phase(&entry.parsed.places[reparsed.places.start..reparsed.places.new_end]);
        let line_breaks = |text: &str| text.bytes().filter(|it| *it == b'\n').count();
        let lines_moved =
            line_breaks(&old_text[change.start..change.old_end]) != line_breaks(&text[change.start..change.new_end]);
        let edit = FileEdit {
            change,
            places: reparsed.places,
            items: reparsed.items,
            links: reparsed.links,
            lines_moved,
            replaced_places: reparsed.old_places.clone(),
        };
        let new_places = &entry.parsed.places[reparsed.places.start..reparsed.places.new_end];
        let new_links = &entry.parsed.links[reparsed.links.start..reparsed.links.new_end];
        // Tasks whose places or links in the file changed, not just moved.
        let mut changed: BTreeSet<TaskKey> = BTreeSet::new();
        let mut touched: BTreeSet<TaskKey> = BTreeSet::new();
        let moved = crate::model::Moved { bytes: change.delta(), places: 0, items: 0 };
        let (old_by_task, new_by_task) = (places_by_task(&reparsed.old_places), places_by_task(new_places));
        let same_place = |old: &Place, new: &Place| {
            old == new
                || (usize::from(old.extent.start()) >= change.old_end && {
                    let mut shifted = old.clone();
                    moved.place(&mut shifted);
                    shifted == *new
                })
        };
        // The task table holds references to a task's places by index: only the tasks whose
        // references into the window differ need it updated (editing one line of a Task Order
        // re-reads all of it, and all of its tasks but one keep their places).
        fn references(places: &[Place]) -> BTreeMap<&TaskKey, Vec<usize>> {
            let mut out: BTreeMap<&TaskKey, Vec<usize>> = BTreeMap::new();
            for (at, place) in places.iter().enumerate() {
                if let Some(task) = place.task()
                    && matches!(place.subject, Subject::Task(_))
                {
                    out.entry(task).or_default().push(at);
                }
            }
            out
        }
        let (old_references, new_references) = (references(&reparsed.old_places), references(new_places));
        for task in old_by_task.keys().chain(new_by_task.keys()) {
            if old_references.get(task) != new_references.get(task) {
                touched.insert(task.clone());
            }
            let (old, new) = (old_by_task.get(task), new_by_task.get(task));
            let same = match (old, new) {
                (Some(old), Some(new)) => old.len() == new.len() && old.iter().zip(new).all(|(a, b)| same_place(a, b)),
                _ => false,
            };
            if !same {
                changed.insert(task.clone());
            }
        }
        let same_link = |old: &crate::model::Link, new: &crate::model::Link| {
            old == new
                || (usize::from(old.range.start()) >= change.old_end && {
                    let mut shifted = old.clone();
                    moved.link(&mut shifted);
                    shifted == *new
                })
        };
        let links_same = reparsed.old_links.len() == new_links.len()
            && reparsed.old_links.iter().zip(new_links).all(|(a, b)| same_link(a, b));
        if !links_same {
            for link in reparsed.old_links.iter().chain(new_links) {
                if let Some(task) = &link.task {
                    changed.insert(task.clone());
                    touched.insert(task.clone());
                }
            }
        }
        // A marker the tracker's conventions count came or went: learn again, and when that
        // changes the vocabulary, every file of the tracker is read in the new one. A keystroke
        // in the text of a section with such a marker leaves the markers as they were.
        let tracker = &self.trackers[tracker_id];
        let profile = &tracker.profile;
        let new_items =
            self.entry(id).map_or(&[][..], |it| &it.parsed.items[reparsed.items.start..reparsed.items.new_end]);
        // Items the re-parse replaced are gone: a new candidate box, or any learned box, counts,
        // and so does any box while learning weighs how often a status is written (a box may
        // be one of them).
        let boxes_replaced = reparsed.items.old_end > reparsed.items.start || !new_items.is_empty();
        let boxes_count =
            new_items.iter().any(|it| {
                counts_for_conventions(profile, it.status, it.unknown.is_some(), it.state.encode_utf8(&mut [0; 4]))
            }) || profile.statuses.iter().any(|it| it.origin == Origin::Learned && !it.checkbox.is_empty())
                || (boxes_replaced && tracker.last_learning.weighed().is_none_or(|it| !it.is_empty()));
        let new_places = new_places_of(self, id, &reparsed.places);
        let places_count =
            learning::places_may_change_learning(profile, &tracker.last_learning, &reparsed.old_places, new_places);
        // A status change of a weighed status (a `[COMPLETED]` set to `[BLOCKED]`) that tips no
        // alias is followed by difference; boxes replaced learn again (the old ones are gone).
        let learning_followed = (places_count && !boxes_count && !boxes_replaced)
            .then(|| tracker.last_learning.followed(profile, (&reparsed.old_places, &[]), (new_places, &[])))
            .flatten();
        let counts = boxes_count || (places_count && learning_followed.is_none());
        if let Some(last) = learning_followed {
            self.trackers[tracker_id].last_learning = last;
        }
        self.update_tasks(id, &reparsed.places, &touched);
        if counts && self.adapt_vocabularies(Some(tracker_id)) {
            self.rebuild_tasks();
            return Some(Update {
                rebuilt: true,
                file: Some(id),
                tasks: changed,
                added_or_removed: false,
                edit: None,
                phases: true,
                roles_kept: false,
            });
        }
        Some(Update {
            rebuilt: false,
            file: Some(id),
            tasks: changed,
            added_or_removed: false,
            edit: Some(edit),
            phases,
            roles_kept: true,
        })
    }

    /// An edit of a state.json inside one of its entries (a status change writes the entry's
    /// status and stamps): that entry is read again, the rest of the parse moved, and the task
    /// table updated for the entry's tasks. `None` when the edit needs the general path (it
    /// reaches outside an entry or into two, the entry no longer parses, or it names another
    /// task).
    pub(super) fn edit_json(
        &mut self,
        id: FileId,
        path: &str,
        text: &Arc<str>,
        shift: Option<&Shift>,
    ) -> Option<Update> {
        let shared = self.files.get(id.0 as usize)?.as_ref()?;
        let (tracker_id, layout) = (shared.tracker?, shared.json_layout.as_ref()?);
        if classify(path, text).role != shared.class.role {
            return None;
        }
        let found;
        let shift = match shift {
            Some(shift) => shift,
            None => {
                found = Shift::of_change(&Change::between(&shared.text, text));
                &found
            }
        };
        // Every replaced region strictly inside one entry, between its braces.
        let mut regions = shift.regions();
        let first = regions.next()?;
        let at = layout
            .entries
            .iter()
            .position(|it| usize::from(it.range.start()) < first.start && first.end < usize::from(it.range.end()))?;
        let span = layout.entries[at].clone();
        if regions.any(|it| !(usize::from(span.range.start()) < it.start && it.end < usize::from(span.range.end()))) {
            return None;
        }
        let growth = shift.at(span.range.end());
        let new_range = crate::text::range(
            usize::from(span.range.start()),
            (i64::from(u32::from(span.range.end())) + growth) as usize,
        );
        let tracker = &self.trackers[tracker_id];
        let cx = tracker.context(path, &shared.class);
        let fresh = parse::state_json::reparse_entry(&cx, text, new_range, span.kind)?;
        let old = &shared.parsed;
        // The same tasks: a changed `project_number` moves places between tasks, read whole.
        let keys = |places: &[Place], archived: &[TaskKey]| -> (BTreeSet<TaskKey>, Vec<TaskKey>) {
            (places.iter().filter_map(|it| it.task().cloned()).collect(), archived.to_vec())
        };
        if keys(&old.places[span.places.clone()], &old.archived[span.archived.clone()])
            != keys(&fresh.places, &fresh.archived)
        {
            return None;
        }
        let profile = &tracker.profile;
        let places_count = learning::places_may_change_learning(
            profile,
            &tracker.last_learning,
            &old.places[span.places.clone()],
            &fresh.places,
        );
        // An entry's status change that tips no alias: followed by difference (kept once the
        // edit is sure to be taken here).
        let learning_followed = places_count
            .then(|| {
                tracker.last_learning.followed(profile, (&old.places[span.places.clone()], &[]), (&fresh.places, &[]))
            })
            .flatten();
        let counts = places_count && learning_followed.is_none();
        let mut tasks: BTreeSet<TaskKey> = old.places[span.places.clone()]
            .iter()
            .filter_map(|it| it.task().cloned())
            .chain(old.links[span.links.clone()].iter().filter_map(|it| it.task.clone()))
            .chain(fresh.links.iter().filter_map(|it| it.task.clone()))
            .collect();
        tasks.extend(fresh.places.iter().filter_map(|it| it.task().cloned()));
        let old_text = shared.text.clone();
        let splice = |range: &std::ops::Range<usize>, fresh: usize| todo::Splice {
            start: range.start,
            old_end: range.end,
            new_end: range.start + fresh,
        };
        let (places, links) = (splice(&span.places, fresh.places.len()), splice(&span.links, fresh.links.len()));
        let archived = splice(&span.archived, fresh.archived.len());
        // Another view of the workspace may share this entry: it keeps the old one.
        let entry = Arc::make_mut(Arc::make_mut(&mut self.files).get_mut(id.0 as usize)?.as_mut()?);
        let after = span.range.end();
        let moved = crate::model::Moved { bytes: growth, places: 0, items: 0 };
        let moves = |range: crate::text::TextRange| range.start() >= after;
        let parsed = &mut entry.parsed;
        for place in parsed.places.iter_mut().filter(|it| moves(it.extent)) {
            moved.place(place);
        }
        for link in parsed.links.iter_mut().filter(|it| moves(it.range)) {
            moved.link(link);
        }
        for field in parsed.timestamps.iter_mut().filter(|it| moves(it.line)) {
            field.value_range = moved.range(field.value_range);
            field.line = moved.range(field.line);
        }
        if let Some(counters) = &mut parsed.counters {
            for counter in counters.next_project_number.iter_mut().chain(counters.task_counts.iter_mut()) {
                if moves(counter.range) {
                    counter.range = moved.range(counter.range);
                }
            }
        }
        let replaced_places: Vec<Place> = parsed.places.splice(span.places.clone(), fresh.places).collect();
        parsed.links.splice(span.links.clone(), fresh.links);
        parsed.archived.splice(span.archived.clone(), fresh.archived);
        let layout = entry.json_layout.as_mut()?;
        for (index, other) in layout.entries.iter_mut().enumerate() {
            if index == at {
                other.range = new_range;
                other.places = places.start..places.new_end;
                other.links = links.start..links.new_end;
                other.archived = archived.start..archived.new_end;
                continue;
            }
            if other.range.start() >= after {
                other.range = moved.range(other.range);
            }
            if index > at {
                let by = |range: &mut std::ops::Range<usize>, splice: todo::Splice| {
                    *range =
                        (range.start as i64 + splice.delta()) as usize..(range.end as i64 + splice.delta()) as usize;
                };
                by(&mut other.places, places);
                by(&mut other.links, links);
                by(&mut other.archived, archived);
            }
        }
        entry.text = text.clone();
        let change = Change {
            start: usize::from(span.range.start()),
            old_end: usize::from(span.range.end()),
            new_end: usize::from(new_range.end()),
        };
        entry.line_index = followed(&entry.line_index, text, change);
        let line_breaks = |text: &str| text.bytes().filter(|it| *it == b'\n').count();
        let lines_moved =
            line_breaks(&old_text[change.start..change.old_end]) != line_breaks(&text[change.start..change.new_end]);
        self.update_tasks(id, &places, &tasks);
        if let Some(last) = learning_followed {
            self.trackers[tracker_id].last_learning = last;
        }
        if counts && self.adapt_vocabularies(Some(tracker_id)) {
            self.rebuild_tasks();
            return Some(Update {
                rebuilt: true,
                file: Some(id),
                tasks,
                added_or_removed: false,
                edit: None,
                phases: true,
                roles_kept: false,
            });
        }
        let items = todo::Splice { start: 0, old_end: 0, new_end: 0 };
        let edit = FileEdit { change, places, items, links, lines_moved, replaced_places };
        Some(Update {
            rebuilt: false,
            file: Some(id),
            tasks,
            added_or_removed: false,
            edit: Some(edit),
            phases: false,
            roles_kept: true,
        })
    }
}

/// The places an incremental re-parse of the file added.
pub(super) fn new_places_of<'a>(index: &'a WorkspaceIndex, file: FileId, splice: &todo::Splice) -> &'a [Place] {
    index.entry(file).map_or(&[], |it| &it.parsed.places[splice.start..splice.new_end])
}

/// The tasks whose places, mentions, links or archived state differ between two parses of one
/// file, where `shift` says how the text moved: what only moved with the text is the same.
pub(super) fn changed_tasks(old: &ParsedFile, new: &ParsedFile, shift: &Shift) -> BTreeSet<TaskKey> {
    fn differ<T: PartialEq + Clone>(
        old: &BTreeMap<TaskKey, Vec<&T>>,
        new: &BTreeMap<TaskKey, Vec<&T>>,
        moved: impl Fn(&mut T),
        out: &mut BTreeSet<TaskKey>,
    ) {
        for task in old.keys().chain(new.keys()) {
            let same = match (old.get(task), new.get(task)) {
                (Some(old), Some(new)) => {
                    old.len() == new.len()
                        && old.iter().zip(new).all(|(old, new)| {
                            let mut shifted = (*old).clone();
                            moved(&mut shifted);
                            shifted == **new
                        })
                }
                _ => false,
            };
            if !same {
                out.insert(task.clone());
            }
        }
    }
    let by = |offset: crate::text::TextSize| crate::model::Moved { bytes: shift.at(offset), places: 0, items: 0 };
    let mut out = BTreeSet::new();
    differ(&places_by_task(&old.places), &places_by_task(&new.places), |it| by(it.extent.start()).place(it), &mut out);
    fn grouped<T>(items: &[T], task: impl Fn(&T) -> Option<&TaskKey>) -> BTreeMap<TaskKey, Vec<&T>> {
        let mut out: BTreeMap<TaskKey, Vec<&T>> = BTreeMap::new();
        for item in items {
            if let Some(task) = task(item) {
                out.entry(task.clone()).or_default().push(item);
            }
        }
        out
    }
    fn mention_task(mention: &crate::model::Mention) -> Option<&TaskKey> {
        Some(&mention.task)
    }
    fn link_task(link: &crate::model::Link) -> Option<&TaskKey> {
        link.task.as_ref()
    }
    differ(
        &grouped(&old.mentions, mention_task),
        &grouped(&new.mentions, mention_task),
        |it| it.range = by(it.range.start()).range(it.range),
        &mut out,
    );
    differ(
        &grouped(&old.links, link_task),
        &grouped(&new.links, link_task),
        |it| by(it.range.start()).link(it),
        &mut out,
    );
    let (archived_before, archived_after): (BTreeSet<&TaskKey>, BTreeSet<&TaskKey>) =
        (old.archived.iter().collect(), new.archived.iter().collect());
    out.extend(archived_before.symmetric_difference(&archived_after).map(|it| (*it).clone()));
    out
}

/// Whether `places` hold a phase the phase rule compares across files.
pub(super) fn has_phases_of_two_files(places: &[Place]) -> bool {
    places.iter().any(Place::is_phase_across_files)
}

pub(super) fn places_by_task(places: &[Place]) -> BTreeMap<TaskKey, Vec<&Place>> {
    let mut out: BTreeMap<TaskKey, Vec<&Place>> = BTreeMap::new();
    for place in places {
        if let Some(task) = place.task() {
            out.entry(task.clone()).or_default().push(place);
        }
    }
    out
}

/// A file's line index after `change` made its text `text`: the old one edited when one was
/// built (a keystroke in a big TODO.md would build it anew for the diagnostics it sends),
/// else none yet.
fn followed(line_index: &OnceLock<Arc<LineIndex>>, text: &str, change: Change) -> OnceLock<Arc<LineIndex>> {
    match line_index.get() {
        Some(index) => OnceLock::from(Arc::new(index.edited(text, change))),
        None => OnceLock::new(),
    }
}

/// Whether a file of `role` decides the tag of its Task Master tracker's untagged task files.
fn decides_untagged_tag(role: Role) -> bool {
    matches!(role, Role::TaskMasterTasks | Role::TaskMasterState)
}

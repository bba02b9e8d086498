//! The fields a status change writes at one place (the marker, the tag, the done mark, the
//! `**Status**` and stamp fields, the JSON keys, the counters), shared by the status change
//! planner and `edit-task`'s phase stamps ([`stamp_phase`]).

use crate::change::{Refusal, StatusChangeOptions, WorkspaceChange};
use crate::index::{PlaceRef, WorkspaceIndex};
use crate::model::{Editability, FieldInsert, FieldStyle, Place, PlaceKind};
use crate::parse::is_timestamp_field;
use crate::rules::{children, counters};
use crate::text::{TextEdit, line_ending, range};
use crate::vocabulary::{Kind, Profile, Scope, Spelling, StatusId};

/// The timestamps of a plan phase moved to `want`, in the phase's style, as the spec-folder
/// standard writes them under the phase heading: `**Started**` when it is taken up (kept once
/// set, as a task's is), and the status's own stamp (`**Completed**`, `**Blocked**`).
pub(crate) fn stamp_phase(
    index: &WorkspaceIndex,
    place_ref: PlaceRef,
    profile: &Profile,
    want: StatusId,
    now: &crate::timestamp::Now,
    change: &mut WorkspaceChange,
) -> Result<(), Refusal> {
    // Only stamps are written: a reason the status asks for is the edit's to give.
    let options = StatusChangeOptions { force: true, restamp: true, ..StatusChangeOptions::new(now.clone()) };
    let mut names: Vec<(String, bool)> = Vec::new();
    if profile.kind(want) == Kind::Active {
        names.push(("Started".to_string(), true));
    }
    if let Some(stamp) = &profile.status(want).stamp
        && !names.iter().any(|(name, _)| name.eq_ignore_ascii_case(stamp))
    {
        names.push((stamp.clone(), true));
    }
    let mut planner = Planner { index, profile, options: &options, change };
    planner.fields_named(place_ref, want, names)
}

/// Whether a stamp field keeps its first value through every later transition: when work
/// started is written once (the spec-folder standard says `**Started**` is preserved through
/// all transitions); the others (`Completed`, `Planned`, ...) say when the task last entered
/// their status.
fn kept_once_set(field: &str) -> bool {
    field.eq_ignore_ascii_case("started")
}

pub(crate) struct Planner<'a> {
    pub index: &'a WorkspaceIndex,
    pub profile: &'a Profile,
    pub options: &'a StatusChangeOptions,
    pub change: &'a mut WorkspaceChange,
}

impl Planner<'_> {
    /// Writes `target` (or the status of the place's vocabulary that agrees with it) at one
    /// place, with the fields the status asks for.
    pub(crate) fn place(&mut self, place_ref: PlaceRef, target: StatusId) -> Result<(), Refusal> {
        let place = self.index.place(place_ref);
        let Some(want) = self.status_at(place, target) else {
            // A box that cannot say it (`excluded` in compozy) keeps its state and gets a tag.
            if place.kind == PlaceKind::IndexLine
                && let Some(current) = place.status
                && !self.profile.agree(current, target, false)
            {
                self.tag(place_ref, current, target);
            }
            return Ok(());
        };
        if place.kind == PlaceKind::PlanHeader {
            self.check_plan_progress(place_ref, want)?;
        }
        let marker_changes = place.status != Some(want) || place.unknown.is_some();
        if marker_changes {
            if let Editability::ReadOnly(reason) = &place.editable {
                return Err(Refusal::NotEditable {
                    path: self.index.path(place_ref.file).to_string(),
                    reason: reason.to_string(),
                });
            }
            let Some(text) = self.profile.status(want).spelled(place.marker.spelling) else {
                self.change.warnings.push(format!(
                    "cannot write `{}` in the {} at {}",
                    self.profile.display(want),
                    place.kind.describe(),
                    self.index.path(place_ref.file)
                ));
                return Ok(());
            };
            self.change.edit(self.index, place_ref.file, TextEdit::replace(place.marker.range, text));
        }
        if place.tag.is_some() || place.kind == PlaceKind::IndexLine {
            self.tag(place_ref, want, target);
        }
        match place.kind {
            PlaceKind::TodoSection => {
                self.done_mark(place_ref, want);
                self.markdown_fields(place_ref, want)?;
                if marker_changes {
                    self.counters(place_ref, want);
                }
            }
            PlaceKind::StateJson => {
                self.json_fields(place_ref, want);
                if marker_changes {
                    self.counters(place_ref, want);
                }
            }
            PlaceKind::TaskStateJson => self.json_fields(place_ref, want),
            PlaceKind::TaskJson if marker_changes => self.tag_counts(place_ref, want),
            PlaceKind::Frontmatter => {
                self.touch_updated(place_ref, "updated_date");
                if marker_changes {
                    self.folder_counts(place_ref, want);
                }
            }
            // Conductor writes `updated_at` (the plugin's tracks `updated`) with each change.
            PlaceKind::TrackMetadata => {
                self.touch_updated(place_ref, "updated_at");
                self.touch_updated(place_ref, "updated");
            }
            _ => {}
        }
        Ok(())
    }

    /// The status to write at `place`, or `None` when it already says the right thing. Places
    /// in the task vocabulary take the target itself; the others (a plan header, checkboxes,
    /// spec words) change only when they disagree, to the closest status they can spell.
    fn status_at(&self, place: &Place, target: StatusId) -> Option<StatusId> {
        let want = if place.kind.task_vocabulary() {
            self.profile.equivalent(target, place.marker.spelling, place.marker.scope)?
        } else {
            // A status of no known kind (learned `[PR READY]`) agrees with anything, but a place
            // that writes one is the tracker's own word for where the task was: it follows the
            // task out of it, or it would be left with a word the tracker may stop using (a
            // learned status is learned from its uses) and become unreadable.
            let opaque = place.status.is_some_and(|it| it != target && self.profile.status(it).opaque);
            if place.unknown.is_none()
                && !opaque
                && place.status.is_some_and(|it| self.profile.agree(it, target, false))
            {
                return None;
            }
            if place.kind == PlaceKind::PlanHeader && place.marker.spelling == Spelling::Bracket {
                children::representative(self.profile, self.profile.kind(target), Spelling::Bracket)
                    .or_else(|| self.profile.equivalent(target, Spelling::Bracket, Scope::Task))?
            } else {
                self.profile.equivalent(target, place.marker.spelling, place.marker.scope)?
            }
        };
        (place.status != Some(want) || place.unknown.is_some() || place.tag.is_some()).then_some(want)
    }

    /// A plan header must not fall behind its phases.
    fn check_plan_progress(&self, place_ref: PlaceRef, want: StatusId) -> Result<(), Refusal> {
        if self.options.force {
            return Ok(());
        }
        let parsed = self.index.parsed(place_ref.file);
        let place = self.index.place(place_ref);
        let kinds = place
            .child_places
            .iter()
            .filter_map(|it| parsed.places.get(it))
            .filter_map(|it| it.status.map(|status| self.profile.kind(status)));
        let Some(derived) = children::derived_kind(kinds) else { return Ok(()) };
        // A header already behind its phases is a problem the task had before this change (it
        // is reported, and `fix` catches it up): the change is refused only for moving it
        // further back, not for leaving it behind, or undoing one's own change would be refused.
        let now = place.status.filter(|_| place.unknown.is_none()).map(|it| self.profile.kind(it).progress());
        let floor = now.map_or(derived.progress(), |it| it.min(derived.progress()));
        if self.profile.kind(want).progress() < floor {
            return Err(Refusal::PlanAhead {
                task: place.task().cloned().unwrap_or_else(|| crate::model::TaskKey::new("", "")),
                path: self.index.path(place_ref.file).to_string(),
                phases: derived.as_str().to_string(),
            });
        }
        Ok(())
    }

    /// compozy's `[DEFERRED]` tag after an index line: kept in step with the checkbox.
    fn tag(&mut self, place_ref: PlaceRef, want: StatusId, target: StatusId) {
        let place = self.index.place(place_ref);
        let line_text = &self.index.text(place_ref.file)[place.line];
        let checkbox_says_it = want == target;
        match &place.tag {
            Some(tag) if checkbox_says_it || self.profile.status(target).marker.is_none() => {
                // Remove the tag and the space before it.
                let start = usize::from(tag.range.start());
                let spaces = self.index.text(place_ref.file)[..start].len()
                    - self.index.text(place_ref.file)[..start].trim_end_matches([' ', '\t']).len();
                self.change.edit(
                    self.index,
                    place_ref.file,
                    TextEdit::replace(range(start - spaces, usize::from(tag.range.end())), ""),
                );
            }
            Some(tag) => {
                if let Some(text) = self.profile.status(target).spelled(Spelling::Bracket) {
                    self.change.edit(self.index, place_ref.file, TextEdit::replace(tag.range, text));
                }
            }
            None if !self.profile.agree(want, target, false) => {
                if let Some(text) = self.profile.status(target).spelled(Spelling::Bracket) {
                    let end = place.line.start() + crate::text::size(line_text.trim_end().len());
                    self.change.edit(self.index, place_ref.file, TextEdit::insert(end, format!(" {text}")));
                }
            }
            None => {}
        }
    }

    /// `### ✓ 221.`: files that mark done tasks in the heading keep doing so.
    fn done_mark(&mut self, place_ref: PlaceRef, want: StatusId) {
        let place = self.index.place(place_ref);
        let done = self.profile.kind(want) == Kind::Done;
        let text = self.index.text(place_ref.file);
        match (place.done_mark, done) {
            (Some(mark), false) => {
                let end = usize::from(mark.end());
                let spaces = text[end..].len() - text[end..].trim_start_matches([' ', '\t']).len();
                self.change.edit(
                    self.index,
                    place_ref.file,
                    TextEdit::replace(range(usize::from(mark.start()), end + spaces), ""),
                );
            }
            (None, true) => {
                let parsed = self.index.parsed(place_ref.file);
                let style = parsed.places.iter().find_map(|it| it.done_mark).map(|it| text[it].to_string());
                if let (Some(style), Some(number)) = (style, place.heading_number) {
                    self.change.edit(self.index, place_ref.file, TextEdit::insert(number.start(), format!("{style} ")));
                }
            }
            _ => {}
        }
    }

    /// The stamp of the new status and the fields it requires, in a TODO.md section.
    fn markdown_fields(&mut self, place_ref: PlaceRef, want: StatusId) -> Result<(), Refusal> {
        let place = self.index.place(place_ref);
        let def = self.profile.status(want);
        let mut names: Vec<(String, bool)> = def.stamp.iter().map(|it| (it.clone(), true)).collect();
        for requirement in &def.requires {
            let present =
                requirement.any_of.iter().any(|name| place.field(name).is_some_and(|it| !it.value.trim().is_empty()));
            let first = &requirement.any_of[0];
            if !present && !names.iter().any(|(name, _)| name.eq_ignore_ascii_case(first)) {
                names.push((first.clone(), false));
            }
        }
        self.fields_named(place_ref, want, names)
    }

    /// Writes `names` (`true`: a stamp of the status) at a markdown place: a timestamp now, any
    /// other field the reason; an existing stamp is replaced unless it keeps its first value.
    fn fields_named(&mut self, place_ref: PlaceRef, want: StatusId, names: Vec<(String, bool)>) -> Result<(), Refusal> {
        let place = self.index.place(place_ref);
        let Some(FieldInsert { at, style: FieldStyle::Markdown { prefix, date_only } }) = &place.field_insert else {
            return Ok(());
        };
        let def = self.profile.status(want);
        let eol = line_ending(self.index.text(place_ref.file));
        let mut inserted = String::new();
        for (name, is_stamp) in names {
            let value = if is_timestamp_field(&name) {
                if *date_only { self.options.now.date.clone() } else { self.options.now.timestamp.clone() }
            } else {
                match &self.options.reason {
                    Some(reason) => reason.clone(),
                    None if self.options.force => {
                        self.change.warnings.push(format!("`{}` asks for a **{name}**; none was given", def.display()));
                        continue;
                    }
                    None => return Err(Refusal::NeedsReason { status: def.display(), field: name }),
                }
            };
            match place.field(&name) {
                Some(existing) => {
                    let replace = if is_stamp {
                        (self.options.restamp && !kept_once_set(&name)) || existing.value.trim().is_empty()
                    } else {
                        self.options.reason.is_some()
                    };
                    // A stamp keeps the shape it has (a date stays a date).
                    let value = match existing.value.trim().len() {
                        1..=10 if is_timestamp_field(&name) => self.options.now.date.clone(),
                        _ => value,
                    };
                    if replace && existing.value != value {
                        self.change.edit(self.index, place_ref.file, TextEdit::replace(existing.value_range, value));
                    }
                }
                None => inserted.push_str(&format!("{eol}{prefix}**{name}**: {value}")),
            }
        }
        if !inserted.is_empty() {
            self.change.edit(self.index, place_ref.file, TextEdit::insert(*at, inserted));
        }
        Ok(())
    }

    /// The stamp of the new status (`"completed": "..."`) and `last_updated` in a state.json entry.
    fn json_fields(&mut self, place_ref: PlaceRef, want: StatusId) {
        let place = self.index.place(place_ref);
        // Follow the entry's own timestamps; with none to follow, write ISO 8601 like state.json does.
        let mut stamps = place.fields.iter().filter(|it| crate::parse::is_timestamp_key(&it.name)).peekable();
        let date_only = stamps.peek().is_some() && stamps.all(|it| it.value.len() <= 10);
        let now = if date_only { &self.options.now.date } else { &self.options.now.timestamp };
        if let Some(stamp) = &self.profile.status(want).stamp {
            let key = stamp.to_ascii_lowercase();
            match place.field(&key) {
                Some(existing) if self.options.restamp && !kept_once_set(&key) => {
                    // A stamp keeps its own shape: a date stays a date in an entry that also
                    // holds full timestamps (`"started": "2025-12-28"` beside `"created": "...Z"`).
                    let now =
                        if existing.value.len() <= 10 { &self.options.now.date } else { &self.options.now.timestamp };
                    if existing.value != *now {
                        self.change.edit(
                            self.index,
                            place_ref.file,
                            TextEdit::replace(existing.value_range, now.clone()),
                        );
                    }
                }
                Some(_) => {}
                None => {
                    if let Some(FieldInsert { style: FieldStyle::Json { indent, after, inline }, .. }) =
                        &place.field_insert
                    {
                        let separator = if *inline {
                            " ".to_string()
                        } else {
                            format!("{}{indent}", line_ending(self.index.text(place_ref.file)))
                        };
                        self.change.edit(
                            self.index,
                            place_ref.file,
                            TextEdit::insert(*after, format!(",{separator}\"{key}\": \"{now}\"")),
                        );
                    }
                }
            }
        }
        if let Some(updated) = place.field("last_updated") {
            let value = if updated.value.len() > 10 {
                self.options.now.timestamp.clone()
            } else {
                self.options.now.date.clone()
            };
            if updated.value != value {
                self.change.edit(self.index, place_ref.file, TextEdit::replace(updated.value_range, value));
            }
        }
    }

    /// Backlog.md's `updated_date`, in the shape it already has.
    fn touch_updated(&mut self, place_ref: PlaceRef, name: &str) {
        let place = self.index.place(place_ref);
        let Some(updated) = place.field(name) else { return };
        let now = &self.options.now;
        let value = match updated.value.len() {
            10 => now.date.clone(),
            16 => format!("{} {}", now.date, &now.timestamp.get(11..16).unwrap_or("00:00")),
            _ => now.timestamp.clone(),
        };
        if updated.value != value {
            self.change.edit(self.index, place_ref.file, TextEdit::replace(updated.value_range, value));
        }
    }

    /// Keeps `task_counts` in step with a section whose status changes, when they were right.
    fn counters(&mut self, place_ref: PlaceRef, want: StatusId) {
        let place = self.index.place(place_ref);
        let Some(old) = place.status else { return };
        let expectations = counters::expectations(self.index, place_ref.file);
        let mut stale = false;
        for expectation in &expectations {
            let key = expectation.counter.key.as_str();
            let delta: i64 = if key == "active" && expectation.kept() != expectation.expected {
                // It counts the entries of `active_projects`: a status change keeps them.
                0
            } else if key == "active" {
                let active = |id: StatusId| self.profile.counts_as_active(id);
                i64::from(active(want)) - i64::from(active(old))
            } else if let Some(status) = self.profile.ids().find(|it| {
                let def = self.profile.status(*it);
                def.task && (def.json.as_deref() == Some(key) || def.id == key)
            }) {
                i64::from(status == want) - i64::from(status == old)
            } else {
                continue;
            };
            if delta == 0 {
                continue;
            }
            if !expectation.at_least && expectation.is_stale() {
                stale = true;
                continue;
            }
            let value = (expectation.counter.value as i64 + delta).max(0);
            self.change.edit(
                self.index,
                place_ref.file,
                TextEdit::replace(expectation.counter.range, value.to_string()),
            );
        }
        if stale {
            self.change.warnings.push(format!(
                "task_counts in {} were already stale and were left alone; `taskmark fix --code stale-counts` recomputes them",
                self.index.path(place_ref.file)
            ));
        }
    }

    /// Task Master's `completedCount` of the task's tag follows it in or out of done
    /// (`taskCount` stays: the task does), unless it was stale already.
    fn tag_counts(&mut self, place_ref: PlaceRef, want: StatusId) {
        let place = self.index.place(place_ref);
        let (Some(old), Some(task)) = (place.status, place.task()) else { return };
        let done = |id: StatusId| self.profile.kind(id) == Kind::Done;
        let delta = i64::from(done(want)) - i64::from(done(old));
        let Some(counters) = self.index.parsed(place_ref.file).counters.as_ref() else { return };
        if delta == 0 || counters.tag_counts.is_empty() {
            return;
        }
        let expectations = counters::expectations(self.index, place_ref.file);
        let counted = counters.tag_counts.iter().filter(|it| {
            it.counted == crate::model::TagCounted::Completed && crate::parse::taskmaster::is_tag_task(&it.tag, task)
        });
        for count in counted {
            let Some(expectation) = expectations.iter().find(|it| it.counter == count.counter) else { continue };
            if expectation.is_stale() {
                self.change.warnings.push(format!(
                    "{}'s completedCount in {} was already stale and was left alone; `taskmark fix --code stale-counts` recomputes it",
                    count.tag,
                    self.index.path(place_ref.file)
                ));
                continue;
            }
            let value = (count.counter.value as i64 + delta).max(0);
            self.change.edit(self.index, place_ref.file, TextEdit::replace(count.counter.range, value.to_string()));
        }
    }

    /// compozy's `_meta.md` beside the task file follows it: `Completed` in or out of done,
    /// `Pending` in or out of not begun where it is judged (`FolderTally::expected`).
    /// A counter already stale is left alone and said.
    fn folder_counts(&mut self, place_ref: PlaceRef, want: StatusId) {
        let Some(entry) = self.index.entry(place_ref.file) else { return };
        if entry.class.role != crate::layout::Role::CompozyTask {
            return;
        }
        let Some(old) = self.index.place(place_ref).status else { return };
        let meta_path = format!("{}/_meta.md", entry.class.root);
        let Some(meta) = self.index.file_id(&meta_path) else { return };
        let Some(counters) = self.index.parsed(meta).counters.as_ref() else { return };
        let kind = |id: StatusId| self.profile.kind(id);
        let moved = |counted: Kind| i64::from(kind(want) == counted) - i64::from(kind(old) == counted);
        let before = counters::folder_tally(self.index, &entry.class.root, self.profile);
        let shifted = |count: usize, counted: Kind| (count as i64 + moved(counted)).max(0) as usize;
        let after = counters::FolderTally {
            total: before.total,
            done: shifted(before.done, Kind::Done),
            not_begun: shifted(before.not_begun, Kind::Todo),
        };
        // A status change moves no task file in or out of the folder: its total stays.
        let moving = counters.folder_counts.iter().filter(|it| it.counted != crate::model::FolderCounted::Tasks);
        for count in moving {
            let Some(expected) = after.expected(count.counted) else { continue };
            if count.counter.value == expected as u64 {
                continue;
            }
            if before.expected(count.counted).is_some_and(|it| it as u64 != count.counter.value) {
                self.change.warnings.push(format!(
                    "{} in {meta_path} was already stale and was left alone; `taskmark fix --code stale-counts` recomputes it",
                    count.counter.key
                ));
                continue;
            }
            self.change.edit(self.index, meta, TextEdit::replace(count.counter.range, expected.to_string()));
        }
    }

    /// A task finished over open phases: said (an abandoned task's open phases are moot).
    pub(crate) fn warn_about_children(&mut self, task: &crate::model::TaskKey, target: StatusId) {
        if self.profile.kind(target) != Kind::Done {
            return;
        }
        let Some(plan) = self.index.task(task).and_then(|it| it.current_plan) else { return };
        let open = self
            .index
            .parsed(plan)
            .places
            .iter()
            .filter(|it| it.kind == PlaceKind::PlanPhase)
            .filter(|it| it.status.is_some_and(|status| !self.profile.kind(status).is_closed()))
            .count();
        if open > 0 {
            self.change.warnings.push(format!("{} still has {open} open phases", self.index.path(plan)));
        }
    }

    pub(crate) fn warn_about_dependencies(&mut self, task: &crate::model::TaskKey, target: StatusId) {
        if !matches!(self.profile.kind(target), Kind::Active | Kind::Done) {
            return;
        }
        let Some(entry) = self.index.task(task) else { return };
        let mut seen = Vec::new();
        for place_ref in &entry.places {
            for dependency in &self.index.place(*place_ref).dependencies {
                let key = crate::model::TaskKey::new(task.scope.clone(), dependency.id.clone());
                if seen.contains(&key) {
                    continue;
                }
                if let Some((place, status)) = self.index.task_status(&key)
                    && self.profile.kind(status) != Kind::Done
                {
                    self.change
                        .warnings
                        .push(format!("depends on task {key}, which is `{}`", self.index.place(place).shown()));
                }
                seen.push(key);
            }
        }
    }
}

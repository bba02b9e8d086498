//! Each tracker's vocabulary: its profile, the repository's status standard it follows, and
//! the conventions learned from its own files; files re-parsed when a vocabulary changed.

use super::*;
use crate::vocabulary::{Kind, StatusId};

impl WorkspaceIndex {
    /// Recomputes every tracker's vocabulary and re-parses all tracker files: needed when a
    /// vocabulary source changed.
    pub(super) fn rebuild_trackers(&mut self) {
        let texts: HashMap<String, Arc<str>> =
            self.entries().map(|(_, it)| (it.path.clone(), it.text.clone())).collect();
        let prose: Vec<(String, Parsed)> = self
            .entries()
            .filter(|(_, it)| it.class.role == Role::Prose)
            .map(|(_, it)| (it.path.clone(), it.parsed.clone()))
            .collect();
        let paths: Vec<String> = texts.keys().cloned().collect();
        let mut rebuilt = WorkspaceIndex::parse_all(paths, &self.vocabularies, |path| texts.get(path).cloned());
        // Prose texts are not kept; their parse does not depend on vocabularies (and holds the
        // standards the trackers read next).
        for (path, parsed) in prose {
            if let Some(id) = rebuilt.by_path.get(&path).copied()
                && let Some(entry) = Arc::make_mut(&mut rebuilt.files)[id.0 as usize].as_mut()
            {
                Arc::make_mut(entry).parsed = parsed;
            }
        }
        rebuilt.adapt_vocabularies(None);
        rebuilt.rebuild_tasks();
        *self = rebuilt;
    }

    /// The status standards the configuration lets trackers follow, with their paths.
    pub(super) fn standards(&self) -> Vec<(String, StatusStandard)> {
        select_standards(
            self.entries().filter_map(|(_, it)| Some((it.path.as_str(), it.parsed.standard.as_deref()?))),
            &self.vocabularies.standard,
        )
    }

    /// Reads the vocabulary of each tracker (of `only`, when given) from its repository's
    /// standard and its own files, over its profile; re-parses the files of every tracker whose
    /// vocabulary changed. Returns whether one did. Nothing is re-parsed when no tracker has a
    /// standard or a convention, which is most workspaces.
    pub(super) fn adapt_vocabularies(&mut self, only: Option<usize>) -> bool {
        let standards = self.standards();
        // Each tracker's files, in one pass over the workspace (it may hold hundreds of
        // checklist trackers).
        let mut files_of: Vec<Vec<&FileEntry>> = vec![Vec::new(); self.trackers.len()];
        for (_, entry) in self.entries() {
            if let Some(tracker) = entry.tracker.filter(|it| only.is_none_or(|only| only == *it)) {
                files_of[tracker].push(entry);
            }
        }
        let learn = |(position, files): (usize, &Vec<&FileEntry>)| {
            let habits = habits(&self.trackers[position].profile, files);
            let (profile, standard, learned, weighed) = self.own_vocabulary(position, files, &standards);
            (position, ((profile, standard, learned), habits, LastLearning(Some(Arc::new(weighed)))))
        };
        // Trackers learn their vocabularies apart from one another; one tracker (a file of it
        // changed) on this thread, without waking the pool for nothing.
        let adapted: Vec<_> = match only {
            Some(position) => files_of.get(position).map(|files| learn((position, files))).into_iter().collect(),
            None => files_of.par_iter().enumerate().map(learn).collect(),
        };
        let mut changed: Vec<usize> = Vec::new();
        let mut habits_changed = false;
        for (position, ((profile, standard, learned), habits, last_learning)) in adapted {
            let tracker = &mut self.trackers[position];
            tracker.last_learning = last_learning;
            tracker.choice.standard = standard;
            tracker.choice.learned = learned;
            if tracker.habits != habits {
                tracker.habits = habits;
                habits_changed = true;
            }
            // Most trackers have neither a standard nor a convention: their profile is still
            // their base, the same allocation, and nothing is compared.
            if !Arc::ptr_eq(&tracker.profile, &profile) && *tracker.profile != *profile {
                tracker.profile = profile;
                changed.push(position);
                // Read in the vocabulary before: not known in this one until it learns again.
                tracker.last_learning = LastLearning::default();
            }
        }
        // A habit that came or went changes no parse, only diagnostics: the caller recomputes
        // them all, as after a new vocabulary.
        if changed.is_empty() {
            return habits_changed;
        }
        let trackers = &self.trackers;
        let jobs: Vec<(FileId, Arc<FileEntry>)> = self
            .entries()
            .filter(|(_, it)| it.tracker.is_some_and(|tracker| changed.contains(&tracker)))
            .filter_map(|(id, _)| Some((id, Arc::clone(self.files[id.0 as usize].as_ref()?))))
            .collect();
        let parsed: Vec<(FileId, FileEntry)> = jobs
            .into_par_iter()
            .map(|(id, old)| {
                let tracker = old.tracker.map(|it| (it, &trackers[it]));
                (id, parse_entry(old.path.clone(), old.text.clone(), old.class.clone(), tracker))
            })
            .collect();
        for (id, entry) in parsed {
            Arc::make_mut(&mut self.files)[id.0 as usize] = Some(Arc::new(entry));
        }
        true
    }

    /// A tracker's profile with the standard that applies to it, and which one that is.
    pub(super) fn with_standard(
        &self,
        position: usize,
        standards: &[(String, StatusStandard)],
    ) -> (Arc<Profile>, StandardUse) {
        let base = &self.trackers[position].base;
        // A standard of bracketed markers says nothing to a tracker of checkboxes or words.
        let brackets = base.statuses.iter().any(|it| it.marker.is_some());
        let choice = match (&self.vocabularies.standard, standards) {
            (_, _) if !brackets => StandardChoice::None,
            (StandardSetting::Path(_), [(path, standard), ..]) => StandardChoice::Chosen(path, standard),
            _ => conventions::choose_standard(&self.trackers[position].root, standards),
        };
        match choice {
            StandardChoice::Chosen(path, standard) => (
                Arc::new(conventions::apply_standard(base, standard)),
                StandardUse::Applied {
                    path: path.to_string(),
                    line: standard.line,
                    markers: standard.markers.iter().map(|it| format!("[{}]", it.marker)).collect(),
                },
            ),
            StandardChoice::Ambiguous(paths) => {
                (Arc::clone(base), StandardUse::Ambiguous(paths.into_iter().map(str::to_string).collect()))
            }
            StandardChoice::None => (Arc::clone(base), StandardUse::None),
        }
    }

    /// A tracker's profile with the standard that applies to it and the markers it uses
    /// consistently.
    pub(super) fn own_vocabulary(
        &self,
        position: usize,
        files: &[&FileEntry],
        standards: &[(String, StatusStandard)],
    ) -> (Arc<Profile>, StandardUse, Vec<conventions::Learned>, Weighed) {
        let (with_standard, standard) = self.with_standard(position, standards);
        let tracker = &self.trackers[position];
        let Some(min_places) = self.vocabularies.learn_min_places else {
            let weighed = Weighed::of(Vec::new(), Arc::clone(&with_standard));
            return (with_standard, standard, Vec::new(), weighed);
        };
        // Only markers the current vocabulary does not know plainly can be conventions: the
        // rest are read the same with or without them.
        let current = &tracker.profile;
        let written: Vec<Written<'_>> = files.iter().flat_map(|entry| convention_candidates(current, entry)).collect();
        // How many places write a status in one of its own spellings, for an alias that might
        // be a habit rather than drift; kept, with what it was weighed against, so that a
        // change elsewhere follows it by difference.
        let weighings = std::cell::RefCell::new(Vec::new());
        let standard_uses = |status: StatusId, spellings: &[Spelling], alias_places: usize| {
            let def = with_standard.status(status);
            let uses = files
                .iter()
                .map(|entry| own_uses(def, status, spellings, &entry.parsed.places, &entry.parsed.items))
                .sum();
            weighings.borrow_mut().push(Weighing { status, spellings: spellings.to_vec(), alias_places, uses });
            uses
        };
        let learned = conventions::learn(&with_standard, written.into_iter(), min_places, standard_uses);
        let weighed = Weighed::of(weighings.into_inner(), Arc::clone(&with_standard));
        if learned.is_empty() {
            return (with_standard, standard, learned, weighed);
        }
        let profile = conventions::apply_learned(Arc::unwrap_or_clone(with_standard), &learned);
        (Arc::new(profile), standard, learned, weighed)
    }

    pub(super) fn backlog_statuses(&self, root: &str, replacing: Option<(&str, &str)>) -> Option<Vec<String>> {
        let config_path = format!("{}config.yml", if root.is_empty() { String::new() } else { format!("{root}/") });
        let text = match replacing {
            Some((path, text)) if path == config_path => text.to_string(),
            _ => self.by_path.get(&config_path).and_then(|id| self.entry(*id)).map(|it| it.text.to_string())?,
        };
        parse::backlog_statuses(&text).ok()
    }
}

/// The documents among `documents` the configuration lets trackers follow as standards: the
/// one it names, or (by default) every one that says what it is and is no task's own report.
pub(super) fn select_standards<'a>(
    documents: impl Iterator<Item = (&'a str, &'a StatusStandard)>,
    setting: &StandardSetting,
) -> Vec<(String, StatusStandard)> {
    let chosen = |path: &str, standard: &StatusStandard| match setting {
        StandardSetting::Off => false,
        StandardSetting::Path(wanted) => path == wanted,
        StandardSetting::Auto => standard.titled && conventions::may_be_standard(path),
    };
    let mut out: Vec<(String, StatusStandard)> =
        documents.filter(|(path, it)| chosen(path, it)).map(|(path, it)| (path.to_string(), it.clone())).collect();
    // In path order, whichever order the documents came in.
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// How a tracker usually writes a status at one kind of place, where one of its places writes
/// it another way (`Done` in 33 todo files, `Complete` in one): one status, two spellings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Habit {
    pub kind: PlaceKind,
    pub role: Role,
    pub status: StatusId,
    /// The usual word as most places write it (`Done`).
    pub usual: String,
    /// How many places write the usual word, in any case.
    pub places: usize,
    /// The other words, lower-case, each written at a third as many places or fewer.
    pub others: Vec<String>,
}

/// A habit needs this many places: two are a coincidence.
const MIN_HABIT_PLACES: usize = 3;

/// The usual word outnumbers each other one at least this many times: a tracker that writes
/// `Done` and `Complete` about equally has two habits, not one habit and drift.
const HABIT_MARGIN: usize = 3;

/// The statuses `files` write two ways at one kind of place, read in `profile`. Only word
/// spellings count (`**Status:** Done`, `"status": "completed"`): a bracket marker's other
/// spelling is an alias `unknown-status` reports, and a box has one character.
pub(super) fn habits(profile: &Profile, files: &[&FileEntry]) -> Vec<Habit> {
    // Per (kind, role, status): lower-case word -> (places, the spellings as written, each with
    // its uses).
    type Words = BTreeMap<String, (usize, BTreeMap<String, usize>)>;
    // By the file's role too: two documents may keep tables of one kind in words of their own
    // (GSD's ROADMAP.md says `Complete`, an older STATE.md `Verified`).
    let mut seen: BTreeMap<(PlaceKind, Role, StatusId), Words> = BTreeMap::new();
    for entry in files {
        for place in entry.parsed.places.iter().filter(|it| takes_habit(profile, it)) {
            let Some(status) = place.status else { continue };
            let words = seen.entry((place.kind, entry.class.role, status)).or_default();
            let text = place.marker.text.trim();
            let (places, written) = words.entry(text.to_lowercase()).or_default();
            *places += 1;
            *written.entry(text.to_string()).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    for ((kind, role, status), words) in seen {
        if words.len() < 2 {
            continue;
        }
        let Some((usual_key, (places, written))) = words.iter().max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.0.cmp(a.0)))
        else {
            continue;
        };
        let others: Vec<String> = words
            .iter()
            .filter(|(word, (uses, _))| *word != usual_key && uses * HABIT_MARGIN <= *places)
            .map(|(word, _)| word.clone())
            .collect();
        if *places < MIN_HABIT_PLACES || others.is_empty() {
            continue;
        }
        let usual = written.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|it| it.0.clone());
        out.push(Habit {
            kind,
            role,
            status,
            usual: usual.unwrap_or_else(|| usual_key.clone()),
            places: *places,
            others,
        });
    }
    out
}

/// Whether a place's word counts towards its tracker's habits: a status word a person or tool
/// wrote (not a folder or a count taskmark reads) that says the work is done, where the
/// vocabulary has more than one such word. Only done: its words are synonyms (`Done`,
/// `Complete`, `completed`), where one status of another kind may gather a tool's distinct
/// states (GSD's debug sessions are `investigating`, then `diagnosed`: both under way).
pub(super) fn takes_habit(profile: &Profile, place: &Place) -> bool {
    place.marker.spelling == Spelling::Word
        && !matches!(
            place.kind,
            PlaceKind::StatusFolder
                | PlaceKind::PlanProgress
                | PlaceKind::SummaryFile
                | PlaceKind::StatePosition
                | PlaceKind::SyncRecord
        )
        && place.status.is_some_and(|it| {
            let status = profile.status(it);
            status.kind == Kind::Done && status.words.len() > 1
        })
}

/// Whether a marker read in `profile` could be, or is, one of the tracker's learned conventions:
/// unknown to it, or known only through what was learned.
pub(super) fn counts_for_conventions(
    profile: &Profile,
    status: Option<crate::vocabulary::StatusId>,
    unknown: bool,
    text: &str,
) -> bool {
    unknown
        || status.is_some_and(|it| profile.status(it).origin == Origin::Learned)
        || profile.conventions.iter().any(|it| it.text == text)
}

/// What one file gives its tracker's vocabulary to learn from ([`WorkspaceIndex::adapt_vocabularies`]
/// reads no more of it): each place's marker, what it states and of what, and each box's
/// character and status, in file order. The conventions learned (an alias weighed against the
/// status's own spelling at every place), the habits (by kind of place) and what counts as a
/// candidate all come from these, so a file whose share is as it was leaves the vocabulary as
/// it was.
#[derive(PartialEq, Eq)]
pub(super) struct LearningShare<'a> {
    places: Vec<PlaceShare<'a>>,
    items: Vec<(char, Option<StatusId>, bool)>,
}

/// One place as learning reads it.
#[derive(PartialEq, Eq)]
struct PlaceShare<'a> {
    subject: &'a Subject,
    kind: PlaceKind,
    status: Option<StatusId>,
    unknown: bool,
    marker: &'a str,
    spelling: Spelling,
    scope: Scope,
}

impl<'a> LearningShare<'a> {
    pub(super) fn of(entry: &'a FileEntry) -> LearningShare<'a> {
        let parsed = &entry.parsed;
        LearningShare {
            places: parsed
                .places
                .iter()
                .map(|it| PlaceShare {
                    subject: &it.subject,
                    kind: it.kind,
                    status: it.status,
                    unknown: it.unknown.is_some(),
                    marker: it.marker.text.as_str(),
                    spelling: it.marker.spelling,
                    scope: it.marker.scope,
                })
                .collect(),
            items: parsed.items.iter().map(|it| (it.state, it.status, it.unknown.is_some())).collect(),
        }
    }
}

/// What a tracker's last learning read beyond each file's own candidate markers and habit
/// places, kept so that a file's change that cannot alter it skips the walk over all the
/// tracker's files (a status change written to a plan, the common case): the statuses an alias
/// was weighed against (how often each is written in its own spelling), with the counts. Unknown
/// until the tracker learnt in the vocabulary it reads in now. A cache: trackers compare equal
/// whatever it holds.
#[derive(Clone, Default)]
pub struct LastLearning(Option<Arc<Weighed>>);

/// The aliases a learning weighed against their statuses' own spellings.
pub(super) struct Weighed {
    /// The statuses, sorted, once each.
    statuses: Vec<StatusId>,
    weighings: Vec<Weighing>,
    /// The vocabulary they were weighed in, which says what each status's own spellings are.
    profile: Arc<Profile>,
}

/// One alias weighed: how many places write it, and how many write its status in the status's
/// own spellings of the alias's kinds.
#[derive(Clone)]
struct Weighing {
    status: StatusId,
    spellings: Vec<Spelling>,
    alias_places: usize,
    uses: usize,
}

impl Weighing {
    /// Whether the alias is learnt (it outnumbers its status's own spelling): as
    /// `conventions::learn` decides.
    fn learnt(&self, uses: usize) -> bool {
        self.alias_places > uses
    }
}

impl Weighed {
    fn of(weighings: Vec<Weighing>, profile: Arc<Profile>) -> Weighed {
        let mut statuses: Vec<StatusId> = weighings.iter().map(|it| it.status).collect();
        statuses.sort_unstable();
        statuses.dedup();
        Weighed { statuses, weighings, profile }
    }
}

/// How many of `places` and `items` write `status` (defined as `def`) in one of `spellings` as
/// its own.
fn own_uses(
    def: &crate::vocabulary::StatusDef,
    status: StatusId,
    spellings: &[Spelling],
    places: &[Place],
    items: &[crate::model::Item],
) -> usize {
    let own = |spelling: Spelling, text: &str| match spelling {
        Spelling::Bracket => {
            def.marker.as_deref().is_some_and(|it| text.get(1..text.len().saturating_sub(1)) == Some(it))
        }
        Spelling::Json => def.json.as_deref() == Some(text),
        Spelling::Word => def.words.iter().any(|it| it.eq_ignore_ascii_case(text)),
        Spelling::Checkbox => text.chars().next().is_some_and(|it| def.checkbox.contains(&it)),
    };
    let places = places.iter().filter(|it| {
        it.status == Some(status) && spellings.contains(&it.marker.spelling) && own(it.marker.spelling, &it.marker.text)
    });
    let boxes = spellings.contains(&Spelling::Checkbox);
    let items = items.iter().filter(|it| boxes && it.status == Some(status) && def.checkbox.contains(&it.state));
    places.count() + items.count()
}

impl PartialEq for LastLearning {
    fn eq(&self, _: &LastLearning) -> bool {
        true
    }
}

impl Eq for LastLearning {}

impl std::fmt::Debug for LastLearning {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("LastLearning(..)")
    }
}

impl LastLearning {
    /// [`LastLearning::followed`] in place: whether the edit was followed (else the tracker
    /// must learn again, and this is as it was).
    pub(super) fn follow(
        &mut self,
        profile: &Profile,
        before: (&[Place], &[crate::model::Item]),
        after: (&[Place], &[crate::model::Item]),
    ) -> bool {
        match self.followed(profile, before, after) {
            Some(followed) => {
                *self = followed;
                true
            }
            None => false,
        }
    }

    /// The statuses the last learning weighed, when it is known.
    pub(crate) fn weighed(&self) -> Option<&[StatusId]> {
        self.0.as_deref().map(|it| it.statuses.as_slice())
    }

    /// What the tracker learns after one of its files replaced the places and boxes `before`
    /// with `after`, when that is what it learnt last: the edit leaves every candidate and habit
    /// place as it was, and changes only how often weighed statuses are written in their own
    /// spellings, by too little to tip an alias either way (a `[COMPLETED]` set to `[BLOCKED]`
    /// in a TODO.md of 2,483 of them against 18 `[COMPLETE]`). Then this learning with the
    /// counts moved by the difference, without the walk over every file of the tracker (60 ms
    /// at 25,000 tasks); `None` when the tracker must learn again.
    pub(super) fn followed(
        &self,
        profile: &Profile,
        before: (&[Place], &[crate::model::Item]),
        after: (&[Place], &[crate::model::Item]),
    ) -> Option<LastLearning> {
        let weighed = self.0.as_deref()?;
        let boxes = |items: &[crate::model::Item]| -> Vec<(char, Option<StatusId>)> {
            items
                .iter()
                .filter(|it| {
                    counts_for_conventions(profile, it.status, it.unknown.is_some(), it.state.encode_utf8(&mut [0; 4]))
                })
                .map(|it| (it.state, it.status))
                .collect()
        };
        if learning_candidates(profile, before.0) != learning_candidates(profile, after.0)
            || habit_places(profile, before.0) != habit_places(profile, after.0)
            || boxes(before.1) != boxes(after.1)
        {
            return None;
        }
        let mut weighings = Vec::with_capacity(weighed.weighings.len());
        for weighing in &weighed.weighings {
            let (status, spellings) = (weighing.status, &weighing.spellings);
            let def = weighed.profile.status(status);
            let uses = (weighing.uses + own_uses(def, status, spellings, after.0, after.1))
                .checked_sub(own_uses(def, status, spellings, before.0, before.1))?;
            if weighing.learnt(uses) != weighing.learnt(weighing.uses) {
                return None;
            }
            weighings.push(Weighing { uses, ..weighing.clone() });
        }
        Some(LastLearning(Some(Arc::new(Weighed {
            statuses: weighed.statuses.clone(),
            weighings,
            profile: Arc::clone(&weighed.profile),
        }))))
    }
}

/// The places and boxes of `entry` that could be conventions in `profile`, as learning reads
/// them ([`WorkspaceIndex::own_vocabulary`]), in file order.
fn convention_candidates<'a>(profile: &'a Profile, entry: &'a FileEntry) -> impl Iterator<Item = Written<'a>> + 'a {
    let places = entry
        .parsed
        .places
        .iter()
        .filter(|it| counts_for_conventions(profile, it.status, it.unknown.is_some(), &it.marker.text))
        .map(|it| {
            let marker = &it.marker;
            Written { spelling: marker.spelling, text: &marker.text, scope: marker.scope, subject: Some(&it.subject) }
        });
    // A box's character is read from the item itself: its text is taken from the file (another
    // memory access per item) only for the few boxes that count.
    let items = entry
        .parsed
        .items
        .iter()
        .filter(|it| {
            counts_for_conventions(profile, it.status, it.unknown.is_some(), it.state.encode_utf8(&mut [0; 4]))
        })
        .map(|it| Written {
            spelling: Spelling::Checkbox,
            text: it.state_text(&entry.text),
            scope: Scope::Task,
            subject: None,
        });
    places.chain(items)
}

/// Whether learning may read `after` differently from `before`, one file of a tracker whose
/// last learning is `last` (see [`LastLearning`]): what learning reads of the file's own
/// candidates, of its habit places, or of its places and boxes of a status learning weighed
/// changed. Without what the tracker last learnt, any change to its [`LearningShare`].
pub(super) fn may_change_learning(
    profile: &Profile,
    last: &LastLearning,
    before: &FileEntry,
    after: &FileEntry,
) -> bool {
    let Some(weighed) = last.weighed() else {
        return LearningShare::of(before) != LearningShare::of(after);
    };
    let habit_places = |entry: &FileEntry| habit_places(profile, &entry.parsed.places);
    // How often a weighed status is written in its own spelling: every place and box of one.
    let weighed_boxes = |entry: &FileEntry| -> Vec<(StatusId, char)> {
        let of_weighed = |status: Option<StatusId>| status.filter(|it| weighed.binary_search(it).is_ok());
        entry.parsed.items.iter().filter_map(|it| Some((of_weighed(it.status)?, it.state))).collect()
    };
    !convention_candidates(profile, before).eq(convention_candidates(profile, after))
        || habit_places(before) != habit_places(after)
        || (!weighed.is_empty()
            && (places_of_statuses(&before.parsed.places, Some(weighed))
                != places_of_statuses(&after.parsed.places, Some(weighed))
                || weighed_boxes(before) != weighed_boxes(after)))
}

/// What the habits read of `places`: each habit place's kind, status and word.
fn habit_places(profile: &Profile, places: &[Place]) -> Vec<(PlaceKind, Option<StatusId>, String)> {
    places
        .iter()
        .filter(|it| takes_habit(profile, it))
        .map(|it| (it.kind, it.status, it.marker.text.trim().to_lowercase()))
        .collect()
}

/// Whether the places of one stretch of a file, replaced by others (a TODO.md section or a
/// state.json entry read again on its own), may change what their tracker learns: their
/// candidates or habit places changed ([`learning_candidates`]), or a place of a status the
/// tracker's last learning weighed (see [`LastLearning`]); any place's status or marker while
/// what it last learnt is not known.
pub(super) fn places_may_change_learning(
    profile: &Profile,
    last: &LastLearning,
    before: &[Place],
    after: &[Place],
) -> bool {
    if learning_candidates(profile, before) != learning_candidates(profile, after) {
        return true;
    }
    match last.weighed() {
        None => places_of_statuses(before, None) != places_of_statuses(after, None),
        Some(weighed) => {
            !weighed.is_empty() && places_of_statuses(before, Some(weighed)) != places_of_statuses(after, Some(weighed))
        }
    }
}

/// What learning's count of a status's own spellings reads of `places`: each one's status,
/// spelling and marker, for the statuses in `weighed` (sorted), or every one.
fn places_of_statuses<'a>(
    places: &'a [Place],
    weighed: Option<&[StatusId]>,
) -> Vec<(Option<StatusId>, Spelling, &'a str)> {
    places
        .iter()
        .filter(|it| weighed.is_none_or(|weighed| it.status.is_some_and(|it| weighed.binary_search(&it).is_ok())))
        .map(|it| (it.status, it.marker.spelling, it.marker.text.as_str()))
        .collect()
}

/// What learning reads of the places that could be conventions or habits: their markers and
/// what they state the status of, sorted.
pub(super) fn learning_candidates<'a>(profile: &Profile, places: &'a [Place]) -> Vec<(u8, bool, &'a str, &'a Subject)> {
    let mut out: Vec<(u8, bool, &str, &Subject)> = places
        .iter()
        .filter(|it| {
            counts_for_conventions(profile, it.status, it.unknown.is_some(), &it.marker.text)
                || takes_habit(profile, it)
        })
        .map(|it| (it.marker.spelling.rank(), it.marker.scope == Scope::Phase, it.marker.text.as_str(), &it.subject))
        .collect();
    out.sort();
    out
}

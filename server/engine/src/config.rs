//! `.taskmark.toml`: rule severities, file selection, tracker profiles and vocabularies.
//!
//! Parsing is pure (text in, [`Config`] or [`ConfigError`] out). Every error names the line,
//! column and key, because a configuration mistake is found by a person reading a terminal.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::{RuleCode, Severity};
use crate::layout::Family;
use crate::profiles;
use crate::vocabulary::{Agreement, Kind, Profile, Requirement, StatusDef, StatusId, TransitionTable};

pub const FILE_NAME: &str = ".taskmark.toml";

/// The effective configuration: defaults with `.taskmark.toml` applied.
#[derive(Debug, Clone)]
pub struct Config {
    severities: HashMap<RuleCode, Option<Severity>>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub respect_gitignore: bool,
    /// The most text a workspace load reads in all; files past it are skipped with a note.
    pub index_limit_bytes: u64,
    pub vocabularies: Vocabularies,
}

/// The default [`Config::index_limit_bytes`]: far above the largest real trackers (a 50,000-file
/// monorepo holds about 270 MB), low enough that a hostile or mistaken workspace cannot take the
/// machine's memory.
pub const DEFAULT_INDEX_LIMIT_MIB: u64 = 1024;

/// Which vocabulary each tracker uses: the input of parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vocabularies {
    /// Profiles by name: the built-ins, changed or joined by configuration. Shared between
    /// copies (every editor's configuration and index holds one) until one changes it.
    pub profiles: Arc<BTreeMap<String, Profile>>,
    /// The profile each family uses.
    pub family_profiles: HashMap<Family, String>,
    /// Profiles for particular tracker roots.
    pub trackers: Vec<TrackerOverride>,
    /// Whether the repository's own status standard is read, and which.
    pub standard: StandardSetting,
    /// Learn the markers a tracker uses at this many places or more (`None`: never learn).
    pub learn_min_places: Option<usize>,
}

/// `[vocabulary] standard`: which document, if any, is a repository's status standard.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StandardSetting {
    /// Found by its content and applied to the trackers nearest it.
    #[default]
    Auto,
    Off,
    /// This workspace-relative document, applied to every tracker with bracketed markers.
    Path(String),
}

/// The default of `[vocabulary] learn_min_places`: a marker on three places is a habit, one on
/// two could be a copied typo.
pub const DEFAULT_LEARN_MIN_PLACES: usize = 3;

/// Why a tracker uses the profile it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileSource {
    /// The family's built-in profile.
    BuiltIn,
    /// The family's built-in profile as `[profiles.NAME]` of `.taskmark.toml` changed it.
    EditedBuiltIn,
    /// Named in `.taskmark.toml` (`[[trackers]]` or `[families]`): the key that named it.
    Configured(String),
}

impl Default for Vocabularies {
    fn default() -> Vocabularies {
        Vocabularies {
            profiles: Arc::new(
                profiles::BUILTIN
                    .iter()
                    .filter_map(|name| Some((name.to_string(), profiles::builtin(name)?)))
                    .collect(),
            ),
            family_profiles: HashMap::new(),
            trackers: Vec::new(),
            standard: StandardSetting::Auto,
            learn_min_places: Some(DEFAULT_LEARN_MIN_PLACES),
        }
    }
}

impl Vocabularies {
    /// The profile name for a tracker rooted at `root` of `family`.
    pub fn profile_name(&self, family: Family, root: &str) -> &str {
        self.trackers
            .iter()
            .find(|it| it.root.trim_end_matches('/') == root)
            .map(|it| it.profile.as_str())
            .or_else(|| self.family_profiles.get(&family).map(String::as_str))
            .unwrap_or(crate::layout::default_profile_at(family, root))
    }

    /// Why [`Vocabularies::profile_name`] is what it is, for `config --explain`.
    pub fn profile_source(&self, family: Family, root: &str) -> ProfileSource {
        if let Some(position) = self.trackers.iter().position(|it| it.root.trim_end_matches('/') == root) {
            return ProfileSource::Configured(format!("[[trackers]] root = \"{}\"", self.trackers[position].root));
        }
        if let Some(name) = self.family_profiles.get(&family) {
            return ProfileSource::Configured(format!("[families] {} = \"{name}\"", family.as_str()));
        }
        let name = crate::layout::default_profile_at(family, root);
        match (self.profiles.get(name), profiles::builtin(name)) {
            (Some(configured), Some(builtin)) if *configured != builtin => ProfileSource::EditedBuiltIn,
            _ => ProfileSource::BuiltIn,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerOverride {
    pub root: String,
    pub profile: String,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            severities: HashMap::new(),
            include: Vec::new(),
            exclude: Vec::new(),
            respect_gitignore: true,
            index_limit_bytes: DEFAULT_INDEX_LIMIT_MIB << 20,
            vocabularies: Vocabularies::default(),
        }
    }
}

impl Config {
    /// The severity of a rule, `None` when it is off.
    pub fn severity(&self, code: RuleCode) -> Option<Severity> {
        self.severities.get(&code).copied().unwrap_or(Some(code.default_severity()))
    }

    pub fn set_severity(&mut self, code: RuleCode, severity: Option<Severity>) {
        self.severities.insert(code, severity);
    }

    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|error| {
            let span = error.span().unwrap_or(0..0);
            ConfigError::at(text, span.start, key_at(text, span.start), error.message().trim().to_string())
        })?;
        let mut config = Config::default();
        let err = |span: std::ops::Range<usize>, key: String, message: String| {
            ConfigError::at(text, span.start, key, message)
        };

        for (name, value) in raw.rules {
            let code = RuleCode::parse(name.get_ref()).ok_or_else(|| {
                err(
                    name.span(),
                    format!("rules.{}", name.get_ref()),
                    format!("unknown rule; the rules are {}", RuleCode::ALL.map(|it| it.as_str()).join(", ")),
                )
            })?;
            let severity = match value.get_ref().as_str() {
                "off" => None,
                other => Some(Severity::parse(other).ok_or_else(|| {
                    err(
                        value.span(),
                        format!("rules.{}", name.get_ref()),
                        format!("unknown severity `{other}`; use error, warning, info, hint or off"),
                    )
                })?),
            };
            config.severities.insert(code, severity);
        }
        for (key, patterns) in [("include", &raw.include), ("exclude", &raw.exclude)] {
            for pattern in patterns {
                globset::Glob::new(pattern.get_ref())
                    .map_err(|error| err(pattern.span(), key.to_string(), format!("invalid glob: {}", error.kind())))?;
            }
        }
        config.include = raw.include.into_iter().map(Spanned::into_inner).collect();
        config.exclude = raw.exclude.into_iter().map(Spanned::into_inner).collect();
        if let Some(respect) = raw.respect_gitignore {
            config.respect_gitignore = respect;
        }
        if let Some(vocabulary) = &raw.vocabulary {
            if let Some(standard) = &vocabulary.standard {
                config.vocabularies.standard = match standard.get_ref().as_str() {
                    "auto" => StandardSetting::Auto,
                    "off" => StandardSetting::Off,
                    path => {
                        let path = path.trim_start_matches("./");
                        if path.starts_with(['/', '\\']) || path.contains('\\') || path.split('/').any(|it| it == "..")
                        {
                            return Err(err(
                                standard.span(),
                                "vocabulary.standard".into(),
                                "must be \"auto\", \"off\" or a document inside the workspace, relative to its root"
                                    .into(),
                            ));
                        }
                        StandardSetting::Path(path.to_string())
                    }
                };
            }
            if vocabulary.learn == Some(false) {
                config.vocabularies.learn_min_places = None;
            }
            if let Some(min) = &vocabulary.learn_min_places {
                if !(2..=1000).contains(min.get_ref()) {
                    return Err(err(
                        min.span(),
                        "vocabulary.learn_min_places".into(),
                        "must be between 2 and 1000".into(),
                    ));
                }
                if config.vocabularies.learn_min_places.is_some() {
                    config.vocabularies.learn_min_places = Some(*min.get_ref() as usize);
                }
            }
        }
        if let Some(limit) = raw.index_limit_mib {
            if !(1..=65536).contains(limit.get_ref()) {
                return Err(err(limit.span(), "index_limit_mib".into(), "must be between 1 and 65536 (MiB)".into()));
            }
            config.index_limit_bytes = limit.into_inner() << 20;
        }

        for (name, table) in &raw.profiles {
            let profile = build_profile(text, name.get_ref(), table, &config.vocabularies.profiles)?;
            Arc::make_mut(&mut config.vocabularies.profiles).insert(name.get_ref().clone(), profile);
        }
        let family_names = ["spec-folder", "minsky", "checklist", "spec-kit", "backlog", "compozy", "pidea"];
        for (family_name, profile) in raw.families {
            let family = [
                Family::SpecFolder,
                Family::Minsky,
                Family::Checklist,
                Family::SpecKit,
                Family::Backlog,
                Family::Compozy,
                Family::Pidea,
            ]
            .into_iter()
            .find(|it| it.as_str() == family_name.get_ref())
            .ok_or_else(|| {
                err(
                    family_name.span(),
                    format!("families.{}", family_name.get_ref()),
                    format!("unknown family; the families are {}", family_names.join(", ")),
                )
            })?;
            config.check_profile_exists(text, &profile, &format!("families.{}", family_name.get_ref()))?;
            config.vocabularies.family_profiles.insert(family, profile.into_inner());
        }
        for (position, tracker) in raw.trackers.into_iter().enumerate() {
            config.check_profile_exists(text, &tracker.profile, &format!("trackers[{position}].profile"))?;
            let root = tracker.root.get_ref();
            let leaves =
                root.starts_with(['/', '\\']) || root.contains(['\\', ':']) || root.split('/').any(|part| part == "..");
            if leaves {
                return Err(err(
                    tracker.root.span(),
                    format!("trackers[{position}].root"),
                    "must be a folder inside the workspace, relative to its root (no leading `/`, no `..`)".into(),
                ));
            }
            config.vocabularies.trackers.push(TrackerOverride {
                root: root.trim_matches('/').to_string(),
                profile: tracker.profile.into_inner(),
            });
        }
        Ok(config)
    }

    fn check_profile_exists(&self, text: &str, name: &Spanned<String>, key: &str) -> Result<(), ConfigError> {
        if self.vocabularies.profiles.contains_key(name.get_ref()) {
            return Ok(());
        }
        let known: Vec<&str> = self.vocabularies.profiles.keys().map(String::as_str).collect();
        Err(ConfigError::at(
            text,
            name.span().start,
            key.to_string(),
            format!("unknown profile `{}`; known profiles: {}", name.get_ref(), known.join(", ")),
        ))
    }
}

/// A tracker as `taskmark config --init` lists it in the file it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectedTracker {
    /// Workspace-relative; empty for a tracker at the root.
    pub root: String,
    pub family: String,
    /// The profile it is read with.
    pub profile: String,
    /// Where its vocabulary comes from, in a few words (`built-in + learned from 12 places`).
    pub vocabulary: String,
}

/// The `.taskmark.toml` `taskmark config --init` writes: every setting at its default and the
/// rest commented, each with what it does, and the trackers found with the profile each is read
/// with. As written it changes nothing (it is [`Config::default`] once parsed); it is a place
/// to start editing.
pub fn starter(trackers: &[DetectedTracker]) -> String {
    let mut out = String::from(
        "# taskmark's configuration, written by `taskmark config --init`. Every setting below is at\n\
         # its default, so this file changes nothing until you edit it; the user guide's\n\
         # Configuration page has the whole story, and `taskmark config --explain` shows each\n\
         # tracker's vocabulary.\n\n\
         # Which files are read, as globs relative to this folder (empty: every markdown file,\n\
         # state.json and Backlog.md config.yml that .gitignore does not ignore).\n\
         include = []\n\
         exclude = []\n\
         respect_gitignore = true\n\
         # The most text one workspace load reads; files past it are skipped with a note.\n",
    );
    out.push_str(&format!("index_limit_mib = {DEFAULT_INDEX_LIMIT_MIB}\n\n"));
    if trackers.is_empty() {
        out.push_str("# No tracker was found here yet: each would be listed with the profile it is read with.\n");
    } else {
        out.push_str("# The trackers found here, each with the profile it is read with and where its vocabulary\n");
        out.push_str("# comes from. To read one with another profile, uncomment its [[trackers]] entry.\n");
    }
    // A folder name may hold a line break: in a comment it must not end the comment.
    let comment = |text: &str| text.replace(|c: char| c.is_control(), " ");
    for tracker in trackers {
        let root = if tracker.root.is_empty() { "." } else { tracker.root.as_str() };
        out.push_str(&format!(
            "#\n# {}: {} tracker, profile {} ({})\n# [[trackers]]\n# root = {}\n# profile = {}\n",
            comment(root),
            comment(&tracker.family),
            comment(&tracker.profile),
            comment(&tracker.vocabulary),
            toml_string(root),
            toml_string(&tracker.profile)
        ));
    }
    out.push_str(&format!(
        "\n[vocabulary]\n\
         # The repository's own status standard: \"auto\" (found by its content), \"off\", or a document.\n\
         standard = \"auto\"\n\
         # Learn the markers a tracker uses consistently, at this many places or more.\n\
         learn = true\n\
         learn_min_places = {DEFAULT_LEARN_MIN_PLACES}\n\n\
         [rules]\n\
         # Each rule's severity: error, warning, info, hint or off. These are the defaults.\n"
    ));
    for code in RuleCode::ALL {
        out.push_str(&format!("# {} = \"{}\"\n", code.as_str(), code.default_severity().as_str()));
    }
    out
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A configuration error with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// One-based.
    pub line: u32,
    /// One-based, in characters.
    pub column: u32,
    pub key: String,
    pub message: String,
}

impl ConfigError {
    fn at(text: &str, offset: usize, key: String, message: String) -> ConfigError {
        let offset = offset.min(text.len());
        let before = &text[..offset];
        let line = before.matches('\n').count() as u32 + 1;
        let column = before.rsplit('\n').next().map_or(0, |it| it.chars().count()) as u32 + 1;
        ConfigError { line, column, key, message }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}:{}:{}: {}", FILE_NAME, self.line, self.column, self.message)
        } else {
            write!(f, "{}:{}:{}: `{}`: {}", FILE_NAME, self.line, self.column, self.key, self.message)
        }
    }
}

/// The dotted key whose value starts at `offset`, for errors toml reports without one.
fn key_at(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |it| it + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    // The table the line is in: the nearest header at or above it (an error on the header
    // itself, as a `[[trackers]]` entry missing its `root`, is that table's).
    let table = text[..line_start + line.len()]
        .lines()
        .rev()
        .find_map(|it| {
            let trimmed = it.trim();
            trimmed.strip_prefix('[').map(|rest| rest.trim_start_matches('[').trim_end_matches(']').trim().to_string())
        })
        .unwrap_or_default();
    let key = line.split_once('=').map(|(key, _)| key.trim().trim_matches('"').to_string()).unwrap_or_default();
    match (table.is_empty(), key.is_empty()) {
        (true, _) => key,
        (false, true) => table,
        (false, false) => format!("{table}.{key}"),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    include: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default, rename = "respect_gitignore", alias = "respect-gitignore")]
    respect_gitignore: Option<bool>,
    #[serde(default, rename = "index_limit_mib", alias = "index-limit-mib")]
    index_limit_mib: Option<Spanned<u64>>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    families: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    trackers: Vec<RawTracker>,
    #[serde(default)]
    profiles: BTreeMap<Spanned<String>, RawProfile>,
    vocabulary: Option<RawVocabulary>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawVocabulary {
    standard: Option<Spanned<String>>,
    learn: Option<bool>,
    #[serde(alias = "learn-min-places")]
    learn_min_places: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTracker {
    root: Spanned<String>,
    profile: Spanned<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    extends: Option<Spanned<String>>,
    description: Option<String>,
    agreement: Option<Spanned<String>>,
    /// A checklist's numbered boxes are tasks of their own (Kiro's specs).
    numbered_tasks: Option<bool>,
    #[serde(default)]
    statuses: Vec<RawStatus>,
    #[serde(default)]
    remove: Vec<Spanned<String>>,
    transitions: Option<RawTransitions>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTransitions {
    /// `free = true`: any status may follow any other.
    #[serde(default)]
    free: bool,
    task: Option<BTreeMap<Spanned<String>, Vec<Spanned<String>>>>,
    phase: Option<BTreeMap<Spanned<String>, Vec<Spanned<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatus {
    id: Spanned<String>,
    kind: Option<Spanned<String>>,
    marker: Option<String>,
    json: Option<String>,
    words: Option<Vec<String>>,
    checkbox: Option<Vec<Spanned<String>>>,
    aliases: Option<Vec<String>>,
    scopes: Option<Vec<Spanned<String>>>,
    agrees_with: Option<Vec<Spanned<String>>>,
    requires: Option<Vec<String>>,
    stamp: Option<String>,
}

fn build_profile(
    text: &str,
    name: &str,
    raw: &RawProfile,
    existing: &BTreeMap<String, Profile>,
) -> Result<Profile, ConfigError> {
    let key = |suffix: &str| format!("profiles.{name}{suffix}");
    let err = |span: std::ops::Range<usize>, suffix: &str, message: String| {
        ConfigError::at(text, span.start, key(suffix), message)
    };
    let base_name = raw.extends.as_ref().map(|it| it.get_ref().as_str()).unwrap_or(name);
    let mut profile = match existing.get(base_name) {
        Some(base) => base.clone(),
        None if raw.extends.is_some() => {
            let span = raw.extends.as_ref().map_or(0..0, |it| it.span());
            let known: Vec<&str> = existing.keys().map(String::as_str).collect();
            return Err(err(
                span,
                ".extends",
                format!("unknown profile `{base_name}`; known profiles: {}", known.join(", ")),
            ));
        }
        None => Profile {
            name: name.to_string(),
            description: String::new(),
            statuses: Vec::new(),
            task_transitions: TransitionTable::default(),
            phase_transitions: TransitionTable::default(),
            agreement: Agreement::Kind,
            conventions: Vec::new(),
            numbered_tasks: false,
        },
    };
    profile.name = name.to_string();
    if let Some(numbered) = raw.numbered_tasks {
        profile.numbered_tasks = numbered;
    }
    if let Some(description) = &raw.description {
        profile.description = description.clone();
    }
    if let Some(agreement) = &raw.agreement {
        profile.agreement = match agreement.get_ref().as_str() {
            "kind" => Agreement::Kind,
            "exact" => Agreement::Exact,
            other => {
                return Err(err(
                    agreement.span(),
                    ".agreement",
                    format!("unknown agreement `{other}`; use kind or exact"),
                ));
            }
        };
    }
    // Removing statuses renumbers them: keep transitions by id while editing.
    let mut task_rows = rows_by_id(&profile, &profile.task_transitions);
    let mut phase_rows = rows_by_id(&profile, &profile.phase_transitions);
    for removed in &raw.remove {
        let before = profile.statuses.len();
        profile.statuses.retain(|it| it.id != *removed.get_ref());
        if profile.statuses.len() == before {
            return Err(err(removed.span(), ".remove", format!("no status `{}` to remove", removed.get_ref())));
        }
    }
    for (position, status) in raw.statuses.iter().enumerate() {
        let suffix = format!(".statuses[{position}]");
        let id = status.id.get_ref().clone();
        let existing_index = profile.statuses.iter().position(|it| it.id == id);
        let kind = match &status.kind {
            Some(kind) => Some(Kind::parse(kind.get_ref()).ok_or_else(|| {
                err(
                    kind.span(),
                    &format!("{suffix}.kind"),
                    format!("unknown kind `{}`; use todo, active, blocked, done or cancelled", kind.get_ref()),
                )
            })?),
            None => None,
        };
        let mut def = match existing_index {
            Some(index) => profile.statuses[index].clone(),
            None => {
                let kind = kind.ok_or_else(|| {
                    err(status.id.span(), &format!("{suffix}.kind"), format!("new status `{id}` needs a kind"))
                })?;
                StatusDef::new(&id, kind)
            }
        };
        if let Some(kind) = kind {
            def.kind = kind;
            if !def.agrees_with.contains(&kind) {
                def.agrees_with.push(kind);
            }
        }
        if let Some(marker) = &status.marker {
            def.marker = Some(marker.trim_start_matches('[').trim_end_matches(']').to_string());
        }
        if let Some(json) = &status.json {
            def.json = Some(json.clone());
        }
        if let Some(words) = &status.words {
            def.words = words.clone();
        }
        if let Some(boxes) = &status.checkbox {
            def.checkbox = Vec::new();
            for it in boxes {
                let mut chars = it.get_ref().chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => def.checkbox.push(c),
                    _ => {
                        return Err(err(
                            it.span(),
                            &format!("{suffix}.checkbox"),
                            format!("`{}` is not a single character", it.get_ref()),
                        ));
                    }
                }
            }
        }
        if let Some(aliases) = &status.aliases {
            def.aliases = aliases.clone();
        }
        if let Some(scopes) = &status.scopes {
            def.task = false;
            def.phase = false;
            for scope in scopes {
                match scope.get_ref().as_str() {
                    "task" => def.task = true,
                    "phase" => def.phase = true,
                    other => {
                        return Err(err(
                            scope.span(),
                            &format!("{suffix}.scopes"),
                            format!("unknown scope `{other}`; use task or phase"),
                        ));
                    }
                }
            }
        }
        if let Some(agrees) = &status.agrees_with {
            def.agrees_with = vec![def.kind];
            for it in agrees {
                let kind = Kind::parse(it.get_ref()).ok_or_else(|| {
                    err(it.span(), &format!("{suffix}.agrees_with"), format!("unknown kind `{}`", it.get_ref()))
                })?;
                if !def.agrees_with.contains(&kind) {
                    def.agrees_with.push(kind);
                }
            }
        }
        if let Some(requires) = &status.requires {
            def.requires = Vec::new();
            for it in requires {
                let any_of: Vec<String> = it.split('|').map(|name| name.trim().to_string()).collect();
                if any_of.iter().any(String::is_empty) {
                    return Err(err(
                        status.id.span(),
                        &format!("{suffix}.requires"),
                        format!("`{it}` names an empty field"),
                    ));
                }
                def.requires.push(Requirement { any_of });
            }
        }
        if let Some(stamp) = &status.stamp {
            def.stamp = (!stamp.is_empty()).then(|| stamp.clone());
        }
        match existing_index {
            Some(index) => profile.statuses[index] = def,
            None => profile.statuses.push(def),
        }
    }
    if let Some(transitions) = &raw.transitions {
        if transitions.free {
            task_rows = None;
            phase_rows = None;
        }
        for (suffix, rows, given) in [
            (".transitions.task", &mut task_rows, &transitions.task),
            (".transitions.phase", &mut phase_rows, &transitions.phase),
        ] {
            let Some(given) = given else { continue };
            let rows = rows.get_or_insert_with(Default::default);
            for (from, to) in given {
                if from.get_ref() != "*" && !profile.statuses.iter().any(|it| it.id == *from.get_ref()) {
                    return Err(err(from.span(), suffix, format!("unknown status `{}`", from.get_ref())));
                }
                for it in to {
                    if !profile.statuses.iter().any(|status| status.id == *it.get_ref()) {
                        return Err(err(
                            it.span(),
                            &format!("{suffix}.{}", from.get_ref()),
                            format!("unknown status `{}`", it.get_ref()),
                        ));
                    }
                }
                rows.insert(from.get_ref().clone(), to.iter().map(|it| it.get_ref().clone()).collect());
            }
        }
    }
    profile.task_transitions = table_from_rows(&profile, task_rows);
    profile.phase_transitions = table_from_rows(&profile, phase_rows);
    if profile.statuses.is_empty() {
        return Err(ConfigError::at(text, 0, key(""), "a profile needs at least one status".into()));
    }
    Ok(profile)
}

type Rows = Option<BTreeMap<String, Vec<String>>>;

fn rows_by_id(profile: &Profile, table: &TransitionTable) -> Rows {
    let edges = table.edges.as_ref()?;
    let mut rows: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (from, next) in edges.iter().enumerate() {
        if !next.is_empty() {
            rows.insert(
                profile.statuses[from].id.clone(),
                next.iter().map(|it| profile.status(*it).id.clone()).collect(),
            );
        }
    }
    if !table.from_any_open.is_empty() {
        rows.insert("*".into(), table.from_any_open.iter().map(|it| profile.status(*it).id.clone()).collect());
    }
    Some(rows)
}

fn table_from_rows(profile: &Profile, rows: Rows) -> TransitionTable {
    let Some(rows) = rows else { return TransitionTable::default() };
    let id = |name: &str| profile.statuses.iter().position(|it| it.id == name).map(|it| StatusId(it as u16));
    let mut edges = vec![Vec::new(); profile.statuses.len()];
    let mut from_any_open = Vec::new();
    for (from, next) in rows {
        let next: Vec<StatusId> = next.iter().filter_map(|it| id(it)).collect();
        if from == "*" {
            from_any_open = next;
        } else if let Some(from) = id(&from) {
            edges[usize::from(from.0)] = next;
        }
    }
    TransitionTable { edges: Some(edges), from_any_open }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::Scope;

    /// Every editor's configuration and index holds a copy of the vocabularies: the copies share
    /// the profiles, and one that changes them (a configuration with a profile of its own) has
    /// its own.
    #[test]
    fn copies_share_the_profiles_until_one_changes_them() {
        let defaults = Config::default();
        let copy = defaults.clone();
        assert!(Arc::ptr_eq(&defaults.vocabularies.profiles, &copy.vocabularies.profiles));
        let own = Config::parse("[profiles.ours]\nextends = \"spec-folder\"\n").expect("a profile of its own");
        assert!(own.vocabularies.profiles.contains_key("ours"));
        assert!(!defaults.vocabularies.profiles.contains_key("ours"));
    }

    /// What `config --init` writes parses, and is the default configuration in every respect.
    #[test]
    fn the_starter_file_parses_to_the_defaults() {
        let trackers = [
            DetectedTracker {
                root: "docs/specs".into(),
                family: "spec-folder".into(),
                profile: "spec-folder".into(),
                vocabulary: "built-in + learned from 12 places: `[REVIEW]`".into(),
            },
            DetectedTracker {
                root: String::new(),
                family: "checklist".into(),
                profile: "github".into(),
                vocabulary: "built-in".into(),
            },
            DetectedTracker {
                root: "odd \"name\"\ninclude = [\"x\"]".into(),
                family: "backlog".into(),
                profile: "backlog".into(),
                vocabulary: "`backlog/config.yml`".into(),
            },
        ];
        for text in [starter(&trackers), starter(&[])] {
            let config = Config::parse(&text).unwrap_or_else(|error| panic!("{error}\n{text}"));
            let default = Config::default();
            for code in RuleCode::ALL {
                assert_eq!(config.severity(code), default.severity(code), "{code}");
            }
            assert_eq!(
                (&config.include, &config.exclude, config.respect_gitignore, config.index_limit_bytes),
                (&default.include, &default.exclude, default.respect_gitignore, default.index_limit_bytes)
            );
            let (vocabularies, defaults) = (&config.vocabularies, &default.vocabularies);
            assert_eq!(vocabularies.profiles, defaults.profiles);
            assert_eq!(vocabularies.family_profiles, defaults.family_profiles);
            assert_eq!(vocabularies.trackers, defaults.trackers);
            assert_eq!(vocabularies.standard, defaults.standard);
            assert_eq!(vocabularies.learn_min_places, defaults.learn_min_places);
        }
        // Uncommenting a tracker's entry names it as written.
        let text = starter(&trackers).replace("# [[trackers]]\n# root = \"odd", "[[trackers]]\nroot = \"odd");
        let text = text.replacen("# profile = \"backlog\"", "profile = \"backlog\"", 1);
        let config = Config::parse(&text).unwrap_or_else(|error| panic!("{error}\n{text}"));
        assert_eq!(config.vocabularies.trackers[0].root, "odd \"name\"\ninclude = [\"x\"]");
    }

    #[test]
    fn severities_and_profiles() {
        let config = Config::parse(
            r#"
exclude = ["archive/**"]
[rules]
orphan-task = "off"
open-children = "error"

[families]
checklist = "xit"

[[trackers]]
root = "docs/board/"
profile = "minsky"

[profiles.spec-folder]
statuses = [{ id = "in_review", kind = "active", marker = "IN REVIEW", json = "in_review" }]
[profiles.spec-folder.transitions.task]
implementing = ["in_review", "blocked"]
in_review = ["completed", "implementing"]
"#,
        )
        .unwrap();
        assert_eq!(config.severity(RuleCode::OrphanTask), None);
        assert_eq!(config.severity(RuleCode::OpenChildren), Some(Severity::Error));
        assert_eq!(config.severity(RuleCode::StatusMismatch), Some(Severity::Error));
        assert_eq!(config.vocabularies.profile_name(Family::Checklist, "x"), "xit");
        assert_eq!(config.vocabularies.profile_name(Family::Minsky, "docs/board"), "minsky");
        let plain = Config::default();
        assert_eq!(plain.vocabularies.profile_name(Family::Checklist, ".kiro/specs/auth"), "kiro");
        assert_eq!(plain.vocabularies.profile_name(Family::Checklist, "docs/kiro/specs"), "github");
        let profile = &config.vocabularies.profiles["spec-folder"];
        let id = |name: &str| profile.by_id(name).unwrap();
        assert!(profile.allows(Scope::Task, id("implementing"), id("in_review")));
        assert!(!profile.allows(Scope::Task, id("implementing"), id("completed")));
        assert!(profile.allows(Scope::Task, id("in_review"), id("completed")));
        // Untouched rows keep their defaults.
        assert!(profile.allows(Scope::Task, id("not_started"), id("researching")));
    }

    #[test]
    fn errors_name_line_and_key() {
        let error = Config::parse("[rules]\norphan-tasks = \"off\"\n").unwrap_err();
        assert_eq!((error.line, error.key.as_str()), (2, "rules.orphan-tasks"));
        assert!(error.message.contains("unknown rule"), "{error}");
        let error = Config::parse("[rules]\norphan-task = \"loud\"\n").unwrap_err();
        assert_eq!((error.line, error.column), (2, 15));
        assert!(error.to_string().starts_with(".taskmark.toml:2:15: `rules.orphan-task`: unknown severity"), "{error}");
        let error = Config::parse("[rules]\norphan-task = \"warning\"\n\n[[trackers]]\nprofile = \"spec-folder\"\n")
            .unwrap_err();
        assert_eq!((error.line, error.key.as_str()), (4, "trackers"), "{error}");
        let error = Config::parse("bogus = 1\n").unwrap_err();
        assert_eq!(error.line, 1);
        assert!(error.message.contains("bogus"), "{error}");
        let error = Config::parse("[profiles.x]\nstatuses = [{ id = \"a\", kind = \"someday\" }]\n").unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.message.contains("unknown kind"), "{error}");
        let error = Config::parse("[profiles.spec-folder.transitions.task]\nplanned = [\"shipped\"]\n").unwrap_err();
        assert_eq!((error.line, error.key.as_str()), (2, "profiles.spec-folder.transitions.task.planned"));
        let error = Config::parse("[[trackers]]\nroot = \"x\"\nprofile = \"nope\"\n").unwrap_err();
        assert_eq!((error.line, error.key.as_str()), (3, "trackers[0].profile"));
        let error = Config::parse("include = [\"a/[\"]\n").unwrap_err();
        assert_eq!(error.key, "include");
    }

    #[test]
    fn tracker_roots_stay_inside_the_workspace() {
        for root in ["/etc", "../../..", "docs/../../x", "C:\\\\work", "\\\\server\\share"] {
            let text = format!("[[trackers]]\nroot = {root:?}\nprofile = \"minsky\"\n");
            let error = Config::parse(&text).expect_err(root);
            assert_eq!((error.line, error.key.as_str()), (2, "trackers[0].root"), "{root}");
            assert!(error.message.contains("inside the workspace"), "{error}");
        }
        let config =
            Config::parse("[[trackers]]\nroot = \"docs/board/\"\nprofile = \"minsky\"\n").expect("a relative root");
        assert_eq!(config.vocabularies.trackers[0].root, "docs/board");
    }

    #[test]
    fn the_index_limit_is_configurable_within_bounds() {
        assert_eq!(Config::default().index_limit_bytes, DEFAULT_INDEX_LIMIT_MIB << 20);
        assert_eq!(Config::parse("index_limit_mib = 64\n").expect("a limit").index_limit_bytes, 64 << 20);
        let error = Config::parse("index_limit_mib = 0\n").expect_err("zero");
        assert_eq!(error.key, "index_limit_mib");
    }
}

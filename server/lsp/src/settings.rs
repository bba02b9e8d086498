//! Editor settings: `initializationOptions` and `workspace/didChangeConfiguration`.
//!
//! ```json
//! { "diagnostics": "push", "codeLens": true, "inlayHints": false, "closedFiles": "disk",
//!   "openElsewhere": "editor", "rules": { "stale-counts": "off", "orphan-task": "hint" }, "docsUrl": "https://…" }
//! ```
//!
//! Settings may come bare or under a `taskmark` key (VS Code sends its section). Unknown keys
//! are ignored; a bad value is reported and the default kept, so one typo does not switch the
//! server off.

use serde_json::Value;

use crate::engine::config::Config;
use crate::engine::diagnostic::{RuleCode, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DiagnosticMode {
    /// `textDocument/publishDiagnostics` for every indexed file.
    #[default]
    Push,
    /// `textDocument/diagnostic` and `workspace/diagnostic`; never both, or editors would show
    /// every diagnostic twice.
    Pull,
}

/// Where a status change goes for the files no editor has open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClosedFiles {
    /// The server writes them, as `taskmark set` would (crash-safe, all or nothing): editors
    /// would otherwise open them as unsaved buffers the user must remember to save.
    #[default]
    Disk,
    /// They go into the editor's `workspace/applyEdit` with the open ones.
    Editor,
}

/// Where a change this session makes goes for the files another editor has open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OpenElsewhere {
    /// Into that editor's buffer, for its user to save (an editor's change: its user and the
    /// other editor's work on the same files).
    #[default]
    Editor,
    /// On disk, like every other file: the command line and agents, whose next step (a
    /// commit) reads the disk. The other editor's buffer follows: a clean one reloads from
    /// disk, one with unsaved changes gets the change too and its user is told.
    Disk,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub diagnostics: DiagnosticMode,
    pub code_lens: bool,
    pub inlay_hints: bool,
    /// Rule severities over `.taskmark.toml`'s: `None` turns a rule off.
    pub rules: Vec<(RuleCode, Option<Severity>)>,
    /// Where the rules' pages of the user guide are: a URL with `{code}` in it, or the guide's
    /// root (`{docs_url}/rules/{code}.html`, as mdBook publishes it).
    pub docs_url: Option<String>,
    pub closed_files: ClosedFiles,
    pub open_elsewhere: OpenElsewhere,
}

impl Settings {
    /// The page of the user guide that documents `code`, if the guide's place is known.
    pub fn rule_page(&self, code: &str) -> Option<String> {
        let base = self.docs_url.as_deref()?;
        Some(if base.contains("{code}") {
            base.replace("{code}", code)
        } else {
            format!("{}/rules/{code}.html", base.trim_end_matches(['/', '#']))
        })
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            diagnostics: DiagnosticMode::Push,
            code_lens: true,
            inlay_hints: false,
            rules: Vec::new(),
            docs_url: None,
            closed_files: ClosedFiles::Disk,
            open_elsewhere: OpenElsewhere::Editor,
        }
    }
}

impl Settings {
    /// Reads settings from a client's JSON, starting from `self`. Returns the problems found.
    pub fn merge(&mut self, value: &Value) -> Vec<String> {
        let value = value.get("taskmark").unwrap_or(value);
        let mut problems = Vec::new();
        let Some(object) = value.as_object() else {
            // Lua's empty table is sent as `[]` (Neovim's `settings = {}`): no settings.
            let empty_table = value.as_array().is_some_and(Vec::is_empty);
            if !value.is_null() && !empty_table {
                problems.push(format!("taskmark settings must be an object, not `{value}`"));
            }
            return problems;
        };
        if let Some(mode) = object.get("diagnostics") {
            match mode.as_str() {
                Some("push") => self.diagnostics = DiagnosticMode::Push,
                Some("pull") => self.diagnostics = DiagnosticMode::Pull,
                _ => problems.push(format!("`diagnostics` must be \"push\" or \"pull\", not `{mode}`")),
            }
        }
        if let Some(closed) = object.get("closedFiles") {
            match closed.as_str() {
                Some("disk") => self.closed_files = ClosedFiles::Disk,
                Some("editor") => self.closed_files = ClosedFiles::Editor,
                _ => problems.push(format!("`closedFiles` must be \"disk\" or \"editor\", not `{closed}`")),
            }
        }
        if let Some(open) = object.get("openElsewhere") {
            match open.as_str() {
                Some("editor") => self.open_elsewhere = OpenElsewhere::Editor,
                Some("disk") => self.open_elsewhere = OpenElsewhere::Disk,
                _ => problems.push(format!("`openElsewhere` must be \"editor\" or \"disk\", not `{open}`")),
            }
        }
        for (key, field) in [("codeLens", &mut self.code_lens), ("inlayHints", &mut self.inlay_hints)] {
            if let Some(flag) = object.get(key) {
                match flag.as_bool() {
                    Some(flag) => *field = flag,
                    None => problems.push(format!("`{key}` must be true or false, not `{flag}`")),
                }
            }
        }
        if let Some(url) = object.get("docsUrl") {
            match url.as_str() {
                Some(url) => self.docs_url = Some(url.to_string()),
                None => problems.push(format!("`docsUrl` must be a string, not `{url}`")),
            }
        }
        if let Some(rules) = object.get("rules") {
            match rules.as_object() {
                Some(rules) => {
                    self.rules.clear();
                    for (name, severity) in rules {
                        let Some(code) = RuleCode::parse(name) else {
                            problems.push(format!("unknown rule `{name}` in `rules`"));
                            continue;
                        };
                        match severity.as_str() {
                            Some("off") => self.rules.push((code, None)),
                            Some(it) if Severity::parse(it).is_some() => self.rules.push((code, Severity::parse(it))),
                            _ => problems.push(format!(
                                "`rules.{name}` must be \"error\", \"warning\", \"info\", \"hint\" or \"off\", not `{severity}`"
                            )),
                        }
                    }
                }
                None if rules.as_array().is_some_and(Vec::is_empty) => self.rules.clear(),
                None => problems.push(format!("`rules` must be an object, not `{rules}`")),
            }
        }
        problems
    }

    /// The configuration with the editor's rule severities applied over the file's.
    pub fn apply(&self, config: &mut Config) {
        for (code, severity) in &self.rules {
            config.set_severity(*code, *severity);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_rule_links_to_its_page_under_the_guide_or_where_the_url_says() {
        let page = |url: &str| Settings { docs_url: Some(url.into()), ..Settings::default() }.rule_page("broken-link");
        assert_eq!(page("https://a.example/guide").as_deref(), Some("https://a.example/guide/rules/broken-link.html"));
        assert_eq!(page("https://a.example/guide/").as_deref(), Some("https://a.example/guide/rules/broken-link.html"));
        assert_eq!(page("https://a.example/r/{code}.md").as_deref(), Some("https://a.example/r/broken-link.md"));
        assert_eq!(Settings::default().rule_page("broken-link"), None);
    }

    #[test]
    fn reads_bare_and_sectioned_settings_and_reports_bad_values() {
        let mut settings = Settings::default();
        let problems = settings.merge(&json!({
            "taskmark": {
                "diagnostics": "pull",
                "closedFiles": "editor",
                "openElsewhere": "disk",
                "codeLens": false,
                "inlayHints": "yes",
                "rules": { "stale-counts": "off", "orphan-task": "hint", "no-such-rule": "error", "broken-link": "loud" }
            }
        }));
        assert_eq!(settings.diagnostics, DiagnosticMode::Pull);
        assert_eq!(settings.closed_files, ClosedFiles::Editor);
        assert_eq!(settings.open_elsewhere, OpenElsewhere::Disk);
        assert!(!settings.code_lens);
        assert!(!settings.inlay_hints);
        assert_eq!(settings.rules, [(RuleCode::OrphanTask, Some(Severity::Hint)), (RuleCode::StaleCounts, None)]);
        assert_eq!(problems.len(), 3, "{problems:?}");
        let mut config = Config::default();
        settings.apply(&mut config);
        assert_eq!(config.severity(RuleCode::StaleCounts), None);
        assert_eq!(config.severity(RuleCode::OrphanTask), Some(Severity::Hint));

        let mut bare = Settings::default();
        assert!(bare.merge(&json!({"inlayHints": true})).is_empty());
        assert_eq!(bare.closed_files, ClosedFiles::Disk);
        assert_eq!(bare.merge(&json!({"closedFiles": "nowhere"})).len(), 1);
        assert_eq!(bare.open_elsewhere, OpenElsewhere::Editor);
        assert_eq!(bare.merge(&json!({"openElsewhere": true})).len(), 1);
        assert!(bare.inlay_hints);
        assert!(bare.merge(&Value::Null).is_empty());
        assert_eq!(bare.merge(&json!(3)).len(), 1);
    }

    /// Neovim sends Lua's empty table as `[]`: `setup({})` and `rules = {}` are no settings,
    /// not a complaint on every start.
    #[test]
    fn an_empty_lua_table_is_no_settings() {
        let mut settings = Settings::default();
        assert_eq!(settings.merge(&json!([])), Vec::<String>::new());
        assert_eq!(settings.merge(&json!({ "taskmark": [] })), Vec::<String>::new());
        assert_eq!(settings.merge(&json!({ "rules": { "stale-counts": "off" } })), Vec::<String>::new());
        assert_eq!(settings.merge(&json!({ "rules": [] })), Vec::<String>::new());
        assert!(settings.rules.is_empty(), "an empty table of rules clears them");
        assert_eq!(settings.merge(&json!(["diagnostics"])).len(), 1, "a list with items is still wrong");
    }
}

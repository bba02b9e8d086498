//! `taskmark fix`, once for every front door: the command line (direct, `--no-daemon` or
//! through the daemon), the editors' `taskmark.fix` and the MCP server's `fix`. The safe fixes'
//! passes run here to the end, in memory, and come out as one change against the workspace as
//! read: a front door writes it (or shows an editor its part) once, whatever number of passes
//! it took, and names the fixes it held back, so that `check`'s count of what `fix` fixes and
//! what `fix` did tell one story.
//!
//! The guards, in order: the engine plans every pass (a plan it cannot make safely is refused);
//! every tracker the change writes to was read and parses.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::diagnostic::RuleCode;
use crate::engine::edit::{FixCheck, StatusChangeOptions, WorkspaceChange, run_safe_fixes};
use crate::engine::layout;
use crate::engine::rules::Baseline;
use crate::engine::text::line_number;
use crate::engine::timestamp::Now;
use crate::guards::{Refused, TaskWorkspace, refuse_unreadable};

/// A fix as every front door asks it.
#[derive(Debug, Clone)]
pub struct FixRequest {
    /// Only these rules' safe fixes (every safe fix when the front door was given none).
    pub codes: Vec<RuleCode>,
    pub now: Now,
}

/// The fixes as planned: one change against the workspace as read, not yet written.
#[derive(Debug)]
pub struct PlannedFixes {
    /// Empty when there is nothing to fix.
    pub change: WorkspaceChange,
    pub answer: FixAnswer,
}

/// What a fix answers through every front door, besides what it wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FixAnswer {
    /// How many problems of each rule the change fixes.
    pub fixed: BTreeMap<String, usize>,
    /// The safe fixes left out, each with the reason: what `check` counted as fixable and the
    /// change does not fix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held_back: Vec<HeldBackFix>,
}

impl FixAnswer {
    /// One line per fix held back: `specs/TODO.md:12: unknown-status held back: it would leave
    /// ...`.
    pub fn held_back_lines(&self) -> Vec<String> {
        self.held_back
            .iter()
            .map(|it| format!("{}:{}: {} held back: {} ({})", it.file, it.line, it.code, it.why, it.message))
            .collect()
    }
}

/// A safe fix the change leaves out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldBackFix {
    /// The workspace-relative path of the problem's file.
    pub file: String,
    /// Its line, from 1.
    pub line: u32,
    pub code: String,
    /// The problem, as `check` says it.
    pub message: String,
    /// Why its fix was left out: what it would make appear.
    pub why: String,
}

/// Plans `request` on `workspace`, checked against `baseline` (the command line's: what
/// `check` compares with, so that `fix && check` passes; a language server has none).
pub fn plan_fixes(
    workspace: &TaskWorkspace<'_>,
    baseline: Option<&Baseline<'_>>,
    request: &FixRequest,
) -> Result<PlannedFixes, Refused> {
    let check = FixCheck { config: workspace.config, baseline, paths: workspace.paths };
    let options = StatusChangeOptions { restamp: false, ..StatusChangeOptions::new(request.now.clone()) };
    let fixes = run_safe_fixes(workspace.index, &check, &request.codes, &options).map_err(Refused::Plan)?;
    let scopes: Vec<String> = fixes.change.files.iter().map(|it| layout::classify(&it.path).root).collect();
    refuse_unreadable(workspace, scopes.iter().map(String::as_str), None, "fix")?;
    let held_back = fixes
        .held_back
        .iter()
        .filter_map(|held| {
            let entry = fixes.index.entry(held.diagnostic.file)?;
            Some(HeldBackFix {
                file: entry.path.clone(),
                line: line_number(entry.line_index(), held.diagnostic.range.start()),
                code: held.diagnostic.code.as_str().to_string(),
                message: held.diagnostic.message.clone(),
                why: held.why.clone(),
            })
        })
        .collect();
    let fixed = fixes.fixed.iter().map(|(code, count)| (code.as_str().to_string(), *count)).collect();
    Ok(PlannedFixes { change: fixes.change, answer: FixAnswer { fixed, held_back } })
}

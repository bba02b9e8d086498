//! Code actions: the fixes of the diagnostics under the cursor and the status changes of the
//! task there, listed cheaply; each one's edit is planned only when chosen.

use crate::diagnostic::{Diagnostic, FixHint, RuleCode};
use crate::edit::{Refusal, StatusChangeOptions, WorkspaceChange, fix_titles, plan_fix, plan_status_change};
use crate::ide::navigation::task_at;
use crate::index::{FileId, WorkspaceIndex};
use crate::model::TaskKey;
use crate::summary::status_choices;
use crate::text::TextRange;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    QuickFix,
    /// A status change that is not a fix (offered anywhere on a task).
    Rewrite,
}

/// What an action does, enough to plan it later against the same index state.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ActionTarget {
    /// Choice `choice` of the fix of the diagnostic `code` at `range` in the file.
    Fix {
        code: RuleCode,
        range: TextRange,
        choice: usize,
    },
    SetStatus {
        task: TaskKey,
        status: String,
        force: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionChoice {
    pub title: String,
    pub kind: ActionKind,
    /// The diagnostic the action fixes.
    pub fixes: Option<Diagnostic>,
    pub preferred: bool,
    pub target: ActionTarget,
}

/// The actions for `range` of `file`: fixes for `diagnostics` (the file's diagnostics; those
/// overlapping the range are used), then the allowed status changes of the task at the range's
/// start, then the forced ones, labelled as such.
pub fn code_actions(
    index: &WorkspaceIndex,
    diagnostics: &[Diagnostic],
    file: FileId,
    range: TextRange,
) -> Vec<ActionChoice> {
    let mut out = Vec::new();
    for diagnostic in diagnostics.iter().filter(|it| it.file == file && touches(it.range, range)) {
        let titles = fix_titles(index, diagnostic);
        let single = titles.len() == 1;
        for (choice, title) in titles.into_iter().enumerate() {
            out.push(ActionChoice {
                title,
                kind: ActionKind::QuickFix,
                fixes: Some(diagnostic.clone()),
                preferred: single,
                target: ActionTarget::Fix { code: diagnostic.code, range: diagnostic.range, choice },
            });
        }
    }
    name_apart(index, &mut out);
    let Some(target) = task_at(index, file, range.start()) else { return out };
    let Some(profile) = index.task_profile(&target.task) else { return out };
    let current = index.task_status(&target.task);
    // A status a fix already aligns the task to is offered once, as the fix.
    let aligned: Vec<crate::vocabulary::StatusId> = out
        .iter()
        .filter_map(|it| match (&it.fixes, &it.target) {
            (Some(diagnostic), ActionTarget::Fix { choice, .. }) => match &diagnostic.fix {
                Some(FixHint::AlignTask { task, candidates, .. }) if *task == target.task => {
                    candidates.get(*choice).copied()
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    // Only the transitions the vocabulary allows: a menu with one entry per status force
    // reaches (seven of fourteen on a spec-folder task) hides the few a person means. Forcing
    // is the editors' status picker's, behind a step of its own.
    for choice in status_choices(profile, current.map(|(_, status)| status)).into_iter().filter(|it| it.allowed) {
        if profile.by_id(&choice.id).is_some_and(|it| aligned.contains(&it)) {
            continue;
        }
        let task = &target.task;
        out.push(ActionChoice {
            title: format!("Set status of {task} to {}", choice.display),
            kind: ActionKind::Rewrite,
            fixes: None,
            preferred: false,
            target: ActionTarget::SetStatus { task: task.clone(), status: choice.id, force: false },
        });
    }
    out
}

/// Fixes of several diagnostics in one selection can have one title (`Add the **Started**
/// field` for two sections): each then says the line of the diagnostic it fixes.
fn name_apart(index: &WorkspaceIndex, actions: &mut [ActionChoice]) {
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for action in actions.iter() {
        *counts.entry(action.title.clone()).or_default() += 1;
    }
    for action in actions.iter_mut() {
        let Some(diagnostic) = &action.fixes else { continue };
        if counts.get(&action.title).is_some_and(|it| *it > 1)
            && let Some(entry) = index.entry(diagnostic.file)
        {
            let line = crate::text::line_number(entry.line_index(), diagnostic.range.start());
            action.title = format!("{} (line {line})", action.title);
        }
    }
}

/// Plans the edit of an action chosen from [`code_actions`]. `diagnostics` are the file's
/// current diagnostics: the one to fix is looked up again, so a stale choice is refused.
pub fn plan_action(
    index: &WorkspaceIndex,
    diagnostics: &[Diagnostic],
    file: FileId,
    target: &ActionTarget,
    options: &StatusChangeOptions,
) -> Result<WorkspaceChange, Refusal> {
    match target {
        ActionTarget::Fix { code, range, choice } => {
            let diagnostic = diagnostics
                .iter()
                .find(|it| it.file == file && it.code == *code && it.range == *range)
                .ok_or_else(|| Refusal::NoFix(format!("the {code} diagnostic this fix was for is gone")))?;
            plan_fix(index, diagnostic, *choice, options)
        }
        ActionTarget::SetStatus { task, status, force } => {
            let options = StatusChangeOptions { force: *force || options.force, ..options.clone() };
            plan_status_change(index, task, status, &options)
        }
    }
}

/// Whether a diagnostic at `diagnostic` concerns a request for `range`: they overlap, or the
/// cursor (an empty range) touches it.
fn touches(diagnostic: TextRange, range: TextRange) -> bool {
    diagnostic.intersect(range).is_some()
}

//! A spec-folder workspace of our own writing, for the write-path tests: `specs/TODO.md` with
//! frontmatter counters, a Task Order and one section per task, `specs/state.json`, and one
//! plan per task. Line endings, a BOM and the final newline are choices, so byte-preservation
//! tests can ask for each.

use std::fs;
use std::path::Path;

#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub crlf: bool,
    pub bom: bool,
    pub final_newline: bool,
}

impl Default for Style {
    fn default() -> Style {
        Style { crlf: false, bom: false, final_newline: true }
    }
}

/// Task numbers `first..first + count`, all `[PLANNED]`.
pub fn write_tracker(root: &Path, first: u32, count: u32, style: Style) {
    let tasks: Vec<u32> = (first..first + count).collect();
    let mut todo = format!(
        "---\nnext_project_number: {}\ntask_counts:\n  active: {count}\n  completed: 0\n  not_started: 0\n  total: {count}\n---\n\n# TODO\n\n## Task Order\n\n",
        first + count
    );
    for task in &tasks {
        todo.push_str(&format!("- **{task}** [PLANNED] — Task {task} with ünïcødé — and\ttabs\n"));
    }
    todo.push_str("\n## Tasks\n");
    for task in &tasks {
        todo.push_str(&format!(
            "\n### {task}. Task {task} with ünïcødé — and\ttabs\n- **Effort**: 1 hour\n- **Status**: [PLANNED]\n- **Created**: 2026-10-01\n- **Planned**: 2026-10-02\n- **Plan**: [implementation-001.md](specs/{task:03}_task/plans/implementation-001.md)\n\n**Description**: Task {task} — 日本語 and emoji 🚀 stay as they are.\n\n---\n"
        ));
    }
    let mut state = format!("{{\n  \"next_project_number\": {},\n  \"active_projects\": [\n", first + count);
    for (position, task) in tasks.iter().enumerate() {
        let comma = if position + 1 < tasks.len() { "," } else { "" };
        state.push_str(&format!(
            "    {{\n      \"project_number\": {task},\n      \"project_name\": \"task\",\n      \"status\": \"planned\",\n      \"created\": \"2026-10-01T09:00:00Z\",\n      \"planned\": \"2026-10-02T09:00:00Z\"\n    }}{comma}\n"
        ));
    }
    state.push_str("  ],\n  \"completed_projects\": []\n}\n");
    write(root, "specs/TODO.md", &todo, style);
    write(root, "specs/state.json", &state, style);
    for task in &tasks {
        let plan = format!(
            "# Implementation Plan: Task {task}\n\n- **Task**: {task} - Task {task}\n- **Status**: [NOT STARTED]\n- **Effort**: 1 hour\n\n### Phase 1: Do it [NOT STARTED]\n- [ ] The work\n"
        );
        write(root, &format!("specs/{task:03}_task/plans/implementation-001.md"), &plan, style);
    }
}

fn write(root: &Path, path: &str, text: &str, style: Style) {
    let mut text = text.to_string();
    if !style.final_newline {
        text.truncate(text.trim_end_matches('\n').len());
    }
    if style.crlf {
        text = text.replace('\n', "\r\n");
    }
    if style.bom {
        text.insert(0, '\u{feff}');
    }
    let path = root.join(path);
    fs::create_dir_all(path.parent().expect("a parent folder")).expect("fixture folders");
    fs::write(path, text).expect("a fixture file");
}

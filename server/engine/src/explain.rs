//! `taskmark config --explain`: which vocabulary each tracker reads its files in and why, and a
//! vocabulary as a table and as a Mermaid transition graph.

use std::fmt::Write;

use crate::config::ProfileSource;
use crate::conventions::{BaseSource, Reading, StandardUse, VocabularyChoice};
use crate::vocabulary::{Origin, Profile, Scope, Spelling, StatusId};

/// Why a tracker at `root` reads its files in `profile`: the profile it starts from, the
/// repository's standard (path and line), and what was learned from its own files.
pub fn explain_choice(
    root: &str,
    family: &str,
    profile: &Profile,
    base: &Profile,
    choice: &VocabularyChoice,
) -> String {
    let mut out = String::new();
    let root = if root.is_empty() { "." } else { root };
    let _ = writeln!(
        out,
        "## Tracker `{root}` ({family})
"
    );
    let source = match &choice.base {
        BaseSource::Profile(ProfileSource::BuiltIn) => format!("the built-in profile `{}`", base.name),
        BaseSource::Profile(ProfileSource::EditedBuiltIn) => {
            format!("the built-in profile `{}` as `.taskmark.toml` `[profiles.{}]` changes it", base.name, base.name)
        }
        BaseSource::Profile(ProfileSource::Configured(key)) => {
            format!("the profile `{}`, named in `.taskmark.toml` `{key}`", base.name)
        }
        BaseSource::BacklogConfig(path) => format!("the statuses of Backlog.md's `{path}`"),
    };
    let _ = writeln!(out, "- Profile: {source}.");
    match &choice.standard {
        StandardUse::None => {
            let _ = writeln!(out, "- Standard: none applies.");
        }
        StandardUse::Applied { path, line, markers } => {
            let _ = writeln!(out, "- Standard: the repository's own, `{path}:{line}`, defines {}.", markers.join(", "));
            let widened: Vec<String> = profile
                .ids()
                .filter(|it| {
                    let def = profile.status(*it);
                    def.origin == (Origin::Standard { added: false })
                        && def.task
                        && base.by_id(&def.id).is_some_and(|before| !base.status(before).task)
                })
                .map(|it| format!("`{}`", profile.display(it)))
                .collect();
            if !widened.is_empty() {
                let _ = writeln!(
                    out,
                    "  It makes {} a task status too (moving like the task status it was a legacy spelling of).",
                    widened.join(", ")
                );
            }
            let added: Vec<String> = profile
                .ids()
                .filter(|it| profile.status(*it).origin == (Origin::Standard { added: true }))
                .map(|it| format!("`{}` ({})", profile.display(it), kind_name(profile, it)))
                .collect();
            if !added.is_empty() {
                let _ = writeln!(out, "  New statuses: {}.", added.join(", "));
            }
        }
        StandardUse::Ambiguous(paths) => {
            let shown: Vec<String> = paths.iter().map(|it| format!("`{it}`")).collect();
            let _ = writeln!(
                out,
                "- Standard: none applied; {} are equally near this tracker (name one with `[vocabulary] standard` in `.taskmark.toml`).",
                shown.join(" and ")
            );
        }
    }
    if choice.learned.is_empty() {
        let _ = writeln!(out, "- Learned: nothing (no marker outside the vocabulary is used consistently).");
    } else {
        let _ = writeln!(out, "- Learned from the tracker's own files (a convention, not a typo):");
        for it in &choice.learned {
            let reading = match &it.reading {
                Reading::Status(id) => {
                    format!("another spelling of `{}`", base.by_id(id).map_or(id.clone(), |it| base.display(it)))
                }
                Reading::Kind(kind) => format!("a status of its own, {kind}"),
                Reading::Opaque => "a status of its own, of no kind taskmark can tell (the task's other places must write the same word; plans and boxes are not compared with it)".to_string(),
            };
            let _ = writeln!(
                out,
                "  - {} at {} places ({} tasks, phases or boxes): {reading}",
                it.shown().iter().map(|it| format!("`{it}`")).collect::<Vec<_>>().join(", "),
                it.places,
                it.subjects
            );
        }
    }
    out
}

fn kind_name(profile: &Profile, id: StatusId) -> &'static str {
    if profile.status(id).opaque { "of no known kind" } else { profile.kind(id).as_str() }
}

pub fn explain(profile: &Profile) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Profile `{}`\n", profile.name);
    if !profile.description.is_empty() {
        let _ = writeln!(out, "{}\n", profile.description);
    }
    if profile.numbered_tasks {
        let _ = writeln!(
            out,
            "A checklist's numbered boxes (`- [ ] 2. Title`) are tasks of their own (`numbered_tasks`).\n"
        );
    }
    let _ = writeln!(
        out,
        "| id | kind | marker | state.json | words | checkbox | scopes | requires | next (task) | next (phase) | from |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|");
    for id in profile.ids() {
        let def = profile.status(id);
        let scopes = [(def.task, "task"), (def.phase, "phase")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, name)| *name)
            .collect::<Vec<_>>()
            .join(", ");
        let next = |scope: Scope| {
            if !def.in_scope(scope) {
                return String::new();
            }
            match profile.transitions(scope).edges {
                None => "any".to_string(),
                Some(_) if def.origin.unconstrained() => "any".to_string(),
                Some(_) => ids(profile, &profile.next(scope, id)),
            }
        };
        let from = match def.origin {
            Origin::Vocabulary => "",
            Origin::Standard { added: false } => "standard",
            Origin::Standard { added: true } => "standard (new)",
            Origin::Learned => "learned",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            def.id,
            kind_name(profile, id),
            def.marker.as_ref().map(|it| format!("`[{it}]`")).unwrap_or_default(),
            def.json.as_ref().map(|it| format!("`{it}`")).unwrap_or_default(),
            def.words.join(", "),
            def.checkbox.iter().map(|it| format!("`[{it}]`")).collect::<Vec<_>>().join(" "),
            scopes,
            def.requires.iter().map(|it| it.any_of.join(" or ")).collect::<Vec<_>>().join("; "),
            next(Scope::Task),
            next(Scope::Phase),
            from,
        );
    }
    if !profile.conventions.is_empty() {
        let _ = writeln!(out, "\nOther spellings this tracker uses for a status:\n");
        for it in &profile.conventions {
            let shown = match it.spelling {
                Spelling::Checkbox => format!("[{}]", it.text),
                _ => it.text.clone(),
            };
            let _ = writeln!(out, "- `{shown}` means {}", profile.status(it.status).id);
        }
    }
    for scope in [Scope::Task, Scope::Phase] {
        let members: Vec<StatusId> = profile.ids().filter(|it| profile.status(*it).in_scope(scope)).collect();
        if members.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n### {} transitions\n", scope.as_str());
        if profile.transitions(scope).edges.is_none() {
            let _ = writeln!(out, "Any status may follow any other.");
            continue;
        }
        let _ = writeln!(out, "```mermaid\nstateDiagram-v2");
        for from in &members {
            // A status without a graph of its own (learned, or new in a standard) may go
            // anywhere: drawing its edges would hide the rest of the graph.
            if profile.status(*from).origin.unconstrained() {
                let _ = writeln!(out, "    note right of {}: any transition", profile.status(*from).id);
                continue;
            }
            for to in profile.next(scope, *from).into_iter().filter(|it| !profile.status(*it).origin.unconstrained()) {
                let _ = writeln!(out, "    {} --> {}", profile.status(*from).id, profile.status(to).id);
            }
            if profile.next(scope, *from).is_empty() {
                // Terminal.
                let _ = writeln!(out, "    {} --> [*]", profile.status(*from).id);
            }
        }
        let _ = writeln!(out, "```");
    }
    out
}

fn ids(profile: &Profile, list: &[StatusId]) -> String {
    if list.is_empty() {
        return "terminal".into();
    }
    list.iter().map(|it| profile.status(*it).id.as_str()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles;

    #[test]
    fn spec_folder_table_and_graph() {
        let text = explain(&profiles::spec_folder());
        assert!(text.contains("| completed | done | `[COMPLETED]` | `completed` |"), "{text}");
        assert!(text.contains("    implementing --> completed"));
        assert!(text.contains("    completed --> [*]"));
        assert!(text.contains("    not_started --> in_progress"));
        let text = explain(&profiles::minsky());
        assert!(text.contains("Any status may follow any other."));
    }
}

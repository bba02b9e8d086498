//! `taskmark config --explain`: a vocabulary as a table and as a Mermaid transition graph.

use std::fmt::Write;

use crate::engine::vocabulary::{Profile, Scope, StatusId};

pub fn explain(profile: &Profile) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Profile `{}`\n", profile.name);
    if !profile.description.is_empty() {
        let _ = writeln!(out, "{}\n", profile.description);
    }
    let _ = writeln!(
        out,
        "| id | kind | marker | state.json | words | checkbox | scopes | requires | next (task) | next (phase) |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|");
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
                Some(_) => ids(profile, &profile.next(scope, id)),
            }
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            def.id,
            def.kind,
            def.marker.as_ref().map(|it| format!("`[{it}]`")).unwrap_or_default(),
            def.json.as_ref().map(|it| format!("`{it}`")).unwrap_or_default(),
            def.words.join(", "),
            def.checkbox.iter().map(|it| format!("`[{it}]`")).collect::<Vec<_>>().join(" "),
            scopes,
            def.requires.iter().map(|it| it.any_of.join(" or ")).collect::<Vec<_>>().join("; "),
            next(Scope::Task),
            next(Scope::Phase),
        );
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
            for to in profile.next(scope, *from) {
                let _ = writeln!(out, "    {} --> {}", profile.status(*from).id, profile.status(to).id);
            }
            if profile.next(scope, *from).is_empty() {
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
    use crate::engine::profiles;

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

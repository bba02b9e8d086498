//! Which side's status of a task (or phase, or checkbox) the merge keeps: the one side that
//! changed it; when both did, the one further along the vocabulary's transition graph.

use crate::vocabulary::{Kind, Profile, Scope, StatusId};

/// The merge's decision for one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Neither side changed the status, or both set the same one: ours is kept where the sides
    /// still differ (their timestamps, say).
    Agreed,
    /// Only ours changed it, or both did and ours is further along.
    Ours,
    /// Only theirs changed it, or both did and theirs is further along.
    Theirs,
    /// Both changed it and neither is further along: left to the user, with markers.
    Conflict,
}

/// Why a decision between two changed statuses went the way it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Because {
    /// Only one side changed it.
    OneSide,
    /// One status is reachable from the other and not back.
    Further,
    /// Each is reachable from the other (a cycle such as `[BLOCKED]` and `[IMPLEMENTING]`, or a
    /// vocabulary without a graph): the one whose kind is further along (done over active over
    /// not started) wins.
    Kind,
    /// Neither is further along.
    Undecided,
    Agreed,
}

/// Decides between the statuses of a subject, given by the status ids of their vocabulary
/// (`None`: no status there, or one the vocabulary does not know).
pub fn decide(
    profile: &Profile,
    scope: Scope,
    base: Option<StatusId>,
    ours: Option<StatusId>,
    theirs: Option<StatusId>,
) -> (Decision, Because) {
    if ours == theirs {
        return (Decision::Agreed, Because::Agreed);
    }
    if ours == base {
        return (Decision::Theirs, Because::OneSide);
    }
    if theirs == base {
        return (Decision::Ours, Because::OneSide);
    }
    let (Some(ours), Some(theirs)) = (ours, theirs) else { return (Decision::Conflict, Because::Undecided) };
    // A plan header writes phase statuses for its task: the graph is the one both statuses are in.
    let fits = |scope: Scope| profile.status(ours).in_scope(scope) && profile.status(theirs).in_scope(scope);
    let scope = [scope, Scope::Task, Scope::Phase].into_iter().find(|it| fits(*it)).unwrap_or(scope);
    let forward = reachable(profile, scope, ours, theirs);
    let backward = reachable(profile, scope, theirs, ours);
    match (forward, backward) {
        (true, false) => (Decision::Theirs, Because::Further),
        (false, true) => (Decision::Ours, Because::Further),
        (true, true) => {
            let (ours_progress, theirs_progress) = (profile.kind(ours).progress(), profile.kind(theirs).progress());
            match ours_progress.cmp(&theirs_progress) {
                std::cmp::Ordering::Less => (Decision::Theirs, Because::Kind),
                std::cmp::Ordering::Greater => (Decision::Ours, Because::Kind),
                std::cmp::Ordering::Equal => (Decision::Conflict, Because::Undecided),
            }
        }
        (false, false) => (Decision::Conflict, Because::Undecided),
    }
}

/// Whether `to` can follow `from` in one or more allowed transitions of `scope`, not passing
/// through a blocked status (from `[BLOCKED]` a task may go back to researching or planning: a
/// path through it says nothing about which status is further along).
pub fn reachable(profile: &Profile, scope: Scope, from: StatusId, to: StatusId) -> bool {
    let count = profile.statuses.len();
    let valid = |it: StatusId| usize::from(it.0) < count;
    if !valid(from) || !valid(to) {
        return false;
    }
    let mut seen = vec![false; count];
    let mut queue = vec![from];
    seen[usize::from(from.0)] = true;
    while let Some(at) = queue.pop() {
        for next in profile.ids().filter(|it| profile.status(*it).in_scope(scope)) {
            if seen[usize::from(next.0)] || next == at || !profile.allows(scope, at, next) {
                continue;
            }
            if next == to {
                return true;
            }
            seen[usize::from(next.0)] = true;
            // A blocked status leads back to almost anything: a detour, not progress.
            if profile.kind(next) != Kind::Blocked {
                queue.push(next);
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles;

    fn spec(name: &str) -> Option<StatusId> {
        profiles::spec_folder().by_id(name)
    }

    fn decided(base: &str, ours: &str, theirs: &str) -> Decision {
        decide(&profiles::spec_folder(), Scope::Task, spec(base), spec(ours), spec(theirs)).0
    }

    #[test]
    fn one_side_changed() {
        assert_eq!(decided("planned", "implementing", "planned"), Decision::Ours);
        assert_eq!(decided("planned", "planned", "blocked"), Decision::Theirs);
        assert_eq!(decided("planned", "planned", "planned"), Decision::Agreed);
        assert_eq!(decided("planned", "completed", "completed"), Decision::Agreed);
    }

    #[test]
    fn the_side_further_along_the_graph_wins() {
        assert_eq!(decided("planned", "implementing", "completed"), Decision::Theirs);
        assert_eq!(decided("not_started", "researched", "researching"), Decision::Ours);
        assert_eq!(decided("implementing", "partial", "completed"), Decision::Theirs);
    }

    #[test]
    fn a_cycle_is_decided_by_kind_or_not_at_all() {
        // BLOCKED <-> IMPLEMENTING: both active-ish, neither further along.
        assert_eq!(decided("planned", "blocked", "implementing"), Decision::Conflict);
        // Neither reachable from the other: COMPLETED and ABANDONED are both terminal.
        assert_eq!(decided("implementing", "completed", "abandoned"), Decision::Conflict);
    }

    #[test]
    fn a_vocabulary_without_a_graph_goes_by_kind() {
        let profile = profiles::backlog(&["To Do".into(), "In Progress".into(), "Done".into()]);
        let id = |name: &str| profile.by_id(name);
        let (decision, because) = decide(&profile, Scope::Task, id("To Do"), id("In Progress"), id("Done"));
        assert_eq!((decision, because), (Decision::Theirs, Because::Kind));
    }

    #[test]
    fn an_unknown_status_on_a_changed_side_is_a_conflict() {
        assert_eq!(
            decide(&profiles::spec_folder(), Scope::Task, spec("planned"), None, spec("completed")).0,
            Decision::Conflict
        );
    }
}

//! The task lifecycle beyond status changes: listing tasks, creating them with ids that never
//! collide, editing their fields, archiving finished ones. Each write is planned as one [`crate::edit::WorkspaceChange`] across every
//! store of the tracker, validated and re-checked like a status change.

pub mod across;
pub mod archive;
pub mod collisions;
pub mod create;
pub mod edit;
pub mod ids;
pub(crate) mod json_text;
pub mod list;
pub mod next;
pub mod parallel;
pub mod renumber;

pub use archive::{ArchiveRequest, PlannedArchive, plan_archive};
pub use collisions::{OtherVersion, id_collisions};
pub use create::{NewTask, PlannedTask, choose_tracker, plan_new_task};
pub use edit::{Artifact, EditTask, plan_edit_task};
pub use ids::{IdShape, UsedIds, id_number};
pub use list::{ListFilter, TaskRow, check_filter, family_of, list_tasks, listed_keys, task_row};
pub use next::{Candidate, Held, NextFilter, NextTasks, next_tasks};
pub use parallel::{ParallelPlan, pick_parallel};
pub use renumber::{PlannedRenumber, plan_plan_numbers, plan_renumber, shared_ids};

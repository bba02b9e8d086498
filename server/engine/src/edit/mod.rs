//! Edit planning: the minimal text edits that change a task's status everywhere
//! ([`plan_status_change`]), or fix a diagnostic ([`plan_fix`], [`run_safe_fixes`]), as one
//! [`WorkspaceChange`]. Nothing is written here; the adapters apply the change (an editor's
//! `WorkspaceEdit`, the CLI's transaction).
//!
//! The change itself and its pieces (files edited, created and moved, refusals, the user's
//! text checked) live in `change`, below both this module and `lifecycle`, whose use cases
//! write changes too and whose entry writer a status change calls; they are re-exported here,
//! where the other crates name them.

mod fixes;
mod status_change;

pub use crate::change::*;
pub use fixes::{
    HeldBack, MAX_FIX_PASSES, SAFE_FIX_CODES, SafeFixes, fix_titles, is_safe_fix, plan_fix, plan_safe_fixes,
    run_safe_fixes, safe_fix_candidates,
};
pub use status_change::plan_status_change;

//! taskmark's reading of the world: where a workspace is and what it holds (the walk, reading
//! tracker files whatever they turn out to be, with limits), git's objects, branches and
//! worktrees, and the private folders taskmark keeps its own state in. Everything here only
//! reads the workspace; writing it is `taskmark-transaction`'s.

pub use taskmark_engine as engine;

pub mod branch_ids;
pub mod git;
pub mod kept_walk;
pub mod private_dir;
pub mod read;
pub mod state_dir;
pub mod workspace;
pub mod worktrees;

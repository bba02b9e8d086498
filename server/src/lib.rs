//! taskmark keeps markdown task trackers honest.
//!
//! [`engine`] is the pure core: it parses tracker files, indexes the workspace, runs the rules
//! and plans edits. It takes text and gives values; it never touches the file system, a
//! socket or a clock. [`cli`] is the command-line adapter over it.

pub mod cli;
pub mod engine;

//! taskmark keeps markdown task trackers honest.
//!
//! [`engine`] is the pure core: it parses tracker files, indexes the workspace, runs the rules
//! and plans edits. It takes text and gives values; it never touches the file system, a
//! socket or a clock. The adapters do: [`workspace`] loads a workspace from disk, [`cli`] is
//! the command line, [`lsp`] the language server and [`transaction`] the crash-safe write
//! path both use to change files on disk; [`views`] shows engine values the same way in
//! every adapter.

pub mod allocator;
pub mod cli;
#[cfg(unix)]
pub mod daemon;
pub use taskmark_engine as engine;
pub mod git;
pub mod lsp;
pub mod lsp_client;
pub mod mcp;
pub mod private_dir;
pub mod read;
pub mod transaction;
pub mod views;
pub mod workspace;
pub mod write_path;

#[cfg(test)]
mod boundaries;

//! taskmark keeps markdown task trackers honest.
//!
//! This package is the `taskmark` binary and its command line. The work is done by the crates
//! it is built on, in their dependency order: `taskmark-engine` (the pure core: parsing, the
//! index, the rules, the edit planner), `taskmark-io` (the workspace read from disk and git),
//! `taskmark-transaction` (crash-safe writes), `taskmark-service` (the use cases and the one
//! write path), and the front doors `taskmark-lsp`, `taskmark-daemon` and `taskmark-mcp`. They
//! are re-exported here under the names the tests and benchmarks use.

pub mod allocator;
pub mod cli;
#[cfg(unix)]
pub use taskmark_daemon as daemon;
pub use taskmark_engine as engine;
pub use taskmark_io::{branch_ids, git, private_dir, read, workspace, worktrees};
pub use taskmark_lsp as lsp;
pub use taskmark_lsp::client as lsp_client;
pub use taskmark_mcp as mcp;
pub use taskmark_service as service;
pub use taskmark_service::{claims, views, write_path};
pub use taskmark_transaction as transaction;

#[cfg(test)]
mod boundaries;

//! taskmark's use cases, protocol-free: what every front door (the command line, the language
//! server, the MCP server, the agents' hook) asks of a workspace, and the one write path every
//! change that reaches a language server session goes through.

pub(crate) use taskmark_engine as engine;
pub(crate) use taskmark_transaction as transaction;

pub mod board;
pub mod claiming;
pub mod claims;
pub mod edit_judgement;
pub mod fixing;
pub mod guards;
pub mod id_reservations;
pub mod lifecycle;
pub mod next;
pub mod status_change;
mod versioned_file;
pub mod views;
pub mod write_path;

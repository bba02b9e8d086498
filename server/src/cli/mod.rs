//! The command-line adapter.

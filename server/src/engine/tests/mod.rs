//! Data-driven tests of the rules and the edit planner on inline multi-file fixtures.

mod edits;
mod families;
mod properties;
mod rules;

//! The pure core. Nothing here does IO: adapters hand in file texts (and, for links, a way
//! to ask whether a path exists) and get plain values back.

mod change;
pub mod config;
pub mod conventions;
pub mod diagnostic;
pub mod edit;
pub mod explain;
pub mod ide;
pub mod index;
pub mod layout;
pub mod lifecycle;
pub mod markdown;
pub mod merge;
pub mod model;
pub mod parse;
pub mod profiles;
pub mod rules;
mod summary;
pub mod text;
pub mod timestamp;
pub mod vocabulary;
pub mod yaml;

#[cfg(test)]
pub(crate) mod fixture;
#[cfg(test)]
mod tests;

//! The pure core. Nothing here does IO: adapters hand in file texts (and, for links, a way
//! to ask whether a path exists) and get plain values back.
//!
//! # The facade
//!
//! The public modules are what the other crates may use, each a concept an adapter asks about:
//! the workspace (`index`, `layout`, `config`, `conventions`, `vocabulary`, `model`), what is
//! wrong with it (`rules`, `diagnostic`, `explain`), what to change (`edit`, `lifecycle`,
//! `merge`), the editor's questions (`ide`), and the plain values they all speak in (`text`,
//! `timestamp`). The readers of each format and the low-level parsers (`parse`, `markdown`,
//! `yaml`, `profiles`) and the planners' shared pieces (`change`, `summary`) are the engine's
//! own: adapters reach what they produce through the index, never the parsers themselves, so a
//! format's reader can change without a change outside the engine. `Outline` alone is exported
//! from the readers, for the benchmarks and the corpus test that measure and check it.
//! `boundaries.rs::the_engine_s_facade_is_what_adapters_use` keeps this list honest both ways.

// What adapters may use.
pub mod config;
pub mod conventions;
pub mod diagnostic;
pub mod edit;
pub mod explain;
pub mod ide;
pub mod index;
pub mod layout;
pub mod lifecycle;
pub mod merge;
pub mod model;
pub mod rules;
pub mod text;
pub mod timestamp;
pub mod vocabulary;

pub use markdown::Outline;

// The engine's own.
mod change;
mod markdown;
mod parse;
mod profiles;
mod summary;
mod yaml;

#[cfg(test)]
pub(crate) mod fixture;
#[cfg(test)]
mod tests;

//! tasklint: a fast static checker for the mistakes people make with background tasks.
//!
//! The pipeline, top-down: [`discover`] the files → parse each in parallel ([`lang`])
//! into a language-neutral [`model`] → build the project [`index`] (module names, import
//! resolution, tasks, handlers, call graph) → run the [`rules`] → [`report`].

pub mod cache;
pub mod cargo_tasklint;
pub mod catalogue;
pub mod check;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod explain;
pub mod findings_cache;
pub mod fix;
pub mod index;
pub mod knowledge;
pub mod lang;
pub mod model;
pub mod noqa;
pub mod paths;
pub mod pipeline;
pub mod prefilter;
pub mod progress;
pub mod report;
pub mod rules;
pub mod server;
pub mod settings;
pub mod source;
pub mod stamp;
pub mod suppress;
pub mod timings;

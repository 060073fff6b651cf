//! The knowledge base: task frameworks, slow calls, handler shapes. It is data
//! (`rules/**/*.toml`, embedded at build time) extended by the user's configuration; the
//! index and the rules read it through these typed tables.

mod pattern;
pub mod rust;

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

pub use pattern::{PathPattern, Step};

use crate::diagnostic::Severity;

const TASK_FRAMEWORKS: &str = include_str!("../../rules/python/task_frameworks.toml");
const SLOW_CALLS: &str = include_str!("../../rules/python/slow_calls.toml");
const HANDLERS: &str = include_str!("../../rules/python/handlers.toml");
const OFFLOAD: &str = include_str!("../../rules/python/offload.toml");

/// The built-in knowledge, parsed once.
pub static BUILTIN: LazyLock<Knowledge> = LazyLock::new(|| {
    Knowledge::from_sources(TASK_FRAMEWORKS, SLOW_CALLS, HANDLERS, OFFLOAD)
        .unwrap_or_else(|e| panic!("the built-in rules/ data is invalid: {e}"))
});

/// What a direct call `task(...)` does in a framework.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DirectCall {
    /// The body runs in the caller (Celery, Dramatiq, RQ `@job`): TL101.
    RunsInline,
    /// The call is the enqueue API (Huey, django-background-tasks).
    Enqueues,
    /// The task object is not callable (django.tasks): TL101 everywhere.
    TypeError,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskFramework {
    pub id: String,
    pub name: String,
    pub direct_call: DirectCall,
    /// The enqueue method a fix or help suggests (`delay`, `send`, `enqueue`).
    pub enqueue_hint: String,
    pub enqueue_methods: Vec<String>,
    pub inline_methods: Vec<String>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub decorators: Vec<PathPattern>,
    /// The decorator option that makes the first parameter receive the task itself.
    #[serde(default)]
    pub bind_option: Option<String>,
    pub docs: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlowCall {
    pub category: String,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub calls: Vec<PathPattern>,
    pub why: String,
    #[serde(default)]
    pub instead: Option<String>,
    #[serde(default)]
    pub async_alternative: Option<String>,
    pub severity: Severity,
    /// Fine in a sync handler; blocking only on an event loop (TL302).
    #[serde(default)]
    pub async_only: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UrlConf {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub route_functions: Vec<PathPattern>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub include_functions: Vec<PathPattern>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassView {
    pub framework: String,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub bases: Vec<PathPattern>,
    /// Method names (a trailing `*` matches any suffix: `resolve_*`).
    pub methods: Vec<String>,
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub method_decorators: Vec<PathPattern>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecoratedHandler {
    pub framework: String,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub decorators: Vec<PathPattern>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offload {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub calls: Vec<PathPattern>,
    pub methods: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrameworksFile {
    framework: Vec<TaskFramework>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlowCallsFile {
    slow_call: Vec<SlowCall>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HandlersFile {
    urlconf: UrlConf,
    class_view: Vec<ClassView>,
    decorated: Vec<DecoratedHandler>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OffloadFile {
    offload: Offload,
}

#[derive(Clone, Debug)]
pub struct Knowledge {
    pub frameworks: Vec<TaskFramework>,
    pub slow_calls: Vec<SlowCall>,
    pub urlconf: UrlConf,
    pub class_views: Vec<ClassView>,
    pub decorated_handlers: Vec<DecoratedHandler>,
    pub offload: Offload,
    /// Rust: blocking catalogue, handler shapes, offload calls (`rules/rust/*.toml`).
    pub rust: rust::RustKnowledge,
    /// Slow-call patterns by their last name, so a call is matched against a handful of
    /// candidates instead of the whole catalogue.
    slow_by_last: HashMap<String, Vec<(usize, usize)>>,
}

impl Knowledge {
    fn from_sources(
        frameworks: &str,
        slow_calls: &str,
        handlers: &str,
        offload: &str,
    ) -> Result<Knowledge, String> {
        let f: FrameworksFile =
            toml::from_str(frameworks).map_err(|e| format!("task_frameworks.toml: {e}"))?;
        let s: SlowCallsFile =
            toml::from_str(slow_calls).map_err(|e| format!("slow_calls.toml: {e}"))?;
        let h: HandlersFile =
            toml::from_str(handlers).map_err(|e| format!("handlers.toml: {e}"))?;
        let o: OffloadFile = toml::from_str(offload).map_err(|e| format!("offload.toml: {e}"))?;
        let mut k = Knowledge {
            frameworks: f.framework,
            slow_calls: s.slow_call,
            urlconf: h.urlconf,
            class_views: h.class_view,
            decorated_handlers: h.decorated,
            offload: o.offload,
            rust: rust::RustKnowledge::builtin()?,
            slow_by_last: HashMap::new(),
        };
        k.reindex();
        Ok(k)
    }

    /// Rebuilds lookup tables after the tables were extended.
    pub fn reindex(&mut self) {
        self.slow_by_last.clear();
        for (i, entry) in self.slow_calls.iter().enumerate() {
            for (j, p) in entry.calls.iter().enumerate() {
                self.slow_by_last
                    .entry(p.last_name().to_string())
                    .or_default()
                    .push((i, j));
            }
        }
    }

    /// Candidate slow-call patterns for a value whose last name is `last`
    /// (`(entry index, pattern index)`), plus wildcard patterns.
    pub fn slow_call_candidates<'a>(
        &'a self,
        last: &str,
    ) -> impl Iterator<Item = (&'a SlowCall, &'a PathPattern)> + 'a {
        let exact = self.slow_by_last.get(last).into_iter().flatten();
        let wild = self.slow_by_last.get("*").into_iter().flatten();
        exact
            .chain(wild)
            .map(|(i, j)| (&self.slow_calls[*i], &self.slow_calls[*i].calls[*j]))
    }

    pub fn framework(&self, id: &str) -> Option<usize> {
        self.frameworks.iter().position(|f| f.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_data_parses() {
        let k = &*BUILTIN;
        assert!(k.framework("celery").is_some());
        assert!(k.framework("huey").is_some());
        assert!(k.slow_call_candidates("sleep").next().is_some());
    }
}

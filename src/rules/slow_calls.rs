//! Matching calls against the slow-call catalogue (`rules/python/slow_calls.toml`),
//! shared by TL301 and TL302.

use crate::index::callgraph::Edge;
use crate::index::{CallRef, FuncRef, Project, Value};
use crate::knowledge::{PathPattern, SlowCall};

/// One cause, one finding: a slow call in a project function that this many handlers (or
/// coroutines) reach is reported once, at that call, instead of once per handler.
pub const SHARED_BY: usize = 3;

/// `a`, `b`, `c` and 2 more: the functions that reach a shared slow call.
pub fn name_roots(project: &Project, roots: &[(FuncRef, Vec<Edge>)]) -> String {
    let names: Vec<String> = roots
        .iter()
        .take(SHARED_BY)
        .map(|(r, _)| format!("`{}`", project.display_name(*r)))
        .collect();
    let rest = roots.len().saturating_sub(SHARED_BY);
    match rest {
        0 => match names.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, init)) => format!("{} and {last}", init.join(", ")),
            None => String::new(),
        },
        n => format!("{} and {n} more", names.join(", ")),
    }
}

pub struct SlowMatch<'k> {
    pub entry: &'k SlowCall,
    /// How to name the call in a message: `requests.post`, `requests.Session.get`.
    pub name: String,
}

/// The catalogue entry a call matches, if any. `async_context`: include the entries
/// that only block an event loop (`open()`, ...).
pub fn slow_call(project: &Project, call: CallRef, async_context: bool) -> Option<SlowMatch<'_>> {
    let value = project.callee(call);
    // A project function can be a slow call too, when the configuration names it
    // (`slow-calls`).
    let last = match value {
        Value::Function(f) => project.scope(*f).name.as_str(),
        _ => value.last_name()?,
    };
    project
        .knowledge
        .slow_call_candidates(last)
        .find(|(entry, pattern)| {
            (async_context || !entry.async_only) && project.matches(value, pattern)
        })
        .map(|(entry, pattern)| SlowMatch {
            entry,
            name: display(project, call, pattern),
        })
}

/// A module-level function by its qualified name (`requests.post`, whatever the import
/// alias); a method on a client or image by the code as written (`s3.upload_fileobj`).
fn display(project: &Project, call: CallRef, pattern: &PathPattern) -> String {
    if pattern.steps.is_empty() {
        let root = pattern.root.as_str();
        return root.strip_prefix("builtins.").unwrap_or(root).to_string();
    }
    let callee = &project.call(call).callee;
    crate::rules::context::abbreviate(project.files[call.file].slice(callee.span), 40)
}

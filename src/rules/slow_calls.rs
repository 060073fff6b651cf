//! Matching calls against the slow-call catalogue (`rules/python/slow_calls.toml`),
//! shared by TL301 and TL302.

use crate::index::{CallRef, Project, Value};
use crate::knowledge::{PathPattern, SlowCall};

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
            (async_context || !entry.async_only)
                && entry.admits(last)
                && project.matches(value, pattern)
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

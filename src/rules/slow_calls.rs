//! Matching calls against the slow-call catalogue (`rules/python/slow_calls.toml`),
//! shared by TL301 and TL302.

use crate::index::{CallRef, Project, Value};
use crate::knowledge::{PathPattern, SlowCall, Step};

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
            name: display(pattern, value),
        })
}

fn display(pattern: &PathPattern, value: &Value) -> String {
    let mut s = pattern.root.clone();
    for step in &pattern.steps {
        s.push('.');
        match step {
            Step::Name(n) => s.push_str(n),
            Step::Any => s.push_str(value.last_name().unwrap_or("*")),
        }
    }
    s.strip_prefix("builtins.").map(str::to_string).unwrap_or(s)
}

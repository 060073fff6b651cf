//! Questions several rules ask about where a call runs, and how to say it.

use crate::index::callgraph::{Edge, Reached};
use crate::index::{CallRef, FuncRef, Handler, Project};

/// The request handler a call runs under, and how the handler reaches the function that
/// makes the call (empty path: the call is in the handler itself).
pub struct InHandler<'p> {
    pub handler: &'p Handler,
    pub reached: &'p Reached,
}

pub fn in_handler(project: &Project, call: CallRef) -> Option<InHandler<'_>> {
    let owner = project.call_owner(call)?;
    let reached = project.reach.get(owner)?;
    let handler = project.handlers.get(reached.handler)?;
    Some(InHandler { handler, reached })
}

/// `checkout → settle → notify_warehouse`, from a handler along a path of edges.
pub fn chain(project: &Project, start: FuncRef, path: &[Edge], tail: Option<&str>) -> String {
    let mut parts = vec![project.display_name(start)];
    parts.extend(path.iter().map(|e| project.display_name(e.target)));
    if let Some(t) = tail {
        parts.push(t.to_string());
    }
    parts.join(" → ")
}

/// The note that says which handler a call runs under.
pub fn handler_note(project: &Project, h: &InHandler) -> String {
    let name = project.display_name(h.handler.func);
    if h.reached.path.is_empty() {
        format!("`{name}` is a request handler ({})", h.handler.kind)
    } else {
        format!(
            "reached from the request handler `{name}` ({}): {}",
            h.handler.kind,
            chain(project, h.handler.func, &h.reached.path, None)
        )
    }
}

/// Source text of a span of the call's file.
pub fn text(project: &Project, call: CallRef, span: crate::model::Span) -> &str {
    project.files[call.file].slice(span)
}

/// Shortens text for a message: first line only, at most `max` characters.
pub fn abbreviate(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() <= max && !text.contains('\n') {
        line.to_string()
    } else {
        let mut s: String = line.chars().take(max).collect();
        s.push('…');
        s
    }
}

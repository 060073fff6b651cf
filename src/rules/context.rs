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
    for e in path {
        // A callback is run by the function it was passed to: name that one too.
        if project.graph.is_callback(e.call, e.target)
            && let Some(runner) = project.call_target(e.call)
        {
            parts.push(project.display_name(runner));
        }
        parts.push(project.display_name(e.target));
    }
    if let Some(t) = tail {
        parts.push(t.to_string());
    }
    parts.join(" → ")
}

/// The note that says which handler a call runs under.
pub fn handler_note(project: &Project, h: &InHandler) -> String {
    let name = project.display_name(h.handler.func);
    if h.reached.path.is_empty() {
        h.handler.note(&name)
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

/// What a call reaches through project functions: the reached call and how to name it.
pub struct Reaches<'a> {
    /// The edges after the reporting call (`find_reachable`'s path).
    pub path: Vec<Edge>,
    /// The call that is slow or blocking.
    pub site: CallRef,
    /// `requests.post`, `bcrypt::verify`.
    pub name: &'a str,
    /// Completes "which ...": `waits for a remote server inside the request`.
    pub why: &'a str,
    /// Under the underline: `reaches a slow call (HTTP request)`.
    pub label: String,
}

/// Reports `call` (in `start`, described by `where_`: "in request handler `checkout`")
/// because it reaches a slow or blocking call through project functions: the finding
/// sits on the call the user wrote, the chain is a note, and the reached call a related
/// place (TL301, TL302). Returns the diagnostic for severity, help and more notes.
pub fn report_reached<'c>(
    cx: &'c mut crate::rules::Checker,
    call: CallRef,
    target: FuncRef,
    start: FuncRef,
    where_: &str,
    reached: Reaches,
) -> &'c mut crate::diagnostic::Diagnostic {
    let project = cx.project;
    let c = project.call(call);
    let callee = abbreviate(text(project, call, c.callee.span), 40);
    let mut full = vec![Edge { call, target }];
    full.extend(reached.path);
    let chain_text = chain(project, start, &full, Some(reached.name));
    let site_span = project.call(reached.site).span;
    let d = cx.report(
        call.file,
        c.span,
        format!(
            "`{callee}(...)` {where_} reaches `{}`, which {}",
            reached.name, reached.why
        ),
    );
    d.label(reached.label)
        .note(format!("call chain: {chain_text}"))
        .related(
            reached.site.file,
            site_span,
            format!("`{}` is called here", reached.name),
        );
    d
}

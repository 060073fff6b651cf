//! TL301 slow-call-in-handler: network, mail, sleep, subprocess or heavy file work in a
//! sync request handler, directly or through project functions.

use super::context::{Reaches, report_reached};
use super::slow_calls::slow_call;
use super::{Check, Checker, Rule};
use crate::catalogue;
use crate::index::FuncRef;

pub static RULE: Rule = Rule {
    info: &catalogue::TL301,
    check: Check::Function(check),
};

fn check(cx: &mut Checker, func: FuncRef) {
    let project = cx.project;
    let Some(handler) = project.handlers.get(func) else {
        return;
    };
    // In an async handler the same call blocks the event loop: that is TL302's finding.
    if project.scope(func).is_async || project.is_test_function(func) {
        return;
    }
    let name = project.display_name(func);
    let depth = project.settings.max_call_depth;
    for &call in project.graph.calls_in(func) {
        let c = project.call(call);
        if let Some(slow) = slow_call(project, call, false) {
            let d = cx.report(
                call.file,
                c.span,
                format!(
                    "`{}` in request handler `{name}` {}",
                    slow.name, slow.entry.why
                ),
            );
            d.severity(slow.entry.severity)
                .label(format!(
                    "{}: the response waits for this",
                    slow.entry.category
                ))
                .note(format!("`{name}` is a request handler ({})", handler.kind));
            if let Some(instead) = &slow.entry.instead {
                d.help(fill_in(instead, &slow.name, &name));
            }
            continue;
        }
        let Some(target) = project.call_target(call) else {
            continue;
        };
        // A task called directly is TL101's finding; its body is not followed here.
        if project.tasks.get(target).is_some() || depth == 0 {
            continue;
        }
        let found = project.find_reachable(
            Some(call),
            target,
            depth - 1,
            |e| project.tasks.get(e.target).is_none(),
            |c2| slow_call(project, c2, false),
        );
        let Some((path, slow_site, slow)) = found else {
            continue;
        };
        let d = report_reached(
            cx,
            call,
            target,
            func,
            &format!("in request handler `{name}`"),
            Reaches {
                path,
                site: slow_site,
                name: &slow.name,
                why: &slow.entry.why,
                label: format!("reaches a slow call ({})", slow.entry.category),
            },
        );
        d.severity(slow.entry.severity);
        if let Some(instead) = &slow.entry.instead {
            d.help(fill_in(instead, &slow.name, &name));
        }
    }
}

/// The catalogue's `instead` with the names of the user's code: `{call}` is the slow
/// call as the message names it, `{handler}` the handler. A help line never shows a
/// name that is not in the user's code.
fn fill_in(instead: &str, call: &str, handler: &str) -> String {
    instead
        .replace("{call}", call)
        .replace("{handler}", handler)
}

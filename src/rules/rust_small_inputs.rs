//! Work the code itself keeps small: a value built by a call whose size arguments are
//! literals within bounds (`argon2::Params::new(8, 1, 1, ..)`, `RgbImage::new(200, 200)`),
//! followed through local `let`s, the arguments of constructor calls and the receivers of
//! method chains. The blocking catalogue's `small_inputs` say which calls and bounds.

use crate::index::{CallRef, Project};
use crate::knowledge::rust::SmallInput;
use crate::model::{BoundValue, Expr, ExprKind, ScopeId, ScopeKind};
use crate::source::FileId;

/// How many `let`s and calls are followed back from the receiver.
const BUDGET: u32 = 8;

/// Is the receiver of `call` built small, by one of `small`?
pub fn receiver_built_small(project: &Project, call: CallRef, small: &[SmallInput]) -> bool {
    if small.is_empty() {
        return false;
    }
    let c = project.call(call);
    c.receiver()
        .is_some_and(|r| built_small(project, call.file, c.scope, r, c.span.start, small, BUDGET))
}

fn built_small(
    project: &Project,
    file: FileId,
    scope: ScopeId,
    expr: &Expr,
    at: u32,
    small: &[SmallInput],
    budget: u32,
) -> bool {
    if budget == 0 {
        return false;
    }
    match &expr.kind {
        ExprKind::Name(name) => match local_let(project, file, scope, name, at) {
            Some((scope, e, at)) => built_small(project, file, scope, e, at, small, budget - 1),
            None => false,
        },
        ExprKind::Call(id) => {
            let call = CallRef { file, call: *id };
            let c = project.call(call);
            let callee = project.callee(call);
            if let Some(s) = small.iter().find(|s| project.matches(callee, &s.call)) {
                let sizes: Vec<_> = c.positional().take(s.at_most.len()).collect();
                return sizes.len() == s.at_most.len()
                    && sizes.iter().zip(&s.at_most).all(|(a, max)| {
                        literal(project, file, c.scope, &a.value, c.span.start)
                            .is_some_and(|n| n <= *max)
                    });
            }
            match c.receiver() {
                // `Params::new(8, 1, 1, None).expect("..")`: a method gives back (a
                // view of) its receiver; its arguments are not what it is built from.
                Some(r) => built_small(project, file, c.scope, r, c.span.start, small, budget - 1),
                // `Argon2::new(alg, version, params)`, `DynamicImage::ImageRgb8(img)`.
                None => c.positional().any(|a| {
                    built_small(
                        project,
                        file,
                        c.scope,
                        &a.value,
                        c.span.start,
                        small,
                        budget - 1,
                    )
                }),
            }
        }
        _ => false,
    }
}

/// An integer written in the code: a literal, or a `let` bound to one (`let width = 200;`).
fn literal(project: &Project, file: FileId, scope: ScopeId, e: &Expr, at: u32) -> Option<i64> {
    match &e.kind {
        ExprKind::Int(n) => Some(*n),
        ExprKind::Name(name) => match local_let(project, file, scope, name, at)? {
            (
                _,
                Expr {
                    kind: ExprKind::Int(n),
                    ..
                },
                _,
            ) => Some(*n),
            _ => None,
        },
        _ => None,
    }
}

/// The value of the last `let name = ..` before `at` in the function holding `scope`
/// (closures see their function's locals): its scope, expression and position.
fn local_let<'p>(
    project: &'p Project,
    file: FileId,
    scope: ScopeId,
    name: &str,
    at: u32,
) -> Option<(ScopeId, &'p Expr, u32)> {
    let model = &project.models[file];
    let mut s = Some(scope);
    let mut at = at;
    while let Some(id) = s {
        let sc = &model.scopes[id];
        if !matches!(sc.kind, ScopeKind::Function | ScopeKind::Lambda) {
            return None;
        }
        let found = project
            .rust
            .local_bindings(file, id, name)
            .iter()
            .map(|i| &sc.bindings[*i])
            .rfind(|b| b.span.start < at);
        if let Some(b) = found {
            return match &b.value {
                BoundValue::Expr(e) => Some((id, e, b.span.start)),
                _ => None,
            };
        }
        if sc.kind == ScopeKind::Function {
            return None;
        }
        at = sc.span.start;
        s = sc.parent;
    }
    None
}

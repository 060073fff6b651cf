//! Request handlers of Rust web frameworks, from `rules/rust/handlers.toml`: functions
//! carrying a route attribute (actix-web, rocket, poem), and functions or closures passed
//! to routing calls (axum `get(h)`, actix-web `web::get().to(h)`, warp `.and_then(h)`).

use std::collections::HashSet;

use rayon::prelude::*;

use crate::model::{ArgKind, ExprKind};

use super::super::{CallRef, FuncRef, HandlerSet, Project, Value};
use super::RustHandler;
use super::manifest::version_below;
use super::resolve::{origin, path_under};

pub fn find(project: &Project) -> Vec<RustHandler> {
    // Each file's handlers in parallel, then in file order: a function found twice keeps
    // its first description.
    let files: Vec<_> = project.rust_models().collect();
    let parts: Vec<Vec<RustHandler>> = files
        .par_iter()
        .map(|&(file, model)| file_handlers(project, file, model))
        .collect();
    let mut seen: HashSet<FuncRef> = HashSet::new();
    parts
        .into_iter()
        .flatten()
        .filter(|h| seen.insert(h.func))
        .collect()
}

/// The handlers one file declares, in order (a function may come more than once).
fn file_handlers(
    project: &Project,
    file: crate::source::FileId,
    model: &crate::model::FileModel,
) -> Vec<RustHandler> {
    let mut out: Vec<RustHandler> = Vec::new();
    let k = &project.knowledge.rust;
    for (scope, s) in model.functions() {
        let func = FuncRef { file, scope };
        for d in &s.decorators {
            let v = project.rust_decorator_value(file, s.parent.unwrap_or(0), &d.expr);
            if v.is_unknown() {
                continue;
            }
            let Some(entry) = k
                .attribute_handlers
                .iter()
                .find(|h| h.attributes.iter().any(|p| project.matches(&v, p)))
            else {
                continue;
            };
            // Rocket 0.4 is thread-per-request: its handlers are plain sync code.
            let old = match (&entry.krate, &entry.sync_before) {
                (Some(krate), Some(before)) => project
                    .rust_crate_of(file)
                    .and_then(|c| project.rust.manifest_of_crate(c))
                    .and_then(|m| m.dep_version(krate))
                    .is_some_and(|v| version_below(v, before)),
                _ => false,
            };
            out.push(RustHandler {
                func,
                framework: entry.framework.clone(),
                sync_on_runtime: entry.sync_on_runtime && !s.is_async && !old,
                registered_at: None,
            });
            break;
        }
    }
    for (id, c) in model.calls.iter().enumerate() {
        let call = CallRef { file, call: id };
        let callee = project.callee(call);
        let entry = k.registrations.iter().find(|r| {
            r.calls.iter().any(|p| project.matches(callee, p))
                || c.method_name().is_some_and(|m| {
                    r.methods.iter().any(|x| x == m || x == "*")
                        && matches!(callee, Value::Attr(base, _)
                            if origin(base).is_some_and(|o| r.receivers.iter().any(|p| path_under(o, &p.root))))
                })
        });
        let Some(entry) = entry else { continue };
        let positional = c.args.iter().filter(|a| a.kind == ArgKind::Positional);
        for (_, a) in positional
            .enumerate()
            .filter(|(i, _)| entry.positions.is_empty() || entry.positions.contains(i))
        {
            let func = match &a.value.kind {
                ExprKind::Lambda(l) => Some(FuncRef { file, scope: *l }),
                _ => match project.resolve(file, c.scope, &a.value) {
                    Value::Function(f) => Some(f),
                    _ => None,
                },
            };
            let Some(func) = func else { continue };
            out.push(RustHandler {
                func,
                framework: entry.framework.clone(),
                sync_on_runtime: entry.sync_on_runtime && !project.scope(func).is_async,
                registered_at: Some((file, c.span)),
            });
        }
    }
    impl_handlers(project, file, model, &mut out);
    out
}

/// The methods of `impl` blocks a framework calls per request (`[[impl]]` entries).
fn impl_handlers(
    project: &Project,
    file: crate::source::FileId,
    model: &crate::model::FileModel,
    out: &mut Vec<RustHandler>,
) {
    let entries = &project.knowledge.rust.impl_handlers;
    for imp in &model.rust.impls {
        let class = &model.classes[imp.class];
        let by_attribute = || {
            class.decorators.iter().find_map(|d| {
                let v = project.rust_decorator_value(file, class.parent, &d.expr);
                if v.is_unknown() {
                    return None;
                }
                entries
                    .iter()
                    .find(|e| e.attributes.iter().any(|p| project.matches(&v, p)))
            })
        };
        let by_trait = || {
            let t = imp.trait_.as_ref()?;
            let v = project.rust_type_head(file, class.parent, t, 0);
            if v.is_unknown() {
                return None;
            }
            entries
                .iter()
                .find(|e| e.traits.iter().any(|p| project.rust_matches(&v, p)))
        };
        let Some(entry) = by_attribute().or_else(by_trait) else {
            continue;
        };
        for &m in &class.methods {
            let s = &model.scopes[m];
            if !entry.methods.is_empty() && !entry.methods.iter().any(|n| n == s.name.as_str()) {
                continue;
            }
            let func = FuncRef { file, scope: m };
            out.push(RustHandler {
                func,
                framework: entry.framework.clone(),
                sync_on_runtime: entry.sync_on_runtime && !s.is_async,
                registered_at: None,
            });
        }
    }
}

impl HandlerSet {
    /// The Rust handlers found by [`find`], as every rule sees handlers.
    pub(crate) fn add_rust(&mut self, project: &Project) {
        for h in &project.rust.handlers {
            self.add(h.func, &h.framework, h.registered_at);
        }
    }
}

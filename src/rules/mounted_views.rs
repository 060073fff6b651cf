//! Library views that make a slow call themselves, mounted by the project in a URLconf
//! (`[[mounted_view]]` in `rules/python/slow_calls.toml`), for TL301. No project code is
//! on the way from the request to the call, so the finding is where the view is
//! mounted: the `path(...)` view argument or the `include(...)`.

use super::Checker;
use super::slow_calls::quieted_by;
use crate::index::handlers::{method_of, urlconf_view};
use crate::index::{CallRef, Project, Value};
use crate::knowledge::MountedView;
use crate::model::{ExprKind, Span};
use crate::source::FileId;

/// A mount of a listed view: where, the view as the finding names it, and the entry.
struct Mount<'k> {
    file: FileId,
    span: Span,
    name: String,
    view: &'k MountedView,
    /// Mounted through `include("module")`: `name` is the module.
    included: bool,
}

pub fn report(cx: &mut Checker) {
    let project = cx.project;
    if project.knowledge.mounted_views.is_empty() {
        return;
    }
    for mount in mounts(project) {
        let Some(entry) = project.knowledge.mounted_view_call(mount.view) else {
            continue;
        };
        // The project's settings hand the work to a queue (`EMAIL_BACKEND`).
        if quieted_by(project, entry).is_some() {
            continue;
        }
        let message = if mount.included {
            format!(
                "`{}` included here routes a library view that {}",
                mount.name, entry.why
            )
        } else {
            format!("library view `{}` routed here {}", mount.name, entry.why)
        };
        let d = cx.report(mount.file, mount.span, message);
        d.severity(entry.severity)
            .label(format!("{}: the response waits for this", entry.category))
            .note(format!(
                "no project code runs on the way: {}",
                mount.view.when
            ));
        if let Some(how) = &entry.how_slow {
            d.note(format!("how slow: {how}"));
        }
        d.help(mount.view.instead.clone());
    }
}

/// The URLconf entries of the project's root files that mount a listed view.
fn mounts(project: &Project) -> Vec<Mount<'_>> {
    let k = &project.knowledge;
    let mut out = Vec::new();
    for (file, model) in project.roots() {
        // A test settings' URLconf serves no user.
        if model.language != crate::model::Language::Python || project.is_test[file] {
            continue;
        }
        for (id, call) in model.calls.iter().enumerate() {
            let Some(view) = urlconf_view(project, CallRef { file, call: id }) else {
                continue;
            };
            let found = match &view.kind {
                ExprKind::Call(inner) => {
                    let inner_ref = CallRef { file, call: *inner };
                    let c = project.call(inner_ref);
                    if c.method_name() == Some("as_view") {
                        c.receiver()
                            .and_then(|r| class_view(project, file, c.scope, r))
                            .map(|(name, v)| (name, v, false))
                    } else if k
                        .urlconf
                        .include_functions
                        .iter()
                        .any(|p| project.matches(project.callee(inner_ref), p))
                    {
                        included(project, c)
                    } else {
                        None
                    }
                }
                _ => match project.resolve(file, call.scope, view) {
                    Value::External(path) => {
                        listed(project, &path).map(|v| (last(&path), v, false))
                    }
                    _ => None,
                },
            };
            if let Some((name, view_entry, included)) = found {
                out.push(Mount {
                    file,
                    span: view.span,
                    included,
                    name,
                    view: view_entry,
                });
            }
        }
    }
    out
}

/// `X.as_view()`: a listed library class, or a project subclass of one that leaves the
/// work to it (defines none of `unless_overrides`).
fn class_view<'k>(
    project: &'k Project,
    file: FileId,
    scope: usize,
    receiver: &crate::model::Expr,
) -> Option<(String, &'k MountedView)> {
    match project.resolve(file, scope, receiver) {
        Value::External(path) => listed(project, &path).map(|v| (last(&path), v)),
        Value::Class(class) => {
            let (_, external) = project.class_ancestry(class);
            let view = external.iter().find_map(|p| listed(project, p))?;
            let overrides = view
                .unless_overrides
                .iter()
                .any(|m| method_of(project, class, m).is_some());
            let name = project.models[class.file].classes[class.class]
                .name
                .to_string();
            (!overrides).then_some((name, view))
        }
        _ => None,
    }
}

/// `include("django.contrib.auth.urls")`.
fn included<'k>(
    project: &'k Project,
    include: &crate::model::Call,
) -> Option<(String, &'k MountedView, bool)> {
    let module = include.positional().next()?.value.as_str()?;
    project
        .knowledge
        .mounted_views
        .iter()
        .find(|v| v.includes.iter().any(|i| i == module))
        .map(|v| (module.to_string(), v, true))
}

fn listed<'k>(project: &'k Project, path: &str) -> Option<&'k MountedView> {
    project
        .knowledge
        .mounted_views
        .iter()
        .find(|v| v.views.iter().any(|x| x == path))
}

fn last(path: &str) -> String {
    path.rsplit('.').next().unwrap_or(path).to_string()
}

//! TL201 removed-task-decorator: `from celery.decorators import task`,
//! `from celery import task`, `from celery.task import periodic_task`...: APIs Celery 5
//! removed, so the import fails and every task in the module goes unregistered.

use super::{Check, Checker, Rule};
use crate::catalogue;
use crate::diagnostic::{Applicability, Edit, Fix};
use crate::index::{Project, Value};
use crate::knowledge::RemovedImport;
use crate::model::{BoundValue, ExprKind, Import, Name, Span};
use crate::source::FileId;

pub static RULE: Rule = Rule {
    info: &catalogue::TL201,
    check: Check::Project(check),
};

/// `module` below (or equal to) `prefix`, by dotted components.
fn under<S: AsRef<str>>(path: &[S], prefix: &[&str]) -> bool {
    path.len() >= prefix.len() && path.iter().zip(prefix).all(|(a, b)| a.as_ref() == *b)
}

/// The removed API an imported path names, and its replacement for that path (by the
/// imported name, then by the removed module's member it goes through).
fn removed<'k>(project: &'k Project, path: &[String]) -> Option<(&'k RemovedImport, &'k str)> {
    project.knowledge.removed_imports.iter().find_map(|r| {
        let prefix: Vec<&str> = r.module.split('.').collect();
        if !under(path, &prefix) {
            return None;
        }
        // `from celery import task` names the removed module itself; `from
        // celery.task.schedules import crontab` a name inside it.
        let by_name = |n: Option<&String>| n.and_then(|n| r.replacements.get(n));
        let help = by_name(path.last())
            .or_else(|| by_name(path.get(prefix.len())))
            .or_else(|| r.replacements.get("*"))
            .map(String::as_str)
            .unwrap_or_default();
        Some((r, help))
    })
}

/// The absolute path an imported name refers to, when it is outside the project: the
/// resolution of its binding, which knows when a project module of the same name (a
/// top-level `celery.py`) takes precedence over the library.
fn external_path(
    project: &Project,
    file: FileId,
    import: &Import,
    name: &[Name],
    span: Span,
) -> Option<Vec<String>> {
    let model = &project.models[file];
    if import.from.is_empty() || name.first().map(|n| n.as_str()) == Some("*") {
        // `import celery.task` binds only `celery`; `from x import *` binds no name of
        // its own, and names the module itself.
        let path = if import.from.is_empty() {
            name.iter().map(|n| n.to_string()).collect::<Vec<_>>()
        } else {
            import.from.iter().map(|n| n.to_string()).collect()
        };
        let first = path.first()?;
        if project.modules.file(first).is_some() || project.modules.is_package(first) {
            return None;
        }
        return Some(path);
    }
    let binding = model.scopes[import.scope]
        .bindings
        .iter()
        .find(|b| b.span == span && matches!(b.value, BoundValue::Import(_)))?;
    match project.lookup(file, import.scope, &binding.name, binding.span.end, 0) {
        Value::External(p) => Some(p.split('.').map(String::from).collect()),
        _ => None,
    }
}

/// An import inside `try:` whose handler catches `ImportError` is a compatibility
/// shim: the fallback is right there.
fn guarded(project: &Project, file: FileId, import: &Import) -> bool {
    let model = &project.models[file];
    import.tries.iter().any(|t| {
        model.tries[*t].handlers.iter().any(|h| {
            h.types.is_empty()
                || h.types.iter().any(|ty| {
                    matches!(
                        project.resolve(file, import.scope, ty),
                        Value::External(p) if matches!(
                            p.as_str(),
                            "builtins.ImportError"
                                | "builtins.ModuleNotFoundError"
                                | "builtins.Exception"
                                | "builtins.BaseException"
                        )
                    )
                })
        })
    })
}

/// The project's declared dependencies keep it below the release that removed the API
/// (`celery = "^4.4"`): the import works there.
fn still_installed(project: &Project, r: &RemovedImport) -> bool {
    project.declared_below_release(&r.package, &r.version)
}

fn check(cx: &mut Checker) {
    let project = cx.project;
    for (file, model) in project.roots() {
        if !project.report[file] {
            continue;
        }
        for import in &model.imports {
            if import.level > 0 {
                continue;
            }
            // (what was imported, removed API, replacement)
            let mut found: Vec<(String, &RemovedImport, &str)> = Vec::new();
            for (name, span) in &import.names {
                let Some(path) = external_path(project, file, import, name, *span) else {
                    continue;
                };
                if let Some((r, help)) = removed(project, &path) {
                    found.push((path.join("."), r, help));
                }
            }
            let Some((_, first, _)) = found.first() else {
                continue;
            };
            if guarded(project, file, import) || still_installed(project, first) {
                continue;
            }
            // `from celery.task import Task, PeriodicTask`: the module is what is gone.
            let from = import.from.join(".");
            let what = if !import.from.is_empty()
                && under(&import.from, &first.module.split('.').collect::<Vec<_>>())
            {
                format!("`{from}`")
            } else {
                let names: Vec<String> = found.iter().map(|(p, _, _)| format!("`{p}`")).collect();
                names.join(", ")
            };
            let d = cx.report(
                file,
                import.span,
                format!(
                    "{what} was removed in {}: this import raises ImportError, so the module cannot be loaded and a worker registers none of its tasks",
                    first.removed_in
                ),
            );
            d.label(format!("ImportError on {} and later", first.removed_in));
            let mut helps: Vec<String> = Vec::new();
            for (path, _, help) in &found {
                if help.is_empty() {
                    continue;
                }
                let line = if found.len() == 1 {
                    format!("use {help}")
                } else {
                    let last = path.rsplit('.').next().unwrap_or(path);
                    format!("for `{last}` use {help}")
                };
                if !helps.contains(&line) {
                    helps.push(line);
                }
            }
            if !helps.is_empty() {
                d.help(helps.join("; "));
            }
            if let Some(fix) = shared_task_fix(project, file, import) {
                d.fix(fix);
            }
        }
    }
}

/// `from celery import task` (or `celery.decorators` / `celery.task`, optionally `as
/// name`), importing nothing else, at module level: the import becomes `from celery
/// import shared_task` and the file's `@task` decorators `@shared_task`. Both are
/// drop-in replacements for a Celery app's tasks, so the fix is safe.
fn shared_task_fix(project: &Project, file: FileId, import: &Import) -> Option<Fix> {
    let [(name, name_span)] = import.names.as_slice() else {
        return None;
    };
    let from = import.from.join(".");
    if import.scope != 0
        || name.as_slice() != ["task"]
        || !matches!(
            from.as_str(),
            "celery" | "celery.decorators" | "celery.task"
        )
    {
        return None;
    }
    let model = &project.models[file];
    let binding = model.scopes[0]
        .bindings
        .iter()
        .find(|b| b.span == *name_span && matches!(b.value, BoundValue::Import(_)))?;
    let source = &project.files[file];
    let aliased = binding.name != "task";
    let mut edits = vec![Edit {
        span: import.span,
        content: if aliased {
            format!("from celery import shared_task as {}", binding.name)
        } else {
            "from celery import shared_task".to_string()
        },
    }];
    if !aliased {
        // Every decorator written `@task` or `@task(...)` that means this import.
        for scope in &model.scopes {
            for d in &scope.decorators {
                let name_expr = model.decorator_path(&d.expr);
                if matches!(&name_expr.kind, ExprKind::Name(n) if n == "task")
                    && source.slice(name_expr.span) == "task"
                    && project.resolve(file, scope.parent.unwrap_or(0), name_expr)
                        == project.resolve(file, 0, name_expr)
                {
                    edits.push(Edit {
                        span: name_expr.span,
                        content: "shared_task".into(),
                    });
                }
            }
        }
    }
    Some(Fix {
        message: "import `shared_task` from `celery`".into(),
        applicability: Applicability::Safe,
        edits,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn import_statements_are_recorded_with_their_names() {
        let text = "import a.b as c, d\ntry:\n    from ..x import (y, z as w)\nexcept ImportError:\n    pass\nfrom m import *\n";
        let m = crate::lang::python::parse(text);
        let i = &m.imports;
        assert_eq!(i.len(), 3);
        assert_eq!(i[0].from, Vec::<String>::new());
        let names: Vec<_> = i[0].names.iter().map(|(n, _)| n.join(".")).collect();
        assert_eq!(names, ["a.b", "d"]);
        assert_eq!(
            &text[i[0].span.start as usize..i[0].span.end as usize],
            "import a.b as c, d"
        );
        assert_eq!(
            (
                i[1].level,
                i[1].from.iter().map(|s| s.to_string()).collect::<Vec<_>>()
            ),
            (2, vec!["x".to_string()])
        );
        let names: Vec<_> = i[1].names.iter().map(|(n, _)| n.join(".")).collect();
        assert_eq!(names, ["y", "z"]);
        assert_eq!(i[1].tries.len(), 1);
        assert_eq!(i[2].names[0].0, ["*"]);
    }
}

//! TL105 unknown-task-name: a task named by a string that the project does not define —
//! Celery `send_task("...")` / `signature("...")`, beat schedule entries,
//! django-celery-beat `PeriodicTask(task="...")`, django-q `async_task("pkg.mod.fn")`, RQ
//! `enqueue("pkg.mod.fn")`. Only strings whose leading package is the project's own: a
//! name from another service or library is none of tasklint's business.

use std::collections::{BTreeMap, BTreeSet};

use super::{Check, Checker, Rule};
use crate::catalogue;
use crate::index::{CallRef, ClassRef, FuncRef, Project, Value};
use crate::knowledge::{TaskNameKind, file_words, last_names};
use crate::model::{ArgKind, BoundValue, Expr, ExprKind, ParamKind, ScopeId, Span};
use crate::source::FileId;

pub static RULE: Rule = Rule {
    info: &catalogue::TL105,
    check: Check::Project(check),
};

/// The names the project's Celery tasks register under.
struct CeleryNames {
    /// `name=` values and `<module>.<function>` of every task (primary module names).
    names: BTreeSet<String>,
    /// Files with tasks registered under their default name, by function name:
    /// `(file, function)`, so any module alias of the file matches.
    defaults: BTreeSet<(FileId, String)>,
    /// Tasks registered under an explicit `name=`, by file and function.
    renamed: BTreeMap<(FileId, String), String>,
    /// Functions decorated like tasks that tasklint could not resolve (an app returned by
    /// a factory function, a module it cannot name): any name ending in one of these may
    /// be theirs.
    unresolved: BTreeSet<String>,
    /// Some name cannot be known (`name=` computed, a custom `gen_task_name`).
    incomplete: bool,
}

fn check(cx: &mut Checker) {
    let project = cx.project;
    let names = celery_names(project);
    let calls = &project.knowledge.task_calls;
    // A call that names a task by string is written with the function's name.
    let words: Vec<&str> = calls
        .task_name
        .iter()
        .flat_map(|site| last_names(&site.calls))
        .collect();
    let file_words: Vec<&str> = calls
        .task_name
        .iter()
        .flat_map(|site| file_words(&site.calls))
        .collect();
    let mut helpers: Vec<Helper> = Vec::new();
    for (file, model) in project.python_models_mentioning(&file_words) {
        // Helpers are found in every file (their callers may be the reported ones).
        let reported = project.report[file] && !project.is_test[file];
        for (id, c) in model.calls.iter().enumerate() {
            // Resolving a callee may parse the modules it comes from: only for calls
            // that can match.
            if !c.written_with(&words) {
                continue;
            }
            let call = CallRef { file, call: id };
            let callee = project.callee(call);
            for site in &calls.task_name {
                if !project.matches_any(callee, &site.calls) {
                    continue;
                }
                let by_keyword = site
                    .keyword
                    .as_deref()
                    .and_then(|k| c.keyword(k))
                    .map(|a| &a.value);
                let by_position = site.position.and_then(|i| {
                    c.args
                        .iter()
                        .filter(|a| a.kind == ArgKind::Positional)
                        .nth(i)
                        .map(|a| &a.value)
                });
                let in_defaults = site
                    .defaults_keyword
                    .as_deref()
                    .and_then(|k| c.keyword(k))
                    .and_then(|a| dict_value(&a.value, site.keyword.as_deref()?));
                let Some(value) = by_keyword.or(by_position).or(in_defaults) else {
                    continue;
                };
                let Some(name) = value.as_str() else {
                    // A helper's parameter (`def enqueue_job(name): app.send_task(name)`):
                    // the names its callers pass are checked below.
                    if let Some(h) = helper_parameter(project, file, c.scope, value, site.kind) {
                        helpers.push(h);
                    }
                    continue;
                };
                if reported {
                    report_unknown(cx, &names, site.kind, name, file, c.span, None);
                }
            }
            if !reported {
                continue;
            }
            for arg in &c.args {
                beat_entries(project, &arg.value, None, &mut |name, span, entry| {
                    report_unknown(cx, &names, TaskNameKind::Celery, name, file, span, entry);
                });
            }
        }
        if !reported {
            continue;
        }
        let bound = model
            .scopes
            .iter()
            .flat_map(|s| &s.bindings)
            .filter_map(|b| match &b.value {
                BoundValue::Expr(e) => Some(e),
                _ => None,
            });
        for e in bound {
            beat_entries(project, e, None, &mut |name, span, entry| {
                report_unknown(cx, &names, TaskNameKind::Celery, name, file, span, entry);
            });
        }
        // `app.conf.beat_schedule = {...}`, `CELERY_BEAT_SCHEDULE["x"] = {...}`.
        for a in &model.attr_assignments {
            let key = match &a.target.kind {
                ExprKind::Subscript(_, k) => k.as_str(),
                _ => None,
            };
            beat_entries(project, &a.value, key, &mut |name, span, entry| {
                report_unknown(cx, &names, TaskNameKind::Celery, name, file, span, entry);
            });
        }
    }
    check_helpers(cx, &names, helpers);
}

/// A project function whose parameter it sends as a task name: its callers' string
/// literals for that parameter are task names too.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Helper {
    func: FuncRef,
    param: usize,
    kind: TaskNameKind,
}

/// `value` is a parameter of the function it is written in (not rebound there).
fn helper_parameter(
    project: &Project,
    file: FileId,
    scope: ScopeId,
    value: &Expr,
    kind: TaskNameKind,
) -> Option<Helper> {
    let ExprKind::Name(n) = &value.kind else {
        return None;
    };
    let b = project.binding_at(file, scope, n, value.span.start)?;
    let BoundValue::Param(param) = b.binding.value else {
        return None;
    };
    let s = &project.models[file].scopes[b.scope];
    if s.kind != crate::model::ScopeKind::Function
        || s.bindings.iter().filter(|x| x.name == n).count() > 1
    {
        return None;
    }
    Some(Helper {
        func: FuncRef {
            file,
            scope: b.scope,
        },
        param,
        kind,
    })
}

/// Checks the string literals passed to helpers that send their parameter as a task
/// name, through helpers of helpers (a few levels).
fn check_helpers(cx: &mut Checker, names: &CeleryNames, mut helpers: Vec<Helper>) {
    let project = cx.project;
    let mut done: Vec<Helper> = Vec::new();
    let mut rounds = 0;
    while !helpers.is_empty() && rounds < 4 {
        rounds += 1;
        helpers.retain(|h| !done.contains(h));
        helpers.dedup();
        done.extend(helpers.iter().cloned());
        let words: Vec<String> = helpers
            .iter()
            .map(|h| project.scope(h.func).name.as_str().to_owned())
            .collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let mut next = Vec::new();
        for (file, model) in project.python_models_mentioning(&words) {
            let reported = project.report[file] && !project.is_test[file];
            for (id, c) in model.calls.iter().enumerate() {
                if !c.written_with(&words) {
                    continue;
                }
                let call = CallRef { file, call: id };
                let Some(target) = project.call_target(call) else {
                    continue;
                };
                for h in helpers.iter().filter(|h| h.func == target) {
                    let Some(arg) = passed_for(project, call, target, h.param) else {
                        continue;
                    };
                    match arg.as_str() {
                        Some(name) if reported => {
                            let helper = project.display_name(target);
                            if report_unknown(cx, names, h.kind, name, file, arg.span, None)
                                && let Some(d) = cx.last()
                            {
                                d.note(format!("`{helper}` sends this string as the task name"));
                            }
                        }
                        Some(_) => {}
                        None => {
                            if let Some(h2) = helper_parameter(project, file, c.scope, arg, h.kind)
                            {
                                next.push(h2);
                            }
                        }
                    }
                }
            }
        }
        helpers = next;
    }
}

/// The expression a call passes for parameter `param` of `target` (by position or by
/// keyword), when it is written out; `self` of a method called on an object is passed
/// implicitly.
fn passed_for(project: &Project, call: CallRef, target: FuncRef, param: usize) -> Option<&Expr> {
    let c = project.call(call);
    let scope = project.scope(target);
    let p = scope.params.get(param)?;
    let implicit = usize::from(
        scope.class.is_some()
            && !scope.decorated_by_name("staticmethod")
            && (c.receiver().is_some() || scope.decorated_by_name("classmethod")),
    );
    if let Some(a) = c.keyword(&p.name) {
        return Some(&a.value);
    }
    if c.has_unpacking() || param < implicit {
        return None;
    }
    match p.kind {
        ParamKind::PositionalOnly | ParamKind::Normal => {
            c.positional().nth(param - implicit).map(|a| &a.value)
        }
        _ => None,
    }
}

fn report_unknown(
    cx: &mut Checker,
    names: &CeleryNames,
    kind: TaskNameKind,
    name: &str,
    file: FileId,
    span: Span,
    beat_entry: Option<&str>,
) -> bool {
    let project = cx.project;
    let Some(first) = name.split('.').next() else {
        return false;
    };
    // Only the project's own packages: other services and libraries are not ours to know.
    if name.split('.').count() < 2 || !project.modules.is_project_root_name(first) {
        return false;
    }
    let (message, suggestion, note) = match kind {
        TaskNameKind::Celery => {
            if names.incomplete || is_registered(project, names, name) {
                return false;
            }
            let message = match beat_entry {
                Some(entry) => format!(
                    "beat schedule entry `{entry}` names task `{name}`, which no task of the project registers"
                ),
                None => format!("no task of the project is registered under the name `{name}`"),
            };
            let renamed = name.rsplit_once('.').and_then(|(module, function)| {
                let f = project.modules.file(module)?;
                names.renamed.get(&(f, function.to_string()))
            });
            (
                message,
                renamed
                    .map(String::as_str)
                    .or_else(|| closest(name, names.names.iter().map(String::as_str))),
                "a Celery task is named `<module>.<function>` unless `name=` is given; the worker discards messages for unknown names (\"Received unregistered task\"), and beat fails silently",
            )
        }
        TaskNameKind::Function => {
            if function_exists(project, name) {
                return false;
            }
            (
                format!("`{name}` names no module-level function of the project"),
                None,
                "the worker imports the function from this dotted path when it runs the task, and fails",
            )
        }
    };
    let d = cx.report(file, span, message);
    d.label("unknown task name").note(note);
    if let Some(s) = suggestion {
        d.help(format!("did you mean `{s}`?"));
    }
    true
}

/// `defaults={"task": "..."}` → the string.
fn dict_value<'e>(e: &'e Expr, key: &str) -> Option<&'e Expr> {
    match &e.kind {
        ExprKind::Dict(entries) => entries
            .iter()
            .find(|(k, _)| k.as_ref().and_then(Expr::as_str) == Some(key))
            .map(|(_, v)| v),
        _ => None,
    }
}

/// Beat schedule entries in an expression: dict literals with a "task" and a "schedule"
/// key, however deep in dicts, lists and tuples. Calls `f(task name, span of the
/// name, the entry's key)`.
fn beat_entries<'e>(
    project: &Project,
    e: &'e Expr,
    key: Option<&'e str>,
    f: &mut dyn FnMut(&'e str, Span, Option<&'e str>),
) {
    fn walk<'e>(
        project: &Project,
        e: &'e Expr,
        entry: Option<&'e str>,
        f: &mut dyn FnMut(&'e str, Span, Option<&'e str>),
    ) {
        let beat = &project.knowledge.task_calls.beat;
        match &e.kind {
            ExprKind::Dict(entries) => {
                let has = |key: &str| {
                    entries
                        .iter()
                        .any(|(k, _)| k.as_ref().and_then(Expr::as_str) == Some(key))
                };
                if has(&beat.task_key) && has(&beat.schedule_key) {
                    if let Some(task) = dict_value(e, &beat.task_key)
                        && let Some(name) = task.as_str()
                    {
                        f(name, task.span, entry);
                    }
                    return;
                }
                for (k, v) in entries {
                    walk(project, v, k.as_ref().and_then(Expr::as_str), f);
                }
            }
            ExprKind::List(items) | ExprKind::Tuple(items) => {
                for i in items {
                    walk(project, i, None, f);
                }
            }
            _ => {}
        }
    }
    walk(project, e, key, f);
}

fn is_registered(project: &Project, names: &CeleryNames, name: &str) -> bool {
    if names.names.contains(name) {
        return true;
    }
    let Some((module, function)) = name.rsplit_once('.') else {
        return false;
    };
    if names.unresolved.contains(function) {
        return true;
    }
    project
        .modules
        .file(module)
        .is_some_and(|f| names.defaults.contains(&(f, function.to_string())))
}

fn celery_names(project: &Project) -> CeleryNames {
    let mut out = CeleryNames {
        names: BTreeSet::new(),
        defaults: BTreeSet::new(),
        renamed: BTreeMap::new(),
        unresolved: BTreeSet::new(),
        incomplete: false,
    };
    let Some(celery) = project.knowledge.framework("celery") else {
        out.incomplete = true;
        return out;
    };
    let add_function =
        |out: &mut CeleryNames, file: FileId, function: &str, name: Option<&Expr>| match name {
            Some(n) => match n.as_str() {
                Some(s) => {
                    out.names.insert(s.to_string());
                    out.renamed
                        .insert((file, function.to_string()), s.to_string());
                }
                None => out.incomplete = true,
            },
            None => {
                out.defaults.insert((file, function.to_string()));
                if let Some(m) = project.modules.name_of(file) {
                    out.names.insert(format!("{m}.{function}"));
                }
            }
        };
    for t in project.tasks.iter().filter(|t| t.framework == celery) {
        let name = t.option("name").map(|a| &a.value);
        add_function(&mut out, t.func.file, &project.scope(t.func).name, name);
    }
    let fw = &project.knowledge.frameworks[celery];
    let task_classes = &project.knowledge.task_calls.retry.task_classes;
    // Task decorators (`.task`, `shared_task`), `app.tasks[...]` and the framework's own
    // decorators called as functions: each is written with one of these words.
    let decorator_names: Vec<&str> = last_names(&fw.decorators);
    let mut words = decorator_names.clone();
    words.push("task");
    for (file, model) in project.python_models_mentioning(&words) {
        // A function decorated `@<something>.task` or `@shared_task` that tasklint did not
        // recognise as a task (an app made by a project factory function, a module it
        // cannot name): it registers under its `name=`, or under some module path ending
        // in its function name.
        for (scope, s) in model.functions() {
            if project
                .tasks
                .get(crate::index::FuncRef { file, scope })
                .is_some()
            {
                continue;
            }
            for d in &s.decorators {
                let (e, call) = match &d.expr.kind {
                    ExprKind::Call(id) => (&model.calls[*id].callee, Some(&model.calls[*id])),
                    _ => (&d.expr, None),
                };
                let last = match &e.kind {
                    ExprKind::Name(n) | ExprKind::Attr(_, n) => n.as_str(),
                    _ => "",
                };
                if !matches!(last, "task" | "shared_task") {
                    continue;
                }
                match call
                    .and_then(|c| c.keyword("name"))
                    .map(|a| a.value.as_str())
                {
                    Some(Some(n)) => {
                        out.names.insert(n.to_string());
                    }
                    Some(None) => out.incomplete = true,
                    None => {
                        out.unresolved.insert(s.name.as_str().to_owned());
                    }
                }
            }
        }
        // `app.tasks[old_name] = app.tasks[new_name]`: names registered at run time.
        for a in &model.attr_assignments {
            if let ExprKind::Subscript(base, _) = &a.target.kind
                && matches!(&base.kind, ExprKind::Attr(_, n) if n == "tasks")
            {
                out.incomplete = true;
            }
        }
        // Tasks made by calling the decorator (`shared_task(fn)`, `app.task(name=...)(fn)`).
        for (id, c) in model.calls.iter().enumerate() {
            if !c.written_with(&decorator_names) {
                continue;
            }
            let callee = project.callee(CallRef { file, call: id });
            if !project.matches_any(callee, &fw.decorators) {
                continue;
            }
            let name = c.keyword("name").map(|a| &a.value);
            match c.positional().next() {
                Some(arg) => match project.resolve(file, c.scope, &arg.value) {
                    Value::Function(f) => {
                        add_function(&mut out, f.file, &project.scope(f).name, name)
                    }
                    _ => out.incomplete = true,
                },
                None => {
                    if let Some(n) = name
                        && let Some(s) = n.as_str()
                    {
                        out.names.insert(s.to_string());
                    }
                }
            }
        }
        for (class, cls) in model.classes.iter().enumerate() {
            let c = ClassRef { file, class };
            // A project Celery app that names tasks its own way.
            if project
                .knowledge
                .celery_worker
                .app
                .classes
                .iter()
                .any(|p| project.derives_from(c, p))
                && cls
                    .methods
                    .iter()
                    .any(|m| model.scopes[*m].name == "gen_task_name")
            {
                out.incomplete = true;
            }
            // Class-based tasks: `name = "..."`, or module + class name.
            if task_classes.iter().any(|p| project.derives_from(c, p)) {
                let body = &model.scopes[cls.body];
                match body.bindings.iter().rev().find(|b| b.name == "name") {
                    Some(b) => match &b.value {
                        BoundValue::Expr(e) if e.as_str().is_some() => {
                            out.names.insert(e.as_str().unwrap_or_default().to_string());
                        }
                        _ => out.incomplete = true,
                    },
                    None => {
                        out.defaults.insert((file, cls.name.as_str().to_owned()));
                    }
                }
            }
        }
    }
    out
}

/// `pkg.mod.fn`: a module of the project with a module-level `fn`.
fn function_exists(project: &Project, path: &str) -> bool {
    let Some((module, function)) = path.rsplit_once('.') else {
        return false;
    };
    match project.modules.file(module) {
        Some(f) => !project.module_member(f, function, 0).is_unknown(),
        None => false,
    }
}

/// The known name closest to `name`: the same function in another module first, then
/// the smallest edit distance (at most a few characters).
fn closest<'a>(name: &str, known: impl Iterator<Item = &'a str> + Clone) -> Option<&'a str> {
    let last = name.rsplit('.').next().unwrap_or(name);
    let mut same_function: Vec<&str> = known
        .clone()
        .filter(|k| k.rsplit('.').next() == Some(last))
        .collect();
    if same_function.len() == 1 {
        return same_function.pop();
    }
    let limit = (name.chars().count() / 6).clamp(2, 4);
    known
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let known = ["billing.tasks.close_month", "billing.tasks.open_month"];
        assert_eq!(
            closest("billing.task.close_month", known.iter().copied()),
            Some("billing.tasks.close_month")
        );
        assert_eq!(closest("other.thing", known.iter().copied()), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}

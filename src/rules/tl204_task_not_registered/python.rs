//! TL204, Python part: a Celery task in a module the worker never imports.
//!
//! What a worker imports when it starts (`rules/python/celery_worker.toml`): the module
//! that creates the `Celery(...)` app; the modules named in `include=` / `imports`;
//! through `django.setup()`, each installed app's package, its `apps` and `models`
//! modules (and `admin` when the admin autodiscovers); `<app>.tasks` (or the
//! `related_name`) for each package `autodiscover_tasks()` covers; and, transitively,
//! every project module those import (imports inside functions count too: `ready()`
//! imports its signals there). A task whose module no such chain reaches is reported.
//!
//! Only when all of it can be read: a `Celery(...)` app with `autodiscover_tasks`, and
//! `INSTALLED_APPS` written as literals. Anything computed stays unknown, and then the
//! rule says nothing.

use std::collections::BTreeSet;

use crate::index::reuse::Pass;
use crate::index::{CallRef, Project, Value};
use crate::knowledge::{PathPattern, last_names};
use crate::model::{ArgKind, BoundValue, Expr, ExprKind};
use crate::rules::Checker;
use crate::rules::enqueue::enqueue;
use crate::source::FileId;

pub fn check(cx: &mut Checker) {
    let project = cx.project;
    let Some(celery) = project.knowledge.framework("celery") else {
        return;
    };
    if !project.tasks.iter().any(|t| t.framework == celery) {
        return;
    }
    let Some(worker) = worker_roots(project) else {
        return;
    };
    let reached = reachable(project, &worker.roots);
    let mut tasks: Vec<_> = project
        .tasks
        .iter()
        .filter(|t| t.framework == celery)
        .collect();
    tasks.sort_by_key(|t| t.func);
    for t in tasks {
        let f = t.func;
        let scope = project.scope(f);
        // A task defined inside a function or class registers when that code runs.
        if scope.parent != Some(0)
            || reached.contains(&f.file)
            || project.is_test[f.file]
            || !project.report[f.file]
        {
            continue;
        }
        let Some(module) = project.modules.name_of(f.file) else {
            continue;
        };
        let name = project.display_name(f);
        let suggestion = worker
            .autodiscovered
            .iter()
            .find(|m| {
                m.rsplit_once('.')
                    .is_some_and(|(pkg, _)| module.starts_with(&format!("{pkg}.")))
            })
            .cloned();
        let d = cx.report(
            f.file,
            scope.name_span,
            format!("task `{name}` is defined in `{module}`, a module the Celery worker never imports: it does not know this task"),
        );
        d.label("not registered with the worker")
            .note("the worker imports the app module, `include=`/`imports`, the installed apps (their `apps` and `models`) and what `autodiscover_tasks()` finds, plus what those import; messages for this task are discarded (\"Received unregistered task\")");
        let uninstalled = worker.related_names.iter().find_map(|r| {
            let pkg = module.strip_suffix(&format!(".{r}"))?;
            (!worker.packages.iter().any(|p| p == pkg)).then_some(pkg)
        });
        match (suggestion, uninstalled) {
            (_, Some(pkg)) => d.help(format!(
                "add `{pkg}` to INSTALLED_APPS so that autodiscovery finds `{module}`, or add `{module}` to the app's `include=`"
            )),
            (Some(m), None) => d.help(format!(
                "move the task to `{m}`, import `{module}` from it, or add `{module}` to the app's `include=`"
            )),
            (None, None) => d.help(format!(
                "import `{module}` from a module the worker loads (an app's `tasks` module), or add it to the app's `include=`"
            )),
        };
        let mut sent = 0;
        // A call that sends the task names it (or imports it by that name).
        for (file, model) in project.python_models_mentioning(&[name.as_str()]) {
            for call in 0..model.calls.len() {
                let c = CallRef { file, call };
                if sent < 3
                    && let Some(e) = enqueue(project, c)
                    && e.task == Some(f)
                {
                    d.related(file, model.calls[call].span, "sent here");
                    sent += 1;
                }
            }
        }
    }
}

struct Worker {
    /// Modules the worker imports first.
    roots: Vec<FileId>,
    /// `<app>.tasks` module names autodiscovery looks for (whether they exist or not).
    autodiscovered: Vec<String>,
    /// The installed apps' packages.
    packages: Vec<String>,
    /// The `related_name`s autodiscovery uses (`tasks`).
    related_names: Vec<String>,
}

/// Everything the worker imports at start, or `None` when part of it cannot be read.
fn worker_roots(project: &Project) -> Option<Worker> {
    let w = &project.knowledge.celery_worker;
    let app_classes = &w.app.classes;
    let autodiscover: Vec<PathPattern> = app_classes
        .iter()
        .filter_map(|c| {
            PathPattern::parse(&format!("{}().{}", c.root, w.app.autodiscover_method)).ok()
        })
        .collect();
    let mut names: Vec<String> = Vec::new();
    let mut roots: Vec<FileId> = Vec::new();
    // (packages, or None for the installed apps; related name)
    let mut discovered: Vec<(Option<Vec<String>>, String)> = Vec::new();
    // Only files that name an app class, autodiscovery or the app's `conf` can hold them.
    let mut words: Vec<&str> = last_names(app_classes);
    words.extend([w.app.autodiscover_method.as_str(), ".conf"]);
    for (file, model) in project.python_models_mentioning(&words) {
        if project.is_test[file] {
            continue;
        }
        for (id, c) in model.calls.iter().enumerate() {
            // Resolving may parse other modules: only calls that can be an app (a class,
            // the project's own subclass too), autodiscovery or `conf.update`.
            if !(c.written_with(&words)
                || c.method_name() == Some("update")
                || c.written_name()
                    .is_some_and(|n| n.starts_with(char::is_uppercase)))
            {
                continue;
            }
            let callee = project.callee(CallRef { file, call: id });
            let is_app = match callee {
                Value::Class(class) => app_classes.iter().any(|p| project.derives_from(*class, p)),
                v => project.matches_any(v, app_classes),
            };
            if is_app {
                roots.push(file);
                if let Some(a) = c.keyword(&w.app.include_keyword) {
                    names.extend(strings(project, file, &a.value, "", 0)?);
                }
                continue;
            }
            if project.matches_any(callee, &autodiscover) {
                let mut positional = c.args.iter().filter(|a| a.kind == ArgKind::Positional);
                let packages = c.keyword("packages").or_else(|| positional.next());
                let packages = match packages.map(|a| &a.value.kind) {
                    None | Some(ExprKind::None) => None,
                    Some(_) => Some(strings(project, file, &packages?.value, "", 0)?),
                };
                let related = match c.keyword("related_name").or_else(|| positional.next()) {
                    None => w.app.default_related_name.clone(),
                    Some(a) => a.value.as_str()?.to_string(),
                };
                discovered.push((packages, related));
                continue;
            }
            // `app.conf.update(imports=[...])`
            if c.method_name() == Some("update")
                && c.receiver()
                    .is_some_and(|r| matches!(&r.kind, ExprKind::Attr(_, n) if n == "conf"))
            {
                for key in &w.app.imports_settings {
                    if let Some(a) = c.keyword(key) {
                        names.extend(strings(project, file, &a.value, "", 0)?);
                    }
                }
            }
        }
        // `app.conf.imports = [...]`
        for a in &model.attr_assignments {
            if let ExprKind::Attr(base, key) = &a.target.kind
                && matches!(&base.kind, ExprKind::Attr(_, n) if n == "conf")
                && w.app.imports_settings.iter().any(|k| k == key.as_str())
            {
                names.extend(strings(project, file, &a.value, "", 0)?);
            }
        }
    }
    if roots.is_empty() || discovered.is_empty() {
        return None;
    }
    // `CELERY_IMPORTS = (...)` in the Django settings (namespace "CELERY").
    for key in w
        .app
        .imports_settings
        .iter()
        .filter(|k| k.starts_with("CELERY_"))
    {
        for (file, b) in project.settings_bindings(key) {
            match &b.value {
                BoundValue::Expr(e) => names.extend(strings(project, file, e, key, 0)?),
                _ => return None,
            }
        }
    }

    let (apps, settings_files) = installed_apps(project)?;
    roots.extend(settings_files);
    // The system checks import the URLconf (and what it includes). When its name is
    // computed, every module that defines `urlpatterns` counts as imported.
    for (_, b) in project.settings_bindings(&w.django.urlconf_setting) {
        match &b.value {
            BoundValue::Expr(Expr {
                kind: ExprKind::Str(s),
                ..
            }) => names.push(s.to_string()),
            _ => roots.extend(
                project
                    .settings_bindings("urlpatterns")
                    .into_iter()
                    .map(|(f, _)| f),
            ),
        }
    }
    let packages: Vec<String> = apps
        .iter()
        .map(|a| app_package(project, a, &mut names))
        .collect();
    for p in &packages {
        names.push(p.clone());
        for sub in &w.django.app_submodules {
            names.push(format!("{p}.{sub}"));
        }
    }
    if !w.django.app_packages_imported_whole.is_empty() {
        // Sorted once: the modules under a package are one range of it (a project with
        // hundreds of apps is not walked file by file for each).
        let mut modules: Vec<&str> = (0..project.files.len())
            .filter_map(|f| project.modules.name_of(f))
            .collect();
        modules.sort_unstable();
        for whole in &w.django.app_packages_imported_whole {
            for p in &packages {
                let prefix = format!("{p}.{whole}");
                let below = format!("{prefix}.");
                // Every name that starts with `prefix` and then a character below '/'
                // (the '.' of a submodule among them) sorts in [prefix, prefix + "/").
                let upper = format!("{prefix}/");
                let start = modules.partition_point(|m| *m < prefix.as_str());
                let end = modules.partition_point(|m| *m < upper.as_str());
                names.extend(
                    modules[start..end.max(start)]
                        .iter()
                        .filter(|m| **m == prefix || m.starts_with(&below))
                        .map(|m| m.to_string()),
                );
            }
        }
    }
    for auto in &w.django.autodiscover {
        if auto.apps.iter().any(|a| apps.contains(a)) {
            names.extend(packages.iter().map(|p| format!("{p}.{}", auto.submodule)));
        }
    }
    let mut autodiscovered = Vec::new();
    for (pkgs, related) in &discovered {
        for p in pkgs.as_ref().unwrap_or(&packages) {
            autodiscovered.push(format!("{p}.{related}"));
        }
    }
    names.extend(autodiscovered.iter().cloned());
    for n in &names {
        roots.extend(module_and_parents(project, n));
    }
    let related_names = discovered.into_iter().map(|(_, r)| r).collect();
    Some(Worker {
        roots,
        autodiscovered,
        packages,
        related_names,
    })
}

/// The entries of every `INSTALLED_APPS` of the project (all settings modules together)
/// and the files defining them; `None` when one of them cannot be read.
fn installed_apps(project: &Project) -> Option<(BTreeSet<String>, Vec<FileId>)> {
    let key = &project
        .knowledge
        .celery_worker
        .django
        .installed_apps_setting;
    let mut apps = BTreeSet::new();
    let mut files = Vec::new();
    for (file, model) in project.python_models_mentioning(&[key.as_str()]) {
        // Test settings add and remove apps for their own purposes.
        if project.is_test[file] {
            continue;
        }
        for (i, scope) in model.scopes.iter().enumerate() {
            for b in scope.bindings.iter().filter(|b| b.name == *key) {
                // A settings class or a property computes it.
                if i != 0 || !matches!(b.value, BoundValue::Expr(_)) {
                    return None;
                }
                if let BoundValue::Expr(e) = &b.value {
                    apps.extend(strings(project, file, e, key, 0)?);
                    files.push(file);
                }
            }
        }
        // `INSTALLED_APPS.append("x")`, `.extend([...])`, `.insert(0, "x")`.
        for c in &model.calls {
            let Some(recv) = c.receiver() else { continue };
            if !matches!(&recv.kind, ExprKind::Name(n) if n == key) {
                continue;
            }
            let value = match c.method_name() {
                Some("append" | "extend") => c.positional().next(),
                Some("insert") => c.positional().nth(1),
                Some("remove" | "index" | "count" | "copy") => continue,
                _ => return None,
            }?;
            match (&value.value.kind, c.method_name()) {
                (ExprKind::Str(s), _) => {
                    apps.insert(s.to_string());
                }
                (_, Some("extend")) => apps.extend(strings(project, file, &value.value, key, 0)?),
                _ => return None,
            }
        }
    }
    if files.is_empty() {
        return None;
    }
    files.sort();
    files.dedup();
    Some((apps, files))
}

/// The string items of a list or tuple literal; `*NAME` and `NAME` items are followed to
/// the module-level list they name (`key`: the setting being read, whose other
/// definitions are read anyway). `None` for anything else.
fn strings(
    project: &Project,
    file: FileId,
    e: &Expr,
    key: &str,
    depth: u32,
) -> Option<Vec<String>> {
    if depth > 8 {
        return None;
    }
    match &e.kind {
        ExprKind::Str(s) => Some(vec![s.to_string()]),
        ExprKind::List(items) | ExprKind::Tuple(items) => {
            let mut out = Vec::new();
            for i in items {
                match &i.kind {
                    ExprKind::Starred(inner) => {
                        out.extend(strings(project, file, inner, key, depth + 1)?)
                    }
                    _ => out.extend(strings(project, file, i, key, depth + 1)?),
                }
            }
            Some(out)
        }
        ExprKind::Name(n) if n == key => Some(Vec::new()),
        ExprKind::Name(n) => {
            let b = project.binding_at(file, 0, n, u32::MAX)?;
            match &b.binding.value {
                BoundValue::Expr(v) => strings(project, file, v, key, depth + 1),
                BoundValue::Import(t) => {
                    let path = project.import_path(file, t)?;
                    let (name, module) = path.split_last()?;
                    let m = project.modules.file(&module.join("."))?;
                    let b = project.binding_at(m, 0, name, u32::MAX)?;
                    match &b.binding.value {
                        BoundValue::Expr(v) => strings(project, m, v, key, depth + 1),
                        _ => None,
                    }
                }
                _ => None,
            }
        }
        // `list(BASE_APPS)`, `tuple(...)`
        ExprKind::Call(id) => {
            let c = &project.models[file].calls[*id];
            let callee = project.callee(CallRef { file, call: *id });
            let builtin = matches!(callee, Value::External(p) if p == "builtins.list" || p == "builtins.tuple");
            if builtin && c.args.len() == 1 {
                strings(project, file, &c.args[0].value, key, depth + 1)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The package of an installed app: the entry itself, or for an AppConfig path
/// (`orders.apps.OrdersConfig`) the config's `name`. The AppConfig's module is imported
/// too.
fn app_package(project: &Project, entry: &str, names: &mut Vec<String>) -> String {
    if project.modules.file(entry).is_some() || project.modules.is_package(entry) {
        return entry.to_string();
    }
    let Some((module, class)) = entry.rsplit_once('.') else {
        return entry.to_string();
    };
    let Some(f) = project.modules.file(module) else {
        return entry.to_string();
    };
    names.push(module.to_string());
    let model = &project.models[f];
    let configured = model
        .classes
        .iter()
        .enumerate()
        .find(|(_, c)| c.name == class)
        .and_then(|(_, c)| {
            model.scopes[c.body]
                .bindings
                .iter()
                .rev()
                .find(|b| b.name == "name")
                .and_then(|b| match &b.value {
                    BoundValue::Expr(e) => e.as_str().map(str::to_string),
                    _ => None,
                })
        });
    configured.unwrap_or_else(|| {
        module
            .rsplit_once('.')
            .map_or(module, |(pkg, _)| pkg)
            .to_string()
    })
}

/// The file of a module and of every package above it (importing `a.b.c` runs `a` and
/// `a.b` first).
fn module_and_parents(project: &Project, name: &str) -> Vec<FileId> {
    let parts: Vec<&str> = name.split('.').collect();
    project.modules.module_and_parents(&parts)
}

/// Every file the roots import, transitively.
fn reachable(project: &Project, roots: &[FileId]) -> BTreeSet<FileId> {
    let mut seen = vec![false; project.files.len()];
    // In parallel: most of these modules are parsed here, on demand (the prefilter had
    // no reason to), and this rule runs on its own.
    crate::index::file_walk::visit_reachable(&mut seen, roots, |file| {
        project.per_file(Pass::WorkerImports, file, || imports_of(project, file))
    });
    (0..seen.len()).filter(|f| seen[*f]).collect()
}

/// The project modules a file imports, anywhere in it (imports inside functions run when
/// the function does; counting them keeps the rule on the quiet side).
fn imports_of(project: &Project, file: FileId) -> Vec<FileId> {
    let model = &project.models[file];
    let mut out = Vec::new();
    for scope in &model.scopes {
        for b in &scope.bindings {
            let BoundValue::Import(t) = &b.value else {
                continue;
            };
            let Some(mut path) = project.import_path(file, t) else {
                continue;
            };
            // `import a.b.c` binds `a`; the statement imports all of `a.b.c`.
            if t.level == 0 && path.len() == 1 && !t.glob {
                let written = project.files[file].slice(b.span);
                let parts: Vec<String> = written.split('.').map(|p| p.trim().to_string()).collect();
                if parts.len() > 1 && parts[0] == path[0] && parts.iter().all(|p| is_identifier(p))
                {
                    path = parts;
                }
            }
            out.extend(project.modules.module_and_parents(&path));
        }
    }
    // `importlib.import_module("pkg.mod")`, and `include("app.urls")` in URLconfs.
    let includes = &project.knowledge.urlconf.include_functions;
    for (id, c) in model.calls.iter().enumerate() {
        let callee = project.callee(CallRef { file, call: id });
        let imports = matches!(callee, Value::External(p) if p == "importlib.import_module" || p == "builtins.__import__")
            || project.matches_any(callee, includes);
        if imports && let Some(name) = c.positional().next().and_then(|a| a.value.as_str()) {
            out.extend(module_and_parents(project, name));
        }
    }
    out
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

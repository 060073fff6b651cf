//! Code that runs outside requests: command-line commands (click/typer commands, console
//! scripts, Django management commands, `if __name__ == "__main__":` blocks) and
//! application start-up (`lifespan=`, `@app.on_event("startup")`), described in
//! `rules/python/entry_points.toml`, and the functions only such code calls. Also the
//! functions only tasks call, which run on a worker.
//!
//! Callers are found the way the prefilter reasons: a call of a function is written with
//! its name, so only the files whose text holds the name are read (parsed on demand, so
//! the answer is the same with the prefilter on or off).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use crate::model::{BoundValue, ExprKind};

use super::{CallRef, FuncRef, Project, Value};

/// How deep "only called from" looks up the callers.
const MAX_CALLER_DEPTH: u32 = 6;
/// A function called from more places than this is taken as called from anywhere.
const MAX_CALLERS: usize = 256;
/// A name written in more files than this is too common to search for callers: the
/// function is taken as called from anywhere.
const MAX_CALLER_FILES: usize = 200;

/// Where a project function is called from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    Function(FuncRef),
    /// Module-level code under `if __name__ == "__main__":`.
    MainBlock,
    /// Handed to the application as start-up code (`lifespan=f`, `add_event_handler`).
    Startup,
    /// Module-level code run at import, or code tasklint cannot place (a lambda handed to
    /// a thread, too many callers).
    Elsewhere,
}

#[derive(Debug, Default)]
pub struct EntryCache {
    callers: Mutex<HashMap<FuncRef, Arc<Vec<Caller>>>>,
    outside_requests: Mutex<HashMap<FuncRef, bool>>,
    task_only: Mutex<HashMap<FuncRef, bool>>,
    own_loops: Mutex<HashMap<FuncRef, bool>>,
    server_loops: Mutex<HashMap<FuncRef, bool>>,
    unimported: Mutex<HashMap<crate::source::FileId, bool>>,
    scripts: OnceLock<HashSet<String>>,
}

impl Project {
    /// A command-line command or start-up code by itself: decorated as a command (or as
    /// a command of a command group) or as start-up code, named as a console script, or
    /// in a Django management command module.
    pub fn is_entry_point(&self, f: FuncRef) -> bool {
        self.models.language(f.file) == crate::model::Language::Python
            && (self.is_command_module(f.file)
                || self.entry_decorated(f, 0)
                || self.console_scripts().contains(&self.qualname(f)))
    }

    fn entry_decorated(&self, f: FuncRef, depth: u32) -> bool {
        if depth > 4 {
            return false;
        }
        let k = &self.knowledge.entry_points;
        let scope = self.scope(f);
        let parent = scope.parent.unwrap_or(0);
        scope.decorators.iter().any(|d| {
            let v = match d.expr.as_call() {
                Some(call) => self.callee(CallRef { file: f.file, call }).clone(),
                None => self.resolve(f.file, parent, &d.expr),
            };
            if self.matches_any(&v, &k.command_line.decorators)
                || self.matches_any(&v, &k.startup.decorators)
            {
                return true;
            }
            // `@cli.command()` where `cli` is a function decorated as a command group.
            match &v {
                Value::Attr(base, m) if k.command_line.group_methods.contains(m) => {
                    matches!(base.as_ref(), Value::Function(g) if self.entry_decorated(*g, depth + 1))
                }
                _ => false,
            }
        })
    }

    /// Runs only outside requests: an entry point, or a function every project caller of
    /// which is one (or module code under `__main__`), up the callers a few levels.
    pub fn runs_outside_requests(&self, f: FuncRef) -> bool {
        super::memoized(&self.entry.outside_requests, &f, || {
            self.only_called_from(f, &|g| self.is_entry_point(g), true, 0, &mut Vec::new())
        })
    }

    /// Every project caller of `f` is a task, or a function only tasks call: `f` runs on a
    /// worker.
    pub fn only_called_from_tasks(&self, f: FuncRef) -> bool {
        super::memoized(&self.entry.task_only, &f, || {
            self.only_called_from(
                f,
                &|g| self.tasks.get(g).is_some(),
                false,
                0,
                &mut Vec::new(),
            )
        })
    }

    /// Coroutine function `f` only ever runs in event loops made for one sync call: every
    /// project caller outside tests is sync code that hands the coroutine to
    /// `asyncio.run(...)` / `loop.run_until_complete(...)`, or a coroutine that itself
    /// only runs so. Blocking it holds up that call (and the coroutines running beside
    /// it), not a server's loop.
    pub fn runs_only_on_own_loops(&self, f: FuncRef) -> bool {
        super::memoized(&self.entry.own_loops, &f, || {
            self.own_loops_only(f, 0, &mut Vec::new())
        })
    }

    fn own_loops_only(&self, f: FuncRef, depth: u32, stack: &mut Vec<FuncRef>) -> bool {
        // The framework runs handlers and tasks: no project call shows on which loop.
        if depth > MAX_CALLER_DEPTH
            || stack.contains(&f)
            || self.handlers.get(f).is_some()
            || self.tasks.get(f).is_some()
        {
            return false;
        }
        let all_callers = self.callers(f);
        let callers: Vec<&Caller> = all_callers
            .iter()
            .filter(|c| !matches!(c, Caller::Function(g) if self.is_test_function(*g)))
            .collect();
        if callers.is_empty() {
            return false;
        }
        stack.push(f);
        let all = callers.iter().all(|c| match c {
            Caller::Function(g) if *g != f => {
                if self.scope(*g).is_async {
                    self.own_loops_only(*g, depth + 1, stack)
                } else {
                    self.hands_to_own_loop(*g, f)
                }
            }
            // `asyncio.run(main())` under `__main__`.
            Caller::MainBlock => true,
            _ => false,
        });
        stack.pop();
        all
    }

    /// Handler `f` is of a kind whose module only runs when project code imports it
    /// (`loaded_by_import` of handlers.toml), and no project file imports its module or
    /// writes its dotted name: a copy nothing routes, which serves no request.
    pub fn in_unloaded_module(&self, f: FuncRef) -> bool {
        let k = &self.knowledge.loaded_by_import;
        let Some(h) = self.handlers.get(f) else {
            return false;
        };
        // Registered in a URLconf: imported there.
        if h.registered_at.is_some() || !k.frameworks.contains(&h.kind) {
            return false;
        }
        super::memoized(&self.entry.unimported, &f.file, || {
            self.never_imported(f.file)
        })
    }

    fn never_imported(&self, file: crate::source::FileId) -> bool {
        let k = &self.knowledge.loaded_by_import;
        let Some(name) = self.modules.name_of(file) else {
            return false;
        };
        let Some((package, stem)) = name.rsplit_once('.') else {
            return false;
        };
        if k.autoloaded_modules.iter().any(|m| m == stem) {
            return false;
        }
        // The package's URLconf wires modules beside this one, not this one.
        let sibling = |g: &crate::source::FileId| {
            *g != file
                && self
                    .modules
                    .name_of(*g)
                    .and_then(|n| n.rsplit_once('.'))
                    .is_some_and(|(p, s)| p == package && s != "__init__")
        };
        let wires_siblings = k.urlconf_modules.iter().any(|u| {
            self.modules
                .file(&format!("{package}.{u}"))
                .is_some_and(|urls| self.imported_files(urls).iter().any(sibling))
        });
        if !wires_siblings {
            return false;
        }
        // Whoever imports the module or names it writes its last name.
        let name = name.to_string();
        !self.files_mentioning(stem).iter().any(|&g| {
            g != file
                && (self.imported_files(g).contains(&file)
                    || self.files[g].text.contains(name.as_str()))
        })
    }

    /// Coroutine function `f` is known to run on a server's event loop: it is an async
    /// request handler, or a coroutine awaited (or scheduled) by one, up a few levels.
    pub fn runs_on_server_loop(&self, f: FuncRef) -> bool {
        super::memoized(&self.entry.server_loops, &f, || {
            self.server_loop_reaches(f, 0, &mut Vec::new())
        })
    }

    fn server_loop_reaches(&self, f: FuncRef, depth: u32, stack: &mut Vec<FuncRef>) -> bool {
        if self.handlers.get(f).is_some() {
            return true;
        }
        if depth > MAX_CALLER_DEPTH || stack.contains(&f) || self.tasks.get(f).is_some() {
            return false;
        }
        stack.push(f);
        let any = self.callers(f).iter().any(|c| match c {
            Caller::Function(g) => {
                self.scope(*g).is_async
                    && !self.is_test_function(*g)
                    && self.server_loop_reaches(*g, depth + 1, stack)
            }
            _ => false,
        });
        stack.pop();
        any
    }

    /// Every call of coroutine function `f` in sync function `g` is written inside the
    /// arguments of a call that runs it to completion in a loop of its own.
    fn hands_to_own_loop(&self, g: FuncRef, f: FuncRef) -> bool {
        let k = &self.knowledge.offload;
        let calls = self.graph.calls_in(g);
        let mut any = false;
        for &c in calls {
            if self.call_target(c) != Some(f) {
                continue;
            }
            let span = self.call(c).span;
            let run = calls.iter().any(|&r| {
                let rc = self.call(r);
                rc.args_span.start <= span.start
                    && span.end <= rc.args_span.end
                    && (rc
                        .method_name()
                        .is_some_and(|m| k.own_loop_runner_methods.iter().any(|x| x == m))
                        || self.matches_any(self.callee(r), &k.own_loop_runners))
            });
            if !run {
                return false;
            }
            any = true;
        }
        any
    }

    fn only_called_from(
        &self,
        f: FuncRef,
        root: &dyn Fn(FuncRef) -> bool,
        main_counts: bool,
        depth: u32,
        stack: &mut Vec<FuncRef>,
    ) -> bool {
        if root(f) {
            return true;
        }
        // The framework calls handlers and tasks: no project call shows it.
        if depth > MAX_CALLER_DEPTH
            || stack.contains(&f)
            || self.handlers.get(f).is_some()
            || self.tasks.get(f).is_some()
        {
            return false;
        }
        // Tests call everything: a test calling `f` says nothing of where it runs.
        let all_callers = self.callers(f);
        let callers: Vec<&Caller> = all_callers
            .iter()
            .filter(|c| !matches!(c, Caller::Function(g) if self.is_test_function(*g)))
            .collect();
        if callers.is_empty() {
            return false;
        }
        stack.push(f);
        let all = callers.iter().all(|c| match c {
            Caller::Function(g) => {
                *g != f && self.only_called_from(*g, root, main_counts, depth + 1, stack)
            }
            Caller::MainBlock | Caller::Startup => main_counts,
            Caller::Elsewhere => false,
        });
        stack.pop();
        all
    }

    /// Every place in the project that calls `f` (or hands it over as start-up code).
    pub fn callers(&self, f: FuncRef) -> Arc<Vec<Caller>> {
        super::memoized(&self.entry.callers, &f, || Arc::new(self.find_callers(f)))
    }

    fn find_callers(&self, f: FuncRef) -> Vec<Caller> {
        let scope = self.scope(f);
        // A constructor is called with its class's name.
        let name = match (scope.name.as_str(), scope.class) {
            ("__init__", Some(c)) => self.models[f.file].classes[c].name.clone(),
            (n, _) => n.into(),
        };
        let words = [name.as_str()];
        let startup = &self.knowledge.entry_points.startup;
        let mut out = Vec::new();
        let files: Vec<usize> = (0..self.files.len())
            // Test files call everything, and what they call does not count (see
            // `only_called_from`): resolving their calls would only parse more modules.
            .filter(|f| {
                self.models.language(*f) == crate::model::Language::Python
                    && !self.is_test[*f]
                    && holds_word(&self.files[*f].text, &name)
            })
            .take(MAX_CALLER_FILES + 1)
            .collect();
        if files.len() > MAX_CALLER_FILES {
            return vec![Caller::Elsewhere];
        }
        for file in files {
            let model = &self.models[file];
            for (id, c) in model.calls.iter().enumerate() {
                // `FastAPI(lifespan=f)`, `Starlette(on_startup=[f])`,
                // `app.add_event_handler("startup", f)`.
                let handed = c.args.iter().any(|a| {
                    let by_keyword = a
                        .name
                        .as_deref()
                        .is_some_and(|n| startup.keywords.iter().any(|k| k == n));
                    let by_method = c
                        .method_name()
                        .is_some_and(|m| startup.methods.iter().any(|x| x == m));
                    // Whether a project function passes the argument on to start-up is
                    // asked last: it resolves the callee.
                    (by_keyword || by_method || a.name.is_some())
                        && self.names_function(file, c.scope, &a.value, f)
                        && (by_keyword
                            || by_method
                            || self.passed_on_to_startup(CallRef { file, call: id }, a))
                });
                if handed {
                    out.push(Caller::Startup);
                }
                // `FnToCLI(main).run()`, `Thread(target=poll).start()` under `__main__`:
                // what the script's own code hands over runs in that script.
                if model.enclosing_function(c.scope) == 0
                    && c.args.iter().any(|a| mentions_word(&a.value, &name))
                    && model.in_main_block(c.span)
                    && c.args
                        .iter()
                        .any(|a| self.names_function(file, c.scope, &a.value, f))
                {
                    out.push(Caller::MainBlock);
                }
                // `handler = getattr(self, name, self.fallback)` then `handler(...)`: a
                // local name bound to an expression that names `f`.
                let aliased = || match &c.callee.kind {
                    ExprKind::Name(n) => self
                        .binding_at(file, c.scope, n, c.span.start)
                        .is_some_and(|b| match &b.binding.value {
                            BoundValue::Expr(e) => names_written(model, e, &name, 0),
                            _ => false,
                        }),
                    _ => false,
                };
                if !c.written_with(&words) && !aliased() {
                    continue;
                }
                let call = CallRef { file, call: id };
                if self.call_target(call) != Some(f) && !self.alternatives_run_by(call).contains(&f)
                {
                    continue;
                }
                out.push(match self.call_owner(call) {
                    Some(g) => Caller::Function(g),
                    None if model.in_main_block(c.span) => Caller::MainBlock,
                    None => Caller::Elsewhere,
                });
                if out.len() > MAX_CALLERS {
                    out.push(Caller::Elsewhere);
                    return out;
                }
            }
        }
        out
    }

    /// `create_app(lifespan_override=lifespan)`, where the project function `create_app`
    /// hands that parameter to the application (`FastAPI(lifespan=lifespan_override or
    /// default)`): the argument is start-up code too.
    fn passed_on_to_startup(&self, call: CallRef, arg: &crate::model::Arg) -> bool {
        let Some(name) = arg.name.as_deref() else {
            return false;
        };
        let Some(g) = self.call_target(call) else {
            return false;
        };
        if !self.scope(g).params.iter().any(|p| p.name == name) {
            return false;
        }
        let keywords = &self.knowledge.entry_points.startup.keywords;
        let model = &self.models[g.file];
        model.calls.iter().any(|c| {
            model.enclosing_function(c.scope) == g.scope
                && c.args.iter().any(|a| {
                    a.name
                        .as_deref()
                        .is_some_and(|n| keywords.iter().any(|k| k == n))
                        && mentions(&a.value, name)
                })
        })
    }

    /// The expression is `f` itself, or a list or tuple holding it, or either side of
    /// `a or b` / `a if c else b`.
    fn names_function(
        &self,
        file: usize,
        scope: usize,
        e: &crate::model::Expr,
        f: FuncRef,
    ) -> bool {
        match &e.kind {
            // `def run(startup_hook=startup): Worker(on_startup=startup_hook)`: a
            // parameter's default is what it hands over when the caller passes nothing.
            ExprKind::Name(n) if !matches!(self.resolve(file, scope, e), Value::Function(_)) => {
                // The function whose parameter it is: this one, or one it is nested in.
                let model = &self.models[file];
                let mut func = model.enclosing_function(scope);
                loop {
                    let s = &model.scopes[func];
                    let parent = s.parent.unwrap_or(0);
                    if let Some(p) = s.params.iter().find(|p| p.name == *n) {
                        return p
                            .default
                            .as_ref()
                            .is_some_and(|d| self.names_function(file, parent, d, f));
                    }
                    if func == 0 || s.bindings.iter().any(|b| b.name == *n) {
                        return false;
                    }
                    func = model.enclosing_function(parent);
                }
            }
            ExprKind::Name(_) | ExprKind::Attr(..) => {
                matches!(self.resolve(file, scope, e), Value::Function(g) if g == f)
            }
            ExprKind::List(items) | ExprKind::Tuple(items) => {
                items.iter().any(|i| self.names_function(file, scope, i, f))
            }
            ExprKind::Or(a, b) | ExprKind::IfElse(a, b) => {
                self.names_function(file, scope, a, f) || self.names_function(file, scope, b, f)
            }
            _ => false,
        }
    }

    /// Qualified names of the functions named as console scripts, in `pyproject.toml`
    /// (`[project.scripts]`, Poetry's `[tool.poetry.scripts]`) next to the checked code
    /// or in a folder above it up to the checked root, and in `setup(entry_points=...)`.
    fn console_scripts(&self) -> &HashSet<String> {
        self.entry.scripts.get_or_init(|| {
            let k = &self.knowledge.entry_points.command_line;
            let mut out = HashSet::new();
            for d in self.config_dirs() {
                let text = self.side_files.read(&d.join("pyproject.toml"));
                for target in pyproject_scripts(text.as_deref(), &k.script_tables) {
                    out.insert(target);
                }
            }
            let words = [k.entry_points_keyword.as_str()];
            for (file, model) in self.python_models_mentioning(&words) {
                for (id, c) in model.calls.iter().enumerate() {
                    let Some(ep) = c.keyword(&k.entry_points_keyword) else {
                        continue;
                    };
                    if !self.matches_any(self.callee(CallRef { file, call: id }), &k.setup_calls) {
                        continue;
                    }
                    let ExprKind::Dict(groups) = &ep.value.kind else {
                        continue;
                    };
                    for (key, value) in groups {
                        if !key
                            .as_ref()
                            .and_then(|k| k.as_str())
                            .is_some_and(|g| k.script_groups.iter().any(|x| x == g))
                        {
                            continue;
                        }
                        if let ExprKind::List(items) | ExprKind::Tuple(items) = &value.kind {
                            for item in items {
                                if let Some(spec) = item.as_str()
                                    && let Some((_, target)) = spec.split_once('=')
                                    && let Some(t) = script_target(target)
                                {
                                    out.insert(t);
                                }
                            }
                        }
                    }
                }
            }
            out
        })
    }
}

/// `pkg.module:function [extra]` → `pkg.module.function`.
fn script_target(spec: &str) -> Option<String> {
    let spec = spec.split_whitespace().next()?;
    let (module, object) = spec.split_once(':')?;
    Some(format!("{}.{}", module.trim(), object.trim()))
}

/// The console-script targets of a pyproject.toml's text (`None`: unreadable, none).
fn pyproject_scripts(text: Option<&str>, tables: &[String]) -> Vec<String> {
    let Some(text) = text else {
        return Vec::new();
    };
    let Ok(doc) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for t in tables {
        let mut v: Option<&toml::Value> = None;
        let mut table = Some(&doc);
        for part in t.split('.') {
            v = table.and_then(|tb| tb.get(part));
            table = v.and_then(|x| x.as_table());
        }
        let Some(entries) = v.and_then(|x| x.as_table()) else {
            continue;
        };
        for value in entries.values() {
            // Poetry also allows `{ callable = "pkg.mod:fn" }`.
            let spec = value
                .as_str()
                .or_else(|| value.get("callable").and_then(|c| c.as_str()));
            if let Some(t) = spec.and_then(script_target) {
                out.push(t);
            }
        }
    }
    out
}

/// Does the expression name `name`, as a name, an attribute or an f-string with its
/// ends, itself or in the arguments of a call it makes (`getattr(self, key, self.name)`)?
fn names_written(
    model: &crate::model::FileModel,
    e: &crate::model::Expr,
    name: &str,
    depth: u32,
) -> bool {
    if depth > 4 {
        return false;
    }
    match &e.kind {
        ExprKind::Name(n) => n == name,
        // `getattr(self, f"{kind}_refresh")`: a name with those ends.
        ExprKind::Formatted { .. } => e.may_format(name),
        ExprKind::Attr(base, n) => n == name || names_written(model, base, name, depth + 1),
        ExprKind::Call(id) => model.calls[*id]
            .args
            .iter()
            .any(|a| names_written(model, &a.value, name, depth + 1)),
        ExprKind::Or(a, b) | ExprKind::IfElse(a, b) => {
            names_written(model, a, name, depth + 1) || names_written(model, b, name, depth + 1)
        }
        _ => false,
    }
}

/// Does the expression hold the plain name `name` (itself, in a list or tuple, on either
/// side of `or` or a conditional expression)?
fn mentions(e: &crate::model::Expr, name: &str) -> bool {
    written_as(e, name, false)
}

/// As [`mentions`], an attribute of that name counting too (`cli.main`).
fn mentions_word(e: &crate::model::Expr, name: &str) -> bool {
    written_as(e, name, true)
}

fn written_as(e: &crate::model::Expr, name: &str, attributes: bool) -> bool {
    match &e.kind {
        ExprKind::Name(n) => n == name,
        ExprKind::Attr(_, a) => attributes && a == name,
        ExprKind::List(items) | ExprKind::Tuple(items) => {
            items.iter().any(|i| written_as(i, name, attributes))
        }
        ExprKind::Or(a, b) | ExprKind::IfElse(a, b) => {
            written_as(a, name, attributes) || written_as(b, name, attributes)
        }
        _ => false,
    }
}

/// Does `text` hold `word` as a whole name (`run` in `job.run()`, not in `truncate`)?
/// A call of a function is written with its whole name; a short name is a part of many
/// longer ones, and reading every file that holds it that way would hit the file limit.
fn holds_word(text: &str, word: &str) -> bool {
    use crate::prefilter::is_ident_byte;
    let bytes = text.as_bytes();
    memchr::memmem::find_iter(bytes, word.as_bytes()).any(|at| {
        let end = at + word.len();
        (at == 0 || !is_ident_byte(bytes[at - 1]))
            && bytes.get(end).is_none_or(|b| !is_ident_byte(*b))
    })
}

#[cfg(test)]
mod tests {
    use super::holds_word;

    #[test]
    fn a_word_is_a_whole_name() {
        assert!(holds_word("await collector.run()", "run"));
        assert!(holds_word("run(main())", "run"));
        assert!(holds_word("x = run", "run"));
        assert!(!holds_word("text.truncate(10)", "run"));
        assert!(!holds_word("self.runner.start()", "run"));
        assert!(!holds_word("rerun_job()", "run"));
        assert!(!holds_word("créerun()", "run"));
        assert!(holds_word("truncate(); run()", "run"));
    }
}

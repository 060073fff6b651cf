//! Where Rust code runs: on an async runtime's worker (async context), or off it
//! (closures handed to `spawn_blocking` and friends, or to a project wrapper around
//! them); project wrappers found automatically; rusty-celery tasks.

use std::collections::{HashMap, HashSet};

use crate::model::{BoundValue, Expr, ExprKind, FileModel, Language, Name, ScopeId, ScopeKind};
use crate::source::FileId;

use super::super::{CallRef, FuncRef, Project, Value};
use super::WrapperKind;
use super::resolve::{origin, path_under};

/// Why a call runs in async context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AsyncContext {
    /// In the body of this `async fn`.
    AsyncFn(FuncRef),
    /// In an `async` block or closure (the scope) inside a function.
    AsyncBlock(FuncRef, ScopeId),
    /// In a sync function the framework calls inline on its runtime (the reason).
    OnRuntime(FuncRef, String),
}

impl AsyncContext {
    pub fn func(&self) -> FuncRef {
        match self {
            AsyncContext::AsyncFn(f)
            | AsyncContext::AsyncBlock(f, _)
            | AsyncContext::OnRuntime(f, _) => *f,
        }
    }
}

impl Project {
    /// Built-in offloads (`rules/rust/offload.toml`), not project wrappers.
    fn rust_is_builtin_offload(&self, call: CallRef) -> bool {
        let c = self.call(call);
        let off = &self.knowledge.rust.offload;
        if let Some(m) = c.method_name() {
            if off.methods.iter().any(|x| x == m) {
                return true;
            }
            if let Value::Attr(base, _) = self.callee(call)
                && let Some(o) = origin(base)
                && off
                    .method
                    .iter()
                    .any(|om| om.name == m && om.receivers.iter().any(|r| path_under(o, &r.root)))
            {
                return true;
            }
        }
        let callee = self.callee(call);
        off.calls.iter().any(|p| self.matches(callee, p))
    }

    /// A call that runs the closure it is given off the async runtime: a built-in
    /// offload, a project wrapper around one, or a method named like a project wrapper
    /// on a receiver tasklint cannot resolve.
    pub(crate) fn rust_is_offload(&self, call: CallRef) -> bool {
        if self.rust_is_builtin_offload(call) {
            return true;
        }
        match self.callee(call) {
            Value::Function(f) => self.rust.wrappers.get(f) == Some(&WrapperKind::Offload),
            Value::Unknown | Value::Attr(..) => self
                .call(call)
                .method_name()
                .is_some_and(|m| self.rust.wrapper_methods.contains(m)),
            _ => false,
        }
    }

    /// A closure that does not run where it is written: handed to an offload, or (a
    /// sync one) to an external call that is not a known inline user of its closure
    /// (`[inline]` in `rules/rust/offload.toml`): a callback that runs later, or on
    /// another thread. Its calls belong to no enclosing function.
    pub(crate) fn rust_lambda_runs_elsewhere(&self, file: FileId, scope: ScopeId) -> bool {
        let s = &self.models[file].scopes[scope];
        let Some((outer, _)) = s.passed_to else {
            return false;
        };
        let call = CallRef { file, call: outer };
        // An offload runs an `async` closure's body only up to the future it returns
        // (see `rust_async_context`); the caller awaits that future.
        if (self.rust_is_offload(call) && !s.is_async) || self.rust_env_fallback(call) {
            return true;
        }
        !s.is_async && !self.rust_runs_closure_inline(call)
    }

    /// `env::var("TOKEN").ok().or_else(...)`: a fallback method on a chain of method calls
    /// that starts at an environment read.
    fn rust_env_fallback(&self, call: CallRef) -> bool {
        let fallback = &self.knowledge.rust.inline.env_fallback;
        let c = self.call(call);
        if !c
            .method_name()
            .is_some_and(|m| fallback.methods.iter().any(|x| x == m))
        {
            return false;
        }
        let mut recv = c.receiver();
        for _ in 0..8 {
            let Some(ExprKind::Call(inner)) = recv.map(|r| &r.kind) else {
                return false;
            };
            let inner = CallRef {
                file: call.file,
                call: *inner,
            };
            if self.matches_any(self.callee(inner), &fallback.reads) {
                return true;
            }
            recv = self.call(inner).receiver();
        }
        false
    }

    /// Does this call run the closure it is given before it returns? Project functions
    /// are taken to (their code is read, and a wrapper that offloads is an offload), as
    /// are macros (their arguments are expressions here) but a project macro that spawns
    /// or stringifies them, and the `[inline]` users.
    fn rust_runs_closure_inline(&self, call: CallRef) -> bool {
        let c = self.call(call);
        if c.is_macro {
            return !self.macro_defers(call);
        }
        let callee = self.callee(call);
        if let Value::Function(f) = callee {
            return !self.rust.opaque_closures.contains(f);
        }
        let inline = &self.knowledge.rust.inline;
        c.method_name()
            .is_some_and(|m| inline.methods.iter().any(|x| x == m))
            || inline.calls.iter().any(|p| self.matches(callee, p))
    }

    /// A call that starts a task: a known spawn, or a project helper that spawns what
    /// it is given.
    pub(crate) fn rust_spawns(&self, call: CallRef) -> bool {
        self.rust_is_spawn(call)
            || matches!(self.callee(call), Value::Function(f)
                if self.rust.wrappers.get(f) == Some(&WrapperKind::Detach))
    }

    pub(crate) fn rust_is_spawn(&self, call: CallRef) -> bool {
        let callee = self.callee(call);
        self.knowledge
            .rust
            .spawn
            .calls
            .iter()
            .any(|p| self.matches(callee, p))
    }

    /// Where a call runs: `None` when not in async context (sync code, or a closure
    /// handed to an offload).
    pub fn rust_async_context(&self, call: CallRef) -> Option<AsyncContext> {
        let model = &self.models[call.file];
        let mut scope = model.calls[call.call].scope;
        loop {
            let s = &model.scopes[scope];
            match s.kind {
                ScopeKind::Lambda => {
                    // An offloaded closure whose body is an `async` block only builds
                    // the future off the runtime; the caller awaits it on the runtime.
                    if let Some((outer, _)) = s.passed_to
                        && !s.is_async
                        && self.rust_is_offload(CallRef {
                            file: call.file,
                            call: outer,
                        })
                    {
                        return None;
                    }
                    let f = FuncRef {
                        file: call.file,
                        scope,
                    };
                    if s.is_async {
                        let func = FuncRef {
                            file: call.file,
                            scope: model.enclosing_function(scope),
                        };
                        return Some(AsyncContext::AsyncBlock(func, scope));
                    }
                    if let Some(h) = self.rust.handler(f)
                        && h.sync_on_runtime
                    {
                        return Some(AsyncContext::OnRuntime(f, h.framework.clone()));
                    }
                    if self.rust_lambda_runs_elsewhere(call.file, scope) {
                        return None;
                    }
                    scope = s.parent?;
                }
                ScopeKind::Function => {
                    let f = FuncRef {
                        file: call.file,
                        scope,
                    };
                    if s.is_async {
                        return Some(AsyncContext::AsyncFn(f));
                    }
                    if let Some(h) = self.rust.handler(f)
                        && h.sync_on_runtime
                    {
                        return Some(AsyncContext::OnRuntime(f, h.framework.clone()));
                    }
                    if self.rust.celery_tasks.contains_key(&f) {
                        return Some(AsyncContext::OnRuntime(f, "rusty-celery task".into()));
                    }
                    return None;
                }
                ScopeKind::Module | ScopeKind::Class => return None,
            }
        }
    }

    /// The call runs when `func` is called, synchronously: it is not inside an `async`
    /// block or closure of `func` (those run when their future is polled).
    pub fn rust_runs_inline(&self, call: CallRef, func: FuncRef) -> bool {
        let model = &self.models[call.file];
        let mut scope = model.calls[call.call].scope;
        while scope != func.scope {
            let s = &model.scopes[scope];
            if s.kind == ScopeKind::Lambda && s.is_async {
                return false;
            }
            match s.parent {
                Some(p) => scope = p,
                None => return false,
            }
        }
        true
    }

    /// A Rust closure the framework calls as a request handler: it owns its calls.
    pub(crate) fn rust_is_handler_lambda(&self, file: FileId, scope: ScopeId) -> bool {
        self.models[file].language == Language::Rust
            && self.rust.handler(FuncRef { file, scope }).is_some()
    }
}

/// Project functions that take a closure (or future) and pass it into an offload
/// (`DbConn::run(f)` → `block_in_place(move || f(conn))`) or into a spawn whose handle
/// they drop (`spawn_try_task(fut)` → `tokio::spawn(async move { fut.await })`); wrappers
/// of wrappers too.
pub fn derive_wrappers(project: &Project) -> (HashMap<FuncRef, WrapperKind>, HashSet<String>) {
    let mut wrappers: HashMap<FuncRef, WrapperKind> = HashMap::new();
    for _round in 0..4 {
        let mut changed = false;
        for (file, model) in project.rust_models() {
            for (id, c) in model.calls.iter().enumerate() {
                let fscope = model.enclosing_function(c.scope);
                if model.scopes[fscope].kind != ScopeKind::Function {
                    continue;
                }
                let f = FuncRef {
                    file,
                    scope: fscope,
                };
                if wrappers.contains_key(&f) {
                    continue;
                }
                let call = CallRef { file, call: id };
                let via = match project.callee(call) {
                    Value::Function(g) => wrappers.get(g).copied(),
                    _ => None,
                };
                let kind =
                    if project.rust_is_builtin_offload(call) || via == Some(WrapperKind::Offload) {
                        WrapperKind::Offload
                    } else if (project.rust_is_spawn(call) || via == Some(WrapperKind::Detach))
                        && !c.value_used
                    {
                        WrapperKind::Detach
                    } else {
                        continue;
                    };
                let params = closure_params(project, file, fscope);
                if params.is_empty() {
                    continue;
                }
                if c.args
                    .iter()
                    .any(|a| mentions(model, &a.value, &params, true))
                {
                    wrappers.insert(f, kind);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let methods = wrappers
        .iter()
        .filter(|(f, k)| **k == WrapperKind::Offload && project.scope(**f).class.is_some())
        .map(|(f, _)| project.scope(*f).name.as_str().to_owned())
        .collect();
    (wrappers, methods)
}

/// Closure parameters a project function never visibly uses: not called, not passed
/// to a call, not part of any value it binds (`spawn_blocking!("x", move || f(p))` is a
/// macro tasklint does not read).
pub fn opaque_closure_params(project: &Project) -> HashSet<FuncRef> {
    let mut out = HashSet::new();
    for (file, model) in project.rust_models() {
        let candidates: Vec<(ScopeId, Vec<String>)> = model
            .functions()
            .map(|(scope, _)| (scope, closure_params(project, file, scope)))
            .filter(|(_, p)| !p.is_empty())
            .collect();
        if candidates.is_empty() {
            continue;
        }
        // Calls and scopes by the function they run in (closures included): one pass.
        let mut calls_of: HashMap<ScopeId, Vec<usize>> = HashMap::new();
        for (id, c) in model.calls.iter().enumerate() {
            calls_of
                .entry(model.enclosing_function(c.scope))
                .or_default()
                .push(id);
        }
        let mut scopes_of: HashMap<ScopeId, Vec<ScopeId>> = HashMap::new();
        for i in 0..model.scopes.len() {
            scopes_of
                .entry(model.enclosing_function(i))
                .or_default()
                .push(i);
        }
        for (scope, params) in candidates {
            for p in &params {
                // A use the project's macro hands elsewhere (`spawn_blocking!("x", move
                // || f(p))`) does not run the closure here.
                let used = calls_of.get(&scope).into_iter().flatten().any(|&id| {
                    let c = &model.calls[id];
                    (uses(model, &c.callee, p, 0)
                        || c.args.iter().any(|a| uses(model, &a.value, p, 0)))
                        && !project.macro_defers(CallRef { file, call: id })
                        && !project.deferred_by_macro(CallRef { file, call: id })
                }) || scopes_of.get(&scope).into_iter().flatten().any(|&i| {
                    model.scopes[i]
                        .bindings
                        .iter()
                        .any(|b| matches!(&b.value, BoundValue::Expr(x) if uses(model, x, p, 0)))
                });
                if !used {
                    out.insert(FuncRef { file, scope });
                }
            }
        }
    }
    out
}

/// Does an expression use the name `p` (as a value, a callee, a receiver, an argument)?
/// Closures written in it are not entered: their calls are looked at on their own.
fn uses(model: &FileModel, e: &Expr, p: &str, depth: u32) -> bool {
    if depth > 32 {
        return true;
    }
    match &e.kind {
        ExprKind::Name(n) => n == p,
        ExprKind::Attr(base, _) | ExprKind::Subscript(base, _) => uses(model, base, p, depth + 1),
        ExprKind::Call(id) => {
            let c = &model.calls[*id];
            uses(model, &c.callee, p, depth + 1)
                || c.args.iter().any(|a| uses(model, &a.value, p, depth + 1))
        }
        ExprKind::Tuple(items) | ExprKind::List(items) => {
            items.iter().any(|i| uses(model, i, p, depth + 1))
        }
        _ => false,
    }
}

/// Parameters that hold a closure or future: typed `impl FnOnce(..)`, `impl Future`,
/// `Box<dyn Fn..>`, or a generic parameter bounded so (`f: F` with `F: FnOnce(..)`).
fn closure_params(project: &Project, file: FileId, scope: ScopeId) -> Vec<String> {
    let model = &project.models[file];
    let s = &model.scopes[scope];
    let generics: &[Name] = model
        .rust
        .closure_generics
        .iter()
        .find(|(f, _)| *f == scope)
        .map(|(_, g)| g.as_slice())
        .unwrap_or(&[]);
    s.params
        .iter()
        .filter(|p| p.name != "self" && !p.name.starts_with("<pattern"))
        .filter(|p| {
            p.annotation
                .as_ref()
                .is_some_and(|ty| closure_like(ty, generics))
        })
        .map(|p| p.name.as_str().to_owned())
        .collect()
}

fn closure_like(ty: &Expr, generics: &[Name]) -> bool {
    match &ty.kind {
        ExprKind::Name(n) => {
            let last = n.rsplit("::").next().unwrap_or(n);
            matches!(
                last,
                "Fn" | "FnOnce"
                    | "FnMut"
                    | "AsyncFn"
                    | "AsyncFnOnce"
                    | "AsyncFnMut"
                    | "Future"
                    | "IntoFuture"
            ) || generics.iter().any(|g| g == n)
        }
        ExprKind::Subscript(base, inner) => match &base.kind {
            ExprKind::Name(n) if matches!(n.rsplit("::").next(), Some("Box" | "Pin")) => {
                closure_like(inner, generics)
            }
            // `impl Future<Output = T>` keeps no type argument; `impl Fn(A) -> B` none.
            ExprKind::Name(_) => closure_like(base, generics),
            _ => false,
        },
        _ => false,
    }
}

/// Does an expression use one of `params`: as a value (`job`), called (`f(conn)`), or,
/// inside a closure or async block, called, passed on, or awaited into a binding.
fn mentions(model: &FileModel, e: &Expr, params: &[String], top: bool) -> bool {
    match &e.kind {
        ExprKind::Name(n) => params.iter().any(|p| p == n),
        ExprKind::Attr(base, _) => !top && mentions(model, base, params, false),
        ExprKind::Call(id) => {
            let c = &model.calls[*id];
            mentions(model, &c.callee, params, false)
                || c.args
                    .iter()
                    .any(|a| mentions(model, &a.value, params, false))
        }
        ExprKind::Tuple(items) | ExprKind::List(items) => {
            items.iter().any(|i| mentions(model, i, params, top))
        }
        ExprKind::Lambda(l) => {
            let inside = |mut s: ScopeId| loop {
                if s == *l {
                    return true;
                }
                match model.scopes[s].parent {
                    Some(p) => s = p,
                    None => return false,
                }
            };
            let calls = model.calls.iter().any(|c| {
                inside(c.scope)
                    && (matches!(&c.callee.kind, ExprKind::Name(n) if params.iter().any(|p| p == n.as_str()))
                        || c.args
                            .iter()
                            .any(|a| mentions(model, &a.value, params, true)))
            });
            calls
                || model.scopes.iter().enumerate().any(|(i, s)| {
                    inside(i)
                        && s.bindings.iter().any(|b| {
                            matches!(&b.value, BoundValue::Expr(x) if mentions(model, x, params, true))
                        })
                })
        }
        _ => false,
    }
}

/// rusty-celery task functions and the name of the struct the macro makes of each
/// (`wrapper = ..`, else the function's name).
pub fn find_celery_tasks(project: &Project) -> HashMap<FuncRef, String> {
    let mut out = HashMap::new();
    let attrs = &project.knowledge.rust.celery.task_attributes;
    for (file, model) in project.rust_models() {
        for (scope, s) in model.functions() {
            for d in &s.decorators {
                let v = project.rust_decorator_value(file, s.parent.unwrap_or(0), &d.expr);
                if !attrs.iter().any(|p| project.matches(&v, p)) {
                    continue;
                }
                let wrapper = match &d.expr.kind {
                    ExprKind::Call(c) => model.calls[*c].keyword("wrapper").and_then(|a| match &a
                        .value
                        .kind
                    {
                        ExprKind::Name(n) => Some(n.to_string()),
                        _ => None,
                    }),
                    _ => None,
                };
                out.insert(
                    FuncRef { file, scope },
                    wrapper.unwrap_or_else(|| s.name.as_str().to_owned()),
                );
            }
        }
    }
    out
}

impl Project {
    /// What an attribute names: `#[get("/")]` → the `get` it resolves to. A name no `use`
    /// brings in may come from a `#[macro_use] extern crate` of the crate.
    pub(crate) fn rust_decorator_value(&self, file: FileId, scope: ScopeId, expr: &Expr) -> Value {
        let path = self.models[file].decorator_path(expr);
        let ExprKind::Name(name) = &path.kind else {
            return Value::Unknown;
        };
        let v = self.rust_path(file, scope, name, u32::MAX, 0, false);
        if !v.is_unknown() || name.contains("::") {
            return v;
        }
        if let Some(k) = self.rust_crate_of(file)
            && let Some(root) = self.rust.crates[k].root_file
        {
            for krate in &self.models[root].rust.macro_use {
                let candidate = Value::External(format!("{krate}.{name}"));
                let known = self
                    .knowledge
                    .rust
                    .attribute_handlers
                    .iter()
                    .flat_map(|h| h.attributes.iter())
                    .chain(self.knowledge.rust.celery.task_attributes.iter())
                    .any(|p| self.matches(&candidate, p));
                if known {
                    return candidate;
                }
            }
        }
        Value::Unknown
    }
}

/// Functions only tests call (helpers like `build_db_pool_for_tests`), and functions only
/// the runtime's entry point calls (start-up code): every project call to them is in such
/// a function, directly or through others like them.
pub fn test_and_startup_only(project: &Project) -> (HashSet<FuncRef>, HashSet<FuncRef>) {
    // Calls that run in a spawned task (`tokio::spawn(worker.run())`, or inside
    // `tokio::spawn(async move { .. })`): what they run lives as long as the server, so
    // being started from `main` does not make it start-up code.
    let mut spawned_args: HashSet<CallRef> = HashSet::new();
    for (file, model) in project.rust_models() {
        for (id, c) in model.calls.iter().enumerate() {
            if c.is_macro || !project.rust_spawns(CallRef { file, call: id }) {
                continue;
            }
            for a in &c.args {
                if let ExprKind::Call(inner) = a.value.kind {
                    spawned_args.insert(CallRef { file, call: inner });
                }
            }
        }
    }
    let in_spawned_task = |call: CallRef| {
        if spawned_args.contains(&call) {
            return true;
        }
        let model = &project.models[call.file];
        let mut scope = model.calls[call.call].scope;
        while model.scopes[scope].kind == ScopeKind::Lambda {
            if let Some((outer, _)) = model.scopes[scope].passed_to
                && project.rust_spawns(CallRef {
                    file: call.file,
                    call: outer,
                })
            {
                return true;
            }
            match model.scopes[scope].parent {
                Some(p) => scope = p,
                None => break,
            }
        }
        false
    };
    // Each function's callers, and whether the call runs in a spawned task.
    let mut callers: HashMap<FuncRef, Vec<(FuncRef, bool)>> = HashMap::new();
    let mut funcs = Vec::new();
    for (file, model) in project.rust_models() {
        for (scope, _) in model.functions() {
            let f = FuncRef { file, scope };
            funcs.push(f);
            for e in project.graph.edges(f) {
                callers
                    .entry(e.target)
                    .or_default()
                    .push((f, in_spawned_task(e.call)));
            }
        }
    }
    // `ignored`: callers that do not count (tests, for start-up code); `startup`: calls
    // in spawned tasks do not count either.
    let only_called_from = |roots: &HashSet<FuncRef>, ignored: &HashSet<FuncRef>, startup: bool| {
        let mut only: HashSet<FuncRef> = HashSet::new();
        loop {
            let mut changed = false;
            for f in &funcs {
                // The framework calls handlers and tasks: no project call shows it.
                if roots.contains(f)
                    || only.contains(f)
                    || project.rust.handler(*f).is_some()
                    || project.rust.celery_tasks.contains_key(f)
                {
                    continue;
                }
                let Some(cs) = callers.get(f) else { continue };
                let counted: Vec<&FuncRef> = cs
                    .iter()
                    .filter(|(c, spawned)| !(ignored.contains(c) || (startup && *spawned)))
                    .map(|(c, _)| c)
                    .collect();
                if !counted.is_empty()
                    && counted
                        .iter()
                        .all(|c| *c != f && (roots.contains(c) || only.contains(c)))
                {
                    only.insert(*f);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        only
    };
    let tests: HashSet<FuncRef> = funcs
        .iter()
        .copied()
        .filter(|f| project.is_test_function(*f))
        .collect();
    let entries: HashSet<FuncRef> = funcs
        .iter()
        .copied()
        .filter(|f| project.rust_is_runtime_entry(*f))
        .collect();
    // Dead code says nothing of where the functions it calls run: a helper that tests and
    // one function nothing calls share is still test-only.
    // Packages with a binary: applications, whose library serves that binary.
    let applications: HashSet<usize> = project
        .rust
        .crates
        .iter()
        .filter(|c| c.binary)
        .filter_map(|c| c.manifest)
        .collect();
    let uncalled: HashSet<FuncRef> = funcs
        .iter()
        .copied()
        .filter(|f| !callers.contains_key(f) && !tests.contains(f))
        .filter(|f| uncalled_application_code(project, *f, &applications))
        .collect();
    let dead: HashSet<FuncRef> = if uncalled.is_empty() {
        uncalled
    } else {
        let referenced = value_names(project);
        // A call tasklint could not resolve may be to any function of its name.
        let resolved: HashSet<CallRef> = funcs
            .iter()
            .flat_map(|f| project.graph.edges(*f).iter().map(|e| e.call))
            .collect();
        let mut unresolved: HashSet<&str> = HashSet::new();
        for (file, model) in project.rust_models() {
            for (id, c) in model.calls.iter().enumerate() {
                if !c.is_macro
                    && !resolved.contains(&CallRef { file, call: id })
                    && let Some(n) = c.written_name()
                {
                    unresolved.insert(n.rsplit("::").next().unwrap_or(n));
                }
            }
        }
        let seeds: HashSet<FuncRef> = uncalled
            .into_iter()
            .filter(|f| {
                let name = project.models[f.file].scopes[f.scope].name.as_str();
                !referenced.contains(name) && !unresolved.contains(name)
            })
            .collect();
        let called_by_dead = only_called_from(&seeds, &HashSet::new(), false);
        seeds.union(&called_by_dead).copied().collect()
    };
    let test_only = only_called_from(&tests, &dead, false);
    let all_tests: HashSet<FuncRef> = tests.union(&test_only).copied().collect();
    let startup_only = only_called_from(&entries, &all_tests, true);
    (test_only, startup_only)
}

/// Attributes that neither register a function nor make it callable from elsewhere.
const INERT_ATTRIBUTES: &[&str] = &[
    "doc",
    "allow",
    "warn",
    "deny",
    "expect",
    "inline",
    "must_use",
    "deprecated",
    "instrument",
    "cfg",
    "cfg_attr",
];

/// A function no project call reaches that no one outside the workspace can call either:
/// a plain `fn` (not `main`, not a trait's or a trait impl's method, no attribute that
/// could register it) in one of the `applications` (packages with a binary).
/// Handlers and tasks are called by their framework.
fn uncalled_application_code(project: &Project, f: FuncRef, applications: &HashSet<usize>) -> bool {
    let model = &project.models[f.file];
    let scope = &model.scopes[f.scope];
    if scope.name.as_str() == "main"
        || project.rust.handler(f).is_some()
        || project.rust.celery_tasks.contains_key(&f)
        || project.rust_is_runtime_entry(f)
    {
        return false;
    }
    if let Some(c) = scope.class {
        let in_trait = model
            .rust
            .impls
            .iter()
            .any(|i| i.class == c && i.trait_.is_some())
            || model
                .rust
                .types
                .iter()
                .any(|t| t.class == c && t.kind == crate::model::TypeKind::Trait);
        if in_trait {
            return false;
        }
    }
    let inert = scope.decorators.iter().all(|d| {
        matches!(&model.decorator_path(&d.expr).kind, ExprKind::Name(n)
            if INERT_ATTRIBUTES.contains(&n.rsplit("::").next().unwrap_or(n)))
    });
    if !inert {
        return false;
    }
    let Some(m) = project.rust_module_of(f.file, f.scope) else {
        return false;
    };
    let krate = &project.rust.crates[project.rust.modules[m].krate];
    !krate.test && krate.manifest.is_some_and(|m| applications.contains(&m))
}

/// The last segments of names used as values anywhere in the Rust code (`get(handler)`,
/// `.map(Self::convert)`, `let f = run;`): a function named so may be called through them.
fn value_names(project: &Project) -> HashSet<&str> {
    fn walk<'a>(e: &'a Expr, out: &mut HashSet<&'a str>) {
        match &e.kind {
            ExprKind::Name(n) => {
                out.insert(n.rsplit("::").next().unwrap_or(n));
            }
            ExprKind::Attr(base, n) => {
                out.insert(n.as_str());
                walk(base, out);
            }
            ExprKind::List(items) | ExprKind::Tuple(items) => {
                for i in items {
                    walk(i, out);
                }
            }
            ExprKind::Dict(pairs) => {
                for (k, v) in pairs {
                    if let Some(k) = k {
                        walk(k, out);
                    }
                    walk(v, out);
                }
            }
            ExprKind::Subscript(a, b)
            | ExprKind::Or(a, b)
            | ExprKind::IfElse(a, b)
            | ExprKind::And(a, b) => {
                walk(a, out);
                walk(b, out);
            }
            ExprKind::Starred(a) | ExprKind::Not(a) => walk(a, out),
            _ => {}
        }
    }
    let mut out = HashSet::new();
    for (_, model) in project.rust_models() {
        for c in &model.calls {
            for a in &c.args {
                walk(&a.value, &mut out);
            }
        }
        for s in &model.scopes {
            for b in &s.bindings {
                if let BoundValue::Expr(e) = &b.value {
                    walk(e, &mut out);
                }
            }
            for r in &s.returns {
                walk(r, &mut out);
            }
        }
        for (_, r) in &model.rust.returns {
            walk(r, &mut out);
        }
        for a in &model.attr_assignments {
            walk(&a.value, &mut out);
        }
    }
    out
}

impl Project {
    /// A crate whose library is one the knowledge base names (`axum`, `tokio`,
    /// `apalis`...): a framework's own source checked out next to its examples. It is not
    /// the project's code: its spawns are not the project's, its helpers not the
    /// project's wrappers.
    pub(crate) fn rust_is_framework_crate(&self, krate: usize) -> bool {
        let Some(ident) = self.rust.manifest_of_crate(krate).and_then(|m| m.ident()) else {
            return false;
        };
        let k = &self.knowledge.rust;
        let named = |p: &crate::knowledge::PathPattern| {
            p.root.split('.').next().is_some_and(|first| first == ident)
        };
        k.attribute_handlers
            .iter()
            .any(|h| h.attributes.iter().any(named))
            || k.registrations
                .iter()
                .any(|r| r.calls.iter().chain(&r.receivers).any(named))
            || k.impl_handlers
                .iter()
                .any(|h| h.attributes.iter().chain(&h.traits).any(named))
            || k.offload.calls.iter().chain(&k.spawn.calls).any(named)
            || k.blocking
                .iter()
                .any(|b| b.calls.iter().chain(&b.receivers).any(named))
            || k.jobs.iter().any(|j| j.paths().any(named))
    }
}

/// Crates that define or register request handlers, or define rusty-celery tasks, and
/// the library crates of the same workspace they depend on (directly or not): async code
/// there runs on the service's runtime too (a model's `before_save` hook, a service
/// layer's `login`).
pub fn service_crates(project: &Project) -> HashSet<usize> {
    let mut out = HashSet::new();
    for h in &project.rust.handlers {
        out.extend(project.rust_crate_of(h.func.file));
        if let Some((file, _)) = h.registered_at {
            out.extend(project.rust_crate_of(file));
        }
    }
    for f in project.rust.celery_tasks.keys() {
        out.extend(project.rust_crate_of(f.file));
    }
    let ix = &project.rust;
    let mut todo: Vec<usize> = out.iter().copied().collect();
    while let Some(k) = todo.pop() {
        let Some(m) = ix.manifest_of_crate(k) else {
            continue;
        };
        for (package, _) in m.deps.values() {
            let ident = project
                .knowledge
                .rust
                .lib_names
                .get(package)
                .cloned()
                .unwrap_or_else(|| package.replace('-', "_"));
            let Some(dep) = ix.crate_by_ident(&ident) else {
                continue;
            };
            let same_workspace = ix
                .manifest_of_crate(dep)
                .is_some_and(|d| d.workspace_root == m.workspace_root);
            if same_workspace
                && !ix.crates[dep].test
                && !project.rust_is_framework_crate(dep)
                && out.insert(dep)
            {
                todo.push(dep);
            }
        }
    }
    out
}

impl Project {
    /// Start-up code: the runtime's entry point or what only it calls, and the future a
    /// sync `main` hands to `block_on` (`rt.block_on(async { .. })`).
    pub fn rust_is_startup(&self, ctx: &AsyncContext) -> bool {
        match ctx {
            AsyncContext::AsyncFn(f) => {
                self.rust_is_runtime_entry(*f) || self.rust.startup_only.contains(f)
            }
            AsyncContext::AsyncBlock(f, block) => {
                let model = &self.models[f.file];
                let s = self.scope(*f);
                let in_main =
                    (s.name == "main" && s.parent == Some(0)) || self.rust.startup_only.contains(f);
                let root_future = model.scopes[*block].passed_to.is_some_and(|(c, _)| {
                    let call = &model.calls[c];
                    call.method_name() == Some("block_on")
                        || matches!(&call.callee.kind, ExprKind::Name(n) if n.ends_with("block_on"))
                });
                in_main && root_future && model.scopes[*block].parent == Some(f.scope)
            }
            AsyncContext::OnRuntime(..) => false,
        }
    }

    /// The runtime's entry point (`#[tokio::main] async fn main`, `#[rocket::main]`,
    /// `#[actix_web::main]`): what it does before serving is start-up.
    pub fn rust_is_runtime_entry(&self, f: FuncRef) -> bool {
        let model = &self.models[f.file];
        model.scopes[f.scope].decorators.iter().any(|d| {
            matches!(&model.decorator_path(&d.expr).kind,
                ExprKind::Name(n) if n.contains("::") && n.ends_with("::main"))
        })
    }
}

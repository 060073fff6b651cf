//! Which project functions are tasks, of which framework, declared how.

use std::collections::HashMap;

use crate::knowledge::TaskFramework;
use crate::model::{Arg, ArgKind, BoundValue, Expr, ExprKind, ParamKind, Scope, ScopeId};
use crate::source::FileId;

use super::{CallRef, FuncRef, Project, Value};

#[derive(Clone, Debug)]
pub struct Task {
    pub func: FuncRef,
    /// Index into `Knowledge::frameworks`.
    pub framework: usize,
    /// Index of the task decorator in the function's decorator list.
    pub decorator: usize,
    /// The task decorator's keyword arguments (`bind=True`, `name="..."`), when it is
    /// called (`@shared_task(...)`).
    pub options: Vec<Arg>,
    /// Another decorator sits above the task decorator (index of the outermost one): the
    /// name is bound to whatever that decorator returns, not to the task object.
    pub wrapped_by: Option<usize>,
    /// The project's own decorator the task decorator was found through (`@job` with
    /// `def job(**kw): return shared_task(**kw)`).
    pub wrapper: Option<FuncRef>,
    /// The framework calls this function with the task's arguments: the task decorator
    /// is applied to it (not to a function the project's wrapper builds around it) and
    /// all its options are known.
    pub signature_known: bool,
}

impl Task {
    pub fn option(&self, name: &str) -> Option<&Arg> {
        self.options
            .iter()
            .find(|a| a.name.as_deref() == Some(name))
    }

    /// `bind=True` (Celery) / `takes_context=True` (django.tasks): the first parameter
    /// receives the task or its context and is not passed by callers.
    pub fn binds_first_param(&self, framework: &TaskFramework) -> bool {
        framework.bind_option.as_deref().is_some_and(|opt| {
            self.option(opt)
                .is_some_and(|a| matches!(a.value.kind, ExprKind::Bool(true)))
        })
    }
}

#[derive(Debug, Default)]
pub struct TaskRegistry {
    by_func: HashMap<FuncRef, Task>,
}

impl TaskRegistry {
    pub fn build(project: &Project) -> TaskRegistry {
        use rayon::prelude::*;
        let roots: Vec<FileId> = project.roots().map(|(f, _)| f).collect();
        // Each file's tasks, kept for the language server's next check.
        let parts: Vec<Vec<(FuncRef, Task)>> = roots
            .par_iter()
            .map(|&file| {
                project.per_file(super::reuse::Pass::Tasks, file, || {
                    project.models[file]
                        .functions()
                        .filter_map(|(scope, s)| {
                            let func = FuncRef { file, scope };
                            find_task(project, func, s).map(|t| (func, t))
                        })
                        .collect()
                })
            })
            .collect();
        TaskRegistry {
            by_func: parts.into_iter().flatten().collect(),
        }
    }

    pub fn get(&self, func: FuncRef) -> Option<&Task> {
        self.by_func.get(&func)
    }

    /// The task a value is, when it names a task function directly (not wrapped).
    pub fn task_of(&self, value: &Value) -> Option<&Task> {
        match value {
            Value::Function(f) => self.get(*f),
            _ => None,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Task> {
        self.by_func.values()
    }

    pub fn len(&self) -> usize {
        self.by_func.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_func.is_empty()
    }
}

fn find_task(project: &Project, func: FuncRef, scope: &Scope) -> Option<Task> {
    let parent = scope.parent.unwrap_or(0);
    for (i, d) in scope.decorators.iter().enumerate() {
        let mut seen = Vec::new();
        let Some(maker) = decorator_maker(project, func.file, parent, &d.expr, 0, &mut seen) else {
            continue;
        };
        return Some(Task {
            func,
            framework: maker.framework,
            decorator: i,
            options: maker.options,
            wrapped_by: if i > 0 { Some(0) } else { None },
            wrapper: maker.via,
            signature_known: maker.applied_to_function && maker.complete,
        });
    }
    None
}

/// How far project wrappers are followed (a factory returning a decorator returning a
/// task is three).
const MAX_WRAPPER_DEPTH: u32 = 8;

/// What applying a decorator makes: a task of a framework, with the task decorator's
/// options.
struct Maker {
    framework: usize,
    /// Keyword options of the task decorator, those the project's wrappers add included
    /// (`def job(**kw): return shared_task(bind=True, **kw)` with `@job(queue="q")`:
    /// `bind=True, queue="q"`).
    options: Vec<Arg>,
    /// No options were lost to an unpacking tasklint cannot follow (`**settings`).
    complete: bool,
    /// The task decorator is applied to the decorated function itself (not to a wrapper
    /// function the project builds around it), so its parameters are the task's.
    applied_to_function: bool,
    /// The outermost project function the decorator was found through.
    via: Option<FuncRef>,
}

impl Maker {
    fn direct(framework: usize, options: Vec<Arg>) -> Maker {
        let complete = !options.iter().any(|a| a.kind == ArgKind::DoubleStar);
        Maker {
            framework,
            options: options
                .into_iter()
                .filter(|a| a.kind == ArgKind::Keyword || a.kind == ArgKind::DoubleStar)
                .collect(),
            complete,
            applied_to_function: true,
            via: None,
        }
    }

    /// More options, written at a call of the decorator (or of the project's wrapper).
    fn with_options(mut self, more: &[Arg]) -> Maker {
        for a in more {
            match a.kind {
                ArgKind::Keyword => self.options.push(a.clone()),
                ArgKind::DoubleStar => self.complete = false,
                _ => {}
            }
        }
        self
    }

    /// A wrapper's `**kwargs` passed on to the task decorator (`shared_task(**kw)`) holds
    /// the keywords the wrapper was called with (`@job(queue="q")`).
    fn forwarding(mut self, wrapper: &Scope, call_args: &[Arg]) -> Maker {
        let var_kw = wrapper
            .params
            .iter()
            .find(|p| p.kind == ParamKind::VarKeywords)
            .map(|p| p.name.as_str());
        let mut forwarded = false;
        self.options.retain(|a| {
            let is_var_kw = a.kind == ArgKind::DoubleStar
                && matches!(&a.value.kind, ExprKind::Name(n) if Some(n.as_str()) == var_kw);
            forwarded |= is_var_kw;
            !is_var_kw
        });
        if forwarded {
            self = self.with_options(call_args);
        }
        self.complete = !self.options.iter().any(|a| a.kind == ArgKind::DoubleStar);
        self
    }
}

fn framework_of(project: &Project, v: &Value) -> Option<usize> {
    if v.is_unknown() {
        return None;
    }
    project.knowledge.frameworks.iter().position(|fw| {
        fw.decorators
            .iter()
            .any(|pattern| project.matches(v, pattern))
    })
}

/// What a decorator expression (written in `scope`) makes of the function it decorates:
/// a known task decorator, bare (`@shared_task`) or called (`@shared_task(bind=True)`);
/// a name bound to such a call (`retrying = shared_task(acks_late=True)`) or to
/// `functools.partial(<task decorator>, ...)`; a project function that returns one
/// (`def job(**kw): return shared_task(**kw)`, used as `@job(...)`) or applies one to the
/// function it is given (`def job(fn): return app.task(fn)`, used as `@job`), however
/// deep its nested decorators go.
fn decorator_maker(
    project: &Project,
    file: FileId,
    scope: ScopeId,
    expr: &Expr,
    depth: u32,
    seen: &mut Vec<FuncRef>,
) -> Option<Maker> {
    if depth > MAX_WRAPPER_DEPTH {
        return None;
    }
    let model = &project.models[file];
    match &expr.kind {
        ExprKind::Call(id) => {
            let call = &model.calls[*id];
            let callee = project.callee(CallRef { file, call: *id });
            if let Some(fw) = framework_of(project, callee) {
                return Some(Maker::direct(fw, call.args.clone()));
            }
            // `partial(shared_task, bind=True)`: the same decorator with options.
            if project.matches_any(callee, &project.knowledge.task_calls.transactions.partial) {
                let first = call
                    .args
                    .first()
                    .filter(|a| a.kind == ArgKind::Positional)?;
                let inner =
                    decorator_maker(project, file, call.scope, &first.value, depth + 1, seen)?;
                return Some(inner.with_options(&call.args[1..]));
            }
            // A decorator kept in a name and called for options (`redis_job("low")` with
            // `redis_job = partial(rq.job, connection=r)`).
            if !matches!(callee, Value::Function(_))
                && let Some(m) =
                    decorator_maker(project, file, call.scope, &call.callee, depth + 1, seen)
            {
                return Some(m.with_options(&call.args));
            }
            // A project function called to make the decorator: what it returns.
            if let Value::Function(f) = callee {
                let wrapper = project.scope(*f);
                if seen.contains(f) || wrapper.returns.len() > 8 {
                    return None;
                }
                seen.push(*f);
                let found = wrapper
                    .returns
                    .iter()
                    .find_map(|r| decorator_maker(project, f.file, f.scope, r, depth + 1, seen));
                seen.pop();
                if let Some(m) = found {
                    let mut m = m.forwarding(wrapper, &call.args);
                    m.via = Some(*f);
                    return Some(m);
                }
            }
            None
        }
        ExprKind::Name(_) | ExprKind::Attr(..) => {
            let v = project.resolve(file, scope, expr);
            if let Some(fw) = framework_of(project, &v) {
                return Some(Maker::direct(fw, Vec::new()));
            }
            match v {
                // A project function used as the decorator: it is called with the
                // function, and what it returns is the task.
                Value::Function(f) => {
                    let wrapper = project.scope(f);
                    if seen.contains(&f) || wrapper.returns.len() > 8 {
                        return None;
                    }
                    seen.push(f);
                    let target = wrapper
                        .params
                        .first()
                        .filter(|p| matches!(p.kind, ParamKind::Normal | ParamKind::PositionalOnly))
                        .map(|p| p.name.as_str());
                    let found = wrapper.returns.iter().find_map(|r| {
                        task_made_by(project, f.file, f.scope, r, target, depth + 1, seen)
                    });
                    seen.pop();
                    let mut m = found?;
                    m.via = Some(f);
                    Some(m)
                }
                // The name is bound to the result of a call: that call.
                Value::Returned(_) => {
                    let (bfile, bscope, bound) = bound_expr(project, file, scope, expr, 0)?;
                    decorator_maker(project, bfile, bscope, bound, depth + 1, seen)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// What a wrapper's return value (written in its `scope`) makes, as a task: the task
/// decorator applied to something (`shared_task(fn)`, `app.task(bind=True)(fn)`,
/// `dramatiq.actor(fn, **options)`, a nested decorator called with it), or a nested
/// function that is itself a task. `target`: the wrapper's parameter that receives the
/// decorated function; applied to it, the function's parameters are the task's.
fn task_made_by(
    project: &Project,
    file: FileId,
    scope: ScopeId,
    expr: &Expr,
    target: Option<&str>,
    depth: u32,
    seen: &mut Vec<FuncRef>,
) -> Option<Maker> {
    if depth > MAX_WRAPPER_DEPTH {
        return None;
    }
    let model = &project.models[file];
    match &expr.kind {
        ExprKind::Call(id) => {
            let call = &model.calls[*id];
            let maker = decorator_maker(project, file, call.scope, &call.callee, depth + 1, seen)?;
            let applied = call
                .args
                .iter()
                .find(|a| a.kind == ArgKind::Positional)
                .is_some_and(
                    |a| matches!(&a.value.kind, ExprKind::Name(n) if Some(n.as_str()) == target),
                );
            let mut m = maker.with_options(&call.args);
            m.applied_to_function &= applied;
            Some(m)
        }
        ExprKind::Name(n) => {
            let b = project.binding_at(file, scope, n, expr.span.start)?;
            match &b.binding.value {
                // A nested function decorated as a task: the task is that function, not
                // the one the wrapper was given.
                BoundValue::Function(g) => {
                    let g = FuncRef { file, scope: *g };
                    if seen.contains(&g) {
                        return None;
                    }
                    seen.push(g);
                    let gs = project.scope(g);
                    let parent = gs.parent.unwrap_or(0);
                    let found = gs.decorators.iter().find_map(|d| {
                        decorator_maker(project, file, parent, &d.expr, depth + 1, seen)
                    });
                    seen.pop();
                    let mut m = found?;
                    m.applied_to_function = false;
                    Some(m)
                }
                BoundValue::Expr(e) => {
                    task_made_by(project, file, b.scope, e, target, depth + 1, seen)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The expression a name is bound to (`retrying_task = shared_task(acks_late=True)`), in
/// this file or, through imports, in the module that defines it.
fn bound_expr<'p>(
    project: &'p Project,
    file: FileId,
    scope: ScopeId,
    expr: &Expr,
    depth: u32,
) -> Option<(FileId, ScopeId, &'p Expr)> {
    if depth > 8 {
        return None;
    }
    let (file, bscope, binding) = match &expr.kind {
        ExprKind::Name(n) => {
            let b = project.binding_at(file, scope, n, expr.span.start)?;
            (file, b.scope, b.binding)
        }
        ExprKind::Attr(base, n) => match project.resolve(file, scope, base) {
            Value::Module(m) => {
                let b = project.binding_at(m, 0, n, u32::MAX)?;
                (m, b.scope, b.binding)
            }
            _ => return None,
        },
        _ => return None,
    };
    match &binding.value {
        BoundValue::Expr(e) => match e.kind {
            ExprKind::Call(_) => Some((file, bscope, e)),
            _ => bound_expr(project, file, bscope, e, depth + 1),
        },
        BoundValue::Import(target) => {
            let path = project.import_path(file, target)?;
            let (name, module) = path.split_last()?;
            let m = project.modules.file(&module.join("."))?;
            let b = project.binding_at(m, 0, name, u32::MAX)?;
            match &b.binding.value {
                BoundValue::Expr(e) => match e.kind {
                    ExprKind::Call(_) => Some((m, b.scope, e)),
                    _ => bound_expr(project, m, b.scope, e, depth + 1),
                },
                _ => None,
            }
        }
        _ => None,
    }
}

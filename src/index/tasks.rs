//! Which project functions are tasks, of which framework, declared how.

use std::collections::HashMap;

use crate::knowledge::TaskFramework;
use crate::model::{Arg, BoundValue, Expr, ExprKind, Scope, ScopeId};
use crate::source::FileId;

use super::{FuncRef, Project, Value};

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
        let mut by_func = HashMap::new();
        for (file, model) in project.roots() {
            for (scope, s) in model.functions() {
                let func = FuncRef { file, scope };
                if let Some(task) = find_task(project, func, s) {
                    by_func.insert(func, task);
                }
            }
        }
        TaskRegistry { by_func }
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
    for (i, d) in scope.decorators.iter().enumerate() {
        // `@shared_task` or `@shared_task(...)`: the factory is the callee of the call.
        let (factory, options) = match &d.expr.kind {
            ExprKind::Call(c) => {
                let call = &project.models[func.file].calls[*c];
                let callee = project.callee(super::CallRef {
                    file: func.file,
                    call: *c,
                });
                let options = call
                    .args
                    .iter()
                    .filter(|a| a.name.is_some())
                    .cloned()
                    .collect();
                (callee.clone(), options)
            }
            _ => {
                let parent = scope.parent.unwrap_or(0);
                match project.resolve(func.file, parent, &d.expr) {
                    // `retrying_task = shared_task(acks_late=True)`, then `@retrying_task`:
                    // the factory was called once, where the name is bound. Without that
                    // call's options (`bind=...`) the task is not known.
                    Value::Returned(factory) => {
                        match factory_call(project, func.file, parent, &d.expr, 0) {
                            Some((file, call)) => {
                                let options = project.models[file].calls[call]
                                    .args
                                    .iter()
                                    .filter(|a| a.name.is_some())
                                    .cloned()
                                    .collect();
                                (*factory, options)
                            }
                            None => continue,
                        }
                    }
                    v => (v, Vec::new()),
                }
            }
        };
        if factory.is_unknown() {
            continue;
        }
        let framework = project.knowledge.frameworks.iter().position(|fw| {
            fw.decorators
                .iter()
                .any(|pattern| project.matches(&factory, pattern))
        });
        if let Some(framework) = framework {
            return Some(Task {
                func,
                framework,
                decorator: i,
                options,
                wrapped_by: if i > 0 { Some(0) } else { None },
            });
        }
    }
    None
}

/// The call a decorator name is bound to (`retrying_task = shared_task(...)`), in this
/// file or, through imports, in the module that defines it.
fn factory_call(
    project: &Project,
    file: FileId,
    scope: ScopeId,
    expr: &Expr,
    depth: u32,
) -> Option<(FileId, usize)> {
    if depth > 8 {
        return None;
    }
    let (file, binding) = match &expr.kind {
        ExprKind::Name(n) => {
            let b = project.binding_at(file, scope, n, expr.span.start)?;
            (file, b.binding)
        }
        ExprKind::Attr(base, n) => match project.resolve(file, scope, base) {
            Value::Module(m) => {
                let b = project.binding_at(m, 0, n, u32::MAX)?;
                (m, b.binding)
            }
            _ => return None,
        },
        _ => return None,
    };
    match &binding.value {
        BoundValue::Expr(e) => match e.kind {
            ExprKind::Call(id) => Some((file, id)),
            _ => factory_call(project, file, 0, e, depth + 1),
        },
        BoundValue::Import(target) => {
            let path = project.import_path(file, target)?;
            let (name, module) = path.split_last()?;
            let m = project.modules.file(&module.join("."))?;
            let b = project.binding_at(m, 0, name, u32::MAX)?;
            match &b.binding.value {
                BoundValue::Expr(e) => match e.kind {
                    ExprKind::Call(id) => Some((m, id)),
                    _ => factory_call(project, m, 0, e, depth + 1),
                },
                _ => None,
            }
        }
        _ => None,
    }
}

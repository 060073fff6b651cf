//! Once per process is not once per request: work whose result the process keeps — a
//! function under `@lru_cache` / `@cache` / `@cached_property` (`rules/python/values.toml`),
//! or code behind a compute-once guard on a module-level name or a class attribute
//! (`if _client is None: _client = connect()`) — runs the first time, not in every
//! request or coroutine that gets there. TL301 and TL302 do not follow it.

use crate::model::{ExprKind, ScopeKind};
use crate::source::FileId;

use super::{CallRef, FuncRef, Project, Value};

impl Project {
    /// A function whose result the process keeps after the first call (per argument).
    pub fn is_once_per_process(&self, f: FuncRef) -> bool {
        let patterns = &self.knowledge.values.once_per_process.decorators;
        let scope = self.scope(f);
        let parent = scope.parent.unwrap_or(0);
        scope.decorators.iter().any(|d| {
            let v = match d.expr.as_call() {
                Some(call) => self.callee(CallRef { file: f.file, call }).clone(),
                None => self.resolve(f.file, parent, &d.expr),
            };
            self.matches_any(&v, patterns)
        })
    }

    /// The call sits behind a compute-once guard: it runs while a module-level name or a
    /// class attribute is still empty, and the guarded code fills it.
    pub fn runs_once(&self, call: CallRef) -> bool {
        let c = self.call(call);
        c.guards.iter().any(|g| {
            g.fills
                && g.while_empty()
                    .is_some_and(|e| self.outlives_calls(call.file, c.scope, e))
        })
    }

    /// A call that does its work once per process: behind a compute-once guard, or a call
    /// of a cached function with arguments that are the same in every request (none,
    /// literals, module-level values, calls of those: `get_version(ttl_hash())`). A cache
    /// keyed by the request's data (`fetch_metadata(url)`) misses on every new value, and
    /// is followed.
    pub fn once_per_process_call(&self, call: CallRef) -> bool {
        self.runs_once(call)
            || (self
                .call_target(call)
                .is_some_and(|f| self.is_once_per_process(f))
                && self
                    .call(call)
                    .args
                    .iter()
                    .all(|a| self.same_every_time(call.file, self.call(call).scope, &a.value, 0)))
    }

    /// An argument whose value does not come from the caller's own data: a literal, a
    /// module-level name (or an attribute of one), or a call taking only such values.
    fn same_every_time(
        &self,
        file: FileId,
        scope: usize,
        e: &crate::model::Expr,
        depth: u32,
    ) -> bool {
        if depth > 8 {
            return false;
        }
        let model = &self.models[file];
        match &e.kind {
            ExprKind::Str(_) | ExprKind::Int(_) | ExprKind::Bool(_) | ExprKind::None => true,
            ExprKind::Tuple(items) | ExprKind::List(items) => items
                .iter()
                .all(|i| self.same_every_time(file, scope, i, depth + 1)),
            ExprKind::Name(n) => self
                .binding_at(file, scope, n, e.span.start)
                .is_some_and(|b| model.scopes[b.scope].kind == ScopeKind::Module),
            ExprKind::Attr(base, _) => self.same_every_time(file, scope, base, depth + 1),
            ExprKind::Call(id) => {
                let c = &model.calls[*id];
                self.same_every_time(file, c.scope, &c.callee, depth + 1)
                    && c.args
                        .iter()
                        .all(|a| self.same_every_time(file, c.scope, &a.value, depth + 1))
            }
            _ => false,
        }
    }

    /// A name or attribute that keeps its value from one call of the function to the
    /// next: a module-level name (declared `global`, or only read and filled in place),
    /// or an attribute of a class or module. An attribute of `self` lives as long as the
    /// instance, which may be one request's.
    fn outlives_calls(&self, file: FileId, scope: usize, e: &crate::model::Expr) -> bool {
        let model = &self.models[file];
        match &e.kind {
            ExprKind::Name(n) => {
                let func = model.enclosing_function(scope);
                if model.scopes[func].globals.iter().any(|g| g == n) {
                    return true;
                }
                self.binding_at(file, scope, n, e.span.start)
                    .is_some_and(|b| model.scopes[b.scope].kind == ScopeKind::Module)
            }
            ExprKind::Attr(base, _) => matches!(
                self.resolve(file, scope, base),
                Value::Class(_) | Value::Module(_)
            ),
            _ => false,
        }
    }
}

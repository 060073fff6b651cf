//! Dispatch tables: a call through an entry of a dict of project classes or functions
//! read with a key that is not a literal (`PROVIDERS[name].send(...)`,
//! `ACTIONS[action](payload)`) runs one of them, and tasklint cannot tell which: the call
//! has an edge to each.

use super::{CallRef, FuncRef, Project, Value};
use crate::model::ScopeKind;

impl Project {
    /// The project functions a call may run when its callee is one of several
    /// ([`Value::OneOf`]): each function, or each class's `__init__`.
    pub fn alternatives_run_by(&self, call: CallRef) -> Vec<FuncRef> {
        let Value::OneOf(values) = self.callee(call) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for v in values {
            let f = match v {
                Value::Function(f) if self.scope(*f).kind == ScopeKind::Function => Some(*f),
                Value::Class(c) => super::handlers::method_of(self, *c, "__init__"),
                _ => None,
            };
            if let Some(f) = f
                && !out.contains(&f)
            {
                out.push(f);
            }
        }
        out
    }
}

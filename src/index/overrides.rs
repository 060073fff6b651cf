//! Template methods: a base class's method calls a hook on `self` that the base leaves
//! to its subclasses (`def post(self): ... return self.run(client)` with `def run(self):
//! raise NotImplementedError`). What runs is the subclass's override, so the call has
//! an edge to every project override of the hook — only when the base's own hook is
//! missing or abstract, where nothing else could run.

use std::sync::Arc;

use crate::model::ExprKind;

use super::handlers::method_of;
use super::{CallRef, ClassRef, FuncRef, Project, Value};

/// At most this many overrides are followed from one call, and this many subclasses
/// looked for below one class.
const MAX_OVERRIDES: usize = 16;
const MAX_SUBCLASSES: usize = 64;

impl Project {
    /// The project overrides a `self.hook(...)` call runs, when the class of `self` leaves
    /// `hook` to its subclasses: the override each subclass that inherits the calling
    /// method resolves `hook` to (a subclass that overrides the caller never runs it).
    pub fn overrides_run_by(&self, call: CallRef) -> Vec<FuncRef> {
        if self.models.language(call.file) != crate::model::Language::Python {
            return Vec::new();
        }
        let c = self.call(call);
        let ExprKind::Attr(recv, hook) = &c.callee.kind else {
            return Vec::new();
        };
        if !matches!(&recv.kind, ExprKind::Name(n) if n == "self") {
            return Vec::new();
        }
        let Some(caller) = self.call_owner(call) else {
            return Vec::new();
        };
        let Value::Instance(base) = self.resolve(call.file, c.scope, recv) else {
            return Vec::new();
        };
        if method_of(self, base, hook).is_some_and(|f| !self.is_abstract(f)) {
            return Vec::new();
        }
        let caller_name = self.scope(caller).name.as_str();
        let mut out = Vec::new();
        for &sub in self.subclasses(base).iter() {
            if method_of(self, sub, caller_name) != Some(caller) {
                continue;
            }
            if let Some(f) = method_of(self, sub, hook)
                && !self.is_abstract(f)
                && !out.contains(&f)
                && out.len() < MAX_OVERRIDES
            {
                out.push(f);
            }
        }
        out
    }

    /// A method meant to be overridden: `@abstractmethod`, or a body that calls nothing
    /// but `NotImplementedError` and returns nothing (`raise NotImplementedError`,
    /// `pass`, a docstring).
    fn is_abstract(&self, f: FuncRef) -> bool {
        let s = self.scope(f);
        let decorated = s.decorators.iter().any(|d| {
            d.expr
                .dotted()
                .is_some_and(|p| p.last().is_some_and(|n| *n == "abstractmethod"))
        });
        if decorated {
            return true;
        }
        s.returns.is_empty()
            && self.models[f.file].calls.iter().all(|c| {
                c.scope != f.scope
                    || matches!(&c.callee.kind, ExprKind::Name(n) if n == "NotImplementedError")
            })
    }

    /// The project classes deriving from `class`, at any depth, in a stable order: found
    /// in the files whose class statements name it (or a subclass found) as a base,
    /// checked by ancestry.
    pub fn subclasses(&self, class: ClassRef) -> Arc<[ClassRef]> {
        let key = format!("{}:{}", class.file, class.class);
        super::memoized(&self.subclasses, &key, || {
            let mut found: Vec<ClassRef> = Vec::new();
            let mut names = vec![
                self.models[class.file].classes[class.class]
                    .name
                    .to_string(),
            ];
            let mut seen = std::collections::HashSet::from([class]);
            while let Some(name) = names.pop() {
                for &f in self.files_with_base(&name) {
                    for (i, c) in self.models[f].classes.iter().enumerate() {
                        let names_base = c.bases.iter().any(|b| {
                            b.dotted()
                                .is_some_and(|p| p.last().is_some_and(|n| *n == name.as_str()))
                        });
                        let sub = ClassRef { file: f, class: i };
                        if names_base
                            && found.len() < MAX_SUBCLASSES
                            && !seen.contains(&sub)
                            && self.class_ancestry(sub).0.contains(&class)
                        {
                            seen.insert(sub);
                            found.push(sub);
                            names.push(c.name.to_string());
                        }
                    }
                }
            }
            found.sort();
            found.into()
        })
    }
}

//! Calls between project functions, and what request handlers reach through them.
//!
//! Depth is bounded (`max-call-depth`, default 4) and cycles are safe: every walk keeps
//! a visited set. Paths are found breadth-first in source order, so the chain shown to
//! users is a shortest one and the same on every run.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use crate::model::ScopeKind;

use super::{CallRef, FuncRef, Project, Value};

/// A call from one project function to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    pub call: CallRef,
    pub target: FuncRef,
}

#[derive(Debug, Default)]
pub struct CallGraph {
    out: HashMap<FuncRef, Vec<Edge>>,
    /// Every call run by each function (its own and its inline lambdas'), in source order.
    calls: HashMap<FuncRef, Vec<CallRef>>,
}

impl CallGraph {
    pub fn build(project: &Project) -> CallGraph {
        let mut graph = CallGraph::default();
        for (file, model) in project.models.iter().enumerate() {
            for call in 0..model.calls.len() {
                let c = CallRef { file, call };
                let Some(owner) = project.call_owner(c) else {
                    continue;
                };
                graph.calls.entry(owner).or_default().push(c);
                if let Some(target) = project.call_target(c) {
                    graph
                        .out
                        .entry(owner)
                        .or_default()
                        .push(Edge { call: c, target });
                }
            }
        }
        // Source order, whatever order calls were numbered in.
        for v in graph.calls.values_mut() {
            v.sort_by_key(|c| (c.file, project.call(*c).span.start, c.call));
        }
        for v in graph.out.values_mut() {
            v.sort_by_key(|e| (e.call.file, project.call(e.call).span.start, e.call.call));
        }
        graph
    }

    pub fn edges(&self, f: FuncRef) -> &[Edge] {
        self.out.get(&f).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The calls a function runs (including those inside its inline lambdas).
    pub fn calls_in(&self, f: FuncRef) -> &[CallRef] {
        self.calls.get(&f).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Breadth-first search from `start` (depth ≤ `max_depth` calls) for the first call
    /// matching `pred`. Returns the chain of edges followed and the matching call.
    pub fn find_reachable<T>(
        &self,
        start: FuncRef,
        max_depth: usize,
        pred: impl FnMut(CallRef) -> Option<T>,
    ) -> Option<(Vec<Edge>, CallRef, T)> {
        self.find_reachable_through(start, max_depth, |_| true, pred)
    }

    /// `find_reachable`, following only the edges `follow` accepts (not into coroutine
    /// functions, not through calls deferred to after a commit, ...).
    pub fn find_reachable_through<T>(
        &self,
        start: FuncRef,
        max_depth: usize,
        mut follow: impl FnMut(&Edge) -> bool,
        mut pred: impl FnMut(CallRef) -> Option<T>,
    ) -> Option<(Vec<Edge>, CallRef, T)> {
        let mut queue = VecDeque::from([(start, Vec::<Edge>::new())]);
        let mut seen = HashSet::from([start]);
        while let Some((f, path)) = queue.pop_front() {
            for &c in self.calls_in(f) {
                if let Some(t) = pred(c) {
                    return Some((path, c, t));
                }
            }
            if path.len() >= max_depth {
                continue;
            }
            for e in self.edges(f) {
                if follow(e) && seen.insert(e.target) {
                    let mut p = path.clone();
                    p.push(*e);
                    queue.push_back((e.target, p));
                }
            }
        }
        None
    }
}

impl Project {
    /// The project function a call runs, when it is one: `helper()`, `self.method()`,
    /// `module.function()`, `Class(...)` (its `__init__`).
    pub fn call_target(&self, call: CallRef) -> Option<FuncRef> {
        match self.callee(call) {
            Value::Function(f) if self.scope(*f).kind == ScopeKind::Function => Some(*f),
            Value::Class(c) => {
                let model = &self.models[c.file];
                model.classes[c.class]
                    .methods
                    .iter()
                    .find(|m| model.scopes[**m].name == "__init__")
                    .map(|m| FuncRef {
                        file: c.file,
                        scope: *m,
                    })
            }
            _ => None,
        }
    }
}

/// How a function is reached from a request handler.
#[derive(Clone, Debug)]
pub struct Reached {
    pub handler: FuncRef,
    /// The calls from the handler to the function (empty for the handler itself).
    pub path: Vec<Edge>,
}

/// Every function reachable from some handler within `max-call-depth` calls.
#[derive(Debug, Default)]
pub struct Reach {
    by_func: BTreeMap<FuncRef, Reached>,
}

impl Reach {
    pub fn from_handlers(project: &Project) -> Reach {
        let max_depth = project.settings.max_call_depth;
        let mut by_func: BTreeMap<FuncRef, Reached> = BTreeMap::new();
        // Handlers first (depth 0), then breadth-first, so each function keeps a shortest
        // path, from the first handler in a stable order.
        let mut queue: VecDeque<(FuncRef, FuncRef, Vec<Edge>)> = VecDeque::new();
        for h in project.handlers.iter() {
            if let std::collections::btree_map::Entry::Vacant(e) = by_func.entry(h.func) {
                e.insert(Reached {
                    handler: h.func,
                    path: Vec::new(),
                });
                queue.push_back((h.func, h.func, Vec::new()));
            }
        }
        while let Some((f, handler, path)) = queue.pop_front() {
            if path.len() >= max_depth {
                continue;
            }
            for e in project.graph.edges(f) {
                if by_func.contains_key(&e.target) {
                    continue;
                }
                let mut p = path.clone();
                p.push(*e);
                by_func.insert(
                    e.target,
                    Reached {
                        handler,
                        path: p.clone(),
                    },
                );
                queue.push_back((e.target, handler, p));
            }
        }
        Reach { by_func }
    }

    pub fn get(&self, f: FuncRef) -> Option<&Reached> {
        self.by_func.get(&f)
    }
}

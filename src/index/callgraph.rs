//! Calls between project functions, and what request handlers reach through them.
//!
//! Depth is bounded (`max-call-depth`, default 6) and cycles are safe: every walk keeps
//! a visited set. Paths are found breadth-first in source order, so the chain shown to
//! users is a shortest one and the same on every run.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use rayon::prelude::*;

use crate::model::{ArgKind, Call, CmpOp, Expr, ExprKind, Param, ParamKind, Scope, ScopeKind};
use crate::source::FileId;

use super::signals::{SignalEdge, SignalReceivers};
use super::{CallRef, ClassRef, FuncRef, Project, Value};

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
    /// The edges into each function, with the function that makes the call, in a stable
    /// order.
    into: HashMap<FuncRef, Vec<(FuncRef, Edge)>>,
    /// The files whose functions the graph holds.
    files: BTreeSet<FileId>,
    /// Edges from a call that sends a signal to a receiver it runs (`order.save()` to a
    /// `post_save` receiver of `Order`), with how.
    signal_edges: HashMap<(CallRef, FuncRef), SignalEdge>,
    /// Edges to a function passed as an argument to the call's target, which calls it.
    callbacks: HashSet<(CallRef, FuncRef)>,
    /// Edges to an inherited method called on an object of a subclass (`export.run()`
    /// with `run` defined by a base of `export`'s class), with that subclass.
    receivers: HashMap<(CallRef, FuncRef), ClassRef>,
}

impl CallGraph {
    /// The graph of every function of every file.
    pub fn build(project: &Project) -> CallGraph {
        CallGraph::build_from(project, (0..project.files.len()).collect())
    }

    /// The graph of the functions of `files` and of every project function they call,
    /// transitively (files are added as calls reach them).
    pub fn build_from(project: &Project, files: BTreeSet<FileId>) -> CallGraph {
        let mut graph = CallGraph::default();
        let receivers = project.signal_receivers();
        let mut done: BTreeSet<FileId> = BTreeSet::new();
        let mut todo: Vec<FileId> = files.into_iter().collect();
        while !todo.is_empty() {
            let parts: Vec<FileGraph> = todo
                .par_iter()
                .map(|&f| file_graph(project, receivers, f))
                .collect();
            done.extend(todo.drain(..));
            let mut next = BTreeSet::new();
            for part in parts {
                for edges in part.out.values() {
                    for e in edges {
                        if !done.contains(&e.target.file) {
                            next.insert(e.target.file);
                        }
                    }
                }
                graph.out.extend(part.out);
                graph.calls.extend(part.calls);
                graph.signal_edges.extend(part.signal_edges);
                graph.callbacks.extend(part.callbacks);
                graph.receivers.extend(part.receivers);
            }
            todo = next.into_iter().collect();
        }
        for (caller, edges) in &graph.out {
            for e in edges {
                graph.into.entry(e.target).or_default().push((*caller, *e));
            }
        }
        for v in graph.into.values_mut() {
            v.sort_by_key(|(caller, e)| (*caller, e.call));
        }
        graph.files = done;
        graph
    }

    /// The files whose functions the graph holds (the roots, handler files, and every file
    /// their calls reach).
    pub fn files(&self) -> impl Iterator<Item = FileId> + '_ {
        self.files.iter().copied()
    }

    /// Does the graph hold the functions of `file` (so that an empty [`calls_in`] means
    /// no calls, not a function nobody looked at)?
    ///
    /// [`calls_in`]: CallGraph::calls_in
    pub fn holds(&self, file: FileId) -> bool {
        self.files.contains(&file)
    }

    /// The calls into a function, with the function making each.
    pub fn edges_into(&self, f: FuncRef) -> &[(FuncRef, Edge)] {
        self.into.get(&f).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn edges(&self, f: FuncRef) -> &[Edge] {
        self.out.get(&f).map(Vec::as_slice).unwrap_or(&[])
    }

    /// How `call` runs `target` when it does by sending a signal `target` receives.
    /// The edge runs a function the call passes to its target, not the target.
    pub fn is_callback(&self, call: CallRef, target: FuncRef) -> bool {
        !self.callbacks.is_empty() && self.callbacks.contains(&(call, target))
    }

    /// The subclass an edge's call runs its (inherited) target on, when the call's
    /// receiver says.
    fn receiver(&self, call: CallRef, target: FuncRef) -> Option<ClassRef> {
        if self.receivers.is_empty() {
            return None;
        }
        self.receivers.get(&(call, target)).copied()
    }

    pub fn signal_edge(&self, call: CallRef, target: FuncRef) -> Option<&SignalEdge> {
        if self.signal_edges.is_empty() {
            return None;
        }
        self.signal_edges.get(&(call, target))
    }

    /// The calls a function runs (including those inside its inline lambdas).
    pub fn calls_in(&self, f: FuncRef) -> &[CallRef] {
        self.calls.get(&f).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// What a call is known to pass for some of its target's parameters: the truthiness of
/// literal arguments, and of the literal defaults of parameters it does not pass; and,
/// for a method inherited from a base class, the subclass of the object it runs on (its
/// `self.hook()` calls run that class's `hook`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct Known {
    values: Vec<(String, Const)>,
    receiver: Option<ClassRef>,
}

/// A value known to be passed: a literal, or only its truthiness (a list, a dict).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Const {
    Bool(bool),
    Int(i64),
    Str(String),
    None,
    /// A container literal: only whether it is empty is tracked.
    Truthy(bool),
}

impl Const {
    fn truth(&self) -> bool {
        match self {
            Const::Bool(b) | Const::Truthy(b) => *b,
            Const::Int(i) => *i != 0,
            Const::Str(s) => !s.is_empty(),
            Const::None => false,
        }
    }

    /// `a == b`, when both are literals of one kind (`True == 1` is left unknown).
    fn equals(&self, other: &Const) -> Option<bool> {
        match (self, other) {
            (Const::Truthy(_), _) | (_, Const::Truthy(_)) => None,
            (Const::Bool(a), Const::Bool(b)) => Some(a == b),
            (Const::Int(a), Const::Int(b)) => Some(a == b),
            (Const::Str(a), Const::Str(b)) => Some(a == b),
            (Const::None, Const::None) => Some(true),
            (Const::None, _) | (_, Const::None) => Some(false),
            _ => None,
        }
    }
}

fn constant(e: &Expr) -> Option<Const> {
    Some(match &e.kind {
        ExprKind::Bool(b) => Const::Bool(*b),
        ExprKind::None => Const::None,
        ExprKind::Int(i) => Const::Int(*i),
        ExprKind::Str(s) => Const::Str(s.to_string()),
        ExprKind::List(v) | ExprKind::Tuple(v) => Const::Truthy(!v.is_empty()),
        ExprKind::Dict(v) => Const::Truthy(!v.is_empty()),
        _ => return None,
    })
}

/// The value known for a parameter (`name`) or an attribute of the object a method runs
/// on (`self.name`), by name.
fn known_value<'k>(known: &'k Known, name: &str) -> Option<&'k Const> {
    known.values.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// What an operand of a condition is known to be: a literal, a known parameter, or a
/// known attribute of `self`.
fn operand(e: &Expr, known: &Known) -> Option<Const> {
    match &e.kind {
        ExprKind::Name(n) => known_value(known, n).cloned(),
        ExprKind::Attr(base, attr) if names_self(base) => {
            known_value(known, &format!("{SELF}{attr}")).cloned()
        }
        _ => constant(e),
    }
}

/// `self` or `cls`: the object (or class) the calling method runs on.
fn names_self(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Name(n) if n == "self" || n == "cls")
}

/// Each parameter of the function `scope` that a call can fill (not `*args` /
/// `**kwargs`, not the `self` a method called through an instance or class, or a
/// constructor, gets implicitly), with what the call passes to it: by position, unless a
/// `*` unpacking hides the positions, else by keyword.
pub(super) fn parameters_passed<'a>(
    c: &'a Call,
    scope: &'a Scope,
) -> impl Iterator<Item = (&'a Param, Option<&'a Expr>)> {
    let implicit_self = scope.class.is_some()
        && !scope.decorated_by_name("staticmethod")
        && (c.receiver().is_some() || scope.name == "__init__");
    let skip = usize::from(implicit_self);
    let unknown_positions = c.args.iter().any(|a| a.kind == ArgKind::Star);
    let positional: Vec<&Expr> = c.positional().map(|a| &a.value).collect();
    scope
        .params
        .iter()
        .enumerate()
        .skip(skip)
        .filter(|(_, p)| !matches!(p.kind, ParamKind::VarArgs | ParamKind::VarKeywords))
        .map(move |(i, p)| {
            let keyword = || c.keyword(&p.name).map(|a| &a.value);
            let by_position = || {
                if unknown_positions {
                    None
                } else {
                    positional.get(i - skip).copied()
                }
            };
            let passed = match p.kind {
                ParamKind::PositionalOnly => by_position(),
                ParamKind::KeywordOnly => keyword(),
                _ => by_position().or_else(keyword),
            };
            (p, passed)
        })
}

/// The truth of a condition when known parameters decide it: the parameter itself,
/// `not` of a decided condition, `a or b` (`if not broadcast or draft: return`) and
/// `a and b` (`if wait and ready:`).
fn truth(e: &Expr, known: &Known) -> Option<bool> {
    match &e.kind {
        ExprKind::Name(_) | ExprKind::Attr(..) => operand(e, known).map(|v| v.truth()),
        ExprKind::Compare(op, l, r) => compare(*op, l, r, known),
        ExprKind::Not(inner) => truth(inner, known).map(|v| !v),
        ExprKind::Or(a, b) => match (truth(a, known), truth(b, known)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
        ExprKind::And(a, b) => match (truth(a, known), truth(b, known)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        _ => None,
    }
}

/// Does the body of the class method `scope` belongs to bind `name` (a class attribute)?
fn class_binds(model: &crate::model::FileModel, scope: &Scope, name: &str) -> bool {
    scope.class.is_some_and(|c| {
        model.scopes[model.classes[c].body]
            .bindings
            .iter()
            .any(|b| b.name == name)
    })
}

/// `mode == "sync"`, `kind in ("a", "b")`, `x is None` with what they compare known.
fn compare(op: CmpOp, l: &Expr, r: &Expr, known: &Known) -> Option<bool> {
    let left = operand(l, known)?;
    match op {
        CmpOp::Eq | CmpOp::NotEq => {
            let eq = left.equals(&operand(r, known)?)?;
            Some(eq == (op == CmpOp::Eq))
        }
        // `is` decides only against None (identity of other values is not tracked).
        CmpOp::Is | CmpOp::IsNot => {
            let right = operand(r, known)?;
            if left != Const::None && right != Const::None {
                return None;
            }
            let same = left.equals(&right)?;
            Some(same == (op == CmpOp::Is))
        }
        CmpOp::In | CmpOp::NotIn => {
            let (ExprKind::Tuple(items) | ExprKind::List(items)) = &r.kind else {
                return None;
            };
            let mut found = false;
            for i in items {
                found |= left.equals(&constant(i)?)?;
            }
            Some(found == (op == CmpOp::In))
        }
    }
}

/// Known attributes of the object a method runs on are kept in its known values under
/// this prefix (`self.mode`).
const SELF: &str = "self.";

/// Keywords a function received in its `**kwargs` are kept in its known values under
/// this prefix, so that a call passing `**kwargs` on hands them to the next function
/// (`save(broadcast=False)` through `def save(self, *args, **kwargs): super().save(**kwargs)`).
const FORWARDED: &str = "**";

/// How many times a search enters one function with different known arguments.
const MAX_VISITS: usize = 4;

/// The functions a search has entered, with the known arguments of each entry: a
/// function is entered again (at most [`MAX_VISITS`] times) when reached with other
/// known arguments (`fetch(local=True)` after `fetch()` runs the branch the first call
/// ruled out).
#[derive(Default)]
struct Visits {
    seen: HashSet<(FuncRef, Known)>,
    entries: HashMap<FuncRef, usize>,
}

impl Visits {
    /// Records an entry of `f` with `known`; false when it was entered so already, or
    /// too often.
    fn enter(&mut self, f: FuncRef, known: &Known) -> bool {
        let n = self.entries.entry(f).or_default();
        if *n >= MAX_VISITS || !self.seen.insert((f, known.clone())) {
            return false;
        }
        *n += 1;
        true
    }
}

impl Project {
    /// Breadth-first search from `start` (depth ≤ `max_depth` calls) for the first call
    /// matching `pred`, following only the edges `follow` accepts. `entry` is the call
    /// that enters `start`, when known: its literal arguments (and the defaults it
    /// leaves) prune branches that cannot run, so `fire()` with `def fire(self,
    /// delay=True): if delay: task.delay() else: send_now()` does not reach `send_now`.
    /// Returns the chain of edges followed and the matching call.
    pub fn find_reachable<T>(
        &self,
        entry: Option<CallRef>,
        start: FuncRef,
        max_depth: usize,
        follow: impl Fn(&Edge) -> bool,
        mut pred: impl FnMut(CallRef) -> Option<T>,
    ) -> Option<(Vec<Edge>, CallRef, T)> {
        let start_known = entry
            .map(|c| self.known_params(c, start))
            .unwrap_or_default();
        let mut visits = Visits::default();
        visits.enter(start, &start_known);
        let mut queue = VecDeque::from([(start, start_known, Vec::<Edge>::new())]);
        while let Some((f, known, path)) = queue.pop_front() {
            let runs = |c: CallRef| self.may_run(c, &known);
            for &c in self.graph.calls_in(f) {
                if runs(c)
                    && let Some(t) = pred(c)
                {
                    return Some((path, c, t));
                }
            }
            if path.len() >= max_depth {
                continue;
            }
            for e in self.graph.edges(f) {
                let e = &self.dispatched(e, &known);
                if !runs(e.call) || !follow(e) {
                    continue;
                }
                let next = self.known_params_from(e.call, e.target, &known);
                if visits.enter(e.target, &next) {
                    let mut p = path.clone();
                    p.push(*e);
                    queue.push_back((e.target, next, p));
                }
            }
        }
        None
    }

    fn known_params(&self, call: CallRef, target: FuncRef) -> Known {
        self.known_params_from(call, target, &Known::default())
    }

    /// As [`Project::known_params`], for a call made by a function whose own known
    /// values are `caller`: the keywords it holds in `**kwargs` and passes on with
    /// `**kwargs` count as passed, and a method it calls on its own `self` runs on the
    /// object it runs on.
    fn known_params_from(&self, call: CallRef, target: FuncRef, caller: &Known) -> Known {
        Known {
            values: self.known_values_from(call, target, caller),
            receiver: self.receiver_of(call, target, caller),
        }
    }

    /// The subclass the object `call` runs `target` on belongs to, when known: from the
    /// call's receiver (`export.run()`), or, for `self.hook()` / `super().hook()` in a
    /// method known to run on an object of a subclass, that subclass.
    fn receiver_of(&self, call: CallRef, target: FuncRef, caller: &Known) -> Option<ClassRef> {
        if let Some(r) = self.graph.receiver(call, target) {
            return Some(r);
        }
        let r = caller.receiver?;
        let (recv, owner) = self.method_call(call, target)?;
        let same_object = names_self(recv)
            || matches!(&recv.kind, ExprKind::Call(id) if matches!(
                &self.models[call.file].calls[*id].callee.kind,
                ExprKind::Name(n) if n == "super"
            ));
        (same_object && self.class_ancestry(r).0.contains(&owner)).then_some(r)
    }

    /// The receiver of a method call (`x` of `x.run()`) and the class that defines the
    /// method it runs (`target`).
    fn method_call(&self, call: CallRef, target: FuncRef) -> Option<(&Expr, ClassRef)> {
        let owner = ClassRef {
            file: target.file,
            class: self.scope(target).class?,
        };
        match &self.call(call).callee.kind {
            ExprKind::Attr(recv, _) => Some((recv, owner)),
            _ => None,
        }
    }

    /// The edge as it runs when its caller is known to run on an object of a subclass:
    /// `self.hook(...)` runs that class's `hook` (its override, or the one it inherits),
    /// whichever method the call was resolved to without knowing the object.
    fn dispatched(&self, e: &Edge, known: &Known) -> Edge {
        let Some(r) = known.receiver else {
            return *e;
        };
        let c = self.call(e.call);
        let ExprKind::Attr(recv, name) = &c.callee.kind else {
            return *e;
        };
        let t = self.scope(e.target);
        // Wrappers, callbacks and signal receivers of the call keep their own names.
        if !names_self(recv) || t.class.is_none() || t.name != *name {
            return *e;
        }
        match super::handlers::method_of(self, r, name) {
            Some(m) => Edge {
                call: e.call,
                target: m,
            },
            None => *e,
        }
    }

    /// The subclass of the target's class an inherited method is called on, when the
    /// call's receiver says (`export.run()` with `export` a `SyncExport` and `run`
    /// defined by its base `Export`).
    pub(super) fn subclass_receiver(&self, call: CallRef, target: FuncRef) -> Option<ClassRef> {
        let (recv, owner) = self.method_call(call, target)?;
        if names_self(recv) {
            return None;
        }
        let class = match self.resolve(call.file, self.call(call).scope, recv) {
            Value::Instance(k) | Value::Class(k) => k,
            _ => self.model_receiver_class(call)?,
        };
        (class != owner && self.class_ancestry(class).0.contains(&owner)).then_some(class)
    }

    /// The known values of the target's parameters (see [`Known`]).
    fn known_values_from(
        &self,
        call: CallRef,
        target: FuncRef,
        caller: &Known,
    ) -> Vec<(String, Const)> {
        // A receiver gets the signal's arguments, not the call's: of those, only
        // `created` may be known (true when a manager call creates the row, false when a
        // save writes a row that exists).
        if let Some(s) = self.graph.signal_edge(call, target) {
            return match s.created {
                Some(created) => vec![("created".to_string(), Const::Bool(created))],
                None => Vec::new(),
            };
        }
        // A callback gets what its caller's callee gives it: unknown here.
        if self.graph.is_callback(call, target) {
            return Vec::new();
        }
        if let Some(fields) = self.created_row_attributes(call, target) {
            return fields;
        }
        let c = self.call(call);
        let model = &self.models[call.file];
        // `**kwargs` of the calling function, passed on whole: what it holds is known.
        let caller_kwargs = model.scopes[model.enclosing_function(c.scope)]
            .params
            .iter()
            .find(|p| p.kind == ParamKind::VarKeywords)
            .map(|p| p.name.as_str());
        let mut forwards = false;
        let mut unknown_keywords = false;
        let mut unknown_positions = false;
        for a in &c.args {
            match a.kind {
                ArgKind::Star => unknown_positions = true,
                ArgKind::DoubleStar => match &a.value.kind {
                    ExprKind::Name(n) if Some(n.as_str()) == caller_kwargs => forwards = true,
                    _ => unknown_keywords = true,
                },
                _ => {}
            }
        }
        let forwarded = |name: &str| {
            caller
                .values
                .iter()
                .find(|(k, _)| k.strip_prefix(FORWARDED) == Some(name))
                .map(|(_, v)| v.clone())
        };
        let scope = self.scope(target);
        let mut known = Vec::new();
        for (p, passed) in parameters_passed(c, scope) {
            let value = match passed {
                // A literal, or a parameter of the caller whose value it knows
                // (`def fire(self, delay=True): self.send(delay)`).
                Some(e) => operand(e, caller),
                // Not passed here: perhaps in what is unpacked.
                None if forwards => forwarded(&p.name),
                None if unknown_keywords => None,
                None if unknown_positions && p.kind != ParamKind::KeywordOnly => None,
                None => p.default.as_ref().and_then(constant),
            };
            // Only parameters the body never rebinds keep the value they came with.
            let rebound = scope.bindings.iter().filter(|b| b.name == p.name).count() > 1;
            if let Some(v) = value
                && !rebound
            {
                known.push((p.name.as_str().to_owned(), v));
            }
        }
        // What the target's own `**kwargs` receives: keywords no parameter takes.
        if scope
            .params
            .iter()
            .any(|p| p.kind == ParamKind::VarKeywords)
        {
            let named = |n: &str| {
                scope.params.iter().any(|p| {
                    p.name == n && !matches!(p.kind, ParamKind::VarArgs | ParamKind::VarKeywords)
                })
            };
            for a in &c.args {
                if let (ArgKind::Keyword, Some(n)) = (a.kind, a.name.as_deref())
                    && !named(n)
                    && let Some(v) = constant(&a.value)
                {
                    known.push((format!("{FORWARDED}{n}"), v));
                }
            }
            if forwards {
                for (k, v) in &caller.values {
                    if let Some(n) = k.strip_prefix(FORWARDED)
                        && !named(n)
                        && c.keyword(n).is_none()
                    {
                        known.push((k.clone(), v.clone()));
                    }
                }
            }
        }
        known.extend(self.object_attributes(call, target, caller));
        known
    }

    /// What the attributes of the object a method call runs on are known to hold, as
    /// `self.<name>` values: for `Cls(kind="video").run()` (or `m = Cls(...)` then
    /// `m.run()`), what `Cls.__init__` (and the base `__init__` it calls) stores from
    /// literals and known arguments; for `self.other()`, what the caller knew of its own
    /// object. An attribute the methods on the way assign again is not known.
    fn object_attributes(
        &self,
        call: CallRef,
        target: FuncRef,
        caller: &Known,
    ) -> Vec<(String, Const)> {
        let Some((recv, _)) = self.method_call(call, target) else {
            return Vec::new();
        };
        let caller_fn = self.models[call.file].enclosing_function(self.call(call).scope);
        let caller_fn = FuncRef {
            file: call.file,
            scope: caller_fn,
        };
        let mut out: Vec<(String, Const)> = if names_self(recv) {
            caller
                .values
                .iter()
                .filter(|(k, _)| k.starts_with(SELF))
                .cloned()
                .collect()
        } else {
            match self.fresh_object(call, recv) {
                Some(ctor) => self.constructed_attributes(ctor, caller),
                None => return Vec::new(),
            }
        };
        out.retain(|(k, _)| {
            let name = &k[SELF.len()..];
            !self.assigns_self_attribute(caller_fn, name)
                && !self.assigns_self_attribute(target, name)
        });
        out
    }

    /// The constructor call that made the object `recv` names, when the method call is
    /// the first thing done with it: `Cls(...)` itself, or a name bound once, in the
    /// calling function, to `Cls(...)`, not used as a receiver before and not in a loop.
    fn fresh_object(&self, call: CallRef, recv: &Expr) -> Option<CallRef> {
        let model = &self.models[call.file];
        let c = self.call(call);
        let (id, name) = match &recv.kind {
            ExprKind::Call(id) => (*id, None),
            ExprKind::Name(n) => {
                if !c.loops.is_empty() {
                    return None;
                }
                let f = model.enclosing_function(c.scope);
                let mut bound = model.scopes[f].bindings.iter().filter(|b| b.name == *n);
                let (Some(b), None) = (bound.next(), bound.next()) else {
                    return None;
                };
                let crate::model::BoundValue::Expr(e) = &b.value else {
                    return None;
                };
                let ExprKind::Call(id) = e.kind else {
                    return None;
                };
                (id, Some((n, f)))
            }
            _ => return None,
        };
        let ctor = CallRef {
            file: call.file,
            call: id,
        };
        // The class first: the scan below costs a pass over the file's calls.
        if !matches!(self.callee(ctor), Value::Class(_)) {
            return None;
        }
        let used_before = name.is_some_and(|(n, f)| {
            model.calls.iter().any(|o| {
                o.span.start < c.span.start
                    && model.enclosing_function(o.scope) == f
                    && matches!(&o.callee.kind, ExprKind::Attr(r, _)
                        if matches!(&r.kind, ExprKind::Name(x) if x == n))
            })
        });
        (!used_before).then_some(ctor)
    }

    /// The `self.<name>` values the `__init__` run by constructor call `ctor` stores.
    fn constructed_attributes(&self, ctor: CallRef, caller: &Known) -> Vec<(String, Const)> {
        let Some(init) = self.call_target(ctor) else {
            return Vec::new();
        };
        let known = self.known_values_from(ctor, init, caller);
        let mut out = Vec::new();
        let mut ambiguous = Vec::new();
        self.init_attributes(init, known, 0, &mut out, &mut ambiguous);
        out.retain(|(k, _)| !ambiguous.contains(k));
        out
    }

    /// What `init` (an `__init__` with known parameter values `known`) and the base
    /// `__init__` it calls store in attributes of `self`; an attribute stored twice, or
    /// by another method `__init__` calls, goes into `ambiguous`.
    fn init_attributes(
        &self,
        init: FuncRef,
        known: Vec<(String, Const)>,
        depth: usize,
        out: &mut Vec<(String, Const)>,
        ambiguous: &mut Vec<String>,
    ) {
        if depth > 3 {
            return;
        }
        let model = &self.models[init.file];
        let scope = self.scope(init);
        let Some(me) = scope.params.first().map(|p| p.name.as_str()) else {
            return;
        };
        let known = Known {
            values: known,
            receiver: None,
        };
        for a in &model.attr_assignments {
            if model.enclosing_function(a.scope) != init.scope {
                continue;
            }
            let ExprKind::Attr(base, name) = &a.target.kind else {
                continue;
            };
            if !matches!(&base.kind, ExprKind::Name(n) if n == me) {
                continue;
            }
            let key = format!("{SELF}{name}");
            // An assignment under an `if` may leave the class attribute of that name.
            let value = (!a.augmented && a.scope == init.scope && !class_binds(model, scope, name))
                .then(|| operand(&a.value, &known))
                .flatten();
            match value {
                Some(v) if !out.iter().any(|(k, _)| *k == key) => out.push((key, v)),
                _ => ambiguous.push(key),
            }
        }
        for e in self.graph.edges(init) {
            let callee = self.call(e.call);
            let ExprKind::Attr(recv, _) = &callee.callee.kind else {
                continue;
            };
            let on_self = names_self(recv)
                || matches!(&recv.kind, ExprKind::Call(id) if matches!(
                    &model.calls[*id].callee.kind,
                    ExprKind::Name(n) if n == "super"
                ));
            if !on_self {
                continue;
            }
            if self.scope(e.target).name == "__init__" {
                let base = self.known_values_from(e.call, e.target, &known);
                self.init_attributes(e.target, base, depth + 1, out, ambiguous);
            } else {
                // A method `__init__` runs may set what it set: not known.
                for (k, _) in out.iter() {
                    if self.assigns_self_attribute(e.target, &k[SELF.len()..]) {
                        ambiguous.push(k.clone());
                    }
                }
            }
        }
    }

    /// Does function `f` assign `self.<name>` (its first parameter's attribute)?
    fn assigns_self_attribute(&self, f: FuncRef, name: &str) -> bool {
        let Some(class) = self.scope(f).class else {
            return false;
        };
        let model = &self.models[f.file];
        self.attribute_assignments(
            ClassRef {
                file: f.file,
                class,
            },
            name,
        )
        .iter()
        .any(|&i| model.enclosing_function(model.attr_assignments[i].scope) == f.scope)
    }

    /// The functions `is_root` accepts that reach `site` (a call made by `f`; `None`: any
    /// call of `f`, an upper bound) through at most `max_depth` calls (edges `follow` accepts, through functions `pass_through`
    /// accepts), each with the edges from it to `f`: breadth-first up the callers, so each
    /// keeps a shortest path, in a stable order. `f` itself is not counted. As in
    /// [`Project::find_reachable`], a caller whose literal arguments rule out the branch
    /// the next call sits in does not reach through it (`fire(delay=True)` does not reach
    /// the `else` branch that sends mail).
    pub fn roots_reaching(
        &self,
        f: FuncRef,
        site: Option<CallRef>,
        max_depth: usize,
        follow: impl Fn(&Edge) -> bool,
        pass_through: impl Fn(FuncRef) -> bool,
        is_root: impl Fn(FuncRef) -> bool,
    ) -> Vec<(FuncRef, Vec<Edge>)> {
        let mut out = Vec::new();
        let mut seen = HashSet::from([f]);
        let mut queue = VecDeque::from([(f, Vec::<Edge>::new())]);
        while let Some((g, path)) = queue.pop_front() {
            if path.len() >= max_depth {
                continue;
            }
            // The call of `g` the path goes on with.
            let next = path.first().map(|e| e.call).or(site);
            for (caller, e) in self.graph.edges_into(g) {
                // What the caller passes matters only to a call behind a guard.
                if !follow(e)
                    || next.is_some_and(|n| {
                        !self.call(n).guards.is_empty()
                            && !self.may_run(n, &self.known_params(e.call, g))
                    })
                {
                    continue;
                }
                if !seen.insert(*caller) {
                    continue;
                }
                let mut p = vec![*e];
                p.extend(path.iter().copied());
                if is_root(*caller) && self.path_may_run(&p, site) {
                    out.push((*caller, p.clone()));
                }
                if pass_through(*caller) {
                    queue.push_back((*caller, p));
                }
            }
        }
        out
    }

    /// Can the calls of `path` (from a root down), then `site`, all run? What each call
    /// passes is known further down (`if wait:` two calls below a caller that passes no
    /// `wait`), which one step up the callers cannot see.
    fn path_may_run(&self, path: &[Edge], site: Option<CallRef>) -> bool {
        self.path_fits_receivers(path) && self.path_guards_may_run(path, site)
    }

    /// False when a call of `path` runs another method than the edge says, the object
    /// it is called on being known (`self.hook()` in a base method reached through
    /// `export.run()` runs `export`'s class's `hook`, not another subclass's).
    fn path_fits_receivers(&self, path: &[Edge]) -> bool {
        if self.graph.receivers.is_empty() {
            return true;
        }
        let mut receiver = None;
        for e in path {
            let known = Known {
                values: Vec::new(),
                receiver,
            };
            if self.dispatched(e, &known).target != e.target {
                return false;
            }
            receiver = self.receiver_of(e.call, e.target, &known);
        }
        true
    }

    fn path_guards_may_run(&self, path: &[Edge], site: Option<CallRef>) -> bool {
        // Known values matter only to a call behind a guard: past the last one (or with
        // none below the root's own call), nothing is left to contradict.
        let guarded = |c: CallRef| !self.call(c).guards.is_empty();
        let last = if site.is_some_and(guarded) {
            path.len()
        } else {
            match path.iter().rposition(|e| guarded(e.call)) {
                Some(i) if i > 0 => i,
                _ => return true,
            }
        };
        let mut known = Known::default();
        for (i, e) in path.iter().enumerate() {
            if !self.may_run(e.call, &known) {
                return false;
            }
            if i == last {
                return true;
            }
            known = self.known_params_from(e.call, e.target, &known);
        }
        site.is_none_or(|s| self.may_run(s, &known))
    }

    /// False when a guard of the call contradicts a known parameter value: the call
    /// sits in a branch that cannot run.
    fn may_run(&self, call: CallRef, known: &Known) -> bool {
        if known.values.is_empty() {
            return true;
        }
        self.call(call)
            .guards
            .iter()
            .all(|g| truth(&g.cond, known).is_none_or(|v| v == g.when))
    }

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
            _ => self
                .model_method(call)
                .or_else(|| self.project_command(call))
                .or_else(|| self.method_by_unique_name(call)),
        }
    }

    /// The `Command.handle` of the project management command a call runs by name
    /// (`call_command("rebuild_index", ...)` and `<app>/management/commands/
    /// rebuild_index.py`), when exactly one module of the project is that command.
    pub fn project_command(&self, call: CallRef) -> Option<FuncRef> {
        let cl = &self.knowledge.entry_points.command_line;
        if cl.by_name.is_empty()
            || cl.command_folder.is_empty()
            || !self.matches_any(self.callee(call), &cl.by_name)
        {
            return None;
        }
        let name = self.call(call).positional().next()?.value.as_str()?;
        let file_name = format!("{name}.py");
        let commands = self.command_files.get_or_init(|| {
            (0..self.files.len())
                .filter(|&f| {
                    self.relative[f]
                        .parent()
                        .is_some_and(|dir| dir.ends_with(&cl.command_folder))
                })
                .collect()
        });
        let mut found = commands.iter().copied().filter(|&f| {
            self.relative[f]
                .file_name()
                .is_some_and(|n| n == file_name.as_str())
        });
        let file = found.next()?;
        if found.next().is_some() || self.models.language(file) != crate::model::Language::Python {
            return None;
        }
        let model = &self.models[file];
        let class = model
            .classes
            .iter()
            .position(|c| c.name == "Command" && c.parent == 0)?;
        super::handlers::method_of(self, ClassRef { file, class }, "handle")
    }

    /// The project functions a call hands to its target as arguments, where the target
    /// calls the parameter that receives one (`extract(path, getter)` with `def
    /// extract(path, read): ... read(tags)`): running the target runs them. Only a
    /// parameter the target calls itself and never rebinds: a function merely kept for
    /// later (`registry.add(handler)`) is not run by the call.
    fn callbacks_run_by(&self, call: CallRef, target: FuncRef) -> Vec<FuncRef> {
        let c = self.call(call);
        if c.args.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        // What the call passes decides which of the target's branches run: an
        // `enqueue_job(f)` whose `f(**kwargs)` sits under `if not run_async:` (default
        // `True`) queues `f` and never runs it.
        let known = std::cell::OnceCell::new();
        for (p, passed) in parameters_passed(c, self.scope(target)) {
            let Some(e) = passed else { continue };
            if !matches!(e.kind, ExprKind::Name(_) | ExprKind::Attr(..)) {
                continue;
            }
            let Value::Function(f) = self.resolve(call.file, c.scope, e) else {
                continue;
            };
            if self.scope(f).kind == ScopeKind::Function
                && f != target
                && self.calls_parameter(target, &p.name, |inner| {
                    self.may_run(inner, known.get_or_init(|| self.known_params(call, target)))
                })
            {
                out.push(f);
            }
        }
        out
    }

    /// The project function a library call runs and waits for (`offload.runs_argument`:
    /// `executor.map(self.fetch, items)`), its first positional argument.
    fn run_by_library(&self, call: CallRef) -> Option<FuncRef> {
        let runners = &self.knowledge.offload.runs_argument;
        if runners.is_empty() {
            return None;
        }
        let c = self.call(call);
        let mut first = &c.positional().next()?.value;
        // `on_commit(partial(notify, pk))`: the wrapped function runs.
        if let ExprKind::Call(inner) = &first.kind {
            let bound = CallRef {
                file: call.file,
                call: *inner,
            };
            if !self.matches_any(self.callee(bound), &self.knowledge.offload.binds_arguments) {
                return None;
            }
            first = &self.call(bound).positional().next()?.value;
        }
        if !matches!(first.kind, ExprKind::Name(_) | ExprKind::Attr(..))
            || !self.matches_any(self.callee(call), runners)
        {
            return None;
        }
        match self.resolve(call.file, c.scope, first) {
            Value::Function(f) if self.scope(f).kind == ScopeKind::Function => Some(f),
            _ => None,
        }
    }

    /// Does the function call its parameter `name` (`read(tags)`), a parameter it never
    /// rebinds, in a call `runs` admits (one whose branch the arguments let run)?
    fn calls_parameter(&self, f: FuncRef, name: &str, runs: impl Fn(CallRef) -> bool) -> bool {
        let model = &self.models[f.file];
        let scope = &model.scopes[f.scope];
        if scope.bindings.iter().filter(|b| b.name == name).count() > 1 {
            return false;
        }
        model.calls.iter().enumerate().any(|(id, call)| {
            matches!(&call.callee.kind, ExprKind::Name(n) if n == name)
                && model.enclosing_function(call.scope) == f.scope
                && runs(CallRef {
                    file: f.file,
                    call: id,
                })
        })
    }

    /// Is the call's project target only guessed from the method's name
    /// ([`Project::method_by_unique_name`])? Good enough to follow a slow call, too weak
    /// for a rule whose finding also hangs on the rows and branches on the way (TL401).
    pub fn target_guessed_by_name(&self, call: CallRef) -> bool {
        // The name test first: it turns almost every call away without the data flow
        // `model_method` asks, and TL401 asks this of every edge it follows.
        self.method_by_unique_name(call).is_some()
            && !matches!(self.callee(call), Value::Function(_) | Value::Class(_))
            && self.model_method(call).is_none()
            && self.project_command(call).is_none()
    }

    /// `signup.create_web_store_payment()` on a value nothing says the type of (an
    /// untyped parameter, an attribute of one): when the project defines exactly one
    /// method of that name, and the name is a distinctive one (three words or more, so
    /// not a library's `save` or `get_queryset`), that method is what runs. Looked up by
    /// the text `def <name>(`, so only the defining file is parsed.
    fn method_by_unique_name(&self, call: CallRef) -> Option<FuncRef> {
        let c = self.call(call);
        let ExprKind::Attr(base, name) = &c.callee.kind else {
            return None;
        };
        if !distinctive(name)
            || matches!(&base.kind, ExprKind::Name(n) if n == "self" || n == "cls")
            || !outside_project(self.callee(call))
        {
            return None;
        }
        let defined = self.defined_names.get_or_init(|| self.find_defined_names());
        let [file] = defined.get(name.as_str())?[..] else {
            return None;
        };
        if self.is_test[file] {
            return None;
        }
        let model = &self.models[file];
        let mut found = model
            .classes
            .iter()
            .flat_map(|cl| cl.methods.iter())
            .filter(|m| model.scopes[**m].name == *name);
        let scope = *found.next()?;
        if found.next().is_some() {
            return None;
        }
        Some(FuncRef { file, scope })
    }

    /// The Python files that define each distinctive name (`def name(` at the start of a
    /// line), in one pass over the text: parsing every file to ask would undo the
    /// prefilter.
    fn find_defined_names(&self) -> HashMap<String, Vec<FileId>> {
        let mut out: HashMap<String, Vec<FileId>> = HashMap::new();
        let finder = memchr::memmem::Finder::new(b"def ");
        for file in 0..self.files.len() {
            if self.models.language(file) != crate::model::Language::Python {
                continue;
            }
            let text = self.files[file].text.as_bytes();
            for at in finder.find_iter(text) {
                let line_start = text[..at]
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |i| i + 1);
                let indent = &text[line_start..at];
                let after_async = indent.strip_suffix(b"async ").unwrap_or(indent);
                if !after_async.iter().all(|b| *b == b' ' || *b == b'\t') {
                    continue;
                }
                let rest = &text[at + 4..];
                let len = rest
                    .iter()
                    .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
                    .unwrap_or(rest.len());
                if rest.get(len) != Some(&b'(') {
                    continue;
                }
                let Ok(name) = std::str::from_utf8(&rest[..len]) else {
                    continue;
                };
                if distinctive(name) {
                    let files = out.entry(name.to_owned()).or_default();
                    if files.last() != Some(&file) {
                        files.push(file);
                    }
                }
            }
        }
        out
    }

    /// `photo.write_exif()`, `Photo.objects.get(pk=1).save()`: a method of a project model
    /// called on an instance the data flow knows (a manager query, `get_object_or_404`,
    /// a form's `save()`...), its own or inherited from a project ancestor.
    fn model_method(&self, call: CallRef) -> Option<FuncRef> {
        let ExprKind::Attr(_, method) = &self.call(call).callee.kind else {
            return None;
        };
        if let Some((_, save)) = self.save_run_by_manager(call, method) {
            return Some(save);
        }
        let class = self.model_receiver_class(call)?;
        super::handlers::method_of(self, class, method)
    }

    /// `Order.objects.create(...)` runs `Order(...).save()` (and so do the other manager
    /// methods that save a row, `[[signals.model]] manager_methods` in
    /// `rules/python/django_models.toml`): a project override of `save` is called.
    fn save_run_by_manager(&self, call: CallRef, method: &str) -> Option<(ClassRef, FuncRef)> {
        let c = self.call(call);
        let saves = self.knowledge.django.signals.model.iter().any(|g| {
            g.instance_methods.iter().any(|m| m == "save")
                && (g.manager_methods.iter().any(|m| m == method)
                    || g.creating_when_missing_methods.iter().any(|m| m == method)
                        && super::signals::lookup_varies(self, call.file, c))
        });
        if !saves {
            return None;
        }
        let ExprKind::Attr(base, _) = &c.callee.kind else {
            return None;
        };
        let super::Origin::QuerySet {
            model: Some(model), ..
        } = self.origin(call.file, c.scope, base)
        else {
            return None;
        };
        let class = self.model_class_at(call, base, &model)?;
        Some((class, super::handlers::method_of(self, class, "save")?))
    }

    /// `Photo.objects.create(url=u)` runs `Photo.save` on a row being made: when `save`
    /// starts, a field `create` is given as a literal holds it, and a field it is not
    /// given, declared without a default, holds its empty value (`None`, `""`, an empty
    /// file), as `self.<field>` values. `None` when the edge is not such a call.
    fn created_row_attributes(
        &self,
        call: CallRef,
        target: FuncRef,
    ) -> Option<Vec<(String, Const)>> {
        let c = self.call(call);
        let ExprKind::Attr(_, method) = &c.callee.kind else {
            return None;
        };
        if self.scope(target).name != "save" {
            return None;
        }
        let (class, save) = self.save_run_by_manager(call, method)?;
        if save != target {
            return None;
        }
        // `create(**data)`: which fields it is given is not known. Nor are they for
        // `update_or_create` (an existing row keeps the fields it is not given) or a
        // `defaults=` dict.
        let creates = self.knowledge.django.signals.model.iter().any(|g| {
            g.creating_methods.iter().any(|m| m == method)
                || g.creating_when_missing_methods.iter().any(|m| m == method)
        });
        if !creates
            || c.args.iter().any(|a| {
                a.kind != ArgKind::Keyword
                    || a.name.as_deref().is_some_and(|n| n.ends_with("defaults"))
            })
        {
            return Some(Vec::new());
        }
        let models = &self.knowledge.django.models;
        let mut out = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        let (ancestry, _) = self.class_ancestry(class);
        for k in ancestry.iter() {
            let model = &self.models[k.file];
            let body = model.classes[k.class].body;
            for b in &model.scopes[body].bindings {
                if seen.contains(&b.name.as_str()) {
                    continue;
                }
                seen.push(b.name.as_str());
                let crate::model::BoundValue::Expr(e) = &b.value else {
                    continue;
                };
                let ExprKind::Call(id) = e.kind else {
                    continue;
                };
                let field = &model.calls[id];
                if !matches!(field.callee.kind, ExprKind::Name(_) | ExprKind::Attr(..)) {
                    continue;
                }
                let v = self.resolve(k.file, body, &field.callee);
                // A column: a field class (`CharField`, `ImageField`, a foreign key), not
                // a manager or a to-many field (a manager of rows on an instance).
                let column = self.matches_any(&v, &models.to_one_fields)
                    || (self.matches_any(&v, &models.field_calls)
                        && v.last_name().is_some_and(|n| n.ends_with("Field"))
                        && !self.matches_any(&v, &models.to_many_fields));
                if !column {
                    continue;
                }
                // Given a value by Django before the row is written, or by a default.
                let filled = [
                    "default",
                    "db_default",
                    "auto_now",
                    "auto_now_add",
                    "primary_key",
                ]
                .iter()
                .any(|k| field.keyword(k).is_some());
                // A foreign key may be given by its column (`owner_id=...`).
                let given = c
                    .keyword(&b.name)
                    .or_else(|| c.keyword(&format!("{}_id", b.name)));
                let value = match given {
                    Some(a) if a.name.as_deref() == Some(b.name.as_str()) => constant(&a.value),
                    Some(_) => None,
                    None if !filled => Some(Const::None),
                    None => None,
                };
                // `save` setting the field itself (`self.slug = slugify(...)`) decides it.
                if let Some(v) = value
                    && !self.assigns_self_attribute(target, &b.name)
                {
                    out.push((format!("{SELF}{}", b.name), v));
                }
            }
        }
        Some(out)
    }

    /// The project model class of the instance a method call is made on
    /// (`photo.save()`, `Task.objects.get(...).run()`), when the data flow says.
    fn model_receiver_class(&self, call: CallRef) -> Option<ClassRef> {
        let c = self.call(call);
        let ExprKind::Attr(base, _) = &c.callee.kind else {
            return None;
        };
        // Cheap first: a local name, a call or an element (`photo.save()`,
        // `qs.get(...).save()`, `qs[0].save()`); the data flow, which says whether it is
        // a model instance, is asked only then.
        // (`self` and attributes are what `resolve` follows already.)
        // Of attributes, only those the framework sets (`self.object`, `form.instance`).
        match &base.kind {
            ExprKind::Name(n) if n != "self" && n != "cls" => {}
            // `X.objects.get_or_create(...)[0].send()`, `qs[0].save()`.
            ExprKind::Call(_) | ExprKind::Subscript(..) => {}
            // `order.customer.notify()`: a relation field of a local model instance.
            ExprKind::Attr(inner, _) if matches!(&inner.kind, ExprKind::Name(n) if n != "self" && n != "cls") =>
                {}
            ExprKind::Attr(_, n)
                if n == "instance"
                    || self
                        .knowledge
                        .django
                        .views
                        .instance_attributes
                        .iter()
                        .any(|a| a == n) => {}
            _ => return None,
        }
        let super::Origin::ModelInstance(Some(model)) = self.origin(call.file, c.scope, base)
        else {
            return None;
        };
        self.model_class_at(call, base, &model)
    }

    /// The project model class named `model` that `base`, the receiver of `call`, is an
    /// instance or a manager of: the class by the name it is known by where the call is
    /// made; else the class of that name the value came from (`models.Task.objects.get(...)`,
    /// `get_object_or_404(models.Task, ...)`, where `Task` is not a name of the file).
    fn model_class_at(&self, call: CallRef, base: &Expr, model: &str) -> Option<ClassRef> {
        let c = self.call(call);
        let class = match self.lookup(call.file, c.scope, model, c.span.start, 0) {
            Value::Class(class) => class,
            _ => match self.model_class_behind(call.file, c.scope, base, model) {
                Some(class) => class,
                // `for task in project.task_set.all()`: the one project model of that
                // name, wherever it is declared.
                None => self
                    .model_class_by_lower_name(&model.to_lowercase())
                    .filter(|c| self.models[c.file].classes[c.class].name == model)?,
            },
        };
        Some(class)
    }

    /// The project class named `name` that the value of `expr` was made from: a class on
    /// the way of its resolved value, or the first argument of the call it was bound to.
    fn model_class_behind(
        &self,
        file: FileId,
        scope: usize,
        expr: &Expr,
        name: &str,
    ) -> Option<ClassRef> {
        let named = |v: &Value| -> Option<ClassRef> {
            let mut v = v;
            loop {
                match v {
                    Value::Class(c) | Value::Instance(c)
                        if self.models[c.file].classes[c.class].name == name =>
                    {
                        return Some(*c);
                    }
                    Value::Returned(x)
                    | Value::Attr(x, _)
                    | Value::Iterated(x)
                    | Value::Subscripted(x) => v = x,
                    _ => return None,
                }
            }
        };
        if let Some(c) = named(&self.resolve(file, scope, expr)) {
            return Some(c);
        }
        // `x = get_object_or_404(models.Task, pk=pk)`: the call `x` is bound to.
        let bound = match &expr.kind {
            ExprKind::Name(n) => {
                let b = self.binding_at(file, scope, n, expr.span.start)?;
                match &b.binding.value {
                    crate::model::BoundValue::Expr(e) => Some((b.scope, e)),
                    _ => None,
                }
            }
            _ => Some((scope, expr)),
        };
        let (scope, e) = bound?;
        let ExprKind::Call(id) = e.kind else {
            return None;
        };
        let first = self.models[file].calls[id].args.first()?;
        named(&self.resolve(file, scope, &first.value))
    }
}

#[derive(Default)]
struct FileGraph {
    out: HashMap<FuncRef, Vec<Edge>>,
    calls: HashMap<FuncRef, Vec<CallRef>>,
    signal_edges: HashMap<(CallRef, FuncRef), SignalEdge>,
    /// Edges to a function passed as an argument to the call's target, which calls it.
    callbacks: HashSet<(CallRef, FuncRef)>,
    receivers: HashMap<(CallRef, FuncRef), ClassRef>,
}

fn file_graph(project: &Project, receivers: &SignalReceivers, file: FileId) -> FileGraph {
    let mut graph = FileGraph::default();
    let model = &project.models[file];
    let mut signals = receivers.edges_in(project, file).into_iter().peekable();
    for call in 0..model.calls.len() {
        let c = CallRef { file, call };
        let received = match signals.peek() {
            Some((n, _)) if *n == call => signals.next().map(|(_, r)| r).unwrap_or_default(),
            _ => Vec::new(),
        };
        let Some(owner) = project.call_owner(c) else {
            continue;
        };
        graph.calls.entry(owner).or_default().push(c);
        // A function whose decorator runs it on a thread: the call starts it and returns.
        let target = project
            .call_target(c)
            .filter(|t| !project.runs_elsewhere_when_called(*t));
        // A hook the class leaves to its subclasses: their overrides run. An entry of a
        // dispatch table: any of the table's functions may.
        let overrides = project.overrides_run_by(c);
        let alternatives = project.alternatives_run_by(c);
        for f in overrides.into_iter().chain(alternatives) {
            if Some(f) != target {
                graph
                    .out
                    .entry(owner)
                    .or_default()
                    .push(Edge { call: c, target: f });
            }
        }
        if let Some(target) = target {
            graph
                .out
                .entry(owner)
                .or_default()
                .push(Edge { call: c, target });
            if let Some(r) = project.subclass_receiver(c, target) {
                graph.receivers.insert((c, target), r);
            }
            // The wrappers its project decorators put around it run first.
            for &w in project.wrappers_of(target).iter() {
                graph
                    .out
                    .entry(owner)
                    .or_default()
                    .push(Edge { call: c, target: w });
            }
            for f in project.callbacks_run_by(c, target) {
                if graph.callbacks.insert((c, f)) {
                    graph
                        .out
                        .entry(owner)
                        .or_default()
                        .push(Edge { call: c, target: f });
                }
            }
        }
        // `executor.map(fetch, urls)`: the library runs `fetch` and the caller waits.
        if let Some(f) = project.run_by_library(c)
            && graph.callbacks.insert((c, f))
        {
            graph
                .out
                .entry(owner)
                .or_default()
                .push(Edge { call: c, target: f });
        }
        for (target, how) in received {
            if graph.signal_edges.insert((c, target), how).is_none() {
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
        // Entered again for other known arguments, and calls those arguments rule out
        // not followed, as [`Project::find_reachable`] does for the rules. Handlers are
        // entered first without counting against their own later entries.
        let mut visits = Visits::default();
        let mut queue: VecDeque<(FuncRef, FuncRef, Vec<Edge>, Known)> = VecDeque::new();
        for h in project.handlers.iter() {
            if let std::collections::btree_map::Entry::Vacant(e) = by_func.entry(h.func) {
                e.insert(Reached {
                    handler: h.func,
                    path: Vec::new(),
                });
                visits.seen.insert((h.func, Known::default()));
                queue.push_back((h.func, h.func, Vec::new(), Known::default()));
            }
        }
        while let Some((f, handler, path, known)) = queue.pop_front() {
            if path.len() >= max_depth {
                continue;
            }
            for e in project.graph.edges(f) {
                let e = &project.dispatched(e, &known);
                // A task's body runs on a worker; calling it inline is TL101's finding at
                // that call, and what the body does is not the request's doing.
                if project.tasks.get(e.target).is_some() || !project.may_run(e.call, &known) {
                    continue;
                }
                let next = project.known_params_from(e.call, e.target, &known);
                let mut p = path.clone();
                p.push(*e);
                if let std::collections::btree_map::Entry::Vacant(v) = by_func.entry(e.target) {
                    v.insert(Reached {
                        handler,
                        path: p.clone(),
                    });
                }
                if visits.enter(e.target, &next) {
                    queue.push_back((e.target, handler, p, next));
                }
            }
        }
        Reach { by_func }
    }

    pub fn get(&self, f: FuncRef) -> Option<&Reached> {
        self.by_func.get(&f)
    }

    /// Every function reached (handlers included).
    pub fn functions(&self) -> impl Iterator<Item = FuncRef> + '_ {
        self.by_func.keys().copied()
    }
}

/// A value nothing in the project is known to be: unknown, what a library call returns
/// (an ORM row a library hands back is the project's own class), or what a project
/// function returns when that could not be worked out.
fn outside_project(v: &Value) -> bool {
    match v {
        Value::Unknown | Value::External(_) => true,
        Value::Returned(b) if matches!(**b, Value::Function(_)) => true,
        Value::Returned(b) | Value::Attr(b, _) | Value::Iterated(b) | Value::Subscripted(b) => {
            outside_project(b)
        }
        _ => false,
    }
}

/// A method name few libraries would share: three words or more (`send_welcome_email`),
/// not a dunder.
fn distinctive(name: &str) -> bool {
    !name.starts_with("__") && name.split('_').filter(|w| !w.is_empty()).count() >= 3
}

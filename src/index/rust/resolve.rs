//! Rust name resolution: paths through `use` (renames, groups, globs), `crate::`,
//! `self::`, `super::`, `Self`, modules of the same crate and of other workspace crates,
//! external crates kept as written; values through `let` bindings, parameter and field
//! types, and declared return types; methods through every `impl` block of a type.
//!
//! Without type checking this is an approximation, built to stay silent when unsure:
//! anything it cannot follow is [`Value::Unknown`].

use std::collections::HashMap;

use crate::model::{BoundValue, Expr, ExprKind, ImportTarget, ScopeId, ScopeKind};
use crate::source::FileId;

use super::super::{CallRef, ClassRef, FuncRef, Project, Value};
use super::ModId;

/// Resolution gives up (Unknown) beyond this many nested steps.
const MAX_DEPTH: u32 = 40;

/// And beyond this many steps in all for one question: a safety net, so that no shape of
/// code can make resolution explode combinatorially.
const FUEL: u32 = 20_000;

thread_local! {
    static FUEL_LEFT: std::cell::Cell<u32> = const { std::cell::Cell::new(FUEL) };
}

/// Values of the calls of one file, while its calls are being resolved: (project, file)
/// they belong to, and (call, position) → value.
type ChainCache = (usize, FileId, HashMap<(usize, u32), Value>);

thread_local! {
    static CHAIN_CACHE: std::cell::RefCell<ChainCache> =
        std::cell::RefCell::new((usize::MAX, 0, HashMap::new()));
}

impl Project {
    fn chain_cache_get(&self, file: FileId, call: usize, at: u32) -> Option<Value> {
        CHAIN_CACHE.with(|c| {
            let c = c.borrow();
            if c.0 != self.rust.id || c.1 != file {
                return None;
            }
            c.2.get(&(call, at)).cloned()
        })
    }

    fn chain_cache_put(&self, file: FileId, call: usize, at: u32, v: &Value) {
        CHAIN_CACHE.with(|c| {
            let mut c = c.borrow_mut();
            if c.0 != self.rust.id || c.1 != file {
                *c = (self.rust.id, file, HashMap::new());
            }
            c.2.insert((call, at), v.clone());
        })
    }
}

/// One step of resolution: `false` when the question has used up its fuel. A step at
/// depth 0 starts a new question.
fn burn(depth: u32) -> bool {
    FUEL_LEFT.with(|f| {
        if depth == 0 {
            f.set(FUEL);
        }
        let left = f.get();
        if left == 0 {
            return false;
        }
        f.set(left - 1);
        true
    })
}

/// Methods whose result stands for their receiver for what tasklint tracks: a `Result` or
/// `Option` unwrapped, a clone, a reference, a lock guard.
const TRANSPARENT_METHODS: &[&str] = &[
    "unwrap",
    "expect",
    "unwrap_or_default",
    "unwrap_or",
    "unwrap_or_else",
    "unwrap_unchecked",
    "ok",
    "context",
    "with_context",
    "map_err",
    "clone",
    "to_owned",
    "as_ref",
    "as_mut",
    "as_deref",
    "as_deref_mut",
    "borrow",
    "borrow_mut",
    "deref",
    "deref_mut",
    "lock",
    "lock_owned",
    "try_lock",
    "read",
    "write",
    "get_ref",
    "get_mut",
    "into_inner",
    "get_or_init",
];

/// Associated functions of transparent wrappers that hand back their argument wrapped:
/// `Arc::new(x)`, `Some(x)`, `web::Data::new(x)`.
const WRAPPING_CONSTRUCTORS: &[&str] = &["new", "from", "clone", "Some", "Ok"];

/// The external path a value comes from, through calls, attributes and indexing:
/// `Command::new("git").arg("x")` comes from `std.process.Command.new`.
pub fn origin(v: &Value) -> Option<&str> {
    match v {
        Value::External(p) => Some(p),
        Value::Returned(i) | Value::Attr(i, _) | Value::Subscripted(i) | Value::Iterated(i) => {
            origin(i)
        }
        _ => None,
    }
}

/// Values stay shallow: past a few layers of calls and attributes only the origin
/// matters (patterns look at the last steps and at the origin), so the middle of a long
/// builder chain is dropped.
fn cap(v: Value) -> Value {
    const KEEP: usize = 8;
    let mut depth = 0;
    let mut cur = &v;
    while let Value::Returned(i) | Value::Attr(i, _) | Value::Subscripted(i) | Value::Iterated(i) =
        cur
    {
        depth += 1;
        cur = i;
    }
    if depth <= KEEP {
        return v;
    }
    match origin(&v) {
        Some(o) => Value::Returned(Box::new(Value::External(o.to_string()))),
        None => Value::Unknown,
    }
}

/// `let probe = filter.and_then(probe);`: the `probe` inside the value is the earlier
/// one; a binding is not visible in its own initialiser.
fn within_own_value(value: &BoundValue, at: u32) -> bool {
    match value {
        BoundValue::Expr(e) | BoundValue::IterOf(e) => e.span.start <= at && at < e.span.end,
        _ => false,
    }
}

/// `a.b` is under `a` and under `a.b`, not under `a.bc`.
pub fn path_under(path: &str, root: &str) -> bool {
    path == root
        || path
            .strip_prefix(root)
            .is_some_and(|rest| rest.starts_with('.'))
}

impl Project {
    /// What an expression of a Rust file refers to (see the module documentation).
    pub(crate) fn rust_resolve(
        &self,
        file: FileId,
        scope: ScopeId,
        expr: &Expr,
        at: u32,
        depth: u32,
    ) -> Value {
        if depth > MAX_DEPTH || !burn(depth) {
            return Value::Unknown;
        }
        match &expr.kind {
            ExprKind::Name(path) => self.rust_path(file, scope, path, at, depth + 1, false),
            ExprKind::Attr(base, name) => {
                let b = self.rust_resolve(file, scope, base, at, depth + 1);
                self.rust_member(b, name, depth + 1)
            }
            ExprKind::Call(id) => {
                // A method chain (`Router::new().route(..).route(..)...`, hundreds long
                // in route tables) is folded in a loop from its innermost call: recursing
                // through it would hit the depth limit, or the stack.
                // Each call's value is kept for the file, so resolving every call of a
                // chain is linear, not quadratic.
                let model = &self.models[file];
                let mut chain = vec![*id];
                let mut value: Option<Value> = None;
                loop {
                    let last = *chain.last().expect("never empty");
                    if let Some(v) = self.chain_cache_get(file, last, at) {
                        chain.pop();
                        value = Some(v);
                        break;
                    }
                    match &model.calls[last].callee.kind {
                        ExprKind::Attr(recv, _) => match recv.kind {
                            ExprKind::Call(inner) => chain.push(inner),
                            _ => break,
                        },
                        _ => break,
                    }
                }
                for cid in chain.iter().rev() {
                    let v = self.rust_call_value(file, *cid, value, at, depth + 1);
                    self.chain_cache_put(file, *cid, at, &v);
                    value = Some(v);
                }
                value.unwrap_or(Value::Unknown)
            }
            ExprKind::Subscript(v, _) => match self.rust_resolve(file, scope, v, at, depth + 1) {
                Value::Unknown => Value::Unknown,
                v => Value::Subscripted(Box::new(v)),
            },
            // `if tls { SmtpTransport::relay(h)?.build() } else {
            // SmtpTransport::builder_dangerous(h).build() }`: both built by associated
            // functions of one type are that type's value; anything else is not known.
            ExprKind::IfElse(a, b) => {
                let a = self.rust_resolve(file, scope, a, at, depth + 1);
                let b = self.rust_resolve(file, scope, b, at, depth + 1);
                let same_type = match (origin(&a), origin(&b)) {
                    (Some(x), Some(y)) => {
                        let (px, py) = (x.rsplit_once('.'), y.rsplit_once('.'));
                        px.is_some_and(|(t, _)| t.contains('.') && Some(t) == py.map(|(u, _)| u))
                    }
                    _ => false,
                };
                if a == b || same_type {
                    a
                } else {
                    Value::Unknown
                }
            }
            _ => Value::Unknown,
        }
    }

    /// What one call gives; for a method call, `receiver` is the receiver's value when
    /// the caller already has it.
    fn rust_call_value(
        &self,
        file: FileId,
        id: usize,
        receiver: Option<Value>,
        at: u32,
        depth: u32,
    ) -> Value {
        let c = &self.models[file].calls[id];
        // A project macro given one expression gives back what it is given, maybe
        // wrapped (`report_error!(reader.decode())?`): the value's methods are its.
        // Another crate's macro is what its path says (`warp::path!(..)` is a filter).
        if let [a] = c.args.as_slice()
            && a.kind == crate::model::ArgKind::Positional
            && self.is_project_macro(CallRef { file, call: id })
        {
            return self.rust_resolve(file, c.scope, &a.value, at, depth + 1);
        }
        if let ExprKind::Attr(recv, m) = &c.callee.kind {
            let recv_value = match receiver {
                Some(v) => v,
                None => self.rust_resolve(file, c.scope, recv, at, depth + 1),
            };
            if TRANSPARENT_METHODS.contains(&m.as_str()) {
                return recv_value;
            }
            let callee = self.rust_member(cap(recv_value), m, depth + 1);
            return self.rust_call_result(callee, depth + 1);
        }
        let callee = self.rust_resolve(file, c.scope, &c.callee, at, depth + 1);
        if let Value::External(p) = &callee
            && self.rust_is_wrapping_constructor(p)
            && let Some(a) = c.args.first()
        {
            return self.rust_resolve(file, c.scope, &a.value, at, depth + 1);
        }
        self.rust_call_result(callee, depth + 1)
    }

    fn rust_is_wrapping_constructor(&self, p: &str) -> bool {
        let Some((parent, last)) = p.rsplit_once('.') else {
            return false;
        };
        WRAPPING_CONSTRUCTORS.contains(&last)
            && self
                .knowledge
                .rust
                .transparent
                .iter()
                .any(|t| t.root_matches(parent))
    }

    fn rust_is_transparent(&self, v: &Value) -> bool {
        match v {
            Value::External(p) => self
                .knowledge
                .rust
                .transparent
                .iter()
                .any(|t| t.root_matches(p)),
            _ => false,
        }
    }

    /// What calling a value gives: a project function's declared return type (seen
    /// through `Result`, `Option`, `Arc`...), an instance of a tuple struct, or "what
    /// calling it returns".
    pub(crate) fn rust_call_result(&self, callee: Value, depth: u32) -> Value {
        match callee {
            Value::Unknown | Value::Package(_) | Value::Module(_) => Value::Unknown,
            Value::Function(f) => self
                .rust_return_value(f, depth + 1)
                .unwrap_or(Value::Returned(Box::new(Value::Function(f)))),
            Value::Class(c) => Value::Instance(c),
            other => Value::Returned(Box::new(other)),
        }
    }

    fn rust_return_value(&self, f: FuncRef, depth: u32) -> Option<Value> {
        let model = &self.models[f.file];
        let (_, ty) = model.rust.returns.iter().find(|(s, _)| *s == f.scope)?;
        let scope = model.scopes[f.scope].parent.unwrap_or(0);
        let v = self.rust_instance(self.rust_type(f.file, scope, ty, depth + 1));
        (!v.is_unknown()).then_some(v)
    }

    /// A value of a type: an instance of a project type, or what constructing an
    /// external type gives.
    fn rust_instance(&self, ty: Value) -> Value {
        match ty {
            Value::Class(c) => Value::Instance(c),
            Value::External(p) => Value::Returned(Box::new(Value::External(p))),
            _ => Value::Unknown,
        }
    }

    /// A type written in `scope`: `Class`, `External` or Unknown; transparent wrappers
    /// (`Option<T>`, `Arc<T>`, `web::Data<T>`) give `T`.
    pub(crate) fn rust_type(&self, file: FileId, scope: ScopeId, ty: &Expr, depth: u32) -> Value {
        if depth > MAX_DEPTH || !burn(depth) {
            return Value::Unknown;
        }
        match &ty.kind {
            ExprKind::Name(path) => {
                match self.rust_path(file, scope, path, u32::MAX, depth + 1, true) {
                    // An alias of a generic type reached as a value (through a `use`).
                    Value::Subscripted(inner) if !self.rust_is_transparent(&inner) => *inner,
                    v => v,
                }
            }
            ExprKind::Subscript(base, args) => {
                let head = self.rust_type(file, scope, base, depth + 1);
                let first = match &args.kind {
                    ExprKind::Tuple(items) => items.first(),
                    _ => Some(args.as_ref()),
                };
                match head {
                    // A generic alias of a wrapper (`type Result<T> = std::result::Result<T, E>`).
                    Value::Subscripted(inner) if self.rust_is_transparent(&inner) => first
                        .map(|a| self.rust_type(file, scope, a, depth + 1))
                        .unwrap_or(Value::Unknown),
                    h if self.rust_is_transparent(&h) => first
                        .map(|a| self.rust_type(file, scope, a, depth + 1))
                        .unwrap_or(Value::Unknown),
                    h => h,
                }
            }
            _ => Value::Unknown,
        }
    }

    /// The type an `impl` block is for, without its generic arguments.
    pub(crate) fn rust_type_head(
        &self,
        file: FileId,
        scope: ScopeId,
        ty: &Expr,
        depth: u32,
    ) -> Value {
        match self.rust_type(file, scope, ty, depth) {
            Value::Subscripted(inner) => *inner,
            v => v,
        }
    }

    /// A type alias's value in type position. A generic alias of a wrapper whose
    /// argument is a parameter is marked `Subscripted(wrapper)`, so that the argument
    /// given where the alias is used can be taken instead.
    fn rust_alias_type(&self, file: FileId, scope: ScopeId, e: &Expr, depth: u32) -> Value {
        if let ExprKind::Subscript(h, args) = &e.kind {
            let hv = self.rust_type(file, scope, h, depth + 1);
            if self.rust_is_transparent(&hv) {
                let first = match &args.kind {
                    ExprKind::Tuple(items) => items.first(),
                    _ => Some(args.as_ref()),
                };
                let a = first
                    .map(|a| self.rust_type(file, scope, a, depth + 1))
                    .unwrap_or(Value::Unknown);
                if !a.is_unknown() {
                    return a;
                }
                return Value::Subscripted(Box::new(hv));
            }
            return hv;
        }
        self.rust_type(file, scope, e, depth + 1)
    }

    /// A path (`a::b::c`, or a single name) written in `scope` at byte `at`.
    pub(crate) fn rust_path(
        &self,
        file: FileId,
        scope: ScopeId,
        path: &str,
        at: u32,
        depth: u32,
        type_ctx: bool,
    ) -> Value {
        if depth > MAX_DEPTH || !burn(depth) {
            return Value::Unknown;
        }
        let mut segs = path.split("::");
        let first = segs.next().unwrap_or_default();
        let more = path.contains("::");
        let mut value = match first {
            "crate" => self.rust_crate_root(file, scope),
            "self" if more => self
                .rust_module_of(file, scope)
                .map(|m| Value::Package(self.rust.modules[m].path.clone()))
                .unwrap_or(Value::Unknown),
            "super" => self
                .rust_module_of(file, scope)
                .and_then(|m| self.rust.modules[m].parent)
                .map(|m| Value::Package(self.rust.modules[m].path.clone()))
                .unwrap_or(Value::Unknown),
            "Self" => self.rust_self_type(file, scope),
            "" => Value::Unknown,
            name => self.rust_lookup(file, scope, name, at, depth + 1, type_ctx, None),
        };
        for seg in segs {
            if value.is_unknown() {
                break;
            }
            value = if seg == "super" {
                match &value {
                    Value::Package(p) => self
                        .rust
                        .module_by_path(p)
                        .and_then(|m| self.rust.modules[m].parent)
                        .map(|m| Value::Package(self.rust.modules[m].path.clone()))
                        .unwrap_or(Value::Unknown),
                    _ => Value::Unknown,
                }
            } else {
                self.rust_step(value, seg, depth + 1, type_ctx)
            };
        }
        value
    }

    fn rust_crate_root(&self, file: FileId, scope: ScopeId) -> Value {
        self.rust_module_of(file, scope)
            .map(|m| {
                let k = self.rust.modules[m].krate;
                Value::Package(self.rust.crates[k].root_path.clone())
            })
            .unwrap_or(Value::Unknown)
    }

    /// `Self` inside an `impl` block or trait: the block's class.
    fn rust_self_type(&self, file: FileId, scope: ScopeId) -> Value {
        let model = &self.models[file];
        let mut s = Some(scope);
        while let Some(id) = s {
            let sc = &model.scopes[id];
            if sc.kind == ScopeKind::Class
                && let Some(c) = sc.class
            {
                return Value::Class(ClassRef { file, class: c });
            }
            s = sc.parent;
        }
        Value::Unknown
    }

    /// One more path segment after `value`.
    fn rust_step(&self, value: Value, seg: &str, depth: u32, type_ctx: bool) -> Value {
        match value {
            Value::Package(p) => match self.rust.module_by_path(&p) {
                Some(m) => self.rust_module_item(m, seg, depth + 1, type_ctx),
                None => Value::Unknown,
            },
            Value::External(p) => Value::External(format!("{p}.{seg}")),
            Value::Class(c) => match self.rust_method(c, seg, depth + 1) {
                Some(f) => Value::Function(f),
                None => Value::Attr(Box::new(Value::Class(c)), seg.to_string()),
            },
            _ => Value::Unknown,
        }
    }

    /// A name as seen from `scope`: local bindings (the last before `at`), items of the
    /// enclosing functions and module, the module's globs, then other crates and the
    /// prelude. `skip`: an import being resolved, which must not find itself.
    #[allow(clippy::too_many_arguments)]
    fn rust_lookup(
        &self,
        file: FileId,
        scope: ScopeId,
        name: &str,
        at: u32,
        depth: u32,
        type_ctx: bool,
        skip: Option<&ImportTarget>,
    ) -> Value {
        if depth > MAX_DEPTH || !burn(depth) {
            return Value::Unknown;
        }
        let model = &self.models[file];
        let mut s = Some(scope);
        let mut at = at;
        // Past a function boundary only items are visible: a nested `fn` does not
        // capture its parent's locals.
        let mut items_only = false;
        while let Some(id) = s {
            let sc = &model.scopes[id];
            match sc.kind {
                ScopeKind::Module => {
                    if let Some(m) = self.rust.module_of_scope(file, id) {
                        let v = self.rust_module_item_inner(m, name, depth + 1, type_ctx, skip);
                        if !v.is_unknown() {
                            return v;
                        }
                    }
                    break;
                }
                ScopeKind::Class => {}
                ScopeKind::Function | ScopeKind::Lambda => {
                    let mut local = None;
                    let mut item = None;
                    for b in self
                        .rust
                        .local_bindings(file, id, name)
                        .iter()
                        .map(|i| &sc.bindings[*i])
                    {
                        let is_item = matches!(
                            b.value,
                            BoundValue::Function(_) | BoundValue::Class(_) | BoundValue::Import(_)
                        );
                        if is_item {
                            if item.is_none() {
                                item = Some(b);
                            }
                        } else if !items_only
                            && b.span.start < at
                            && !within_own_value(&b.value, at)
                        {
                            local = Some(b);
                        }
                    }
                    if let Some(b) = local.or(item) {
                        return self.rust_binding_value(
                            file,
                            id,
                            &b.value,
                            b.span.start,
                            depth + 1,
                            type_ctx,
                        );
                    }
                    if sc.kind == ScopeKind::Function {
                        items_only = true;
                    }
                }
            }
            at = sc.span.start;
            s = sc.parent;
        }
        self.rust_extern(file, name)
    }

    /// A name no scope binds: another crate of the project, a dependency, `std`, or the
    /// prelude.
    fn rust_extern(&self, file: FileId, name: &str) -> Value {
        if let Some(k) = self.rust.crate_by_ident(name) {
            return Value::Package(self.rust.crates[k].root_path.clone());
        }
        if matches!(name, "std" | "core" | "alloc") {
            return Value::External(name.to_string());
        }
        let manifest = self
            .rust_crate_of(file)
            .and_then(|k| self.rust.manifest_of_crate(k));
        match manifest {
            Some(m) => {
                if let Some((package, _)) = m.deps.get(name) {
                    let ident = match self.knowledge.rust.lib_names.get(package) {
                        Some(lib) => lib.clone(),
                        None => package.replace('-', "_"),
                    };
                    if let Some(k) = self.rust.crate_by_ident(&ident) {
                        return Value::Package(self.rust.crates[k].root_path.clone());
                    }
                    return Value::External(ident);
                }
                // A dependency whose library is named differently (`rust-argon2` is
                // `argon2`).
                let renamed = m.deps.values().any(|(package, _)| {
                    self.knowledge
                        .rust
                        .lib_names
                        .get(package)
                        .is_some_and(|l| l == name)
                });
                if renamed {
                    return Value::External(name.to_string());
                }
            }
            // Outside any Cargo package nothing says which crates exist: a lower-case
            // name is taken as one.
            None if name.starts_with(|c: char| c.is_ascii_lowercase()) => {
                return Value::External(name.to_string());
            }
            None => {}
        }
        match self.knowledge.rust.prelude.get(name) {
            Some(p) => Value::External(p.clone()),
            None => Value::Unknown,
        }
    }

    /// A name defined in (or imported into) a module.
    pub(crate) fn rust_module_item(
        &self,
        m: ModId,
        name: &str,
        depth: u32,
        type_ctx: bool,
    ) -> Value {
        self.rust_module_item_inner(m, name, depth, type_ctx, None)
    }

    /// A name a module defines or imports itself (not through a glob).
    fn rust_module_item_direct(
        &self,
        m: ModId,
        name: &str,
        depth: u32,
        type_ctx: bool,
        skip: Option<&ImportTarget>,
    ) -> Option<Value> {
        let md = &self.rust.modules[m];
        let model = &self.models[md.file];
        let scope = &model.scopes[md.scope];
        let binding = self
            .rust
            .globs
            .bindings(m, name)
            .iter()
            .map(|i| &scope.bindings[*i])
            .find(|b| !matches!((&b.value, skip), (BoundValue::Import(t), Some(s)) if std::ptr::eq(t, s)));
        if let Some(b) = binding {
            return Some(self.rust_binding_value(
                md.file,
                md.scope,
                &b.value,
                b.span.start,
                depth + 1,
                type_ctx,
            ));
        }
        md.children
            .get(name)
            .map(|c| Value::Package(self.rust.modules[*c].path.clone()))
    }

    /// Its own items first, then what its glob imports bring in (computed once for the
    /// whole project, see [`super::GlobTables`]).
    fn rust_module_item_inner(
        &self,
        m: ModId,
        name: &str,
        depth: u32,
        type_ctx: bool,
        skip: Option<&ImportTarget>,
    ) -> Value {
        if depth > MAX_DEPTH || !burn(depth) {
            return Value::Unknown;
        }
        if let Some(v) = self.rust_module_item_direct(m, name, depth, type_ctx, skip) {
            return v;
        }
        if let Some(origin) = self.rust.globs.origin(m, name)
            && let Some(v) = self.rust_module_item_direct(origin, name, depth + 1, type_ctx, None)
        {
            return v;
        }
        for p in self.rust.globs.external(m) {
            if self
                .knowledge
                .rust
                .globs
                .iter()
                .any(|g| g.module == *p && g.names.iter().any(|n| n == name))
            {
                return Value::External(format!("{p}.{name}"));
            }
        }
        Value::Unknown
    }

    fn rust_binding_value(
        &self,
        file: FileId,
        scope: ScopeId,
        value: &BoundValue,
        at: u32,
        depth: u32,
        type_ctx: bool,
    ) -> Value {
        if depth > MAX_DEPTH {
            return Value::Unknown;
        }
        match value {
            BoundValue::Expr(e) => {
                if type_ctx {
                    self.rust_alias_type(file, scope, e, depth + 1)
                } else {
                    self.rust_resolve(file, scope, e, at, depth + 1)
                }
            }
            BoundValue::IterOf(e) => match self.rust_resolve(file, scope, e, at, depth + 1) {
                Value::Unknown => Value::Unknown,
                v => Value::Iterated(Box::new(v)),
            },
            BoundValue::WithOf(_) | BoundValue::Unknown => Value::Unknown,
            BoundValue::Param(i) => self.rust_param(file, scope, *i, depth + 1),
            BoundValue::Import(t) => self.rust_import(file, scope, t, depth + 1, type_ctx),
            BoundValue::Function(s) => Value::Function(FuncRef { file, scope: *s }),
            BoundValue::Class(c) => Value::Class(ClassRef { file, class: *c }),
        }
    }

    fn rust_param(&self, file: FileId, scope: ScopeId, index: usize, depth: u32) -> Value {
        let s = &self.models[file].scopes[scope];
        let Some(p) = s.params.get(index) else {
            return Value::Unknown;
        };
        if p.name == "self" {
            return match s.class {
                Some(c) => Value::Instance(ClassRef { file, class: c }),
                None => Value::Unknown,
            };
        }
        match &p.annotation {
            Some(ty) => {
                let outer = s.parent.unwrap_or(0);
                self.rust_instance(self.rust_type(file, outer, ty, depth + 1))
            }
            None => Value::Unknown,
        }
    }

    /// Where a `use` path leads (for glob imports).
    pub(crate) fn rust_import_target(
        &self,
        file: FileId,
        scope: ScopeId,
        target: &ImportTarget,
    ) -> Value {
        self.rust_import(file, scope, target, 0, false)
    }

    /// A `use` path, from the module the `use` is written in; `type_ctx`: the name is
    /// used as a type (a type alias it leads to is read as one).
    fn rust_import(
        &self,
        file: FileId,
        scope: ScopeId,
        target: &ImportTarget,
        depth: u32,
        type_ctx: bool,
    ) -> Value {
        if depth > MAX_DEPTH {
            return Value::Unknown;
        }
        let Some(first) = target.path.first() else {
            return Value::Unknown;
        };
        let mut value = match first.as_str() {
            "crate" => self.rust_crate_root(file, scope),
            "self" => self
                .rust_module_of(file, scope)
                .map(|m| Value::Package(self.rust.modules[m].path.clone()))
                .unwrap_or(Value::Unknown),
            "super" => self
                .rust_module_of(file, scope)
                .and_then(|m| self.rust.modules[m].parent)
                .map(|m| Value::Package(self.rust.modules[m].path.clone()))
                .unwrap_or(Value::Unknown),
            name => {
                // The enclosing module first (uniform paths), but not this import.
                let module_scope = self
                    .rust_module_of(file, scope)
                    .map(|m| self.rust.modules[m].scope)
                    .unwrap_or(0);
                self.rust_lookup(
                    file,
                    module_scope,
                    name,
                    u32::MAX,
                    depth + 1,
                    false,
                    Some(target),
                )
            }
        };
        for seg in &target.path[1..] {
            if value.is_unknown() {
                break;
            }
            value = if seg == "super" {
                match &value {
                    Value::Package(p) => self
                        .rust
                        .module_by_path(p)
                        .and_then(|m| self.rust.modules[m].parent)
                        .map(|m| Value::Package(self.rust.modules[m].path.clone()))
                        .unwrap_or(Value::Unknown),
                    _ => Value::Unknown,
                }
            } else {
                self.rust_step(value, seg, depth + 1, type_ctx)
            };
        }
        value
    }

    /// `value.name`: a method or field of a project type, else an attribute of what the
    /// value is.
    fn rust_member(&self, value: Value, name: &str, depth: u32) -> Value {
        match value {
            Value::Unknown | Value::Package(_) | Value::Module(_) | Value::Function(_) => {
                Value::Unknown
            }
            Value::Instance(c) => {
                if let Some(f) = self.rust_method(c, name, depth + 1) {
                    return Value::Function(f);
                }
                if let Some(v) = self.rust_field(c, name, depth + 1) {
                    return v;
                }
                Value::Attr(Box::new(Value::Instance(c)), name.to_string())
            }
            other => Value::Attr(Box::new(other), name.to_string()),
        }
    }

    /// A method named `name` of a type (given by a type definition, an `impl` block or a
    /// trait): in the class itself, in every `impl` block of the type, then in the
    /// default methods of the traits it implements.
    pub(crate) fn rust_method(&self, c: ClassRef, name: &str, depth: u32) -> Option<FuncRef> {
        let find = |c: ClassRef| {
            let model = &self.models[c.file];
            model.classes[c.class]
                .methods
                .iter()
                .find(|m| model.scopes[**m].name == name)
                .map(|m| FuncRef {
                    file: c.file,
                    scope: *m,
                })
        };
        if let Some(f) = find(c) {
            return Some(f);
        }
        let key = self.rust.key_of(c)?;
        let impls = self.rust.impls_of_key(key);
        if let Some(f) = impls.iter().find_map(|i| find(*i)) {
            return Some(f);
        }
        for imp in impls {
            let model = &self.models[imp.file];
            let class = &model.classes[imp.class];
            for base in &class.bases {
                if let Value::Class(t) =
                    self.rust_type_head(imp.file, class.parent, base, depth + 1)
                    && let Some(f) = find(t)
                {
                    return Some(f);
                }
            }
        }
        // A trait object (`db: &'static dyn Data`) whose trait has one implementation
        // outside tests: that implementation's method. With two or more, which one
        // runs is unknown.
        let mut found = self
            .rust
            .impls_of_trait(key)
            .iter()
            .filter(|i| {
                !self
                    .rust_module_of(i.file, self.models[i.file].classes[i.class].parent)
                    .is_some_and(|m| self.rust.modules[m].test)
            })
            .filter_map(|i| find(*i));
        match (found.next(), found.next()) {
            (Some(f), None) => Some(f),
            _ => None,
        }
    }

    /// Does a Rust value match a knowledge pattern? A project type is named by its path
    /// (`crates_io_worker.background_job.BackgroundJob` when that crate's source is in
    /// the tree); anything else as [`Project::matches`] says.
    pub(crate) fn rust_matches(
        &self,
        value: &Value,
        pattern: &crate::knowledge::PathPattern,
    ) -> bool {
        if let Value::Class(c) = value
            && let Some(key) = self.rust.key_of(*c)
            && pattern.steps.is_empty()
            && pattern.root_matches(key)
        {
            return true;
        }
        self.matches(value, pattern)
    }

    /// The value of a named field of a project struct.
    fn rust_field(&self, c: ClassRef, name: &str, depth: u32) -> Option<Value> {
        let key = self.rust.key_of(c)?;
        let def = self.rust.type_by_key(key)?;
        let model = &self.models[def.file];
        let t = model.rust.types.iter().find(|t| t.class == def.class)?;
        let (_, ty) = t.fields.iter().find(|(n, _)| n == name)?;
        let scope = model.classes[def.class].parent;
        let v = self.rust_instance(self.rust_type(def.file, scope, ty, depth + 1));
        (!v.is_unknown()).then_some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_prefixes() {
        let v = Value::Attr(
            Box::new(Value::Returned(Box::new(Value::External(
                "std.process.Command.new".into(),
            )))),
            "arg".into(),
        );
        assert_eq!(origin(&v), Some("std.process.Command.new"));
        assert!(path_under("std.process.Command.new", "std.process.Command"));
        assert!(!path_under("std.process.Commander", "std.process.Command"));
    }
}

//! The small, language-neutral model of one source file that the frontends build and the
//! index and rules read. Syntax trees never leave the frontends: everything a rule needs
//! (scopes, bindings, calls with their callee expressions and context, decorators or
//! attributes, parameters, classes) is here, with byte spans into the file's text.

use serde::{Deserialize, Serialize};

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: u32, end: u32) -> Span {
        Span { start, end }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Language {
    Python,
    Rust,
}

/// An identifier, attribute name or short literal: most fit in the 24 bytes of the value
/// itself, so a model's thousands of names cost no allocation each.
pub type Name = compact_str::CompactString;

pub type ScopeId = usize;
pub type CallId = usize;
pub type ClassId = usize;
pub type TryId = usize;

/// Everything tasklint knows about one file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileModel {
    pub language: Language,
    /// Scope 0 is the module (file) body.
    pub scopes: Vec<Scope>,
    pub calls: Vec<Call>,
    pub classes: Vec<Class>,
    pub tries: Vec<Try>,
    /// `a.b = value` and `a[key] = value`: assignments that bind no name (Celery's
    /// `app.conf.beat_schedule = {...}`, `SETTINGS["key"] = ...`), in source order.
    pub attr_assignments: Vec<AttrAssignment>,
    pub comments: Vec<Comment>,
    /// Why the file could not be understood (syntax errors, Python 2): TL000.
    pub problems: Vec<Problem>,
    /// Import statements as written (their names are also bindings), for rules about
    /// the import itself.
    #[serde(default)]
    pub imports: Vec<Import>,
    /// Python: the bodies of module-level `if __name__ == "__main__":` blocks (code that
    /// runs only when the file is run as a script).
    #[serde(default)]
    pub main_blocks: Vec<Span>,
    /// Rust items the language-neutral parts above do not describe (empty for Python).
    #[serde(default)]
    pub rust: RustItems,
}

impl FileModel {
    pub fn new(language: Language) -> FileModel {
        FileModel {
            language,
            scopes: Vec::new(),
            calls: Vec::new(),
            classes: Vec::new(),
            tries: Vec::new(),
            attr_assignments: Vec::new(),
            comments: Vec::new(),
            problems: Vec::new(),
            imports: Vec::new(),
            main_blocks: Vec::new(),
            rust: RustItems::default(),
        }
    }

    /// Gives back the slack of the vectors lowering grew by pushing (about a quarter of
    /// a model's memory): the model lives for the whole run.
    pub fn shrink_to_fit(&mut self) {
        self.scopes.shrink_to_fit();
        for s in &mut self.scopes {
            s.params.shrink_to_fit();
            s.decorators.shrink_to_fit();
            s.bindings.shrink_to_fit();
            s.returns.shrink_to_fit();
        }
        self.calls.shrink_to_fit();
        for c in &mut self.calls {
            c.args.shrink_to_fit();
            c.withs.shrink_to_fit();
            c.tries.shrink_to_fit();
            c.guards.shrink_to_fit();
        }
        self.classes.shrink_to_fit();
        for c in &mut self.classes {
            c.bases.shrink_to_fit();
            c.decorators.shrink_to_fit();
            c.methods.shrink_to_fit();
        }
        self.tries.shrink_to_fit();
        self.attr_assignments.shrink_to_fit();
        self.comments.shrink_to_fit();
        self.imports.shrink_to_fit();
    }

    /// The path a decorator or attribute is written with: `d` of `@d(...)` or
    /// `#[d(...)]`, the expression itself when nothing is called.
    pub fn decorator_path<'a>(&'a self, expr: &'a Expr) -> &'a Expr {
        match &expr.kind {
            ExprKind::Call(c) => &self.calls[*c].callee,
            _ => expr,
        }
    }

    /// Functions (not lambdas, classes or the module body).
    pub fn functions(&self) -> impl Iterator<Item = (ScopeId, &Scope)> {
        self.scopes
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == ScopeKind::Function)
    }

    /// The nearest enclosing function or module scope of a scope, skipping lambdas and
    /// class bodies: the code that runs when the lambda does.
    pub fn enclosing_function(&self, mut scope: ScopeId) -> ScopeId {
        loop {
            let s = &self.scopes[scope];
            match (s.kind, s.parent) {
                (ScopeKind::Function | ScopeKind::Module, _) | (_, None) => return scope,
                (_, Some(p)) => scope = p,
            }
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Problem {
    pub span: Span,
    pub message: String,
}

/// A comment that may be a suppression directive; models keep no other comment.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Comment {
    pub span: Span,
    pub text: String,
    /// No code before the comment on its line.
    pub own_line: bool,
}

impl Comment {
    /// Whether a comment's text holds `tasklint` or `noqa` (in any case), the words
    /// every suppression directive is written with.
    pub fn may_be_directive(text: &str) -> bool {
        let bytes = text.as_bytes();
        [&b"tasklint"[..], &b"noqa"[..]]
            .iter()
            .any(|w| bytes.windows(w.len()).any(|x| x.eq_ignore_ascii_case(w)))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScopeKind {
    Module,
    Function,
    Lambda,
    Class,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Scope {
    pub kind: ScopeKind,
    pub name: Name,
    pub name_span: Span,
    /// The whole definition, decorators included.
    pub span: Span,
    pub parent: Option<ScopeId>,
    /// For methods (and class bodies): the class they belong to.
    pub class: Option<ClassId>,
    pub is_async: bool,
    pub params: Vec<Param>,
    /// Outermost first, as written from top to bottom.
    pub decorators: Vec<Decorator>,
    /// Names bound in this scope, in source order.
    pub bindings: Vec<Binding>,
    /// For a lambda or closure: the call it is passed to and the argument position.
    pub passed_to: Option<(CallId, usize)>,
    /// What the function's `return` statements return (a lambda: its body).
    #[serde(default)]
    pub returns: Vec<Expr>,
    /// Python: the declared return type (`-> Client`), `Optional[...]` and `... | None`
    /// taken off, a string annotation read as the name it holds.
    #[serde(default)]
    pub return_annotation: Option<Expr>,
    /// Python: names the function declares `global`: its assignments to them rebind the
    /// module's names.
    #[serde(default)]
    pub globals: Vec<Name>,
}

impl Scope {
    /// Is one of the decorators the bare name `name` (`@staticmethod`, `@classmethod`)?
    pub fn decorated_by_name(&self, name: &str) -> bool {
        self.decorators
            .iter()
            .any(|d| matches!(&d.expr.kind, ExprKind::Name(n) if n == name))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Decorator {
    pub expr: Expr,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParamKind {
    PositionalOnly,
    Normal,
    VarArgs,
    KeywordOnly,
    VarKeywords,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Param {
    pub name: Name,
    pub kind: ParamKind,
    pub has_default: bool,
    #[serde(default)]
    pub default: Option<Expr>,
    pub annotation: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Binding {
    pub name: Name,
    pub value: BoundValue,
    /// The bound name (assignment target, parameter, import alias, definition name).
    pub span: Span,
    /// `x += ...` (extends rather than replaces; e.g. `urlpatterns += [...]`).
    pub augmented: bool,
    /// Python: the declared type of `x: T = value` and `x: T` (a class body's field), as
    /// a parameter annotation is kept.
    #[serde(default)]
    pub annotation: Option<Expr>,
}

impl Binding {
    /// Is the name bound by this binding when code at byte offset `at` runs? The value is
    /// worked out before the name is bound, so in `im = im.convert()` the `im` on the
    /// right is the previous binding's.
    pub fn bound_before(&self, at: u32) -> bool {
        let value_end = match &self.value {
            BoundValue::Expr(e) | BoundValue::IterOf(e) | BoundValue::WithOf(e) => e.span.end,
            _ => 0,
        };
        self.span.start.max(value_end) < at
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum BoundValue {
    /// `name = <expr>`
    Expr(Expr),
    /// `for name in <expr>`: an element of the iterable.
    IterOf(Expr),
    /// `with <expr> as name`
    WithOf(Expr),
    /// A parameter of this scope (index into `params`).
    Param(usize),
    /// `import a.b as name`, `from a import b as name`, `use a::b as name;`
    Import(ImportTarget),
    /// `def name` / `fn name`
    Function(ScopeId),
    /// `class name` / `struct name`
    Class(ClassId),
    /// Destructuring and other forms whose value is not tracked.
    Unknown,
}

/// An imported path before it is resolved against the project's module names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportTarget {
    /// Python: number of leading dots of a relative import (0 = absolute).
    /// Rust: 0 (paths are made absolute by the frontend where it can).
    pub level: u32,
    pub path: Vec<Name>,
    /// `from x import *` / `use x::*`: the binding name is `*`.
    pub glob: bool,
}

/// One import statement: `import a.b as c, d` or `from .a import (b, c as d)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Import {
    /// The whole statement.
    pub span: Span,
    pub scope: ScopeId,
    /// Leading dots of a relative `from` import (0 = absolute).
    pub level: u32,
    /// `from a.b import ...`: `["a", "b"]`; empty for `import ...`.
    pub from: Vec<Name>,
    /// Each imported dotted name as written after `import` (`a.b` in `import a.b as c`,
    /// `b` in `from a import b`, `*` for a glob), with its span.
    pub names: Vec<(Vec<Name>, Span)>,
    /// `try` statements whose body encloses the import, outermost first.
    pub tries: Vec<TryId>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AttrAssignment {
    pub scope: ScopeId,
    /// The attribute or subscript assigned to.
    pub target: Expr,
    pub value: Expr,
    /// `a.b += value`
    pub augmented: bool,
    /// `self.client: Client = value`: the declared type.
    #[serde(default)]
    pub annotation: Option<Expr>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Class {
    pub name: Name,
    pub name_span: Span,
    pub span: Span,
    pub bases: Vec<Expr>,
    pub decorators: Vec<Decorator>,
    /// The scope the class statement is in.
    pub parent: ScopeId,
    /// The class body scope.
    pub body: ScopeId,
    /// Methods defined directly in the body.
    pub methods: Vec<ScopeId>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Call {
    pub scope: ScopeId,
    pub span: Span,
    pub callee: Expr,
    pub args: Vec<Arg>,
    /// The parentheses and everything in them.
    pub args_span: Span,
    /// False when the call is a statement of its own (`f(x)` / `await f(x)`): its value
    /// is discarded.
    pub value_used: bool,
    pub awaited: bool,
    /// `with` items enclosing the call inside its scope, outermost first.
    pub withs: Vec<Expr>,
    /// `try` statements whose body (not handlers) encloses the call, outermost first.
    pub tries: Vec<TryId>,
    /// `if` conditions the call runs under, in its scope, outermost first.
    #[serde(default)]
    pub guards: Vec<Guard>,
    /// The call is a statement followed by more statements in the same block.
    pub followed_by_statement: bool,
    /// `for` / `while` statements whose body encloses the call inside its scope,
    /// outermost first: code before the call in the body also runs after it.
    #[serde(default)]
    pub loops: Vec<Span>,
    /// Rust macro call (`name!(...)`): arguments were not parsed.
    pub is_macro: bool,
}

/// The call runs only when `cond` is truthy (`when`) or falsy (`!when`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Guard {
    pub cond: Expr,
    pub when: bool,
    /// The condition checks whether a name or attribute is still empty (`x is None`,
    /// `not x`, `key not in x`).
    #[serde(default)]
    pub tests: Option<EmptyTest>,
    /// The guarded code runs when the tested value is empty, and fills it (`if _client is
    /// None: _client = connect()`, `if key not in CACHE: CACHE[key] = load(key)`): a
    /// compute-once guard.
    #[serde(default)]
    pub fills: bool,
    /// The guard is an earlier early exit's (`if not ok: return` before the call), not
    /// an `if` enclosing the call.
    #[serde(default)]
    pub after_exit: bool,
}

/// `x is None` (`empty_when: true`), `x is not None` (`false`), `key not in x` (`true`),
/// `x` (`false`): the expression tested, and the value of the condition that means
/// "empty".
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EmptyTest {
    pub expr: Expr,
    pub empty_when: bool,
}

impl Guard {
    pub fn negated(&self) -> Guard {
        Guard {
            cond: self.cond.clone(),
            when: !self.when,
            tests: self.tests.clone(),
            fills: self.fills,
            after_exit: self.after_exit,
        }
    }

    /// The guarded code runs only while the tested value is empty.
    pub fn while_empty(&self) -> Option<&Expr> {
        self.tests
            .as_ref()
            .filter(|t| t.empty_when == self.when)
            .map(|t| &t.expr)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArgKind {
    Positional,
    Keyword,
    /// `*args`
    Star,
    /// `**kwargs`
    DoubleStar,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Arg {
    pub kind: ArgKind,
    pub name: Option<Name>,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Try {
    pub span: Span,
    pub handlers: Vec<ExceptHandler>,
    /// The body's last statement, when it is a simple one (`x = f()`): a handler runs
    /// only if it raised, so the names it binds are not bound in the handlers.
    #[serde(default)]
    pub last_statement: Option<Span>,
}

impl FileModel {
    /// Whether `span` lies in the body of a module-level `if __name__ == "__main__":`.
    pub fn in_main_block(&self, span: Span) -> bool {
        self.main_blocks
            .iter()
            .any(|b| b.start <= span.start && span.end <= b.end)
    }

    /// Of a name's bindings in one scope (in source order), the one code at `at` sees:
    /// the last bound before it, skipping one a `try` body's last statement makes when
    /// `at` is in its handlers; else the last of all (a use before any binding, in a
    /// loop or a closure).
    pub fn binding_seen_at<'b>(&self, bindings: &[&'b Binding], at: u32) -> Option<&'b Binding> {
        bindings
            .iter()
            .rev()
            .find(|b| b.bound_before(at) && !self.unbound_in_handler(b.span, at))
            .or(bindings.last())
            .map(|b| self.import_over_fallback(bindings, b))
    }

    /// `try: from x import y` / `except ImportError: def y(): ...`: the stand-in runs only
    /// where the import fails, so the import is what an installed project runs. A
    /// fallback that imports too (`from new import y` after `from old import y`) may be
    /// the one that works: it stays.
    fn import_over_fallback<'b>(&self, bindings: &[&'b Binding], b: &'b Binding) -> &'b Binding {
        if matches!(b.value, BoundValue::Import(_)) {
            return b;
        }
        let inside =
            |outer: Span, inner: Span| outer.start <= inner.start && inner.end <= outer.end;
        for t in &self.tries {
            let Some(first) = t.handlers.first() else {
                continue;
            };
            let fallback = t
                .handlers
                .iter()
                .any(|h| inside(h.span, b.span) && h.types.iter().any(names_import_error));
            if !fallback {
                continue;
            }
            let body = Span {
                start: t.span.start,
                end: first.span.start,
            };
            if let Some(import) = bindings
                .iter()
                .rev()
                .find(|x| matches!(x.value, BoundValue::Import(_)) && inside(body, x.span))
            {
                return import;
            }
        }
        b
    }

    /// Is a binding at `bound` skipped by the code at `at`: the binding is made by the
    /// last statement of a `try` body and `at` is in one of its `except` handlers (the
    /// handler runs only when that statement raised, before binding anything).
    fn unbound_in_handler(&self, bound: Span, at: u32) -> bool {
        self.tries.iter().any(|t| {
            t.last_statement
                .is_some_and(|s| s.start <= bound.start && bound.end <= s.end)
                && t.handlers
                    .iter()
                    .any(|h| h.span.start <= at && at < h.span.end)
        })
    }
}

fn names_import_error(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Name(n) if n == "ImportError" || n == "ModuleNotFoundError")
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExceptHandler {
    pub span: Span,
    /// Empty for a bare `except:`.
    pub types: Vec<Expr>,
    /// The handler body contains a `raise` statement.
    pub reraises: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum ExprKind {
    Name(Name),
    /// `value.attr` (Python attribute, Rust field or path segment).
    Attr(Box<Expr>, Name),
    Call(CallId),
    Str(Name),
    Int(i64),
    Bool(bool),
    None,
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    /// `None` key: `**splat`.
    Dict(Vec<(Option<Expr>, Expr)>),
    Lambda(ScopeId),
    Subscript(Box<Expr>, Box<Expr>),
    /// `*x` inside a list or tuple.
    Starred(Box<Expr>),
    /// `a or b`: `a` when it is truthy, else `b` (`client or requests.Session()`).
    Or(Box<Expr>, Box<Expr>),
    /// `a if cond else b`: one of the two values (the condition's calls are recorded,
    /// its value is not kept).
    IfElse(Box<Expr>, Box<Expr>),
    /// `not a` (its value is not tracked: a condition's truth is).
    Not(Box<Expr>),
    /// `a and b` (its value is not tracked: a condition's truth is).
    And(Box<Expr>, Box<Expr>),
    /// `a == b`, `a != b`, `a in b`, `a not in b`, `a is b`, `a is not b`: one operator,
    /// two operands (a chain such as `a < b < c` is `Other`). Its value is not tracked:
    /// a condition's truth is, when what it compares is known.
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    /// An f-string with at least one interpolation: the literal text before the first
    /// (`head`) and after the last (`tail`), enough to tell which names
    /// `getattr(self, f"handle_{kind}")` can read.
    Formatted {
        head: Name,
        tail: Name,
    },
    /// An operator, a comprehension...: not tracked.
    Other,
}

/// The operator of an [`ExprKind::Compare`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CmpOp {
    Eq,
    NotEq,
    In,
    NotIn,
    Is,
    IsNot,
}

impl CmpOp {
    /// The operator as Python writes it.
    pub fn from_python(op: &str) -> Option<CmpOp> {
        Some(match op {
            "==" => CmpOp::Eq,
            "!=" => CmpOp::NotEq,
            "in" => CmpOp::In,
            "not in" => CmpOp::NotIn,
            "is" => CmpOp::Is,
            "is not" => CmpOp::IsNot,
            _ => return None,
        })
    }
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }

    pub fn other(span: Span) -> Expr {
        Expr::new(ExprKind::Other, span)
    }

    /// `a.b.c` as `["a", "b", "c"]` when the expression is a plain dotted name.
    pub fn dotted(&self) -> Option<Vec<&str>> {
        match &self.kind {
            ExprKind::Name(n) => Some(vec![n.as_str()]),
            ExprKind::Attr(base, attr) => {
                let mut v = base.dotted()?;
                v.push(attr.as_str());
                Some(v)
            }
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Could this f-string make `name`: a name longer than its literal ends, with those
    /// ends (`f"on_{kind}"` makes `on_refund`, not `on_` or `log`)? False for anything
    /// else.
    pub fn may_format(&self, name: &str) -> bool {
        match &self.kind {
            ExprKind::Formatted { head, tail } => {
                name.len() > head.len() + tail.len()
                    && name.starts_with(head.as_str())
                    && name.ends_with(tail.as_str())
            }
            _ => false,
        }
    }

    pub fn as_call(&self) -> Option<CallId> {
        match self.kind {
            ExprKind::Call(c) => Some(c),
            _ => None,
        }
    }
}

impl Call {
    pub fn keyword(&self, name: &str) -> Option<&Arg> {
        self.args
            .iter()
            .find(|a| a.kind == ArgKind::Keyword && a.name.as_deref() == Some(name))
    }

    pub fn positional(&self) -> impl Iterator<Item = &Arg> {
        self.args.iter().filter(|a| a.kind == ArgKind::Positional)
    }

    /// The attribute name when the callee is `<receiver>.<name>`.
    /// Whether this call and `other` sit in branches of one `if` that exclude each other
    /// (`if`/`else`, or the body of an early exit and the code after it): never both run.
    pub fn excludes(&self, other: &Call) -> bool {
        self.guards.iter().any(|ga| {
            other
                .guards
                .iter()
                .any(|gb| ga.cond.span == gb.cond.span && ga.when != gb.when)
        })
    }

    pub fn method_name(&self) -> Option<&str> {
        match &self.callee.kind {
            ExprKind::Attr(_, name) => Some(name),
            _ => None,
        }
    }

    /// The name the call is written with: `f` of `f(x)`, `m` of `a.b.m(x)`.
    pub fn written_name(&self) -> Option<&str> {
        match &self.callee.kind {
            ExprKind::Name(name) | ExprKind::Attr(_, name) => Some(name),
            _ => None,
        }
    }

    /// Whether the callee is written with one of `names` (`f`, `a.f`, `f.objects.get`;
    /// `""` stands for any name), a cheap test before resolving it.
    pub fn written_with(&self, names: &[&str]) -> bool {
        if names.contains(&"") {
            return true;
        }
        let mut e = &self.callee;
        loop {
            match &e.kind {
                ExprKind::Name(n) => return names.contains(&n.as_str()),
                ExprKind::Attr(base, n) => {
                    if names.contains(&n.as_str()) {
                        return true;
                    }
                    e = base;
                }
                _ => return false,
            }
        }
    }

    pub fn receiver(&self) -> Option<&Expr> {
        match &self.callee.kind {
            ExprKind::Attr(base, _) => Some(base),
            _ => None,
        }
    }

    pub fn has_unpacking(&self) -> bool {
        self.args
            .iter()
            .any(|a| matches!(a.kind, ArgKind::Star | ArgKind::DoubleStar))
    }
}

/// What a Rust file declares beyond scopes, bindings and calls: the module tree, type
/// definitions and `impl` blocks, so the index can build crates and resolve methods.
///
/// How Rust maps onto the rest of the model: an inline `mod x { ... }` is a `Module`
/// scope; a struct, enum, union or trait, and an `impl` block, are each a [`Class`]
/// (methods of an `impl` or trait are its `methods`); attributes are `decorators`
/// (`#[get("/")]` is a call of `get`); a path (`std::fs::read`) is one `Name` holding the
/// path as written with `::` and without generic arguments, while `.` accesses are
/// `Attr`; closures and `async` blocks are `Lambda` scopes; a type is a `Name`, or a
/// `Subscript` of the type by its generic arguments (`Option<T>` like `Optional[T]`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RustItems {
    /// `mod x;` and `mod x { ... }`, in source order.
    pub mods: Vec<ModDecl>,
    pub types: Vec<TypeDef>,
    pub impls: Vec<ImplBlock>,
    /// Declared return types of functions: (function scope, type).
    pub returns: Vec<(ScopeId, Expr)>,
    /// Explicit generic arguments of calls (`register_task::<add>()`): (call, types).
    pub turbofish: Vec<(CallId, Vec<Expr>)>,
    /// Crates named by `#[macro_use] extern crate x;`: their macros (and route
    /// attributes) are in scope everywhere without a `use`.
    pub macro_use: Vec<Name>,
    /// Generic type parameters of functions bounded by a closure or future trait
    /// (`F: FnOnce(&mut Conn) -> R`, `where T: Future`): (function scope, names).
    pub closure_generics: Vec<(ScopeId, Vec<Name>)>,
    /// Calls written in the arguments of a macro tasklint has no knowledge of, read
    /// because every argument is an expression: (call, the innermost such macro call),
    /// sorted by call. Whether they run where the macro is depends on its definition.
    #[serde(default)]
    pub in_macro: Vec<(CallId, CallId)>,
    /// `macro_rules!` definitions: the name, and whether the expansion may not evaluate
    /// its arguments in place (it stringifies them, or puts them in a closure, an
    /// `async` block or a spawned task).
    #[serde(default)]
    pub macro_rules: Vec<(Name, bool)>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModDecl {
    pub name: Name,
    pub name_span: Span,
    /// The module scope the declaration is written in.
    pub parent: ScopeId,
    /// `mod x { ... }`: its scope. `None` for `mod x;` (the body is another file).
    pub body: Option<ScopeId>,
    /// `#[path = "..."]`
    pub path_attr: Option<String>,
    /// `#[cfg(test)]` on the declaration.
    pub cfg_test: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TypeKind {
    Struct,
    Enum,
    Union,
    Trait,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TypeDef {
    pub class: ClassId,
    pub kind: TypeKind,
    /// Named fields and their types (structs only).
    pub fields: Vec<(Name, Expr)>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ImplBlock {
    pub class: ClassId,
    pub self_ty: Expr,
    /// `impl Trait for Type`: the trait.
    pub trait_: Option<Expr>,
}

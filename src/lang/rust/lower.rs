//! Lowers a syn syntax tree into the [`FileModel`] (see [`RustItems`] for how Rust maps
//! onto it). Everything else is walked only to find the calls inside it.
//!
//! Macro calls are recorded as calls (`is_macro`). The arguments of the macros listed
//! below are read by their known shape (`format!`, `vec!`, `join!`, `select!`, tracing's
//! fields, `celery::app!`, ...); any other macro's are read when every one is an
//! expression, and the calls in them are noted (`RustItems::in_macro`): whether they run
//! where the macro is written depends on its definition, which may be in another file
//! (see `Project::deferred_by_macro`). A DSL or a list of statements stays opaque.
//! `macro_rules!` bodies are not code: only whether they run their arguments in place is
//! recorded.

use std::collections::HashSet;

use proc_macro2::{LineColumn, Spacing, TokenStream, TokenTree};
use syn::spanned::Spanned;
use syn::{
    Attribute, Block, Expr as SynExpr, FnArg, GenericArgument, Item, Lit, Meta, Pat, PathArguments,
    ReturnType, Signature, Stmt, Type, UseTree,
};

use super::MAX_NESTING;
use crate::model::*;

/// Macros whose arguments are comma-separated expressions (or `name = expr`), keyed by
/// the macro's last path segment. Everything inside them runs where the macro is.
const EXPR_MACROS: &[&str] = &[
    "format",
    "format_args",
    "print",
    "println",
    "eprint",
    "eprintln",
    "write",
    "writeln",
    "panic",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "vec",
    "dbg",
    "todo",
    "unimplemented",
    "unreachable",
    "anyhow",
    "bail",
    "ensure",
    // sqlx's checked queries: `query!("... $1", id)`, `query_as!(User, "...", id)`; the
    // arguments after the SQL are bound values, evaluated where the macro is.
    "query",
    "query_as",
    "query_scalar",
    "query_unchecked",
    "query_as_unchecked",
    "query_scalar_unchecked",
    "query_file",
    "query_file_as",
    "query_file_scalar",
    "query_file_unchecked",
    "query_file_as_unchecked",
    // rusty-celery: `celery::app!(broker = ..., tasks = [a, b], ...)`.
    "app",
    // utoipa-axum's `routes!(a, b)` and rocket's `routes![a, b]` name handlers.
    "routes",
];

/// Macros whose first argument is an expression and the rest something else:
/// `matches!(value, Pattern | Other if guard)`.
const FIRST_ARG_MACROS: &[&str] = &["matches", "assert_matches", "debug_assert_matches"];

/// Macros that await the futures they are given: `tokio::join!(a(), b())`,
/// `futures::try_join!(..)`. Their arguments are expressions.
const JOIN_MACROS: &[&str] = &["join", "try_join"];

/// Macros that await one future per branch and run the winner's body:
/// `tokio::select! { v = fut => body, .. }` and `futures::select!`.
const SELECT_MACROS: &[&str] = &["select", "select_biased"];

/// `tracing` (and `log`) event and span macros: their arguments are fields
/// (`key = value`, `?value`, `%value`, `target: ".."`) and format arguments.
const TRACING_MACROS: &[&str] = &[
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "event",
    "span",
    "trace_span",
    "debug_span",
    "info_span",
    "warn_span",
    "error_span",
];

/// At most this many `Option` guards are kept per call (see [`Lowerer::guarded`]).
const MAX_GUARDS: usize = 16;

/// Future combinators: in `x.f().map_err(..).await` the call `x.f()` is a future that is
/// awaited too.
const FUTURE_COMBINATORS: &[&str] = &[
    "map_err",
    "map_ok",
    "map",
    "err_into",
    "ok_into",
    "boxed",
    "boxed_local",
    "instrument",
    "in_current_span",
    "with_current_subscriber",
    "fuse",
    "inspect_err",
    "inspect_ok",
    "context",
    "with_context",
];

/// Attributes that say nothing tasklint uses and are everywhere.
const SKIPPED_ATTRIBUTES: &[&str] = &[
    "doc", "derive", "allow", "warn", "deny", "expect", "forbid", "serde", "inline", "must_use",
    "rustfmt", "clippy", "diesel", "sea_orm",
];

/// Byte offsets of a text's lines, and whether each is pure ASCII (then a character
/// column is a byte column).
pub struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
    ascii: Vec<bool>,
    /// Added to every offset: bytes removed before the text syn saw (a BOM).
    shift: u32,
    /// Byte offset of each character of the non-ASCII lines asked about, so that a long
    /// line costs one walk, not one per position.
    wide: std::cell::RefCell<std::collections::HashMap<usize, Vec<u32>>>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str, shift: u32) -> Lines<'a> {
        let mut starts = vec![0];
        let mut ascii = Vec::new();
        let mut line_ascii = true;
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                starts.push(i + 1);
                ascii.push(line_ascii);
                line_ascii = true;
            } else if b >= 0x80 {
                line_ascii = false;
            }
        }
        ascii.push(line_ascii);
        Lines {
            text,
            starts,
            ascii,
            shift,
            wide: Default::default(),
        }
    }

    /// proc-macro2 positions: 1-based line, 0-based column in characters.
    pub fn offset(&self, lc: LineColumn) -> u32 {
        if lc.line == 0 || lc.line > self.starts.len() {
            return self.text.len() as u32 + self.shift;
        }
        let start = self.starts[lc.line - 1];
        let end = self.starts.get(lc.line).copied().unwrap_or(self.text.len());
        let byte = if self.ascii[lc.line - 1] {
            (start + lc.column).min(end)
        } else {
            let mut wide = self.wide.borrow_mut();
            let chars = wide.entry(lc.line).or_insert_with(|| {
                self.text[start..end]
                    .char_indices()
                    .map(|(b, _)| b as u32)
                    .collect()
            });
            chars
                .get(lc.column)
                .map(|b| start + *b as usize)
                .unwrap_or(end)
        };
        byte as u32 + self.shift
    }
}

pub fn lower(file: &syn::File, lines: &Lines) -> FileModel {
    let mut l = Lowerer {
        lines,
        m: FileModel::new(Language::Rust),
        scope: 0,
        depth: 0,
        guards: Vec::new(),
    };
    let end = lines.text.len() as u32 + lines.shift;
    l.m.scopes.push(Scope {
        kind: ScopeKind::Module,
        name: "<module>".into(),
        name_span: Span::new(0, 0),
        span: Span::new(0, end),
        parent: None,
        class: None,
        is_async: false,
        params: Vec::new(),
        decorators: Vec::new(),
        bindings: Vec::new(),
        passed_to: None,
        returns: Vec::new(),
        return_annotation: None,
        globals: Vec::new(),
    });
    l.items(&file.items);
    l.m.rust.in_macro.sort_unstable();
    l.m
}

struct Lowerer<'a> {
    lines: &'a Lines<'a>,
    m: FileModel,
    scope: ScopeId,
    depth: usize,
    /// `Option` tests the code being lowered runs under, in the current scope:
    /// `if let Some(p) = password` is the guard `password` (when true).
    guards: Vec<Guard>,
}

fn path_name(path: &syn::Path) -> String {
    let mut s = String::new();
    for (i, seg) in path.segments.iter().enumerate() {
        if i > 0 {
            s.push_str("::");
        }
        s.push_str(&seg.ident.to_string());
    }
    s
}

fn last_segment(path: &syn::Path) -> String {
    path.segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

fn has_cfg_test(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && matches!(&a.meta, Meta::List(l) if l.tokens.clone().into_iter().any(|t| matches!(t, TokenTree::Ident(i) if i == "test")))
    })
}

impl<'a> Lowerer<'a> {
    fn lo(&self, s: proc_macro2::Span) -> u32 {
        self.lines.offset(s.start())
    }

    fn hi(&self, s: proc_macro2::Span) -> u32 {
        self.lines.offset(s.end())
    }

    fn sp(&self, s: proc_macro2::Span) -> Span {
        Span::new(self.lo(s), self.hi(s))
    }

    fn bind(&mut self, name: &str, value: BoundValue, at: Span) {
        self.m.scopes[self.scope].bindings.push(Binding {
            name: name.into(),
            value,
            span: at,
            augmented: false,
            annotation: None,
        });
    }

    fn new_scope(&mut self, kind: ScopeKind, name: String, name_span: Span, span: Span) -> ScopeId {
        let id = self.m.scopes.len();
        self.m.scopes.push(Scope {
            kind,
            name: name.into(),
            name_span,
            span,
            parent: Some(self.scope),
            class: None,
            is_async: false,
            params: Vec::new(),
            decorators: Vec::new(),
            bindings: Vec::new(),
            passed_to: None,
            returns: Vec::new(),
            return_annotation: None,
            globals: Vec::new(),
        });
        id
    }

    fn enter(&mut self, scope: ScopeId, f: impl FnOnce(&mut Self)) {
        let saved = self.scope;
        let guards = std::mem::take(&mut self.guards);
        self.scope = scope;
        f(self);
        self.scope = saved;
        self.guards = guards;
    }

    /// Lowers `f` under one more guard. Every call copies the guards it runs under, so
    /// their number is bounded (a hostile file nesting hundreds of `if let` around
    /// thousands of calls must not cost quadratic memory); a guard left out only means
    /// less pruning.
    fn guarded<T>(&mut self, guard: Option<Guard>, f: impl FnOnce(&mut Self) -> T) -> T {
        let n = self.guards.len();
        if n < MAX_GUARDS {
            self.guards.extend(guard);
        }
        let out = f(self);
        self.guards.truncate(n);
        out
    }

    fn too_deep(&self) -> bool {
        self.depth > MAX_NESTING * 2
    }

    // ----- items -----

    fn items(&mut self, items: &[Item]) {
        for item in items {
            self.item(item);
        }
    }

    fn item(&mut self, item: &Item) {
        if self.too_deep() {
            return;
        }
        self.depth += 1;
        match item {
            Item::Fn(f) => {
                let head = fn_head(&f.vis, &f.sig);
                let whole = self.item_span(&f.attrs, head, f.block.brace_token.span.close());
                self.function(&f.attrs, &f.sig, Some(&f.block), None, whole);
            }
            Item::Impl(i) => self.impl_block(i),
            Item::Trait(t) => self.trait_def(t),
            Item::Mod(m) => self.module(m),
            Item::Use(u) => {
                let at = self.sp(u.span());
                self.use_tree(Vec::new(), &u.tree, at);
            }
            Item::ExternCrate(e) => {
                let name = e.ident.to_string();
                let bound = e
                    .rename
                    .as_ref()
                    .map(|(_, r)| r.to_string())
                    .unwrap_or_else(|| name.clone());
                let at = self.sp(e.ident.span());
                if bound != "_" && name != "self" {
                    self.bind(
                        &bound,
                        BoundValue::Import(ImportTarget {
                            level: 0,
                            path: vec![name.as_str().into()],
                            glob: false,
                        }),
                        at,
                    );
                }
                if e.attrs.iter().any(|a| a.path().is_ident("macro_use")) {
                    self.m.rust.macro_use.push(name.into());
                }
            }
            Item::Struct(s) => {
                let fields = s
                    .fields
                    .iter()
                    .filter_map(|f| Some((f.ident.as_ref()?.to_string(), self.type_expr(&f.ty))))
                    .collect();
                let span = self.sp(s.span());
                self.type_def(&s.attrs, &s.ident, span, TypeKind::Struct, fields);
            }
            Item::Enum(e) => {
                let span = self.sp(e.span());
                self.type_def(&e.attrs, &e.ident, span, TypeKind::Enum, Vec::new());
            }
            Item::Union(u) => {
                let fields = u
                    .fields
                    .named
                    .iter()
                    .filter_map(|f| Some((f.ident.as_ref()?.to_string(), self.type_expr(&f.ty))))
                    .collect();
                let span = self.sp(u.span());
                self.type_def(&u.attrs, &u.ident, span, TypeKind::Union, fields);
            }
            Item::Type(t) => {
                let ty = self.type_expr(&t.ty);
                let at = self.sp(t.ident.span());
                self.bind(&t.ident.to_string(), BoundValue::Expr(ty), at);
            }
            Item::Const(c) => {
                let v = self.expr(&c.expr);
                let at = self.sp(c.ident.span());
                self.bind(&c.ident.to_string(), BoundValue::Expr(v), at);
            }
            Item::Static(s) => {
                let v = self.expr(&s.expr);
                let at = self.sp(s.ident.span());
                self.bind(&s.ident.to_string(), BoundValue::Expr(v), at);
            }
            // `cfg_if! { if #[cfg(..)] { items } else { items } }` and `cfg_select!`
            // only choose between item lists: every branch is read.
            Item::Macro(m)
                if m.ident.is_none()
                    && matches!(last_segment(&m.mac.path).as_str(), "cfg_if" | "cfg_select") =>
            {
                self.cfg_items(m.mac.tokens.clone());
            }
            // `macro_rules! name { ... }` defines a macro: its body is a template, not
            // code that runs; what matters is whether it runs its arguments in place.
            Item::Macro(m) if m.mac.path.is_ident("macro_rules") => {
                if let Some(name) = &m.ident {
                    let defers = expansion_defers(m.mac.tokens.clone());
                    self.m
                        .rust
                        .macro_rules
                        .push((name.to_string().into(), defers));
                }
            }
            Item::Macro(m) if m.ident.is_none() => {
                let span = self.sp(m.span());
                self.macro_call(&m.mac, span);
            }
            _ => {}
        }
        self.depth -= 1;
    }

    /// The brace groups of a `cfg_if!` / `cfg_select!` body, each a list of items.
    fn cfg_items(&mut self, tokens: TokenStream) {
        for t in tokens {
            if let TokenTree::Group(g) = t
                && g.delimiter() == proc_macro2::Delimiter::Brace
            {
                let parser = |input: syn::parse::ParseStream| {
                    let mut items = Vec::new();
                    while !input.is_empty() {
                        items.push(input.parse::<Item>()?);
                    }
                    Ok(items)
                };
                if let Ok(items) = syn::parse::Parser::parse2(parser, g.stream()) {
                    self.items(&items);
                }
            }
        }
    }

    /// From the first attribute (or the start of `head`) to the closing token.
    fn item_span(
        &self,
        attrs: &[Attribute],
        head: proc_macro2::Span,
        close: proc_macro2::Span,
    ) -> Span {
        let start = attrs
            .iter()
            .filter(|a| !a.path().is_ident("doc"))
            .map(|a| self.lo(a.pound_token.span))
            .next()
            .unwrap_or_else(|| self.lo(head));
        Span::new(start, self.hi(close))
    }

    fn type_def(
        &mut self,
        attrs: &[Attribute],
        ident: &syn::Ident,
        span: Span,
        kind: TypeKind,
        fields: Vec<(String, Expr)>,
    ) -> ClassId {
        let decorators = self.attributes(attrs);
        let name = ident.to_string();
        let name_span = self.sp(ident.span());
        let class = self.new_class(name.clone(), name_span, span, Vec::new(), decorators);
        self.bind(&name, BoundValue::Class(class), name_span);
        self.m.rust.types.push(TypeDef {
            class,
            kind,
            fields: fields.into_iter().map(|(n, e)| (n.into(), e)).collect(),
        });
        class
    }

    fn new_class(
        &mut self,
        name: String,
        name_span: Span,
        span: Span,
        bases: Vec<Expr>,
        decorators: Vec<Decorator>,
    ) -> ClassId {
        let class = self.m.classes.len();
        let body = self.new_scope(ScopeKind::Class, name.clone(), name_span, span);
        self.m.scopes[body].class = Some(class);
        self.m.classes.push(Class {
            name: name.into(),
            name_span,
            span,
            bases,
            decorators,
            parent: self.scope,
            body,
            methods: Vec::new(),
        });
        class
    }

    fn impl_block(&mut self, i: &syn::ItemImpl) {
        let decorators = self.attributes(&i.attrs);
        let self_ty = self.type_expr(&i.self_ty);
        let trait_ = i
            .trait_
            .as_ref()
            .map(|(_, p, _)| Expr::new(ExprKind::Name(path_name(p).into()), self.sp(p.span())));
        let name = type_name(&i.self_ty);
        let name_span = self.sp(i.self_ty.span());
        let span = self.item_span(&i.attrs, i.impl_token.span, i.brace_token.span.close());
        let class = self.new_class(
            name,
            name_span,
            span,
            trait_.iter().cloned().collect(),
            decorators,
        );
        self.m.rust.impls.push(ImplBlock {
            class,
            self_ty,
            trait_,
        });
        let body = self.m.classes[class].body;
        self.enter(body, |l| {
            for item in &i.items {
                match item {
                    syn::ImplItem::Fn(f) => {
                        let head = fn_head(&f.vis, &f.sig);
                        let whole = l.item_span(&f.attrs, head, f.block.brace_token.span.close());
                        l.function(&f.attrs, &f.sig, Some(&f.block), Some(class), whole);
                    }
                    syn::ImplItem::Const(c) => {
                        l.expr(&c.expr);
                    }
                    syn::ImplItem::Macro(m) => {
                        let span = l.sp(m.span());
                        l.macro_call(&m.mac, span);
                    }
                    _ => {}
                }
            }
        });
    }

    fn trait_def(&mut self, t: &syn::ItemTrait) {
        let span = self.item_span(&t.attrs, t.trait_token.span, t.brace_token.span.close());
        let class = self.type_def(&t.attrs, &t.ident, span, TypeKind::Trait, Vec::new());
        let body = self.m.classes[class].body;
        self.enter(body, |l| {
            for item in &t.items {
                if let syn::TraitItem::Fn(f) = item
                    && let Some(block) = &f.default
                {
                    let whole = l.item_span(&f.attrs, f.sig.span(), block.brace_token.span.close());
                    l.function(&f.attrs, &f.sig, Some(block), Some(class), whole);
                }
            }
        });
    }

    fn module(&mut self, m: &syn::ItemMod) {
        let name = m.ident.to_string();
        let name_span = self.sp(m.ident.span());
        let path_attr = m.attrs.iter().find_map(|a| match &a.meta {
            Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
                SynExpr::Lit(l) => match &l.lit {
                    Lit::Str(s) => Some(s.value()),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        });
        let cfg_test = has_cfg_test(&m.attrs);
        let decorators = self.attributes(&m.attrs);
        let parent = self.scope;
        let body = match &m.content {
            Some((brace, items)) => {
                let span = self.item_span(&m.attrs, m.mod_token.span, brace.span.close());
                let id = self.new_scope(ScopeKind::Module, name.clone(), name_span, span);
                self.m.scopes[id].decorators = decorators;
                self.enter(id, |l| l.items(items));
                Some(id)
            }
            None => None,
        };
        self.m.rust.mods.push(ModDecl {
            name: name.into(),
            name_span,
            parent,
            body,
            path_attr,
            cfg_test,
        });
    }

    fn use_tree(&mut self, prefix: Vec<String>, tree: &UseTree, at: Span) {
        match tree {
            UseTree::Path(p) => {
                let mut next = prefix;
                next.push(p.ident.to_string());
                self.use_tree(next, &p.tree, at);
            }
            UseTree::Name(n) => {
                let ident = n.ident.to_string();
                let (name, path) = if ident == "self" {
                    (prefix.last().cloned().unwrap_or_default(), prefix)
                } else {
                    let mut p = prefix;
                    p.push(ident.clone());
                    (ident, p)
                };
                if !name.is_empty() {
                    let span = self.sp(n.ident.span());
                    self.bind_import(&name, path, false, span);
                }
            }
            UseTree::Rename(r) => {
                let rename = r.rename.to_string();
                if rename == "_" {
                    // `use Trait as _;` only brings methods into scope.
                    return;
                }
                let ident = r.ident.to_string();
                let path = if ident == "self" {
                    prefix
                } else {
                    let mut p = prefix;
                    p.push(ident);
                    p
                };
                let span = self.sp(r.rename.span());
                self.bind_import(&rename, path, false, span);
            }
            UseTree::Glob(_) => self.bind_import("*", prefix, true, at),
            UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix.clone(), t, at);
                }
            }
        }
    }

    fn bind_import(&mut self, name: &str, path: Vec<String>, glob: bool, at: Span) {
        if path.is_empty() {
            return;
        }
        self.bind(
            name,
            BoundValue::Import(ImportTarget {
                level: 0,
                path: path.into_iter().map(Into::into).collect(),
                glob,
            }),
            at,
        );
    }

    /// Attributes as decorators, outermost (first written) first: `#[x]` is the name `x`,
    /// `#[x(...)]` a call of `x` whose arguments are read as `name = expr` or `expr`.
    fn attributes(&mut self, attrs: &[Attribute]) -> Vec<Decorator> {
        let mut out = Vec::new();
        for a in attrs {
            let path = a.path();
            if path
                .get_ident()
                .is_some_and(|i| SKIPPED_ATTRIBUTES.contains(&i.to_string().as_str()))
            {
                continue;
            }
            let span = Span::new(
                self.lo(a.pound_token.span),
                self.hi(a.bracket_token.span.close()),
            );
            let name = Expr::new(ExprKind::Name(path_name(path).into()), self.sp(path.span()));
            let expr = match &a.meta {
                Meta::List(list) => {
                    let args = self.token_args(list.tokens.clone());
                    let args_span = self.sp(list.delimiter.span().join());
                    let id = self.push_call(name, args, span, args_span, false);
                    Expr::new(ExprKind::Call(id), span)
                }
                _ => name,
            };
            out.push(Decorator { expr, span });
        }
        out
    }

    // ----- functions -----

    fn function(
        &mut self,
        attrs: &[Attribute],
        sig: &Signature,
        block: Option<&Block>,
        class: Option<ClassId>,
        whole: Span,
    ) -> ScopeId {
        let decorators = self.attributes(attrs);
        let name = sig.ident.to_string();
        let name_span = self.sp(sig.ident.span());
        let id = self.new_scope(ScopeKind::Function, name.clone(), name_span, whole);
        {
            let s = &mut self.m.scopes[id];
            s.class = class;
            s.is_async = sig.asyncness.is_some();
            s.decorators = decorators;
        }
        if let Some(c) = class {
            self.m.classes[c].methods.push(id);
        }
        if let ReturnType::Type(_, ty) = &sig.output {
            let t = self.type_expr(ty);
            self.m.rust.returns.push((id, t));
        }
        let closures = closure_generics(&sig.generics);
        if !closures.is_empty() {
            self.m
                .rust
                .closure_generics
                .push((id, closures.into_iter().map(Into::into).collect()));
        }
        self.bind(&name, BoundValue::Function(id), name_span);
        self.enter(id, |l| {
            for input in &sig.inputs {
                match input {
                    FnArg::Receiver(r) => {
                        let span = l.sp(r.self_token.span);
                        l.param("self", None, span);
                    }
                    FnArg::Typed(pt) => {
                        let ty = l.type_expr(&pt.ty);
                        l.pattern_param(&pt.pat, Some(ty));
                    }
                }
            }
            if let Some(b) = block {
                l.block(b);
            }
        });
        id
    }

    fn param(&mut self, name: &str, annotation: Option<Expr>, span: Span) {
        let params = &mut self.m.scopes[self.scope].params;
        let index = params.len();
        params.push(Param {
            name: name.into(),
            kind: ParamKind::Normal,
            has_default: false,
            default: None,
            annotation,
            span,
        });
        self.bind(name, BoundValue::Param(index), span);
    }

    /// A parameter written as a pattern. `x: T` is the parameter `x`; an extractor
    /// `State(pool): State<Pool>` binds `pool` with the annotation `State<Pool>` (the index
    /// sees through such wrappers); other patterns bind their names to unknown values.
    fn pattern_param(&mut self, pat: &Pat, annotation: Option<Expr>) {
        match pat {
            Pat::Ident(pi) if pi.subpat.is_none() => {
                let span = self.sp(pi.ident.span());
                self.param(&pi.ident.to_string(), annotation, span);
            }
            Pat::Type(pt) => {
                let ty = self.type_expr(&pt.ty);
                self.pattern_param(&pt.pat, Some(ty));
            }
            Pat::Reference(r) => self.pattern_param(&r.pat, annotation),
            Pat::Paren(p) => self.pattern_param(&p.pat, annotation),
            Pat::TupleStruct(ts) if ts.elems.len() == 1 => {
                self.pattern_param(&ts.elems[0], annotation)
            }
            _ => {
                // A name no code can write stands for the whole parameter, so that
                // `State(AppState { db, .. }): State<AppState>` binds `db` to the field
                // `db` of the parameter's type.
                let span = self.sp(pat.span());
                let name = format!("<pattern{}>", self.m.scopes[self.scope].params.len());
                self.param(&name, annotation, span);
                self.bind_pattern(pat, Some(Expr::new(ExprKind::Name(name.into()), span)));
            }
        }
    }

    /// A value computed here but bound to no name the code can use (`fut.await;`,
    /// `if let Err(e) = task.await`): kept as a binding of `_`, which no lookup asks for,
    /// so that the index still sees that `fut` / `task` is used here.
    fn note_evaluated(&mut self, v: &Expr) {
        if matches!(v.kind, ExprKind::Name(_) | ExprKind::Attr(..)) {
            self.bind("_", BoundValue::Expr(v.clone()), v.span);
        }
    }

    /// Binds the names a pattern introduces. `x`, `Some(x)` and `Ok(x)` bind to `value`;
    /// anything else binds unknown.
    fn bind_pattern(&mut self, pat: &Pat, value: Option<Expr>) {
        match pat {
            Pat::Ident(pi) => {
                let span = self.sp(pi.ident.span());
                let v = match (&pi.subpat, value) {
                    (None, Some(v)) => BoundValue::Expr(v),
                    _ => BoundValue::Unknown,
                };
                self.bind(&pi.ident.to_string(), v, span);
                if let Some((_, sub)) = &pi.subpat {
                    self.bind_pattern(sub, None);
                }
            }
            Pat::Type(pt) => self.bind_pattern(&pt.pat, value),
            Pat::Reference(r) => self.bind_pattern(&r.pat, value),
            Pat::Paren(p) => self.bind_pattern(&p.pat, value),
            Pat::TupleStruct(ts) => {
                // `Some(x)` / `Ok(x)` unwrap the value; other variants hold something else.
                let one =
                    ts.elems.len() == 1 && matches!(last_segment(&ts.path).as_str(), "Some" | "Ok");
                if !one && let Some(v) = &value {
                    self.note_evaluated(v);
                }
                for e in &ts.elems {
                    self.bind_pattern(e, if one { value.clone() } else { None });
                }
            }
            // `let (tx, rx) = channel();`: each element comes from the value (an element
            // of a tuple literal is that expression).
            Pat::Tuple(t) => {
                let items = match &value {
                    Some(Expr {
                        kind: ExprKind::Tuple(items),
                        ..
                    }) if items.len() == t.elems.len() => Some(items.clone()),
                    _ => None,
                };
                let mut positional = true;
                for (i, e) in t.elems.iter().enumerate() {
                    if matches!(e, Pat::Rest(_)) {
                        positional = false;
                    }
                    let v = match (&items, &value) {
                        _ if !positional => None,
                        (Some(items), _) => Some(items[i].clone()),
                        (None, Some(v)) => Some(Expr::new(
                            ExprKind::Subscript(
                                Box::new(v.clone()),
                                Box::new(Expr::new(ExprKind::Int(i as i64), v.span)),
                            ),
                            v.span,
                        )),
                        (None, None) => None,
                    };
                    self.bind_pattern(e, v);
                }
            }
            Pat::Slice(s) => {
                for e in &s.elems {
                    self.bind_pattern(e, None);
                }
            }
            // `let Config { client, .. } = config;`: each field's value.
            Pat::Struct(s) => {
                if let Some(v) = &value {
                    self.note_evaluated(v);
                }
                for f in &s.fields {
                    let field = value.as_ref().map(|v| {
                        let name = match &f.member {
                            syn::Member::Named(i) => i.to_string(),
                            syn::Member::Unnamed(i) => i.index.to_string(),
                        };
                        Expr::new(ExprKind::Attr(Box::new(v.clone()), name.into()), v.span)
                    });
                    self.bind_pattern(&f.pat, field);
                }
            }
            Pat::Or(o) => {
                for c in &o.cases {
                    self.bind_pattern(c, value.clone());
                }
            }
            _ => {}
        }
    }

    // ----- statements -----

    /// Lowers a block's statements; returns the value of its tail expression, if any.
    fn block(&mut self, b: &Block) -> Option<Expr> {
        let n = b.stmts.len();
        let depth = self.guards.len();
        let mut tail = None;
        for (i, s) in b.stmts.iter().enumerate() {
            tail = self.stmt(s, i + 1 < n);
            // `let Some(p) = password else { return .. };`: what follows runs only when
            // `password` is `Some`.
            if let Stmt::Local(local) = s
                && let Some(init) = &local.init
                && init.diverge.is_some()
                && let Some(g) = option_test(&local.pat, &init.expr)
                && self.guards.len() < MAX_GUARDS
            {
                self.guards.push(g);
            }
        }
        self.guards.truncate(depth);
        tail
    }

    /// Lowers a statement; returns the value of an expression statement without `;`.
    fn stmt(&mut self, s: &Stmt, followed: bool) -> Option<Expr> {
        if self.too_deep() {
            return None;
        }
        self.depth += 1;
        let mut tail = None;
        match s {
            Stmt::Local(local) => {
                let value = local.init.as_ref().map(|init| {
                    let v = self.expr(&init.expr);
                    if let Some((_, diverge)) = &init.diverge {
                        self.expr(diverge);
                    }
                    v
                });
                // `let _ = f();` drops the value at once; so does `let _x = f();` for the
                // handles TL305 looks at (the binding is never read).
                if let Some(v) = &value
                    && let ExprKind::Call(id) = v.kind
                    && pattern_discards(&local.pat)
                {
                    self.m.calls[id].value_used = false;
                }
                self.bind_pattern(&local.pat, value);
            }
            Stmt::Item(item) => self.item(item),
            Stmt::Expr(e, semi) => {
                let v = self.expr(e);
                if semi.is_some()
                    && let ExprKind::Call(id) = v.kind
                {
                    self.m.calls[id].value_used = false;
                    self.m.calls[id].followed_by_statement = followed;
                }
                self.note_evaluated(&v);
                if semi.is_none() {
                    tail = Some(v);
                }
            }
            Stmt::Macro(m) => {
                let start = match m.mac.path.segments.first() {
                    Some(s) => self.lo(s.ident.span()),
                    None => self.lo(m.mac.bang_token.span),
                };
                let span = Span::new(start, self.hi(m.mac.delimiter.span().close()));
                let id = self.macro_call(&m.mac, span);
                self.m.calls[id].value_used = false;
                self.m.calls[id].followed_by_statement = followed;
            }
        }
        self.depth -= 1;
        tail
    }

    // ----- expressions -----

    /// Where an expression starts: its leftmost token (a loop, so long chains cost no
    /// stack and no re-tokenising).
    fn start_of(&self, mut e: &SynExpr) -> u32 {
        loop {
            e = match e {
                SynExpr::Call(c) => &c.func,
                SynExpr::MethodCall(m) => &m.receiver,
                SynExpr::Field(f) => &f.base,
                SynExpr::Await(a) => &a.base,
                SynExpr::Try(t) => &t.expr,
                SynExpr::Index(i) => &i.expr,
                SynExpr::Binary(b) => &b.left,
                SynExpr::Cast(c) => &c.expr,
                SynExpr::Path(p) => {
                    return match (&p.qself, p.path.segments.first()) {
                        (Some(q), _) => self.lo(q.lt_token.span),
                        (None, Some(s)) => self.lo(s.ident.span()),
                        (None, None) => self.lo(e.span()),
                    };
                }
                SynExpr::Macro(m) => {
                    return match m.mac.path.segments.first() {
                        Some(s) => self.lo(s.ident.span()),
                        None => self.lo(e.span()),
                    };
                }
                SynExpr::Paren(p) => return self.lo(p.paren_token.span.open()),
                SynExpr::Reference(r) => return self.lo(r.and_token.span),
                SynExpr::Lit(l) => return self.lo(l.lit.span()),
                SynExpr::Async(a) => return self.lo(a.async_token.span),
                SynExpr::Block(b) => match &b.label {
                    Some(l) => return self.lo(l.name.apostrophe),
                    None => return self.lo(b.block.brace_token.span.open()),
                },
                SynExpr::Tuple(t) => return self.lo(t.paren_token.span.open()),
                SynExpr::Array(a) => return self.lo(a.bracket_token.span.open()),
                SynExpr::Unary(u) => return self.lo(u.op.span()),
                SynExpr::Range(r) => match &r.start {
                    Some(s) => s,
                    None => return self.lo(r.limits.span()),
                },
                SynExpr::Closure(c) => {
                    return c
                        .asyncness
                        .map(|a| self.lo(a.span))
                        .or(c.capture.map(|m| self.lo(m.span)))
                        .unwrap_or_else(|| self.lo(c.or1_token.span));
                }
                SynExpr::Assign(a) => &a.left,
                SynExpr::Group(g) => &g.expr,
                SynExpr::If(i) => return self.lo(i.if_token.span),
                SynExpr::Match(m) => return self.lo(m.match_token.span),
                SynExpr::While(w) => match &w.label {
                    Some(l) => return self.lo(l.name.apostrophe),
                    None => return self.lo(w.while_token.span),
                },
                SynExpr::Loop(l) => match &l.label {
                    Some(lb) => return self.lo(lb.name.apostrophe),
                    None => return self.lo(l.loop_token.span),
                },
                SynExpr::ForLoop(f) => match &f.label {
                    Some(lb) => return self.lo(lb.name.apostrophe),
                    None => return self.lo(f.for_token.span),
                },
                SynExpr::Let(l) => return self.lo(l.let_token.span),
                SynExpr::Return(r) => return self.lo(r.return_token.span),
                SynExpr::Break(b) => return self.lo(b.break_token.span),
                SynExpr::Continue(c) => return self.lo(c.continue_token.span),
                SynExpr::Yield(y) => return self.lo(y.yield_token.span),
                SynExpr::Unsafe(u) => return self.lo(u.unsafe_token.span),
                SynExpr::Const(c) => return self.lo(c.const_token.span),
                SynExpr::TryBlock(t) => return self.lo(t.try_token.span),
                SynExpr::RawAddr(r) => return self.lo(r.and_token.span),
                SynExpr::Repeat(r) => return self.lo(r.bracket_token.span.open()),
                SynExpr::Struct(st) => match st.path.segments.first() {
                    Some(seg) => return self.lo(seg.ident.span()),
                    None => return self.lo(st.brace_token.span.open()),
                },
                // Rarely reached: spanning re-tokenises, but only this node.
                _ => return self.lo(e.span()),
            };
        }
    }

    fn expr(&mut self, e: &SynExpr) -> Expr {
        if self.too_deep() {
            return Expr::other(Span::new(self.start_of(e), self.start_of(e)));
        }
        self.depth += 1;
        let out = self.expr_inner(e);
        self.depth -= 1;
        out
    }

    fn expr_inner(&mut self, e: &SynExpr) -> Expr {
        let start = self.start_of(e);
        let other = |_: &Self, end: u32| Expr::other(Span::new(start, end.max(start)));
        match e {
            SynExpr::Path(p) => {
                let span = self.sp(p.span());
                if p.qself.is_some() {
                    return Expr::other(span);
                }
                // `None` (a variant of the prelude's `Option`): the literal absence that
                // `if let Some(..)` guards test.
                if p.path.is_ident("None") {
                    return Expr::new(ExprKind::None, span);
                }
                Expr::new(ExprKind::Name(path_name(&p.path).into()), span)
            }
            SynExpr::Lit(l) => {
                let span = self.sp(l.lit.span());
                let kind = match &l.lit {
                    Lit::Str(s) => ExprKind::Str(s.value().into()),
                    Lit::Int(i) => i
                        .base10_parse::<i64>()
                        .map(ExprKind::Int)
                        .unwrap_or(ExprKind::Other),
                    Lit::Bool(b) => ExprKind::Bool(b.value),
                    _ => ExprKind::Other,
                };
                Expr::new(kind, span)
            }
            SynExpr::Call(c) => {
                let callee = match &*c.func {
                    SynExpr::Path(p) if p.qself.is_none() => {
                        Expr::new(ExprKind::Name(path_name(&p.path).into()), self.sp(p.span()))
                    }
                    f => self.expr(f),
                };
                let args = self.call_args(c.args.iter());
                let end = self.hi(c.paren_token.span.close());
                let args_span = self.sp(c.paren_token.span.join());
                let span = Span::new(start, end);
                let id = self.push_call(callee, args, span, args_span, false);
                if let SynExpr::Path(p) = &*c.func {
                    // `Foo::<T>::new()` / `f::<T>()`: keep explicit type arguments.
                    let generics: Vec<Expr> = p
                        .path
                        .segments
                        .iter()
                        .flat_map(|s| self.generic_types(&s.arguments))
                        .collect();
                    if !generics.is_empty() {
                        self.m.rust.turbofish.push((id, generics));
                    }
                }
                Expr::new(ExprKind::Call(id), span)
            }
            SynExpr::MethodCall(_) | SynExpr::Field(_) | SynExpr::Await(_) | SynExpr::Try(_) => {
                self.postfix_chain(e, start)
            }
            // `(x)`, `&x`, `*x`: the same value for what tasklint tracks (as `x?`).
            SynExpr::Paren(p) => {
                let inner = self.expr(&p.expr);
                Expr::new(inner.kind, self.sp(p.paren_token.span.join()))
            }
            SynExpr::Group(g) => self.expr(&g.expr),
            SynExpr::Reference(r) => {
                let inner = self.expr(&r.expr);
                let end = inner.span.end;
                Expr::new(inner.kind, Span::new(start, end))
            }
            SynExpr::RawAddr(r) => self.expr(&r.expr),
            SynExpr::Unary(u) => {
                let inner = self.expr(&u.expr);
                match u.op {
                    syn::UnOp::Deref(_) => {
                        let end = inner.span.end;
                        Expr::new(inner.kind, Span::new(start, end))
                    }
                    _ => other(self, inner.span.end),
                }
            }
            SynExpr::Index(i) => {
                let value = self.expr(&i.expr);
                let index = self.expr(&i.index);
                let end = self.hi(i.bracket_token.span.close());
                Expr::new(
                    ExprKind::Subscript(Box::new(value), Box::new(index)),
                    Span::new(start, end),
                )
            }
            SynExpr::Closure(c) => {
                let id = self.closure(c);
                let span = self.m.scopes[id].span;
                Expr::new(ExprKind::Lambda(id), span)
            }
            SynExpr::Async(a) => {
                let span = Span::new(
                    self.lo(a.async_token.span),
                    self.hi(a.block.brace_token.span.close()),
                );
                let id = self.new_scope(ScopeKind::Lambda, "<async block>".into(), span, span);
                self.m.scopes[id].is_async = true;
                self.enter(id, |l| {
                    l.block(&a.block);
                });
                Expr::new(ExprKind::Lambda(id), span)
            }
            SynExpr::Block(b) => {
                // `spawn_blocking({ let db = db.clone(); move || db.dump() })`: a block
                // whose value is a closure is that closure (it runs where the closure does).
                match self.block(&b.block) {
                    Some(v) if matches!(v.kind, ExprKind::Lambda(_)) => v,
                    _ => other(self, self.hi(b.block.brace_token.span.close())),
                }
            }
            SynExpr::Unsafe(u) => {
                self.block(&u.block);
                other(self, self.hi(u.block.brace_token.span.close()))
            }
            SynExpr::Const(c) => {
                self.block(&c.block);
                other(self, self.hi(c.block.brace_token.span.close()))
            }
            SynExpr::TryBlock(t) => {
                self.block(&t.block);
                other(self, self.hi(t.block.brace_token.span.close()))
            }
            SynExpr::If(i) => {
                self.expr(&i.cond);
                let test = condition_test(&i.cond);
                let then = self.guarded(test.clone(), |l| l.block(&i.then_branch));
                let mut end = self.hi(i.then_branch.brace_token.span.close());
                let Some((_, e)) = &i.else_branch else {
                    return other(self, end);
                };
                // The value of an `else { .. }` block is its tail (an `else if` is an
                // `if` expression already).
                let alternative = self.guarded(test.map(|g| g.negated()), |l| match &**e {
                    SynExpr::Block(b) if b.label.is_none() => {
                        let v = l.block(&b.block);
                        let close = l.hi(b.block.brace_token.span.close());
                        (v, close)
                    }
                    e => {
                        let v = l.expr(e);
                        let close = v.span.end;
                        (Some(v), close)
                    }
                });
                end = alternative.1;
                // `let sender = if tls { A::relay(h)?.build() } else { A::plain(h).build() }`:
                // one of the two values. A branch without a value (it returns or panics)
                // leaves the other.
                match (then, alternative.0) {
                    (Some(a), Some(b)) => Expr::new(
                        ExprKind::IfElse(Box::new(a), Box::new(b)),
                        Span::new(start, end),
                    ),
                    (Some(v), None) | (None, Some(v)) if !matches!(v.kind, ExprKind::Other) => {
                        Expr::new(
                            ExprKind::IfElse(Box::new(v.clone()), Box::new(v)),
                            Span::new(start, end),
                        )
                    }
                    _ => other(self, end),
                }
            }
            SynExpr::Let(l) => {
                let v = self.expr(&l.expr);
                let end = v.span.end;
                self.bind_pattern(&l.pat, Some(v));
                other(self, end)
            }
            SynExpr::Match(m) => {
                let v = self.expr(&m.expr);
                self.note_evaluated(&v);
                for arm in &m.arms {
                    self.bind_pattern(&arm.pat, Some(v.clone()));
                    if let Some((_, g)) = &arm.guard {
                        self.expr(g);
                    }
                    let test = option_test(&arm.pat, &m.expr);
                    self.guarded(test, |l| l.expr(&arm.body));
                }
                other(self, self.hi(m.brace_token.span.close()))
            }
            SynExpr::ForLoop(f) => {
                let iter = self.expr(&f.expr);
                self.bind_pattern_iter(&f.pat, iter);
                self.block(&f.body);
                other(self, self.hi(f.body.brace_token.span.close()))
            }
            SynExpr::While(w) => {
                self.expr(&w.cond);
                self.block(&w.body);
                other(self, self.hi(w.body.brace_token.span.close()))
            }
            SynExpr::Loop(l) => {
                self.block(&l.body);
                other(self, self.hi(l.body.brace_token.span.close()))
            }
            SynExpr::Assign(a) => {
                let right = self.expr(&a.right);
                let end = right.span.end;
                match &*a.left {
                    SynExpr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some() => {
                        let name = p.path.segments[0].ident.to_string();
                        let at = self.sp(p.span());
                        self.bind(&name, BoundValue::Expr(right), at);
                    }
                    left => {
                        self.expr(left);
                    }
                }
                other(self, end)
            }
            SynExpr::Binary(b) => {
                self.expr(&b.left);
                let r = self.expr(&b.right);
                other(self, r.span.end)
            }
            SynExpr::Cast(c) => {
                let v = self.expr(&c.expr);
                other(self, v.span.end)
            }
            SynExpr::Range(r) => {
                let mut end = start;
                if let Some(s) = &r.start {
                    end = self.expr(s).span.end;
                }
                if let Some(e) = &r.end {
                    end = self.expr(e).span.end;
                }
                other(self, end)
            }
            SynExpr::Repeat(r) => {
                self.expr(&r.expr);
                self.expr(&r.len);
                other(self, self.hi(r.bracket_token.span.close()))
            }
            SynExpr::Return(r) => {
                let mut end = self.hi(r.return_token.span);
                if let Some(v) = &r.expr {
                    end = self.expr(v).span.end;
                }
                other(self, end)
            }
            SynExpr::Break(b) => {
                let mut end = self.hi(b.break_token.span);
                if let Some(v) = &b.expr {
                    end = self.expr(v).span.end;
                }
                other(self, end)
            }
            SynExpr::Yield(y) => {
                let mut end = self.hi(y.yield_token.span);
                if let Some(v) = &y.expr {
                    end = self.expr(v).span.end;
                }
                other(self, end)
            }
            // `Client { url, .. }` is lowered as a call of the type with keyword arguments,
            // like a tuple struct's `Client(url)`: its value is an instance of the type,
            // so `Client { .. }.send()` resolves to the type's method.
            SynExpr::Struct(st) => {
                let mut args = Vec::new();
                for f in &st.fields {
                    let value = self.expr(&f.expr);
                    let name = match &f.member {
                        syn::Member::Named(i) => i.to_string(),
                        syn::Member::Unnamed(i) => i.index.to_string(),
                    };
                    args.push(Arg {
                        kind: ArgKind::Keyword,
                        name: Some(name.into()),
                        span: value.span,
                        value,
                    });
                }
                if let Some(r) = &st.rest {
                    self.expr(r);
                }
                let end = self.hi(st.brace_token.span.close());
                if st.qself.is_some() {
                    return other(self, end);
                }
                let callee = Expr::new(
                    ExprKind::Name(path_name(&st.path).into()),
                    self.sp(st.path.span()),
                );
                let args_span = self.sp(st.brace_token.span.join());
                let span = Span::new(start, end);
                let id = self.push_call(callee, args, span, args_span, false);
                Expr::new(ExprKind::Call(id), span)
            }
            SynExpr::Tuple(t) => {
                let items = t.elems.iter().map(|x| self.expr(x)).collect();
                Expr::new(ExprKind::Tuple(items), self.sp(t.paren_token.span.join()))
            }
            SynExpr::Array(a) => {
                let items = a.elems.iter().map(|x| self.expr(x)).collect();
                Expr::new(ExprKind::List(items), self.sp(a.bracket_token.span.join()))
            }
            SynExpr::Macro(m) => {
                let span = Span::new(start, self.hi(m.mac.delimiter.span().close()));
                let id = self.macro_call(&m.mac, span);
                Expr::new(ExprKind::Call(id), span)
            }
            _ => other(self, self.hi(e.span())),
        }
    }

    /// `a.b().c.d()?.await`: chains of postfix operations are lowered in a loop, not by
    /// recursion, so that a builder chain thousands of calls long costs no stack.
    fn postfix_chain(&mut self, e: &SynExpr, start: u32) -> Expr {
        let mut chain = Vec::new();
        let mut cur = e;
        loop {
            match cur {
                SynExpr::MethodCall(m) => {
                    chain.push(cur);
                    cur = &m.receiver;
                }
                SynExpr::Field(f) => {
                    chain.push(cur);
                    cur = &f.base;
                }
                SynExpr::Await(a) => {
                    chain.push(cur);
                    cur = &a.base;
                }
                SynExpr::Try(t) => {
                    chain.push(cur);
                    cur = &t.expr;
                }
                _ => break,
            }
        }
        let mut value = self.expr(cur);
        for node in chain.into_iter().rev() {
            value = match node {
                SynExpr::MethodCall(m) => {
                    let method = m.method.to_string();
                    let callee_span = Span::new(start, self.hi(m.method.span()));
                    let callee =
                        Expr::new(ExprKind::Attr(Box::new(value), method.into()), callee_span);
                    let args = self.call_args(m.args.iter());
                    let end = self.hi(m.paren_token.span.close());
                    let args_span = self.sp(m.paren_token.span.join());
                    let span = Span::new(start, end);
                    let id = self.push_call(callee, args, span, args_span, false);
                    if let Some(t) = &m.turbofish {
                        let generics: Vec<Expr> = t
                            .args
                            .iter()
                            .filter_map(|a| match a {
                                GenericArgument::Type(ty) => Some(self.type_expr(ty)),
                                _ => None,
                            })
                            .collect();
                        if !generics.is_empty() {
                            self.m.rust.turbofish.push((id, generics));
                        }
                    }
                    Expr::new(ExprKind::Call(id), span)
                }
                SynExpr::Field(f) => {
                    let (name, end) = match &f.member {
                        syn::Member::Named(i) => (i.to_string(), self.hi(i.span())),
                        syn::Member::Unnamed(i) => (i.index.to_string(), self.hi(i.span)),
                    };
                    Expr::new(
                        ExprKind::Attr(Box::new(value), name.into()),
                        Span::new(start, end),
                    )
                }
                SynExpr::Await(a) => {
                    if let ExprKind::Call(id) = value.kind {
                        self.mark_awaited(id);
                    }
                    Expr::new(value.kind, Span::new(start, self.hi(a.await_token.span)))
                }
                SynExpr::Try(t) => {
                    Expr::new(value.kind, Span::new(start, self.hi(t.question_token.span)))
                }
                _ => value,
            };
        }
        value
    }

    fn bind_pattern_iter(&mut self, pat: &Pat, iter: Expr) {
        match pat {
            Pat::Ident(pi) if pi.subpat.is_none() => {
                let span = self.sp(pi.ident.span());
                self.bind(&pi.ident.to_string(), BoundValue::IterOf(iter), span);
            }
            p => self.bind_pattern(p, None),
        }
    }

    fn call_args<'e>(&mut self, args: impl Iterator<Item = &'e SynExpr>) -> Vec<Arg> {
        args.map(|a| {
            let value = self.expr(a);
            Arg {
                kind: ArgKind::Positional,
                name: None,
                span: value.span,
                value,
            }
        })
        .collect()
    }

    fn push_call(
        &mut self,
        callee: Expr,
        args: Vec<Arg>,
        span: Span,
        args_span: Span,
        is_macro: bool,
    ) -> CallId {
        let id = self.m.calls.len();
        for (i, a) in args.iter().enumerate() {
            let lambda = match &a.value.kind {
                ExprKind::Lambda(l) => Some(*l),
                // `let job = move || ..; spawn_blocking(job)`: the closure is handed over.
                ExprKind::Name(n) => self.bound_lambda(n),
                _ => None,
            };
            if let Some(l) = lambda
                && self.m.scopes[l].passed_to.is_none()
            {
                self.m.scopes[l].passed_to = Some((id, i));
            }
        }
        self.m.calls.push(Call {
            scope: self.scope,
            span,
            callee,
            args,
            args_span,
            value_used: true,
            awaited: false,
            withs: Vec::new(),
            tries: Vec::new(),
            guards: self.guards.clone(),
            followed_by_statement: false,
            loops: Vec::new(),
            is_macro,
        });
        id
    }

    /// The closure a local name was last bound to, in the enclosing function.
    fn bound_lambda(&self, name: &str) -> Option<ScopeId> {
        let mut scope = Some(self.scope);
        while let Some(s) = scope {
            let sc = &self.m.scopes[s];
            // The closure is bound shortly before: a bounded look back keeps huge
            // functions linear.
            if let Some(b) = sc.bindings.iter().rev().take(256).find(|b| b.name == name) {
                return match &b.value {
                    BoundValue::Expr(Expr {
                        kind: ExprKind::Lambda(l),
                        ..
                    }) => Some(*l),
                    _ => None,
                };
            }
            if !matches!(sc.kind, ScopeKind::Lambda) {
                return None;
            }
            scope = sc.parent;
        }
        None
    }

    fn mark_awaited(&mut self, mut id: CallId) {
        loop {
            self.m.calls[id].awaited = true;
            let next = match &self.m.calls[id].callee.kind {
                ExprKind::Attr(recv, m) if FUTURE_COMBINATORS.contains(&m.as_str()) => {
                    recv.as_call()
                }
                _ => None,
            };
            match next {
                Some(n) => id = n,
                None => return,
            }
        }
    }

    fn closure(&mut self, c: &syn::ExprClosure) -> ScopeId {
        let start = c
            .asyncness
            .map(|a| self.lo(a.span))
            .or(c.capture.map(|m| self.lo(m.span)))
            .unwrap_or_else(|| self.lo(c.or1_token.span));
        let body_start = self.start_of(&c.body);
        let span = Span::new(start, body_start);
        let id = self.new_scope(ScopeKind::Lambda, "<closure>".into(), span, span);
        // `|x| async move { ... }` is an async closure in all but name.
        let async_body = matches!(&*c.body, SynExpr::Async(_));
        self.m.scopes[id].is_async = c.asyncness.is_some() || async_body;
        let mut end = body_start;
        self.enter(id, |l| {
            for p in &c.inputs {
                l.pattern_param(p, None);
            }
            end = match &*c.body {
                SynExpr::Async(a) => {
                    l.block(&a.block);
                    l.hi(a.block.brace_token.span.close())
                }
                body => l.expr(body).span.end,
            };
        });
        self.m.scopes[id].span = Span::new(start, end);
        self.m.scopes[id].name_span =
            Span::new(self.lo(c.or1_token.span), self.hi(c.or2_token.span));
        id
    }

    // ----- macros -----

    /// Records a macro call. The arguments of the expression-like macros in
    /// [`EXPR_MACROS`] are read; any other macro stays opaque.
    fn macro_call(&mut self, mac: &syn::Macro, span: Span) -> CallId {
        let name = path_name(&mac.path);
        let callee = Expr::new(ExprKind::Name(name.into()), self.sp(mac.path.span()));
        let args_span = self.sp(mac.delimiter.span().join());
        let last = last_segment(&mac.path);
        let args = if EXPR_MACROS.contains(&last.as_str()) {
            self.token_args(mac.tokens.clone())
        } else if JOIN_MACROS.contains(&last.as_str()) {
            let args = self.token_args(mac.tokens.clone());
            for a in &args {
                if let ExprKind::Call(id) = a.value.kind {
                    self.mark_awaited(id);
                }
            }
            args
        } else if SELECT_MACROS.contains(&last.as_str()) {
            self.select_branches(mac.tokens.clone());
            Vec::new()
        } else if TRACING_MACROS.contains(&last.as_str()) {
            self.field_args(mac.tokens.clone())
        } else if last == "json" {
            let mut out = Vec::new();
            self.json_args(mac.tokens.clone(), &mut out, 0);
            out
        } else if FIRST_ARG_MACROS.contains(&last.as_str()) {
            let first: TokenStream = comma_parts(mac.tokens.clone())
                .into_iter()
                .next()
                .unwrap_or_default()
                .into_iter()
                .collect();
            self.token_args(first)
        } else if let (parsed, true) = parse_token_args(mac.tokens.clone()) {
            // Any other macro whose arguments are all expressions
            // (`report_error!(client.fetch(url))`): read, and the calls in them noted, as
            // whether they run here depends on the macro's definition (a project macro
            // that stringifies or spawns them does not run them).
            let first_call = self.m.calls.len();
            let noted = self.m.rust.in_macro.len();
            let args = self.lower_token_args(parsed);
            let id = self.push_call(callee, args, span, args_span, true);
            // Calls of a macro nested in these arguments keep that innermost macro.
            let inner: HashSet<CallId> = self.m.rust.in_macro[noted..]
                .iter()
                .map(|(c, _)| *c)
                .collect();
            for c in first_call..id {
                if !inner.contains(&c) {
                    self.m.rust.in_macro.push((c, id));
                }
            }
            return id;
        } else {
            Vec::new()
        };
        self.push_call(callee, args, span, args_span, true)
    }

    /// Reads `a, name = b, c` from a token stream: each top-level comma-separated part is
    /// an expression, or `name = expression`. Parts that are not are skipped.
    fn token_args(&mut self, tokens: TokenStream) -> Vec<Arg> {
        let (parsed, _) = parse_token_args(tokens);
        self.lower_token_args(parsed)
    }

    fn lower_token_args(&mut self, parsed: Vec<(Option<String>, SynExpr)>) -> Vec<Arg> {
        parsed
            .into_iter()
            .map(|(keyword, e)| {
                let value = self.expr(&e);
                Arg {
                    kind: if keyword.is_some() {
                        ArgKind::Keyword
                    } else {
                        ArgKind::Positional
                    },
                    name: keyword.map(Into::into),
                    span: value.span,
                    value,
                }
            })
            .collect()
    }

    /// `tokio::select! { biased; pat = fut, if cond => body, else => body }` (and
    /// `futures::select!`, whose fallbacks are `complete =>` and `default =>`): each
    /// branch's future is awaited here, its pattern binds in the body. A body that does
    /// not parse leaves the whole macro unread.
    fn select_branches(&mut self, tokens: TokenStream) {
        let Ok(branches) = syn::parse::Parser::parse2(parse_select, tokens) else {
            return;
        };
        for b in branches {
            let fut = b.fut.map(|f| {
                let v = self.expr(&f);
                if let ExprKind::Call(id) = v.kind {
                    self.mark_awaited(id);
                }
                v
            });
            if let Some(c) = &b.cond {
                self.expr(c);
            }
            if let Some(p) = &b.pat {
                self.bind_pattern(p, fut);
            }
            self.expr(&b.body);
        }
    }

    /// Arguments of a `tracing` / `log` macro: each comma-separated part without its
    /// `target:` / `parent:` / `name:` prefix, its field name (`a.b =`) and its `?` / `%`
    /// sigil, read as an expression.
    fn field_args(&mut self, tokens: TokenStream) -> Vec<Arg> {
        let mut args = Vec::new();
        for part in comma_parts(tokens) {
            let mut rest: &[TokenTree] = &part;
            // `target: "x"`, `parent: &span`, `name: "x"`, `Level::INFO` stays.
            if let [TokenTree::Ident(_), TokenTree::Punct(p), tail @ ..] = rest
                && p.as_char() == ':'
                && p.spacing() == Spacing::Alone
            {
                rest = tail;
            }
            // `a.b.c = value`
            let mut i = 0;
            while let Some(TokenTree::Ident(_)) = rest.get(i) {
                match rest.get(i + 1) {
                    Some(TokenTree::Punct(p)) if p.as_char() == '.' => i += 2,
                    Some(TokenTree::Punct(p))
                        if p.as_char() == '=' && p.spacing() == Spacing::Alone =>
                    {
                        rest = &rest[i + 2..];
                        break;
                    }
                    _ => break,
                }
            }
            if let [TokenTree::Punct(p), tail @ ..] = rest
                && matches!(p.as_char(), '?' | '%')
            {
                rest = tail;
            }
            if rest.is_empty() {
                continue;
            }
            let ts: TokenStream = rest.iter().cloned().collect();
            let Ok(parsed) = syn::parse2::<SynExpr>(ts) else {
                continue;
            };
            let value = self.expr(&parsed);
            args.push(Arg {
                kind: ArgKind::Positional,
                name: None,
                span: value.span,
                value,
            });
        }
        args
    }

    /// `serde_json::json!({"k": expr, "list": [a, b], ...})`: the values are
    /// expressions (the keys are strings), nested objects and arrays included.
    fn json_args(&mut self, tokens: TokenStream, out: &mut Vec<Arg>, depth: usize) {
        if depth > MAX_NESTING {
            return;
        }
        for part in comma_parts(tokens) {
            // `"key": value` → the value.
            let value: Vec<TokenTree> = match part.iter().position(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ':' && p.spacing() == Spacing::Alone)) {
                Some(1) => part[2..].to_vec(),
                _ => part,
            };
            match value.as_slice() {
                [] => {}
                [TokenTree::Group(g)]
                    if matches!(
                        g.delimiter(),
                        proc_macro2::Delimiter::Brace | proc_macro2::Delimiter::Bracket
                    ) =>
                {
                    self.json_args(g.stream(), out, depth + 1);
                }
                tokens => {
                    let ts: TokenStream = tokens.iter().cloned().collect();
                    if let Ok(parsed) = syn::parse2::<SynExpr>(ts) {
                        let value = self.expr(&parsed);
                        out.push(Arg {
                            kind: ArgKind::Positional,
                            name: None,
                            span: value.span,
                            value,
                        });
                    }
                }
            }
        }
    }

    // ----- types -----

    /// A type as an expression: `a::B` is `Name("a::B")`, `a::B<T, U>` the subscript of it
    /// by `T` (one argument) or by the tuple of them; references and parentheses are
    /// transparent; `impl Trait` / `dyn Trait` are the trait.
    fn type_expr(&mut self, ty: &Type) -> Expr {
        if self.too_deep() {
            return Expr::other(Span::new(0, 0));
        }
        self.depth += 1;
        let out = match ty {
            Type::Reference(r) => self.type_expr(&r.elem),
            Type::Paren(p) => self.type_expr(&p.elem),
            Type::Group(g) => self.type_expr(&g.elem),
            Type::Ptr(p) => self.type_expr(&p.elem),
            Type::Path(tp) if tp.qself.is_none() => self.type_path(&tp.path),
            Type::ImplTrait(it) => match it.bounds.iter().find_map(|b| match b {
                syn::TypeParamBound::Trait(t) => Some(&t.path),
                _ => None,
            }) {
                Some(p) => self.type_path(p),
                None => Expr::other(self.sp(ty.span())),
            },
            Type::TraitObject(to) => match to.bounds.iter().find_map(|b| match b {
                syn::TypeParamBound::Trait(t) => Some(&t.path),
                _ => None,
            }) {
                Some(p) => self.type_path(p),
                None => Expr::other(self.sp(ty.span())),
            },
            Type::Tuple(t) => {
                let items = t.elems.iter().map(|e| self.type_expr(e)).collect();
                Expr::new(ExprKind::Tuple(items), self.sp(t.paren_token.span.join()))
            }
            Type::Slice(s) => {
                let inner = self.type_expr(&s.elem);
                Expr::new(
                    ExprKind::List(vec![inner]),
                    self.sp(s.bracket_token.span.join()),
                )
            }
            Type::Array(a) => {
                let inner = self.type_expr(&a.elem);
                Expr::new(
                    ExprKind::List(vec![inner]),
                    self.sp(a.bracket_token.span.join()),
                )
            }
            _ => Expr::other(self.sp(ty.span())),
        };
        self.depth -= 1;
        out
    }

    fn type_path(&mut self, path: &syn::Path) -> Expr {
        let span = self.sp(path.span());
        let base = Expr::new(ExprKind::Name(path_name(path).into()), span);
        let args: Vec<Expr> = path
            .segments
            .last()
            .map(|s| self.generic_types(&s.arguments))
            .unwrap_or_default();
        match args.len() {
            0 => base,
            1 => Expr::new(
                ExprKind::Subscript(
                    Box::new(base),
                    Box::new(args.into_iter().next().expect("one")),
                ),
                span,
            ),
            _ => Expr::new(
                ExprKind::Subscript(
                    Box::new(base),
                    Box::new(Expr::new(ExprKind::Tuple(args), span)),
                ),
                span,
            ),
        }
    }

    fn generic_types(&mut self, args: &PathArguments) -> Vec<Expr> {
        match args {
            PathArguments::AngleBracketed(a) => a
                .args
                .iter()
                .filter_map(|g| match g {
                    GenericArgument::Type(t) => Some(self.type_expr(t)),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// One branch of a `select!`: `pat = fut, if cond => body`, or a fallback
/// (`else =>`, `complete =>`, `default =>`) with a body only.
struct SelectBranch {
    pat: Option<Pat>,
    fut: Option<SynExpr>,
    cond: Option<SynExpr>,
    body: SynExpr,
}

fn parse_select(input: syn::parse::ParseStream) -> syn::Result<Vec<SelectBranch>> {
    use syn::Token;
    let mut out = Vec::new();
    while !input.is_empty() {
        if input.peek(syn::Ident) && input.peek2(Token![;]) {
            // `biased;`
            input.parse::<syn::Ident>()?;
            input.parse::<Token![;]>()?;
            continue;
        }
        let (pat, fut, cond) =
            if input.peek(Token![else]) || (input.peek(syn::Ident) && input.peek2(Token![=>])) {
                if input.peek(Token![else]) {
                    input.parse::<Token![else]>()?;
                } else {
                    input.parse::<syn::Ident>()?;
                }
                (None, None, None)
            } else {
                let pat = Pat::parse_multi_with_leading_vert(input)?;
                input.parse::<Token![=]>()?;
                let fut: SynExpr = input.parse()?;
                let cond = if input.peek(Token![,]) && input.peek2(Token![if]) {
                    input.parse::<Token![,]>()?;
                    input.parse::<Token![if]>()?;
                    Some(input.parse::<SynExpr>()?)
                } else {
                    None
                };
                (Some(pat), Some(fut), cond)
            };
        input.parse::<Token![=>]>()?;
        // A block body ends the branch, with or without a comma (as in `match`).
        let body = if input.peek(syn::token::Brace) {
            let content;
            let brace_token = syn::braced!(content in input);
            let stmts = content.call(Block::parse_within)?;
            SynExpr::Block(syn::ExprBlock {
                attrs: Vec::new(),
                label: None,
                block: Block { brace_token, stmts },
            })
        } else {
            input.parse()?
        };
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        }
        out.push(SelectBranch {
            pat,
            fut,
            cond,
            body,
        });
    }
    Ok(out)
}

/// Traits that make a type parameter a closure or a future.
const CLOSURE_TRAITS: &[&str] = &[
    "Fn",
    "FnOnce",
    "FnMut",
    "AsyncFn",
    "AsyncFnOnce",
    "AsyncFnMut",
    "Future",
    "IntoFuture",
];

fn closure_bound<'b>(bounds: impl IntoIterator<Item = &'b syn::TypeParamBound>) -> bool {
    bounds.into_iter().any(|b| match b {
        syn::TypeParamBound::Trait(t) => CLOSURE_TRAITS.contains(&last_segment(&t.path).as_str()),
        _ => false,
    })
}

/// The type parameters bounded by a closure or future trait, inline or in `where`.
fn closure_generics(g: &syn::Generics) -> Vec<String> {
    let mut out: Vec<String> = g
        .type_params()
        .filter(|t| closure_bound(&t.bounds))
        .map(|t| t.ident.to_string())
        .collect();
    if let Some(w) = &g.where_clause {
        for p in &w.predicates {
            if let syn::WherePredicate::Type(pt) = p
                && let Type::Path(tp) = &pt.bounded_ty
                && let Some(i) = tp.path.get_ident()
                && closure_bound(&pt.bounds)
            {
                out.push(i.to_string());
            }
        }
    }
    out
}

/// `_` and `_name`: the value is never read.
fn pattern_discards(pat: &Pat) -> bool {
    match pat {
        Pat::Wild(_) => true,
        Pat::Ident(pi) => pi.subpat.is_none() && pi.ident.to_string().starts_with('_'),
        Pat::Type(pt) => pattern_discards(&pt.pat),
        _ => false,
    }
}

/// The last path segment of an `impl` block's self type, for messages.
fn type_name(ty: &Type) -> String {
    match ty {
        Type::Path(tp) => last_segment(&tp.path),
        Type::Reference(r) => type_name(&r.elem),
        Type::Paren(p) => type_name(&p.elem),
        Type::Group(g) => type_name(&g.elem),
        _ => "<type>".into(),
    }
}

/// The `Option` a plain local name holds, seen through `&`, parentheses and the adapters
/// that keep `Some`/`None` (`password.as_deref()`).
fn option_name(e: &SynExpr) -> Option<String> {
    match e {
        SynExpr::Path(p) if p.qself.is_none() => p.path.get_ident().map(|i| i.to_string()),
        SynExpr::Reference(r) => option_name(&r.expr),
        SynExpr::Paren(p) => option_name(&p.expr),
        SynExpr::Group(g) => option_name(&g.expr),
        SynExpr::MethodCall(m)
            if m.args.is_empty()
                && matches!(
                    m.method.to_string().as_str(),
                    "as_ref"
                        | "as_deref"
                        | "as_mut"
                        | "as_deref_mut"
                        | "clone"
                        | "cloned"
                        | "copied"
                ) =>
        {
            option_name(&m.receiver)
        }
        _ => None,
    }
}

/// `Some(..)` (the name holds a value) or `None` tested against a name.
fn option_test(pat: &Pat, value: &SynExpr) -> Option<Guard> {
    let name = option_name(value)?;
    let when = match pat {
        Pat::TupleStruct(ts) if ts.elems.len() == 1 && last_segment(&ts.path) == "Some" => true,
        Pat::Path(p) if p.qself.is_none() && last_segment(&p.path) == "None" => false,
        Pat::Ident(pi) if pi.subpat.is_none() && pi.ident == "None" => false,
        _ => return None,
    };
    Some(Guard {
        cond: Expr::new(ExprKind::Name(name.into()), Span::default()),
        when,
        tests: None,
        fills: false,
        after_exit: false,
    })
}

/// The guard an `if` condition is: `let Some(p) = x`, `x.is_some()`, `x.is_none()`.
fn condition_test(cond: &SynExpr) -> Option<Guard> {
    match cond {
        SynExpr::Let(l) => option_test(&l.pat, &l.expr),
        SynExpr::Paren(p) => condition_test(&p.expr),
        SynExpr::MethodCall(m) if m.args.is_empty() => {
            let when = match m.method.to_string().as_str() {
                "is_some" => true,
                "is_none" => false,
                _ => return None,
            };
            Some(Guard {
                cond: Expr::new(
                    ExprKind::Name(option_name(&m.receiver)?.into()),
                    Span::default(),
                ),
                when,
                tests: None,
                fills: false,
                after_exit: false,
            })
        }
        _ => None,
    }
}

/// The top-level comma-separated parts of a macro's tokens.
fn comma_parts(tokens: TokenStream) -> Vec<Vec<TokenTree>> {
    let mut parts: Vec<Vec<TokenTree>> = vec![Vec::new()];
    for t in tokens {
        match &t {
            TokenTree::Punct(p) if p.as_char() == ',' => parts.push(Vec::new()),
            _ => parts.last_mut().expect("never empty").push(t),
        }
    }
    parts
}

/// Reads `a, name = b, c` from a macro's tokens: each top-level comma-separated part is
/// an expression, or `name = expression`. Parts that are not are skipped; the flag says
/// whether every part (at least one, a trailing comma allowed) was one.
fn parse_token_args(tokens: TokenStream) -> (Vec<(Option<String>, SynExpr)>, bool) {
    let parts = comma_parts(tokens);
    let n = parts.len();
    let mut out = Vec::new();
    let mut all = true;
    for (i, part) in parts.into_iter().enumerate() {
        if part.is_empty() {
            // Only a trailing comma leaves an empty part.
            all &= i + 1 == n && i > 0;
            continue;
        }
        let keyword = match (&part.first(), part.get(1)) {
            (Some(TokenTree::Ident(i)), Some(TokenTree::Punct(p)))
                if p.as_char() == '=' && p.spacing() == Spacing::Alone =>
            {
                Some(i.to_string())
            }
            _ => None,
        };
        let expr_tokens: TokenStream = if keyword.is_some() {
            part[2..].iter().cloned().collect()
        } else {
            part.into_iter().collect()
        };
        // Nothing inside a bracket group can be deeper than the file, which was checked
        // before parsing.
        match syn::parse2::<SynExpr>(expr_tokens) {
            Ok(e) => out.push((keyword, e)),
            Err(_) => all = false,
        }
    }
    let all = all && !out.is_empty();
    (out, all)
}

/// Calls whose arguments a `macro_rules!` expansion would hand over rather than run:
/// `stringify!($e)`, and any name with `spawn` in it (`tokio::spawn($e)`,
/// `$crate::task::__spawn_blocking($e)`).
const DEFERRING_CALLS: &[&str] = &["stringify", "concat", "lazy_static"];

/// Words after which the rest of an expression runs later: `async { $e }`,
/// `move || $e`, `Lazy::new(..)`.
const DEFERRING_WORDS: &[&str] = &["async", "move", "Lazy", "LazyLock", "OnceCell", "OnceLock"];

/// May a `macro_rules!` definition not evaluate its arguments where the macro is
/// written? When an expansion puts one of its fragments (`$e`) into text
/// (`stringify!`), a closure, an `async` block or a spawn. A closure that holds no
/// fragment (`$e.map_err(|err| log(err))`) is fine.
fn expansion_defers(tokens: TokenStream) -> bool {
    // `$e`, `$($e),*`; not `$crate`, which names the macro's own crate.
    fn has_fragment(tokens: &[TokenTree]) -> bool {
        tokens.iter().enumerate().any(|(i, t)| match t {
            TokenTree::Punct(p) => {
                p.as_char() == '$'
                    && !matches!(tokens.get(i + 1), Some(TokenTree::Ident(id)) if id == "crate")
            }
            TokenTree::Group(g) => has_fragment(&g.stream().into_iter().collect::<Vec<_>>()),
            _ => false,
        })
    }
    /// The tokens from `i` to the end of the expression: the next `,` or `;` of this
    /// group.
    fn rest_of_expression(tokens: &[TokenTree], i: usize) -> &[TokenTree] {
        let end = tokens[i..]
            .iter()
            .position(|t| matches!(t, TokenTree::Punct(p) if matches!(p.as_char(), ',' | ';')))
            .map_or(tokens.len(), |n| i + n);
        &tokens[i..end]
    }
    fn defers(tokens: &[TokenTree]) -> bool {
        for (i, t) in tokens.iter().enumerate() {
            let deferred = match t {
                TokenTree::Ident(id) => {
                    let word = id.to_string();
                    if DEFERRING_CALLS.contains(&word.as_str()) || word.contains("spawn") {
                        // The arguments: the first group within the next few tokens.
                        tokens[i + 1..]
                            .iter()
                            .take(4)
                            .find_map(|t| match t {
                                TokenTree::Group(g) => Some(g),
                                _ => None,
                            })
                            .is_some_and(|g| {
                                has_fragment(&g.stream().into_iter().collect::<Vec<_>>())
                            })
                    } else {
                        DEFERRING_WORDS.contains(&word.as_str())
                            && has_fragment(rest_of_expression(tokens, i + 1))
                    }
                }
                // A closure's `|` opens an expression: nothing before it in the group, or
                // an operator or separator (`(|x| ..)`, `f(a, |x| ..)`, `= |x|`).
                TokenTree::Punct(p)
                    if p.as_char() == '|'
                        && (i == 0
                            || matches!(&tokens[i - 1], TokenTree::Punct(q)
                                if matches!(q.as_char(), ',' | '=' | ';' | '>'))) =>
                {
                    has_fragment(rest_of_expression(tokens, i + 1))
                }
                TokenTree::Group(g) => defers(&g.stream().into_iter().collect::<Vec<_>>()),
                _ => false,
            };
            if deferred {
                return true;
            }
        }
        false
    }
    // The matchers (`($e:expr)`) are walked too: they hold none of these words.
    defers(&tokens.into_iter().collect::<Vec<_>>())
}

/// The start of a function's head: its visibility (`pub`, `pub(crate)`) or its signature,
/// so that the line of `pub async fn` lies in the function (`explain` on it).
fn fn_head(vis: &syn::Visibility, sig: &Signature) -> proc_macro2::Span {
    match vis {
        syn::Visibility::Inherited => sig.span(),
        v => v.span(),
    }
}

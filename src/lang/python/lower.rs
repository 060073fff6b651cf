//! Lowers a tree-sitter-python syntax tree into the [`FileModel`]: scopes, bindings,
//! calls (with their `with`/`try` context), classes and decorators. Everything else in
//! the tree is walked only to find the calls inside it.

use tree_sitter::Node;

use super::MAX_NESTING;
use super::kind::KindName;
use crate::model::*;

pub fn lower(root: Node, text: &str) -> FileModel {
    let mut l = Lowerer {
        text,
        m: FileModel::new(Language::Python),
        scope: 0,
        withs: Vec::new(),
        loops: Vec::new(),
        tries: Vec::new(),
        handlers: Vec::new(),
        guards: Vec::new(),
        depth: 0,
    };
    l.m.scopes.push(Scope {
        kind: ScopeKind::Module,
        name: "<module>".into(),
        name_span: Span::new(0, 0),
        span: span(root),
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
    l.block(root);
    l.m
}

fn span(n: Node) -> Span {
    Span::new(n.start_byte() as u32, n.end_byte() as u32)
}

/// The condition of an `if` with no `elif`/`else` whose body ends by leaving the block
/// (`return`, `raise`, `continue`, `break`).
fn early_exit_condition(n: Node) -> Option<Node> {
    if n.kind_name() != "if_statement" || field(n, "alternative").is_some() {
        return None;
    }
    let body = field(n, "consequence")?;
    let last = *named_children(body).last()?;
    matches!(
        last.kind_name(),
        "return_statement" | "raise_statement" | "continue_statement" | "break_statement"
    )
    .then(|| field(n, "condition"))
    .flatten()
}

/// The early exits a statement makes on the way to the next one: its own
/// (`if not ok: return`), or those at the top of a `with` body, or of a `try` body whose
/// handlers all leave too (`try: ... if file_only: return xml ... except E: return
/// None`): the code after the statement runs only when their conditions were false.
fn early_exit_conditions(n: Node) -> Vec<Node> {
    if let Some(cond) = early_exit_condition(n) {
        return vec![cond];
    }
    let body = match n.kind_name() {
        "with_statement" => field(n, "body"),
        "try_statement" if handlers_all_exit(n) => field(n, "body"),
        _ => None,
    };
    body.map(|b| {
        named_children(b)
            .into_iter()
            .flat_map(early_exit_conditions)
            .collect()
    })
    .unwrap_or_default()
}

/// Does every `except` clause of a `try` end with `return`, `raise`, `continue` or
/// `break` (and is there no `else` clause, whose code would run in between)?
fn handlers_all_exit(n: Node) -> bool {
    named_children(n).into_iter().all(|c| match c.kind_name() {
        "except_clause" | "except_group_clause" => named_children(c)
            .into_iter()
            .filter(|p| p.kind_name() == "block")
            .all(|b| {
                named_children(b).last().is_some_and(|last| {
                    matches!(
                        last.kind_name(),
                        "return_statement"
                            | "raise_statement"
                            | "continue_statement"
                            | "break_statement"
                    )
                })
            }),
        "else_clause" => false,
        _ => true,
    })
}

/// Methods that fill a container in place (`CACHE.update(...)`): a compute-once guard
/// testing the container may fill it this way.
const FILLING_METHODS: &[&str] = &["update", "setdefault", "append", "add", "extend", "insert"];

/// Where the model stood before some code was lowered.
#[derive(Clone, Copy)]
struct Mark {
    bindings: usize,
    attrs: usize,
    calls: usize,
}

/// `__name__ == "__main__"` (either way round).
fn is_main_check(cond: Node, text: &str) -> bool {
    if cond.kind_name() != "comparison_operator"
        || field(cond, "operators").is_none_or(|o| o.kind_name() != "==")
    {
        return false;
    }
    let operands = named_children(cond);
    let [a, b] = operands.as_slice() else {
        return false;
    };
    let t = |n: &Node| &text[n.start_byte()..n.end_byte()];
    let is_name = |n: &Node| n.kind_name() == "identifier" && t(n) == "__name__";
    let is_main =
        |n: &Node| n.kind_name() == "string" && matches!(t(n), "\"__main__\"" | "'__main__'");
    (is_name(a) && is_main(b)) || (is_main(a) && is_name(b))
}

/// `pkg.Client` written inside a string annotation, as the expression it names (spans:
/// the string's).
fn dotted_from_text(text: &str, at: Span) -> Option<Expr> {
    let mut e: Option<Expr> = None;
    for part in text.split('.') {
        if part.is_empty()
            || !part.chars().all(|c| c.is_alphanumeric() || c == '_')
            || part.starts_with(|c: char| c.is_ascii_digit())
        {
            return None;
        }
        e = Some(match e {
            None => Expr::new(ExprKind::Name(part.into()), at),
            Some(base) => Expr::new(ExprKind::Attr(Box::new(base), part.into()), at),
        });
    }
    e
}

/// Field ids of the Python grammar, looked up once: `child_by_field_name` compares the
/// name with every field name of the language on each call.
static FIELDS: std::sync::LazyLock<std::collections::HashMap<String, std::num::NonZeroU16>> =
    std::sync::LazyLock::new(|| {
        let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
        let mut map = std::collections::HashMap::new();
        for id in 1..=language.field_count() as u16 {
            if let (Some(name), Some(nz)) = (
                language.field_name_for_id(id),
                std::num::NonZeroU16::new(id),
            ) {
                map.insert(name.to_string(), nz);
            }
        }
        map
    });

/// The operator of a `comparison_operator` node with one operator.
fn comparison(n: Node) -> Option<CmpOp> {
    let mut cursor = n.walk();
    let mut ops = n.children_by_field_name("operators", &mut cursor);
    let op = ops.next()?;
    if ops.next().is_some() {
        return None;
    }
    CmpOp::from_python(op.kind_name())
}

/// `l or r` / `l and r`, by the operator of the `boolean_operator` node `n`.
fn boolean(n: Node, l: Expr, r: Expr) -> ExprKind {
    let (l, r) = (Box::new(l), Box::new(r));
    if n.child_by_field_name("operator")
        .is_some_and(|o| o.kind_name() == "or")
    {
        ExprKind::Or(l, r)
    } else {
        ExprKind::And(l, r)
    }
}

/// `n.child_by_field_name(name)`, by field id.
fn field<'t>(n: Node<'t>, name: &'static str) -> Option<Node<'t>> {
    match FIELDS.get(name) {
        Some(id) => n.child_by_field_id(id.get()),
        None => n.child_by_field_name(name),
    }
}

/// Most nodes have a handful of children: no heap allocation for those.
fn named_children<'t>(n: Node<'t>) -> smallvec::SmallVec<[Node<'t>; 6]> {
    let mut cursor = n.walk();
    n.named_children(&mut cursor)
        .filter(|c| c.kind_name() != "comment")
        .collect()
}

struct Lowerer<'a> {
    text: &'a str,
    m: FileModel,
    scope: ScopeId,
    /// `with` items around the current statement, in the current scope.
    withs: Vec<Expr>,
    /// `try` bodies around the current statement, in the current scope.
    tries: Vec<TryId>,
    /// `except` handlers being lowered: (try, handler index), so `raise` can mark them.
    handlers: Vec<(TryId, usize)>,
    /// `if` conditions around the current statement, in the current scope.
    guards: Vec<Guard>,
    /// Loops whose body holds the current statement, in the current scope.
    loops: Vec<Span>,
    depth: usize,
}

impl<'a> Lowerer<'a> {
    fn text(&self, n: Node) -> &'a str {
        &self.text[n.start_byte()..n.end_byte()]
    }

    fn bind(&mut self, name: &str, value: BoundValue, at: Span, augmented: bool) {
        self.m.scopes[self.scope].bindings.push(Binding {
            name: name.into(),
            value,
            span: at,
            augmented,
            annotation: None,
        });
    }

    // ----- statements -----

    fn block(&mut self, n: Node) {
        let stmts = named_children(n);
        let before = self.guards.len();
        // Early exits whose rest-of-block runs while a value is empty: checked at the end
        // for whether that rest fills it (`if _client is not None: return _client`, then
        // `_client = connect()`).
        let mut memo_exits = Vec::new();
        for (i, s) in stmts.iter().enumerate() {
            self.stmt(*s, i + 1 < stmts.len());
            // `if not sync: return` — the rest of the block runs only when the condition
            // was false.
            for cond in early_exit_conditions(*s) {
                let mut g = self.guard_quiet(cond).negated();
                g.after_exit = true;
                if g.while_empty().is_some() {
                    memo_exits.push((g.clone(), self.mark()));
                }
                self.guards.push(g);
            }
        }
        for (g, mark) in memo_exits {
            self.mark_fills(&g, mark);
        }
        self.guards.truncate(before);
    }

    /// Where the model stands: bindings of the current scope, attribute assignments and
    /// calls so far.
    fn mark(&self) -> Mark {
        Mark {
            bindings: self.m.scopes[self.scope].bindings.len(),
            attrs: self.m.attr_assignments.len(),
            calls: self.m.calls.len(),
        }
    }

    /// After code guarded by `g` was lowered from `mark` on: when `g` runs while a value is
    /// empty and that code fills the value, the calls it guards learn it is a
    /// compute-once guard.
    fn mark_fills(&mut self, g: &Guard, mark: Mark) {
        let Some(tested) = g.while_empty() else {
            return;
        };
        let Some(path) = tested.dotted() else {
            return;
        };
        let path: Vec<String> = path.into_iter().map(String::from).collect();
        let scope = self.scope;
        // The value itself, or something inside it (`X.attr`, `X[key]`).
        let within = |e: &Expr| {
            let mut e = e;
            loop {
                if e.dotted().is_some_and(|d| d == path) {
                    return true;
                }
                match &e.kind {
                    ExprKind::Attr(base, _) | ExprKind::Subscript(base, _) => e = base,
                    _ => return false,
                }
            }
        };
        let bound = path.len() == 1
            && self.m.scopes[scope].bindings[mark.bindings..]
                .iter()
                .any(|b| b.name == path[0]);
        let assigned = self.m.attr_assignments[mark.attrs..]
            .iter()
            .any(|a| a.scope == scope && within(&a.target));
        // `CACHE.update(...)`, `CACHE.setdefault(...)`: a container filled in place.
        let mutated = self.m.calls[mark.calls..].iter().any(|c| {
            c.scope == scope
                && matches!(&c.callee.kind, ExprKind::Attr(recv, m)
                    if FILLING_METHODS.contains(&m.as_str()) && within(recv))
        });
        if !(bound || assigned || mutated) {
            return;
        }
        for c in &mut self.m.calls[mark.calls..] {
            for cg in &mut c.guards {
                if cg.cond.span == g.cond.span {
                    cg.fills = true;
                }
            }
        }
    }

    fn stmt(&mut self, n: Node, followed: bool) {
        if self.depth > MAX_NESTING * 2 {
            return;
        }
        self.depth += 1;
        match n.kind_name() {
            "expression_statement" => {
                for c in named_children(n) {
                    match c.kind_name() {
                        "assignment" => self.assignment(c, false),
                        "augmented_assignment" => self.assignment(c, true),
                        _ => {
                            // `f(x)` and `await f(x)` as statements: the value is dropped.
                            if let ExprKind::Call(id) = self.expr(c).kind {
                                self.m.calls[id].value_used = false;
                                self.m.calls[id].followed_by_statement = followed;
                            }
                        }
                    }
                }
            }
            "function_definition" => self.function(n, Vec::new(), span(n)),
            "class_definition" => self.class(n, Vec::new(), span(n)),
            "decorated_definition" => {
                let decorators: Vec<Decorator> = named_children(n)
                    .into_iter()
                    .filter(|c| c.kind_name() == "decorator")
                    .filter_map(|d| {
                        let inner = named_children(d).into_iter().next()?;
                        // The decorator node takes in a comment that ends its line: the
                        // decorator itself ends with its expression.
                        Some(Decorator {
                            expr: self.expr(inner),
                            span: Span::new(d.start_byte() as u32, inner.end_byte() as u32),
                        })
                    })
                    .collect();
                if let Some(def) = field(n, "definition") {
                    match def.kind_name() {
                        "function_definition" => self.function(def, decorators, span(n)),
                        "class_definition" => self.class(def, decorators, span(n)),
                        _ => self.generic(def),
                    }
                }
            }
            "import_statement" => self.import(n),
            "global_statement" => {
                for c in named_children(n) {
                    if c.kind_name() == "identifier" {
                        let name = self.text(c).to_string();
                        self.m.scopes[self.scope].globals.push(name.into());
                    }
                }
            }
            "import_from_statement" => self.import_from(n),
            "if_statement" => {
                // Each branch runs only when the conditions before it were false and its
                // own is true: recorded on the calls inside as guards.
                let mut previous: Vec<Guard> = Vec::new();
                if let Some(c) = field(n, "condition") {
                    let g = self.guard(c);
                    if let Some(b) = field(n, "consequence") {
                        if self.scope == 0 && is_main_check(c, self.text) {
                            self.m.main_blocks.push(span(b));
                        }
                        self.guarded(std::slice::from_ref(&g), b);
                    }
                    previous.push(g.negated());
                }
                for alt in named_children(n) {
                    match alt.kind_name() {
                        "elif_clause" => {
                            if let Some(c) = field(alt, "condition") {
                                let g = self.guard(c);
                                let mut gs = previous.clone();
                                gs.push(g.clone());
                                if let Some(b) = field(alt, "consequence") {
                                    self.guarded(&gs, b);
                                }
                                previous.push(g.negated());
                            }
                        }
                        "else_clause" => {
                            if let Some(b) = field(alt, "body") {
                                self.guarded(&previous.clone(), b);
                            }
                        }
                        _ => {}
                    }
                }
            }
            "for_statement" => {
                let iter = field(n, "right").map(|r| self.expr(r));
                if let Some(left) = field(n, "left") {
                    self.bind_target(left, iter.map(BoundValue::IterOf), false);
                }
                if let Some(b) = field(n, "body") {
                    self.loop_body(n, b);
                }
                if let Some(alt) = field(n, "alternative")
                    && let Some(b) = field(alt, "body")
                {
                    self.block(b);
                }
            }
            "while_statement" => {
                if let Some(c) = field(n, "condition") {
                    self.expr(c);
                }
                if let Some(b) = field(n, "body") {
                    self.loop_body(n, b);
                }
                if let Some(alt) = field(n, "alternative")
                    && let Some(b) = field(alt, "body")
                {
                    self.block(b);
                }
            }
            "try_statement" => self.try_stmt(n),
            "with_statement" => self.with_stmt(n),
            "return_statement" => {
                if let Some(value) = named_children(n).into_iter().next() {
                    let e = self.expr(value);
                    self.m.scopes[self.scope].returns.push(e);
                }
            }
            "raise_statement" => {
                for (t, h) in self.handlers.clone() {
                    self.m.tries[t].handlers[h].reraises = true;
                }
                self.generic(n);
            }
            "match_statement" => {
                if let Some(s) = field(n, "subject") {
                    self.expr(s);
                }
                for c in named_children(n) {
                    if c.kind_name() == "block" {
                        for case in named_children(c) {
                            if let Some(b) = field(case, "consequence") {
                                self.block(b);
                            }
                        }
                    }
                }
            }
            "block" | "module" => self.block(n),
            _ => self.generic(n),
        }
        self.depth -= 1;
    }

    /// An `if` condition as a guard; `not x` becomes "x is false".
    fn guard(&mut self, cond: Node) -> Guard {
        if cond.kind_name() == "not_operator"
            && let Some(arg) = field(cond, "argument")
        {
            return self.guard(arg).negated();
        }
        Guard {
            cond: self.expr(cond),
            when: true,
            tests: self.empty_test(cond),
            fills: false,
            after_exit: false,
        }
    }

    /// `x is None`, `x is not None`, `x == None`, `key in x`, `key not in x`, `x`: the
    /// name or attribute tested for being empty, and which value of the condition means
    /// it is. Written without lowering anything (no calls are recorded).
    fn empty_test(&self, cond: Node) -> Option<EmptyTest> {
        match cond.kind_name() {
            "identifier" | "attribute" | "call" => Some(EmptyTest {
                expr: self.tested_value(cond)?,
                empty_when: false,
            }),
            "comparison_operator" => {
                let operands = named_children(cond);
                let [left, right] = operands.as_slice() else {
                    return None;
                };
                let op = field(cond, "operators")?.kind_name();
                match op {
                    "is" | "==" | "is not" | "!=" if right.kind_name() == "none" => {
                        Some(EmptyTest {
                            expr: self.tested_value(*left)?,
                            empty_when: matches!(op, "is" | "=="),
                        })
                    }
                    "in" | "not in" => Some(EmptyTest {
                        expr: self.plain_dotted(*right)?,
                        empty_when: op == "not in",
                    }),
                    _ => None,
                }
            }
            "parenthesized_expression" => {
                let inner = named_children(cond);
                match inner.as_slice() {
                    [one] => self.empty_test(*one),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The value a condition tests: `a`, `a.b.c`, or the attribute that
    /// `hasattr(a, "b")` / `getattr(a, "b", default)` look for (`a.b`: the memo idiom
    /// `if not hasattr(cls, "_x"): cls._x = load()`).
    fn tested_value(&self, n: Node) -> Option<Expr> {
        if n.kind_name() != "call" {
            return self.plain_dotted(n);
        }
        let function = field(n, "function").filter(|f| f.kind_name() == "identifier")?;
        let args = named_children(field(n, "arguments")?);
        let arity = match self.text(function) {
            "hasattr" => 2,
            "getattr" => 3,
            _ => return None,
        };
        if args.len() != arity || args[1].kind_name() != "string" {
            return None;
        }
        // A plain literal naming an attribute: its content is an identifier.
        let mut name = "";
        for c in named_children(args[1]) {
            match c.kind_name() {
                "string_content" if name.is_empty() => name = self.text(c),
                "string_start" | "string_end" => {}
                _ => return None,
            }
        }
        if name.is_empty() || !name.chars().all(|c| c == '_' || c.is_alphanumeric()) {
            return None;
        }
        let base = self.plain_dotted(args[0])?;
        Some(Expr::new(
            ExprKind::Attr(Box::new(base), name.into()),
            span(n),
        ))
    }

    /// `a`, `a.b.c` as an expression, without lowering (nothing else).
    fn plain_dotted(&self, n: Node) -> Option<Expr> {
        let kind = match n.kind_name() {
            "identifier" => ExprKind::Name(self.text(n).into()),
            "attribute" => {
                let base = self.plain_dotted(field(n, "object")?)?;
                ExprKind::Attr(Box::new(base), self.text(field(n, "attribute")?).into())
            }
            _ => return None,
        };
        Some(Expr::new(kind, span(n)))
    }

    /// Like [`Self::guard`], for a condition already lowered (no calls recorded twice).
    fn guard_quiet(&self, cond: Node) -> Guard {
        if cond.kind_name() == "not_operator"
            && let Some(arg) = field(cond, "argument")
        {
            return self.guard_quiet(arg).negated();
        }
        Guard {
            cond: self.condition_quiet(cond),
            when: true,
            tests: self.empty_test(cond),
            fills: false,
            after_exit: false,
        }
    }

    /// A condition's names, `not` and `or`, written without lowering anything (the
    /// statement holding it was lowered already): what a known parameter value can
    /// decide (`if not broadcast or draft: return`).
    fn condition_quiet(&self, n: Node) -> Expr {
        let kind = match n.kind_name() {
            "identifier" => ExprKind::Name(self.text(n).into()),
            "parenthesized_expression" => match named_children(n).as_slice() {
                [inner] => return self.condition_quiet(*inner),
                _ => ExprKind::Other,
            },
            "not_operator" => match field(n, "argument") {
                Some(a) => ExprKind::Not(Box::new(self.condition_quiet(a))),
                None => ExprKind::Other,
            },
            "boolean_operator" => match (field(n, "left"), field(n, "right")) {
                (Some(l), Some(r)) => boolean(n, self.condition_quiet(l), self.condition_quiet(r)),
                _ => ExprKind::Other,
            },
            "comparison_operator" => {
                let operands = named_children(n);
                let side = |x: Node| self.plain_dotted(x).or_else(|| self.literal_quiet(x));
                match (operands.as_slice(), comparison(n)) {
                    ([l, r], Some(op)) => match (side(*l), side(*r)) {
                        (Some(l), Some(r)) => ExprKind::Compare(op, Box::new(l), Box::new(r)),
                        _ => ExprKind::Other,
                    },
                    _ => ExprKind::Other,
                }
            }
            _ => ExprKind::Other,
        };
        Expr::new(kind, span(n))
    }

    /// A literal (a plain string, a number, `True`, `None`, a tuple or list of them),
    /// written without lowering anything.
    fn literal_quiet(&self, n: Node) -> Option<Expr> {
        let kind = match n.kind_name() {
            "string" => {
                let mut content = String::new();
                for c in named_children(n) {
                    match c.kind_name() {
                        "string_content" => content.push_str(self.text(c)),
                        // Bytes, f- and t-strings are not plain strings (as in `string`).
                        "string_start" => {
                            let prefix = self.text(c).to_ascii_lowercase();
                            if prefix.contains(['f', 't', 'b']) {
                                return None;
                            }
                        }
                        "string_end" => {}
                        _ => return None,
                    }
                }
                ExprKind::Str(content.into())
            }
            "integer" => ExprKind::Int(self.text(n).replace('_', "").parse().ok()?),
            "true" => ExprKind::Bool(true),
            "false" => ExprKind::Bool(false),
            "none" => ExprKind::None,
            "tuple" | "list" => {
                let items = named_children(n)
                    .into_iter()
                    .map(|c| self.literal_quiet(c))
                    .collect::<Option<Vec<_>>>()?;
                if n.kind_name() == "tuple" {
                    ExprKind::Tuple(items)
                } else {
                    ExprKind::List(items)
                }
            }
            "parenthesized_expression" => match named_children(n).as_slice() {
                [inner] => return self.literal_quiet(*inner),
                _ => return None,
            },
            _ => return None,
        };
        Some(Expr::new(kind, span(n)))
    }

    fn guarded(&mut self, guards: &[Guard], body: Node) {
        let before = self.guards.len();
        let mark = self.mark();
        self.guards.extend_from_slice(guards);
        self.block(body);
        self.guards.truncate(before);
        for g in guards {
            self.mark_fills(g, mark);
        }
    }

    fn assignment(&mut self, n: Node, augmented: bool) {
        let annotation = field(n, "type").map(|t| self.annotation(t));
        let Some(right) = field(n, "right") else {
            // `x: Client` alone assigns nothing, but declares what `x` holds (a class
            // body's field: a dataclass, pydantic or attrs attribute).
            if let (Some(left), Some(a)) = (field(n, "left"), annotation)
                && left.kind_name() == "identifier"
            {
                let name = self.text(left);
                self.bind(name, BoundValue::Unknown, span(left), false);
                if let Some(b) = self.m.scopes[self.scope].bindings.last_mut() {
                    b.annotation = Some(a);
                }
            }
            return;
        };
        // `a = b = value`: the right side is itself an assignment.
        let value = if right.kind_name() == "assignment" {
            self.assignment(right, false);
            right
                .child_by_field_id(FIELDS["left"].get())
                .map(|l| Expr::new(ExprKind::Name(self.text(l).into()), span(l)))
        } else {
            Some(self.expr(right))
        };
        if let Some(left) = field(n, "left") {
            if matches!(left.kind_name(), "attribute" | "subscript")
                && let Some(value) = value
            {
                let target = self.expr(left);
                self.m.attr_assignments.push(AttrAssignment {
                    scope: self.scope,
                    target,
                    value,
                    augmented,
                    annotation,
                });
                return;
            }
            if !augmented
                && left.kind_name() == "identifier"
                && let Some(v) = &value
                && self.decorated_in_place(self.text(left), span(left), v)
            {
                return;
            }
            self.bind_target(left, value.map(BoundValue::Expr), augmented);
            if left.kind_name() == "identifier"
                && let Some(a) = annotation
                && let Some(b) = self.m.scopes[self.scope].bindings.last_mut()
            {
                b.annotation = Some(a);
            }
        }
    }

    /// `f = deco(f)` right after `def f` is `@deco def f` written out, as Python defines
    /// decorators: `deco` becomes `f`'s outermost decorator and `f` stays bound to the
    /// function, so that a view wrapped this way is still a view and a task declared this
    /// way is still a task. Only a call with `f` as its one argument: `partial(f, x)`
    /// changes the signature.
    fn decorated_in_place(&mut self, name: &str, at: Span, value: &Expr) -> bool {
        let ExprKind::Call(c) = value.kind else {
            return false;
        };
        let call = &self.m.calls[c];
        let [arg] = call.args.as_slice() else {
            return false;
        };
        if arg.kind != ArgKind::Positional
            || !matches!(&arg.value.kind, ExprKind::Name(n) if n == name)
        {
            return false;
        }
        let Some(BoundValue::Function(f)) = self.m.scopes[self.scope]
            .bindings
            .iter()
            .rev()
            .find(|b| b.name == name)
            .map(|b| &b.value)
        else {
            return false;
        };
        let f = *f;
        let decorator = Decorator {
            span: call.callee.span,
            expr: call.callee.clone(),
        };
        self.m.scopes[f].decorators.insert(0, decorator);
        self.bind(name, BoundValue::Function(f), at, false);
        true
    }

    /// A type annotation, as the type it names: `Optional[T]`, `T | None`,
    /// `Annotated[T, ...]`, `ClassVar[T]` and `Final[T]` give `T`, and a string annotation
    /// (`"Client"`, `"pkg.Client"`) the name it holds. Anything else as written.
    fn annotation(&mut self, n: Node) -> Expr {
        // `type` nodes wrap the expression.
        let n = if n.kind_name() == "type" {
            match named_children(n).as_slice() {
                [one] => *one,
                _ => n,
            }
        } else {
            n
        };
        match n.kind_name() {
            "string" => {
                let e = self.expr(n);
                if let ExprKind::Str(text) = &e.kind
                    && let Some(d) = dotted_from_text(text.trim(), e.span)
                {
                    return d;
                }
                e
            }
            "binary_operator"
                if n.child_by_field_name("operator")
                    .is_some_and(|o| o.kind_name() == "|") =>
            {
                let (Some(l), Some(r)) = (field(n, "left"), field(n, "right")) else {
                    return self.expr(n);
                };
                match (l.kind_name(), r.kind_name()) {
                    (_, "none") => self.annotation(l),
                    ("none", _) => self.annotation(r),
                    _ => self.expr(n),
                }
            }
            // `Optional[T]` as an expression, or as a type (`generic_type`).
            "subscript" | "generic_type" => {
                let children = named_children(n);
                let (wrapper, items): (Option<Node>, Vec<Node>) = if n.kind_name() == "subscript" {
                    let value = field(n, "value");
                    let items = children
                        .into_iter()
                        .filter(|c| Some(c.id()) != value.map(|v| v.id()))
                        .collect();
                    (value, items)
                } else {
                    let items = children
                        .iter()
                        .filter(|c| c.kind_name() == "type_parameter")
                        .flat_map(|p| named_children(*p))
                        .collect();
                    (children.first().copied(), items)
                };
                let wrapper = wrapper.map(|v| {
                    let t = self.text(v);
                    t.rsplit('.').next().unwrap_or(t)
                });
                let is_none = |c: &Node| {
                    c.kind_name() == "none"
                        || (c.kind_name() == "type"
                            && named_children(*c)
                                .first()
                                .is_some_and(|i| i.kind_name() == "none"))
                };
                match (wrapper, items.as_slice()) {
                    // The metadata is evaluated too: `Annotated[User, Depends(current_user)]`
                    // calls `Depends` where the annotation is written.
                    (Some("Annotated"), [first, extras @ ..]) => {
                        for extra in extras {
                            let e = match (extra.kind_name(), named_children(*extra).as_slice()) {
                                ("type", [inner]) => *inner,
                                _ => *extra,
                            };
                            self.expr(e);
                        }
                        self.annotation(*first)
                    }
                    (Some("Optional" | "ClassVar" | "Final"), [first, ..]) => {
                        self.annotation(*first)
                    }
                    (Some("Union"), [a, b]) if is_none(b) => self.annotation(*a),
                    (Some("Union"), [a, b]) if is_none(a) => self.annotation(*b),
                    // `Iterator[Session]` as a type: kept as a subscript of its first
                    // argument, as the expression form is (a context manager's yield).
                    (Some(_), [first, ..]) if n.kind_name() == "generic_type" => {
                        match named_children(n).first() {
                            Some(head) => {
                                let head = self.expr(*head);
                                let first = self.annotation(*first);
                                Expr::new(
                                    ExprKind::Subscript(Box::new(head), Box::new(first)),
                                    span(n),
                                )
                            }
                            None => self.expr(n),
                        }
                    }
                    _ => self.expr(n),
                }
            }
            "union_type" => {
                let parts = named_children(n);
                let is_none = |c: &Node| {
                    c.kind_name() == "none"
                        || named_children(*c)
                            .first()
                            .is_some_and(|i| i.kind_name() == "none")
                };
                match parts.as_slice() {
                    [a, b] if is_none(b) => self.annotation(*a),
                    [a, b] if is_none(a) => self.annotation(*b),
                    _ => self.expr(n),
                }
            }
            // `pkg.Client` as a type.
            "member_type" => {
                let parts = named_children(n);
                match parts.as_slice() {
                    [base, attr] if attr.kind_name() == "identifier" => {
                        let b = self.annotation(*base);
                        let s = span(n);
                        Expr::new(ExprKind::Attr(Box::new(b), self.text(*attr).into()), s)
                    }
                    _ => self.expr(n),
                }
            }
            _ => self.expr(n),
        }
    }

    /// Binds the names of an assignment / loop / `with` target.
    fn bind_target(&mut self, target: Node, value: Option<BoundValue>, augmented: bool) {
        match target.kind_name() {
            "identifier" => {
                let name = self.text(target);
                self.bind(
                    name,
                    value.unwrap_or(BoundValue::Unknown),
                    span(target),
                    augmented,
                );
            }
            "parenthesized_expression" => {
                let children = named_children(target);
                let value = if children.len() == 1 { value } else { None };
                for c in children {
                    self.bind_target(c, value.clone(), false);
                }
            }
            "pattern_list" | "tuple_pattern" | "list_pattern" | "tuple" | "list" => {
                let children = named_children(target);
                // `obj, created = X.objects.get_or_create(...)`: each name is bound to its
                // element of the value (`a, b = x, y`: to `x` and `y`), unless a `*rest`
                // hides the positions.
                let whole = match value {
                    Some(BoundValue::Expr(e))
                        if !augmented
                            && !children
                                .iter()
                                .any(|c| c.kind_name() == "list_splat_pattern") =>
                    {
                        Some(e)
                    }
                    _ => None,
                };
                // A literal of as many plain elements: each name gets its element itself.
                let arity = children.len();
                let literal = whole.as_ref().and_then(|e| match &e.kind {
                    ExprKind::Tuple(items) | ExprKind::List(items)
                        if items.len() == arity
                            && !items.iter().any(|x| matches!(x.kind, ExprKind::Starred(_))) =>
                    {
                        Some(items)
                    }
                    _ => None,
                });
                for (i, c) in children.into_iter().enumerate() {
                    let element = match (literal, &whole) {
                        (Some(items), _) => Some(items[i].clone()),
                        (None, Some(e)) => Some(Expr::new(
                            ExprKind::Subscript(
                                Box::new(e.clone()),
                                Box::new(Expr::new(ExprKind::Int(i as i64), span(c))),
                            ),
                            e.span,
                        )),
                        (None, None) => None,
                    };
                    self.bind_target(c, element.map(BoundValue::Expr), false);
                }
            }
            "list_splat_pattern" | "as_pattern_target" => {
                for c in named_children(target) {
                    self.bind_target(c, None, false);
                }
            }
            // `self.x = ...`, `d[k] = ...`: evaluate the target's own calls.
            _ => {
                self.expr(target);
            }
        }
    }

    fn function(&mut self, n: Node, decorators: Vec<Decorator>, whole: Span) {
        let name_node = field(n, "name");
        let name = name_node.map(|c| self.text(c)).unwrap_or("<anonymous>");
        let is_async = n.child(0).is_some_and(|c| c.kind_name() == "async");
        let class = match self.m.scopes[self.scope].kind {
            ScopeKind::Class => self.m.scopes[self.scope].class,
            _ => None,
        };
        // Defaults and annotations are evaluated where the function is defined.
        let params = n
            .child_by_field_name("parameters")
            .map(|p| self.params(p))
            .unwrap_or_default();
        let return_annotation = field(n, "return_type").map(|r| self.annotation(r));
        let id = self.m.scopes.len();
        self.m.scopes.push(Scope {
            kind: ScopeKind::Function,
            name: name.into(),
            name_span: name_node.map(span).unwrap_or(whole),
            span: whole,
            parent: Some(self.scope),
            class,
            is_async,
            params,
            decorators,
            bindings: Vec::new(),
            passed_to: None,
            returns: Vec::new(),
            return_annotation,
            globals: Vec::new(),
        });
        if let Some(c) = class {
            self.m.classes[c].methods.push(id);
        }
        self.bind(
            name,
            BoundValue::Function(id),
            name_node.map(span).unwrap_or(whole),
            false,
        );
        self.enter(id, |l| {
            l.bind_params(id);
            if let Some(b) = field(n, "body") {
                l.block(b);
            }
        });
    }

    fn bind_params(&mut self, id: ScopeId) {
        let params: Vec<(Name, Span)> = self.m.scopes[id]
            .params
            .iter()
            .map(|p| (p.name.clone(), p.span))
            .collect();
        for (i, (name, s)) in params.into_iter().enumerate() {
            self.bind(&name, BoundValue::Param(i), s, false);
        }
    }

    fn loop_body(&mut self, statement: Node, body: Node) {
        self.loops.push(span(statement));
        self.block(body);
        self.loops.pop();
    }

    /// Runs `f` with `scope` as the current scope, and fresh `with`/`try` context.
    fn enter(&mut self, scope: ScopeId, f: impl FnOnce(&mut Self)) {
        let saved = (
            self.scope,
            std::mem::take(&mut self.withs),
            std::mem::take(&mut self.tries),
            std::mem::take(&mut self.handlers),
            std::mem::take(&mut self.guards),
            std::mem::take(&mut self.loops),
        );
        self.scope = scope;
        f(self);
        self.scope = saved.0;
        self.withs = saved.1;
        self.tries = saved.2;
        self.handlers = saved.3;
        self.guards = saved.4;
        self.loops = saved.5;
    }

    fn params(&mut self, n: Node) -> Vec<Param> {
        let mut out = Vec::new();
        let mut keyword_only = false;
        for c in named_children(n) {
            let (name_node, kind, default, annotation) = match c.kind_name() {
                "identifier" => (Some(c), ParamKind::Normal, None, None),
                "typed_parameter" => {
                    // `x: int`, or `*args: int` / `**kw: int`.
                    let inner = named_children(c).into_iter().next();
                    let ann = field(c, "type");
                    match inner.map(|i| (i.kind_name(), i)) {
                        Some(("list_splat_pattern", i)) => {
                            keyword_only = true;
                            (
                                named_children(i).into_iter().next(),
                                ParamKind::VarArgs,
                                None,
                                ann,
                            )
                        }
                        Some(("dictionary_splat_pattern", i)) => (
                            named_children(i).into_iter().next(),
                            ParamKind::VarKeywords,
                            None,
                            ann,
                        ),
                        Some((_, i)) => (Some(i), ParamKind::Normal, None, ann),
                        None => continue,
                    }
                }
                "default_parameter" => {
                    (field(c, "name"), ParamKind::Normal, field(c, "value"), None)
                }
                "typed_default_parameter" => (
                    field(c, "name"),
                    ParamKind::Normal,
                    field(c, "value"),
                    field(c, "type"),
                ),
                "list_splat_pattern" => {
                    keyword_only = true;
                    (
                        named_children(c).into_iter().next(),
                        ParamKind::VarArgs,
                        None,
                        None,
                    )
                }
                "dictionary_splat_pattern" => (
                    named_children(c).into_iter().next(),
                    ParamKind::VarKeywords,
                    None,
                    None,
                ),
                "keyword_separator" => {
                    keyword_only = true;
                    continue;
                }
                "positional_separator" => {
                    for p in out.iter_mut() {
                        let p: &mut Param = p;
                        if p.kind == ParamKind::Normal {
                            p.kind = ParamKind::PositionalOnly;
                        }
                    }
                    continue;
                }
                _ => continue,
            };
            let Some(name_node) = name_node else { continue };
            let kind = if kind == ParamKind::Normal && keyword_only {
                ParamKind::KeywordOnly
            } else {
                kind
            };
            let has_default = default.is_some();
            let default = default.map(|d| self.expr(d));
            let annotation = annotation.map(|a| self.annotation(a));
            out.push(Param {
                name: self.text(name_node).into(),
                kind,
                has_default,
                default,
                annotation,
                span: span(c),
            });
        }
        out
    }

    fn class(&mut self, n: Node, decorators: Vec<Decorator>, whole: Span) {
        let name_node = field(n, "name");
        let name = name_node.map(|c| self.text(c)).unwrap_or("<anonymous>");
        let mut bases = Vec::new();
        if let Some(args) = field(n, "superclasses") {
            for a in named_children(args) {
                match a.kind_name() {
                    // metaclass=..., and other class keywords
                    "keyword_argument" => {
                        if let Some(v) = field(a, "value") {
                            self.expr(v);
                        }
                    }
                    _ => bases.push(self.expr(a)),
                }
            }
        }
        let class_id = self.m.classes.len();
        let body_scope = self.m.scopes.len();
        self.m.scopes.push(Scope {
            kind: ScopeKind::Class,
            name: name.into(),
            name_span: name_node.map(span).unwrap_or(whole),
            span: whole,
            parent: Some(self.scope),
            class: Some(class_id),
            is_async: false,
            params: Vec::new(),
            decorators: Vec::new(),
            bindings: Vec::new(),
            passed_to: None,
            returns: Vec::new(),
            return_annotation: None,
            globals: Vec::new(),
        });
        self.m.classes.push(Class {
            name: name.into(),
            name_span: name_node.map(span).unwrap_or(whole),
            span: whole,
            bases,
            decorators,
            parent: self.scope,
            body: body_scope,
            methods: Vec::new(),
        });
        self.bind(
            name,
            BoundValue::Class(class_id),
            name_node.map(span).unwrap_or(whole),
            false,
        );
        self.enter(body_scope, |l| {
            if let Some(b) = field(n, "body") {
                l.block(b);
            }
        });
    }

    fn import(&mut self, n: Node) {
        // `import a.b` binds `a`; `import a.b as c` binds `c` to `a.b`.
        let mut names = Vec::new();
        for c in named_children(n) {
            match c.kind_name() {
                "dotted_name" => {
                    let path = self.dotted(c);
                    names.push((path.clone(), span(c)));
                    if let Some(first) = path.first().cloned() {
                        self.bind(
                            &first,
                            BoundValue::Import(ImportTarget {
                                level: 0,
                                path: vec![first.as_str().into()],
                                glob: false,
                            }),
                            span(c),
                            false,
                        );
                    }
                }
                "aliased_import" => {
                    let (Some(name), Some(alias)) = (field(c, "name"), field(c, "alias")) else {
                        continue;
                    };
                    let path = self.dotted(name);
                    names.push((path.clone(), span(c)));
                    let alias_text = self.text(alias);
                    self.bind(
                        alias_text,
                        BoundValue::Import(ImportTarget {
                            level: 0,
                            path,
                            glob: false,
                        }),
                        span(c),
                        false,
                    );
                }
                _ => {}
            }
        }
        self.record_import(n, 0, Vec::new(), names);
    }

    fn record_import(
        &mut self,
        n: Node,
        level: u32,
        from: Vec<Name>,
        names: Vec<(Vec<Name>, Span)>,
    ) {
        self.m.imports.push(Import {
            span: span(n),
            scope: self.scope,
            level,
            from,
            names,
            tries: self.tries.clone(),
        });
    }

    fn import_from(&mut self, n: Node) {
        let Some(module) = field(n, "module_name") else {
            return;
        };
        let (level, base) = match module.kind_name() {
            "relative_import" => {
                let mut level = 0;
                let mut base = Vec::new();
                for c in named_children(module) {
                    match c.kind_name() {
                        "import_prefix" => level = self.text(c).matches('.').count() as u32,
                        "dotted_name" => base = self.dotted(c),
                        _ => {}
                    }
                }
                (level, base)
            }
            _ => (0, self.dotted(module)),
        };
        let mut names = Vec::new();
        let mut cursor = n.walk();
        let module_id = module.id();
        for c in n.named_children(&mut cursor) {
            if c.id() == module_id {
                continue;
            }
            let (name_node, alias_node) = match c.kind_name() {
                "dotted_name" => (c, None),
                "aliased_import" => match field(c, "name") {
                    Some(name) => (name, field(c, "alias")),
                    None => continue,
                },
                "wildcard_import" => {
                    names.push((vec!["*".into()], span(c)));
                    self.bind(
                        "*",
                        BoundValue::Import(ImportTarget {
                            level,
                            path: base.clone(),
                            glob: true,
                        }),
                        span(c),
                        false,
                    );
                    continue;
                }
                _ => continue,
            };
            let imported = self.dotted(name_node);
            names.push((imported.clone(), span(c)));
            let local = match alias_node {
                Some(a) => self.text(a).into(),
                None => imported.last().cloned().unwrap_or_default(),
            };
            let mut path = base.clone();
            path.extend(imported);
            self.bind(
                &local,
                BoundValue::Import(ImportTarget {
                    level,
                    path,
                    glob: false,
                }),
                span(c),
                false,
            );
        }
        self.record_import(n, level, base, names);
    }

    fn dotted(&self, n: Node) -> Vec<Name> {
        match n.kind_name() {
            "dotted_name" => named_children(n)
                .into_iter()
                .map(|c| self.text(c).into())
                .collect(),
            _ => vec![self.text(n).into()],
        }
    }

    fn try_stmt(&mut self, n: Node) {
        let id = self.m.tries.len();
        let last_statement = field(n, "body")
            .and_then(|b| named_children(b).into_iter().next_back())
            .filter(|last| last.kind_name() == "expression_statement")
            .map(span);
        self.m.tries.push(Try {
            span: span(n),
            handlers: Vec::new(),
            last_statement,
        });
        if let Some(b) = field(n, "body") {
            self.tries.push(id);
            self.block(b);
            self.tries.pop();
        }
        for c in named_children(n) {
            match c.kind_name() {
                "except_clause" | "except_group_clause" => {
                    let mut types = Vec::new();
                    let mut body = None;
                    for part in named_children(c) {
                        match part.kind_name() {
                            "block" => body = Some(part),
                            "as_pattern" => {
                                if let Some(t) = named_children(part).into_iter().next() {
                                    types.extend(self.exception_types(t));
                                }
                                if let Some(alias) = field(part, "alias") {
                                    self.bind_target(alias, None, false);
                                }
                            }
                            _ => types.extend(self.exception_types(part)),
                        }
                    }
                    let h = self.m.tries[id].handlers.len();
                    self.m.tries[id].handlers.push(ExceptHandler {
                        span: span(c),
                        types,
                        reraises: false,
                    });
                    if let Some(b) = body {
                        self.handlers.push((id, h));
                        self.block(b);
                        self.handlers.pop();
                    }
                }
                "else_clause" => {
                    if let Some(b) = field(c, "body") {
                        self.block(b);
                    }
                }
                "finally_clause" => {
                    for b in named_children(c) {
                        self.block(b);
                    }
                }
                _ => {}
            }
        }
    }

    fn exception_types(&mut self, n: Node) -> Vec<Expr> {
        let e = self.expr(n);
        match e.kind {
            ExprKind::Tuple(items) => items,
            _ => vec![e],
        }
    }

    fn with_stmt(&mut self, n: Node) {
        let mut pushed = 0;
        for c in named_children(n) {
            if c.kind_name() != "with_clause" {
                continue;
            }
            for item in named_children(c) {
                let Some(value) = field(item, "value") else {
                    continue;
                };
                if value.kind_name() == "as_pattern" {
                    let inner = named_children(value).into_iter().next();
                    let e = inner.map(|i| self.expr(i));
                    if let Some(alias) = field(value, "alias") {
                        let target = named_children(alias).into_iter().next().unwrap_or(alias);
                        self.bind_target(target, e.clone().map(BoundValue::WithOf), false);
                    }
                    if let Some(e) = e {
                        self.withs.push(e);
                        pushed += 1;
                    }
                } else {
                    let e = self.expr(value);
                    self.withs.push(e);
                    pushed += 1;
                }
            }
        }
        if let Some(b) = field(n, "body") {
            self.block(b);
        }
        for _ in 0..pushed {
            self.withs.pop();
        }
    }

    /// Walks a node we do not model, lowering the expressions (and so the calls) in it.
    fn generic(&mut self, n: Node) {
        for c in named_children(n) {
            if c.kind_name() == "block" {
                self.block(c);
            } else {
                self.expr(c);
            }
        }
    }

    // ----- expressions -----

    fn expr(&mut self, n: Node) -> Expr {
        let s = span(n);
        if self.depth > MAX_NESTING * 2 {
            return Expr::other(s);
        }
        self.depth += 1;
        let kind = match n.kind_name() {
            "identifier" => ExprKind::Name(self.text(n).into()),
            "attribute" => match (field(n, "object"), field(n, "attribute")) {
                (Some(o), Some(a)) => {
                    let base = self.expr(o);
                    ExprKind::Attr(Box::new(base), self.text(a).into())
                }
                _ => ExprKind::Other,
            },
            "call" => ExprKind::Call(self.call(n)),
            "string" => self.string(n),
            "concatenated_string" => {
                let parts: Vec<Expr> = named_children(n)
                    .into_iter()
                    .map(|c| self.expr(c))
                    .collect();
                let mut joined = String::new();
                let mut all_plain = true;
                for p in &parts {
                    match &p.kind {
                        ExprKind::Str(t) => joined.push_str(t),
                        _ => all_plain = false,
                    }
                }
                if all_plain {
                    ExprKind::Str(joined.into())
                } else {
                    ExprKind::Other
                }
            }
            "integer" => self
                .text(n)
                .replace('_', "")
                .parse()
                .map(ExprKind::Int)
                .unwrap_or(ExprKind::Other),
            "true" => ExprKind::Bool(true),
            "false" => ExprKind::Bool(false),
            "none" => ExprKind::None,
            "list" => ExprKind::List(self.items(n)),
            "tuple" => ExprKind::Tuple(self.items(n)),
            "expression_list" => ExprKind::Tuple(self.items(n)),
            "dictionary" => {
                let mut entries = Vec::new();
                for c in named_children(n) {
                    match c.kind_name() {
                        "pair" => {
                            let k = field(c, "key").map(|k| self.expr(k));
                            let v = field(c, "value").map(|v| self.expr(v));
                            if let (Some(k), Some(v)) = (k, v) {
                                entries.push((Some(k), v));
                            }
                        }
                        "dictionary_splat" => {
                            if let Some(inner) = named_children(c).into_iter().next() {
                                let v = self.expr(inner);
                                entries.push((None, v));
                            }
                        }
                        _ => {
                            self.expr(c);
                        }
                    }
                }
                ExprKind::Dict(entries)
            }
            "parenthesized_expression" => {
                let inner = named_children(n);
                if inner.len() == 1 {
                    let e = self.expr(inner[0]);
                    self.depth -= 1;
                    return e;
                }
                for c in inner {
                    self.expr(c);
                }
                ExprKind::Other
            }
            "subscript" => {
                let value = field(n, "value").map(|v| self.expr(v));
                let mut index = None;
                for c in named_children(n) {
                    if Some(c.id()) != field(n, "value").map(|v| v.id()) {
                        let e = self.expr(c);
                        index.get_or_insert(e);
                    }
                }
                match (value, index) {
                    (Some(v), Some(i)) => ExprKind::Subscript(Box::new(v), Box::new(i)),
                    _ => ExprKind::Other,
                }
            }
            "list_splat" => match named_children(n).into_iter().next() {
                Some(inner) => ExprKind::Starred(Box::new(self.expr(inner))),
                None => ExprKind::Other,
            },
            "lambda" => ExprKind::Lambda(self.lambda(n)),
            "await" => {
                if let Some(inner) = named_children(n).into_iter().next() {
                    let e = self.expr(inner);
                    if let ExprKind::Call(id) = e.kind {
                        self.m.calls[id].awaited = true;
                    }
                    self.depth -= 1;
                    return e;
                }
                ExprKind::Other
            }
            "list_comprehension"
            | "set_comprehension"
            | "generator_expression"
            | "dictionary_comprehension" => {
                // Clauses first: the loop variables are bound before the body runs.
                for c in named_children(n) {
                    match c.kind_name() {
                        "for_in_clause" => {
                            let iter = field(c, "right").map(|r| self.expr(r));
                            if let Some(left) = field(c, "left") {
                                self.bind_target(left, iter.map(BoundValue::IterOf), false);
                            }
                        }
                        "if_clause" => self.generic(c),
                        _ => {}
                    }
                }
                if let Some(b) = field(n, "body") {
                    self.expr(b);
                }
                ExprKind::Other
            }
            "named_expression" => {
                let v = field(n, "value").map(|v| self.expr(v));
                if let Some(name) = field(n, "name") {
                    self.bind_target(name, v.map(BoundValue::Expr), false);
                }
                ExprKind::Other
            }
            "keyword_argument" => {
                if let Some(v) = field(n, "value") {
                    self.expr(v);
                }
                ExprKind::Other
            }
            // `BASE_APPS + ["shop"]`: with a list or tuple literal on either side this is
            // sequence concatenation, the same elements as `[*BASE_APPS, "shop"]`.
            "binary_operator"
                if n.child_by_field_name("operator")
                    .is_some_and(|o| o.kind_name() == "+") =>
            {
                match self.operands(n) {
                    Some((l, r)) => concatenation(l, r),
                    None => ExprKind::Other,
                }
            }
            "not_operator" => match field(n, "argument") {
                Some(a) => ExprKind::Not(Box::new(self.expr(a))),
                None => ExprKind::Other,
            },
            "comparison_operator" => {
                let operands = named_children(n);
                let op = comparison(n);
                match (operands.as_slice(), op) {
                    ([l, r], Some(op)) => {
                        let (l, r) = (self.expr(*l), self.expr(*r));
                        ExprKind::Compare(op, Box::new(l), Box::new(r))
                    }
                    _ => {
                        self.generic(n);
                        ExprKind::Other
                    }
                }
            }
            // `SmtpSender() if settings.SMTP else ConsoleSender()`: the grammar names no
            // fields; the parts are the value, the condition and the alternative.
            "conditional_expression" => {
                let parts: Vec<Node> = named_children(n)
                    .into_iter()
                    .filter(|c| c.kind_name() != "comment")
                    .collect();
                match parts.as_slice() {
                    [value, cond, alternative] => {
                        let v = self.expr(*value);
                        self.expr(*cond);
                        let a = self.expr(*alternative);
                        ExprKind::IfElse(Box::new(v), Box::new(a))
                    }
                    _ => {
                        self.generic(n);
                        ExprKind::Other
                    }
                }
            }
            // `sender or DefaultSender()`: a default for an optional dependency.
            // `wait and ready`: a condition a known parameter may decide.
            "boolean_operator" => match self.operands(n) {
                Some((l, r)) => boolean(n, l, r),
                None => ExprKind::Other,
            },
            _ => {
                self.generic(n);
                ExprKind::Other
            }
        };
        self.depth -= 1;
        Expr::new(kind, s)
    }

    /// The two sides of a binary or boolean operator, both lowered (so that the calls in
    /// either are recorded) even when the other is missing.
    fn operands(&mut self, n: Node) -> Option<(Expr, Expr)> {
        let left = n.child_by_field_name("left").map(|l| self.expr(l));
        let right = n.child_by_field_name("right").map(|r| self.expr(r));
        left.zip(right)
    }

    fn items(&mut self, n: Node) -> Vec<Expr> {
        named_children(n)
            .into_iter()
            .map(|c| self.expr(c))
            .collect()
    }

    fn string(&mut self, n: Node) -> ExprKind {
        let mut content = String::new();
        let mut plain = true;
        let mut formatted = false;
        // The literal text before the first interpolation, once one is seen.
        let mut head: Option<String> = None;
        for c in named_children(n) {
            match c.kind_name() {
                "string_content" | "escape_sequence" => content.push_str(self.text(c)),
                "interpolation" => {
                    plain = false;
                    if head.is_none() {
                        head = Some(std::mem::take(&mut content));
                    }
                    content.clear();
                    self.generic(c);
                }
                "string_start" => {
                    let prefix = self.text(c).to_ascii_lowercase();
                    if prefix.contains('f') || prefix.contains('t') || prefix.contains('b') {
                        plain = false;
                    }
                    formatted = prefix.contains('f') && !prefix.contains('b');
                }
                _ => {}
            }
        }
        match head {
            _ if plain => ExprKind::Str(content.into()),
            Some(head) if formatted => ExprKind::Formatted {
                head: head.into(),
                tail: content.into(),
            },
            _ => ExprKind::Other,
        }
    }

    fn lambda(&mut self, n: Node) -> ScopeId {
        let params = n
            .child_by_field_name("parameters")
            .map(|p| self.params(p))
            .unwrap_or_default();
        let id = self.m.scopes.len();
        self.m.scopes.push(Scope {
            kind: ScopeKind::Lambda,
            name: "<lambda>".into(),
            name_span: span(n),
            span: span(n),
            parent: Some(self.scope),
            class: None,
            is_async: false,
            params,
            decorators: Vec::new(),
            bindings: Vec::new(),
            passed_to: None,
            returns: Vec::new(),
            return_annotation: None,
            globals: Vec::new(),
        });
        self.enter(id, |l| {
            l.bind_params(id);
            if let Some(b) = field(n, "body") {
                l.expr(b);
            }
        });
        id
    }

    fn call(&mut self, n: Node) -> CallId {
        let callee = match field(n, "function") {
            Some(f) => self.expr(f),
            None => Expr::other(span(n)),
        };
        let mut args = Vec::new();
        let args_node = field(n, "arguments");
        if let Some(a) = args_node {
            if a.kind_name() == "generator_expression" {
                let e = self.expr(a);
                args.push(Arg {
                    kind: ArgKind::Positional,
                    name: None,
                    value: e,
                    span: span(a),
                });
            } else {
                for c in named_children(a) {
                    let arg = match c.kind_name() {
                        "keyword_argument" => {
                            let name = c.child_by_field_name("name").map(|x| self.text(x).into());
                            let value = match field(c, "value") {
                                Some(v) => self.expr(v),
                                None => Expr::other(span(c)),
                            };
                            Arg {
                                kind: ArgKind::Keyword,
                                name,
                                value,
                                span: span(c),
                            }
                        }
                        "list_splat" | "dictionary_splat" => {
                            let value = match named_children(c).into_iter().next() {
                                Some(v) => self.expr(v),
                                None => Expr::other(span(c)),
                            };
                            Arg {
                                kind: if c.kind_name() == "list_splat" {
                                    ArgKind::Star
                                } else {
                                    ArgKind::DoubleStar
                                },
                                name: None,
                                value,
                                span: span(c),
                            }
                        }
                        _ => Arg {
                            kind: ArgKind::Positional,
                            name: None,
                            value: self.expr(c),
                            span: span(c),
                        },
                    };
                    args.push(arg);
                }
            }
        }
        let id = self.m.calls.len();
        for (i, a) in args.iter().enumerate() {
            if let ExprKind::Lambda(l) = a.value.kind {
                self.m.scopes[l].passed_to = Some((id, i));
            }
        }
        self.m.calls.push(Call {
            scope: self.scope,
            span: span(n),
            callee,
            args,
            args_span: args_node.map(span).unwrap_or_else(|| span(n)),
            value_used: true,
            awaited: false,
            withs: self.withs.clone(),
            tries: self.tries.clone(),
            guards: self.guards.clone(),
            followed_by_statement: false,
            loops: self.loops.clone(),
            is_macro: false,
        });
        id
    }
}

/// `a + b` when one side is a list or tuple literal: the elements of both, in order (the
/// other side unpacked), of the literal's kind. Anything else (numbers, strings) is not
/// tracked.
fn concatenation(left: Expr, right: Expr) -> ExprKind {
    let is_list = |e: &Expr| matches!(e.kind, ExprKind::List(_));
    let is_seq = |e: &Expr| matches!(e.kind, ExprKind::List(_) | ExprKind::Tuple(_));
    if !is_seq(&left) && !is_seq(&right) {
        return ExprKind::Other;
    }
    let list = is_list(&left) || is_list(&right);
    let mut items = Vec::new();
    for side in [left, right] {
        match side.kind {
            ExprKind::List(v) | ExprKind::Tuple(v) => items.extend(v),
            ExprKind::Other => return ExprKind::Other,
            _ => {
                let span = side.span;
                items.push(Expr::new(ExprKind::Starred(Box::new(side)), span));
            }
        }
    }
    if list {
        ExprKind::List(items)
    } else {
        ExprKind::Tuple(items)
    }
}

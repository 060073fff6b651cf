//! Tests of the Python frontend: the model it lowers (scopes, bindings, imports, calls
//! and their context, classes, expressions), spans, directive comments, and TL000.

use super::{MAX_NESTING, parse, parse_tree, scan_with};
use crate::model::*;

fn text_of(text: &str, span: Span) -> &str {
    &text[span.start as usize..span.end as usize]
}

fn ok(text: &str) -> FileModel {
    let m = parse(text);
    assert!(m.problems.is_empty(), "{:?}", m.problems);
    m
}

fn callee_name(c: &Call) -> String {
    match c.callee.dotted() {
        Some(parts) => parts.join("."),
        None => "?".into(),
    }
}

fn call<'m>(m: &'m FileModel, name: &str) -> &'m Call {
    m.calls
        .iter()
        .find(|c| callee_name(c) == name)
        .unwrap_or_else(|| panic!("no call of {name}"))
}

fn binding<'m>(m: &'m FileModel, scope: ScopeId, name: &str) -> &'m Binding {
    m.scopes[scope]
        .bindings
        .iter()
        .find(|b| b.name == name)
        .unwrap_or_else(|| panic!("no binding {name} in scope {scope}"))
}

fn import_of(b: &Binding) -> (u32, String, bool) {
    match &b.value {
        BoundValue::Import(t) => (t.level, t.path.join("."), t.glob),
        other => panic!("{}: not an import: {other:?}", b.name),
    }
}

fn scope_named<'m>(m: &'m FileModel, name: &str) -> (ScopeId, &'m Scope) {
    m.scopes
        .iter()
        .enumerate()
        .find(|(_, s)| s.name == name)
        .unwrap_or_else(|| panic!("no scope {name}"))
}

#[test]
fn imports_bind_names_and_are_recorded_as_written() {
    let text = "import os\nimport a.b.c\nimport a.b as ab, json\nfrom celery import shared_task, Celery as C\nfrom . import tasks\nfrom ..pkg.mod import (f as g, h)\nfrom .x import *\n";
    let m = ok(text);
    let imports: Vec<(&str, (u32, String, bool))> = m.scopes[0]
        .bindings
        .iter()
        .map(|b| (b.name.as_str(), import_of(b)))
        .collect();
    assert_eq!(
        imports,
        vec![
            ("os", (0, "os".into(), false)),
            // `import a.b.c` binds `a`, to the package `a`.
            ("a", (0, "a".into(), false)),
            ("ab", (0, "a.b".into(), false)),
            ("json", (0, "json".into(), false)),
            ("shared_task", (0, "celery.shared_task".into(), false)),
            ("C", (0, "celery.Celery".into(), false)),
            ("tasks", (1, "tasks".into(), false)),
            ("g", (2, "pkg.mod.f".into(), false)),
            ("h", (2, "pkg.mod.h".into(), false)),
            ("*", (1, "x".into(), true)),
        ]
    );
    // The statements as written, for rules about the import itself.
    let stmts: Vec<(u32, String, Vec<String>)> = m
        .imports
        .iter()
        .map(|i| {
            (
                i.level,
                i.from.join("."),
                i.names.iter().map(|(n, _)| n.join(".")).collect(),
            )
        })
        .collect();
    assert_eq!(
        stmts,
        vec![
            (0, "".into(), vec!["os".into()]),
            (0, "".into(), vec!["a.b.c".into()]),
            (0, "".into(), vec!["a.b".into(), "json".into()]),
            (
                0,
                "celery".into(),
                vec!["shared_task".into(), "Celery".into()]
            ),
            (1, "".into(), vec!["tasks".into()]),
            (2, "pkg.mod".into(), vec!["f".into(), "h".into()]),
            (1, "x".into(), vec!["*".into()]),
        ]
    );
    // Each imported name's span covers it (with its alias).
    let last_but_one = &m.imports[5];
    assert_eq!(text_of(text, last_but_one.names[0].1), "f as g");
    assert_eq!(
        text_of(text, last_but_one.span),
        "from ..pkg.mod import (f as g, h)"
    );
}

#[test]
fn imports_in_try_blocks_and_functions_keep_their_context() {
    let text = "try:\n    from celery import shared_task\nexcept ImportError:\n    shared_task = None\n\n\ndef f():\n    import requests\n    return requests\n";
    let m = ok(text);
    assert_eq!(m.imports[0].tries, vec![0]);
    assert_eq!(m.imports[0].scope, 0);
    let (f, _) = scope_named(&m, "f");
    assert_eq!(m.imports[1].scope, f);
    assert!(m.imports[1].tries.is_empty());
    assert_eq!(
        import_of(binding(&m, f, "requests")),
        (0, "requests".into(), false)
    );
    // The fallback assignment is a binding of the module too.
    let fallbacks: Vec<&BoundValue> = m.scopes[0]
        .bindings
        .iter()
        .filter(|b| b.name == "shared_task")
        .map(|b| &b.value)
        .collect();
    assert!(matches!(
        fallbacks[..],
        [
            BoundValue::Import(_),
            BoundValue::Expr(Expr {
                kind: ExprKind::None,
                ..
            })
        ]
    ));
}

#[test]
fn functions_params_decorators_and_classes() {
    let text = r#"
@shared_task(bind=True, max_retries=3)
def send(self, order_id, /, copy=False, *args, key: int = 1, **kwargs) -> None:
    pass


async def fetch(url: str):
    pass


class OrderView(LoginRequiredMixin, View, metaclass=Meta):
    template_name = "x.html"

    @method_decorator(login_required)
    def get(self, request, *args, **kwargs):
        pass

    async def post(self, request):
        pass
"#;
    let m = ok(text);
    let fns: Vec<(&str, bool, Option<ClassId>)> = m
        .functions()
        .map(|(_, s)| (s.name.as_str(), s.is_async, s.class))
        .collect();
    assert_eq!(
        fns,
        vec![
            ("send", false, None),
            ("fetch", true, None),
            ("get", false, Some(0)),
            ("post", true, Some(0)),
        ]
    );
    let (send_id, send) = scope_named(&m, "send");
    let params: Vec<(&str, ParamKind, bool)> = send
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.kind, p.has_default))
        .collect();
    assert_eq!(
        params,
        vec![
            ("self", ParamKind::PositionalOnly, false),
            ("order_id", ParamKind::PositionalOnly, false),
            ("copy", ParamKind::Normal, true),
            ("args", ParamKind::VarArgs, false),
            ("key", ParamKind::KeywordOnly, true),
            ("kwargs", ParamKind::VarKeywords, false),
        ]
    );
    assert!(matches!(
        send.params[2].default.as_ref().unwrap().kind,
        ExprKind::Bool(false)
    ));
    assert!(
        matches!(&send.params[4].annotation.as_ref().unwrap().kind, ExprKind::Name(n) if n == "int")
    );
    // Parameters are bindings of the function, in order.
    assert!(matches!(
        binding(&m, send_id, "copy").value,
        BoundValue::Param(2)
    ));
    // The decorator: a call of `shared_task`, with its keywords; the scope's span
    // covers the decorator, its name span only the name.
    let dec = &send.decorators[0];
    assert_eq!(
        text_of(text, dec.span),
        "@shared_task(bind=True, max_retries=3)"
    );
    let dec_call = &m.calls[dec.expr.as_call().unwrap()];
    assert_eq!(callee_name(dec_call), "shared_task");
    assert!(matches!(
        dec_call.keyword("bind").unwrap().value.kind,
        ExprKind::Bool(true)
    ));
    assert!(matches!(
        dec_call.keyword("max_retries").unwrap().value.kind,
        ExprKind::Int(3)
    ));
    assert!(text_of(text, send.span).starts_with("@shared_task"));
    assert_eq!(text_of(text, send.name_span), "send");
    let (_, fetch) = scope_named(&m, "fetch");
    assert!(
        matches!(&fetch.params[0].annotation.as_ref().unwrap().kind, ExprKind::Name(n) if n == "str")
    );
    // The class: bases (not the metaclass keyword), methods, body scope and binding.
    let class = &m.classes[0];
    assert_eq!(class.name, "OrderView");
    let bases: Vec<String> = class
        .bases
        .iter()
        .map(|b| b.dotted().unwrap().join("."))
        .collect();
    assert_eq!(bases, vec!["LoginRequiredMixin", "View"]);
    assert_eq!(class.methods.len(), 2);
    assert_eq!(m.scopes[class.body].kind, ScopeKind::Class);
    assert!(
        matches!(binding(&m, class.body, "template_name").value, BoundValue::Expr(Expr { kind: ExprKind::Str(ref s), .. }) if s == "x.html")
    );
    assert!(matches!(
        binding(&m, 0, "OrderView").value,
        BoundValue::Class(0)
    ));
    let (_, get) = scope_named(&m, "get");
    assert_eq!(
        m.calls[get.decorators[0].expr.as_call().unwrap()]
            .callee
            .dotted()
            .unwrap(),
        vec!["method_decorator"]
    );
    // A method binds its name in the class body, not in the module.
    assert!(
        m.scopes[class.body]
            .bindings
            .iter()
            .any(|b| b.name == "get")
    );
    assert!(!m.scopes[0].bindings.iter().any(|b| b.name == "get"));
}

#[test]
fn calls_callees_arguments_and_how_their_value_is_used() {
    let text = r#"
async def view(request, pk):
    send_receipt(pk)
    x = total.delay(pk, countdown=10, *rest, **extra)
    await notify.kiq(pk)
    result = await fetch(url)
    tasks.rebuild.apply_async(args=(pk,), kwargs={"copy": True}, queue="slow")
    return helper(compute(pk))
"#;
    let m = ok(text);
    let names: Vec<String> = m.calls.iter().map(callee_name).collect();
    // Calls are numbered innermost first: an argument's call before its caller.
    assert_eq!(
        names,
        vec![
            "send_receipt",
            "total.delay",
            "notify.kiq",
            "fetch",
            "tasks.rebuild.apply_async",
            "compute",
            "helper"
        ]
    );
    let statement = call(&m, "send_receipt");
    assert!(!statement.value_used && !statement.awaited && statement.followed_by_statement);
    assert_eq!(text_of(text, statement.span), "send_receipt(pk)");
    assert_eq!(text_of(text, statement.args_span), "(pk)");
    let delay = call(&m, "total.delay");
    assert!(delay.value_used);
    let kinds: Vec<(ArgKind, Option<&str>)> = delay
        .args
        .iter()
        .map(|a| (a.kind, a.name.as_deref()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (ArgKind::Positional, None),
            (ArgKind::Keyword, Some("countdown")),
            (ArgKind::Star, None),
            (ArgKind::DoubleStar, None),
        ]
    );
    assert!(delay.has_unpacking());
    assert_eq!(text_of(text, delay.args[1].span), "countdown=10");
    assert!(matches!(&delay.args[2].value.kind, ExprKind::Name(n) if n == "rest"));
    assert_eq!(delay.method_name(), Some("delay"));
    assert!(delay.written_with(&["total"]) && !delay.written_with(&["notify"]));
    // `await f(x)` as a statement: awaited, value dropped; as a value: awaited, used.
    let kiq = call(&m, "notify.kiq");
    assert!(kiq.awaited && !kiq.value_used);
    let fetch = call(&m, "fetch");
    assert!(fetch.awaited && fetch.value_used);
    let apply = call(&m, "tasks.rebuild.apply_async");
    assert!(
        matches!(&apply.keyword("args").unwrap().value.kind, ExprKind::Tuple(items) if items.len() == 1)
    );
    assert!(
        matches!(&apply.keyword("kwargs").unwrap().value.kind, ExprKind::Dict(entries) if entries.len() == 1)
    );
    assert_eq!(apply.keyword("queue").unwrap().value.as_str(), Some("slow"));
    // The last statement is not followed by another.
    let helper = call(&m, "helper");
    assert!(!helper.followed_by_statement);
    assert!(
        matches!(helper.args[0].value.kind, ExprKind::Call(c) if callee_name(&m.calls[c]) == "compute")
    );
    // What the function returns.
    let (_, view) = scope_named(&m, "view");
    assert!(matches!(view.returns[0].kind, ExprKind::Call(_)));
    // Bindings of call results.
    let (v, _) = scope_named(&m, "view");
    assert!(matches!(&binding(&m, v, "x").value, BoundValue::Expr(e) if e.as_call().is_some()));
}

#[test]
fn withs_tries_and_handlers() {
    let text = r#"
def f(order):
    with transaction.atomic():
        with open(path) as fh, lock:
            enqueue_one(order)
    try:
        self.retry(exc=e)
    except (Retry, ValueError) as exc:
        log(exc)
    except Exception:
        raise
    except:
        pass
    else:
        after()
    finally:
        cleanup()
    outside()
"#;
    let m = ok(text);
    let inner = call(&m, "enqueue_one");
    let withs: Vec<String> = inner
        .withs
        .iter()
        .map(|w| match &w.kind {
            ExprKind::Call(c) => callee_name(&m.calls[*c]),
            ExprKind::Name(n) => n.to_string(),
            _ => "?".into(),
        })
        .collect();
    assert_eq!(withs, vec!["transaction.atomic", "open", "lock"]);
    let (f, _) = scope_named(&m, "f");
    assert!(matches!(&binding(&m, f, "fh").value, BoundValue::WithOf(e) if e.as_call().is_some()));
    assert!(call(&m, "outside").withs.is_empty());
    // The try body's calls know their try; handlers, else and finally do not.
    assert_eq!(call(&m, "self.retry").tries, vec![0]);
    for name in ["log", "after", "cleanup", "outside"] {
        assert!(call(&m, name).tries.is_empty(), "{name}");
    }
    let handlers: Vec<(Vec<String>, bool)> = m.tries[0]
        .handlers
        .iter()
        .map(|h| {
            (
                h.types
                    .iter()
                    .map(|t| t.dotted().unwrap().join("."))
                    .collect(),
                h.reraises,
            )
        })
        .collect();
    assert_eq!(
        handlers,
        vec![
            (vec!["Retry".into(), "ValueError".into()], false),
            (vec!["Exception".into()], true),
            (vec![], false),
        ]
    );
    // The exception name is bound, to a value not tracked.
    assert!(matches!(binding(&m, f, "exc").value, BoundValue::Unknown));
}

#[test]
fn guards_record_the_conditions_a_call_runs_under() {
    let text = r#"
def f(sync, order):
    if not sync:
        a()
    elif order.paid:
        b()
    else:
        c()
    if not order:
        return
    d()
"#;
    let m = ok(text);
    let guards = |name: &str| -> Vec<(String, bool)> {
        call(&m, name)
            .guards
            .iter()
            .map(|g| (text_of(text, g.cond.span).to_string(), g.when))
            .collect()
    };
    assert_eq!(guards("a"), vec![("sync".into(), false)]);
    assert_eq!(
        guards("b"),
        vec![("sync".into(), true), ("order.paid".into(), true)]
    );
    assert_eq!(
        guards("c"),
        vec![("sync".into(), true), ("order.paid".into(), false)]
    );
    // After `if not order: return`, the rest runs only when `order` is true.
    assert_eq!(guards("d"), vec![("order".into(), true)]);
}

#[test]
fn guards_keep_comparisons_with_literals() {
    let text = r#"
def f(self, mode, n):
    if mode == "sync":
        a()
    if self.kind not in ("a", 'b'):
        b()
    if mode is None or n != 2:
        c()
    if 1 < n < 3:
        d()
    if mode == f"x{n}":
        e()
    if not (mode != b"raw"):
        g()
"#;
    let m = ok(text);
    let cond = |name: &str| call(&m, name).guards[0].cond.kind.clone();
    let name = |e: &Expr| e.dotted().map(|d| d.join("."));
    let ExprKind::Compare(CmpOp::Eq, l, r) = cond("a") else {
        panic!("{:?}", cond("a"));
    };
    assert_eq!((name(&l), r.as_str()), (Some("mode".into()), Some("sync")));
    let ExprKind::Compare(CmpOp::NotIn, l, r) = cond("b") else {
        panic!("{:?}", cond("b"));
    };
    assert_eq!(name(&l), Some("self.kind".into()));
    let ExprKind::Tuple(items) = &r.kind else {
        panic!("{r:?}");
    };
    let items: Vec<_> = items.iter().map(|i| i.as_str()).collect();
    assert_eq!(items, vec![Some("a"), Some("b")]);
    let ExprKind::Or(l, r) = cond("c") else {
        panic!("{:?}", cond("c"));
    };
    assert!(matches!(l.kind, ExprKind::Compare(CmpOp::Is, _, _)));
    assert!(
        matches!(r.kind, ExprKind::Compare(CmpOp::NotEq, _, ref v) if matches!(v.kind, ExprKind::Int(2)))
    );
    // A chain, and an f-string (its value is not known): not kept.
    assert!(matches!(cond("d"), ExprKind::Other));
    assert!(!matches!(cond("e"), ExprKind::Compare(_, _, ref r) if r.as_str().is_some()));
    // Bytes are not the string they spell.
    let g = &call(&m, "g").guards[0];
    assert!(!g.when);
    assert!(!matches!(g.cond.kind, ExprKind::Compare(_, _, ref r) if r.as_str().is_some()));
}

#[test]
fn lambdas_are_scopes_passed_to_their_call() {
    let text = "def f(order):\n    transaction.on_commit(lambda: send.delay(order.pk))\n    run(1, key=lambda x: x)\n";
    let m = ok(text);
    type Lambda = (ScopeId, Option<(CallId, usize)>, usize);
    let lambdas: Vec<Lambda> = m
        .scopes
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == ScopeKind::Lambda)
        .map(|(i, s)| (i, s.passed_to, s.params.len()))
        .collect();
    let on_commit = m
        .calls
        .iter()
        .position(|c| callee_name(c) == "transaction.on_commit")
        .unwrap();
    let run = m
        .calls
        .iter()
        .position(|c| callee_name(c) == "run")
        .unwrap();
    assert_eq!(lambdas.len(), 2);
    assert_eq!(lambdas[0].1, Some((on_commit, 0)));
    assert_eq!(lambdas[1].1, Some((run, 1)));
    assert_eq!(lambdas[1].2, 1);
    // The enqueue inside the lambda belongs to the lambda's scope, whose enclosing
    // function is `f`.
    let delay = call(&m, "send.delay");
    assert_eq!(delay.scope, lambdas[0].0);
    let (f, _) = scope_named(&m, "f");
    assert_eq!(m.enclosing_function(delay.scope), f);
}

#[test]
fn assignments_loops_and_targets() {
    let text = r#"
INSTALLED_APPS = BASE_APPS + ["shop", "orders"]
urlpatterns = [path("", home)]
urlpatterns += [path("x/", other)]
a = b = Order.objects.get(pk=1)
first, second = pair
left, right = west, east
head, *rest = queue
app.conf.beat_schedule = {"every": {"task": "shop.tasks.t"}}
SETTINGS["key"] = 1
for order in Order.objects.all():
    pass
items = [x for x in rows if check(x)]
if (n := compute()) > 1:
    pass
"#;
    let m = ok(text);
    match &binding(&m, 0, "INSTALLED_APPS").value {
        BoundValue::Expr(Expr {
            kind: ExprKind::List(items),
            ..
        }) => {
            assert!(
                matches!(&items[0].kind, ExprKind::Starred(inner) if matches!(&inner.kind, ExprKind::Name(n) if n == "BASE_APPS"))
            );
            assert_eq!(items[1].as_str(), Some("shop"));
            assert_eq!(items[2].as_str(), Some("orders"));
        }
        other => panic!("{other:?}"),
    }
    let urls: Vec<bool> = m.scopes[0]
        .bindings
        .iter()
        .filter(|b| b.name == "urlpatterns")
        .map(|b| b.augmented)
        .collect();
    assert_eq!(urls, vec![false, true]);
    // `a = b = value`: `b` gets the value, `a` gets `b`.
    assert!(matches!(&binding(&m, 0, "b").value, BoundValue::Expr(e) if e.as_call().is_some()));
    assert!(
        matches!(&binding(&m, 0, "a").value, BoundValue::Expr(Expr { kind: ExprKind::Name(n), .. }) if n == "b")
    );
    // Destructuring binds each name to its element: `pair[0]`, `pair[1]`; of a tuple
    // literal, to the element itself; with a `*rest`, to nothing known.
    let element = |name: &str| match &binding(&m, 0, name).value {
        BoundValue::Expr(Expr {
            kind: ExprKind::Subscript(base, index),
            ..
        }) => match (&base.kind, &index.kind) {
            (ExprKind::Name(b), ExprKind::Int(i)) => Some((b.to_string(), *i)),
            _ => None,
        },
        _ => None,
    };
    assert_eq!(element("first"), Some(("pair".to_string(), 0)));
    assert_eq!(element("second"), Some(("pair".to_string(), 1)));
    assert!(
        matches!(&binding(&m, 0, "left").value, BoundValue::Expr(Expr { kind: ExprKind::Name(n), .. }) if n == "west")
    );
    assert!(matches!(binding(&m, 0, "head").value, BoundValue::Unknown));
    // Attribute and subscript targets are attribute assignments, not bindings.
    let targets: Vec<String> = m
        .attr_assignments
        .iter()
        .map(|a| text_of(text, a.target.span).to_string())
        .collect();
    assert_eq!(targets, vec!["app.conf.beat_schedule", "SETTINGS[\"key\"]"]);
    assert!(matches!(
        &m.attr_assignments[0].value.kind,
        ExprKind::Dict(_)
    ));
    assert!(matches!(
        &binding(&m, 0, "order").value,
        BoundValue::IterOf(e) if e.as_call().is_some()
    ));
    // Comprehension variables and walrus targets bind too; their calls are lowered.
    assert!(matches!(binding(&m, 0, "x").value, BoundValue::IterOf(_)));
    assert!(matches!(&binding(&m, 0, "n").value, BoundValue::Expr(e) if e.as_call().is_some()));
    call(&m, "check");
    call(&m, "compute");
}

#[test]
fn literals() {
    let text = r#"
a = "plain" 'joined'
b = f"{x}"
b2 = f"on_{kind}_{step}_done"
c = b"bytes"
d = 1_000
e = (1, *rest)
f = {"k": v, **more}
g = True, None
h = x[0]
i = 100000000000000000000
j = "esc\n"
k = client or Session()
l = a and b
"#;
    let m = ok(text);
    let v = |name: &str| match &binding(&m, 0, name).value {
        BoundValue::Expr(e) => e.kind.clone(),
        other => panic!("{other:?}"),
    };
    assert!(matches!(v("a"), ExprKind::Str(s) if s == "plainjoined"));
    // f-strings and bytes are not plain strings; an f-string keeps its literal ends.
    assert!(
        matches!(v("b"), ExprKind::Formatted { head, tail } if head.is_empty() && tail.is_empty())
    );
    assert!(
        matches!(v("b2"), ExprKind::Formatted { head, tail } if head == "on_" && tail == "_done")
    );
    assert!(matches!(v("c"), ExprKind::Other));
    assert!(matches!(v("d"), ExprKind::Int(1000)));
    assert!(
        matches!(v("e"), ExprKind::Tuple(items) if matches!(items[1].kind, ExprKind::Starred(_)))
    );
    assert!(
        matches!(v("f"), ExprKind::Dict(entries) if entries.len() == 2 && entries[1].0.is_none())
    );
    assert!(
        matches!(v("g"), ExprKind::Tuple(items) if matches!(items[0].kind, ExprKind::Bool(true)) && matches!(items[1].kind, ExprKind::None))
    );
    assert!(matches!(v("h"), ExprKind::Subscript(..)));
    // An integer that does not fit is not a number tasklint tracks.
    assert!(matches!(v("i"), ExprKind::Other));
    assert!(matches!(v("j"), ExprKind::Str(s) if s == "esc\\n"));
    assert!(
        matches!(v("k"), ExprKind::Or(l, r) if matches!(&l.kind, ExprKind::Name(n) if n == "client") && matches!(r.kind, ExprKind::Call(_)))
    );
    // `a and b` is kept for a condition's truth (its value is not resolved).
    assert!(
        matches!(v("l"), ExprKind::And(l, r) if matches!(&l.kind, ExprKind::Name(n) if n == "a") && matches!(&r.kind, ExprKind::Name(n) if n == "b"))
    );
}

#[test]
fn calls_inside_every_kind_of_statement_are_found() {
    let text = r#"
def f():
    while poll():
        pass
    else:
        done()
    for x in source():
        pass
    else:
        exhausted()
    match pick():
        case {"k": 1}:
            first()
        case _:
            other()
    assert valid(), message()
    del items[index()]
    raise Failure(reason())
    yield produce()
    print(f"{formatted()}")
    x = [make() for _ in range(3)]
    global g
"#;
    let m = ok(text);
    for name in [
        "poll",
        "done",
        "source",
        "exhausted",
        "pick",
        "first",
        "other",
        "valid",
        "message",
        "index",
        "Failure",
        "reason",
        "produce",
        "formatted",
        "make",
        "range",
    ] {
        call(&m, name);
    }
}

#[test]
fn directive_comments_are_collected() {
    let text = "x = 1  # tasklint: ignore[TL101]\n# plain comment\n# NOQA: TL301\ns = '# noqa not a comment'\n";
    let m = ok(text);
    let c: Vec<(&str, bool)> = m
        .comments
        .iter()
        .map(|c| (c.text.as_str(), c.own_line))
        .collect();
    assert_eq!(
        c,
        vec![
            ("# tasklint: ignore[TL101]", false),
            ("# NOQA: TL301", true)
        ]
    );
    assert_eq!(
        text_of(text, m.comments[0].span),
        "# tasklint: ignore[TL101]"
    );
}

#[test]
fn spans_are_bytes_on_lines_with_wide_characters() {
    let text = "def f():\n    s = 'héllo 日本'; g(s)\n";
    let m = ok(text);
    let g = call(&m, "g");
    assert_eq!(text_of(text, g.span), "g(s)");
    assert_eq!(g.span.start as usize, text.find("g(s)").unwrap());
}

#[test]
fn syntax_errors_are_tl000_with_position_and_nothing_else() {
    let text = "from celery import shared_task\n\ndef f(:\n    shared_task()\n";
    let m = parse(text);
    assert_eq!(m.problems.len(), 1, "{:?}", m.problems);
    assert!(
        m.problems[0].message.starts_with("syntax error: "),
        "{}",
        m.problems[0].message
    );
    assert_eq!(
        m.problems[0].span.start as usize,
        text.find('(').unwrap() + 1
    );
    // A broken file contributes nothing but the problem: no guessing at its tree.
    assert!(m.scopes.is_empty() && m.calls.is_empty() && m.imports.is_empty());
    // Comments are still read (a suppression on the broken line still applies).
    let m = parse("def f(:  # noqa\n");
    assert_eq!(m.comments.len(), 1);
}

#[test]
fn a_missing_token_is_named() {
    // tree-sitter recovers by inserting the token; the problem is where it goes.
    let m = parse("def oops(:\n    pass\n");
    assert_eq!(m.problems.len(), 1);
    assert_eq!(
        m.problems[0].message,
        "syntax error: expected `)`, found `:`"
    );
    assert_eq!(m.problems[0].span, Span::new(9, 10));
    // An unclosed bracket at the end of the file is named by its opening bracket.
    let m = parse("x = (1, 2\n");
    assert_eq!(
        m.problems[0].message,
        "syntax error: `(` is never closed: expected `)`"
    );
}

#[test]
fn python_2_is_tl000() {
    for (text, what) in [("print 'hello'\n", "print"), ("exec 'code'\n", "exec")] {
        let m = parse(text);
        assert_eq!(
            m.problems
                .iter()
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>(),
            [format!(
                "Python 2 syntax (`{what}` statement): this file is not Python 3"
            )],
            "{text}"
        );
    }
}

#[test]
fn deep_nesting_is_tl000_not_a_stack_overflow() {
    let calls = format!(
        "x = {}1{}\n",
        "f(".repeat(MAX_NESTING + 10),
        ")".repeat(MAX_NESTING + 10)
    );
    let brackets = format!(
        "x = {}1{}\n",
        "[(".repeat(MAX_NESTING),
        ")]".repeat(MAX_NESTING)
    );
    for text in [calls, brackets] {
        let head: String = text.chars().take(20).collect();
        let m = parse(&text);
        assert_eq!(
            m.problems
                .iter()
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>(),
            ["nesting deeper than 200 levels; this file is not checked"],
            "{head}"
        );
    }
    // Real code stays far below the limit: 40 levels lower fine.
    let ok_text = format!("x = {}1{}\n", "f(".repeat(40), ")".repeat(40));
    assert_eq!(ok(&ok_text).calls.len(), 40);
}

/// The scan walks only into nodes that can hold what it looks for: on every fixture file
/// and on problems placed deep inside large code, it finds what the walk over every node
/// finds, and the same problem first.
#[test]
fn the_pruned_scan_finds_what_the_full_walk_finds() {
    let body: String = (0..60)
        .map(|i| format!("        x{i} = compute(x{i}, [1, 2, {{'k': {i}}}])\n"))
        .collect();
    let class = |inner: &str| format!("class A:\n    def m(self):\n{body}{inner}{body}");
    let mut texts = vec![
        class("        y = 1  # noqa: TL301\n"),
        class("        y = 1  # TaskLint: ignore\n        s = '# noqa in a string'\n"),
        class("        y = (1,\n"),
        class("        print 'old'\n"),
        class("        def f(:\n            pass\n        print 'after the error'\n"),
        class(&format!(
            "        y = {}1{}\n",
            "f(".repeat(MAX_NESTING + 5),
            ")".repeat(MAX_NESTING + 5)
        )),
        class("        # noqa\n        y = printer(execute)  # plain\n"),
    ];
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for entry in walkdir::WalkDir::new(fixtures) {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|e| e == "py") {
            texts.push(std::fs::read_to_string(entry.path()).unwrap_or_default());
        }
    }
    assert!(texts.len() > 50, "fixture files found: {}", texts.len());
    for text in &texts {
        let tree = parse_tree(text).unwrap();
        let pruned = scan_with(tree.root_node(), text, true);
        let full = scan_with(tree.root_node(), text, false);
        let head: String = text.chars().take(60).collect();
        assert_eq!(format!("{pruned:?}"), format!("{full:?}"), "{head}");
    }
    // The crafted texts do find what they hold.
    let found = |t: &str| {
        let tree = parse_tree(t).unwrap();
        let (comments, problem) = scan_with(tree.root_node(), t, true);
        (comments.len(), problem.map(|p| p.message))
    };
    assert_eq!(found(&texts[0]), (1, None));
    assert_eq!(found(&texts[1]), (1, None));
    assert!(found(&texts[3]).1.unwrap().contains("`print` statement"));
    assert!(found(&texts[4]).1.unwrap().starts_with("syntax error"));
    assert!(found(&texts[5]).1.unwrap().starts_with("nesting deeper"));
    assert_eq!(found(&texts[6]), (1, None));
}

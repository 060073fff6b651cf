//! Tests of the Rust frontend: the model it builds, spans, macros, and TL000.

use super::parse;
use crate::model::*;

fn text_of(text: &str, span: Span) -> &str {
    &text[span.start as usize..span.end as usize]
}

fn call_texts(text: &str, m: &FileModel) -> Vec<String> {
    m.calls
        .iter()
        .map(|c| text_of(text, c.span).to_string())
        .collect()
}

fn imports(m: &FileModel, scope: ScopeId) -> Vec<(String, String, bool)> {
    m.scopes[scope]
        .bindings
        .iter()
        .filter_map(|b| match &b.value {
            BoundValue::Import(t) => Some((b.name.to_string(), t.path.join("::"), t.glob)),
            _ => None,
        })
        .collect()
}

fn callee_name(c: &Call) -> String {
    match &c.callee.kind {
        ExprKind::Name(n) => n.to_string(),
        ExprKind::Attr(_, m) => format!(".{m}"),
        _ => "?".into(),
    }
}

/// Runs `f` on a thread with the pipeline's big stack, as the checker does.
fn on_big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(64 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn use_items_become_import_bindings() {
    let text = "use std::fs;\nuse crate::db::{self, DbConn as Conn, models::*};\nuse super::x::{a, b::c};\nuse ::serde::Deserialize;\nuse std::io::Write as _;\nextern crate rocket as r;\n";
    let m = parse(text);
    assert!(m.problems.is_empty());
    assert_eq!(
        imports(&m, 0),
        vec![
            ("fs".into(), "std::fs".into(), false),
            ("db".into(), "crate::db".into(), false),
            ("Conn".into(), "crate::db::DbConn".into(), false),
            ("*".into(), "crate::db::models".into(), true),
            ("a".into(), "super::x::a".into(), false),
            ("c".into(), "super::x::b::c".into(), false),
            ("Deserialize".into(), "serde::Deserialize".into(), false),
            ("r".into(), "rocket".into(), false),
        ]
    );
}

#[test]
fn functions_methods_modules_and_attributes() {
    let text = r#"
#[get("/")]
async fn index() {}

mod inner {
    pub fn helper() {}
    mod deeper {}
}

#[cfg(test)]
mod tests;

#[path = "other.rs"]
mod renamed;

struct Db { pool: r2d2::Pool<M>, name: String }

impl Db {
    pub fn new() -> Self { Db { pool: todo!(), name: String::new() } }
    async fn query(&self) {}
}

trait Store {
    fn save(&self) { self.flush(); }
    fn flush(&self);
}
"#;
    let m = parse(text);
    assert!(m.problems.is_empty(), "{:?}", m.problems);
    let fns: Vec<(&str, bool)> = m
        .functions()
        .map(|(_, s)| (s.name.as_str(), s.is_async))
        .collect();
    assert_eq!(
        fns,
        vec![
            ("index", true),
            ("helper", false),
            ("new", false),
            ("query", true),
            ("save", false)
        ]
    );
    let index = m.functions().next().unwrap().1;
    match &index.decorators[0].expr.kind {
        ExprKind::Call(c) => {
            assert_eq!(callee_name(&m.calls[*c]), "get");
            assert!(matches!(m.calls[*c].args[0].value.kind, ExprKind::Str(ref s) if s == "/"));
        }
        other => panic!("{other:?}"),
    }
    let mods: Vec<(&str, bool, Option<&str>, bool)> = m
        .rust
        .mods
        .iter()
        .map(|d| {
            (
                d.name.as_str(),
                d.body.is_some(),
                d.path_attr.as_deref(),
                d.cfg_test,
            )
        })
        .collect();
    assert_eq!(
        mods,
        vec![
            ("deeper", true, None, false),
            ("inner", true, None, false),
            ("tests", false, None, true),
            ("renamed", false, Some("other.rs"), false),
        ]
    );
    let inner = m.rust.mods[1].body.unwrap();
    assert_eq!(m.scopes[inner].kind, ScopeKind::Module);
    assert_eq!(m.rust.impls.len(), 1);
    assert!(matches!(&m.rust.impls[0].self_ty.kind, ExprKind::Name(n) if n == "Db"));
    let db = &m.rust.types[0];
    assert_eq!(db.fields[0].0, "pool");
    assert!(
        matches!(&db.fields[0].1.kind, ExprKind::Subscript(b, _) if matches!(&b.kind, ExprKind::Name(n) if n == "r2d2::Pool"))
    );
    // Methods belong to their impl block's class.
    let (_, query) = m.functions().find(|(_, s)| s.name == "query").unwrap();
    assert_eq!(m.classes[query.class.unwrap()].name, "Db");
    assert_eq!(query.params[0].name, "self");
}

#[test]
fn calls_paths_methods_await_and_closures() {
    let text = r#"
async fn handler(State(pool): State<Pool>, conn: &mut PgConnection) -> Result<String, E> {
    let data = fs::read("x")?;
    let page = client.get(url).send().await?;
    let rows = users.load(conn).map_err(wrap).await;
    tokio::spawn(async move { std::thread::sleep(d) });
    let _ = tokio::spawn(work());
    spawn_blocking(|| heavy());
    Ok(page)
}
"#;
    let m = parse(text);
    assert!(m.problems.is_empty(), "{:?}", m.problems);
    let names: Vec<String> = m.calls.iter().map(callee_name).collect();
    assert_eq!(
        names,
        vec![
            "fs::read",
            ".get",
            ".send",
            ".load",
            ".map_err",
            "std::thread::sleep",
            "tokio::spawn",
            "work",
            "tokio::spawn",
            "heavy",
            "spawn_blocking",
            "Ok"
        ]
    );
    let by = |n: &str| m.calls.iter().position(|c| callee_name(c) == n).unwrap();
    assert!(m.calls[by(".send")].awaited);
    assert!(!m.calls[by(".get")].awaited);
    // Awaited through a future combinator.
    assert!(m.calls[by(".load")].awaited);
    // `tokio::spawn(..);` and `let _ = tokio::spawn(..)` drop their handles.
    let spawns: Vec<bool> = m
        .calls
        .iter()
        .filter(|c| callee_name(c) == "tokio::spawn")
        .map(|c| c.value_used)
        .collect();
    assert_eq!(spawns, vec![false, false]);
    // Closures and async blocks are lambda scopes handed to their call.
    let lambdas: Vec<(&str, bool, Option<usize>)> = m
        .scopes
        .iter()
        .filter(|s| s.kind == ScopeKind::Lambda)
        .map(|s| (s.name.as_str(), s.is_async, s.passed_to.map(|(c, _)| c)))
        .collect();
    assert_eq!(
        lambdas,
        vec![
            ("<async block>", true, Some(by("tokio::spawn"))),
            ("<closure>", false, Some(by("spawn_blocking"))),
        ]
    );
    // Extractor patterns bind the inner name with the wrapper type.
    let (_, f) = m.functions().next().unwrap();
    assert_eq!(f.params[0].name, "pool");
    assert!(matches!(
        &f.params[0].annotation.as_ref().unwrap().kind,
        ExprKind::Subscript(..)
    ));
    assert!(
        matches!(&f.params[1].annotation.as_ref().unwrap().kind, ExprKind::Name(n) if n == "PgConnection")
    );
    assert_eq!(call_texts(text, &m)[by(".send")], "client.get(url).send()");
}

#[test]
fn spans_count_characters_on_lines_with_wide_characters() {
    let text = "fn f() {\n    let s = \"héllo 日本\"; g(s);\n}\n";
    let m = parse(text);
    let g = m.calls.iter().find(|c| callee_name(c) == "g").unwrap();
    assert_eq!(text_of(text, g.span), "g(s)");
    assert_eq!(g.span.start as usize, text.find("g(s)").unwrap());
    // A byte-order mark shifts nothing.
    let bom = format!("\u{feff}{text}");
    let m = parse(&bom);
    let g = m.calls.iter().find(|c| callee_name(c) == "g").unwrap();
    assert_eq!(text_of(&bom, g.span), "g(s)");
    assert_eq!(text_of(&bom, m.scopes[1].name_span), "f");
}

#[test]
fn macro_arguments_are_read_when_they_are_expressions() {
    let text = r#"
macro_rules! run {
    ($e:expr) => { std::thread::sleep($e) };
}
macro_rules! later {
    ($e:expr) => { std::thread::spawn(move || $e) };
}
macro_rules! named {
    ($e:expr) => { stringify!($e) };
}
macro_rules! logged {
    ($e:expr) => { $e.map_err(|err| log(err)) };
}
fn f() {
    println!("{}", compute(1));
    my_macro!(std::thread::sleep(d));
    let v = vec![load(), load()];
    sqlx::query!("select 1", fetch());
    let app = celery::app!(broker = AMQPBroker { url }, tasks = [add, mul], task_routes = ["*" => "q"]);
    html! { <div class="x">{ render() }</div> };
}
"#;
    let m = parse(text);
    assert!(m.problems.is_empty(), "{:?}", m.problems);
    let names: Vec<String> = m.calls.iter().map(callee_name).collect();
    assert_eq!(
        names,
        vec![
            "compute",
            "println",
            "std::thread::sleep",
            "my_macro",
            "load",
            "load",
            "vec",
            "fetch",
            "sqlx::query",
            "AMQPBroker",
            "celery::app",
            "html"
        ]
    );
    // Another macro's expression arguments are read, their calls noted with the macro;
    // a DSL stays unread.
    let index = |name: &str| m.calls.iter().position(|c| callee_name(c) == name).unwrap();
    let mac = &m.calls[index("my_macro")];
    assert!(mac.is_macro && mac.args.len() == 1);
    assert_eq!(
        m.rust.in_macro,
        vec![(index("std::thread::sleep"), index("my_macro"))]
    );
    assert!(m.calls[index("html")].args.is_empty());
    // Known macros keep their shapes: sqlx's query macros bind their arguments here.
    let query = &m.calls[index("sqlx::query")];
    assert!(query.is_macro && query.args.len() == 2);
    let app = &m.calls[index("celery::app")];
    let tasks = app.keyword("tasks").unwrap();
    assert!(matches!(&tasks.value.kind, ExprKind::List(items) if items.len() == 2));
    assert!(app.keyword("broker").is_some());
    assert!(app.keyword("task_routes").is_none());
    // Whether a definition runs its argument where the macro is written.
    let defers: Vec<(&str, bool)> = m
        .rust
        .macro_rules
        .iter()
        .map(|(n, d)| (n.as_str(), *d))
        .collect();
    assert_eq!(
        defers,
        vec![
            ("run", false),
            ("later", true),
            ("named", true),
            ("logged", false)
        ]
    );
}

#[test]
fn select_branches_and_join_arguments_are_read_and_awaited() {
    let text = r#"
async fn f(mut rx: Rx) {
    tokio::select! {
        biased;
        Some(v) = rx.recv() => { work(v) }
        _ = tick(), if ready() => done(),
        else => fallback(),
    }
    let (a, b) = tokio::join!(one(), two());
    crossbeam_channel::select! { recv(r) -> msg => handle(msg), }
}
"#;
    let m = parse(text);
    let names: Vec<String> = m.calls.iter().map(callee_name).collect();
    for n in [
        ".recv", "tick", "ready", "work", "done", "fallback", "one", "two",
    ] {
        assert!(names.contains(&n.to_string()), "{n} in {names:?}");
    }
    // crossbeam's select! has another grammar: unread, not guessed.
    assert!(!names.contains(&"handle".to_string()), "{names:?}");
    for n in [".recv", "tick", "one", "two"] {
        let c = m.calls.iter().find(|c| callee_name(c) == n).unwrap();
        assert!(c.awaited, "{n} is awaited by the macro");
    }
    let body = m.calls.iter().find(|c| callee_name(c) == "work").unwrap();
    assert!(!body.awaited);
    // `Some(v) = rx.recv()` binds `v` in the branch body.
    assert!(m.scopes[1].bindings.iter().any(|b| b.name == "v"));
}

#[test]
fn tuples_struct_patterns_and_literals_keep_their_values() {
    let text = r#"
fn f(State(AppState { db, .. }): State<AppState>) {
    let (tx, rx) = channel();
    let (a, b) = (one(), two());
    Client { url }.send();
}
"#;
    let m = parse(text);
    let f = &m.scopes[1];
    let value = |name: &str| {
        f.bindings
            .iter()
            .rev()
            .find(|b| b.name == name)
            .map(|b| b.value.clone())
            .unwrap()
    };
    assert!(
        matches!(value("rx"), BoundValue::Expr(Expr { kind: ExprKind::Subscript(_, i), .. })
        if matches!(i.kind, ExprKind::Int(1)))
    );
    assert!(matches!(
        value("b"),
        BoundValue::Expr(Expr {
            kind: ExprKind::Call(_),
            ..
        })
    ));
    assert!(
        matches!(value("db"), BoundValue::Expr(Expr { kind: ExprKind::Attr(_, ref n), .. }) if n == "db")
    );
    // A struct literal is a call of its type, with keyword arguments.
    let lit = m.calls.iter().find(|c| callee_name(c) == "Client").unwrap();
    assert_eq!(lit.keyword("url").map(|a| a.kind), Some(ArgKind::Keyword));
    assert!(m.calls.iter().any(|c| callee_name(c) == ".send"));
}

#[test]
fn option_tests_are_guards_of_the_calls_under_them() {
    let text = r#"
fn f(password: Option<&str>, other: Option<u8>) {
    if let Some(p) = password.as_deref() { hash(p); } else { clear(); }
    if other.is_none() { none_branch(); }
    match password { Some(p) => arm(p), None => empty() }
    let Some(o) = other else { return };
    after(o);
    plain();
}
"#;
    let m = parse(text);
    let guard = |name: &str| {
        let c = m.calls.iter().find(|c| callee_name(c) == name).unwrap();
        c.guards
            .iter()
            .map(|g| (g.cond.dotted().unwrap().join("."), g.when))
            .collect::<Vec<_>>()
    };
    assert_eq!(guard("hash"), vec![("password".into(), true)]);
    assert_eq!(guard("clear"), vec![("password".into(), false)]);
    assert_eq!(guard("none_branch"), vec![("other".into(), false)]);
    assert_eq!(guard("arm"), vec![("password".into(), true)]);
    assert_eq!(guard("empty"), vec![("password".into(), false)]);
    assert_eq!(guard("after"), vec![("other".into(), true)]);
    // `None` is the literal absence.
    let text2 = "fn g() { set(None); }";
    let m2 = parse(text2);
    assert!(matches!(m2.calls[0].args[0].value.kind, ExprKind::None));
}

#[test]
fn json_macro_values_are_expressions() {
    let text = r#"fn f() { let v = serde_json::json!({"a": load(), "b": [one(), {"c": two()}], "d": 1}); }"#;
    let m = parse(text);
    let names: Vec<String> = m.calls.iter().map(callee_name).collect();
    assert_eq!(names, vec!["load", "one", "two", "serde_json::json"]);
    assert_eq!(m.calls[3].args.len(), 4);
}

#[test]
fn directive_comments_are_collected() {
    // Only comments that can be suppression directives are kept in the model.
    let text = "fn f() {\n    g(); // tasklint: ignore[TL302]\n    let s = \"// not one\";\n    // plain\n    /* NOQA block */\n}\n";
    let m = parse(text);
    let c: Vec<(&str, bool)> = m
        .comments
        .iter()
        .map(|c| (c.text.as_str(), c.own_line))
        .collect();
    assert_eq!(
        c,
        vec![
            ("// tasklint: ignore[TL302]", false),
            ("/* NOQA block */", true)
        ]
    );
}

#[test]
fn syntax_errors_are_tl000_with_position() {
    let text = "fn f() {\n    let x = ;\n}\n";
    let m = parse(text);
    assert_eq!(m.problems.len(), 1);
    let p = &m.problems[0];
    assert!(p.message.starts_with("syntax error: "), "{}", p.message);
    assert_eq!(p.span.start as usize, text.find(';').unwrap());
    assert!(m.scopes.is_empty() && m.calls.is_empty());
}

#[test]
fn deep_nesting_is_tl000_not_a_stack_overflow() {
    let cases: Vec<String> = vec![
        format!(
            "fn f() {{ let x = {}1{}; }}",
            "(".repeat(20_000),
            ")".repeat(20_000)
        ),
        format!("fn f() {{ let x = {}y; }}", "!".repeat(20_000)),
        format!("fn f() {{ let x = {}y; }}", "& ".repeat(20_000)),
        format!("fn f() {{ {}1; }}", "x = ".repeat(20_000)),
        format!("fn f() {{ {}1; }}", "..".repeat(20_000)),
        format!("fn f() {{ let x = {}1; }}", "|| ".repeat(20_000)),
        format!("fn f() {{ {}1; }}", "return ".repeat(20_000)),
        format!(
            "type T = {}u8{};",
            "Vec<".repeat(20_000),
            ">".repeat(20_000)
        ),
        format!("type T = {}u8;", "*const ".repeat(20_000)),
        format!(
            "fn f() {{ if a {{ x; }} {} }}",
            "else if a { x; } ".repeat(20_000)
        ),
        format!("fn f() {{ {} }}", "if let Some(x) = y { ".repeat(20_000)),
        format!("fn f() {{ let x = y{}; }}", ".a()".repeat(200_000)),
        format!("fn f() {{ let x = y{}; }}", "+y".repeat(200_000)),
    ];
    for text in cases {
        let head: String = text.chars().take(30).collect();
        let problems = on_big_stack(move || parse(&text).problems);
        assert_eq!(problems.len(), 1, "{head}");
        assert!(
            problems[0].message.contains("nesting deeper")
                || problems[0].message.contains("operators"),
            "{head}: {}",
            problems[0].message
        );
    }
}

#[test]
fn a_long_line_with_wide_characters_is_linear() {
    // Minified code: one line, one non-ASCII character, many calls.
    let text = format!("fn f() {{ let s = \"é\"; {} }}", "g(1); ".repeat(50_000));
    let start = std::time::Instant::now();
    let m = on_big_stack(move || parse(&text));
    assert_eq!(m.calls.len(), 50_000);
    assert!(start.elapsed().as_secs() < 30, "took {:?}", start.elapsed());
}

#[test]
fn long_flat_chains_are_lowered_without_recursion() {
    let text = format!(
        "fn f() {{ a{}; let x = y{}; }}",
        ".route(\"/\", get(h))".repeat(3000),
        " + y".repeat(20_000)
    );
    let (problems, calls) = on_big_stack(move || {
        let m = parse(&text);
        (m.problems.len(), m.calls.len())
    });
    assert_eq!(problems, 0);
    assert_eq!(calls, 6000);
    // Real code with many closures, match arms and generics stays well below the limit.
    let arms = format!(
        "fn f() {{ match x {{ {} }} }}",
        "A | B => { y = z; }\n".repeat(500)
    );
    assert!(parse(&arms).problems.is_empty());
}

#[test]
fn unbalanced_brackets_are_reported_at_the_bracket() {
    let cases = [
        (
            "fn f() {\n    g(1;\n}\n",
            "}",
            "`}` does not close the `(` on line 2: expected `)`",
        ),
        (
            "fn f() {\n    g(1);\n",
            "{",
            "`{` is never closed: expected `}`",
        ),
        ("fn f() {}\n)\n", ")", "unmatched `)`: nothing was opened"),
        // Brackets in strings, characters and comments do not count.
        (
            "fn f() { let s = \"(\"; let c = '{'; /* ( */ g(1 }\n",
            "}",
            "`}` does not close the `(` on line 1: expected `)`",
        ),
    ];
    for (src, at, message) in cases {
        let m = super::parse(src);
        let p = &m.problems[0];
        assert_eq!(
            (
                &src[p.span.start as usize..p.span.end as usize],
                p.message.as_str()
            ),
            (at, format!("syntax error: {message}").as_str()),
            "{src:?}"
        );
    }
}

//! Tests of the Rust project index: crates and modules, `use` resolution, methods,
//! wrappers and handlers, on small projects written to a temporary folder.

use std::path::Path;

use crate::check::{Options, check};
use crate::index::{CallRef, Project, Value};
use crate::settings::Settings;

fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, Project) {
    let tmp = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = tmp.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let out = check(Options {
        paths: vec![tmp.path().to_path_buf()],
        settings: Settings::default(),
        knowledge: crate::knowledge::BUILTIN.clone(),
        threads: Some(1),
    })
    .unwrap();
    (tmp, out.project)
}

/// What the call whose source text is `text` (in the file ending with `file`) resolves to.
fn callee(p: &Project, file: &str, text: &str) -> Value {
    for (f, model) in p.models.iter().enumerate() {
        if !p.files[f].path.ends_with(Path::new(file)) {
            continue;
        }
        for (i, c) in model.calls.iter().enumerate() {
            if p.files[f].slice(c.span) == text {
                return p.callee(CallRef { file: f, call: i }).clone();
            }
        }
    }
    panic!("no call `{text}` in {file}");
}

fn function_named(p: &Project, v: &Value) -> String {
    match v {
        Value::Function(f) => p.qualname(*f),
        other => format!("{other:?}"),
    }
}

const MANIFEST: &str = "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[dependencies]\ntokio = \"1\"\nreqwest = \"0.12\"\nactix-web = \"4\"\nhttp = { package = \"ureq\", version = \"2\" }\n";

#[test]
fn use_resolution_paths_renames_groups_and_globs() {
    let (_t, p) = project(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "pub mod db;\npub mod api;\nmod util { pub fn helper() {} pub mod deep { pub fn f() { super::helper(); } } }\npub mod prelude { pub use crate::db::Conn; pub use crate::util::helper; }\n",
        ),
        (
            "src/db.rs",
            "pub struct Conn;\nimpl Conn { pub fn new() -> Self { Conn } pub fn query(&self) {} }\npub fn open() -> Conn { Conn::new() }\n",
        ),
        ("src/api/mod.rs", "mod handlers;\n"),
        (
            "src/api/handlers.rs",
            r#"use std::fs;
use std::thread::{self, sleep as nap};
use crate::db::{self, open as connect};
use crate::prelude::*;
use actix_web::web::*;
use reqwest::blocking::Client as Sync;
use super::super::util::deep;

fn run() {
    fs::read("a");
    nap(d);
    thread::spawn(f);
    connect();
    db::open().query();
    helper();
    Conn::new();
    get();
    Sync::new();
    deep::f();
    http::get(u);
    self::local();
    tokio::spawn(fut);
}
fn local() {}
"#,
        ),
    ]);
    let f = "src/api/handlers.rs";
    assert_eq!(
        callee(&p, f, "fs::read(\"a\")"),
        Value::External("std.fs.read".into())
    );
    assert_eq!(
        callee(&p, f, "nap(d)"),
        Value::External("std.thread.sleep".into())
    );
    assert_eq!(
        callee(&p, f, "thread::spawn(f)"),
        Value::External("std.thread.spawn".into())
    );
    assert_eq!(
        function_named(&p, &callee(&p, f, "connect()")),
        "app.db.open"
    );
    // Through the declared return type of `open` to the method of `Conn`.
    assert_eq!(
        function_named(&p, &callee(&p, f, "db::open().query()")),
        "app.db.Conn.query"
    );
    // A glob of a project module that re-exports.
    assert_eq!(
        function_named(&p, &callee(&p, f, "helper()")),
        "app.util.helper"
    );
    assert_eq!(
        function_named(&p, &callee(&p, f, "Conn::new()")),
        "app.db.Conn.new"
    );
    // A glob of a known library module.
    assert_eq!(
        callee(&p, f, "get()"),
        Value::External("actix_web.web.get".into())
    );
    assert_eq!(
        callee(&p, f, "Sync::new()"),
        Value::External("reqwest.blocking.Client.new".into())
    );
    assert_eq!(
        function_named(&p, &callee(&p, f, "deep::f()")),
        "app.util.deep.f"
    );
    // A renamed dependency is known by its package.
    assert_eq!(
        callee(&p, f, "http::get(u)"),
        Value::External("ureq.get".into())
    );
    assert_eq!(
        function_named(&p, &callee(&p, f, "self::local()")),
        "app.api.handlers.local"
    );
    assert_eq!(
        callee(&p, f, "tokio::spawn(fut)"),
        Value::External("tokio.spawn".into())
    );
    assert_eq!(
        function_named(&p, &callee(&p, "src/lib.rs", "super::helper()")),
        "app.util.helper"
    );
}

#[test]
fn unknown_names_stay_unknown() {
    let (_t, p) = project(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "fn f(x: Thing) { undeclared_crate::go(); x.method(); bcrypt.verify(); let (a, b) = pair(); a.recv(); }\n",
        ),
    ]);
    let f = "src/lib.rs";
    // Not a dependency: not a crate path.
    assert_eq!(callee(&p, f, "undeclared_crate::go()"), Value::Unknown);
    assert_eq!(callee(&p, f, "x.method()"), Value::Unknown);
    // A variable named like a crate is not the crate.
    assert_eq!(callee(&p, f, "bcrypt.verify()"), Value::Unknown);
    assert_eq!(callee(&p, f, "a.recv()"), Value::Unknown);
}

#[test]
fn workspace_crates_modules_from_paths_and_path_attributes() {
    let (_t, p) = project(&[
        ("Cargo.toml", "[workspace]\nmembers = [\"a\", \"b\"]\n"),
        (
            "a/Cargo.toml",
            "[package]\nname = \"crate-a\"\n[dependencies]\nb = { package = \"crate-b\", path = \"../b\" }\n",
        ),
        (
            "a/src/main.rs",
            "mod x;\n#[path = \"odd_name.rs\"]\nmod y;\nfn main() { b::api::call(); x::f(); y::g(); }\n",
        ),
        ("a/src/x.rs", "pub fn f() {}\n"),
        ("a/src/odd_name.rs", "pub fn g() {}\n"),
        ("b/Cargo.toml", "[package]\nname = \"crate-b\"\n"),
        ("b/src/lib.rs", "pub mod api { pub fn call() {} }\n"),
    ]);
    let f = "a/src/main.rs";
    assert_eq!(
        function_named(&p, &callee(&p, f, "b::api::call()")),
        "crate_b.api.call"
    );
    assert_eq!(function_named(&p, &callee(&p, f, "x::f()")), "crate_a.x.f");
    assert_eq!(function_named(&p, &callee(&p, f, "y::g()")), "crate_a.y.g");
}

#[test]
fn modules_that_glob_each_other_resolve_quickly() {
    // Every module globs every other: resolving through globs at each lookup would be
    // exponential.
    let n = 40;
    let mut lib = String::new();
    for i in 0..n {
        lib.push_str(&format!("pub mod m{i};\n"));
    }
    let mut files: Vec<(String, String)> = vec![
        ("Cargo.toml".into(), MANIFEST.into()),
        ("src/lib.rs".into(), lib),
    ];
    for i in 0..n {
        let mut text = String::new();
        for j in 0..n {
            if i != j {
                text.push_str(&format!("use crate::m{j}::*;\n"));
            }
        }
        text.push_str(&format!(
            "pub fn f{i}() {{ missing_{i}(); f{}(); }}\n",
            (i + 1) % n
        ));
        files.push((format!("src/m{i}.rs"), text));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let start = std::time::Instant::now();
    let (_t, p) = project(&refs);
    assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
    assert_eq!(
        function_named(&p, &callee(&p, "src/m3.rs", "f4()")),
        "app.m4.f4"
    );
    assert_eq!(callee(&p, "src/m3.rs", "missing_3()"), Value::Unknown);
}

#[test]
fn wrappers_handlers_and_rocket_versions() {
    let (_t, p) = project(&[
        (
            "Cargo.toml",
            "[package]\nname = \"svc\"\n[dependencies]\nrocket = \"0.4.11\"\ntokio = \"1\"\naxum = \"0.8\"\n",
        ),
        (
            "src/main.rs",
            r#"#[macro_use] extern crate rocket;
struct Db;
impl Db {
    async fn run<F, R>(&self, f: F) -> R where F: FnOnce() -> R + Send { tokio::task::block_in_place(f) }
}
fn not_a_wrapper<T: Clone>(data: T) { std::thread::spawn(move || keep(data)); }
fn keep<T>(_: T) {}
#[get("/")]
fn legacy() -> &'static str { "x" }
async fn h() {}
fn main() { let app = axum::Router::new().route("/", axum::routing::get(h)); }
"#,
        ),
    ]);
    let wrappers: Vec<String> = p.rust.wrappers.keys().map(|f| p.qualname(*f)).collect();
    assert_eq!(wrappers, vec!["svc.Db.run".to_string()]);
    assert!(p.rust.wrapper_methods.contains("run"));
    let handlers: Vec<(String, String, bool)> = p
        .rust
        .handlers
        .iter()
        .map(|h| (p.qualname(h.func), h.framework.clone(), h.sync_on_runtime))
        .collect();
    // Rocket 0.4 handlers are handlers, but sync code.
    assert!(handlers.contains(&("svc.legacy".into(), "rocket route".into(), false)));
    assert!(handlers.contains(&("svc.h".into(), "axum route handler".into(), false)));
}

#[test]
fn long_router_chains_and_extension_methods() {
    // A route table hundreds of calls long, with a project extension method on the
    // router (conduit's `.ruma_route(h)`): the last handler is found like the first.
    let mut chain = String::from("axum::Router::new()");
    for i in 0..300 {
        chain.push_str(&format!("\n        .my_route(h{i})"));
    }
    let mut text = format!("fn app() -> axum::Router {{\n    {chain}\n}}\n");
    for i in 0..300 {
        text.push_str(&format!("async fn h{i}() {{}}\n"));
    }
    let (_t, p) = project(&[
        (
            "Cargo.toml",
            "[package]\nname = \"svc\"\n[dependencies]\naxum = \"0.8\"\n",
        ),
        ("src/main.rs", &text),
    ]);
    let names: Vec<String> = p.rust.handlers.iter().map(|h| p.qualname(h.func)).collect();
    assert_eq!(names.len(), 300);
    assert!(names.contains(&"svc.h299".to_string()));
}

#[test]
fn very_long_chains_resolve_without_deep_recursion() {
    let text = format!(
        "fn f() {{ let x = std::process::Command::new(\"a\"){}.output(); }}\n",
        ".arg(\"b\")".repeat(20_000)
    );
    let (_t, p) = project(&[("Cargo.toml", MANIFEST), ("src/lib.rs", &text)]);
    let model = p.models.iter().find(|m| !m.calls.is_empty()).unwrap();
    let file = p.models.iter().position(|m| !m.calls.is_empty()).unwrap();
    let last = model.calls.len() - 1;
    let v = p.callee(CallRef { file, call: last });
    assert_eq!(super::resolve::origin(v), Some("std.process.Command.new"));
}

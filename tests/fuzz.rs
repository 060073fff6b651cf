//! Fuzzing on stable: property tests over generated input. `cargo test` runs a short,
//! bounded number of cases; a long local run raises it:
//!
//! ```sh
//! TASKLINT_FUZZ_CASES=200000 cargo test --release --test fuzz -- --nocapture
//! ```
//!
//! A panic must be seen, not turned into a finding: the targets call the frontends
//! ([`tasklint::lang::parse_frontend`]) and the rules ([`tasklint::rules::run_unguarded`])
//! directly, without the per-file `catch_unwind` a normal run has, so proptest sees the
//! panic and shrinks its input. The inputs reach the parsers:
//! - grammar-based generation: Python and Rust projects built from a grammar of the code
//!   tasklint reads (tasks of several frameworks, views, URLconfs, enqueues with options,
//!   transactions, retries, `try`/`with`/`if`/loops, lambdas, closures, spawns, awaits),
//!   valid by construction, so the lowering and every rule run on them; and the same
//!   files mutated (deleted ranges, inserted tokens, moved lines);
//! - token soups (Python, Rust, configuration), which get past the tokenizers;
//! - arbitrary bytes, decoded as the read phase decodes them (the decoding itself is
//!   checked on the raw bytes).
//!
//! The cache reader: a cache file of any bytes opens as a cache (maybe empty), and a
//! model's entry with bytes flipped, cut or appended decodes to nothing or to a
//! well-formed model that the index and the rules handle without a panic.
//!
//! Also the Rust frontend (raw bytes, and Rust token soup) and the configuration parser
//! (TOML-like soup made of its own keys and values): it answers with settings or an
//! error that names the file, never panics.
//!
//! And the `--fix` writer: any text, any edits (overlapping, out of bounds, inside a
//! character), written through the file's name, a symlink or a hard link, with or
//! without an edit saved meanwhile: the file ends up holding exactly the fixed text, or
//! exactly what the user saved, and is still the same file. And the human formats on
//! any text and any spans: no panic, and no control character reaches the output.
//!
//! Every model's spans lie in its text on character boundaries and its ids point inside
//! it; a whole check reports no "internal error", gives TL000 only for a known reason, is
//! the same with the prefilter on and off, and its JSON report matches the published
//! schema. A crash a run finds becomes a case in `regressions` below.

mod common;

use proptest::prelude::*;
use tasklint::check::parse_bytes;
use tasklint::lang::parse_frontend;
use tasklint::model::{ExprKind, FileModel, Language, Span};
use tasklint::source::SourceFile;

fn cases() -> u32 {
    std::env::var("TASKLINT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

// ------------------------------------------------------------------ token soups

/// Python-like text: keywords, names, operators, brackets, strings, indentation and
/// line breaks in any order, so the parser and the lowering see deep and broken trees.
fn python_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("def "),
        Just("async "),
        Just("class "),
        Just("if "),
        Just("elif "),
        Just("else"),
        Just("for "),
        Just(" in "),
        Just("while "),
        Just("try"),
        Just("except "),
        Just("finally"),
        Just("with "),
        Just(" as "),
        Just("return "),
        Just("raise "),
        Just("import "),
        Just("from "),
        Just("lambda "),
        Just("await "),
        Just("match "),
        Just("case "),
        Just("yield "),
        Just("print "),
        Just("global "),
        Just("@"),
        Just(":"),
        Just("("),
        Just(")"),
        Just("["),
        Just("]"),
        Just("{"),
        Just("}"),
        Just(","),
        Just("."),
        Just("="),
        Just("+="),
        Just("*"),
        Just("**"),
        Just("->"),
        Just(":="),
        Just("\n"),
        Just("\n    "),
        Just("\n        "),
        Just("\t"),
        Just("\\\n"),
        Just("#c\n"),
        Just("'s'"),
        Just("f'{x}'"),
        Just("\"\"\"d\"\"\""),
        Just("b'b'"),
        Just("1"),
        Just("0x1f"),
        Just("1_000"),
        Just("x"),
        Just("self"),
        Just("shared_task"),
        Just("delay"),
        Just("celery"),
        Just("requests"),
        Just("path"),
        Just("View"),
        Just("é"),
        Just("日本"),
        Just("\u{feff}"),
        Just("\r\n"),
        Just(";"),
        Just("not "),
        Just(" and "),
        Just("..."),
    ];
    prop::collection::vec(token, 0..200).prop_map(|v| v.concat())
}

/// Rust-like text: items, attributes, paths, closures, `.await`, macros, brackets.
fn rust_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("fn "),
        Just("async "),
        Just("pub "),
        Just("mod "),
        Just("use "),
        Just("impl "),
        Just("trait "),
        Just("struct "),
        Just("let "),
        Just("match "),
        Just("if "),
        Just("else "),
        Just("loop "),
        Just("move "),
        Just("return "),
        Just(".await"),
        Just("::"),
        Just("std::thread::sleep"),
        Just("tokio::spawn"),
        Just("spawn_blocking"),
        Just("#[get(\"/\")]"),
        Just("#[tokio::main]"),
        Just("macro_rules! m "),
        Just("println!"),
        Just("|x| "),
        Just("=> "),
        Just("-> "),
        Just("x"),
        Just("f"),
        Just("Router"),
        Just("("),
        Just(")"),
        Just("{"),
        Just("}"),
        Just("["),
        Just("]"),
        Just("<"),
        Just(">"),
        Just(","),
        Just(";"),
        Just("="),
        Just("."),
        Just("&"),
        Just("'a"),
        Just("\"s\""),
        Just("r#\"raw\"#"),
        Just("'c'"),
        Just("// c\n"),
        Just("/* c */"),
        Just("1"),
        Just(" "),
        Just("\n"),
    ];
    prop::collection::vec(token, 0..200).prop_map(|v| v.concat())
}

/// TOML-like text made of the configuration's own keys and values.
fn config_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("select"),
        Just("ignore"),
        Just("extend-select"),
        Just("exclude"),
        Just("extend-exclude"),
        Just("per-file-ignores"),
        Just("max-call-depth"),
        Just("report-task-calls-in-tasks"),
        Just("task-decorators"),
        Just("slow-calls"),
        Just("handler-decorators"),
        Just("handler-base-classes"),
        Just("blocking-calls"),
        Just("path"),
        Just("framework"),
        Just("reason"),
        Just("severity"),
        Just("methods"),
        Just("[tool.tasklint]"),
        Just("[tool.tasklint.per-file-ignores]"),
        Just(" = "),
        Just("\"TL101\""),
        Just("\"TL3\""),
        Just("\"ALL\""),
        Just("\"celery\""),
        Just("\"a.b.c\""),
        Just("\"a::b\""),
        Just("\"a.B().c\""),
        Just("\"*.py\""),
        Just("4"),
        Just("-1"),
        Just("99999999999999999999"),
        Just("true"),
        Just("["),
        Just("]"),
        Just("{"),
        Just("}"),
        Just(","),
        Just("\n"),
        Just("#"),
        Just(" "),
    ];
    prop::collection::vec(token, 0..120).prop_map(|v| v.concat())
}

// ------------------------------------------------------- grammar-based generation

/// The choices a generator makes, drawn from a list of numbers proptest generates and
/// shrinks (shorter lists and smaller numbers give smaller programs). Once the list is
/// used up every choice is 0: the simplest form, and no more items.
struct Tape {
    data: Vec<u16>,
    pos: usize,
}

impl Tape {
    fn new(data: Vec<u16>) -> Tape {
        Tape { data, pos: 0 }
    }

    fn pick(&mut self, n: usize) -> usize {
        let v = self.data.get(self.pos).copied().unwrap_or(0) as usize;
        self.pos += 1;
        v % n
    }

    fn of<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.pick(items.len())]
    }

    /// Whether to add another item (false once the tape is used up).
    fn more(&mut self) -> bool {
        self.pick(3) != 0
    }
}

fn tape() -> impl Strategy<Value = Vec<u16>> {
    prop::collection::vec(any::<u16>(), 0..600)
}

const TASKS: &[&str] = &["send_receipt", "total", "rebuild", "notify"];
const PLAIN: &[&str] = &["helper", "compute"];
const LOCALS: &[&str] = &["order", "pk", "x", "items", "result", "request", "exc"];

/// A Python project: tasks of several frameworks, services, models, views of every
/// kind and their URLconf, and sometimes a Celery app with its settings.
struct PyGen<'t> {
    t: &'t mut Tape,
    /// Inside an `async def` (where `await` may be written).
    in_async: bool,
    /// Inside a bound task or a method (where `self` means something).
    has_self: bool,
    /// The URLconf of the views generated.
    urls: String,
}

impl PyGen<'_> {
    fn name(&mut self) -> String {
        if self.has_self && self.t.pick(6) == 0 {
            return "self".into();
        }
        self.t.of(LOCALS).into()
    }

    fn callee(&mut self) -> String {
        let task = self.t.of(TASKS);
        match self.t.pick(18) {
            0 => task.into(),
            1 => format!("{task}.delay"),
            2 => format!("{task}.apply_async"),
            3 => format!("{task}.s"),
            4 => format!("{task}.si"),
            5 => format!("tasks.{task}"),
            6 => format!("tasks.{task}.delay"),
            7 => format!("{task}.apply"),
            8 => self.t.of(PLAIN).into(),
            9 => format!("{}.delay", self.t.of(PLAIN)),
            10 => self.t.of(&["requests.get", "requests.post"]).into(),
            11 => "time.sleep".into(),
            12 => "send_mail".into(),
            13 => self
                .t
                .of(&["Order.objects.get", "Order.objects.filter", "Order"])
                .into(),
            14 => "transaction.on_commit".into(),
            15 => format!("{}.get", self.name()),
            16 if self.has_self => self.t.of(&["self.retry", "self.get_object"]).into(),
            17 => "app.send_task".into(),
            _ => "print".into(),
        }
    }

    fn call(&mut self, depth: usize) -> String {
        let callee = self.callee();
        let mut positional = Vec::new();
        let mut keywords: Vec<String> = Vec::new();
        while positional.len() + keywords.len() < 4 && self.t.more() {
            match self.t.pick(7) {
                0..=2 => positional.push(self.expr(depth)),
                3 => positional.push(format!("*{}", self.name())),
                4 => keywords.push(format!("**{}", self.name())),
                _ => {
                    let key = self.t.of(&[
                        "countdown",
                        "eta",
                        "queue",
                        "args",
                        "kwargs",
                        "order_id",
                        "copy",
                        "exc",
                        "throw",
                        "bind",
                        "link",
                    ]);
                    if !keywords.iter().any(|k| k.starts_with(&format!("{key}="))) {
                        let value = match key {
                            "args" => format!("({},)", self.expr(depth)),
                            "kwargs" => format!("{{'order_id': {}}}", self.expr(depth)),
                            _ => self.expr(depth),
                        };
                        keywords.push(format!("{key}={value}"));
                    }
                }
            }
        }
        positional.extend(keywords);
        let call = format!("{callee}({})", positional.join(", "));
        if self.in_async && self.t.pick(3) == 0 {
            format!("(await {call})")
        } else {
            call
        }
    }

    fn expr(&mut self, depth: usize) -> String {
        let n = if depth == 0 { 6 } else { 14 };
        match self.t.pick(n) {
            0 => self.name(),
            1 => self.t.pick(100).to_string(),
            2 => "'text'".into(),
            3 => "None".into(),
            4 => format!("{}.pk", self.name()),
            5 => format!("f\"{{{}}}\"", self.name()),
            6..=8 => self.call(depth - 1),
            9 => format!("[{}, {}]", self.expr(depth - 1), self.expr(depth - 1)),
            10 => format!("{{'k': {}}}", self.expr(depth - 1)),
            11 => {
                // `await` is not allowed in a lambda.
                let was = std::mem::replace(&mut self.in_async, false);
                let body = self.expr(depth - 1);
                self.in_async = was;
                format!("(lambda: {body})")
            }
            12 => format!(
                "({} if {} else {})",
                self.expr(depth - 1),
                self.name(),
                self.expr(depth - 1)
            ),
            _ => format!("({} + {})", self.expr(depth - 1), self.expr(depth - 1)),
        }
    }

    fn block(&mut self, indent: usize, depth: usize) -> String {
        let mut out = String::new();
        for _ in 0..5 {
            out.push_str(&self.stmt(indent, depth));
            if !self.t.more() {
                break;
            }
        }
        out
    }

    fn stmt(&mut self, indent: usize, depth: usize) -> String {
        let pad = "    ".repeat(indent);
        let inner = indent + 1;
        let k = if depth == 0 {
            self.t.pick(4)
        } else {
            self.t.pick(13)
        };
        match k {
            0 => format!("{pad}{}\n", self.call(2)),
            1 => format!("{pad}{} = {}\n", self.t.of(LOCALS), self.expr(2)),
            2 => format!("{pad}return {}\n", self.expr(1)),
            3 => format!("{pad}pass\n"),
            4 => {
                let mut s = format!(
                    "{pad}if {}:\n{}",
                    self.expr(1),
                    self.block(inner, depth - 1)
                );
                if self.t.more() {
                    s.push_str(&format!(
                        "{pad}elif not {}:\n{}",
                        self.name(),
                        self.block(inner, depth - 1)
                    ));
                }
                if self.t.more() {
                    s.push_str(&format!("{pad}else:\n{}", self.block(inner, depth - 1)));
                }
                s
            }
            5 => format!(
                "{pad}for {} in {}:\n{}",
                self.t.of(LOCALS),
                self.expr(1),
                self.block(inner, depth - 1)
            ),
            6 => {
                let item = match self.t.pick(3) {
                    0 => "transaction.atomic()".to_string(),
                    1 => format!("open({}) as fh", self.expr(0)),
                    _ => "transaction.atomic(using='default') as tx".to_string(),
                };
                format!("{pad}with {item}:\n{}", self.block(inner, depth - 1))
            }
            7 => {
                let handler = self.t.of(&[
                    "Exception as exc",
                    "BaseException",
                    "(ValueError, KeyError) as exc",
                    "Retry",
                    "self.MaxRetriesExceededError",
                ]);
                let mut s = format!(
                    "{pad}try:\n{}{pad}except {handler}:\n{}",
                    self.block(inner, depth - 1),
                    self.block(inner, depth - 1)
                );
                if self.t.more() {
                    s.push_str(&format!("{pad}finally:\n{}", self.block(inner, depth - 1)));
                }
                s
            }
            8 => {
                let was = std::mem::replace(&mut self.in_async, false);
                let s = format!(
                    "{pad}def inner_{}(a, b=1, *rest, **kw):\n{}",
                    self.t.pick(3),
                    self.block(inner, depth - 1)
                );
                self.in_async = was;
                s
            }
            9 => match self.t.pick(3) {
                0 => format!("{pad}raise\n"),
                1 => format!("{pad}raise ValueError({})\n", self.expr(1)),
                _ => format!("{pad}raise {}\n", self.call(1)),
            },
            10 => format!("{pad}{}.status = {}\n", self.name(), self.expr(1)),
            11 => format!(
                "{pad}while {}:\n{}",
                self.name(),
                self.block(inner, depth - 1)
            ),
            _ => format!("{pad}{} += [{}]\n", self.t.of(LOCALS), self.expr(1)),
        }
    }

    fn tasks_module(&mut self) -> String {
        let mut s = String::from(
            "import time\n\nimport dramatiq\nimport requests\nfrom celery import Celery, shared_task\nfrom celery.exceptions import Retry\nfrom django.core.mail import send_mail\nfrom django.db import transaction\nfrom django_rq import job\n\nfrom .models import Order\nfrom .services import compute, helper\n\napp = Celery(\"app\")\n",
        );
        if self.t.pick(4) == 0 {
            s.push_str("from celery.task import periodic_task\n");
        }
        for task in TASKS {
            let variant = self.t.pick(9);
            let (decorator, bound) = match variant {
                0 => ("@shared_task", false),
                1 => ("@shared_task(bind=True, max_retries=3)", true),
                2 => ("@app.task", false),
                3 => ("@app.task(bind=True)", true),
                4 => ("@dramatiq.actor", false),
                5 => ("@job('default')", false),
                6 => ("@transaction.atomic\n@shared_task", false),
                // Bound, with nothing (or `*args`) to receive the task.
                _ => ("@shared_task(bind=True)", false),
            };
            let is_async = self.t.pick(6) == 0;
            let params = match (bound, self.t.pick(4)) {
                _ if variant == 7 => "",
                (true, _) => "self, order_id, copy=False",
                (false, 0) => "order_id, copy=False",
                (false, 1) => "*args, **kwargs",
                (false, 2) => "",
                _ => "order_id, /, *, copy=False",
            };
            self.in_async = is_async;
            self.has_self = bound;
            let body = self.block(1, 3);
            s.push_str(&format!(
                "\n\n{decorator}\n{}def {task}({params}):\n{body}",
                if is_async { "async " } else { "" }
            ));
        }
        self.in_async = false;
        self.has_self = false;
        s
    }

    fn services_module(&mut self) -> String {
        let mut s = String::from(
            "import time\n\nimport requests\nfrom django.db import transaction\n\nfrom . import tasks\nfrom .tasks import notify, rebuild, send_receipt, total\n",
        );
        for f in PLAIN {
            s.push_str(&format!(
                "\n\ndef {f}(order, pk=None):\n{}",
                self.block(1, 3)
            ));
        }
        s
    }

    fn views_module(&mut self) -> String {
        let mut s = String::from(
            "import time\n\nimport requests\nfrom django.core.mail import send_mail\nfrom django.db import transaction\nfrom django.http import HttpResponse\nfrom django.urls import path\nfrom django.views import View\nfrom rest_framework.decorators import api_view\n\nfrom . import tasks\nfrom .models import Order\nfrom .services import compute, helper\nfrom .tasks import app, notify, rebuild, send_receipt, total\n",
        );
        let mut routes = Vec::new();
        for i in 0..=self.t.pick(4) {
            let is_async = self.t.pick(4) == 0;
            self.in_async = is_async;
            let decorator = if self.t.pick(3) == 0 {
                "@api_view(['POST'])\n"
            } else {
                ""
            };
            s.push_str(&format!(
                "\n\n{decorator}{}def view_{i}(request, pk):\n{}",
                if is_async { "async " } else { "" },
                self.block(1, 3)
            ));
            routes.push(format!("path('v{i}/', views.view_{i})"));
        }
        self.in_async = false;
        self.has_self = true;
        let method = self
            .t
            .of(&["get", "post", "form_valid", "get_context_data"]);
        s.push_str(&format!(
            "\n\nclass OrderView(View):\n    def {method}(self, request, *args, **kwargs):\n{}",
            self.block(2, 3)
        ));
        self.has_self = false;
        routes.push("path('o/', views.OrderView.as_view())".into());
        self.urls = format!(
            "from django.urls import path\n\nfrom . import views\n\nurlpatterns = [{}]\n",
            routes.join(", ")
        );
        s
    }

    /// (path, text) of every file.
    fn project(&mut self) -> Vec<(String, String)> {
        let mut files = vec![
            ("app/__init__.py".to_string(), String::new()),
            (
                "app/models.py".into(),
                "from django.db import models\n\n\nclass Order(models.Model):\n    name = models.CharField(max_length=10)\n".into(),
            ),
            ("app/tasks.py".into(), self.tasks_module()),
            ("app/services.py".into(), self.services_module()),
            ("app/views.py".into(), self.views_module()),
            ("app/urls.py".into(), self.urls.clone()),
        ];
        if self.t.pick(2) == 0 {
            files.push((
                "proj/__init__.py".into(),
                "from .celery import app as celery_app\n".into(),
            ));
            files.push((
                "proj/celery.py".into(),
                "from celery import Celery\n\napp = Celery('proj')\napp.config_from_object('django.conf:settings', namespace='CELERY')\napp.autodiscover_tasks()\n".into(),
            ));
            files.push((
                "proj/settings.py".into(),
                "INSTALLED_APPS = ['django.contrib.auth', 'app']\nROOT_URLCONF = 'app.urls'\n"
                    .into(),
            ));
        }
        files
    }
}

fn python_project(data: Vec<u16>) -> Vec<(String, String)> {
    let mut t = Tape::new(data);
    PyGen {
        t: &mut t,
        in_async: false,
        has_self: false,
        urls: String::new(),
    }
    .project()
}

/// A Rust service: an axum router, handlers with blocking calls, spawns, closures,
/// `block_on`, awaits; helpers; rusty-celery tasks and their app.
struct RsGen<'t> {
    t: &'t mut Tape,
    in_async: bool,
}

impl RsGen<'_> {
    fn name(&mut self) -> &'static str {
        self.t.of(&["x", "data", "conn", "client", "path"])
    }

    fn expr(&mut self, depth: usize) -> String {
        let n = if depth == 0 { 4 } else { 20 };
        match self.t.pick(n) {
            0 => self.name().into(),
            1 => self.t.pick(100).to_string(),
            2 => "\"s\"".into(),
            3 => "true".into(),
            4 => "std::thread::sleep(std::time::Duration::from_millis(10))".into(),
            5 => format!("std::fs::read_to_string({})", self.expr(depth - 1)),
            6 => format!("helper({})", self.expr(depth - 1)),
            7 => "reqwest::blocking::get(\"http://x\")".into(),
            8 => format!("{}.lock()", self.name()),
            9 => format!("{}.blocking_lock()", self.name()),
            10 => format!("{}.clone()", self.expr(depth - 1)),
            11 if self.in_async => {
                "tokio::time::sleep(std::time::Duration::from_millis(1)).await".into()
            }
            12 if self.in_async => format!("fetch({}).await", self.expr(depth - 1)),
            13 => format!("vec![{}, {}]", self.expr(depth - 1), self.expr(depth - 1)),
            14 => format!("format!(\"{{}}\", {})", self.expr(depth - 1)),
            15 => format!("serde_json::json!({{\"a\": {}}})", self.expr(depth - 1)),
            16 => format!("{}.unwrap()", self.expr(depth - 1)),
            17 => format!("({} + {})", self.expr(depth - 1), self.expr(depth - 1)),
            18 => format!("&{}", self.expr(depth - 1)),
            _ => format!(
                "std::process::Command::new({}).output()",
                self.expr(depth - 1)
            ),
        }
    }

    fn block(&mut self, depth: usize) -> String {
        let mut out = String::new();
        for _ in 0..5 {
            out.push_str(&self.stmt(depth));
            if !self.t.more() {
                break;
            }
        }
        out
    }

    /// A block run in another context (a closure, a thread, an async block).
    fn nested(&mut self, is_async: bool, depth: usize) -> String {
        let was = std::mem::replace(&mut self.in_async, is_async);
        let b = self.block(depth);
        self.in_async = was;
        b
    }

    fn stmt(&mut self, depth: usize) -> String {
        let k = if depth == 0 {
            self.t.pick(2)
        } else {
            self.t.pick(12)
        };
        match k {
            0 => format!("{};\n", self.expr(2)),
            1 => format!("let {} = {};\n", self.name(), self.expr(2)),
            2 => format!(
                "if {} {{\n{}}} else {{\n{}}}\n",
                self.expr(1),
                self.block(depth - 1),
                self.block(depth - 1)
            ),
            3 => format!(
                "for {} in {} {{\n{}}}\n",
                self.name(),
                self.expr(1),
                self.block(depth - 1)
            ),
            4 => format!("loop {{\n{}break;\n}}\n", self.block(depth - 1)),
            5 => format!(
                "match {} {{\nSome(v) => {{\n{}}}\n_ => {{}}\n}}\n",
                self.expr(1),
                self.block(depth - 1)
            ),
            6 => format!(
                "tokio::spawn(async move {{\n{}}});\n",
                self.nested(true, depth - 1)
            ),
            7 => format!(
                "let h = tokio::task::spawn_blocking(move || {{\n{}}});\n",
                self.nested(false, depth - 1)
            ),
            8 => format!(
                "std::thread::spawn(move || {{\n{}}});\n",
                self.nested(false, depth - 1)
            ),
            9 => format!(
                "let f = |v: u64| {{\n{}}};\nf(1);\n",
                self.nested(false, depth - 1)
            ),
            10 => format!(
                "futures::executor::block_on(async {{\n{}}});\n",
                self.nested(true, depth - 1)
            ),
            _ => format!(
                "let _ = tokio::task::block_in_place(|| {{\n{}}});\n",
                self.nested(false, depth - 1)
            ),
        }
    }

    fn project(&mut self) -> Vec<(String, String)> {
        let main = "mod handlers;\n\nuse axum::{routing::get, Router};\n\n#[tokio::main]\nasync fn main() {\n    let app: Router = Router::new().route(\"/\", get(handlers::home)).route(\"/b\", get(handlers::other));\n    let listener = tokio::net::TcpListener::bind(\"0.0.0.0:3000\").await.unwrap();\n    axum::serve(listener, app).await.unwrap();\n}\n".to_string();
        self.in_async = true;
        let home = self.block(3);
        let other = self.block(3);
        self.in_async = false;
        let helper = self.block(3);
        let tasks = if self.t.pick(2) == 0 {
            "\n#[celery::task]\npub fn add(x: i32, y: i32) -> TaskResult<i32> {\n    Ok(x + y)\n}\n\npub async fn celery_app() -> anyhow::Result<()> {\n    let app = celery::app!(broker = AMQPBroker { std::env::var(\"AMQP\").unwrap() }, tasks = [], task_routes = [],).await?;\n    app.send_task(add::new(1, 2)).await?;\n    Ok(())\n}\n"
        } else {
            ""
        };
        let handlers = format!(
            "use std::sync::Arc;\n\nuse axum::extract::State;\nuse celery::prelude::*;\n\npub async fn home() -> String {{\n{home}String::new()\n}}\n\npub async fn other(State(s): State<Arc<u64>>) -> &'static str {{\n{other}\"ok\"\n}}\n\nasync fn fetch(u: impl std::fmt::Debug) -> u64 {{\n    1\n}}\n\nfn helper<T>(x: T) -> u64 {{\n{helper}1\n}}\n{tasks}"
        );
        vec![
            (
                "Cargo.toml".into(),
                "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\naxum = \"0.7\"\ntokio = { version = \"1\", features = [\"full\"] }\ncelery = \"0.5\"\nreqwest = { version = \"0.12\", features = [\"blocking\"] }\nfutures = \"0.3\"\n".into(),
            ),
            ("src/main.rs".into(), main),
            ("src/handlers.rs".into(), handlers),
        ]
    }
}

fn rust_project(data: Vec<u16>) -> Vec<(String, String)> {
    let mut t = Tape::new(data);
    RsGen {
        t: &mut t,
        in_async: false,
    }
    .project()
}

/// A file with edits: deleted ranges, inserted tokens, lines moved or re-indented.
fn mutate(text: &str, data: &[u16]) -> String {
    let mut s = text.to_string();
    let tokens = [
        "(", ")", ":", "\n", "    ", "def ", "{", "}", ".delay(", "'", "\"", "#", "async ", "é",
        ",", "=", "\\", "@",
    ];
    for pair in data.chunks(3) {
        if s.is_empty() {
            break;
        }
        let at = |v: u16| {
            let mut i = v as usize % s.len();
            while !s.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let a = at(pair[0]);
        match pair.get(1).copied().unwrap_or(0) % 4 {
            0 => {
                let b = at(pair.get(2).copied().unwrap_or(0)).max(a);
                s.replace_range(a..b, "");
            }
            1 => s.insert_str(
                a,
                tokens[pair.get(2).copied().unwrap_or(0) as usize % tokens.len()],
            ),
            2 => {
                let lines: Vec<&str> = s.lines().collect();
                let i = pair.get(2).copied().unwrap_or(0) as usize % lines.len().max(1);
                let mut v: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                if !v.is_empty() {
                    let line = v.remove(i);
                    let j = a % (v.len() + 1);
                    v.insert(j, line);
                }
                s = v.join("\n");
            }
            _ => {
                let line_start = s[..a].rfind('\n').map_or(0, |n| n + 1);
                s.insert_str(line_start, "  ");
            }
        }
    }
    s
}

// ------------------------------------------------------------------ the checks

/// Every span a model holds lies inside the text on character boundaries, and every id
/// points inside the model, so reports can always slice and look up what they need.
fn check_model(language: Language, text: &str, model: &FileModel) {
    let file = SourceFile::new("f".into(), "f".into(), text.to_string());
    let len = text.len() as u32;
    let mut spans: Vec<Span> = Vec::new();
    let mut exprs = Vec::new();
    for c in &model.calls {
        spans.extend([c.span, c.args_span, c.callee.span]);
        exprs.push(&c.callee);
        for a in &c.args {
            spans.push(a.span);
            exprs.push(&a.value);
        }
        exprs.extend(c.withs.iter());
        assert!(c.scope < model.scopes.len());
        assert!(c.tries.iter().all(|t| *t < model.tries.len()));
    }
    for s in &model.scopes {
        spans.extend([s.span, s.name_span]);
        spans.extend(s.params.iter().map(|p| p.span));
        spans.extend(s.decorators.iter().map(|d| d.span));
        spans.extend(s.bindings.iter().map(|b| b.span));
        exprs.extend(s.decorators.iter().map(|d| &d.expr));
        exprs.extend(s.returns.iter());
        assert!(s.parent.is_none_or(|p| p < model.scopes.len()));
        assert!(s.class.is_none_or(|c| c < model.classes.len()));
        assert!(
            s.passed_to
                .is_none_or(|(c, i)| c < model.calls.len() && i < model.calls[c].args.len())
        );
    }
    for c in &model.classes {
        spans.extend([c.span, c.name_span]);
        exprs.extend(c.bases.iter());
        assert!(c.body < model.scopes.len() && c.parent < model.scopes.len());
        assert!(c.methods.iter().all(|m| *m < model.scopes.len()));
    }
    for t in &model.tries {
        spans.push(t.span);
        spans.extend(t.handlers.iter().map(|h| h.span));
    }
    for i in &model.imports {
        spans.push(i.span);
        spans.extend(i.names.iter().map(|(_, s)| *s));
    }
    spans.extend(model.problems.iter().map(|p| p.span));
    spans.extend(model.comments.iter().map(|c| c.span));
    while let Some(e) = exprs.pop() {
        spans.push(e.span);
        match &e.kind {
            ExprKind::Attr(b, _) | ExprKind::Starred(b) => exprs.push(b),
            ExprKind::Subscript(a, b) => exprs.extend([a.as_ref(), b.as_ref()]),
            ExprKind::List(v) | ExprKind::Tuple(v) => exprs.extend(v.iter()),
            ExprKind::Dict(v) => {
                for (k, x) in v {
                    exprs.extend(k.iter());
                    exprs.push(x);
                }
            }
            ExprKind::Call(c) => assert!(*c < model.calls.len()),
            ExprKind::Lambda(s) => assert!(*s < model.scopes.len()),
            _ => {}
        }
    }
    for s in spans {
        assert!(
            s.start <= s.end && s.end <= len,
            "{language:?}: span {s:?} outside {len} bytes"
        );
        assert!(
            text.is_char_boundary(s.start as usize) && text.is_char_boundary(s.end as usize),
            "{language:?}: span {s:?} splits a character"
        );
        file.position(s.start);
        file.slice(s);
    }
}

/// Parses with the frontend itself (a panic fails the case) and checks the model.
fn frontend(language: Language, text: &str) -> FileModel {
    let model = parse_frontend(language, text);
    check_model(language, text, &model);
    model
}

fn write_project(files: &[(String, String)]) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    for (rel, text) in files {
        let p = t.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    t
}

fn all_rules() -> tasklint::settings::Settings {
    tasklint::settings::Settings {
        select: Some(vec!["ALL".into()]),
        ..Default::default()
    }
}

/// Reads and parses a project as a check does, then runs every rule on it without the
/// per-file guard: a panic in a rule fails the case. Returns how many findings.
fn rules_unguarded(dir: &std::path::Path) -> usize {
    let discovered = tasklint::discover::discover(&[dir.to_path_buf()]).unwrap();
    let mut timings = tasklint::timings::Timings::default();
    let parsed = tasklint::pipeline::read_and_parse(
        discovered,
        all_rules(),
        tasklint::knowledge::BUILTIN.clone(),
        &tasklint::check::read_file,
        &mut timings,
    );
    let project = &parsed.project;
    for (f, m) in project.models.loaded() {
        for p in &m.problems {
            assert!(
                !p.message.contains("internal error"),
                "{}: {}",
                project.files[f].display,
                p.message
            );
        }
    }
    tasklint::rules::run_unguarded(project).len()
}

/// A whole check, with the prefilter on and off: no internal error, TL000 only for a
/// known reason, the same findings both ways, a report that matches the JSON schema.
/// Returns the report.
fn whole_check(dir: &std::path::Path) -> serde_json::Value {
    let run = |prefilter: bool| {
        let out = tasklint::check::check(tasklint::check::Options {
            paths: vec![dir.to_path_buf()],
            settings: tasklint::settings::Settings {
                prefilter,
                ..all_rules()
            },
            knowledge: tasklint::knowledge::BUILTIN.clone(),
            threads: Some(1),
        })
        .unwrap();
        common::assert_no_internal_error(&out);
        common::json_report(&out)
    };
    let full = run(false);
    let fast = run(true);
    assert_eq!(full, fast, "the prefilter changed the report");
    let errors = common::json_schema_errors(&fast);
    assert!(
        errors.is_empty(),
        "the report does not match the JSON schema:\n{}\n{fast}",
        errors.join("\n")
    );
    fast
}

fn codes(report: &serde_json::Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

proptest! {
    // No `.proptest-regressions` files: a crash a run finds becomes a case in
    // `regressions` below, by hand.
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Any bytes, decoded as the read phase does, then parsed.
    #[test]
    fn python_frontend_on_any_text(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        frontend(Language::Python, &String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn rust_frontend_on_any_text(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        frontend(Language::Rust, &String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn python_frontend_on_soup(text in python_soup()) {
        frontend(Language::Python, &text);
    }

    #[test]
    fn rust_frontend_on_soup(text in rust_soup()) {
        frontend(Language::Rust, &text);
    }

    /// Generated projects are valid code: every file parses without a problem, so the
    /// lowering runs on all of it; mutated, they still never break the frontend.
    #[test]
    fn frontends_on_generated_and_mutated_code(data in tape(), edits in prop::collection::vec(any::<u16>(), 0..30)) {
        for (rel, text) in python_project(data.clone()).iter().chain(rust_project(data).iter()) {
            let language = match rel.rsplit('.').next() {
                Some("py") => Language::Python,
                Some("rs") => Language::Rust,
                _ => continue,
            };
            let model = frontend(language, text);
            prop_assert!(model.problems.is_empty(), "{rel} does not parse: {:?}\n{text}", model.problems);
            frontend(language, &mutate(text, &edits));
        }
    }

    /// The bytes of a file become its text, or a TL000 reason that says why not.
    #[test]
    fn decoding_gives_the_reason(bytes in prop::collection::vec(any::<u8>(), 0..600), nul in any::<bool>()) {
        let mut bytes = bytes;
        if nul && !bytes.is_empty() {
            let at = bytes.len() / 2;
            bytes[at] = 0;
        }
        let (text, model) = parse_bytes(Language::Python, bytes.clone());
        let decode_problem = model.problems.iter().find(|p| {
            p.message.starts_with("binary file") || p.message.starts_with("not UTF-8")
        });
        if bytes.contains(&0) {
            prop_assert_eq!(decode_problem.map(|p| p.message.as_str()), Some("binary file (it contains NUL bytes)"));
        } else if let Err(e) = std::str::from_utf8(&bytes) {
            let want = format!("not UTF-8 text (invalid byte at offset {})", e.valid_up_to());
            prop_assert_eq!(decode_problem.map(|p| p.message.clone()), Some(want));
            prop_assert_eq!(text, String::from_utf8_lossy(&bytes).into_owned());
        } else {
            prop_assert!(decode_problem.is_none(), "{:?}", model.problems);
            prop_assert_eq!(text.as_bytes(), &bytes[..]);
        }
        for p in &model.problems {
            prop_assert!(!p.message.contains("internal error"), "{}", p.message);
        }
    }

    #[test]
    fn config_parser_never_panics(text in config_soup()) {
        use tasklint::config::{ConfigKind, ParseError, parse_text};
        for kind in [ConfigKind::Tasklint, ConfigKind::Pyproject] {
            match parse_text(&text, "tasklint.toml", kind) {
                Ok(_) | Err(ParseError::Toml(_)) => {}
                Err(ParseError::Message(m)) => prop_assert!(m.contains("tasklint.toml"), "{m}"),
            }
        }
    }

    /// The prefilter keeps a file exactly when it finds one of its requirements, whose
    /// words are in the file; a file that imports `celery.shared_task` is always kept.
    #[test]
    fn the_prefilter_keeps_what_names_the_knowledge(bytes in prop::collection::vec(any::<u8>(), 0..2000), soup in python_soup()) {
        let pf = tasklint::prefilter::Prefilter::from_knowledge(&tasklint::knowledge::BUILTIN, |_| false);
        for text in [bytes, soup.into_bytes()] {
            let why = pf.why(&text);
            prop_assert_eq!(pf.matches(&text), why.is_some());
            for word in why.unwrap_or_default() {
                prop_assert!(text.windows(word.len()).any(|w| w == word.as_bytes()), "{word}");
            }
            let mut with = text.clone();
            with.extend_from_slice(b"\nfrom celery import shared_task\n");
            prop_assert!(pf.matches(&with));
        }
    }

    /// Generated projects through the rules, unguarded, and through a whole check.
    #[test]
    fn rules_and_checks_on_generated_python_projects(data in tape()) {
        let files = python_project(data);
        let t = write_project(&files);
        rules_unguarded(t.path());
        let report = whole_check(t.path());
        // Valid code: no TL000.
        prop_assert!(!codes(&report).contains(&"TL000".to_string()), "{report}");
    }

    #[test]
    fn rules_and_checks_on_generated_rust_projects(data in tape()) {
        let t = write_project(&rust_project(data));
        rules_unguarded(t.path());
        let report = whole_check(t.path());
        prop_assert!(!codes(&report).contains(&"TL000".to_string()), "{report}");
    }

    /// Soup and mutated files next to a real task and view: the soup is TL000 for a
    /// known reason, the healthy view's finding stays, and nothing else changes.
    #[test]
    fn checks_with_broken_files_next_to_healthy_ones(
        a in python_soup(), b in python_soup(), data in tape(), edits in prop::collection::vec(any::<u16>(), 1..30)
    ) {
        let generated = python_project(data);
        let views = &generated.iter().find(|(p, _)| p == "app/views.py").unwrap().1;
        let files = vec![
            ("app/__init__.py".to_string(), String::new()),
            ("app/tasks.py".into(), "from celery import shared_task\n\n@shared_task\ndef ping(x):\n    return x\n".into()),
            ("app/views.py".into(), "from django.urls import path\nfrom .tasks import ping\n\ndef home(request):\n    ping(1)\n\nurlpatterns = [path('', home)]\n".into()),
            ("app/a.py".into(), a),
            ("app/b.py".into(), format!("from .tasks import ping\n{b}")),
            ("app/c.py".into(), format!("from celery import shared_task\n{}", mutate(views, &edits))),
        ];
        let t = write_project(&files);
        rules_unguarded(t.path());
        let report = whole_check(t.path());
        let home = report["diagnostics"].as_array().unwrap().iter().any(|d| {
            d["path"].as_str().unwrap().ends_with("views.py") && d["code"] == "TL101" && d["range"]["start"]["line"] == 5
        });
        prop_assert!(home, "the healthy view's finding is lost: {report}");
    }
}

/// Text with the line endings and multi-byte characters fixes must not break.
fn fix_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("a"),
            Just("f(x)"),
            Just(" "),
            Just("\n"),
            Just("\r\n"),
            Just("\r"),
            Just("é"),
            Just("→"),
        ],
        0..60,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn a_cache_file_of_any_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let t = tempfile::tempdir().unwrap();
        let mut data = b"TLCACHE2".to_vec();
        data.extend_from_slice(&7u128.to_le_bytes());
        data.extend_from_slice(&bytes);
        std::fs::write(t.path().join("c.bin"), &data).unwrap();
        let c = tasklint::cache::Cache::open(t.path(), "c.bin".into(), 7, 1 << 20);
        for hash in [0u128, 1, u128::MAX] {
            c.get(hash, "x = 1\n");
            c.get_raw(hash);
        }
    }

    #[test]
    fn a_damaged_cache_entry_is_a_miss_or_a_model_the_index_takes(
        soup in python_soup(),
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in any::<usize>(),
    ) {
        use tasklint::index::{InputFile, Project};
        let text = format!("from django.urls import path\nfrom .tasks import ping\n{soup}\ndef home(request):\n    ping(1)\n    return (lambda: ping.delay(2))\n\nurlpatterns = [path('', home)]\n");
        let model = tasklint::lang::parse_text(Language::Python, &text);
        let mut blob = tasklint::cache::encode(&model).unwrap();
        for (at, x) in flips {
            let n = blob.len();
            blob[at % n] ^= x.max(1);
        }
        if cut % 3 == 0 {
            blob.truncate(cut % (blob.len() + 1));
        }
        let Some(damaged) = tasklint::cache::decode(&blob, &text) else {
            return Ok(());
        };
        let tasks = "from celery import shared_task\n\n@shared_task\ndef ping(x):\n    return x\n";
        let file = |rel: &str, text: &str, model| InputFile {
            source: SourceFile::new(rel.into(), rel.into(), text.into()),
            model,
            relative: rel.into(),
            root: 0,
            report: true,
        };
        let inputs = vec![
            file("app/__init__.py", "", tasklint::lang::parse_text(Language::Python, "")),
            file("app/tasks.py", tasks, tasklint::lang::parse_text(Language::Python, tasks)),
            file("app/views.py", &text, damaged),
        ];
        let settings = tasklint::settings::Settings {
            select: Some(vec!["ALL".into()]),
            ..Default::default()
        };
        let project = Project::build(inputs, tasklint::knowledge::BUILTIN.clone(), settings);
        let diagnostics = tasklint::rules::run(&project);
        // A bug in a rule becomes TL000 (rules catch their panics): none may.
        prop_assert!(
            diagnostics.iter().all(|d| !d.message.contains("internal error")),
            "{:?}", diagnostics
        );
    }

    #[test]
    fn fix_writer_writes_the_fixed_text_or_keeps_the_users(
        text in fix_text(),
        edits in prop::collection::vec((0u32..200, 0u32..12, "[a-z.()\n]{0,8}"), 0..6),
        through in 0u8..3,
        edited_meanwhile in any::<bool>(),
    ) {
        use std::os::unix::fs::MetadataExt;
        use tasklint::diagnostic::{Applicability, Edit, Fix};
        let fixes: Vec<Fix> = edits
            .iter()
            .map(|(start, len, content)| Fix {
                message: "m".into(),
                applicability: Applicability::Safe,
                edits: vec![Edit {
                    span: tasklint::model::Span::new(*start, start + len),
                    content: content.clone(),
                }],
            })
            .collect();
        let tagged: Vec<(&'static str, &Fix)> = fixes.iter().map(|f| ("TL000", f)).collect();
        let ending = tasklint::fix::line_ending(&text, Some(Language::Python));
        let (fixed, applied) = tasklint::fix::apply_with(&text, &tagged, ending);
        if applied.is_empty() {
            prop_assert_eq!(&fixed, &text);
        }

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.py");
        std::fs::write(&file, &text).unwrap();
        let path = match through {
            0 => file.clone(),
            1 => {
                let link = dir.path().join("link.py");
                std::os::unix::fs::symlink("a.py", &link).unwrap();
                link
            }
            _ => {
                let other = dir.path().join("other.py");
                std::fs::hard_link(&file, &other).unwrap();
                other
            }
        };
        let inode = std::fs::metadata(&file).unwrap().ino();
        let saved = format!("{text}# saved meanwhile\n");
        if edited_meanwhile {
            std::fs::write(&file, &saved).unwrap();
        }
        let result = tasklint::fix::write_fixed(&path, &text, &fixed);
        let on_disk = std::fs::read_to_string(&file).unwrap();
        if edited_meanwhile {
            prop_assert!(matches!(result, Err(tasklint::fix::NotWritten::Changed)));
            prop_assert_eq!(on_disk, saved);
        } else {
            prop_assert!(result.is_ok(), "{:?}", result);
            prop_assert_eq!(&on_disk, &fixed);
            prop_assert_eq!(std::fs::read_to_string(&path).unwrap(), fixed);
        }
        prop_assert_eq!(std::fs::metadata(&file).unwrap().ino(), inode);
        if through == 1 {
            prop_assert!(path.symlink_metadata().unwrap().file_type().is_symlink());
        }
        // No backup left behind.
        let names = std::fs::read_dir(dir.path()).unwrap().count();
        prop_assert_eq!(names, if through == 0 { 1 } else { 2 });
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn human_formats_escape_everything_on_any_text_and_spans(
        parts in prop::collection::vec(
            prop_oneof![
                Just("x".repeat(450)),
                Just("\n".to_string()),
                Just("\r".to_string()),
                Just("\r\n".to_string()),
                Just("\x1b]0;t\x07".to_string()),
                Just("\t".to_string()),
                Just("é→".to_string()),
                Just("\u{202e}".to_string()),
                Just("f(a)".to_string()),
            ],
            0..12,
        ),
        spans in prop::collection::vec((0u32..6000, 0u32..900), 1..4),
        name in "[a-z\n\x1b:,%]{1,12}",
        rust in any::<bool>(),
    ) {
        use codespan_reporting::term::termcolor::NoColor;
        use tasklint::diagnostic::{Diagnostic, Related, Severity};
        use tasklint::report::{Emitter, Summary};
        let text: String = parts.concat();
        let path = if rust { format!("{name}.rs") } else { format!("{name}.py") };
        let files = vec![SourceFile::new(path.clone(), path.into(), text)];
        let span = |(s, l): (u32, u32)| tasklint::model::Span::new(s, s + l);
        let d = Diagnostic {
            code: "TL000",
            name: "unreadable-source",
            severity: Severity::Error,
            message: format!("`{name}` \x1b[2J"),
            file: 0,
            span: span(spans[0]),
            label: Some(name.clone()),
            help: Some(name.clone()),
            notes: vec![name.clone()],
            related: spans[1..]
                .iter()
                .map(|s| Related { file: 0, span: span(*s), message: name.clone() })
                .collect(),
            fix: None,
        };
        let ds = vec![d];
        let summary = Summary::new(1, &ds);
        let emitters: [&dyn Emitter; 3] =
            [&tasklint::report::Text, &tasklint::report::Concise, &tasklint::report::Github];
        for e in emitters {
            let mut out = NoColor::new(Vec::new());
            e.emit(&mut out, &ds, &files, &summary).unwrap();
            let out = String::from_utf8(out.into_inner()).unwrap();
            prop_assert!(
                !out.chars().any(|c| c != '\n' && tasklint::report::escape::is_unsafe(c)),
                "{:?}",
                out
            );
        }
    }
}

/// Inputs fuzzing found that once broke something.
mod regressions {
    use super::*;

    #[test]
    fn known_crashers() {
        for text in [
            "",
            "\u{feff}",
            "\u{feff}\u{feff}x",
            "@\n",
            "lambda: (yield)",
            "class A(\n",
            "def f(*, **k): pass",
            "match x:\n case [*_]: pass\n",
            "print 'x'",
            "f'{'",
        ] {
            frontend(Language::Python, text);
        }
    }

    /// The JSON report of a check with a skipped file carries `summary.skipped`: the
    /// schema documents it (it did not, and every such report failed validation).
    #[test]
    fn a_report_with_skipped_files_matches_the_schema() {
        let t = write_project(&[
            (
                "a.py".into(),
                "from celery import shared_task\ndef f(:\n".into(),
            ),
            ("b.py".into(), "x\0".into()),
        ]);
        let report = whole_check(t.path());
        assert_eq!(report["summary"]["skipped"]["syntax"], 1, "{report}");
        assert_eq!(report["summary"]["skipped"]["binary"], 1, "{report}");
    }

    /// The generators make what they claim: the programs hold tasks, enqueues, views and
    /// handlers, so the rules have something to say about them.
    #[test]
    fn generated_projects_reach_the_rules() {
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..20u16 {
            // splitmix64: every choice of the generators is exercised.
            let mut state = u64::from(seed);
            let data: Vec<u16> = (0..600)
                .map(|_| {
                    state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
                    let mut z = state;
                    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                    (z ^ (z >> 31)) as u16
                })
                .collect();
            for files in [python_project(data.clone()), rust_project(data)] {
                let t = write_project(&files);
                seen.extend(codes(&whole_check(t.path())));
            }
        }
        for code in [
            "TL101", "TL102", "TL104", "TL106", "TL107", "TL201", "TL202", "TL203", "TL301",
            "TL302", "TL304", "TL305", "TL401", "TL402",
        ] {
            assert!(seen.contains(code), "{code} never reported: {seen:?}");
        }
    }
}

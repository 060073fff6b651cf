//! `tasklint explain` as a process: what it recognised, and why a line has or has no
//! finding.

use std::path::Path;
use std::process::{Command, Output};

fn tasklint(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tasklint"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("tasklint runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A Django project: a view calling a chain of helpers seven deep to a slow call, a task,
/// a helper only the task calls, and a suppressed finding.
fn project() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "manage.py", "");
    write(t.path(), "shop/__init__.py", "");
    write(
        t.path(),
        "shop/tasks.py",
        "from celery import shared_task\n\
         from shop.helpers import render_report\n\
         \n\
         @shared_task\n\
         def nightly():\n\
         \x20   render_report()\n",
    );
    write(
        t.path(),
        "shop/helpers.py",
        "import time\n\
         import requests\n\
         \n\
         def render_report():\n\
         \x20   time.sleep(5)\n\
         \n\
         def h1():\n    return h2()\n\
         def h2():\n    return h3()\n\
         def h3():\n    return h4()\n\
         def h4():\n    return h5()\n\
         def h5():\n    return h6()\n\
         def h6():\n    return h7()\n\
         def h7():\n    return requests.get('https://example.com', timeout=5)\n",
    );
    write(
        t.path(),
        "shop/views.py",
        "import time\n\
         from django.urls import path\n\
         from shop.helpers import h1\n\
         \n\
         def deep(request, client):\n\
         \x20   client.fetch()\n\
         \x20   return h1()\n\
         \n\
         def quiet(request):\n\
         \x20   time.sleep(1)  # tasklint: ignore[TL301]\n\
         \n\
         urlpatterns = [path('deep/', deep), path('quiet/', quiet)]\n",
    );
    t
}

#[test]
fn lists_tasks_and_handlers_in_text_and_json() {
    let t = project();
    let o = tasklint(&["explain", "."], t.path());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = stdout(&o);
    assert!(out.contains("tasks: 1\n"), "{out}");
    assert!(
        out.contains("shop/tasks.py:5  shop.tasks.nightly  [Celery task]"),
        "{out}"
    );
    assert!(out.contains("request handlers: 2\n"), "{out}");
    assert!(
        out.contains("shop/views.py:5  shop.views.deep  [Django view]"),
        "{out}"
    );
    assert!(
        out.contains("registered at shop/urls.py")
            || out.contains("registered at shop/views.py:12"),
        "{out}"
    );

    let o = tasklint(&["explain", ".", "--format", "json"], t.path());
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["tasks"][0]["name"], "shop.tasks.nightly");
    assert_eq!(v["tasks"][0]["line"], 5);
    let kinds: Vec<&str> = v["handlers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["Django view", "Django view"]);
    assert!(v["line"].is_null());
}

#[test]
fn explains_the_request_paths_of_the_fixture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/python/request_paths");
    let o = tasklint(&["explain", ".", "--format", "json"], &dir);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let handlers = v["handlers"].as_array().unwrap();
    let kind_of = |name: &str| {
        handlers
            .iter()
            .find(|h| h["name"] == name)
            .map(|h| h["kind"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{name} is not listed"))
    };
    assert_eq!(
        kind_of("store.admin.OrderAdmin.refund"),
        "Django admin action"
    );
    assert_eq!(
        kind_of("store.middleware.audit_middleware.middleware"),
        "Django middleware"
    );
    assert_eq!(
        kind_of("store.context.exchange_rates"),
        "Django context processor"
    );
    assert_eq!(
        kind_of("store.consumers.ChatConsumer.receive"),
        "Channels sync consumer"
    );
    assert!(
        !handlers
            .iter()
            .any(|h| h["name"] == "store.context.unused_processor")
    );
    // A consumer a ChannelNameRouter names is a background worker, and explain says so.
    assert!(
        !handlers
            .iter()
            .any(|h| h["name"] == "store.consumers.ReceiptWorker.send_receipt")
    );
    let line = tasklint(&["explain", "store/consumers.py:39"], &dir);
    assert!(
        stdout(&line).contains("`ReceiptWorker` is a background worker"),
        "{}",
        stdout(&line)
    );
}

#[test]
fn a_line_says_what_reaches_it_or_why_nothing_does() {
    let t = project();
    // Beyond max-call-depth: the handler is there, too deep.
    let o = tasklint(&["explain", "shop/helpers.py:20"], t.path());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = stdout(&o);
    assert!(out.contains("in `shop.helpers.h7`"), "{out}");
    assert!(
        out.contains("the request handler `deep` reaches it only through 7 calls (deep → h1 → h2 → h3 → h4 → h5 → h6 → h7), beyond max-call-depth (6)"),
        "{out}"
    );
    assert!(out.contains("`requests.get`: `requests.get`"), "{out}");
    assert!(out.contains("a slow call (HTTP request, error)"), "{out}");
    // With a deeper setting, it is reached and reported at the handler's call.
    let o = tasklint(
        &["explain", "shop/helpers.py:20", "--max-call-depth", "7"],
        t.path(),
    );
    let out = stdout(&o);
    assert!(
        out.contains("reached from the request handler `deep` (Django view)"),
        "{out}"
    );
    assert!(
        out.contains("TL301 reports it at `deep`'s own call that leads here (shop/views.py:7)"),
        "{out}"
    );

    // Only a task reaches it.
    let out = stdout(&tasklint(&["explain", "shop/helpers.py:5"], t.path()));
    assert!(
        out.contains(
            "reached only through the task `nightly` (nightly → render_report): it runs on a worker"
        ),
        "{out}"
    );

    // An unknown receiver, and the handler's own line with its finding.
    let o = tasklint(
        &["explain", "shop/views.py:6", "--format", "json"],
        t.path(),
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let line = &v["line"];
    assert_eq!(line["function"], "shop.views.deep");
    assert_eq!(
        line["facts"][0],
        "`deep` is a request handler (Django view)"
    );
    assert_eq!(line["calls"][0]["text"], "client.fetch");
    assert!(
        line["calls"][0]["verdict"]
            .as_str()
            .unwrap()
            .starts_with("unknown")
    );
    assert!(line["findings"].as_array().unwrap().is_empty());
    let out = stdout(&tasklint(&["explain", "shop/views.py:7"], t.path()));
    assert!(out.contains("findings on this line: none"), "{out}");
    let out = stdout(&tasklint(
        &["explain", "shop/views.py:7", "--max-call-depth", "7"],
        t.path(),
    ));
    assert!(
        out.contains("TL301 slow-call-in-handler: `h1(...)` in request handler `deep`"),
        "{out}"
    );

    // A suppressed finding is named as such.
    let out = stdout(&tasklint(&["explain", "shop/views.py:10"], t.path()));
    assert!(
        out.contains("(suppressed by a comment or per-file-ignores)"),
        "{out}"
    );

    // Module level.
    let out = stdout(&tasklint(&["explain", "shop/views.py:12"], t.path()));
    assert!(out.contains("at module level"), "{out}");
}

#[test]
fn bad_targets_are_usage_errors() {
    let t = project();
    for (target, message) in [
        ("shop:3", "a line number needs a file"),
        ("shop/views.py:99", "there is no line 99"),
        ("missing.py", "does not exist"),
    ] {
        let o = tasklint(&["explain", target], t.path());
        assert_eq!(o.status.code(), Some(2), "{target}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(message), "{target}: {err}");
    }
}

/// A copy of `files` of the Python fixture `name` with a configuration of its own, so
/// that the project is the fixture alone.
fn fixture_alone(name: &str, files: &[&str]) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/python")
        .join(name);
    for rel in files {
        write(
            t.path(),
            rel,
            &std::fs::read_to_string(fixture.join(rel)).unwrap(),
        );
    }
    write(t.path(), "pyproject.toml", "[tool.tasklint]\n");
    t
}

#[test]
fn a_hook_left_to_subclasses_names_the_overrides_it_runs() {
    let t = fixture_alone(
        "template_methods",
        &["portal/__init__.py", "portal/views.py", "portal/urls.py"],
    );
    let o = tasklint(&["explain", "portal/views.py:15"], t.path());
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("runs their overrides: `StatusView.run`, `SyncView.run`"),
        "{out}"
    );
    // A subclass that overrides the caller is not among them.
    let o = tasklint(&["explain", "portal/views.py:34"], t.path());
    let out = stdout(&o);
    assert!(
        out.contains("self.fetch") && !out.contains("CachedProxy.fetch"),
        "{out}"
    );
}

#[test]
fn a_call_through_a_dispatch_table_names_every_entry_it_may_run() {
    let t = fixture_alone(
        "dispatch_tables",
        &[
            "portal/__init__.py",
            "portal/annotators.py",
            "portal/providers.py",
            "portal/backends.py",
            "portal/views.py",
            "portal/urls.py",
        ],
    );
    // `provider.send(...)` on an entry of `PROVIDERS`.
    let o = tasklint(&["explain", "portal/providers.py:35"], t.path());
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("may run any of `SmtpProvider.send`, `LogProvider.send`"),
        "{out}"
    );
    // A conditional expression between two backends.
    let o = tasklint(&["explain", "portal/views.py:42"], t.path());
    let out = stdout(&o);
    assert!(
        out.contains("may run any of `ConsoleBackend.deliver`, `NullBackend.deliver`"),
        "{out}"
    );
}

#[test]
fn a_slow_call_shared_by_handlers_is_said_to_be_reported_where_it_is() {
    let t = fixture_alone(
        "model_signals",
        &[
            "shop/__init__.py",
            "shop/accounts.py",
            "shop/account_views.py",
            "shop/urls.py",
            "shop/views.py",
            "shop/models.py",
            "shop/forms.py",
            "shop/events.py",
            "shop/signals.py",
            "shop/tasks.py",
        ],
    );
    // Four handlers save a `User`: TL301 reports the receiver's call itself, and
    // `explain` says so (not "at the handler's own call").
    let o = tasklint(&["explain", "shop/accounts.py:20"], t.path());
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("4 request handlers reach this function: TL301 reports it here"),
        "{out}"
    );
    assert!(out.contains("TL301 slow-call-in-handler"), "{out}");
}

#[test]
fn a_call_that_starts_work_elsewhere_says_so() {
    let t = fixture_alone(
        "TL301",
        &["site/__init__.py", "site/urls.py", "site/background.py"],
    );
    // `notify_chat` is decorated `@in_background`, whose wrapper starts a thread.
    let o = tasklint(&["explain", "site/background.py:53"], t.path());
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("which its decorator runs on a thread or an executor"),
        "{out}"
    );
    // `notify_now`'s decorator calls it inline: followed, and reported.
    let o = tasklint(&["explain", "site/background.py:55"], t.path());
    let out = stdout(&o);
    assert!(out.contains("tasklint follows it"), "{out}");
    assert!(out.contains("TL301 slow-call-in-handler"), "{out}");
}

#[test]
fn the_line_of_a_public_rust_function_is_about_that_function() {
    let t = tempfile::tempdir().unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rust/test_helpers");
    for rel in [
        "Cargo.toml",
        "app/Cargo.toml",
        "app/src/lib.rs",
        "app/src/main.rs",
        "app/src/jobs.rs",
        "app/src/routes.rs",
        "app/tests/scanning.rs",
        "scanlib/Cargo.toml",
        "scanlib/src/lib.rs",
        "scanlib/tests/scanning.rs",
    ] {
        write(
            t.path(),
            rel,
            &std::fs::read_to_string(src.join(rel)).unwrap(),
        );
    }
    let lib = std::fs::read_to_string(src.join("app/src/lib.rs")).unwrap();
    let line = lib
        .lines()
        .position(|l| l.trim_start().starts_with("pub async fn render("))
        .unwrap()
        + 1;
    let target = format!("app/src/lib.rs:{line}");
    let o = tasklint(&["explain", &target], t.path());
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("in `app.Exporter.render`"), "{out}");
    assert!(out.contains("`async fn`: TL302 reports"), "{out}");
    // A line outside any function says so in Rust's terms.
    let o = tasklint(&["explain", "app/src/lib.rs:1"], t.path());
    let out = stdout(&o);
    assert!(out.contains("outside any function"), "{out}");
}

#[test]
fn an_enqueue_is_said_to_enqueue_its_task() {
    let t = fixture_alone(
        "TL401",
        &[
            "orders/__init__.py",
            "orders/models.py",
            "orders/tasks.py",
            "orders/views.py",
            "orders/urls.py",
        ],
    );
    let o = tasklint(&["explain", "orders/views.py:16"], t.path());
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("enqueues the task `send_receipt` (celery)"),
        "{out}"
    );
    assert!(out.contains("TL401 enqueue-inside-transaction"), "{out}");
    // `delay_on_commit` waits for the commit.
    let o = tasklint(&["explain", "orders/views.py:19"], t.path());
    let out = stdout(&o);
    assert!(out.contains("once the transaction commits"), "{out}");
}

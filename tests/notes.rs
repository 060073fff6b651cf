//! What a finding says beyond its code: the note that names the kind of request path
//! (the admin's request, middleware, a sync handler on an event loop...), and help lines
//! that come from the project's own code rather than from an example.

use std::path::Path;

use tasklint::check::{Options, check};
use tasklint::diagnostic::Diagnostic;
use tasklint::settings::Settings;

struct Finding {
    /// `store/admin.py:48`
    at: String,
    code: &'static str,
    help: Option<String>,
    notes: Vec<String>,
}

fn findings(dir: &Path) -> Vec<Finding> {
    let out = check(Options {
        paths: vec![dir.to_path_buf()],
        settings: Settings::default(),
        knowledge: tasklint::knowledge::BUILTIN.clone(),
        threads: Some(1),
    })
    .unwrap();
    out.diagnostics
        .iter()
        .map(|d: &Diagnostic| {
            let f = &out.project.files[d.file];
            let rel = f.path.strip_prefix(dir).unwrap_or(&f.path);
            Finding {
                at: format!(
                    "{}:{}",
                    rel.to_string_lossy().replace('\\', "/"),
                    f.position(d.span.start).line
                ),
                code: d.code,
                help: d.help.clone(),
                notes: d.notes.clone(),
            }
        })
        .collect()
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/python")
        .join(name)
}

fn find<'a>(all: &'a [Finding], at: &str, code: &str) -> &'a Finding {
    all.iter()
        .find(|f| f.at == at && f.code == code)
        .unwrap_or_else(|| panic!("no {code} at {at}"))
}

fn has_note(f: &Finding, text: &str) -> bool {
    f.notes.iter().any(|n| n.contains(text))
}

#[test]
fn notes_say_what_kind_of_request_path_it_is() {
    let all = findings(&fixture("request_paths"));
    let cases = [
        (
            "store/admin.py",
            "def save_model",
            "`OrderAdmin.save_model` runs in the Django admin's request",
        ),
        (
            "store/admin.py",
            "def refund",
            "`OrderAdmin.refund` is a Django admin action",
        ),
        (
            "store/admin.py",
            "def carrier_status",
            "calls it once per row",
        ),
        (
            "store/admin.py",
            "def report_view",
            "`OrderAdmin.report_view` runs in the Django admin's request",
        ),
        (
            "store/middleware.py",
            "time.sleep(0.1)",
            "`middleware` is Django middleware: it runs in every request",
        ),
        ("store/context.py", "rates =", "is a context processor"),
        (
            "store/templatetags/store_tags.py",
            "prices.example.com",
            "is a template tag or filter: it runs while a response renders",
        ),
        (
            "store/consumers.py",
            "moderation.example.com",
            "every sync consumer of the process runs on one shared thread",
        ),
        (
            "store/consumers.py",
            "feed.example.com",
            "handles an async Channels consumer's messages on the event loop",
        ),
        (
            "store/signals.py",
            "def record_login",
            "receives a login signal: it runs in the request that logs the user in or out",
        ),
        (
            "store/auth.py",
            "def authenticate",
            "is an authentication backend method",
        ),
        (
            "store/forms.py",
            "def clean_email",
            "is a form hook: it runs in the request that submits the form",
        ),
        (
            "services/fast_servers.py",
            "time.sleep(1)  # expect: error[TL301]",
            "Sanic runs it on the event loop",
        ),
        (
            "services/fast_servers.py",
            "def on_loop",
            "without `sync_to_thread=True`: Litestar runs it on the event loop",
        ),
    ];
    for (file, marker, note) in cases {
        let text = std::fs::read_to_string(fixture("request_paths").join(file)).unwrap();
        // The finding's line: the first line with the marker, or the first line with
        // an `expect:` after a `def` holding it.
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.iter().position(|l| l.contains(marker)).unwrap();
        let line = (start..lines.len())
            .find(|i| lines[*i].contains("# expect:"))
            .unwrap()
            + 1;
        let at = format!("{file}:{line}");
        let f = all
            .iter()
            .find(|f| f.at == at)
            .unwrap_or_else(|| panic!("no finding at {at}"));
        assert!(has_note(f, note), "{at}: {:?} lacks {note:?}", f.notes);
    }
    // With `sync_to_thread=True`, Litestar runs the handler in a thread: the plain note.
    let text =
        std::fs::read_to_string(fixture("request_paths").join("services/fast_servers.py")).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("def in_thread"))
        .unwrap()
        + 2;
    let f = find(&all, &format!("services/fast_servers.py:{line}"), "TL301");
    assert!(
        !has_note(f, "event loop") && has_note(f, "is a request handler (Litestar route)"),
        "{:?}",
        f.notes
    );
}

#[test]
fn the_first_orm_query_of_a_coroutine_names_the_ones_it_keeps_from_running() {
    let all = findings(&fixture("TL302"));
    let text = std::fs::read_to_string(fixture("TL302").join("orders/views.py")).unwrap();
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let first = line_of("order = Order.objects.get(pk=pk)");
    let f = find(&all, &format!("orders/views.py:{first}"), "TL302");
    let later: Vec<String> = [
        "count = len(pending)",
        "rows = list(",
        "exists = pending",
        "order.save()",
    ]
    .iter()
    .map(|n| line_of(n).to_string())
    .collect();
    let note = format!(
        "the 4 ORM queries after it in `orm` (lines {}) never run on the loop",
        later.join(", ")
    );
    assert!(has_note(f, &note), "{note:?} not in {:?}", f.notes);
    // The later ones are not findings of their own.
    for l in &later {
        assert!(
            !all.iter().any(|g| g.at == format!("orders/views.py:{l}")),
            "line {l} reported"
        );
    }
}

#[test]
fn help_lines_name_the_projects_own_task_framework() {
    // The catalogue's `{enqueue}` becomes the enqueue call of the framework the project's
    // tasks use, never a task name from an example.
    let all = findings(&fixture("slow_catalogue"));
    let text =
        std::fs::read_to_string(fixture("slow_catalogue").join("integrations/views.py")).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("smtp.send_message"))
        .unwrap()
        + 1;
    let mail = find(&all, &format!("integrations/views.py:{line}"), "TL301");
    assert_eq!(
        mail.help.as_deref(),
        Some(
            "send the mail from a task: move the `smtp.send_message` call into a task and enqueue that task from `mail` (enqueue it with `.delay()`)"
        )
    );
    assert!(has_note(
        mail,
        "how slow: a few round-trips to the mail server"
    ));

    let t = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let p = t.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("app/__init__.py", "");
    write(
        "app/views.py",
        "from django.core.mail import send_mail\nfrom django.urls import path\n\n\
         def home(request):\n    send_mail('s', 'b', None, ['a@example.com'])\n\n\
         urlpatterns = [path('', home)]\n",
    );
    // No task framework in the project: no enqueue call to name.
    let all = findings(t.path());
    let f = find(&all, "app/views.py:5", "TL301");
    assert_eq!(
        f.help.as_deref(),
        Some(
            "send the mail from a task: move the `django.core.mail.send_mail` call into a task and enqueue that task from `home`"
        )
    );
    // Dramatiq actors: `.send()`.
    write(
        "app/tasks.py",
        "import dramatiq\n\n@dramatiq.actor\ndef notify(x):\n    return x\n",
    );
    let all = findings(t.path());
    let f = find(&all, "app/views.py:5", "TL301");
    assert_eq!(
        f.help.as_deref(),
        Some(
            "send the mail from a task: move the `django.core.mail.send_mail` call into a task and enqueue that task from `home` (enqueue it with `.send()`)"
        )
    );
}

//! `tasklint server` as a process, spoken to in JSON-RPC as an editor does: open →
//! diagnostics → change → updated diagnostics → code action → apply → diagnostics gone;
//! positions in UTF-16 and UTF-8; a change in one open file updating another; the
//! configuration read again; several workspace folders; a panic that does not end the
//! server; shutdown and exit.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Long enough for a debug build on a busy 2-core machine; a passing run never waits it.
const WAIT: Duration = Duration::from_secs(60);

struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Messages read while waiting for something else (notifications, mostly).
    backlog: Vec<Value>,
}

fn uri(p: &Path) -> String {
    let mut s = String::from("file://");
    for c in p.to_str().unwrap().bytes() {
        match c {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                s.push(c as char)
            }
            _ => s.push_str(&format!("%{c:02X}")),
        }
    }
    s
}

impl Client {
    /// Starts the server and initializes it with `capabilities` and `options` for the
    /// workspace `folders`; returns the client and the `initialize` result.
    fn start(folders: &[&Path], capabilities: Value, options: Value) -> (Client, Value) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tasklint"))
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tasklint server starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = None;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; len.expect("a Content-Length header")];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                let v: Value = serde_json::from_slice(&body).expect("JSON body");
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        let mut c = Client {
            child,
            stdin,
            incoming: rx,
            next_id: 1,
            backlog: Vec::new(),
        };
        let folders: Vec<Value> = folders
            .iter()
            .map(|f| json!({"uri": uri(f), "name": f.file_name().unwrap().to_str().unwrap()}))
            .collect();
        let result = c.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": folders.first().map(|f| f["uri"].clone()),
                "workspaceFolders": folders,
                "capabilities": capabilities,
                "initializationOptions": options,
            }),
        );
        c.notify("initialized", json!({}));
        (c, result.expect("initialize succeeds"))
    }

    fn send(&mut self, v: Value) {
        let body = serde_json::to_vec(&v).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(&body).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn next_message(&mut self, deadline: Instant) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.incoming.recv_timeout(left) {
            Ok(v) => v,
            Err(RecvTimeoutError::Timeout) => panic!("no message from the server in {WAIT:?}"),
            Err(RecvTimeoutError::Disconnected) => {
                let mut err = String::new();
                if let Some(mut e) = self.child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("the server closed its output; stderr:\n{err}")
            }
        }
    }

    /// Sends a request and returns its result (`Err` with the error object).
    fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let deadline = Instant::now() + WAIT;
        loop {
            let m = self.next_message(deadline);
            if m.get("id") == Some(&json!(id)) && m.get("method").is_none() {
                return match m.get("error") {
                    Some(e) => Err(e.clone()),
                    None => Ok(m["result"].clone()),
                };
            }
            // A request from the server (client/registerCapability): answer it.
            if let (Some(rid), Some(_)) = (m.get("id"), m.get("method")) {
                let rid = rid.clone();
                self.send(json!({"jsonrpc": "2.0", "id": rid, "result": null}));
                continue;
            }
            self.backlog.push(m);
        }
    }

    /// The next diagnostics published for `file` (earlier ones for it are dropped).
    fn diagnostics(&mut self, file: &Path) -> Vec<Value> {
        self.published(file).1
    }

    /// The next diagnostics published for `file`, with the document version they are for.
    fn published(&mut self, file: &Path) -> (Option<i64>, Vec<Value>) {
        let want = uri(file);
        let is_it = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == want
        };
        let both = |m: &Value| {
            (
                m["params"]["version"].as_i64(),
                m["params"]["diagnostics"].as_array().unwrap().clone(),
            )
        };
        if let Some(i) = self.backlog.iter().position(is_it) {
            let m = self.backlog.remove(i);
            return both(&m);
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let m = self.next_message(deadline);
            if is_it(&m) {
                return both(&m);
            }
            if let (Some(rid), Some(_)) = (m.get("id"), m.get("method")) {
                let rid = rid.clone();
                self.send(json!({"jsonrpc": "2.0", "id": rid, "result": null}));
                continue;
            }
            self.backlog.push(m);
        }
    }

    fn open(&mut self, file: &Path, text: &str) {
        let language = if file.extension().unwrap() == "rs" {
            "rust"
        } else {
            "python"
        };
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(file), "languageId": language, "version": 1, "text": text}}),
        );
    }

    fn change(&mut self, file: &Path, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(file), "version": version},
                   "contentChanges": [{"text": text}]}),
        );
    }

    fn code_actions(&mut self, file: &Path, range: &Value) -> Vec<Value> {
        let r = self.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri(file)}, "range": range,
                   "context": {"diagnostics": []}}),
        );
        r.expect("codeAction succeeds")
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// shutdown, exit, and the exit code.
    fn finish(mut self) -> Option<i32> {
        assert_eq!(self.request("shutdown", Value::Null), Ok(Value::Null));
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s.code();
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

const TASKS: &str =
    "from celery import shared_task\n\n\n@shared_task\ndef ping(x):\n    return x\n";
const VIEWS: &str = "from django.urls import path\n\nfrom .tasks import ping\n\n\ndef home(request):\n    ping(1)\n    return None\n\n\nurlpatterns = [path('', home)]\n";

/// A one-view project (a git checkout: configuration search stops there): `views.home`
/// calls the Celery task `ping` directly (TL101).
fn project() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    // Canonical: the server reports the paths it is given, and /tmp may be a link.
    let root = std::fs::canonicalize(t.path()).unwrap();
    std::fs::create_dir(root.join(".git")).unwrap();
    write(&root, "app/__init__.py", "");
    write(&root, "app/tasks.py", TASKS);
    write(&root, "app/views.py", VIEWS);
    (t, root)
}

/// Opens `other`, changes it to `edited` and then back to `original` (versions 2 and
/// 3): the codes `watched` is published with after each change.
fn edit_and_revert(
    c: &mut Client,
    other: &Path,
    original: &str,
    edited: &str,
    watched: &Path,
) -> (Vec<String>, Vec<String>) {
    c.open(other, original);
    let _ = c.diagnostics(other);
    c.change(other, 2, edited);
    let after_edit = codes(&c.diagnostics(watched));
    c.change(other, 3, original);
    (after_edit, codes(&c.diagnostics(watched)))
}

fn codes(diags: &[Value]) -> Vec<String> {
    diags
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

/// Applies LSP text edits (UTF-16 positions) to a text.
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize;
        let ch = p["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let mut units = 0;
        for (i, c) in text[start..].char_indices() {
            if units >= ch {
                return start + i;
            }
            units += c.len_utf16();
        }
        text.len()
    };
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (s, e, t) in spans {
        out.replace_range(s..e, t);
    }
    out
}

#[test]
fn open_change_fix_and_suppress() {
    let (_t, root) = project();
    let views = root.join("app/views.py");
    let (mut c, init) = Client::start(&[&root], json!({}), Value::Null);
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(init["serverInfo"]["name"], "tasklint");

    c.open(&views, VIEWS);
    let d = c.diagnostics(&views);
    assert_eq!(codes(&d), ["TL101"], "{d:#?}");
    let d0 = &d[0];
    assert_eq!(d0["source"], "tasklint");
    assert_eq!(d0["severity"], 1);
    assert_eq!(
        d0["codeDescription"]["href"],
        "https://tasklint.github.io/tasklint/rules/TL101.html"
    );
    assert_eq!(
        d0["range"],
        json!({"start": {"line": 6, "character": 4}, "end": {"line": 6, "character": 11}})
    );
    assert!(
        d0["message"]
            .as_str()
            .unwrap()
            .contains("help: enqueue it: `ping.delay(1)`"),
        "{d0}"
    );
    let related = &d0["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], uri(&root.join("app/tasks.py")));
    assert_eq!(related["message"], "Celery task defined here");

    // An unsaved edit moves the finding down a line: the buffer is what is checked.
    let moved = VIEWS.replace("    ping(1)", "    # about to ping\n    ping(1)");
    c.change(&views, 2, &moved);
    let d = c.diagnostics(&views);
    assert_eq!(codes(&d), ["TL101"]);
    assert_eq!(d[0]["range"]["start"]["line"], 7);

    // Hover on the finding shows the rule's page.
    let hover = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(&views)}, "position": {"line": 7, "character": 6}}),
        )
        .unwrap();
    let page = hover["contents"]["value"].as_str().unwrap();
    assert!(page.starts_with("# TL101 task-called-directly"), "{page}");
    // ...and nothing away from it.
    let nothing = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(&views)}, "position": {"line": 0, "character": 2}}),
        )
        .unwrap();
    assert_eq!(nothing, Value::Null);

    // The fix, applied as the editor would, clears the finding.
    let actions = c.code_actions(&views, &d[0]["range"]);
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "TL101: enqueue with `.delay()` (safe fix)",
            "Suppress TL101 on this line"
        ]
    );
    assert_eq!(actions[0]["kind"], "quickfix");
    assert_eq!(actions[0]["isPreferred"], true);
    let edits = actions[0]["edit"]["changes"][uri(&views)]
        .as_array()
        .unwrap();
    let fixed = apply(&moved, edits);
    assert!(fixed.contains("    ping.delay(1)\n"), "{fixed}");
    c.change(&views, 3, &fixed);
    assert_eq!(c.diagnostics(&views), Vec::<Value>::new());

    // Back to the finding; the suppression comment clears it too.
    c.change(&views, 4, &moved);
    let d = c.diagnostics(&views);
    assert_eq!(codes(&d), ["TL101"]);
    let actions = c.code_actions(&views, &d[0]["range"]);
    let edits = actions[1]["edit"]["changes"][uri(&views)]
        .as_array()
        .unwrap();
    let suppressed = apply(&moved, edits);
    assert!(
        suppressed.contains("    ping(1)  # tasklint: ignore[TL101]\n"),
        "{suppressed}"
    );
    c.change(&views, 5, &suppressed);
    assert_eq!(c.diagnostics(&views), Vec::<Value>::new());

    // Nothing was written to the workspace.
    assert_eq!(std::fs::read_to_string(&views).unwrap(), VIEWS);
    assert!(!root.join(".tasklint_cache").exists());

    // Closing clears the document's diagnostics.
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri(&views)}}),
    );
    assert_eq!(c.diagnostics(&views), Vec::<Value>::new());
    assert_eq!(c.finish(), Some(0));
}

/// The column of the finding on a line with non-ASCII text before it, in the unit the
/// client negotiated.
#[test]
fn positions_in_utf16_by_default_and_utf8_when_offered() {
    let (_t, root) = project();
    let views = root.join("app/views.py");
    let line = "    x = 'héllo 😀'; ping(1)";
    let text = VIEWS.replace("    ping(1)", line);
    std::fs::write(&views, &text).unwrap();
    let prefix = &line[..line.find("ping").unwrap()];
    for (offer, unit, expected) in [
        (json!({}), "utf-16", prefix.encode_utf16().count()),
        (
            json!({"general": {"positionEncodings": ["utf-8", "utf-16"]}}),
            "utf-8",
            prefix.len(),
        ),
    ] {
        let (mut c, init) = Client::start(&[&root], offer, Value::Null);
        assert_eq!(init["capabilities"]["positionEncoding"], unit);
        c.open(&views, &text);
        let d = c.diagnostics(&views);
        assert_eq!(codes(&d), ["TL101"]);
        assert_eq!(
            d[0]["range"]["start"],
            json!({"line": 6, "character": expected}),
            "{unit}"
        );
        // A code action asked for at that position (in that unit) finds the finding.
        let actions = c.code_actions(&views, &d[0]["range"]);
        assert_eq!(actions.len(), 2, "{unit}: {actions:#?}");
        assert_eq!(c.finish(), Some(0));
    }
    // The two units differ on this line (é is 2 bytes, 😀 is 4 bytes and 2 UTF-16 units).
    assert_ne!(prefix.len(), prefix.encode_utf16().count());
}

/// Editing the task's definition (unsaved) updates the view that calls it.
#[test]
fn a_change_to_a_task_updates_the_open_files_that_call_it() {
    let (_t, root) = project();
    let views = root.join("app/views.py");
    let tasks = root.join("app/tasks.py");
    let (mut c, _) = Client::start(&[&root], json!({}), Value::Null);
    c.open(&views, VIEWS);
    assert_eq!(codes(&c.diagnostics(&views)), ["TL101"]);
    c.open(&tasks, TASKS);
    assert_eq!(c.diagnostics(&tasks), Vec::<Value>::new());
    // No longer a task: calling it directly is fine.
    c.change(&tasks, 2, &TASKS.replace("@shared_task\n", ""));
    assert_eq!(c.diagnostics(&views), Vec::<Value>::new());
    // A task again.
    c.change(&tasks, 3, TASKS);
    assert_eq!(codes(&c.diagnostics(&views)), ["TL101"]);
    // Closing the task's buffer without saving: the disk's version counts again.
    c.change(&tasks, 4, &TASKS.replace("@shared_task\n", ""));
    assert_eq!(c.diagnostics(&views), Vec::<Value>::new());
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri(&tasks)}}),
    );
    assert_eq!(codes(&c.diagnostics(&views)), ["TL101"]);
    assert_eq!(c.finish(), Some(0));
}

/// What an edit changes for files it did not touch: an unchanged open file whose call
/// resolves through the edited module (by name, in a buffer, then on disk) is checked
/// with the new resolution, not the one kept from the last check.
#[test]
fn an_edit_changes_what_calls_in_other_files_resolve_to() {
    let (_t, root) = project();
    let helpers = root.join("app/helpers.py");
    let alias = "from .tasks import ping as work\n";
    let plain = "def work(x):\n    return x\n";
    write(&root, "app/helpers.py", alias);
    let views = write(
        &root,
        "app/views.py",
        &VIEWS
            .replace("from .tasks import ping", "from .helpers import work")
            .replace("ping(1)", "work(1)"),
    );
    let text = std::fs::read_to_string(&views).unwrap();
    let (mut c, _) = Client::start(&[&root], json!({}), Value::Null);
    c.open(&views, &text);
    assert_eq!(codes(&c.diagnostics(&views)), ["TL101"]);
    // `work` is a plain function while edited: the view's call is fine.
    let (edited, reverted) = edit_and_revert(&mut c, &helpers, alias, plain, &views);
    assert_eq!(edited, Vec::<String>::new());
    assert_eq!(reverted, ["TL101"]);
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri(&helpers)}}),
    );
    // On disk, as another tool would change it.
    std::fs::write(&helpers, plain).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&helpers), "type": 2}]}),
    );
    assert_eq!(c.diagnostics(&views), Vec::<Value>::new());
    assert_eq!(c.finish(), Some(0));
}

/// Edits sent in a burst (the server has no debounce timer: it checks as soon as no
/// message waits) are answered with the diagnostics of the last version, and each
/// version published is one the client sent, in order.
#[test]
fn a_burst_of_edits_ends_with_the_last_versions_diagnostics() {
    let (_t, root) = project();
    let views = root.join("app/views.py");
    let fixed = VIEWS.replace("ping(1)", "ping.delay(1)");
    let (mut c, _) = Client::start(&[&root], json!({}), Value::Null);
    c.open(&views, VIEWS);
    assert_eq!(codes(&c.diagnostics(&views)), ["TL101"]);
    for v in 2..=9 {
        c.change(&views, v, if v % 2 == 0 { &fixed } else { VIEWS });
    }
    c.change(&views, 10, &fixed);
    let mut last = 1;
    loop {
        let (version, diags) = c.published(&views);
        let version = version.expect("diagnostics of an open document carry its version");
        assert!(version > last, "version {version} published after {last}");
        last = version;
        let want: &[&str] = if version % 2 == 0 { &[] } else { &["TL101"] };
        assert_eq!(codes(&diags), want, "version {version}");
        if version == 10 {
            break;
        }
    }
    assert_eq!(c.finish(), Some(0));
}

/// What makes a function a request handler or a task can live in another file (a base
/// class, a project decorator): editing that file alone changes the findings of the
/// unchanged view, whose handlers and tasks the server otherwise keeps from one check to
/// the next.
#[test]
fn an_edit_elsewhere_changes_which_functions_are_handlers_and_tasks() {
    let (_t, root) = project();
    let view_base = "from django.views import View\n\n\nclass Base(View):\n    pass\n";
    let plain_base = "class Base:\n    pass\n";
    let task_job =
        "from celery import shared_task\n\n\ndef job(**kw):\n    return shared_task(**kw)\n";
    let plain_job = "def job(**kw):\n    return lambda f: f\n";
    let base = write(&root, "app/base.py", view_base);
    let jobs = write(&root, "app/jobs.py", task_job);
    write(
        &root,
        "app/tasks.py",
        "from .jobs import job\n\n\n@job()\ndef ping(x):\n    return x\n",
    );
    let views = write(
        &root,
        "app/views.py",
        "import requests\n\nfrom .base import Base\nfrom .tasks import ping\n\n\nclass Home(Base):\n    def get(self, request):\n        requests.get(\"https://example.com\", timeout=5)\n        ping(1)\n",
    );
    let text = std::fs::read_to_string(&views).unwrap();
    let (mut c, _) = Client::start(&[&root], json!({}), Value::Null);
    c.open(&views, &text);
    assert_eq!(codes(&c.diagnostics(&views)), ["TL301", "TL101"]);
    // While edited, `Base` derives from no view class: `Home.get` is no request handler.
    let (edited, reverted) = edit_and_revert(&mut c, &base, view_base, plain_base, &views);
    assert_eq!(edited, ["TL101"]);
    assert_eq!(reverted, ["TL301", "TL101"]);
    // While edited, `job()` makes no Celery task: `ping(1)` is a plain call.
    let (edited, reverted) = edit_and_revert(&mut c, &jobs, task_job, plain_job, &views);
    assert_eq!(edited, ["TL301"]);
    assert_eq!(reverted, ["TL301", "TL101"]);
    assert_eq!(c.finish(), Some(0));
}

/// Which model a save sends `post_save` for is worked out per file and kept between
/// checks: editing the module the view imports its model name from changes whether the
/// unchanged view reaches the receiver's slow call (the receivers stay the same).
#[test]
fn an_edit_elsewhere_changes_which_receivers_a_view_reaches() {
    let (_t, root) = project();
    let order = "from .models import Order\n";
    let invoice = "from .models import Invoice as Order\n";
    write(
        &root,
        "app/models.py",
        "from django.db import models\n\n\nclass Order(models.Model):\n    pass\n\n\nclass Invoice(models.Model):\n    pass\n",
    );
    let aliases = write(&root, "app/aliases.py", order);
    write(
        &root,
        "app/receivers.py",
        "import requests\nfrom django.db.models.signals import post_save\nfrom django.dispatch import receiver\n\nfrom .models import Order\n\n\n@receiver(post_save, sender=Order)\ndef notify(sender, instance, **kwargs):\n    requests.post(\"https://example.com\", timeout=5)\n",
    );
    let views = write(
        &root,
        "app/views.py",
        "from django.urls import path\n\nfrom .aliases import Order\n\n\ndef home(request):\n    Order.objects.create()\n    return None\n\n\nurlpatterns = [path(\"\", home)]\n",
    );
    let text = std::fs::read_to_string(&views).unwrap();
    let (mut c, _) = Client::start(&[&root], json!({}), Value::Null);
    c.open(&views, &text);
    assert_eq!(codes(&c.diagnostics(&views)), ["TL301"]);
    // While edited, the view creates an `Invoice`, which no receiver listens to.
    let (edited, reverted) = edit_and_revert(&mut c, &aliases, order, invoice, &views);
    assert_eq!(edited, Vec::<String>::new());
    assert_eq!(reverted, ["TL301"]);
    assert_eq!(c.finish(), Some(0));
}

/// Configuration: the initialization options select rules; a configuration file is read
/// again when the client says it changed; each workspace folder has its own.
#[test]
fn configuration_options_reload_and_workspace_folders() {
    let (_t1, one) = project();
    let (_t2, two) = project();
    let v1 = one.join("app/views.py");
    let v2 = two.join("app/views.py");

    let (mut c, _) = Client::start(&[&one], json!({}), json!({"ignore": ["TL101"]}));
    c.open(&v1, VIEWS);
    assert_eq!(c.diagnostics(&v1), Vec::<Value>::new());
    // The same keys sent later as settings replace the selection.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"select": ["TL1"]}}),
    );
    assert_eq!(codes(&c.diagnostics(&v1)), ["TL101"]);
    // Settings without tasklint's keys change nothing.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"python": {"analysis": {}}}}),
    );
    c.change(&v1, 2, &format!("{VIEWS}\n"));
    assert_eq!(codes(&c.diagnostics(&v1)), ["TL101"]);
    assert_eq!(c.finish(), Some(0));

    let (mut c, _) = Client::start(&[&one, &two], json!({}), Value::Null);
    c.open(&v1, VIEWS);
    assert_eq!(codes(&c.diagnostics(&v1)), ["TL101"]);
    c.open(&v2, VIEWS);
    assert_eq!(codes(&c.diagnostics(&v2)), ["TL101"]);
    let config = write(&two, "tasklint.toml", "ignore = [\"TL101\"]\n");
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&config), "type": 1}]}),
    );
    // The folder with the new configuration goes quiet; the other does not.
    assert_eq!(c.diagnostics(&v2), Vec::<Value>::new());
    c.change(&v1, 2, &format!("{VIEWS}\n"));
    assert_eq!(codes(&c.diagnostics(&v1)), ["TL101"]);
    // Saving the configuration file is noticed too.
    std::fs::write(&config, "ignore = []\n").unwrap();
    c.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": uri(&config)}}),
    );
    assert_eq!(codes(&c.diagnostics(&v2)), ["TL101"]);
    assert_eq!(c.finish(), Some(0));
}

/// A file saved for the first time is found, even by a client that does not watch
/// files: the view that calls its task gets the finding.
#[test]
fn a_new_file_is_found_when_saved() {
    let (_t, root) = project();
    let views = root.join("app/views.py");
    let tasks = root.join("app/tasks.py");
    std::fs::remove_file(&tasks).unwrap();
    let (mut c, _) = Client::start(&[&root], json!({}), Value::Null);
    c.open(&views, VIEWS);
    assert_eq!(c.diagnostics(&views), Vec::<Value>::new());
    std::fs::write(&tasks, TASKS).unwrap();
    c.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": uri(&tasks)}}),
    );
    assert_eq!(codes(&c.diagnostics(&views)), ["TL101"]);
    assert_eq!(c.finish(), Some(0));
}

/// A broken configuration is shown to the user; the server goes on.
#[test]
fn a_bad_configuration_is_shown_not_fatal() {
    let (_t, root) = project();
    let views = root.join("app/views.py");
    write(&root, "tasklint.toml", "select = 3\n");
    let (mut c, _) = Client::start(&[&root], json!({}), Value::Null);
    c.open(&views, VIEWS);
    assert_eq!(c.diagnostics(&views), Vec::<Value>::new());
    let shown = c
        .backlog
        .iter()
        .find(|m| m["method"] == "window/showMessage")
        .cloned();
    let shown = match shown {
        Some(m) => m,
        None => loop {
            let m = c.next_message(Instant::now() + WAIT);
            if m["method"] == "window/showMessage" {
                break m;
            }
        },
    };
    assert!(
        shown["params"]["message"]
            .as_str()
            .unwrap()
            .contains("tasklint.toml"),
        "{shown}"
    );
    std::fs::write(root.join("tasklint.toml"), "").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&root.join("tasklint.toml")), "type": 2}]}),
    );
    assert_eq!(codes(&c.diagnostics(&views)), ["TL101"]);
    assert_eq!(c.finish(), Some(0));
}

/// A panic while answering a request is an error response; the server goes on.
#[cfg(debug_assertions)]
#[test]
fn a_panic_in_a_request_does_not_end_the_server() {
    let (_t, root) = project();
    let views = root.join("app/views.py");
    let (mut c, _) = Client::start(&[&root], json!({}), Value::Null);
    c.open(&views, VIEWS);
    assert_eq!(codes(&c.diagnostics(&views)), ["TL101"]);
    let err = c.request("tasklint/debugPanic", Value::Null).unwrap_err();
    assert_eq!(err["code"], -32603, "{err}");
    // Still serving: requests and checks.
    let d = c.diagnostics_after_change(&views);
    assert_eq!(codes(&d), ["TL101"]);
    let actions = c.code_actions(&views, &d[0]["range"]);
    assert_eq!(actions.len(), 2);
    // An unknown request is an error, not a crash.
    let err = c.request("tasklint/nothing", Value::Null).unwrap_err();
    assert_eq!(err["code"], -32601);
    assert_eq!(c.finish(), Some(0));
}

#[cfg(debug_assertions)]
impl Client {
    fn diagnostics_after_change(&mut self, file: &Path) -> Vec<Value> {
        self.change(file, 10, &format!("{VIEWS}\n"));
        self.diagnostics(file)
    }
}

/// A document outside every workspace folder is checked with the project around it.
#[test]
fn a_document_outside_the_workspace_folders() {
    let (_t, root) = project();
    let (_t2, elsewhere) = project();
    let views = root.join("app/views.py");
    let (mut c, _) = Client::start(&[&elsewhere], json!({}), Value::Null);
    c.open(&views, VIEWS);
    assert_eq!(codes(&c.diagnostics(&views)), ["TL101"]);
    assert_eq!(c.finish(), Some(0));
}

/// `exit` without `shutdown` ends the server with 1, as the protocol says.
#[test]
fn exit_without_shutdown() {
    let (_t, root) = project();
    let (mut c, _) = Client::start(&[&root], json!({}), Value::Null);
    c.notify("exit", Value::Null);
    let status = c.child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
}

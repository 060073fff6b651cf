//! `tasklint server`: tasklint as a language server (LSP over stdio), for editors.
//!
//! - One project per workspace folder (a document outside every folder is checked with
//!   the project around it, as `tasklint check FILE` does). Configuration and the list
//!   of files are found as `check` finds them (the search upward stops at the
//!   version-control root and never enters a folder anyone may write to) and kept until
//!   a configuration file or the set of files changes.
//! - Every check reads open documents from the editor's buffers and the rest from disk,
//!   and reports on the open documents only. The models of unchanged files are kept in
//!   memory ([`Memo`]): an edit parses only what changed, and the project index is
//!   rebuilt from the kept models (cheap next to parsing). A change to a task's
//!   definition thus updates the diagnostics of every open file that calls it.
//! - Nothing is written: no parse cache in the workspace, no file. Edits (fixes,
//!   suppression comments) go back to the editor, which applies them to its buffer.
//! - A panic while answering a request or checking is caught: the request gets an
//!   error, the message goes to stderr, and the server goes on serving.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use crossbeam_channel::TryRecvError;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::{self as lsp, Url};
use serde_json::{Value, json};

use crate::check::CheckOutput;
use crate::config::{self, ConfigChoice};
use crate::diagnostic::{Applicability, Diagnostic, Severity};
use crate::discover::{DiscoverOptions, Discovered, FoundFile};
use crate::knowledge::Knowledge;
use crate::pipeline::Memo;
use crate::settings::Settings;
use crate::source::SourceFile;

/// Files whose change means the configuration (or the set of files walked) changed.
const CONFIG_FILES: &[&str] = &[
    "tasklint.toml",
    "pyproject.toml",
    "setup.cfg",
    ".gitignore",
    ".ignore",
    "Cargo.toml",
];

/// How positions count columns: negotiated at initialization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Utf16,
}

/// Rules chosen by the client's initialization options, laid over the configuration's
/// as the command line's `--select`, `--extend-select` and `--ignore` are.
#[derive(Clone, Debug, Default)]
struct Selection {
    select: Option<Vec<String>>,
    extend_select: Vec<String>,
    ignore: Vec<String>,
}

fn codes(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        ),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
        ),
        _ => None,
    }
}

impl Selection {
    /// `{"select": [...], "extend-select": [...], "ignore": [...]}`, at the top of the
    /// options or under `settings` / `tasklint`; lists or comma-separated strings.
    fn from_options(options: Option<&Value>) -> Result<Selection, String> {
        let Some(mut o) = options else {
            return Ok(Selection::default());
        };
        for key in ["settings", "tasklint"] {
            if let Some(inner) = o.get(key).filter(|v| v.is_object()) {
                o = inner;
            }
        }
        let get = |names: &[&str]| names.iter().find_map(|n| o.get(*n)).and_then(codes);
        let sel = Selection {
            select: get(&["select"]),
            extend_select: get(&["extend-select", "extendSelect", "extend_select"])
                .unwrap_or_default(),
            ignore: get(&["ignore"]).unwrap_or_default(),
        };
        let all = sel.select.iter().flatten();
        for code in all.chain(&sel.extend_select).chain(&sel.ignore) {
            if !crate::catalogue::ALL
                .iter()
                .any(|r| crate::settings::selector_matches(code, r.code))
            {
                return Err(format!("initialization options: no rule matches `{code}`"));
            }
        }
        Ok(sel)
    }

    fn apply(&self, settings: &mut Settings) {
        if let Some(sel) = &self.select {
            settings.select = Some(sel.clone());
            settings.extend_select.clear();
            settings.ignore.clear();
        }
        settings
            .extend_select
            .extend(self.extend_select.iter().cloned());
        settings.ignore.extend(self.ignore.iter().cloned());
        // The server writes nothing into the workspace: its models stay in memory.
        settings.cache = false;
    }
}

struct Doc {
    path: PathBuf,
    text: String,
    version: i32,
}

/// What a root's configuration decides, kept until a configuration file or the set of
/// files changes.
struct Setup {
    settings: Settings,
    knowledge: Arc<Knowledge>,
    discovered: Discovered,
}

struct Root {
    /// A workspace folder, or (`loose`) a document outside every folder.
    target: PathBuf,
    loose: bool,
    setup: Option<Setup>,
    memo: Arc<Memo>,
    last: Option<CheckOutput>,
    dirty: bool,
}

impl Root {
    fn new(target: PathBuf, loose: bool) -> Root {
        Root {
            target,
            loose,
            setup: None,
            memo: Arc::new(Memo::default()),
            last: None,
            dirty: true,
        }
    }
}

struct Server {
    conn: Connection,
    encoding: Encoding,
    selection: Selection,
    roots: Vec<Root>,
    docs: HashMap<Url, Doc>,
    pool: rayon::ThreadPool,
    /// A check is due: it runs as soon as no message is waiting (edits that arrived
    /// together, or while the last check ran, make one check).
    due: bool,
    /// The last error shown for each root target (shown once, not at every keystroke).
    shown: HashMap<PathBuf, String>,
    /// What was last published for each open document (version, diagnostics): a check
    /// that changes nothing for a document publishes nothing for it.
    published: HashMap<Url, (Option<i32>, Vec<lsp::Diagnostic>)>,
}

/// Runs the server on stdin/stdout until the client says `exit` (or goes away).
pub fn run() -> Result<ExitCode> {
    let (conn, io) = Connection::stdio();
    let (id, params) = conn.initialize_start()?;
    let params: lsp::InitializeParams = serde_json::from_value(params)?;
    let utf8 = params
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref())
        .is_some_and(|e| e.contains(&lsp::PositionEncodingKind::UTF8));
    let encoding = if utf8 {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    };
    let selection = match Selection::from_options(params.initialization_options.as_ref()) {
        Ok(s) => s,
        Err(e) => {
            log(&e);
            Selection::default()
        }
    };
    let mut roots = Vec::new();
    #[allow(deprecated)] // root_uri: the only root a client without folders sends
    let folders: Vec<Url> = match (&params.workspace_folders, &params.root_uri) {
        (Some(f), _) if !f.is_empty() => f.iter().map(|f| f.uri.clone()).collect(),
        (_, Some(u)) => vec![u.clone()],
        _ => Vec::new(),
    };
    for u in folders {
        if let Ok(p) = u.to_file_path() {
            roots.push(Root::new(p, false));
        }
    }
    let watch = params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|w| w.did_change_watched_files.as_ref())
        .and_then(|d| d.dynamic_registration)
        .unwrap_or(false);
    let capabilities = lsp::ServerCapabilities {
        position_encoding: Some(if utf8 {
            lsp::PositionEncodingKind::UTF8
        } else {
            lsp::PositionEncodingKind::UTF16
        }),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
            lsp::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
                save: Some(lsp::TextDocumentSyncSaveOptions::SaveOptions(
                    lsp::SaveOptions {
                        include_text: Some(false),
                    },
                )),
                ..Default::default()
            },
        )),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
            lsp::CodeActionOptions {
                code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX]),
                ..Default::default()
            },
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        workspace: Some(lsp::WorkspaceServerCapabilities {
            workspace_folders: Some(lsp::WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(lsp::OneOf::Left(true)),
            }),
            file_operations: None,
        }),
        ..Default::default()
    };
    conn.initialize_finish(
        id,
        json!({
            "capabilities": capabilities,
            "serverInfo": {"name": "tasklint", "version": env!("CARGO_PKG_VERSION")},
        }),
    )?;
    let mut server = Server {
        conn,
        encoding,
        selection,
        roots,
        docs: HashMap::new(),
        pool: crate::check::pool(None)?,
        due: false,
        shown: HashMap::new(),
        published: HashMap::new(),
    };
    if watch {
        server.register_watchers();
    }
    let code = server.serve()?;
    drop(server);
    io.join()?;
    Ok(code)
}

fn log(message: &str) {
    eprintln!(
        "tasklint server: {}",
        crate::report::escape::text(message).trim_end()
    );
}

fn is_config_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| CONFIG_FILES.contains(&n))
}

impl Server {
    fn send(&self, message: Message) {
        // The client is gone when this fails: the main loop sees it next.
        let _ = self.conn.sender.send(message);
    }

    fn notify(&self, method: &str, params: impl serde::Serialize) {
        self.send(Message::Notification(Notification::new(
            method.to_string(),
            params,
        )));
    }

    fn register_watchers(&self) {
        let globs = [
            "**/*.py",
            "**/*.rs",
            "**/tasklint.toml",
            "**/pyproject.toml",
            "**/setup.cfg",
            "**/Cargo.toml",
            "**/.gitignore",
        ];
        let watchers: Vec<lsp::FileSystemWatcher> = globs
            .iter()
            .map(|g| lsp::FileSystemWatcher {
                glob_pattern: lsp::GlobPattern::String(g.to_string()),
                kind: None,
            })
            .collect();
        let registration = lsp::Registration {
            id: "tasklint-watched-files".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(lsp::DidChangeWatchedFilesRegistrationOptions {
                watchers,
            })
            .ok(),
        };
        self.send(Message::Request(Request::new(
            "tasklint/register".to_string().into(),
            "client/registerCapability".into(),
            lsp::RegistrationParams {
                registrations: vec![registration],
            },
        )));
    }

    /// The main loop: messages, and the check that is due once none is waiting.
    ///
    /// There is no timer: a check starts as soon as the messages that arrived have been
    /// taken in, so a one-line edit is answered in the time of one check, and keystrokes
    /// typed during a check are checked together by the next one.
    fn serve(&mut self) -> Result<ExitCode> {
        loop {
            let message = if self.due {
                match self.conn.receiver.try_recv() {
                    Ok(m) => Some(m),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => return Ok(ExitCode::from(1)),
                }
            } else {
                match self.conn.receiver.recv() {
                    Ok(m) => Some(m),
                    Err(_) => return Ok(ExitCode::from(1)),
                }
            };
            let Some(message) = message else {
                self.flush();
                continue;
            };
            match message {
                Message::Request(req) => {
                    if self.conn.handle_shutdown(&req)? {
                        return Ok(ExitCode::SUCCESS);
                    }
                    // Answers are about the text the client has now.
                    self.flush();
                    let id = req.id.clone();
                    let method = req.method.clone();
                    let response = match catch_unwind(AssertUnwindSafe(|| {
                        self.request(&method, req.params)
                    })) {
                        Ok(Ok(value)) => Response::new_ok(id, value),
                        Ok(Err((code, message))) => Response::new_err(id, code as i32, message),
                        Err(_) => {
                            log(&format!(
                                "`{method}` panicked (see above); the server goes on"
                            ));
                            Response::new_err(
                                id,
                                ErrorCode::InternalError as i32,
                                format!("tasklint panicked while answering `{method}`"),
                            )
                        }
                    };
                    self.send(Message::Response(response));
                }
                Message::Notification(n) => {
                    if n.method == "exit" {
                        // `exit` without `shutdown` first: the protocol's exit code 1.
                        return Ok(ExitCode::from(1));
                    }
                    let method = n.method.clone();
                    if catch_unwind(AssertUnwindSafe(|| self.notification(n))).is_err() {
                        log(&format!(
                            "`{method}` panicked (see above); the server goes on"
                        ));
                    }
                }
                Message::Response(_) => {}
            }
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Result<Value, (ErrorCode, String)> {
        fn parse<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, (ErrorCode, String)> {
            serde_json::from_value(v).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
        }
        match method {
            "textDocument/codeAction" => {
                let p: lsp::CodeActionParams = parse(params)?;
                Ok(serde_json::to_value(self.code_actions(&p)).unwrap_or(Value::Null))
            }
            "textDocument/hover" => {
                let p: lsp::HoverParams = parse(params)?;
                Ok(serde_json::to_value(self.hover(&p)).unwrap_or(Value::Null))
            }
            // A way for the tests to see a panic caught; not in release builds.
            "tasklint/debugPanic" if cfg!(debug_assertions) => {
                panic!("tasklint/debugPanic asked for a panic")
            }
            _ => Err((
                ErrorCode::MethodNotFound,
                format!("tasklint server does not handle `{method}`"),
            )),
        }
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            "textDocument/didOpen" => {
                let Ok(p) = serde_json::from_value::<lsp::DidOpenTextDocumentParams>(n.params)
                else {
                    return;
                };
                let Ok(path) = p.text_document.uri.to_file_path() else {
                    return;
                };
                if crate::discover::language_of(&path).is_none() {
                    return;
                }
                self.docs.insert(
                    p.text_document.uri,
                    Doc {
                        path: path.clone(),
                        text: p.text_document.text,
                        version: p.text_document.version,
                    },
                );
                self.touch(&path);
                self.flush();
            }
            "textDocument/didChange" => {
                let Ok(p) = serde_json::from_value::<lsp::DidChangeTextDocumentParams>(n.params)
                else {
                    return;
                };
                let encoding = self.encoding;
                let Some(doc) = self.docs.get_mut(&p.text_document.uri) else {
                    return;
                };
                for change in p.content_changes {
                    match change.range {
                        None => doc.text = change.text,
                        Some(r) => {
                            let start = offset_in(&doc.text, r.start, encoding);
                            let end = offset_in(&doc.text, r.end, encoding).max(start);
                            doc.text.replace_range(start..end, &change.text);
                        }
                    }
                }
                doc.version = p.text_document.version;
                let path = doc.path.clone();
                self.touch(&path);
                self.due = true;
            }
            "textDocument/didSave" => {
                let Ok(p) = serde_json::from_value::<lsp::DidSaveTextDocumentParams>(n.params)
                else {
                    return;
                };
                if let Ok(path) = p.text_document.uri.to_file_path() {
                    self.file_changed(&path, false);
                }
                self.flush();
            }
            "textDocument/didClose" => {
                let Ok(p) = serde_json::from_value::<lsp::DidCloseTextDocumentParams>(n.params)
                else {
                    return;
                };
                if let Some(doc) = self.docs.remove(&p.text_document.uri) {
                    self.published.remove(&p.text_document.uri);
                    self.publish(p.text_document.uri, Vec::new(), None);
                    // The file is read from disk again: unsaved edits are gone.
                    self.touch(&doc.path);
                    self.roots.retain(|r| !(r.loose && r.target == doc.path));
                    self.due = true;
                }
            }
            "workspace/didChangeWatchedFiles" => {
                let Ok(p) = serde_json::from_value::<lsp::DidChangeWatchedFilesParams>(n.params)
                else {
                    return;
                };
                for change in p.changes {
                    if let Ok(path) = change.uri.to_file_path() {
                        let created_or_deleted = change.typ != lsp::FileChangeType::CHANGED;
                        self.file_changed(&path, created_or_deleted);
                    }
                }
                self.due = true;
            }
            "workspace/didChangeConfiguration" => {
                // Clients that send their settings this way (Helix sends `config` both
                // at initialization and here): the same keys as the initialization
                // options. Anything else (no tasklint keys) leaves the selection alone.
                let settings = n.params.get("settings").cloned().unwrap_or(Value::Null);
                let has_keys = [
                    "select",
                    "extend-select",
                    "extendSelect",
                    "ignore",
                    "tasklint",
                ]
                .iter()
                .any(|k| {
                    settings.get(*k).is_some()
                        || settings.get("settings").and_then(|s| s.get(*k)).is_some()
                });
                if !has_keys {
                    return;
                }
                match Selection::from_options(Some(&settings)) {
                    Ok(selection) => {
                        self.selection = selection;
                        for r in &mut self.roots {
                            r.setup = None;
                            r.dirty = true;
                        }
                        self.flush();
                    }
                    Err(e) => log(&e),
                }
            }
            "workspace/didChangeWorkspaceFolders" => {
                let Ok(p) =
                    serde_json::from_value::<lsp::DidChangeWorkspaceFoldersParams>(n.params)
                else {
                    return;
                };
                for f in p.event.removed {
                    if let Ok(path) = f.uri.to_file_path() {
                        self.roots.retain(|r| r.loose || r.target != path);
                    }
                }
                for f in p.event.added {
                    if let Ok(path) = f.uri.to_file_path() {
                        self.roots.push(Root::new(path, false));
                    }
                }
                // Documents may now belong to another root.
                self.roots.retain(|r| !r.loose);
                for r in &mut self.roots {
                    r.dirty = true;
                }
                self.flush();
            }
            _ => {}
        }
    }

    /// A file changed on disk (saved, created, deleted, or changed by another program).
    fn file_changed(&mut self, path: &Path, created_or_deleted: bool) {
        if is_config_file(path) {
            // Configuration is read again, and the files walked again, everywhere.
            for r in &mut self.roots {
                r.setup = None;
                r.dirty = true;
            }
            return;
        }
        let source = crate::discover::language_of(path).is_some();
        for r in &mut self.roots {
            if path.starts_with(&r.target) || r.loose {
                // A source file the walk did not list (saved for the first time, and the
                // client does not watch files): walk again.
                let unknown = source
                    && r.setup
                        .as_ref()
                        .is_some_and(|s| !s.discovered.files.iter().any(|f| f.path == path));
                if created_or_deleted || unknown {
                    r.setup = None;
                }
                r.dirty = true;
            }
        }
    }

    /// Marks the root of `path` as needing a check.
    fn touch(&mut self, path: &Path) {
        let i = self.root_of(path);
        self.roots[i].dirty = true;
    }

    /// The root a document belongs to: the innermost workspace folder holding it, else
    /// a root of its own (created here).
    fn root_of(&mut self, path: &Path) -> usize {
        let folder = self
            .roots
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.loose && path.starts_with(&r.target))
            .max_by_key(|(_, r)| r.target.components().count())
            .map(|(i, _)| i);
        if let Some(i) = folder {
            return i;
        }
        if let Some(i) = self.roots.iter().position(|r| r.loose && r.target == path) {
            return i;
        }
        self.roots.push(Root::new(path.to_path_buf(), true));
        self.roots.len() - 1
    }

    /// Runs the checks that are due, and publishes their diagnostics.
    fn flush(&mut self) {
        self.due = false;
        // Every open document's root (a loose document's root is made here).
        let paths: Vec<PathBuf> = self.docs.values().map(|d| d.path.clone()).collect();
        for p in &paths {
            self.root_of(p);
        }
        for i in 0..self.roots.len() {
            if !self.roots[i].dirty {
                continue;
            }
            self.roots[i].dirty = false;
            let result = catch_unwind(AssertUnwindSafe(|| self.check_root(i)));
            let error = match result {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(format!("{e:#}")),
                Err(_) => {
                    // Start afresh next time: what was kept may be what panicked.
                    self.roots[i].setup = None;
                    self.roots[i].memo = Arc::new(Memo::default());
                    Some("the check panicked (see above); the server goes on".into())
                }
            };
            let target = self.roots[i].target.clone();
            match error {
                None => {
                    self.shown.remove(&target);
                    self.publish_root(i);
                }
                Some(e) => {
                    self.roots[i].last = None;
                    self.publish_root(i);
                    if self.shown.get(&target) != Some(&e) {
                        log(&format!("{}: {e}", target.display()));
                        self.notify(
                            "window/showMessage",
                            lsp::ShowMessageParams {
                                typ: lsp::MessageType::ERROR,
                                message: format!("tasklint: {e}"),
                            },
                        );
                        self.shown.insert(target, e);
                    }
                }
            }
        }
    }

    /// The open documents of root `i`: (uri, path).
    fn docs_of(&self, i: usize) -> Vec<(Url, PathBuf)> {
        let mut out = Vec::new();
        for (uri, d) in &self.docs {
            let mut s = Server::owner(&self.roots, &d.path);
            if s.is_none() {
                s = self
                    .roots
                    .iter()
                    .position(|r| r.loose && r.target == d.path);
            }
            if s == Some(i) {
                out.push((uri.clone(), d.path.clone()));
            }
        }
        out
    }

    /// The innermost workspace folder holding `path`.
    fn owner(roots: &[Root], path: &Path) -> Option<usize> {
        roots
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.loose && path.starts_with(&r.target))
            .max_by_key(|(_, r)| r.target.components().count())
            .map(|(i, _)| i)
    }

    fn check_root(&mut self, i: usize) -> Result<()> {
        let open = self.docs_of(i);
        if open.is_empty() {
            self.roots[i].last = None;
            return Ok(());
        }
        if self.roots[i].setup.is_none() {
            let r = &self.roots[i];
            self.roots[i].setup = Some(setup(&r.target, r.loose, &self.selection)?);
        }
        let root = &self.roots[i];
        let setup = root.setup.as_ref().expect("set above");
        let texts: HashMap<PathBuf, Vec<u8>> = open
            .iter()
            .filter_map(|(u, _)| self.docs.get(u))
            .map(|d| (d.path.clone(), d.text.as_bytes().to_vec()))
            .collect();
        let mut discovered = setup.discovered.clone();
        for f in &mut discovered.files {
            f.report = texts.contains_key(&f.path);
        }
        // A new buffer not saved yet is checked in its folder's project too.
        if !root.loose
            && let Some(base) = discovered.roots.first().map(|r| r.display.clone())
        {
            for p in texts.keys() {
                if p.exists() || discovered.files.iter().any(|f| &f.path == p) {
                    continue;
                }
                let (Some(language), Ok(relative)) =
                    (crate::discover::language_of(p), p.strip_prefix(&base))
                else {
                    continue;
                };
                discovered.files.push(FoundFile {
                    path: p.clone(),
                    display: crate::source::display_path(p),
                    root: 0,
                    relative: relative.to_path_buf(),
                    language,
                    report: true,
                });
            }
        }
        let verify = std::env::var_os("TASKLINT_SERVER_VERIFY").is_some();
        let again = verify.then(|| discovered.clone());
        let clock = Instant::now();
        root.memo.set_buffers(texts.keys().cloned());
        let read = |f: &FoundFile| match texts.get(&f.path) {
            Some(b) => Ok(b.clone()),
            None => crate::check::read_file(f),
        };
        let out = crate::check::check_in_pool(
            &self.pool,
            discovered,
            setup.settings.clone(),
            setup.knowledge.clone(),
            &read,
            Some(root.memo.clone()),
        );
        if std::env::var_os("TASKLINT_SERVER_TIMINGS").is_some() {
            eprintln!(
                "tasklint server: checked {} in {:?}\n{}",
                root.target.display(),
                clock.elapsed(),
                out.timings.render()
            );
        }
        if let Some(again) = again {
            // What was carried over from the last check must change nothing: the same
            // check from scratch, compared.
            let fresh = crate::check::check_in_pool(
                &self.pool,
                again,
                setup.settings.clone(),
                setup.knowledge.clone(),
                &read,
                None,
            );
            if fresh.diagnostics != out.diagnostics {
                eprintln!(
                    "tasklint server: VERIFY MISMATCH in {}: {} diagnostics carried, {} from scratch",
                    root.target.display(),
                    out.diagnostics.len(),
                    fresh.diagnostics.len()
                );
            } else {
                eprintln!(
                    "tasklint server: verified {} diagnostics",
                    out.diagnostics.len()
                );
            }
        }
        let old = self.roots[i].last.replace(out);
        // Freeing a project is many small deallocations: not on the answer's path.
        if let Some(old) = old {
            std::thread::spawn(move || drop(old));
        }
        Ok(())
    }

    fn publish(&self, uri: Url, diagnostics: Vec<lsp::Diagnostic>, version: Option<i32>) {
        self.notify(
            "textDocument/publishDiagnostics",
            lsp::PublishDiagnosticsParams {
                uri,
                diagnostics,
                version,
            },
        );
    }

    fn publish_root(&mut self, i: usize) {
        for (uri, path) in self.docs_of(i) {
            let version = self.docs.get(&uri).map(|d| d.version);
            let diagnostics = match &self.roots[i].last {
                None => Vec::new(),
                Some(out) => match file_id(out, &path) {
                    None => Vec::new(),
                    Some(f) => out
                        .diagnostics
                        .iter()
                        .filter(|d| d.file == f)
                        .map(|d| to_lsp(d, &out.project.files, self.encoding))
                        .collect(),
                },
            };
            let now = (version, diagnostics);
            if self.published.get(&uri) == Some(&now) {
                continue;
            }
            self.publish(uri.clone(), now.1.clone(), version);
            self.published.insert(uri, now);
        }
    }

    /// The last check's output and file id for a document.
    fn output_for(&mut self, uri: &Url) -> Option<(&CheckOutput, usize)> {
        let path = self.docs.get(uri)?.path.clone();
        let i = self.root_of(&path);
        let out = self.roots[i].last.as_ref()?;
        let f = file_id(out, &path)?;
        Some((out, f))
    }

    fn code_actions(&mut self, p: &lsp::CodeActionParams) -> Vec<lsp::CodeActionOrCommand> {
        let encoding = self.encoding;
        let uri = p.text_document.uri.clone();
        let Some((out, f)) = self.output_for(&uri) else {
            return Vec::new();
        };
        let files = &out.project.files;
        let file = &files[f];
        let start = offset_in(&file.text, p.range.start, encoding) as u32;
        let end = offset_in(&file.text, p.range.end, encoding) as u32;
        let mut actions = Vec::new();
        let mut suppressions = Vec::new();
        for d in out.diagnostics.iter().filter(|d| d.file == f) {
            if d.span.start > end || d.span.end < start {
                continue;
            }
            let diagnostic = to_lsp(d, files, encoding);
            if let Some(fix) = &d.fix {
                let safe = fix.applicability == Applicability::Safe;
                let edits = fix
                    .edits
                    .iter()
                    .map(|e| lsp::TextEdit {
                        range: lsp::Range::new(
                            position(file, e.span.start, encoding),
                            position(file, e.span.end, encoding),
                        ),
                        new_text: e.content.clone(),
                    })
                    .collect();
                actions.push(lsp::CodeAction {
                    title: format!(
                        "{}: {} ({} fix)",
                        d.code,
                        fix.message,
                        if safe { "safe" } else { "unsafe" }
                    ),
                    kind: Some(lsp::CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diagnostic.clone()]),
                    edit: Some(workspace_edit(&uri, edits)),
                    is_preferred: Some(safe),
                    ..Default::default()
                });
            }
            if let Some(edit) = suppression(d, files, encoding) {
                suppressions.push(lsp::CodeAction {
                    title: format!("Suppress {} on this line", d.code),
                    kind: Some(lsp::CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diagnostic]),
                    edit: Some(workspace_edit(&uri, vec![edit])),
                    ..Default::default()
                });
            }
        }
        actions
            .into_iter()
            .chain(suppressions)
            .map(lsp::CodeActionOrCommand::CodeAction)
            .collect()
    }

    fn hover(&mut self, p: &lsp::HoverParams) -> Option<lsp::Hover> {
        let encoding = self.encoding;
        let uri = p.text_document_position_params.text_document.uri.clone();
        let (out, f) = self.output_for(&uri)?;
        let file = &out.project.files[f];
        let at = offset_in(
            &file.text,
            p.text_document_position_params.position,
            encoding,
        ) as u32;
        let mut pages: Vec<&str> = Vec::new();
        let mut range = None;
        for d in out.diagnostics.iter().filter(|d| d.file == f) {
            if d.span.start <= at && at <= d.span.end.max(d.span.start + 1) {
                let Some(info) = crate::catalogue::find(d.code) else {
                    continue;
                };
                if !pages.contains(&info.doc) {
                    pages.push(info.doc);
                }
                range.get_or_insert_with(|| {
                    lsp::Range::new(
                        position(file, d.span.start, encoding),
                        position(file, d.span.end, encoding),
                    )
                });
            }
        }
        if pages.is_empty() {
            return None;
        }
        Some(lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value: pages.join("\n\n---\n\n"),
            }),
            range,
        })
    }
}

fn workspace_edit(uri: &Url, edits: Vec<lsp::TextEdit>) -> lsp::WorkspaceEdit {
    lsp::WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), edits)])),
        ..Default::default()
    }
}

/// Reads the configuration of a root and walks its files, as `tasklint check` does.
fn setup(target: &Path, loose: bool, selection: &Selection) -> Result<Setup> {
    let loaded = match config::find(&config::start_of(target))? {
        None => config::Loaded {
            settings: Settings::default(),
            file: None,
        },
        Some(f) => config::resolve(&ConfigChoice::File(f.path.clone()), Path::new("."))?,
    };
    let mut settings = loaded.settings;
    selection.apply(&mut settings);
    let s = selection.clone();
    let tree = Arc::new(config::tree::ConfigTree::new(Arc::new(
        move |x: &mut Settings| s.apply(x),
    )));
    let mut opts = DiscoverOptions::new(&settings)?;
    if loose {
        opts.stdin_path = Some(target.to_path_buf());
    }
    opts.tree = Some(tree.clone());
    let discovered = crate::discover::discover_with(&[target.to_path_buf()], &opts)?;
    let settings = tree.settings_for_run(settings, &discovered.reported_paths())?;
    let knowledge = Arc::new(config::knowledge_for(&settings)?);
    Ok(Setup {
        settings,
        knowledge,
        discovered,
    })
}

/// The reported file at `path` in a check's output.
fn file_id(out: &CheckOutput, path: &Path) -> Option<usize> {
    out.project
        .files
        .iter()
        .enumerate()
        .position(|(f, s)| out.project.report[f] && s.path == path)
}

/// An LSP position (0-based line, column in the negotiated unit) of a byte offset.
fn position(file: &SourceFile, offset: u32, encoding: Encoding) -> lsp::Position {
    let offset = file.clamp(offset);
    let line = file.line_index(offset);
    let start = file.line_start(line) as usize;
    let prefix = &file.text[start..offset as usize];
    let character = match encoding {
        Encoding::Utf8 => prefix.len(),
        Encoding::Utf16 => prefix.encode_utf16().count(),
    };
    lsp::Position::new(line as u32, character as u32)
}

/// The byte offset of an LSP position in `text` (a position past a line's end is its
/// end; past the last line, the end of the text).
fn offset_in(text: &str, pos: lsp::Position, encoding: Encoding) -> usize {
    let mut start = 0usize;
    for _ in 0..pos.line {
        match memchr::memchr(b'\n', &text.as_bytes()[start..]) {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let mut units = 0usize;
    for (i, c) in text[start..].char_indices() {
        if units >= pos.character as usize || c == '\n' || c == '\r' {
            return start + i;
        }
        units += match encoding {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
        };
    }
    text.len()
}

/// A finding as an LSP diagnostic.
fn to_lsp(d: &Diagnostic, files: &[SourceFile], encoding: Encoding) -> lsp::Diagnostic {
    let file = &files[d.file];
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    for note in &d.notes {
        message.push_str("\nnote: ");
        message.push_str(note);
    }
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|r| {
            let other = &files[r.file];
            let uri = Url::from_file_path(crate::paths::absolute(&other.path)).ok()?;
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location {
                    uri,
                    range: lsp::Range::new(
                        position(other, r.span.start, encoding),
                        position(other, r.span.end, encoding),
                    ),
                },
                message: r.message.clone(),
            })
        })
        .collect();
    lsp::Diagnostic {
        range: lsp::Range::new(
            position(file, d.span.start, encoding),
            position(file, d.span.end, encoding),
        ),
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        }),
        code: Some(lsp::NumberOrString::String(d.code.to_string())),
        code_description: Url::parse(&crate::report::rule_url(d.code))
            .ok()
            .map(|href| lsp::CodeDescription { href }),
        source: Some("tasklint".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

/// The edit that puts a suppression comment for `d` on its line (`--add-noqa`'s
/// comment), as one replacement of the part of the file that changes.
fn suppression(d: &Diagnostic, files: &[SourceFile], encoding: Encoding) -> Option<lsp::TextEdit> {
    let plan = crate::noqa::plan(std::slice::from_ref(d), files);
    let edited = plan.edited.into_iter().find(|e| e.file == d.file)?;
    let file = &files[d.file];
    let old = &*file.text;
    let new = edited.text.as_str();
    let mut prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let mut suffix = old[prefix..]
        .bytes()
        .rev()
        .zip(new[prefix..].bytes().rev())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    Some(lsp::TextEdit {
        range: lsp::Range::new(
            position(file, prefix as u32, encoding),
            position(file, (old.len() - suffix) as u32, encoding),
        ),
        new_text: new[prefix..new.len() - suffix].to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_or_bytes() {
        let text = "x = 'é😀'\ny = 1\n";
        let file = SourceFile::new("a.py".into(), "a.py".into(), text.into());
        let y = text.find('y').unwrap() as u32;
        assert_eq!(
            position(&file, y, Encoding::Utf16),
            lsp::Position::new(1, 0)
        );
        let end = text.find("'\n").unwrap() as u32;
        // `é` is 1 UTF-16 unit and 2 bytes; `😀` 2 units and 4 bytes.
        assert_eq!(
            position(&file, end, Encoding::Utf16),
            lsp::Position::new(0, 8)
        );
        assert_eq!(
            position(&file, end, Encoding::Utf8),
            lsp::Position::new(0, 11)
        );
        for enc in [Encoding::Utf8, Encoding::Utf16] {
            let p = position(&file, end, enc);
            assert_eq!(offset_in(text, p, enc), end as usize);
        }
        // Past the end of a line: the line's end; past the last line: the text's end.
        assert_eq!(
            offset_in(text, lsp::Position::new(1, 99), Encoding::Utf16),
            text.len() - 1
        );
        assert_eq!(
            offset_in(text, lsp::Position::new(9, 0), Encoding::Utf16),
            text.len()
        );
    }

    #[test]
    fn selection_reads_lists_and_strings_and_refuses_unknown_codes() {
        let s = Selection::from_options(Some(&json!({
            "select": "TL1, TL3", "extend-select": ["TL305"], "ignore": ["TL103"]
        })))
        .unwrap();
        assert_eq!(s.select, Some(vec!["TL1".to_string(), "TL3".to_string()]));
        assert_eq!(s.extend_select, vec!["TL305".to_string()]);
        assert_eq!(s.ignore, vec!["TL103".to_string()]);
        let nested =
            Selection::from_options(Some(&json!({"settings": {"ignore": ["TL101"]}}))).unwrap();
        assert_eq!(nested.ignore, vec!["TL101".to_string()]);
        assert!(Selection::from_options(Some(&json!({"select": ["XX9"]}))).is_err());
    }
}

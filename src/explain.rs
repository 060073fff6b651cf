//! `tasklint explain [PATH[:LINE]]`: what tasklint recognised (tasks, request handlers,
//! wrappers), and for one line, which handler or task reaches it — or why none does, and
//! what each call on the line resolves to. The answer to "why no finding here?".

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde_json::{Value as Json, json};

use crate::check::{self, Options};
use crate::config::{self, ConfigChoice};
use crate::diagnostic::Diagnostic;
use crate::index::callgraph::Edge;
use crate::index::rust::WrapperKind;
use crate::index::{CallRef, ClassRef, FuncRef, Project, Value};
use crate::model::ScopeKind;
use crate::source::FileId;

/// How far back `explain` looks for a handler or task that calls a function: past
/// `max-call-depth`, so that it can say a handler is there, but too deep.
const SEARCH_DEPTH: usize = 16;

pub struct Request {
    /// A file or folder, and optionally a 1-based line of a file.
    pub path: PathBuf,
    pub line: Option<u32>,
    pub config: ConfigChoice,
    pub max_call_depth: Option<usize>,
    pub json: bool,
}

/// Splits `PATH:LINE` (when the part after the last `:` is a number and the whole is not
/// an existing path).
pub fn parse_target(target: &str) -> (PathBuf, Option<u32>) {
    if !Path::new(target).exists()
        && let Some((path, line)) = target.rsplit_once(':')
        && let Ok(n) = line.parse::<u32>()
        && !path.is_empty()
    {
        return (PathBuf::from(path), Some(n));
    }
    (PathBuf::from(target), None)
}

pub fn run(req: Request, out: &mut dyn Write) -> Result<()> {
    if !req.path.exists() {
        bail!("path `{}` does not exist", req.path.display());
    }
    if req.line.is_some() && !req.path.is_file() {
        bail!(
            "`{}:{}`: a line number needs a file, not a folder",
            req.path.display(),
            req.line.unwrap_or(0)
        );
    }
    let loaded = config::resolve(&req.config, &config::start_of(&req.path))?;
    let mut settings = loaded.settings;
    if let Some(d) = req.max_call_depth {
        settings.max_call_depth = d;
    }
    let knowledge = config::knowledge_for(&settings)?;
    let output = check::check(Options {
        paths: vec![req.path.clone()],
        settings,
        knowledge,
        threads: None,
    })?;
    let project = &output.project;
    let mut report = Report::new(project, &output.diagnostics);
    if let Some(line) = req.line {
        let file = (0..project.files.len())
            .find(|f| project.report[*f])
            .filter(|_| project.report.iter().filter(|r| **r).count() == 1);
        match file {
            Some(file) => {
                let lines = project.files[file].line_count() as u32;
                if line == 0 || line > lines {
                    bail!(
                        "`{}` has {lines} line{}: there is no line {line}",
                        req.path.display(),
                        plural(lines as usize)
                    );
                }
                report.line = Some(explain_line(project, &output.diagnostics, file, line))
            }
            None => bail!(
                "`{}` is not a file tasklint checks (a Python or Rust source file)",
                req.path.display()
            ),
        }
    }
    if req.json {
        serde_json::to_writer_pretty(&mut *out, &report.to_json())?;
        writeln!(out)?;
    } else {
        report.write_text(out)?;
    }
    Ok(())
}

/// Something recognised, with where it is.
struct Item {
    name: String,
    kind: String,
    path: String,
    line: u32,
    /// Extra facts: a handler's registration, a task's wrapping decorator.
    detail: Option<String>,
}

impl Item {
    fn json(&self) -> Json {
        json!({"name": self.name, "kind": self.kind, "path": self.path, "line": self.line,
               "detail": self.detail})
    }
}

struct Report {
    files: usize,
    in_scope: usize,
    tasks: Vec<Item>,
    handlers: Vec<Item>,
    wrappers: Vec<Item>,
    line: Option<LineReport>,
}

fn position(project: &Project, f: FuncRef) -> (String, u32) {
    let file = &project.files[f.file];
    let scope = project.scope(f);
    (
        file.display.clone(),
        file.position(scope.name_span.start).line,
    )
}

fn at(project: &Project, file: FileId, offset: u32) -> String {
    let f = &project.files[file];
    format!("{}:{}", f.display, f.position(offset).line)
}

impl Report {
    fn new(project: &Project, _diagnostics: &[Diagnostic]) -> Report {
        let shown = |f: FuncRef| project.report[f.file];
        let mut tasks: Vec<Item> = project
            .tasks
            .iter()
            .filter(|t| shown(t.func))
            .map(|t| {
                let (path, line) = position(project, t.func);
                let fw = &project.knowledge.frameworks[t.framework];
                let detail = t.wrapped_by.map(|d| {
                    let scope = project.scope(t.func);
                    let text = project.files[t.func.file].slice(scope.decorators[d].span);
                    format!("wrapped by the project decorator `{text}`")
                });
                Item {
                    name: project.qualname(t.func),
                    kind: format!("{} task", fw.name),
                    path,
                    line,
                    detail,
                }
            })
            .collect();
        for (f, name) in &project.rust.celery_tasks {
            if shown(*f) {
                let (path, line) = position(project, *f);
                tasks.push(Item {
                    name: name.clone(),
                    kind: "rusty-celery task".into(),
                    path,
                    line,
                    detail: None,
                });
            }
        }
        let handlers: Vec<Item> = project
            .handlers
            .iter()
            .filter(|h| shown(h.func))
            .map(|h| {
                let (path, line) = position(project, h.func);
                let name = project.display_name(h.func);
                let mut detail = vec![h.note(&name)];
                if let Some((file, span)) = h.registered_at
                    && (file != h.func.file || h.kind.contains("view"))
                {
                    detail.push(format!("registered at {}", at(project, file, span.start)));
                }
                Item {
                    name: project.qualname(h.func),
                    kind: h.kind.clone(),
                    path,
                    line,
                    detail: Some(detail.join("; ")),
                }
            })
            .collect();
        let mut wrappers: Vec<Item> = project
            .rust
            .wrappers
            .iter()
            .filter(|(f, _)| shown(**f))
            .map(|(f, kind)| {
                let (path, line) = position(project, *f);
                Item {
                    name: project.qualname(*f),
                    kind: match kind {
                        WrapperKind::Offload => {
                            "offload wrapper: runs its closure on a blocking thread".into()
                        }
                        WrapperKind::Detach => {
                            "spawn wrapper: spawns its future and drops the handle".into()
                        }
                    },
                    path,
                    line,
                    detail: None,
                }
            })
            .collect();
        // Project functions the configuration or the knowledge names as task decorators
        // (a project's own wrapper around `shared_task`).
        for fw in &project.knowledge.frameworks {
            for p in &fw.decorators {
                if p.prefix || !p.steps.is_empty() {
                    continue;
                }
                if let Some((module, name)) = p.root.rsplit_once('.')
                    && let Some(file) = project.modules.file(module)
                    && project.report[file]
                    && let Value::Function(f) = project.module_member(file, name, 0)
                {
                    let (path, line) = position(project, f);
                    wrappers.push(Item {
                        name: project.qualname(f),
                        kind: format!("task decorator: what it decorates is a {} task", fw.name),
                        path,
                        line,
                        detail: None,
                    });
                }
            }
        }
        let by_place =
            |a: &Item, b: &Item| (&a.path, a.line, &a.name).cmp(&(&b.path, b.line, &b.name));
        tasks.sort_by(by_place);
        wrappers.sort_by(by_place);
        let mut handlers = handlers;
        handlers.sort_by(by_place);
        Report {
            files: project.files.len(),
            in_scope: project.report.iter().filter(|r| **r).count(),
            tasks,
            handlers,
            wrappers,
            line: None,
        }
    }

    fn to_json(&self) -> Json {
        json!({
            "version": 1,
            "tool": {"name": "tasklint", "version": env!("CARGO_PKG_VERSION")},
            "files": {"read": self.files, "explained": self.in_scope},
            "tasks": self.tasks.iter().map(Item::json).collect::<Vec<_>>(),
            "handlers": self.handlers.iter().map(Item::json).collect::<Vec<_>>(),
            "wrappers": self.wrappers.iter().map(Item::json).collect::<Vec<_>>(),
            "line": self.line.as_ref().map(LineReport::to_json),
        })
    }

    fn write_text(&self, w: &mut dyn Write) -> Result<()> {
        if let Some(l) = &self.line {
            l.write_text(w)?;
            return Ok(());
        }
        writeln!(
            w,
            "{} file{} explained ({} read in all)",
            self.in_scope,
            plural(self.in_scope),
            self.files
        )?;
        for (title, items) in [
            ("tasks", &self.tasks),
            ("request handlers", &self.handlers),
            ("wrappers", &self.wrappers),
        ] {
            writeln!(w, "\n{title}: {}", items.len())?;
            for i in items {
                writeln!(w, "  {}:{}  {}  [{}]", i.path, i.line, i.name, i.kind)?;
                if let Some(d) = &i.detail {
                    writeln!(w, "      {d}")?;
                }
            }
        }
        Ok(())
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// One call on the explained line.
struct CallFacts {
    text: String,
    resolves_to: String,
    /// What tasklint makes of it: a slow call (and whether it counts here), a task, ...
    verdict: String,
}

struct LineReport {
    path: String,
    line: u32,
    source: String,
    /// `module.function`, or where the line is when it is in no function.
    function: Option<String>,
    /// What the function is and what reaches it, in order.
    facts: Vec<String>,
    calls: Vec<CallFacts>,
    findings: Vec<String>,
}

impl LineReport {
    fn to_json(&self) -> Json {
        json!({
            "path": self.path,
            "line": self.line,
            "source": self.source,
            "function": self.function,
            "facts": self.facts,
            "calls": self.calls.iter().map(|c| json!({
                "text": c.text, "resolves_to": c.resolves_to, "verdict": c.verdict,
            })).collect::<Vec<_>>(),
            "findings": self.findings,
        })
    }

    fn write_text(&self, w: &mut dyn Write) -> Result<()> {
        writeln!(w, "{}:{}: {}", self.path, self.line, self.source.trim())?;
        match &self.function {
            Some(f) => writeln!(w, "  in `{f}`")?,
            None => writeln!(w, "  at module level")?,
        }
        for f in &self.facts {
            writeln!(w, "  - {f}")?;
        }
        if !self.calls.is_empty() {
            writeln!(w, "  calls on this line:")?;
            for c in &self.calls {
                writeln!(w, "  - `{}`: {}", c.text, c.resolves_to)?;
                writeln!(w, "      {}", c.verdict)?;
            }
        }
        if self.findings.is_empty() {
            writeln!(w, "  findings on this line: none")?;
        } else {
            writeln!(w, "  findings on this line:")?;
            for f in &self.findings {
                writeln!(w, "  - {f}")?;
            }
        }
        Ok(())
    }
}

fn explain_line(
    project: &Project,
    diagnostics: &[Diagnostic],
    file: FileId,
    line: u32,
) -> LineReport {
    let src = &project.files[file];
    let model = &project.models[file];
    let text = src.line_text(line as usize - 1).to_string();
    let start = src.line_start(line as usize - 1);
    // The first non-blank character: a decorated function's span starts at its decorator.
    let offset = start + (text.len() - text.trim_start().len()) as u32;
    let end = start + text.len() as u32;
    let mut report = LineReport {
        path: src.display.clone(),
        line,
        source: text.clone(),
        function: None,
        facts: Vec::new(),
        calls: Vec::new(),
        findings: Vec::new(),
    };
    // The innermost function (or lambda, or class body) around the line.
    let innermost = model
        .scopes
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            s.kind != ScopeKind::Module
                && s.span.start <= offset
                && offset < s.span.end.max(s.span.start + 1)
        })
        .min_by_key(|(_, s)| s.span.end - s.span.start)
        .map(|(i, _)| i);
    let func = innermost.map(|i| FuncRef {
        file,
        scope: model.enclosing_function(i),
    });
    match func.filter(|f| project.scope(*f).kind == ScopeKind::Function) {
        Some(f) => {
            report.function = Some(project.qualname(f));
            describe_function(project, f, &mut report.facts);
        }
        None => report.facts.push(
            match project.models.language(file) {
                crate::model::Language::Rust => {
                    "outside any function (an item, a `static` or `const`): in no request handler and no task"
                }
                _ => {
                    "runs once, when the module (or class body) is imported: in no request handler and no task"
                }
            }
            .into(),
        ),
    }
    if let Some(i) = innermost
        && model.scopes[i].kind == ScopeKind::Lambda
    {
        let call = model.calls.iter().position(|c| c.scope == i);
        let offloaded =
            call.is_some_and(|c| project.call_owner(CallRef { file, call: c }).is_none());
        if offloaded {
            report.facts.push(
                "inside a lambda handed to a thread or an executor: it does not run in the caller's request"
                    .into(),
            );
        }
    }
    // The calls that start on this line, in source order.
    let mut calls: Vec<usize> = (0..model.calls.len())
        .filter(|c| {
            let s = model.calls[*c].span.start;
            s >= start && s <= end
        })
        .collect();
    calls.sort_by_key(|c| model.calls[*c].span.start);
    let context = match func {
        Some(f) if project.tasks.get(f).is_some() => Context::Task,
        Some(f) => match project.reach.get(f) {
            Some(r) => Context::Reached {
                handler: r.handler,
                first: r.path.first().map(|e| e.call),
            },
            None => Context::NotReached,
        },
        None => Context::NotReached,
    };
    for c in calls {
        let call = CallRef { file, call: c };
        report.calls.push(call_facts(project, call, &context));
    }
    for d in diagnostics.iter().filter(|d| d.file == file) {
        if src.position(d.span.start).line == line {
            report
                .findings
                .push(format!("{} {}: {}", d.code, d.name, d.message));
        }
    }
    if report.findings.is_empty() {
        // Reported before suppressions, quiet after: say which comment silenced it.
        for d in crate::rules::run(project) {
            if d.file == file && src.position(d.span.start).line == line {
                report.findings.push(format!(
                    "{} {}: {} (suppressed by a comment or per-file-ignores)",
                    d.code, d.name, d.message
                ));
            }
        }
    }
    report
}

/// What a function is (handler, task, test, async) and what reaches it.
fn describe_function(project: &Project, f: FuncRef, facts: &mut Vec<String>) {
    let name = project.display_name(f);
    let scope = project.scope(f);
    if project.is_test_function(f) {
        facts.push(
            "test code: tasklint reports nothing about how tests call tasks or slow calls".into(),
        );
    }
    if scope.is_async {
        let rust = project.models.language(f.file) == crate::model::Language::Rust;
        let keyword = if rust { "async fn" } else { "async def" };
        if !rust && project.runs_outside_requests(f) {
            facts.push(format!(
                "`{keyword}`: `{name}` runs only from command-line or start-up code (and what only it calls), where no other request waits on the loop: TL302 stays quiet"
            ));
        } else {
            facts.push(format!(
                "`{keyword}`: TL302 reports blocking calls in `{name}` whether or not a request handler reaches it"
            ));
        }
    }
    if let Some(t) = project.tasks.get(f) {
        let fw = &project.knowledge.frameworks[t.framework];
        facts.push(format!(
            "`{name}` is a {} task: its body runs on a worker, so slow calls in it are fine; a direct call of it from a request is reported at that call (TL101)",
            fw.name
        ));
        return;
    }
    if let Some(class) = scope.class
        && crate::index::handlers::worker_consumers(project).contains(&ClassRef {
            file: f.file,
            class,
        })
    {
        facts.push(format!(
            "`{}` is a background worker: a worker router (`ChannelNameRouter`) names it, and `runworker` runs it in a process of its own, so its methods are no request handlers",
            project.models[f.file].classes[class].name
        ));
        return;
    }
    if let Some(h) = project.handlers.get(f) {
        let how = if scope.is_async {
            h.async_note(&name)
        } else {
            h.note(&name)
        };
        match &h.note {
            // The default note already names the kind.
            None => facts.push(how),
            Some(_) => facts.push(format!("{how} (recognised as: {})", h.kind)),
        }
        return;
    }
    let depth = project.settings.max_call_depth;
    if let Some(r) = project.reach.get(f) {
        let h = project.handlers.get(r.handler);
        let kind = h.map(|h| h.kind.as_str()).unwrap_or("request handler");
        facts.push(format!(
            "reached from the request handler `{}` ({kind}): {}",
            project.display_name(r.handler),
            chain(project, r.handler, &r.path)
        ));
        return;
    }
    // Nothing within max-call-depth: look further back, to say why.
    let callers = callers(project);
    let found = search_back(project, &callers, f);
    match found {
        Back::Handler(h, path) if path.len() > depth => facts.push(format!(
            "the request handler `{}` reaches it only through {} calls ({}), beyond max-call-depth ({depth}): raise it with `--max-call-depth {}` or `max-call-depth` in the configuration",
            project.display_name(h),
            path.len(),
            chain(project, h, &path),
            path.len()
        )),
        Back::Handler(h, path) => facts.push(format!(
            "the request handler `{}` calls it ({}), but not on a path tasklint follows",
            project.display_name(h),
            chain(project, h, &path),
        )),
        Back::ThroughTask(t, path) => facts.push(format!(
            "reached only through the task `{}` ({}): it runs on a worker, not in a request",
            project.display_name(t),
            chain(project, t, &path)
        )),
        Back::Callers(names) => facts.push(format!(
            "no request handler reaches it: it is called from {}, which no handler reaches (as far as tasklint can resolve the calls)",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Back::Nothing => facts.push(format!(
            "no request handler reaches it: no call tasklint can resolve goes to `{name}` (calls through values it cannot resolve, a registry or `getattr`, are unknown, and unknown never makes a finding)"
        )),
    }
}

fn chain(project: &Project, start: FuncRef, path: &[Edge]) -> String {
    let mut parts = vec![project.display_name(start)];
    parts.extend(path.iter().map(|e| project.display_name(e.target)));
    parts.join(" → ")
}

/// Every call edge, reversed: the callers of each function.
fn callers(project: &Project) -> HashMap<FuncRef, Vec<Edge>> {
    let mut out: HashMap<FuncRef, Vec<Edge>> = HashMap::new();
    for (file, model) in project.models.loaded() {
        for (scope, _) in model.functions() {
            let f = FuncRef { file, scope };
            for e in project.graph.edges(f) {
                out.entry(e.target).or_default().push(Edge {
                    call: e.call,
                    target: f,
                });
            }
        }
    }
    for v in out.values_mut() {
        v.sort_by_key(|e| (e.target, e.call.call));
    }
    out
}

enum Back {
    /// A handler, and the path from it down to the function.
    Handler(FuncRef, Vec<Edge>),
    ThroughTask(FuncRef, Vec<Edge>),
    /// The nearest callers, none reached.
    Callers(Vec<String>),
    Nothing,
}

/// Breadth-first up the callers of `f` for a handler (nearest first), else a task.
fn search_back(project: &Project, callers: &HashMap<FuncRef, Vec<Edge>>, f: FuncRef) -> Back {
    // (function, the edges from it down to `f`)
    let mut queue: VecDeque<(FuncRef, Vec<Edge>)> = VecDeque::from([(f, Vec::new())]);
    let mut seen: HashSet<FuncRef> = HashSet::from([f]);
    let mut task: Option<(FuncRef, Vec<Edge>)> = None;
    while let Some((g, down)) = queue.pop_front() {
        if g != f && project.handlers.get(g).is_some() {
            return Back::Handler(g, down);
        }
        // A task's body runs on a worker: what calls the task does not run this.
        if g != f && project.tasks.get(g).is_some() {
            if task.is_none() {
                task = Some((g, down.clone()));
            }
            continue;
        }
        if down.len() >= SEARCH_DEPTH {
            continue;
        }
        for e in callers.get(&g).map(Vec::as_slice).unwrap_or(&[]) {
            if seen.insert(e.target) {
                let mut p = vec![Edge {
                    call: e.call,
                    target: g,
                }];
                p.extend(down.iter().copied());
                queue.push_back((e.target, p));
            }
        }
    }
    if let Some((t, p)) = task {
        return Back::ThroughTask(t, p);
    }
    let direct: Vec<String> = callers
        .get(&f)
        .map(|v| {
            let mut names: Vec<String> = v.iter().map(|e| project.display_name(e.target)).collect();
            names.dedup();
            names
        })
        .unwrap_or_default();
    if direct.is_empty() {
        Back::Nothing
    } else {
        Back::Callers(direct)
    }
}

/// Where the explained line's function runs.
enum Context {
    Task,
    /// A handler reaches it; `first` is the handler's own call that starts the chain.
    Reached {
        handler: FuncRef,
        first: Option<CallRef>,
    },
    NotReached,
}

/// What a call resolves to, and what tasklint makes of it here.
fn call_facts(project: &Project, call: CallRef, context: &Context) -> CallFacts {
    let c = project.call(call);
    let text = crate::rules::context::abbreviate(project.files[call.file].slice(c.callee.span), 60);
    let value = project.callee(call);
    let resolves_to = describe_value(project, value);
    let owner = project.call_owner(call);
    let in_async = owner.is_some_and(|f| project.scope(f).is_async);
    let verdict = if let Some(slow) = crate::rules::slow_calls::slow_call(project, call, true) {
        let e = slow.entry;
        let here = if owner.is_none() {
            "but it does not run in a request here (module level, or handed to a thread)"
                .to_string()
        } else if in_async {
            if c.awaited {
                "but it is awaited, so it is not blocking".to_string()
            } else {
                "and it is inside `async def`: TL302".to_string()
            }
        } else if e.async_only {
            "but it only blocks an event loop: fine in sync code".to_string()
        } else {
            match context {
                Context::Task => "but it runs in a task's body, on a worker".to_string(),
                Context::NotReached => {
                    "but no request handler reaches this function (see above)".to_string()
                }
                Context::Reached { first: None, .. } => {
                    "and it is in a request handler: TL301".to_string()
                }
                Context::Reached { first: Some(_), .. }
                    if let Some(n) =
                        crate::rules::tl301_slow_call_in_handler::shared_by(project, call) =>
                {
                    format!(
                        "and {n} request handlers reach this function: TL301 reports it here, once for them all"
                    )
                }
                Context::Reached {
                    handler,
                    first: Some(first),
                } => format!(
                    "and a request handler reaches this function: TL301 reports it at `{}`'s own call that leads here ({})",
                    project.display_name(*handler),
                    at(project, first.file, project.call(*first).span.start)
                ),
            }
        };
        format!(
            "a slow call ({}, {}): {}, {here}",
            e.category,
            e.severity.as_str(),
            e.why
        )
    } else if let Some((q, value)) = crate::rules::slow_calls::quieted_call(project, call) {
        format!(
            "a slow call of the catalogue, but {} (`{} = \"{value}\"`): not reported",
            q.why, q.setting
        )
    } else if let Some(q) = crate::rules::enqueue::enqueue(project, call) {
        let what = match q.task {
            Some(t) => format!("the task `{}`", project.display_name(t)),
            None => "a task".to_string(),
        };
        format!(
            "enqueues {what} ({}){}: a worker runs it; TL401 checks the transaction around the call, TL104 and TL402 its arguments",
            q.queue,
            if q.deferred {
                ", once the transaction commits"
            } else {
                ""
            }
        )
    } else if let Some(task) = project.call_target(call).and_then(|t| project.tasks.get(t)) {
        let fw = &project.knowledge.frameworks[task.framework];
        let launcher =
            crate::rules::tl101_task_called_directly::hands_its_work_on(project, task.func);
        format!(
            "a direct call of the {} task `{}` (see TL101){}",
            fw.name,
            project.display_name(task.func),
            if launcher {
                ": the task hands all its work to other tasks, so calling it only starts them (not reported)"
            } else {
                ""
            }
        )
    } else if let Some(t) = project
        .call_target(call)
        .filter(|t| project.runs_elsewhere_when_called(*t))
    {
        format!(
            "the project function `{}`, which its decorator runs on a thread or an executor: the call starts it and returns, so tasklint does not follow it",
            project.display_name(t)
        )
    } else if let Some(t) = project.call_target(call) {
        format!(
            "a project function: tasklint follows it (up to max-call-depth {})",
            project.settings.max_call_depth
        ) + if project.scope(t).is_async {
            ", a coroutine function"
        } else {
            ""
        }
    } else if value.is_unknown() {
        "unknown: tasklint cannot tell what this is (a parameter without an annotation, an attribute it cannot follow, ...), so it reports nothing about it".to_string()
    } else {
        "not in the slow-call catalogue, not a task: nothing to report".to_string()
    };
    // A hook the class leaves to its subclasses: what runs is their overrides.
    let overrides = project.overrides_run_by(call);
    let verdict = if overrides.is_empty() {
        verdict
    } else {
        let runs = format!(
            "the class leaves it to its subclasses, so it runs their overrides: {}",
            function_names(project, &overrides)
        );
        if project.call_target(call).is_some() {
            format!("{verdict}; {runs}")
        } else {
            format!(
                "{runs}; tasklint follows them (up to max-call-depth {})",
                project.settings.max_call_depth
            )
        }
    };
    // One of several values (a dispatch table's entry, a conditional expression): any
    // of them may run.
    let alternatives = project.alternatives_run_by(call);
    let verdict = if alternatives.is_empty() {
        verdict
    } else {
        format!(
            "one of several project values (a dispatch table's entry, or a conditional expression), so it may run any of {}; tasklint follows them (up to max-call-depth {})",
            function_names(project, &alternatives),
            project.settings.max_call_depth
        )
    };
    CallFacts {
        text,
        resolves_to,
        verdict,
    }
}

/// Functions by their display names, in backquotes, comma-separated.
fn function_names(project: &Project, functions: &[FuncRef]) -> String {
    let names: Vec<String> = functions
        .iter()
        .map(|f| format!("`{}`", project.display_name(*f)))
        .collect();
    names.join(", ")
}

/// A resolved value in words.
fn describe_value(project: &Project, v: &Value) -> String {
    match v {
        Value::Unknown => "unknown".into(),
        Value::Module(f) => format!(
            "the project module `{}`",
            project.modules.name_of(*f).unwrap_or("?")
        ),
        Value::Package(p) => format!("the project package `{p}`"),
        Value::External(p) => format!("`{p}`"),
        Value::Function(f) => format!("the project function `{}`", project.qualname(*f)),
        Value::Class(c) => format!("the project class `{}`", project.class_qualname(*c)),
        Value::Instance(c) => format!("an instance of `{}`", project.class_qualname(*c)),
        Value::Returned(inner) => {
            format!("what calling {} returns", describe_value(project, inner))
        }
        Value::Attr(inner, name) => format!("`.{name}` of {}", describe_value(project, inner)),
        Value::Iterated(inner) => format!("an element of {}", describe_value(project, inner)),
        Value::Subscripted(inner) => format!("an item of {}", describe_value(project, inner)),
        Value::OneOf(values) => {
            let each: Vec<String> = values.iter().map(|v| describe_value(project, v)).collect();
            format!("one of {}", each.join(", "))
        }
    }
}

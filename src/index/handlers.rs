//! Request handlers: the functions a web framework calls for each request.
//!
//! Found five ways, all driven by `rules/python/handlers.toml`:
//! - views named in Django URLconfs (`path(route, view)`, `re_path`, `url`; every
//!   URLconf module of the project is read, so `include("app.urls")` targets are covered,
//!   and so are the views a `ModelAdmin.get_urls` returns);
//! - methods of classes deriving (directly or through project classes) from a known base
//!   (`View`, `APIView`, viewsets, `ModelAdmin`, consumers, resources...), plus `@action`
//!   methods and the methods a class attribute names (`actions = [...]`); a class with
//!   bases of several frameworks gets every framework's methods;
//! - functions carrying a route decorator (`@api_view`, Flask/FastAPI/ninja routes,
//!   template tags, ...);
//! - functions handed to a registration call (`Route("/", home)`, `add_url_rule`,
//!   `register.filter("cut", cut)`);
//! - classes and functions a setting names by dotted string (`MIDDLEWARE`, the context
//!   processors of `TEMPLATES`).

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

use crate::knowledge::{ClassView, NamedFunction, PathNotes};
use crate::model::{ArgKind, BoundValue, Call, Expr, ExprKind, ScopeId, ScopeKind, Span};
use crate::source::FileId;

use super::form_fields;
use super::reuse::Pass;
use super::{CallRef, ClassRef, FuncRef, Project, Value};

#[derive(Clone, Debug)]
pub struct Handler {
    pub func: FuncRef,
    /// What kind of handler, for messages: "Django view", "Flask route", ...
    pub kind: String,
    /// Where it is registered (a URLconf entry), when that is elsewhere.
    pub registered_at: Option<(FileId, Span)>,
    /// How a finding's note describes this request path, `{name}` standing for the
    /// function; `None`: "`name` is a request handler (kind)".
    pub note: Option<String>,
}

impl Handler {
    /// The note that says what kind of request path the handler, named `name`, is.
    pub fn note(&self, name: &str) -> String {
        match &self.note {
            Some(t) => t.replace("{name}", name),
            None => format!("`{name}` is a request handler ({})", self.kind),
        }
    }

    /// The same for an `async def` handler.
    pub fn async_note(&self, name: &str) -> String {
        match &self.note {
            Some(t) => t.replace("{name}", name),
            None => format!("`{name}` is an async request handler ({})", self.kind),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct HandlerSet {
    // BTreeMap: iteration order is deterministic, and so is everything derived from it.
    by_func: BTreeMap<FuncRef, Handler>,
    /// Project functions that hand their own parameter to a registration call (the
    /// decorator inside `def rpc(name): def deco(f): server.register_procedure(f);
    /// return f; return deco`), with the registration table's index and the call.
    registering: Vec<(FuncRef, usize, FileId, Span)>,
}

impl HandlerSet {
    pub fn build(project: &Project) -> HandlerSet {
        let mut set = HandlerSet::default();
        set.add_urlconf_views(project);
        set.add_view_classes(project);
        set.add_decorated(project);
        set.add_registrations(project);
        set.add_registered_by_wrappers(project);
        set.add_setting_handlers(project);
        set.add_signal_receivers(project);
        set.add_framework_save_receivers(project);
        set.add_rust(project);
        set.drop_worker_consumers(project);
        set
    }

    /// Leaves out the methods of consumer classes a worker router names: they run in a
    /// background worker process. Worked out on every check, after the per-file passes,
    /// so that an edit of the routing module alone takes effect.
    fn drop_worker_consumers(&mut self, project: &Project) {
        let workers = worker_consumers(project);
        if workers.is_empty() {
            return;
        }
        self.by_func.retain(|f, _| {
            let scope = project.scope(*f);
            !scope.class.is_some_and(|class| {
                workers.contains(&ClassRef {
                    file: f.file,
                    class,
                })
            })
        });
    }

    pub fn get(&self, func: FuncRef) -> Option<&Handler> {
        self.by_func.get(&func)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Handler> {
        self.by_func.values()
    }

    pub fn len(&self) -> usize {
        self.by_func.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_func.is_empty()
    }

    /// Runs `pass` on every root file in parallel, each into a set of its own, then
    /// merges them in file order: the first description of a function wins, as when the
    /// files are walked one after the other (a pass never reads the set it adds to).
    /// Each file's part is kept for the next check of the language server
    /// (`Project::per_file`).
    fn per_root_file(
        &mut self,
        project: &Project,
        which: Pass,
        pass: impl Fn(&mut HandlerSet, FileId, &crate::model::FileModel) + Sync,
    ) {
        let roots: Vec<FileId> = project.roots().map(|(f, _)| f).collect();
        let parts: Vec<HandlerSet> = roots
            .par_iter()
            .map(|&file| {
                project.per_file(which, file, || {
                    let mut part = HandlerSet::default();
                    pass(&mut part, file, &project.models[file]);
                    part
                })
            })
            .collect();
        self.absorb(parts);
    }

    /// Adds the handlers of `parts`, in order: a function already described keeps its
    /// first description.
    fn absorb(&mut self, parts: Vec<HandlerSet>) {
        for part in parts {
            for (func, h) in part.by_func {
                self.by_func.entry(func).or_insert(h);
            }
            self.registering.extend(part.registering);
        }
    }

    pub(crate) fn add(&mut self, func: FuncRef, kind: &str, registered_at: Option<(FileId, Span)>) {
        self.add_noted(func, kind, registered_at, None);
    }

    fn add_noted(
        &mut self,
        func: FuncRef,
        kind: &str,
        registered_at: Option<(FileId, Span)>,
        note: Option<String>,
    ) {
        self.by_func.entry(func).or_insert(Handler {
            func,
            kind: kind.to_string(),
            registered_at,
            note,
        });
    }

    fn add_urlconf_views(&mut self, project: &Project) {
        self.per_root_file(project, Pass::UrlconfViews, |set, file, model| {
            for (id, call) in model.calls.iter().enumerate() {
                if let Some(view) = urlconf_view(project, CallRef { file, call: id }) {
                    set.add_view(project, file, call.scope, view, call.span, 0);
                }
            }
        });
    }

    /// The view argument of a URLconf entry: a function, `Class.as_view(...)`, or a
    /// decorator applied in place (`login_required(views.home)`).
    fn add_view(
        &mut self,
        project: &Project,
        file: FileId,
        scope: usize,
        view: &Expr,
        at: Span,
        depth: u32,
    ) {
        if depth > 4 {
            return;
        }
        match &view.kind {
            ExprKind::Call(c) => {
                let call = &project.models[file].calls[*c];
                if call.method_name() == Some("as_view") {
                    if let Some(recv) = call.receiver()
                        && let Value::Class(class) = project.resolve(file, call.scope, recv)
                    {
                        self.add_class(project, class, "Django class-based view", Some((file, at)));
                    }
                    return;
                }
                let include = project.callee(CallRef { file, call: *c });
                if project
                    .knowledge
                    .urlconf
                    .include_functions
                    .iter()
                    .any(|p| project.matches(include, p))
                {
                    return;
                }
                // `cache_page(60)(view)` or `login_required(view)`.
                if let Some(inner) = call.args.iter().find(|a| a.kind == ArgKind::Positional) {
                    self.add_view(project, file, call.scope, &inner.value, at, depth + 1);
                }
            }
            _ => {
                if let Value::Function(f) = project.resolve(file, scope, view) {
                    // A view method of a handler class (`ModelAdmin.get_urls` returns
                    // `path("report/", self.report_view)`) is that framework's path.
                    match method_shape(project, f) {
                        Some(cv) => self.add_noted(
                            f,
                            &cv.framework,
                            Some((file, at)),
                            note_for(project, f, &cv.notes(), None),
                        ),
                        None => self.add(f, "Django view", Some((file, at))),
                    }
                }
            }
        }
    }

    /// Marks the handler methods of a view class, including those it inherits from
    /// project mixins. A class with bases of several frameworks (a viewset with a form
    /// mixin) gets every framework's methods, each described by the first framework
    /// that names it.
    fn add_class(
        &mut self,
        project: &Project,
        class: ClassRef,
        default_kind: &str,
        registered_at: Option<(FileId, Span)>,
    ) {
        let (ancestry, external) = project.class_ancestry(class);
        let shapes: Vec<&ClassView> = project
            .knowledge
            .class_views
            .iter()
            .filter(|cv| has_base(project, &ancestry, &external, cv))
            .collect();
        if shapes.is_empty() {
            // Used with as_view() but derived from a base we do not know: Django's own
            // method names still apply.
            let django = &project.knowledge.class_views[0];
            for f in class_methods(project, &ancestry) {
                if named(&django.methods, &project.scope(f).name) {
                    self.add(f, default_kind, registered_at);
                }
            }
            return;
        }
        // Per shape, the fields its field methods are named after, worked out once.
        let fields: Vec<_> = shapes
            .iter()
            .map(|cv| {
                cv.field_methods.as_ref().and_then(|fm| {
                    form_fields::declared_fields(project, &ancestry, &external, fm)
                        .map(|fields| (fm, fields))
                })
            })
            .collect();
        for f in class_methods(project, &ancestry) {
            let scope = project.scope(f);
            let parent = scope.parent.unwrap_or(0);
            for (cv, fields) in shapes.iter().zip(&fields) {
                if cv.only_async && !scope.is_async {
                    continue;
                }
                if let Some((fm, fields)) = fields
                    && form_fields::names_no_field(project, f, fm, fields)
                {
                    continue;
                }
                let decorated = || {
                    scope.decorators.iter().any(|d| {
                        let v = decorator_value(project, f.file, parent, &d.expr);
                        cv.method_decorators.iter().any(|p| project.matches(&v, p))
                    })
                };
                if named(&cv.methods, &scope.name) || decorated() {
                    let note = note_for(project, f, &cv.notes(), None);
                    self.add_noted(f, &cv.framework, registered_at, note);
                    break;
                }
            }
        }
        for cv in &shapes {
            for list in &cv.name_lists {
                for f in named_in_list(project, class, &ancestry, &list.attribute) {
                    self.add_noted(f, &list.framework, registered_at, list.note.clone());
                }
            }
        }
    }

    fn add_view_classes(&mut self, project: &Project) {
        // Ancestry is resolved for every class of the project; the view classes are
        // added in file order.
        self.per_root_file(project, Pass::ViewClasses, |set, file, model| {
            for class in 0..model.classes.len() {
                let c = ClassRef { file, class };
                let (ancestry, external) = project.class_ancestry(c);
                if project
                    .knowledge
                    .class_views
                    .iter()
                    .any(|cv| has_base(project, &ancestry, &external, cv))
                {
                    set.add_class(project, c, "", None);
                }
            }
        });
    }

    fn add_decorated(&mut self, project: &Project) {
        let tables = &project.knowledge.decorated_handlers;
        // Tables by the last name of their patterns: a decorator is checked against the
        // few of its own name, in table order.
        let mut by_last: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, h) in tables.iter().enumerate() {
            for p in &h.decorators {
                let v = by_last.entry(p.last_name()).or_default();
                if v.last() != Some(&i) {
                    v.push(i);
                }
            }
        }
        // The handler table a decorator's value belongs to.
        let table_of = |v: &Value| {
            candidates_of(&by_last, last_name_of(project, v))
                .iter()
                .map(|i| &tables[*i])
                .find(|h| h.decorators.iter().any(|p| project.matches(v, p)))
        };
        self.per_root_file(project, Pass::DecoratedHandlers, |set, file, model| {
            for (scope, s) in model.functions() {
                for d in &s.decorators {
                    let v = decorator_value(project, file, s.parent.unwrap_or(0), &d.expr);
                    if let Some(h) = table_of(&v) {
                        let func = FuncRef { file, scope };
                        let registration = d.expr.as_call().map(|c| &model.calls[c]);
                        let note = note_for(project, func, &h.notes(), registration);
                        set.add_noted(func, &h.framework, None, note);
                        break;
                    }
                }
            }
            // `bp.route("/x", methods=["GET"])(view)`: the decorator applied by a call.
            for call in &model.calls {
                let ExprKind::Call(maker) = call.callee.kind else {
                    continue;
                };
                let [arg] = call.args.as_slice() else {
                    continue;
                };
                if arg.kind != ArgKind::Positional {
                    continue;
                }
                let Some(h) = table_of(project.callee(CallRef { file, call: maker })) else {
                    continue;
                };
                if let Some(func) = view_function(project, file, model, call.scope, &arg.value) {
                    let note = note_for(project, func, &h.notes(), Some(&model.calls[maker]));
                    set.add_noted(func, &h.framework, None, note);
                }
            }
        });
    }

    /// Functions (and handler classes) handed to a registration call:
    /// `Route("/", home)`, `app.add_url_rule("/", view_func=home)`, `web.get("/", h)`.
    fn add_registrations(&mut self, project: &Project) {
        let regs = &project.knowledge.registrations;
        if regs.is_empty() {
            return;
        }
        // Patterns by the last name a matching callee has: each call is checked against
        // the few patterns of its own name.
        let mut by_last: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, r) in regs.iter().enumerate() {
            for p in &r.calls {
                by_last.entry(p.last_name()).or_default().push(i);
            }
        }
        self.per_root_file(project, Pass::Registrations, |set, file, model| {
            for (id, call) in model.calls.iter().enumerate() {
                let callee = project.callee(CallRef { file, call: id });
                let candidates = candidates_of(&by_last, last_name_of(project, callee));
                let Some(index) = candidates
                    .iter()
                    .copied()
                    .find(|i| regs[*i].calls.iter().any(|p| project.matches(callee, p)))
                else {
                    continue;
                };
                let reg = &regs[index];
                if reg.url_class_pairs {
                    for c in paired_classes(project, file, call) {
                        set.add_resource(project, c, reg, file, call);
                    }
                    continue;
                }
                let args = call.args.iter().filter(|a| match a.kind {
                    ArgKind::Positional => true,
                    ArgKind::Keyword => a
                        .name
                        .as_deref()
                        .is_some_and(|n| reg.keywords.iter().any(|k| k == n)),
                    _ => false,
                });
                // `route_handlers=[a, b]`: each element.
                let values = args.flat_map(|a| match &a.value.kind {
                    ExprKind::List(items) | ExprKind::Tuple(items) => items.iter().collect(),
                    _ => vec![&a.value],
                });
                for v in values {
                    // `view_func=login_required(view)`: the view, wrapped.
                    let v = unwrapped(project, file, model, call.scope, v);
                    // The decorator of a project wrapper registers what it decorates.
                    if own_parameter(model, call.scope, v) {
                        let wrapper = FuncRef {
                            file,
                            scope: call.scope,
                        };
                        set.registering.push((wrapper, index, file, call.span));
                        continue;
                    }
                    let value = project.resolve(file, call.scope, v);
                    // `app.add_route("/items", ItemResource())`: the resource's responders.
                    if let Value::Instance(c) = &value
                        && !reg.object_methods.is_empty()
                    {
                        set.add_resource(project, *c, reg, file, call);
                        continue;
                    }
                    let called = match value {
                        Value::Instance(c) if reg.calls_objects => {
                            method_of(project, c, "__call__")
                        }
                        Value::Class(c) if reg.calls_objects => method_of(project, c, "__init__"),
                        Value::Function(f) => Some(f),
                        _ => None,
                    };
                    match called {
                        Some(f) if project.scope(f).kind == ScopeKind::Function => {
                            let note = note_for(project, f, &reg.notes(), Some(call));
                            set.add_noted(f, &reg.framework, Some((file, call.span)), note);
                        }
                        // A handler class is found by its base; registering one we do
                        // not know says nothing about its methods.
                        _ => {}
                    }
                }
            }
        });
    }

    /// The methods of a resource class that the framework of `reg` calls per request.
    fn add_resource(
        &mut self,
        project: &Project,
        class: ClassRef,
        reg: &crate::knowledge::Registration,
        file: FileId,
        call: &crate::model::Call,
    ) {
        let (ancestry, _) = project.class_ancestry(class);
        for f in class_methods(project, &ancestry) {
            let name = project.scope(f).name.as_str();
            if reg.object_methods.iter().any(|m| name_fits(m, name)) {
                let note = note_for(project, f, &reg.notes(), Some(call));
                self.add_noted(f, &reg.framework, Some((file, call.span)), note);
            }
        }
    }

    /// Functions decorated with a project wrapper that registers what it decorates
    /// (found by [`HandlerSet::add_registrations`]): `@wrapper`, or `@factory(...)` where
    /// `factory` returns the wrapper it defines.
    fn add_registered_by_wrappers(&mut self, project: &Project) {
        if self.registering.is_empty() {
            return;
        }
        let wrappers = std::mem::take(&mut self.registering);
        let regs = &project.knowledge.registrations;
        let roots: Vec<FileId> = project.roots().map(|(f, _)| f).collect();
        for file in roots {
            let model = &project.models[file];
            if model.language != crate::model::Language::Python {
                continue;
            }
            for (scope, s) in model.functions() {
                let parent = s.parent.unwrap_or(0);
                let applied = |w: FuncRef| {
                    s.decorators.iter().any(|d| match d.expr.as_call() {
                        None => project.resolve(file, parent, &d.expr) == Value::Function(w),
                        Some(c) => matches!(
                            project.callee(CallRef { file, call: c }),
                            Value::Function(factory) if returns_function(project, *factory, w)
                        ),
                    })
                };
                if let Some((_, index, at_file, at)) = wrappers.iter().find(|(w, ..)| applied(*w)) {
                    let func = FuncRef { file, scope };
                    let reg = &regs[*index];
                    let note = note_for(project, func, &reg.notes(), None);
                    self.add_noted(func, &reg.framework, Some((*at_file, *at)), note);
                }
            }
            // The wrapper applied by a call, `bp.route("/x")(view)`: registered alike.
            for (id, call) in model.calls.iter().enumerate() {
                let [arg] = call.args.as_slice() else {
                    continue;
                };
                if arg.kind != ArgKind::Positional {
                    continue;
                }
                let Value::Function(w) = project.callee(CallRef { file, call: id }) else {
                    continue;
                };
                let Some((_, index, at_file, at)) = wrappers.iter().find(|(x, ..)| x == w) else {
                    continue;
                };
                if let Some(func) = view_function(project, file, model, call.scope, &arg.value) {
                    let reg = &regs[*index];
                    let note = note_for(project, func, &reg.notes(), None);
                    self.add_noted(func, &reg.framework, Some((*at_file, *at)), note);
                }
            }
        }
    }

    /// Classes and functions named by dotted strings in settings: `MIDDLEWARE`, the
    /// `context_processors` of `TEMPLATES`.
    fn add_setting_handlers(&mut self, project: &Project) {
        for sh in &project.knowledge.setting_handlers {
            let mut paths: Vec<(String, FileId, Span)> = Vec::new();
            for setting in &sh.settings {
                for (file, b) in project.settings_bindings(setting) {
                    if project.models[file].language != crate::model::Language::Python {
                        continue;
                    }
                    if let BoundValue::Expr(e) = &b.value {
                        strings_in(e, sh.key.as_deref(), sh.key.is_none(), &mut |s, span| {
                            paths.push((s.to_string(), file, span))
                        });
                    }
                }
            }
            let notes = sh.notes();
            for (path, file, span) in paths {
                match resolve_dotted(project, &path) {
                    Value::Class(c) => {
                        let (ancestry, _) = project.class_ancestry(c);
                        for f in class_methods(project, &ancestry) {
                            if named(&sh.methods, &project.scope(f).name) {
                                let note = note_for(project, f, &notes, None);
                                self.add_noted(f, &sh.framework, Some((file, span)), note);
                            }
                        }
                    }
                    Value::Function(f) => {
                        let funcs = match sh.functions {
                            NamedFunction::Itself => vec![f],
                            NamedFunction::Nested => project.nested_functions(f),
                        };
                        for g in funcs {
                            let note = note_for(project, g, &notes, None);
                            self.add_noted(g, &sh.framework, Some((file, span)), note);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

impl HandlerSet {
    /// Receivers of signals sent inside a request: `@receiver(user_logged_in)`,
    /// `@receiver([a, b])`, `user_logged_in.connect(on_login)`.
    fn add_signal_receivers(&mut self, project: &Project) {
        let signals = &project.knowledge.request_signals;
        if signals.is_empty() {
            return;
        }
        let signal_of = |file: FileId, scope: usize, e: &Expr| {
            let v = project.resolve(file, scope, e);
            signals
                .iter()
                .find(|s| s.signals.iter().any(|p| project.matches(&v, p)))
        };
        self.per_root_file(project, Pass::SignalHandlers, |set, file, model| {
            for c in super::signals::connections(project, file, model) {
                // The first signal sent inside a request that the call names.
                let Some(sig) = c
                    .signals
                    .iter()
                    .find_map(|e| signal_of(file, c.call.scope, e))
                else {
                    continue;
                };
                let at = c.by_call.then_some((file, c.call.span));
                for &f in &c.receivers {
                    let note = note_for(project, f, &sig.notes(), None);
                    set.add_noted(f, &sig.framework, at, note);
                }
            }
        });
    }
}

impl HandlerSet {
    /// Receivers of the save signals of a model that the framework saves in a request
    /// (a DRF generic view, a Django editing view, a ModelAdmin the project only
    /// declares): they run in that request, though no project code calls `save()`.
    fn add_framework_save_receivers(&mut self, project: &Project) {
        let saves = project.framework_saves();
        if saves.is_empty() {
            return;
        }
        let receivers = project.signal_receivers();
        // Each receiver with the classes whose requests run it, in source order.
        let mut by_receiver: BTreeMap<(FuncRef, bool), (String, Vec<String>)> = BTreeMap::new();
        let mut first_class: HashMap<FuncRef, (FileId, Span)> = HashMap::new();
        // The model's own `save()` / `delete()` override, which the framework's write
        // calls, with the classes whose requests make it.
        let mut by_override: BTreeMap<(FuncRef, bool), Vec<String>> = BTreeMap::new();
        for s in &saves {
            let class = &project.models[s.class.file].classes[s.class.class];
            let method = if s.deletes { "delete" } else { "save" };
            if let Some(m) = project.model_class_by_lower_name(&s.model.to_lowercase())
                && let Some(f) = method_of(project, m, method)
            {
                let written_by = format!("`{}` ({}: {})", class.name, s.framework, s.how);
                let entry = by_override.entry((f, s.deletes)).or_default();
                if !entry.contains(&written_by) {
                    entry.push(written_by);
                }
                first_class
                    .entry(f)
                    .or_insert((s.class.file, class.name_span));
            }
            for (f, signal) in receivers.write_receivers(project, &s.model, method) {
                let saved_by = format!("`{}` ({}: {})", class.name, s.framework, s.how);
                let entry = by_receiver
                    .entry((f, s.deletes))
                    .or_insert_with(|| (format!("`{signal}` of `{}`", s.model), Vec::new()));
                if !entry.1.contains(&saved_by) {
                    entry.1.push(saved_by);
                }
                first_class
                    .entry(f)
                    .or_insert((s.class.file, class.name_span));
            }
        }
        for ((f, deletes), classes) in by_override {
            let (verb, kind) = if deletes {
                ("deletes", "model delete the framework makes")
            } else {
                ("saves", "model save the framework makes")
            };
            let note = format!(
                "the framework {verb} the row with `{}` in the requests of {}, so it runs in those requests",
                project.display_name(f),
                first_three(&classes),
            );
            self.add_noted(f, kind, first_class.get(&f).copied(), Some(note));
        }
        for ((f, deletes), (what, classes)) in by_receiver {
            let (verb, kind) = if deletes {
                ("deletes", "receiver of a delete the framework makes")
            } else {
                ("saves", "receiver of a save the framework makes")
            };
            let note = format!(
                "`{}` receives {what}, which the framework {verb} in the requests of {}, so it runs in those requests",
                project.display_name(f),
                first_three(&classes),
            );
            self.add_noted(f, kind, first_class.get(&f).copied(), Some(note));
        }
    }
}

/// `A, B, C and 2 more`: the classes a note names.
fn first_three(classes: &[String]) -> String {
    let shown: Vec<&str> = classes.iter().take(3).map(String::as_str).collect();
    match classes.len().saturating_sub(3) {
        0 => shown.join(", "),
        n => format!("{} and {n} more", shown.join(", ")),
    }
}

/// The tables whose patterns can match a value named `last`: those of that name and
/// those that match any name (`pkg.*`), in table order.
fn candidates_of(by_last: &HashMap<&str, Vec<usize>>, last: Option<&str>) -> Vec<usize> {
    let mut out: Vec<usize> = last
        .and_then(|n| by_last.get(n))
        .into_iter()
        .chain(by_last.get("*"))
        .flatten()
        .copied()
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The last name of a value, as a pattern's last name would spell it: a project
/// function or class by its own name (configured handler decorators are project
/// functions).
fn last_name_of<'a>(project: &'a Project, v: &'a Value) -> Option<&'a str> {
    match v {
        Value::Function(f) => Some(project.scope(*f).name.as_str()),
        Value::Class(c) => Some(project.models[c.file].classes[c.class].name.as_str()),
        _ => v.last_name(),
    }
}

/// The method of that name a class has, its own or inherited from a project ancestor.
pub(crate) fn method_of(project: &Project, class: ClassRef, name: &str) -> Option<FuncRef> {
    let (ancestry, _) = project.class_ancestry(class);
    class_methods(project, &ancestry)
        .into_iter()
        .find(|f| project.scope(*f).name == name)
}

/// The view argument of a URLconf entry (`path("x/", view)`, `re_path(..., view=v)`),
/// when `call` is one.
pub(crate) fn urlconf_view(project: &Project, call: CallRef) -> Option<&Expr> {
    let route_functions = &project.knowledge.urlconf.route_functions;
    let callee = project.callee(call);
    if !route_functions.iter().any(|p| project.matches(callee, p)) {
        return None;
    }
    let c = project.call(call);
    c.keyword("view")
        .or_else(|| c.positional().nth(1))
        .map(|a| &a.value)
}

/// The project classes a `url_class_pairs` registration names: every second string of
/// its first positional argument (a tuple or list, written there or bound to a name),
/// a class of the calling module or a dotted path to one.
fn paired_classes(project: &Project, file: FileId, call: &crate::model::Call) -> Vec<ClassRef> {
    let Some(arg) = call.positional().next() else {
        return Vec::new();
    };
    let mut e = &arg.value;
    if let ExprKind::Name(n) = &e.kind
        && let Some(b) = project.binding_at(file, call.scope, n, call.span.start)
        && let BoundValue::Expr(v) = &b.binding.value
    {
        e = v;
    }
    let (ExprKind::List(items) | ExprKind::Tuple(items)) = &e.kind else {
        return Vec::new();
    };
    items
        .iter()
        .skip(1)
        .step_by(2)
        .filter_map(|i| {
            let name = i.as_str()?;
            let v = if name.contains('.') {
                resolve_dotted(project, name)
            } else {
                project.lookup(file, 0, name, u32::MAX, 0)
            };
            match v {
                Value::Class(c) => Some(c),
                _ => None,
            }
        })
        .collect()
}

/// A method name against a pattern of `object_methods`: exact, or a prefix before `*`.
fn name_fits(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

/// The methods of a class and of its project ancestors, the class's own first.
fn class_methods(project: &Project, ancestry: &[ClassRef]) -> Vec<FuncRef> {
    ancestry
        .iter()
        .flat_map(|c| {
            project.models[c.file].classes[c.class]
                .methods
                .iter()
                .map(|&scope| FuncRef {
                    file: c.file,
                    scope,
                })
        })
        .collect()
}

/// Does a method name match a shape's names (`get`, `resolve_*`, `*_view`; `*` alone:
/// any name that does not start with `_`)?
fn named(patterns: &[String], name: &str) -> bool {
    patterns.iter().any(|pat| match pat.as_str() {
        "*" => !name.starts_with('_'),
        // A suffix pattern names public methods only (`*_view`, not `_changeform_view`).
        p => {
            crate::knowledge::name_matches(p, name)
                && !(p.starts_with('*') && name.starts_with('_'))
        }
    })
}

/// The handler shape of the class a method belongs to, if any.
fn method_shape(project: &Project, f: FuncRef) -> Option<&ClassView> {
    let class = ClassRef {
        file: f.file,
        class: project.scope(f).class?,
    };
    let (ancestry, external) = project.class_ancestry(class);
    project
        .knowledge
        .class_views
        .iter()
        .find(|cv| has_base(project, &ancestry, &external, cv))
}

/// The note a handler gets: the framework's event-loop note for a sync function it runs
/// on its loop (unless the registration moves it to a thread), else its plain note.
fn note_for(
    project: &Project,
    f: FuncRef,
    notes: &PathNotes,
    registration: Option<&Call>,
) -> Option<String> {
    if !project.scope(f).is_async
        && let Some(loop_note) = &notes.loop_note
    {
        let threaded = notes.thread_option.as_deref().is_some_and(|k| {
            registration
                .and_then(|c| c.keyword(k))
                .is_some_and(|a| matches!(a.value.kind, ExprKind::Bool(true)))
        });
        if !threaded {
            return Some(loop_note.clone());
        }
    }
    notes.note.clone()
}

/// The functions a class attribute of a handler class names (`actions = ["publish",
/// archive]`): strings are methods of the class, names are functions. The first class
/// of the ancestry that sets the attribute decides, as attribute lookup does.
fn named_in_list(
    project: &Project,
    class: ClassRef,
    ancestry: &[ClassRef],
    attribute: &str,
) -> Vec<FuncRef> {
    let Some((c, items)) = class_list(project, ancestry, attribute) else {
        return Vec::new();
    };
    let body = project.models[c.file].classes[c.class].body;
    let mut out = Vec::new();
    for item in items {
        let v = match &item.kind {
            ExprKind::Str(name) => project.attr(Value::Class(class), name, 0),
            _ => project.resolve(c.file, body, item),
        };
        if let Value::Function(f) = v
            && project.scope(f).kind == ScopeKind::Function
        {
            out.push(f);
        }
    }
    out
}

/// The items of a list or tuple a class attribute holds (`list_display = ("title",
/// preview)`), with the class of the ancestry that sets it: the first one that does, as
/// attribute lookup finds it. `None` when none sets it, or it is not a list or tuple.
pub(crate) fn class_list<'p>(
    project: &'p Project,
    ancestry: &[ClassRef],
    attribute: &str,
) -> Option<(ClassRef, &'p [Expr])> {
    let (c, expr) = ancestry.iter().find_map(|c| {
        let model = &project.models[c.file];
        let body = model.classes[c.class].body;
        model.scopes[body]
            .bindings
            .iter()
            .rev()
            .find(|b| b.name == attribute && !b.augmented)
            .and_then(|b| match &b.value {
                BoundValue::Expr(e) => Some((*c, e)),
                _ => None,
            })
    })?;
    match &expr.kind {
        ExprKind::List(items) | ExprKind::Tuple(items) => Some((c, items.as_slice())),
        _ => None,
    }
}

/// The string literals of a setting's value: every one (`key` is `None`), or those
/// under a dictionary key (`"context_processors": [...]`).
fn strings_in(e: &Expr, key: Option<&str>, take: bool, out: &mut dyn FnMut(&str, Span)) {
    match &e.kind {
        ExprKind::Str(s) if take => out(s, e.span),
        ExprKind::List(items) | ExprKind::Tuple(items) => {
            for i in items {
                strings_in(i, key, take, out);
            }
        }
        ExprKind::Dict(entries) => {
            for (k, v) in entries {
                let under = take || (key.is_some() && k.as_ref().and_then(Expr::as_str) == key);
                strings_in(v, key, under, out);
            }
        }
        _ => {}
    }
}

/// A dotted path as a setting writes it (`shop.middleware.TimingMiddleware`): the
/// longest project module prefix, then attributes.
fn resolve_dotted(project: &Project, path: &str) -> Value {
    let parts: Vec<&str> = path.split('.').collect();
    for k in (1..parts.len()).rev() {
        if let Some(f) = project.modules.file(&parts[..k].join(".")) {
            let mut v = Value::Module(f);
            for p in &parts[k..] {
                v = project.attr(v, p, 0);
            }
            return v;
        }
    }
    Value::Unknown
}

/// Does a class derive from one of a view shape's bases? External bases are matched by
/// name; project ancestors too (other than the class itself), so a configured
/// `handler-base-classes` entry can name a project's own base class.
fn has_base(
    project: &Project,
    ancestry: &[ClassRef],
    external: &[String],
    cv: &crate::knowledge::ClassView,
) -> bool {
    external
        .iter()
        .any(|e| cv.bases.iter().any(|p| p.root_matches(e)))
        || ancestry.iter().skip(1).any(|c| {
            let name = project.class_qualname(*c);
            cv.bases.iter().any(|p| p.root_matches(&name))
        })
}

/// `@x` → x; `@x(...)` → x (the factory).
fn decorator_value(project: &Project, file: FileId, scope: usize, expr: &Expr) -> Value {
    match &expr.kind {
        ExprKind::Call(c) => project.callee(CallRef { file, call: *c }).clone(),
        _ => project.resolve(file, scope, expr),
    }
}

/// `e` is a parameter of the function `scope` (`f` in `def deco(f): register(f)`).
pub(crate) fn own_parameter(model: &crate::model::FileModel, scope: ScopeId, e: &Expr) -> bool {
    let s = &model.scopes[scope];
    s.kind == ScopeKind::Function
        && matches!(&e.kind, ExprKind::Name(n) if s.params.iter().any(|p| p.name == *n))
}

/// `factory` defines `wrapper` and returns it (`def rpc(name): def deco(f): ...; return deco`).
pub(crate) fn returns_function(project: &Project, factory: FuncRef, wrapper: FuncRef) -> bool {
    let w = project.scope(wrapper);
    factory.file == wrapper.file
        && w.parent == Some(factory.scope)
        && project
            .scope(factory)
            .returns
            .iter()
            .any(|e| matches!(&e.kind, ExprKind::Name(n) if *n == w.name))
}

/// The project function an expression is, or wraps with decorators applied by calls
/// (`login_required(view)`, `cache_page(60)(view)`): the view stays the view.
fn view_function(
    project: &Project,
    file: FileId,
    model: &crate::model::FileModel,
    scope: ScopeId,
    e: &Expr,
) -> Option<FuncRef> {
    match project.resolve(file, scope, unwrapped(project, file, model, scope, e)) {
        Value::Function(f) => Some(f),
        _ => None,
    }
}

/// `e` without the decorator calls around it: `login_required(view)` and
/// `cache_page(60)(view)` are `view`, when `view` is a project function and the
/// decorator is not one (a project function called with it is a call like any other).
fn unwrapped<'e>(
    project: &Project,
    file: FileId,
    model: &'e crate::model::FileModel,
    scope: ScopeId,
    mut e: &'e Expr,
) -> &'e Expr {
    for _ in 0..3 {
        let Some(c) = e.as_call() else {
            return e;
        };
        let call = &model.calls[c];
        let [arg] = call.args.as_slice() else {
            return e;
        };
        if arg.kind != ArgKind::Positional
            || matches!(
                project.callee(CallRef { file, call: c }),
                Value::Function(_) | Value::Class(_) | Value::Unknown
            )
            || !matches!(project.resolve(file, scope, &arg.value), Value::Function(_))
                && arg.value.as_call().is_none()
        {
            return e;
        }
        e = &arg.value;
    }
    e
}

/// The classes a worker router's dict names (`ChannelNameRouter({"mail": Mailer.as_asgi(),
/// "thumbs": Thumbs})`), read from the files that mention a router's name.
pub(crate) fn worker_consumers(project: &Project) -> std::collections::HashSet<ClassRef> {
    let routers = &project.knowledge.urlconf.worker_routers;
    let mut out = std::collections::HashSet::new();
    for word in routers.iter().map(|p| p.last_name()) {
        for &file in project.files_mentioning(word).iter() {
            if project.models.language(file) != crate::model::Language::Python {
                continue;
            }
            let model = &project.models[file];
            for (id, call) in model.calls.iter().enumerate() {
                if !project.matches_any(project.callee(CallRef { file, call: id }), routers) {
                    continue;
                }
                let Some(ExprKind::Dict(items)) = call.positional().next().map(|a| &a.value.kind)
                else {
                    continue;
                };
                for (_, value) in items {
                    // `Consumer.as_asgi()` or the class itself (Channels 2).
                    let class = match &value.kind {
                        ExprKind::Call(c) => match &model.calls[*c].callee.kind {
                            ExprKind::Attr(base, _) => base.as_ref(),
                            _ => continue,
                        },
                        _ => value,
                    };
                    if let Value::Class(c) = project.resolve(file, call.scope, class) {
                        out.insert(c);
                    }
                }
            }
        }
    }
    out
}

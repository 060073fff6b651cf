//! Request handlers: the functions a web framework calls for each request.
//!
//! Found three ways, all driven by `rules/python/handlers.toml`:
//! - views named in Django URLconfs (`path(route, view)`, `re_path`, `url`; every
//!   URLconf module of the project is read, so `include("app.urls")` targets are covered);
//! - methods of classes deriving (directly or through project classes) from a known view
//!   base (`View`, `APIView`, viewsets, graphene `ObjectType`...), plus `@action` methods;
//! - functions carrying a route decorator (`@api_view`, Flask/FastAPI/ninja routes, ...).

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::model::{ArgKind, Expr, ExprKind, Span};
use crate::source::FileId;

use super::{CallRef, ClassRef, FuncRef, Project, Value};

#[derive(Clone, Debug)]
pub struct Handler {
    pub func: FuncRef,
    /// What kind of handler, for messages: "Django view", "Flask route", ...
    pub kind: String,
    /// Where it is registered (a URLconf entry), when that is elsewhere.
    pub registered_at: Option<(FileId, Span)>,
}

#[derive(Debug, Default)]
pub struct HandlerSet {
    // BTreeMap: iteration order is deterministic, and so is everything derived from it.
    by_func: BTreeMap<FuncRef, Handler>,
}

impl HandlerSet {
    pub fn build(project: &Project) -> HandlerSet {
        let mut set = HandlerSet::default();
        set.add_urlconf_views(project);
        set.add_view_classes(project);
        set.add_decorated(project);
        set.add_rust(project);
        set
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

    pub(crate) fn add(&mut self, func: FuncRef, kind: &str, registered_at: Option<(FileId, Span)>) {
        self.by_func.entry(func).or_insert(Handler {
            func,
            kind: kind.to_string(),
            registered_at,
        });
    }

    fn add_urlconf_views(&mut self, project: &Project) {
        let urlconf = &project.knowledge.urlconf;
        for (file, model) in project.roots() {
            for (id, call) in model.calls.iter().enumerate() {
                let callee = project.callee(CallRef { file, call: id });
                if !urlconf
                    .route_functions
                    .iter()
                    .any(|p| project.matches(callee, p))
                {
                    continue;
                }
                let view = call
                    .keyword("view")
                    .or_else(|| call.positional().nth(1))
                    .map(|a| &a.value);
                if let Some(view) = view {
                    self.add_view(project, file, call.scope, view, call.span, 0);
                }
            }
        }
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
                    self.add(f, "Django view", Some((file, at)));
                }
            }
        }
    }

    /// Marks the handler methods of a view class, including those it inherits from
    /// project mixins.
    fn add_class(
        &mut self,
        project: &Project,
        class: ClassRef,
        default_kind: &str,
        registered_at: Option<(FileId, Span)>,
    ) {
        let (ancestry, external) = project.class_ancestry(class);
        let shape = project
            .knowledge
            .class_views
            .iter()
            .find(|cv| has_base(project, &ancestry, &external, cv));
        let (kind, methods, decorators): (&str, Vec<&str>, _) = match shape {
            Some(cv) => (
                cv.framework.as_str(),
                cv.methods.iter().map(String::as_str).collect(),
                cv.method_decorators.as_slice(),
            ),
            // Used with as_view() but derived from a base we do not know: Django's own
            // method names still apply.
            None => (
                default_kind,
                project.knowledge.class_views[0]
                    .methods
                    .iter()
                    .map(String::as_str)
                    .collect(),
                &[][..],
            ),
        };
        for c in ancestry {
            let model = &project.models[c.file];
            for &m in &model.classes[c.class].methods {
                let scope = &model.scopes[m];
                let named = methods.iter().any(|pat| match pat.strip_suffix('*') {
                    Some(prefix) => scope.name.starts_with(prefix),
                    None => scope.name == *pat,
                });
                let decorated = scope.decorators.iter().any(|d| {
                    let v = decorator_value(project, c.file, scope.parent.unwrap_or(0), &d.expr);
                    decorators.iter().any(|p| project.matches(&v, p))
                });
                if named || decorated {
                    self.add(
                        FuncRef {
                            file: c.file,
                            scope: m,
                        },
                        kind,
                        registered_at,
                    );
                }
            }
        }
    }

    fn add_view_classes(&mut self, project: &Project) {
        // Ancestry is resolved for every class of the project: in parallel, then the
        // view classes are added in file order.
        let roots: Vec<FileId> = project.roots().map(|(f, _)| f).collect();
        let views: Vec<ClassRef> = roots
            .par_iter()
            .flat_map_iter(|&file| {
                (0..project.models[file].classes.len())
                    .map(move |class| ClassRef { file, class })
                    .filter(|c| {
                        let (ancestry, external) = project.class_ancestry(*c);
                        project
                            .knowledge
                            .class_views
                            .iter()
                            .any(|cv| has_base(project, &ancestry, &external, cv))
                    })
            })
            .collect();
        for c in views {
            self.add_class(project, c, "", None);
        }
    }

    fn add_decorated(&mut self, project: &Project) {
        for (file, model) in project.roots() {
            for (scope, s) in model.functions() {
                for d in &s.decorators {
                    let v = decorator_value(project, file, s.parent.unwrap_or(0), &d.expr);
                    if let Some(h) = project
                        .knowledge
                        .decorated_handlers
                        .iter()
                        .find(|h| h.decorators.iter().any(|p| project.matches(&v, p)))
                    {
                        self.add(FuncRef { file, scope }, &h.framework, None);
                        break;
                    }
                }
            }
        }
    }
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

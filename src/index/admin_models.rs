//! The model a Django `ModelAdmin` (or inline) is for, and the rows the admin framework
//! hands its methods: `self.get_object(request, id)` in a `changeform_view` override, the
//! `obj` of `save_model(self, request, obj, form, change)`, the row a `list_display` or
//! `readonly_fields` method gets (`def first_free_ip(self, network)`). Typing them lets
//! a call on the row reach the model's own methods. Knowledge:
//! `rules/python/django_models.toml`, `[admin]`.
//!
//! The model is read from the class's own file and ancestry only (its `model = ...`, its
//! `@admin.register(Model)` decorator, a `site.register(Model, ThisAdmin)` call in its
//! module), so that resolution stays a function of the files it reads.

use crate::model::ExprKind;

use super::resolve::Value;
use super::{ClassRef, Project};
use crate::model::ScopeId;
use crate::source::FileId;

impl Project {
    /// `self.get_object(...)` on an admin: an instance of the admin's model.
    pub(super) fn admin_object(&self, admin: ClassRef, method: &str) -> Option<Value> {
        let k = &self.knowledge.django.admin;
        if !k.instance_methods.iter().any(|m| m == method) {
            return None;
        }
        self.admin_model(admin).map(Value::Instance)
    }

    /// A parameter of an admin method that the framework fills with a row of the admin's
    /// model: by the method's name and position (`save_model`'s `obj`), or the row
    /// argument (`index` 1) of a method the class names in a row list (`list_display`).
    pub(super) fn admin_row_parameter(
        &self,
        file: FileId,
        scope: ScopeId,
        index: usize,
    ) -> Option<Value> {
        let k = &self.knowledge.django.admin;
        let s = &self.models[file].scopes[scope];
        let class = ClassRef {
            file,
            class: s.class?,
        };
        let by_position = k
            .parameters
            .iter()
            .any(|p| p.method == s.name && p.index == index);
        let listed = index == 1
            && !s.name.starts_with('_')
            && k.row_lists
                .iter()
                .any(|l| self.lists_name(class, l, &s.name));
        if !by_position && !listed {
            return None;
        }
        self.admin_model(class).map(Value::Instance)
    }

    /// The project model an admin class is for, when exactly one is named.
    fn admin_model(&self, admin: ClassRef) -> Option<ClassRef> {
        let k = &self.knowledge.django.admin;
        if !self.class_matches(admin, &k.bases) {
            return None;
        }
        let mut found: Vec<ClassRef> = Vec::new();
        let mut note = |v: Value| {
            if let Value::Class(m) = v
                && self.is_model_class(m)
                && !found.contains(&m)
            {
                found.push(m);
            }
        };
        // `model = Photo` (inlines; some admins say it too).
        note(self.attr(Value::Class(admin), &k.model_attribute, 0));
        let model = &self.models[admin.file];
        let class = &model.classes[admin.class];
        // `@admin.register(Photo)` on the class, or a project's own `register`
        // decorator (often `partial(admin.register, site=custom_site)`, which resolution
        // does not see through): on an admin class, a decorator of that name with model
        // arguments registers it for them.
        for d in &class.decorators {
            let ExprKind::Call(id) = d.expr.kind else {
                continue;
            };
            let call = &model.calls[id];
            let named = match &call.callee.kind {
                ExprKind::Name(n) | ExprKind::Attr(_, n) => {
                    k.register_methods.iter().any(|x| x == n.as_str())
                }
                _ => false,
            };
            if !named
                && !self.matches_any(
                    &self.resolve(admin.file, class.parent, &call.callee),
                    &k.registered_by,
                )
            {
                continue;
            }
            for a in call.positional() {
                note(self.resolve(admin.file, class.parent, &a.value));
            }
        }
        // `admin.site.register(Photo, PhotoAdmin)` in the admin's module.
        for c in &model.calls {
            if !c
                .method_name()
                .is_some_and(|m| k.register_methods.iter().any(|x| x == m))
            {
                continue;
            }
            let mut args = c.positional();
            let (Some(m), Some(a)) = (args.next(), args.next()) else {
                continue;
            };
            if !matches!(&a.value.kind, ExprKind::Name(n) if *n == class.name)
                || self.resolve(admin.file, c.scope, &a.value) != Value::Class(admin)
            {
                continue;
            }
            note(self.resolve(admin.file, c.scope, &m.value));
        }
        match found.as_slice() {
            [m] => Some(*m),
            _ => None,
        }
    }

    /// Does the class (or the first project ancestor that sets `attribute`) list the
    /// string `name` in it (`list_display = ("title", "first_free_ip")`)? Read as the
    /// handler index reads such lists (`handlers::class_list`).
    fn lists_name(&self, class: ClassRef, attribute: &str, name: &str) -> bool {
        let (ancestry, _) = self.class_ancestry(class);
        super::handlers::class_list(self, &ancestry, attribute).is_some_and(|(_, items)| {
            items
                .iter()
                .any(|i| matches!(&i.kind, ExprKind::Str(s) if s == name))
        })
    }
}

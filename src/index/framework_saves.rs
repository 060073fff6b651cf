//! Saves the framework makes for a class the project only declares: a DRF generic view
//! saves an instance of its `serializer_class`, a Django `CreateView` its `form_class`'s
//! (or its own `model`), a `ModelAdmin` the model it is registered for. No project code
//! calls `save()` on the way, so the call graph has no edge to the receivers of that
//! model's save signals; they run in those requests all the same, and are request paths
//! ([`super::handlers`]). Knowledge: `rules/python/django_models.toml`,
//! `[[framework_saves]]`.

use crate::knowledge::FrameworkSave;
use crate::model::ExprKind;

use super::handlers::method_of;
use super::{ClassRef, Project, Value};

/// A project class whose requests save (or delete) a model through the framework.
pub struct FrameworkSaved<'k> {
    pub class: ClassRef,
    /// The model's class name (as signal senders are keyed).
    pub model: String,
    pub framework: &'k str,
    /// How the framework writes it, for the note.
    pub how: &'k str,
    /// A delete (`pre_delete` / `post_delete`), not a save.
    pub deletes: bool,
}

impl Project {
    /// Every class of the root files whose requests save a model through the framework.
    pub fn framework_saves(&self) -> Vec<FrameworkSaved<'_>> {
        let shapes = &self.knowledge.django.framework_saves;
        let mut out = Vec::new();
        if shapes.is_empty() {
            return out;
        }
        for (file, model) in self.roots() {
            if model.language != crate::model::Language::Python {
                continue;
            }
            for (i, class) in model.classes.iter().enumerate() {
                if class.bases.is_empty() {
                    continue;
                }
                let c = ClassRef { file, class: i };
                // A view may both save and delete (a DRF `ModelViewSet`, the admin).
                for shape in shapes.iter().filter(|s| self.class_matches(c, &s.bases)) {
                    // An override that hands on to the framework's own method
                    // (`super().perform_destroy(instance)`) still writes.
                    let overridden = |through: &[String]| {
                        through
                            .iter()
                            .any(|m| method_of(self, c, m).is_some_and(|f| !self.calls_super(f, m)))
                    };
                    let mut writes = Vec::new();
                    if shape.saves && !overridden(&shape.through) {
                        writes.push((shape.how.as_str(), false));
                    }
                    if let Some(d) = &shape.deletes
                        && !overridden(&d.through)
                    {
                        writes.push((d.how.as_str(), true));
                    }
                    if writes.is_empty() {
                        continue;
                    }
                    for model in self.saved_models(c, shape) {
                        for &(how, deletes) in &writes {
                            out.push(FrameworkSaved {
                                class: c,
                                model: model.clone(),
                                framework: &shape.framework,
                                how,
                                deletes,
                            });
                        }
                    }
                }
            }
        }
        out
    }

    /// Method `f` calls the framework's method of the same name, `super().name(...)`
    /// (not a project ancestor's, which is followed as a call).
    fn calls_super(&self, f: super::FuncRef, name: &str) -> bool {
        // Read from the model: handlers (and so this) are found before the call graph.
        let model = &self.models[f.file];
        model.calls.iter().enumerate().any(|(id, c)| {
            c.scope == f.scope
                && c.method_name() == Some(name)
                && c.receiver().is_some_and(|r| match r.kind {
                    ExprKind::Call(inner) => matches!(
                        &model.calls[inner].callee.kind,
                        ExprKind::Name(n) if n == "super"
                    ),
                    _ => false,
                })
                && self
                    .call_target(super::CallRef {
                        file: f.file,
                        call: id,
                    })
                    .is_none()
        })
    }

    /// The models the framework saves for `c`: its form class's `Meta.model`, else its
    /// own `model`, else the models a registration decorator names.
    pub(crate) fn saved_models(&self, c: ClassRef, how: &FrameworkSave) -> Vec<String> {
        if how.choosers.iter().any(|m| method_of(self, c, m).is_some()) {
            return Vec::new();
        }
        if let Some(attr) = &how.form_attribute
            && let Value::Class(form) = self.attr(Value::Class(c), attr, 0)
        {
            if self.overrides_save(form) {
                return Vec::new();
            }
            if self.is_model_form(form)
                && let Some(m) = self.declared_model(form, 0)
            {
                return vec![m];
            }
            // A form from a library class tasklint cannot see into (a model form of
            // another package): the view's own model, when it declares one, is what
            // its `form_valid` saves.
            if !how.own_model {
                return Vec::new();
            }
        }
        if how.own_model {
            return self.declared_model(c, 0).into_iter().collect();
        }
        let model = &self.models[c.file];
        let class = &model.classes[c.class];
        let mut out = Vec::new();
        for d in &class.decorators {
            let ExprKind::Call(id) = d.expr.kind else {
                continue;
            };
            let call = &model.calls[id];
            let v = self.resolve(c.file, class.parent, &call.callee);
            if !how.registered_by.iter().any(|p| self.matches(&v, p)) {
                continue;
            }
            for a in call.positional() {
                if let Value::Class(m) = self.resolve(c.file, class.parent, &a.value) {
                    out.push(self.models[m.file].classes[m.class].name.to_string());
                }
            }
        }
        out
    }

    /// A project `ModelForm` or DRF model serializer (a class whose `Meta.model` is what
    /// its `save()` saves).
    pub(crate) fn is_model_form(&self, class: ClassRef) -> bool {
        let forms = &self.knowledge.django.forms.model_forms;
        forms.iter().any(|p| self.derives_from(class, p))
    }

    /// The form or serializer class (or a project ancestor) overrides `save`, `create`
    /// or `update`: what it saves is its own code's business.
    pub(crate) fn overrides_save(&self, form: ClassRef) -> bool {
        let (ancestry, _) = self.class_ancestry(form);
        ancestry.iter().any(|a| {
            let m = &self.models[a.file];
            m.classes[a.class]
                .methods
                .iter()
                .any(|s| matches!(m.scopes[*s].name.as_str(), "save" | "create" | "update"))
        })
    }
}

//! The fields of a form or serializer class, when they can all be listed.
//!
//! Django calls a form's `clean_<field>` (DRF a serializer's `validate_<field>` and, for a
//! `SerializerMethodField`, `get_<field>`; WTForms a form's `validate_<field>`) once for
//! each field the class has: one named after no
//! field never runs, so it is no request path. The fields are what the class bodies of
//! the class and its project ancestors bind, plus the names in their `Meta.fields`. They
//! cannot be listed, and every such method stays a handler, when the class derives from a
//! library class that may declare fields of its own, from a base nobody can resolve, when
//! its `Meta` leaves the fields to the model (`exclude`, `"__all__"`, an inherited
//! `Meta`), or when its code adds fields at run time (`self.fields["url"] = ...`, an
//! override of `get_fields`).

use std::collections::HashSet;

use crate::knowledge::FieldMethods;
use crate::model::{BoundValue, ExprKind, FileModel};

use super::{ClassRef, FuncRef, Project, Value};

/// The field names of a class whose ancestry is `ancestry` (itself first) with library
/// bases `external`; `None` when they cannot all be listed.
pub fn declared_fields(
    project: &Project,
    ancestry: &[ClassRef],
    external: &[String],
    fm: &FieldMethods,
) -> Option<HashSet<String>> {
    if !external
        .iter()
        .all(|e| fm.fieldless_bases.iter().any(|p| p.root_matches(e)))
    {
        return None;
    }
    let mut fields = HashSet::new();
    let mut meta_seen = false;
    for c in ancestry {
        let model = &project.models[c.file];
        let class = &model.classes[c.class];
        let resolved = class.bases.iter().all(|b| {
            matches!(
                project.base_value(c.file, class.parent, b, 0),
                Value::Class(_) | Value::External(_)
            )
        });
        if !resolved || adds_fields_at_run_time(model, c, fm) {
            return None;
        }
        for b in &model.scopes[class.body].bindings {
            if b.name == "Meta" {
                // The first `Meta` of the ancestry is the one the framework reads.
                if let BoundValue::Class(meta) = b.value
                    && !meta_seen
                {
                    meta_seen = true;
                    fields.extend(meta_fields(model, meta)?);
                }
                continue;
            }
            fields.insert(b.name.as_str().to_owned());
        }
    }
    Some(fields)
}

/// The method is named after a field (`clean_url`) the class does not have.
pub fn names_no_field(
    project: &Project,
    f: FuncRef,
    fm: &FieldMethods,
    fields: &HashSet<String>,
) -> bool {
    let name = project.scope(f).name.as_str();
    if fm.framework_methods.iter().any(|m| m == name) {
        return false;
    }
    fm.prefixes.iter().any(|p| {
        name.strip_prefix(p.as_str())
            .is_some_and(|field| !field.is_empty() && !fields.contains(field))
    })
}

/// The names `Meta.fields` lists; `None` when the fields come from elsewhere (the model,
/// a parent `Meta`, a value that is not a literal list).
fn meta_fields(model: &FileModel, meta: usize) -> Option<Vec<String>> {
    let class = &model.classes[meta];
    let bindings = &model.scopes[class.body].bindings;
    let Some(fields) = bindings.iter().rev().find(|b| b.name == "fields") else {
        // No list of its own: an inherited one, or all the model's fields but some.
        let from_elsewhere =
            !class.bases.is_empty() || bindings.iter().any(|b| b.name == "exclude");
        return if from_elsewhere {
            None
        } else {
            Some(Vec::new())
        };
    };
    let BoundValue::Expr(e) = &fields.value else {
        return None;
    };
    let (ExprKind::List(items) | ExprKind::Tuple(items)) = &e.kind else {
        return None;
    };
    items
        .iter()
        .map(|i| match &i.kind {
            ExprKind::Str(s) => Some(s.to_string()),
            _ => None,
        })
        .collect()
}

/// The class's methods replace or add to its fields while it runs:
/// `self.fields["url"] = ...`, `self.fields = ...`, `self.fields.update(...)`, or an
/// override of a method that returns the fields.
fn adds_fields_at_run_time(model: &FileModel, c: &ClassRef, fm: &FieldMethods) -> bool {
    let class = &model.classes[c.class];
    let in_class = |scope: usize| {
        let mut s = Some(scope);
        while let Some(i) = s {
            if class.methods.contains(&i) {
                return true;
            }
            s = model.scopes[i].parent;
        }
        false
    };
    let dynamic = |e: &crate::model::Expr| match &e.kind {
        ExprKind::Attr(base, attr) => {
            matches!(base.kind, ExprKind::Name(_))
                && fm.dynamic_attributes.iter().any(|d| d == attr.as_str())
        }
        _ => false,
    };
    if class.methods.iter().any(|m| {
        fm.dynamic_methods
            .iter()
            .any(|d| d == model.scopes[*m].name.as_str())
    }) {
        return true;
    }
    let assigned = model.attr_assignments.iter().any(|a| {
        in_class(a.scope)
            && match &a.target.kind {
                ExprKind::Subscript(base, _) => dynamic(base),
                _ => dynamic(&a.target),
            }
    });
    assigned
        || model.calls.iter().any(|call| {
            in_class(call.scope)
                && matches!(&call.callee.kind,
                    ExprKind::Attr(base, method)
                        if dynamic(base) && matches!(method.as_str(), "update" | "setdefault"))
        })
}

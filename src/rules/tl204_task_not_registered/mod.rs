//! TL204 task-not-registered: a task the worker will not know. One rule, two languages:
//! Celery autodiscovery in `python.rs`, rusty-celery registration in `rust.rs`.

mod python;
mod rust;

use super::{Check, Checker, FixAvailability, Rule, RuleInfo};
use crate::diagnostic::Severity;
use crate::model::Language;

pub static RULE: Rule = Rule {
    info: RuleInfo {
        code: "TL204",
        name: "task-not-registered",
        summary: "a task the worker will not import or register (Celery autodiscovery, rusty-celery `app!`, apalis workers, crates.io job runners)",
        severity: Severity::Error,
        default_enabled: true,
        languages: &[Language::Python, Language::Rust],
        fix: FixAvailability::Never,
        doc: include_str!("../../../rules/docs/TL204.md"),
    },
    check: Check::Project(check),
};

fn check(cx: &mut Checker) {
    python::check(cx);
    rust::check(cx);
}

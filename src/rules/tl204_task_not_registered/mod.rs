//! TL204 task-not-registered: a task the worker will not know. One rule, two languages:
//! Celery autodiscovery in `python.rs`, rusty-celery registration in `rust.rs`.

mod python;
mod rust;

use super::{Check, Checker, Rule};
use crate::catalogue;

pub static RULE: Rule = Rule {
    info: &catalogue::TL204,
    check: Check::Project(check),
};

fn check(cx: &mut Checker) {
    python::check(cx);
    rust::check(cx);
}

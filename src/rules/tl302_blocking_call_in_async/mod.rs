//! TL302 blocking-call-in-async: a blocking call inside `async def` / `async fn`, directly
//! or through project sync functions. One rule, two languages: the Python check is in
//! `python.rs`, the Rust check in `rust.rs`.

mod python;
mod rust;

use super::{Check, Checker, Rule};
use crate::catalogue;
use crate::index::FuncRef;
use crate::model::Language;

pub static RULE: Rule = Rule {
    info: &catalogue::TL302,
    check: Check::Function(check),
};

fn check(cx: &mut Checker, func: FuncRef) {
    match cx.project.models[func.file].language {
        Language::Python => python::check(cx, func),
        Language::Rust => rust::check(cx, func),
    }
}

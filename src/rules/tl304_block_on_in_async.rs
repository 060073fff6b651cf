//! TL304 block-on-in-async: `block_on` (futures, tokio `Runtime`/`Handle`, async-std,
//! pollster) reached from async code, where tokio panics ("Cannot start a runtime from
//! within a runtime") and other executors deadlock.

use super::rust_blocking::check_function;
use super::{Check, Checker, Rule};
use crate::catalogue;
use crate::index::FuncRef;

pub static RULE: Rule = Rule {
    info: &catalogue::TL304,
    check: Check::Function(check),
};

fn check(cx: &mut Checker, func: FuncRef) {
    check_function(cx, func, "TL304");
}

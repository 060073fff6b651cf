//! TL304 block-on-in-async: `block_on` (futures, tokio `Runtime`/`Handle`, async-std,
//! pollster) reached from async code, where tokio panics ("Cannot start a runtime from
//! within a runtime") and other executors deadlock.

use super::rust_blocking::check_function;
use super::{Check, Checker, FixAvailability, Rule, RuleInfo};
use crate::diagnostic::Severity;
use crate::index::FuncRef;
use crate::model::Language;

pub static RULE: Rule = Rule {
    info: RuleInfo {
        code: "TL304",
        name: "block-on-in-async",
        summary: "`block_on` (futures, tokio Runtime/Handle) reached from async code",
        severity: Severity::Error,
        default_enabled: true,
        languages: &[Language::Rust],
        fix: FixAvailability::Never,
        doc: include_str!("../../rules/docs/TL304.md"),
    },
    check: Check::Function(check),
};

fn check(cx: &mut Checker, func: FuncRef) {
    check_function(cx, func, "TL304");
}

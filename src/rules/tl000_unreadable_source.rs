//! TL000 unreadable-source: reported by the pipeline, not by a check (see `check.rs`).

use super::{Check, FixAvailability, Rule, RuleInfo};
use crate::diagnostic::Severity;
use crate::model::Language;

pub static RULE: Rule = Rule {
    info: RuleInfo {
        code: "TL000",
        name: "unreadable-source",
        summary: "a file that cannot be read or parsed (the reason is given)",
        severity: Severity::Error,
        default_enabled: true,
        languages: &[Language::Python, Language::Rust],
        fix: FixAvailability::Never,
        doc: include_str!("../../rules/docs/TL000.md"),
    },
    check: Check::Pipeline,
};

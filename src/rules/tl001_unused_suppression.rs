//! TL001 unused-suppression: a suppression comment that suppresses nothing. Reported by
//! the pipeline after suppressions are applied (see `crate::suppress`), off by default:
//! `--report-unused-ignores` (or selecting TL001) turns it on.

use super::{Check, FixAvailability, Rule, RuleInfo};
use crate::diagnostic::Severity;
use crate::model::Language;

pub static RULE: Rule = Rule {
    info: RuleInfo {
        code: "TL001",
        name: "unused-suppression",
        summary: "a suppression comment that suppresses nothing (opt-in: --report-unused-ignores)",
        severity: Severity::Warning,
        default_enabled: false,
        languages: &[Language::Python, Language::Rust],
        fix: FixAvailability::Never,
        doc: include_str!("../../rules/docs/TL001.md"),
    },
    check: Check::Pipeline,
};

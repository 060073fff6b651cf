//! TL001 unused-suppression: a suppression comment that suppresses nothing. Reported by
//! the pipeline after suppressions are applied (see `crate::suppress`), off by default:
//! `--report-unused-ignores` (or selecting TL001) turns it on.

use super::{Check, Rule};
use crate::catalogue;

pub static RULE: Rule = Rule {
    info: &catalogue::TL001,
    check: Check::Pipeline,
};

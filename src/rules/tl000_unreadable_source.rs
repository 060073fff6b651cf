//! TL000 unreadable-source: reported by the pipeline, not by a check (see `check.rs`).

use super::{Check, Rule};
use crate::catalogue;

pub static RULE: Rule = Rule {
    info: &catalogue::TL000,
    check: Check::Pipeline,
};

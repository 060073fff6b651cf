//! TL204, Rust part.

use crate::rules::Checker;

pub fn check(_cx: &mut Checker) {}

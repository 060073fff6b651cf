//! TL204, Python part.

use crate::rules::Checker;

pub fn check(_cx: &mut Checker) {}

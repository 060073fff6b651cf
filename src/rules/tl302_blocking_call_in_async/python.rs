//! TL302, Python part.

use crate::index::FuncRef;
use crate::rules::Checker;

pub fn check(_cx: &mut Checker, _func: FuncRef) {}

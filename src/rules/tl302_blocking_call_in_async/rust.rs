//! TL302, Rust part: a call from the blocking catalogue (`rules/rust/blocking_calls.toml`)
//! in async context (an `async fn`, an `async` block or closure, or a sync handler that
//! rocket or poem calls on the runtime), directly or through project sync functions.
//! Closures handed to `spawn_blocking`, `block_in_place`, `web::block`, `thread::spawn`,
//! deadpool's `interact` or a project wrapper around them are not async context.

use crate::index::FuncRef;
use crate::rules::Checker;
use crate::rules::rust_blocking::check_function;

pub fn check(cx: &mut Checker, func: FuncRef) {
    check_function(cx, func, "TL302");
}

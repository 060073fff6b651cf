//! The rules. One file per rule (`tl101_task_called_directly.rs`, ...) holds its
//! declaration and its check; its documentation page is `rules/docs/<CODE>.md`, pulled
//! in by the declaration so docs and code cannot drift apart.
//!
//! Rules never walk syntax: the driver below hands each enabled rule the calls,
//! functions or the whole project it registered for, and rules ask the index questions.
//!
//! To add a rule: copy a rule file, give it the next free code, write its page in
//! `rules/docs/`, add it to [`ALL`], and add a fixture with `# expect:` markers.

pub(crate) mod context;
pub(crate) mod enqueue;
mod mounted_views;
mod rust_blocking;
mod rust_small_inputs;
pub(crate) mod slow_calls;
mod task_arguments;
mod tl000_unreadable_source;
mod tl001_unused_suppression;
pub(crate) mod tl101_task_called_directly;
mod tl102_enqueue_on_plain_function;
mod tl103_task_run_inline_in_handler;
mod tl104_enqueue_arguments_mismatch;
mod tl105_unknown_task_name;
mod tl106_enqueue_options_as_arguments;
mod tl107_async_celery_task;
mod tl201_removed_task_decorator;
mod tl202_task_decorator_not_outermost;
mod tl203_bound_task_without_self;
mod tl204_task_not_registered;
mod tl205_retry_swallowed;
pub(crate) mod tl301_slow_call_in_handler;
mod tl302_blocking_call_in_async;
mod tl303_waiting_on_task_result;
mod tl304_block_on_in_async;
mod tl305_detached_spawn_in_handler;
mod tl401_enqueue_inside_transaction;
mod tl402_unserializable_task_argument;
mod transaction_rows;

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Severity};
use crate::index::{CallRef, FuncRef, Project};
use crate::model::Span;
use crate::source::FileId;

/// Every rule, in code order.
pub static ALL: &[&Rule] = &[
    &tl000_unreadable_source::RULE,
    &tl001_unused_suppression::RULE,
    &tl101_task_called_directly::RULE,
    &tl102_enqueue_on_plain_function::RULE,
    &tl103_task_run_inline_in_handler::RULE,
    &tl104_enqueue_arguments_mismatch::RULE,
    &tl105_unknown_task_name::RULE,
    &tl106_enqueue_options_as_arguments::RULE,
    &tl107_async_celery_task::RULE,
    &tl201_removed_task_decorator::RULE,
    &tl202_task_decorator_not_outermost::RULE,
    &tl203_bound_task_without_self::RULE,
    &tl204_task_not_registered::RULE,
    &tl205_retry_swallowed::RULE,
    &tl301_slow_call_in_handler::RULE,
    &tl302_blocking_call_in_async::RULE,
    &tl303_waiting_on_task_result::RULE,
    &tl304_block_on_in_async::RULE,
    &tl305_detached_spawn_in_handler::RULE,
    &tl401_enqueue_inside_transaction::RULE,
    &tl402_unserializable_task_argument::RULE,
];

pub use crate::catalogue::{FixAvailability, RuleInfo};

/// What a rule is handed by the driver.
pub enum Check {
    /// Every call in a reported file.
    Call(fn(&mut Checker, CallRef)),
    /// Every function (and method) in a reported file.
    Function(fn(&mut Checker, FuncRef)),
    /// Once, with the whole project (for rules whose findings span files).
    Project(fn(&mut Checker)),
    /// Every function in a reported file, then once with the whole project.
    FunctionAndProject(fn(&mut Checker, FuncRef), fn(&mut Checker)),
    /// Reported by the pipeline itself (TL000).
    Pipeline,
}

pub struct Rule {
    pub info: &'static RuleInfo,
    pub check: Check,
}

pub fn find(code: &str) -> Option<&'static Rule> {
    ALL.iter()
        .copied()
        .find(|r| r.info.code.eq_ignore_ascii_case(code) || r.info.name == code)
}

/// What a rule sees: the project, and a place to put its findings.
pub struct Checker<'p> {
    pub project: &'p Project,
    rule: &'static RuleInfo,
    diagnostics: Vec<Diagnostic>,
}

impl<'p> Checker<'p> {
    pub fn new(project: &'p Project, rule: &'static RuleInfo) -> Checker<'p> {
        Checker {
            project,
            rule,
            diagnostics: Vec::new(),
        }
    }

    /// Records a finding of the current rule at its default severity; the returned
    /// diagnostic takes `help`, `note`s, related places and a different severity.
    pub fn report(
        &mut self,
        file: FileId,
        span: Span,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diagnostics.push(Diagnostic {
            code: self.rule.code,
            name: self.rule.name,
            severity: self.rule.severity,
            message: message.into(),
            file,
            span,
            label: None,
            help: None,
            notes: Vec::new(),
            related: Vec::new(),
            fix: None,
        });
        self.diagnostics.last_mut().expect("just pushed")
    }

    /// The finding reported last, to add to it.
    pub fn last(&mut self) -> Option<&mut Diagnostic> {
        self.diagnostics.last_mut()
    }

    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }
}

/// The finding that replaces a file's findings when a rule panicked on it.
fn internal_error(project: &Project, file: FileId) -> Vec<Diagnostic> {
    let info = crate::catalogue::UNREADABLE_SOURCE;
    if !project.settings.is_enabled(info) {
        return Vec::new();
    }
    vec![Diagnostic {
        code: info.code,
        name: info.name,
        severity: Severity::Error,
        message: "internal error while checking this file; please report it".into(),
        file,
        span: Span::new(0, 0),
        label: None,
        help: None,
        notes: Vec::new(),
        related: Vec::new(),
        fix: None,
    }]
}

/// Runs every enabled rule over the files marked for reporting (those that can hold a
/// finding: [`Project::checked`]).
pub fn run(project: &Project) -> Vec<Diagnostic> {
    run_with(project, true)
}

/// [`run`] without the per-file guard: a panic in a rule propagates instead of becoming
/// a TL000 "internal error" finding. For fuzzing, which must see the panic.
pub fn run_unguarded(project: &Project) -> Vec<Diagnostic> {
    run_with(project, false)
}

fn run_with(project: &Project, guarded: bool) -> Vec<Diagnostic> {
    let enabled: Vec<&'static Rule> = ALL
        .iter()
        .copied()
        .filter(|r| project.settings.is_enabled(r.info))
        .collect();
    let check_file = |file: FileId| {
        let model = &project.models[file];
        let mut out = Vec::new();
        for rule in &enabled {
            let mut cx = Checker::new(project, rule.info);
            if !rule.info.languages.contains(&model.language) {
                continue;
            }
            match rule.check {
                Check::Call(check) => {
                    for call in 0..model.calls.len() {
                        check(&mut cx, CallRef { file, call });
                    }
                }
                Check::Function(check) | Check::FunctionAndProject(check, _) => {
                    for (scope, _) in model.functions() {
                        check(&mut cx, FuncRef { file, scope });
                    }
                }
                Check::Project(_) | Check::Pipeline => {}
            }
            out.extend(cx.into_diagnostics());
        }
        out
    };
    let per_file: Vec<Diagnostic> = (0..project.files.len())
        .into_par_iter()
        .filter(|f| project.report[*f] && project.checked[*f])
        .flat_map_iter(|file| {
            if !guarded {
                return check_file(file);
            }
            // A bug in a rule must not end the run or hide other files' findings: the file
            // gets a TL000 instead (ruff's per-file `catch_unwind`).
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check_file(file)))
                .unwrap_or_else(|_| internal_error(project, file))
        })
        .collect();
    let mut all = per_file;
    for rule in &enabled {
        if let Check::Project(check) | Check::FunctionAndProject(_, check) = rule.check {
            let mut cx = Checker::new(project, rule.info);
            let t = std::time::Instant::now();
            check(&mut cx);
            if std::env::var_os("TASKLINT_DEBUG_RULES").is_some() {
                eprintln!("rule {}: {:?}", rule.info.code, t.elapsed());
            }
            all.extend(
                cx.into_diagnostics()
                    .into_iter()
                    .filter(|d| project.report[d.file]),
            );
        }
    }
    all
}

#[cfg(test)]
mod tests {
    /// The checks and the catalogue list the same rules, in the same order.
    #[test]
    fn every_catalogue_entry_has_its_check() {
        let checks: Vec<&str> = super::ALL.iter().map(|r| r.info.code).collect();
        let catalogue: Vec<&str> = crate::catalogue::ALL.iter().map(|r| r.code).collect();
        assert_eq!(checks, catalogue);
        for (r, i) in super::ALL.iter().zip(crate::catalogue::ALL) {
            assert!(std::ptr::eq(r.info, *i), "{}", i.code);
        }
    }
}

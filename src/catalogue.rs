//! The rule catalogue: every rule's code, name, one-line summary, default severity,
//! languages, fix availability and documentation page (`rules/docs/<CODE>.md`).
//!
//! This is what the settings (`--select`), the configuration, the suppression comments,
//! SARIF and `tasklint rules` need to know about rules, without the checks: it sits below
//! the index, and `src/rules/` (the checks, above the index) points each check at its
//! entry here. A new rule adds its entry here and to [`ALL`], in code order.

use crate::diagnostic::Severity;
use crate::model::Language;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixAvailability {
    Never,
    Sometimes,
    Always,
}

#[derive(Debug)]
pub struct RuleInfo {
    pub code: &'static str,
    pub name: &'static str,
    /// One line: what the rule flags.
    pub summary: &'static str,
    pub severity: Severity,
    pub default_enabled: bool,
    pub languages: &'static [Language],
    pub fix: FixAvailability,
    /// The documentation page (Markdown).
    pub doc: &'static str,
}

/// Every rule, in code order.
pub static ALL: &[&RuleInfo] = &[
    &TL000, &TL001, &TL101, &TL102, &TL103, &TL104, &TL105, &TL106, &TL107, &TL201, &TL202, &TL203,
    &TL204, &TL205, &TL301, &TL302, &TL303, &TL304, &TL305, &TL401, &TL402,
];

/// Reported by the pipeline: a file that cannot be read or parsed.
pub static UNREADABLE_SOURCE: &RuleInfo = &TL000;
/// Reported by the suppression pass.
pub static UNUSED_SUPPRESSION: &RuleInfo = &TL001;

/// A rule by code (`TL101`, any case) or name (`task-called-directly`).
pub fn find(code: &str) -> Option<&'static RuleInfo> {
    ALL.iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code) || r.name == code)
}

pub static TL000: RuleInfo = RuleInfo {
    code: "TL000",
    name: "unreadable-source",
    summary: "a file that cannot be read or parsed (the reason is given)",
    severity: Severity::Error,
    default_enabled: true,
    languages: &[Language::Python, Language::Rust],
    fix: FixAvailability::Never,
    doc: include_str!("../rules/docs/TL000.md"),
};

pub static TL001: RuleInfo = RuleInfo {
    code: "TL001",
    name: "unused-suppression",
    summary: "a suppression comment that suppresses nothing (opt-in: --report-unused-ignores)",
    severity: Severity::Warning,
    default_enabled: false,
    languages: &[Language::Python, Language::Rust],
    fix: FixAvailability::Never,
    doc: include_str!("../rules/docs/TL001.md"),
};

pub static TL101: RuleInfo = RuleInfo {
    code: "TL101",
    name: "task-called-directly",
    summary: "a task called with `()` runs in the caller instead of on a worker",
    severity: Severity::Error,
    default_enabled: true,
    languages: &[Language::Python, Language::Rust],
    fix: FixAvailability::Sometimes,
    doc: include_str!("../rules/docs/TL101.md"),
};

pub static TL102: RuleInfo = RuleInfo {
    code: "TL102",
    name: "enqueue-on-plain-function",
    summary: "`.delay()`, `.apply_async()`, `.send()`, `.enqueue()`, `.s()` on a project function that is not a task",
    severity: Severity::Error,
    default_enabled: true,
    languages: &[Language::Python],
    fix: FixAvailability::Never,
    doc: include_str!("../rules/docs/TL102.md"),
};

pub static TL103: RuleInfo = RuleInfo {
    code: "TL103",
    name: "task-run-inline-in-handler",
    summary: "a task run inline (`.apply()`, `.call()`, `.now()`, `.call_local()`, `.fn()`) in a request handler",
    severity: Severity::Warning,
    default_enabled: true,
    languages: &[Language::Python],
    fix: FixAvailability::Never,
    doc: include_str!("../rules/docs/TL103.md"),
};

pub static TL104: RuleInfo = RuleInfo {
    code: "TL104",
    name: "enqueue-arguments-mismatch",
    summary: "enqueue arguments that do not bind to the task's parameters",
    severity: Severity::Error,
    default_enabled: true,
    languages: &[Language::Python],
    fix: FixAvailability::Never,
    doc: include_str!("../rules/docs/TL104.md"),
};

pub static TL105: RuleInfo = RuleInfo {
    code: "TL105",
    name: "unknown-task-name",
    summary: "a task named by string (`send_task`, beat schedule, `async_task`, `enqueue`) that the project does not define",
    severity: Severity::Error,
    default_enabled: true,
    languages: &[Language::Python],
    fix: FixAvailability::Never,
    doc: include_str!("../rules/docs/TL105.md"),
};

pub static TL106: RuleInfo = RuleInfo {
    code: "TL106",
    name: "enqueue-options-as-arguments",
    summary: "execution options (`countdown`, `eta`, `queue`, ...) passed to `.delay()`, where they become task arguments",
    severity: Severity::Error,
    default_enabled: true,
    languages: &[Language::Python],
    fix: FixAvailability::Sometimes,
    doc: include_str!("../rules/docs/TL106.md"),
};

pub static TL107: RuleInfo = RuleInfo {
    code: "TL107",
    name: "async-celery-task",
    summary: "a Celery task defined with `async def`: the worker gets a coroutine and the body never runs",
    severity: Severity::Error,
    default_enabled: true,
    languages: &[Language::Python],
    fix: FixAvailability::Never,
    doc: include_str!("../rules/docs/TL107.md"),
};

pub static TL201: RuleInfo = RuleInfo {
    code: "TL201",
    name: "removed-task-decorator",
    summary: "an import of `celery.task`, `celery.decorators.task` and the like (removed in Celery 5)",
    severity: Severity::Error,
    default_enabled: true,
    languages: &[Language::Python],
    fix: FixAvailability::Sometimes,
    doc: include_str!("../rules/docs/TL201.md"),
};

pub static TL202: RuleInfo = RuleInfo {
    code: "TL202",
    name: "task-decorator-not-outermost",
    summary: "another decorator stacked above the task decorator, hiding `.delay` and friends",
    severity: Severity::Error,
    default_enabled: true,
    languages: &[Language::Python],
    fix: FixAvailability::Never,
    doc: include_str!("../rules/docs/TL202.md"),
};

pub static TL203: RuleInfo = RuleInfo {
    code: "TL203",
    name: "bound-task-without-self",
    summary: "`bind=True` (or `takes_context=True`) on a task with no parameter to receive the task",
    severity: Severity::Error,
    default_enabled: true,
    languages: &[Language::Python],
    fix: FixAvailability::Never,
    doc: include_str!("../rules/docs/TL203.md"),
};

pub static TL204: RuleInfo = RuleInfo {
    code: "TL204",
    name: "task-not-registered",
    summary: "a task the worker will not import or register (Celery autodiscovery, rusty-celery `app!`, apalis workers, registered job runners)",
    severity: Severity::Error,
    default_enabled: true,
    languages: &[Language::Python, Language::Rust],
    fix: FixAvailability::Never,
    doc: include_str!("../rules/docs/TL204.md"),
};

pub static TL205: RuleInfo = RuleInfo {
    code: "TL205",
    name: "retry-swallowed",
    summary: "`self.retry()` whose `Retry` is caught and not re-raised, `throw=False` followed by more code, or a string as `exc=`",
    severity: Severity::Error,
    default_enabled: true,
    languages: &[Language::Python],
    fix: FixAvailability::Never,
    doc: include_str!("../rules/docs/TL205.md"),
};

pub static TL301: RuleInfo = RuleInfo {
    code: "TL301",
    name: "slow-call-in-handler",
    summary: "a slow call (network, mail, sleep, subprocess, heavy file or image work) in a request handler",
    severity: Severity::Error,
    default_enabled: true,
    languages: &[Language::Python],
    fix: FixAvailability::Never,
    doc: include_str!("../rules/docs/TL301.md"),
};

pub static TL302: RuleInfo = RuleInfo {
    code: "TL302",
    name: "blocking-call-in-async",
    summary: "a blocking call inside `async def` / `async fn`, directly or through project functions",
    severity: Severity::Error,
    default_enabled: true,
    languages: &[Language::Python, Language::Rust],
    fix: FixAvailability::Sometimes,
    doc: include_str!("../rules/docs/TL302.md"),
};

pub static TL303: RuleInfo = RuleInfo {
    code: "TL303",
    name: "waiting-on-task-result",
    summary: "`.get()`, `.wait()`, `.join()`, `.result` on a task result in a handler or a task",
    severity: Severity::Error,
    default_enabled: true,
    languages: &[Language::Python],
    fix: FixAvailability::Never,
    doc: include_str!("../rules/docs/TL303.md"),
};

pub static TL304: RuleInfo = RuleInfo {
    code: "TL304",
    name: "block-on-in-async",
    summary: "`block_on` (futures, tokio Runtime/Handle) reached from async code",
    severity: Severity::Error,
    default_enabled: true,
    languages: &[Language::Rust],
    fix: FixAvailability::Never,
    doc: include_str!("../rules/docs/TL304.md"),
};

pub static TL305: RuleInfo = RuleInfo {
    code: "TL305",
    name: "detached-spawn-in-handler",
    summary: "`tokio::spawn` / `std::thread::spawn` in a request handler whose handle is dropped",
    severity: Severity::Warning,
    default_enabled: false,
    languages: &[Language::Rust],
    fix: FixAvailability::Never,
    doc: include_str!("../rules/docs/TL305.md"),
};

pub static TL401: RuleInfo = RuleInfo {
    code: "TL401",
    name: "enqueue-inside-transaction",
    summary: "an enqueue inside `transaction.atomic` that is not deferred with `transaction.on_commit`",
    severity: Severity::Error,
    default_enabled: true,
    languages: &[Language::Python],
    fix: FixAvailability::Sometimes,
    doc: include_str!("../rules/docs/TL401.md"),
};

pub static TL402: RuleInfo = RuleInfo {
    code: "TL402",
    name: "unserializable-task-argument",
    summary: "a model instance, queryset, request, file or function passed to an enqueue call",
    severity: Severity::Error,
    default_enabled: true,
    languages: &[Language::Python],
    fix: FixAvailability::Never,
    doc: include_str!("../rules/docs/TL402.md"),
};

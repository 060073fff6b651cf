//! The settings a check runs with, resolved from defaults, configuration and the command
//! line.

use std::path::PathBuf;

use crate::catalogue::RuleInfo;
use crate::diagnostic::Severity;

/// Folders never worth reading: virtual environments, build output, caches.
pub const DEFAULT_EXCLUDES: &[&str] = &[
    "node_modules",
    "venv",
    "site-packages",
    "__pypackages__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "target",
];

#[derive(Clone, Debug)]
pub struct Settings {
    /// Rule selectors (codes or code prefixes such as `TL1`; `ALL`). `None`: the rules that
    /// are on by default.
    pub select: Option<Vec<String>>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
    /// How many project calls deep handler rules follow (TL101, TL301, TL302).
    pub max_call_depth: usize,
    /// TL101 also reports a task called directly inside another task's body (off by
    /// default: the body already runs on a worker).
    pub report_task_calls_in_tasks: bool,
    /// Read and write the per-file model cache. Off by default for library callers
    /// (tests); the command line turns it on unless `--no-cache`.
    pub cache: bool,
    /// Where the cache lives; default `.tasklint_cache` in the first checked folder (or
    /// `$TASKLINT_CACHE_DIR`).
    pub cache_dir: Option<std::path::PathBuf>,
    /// With the cache on, report the last run's findings again when nothing they were
    /// worked out from changed (`crate::findings_cache`). The command line's `check` turns
    /// it on; callers that need the whole project model (`explain`, tests) leave it off.
    pub reuse_findings: bool,
    /// Parse up front only the files that can matter (`crate::prefilter`). Turning it off
    /// parses every file and must not change a single finding: tests check that.
    pub prefilter: bool,
    /// The folder of the configuration file: relative `exclude` and `per-file-ignores`
    /// patterns are anchored there. `None` without a configuration file.
    pub root: Option<PathBuf>,
    /// Glob patterns of files and folders not to walk into; `None`: the built-in list
    /// ([`DEFAULT_EXCLUDES`]).
    pub exclude: Option<Vec<String>>,
    /// Patterns excluded on top of `exclude`.
    pub extend_exclude: Vec<String>,
    /// Apply the excludes to files named on the command line too (pre-commit).
    pub force_exclude: bool,
    /// Rules not reported in the files a pattern matches.
    pub per_file_ignores: Vec<PerFileIgnore>,
    /// Knowledge extensions (merged into [`crate::knowledge::Knowledge`] by
    /// `Knowledge::extend_with`).
    pub task_decorators: Vec<TaskDecorator>,
    pub slow_calls: Vec<ExtraSlowCall>,
    pub handler_decorators: Vec<String>,
    pub handler_base_classes: Vec<HandlerBaseClass>,
    /// Rust blocking calls (TL302), merged into the Rust catalogue by
    /// `Knowledge::extend_with`.
    pub blocking_calls: Vec<BlockingCall>,
    /// Patterns (`exclude`, `extend-exclude`, `per-file-ignores`) inherited through
    /// `extend` from a configuration file in another folder, with that folder: their
    /// `/` patterns stay relative to it.
    pub inherited_roots: Vec<(String, PathBuf)>,
    /// The configuration files below the checked folder, when there are any: each file
    /// is then checked with its nearest one (`crate::config::tree`).
    pub tree: Option<std::sync::Arc<crate::config::tree::ConfigTree>>,
}

/// `per-file-ignores`: a glob and the rule selectors not reported in matching files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PerFileIgnore {
    pub pattern: String,
    pub selectors: Vec<String>,
}

/// `task-decorators`: a project's own decorator that makes tasks the way a known framework
/// does (`{ path = "myproj.tasks.instrumented_task", framework = "celery" }`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskDecorator {
    pub path: String,
    /// A framework id of `rules/python/task_frameworks.toml` (`celery`, `dramatiq`, ...).
    pub framework: String,
}

/// `slow-calls`: a call that makes a request wait, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtraSlowCall {
    pub path: String,
    pub reason: String,
    pub severity: Severity,
    pub instead: Option<String>,
}

/// `handler-base-classes`: subclasses are request handlers; `methods` are the ones the
/// framework calls per request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandlerBaseClass {
    pub path: String,
    pub methods: Vec<String>,
}

/// `blocking-calls` (Rust): a path such as `mycrate::db::query_sync` and why it blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockingCall {
    pub path: String,
    pub reason: String,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            select: None,
            extend_select: Vec::new(),
            ignore: Vec::new(),
            max_call_depth: 6,
            report_task_calls_in_tasks: false,
            cache: false,
            reuse_findings: false,
            cache_dir: None,
            prefilter: true,
            root: None,
            exclude: None,
            extend_exclude: Vec::new(),
            force_exclude: false,
            per_file_ignores: Vec::new(),
            task_decorators: Vec::new(),
            slow_calls: Vec::new(),
            handler_decorators: Vec::new(),
            handler_base_classes: Vec::new(),
            blocking_calls: Vec::new(),
            inherited_roots: Vec::new(),
            tree: None,
        }
    }
}

/// The code of the rule that reports files that could not be read or parsed.
pub const UNREADABLE_SOURCE: &str = "TL000";

/// Does a selector (`TL101`, `TL1`, `ALL`) cover a rule code?
pub fn selector_matches(selector: &str, code: &str) -> bool {
    selector.eq_ignore_ascii_case("ALL") || code.starts_with(&selector.to_ascii_uppercase())
}

impl Settings {
    pub fn is_enabled(&self, rule: &RuleInfo) -> bool {
        // A file that cannot be read or parsed could not be checked for any rule: TL000
        // is reported whatever the selection says, unless `ignore` names it (as ruff
        // reports syntax errors whatever is selected).
        if rule.code == UNREADABLE_SOURCE {
            return !self.ignore.iter().any(|s| selector_matches(s, rule.code));
        }
        let selected = match &self.select {
            Some(sel) => sel.iter().any(|s| selector_matches(s, rule.code)),
            None => rule.default_enabled,
        } || self
            .extend_select
            .iter()
            .any(|s| selector_matches(s, rule.code));
        // A more specific selection wins over a broader ignore (`--ignore TL3
        // --select TL301` keeps TL301), as in ruff.
        let ignored_by = self
            .ignore
            .iter()
            .filter(|s| selector_matches(s, rule.code))
            .map(|s| s.len())
            .max();
        let selected_by = self
            .select
            .iter()
            .flatten()
            .chain(&self.extend_select)
            .filter(|s| selector_matches(s, rule.code))
            .map(|s| {
                if s.eq_ignore_ascii_case("ALL") {
                    0
                } else {
                    s.len()
                }
            })
            .max();
        match ignored_by {
            Some(i) => selected && selected_by.is_some_and(|s| s > i),
            None => selected,
        }
    }

    /// The folder a pattern's `/` patterns are relative to, when it is not
    /// [`Settings::root`] (a pattern inherited through `extend`).
    pub fn root_of_pattern(&self, pattern: &str) -> Option<PathBuf> {
        self.inherited_roots
            .iter()
            .find(|(p, _)| p == pattern)
            .map(|(_, r)| r.clone())
    }

    /// [`Settings::exclude_patterns`], ready to match.
    pub fn exclude_globs(&self) -> Result<crate::config::glob::PathGlobs, String> {
        let with: Vec<(String, Option<PathBuf>)> = self
            .exclude_patterns()
            .into_iter()
            .map(|p| {
                let root = self.root_of_pattern(&p);
                (p, root)
            })
            .collect();
        crate::config::glob::PathGlobs::with_roots(&with)
    }

    /// Every exclude pattern in force: `exclude` (or the built-in list) and
    /// `extend-exclude`.
    pub fn exclude_patterns(&self) -> Vec<String> {
        let base: Vec<String> = match &self.exclude {
            Some(e) => e.clone(),
            None => DEFAULT_EXCLUDES.iter().map(|s| s.to_string()).collect(),
        };
        base.into_iter()
            .chain(self.extend_exclude.iter().cloned())
            .collect()
    }
}

//! The settings a check runs with, resolved from defaults, configuration and the command
//! line.

use crate::rules::RuleInfo;

#[derive(Clone, Debug)]
pub struct Settings {
    /// Rule selectors (codes or code prefixes such as `TL1`; `ALL`). `None`: the rules that
    /// are on by default.
    pub select: Option<Vec<String>>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
    /// How many project calls deep handler rules follow (TL101, TL301, TL302).
    pub max_call_depth: usize,
    /// Read and write the per-file model cache. Off by default for library callers
    /// (tests); the command line turns it on unless `--no-cache`.
    pub cache: bool,
    /// Where the cache lives; default `.tasklint_cache` in the first checked folder (or
    /// `$TASKLINT_CACHE_DIR`).
    pub cache_dir: Option<std::path::PathBuf>,
    /// Parse up front only the files that can matter (`crate::prefilter`). Turning it off
    /// parses every file and must not change a single finding: tests check that.
    pub prefilter: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            select: None,
            extend_select: Vec::new(),
            ignore: Vec::new(),
            max_call_depth: 4,
            cache: false,
            cache_dir: None,
            prefilter: true,
        }
    }
}

fn selector_matches(selector: &str, code: &str) -> bool {
    selector.eq_ignore_ascii_case("ALL") || code.starts_with(&selector.to_ascii_uppercase())
}

impl Settings {
    pub fn is_enabled(&self, rule: &RuleInfo) -> bool {
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
}

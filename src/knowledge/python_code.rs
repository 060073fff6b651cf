//! What kinds of Python code a function is, beyond tasks and handlers:
//! `rules/python/test_code.toml` (tests, fixtures, code expected to raise) and
//! `rules/python/values.toml` (properties, results kept for the whole process).

use serde::Deserialize;

use super::pattern::{self, PathPattern};

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestCode {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub base_classes: Vec<PathPattern>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub fixture_decorators: Vec<PathPattern>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub raises_contexts: Vec<PathPattern>,
    pub raises_methods: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Values {
    pub properties: Decorators,
    pub once_per_process: Decorators,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decorators {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub decorators: Vec<PathPattern>,
}

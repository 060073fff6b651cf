//! What kinds of Python code a function is, beyond tasks and handlers:
//! `rules/python/test_code.toml` (tests, fixtures, code expected to raise) and
//! `rules/python/values.toml` (properties, results kept for the whole process) and
//! `rules/python/entry_points.toml` (command-line and start-up code).

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
    pub properties: Properties,
    pub once_per_process: Decorators,
    /// Decorators that make a generator function a context manager.
    #[serde(default)]
    pub context_managers: Decorators,
    /// A library's name as its submodule defines it → the name its package exports.
    #[serde(default)]
    pub defined_in: std::collections::BTreeMap<String, String>,
    /// Bases that make a class an interface: an attribute declared with it holds
    /// whatever implementation the class assigns.
    #[serde(default)]
    pub interfaces: Interfaces,
    /// Libraries whose attributes of a kind all go through one method: a name computed
    /// at run time (`getattr(requests, verb)`) is that method.
    #[serde(default)]
    pub dynamic_attributes: Vec<DynamicAttribute>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DynamicAttribute {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub on: Vec<PathPattern>,
    pub is: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interfaces {
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub bases: Vec<PathPattern>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Properties {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub decorators: Vec<PathPattern>,
    /// Stacked with a property decorator, these make it a property of the class too.
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub class_level: Vec<PathPattern>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decorators {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub decorators: Vec<PathPattern>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryPoints {
    pub command_line: CommandLine,
    pub startup: Startup,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandLine {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub decorators: Vec<PathPattern>,
    pub group_methods: Vec<String>,
    /// Dotted table paths of pyproject.toml (`project.scripts`).
    pub script_tables: Vec<String>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub setup_calls: Vec<PathPattern>,
    pub entry_points_keyword: String,
    pub script_groups: Vec<String>,
    /// Folders whose modules only a command runs (`management/commands`,
    /// `migrations`), as the last folders of a module's path.
    #[serde(default)]
    pub folders: Vec<String>,
    /// Calls that run a management command by its name (`call_command("rebuild")`):
    /// with a project command of that name, the call runs its `Command.handle`.
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub by_name: Vec<PathPattern>,
    /// The folder of those commands' modules, the module named as the command.
    #[serde(default)]
    pub command_folder: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Startup {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub decorators: Vec<PathPattern>,
    pub keywords: Vec<String>,
    pub methods: Vec<String>,
}

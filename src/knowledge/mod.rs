//! The knowledge base: task frameworks, slow calls, handler shapes. It is data
//! (`rules/**/*.toml`, embedded at build time) extended by the user's configuration; the
//! index and the rules read it through these typed tables.

mod celery_worker;
mod django_models;
mod pattern;
mod python_code;
pub mod rust;
mod task_calls;
mod user;

use std::collections::HashMap;

/// A map whose iteration order, and so whose `Debug`, is the same in every process for
/// the same insertions: a hash of the knowledge's `Debug` keys the findings kept from one
/// run to the next (`crate::findings_cache`).
pub type StableMap<K, V> =
    HashMap<K, V, std::hash::BuildHasherDefault<std::collections::hash_map::DefaultHasher>>;
use std::sync::LazyLock;

use serde::Deserialize;

pub use celery_worker::CeleryWorker;
pub use django_models::{DjangoModels, FrameworkSave};
pub use pattern::{PathPattern, Step, file_words, last_names};
pub use python_code::{EntryPoints, TestCode, Values};
pub use task_calls::{ArgumentLayout, Returns, SerializerKind, TaskCalls, TaskNameKind};

use crate::diagnostic::Severity;

const TASK_FRAMEWORKS: &str = include_str!("../../rules/python/task_frameworks.toml");
const SLOW_CALLS: &str = include_str!("../../rules/python/slow_calls.toml");
const HANDLERS: &str = include_str!("../../rules/python/handlers.toml");
const OFFLOAD: &str = include_str!("../../rules/python/offload.toml");
const TASK_ARGUMENTS: &str = include_str!("../../rules/python/task_arguments.toml");
const TASK_DECLARATIONS: &str = include_str!("../../rules/python/task_declarations.toml");
const DJANGO_MODELS: &str = include_str!("../../rules/python/django_models.toml");
const TASK_CALLS: &str = include_str!("../../rules/python/task_calls.toml");
const CELERY_WORKER: &str = include_str!("../../rules/python/celery_worker.toml");
const TEST_CODE: &str = include_str!("../../rules/python/test_code.toml");
const VALUES: &str = include_str!("../../rules/python/values.toml");
const ENTRY_POINTS: &str = include_str!("../../rules/python/entry_points.toml");

/// The built-in knowledge, parsed once.
pub static BUILTIN: LazyLock<Knowledge> = LazyLock::new(|| {
    Knowledge::from_sources(TASK_FRAMEWORKS, SLOW_CALLS, HANDLERS, OFFLOAD)
        .unwrap_or_else(|e| panic!("the built-in rules/ data is invalid: {e}"))
});

/// What a direct call `task(...)` does in a framework.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DirectCall {
    /// The body runs in the caller (Celery, Dramatiq, RQ `@job`): TL101.
    RunsInline,
    /// The call is the enqueue API (Huey, django-background-tasks).
    Enqueues,
    /// The task object is not callable (django.tasks): TL101 everywhere.
    TypeError,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskFramework {
    pub id: String,
    pub name: String,
    pub direct_call: DirectCall,
    /// The enqueue method a fix or help suggests (`delay`, `send`, `enqueue`).
    pub enqueue_hint: String,
    /// The enqueue method returns a coroutine (Taskiq's `kiq`): it must be awaited.
    #[serde(default)]
    pub enqueue_is_coroutine: bool,
    pub enqueue_methods: Vec<String>,
    pub inline_methods: Vec<String>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub decorators: Vec<PathPattern>,
    /// The decorator option that makes the first parameter receive the task itself.
    #[serde(default)]
    pub bind_option: Option<String>,
    pub docs: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlowCall {
    pub category: String,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub calls: Vec<PathPattern>,
    pub why: String,
    #[serde(default)]
    pub instead: Option<String>,
    #[serde(default)]
    pub async_alternative: Option<String>,
    pub severity: Severity,
    /// Fine in a sync handler; blocking only on an event loop (TL302).
    #[serde(default)]
    pub async_only: bool,
    /// Brief enough to matter only where requests share the loop: TL302 reports it in
    /// coroutines a handler is known to run, not in workers and tools of their own.
    #[serde(default)]
    pub only_on_server_loops: bool,
    /// How long it takes, for a note: what the request waits for and how bad it gets.
    #[serde(default)]
    pub how_slow: Option<String>,
    /// Only calls whose last name is one of these (a trailing or leading `*` matches
    /// any rest): `create`, `list_*` on an SDK's resources.
    #[serde(default)]
    pub only: Vec<String>,
    /// Never calls whose last name is one of these: the local methods of a client
    /// (`generate_presigned_url`), in the same notation as `only`.
    #[serde(default, rename = "except")]
    pub except_names: Vec<String>,
    /// Slow only as a `with` item (`with Popen(...) as p:` waits when the block ends;
    /// a bare `Popen(...)` starts the program and returns).
    #[serde(default)]
    pub only_in_with: bool,
    /// Waits once per object: after one of these calls on an object has waited (`p.wait()`),
    /// another on the same object (`p.stdout.readlines()`) returns at once.
    #[serde(default)]
    pub waits_once: bool,
    /// Quiet when the project's settings hand the work to a queue (`EMAIL_BACKEND` set
    /// to a backend that enqueues the mail).
    #[serde(default)]
    pub quiet_when: Option<QuietWhen>,
    /// Not slow itself when it runs a project command tasklint follows (`call_command`
    /// of a command the project defines): what that command does is reported instead.
    #[serde(default)]
    pub unless_project_command: bool,
    /// Keyword arguments that turn the slow part off when written `False`
    /// (`validate_email(addr, check_deliverability=False)` makes no DNS query).
    #[serde(default)]
    pub off_with_false: Vec<String>,
    /// Arguments that turn the slow part on, by keyword or position (`confirm` is the
    /// fourth argument of allauth's `add_email`): slow only when one is given and not
    /// written `False` (their default is off).
    #[serde(default)]
    pub on_with_true: Vec<ArgumentName>,
    /// Slow only when this argument is written as one of these strings (jwcrypto's
    /// `JWK.generate(kty="RSA")` searches for primes; `kty="oct"` draws random bytes).
    /// Any other value, or one not written as a string, is not reported.
    #[serde(default)]
    pub only_with_string: Option<ArgumentStrings>,
}

/// An argument of a library call and the string values that make the call slow.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgumentStrings {
    pub keyword: String,
    #[serde(default)]
    pub position: Option<usize>,
    pub values: Vec<String>,
}

/// An argument of a library call: its keyword, and its position when it can be passed
/// positionally (0 is the first argument).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgumentName {
    pub keyword: String,
    #[serde(default)]
    pub position: Option<usize>,
}

/// A project setting that makes a slow call's entry quiet: every string the settings
/// assign to it (at least one) is one of `values`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietWhen {
    pub setting: String,
    pub values: Vec<String>,
    /// Why those values make it quiet, for `explain`.
    pub why: String,
}

impl SlowCall {
    /// Do `only` and `except` let a call named `last` through?
    pub fn admits(&self, last: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|p| name_matches(p, last)))
            && !self.except_names.iter().any(|p| name_matches(p, last))
    }
}

/// `create`, `list_*` (prefix), `*_async` (suffix), `*` (any name).
pub fn name_matches(pattern: &str, name: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    if let Some(prefix) = pattern.strip_suffix('*') {
        return name.starts_with(prefix);
    }
    if let Some(suffix) = pattern.strip_prefix('*') {
        return name.ends_with(suffix);
    }
    pattern == name
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UrlConf {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub route_functions: Vec<PathPattern>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub include_functions: Vec<PathPattern>,
    /// Routers whose dict maps names to background workers, not to request paths
    /// (Channels' `ChannelNameRouter`, run by `runworker`): the consumers they name are
    /// no request handlers.
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub worker_routers: Vec<PathPattern>,
}

/// How a request path is described in a finding's note, and whether a sync one runs on
/// the framework's event loop; the same three optional keys in every handler table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathNotes {
    /// The note, `{name}` standing for the function (`` `{name}` runs in the Django
    /// admin's request``). Default: "`name` is a request handler (framework)".
    pub note: Option<String>,
    /// The note for a sync handler the framework calls on its event loop (Sanic,
    /// Litestar without `sync_to_thread=True`): a slow call there stalls every request.
    pub loop_note: Option<String>,
    /// The keyword of the registration that moves a sync handler to a thread
    /// (`sync_to_thread=True`): with it, `loop_note` does not apply.
    pub thread_option: Option<String>,
}

macro_rules! path_notes {
    ($t:ty) => {
        impl $t {
            pub fn notes(&self) -> PathNotes {
                PathNotes {
                    note: self.note.clone(),
                    loop_note: self.loop_note.clone(),
                    thread_option: self.thread_option.clone(),
                }
            }
        }
    };
}
path_notes!(ClassView);
path_notes!(DecoratedHandler);
path_notes!(Registration);
path_notes!(SettingHandlers);
path_notes!(RequestSignal);

/// A class attribute listing more handlers of a handler class (`actions = [...]`,
/// `list_display = [...]`): strings name its methods, names are functions.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameList {
    pub attribute: String,
    pub framework: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassView {
    pub framework: String,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub bases: Vec<PathPattern>,
    /// Method names (a trailing `*` matches any suffix: `resolve_*`; `*` alone: every
    /// method whose name does not start with `_`).
    pub methods: Vec<String>,
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub method_decorators: Vec<PathPattern>,
    /// Only the `async def` methods are handlers (the sync ones are helpers the class
    /// hands to a thread itself).
    #[serde(default)]
    pub only_async: bool,
    #[serde(default)]
    pub name_lists: Vec<NameList>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub loop_note: Option<String>,
    #[serde(default)]
    pub thread_option: Option<String>,
    /// Methods the framework calls once per field of the class (`clean_<field>`).
    #[serde(default)]
    pub field_methods: Option<FieldMethods>,
}

/// Methods named after a field (`clean_<field>`, `validate_<field>`): the framework calls
/// one only for a field the class has, so one named after no field never runs.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMethods {
    /// The name before the field's (`clean_`).
    pub prefixes: Vec<String>,
    /// Library bases that declare no field themselves. A class deriving from any other
    /// library class may have fields nobody here can list: its methods all stay handlers.
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub fieldless_bases: Vec<PathPattern>,
    /// Attributes of `self` that code changes to add fields at run time
    /// (`self.fields["url"] = ...`): a class that touches one has fields nobody can list.
    pub dynamic_attributes: Vec<String>,
    /// Methods whose override decides the fields at run time (`get_fields`).
    pub dynamic_methods: Vec<String>,
    /// Methods with one of the prefixes that the framework calls whatever the fields
    /// (`get_value`): always handlers.
    #[serde(default)]
    pub framework_methods: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecoratedHandler {
    pub framework: String,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub decorators: Vec<PathPattern>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub loop_note: Option<String>,
    #[serde(default)]
    pub thread_option: Option<String>,
}

/// A call that registers the functions it is given as handlers (`Route("/", home)`,
/// `app.add_url_rule(...)`, `register.filter("cut", cut)`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    pub framework: String,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub calls: Vec<PathPattern>,
    /// Keywords that take a handler, besides the positional arguments.
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub loop_note: Option<String>,
    #[serde(default)]
    pub thread_option: Option<String>,
    /// An object handed over is called: an instance runs its class's `__call__`, a class
    /// is instantiated and runs its `__init__` (FastAPI's `Depends(Checker("admin"))`).
    #[serde(default)]
    pub calls_objects: bool,
    /// An instance handed over is a resource whose methods of these names the framework
    /// calls per request (Falcon's `on_get`, `on_post`, ...); a trailing `*` matches any
    /// rest (`on_get_*` for a route added with a `suffix`).
    #[serde(default)]
    pub object_methods: Vec<String>,
    /// The first positional argument pairs path patterns with the names of handler
    /// classes (web.py's `urls = ("/", "index", "/login", "auth.login")`): each class
    /// named (in the calling module, or by a dotted path) is a resource whose
    /// `object_methods` the framework calls.
    #[serde(default)]
    pub url_class_pairs: bool,
}

/// Signals sent inside a request (a login, a sign-up): their receivers run in it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSignal {
    pub framework: String,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub signals: Vec<PathPattern>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub loop_note: Option<String>,
    #[serde(default)]
    pub thread_option: Option<String>,
}

/// How receivers are attached: `@receiver(signal)` decorators, and `signal.connect(f)`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalReceivers {
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub decorators: Vec<PathPattern>,
    /// The method of a signal that attaches a receiver (`connect`).
    #[serde(default)]
    pub connect_methods: Vec<String>,
}

/// What a function named by a setting's dotted string is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NamedFunction {
    /// The function runs for each request (a context processor).
    Itself,
    /// A factory run once at start-up: the functions it defines run for each request
    /// (function middleware).
    Nested,
}

/// A project setting whose strings name handlers (`MIDDLEWARE`, the context
/// processors of `TEMPLATES`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingHandlers {
    pub framework: String,
    /// The setting's names (`MIDDLEWARE`, the older `MIDDLEWARE_CLASSES`).
    pub settings: Vec<String>,
    /// Only strings under this dictionary key (`context_processors` in `TEMPLATES`).
    #[serde(default)]
    pub key: Option<String>,
    /// Handler methods of a class it names (`*`: every method not starting with `_`).
    #[serde(default)]
    pub methods: Vec<String>,
    pub functions: NamedFunction,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub loop_note: Option<String>,
    #[serde(default)]
    pub thread_option: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offload {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub calls: Vec<PathPattern>,
    pub methods: Vec<String>,
    /// Calls that run the function they are given (first positional argument) and wait
    /// for it: the function's work is the caller's (`executor.map(fetch, urls)`).
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub runs_argument: Vec<PathPattern>,
    /// Calls that bind arguments to a function without running it (`partial(f, x)`):
    /// handed to a runner, the function they wrap is what runs.
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub binds_arguments: Vec<PathPattern>,
    /// Decorators that make a coroutine function a sync one, run in an event loop of
    /// each call's own (`@async_to_sync`).
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub own_loop_decorators: Vec<PathPattern>,
    /// Calls that run a coroutine to completion in a loop of that call's own
    /// (`asyncio.run(main())`).
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub own_loop_runners: Vec<PathPattern>,
    #[serde(default)]
    pub own_loop_runner_methods: Vec<String>,
}

/// How a group of task methods takes the task's arguments (`rules/python/task_arguments.toml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallShape {
    /// `.delay(*args, **kwargs)`: the call's arguments are the task's.
    Args,
    /// `.apply_async(args=(...), kwargs={...}, **options)`.
    ArgsKwargs,
    /// `.s(...)`: a signature, possibly completed later.
    Partial,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallSite {
    /// Method names; `()` is the call of the task itself.
    pub methods: Vec<String>,
    pub shape: CallShape,
    #[serde(default)]
    pub args_position: Option<usize>,
    #[serde(default)]
    pub kwargs_position: Option<usize>,
}

/// One framework's enqueue and inline-run call shapes (TL104, TL106).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskArguments {
    /// The `id` of a `[[framework]]` of task_frameworks.toml.
    pub id: String,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub consumed: Vec<String>,
    #[serde(default)]
    pub chain: Vec<String>,
    #[serde(default)]
    pub immutable: Vec<String>,
    #[serde(default)]
    pub same_task: Vec<String>,
    #[serde(default)]
    pub skip_options: Vec<String>,
    #[serde(default)]
    pub unchecked_options: Vec<String>,
    #[serde(default)]
    pub checks_at_enqueue: bool,
    #[serde(default)]
    pub base_option: Option<String>,
    #[serde(default)]
    pub dispatch_methods: Vec<String>,
    #[serde(default)]
    pub site: Vec<CallSite>,
}

impl TaskArguments {
    pub fn site(&self, method: &str) -> Option<&CallSite> {
        self.site
            .iter()
            .find(|s| s.methods.iter().any(|m| m == method))
    }
}

/// An import of an API a framework removed (TL201).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemovedImport {
    pub module: String,
    pub removed_in: String,
    /// The package and release that removed it: a project whose declared dependencies
    /// stay below that release still has it.
    pub package: String,
    pub version: String,
    /// What to use instead, by imported name (`*`: any other name).
    pub replacements: std::collections::BTreeMap<String, String>,
}

impl RemovedImport {
    pub fn replacement(&self, name: &str) -> Option<&str> {
        self.replacements
            .get(name)
            .or_else(|| self.replacements.get("*"))
            .map(String::as_str)
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NonTaskDecorators {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub calls: Vec<PathPattern>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardingDecorators {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub calls: Vec<PathPattern>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub context_manager_factories: Vec<PathPattern>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coroutines {
    /// Framework ids whose workers cannot run an `async def` task (TL107).
    pub unsupported: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskArgumentsFile {
    framework: Vec<TaskArguments>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskDeclarationsFile {
    removed_import: Vec<RemovedImport>,
    non_task_decorators: NonTaskDecorators,
    forwarding_decorators: ForwardingDecorators,
    coroutines: Coroutines,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrameworksFile {
    framework: Vec<TaskFramework>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlowCallsFile {
    slow_call: Vec<SlowCall>,
    #[serde(default)]
    mounted_view: Vec<MountedView>,
}

/// A library view that makes a slow call itself, mounted by the project in a URLconf
/// (`path("reset/", PasswordResetView.as_view())`, `include("django.contrib.auth.urls")`):
/// no project code is on the way, so the finding is at the mount.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MountedView {
    /// The view classes (routed with `.as_view()`, or subclassed by a project view)
    /// and view functions.
    #[serde(default)]
    pub views: Vec<String>,
    /// URLconf modules `include(...)` mounts that route one of the views.
    #[serde(default)]
    pub includes: Vec<String>,
    /// A project subclass that defines one of these methods does the work its own way:
    /// its code is followed instead, and the mount is not reported.
    #[serde(default)]
    pub unless_overrides: Vec<String>,
    /// The catalogued call the view makes (its `calls` text in a `[[slow_call]]`): that
    /// entry's description, severity and `quiet_when` apply.
    pub does: String,
    /// When in the request it happens, for the finding's note.
    pub when: String,
    /// What to do instead (the help line).
    pub instead: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HandlersFile {
    urlconf: UrlConf,
    class_view: Vec<ClassView>,
    decorated: Vec<DecoratedHandler>,
    #[serde(default)]
    registration: Vec<Registration>,
    #[serde(default)]
    setting: Vec<SettingHandlers>,
    #[serde(default)]
    signal_receivers: SignalReceivers,
    #[serde(default)]
    signal: Vec<RequestSignal>,
    #[serde(default)]
    loaded_by_import: LoadedByImport,
}

/// Handler kinds whose modules only run when project code imports or names them.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadedByImport {
    pub frameworks: Vec<String>,
    /// Module names the framework loads by name (`admin.py`): never in doubt.
    pub autoloaded_modules: Vec<String>,
    /// Names of a package's URLconf module (`urls`).
    pub urlconf_modules: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OffloadFile {
    offload: Offload,
}

#[derive(Clone, Debug)]
pub struct Knowledge {
    pub frameworks: Vec<TaskFramework>,
    pub slow_calls: Vec<SlowCall>,
    pub mounted_views: Vec<MountedView>,
    pub urlconf: UrlConf,
    pub class_views: Vec<ClassView>,
    pub decorated_handlers: Vec<DecoratedHandler>,
    /// Calls that register the functions they are given as handlers.
    pub registrations: Vec<Registration>,
    /// Settings whose dotted strings name handlers (middleware, context processors).
    pub setting_handlers: Vec<SettingHandlers>,
    /// How signal receivers are attached, and the signals sent inside a request.
    pub signal_receivers: SignalReceivers,
    pub request_signals: Vec<RequestSignal>,
    pub loaded_by_import: LoadedByImport,
    pub offload: Offload,
    /// How task methods take the task's arguments, by framework (TL104, TL106).
    pub task_arguments: Vec<TaskArguments>,
    pub removed_imports: Vec<RemovedImport>,
    pub non_task_decorators: NonTaskDecorators,
    pub forwarding_decorators: ForwardingDecorators,
    pub coroutines: Coroutines,
    /// What Django models, querysets, requests and files look like (local data flow).
    pub django: DjangoModels,
    /// How tasks are enqueued, waited on, named by string and deferred to a commit.
    pub task_calls: TaskCalls,
    /// What a Celery worker imports when it starts (TL204).
    pub celery_worker: CeleryWorker,
    /// Which classes and functions are test code wherever they are written.
    pub test_code: TestCode,
    /// Properties, and results the process keeps (`lru_cache`).
    pub values: Values,
    /// Command-line and start-up code (outside requests).
    pub entry_points: EntryPoints,
    /// Rust: blocking catalogue, handler shapes, offload calls (`rules/rust/*.toml`).
    pub rust: rust::RustKnowledge,
    /// Slow-call patterns by their last name, so a call is matched against a handful of
    /// candidates instead of the whole catalogue.
    slow_by_last: StableMap<String, Vec<(usize, usize)>>,
    /// Patterns that take any name (`boto3.client().*`), by the top-level package of
    /// their root (`boto3`): a call is only checked against those of the packages its
    /// value comes from.
    slow_wild_by_top: StableMap<String, Vec<(usize, usize)>>,
}

impl Knowledge {
    fn from_sources(
        frameworks: &str,
        slow_calls: &str,
        handlers: &str,
        offload: &str,
    ) -> Result<Knowledge, String> {
        let f: FrameworksFile =
            toml::from_str(frameworks).map_err(|e| format!("task_frameworks.toml: {e}"))?;
        let s: SlowCallsFile =
            toml::from_str(slow_calls).map_err(|e| format!("slow_calls.toml: {e}"))?;
        let h: HandlersFile =
            toml::from_str(handlers).map_err(|e| format!("handlers.toml: {e}"))?;
        let o: OffloadFile = toml::from_str(offload).map_err(|e| format!("offload.toml: {e}"))?;
        let ta: TaskArgumentsFile =
            toml::from_str(TASK_ARGUMENTS).map_err(|e| format!("task_arguments.toml: {e}"))?;
        let td: TaskDeclarationsFile = toml::from_str(TASK_DECLARATIONS)
            .map_err(|e| format!("task_declarations.toml: {e}"))?;
        let django: DjangoModels =
            toml::from_str(DJANGO_MODELS).map_err(|e| format!("django_models.toml: {e}"))?;
        let task_calls: TaskCalls =
            toml::from_str(TASK_CALLS).map_err(|e| format!("task_calls.toml: {e}"))?;
        let celery_worker: CeleryWorker =
            toml::from_str(CELERY_WORKER).map_err(|e| format!("celery_worker.toml: {e}"))?;
        let test_code: TestCode =
            toml::from_str(TEST_CODE).map_err(|e| format!("test_code.toml: {e}"))?;
        let values: Values = toml::from_str(VALUES).map_err(|e| format!("values.toml: {e}"))?;
        let entry_points: EntryPoints =
            toml::from_str(ENTRY_POINTS).map_err(|e| format!("entry_points.toml: {e}"))?;
        let mut k = Knowledge {
            frameworks: f.framework,
            slow_calls: s.slow_call,
            mounted_views: s.mounted_view,
            urlconf: h.urlconf,
            class_views: h.class_view,
            decorated_handlers: h.decorated,
            registrations: h.registration,
            setting_handlers: h.setting,
            signal_receivers: h.signal_receivers,
            request_signals: h.signal,
            loaded_by_import: h.loaded_by_import,
            offload: o.offload,
            task_arguments: ta.framework,
            removed_imports: td.removed_import,
            non_task_decorators: td.non_task_decorators,
            forwarding_decorators: td.forwarding_decorators,
            coroutines: td.coroutines,
            django,
            task_calls,
            celery_worker,
            test_code,
            values,
            entry_points,
            rust: rust::RustKnowledge::builtin()?,
            slow_by_last: StableMap::default(),
            slow_wild_by_top: StableMap::default(),
        };
        k.reindex();
        Ok(k)
    }

    /// Rebuilds lookup tables after the tables were extended.
    pub fn reindex(&mut self) {
        self.slow_by_last.clear();
        self.slow_wild_by_top.clear();
        for (i, entry) in self.slow_calls.iter().enumerate() {
            // A wildcard whose entry admits only plain names (`only = ["create", ...]`)
            // can only match those: index it under them, not under `*`, which every call
            // of the project is checked against.
            let plain_only = !entry.only.is_empty() && entry.only.iter().all(|n| !n.contains('*'));
            for (j, p) in entry.calls.iter().enumerate() {
                let last = p.last_name();
                if last == "*" && plain_only {
                    for n in &entry.only {
                        self.slow_by_last.entry(n.clone()).or_default().push((i, j));
                    }
                } else if last == "*" {
                    let top = p.root.split('.').next().unwrap_or_default();
                    self.slow_wild_by_top
                        .entry(top.to_string())
                        .or_default()
                        .push((i, j));
                } else {
                    self.slow_by_last
                        .entry(last.to_string())
                        .or_default()
                        .push((i, j));
                }
            }
        }
    }

    /// Candidate slow-call patterns for a value whose last name is `last` and that comes
    /// from the top-level packages `tops` (`boto3` for what `boto3.client(...)` returns):
    /// `(entry, pattern)`.
    pub fn slow_call_candidates<'a>(
        &'a self,
        last: &str,
        tops: &[&str],
    ) -> impl Iterator<Item = (&'a SlowCall, &'a PathPattern)> + 'a {
        let exact = self.slow_by_last.get(last).into_iter().flatten();
        let wild: Vec<&(usize, usize)> = tops
            .iter()
            .filter_map(|t| self.slow_wild_by_top.get(*t))
            .flatten()
            .collect();
        exact
            .chain(wild)
            .map(|(i, j)| (&self.slow_calls[*i], &self.slow_calls[*i].calls[*j]))
    }

    pub fn framework(&self, id: &str) -> Option<usize> {
        self.frameworks.iter().position(|f| f.id == id)
    }

    /// The catalogue entry whose call a mounted library view makes.
    pub fn mounted_view_call(&self, view: &MountedView) -> Option<&SlowCall> {
        self.slow_calls
            .iter()
            .find(|e| e.calls.iter().any(|p| p.text == view.does))
    }

    /// The call shapes of a framework of `frameworks` (by index).
    pub fn task_arguments(&self, framework: usize) -> Option<&TaskArguments> {
        let id = &self.frameworks.get(framework)?.id;
        self.task_arguments.iter().find(|t| &t.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_data_parses() {
        let k = &*BUILTIN;
        assert!(k.framework("celery").is_some());
        assert!(k.framework("huey").is_some());
        assert!(k.slow_call_candidates("sleep", &[]).next().is_some());
        assert!(
            k.slow_call_candidates("upload_part", &["boto3"])
                .any(|(e, _)| e.category == "cloud API")
        );
        assert!(
            k.slow_call_candidates("upload_part", &["requests"])
                .next()
                .is_none()
        );
    }

    /// Every mounted library view names a call the catalogue has.
    #[test]
    fn mounted_views_name_catalogued_calls() {
        let k = &*BUILTIN;
        assert!(!k.mounted_views.is_empty());
        for v in &k.mounted_views {
            assert!(k.mounted_view_call(v).is_some(), "{}", v.does);
        }
    }

    /// The same kind of call gets the same severity wherever it is listed (`open()` and
    /// `Path.read_text` are both file I/O).
    #[test]
    fn slow_call_categories_share_a_severity() {
        let k = &*BUILTIN;
        let mut seen: HashMap<&str, Severity> = HashMap::new();
        for e in &k.slow_calls {
            let s = *seen.entry(e.category.as_str()).or_insert(e.severity);
            assert_eq!(
                s, e.severity,
                "slow_calls.toml: category `{}` has entries of different severities",
                e.category
            );
        }
    }

    #[test]
    fn task_argument_data_names_known_frameworks() {
        let k = &*BUILTIN;
        for t in &k.task_arguments {
            assert!(
                k.framework(&t.id).is_some(),
                "task_arguments.toml: `{}`",
                t.id
            );
            for s in &t.site {
                if s.shape != CallShape::ArgsKwargs {
                    assert!(s.args_position.is_none() && s.kwargs_position.is_none());
                }
            }
        }
        for id in &k.coroutines.unsupported {
            assert!(k.framework(id).is_some(), "task_declarations.toml: `{id}`");
        }
        let celery = k.task_arguments(k.framework("celery").unwrap()).unwrap();
        assert_eq!(celery.site("delay").unwrap().shape, CallShape::Args);
        assert!(!k.removed_imports.is_empty());
    }
}

//! `rules/python/task_calls.toml`: how code enqueues, waits on, names and defers tasks.

use serde::Deserialize;

use super::pattern::{self, PathPattern};

/// Where a task's own arguments are in an enqueue call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArgumentLayout {
    /// Every argument: `t.delay(a, b=1)`.
    All,
    /// `args=` / `kwargs=`, or the first two positionals: `t.apply_async((a,), {})`.
    ArgsKwargs,
    /// The task name first, then `args` / `kwargs`: `app.send_task("n", (a,))`.
    NameArgsKwargs,
    /// The function first, then its arguments minus the queue's options.
    AfterFunction,
    /// A time, the function, then its arguments.
    AfterTimeFunction,
}

/// What an enqueue call gives back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Returns {
    /// A handle on the enqueued task.
    Result,
    /// A signature: nothing is enqueued yet.
    Signature,
    None,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskMethod {
    pub framework: String,
    pub methods: Vec<String>,
    pub arguments: ArgumentLayout,
    pub returns: Returns,
    #[serde(default)]
    pub deferred: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureMethods {
    pub methods: Vec<String>,
    /// The layout of each method, in the same order.
    pub arguments: Vec<ArgumentLayout>,
    pub returns_signature: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnqueueCall {
    pub queue: String,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub calls: Vec<PathPattern>,
    pub arguments: ArgumentLayout,
    #[serde(default)]
    pub options: Vec<String>,
    pub returns: Returns,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SerializerKind {
    Json,
    Pickle,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Serializer {
    pub queue: String,
    pub default: SerializerKind,
    #[serde(default)]
    pub settings: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Results {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub by_id: Vec<PathPattern>,
    pub by_id_task_methods: Vec<String>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub canvas: Vec<PathPattern>,
    pub canvas_methods: Vec<String>,
    pub wait_methods: Vec<String>,
    pub read_attributes: Vec<String>,
    pub wait_allowed_keyword: String,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub wait_allowed_contexts: Vec<PathPattern>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskNameKind {
    /// A registered Celery task name.
    Celery,
    /// A dotted path to a module-level function.
    Function,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskNameSite {
    pub kind: TaskNameKind,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub calls: Vec<PathPattern>,
    #[serde(default)]
    pub position: Option<usize>,
    #[serde(default)]
    pub keyword: Option<String>,
    /// A dict keyword whose entry under `keyword` is the name (`defaults={"task": ...}`).
    #[serde(default)]
    pub defaults_keyword: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Beat {
    pub task_key: String,
    pub schedule_key: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransactionalWhen {
    pub queue: String,
    pub setting: String,
    #[serde(default)]
    pub has_key: Option<String>,
    #[serde(default)]
    pub string_contains: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transactions {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub atomic: Vec<PathPattern>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub on_commit: Vec<PathPattern>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub partial: Vec<PathPattern>,
    pub transactional: Vec<String>,
    #[serde(default)]
    pub transactional_when: Vec<TransactionalWhen>,
    /// A setting that runs every view of some kinds in a transaction of its own.
    #[serde(default)]
    pub request_wide: Option<RequestWide>,
}

/// Django's `ATOMIC_REQUESTS`: `setting` (a dict of databases) has an entry whose dict
/// sets `key` to `True`; handlers of the kinds in `handlers` then run inside a
/// transaction, unless decorated with one of `opt_out` (on the function, its class, or
/// the class's `dispatch`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestWide {
    pub setting: String,
    pub key: String,
    pub handlers: Vec<String>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub opt_out: Vec<PathPattern>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    pub method: String,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub task_classes: Vec<PathPattern>,
    pub frameworks: Vec<String>,
    /// The exception `retry()` raises and its bases: handlers of these catch it.
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub caught_by: Vec<PathPattern>,
    pub throw_keyword: String,
    pub exc_keyword: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskCalls {
    pub task_method: Vec<TaskMethod>,
    pub signature: SignatureMethods,
    pub enqueue_call: Vec<EnqueueCall>,
    pub serializer: Vec<Serializer>,
    pub results: Results,
    pub task_name: Vec<TaskNameSite>,
    pub beat: Beat,
    pub transactions: Transactions,
    pub blocking_enqueue: BlockingEnqueue,
    pub retry: Retry,
}

/// Queues whose enqueue call does synchronous I/O: blocking in `async def` code.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockingEnqueue {
    pub queues: Vec<String>,
    pub how_slow: String,
    pub help: String,
}

impl TaskCalls {
    /// The entry for `method` called on a task of `framework`.
    pub fn task_method(&self, framework: &str, method: &str) -> Option<&TaskMethod> {
        self.task_method
            .iter()
            .find(|m| m.framework == framework && m.methods.iter().any(|x| x == method))
    }

    pub fn serializer(&self, queue: &str) -> Option<&Serializer> {
        self.serializer.iter().find(|s| s.queue == queue)
    }
}

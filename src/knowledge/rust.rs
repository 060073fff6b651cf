//! Rust knowledge: the blocking catalogue, handler shapes, offload calls, library module
//! contents and rusty-celery, from `rules/rust/*.toml`.

use serde::Deserialize;

use super::pattern::{self, PathPattern};

const BLOCKING_CALLS: &str = include_str!("../../rules/rust/blocking_calls.toml");
const HANDLERS: &str = include_str!("../../rules/rust/handlers.toml");
const OFFLOAD: &str = include_str!("../../rules/rust/offload.toml");
const RESOLUTION: &str = include_str!("../../rules/rust/resolution.toml");
const TASKS: &str = include_str!("../../rules/rust/tasks.toml");

/// How bad a blocking call is inside an async runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockingSeverity {
    UsuallyFine,
    Blocks,
    Panics,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockingCall {
    pub id: String,
    pub kind: String,
    pub severity: BlockingSeverity,
    /// The rule that reports it: TL302 (default) or TL304.
    #[serde(default = "default_rule")]
    pub rule: String,
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub calls: Vec<PathPattern>,
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub receivers: Vec<PathPattern>,
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub args: Vec<PathPattern>,
    /// A `calls` match whose first argument comes from one of these paths is not one:
    /// a reader over bytes already in memory (`std::io::Cursor`) does no I/O.
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub unless_first_arg: Vec<PathPattern>,
    /// A `methods` match whose receiver the code builds small is not one (see
    /// [`SmallInput`]).
    #[serde(default)]
    pub small_inputs: Vec<SmallInput>,
    pub why: String,
    pub instead: String,
}

/// A call that fixes how much work the value it builds takes: the leading arguments are
/// sizes (`argon2::Params::new(memory_kib, passes, ..)`, `image::RgbImage::new(width,
/// height)`). When every one of them is an integer literal within `at_most`, the work
/// done on that value is too small to hold a worker.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmallInput {
    #[serde(deserialize_with = "pattern::deserialize_one")]
    pub call: PathPattern,
    pub at_most: Vec<i64>,
}

fn default_rule() -> String {
    "TL302".into()
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeHandler {
    pub framework: String,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub attributes: Vec<PathPattern>,
    #[serde(default)]
    pub sync_on_runtime: bool,
    /// The dependency whose version decides `sync_before`.
    #[serde(default, rename = "crate")]
    pub krate: Option<String>,
    #[serde(default)]
    pub sync_before: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    pub framework: String,
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub calls: Vec<PathPattern>,
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub receivers: Vec<PathPattern>,
    #[serde(default)]
    pub sync_on_runtime: bool,
    /// The positional arguments that are handlers (0-based); empty: every one.
    #[serde(default)]
    pub positions: Vec<usize>,
}

/// An `impl` block whose methods a framework calls per request: one carrying an
/// attribute (`#[Object] impl Query`), or one implementing a trait (`impl Service<R> for
/// Auth`), then only the named methods (empty: all).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImplHandler {
    pub framework: String,
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub attributes: Vec<PathPattern>,
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub traits: Vec<PathPattern>,
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default)]
    pub sync_on_runtime: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffloadMethod {
    pub name: String,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub receivers: Vec<PathPattern>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RustOffload {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub calls: Vec<PathPattern>,
    pub methods: Vec<String>,
    #[serde(default)]
    pub method: Vec<OffloadMethod>,
}

/// Closures that run right where they are passed (see `[inline]` in offload.toml).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InlineClosures {
    pub methods: Vec<String>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub calls: Vec<PathPattern>,
    #[serde(default)]
    pub env_fallback: EnvFallback,
}

/// The fallback of an environment read (`env::var("TOKEN").or_else(|_| git_config())`):
/// it runs only where the process lacks the variable, so its calls are not followed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvFallback {
    /// The reads: a closure handed to one of `methods` on a chain starting at one.
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub reads: Vec<PathPattern>,
    #[serde(default)]
    pub methods: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spawn {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub calls: Vec<PathPattern>,
    /// Constructors of connected pairs (channels, websocket handles).
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub pairs: Vec<PathPattern>,
    /// Methods whose closure runs per upgraded connection (`on_upgrade`).
    #[serde(default)]
    pub connection_callbacks: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlobModule {
    /// `actix_web::web`, stored with `.` like every resolved path.
    #[serde(deserialize_with = "deserialize_path")]
    pub module: String,
    pub names: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Celery {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub task_attributes: Vec<PathPattern>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub app_macros: Vec<PathPattern>,
    pub send_methods: Vec<String>,
    pub register_methods: Vec<String>,
    pub consume_methods: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockingFile {
    blocking: Vec<BlockingCall>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HandlersFile {
    attribute: Vec<AttributeHandler>,
    registration: Vec<Registration>,
    #[serde(rename = "impl")]
    impls: Vec<ImplHandler>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OffloadFile {
    offload: RustOffload,
    spawn: Spawn,
    inline: InlineClosures,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Types {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    transparent: Vec<PathPattern>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolutionFile {
    glob: Vec<GlobModule>,
    lib_names: super::StableMap<String, String>,
    prelude: super::StableMap<String, String>,
    types: Types,
}

/// A Rust job queue (see `[[job_queue]]` in tasks.toml).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobQueue {
    pub name: String,
    #[serde(default)]
    pub worker_methods: Vec<String>,
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub workers: Vec<PathPattern>,
    #[serde(default)]
    pub push_methods: Vec<String>,
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub storages: Vec<PathPattern>,
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub envelopes: Vec<PathPattern>,
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub job_traits: Vec<PathPattern>,
    #[serde(default)]
    pub register_methods: Vec<String>,
    #[serde(default)]
    pub enqueue_methods: Vec<String>,
    pub enqueue_hint: String,
}

impl JobQueue {
    /// Every library path the entry names.
    pub fn paths(&self) -> impl Iterator<Item = &PathPattern> {
        self.workers
            .iter()
            .chain(&self.storages)
            .chain(&self.envelopes)
            .chain(&self.job_traits)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TasksFile {
    celery: Celery,
    #[serde(default)]
    job_queue: Vec<JobQueue>,
}

fn deserialize_path<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let raw = String::deserialize(d)?;
    PathPattern::parse(&raw)
        .map(|p| p.root)
        .map_err(serde::de::Error::custom)
}

#[derive(Clone, Debug)]
pub struct RustKnowledge {
    pub blocking: Vec<BlockingCall>,
    pub attribute_handlers: Vec<AttributeHandler>,
    pub registrations: Vec<Registration>,
    pub impl_handlers: Vec<ImplHandler>,
    pub offload: RustOffload,
    pub spawn: Spawn,
    pub inline: InlineClosures,
    pub globs: Vec<GlobModule>,
    /// std prelude name → its path (with `.`).
    pub prelude: super::StableMap<String, String>,
    /// Package name → library name, where they differ beyond `-`/`_`.
    pub lib_names: super::StableMap<String, String>,
    pub transparent: Vec<PathPattern>,
    pub celery: Celery,
    pub jobs: Vec<JobQueue>,
}

impl RustKnowledge {
    pub fn builtin() -> Result<RustKnowledge, String> {
        let b: BlockingFile =
            toml::from_str(BLOCKING_CALLS).map_err(|e| format!("rust/blocking_calls.toml: {e}"))?;
        let h: HandlersFile =
            toml::from_str(HANDLERS).map_err(|e| format!("rust/handlers.toml: {e}"))?;
        let o: OffloadFile =
            toml::from_str(OFFLOAD).map_err(|e| format!("rust/offload.toml: {e}"))?;
        let r: ResolutionFile =
            toml::from_str(RESOLUTION).map_err(|e| format!("rust/resolution.toml: {e}"))?;
        let t: TasksFile = toml::from_str(TASKS).map_err(|e| format!("rust/tasks.toml: {e}"))?;
        for entry in &b.blocking {
            if entry.calls.is_empty() && entry.methods.is_empty() {
                return Err(format!(
                    "rust/blocking_calls.toml: `{}` has neither calls nor methods",
                    entry.id
                ));
            }
        }
        let prelude = r
            .prelude
            .into_iter()
            .map(|(k, v)| (k, v.replace("::", ".")))
            .collect();
        Ok(RustKnowledge {
            blocking: b.blocking,
            attribute_handlers: h.attribute,
            registrations: h.registration,
            impl_handlers: h.impls,
            offload: o.offload,
            spawn: o.spawn,
            inline: o.inline,
            globs: r.glob,
            prelude,
            lib_names: r.lib_names,
            transparent: r.types.transparent,
            celery: t.celery,
            jobs: t.job_queue,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rust_data_parses() {
        let k = RustKnowledge::builtin().unwrap();
        assert!(k.blocking.iter().any(|b| b.id == "thread-sleep"));
        assert!(k.blocking.iter().any(|b| b.rule == "TL304"));
        assert!(k.globs.iter().any(|g| g.module == "actix_web.web"));
        assert_eq!(k.prelude["Option"], "std.option.Option");
    }
}

//! Rust job queues besides rusty-celery (`[[job_queue]]` in `rules/rust/tasks.toml`): job
//! functions handed to a worker builder (apalis), job types registered with a runner
//! (crates.io's worker), and where the project enqueues jobs. Found once, on first use.

use std::collections::{HashMap, HashSet};

use crate::model::{ExprKind, Span};
use crate::source::FileId;

use super::super::{CallRef, ClassRef, FuncRef, Project, Value};
use super::resolve::{origin, path_under};

/// A function a worker is built with: it runs each job of its queue.
#[derive(Clone, Debug)]
pub struct JobHandler {
    /// Index into the knowledge's job queues.
    pub queue: usize,
    /// Where the worker is built with it.
    pub registered_at: (FileId, Span),
}

/// A job the project enqueues.
#[derive(Clone, Debug)]
pub struct Enqueued {
    pub queue: usize,
    /// The job's type (its definition).
    pub job: ClassRef,
    pub at: (FileId, Span),
    /// The workspace of the enqueuing code.
    pub workspace: String,
}

#[derive(Debug, Default)]
pub struct RustJobs {
    pub handlers: HashMap<FuncRef, JobHandler>,
    /// (queue, workspace) pairs where the project builds a worker or registers a job.
    pub workers: HashSet<(usize, String)>,
    /// (queue, workspace, job type key): the job types workers are built for.
    pub registered: HashSet<(usize, String, String)>,
    pub enqueued: Vec<Enqueued>,
}

impl Project {
    pub fn rust_jobs(&self) -> &RustJobs {
        self.rust.jobs.get_or_init(|| find(self))
    }

    /// The type definition a value is an instance of.
    fn rust_job_type(&self, v: &Value) -> Option<ClassRef> {
        let Value::Instance(c) = v else { return None };
        let key = self.rust.key_of(*c)?;
        self.rust.type_by_key(key)
    }
}

fn find(project: &Project) -> RustJobs {
    let queues = &project.knowledge.rust.jobs;
    let mut out = RustJobs::default();
    if queues.is_empty() {
        return out;
    }
    // Job types by the trait they implement: key → queue.
    let mut trait_jobs: HashMap<String, usize> = HashMap::new();
    for (file, model) in project.rust_models() {
        for imp in &model.rust.impls {
            let Some(t) = &imp.trait_ else { continue };
            let parent = model.classes[imp.class].parent;
            let tv = project.rust_type_head(file, parent, t, 0);
            let Some(q) = queues
                .iter()
                .position(|q| q.job_traits.iter().any(|p| project.rust_matches(&tv, p)))
            else {
                continue;
            };
            let class = ClassRef {
                file,
                class: imp.class,
            };
            if let Some(key) = project.rust.key_of(class) {
                trait_jobs.insert(key.to_string(), q);
            }
        }
    }
    for (file, model) in project.rust_models() {
        let mut workspace: Option<String> = None;
        for (id, c) in model.calls.iter().enumerate() {
            if c.is_macro {
                continue;
            }
            let Some(m) = c.method_name() else { continue };
            let call = CallRef { file, call: id };
            for (qi, q) in queues.iter().enumerate() {
                let worker = q.worker_methods.iter().any(|x| x == m);
                let register = q.register_methods.iter().any(|x| x == m);
                let push = q.push_methods.iter().any(|x| x == m);
                let enqueue = q.enqueue_methods.iter().any(|x| x == m);
                if !(worker || register || push || enqueue) {
                    continue;
                }
                let recv_origin = match project.callee(call) {
                    Value::Attr(base, _) => origin(base).map(str::to_string),
                    _ => None,
                };
                let under = |roots: &[crate::knowledge::PathPattern]| {
                    recv_origin
                        .as_deref()
                        .is_some_and(|o| roots.iter().any(|p| path_under(o, &p.root)))
                };
                let ws = workspace
                    .get_or_insert_with(|| project.rust.workspace_of(project, file))
                    .clone();
                if worker && under(&q.workers) {
                    let Some(arg) = c.positional().next() else {
                        continue;
                    };
                    let Value::Function(f) = project.resolve(file, c.scope, &arg.value) else {
                        continue;
                    };
                    out.workers.insert((qi, ws.clone()));
                    out.handlers.insert(
                        f,
                        JobHandler {
                            queue: qi,
                            registered_at: (file, c.span),
                        },
                    );
                    if let Some(key) = first_param_type(project, f) {
                        out.registered.insert((qi, ws, key));
                    }
                } else if register {
                    let mut types: Vec<String> = Vec::new();
                    if let Some((_, ts)) = model.rust.turbofish.iter().find(|(cid, _)| *cid == id) {
                        for t in ts {
                            if let Value::Class(tc) = project.rust_type_head(file, c.scope, t, 0)
                                && let Some(k) = project.rust.key_of(tc)
                            {
                                types.push(k.to_string());
                            }
                        }
                    } else if let Some(arg) = c.positional().next()
                        && let Some(tc) =
                            project.rust_job_type(&project.resolve(file, c.scope, &arg.value))
                        && let Some(k) = project.rust.key_of(tc)
                    {
                        types.push(k.to_string());
                    }
                    let known: Vec<String> = types
                        .into_iter()
                        .filter(|k| trait_jobs.get(k) == Some(&qi))
                        .collect();
                    if !known.is_empty() {
                        out.workers.insert((qi, ws.clone()));
                    }
                    for k in known {
                        out.registered.insert((qi, ws.clone(), k));
                    }
                } else if push && under(&q.storages) {
                    let Some(arg) = c.positional().next() else {
                        continue;
                    };
                    // `Task::new(job)`: the job is inside the envelope.
                    let mut value = &arg.value;
                    if let ExprKind::Call(inner) = value.kind {
                        let inner_ref = CallRef { file, call: inner };
                        let callee = project.callee(inner_ref);
                        if q.envelopes.iter().any(|p| project.matches(callee, p))
                            && let Some(a) = model.calls[inner].positional().next()
                        {
                            value = &a.value;
                        }
                    }
                    let v = project.resolve(file, c.scope, value);
                    if let Some(job) = project.rust_job_type(&v) {
                        out.enqueued.push(Enqueued {
                            queue: qi,
                            job,
                            at: (file, c.span),
                            workspace: ws,
                        });
                    }
                } else if enqueue
                    && let Some(recv) = c.receiver()
                    && let Some(job) = project.rust_job_type(&project.resolve(file, c.scope, recv))
                    && project
                        .rust
                        .key_of(job)
                        .is_some_and(|k| trait_jobs.get(k) == Some(&qi))
                {
                    out.enqueued.push(Enqueued {
                        queue: qi,
                        job,
                        at: (file, c.span),
                        workspace: ws,
                    });
                }
            }
        }
    }
    out
}

/// The key of the type of a function's first parameter (an apalis job function takes
/// its job first).
fn first_param_type(project: &Project, f: FuncRef) -> Option<String> {
    let model = &project.models[f.file];
    let s = &model.scopes[f.scope];
    let p = s.params.first().filter(|p| p.name != "self")?;
    let ty = p.annotation.as_ref()?;
    let parent = s.parent.unwrap_or(0);
    match project.rust_type_head(f.file, parent, ty, 0) {
        Value::Class(c) => project.rust.key_of(c).map(str::to_string),
        _ => None,
    }
}

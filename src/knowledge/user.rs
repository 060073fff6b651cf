//! The knowledge a project's configuration adds (`task-decorators`, `slow-calls`,
//! `handler-decorators`, `handler-base-classes`), merged into the tables every rule
//! reads, so a project's own wrapper around `shared_task` is a task decorator like any
//! other.

use super::{ClassView, DecoratedHandler, Knowledge, PathPattern, SlowCall};
use crate::settings::Settings;

impl Knowledge {
    /// Adds the configuration's knowledge to these tables. The settings were checked
    /// when they were read; an error here names what does not fit.
    pub fn extend_with(&mut self, settings: &Settings) -> Result<(), String> {
        for d in &settings.task_decorators {
            let framework = self
                .framework(&d.framework)
                .ok_or_else(|| format!("unknown task framework `{}`", d.framework))?;
            self.frameworks[framework]
                .decorators
                .push(PathPattern::parse(&d.path)?);
        }
        for c in &settings.slow_calls {
            self.slow_calls.push(SlowCall {
                category: "slow call (slow-calls in the configuration)".into(),
                calls: vec![PathPattern::parse(&c.path)?],
                why: c.reason.clone(),
                instead: c.instead.clone(),
                async_alternative: None,
                severity: c.severity,
                async_only: false,
                only_on_server_loops: false,
                how_slow: None,
                only: Vec::new(),
                except_names: Vec::new(),
                only_in_with: false,
                waits_once: false,
                quiet_when: None,
                unless_project_command: false,
                off_with_false: Vec::new(),
                on_with_true: Vec::new(),
                only_with_string: None,
            });
        }
        for d in &settings.handler_decorators {
            self.decorated_handlers.push(DecoratedHandler {
                framework: format!(
                    "decorated with `@{d}`, a handler decorator of the configuration"
                ),
                decorators: vec![PathPattern::parse(d)?],
                note: None,
                loop_note: None,
                thread_option: None,
            });
        }
        for b in &settings.handler_base_classes {
            self.class_views.push(ClassView {
                framework: format!(
                    "subclass of `{}`, a handler base class of the configuration",
                    b.path
                ),
                bases: vec![PathPattern::parse(&b.path)?],
                methods: b.methods.clone(),
                method_decorators: Vec::new(),
                only_async: false,
                name_lists: Vec::new(),
                note: None,
                loop_note: None,
                thread_option: None,
                field_methods: None,
            });
        }
        for c in &settings.blocking_calls {
            self.rust.blocking.push(super::rust::BlockingCall {
                id: format!("config:{}", c.path),
                kind: "blocking call (blocking-calls in the configuration)".into(),
                severity: super::rust::BlockingSeverity::Blocks,
                rule: "TL302".into(),
                calls: vec![PathPattern::parse(&c.path)?],
                methods: Vec::new(),
                receivers: Vec::new(),
                args: Vec::new(),
                unless_first_arg: Vec::new(),
                small_inputs: Vec::new(),
                why: c.reason.clone(),
                instead: "run it in `tokio::task::spawn_blocking(...)`, or use an async API".into(),
            });
        }
        self.reindex();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::settings::{ExtraSlowCall, Settings, TaskDecorator};

    #[test]
    fn extensions_land_in_the_tables() {
        let mut k = super::super::BUILTIN.clone();
        let settings = Settings {
            task_decorators: vec![TaskDecorator {
                path: "myproj.tasks.instrumented_task".into(),
                framework: "celery".into(),
            }],
            slow_calls: vec![ExtraSlowCall {
                path: "myproj.billing.charge".into(),
                reason: "calls the payment API".into(),
                severity: crate::diagnostic::Severity::Error,
                instead: None,
            }],
            ..Settings::default()
        };
        k.extend_with(&settings).unwrap();
        let celery = &k.frameworks[k.framework("celery").unwrap()];
        assert!(
            celery
                .decorators
                .iter()
                .any(|p| p.root == "myproj.tasks.instrumented_task")
        );
        assert!(
            k.slow_call_candidates("charge", &[])
                .any(|(e, _)| e.why == "calls the payment API")
        );
    }
}

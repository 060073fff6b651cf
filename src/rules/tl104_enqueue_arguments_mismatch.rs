//! TL104 enqueue-arguments-mismatch: `notify.delay(user.pk)` when `notify` needs two
//! arguments — arguments that cannot bind to the task's parameters.

use super::context::{abbreviate, text};
use super::task_arguments::{
    Passed, arguments_unchecked, caller_params, custom_dispatch, framework_supplies_args,
    misplaced_options, passed, task_call,
};
use super::{Check, Checker, Rule};
use crate::catalogue;
use crate::index::{CallRef, Project};
use crate::knowledge::CallShape;
use crate::model::{Param, ParamKind, Span};

pub static RULE: Rule = Rule {
    info: &catalogue::TL104,
    check: Check::Call(check),
};

/// Why arguments do not bind, in the words of Python's own `TypeError`s.
#[derive(Debug, PartialEq, Eq)]
pub enum Mismatch {
    TooMany {
        given: usize,
        max: usize,
        /// Keyword-only parameters the extra positionals were perhaps meant for.
        keyword_only: Vec<String>,
    },
    Missing(Vec<String>),
    Unknown(String, Span),
    Twice(String, Span),
    PositionalOnlyByKeyword(String, Span),
}

/// Binds written-out arguments to parameters as Python would. `complete`: nothing will
/// be added later (not a signature), so missing arguments count.
pub fn bind(params: &[Param], passed: &Passed, complete: bool) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let positional: Vec<&Param> = params
        .iter()
        .filter(|p| matches!(p.kind, ParamKind::PositionalOnly | ParamKind::Normal))
        .collect();
    let var_args = params.iter().any(|p| p.kind == ParamKind::VarArgs);
    let var_kwargs = params.iter().any(|p| p.kind == ParamKind::VarKeywords);
    if passed.positional > positional.len() && !var_args {
        out.push(Mismatch::TooMany {
            given: passed.positional,
            max: positional.len(),
            keyword_only: params
                .iter()
                .filter(|p| p.kind == ParamKind::KeywordOnly)
                .map(|p| p.name.as_str().to_owned())
                .collect(),
        });
    }
    let filled = passed.positional.min(positional.len());
    let mut given: Vec<&str> = positional[..filled]
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    for &(name, span) in &passed.keywords {
        match params.iter().find(|p| p.name == name) {
            Some(p) if p.kind == ParamKind::PositionalOnly => {
                // With `**kwargs` the name simply lands there.
                if !var_kwargs {
                    out.push(Mismatch::PositionalOnlyByKeyword(name.to_string(), span));
                }
            }
            Some(p) if matches!(p.kind, ParamKind::Normal | ParamKind::KeywordOnly) => {
                if given.contains(&name) {
                    out.push(Mismatch::Twice(name.to_string(), span));
                } else {
                    given.push(name);
                }
            }
            _ => {
                if !var_kwargs {
                    out.push(Mismatch::Unknown(name.to_string(), span));
                }
            }
        }
    }
    if complete {
        let missing: Vec<String> = params
            .iter()
            .filter(|p| {
                matches!(
                    p.kind,
                    ParamKind::PositionalOnly | ParamKind::Normal | ParamKind::KeywordOnly
                ) && !p.has_default
                    && !given.contains(&p.name.as_str())
            })
            .map(|p| p.name.as_str().to_owned())
            .collect();
        if !missing.is_empty() {
            out.push(Mismatch::Missing(missing));
        }
    }
    out
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The call is inside `with pytest.raises(...)` or `with self.assertRaises(...)`: a test
/// that expects the enqueue to fail.
fn expects_raise(project: &Project, call: CallRef) -> bool {
    let test = &project.knowledge.test_code;
    project.call(call).withs.iter().any(|w| {
        let Some(id) = w.as_call() else {
            return false;
        };
        let with = CallRef {
            file: call.file,
            call: id,
        };
        project
            .call(with)
            .method_name()
            .is_some_and(|m| test.raises_methods.iter().any(|r| r == m))
            || project.matches_any(project.callee(with), &test.raises_contexts)
    })
}

fn check(cx: &mut Checker, call: CallRef) {
    let project = cx.project;
    let Some(tc) = task_call(project, call) else {
        return;
    };
    let Some(calls) = tc.calls else {
        return;
    };
    let Some(site) = tc.site() else {
        return;
    };
    if framework_supplies_args(tc.task, calls)
        || arguments_unchecked(tc.task, calls)
        || custom_dispatch(project, tc.task, calls)
        || expects_raise(project, call)
    {
        return;
    }
    let scope = project.scope(tc.task.func);
    // `bind=True` with nothing to receive the task is TL203's finding.
    let Some(params) = caller_params(project, tc.task, &scope.params) else {
        return;
    };
    let c = project.call(call);
    let Some(mut here) = passed(site, &c.args) else {
        return;
    };
    let mut complete = site.shape != CallShape::Partial;
    if let Some(sig) = &tc.signature {
        // An immutable signature drops what it is sent with.
        if sig.immutable {
            return;
        }
        let (sig_site, made_here) = (sig.site, sig.made_here);
        // `add.s(2).delay(4)` runs `add(4, 2)`: count both calls' arguments, but only
        // when the signature's own arguments are written right there; a signature that
        // is wrong on its own is reported at the `.s()` call.
        if !calls.chain.iter().any(|m| m == tc.method) {
            return;
        }
        let Some(made) = made_here else {
            return;
        };
        let sig_call = &project.models[call.file].calls[made];
        let Some(sig_passed) = passed(sig_site, &sig_call.args) else {
            return;
        };
        if !bind(params, &sig_passed, false).is_empty() {
            return;
        }
        here.positional += sig_passed.positional;
        here.keywords.extend(sig_passed.keywords);
        complete = true;
    }
    // Options that become task arguments are TL106's finding; keywords the framework
    // takes for itself never reach the task.
    let options: Vec<&str> = misplaced_options(&tc, params, &c.args)
        .iter()
        .filter_map(|a| a.name.as_deref())
        .collect();
    here.keywords
        .retain(|(n, _)| !options.contains(n) && !calls.consumed.iter().any(|o| o == n));
    let problems = bind(params, &here, complete);
    let Some(first) = problems.first() else {
        return;
    };
    let name = project.display_name(tc.task.func);
    let callee = abbreviate(text(project, call, c.callee.span), 60);
    let how = if tc.method == "()" {
        format!("`{callee}(...)`")
    } else {
        format!("`{callee}()`")
    };
    let describe = |m: &Mismatch| match m {
        Mismatch::TooMany { given, max, .. } => format!(
            "{how} passes {} but task `{name}` takes {max}",
            plural(*given, "positional argument", "positional arguments"),
        ),
        Mismatch::Missing(names) => format!(
            "{how} does not pass {}, which task `{name}` requires",
            quoted(names)
        ),
        Mismatch::Unknown(n, _) => format!("task `{name}` has no parameter `{n}`"),
        Mismatch::Twice(n, _) => {
            format!("`{n}` is passed to task `{name}` twice: by position and by keyword")
        }
        Mismatch::PositionalOnlyByKeyword(n, _) => {
            format!("`{n}` of task `{name}` is positional-only but is passed by keyword")
        }
    };
    let label = match first {
        Mismatch::TooMany { .. } | Mismatch::Missing(_) => {
            "these arguments do not bind to the task's parameters".to_string()
        }
        Mismatch::Unknown(n, _) => format!("`{n}` does not bind"),
        Mismatch::Twice(n, _) => format!("`{n}` is given twice"),
        Mismatch::PositionalOnlyByKeyword(n, _) => format!("`{n}` cannot be passed by keyword"),
    };
    let signature = {
        let params: Vec<&str> = scope
            .params
            .iter()
            .map(|p| project.files[tc.task.func.file].slice(p.span))
            .collect();
        abbreviate(&format!("{}({})", scope.name, params.join(", ")), 80)
    };
    let d = cx.report(call.file, c.span, describe(first));
    d.label(label).related(
        tc.task.func.file,
        scope.name_span,
        format!("{} task defined here: `{signature}`", tc.framework.name),
    );
    for m in &problems[1..] {
        d.note(describe(m));
    }
    if let Mismatch::TooMany { keyword_only, .. } = first
        && !keyword_only.is_empty()
    {
        d.note(format!(
            "{} can only be passed by keyword",
            quoted(keyword_only)
        ));
    }
    if tc.task.binds_first_param(tc.framework)
        && let Some(first) = scope.params.first()
    {
        let option = tc.framework.bind_option.as_deref().unwrap_or("bind");
        d.note(format!(
            "with `{option}=True` the first parameter `{}` receives the task itself and is not passed by callers",
            first.name
        ));
    }
    let inline = tc.framework.inline_methods.iter().any(|m| m == tc.method);
    d.note(if inline {
        "the task fails with TypeError when it runs".to_string()
    } else if !calls.checks_at_enqueue {
        format!(
            "{} does not check arguments when enqueuing: the task fails with TypeError in the worker, after the caller has moved on",
            tc.framework.name
        )
    } else if site.shape == CallShape::Partial {
        format!("{} raises TypeError when this signature is sent", tc.framework.name)
    } else {
        format!("{} checks the arguments when enqueuing: this call raises TypeError", tc.framework.name)
    });
    if tc.signature.is_some() {
        d.note("a signature's arguments come after the ones it is sent with: `add.s(2).delay(4)` runs `add(4, 2)`");
    }
    d.help(if site.shape == CallShape::ArgsKwargs {
        format!("pass exactly the parameters of `{signature}` in `args=` and `kwargs=`")
    } else {
        format!("pass exactly the parameters of `{signature}`")
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Param;

    fn p(name: &str, kind: ParamKind, has_default: bool) -> Param {
        Param {
            name: name.into(),
            kind,
            has_default,
            default: None,
            annotation: None,
            span: Span::default(),
        }
    }

    fn passed<'a>(positional: usize, keywords: &[&'a str]) -> Passed<'a> {
        Passed {
            positional,
            keywords: keywords.iter().map(|k| (*k, Span::default())).collect(),
        }
    }

    #[test]
    fn binds_like_python() {
        let params = [
            p("user_id", ParamKind::Normal, false),
            p("template", ParamKind::Normal, false),
            p("urgent", ParamKind::KeywordOnly, true),
        ];
        assert!(bind(&params, &passed(2, &["urgent"]), true).is_empty());
        assert!(bind(&params, &passed(1, &["template"]), true).is_empty());
        assert_eq!(
            bind(&params, &passed(1, &[]), true),
            vec![Mismatch::Missing(vec!["template".into()])]
        );
        // A signature may be completed later.
        assert!(bind(&params, &passed(1, &[]), false).is_empty());
        assert!(matches!(
            bind(&params, &passed(3, &[]), false)[0],
            Mismatch::TooMany {
                given: 3,
                max: 2,
                ..
            }
        ));
        assert!(matches!(
            bind(&params, &passed(1, &["user_id", "template"]), true)[0],
            Mismatch::Twice(..)
        ));
        assert!(matches!(
            bind(&params, &passed(2, &["urgnt"]), true)[0],
            Mismatch::Unknown(..)
        ));
    }

    #[test]
    fn star_parameters_take_the_rest() {
        let params = [
            p("a", ParamKind::PositionalOnly, false),
            p("args", ParamKind::VarArgs, false),
            p("kwargs", ParamKind::VarKeywords, false),
        ];
        assert!(bind(&params, &passed(5, &["a", "anything"]), true).is_empty());
        let params = [p("a", ParamKind::PositionalOnly, false)];
        assert!(matches!(
            bind(&params, &passed(0, &["a"]), true)[0],
            Mismatch::PositionalOnlyByKeyword(..)
        ));
    }
}

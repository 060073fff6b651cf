//! The path notation of `rules/*.toml` and the configuration:
//!
//! - `celery.shared_task`: exactly that qualified name;
//! - `django.views.generic.*`: any name below `django.views.generic`;
//! - `celery.Celery().task`: the attribute `task` of what calling `celery.Celery` returns
//!   (an instance), and `boto3.client().*`: any attribute of it;
//! - `openai.OpenAI().chat.completions.create`: attributes of attributes of an instance
//!   (the SDK clients' resource groups), `stripe.StripeClient().*.*`: any two;
//! - `napalm.get_network_driver()().open`: a call of what a call returns (a driver
//!   class returned by a factory, then instantiated);
//! - `sqlalchemy.orm.Session().query().**`: any method at the end of a chain of method
//!   calls on it (a query builder: `query(A).join(B).filter(c).all`).
//!
//! Rust paths are written with `::` (`std::fs::read`, `reqwest::blocking::*`,
//! `tokio::runtime::Handle::current().block_on`); they are stored with `.` like Python
//! names, which is also how the index spells resolved Rust paths.

use serde::{Deserialize, Deserializer};

/// What follows the root, matched from the end of a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// `().name`: an attribute of what the previous part returns when called.
    Name(String),
    /// `().*`: any attribute of what the previous part returns when called.
    Any,
    /// `().**`: one or more `().name` in a row, each on what the previous call returns
    /// (a builder chain); the last name is any.
    Chain,
    /// `.name` right after another step: an attribute of that attribute.
    Attr(String),
    /// `.*` right after another step.
    AnyAttr,
    /// `()` followed by `()` or ending the pattern: the call of the previous part.
    Call,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathPattern {
    /// The dotted path before the first `()`.
    pub root: String,
    /// `root.*`: any name below `root`.
    pub prefix: bool,
    /// Attributes taken after each call: `a.B().c().d` has steps `[c, d]`.
    pub steps: Vec<Step>,
    pub text: String,
}

impl PathPattern {
    pub fn parse(text: &str) -> Result<PathPattern, String> {
        let t = text.trim();
        let normalized = t.replace("::", ".");
        let invalid = || {
            format!(
                "`{text}` is not a dotted path (expected e.g. `pkg.module.name`, `pkg.module.*` or `pkg.Class().method`)"
            )
        };
        let (head, mut rest) = match normalized.find("()") {
            Some(i) => (&normalized[..i], &normalized[i..]),
            None => (normalized.as_str(), ""),
        };
        // After the root: `()` calls and `.name` / `.*` attributes, in any order.
        let mut steps = Vec::new();
        let mut after_call = false;
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix("()") {
                if after_call {
                    steps.push(Step::Call);
                }
                after_call = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix('.') {
                let end = r.find(['.', '(']).unwrap_or(r.len());
                let name = &r[..end];
                steps.push(match (name, after_call) {
                    ("**", true) => Step::Chain,
                    ("*", true) => Step::Any,
                    ("*", false) => Step::AnyAttr,
                    (n, true) => Step::Name(n.to_string()),
                    (n, false) => Step::Attr(n.to_string()),
                });
                after_call = false;
                rest = &r[end..];
            } else {
                return Err(invalid());
            }
        }
        if after_call {
            steps.push(Step::Call);
        }
        let (root, prefix) = match head.strip_suffix(".*") {
            Some(r) => (r.to_string(), true),
            None => (head.to_string(), false),
        };
        let valid_segment = |s: &str| {
            !s.is_empty()
                && s.chars().all(|c| c.is_alphanumeric() || c == '_')
                && !s.starts_with(|c: char| c.is_ascii_digit())
        };
        // A pattern's first step is always taken on a call's result: `a.b.c` is a root.
        let first_ok = !matches!(steps.first(), Some(Step::Attr(_) | Step::AnyAttr));
        if !root.split('.').all(valid_segment)
            || !first_ok
            || steps
                .iter()
                .any(|s| matches!(s, Step::Name(n) | Step::Attr(n) if !valid_segment(n)))
        {
            return Err(invalid());
        }
        Ok(PathPattern {
            root,
            prefix,
            steps,
            text: t.to_string(),
        })
    }

    /// The last name a matching value must have (`*` when any name can match).
    pub fn last_name(&self) -> &str {
        match self.steps.last() {
            Some(Step::Name(n) | Step::Attr(n)) => n,
            Some(Step::Any | Step::AnyAttr | Step::Chain) => "*",
            // No value is named after a bare call.
            Some(Step::Call) => "()",
            None if self.prefix => "*",
            None => self.root.rsplit('.').next().unwrap_or(&self.root),
        }
    }

    /// Does a plain qualified name match the root part (no steps)?
    pub fn root_matches(&self, qualname: &str) -> bool {
        if self.prefix {
            qualname
                .strip_prefix(self.root.as_str())
                .is_some_and(|rest| rest.starts_with('.'))
        } else {
            qualname == self.root
        }
    }
}

/// A word a text must contain for one of `patterns` to match a call or a name in it:
/// the last name, or for `a.Model.objects.*` the class (`Model`) the call goes through.
pub fn last_names(patterns: &[PathPattern]) -> Vec<&str> {
    patterns
        .iter()
        .map(|p| match p.last_name() {
            "*" => {
                let mut segments = p.root.rsplit('.');
                let last = segments.clone().next().unwrap_or("");
                segments
                    .find(|s| s.starts_with(char::is_uppercase))
                    .unwrap_or(last)
            }
            n => n,
        })
        .collect()
}

/// Methods of Python's builtin lists, dicts, sets and strings: nearly every file calls
/// some of them, so a file that mentions one says nothing about the receiver.
const BUILTIN_METHODS: &[&str] = &[
    "append",
    "extend",
    "insert",
    "remove",
    "pop",
    "clear",
    "index",
    "count",
    "sort",
    "reverse",
    "copy",
    "get",
    "items",
    "keys",
    "values",
    "update",
    "setdefault",
    "add",
    "discard",
    "join",
    "split",
    "format",
    "replace",
    "strip",
];

/// A word every file holding a call that matches each pattern contains: the name the call
/// is written with ([`last_names`]), except for a method of an instance whose name
/// builtin types also have (`django_q.tasks.Chain().append`), where it is the class
/// called (`Chain`): almost every file has an `.append(`. An instance built in another
/// module and imported under another name is missed for those.
pub fn file_words(patterns: &[PathPattern]) -> Vec<&str> {
    patterns
        .iter()
        .zip(last_names(patterns))
        .map(|(p, last)| {
            let class = p.root.rsplit('.').next().unwrap_or(&p.root);
            match p.steps.as_slice() {
                [Step::Name(m)] if BUILTIN_METHODS.contains(&m.as_str()) && !class.is_empty() => {
                    class
                }
                _ => last,
            }
        })
        .collect()
}

pub fn deserialize_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PathPattern>, D::Error> {
    let raw = Vec::<String>::deserialize(d)?;
    raw.iter()
        .map(|s| PathPattern::parse(s).map_err(serde::de::Error::custom))
        .collect()
}

pub fn deserialize_one<'de, D: Deserializer<'de>>(d: D) -> Result<PathPattern, D::Error> {
    let raw = String::deserialize(d)?;
    PathPattern::parse(&raw).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_builtin_method_name_is_not_a_file_word() {
        let patterns: Vec<PathPattern> = [
            "django_q.tasks.Chain().append",
            "rq.Queue().enqueue",
            "django_q.tasks.async_task",
        ]
        .iter()
        .map(|t| PathPattern::parse(t).unwrap())
        .collect();
        assert_eq!(file_words(&patterns), ["Chain", "enqueue", "async_task"]);
        assert_eq!(last_names(&patterns), ["append", "enqueue", "async_task"]);
    }

    #[test]
    fn parses_the_three_forms() {
        let p = PathPattern::parse("celery.shared_task").unwrap();
        assert_eq!(
            (p.root.as_str(), p.prefix, p.steps.len()),
            ("celery.shared_task", false, 0)
        );
        assert_eq!(p.last_name(), "shared_task");
        let p = PathPattern::parse("django.views.generic.*").unwrap();
        assert!(p.prefix);
        assert!(p.root_matches("django.views.generic.ListView"));
        assert!(!p.root_matches("django.views.genericx"));
        let p = PathPattern::parse("boto3.resource().Object().upload_file").unwrap();
        assert_eq!(p.root, "boto3.resource");
        assert_eq!(
            p.steps,
            vec![
                Step::Name("Object".into()),
                Step::Name("upload_file".into())
            ]
        );
        assert_eq!(
            PathPattern::parse("boto3.client().*").unwrap().last_name(),
            "*"
        );
    }

    #[test]
    fn parses_a_builder_chain() {
        let p = PathPattern::parse("orm.Session().query().**").unwrap();
        assert_eq!(p.steps, vec![Step::Name("query".into()), Step::Chain]);
        assert_eq!(p.last_name(), "*");
        // `**` is only a chain of calls: not an attribute, not a name part.
        assert!(PathPattern::parse("orm.Session.**").is_err());
        assert!(PathPattern::parse("orm.Session().a**").is_err());
    }

    #[test]
    fn accepts_rust_paths() {
        let p = PathPattern::parse("std::fs::read").unwrap();
        assert_eq!(
            (p.root.as_str(), p.text.as_str()),
            ("std.fs.read", "std::fs::read")
        );
        let p = PathPattern::parse("reqwest::blocking::*").unwrap();
        assert!(p.prefix && p.root_matches("reqwest.blocking.get"));
        let p = PathPattern::parse("tokio::runtime::Handle::current().block_on").unwrap();
        assert_eq!(p.root, "tokio.runtime.Handle.current");
        assert_eq!(p.steps, vec![Step::Name("block_on".into())]);
        assert!(PathPattern::parse("std:::fs").is_err());
    }

    #[test]
    fn parses_attribute_chains_and_repeated_calls() {
        let p = PathPattern::parse("openai.OpenAI().chat.completions.create").unwrap();
        assert_eq!(p.root, "openai.OpenAI");
        assert_eq!(
            p.steps,
            vec![
                Step::Name("chat".into()),
                Step::Attr("completions".into()),
                Step::Attr("create".into())
            ]
        );
        assert_eq!(p.last_name(), "create");
        let p = PathPattern::parse("stripe.StripeClient().*.*").unwrap();
        assert_eq!(p.steps, vec![Step::Any, Step::AnyAttr]);
        assert_eq!(p.last_name(), "*");
        let p = PathPattern::parse("napalm.get_network_driver()().open").unwrap();
        assert_eq!(p.steps, vec![Step::Call, Step::Name("open".into())]);
        let p = PathPattern::parse("a.B().c().d").unwrap();
        assert_eq!(
            p.steps,
            vec![Step::Name("c".into()), Step::Name("d".into())]
        );
        assert!(PathPattern::parse("a.b().c(").is_err());
        assert!(PathPattern::parse("a.b().c..d").is_err());
    }

    #[test]
    fn rejects_what_is_not_a_path() {
        assert!(PathPattern::parse("requests get").is_err());
        assert!(PathPattern::parse("").is_err());
        assert!(PathPattern::parse("a..b").is_err());
    }
}

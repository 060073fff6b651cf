//! Reading the `tasklint` table into [`Settings`], with errors that name the file, the
//! line and the key, say what is allowed, and suggest the key that was probably meant.
//!
//! The TOML is walked by hand over toml's spanned document (`DeTable`) rather than
//! deserialised with `deny_unknown_fields`: serde's messages cannot say which line a
//! key is on or which key was meant.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

use crate::diagnostic::Severity;
use crate::knowledge::PathPattern;
use crate::settings::{
    BlockingCall, ExtraSlowCall, HandlerBaseClass, PerFileIgnore, Settings, TaskDecorator,
};

/// Every key of the configuration, in the order the documentation lists them.
pub const KEYS: &[&str] = &[
    "select",
    "extend-select",
    "ignore",
    "exclude",
    "extend-exclude",
    "per-file-ignores",
    "max-call-depth",
    "report-task-calls-in-tasks",
    "task-decorators",
    "slow-calls",
    "handler-decorators",
    "handler-base-classes",
    "blocking-calls",
    "extend",
];

/// The most entries one key may list (globs, codes, decorators, calls): far above any
/// real configuration, and a bound on the memory and time a hostile one costs (300,000
/// exclude globs took 2.7 GB).
pub const MAX_ENTRIES: usize = 2_000;

/// The deepest call chain handler rules may be asked to follow.
pub const MAX_CALL_DEPTH: i64 = 32;

/// Methods of a `handler-base-classes` subclass that count as handlers when the entry
/// does not list them: the HTTP verbs.
pub const DEFAULT_HANDLER_METHODS: &[&str] =
    &["get", "post", "put", "patch", "delete", "head", "options"];

type Table<'i> = DeTable<'i>;
type Value<'i> = Spanned<DeValue<'i>>;
type Key<'i> = Spanned<DeString<'i>>;

/// Where the table being read comes from, for messages.
pub struct Doc<'t> {
    /// The file as users should see it (`tasklint.toml`, `backend/pyproject.toml`).
    pub label: String,
    pub text: &'t str,
}

impl Doc<'_> {
    fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }

    /// `tasklint.toml line 3`
    pub fn at(&self, span: &Range<usize>) -> String {
        format!("{} line {}", self.label, self.line(span.start))
    }
}

fn type_name(v: &DeValue) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "a whole number",
        DeValue::Float(_) => "a decimal number",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}

/// Entries in source order (toml's map is sorted by key).
fn entries<'a, 'i>(table: &'a Table<'i>) -> Vec<(&'a Key<'i>, &'a Value<'i>)> {
    let mut v: Vec<_> = table.iter().collect();
    v.sort_by_key(|(k, _)| k.span().start);
    v
}

/// Levenshtein distance, for "did you mean".
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The allowed word closest to `word`, when it is close enough to be a typo.
pub fn nearest<'a>(word: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let w = word.to_ascii_lowercase().replace('_', "-");
    allowed
        .iter()
        .map(|a| (distance(&w, a), *a))
        .filter(|(d, a)| *d <= (a.len() / 3).max(1) || (*d <= 3 && a.starts_with(&w)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

fn unknown_key(doc: &Doc, key: &Key, allowed: &[&str], within: Option<&str>) -> String {
    let name = key.get_ref().as_ref();
    let place = match within {
        Some(w) => format!("in a \"{w}\" entry in {}", doc.at(&key.span())),
        None => format!("in {}", doc.at(&key.span())),
    };
    match nearest(name, allowed) {
        Some(s) => format!("unknown key \"{name}\" {place}; did you mean \"{s}\"?"),
        None => format!(
            "unknown key \"{name}\" {place}; allowed keys: {}",
            allowed.join(", ")
        ),
    }
}

fn wrong_type(doc: &Doc, key: &str, value: &Value, expected: &str) -> String {
    format!(
        "\"{key}\" in {} must be {expected}, not {}",
        doc.at(&value.span()),
        type_name(value.get_ref())
    )
}

/// Refuses a list or table with more than [`MAX_ENTRIES`] entries.
fn bounded(doc: &Doc, key: &str, value: &Value) -> Result<(), String> {
    let n = match value.get_ref() {
        DeValue::Array(items) => items.len(),
        DeValue::Table(t) => t.len(),
        _ => 0,
    };
    if n > MAX_ENTRIES {
        return Err(format!(
            "\"{key}\" in {} has {n} entries: at most {MAX_ENTRIES} are allowed",
            doc.at(&value.span())
        ));
    }
    Ok(())
}

fn string_list(
    doc: &Doc,
    key: &str,
    value: &Value,
    what: &str,
) -> Result<Vec<Spanned<String>>, String> {
    bounded(doc, key, value)?;
    let DeValue::Array(items) = value.get_ref() else {
        return Err(wrong_type(doc, key, value, &format!("a list of {what}")));
    };
    items
        .iter()
        .map(|item| match item.get_ref() {
            DeValue::String(s) => Ok(Spanned::new(item.span(), s.to_string())),
            _ => Err(wrong_type(doc, key, item, &format!("a list of {what}"))),
        })
        .collect()
}

fn selectors(doc: &Doc, key: &str, value: &Value) -> Result<Vec<String>, String> {
    selectors_in(doc, key, &format!("\"{key}\""), value)
}

/// [`selectors`] where the place is not a plain key: `place` is how messages name it
/// (`"per-file-ignores" entry "scripts/*.py"`).
fn selectors_in(doc: &Doc, key: &str, place: &str, value: &Value) -> Result<Vec<String>, String> {
    let what = "rule codes (\"TL101\", \"TL3\", \"ALL\")";
    let DeValue::Array(_) = value.get_ref() else {
        return Err(format!(
            "{place} in {} must be a list of {what}, not {}",
            doc.at(&value.span()),
            type_name(value.get_ref())
        ));
    };
    let list = string_list(doc, key, value, what)?;
    for s in &list {
        check_selector(s.get_ref())
            .map_err(|e| format!("{e} in {place} in {}", doc.at(&s.span())))?;
    }
    Ok(list.into_iter().map(Spanned::into_inner).collect())
}

/// A rule selector is `ALL`, a rule code, or a prefix of some code (`TL1`).
pub fn check_selector(s: &str) -> Result<(), String> {
    let upper = s.trim().to_ascii_uppercase();
    let known = upper == "ALL"
        || (upper.starts_with("TL")
            && upper[2..].chars().all(|c| c.is_ascii_digit())
            && crate::catalogue::ALL
                .iter()
                .any(|r| r.code.starts_with(&upper)));
    if known {
        return Ok(());
    }
    let by_name = crate::catalogue::ALL.iter().find(|r| r.name == s.trim());
    Err(match (by_name, nearest_code(&upper)) {
        (Some(r), _) => format!(
            "unknown rule selector \"{s}\" (selectors are codes: did you mean \"{}\"?)",
            r.code
        ),
        (None, Some(code)) => format!("unknown rule selector \"{s}\" (did you mean \"{code}\"?)"),
        (None, None) => format!(
            "unknown rule selector \"{s}\" (use a code such as \"TL101\", a prefix such as \"TL1\", or \"ALL\"; `tasklint rules` lists them)"
        ),
    })
}

/// The rule code a mistyped one was probably meant to be: `TL1O1` (a letter O) is
/// `TL101`, `TL31` is not close enough to anything.
fn nearest_code(upper: &str) -> Option<&'static str> {
    // Letters that look like digits are the usual slip.
    let looks: String = upper
        .char_indices()
        .map(|(i, c)| match c {
            'O' if i >= 2 => '0',
            'I' | 'L' if i >= 2 => '1',
            c => c,
        })
        .collect();
    crate::rules::ALL
        .iter()
        .map(|r| r.info.code)
        .map(|code| (distance(&looks, code).min(distance(upper, code)), code))
        .filter(|(d, code)| *d <= 1 && upper.len() + 1 >= code.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, code)| code)
}

fn globs(doc: &Doc, key: &str, value: &Value) -> Result<Vec<String>, String> {
    let list = string_list(doc, key, value, "glob patterns")?;
    for p in &list {
        super::glob::check_pattern(p.get_ref()).map_err(|e| {
            format!(
                "invalid glob \"{}\" in \"{key}\" in {}: {e}",
                p.get_ref(),
                doc.at(&p.span())
            )
        })?;
    }
    Ok(list.into_iter().map(Spanned::into_inner).collect())
}

fn dotted_path(doc: &Doc, key: &str, s: &Spanned<String>) -> Result<String, String> {
    PathPattern::parse(s.get_ref())
        .map(|p| p.text)
        .map_err(|e| format!("\"{key}\" in {}: {e}", doc.at(&s.span())))
}

/// `crate::module::function`, `crate::Type::method`, `crate::module::*`.
pub fn check_rust_path(path: &str) -> Result<(), String> {
    let p = path.trim();
    let body = p.strip_suffix("::*").unwrap_or(p);
    let segment_ok = |s: &str| {
        !s.is_empty()
            && s.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !s.starts_with(|c: char| c.is_ascii_digit())
    };
    if body.split("::").count() >= 2 && body.split("::").all(segment_ok) {
        Ok(())
    } else {
        Err(format!(
            "`{path}` is not a Rust path (expected e.g. `std::fs::read_to_string`, `mycrate::db::Client::query` or `mycrate::blocking::*`)"
        ))
    }
}

/// One `{ key = value, ... }` entry of a list of tables: its fields in source order,
/// after checking every key is allowed and the required ones are there.
fn entry_fields<'a, 'i>(
    doc: &Doc,
    list_key: &str,
    item: &'a Value<'i>,
    allowed: &[&str],
    required: &[&str],
    shape: &str,
) -> Result<Vec<(&'a str, &'a Value<'i>)>, String> {
    let DeValue::Table(t) = item.get_ref() else {
        return Err(wrong_type(
            doc,
            list_key,
            item,
            &format!("a list of tables such as {shape}"),
        ));
    };
    let mut out = Vec::new();
    for (k, v) in entries(t) {
        if !allowed.contains(&k.get_ref().as_ref()) {
            return Err(unknown_key(doc, k, allowed, Some(list_key)));
        }
        out.push((k.get_ref().as_ref(), v));
    }
    for r in required {
        if !out.iter().any(|(k, _)| k == r) {
            return Err(format!(
                "a \"{list_key}\" entry in {} has no \"{r}\": write it as {shape}",
                doc.at(&item.span())
            ));
        }
    }
    Ok(out)
}

fn string_field(doc: &Doc, key: &str, v: &Value) -> Result<Spanned<String>, String> {
    match v.get_ref() {
        DeValue::String(s) if !s.trim().is_empty() => Ok(Spanned::new(v.span(), s.to_string())),
        DeValue::String(_) => Err(format!("\"{key}\" in {} is empty", doc.at(&v.span()))),
        _ => Err(wrong_type(doc, key, v, "a string")),
    }
}

fn list_of<'a, 'i>(
    doc: &Doc,
    key: &str,
    value: &'a Value<'i>,
    shape: &str,
) -> Result<&'a [Value<'i>], String> {
    bounded(doc, key, value)?;
    match value.get_ref() {
        DeValue::Array(items) => Ok(&items[..]),
        _ => Err(wrong_type(
            doc,
            key,
            value,
            &format!("a list of tables such as [{shape}]"),
        )),
    }
}

const TASK_DECORATOR_SHAPE: &str =
    r#"{ path = "myproj.tasks.instrumented_task", framework = "celery" }"#;
const SLOW_CALL_SHAPE: &str =
    r#"{ path = "myproj.billing.charge", reason = "calls the payment API over the network" }"#;
const BLOCKING_CALL_SHAPE: &str =
    r#"{ path = "mycrate::db::query_sync", reason = "runs a database query on this thread" }"#;
const BASE_CLASS_SHAPE: &str =
    r#""myproj.web.BaseHandler" or { path = "myproj.web.BaseHandler", methods = ["get", "post"] }"#;

/// Reads the `tasklint` table into settings (defaults for what it does not set).
pub fn settings_from_table(doc: &Doc, table: &Table) -> Result<Settings, String> {
    let mut s = Settings::default();
    for (key, value) in entries(table) {
        let name = key.get_ref().as_ref();
        match name {
            // Read by `config::load`, which follows it: here it is only checked.
            "extend" => {
                string_field(doc, name, value)?;
            }
            "select" => s.select = Some(selectors(doc, name, value)?),
            "extend-select" => s.extend_select = selectors(doc, name, value)?,
            "ignore" => s.ignore = selectors(doc, name, value)?,
            "exclude" => s.exclude = Some(globs(doc, name, value)?),
            "extend-exclude" => s.extend_exclude = globs(doc, name, value)?,
            "per-file-ignores" => {
                bounded(doc, name, value)?;
                let DeValue::Table(t) = value.get_ref() else {
                    return Err(wrong_type(
                        doc,
                        name,
                        value,
                        r#"a table of glob = [codes], such as { "migrations/*.py" = ["TL101"] }"#,
                    ));
                };
                for (glob, codes) in entries(t) {
                    let pattern = glob.get_ref().to_string();
                    super::glob::check_pattern(&pattern).map_err(|e| {
                        format!(
                            "invalid glob \"{pattern}\" in \"per-file-ignores\" in {}: {e}",
                            doc.at(&glob.span())
                        )
                    })?;
                    let sel = selectors_in(
                        doc,
                        name,
                        &format!("\"per-file-ignores\" entry \"{pattern}\""),
                        codes,
                    )?;
                    s.per_file_ignores.push(PerFileIgnore {
                        pattern,
                        selectors: sel,
                    });
                }
            }
            "max-call-depth" => {
                let n = match value.get_ref() {
                    DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
                    _ => None,
                };
                match n {
                    Some(n) if (0..=MAX_CALL_DEPTH).contains(&n) => s.max_call_depth = n as usize,
                    _ => {
                        let found = match value.get_ref() {
                            DeValue::Integer(i) => i.as_str().to_string(),
                            v => type_name(v).to_string(),
                        };
                        return Err(format!(
                            "\"max-call-depth\" in {} must be a whole number from 0 to {MAX_CALL_DEPTH}, not {found}",
                            doc.at(&value.span())
                        ));
                    }
                }
            }
            "report-task-calls-in-tasks" => match value.get_ref() {
                DeValue::Boolean(b) => s.report_task_calls_in_tasks = *b,
                v => {
                    return Err(format!(
                        "\"report-task-calls-in-tasks\" in {} must be true or false, not {}",
                        doc.at(&value.span()),
                        type_name(v)
                    ));
                }
            },
            "task-decorators" => {
                for item in list_of(doc, name, value, TASK_DECORATOR_SHAPE)? {
                    let fields = entry_fields(
                        doc,
                        name,
                        item,
                        &["path", "framework"],
                        &["path", "framework"],
                        TASK_DECORATOR_SHAPE,
                    )?;
                    let mut d = TaskDecorator {
                        path: String::new(),
                        framework: String::new(),
                    };
                    for (k, v) in fields {
                        let text = string_field(doc, k, v)?;
                        match k {
                            "path" => d.path = dotted_path(doc, "path", &text)?,
                            _ => d.framework = framework_id(doc, &text)?,
                        }
                    }
                    s.task_decorators.push(d);
                }
            }
            "slow-calls" => {
                for item in list_of(doc, name, value, SLOW_CALL_SHAPE)? {
                    let fields = entry_fields(
                        doc,
                        name,
                        item,
                        &["path", "reason", "severity", "instead"],
                        &["path", "reason"],
                        SLOW_CALL_SHAPE,
                    )?;
                    let mut c = ExtraSlowCall {
                        path: String::new(),
                        reason: String::new(),
                        severity: Severity::Error,
                        instead: None,
                    };
                    for (k, v) in fields {
                        let text = string_field(doc, k, v)?;
                        match k {
                            "path" => c.path = dotted_path(doc, "path", &text)?,
                            "reason" => c.reason = text.into_inner(),
                            "instead" => c.instead = Some(text.into_inner()),
                            _ => {
                                c.severity = match text.get_ref().as_str() {
                                    "error" => Severity::Error,
                                    "warning" => Severity::Warning,
                                    other => {
                                        return Err(format!(
                                            "\"severity\" in {} must be \"error\" or \"warning\", not \"{other}\"",
                                            doc.at(&text.span())
                                        ));
                                    }
                                }
                            }
                        }
                    }
                    s.slow_calls.push(c);
                }
            }
            "handler-decorators" => {
                for p in string_list(doc, name, value, "dotted paths (\"myproj.web.route\")")? {
                    s.handler_decorators.push(dotted_path(doc, name, &p)?);
                }
            }
            "handler-base-classes" => {
                let DeValue::Array(items) = value.get_ref() else {
                    return Err(wrong_type(
                        doc,
                        name,
                        value,
                        &format!("a list of {BASE_CLASS_SHAPE}"),
                    ));
                };
                for item in items {
                    if let DeValue::String(p) = item.get_ref() {
                        let p = Spanned::new(item.span(), p.to_string());
                        s.handler_base_classes.push(HandlerBaseClass {
                            path: dotted_path(doc, name, &p)?,
                            methods: DEFAULT_HANDLER_METHODS
                                .iter()
                                .map(|m| m.to_string())
                                .collect(),
                        });
                        continue;
                    }
                    let fields = entry_fields(
                        doc,
                        name,
                        item,
                        &["path", "methods"],
                        &["path"],
                        BASE_CLASS_SHAPE,
                    )?;
                    let mut b = HandlerBaseClass {
                        path: String::new(),
                        methods: DEFAULT_HANDLER_METHODS
                            .iter()
                            .map(|m| m.to_string())
                            .collect(),
                    };
                    for (k, v) in fields {
                        if k == "path" {
                            b.path = dotted_path(doc, "path", &string_field(doc, k, v)?)?;
                        } else {
                            let methods = string_list(doc, "methods", v, "method names")?;
                            for m in &methods {
                                let name_ok = m
                                    .get_ref()
                                    .trim_end_matches('*')
                                    .chars()
                                    .all(|c| c.is_alphanumeric() || c == '_')
                                    && !m.get_ref().is_empty();
                                if !name_ok {
                                    return Err(format!(
                                        "\"methods\" in {}: `{}` is not a method name (a trailing `*` matches any suffix: `resolve_*`)",
                                        doc.at(&m.span()),
                                        m.get_ref()
                                    ));
                                }
                            }
                            b.methods = methods.into_iter().map(Spanned::into_inner).collect();
                        }
                    }
                    s.handler_base_classes.push(b);
                }
            }
            "blocking-calls" => {
                for item in list_of(doc, name, value, BLOCKING_CALL_SHAPE)? {
                    let fields = entry_fields(
                        doc,
                        name,
                        item,
                        &["path", "reason"],
                        &["path", "reason"],
                        BLOCKING_CALL_SHAPE,
                    )?;
                    let mut c = BlockingCall {
                        path: String::new(),
                        reason: String::new(),
                    };
                    for (k, v) in fields {
                        let text = string_field(doc, k, v)?;
                        if k == "path" {
                            check_rust_path(text.get_ref()).map_err(|e| {
                                format!("\"path\" in {}: {e}", doc.at(&text.span()))
                            })?;
                            c.path = text.get_ref().trim().to_string();
                        } else {
                            c.reason = text.into_inner();
                        }
                    }
                    s.blocking_calls.push(c);
                }
            }
            _ => return Err(unknown_key(doc, key, KEYS, None)),
        }
    }
    Ok(s)
}

fn framework_id(doc: &Doc, text: &Spanned<String>) -> Result<String, String> {
    let ids: Vec<&str> = crate::knowledge::BUILTIN
        .frameworks
        .iter()
        .map(|f| f.id.as_str())
        .collect();
    let given = text.get_ref().trim();
    if ids.contains(&given) {
        return Ok(given.to_string());
    }
    let hint = match nearest(given, &ids) {
        Some(s) => format!("did you mean \"{s}\"? "),
        None => String::new(),
    };
    Err(format!(
        "unknown framework \"{given}\" in a \"task-decorators\" entry in {}; {hint}(frameworks: {})",
        doc.at(&text.span()),
        ids.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Settings, String> {
        let doc = Doc {
            label: "tasklint.toml".into(),
            text,
        };
        let table = DeTable::parse(text).map_err(|e| e.to_string())?;
        settings_from_table(&doc, table.get_ref())
    }

    #[test]
    fn suggestions() {
        assert_eq!(nearest("selct", KEYS), Some("select"));
        assert_eq!(nearest("max_call_depth", KEYS), Some("max-call-depth"));
        assert_eq!(nearest("extend_select", KEYS), Some("extend-select"));
        assert_eq!(nearest("colour", KEYS), None);
    }

    #[test]
    fn the_example_of_the_issue() {
        let e = parse("# comment\n\nselct = [\"TL101\"]\n").unwrap_err();
        assert_eq!(
            e,
            "unknown key \"selct\" in tasklint.toml line 3; did you mean \"select\"?"
        );
    }

    #[test]
    fn every_key_reads() {
        let s = parse(
            r#"
select = ["TL1", "TL301"]
extend-select = ["TL302"]
ignore = ["TL102"]
exclude = ["migrations"]
extend-exclude = ["legacy/*.py"]
max-call-depth = 6
per-file-ignores = { "scripts/*.py" = ["TL101"], "conftest.py" = ["ALL"] }
task-decorators = [{ path = "myproj.tasks.instrumented_task", framework = "celery" }]
slow-calls = [{ path = "myproj.billing.charge", reason = "calls the payment API", severity = "warning" }]
handler-decorators = ["myproj.web.route"]
handler-base-classes = ["myproj.web.BaseHandler", { path = "tornado.web.RequestHandler", methods = ["get", "post"] }]
blocking-calls = [{ path = "mycrate::db::query_sync", reason = "runs a query on this thread" }]
"#,
        )
        .unwrap();
        assert_eq!(
            s.select.as_deref(),
            Some(&["TL1".to_string(), "TL301".to_string()][..])
        );
        assert_eq!(s.max_call_depth, 6);
        assert_eq!(s.per_file_ignores.len(), 2);
        assert_eq!(s.task_decorators[0].framework, "celery");
        assert_eq!(s.slow_calls[0].severity, Severity::Warning);
        assert_eq!(
            s.handler_base_classes[0].methods.len(),
            DEFAULT_HANDLER_METHODS.len()
        );
        assert_eq!(s.handler_base_classes[1].methods, ["get", "post"]);
        assert_eq!(s.blocking_calls[0].path, "mycrate::db::query_sync");
    }

    #[test]
    fn errors_name_the_line_and_say_what_is_allowed() {
        let cases = [
            (
                "select = \"TL101\"",
                "\"select\" in tasklint.toml line 1 must be a list of rule codes",
            ),
            ("select = [\"TL999\"]", "unknown rule selector \"TL999\""),
            (
                "ignore = [\"task-called-directly\"]",
                "did you mean \"TL101\"?",
            ),
            ("max-call-depth = -1", "from 0 to 32, not -1"),
            ("max-call-depth = \"4\"", "not a string"),
            (
                "exclude = [\"[abc\"]",
                "invalid glob \"[abc\" in \"exclude\" in tasklint.toml line 1",
            ),
            (
                "per-file-ignores = [\"x\"]",
                "\"per-file-ignores\" in tasklint.toml line 1 must be a table",
            ),
            (
                "per-file-ignores = { \"a.py\" = [\"XX1\"] }",
                "unknown rule selector \"XX1\"",
            ),
            (
                "task-decorators = [\"myproj.t\"]",
                "must be a list of tables such as",
            ),
            (
                "task-decorators = [{ path = \"a.b\" }]",
                "has no \"framework\"",
            ),
            (
                "task-decorators = [{ path = \"a.b\", framework = \"celry\" }]",
                "did you mean \"celery\"?",
            ),
            (
                "task-decorators = [{ path = \"a b\", framework = \"celery\" }]",
                "is not a dotted path",
            ),
            (
                "task-decorators = [{ path = \"a.b\", framwork = \"celery\" }]",
                "unknown key \"framwork\" in a \"task-decorators\" entry in tasklint.toml line 1; did you mean \"framework\"?",
            ),
            (
                "slow-calls = [{ path = \"a.b\", reason = \"x\", severity = \"fatal\" }]",
                "must be \"error\" or \"warning\"",
            ),
            ("slow-calls = [{ path = \"a.b\" }]", "has no \"reason\""),
            (
                "handler-base-classes = [{ path = \"a.B\", methods = [\"g-t\"] }]",
                "is not a method name",
            ),
            (
                "blocking-calls = [{ path = \"std.fs.read\", reason = \"x\" }]",
                "is not a Rust path",
            ),
            (
                "\n\nfoo = 1",
                "unknown key \"foo\" in tasklint.toml line 3; allowed keys: select,",
            ),
        ];
        for (text, want) in cases {
            let e = parse(text).unwrap_err();
            assert!(e.contains(want), "{text}\n  gave: {e}\n  want: {want}");
        }
    }
}

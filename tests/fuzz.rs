//! Fuzzing on stable: property tests over generated input. `cargo test` runs a short,
//! bounded number of cases; a long local run raises it:
//!
//! ```sh
//! TASKLINT_FUZZ_CASES=200000 cargo test --release --test fuzz -- --nocapture
//! ```
//!
//! Targets: the Python frontend (raw bytes, and Python-like token soup that gets past
//! the tokenizer), the prefilter, and the whole pipeline on small generated projects,
//! where the prefilter must not change a finding. A crash a run finds becomes a test in
//! `regressions` below.
//!
//! The cache reader: a cache file of any bytes opens as a cache (maybe empty), and a
//! model's entry with bytes flipped, cut or appended decodes to nothing or to a
//! well-formed model that the index and the rules handle without a panic.
//!
//! Also the Rust frontend (raw bytes, and Rust token soup) and the configuration parser
//! (TOML-like soup made of its own keys and values): it answers with settings or an
//! error that names the file, never panics.
//!
//! And the `--fix` writer: any text, any edits (overlapping, out of bounds, inside a
//! character), written through the file's name, a symlink or a hard link, with or
//! without an edit saved meanwhile: the file ends up holding exactly the fixed text, or
//! exactly what the user saved, and is still the same file. And the human formats on
//! any text and any spans: no panic, and no control character reaches the output.

use proptest::prelude::*;
use tasklint::check::parse_bytes;
use tasklint::model::Language;
use tasklint::source::SourceFile;

fn cases() -> u32 {
    std::env::var("TASKLINT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

/// Python-like text: keywords, names, operators, brackets, strings, indentation and
/// line breaks in any order, so the parser and the lowering see deep and broken trees.
fn python_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("def "),
        Just("async "),
        Just("class "),
        Just("if "),
        Just("elif "),
        Just("else"),
        Just("for "),
        Just(" in "),
        Just("while "),
        Just("try"),
        Just("except "),
        Just("finally"),
        Just("with "),
        Just(" as "),
        Just("return "),
        Just("raise "),
        Just("import "),
        Just("from "),
        Just("lambda "),
        Just("await "),
        Just("match "),
        Just("case "),
        Just("yield "),
        Just("print "),
        Just("global "),
        Just("@"),
        Just(":"),
        Just("("),
        Just(")"),
        Just("["),
        Just("]"),
        Just("{"),
        Just("}"),
        Just(","),
        Just("."),
        Just("="),
        Just("+="),
        Just("*"),
        Just("**"),
        Just("->"),
        Just(":="),
        Just("\n"),
        Just("\n    "),
        Just("\n        "),
        Just("\t"),
        Just("\\\n"),
        Just("#c\n"),
        Just("'s'"),
        Just("f'{x}'"),
        Just("\"\"\"d\"\"\""),
        Just("b'b'"),
        Just("1"),
        Just("0x1f"),
        Just("1_000"),
        Just("x"),
        Just("self"),
        Just("shared_task"),
        Just("delay"),
        Just("celery"),
        Just("requests"),
        Just("path"),
        Just("View"),
        Just("é"),
        Just("日本"),
        Just("\u{feff}"),
        Just("\r\n"),
        Just(";"),
        Just("not "),
        Just(" and "),
        Just("..."),
    ];
    prop::collection::vec(token, 0..200).prop_map(|v| v.concat())
}

/// Rust-like text: items, attributes, paths, closures, `.await`, macros, brackets.
fn rust_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("fn "),
        Just("async "),
        Just("pub "),
        Just("mod "),
        Just("use "),
        Just("impl "),
        Just("trait "),
        Just("struct "),
        Just("let "),
        Just("match "),
        Just("if "),
        Just("else "),
        Just("loop "),
        Just("move "),
        Just("return "),
        Just(".await"),
        Just("::"),
        Just("std::thread::sleep"),
        Just("tokio::spawn"),
        Just("spawn_blocking"),
        Just("#[get(\"/\")]"),
        Just("#[tokio::main]"),
        Just("macro_rules! m "),
        Just("println!"),
        Just("|x| "),
        Just("=> "),
        Just("-> "),
        Just("x"),
        Just("f"),
        Just("Router"),
        Just("("),
        Just(")"),
        Just("{"),
        Just("}"),
        Just("["),
        Just("]"),
        Just("<"),
        Just(">"),
        Just(","),
        Just(";"),
        Just("="),
        Just("."),
        Just("&"),
        Just("'a"),
        Just("\"s\""),
        Just("r#\"raw\"#"),
        Just("'c'"),
        Just("// c\n"),
        Just("/* c */"),
        Just("1"),
        Just(" "),
        Just("\n"),
    ];
    prop::collection::vec(token, 0..200).prop_map(|v| v.concat())
}

/// TOML-like text made of the configuration's own keys and values.
fn config_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("select"),
        Just("ignore"),
        Just("extend-select"),
        Just("exclude"),
        Just("extend-exclude"),
        Just("per-file-ignores"),
        Just("max-call-depth"),
        Just("task-decorators"),
        Just("slow-calls"),
        Just("handler-decorators"),
        Just("handler-base-classes"),
        Just("blocking-calls"),
        Just("path"),
        Just("framework"),
        Just("reason"),
        Just("severity"),
        Just("methods"),
        Just("[tool.tasklint]"),
        Just("[tool.tasklint.per-file-ignores]"),
        Just(" = "),
        Just("\"TL101\""),
        Just("\"TL3\""),
        Just("\"ALL\""),
        Just("\"celery\""),
        Just("\"a.b.c\""),
        Just("\"a::b\""),
        Just("\"a.B().c\""),
        Just("\"*.py\""),
        Just("4"),
        Just("-1"),
        Just("99999999999999999999"),
        Just("true"),
        Just("["),
        Just("]"),
        Just("{"),
        Just("}"),
        Just(","),
        Just("\n"),
        Just("#"),
        Just(" "),
    ];
    prop::collection::vec(token, 0..120).prop_map(|v| v.concat())
}

/// Every span a model holds lies inside the text, so reports can always slice it.
fn check_model(text: &str, bytes_len: usize) {
    check_model_in(Language::Python, text, bytes_len);
}

fn check_model_in(language: Language, text: &str, bytes_len: usize) {
    let (decoded, model) = parse_bytes(language, text.as_bytes().to_vec());
    assert!(decoded.len() <= bytes_len.max(decoded.len()));
    let file = SourceFile::new("f.py".into(), "f.py".into(), decoded);
    let len = file.text.len() as u32;
    let spans = model
        .calls
        .iter()
        .map(|c| c.span)
        .chain(model.scopes.iter().map(|s| s.name_span))
        .chain(model.problems.iter().map(|p| p.span))
        .chain(model.comments.iter().map(|c| c.span));
    for s in spans {
        assert!(
            s.start <= s.end && s.end <= len,
            "span {s:?} outside {len} bytes"
        );
        file.position(s.start);
        file.slice(s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn python_frontend_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let (text, model) = parse_bytes(Language::Python, bytes.clone());
        let file = SourceFile::new("f.py".into(), "f.py".into(), text);
        for p in &model.problems {
            file.position(p.span.start);
        }
    }

    #[test]
    fn python_frontend_never_panics_on_soup(text in python_soup()) {
        check_model(&text, text.len());
    }

    #[test]
    fn rust_frontend_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let (text, model) = parse_bytes(Language::Rust, bytes.clone());
        let file = SourceFile::new("f.rs".into(), "f.rs".into(), text);
        for p in &model.problems {
            file.position(p.span.start);
        }
    }

    #[test]
    fn rust_frontend_never_panics_on_soup(text in rust_soup()) {
        check_model_in(Language::Rust, &text, text.len());
    }

    #[test]
    fn config_parser_never_panics(text in config_soup()) {
        use tasklint::config::{ConfigKind, ParseError, parse_text};
        for kind in [ConfigKind::Tasklint, ConfigKind::Pyproject] {
            match parse_text(&text, "tasklint.toml", kind) {
                Ok(_) | Err(ParseError::Toml(_)) => {}
                Err(ParseError::Message(m)) => prop_assert!(m.contains("tasklint.toml"), "{m}"),
            }
        }
    }

    #[test]
    fn prefilter_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let pf = tasklint::prefilter::Prefilter::from_knowledge(&tasklint::knowledge::BUILTIN, |_| false);
        pf.matches(&bytes);
    }

    /// Three files of soup next to a real task and view: the check never panics, and
    /// the prefilter changes nothing.
    #[test]
    fn pipeline_is_the_same_with_and_without_the_prefilter(
        a in python_soup(), b in python_soup(), c in python_soup()
    ) {
        let t = tempfile::tempdir().unwrap();
        let files = [
            ("app/__init__.py", String::new()),
            ("app/tasks.py", "from celery import shared_task\n\n@shared_task\ndef ping(x):\n    return x\n".to_string()),
            ("app/views.py", "from django.urls import path\nfrom .tasks import ping\n\ndef home(request):\n    ping(1)\n\nurlpatterns = [path('', home)]\n".to_string()),
            ("app/a.py", a),
            ("app/b.py", format!("from .tasks import ping\n{b}")),
            ("app/c.py", format!("from celery import shared_task\n{c}")),
        ];
        for (rel, text) in &files {
            let p = t.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let run = |prefilter: bool| {
            let out = tasklint::check::check(tasklint::check::Options {
                paths: vec![t.path().to_path_buf()],
                settings: tasklint::settings::Settings {
                    select: Some(vec!["ALL".into()]),
                    prefilter,
                    ..Default::default()
                },
                knowledge: tasklint::knowledge::BUILTIN.clone(),
                threads: Some(1),
            })
            .unwrap();
            out.diagnostics
                .iter()
                .map(|d| (out.project.files[d.file].display.clone(), d.span, d.code, d.message.clone()))
                .collect::<Vec<_>>()
        };
        prop_assert_eq!(run(false), run(true));
    }
}

/// Text with the line endings and multi-byte characters fixes must not break.
fn fix_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("a"),
            Just("f(x)"),
            Just(" "),
            Just("\n"),
            Just("\r\n"),
            Just("\r"),
            Just("é"),
            Just("→"),
        ],
        0..60,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn a_cache_file_of_any_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let t = tempfile::tempdir().unwrap();
        let mut data = b"TLCACHE2".to_vec();
        data.extend_from_slice(&7u128.to_le_bytes());
        data.extend_from_slice(&bytes);
        std::fs::write(t.path().join("c.bin"), &data).unwrap();
        let c = tasklint::cache::Cache::open(t.path(), "c.bin".into(), 7, 1 << 20);
        for hash in [0u128, 1, u128::MAX] {
            c.get(hash, "x = 1\n");
            c.get_raw(hash);
        }
    }

    #[test]
    fn a_damaged_cache_entry_is_a_miss_or_a_model_the_index_takes(
        soup in python_soup(),
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in any::<usize>(),
    ) {
        use tasklint::index::{InputFile, Project};
        let text = format!("from django.urls import path\nfrom .tasks import ping\n{soup}\ndef home(request):\n    ping(1)\n    return (lambda: ping.delay(2))\n\nurlpatterns = [path('', home)]\n");
        let model = tasklint::lang::parse_text(Language::Python, &text);
        let mut blob = tasklint::cache::encode(&model).unwrap();
        for (at, x) in flips {
            let n = blob.len();
            blob[at % n] ^= x.max(1);
        }
        if cut % 3 == 0 {
            blob.truncate(cut % (blob.len() + 1));
        }
        let Some(damaged) = tasklint::cache::decode(&blob, &text) else {
            return Ok(());
        };
        let tasks = "from celery import shared_task\n\n@shared_task\ndef ping(x):\n    return x\n";
        let file = |rel: &str, text: &str, model| InputFile {
            source: SourceFile::new(rel.into(), rel.into(), text.into()),
            model,
            relative: rel.into(),
            root: 0,
            report: true,
        };
        let inputs = vec![
            file("app/__init__.py", "", tasklint::lang::parse_text(Language::Python, "")),
            file("app/tasks.py", tasks, tasklint::lang::parse_text(Language::Python, tasks)),
            file("app/views.py", &text, damaged),
        ];
        let settings = tasklint::settings::Settings {
            select: Some(vec!["ALL".into()]),
            ..Default::default()
        };
        let project = Project::build(inputs, tasklint::knowledge::BUILTIN.clone(), settings);
        let diagnostics = tasklint::rules::run(&project);
        // A bug in a rule becomes TL000 (rules catch their panics): none may.
        prop_assert!(
            diagnostics.iter().all(|d| !d.message.contains("internal error")),
            "{:?}", diagnostics
        );
    }

    #[test]
    fn fix_writer_writes_the_fixed_text_or_keeps_the_users(
        text in fix_text(),
        edits in prop::collection::vec((0u32..200, 0u32..12, "[a-z.()\n]{0,8}"), 0..6),
        through in 0u8..3,
        edited_meanwhile in any::<bool>(),
    ) {
        use std::os::unix::fs::MetadataExt;
        use tasklint::diagnostic::{Applicability, Edit, Fix};
        let fixes: Vec<Fix> = edits
            .iter()
            .map(|(start, len, content)| Fix {
                message: "m".into(),
                applicability: Applicability::Safe,
                edits: vec![Edit {
                    span: tasklint::model::Span::new(*start, start + len),
                    content: content.clone(),
                }],
            })
            .collect();
        let tagged: Vec<(&'static str, &Fix)> = fixes.iter().map(|f| ("TL000", f)).collect();
        let ending = tasklint::fix::line_ending(&text, Some(Language::Python));
        let (fixed, applied) = tasklint::fix::apply_with(&text, &tagged, ending);
        if applied.is_empty() {
            prop_assert_eq!(&fixed, &text);
        }

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.py");
        std::fs::write(&file, &text).unwrap();
        let path = match through {
            0 => file.clone(),
            1 => {
                let link = dir.path().join("link.py");
                std::os::unix::fs::symlink("a.py", &link).unwrap();
                link
            }
            _ => {
                let other = dir.path().join("other.py");
                std::fs::hard_link(&file, &other).unwrap();
                other
            }
        };
        let inode = std::fs::metadata(&file).unwrap().ino();
        let saved = format!("{text}# saved meanwhile\n");
        if edited_meanwhile {
            std::fs::write(&file, &saved).unwrap();
        }
        let result = tasklint::fix::write_fixed(&path, &text, &fixed);
        let on_disk = std::fs::read_to_string(&file).unwrap();
        if edited_meanwhile {
            prop_assert!(matches!(result, Err(tasklint::fix::NotWritten::Changed)));
            prop_assert_eq!(on_disk, saved);
        } else {
            prop_assert!(result.is_ok(), "{:?}", result);
            prop_assert_eq!(&on_disk, &fixed);
            prop_assert_eq!(std::fs::read_to_string(&path).unwrap(), fixed);
        }
        prop_assert_eq!(std::fs::metadata(&file).unwrap().ino(), inode);
        if through == 1 {
            prop_assert!(path.symlink_metadata().unwrap().file_type().is_symlink());
        }
        // No backup left behind.
        let names = std::fs::read_dir(dir.path()).unwrap().count();
        prop_assert_eq!(names, if through == 0 { 1 } else { 2 });
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn human_formats_escape_everything_on_any_text_and_spans(
        parts in prop::collection::vec(
            prop_oneof![
                Just("x".repeat(450)),
                Just("\n".to_string()),
                Just("\r".to_string()),
                Just("\r\n".to_string()),
                Just("\x1b]0;t\x07".to_string()),
                Just("\t".to_string()),
                Just("é→".to_string()),
                Just("\u{202e}".to_string()),
                Just("f(a)".to_string()),
            ],
            0..12,
        ),
        spans in prop::collection::vec((0u32..6000, 0u32..900), 1..4),
        name in "[a-z\n\x1b:,%]{1,12}",
        rust in any::<bool>(),
    ) {
        use codespan_reporting::term::termcolor::NoColor;
        use tasklint::diagnostic::{Diagnostic, Related, Severity};
        use tasklint::report::{Emitter, Summary};
        let text: String = parts.concat();
        let path = if rust { format!("{name}.rs") } else { format!("{name}.py") };
        let files = vec![SourceFile::new(path.clone(), path.into(), text)];
        let span = |(s, l): (u32, u32)| tasklint::model::Span::new(s, s + l);
        let d = Diagnostic {
            code: "TL000",
            name: "unreadable-source",
            severity: Severity::Error,
            message: format!("`{name}` \x1b[2J"),
            file: 0,
            span: span(spans[0]),
            label: Some(name.clone()),
            help: Some(name.clone()),
            notes: vec![name.clone()],
            related: spans[1..]
                .iter()
                .map(|s| Related { file: 0, span: span(*s), message: name.clone() })
                .collect(),
            fix: None,
        };
        let ds = vec![d];
        let summary = Summary::new(1, &ds);
        let emitters: [&dyn Emitter; 3] =
            [&tasklint::report::Text, &tasklint::report::Concise, &tasklint::report::Github];
        for e in emitters {
            let mut out = NoColor::new(Vec::new());
            e.emit(&mut out, &ds, &files, &summary).unwrap();
            let out = String::from_utf8(out.into_inner()).unwrap();
            prop_assert!(
                !out.chars().any(|c| c != '\n' && tasklint::report::escape::is_unsafe(c)),
                "{:?}",
                out
            );
        }
    }
}

/// Inputs fuzzing found that once broke something.
mod regressions {
    use super::*;

    #[test]
    fn known_crashers() {
        for text in [
            "",
            "\u{feff}",
            "\u{feff}\u{feff}x",
            "@\n",
            "lambda: (yield)",
            "class A(\n",
            "def f(*, **k): pass",
            "match x:\n case [*_]: pass\n",
            "print 'x'",
            "f'{'",
        ] {
            check_model(text, text.len());
        }
    }
}

//! Rules keep their house style: every rule has a complete documentation page, fixture
//! markers that prove it fires, a name in kebab-case, and a summary in lower case.

use std::path::Path;

use tasklint::rules::ALL;

const SECTIONS: &[&str] = &[
    "## What it flags",
    "## Why it is a problem",
    "## Example",
    "## Use instead",
    "## Known limits",
];

fn fixture_texts() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect()
}

#[test]
fn every_rule_has_a_complete_page() {
    let mut problems = Vec::new();
    for r in ALL {
        let i = &r.info;
        let title = format!("# {} {}", i.code, i.name);
        if !i.doc.starts_with(&title) {
            problems.push(format!("{}: the page must start with `{title}`", i.code));
        }
        for s in SECTIONS {
            if !i.doc.contains(s) {
                problems.push(format!("{}: the page lacks `{s}`", i.code));
            }
        }
        if i.doc.contains("(page to be written)") || i.doc.contains("placeholder") {
            problems.push(format!("{}: the page is still a placeholder", i.code));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_rule_is_proved_by_a_fixture_marker() {
    let texts = fixture_texts();
    let missing: Vec<&str> = ALL
        .iter()
        .map(|r| r.info.code)
        .filter(|code| {
            let marker = format!("[{code}]");
            !texts
                .iter()
                .any(|t| t.contains("expect:") && t.contains(&marker))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "rules without an `expect:` marker in fixtures/: {missing:?}"
    );
}

#[test]
fn names_and_summaries_follow_the_conventions() {
    let mut codes: Vec<&str> = ALL.iter().map(|r| r.info.code).collect();
    let sorted = {
        let mut c = codes.clone();
        c.sort();
        c
    };
    assert_eq!(codes, sorted, "ALL must stay in code order");
    codes.dedup();
    assert_eq!(codes.len(), ALL.len(), "duplicate codes");
    for r in ALL {
        let i = &r.info;
        assert!(
            i.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{}: `{}` is not kebab-case",
            i.code,
            i.name
        );
        let first = i.summary.chars().next().unwrap();
        assert!(
            !first.is_uppercase() && !i.summary.ends_with('.'),
            "{}: summaries start in lower case and end without a period",
            i.code
        );
    }
}

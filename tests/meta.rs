//! Rules keep their house style: every rule has a complete documentation page, fixture
//! markers that prove it fires, a name in kebab-case, and a summary in lower case.

mod common;

use tasklint::rules::ALL;

const SECTIONS: &[&str] = &[
    "## What it flags",
    "## Why it is a problem",
    "## Example",
    "## Use instead",
    "## Known limits",
];

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

/// A marker, parsed as the fixture harness parses it, in a fixture project it checks:
/// a page or a comment that merely mentions `expect:` and a code does not count.
#[test]
fn every_rule_is_proved_by_a_fixture_marker() {
    let mut proved = std::collections::BTreeSet::new();
    for dir in common::fixture_projects() {
        for m in common::markers(&dir).unwrap() {
            proved.insert(m.code().to_string());
        }
    }
    let missing: Vec<&str> = ALL
        .iter()
        .map(|r| r.info.code)
        .filter(|code| !proved.contains(*code))
        .collect();
    assert!(
        missing.is_empty(),
        "rules without an `expect:` marker in a fixture project: {missing:?}"
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

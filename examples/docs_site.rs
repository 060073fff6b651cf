//! The documentation site: the README, `docs/`, CONTRIBUTING and every rule page
//! (`rules/docs/`, the same text `tasklint rule CODE` prints) rendered to static HTML.
//!
//! `cargo run --locked --example docs_site -- target/site` (what `scripts/test` runs)
//! writes it; publish the folder at the `homepage` of Cargo.toml (the repository's
//! GitHub Pages), which SARIF's `helpUri`, the text format's rule links and
//! `tasklint rules --format json` point at (`tasklint::report::DOCS_URL`).
//!
//! A small generator rather than mdBook: it needs nothing but pulldown-cmark (a
//! dev-dependency, built in seconds), so CI builds the site from a clean clone without
//! installing a tool. Links between the Markdown files are rewritten to the pages;
//! links to other files of the repository go to the repository on GitHub.
//! `tests/docs_site.rs` builds it and checks every link.

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};

/// Markdown files of the repository and the pages they become.
const PAGES: &[(&str, &str, &str)] = &[
    ("README.md", "index.html", "tasklint"),
    (
        "docs/configuration.md",
        "configuration.html",
        "Configuration",
    ),
    ("docs/formats.md", "formats.html", "Formats, options and CI"),
    ("CONTRIBUTING.md", "contributing.html", "Contributing"),
];

/// Files copied as they are.
const COPIED: &[(&str, &str)] = &[(
    "docs/tasklint-json-v1.schema.json",
    "tasklint-json-v1.schema.json",
)];

const STYLE: &str = "body{max-width:52rem;margin:2rem auto;padding:0 1rem;font:16px/1.5 system-ui,sans-serif;color:#222}\
nav{margin-bottom:1.5rem;padding-bottom:.5rem;border-bottom:1px solid #ddd}nav a{margin-right:1rem}\
pre{background:#f6f8fa;padding:.75rem;overflow-x:auto}code{font-size:90%}\
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.25rem .5rem;vertical-align:top}";

/// The site page of a repository path (`docs/formats.md` → `formats.html`), if the
/// site has one.
fn page_of(repo_path: &str) -> Option<String> {
    if let Some((_, page, _)) = PAGES.iter().find(|(src, _, _)| *src == repo_path) {
        return Some(page.to_string());
    }
    if let Some((_, page)) = COPIED.iter().find(|(src, _)| *src == repo_path) {
        return Some(page.to_string());
    }
    let trimmed = repo_path.trim_end_matches('/');
    if trimmed == "rules/docs" {
        return Some("rules/index.html".into());
    }
    let code = trimmed.strip_prefix("rules/docs/")?.strip_suffix(".md")?;
    tasklint::rules::find(code).map(|r| format!("rules/{}.html", r.info.code))
}

/// `a/b/../c` → `a/c` (paths inside the repository; `None` when it climbs out).
fn normalise(p: &Path) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

/// A link from the page built from `source` (a repository path), as it must read on
/// the page `page` of the site.
fn rewrite(target: &str, source: &str, page: &str, repository: &str) -> String {
    if target.contains("://") || target.starts_with('#') || target.starts_with("mailto:") {
        return target.to_string();
    }
    let (path, anchor) = match target.split_once('#') {
        Some((p, a)) => (p, format!("#{a}")),
        None => (target, String::new()),
    };
    let dir = Path::new(source).parent().unwrap_or(Path::new(""));
    let Some(repo_path) = normalise(&dir.join(path)) else {
        return target.to_string();
    };
    let is_dir = path.ends_with('/');
    match page_of(&repo_path) {
        Some(p) => {
            let depth = page.matches('/').count();
            format!("{}{p}{anchor}", "../".repeat(depth))
        }
        None => format!(
            "{repository}/{}/main/{repo_path}{anchor}",
            if is_dir { "tree" } else { "blob" }
        ),
    }
}

fn render(markdown: &str, source: &str, page: &str, repository: &str) -> String {
    let parser = Parser::new_ext(markdown, Options::ENABLE_TABLES).map(|e| match e {
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: CowStr::from(rewrite(&dest_url, source, page, repository)),
            title,
            id,
        }),
        e => e,
    });
    let mut out = String::new();
    html::push_html(&mut out, parser);
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn wrap(title: &str, page: &str, body: &str) -> String {
    let up = "../".repeat(page.matches('/').count());
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<link rel=\"stylesheet\" href=\"{up}style.css\">\n</head>\n<body>\n\
         <nav><a href=\"{up}index.html\">tasklint</a><a href=\"{up}configuration.html\">Configuration</a>\
         <a href=\"{up}formats.html\">Formats</a><a href=\"{up}rules/index.html\">Rules</a>\
         <a href=\"{up}contributing.html\">Contributing</a></nav>\n<main>\n{body}</main>\n</body>\n</html>\n",
        escape(title)
    )
}

fn write(out: &Path, page: &str, text: &str, written: &mut Vec<PathBuf>) -> Result<(), String> {
    let path = out.join(page);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    written.push(path);
    Ok(())
}

/// Builds the site from the repository at `repo` into `out`; returns the files written.
pub fn build(repo: &Path, out: &Path) -> Result<Vec<PathBuf>, String> {
    let repository = env!("CARGO_PKG_REPOSITORY");
    let mut written = Vec::new();
    write(out, "style.css", STYLE, &mut written)?;
    for (source, page, title) in PAGES {
        let text =
            std::fs::read_to_string(repo.join(source)).map_err(|e| format!("{source}: {e}"))?;
        let body = render(&text, source, page, repository);
        write(out, page, &wrap(title, page, &body), &mut written)?;
    }
    for (source, page) in COPIED {
        let text =
            std::fs::read_to_string(repo.join(source)).map_err(|e| format!("{source}: {e}"))?;
        write(out, page, &text, &mut written)?;
    }
    // The rule pages: the text `tasklint rule CODE` prints, which the binary embeds.
    let mut index = String::from(
        "<h1>Rules</h1>\n<p>Every rule, with its default severity; <code>tasklint rules</code> \
         prints the same list and <code>tasklint rule CODE</code> a page.</p>\n<table>\n\
         <tr><th>code</th><th>name</th><th>what it flags</th><th>default</th><th>languages</th></tr>\n",
    );
    for r in tasklint::rules::ALL {
        let i = &r.info;
        let page = format!("rules/{}.html", i.code);
        let source = format!("rules/docs/{}.md", i.code);
        let body = render(i.doc, &source, &page, repository);
        write(
            out,
            &page,
            &wrap(&format!("{} {}", i.code, i.name), &page, &body),
            &mut written,
        )?;
        let langs: Vec<&str> = i
            .languages
            .iter()
            .map(|l| match l {
                tasklint::model::Language::Python => "python",
                tasklint::model::Language::Rust => "rust",
            })
            .collect();
        let _ = writeln!(
            index,
            "<tr><td><a href=\"{}.html\">{}</a></td><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td></tr>",
            i.code,
            i.code,
            i.name,
            escape(i.summary),
            i.severity.as_str(),
            if i.default_enabled { "" } else { ", opt-in" },
            langs.join(", ")
        );
    }
    index.push_str("</table>\n");
    write(
        out,
        "rules/index.html",
        &wrap("Rules", "rules/index.html", &index),
        &mut written,
    )?;
    Ok(written)
}

#[allow(dead_code)]
fn main() {
    let out = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("target/site"), PathBuf::from);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    match build(repo, &out) {
        Ok(files) => println!(
            "docs site: {} files in {} (publish at {})",
            files.len(),
            out.display(),
            tasklint::report::DOCS_URL
        ),
        Err(e) => {
            eprintln!("docs site: {e}");
            std::process::exit(1);
        }
    }
}

//! The documentation site (`examples/docs_site.rs`) builds from a clean checkout, has a
//! page for every rule where SARIF's `helpUri` and the text output's links point, and
//! has no broken link.

#[allow(dead_code)]
#[path = "../examples/docs_site.rs"]
mod docs_site;

use std::path::Path;

fn hrefs(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("href=\"") {
        rest = &rest[i + 6..];
        let end = rest.find('"').expect("a closed attribute");
        out.push(rest[..end].replace("&amp;", "&"));
        rest = &rest[end..];
    }
    out
}

#[test]
fn the_site_builds_with_a_page_per_rule_and_no_broken_link() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let written = docs_site::build(repo, out.path()).expect("the site builds");
    let site = out.path();
    for page in [
        "index.html",
        "configuration.html",
        "formats.html",
        "contributing.html",
        "rules/index.html",
        "tasklint-json-v1.schema.json",
    ] {
        assert!(site.join(page).is_file(), "no {page}");
    }
    let base = tasklint::report::DOCS_URL;
    assert!(
        base.starts_with("https://") && base.ends_with('/'),
        "{base}"
    );
    for r in tasklint::rules::ALL {
        // Where the outputs point, on the site.
        let url = tasklint::report::rule_url(r.info.code);
        let rel = url.strip_prefix(base).expect("rule pages are on the site");
        let page = std::fs::read_to_string(site.join(rel))
            .unwrap_or_else(|e| panic!("{url}: no page ({e})"));
        assert!(
            page.contains(&format!("{} {}", r.info.code, r.info.name)),
            "{rel}"
        );
        assert!(page.contains("What it flags"), "{rel}");
    }
    let repository = env!("CARGO_PKG_REPOSITORY");
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in written
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "html"))
    {
        let html = std::fs::read_to_string(file).unwrap();
        let dir = file.parent().unwrap();
        for href in hrefs(&html) {
            let target = href.split('#').next().unwrap();
            checked += 1;
            let ok = if let Some(p) = target.strip_prefix(base) {
                // The site's root is its index page.
                let p = if p.is_empty() || p.ends_with('/') {
                    format!("{p}index.html")
                } else {
                    p.to_string()
                };
                site.join(p).is_file()
            } else if let Some(p) = target
                .strip_prefix(&format!("{repository}/blob/main/"))
                .or_else(|| target.strip_prefix(&format!("{repository}/tree/main/")))
            {
                repo.join(p).exists()
            } else if target.contains("://") || target.is_empty() {
                true
            } else {
                dir.join(target).is_file()
            };
            if !ok {
                broken.push(format!(
                    "{}: {href}",
                    file.strip_prefix(site).unwrap().display()
                ));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked > 50, "only {checked} links: is the site empty?");
}

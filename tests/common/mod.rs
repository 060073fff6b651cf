//! Helpers shared by the integration tests (each test file includes this module).

use std::path::{Path, PathBuf};

/// Every fixture project: the folders of `fixtures/python` and `fixtures/rust`, sorted.
pub fn fixture_projects() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out = Vec::new();
    for lang in ["python", "rust"] {
        let Ok(entries) = std::fs::read_dir(root.join(lang)) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.push(p);
            }
        }
    }
    out.sort();
    assert!(
        !out.is_empty(),
        "no fixture project under {}",
        root.display()
    );
    out
}

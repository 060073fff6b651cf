//! The parse floor: how long tree-sitter alone takes to parse every Python file of a tree,
//! on one thread, with nothing else done. No check can cost less than parsing the files
//! it needs, so this (scaled by the share of bytes a check parses, divided by the threads)
//! is the lowest first-run time tasklint could reach while it parses what it parses now.
//!
//!     cargo bench --bench parse_floor -- TREE [TREE ...]
//!
//! Prints, per tree: files, megabytes, syntax nodes, and the CPU seconds of the parse
//! (median of 3 passes over the files, read into memory first).

use std::path::{Path, PathBuf};
use std::time::Instant;

/// Folders no check reads: version control, dependencies, caches.
const SKIP: &[&str] = &[
    ".git",
    ".hg",
    "node_modules",
    "target",
    ".tasklint_cache",
    ".ruff_cache",
    "__pycache__",
    ".venv",
    "venv",
];

fn python_files(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| !(e.file_type().is_dir() && SKIP.iter().any(|s| e.file_name() == *s)))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "py"))
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

fn main() {
    // `cargo bench` passes `--bench` to every bench target: only paths are trees.
    let trees: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if trees.is_empty() {
        eprintln!("usage: cargo bench --bench parse_floor -- TREE [TREE ...]");
        std::process::exit(2);
    }
    let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
    println!("tree\tfiles\tMB\tnodes\tparse cpu s (1 thread)");
    for tree in &trees {
        let texts: Vec<Vec<u8>> = python_files(Path::new(tree))
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .collect();
        let bytes: usize = texts.iter().map(Vec::len).sum();
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&language)
            .expect("tree-sitter-python loads");
        let mut times = Vec::new();
        let mut nodes = 0;
        for _ in 0..3 {
            nodes = 0;
            let start = Instant::now();
            for text in &texts {
                if let Some(t) = parser.parse(text, None) {
                    nodes += t.root_node().descendant_count();
                }
            }
            times.push(start.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{tree}\t{}\t{:.1}\t{nodes}\t{:.3}",
            texts.len(),
            bytes as f64 / 1e6,
            times[1]
        );
    }
}

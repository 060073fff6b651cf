//! Python module names from file paths.
//!
//! A file's primary name follows its `__init__.py` chain: `shop/orders/views.py` is
//! `orders.views` when `shop/` has no `__init__.py` and `orders/` has one. Common source
//! roots (the checked folder, `src/`, the folder holding `manage.py`) add names relative to
//! them, so namespace packages and `sys.path` tricks still resolve. The first file to claim
//! a name keeps it (files are visited in path order, so this is deterministic).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::source::FileId;

#[derive(Debug, Default)]
pub struct ModuleTable {
    by_name: HashMap<String, FileId>,
    /// Names that are packages (a prefix of some module name), with or without a file.
    packages: HashSet<String>,
    /// Primary module name of each file (`None` for non-Python files and odd paths).
    primary: HashMap<FileId, String>,
}

impl ModuleTable {
    /// `files`: (file id, path relative to its root, root id), Python files only, sorted
    /// by path.
    pub fn build(files: &[(FileId, PathBuf, usize)]) -> ModuleTable {
        let mut table = ModuleTable::default();
        let dirs_with_init: HashSet<(usize, PathBuf)> = files
            .iter()
            .filter(|(_, p, _)| p.file_name().is_some_and(|n| n == "__init__.py"))
            .map(|(_, p, r)| (*r, p.parent().unwrap_or(Path::new("")).to_path_buf()))
            .collect();
        // Source roots per checked root: the root itself, every `src` folder and every
        // folder holding a manage.py.
        let mut source_roots: BTreeSet<(usize, PathBuf)> = BTreeSet::new();
        for (_, p, r) in files {
            source_roots.insert((*r, PathBuf::new()));
            let parent = p.parent().unwrap_or(Path::new(""));
            if p.file_name().is_some_and(|n| n == "manage.py") {
                source_roots.insert((*r, parent.to_path_buf()));
            }
            for a in parent.ancestors() {
                if a.file_name().is_some_and(|n| n == "src") {
                    source_roots.insert((*r, a.to_path_buf()));
                }
            }
        }

        // Primary names first, for every file, so that they win over aliases.
        let mut aliases: Vec<(String, FileId)> = Vec::new();
        for (id, path, root) in files {
            // Walk up while the folder is a package.
            let mut package_depth = 0;
            let mut dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
            while !dir.as_os_str().is_empty() && dirs_with_init.contains(&(*root, dir.clone())) {
                package_depth += 1;
                dir = dir.parent().unwrap_or(Path::new("")).to_path_buf();
            }
            // The package folders plus the file itself (`__init__` is dropped below).
            let keep = package_depth + 1;
            let comps: Vec<_> = path.components().collect();
            if comps.len() >= keep {
                let tail: PathBuf = comps[comps.len() - keep..].iter().collect();
                if let Some(parts) = module_parts(&tail) {
                    let name = parts
                        .iter()
                        .map(String::as_str)
                        .filter(|p| *p != "__init__")
                        .collect::<Vec<_>>()
                        .join(".");
                    if !name.is_empty() {
                        table.primary.insert(*id, name.clone());
                        table.claim(name, *id);
                    }
                }
            }
            for (r, sr) in &source_roots {
                if r != root || !path.starts_with(sr) {
                    continue;
                }
                let rel = path.strip_prefix(sr).unwrap_or(path);
                if let Some(parts) = module_parts(rel) {
                    let name_parts: Vec<&str> = parts
                        .iter()
                        .map(String::as_str)
                        .filter(|p| *p != "__init__")
                        .collect();
                    if !name_parts.is_empty() {
                        aliases.push((name_parts.join("."), *id));
                    }
                }
            }
        }
        for (name, id) in aliases {
            table.primary.entry(id).or_insert_with(|| name.clone());
            table.claim(name, id);
        }
        table
    }

    fn claim(&mut self, name: String, id: FileId) {
        let mut prefix = String::new();
        for part in name.split('.') {
            if !prefix.is_empty() {
                self.packages.insert(prefix.clone());
                prefix.push('.');
            }
            prefix.push_str(part);
        }
        self.by_name.entry(name).or_insert(id);
    }

    pub fn file(&self, name: &str) -> Option<FileId> {
        self.by_name.get(name).copied()
    }

    pub fn is_package(&self, name: &str) -> bool {
        self.packages.contains(name)
    }

    pub fn name_of(&self, file: FileId) -> Option<&str> {
        self.primary.get(&file).map(String::as_str)
    }

    /// The top-level names the project defines (`orders` for `orders.views`).
    pub fn is_project_root_name(&self, first: &str) -> bool {
        self.by_name.contains_key(first) || self.packages.contains(first)
    }
}

/// `a/b/c.py` → `["a", "b", "c"]`, or `None` when a part is not an identifier.
fn module_parts(path: &Path) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let comps: Vec<_> = path.components().collect();
    for (i, c) in comps.iter().enumerate() {
        let s = c.as_os_str().to_str()?;
        let s = if i + 1 == comps.len() {
            s.strip_suffix(".py")?
        } else {
            s
        };
        if s.is_empty()
            || !s.chars().all(|c| c.is_alphanumeric() || c == '_')
            || s.starts_with(|c: char| c.is_ascii_digit())
        {
            return None;
        }
        parts.push(s.to_string());
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(paths: &[&str]) -> ModuleTable {
        let files: Vec<(FileId, PathBuf, usize)> = paths
            .iter()
            .enumerate()
            .map(|(i, p)| (i, PathBuf::from(p), 0))
            .collect();
        ModuleTable::build(&files)
    }

    #[test]
    fn names_follow_the_init_chain() {
        let t = table(&[
            "proj/manage.py",
            "proj/orders/__init__.py",
            "proj/orders/views.py",
            "proj/shop/__init__.py",
            "proj/shop/settings.py",
        ]);
        assert_eq!(t.file("orders.views"), Some(2));
        assert_eq!(t.file("orders"), Some(1));
        assert_eq!(t.name_of(4), Some("shop.settings"));
        // Alias relative to the checked root.
        assert_eq!(t.file("proj.orders.views"), Some(2));
        assert!(t.is_package("orders"));
    }

    #[test]
    fn namespace_packages_and_src_layout() {
        let t = table(&[
            "src/pkg/__init__.py",
            "src/pkg/tasks.py",
            "scripts/ns/tool.py",
        ]);
        assert_eq!(t.file("pkg.tasks"), Some(1));
        assert_eq!(t.file("scripts.ns.tool"), Some(2));
        assert!(t.is_package("scripts.ns"));
    }

    #[test]
    fn non_identifier_paths_get_no_name() {
        let t = table(&[
            "my-app/views.py",
            "0001_initial.py",
            "my-site/orders/__init__.py",
            "my-site/orders/views.py",
        ]);
        // A folder that is not a package is a source folder of its own.
        assert_eq!(t.name_of(0), Some("views"));
        assert_eq!(t.name_of(1), None);
        assert_eq!(t.name_of(3), Some("orders.views"));
    }
}

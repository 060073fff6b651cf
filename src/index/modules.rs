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
    /// Each file's root and path relative to it.
    located: HashMap<FileId, (usize, PathBuf)>,
    /// Files by root and relative path.
    by_path: HashMap<(usize, PathBuf), FileId>,
    /// Files whose folder has no `__init__.py` (a namespace package, or a plain folder).
    outside_packages: HashSet<FileId>,
    /// Of those, the files whose folder is a namespace portion of a regular package
    /// (`pkg/celery/app.py` with `pkg/__init__.py`): imported as `pkg.celery.app`, never
    /// run as a script.
    in_namespace_portions: HashSet<FileId>,
    /// Names each file won (its primary name first, then aliases), so that a name can be
    /// chosen that leads back to the file.
    won: HashMap<FileId, Vec<String>>,
    /// A dotted name for each folder holding Python files: the prefix of a name one of its
    /// files won (`scripts.ns` for `scripts/ns/tool.py` known as `scripts.ns.tool`).
    folder_names: HashMap<(usize, PathBuf), String>,
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
            table.located.insert(*id, (*root, path.clone()));
            table.by_path.insert((*root, path.clone()), *id);
            let folder = path.parent().unwrap_or(Path::new("")).to_path_buf();
            if !dirs_with_init.contains(&(*root, folder)) {
                table.outside_packages.insert(*id);
            }
            // Walk up while the folder is a package.
            let mut package_depth = 0;
            let mut dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
            while !dir.as_os_str().is_empty() {
                let parent = dir.parent().unwrap_or(Path::new("")).to_path_buf();
                // A folder without `__init__.py` inside a regular package is a namespace
                // portion of that package (`pkg/utils/rest_framework/` is
                // `pkg.utils.rest_framework`), not a source root: a name starting there
                // would shadow a library of the same name. So is a folder inside such a
                // portion (`pkg/build/session/`), however deep.
                let in_package = {
                    let mut d = dir.as_path();
                    loop {
                        if dirs_with_init.contains(&(*root, d.to_path_buf())) {
                            break true;
                        }
                        let up = d.parent().unwrap_or(Path::new(""));
                        let name_ok = d
                            .file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(is_identifier);
                        if !name_ok || up.as_os_str().is_empty() {
                            break false;
                        }
                        d = up;
                    }
                };
                if !in_package {
                    break;
                }
                package_depth += 1;
                dir = parent;
            }
            if package_depth > 0 && table.outside_packages.contains(id) {
                table.in_namespace_portions.insert(*id);
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
        // Folder names, from the names files won: the longest wins, as the least likely
        // to be shared with another folder.
        let mut folder_names: HashMap<(usize, PathBuf), String> = HashMap::new();
        for (id, path, root) in files {
            let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            let folder = path.parent().unwrap_or(Path::new("")).to_path_buf();
            for name in table.won.get(id).into_iter().flatten() {
                let prefix = if stem == "__init__" {
                    Some(name.as_str())
                } else {
                    name.strip_suffix(stem).and_then(|p| p.strip_suffix('.'))
                };
                let Some(prefix) = prefix.filter(|p| !p.is_empty()) else {
                    continue;
                };
                let e = folder_names.entry((*root, folder.clone())).or_default();
                if prefix.len() > e.len() {
                    *e = prefix.to_string();
                }
            }
        }
        table.folder_names = folder_names;
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
        if let std::collections::hash_map::Entry::Vacant(e) = self.by_name.entry(name.clone()) {
            e.insert(id);
            self.won.entry(id).or_default().push(name);
        }
    }

    /// A relative import (`from . import tasks`, `from ..jobs import run`) in a file whose
    /// folder is not a package, as an absolute dotted name that leads to the file next to
    /// it on disk: such a file's own module name has no folder part, so resolving against
    /// it would find whichever `tasks.py` first claimed the name, perhaps a sibling
    /// folder's. `None` for files inside packages (their names already carry the
    /// folders), and when nothing on disk matches.
    pub fn relative_to_folder(
        &self,
        file: FileId,
        level: u32,
        path: &[String],
    ) -> Option<Vec<String>> {
        if !self.outside_packages.contains(&file) {
            return None;
        }
        let (root, relative) = self.located.get(&file)?;
        let mut dir = relative.parent()?.to_path_buf();
        for _ in 1..level {
            dir = dir.parent()?.to_path_buf();
        }
        for k in (0..=path.len()).rev() {
            let mut sub = dir.clone();
            sub.extend(&path[..k]);
            let rest = path[k..].iter().cloned();
            if k > 0 {
                let module = sub.with_extension("py");
                let found = self
                    .by_path
                    .get(&(*root, module))
                    .or_else(|| self.by_path.get(&(*root, sub.join("__init__.py"))));
                if let Some(f) = found {
                    let name = self.won.get(f)?.first()?;
                    return Some(name.split('.').map(String::from).chain(rest).collect());
                }
            }
            if let Some(name) = self.folder_names.get(&(*root, sub)) {
                return Some(name.split('.').map(String::from).chain(rest).collect());
            }
        }
        None
    }

    /// An absolute import in a script outside packages (`from _helpers.io import load`
    /// in `tools/translate.py`, next to `tools/_helpers/`): Python puts a script's own
    /// folder first on `sys.path`, so a module or package of that name beside it is the
    /// one imported. `None` when the file is inside a package (a namespace portion of
    /// one too: `from celery import Celery` in `pkg/celery/app.py` is the library), or
    /// nothing of that name is beside it.
    pub fn beside_script(&self, file: FileId, path: &[String]) -> Option<Vec<String>> {
        let first = path.first()?;
        if !self.outside_packages.contains(&file) || self.in_namespace_portions.contains(&file) {
            return None;
        }
        let (root, relative) = self.located.get(&file)?;
        let dir = relative.parent()?.join(first);
        let beside = self
            .by_path
            .contains_key(&(*root, dir.with_extension("py")))
            || self.folder_names.contains_key(&(*root, dir.clone()))
            || self.by_path.contains_key(&(*root, dir.join("__init__.py")));
        if !beside {
            return None;
        }
        self.relative_to_folder(file, 1, path)
    }

    pub fn file(&self, name: &str) -> Option<FileId> {
        self.by_name.get(name).copied()
    }

    /// The project files importing the dotted module `parts` runs: every package on its
    /// path, then the module (`import a.b.c` runs `a/__init__.py`, `a/b/__init__.py`,
    /// then `a/b/c.py`), those that are project files.
    pub fn module_and_parents<S: AsRef<str>>(&self, parts: &[S]) -> Vec<FileId> {
        let mut name = String::new();
        let mut out = Vec::new();
        for part in parts {
            if !name.is_empty() {
                name.push('.');
            }
            name.push_str(part.as_ref());
            out.extend(self.file(&name));
        }
        out
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

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
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
        if !is_identifier(s) {
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
    fn a_folder_without_init_inside_a_package_is_part_of_it() {
        let t = table(&[
            "app/__init__.py",
            "app/api/__init__.py",
            "app/api/utils/rest_framework/__init__.py",
            "app/api/utils/rest_framework/viewsets.py",
            "tools/__init__.py",
            "tools/load-test/client/__init__.py",
            "tools/load-test/client/auth.py",
        ]);
        // Not `rest_framework.viewsets`: that name belongs to the library it would shadow.
        assert_eq!(t.name_of(3), Some("app.api.utils.rest_framework.viewsets"));
        assert_eq!(t.file("rest_framework.viewsets"), None);
        // A folder whose name is not an identifier cannot be imported through: the
        // package below it starts a name.
        assert_eq!(t.name_of(6), Some("client.auth"));
    }

    #[test]
    fn folders_without_init_nested_in_a_package_are_part_of_it() {
        let t = table(&[
            "app/__init__.py",
            "app/features/build/session/api.py",
            "app/features/build/session/manager.py",
        ]);
        assert_eq!(t.name_of(1), Some("app.features.build.session.api"));
        assert_eq!(t.file("app.features.build.session.manager"), Some(2));
        assert_eq!(t.file("api"), None);
    }

    #[test]
    fn relative_imports_outside_packages_stay_in_their_folder() {
        let t = table(&[
            "alpha/tasks.py",
            "alpha/views.py",
            "beta/jobs/mail.py",
            "beta/tasks.py",
            "beta/views.py",
            "pkg/__init__.py",
            "pkg/views.py",
        ]);
        let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // Both `tasks.py` are importable as `tasks`; alpha's claimed it first.
        assert_eq!(t.file("tasks"), Some(0));
        let beta = t.relative_to_folder(4, 1, &path(&["tasks"])).unwrap();
        assert_eq!(t.file(&beta.join(".")), Some(3));
        let alpha = t
            .relative_to_folder(1, 1, &path(&["tasks", "notify"]))
            .unwrap();
        assert_eq!(alpha.last().map(String::as_str), Some("notify"));
        assert_eq!(t.file(&alpha[..alpha.len() - 1].join(".")), Some(0));
        // A folder without a module of that name: the namespace package itself.
        let jobs = t.relative_to_folder(4, 1, &path(&["jobs"])).unwrap();
        assert!(t.is_package(&jobs.join(".")));
        // Inside a regular package the module name already says where it is.
        assert_eq!(t.relative_to_folder(6, 1, &path(&["tasks"])), None);
    }

    #[test]
    fn absolute_imports_in_namespace_portions_are_not_script_imports() {
        let t = table(&[
            "pkg/__init__.py",
            "pkg/celery/celery.py",
            "pkg/celery/config.py",
            "tools/celery.py",
            "tools/run.py",
        ]);
        let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // `from celery import Celery` in `pkg/celery/celery.py` is the library, not itself.
        assert_eq!(t.name_of(1), Some("pkg.celery.celery"));
        assert_eq!(t.beside_script(1, &path(&["celery"])), None);
        // A script in a plain folder imports the module beside it.
        let beside = t.beside_script(4, &path(&["celery"])).unwrap();
        assert_eq!(t.file(&beside.join(".")), Some(3));
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

//! The Rust half of the project index: crates from `Cargo.toml`, each crate's module
//! tree, `impl` blocks by type, and (in the submodules) name resolution, offload wrappers,
//! request handlers and async context.
//!
//! Paths are spelled with `.` inside the index, like Python names: the module
//! `crate::api::admin` of the crate `vaultwarden` is `vaultwarden.api.admin`, and an
//! external path `std::fs::read` is [`Value::External`]`("std.fs.read")`. A project module
//! is a [`Value::Package`] of its path.

pub mod context;
pub mod handlers;
pub mod jobs;
pub mod manifest;
pub mod resolve;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::{Component, Path, PathBuf};

use crate::model::{ExprKind, Language, ScopeId, ScopeKind};
use crate::source::FileId;

use super::{ClassRef, FuncRef, Project, Value};
use manifest::{Manifest, Manifests};

pub type ModId = usize;

/// A compiled crate: a package's library, one of its binaries, or a test/example target.
#[derive(Debug)]
pub struct Crate {
    /// The module path of the crate root (`my_app`, or `my_app$bin_name` for a binary
    /// next to a library: nothing can name it from outside).
    pub root_path: String,
    /// The package's manifest (`None` for files outside any Cargo package).
    pub manifest: Option<usize>,
    /// Test, bench or example target.
    pub test: bool,
    /// A binary target (`src/main.rs`, `src/bin/*`, `[[bin]]`): its package is an
    /// application, whose library serves its binaries rather than unknown users.
    pub binary: bool,
    /// The crate root's file.
    pub root_file: Option<FileId>,
}

#[derive(Debug)]
pub struct Module {
    pub krate: usize,
    /// `my_app.api.admin`
    pub path: String,
    pub file: FileId,
    pub scope: ScopeId,
    pub parent: Option<ModId>,
    pub children: BTreeMap<String, ModId>,
    /// Under `#[cfg(test)]` (or a test target).
    pub test: bool,
}

/// What makes a project function an offload wrapper or a detaching spawner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WrapperKind {
    /// Runs the closure it is given on a blocking thread (`DbConn::run`).
    Offload,
    /// Spawns the future it is given and drops the handle (lemmy's `spawn_try_task`).
    Detach,
}

#[derive(Clone, Debug)]
pub struct RustHandler {
    pub func: FuncRef,
    pub framework: String,
    /// The framework calls this sync function inline on its async runtime.
    pub sync_on_runtime: bool,
    pub registered_at: Option<(FileId, crate::model::Span)>,
}

#[derive(Debug, Default)]
pub struct RustIndex {
    /// Unique to this index (caches kept per thread must not outlive it).
    pub id: usize,
    pub manifests: Vec<Manifest>,
    pub crates: Vec<Crate>,
    /// Library crates by the name code uses for them.
    crate_by_ident: HashMap<String, usize>,
    pub modules: Vec<Module>,
    module_by_path: HashMap<String, ModId>,
    module_of_scope: HashMap<(FileId, ScopeId), ModId>,
    /// Type key of each `impl` block and type definition (see [`RustIndex::type_key`]).
    key_of: HashMap<ClassRef, String>,
    impls_by_key: HashMap<String, Vec<ClassRef>>,
    /// Type definitions by (crate, name), for `impl` blocks whose type did not resolve.
    types_by_name: HashMap<(usize, String), Vec<ClassRef>>,
    /// Type definitions by key.
    type_by_key: HashMap<String, ClassRef>,
    /// `impl Trait for Type` blocks by the trait's key (project traits only).
    impls_of_trait: HashMap<String, Vec<ClassRef>>,
    pub wrappers: HashMap<FuncRef, WrapperKind>,
    /// Method names of offload wrappers: a call of that name on a receiver tasklint
    /// cannot resolve is taken as one (unknown must not produce findings).
    pub wrapper_methods: HashSet<String>,
    /// Project functions with a closure parameter they neither call nor pass on where
    /// tasklint can see it (only inside a macro): a closure given there runs who knows
    /// where.
    pub opaque_closures: HashSet<FuncRef>,
    /// Job queues other than rusty-celery, found on first use.
    pub jobs: std::sync::OnceLock<jobs::RustJobs>,
    pub handlers: Vec<RustHandler>,
    handler_index: HashMap<FuncRef, usize>,
    /// rusty-celery tasks (sync ones run inline on the worker's runtime).
    pub celery_tasks: HashMap<FuncRef, String>,
    /// Crates that serve requests or run tasks: they define or register request handlers
    /// or rusty-celery tasks.
    pub service_crates: HashSet<usize>,
    /// Functions only tests call (directly or through other such functions).
    pub test_only: HashSet<FuncRef>,
    /// Functions only the runtime's entry point calls (directly or through other such
    /// functions): start-up code.
    pub startup_only: HashSet<FuncRef>,
    pub globs: GlobTables,
    /// Per file: bindings of its function and closure scopes by (scope, name), so that a
    /// lookup in a long function does not scan all its bindings.
    local_bindings: Vec<HashMap<(ScopeId, String), Vec<usize>>>,
}

/// What glob imports (`use crate::prelude::*;`) bring into each module, computed once:
/// resolving through globs at each lookup explores every glob path again, which is
/// exponential on projects whose modules glob-import each other.
#[derive(Debug, Default)]
pub struct GlobTables {
    /// Per module: name → the project module that defines it.
    names: Vec<HashMap<String, ModId>>,
    /// Per module: globs of library modules (`actix_web.web`).
    external: Vec<Vec<String>>,
    /// Per module: its own bindings by name (indices into the module scope's bindings,
    /// in source order), so a lookup does not scan a big module's items.
    direct: Vec<HashMap<String, Vec<usize>>>,
}

impl GlobTables {
    pub fn origin(&self, m: ModId, name: &str) -> Option<ModId> {
        self.names.get(m).and_then(|n| n.get(name)).copied()
    }

    pub fn external(&self, m: ModId) -> &[String] {
        self.external.get(m).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn bindings(&self, m: ModId, name: &str) -> &[usize] {
        self.direct
            .get(m)
            .and_then(|d| d.get(name))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

impl RustIndex {
    /// Crates and module trees. Needs only the files and their models.
    pub fn build(project: &Project) -> RustIndex {
        static NEXT_ID: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
        let mut ix = RustIndex {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            ..RustIndex::default()
        };
        // Files that did not parse (TL000) have no scopes and take no part.
        let rust_files: Vec<FileId> = project
            .rust_models()
            .filter(|(_, m)| !m.scopes.is_empty())
            .map(|(f, _)| f)
            .collect();
        if rust_files.is_empty() {
            return ix;
        }
        ix.local_bindings = (0..project.files.len())
            .map(|file| {
                let mut map: HashMap<(ScopeId, String), Vec<usize>> = HashMap::new();
                if project.models.language(file) != Language::Rust {
                    return map;
                }
                let model = &project.models[file];
                for (sid, s) in model.scopes.iter().enumerate() {
                    if matches!(s.kind, ScopeKind::Function | ScopeKind::Lambda) {
                        for (i, b) in s.bindings.iter().enumerate() {
                            map.entry((sid, b.name.as_str().to_owned()))
                                .or_default()
                                .push(i);
                        }
                    }
                }
                map
            })
            .collect();
        let by_path: HashMap<PathBuf, FileId> = rust_files
            .iter()
            .map(|f| (normalize(&project.files[*f].path), *f))
            .collect();

        // Packages, by the folder of their manifest.
        let mut manifests = Manifests::default();
        let mut package_of_file: HashMap<FileId, usize> = HashMap::new();
        let mut package_by_dir: HashMap<PathBuf, usize> = HashMap::new();
        for &f in &rust_files {
            let path = normalize(&project.files[f].path);
            let Some(dir) = manifests.package_dir_of(&path) else {
                continue;
            };
            let idx = match package_by_dir.get(&dir) {
                Some(i) => *i,
                None => {
                    let Some(m) = manifests.manifest(&dir) else {
                        continue;
                    };
                    ix.manifests.push(m);
                    package_by_dir.insert(dir, ix.manifests.len() - 1);
                    ix.manifests.len() - 1
                }
            };
            package_of_file.insert(f, idx);
        }
        project.side_files.extend(manifests.reads);

        // Each package's own files, so that finding its targets does not walk every
        // file of a large workspace once per package.
        let mut paths_of_package: Vec<Vec<(&PathBuf, FileId)>> =
            vec![Vec::new(); ix.manifests.len()];
        for (path, f) in &by_path {
            if let Some(&p) = package_of_file.get(f) {
                paths_of_package[p].push((path, *f));
            }
        }

        // Targets: each a crate whose root module walks `mod` declarations.
        let mut assigned: HashSet<FileId> = HashSet::new();
        for (p, own_paths) in paths_of_package.iter().enumerate() {
            let m = ix.manifests[p].clone();
            let Some(ident) = m.ident() else { continue };
            let lib_path = m.dir.join(m.lib_path.as_deref().unwrap_or("src/lib.rs"));
            let lib = by_path.get(&normalize(&lib_path)).copied();
            let mut bins: Vec<(String, FileId)> = Vec::new();
            for (name, path) in &m.bins {
                let p = m
                    .dir
                    .join(path.clone().unwrap_or_else(|| format!("src/bin/{name}.rs")));
                if let Some(f) = by_path.get(&normalize(&p)) {
                    bins.push((name.clone(), *f));
                }
            }
            if let Some(f) = by_path.get(&normalize(&m.dir.join("src/main.rs"))) {
                bins.push(("main".into(), *f));
            }
            let mut extra: Vec<(String, FileId, bool)> = Vec::new();
            for (folder, test) in [
                ("src/bin", false),
                ("tests", true),
                ("examples", true),
                ("benches", true),
            ] {
                let dir = normalize(&m.dir.join(folder));
                let mut found: Vec<(String, FileId)> = own_paths
                    .iter()
                    .filter_map(|(path, f)| {
                        let rel = path.strip_prefix(&dir).ok()?;
                        let comps: Vec<_> = rel.components().collect();
                        match comps.as_slice() {
                            [Component::Normal(n)] => {
                                let n = n.to_str()?;
                                Some((n.strip_suffix(".rs")?.to_string(), *f))
                            }
                            [Component::Normal(d), Component::Normal(n)] if *n == "main.rs" => {
                                Some((d.to_str()?.to_string(), *f))
                            }
                            _ => None,
                        }
                    })
                    .collect();
                found.sort();
                for (name, f) in found {
                    if bins.iter().any(|(_, b)| *b == f) {
                        continue;
                    }
                    extra.push((name, f, test));
                }
            }
            if let Some(f) = lib {
                let c = ix.add_crate(ident.clone(), Some(p), false, false);
                ix.crate_by_ident.entry(ident.clone()).or_insert(c);
                ix.walk_crate(project, c, f, &by_path, &mut assigned);
            }
            for (i, (name, f)) in bins.iter().enumerate() {
                let root = if lib.is_none() && i == 0 {
                    ident.clone()
                } else {
                    format!("{ident}${name}")
                };
                let c = ix.add_crate(root, Some(p), false, true);
                ix.walk_crate(project, c, *f, &by_path, &mut assigned);
            }
            for (name, f, test) in extra {
                let c = ix.add_crate(format!("{ident}${name}"), Some(p), test, !test);
                ix.walk_crate(project, c, f, &by_path, &mut assigned);
            }
        }

        // Files no `mod` declaration reached (behind a macro or a cfg, or outside any
        // package): a module named after the path, so their functions still count.
        for &f in &rust_files {
            if assigned.contains(&f) {
                continue;
            }
            let path = normalize(&project.files[f].path);
            let (krate, base, rel) = match package_of_file.get(&f) {
                Some(&p) => {
                    let m = &ix.manifests[p];
                    let ident = m.ident().unwrap_or_default();
                    let src = m.dir.join("src");
                    let rel = path
                        .strip_prefix(&src)
                        .or_else(|_| path.strip_prefix(&m.dir))
                        .unwrap_or(&path)
                        .to_path_buf();
                    let krate = ix.crate_for_orphan(p, &ident);
                    (krate, ident, rel)
                }
                None => {
                    let krate = ix.add_crate(String::new(), None, false, false);
                    (krate, String::new(), project.relative[f].clone())
                }
            };
            let mut parts: Vec<String> = if base.is_empty() {
                Vec::new()
            } else {
                vec![base]
            };
            let comps: Vec<String> = rel
                .components()
                .filter_map(|c| c.as_os_str().to_str().map(String::from))
                .collect();
            for (i, c) in comps.iter().enumerate() {
                let last = i + 1 == comps.len();
                let name = if last {
                    c.strip_suffix(".rs").unwrap_or(c)
                } else {
                    c.as_str()
                };
                if last && matches!(name, "mod" | "lib" | "main") {
                    continue;
                }
                parts.push(name.replace('-', "_"));
            }
            let mut path_name = parts.join(".");
            if ix.module_by_path.contains_key(&path_name) || path_name.is_empty() {
                path_name = format!("{path_name}${f}");
            }
            let test = project.is_test[f];
            let m = ix.add_module(krate, path_name, f, 0, None, test);
            assigned.insert(f);
            ix.walk_inline_and_decls(project, m, &by_path, &mut assigned);
        }
        ix
    }

    fn add_crate(
        &mut self,
        root_path: String,
        manifest: Option<usize>,
        test: bool,
        binary: bool,
    ) -> usize {
        self.crates.push(Crate {
            root_path,
            manifest,
            test,
            binary,
            root_file: None,
        });
        self.crates.len() - 1
    }

    /// The crate an orphan file of package `p` belongs to: its library, else its first
    /// binary, else a new one.
    fn crate_for_orphan(&mut self, p: usize, ident: &str) -> usize {
        if let Some(c) = self
            .crates
            .iter()
            .position(|c| c.manifest == Some(p) && !c.test)
        {
            return c;
        }
        self.add_crate(ident.to_string(), Some(p), false, false)
    }

    fn add_module(
        &mut self,
        krate: usize,
        path: String,
        file: FileId,
        scope: ScopeId,
        parent: Option<ModId>,
        test: bool,
    ) -> ModId {
        let id = self.modules.len();
        self.modules.push(Module {
            krate,
            path: path.clone(),
            file,
            scope,
            parent,
            children: BTreeMap::new(),
            test,
        });
        self.module_by_path.entry(path).or_insert(id);
        self.module_of_scope.entry((file, scope)).or_insert(id);
        id
    }

    fn walk_crate(
        &mut self,
        project: &Project,
        krate: usize,
        root: FileId,
        by_path: &HashMap<PathBuf, FileId>,
        assigned: &mut HashSet<FileId>,
    ) {
        if assigned.contains(&root) {
            // The same file is the root of two targets: the first keeps it.
            return;
        }
        assigned.insert(root);
        let test = self.crates[krate].test || project.is_test[root];
        let path = self.crates[krate].root_path.clone();
        let m = self.add_module(krate, path, root, 0, None, test);
        self.crates[krate].root_file.get_or_insert(root);
        self.walk_inline_and_decls(project, m, by_path, assigned);
    }

    /// Follows `mod` declarations from a module, breadth-first: inline modules are
    /// scopes of the same file, `mod x;` is `x.rs` or `x/mod.rs` next to the declaring
    /// module's folder (or its `#[path]`).
    fn walk_inline_and_decls(
        &mut self,
        project: &Project,
        start: ModId,
        by_path: &HashMap<PathBuf, FileId>,
        assigned: &mut HashSet<FileId>,
    ) {
        let mut queue = VecDeque::from([start]);
        while let Some(m) = queue.pop_front() {
            let (file, scope, krate, test) = {
                let md = &self.modules[m];
                (md.file, md.scope, md.krate, md.test)
            };
            let model = &project.models[file];
            for decl in model.rust.mods.iter().filter(|d| d.parent == scope) {
                let child_path = format!("{}.{}", self.modules[m].path, decl.name);
                let child_test = test || decl.cfg_test;
                let child = match decl.body {
                    Some(body) => {
                        let c = self.add_module(krate, child_path, file, body, Some(m), child_test);
                        Some(c)
                    }
                    None => {
                        let dir = self.module_dir(project, m);
                        let candidates: Vec<PathBuf> = match &decl.path_attr {
                            Some(p) => {
                                vec![dir_of_file_for_path_attr(project, file, scope, &dir).join(p)]
                            }
                            None => vec![
                                dir.join(format!("{}.rs", decl.name)),
                                dir.join(&decl.name).join("mod.rs"),
                            ],
                        };
                        candidates
                            .iter()
                            .find_map(|c| by_path.get(&normalize(c)).copied())
                            .filter(|f| !assigned.contains(f))
                            .map(|f| {
                                assigned.insert(f);
                                let t = child_test || project.is_test[f];
                                self.add_module(krate, child_path, f, 0, Some(m), t)
                            })
                    }
                };
                if let Some(c) = child {
                    self.modules[m]
                        .children
                        .insert(decl.name.as_str().to_owned(), c);
                    queue.push_back(c);
                }
            }
        }
    }

    /// The folder `mod x;` declarations of a module look in: a crate root or `mod.rs`
    /// looks beside itself, `a.rs` looks in `a/`, and inline modules add their names.
    fn module_dir(&self, project: &Project, m: ModId) -> PathBuf {
        let md = &self.modules[m];
        let path = normalize(&project.files[md.file].path);
        let file_dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        // The module that owns the file (scope 0) and the inline names below it.
        let mut inline = Vec::new();
        let mut cur = m;
        while self.modules[cur].scope != 0 {
            let c = &self.modules[cur];
            inline.push(project.models[c.file].scopes[c.scope].name.clone());
            match c.parent {
                Some(p) => cur = p,
                None => break,
            }
        }
        let file_module = &self.modules[cur];
        let is_root = file_module.parent.is_none()
            || path
                .file_name()
                .is_some_and(|n| n == "mod.rs" || n == "lib.rs" || n == "main.rs");
        let mut dir = if is_root {
            file_dir
        } else {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            file_dir.join(stem)
        };
        for name in inline.iter().rev() {
            dir = dir.join(name);
        }
        dir
    }

    pub fn module_of_scope(&self, file: FileId, scope: ScopeId) -> Option<ModId> {
        self.module_of_scope.get(&(file, scope)).copied()
    }

    pub fn module_by_path(&self, path: &str) -> Option<ModId> {
        self.module_by_path.get(path).copied()
    }

    pub fn crate_by_ident(&self, name: &str) -> Option<usize> {
        self.crate_by_ident.get(name).copied()
    }

    pub fn manifest_of_crate(&self, krate: usize) -> Option<&Manifest> {
        self.crates[krate].manifest.map(|m| &self.manifests[m])
    }

    /// The workspace (or lone package) a file belongs to: tasks, registrations and
    /// workers only meet inside one.
    pub fn workspace_of(&self, project: &Project, file: FileId) -> String {
        project
            .rust_crate_of(file)
            .and_then(|k| self.manifest_of_crate(k))
            .map(|m| m.workspace_root.to_string_lossy().into_owned())
            .unwrap_or_else(|| format!("root {}", project.files[file].display))
    }

    /// Indices of the bindings named `name` in a function or closure scope, in order.
    pub fn local_bindings(&self, file: FileId, scope: ScopeId, name: &str) -> &[usize] {
        // Borrowed lookup without allocating: the map is keyed by owned strings.
        self.local_bindings
            .get(file)
            .and_then(|m| m.get(&(scope, name.to_string())))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn handler(&self, f: FuncRef) -> Option<&RustHandler> {
        self.handler_index.get(&f).map(|i| &self.handlers[*i])
    }

    pub fn set_handlers(&mut self, handlers: Vec<RustHandler>) {
        self.handler_index = handlers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.func, i))
            .collect();
        self.handlers = handlers;
    }

    pub fn impls_of_key(&self, key: &str) -> &[ClassRef] {
        self.impls_by_key.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn key_of(&self, class: ClassRef) -> Option<&str> {
        self.key_of.get(&class).map(String::as_str)
    }

    pub fn type_by_key(&self, key: &str) -> Option<ClassRef> {
        self.type_by_key.get(key).copied()
    }

    pub fn types_named(&self, krate: usize, name: &str) -> &[ClassRef] {
        self.types_by_name
            .get(&(krate, name.to_string()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// The folder a `#[path = "..."]` is relative to: the declaring file's folder (for an
/// inline module, that folder plus the inline names, approximated by `dir`).
fn dir_of_file_for_path_attr(
    project: &Project,
    file: FileId,
    scope: ScopeId,
    dir: &Path,
) -> PathBuf {
    if scope != 0 {
        return dir.to_path_buf();
    }
    normalize(&project.files[file].path)
        .parent()
        .unwrap_or(Path::new(""))
        .to_path_buf()
}

/// A path with `.` and `..` folded, without touching the file system.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Type definitions and `impl` blocks by type key: `my_app.db.User` for a project type,
/// `extern:std.string.String` for an external one, `?<crate>:User` for an `impl` whose
/// type did not resolve.
#[derive(Default)]
pub struct TypeIndex {
    key_of: HashMap<ClassRef, String>,
    impls_by_key: HashMap<String, Vec<ClassRef>>,
    types_by_name: HashMap<(usize, String), Vec<ClassRef>>,
    type_by_key: HashMap<String, ClassRef>,
    impls_of_trait: HashMap<String, Vec<ClassRef>>,
}

impl Project {
    /// Indexes `impl` blocks and type definitions by type, once the module trees exist
    /// (an `impl` block's type is resolved like any path).
    pub(crate) fn rust_index_types(&self) -> TypeIndex {
        let mut key_of = HashMap::new();
        let mut impls_by_key: HashMap<String, Vec<ClassRef>> = HashMap::new();
        let mut types_by_name: HashMap<(usize, String), Vec<ClassRef>> = HashMap::new();
        let mut type_by_key = HashMap::new();
        let mut impls_of_trait: HashMap<String, Vec<ClassRef>> = HashMap::new();
        for (file, model) in self.rust_models() {
            for t in &model.rust.types {
                let class = ClassRef {
                    file,
                    class: t.class,
                };
                let c = &model.classes[t.class];
                let Some(m) = self.rust_module_of(file, c.parent) else {
                    continue;
                };
                let module = &self.rust.modules[m];
                let key = format!("{}.{}", module.path, c.name);
                type_by_key.entry(key.clone()).or_insert(class);
                key_of.insert(class, key);
                types_by_name
                    .entry((module.krate, c.name.as_str().to_owned()))
                    .or_default()
                    .push(class);
            }
        }
        for (file, model) in self.rust_models() {
            for imp in &model.rust.impls {
                let class = ClassRef {
                    file,
                    class: imp.class,
                };
                let c = &model.classes[imp.class];
                let base = match &imp.self_ty.kind {
                    ExprKind::Subscript(b, _) => b.as_ref(),
                    _ => &imp.self_ty,
                };
                let krate = self
                    .rust_module_of(file, c.parent)
                    .map(|m| self.rust.modules[m].krate)
                    .unwrap_or(usize::MAX);
                let key = match self.rust_type_head(file, c.parent, base, 0) {
                    Value::Class(t) => key_of.get(&t).cloned(),
                    Value::External(p) => Some(format!("extern:{p}")),
                    _ => None,
                }
                .unwrap_or_else(|| {
                    // Unresolved (defined by a macro, or behind a cfg): by name in the
                    // crate, which is right nearly always.
                    match types_by_name.get(&(krate, c.name.as_str().to_owned())) {
                        Some(v) if v.len() == 1 => key_of[&v[0]].clone(),
                        // `impl<T: Bound> Trait for T`: a type parameter, its own type.
                        _ if c.name.len() <= 2 => format!("?impl:{file}:{}", imp.class),
                        _ => format!("?{krate}:{}", c.name),
                    }
                });
                key_of.insert(class, key.clone());
                impls_by_key.entry(key).or_default().push(class);
                if let Some(t) = &imp.trait_
                    && let Value::Class(tc) = self.rust_type_head(file, c.parent, t, 0)
                    && let Some(tk) = key_of.get(&tc)
                {
                    impls_of_trait.entry(tk.clone()).or_default().push(class);
                }
            }
        }
        TypeIndex {
            key_of,
            impls_by_key,
            types_by_name,
            type_by_key,
            impls_of_trait,
        }
    }

    /// Each module's own bindings by name.
    fn rust_binding_index(&self) -> Vec<HashMap<String, Vec<usize>>> {
        self.rust
            .modules
            .iter()
            .map(|md| {
                let mut map: HashMap<String, Vec<usize>> = HashMap::new();
                let bindings = &self.models[md.file].scopes[md.scope].bindings;
                for (i, b) in bindings.iter().enumerate() {
                    map.entry(b.name.as_str().to_owned()).or_default().push(i);
                }
                map
            })
            .collect()
    }

    /// Glob imports of every module, followed to a fixed point (a glob of a module that
    /// itself globs brings in those names too).
    fn rust_glob_names(&self) -> (Vec<HashMap<String, ModId>>, Vec<Vec<String>>) {
        let n = self.rust.modules.len();
        let mut sources: Vec<Vec<ModId>> = vec![Vec::new(); n];
        let mut external: Vec<Vec<String>> = vec![Vec::new(); n];
        let mut direct: Vec<HashSet<&str>> = Vec::with_capacity(n);
        for (m, md) in self.rust.modules.iter().enumerate() {
            let scope = &self.models[md.file].scopes[md.scope];
            let mut names: HashSet<&str> = md.children.keys().map(String::as_str).collect();
            for b in &scope.bindings {
                match (&b.value, b.name.as_str()) {
                    (crate::model::BoundValue::Import(t), "*") => {
                        match self.rust_import_target(md.file, md.scope, t) {
                            Value::Package(p) => {
                                if let Some(m2) = self.rust.module_by_path(&p)
                                    && m2 != m
                                {
                                    sources[m].push(m2);
                                }
                            }
                            Value::External(p) => external[m].push(p),
                            _ => {}
                        }
                    }
                    (_, "*" | "_") => {}
                    (_, name) => {
                        names.insert(name);
                    }
                }
            }
            direct.push(names);
        }
        let mut names: Vec<HashMap<String, ModId>> = vec![HashMap::new(); n];
        loop {
            let mut changed = false;
            for m in 0..n {
                for &src in &sources[m] {
                    let mut add: Vec<(String, ModId)> = direct[src]
                        .iter()
                        .map(|name| (name.to_string(), src))
                        .collect();
                    add.extend(names[src].iter().map(|(k, v)| (k.clone(), *v)));
                    for (name, origin) in add {
                        if !direct[m].contains(name.as_str()) && !names[m].contains_key(&name) {
                            names[m].insert(name, origin);
                            changed = true;
                        }
                    }
                }
            }
            if !changed {
                break;
            }
        }
        (names, external)
    }

    /// The module a scope of a Rust file is in (the scope itself when it is one).
    pub fn rust_module_of(&self, file: FileId, mut scope: ScopeId) -> Option<ModId> {
        let model = &self.models[file];
        loop {
            let s = model.scopes.get(scope)?;
            if s.kind == ScopeKind::Module {
                return self.rust.module_of_scope(file, scope);
            }
            scope = s.parent?;
        }
    }

    pub fn rust_crate_of(&self, file: FileId) -> Option<usize> {
        self.rust_module_of(file, 0)
            .map(|m| self.rust.modules[m].krate)
    }

    /// `my_app.api.admin.login` or `my_app.db.User.find`: for patterns and messages.
    pub(crate) fn rust_qualname(&self, f: FuncRef) -> String {
        let model = &self.models[f.file];
        let scope = &model.scopes[f.scope];
        let mut parts = vec![scope.name.as_str().to_owned()];
        if let Some(c) = scope.class {
            parts.push(model.classes[c].name.as_str().to_owned());
        }
        if let Some(m) = self.rust_module_of(f.file, f.scope) {
            parts.push(self.rust.modules[m].path.clone());
        }
        parts.reverse();
        parts.retain(|p| !p.is_empty());
        parts.join(".")
    }

    pub(crate) fn rust_display_name(&self, f: FuncRef) -> String {
        let model = &self.models[f.file];
        let scope = &model.scopes[f.scope];
        match scope.class {
            Some(c) => format!("{}::{}", model.classes[c].name, scope.name),
            None => scope.name.as_str().to_owned(),
        }
    }

    /// Tests: a test target or `tests/` file, a `#[cfg(test)]` module, or a function
    /// carrying a test attribute (`#[test]`, `#[tokio::test]`, `#[actix_web::test]`...).
    pub(crate) fn rust_is_test_function(&self, f: FuncRef) -> bool {
        if self.is_test[f.file] {
            return true;
        }
        if let Some(m) = self.rust_module_of(f.file, f.scope)
            && (self.rust.modules[m].test || self.rust.crates[self.rust.modules[m].krate].test)
        {
            return true;
        }
        if self.rust.test_only.contains(&f) {
            return true;
        }
        let model = &self.models[f.file];
        let mut scope = Some(f.scope);
        while let Some(s) = scope {
            let sc = &model.scopes[s];
            let is_test_attr =
                sc.decorators
                    .iter()
                    .any(|d| match &model.decorator_path(&d.expr).kind {
                        ExprKind::Name(n) => {
                            let last = n.rsplit("::").next().unwrap_or(n);
                            last == "test" || last == "bench"
                        }
                        _ => false,
                    });
            let cfg_test = sc.decorators.iter().any(|d| match &d.expr.kind {
                ExprKind::Call(c) => {
                    let call = &model.calls[*c];
                    matches!(&call.callee.kind, ExprKind::Name(n) if n == "cfg")
                        && call
                            .args
                            .iter()
                            .any(|a| matches!(&a.value.kind, ExprKind::Name(n) if n == "test"))
                }
                _ => false,
            });
            if is_test_attr || cfg_test {
                return true;
            }
            scope = sc.parent;
        }
        false
    }
}

/// Fills [`GlobTables`]: the binding index first (resolving the globs' own paths uses
/// it), then what the globs bring in.
pub(crate) fn compute_globs(project: &mut Project) {
    project.rust.globs.direct = project.rust_binding_index();
    let (names, external) = project.rust_glob_names();
    project.rust.globs.names = names;
    project.rust.globs.external = external;
}

impl RustIndex {
    pub(crate) fn set_types(&mut self, types: TypeIndex) {
        self.key_of = types.key_of;
        self.impls_by_key = types.impls_by_key;
        self.types_by_name = types.types_by_name;
        self.type_by_key = types.type_by_key;
        self.impls_of_trait = types.impls_of_trait;
    }

    pub fn impls_of_trait(&self, key: &str) -> &[ClassRef] {
        self.impls_of_trait
            .get(key)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests;

//! Cargo manifests: which crate a Rust file belongs to, its targets, its dependencies
//! (with renames and versions, workspace-inherited ones included).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use toml::{Table, Value as Toml};

#[derive(Clone, Debug, Default)]
pub struct Manifest {
    pub dir: PathBuf,
    /// `[package] name`.
    pub package: Option<String>,
    /// `[lib] name` (the name other crates use), when given.
    pub lib_name: Option<String>,
    /// `[lib] path`, relative to `dir`.
    pub lib_path: Option<String>,
    /// `[[bin]]`: (name, path relative to `dir`).
    pub bins: Vec<(String, Option<String>)>,
    /// Dependencies by the name the crate's code uses (renames applied, `-` as `_`):
    /// (package name, version requirement).
    pub deps: HashMap<String, (String, Option<String>)>,
    /// The folder of the workspace the package belongs to (its own folder when none).
    pub workspace_root: PathBuf,
}

impl Manifest {
    /// The crate name code uses for this package's library.
    pub fn ident(&self) -> Option<String> {
        self.lib_name
            .clone()
            .or_else(|| self.package.clone())
            .map(|n| n.replace('-', "_"))
    }

    /// The version requirement of a dependency, by package name.
    pub fn dep_version(&self, package: &str) -> Option<&str> {
        self.deps
            .values()
            .find(|(p, _)| p == package)
            .and_then(|(_, v)| v.as_deref())
    }
}

/// Reads manifests once each, finding for a folder the nearest one with a `[package]`.
#[derive(Default)]
pub struct Manifests {
    by_dir: HashMap<PathBuf, Option<Table>>,
    /// Every manifest read, for the findings cache (`crate::index::side_files`).
    pub reads: Vec<crate::index::side_files::SideRead>,
    /// The manifest (its folder) owning each folder, when known.
    owner: HashMap<PathBuf, Option<PathBuf>>,
}

impl Manifests {
    fn table(&mut self, dir: &Path) -> Option<&Table> {
        if !self.by_dir.contains_key(dir) {
            let path = dir.join("Cargo.toml");
            let text = crate::index::side_files::read(&path);
            self.reads.push((
                path,
                text.as_ref()
                    .map(|t| crate::cache::content_hash(t.as_bytes())),
            ));
            let t = text.and_then(|text| text.parse::<Table>().ok());
            self.by_dir.insert(dir.to_path_buf(), t);
        }
        self.by_dir.get(dir).and_then(Option::as_ref)
    }

    /// The folder of the nearest `Cargo.toml` with a `[package]` above `file`.
    pub fn package_dir_of(&mut self, file: &Path) -> Option<PathBuf> {
        let start = file.parent()?.to_path_buf();
        let mut visited = Vec::new();
        let mut found = None;
        for dir in start.ancestors() {
            if let Some(known) = self.owner.get(dir) {
                found = known.clone();
                break;
            }
            visited.push(dir.to_path_buf());
            if self.table(dir).is_some_and(|t| t.contains_key("package")) {
                found = Some(dir.to_path_buf());
                break;
            }
        }
        for d in visited {
            self.owner.insert(d, found.clone());
        }
        found
    }

    pub fn manifest(&mut self, dir: &Path) -> Option<Manifest> {
        let table = self.table(dir)?.clone();
        let package = table.get("package")?.as_table()?;
        let workspace_root = dir
            .ancestors()
            .find(|d| self.table(d).is_some_and(|t| t.contains_key("workspace")))
            .unwrap_or(dir)
            .to_path_buf();
        let mut m = Manifest {
            dir: dir.to_path_buf(),
            package: package.get("name").and_then(Toml::as_str).map(String::from),
            workspace_root,
            ..Manifest::default()
        };
        if let Some(lib) = table.get("lib").and_then(Toml::as_table) {
            m.lib_name = lib.get("name").and_then(Toml::as_str).map(String::from);
            m.lib_path = lib.get("path").and_then(Toml::as_str).map(String::from);
        }
        if let Some(bins) = table.get("bin").and_then(Toml::as_array) {
            for b in bins.iter().filter_map(Toml::as_table) {
                if let Some(name) = b.get("name").and_then(Toml::as_str) {
                    let path = b.get("path").and_then(Toml::as_str).map(String::from);
                    m.bins.push((name.to_string(), path));
                }
            }
        }
        let workspace_deps = self.workspace_deps(dir);
        let mut add = |deps: &Table| {
            for (key, spec) in deps {
                let (package, version) = dep_spec(key, spec, &workspace_deps);
                m.deps.insert(key.replace('-', "_"), (package, version));
            }
        };
        for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
            if let Some(d) = table.get(section).and_then(Toml::as_table) {
                add(d);
            }
        }
        if let Some(targets) = table.get("target").and_then(Toml::as_table) {
            for t in targets.values().filter_map(Toml::as_table) {
                for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
                    if let Some(d) = t.get(section).and_then(Toml::as_table) {
                        add(d);
                    }
                }
            }
        }
        Some(m)
    }

    /// `[workspace.dependencies]` of the nearest workspace root at or above `dir`.
    fn workspace_deps(&mut self, dir: &Path) -> Table {
        for d in dir.ancestors() {
            if let Some(ws) = self.table(d).and_then(|t| t.get("workspace")) {
                return ws
                    .get("dependencies")
                    .and_then(Toml::as_table)
                    .cloned()
                    .unwrap_or_default();
            }
        }
        Table::new()
    }
}

/// (package name, version requirement) of one dependency entry.
fn dep_spec(key: &str, spec: &Toml, workspace: &Table) -> (String, Option<String>) {
    match spec {
        Toml::String(v) => (key.to_string(), Some(v.clone())),
        Toml::Table(t) => {
            if t.get("workspace").and_then(Toml::as_bool) == Some(true)
                && let Some(ws) = workspace.get(key)
            {
                let (p, v) = dep_spec(key, ws, &Table::new());
                let package = t
                    .get("package")
                    .and_then(Toml::as_str)
                    .map(String::from)
                    .unwrap_or(p);
                return (package, v);
            }
            let package = t
                .get("package")
                .and_then(Toml::as_str)
                .unwrap_or(key)
                .to_string();
            let version = t.get("version").and_then(Toml::as_str).map(String::from);
            (package, version)
        }
        _ => (key.to_string(), None),
    }
}

/// Is a version requirement (`"0.4.11"`, `"^0.4"`, `"=0.4.5"`) below `bound` (`"0.5"`)?
/// Unknown versions (git dependencies, `*`) are not.
pub fn version_below(requirement: &str, bound: &str) -> bool {
    fn parts(s: &str) -> Option<Vec<u64>> {
        let s = s.trim().trim_start_matches(['^', '=', '~', '>', '<', ' ']);
        let v: Vec<u64> = s.split('.').map_while(|p| p.trim().parse().ok()).collect();
        (!v.is_empty()).then_some(v)
    }
    let Some(first) = requirement.split(',').next() else {
        return false;
    };
    match (parts(first), parts(bound)) {
        (Some(a), Some(b)) => a < b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(version_below("0.4.11", "0.5"));
        assert!(version_below("^0.4", "0.5"));
        assert!(!version_below("0.5.1", "0.5"));
        assert!(!version_below("0.5.0-rc.2", "0.5"));
        assert!(!version_below("*", "0.5"));
    }

    #[test]
    fn reads_dependencies_renames_and_workspace_versions() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join("Cargo.toml"),
            "[workspace]\nmembers = [\"app\"]\n[workspace.dependencies]\nrocket = \"0.4.11\"\n",
        )
        .unwrap();
        let app = tmp.path().join("app");
        std::fs::create_dir_all(app.join("src")).unwrap();
        std::fs::write(
            app.join("Cargo.toml"),
            "[package]\nname = \"my-app\"\n[dependencies]\nrocket = { workspace = true }\nhttp = { package = \"reqwest\", version = \"0.12\" }\nserde-json = \"1\"\n",
        )
        .unwrap();
        let mut ms = Manifests::default();
        let dir = ms.package_dir_of(&app.join("src/main.rs")).unwrap();
        let m = ms.manifest(&dir).unwrap();
        assert_eq!(m.ident().as_deref(), Some("my_app"));
        assert_eq!(m.dep_version("rocket"), Some("0.4.11"));
        assert_eq!(m.deps["http"].0, "reqwest");
        assert!(m.deps.contains_key("serde_json"));
    }
}

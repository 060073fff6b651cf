//! The glob patterns of `exclude`, `extend-exclude` and `per-file-ignores`, with ruff's
//! reading of them:
//!
//! - a pattern without `/` names a file or folder at any depth (`migrations`,
//!   `*_pb2.py`);
//! - a pattern with `/` is a path relative to the folder of the configuration file
//!   (`legacy/*.py`, `src/**/generated/*`); a leading `/` or `./` changes nothing.
//!
//! `*` and `?` never cross a `/`; `**` does. A folder that matches covers everything
//! below it.

use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

#[derive(Clone, Debug)]
pub struct PathGlobs {
    /// Patterns matched against a single file or folder name, and their index.
    names: GlobSet,
    name_index: Vec<usize>,
    /// Patterns matched against the path relative to a folder, and their index: the
    /// folder given to [`PathGlobs::matching`] (`None`), or the pattern's own (a pattern
    /// inherited through `extend` from a configuration file in another folder).
    anchored: Vec<(Option<PathBuf>, GlobSet, Vec<usize>)>,
}

/// Checks one pattern; the error says what is wrong with it.
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    let (_, text) = normalise(pattern)?;
    build(&text).map(|_| ())
}

fn normalise(pattern: &str) -> Result<(bool, String), String> {
    let p = pattern.trim();
    let p = p.strip_prefix("./").unwrap_or(p);
    let anchored = p.contains('/');
    let p = p.trim_start_matches('/').trim_end_matches('/');
    if p.is_empty() {
        return Err("an empty pattern matches nothing".into());
    }
    Ok((anchored, p.to_string()))
}

fn build(text: &str) -> Result<globset::Glob, String> {
    GlobBuilder::new(text)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| e.kind().to_string())
}

impl PathGlobs {
    pub fn new(patterns: &[String]) -> Result<PathGlobs, String> {
        let with: Vec<(String, Option<PathBuf>)> =
            patterns.iter().map(|p| (p.clone(), None)).collect();
        PathGlobs::with_roots(&with)
    }

    /// Patterns with the folder their `/` patterns are relative to (`None`: the root
    /// given when matching).
    pub fn with_roots(patterns: &[(String, Option<PathBuf>)]) -> Result<PathGlobs, String> {
        let mut names = GlobSetBuilder::new();
        let mut name_index = Vec::new();
        let mut anchored: Vec<(Option<PathBuf>, GlobSetBuilder, Vec<usize>)> = Vec::new();
        for (i, (p, root)) in patterns.iter().enumerate() {
            let (is_anchored, text) = normalise(p).map_err(|e| format!("`{p}`: {e}"))?;
            let glob = build(&text).map_err(|e| format!("`{p}`: {e}"))?;
            if is_anchored {
                match anchored.iter_mut().find(|(r, _, _)| r == root) {
                    Some((_, set, index)) => {
                        set.add(glob);
                        index.push(i);
                    }
                    None => {
                        let mut set = GlobSetBuilder::new();
                        set.add(glob);
                        anchored.push((root.clone(), set, vec![i]));
                    }
                }
            } else {
                names.add(glob);
                name_index.push(i);
            }
        }
        let anchored = anchored
            .into_iter()
            .map(|(root, set, index)| Ok((root, set.build().map_err(|e| e.to_string())?, index)))
            .collect::<Result<Vec<_>, String>>()?;
        Ok(PathGlobs {
            names: names.build().map_err(|e| e.to_string())?,
            name_index,
            anchored,
        })
    }

    /// Indices of the patterns that match `path` itself. `path` is absolute; anchored
    /// patterns only match below `root` (or below their own folder).
    pub fn matching(&self, path: &Path, root: Option<&Path>) -> Vec<usize> {
        let mut out = Vec::new();
        if let Some(name) = path.file_name() {
            for i in self.names.matches(Path::new(name)) {
                out.push(self.name_index[i]);
            }
        }
        for (own, set, index) in &self.anchored {
            let base = own.as_deref().or(root);
            if let Some(rel) = base.and_then(|r| path.strip_prefix(r).ok())
                && rel.components().all(|c| matches!(c, Component::Normal(_)))
                && !rel.as_os_str().is_empty()
            {
                for i in set.matches(rel) {
                    out.push(index[i]);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    pub fn is_match(&self, path: &Path, root: Option<&Path>) -> bool {
        !self.matching(path, root).is_empty()
    }

    /// Indices of the patterns that match `path` or one of its folders below `base`
    /// (`base` itself and what is above it are never looked at: a project living in a
    /// folder named `build` is not excluded by the `build` pattern).
    pub fn matching_with_ancestors(
        &self,
        path: &Path,
        base: &Path,
        root: Option<&Path>,
    ) -> Vec<usize> {
        let mut out = Vec::new();
        for p in path.ancestors() {
            if p == base || !p.starts_with(base) {
                break;
            }
            out.extend(self.matching(p, root));
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globs(p: &[&str]) -> PathGlobs {
        PathGlobs::new(&p.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn names_match_at_any_depth_and_paths_are_anchored() {
        let g = globs(&["migrations", "legacy/*.py", "*_pb2.py", "/docs/**"]);
        let root = Path::new("/repo");
        assert_eq!(
            g.matching(Path::new("/repo/a/b/migrations"), Some(root)),
            [0]
        );
        assert_eq!(g.matching(Path::new("/repo/legacy/x.py"), Some(root)), [1]);
        // `*` does not cross a folder.
        assert!(!g.is_match(Path::new("/repo/legacy/sub/x.py"), Some(root)));
        assert!(!g.is_match(Path::new("/repo/a/legacy/x.py"), Some(root)));
        assert_eq!(g.matching(Path::new("/repo/a/m_pb2.py"), Some(root)), [2]);
        assert_eq!(g.matching(Path::new("/repo/docs/a/b.py"), Some(root)), [3]);
        // Without a root, anchored patterns match nothing.
        assert!(!g.is_match(Path::new("/repo/legacy/x.py"), None));
    }

    #[test]
    fn ancestors_stop_at_the_base() {
        let g = globs(&["build"]);
        let base = Path::new("/home/build/proj");
        assert!(
            g.matching_with_ancestors(Path::new("/home/build/proj/app/x.py"), base, None)
                .is_empty()
        );
        assert_eq!(
            g.matching_with_ancestors(Path::new("/home/build/proj/build/x.py"), base, None),
            [0]
        );
    }

    #[test]
    fn inherited_patterns_keep_their_own_folder() {
        let g = PathGlobs::with_roots(&[
            ("legacy/*.py".into(), Some(PathBuf::from("/repo"))),
            ("gen/*.py".into(), None),
        ])
        .unwrap();
        let child = Path::new("/repo/svc");
        // From the base in /repo: relative to /repo, wherever the child is.
        assert!(g.is_match(Path::new("/repo/legacy/a.py"), Some(child)));
        assert!(!g.is_match(Path::new("/repo/svc/legacy/a.py"), Some(child)));
        // The child's own: relative to the child's folder.
        assert!(g.is_match(Path::new("/repo/svc/gen/a.py"), Some(child)));
        assert!(!g.is_match(Path::new("/repo/gen/a.py"), Some(child)));
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert!(check_pattern("[abc").is_err());
        assert!(check_pattern("").is_err());
        assert!(check_pattern("**/tests/**").is_ok());
    }
}

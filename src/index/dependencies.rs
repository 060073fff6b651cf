//! What the project declares it depends on: the version bounds of a package in the
//! `pyproject.toml` (`[project] dependencies`, Poetry's `[tool.poetry.dependencies]`) and
//! the `requirements.txt` next to the checked code or in a folder above it, up to the
//! checked root. Read through [`super::side_files`], like every file outside the checked
//! set. Only upper bounds matter here: a rule about an API a release removed is moot
//! where the project cannot install that release.

use std::path::PathBuf;

use super::Project;

/// A version as `(major, minor, patch)`; missing parts are 0.
pub type Version = (u64, u64, u64);

impl Project {
    /// The project declares `package` and every declaration of it stays below the
    /// release written `release` (`"5.0"`): the API that release removed is still there.
    pub fn declared_below_release(&self, package: &str, release: &str) -> bool {
        parse_version(release).is_some_and(|(v, _)| self.declared_below(package, v))
    }

    /// The project declares `package` and every declaration of it stays below `version`
    /// (`celery = "^4.4"`, `celery>=4,<5`, `celery==4.4.7`).
    pub fn declared_below(&self, package: &str, version: Version) -> bool {
        let bounds = self.declared_upper_bounds(package);
        !bounds.is_empty() && bounds.iter().all(|b| b.is_some_and(|b| b <= version))
    }

    /// One entry per declaration of `package`: the smallest version it excludes, `None`
    /// when it has no upper bound.
    fn declared_upper_bounds(&self, package: &str) -> Vec<Option<Version>> {
        let mut out = Vec::new();
        for dir in self.config_dirs() {
            if let Some(text) = self.side_files.read(&dir.join("pyproject.toml")) {
                out.extend(
                    pyproject_constraints(&text, package)
                        .iter()
                        .map(|c| upper_bound(c)),
                );
            }
            if let Some(text) = self.side_files.read(&dir.join("requirements.txt")) {
                for line in text.lines() {
                    if let Some(c) = requirement_constraint(line, package) {
                        out.push(upper_bound(&c));
                    }
                }
            }
        }
        out
    }

    /// The folders holding checked code and those above them, up to the checked root,
    /// in path order.
    pub(super) fn config_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = std::collections::BTreeSet::new();
        for (file, source) in self.files.iter().enumerate() {
            let depth = self.relative[file].components().count();
            let mut dir = source.path.parent();
            for _ in 1..depth.max(1) {
                let Some(d) = dir else { break };
                dirs.insert(d.to_path_buf());
                dir = d.parent();
            }
            if let Some(d) = dir {
                dirs.insert(d.to_path_buf());
            }
        }
        dirs.into_iter().collect()
    }
}

/// PEP 503 normalised name: `Django_Celery` and `django-celery` are one package.
fn normalise(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace(['_', '.'], "-")
}

/// The constraints a pyproject.toml's text declares for `package`.
fn pyproject_constraints(text: &str, package: &str) -> Vec<String> {
    let Ok(doc) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let want = normalise(package);
    if let Some(deps) = doc
        .get("project")
        .and_then(|p| p.get("dependencies"))
        .and_then(|d| d.as_array())
    {
        for d in deps.iter().filter_map(|d| d.as_str()) {
            if let Some(c) = requirement_constraint(d, package) {
                out.push(c);
            }
        }
    }
    if let Some(deps) = doc
        .get("tool")
        .and_then(|t| t.get("poetry"))
        .and_then(|p| p.get("dependencies"))
        .and_then(|d| d.as_table())
    {
        for (name, spec) in deps {
            if normalise(name) != want {
                continue;
            }
            let version = match spec {
                toml::Value::String(s) => Some(s.as_str()),
                toml::Value::Table(t) => t.get("version").and_then(|v| v.as_str()),
                _ => None,
            };
            // A Poetry table without a version (a git or path dependency) bounds nothing.
            out.push(version.unwrap_or("*").to_string());
        }
    }
    out
}

/// `celery[redis]>=4.4,<5 ; python_version >= "3.8"` → `>=4.4,<5` when the line names
/// `package`.
fn requirement_constraint(line: &str, package: &str) -> Option<String> {
    let line = line.split('#').next()?.split(';').next()?.trim();
    if line.is_empty() || line.starts_with('-') {
        return None;
    }
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(line.len());
    if normalise(&line[..end]) != normalise(package) {
        return None;
    }
    let mut rest = line[end..].trim_start();
    if let Some(r) = rest.strip_prefix('[') {
        rest = r.split_once(']').map(|(_, r)| r).unwrap_or("");
    }
    Some(rest.trim().to_string())
}

fn parse_version(text: &str) -> Option<(Version, usize)> {
    let parts: Vec<&str> = text.trim().split('.').collect();
    let mut v = [0u64; 3];
    let mut given = 0;
    for (i, p) in parts.iter().take(3).enumerate() {
        if *p == "*" {
            break;
        }
        let digits: String = p.chars().take_while(|c| c.is_ascii_digit()).collect();
        v[i] = digits.parse().ok()?;
        given = i + 1;
    }
    (given > 0).then_some(((v[0], v[1], v[2]), given))
}

/// The smallest version the next release of the given precision would be: `4.4` → `4.5`.
fn bump(v: Version, given: usize) -> Version {
    match given {
        1 => (v.0 + 1, 0, 0),
        2 => (v.0, v.1 + 1, 0),
        _ => (v.0, v.1, v.2 + 1),
    }
}

/// The smallest version a constraint excludes (PEP 440 and Poetry syntax), `None` when
/// it has no upper bound. Alternatives (`||`) are bounded only when each one is.
fn upper_bound(constraint: &str) -> Option<Version> {
    let mut worst: Option<Version> = None;
    for alternative in constraint.split("||") {
        let mut bound: Option<Version> = None;
        for clause in clauses(alternative) {
            let b = clause_bound(&clause);
            bound = match (bound, b) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        let bound = bound?;
        worst = Some(worst.map_or(bound, |w: Version| w.max(bound)));
    }
    worst
}

/// The clauses of one alternative, separated by commas or (Poetry) spaces, with an
/// operator written apart from its version (`>= 4.4`) kept with it.
fn clauses(alternative: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut pending = String::new();
    for token in alternative.split([',', ' ']).filter(|t| !t.is_empty()) {
        if token.chars().all(|c| "<>=!~^".contains(c)) {
            pending.push_str(token);
            continue;
        }
        out.push(format!("{pending}{token}"));
        pending.clear();
    }
    out
}

fn clause_bound(clause: &str) -> Option<Version> {
    let ops = ["~=", "==", "<=", ">=", "!=", "^", "~", "<", ">", "="];
    let (op, rest) = ops
        .iter()
        .find_map(|op| clause.strip_prefix(op).map(|r| (*op, r)))
        .unwrap_or(("==", clause));
    let (v, given) = parse_version(rest)?;
    let wildcard = rest.trim().ends_with('*');
    match op {
        "<" => Some(v),
        "<=" => Some(bump(v, 3)),
        "==" | "=" if wildcard => Some(bump(v, given)),
        "==" | "=" => Some(bump(v, 3)),
        // Poetry's caret: the left-most non-zero part may not change.
        "^" => Some(match (v, given) {
            ((0, 0, _), 3) => bump(v, 3),
            ((0, 0, _), _) => bump(v, given),
            ((0, _, _), _) => bump(v, 2),
            _ => bump(v, 1),
        }),
        // PEP 440 `~=4.4` allows 4.x, `~=4.4.1` 4.4.x.
        "~=" => Some(bump(v, given.saturating_sub(1).max(1))),
        // Poetry's tilde: `~4` allows 4.x, `~4.4` and `~4.4.1` allow 4.4.x.
        "~" => Some(if given == 1 { bump(v, 1) } else { bump(v, 2) }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_bounds_of_common_constraints() {
        assert_eq!(upper_bound("^4.4.7"), Some((5, 0, 0)));
        assert_eq!(upper_bound(">=4.4,<5"), Some((5, 0, 0)));
        assert_eq!(upper_bound("==4.4.7"), Some((4, 4, 8)));
        assert_eq!(upper_bound("4.4.7"), Some((4, 4, 8)));
        assert_eq!(upper_bound("~=4.4"), Some((5, 0, 0)));
        assert_eq!(upper_bound("~=4.4.1"), Some((4, 5, 0)));
        assert_eq!(upper_bound("~4.4"), Some((4, 5, 0)));
        assert_eq!(upper_bound("==4.*"), Some((5, 0, 0)));
        assert_eq!(upper_bound("^0.3"), Some((0, 4, 0)));
        assert_eq!(upper_bound(">=4.4"), None);
        assert_eq!(upper_bound("*"), None);
        assert_eq!(upper_bound(""), None);
        assert_eq!(upper_bound("^4.4 || ^5.2"), Some((6, 0, 0)));
        assert_eq!(upper_bound("^4.4 || >=5"), None);
        assert_eq!(upper_bound(">= 4.4, < 5"), Some((5, 0, 0)));
        assert_eq!(upper_bound(">=4.4 <5.0"), Some((5, 0, 0)));
    }

    #[test]
    fn requirement_lines() {
        assert_eq!(
            requirement_constraint("celery==4.4.7", "celery").as_deref(),
            Some("==4.4.7")
        );
        assert_eq!(
            requirement_constraint("Celery[redis] >=4,<5 ; python_version>'3'", "celery")
                .as_deref(),
            Some(">=4,<5")
        );
        assert_eq!(requirement_constraint("celery-beat==1.0", "celery"), None);
        assert_eq!(requirement_constraint("-r base.txt", "celery"), None);
        assert_eq!(
            requirement_constraint("celery  # latest", "celery").as_deref(),
            Some("")
        );
    }

    #[test]
    fn pyproject_tables() {
        let poetry = "[tool.poetry.dependencies]\npython = \"^3.8\"\ncelery = { version = \"^4.4.7\", extras = [\"redis\"] }\n";
        assert_eq!(pyproject_constraints(poetry, "celery"), vec!["^4.4.7"]);
        let pep621 = "[project]\nname = \"x\"\ndependencies = [\"celery>=5.3\", \"django\"]\n";
        assert_eq!(pyproject_constraints(pep621, "celery"), vec![">=5.3"]);
        assert!(pyproject_constraints("not toml [", "celery").is_empty());
    }
}

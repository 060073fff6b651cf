//! Files outside the checked set that the index reads: a `pyproject.toml`'s console
//! scripts (entry points) and the `Cargo.toml` of each crate. Findings kept from an
//! earlier run (`crate::findings_cache`) hold only while every one of these still reads
//! the same, so each read goes through here and is recorded with a hash of what it gave.
//!
//! One policy for every such read, because the checkout may be hostile: only a regular
//! file (a link is not followed: `Cargo.toml -> /dev/zero` must not hang a run), no
//! bigger than [`MAX_BYTES`], valid UTF-8. Anything else reads as absent.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A manifest or `pyproject.toml` larger than this is not one a project writes.
pub const MAX_BYTES: u64 = 1 << 20;

/// One read: the path and a hash of what it gave (`None`: absent or refused).
pub type SideRead = (PathBuf, Option<u128>);

/// The reads of one check, in the order they happened.
#[derive(Default)]
pub struct SideFiles {
    reads: Mutex<Vec<SideRead>>,
}

impl SideFiles {
    /// Reads `path` (see the module's policy) and records the read.
    pub fn read(&self, path: &Path) -> Option<String> {
        let text = read(path);
        self.record(path, text.as_deref());
        text
    }

    fn record(&self, path: &Path, text: Option<&str>) {
        let hash = text.map(|t| crate::cache::content_hash(t.as_bytes()));
        self.reads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((path.to_path_buf(), hash));
    }

    /// Records reads made elsewhere (with [`read`]).
    pub fn extend(&self, reads: impl IntoIterator<Item = SideRead>) {
        self.reads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(reads);
    }

    /// Every read so far, each path once.
    pub fn reads(&self) -> Vec<SideRead> {
        let mut v = self.reads.lock().unwrap_or_else(|e| e.into_inner()).clone();
        v.sort();
        v.dedup();
        v
    }
}

/// Reads `path` if it is a regular file of at most [`MAX_BYTES`] of UTF-8 text.
pub fn read(path: &Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_BYTES {
        return None;
    }
    // A file that grew past the limit between the check and the read is cut short, and
    // then most likely not valid TOML: the same as refused.
    let file = std::fs::File::open(path).ok()?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::Read::take(file, MAX_BYTES), &mut text).ok()?;
    Some(text)
}

/// Every recorded read still gives what it gave.
pub fn unchanged(reads: &[SideRead]) -> bool {
    reads
        .iter()
        .all(|(path, hash)| read(path).map(|t| crate::cache::content_hash(t.as_bytes())) == *hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_is_recorded_and_a_change_is_seen() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("pyproject.toml");
        std::fs::write(&p, "[project]\n").unwrap();
        let side = SideFiles::default();
        assert_eq!(side.read(&p).as_deref(), Some("[project]\n"));
        assert!(side.read(&tmp.path().join("absent.toml")).is_none());
        let reads = side.reads();
        assert_eq!(reads.len(), 2);
        assert!(unchanged(&reads));
        std::fs::write(&p, "[project]\nname = \"x\"\n").unwrap();
        assert!(!unchanged(&reads));
        std::fs::write(&p, "[project]\n").unwrap();
        assert!(unchanged(&reads));
        std::fs::write(tmp.path().join("absent.toml"), "").unwrap();
        assert!(!unchanged(&reads), "a file that appears is a change");
    }

    #[cfg(unix)]
    #[test]
    fn links_and_devices_read_as_absent() {
        let tmp = tempfile::tempdir().unwrap();
        let link = tmp.path().join("Cargo.toml");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert!(read(&link).is_none());
        assert!(read(Path::new("/dev/zero")).is_none());
    }
}

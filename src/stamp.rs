//! What identifies a version of a file on disk without reading it, as git's index does:
//! its size and modification time, and on unix its change time, inode and device. The
//! change time cannot be set back, so a file rewritten and given its old modification
//! time still shows. The language server keeps the files it read by stamp
//! (`pipeline::Memo`); the command line's kept findings vouch for unchanged files by
//! stamp (`crate::findings_cache`).

use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    len: u64,
    /// (seconds, nanoseconds) since the epoch.
    mtime: (i64, i64),
    /// Unix only: (0, 0), 0 and 0 elsewhere, where the size and modification time are
    /// all there is.
    ctime: (i64, i64),
    ino: u64,
    dev: u64,
}

/// See [`Stamp::racy`]: some file systems keep times to the second or two.
const RACY_SECONDS: i64 = 2;

impl Stamp {
    /// The stamp of the regular file at `path` (`None`: anything else, or no such file).
    pub fn of(path: &Path) -> Option<Stamp> {
        let m = std::fs::metadata(path).ok()?;
        if !m.is_file() {
            return None;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Some(Stamp {
                len: m.len(),
                mtime: (m.mtime(), m.mtime_nsec()),
                ctime: (m.ctime(), m.ctime_nsec()),
                ino: m.ino(),
                dev: m.dev(),
            })
        }
        #[cfg(not(unix))]
        {
            let since = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .unwrap_or_default();
            Some(Stamp {
                len: m.len(),
                mtime: (since.as_secs() as i64, i64::from(since.subsec_nanos())),
                ctime: (0, 0),
                ino: 0,
                dev: 0,
            })
        }
    }

    /// The file's size in bytes.
    pub fn bytes(&self) -> u64 {
        self.len
    }

    /// Changed so close to `at` (when the stamp was taken) that a later change could
    /// keep the same times on a file system with coarse clocks: only the content can
    /// tell.
    pub fn racy(&self, at: (i64, i64)) -> bool {
        let margin = (at.0 - RACY_SECONDS, at.1);
        self.mtime >= margin || self.ctime >= margin
    }
}

/// Now, as a stamp's times are written.
pub fn now() -> (i64, i64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (now.as_secs() as i64, i64::from(now.subsec_nanos()))
}

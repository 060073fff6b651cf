//! Writing a fixed file without losing anything: not a concurrent edit, not the file's
//! owner, mode, hard links or symlink, not the original when a write fails midway.
//!
//! The file is rewritten in place, after a verified backup, rather than replaced by a
//! renamed temporary file. A rename makes a new file: it turns a symlink into a regular
//! file (the real file stays unfixed), breaks hard links (the other names keep the old
//! text), and gives the file to whoever runs tasklint (root fixing a user's 0640 file
//! leaves it unreadable to that user), and no later chown can mend the hard links.
//! Writing in place keeps the inode, and with it owner, group, mode, ACLs, extended
//! attributes and every link. What a rename gave for free, atomicity, the backup gives
//! back: a copy of the original, written and read back before the file is touched,
//! restores it when a write fails, and is left next to the file (and named in the
//! error) when even that fails or the process dies midway.
//!
//! The steps, on the file a symlink points to:
//! 1. open it for reading and writing without following a link (the path was resolved
//!    just before) and without blocking (a FIFO put in its place must not hang us); it
//!    must be a regular file;
//! 2. read it through that handle: it must still be the text the fixes were computed
//!    from, byte for byte, or it is left alone (an edit saved meanwhile wins);
//! 3. back it up next to itself (a new file with an unpredictable name, created
//!    exclusively, readable by its owner only), and read the backup back;
//! 4. write the fixed text over it through the same handle, cut it to length, sync;
//! 5. on failure, write the original back the same way; then remove the backup.
//!
//! An edit saved between steps 2 and 4 can still be lost: editors do not lock files,
//! so no writer can close that window, only make it short.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Why a fixed file was not written.
#[derive(Debug)]
pub enum NotWritten {
    /// Its content is no longer the text the fixes were computed from.
    Changed,
    /// It is not (any more) a regular file.
    NotRegular,
    /// It could not be opened or read; nothing was written.
    Unreadable(io::Error),
    /// No backup could be made next to it, so nothing was written.
    NoBackup(io::Error),
    /// Writing failed; the original content was put back.
    Restored(io::Error),
    /// Writing failed and so did putting the original back: the original is in the
    /// backup file.
    Damaged { error: io::Error, backup: PathBuf },
}

impl fmt::Display for NotWritten {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotWritten::Changed => write!(
                f,
                "it changed since tasklint read it, so it was left as it is (run tasklint again)"
            ),
            NotWritten::NotRegular => write!(f, "it is not a regular file"),
            NotWritten::Unreadable(e) => write!(f, "cannot open it ({e}); it is unchanged"),
            NotWritten::NoBackup(e) => write!(
                f,
                "cannot make a backup next to it ({e}), so it was left as it is"
            ),
            NotWritten::Restored(e) => write!(f, "cannot write it ({e}); it is unchanged"),
            NotWritten::Damaged { error, backup } => write!(
                f,
                "cannot write it ({error}), nor put the original back: the original is in {}",
                crate::report::escape::text(&crate::source::display_path(backup))
            ),
        }
    }
}

impl std::error::Error for NotWritten {}

/// Writes `fixed` over the file at `path` (through a symlink, to the file it names) if
/// the file still holds exactly `read`, keeping the file itself: see the module
/// documentation.
pub fn write_fixed(path: &Path, read: &str, fixed: &str) -> Result<(), NotWritten> {
    let target = std::fs::canonicalize(path).map_err(NotWritten::Unreadable)?;
    let mut file = open_regular(&target)?;
    let original = read_all(&mut file, read.len())?;
    if original != read.as_bytes() {
        return Err(NotWritten::Changed);
    }
    let backup = Backup::create(&target, &original).map_err(NotWritten::NoBackup)?;
    match overwrite(&mut file, fixed.as_bytes()) {
        Ok(()) => {
            backup.remove();
            Ok(())
        }
        Err(error) => match overwrite(&mut file, &original) {
            Ok(()) => {
                backup.remove();
                Err(NotWritten::Restored(error))
            }
            Err(_) => Err(NotWritten::Damaged {
                error,
                backup: backup.keep(),
            }),
        },
    }
}

fn open_regular(target: &Path) -> Result<File, NotWritten> {
    let mut options = OpenOptions::new();
    options.read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(target).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::EISDIR) {
            return NotWritten::NotRegular;
        }
        NotWritten::Unreadable(e)
    })?;
    let meta = file.metadata().map_err(NotWritten::Unreadable)?;
    if !meta.is_file() {
        return Err(NotWritten::NotRegular);
    }
    Ok(file)
}

/// The file's content, read through the handle. Reading stops one byte past `expected`:
/// a file that grew is already known to differ.
fn read_all(file: &mut File, expected: usize) -> Result<Vec<u8>, NotWritten> {
    let mut bytes = Vec::with_capacity(expected);
    file.take(expected as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(NotWritten::Unreadable)?;
    Ok(bytes)
}

fn overwrite(file: &mut File, bytes: &[u8]) -> io::Result<()> {
    file.seek(SeekFrom::Start(0))?;
    file.write_all(bytes)?;
    file.set_len(bytes.len() as u64)?;
    file.sync_data()
}

/// A copy of the original next to it, deleted when dropped unless kept.
struct Backup(tempfile::NamedTempFile);

impl Backup {
    fn create(target: &Path, content: &[u8]) -> io::Result<Backup> {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        // `.views.py.Ab12Cd.tasklint-backup`: next to the file and named after it, for
        // whoever has to recover it; the name cut short so that it stays a valid name.
        let name: String = target
            .file_name()
            .map(|n| n.to_string_lossy().chars().take(64).collect())
            .unwrap_or_default();
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tasklint-backup")
            .tempfile_in(dir)?;
        tmp.write_all(content)?;
        tmp.as_file().sync_all()?;
        let mut back = Vec::with_capacity(content.len());
        let f = tmp.as_file_mut();
        f.seek(SeekFrom::Start(0))?;
        f.take(content.len() as u64 + 1).read_to_end(&mut back)?;
        if back != content {
            return Err(io::Error::other("the backup did not read back as written"));
        }
        Ok(Backup(tmp))
    }

    fn remove(self) {
        // A backup that cannot be removed is a stray file, not a lost one.
        let _ = self.0.close();
    }

    fn keep(self) -> PathBuf {
        match self.0.keep() {
            Ok((_, path)) => path,
            Err(e) => e.file.path().to_path_buf(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    #[test]
    fn writes_in_place_keeping_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("views.py");
        std::fs::write(&p, "old\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        let ino = std::fs::metadata(&p).unwrap().ino();
        write_fixed(&p, "old\n", "new text\n").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new text\n");
        let meta = std::fs::metadata(&p).unwrap();
        assert_eq!((meta.ino(), meta.mode() & 0o777), (ino, 0o640));
        write_fixed(&p, "new text\n", "n\n").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "n\n");
        // Nothing else left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_changed_file_or_a_fifo_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.py");
        std::fs::write(&p, "old\n").unwrap();
        assert!(matches!(
            write_fixed(&p, "older\n", "new\n"),
            Err(NotWritten::Changed)
        ));
        assert!(matches!(
            write_fixed(&p, "ol", "new\n"),
            Err(NotWritten::Changed)
        ));
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old\n");
        let fifo = dir.path().join("b.py");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            write_fixed(&fifo, "", "new\n"),
            Err(NotWritten::NotRegular)
        ));
    }
}

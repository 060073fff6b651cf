//! The persistent per-file model cache: re-runs (pre-commit, editors) parse only what
//! changed.
//!
//! One file per set of checked roots, `<cache dir>/<hash of the roots>.bin`, holding the
//! models of the files parsed so far, keyed by the hash of each file's content. The whole
//! cache is also keyed (in its header) by tasklint's version, the binary that wrote it and
//! the settings that change how files are parsed: any change starts an empty cache. The
//! cache stores models, never findings: rules are cross-file, so they always run.
//!
//! A cache that is missing, unreadable, truncated or corrupt (each entry carries a
//! checksum) is treated as empty; it never fails a check. Writes go to a temporary file
//! renamed over the old one, so a crash or a concurrent run never leaves half a cache.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use bincode::Options;
use xxhash_rust::xxh3::{xxh3_64, xxh3_128};

use crate::model::FileModel;

const MAGIC: &[u8; 8] = b"TLCACHE1";
/// Bump when the file layout changes.
const FORMAT: u32 = 1;
const HEADER: usize = 8 + 16 + 8;
const ENTRY: usize = 16 + 8 + 8 + 8;

/// The hash a file's content is cached under.
pub fn content_hash(bytes: &[u8]) -> u128 {
    xxh3_128(bytes)
}

/// What makes cached models valid: tasklint's version, the binary itself (a rebuilt
/// binary may parse differently; its size and modification time stand for it), and the
/// settings that change parsing (none so far: every setting applies after parsing).
pub fn cache_key() -> u128 {
    let mut key = format!("{}\n{FORMAT}\n", env!("CARGO_PKG_VERSION"));
    if let Ok(exe) = std::env::current_exe()
        && let Ok(meta) = std::fs::metadata(exe)
    {
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        key.push_str(&format!("{}\n{modified}\n", meta.len()));
    }
    xxh3_128(key.as_bytes())
}

/// The cache file for a set of roots in `dir`.
pub fn cache_file(dir: &Path, roots: &[PathBuf]) -> PathBuf {
    let mut id = String::new();
    for r in roots {
        let canonical = std::fs::canonicalize(r).unwrap_or_else(|_| r.clone());
        id.push_str(&canonical.to_string_lossy());
        id.push('\n');
    }
    dir.join(format!("{:032x}.bin", xxh3_128(id.as_bytes())))
}

fn codec() -> impl Options {
    bincode::DefaultOptions::new()
}

pub struct Cache {
    path: PathBuf,
    key: u128,
    data: Vec<u8>,
    /// content hash → (offset, length, checksum) in `data`.
    entries: HashMap<u128, (usize, usize, u64)>,
    /// Why the cache is empty, when it is.
    pub status: String,
}

impl Cache {
    /// Opens the cache at `path`; whatever goes wrong, the cache is empty.
    pub fn open(path: PathBuf, key: u128) -> Cache {
        let mut cache = Cache {
            path,
            key,
            data: Vec::new(),
            entries: HashMap::new(),
            status: String::new(),
        };
        match std::fs::read(&cache.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => cache.status = "new".into(),
            Err(e) => cache.status = format!("unreadable ({e}), starting empty"),
            Ok(data) => match parse_index(&data, key) {
                Ok(entries) => {
                    cache.status = format!("{} entries", entries.len());
                    cache.entries = entries;
                    cache.data = data;
                }
                Err(why) => cache.status = format!("{why}, starting empty"),
            },
        }
        cache
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains(&self, hash: u128) -> bool {
        self.entries.contains_key(&hash)
    }

    /// The cached model of a file with this content, if it is there and intact.
    pub fn get(&self, hash: u128) -> Option<FileModel> {
        let blob = self.blob(hash)?;
        codec().with_limit(blob.len() as u64).deserialize(blob).ok()
    }

    fn blob(&self, hash: u128) -> Option<&[u8]> {
        let &(offset, len, checksum) = self.entries.get(&hash)?;
        let blob = self.data.get(offset..offset.checked_add(len)?)?;
        (xxh3_64(blob) == checksum).then_some(blob)
    }

    /// Writes the cache: `fresh` models (parsed this run) plus the entries already there
    /// whose hash `keep` still wants. Returns how many entries were written.
    pub fn write(
        &self,
        fresh: &[(u128, &FileModel)],
        keep: impl Fn(u128) -> bool,
    ) -> std::io::Result<usize> {
        self.write_with(fresh, &[], keep)
    }

    /// Raw bytes stored under `key` (not a model): see [`Cache::write_with`].
    pub fn get_raw(&self, key: u128) -> Option<&[u8]> {
        self.blob(key)
    }

    /// [`Cache::write`], plus raw entries (`extra`) stored under their own keys.
    pub fn write_with(
        &self,
        fresh: &[(u128, &FileModel)],
        extra: &[(u128, Vec<u8>)],
        keep: impl Fn(u128) -> bool,
    ) -> std::io::Result<usize> {
        let mut blobs: Vec<(u128, std::borrow::Cow<[u8]>)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (key, bytes) in extra {
            if seen.insert(*key) {
                blobs.push((*key, bytes.as_slice().into()));
            }
        }
        for (hash, model) in fresh {
            if !seen.insert(*hash) {
                continue;
            }
            let bytes = codec()
                .serialize(model)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            blobs.push((*hash, bytes.into()));
        }
        let mut old: Vec<u128> = self.entries.keys().copied().collect();
        old.sort_unstable();
        for hash in old {
            if !seen.contains(&hash)
                && keep(hash)
                && let Some(blob) = self.blob(hash)
            {
                seen.insert(hash);
                blobs.push((hash, blob.into()));
            }
        }
        let mut out = Vec::with_capacity(
            HEADER + blobs.len() * ENTRY + blobs.iter().map(|(_, b)| b.len()).sum::<usize>(),
        );
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.key.to_le_bytes());
        out.extend_from_slice(&(blobs.len() as u64).to_le_bytes());
        let mut offset = HEADER + blobs.len() * ENTRY;
        for (hash, blob) in &blobs {
            out.extend_from_slice(&hash.to_le_bytes());
            out.extend_from_slice(&(offset as u64).to_le_bytes());
            out.extend_from_slice(&(blob.len() as u64).to_le_bytes());
            out.extend_from_slice(&xxh3_64(blob).to_le_bytes());
            offset += blob.len();
        }
        for (_, blob) in &blobs {
            out.extend_from_slice(blob);
        }
        write_atomically(&self.path, &out)?;
        Ok(blobs.len())
    }
}

fn parse_index(data: &[u8], key: u128) -> Result<HashMap<u128, (usize, usize, u64)>, String> {
    if data.len() < HEADER || &data[..8] != MAGIC {
        return Err("not a tasklint cache".into());
    }
    let u64_at = |at: usize| -> Option<u64> {
        Some(u64::from_le_bytes(data.get(at..at + 8)?.try_into().ok()?))
    };
    let u128_at = |at: usize| -> Option<u128> {
        Some(u128::from_le_bytes(data.get(at..at + 16)?.try_into().ok()?))
    };
    if u128_at(8) != Some(key) {
        return Err("written by another tasklint build".into());
    }
    let n = u64_at(24).ok_or("truncated")? as usize;
    let table_end = n
        .checked_mul(ENTRY)
        .and_then(|t| t.checked_add(HEADER))
        .filter(|end| *end <= data.len())
        .ok_or("truncated")?;
    let mut entries = HashMap::with_capacity(n);
    let mut at = HEADER;
    while at < table_end {
        let (Some(hash), Some(offset), Some(len), Some(sum)) = (
            u128_at(at),
            u64_at(at + 16),
            u64_at(at + 24),
            u64_at(at + 32),
        ) else {
            return Err("truncated".into());
        };
        entries.insert(hash, (offset as usize, len as usize, sum));
        at += ENTRY;
    }
    Ok(entries)
}

/// Writes `bytes` to a temporary file next to `path`, then renames it over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    // Like ruff's cache folder: never committed, whatever the project's .gitignore says.
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        let _ = std::fs::write(&ignore, "# Created by tasklint.\n*\n");
    }
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("cache"),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(text: &str) -> FileModel {
        crate::lang::python::parse(text)
    }

    #[test]
    fn round_trip_and_pruning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.bin");
        let a = model("def f():\n    g()\n");
        let b = model("import os\n");
        let cache = Cache::open(path.clone(), 7);
        assert!(cache.is_empty());
        cache.write(&[(1, &a), (2, &b)], |_| true).unwrap();
        let cache = Cache::open(path.clone(), 7);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get(1).unwrap().calls.len(), 1);
        // Entries no file has any more are dropped on the next write.
        cache.write(&[], |h| h == 2).unwrap();
        let cache = Cache::open(path.clone(), 7);
        assert_eq!((cache.len(), cache.get(1).is_none()), (1, true));
        assert!(cache.get(2).is_some());
        // Another key (another build, other settings): empty.
        assert!(Cache::open(path, 8).is_empty());
    }

    #[test]
    fn a_corrupt_cache_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.bin");
        let cache = Cache::open(path.clone(), 7);
        cache.write(&[(1, &model("x = f()\n"))], |_| true).unwrap();
        let good = std::fs::read(&path).unwrap();
        // Any flipped byte in an entry, a truncation, or garbage: never a panic, never a
        // wrong model.
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x5a;
            std::fs::write(&path, &bad).unwrap();
            let c = Cache::open(path.clone(), 7);
            if let Some(m) = c.get(1) {
                assert_eq!(m.calls.len(), 1, "byte {i}");
            }
        }
        for cut in [0, 5, HEADER, good.len() - 1] {
            std::fs::write(&path, &good[..cut]).unwrap();
            assert!(Cache::open(path.clone(), 7).get(1).is_none());
        }
        std::fs::write(&path, b"TLCACHE1\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff").unwrap();
        assert!(Cache::open(path, 7).is_empty());
    }
}

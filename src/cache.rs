//! The persistent per-file model cache: re-runs (pre-commit, editors) parse only what
//! changed.
//!
//! Per set of checked roots, the models of the files parsed so far, keyed by the hash of
//! each file's content and spread by that hash over [`MODEL_SHARDS`] files,
//! `<cache dir>/<hash of the roots>.<k>.bin`: an edit rewrites the one or two files its
//! entries fall in, not every model of the project. Every file is also keyed (in its
//! header) by tasklint's version, the binary that wrote it and a secret of the user
//! running it: any change starts an empty cache. Findings are kept
//! apart, for the whole run, in `<hash of the roots>.findings` (`crate::findings_cache`):
//! rules are cross-file, so a change to any file works every finding out again.
//!
//! # Trust
//! The cache folder usually sits inside the checkout (`.tasklint_cache/`), which may come
//! from a stranger's pull request, so nothing in it is trusted:
//! - **Written without following links.** A cache folder that is a symbolic link, is not
//!   owned by the user running tasklint, or is writable by everyone, is refused (the run
//!   goes on without a cache). Files are created inside the open folder (`openat`) with
//!   `O_EXCL | O_NOFOLLOW` under unpredictable names, then renamed over the cache file:
//!   a planted link is replaced, never written through.
//! - **Never blinds the project.** The `.gitignore` that keeps the cache out of git is
//!   written only into a folder this run created itself: `TASKLINT_CACHE_DIR=.` leaves the
//!   project's own `.gitignore` alone.
//! - **Keyed by a secret.** The key in the header includes 32 random bytes kept in the
//!   user's own cache folder (`$XDG_CACHE_HOME/tasklint/key`, else
//!   `~/.cache/tasklint/key`, else `<temp>/tasklint-<uid>/key`, created private), and the
//!   cache file is private (0600): a cache committed to a repository, copied from a
//!   container image or planted by another user never matches, and is read as empty.
//!   Without a private key store the cache is off.
//! - **Read defensively.** Only a regular file owned by the user is read (opened with
//!   `O_NOFOLLOW | O_NONBLOCK`: a FIFO or a link to `/dev/zero` is a miss, never a hang),
//!   up to a size cap. Each entry carries a keyed checksum, is decoded with a size limit
//!   and checked for shape (every index points inside the model, every span inside the
//!   file) before use: a bad entry is a miss, never a panic or a wrong finding.
//! - `--fix` never reads the cache: fixes are built from fresh parses.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bincode::Options;
use xxhash_rust::xxh3::{xxh3_64_with_seed, xxh3_128};

use crate::model::{BoundValue, Expr, ExprKind, FileModel, Span};

const MAGIC: &[u8; 8] = b"TLCACHE2";
/// Bump when the file layout changes.
const FORMAT: u32 = 4;
const HEADER: usize = 8 + 16 + 8;
const ENTRY: usize = 16 + 8 + 8 + 8;

/// The hash a file's content is cached under.
pub fn content_hash(bytes: &[u8]) -> u128 {
    xxh3_128(bytes)
}

/// What makes cached models valid: tasklint's version, the binary itself (a rebuilt
/// binary may parse differently; its size and modification time stand for it), and the
/// user's secret (see the module's documentation).
pub fn cache_key(secret: &[u8]) -> u128 {
    match std::env::current_exe() {
        Ok(exe) => cache_key_for(&exe, secret),
        Err(_) => cache_key_for(Path::new(""), secret),
    }
}

/// [`cache_key`] for the binary at `exe`.
pub fn cache_key_for(exe: &Path, secret: &[u8]) -> u128 {
    let mut key = format!("{}\n{FORMAT}\n", env!("CARGO_PKG_VERSION"));
    if let Ok(meta) = std::fs::metadata(exe) {
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        key.push_str(&format!("{}\n{modified}\n", meta.len()));
    }
    let mut bytes = key.into_bytes();
    bytes.extend_from_slice(secret);
    xxh3_128(&bytes)
}

/// The name of the cache file for a set of roots.
pub fn cache_file_name(roots: &[PathBuf]) -> String {
    cache_file_name_ext(roots, "bin")
}

fn cache_file_name_ext(roots: &[PathBuf], ext: &str) -> String {
    let mut id = String::new();
    for r in roots {
        let canonical = std::fs::canonicalize(r).unwrap_or_else(|_| r.clone());
        id.push_str(&canonical.to_string_lossy());
        id.push('\n');
    }
    format!("{:032x}.{ext}", xxh3_128(id.as_bytes()))
}

fn codec() -> impl Options {
    bincode::DefaultOptions::new()
}

/// How many files the models are spread over (by content hash): an edit rewrites the
/// one or two files its entries fall in, not every model of the project.
pub const MODEL_SHARDS: usize = 16;

/// The file names of a cache named `name` spread over `shards` files: `name` itself for
/// one, else `<stem>.<k>.<ext>`.
pub fn shard_names(name: &str, shards: usize) -> Vec<String> {
    if shards <= 1 {
        return vec![name.to_string()];
    }
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, "bin"));
    (0..shards)
        .map(|k| format!("{stem}.{k:02}.{ext}"))
        .collect()
}

pub struct Cache {
    dir: Option<safe::Dir>,
    name: String,
    key: u128,
    /// Seeds the entries' checksums (derived from the key: forging one needs the secret).
    seed: u64,
    /// The most bytes read, and written, over all the cache's files.
    cap: u64,
    shards: Vec<Shard>,
    /// What happened when the cache was opened, for `--timings`.
    pub status: String,
}

/// One file of the cache.
#[derive(Default)]
struct Shard {
    name: String,
    data: Vec<u8>,
    /// content hash → (offset, length, checksum) in `data`.
    entries: HashMap<u128, (usize, usize, u64)>,
}

/// What [`Cache::write_with`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Entries in the files written.
    pub entries: usize,
    /// Files written, of `of`.
    pub files: usize,
    pub of: usize,
}

impl std::fmt::Display for Written {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        if self.of == 1 {
            write!(f, "wrote {} entries", self.entries)
        } else {
            write!(
                f,
                "wrote {} entries in {} of {} files",
                self.entries, self.files, self.of
            )
        }
    }
}

impl Cache {
    /// Opens the model cache for `roots` in the folder `dir`, reading at most `cap` bytes;
    /// whatever goes wrong (an unsafe folder, no key store, a corrupt file), the cache is
    /// empty, and when the folder cannot be trusted nothing is written either.
    pub fn for_roots(dir: &Path, roots: &[PathBuf], cap: u64) -> Cache {
        let name = cache_file_name(roots);
        match safe::secret() {
            Ok(s) => Cache::open_sharded(dir, name, cache_key(&s), cap, MODEL_SHARDS),
            Err(why) => Cache::off(name, format!("off: {why}")),
        }
    }

    /// [`Cache::for_roots`], for the one file with extension `ext` (another kind of entry:
    /// `crate::findings_cache`).
    pub fn for_roots_named(dir: &Path, roots: &[PathBuf], ext: &str, cap: u64) -> Cache {
        let name = cache_file_name_ext(roots, ext);
        let secret = match safe::secret() {
            Ok(s) => s,
            Err(why) => return Cache::off(name, format!("off: {why}")),
        };
        Cache::open(dir, name, cache_key(&secret), cap)
    }

    /// Opens the cache file `name` in `dir` under `key` (see [`Cache::for_roots`]).
    pub fn open(dir: &Path, name: String, key: u128, cap: u64) -> Cache {
        Cache::open_sharded(dir, name, key, cap, 1)
    }

    /// Opens the cache `name` spread over `shards` files ([`shard_names`]).
    pub fn open_sharded(dir: &Path, name: String, key: u128, cap: u64, shards: usize) -> Cache {
        let dir = match safe::Dir::open_or_create(dir) {
            Ok(d) => d,
            Err(why) => return Cache::off(name, format!("off: {why}")),
        };
        let mut cache = Cache {
            dir: None,
            key,
            seed: (key >> 64) as u64 ^ key as u64,
            cap,
            shards: Vec::new(),
            status: String::new(),
            name,
        };
        let mut budget = cap;
        let mut problems = Vec::new();
        let mut found = false;
        for shard_name in shard_names(&cache.name, shards) {
            let mut shard = Shard {
                name: shard_name,
                ..Shard::default()
            };
            match dir.read(&shard.name, budget) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => problems.push(format!("unreadable ({e})")),
                Ok(data) => {
                    found = true;
                    match parse_index(&data, key) {
                        Ok(entries) => {
                            budget -= data.len() as u64;
                            shard.entries = entries;
                            shard.data = data;
                        }
                        Err(why) => problems.push(why),
                    }
                }
            }
            cache.shards.push(shard);
        }
        problems.dedup();
        cache.status = match (problems.is_empty(), found) {
            (true, false) => "new".into(),
            (true, true) => format!("{} entries", cache.len()),
            (false, _) if shards == 1 => format!("{}, starting empty", problems.join("; ")),
            (false, _) => format!(
                "{} entries; {}, those files start empty",
                cache.len(),
                problems.join("; ")
            ),
        };
        cache.dir = Some(dir);
        cache
    }

    fn off(name: String, status: String) -> Cache {
        Cache {
            dir: None,
            name,
            key: 0,
            seed: 0,
            cap: 0,
            shards: Vec::new(),
            status,
        }
    }

    /// The cache can be written (its folder was opened safely).
    pub fn is_usable(&self) -> bool {
        self.dir.is_some()
    }

    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.entries.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The file an entry under `hash` lives in.
    fn shard_of(&self, hash: u128) -> Option<&Shard> {
        let n = self.shards.len();
        (n > 0).then(|| &self.shards[shard_index(hash, n)])
    }

    pub fn contains(&self, hash: u128) -> bool {
        self.shard_of(hash)
            .is_some_and(|s| s.entries.contains_key(&hash))
    }

    /// The cached model of a file with this content (`text`), if it is there, intact and
    /// well-formed.
    pub fn get(&self, hash: u128, text: &str) -> Option<FileModel> {
        decode(self.blob(hash)?, text)
    }

    fn checksum(&self, hash: u128, blob: &[u8]) -> u64 {
        xxh3_64_with_seed(blob, self.seed ^ (hash as u64) ^ ((hash >> 64) as u64))
    }

    fn blob(&self, hash: u128) -> Option<&[u8]> {
        let shard = self.shard_of(hash)?;
        let &(offset, len, checksum) = shard.entries.get(&hash)?;
        let blob = shard.data.get(offset..offset.checked_add(len)?)?;
        (self.checksum(hash, blob) == checksum).then_some(blob)
    }

    /// Writes the cache: `fresh` models (parsed this run) plus the entries already there
    /// whose hash `keep` still wants.
    pub fn write(
        &self,
        fresh: &[(u128, &FileModel)],
        keep: impl Fn(u128) -> bool,
    ) -> std::io::Result<Written> {
        self.write_with(fresh, &[], keep)
    }

    /// Every entry, as raw bytes, in key order (for tests and tools).
    pub fn raw_entries(&self) -> Vec<(u128, Vec<u8>)> {
        let mut keys: Vec<u128> = self
            .shards
            .iter()
            .flat_map(|s| s.entries.keys().copied())
            .collect();
        keys.sort_unstable();
        keys.into_iter()
            .filter_map(|k| Some((k, self.blob(k)?.to_vec())))
            .collect()
    }

    /// Raw bytes stored under `key` (not a model): see [`Cache::write_with`].
    pub fn get_raw(&self, key: u128) -> Option<&[u8]> {
        self.blob(key)
    }

    /// [`Cache::write`], plus raw entries (`extra`) stored under their own keys.
    ///
    /// Only the files that gain an entry, whose raw entries change, or that would drop
    /// more than a quarter of their entries are written again; the others keep entries
    /// no file wants any more until then (they are never read: the key is the content).
    pub fn write_with(
        &self,
        fresh: &[(u128, &FileModel)],
        extra: &[(u128, Vec<u8>)],
        keep: impl Fn(u128) -> bool,
    ) -> std::io::Result<Written> {
        let Some(dir) = &self.dir else {
            return Err(std::io::Error::other("the cache is off"));
        };
        let n = self.shards.len();
        let mut blobs: Vec<Vec<(u128, std::borrow::Cow<[u8]>)>> = vec![Vec::new(); n];
        let mut changed = vec![false; n];
        let mut seen = std::collections::HashSet::new();
        for (key, bytes) in extra {
            if seen.insert(*key) {
                let k = shard_index(*key, n);
                changed[k] |= self.blob(*key) != Some(bytes.as_slice());
                blobs[k].push((*key, bytes.as_slice().into()));
            }
        }
        for (hash, model) in fresh {
            if seen.insert(*hash) {
                let k = shard_index(*hash, n);
                changed[k] = true;
                blobs[k].push((*hash, encode(model)?.into()));
            }
        }
        for (k, shard) in self.shards.iter().enumerate() {
            let mut old: Vec<u128> = shard.entries.keys().copied().collect();
            old.sort_unstable();
            let mut dropped = 0;
            for hash in old {
                if seen.contains(&hash) {
                    continue;
                }
                match self.blob(hash).filter(|_| keep(hash)) {
                    Some(blob) => blobs[k].push((hash, blob.into())),
                    None => dropped += 1,
                }
            }
            changed[k] |= dropped * 4 > shard.entries.len();
        }
        let total: usize = blobs
            .iter()
            .map(|b| HEADER + b.len() * ENTRY + b.iter().map(|(_, b)| b.len()).sum::<usize>())
            .sum();
        if total as u64 > self.cap {
            return Err(std::io::Error::other(format!(
                "{total} bytes, over the cap of {}",
                self.cap
            )));
        }
        let mut written = Written {
            entries: 0,
            files: 0,
            of: n,
        };
        for (k, shard_blobs) in blobs.iter().enumerate() {
            if !changed[k] {
                continue;
            }
            dir.replace(&self.shards[k].name, &self.file_bytes(shard_blobs))?;
            written.entries += shard_blobs.len();
            written.files += 1;
        }
        if n > 1 {
            // The one-file layout of earlier versions: never read again.
            dir.remove(&self.name);
        }
        Ok(written)
    }

    /// One cache file holding `blobs`.
    fn file_bytes(&self, blobs: &[(u128, std::borrow::Cow<[u8]>)]) -> Vec<u8> {
        let total =
            HEADER + blobs.len() * ENTRY + blobs.iter().map(|(_, b)| b.len()).sum::<usize>();
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.key.to_le_bytes());
        out.extend_from_slice(&(blobs.len() as u64).to_le_bytes());
        let mut offset = HEADER + blobs.len() * ENTRY;
        for (hash, blob) in blobs {
            out.extend_from_slice(&hash.to_le_bytes());
            out.extend_from_slice(&(offset as u64).to_le_bytes());
            out.extend_from_slice(&(blob.len() as u64).to_le_bytes());
            out.extend_from_slice(&self.checksum(*hash, blob).to_le_bytes());
            offset += blob.len();
        }
        for (_, blob) in blobs {
            out.extend_from_slice(blob);
        }
        out
    }
}

/// Which of `n` files holds the entry under `hash` (hashes are uniform: the low bits).
fn shard_index(hash: u128, n: usize) -> usize {
    (hash as u64 % n.max(1) as u64) as usize
}

/// Any value as a raw entry stores it ([`Cache::write_with`]).
pub fn encode_value<T: serde::Serialize>(value: &T) -> std::io::Result<Vec<u8>> {
    codec()
        .serialize(value)
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// A value stored by [`encode_value`]; `None` when the bytes are not one (decoding never
/// allocates more than the bytes could hold).
pub fn decode_value<T: serde::de::DeserializeOwned>(blob: &[u8]) -> Option<T> {
    codec().with_limit(blob.len() as u64).deserialize(blob).ok()
}

/// A model as a cache entry stores it.
pub fn encode(model: &FileModel) -> std::io::Result<Vec<u8>> {
    codec()
        .serialize(model)
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// A cache entry's model for a file with this text: `None` unless it decodes within the
/// entry's size and is [`well_formed`] for the text.
pub fn decode(blob: &[u8], text: &str) -> Option<FileModel> {
    let model: FileModel = codec()
        .with_limit(blob.len() as u64)
        .deserialize(blob)
        .ok()?;
    well_formed(&model, text).then_some(model)
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
        return Err("written by another tasklint build or user".into());
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

/// Every index of the model points inside it, scopes nest (a parent comes before its
/// children, so walking up ends), and every span lies inside the file on character
/// boundaries of `text`. What the frontends always produce; what a
/// damaged or forged cache entry may not, and the index would panic or loop on.
pub fn well_formed(m: &FileModel, text: &str) -> bool {
    let (scopes, calls, classes, tries) = (
        m.scopes.len(),
        m.calls.len(),
        m.classes.len(),
        m.tries.len(),
    );
    let span = |s: &Span| {
        s.start <= s.end
            && text.is_char_boundary(s.start as usize)
            && text.is_char_boundary(s.end as usize)
    };
    let expr = |e: &Expr| expr_ok(e, scopes, calls, &span);
    let opt = |o: &Option<Expr>| o.as_ref().is_none_or(expr);
    for (i, s) in m.scopes.iter().enumerate() {
        let ok = span(&s.span)
            && span(&s.name_span)
            && s.parent.is_none_or(|p| p < i)
            && (i == 0 || s.parent.is_some())
            && s.class.is_none_or(|c| c < classes)
            && s.passed_to.is_none_or(|(c, _)| c < calls)
            && s.params
                .iter()
                .all(|p| span(&p.span) && opt(&p.default) && opt(&p.annotation))
            && s.decorators.iter().all(|d| span(&d.span) && expr(&d.expr))
            && s.returns.iter().all(expr)
            && s.bindings.iter().all(|b| {
                span(&b.span)
                    && match &b.value {
                        BoundValue::Expr(e) | BoundValue::IterOf(e) | BoundValue::WithOf(e) => {
                            expr(e)
                        }
                        BoundValue::Param(p) => *p < s.params.len(),
                        BoundValue::Function(f) => *f < scopes,
                        BoundValue::Class(c) => *c < classes,
                        BoundValue::Import(_) | BoundValue::Unknown => true,
                    }
            });
        if !ok {
            return false;
        }
    }
    m.calls.iter().all(|c| {
        c.scope < scopes
            && span(&c.span)
            && span(&c.args_span)
            && expr(&c.callee)
            && c.args.iter().all(|a| span(&a.span) && expr(&a.value))
            && c.withs.iter().all(expr)
            && c.tries.iter().all(|t| *t < tries)
            && c.guards.iter().all(|g| expr(&g.cond))
    }) && m.classes.iter().all(|c| {
        span(&c.span)
            && span(&c.name_span)
            && c.parent < scopes
            && c.body < scopes
            && c.methods.iter().all(|s| *s < scopes)
            && c.bases.iter().all(expr)
            && c.decorators.iter().all(|d| span(&d.span) && expr(&d.expr))
    }) && m.tries.iter().all(|t| {
        span(&t.span)
            && t.handlers
                .iter()
                .all(|h| span(&h.span) && h.types.iter().all(expr))
    }) && m
        .attr_assignments
        .iter()
        .all(|a| a.scope < scopes && expr(&a.target) && expr(&a.value))
        && m.comments.iter().all(|c| span(&c.span))
        && m.problems.iter().all(|p| span(&p.span))
        && m.imports.iter().all(|i| {
            i.scope < scopes
                && span(&i.span)
                && i.tries.iter().all(|t| *t < tries)
                && i.names.iter().all(|(_, s)| span(s))
        })
        && m.rust
            .mods
            .iter()
            .all(|d| span(&d.name_span) && d.parent < scopes && d.body.is_none_or(|b| b < scopes))
        && m.rust
            .types
            .iter()
            .all(|t| t.class < classes && t.fields.iter().all(|(_, e)| expr(e)))
        && m.rust
            .impls
            .iter()
            .all(|b| b.class < classes && expr(&b.self_ty) && opt(&b.trait_))
        && m.rust.returns.iter().all(|(s, e)| *s < scopes && expr(e))
        && m.rust
            .turbofish
            .iter()
            .all(|(c, es)| *c < calls && es.iter().all(expr))
        && m.rust.closure_generics.iter().all(|(s, _)| *s < scopes)
}

fn expr_ok(e: &Expr, scopes: usize, calls: usize, span: &dyn Fn(&Span) -> bool) -> bool {
    // An explicit stack: a deep expression must not overflow ours.
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        if !span(&e.span) {
            return false;
        }
        match &e.kind {
            ExprKind::Call(c) if *c >= calls => return false,
            ExprKind::Lambda(s) if *s >= scopes => return false,
            ExprKind::Attr(x, _) | ExprKind::Starred(x) | ExprKind::Not(x) => stack.push(x),
            ExprKind::Subscript(x, y)
            | ExprKind::Or(x, y)
            | ExprKind::And(x, y)
            | ExprKind::IfElse(x, y) => stack.extend([x.as_ref(), y.as_ref()]),
            ExprKind::List(xs) | ExprKind::Tuple(xs) => stack.extend(xs),
            ExprKind::Dict(kvs) => {
                for (k, v) in kvs {
                    stack.extend(k.iter());
                    stack.push(v);
                }
            }
            _ => {}
        }
    }
    true
}

/// The file system side: a folder opened once without following links, files read and
/// written relative to it.
#[cfg(unix)]
mod safe {
    use std::io::{Read, Write};
    use std::os::fd::OwnedFd;
    use std::path::{Path, PathBuf};

    use rustix::fs::{AtFlags, FileType, Mode, OFlags};

    pub struct Dir {
        fd: OwnedFd,
    }

    fn me() -> u32 {
        rustix::process::geteuid().as_raw()
    }

    fn io(e: rustix::io::Errno) -> std::io::Error {
        e.into()
    }

    /// Opens a folder without following a link at its last component, and checks that
    /// the user owns it and that not everyone can write into it.
    fn open_dir(path: &Path, private: bool) -> Result<OwnedFd, String> {
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| match e {
            rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR => {
                format!("{} is a link or not a folder", path.display())
            }
            e => format!("{} cannot be opened ({})", path.display(), io(e)),
        })?;
        let st = rustix::fs::fstat(&fd).map_err(|e| format!("{}: {}", path.display(), io(e)))?;
        if st.st_uid != me() {
            return Err(format!("{} is not owned by you", path.display()));
        }
        let mode = st.st_mode as u32;
        let forbidden = if private { 0o077 } else { 0o002 };
        if mode & forbidden != 0 {
            return Err(format!(
                "{} is writable or readable by others (mode {:o})",
                path.display(),
                mode & 0o777
            ));
        }
        Ok(fd)
    }

    /// Unpredictable bytes (temporary names, the secret).
    fn random(buf: &mut [u8]) -> std::io::Result<()> {
        std::fs::File::open("/dev/urandom")?.read_exact(buf)
    }

    impl Dir {
        /// The cache folder: created (with its `.gitignore`) when it is missing, refused
        /// when it is a link, someone else's, or writable by everyone.
        pub fn open_or_create(path: &Path) -> Result<Dir, String> {
            let mut created = false;
            match std::fs::symlink_metadata(path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                        std::fs::create_dir_all(parent)
                            .map_err(|e| format!("{} cannot be created ({e})", parent.display()))?;
                    }
                    match rustix::fs::mkdir(path, Mode::from_raw_mode(0o755)) {
                        Ok(()) => created = true,
                        Err(rustix::io::Errno::EXIST) => {}
                        Err(e) => {
                            return Err(format!(
                                "{} cannot be created ({})",
                                path.display(),
                                io(e)
                            ));
                        }
                    }
                }
                Err(e) => return Err(format!("{}: {e}", path.display())),
                Ok(_) => {}
            }
            let dir = Dir {
                fd: open_dir(path, false)?,
            };
            if created {
                // Like ruff's cache folder: never committed, whatever the project's
                // .gitignore says. Only in a folder created just now: `*` in a folder
                // that holds anything else would hide it from git and from tasklint.
                let _ = dir.create_new(".gitignore", b"# Created by tasklint.\n*\n", 0o644);
            }
            Ok(dir)
        }

        /// Reads a regular file of the folder owned by the user, at most `cap` bytes.
        pub fn read(&self, name: &str, cap: u64) -> std::io::Result<Vec<u8>> {
            let fd = rustix::fs::openat(
                &self.fd,
                name,
                OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| match e {
                rustix::io::Errno::LOOP => std::io::Error::other("a link"),
                e => io(e),
            })?;
            let st = rustix::fs::fstat(&fd).map_err(io)?;
            if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
                return Err(std::io::Error::other("not a regular file"));
            }
            if st.st_uid != me() {
                return Err(std::io::Error::other("not owned by you"));
            }
            if st.st_size as u64 > cap {
                return Err(std::io::Error::other(format!(
                    "{} bytes, over the cap of {cap}",
                    st.st_size
                )));
            }
            let mut data = Vec::with_capacity(st.st_size as usize);
            std::fs::File::from(fd)
                .take(cap + 1)
                .read_to_end(&mut data)?;
            if data.len() as u64 > cap {
                return Err(std::io::Error::other("grew over the cap while read"));
            }
            Ok(data)
        }

        /// Creates a file that must not exist yet (never through a link).
        fn create_new(&self, name: &str, bytes: &[u8], mode: u32) -> std::io::Result<()> {
            let fd = rustix::fs::openat(
                &self.fd,
                name,
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(mode as _),
            )
            .map_err(io)?;
            std::fs::File::from(fd).write_all(bytes)
        }

        /// Removes the file `name` if it is there (a link is removed, never followed).
        pub fn remove(&self, name: &str) {
            let _ = rustix::fs::unlinkat(&self.fd, name, AtFlags::empty());
        }

        /// Replaces the file `name` with `bytes`: written to a new private file under an
        /// unpredictable name, then renamed over it (a link there is replaced, not
        /// followed; a concurrent run never sees half a file).
        pub fn replace(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
            let mut nonce = [0u8; 12];
            random(&mut nonce)?;
            let tmp = format!(
                ".{name}.{}.tmp",
                nonce.iter().map(|b| format!("{b:02x}")).collect::<String>()
            );
            let result = self
                .create_new(&tmp, bytes, 0o600)
                .and_then(|()| rustix::fs::renameat(&self.fd, &tmp, &self.fd, name).map_err(io));
            if result.is_err() {
                let _ = rustix::fs::unlinkat(&self.fd, &tmp, AtFlags::empty());
            }
            result
        }
    }

    /// The user's private key store: `$XDG_CACHE_HOME/tasklint`, else
    /// `~/.cache/tasklint`, else (no home: CI) `<temp dir>/tasklint-<uid>`, which
    /// another user may have made first: then it is not ours, and the cache is off.
    fn key_dir() -> PathBuf {
        std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| {
                std::env::var_os("HOME")
                    .map(PathBuf::from)
                    .filter(|p| p.is_absolute())
                    .map(|h| h.join(".cache"))
            })
            .map(|base| base.join("tasklint"))
            .unwrap_or_else(|| std::env::temp_dir().join(format!("tasklint-{}", me())))
    }

    /// The user's secret (32 random bytes), created on first use.
    pub fn secret() -> Result<[u8; 32], String> {
        let path = key_dir();
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _ = rustix::fs::mkdir(&path, Mode::from_raw_mode(0o700));
        let dir = Dir {
            fd: open_dir(&path, true)?,
        };
        let read = |dir: &Dir| -> std::io::Result<[u8; 32]> {
            let bytes = dir.read("key", 32)?;
            bytes
                .try_into()
                .map_err(|_| std::io::Error::other("the key is not 32 bytes"))
        };
        match read(&dir) {
            Ok(k) => Ok(k),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                random(&mut key).map_err(|e| format!("no random bytes ({e})"))?;
                match dir.create_new("key", &key, 0o600) {
                    Ok(()) => Ok(key),
                    // Another run created it first: use that one.
                    Err(_) => read(&dir)
                        .map_err(|e| format!("{}/key cannot be read ({e})", path.display())),
                }
            }
            Err(e) => Err(format!("{}/key cannot be read ({e})", path.display())),
        }
    }
}

#[cfg(not(unix))]
mod safe {
    use std::path::Path;

    pub struct Dir;

    impl Dir {
        pub fn open_or_create(_: &Path) -> Result<Dir, String> {
            Err("not supported on this platform".into())
        }

        pub fn read(&self, _: &str, _: u64) -> std::io::Result<Vec<u8>> {
            Err(std::io::Error::other("not supported"))
        }

        pub fn replace(&self, _: &str, _: &[u8]) -> std::io::Result<()> {
            Err(std::io::Error::other("not supported"))
        }

        pub fn remove(&self, _: &str) {}
    }

    pub fn secret() -> Result<[u8; 32], String> {
        Err("not supported on this platform".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAP: u64 = 1 << 20;

    fn model(text: &str) -> FileModel {
        crate::lang::python::parse(text)
    }

    fn open(dir: &Path, key: u128) -> Cache {
        Cache::open(dir, "c.bin".into(), key, CAP)
    }

    #[test]
    fn round_trip_and_pruning() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let a = model("def f():\n    g()\n");
        let b = model("import os\n");
        let cache = open(dir, 7);
        assert!(cache.is_empty() && cache.is_usable());
        cache.write(&[(1, &a), (2, &b)], |_| true).unwrap();
        let cache = open(dir, 7);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get(1, "def f():\n    g()\n").unwrap().calls.len(), 1);
        // A model whose spans do not fit the file is not this file's model.
        assert!(cache.get(1, "def").is_none());
        // Entries no file has any more are dropped on the next write.
        cache.write(&[], |h| h == 2).unwrap();
        let cache = open(dir, 7);
        assert_eq!(
            (cache.len(), cache.get(1, "def f():\n    g()\n").is_none()),
            (1, true)
        );
        assert!(cache.get(2, "import os\n").is_some());
        // Another key (another build, another user): empty.
        assert!(open(dir, 8).is_empty());
    }

    #[test]
    fn an_edit_rewrites_only_the_files_its_entries_fall_in() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let open = || Cache::open_sharded(dir, "c.bin".into(), 7, CAP, 4);
        let files = shard_names("c.bin", 4);
        assert_eq!(files[2], "c.02.bin");
        let m = model("import os\n");
        // Hashes 0..8 fall two in each file (by their low bits).
        let all: Vec<(u128, &FileModel)> = (0..8).map(|h| (h, &m)).collect();
        std::fs::write(dir.join("c.bin"), b"an old one-file cache").unwrap();
        let w = open().write(&all, |_| true).unwrap();
        assert_eq!((w.entries, w.files, w.of), (8, 4, 4));
        assert!(!dir.join("c.bin").exists(), "the old layout is left behind");
        let stamp = |f: &str| std::fs::read(dir.join(f)).unwrap();
        let before: Vec<Vec<u8>> = files.iter().map(|f| stamp(f)).collect();
        // Hash 1 gone, hash 9 new: both in file 1; the others are not written.
        let cache = open();
        assert_eq!(cache.len(), 8);
        let w = cache.write(&[(9, &m)], |h| h != 1).unwrap();
        assert_eq!((w.entries, w.files), (2, 1));
        for (k, f) in files.iter().enumerate() {
            assert_eq!(stamp(f) == before[k], k != 1, "{f}");
        }
        let cache = open();
        assert!(cache.contains(9) && !cache.contains(1) && cache.contains(5));
        // An entry no file wants any more stays while it is at most a quarter of its
        // file (it is never read: the key is the content).
        let w = cache.write(&[], |h| h != 2).unwrap();
        assert_eq!(w.files, 1, "file 2 loses one of two: written");
        let cache = open();
        assert!(!cache.contains(2) && cache.contains(6));
        // Nothing new, nothing dropped: nothing written.
        assert_eq!(cache.write(&[], |_| true).unwrap().files, 0);
    }

    #[test]
    fn a_corrupt_cache_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let path = dir.join("c.bin");
        let cache = open(dir, 7);
        cache.write(&[(1, &model("x = f()\n"))], |_| true).unwrap();
        let good = std::fs::read(&path).unwrap();
        // Any flipped byte in an entry, a truncation, or garbage: never a panic, never a
        // wrong model.
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x5a;
            std::fs::write(&path, &bad).unwrap();
            let c = open(dir, 7);
            if let Some(m) = c.get(1, "x = f()\n") {
                assert_eq!(m.calls.len(), 1, "byte {i}");
            }
        }
        for cut in [0, 5, HEADER, good.len() - 1] {
            std::fs::write(&path, &good[..cut]).unwrap();
            assert!(open(dir, 7).get(1, "x = f()\n").is_none());
        }
        std::fs::write(&path, b"TLCACHE2\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff").unwrap();
        assert!(open(dir, 7).is_empty());
    }

    #[test]
    fn models_the_frontends_build_are_well_formed() {
        let text = "import os\nclass A(B):\n    @d(1)\n    def f(self, x=g()):\n        y = [lambda: h(x) for _ in z]\n        try:\n            return k.delay(*y, **{'a': 1})\n        except E:\n            raise\n";
        assert!(well_formed(&model(text), text));
        let rust =
            "mod a;\nstruct S { x: u8 }\nimpl S { async fn f(&self) { g::<u8>(|| h()).await; } }\n";
        let m = crate::lang::rust::parse(rust);
        assert!(well_formed(&m, rust));
        let mut bad = model(text);
        bad.calls[0].scope = 99;
        assert!(!well_formed(&bad, text));
        let mut bad = model(text);
        bad.scopes[1].parent = Some(5);
        assert!(!well_formed(&bad, text));
    }

    /// Every fixture's model passes the shape check a cache entry must pass.
    #[test]
    fn every_fixture_model_is_well_formed() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut stack = vec![root];
        let mut n = 0;
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let language = match p.extension().and_then(|e| e.to_str()) {
                    Some("py") => crate::model::Language::Python,
                    Some("rs") => crate::model::Language::Rust,
                    _ => continue,
                };
                let Ok(text) = std::fs::read_to_string(&p) else {
                    continue;
                };
                let m = crate::lang::parse_text(language, &text);
                assert!(well_formed(&m, &text), "{}", p.display());
                n += 1;
            }
        }
        assert!(n > 100);
    }
}

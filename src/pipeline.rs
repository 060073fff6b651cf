//! The pipeline's read and parse phases: read every file (in parallel), decide with the
//! prefilter which ones can matter, parse those and the modules they import (in
//! parallel, from the cache when it has them), and leave every other file to be parsed
//! on demand. `check.rs` strings the phases together.

use std::collections::HashMap;
use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::cache::{self, Cache};
use crate::diagnostic::Diagnostic;
use crate::discover::{Discovered, FoundFile};
use crate::findings_cache;
use crate::index::models::{Loader, Pending};
use crate::index::{Models, ModuleTable, Project};
use crate::knowledge::Knowledge;
use crate::model::{FileModel, Language, Problem, Span};
use crate::prefilter::{Known, Prefilter, Requirement, StarImporters, interesting_names};
use crate::settings::Settings;
use crate::source::{FileId, SourceFile};
use crate::stamp::Stamp;
use crate::timings::Timings;

/// Why a file was not checked (counted in the summary).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    Unreadable,
    Binary,
    NotUtf8,
    Syntax,
}

/// Files not checked, by reason.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub unreadable: usize,
    pub binary: usize,
    pub not_utf8: usize,
    pub syntax: usize,
}

impl Skipped {
    pub fn total(&self) -> usize {
        self.unreadable + self.binary + self.not_utf8 + self.syntax
    }

    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    pub fn absorb(&mut self, other: &Skipped) {
        self.unreadable += other.unreadable;
        self.binary += other.binary;
        self.not_utf8 += other.not_utf8;
        self.syntax += other.syntax;
    }

    pub fn add(&mut self, why: Skip) {
        match why {
            Skip::Unreadable => self.unreadable += 1,
            Skip::Binary => self.binary += 1,
            Skip::NotUtf8 => self.not_utf8 += 1,
            Skip::Syntax => self.syntax += 1,
        }
    }

    /// `3 files skipped: 1 unreadable, 2 with syntax errors`
    pub fn sentence(&self) -> String {
        let mut parts = Vec::new();
        for (n, what) in [
            (self.unreadable, "unreadable"),
            (self.binary, "binary"),
            (self.not_utf8, "not UTF-8"),
            (self.syntax, "with syntax errors"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        let total = self.total();
        format!(
            "{total} file{} skipped: {}",
            if total == 1 { "" } else { "s" },
            parts.join(", ")
        )
    }
}

/// One file after the read phase.
#[derive(Clone)]
pub struct Loaded {
    pub found: FoundFile,
    pub text: Arc<str>,
    pub hash: u128,
    pub bytes: u64,
    /// Why the file could not be read as text: TL000 whatever the prefilter says.
    pub problem: Option<(Skip, Problem)>,
}

/// Reads one file and turns its bytes into text, whatever the bytes are.
pub fn load(
    found: FoundFile,
    read: &(dyn Fn(&FoundFile) -> std::io::Result<Vec<u8>> + Sync),
) -> Loaded {
    let problem = |skip, at: u32, message: String| {
        Some((
            skip,
            Problem {
                span: Span::new(at, at),
                message,
            },
        ))
    };
    crate::progress::read_one();
    let bytes = match read(&found) {
        Ok(b) => b,
        Err(e) => {
            return Loaded {
                found,
                text: Arc::from(""),
                hash: 0,
                bytes: 0,
                problem: problem(Skip::Unreadable, 0, format!("cannot read file: {e}")),
            };
        }
    };
    let n = bytes.len() as u64;
    let hash = cache::content_hash(&bytes);
    if memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some() {
        return Loaded {
            found,
            text: Arc::from(""),
            hash,
            bytes: n,
            problem: problem(
                Skip::Binary,
                0,
                "binary file (it contains NUL bytes)".into(),
            ),
        };
    }
    match String::from_utf8(bytes) {
        Ok(t) => Loaded {
            found,
            text: Arc::from(t),
            hash,
            bytes: n,
            problem: None,
        },
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            Loaded {
                found,
                text: Arc::from(text),
                hash,
                bytes: n,
                problem: problem(
                    Skip::NotUtf8,
                    at as u32,
                    format!("not UTF-8 text (invalid byte at offset {at})"),
                ),
            }
        }
    }
}

/// A model kept by the memo, with the text it was parsed from.
type Kept = (Arc<str>, Arc<FileModel>);

/// Models kept in memory from one check to the next (the language server): an edit
/// re-parses only the files whose text changed. Keyed by content hash, and the text is
/// compared too, so a hash collision can never lend one file another's model.
#[derive(Default)]
pub struct Memo {
    models: Mutex<HashMap<u128, Kept>>,
    /// The prefilter's last decision, which the next check updates for the files that
    /// changed instead of computing it again.
    prefilter: Mutex<Option<PrefilterState>>,
    /// Files as read from disk last time, with what identified their version then: a
    /// file whose size, times and inode are unchanged is not read again.
    disk: Mutex<HashMap<PathBuf, (Stamp, Loaded)>>,
    /// Files whose text the reader takes from elsewhere (the editor's buffers): always
    /// read through it.
    buffers: Mutex<HashSet<PathBuf>>,
    /// Index answers carried to the next check, for the files that did not change.
    carried: Mutex<Option<Carried>>,
    /// The module table, and the Python files' paths it was built from.
    modules: Mutex<Option<(u128, Arc<ModuleTable>)>>,
    /// What was worked out from the knowledge, and the knowledge (the same `Arc` from
    /// one check to the next while the configuration does not change).
    facts: Mutex<Option<(Arc<Knowledge>, Arc<KnowledgeFacts>)>>,
    /// The files' layout at the last check: while it is the same, so is the set of
    /// files `disk` keeps.
    paths: Mutex<Option<u128>>,
}

/// What the checks work out from the knowledge alone (and the module table): worked out
/// when first needed, once per knowledge in a language server.
#[derive(Default)]
struct KnowledgeFacts {
    /// `crate::prefilter::fingerprint`.
    fingerprint: OnceLock<String>,
    /// A hash of everything in the knowledge: index answers depend on all of it.
    everything: OnceLock<u128>,
    known: OnceLock<Known>,
    /// The knowledge's words, for a module table (a project's own top-level names are
    /// matched by their last segment).
    words: Mutex<Option<(Arc<ModuleTable>, Arc<Prefilter>)>>,
}

impl KnowledgeFacts {
    fn fingerprint(&self, k: &Knowledge) -> &str {
        self.fingerprint
            .get_or_init(|| crate::prefilter::fingerprint(k))
    }

    fn everything(&self, k: &Knowledge) -> u128 {
        *self
            .everything
            .get_or_init(|| xxhash_rust::xxh3::xxh3_128(format!("{k:?}").as_bytes()))
    }

    fn known(&self, k: &Knowledge) -> &Known {
        self.known.get_or_init(|| Known::new(k))
    }

    fn words(&self, project: &Project) -> Arc<Prefilter> {
        let mut kept = self.words.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((modules, words)) = kept.as_ref()
            && Arc::ptr_eq(modules, &project.modules)
        {
            return words.clone();
        }
        let words = Arc::new(Prefilter::from_knowledge(&project.knowledge, |first| {
            project.modules.is_project_root_name(first)
        }));
        *kept = Some((project.modules.clone(), words.clone()));
        words
    }
}

/// The files whose text holds a word, by word.
type Mentions = HashMap<String, Arc<[FileId]>>;

/// The index answers of a check that depend only on the files' texts, kept for the next
/// check of the same files (same paths, same order, same knowledge).
struct Carried {
    layout: u128,
    hashes: Vec<u128>,
    callees: Vec<Option<crate::index::reuse::Resolved>>,
    ancestries: HashMap<crate::index::ClassRef, crate::index::reuse::Ancestry>,
    module_names: Vec<Option<crate::index::reuse::ModuleNames>>,
    imports: Vec<Option<Arc<[FileId]>>>,
    parts: crate::index::reuse::Parts,
    mentions: HashMap<String, Arc<[FileId]>>,
}

/// The prefilter's decision after a check, and what it depends on.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct PrefilterState {
    /// The files' paths and the knowledge it holds for.
    key: u128,
    /// Each file's content hash then.
    hashes: Vec<u128>,
    relevant: Vec<bool>,
    /// The names bound to known values that made files relevant.
    names: HashSet<Requirement>,
}

impl PrefilterState {
    /// The cache key of the decision kept for files laid out as `layout`.
    fn cache_key(layout: u128) -> u128 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(b"prefilter state 1\n");
        h.update(&layout.to_le_bytes());
        h.digest128()
    }

    /// As the disk cache keeps it: names in order, so that equal states are equal bytes.
    fn encode(&self) -> Option<Vec<u8>> {
        let mut names: Vec<&Requirement> = self.names.iter().collect();
        names.sort();
        crate::cache::encode_value(&(self.key, &self.hashes, &self.relevant, names)).ok()
    }

    /// A state read back from the cache, when it is one for `n` files laid out as
    /// `layout` (the entry is checksummed, but its lengths are checked all the same).
    fn decode(bytes: &[u8], layout: u128, n: usize) -> Option<PrefilterState> {
        type Stored = (u128, Vec<u128>, Vec<bool>, Vec<Requirement>);
        let (key, hashes, relevant, names): Stored = crate::cache::decode_value(bytes)?;
        (key == layout && hashes.len() == n && relevant.len() == n).then(|| PrefilterState {
            key,
            hashes,
            relevant,
            names: names.into_iter().collect(),
        })
    }
}

impl Memo {
    fn get(&self, hash: u128, text: &Arc<str>) -> Option<Arc<FileModel>> {
        let map = self.models.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&hash)
            .filter(|(t, _)| Arc::ptr_eq(t, text) || **t == **text)
            .map(|(_, m)| m.clone())
    }

    /// The module table of these Python files: the last one when they are the same.
    fn modules(&self, python: &[(FileId, PathBuf, usize)]) -> Arc<ModuleTable> {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for (f, p, r) in python {
            h.update(&(*f as u64).to_le_bytes());
            h.update(&(*r as u64).to_le_bytes());
            h.update(p.as_os_str().as_encoded_bytes());
            h.update(&[0]);
        }
        let key = h.digest128();
        let mut kept = self.modules.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((k, table)) = kept.as_ref()
            && *k == key
        {
            return table.clone();
        }
        let table = Arc::new(ModuleTable::build(python));
        *kept = Some((key, table.clone()));
        table
    }

    /// What was worked out from this knowledge in earlier checks.
    fn facts(&self, knowledge: &Arc<Knowledge>) -> Arc<KnowledgeFacts> {
        let mut kept = self.facts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((k, facts)) = kept.as_ref()
            && Arc::ptr_eq(k, knowledge)
        {
            return facts.clone();
        }
        let facts = Arc::new(KnowledgeFacts::default());
        *kept = Some((knowledge.clone(), facts.clone()));
        facts
    }

    /// The files the reader supplies from elsewhere than the disk, for the next check.
    pub fn set_buffers(&self, paths: impl IntoIterator<Item = PathBuf>) {
        *self.buffers.lock().unwrap_or_else(|e| e.into_inner()) = paths.into_iter().collect();
    }

    /// [`load`], or the file as read last time when its stamp is unchanged.
    fn load(
        &self,
        found: FoundFile,
        read: &(dyn Fn(&FoundFile) -> std::io::Result<Vec<u8>> + Sync),
    ) -> Loaded {
        let buffer = self
            .buffers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&found.path);
        if buffer {
            return load(found, read);
        }
        // Taken before reading: a write during the read changes it for the next check.
        let Some(stamp) = Stamp::of(&found.path) else {
            return load(found, read);
        };
        let kept = self
            .disk
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&found.path)
            .filter(|(s, _)| *s == stamp)
            .map(|(_, l)| l.clone());
        if let Some(l) = kept {
            crate::progress::read_one();
            return Loaded { found, ..l };
        }
        let l = load(found, read);
        self.disk
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(l.found.path.clone(), (stamp, l.clone()));
        l
    }

    /// The previous check's index answers still true for files with these hashes.
    fn carried_over(
        &self,
        layout: u128,
        hashes: &[u128],
        texts: &[SourceFile],
    ) -> Option<(crate::index::reuse::Previous, Mentions)> {
        let carried = self
            .carried
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()?;
        if carried.layout != layout || carried.hashes.len() != hashes.len() {
            return None;
        }
        let changed: Vec<bool> = carried
            .hashes
            .iter()
            .zip(hashes)
            .map(|(a, b)| a != b)
            .collect();
        let changed_files: Vec<FileId> = (0..hashes.len()).filter(|f| changed[*f]).collect();
        let mentions = carried
            .mentions
            .into_iter()
            .map(|(word, files)| {
                if changed_files.is_empty() {
                    return (word, files);
                }
                let finder = memchr::memmem::Finder::new(word.as_bytes());
                let mut now: Vec<FileId> = files.iter().copied().filter(|f| !changed[*f]).collect();
                now.extend(
                    changed_files
                        .iter()
                        .copied()
                        .filter(|f| finder.find(texts[*f].text.as_bytes()).is_some()),
                );
                now.sort_unstable();
                (word, Arc::from(now))
            })
            .collect();
        Some((
            crate::index::reuse::Previous {
                callees: carried.callees,
                ancestries: carried.ancestries,
                module_names: carried.module_names,
                imports: carried.imports,
                parts: carried.parts,
                changed,
            },
            mentions,
        ))
    }

    /// Keeps the models of this check's files, and forgets those of files that are
    /// gone or changed (memory stays bounded by the project's size).
    fn keep(&self, parsed: &Parsed) {
        let mut map = self.models.lock().unwrap_or_else(|e| e.into_inner());
        let current: HashSet<u128> = parsed.hashes.iter().copied().collect();
        map.retain(|h, _| current.contains(h));
        for (f, m) in parsed.project.models.loaded_shared() {
            if parsed.problems[f].is_some() || map.contains_key(&parsed.hashes[f]) {
                continue;
            }
            let text = parsed.project.files[f].text.clone();
            map.insert(parsed.hashes[f], (text, m.clone()));
        }
        *self.prefilter.lock().unwrap_or_else(|e| e.into_inner()) = parsed.state.clone();
        let mut last = self.paths.lock().unwrap_or_else(|e| e.into_inner());
        if *last != Some(parsed.paths) {
            let paths: HashSet<&PathBuf> = parsed.project.files.iter().map(|f| &f.path).collect();
            self.disk
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|p, _| paths.contains(p));
            *last = Some(parsed.paths);
        }
        *self.carried.lock().unwrap_or_else(|e| e.into_inner()) =
            parsed.layout.map(|layout| Carried {
                layout,
                hashes: parsed.hashes.clone(),
                callees: parsed.project.resolved_callees(),
                ancestries: parsed.project.ancestries(),
                module_names: parsed.project.module_names(),
                imports: parsed.project.imports(),
                parts: parsed.project.parts(),
                mentions: parsed.project.mentions(),
            });
    }

    /// How many models are kept.
    pub fn len(&self) -> usize {
        self.models.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Builds models from the memo or the cache when they have them, by parsing otherwise.
struct CachedParser {
    cache: Option<Cache>,
    memo: Option<Arc<Memo>>,
    from_cache: AtomicUsize,
    parsed: AtomicUsize,
    parsed_bytes: AtomicU64,
}

impl Loader for Arc<CachedParser> {
    fn load(&self, p: &Pending) -> FileModel {
        Arc::unwrap_or_clone(self.load_shared(p))
    }

    fn load_shared(&self, p: &Pending) -> Arc<FileModel> {
        if let Some(m) = self.memo.as_ref().and_then(|c| c.get(p.hash, &p.text)) {
            crate::progress::parsed_one();
            self.from_cache.fetch_add(1, Ordering::Relaxed);
            return m;
        }
        Arc::new(self.load_unshared(p))
    }
}

impl CachedParser {
    fn load_unshared(&self, p: &Pending) -> FileModel {
        crate::progress::parsed_one();
        if let Some(m) = self.cache.as_ref().and_then(|c| c.get(p.hash, &p.text)) {
            self.from_cache.fetch_add(1, Ordering::Relaxed);
            return m;
        }
        self.parsed.fetch_add(1, Ordering::Relaxed);
        self.parsed_bytes
            .fetch_add(p.text.len() as u64, Ordering::Relaxed);
        crate::lang::parse_text(p.language, &p.text)
    }
}

/// What the parse phase hands on.
pub struct Parsed {
    pub project: Project,
    /// The prefilter's decision and its key, for the cache.
    closure: (u128, Vec<u8>),
    /// Files whose syntax errors are reported (TL000): the files the prefilter keeps and
    /// the project modules they import, transitively. The same set with the prefilter
    /// on or off.
    pub needed: Vec<bool>,
    /// Read problems, by file.
    pub problems: Vec<Option<(Skip, Problem)>>,
    cache: Arc<CachedParser>,
    hashes: Vec<u128>,
    /// Models built on demand before the index phase (by the prefilter's closure).
    on_demand_before: usize,
    /// The prefilter's decision, for the memo and the next run (through the cache).
    state: Option<PrefilterState>,
    /// The files' layout key, when the index answers can be carried to the next check.
    layout: Option<u128>,
    /// The files' paths and the knowledge's fingerprint (`layout_key`).
    paths: u128,
    /// Where this run's findings are kept for the next one, their key, and the files'
    /// stamps taken before they were read.
    findings: Option<(u128, Cache, findings_cache::Stamps)>,
    /// The last run's findings, reused: nothing they were worked out from changed, and
    /// nothing was parsed or indexed (`crate::findings_cache`).
    pub reused: Option<findings_cache::Kept>,
}

/// Reads every file, then parses what can matter: the whole read-and-parse half of a
/// check, up to a finished [`Project`].
pub fn read_and_parse(
    discovered: Discovered,
    settings: Settings,
    knowledge: impl Into<Arc<Knowledge>>,
    read: &(dyn Fn(&FoundFile) -> std::io::Result<Vec<u8>> + Sync),
    timings: &mut Timings,
) -> Parsed {
    read_and_parse_memo(discovered, settings, knowledge, read, timings, None)
}

/// [`read_and_parse`], with models kept in memory from the previous check (`memo`).
pub fn read_and_parse_memo(
    discovered: Discovered,
    settings: Settings,
    knowledge: impl Into<Arc<Knowledge>>,
    read: &(dyn Fn(&FoundFile) -> std::io::Result<Vec<u8>> + Sync),
    timings: &mut Timings,
    memo: Option<Arc<Memo>>,
) -> Parsed {
    let knowledge: Arc<Knowledge> = knowledge.into();
    let facts = match &memo {
        Some(m) => m.facts(&knowledge),
        None => Arc::new(KnowledgeFacts::default()),
    };
    let mut clock = Instant::now();
    let roots: Vec<PathBuf> = discovered.roots.iter().map(|r| r.display.clone()).collect();
    timings.files_found = discovered.files.len();
    let cache_dir = (settings.cache && !roots.is_empty()).then(|| {
        settings
            .cache_dir
            .clone()
            .or_else(|| std::env::var_os("TASKLINT_CACHE_DIR").map(PathBuf::from))
            .unwrap_or_else(|| roots[0].join(".tasklint_cache"))
    });
    // The last run's findings, when nothing they were worked out from changed: then
    // only the files they point into are read, nothing is parsed, and the model cache is
    // not even opened. The files are stamped before anything is read.
    let findings = match &cache_dir {
        Some(dir) if settings.reuse_findings && memo.is_none() => {
            let stamps = findings_cache::Stamps::take(&discovered.files);
            let key =
                findings_cache::key(&discovered.files, &settings, facts.everything(&knowledge));
            let cap = (64 << 20) + 16 * stamps.bytes();
            Some((key, findings_cache::open(dir, &roots, cap), stamps))
        }
        _ => None,
    };
    let kept = findings.as_ref().and_then(|(key, store, stamps)| {
        findings_cache::lookup(store, *key, &discovered.files, stamps, read)
    });
    let (loaded, reused): (Vec<Loaded>, _) = match kept {
        Some((kept, loaded)) => (loaded, Some(kept)),
        None => (
            discovered
                .files
                .into_par_iter()
                .map(|f| match &memo {
                    Some(m) => m.load(f, read),
                    None => load(f, read),
                })
                .collect(),
            None,
        ),
    };
    timings.files_read = loaded
        .iter()
        .filter(|l| l.problem.is_none() || l.bytes > 0)
        .count();
    timings.bytes_read = loaded.iter().map(|l| l.bytes).sum();
    clock = timings.record("read", clock);

    let n = loaded.len();
    // The cache never needs to be much larger than the models of the files read;
    // anything bigger is not a cache this run wrote (a planted file, `/dev/zero`).
    let cap = (64 << 20) + 16 * timings.bytes_read;
    let python: Vec<(FileId, PathBuf, usize)> = match reused {
        // The report needs the files, not the modules.
        Some(_) => Vec::new(),
        None => loaded
            .iter()
            .enumerate()
            .filter(|(_, l)| l.found.language == Language::Python)
            .map(|(i, l)| (i, l.found.relative.clone(), l.found.root))
            .collect(),
    };
    let modules = match &memo {
        Some(m) => m.modules(&python),
        None => Arc::new(ModuleTable::build(&python)),
    };
    let cache = match &cache_dir {
        Some(dir) if reused.is_none() => {
            let c = Cache::for_roots(dir, &roots, cap);
            timings.cache = format!("{} ({})", dir.display(), c.status);
            Some(c)
        }
        Some(dir) => {
            timings.cache = format!("{} (findings reused: nothing changed)", dir.display());
            None
        }
        None => {
            timings.cache = "off".into();
            None
        }
    };
    let parser = Arc::new(CachedParser {
        cache,
        memo,
        from_cache: AtomicUsize::new(0),
        parsed: AtomicUsize::new(0),
        parsed_bytes: AtomicU64::new(0),
    });

    let mut files = Vec::with_capacity(n);
    let mut pending = Vec::with_capacity(n);
    let mut report = Vec::with_capacity(n);
    let mut relative = Vec::with_capacity(n);
    let mut problems = Vec::with_capacity(n);
    let mut hashes = Vec::with_capacity(n);
    let mut languages = Vec::with_capacity(n);
    for l in loaded {
        languages.push(l.found.language);
        pending.push(l.problem.is_none().then(|| Pending {
            language: l.found.language,
            text: l.text.clone(),
            hash: l.hash,
        }));
        hashes.push(l.hash);
        files.push(SourceFile::shared(l.found.display, l.found.path, l.text));
        report.push(l.found.report);
        relative.push(l.found.relative);
        problems.push(l.problem);
    }
    let models = Models::new(pending, Box::new(parser.clone()));
    for (i, p) in problems.iter().enumerate() {
        if let Some((_, problem)) = p {
            let mut m = FileModel::new(languages[i]);
            m.problems.push(problem.clone());
            models.preset(i, m);
        }
    }
    let full = !settings.prefilter;
    let mut project = Project::new(
        files, models, report, relative, modules, knowledge, settings,
    );
    if reused.is_some() {
        timings.record("findings", clock);
        return Parsed {
            project,
            closure: (0, Vec::new()),
            needed: vec![false; n],
            problems,
            cache: parser,
            hashes,
            on_demand_before: 0,
            state: None,
            layout: None,
            paths: 0,
            findings: None,
            reused,
        };
    }
    // What the last check of the same files worked out still holds for those that did
    // not change. Resolution reads the knowledge (all of it, not only what the
    // prefilter looks at).
    let layout = layout_key(&project, &facts);
    let carried_layout = (!full && parser.memo.is_some()).then(|| {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(&layout.to_le_bytes());
        h.update(&facts.everything(&project.knowledge).to_le_bytes());
        h.digest128()
    });
    if carried_layout.is_some() {
        project.carry_answers();
    }
    if let (Some(m), Some(layout)) = (&parser.memo, carried_layout)
        && let Some((previous, mentions)) = m.carried_over(layout, &hashes, &project.files)
    {
        project.set_previous(previous);
        project.set_mentions(mentions);
    }
    if full {
        // Every file, up front: the reference the prefilter is tested against.
        (0..n)
            .into_par_iter()
            .for_each(|f| parse_ahead(&project, f));
    }
    clock = timings.record("parse", clock);

    // The prefilter's decision is a function of every file's path and content, the
    // knowledge and the binary: an unchanged tree reuses the last one.
    // Only a disk cache keeps it (the language server has none).
    let closure_key = match &parser.cache {
        Some(_) => closure_key(&project, &facts, &hashes, &problems),
        None => 0,
    };
    // The language server's previous decision, for the same files and knowledge: `layout`.
    let previous = parser
        .memo
        .as_ref()
        .and_then(|m| {
            m.prefilter
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
        })
        .filter(|p| !full && p.key == layout && p.hashes.len() == n);
    let cached = match &previous {
        Some(_) => None,
        None => parser
            .cache
            .as_ref()
            .and_then(|c| c.get_raw(closure_key))
            .and_then(|b| decode_bits(b, n)),
    };
    // Some files changed since the last run: its decision, kept in the cache, is updated
    // for them, as the language server's is (below).
    let previous = match (previous, &cached, &parser.cache) {
        (None, None, Some(c)) if !full => c
            .get_raw(PrefilterState::cache_key(layout))
            .and_then(|b| PrefilterState::decode(b, layout, n)),
        (previous, _, _) => previous,
    };
    // A changed file with `import *` may re-export what other, unchanged modules bind:
    // the words their names were kept with (`prefilter::interesting_names`) are stale.
    let previous = previous.filter(|p| {
        !(0..n).any(|f| {
            p.hashes[f] != hashes[f]
                && crate::prefilter::has_star_import(project.files[f].text.as_bytes())
        })
    });
    let mut names = None;
    let (relevant, needed) = match (previous, cached) {
        (Some(prev), _) => {
            // Only the files whose text changed are scanned again: relevant when they
            // mention the knowledge's words or a name seen bound to a known value;
            // then the modules needed are followed from the relevant files, and the
            // names the changed files bind may make more files relevant (below). A
            // name no file binds any more leaves the files it made relevant so: more
            // relevant files than a fresh check never change a finding (the prefilter
            // off makes every file relevant).
            let changed: Vec<FileId> = (0..n).filter(|f| prev.hashes[*f] != hashes[*f]).collect();
            timings.files_scanned = changed.len();
            let mut relevant = prev.relevant;
            if !changed.is_empty() {
                let words = facts.words(&project);
                let seen = Prefilter::from_requirements(prev.names.iter());
                for &f in &changed {
                    relevant[f] = match project.models.pending(f) {
                        None => false,
                        Some(p) => {
                            p.language != Language::Python
                                || words.matches(p.text.as_bytes())
                                || seen.matches(p.text.as_bytes())
                        }
                    };
                }
            }
            let needed = needed_from(&project, &relevant);
            clock = timings.record("parse", clock);
            let frontier = changed.into_iter().filter(|f| relevant[*f]).collect();
            let (r, nd, seen) = closure(
                &project,
                &facts,
                (relevant, needed, prev.names),
                frontier,
                timings,
                &mut clock,
            );
            names = Some(seen);
            (r, nd)
        }
        (None, Some((relevant, needed))) => {
            (0..n)
                .into_par_iter()
                .filter(|f| needed[*f])
                .for_each(|f| parse_ahead(&project, f));
            clock = timings.record("parse", clock);
            (relevant, needed)
        }
        (None, None) => {
            let relevant = scan(&project, &facts);
            timings.files_scanned = n;
            clock = timings.record("prefilter", clock);
            let frontier = (0..n).filter(|f| relevant[*f]).collect();
            let (r, nd, seen) = closure(
                &project,
                &facts,
                (relevant, vec![false; n], HashSet::new()),
                frontier,
                timings,
                &mut clock,
            );
            names = Some(seen);
            (r, nd)
        }
    };
    // Kept only where something keeps it: the memo, or the disk cache.
    let keeps = parser.memo.is_some() || parser.cache.is_some();
    let state = match names {
        Some(names) if !full && keeps => Some(PrefilterState {
            key: layout,
            hashes: hashes.clone(),
            relevant: relevant.clone(),
            names,
        }),
        _ => None,
    };
    let roots_relevant = relevant.clone();
    let roots = if full {
        problems.iter().map(|p| p.is_none()).collect()
    } else {
        relevant
    };
    timings.files_skipped_by_prefilter = (0..n)
        .filter(|f| problems[*f].is_none() && !project.models.is_loaded(*f))
        .count();
    let before = project.models.parsed_on_demand();
    project.finish(roots);
    timings.record("index", clock);
    let parsed = Parsed {
        closure: (closure_key, encode_bits(&roots_relevant, &needed)),
        project,
        needed,
        problems,
        cache: parser,
        hashes,
        on_demand_before: before,
        state,
        layout: carried_layout,
        paths: layout,
        findings,
        reused: None,
    };
    parsed.count(timings);
    parsed
}

fn closure_key(
    project: &Project,
    facts: &KnowledgeFacts,
    hashes: &[u128],
    problems: &[Option<(Skip, Problem)>],
) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(b"prefilter closure 1\n");
    h.update(facts.fingerprint(&project.knowledge).as_bytes());
    for f in 0..hashes.len() {
        h.update(project.relative[f].to_string_lossy().as_bytes());
        h.update(&[0, u8::from(problems[f].is_some())]);
        h.update(&hashes[f].to_le_bytes());
    }
    h.digest128()
}

/// What a kept prefilter decision depends on besides the files' contents: their paths
/// (module names) and the knowledge.
fn layout_key(project: &Project, facts: &KnowledgeFacts) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(b"prefilter layout 1\n");
    h.update(facts.fingerprint(&project.knowledge).as_bytes());
    for r in &project.relative {
        h.update(r.to_string_lossy().as_bytes());
        h.update(&[0]);
    }
    h.digest128()
}

fn encode_bits(relevant: &[bool], needed: &[bool]) -> Vec<u8> {
    relevant
        .iter()
        .zip(needed)
        .map(|(r, n)| u8::from(*r) | (u8::from(*n) << 1))
        .collect()
}

fn decode_bits(bytes: &[u8], n: usize) -> Option<(Vec<bool>, Vec<bool>)> {
    (bytes.len() == n).then(|| {
        (
            bytes.iter().map(|b| b & 1 != 0).collect(),
            bytes.iter().map(|b| b & 2 != 0).collect(),
        )
    })
}

/// The files that mention the knowledge base's words (every readable non-Python file:
/// no prefilter for them yet).
fn scan(project: &Project, facts: &KnowledgeFacts) -> Vec<bool> {
    let prefilter = facts.words(project);
    let by_words = |f: FileId| match project.models.pending(f) {
        None => false,
        Some(p) => p.language != Language::Python || prefilter.matches(p.text.as_bytes()),
    };
    let relevant: Vec<bool> = (0..project.files.len())
        .into_par_iter()
        .map(by_words)
        .collect();
    if std::env::var_os("TASKLINT_DEBUG_PREFILTER").is_some() {
        let mut tally: std::collections::BTreeMap<String, (usize, u64)> = Default::default();
        for f in &project.files {
            if let Some(w) = prefilter.why(f.text.as_bytes()) {
                let e = tally.entry(w.join("+")).or_default();
                e.0 += 1;
                e.1 += f.text.len() as u64;
            }
        }
        let mut v: Vec<_> = tally.into_iter().collect();
        v.sort_by_key(|(_, (_, b))| std::cmp::Reverse(*b));
        for (w, (n, b)) in v.iter().take(25) {
            eprintln!("prefilter: {w}: {n} files, {b} bytes");
        }
    }
    relevant
}

fn parse_ahead(project: &Project, file: FileId) {
    if project.models.is_loaded(file) {
        return;
    }
    if let Some(p) = project.models.pending(file) {
        let m = project.models.loader().load_shared(p);
        project.models.preset_shared(file, m);
    }
}

/// The relevant files and the project modules they import, transitively (parsed).
fn needed_from(project: &Project, relevant: &[bool]) -> Vec<bool> {
    let mut needed = relevant.to_vec();
    let todo: Vec<FileId> = (0..relevant.len()).filter(|f| relevant[*f]).collect();
    parse_with_imports(project, &mut needed, todo);
    needed
}

/// Parses the files of `todo` (already marked in `needed`) and every project module they
/// import, transitively, marking each one in `needed`.
fn parse_with_imports(project: &Project, needed: &mut [bool], todo: Vec<FileId>) {
    crate::index::file_walk::visit_reachable(needed, &todo, |f| {
        parse_ahead(project, f);
        project.imported_files(f).to_vec()
    });
}

/// The prefilter's closure: parse the relevant files and the modules they import
/// (transitively); the names they bind to known values make more files relevant;
/// repeat until nothing changes. Starts from `(relevant, needed, names seen)` with the
/// files of `frontier` to look at; returns the three, grown.
fn closure(
    project: &Project,
    facts: &KnowledgeFacts,
    start: (Vec<bool>, Vec<bool>, HashSet<Requirement>),
    mut frontier: Vec<FileId>,
    timings: &mut Timings,
    clock: &mut Instant,
) -> (Vec<bool>, Vec<bool>, HashSet<Requirement>) {
    let (mut relevant, mut needed, mut names_seen) = start;
    let n = relevant.len();
    let known = facts.known(&project.knowledge);
    let stars = StarImporters::scan(project);
    loop {
        // Parse the new relevant files and every project module they import.
        let todo: Vec<FileId> = frontier.iter().copied().filter(|f| !needed[*f]).collect();
        for f in &todo {
            needed[*f] = true;
        }
        parse_with_imports(project, &mut needed, todo);
        *clock = timings.record("parse", *clock);
        // Names the new relevant files bind to known values.
        let t_names = Instant::now();
        let names: BTreeSet<Requirement> = frontier
            .par_iter()
            .map(|&f| interesting_names(project, known, &stars, f))
            .flatten_iter()
            .collect();
        let new: Vec<&Requirement> = names.iter().filter(|n| !names_seen.contains(*n)).collect();
        if new.is_empty() {
            *clock = timings.record("prefilter", *clock);
            break;
        }
        if std::env::var_os("TASKLINT_DEBUG_PREFILTER").is_some() {
            eprintln!("prefilter: names took {:?}", t_names.elapsed());
            eprintln!(
                "prefilter: {} relevant, {} needed; new names: {}",
                relevant.iter().filter(|r| **r).count(),
                needed.iter().filter(|r| **r).count(),
                new.iter()
                    .map(|r| r.join("+"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        let t_scan = Instant::now();
        let pf = Prefilter::from_requirements(new.iter().copied());
        names_seen.extend(new.iter().map(|r| (*r).clone()));
        frontier = (0..n)
            .into_par_iter()
            // Files parsed already (imported by relevant ones) count too: a package's
            // `__init__.py` that re-exports a task must pass its name on.
            .filter(|&f| {
                !relevant[f]
                    && (project.models.pending(f).is_some() || project.models.is_loaded(f))
                    && pf.matches(project.files[f].text.as_bytes())
            })
            .collect();
        for f in &frontier {
            relevant[*f] = true;
        }
        if std::env::var_os("TASKLINT_DEBUG_PREFILTER").is_some() {
            eprintln!("prefilter: rescan took {:?}", t_scan.elapsed());
        }
        if std::env::var_os("TASKLINT_DEBUG_PREFILTER").is_some() {
            let mut tally: std::collections::BTreeMap<String, usize> = Default::default();
            for f in &frontier {
                if let Some(w) = pf.why(project.files[*f].text.as_bytes()) {
                    *tally.entry(w.join("+")).or_default() += 1;
                }
            }
            let mut v: Vec<_> = tally.into_iter().collect();
            v.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
            for (w, n) in v.iter().take(15) {
                eprintln!("prefilter:   {w}: {n} files");
            }
        }
        *clock = timings.record("prefilter", *clock);
        if frontier.is_empty() {
            break;
        }
    }
    (relevant, needed, names_seen)
}

impl Parsed {
    /// Hands this check's models to the memo, for the next check.
    pub fn remember(&self) {
        if let Some(m) = &self.cache.memo {
            m.keep(self);
        }
    }

    /// Updates the parse counts of `--timings`; the rules may parse modules on demand
    /// too, so this runs again after them.
    pub fn count(&self, timings: &mut Timings) {
        let parser = &self.cache;
        timings.files_on_demand = self.project.models.parsed_on_demand() - self.on_demand_before;
        timings.files_parsed = parser.parsed.load(Ordering::Relaxed);
        timings.bytes_parsed = parser.parsed_bytes.load(Ordering::Relaxed);
        timings.files_from_cache = parser.from_cache.load(Ordering::Relaxed);
    }

    /// Keeps this run's findings for the next run (when it reuses findings). Returns a
    /// line for `--timings`.
    pub fn keep_findings(&self, diagnostics: &[Diagnostic], skipped: &Skipped) -> Option<String> {
        let (key, store, stamps) = self.findings.as_ref().filter(|(_, s, _)| s.is_usable())?;
        let files: Vec<(u128, u64)> = self
            .hashes
            .iter()
            .zip(&self.problems)
            .map(|(h, p)| (*h, findings_cache::problem_hash(p)))
            .collect();
        let entry = findings_cache::encode(
            diagnostics,
            skipped,
            &self.project.side_files.reads(),
            stamps,
            &files,
        )?;
        Some(findings_cache::keep(store, *key, entry))
    }

    /// Writes the cache: the models parsed this run, and the entries of files that are
    /// still there. Returns a line for `--timings`.
    pub fn write_cache(&self) -> Option<String> {
        let cache = self.cache.cache.as_ref().filter(|c| c.is_usable())?;
        let current: HashSet<u128> = self.hashes.iter().copied().collect();
        let fresh: Vec<(u128, &FileModel)> = self
            .project
            .models
            .loaded()
            .filter(|(f, _)| self.problems[*f].is_none() && !cache.contains(self.hashes[*f]))
            .map(|(f, m)| (self.hashes[f], m))
            .collect();
        let (key, bits) = &self.closure;
        // The prefilter's decision with what it was worked out from, so that the next
        // run after an edit updates it instead of scanning every file again. A run that
        // reused the decision whole has none of its own: the kept one still holds.
        let state_key = PrefilterState::cache_key(self.paths);
        let state = match &self.state {
            Some(s) => s.encode(),
            None => cache.get_raw(state_key).map(<[u8]>::to_vec),
        };
        if fresh.is_empty()
            && cache.get_raw(*key) == Some(bits.as_slice())
            && cache.get_raw(state_key) == state.as_deref()
        {
            return Some("up to date".into());
        }
        let mut extra = vec![(*key, bits.clone())];
        extra.extend(state.map(|s| (state_key, s)));
        Some(
            match cache.write_with(&fresh, &extra, |h| current.contains(&h)) {
                Ok(written) => written.to_string(),
                Err(e) => format!("not written ({e})"),
            },
        )
    }
}

//! The byte-level prefilter: which files can matter, decided from their raw bytes before
//! any parsing, so that a large project parses only a fraction of its files up front.
//!
//! # Why it changes no finding
//! Everything tasklint reports starts from a *known* name: a path of the knowledge base
//! (`celery.shared_task`, `requests.post`, `django.urls.path`, a view base class...), an
//! enqueue method (`.delay`), `async def`, or a project name bound to one of those (a
//! task, an alias `bg = shared_task`, `app = Celery()`, a project base view class).
//! Resolution only reaches such a value through names written in the file:
//! - a knowledge path `a.b.c` is reached through an import naming each of `a`, `b`, `c`
//!   (`import a.b.c`, `from a.b import c`, `from a import b` then `b.c`), so a file
//!   that can resolve anything to it contains all three words (builtins such as `open`
//!   need no import: the word is the name itself);
//! - a project value is reached through the name it is bound to, in some file that is
//!   itself relevant: [`interesting_names`] collects those names from the relevant files'
//!   module and class bindings, and the files that mention them become relevant too,
//!   until nothing changes (the closure in `pipeline.rs`). A module-level name is
//!   reached only by importing it, so such a file also names the module, or one that
//!   re-exports it with `import *` (a package's `__init__.py` needs no word).
//!
//! A file that contains none of these words cannot resolve anything to a known value, so
//! it defines no task, handler or view class and no rule can fire in it; when resolution
//! or a handler's call chain needs it anyway, its model is built on demand
//! ([`crate::index::Models`]). `tests/prefilter.rs` checks, on every fixture project,
//! that findings are byte-identical with the prefilter on and off.
//!
//! The words come from the knowledge data itself (every dotted path anywhere in
//! [`Knowledge`], read through its `Debug` form so that new tables and user configuration
//! count without a change here), plus the method-name tables of [`method_names`].

use std::collections::{BTreeSet, HashMap, HashSet};

use std::hash::{BuildHasherDefault, Hasher};

use crate::index::handlers::{own_parameter, returns_function};
use crate::index::{FuncRef, Project, Value};
use crate::knowledge::{Knowledge, PathPattern};
use crate::model::{ExprKind, ScopeId, ScopeKind};
use crate::source::FileId;

/// Python keywords whose presence makes a file a root: `async def` functions are where
/// TL302 starts (and TL107 looks).
const SYNTAX_WORDS: &[&str] = &["async"];

/// Words a file must contain to matter.
pub struct Prefilter {
    /// The words, by id.
    words: Vec<Word>,
    texts: Vec<String>,
    /// Word → id.
    lookup: HashMap<Vec<u8>, usize, BuildHasherDefault<FxHasher>>,
    /// Lengths of the shortest and longest word: most identifiers are skipped unhashed.
    lengths: (usize, usize),
    /// One bit per (first byte, last byte, length) class of the words ([`sketch`]): an
    /// identifier whose bit is clear is no word, without hashing it.
    sketch: Box<[u64; SKETCH_WORDS]>,
    /// A file matters when it contains every word of at least one requirement.
    requirements: Vec<Vec<usize>>,
    /// Some word counts only in the bases of a class statement.
    has_base_words: bool,
}

struct Word {
    /// Only counts as an attribute (`x.delay`, `x\n    .delay`): method names.
    method: bool,
    /// Only counts in the bases of a class statement (`class A(Base)`): a project name
    /// that matters only as a class to derive from.
    base: bool,
}

/// The word a requirement carries for "only where a class derives from these names":
/// its other words are then base words.
pub const DERIVED_FROM: &str = "class";

/// Marks the word of a module in a requirement (`=tasks`): it counts wherever it is
/// written, as an import's is, even where the requirement's other words count only in
/// a class statement's bases.
pub const IMPORTED_FROM: &str = "=";

/// The dotted paths of the knowledge base, for deciding which values are interesting.
pub struct KnownPaths {
    /// Every path and every dotted prefix of one (`celery`, `celery.Celery`).
    prefixes: HashSet<String>,
    /// The paths themselves: every name below one counts (`django.views.generic`).
    paths: HashSet<String>,
}

/// The method names that matter whatever they are called on: an enqueue method on a
/// plain project function is TL102's finding, and the function is not a known value.
/// (Methods of tasks — inline runs, signatures — need the task's name, which is a word
/// already.) A new rule that fires on a method of an unknown receiver adds its table here.
pub fn method_names(k: &Knowledge) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for f in &k.frameworks {
        out.extend(f.enqueue_methods.iter().cloned());
    }
    out.retain(|m| is_identifier(m));
    out
}

/// The knowledge that decides where findings can start: everything, except the tables
/// that only refine a finding that needs a task, a handler or `async def` anyway. A new
/// table counts automatically; clear it here only with the reason.
fn entry_knowledge(k: &Knowledge) -> Knowledge {
    let mut k = k.clone();
    // Slow calls matter in handlers and async functions (TL301, TL302), which are found
    // from their own files, and the calls they reach are followed through the call graph
    // whatever file they are in.
    k.slow_calls.clear();
    // Offloading changes which function a lambda's calls belong to; the calls still need
    // a known value of their own to be reported.
    k.offload.calls.clear();
    k.offload.methods.clear();
    // A function another call runs is followed from that call's caller, which is found
    // on its own.
    k.offload.runs_argument.clear();
    // Decorators stacked on tasks (TL202, TL104...): the task decorator is there too.
    k.non_task_decorators.calls.clear();
    k.forwarding_decorators.calls.clear();
    k.forwarding_decorators.context_manager_factories.clear();
    // Methods of handler classes and tasks: the class or the task is found first.
    for cv in &mut k.class_views {
        cv.methods.clear();
        cv.method_decorators.clear();
        cv.field_methods = None;
    }
    k.task_arguments.clear();
    // Test code is only ever left out of findings; properties and cached results only
    // refine what a handler or an async function reaches.
    k.test_code = Default::default();
    k.values = Default::default();
    // Entry points only take findings away from async code, found by `async` anyway.
    k.entry_points = Default::default();
    // What the local data flow knows of models, querysets, requests and files, and how
    // task results, transactions, retries and serializers behave: each refines a finding
    // that needs an enqueue, a task or `async def` first (TL303, TL401, TL402, TL205).
    // What names tasks by string (send_task, beat entries) and what enqueues a plain
    // function (RQ, django-q) stay: TL105 and TL104 start there.
    k.django = Default::default();
    k.task_calls.task_method.clear();
    k.task_calls.signature = Default::default();
    k.task_calls.serializer.clear();
    k.task_calls.results = Default::default();
    k.task_calls.transactions = Default::default();
    k.task_calls.retry = Default::default();
    // Display names and links ("django.tasks" is a framework's name, not an import).
    for f in &mut k.frameworks {
        f.name.clear();
        f.docs.clear();
    }
    k
}

/// Every dotted path of the knowledge that decides where findings start (patterns,
/// removed modules, user additions), without its `()` steps: the part an import has to
/// name. Read from the `Debug` form of [`Knowledge`], so a new table or a configured
/// extension counts without a change here.
pub fn knowledge_paths(k: &Knowledge) -> BTreeSet<String> {
    let debug = format!("{:?}", entry_knowledge(k));
    let mut out = BTreeSet::new();
    for s in debug_strings(&debug) {
        if !s.contains('.') {
            continue;
        }
        if let Ok(p) = PathPattern::parse(&s) {
            out.insert(p.root);
        }
    }
    out
}

/// Everything of the knowledge the prefilter decides with, in a stable order (a cache
/// key: `Knowledge` holds hash maps, whose `Debug` order changes from run to run).
pub fn fingerprint(k: &Knowledge) -> String {
    let mut patterns: Vec<String> = debug_strings(&format!("{:?}", entry_knowledge(k)))
        .into_iter()
        .filter(|s| PathPattern::parse(s).is_ok())
        .collect();
    patterns.sort();
    patterns.dedup();
    let bases: BTreeSet<&str> = k
        .class_views
        .iter()
        .flat_map(|c| &c.bases)
        .map(|p| p.text.as_str())
        .collect();
    let tasks: BTreeSet<&str> = k
        .frameworks
        .iter()
        .flat_map(|f| &f.decorators)
        .map(|p| p.text.as_str())
        .collect();
    format!(
        "{patterns:?}\n{:?}\n{bases:?}\n{tasks:?}\n{SYNTAX_WORDS:?}",
        method_names(k)
    )
}

/// The contents of the string literals of a `Debug` rendering.
fn debug_strings(debug: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = debug.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut s = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => {
                    if let Some(n) = chars.next() {
                        s.push(n);
                    }
                }
                c => s.push(c),
            }
        }
        out.push(s);
    }
    out
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

impl KnownPaths {
    /// The roots of some patterns (`celery.Celery` for `celery.Celery().task`).
    pub fn of_patterns<'a>(patterns: impl IntoIterator<Item = &'a PathPattern>) -> KnownPaths {
        KnownPaths::new(&patterns.into_iter().map(|p| p.root.clone()).collect())
    }

    pub fn new(paths: &BTreeSet<String>) -> KnownPaths {
        let mut prefixes = HashSet::new();
        for p in paths {
            let mut prefix = String::new();
            for seg in p.split('.') {
                if !prefix.is_empty() {
                    prefix.push('.');
                }
                prefix.push_str(seg);
                prefixes.insert(prefix.clone());
            }
        }
        KnownPaths {
            prefixes,
            paths: paths.iter().cloned().collect(),
        }
    }

    /// `path` is a known path, a prefix of one, or below one.
    pub fn related(&self, path: &str) -> bool {
        // Below a path: the part before one of its dots is a path (a hash lookup per dot;
        // this is asked for every class ancestry and function the closure meets).
        self.prefixes.contains(path)
            || path
                .match_indices('.')
                .any(|(i, _)| self.paths.contains(&path[..i]))
    }
}

impl Prefilter {
    /// The words of the knowledge base. `project_name(first)`: the first segment of a
    /// path is a top-level name of the project, which relative imports can reach without
    /// writing it (only the last name is then required).
    pub fn from_knowledge(k: &Knowledge, project_name: impl Fn(&str) -> bool) -> Prefilter {
        let mut b = Builder::default();
        for path in knowledge_paths(k) {
            let segments: Vec<&str> = path.split('.').collect();
            let words: Vec<&str> = if segments[0] == "builtins" {
                segments[1..].to_vec()
            } else if project_name(segments[0]) {
                segments[segments.len() - 1..].to_vec()
            } else {
                segments
            };
            b.require(&words, false);
        }
        for m in method_names(k) {
            b.require(&[&m], true);
        }
        for w in SYNTAX_WORDS {
            b.require(&[w], false);
        }
        b.build()
    }

    /// Files that contain every word of one of these requirements.
    pub fn from_requirements<'a>(reqs: impl IntoIterator<Item = &'a Requirement>) -> Prefilter {
        let mut b = Builder::default();
        for r in reqs {
            let derived = r.iter().any(|w| w == DERIVED_FROM);
            let words: Vec<(&str, bool)> = r
                .iter()
                .filter(|w| *w != DERIVED_FROM)
                .map(|w| match w.strip_prefix(IMPORTED_FROM) {
                    Some(module) => (module, false),
                    None => (w.as_str(), derived),
                })
                .collect();
            b.require_each(&words);
        }
        b.build()
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Can a file with these bytes matter?
    pub fn matches(&self, text: &[u8]) -> bool {
        self.present(text).is_some_and(|present| {
            self.requirements
                .iter()
                .any(|r| r.iter().all(|w| present[*w]))
        })
    }

    /// Which words the file contains (as whole identifiers), `None` for none. One pass
    /// over the bytes: each identifier is looked up, whatever the number of words.
    fn present(&self, text: &[u8]) -> Option<Vec<bool>> {
        if self.words.is_empty() {
            return None;
        }
        let (shortest, longest) = self.lengths;
        let mut present = vec![false; self.words.len()];
        let mut any = false;
        let n = text.len();
        // Base words count before this offset: the end of the last class statement's
        // bases (computed only when the file has base words).
        let mut bases_until = 0;
        let mut i = 0;
        while i < n {
            let b = text[i];
            if !is_ident_byte(b) {
                i += 1;
                continue;
            }
            let start = i;
            i += 1;
            while i < n && is_ident_byte(text[i]) {
                i += 1;
            }
            let len = i - start;
            if self.has_base_words && &text[start..i] == b"class" && !after_dot(text, start) {
                bases_until = class_bases_end(text, i);
                continue;
            }
            // Digits start numbers (`0x1f`), never identifiers.
            if len < shortest || len > longest || b.is_ascii_digit() {
                continue;
            }
            if !self.sketched(&text[start..i]) {
                continue;
            }
            let Some(&id) = self.lookup.get(&text[start..i]) else {
                continue;
            };
            let w = &self.words[id];
            if present[id]
                || (w.method && !(after_dot(text, start) && called(text, i)))
                || (w.base && start >= bases_until)
            {
                continue;
            }
            present[id] = true;
            any = true;
        }
        any.then_some(present)
    }

    fn sketched(&self, ident: &[u8]) -> bool {
        let k = sketch(ident);
        self.sketch[k / 64] & (1 << (k % 64)) != 0
    }

    /// The first requirement a file meets (its words), for debugging the prefilter.
    pub fn why(&self, text: &[u8]) -> Option<Vec<String>> {
        let present = self.present(text)?;
        self.requirements
            .iter()
            .find(|r| r.iter().all(|w| present[*w]))
            .map(|r| r.iter().map(|w| self.texts[*w].clone()).collect())
    }
}

#[derive(Default)]
struct Builder {
    texts: Vec<String>,
    words: Vec<Word>,
    requirements: BTreeSet<Vec<usize>>,
}

impl Builder {
    fn require(&mut self, words: &[&str], method: bool) {
        self.require_kind(words, method, false);
    }

    /// Words of which some count only in a class statement's bases (`true`).
    fn require_each(&mut self, words: &[(&str, bool)]) {
        self.require_ids(words.iter().map(|(w, base)| (*w, false, *base)));
    }

    fn require_kind(&mut self, words: &[&str], method: bool, base: bool) {
        self.require_ids(words.iter().map(|w| (*w, method, base)));
    }

    fn require_ids<'w>(&mut self, words: impl Iterator<Item = (&'w str, bool, bool)>) {
        let mut ids: Vec<usize> = words
            .filter(|(w, _, _)| is_identifier(w))
            .map(|(w, method, base)| self.word(w, method, base))
            .collect();
        if ids.is_empty() {
            return;
        }
        ids.sort_unstable();
        ids.dedup();
        self.requirements.insert(ids);
    }

    fn word(&mut self, text: &str, method: bool, base: bool) -> usize {
        // A plain word is also a method or base word: the weaker condition wins.
        if let Some(i) = self.texts.iter().position(|t| t == text) {
            self.words[i].method &= method;
            self.words[i].base &= base;
            return i;
        }
        self.texts.push(text.to_string());
        self.words.push(Word { method, base });
        self.texts.len() - 1
    }

    fn build(self) -> Prefilter {
        let lookup = self
            .texts
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_bytes().to_vec(), i))
            .collect();
        let lengths = (
            self.texts.iter().map(String::len).min().unwrap_or(0),
            self.texts.iter().map(String::len).max().unwrap_or(0),
        );
        let mut sketch = Box::new([0u64; SKETCH_WORDS]);
        for t in &self.texts {
            let k = self::sketch(t.as_bytes());
            sketch[k / 64] |= 1 << (k % 64);
        }
        Prefilter {
            sketch,
            has_base_words: self.words.iter().any(|w| w.base),
            words: self.words,
            texts: self.texts,
            lookup,
            lengths,
            requirements: self.requirements.into_iter().collect(),
        }
    }
}

/// The rustc hasher: identifiers are short, and SipHash would cost more than the scan.
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Bits of the prefilter's sketch: 64 Kbit, 8 KB, small enough to stay in the first-level
/// cache while a file is scanned.
const SKETCH_WORDS: usize = 1024;

/// An identifier's bit in the sketch, from its first and last bytes and its length: three
/// loads and no loop, where a hash lookup reads the whole identifier.
fn sketch(ident: &[u8]) -> usize {
    let first = ident.first().copied().unwrap_or(0) as usize;
    let last = ident.last().copied().unwrap_or(0) as usize;
    let len = ident.len() & 0x3f;
    ((first << 8) ^ (last << 2) ^ (len * 0x9e5)) % (SKETCH_WORDS * 64)
}

pub(crate) fn is_ident_byte(b: u8) -> bool {
    IDENT_BYTES[b as usize]
}

/// Bytes identifiers are made of, as a table: the scan asks once per byte of every file.
/// Non-ASCII bytes belong to identifiers too (`café`).
static IDENT_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
        b += 1;
    }
    t
};

/// An attribute name: a `.` comes before it, with only spaces, line continuations and
/// (inside brackets) newlines and comments in between. When a comment may sit between
/// them, say yes: the prefilter may keep too much, never too little.
fn after_dot(text: &[u8], start: usize) -> bool {
    let mut i = start;
    while i > 0 {
        let b = text[i - 1];
        match b {
            b' ' | b'\t' | b'\x0c' | b'\\' | b'\r' => i -= 1,
            b'\n' => {
                i -= 1;
                let line_start = memchr::memrchr(b'\n', &text[..i]).map_or(0, |p| p + 1);
                if memchr::memchr(b'#', &text[line_start..i]).is_some() {
                    return true;
                }
            }
            b'.' => return true,
            _ => return false,
        }
    }
    false
}

/// Where the bases of a class statement end, `class_end` being the end of the
/// keyword: after the `)` that closes `class Name(...)` (`class Name[T](...)` too, over
/// several lines); `class_end` itself when the class has no bases. A string or comment
/// inside the parentheses may hide a bracket: then the rest of the file counts, so the
/// prefilter keeps too much, never too little.
fn class_bases_end(text: &[u8], class_end: usize) -> usize {
    let n = text.len();
    let skip_space = |mut i: usize| {
        while i < n && matches!(text[i], b' ' | b'\t' | b'\\' | b'\r' | b'\n') {
            i += 1;
        }
        i
    };
    let mut i = skip_space(class_end);
    let name = i;
    while i < n && is_ident_byte(text[i]) {
        i += 1;
    }
    if i == name {
        return class_end;
    }
    i = skip_space(i);
    if i < n && text[i] == b'[' {
        // PEP 695 type parameters: their bounds count as bases too.
        i = match matching_close(text, i) {
            Some(end) => skip_space(end),
            None => return n,
        };
    }
    if i < n && text[i] == b'(' {
        return matching_close(text, i).unwrap_or(n);
    }
    class_end
}

/// After the bracket that closes the one opened at `open`; `None` when a string or
/// comment comes first, or nothing closes it.
fn matching_close(text: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &b) in text.iter().enumerate().skip(open) {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b'"' | b'\'' | b'#' => return None,
            _ => {}
        }
    }
    None
}

/// Followed by `(`: the attribute is called. When a comment may sit in between, say yes.
fn called(text: &[u8], end: usize) -> bool {
    for &b in &text[end..] {
        match b {
            b' ' | b'\t' | b'\x0c' | b'\\' | b'\r' | b'\n' => {}
            b'(' | b'#' => return true,
            _ => return false,
        }
    }
    false
}

/// What the prefilter needs to know about the knowledge base to find the project names
/// that matter.
pub struct Known {
    /// Every path of the knowledge base.
    pub all: KnownPaths,
    /// Every path but the handler base classes.
    pub other: KnownPaths,
    /// Paths that are only prefixes of paths (modules: `django`, `django.urls`), with the
    /// rest of each path they lead to (`["urls", "path"]`).
    pub rests: HashMap<String, Vec<Vec<String>>>,
    /// Roots of `Root().step` patterns, with the steps (`celery.Celery` → `["task"]`).
    pub steps: HashMap<String, Vec<String>>,
    /// The class names of the paths that are a method of an instance of a handler base
    /// class (`AdminSite().add_action`): instances of project classes deriving from one
    /// of these matter wherever they are mentioned. By name, so that a re-export
    /// (`django.contrib.admin.sites.AdminSite`) counts too.
    pub instance_bases: HashSet<String>,
    /// Task decorators: a function they decorate is a task, and every mention of it may
    /// be a direct call or an enqueue.
    pub task_decorators: KnownPaths,
}

impl Known {
    pub fn new(k: &Knowledge) -> Known {
        let all = knowledge_paths(k);
        let bases: BTreeSet<String> = k
            .class_views
            .iter()
            .flat_map(|c| &c.bases)
            .map(|p| p.root.clone())
            .collect();
        let base_paths = KnownPaths::new(&bases);
        let patterns: Vec<PathPattern> = debug_strings(&format!("{:?}", entry_knowledge(k)))
            .iter()
            .filter_map(|s| PathPattern::parse(s).ok())
            .collect();
        let instance_bases = patterns
            .iter()
            .filter(|p| !p.steps.is_empty() && base_paths.related(&p.root))
            .map(|p| p.root.rsplit('.').next().unwrap_or_default().to_string())
            .collect();
        let mut steps: HashMap<String, Vec<String>> = HashMap::new();
        for p in &patterns {
            if let Some(crate::knowledge::Step::Name(first)) = p.steps.first() {
                let v = steps.entry(p.root.clone()).or_default();
                if !v.contains(first) {
                    v.push(first.clone());
                }
            } else if !p.steps.is_empty() {
                // `Root().*`: any method.
                steps.entry(p.root.clone()).or_default().push(String::new());
            }
        }
        let mut rests: HashMap<String, Vec<Vec<String>>> = HashMap::new();
        for path in &all {
            let segs: Vec<&str> = path.split('.').collect();
            for k in 1..segs.len() {
                rests
                    .entry(segs[..k].join("."))
                    .or_default()
                    .push(segs[k..].iter().map(|s| s.to_string()).collect());
            }
        }
        rests.retain(|prefix, _| !all.contains(prefix));
        Known {
            instance_bases,
            rests,
            steps,
            other: KnownPaths::new(&all.difference(&bases).cloned().collect()),
            all: KnownPaths::new(&all),
            task_decorators: KnownPaths::of_patterns(
                k.frameworks.iter().flat_map(|f| &f.decorators),
            ),
        }
    }
}

/// Where a project name matters: the other words a file must contain with it, one list
/// per way of using it (an empty list: wherever the name is mentioned).
type Needs = Vec<Vec<String>>;

fn anywhere() -> Needs {
    vec![Vec::new()]
}

/// The words a file must contain for these project names to matter there.
pub type Requirement = Vec<String>;

/// The modules that re-export other modules whole (`from .tasks import *`): through
/// them, what a module binds can be named without the module's own name.
pub struct StarImporters(Vec<StarImport>);

struct StarImport {
    file: FileId,
    /// The last word of the module it re-exports (`tasks`); `None` when the bytes do
    /// not say (it may be any module).
    imported: Option<String>,
    /// The word other files write to import from the re-exporting module; `None` for a
    /// package's `__init__.py`, which `from . import x` reaches without one.
    word: Option<String>,
}

impl StarImporters {
    pub fn scan(project: &Project) -> StarImporters {
        let mut out = Vec::new();
        let python = |f: &FileId| project.models.language(*f) == crate::model::Language::Python;
        for f in (0..project.files.len()).filter(python) {
            let imports = star_imports(project.files[f].text.as_bytes());
            if imports.is_empty() {
                continue;
            }
            let word = module_word(project, f);
            for imported in imports {
                out.push(StarImport {
                    file: f,
                    imported,
                    word: word.clone(),
                });
            }
        }
        StarImporters(out)
    }
}

/// The word every import of a module's names writes: the last part of its dotted name
/// (`from app.tasks import send`, `from .tasks import send`, `from app import tasks`
/// then `tasks.send`, `"app.tasks.send"` in settings). A package's `__init__.py` has
/// none (`from . import send`), nor has a file no import can name.
fn module_word(project: &Project, file: FileId) -> Option<String> {
    let stem = project.files[file].path.file_stem()?.to_str()?;
    (stem != "__init__" && is_identifier(stem)).then(|| stem.to_string())
}

/// `import *` somewhere in the bytes (`import*`, and spaces or line continuations in
/// between, too). A string or comment that says so only keeps more files.
pub fn has_star_import(text: &[u8]) -> bool {
    memchr::memmem::find_iter(text, b"import").any(|at| is_star_import(text, at))
}

/// Is the `import` at `at` followed by `*`?
fn is_star_import(text: &[u8], at: usize) -> bool {
    if at > 0 && is_ident_byte(text[at - 1]) {
        return false;
    }
    let mut i = at + b"import".len();
    while i < text.len() {
        match text[i] {
            b' ' | b'\t' | b'\x0c' => i += 1,
            b'\\' => {
                i += 1;
                if text.get(i) == Some(&b'\r') {
                    i += 1;
                }
                if text.get(i) != Some(&b'\n') {
                    return false;
                }
                i += 1;
            }
            b => return b == b'*',
        }
    }
    false
}

/// For each `from m import *` in the bytes, the last word of `m` (`tasks` in `from
/// .tasks import *`); `None` when it cannot be read there (a line continuation before
/// `import`): then it may be any module. `from . import *` re-exports a package's
/// `__init__`, whose names need no module word anyway: left out.
fn star_imports(text: &[u8]) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for at in memchr::memmem::find_iter(text, b"import") {
        if !is_star_import(text, at) {
            continue;
        }
        let mut end = at;
        while end > 0 && matches!(text[end - 1], b' ' | b'\t' | b'\x0c') {
            end -= 1;
        }
        let mut start = end;
        while start > 0 && is_ident_byte(text[start - 1]) {
            start -= 1;
        }
        if start < end {
            out.push(
                std::str::from_utf8(&text[start..end])
                    .ok()
                    .map(str::to_string),
            );
        } else if end == 0 || text[end - 1] != b'.' {
            out.push(None);
        }
    }
    out
}

/// The words one of which another file must contain to name what `file` binds at module
/// level: the module's own word, and the words of the modules that re-export it with
/// `import *`, transitively. `None` when one of those ways needs no word.
fn import_words(project: &Project, stars: &StarImporters, file: FileId) -> Option<Vec<String>> {
    let mut words = vec![module_word(project, file)?];
    let mut i = 0;
    while i < words.len() {
        for s in &stars.0 {
            let reexports = s.file != file && s.imported.as_ref().is_none_or(|m| *m == words[i]);
            if !reexports {
                continue;
            }
            match &s.word {
                None => return None,
                Some(w) if !words.contains(w) => words.push(w.clone()),
                Some(_) => {}
            }
        }
        i += 1;
    }
    Some(words)
}

/// The names bound at module or class level in `file` whose value is known to matter,
/// as requirements for other files: a value related to the knowledge base (`app =
/// Celery()` matters with `task`, `bg = shared_task` anywhere, `import django` with the
/// rest of a path), a class deriving from one (a project base view: where a class
/// statement is), a task (anywhere), a function returning one of those (a factory).
/// Another file names a module-level one only by importing it, so it must also contain
/// one of the module's [`import_words`].
pub fn interesting_names(
    project: &Project,
    known: &Known,
    stars: &StarImporters,
    file: FileId,
) -> Vec<Requirement> {
    let model = &project.models[file];
    let mut out: Vec<Requirement> = Vec::new();
    // Rust files are always roots, and resolving their names needs the Rust index, which
    // is built after the prefilter: resolving them now would cache wrong values.
    if model.language != crate::model::Language::Python {
        return out;
    }
    let mut module_words: Option<Option<Vec<String>>> = None;
    let mut registering: Option<Vec<ScopeId>> = None;
    for (scope, s) in model.scopes.iter().enumerate() {
        if !matches!(s.kind, ScopeKind::Module | ScopeKind::Class) {
            continue;
        }
        // A class body's name whose value matters only where a class derives from it
        // (a form's or serializer's field): deriving from it means writing `C.name`, so
        // a file must name the class too. (`class X(Sub.name)`, with `Sub` a subclass
        // of `C` in a file that never names `C`, is the case this gives up.)
        let owner = s.class.map(|c| model.classes[c].name.as_str());
        for b in &s.bindings {
            if b.name == "*" {
                continue;
            }
            let v = project.lookup(file, scope, &b.name, b.span.end, 0);
            let mut rests = needs(project, known, &v, &mut Vec::new());
            // A decorator of the project's that registers what it decorates (or the
            // factory returning one): the functions it decorates are handlers.
            if rests.is_empty()
                && let Value::Function(f) = &v
                && f.file == file
                && registers_what_it_decorates(
                    project,
                    *f,
                    registering.get_or_insert_with(|| registering_scopes(project, file)),
                )
            {
                rests = anywhere();
            }
            for rest in rests {
                let mut r = vec![b.name.as_str().to_owned()];
                let derive_only = rest.len() == 1 && rest[0] == DERIVED_FROM;
                r.extend(rest.into_iter().filter(|w| !w.is_empty()));
                if let Some(owner) = owner.filter(|_| derive_only) {
                    r.push(owner.into());
                }
                let words = match scope {
                    0 => module_words
                        .get_or_insert_with(|| import_words(project, stars, file))
                        .as_deref(),
                    _ => None,
                };
                let with_words: Vec<Requirement> = match words {
                    Some(words) => words
                        .iter()
                        .map(|w| {
                            let mut r = r.clone();
                            r.push(format!("{IMPORTED_FROM}{w}"));
                            r
                        })
                        .collect(),
                    None => vec![r],
                };
                for r in with_words {
                    if !out.contains(&r) {
                        out.push(r);
                    }
                }
            }
        }
    }
    out
}

/// The functions of `file` that hand one of their own parameters to a registration
/// call of the knowledge (`def deco(f): server.register_procedure(f); return f`).
fn registering_scopes(project: &Project, file: FileId) -> Vec<ScopeId> {
    let regs = &project.knowledge.registrations;
    let model = &project.models[file];
    let mut out = Vec::new();
    for (id, c) in model.calls.iter().enumerate() {
        if out.contains(&c.scope) {
            continue;
        }
        let last = match &c.callee.kind {
            ExprKind::Attr(_, name) | ExprKind::Name(name) => name.as_str(),
            _ => continue,
        };
        let passes_param = c
            .args
            .iter()
            .any(|a| own_parameter(model, c.scope, &a.value));
        if !passes_param
            || !regs
                .iter()
                .any(|r| r.calls.iter().any(|p| p.last_name() == last))
        {
            continue;
        }
        let callee = project.callee(crate::index::CallRef { file, call: id });
        if regs
            .iter()
            .any(|r| r.calls.iter().any(|p| project.matches(callee, p)))
        {
            out.push(c.scope);
        }
    }
    out
}

/// `f` is one of `registering`, or returns one it defines.
fn registers_what_it_decorates(project: &Project, f: FuncRef, registering: &[ScopeId]) -> bool {
    if registering.is_empty() {
        return false;
    }
    registering.contains(&f.scope)
        || registering.iter().any(|&scope| {
            returns_function(
                project,
                f,
                FuncRef {
                    file: f.file,
                    scope,
                },
            )
        })
}

/// `seen`: the functions on the way, so recursion (`def f(): return f()`) ends.
fn needs(project: &Project, known: &Known, v: &Value, seen: &mut Vec<FuncRef>) -> Needs {
    if seen.len() > 16 {
        // Long chains of project functions: keep the name, to be safe.
        return anywhere();
    }
    match v {
        Value::Unknown | Value::Module(_) | Value::Package(_) => Vec::new(),
        Value::External(p) => {
            if let Some(rests) = known.rests.get(p) {
                // A module on the way to known paths: the rest of one must be written.
                rests.clone()
            } else if known.other.related(p) {
                anywhere()
            } else if known.all.related(p) {
                // `from graphene import ObjectType`: a name to derive handlers from.
                vec![vec![DERIVED_FROM.into()]]
            } else {
                Vec::new()
            }
        }
        Value::Returned(x) => match x.as_ref() {
            // `Celery()`: its known methods must be written.
            Value::External(p) if known.steps.contains_key(p) => {
                known.steps[p].iter().map(|s| vec![s.clone()]).collect()
            }
            _ => needs(project, known, x, seen),
        },
        // An attribute of a class itself (`Mutation.Field`, `cls._meta`) that is not one
        // of its methods or class-level names: no knowledge path takes it (patterns with
        // steps apply to instances).
        Value::Attr(x, _) if matches!(x.as_ref(), Value::Class(_)) => Vec::new(),
        Value::Attr(x, _) | Value::Iterated(x) | Value::Subscripted(x) => {
            needs(project, known, x, seen)
        }
        Value::OneOf(values) => {
            let mut out: Needs = Vec::new();
            for v in values {
                for n in needs(project, known, v, seen) {
                    if !out.contains(&n) {
                        out.push(n);
                    }
                }
            }
            out
        }
        Value::Class(c) | Value::Instance(c) => {
            let (classes, external) = project.class_ancestry(*c);
            let ancestry: Vec<String> = external
                .iter()
                .cloned()
                .chain(classes.iter().map(|c| project.class_qualname(*c)))
                .collect();
            // An instance of a handler class is only ever a value to derive from,
            // unless some knowledge path is a method of an instance of its base.
            let instance_matters = || {
                ancestry.iter().any(|p| {
                    known
                        .instance_bases
                        .contains(p.rsplit('.').next().unwrap_or_default())
                })
            };
            let related: Vec<String> = ancestry
                .iter()
                .filter(|p| known.all.related(p))
                .cloned()
                .collect();
            if related.is_empty() {
                Vec::new()
            } else if related.iter().all(|p| !known.other.related(p))
                && (matches!(v, Value::Class(_)) || !instance_matters())
            {
                vec![vec![DERIVED_FROM.into()]]
            } else if matches!(v, Value::Instance(_))
                && let Some(steps) = related
                    .iter()
                    .map(|p| known.steps.get(p))
                    .collect::<Option<Vec<_>>>()
            {
                // An instance of a project subclass of `Celery`: its known methods.
                steps
                    .into_iter()
                    .flatten()
                    .map(|s| vec![s.clone()])
                    .collect()
            } else {
                anywhere()
            }
        }
        Value::Function(f) => {
            if seen.contains(f) {
                return Vec::new();
            }
            seen.push(*f);
            if known.all.related(&project.qualname(*f)) {
                return anywhere();
            }
            let scope = project.scope(*f);
            let parent = scope.parent.unwrap_or(0);
            let task = scope.decorators.iter().any(|d| {
                let v = match d.expr.as_call() {
                    Some(c) => project
                        .callee(crate::index::CallRef {
                            file: f.file,
                            call: c,
                        })
                        .clone(),
                    None => project.resolve(f.file, parent, &d.expr),
                };
                match &v {
                    Value::Function(_) => !needs(project, known, &v, seen).is_empty(),
                    _ => task_decorator_chain(project, known, &v),
                }
            });
            if task {
                return anywhere();
            }
            // A factory: calling it gives what it returns.
            let mut out = Vec::new();
            for e in &scope.returns {
                let v = project.resolve(f.file, f.scope, e);
                for n in needs(project, known, &v, seen) {
                    if !out.contains(&n) {
                        out.push(n);
                    }
                }
            }
            out
        }
    }
}

/// `app.task` with `app = Celery()`, `huey.task`, `shared_task`: a task decorator, or an
/// attribute of an instance of a known class (or of a project subclass).
fn task_decorator_chain(project: &Project, known: &Known, v: &Value) -> bool {
    match v {
        Value::External(p) => known.task_decorators.related(p),
        Value::Attr(x, _) | Value::Returned(x) => task_decorator_chain(project, known, x),
        Value::Instance(c) | Value::Class(c) => {
            let (classes, external) = project.class_ancestry(*c);
            external.iter().any(|e| known.task_decorators.related(e))
                || classes
                    .iter()
                    .any(|c| known.task_decorators.related(&project.class_qualname(*c)))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_imports_are_found_however_they_are_spaced() {
        for yes in [
            "from .tasks import *\n",
            "from .tasks import*",
            "x = 1\nfrom a.b import \\\n    *  # noqa\n",
            "from a import \\\r\n *",
        ] {
            assert!(has_star_import(yes.as_bytes()), "{yes:?}");
        }
        for no in [
            "from .tasks import send\n",
            "reimport *",
            "from a import (b, c)\n",
            "import",
            "x = imports * 2",
        ] {
            assert!(!has_star_import(no.as_bytes()), "{no:?}");
        }
    }

    #[test]
    fn the_module_a_star_import_names_is_read() {
        let text = b"from .tasks import *\nfrom app.billing.jobs import*\nfrom . import *\nfrom x \\\n    import *\nfrom y import z\n";
        assert_eq!(
            star_imports(text),
            vec![Some("tasks".to_string()), Some("jobs".to_string()), None]
        );
    }

    /// A module's word counts anywhere, though the name it comes with counts only in a
    /// class statement's bases.
    #[test]
    fn a_module_word_counts_outside_the_bases() {
        let req: Requirement = vec![
            "BaseView".into(),
            DERIVED_FROM.into(),
            format!("{IMPORTED_FROM}base"),
        ];
        let pf = Prefilter::from_requirements([&req]);
        assert!(pf.matches(b"from .base import BaseView\nclass Page(BaseView):\n    pass\n"));
        assert!(!pf.matches(b"from .base import BaseView\nprint(BaseView)\n"));
        assert!(!pf.matches(b"from .other import BaseView\nclass Page(BaseView):\n    pass\n"));
    }

    fn pf() -> Prefilter {
        Prefilter::from_knowledge(&crate::knowledge::BUILTIN, |_| false)
    }

    #[test]
    fn knowledge_paths_come_from_the_data() {
        let paths = knowledge_paths(&crate::knowledge::BUILTIN);
        assert!(paths.contains("celery.shared_task"));
        // `celery.Celery().task` needs the import of `celery.Celery`.
        assert!(paths.contains("celery.Celery"));
        // Removed modules of TL201 are plain strings, and count too.
        assert!(paths.contains("celery.decorators"));
        assert!(paths.contains("django.views.generic"));
        assert!(method_names(&crate::knowledge::BUILTIN).contains("delay"));
    }

    #[test]
    fn files_that_can_matter() {
        let p = pf();
        assert!(p.matches(b"from celery import shared_task\n"));
        assert!(p.matches(b"from django.urls import path\n"));
        // Slow calls are found from the handlers that reach them, not by their words.
        assert!(!p.matches(b"import requests\nrequests.post(u)\n"));
        assert!(p.matches(b"x = f.delay(1)\n"));
        assert!(p.matches(b"x = (f\n    .delay(1))\n"));
        assert!(p.matches(b"x = (f.  # why\n    delay(1))\n"));
        assert!(p.matches(b"async def f():\n    pass\n"));
        assert!(!p.matches(b"with open('x') as f:\n    pass\n"));
        assert!(!p.matches(b"print(error.message)\n"));
        // Words inside longer identifiers, or a method name that is not an attribute.
        assert!(!p.matches(b"from django.db import models\nclass A(models.Model):\n    pass\n"));
        assert!(!p.matches(b"delay = 3\nprint('%s' % delay)\n"));
        assert!(!p.matches(b"shared_tasks = celery_x\n"));
        assert!(!p.matches(b""));
    }

    #[test]
    fn project_names() {
        let reqs: Vec<Requirement> = vec![
            vec!["send_receipt".into()],
            vec!["bg".into()],
            vec!["BaseView".into(), "class".into()],
        ];
        let p = Prefilter::from_requirements(&reqs);
        assert!(p.matches(b"from .views import BaseView\nclass A(BaseView): pass\n"));
        assert!(!p.matches(b"from .views import BaseView\nx = BaseView\n"));
        // A class statement elsewhere in the file is not a derivation.
        assert!(!p.matches(b"from .views import BaseView\nclass A:\n    v = BaseView\n"));
        assert!(!p.matches(b"class A(Other):\n    v = f(BaseView)\n"));
        assert!(p.matches(b"from .tasks import send_receipt\n"));
        assert!(p.matches(b"@bg\ndef f(): pass\n"));
        assert!(!p.matches(b"send_receipts = 1\nbgx = 2\n"));
    }

    #[test]
    fn class_bases() {
        let p = Prefilter::from_requirements(&[vec!["Base".into(), DERIVED_FROM.into()]]);
        let at = |text: &str| p.matches(text.as_bytes());
        assert!(at("class A(Base): pass"));
        assert!(at("class A(mod.Base): pass"));
        assert!(at("class A(Mixin,\n        Base,\n):\n    pass"));
        assert!(at("class A(Generic[Base]): pass"));
        assert!(at("class A[T: Base](Other): pass"));
        assert!(at("class  A  (x, metaclass=Base): pass"));
        assert!(at("class A(make(Base)): pass"));
        assert!(at("x = 1\nclass \\\n  A(Base): pass"));
        // A string or comment in the way: the rest of the file counts, to be safe.
        assert!(at("class A(f('('), Base): pass"));
        assert!(at("class A(X,  # a comment\n  Base): pass"));
        assert!(!at("x = Base"));
        assert!(!at("f(Base)"));
        assert!(!at("class A(Other):\n    f(Base)"));
        assert!(!at("class A(Other): x = Base"));
        assert!(!at("class A:\n    x = Base"));
        assert!(!at("subclass(Base)"));
        assert!(!at("y = x.class_(Base)"));
    }

    #[test]
    fn the_sketch_never_hides_a_word() {
        // Words of every length and shape: each must still be found alone.
        let words: Vec<String> = (0..2000)
            .map(|i| {
                let stem = ["a", "Z", "_x", "é", "get", "Model"][i % 6];
                format!("{stem}{}{}", "q".repeat(i % 41), i)
            })
            .collect();
        let reqs: Vec<Requirement> = words.iter().map(|w| vec![w.clone()]).collect();
        let p = Prefilter::from_requirements(&reqs);
        for w in &words {
            assert!(p.matches(format!("x = {w}\n").as_bytes()), "{w}");
        }
        assert!(!p.matches(b"x = unrelated_name\n"));
    }
}

//! Walking the graph of files (a module to the modules it imports) in parallel.

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::Scope;

use crate::source::FileId;

/// Visits the files of `start`, and every file `next` leads to from a visited one,
/// transitively, each once, in parallel: a file's successors go to the pool as soon as
/// `next` gives them, with no wait for the rest of their level of the graph (walked a
/// level at a time, one slow file at the end of each level kept the other threads idle).
/// `seen` marks the files not to visit when reached (the starts may be among them); on
/// return it marks the starts and every file visited too.
pub fn visit_reachable(
    seen: &mut [bool],
    start: &[FileId],
    next: impl Fn(FileId) -> Vec<FileId> + Sync,
) {
    fn visit<'s, F: Fn(FileId) -> Vec<FileId> + Sync>(
        claimed: &'s [AtomicBool],
        next: &'s F,
        f: FileId,
        s: &Scope<'s>,
    ) {
        for g in next(f) {
            if !claimed[g].swap(true, Ordering::Relaxed) {
                s.spawn(move |s| visit(claimed, next, g, s));
            }
        }
    }
    let claimed: Vec<AtomicBool> = seen.iter().map(|&s| AtomicBool::new(s)).collect();
    for &f in start {
        claimed[f].store(true, Ordering::Relaxed);
    }
    let (claimed_ref, next_ref) = (&claimed, &next);
    rayon::scope(|s| {
        for &f in start {
            s.spawn(move |s| visit(claimed_ref, next_ref, f, s));
        }
    });
    for (s, c) in seen.iter_mut().zip(&claimed) {
        *s = c.load(Ordering::Relaxed);
    }
}

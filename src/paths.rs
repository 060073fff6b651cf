//! Path helpers shared by discovery and configuration (both sit above this module).

use std::path::{Path, PathBuf};

/// `p` made absolute against the current folder, without touching the file system
/// (links are not resolved); `p` itself when even that fails.
pub fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

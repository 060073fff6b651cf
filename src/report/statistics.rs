//! `--statistics`: how many findings each rule produced, most first (flake8 and ruff
//! print the same table), instead of the findings themselves.

use std::collections::BTreeMap;
use std::io;

use codespan_reporting::term::termcolor::WriteColor;
use serde::Serialize;

use super::Summary;
use crate::diagnostic::Diagnostic;

#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Count {
    pub code: &'static str,
    pub name: &'static str,
    pub count: usize,
}

/// Counts per rule: most findings first, then by code.
pub fn counts(diagnostics: &[Diagnostic]) -> Vec<Count> {
    let mut by_code: BTreeMap<&'static str, Count> = BTreeMap::new();
    for d in diagnostics {
        by_code
            .entry(d.code)
            .or_insert(Count {
                code: d.code,
                name: d.name,
                count: 0,
            })
            .count += 1;
    }
    let mut v: Vec<Count> = by_code.into_values().collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(b.code)));
    v
}

/// `   3  TL101  task-called-directly` lines, then the summary sentence.
pub fn write_table(
    out: &mut dyn WriteColor,
    diagnostics: &[Diagnostic],
    summary: &Summary,
) -> io::Result<()> {
    let counts = counts(diagnostics);
    let width = counts
        .iter()
        .map(|c| c.count.to_string().len())
        .max()
        .unwrap_or(1);
    for c in &counts {
        writeln!(out, "{:>width$}  {}  {}", c.count, c.code, c.name)?;
    }
    summary.write_sentence(out)
}

/// `[{"code": "TL101", "name": "task-called-directly", "count": 3}, ...]`
pub fn write_json(out: &mut dyn WriteColor, diagnostics: &[Diagnostic]) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &counts(diagnostics))?;
    writeln!(out)
}

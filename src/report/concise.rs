//! `path:line:col: severity[CODE]: message`, one line a finding (rustc's short format).
//! The path and the message are escaped (`super::escape`): a newline in either would
//! start a line of its own.

use std::io;

use codespan_reporting::term::termcolor::WriteColor;

use super::{Emitter, Summary, escape};
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

pub struct Concise;

impl Emitter for Concise {
    fn emit(
        &self,
        out: &mut dyn WriteColor,
        diagnostics: &[Diagnostic],
        files: &[SourceFile],
        summary: &Summary,
    ) -> io::Result<()> {
        for d in diagnostics {
            let f = &files[d.file];
            let p = f.position(d.span.start);
            writeln!(
                out,
                "{}:{}:{}: {}[{}]: {}",
                escape::text(&f.display),
                p.line,
                p.column,
                d.severity.as_str(),
                d.code,
                escape::text(&d.message)
            )?;
        }
        summary.write_sentence(out)
    }
}

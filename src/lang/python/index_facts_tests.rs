//! Lowering facts the index relies on: compute-once guards, annotations, `global`, and
//! `if __name__ == "__main__":` blocks.

use super::parse;
use crate::model::{ExprKind, FileModel};

fn call_named<'m>(m: &'m FileModel, text: &str, name: &str) -> &'m crate::model::Call {
    m.calls
        .iter()
        .find(|c| &text[c.callee.span.start as usize..c.callee.span.end as usize] == name)
        .unwrap_or_else(|| panic!("no call of {name}"))
}

#[test]
fn compute_once_guards_are_marked() {
    let text = r#"
_client = None
CACHE = {}

def client():
    global _client
    if _client is None:
        _client = connect()
    return _client

def lookup(key):
    if key not in CACHE:
        CACHE[key] = load(key)
    return CACHE[key]

def token():
    if _token is not None:
        return _token
    _token = fetch()

def checked_only():
    if _client is None:
        ping()

def truthy():
    if CACHE:
        keep()
    else:
        CACHE.update(fill())
"#;
    let m = parse(text);
    let once = |name: &str| {
        let c = call_named(&m, text, name);
        c.guards
            .iter()
            .any(|g| g.fills && g.while_empty().is_some())
    };
    assert!(once("connect"));
    assert!(once("load"));
    assert!(once("fetch"));
    assert!(once("fill"));
    assert!(!once("ping"));
    assert!(!once("keep"));
    let f = m.scopes.iter().find(|s| s.name == "client").unwrap();
    assert_eq!(f.globals, vec!["_client".to_string()]);
}

#[test]
fn annotations_name_the_type() {
    let text = r#"
from typing import Optional

class Settings:
    client: "pkg.Client"
    session: Optional[Session] = None
    other: Session | None = field(default=None)

def make() -> Optional["Client"]:
    return build()

def use(c: Client | None = None, d: "pkg.Other" = None):
    pass
"#;
    let m = parse(text);
    let dotted = |e: &crate::model::Expr| e.dotted().map(|d| d.join("."));
    let class = m.scopes.iter().find(|s| s.name == "Settings").unwrap();
    let ann = |name: &str| {
        class
            .bindings
            .iter()
            .find(|b| b.name == name)
            .and_then(|b| b.annotation.as_ref())
            .and_then(dotted)
    };
    assert_eq!(ann("client").as_deref(), Some("pkg.Client"));
    assert_eq!(ann("session").as_deref(), Some("Session"));
    assert_eq!(ann("other").as_deref(), Some("Session"));
    let make = m.scopes.iter().find(|s| s.name == "make").unwrap();
    assert_eq!(
        make.return_annotation.as_ref().and_then(dotted).as_deref(),
        Some("Client")
    );
    let use_ = m.scopes.iter().find(|s| s.name == "use").unwrap();
    let params: Vec<Option<String>> = use_
        .params
        .iter()
        .map(|p| p.annotation.as_ref().and_then(dotted))
        .collect();
    assert_eq!(
        params,
        vec![Some("Client".to_string()), Some("pkg.Other".to_string())]
    );
}

#[test]
fn main_blocks_are_recorded() {
    let text = "def main():\n    pass\n\nif __name__ == '__main__':\n    main()\n\nif x == '__main__':\n    other()\n";
    let m = parse(text);
    assert_eq!(m.main_blocks.len(), 1);
    let c = call_named(&m, text, "main");
    assert!(m.main_blocks[0].start <= c.span.start && c.span.end <= m.main_blocks[0].end);
    assert!(matches!(c.callee.kind, ExprKind::Name(_)));
}

//! Node kind names by kind id.
//!
//! `Node::kind` finds the length of the kind's C string and checks it is UTF-8 on every
//! call; the lowering asks for kinds about a million times on a large project, which was
//! 4% of a whole cold run's instructions. The names, read once per process into a table,
//! are the same strings at the cost of an index.

use std::sync::OnceLock;

use tree_sitter::Node;

static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();

fn names() -> &'static [&'static str] {
    NAMES.get_or_init(|| {
        let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
        (0..language.node_kind_count())
            .map(|id| {
                let name = language.node_kind_for_id(id as u16).unwrap_or("");
                // Read once per process: a few hundred short names.
                &*Box::leak(name.to_owned().into_boxed_str())
            })
            .collect()
    })
}

pub(super) trait KindName<'t> {
    /// What `Node::kind` gives, from the table.
    fn kind_name(&self) -> &'t str;
}

impl<'t> KindName<'t> for Node<'t> {
    fn kind_name(&self) -> &'t str {
        match names().get(self.kind_id() as usize) {
            Some(name) if !name.is_empty() => name,
            // `ERROR` (its id is outside the table) and anything unnamed.
            _ => self.kind(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every node of a file full of Python's forms has the same kind name both ways.
    #[test]
    fn the_table_gives_what_tree_sitter_gives() {
        let source = "import a.b as c\nfrom . import d\n@dec(1)\nasync def f(x: int = 2, *a, **k) -> None:\n    '''doc'''\n    async with g() as h, i:\n        await j[k:l]\n    return [m for m in n if m] or {o: p} and (q, r)\nclass S(T, metaclass=U):\n    v: W = lambda: x\n    def __init__(self): self.y = f\"{z!r}\"\ntry:\n    pass\nexcept (A, B) as e:\n    raise\nmatch q:\n    case [1, *rest]: pass\nx = (\n";
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        let tree = parser.parse(source, None).unwrap();
        let mut cursor = tree.walk();
        let mut seen = 0;
        loop {
            let node = cursor.node();
            assert_eq!(node.kind_name(), node.kind(), "kind id {}", node.kind_id());
            seen += 1;
            if cursor.goto_first_child() || cursor.goto_next_sibling() {
                continue;
            }
            loop {
                if !cursor.goto_parent() {
                    assert!(seen > 100, "only {seen} nodes");
                    return;
                }
                if cursor.goto_next_sibling() {
                    break;
                }
            }
        }
    }
}

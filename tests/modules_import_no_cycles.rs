//! No crate in the workspace has an import cycle between its top-level modules.
//!
//! Cargo keeps the crates layered; inside a crate nothing does. When `runtime`
//! uses `race` and `race` uses `runtime`, neither can be read, tested or split
//! out without the other. On failure this names one import per edge to move.
//!
//! The sources are read as text (std only, no parser), skipping comments and
//! string literals: `crate::m` (plain or grouped, in `use` or in code) and a
//! `super::…::m` that climbs to the crate root are edges to the top-level
//! module `m`. The crate root (`lib.rs`, `main.rs`) is not a module. Test
//! code (`tests.rs`, `*_tests.rs`, inline `mod tests`) is skipped: a test may
//! build what it checks from a higher layer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every crate's source root, relative to the workspace root.
const CRATE_SOURCE_ROOTS: [&str; 4] = [
    "crates/valley-engine/src",
    "crates/valley-figure/src",
    "crates/valley-app/src",
    "src",
];

#[test]
fn no_crate_has_an_import_cycle_between_its_modules() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut report = String::new();
    for root in CRATE_SOURCE_ROOTS {
        let mut files = Vec::new();
        read_sources(&workspace.join(root), "", &mut files);
        let edges = module_edges(root, &files);
        for cycle in cycles(&edges) {
            report += &describe_cycle(root, &cycle, &edges);
        }
    }
    assert!(
        report.is_empty(),
        "modules import each other in a cycle; move imports (or what they name) \
         until the arrows between these modules point one way:\n{report}"
    );
}

/// The checker must see a real cycle, through a grouped `use` and through a
/// `super::super` in an inline module, and nothing from comments, strings or
/// a `super` that stays inside its module; otherwise the test above could pass
/// by seeing nothing.
#[test]
fn the_cycle_finder_sees_imports_and_ignores_prose() {
    let files: Vec<(String, String)> = FAKE_CRATE
        .split("\n== ")
        .skip(1)
        .map(|file| file.split_once('\n').expect("a path, then the text"))
        .map(|(path, text)| (path.into(), text.into()))
        .collect();
    let edges = module_edges("fake", &files);

    let edge_names: Vec<_> = edges.keys().map(|(a, b)| format!("{a} -> {b}")).collect();
    assert_eq!(edge_names, ["a -> b", "b -> a", "c -> b"]);
    assert_eq!(cycles(&edges), [["a", "b"]]);
    assert_eq!(
        describe_cycle("fake", &cycles(&edges)[0], &edges),
        "\nfake: a, b import each other\n  \
         a -> b  fake/a.rs:2  `use crate::{Shared, b::{self, Thing}};`\n  \
         b -> a  fake/b.rs:4  `use super::super::a::Y;`\n"
    );
}

/// The self-test's crate, one file after each `== path` line: a cycle between
/// `a` and `b`, an edge from `c` to `b`, and edges to `c` only in prose.
const FAKE_CRATE: &str = r##"
== lib.rs
mod a; mod b; mod c;
pub use crate::c::G;
== a.rs
//! Docs naming crate::c::G make no edge.
use crate::{Shared, b::{self, Thing}};
/* crate::c /* nested */ super::c */
fn f<'a>(x: &'a str) -> char {
    let _ = ("crate::c \" super::c", r#"a " then crate::c"#, b'"');
    'c'
}
mod tests {
    use crate::c::G; // test code may reach anywhere
    mod deeper { fn h() { crate::c::g(); } }
}
== b.rs
pub fn f() {}
#[path = "b_tests.rs"] mod tests;
mod inline {
    use super::super::a::Y;
    use super::c; // b::c, not the top-level c
}
== b_tests.rs
use super::c;
use super::super::a::Z;
== c/mod.rs
mod d;
use self::d::G;
== c/d.rs
use super::super::b::f;
pub(super) fn g() { crate::b::f(); }
"##;

/// One place that makes an edge: file, line number and the line itself.
struct Location {
    file: String,
    line: usize,
    code: String,
}

/// `(from, to)` top-level module names, with every place that makes the edge.
type Edges = BTreeMap<(String, String), Vec<Location>>;

/// Appends `(path relative to the source root, text)` for every `.rs` file under `dir`.
fn read_sources(dir: &Path, prefix: &str, files: &mut Vec<(String, String)>) {
    let listing = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut paths: Vec<_> = listing.map(|e| e.expect("an entry").path()).collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().expect("a name").to_string_lossy();
        let relative = format!("{prefix}{name}");
        if path.is_dir() {
            read_sources(&path, &format!("{relative}/"), files);
        } else if relative.ends_with(".rs") {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            files.push((relative, text));
        }
    }
}

/// The edges between one crate's top-level modules; `label` (the source root)
/// prefixes the file names in their locations.
fn module_edges(label: &str, files: &[(String, String)]) -> Edges {
    let module_paths: Vec<Vec<String>> = files.iter().map(|(path, _)| module_path(path)).collect();
    let nodes: BTreeSet<&String> = module_paths.iter().filter_map(|p| p.first()).collect();
    let mut edges = Edges::new();
    for ((path, text), module) in files.iter().zip(&module_paths) {
        let Some(node) = module.first() else { continue }; // the crate root
        if module.iter().any(|segment| segment == "tests") {
            continue;
        }
        for (target, line) in names_reached_from_the_root(&tokenize(text), module) {
            if target != *node && nodes.contains(&target) {
                let code = text.lines().nth(line - 1).unwrap_or("").trim().to_string();
                let file = format!("{label}/{path}");
                let at = Location { file, line, code };
                edges.entry((node.clone(), target)).or_default().push(at);
            }
        }
    }
    edges
}

/// `foo.rs` and `foo/mod.rs` are `foo`, `foo/bar.rs` is `foo::bar`, and
/// `foo_tests.rs` is `foo::tests` (this workspace's `#[path]` convention);
/// `lib.rs` and `main.rs` are the crate root, the empty path.
fn module_path(file: &str) -> Vec<String> {
    let path = file.trim_end_matches(".rs");
    if matches!(path, "lib" | "main") {
        return Vec::new();
    }
    let path = path
        .strip_suffix("_tests")
        .map_or(path.into(), |m| format!("{m}/tests"));
    let segments = path.split('/').filter(|&segment| segment != "mod");
    segments.map(String::from).collect()
}

/// The first names below the crate root that the file's `crate::…` paths and
/// root-reaching `super::…` paths start with, with their lines. `super` climbs
/// from where it is written, so inline `mod x { … }` blocks are tracked.
fn names_reached_from_the_root(tokens: &[Token], file_module: &[String]) -> Vec<(String, usize)> {
    let text = |i: usize| tokens.get(i).map_or("", |token| token.text);
    let mut names = Vec::new();
    // Brace depth inside each inline module, and whether it holds tests.
    let mut inline_modules: Vec<(usize, bool)> = Vec::new();
    let mut depth = 0;
    for i in 0..tokens.len() {
        let starts_path = text(i.wrapping_sub(1)) != "::" && text(i + 1) == "::";
        if inline_modules.iter().any(|&(_, tests)| tests) {
            match text(i) {
                "{" => depth += 1,
                "}" => {
                    if inline_modules.last().map(|m| m.0) == Some(depth) {
                        inline_modules.pop();
                    }
                    depth -= 1;
                }
                _ => {}
            }
            continue;
        }
        match text(i) {
            "{" => depth += 1,
            "}" => {
                if inline_modules.last().map(|m| m.0) == Some(depth) {
                    inline_modules.pop();
                }
                depth -= 1;
            }
            "mod" if text(i + 2) == "{" => inline_modules.push((depth + 1, text(i + 1) == "tests")),
            "crate" if starts_path => names_at_the_root(tokens, i + 2, &mut names),
            "super" if starts_path => {
                let mut climbs = 1;
                while text(i + 2 * climbs) == "super" && text(i + 2 * climbs + 1) == "::" {
                    climbs += 1;
                }
                if file_module.len() + inline_modules.len() == climbs {
                    names_at_the_root(tokens, i + 2 * climbs, &mut names);
                }
            }
            _ => {}
        }
    }
    names
}

/// The name a path continues with at `tokens[start]`, once it is at the crate
/// root: a plain name, or the first name of each item of a `{…}` group.
fn names_at_the_root(tokens: &[Token], start: usize, names: &mut Vec<(String, usize)>) {
    let Some(token) = tokens.get(start) else {
        return;
    };
    if token.text == "{" {
        let mut depth = 0;
        for i in start..tokens.len() {
            match tokens[i].text {
                "{" => depth += 1,
                "}" => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                break;
            }
            if depth == 1 && matches!(tokens[i].text, "{" | ",") {
                names_at_the_root(tokens, i + 1, names);
            }
        }
    } else {
        names.push((token.text.to_string(), token.line));
    }
}

/// The strongly connected components with more than one module: each sorted,
/// all in name order. Crates have a few dozen modules, so plain reachability will do.
fn cycles(edges: &Edges) -> Vec<Vec<String>> {
    let reachable_from = |start: &str| {
        let (mut seen, mut todo) = (BTreeSet::new(), vec![start]);
        while let Some(node) = todo.pop() {
            for (from, to) in edges.keys() {
                if from == node && seen.insert(to.as_str()) {
                    todo.push(to);
                }
            }
        }
        seen
    };
    let nodes = edges.keys().flat_map(|(from, to)| [from, to]);
    let reach: BTreeMap<&str, BTreeSet<&str>> = nodes
        .map(|node| (node.as_str(), reachable_from(node)))
        .collect();
    let mut components = BTreeSet::new();
    for (node, reached) in &reach {
        let component = reached.iter().filter(|other| reach[**other].contains(node));
        let component: Vec<String> = component.map(ToString::to_string).collect();
        if component.len() > 1 {
            components.insert(component);
        }
    }
    components.into_iter().collect()
}

/// A cycle for a human: its modules, then every import between them, one example each.
fn describe_cycle(root: &str, cycle: &[String], edges: &Edges) -> String {
    let mut text = format!("\n{root}: {} import each other\n", cycle.join(", "));
    for ((from, to), places) in edges {
        if !cycle.contains(from) || !cycle.contains(to) {
            continue;
        }
        let Location { file, line, code } = &places[0];
        let note = match places.len() - 1 {
            0 => String::new(),
            more => format!(" (and {more} more)"),
        };
        let mutual = cycle.len() > 2 && edges.contains_key(&(to.clone(), from.clone()));
        let mutual = if mutual { "  [imports both ways]" } else { "" };
        text += &format!("  {from} -> {to}  {file}:{line}  `{code}`{note}{mutual}\n");
    }
    text
}

/// A word, `::` or single punctuation character, with its line.
struct Token<'a> {
    text: &'a str,
    line: usize,
}

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80
}

/// Where `needle` starts in `haystack`, or its end if it never does.
fn find(haystack: &[u8], needle: &[u8]) -> usize {
    let at = haystack.windows(needle.len()).position(|w| w == needle);
    at.unwrap_or(haystack.len())
}

/// The source's tokens, skipping comments (nested ones too) and string,
/// raw-string and char literals, so that prose makes no edges.
fn tokenize(source: &str) -> Vec<Token<'_>> {
    let bytes = source.as_bytes();
    let (mut tokens, mut line, mut i) = (Vec::new(), 1, 0);
    while i < bytes.len() {
        let rest = &bytes[i..];
        // Whole words at once, so `r"…"`, `br#"…"#` and `b'…'` are seen at their start.
        let word = rest.iter().take_while(|&&byte| is_word_byte(byte)).count();
        let hashes = rest[word..].iter().take_while(|&&b| b == b'#').count();
        let char_length = source[i..].chars().nth(1).map_or(1, char::len_utf8);
        let end = if rest.starts_with(b"//") {
            i + find(rest, b"\n")
        } else if rest.starts_with(b"/*") {
            let (mut depth, mut j) = (0, i);
            while j < bytes.len() {
                let two = &bytes[j..bytes.len().min(j + 2)];
                depth += i32::from(two == b"/*") - i32::from(two == b"*/");
                j += if two == b"/*" || two == b"*/" { 2 } else { 1 };
                if depth == 0 {
                    break;
                }
            }
            j
        } else if matches!(&rest[..word], b"r" | b"br" | b"cr")
            && rest.get(word + hashes) == Some(&b'"')
        {
            let closing = [&b"\""[..], &rest[word..word + hashes]].concat();
            let body = i + word + hashes + 1;
            body + find(&bytes[body..], &closing) + closing.len()
        } else if rest[0] == b'"' {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != b'"' {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            j + 1
        } else if rest.starts_with(b"'\\") {
            i + 3 + find(&rest[3..], b"'") + 1
        } else if rest[0] == b'\'' && rest.get(1 + char_length) == Some(&b'\'') {
            i + 2 + char_length
        } else {
            // Anything else is a token (a lifetime's `'` too), or white space.
            let length = word.max(1 + usize::from(rest.starts_with(b"::")));
            if !rest[0].is_ascii_whitespace() {
                tokens.push(Token {
                    text: &source[i..i + length],
                    line,
                });
            }
            i + length
        };
        let end = end.min(bytes.len());
        line += bytes[i..end].iter().filter(|&&byte| byte == b'\n').count();
        i = end;
    }
    tokens
}

//! Property test: real Python files from `fixtures/`, mutated at random (lines deleted, duplicated,
//! swapped, bytes inserted, text cut), never make the planner panic, whenever the mutated text
//! parses the incremental re-parse equals a full parse, and planning from scratch equals planning
//! incrementally (what the `fuzz/` target checks under libFuzzer, on arbitrary bytes).

mod common;

use limeade_plan::{plan, plan_incremental, ModuleMeta, ModuleSource, ParsedModule, Version};
use proptest::prelude::*;

fn corpus() -> &'static [String] {
    static CORPUS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    CORPUS.get_or_init(load_corpus)
}

fn load_corpus() -> Vec<String> {
    let mut files = Vec::new();
    for case in common::cases() {
        for module in common::load_case(&case) {
            for text in [module.old, module.new] {
                let parses = ParsedModule::parse("m.py", text.clone(), Version::Old).is_ok();
                if !text.is_empty() && parses {
                    files.push(text);
                }
            }
        }
    }
    files
}

#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Insert(usize, String),
    Truncate(usize),
    Indent(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (
            any::<usize>(),
            prop::sample::select(vec![
                "(",
                ")",
                "[",
                "]",
                ":",
                "\n",
                "    ",
                "\t",
                "\"",
                "'''",
                "f\"{",
                "\\",
                "#",
                "@",
                "def ",
                "class ",
                "lambda",
                " if ",
                "é",
                "\u{feff}",
                "\r\n",
                "\0",
                // Newer syntax the pre-pass rewrites (PEP 701, 750, 758, 696).
                "t\"{",
                "{\"",
                "\"}",
                "!r:{",
                " # c\n",
                ", B",
                " = int",
                "[T = int]",
                "\r",
                "\x0c",
                "\u{2028}",
                "return ",
                "yield ",
                "async ",
                "await ",
                "global x\n",
                "*",
            ])
            .prop_map(str::to_owned)
        )
            .prop_map(|(at, s)| Mutation::Insert(at, s)),
        any::<usize>().prop_map(Mutation::Truncate),
        any::<usize>().prop_map(Mutation::Indent),
    ]
}

fn apply(text: &str, mutation: &Mutation) -> String {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
    let n = lines.len().max(1);
    match mutation {
        Mutation::DeleteLine(i) if !lines.is_empty() => {
            lines.remove(i % n);
        }
        Mutation::DuplicateLine(i) if !lines.is_empty() => {
            let line = lines[i % n].clone();
            lines.insert(i % n, line);
        }
        Mutation::SwapLines(a, b) if !lines.is_empty() => lines.swap(a % n, b % n),
        Mutation::Indent(i) if !lines.is_empty() => lines[i % n].insert_str(0, "  "),
        Mutation::Insert(at, s) => {
            let mut text = lines.concat();
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text.insert_str(at, s);
            return text;
        }
        Mutation::Truncate(at) => {
            let text = lines.concat();
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            return text[..at].to_owned();
        }
        _ => {}
    }
    lines.concat()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn mutated_sources_never_panic_and_incremental_equals_full(
        file in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let corpus = corpus();
        let original = corpus[file.index(corpus.len())].clone();
        let mut mutated = original.clone();
        for m in &mutations {
            mutated = apply(&mutated, m);
        }
        let batch = [ModuleSource {
            meta: ModuleMeta { name: "m".to_owned(), path: "m.py".to_owned(), is_package: false },
            old: original.clone(),
            new: mutated.clone(),
        }];
        prop_assert_eq!(plan(&batch), plan_incremental(&batch));
        let old = ParsedModule::parse("m.py", original, Version::Old).expect("fixture parses");
        let full = ParsedModule::parse("m.py", mutated.clone(), Version::New);
        // Re-parsed from the kept form of a module nobody was editing: packed, encoded, thawed.
        let mut kept = old.clone();
        kept.pack();
        let thawed = kept.freeze().thaw().expect("a kept tree decodes");
        prop_assert_eq!(thawed.tree(), old.tree());
        let from_kept = thawed.reparse(mutated.clone());
        let incremental = old.reparse(mutated);
        match (&incremental, from_kept) {
            (Ok((a, _)), Ok((b, _))) => prop_assert_eq!(a.tree(), b.tree()),
            (Err(a), Err(b)) => prop_assert_eq!(a, &b),
            (a, b) => prop_assert!(false, "plain {:?} vs kept {:?}", a.as_ref().err(), b.err()),
        }
        match (full, incremental) {
            (Ok(full), Ok((incremental, _))) => prop_assert_eq!(full.tree(), incremental.tree()),
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (full, incremental) => prop_assert!(false, "full {:?} vs incremental {:?}", full.err(), incremental.err()),
        }
    }
}

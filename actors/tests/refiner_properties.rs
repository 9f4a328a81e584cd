#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Property tests: the Refiner never alters code or quotes, keeps every
//! original token in order, and is deterministic and idempotent.

use lantern_actors::refiner::{Proposal, RefineInput, RefinerConfig, protected_spans, refine};
use lantern_events::schema::{PromptContext, Selection};
use proptest::prelude::*;

/// One piece of a generated prompt; `protected` pieces must survive byte-for-byte.
#[derive(Debug, Clone)]
struct Piece {
    text: String,
    protected: Option<String>,
}

fn plain(text: String) -> Piece {
    Piece { text, protected: None }
}

fn kept(text: String) -> Piece {
    Piece { protected: Some(text.trim_matches('\n').to_owned()), text }
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[A-Za-z0-9,.?!:;()'/_-]{1,8}",
        2 => prop::sample::select(vec![
            "fix", "it", "this", "that", "why", "does", "fail", "panics", "the", "error", "implement", "write",
            "refactor", "explain", "add", "1.", "-", "#", "Expected", "output:", "src/lib.rs", "lib.rs",
        ])
        .prop_map(str::to_owned),
    ]
}

fn whitespace() -> impl Strategy<Value = String> {
    prop::sample::select(vec![" ", " ", " ", "  ", "   ", "\t", "\n", "\n\n", "\n\n\n\n", "  \n", " \n  \n", "\r\n"])
        .prop_map(str::to_owned)
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        6 => word().prop_map(plain),
        5 => whitespace().prop_map(plain),
        2 => "[a-z \"=.]{1,10}".prop_map(|c| kept(format!("`{c}`"))),
        2 => "[a-z .,`]{1,12}".prop_map(|c| kept(format!("\"{c}\""))),
        1 => "[a-z .]{1,12}".prop_map(|c| kept(format!("“{c}”"))),
        2 => ("(```|~~~)", "[a-z]{0,4}", prop::collection::vec("[a-z \t=(){}\">#-]{0,16}", 0..5)).prop_map(
            |(fence, lang, lines)| kept(format!("\n{fence}{lang}\n{}\n{fence}\n", lines.join("\n")))
        ),
        1 => "[a-z \"=]{0,14}".prop_map(|c| kept(format!("\n> {c}\n"))),
        1 => "[a-z=(]{1,4}[a-z \t=(]{0,10}".prop_map(|c| kept(format!("\n\n    {c}\n"))),
    ]
}

fn context() -> impl Strategy<Value = PromptContext> {
    let file = prop::option::of(prop::sample::select(vec!["src/lib.rs", "app/main.py", "README", "a b/c.ts"]));
    let lang = prop::option::of(prop::sample::select(vec!["Rust", "python", "C++"]));
    let sel = prop::option::of(("[a-z \n`{};=]{0,40}", prop::option::of(1u32..50)));
    (file, lang, sel).prop_map(|(file, lang, sel)| PromptContext {
        active_file: file.map(str::to_owned),
        language: lang.map(str::to_owned),
        selection: sel.map(|(text, start)| Selection {
            text: text.into(),
            start_line: start,
            end_line: start.map(|s| s + 3),
        }),
    })
}

fn run(prompt: &str, ctx: &PromptContext) -> Proposal {
    refine(&RefineInput::new(prompt, "claude-sonnet-4-5", ctx), &RefinerConfig::default())
}

/// Whether `needles` appear in `hay` in order (as a subsequence).
fn in_order<'a>(needles: impl IntoIterator<Item = &'a str>, hay: &'a str) -> bool {
    let mut hay = hay.split_whitespace();
    needles.into_iter().all(|n| hay.any(|h| h == n))
}

fn check(prompt: &str, ctx: &PromptContext) -> Result<(), TestCaseError> {
    let first = run(prompt, ctx);
    let refined = &first.refined;
    for span in protected_spans(prompt) {
        prop_assert!(refined.contains(span), "protected span {span:?} lost in {refined:?}");
    }
    prop_assert!(in_order(prompt.split_whitespace(), refined), "tokens out of order: {refined:?}");
    prop_assert_eq!(&run(prompt, ctx), &first, "not deterministic");
    let second = run(refined, ctx);
    prop_assert_eq!(&second.refined, refined, "refining twice changed the text");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn generated_prompts_keep_code_quotes_and_tokens(pieces in prop::collection::vec(piece(), 0..24), ctx in context()) {
        let prompt: String = pieces.iter().map(|p| p.text.as_str()).collect();
        let refined = run(&prompt, &ctx).refined;
        for p in pieces.iter().filter_map(|p| p.protected.as_deref()) {
            prop_assert!(refined.contains(p), "generated span {p:?} lost in {refined:?}");
        }
        check(&prompt, &ctx)?;
    }

    #[test]
    fn arbitrary_markup_soup_keeps_protected_spans_and_tokens(
        prompt in "[a-z A-Z0-9`\"“”>~#*.?\n\t\r-]{0,160}",
        ctx in context(),
    ) {
        check(&prompt, &ctx)?;
    }

    #[test]
    fn arbitrary_unicode_never_panics_and_keeps_tokens(prompt in "\\PC{0,120}") {
        check(&prompt, &PromptContext::default())?;
    }
}

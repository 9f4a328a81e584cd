#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Given/when/then tests of the Refiner's rules, rubric, anchors and stamp.

use lantern_actors::refiner::{REFINER_VERSION, RefineInput, RefinerConfig, ToolDefs, estimate_tokens, refine};
use lantern_events::schema::{
    AnchorTarget, CacheOutlook, ChangeKind, OutlookVerdict, PromptContext, PromptOutlook, RefinementOrigin, Selection,
};

const MODEL: &str = "claude-sonnet-4-5";

fn kinds(prompt: &str, ctx: &PromptContext) -> (String, Vec<ChangeKind>) {
    let p = refine(&RefineInput::new(prompt, MODEL, ctx), &RefinerConfig::default());
    (p.refined, p.changes.iter().map(|c| c.kind).collect())
}

fn rust_selection(text: &str, lines: Option<(u32, u32)>) -> PromptContext {
    PromptContext {
        active_file: Some("src/parse.rs".into()),
        language: Some("Rust".into()),
        selection: Some(Selection { text: text.into(), start_line: lines.map(|l| l.0), end_line: lines.map(|l| l.1) }),
    }
}

#[test]
fn a_debug_ask_with_an_error_message_gets_structure_and_expected_output() {
    // Given a debug ask with a pasted compiler error and no stated output
    let prompt = "Why does this not compile?\n\n```\nerror[E0382]: borrow of moved value: `v`\n```";
    // When it is refined
    let (refined, kinds) = kinds(prompt, &PromptContext::default());
    // Then a debug structure and an expected output follow the untouched prompt
    assert_eq!(kinds, vec![ChangeKind::AddedStructure, ChangeKind::StatedExpectedOutput]);
    assert!(refined.starts_with(prompt));
    assert!(refined.contains("1. Root cause"), "{refined}");
    assert!(refined.contains("Expected output: the root cause"), "{refined}");
}

#[test]
fn implement_and_refactor_asks_get_their_own_structure() {
    let (implement, _) = kinds("Implement an LRU cache with a fixed capacity in Rust.", &PromptContext::default());
    assert!(implement.contains("2. Implementation: the code."), "{implement}");
    assert!(implement.contains("Expected output: complete Rust code in one fenced block"), "{implement}");
    let (refactor, _) = kinds("Refactor `load_config` into smaller functions.", &PromptContext::default());
    assert!(refactor.contains("1. Plan:"), "{refactor}");
    assert!(refactor.contains("the refactored code in a fenced block"), "{refactor}");
}

#[test]
fn an_explain_ask_gets_an_expected_output_but_no_structure() {
    let (refined, kinds) = kinds("Explain how `Pin` works with async blocks.", &PromptContext::default());
    assert_eq!(kinds, vec![ChangeKind::StatedExpectedOutput], "{refined}");
}

#[test]
fn an_already_structured_prompt_is_left_alone() {
    // Given a prompt that names its file, is structured and states its output
    let prompt = "Implement `parse_date(s: &str) -> Option<Date>` in `src/date.rs`.\n\n\
                  1. Accept ISO-8601 dates.\n2. Return None on anything else.\n\n\
                  Expected output: the function and its unit tests in one Rust block.";
    let ctx = PromptContext { active_file: Some("src/date.rs".into()), ..Default::default() };
    // When it is refined
    let p = refine(&RefineInput::new(prompt, MODEL, &ctx), &RefinerConfig::default());
    // Then nothing changes
    assert_eq!(p.refined, prompt);
    assert!(p.changes.is_empty(), "{:?}", p.changes);
    assert_eq!(p.tokens_before, p.tokens_after);
    assert_eq!(p.quality.before, p.quality.after);
}

#[test]
fn the_active_file_is_named_unless_the_prompt_names_it() {
    let ctx = PromptContext { active_file: Some("src/net/client.rs".into()), ..Default::default() };
    let (refined, changed) = kinds("Add a retry with backoff to the connect call.", &ctx);
    assert!(refined.starts_with("Active file: `src/net/client.rs` (Rust).\n\n"), "{refined}");
    assert_eq!(changed[0], ChangeKind::InjectedFileContext);

    let (_, changed) = kinds("In client.rs, add a retry with backoff to the connect call.", &ctx);
    assert!(!changed.contains(&ChangeKind::InjectedFileContext));
}

#[test]
fn the_selection_is_attached_with_its_language_file_and_lines() {
    // Given a selection in a Rust file
    let ctx = rust_selection("fn parse(s: &str) -> u32 {\n    s.parse().unwrap()\n}\n", Some((10, 12)));
    // When an ask about it is refined
    let (refined, kinds) = kinds("Why does parse panic on empty input?", &ctx);
    // Then it is attached as a rust fence with the file and the line range, before the question
    let expected = "Selected code from `src/parse.rs`, lines 10–12:\n```rust\nfn parse(s: &str) -> u32 {\n    \
                    s.parse().unwrap()\n}\n```\n\nWhy does parse panic on empty input?";
    assert!(refined.contains(expected), "{refined}");
    assert!(kinds.contains(&ChangeKind::AttachedSelection));
}

#[test]
fn a_selection_already_in_the_prompt_is_not_attached_twice() {
    let ctx = rust_selection("x.unwrap()", None);
    let (_, kinds) = kinds("Should I replace `x.unwrap()` with `?` here?", &ctx);
    assert!(!kinds.contains(&ChangeKind::AttachedSelection));
}

#[test]
fn a_selection_with_backtick_fences_gets_a_longer_fence() {
    let ctx = PromptContext {
        selection: Some(Selection { text: "Use:\n```\ncargo test\n```".into(), start_line: None, end_line: None }),
        ..Default::default()
    };
    let (refined, _) = kinds("Explain this snippet.", &ctx);
    assert!(refined.starts_with("Selected code:\n````\nUse:\n```\ncargo test\n```\n````\n\n"), "{refined}");
}

#[test]
fn fix_it_with_no_context_is_flagged_and_not_rewritten() {
    // Given "fix it" and no context at all
    let p = refine(&RefineInput::new("fix it", MODEL, &PromptContext::default()), &RefinerConfig::default());
    // Then the text is unchanged and the only change tells the user what to attach
    assert_eq!(p.refined, "fix it");
    assert_eq!(p.changes.len(), 1);
    let flag = &p.changes[0];
    assert_eq!(flag.kind, ChangeKind::FlaggedVagueReference);
    assert_eq!(flag.tokens_added, 0);
    assert!(flag.description.contains("\"fix it\"") && flag.description.contains("attach"), "{}", flag.description);
    let refs = p.quality.before.criteria.iter().find(|c| c.name == "resolved references").unwrap();
    assert_eq!(refs.points, 0);
}

#[test]
fn a_vague_reference_is_not_flagged_when_context_resolves_it() {
    let ctx = rust_selection("let n = v[3];", Some((7, 7)));
    let (_, kinds) = kinds("why does this panic?", &ctx);
    assert!(!kinds.contains(&ChangeKind::FlaggedVagueReference));
    assert!(kinds.contains(&ChangeKind::AttachedSelection));
}

#[test]
fn whitespace_is_normalised_outside_code_only() {
    // Given messy prose around a code block, a quote and inline code that all hold odd spacing
    let prompt = "\n\nPlease   explain  `a  b`   here.   \n\n\n\n```py\nx  =  1    \n\n\n\ny = 2\n```\n\
                  > keep    this   \nand \"these   spaces\"  too.  \n\n\n";
    // When only whitespace normalisation runs
    let mut config = RefinerConfig::default();
    config.rules.state_expected_output = false;
    let p = refine(&RefineInput::new(prompt, MODEL, &PromptContext::default()), &config);
    // Then prose is tidied and everything protected is byte-for-byte the same
    let expected = "Please explain `a  b` here.\n\n```py\nx  =  1    \n\n\n\ny = 2\n```\n> keep    this   \n\
                    and \"these   spaces\" too.";
    assert_eq!(p.refined, expected);
    assert_eq!(p.changes.len(), 1);
    assert_eq!(p.changes[0].kind, ChangeKind::NormalisedWhitespace);
}

#[test]
fn token_deltas_add_up_to_the_token_difference() {
    let ctx = rust_selection("fn main() {}", Some((1, 1)));
    let p = refine(&RefineInput::new("Refactor   main  please", MODEL, &ctx), &RefinerConfig::default());
    assert!(p.changes.len() >= 4, "{:?}", p.changes);
    let sum: i64 = p.changes.iter().map(|c| i64::from(c.tokens_added)).sum();
    assert_eq!(sum, i64::from(p.tokens_after) - i64::from(p.tokens_before));
    assert_eq!(p.tokens_before, estimate_tokens("Refactor   main  please"));
}

#[test]
fn the_quality_estimate_rises_with_the_refinement_and_stays_within_100() {
    let ctx = rust_selection("fn main() {}", Some((1, 1)));
    let p = refine(&RefineInput::new("Why does main crash?", MODEL, &ctx), &RefinerConfig::default());
    assert!(p.quality.after.total > p.quality.before.total, "{:?}", p.quality);
    for s in [&p.quality.before, &p.quality.after] {
        assert_eq!(s.max_total, 100);
        assert!(s.criteria.iter().all(|c| c.points <= c.max_points && !c.note.is_empty()));
    }
}

fn long_doc(lines: usize) -> String {
    let body: Vec<String> = (0..lines).map(|i| format!("let value_{i} = compute(input, {i});")).collect();
    format!("```rust\n{}\n```", body.join("\n"))
}

#[test]
fn anchors_respect_the_model_minimum_prefix() {
    // Given tools of 1500 tokens and a short system prompt
    let ctx = PromptContext::default();
    let mut input = RefineInput::new("Explain the retry policy.", MODEL, &ctx);
    input.tools = Some(ToolDefs::Tokens(1500));
    input.system = Some("You are a careful reviewer.");
    // When sent to Sonnet 4.5 (1024 minimum), the tools and system prefixes qualify
    let p = refine(&input, &RefinerConfig::default());
    let targets: Vec<_> = p.anchors.iter().map(|a| a.target.clone()).collect();
    assert_eq!(targets, vec![AnchorTarget::Tools, AnchorTarget::System]);
    assert_eq!(p.anchors[0].prefix_tokens, 1500);
    // When sent to Haiku 4.5 (4096 minimum), nothing qualifies
    input.model = "claude-haiku-4-5-20251001";
    assert!(refine(&input, &RefinerConfig::default()).anchors.is_empty());
    // And with no tools or system, a short prompt gets no anchor
    assert!(refine(&RefineInput::new("hi", MODEL, &ctx), &RefinerConfig::default()).anchors.is_empty());
}

#[test]
fn long_documents_in_the_message_get_anchors_but_never_more_than_four() {
    // Given tools, a system prompt and five long fenced documents in the message
    let docs: Vec<String> = (0..5).map(|_| long_doc(60)).collect();
    let prompt = format!("Review these modules.\n\n{}\n\nWhich one is slowest?", docs.join("\n\n"));
    let system = "word ".repeat(1200);
    let ctx = PromptContext::default();
    let mut input = RefineInput::new(&prompt, MODEL, &ctx);
    input.tools = Some(ToolDefs::Tokens(2000));
    input.system = Some(&system);
    // When refined
    let p = refine(&input, &RefinerConfig::default());
    // Then there are four anchors: tools, system, the first document, and the last one
    assert_eq!(p.anchors.len(), 4, "{:?}", p.anchors);
    assert_eq!(p.anchors[0].target, AnchorTarget::Tools);
    assert_eq!(p.anchors[1].target, AnchorTarget::System);
    assert_eq!(p.anchors[2].target, AnchorTarget::Message { message: 0, block: 0 });
    assert_eq!(p.anchors[3].target, AnchorTarget::Message { message: 0, block: 4 });
    assert!(p.anchors.windows(2).all(|w| w[0].prefix_tokens < w[1].prefix_tokens));
    assert!(p.anchors.iter().all(|a| a.prefix_tokens >= 1024));
    // And a config limit below four is honoured
    let config = RefinerConfig { max_anchors: 1, ..Default::default() };
    assert_eq!(refine(&input, &config).anchors.len(), 1);
}

#[test]
fn a_document_anchor_needs_the_cumulative_prefix_to_reach_the_minimum() {
    let ctx = PromptContext::default();
    let small = format!("Explain:\n\n{}", long_doc(60));
    let tokens = estimate_tokens(&small);
    assert!((256..1024).contains(&tokens), "{tokens}");
    let mut input = RefineInput::new(&small, MODEL, &ctx);
    assert!(refine(&input, &RefinerConfig::default()).anchors.is_empty());
    input.tools = Some(ToolDefs::Tokens(1024 - tokens + 100));
    let anchors = refine(&input, &RefinerConfig::default()).anchors;
    assert_eq!(anchors.len(), 1, "{anchors:?}");
    assert_eq!(anchors[0].target, AnchorTarget::Message { message: 0, block: 0 });
}

#[test]
fn the_config_hash_is_stable_and_changes_with_the_config() {
    let a = RefinerConfig::default();
    assert_eq!(a.hash(), RefinerConfig::default().hash());
    assert_eq!(a.hash().len(), 16);
    let mut b = a.clone();
    b.rules.add_structure = false;
    let mut c = a.clone();
    c.min_cacheable.entries[0].tokens = 2048;
    let mut d = a.clone();
    d.anchor_ttl = lantern_events::schema::CacheTtl::OneHour;
    let hashes = [a.hash(), b.hash(), c.hash(), d.hash()];
    for (i, x) in hashes.iter().enumerate() {
        for y in &hashes[i + 1..] {
            assert_ne!(x, y);
        }
    }
    let round_trip: RefinerConfig = serde_json::from_str(&serde_json::to_string(&b).unwrap()).unwrap();
    assert_eq!(round_trip.hash(), b.hash());
}

#[test]
fn the_event_carries_the_stamp_and_the_outlook() {
    let config = RefinerConfig::default();
    let p = refine(&RefineInput::new("Write a CSV parser in Python.", MODEL, &PromptContext::default()), &config);
    let outlook = CacheOutlook {
        original: PromptOutlook { nearest_similarity: None, verdict: OutlookVerdict::NoCandidate },
        refined: PromptOutlook { nearest_similarity: Some(0.5), verdict: OutlookVerdict::BelowThreshold },
    };
    let event = p.clone().into_event(outlook.clone());
    assert_eq!(event.original.as_str(), Some("Write a CSV parser in Python."));
    assert_eq!(event.refined.as_str(), Some(p.refined.as_str()));
    assert_eq!(event.cache_outlook, outlook);
    assert_eq!(event.origin, RefinementOrigin::Rules);
    assert_eq!(event.refiner.version, REFINER_VERSION);
    assert_eq!(event.refiner.config_hash, config.hash());
}

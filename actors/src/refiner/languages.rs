//! Language names: from file extensions and from words in prose.

/// `(display name, fence tag)` for a file extension.
pub(crate) fn language_for_extension(ext: &str) -> Option<(&'static str, &'static str)> {
    let found = match ext.to_ascii_lowercase().as_str() {
        "rs" => ("Rust", "rust"),
        "py" | "pyi" => ("Python", "python"),
        "ts" => ("TypeScript", "typescript"),
        "tsx" => ("TypeScript (TSX)", "tsx"),
        "js" | "mjs" | "cjs" => ("JavaScript", "javascript"),
        "jsx" => ("JavaScript (JSX)", "jsx"),
        "go" => ("Go", "go"),
        "java" => ("Java", "java"),
        "kt" | "kts" => ("Kotlin", "kotlin"),
        "c" | "h" => ("C", "c"),
        "cc" | "cpp" | "cxx" | "hpp" | "hh" => ("C++", "cpp"),
        "cs" => ("C#", "csharp"),
        "rb" => ("Ruby", "ruby"),
        "php" => ("PHP", "php"),
        "swift" => ("Swift", "swift"),
        "scala" => ("Scala", "scala"),
        "sh" | "bash" => ("Shell", "bash"),
        "sql" => ("SQL", "sql"),
        "html" => ("HTML", "html"),
        "css" => ("CSS", "css"),
        "toml" => ("TOML", "toml"),
        "yaml" | "yml" => ("YAML", "yaml"),
        "json" => ("JSON", "json"),
        "md" => ("Markdown", "markdown"),
        "lua" => ("Lua", "lua"),
        "zig" => ("Zig", "zig"),
        "ex" | "exs" => ("Elixir", "elixir"),
        "hs" => ("Haskell", "haskell"),
        "dart" => ("Dart", "dart"),
        _ => return None,
    };
    Some(found)
}

/// Language names recognised in prose: `(lowercase word, display name, fence tag)`.
/// `go` is left out: it is an ordinary word.
const LANGUAGE_WORDS: &[(&str, &str, &str)] = &[
    ("rust", "Rust", "rust"),
    ("python", "Python", "python"),
    ("typescript", "TypeScript", "typescript"),
    ("javascript", "JavaScript", "javascript"),
    ("golang", "Go", "go"),
    ("java", "Java", "java"),
    ("kotlin", "Kotlin", "kotlin"),
    ("c++", "C++", "cpp"),
    ("c#", "C#", "csharp"),
    ("ruby", "Ruby", "ruby"),
    ("php", "PHP", "php"),
    ("swift", "Swift", "swift"),
    ("scala", "Scala", "scala"),
    ("bash", "Bash", "bash"),
    ("sql", "SQL", "sql"),
    ("html", "HTML", "html"),
    ("css", "CSS", "css"),
    ("lua", "Lua", "lua"),
    ("zig", "Zig", "zig"),
    ("elixir", "Elixir", "elixir"),
    ("haskell", "Haskell", "haskell"),
    ("dart", "Dart", "dart"),
];

/// The first language named in `prose`, as `(display name, fence tag)`.
pub(crate) fn language_named_in(prose: &str) -> Option<(&'static str, &'static str)> {
    let lower = prose.to_lowercase();
    let words = lower.split(|c: char| !(c.is_alphanumeric() || matches!(c, '+' | '#')));
    words.filter_map(|w| LANGUAGE_WORDS.iter().find(|(word, ..)| *word == w)).map(|(_, name, tag)| (*name, *tag)).next()
}

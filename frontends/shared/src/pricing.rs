//! Input prices per model, to estimate what sending a prompt costs.
//!
//! The table is Widget-Log's default `[pricing]` (USD per million input
//! tokens, longest model-name prefix wins); a test keeps the two in step.

/// (model prefix, USD per million input tokens, USD per million output tokens).
const PRICES: [(&str, f64, f64); 5] = [
    ("claude-opus-4", 15.0, 75.0),
    ("claude-sonnet-4", 3.0, 15.0),
    ("claude-3-7-sonnet", 3.0, 15.0),
    ("claude-3-5-haiku", 0.8, 4.0),
    ("claude-haiku-4", 1.0, 5.0),
];

/// Price of a model not in the table.
const DEFAULT: (f64, f64) = (3.0, 15.0);

/// USD per million input tokens for `model`.
pub fn input_per_million(model: &str) -> f64 {
    PRICES
        .iter()
        .filter(|(prefix, _, _)| model.starts_with(prefix))
        .max_by_key(|(prefix, _, _)| prefix.len())
        .map_or(DEFAULT.0, |(_, input, _)| *input)
}

/// Estimated USD cost of sending `tokens` input tokens to `model`.
pub fn input_cost(model: &str, tokens: u32) -> f64 {
    f64::from(tokens) * input_per_million(model) / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins_and_unknown_models_get_the_default() {
        assert_eq!(input_per_million("claude-sonnet-4-5"), 3.0);
        assert_eq!(input_per_million("claude-opus-4-1"), 15.0);
        assert_eq!(input_per_million("gpt-4o"), DEFAULT.0);
        assert!((input_cost("claude-opus-4", 1_000) - 0.015).abs() < 1e-12);
    }

    /// The table mirrors widget-log's defaults.toml; fail when they drift apart.
    #[test]
    fn table_matches_widget_log_defaults() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../widget-log/src/widget_log/defaults.toml");
        let toml = std::fs::read_to_string(path).unwrap();
        let section = toml.split("[pricing]").nth(1).unwrap();
        let mut rows = 0;
        for line in section.lines().take_while(|l| !l.trim_start().starts_with('[')) {
            let Some((name, rest)) = line.split_once('=') else { continue };
            let name = name.trim().trim_matches('"');
            let number = |key: &str| -> f64 {
                let after = rest.split(key).nth(1).unwrap().trim_start_matches([' ', '=']);
                after.split([',', ' ', '}']).next().unwrap().parse().unwrap()
            };
            let (input, output) = (number("input"), number("output"));
            if name == "default" {
                assert_eq!((input, output), DEFAULT);
            } else {
                let row = PRICES.iter().find(|(p, _, _)| *p == name).unwrap_or_else(|| panic!("{name} missing"));
                assert_eq!((row.1, row.2), (input, output), "{name}");
            }
            rows += 1;
        }
        assert_eq!(rows, PRICES.len() + 1);
    }
}

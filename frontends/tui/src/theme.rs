//! Styles: colours by default; with `NO_COLOR` set (or `--monochrome`),
//! only bold, underline, reverse and strike-through, so that every mark
//! still reads on a terminal without colour.

use ratatui::style::{Color, Modifier, Style};

/// The styles a view draws with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Whether colours are off.
    pub monochrome: bool,
}

impl Theme {
    /// The theme the environment asks for: monochrome when `NO_COLOR` is set
    /// to anything non-empty (<https://no-color.org>) or `monochrome` holds.
    pub fn from_env(monochrome: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self { monochrome: monochrome || no_color }
    }

    fn pick(&self, colour: Style, mono: Style) -> Style {
        if self.monochrome { mono } else { colour }
    }

    /// Headings and the names of things.
    pub fn strong(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// Secondary text: metadata, hints.
    pub fn weak(&self) -> Style {
        self.pick(Style::new().fg(Color::DarkGray), Style::new().add_modifier(Modifier::DIM))
    }

    /// The selected row.
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// A whole line only in the original.
    pub fn removed_line(&self) -> Style {
        self.pick(Style::new().fg(Color::Red), Style::new())
    }

    /// A whole line only in the refined prompt.
    pub fn added_line(&self) -> Style {
        self.pick(Style::new().fg(Color::Green), Style::new())
    }

    /// A word removed within a line.
    pub fn removed_word(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Black).bg(Color::Red),
            Style::new().add_modifier(Modifier::CROSSED_OUT | Modifier::BOLD),
        )
    }

    /// A word added within a line.
    pub fn added_word(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Black).bg(Color::Green),
            Style::new().add_modifier(Modifier::UNDERLINED | Modifier::BOLD),
        )
    }

    /// A line inside a fenced code block.
    pub fn code(&self) -> Style {
        self.pick(Style::new().fg(Color::Cyan), Style::new())
    }

    /// Something went wrong.
    pub fn error(&self) -> Style {
        self.pick(Style::new().fg(Color::Red).add_modifier(Modifier::BOLD), Style::new().add_modifier(Modifier::BOLD))
    }

    /// A warning (a flagged answer).
    pub fn warn(&self) -> Style {
        self.pick(Style::new().fg(Color::Yellow), Style::new().add_modifier(Modifier::ITALIC))
    }

    /// The key names in hints and help.
    pub fn key(&self) -> Style {
        self.pick(Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD), Style::new().add_modifier(Modifier::BOLD))
    }
}

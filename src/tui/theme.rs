//! Colours and styles, in one place; the palette is chosen at start-up from the settings
//! file (`theme = "dark" | "light" | "mono"`).

use std::sync::atomic::{AtomicU8, Ordering};

use ratatui::style::{Color, Modifier, Style};

/// The palettes a user can pick.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThemeName {
    /// Cyan accents on a dark terminal.
    #[default]
    Dark,
    /// Blue accents that stay readable on a light background.
    Light,
    /// No colours at all: bold and reverse only (for monochrome terminals and screen
    /// readers).
    Mono,
}

static THEME: AtomicU8 = AtomicU8::new(0);

/// Makes `name` the palette of every style below.
pub fn set_theme(name: ThemeName) {
    THEME.store(name as u8, Ordering::Relaxed);
}

/// The palette in use.
pub fn current() -> ThemeName {
    match THEME.load(Ordering::Relaxed) {
        1 => ThemeName::Light,
        2 => ThemeName::Mono,
        _ => ThemeName::Dark,
    }
}

fn colour(dark: Color, light: Color) -> Option<Color> {
    match current() {
        ThemeName::Dark => Some(dark),
        ThemeName::Light => Some(light),
        ThemeName::Mono => None,
    }
}

fn fg(style: Style, c: Option<Color>) -> Style {
    match c {
        Some(c) => style.fg(c),
        None => style,
    }
}

/// The accent colour (charts, gauges).
pub fn accent() -> Color {
    colour(Color::Cyan, Color::Blue).unwrap_or(Color::Reset)
}

/// Good news (gains).
pub fn good() -> Color {
    colour(Color::Green, Color::Green).unwrap_or(Color::Reset)
}

pub fn title() -> Style {
    fg(Style::new(), colour(Color::Cyan, Color::Blue)).add_modifier(Modifier::BOLD)
}

pub fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

pub fn muted() -> Style {
    match current() {
        ThemeName::Mono => Style::new().add_modifier(Modifier::DIM),
        _ => fg(Style::new(), colour(Color::DarkGray, Color::Gray)),
    }
}

pub fn error() -> Style {
    match current() {
        ThemeName::Mono => Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        _ => fg(Style::new(), colour(Color::Red, Color::Red)),
    }
}

pub fn key() -> Style {
    fg(Style::new(), colour(Color::Cyan, Color::Blue)).add_modifier(Modifier::BOLD)
}

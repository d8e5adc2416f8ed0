//! The status line under every screen: the last thing that happened, and whether it went
//! wrong. The level is set where the message is made, so the colour never depends on
//! which words the message happens to contain.

use std::fmt;

/// How loudly the status line shows a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Level {
    /// Progress and results: muted.
    #[default]
    Info,
    /// Something the user must act on (a refused form, a failed job): the error colour.
    Error,
}

/// One message for the status line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Status {
    pub level: Level,
    pub text: String,
}

impl Status {
    /// A message about progress or a result.
    pub fn info(text: impl Into<String>) -> Self {
        Self {
            level: Level::Info,
            text: text.into(),
        }
    }

    /// A message about something that failed or was refused.
    pub fn error(text: impl Into<String>) -> Self {
        Self {
            level: Level::Error,
            text: text.into(),
        }
    }

    /// True when there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Empties the line.
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

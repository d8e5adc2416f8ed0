//! The one line editor behind every text box of the workbench: the palette, the `/`
//! filters, Inspect's customer search, the Tune form's fields and the Export
//! destination. Each box answers the same keys because they all end here.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key did to a line being typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEdit {
    /// The text changed.
    Changed,
    /// Enter: typing is over and the text stands.
    Submit,
    /// Esc: typing is over; boxes that keep a previous value go back to it.
    Cancel,
    /// The key means nothing here (the box's owner may use it, e.g. Tab).
    Ignored,
}

impl LineEdit {
    /// Enter or Esc.
    pub fn is_done(self) -> bool {
        matches!(self, LineEdit::Submit | LineEdit::Cancel)
    }
}

/// Applies `key` to `text`: printable characters are added, Backspace removes the last
/// one, Ctrl-W the last word and Ctrl-U the whole line (as in a shell), Enter submits and
/// Esc cancels.
pub fn edit_line(text: &mut String, key: KeyEvent) -> LineEdit {
    let control = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Enter => LineEdit::Submit,
        KeyCode::Esc => LineEdit::Cancel,
        KeyCode::Backspace => {
            text.pop();
            LineEdit::Changed
        }
        KeyCode::Char('u') if control => {
            text.clear();
            LineEdit::Changed
        }
        KeyCode::Char('w') if control => {
            let kept = text.trim_end().rfind(' ').map_or(0, |at| at + 1);
            text.truncate(kept);
            LineEdit::Changed
        }
        KeyCode::Char(c) if !control && !c.is_control() => {
            text.push(c);
            LineEdit::Changed
        }
        _ => LineEdit::Ignored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(text: &mut String, code: KeyCode, modifiers: KeyModifiers) -> LineEdit {
        edit_line(text, KeyEvent::new(code, modifiers))
    }

    #[test]
    fn typing_deleting_and_finishing() {
        let mut t = String::new();
        let none = KeyModifiers::NONE;
        for c in "open data/x.csv".chars() {
            assert_eq!(press(&mut t, KeyCode::Char(c), none), LineEdit::Changed);
        }
        assert_eq!(press(&mut t, KeyCode::Backspace, none), LineEdit::Changed);
        assert_eq!(t, "open data/x.cs");
        assert_eq!(
            press(&mut t, KeyCode::Char('w'), KeyModifiers::CONTROL),
            LineEdit::Changed
        );
        assert_eq!(t, "open ");
        assert_eq!(
            press(&mut t, KeyCode::Char('u'), KeyModifiers::CONTROL),
            LineEdit::Changed
        );
        assert_eq!(t, "");
        assert_eq!(press(&mut t, KeyCode::Tab, none), LineEdit::Ignored);
        assert_eq!(press(&mut t, KeyCode::Enter, none), LineEdit::Submit);
        assert_eq!(press(&mut t, KeyCode::Esc, none), LineEdit::Cancel);
        assert!(LineEdit::Submit.is_done() && LineEdit::Cancel.is_done());
        assert!(!LineEdit::Changed.is_done());
    }
}

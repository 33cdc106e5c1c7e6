//! A section's running text: lowercase, lines joined, each byte knowing its line and column.

/// Running text with the line and column of every byte.
#[derive(Default)]
pub(crate) struct Prose {
    pub text: String,
    at: Vec<(usize, usize)>,
}

impl Prose {
    pub(super) fn push(&mut self, c: char, line: usize, column: usize) {
        self.text.push(c);
        self.at
            .extend(std::iter::repeat_n((line, column), c.len_utf8()));
    }

    /// A blank line (or one left out): quotes do not run across it.
    pub(super) fn paragraph_break(&mut self, line: usize) {
        if !self.text.ends_with('\n') {
            self.push('\n', line, 1);
        }
    }

    /// Line and column of byte `i` of `text`.
    pub fn position(&self, i: usize) -> (usize, usize) {
        self.at.get(i).copied().unwrap_or((1, 1))
    }

    /// Text in double quotes (`"…"`, `“…”`) is someone else's words: blanked out, up to the end
    /// of its paragraph when the quote is never closed.
    pub(super) fn mask_quotes(&mut self) {
        let mut out = String::with_capacity(self.text.len());
        let mut at = Vec::with_capacity(self.at.len());
        let mut open: Option<char> = None;
        for (i, c) in self.text.char_indices() {
            let blank = match (open, c) {
                (_, '\n') => {
                    open = None;
                    false
                }
                (None, '"') => {
                    open = Some('"');
                    true
                }
                (None, '“') => {
                    open = Some('”');
                    true
                }
                (Some(close), c) if c == close => {
                    open = None;
                    true
                }
                (Some(_), _) => true,
                (None, _) => false,
            };
            let pos = self.at.get(i).copied().unwrap_or((1, 1));
            let c = if blank { ' ' } else { c };
            out.push(c);
            at.extend(std::iter::repeat_n(pos, c.len_utf8()));
        }
        self.text = out;
        self.at = at;
    }
}

//! Python's `shlex.split` (POSIX mode, no comments), character for character:
//! botocore splits section headers (`[profile "my name"]`, `configloader.py`
//! `_parse_section`) and, on Unix, the `credential_process` line
//! (`compat_shell_split`; its Windows rules are in `process_line`) with it, so
//! sso-helper must split them the same way.
//!
//! The rules (CPython `Lib/shlex.py`, `read_token`): words are separated by space,
//! tab, CR and LF only; `'…'` takes everything literally; `"…"` takes everything
//! literally except that a backslash escapes `"` or `\` (before any other character
//! the backslash is kept); outside quotes a backslash takes the next character
//! literally, whatever it is; `''` and `""` make an empty word. An unclosed quote
//! or a trailing backslash is an error (`None`), as Python raises `ValueError`.

const WHITESPACE: [char; 4] = [' ', '\t', '\r', '\n'];

/// The words of `s`, or `None` where Python's `shlex.split` raises `ValueError`.
pub fn split(s: &str) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        /// Between words.
        Between,
        /// In a word, outside quotes.
        Word,
        /// Inside `'…'` or `"…"`.
        Quoted(char),
        /// After a backslash; the state to return to.
        Escape(Escaped),
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Escaped {
        Word,
        InDouble,
    }
    let mut words = Vec::new();
    let mut word = String::new();
    // An empty word counts when it came from quotes (`''`).
    let mut quoted = false;
    let mut state = State::Between;
    for c in s.chars() {
        match state {
            State::Between | State::Word => {
                if WHITESPACE.contains(&c) {
                    if state == State::Word || quoted {
                        words.push(std::mem::take(&mut word));
                        quoted = false;
                    }
                    state = State::Between;
                } else if c == '\\' {
                    state = State::Escape(Escaped::Word);
                } else if c == '\'' || c == '"' {
                    state = State::Quoted(c);
                    quoted = true;
                } else {
                    word.push(c);
                    state = State::Word;
                }
            }
            State::Quoted(q) => {
                if c == q {
                    state = State::Word;
                } else if q == '"' && c == '\\' {
                    state = State::Escape(Escaped::InDouble);
                } else {
                    word.push(c);
                }
            }
            State::Escape(from) => {
                if from == Escaped::InDouble && c != '"' && c != '\\' {
                    word.push('\\');
                }
                word.push(c);
                state = match from {
                    Escaped::Word => State::Word,
                    Escaped::InDouble => State::Quoted('"'),
                };
            }
        }
    }
    match state {
        State::Quoted(_) | State::Escape(_) => None,
        State::Word => {
            words.push(word);
            Some(words)
        }
        State::Between => {
            if quoted {
                words.push(word);
            }
            Some(words)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split;

    fn words(s: &str) -> Vec<String> {
        split(s).unwrap_or_else(|| panic!("{s:?} should split"))
    }

    #[test]
    fn the_rules_of_python_shlex() {
        // Each expectation was printed by Python 3.11's shlex.split.
        assert_eq!(words("profile  dev "), ["profile", "dev"]);
        assert_eq!(words("profile \"my dev\""), ["profile", "my dev"]);
        assert_eq!(words("profile 'a\\b'"), ["profile", "a\\b"]);
        assert_eq!(words(r#"a"b\"c\\d\e"f"#), [r#"ab"c\d\ef"#]);
        assert_eq!(words(r"a\ b\\c"), ["a b\\c"]);
        assert_eq!(words("x '' \"\""), ["x", "", ""]);
        assert_eq!(words("a''b"), ["ab"]);
        assert_eq!(words("\u{a0}x\u{a0}"), ["\u{a0}x\u{a0}"]);
        assert_eq!(words("a\tb\rc\nd"), ["a", "b", "c", "d"]);
        assert_eq!(words(""), Vec::<String>::new());
        assert_eq!(words("''"), [""]);
        assert_eq!(split("'open"), None);
        assert_eq!(split("\"open\\\""), None);
        assert_eq!(split("trailing\\"), None);
    }
}

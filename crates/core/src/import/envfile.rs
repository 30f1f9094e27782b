//! `.env` files, as docker compose reads them: `KEY=VALUE` lines, an optional
//! `export ` prefix, `#` comments, blank lines, single-quoted values (taken
//! literally), double-quoted values (with `\"`, `\\` and `\n` escapes), a
//! trailing ` # comment` after an unquoted value, LF or CRLF line endings and
//! a last line without a newline. Values are taken literally: `$VAR` is not
//! expanded.
//!
//! [`parse`] is pure. It keeps every line's byte range, so [`EnvFile::scrub`]
//! can replace some lines and leave every other byte of the file as it was.
//! Values are held as [`SecretString`] (any of them may be a secret), and no
//! error repeats a value or the text of a line.

use std::collections::BTreeSet;
use std::fmt;

use secrecy::SecretString;

use super::Problem;

const BOM: char = '\u{feff}';

/// A parsed `.env` file, borrowing its text. `Debug` shows the line count
/// only: the text holds secrets.
pub struct EnvFile<'a> {
    text: &'a str,
    lines: Vec<Line>,
}

impl fmt::Debug for EnvFile<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvFile")
            .field("lines", &self.lines.len())
            .finish_non_exhaustive()
    }
}

/// One line of the file.
#[derive(Debug)]
pub struct Line {
    /// 1-based.
    pub number: usize,
    /// Byte offset of the line in the file.
    pub start: usize,
    /// Where the content starts: after a byte-order mark on the first line.
    pub content_start: usize,
    /// Where the content ends and the line ending (`\n`, `\r\n` or nothing) starts.
    pub content_end: usize,
    /// Byte offset just past the line ending.
    pub end: usize,
    pub kind: LineKind,
}

#[derive(Debug)]
pub enum LineKind {
    Blank,
    Comment,
    Assignment(Assignment),
}

/// `KEY=VALUE`. `Debug` shows the key only.
pub struct Assignment {
    pub key: String,
    pub value: SecretString,
    pub exported: bool,
}

impl fmt::Debug for Assignment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Assignment")
            .field("key", &self.key)
            .field("value", &"[redacted]")
            .field("exported", &self.exported)
            .finish()
    }
}

/// Splits `text` into lines: `(start, content_end, end)` byte offsets. A
/// `\r` right before the `\n` (or at the very end) belongs to the ending.
pub fn split_lines(text: &str) -> Vec<(usize, usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let (content_end, end) = match bytes[start..].iter().position(|&b| b == b'\n') {
            Some(i) => {
                let nl = start + i;
                let ce = if nl > start && bytes[nl - 1] == b'\r' {
                    nl - 1
                } else {
                    nl
                };
                (ce, nl + 1)
            }
            None => {
                let end = bytes.len();
                let ce = if bytes[end - 1] == b'\r' {
                    end - 1
                } else {
                    end
                };
                (ce, end)
            }
        };
        out.push((start, content_end, end));
        start = end;
    }
    out
}

/// Parse a whole file. The first malformed line is the error.
pub fn parse(text: &str) -> Result<EnvFile<'_>, Problem> {
    let mut lines = Vec::new();
    for (i, (start, content_end, end)) in split_lines(text).into_iter().enumerate() {
        let number = i + 1;
        let content_start = if i == 0 && text.starts_with(BOM) {
            (start + BOM.len_utf8()).min(content_end)
        } else {
            start
        };
        let kind = parse_line(&text[content_start..content_end], number)?;
        lines.push(Line {
            number,
            start,
            content_start,
            content_end,
            end,
            kind,
        });
    }
    Ok(EnvFile { text, lines })
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn malformed(line: usize, var: Option<&str>, message: impl Into<String>) -> Problem {
    Problem {
        line: Some(line),
        var: var.map(str::to_owned),
        message: message.into(),
    }
}

fn parse_line(content: &str, number: usize) -> Result<LineKind, Problem> {
    let s = content.trim_start_matches(is_blank);
    if s.trim_end_matches(is_blank).is_empty() {
        return Ok(LineKind::Blank);
    }
    if s.starts_with('#') {
        return Ok(LineKind::Comment);
    }
    let (s, exported) = match s.strip_prefix("export") {
        Some(rest) if rest.starts_with(is_blank) => (rest.trim_start_matches(is_blank), true),
        _ => (s, false),
    };
    let key_len = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    let key = &s[..key_len];
    let key_ok = !key.is_empty() && !key.starts_with(|c: char| c.is_ascii_digit());
    let rest = s[key_len..].trim_start_matches(is_blank);
    let Some(raw) = rest.strip_prefix('=').filter(|_| key_ok) else {
        // Name the variable only when the line clearly starts with one.
        let shown = (key_ok && (rest.len() < s.len() - key_len || rest.is_empty())).then_some(key);
        return Err(malformed(
            number,
            shown,
            "expected NAME=VALUE, a comment or a blank line",
        ));
    };
    let value = parse_value(raw).map_err(|why| malformed(number, Some(key), why))?;
    if value
        .chars()
        .any(|c| c.is_control() && c != '\t' && c != '\n')
    {
        return Err(malformed(
            number,
            Some(key),
            "the value contains a control character",
        ));
    }
    Ok(LineKind::Assignment(Assignment {
        key: key.to_owned(),
        value: SecretString::from(value),
        exported,
    }))
}

/// The value after `=`; errors never include it.
fn parse_value(raw: &str) -> Result<String, &'static str> {
    let v = raw.trim_start_matches(is_blank);
    if let Some(body) = v.strip_prefix('\'') {
        let close = body
            .find('\'')
            .ok_or("unterminated single quote (values spanning lines are not supported)")?;
        after_quote(&body[close + 1..])?;
        return Ok(body[..close].to_owned());
    }
    if let Some(body) = v.strip_prefix('"') {
        let mut out = String::with_capacity(body.len());
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    after_quote(&body[i + 1..])?;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, '"')) => out.push('"'),
                    Some((_, '\\')) => out.push('\\'),
                    Some((_, 'n')) => out.push('\n'),
                    _ => {
                        return Err(
                            "unsupported escape in a double-quoted value (only \\\", \\\\ and \\n are recognized)",
                        )
                    }
                },
                c => out.push(c),
            }
        }
        return Err("unterminated double quote (values spanning lines are not supported)");
    }
    // Unquoted: a `#` after a space or tab starts a comment.
    let mut end = raw.len();
    let mut prev_blank = false;
    for (i, c) in raw.char_indices() {
        if c == '#' && prev_blank {
            end = i;
            break;
        }
        prev_blank = is_blank(c);
    }
    Ok(raw[..end].trim_matches(is_blank).to_owned())
}

/// After a closing quote only blanks and a comment may follow.
fn after_quote(rest: &str) -> Result<(), &'static str> {
    let rest = rest.trim_start_matches(is_blank);
    if rest.is_empty() || rest.starts_with('#') {
        Ok(())
    } else {
        Err("unexpected text after the closing quote")
    }
}

impl<'a> EnvFile<'a> {
    pub fn text(&self) -> &'a str {
        self.text
    }

    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    /// Every `KEY=VALUE` line, in file order.
    pub fn assignments(&self) -> impl Iterator<Item = (&Line, &Assignment)> {
        self.lines.iter().filter_map(|l| match &l.kind {
            LineKind::Assignment(a) => Some((l, a)),
            _ => None,
        })
    }

    /// The file with each assignment line whose number is in `remove`
    /// replaced by `comment(key)` and that line's own ending. Every other
    /// byte stays as it was (a byte-order mark on line 1 too).
    pub fn scrub(&self, remove: &BTreeSet<usize>, comment: impl Fn(&str) -> String) -> String {
        let mut out = String::with_capacity(self.text.len());
        for line in &self.lines {
            match &line.kind {
                LineKind::Assignment(a) if remove.contains(&line.number) => {
                    out.push_str(&self.text[line.start..line.content_start]);
                    out.push_str(&comment(&a.key));
                    out.push_str(&self.text[line.content_end..line.end]);
                }
                _ => out.push_str(&self.text[line.start..line.end]),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn one(line: &str) -> (String, String, bool) {
        let f = parse(line).unwrap();
        let (_, a) = f.assignments().next().unwrap();
        (
            a.key.clone(),
            a.value.expose_secret().to_owned(),
            a.exported,
        )
    }

    #[test]
    fn values_in_every_supported_form() {
        #[rustfmt::skip]
        let cases: &[(&str, &str, &str)] = &[
            ("A=b", "A", "b"),
            ("A=", "A", ""),
            ("A = b ", "A", "b"),
            ("  A=b", "A", "b"),
            ("A=b # comment", "A", "b"),
            ("A=b\t# comment", "A", "b"),
            ("A=b#not-a-comment", "A", "b#not-a-comment"),
            ("A= # only a comment", "A", ""),
            ("A=two words", "A", "two words"),
            ("A='single # quoted \\n $X'", "A", "single # quoted \\n $X"),
            ("A='x' # c", "A", "x"),
            ("A=\"dq \\\" \\\\ \\n end\"", "A", "dq \" \\ \n end"),
            ("A=\"x\"#c", "A", "x"),
            ("A=\"\"", "A", ""),
            ("A=p4$$w0rd=", "A", "p4$$w0rd="),
            ("a_1=x", "a_1", "x"),
            ("_A=x", "_A", "x"),
            ("export=x", "export", "x"),
        ];
        for (line, key, value) in cases {
            let (k, v, _) = one(line);
            assert_eq!((k.as_str(), v.as_str()), (*key, *value), "{line:?}");
        }
        assert!(one("export A=b").2);
        assert!(one("export\tA=b").2);
        assert!(!one("A=b").2);
    }

    #[test]
    fn malformed_lines_name_the_line_and_key_but_never_the_value() {
        #[rustfmt::skip]
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("A=\"secretvalue", Some("A"), "unterminated double quote"),
            ("A='secretvalue", Some("A"), "unterminated single quote"),
            ("A=\"secret\\tvalue\"", Some("A"), "unsupported escape"),
            ("A=\"secretvalue\" trailing", Some("A"), "after the closing quote"),
            ("A='secretvalue'x", Some("A"), "after the closing quote"),
            ("A secretvalue", Some("A"), "expected NAME=VALUE"),
            ("export A", Some("A"), "expected NAME=VALUE"),
            ("1A=secretvalue", None, "expected NAME=VALUE"),
            ("=secretvalue", None, "expected NAME=VALUE"),
            ("A-B=secretvalue", None, "expected NAME=VALUE"),
            ("[Interface]", None, "expected NAME=VALUE"),
            ("A=secret\u{0}value", Some("A"), "control character"),
        ];
        for (line, var, text) in cases {
            let input = format!("# first\n\n{line}\nB=c\n");
            let err = parse(&input).unwrap_err();
            assert_eq!(err.line, Some(3), "{line:?}");
            assert_eq!(err.var.as_deref(), *var, "{line:?}");
            let shown = format!("{err} {err:?}");
            assert!(shown.contains(text), "{line:?}: {shown}");
            assert!(!shown.contains("secret"), "{line:?} leaks: {shown}");
        }
    }

    #[test]
    fn line_ranges_cover_the_file_with_its_endings() {
        let text = "\u{feff}A=1\r\n\r\n# c\nB=2\rC\nD=3\r";
        let f = parse(text);
        assert!(f.is_err(), "B=2\\rC has a control char in its value");
        let text = "\u{feff}A=1\r\n\r\n# c\nD=3";
        let f = parse(text).unwrap();
        let ends: Vec<_> = f
            .lines()
            .iter()
            .map(|l| &text[l.content_end..l.end])
            .collect();
        assert_eq!(ends, ["\r\n", "\r\n", "\n", ""]);
        assert_eq!(f.lines()[0].content_start, 3);
        assert_eq!(f.lines().last().unwrap().end, text.len());
    }

    #[test]
    fn scrub_replaces_only_the_chosen_lines() {
        let text = "\u{feff}S=1\r\nKEEP=2 # c\r\n  export S2='x'\nT=3";
        let f = parse(text).unwrap();
        let out = f.scrub(&BTreeSet::from([1, 3]), |k| format!("# {k} moved"));
        assert_eq!(out, "\u{feff}# S moved\r\nKEEP=2 # c\r\n# S2 moved\nT=3");
        let none = f.scrub(&BTreeSet::new(), |_| String::new());
        assert_eq!(none, text);
    }
}

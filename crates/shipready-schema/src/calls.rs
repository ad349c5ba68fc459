//! Calls in Ruby, Python and JavaScript/TypeScript source, found without a
//! parser.
//!
//! Framework migrations are code, but the calls that matter in them
//! (`add_index :users, :email`, `op.create_index(...)`,
//! `queryInterface.addColumn(...)`) are easy to find once strings and
//! comments are out of the way. [`Source`] scans a file once, marking which
//! bytes are code and where every string literal is (quotes, Python triple
//! quotes, JavaScript template literals, Ruby heredocs); calls are then
//! found by name at code positions, with their balanced argument lists
//! (parentheses inside strings or comments do not count). Ruby calls
//! without parentheses (`add_index :users, :email`) take the rest of the
//! line as arguments, continuing onto the next line after a trailing comma.
//!
//! [`Arg`]s read the values migrations use: string literals and Ruby
//! symbols, keyword arguments (`null: false`, `nullable=False`), object
//! properties (`{ allowNull: false }`) and SQL held in strings, with the
//! line its text starts on.
//!
//! Everything here tolerates broken input: unbalanced brackets run to the
//! end of the text, and no offset is ever used without a bounds check.

use std::ops::Range;

use regex::{Captures, Regex};

/// The language a file is written in, for its strings and comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// `#` comments, heredocs, strings that may span lines.
    Ruby,
    /// `#` comments, triple-quoted strings, `r`/`f`/`b` prefixes.
    Python,
    /// JavaScript and TypeScript: `//` and `/* */` comments, template
    /// literals.
    JavaScript,
}

/// What a byte of the source is part of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Code,
    Literal,
    Comment,
}

/// A string literal as the scanner found it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Literal {
    /// The literal as written, quotes included (for a heredoc: its
    /// `<<~TAG` marker).
    span: Range<usize>,
    /// Between the quotes (for a heredoc: its body).
    contents: Range<usize>,
    /// It interpolates values (`#{}`, f-string `{}`, template `${}`).
    interpolated: bool,
}

/// The contents of one string literal, or of literals joined by `+` or by
/// adjacency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrValue {
    /// Escapes resolved; `\n`, `\t` and `\r` escapes become spaces so that
    /// lines counted in the value are lines of the file.
    pub value: String,
    /// The 1-based line the contents start on.
    pub line: u32,
    /// Part of it is interpolated at run time.
    pub interpolated: bool,
}

/// A source file, scanned once for code, strings and comments.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    text: &'a str,
    syntax: Syntax,
    /// Per byte: code, string literal or comment.
    kinds: Vec<Kind>,
    /// In order of their spans.
    literals: Vec<Literal>,
    /// Byte offset of each line's start.
    line_starts: Vec<usize>,
}

/// A call: its name, where it is, and its argument list.
#[derive(Debug, Clone)]
pub struct Call<'s> {
    source: &'s Source<'s>,
    /// The callee as written (`op.create_index`, `t.string`; for a call in
    /// a chain, the method name alone).
    pub name: &'s str,
    /// 1-based line of the name.
    pub line: u32,
    /// From the name to the closing parenthesis (or the end of a Ruby
    /// argument list without parentheses).
    pub span: Range<usize>,
    /// Between the parentheses.
    pub args: Range<usize>,
}

/// One argument (or one item of a list, tuple, hash or object literal).
#[derive(Debug, Clone)]
pub struct Arg<'s> {
    source: &'s Source<'s>,
    /// Trimmed of surrounding whitespace.
    pub span: Range<usize>,
}

impl<'a> Source<'a> {
    pub fn new(text: &'a str, syntax: Syntax) -> Source<'a> {
        let (kinds, literals) = Scanner::new(text, syntax).run();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Source {
            text,
            syntax,
            kinds,
            literals,
            line_starts,
        }
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The text of a byte range; empty when the range is out of bounds or
    /// not on character boundaries.
    pub fn slice(&self, range: Range<usize>) -> &'a str {
        self.text.get(range).unwrap_or("")
    }

    /// The 1-based line holding a byte offset.
    pub fn line_of(&self, offset: usize) -> u32 {
        self.line_starts.partition_point(|&start| start <= offset) as u32
    }

    /// The byte is outside strings and comments.
    pub fn is_code(&self, offset: usize) -> bool {
        self.kind(offset) == Some(Kind::Code)
    }

    fn kind(&self, offset: usize) -> Option<Kind> {
        self.kinds.get(offset).copied()
    }

    fn byte(&self, offset: usize) -> Option<u8> {
        self.text.as_bytes().get(offset).copied()
    }

    /// The code in a range, strings and comments left out.
    pub fn code_only(&self, range: Range<usize>) -> String {
        let start = range.start;
        self.slice(range)
            .char_indices()
            .filter(|(i, _)| self.is_code(start + i))
            .map(|(_, c)| c)
            .collect()
    }

    /// Matches of `re` that start in `within` and in code.
    pub fn code_matches(&self, re: &Regex, within: Range<usize>) -> Vec<Captures<'a>> {
        re.captures_iter(self.text)
            .filter(|c| {
                let start = c.get(0).map_or(0, |m| m.start());
                within.contains(&start) && self.is_code(start)
            })
            .collect()
    }

    /// Every call named `name` (`add_index`, `op.create_index`, or
    /// `.addColumn` for that method on any receiver). A name starting with
    /// a letter must not continue an identifier (`op.create_index` is not
    /// found in `xop.create_index`), but may follow a `.`
    /// (`migrations.AddField` is found by `AddField`).
    pub fn calls(&self, name: &str) -> Vec<Call<'_>> {
        self.calls_in(name, 0..self.len())
    }

    /// [`Source::calls`] starting within a range.
    pub fn calls_in(&self, name: &str, within: Range<usize>) -> Vec<Call<'_>> {
        if name.is_empty() {
            return Vec::new();
        }
        let checks_start = name.starts_with(|c: char| self.is_ident_char(c));
        self.starts_of(name, within)
            .filter(|&start| self.is_code(start))
            .filter(|&start| !checks_start || !self.ident_before(start))
            .filter_map(|start| self.call_at(start, start + name.len()))
            .collect()
    }

    /// Calls of any method on `receiver` (`t.string :name`,
    /// `table.notNullable()`) starting within a range; each call's name is
    /// `receiver.method`.
    pub fn method_calls(&self, receiver: &str, within: Range<usize>) -> Vec<Call<'_>> {
        let prefix = format!("{receiver}.");
        self.starts_of(&prefix, within)
            .filter(|&start| self.is_code(start))
            .filter(|&start| !self.ident_before(start))
            .filter_map(|start| {
                let method_start = start + prefix.len();
                let method_end = self.ident_end(method_start);
                (method_end > method_start).then(|| self.call_at(start, method_end))?
            })
            .collect()
    }

    /// The calls chained after offset `after`: `.notNullable().defaultTo(0)`
    /// gives `notNullable` and `defaultTo`.
    pub fn chain(&self, after: usize) -> Vec<Call<'_>> {
        let mut calls = Vec::new();
        let mut at = after;
        loop {
            let dot = self.skip_blank(at);
            if self.byte(dot) != Some(b'.') || !self.is_code(dot) {
                return calls;
            }
            let method_start = self.skip_blank(dot + 1);
            let method_end = self.ident_end(method_start);
            if method_end == method_start {
                return calls;
            }
            match self.call_at(method_start, method_end) {
                Some(call) => {
                    at = call.span.end;
                    calls.push(call);
                }
                None => return calls,
            }
        }
    }

    /// Offsets in `within` where `pattern` starts.
    fn starts_of(&self, pattern: &str, within: Range<usize>) -> impl Iterator<Item = usize> {
        let mut start = within.start.min(self.len());
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = within.end.clamp(start, self.len());
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        self.text[start..end]
            .match_indices(pattern)
            .map(move |(offset, _)| start + offset)
            .filter(move |offset| within.contains(offset))
    }

    /// The offset of the bracket closing the one at `open` (`(`, `[` or
    /// `{`), brackets in strings and comments ignored.
    pub fn matching_close(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for (i, b) in self.text.bytes().enumerate().skip(open) {
            if !self.is_code(i) {
                continue;
            }
            match b {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// For each of `offsets` (in increasing order), the innermost bracket
    /// opened after `from` and still open there; one pass for all.
    pub fn enclosing_opens(&self, from: usize, offsets: &[usize]) -> Vec<Option<usize>> {
        let mut open = Vec::new();
        let mut at = from;
        offsets
            .iter()
            .map(|&offset| {
                while at < offset.min(self.len()) {
                    if self.is_code(at) {
                        match self.byte(at) {
                            Some(b'(' | b'[' | b'{') => open.push(at),
                            Some(b')' | b']' | b'}') => {
                                open.pop();
                            }
                            _ => {}
                        }
                    }
                    at += 1;
                }
                open.last().copied()
            })
            .collect()
    }

    /// The first code offset at or after `at` that is not whitespace
    /// (comments skipped too); the text's length if none.
    pub fn skip_blank(&self, at: usize) -> usize {
        (at..self.len())
            .find(|&i| self.is_code(i) && !self.byte(i).is_some_and(|b| b.is_ascii_whitespace()))
            .unwrap_or(self.len())
    }

    /// Top-level comma-separated items of a range, trimmed, empty ones
    /// dropped.
    pub fn items(&self, range: Range<usize>) -> Vec<Arg<'_>> {
        let mut items = Vec::new();
        let mut depth = 0usize;
        let mut start = range.start;
        let end = range.end.min(self.len());
        for i in range.start..end {
            if !self.is_code(i) {
                continue;
            }
            match self.byte(i) {
                Some(b'(' | b'[' | b'{') => depth += 1,
                Some(b')' | b']' | b'}') => depth = depth.saturating_sub(1),
                Some(b',') if depth == 0 => {
                    items.extend(self.arg(start..i));
                    start = i + 1;
                }
                _ => {}
            }
        }
        items.extend(self.arg(start..end));
        items
    }

    /// An argument over a range trimmed of whitespace and comments; none
    /// if nothing is left.
    fn arg(&self, range: Range<usize>) -> Option<Arg<'_>> {
        let end = range.end.min(self.len());
        let start = (range.start..end).find(|&i| self.is_content(i))?;
        let last = (start..end).rev().find(|&i| self.is_content(i))?;
        Some(Arg {
            source: self,
            span: start..last + 1,
        })
    }

    /// Not whitespace, not a comment.
    fn is_content(&self, offset: usize) -> bool {
        match self.kind(offset) {
            Some(Kind::Code) => !self.byte(offset).is_some_and(|b| b.is_ascii_whitespace()),
            Some(Kind::Literal) => true,
            Some(Kind::Comment) | None => false,
        }
    }

    fn is_ident_char(&self, c: char) -> bool {
        c.is_alphanumeric() || c == '_' || (self.syntax == Syntax::JavaScript && c == '$')
    }

    /// An identifier (or, in Ruby, a symbol's colon) ends right before
    /// `offset`.
    fn ident_before(&self, offset: usize) -> bool {
        let before = self.text.get(..offset).unwrap_or("");
        let symbol =
            self.syntax == Syntax::Ruby && before.ends_with(':') && !before.ends_with("::");
        symbol
            || before
                .chars()
                .next_back()
                .is_some_and(|c| self.is_ident_char(c))
    }

    /// The end of the identifier starting at `start` (`start` if none).
    pub fn ident_end(&self, start: usize) -> usize {
        let rest = self.text.get(start..).unwrap_or("");
        let len = rest
            .find(|c: char| !self.is_ident_char(c))
            .unwrap_or(rest.len());
        start + len
    }

    /// The call whose name spans `start..name_end`, if an argument list
    /// follows it.
    fn call_at(&self, start: usize, name_end: usize) -> Option<Call<'_>> {
        let next = self.text.get(name_end..)?.chars().next();
        let ruby_suffix = |c: char| self.syntax == Syntax::Ruby && (c == '!' || c == '?');
        if next.is_some_and(|c| self.is_ident_char(c) || ruby_suffix(c)) {
            return None;
        }
        let after_spaces = name_end
            + self.text[name_end..]
                .find(|c| c != ' ' && c != '\t')
                .unwrap_or(self.len() - name_end);
        let (args, end) = if self.byte(after_spaces) == Some(b'(') {
            let close = self.matching_close(after_spaces).unwrap_or(self.len());
            (after_spaces + 1..close, (close + 1).min(self.len()))
        } else if self.syntax == Syntax::Ruby {
            let args = self.ruby_args(name_end, after_spaces)?;
            (args.clone(), args.end.max(name_end))
        } else {
            return None;
        };
        Some(Call {
            source: self,
            name: self.slice(start..name_end),
            line: self.line_of(start),
            span: start..end,
            args,
        })
    }

    /// The arguments of a Ruby call without parentheses: the rest of the
    /// line, continued after a trailing comma or inside open brackets, a
    /// trailing `do |t|` block opener left out. None when what follows is
    /// not an argument (`x = 1`, `x.y`).
    fn ruby_args(&self, name_end: usize, start: usize) -> Option<Range<usize>> {
        let first = self.byte(start);
        let starts_block = self.text[start..].starts_with("do")
            && !self
                .text
                .get(start + 2..)
                .and_then(|s| s.chars().next())
                .is_some_and(|c| self.is_ident_char(c));
        let line_ends = matches!(first, None | Some(b'\n' | b'\r' | b';' | b'{'))
            || self.kind(start) == Some(Kind::Comment)
            || starts_block;
        if line_ends {
            return Some(start..start);
        }
        let separated = start > name_end;
        let argument_like = first
            .is_some_and(|b| b.is_ascii_alphanumeric() || b"_:'\"`[%@".contains(&b) || b >= 0x80)
            || self.text[start..].starts_with("<<")
            || self.text[start..].starts_with("->");
        if !separated || !argument_like {
            return None;
        }
        let mut depth = 0i32;
        let mut last_code = start;
        let mut end = self.len();
        for i in start..self.len() {
            match self.kind(i) {
                Some(Kind::Literal) => {
                    last_code = i;
                    continue;
                }
                Some(Kind::Comment) | None => continue,
                Some(Kind::Code) => {}
            }
            match self.byte(i) {
                Some(b'(' | b'[' | b'{') => depth += 1,
                Some(b')' | b']' | b'}') => depth -= 1,
                Some(b'\n') if depth <= 0 => {
                    let continues = matches!(self.byte(last_code), Some(b',' | b'\\'));
                    if !continues {
                        end = i;
                        break;
                    }
                }
                Some(b';') if depth <= 0 => {
                    end = i;
                    break;
                }
                _ => {}
            }
            if depth < 0 {
                end = i;
                break;
            }
            if !self.byte(i).is_some_and(|b| b.is_ascii_whitespace()) {
                last_code = i;
            }
        }
        let end = (last_code + 1).min(end).max(start);
        Some(start..self.without_block_opener(start..end))
    }

    /// The end of a Ruby argument list once a trailing `do` / `do |t|` is
    /// cut off.
    fn without_block_opener(&self, range: Range<usize>) -> usize {
        static BLOCK: std::sync::LazyLock<Regex> =
            std::sync::LazyLock::new(|| Regex::new(r"\s+do(\s*\|[^|]*\|)?\s*$").expect("valid"));
        let text = self.slice(range.clone());
        match BLOCK.find(text) {
            Some(m) => range.start + m.start(),
            None => range.end,
        }
    }

    /// Literals whose written form lies in a range.
    fn literals_in(&self, range: Range<usize>) -> impl Iterator<Item = &Literal> {
        let first = self
            .literals
            .partition_point(|l| l.span.start < range.start);
        self.literals[first..]
            .iter()
            .take_while(move |l| l.span.start < range.end)
            .filter(move |l| l.span.end <= range.end)
    }

    /// A literal's contents with escapes resolved.
    fn contents(&self, literal: &Literal) -> String {
        unescape(self.slice(literal.contents.clone()))
    }
}

impl<'s> Call<'s> {
    /// The whole call as written.
    pub fn text(&self) -> &'s str {
        self.source.slice(self.span.clone())
    }

    /// The argument list as written.
    pub fn args_text(&self) -> &'s str {
        self.source.slice(self.args.clone())
    }

    /// Every argument, in order.
    pub fn args(&self) -> Vec<Arg<'s>> {
        self.source.items(self.args.clone())
    }

    /// The arguments that are not `name: value` / `name=value`.
    pub fn positional(&self) -> Vec<Arg<'s>> {
        self.args()
            .into_iter()
            .filter(|a| a.keyword().is_none())
            .collect()
    }

    /// The `index`th positional argument.
    pub fn nth(&self, index: usize) -> Option<Arg<'s>> {
        self.positional().into_iter().nth(index)
    }

    /// The value of keyword argument `name` (`null: false`,
    /// `nullable=False`, `:null => false`).
    pub fn keyword(&self, name: &str) -> Option<Arg<'s>> {
        self.args()
            .into_iter()
            .filter_map(|a| a.keyword())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// Calls named `name` inside the argument list.
    pub fn calls_inside(&self, name: &str) -> Vec<Call<'s>> {
        self.source.calls_in(name, self.args.clone())
    }
}

impl<'s> Arg<'s> {
    pub fn text(&self) -> &'s str {
        self.source.slice(self.span.clone())
    }

    /// The argument is exactly this word (`true`, `False`, `null`).
    pub fn is(&self, word: &str) -> bool {
        self.text() == word
    }

    /// The contents of a string literal or Ruby symbol standing alone
    /// (`'users'`, `"users"`, `:users`, `:"users"`, `r'users'`).
    pub fn string(&self) -> Option<String> {
        let text = self.text();
        if self.source.syntax == Syntax::Ruby
            && let Some(symbol) = text.strip_prefix(':')
        {
            let is_name = !symbol.is_empty()
                && symbol
                    .chars()
                    .all(|c| c.is_alphanumeric() || "_?!".contains(c));
            if is_name {
                return Some(symbol.to_string());
            }
        }
        let mut literals = self.source.literals_in(self.span.clone());
        let literal = literals.next()?;
        let before = self.source.slice(self.span.start..literal.span.start);
        let prefix_only = before.chars().all(|c| c.is_ascii_alphabetic()) && before.len() <= 2
            || self.source.syntax == Syntax::Ruby && before == ":";
        let alone = literals.next().is_none() && literal.span.end == self.span.end;
        (prefix_only && alone).then(|| self.source.contents(literal))
    }

    /// The string literals in the argument: literals joined by `+` or by
    /// adjacency make one value (line breaks between them kept), others
    /// are separate.
    pub fn strings(&self) -> Vec<StrValue> {
        let mut values: Vec<StrValue> = Vec::new();
        let mut previous_end: Option<usize> = None;
        for literal in self.source.literals_in(self.span.clone()) {
            let contents = self.source.contents(literal);
            let joined = previous_end.is_some_and(|end| {
                let between = self.source.slice(end..literal.span.start);
                between
                    .chars()
                    .all(|c| c.is_whitespace() || c == '+' || c == '\\')
            });
            match values.last_mut() {
                Some(last) if joined => {
                    let gap = self
                        .source
                        .slice(previous_end.unwrap_or(0)..literal.span.start)
                        .matches('\n')
                        .count();
                    last.value.push_str(&"\n".repeat(gap));
                    last.value.push_str(&contents);
                    last.interpolated |= literal.interpolated;
                }
                _ => values.push(StrValue {
                    value: contents,
                    line: self.source.line_of(literal.contents.start),
                    interpolated: literal.interpolated,
                }),
            }
            previous_end = Some(literal.span.end);
        }
        values
    }

    /// A `name: value` / `name=value` / `:name => value` / `'name': value`
    /// item, split into its name and value.
    pub fn keyword(&self) -> Option<(String, Arg<'s>)> {
        let text = self.text();
        let (key, rest) = split_key(text, self.source.syntax)?;
        let value_start = self.span.end - rest.len();
        let value = self.source.arg(value_start..self.span.end)?;
        Some((key, value))
    }

    /// Items of a list, tuple, hash or object literal (`[...]`, `(...)`,
    /// `{...}`); empty if the argument is not one.
    pub fn items(&self) -> Vec<Arg<'s>> {
        let open = self.span.start;
        let is_literal = matches!(self.source.byte(open), Some(b'(' | b'[' | b'{'))
            && self.source.matching_close(open) == Some(self.span.end - 1);
        if is_literal {
            self.source.items(open + 1..self.span.end - 1)
        } else {
            Vec::new()
        }
    }

    /// The value of property `name` in the first object or hash literal of
    /// the argument (`{ allowNull: false }`, `new TableColumn({ name: 'c' })`).
    pub fn property(&self, name: &str) -> Option<Arg<'s>> {
        self.object()?
            .items()
            .into_iter()
            .filter_map(|item| item.keyword())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// The first `{ ... }` literal in the argument.
    pub fn object(&self) -> Option<Arg<'s>> {
        let open = (self.span.clone())
            .find(|&i| self.source.byte(i) == Some(b'{') && self.source.is_code(i))?;
        let close = self.source.matching_close(open)?;
        (close < self.span.end).then(|| Arg {
            source: self.source,
            span: open..close + 1,
        })
    }

    /// Calls named `name` inside the argument.
    pub fn calls_inside(&self, name: &str) -> Vec<Call<'s>> {
        self.source.calls_in(name, self.span.clone())
    }
}

/// Split an item written as a keyword argument or property into its key
/// and the value's text: `key: value` (Ruby, JavaScript), `:key => value`
/// (Ruby), `key=value` (Python), `'key': value` (all three).
fn split_key(text: &str, syntax: Syntax) -> Option<(String, &str)> {
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"');
    let (key, quoted, rest) = match quote {
        Some(quote) => {
            let close = text[1..].find(quote)? + 1;
            (&text[1..close], true, &text[close + 1..])
        }
        None => {
            let body = match syntax {
                Syntax::Ruby => text.strip_prefix(':').unwrap_or(text),
                _ => text,
            };
            let len = body
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                .unwrap_or(body.len());
            if len == 0
                || body.starts_with(|c: char| c.is_ascii_digit())
                || &body[..len] == "lambda"
            {
                return None;
            }
            (&body[..len], false, &body[len..])
        }
    };
    let rest = rest.trim_start();
    let value = match syntax {
        Syntax::Ruby if rest.starts_with("=>") => &rest[2..],
        Syntax::Python if !quoted && rest.starts_with('=') && !rest.starts_with("==") => &rest[1..],
        Syntax::Python if !quoted => return None,
        _ if rest.starts_with(':') && !rest.starts_with("::") => &rest[1..],
        _ => return None,
    };
    Some((key.to_string(), value))
}

/// Resolve backslash escapes; `\n`, `\t`, `\r` become spaces so the value
/// keeps the file's line count.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 't' | 'r') => out.push(' '),
            Some(escaped @ ('\\' | '\'' | '"' | '`')) => out.push(escaped),
            Some('\n') => out.push('\n'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// One pass over a file marking code bytes and collecting literals.
struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    syntax: Syntax,
    kinds: Vec<Kind>,
    literals: Vec<Literal>,
    /// Ruby heredocs opened on the current line: marker span, tag, whether
    /// interpolating.
    heredocs: Vec<(Range<usize>, String, bool)>,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str, syntax: Syntax) -> Scanner<'a> {
        Scanner {
            text,
            bytes: text.as_bytes(),
            syntax,
            kinds: vec![Kind::Code; text.len()],
            literals: Vec::new(),
            heredocs: Vec::new(),
        }
    }

    fn run(mut self) -> (Vec<Kind>, Vec<Literal>) {
        let mut i = 0;
        while i < self.bytes.len() {
            i = self.step(i);
        }
        self.literals.sort_by_key(|l| l.span.start);
        (self.kinds, self.literals)
    }

    /// Scan what starts at `i`; return where to continue.
    fn step(&mut self, i: usize) -> usize {
        let rest = &self.bytes[i..];
        if rest[0] == b'\n' && !self.heredocs.is_empty() {
            return self.heredoc_bodies(i + 1);
        }
        if let Some(end) = self.comment_end(i) {
            self.mark(i..end, Kind::Comment);
            return end;
        }
        if self.syntax == Syntax::Ruby
            && let Some(end) = self.heredoc_marker(i)
        {
            return end;
        }
        if let Some(quote) = self.quote_at(i) {
            return self.string(i, quote);
        }
        i + 1
    }

    fn mark(&mut self, range: Range<usize>, kind: Kind) {
        let end = range.end.min(self.kinds.len());
        for byte_kind in &mut self.kinds[range.start.min(end)..end] {
            *byte_kind = kind;
        }
    }

    /// Where a comment starting at `i` ends, if one starts there.
    fn comment_end(&self, i: usize) -> Option<usize> {
        let rest = &self.bytes[i..];
        let line_end = || {
            rest.iter()
                .position(|&b| b == b'\n')
                .map_or(self.bytes.len(), |p| i + p)
        };
        match self.syntax {
            Syntax::Ruby | Syntax::Python if rest[0] == b'#' => Some(line_end()),
            Syntax::JavaScript if rest.starts_with(b"//") => Some(line_end()),
            Syntax::JavaScript if rest.starts_with(b"/*") => Some(
                self.text[i + 2..]
                    .find("*/")
                    .map_or(self.bytes.len(), |p| i + 2 + p + 2),
            ),
            _ => None,
        }
    }

    /// The quote (one or three characters) of a string starting at `i`.
    fn quote_at(&self, i: usize) -> Option<&'static str> {
        let rest = &self.bytes[i..];
        match (self.syntax, rest[0]) {
            (Syntax::Python, b'"') if rest.starts_with(b"\"\"\"") => Some("\"\"\""),
            (Syntax::Python, b'\'') if rest.starts_with(b"'''") => Some("'''"),
            (_, b'"') => Some("\""),
            (_, b'\'') => Some("'"),
            (Syntax::JavaScript | Syntax::Ruby, b'`') => Some("`"),
            _ => None,
        }
    }

    /// Read a string opened by `quote` at `start`; return its end.
    fn string(&mut self, start: usize, quote: &str) -> usize {
        let quote = quote.as_bytes();
        let single_line = quote.len() == 1
            && quote[0] != b'`'
            && matches!(self.syntax, Syntax::Python | Syntax::JavaScript);
        let contents_start = start + quote.len();
        let mut i = contents_start;
        let (contents_end, end) = loop {
            match self.bytes.get(i) {
                None => break (self.bytes.len(), self.bytes.len()),
                Some(b'\\') => i += 2,
                Some(b'\n') if single_line => break (i, i),
                Some(_) if self.bytes[i..].starts_with(quote) => break (i, i + quote.len()),
                Some(_) => i += 1,
            }
        };
        let contents_end = contents_end.min(self.bytes.len());
        let contents = self.text.get(contents_start..contents_end).unwrap_or("");
        let interpolated = match self.syntax {
            Syntax::Ruby => quote[0] != b'\'' && contents.contains("#{"),
            Syntax::Python => {
                self.python_prefix(start).contains(['f', 'F']) && contents.contains('{')
            }
            Syntax::JavaScript => quote[0] == b'`' && contents.contains("${"),
        };
        self.mark(start..end, Kind::Literal);
        self.literals.push(Literal {
            span: start..end,
            contents: contents_start..contents_end,
            interpolated,
        });
        end
    }

    /// The letters right before a Python string (`f`, `rb`, …).
    fn python_prefix(&self, quote: usize) -> &str {
        let before = &self.text[..quote];
        let letters = before
            .bytes()
            .rev()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        &before[before.len() - letters..]
    }

    /// A Ruby heredoc marker (`<<~SQL`, `<<-SQL`, `<<SQL`, `<<~'SQL'`) at
    /// `i`: remember it for the next line and return the marker's end.
    fn heredoc_marker(&mut self, i: usize) -> Option<usize> {
        static MARKER: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
            Regex::new(r#"^<<([~-]?)(['"`]?)([A-Za-z_][A-Za-z0-9_]*)(['"`]?)"#).expect("valid")
        });
        let caps = MARKER.captures(self.text.get(i..)?)?;
        let (flag, open, tag, close) = (&caps[1], &caps[2], &caps[3], &caps[4]);
        let plain_lowercase = flag.is_empty() && !tag.starts_with(|c: char| c.is_ascii_uppercase());
        if open != close || plain_lowercase {
            return None;
        }
        let end = i + caps[0].len();
        self.mark(i..end, Kind::Literal);
        self.heredocs.push((i..end, tag.to_string(), open != "'"));
        Some(end)
    }

    /// Read the bodies of the heredocs opened on the line before `start`,
    /// one after the other; return where code resumes (the end of the last
    /// one's closing line).
    fn heredoc_bodies(&mut self, start: usize) -> usize {
        let mut body_start = start;
        let mut resume = start;
        for (marker, tag, interpolating) in std::mem::take(&mut self.heredocs) {
            let mut line_start = body_start.min(self.bytes.len());
            let body_end = loop {
                if line_start >= self.bytes.len() {
                    resume = self.bytes.len();
                    break self.bytes.len();
                }
                let line_end = self.text[line_start..]
                    .find('\n')
                    .map_or(self.bytes.len(), |p| line_start + p);
                if self.text[line_start..line_end].trim() == tag {
                    resume = line_end;
                    break line_start;
                }
                line_start = line_end + 1;
            };
            let body_start_clamped = body_start.min(body_end);
            self.mark(body_start_clamped..resume, Kind::Literal);
            let contents = &self.text[body_start_clamped..body_end];
            self.literals.push(Literal {
                span: marker,
                contents: body_start_clamped..body_end,
                interpolated: interpolating && contents.contains("#{"),
            });
            body_start = resume + 1;
        }
        resume
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_and_args(source: &Source, name: &str) -> Vec<(u32, String)> {
        source
            .calls(name)
            .iter()
            .map(|c| (c.line, c.args_text().to_string()))
            .collect()
    }

    #[test]
    fn finds_calls_with_balanced_arguments_over_several_lines() {
        let text = "op.create_index(\n    'ix', 'users',\n    [sa.text('lower(email)')],\n)\nop.create_index('b', 't', ['c'])\n";
        let source = Source::new(text, Syntax::Python);
        let found = names_and_args(&source, "op.create_index");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, 1);
        assert!(found[0].1.contains("lower(email)"));
        assert_eq!(found[1], (5, "'b', 't', ['c']".to_string()));
    }

    #[test]
    fn parentheses_in_strings_and_comments_do_not_count() {
        let text = "knex.raw(\"SELECT ')' -- (\", [1]) // knex.raw('no')\n/* knex.raw( */ knex.raw(`a ) ${b}`)";
        let source = Source::new(text, Syntax::JavaScript);
        let found = names_and_args(&source, "knex.raw");
        assert_eq!(
            found,
            [
                (1, "\"SELECT ')' -- (\", [1]".to_string()),
                (2, "`a ) ${b}`".to_string())
            ]
        );
    }

    #[test]
    fn names_need_a_boundary_before_unless_they_start_with_a_dot() {
        let text = "xop.execute('a')\nmigrations.AddField(x)\nqi.addColumn('t')\nadd_index_x(1)";
        let source = Source::new(text, Syntax::Python);
        assert!(source.calls("op.execute").is_empty());
        assert_eq!(source.calls("AddField").len(), 1);
        assert_eq!(source.calls(".addColumn").len(), 1);
        assert!(source.calls("add_index").is_empty());
    }

    #[test]
    fn ruby_calls_without_parentheses_run_to_the_end_of_the_line() {
        let text = "add_index :users, :email, # why\n  unique: true\nadd_column :users, :name, :string\ncreate_table :orgs do |t|\n  t.timestamps\nend\n";
        let source = Source::new(text, Syntax::Ruby);
        let found = names_and_args(&source, "add_index");
        assert_eq!(
            found,
            [(1, ":users, :email, # why\n  unique: true".to_string())]
        );
        assert_eq!(
            names_and_args(&source, "add_column"),
            [(3, ":users, :name, :string".to_string())]
        );
        assert_eq!(
            names_and_args(&source, "create_table"),
            [(4, ":orgs".to_string())]
        );
        assert_eq!(
            names_and_args(&source, "t.timestamps"),
            [(5, String::new())]
        );
        assert!(
            Source::new("x = add_index\nadd_index.foo", Syntax::Ruby)
                .calls("add_index")
                .iter()
                .all(|c| c.args_text().is_empty())
        );
    }

    #[test]
    fn heredoc_bodies_are_strings_starting_on_the_next_line() {
        let text = "execute <<~SQL\n  UPDATE t SET x = ')';\nSQL\nexecute(<<-'EOS'.squish)\n  SELECT 1\n  EOS\n";
        let source = Source::new(text, Syntax::Ruby);
        let calls = source.calls("execute");
        assert_eq!(calls.len(), 2);
        let first = calls[0].nth(0).map(|a| a.strings()).unwrap_or_default();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].line, 2);
        assert_eq!(first[0].value.trim(), "UPDATE t SET x = ')';");
        let second = calls[1].nth(0).map(|a| a.strings()).unwrap_or_default();
        assert_eq!(second[0].value.trim(), "SELECT 1");
        assert_eq!(second[0].line, 5);
    }

    #[test]
    fn two_heredocs_on_one_line_follow_each_other() {
        let text = "f(<<~A, <<~B)
  one
A
  two
B
g(1)
";
        let source = Source::new(text, Syntax::Ruby);
        let call = &source.calls("f")[0];
        let values: Vec<(String, u32)> = call
            .args()
            .iter()
            .filter_map(|a| a.strings().into_iter().next())
            .map(|v| (v.value.trim().to_string(), v.line))
            .collect();
        assert_eq!(values, [("one".to_string(), 2), ("two".to_string(), 4)]);
        assert_eq!(source.calls("g").first().map(|c| c.line), Some(6));
    }

    #[test]
    fn python_triple_quotes_and_prefixes() {
        let text = "op.execute(\"\"\"\nUPDATE t SET a = 'x)'\n\"\"\")\nop.execute(f'''{x}''')\nop.execute(r\"a\" \"b\")";
        let source = Source::new(text, Syntax::Python);
        let calls = source.calls("op.execute");
        assert_eq!(calls.len(), 3);
        let strings = |i: usize| calls[i].nth(0).map(|a| a.strings()).unwrap_or_default();
        assert_eq!(strings(0)[0].line, 1);
        assert!(strings(0)[0].value.contains("'x)'"));
        assert!(strings(1)[0].interpolated);
        assert_eq!(strings(2)[0].value, "ab");
        assert_eq!(calls[2].nth(0).and_then(|a| a.string()), None);
    }

    #[test]
    fn concatenated_literals_keep_their_lines() {
        let text = "q(\"ALTER TABLE a;\" +\n  \"DROP TABLE b\", 'x')";
        let source = Source::new(text, Syntax::JavaScript);
        let call = &source.calls("q")[0];
        let first = call.nth(0).map(|a| a.strings()).unwrap_or_default();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].value, "ALTER TABLE a;\nDROP TABLE b");
        assert_eq!(call.nth(1).and_then(|a| a.string()).as_deref(), Some("x"));
    }

    #[test]
    fn strings_symbols_keywords_and_properties() {
        let ruby = Source::new(
            "add_index :users, \"email\", algorithm: :concurrently, :unique => true",
            Syntax::Ruby,
        );
        let call = &ruby.calls("add_index")[0];
        let positional: Vec<_> = call
            .positional()
            .iter()
            .filter_map(|a| a.string())
            .collect();
        assert_eq!(positional, ["users", "email"]);
        assert_eq!(
            call.keyword("algorithm")
                .and_then(|a| a.string())
                .as_deref(),
            Some("concurrently")
        );
        assert!(call.keyword("unique").is_some_and(|a| a.is("true")));

        let python = Source::new(
            "sa.Column('c', sa.Text(), nullable=False, server_default=sa.text(\"now()\"))",
            Syntax::Python,
        );
        let column = &python.calls("sa.Column")[0];
        assert!(column.keyword("nullable").is_some_and(|a| a.is("False")));
        assert_eq!(
            column.keyword("server_default").map(|a| a.text()),
            Some("sa.text(\"now()\")")
        );
        assert_eq!(column.positional().len(), 2);

        let js = Source::new(
            "qi.addColumn('t', 'c', { type: DataTypes.STRING, allowNull: false, 'defaultValue': 'x' })",
            Syntax::JavaScript,
        );
        let add = &js.calls(".addColumn")[0];
        let options = add.nth(2).expect("options");
        assert!(options.property("allowNull").is_some_and(|a| a.is("false")));
        assert_eq!(
            options
                .property("defaultValue")
                .and_then(|a| a.string())
                .as_deref(),
            Some("x")
        );
        assert!(options.property("missing").is_none());
    }

    #[test]
    fn chains_and_method_calls() {
        let text = "t => {\n  t.integer('org_id')\n    .notNullable()\n    .defaultTo(0);\n  t.dropColumn('x');\n}";
        let source = Source::new(text, Syntax::JavaScript);
        let calls = source.method_calls("t", 0..text.len());
        let names: Vec<_> = calls.iter().map(|c| c.name).collect();
        assert_eq!(names, ["t.integer", "t.dropColumn"]);
        let chain: Vec<_> = source
            .chain(calls[0].span.end)
            .iter()
            .map(|c| (c.name, c.args_text()))
            .collect();
        assert_eq!(chain, [("notNullable", ""), ("defaultTo", "0")]);
    }

    #[test]
    fn enclosing_brackets() {
        let text = "a(b, [c(d)], x => { e })";
        let source = Source::new(text, Syntax::JavaScript);
        assert_eq!(
            source.enclosing_opens(0, &[0, 4, 8, 21]),
            [None, Some(1), Some(7), Some(18)]
        );
        assert_eq!(source.enclosing_opens(2, &[4]), [None]);
        assert_eq!(source.matching_close(1), Some(23));
    }

    #[test]
    fn never_panics_on_broken_input() {
        for text in [
            "",
            "(",
            "op.execute(",
            "op.execute(\"unterminated",
            "add_index",
            "add_index :a,",
            "execute <<~SQL",
            "execute <<~SQL\nno end",
            "é(ü'",
            "x.y(`${`",
            "op.execute('''",
            "/*",
            "add_index é",
            "t.é(1)",
        ] {
            for syntax in [Syntax::Ruby, Syntax::Python, Syntax::JavaScript] {
                let source = Source::new(text, syntax);
                for name in ["op.execute", "add_index", "execute", "x.y", ".y", "é"] {
                    for call in source.calls(name) {
                        let _ = (call.text(), call.positional(), call.keyword("a"));
                        for arg in call.args() {
                            let _ = (arg.string(), arg.strings(), arg.property("a"), arg.items());
                        }
                    }
                }
                let _ = source.method_calls("t", 0..text.len());
                let _ = source.chain(0);
                let _ = source.code_only(0..text.len() + 5);
                let _ = source.enclosing_opens(0, &[1, text.len() + 5]);
            }
        }
    }
}

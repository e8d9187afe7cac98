//! Splits filter text into tokens, each with its byte offset.
//!
//! Words are kept as text: whether `90` is a number, `and` a keyword or `calm` a bare value
//! depends on where it appears, which only the parser knows.

use super::ast::CmpOp;
use super::error::FilterError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    LParen,
    RParen,
    Op(CmpOp),
    /// A bare run of characters: field name, keyword, number or unquoted value.
    Word(String),
    /// A `"..."` string, escapes resolved.
    Quoted(String),
    /// `field:value` (value bare up to whitespace or a parenthesis, or quoted).
    Prefixed {
        field: String,
        value: String,
    },
    End,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub pos: usize,
}

/// Characters that end a bare word (besides whitespace).
fn ends_word(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '"' | '=' | '<' | '>' | '!' | ':')
}

/// Characters that end the bare value of `field:value`: it may hold `:`, `=` and the like.
fn ends_value(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '"')
}

pub(crate) fn lex(src: &str) -> Result<Vec<Token>, FilterError> {
    let mut lexer = Lexer { src, pos: 0 };
    let mut tokens = Vec::new();
    loop {
        let token = lexer.next()?;
        let end = token.tok == Tok::End;
        tokens.push(token);
        if end {
            return Ok(tokens);
        }
    }
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.src.get(self.pos..)?.chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &str {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.bump();
        }
        self.src.get(start..self.pos).unwrap_or_default()
    }

    fn err(&self, pos: usize, msg: impl Into<String>) -> FilterError {
        FilterError::new(self.src, pos, msg)
    }

    fn next(&mut self) -> Result<Token, FilterError> {
        self.take_while(char::is_whitespace);
        let pos = self.pos;
        let Some(c) = self.bump() else {
            return Ok(Token { tok: Tok::End, pos });
        };
        let op = |op| Tok::Op(op);
        let tok = match c {
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            '"' => Tok::Quoted(self.quoted(pos)?),
            '=' => op(CmpOp::Eq),
            '<' if self.eat('=') => op(CmpOp::Le),
            '<' => op(CmpOp::Lt),
            '>' if self.eat('=') => op(CmpOp::Ge),
            '>' => op(CmpOp::Gt),
            '!' if self.eat('=') => op(CmpOp::Ne),
            '!' => {
                return Err(self.err(
                    pos,
                    "unexpected `!` (write `!=` to compare, NOT to negate, or quote the value)",
                ));
            }
            ':' => return Err(self.err(pos, "expected a field name before `:`")),
            _ => {
                self.pos = pos;
                let word = self.take_while(|c| !ends_word(c)).to_string();
                if self.eat(':') {
                    self.prefixed(word)?
                } else {
                    Tok::Word(word)
                }
            }
        };
        Ok(Token { tok, pos })
    }

    fn eat(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(c);
        if hit {
            self.bump();
        }
        hit
    }

    /// The value after `field:`.
    fn prefixed(&mut self, field: String) -> Result<Tok, FilterError> {
        let value_pos = self.pos;
        let value = if self.eat('"') {
            self.quoted(value_pos)?
        } else {
            let v = self.take_while(|c| !ends_value(c)).to_string();
            if v.is_empty() {
                return Err(self.err(
                    value_pos,
                    format!("missing value after `{field}:` (quote values with spaces)"),
                ));
            }
            v
        };
        Ok(Tok::Prefixed { field, value })
    }

    /// The rest of a string whose opening quote (at `open`) was just consumed. A backslash
    /// takes the next character literally, so `\"` and `\\` can be written.
    fn quoted(&mut self, open: usize) -> Result<String, FilterError> {
        let mut out = String::new();
        loop {
            match self.bump() {
                Some('"') => return Ok(out),
                Some('\\') => match self.bump() {
                    Some(c) => out.push(c),
                    None => break,
                },
                Some(c) => out.push(c),
                None => break,
            }
        }
        Err(self.err(open, "unterminated string: this quote is never closed"))
    }
}

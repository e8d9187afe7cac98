//! Recursive-descent parser: tokens to [`Expr`].
//!
//! ```text
//! expr  := or
//! or    := and ("OR" and)*
//! and   := unary ("AND" unary)*
//! unary := "NOT" unary | "(" expr ")" | predicate
//! ```

use super::ast::{CmpOp, Expr, FieldKind, NumField, Predicate, TextField, fold};
use super::error::FilterError;
use super::lexer::{Tok, Token, lex};

/// Deeper nesting of NOT and parentheses is refused, so hostile input cannot overflow the stack.
pub const MAX_DEPTH: usize = 64;

pub(crate) fn parse(src: &str) -> Result<Expr, FilterError> {
    let tokens = lex(src)?;
    let mut p = Parser {
        src,
        tokens,
        at: 0,
        depth: 0,
    };
    let expr = p.or()?;
    let t = p.peek();
    match &t.tok {
        Tok::End => Ok(expr),
        Tok::RParen => Err(p.err(t.pos, "unmatched `)`")),
        _ => Err(p.err(
            t.pos,
            format!(
                "expected AND, OR or the end of the filter, found {}",
                describe(&t.tok)
            ),
        )),
    }
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::LParen => "`(`".into(),
        Tok::RParen => "`)`".into(),
        Tok::Op(op) => format!("`{}`", op.symbol()),
        Tok::Word(w) => format!("`{w}`"),
        Tok::Quoted(s) => format!("string \"{s}\""),
        Tok::Prefixed { field, value } => format!("`{field}:{value}`"),
        Tok::End => "the end of the filter".into(),
    }
}

fn is_keyword(tok: &Tok, keyword: &str) -> bool {
    matches!(tok, Tok::Word(w) if w.eq_ignore_ascii_case(keyword))
}

impl Parser<'_> {
    fn peek(&self) -> Token {
        // The lexer always ends the list with `End`, and `next` never moves past it.
        self.tokens.get(self.at).cloned().unwrap_or(Token {
            tok: Tok::End,
            pos: self.src.len(),
        })
    }

    fn next(&mut self) -> Token {
        let t = self.peek();
        if t.tok != Tok::End {
            self.at += 1;
        }
        t
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let hit = is_keyword(&self.peek().tok, keyword);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn err(&self, pos: usize, msg: impl Into<String>) -> FilterError {
        FilterError::new(self.src, pos, msg)
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut items = vec![self.and()?];
        while self.eat_keyword("OR") {
            items.push(self.and()?);
        }
        Ok(flatten(items, Expr::Or))
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut items = vec![self.unary()?];
        while self.eat_keyword("AND") {
            items.push(self.unary()?);
        }
        Ok(flatten(items, Expr::And))
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        let t = self.peek();
        // Only NOT and parentheses nest (and recurse); a condition at the innermost level is
        // not a level of its own, so exactly MAX_DEPTH of them parse.
        let nests = t.tok == Tok::LParen || is_keyword(&t.tok, "NOT");
        if !nests {
            return self.unary_inner(t);
        }
        if self.depth >= MAX_DEPTH {
            return Err(self.err(
                t.pos,
                format!(
                    "filter nested too deeply (more than {MAX_DEPTH} levels of NOT and parentheses)"
                ),
            ));
        }
        self.depth += 1;
        let result = self.unary_inner(t);
        self.depth -= 1;
        result
    }

    fn unary_inner(&mut self, t: Token) -> Result<Expr, FilterError> {
        if self.eat_keyword("NOT") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if t.tok != Tok::LParen {
            return self.predicate().map(Expr::Predicate);
        }
        self.next();
        let inner = self.or()?;
        let close = self.next();
        if close.tok != Tok::RParen {
            let column = FilterError::new(self.src, t.pos, "").column;
            return Err(self.err(
                close.pos,
                format!(
                    "expected `)` to close the `(` at column {column}, found {}",
                    describe(&close.tok)
                ),
            ));
        }
        Ok(inner)
    }

    fn predicate(&mut self) -> Result<Predicate, FilterError> {
        let prev = self.at.checked_sub(1).and_then(|i| self.tokens.get(i));
        let expected = match prev.map(|p| &p.tok) {
            Some(w @ Tok::Word(_)) if ["AND", "OR", "NOT"].iter().any(|k| is_keyword(w, k)) => {
                format!("expected a condition after {}", describe(w))
            }
            _ => "expected a condition such as `bpm >= 90` or `tag:mood:calm`".to_string(),
        };
        let t = self.next();
        let (name, prefixed) = match t.tok {
            ref w if is_keyword(w, "AND") || is_keyword(w, "OR") => {
                return Err(self.err(t.pos, format!("{expected}, found {}", describe(w))));
            }
            Tok::Word(w) => (w, None),
            Tok::Prefixed { field, value } => (field, Some(value)),
            other => {
                return Err(self.err(t.pos, format!("{expected}, found {}", describe(&other))));
            }
        };
        let Some(kind) = FieldKind::lookup(&name) else {
            return Err(self.err(
                t.pos,
                format!("unknown field \"{name}\" (fields: {})", FieldKind::names()),
            ));
        };
        let name = name.to_ascii_lowercase();
        if let Some(value) = prefixed {
            return match kind {
                FieldKind::Tag => Ok(Predicate::Tag(fold(&value).into_owned())),
                FieldKind::Text(field) => Ok(Predicate::Text {
                    field,
                    value: fold(&value).into_owned(),
                    equal: true,
                }),
                FieldKind::Num(_) => Err(self.err(
                    t.pos,
                    format!(
                        "{name} is numeric: compare it with = != < <= > >= or BETWEEN \
                         (e.g. {name} >= 90), not `{name}:`"
                    ),
                )),
                FieldKind::HasVocals => Err(self.err(
                    t.pos,
                    format!("{name} is true/false: write {name} = true or false, not `{name}:`"),
                )),
            };
        }
        match kind {
            FieldKind::Num(field) => self.numeric(field),
            FieldKind::HasVocals => self.has_vocals(),
            FieldKind::Text(field) => self.text(field),
            FieldKind::Tag => Err(self.err(
                t.pos,
                "tag is matched as tag:VALUE (e.g. tag:mood:calm or tag:\"genre:hip hop\"), \
                 not compared",
            )),
        }
    }

    fn numeric(&mut self, field: NumField) -> Result<Predicate, FilterError> {
        let name = field.column();
        let t = self.next();
        match t.tok {
            Tok::Op(op) => {
                let value = self.number(name, &format!("`{}`", op.symbol()))?;
                Ok(Predicate::Compare { field, op, value })
            }
            ref w if is_keyword(w, "BETWEEN") => {
                let low = self.number(name, "BETWEEN")?;
                let and = self.next();
                if !is_keyword(&and.tok, "AND") {
                    return Err(self.err(
                        and.pos,
                        format!(
                            "expected AND in `{name} BETWEEN low AND high`, found {}",
                            describe(&and.tok)
                        ),
                    ));
                }
                let high = self.number(name, "AND")?;
                Ok(Predicate::Between { field, low, high })
            }
            other => Err(self.err(
                t.pos,
                format!(
                    "expected = != < <= > >= or BETWEEN after {name}, found {}",
                    describe(&other)
                ),
            )),
        }
    }

    /// A finite number literal, which the comparison is done in (f32, like the columns).
    fn number(&mut self, name: &str, after: &str) -> Result<f32, FilterError> {
        let t = self.next();
        if let Tok::Word(w) = &t.tok {
            match w.parse::<f32>() {
                Ok(v) if v.is_finite() => return Ok(v),
                Ok(v) if !v.is_nan() && w.bytes().any(|b| b.is_ascii_digit()) => {
                    return Err(self.err(t.pos, format!("number {w} is out of range")));
                }
                _ => {}
            }
        }
        Err(self.err(
            t.pos,
            format!(
                "{name} is numeric: expected a number after {after}, found {}",
                describe(&t.tok)
            ),
        ))
    }

    fn has_vocals(&mut self) -> Result<Predicate, FilterError> {
        let name = super::ast::HAS_VOCALS;
        let t = self.next();
        let equal = match t.tok {
            Tok::Op(CmpOp::Eq) => true,
            Tok::Op(CmpOp::Ne) => false,
            Tok::Op(op) => {
                return Err(self.err(
                    t.pos,
                    format!(
                        "{name} is true/false: it takes = or !=, not `{}`",
                        op.symbol()
                    ),
                ));
            }
            other => {
                return Err(self.err(
                    t.pos,
                    format!("expected = or != after {name}, found {}", describe(&other)),
                ));
            }
        };
        let v = self.next();
        let value = match &v.tok {
            w if is_keyword(w, "true") => true,
            w if is_keyword(w, "false") => false,
            other => {
                return Err(self.err(
                    v.pos,
                    format!(
                        "{name} is true/false: expected true or false, found {}",
                        describe(other)
                    ),
                ));
            }
        };
        // With null never matching, `!= true` selects exactly the rows `= false` does.
        Ok(Predicate::HasVocals(value == equal))
    }

    fn text(&mut self, field: TextField) -> Result<Predicate, FilterError> {
        let name = field.column();
        let t = self.next();
        let equal = match t.tok {
            Tok::Op(CmpOp::Eq) => true,
            Tok::Op(CmpOp::Ne) => false,
            Tok::Op(op) => {
                return Err(self.err(
                    t.pos,
                    format!(
                        "{name} is text: it takes = or != (or {name}:VALUE), not `{}`",
                        op.symbol()
                    ),
                ));
            }
            other => {
                return Err(self.err(
                    t.pos,
                    format!(
                        "expected = or != after {name} (or write {name}:VALUE), found {}",
                        describe(&other)
                    ),
                ));
            }
        };
        let v = self.next();
        match v.tok {
            Tok::Word(s) | Tok::Quoted(s) => Ok(Predicate::Text {
                field,
                value: fold(&s).into_owned(),
                equal,
            }),
            other => Err(self.err(
                v.pos,
                format!(
                    "expected a value after `{}`, found {}",
                    eq_symbol(equal),
                    describe(&other)
                ),
            )),
        }
    }
}

fn eq_symbol(equal: bool) -> &'static str {
    if equal { "=" } else { "!=" }
}

/// One item stays itself; more become an `And`/`Or` node.
fn flatten(mut items: Vec<Expr>, node: fn(Vec<Expr>) -> Expr) -> Expr {
    if items.len() > 1 {
        return node(items);
    }
    items.pop().unwrap_or_else(|| node(Vec::new()))
}

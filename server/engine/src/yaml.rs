//! YAML with byte ranges: frontmatter of task files and Backlog.md's `config.yml`.
//!
//! yaml-rust2 does the parsing; this module turns its marks (line and character column) into
//! byte ranges of the source so a status value can be replaced without touching anything else.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::model::FileProblem;
use crate::text::{TextRange, range};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Yaml {
    Scalar(Scalar),
    Seq(Vec<Yaml>),
    Map(Vec<(Scalar, Yaml)>),
    /// An empty value, an alias or anything else we do not need.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar {
    pub value: String,
    /// The value's bytes in the source, quotes excluded. `exact` tells whether replacing this
    /// range with a new plain value is safe (single-line plain or quoted scalars).
    pub range: TextRange,
    pub exact: bool,
    pub quoted: Option<char>,
}

impl Yaml {
    pub fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(entries) => entries.iter().find(|(k, _)| k.value == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match self {
            Yaml::Scalar(it) => Some(it),
            _ => None,
        }
    }

    /// Scalars of a sequence, or the single scalar itself (`dependencies: task-1`).
    pub fn scalars(&self) -> Vec<&Scalar> {
        match self {
            Yaml::Scalar(it) if !it.value.is_empty() => vec![it],
            Yaml::Seq(items) => items.iter().filter_map(|it| it.as_scalar()).collect(),
            _ => Vec::new(),
        }
    }
}

/// Parses the YAML in `text[body]`. Ranges in the result are ranges of `text`.
pub fn parse(text: &str, body: TextRange) -> Result<Yaml, FileProblem> {
    let source = &text[body];
    let base = usize::from(body.start());
    let lines = LineStarts::new(source);
    let mut builder = Builder { source, base, lines: &lines, stack: Vec::new(), root: None };
    let mut parser = Parser::new_from_str(source);
    match parser.load(&mut builder, false) {
        Ok(()) => Ok(builder.root.unwrap_or(Yaml::Other)),
        Err(error) => {
            let at = lines.byte_offset(source, *error.marker()).unwrap_or(source.len());
            let line_range = crate::text::line_range_at(text, base + at);
            Err(FileProblem {
                range: line_range,
                message: format!("invalid YAML frontmatter: {} (line {})", error.info(), error.marker().line()),
            })
        }
    }
}

/// Like [`parse`], but YAML that does not parse still yields its top-level `key: value` lines,
/// so one bad line elsewhere in a frontmatter does not hide the task's status.
pub fn parse_lenient(text: &str, body: TextRange) -> (Yaml, Option<FileProblem>) {
    match parse(text, body) {
        Ok(yaml) => (yaml, None),
        Err(problem) => (top_level_lines(text, body), Some(problem)),
    }
}

fn top_level_lines(text: &str, body: TextRange) -> Yaml {
    let mut entries = Vec::new();
    let base = usize::from(body.start());
    for (offset, line) in crate::text::lines_with_offsets(&text[body]) {
        if line.starts_with([' ', '\t', '#', '-']) {
            continue;
        }
        let Some((key, rest)) = line.split_once(':') else { continue };
        if key.is_empty() || key.contains(' ') {
            continue;
        }
        let value = rest.split(" #").next().unwrap_or("").trim();
        let (value, quoted) = match value.chars().next() {
            Some(quote @ ('"' | '\'')) if value.len() >= 2 && value.ends_with(quote) => {
                (&value[1..value.len() - 1], Some(quote))
            }
            _ => (value, None),
        };
        let start =
            base + offset + key.len() + 1 + (rest.len() - rest.trim_start().len()) + usize::from(quoted.is_some());
        let key_start = base + offset;
        entries.push((
            Scalar {
                value: key.to_string(),
                range: range(key_start, key_start + key.len()),
                exact: true,
                quoted: None,
            },
            Yaml::Scalar(Scalar {
                value: value.to_string(),
                range: range(start, start + value.len()),
                exact: true,
                quoted,
            }),
        ));
    }
    Yaml::Map(entries)
}

struct LineStarts(Vec<usize>);

impl LineStarts {
    fn new(source: &str) -> LineStarts {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(at, _)| at + 1));
        LineStarts(starts)
    }

    /// Marks carry a 1-based line and a 0-based column in characters.
    fn byte_offset(&self, source: &str, mark: Marker) -> Option<usize> {
        let line_start = *self.0.get(mark.line().checked_sub(1)?)?;
        let line = &source[line_start..];
        let line = &line[..line.find('\n').unwrap_or(line.len())];
        let column = line.char_indices().nth(mark.col()).map_or(line.len(), |(at, _)| at);
        Some(line_start + column)
    }
}

enum Frame {
    Seq(Vec<Yaml>),
    Map(Vec<(Scalar, Yaml)>, Option<Scalar>),
}

struct Builder<'a> {
    source: &'a str,
    base: usize,
    lines: &'a LineStarts,
    stack: Vec<Frame>,
    root: Option<Yaml>,
}

impl Builder<'_> {
    fn scalar(&self, value: String, style: TScalarStyle, mark: Marker) -> Scalar {
        let Some(start) = self.lines.byte_offset(self.source, mark) else {
            return Scalar { value, range: range(self.base, self.base), exact: false, quoted: None };
        };
        let rest = &self.source[start..];
        let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
        let (quoted, inner_start, inner_len, exact) = match style {
            TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => {
                let quote = if matches!(style, TScalarStyle::SingleQuoted) { '\'' } else { '"' };
                match line[1..].find(quote) {
                    Some(close) => (Some(quote), start + 1, close, line[1..1 + close] == value),
                    None => (Some(quote), start + 1, line.len().saturating_sub(1), false),
                }
            }
            TScalarStyle::Plain => {
                let raw = line.split(" #").next().unwrap_or("").trim_end();
                let raw = raw.strip_suffix(',').unwrap_or(raw);
                let raw = raw.split_once(['}', ']']).map_or(raw, |(it, _)| it).trim_end();
                let raw = raw.split_once(", ").map_or(raw, |(it, _)| it);
                (None, start, raw.len(), raw == value)
            }
            _ => (None, start, 0, false),
        };
        Scalar { value, range: range(self.base + inner_start, self.base + inner_start + inner_len), exact, quoted }
    }

    fn push_value(&mut self, value: Yaml) {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq(items)) => items.push(value),
            Some(Frame::Map(entries, pending_key)) => match pending_key.take() {
                // Only scalar keys matter to us; others become an empty key nobody asks for.
                None => {
                    *pending_key = Some(match value {
                        Yaml::Scalar(it) => it,
                        _ => Scalar { value: String::new(), range: range(0, 0), exact: false, quoted: None },
                    })
                }
                Some(key) => entries.push((key, value)),
            },
        }
    }
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::Scalar(value, style, _, _) => {
                let scalar = self.scalar(value, style, mark);
                self.push_value(Yaml::Scalar(scalar));
            }
            Event::SequenceStart(..) => self.stack.push(Frame::Seq(Vec::new())),
            Event::MappingStart(..) => self.stack.push(Frame::Map(Vec::new(), None)),
            Event::SequenceEnd => {
                if let Some(Frame::Seq(items)) = self.stack.pop() {
                    self.push_value(Yaml::Seq(items));
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map(entries, _)) = self.stack.pop() {
                    self.push_value(Yaml::Map(entries));
                }
            }
            Event::Alias(_) => self.push_value(Yaml::Other),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(text: &str) -> Yaml {
        parse(text, range(0, text.len())).unwrap()
    }

    #[test]
    fn scalar_ranges_point_at_values() {
        let text = "id: BACK-é1\nstatus: 'To Do'\ndeps:\n  - task-24.1\ncounts: {a: 1, b: 22}\nx: \"q\" # note\n";
        let yaml = parse_all(text);
        let status = yaml.get("status").unwrap().as_scalar().unwrap();
        assert_eq!((&text[status.range], status.exact), ("To Do", true));
        let id = yaml.get("id").unwrap().as_scalar().unwrap();
        assert_eq!(&text[id.range], "BACK-é1");
        let deps = yaml.get("deps").unwrap().scalars();
        assert_eq!(&text[deps[0].range], "task-24.1");
        let b = yaml.get("counts").unwrap().get("b").unwrap().as_scalar().unwrap();
        assert_eq!((&text[b.range], b.exact), ("22", true));
        let a = yaml.get("counts").unwrap().get("a").unwrap().as_scalar().unwrap();
        assert_eq!((&text[a.range], a.exact), ("1", true));
        let x = yaml.get("x").unwrap().as_scalar().unwrap();
        assert_eq!(&text[x.range], "q");
    }

    #[test]
    fn lenient_parse_keeps_top_level_values() {
        let text = "id: BACK-1\nassignee: @me\nstatus: \"In Progress\"\n";
        let (yaml, problem) = parse_lenient(text, range(0, text.len()));
        assert!(problem.is_some());
        let status = yaml.get("status").unwrap().as_scalar().unwrap();
        assert_eq!(&text[status.range], "In Progress");
        assert_eq!(yaml.get("id").unwrap().as_scalar().unwrap().value, "BACK-1");
    }

    #[test]
    fn broken_yaml_is_a_problem_not_a_panic() {
        let text = "---\na: [1, 2\nb: c\n---\n";
        let problem = parse(text, range(4, text.len() - 4)).unwrap_err();
        assert!(problem.message.contains("invalid YAML"), "{}", problem.message);
    }
}

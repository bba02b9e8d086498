//! What the parsers of JSON stores share (state.json, Task Master's tasks.json): the top-level
//! object read with its offsets (a byte-order mark skipped), a file that is not one reported as
//! a problem, and the ranges of its values in the file's text.

use jsonc_parser::ast::{Object, Value};
use jsonc_parser::{CollectOptions, ParseOptions, parse_to_ast};

use crate::model::{Field, FileProblem};
use crate::text::{TextRange, line_range_at, range};

/// [`parse_object`], with the problem recorded in `out` when the text is no JSON object.
pub(crate) fn object_or_problem<'a>(
    text: &'a str,
    options: &ParseOptions,
    out: &mut crate::model::ParsedFile,
) -> Option<(Object<'a>, usize)> {
    parse_object(text, options).map_err(|problem| out.problems.push(problem)).ok()
}

/// The top-level object of `text`, and the offset its AST's ranges are shifted by (a leading
/// byte-order mark); a problem where the text is no JSON object.
pub(crate) fn parse_object<'a>(text: &'a str, options: &ParseOptions) -> Result<(Object<'a>, usize), FileProblem> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let shift = text.len() - body.len();
    let ast = parse_to_ast(body, &CollectOptions::default(), options).map_err(|error| {
        let start = (shift + error.range().start).min(text.len());
        FileProblem { range: line_range_at(text, start), message: format!("not valid JSON: {error}") }
    })?;
    match ast.value {
        Some(Value::Object(root)) => Ok((root, shift)),
        _ => Err(FileProblem { range: range(0, 0), message: "expected a JSON object at the top level".into() }),
    }
}

/// The objects of `object`'s array `key` (other elements skipped).
pub(crate) fn array_objects<'a, 'b>(object: &'b Object<'a>, key: &str) -> impl Iterator<Item = &'b Object<'a>> {
    object.get_array(key).into_iter().flat_map(|it| it.elements.iter()).filter_map(|it| match it {
        Value::Object(object) => Some(object),
        _ => None,
    })
}

/// An AST range in the file's text.
pub(crate) fn span(shift: usize, it: jsonc_parser::common::Range) -> TextRange {
    range(shift + it.start, shift + it.end)
}

/// A string property as a place's field: its value, the value's range inside the quotes, and
/// the property's line. `None` for a value that is no string.
pub(crate) fn string_field(text: &str, shift: usize, prop: &jsonc_parser::ast::ObjectProp<'_>) -> Option<Field> {
    let Value::StringLit(string) = &prop.value else { return None };
    Some(Field {
        name: smol_str::SmolStr::new(prop.name.as_str()),
        value: smol_str::SmolStr::new(&*string.value),
        value_range: string_span(shift, string.range),
        line: line_range_at(text, shift + prop.range.start),
    })
}

/// The inside of a string literal, without its quotes.
pub(crate) fn string_span(shift: usize, it: jsonc_parser::common::Range) -> TextRange {
    range(shift + it.start + 1, (shift + it.end).saturating_sub(1).max(shift + it.start + 1))
}

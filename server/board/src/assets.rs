//! The page, its script and its style, built into the binary: the board works offline and
//! serves exactly the code this version was built with. `board.js` is built from
//! `editors/board/src` by `npm run build` there (checked to be current in CI); the page and the
//! style are written by hand.

pub const PAGE: &str = include_str!("../assets/index.html");
const SCRIPT: &str = include_str!("../assets/board.js");
const STYLE: &str = include_str!("../assets/board.css");

/// A static file by name, with its content type.
pub fn named(name: &str) -> Option<(&'static str, &'static str)> {
    match name {
        "board.js" => Some(("text/javascript; charset=utf-8", SCRIPT)),
        "board.css" => Some(("text/css; charset=utf-8", STYLE)),
        _ => None,
    }
}

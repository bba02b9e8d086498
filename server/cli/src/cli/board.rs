//! `taskmark board`: opens the workspace's board, a page this user's daemon serves on loopback
//! (`taskmark-board`), in the browser; the daemon is started if none runs. The address carries
//! the token the page needs, so it is printed for this user only (on the terminal) and given to
//! the browser, never written anywhere.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::cli::output::outln;
use crate::cli::{ShowFormat, exit};

#[derive(clap::Args, Debug)]
pub struct BoardArgs {
    /// Print the address only; do not start a browser.
    #[arg(long)]
    no_open: bool,
    #[arg(long, value_enum, default_value_t = ShowFormat::Human)]
    format: ShowFormat,
    #[arg(long, value_name = "DIR", help = crate::cli::ROOT_HELP)]
    root: Option<PathBuf>,
}

#[derive(serde::Serialize)]
struct BoardAnswer<'a> {
    url: &'a str,
    opened: bool,
}

pub fn board(args: BoardArgs) -> anyhow::Result<u8> {
    let root = crate::cli::find_root(args.root.as_deref(), &[])?.path;
    let url = match crate::cli::via_daemon::open_board(&root) {
        Ok(url) => url,
        Err(reason) => {
            crate::cli::output::refusal("error", "failed", &format!("no board for {}: {reason}", root.display()));
            return Ok(exit::FAILURE);
        }
    };
    let opened = !args.no_open && open_in_browser(&url);
    match args.format {
        ShowFormat::Json => {
            outln!("{}", serde_json::to_string_pretty(&BoardAnswer { url: &url, opened }).unwrap_or_default())
        }
        ShowFormat::Human => {
            outln!("The board of {} is at", root.display());
            outln!("  {url}");
            if opened {
                outln!("(opened in the browser; the daemon serves it while the page is open)");
            }
        }
    }
    Ok(exit::CLEAN)
}

/// Starts `$BROWSER`, else the desktop's opener, on `url`; false (with a note) when none starts.
fn open_in_browser(url: &str) -> bool {
    let browser = std::env::var("BROWSER").ok().filter(|it| !it.trim().is_empty());
    let program = browser.unwrap_or_else(|| if cfg!(target_os = "macos") { "open" } else { "xdg-open" }.to_string());
    match Command::new(&program).arg(url).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn() {
        Ok(mut child) => {
            // Reaped when it exits, never waited for.
            std::thread::spawn(move || child.wait());
            true
        }
        Err(error) => {
            crate::cli::output::say("note", &format!("cannot start `{program}` ({error}); open the address yourself"));
            false
        }
    }
}

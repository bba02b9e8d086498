use std::path::Path;
use taskmark::engine::config::Config;
use taskmark::engine::rules;
use taskmark::workspace::{self, DiskPaths};
fn main() {
    let root = std::env::args().nth(1).unwrap();
    let n: usize = std::env::args().nth(2).map(|it| it.parse().unwrap()).unwrap_or(5);
    let ws = workspace::load(Path::new(&root), Config::default(), &|_, _| {}).unwrap();
    let oracle = DiskPaths { root: &ws.root, known: &ws.known };
    for _ in 0..n {
        let t = std::time::Instant::now();
        let d = rules::check(&ws.index, &ws.config, None, &oracle);
        println!("rules {:?} {}", t.elapsed(), d.len());
    }
}

//! Prints a PNG's size and how many distinct colours it has: CI uses it to
//! check that `valley --screenshot` wrote a real picture, not a blank one.
//!
//! Run: `cargo run --release --example png_stats -- shot.png`

use std::collections::HashSet;

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: png_stats FILE.png"))?;
    let image = image::open(&path)?.to_rgba8();
    let colours: HashSet<[u8; 4]> = image.pixels().map(|p| p.0).collect();
    println!("{} {} {}", image.width(), image.height(), colours.len());
    Ok(())
}

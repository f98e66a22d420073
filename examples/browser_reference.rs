//! The native side of the browser build's yardstick: the default demo's
//! training steps per second, a 61 × 61 slice and the Hessian's top five
//! eigenvalues, timed on one thread (a browser page has one), as JSON. The
//! browser side is `yardstick()` in `valley_web`; `web/test/smoke.mjs`
//! prints both ratios.
//!
//! Run: `cargo run --release --example browser_reference`

fn main() -> anyhow::Result<()> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let best = pool.install(|| valley_app::yardstick(2.0, 3))?;
    println!("{}", serde_json::to_string(&best)?);
    Ok(())
}

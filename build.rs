//! Release builds of the server link the functions that start it, and then those that
//! serve its pages, first and together, in the order `link-order.txt` lists them.
//!
//! Why: the kernel maps a binary's code into memory in large blocks around each function
//! it runs, so a function run at start-up brings its neighbours with it. Laid out by
//! crate, the code a server runs is spread over most of the 19 MiB of `.text`, and an idle
//! instance held 9.9 MiB of it; listed first, 2.4 MiB of code stays resident (idle
//! resident memory 18.3 -> 10.8 MiB).
//!
//! `scripts/bench link-order` writes the list from a run under callgrind; `scripts/bench`
//! says how much of it the binary still has. A stale list does no harm: the linker
//! skips the names it does not know, and those functions fall back to their usual place.
//! The option is lld's (and mold's), so it is given only where rustc links with lld by
//! default and nobody chose another linker; `GATEHOUSE_LINK_ORDER=0` turns it off.

use std::{env, path::Path, process::Command};

const LIST: &str = "link-order.txt";

fn main() {
    println!("cargo:rerun-if-changed={LIST}");
    println!("cargo:rerun-if-env-changed=GATEHOUSE_LINK_ORDER");
    if env::var("GATEHOUSE_LINK_ORDER").as_deref() == Ok("0")
        || env::var("PROFILE").as_deref() != Ok("release")
        || !links_with_lld()
    {
        return;
    }
    let Ok(dir) = env::var("CARGO_MANIFEST_DIR") else { return };
    let list = Path::new(&dir).join(LIST);
    if list.is_file() {
        println!("cargo:rustc-link-arg-bin=gatehouse=-Wl,--symbol-ordering-file={}", list.display());
        println!("cargo:rustc-link-arg-bin=gatehouse=-Wl,--no-warn-symbol-ordering");
    }
}

/// rustc links x86_64-unknown-linux-gnu programs with its own lld from 1.90 on, unless a
/// linker is chosen (`-C linker`, `-C linker-features`, `-fuse-ld=` in RUSTFLAGS, or
/// cargo's per-target LINKER variable). GNU ld, the other choice, rejects the option.
fn links_with_lld() -> bool {
    if env::var("TARGET").as_deref() != Ok("x86_64-unknown-linux-gnu")
        || env::var_os("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER").is_some()
    {
        return false;
    }
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if flags.contains("linker") || flags.contains("fuse-ld") {
        return false;
    }
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(out) = Command::new(rustc).arg("--version").output() else { return false };
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let version = String::from_utf8_lossy(&out.stdout);
    let minor = version.split_whitespace().nth(1).and_then(|v| v.split('.').nth(1)?.parse::<u32>().ok());
    minor.is_some_and(|minor| minor >= 90)
}

//! What one durable write costs on this machine's disk when writes come one at a time, as
//! clicks do at 200 clicks/s: the floor under the bot's per-click latency and system time
//! that no code of ours can go below while every click is made durable before it is
//! answered (issue #5).
//!
//! ```text
//! cargo run --release --example disk_latency -- --writes 2000 --gap-us 5000 [--dir DIR]
//! ```
//!
//! Three ways, one after the other, each write followed by `--gap-us` of idleness:
//! a sled 0.34.7 insert + `flush` of a 100-byte record (what the bot's store does per click,
//! with sled's own I/O pool and `sync_file_range`); a `pwrite` + `fdatasync` into a
//! preallocated file (a minimal journal of our own would do this); and no I/O (the timer's
//! own noise). For each: latency p50/p90/p99 and the process's CPU per write (utime + stime
//! from /proc). That CPU includes waking from each sleep, which in a VM is not small: the
//! "no I/O" line shows it, and the write itself costs the difference. `--dir` defaults to a fresh
//! directory under the system temp dir, on the disk the bot's data dir would use.

use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Writes per way.
    #[arg(long, default_value_t = 2000)]
    writes: usize,
    /// Idle time before each write, in microseconds (5000: 200 writes per second).
    #[arg(long, default_value_t = 5000)]
    gap_us: u64,
    /// Where to write: a fresh directory is made inside it and removed at the end.
    #[arg(long)]
    dir: Option<std::path::PathBuf>,
}

/// utime + stime of this process, in seconds.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // CLK_TCK is 100 on Linux for every architecture Rust supports here.
    (ticks(11) + ticks(12)) / 100.0
}

/// Runs `write` `n` times with `gap` of idleness before each; returns the sorted latencies
/// and the CPU seconds per write.
fn measure(n: usize, gap: Duration, mut write: impl FnMut(usize)) -> (Vec<Duration>, f64) {
    let mut took = Vec::with_capacity(n);
    let cpu0 = cpu_secs();
    for i in 0..n {
        std::thread::sleep(gap);
        let start = Instant::now();
        write(i);
        took.push(start.elapsed());
    }
    let cpu = (cpu_secs() - cpu0) / n as f64;
    took.sort_unstable();
    (took, cpu)
}

fn print(name: &str, (took, cpu): (Vec<Duration>, f64)) {
    let q = |p: f64| {
        let i = ((took.len() as f64 * p) as usize).min(took.len() - 1);
        took[i].as_secs_f64() * 1e6
    };
    println!(
        "| {name} | {:.0} | {:.0} | {:.0} | {:.0} |",
        q(0.5),
        q(0.9),
        q(0.99),
        cpu * 1e6
    );
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.writes > 0, "--writes must be at least 1");
    let dir = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            tempfile::tempdir_in(d)?
        }
        None => tempfile::tempdir()?,
    };
    let gap = Duration::from_micros(args.gap_us);
    // Each write changes the record (as every click does): sled writes nothing for an
    // insert of the value a key already has.
    let record = |i: usize| {
        let mut r = [7u8; 100];
        r[..8].copy_from_slice(&(i as u64).to_be_bytes());
        r
    };
    println!(
        "{} writes per way, {} us apart, in {}",
        args.writes,
        args.gap_us,
        dir.path().display()
    );
    println!("| way | p50 (us) | p90 (us) | p99 (us) | CPU per write (us) |");
    println!("|---|---:|---:|---:|---:|");

    let db = sled::Config::new()
        .path(dir.path().join("sled"))
        .cache_capacity(8 << 20)
        .open()?;
    for i in 0..1000 {
        db.insert((i as u64).to_be_bytes(), &record(i)[..])?;
    }
    db.flush()?;
    print(
        "sled insert + flush",
        measure(args.writes, gap, |i| {
            db.insert((i as u64 % 1000).to_be_bytes(), &record(i + 1000)[..])
                .expect("sled insert");
            db.flush().expect("sled flush");
        }),
    );
    drop(db);

    let slot = 128;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(dir.path().join("journal"))?;
    file.write_all_at(&vec![0u8; args.writes * slot], 0)?;
    file.sync_all()?;
    print(
        "pwrite + fdatasync (preallocated)",
        measure(args.writes, gap, |i| {
            file.write_all_at(&record(i), (i * slot) as u64)
                .expect("pwrite");
            file.sync_data().expect("fdatasync");
        }),
    );

    print(
        "no I/O",
        measure(args.writes, gap, |i| {
            std::hint::black_box(record(i));
        }),
    );
    Ok(())
}

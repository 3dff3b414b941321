//! Times [`domain::allocation::allocate`] on 10⁶ videos against a plain-bisection baseline.
//! Run with `cargo run --release -p domain --example allocation_bench [n]`; see
//! `bench/allocation/README.md`. Inputs come from a fixed-seed xorshift, so every run solves
//! the same problem.

use std::hint::black_box;
use std::time::{Duration, Instant};

use domain::allocation::{AllocationInput, AllocationParams, allocate};
use domain::metrics::Fraction;

const RUNS: usize = 7;

/// xorshift64*: tiny, deterministic, good enough for benchmark inputs.
struct XorShift(u64);

impl XorShift {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in (0, 1].
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }
}

/// Heavy-tailed views (Pareto, α ≈ 1.1: most videos get a handful, a few get millions), 5 %
/// with no views, 8 % non-compliant or zero-quality, the rest with quality in (0, 1).
fn inputs(n: usize) -> Vec<AllocationInput> {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    (0..n)
        .map(|_| {
            let views = if rng.unit() < 0.05 {
                0
            } else {
                (3.0 * rng.unit().powf(-1.0 / 1.1)).min(5e7) as u64
            };
            let quality = if rng.unit() < 0.08 {
                0.0
            } else {
                rng.unit().sqrt()
            };
            AllocationInput {
                qualified_views: views,
                quality: Fraction::parse(quality).unwrap(),
            }
        })
        .collect()
}

/// The baseline: the same model, with μ found by plain bisection on the same bracket until it
/// is narrower than 10⁻¹² relative. Returns the shares and the number of passes.
fn allocate_by_bisection(inputs: &[AllocationInput], params: &AllocationParams) -> (Vec<f64>, u32) {
    let merit: Vec<f64> = inputs
        .iter()
        .map(|i| i.qualified_views as f64 * i.quality.get())
        .collect();
    let total: f64 = merit.iter().sum();
    let terms: Vec<(f64, f64)> = merit
        .iter()
        .filter(|&&m| m > 0.0)
        .map(|&m| {
            let s = m / total;
            (
                params.lambda_eff() * s,
                params.lambda_fair() * s.powf(params.alpha()),
            )
        })
        .collect();
    let a_max = terms.iter().map(|t| t.0).fold(f64::NEG_INFINITY, f64::max);
    let c_sum: f64 = terms.iter().map(|t| t.1).sum();
    let (mut lo, mut hi) = (a_max, a_max + c_sum);
    let mut passes = 0;
    while hi - lo > 1e-12 * lo {
        passes += 1;
        let mid = lo + 0.5 * (hi - lo);
        let g: f64 = terms.iter().map(|&(a, c)| c / (mid - a)).sum::<f64>() - 1.0;
        if g > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let nu = lo + 0.5 * (hi - lo);
    let mut shares: Vec<f64> = merit
        .iter()
        .map(|&m| {
            if m > 0.0 {
                let s = m / total;
                params.lambda_fair() * s.powf(params.alpha()) / (nu - params.lambda_eff() * s)
            } else {
                0.0
            }
        })
        .collect();
    let sum: f64 = shares.iter().sum();
    shares.iter_mut().for_each(|x| *x /= sum);
    (shares, passes)
}

/// The work both solvers share and neither can avoid: M, s and w = s^α for every video.
fn set_up(inputs: &[AllocationInput], params: &AllocationParams) -> Vec<(f64, f64)> {
    let total: f64 = inputs
        .iter()
        .map(|i| i.qualified_views as f64 * i.quality.get())
        .sum();
    inputs
        .iter()
        .map(|i| {
            let s = i.qualified_views as f64 * i.quality.get() / total;
            (s, if s > 0.0 { s.powf(params.alpha()) } else { 0.0 })
        })
        .collect()
}

fn time<T>(mut f: impl FnMut() -> T) -> (Duration, Duration, T) {
    let mut times = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        let out = black_box(f());
        times.push(start.elapsed());
        last = Some(out);
    }
    times.sort();
    (times[0], times[RUNS / 2], last.expect("RUNS > 0"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("n must be a number"))
        .unwrap_or(1_000_000);
    let params = AllocationParams::default();
    let inputs = inputs(n);
    let earning = inputs
        .iter()
        .filter(|i| i.qualified_views > 0 && i.quality.get() > 0.0)
        .count();

    let (setup_min, setup_median, _) = time(|| set_up(&inputs, &params));
    let (newton_min, newton_median, allocation) = time(|| allocate(&inputs, &params));
    let (bisect_min, bisect_median, (shares, passes)) =
        time(|| allocate_by_bisection(&inputs, &params));

    let max_diff = allocation
        .lines()
        .iter()
        .zip(&shares)
        .map(|(l, s)| (l.share() - s).abs())
        .fold(0.0, f64::max);
    let largest = allocation
        .lines()
        .iter()
        .map(|l| l.share())
        .fold(0.0, f64::max);

    println!("videos: {n} ({earning} earning), pool {}", params.pool());
    println!(
        "allocate (safeguarded Newton): min {:.1} ms, median {:.1} ms, {} passes, mu {:e}",
        ms(newton_min),
        ms(newton_median),
        allocation.iterations(),
        allocation.mu().unwrap_or(f64::NAN)
    );
    println!(
        "baseline (plain bisection):    min {:.1} ms, median {:.1} ms, {passes} passes",
        ms(bisect_min),
        ms(bisect_median)
    );
    println!(
        "shared set-up (M, s, w = s^alpha, one output vector): min {:.1} ms, median {:.1} ms",
        ms(setup_min),
        ms(setup_median)
    );
    let solver = |total: Duration| ms(total.saturating_sub(setup_median));
    println!(
        "solve beyond set-up (median): Newton {:.1} ms, bisection {:.1} ms, {:.1}x",
        solver(newton_median),
        solver(bisect_median),
        solver(bisect_median) / solver(newton_median).max(1e-3)
    );
    println!(
        "speed-up end to end (median): {:.2}x; largest share {:.3e}; max |share difference| {:.2e}",
        ms(bisect_median) / ms(newton_median),
        largest,
        max_diff
    );
}

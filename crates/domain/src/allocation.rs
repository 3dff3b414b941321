//! Splits a period's revenue pool among videos by solving the original service's concave
//! programme exactly, rounds the result to cents, and explains every line. Pure: no I/O, no
//! clock.
//!
//! # The model
//! For video `v` with `views_v` qualified views and quality `Q_v`:
//! `M_v = views_v · Q_v`, `s_v = M_v / Σ M`, `w_v = s_v^α`, and the pool `P` is split by
//!
//! ```text
//! maximise  λ_fair · Σ w_v ln p_v + λ_eff · Σ s_v p_v / P   subject to  Σ p_v = P, p_v ≥ 0
//! ```
//!
//! Videos with `s_v = 0` get `p_v = 0`. For the others the objective is strictly concave and
//! the KKT conditions give `p_v = λ_fair w_v / (μ − λ_eff s_v / P)`, where `μ` is the unique
//! root of `Σ p_v(μ) = P` on `μ > λ_eff · max s / P`.
//!
//! # The solver
//! With `ν = μ·P` and shares `x_v = p_v / P` the condition reads
//! `g(ν) = Σ c_v / (ν − a_v) − 1 = 0` with `a_v = λ_eff s_v`, `c_v = λ_fair w_v`; the shares no
//! longer depend on `P`. `g` is strictly decreasing and convex on `ν > max a`, and the root lies
//! in `[max(Σc, a* + c*), max a + Σc]` (`a*`, `c*` of a video with the largest `s`): at either
//! lower candidate `g ≥ 0`, and at the upper end every term is at most `c_v / Σc`. Newton's
//! method started at the lower end of that bracket climbs monotonically to the root (the
//! tangent of a convex decreasing function under-shoots), so it is fast and safe; a step that
//! rounding would push outside the maintained bracket is replaced by bisection. Each iteration
//! is one O(n) pass; iteration stops when the Newton step or the bracket is below 10⁻¹³·ν
//! (relative error of μ well under 10⁻¹²). Shares are finally renormalised so they sum to 1
//! to the last bit of rounding (a change of order 10⁻¹³).
//!
//! Money in ledgers is integer cents: [`split_cents`] rounds by the largest-remainder method
//! so the lines sum to the pool exactly.
//!
//! This module does not compute metrics or quality (see [`crate::metrics`] and
//! [`crate::quality`]) and does not know periods or ledgers (that is `store`'s job).

use serde::Serialize;
use thiserror::Error;

use crate::metrics::{Fraction, VideoMetrics};
use crate::quality::{QualityWeights, quality_score};

/// The constants of the allocation: pool `P`, `α`, `λ_fair`, `λ_eff`. Defaults are the
/// original service's: 10 000, 0.7, 0.6, 0.4.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AllocationParams {
    pool: f64,
    alpha: f64,
    lambda_fair: f64,
    lambda_eff: f64,
}

/// A parameter outside its domain.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
pub enum AllocationParamsError {
    #[error("pool must be a finite number > 0, got {0}")]
    Pool(f64),
    #[error("alpha must be a finite number ≥ 0, got {0}")]
    Alpha(f64),
    #[error("lambda_fair must be a finite number > 0, got {0}")]
    LambdaFair(f64),
    #[error("lambda_eff must be a finite number ≥ 0, got {0}")]
    LambdaEff(f64),
}

impl Default for AllocationParams {
    fn default() -> Self {
        Self {
            pool: 10_000.0,
            alpha: 0.7,
            lambda_fair: 0.6,
            lambda_eff: 0.4,
        }
    }
}

impl AllocationParams {
    /// `pool > 0`, `alpha ≥ 0`, `lambda_fair > 0` (without the log term the optimum is a
    /// corner, not the KKT formula), `lambda_eff ≥ 0`; all finite.
    pub fn parse(
        pool: f64,
        alpha: f64,
        lambda_fair: f64,
        lambda_eff: f64,
    ) -> Result<Self, AllocationParamsError> {
        if !(pool.is_finite() && pool > 0.0) {
            return Err(AllocationParamsError::Pool(pool));
        }
        if !(alpha.is_finite() && alpha >= 0.0) {
            return Err(AllocationParamsError::Alpha(alpha));
        }
        if !(lambda_fair.is_finite() && lambda_fair > 0.0) {
            return Err(AllocationParamsError::LambdaFair(lambda_fair));
        }
        if !(lambda_eff.is_finite() && lambda_eff >= 0.0) {
            return Err(AllocationParamsError::LambdaEff(lambda_eff));
        }
        Ok(Self {
            pool,
            alpha: alpha + 0.0,
            lambda_fair,
            lambda_eff: lambda_eff + 0.0,
        })
    }

    /// The same parameters with another pool.
    pub fn with_pool(self, pool: f64) -> Result<Self, AllocationParamsError> {
        Self::parse(pool, self.alpha, self.lambda_fair, self.lambda_eff)
    }

    pub fn pool(&self) -> f64 {
        self.pool
    }
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
    pub fn lambda_fair(&self) -> f64 {
        self.lambda_fair
    }
    pub fn lambda_eff(&self) -> f64 {
        self.lambda_eff
    }
}

/// What the allocation needs to know about one video.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AllocationInput {
    pub qualified_views: u64,
    pub quality: Fraction,
}

/// One video's result, in input order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AllocationLine {
    s: f64,
    w: f64,
    share: f64,
    amount: f64,
}

impl AllocationLine {
    /// The line of a video that earns nothing (and takes no part in the split).
    pub const ZERO: AllocationLine = AllocationLine {
        s: 0.0,
        w: 0.0,
        share: 0.0,
        amount: 0.0,
    };

    /// A line as a solve produced it, read back from storage (one node solves, the others
    /// read its result). `None` unless every number is finite, `s` and `share` are in
    /// [0, 1], and `w` and `amount` are not negative.
    pub fn restore(s: f64, w: f64, share: f64, amount: f64) -> Option<Self> {
        let fraction = |x: f64| (0.0..=1.0).contains(&x);
        let non_negative = |x: f64| x.is_finite() && x >= 0.0;
        (fraction(s) && fraction(share) && non_negative(w) && non_negative(amount)).then_some(
            Self {
                s,
                w,
                share,
                amount,
            },
        )
    }

    /// `s_v = M_v / Σ M`: the video's share of merit (views × quality).
    pub fn s(&self) -> f64 {
        self.s
    }
    /// `w_v = s_v^α`: the weight of the video in the fairness (log) term.
    pub fn w(&self) -> f64 {
        self.w
    }
    /// `p_v / P`: the Creator API's `rev_prop`.
    pub fn share(&self) -> f64 {
        self.share
    }
    /// `p_v`: the Creator API's `proj_earnings`.
    pub fn amount(&self) -> f64 {
        self.amount
    }
    /// Whether the video earns anything.
    pub fn earns(&self) -> bool {
        self.amount > 0.0
    }
}

/// The exact optimum for one set of videos. Only [`allocate`] builds one; when any video earns,
/// the shares sum to 1 (up to rounding of the last bit) and the amounts to the pool.
#[derive(Debug, Clone, PartialEq)]
pub struct Allocation {
    lines: Vec<AllocationLine>,
    pool: f64,
    mu: Option<f64>,
    iterations: u32,
}

impl Allocation {
    /// One line per input video, in input order.
    pub fn lines(&self) -> &[AllocationLine] {
        &self.lines
    }
    pub fn pool(&self) -> f64 {
        self.pool
    }
    /// The KKT multiplier μ of the pool constraint; `None` when nothing earns.
    pub fn mu(&self) -> Option<f64> {
        self.mu
    }
    /// O(n) passes the solver made (0 when nothing earns or the first guess was exact).
    pub fn iterations(&self) -> u32 {
        self.iterations
    }
    /// Whether any video earns (false exactly when every `M_v` is 0).
    pub fn pays_out(&self) -> bool {
        self.mu.is_some()
    }
    /// `p_v` for every video, in input order.
    pub fn amounts(&self) -> Vec<f64> {
        self.lines.iter().map(|l| l.amount).collect()
    }

    /// The objective `λ_fair Σ w ln p + λ_eff Σ s p / P` at this allocation.
    pub fn objective(&self, params: &AllocationParams) -> f64 {
        self.objective_at(params, &self.amounts())
    }

    /// The objective at other amounts for the same videos (to compare candidate splits).
    /// Videos with `s = 0` contribute nothing; `-∞` if an earning video gets `p ≤ 0`.
    ///
    /// # Panics
    /// If `amounts` has a different length than the allocation.
    pub fn objective_at(&self, params: &AllocationParams, amounts: &[f64]) -> f64 {
        assert_eq!(amounts.len(), self.lines.len(), "one amount per video");
        let mut fair = 0.0;
        let mut efficient = 0.0;
        for (line, &p) in self.lines.iter().zip(amounts) {
            if line.s > 0.0 {
                fair += line.w * p.ln();
                efficient += line.s * p;
            }
        }
        params.lambda_fair * fair + params.lambda_eff * efficient / params.pool
    }
}

/// Most solver passes before giving up on tightening further (never reached in practice:
/// bisection alone needs about 45 on the initial bracket, whose ends differ by at most 2×).
const MAX_ITERATIONS: u32 = 200;

/// Stop when the Newton step or the bracket is below this fraction of ν.
const STOP_RELATIVE: f64 = 1e-13;

/// Solves the allocation exactly (see the module documentation). Never fails: when every
/// `M_v` is 0 (no views, or no quality anywhere) every line is 0.
pub fn allocate(inputs: &[AllocationInput], params: &AllocationParams) -> Allocation {
    let merit = |i: &AllocationInput| i.qualified_views as f64 * i.quality.get();
    let total: f64 = inputs.iter().map(merit).sum();
    if total <= 0.0 {
        return Allocation {
            lines: vec![AllocationLine::ZERO; inputs.len()],
            pool: params.pool,
            mu: None,
            iterations: 0,
        };
    }

    // Earning videos as (a_v, c_v) = (λ_eff s_v, λ_fair w_v), compact for the solver passes.
    let mut lines = Vec::with_capacity(inputs.len());
    let mut terms = Vec::with_capacity(inputs.len());
    for m in inputs.iter().map(merit) {
        if m > 0.0 {
            let s = m / total;
            let w = s.powf(params.alpha);
            lines.push(AllocationLine {
                s,
                w,
                share: 0.0,
                amount: 0.0,
            });
            terms.push((params.lambda_eff * s, params.lambda_fair * w));
        } else {
            lines.push(AllocationLine::ZERO);
        }
    }

    let (nu, iterations) = solve(&terms);

    let mut sum = 0.0;
    for line in lines.iter_mut().filter(|l| l.s > 0.0) {
        line.share = params.lambda_fair * line.w / (nu - params.lambda_eff * line.s);
        sum += line.share;
    }
    for line in lines.iter_mut().filter(|l| l.s > 0.0) {
        line.share /= sum;
        line.amount = line.share * params.pool;
    }
    debug_assert!(
        (lines.iter().map(|l| l.share).sum::<f64>() - 1.0).abs() < 1e-9,
        "shares sum to 1"
    );

    Allocation {
        lines,
        pool: params.pool,
        mu: Some(nu / params.pool),
        iterations,
    }
}

/// The root ν of `Σ c/(ν − a) = 1` and the number of passes it took. `terms` is non-empty and
/// every `c > 0` except where `s^α` underflowed.
fn solve(terms: &[(f64, f64)]) -> (f64, u32) {
    let (a_max, c_at_max) = terms
        .iter()
        .copied()
        .fold((f64::NEG_INFINITY, 0.0), |best, (a, c)| {
            if a > best.0 || (a == best.0 && c > best.1) {
                (a, c)
            } else {
                best
            }
        });
    let c_sum: f64 = terms.iter().map(|&(_, c)| c).sum();
    if !(c_sum > 0.0 && c_sum.is_finite()) {
        // Only if every w underflowed; no meaningful root. Keep the arithmetic finite.
        return (a_max + 1.0, 0);
    }

    let mut lo = a_max;
    let mut hi = a_max + c_sum;
    let mut nu = c_sum.max(a_max + c_at_max).min(hi);
    let mut iterations = 0;
    while iterations < MAX_ITERATIONS {
        iterations += 1;
        let (g, slope) = evaluate(terms, nu);
        if g == 0.0 {
            break;
        }
        if g > 0.0 {
            lo = nu;
        } else {
            hi = nu;
        }
        // slope < 0, so the Newton step moves right when g > 0 and left when g < 0.
        let newton = nu - g / slope;
        let next = if newton > lo && newton < hi && newton.is_finite() {
            newton
        } else {
            lo + 0.5 * (hi - lo)
        };
        let step = (next - nu).abs();
        nu = next;
        if step <= STOP_RELATIVE * nu || hi - lo <= STOP_RELATIVE * lo {
            break;
        }
    }
    (nu, iterations)
}

/// `g(ν) = Σ c/(ν − a) − 1` and `g'(ν) = −Σ c/(ν − a)²` in one pass.
fn evaluate(terms: &[(f64, f64)], nu: f64) -> (f64, f64) {
    let mut sum = 0.0;
    let mut slope = 0.0;
    for &(a, c) in terms {
        let inv = 1.0 / (nu - a);
        let t = c * inv;
        sum += t;
        slope -= t * inv;
    }
    (sum - 1.0, slope)
}

/// Rounds amounts to integer cents so the lines sum to `pool_cents` exactly, by the
/// largest-remainder method: each line gets the floor of its exact part
/// `pool_cents · a_v / Σ a`, and the cents left over go one each to the largest remainders,
/// ties to the lower index. Each line is within 1 cent of its exact part (for pools up to
/// 2⁵³ cents, where `f64` is exact on integers).
///
/// Negative, NaN and infinite amounts count as 0 and get 0. When no amount is positive every
/// line is 0 (nothing earned, nothing paid). A negative pool (a claw-back) is split like its
/// magnitude and negated.
pub fn split_cents(pool_cents: i64, amounts: &[f64]) -> Vec<i64> {
    let weights: Vec<f64> = amounts
        .iter()
        .map(|&a| if a.is_finite() && a > 0.0 { a } else { 0.0 })
        .collect();
    let mut cents = vec![0i64; amounts.len()];
    let largest = weights.iter().copied().fold(0.0, f64::max);
    if pool_cents == 0 || largest <= 0.0 {
        return cents;
    }
    // Dividing by the largest weight first keeps the sum finite whatever the magnitudes.
    let total: f64 = weights.iter().map(|w| w / largest).sum();
    let magnitude = pool_cents.unsigned_abs();
    let pool = magnitude as f64;

    let mut remainders: Vec<(usize, f64)> = Vec::new();
    let mut assigned: u128 = 0;
    let mut floors = vec![0u64; amounts.len()];
    for (i, &w) in weights.iter().enumerate() {
        if w > 0.0 {
            let exact = pool * (w / largest / total);
            let floor = exact.floor();
            floors[i] = (floor as u64).min(magnitude);
            assigned += u128::from(floors[i]);
            remainders.push((i, exact - floor));
        }
    }
    // Largest remainder first, ties to the lower index (sort_by is stable over index order).
    remainders.sort_by(|x, y| y.1.total_cmp(&x.1));

    let magnitude = u128::from(magnitude);
    if assigned <= magnitude {
        let left = magnitude - assigned;
        let k = remainders.len() as u128;
        for (rank, &(i, _)) in remainders.iter().enumerate() {
            let extra = left / k + u128::from((rank as u128) < left % k);
            floors[i] += extra as u64;
        }
    } else {
        // Only reachable through rounding of huge pools: take back from the smallest remainders.
        let mut excess = assigned - magnitude;
        while excess > 0 {
            for &(i, _) in remainders.iter().rev() {
                if excess == 0 {
                    break;
                }
                if floors[i] > 0 {
                    floors[i] -= 1;
                    excess -= 1;
                }
            }
        }
    }
    let sign = pool_cents.signum();
    for (c, &f) in cents.iter_mut().zip(&floors) {
        *c = sign * f as i64;
    }
    cents
}

/// Why a video earns nothing, in the order checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ZeroReason {
    /// Moderation marked it non-compliant (C = 0).
    NonCompliant,
    /// Enough viewers reported it that it waits for a moderator (C = 0 until one decides).
    /// [`explain`] cannot see this from the metrics alone; callers that know set it with
    /// [`Explanation::under_review`].
    UnderReview,
    /// No qualified views in the period.
    NoQualifiedViews,
    /// Its quality score is 0 (some metric is 0).
    ZeroQuality,
}

/// Everything that went into one video's line, for showing to its creator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Explanation {
    pub metrics: VideoMetrics,
    pub qualified_views: u64,
    /// Q.
    pub quality: Fraction,
    pub s: f64,
    pub w: f64,
    /// `rev_prop`.
    pub share: f64,
    /// `proj_earnings`.
    pub amount: f64,
    /// Set exactly when the video earns nothing.
    pub zero_reason: Option<ZeroReason>,
}

impl Explanation {
    /// The same explanation for a video that is under review: its C = 0 is not a moderator's
    /// decision yet, so the reason says so.
    pub fn under_review(mut self) -> Self {
        if self.zero_reason == Some(ZeroReason::NonCompliant) {
            self.zero_reason = Some(ZeroReason::UnderReview);
        }
        self
    }
}

/// Explains one line of an allocation from the inputs that produced it.
pub fn explain(
    metrics: &VideoMetrics,
    qualified_views: u64,
    weights: &QualityWeights,
    line: &AllocationLine,
) -> Explanation {
    let quality = quality_score(metrics, weights);
    let zero_reason = if line.earns() {
        None
    } else if metrics.is_non_compliant() {
        Some(ZeroReason::NonCompliant)
    } else if qualified_views == 0 {
        Some(ZeroReason::NoQualifiedViews)
    } else {
        Some(ZeroReason::ZeroQuality)
    };
    Explanation {
        metrics: *metrics,
        qualified_views,
        quality,
        s: line.s,
        w: line.w,
        share: line.share,
        amount: line.amount,
        zero_reason,
    }
}

// ---------------------------------------------------------------------------------------------
// Periods

/// A payout period: one calendar month, UTC. Written `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    year: i32,
    /// 1..=12.
    month: u8,
}

/// Text that is not a `YYYY-MM` month between 1970-01 and 9999-12.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a period is a month written YYYY-MM (e.g. 2025-08), got {0:?}")]
pub struct PeriodError(pub String);

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month) of a day count since 1970-01-01 (Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i32, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year as i32, month as u8)
}

impl Period {
    /// Parses `YYYY-MM`.
    pub fn parse(text: &str) -> Result<Self, PeriodError> {
        let error = || PeriodError(text.to_owned());
        let (year, month) = text.split_once('-').ok_or_else(error)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(error());
        }
        let year: i32 = year.parse().map_err(|_| error())?;
        let month: u8 = month.parse().map_err(|_| error())?;
        if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(error());
        }
        Ok(Self { year, month })
    }

    /// The month containing `micros` (microseconds since the Unix epoch, UTC).
    pub fn containing(micros: i64) -> Self {
        let (year, month) = civil_from_days(micros.div_euclid(MICROS_PER_DAY));
        Self { year, month }
    }

    /// First microsecond of the month.
    pub fn start_micros(self) -> i64 {
        days_from_civil(self.year, self.month, 1) * MICROS_PER_DAY
    }

    /// First microsecond after the month.
    pub fn end_micros(self) -> i64 {
        self.next().start_micros()
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// Whether the month is over at `now_micros`.
    pub fn has_ended(self, now_micros: i64) -> bool {
        now_micros >= self.end_micros()
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The UTC day (days since 1970-01-01) containing `micros`; the key of daily series.
pub fn utc_day(micros: i64) -> i64 {
    micros.div_euclid(MICROS_PER_DAY)
}

/// `YYYY-MM-DD` of a [`utc_day`].
pub fn format_day(day: i64) -> String {
    let (year, month) = civil_from_days(day);
    let first = days_from_civil(year, month, 1);
    format!("{year:04}-{month:02}-{:02}", day - first + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(qualified_views: u64, quality: f64) -> AllocationInput {
        AllocationInput {
            qualified_views,
            quality: Fraction::parse(quality).unwrap(),
        }
    }

    #[test]
    fn a_restored_line_is_the_line_stored_and_nonsense_is_refused() {
        let line = AllocationLine::restore(0.25, 0.5, 0.3, 30.0).unwrap();
        assert_eq!(
            (line.s(), line.w(), line.share(), line.amount()),
            (0.25, 0.5, 0.3, 30.0)
        );
        assert_eq!(
            AllocationLine::restore(0.0, 0.0, 0.0, 0.0),
            Some(AllocationLine::ZERO)
        );
        assert!(AllocationLine::restore(1.5, 0.5, 0.3, 30.0).is_none());
        assert!(AllocationLine::restore(0.25, -1.0, 0.3, 30.0).is_none());
        assert!(AllocationLine::restore(0.25, 0.5, f64::NAN, 30.0).is_none());
        assert!(AllocationLine::restore(0.25, 0.5, 0.3, f64::INFINITY).is_none());
    }

    #[test]
    fn a_single_earning_video_gets_the_whole_pool() {
        let params = AllocationParams::default();
        let a = allocate(&[input(10, 0.5), input(0, 0.9)], &params);
        assert_eq!(a.lines()[0].share(), 1.0);
        assert_eq!(a.lines()[0].amount(), 10_000.0);
        assert_eq!(a.lines()[1].amount(), 0.0);
        // ν = λ_eff + λ_fair = 1 exactly, found by the first guess.
        assert_eq!(a.mu(), Some(1.0 / 10_000.0));
    }

    #[test]
    fn nothing_earns_when_every_merit_is_zero() {
        let a = allocate(
            &[input(0, 0.5), input(10, 0.0)],
            &AllocationParams::default(),
        );
        assert!(!a.pays_out());
        assert_eq!(a.mu(), None);
        assert!(a.lines().iter().all(|l| *l == AllocationLine::ZERO));
        assert!(
            allocate(&[], &AllocationParams::default())
                .lines()
                .is_empty()
        );
    }

    #[test]
    fn without_the_efficiency_term_shares_are_proportional_to_w() {
        let params = AllocationParams::parse(100.0, 0.7, 1.0, 0.0).unwrap();
        let a = allocate(&[input(100, 1.0), input(300, 1.0)], &params);
        let (w0, w1) = (0.25f64.powf(0.7), 0.75f64.powf(0.7));
        assert!((a.lines()[0].share() - w0 / (w0 + w1)).abs() < 1e-15);
    }

    #[test]
    fn equal_videos_get_equal_shares() {
        let inputs = vec![input(50, 0.4); 7];
        let a = allocate(&inputs, &AllocationParams::default());
        for line in a.lines() {
            assert!((line.share() - 1.0 / 7.0).abs() < 1e-15);
        }
    }

    #[test]
    fn a_dominant_video_close_to_the_pole_still_converges_quickly() {
        for (fair, eff, alpha) in [(0.01, 5.0, 2.0), (0.6, 0.4, 0.7), (1e-3, 1.0, 0.0)] {
            let params = AllocationParams::parse(10_000.0, alpha, fair, eff).unwrap();
            let mut inputs = vec![input(1, 0.01); 100_000];
            inputs.push(input(10_000_000_000, 1.0));
            let a = allocate(&inputs, &params);
            let mu = a.mu().unwrap();
            assert!(a.iterations() <= 60, "{} passes", a.iterations());
            for line in a.lines().iter().filter(|l| l.earns()) {
                let kkt = fair * line.w() / line.amount() + eff * line.s() / params.pool();
                assert!(((kkt - mu) / mu).abs() < 1e-9, "{kkt} vs {mu}");
            }
        }
    }

    #[test]
    fn invalid_params_are_refused() {
        assert!(AllocationParams::parse(0.0, 0.7, 0.6, 0.4).is_err());
        assert!(AllocationParams::parse(f64::NAN, 0.7, 0.6, 0.4).is_err());
        assert!(AllocationParams::parse(1.0, -0.1, 0.6, 0.4).is_err());
        assert!(AllocationParams::parse(1.0, 0.7, 0.0, 0.4).is_err());
        assert!(AllocationParams::parse(1.0, 0.7, 0.6, -1.0).is_err());
        assert!(AllocationParams::parse(1.0, 0.0, 0.6, 0.0).is_ok());
    }

    #[test]
    fn split_cents_pays_the_pool_exactly_with_ties_to_the_lower_index() {
        assert_eq!(split_cents(100, &[1.0, 1.0, 1.0]), [34, 33, 33]);
        assert_eq!(split_cents(2, &[1.0, 1.0, 1.0]), [1, 1, 0]);
        assert_eq!(split_cents(10, &[0.0, 3.0, f64::NAN, 7.0]), [0, 3, 0, 7]);
        assert_eq!(split_cents(-100, &[1.0, 1.0, 1.0]), [-34, -33, -33]);
        assert_eq!(split_cents(100, &[0.0, 0.0]), [0, 0]);
        assert_eq!(split_cents(100, &[]), Vec::<i64>::new());
        // Largest remainder wins over index: 0.6 > 0.4.
        assert_eq!(split_cents(1, &[0.4, 0.6]), [0, 1]);
        let huge = split_cents(1_000_000, &[f64::MAX, f64::MAX]);
        assert_eq!(huge, [500_000, 500_000]);
    }

    #[test]
    fn explain_names_why_a_video_earns_nothing() {
        let weights = QualityWeights::default();
        let good = VideoMetrics::parse(0.5, 0.5, 0.5, 0.5, 0.5, 1.0).unwrap();
        let banned = VideoMetrics::parse(0.5, 0.5, 0.5, 0.5, 0.5, 0.0).unwrap();
        let no_rewatch = VideoMetrics::parse(0.5, 0.5, 0.5, 0.0, 0.5, 1.0).unwrap();
        let videos = [
            (good, 10),
            (banned, 10),
            (good, 0),
            (no_rewatch, 10),
            (banned, 0),
        ];
        let inputs: Vec<AllocationInput> = videos
            .iter()
            .map(|(m, v)| AllocationInput {
                qualified_views: *v,
                quality: quality_score(m, &weights),
            })
            .collect();
        let a = allocate(&inputs, &AllocationParams::default());
        let reasons: Vec<Option<ZeroReason>> = videos
            .iter()
            .zip(a.lines())
            .map(|((m, v), line)| explain(m, *v, &weights, line).zero_reason)
            .collect();
        assert_eq!(
            reasons,
            [
                None,
                Some(ZeroReason::NonCompliant),
                Some(ZeroReason::NoQualifiedViews),
                Some(ZeroReason::ZeroQuality),
                Some(ZeroReason::NonCompliant),
            ]
        );
        let e = explain(&good, 10, &weights, &a.lines()[0]);
        assert_eq!(e.share, 1.0);
        assert_eq!(e.quality.get(), 0.5);
    }

    #[test]
    fn periods_are_utc_calendar_months() {
        let p = Period::parse("2025-08").unwrap();
        assert_eq!(p.to_string(), "2025-08");
        // 2025-08-01T00:00:00Z and 2025-09-01T00:00:00Z.
        assert_eq!(p.start_micros(), 1_754_006_400_000_000);
        assert_eq!(p.end_micros(), 1_756_684_800_000_000);
        assert_eq!(Period::containing(p.start_micros()), p);
        assert_eq!(Period::containing(p.end_micros() - 1), p);
        assert_eq!(Period::containing(p.end_micros()).to_string(), "2025-09");
        assert_eq!(
            Period::parse("2024-12").unwrap().next().to_string(),
            "2025-01"
        );
        assert!(
            Period::parse("2024-02").unwrap().end_micros()
                - Period::parse("2024-02").unwrap().start_micros()
                == 29 * MICROS_PER_DAY
        );
        assert!(p.has_ended(p.end_micros()) && !p.has_ended(p.end_micros() - 1));
    }

    #[test]
    fn malformed_periods_are_refused() {
        for bad in [
            "2025-8", "2025-13", "2025-00", "25-08", "2025/08", "", "abcd-ef", "1969-12",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn days_format_as_iso_dates() {
        assert_eq!(format_day(0), "1970-01-01");
        assert_eq!(format_day(utc_day(1_756_543_778_123_456)), "2025-08-30");
        assert_eq!(format_day(utc_day(-1)), "1969-12-31");
    }
}

//! Charts drawn on the server as SVG: a daily bar chart and a horizontal meter for a value in
//! [0, 1]. Pure: numbers in, markup out. No script, no library; the page stays readable
//! without JavaScript and scales with its width.

use maud::{Markup, html};

/// Width and height of a bar chart's drawing area, in SVG units.
const WIDTH: f64 = 320.0;
const HEIGHT: f64 = 120.0;
const LABEL_ROOM: f64 = 16.0;

/// The height of a bar for `value` when the largest value is `max` (0 when nothing is
/// above 0, so an empty chart is flat rather than divided by zero).
pub fn bar_height(value: f64, max: f64) -> f64 {
    if max > 0.0 && value.is_finite() && value > 0.0 {
        (value / max).min(1.0) * HEIGHT
    } else {
        0.0
    }
}

/// A bar per point (`label`, `value`), the largest value printed at the top left, and the
/// first and last labels under the axis. `format` prints a value.
pub fn daily_bars(
    title: &str,
    id: &str,
    points: &[(String, f64)],
    format: impl Fn(f64) -> String,
) -> Markup {
    let max = points.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
    let slot = WIDTH / points.len().max(1) as f64;
    let bar = (slot * 0.7).max(1.0);
    html! {
        figure class="chart" id=(id) {
            figcaption { (title) }
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT + LABEL_ROOM) } role="img" aria-label=(title) {
                line x1="0" y1=(HEIGHT) x2=(WIDTH) y2=(HEIGHT) class="axis" {}
                text x="2" y="10" class="max" { "max " (format(max)) }
                @for (i, (label, value)) in points.iter().enumerate() {
                    @let h = bar_height(*value, max);
                    rect x=(format!("{:.2}", i as f64 * slot + (slot - bar) / 2.0)) y=(format!("{:.2}", HEIGHT - h))
                        width=(format!("{bar:.2}")) height=(format!("{h:.2}")) {
                        title { (label) ": " (format(*value)) }
                    }
                }
                @if let Some((first, _)) = points.first() {
                    text x="0" y=(HEIGHT + 13.0) class="day" { (first) }
                }
                @if points.len() > 1 && let Some((last, _)) = points.last() {
                    text x=(WIDTH) y=(HEIGHT + 13.0) class="day end" { (last) }
                }
            }
        }
    }
}

/// A labelled meter for a metric in [0, 1], with a one-line explanation.
pub fn meter(letter: &str, name: &str, value: f64, explanation: &str) -> Markup {
    let clamped = if value.is_finite() {
        value.clamp(0.0, 1.0)
    } else {
        0.0
    };
    html! {
        div class="metric" data-metric=(letter) {
            div class="metric-head" { b { (letter) } " " (name) span class="value" { (format!("{clamped:.2}")) } }
            svg viewBox="0 0 100 6" preserveAspectRatio="none" class="meter" aria-hidden="true" {
                rect x="0" y="0" width="100" height="6" class="track" {}
                rect x="0" y="0" width=(format!("{:.1}", clamped * 100.0)) height="6" class="fill" {}
            }
            p class="hint" { (explanation) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_value_and_never_divide_by_zero() {
        assert_eq!(bar_height(5.0, 10.0), HEIGHT / 2.0);
        assert_eq!(bar_height(10.0, 10.0), HEIGHT);
        assert_eq!(bar_height(0.0, 0.0), 0.0);
        assert_eq!(bar_height(3.0, 0.0), 0.0);
        assert_eq!(bar_height(f64::NAN, 1.0), 0.0);
        assert_eq!(bar_height(-1.0, 1.0), 0.0);
    }

    #[test]
    fn a_chart_has_one_bar_per_day_and_labels_its_ends() {
        let points = vec![
            ("2026-11-01".to_owned(), 2.0),
            ("2026-11-02".to_owned(), 0.0),
            ("2026-11-03".to_owned(), 4.0),
        ];
        let svg = daily_bars("Views", "views", &points, |v| format!("{v}")).into_string();
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("2026-11-01") && svg.contains("2026-11-03"));
        assert!(svg.contains("max 4"));
    }

    #[test]
    fn meters_clamp_their_value() {
        let html = meter("W", "Watch completion", 1.7, "how much is watched").into_string();
        assert!(html.contains("width=\"100.0\"") && html.contains("1.00"));
    }
}

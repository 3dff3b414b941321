//! The text-quality metric S (`nlp_quality`): a deterministic, documented rubric scoring a
//! video's title and description in [0, 1]. It rewards a descriptive title, a real
//! description and varied wording, and penalises the usual spam patterns. It is a heuristic,
//! not a language model: no dictionary, no language detection, no I/O, and the same text
//! always gets the same score.
//!
//! # Rubric
//! Text is first split on whitespace; tokens starting with `http://`, `https://` or `www.`
//! (case-insensitive) are *links* and are left out of every rule but the link rule. *Words* are
//! the maximal runs of alphanumeric characters in the remaining tokens, lower-cased. A *spam
//! run* is a letter repeated 3+ times in a row (`soooo`, case-insensitive) or any other
//! non-space, non-digit character repeated 4+ times (`!!!!`, `....`, `🔥🔥🔥🔥`); for the length
//! and word rules each spam run counts as one character, so stretching a word never makes a
//! text longer or a word new (`soooo` is the word `so`).
//!
//! The base score is `0.35·T + 0.25·L + 0.40·V`:
//! - **T, title length** (characters of the trimmed title, `n`): 0 when empty, `n/20` below 20,
//!   1 from 20 to 70, then falling linearly by 1 per 160 characters to a floor of 0.3.
//! - **L, description length** (characters of the trimmed description, `n`): 0 when empty,
//!   `n/50` below 50, 1 from 50 to 1000, then falling by 1 per 4000 characters to a floor of 0.4.
//! - **V, word variety** over title and description together: `min(1, TTR/0.5) · min(1, N/8)`
//!   where `N` is the number of words and `TTR` the type-token ratio (distinct words / `N`);
//!   0 without words. A few words, or the same words over and over, score low.
//!
//! The base is multiplied by a factor for each spam pattern:
//! - **repeated characters**: each spam run costs 0.15, down to a factor of 0.4.
//! - **ALL CAPS**: a field with at least 6 cased letters of which ≥ 80 % are upper case is
//!   shouting: ×0.7 for the title, ×0.8 for the description. Short acronyms are unaffected.
//! - **link stuffing**: a link in the title ×0.8; more than 2 links in all costs 0.15 per extra
//!   link, down to 0.3.
//! - **emoji/symbol spam**: *symbols* are characters that are neither alphanumeric, whitespace,
//!   nor ordinary punctuation (ASCII punctuation and typographic quotes, dashes, ellipsis);
//!   emoji are symbols. Up to 3 are free; beyond that, when symbols are more than 5 % of the
//!   non-space characters, the factor is `1 − 3·(ratio − 0.05)`, down to 0.3.
//! - **empty description**: ×0.6.
//!
//! The result is clamped to [0, 1]; an empty title and description give 0.

use crate::metrics::Fraction;

const WEIGHT_TITLE_LENGTH: f64 = 0.35;
const WEIGHT_DESCRIPTION_LENGTH: f64 = 0.25;
const WEIGHT_VARIETY: f64 = 0.40;

/// Scores a title and description by the rubric in the module documentation.
pub fn text_quality(title: &str, description: &str) -> f64 {
    text_quality_fraction(title, description).get()
}

/// [`text_quality`] as a [`Fraction`], ready for [`crate::metrics::VideoMetrics`].
pub fn text_quality_fraction(title: &str, description: &str) -> Fraction {
    let title_text = Text::split(title);
    let description_text = Text::split(description);

    let words: Vec<&str> = title_text
        .words
        .iter()
        .chain(&description_text.words)
        .map(String::as_str)
        .collect();
    let base = WEIGHT_TITLE_LENGTH * title_length_score(title_text.length)
        + WEIGHT_DESCRIPTION_LENGTH * description_length_score(description_text.length)
        + WEIGHT_VARIETY * variety_score(&words);

    let runs = title_text.runs + description_text.runs;
    let links = title_text.links + description_text.links;
    let symbols = title_text.symbols + description_text.symbols;
    let visible = title_text.visible + description_text.visible;

    let mut factor = repetition_factor(runs) * link_factor(title_text.links, links);
    factor *= symbol_factor(symbols, visible);
    if title_text.is_shouting() {
        factor *= 0.7;
    }
    if description_text.is_shouting() {
        factor *= 0.8;
    }
    if description.trim().is_empty() {
        factor *= 0.6;
    }
    Fraction::saturating(base * factor)
}

fn title_length_score(chars: usize) -> f64 {
    let n = chars as f64;
    match chars {
        0 => 0.0,
        1..20 => n / 20.0,
        20..=70 => 1.0,
        _ => (1.0 - (n - 70.0) / 160.0).max(0.3),
    }
}

fn description_length_score(chars: usize) -> f64 {
    let n = chars as f64;
    match chars {
        0 => 0.0,
        1..50 => n / 50.0,
        50..=1000 => 1.0,
        _ => (1.0 - (n - 1000.0) / 4000.0).max(0.4),
    }
}

fn variety_score(words: &[&str]) -> f64 {
    if words.is_empty() {
        return 0.0;
    }
    let mut distinct: Vec<&str> = words.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let n = words.len() as f64;
    let ttr = distinct.len() as f64 / n;
    (ttr / 0.5).min(1.0) * (n / 8.0).min(1.0)
}

fn repetition_factor(runs: usize) -> f64 {
    (1.0 - 0.15 * runs as f64).max(0.4)
}

fn link_factor(links_in_title: usize, links: usize) -> f64 {
    let mut factor = if links_in_title > 0 { 0.8 } else { 1.0 };
    if links > 2 {
        factor *= (1.0 - 0.15 * (links - 2) as f64).max(0.3);
    }
    factor
}

fn symbol_factor(symbols: usize, visible: usize) -> f64 {
    if symbols <= 3 || visible == 0 {
        return 1.0;
    }
    let ratio = symbols as f64 / visible as f64;
    if ratio <= 0.05 {
        1.0
    } else {
        (1.0 - 3.0 * (ratio - 0.05)).max(0.3)
    }
}

/// One field split for the rubric.
struct Text {
    words: Vec<String>,
    /// Characters of the trimmed field with every spam run counted once.
    length: usize,
    runs: usize,
    links: usize,
    /// Symbol characters outside links.
    symbols: usize,
    /// Non-whitespace characters outside links.
    visible: usize,
    upper: usize,
    cased: usize,
}

impl Text {
    fn split(text: &str) -> Self {
        let mut split = Text {
            words: Vec::new(),
            length: text.trim().chars().count(),
            runs: 0,
            links: 0,
            symbols: 0,
            visible: 0,
            upper: 0,
            cased: 0,
        };
        for token in text.split_whitespace() {
            if is_link(token) {
                split.links += 1;
                continue;
            }
            for c in token.chars() {
                split.visible += 1;
                if is_symbol(c) {
                    split.symbols += 1;
                }
                if c.is_uppercase() {
                    split.upper += 1;
                    split.cased += 1;
                } else if c.is_lowercase() {
                    split.cased += 1;
                }
            }
            let collapsed = split.collapse_runs(token);
            split.words.extend(
                collapsed
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned),
            );
        }
        split
    }

    /// The token lower-cased with each spam run (a letter 3+ times, another non-digit
    /// character 4+ times) reduced to one character; counts the runs and shortens `length`.
    fn collapse_runs(&mut self, token: &str) -> String {
        let lower: Vec<char> = token.chars().flat_map(char::to_lowercase).collect();
        let mut collapsed = String::with_capacity(token.len());
        let mut start = 0;
        while start < lower.len() {
            let c = lower[start];
            let length = lower[start..].iter().take_while(|&&d| d == c).count();
            let limit = if c.is_alphabetic() { 3 } else { 4 };
            if !c.is_numeric() && length >= limit {
                self.runs += 1;
                self.length = self.length.saturating_sub(length - 1);
                collapsed.push(c);
            } else {
                collapsed.extend(&lower[start..start + length]);
            }
            start += length;
        }
        collapsed
    }

    fn is_shouting(&self) -> bool {
        self.cased >= 6 && self.upper as f64 >= 0.8 * self.cased as f64
    }
}

fn is_link(token: &str) -> bool {
    let lower = token.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.")
}

fn is_symbol(c: char) -> bool {
    !(c.is_alphanumeric()
        || c.is_whitespace()
        || c.is_ascii_punctuation()
        || matches!(
            c,
            '‘' | '’' | '“' | '”' | '–' | '—' | '…' | '«' | '»' | '¿' | '¡'
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESCRIPTION: &str = "A morning-to-night look at classes, lunch with friends, \
        basketball practice and homework, filmed over one ordinary Tuesday.";

    #[test]
    fn empty_text_scores_zero() {
        assert_eq!(text_quality("", ""), 0.0);
        assert_eq!(text_quality("   ", "\n\t"), 0.0);
    }

    #[test]
    fn a_clear_descriptive_title_beats_shouting_and_exclamation_marks() {
        let clear = text_quality("Day in the life of a high school student", "");
        let spam = text_quality("AAAAAAA!!!!!!", "");
        assert!(clear > spam, "{clear} <= {spam}");
        assert!(spam < 0.2);
    }

    #[test]
    fn a_good_title_and_description_score_high() {
        let score = text_quality("Day in the life of a high school student", DESCRIPTION);
        assert!(score > 0.9, "{score}");
    }

    #[test]
    fn title_length_has_a_sweet_spot_between_20_and_70_characters() {
        assert_eq!(title_length_score(0), 0.0);
        assert_eq!(title_length_score(10), 0.5);
        assert_eq!(title_length_score(20), 1.0);
        assert_eq!(title_length_score(70), 1.0);
        assert_eq!(title_length_score(150), 0.5);
        assert_eq!(title_length_score(10_000), 0.3);
    }

    #[test]
    fn description_length_has_a_sweet_spot_between_50_and_1000_characters() {
        assert_eq!(description_length_score(0), 0.0);
        assert_eq!(description_length_score(25), 0.5);
        assert_eq!(description_length_score(50), 1.0);
        assert_eq!(description_length_score(1000), 1.0);
        assert_eq!(description_length_score(3000), 0.5);
        assert_eq!(description_length_score(1_000_000), 0.4);
    }

    #[test]
    fn word_variety_rewards_many_distinct_words() {
        assert_eq!(variety_score(&[]), 0.0);
        let varied = [
            "one", "two", "three", "four", "five", "six", "seven", "eight",
        ];
        assert_eq!(variety_score(&varied), 1.0);
        assert_eq!(variety_score(&["cat"; 8]), 0.25);
        assert_eq!(variety_score(&["one", "two"]), 0.25);
        let repetitive = text_quality("cat cat cat cat cat cat cat cat", "cat");
        let descriptive = text_quality("My cat learns to open the fridge", "cat");
        assert!(descriptive > repetitive);
    }

    #[test]
    fn repeated_characters_are_penalised() {
        assert_eq!(Text::split("soooooo good").runs, 1);
        assert_eq!(Text::split("wow!!!!!! sooo").runs, 2);
        assert_eq!(Text::split("wait... 1000 yes!!!").runs, 0);
        assert_eq!(Text::split("Shh, the committee").runs, 0);
        let stretched_title = Text::split("sooooooo good!!!!!!");
        assert_eq!(stretched_title.length, "so good!".len());
        assert_eq!(stretched_title.words, ["so", "good"]);
        let plain = text_quality("This is so good, my first vlog", DESCRIPTION);
        let stretched = text_quality("This is soooooo good!!!!!!, my first vlog", DESCRIPTION);
        assert!(plain > stretched);
        assert_eq!(repetition_factor(1), 0.85);
        assert_eq!(repetition_factor(100), 0.4);
    }

    #[test]
    fn all_caps_is_penalised_but_acronyms_are_not() {
        assert!(Text::split("THIS IS MY VLOG").is_shouting());
        assert!(!Text::split("My NASA trip").is_shouting());
        assert!(!Text::split("NASA").is_shouting());
        let calm = text_quality("This is my first vlog from Tokyo", DESCRIPTION);
        let loud = text_quality("THIS IS MY FIRST VLOG FROM TOKYO", DESCRIPTION);
        assert!((loud - 0.7 * calm).abs() < 1e-12);
        let loud_description = text_quality(
            "This is my first vlog from Tokyo",
            &DESCRIPTION.to_uppercase(),
        );
        assert!((loud_description - 0.8 * calm).abs() < 1e-12);
    }

    #[test]
    fn link_stuffing_is_penalised() {
        assert_eq!(link_factor(0, 2), 1.0);
        assert_eq!(link_factor(0, 4), 0.7);
        assert_eq!(link_factor(1, 1), 0.8);
        assert_eq!(link_factor(0, 50), 0.3);
        let one = format!("{DESCRIPTION} Gear list: https://example.com/gear");
        let many = format!(
            "{DESCRIPTION} https://a.example http://b.example www.c.example \
             https://d.example https://e.example https://f.example"
        );
        let title = "Day in the life of a high school student";
        assert!(text_quality(title, &one) > text_quality(title, &many));
        // Links are not words: they neither add variety nor count as repeated letters (www).
        assert_eq!(Text::split("www.example.com").words.len(), 0);
        assert_eq!(Text::split("www.example.com").runs, 0);
    }

    #[test]
    fn emoji_and_symbol_spam_is_penalised_but_a_few_are_free() {
        assert!(is_symbol('🔥'));
        assert!(is_symbol('★'));
        assert!(!is_symbol('!'));
        assert!(!is_symbol('’'));
        assert!(!is_symbol('é'));
        assert_eq!(symbol_factor(3, 10), 1.0);
        assert_eq!(symbol_factor(4, 100), 1.0);
        assert_eq!(symbol_factor(50, 60), 0.3);
        let title = "Sunset over the harbour in Lisbon";
        let one_emoji = text_quality(&format!("{title} 🌅"), DESCRIPTION);
        assert_eq!(one_emoji, text_quality(title, DESCRIPTION));
        let spam = text_quality(&format!("🔥🌅✨💯 {title} 💯✨🌅🔥"), DESCRIPTION);
        assert!(spam < one_emoji);
    }

    #[test]
    fn an_empty_description_is_penalised() {
        let title = "Day in the life of a high school student";
        assert!(text_quality(title, "") < text_quality(title, DESCRIPTION));
        assert!(text_quality(title, "") < 0.5);
    }

    #[test]
    fn scores_are_deterministic_and_in_range() {
        let samples = [
            ("OIAIOIA", ""),
            ("China Vlog", "x"),
            ("Dank memes", "😂😂😂😂😂😂😂😂😂😂"),
            (
                "feeling cute",
                "https://a https://b https://c https://d https://e",
            ),
            ("!!!!!!!!!!!!!!!!!!!!", "????????????????"),
            ("a", &"word ".repeat(10_000)),
        ];
        for (title, description) in samples {
            let score = text_quality(title, description);
            assert!((0.0..=1.0).contains(&score), "{title}: {score}");
            assert_eq!(score, text_quality(title, description));
        }
    }
}

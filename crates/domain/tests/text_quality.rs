//! The text-quality scorer on arbitrary text: always a number in [0, 1], always the same one.

use domain::text_quality::text_quality;
use proptest::prelude::*;

proptest! {
    #[test]
    fn any_text_scores_in_the_unit_interval(title in any::<String>(), description in any::<String>()) {
        let score = text_quality(&title, &description);
        prop_assert!((0.0..=1.0).contains(&score), "{}", score);
        prop_assert_eq!(score, text_quality(&title, &description));
    }

    #[test]
    fn shouting_a_title_never_helps(title in "[a-z]{3,10}( [a-z]{3,10}){1,8}", description in ".{0,200}") {
        let calm = text_quality(&title, &description);
        let loud = text_quality(&title.to_uppercase(), &description);
        prop_assert!(loud <= calm, "{} > {}", loud, calm);
    }

    #[test]
    fn stretching_a_word_never_helps(
        words in prop::collection::vec("[a-z]{2,10}", 1..10),
        which in any::<prop::sample::Index>(),
        description in "[a-z ]{0,200}",
    ) {
        let plain = text_quality(&words.join(" "), &description);
        let mut stretched = words.clone();
        let i = which.index(words.len());
        let last = stretched[i].chars().last().unwrap();
        stretched[i] = format!("{}{}", stretched[i], last.to_string().repeat(6));
        let stretched = text_quality(&stretched.join(" "), &description);
        prop_assert!(stretched <= plain, "{} vs {}", stretched, plain);
    }
}

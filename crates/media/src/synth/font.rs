//! A 5×7 bitmap font for printable ASCII (32–126), drawn for this project, and the layout of
//! a label into lines that fit a picture. It lays text out; painting the pixels is
//! `pattern`'s job. Deliberately tiny: no kerning, no Unicode (anything outside printable
//! ASCII is shown as `?`), no font files.

/// Glyph cell: 5×7 pixels of ink.
pub(crate) const GLYPH_WIDTH: usize = 5;
pub(crate) const GLYPH_HEIGHT: usize = 7;
/// Horizontal advance per character, in font pixels: the glyph plus one blank column.
pub(crate) const ADVANCE: usize = GLYPH_WIDTH + 1;
/// Vertical advance per line, in font pixels: the glyph plus three blank rows.
pub(crate) const LINE_HEIGHT: usize = GLYPH_HEIGHT + 3;

/// Rows top to bottom; bit 4 is the leftmost pixel, so the binary literals read as pictures.
#[rustfmt::skip]
const GLYPHS: [[u8; GLYPH_HEIGHT]; 95] = [
    [0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000], // ' '
    [0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00000, 0b00100], // !
    [0b01010, 0b01010, 0b01010, 0b00000, 0b00000, 0b00000, 0b00000], // "
    [0b01010, 0b01010, 0b11111, 0b01010, 0b11111, 0b01010, 0b01010], // #
    [0b00100, 0b01111, 0b10100, 0b01110, 0b00101, 0b11110, 0b00100], // $
    [0b11000, 0b11001, 0b00010, 0b00100, 0b01000, 0b10011, 0b00011], // %
    [0b01100, 0b10010, 0b10100, 0b01000, 0b10101, 0b10010, 0b01101], // &
    [0b00100, 0b00100, 0b01000, 0b00000, 0b00000, 0b00000, 0b00000], // '
    [0b00010, 0b00100, 0b01000, 0b01000, 0b01000, 0b00100, 0b00010], // (
    [0b01000, 0b00100, 0b00010, 0b00010, 0b00010, 0b00100, 0b01000], // )
    [0b00000, 0b00100, 0b10101, 0b01110, 0b10101, 0b00100, 0b00000], // *
    [0b00000, 0b00100, 0b00100, 0b11111, 0b00100, 0b00100, 0b00000], // +
    [0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b00100, 0b01000], // ,
    [0b00000, 0b00000, 0b00000, 0b11111, 0b00000, 0b00000, 0b00000], // -
    [0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b01100], // .
    [0b00000, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b00000], // /
    [0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110], // 0
    [0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110], // 1
    [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111], // 2
    [0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110], // 3
    [0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010], // 4
    [0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110], // 5
    [0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110], // 6
    [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000], // 7
    [0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110], // 8
    [0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100], // 9
    [0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b01100, 0b00000], // :
    [0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b00100, 0b01000], // ;
    [0b00010, 0b00100, 0b01000, 0b10000, 0b01000, 0b00100, 0b00010], // <
    [0b00000, 0b00000, 0b11111, 0b00000, 0b11111, 0b00000, 0b00000], // =
    [0b01000, 0b00100, 0b00010, 0b00001, 0b00010, 0b00100, 0b01000], // >
    [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b00000, 0b00100], // ?
    [0b01110, 0b10001, 0b00001, 0b01101, 0b10101, 0b10101, 0b01110], // @
    [0b01110, 0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001], // A
    [0b11110, 0b10001, 0b10001, 0b11110, 0b10001, 0b10001, 0b11110], // B
    [0b01110, 0b10001, 0b10000, 0b10000, 0b10000, 0b10001, 0b01110], // C
    [0b11100, 0b10010, 0b10001, 0b10001, 0b10001, 0b10010, 0b11100], // D
    [0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111], // E
    [0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000], // F
    [0b01110, 0b10001, 0b10000, 0b10111, 0b10001, 0b10001, 0b01111], // G
    [0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001], // H
    [0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110], // I
    [0b00111, 0b00010, 0b00010, 0b00010, 0b00010, 0b10010, 0b01100], // J
    [0b10001, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010, 0b10001], // K
    [0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111], // L
    [0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001], // M
    [0b10001, 0b10001, 0b11001, 0b10101, 0b10011, 0b10001, 0b10001], // N
    [0b01110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110], // O
    [0b11110, 0b10001, 0b10001, 0b11110, 0b10000, 0b10000, 0b10000], // P
    [0b01110, 0b10001, 0b10001, 0b10001, 0b10101, 0b10010, 0b01101], // Q
    [0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001], // R
    [0b01111, 0b10000, 0b10000, 0b01110, 0b00001, 0b00001, 0b11110], // S
    [0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100], // T
    [0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110], // U
    [0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100], // V
    [0b10001, 0b10001, 0b10001, 0b10101, 0b10101, 0b10101, 0b01010], // W
    [0b10001, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001, 0b10001], // X
    [0b10001, 0b10001, 0b10001, 0b01010, 0b00100, 0b00100, 0b00100], // Y
    [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b11111], // Z
    [0b01110, 0b01000, 0b01000, 0b01000, 0b01000, 0b01000, 0b01110], // [
    [0b00000, 0b10000, 0b01000, 0b00100, 0b00010, 0b00001, 0b00000], // \
    [0b01110, 0b00010, 0b00010, 0b00010, 0b00010, 0b00010, 0b01110], // ]
    [0b00100, 0b01010, 0b10001, 0b00000, 0b00000, 0b00000, 0b00000], // ^
    [0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b11111], // _
    [0b01000, 0b00100, 0b00010, 0b00000, 0b00000, 0b00000, 0b00000], // `
    [0b00000, 0b00000, 0b01110, 0b00001, 0b01111, 0b10001, 0b01111], // a
    [0b10000, 0b10000, 0b10110, 0b11001, 0b10001, 0b10001, 0b11110], // b
    [0b00000, 0b00000, 0b01110, 0b10000, 0b10000, 0b10001, 0b01110], // c
    [0b00001, 0b00001, 0b01101, 0b10011, 0b10001, 0b10001, 0b01111], // d
    [0b00000, 0b00000, 0b01110, 0b10001, 0b11111, 0b10000, 0b01110], // e
    [0b00110, 0b01001, 0b01000, 0b11100, 0b01000, 0b01000, 0b01000], // f
    [0b00000, 0b01111, 0b10001, 0b10001, 0b01111, 0b00001, 0b01110], // g
    [0b10000, 0b10000, 0b10110, 0b11001, 0b10001, 0b10001, 0b10001], // h
    [0b00100, 0b00000, 0b01100, 0b00100, 0b00100, 0b00100, 0b01110], // i
    [0b00010, 0b00000, 0b00110, 0b00010, 0b00010, 0b10010, 0b01100], // j
    [0b10000, 0b10000, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010], // k
    [0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110], // l
    [0b00000, 0b00000, 0b11010, 0b10101, 0b10101, 0b10001, 0b10001], // m
    [0b00000, 0b00000, 0b10110, 0b11001, 0b10001, 0b10001, 0b10001], // n
    [0b00000, 0b00000, 0b01110, 0b10001, 0b10001, 0b10001, 0b01110], // o
    [0b00000, 0b00000, 0b11110, 0b10001, 0b11110, 0b10000, 0b10000], // p
    [0b00000, 0b00000, 0b01101, 0b10011, 0b01111, 0b00001, 0b00001], // q
    [0b00000, 0b00000, 0b10110, 0b11001, 0b10000, 0b10000, 0b10000], // r
    [0b00000, 0b00000, 0b01110, 0b10000, 0b01110, 0b00001, 0b11110], // s
    [0b01000, 0b01000, 0b11100, 0b01000, 0b01000, 0b01001, 0b00110], // t
    [0b00000, 0b00000, 0b10001, 0b10001, 0b10001, 0b10011, 0b01101], // u
    [0b00000, 0b00000, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100], // v
    [0b00000, 0b00000, 0b10001, 0b10001, 0b10101, 0b10101, 0b01010], // w
    [0b00000, 0b00000, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001], // x
    [0b00000, 0b00000, 0b10001, 0b10001, 0b01111, 0b00001, 0b01110], // y
    [0b00000, 0b00000, 0b11111, 0b00010, 0b00100, 0b01000, 0b11111], // z
    [0b00010, 0b00100, 0b00100, 0b01000, 0b00100, 0b00100, 0b00010], // {
    [0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100], // |
    [0b01000, 0b00100, 0b00100, 0b00010, 0b00100, 0b00100, 0b01000], // }
    [0b00000, 0b00000, 0b01000, 0b10101, 0b00010, 0b00000, 0b00000], // ~
];

/// The glyph rows for `c`; characters outside printable ASCII get the `?` glyph.
pub(crate) fn glyph(c: char) -> &'static [u8; GLYPH_HEIGHT] {
    let index = match c {
        ' '..='~' => c as usize - ' ' as usize,
        _ => '?' as usize - ' ' as usize,
    };
    &GLYPHS[index]
}

/// Whether the glyph for `c` has ink at (`column`, `row`), both counted from the top left.
pub(crate) fn is_lit(c: char, column: usize, row: usize) -> bool {
    column < GLYPH_WIDTH
        && row < GLYPH_HEIGHT
        && glyph(c)[row] & (1 << (GLYPH_WIDTH - 1 - column)) != 0
}

/// Breaks `text` into at most `max_lines` lines of at most `max_columns` characters: words
/// wrap at spaces, a word longer than a line is split, and text that still does not fit is
/// cut with a trailing `...` on the last line. Runs of whitespace count as one space.
pub(crate) fn wrap(text: &str, max_columns: usize, max_lines: usize) -> Wrapped {
    let mut lines: Vec<Vec<char>> = Vec::new();
    let mut current: Vec<char> = Vec::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        if !current.is_empty() && current.len() + 1 + word.len() > max_columns {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        // Only a word too long for a whole line gets here still too long: split it.
        while current.len() + word.len() > max_columns && max_columns > 0 {
            let room = max_columns - current.len();
            current.extend(word.drain(..room));
            lines.push(std::mem::take(&mut current));
        }
        current.extend(word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    let truncated = lines.len() > max_lines;
    if truncated {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            let keep = max_columns.saturating_sub(3).min(last.len());
            last.truncate(keep);
            last.extend("...".chars().take(max_columns));
        }
    }
    Wrapped {
        lines: lines.into_iter().map(String::from_iter).collect(),
        truncated,
    }
}

/// The outcome of [`wrap`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Wrapped {
    pub lines: Vec<String>,
    /// Some of the text did not fit and was replaced by `...`.
    pub truncated: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The glyph as rows of `#` and `.`, for readable assertions.
    fn picture(c: char) -> Vec<String> {
        (0..GLYPH_HEIGHT)
            .map(|row| {
                (0..GLYPH_WIDTH)
                    .map(|column| if is_lit(c, column, row) { '#' } else { '.' })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_glyph_lights_the_expected_pixels() {
        assert_eq!(
            picture('L'),
            [
                "#....", "#....", "#....", "#....", "#....", "#....", "#####"
            ]
        );
        assert_eq!(
            picture('T'),
            [
                "#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."
            ]
        );
        assert_eq!(
            picture('7'),
            [
                "#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."
            ]
        );
    }

    #[test]
    fn every_printable_character_but_space_has_ink_and_glyphs_are_distinct() {
        assert!(glyph(' ').iter().all(|row| *row == 0));
        let mut seen = std::collections::HashMap::new();
        for c in '!'..='~' {
            assert!(glyph(c).iter().any(|row| *row != 0), "{c:?} is blank");
            assert!(
                glyph(c).iter().all(|row| *row < 1 << GLYPH_WIDTH),
                "{c:?} too wide"
            );
            if let Some(other) = seen.insert(*glyph(c), c) {
                panic!("{c:?} and {other:?} share a glyph");
            }
        }
    }

    #[test]
    fn characters_outside_printable_ascii_show_as_a_question_mark() {
        assert_eq!(glyph('é'), glyph('?'));
        assert_eq!(glyph('\n'), glyph('?'));
        assert_eq!(glyph('—'), glyph('?'));
    }

    #[test]
    fn words_wrap_at_spaces() {
        let wrapped = wrap("Demo: clip 3 by  creator 2", 10, 4);
        assert_eq!(wrapped.lines, ["Demo: clip", "3 by", "creator 2"]);
        assert!(!wrapped.truncated);
    }

    #[test]
    fn a_word_longer_than_a_line_is_split() {
        let wrapped = wrap("ab supercalifragilistic", 8, 4);
        assert_eq!(wrapped.lines, ["ab", "supercal", "ifragili", "stic"]);
    }

    #[test]
    fn text_that_does_not_fit_ends_in_an_ellipsis() {
        let wrapped = wrap("one two three four five", 5, 2);
        assert_eq!(wrapped.lines, ["one", "tw..."]);
        assert!(wrapped.truncated);
    }

    #[test]
    fn empty_text_has_no_lines() {
        assert_eq!(wrap("   ", 10, 3).lines, Vec::<String>::new());
    }
}

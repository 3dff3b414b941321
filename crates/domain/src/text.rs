//! User-supplied text that has passed its rules. A value of these types is always valid: the
//! only way in is `parse` (or [`FileName::sanitize`], which makes a valid name). Titles,
//! descriptions and display names are trimmed and counted in characters; file names are
//! counted in bytes. [`UploadFileName`] is the Video API's stricter rule for announced uploads.
//!
//! Every piece of text people write (titles, descriptions, display names, comments, report
//! reasons, moderators' notes, file names) follows one character rule, [`check_characters`]:
//! no control characters (NUL among them: PostgreSQL refuses it in text), except line breaks
//! and tabs where the text may span lines, and no invisible bidirectional controls (U+202A to
//! U+202E, U+2066 to U+2069, U+200E, U+200F, U+061C), which make text display as something
//! other than what it is (a file named `clip\u{202E}4pm.exe` shows as `clipexe.mp4`).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("{field} is required")]
    Empty { field: &'static str },
    #[error("{field} must be at most {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("{field} contains control characters")]
    ControlCharacters { field: &'static str },
    #[error("{field} contains invisible text direction characters")]
    DirectionControls { field: &'static str },
    #[error("{field} must not contain path separators")]
    PathSeparator { field: &'static str },
}

/// Whether line breaks and tabs are allowed in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    Single,
    Multiple,
}

/// Invisible characters that change the direction text is displayed in.
fn is_direction_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// The one character rule for text people write (see the module comment).
pub fn check_characters(field: &'static str, text: &str, lines: Lines) -> Result<(), TextError> {
    let allowed_control = |c: char| lines == Lines::Multiple && matches!(c, '\n' | '\t' | '\r');
    if text.chars().any(|c| c.is_control() && !allowed_control(c)) {
        return Err(TextError::ControlCharacters { field });
    }
    if text.chars().any(is_direction_control) {
        return Err(TextError::DirectionControls { field });
    }
    Ok(())
}

/// A video title: trimmed, 1–150 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub const MAX_CHARS: usize = 150;

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let field = "title";
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(TextError::Empty { field });
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(TextError::TooLong {
                field,
                max: Self::MAX_CHARS,
            });
        }
        check_characters(field, trimmed, Lines::Single)?;
        Ok(Self(trimmed.to_owned()))
    }

    /// The title a video gets from its file name until its owner gives one (the Video API's
    /// drafts): the name cut to [`Title::MAX_CHARS`] characters.
    pub fn from_file_name(name: &FileName) -> Self {
        let cut: String = name.as_str().chars().take(Self::MAX_CHARS).collect();
        // A file name is never blank and has no control characters, so neither has its cut.
        Self(cut.trim().to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A video description: trimmed, up to 5 000 characters, may be empty; newlines and tabs are
/// allowed, other control characters are not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Description(String);

impl Description {
    pub const MAX_CHARS: usize = 5000;

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let field = "description";
        let trimmed = raw.trim();
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(TextError::TooLong {
                field,
                max: Self::MAX_CHARS,
            });
        }
        check_characters(field, trimmed, Lines::Multiple)?;
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name of an uploaded file: 1–255 bytes, no path separators, no control characters, not
/// `.` or `..`. It is shown back to its owner and never used as a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    pub const MAX_BYTES: usize = 255;

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let field = "file_name";
        if raw.trim().is_empty() {
            return Err(TextError::Empty { field });
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(TextError::TooLong {
                field,
                max: Self::MAX_BYTES,
            });
        }
        check_characters(field, raw, Lines::Single)?;
        if raw.contains(['/', '\\']) || raw == "." || raw == ".." {
            return Err(TextError::PathSeparator { field });
        }
        Ok(Self(raw.to_owned()))
    }

    /// A valid name made from whatever a client sent as a file name (a multipart part's
    /// `filename`, which browsers and tools fill loosely): its last path component, without
    /// control characters, cut to [`FileName::MAX_BYTES`] on a character boundary; `upload`
    /// when nothing is left.
    pub fn sanitize(raw: &str) -> Self {
        let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
        let mut name = String::new();
        for c in last
            .chars()
            .filter(|&c| !c.is_control() && !is_direction_control(c))
        {
            if name.len() + c.len_utf8() > Self::MAX_BYTES {
                break;
            }
            name.push(c);
        }
        match Self::parse(&name) {
            Ok(name) => name,
            Err(_) => Self("upload".to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a name is not an [`UploadFileName`], one variant per rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UploadFileNameError {
    #[error("the file name is empty")]
    Empty,
    #[error("the file name is longer than {max} bytes", max = UploadFileName::MAX_BYTES)]
    TooLong,
    #[error("the file name contains {0:?}, which is not an allowed character")]
    Character(char),
    #[error("the file name starts with a dot")]
    LeadingDot,
    #[error("the file name ends with a dot")]
    TrailingDot,
    #[error("the file name is a reserved device name")]
    Reserved,
}

/// The name a Video API upload is announced with (`GET /video/upload/?file_name=…`), under the
/// original service's rule: 1–255 bytes of `a-z A-Z 0-9 ! @ _ . ' ( ) -`, not starting with
/// `.`. The original also refused what its file-name sanitiser would have changed, which
/// within those characters is a name ending with `.` and the Windows device names (`CON`,
/// `PRN`, `AUX`, `NUL`, `COM1`–`COM9`, `LPT1`–`LPT9`, exactly so written); so does this type.
///
/// Stricter than [`FileName`], which the Creator API's multipart uploads still get through
/// [`FileName::sanitize`]: every `UploadFileName` is a valid `FileName`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadFileName(String);

impl UploadFileName {
    pub const MAX_BYTES: usize = FileName::MAX_BYTES;
    /// The allowed characters, as the error message lists them.
    pub const ALLOWED_CHARACTERS: &str = "a-z A-Z 0-9 ! @ _ . ' ( ) -";
    const RESERVED: [&str; 22] = [
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
        "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];

    pub fn parse(raw: &str) -> Result<Self, UploadFileNameError> {
        if raw.is_empty() {
            return Err(UploadFileNameError::Empty);
        }
        if let Some(c) = raw.chars().find(|&c| !Self::is_allowed(c)) {
            return Err(UploadFileNameError::Character(c));
        }
        // Only ASCII is left, so bytes and characters agree from here on.
        if raw.len() > Self::MAX_BYTES {
            return Err(UploadFileNameError::TooLong);
        }
        if raw.starts_with('.') {
            return Err(UploadFileNameError::LeadingDot);
        }
        if raw.ends_with('.') {
            return Err(UploadFileNameError::TrailingDot);
        }
        if Self::RESERVED.contains(&raw) {
            return Err(UploadFileNameError::Reserved);
        }
        Ok(Self(raw.to_owned()))
    }

    fn is_allowed(c: char) -> bool {
        c.is_ascii_alphanumeric() || matches!(c, '!' | '@' | '_' | '.' | '\'' | '(' | ')' | '-')
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same name as a [`FileName`] (its rules are looser, so this cannot fail).
    pub fn into_file_name(self) -> FileName {
        FileName(self.0)
    }
}

/// A display name: trimmed, 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let field = "display_name";
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(TextError::Empty { field });
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(TextError::TooLong {
                field,
                max: Self::MAX_CHARS,
            });
        }
        check_characters(field, trimmed, Lines::Single)?;
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! display_as_str {
    ($($name:ident),*) => {$(
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}
display_as_str!(Title, Description, FileName, UploadFileName, DisplayName);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_from_a_long_file_name_is_cut_to_the_title_limit() {
        let name = FileName::parse(&("é".repeat(50) + &"a".repeat(150))).unwrap();
        let title = Title::from_file_name(&name);
        assert_eq!(title.as_str().chars().count(), Title::MAX_CHARS);
        assert_eq!(Title::parse(title.as_str()).unwrap(), title);
        let short = FileName::parse("clip.mp4").unwrap();
        assert_eq!(Title::from_file_name(&short).as_str(), "clip.mp4");
    }

    #[test]
    fn a_loose_client_file_name_is_made_valid() {
        assert_eq!(FileName::sanitize("C:\\videos\\a.mp4").as_str(), "a.mp4");
        assert_eq!(FileName::sanitize("../../etc/passwd").as_str(), "passwd");
        assert_eq!(FileName::sanitize("a\nb.mp4").as_str(), "ab.mp4");
        assert_eq!(FileName::sanitize("").as_str(), "upload");
        assert_eq!(FileName::sanitize("dir/").as_str(), "upload");
        assert_eq!(FileName::sanitize("..").as_str(), "upload");
        let long = FileName::sanitize(&"ü".repeat(200));
        assert!(long.as_str().len() <= FileName::MAX_BYTES);
        assert_eq!(FileName::parse(long.as_str()).unwrap(), long);
    }

    #[test]
    fn every_kind_of_text_refuses_nul_controls_and_direction_overrides() {
        for bad in [
            "a\u{0}b",
            "a\u{1b}[31mb",
            "abc\u{202E}4pm.exe",
            "a\u{2066}b",
            "a\u{200F}b",
        ] {
            assert!(Title::parse(bad).is_err(), "{bad:?}");
            assert!(Description::parse(bad).is_err(), "{bad:?}");
            assert!(DisplayName::parse(bad).is_err(), "{bad:?}");
            assert!(FileName::parse(bad).is_err(), "{bad:?}");
            assert!(
                check_characters("comment", bad, Lines::Multiple).is_err(),
                "{bad:?}"
            );
        }
        assert_eq!(
            Title::parse("clip\u{202E}4pm.exe"),
            Err(TextError::DirectionControls { field: "title" })
        );
        assert!(check_characters("comment", "two\nlines\tand a tab", Lines::Multiple).is_ok());
        assert!(check_characters("reason", "two\nlines", Lines::Single).is_err());
        // Right-to-left text itself is welcome; only the invisible controls are not.
        assert!(Title::parse("שלום עולם").is_ok());
        assert_eq!(
            FileName::sanitize("clip\u{202E}4pm.exe").as_str(),
            "clip4pm.exe"
        );
    }

    #[test]
    fn a_title_is_trimmed() {
        assert_eq!(Title::parse("  Hello  ").unwrap().as_str(), "Hello");
    }

    #[test]
    fn an_empty_or_blank_title_is_refused() {
        assert_eq!(
            Title::parse("   "),
            Err(TextError::Empty { field: "title" })
        );
    }

    #[test]
    fn a_title_of_150_characters_is_accepted_and_151_refused() {
        assert!(Title::parse(&"é".repeat(150)).is_ok());
        assert!(matches!(
            Title::parse(&"é".repeat(151)),
            Err(TextError::TooLong { .. })
        ));
    }

    #[test]
    fn a_title_with_control_characters_is_refused() {
        assert!(Title::parse("a\u{0}b").is_err());
        assert!(Title::parse("a\nb").is_err());
    }

    #[test]
    fn descriptions_may_be_empty_and_multiline() {
        assert_eq!(Description::parse("").unwrap().as_str(), "");
        assert!(Description::parse("line one\nline two").is_ok());
        assert!(Description::parse(&"x".repeat(5001)).is_err());
    }

    #[test]
    fn file_names_refuse_paths_and_control_characters() {
        assert!(FileName::parse("clip.mp4").is_ok());
        for bad in ["../x.mp4", "a/b.mp4", "a\\b.mp4", "..", "a\nb.mp4", ""] {
            assert!(FileName::parse(bad).is_err(), "{bad:?}");
        }
        assert!(FileName::parse(&"a".repeat(256)).is_err());
        assert!(FileName::parse(&"a".repeat(255)).is_ok());
    }

    fn upload_name_error(raw: &str) -> UploadFileNameError {
        UploadFileName::parse(raw).expect_err(raw)
    }

    #[test]
    fn an_upload_file_name_of_the_allowed_characters_is_accepted() {
        for good in [
            "a.mp4",
            "My_Clip-(1)!@'.mp4",
            "clip",
            "a..b.mp4",
            "CON.mp4",
            "con",
        ] {
            let name = UploadFileName::parse(good).expect(good);
            assert_eq!(name.as_str(), good);
            assert_eq!(FileName::parse(good).unwrap(), name.into_file_name());
        }
    }

    #[test]
    fn an_upload_file_name_of_255_bytes_is_accepted_and_256_refused() {
        let longest = "a".repeat(251) + ".mp4";
        assert!(UploadFileName::parse(&longest).is_ok());
        assert_eq!(
            upload_name_error(&("a".repeat(252) + ".mp4")),
            UploadFileNameError::TooLong
        );
    }

    #[test]
    fn an_empty_upload_file_name_is_refused() {
        assert_eq!(upload_name_error(""), UploadFileNameError::Empty);
    }

    #[test]
    fn an_upload_file_name_with_any_other_character_is_refused() {
        for c in "^*/ #%&+=,;:~`[]{}$<>\"|\\?\t\né".chars() {
            let raw = format!("s{c}.mp4");
            assert_eq!(upload_name_error(&raw), UploadFileNameError::Character(c));
        }
        // Counted before the length, so a long name of wrong characters says which.
        assert_eq!(
            upload_name_error(&"é".repeat(200)),
            UploadFileNameError::Character('é')
        );
    }

    #[test]
    fn an_upload_file_name_starting_or_ending_with_a_dot_is_refused() {
        assert_eq!(upload_name_error(".mp4"), UploadFileNameError::LeadingDot);
        assert_eq!(upload_name_error(".."), UploadFileNameError::LeadingDot);
        assert_eq!(upload_name_error("clip."), UploadFileNameError::TrailingDot);
    }

    #[test]
    fn an_upload_file_name_that_is_a_device_name_is_refused() {
        for reserved in ["CON", "NUL", "COM1", "LPT9"] {
            assert_eq!(upload_name_error(reserved), UploadFileNameError::Reserved);
        }
    }
}

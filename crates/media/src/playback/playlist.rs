//! The HLS playlists' text, rendered from a stored [`HlsIndex`] on each request. Links are
//! relative (`0/playlist.m3u8`, `init.mp4`, `1.m4s`), each passed through `link` so the
//! caller can sign it. Version 7: fragmented MP4 segments with `EXT-X-MAP`.

use std::fmt::Write;

use super::hls::{HlsIndex, Rendition};

/// The master playlist: one `EXT-X-STREAM-INF` per rendition, its playlist at
/// `<index>/playlist.m3u8`.
pub fn master_playlist(index: &HlsIndex, link: impl Fn(&str) -> String) -> String {
    let mut text = String::from("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    for (number, rendition) in index.renditions.iter().enumerate() {
        let _ = writeln!(
            text,
            "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},RESOLUTION={}x{},CODECS=\"{}\"\n{}",
            rendition.bandwidth.max(1),
            rendition.average_bandwidth.max(1),
            rendition.width,
            rendition.height,
            rendition.codecs,
            link(&format!("{number}/playlist.m3u8")),
        );
    }
    text
}

/// A rendition's media playlist: its init segment and every segment, video on demand.
pub fn media_playlist(rendition: &Rendition, link: impl Fn(&str) -> String) -> String {
    let mut text = format!(
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:{}\n#EXT-X-MEDIA-SEQUENCE:0\n\
         #EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"{}\"\n",
        target_duration(rendition),
        link("init.mp4"),
    );
    for (index, seconds) in rendition.segment_seconds.iter().enumerate() {
        let _ = writeln!(
            text,
            "#EXTINF:{seconds:.6},\n{}",
            link(&format!("{}.m4s", index + 1))
        );
    }
    text.push_str("#EXT-X-ENDLIST\n");
    text
}

/// `EXT-X-TARGETDURATION`: every segment's duration rounded up, at least 1.
pub fn target_duration(rendition: &Rendition) -> u64 {
    rendition
        .segment_seconds
        .iter()
        .map(|s| s.ceil() as u64)
        .max()
        .unwrap_or(1)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendition() -> Rendition {
        Rendition {
            name: "source".into(),
            width: 360,
            height: 640,
            bandwidth: 200_000,
            average_bandwidth: 150_000,
            codecs: "avc1.64001e,mp4a.40.2".into(),
            segment_seconds: vec![4.0, 4.0, 2.0],
            segment_data: Vec::new(),
        }
    }

    #[test]
    fn playlists_have_the_tags_players_need_and_pass_every_link_through() {
        let signed = |path: &str| format!("{path}?sig=x");
        let master = master_playlist(
            &HlsIndex {
                renditions: vec![rendition()],
                ladder: None,
            },
            signed,
        );
        assert_eq!(
            master,
            "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n\
             #EXT-X-STREAM-INF:BANDWIDTH=200000,AVERAGE-BANDWIDTH=150000,RESOLUTION=360x640,\
             CODECS=\"avc1.64001e,mp4a.40.2\"\n0/playlist.m3u8?sig=x\n"
        );
        let media = media_playlist(&rendition(), signed);
        assert_eq!(
            media,
            "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n\
             #EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n\
             #EXT-X-MAP:URI=\"init.mp4?sig=x\"\n\
             #EXTINF:4.000000,\n1.m4s?sig=x\n#EXTINF:4.000000,\n2.m4s?sig=x\n\
             #EXTINF:2.000000,\n3.m4s?sig=x\n#EXT-X-ENDLIST\n"
        );
    }

    #[test]
    fn the_target_duration_covers_the_longest_segment() {
        let mut long = rendition();
        long.segment_seconds = vec![8.34, 1.0];
        assert_eq!(target_duration(&long), 9);
    }
}

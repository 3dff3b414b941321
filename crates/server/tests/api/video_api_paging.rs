//! Keyset paging of the feeds: a few hundred listed videos read page by page while new ones
//! are listed, with no skips and no repeats; hidden videos never show; the cursor is opaque
//! and bound to its feed.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::spawn_app;
use crate::video_api_support::*;

/// Reads a feed to its end; returns every `hash_id` in order. `between` runs after each page.
async fn read_all(
    app: &crate::helpers::TestApp,
    path: &str,
    token: Option<&str>,
    mut between: impl AsyncFnMut(usize),
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    for page in 0.. {
        let separator = if path.contains('?') { '&' } else { '?' };
        let url = match &next {
            Some(cursor) => format!("{path}{separator}next={}", query_escape(cursor)),
            None => path.to_owned(),
        };
        let response = get(app, &url, token).await;
        assert_eq!(response.status(), 200);
        let body = json(response).await;
        let videos = body["videos"].as_array().unwrap();
        assert!(videos.len() <= 30);
        seen.extend(
            videos
                .iter()
                .map(|v| v["hash_id"].as_str().unwrap().to_owned()),
        );
        match &body["next"] {
            Value::String(cursor) => {
                assert_eq!(videos.len(), 30, "only the last page may be short");
                next = Some(cursor.clone());
            }
            Value::Null => break,
            other => panic!("next is {other:?}"),
        }
        between(page).await;
    }
    seen
}

#[tokio::test]
async fn explore_pages_through_hundreds_of_videos_without_skips_or_repeats_while_others_are_listed()
{
    let app = spawn_app().await;
    let alice = app.create_user("alice").await;
    let bob = app.create_user("bob").await;
    let start = app.clock_now() - 10_000_000_000;
    let mut expected = Vec::new();
    for n in 0..320i64 {
        // Pairs share a listing time, so the id breaks ties.
        let owner = if n % 3 == 0 { &bob } else { &alice };
        let video = insert_video(&app, &owner.account, Some(start + (n / 2) * 1000), false).await;
        expected.push((video.hash_id, owner.account.id));
        if n % 10 == 0 {
            insert_video(&app, &alice.account, Some(start + n * 500), true).await;
            insert_video(&app, &bob.account, None, false).await;
        }
    }
    // Newest listing first; equal times by id, newest first.
    let newest_first: Vec<String> = expected.iter().rev().map(|(h, _)| h.clone()).collect();

    let mut listed_meanwhile = Vec::new();
    let seen = read_all(&app, "/video/explore/", None, async |_page| {
        for _ in 0..3 {
            let now = app.clock_now();
            listed_meanwhile.push(
                insert_video(&app, &alice.account, Some(now), false)
                    .await
                    .hash_id,
            );
            app.clock.advance(std::time::Duration::from_millis(1));
        }
    })
    .await;
    assert_eq!(
        seen, newest_first,
        "every video once, in order, none listed meanwhile"
    );
    assert!(listed_meanwhile.len() >= 30);

    // include_my=false leaves the caller's own videos out, on every page.
    let bobs_view = read_all(
        &app,
        "/video/explore/?include_my=false",
        Some(&bob.token),
        async |_| {},
    )
    .await;
    let bob_id = bob.account.id;
    let not_bobs: Vec<String> = expected
        .iter()
        .rev()
        .filter(|(_, owner)| *owner != bob_id)
        .map(|(h, _)| h.clone())
        .collect();
    let fresh: HashSet<&String> = listed_meanwhile.iter().collect();
    let bobs_view: Vec<String> = bobs_view
        .into_iter()
        .filter(|h| !fresh.contains(h))
        .collect();
    assert_eq!(bobs_view, not_bobs);

    // A user's feed pages the same way.
    let path = format!("/video/user/{}", bob.account.public_id);
    let bobs_feed = read_all(&app, &path, None, async |_| {}).await;
    let bobs: Vec<String> = expected
        .iter()
        .rev()
        .filter(|(_, owner)| *owner == bob_id)
        .map(|(h, _)| h.clone())
        .collect();
    assert_eq!(bobs_feed, bobs);
}

#[tokio::test]
async fn a_cursor_that_was_altered_or_belongs_to_another_feed_is_an_invalid_next_page() {
    let app = spawn_app().await;
    let alice = app.create_user("alice").await;
    let now = app.clock_now();
    for n in 0..35 {
        insert_video(&app, &alice.account, Some(now - n), false).await;
    }
    let first = json(get(&app, "/video/explore/", None).await).await;
    let cursor = first["next"].as_str().unwrap().to_owned();
    let user_path = format!("/video/user/{}", alice.account.public_id);
    let user_first = json(get(&app, &user_path, None).await).await;
    let user_cursor = user_first["next"].as_str().unwrap().to_owned();

    let second = json(
        get(
            &app,
            &format!("/video/explore/?next={}", query_escape(&cursor)),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(second["videos"].as_array().unwrap().len(), 5);
    assert_eq!(second["next"], Value::Null);

    let (payload, signature) = cursor.split_once('.').unwrap();
    let mut altered = payload.to_owned().into_bytes();
    let last = altered.len() - 2;
    altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
    let altered = format!("{}.{signature}", String::from_utf8(altered).unwrap());
    for bad in [
        altered.as_str(),
        payload,
        "",
        "not-a-cursor",
        &format!("{cursor}x"),
        &user_cursor,
    ] {
        if bad.is_empty() {
            continue; // An empty `next` means the first page.
        }
        let response = get(
            &app,
            &format!("/video/explore/?next={}", query_escape(bad)),
            None,
        )
        .await;
        assert_eq!(response.status(), 400, "{bad}");
        assert_eq!(json(response).await, json!({"error": "invalid next page"}));
    }
    let moved = get(
        &app,
        &format!("{user_path}?next={}", query_escape(&cursor)),
        None,
    )
    .await;
    assert_eq!(moved.status(), 400);
    assert_eq!(json(moved).await, json!({"error": "invalid next page"}));
}

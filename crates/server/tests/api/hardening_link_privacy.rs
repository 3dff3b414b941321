//! Media links honour the video's visibility now, not when they were handed out: a watch
//! link or thumbnail given to anyone stops working as soon as its owner makes the video
//! private, unlists it or deletes it (not up to 6 h later), while the owner's own links keep
//! working on their private video.

use serde_json::json;

use crate::helpers::spawn_app;
use crate::video_api_support::*;

#[tokio::test]
async fn links_given_to_others_stop_when_the_video_turns_private_or_is_deleted() {
    let app = spawn_app().await;
    let owner = app.create_user("owner").await;
    let video = insert_video(&app, &owner.account, Some(app.clock_now()), false).await;
    let watch = format!(
        "/video/watch/?user_id={}&hash_id={}",
        owner.account.public_id, video.hash_id
    );
    let public = json(get(&app, &watch, None).await).await;
    let link = public["watchable_url"].as_str().unwrap().to_owned();
    let thumbnail = public["video"]["thumbnail_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!link.contains("for=owner"));
    assert_eq!(get_url(&app, &link, None).await.status(), 200);
    assert_eq!(get_url(&app, &thumbnail, None).await.status(), 200);

    let edit = format!("/video/my/{}", video.hash_id);
    assert_eq!(
        put_json(
            &app,
            &edit,
            Some(&owner.token),
            &json!({"is_private": true})
        )
        .await
        .status(),
        204
    );
    assert_detail(
        get_url(&app, &link, None).await,
        403,
        "this video is private",
    )
    .await;
    // The public thumbnail link is plain: it says nothing about a video that is not public.
    assert_eq!(get_url(&app, &thumbnail, None).await.status(), 404);

    // The owner's own link works on their private video.
    let own = json(get(&app, &watch, Some(&owner.token)).await).await;
    let own_link = own["watchable_url"].as_str().unwrap().to_owned();
    assert!(own_link.contains("for=owner"));
    assert_eq!(get_url(&app, &own_link, None).await.status(), 200);
    // An owner's link cannot be made from someone else's by adding the marker.
    let forged = link.replace("&sig=", "&for=owner&sig=");
    assert_eq!(get_url(&app, &forged, None).await.status(), 403);

    assert_eq!(
        put_json(
            &app,
            &edit,
            Some(&owner.token),
            &json!({"is_private": false})
        )
        .await
        .status(),
        204
    );
    assert_eq!(get_url(&app, &link, None).await.status(), 200);

    assert_eq!(delete(&app, &edit, Some(&owner.token)).await.status(), 204);
    assert_eq!(get_url(&app, &link, None).await.status(), 404);
    assert_eq!(get_url(&app, &own_link, None).await.status(), 404);
}

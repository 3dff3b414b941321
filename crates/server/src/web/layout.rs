//! The frame every page shares: the document head (viewport for phones, the stylesheet, the
//! CSRF token for scripts), a top bar that folds at phone width, and the page's scripts. No
//! inline script: the Content-Security-Policy allows scripts from this origin only.

use axum::response::Html;
use domain::account::Role;
use maud::{DOCTYPE, Markup, html};

use super::assets;
use super::session::Viewer;
use crate::http::session_cookie::CSRF_FIELD;

/// A whole page: `title`, the signed-in `viewer` if any, the `main` content and `scripts`
/// (asset names) loaded after it.
pub fn page(title: &str, viewer: Option<&Viewer>, main: Markup, scripts: &[&str]) -> Html<String> {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover";
                title { (title) " · reelshare" }
                link rel="stylesheet" href=(assets::url("app.css"));
                @if let Some(viewer) = viewer {
                    meta name="csrf-token" content=(viewer.csrf);
                    meta name="user-id" content=(viewer.account.public_id.to_string());
                }
            }
            body {
                (top_bar(viewer))
                main id="main" { (main) }
                script src=(assets::url("common.js")) {}
                @for script in scripts {
                    script src=(assets::url(script)) {}
                }
            }
        }
    };
    Html(markup.into_string())
}

fn top_bar(viewer: Option<&Viewer>) -> Markup {
    html! {
        header class="top" {
            a class="brand" href="/app/" { "reelshare" }
            nav {
                a href="/app/" { "Feed" }
                @match viewer {
                    Some(viewer) => {
                        a href="/app/studio" { "Studio" }
                        @if viewer.account.role == Role::Moderator {
                            a href="/app/moderation" { "Moderation" }
                        }
                        span class="who" { (viewer.account.display_name) }
                        form method="post" action="/app/signout" class="inline" {
                            input type="hidden" name=(CSRF_FIELD) value=(viewer.csrf);
                            button type="submit" class="link" { "Sign out" }
                        }
                    }
                    None => {
                        a href="/app/signin" { "Sign in" }
                        a href="/app/signup" class="button" { "Sign up" }
                    }
                }
            }
        }
    }
}

//! Sign up, sign in and sign out as HTML forms. Signing up and in go through the Video API's
//! own `register` and `login` (the same validation, rate limits and bounded Argon2 slots), and
//! the token they issue becomes the session cookie instead of being shown to the page. Signing
//! out checks the form's CSRF token, revokes the token server-side and clears the cookie.

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use maud::{Markup, html};
use serde::Deserialize;
use store::accounts;

use super::error::WebError;
use super::layout::page;
use super::session::{self, MaybeViewer};
use crate::http::auth::token_hash;
use crate::http::client_ip::ClientIp;
use crate::http::session_cookie::CSRF_FIELD;
use crate::state::AppState;
use crate::video_api::accounts::sessions;
use crate::video_api::error::VideoApiError;
use crate::video_api::extract::JsonBody;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app/signup", get(signup_page).post(signup))
        .route("/app/signin", get(signin_page).post(signin))
        .route("/app/signout", post(signout))
}

#[derive(Deserialize)]
struct SignupForm {
    username: String,
    display_name: String,
    password: String,
}

#[derive(Deserialize)]
struct SigninForm {
    username: String,
    password: String,
}

#[derive(Deserialize)]
struct SignoutForm {
    csrf_token: String,
}

fn signup_form(error: Option<&str>, username: &str, display_name: &str) -> Markup {
    html! {
        section class="card narrow" {
            h1 { "Create an account" }
            @if let Some(error) = error { p class="error" role="alert" { (error) } }
            form method="post" action="/app/signup" id="signup-form" {
                label { "Username" input name="username" id="username" required minlength="3" maxlength="32"
                    autocomplete="username" value=(username); }
                label { "Display name" input name="display_name" id="display_name" required maxlength="50"
                    value=(display_name); }
                label { "Password" input type="password" name="password" id="password" required
                    minlength="8" maxlength="128" autocomplete="new-password"; }
                button type="submit" { "Sign up" }
            }
            p { "Already have an account? " a href="/app/signin" { "Sign in" } }
        }
    }
}

fn signin_form(error: Option<&str>, username: &str) -> Markup {
    html! {
        section class="card narrow" {
            h1 { "Sign in" }
            @if let Some(error) = error { p class="error" role="alert" { (error) } }
            form method="post" action="/app/signin" id="signin-form" {
                label { "Username" input name="username" id="username" required autocomplete="username"
                    value=(username); }
                label { "Password" input type="password" name="password" id="password" required
                    autocomplete="current-password"; }
                button type="submit" { "Sign in" }
            }
            p { "New here? " a href="/app/signup" { "Create an account" } }
        }
    }
}

async fn signup_page(MaybeViewer(viewer): MaybeViewer) -> Response {
    if viewer.is_some() {
        return Redirect::to("/app/studio").into_response();
    }
    page("Sign up", None, signup_form(None, "", ""), &[]).into_response()
}

async fn signin_page(MaybeViewer(viewer): MaybeViewer) -> Response {
    if viewer.is_some() {
        return Redirect::to("/app/").into_response();
    }
    page("Sign in", None, signin_form(None, ""), &[]).into_response()
}

/// What a refused sign-up or sign-in tells the person, and its status.
fn refusal(error: VideoApiError) -> (StatusCode, String) {
    let message = match &error {
        VideoApiError::Validation(issues) => issues
            .iter()
            .map(|issue| issue.msg.clone())
            .collect::<Vec<_>>()
            .join("; "),
        VideoApiError::Internal(_) | VideoApiError::Unavailable { .. } => {
            "Something went wrong, try again shortly".to_owned()
        }
        other => other.to_string(),
    };
    // The Video API's own mapping decides the status (and logs what it logs).
    (error.into_response().status(), message)
}

async fn signup(
    State(state): State<AppState>,
    client_ip: ClientIp,
    Form(form): Form<SignupForm>,
) -> Response {
    let body = serde_json::json!({
        "username": form.username,
        "display_name": form.display_name,
        "password": form.password,
    });
    match sessions::register(State(state.clone()), client_ip, JsonBody(body)).await {
        Ok((_, Json(signed_in))) => (
            session::set_cookie(&state, &signed_in.token),
            Redirect::to("/app/studio"),
        )
            .into_response(),
        Err(error) => {
            let (status, message) = refusal(error);
            let form = signup_form(Some(&message), &form.username, &form.display_name);
            (status, page("Sign up", None, form, &[])).into_response()
        }
    }
}

async fn signin(
    State(state): State<AppState>,
    client_ip: ClientIp,
    Form(form): Form<SigninForm>,
) -> Response {
    let body = serde_json::json!({ "username": form.username, "password": form.password });
    match sessions::login(State(state.clone()), client_ip, JsonBody(body)).await {
        Ok(Json(signed_in)) => (
            session::set_cookie(&state, &signed_in.token),
            Redirect::to("/app/"),
        )
            .into_response(),
        Err(error) => {
            let (status, message) = refusal(error);
            let form = signin_form(Some(&message), &form.username);
            (status, page("Sign in", None, form, &[])).into_response()
        }
    }
}

async fn signout(
    State(state): State<AppState>,
    MaybeViewer(viewer): MaybeViewer,
    Form(form): Form<SignoutForm>,
) -> Result<Response, WebError> {
    let Some(viewer) = viewer else {
        return Ok((session::clear_cookie(&state), Redirect::to("/app/")).into_response());
    };
    if !session::check_form_csrf(&state, &viewer, &form.csrf_token) {
        return Ok((
            StatusCode::FORBIDDEN,
            format!("{CSRF_FIELD} missing or wrong"),
        )
            .into_response());
    }
    accounts::revoke_token(
        state.pool(),
        &token_hash(&viewer.token),
        state.clock.now().as_micros(),
    )
    .await?;
    Ok((session::clear_cookie(&state), Redirect::to("/app/")).into_response())
}

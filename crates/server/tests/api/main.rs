//! HTTP-level tests of the reelshare server: each starts the real router on a random port with
//! its own database and media directory and speaks HTTP to it.

mod compat_cors;
mod compat_creator_api;
mod compat_video_api;
mod creator_api;
mod creator_api_thumbnails;
mod engagement;
mod engagement_openapi;
mod engagement_payouts;
mod faults_storage;
mod hardening_auth;
mod hardening_connections;
mod hardening_hostile_uploads;
mod hardening_limits;
mod hardening_link_privacy;
mod hardening_links_headers;
mod hardening_processing;
mod hardening_text;
mod helpers;
mod images;
mod media_samples;
mod playback;
mod postgres;
mod schema_conformance;
mod video_api;
mod video_api_accounts;
mod video_api_jobs;
mod video_api_paging;
mod video_api_support;
mod video_api_visibility;

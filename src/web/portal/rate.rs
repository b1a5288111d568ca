//! The rating page behind the star links of the "your ticket is resolved"
//! mail. It works without signing in: the signed token is the grant, for
//! that one ticket. The GET only shows the chosen star, a comment box and
//! one button (mail scanners open every link); the POST records the
//! rating. A bad or old link gets a page saying so (404 or 410).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use crate::service::rating_links::{self, Opened, Rating};
use crate::service::{self, Conflict, FieldErrors};
use crate::state::AppState;
use crate::web::context::PageCtx;
use crate::web::error::WebError;
use crate::web::notice;

pub fn routes() -> Router<AppState> {
    Router::new().route("/rate/{token}", get(show).post(save))
}

/// templates/portal/rate.html
#[derive(Template, WebTemplate)]
#[template(path = "portal/rate.html")]
pub struct RatePage {
    page: PageCtx,
    token: String,
    /// None: the link does not hold ("expired" or "invalid" says why).
    rating: Option<Rating>,
    refused: &'static str,
    /// The star shown chosen (0: none yet).
    stars: i16,
    comment: String,
    errors: FieldErrors,
}

impl RatePage {
    fn number(&self) -> String {
        self.rating
            .as_ref()
            .map(|r| r.number.to_string())
            .unwrap_or_default()
    }

    /// "You rated this ticket N out of 5."
    fn given_text(&self) -> String {
        let given = self.rating.as_ref().and_then(|r| r.given.as_ref());
        let n = given.map_or(0, |(s, _)| i64::from(*s));
        self.page.tn("rating-given", "n", n)
    }
}

#[derive(Deserialize, Default)]
pub struct StarsQuery {
    #[serde(default)]
    stars: String,
}

fn stars_of(typed: &str) -> i16 {
    typed
        .trim()
        .parse()
        .ok()
        .filter(|s| (1..=5).contains(s))
        .unwrap_or(0)
}

/// The page of a link that does not hold, with its status.
fn refused(page: PageCtx, token: String, why: Opened) -> Response {
    let (status, refused) = match why {
        Opened::Expired => (StatusCode::GONE, "expired"),
        _ => (StatusCode::NOT_FOUND, "invalid"),
    };
    let body = RatePage {
        page,
        token,
        rating: None,
        refused,
        stars: 0,
        comment: String::new(),
        errors: FieldErrors::default(),
    };
    (status, body).into_response()
}

/// GET /rate/{token}?stars=N: the chosen star and one button; records nothing.
async fn show(
    State(app): State<AppState>,
    page: PageCtx,
    Path(token): Path<String>,
    Query(query): Query<StarsQuery>,
) -> Result<Response, WebError> {
    match rating_links::open(&app, &token).await? {
        Opened::Rating(rating) => {
            let given = rating.given.clone();
            // The star of the link, else the one given before.
            let stars = match stars_of(&query.stars) {
                0 => given.as_ref().map_or(0, |(s, _)| *s),
                s => s,
            };
            Ok(RatePage {
                page,
                token,
                rating: Some(*rating),
                refused: "",
                stars,
                comment: given.map(|(_, c)| c).unwrap_or_default(),
                errors: FieldErrors::default(),
            }
            .into_response())
        }
        other => Ok(refused(page, token, other)),
    }
}

#[derive(Deserialize)]
pub struct RateForm {
    #[serde(default)]
    stars: String,
    #[serde(default)]
    comment: String,
}

/// POST /rate/{token}: records the rating through the write path.
async fn save(
    State(app): State<AppState>,
    page: PageCtx,
    Path(token): Path<String>,
    Form(form): Form<RateForm>,
) -> Result<Response, WebError> {
    let stars = stars_of(&form.stars);
    let back = |stars: i16| format!("/rate/{token}?stars={stars}");
    match rating_links::rate(&app, &token, stars, &form.comment).await {
        Ok(Ok(_)) => Ok(notice::redirect(&back(stars), "rated")),
        Ok(Err(why)) => Ok(refused(page, token, why)),
        Err(service::Error::Conflict(Conflict::RatingFixed)) => {
            Ok(notice::redirect(&back(stars), "rating-fixed"))
        }
        Err(service::Error::Conflict(Conflict::NotResolved | Conflict::Merged)) => {
            Ok(notice::redirect(&back(stars), "not-resolved"))
        }
        Err(service::Error::Invalid(errors)) => match rating_links::open(&app, &token).await? {
            Opened::Rating(rating) => {
                let body = RatePage {
                    page,
                    token,
                    rating: Some(*rating),
                    refused: "",
                    stars,
                    comment: form.comment,
                    errors,
                };
                Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
            }
            other => Ok(refused(page, token, other)),
        },
        Err(other) => Err(other.into()),
    }
}

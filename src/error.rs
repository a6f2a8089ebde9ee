//! The one error type. Handlers return `Result<_, AppError>`; the request-context
//! middleware turns an error into a full page in the user's language.

use std::fmt;

use actix_web::{http::StatusCode, HttpResponse, ResponseError};

use crate::domain::form::FormErrors;
use crate::i18n::{k, MsgKey};

#[derive(Debug)]
pub enum AppError {
    NotFound,
    Forbidden,
    /// An API token without the scope the request needs (403).
    MissingScope(crate::domain::scope::Scope),
    /// Not signed in: 303 to `/login?next=…` (the value is an already-checked local path).
    Unauthenticated {
        next: String,
    },
    /// Signed in with a temporary password: everything redirects to the change page.
    PasswordChangeRequired,
    /// The password was right, the second factor is still due: `/login/2fa`.
    SecondFactorDue,
    /// Their role must have a second factor and they have none yet: `/profile/2fa`.
    EnrolRequired,
    Csrf,
    RateLimited,
    BadRequest,
    /// The request body is larger than allowed (413).
    TooLarge,
    /// A request that is well-formed but not allowed in this state (422 with a message).
    Invalid(MsgKey),
    Conflict(MsgKey),
    /// Per-field validation errors; handlers re-render their form with them (422).
    Form(FormErrors),
    /// The database is unreachable or the pool is exhausted (503).
    Unavailable,
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

/// Reference shown on a 500 page and written to the log beside the cause.
#[derive(Clone, Debug)]
pub struct ErrorRef(pub String);

tokio::task_local! {
    /// The reference id of the request being served (set by the request
    /// middleware around the handler).
    pub static REQUEST_ID: String;
}

thread_local! {
    /// The same id on a blocking thread while it works for that request.
    static BLOCKING_ID: std::cell::RefCell<Option<String>> =
        const { std::cell::RefCell::new(None) };
}

/// The current request's reference id: on the task serving it, or on the
/// blocking thread doing its database work (`db::run`).
pub fn request_id() -> Option<String> {
    REQUEST_ID
        .try_with(Clone::clone)
        .ok()
        .or_else(|| BLOCKING_ID.with(|id| id.borrow().clone()))
}

/// Runs `f` with `id` as this thread's request id (a blocking closure).
pub fn with_request_id<T>(id: Option<String>, f: impl FnOnce() -> T) -> T {
    /// Puts the thread's previous id back, even if `f` panics.
    struct Restore(Option<String>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let before = self.0.take();
            BLOCKING_ID.with(|cell| *cell.borrow_mut() = before);
        }
    }
    let _restore = Restore(BLOCKING_ID.with(|cell| cell.replace(id)));
    f()
}

impl AppError {
    pub fn internal<E: Into<Box<dyn std::error::Error + Send + Sync>>>(e: E) -> Self {
        AppError::Internal(e.into())
    }

    /// Catalogue keys for the error page (title, explanation).
    pub fn page_keys(&self) -> (&'static str, &'static str) {
        match self {
            AppError::Csrf => (k("error-403-title").0, k("error-csrf-body").0),
            AppError::Invalid(key) | AppError::Conflict(key) => (k("error-422-title").0, key.0),
            _ => keys_for_status(self.status_code()),
        }
    }
}

/// Error-page keys for a bare status code (errors raised by actix itself).
pub fn keys_for_status(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => (k("error-400-title").0, k("error-400-body").0),
        403 => (k("error-403-title").0, k("error-403-body").0),
        404 => (k("error-404-title").0, k("error-404-body").0),
        405 => (k("error-405-title").0, k("error-405-body").0),
        413 => (k("error-413-title").0, k("error-413-body").0),
        422 => (k("error-422-title").0, k("error-422-body").0),
        429 => (k("error-429-title").0, k("error-429-body").0),
        503 => (k("error-503-title").0, k("error-503-body").0),
        _ => (k("error-500-title").0, k("error-500-body").0),
    }
}

impl fmt::Display for AppError {
    // Only for logs: the client never sees this text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Internal(e) => write!(f, "internal error: {e}"),
            AppError::Invalid(k) | AppError::Conflict(k) => write!(f, "{self:?} ({})", k.0),
            other => write!(f, "{other:?}"),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::Csrf | AppError::MissingScope(_) => {
                StatusCode::FORBIDDEN
            }
            AppError::Unauthenticated { .. }
            | AppError::PasswordChangeRequired
            | AppError::SecondFactorDue
            | AppError::EnrolRequired => StatusCode::SEE_OTHER,
            AppError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            AppError::BadRequest => StatusCode::BAD_REQUEST,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Invalid(_) | AppError::Form(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Unauthenticated { next } => {
                let location = if next == "/" || next.is_empty() {
                    "/login".to_owned()
                } else {
                    format!(
                        "/login?next={}",
                        crate::domain::value::encode_query_value(next)
                    )
                };
                HttpResponse::SeeOther()
                    .insert_header(("Location", location))
                    .finish()
            }
            AppError::PasswordChangeRequired => HttpResponse::SeeOther()
                .insert_header(("Location", "/password/change"))
                .finish(),
            AppError::SecondFactorDue => HttpResponse::SeeOther()
                .insert_header(("Location", "/login/2fa"))
                .finish(),
            AppError::EnrolRequired => HttpResponse::SeeOther()
                .insert_header(("Location", "/profile/2fa"))
                .finish(),
            AppError::Internal(e) => {
                // The request's own id, so the page, the X-Request-Id header
                // and the log line all name the same reference.
                let reference =
                    request_id().unwrap_or_else(|| crate::domain::token::random_token(6));
                log::error!(req = reference.as_str(); "error {reference}: {e:?}");
                let mut res = HttpResponse::InternalServerError().finish();
                res.extensions_mut().insert(ErrorRef(reference));
                res
            }
            AppError::Unavailable => {
                log::warn!("database unavailable");
                HttpResponse::ServiceUnavailable()
                    .insert_header(("Retry-After", "10"))
                    .finish()
            }
            AppError::RateLimited => HttpResponse::TooManyRequests()
                .insert_header(("Retry-After", "600"))
                .finish(),
            other => HttpResponse::build(other.status_code()).finish(),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::NotFound,
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => AppError::Unavailable,
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(_: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::Internal(e.into())
    }
}

#[cfg(test)]
mod request_id_tests {
    use super::*;

    #[test]
    fn a_blocking_closure_carries_the_request_id_and_leaves_none_behind() {
        assert_eq!(request_id(), None);
        let inside = with_request_id(Some("abc123def456".into()), request_id);
        assert_eq!(inside.as_deref(), Some("abc123def456"));
        assert_eq!(request_id(), None);
        let panicked = std::panic::catch_unwind(|| {
            with_request_id(Some("x".into()), || panic!("a closure that fails"))
        });
        assert!(panicked.is_err());
        assert_eq!(request_id(), None, "restored after a panic");
    }
}

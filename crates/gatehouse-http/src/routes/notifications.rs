//! `/v1/me/notification-preferences`, `/v1/me/quiet-hours`, `/v1/me/blocklist`,
//! `/v1/me/consents` and `/v1/me/notifications`: what the signed-in person chose about
//! their notifications, and their in-app feed.

use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, AuthSession, Client, Pagination, PathId};
use crate::openapi::responses::{
    BadRequest, JsonBodyErrors, NotFound, ServiceUnavailable, Unauthenticated,
};
use crate::wire::{
    BlockList, BlockRequest, BlockResponse, ConsentRequest, ConsentStateResponse, ConsentsResponse,
    InAppNotificationList, InAppNotificationResponse, NotificationPreferencesRequest,
    NotificationPreferencesResponse, PageQuery, QuietHoursList, QuietHoursRequest,
    QuietHoursResponse, TypePreferenceRequest, TypePreferenceResponse,
};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gatehouse_core::notify::preferences;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(
            notification_preferences,
            update_notification_preferences
        ))
        .routes(routes!(type_preference, update_type_preference))
        .routes(routes!(list_quiet_hours, add_quiet_hours))
        .routes(routes!(remove_quiet_hours))
        .routes(routes!(list_blocklist, add_block))
        .routes(routes!(remove_block))
        .routes(routes!(consents))
        .routes(routes!(record_consent))
        .routes(routes!(list_notifications))
        .routes(routes!(mark_notification_read))
}

/// The global switches and every notification type's settings (defaults until changed).
#[utoipa::path(get, path = "/v1/me/notification-preferences", tag = "notifications",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The preferences", body = NotificationPreferencesResponse),
        (status = 401, response = Unauthenticated),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn notification_preferences(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
) -> Result<Json<NotificationPreferencesResponse>, ApiError> {
    let settings = preferences::settings(&state.core, auth.user_id).await?;
    Ok(Json(settings.into()))
}

/// Replace the global switches (every field is required).
#[utoipa::path(put, path = "/v1/me/notification-preferences", tag = "notifications",
    security(("bearer" = [])),
    request_body(content = NotificationPreferencesRequest, example = json!({
        "email_otp": true,
        "email_alerts": true,
        "email_marketing": false,
        "sms_otp": true,
        "sms_alerts": false,
        "push_enabled": false,
        "quiet_hours_enabled": true,
        "quiet_start": "22:00",
        "quiet_end": "07:00",
        "digest_frequency": "daily",
    })),
    responses(
        (status = 200, description = "The preferences as stored", body = NotificationPreferencesResponse),
        JsonBodyErrors,
        (status = 401, response = Unauthenticated),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn update_notification_preferences(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    ApiJson(body): ApiJson<NotificationPreferencesRequest>,
) -> Result<Json<NotificationPreferencesResponse>, ApiError> {
    let settings = preferences::update_global(&state.core, auth.user_id, body.into()).await?;
    Ok(Json(settings.into()))
}

/// One notification type's settings (defaults until changed).
#[utoipa::path(get, path = "/v1/me/notification-preferences/{type}", tag = "notifications",
    security(("bearer" = [])),
    params(("type" = String, Path, description = "A notification type, e.g. `login_new_device`")),
    responses(
        (status = 200, description = "The type's settings", body = TypePreferenceResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 404, description = "No such notification type (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn type_preference(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    PathId(kind): PathId<String>,
) -> Result<Json<TypePreferenceResponse>, ApiError> {
    let kind = preferences::notification_type(&kind)?;
    let settings = preferences::type_settings(&state.core, auth.user_id, kind).await?;
    Ok(Json(settings.into()))
}

/// Replace one notification type's settings (every field is required). Codes and links
/// (`transactional`) are sent whatever these say.
#[utoipa::path(put, path = "/v1/me/notification-preferences/{type}", tag = "notifications",
    security(("bearer" = [])),
    params(("type" = String, Path, description = "A notification type, e.g. `login_new_device`")),
    request_body(content = TypePreferenceRequest, example = json!({
        "email_enabled": true,
        "sms_enabled": false,
        "in_app_enabled": true,
        "push_enabled": false,
        "priority": "high",
        "respect_quiet_hours": true,
        "delay_minutes": 0,
        "max_per_day": 20,
    })),
    responses(
        (status = 200, description = "The type's settings as stored", body = TypePreferenceResponse),
        JsonBodyErrors,
        (status = 401, response = Unauthenticated),
        (status = 404, description = "No such notification type (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn update_type_preference(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    PathId(kind): PathId<String>,
    ApiJson(body): ApiJson<TypePreferenceRequest>,
) -> Result<Json<TypePreferenceResponse>, ApiError> {
    let kind = preferences::notification_type(&kind)?;
    let settings = preferences::update_type(&state.core, auth.user_id, kind, body.into()).await?;
    Ok(Json(settings.into()))
}

/// The weekly quiet windows, by day and start time.
#[utoipa::path(get, path = "/v1/me/quiet-hours", tag = "notifications",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every window", body = QuietHoursList),
        (status = 401, response = Unauthenticated),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn list_quiet_hours(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
) -> Result<Json<QuietHoursList>, ApiError> {
    let windows = preferences::list_quiet_hours(&state.core, auth.user_id).await?;
    let items = windows.into_iter().map(Into::into).collect();
    Ok(Json(QuietHoursList { items }))
}

/// Add a weekly quiet window (one per day and start time).
#[utoipa::path(post, path = "/v1/me/quiet-hours", tag = "notifications",
    security(("bearer" = [])),
    request_body(content = QuietHoursRequest, example = json!({
        "day_of_week": 4,
        "start_time": "22:00",
        "end_time": "07:00",
        "timezone": "Europe/Paris",
        "allow_critical_only": true,
        "description": "Friday night",
    })),
    responses(
        (status = 201, description = "The window, with its id", body = QuietHoursResponse),
        JsonBodyErrors,
        (status = 401, response = Unauthenticated),
        (status = 409, description = "A window already starts then on that day (`conflict`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn add_quiet_hours(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    ApiJson(body): ApiJson<QuietHoursRequest>,
) -> Result<(StatusCode, Json<QuietHoursResponse>), ApiError> {
    let window = preferences::add_quiet_hours(&state.core, auth.user_id, body.into()).await?;
    Ok((StatusCode::CREATED, Json(window.into())))
}

/// Delete a quiet window.
#[utoipa::path(delete, path = "/v1/me/quiet-hours/{id}", tag = "notifications",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Quiet-hours window id")),
    responses(
        (status = 204, description = "Window deleted"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn remove_quiet_hours(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    PathId(id): PathId<Uuid>,
) -> Result<StatusCode, ApiError> {
    preferences::remove_quiet_hours(&state.core, auth.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The active blocklist entries, oldest first.
#[utoipa::path(get, path = "/v1/me/blocklist", tag = "notifications",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every active entry", body = BlockList),
        (status = 401, response = Unauthenticated),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn list_blocklist(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
) -> Result<Json<BlockList>, ApiError> {
    let entries = preferences::blocklist(&state.core, auth.user_id).await?;
    let items = entries.into_iter().map(Into::into).collect();
    Ok(Json(BlockList { items }))
}

/// Block an email address, a phone number or a notification type. Blocking a value again
/// answers the same entry.
#[utoipa::path(post, path = "/v1/me/blocklist", tag = "notifications",
    security(("bearer" = [])),
    request_body(content = BlockRequest, example = json!({
        "block_type": "phone",
        "value": "+1 415 555 2671",
        "reason": "Not my number any more",
    })),
    responses(
        (status = 201, description = "The entry, its value as stored", body = BlockResponse),
        JsonBodyErrors,
        (status = 401, response = Unauthenticated),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn add_block(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    ApiJson(body): ApiJson<BlockRequest>,
) -> Result<(StatusCode, Json<BlockResponse>), ApiError> {
    let entry = preferences::block(&state.core, auth.user_id, body.into()).await?;
    Ok((StatusCode::CREATED, Json(entry.into())))
}

/// Lift a block.
#[utoipa::path(delete, path = "/v1/me/blocklist/{id}", tag = "notifications",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Blocklist entry id")),
    responses(
        (status = 204, description = "Block lifted"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn remove_block(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    PathId(id): PathId<Uuid>,
) -> Result<StatusCode, ApiError> {
    preferences::unblock(&state.core, auth.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every consent's current state, and the ledger of grants and withdrawals.
#[utoipa::path(get, path = "/v1/me/consents", tag = "notifications",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "States and ledger", body = ConsentsResponse),
        (status = 401, response = Unauthenticated),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn consents(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
) -> Result<Json<ConsentsResponse>, ApiError> {
    let consents = preferences::consents(&state.core, auth.user_id).await?;
    Ok(Json(consents.into()))
}

/// Grant or withdraw a consent; the ledger keeps the time, source, IP address and user
/// agent of each change.
#[utoipa::path(post, path = "/v1/me/consents/{type}", tag = "notifications",
    security(("bearer" = [])),
    params(("type" = String, Path, description = "A consent type, e.g. `marketing`")),
    request_body(content = ConsentRequest, example = json!({ "granted": true, "source": "web" })),
    responses(
        (status = 200, description = "The consent's new state", body = ConsentStateResponse),
        JsonBodyErrors,
        (status = 401, response = Unauthenticated),
        (status = 404, description = "No such consent type (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn record_consent(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
    PathId(kind): PathId<String>,
    ApiJson(body): ApiJson<ConsentRequest>,
) -> Result<Json<ConsentStateResponse>, ApiError> {
    let kind = preferences::consent_type(&kind)?;
    let consent =
        preferences::record_consent(&state.core, auth.user_id, kind, body.into(), &client).await?;
    Ok(Json(consent.into()))
}

/// The in-app feed, newest first.
#[utoipa::path(get, path = "/v1/me/notifications", tag = "notifications",
    security(("bearer" = [])), params(PageQuery),
    responses(
        (status = 200, description = "A page of messages", body = InAppNotificationList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn list_notifications(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    pagination: Pagination,
) -> Result<Json<InAppNotificationList>, ApiError> {
    let rows =
        preferences::list_notifications(&state.core, auth.user_id, pagination.page()).await?;
    let (rows, next_cursor) = pagination.split(rows, |n| n.id);
    let items = rows
        .into_iter()
        .map(InAppNotificationResponse::from)
        .collect();
    Ok(Json(InAppNotificationList { items, next_cursor }))
}

/// Mark an in-app message read.
#[utoipa::path(post, path = "/v1/me/notifications/{id}/read", tag = "notifications",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Message id")),
    responses(
        (status = 204, description = "Marked read"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn mark_notification_read(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    PathId(id): PathId<Uuid>,
) -> Result<StatusCode, ApiError> {
    preferences::mark_read(&state.core, auth.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

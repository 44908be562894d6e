//! Wire types: what the API reads and writes, separate from domain types and rows, one
//! file per area. Request types refuse unknown fields. Types holding secrets do not
//! derive `Debug`.

mod admin;
mod audit;
mod audit_summaries;
mod auth;
mod hooks;
mod me;
mod mfa;
mod notifications;
mod page;
mod recovery;
mod sessions;
mod system;
mod verification;

pub use admin::{MfaChangeList, MfaChangeQuery, MfaChangeResponse};
pub use audit::{
    decode_audit_cursor, encode_audit_cursor, AuditQuery, AuditRecordList, AuditRecordResponse,
    AuditReviewRequest, SecurityEventList, SecurityEventQuery, SecurityEventResponse,
    AUDIT_DEFAULT_LIMIT, AUDIT_MAX_LIMIT,
};
pub use audit_summaries::{DailySummaryList, DailySummaryQuery};
pub use auth::{
    LoginAnswer, LoginRequest, LoginResponse, MfaSendRequest, MfaVerifyRequest, NotMeRequest,
    NotMeResponse, RefreshRequest, RegisterRequest, TokenResponse,
};
pub use hooks::{ReceiptAnswer, ReceiptBatchDoc};
pub use me::{MeResponse, PasswordChangeRequest, ProfilePatchRequest};
pub use mfa::{
    BackupCodesResponse, CodeConfirmRequest, CodeSentResponse, EmailMethodRequest,
    MfaSettingsRequest, MfaStatusResponse, PendingChangeResponse, SmsMethodRequest,
    TotpConfirmRequest, TotpEnrolmentResponse,
};
pub use notifications::{
    BlockList, BlockRequest, BlockResponse, ConsentRequest, ConsentStateResponse, ConsentsResponse,
    InAppNotificationList, InAppNotificationResponse, NotificationPreferencesRequest,
    NotificationPreferencesResponse, QuietHoursList, QuietHoursRequest, QuietHoursResponse,
    TypePreferenceRequest, TypePreferenceResponse,
};
pub use page::{decode_cursor, encode_cursor, PageQuery, DEFAULT_LIMIT, MAX_LIMIT};
pub use recovery::{
    EmailRecoveryRequest, RecoveryCancelRequest, RecoveryCompleteRequest, RecoveryRequest,
};
pub use sessions::{DeviceList, DeviceResponse, DeviceTrustResponse, SessionList, SessionResponse};
pub use system::{HealthResponse, JwkSet};
pub use verification::{
    AcceptedResponse, EmailChangeRequest, PasswordResetConfirmRequest, PasswordResetRequest,
    PasswordResetResponse, VerifyEmailRequest, VerifyEmailResponse,
};

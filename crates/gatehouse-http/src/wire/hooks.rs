//! Delivery webhooks: what a provider (or its relay) posts, and the answer.

use serde::Serialize;
use utoipa::ToSchema;

/// A batch of delivery receipts, signed with `Gatehouse-Signature`.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the body `gatehouse_core::notify::receipts` parses
pub struct ReceiptBatchDoc {
    /// 1 to 100 receipts.
    receipts: Vec<ReceiptDoc>,
}

/// What became of one message.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReceiptDoc {
    /// The provider's message id (for SMTP, the `Message-ID`, e.g. `<id@gatehouse>`).
    #[schema(example = "SM0123456789abcdef0123456789abcdef", max_length = 255)]
    message_id: String,
    /// Email: `delivered`, `opened`, `clicked`, `bounced`; SMS: `delivered`, `failed`,
    /// `undelivered`.
    #[schema(example = "delivered")]
    event: String,
    /// When it happened (default: when received).
    occurred_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The link clicked (`clicked`).
    #[schema(max_length = 500)]
    url: Option<String>,
    /// The provider's error text or code (`bounced`, `failed`, `undelivered`).
    error: Option<String>,
}

/// How many receipts moved a message, and how many matched none (an unknown message, one
/// another provider carried, or a state it cannot move from).
#[derive(Serialize, ToSchema)]
pub struct ReceiptAnswer {
    pub applied: u32,
    pub ignored: u32,
}

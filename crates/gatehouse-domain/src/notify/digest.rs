//! Digests: non-critical security alerts a person asked to receive hourly or daily are
//! gathered until the window ends, then sent as one `security_digest` message. Here: when
//! a window ends, and how due items are grouped into one batch per person and window.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::local_time::{next_local_hour, next_local_midnight};
use super::{DigestFrequency, NotificationType};
use crate::ids::UserId;

/// When the digest window that `now` falls in ends: the next full hour on the person's
/// clock (hourly), the next local midnight (daily), or `None` for real-time delivery.
pub fn digest_window_end(
    now: DateTime<Utc>,
    frequency: DigestFrequency,
    tz: Tz,
) -> Option<DateTime<Utc>> {
    match frequency {
        DigestFrequency::RealTime => None,
        DigestFrequency::Hourly => Some(next_local_hour(now, tz)),
        DigestFrequency::Daily => Some(next_local_midnight(now, tz)),
    }
}

/// One alert waiting for its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestItem {
    pub user_id: UserId,
    pub notification_type: NotificationType,
    pub created_at: DateTime<Utc>,
    /// From [`digest_window_end`] when the alert was routed.
    pub window_end: DateTime<Utc>,
}

/// The alerts of one person and one window, ready to become one digest message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestBatch {
    pub user_id: UserId,
    pub window_end: DateTime<Utc>,
    /// Oldest and newest alert gathered ("since 14:05").
    pub first_created_at: DateTime<Utc>,
    pub last_created_at: DateTime<Utc>,
    /// How many of each type, in [`NotificationType::ALL`] order; types with none left out.
    pub counts: Vec<(NotificationType, u32)>,
    pub total: u32,
}

/// Group the items whose window has ended by `now` into batches, one per person and
/// window, ordered by window end and then person. Items not yet due are left out.
pub fn gather(items: &[DigestItem], now: DateTime<Utc>) -> Vec<DigestBatch> {
    let mut due: Vec<&DigestItem> = items.iter().filter(|item| item.window_end <= now).collect();
    due.sort_by_key(|item| (item.window_end, item.user_id));
    let mut batches: Vec<DigestBatch> = Vec::new();
    for item in due {
        match batches.last_mut() {
            Some(batch) if batch.user_id == item.user_id && batch.window_end == item.window_end => {
                batch.add(item)
            }
            _ => batches.push(DigestBatch::first(item)),
        }
    }
    for batch in &mut batches {
        batch.counts.sort_by_key(|(kind, _)| type_order(*kind));
    }
    batches
}

impl DigestBatch {
    fn first(item: &DigestItem) -> Self {
        Self {
            user_id: item.user_id,
            window_end: item.window_end,
            first_created_at: item.created_at,
            last_created_at: item.created_at,
            counts: vec![(item.notification_type, 1)],
            total: 1,
        }
    }

    fn add(&mut self, item: &DigestItem) {
        self.first_created_at = self.first_created_at.min(item.created_at);
        self.last_created_at = self.last_created_at.max(item.created_at);
        self.total += 1;
        match self
            .counts
            .iter_mut()
            .find(|(kind, _)| *kind == item.notification_type)
        {
            Some((_, count)) => *count += 1,
            None => self.counts.push((item.notification_type, 1)),
        }
    }
}

fn type_order(kind: NotificationType) -> usize {
    NotificationType::ALL
        .iter()
        .position(|candidate| *candidate == kind)
        .unwrap_or(usize::MAX)
}

#[cfg(test)]
#[allow(clippy::expect_used)] // a failed expectation is the test failing
mod tests {
    use super::*;
    use chrono::NaiveDateTime;
    use chrono_tz::{America, Asia, Europe};
    use uuid::Uuid;
    use NotificationType::*;

    fn utc(text: &str) -> DateTime<Utc> {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
            .expect("test datetime")
            .and_utc()
    }

    #[test]
    fn window_ends_hourly_and_at_local_midnight() {
        let cases = [
            (DigestFrequency::RealTime, Tz::UTC, "2026-05-01 10:20", None),
            (
                DigestFrequency::Hourly,
                Tz::UTC,
                "2026-05-01 10:20",
                Some("2026-05-01 11:00"),
            ),
            (
                DigestFrequency::Hourly,
                Asia::Kolkata,
                "2026-05-01 10:20",
                Some("2026-05-01 10:30"),
            ),
            // 22:30 UTC is 00:30 next day in Berlin (CEST) and 18:30 in New York (EDT).
            (
                DigestFrequency::Daily,
                Europe::Berlin,
                "2026-05-01 22:30",
                Some("2026-05-02 22:00"),
            ),
            (
                DigestFrequency::Daily,
                America::New_York,
                "2026-05-01 22:30",
                Some("2026-05-02 04:00"),
            ),
            (
                DigestFrequency::Daily,
                Tz::UTC,
                "2026-05-01 22:30",
                Some("2026-05-02 00:00"),
            ),
            // The day Berlin goes back to CET is 25 hours long: midnight after is 23:00 UTC.
            (
                DigestFrequency::Daily,
                Europe::Berlin,
                "2026-10-25 08:00",
                Some("2026-10-25 23:00"),
            ),
        ];
        for (frequency, tz, now, expected) in cases {
            assert_eq!(
                digest_window_end(utc(now), frequency, tz),
                expected.map(utc),
                "{frequency} {tz} {now}"
            );
        }
    }

    fn item(user: UserId, kind: NotificationType, created: &str, end: &str) -> DigestItem {
        DigestItem {
            user_id: user,
            notification_type: kind,
            created_at: utc(created),
            window_end: utc(end),
        }
    }

    #[test]
    fn gathers_due_items_into_one_batch_per_person_and_window() {
        let ann = UserId(Uuid::from_u128(1));
        let bob = UserId(Uuid::from_u128(2));
        let items = [
            item(bob, LoginNewDevice, "2026-05-01 10:05", "2026-05-01 11:00"),
            item(ann, MfaEnabled, "2026-05-01 10:40", "2026-05-01 11:00"),
            item(ann, LoginNewDevice, "2026-05-01 10:10", "2026-05-01 11:00"),
            item(ann, LoginNewDevice, "2026-05-01 10:30", "2026-05-01 11:00"),
            item(ann, BackupCodeUsed, "2026-05-01 09:15", "2026-05-01 10:00"),
            // Not due yet at 11:00: its window ends at noon.
            item(
                ann,
                LoginNewLocation,
                "2026-05-01 11:00",
                "2026-05-01 12:00",
            ),
        ];
        let batches = gather(&items, utc("2026-05-01 11:00"));
        let summary: Vec<_> = batches
            .iter()
            .map(|b| (b.user_id, b.window_end, b.counts.clone(), b.total))
            .collect();
        assert_eq!(
            summary,
            vec![
                (ann, utc("2026-05-01 10:00"), vec![(BackupCodeUsed, 1)], 1),
                (
                    ann,
                    utc("2026-05-01 11:00"),
                    vec![(LoginNewDevice, 2), (MfaEnabled, 1)],
                    3
                ),
                (bob, utc("2026-05-01 11:00"), vec![(LoginNewDevice, 1)], 1),
            ]
        );
        let ann_hour = &batches[1];
        assert_eq!(ann_hour.first_created_at, utc("2026-05-01 10:10"));
        assert_eq!(ann_hour.last_created_at, utc("2026-05-01 10:40"));

        assert!(gather(&items, utc("2026-05-01 09:59")).is_empty());
        assert_eq!(gather(&items, utc("2026-05-01 12:00")).len(), 4);
        assert!(gather(&[], utc("2026-05-01 12:00")).is_empty());
    }
}

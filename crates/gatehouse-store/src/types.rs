//! Column types that PostgreSQL stores natively and SQLite as text: `inet` and `text[]`.
//! Each wrapper encodes to the native type on PostgreSQL and to TEXT on SQLite, and
//! decodes from either, so row structs stay the same on both backends.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};
use std::net::IpAddr;

/// An IP address: `inet` on PostgreSQL, text on SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inet(pub IpAddr);

impl Type<Postgres> for Inet {
    fn type_info() -> PgTypeInfo {
        <IpAddr as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <IpAddr as Type<Postgres>>::compatible(ty)
    }
}
impl<'q> Encode<'q, Postgres> for Inet {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <IpAddr as Encode<'q, Postgres>>::encode_by_ref(&self.0, buf)
    }
}
impl<'r> Decode<'r, Postgres> for Inet {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        <IpAddr as Decode<'r, Postgres>>::decode(value).map(Inet)
    }
}
impl Type<Sqlite> for Inet {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
}
impl<'q> Encode<'q, Sqlite> for Inet {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Sqlite>>::encode(self.0.to_string(), buf)
    }
}
impl<'r> Decode<'r, Sqlite> for Inet {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<'r, Sqlite>>::decode(value)?;
        Ok(Inet(text.parse()?))
    }
}

/// A list of strings: `text[]` on PostgreSQL, a JSON array in TEXT on SQLite.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextList(pub Vec<String>);

impl Type<Postgres> for TextList {
    fn type_info() -> PgTypeInfo {
        <Vec<String> as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <Vec<String> as Type<Postgres>>::compatible(ty)
    }
}
impl<'q> Encode<'q, Postgres> for TextList {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <Vec<String> as Encode<'q, Postgres>>::encode_by_ref(&self.0, buf)
    }
}
impl<'r> Decode<'r, Postgres> for TextList {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        <Vec<String> as Decode<'r, Postgres>>::decode(value).map(TextList)
    }
}
impl Type<Sqlite> for TextList {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
}
impl<'q> Encode<'q, Sqlite> for TextList {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Sqlite>>::encode(serde_json::to_string(&self.0)?, buf)
    }
}
impl<'r> Decode<'r, Sqlite> for TextList {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<'r, Sqlite>>::decode(value)?;
        Ok(TextList(serde_json::from_str(text)?))
    }
}

/// A column that may be NULL, decoded as one value so that `#[sqlx(try_from = ...)]` can
/// turn it into an `Option` of a domain type (sqlx's `try_from` needs a single source type,
/// and `Option<Uuid> -> Option<DeviceId>` cannot be written as a `TryFrom` outside std).
/// Row structs write `#[sqlx(try_from = "Nullable<Uuid>")] device_id: Option<DeviceId>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nullable<T>(pub Option<T>);

impl<DB: sqlx::Database, T: Type<DB>> Type<DB> for Nullable<T> {
    fn type_info() -> DB::TypeInfo {
        T::type_info()
    }
    fn compatible(ty: &DB::TypeInfo) -> bool {
        T::compatible(ty)
    }
}

impl<'r, DB: sqlx::Database, T: Decode<'r, DB>> Decode<'r, DB> for Nullable<T> {
    fn decode(value: <DB as sqlx::Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        use sqlx::ValueRef;
        if value.is_null() {
            Ok(Nullable(None))
        } else {
            T::decode(value).map(|v| Nullable(Some(v)))
        }
    }
}

/// Typed ids decode from `uuid` (PostgreSQL) or 16-byte BLOB (SQLite) columns:
/// `#[sqlx(try_from = "Uuid")]`, or `#[sqlx(try_from = "Nullable<Uuid>")]` when nullable.
macro_rules! nullable_id {
    ($($id:ty),+) => {$(
        impl From<Nullable<uuid::Uuid>> for Option<$id> {
            fn from(v: Nullable<uuid::Uuid>) -> Self {
                v.0.map(<$id>::from)
            }
        }
    )+};
}
nullable_id!(
    gatehouse_domain::ids::UserId,
    gatehouse_domain::ids::SessionId,
    gatehouse_domain::ids::DeviceId,
    gatehouse_domain::ids::TokenFamilyId
);

/// Enumerations stored as text decode with `#[sqlx(try_from = "String")]`, or
/// `#[sqlx(try_from = "Nullable<String>")]` when nullable (an unknown value is a decode
/// error, not a silent default).
macro_rules! nullable_enum {
    ($($enum:ty),+) => {$(
        impl TryFrom<Nullable<String>> for Option<$enum> {
            type Error = String;
            fn try_from(v: Nullable<String>) -> Result<Self, Self::Error> {
                v.0.map(<$enum>::try_from).transpose()
            }
        }
    )+};
}
nullable_enum!(gatehouse_domain::accounts::RevocationReason);

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

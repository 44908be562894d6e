//! Risk at sign-in (issue 10): where a request comes from ([`geoip`]: a MaxMind City
//! database, optional) and how risky a login looks ([`login`]: the signals gathered from the
//! account's recent audit rows and devices, scored by the pure engine in
//! `gatehouse_domain::risk`). The level drives the login: MFA may be skipped only on a
//! trusted device at low risk, high risk asks for the second factor, critical refuses.

pub mod config;
pub mod geoip;
pub(crate) mod login;

pub use config::RiskConfig;
pub use geoip::{GeoInfo, GeoIp, GeoIpError};

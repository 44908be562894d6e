//! GeoIP: the country, city and coordinates of a client address, from a MaxMind City
//! database read into memory at start-up (`risk.geoip_city_db`). Without one every lookup
//! answers `None` and logins are scored without the location signals. A lookup is an
//! in-memory tree walk (microseconds), so it runs on every request that records an
//! address; private and unknown addresses have no location.

use gatehouse_domain::risk::GeoPoint;
use maxminddb::{geoip2, Reader};
use std::net::IpAddr;
use std::path::Path;

/// Where an address is, as far as the database knows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeoInfo {
    /// ISO 3166-1 alpha-2 code (`GB`).
    pub country: Option<String>,
    /// The city's English name.
    pub city: Option<String>,
    pub point: Option<GeoPoint>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot read the GeoIP database {path}: {cause}")]
pub struct GeoIpError {
    path: String,
    cause: String,
}

/// The database, or nothing.
#[derive(Default)]
pub struct GeoIp {
    reader: Option<Reader<Vec<u8>>>,
}

impl std::fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoIp")
            .field("configured", &self.reader.is_some())
            .finish()
    }
}

impl GeoIp {
    /// Read the database at `path`; an empty path means no GeoIP.
    pub fn open(path: &str) -> Result<Self, GeoIpError> {
        if path.is_empty() {
            return Ok(Self::default());
        }
        let reader = Reader::open_readfile(Path::new(path)).map_err(|e| GeoIpError {
            path: path.to_owned(),
            cause: e.to_string(),
        })?;
        Ok(Self {
            reader: Some(reader),
        })
    }

    pub fn is_configured(&self) -> bool {
        self.reader.is_some()
    }

    /// The address's place; `None` without a database or for an address it does not hold.
    pub fn locate(&self, ip: IpAddr) -> Option<GeoInfo> {
        let reader = self.reader.as_ref()?;
        let city: geoip2::City<'_> = match reader.lookup(ip).and_then(|r| r.decode()) {
            Ok(Some(city)) => city,
            Ok(None) => return None,
            Err(e) => {
                // A damaged record must not fail a login; the operator gets a trace.
                tracing::warn!(%ip, error = %e, "GeoIP lookup failed");
                return None;
            }
        };
        let point = match (city.location.latitude, city.location.longitude) {
            (Some(lat), Some(lon)) => GeoPoint::new(lat, lon).ok(),
            _ => None,
        };
        let info = GeoInfo {
            country: city.country.iso_code.map(str::to_owned),
            city: city.city.names.english.map(str::to_owned),
            point,
        };
        (info != GeoInfo::default()).then_some(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_db() -> GeoIp {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/geoip/GeoLite2-City-Test.mmdb"
        );
        GeoIp::open(path).expect("the MaxMind test database")
    }

    #[test]
    fn known_addresses_have_their_place() {
        let db = test_db();
        let london = db.locate("81.2.69.142".parse().unwrap()).unwrap();
        assert_eq!(london.country.as_deref(), Some("GB"));
        assert_eq!(london.city.as_deref(), Some("London"));
        let point = london.point.unwrap();
        assert!((point.latitude() - 51.5142).abs() < 1e-3);
        assert!((point.longitude() + 0.0931).abs() < 1e-3);
        let milton = db.locate("216.160.83.56".parse().unwrap()).unwrap();
        assert_eq!(milton.country.as_deref(), Some("US"));
        assert_eq!(milton.city.as_deref(), Some("Milton"));
    }

    #[test]
    fn unknown_addresses_and_no_database_have_none() {
        assert_eq!(test_db().locate("10.0.0.1".parse().unwrap()), None);
        assert_eq!(
            GeoIp::default().locate("81.2.69.142".parse().unwrap()),
            None
        );
        assert!(!GeoIp::open("").unwrap().is_configured());
        assert!(GeoIp::open("/nonexistent/city.mmdb").is_err());
    }
}

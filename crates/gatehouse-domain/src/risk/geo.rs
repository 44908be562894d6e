//! Points on the Earth and the distance between them, for impossible-travel checks. The
//! coordinates come from a GeoIP lookup (city level, tens of km of error), so a spherical
//! Earth and the haversine formula are as precise as the input deserves.

use crate::FieldError;

/// The IUGG mean Earth radius R1 = (2a + b) / 3 of WGS 84, in km: the sphere that best fits
/// great-circle distances on average (haversine on it is within ~0.5% of the ellipsoid).
pub const MEAN_EARTH_RADIUS_KM: f64 = 6371.0088;

/// A latitude/longitude pair in decimal degrees (WGS 84, as GeoIP databases give them).
/// Built only through [`GeoPoint::new`], so both values are finite and in range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    latitude: f64,
    longitude: f64,
}

impl GeoPoint {
    /// Latitude -90..=90 (north positive), longitude -180..=180 (east positive).
    pub fn new(latitude: f64, longitude: f64) -> Result<Self, FieldError> {
        // `contains` is false for NaN, so this also refuses non-numbers.
        if !(-90.0..=90.0).contains(&latitude) {
            return Err(FieldError::new(
                "latitude",
                "out_of_range",
                "Latitude must be between -90 and 90 degrees.",
            ));
        }
        if !(-180.0..=180.0).contains(&longitude) {
            return Err(FieldError::new(
                "longitude",
                "out_of_range",
                "Longitude must be between -180 and 180 degrees.",
            ));
        }
        Ok(Self {
            latitude,
            longitude,
        })
    }

    pub fn latitude(&self) -> f64 {
        self.latitude
    }

    pub fn longitude(&self) -> f64 {
        self.longitude
    }
}

/// Great-circle distance in km on the mean-radius sphere (haversine formula). Symmetric,
/// 0 for the same point, at most π·R (about 20015 km) for antipodes.
pub fn great_circle_km(a: GeoPoint, b: GeoPoint) -> f64 {
    let (lat_a, lat_b) = (a.latitude.to_radians(), b.latitude.to_radians());
    let d_lat = lat_b - lat_a;
    let d_lon = (b.longitude - a.longitude).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + lat_a.cos() * lat_b.cos() * (d_lon / 2.0).sin().powi(2);
    // Rounding can push h a hair above 1 near antipodes; asin would then give NaN.
    2.0 * MEAN_EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(latitude: f64, longitude: f64) -> GeoPoint {
        GeoPoint::new(latitude, longitude).unwrap()
    }

    #[test]
    fn known_distances() {
        let london = point(51.5074, -0.1278);
        let paris = point(48.8566, 2.3522);
        // (from, to, expected km, tolerance km)
        let cases = [
            (london, paris, 343.5, 0.5),
            (london, london, 0.0, 1e-9),
            (point(0.0, 0.0), point(0.0, 180.0), 20015.1, 0.1),
            (point(90.0, 0.0), point(-90.0, 0.0), 20015.1, 0.1),
            // Across the antimeridian: one degree of longitude on the equator.
            (point(0.0, 179.5), point(0.0, -179.5), 111.2, 0.1),
            // The MaxMind test database's cities (testdata/geoip/README.md).
            (
                point(51.5142, -0.0931),
                point(47.2513, -122.3149),
                7732.3,
                0.5,
            ),
            (point(51.5142, -0.0931), point(51.75, -1.25), 84.0, 0.5),
            (
                point(51.5142, -0.0931),
                point(58.4167, 15.6167),
                1257.7,
                0.5,
            ),
        ];
        for (from, to, expected, tolerance) in cases {
            let there = great_circle_km(from, to);
            let back = great_circle_km(to, from);
            assert!(
                (there - expected).abs() <= tolerance,
                "{from:?} -> {to:?}: {there} km, expected {expected}"
            );
            assert!(
                (there - back).abs() < 1e-9,
                "not symmetric: {there} vs {back}"
            );
        }
    }

    #[test]
    fn antipodes_are_the_longest_distance() {
        let half_circumference = std::f64::consts::PI * MEAN_EARTH_RADIUS_KM;
        for lat in [-90.0, -45.5, 0.0, 33.3, 90.0] {
            for lon in [-180.0, -90.0, 0.0, 12.25, 179.9] {
                let here = point(lat, lon);
                let opposite = point(-lat, if lon > 0.0 { lon - 180.0 } else { lon + 180.0 });
                let distance = great_circle_km(here, opposite);
                assert!(distance.is_finite());
                assert!(
                    (distance - half_circumference).abs() < 1e-6,
                    "{here:?}: {distance}"
                );
            }
        }
    }

    #[test]
    fn ranges_are_validated() {
        for (lat, lon) in [(90.0, 180.0), (-90.0, -180.0), (0.0, 0.0), (51.5, -0.1)] {
            assert!(GeoPoint::new(lat, lon).is_ok(), "{lat}, {lon}");
        }
        let refused = [
            (90.0001, 0.0, "latitude"),
            (-91.0, 0.0, "latitude"),
            (f64::NAN, 0.0, "latitude"),
            (f64::INFINITY, 0.0, "latitude"),
            (0.0, 180.0001, "longitude"),
            (0.0, -181.0, "longitude"),
            (0.0, f64::NAN, "longitude"),
            (0.0, f64::NEG_INFINITY, "longitude"),
        ];
        for (lat, lon, field) in refused {
            let error = GeoPoint::new(lat, lon).unwrap_err();
            assert_eq!(
                (error.field, error.code),
                (field, "out_of_range"),
                "{lat}, {lon}"
            );
        }
    }
}

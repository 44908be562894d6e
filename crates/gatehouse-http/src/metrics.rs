//! Prometheus metrics kept in [`crate::AppState`] (no global recorder, so several
//! routers can live in one process, as tests do): request counts by method, route and
//! status, and a latency histogram by route, in the text exposition format.
//!
//! Recording is on every request's path, so it allocates nothing once a route has been
//! seen: routes are looked up by `&str` and each keeps its own small table of (method,
//! status) counts. One uncontended mutex costs less than the several atomic operations a
//! lock-free table of counters and buckets would need per request.

use axum::http::Method;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// What one route has seen.
#[derive(Default)]
struct RouteStats {
    /// Requests by method and status (a handful per route: a linear search is fastest).
    requests: Vec<(Method, u16, u64)>,
    /// Requests per bucket, not cumulative (the exposition adds them up); the last slot
    /// counts those slower than the largest bound.
    buckets: [u64; BUCKETS.len() + 1],
    count: u64,
    sum: f64,
}

/// Request metrics.
#[derive(Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<String, RouteStats>>,
}

impl Metrics {
    pub fn record(&self, method: &Method, route: &str, status: u16, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|bound| secs <= *bound)
            .unwrap_or(BUCKETS.len());
        let mut routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        let stats = match routes.get_mut(route) {
            Some(stats) => stats,
            None => routes.entry(route.to_owned()).or_default(),
        };
        match stats
            .requests
            .iter_mut()
            .find(|(m, s, _)| *s == status && m == method)
        {
            Some((_, _, n)) => *n += 1,
            None => stats.requests.push((method.clone(), status, 1)),
        }
        stats.buckets[bucket] += 1;
        stats.count += 1;
        stats.sum += secs;
    }

    /// The Prometheus text format.
    pub fn render(&self) -> String {
        let routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        out.push_str(
            "# HELP gatehouse_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE gatehouse_http_requests_total counter\n");
        for (route, stats) in routes.iter() {
            let mut requests: Vec<_> = stats.requests.iter().collect();
            requests.sort_by(|a, b| (a.0.as_str(), a.1).cmp(&(b.0.as_str(), b.1)));
            for (method, status, n) in requests {
                let _ = writeln!(
                    out,
                    "gatehouse_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str(
            "# HELP gatehouse_http_request_duration_seconds HTTP request latency by route.\n",
        );
        out.push_str("# TYPE gatehouse_http_request_duration_seconds histogram\n");
        for (route, stats) in routes.iter() {
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(stats.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "gatehouse_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "gatehouse_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                stats.count
            );
            let _ = writeln!(
                out,
                "gatehouse_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                stats.sum
            );
            let _ = writeln!(
                out,
                "gatehouse_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                stats.count
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_cumulative_buckets() {
        let m = Metrics::default();
        m.record(&Method::GET, "/v1/me", 200, Duration::from_millis(3));
        m.record(&Method::GET, "/v1/me", 200, Duration::from_millis(30));
        m.record(&Method::GET, "/v1/me", 401, Duration::from_secs(5));
        let text = m.render();
        assert!(text.contains(
            "gatehouse_http_requests_total{method=\"GET\",route=\"/v1/me\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "gatehouse_http_requests_total{method=\"GET\",route=\"/v1/me\",status=\"401\"} 1"
        ));
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"0.05\"} 2"));
        // Slower than the largest bound: only in +Inf.
        assert!(text.contains("le=\"2.5\"} 2"));
        assert!(text.contains("le=\"+Inf\"} 3"));
        assert!(text.contains("gatehouse_http_request_duration_seconds_count{route=\"/v1/me\"} 3"));
    }
}

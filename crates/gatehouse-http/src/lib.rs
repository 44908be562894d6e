//! gatehouse-http

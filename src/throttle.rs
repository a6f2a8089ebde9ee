//! Per-IP limits of the public portal (reports, tracking look-ups), counted
//! in PostgreSQL (`models::rate_limit`) so that every instance behind a load
//! balancer draws on the same allowance.

use std::net::IpAddr;
use std::time::Duration;

use diesel::PgConnection;

use crate::config::PortalConfig;
use crate::error::AppError;
use crate::models::rate_limit;

const HOUR: Duration = Duration::from_secs(3600);

pub struct Throttle {
    reports_per_hour: u32,
    lookups_per_hour: u32,
}

/// IPv4 addresses count one by one; IPv6 ones by /64, the block one
/// subscriber usually holds.
fn key(ip: &str) -> String {
    match ip.parse() {
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            IpAddr::from([s[0], s[1], s[2], s[3], 0, 0, 0, 0]).to_string()
        }
        Ok(v4) => v4.to_string(),
        Err(_) => "unknown".to_owned(),
    }
}

impl Throttle {
    pub fn new(cfg: &PortalConfig) -> Throttle {
        Throttle {
            reports_per_hour: cfg.reports_per_hour,
            lookups_per_hour: cfg.lookups_per_hour,
        }
    }

    /// Takes one report post from `ip`'s hourly allowance (the whole hour's
    /// may be used at once, then it refills evenly); `RateLimited` when spent.
    pub fn report(&self, conn: &mut PgConnection, ip: &str) -> Result<(), AppError> {
        allow(rate_limit::take(
            conn,
            "report",
            &key(ip),
            HOUR,
            self.reports_per_hour,
        )?)
    }

    /// The same for tracking look-ups.
    pub fn lookup(&self, conn: &mut PgConnection, ip: &str) -> Result<(), AppError> {
        allow(rate_limit::take(
            conn,
            "lookup",
            &key(ip),
            HOUR,
            self.lookups_per_hour,
        )?)
    }
}

fn allow(wait: Option<Duration>) -> Result<(), AppError> {
    match wait {
        None => Ok(()),
        Some(_) => Err(AppError::RateLimited),
    }
}

#[cfg(test)]
mod tests {
    use super::key;

    #[test]
    fn ipv6_counts_by_64() {
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::9"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
        assert_ne!(key("203.0.113.7"), key("203.0.113.8"));
    }
}

//! Per-IP limits of the public portal (reports, tracking look-ups), kept in
//! memory by `governor` (GCRA). Each instance counts for itself: behind a load
//! balancer the effective limit is the setting times the instance count.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::PortalConfig;

pub struct Throttle {
    reports: DefaultKeyedRateLimiter<IpAddr>,
    lookups: DefaultKeyedRateLimiter<IpAddr>,
}

fn per_hour(n: u32) -> Quota {
    let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
    // The whole hour's allowance may be used at once, then it refills evenly.
    Quota::per_hour(n).allow_burst(n)
}

impl Throttle {
    pub fn new(cfg: &PortalConfig) -> Throttle {
        Throttle {
            reports: RateLimiter::keyed(per_hour(cfg.reports_per_hour)),
            lookups: RateLimiter::keyed(per_hour(cfg.lookups_per_hour)),
        }
    }

    fn key(ip: &str) -> IpAddr {
        ip.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    /// Whether one more report post from `ip` is allowed now.
    pub fn report(&self, ip: &str) -> bool {
        self.reports.check_key(&Self::key(ip)).is_ok()
    }

    /// Whether one more tracking look-up from `ip` is allowed now.
    pub fn lookup(&self, ip: &str) -> bool {
        self.lookups.check_key(&Self::key(ip)).is_ok()
    }

    /// Forgets idle keys (called from housekeeping).
    pub fn shrink(&self) {
        self.reports.retain_recent();
        self.lookups.retain_recent();
    }
}

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

    /// IPv4 addresses count one by one; IPv6 ones by /64, the block one
    /// subscriber usually holds.
    fn key(ip: &str) -> IpAddr {
        match ip.parse() {
            Ok(IpAddr::V6(v6)) => {
                let s = v6.segments();
                IpAddr::from([s[0], s[1], s[2], s[3], 0, 0, 0, 0])
            }
            Ok(v4) => v4,
            Err(_) => IpAddr::from([0, 0, 0, 0]),
        }
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

#[cfg(test)]
mod tests {
    #[test]
    fn ipv6_counts_by_64() {
        assert_eq!(
            super::Throttle::key("2001:db8:1:2:aaaa::1"),
            super::Throttle::key("2001:db8:1:2:bbbb::9")
        );
        assert_ne!(
            super::Throttle::key("2001:db8:1:3::1"),
            super::Throttle::key("2001:db8:1:2::1")
        );
        assert_ne!(
            super::Throttle::key("203.0.113.7"),
            super::Throttle::key("203.0.113.8")
        );
    }
}

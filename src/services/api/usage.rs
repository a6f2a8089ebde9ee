//! Per-token rate limits and use counts, in memory: a limit check and a
//! counter per request cost no database write. Counts reach `api_tokens`
//! every few seconds (`flush`); limits are counted per instance (as the
//! portal's are, until they move to PostgreSQL).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::models::api_token;

pub struct Gate {
    limiter: DefaultKeyedRateLimiter<i64>,
    /// Uses since the last flush: token id → (count, last use).
    uses: Mutex<HashMap<i64, (i64, DateTime<Utc>)>>,
}

impl Gate {
    pub fn new(per_minute: u32) -> Gate {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Gate {
            limiter: RateLimiter::keyed(Quota::per_minute(n).allow_burst(n)),
            uses: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one use of token `id`; `Err(wait)` when it is over its limit.
    pub fn admit(&self, id: i64) -> Result<(), Duration> {
        self.limiter.check_key(&id).map_err(|not_until| {
            not_until.wait_time_from(governor::clock::DefaultClock::default().now())
        })?;
        let now = Utc::now();
        if let Ok(mut uses) = self.uses.lock() {
            let e = uses.entry(id).or_insert((0, now));
            e.0 += 1;
            e.1 = now;
        }
        Ok(())
    }

    /// Writes the counted uses to the database; what cannot be written is
    /// kept for the next flush.
    pub fn flush(&self, conn: &mut PgConnection) -> diesel::QueryResult<usize> {
        let taken: Vec<(i64, (i64, DateTime<Utc>))> = match self.uses.lock() {
            Ok(mut uses) => uses.drain().collect(),
            Err(_) => return Ok(0),
        };
        let mut done = 0;
        for (i, (id, (n, last))) in taken.iter().enumerate() {
            if let Err(e) = api_token::add_uses(conn, *id, *n, *last) {
                if let Ok(mut uses) = self.uses.lock() {
                    for (id, (n, last)) in &taken[i..] {
                        let e = uses.entry(*id).or_insert((0, *last));
                        e.0 += n;
                        e.1 = e.1.max(*last);
                    }
                }
                return Err(e);
            }
            done += 1;
        }
        self.limiter.retain_recent();
        Ok(done)
    }
}

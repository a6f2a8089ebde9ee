//! Per-token rate limits and use counts. The limit is counted in
//! PostgreSQL (`models::rate_limit`, an unlogged row per token) so that it
//! holds across instances; use counts are kept in memory and added to
//! `api_tokens` every few seconds (`flush`), so a request writes no more
//! than its allowance.
//!
//! A token with a large allowance would have every request of every
//! instance queue on its one row. So an instance takes a tenth of a
//! second's worth at once (`lease_size`) and hands it out itself until it is
//! used or a second old; what a lease leaves unused is spent, so the sum
//! served never exceeds the allowance. An allowance of up to 600 a minute is
//! taken one request at a time, exactly as before.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel::PgConnection;

use crate::models::{api_token, rate_limit};

/// How long a lease's remainder may be handed out.
const LEASE_LIFE: Duration = Duration::from_secs(1);

/// How many requests an instance takes at once for a token allowed
/// `per_minute`: a tenth of a second's worth, 1 to 100.
pub fn lease_size(per_minute: u32) -> u32 {
    (per_minute / 600).clamp(1, 100)
}

pub struct Gate {
    per_minute: u32,
    /// Uses since the last flush: token id → (count, last use).
    uses: Mutex<HashMap<i64, (i64, DateTime<Utc>)>>,
    /// Requests taken from the shared count and not yet served: token id →
    /// (how many, taken when).
    leased: Mutex<HashMap<i64, (u32, Instant)>>,
    /// Callers found behind their tokens lately.
    pub known: super::Known,
}

impl Gate {
    pub fn new(per_minute: u32) -> Gate {
        Gate {
            per_minute: per_minute.max(1),
            uses: Mutex::new(HashMap::new()),
            leased: Mutex::new(HashMap::new()),
            known: Default::default(),
        }
    }

    /// Serves one request of token `id` from this instance's lease, if it
    /// holds one: no database needed.
    pub fn admit_leased(&self, id: i64) -> bool {
        let served = match self.leased.lock() {
            Ok(mut leased) => match leased.get_mut(&id) {
                Some((left, at)) if *left > 0 && at.elapsed() < LEASE_LIFE => {
                    *left -= 1;
                    true
                }
                _ => false,
            },
            Err(_) => false,
        };
        if served {
            self.count(id);
        }
        served
    }

    /// Counts one use of token `id`: `Ok(Err(wait))` when it is over its
    /// limit (the minute's allowance may be used at once, then it refills).
    pub fn admit(
        &self,
        conn: &mut PgConnection,
        id: i64,
    ) -> diesel::QueryResult<Result<(), Duration>> {
        if self.admit_leased(id) {
            return Ok(Ok(()));
        }
        let want = lease_size(self.per_minute);
        let granted = match rate_limit::take_many(
            conn,
            "api",
            &id.to_string(),
            Duration::from_secs(60),
            self.per_minute,
            want,
        )? {
            Ok(n) => n,
            Err(wait) => return Ok(Err(wait)),
        };
        if let Ok(mut leased) = self.leased.lock() {
            // Bounded by the tokens in use; a full map drops spent leases.
            if leased.len() >= 10_000 {
                leased.retain(|_, (left, at)| *left > 0 && at.elapsed() < LEASE_LIFE);
            }
            leased.insert(id, (granted - 1, Instant::now()));
        }
        self.count(id);
        Ok(Ok(()))
    }

    fn count(&self, id: i64) {
        let now = Utc::now();
        if let Ok(mut uses) = self.uses.lock() {
            let e = uses.entry(id).or_insert((0, now));
            e.0 += 1;
            e.1 = now;
        }
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
        Ok(done)
    }
}

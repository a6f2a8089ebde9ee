//! Per-token rate limits and use counts. The limit is counted in
//! PostgreSQL (`models::rate_limit`, an unlogged row per token) so that it
//! holds across instances; use counts are kept in memory and added to
//! `api_tokens` every few seconds (`flush`), so a request writes no more
//! than its allowance.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::PgConnection;

use crate::models::{api_token, rate_limit};

pub struct Gate {
    per_minute: u32,
    /// Uses since the last flush: token id → (count, last use).
    uses: Mutex<HashMap<i64, (i64, DateTime<Utc>)>>,
}

impl Gate {
    pub fn new(per_minute: u32) -> Gate {
        Gate {
            per_minute: per_minute.max(1),
            uses: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one use of token `id`: `Ok(Err(wait))` when it is over its
    /// limit (the minute's allowance may be used at once, then it refills).
    pub fn admit(
        &self,
        conn: &mut PgConnection,
        id: i64,
    ) -> diesel::QueryResult<Result<(), Duration>> {
        let key = id.to_string();
        if let Some(wait) =
            rate_limit::take(conn, "api", &key, Duration::from_secs(60), self.per_minute)?
        {
            return Ok(Err(wait));
        }
        let now = Utc::now();
        if let Ok(mut uses) = self.uses.lock() {
            let e = uses.entry(id).or_insert((0, now));
            e.0 += 1;
            e.1 = now;
        }
        Ok(Ok(()))
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

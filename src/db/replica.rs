//! Reading from a streaming replica (`DATABASE_REPLICA_URL`): lists, search,
//! statistics and exports may read there, never a page that writes. The
//! replica is read only while it is known to be fresh: a watcher compares
//! the primary's WAL position with the replica's replay position four times
//! a second, and marks the replica stale once it lags by the sticky window
//! or cannot be reached. A browser that has just written carries a cookie for
//! that window and reads from the primary meanwhile, so together a user
//! always sees their own writes (`docs/operations.md` *Read replicas*).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::sql_types::BigInt;
use diesel::{PgConnection, QueryableByName, RunQueryDsl};

use super::{build_pool, DbPool};

/// The replica's pool and whether it may be read now.
pub struct Replica {
    pub pool: DbPool,
    fresh: Arc<AtomicBool>,
}

impl Replica {
    pub fn new(url: &str, size: u32, timeout: Duration) -> Replica {
        Replica {
            pool: build_pool(url, size, timeout),
            fresh: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn is_fresh(&self) -> bool {
        self.fresh.load(Ordering::Relaxed)
    }
}

const EVERY: Duration = Duration::from_millis(250);

#[derive(QueryableByName)]
struct Lsn {
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    lsn: Option<i64>,
}

fn position(conn: &mut PgConnection, sql: &str) -> Option<i64> {
    diesel::sql_query(sql)
        .get_result::<Lsn>(conn)
        .ok()
        .and_then(|l| l.lsn)
}

/// How long the replica has lacked something the primary had: the age of
/// the oldest sample of the primary's position beyond the replica's replay
/// position (`samples` oldest first). Zero when it has everything sampled;
/// `None` when every sample is beyond it (older than the samples kept).
pub fn lag(samples: &VecDeque<(Instant, i64)>, replayed: i64, now: Instant) -> Option<Duration> {
    match samples.iter().find(|(_, lsn)| *lsn > replayed) {
        None => Some(Duration::ZERO),
        Some(_) if samples.front().is_some_and(|(_, l)| *l > replayed) => None,
        Some((at, _)) => Some(now.saturating_duration_since(*at)),
    }
}

/// Watches the replica for the life of the process (run it on its own thread).
pub fn watch(primary: &DbPool, replica: &Replica, window: Duration) -> ! {
    let mut samples: VecDeque<(Instant, i64)> = VecDeque::new();
    let mut was_fresh = false;
    loop {
        let now = Instant::now();
        if let Some(lsn) = primary.get().ok().and_then(|mut c| {
            position(
                &mut c,
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS lsn",
            )
        }) {
            samples.push_back((now, lsn));
        }
        while samples.len() > 2 && samples[1].0 + window * 2 < now {
            samples.pop_front();
        }
        let replayed = replica.pool.get().ok().and_then(|mut c| {
            position(
                &mut c,
                "SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint AS lsn",
            )
        });
        // A margin of two samples: the primary may have written just after one.
        let fresh = replayed
            .and_then(|r| lag(&samples, r, now))
            .is_some_and(|l| l + EVERY * 2 < window);
        if fresh != was_fresh {
            if fresh {
                log::info!("reading lists, statistics and exports from the replica");
            } else {
                log::warn!("the replica lags or cannot be reached: reading from the primary");
            }
            was_fresh = fresh;
        }
        replica.fresh.store(fresh, Ordering::Relaxed);
        std::thread::sleep(EVERY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_the_age_of_the_oldest_position_not_yet_replayed() {
        let t0 = Instant::now();
        let s: VecDeque<(Instant, i64)> = [
            (t0, 100),
            (t0 + Duration::from_secs(1), 200),
            (t0 + Duration::from_secs(2), 300),
        ]
        .into();
        let now = t0 + Duration::from_secs(3);
        assert_eq!(lag(&s, 300, now), Some(Duration::ZERO));
        assert_eq!(lag(&s, 250, now), Some(Duration::from_secs(1)));
        assert_eq!(lag(&s, 100, now), Some(Duration::from_secs(2)));
        // Behind everything kept: too old to say, so not fresh.
        assert_eq!(lag(&s, 50, now), None);
    }
}

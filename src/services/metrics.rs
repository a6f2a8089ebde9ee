//! `/metrics` in the Prometheus (OpenMetrics) text format: what this instance
//! served, and the figures of the whole system an operator alerts on
//! (`docs/deploy.md`, *Seeing it run*). prometheus-client keeps the counters
//! and writes the format, rather than a hand-rolled encoder.

use std::sync::atomic::{AtomicI64, AtomicU64};
use std::time::Instant;

use diesel::PgConnection;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::{
    counter::Counter, family::Family, gauge::Gauge, histogram::Histogram,
};
use prometheus_client::registry::Registry;

use crate::error::AppError;
use crate::models::database;

/// Seconds: pages answer in milliseconds, exports and uploads take longer.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Served {
    method: String,
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct State {
    state: String,
}

type Latency = Family<Route, Histogram, fn() -> Histogram>;

/// What this instance served, by route pattern (`/cases/{reference}`, never
/// the concrete path, so the label set stays small and holds no data).
pub struct Http {
    requests: Family<Served, Counter>,
    latency: Latency,
    started: Instant,
}

impl Default for Http {
    fn default() -> Self {
        fn histogram() -> Histogram {
            Histogram::new(BUCKETS.iter().copied())
        }
        Http {
            requests: Family::default(),
            latency: Family::new_with_constructor(histogram),
            started: Instant::now(),
        }
    }
}

impl Http {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&Served {
                method: method.into(),
                route: route.into(),
                status: status.to_string(),
            })
            .inc();
        self.latency
            .get_or_create(&Route {
                method: method.into(),
                route: route.into(),
            })
            .observe(seconds);
    }
}

/// This instance's own figures, read by the caller.
pub struct Instance {
    pub pool_idle: u32,
    pub pool_connections: u32,
    pub pool_waiting: usize,
    /// Seconds since housekeeping last finished (`None`: not yet).
    pub housekeeping_age: Option<f64>,
}

fn gauge(value: i64) -> Gauge {
    let g = Gauge::default();
    g.set(value);
    g
}

fn seconds(value: f64) -> Gauge<f64, AtomicU64> {
    let g = Gauge::<f64, AtomicU64>::default();
    g.set(value);
    g
}

/// The text of one scrape.
pub fn render(conn: &mut PgConnection, http: &Http, me: Instance) -> Result<String, AppError> {
    let g = database::gauges(conn)?;
    let mut r = Registry::default();
    r.register("cyberdesk_up", "1 while this instance answers", gauge(1));
    r.register(
        "cyberdesk_uptime_seconds",
        "Seconds since this instance started",
        seconds(http.started.elapsed().as_secs_f64()),
    );
    r.register(
        "cyberdesk_http_requests",
        "Requests served by this instance, by method, route pattern and status",
        http.requests.clone(),
    );
    r.register(
        "cyberdesk_http_request_duration_seconds",
        "Time to answer, by method and route pattern",
        http.latency.clone(),
    );
    let pool = Family::<State, Gauge<i64, AtomicI64>>::default();
    pool.get_or_create(&State {
        state: "idle".into(),
    })
    .set(i64::from(me.pool_idle));
    pool.get_or_create(&State {
        state: "in_use".into(),
    })
    .set(i64::from(me.pool_connections.saturating_sub(me.pool_idle)));
    r.register(
        "cyberdesk_db_pool_connections",
        "This instance's database connections",
        pool,
    );
    r.register(
        "cyberdesk_db_pool_waiting",
        "Requests of this instance waiting for a database connection",
        gauge(i64::try_from(me.pool_waiting).unwrap_or(i64::MAX)),
    );
    let outbox = Family::<State, Gauge<i64, AtomicI64>>::default();
    outbox
        .get_or_create(&State {
            state: "queued".into(),
        })
        .set(g.outbox_queued);
    outbox
        .get_or_create(&State {
            state: "failed".into(),
        })
        .set(g.outbox_failed);
    r.register(
        "cyberdesk_outbox_mails",
        "Mails in the outbox not sent",
        outbox,
    );
    r.register(
        "cyberdesk_outbox_oldest_queued_seconds",
        "Age of the oldest mail waiting to be sent (0: none)",
        seconds(g.outbox_oldest),
    );
    r.register(
        "cyberdesk_intake_pending",
        "Public reports waiting for triage, all units",
        gauge(g.intake_pending),
    );
    r.register(
        "cyberdesk_intake_oldest_pending_seconds",
        "Age of the oldest public report waiting for triage (0: none)",
        seconds(g.intake_oldest),
    );
    r.register(
        "cyberdesk_hotlist_age_seconds",
        "Seconds since the identifier hot lists were computed (-1: never)",
        seconds(g.hotlist_age),
    );
    r.register(
        "cyberdesk_housekeeping_last_run_seconds",
        "Seconds since this instance's housekeeping last finished (-1: not yet)",
        seconds(me.housekeeping_age.unwrap_or(-1.0)),
    );
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &r).map_err(AppError::internal)?;
    Ok(out)
}

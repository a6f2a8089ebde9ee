//! Small read-through caches for reference data every page needs (categories, the
//! staff directory). Each costs a query per request otherwise, which at a thousand
//! requests a second is a large share of the machine.
//!
//! An instance drops its own entry whenever it changes the data, and triggers
//! on the tables announce every change on the `cyberdesk_cache` channel
//! (migration 000029), which [`listen`] hears on every instance: a change made
//! anywhere, even by hand in psql, shows everywhere within a fraction of a
//! second. Entries also expire after [`TTL`], in case a notice is missed while
//! the listener reconnects. Writes never read from the cache: validation
//! always sees the database.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use diesel::prelude::*;

use crate::models::category::{self, Category};
use crate::models::user::Role;

pub const TTL: Duration = Duration::from_secs(30);

/// One cached value, loaded on first use and again after the TTL.
pub struct Cached<T> {
    slot: RwLock<Option<(Instant, Arc<T>)>>,
}

impl<T> Default for Cached<T> {
    fn default() -> Self {
        Cached {
            slot: RwLock::new(None),
        }
    }
}

fn home_name(units: &[crate::models::unit::UnitEntry]) -> Option<String> {
    units
        .iter()
        .min_by_key(|u| u.id)
        .map(|u| u.contact.name.clone())
}

impl<T> Cached<T> {
    pub fn get_or_load<E>(&self, load: impl FnOnce() -> Result<T, E>) -> Result<Arc<T>, E> {
        if let Ok(slot) = self.slot.read() {
            if let Some((at, value)) = slot.as_ref() {
                if at.elapsed() < TTL {
                    return Ok(value.clone());
                }
            }
        }
        let value = Arc::new(load()?);
        if let Ok(mut slot) = self.slot.write() {
            *slot = Some((Instant::now(), value.clone()));
        }
        Ok(value)
    }

    /// The value if it is loaded and fresh, without loading it.
    pub fn peek(&self) -> Option<Arc<T>> {
        let slot = self.slot.read().ok()?;
        let (at, value) = slot.as_ref()?;
        (at.elapsed() < TTL).then(|| value.clone())
    }

    pub fn invalidate(&self) {
        if let Ok(mut slot) = self.slot.write() {
            *slot = None;
        }
    }
}

/// Everyone's display name, and the officers and supervisors who can work cases.
#[derive(Default)]
pub struct Directory {
    names: HashMap<i64, String>,
    /// (id, name, unit) of active officers and supervisors, ordered by name.
    workers: Vec<(i64, String, i32)>,
}

impl Directory {
    pub fn name(&self, id: i64) -> String {
        self.names.get(&id).cloned().unwrap_or_default()
    }

    /// (id, name) of the active officers and supervisors of `unit`: the
    /// people a case of that unit can be assigned to or watched by.
    pub fn workers_of(&self, unit: i32) -> Vec<(i64, String)> {
        self.workers
            .iter()
            .filter(|(_, _, u)| *u == unit)
            .map(|(id, name, _)| (*id, name.clone()))
            .collect()
    }

    fn knows(&self, ids: &[i64]) -> bool {
        ids.iter().all(|id| self.names.contains_key(id))
    }

    fn load(conn: &mut PgConnection) -> QueryResult<Directory> {
        let rows = crate::models::user::directory(conn)?;
        let workers = rows
            .iter()
            .filter(|(_, _, role, active, _)| {
                *active && matches!(role, Role::Officer | Role::Supervisor)
            })
            .map(|(id, name, _, _, unit)| (*id, name.clone(), *unit))
            .collect();
        let names = rows
            .into_iter()
            .map(|(id, name, _, _, _)| (id, name))
            .collect();
        Ok(Directory { names, workers })
    }
}

/// Counts of an identifier found in many reports: distinct cases (this one
/// included) and submissions still in intake.
#[derive(Clone, Copy, Debug)]
pub struct HeavyCounts {
    pub cases: i64,
    pub pending: i64,
}

/// From this many cases on, an identifier's counts are cached for the TTL:
/// counting thousands of links on every case page costs more than the page,
/// and "seen in 4,999 other cases" a few seconds stale misleads nobody. Below
/// it they are always counted live, so the first repeats show at once.
pub const HEAVY: i64 = 200;

/// The caches of one application instance.
#[derive(Default)]
pub struct Caches {
    categories: Cached<Vec<Category>>,
    directory: Cached<Directory>,
    banks: Cached<Vec<crate::domain::ident::extract::Bank>>,
    /// (code, short name) of the active banks, for forms.
    bank_choices: Cached<Vec<(String, String)>>,
    /// Report counts of identifiers seen in many reports (see `HEAVY`).
    /// Keyed by (unit, identifier): counts are of one unit's reports.
    heavy: RwLock<HashMap<(i32, i64), (Instant, HeavyCounts)>>,
    signer: std::sync::OnceLock<Arc<crate::domain::sign::Signer>>,
    /// Every unit with its current (Vietnamese) name and contact.
    units: Cached<Vec<crate::models::unit::UnitEntry>>,
    legal_bases: Cached<Vec<crate::models::legal_basis::LegalBasis>>,
    /// Bumped whenever users, API tokens or units change (here, or as a
    /// notice says): what an instance remembers of a token's caller is
    /// valid only while this has not moved since it was read.
    auth_epoch: std::sync::atomic::AtomicU64,
}

impl Caches {
    pub fn categories(&self, conn: &mut PgConnection) -> QueryResult<Arc<Vec<Category>>> {
        self.categories.get_or_load(|| category::all(conn))
    }

    /// Banks with every name they go by, for reading identifiers in text.
    pub fn banks(
        &self,
        conn: &mut PgConnection,
    ) -> QueryResult<Arc<Vec<crate::domain::ident::extract::Bank>>> {
        self.banks.get_or_load(|| crate::models::bank::names(conn))
    }

    /// The directory, reloaded first if it does not know one of `ids` (a user
    /// added on another instance since the last load).
    pub fn directory(&self, conn: &mut PgConnection, ids: &[i64]) -> QueryResult<Arc<Directory>> {
        let dir = self.directory.get_or_load(|| Directory::load(conn))?;
        if dir.knows(ids) {
            return Ok(dir);
        }
        self.directory.invalidate();
        self.directory.get_or_load(|| Directory::load(conn))
    }

    /// The signing key shared by all instances (loaded once).
    pub fn signer(&self, conn: &mut PgConnection) -> QueryResult<Arc<crate::domain::sign::Signer>> {
        if let Some(s) = self.signer.get() {
            return Ok(s.clone());
        }
        let s = Arc::new(crate::domain::sign::Signer::new(
            crate::models::app_secret::signing_key(conn)?,
        ));
        Ok(self.signer.get_or_init(|| s).clone())
    }

    /// Every unit, its current name and contact (a few dozen rows, read on
    /// every page: cached like the categories).
    pub fn units(
        &self,
        conn: &mut PgConnection,
    ) -> QueryResult<Arc<Vec<crate::models::unit::UnitEntry>>> {
        self.units
            .get_or_load(|| crate::models::unit::directory(conn))
    }

    /// The current name of unit `id`.
    pub fn unit_name(&self, conn: &mut PgConnection, id: i32) -> QueryResult<String> {
        Ok(self
            .units(conn)?
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.contact.name.clone())
            .unwrap_or_default())
    }

    /// The current name of the first unit (the one the settings named), which
    /// the public pages carry: `None` when the units are not cached right now.
    pub fn home_unit_name_cached(&self) -> Option<String> {
        home_name(&self.units.peek()?)
    }

    /// The same, loading the units when needed.
    pub fn home_unit_name(&self, conn: &mut PgConnection) -> QueryResult<Option<String>> {
        Ok(home_name(&self.units(conn)?))
    }

    /// The time zone unit `id` reads times in (None: unknown; the settings' zone applies).
    pub fn unit_time_zone(
        &self,
        conn: &mut PgConnection,
        id: i32,
    ) -> QueryResult<Option<chrono_tz::Tz>> {
        Ok(self
            .units(conn)?
            .iter()
            .find(|u| u.id == id)
            .and_then(|u| u.time_zone))
    }

    pub fn units_changed(&self) {
        self.units.invalidate();
    }

    /// Cached counts of heavy identifiers among `ids` that are still fresh.
    pub fn heavy_counts(&self, unit_id: i32, ids: &[i64]) -> HashMap<i64, HeavyCounts> {
        let Ok(map) = self.heavy.read() else {
            return HashMap::new();
        };
        ids.iter()
            .filter_map(|id| {
                map.get(&(unit_id, *id))
                    .filter(|(at, _)| at.elapsed() < TTL)
                    .map(|(_, c)| (*id, *c))
            })
            .collect()
    }

    pub fn remember_heavy(&self, unit_id: i32, id: i64, counts: HeavyCounts) {
        if counts.cases < HEAVY {
            return;
        }
        if let Ok(mut map) = self.heavy.write() {
            // Bounded: stale entries go first, then everything if still large.
            if map.len() >= 10_000 {
                map.retain(|_, (at, _)| at.elapsed() < TTL);
                if map.len() >= 10_000 {
                    map.clear();
                }
            }
            map.insert((unit_id, id), (Instant::now(), counts));
        }
    }

    pub fn banks_changed(&self) {
        self.banks.invalidate();
        self.bank_choices.invalidate();
    }

    /// The active banks a form offers, as (code, short name).
    pub fn bank_choices(&self, conn: &mut PgConnection) -> QueryResult<Arc<Vec<(String, String)>>> {
        self.bank_choices
            .get_or_load(|| crate::models::bank::active_choices(conn))
    }

    pub fn categories_changed(&self) {
        self.categories.invalidate();
    }

    /// Every legal basis (a few dozen rows), read by every page that cites one.
    pub fn legal_bases(
        &self,
        conn: &mut PgConnection,
    ) -> QueryResult<Arc<Vec<crate::models::legal_basis::LegalBasis>>> {
        self.legal_bases
            .get_or_load(|| crate::models::legal_basis::all(conn))
    }

    /// The basis of `topic` in force on `day`.
    pub fn legal_basis_on(
        &self,
        conn: &mut PgConnection,
        topic: crate::models::legal_basis::Topic,
        day: chrono::NaiveDate,
    ) -> QueryResult<Option<crate::models::legal_basis::LegalBasis>> {
        let all = self.legal_bases(conn)?;
        Ok(crate::models::legal_basis::on(&all, topic, day).cloned())
    }

    /// A basis by id (a case's stored basis), reloaded first if this
    /// instance has not seen it yet (added on another instance).
    pub fn legal_basis(
        &self,
        conn: &mut PgConnection,
        id: i32,
    ) -> QueryResult<Option<crate::models::legal_basis::LegalBasis>> {
        if let Some(b) = self.legal_bases(conn)?.iter().find(|b| b.id == id) {
            return Ok(Some(b.clone()));
        }
        self.legal_bases.invalidate();
        Ok(self.legal_bases(conn)?.iter().find(|b| b.id == id).cloned())
    }

    /// The bases if loaded, without the database.
    pub fn legal_bases_cached(&self) -> Option<Arc<Vec<crate::models::legal_basis::LegalBasis>>> {
        self.legal_bases.peek()
    }

    pub fn legal_bases_changed(&self) {
        self.legal_bases.invalidate();
    }

    pub fn users_changed(&self) {
        self.directory.invalidate();
        self.tokens_changed();
    }

    /// Token checks remembered before now are to be made again.
    pub fn tokens_changed(&self) {
        self.auth_epoch
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// See `auth_epoch`: read before reading a token, compared on each use.
    pub fn auth_epoch(&self) -> u64 {
        self.auth_epoch.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Drops what a notice on `cyberdesk_cache` names (the trigger's argument).
    pub fn forget(&self, what: &str) {
        match what {
            "categories" => self.categories_changed(),
            "banks" => self.banks_changed(),
            "units" => {
                self.units_changed();
                // A token's caller carries the unit's name and zone.
                self.tokens_changed();
            }
            "legal_bases" => self.legal_bases_changed(),
            "users" => self.users_changed(),
            "api_tokens" => self.tokens_changed(),
            _ => self.forget_all(),
        }
    }

    /// Drops every reference-data entry (after notices may have been missed).
    pub fn forget_all(&self) {
        self.categories_changed();
        self.banks_changed();
        self.units_changed();
        self.legal_bases_changed();
        self.users_changed();
    }
}

/// The channel the triggers of migration 000029 notify.
pub const CHANNEL: &str = "cyberdesk_cache";

/// How often the listener looks for notices: they wait in the socket, so a
/// look costs no round trip.
const POLL: Duration = Duration::from_millis(100);

/// Hears `cyberdesk_cache` on a connection of its own and drops what each
/// notice names, for the life of the process (run it on its own thread).
/// Connects again after any failure, dropping everything first: notices sent
/// while it was away are lost.
pub fn listen(url: &str, caches: &Caches) -> ! {
    use diesel::Connection;
    let mut attempt: u32 = 0;
    loop {
        let heard = PgConnection::establish(url)
            .map_err(|e| e.to_string())
            .and_then(|mut conn| {
                diesel::sql_query(format!("LISTEN {CHANNEL}"))
                    .execute(&mut conn)
                    .map_err(|e| e.to_string())?;
                if attempt > 0 {
                    log::info!("listening for reference-data changes again");
                }
                attempt = 0;
                caches.forget_all();
                hear(&mut conn, caches).map_err(|e| e.to_string())
            });
        if let Err(e) = heard {
            if attempt == 0 {
                log::warn!("the reference-data listener lost PostgreSQL ({e}); retrying");
            }
        }
        attempt = attempt.saturating_add(1);
        std::thread::sleep(Duration::from_secs(u64::from(attempt.min(5))));
    }
}

/// Drains notices until the connection fails. A query every 30 s finds a
/// connection that died without closing (the socket alone would not say).
fn hear(conn: &mut PgConnection, caches: &Caches) -> QueryResult<()> {
    let mut checked = Instant::now();
    loop {
        for notice in conn.notifications_iter() {
            caches.forget(&notice?.payload);
        }
        if checked.elapsed() > Duration::from_secs(30) {
            diesel::sql_query("SELECT 1").execute(conn)?;
            checked = Instant::now();
        }
        std::thread::sleep(POLL);
    }
}

//! What the busiest pages cost: queries per case page (counted by diesel's
//! instrumentation on the connections to each test's own database), and
//! list counts that stop at a cap.

use std::collections::HashMap;
use std::sync::{Mutex, Once};

use actix_web::http::StatusCode;
use diesel::connection::{Instrumentation, InstrumentationEvent};

use crate::cases::{create, me, user_with_team};
use crate::common::{signed_in, TestDb};

static QUERIES: Mutex<Option<HashMap<String, usize>>> = Mutex::new(None);

/// Counts the queries of one connection under the name of its database.
struct Counter {
    db: Option<String>,
}

impl Instrumentation for Counter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartEstablishConnection { url, .. } => {
                self.db = url.rsplit('/').next().map(|s| s.to_owned());
            }
            InstrumentationEvent::StartQuery { .. } => {
                if let (Some(db), Ok(mut map)) = (&self.db, QUERIES.lock()) {
                    *map.get_or_insert_with(HashMap::new)
                        .entry(db.clone())
                        .or_default() += 1;
                }
            }
            _ => {}
        }
    }
}

fn counting() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        diesel::connection::set_default_instrumentation(|| Some(Box::new(Counter { db: None })))
            .expect("instrumentation");
    });
}

fn queries(db: &TestDb) -> usize {
    QUERIES
        .lock()
        .ok()
        .and_then(|m| m.as_ref().and_then(|m| m.get(&db.name).copied()))
        .unwrap_or(0)
}

#[actix_web::test]
async fn a_case_page_costs_at_most_three_queries() {
    counting();
    let db = TestDb::new();
    let a = user_with_team(&db, "a@pa05.test.vn", "officer", "Đội 1");
    let first = create(&db, &me(&db, a), &[]);
    let other = create(&db, &me(&db, a), &[("title", "Vụ liên quan")]);
    // 200 copies sharing its identifiers (201 other cases with the second): a heavy identifier, whose count is cached.
    db.exec("DO $$ DECLARE cols text; BEGIN
        SELECT string_agg(quote_ident(column_name), ',') INTO cols FROM information_schema.columns
        WHERE table_name = 'cases' AND is_generated = 'NEVER' AND column_name NOT IN ('id', 'ref', 'ref_seq');
        EXECUTE format('INSERT INTO cases (ref, ref_seq, %s) SELECT ref || ''-C'' || g, ref_seq + 1000 + g, %s FROM cases CROSS JOIN generate_series(1, 200) g WHERE id = (SELECT min(id) FROM cases)', cols, cols);
    END $$");
    db.exec("INSERT INTO identifier_links (identifier_id, case_id, role, source, reported_at, unit_id)
        SELECT l.identifier_id, c.id, 'suspect', 'officer', now(), c.unit_id
        FROM identifier_links l, cases c WHERE l.case_id = (SELECT min(id) FROM cases) AND c.ref LIKE '%-C%'");
    let (mut sup, _) = signed_in(&db, "supervisor").await;
    let link = sup
        .post(&format!("/cases/{first}/link"), &[("other", &other)])
        .await;
    assert!(link.status.is_redirection(), "{}", link.body);
    let note = sup
        .post(
            &format!("/cases/{first}/notes"),
            &[("body", "Đã liên hệ ngân hàng")],
        )
        .await;
    assert!(note.status.is_redirection(), "{}", note.body);
    let page = sup.get(&format!("/cases/{first}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let before = queries(&db);
    let page = sup.get(&format!("/cases/{first}")).await;
    let spent = queries(&db) - before;
    assert_eq!(page.status, StatusCode::OK);
    // Everything the page shows is there: the timeline, the linked case, the
    // correlation count.
    assert!(page.body.contains("Đã liên hệ ngân hàng"));
    assert!(page.body.contains(&other) && page.body.contains("Vụ liên quan"));
    assert!(page.body.contains("201 vụ việc khác"), "{}", page.body);
    // The session, the case with all its parts, and (not cached) counts.
    assert!(spent <= 3, "the case page ran {spent} queries");
    assert!(spent >= 2, "the counter counts ({spent})");
}

#[actix_web::test]
async fn a_filtered_list_counts_up_to_a_cap_and_pages_on_past_it() {
    let db = TestDb::new();
    let a = user_with_team(&db, "a@pa05.test.vn", "officer", "Đội 1");
    create(&db, &me(&db, a), &[("severity", "low")]);
    // 530 copies at high severity, all new.
    db.exec("DO $$ DECLARE cols text; BEGIN
        SELECT string_agg(quote_ident(column_name), ',') INTO cols FROM information_schema.columns
        WHERE table_name = 'cases' AND is_generated = 'NEVER' AND column_name NOT IN ('id', 'ref', 'ref_seq', 'severity');
        EXECUTE format('INSERT INTO cases (ref, ref_seq, severity, %s) SELECT ref || ''-C'' || g, ref_seq + 1000 + g, ''high'', %s FROM cases CROSS JOIN generate_series(1, 530) g', cols, cols);
    END $$");
    let (mut sup, _) = signed_in(&db, "supervisor").await;
    let cap = cyberdesk::services::case_list::COUNT_CAP;
    let page = sup.get("/cases?severity=high").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains(&format!("<span class=\"count\">{cap}+</span>")),
        "the tab says the count stopped: {}",
        page.body
    );
    assert!(page.body.contains(&format!("{cap}+ vụ việc")));
    assert!(page.body.contains("rel=\"next\""));
    // Past the cap's pages the list goes on: 530 cases, the 11th page has 30.
    let eleventh = sup.get("/cases?severity=high&page=11").await;
    assert_eq!(eleventh.status, StatusCode::OK);
    assert_eq!(
        eleventh
            .body
            .matches("<td class=\"nowrap\"><a href=\"/cases/")
            .count(),
        30
    );
    assert!(!eleventh.body.contains("rel=\"next\""));
    // Below the cap a count is exact.
    let low = sup.get("/cases?severity=low").await;
    assert!(
        low.body.contains("<span class=\"count\">1</span>"),
        "{}",
        low.body
    );
    assert!(low.body.contains("1 vụ việc") && !low.body.contains("1+"));
    // The unit's own list counts everything, from the kept counts.
    let all = sup.get("/cases").await;
    assert!(all.body.contains("531 vụ việc"), "{}", all.body);
}

#[actix_web::test]
async fn the_intake_count_stops_at_its_cap() {
    let db = TestDb::new();
    let mut visitor = crate::common::client(&db).await;
    let res = crate::portal::send(&mut visitor, "crime", &crate::portal::crime(&[]), &[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let (mut sup, _) = signed_in(&db, "supervisor").await;
    let one = sup.get("/intake").await;
    assert!(
        one.body.contains("Đang chờ: 1<") || one.body.contains("Đang chờ: 1\n"),
        "{}",
        one.body
    );
    let cap = cyberdesk::services::intake::WAITING_CAP;
    db.exec(&format!("DO $$ DECLARE cols text; BEGIN
        SELECT string_agg(quote_ident(column_name), ',') INTO cols FROM information_schema.columns
        WHERE table_name = 'submissions' AND is_generated = 'NEVER' AND column_name NOT IN ('id', 'tracking_code', 'send_key');
        EXECUTE format('INSERT INTO submissions (tracking_code, %s) SELECT tracking_code || g, %s FROM submissions CROSS JOIN generate_series(1, {cap}) g', cols, cols);
    END $$"));
    let many = sup.get("/intake").await;
    assert_eq!(many.status, StatusCode::OK);
    assert!(
        many.body.contains(&format!(
            "Đang chờ: {}+",
            cyberdesk::domain::value::fmt_thousands(cap)
        )),
        "{}",
        many.body
    );
}

/// The href of the link marked `rel`, unescaped.
fn link(body: &str, rel: &str) -> Option<String> {
    let end = body.find(&format!("\" rel=\"{rel}\""))?;
    let start = body[..end].rfind("href=\"")? + 6;
    Some(body[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}

fn refs(body: &str) -> Vec<String> {
    body.match_indices("<td class=\"nowrap\"><a href=\"/cases/")
        .map(|(i, m)| {
            let rest = &body[i + m.len()..];
            rest[..rest.find('"').unwrap_or(0)].to_owned()
        })
        .collect()
}

#[actix_web::test]
async fn keyset_pages_go_forward_and_back_in_every_order() {
    let db = TestDb::new();
    let a = user_with_team(&db, "a@pa05.test.vn", "officer", "Đội 1");
    create(&db, &me(&db, a), &[]);
    // 119 copies, received a minute apart, a third without a deadline.
    db.exec("DO $$ DECLARE cols text; BEGIN
        SELECT string_agg(quote_ident(column_name), ',') INTO cols FROM information_schema.columns
        WHERE table_name = 'cases' AND is_generated = 'NEVER' AND column_name NOT IN ('id', 'ref', 'ref_seq', 'received_at', 'deadline_at');
        EXECUTE format('INSERT INTO cases (ref, ref_seq, received_at, deadline_at, %s) SELECT ref || ''-C'' || g, ref_seq + 1000 + g, received_at - g * interval ''1 minute'', CASE WHEN mod(g, 3) = 0 THEN NULL ELSE now() + mod(g, 7) * interval ''1 day'' END, %s FROM cases CROSS JOIN generate_series(1, 119) g', cols, cols);
    END $$");
    let (mut sup, _) = signed_in(&db, "supervisor").await;
    for sort in ["received", "deadline", "updated"] {
        let first = sup.get(&format!("/cases?sort={sort}")).await;
        assert_eq!(first.status, StatusCode::OK);
        let p1 = refs(&first.body);
        assert_eq!(p1.len(), 50, "{sort}");
        assert!(link(&first.body, "prev").is_none());
        let next = link(&first.body, "next").expect("a next page");
        assert!(next.contains("after="), "{next}");
        let second = sup.get(&next).await;
        let p2 = refs(&second.body);
        assert_eq!(p2.len(), 50, "{sort}");
        let third = sup
            .get(&link(&second.body, "next").expect("a third page"))
            .await;
        let p3 = refs(&third.body);
        assert_eq!(p3.len(), 20, "{sort}");
        assert!(link(&third.body, "next").is_none(), "the last page");
        // Every case once, in the same order as one long page by offset.
        let mut seen: Vec<String> = [p1.clone(), p2.clone(), p3].concat();
        let by_offset: Vec<String> = {
            let mut all = Vec::new();
            for page in 1..=3 {
                all.extend(refs(
                    &sup.get(&format!("/cases?sort={sort}&page={page}"))
                        .await
                        .body,
                ));
            }
            all
        };
        assert_eq!(seen, by_offset, "{sort}");
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 120, "{sort}");
        // Back from the third page: the second again.
        let back = sup
            .get(&link(&third.body, "prev").expect("a previous page"))
            .await;
        assert_eq!(refs(&back.body), p2, "{sort}");
        let back = sup
            .get(&link(&back.body, "prev").expect("the first page"))
            .await;
        assert_eq!(refs(&back.body), p1, "{sort}");
    }
    // A cursor that is not one: the list, and 422 saying the filter was not understood.
    let bad = sup.get("/cases?after=yesterday").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

//! `cyberdesk seed --cases N`: realistic, varied, bilingual fake cases for demos and
//! benchmarks. Rows are generated inside PostgreSQL (`INSERT … SELECT` over
//! `generate_series`, in chunks), so a million cases take minutes, not hours.

use std::time::Instant;

use diesel::{sql_query, sql_types::BigInt, Connection, PgConnection, RunQueryDsl};

use crate::auth::{password, RequestMeta};
use crate::config::Config;
use crate::error::AppError;
use crate::services::users::{self, UserInput};

/// Rows per statement: big enough to amortise, small enough to show progress.
const CHUNK: i64 = 25_000;

/// Creates the seed staff if missing: 4 supervisors and 36 officers in 6 teams,
/// all with `staff_password`. Returns how many were created.
fn staff(conn: &mut PgConnection, staff_password: &str) -> Result<usize, AppError> {
    let mut created = 0;
    let surnames = [
        "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    ];
    let given = [
        "Văn An",
        "Thị Bích",
        "Minh Châu",
        "Quốc Dũng",
        "Thu Hà",
        "Đức Hùng",
        "Ngọc Lan",
        "Hải Long",
        "Thị Mai",
        "Văn Nam",
        "Thanh Tâm",
        "Anh Tuấn",
    ];
    for i in 0..40 {
        let (role, email) = if i < 4 {
            ("supervisor", format!("lanhdao{i}@seed.pa05.vn"))
        } else {
            ("officer", format!("canbo{i}@seed.pa05.vn"))
        };
        if crate::models::user::find_by_email(conn, &email)?.is_some() {
            continue;
        }
        let input = UserInput {
            email,
            full_name: format!(
                "{} {}",
                surnames[i % surnames.len()],
                given[(i * 7) % given.len()]
            ),
            role: role.into(),
            team: format!("Đội {}", i % 6 + 1),
            on_duty: i % 5 == 0,
            unit: String::new(),
            lang: if i % 9 == 0 { "en".into() } else { "vi".into() },
            service: false,
        };
        users::create(
            conn,
            None,
            &RequestMeta {
                ip: "seed".into(),
                user_agent: "cyberdesk seed".into(),
                api_token_id: None,
            },
            &input,
            Some(staff_password),
        )?;
        created += 1;
    }
    Ok(created)
}

/// The generator: one row per `i` in [$1, $2]; every choice derives from random()
/// so data is varied but plausible (fraud dominates, most cases are closed, money
/// only where money moved).
const INSERT_CASES: &str = r#"
WITH staff AS (
    SELECT array_agg(id ORDER BY id) AS ids, array_agg(team ORDER BY id) AS teams FROM users WHERE email LIKE '%@seed.pa05.vn' AND role = 'officer'
), sup AS (
    SELECT min(id) AS id FROM users WHERE email LIKE '%@seed.pa05.vn' AND role = 'supervisor'
), cats AS (
    SELECT array_agg(id ORDER BY id) FILTER (WHERE parent_id IS NULL) AS top, array_agg(id ORDER BY id) FILTER (WHERE parent_id = (SELECT id FROM categories WHERE code = 'fraud')) AS fraud_sub FROM categories
), gen AS (
    SELECT i,
        CASE WHEN r1 < 0.72 THEN 'crime_report' WHEN r1 < 0.87 THEN 'security_incident' WHEN r1 < 0.93 THEN 'data_breach' ELSE 'feedback' END AS case_type,
        now() - (power(random(), 1.7) * interval '1460 days') AS received_at,
        r2, r3, floor(random() * 1000000)::int AS pick
    FROM (SELECT i, random() AS r1, random() AS r2, random() AS r3 FROM generate_series($1::bigint, $2::bigint) AS i) s
), numbered AS (
    SELECT g.*, extract(year FROM g.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::int AS yr,
        (row_number() OVER (PARTITION BY g.case_type, extract(year FROM g.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh') ORDER BY g.i))::int AS rn
    FROM gen g
), ready AS (
    SELECT n.*, n.rn + coalesce(s.last_seq, 0) AS seq,
        -- The shape of real fraud: three reports in ten go to one of 300 mule
        -- accounts (a few take most of them), the rest to accounts seen once;
        -- one in five names one of 200 suspect phones.
        CASE WHEN n.pick % 10 < 3 THEN '88' || lpad(floor(power(n.r3, 2.5) * 300)::int::text, 8, '0')
             ELSE lpad(((n.pick::bigint * 7919) % 100000000)::text, 10, '0') END AS acct,
        CASE WHEN n.pick % 5 = 0 THEN '070' || lpad(floor(power(n.r2, 2.5) * 200)::int::text, 7, '0') END AS suspect_phone,
        CASE WHEN n.received_at > now() - interval '30 days' THEN (ARRAY['new','triaged','assigned','verifying','in_progress','awaiting_info'])[1 + n.pick % 6]
             WHEN n.received_at > now() - interval '120 days' THEN (ARRAY['assigned','verifying','in_progress','awaiting_info','suspended','resolved','transferred','closed'])[1 + n.pick % 8]
             ELSE (ARRAY['closed','closed','closed','resolved','transferred','closed','suspended'])[1 + n.pick % 7] END AS status
    FROM numbered n LEFT JOIN case_sequences s ON s.unit_id = $5 AND s.case_type = n.case_type AND s.year = n.yr
)
INSERT INTO cases (ref, case_type, ref_year, ref_seq, category_id, subcategory_id, title, description, channel, severity, tlp,
    confidential_reporter, status, assignee_id, team, received_at, occurred_at, unit_name, reporter_kind, reporter_name,
    reporter_phone, reporter_is_victim, total_loss, outcome, resolution_summary, receiving_agency,
    deadline_at, deadline_kind, search_extra, created_by, updated_by, created_at, updated_at, unit_id,
    classified_at, assigned_at, decided_at, decide_compliance)
SELECT
    $3 || '-' || (CASE r.case_type WHEN 'crime_report' THEN 'TG' WHEN 'security_incident' THEN 'SC' WHEN 'data_breach' THEN 'DL' ELSE 'PA' END) || '-' || r.yr || '-' || CASE WHEN r.seq < 100000 THEN lpad(r.seq::text, 5, '0') ELSE r.seq::text END,
    r.case_type, r.yr, r.seq,
    -- The category follows the title picked below (same index), so the two agree.
    (SELECT id FROM categories WHERE code = CASE r.case_type
        WHEN 'crime_report' THEN (ARRAY['fraud','fraud','fraud','fraud','account_takeover','phishing','fraud','fraud','gambling','fraud','phishing'])[1 + r.pick % 11]
        WHEN 'security_incident' THEN (ARRAY['malware','ddos','deface','intrusion','malware'])[1 + r.pick % 5]
        WHEN 'data_breach' THEN 'data_leak'
        ELSE (ARRAY['disinformation','other','other'])[1 + r.pick % 3] END),
    CASE WHEN r.case_type = 'crime_report' AND (ARRAY[1,2,3,4,7,8,10])::int[] @> ARRAY[1 + r.pick % 11]
         THEN (SELECT fraud_sub[(ARRAY[2,1,3,4,0,0,6,7,0,2,0])[1 + r.pick % 11]] FROM cats) END,
    (CASE r.case_type
        WHEN 'crime_report' THEN (ARRAY['Lừa đảo đầu tư tiền ảo qua Telegram','Giả danh công an yêu cầu chuyển tiền','Việc làm online, nhiệm vụ cộng tác viên','Mua hàng online không nhận được hàng','Chiếm đoạt tài khoản Facebook, nhắn tin vay tiền','Website giả mạo ngân hàng lấy mã OTP','Giả mạo người thân bằng deepfake','Lừa "lấy lại tiền bị lừa"','Đánh bạc trực tuyến qua ứng dụng','Online investment scam via Zalo group','Phishing SMS impersonating a bank'])[1 + r.pick % 11]
        WHEN 'security_incident' THEN (ARRAY['Mã độc mã hóa dữ liệu máy chủ','Tấn công từ chối dịch vụ cổng thông tin','Thay đổi giao diện trang web trường học','Xâm nhập trái phép hệ thống thư điện tử','Ransomware on the hospital file server'])[1 + r.pick % 5]
        WHEN 'data_breach' THEN (ARRAY['Lộ lọt dữ liệu khách hàng','Rao bán dữ liệu cá nhân trên diễn đàn','Customer database exposed online'])[1 + r.pick % 3]
        ELSE (ARRAY['Tin giả, vu khống trên mạng xã hội','Phản ánh trang web có nội dung xấu độc','Kiến nghị về tin nhắn rác'])[1 + r.pick % 3] END)
        || ' - ' || (ARRAY['Đà Nẵng','Hội An','Tam Kỳ','Hà Nội','TP. Hồ Chí Minh','Huế','Quảng Ngãi','Hải Châu','Sơn Trà','Liên Chiểu'])[1 + (r.pick / 16) % 10],
    'Bị hại ' || (ARRAY['Nguyễn Văn','Trần Thị','Lê Văn','Phạm Thị','Hoàng Minh','Võ Thị'])[1 + r.pick % 6] || ' ' || (ARRAY['An','Bình','Cường','Dung','Giang','Hạnh','Khánh','Linh'])[1 + (r.pick / 6) % 8]
        || ' trình báo bị đối tượng liên hệ qua ' || (ARRAY['Zalo','Facebook','Telegram','điện thoại','tin nhắn SMS','TikTok'])[1 + (r.pick / 48) % 6]
        || coalesce(' (số ' || r.suspect_phone || ')', '')
        || ', yêu cầu chuyển tiền vào tài khoản ' || r.acct || ' tại ' || (ARRAY['Vietcombank','Techcombank','MBBank','BIDV','VPBank','ACB','Sacombank'])[1 + (r.acct::bigint % 7)::int]
        || '. Đã chuyển nhiều lần trước khi phát hiện bị lừa đảo.',
    (ARRAY['phone','in_person','online_portal','email','post','vneid','transfer'])[1 + (r.pick / 7) % 7],
    (ARRAY['low','medium','medium','high','high','critical'])[1 + (r.pick / 3) % 6],
    (ARRAY['AMBER','AMBER','GREEN','AMBER+STRICT','CLEAR','RED'])[1 + (r.pick / 11) % 6],
    (r.pick % 23 = 0),
    r.status,
    CASE WHEN r.status IN ('new','triaged') THEN NULL ELSE (SELECT ids[1 + r.pick % array_length(ids, 1)] FROM staff) END,
    (SELECT teams[1 + r.pick % array_length(teams, 1)] FROM staff),
    r.received_at,
    r.received_at - (r.r3 * interval '10 days'),
    $4,
    CASE WHEN r.pick % 17 = 0 THEN 'anonymous' WHEN r.case_type = 'security_incident' THEN 'organisation' ELSE 'individual' END,
    CASE WHEN r.pick % 17 = 0 THEN NULL ELSE (ARRAY['Nguyễn Văn','Trần Thị','Lê Văn','Phạm Thị','Hoàng Minh','Võ Thị'])[1 + r.pick % 6] || ' ' || (ARRAY['An','Bình','Cường','Dung','Giang','Hạnh','Khánh','Linh'])[1 + (r.pick / 6) % 8] END,
    '09' || lpad(((r.pick::bigint * 104729) % 100000000)::text, 8, '0'),
    TRUE,
    CASE WHEN r.case_type = 'crime_report' THEN ((r.r2 * r.r2 * 500000000)::bigint / 1000) * 1000 ELSE 0 END,
    CASE WHEN r.status IN ('resolved','closed') THEN (ARRAY['prosecuted','not_prosecuted','administrative_fine','remediated','no_violation'])[1 + r.pick % 5] END,
    CASE WHEN r.status IN ('resolved','closed') THEN 'Đã xác minh, giải quyết theo quy định.' END,
    CASE WHEN r.status = 'transferred' THEN 'Công an tỉnh Quảng Ngãi' END,
    CASE WHEN r.status IN ('resolved','closed','transferred','merged') OR r.case_type = 'feedback' THEN NULL
         ELSE date_trunc('day', r.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh') AT TIME ZONE 'Asia/Ho_Chi_Minh' + interval '20 days 23 hours 59 minutes 59 seconds' END,
    CASE WHEN r.status IN ('resolved','closed','transferred','merged') OR r.case_type = 'feedback' THEN NULL ELSE 'decide' END,
    r.acct || ' 09' || lpad(((r.pick::bigint * 104729) % 100000000)::text, 8, '0') || coalesce(' ' || r.suspect_phone, ''),
    (SELECT id FROM sup), (SELECT id FROM sup),
    r.received_at, least(now(), r.received_at + (r.r3 * interval '20 days')), $5,
    -- Classified within about a day, assigned within four, decided within 26
    -- days: most crime reports in time, some after an extension, some late.
    CASE WHEN r.status <> 'new' THEN least(now(), r.received_at + (r.r2 * interval '30 hours')) END,
    CASE WHEN r.status NOT IN ('new','triaged') THEN least(now(), r.received_at + (r.r2 * interval '4 days')) END,
    CASE WHEN r.status IN ('resolved','closed','transferred','suspended') THEN least(now(), r.received_at + interval '4 days' + (r.r3 * interval '22 days')) END,
    CASE WHEN r.status IN ('resolved','closed','transferred','suspended') AND r.case_type = 'crime_report'
         THEN CASE WHEN r.r3 < 0.72 THEN 'in_time' WHEN r.pick % 3 > 0 THEN 'extended' ELSE 'late' END END
FROM ready r
"#;

const UPDATE_SEQUENCES: &str = r#"
INSERT INTO case_sequences (unit_id, case_type, year, last_seq)
SELECT unit_id, case_type, ref_year, max(ref_seq) FROM cases WHERE id > $1 GROUP BY unit_id, case_type, ref_year
ON CONFLICT (unit_id, case_type, year) DO UPDATE SET last_seq = GREATEST(case_sequences.last_seq, EXCLUDED.last_seq)
"#;

/// Timeline, money rows and clocks for the cases with id > $1.
const INSERT_DETAILS: &[&str] = &[
    r#"INSERT INTO case_events (case_id, at, actor_id, kind, data)
       SELECT id, received_at, created_by, 'created', jsonb_build_object('channel', channel) FROM cases WHERE id > $1"#,
    r#"INSERT INTO case_events (case_id, at, actor_id, kind, old_value, new_value)
       SELECT id, classified_at, created_by, 'status', 'new', status FROM cases WHERE id > $1 AND status <> 'new'"#,
    r#"INSERT INTO case_events (case_id, at, actor_id, kind, body)
       SELECT id, received_at + interval '1 day', coalesce(assignee_id, created_by), 'note',
              (ARRAY['Đã liên hệ bị hại, hẹn làm việc.','Đã gửi văn bản đề nghị ngân hàng phong tỏa tài khoản.','Đã xác minh số điện thoại của đối tượng.','Chờ kết quả trả lời của nhà mạng.','Called the victim; statement scheduled.'])[1 + (id % 5)::int]
       FROM cases WHERE id > $1 AND id % 3 <> 0"#,
    r#"INSERT INTO case_transactions (case_id, position, occurred_at, amount, method, to_bank, to_account, to_holder)
       SELECT c.id, p, c.occurred_at + p * interval '1 hour', greatest(c.total_loss / 2, 1000), 'bank_transfer',
              (ARRAY['VCB','TCB','MB','BIDV','VPB','ACB','STB'])[1 + (split_part(c.search_extra, ' ', 1)::bigint % 7)::int], split_part(c.search_extra, ' ', 1), 'NGUYEN VAN X'
       FROM cases c CROSS JOIN generate_series(0, 1) p WHERE c.id > $1 AND c.total_loss > 0"#,
    // Identifiers as the case form links them: the receiving account
    // (suspect, with the amount sent), the reporter's phone (victim), and the
    // suspect phone an officer added.
    r#"INSERT INTO identifiers (kind, value)
       SELECT DISTINCT 'bank_account', t.to_bank || ':' || t.to_account FROM case_transactions t
       WHERE t.case_id > $1 AND t.position = 0 ON CONFLICT DO NOTHING"#,
    r#"INSERT INTO identifier_links (identifier_id, case_id, role, source, reported_at, amount, reporter_key, from_form, unit_id)
       SELECT i.id, c.id, 'suspect', 'officer', c.received_at, c.total_loss, '+84' || substr(c.reporter_phone, 2), true, c.unit_id
       FROM cases c JOIN case_transactions t ON t.case_id = c.id AND t.position = 0
       JOIN identifiers i ON i.kind = 'bank_account' AND i.value = t.to_bank || ':' || t.to_account
       WHERE c.id > $1 ON CONFLICT DO NOTHING"#,
    r#"INSERT INTO identifiers (kind, value)
       SELECT DISTINCT 'phone', v FROM (
         SELECT '+84' || substr(reporter_phone, 2) AS v FROM cases WHERE id > $1 AND reporter_phone IS NOT NULL
         UNION SELECT '+84' || substr(split_part(search_extra, ' ', 3), 2) FROM cases WHERE id > $1 AND split_part(search_extra, ' ', 3) <> ''
       ) p ON CONFLICT DO NOTHING"#,
    r#"INSERT INTO identifier_links (identifier_id, case_id, role, source, reported_at, amount, reporter_key, from_form, unit_id)
       SELECT i.id, c.id, 'victim', 'officer', c.received_at, 0, i.value, true, c.unit_id
       FROM cases c JOIN identifiers i ON i.kind = 'phone' AND i.value = '+84' || substr(c.reporter_phone, 2)
       WHERE c.id > $1 ON CONFLICT DO NOTHING"#,
    r#"INSERT INTO identifier_links (identifier_id, case_id, role, source, reported_at, amount, reporter_key, from_form, unit_id)
       SELECT i.id, c.id, 'suspect', 'officer', c.received_at, 0, '+84' || substr(c.reporter_phone, 2), false, c.unit_id
       FROM cases c JOIN identifiers i ON i.kind = 'phone' AND i.value = '+84' || substr(split_part(c.search_extra, ' ', 3), 2)
       WHERE c.id > $1 AND split_part(c.search_extra, ' ', 3) <> '' ON CONFLICT DO NOTHING"#,
    r#"INSERT INTO case_deadlines (case_id, kind, starts_at, due_at, first_due_at)
       SELECT id, 'decide', received_at, deadline_at, deadline_at FROM cases WHERE id > $1 AND deadline_at IS NOT NULL"#,
];

/// Seeds `n` cases (and the staff they need), reporting progress as (done, total).
pub fn run(
    conn: &mut PgConnection,
    cfg: &Config,
    (n, units): (i64, usize),
    staff_password: Option<&str>,
    mut progress: impl FnMut(i64, i64, f64),
) -> Result<(), AppError> {
    let generated;
    let pw = match staff_password {
        Some(p) => p,
        None => {
            generated = password::generate();
            &generated
        }
    };
    if staff(conn, pw)? > 0 && staff_password.is_none() {
        eprintln!("seed staff: lanhdao0..3@seed.pa05.vn (supervisors), canbo4..39@seed.pa05.vn (officers), password {pw}");
    }
    // The first unit, and `units - 1` provincial police units (one per
    // province, `SEED-P01`…), the cases spread evenly over them.
    let mut unit_ids = vec![crate::models::unit::first_active(conn)?];
    for (i, (code, name_vi, name_en)) in crate::models::report_route::provinces(conn)?
        .into_iter()
        .take(units.saturating_sub(1))
        .enumerate()
    {
        let unit_code = format!("SEED-P{:02}", i + 1);
        let id = match crate::models::unit::find_by_code(conn, &unit_code)? {
            Some(u) => u.id,
            None => {
                let u = crate::models::unit::insert(
                    conn,
                    &crate::models::unit::NewUnit {
                        code: &unit_code,
                        kind: crate::models::unit::UnitKind::ProvincialPolice,
                        parent_id: None,
                        ref_prefix: &format!("P{:02}", i + 1),
                        time_zone: "Asia/Ho_Chi_Minh",
                        contact: "",
                    },
                )?;
                crate::models::unit::set_name(
                    conn,
                    u.id,
                    &crate::domain::unit::NameFrom {
                        valid_from: chrono::NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default(),
                        name_vi: format!(
                            "Công an {}",
                            name_vi
                                .replace("Thành phố ", "thành phố ")
                                .replace("Tỉnh ", "tỉnh ")
                        ),
                        name_en: format!("{name_en} Police ({code})"),
                    },
                )?;
                u.id
            }
        };
        unit_ids.push(id);
    }
    let started = Instant::now();
    let mut done = 0;
    let per_unit = (n + unit_ids.len() as i64 - 1) / unit_ids.len() as i64;
    for (k, unit_id) in unit_ids.iter().copied().enumerate() {
        let (prefix, unit_name) = crate::models::unit::on_record(
            conn,
            unit_id,
            chrono::Utc::now()
                .with_timezone(&cfg.time_zone)
                .date_naive(),
        )?;
        let target = (per_unit * (k as i64 + 1)).min(n);
        while done < target {
            let size = CHUNK.min(target - done);
            conn.transaction(|conn| -> Result<(), AppError> {
                #[derive(diesel::QueryableByName)]
                struct MaxId {
                    #[diesel(sql_type = BigInt)]
                    id: i64,
                }
                let before: Vec<MaxId> =
                    sql_query("SELECT coalesce(max(id), 0) AS id FROM cases").load(conn)?;
                let before = before.first().map(|m| m.id).unwrap_or(0);
                sql_query(INSERT_CASES)
                    .bind::<BigInt, _>(done + 1)
                    .bind::<BigInt, _>(done + size)
                    .bind::<diesel::sql_types::Text, _>(&prefix)
                    .bind::<diesel::sql_types::Text, _>(&unit_name)
                    .bind::<diesel::sql_types::Integer, _>(unit_id)
                    .execute(conn)?;
                sql_query(UPDATE_SEQUENCES)
                    .bind::<BigInt, _>(before)
                    .execute(conn)?;
                for stmt in INSERT_DETAILS {
                    sql_query(*stmt).bind::<BigInt, _>(before).execute(conn)?;
                }
                Ok(())
            })?;
            done += size;
            progress(done, n, started.elapsed().as_secs_f64());
        }
    }
    // Outside any transaction: the visibility map makes index-only scans work, and
    // a benchmark started right after seeding does not race autovacuum.
    for table in [
        "cases",
        "case_events",
        "case_transactions",
        "case_deadlines",
        "identifiers",
        "identifier_links",
    ] {
        sql_query(format!("VACUUM (ANALYZE) {table}")).execute(conn)?;
    }
    // The hot list shows the mule accounts on a fresh demo.
    crate::services::identifiers::refresh_hot_lists(conn, chrono::Duration::zero())?;
    Ok(())
}

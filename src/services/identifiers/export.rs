//! Exports of identifiers: CSV (safe to open in a spreadsheet) and STIX 2.1.

use chrono::{DateTime, Utc};

use crate::domain::ident::normalise::IdKind;
use crate::error::AppError;
use crate::models::hot_identifier::Hot;

use super::correlate::Correlated;

/// CSV of a case's identifiers (for a bank or operator request).
pub fn case_csv(rows: &[Correlated]) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| AppError::Internal(e.into());
    w.write_record([
        "kind",
        "value",
        "role",
        "source",
        "amount_vnd",
        "other_cases",
        "other_submissions",
    ])
    .map_err(io)?;
    for r in rows {
        w.write_record([
            r.kind.code(),
            &csv_safe(&r.value),
            &r.role,
            &r.source,
            &r.amount.to_string(),
            &r.other_cases.to_string(),
            &r.other_submissions.to_string(),
        ])
        .map_err(io)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(e.to_string().into()))
}

/// CSV of the hot list.
pub fn hot_csv(rows: &[Hot], tz: chrono_tz::Tz) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| AppError::Internal(e.into());
    w.write_record([
        "rank",
        "kind",
        "value",
        "reports",
        "total_loss_vnd",
        "last_seen",
    ])
    .map_err(io)?;
    for (i, r) in rows.iter().enumerate() {
        w.write_record([
            &(i + 1).to_string(),
            &r.kind,
            &csv_safe(&r.value),
            &r.reports.to_string(),
            &r.loss.to_string(),
            &r.last_seen
                .map(|t| t.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string())
                .unwrap_or_default(),
        ])
        .map_err(io)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(e.to_string().into()))
}

/// A value that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) is
/// prefixed with an apostrophe: exported values come from the public.
pub fn csv_safe(v: &str) -> String {
    let phone_like = v.starts_with('+') && v[1..].chars().all(|c| c.is_ascii_digit());
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) && !phone_like {
        format!("'{v}")
    } else {
        v.to_owned()
    }
}

/// A STIX 2.1 pattern for an infosec indicator, or None for other kinds.
pub fn stix_pattern(kind: IdKind, value: &str) -> Option<String> {
    let quote = |s: &str| s.replace('\\', "\\\\").replace('\'', "\\'");
    match kind {
        IdKind::Ip => {
            let obj = if value.contains(':') {
                "ipv6-addr"
            } else {
                "ipv4-addr"
            };
            Some(format!("[{obj}:value = '{}']", quote(value)))
        }
        IdKind::Domain => Some(format!("[domain-name:value = '{}']", quote(value))),
        IdKind::Url => Some(format!("[url:value = '{}']", quote(value))),
        IdKind::FileHash => {
            let (algo, hex) = value.split_once(':')?;
            let name = match algo {
                "md5" => "MD5",
                "sha1" => "SHA-1",
                "sha256" => "SHA-256",
                _ => return None,
            };
            Some(format!("[file:hashes.'{name}' = '{}']", quote(hex)))
        }
        _ => None,
    }
}

/// The case's infosec indicators (IP, domain, URL, file hash) as a STIX 2.1
/// bundle. Indicator ids are UUIDv5 of the pattern, so exporting again gives
/// the same ids and a receiving platform updates instead of duplicating.
pub fn stix_bundle(
    reference: &str,
    unit: &str,
    tlp_marking: &str,
    rows: &[Correlated],
    now: DateTime<Utc>,
) -> serde_json::Value {
    const NS: uuid::Uuid = uuid::Uuid::from_u128(0x6f2c_33a1_7b0e_4d8c_9b52_cd05_a5e2_11f7);
    let ts = now.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let identity_id = format!("identity--{}", uuid::Uuid::new_v5(&NS, unit.as_bytes()));
    let mut objects = vec![serde_json::json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": identity_id,
        "created": ts,
        "modified": ts,
        "name": unit,
        "identity_class": "organization",
    })];
    for r in rows {
        let Some(pattern) = stix_pattern(r.kind, &r.value) else {
            continue;
        };
        let mut ind = serde_json::json!({
            "type": "indicator",
            "spec_version": "2.1",
            "id": format!("indicator--{}", uuid::Uuid::new_v5(&NS, pattern.as_bytes())),
            "created": ts,
            "modified": ts,
            "created_by_ref": identity_id,
            "name": format!("{} {}", r.kind.code(), r.value),
            "pattern": pattern,
            "pattern_type": "stix",
            "valid_from": ts,
            "indicator_types": ["malicious-activity"],
            "external_references": [{ "source_name": "cyberdesk", "external_id": reference }],
        });
        ind["object_marking_refs"] = serde_json::json!([tlp_marking]);
        objects.push(ind);
    }
    serde_json::json!({
        "type": "bundle",
        "id": format!("bundle--{}", uuid::Uuid::new_v4()),
        "objects": objects,
    })
}

/// The STIX 2.1 TLP marking-definition id for a case's TLP (the standard's own ids).
pub fn stix_tlp(tlp: crate::models::case::Tlp) -> &'static str {
    use crate::models::case::Tlp;
    match tlp {
        Tlp::Clear => "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        Tlp::Green => "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        Tlp::Amber => "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        // STIX 2.1 predefines TLP 1.0 markings only: AMBER+STRICT goes out as
        // RED, the stricter of the two that exist.
        Tlp::Red | Tlp::AmberStrict => "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
    }
}

//! The usage figures in PostgreSQL: one row per counted thing (table `figures`,
//! migration 2), so that adding is an upsert that adds (`n = figures.n + EXCLUDED.n`).
//! Several workers flushing at once each add their own counts; none overwrites another's.
//!
//! A [`Counts`] is spread over rows by its JSON form: a number field (`started`,
//! `finished`) is one row with an empty `item`; a map field (`outcomes`, `abandoned`, ...)
//! is one row per entry. Reading puts the rows back together the same way, so a field a
//! later `Counts` gains needs no change here.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{describe, pool_read, pool_write, query_with, read, write, Access, PgStore};
use crate::figures::{Counts, Key};
use crate::session::StoreError;

/// One row: field, item, count.
type Row = (String, String, i64);

/// The rows of `counts` (zeros left out: adding them changes nothing).
fn rows_of(counts: &Counts) -> Vec<Row> {
    serde_json::to_value(counts)
        .ok()
        .and_then(|v| rows_of_value(&v))
        .unwrap_or_default()
}

/// The rows of a figure's JSON form, sorted; `None` unless every field is a count or a
/// map of counts.
fn rows_of_value(value: &Value) -> Option<Vec<Row>> {
    let mut rows = Vec::new();
    for (field, value) in value.as_object()? {
        match value {
            Value::Object(items) => {
                for (item, n) in items {
                    rows.push((field.clone(), item.clone(), n.as_i64()?));
                }
            }
            n => rows.push((field.clone(), String::new(), n.as_i64()?)),
        }
    }
    rows.retain(|r| r.2 != 0);
    rows.sort();
    Some(rows)
}

/// A figure as an export holds it (sled's JSON), refused unless this build keeps every
/// count in it: an import into PostgreSQL must not drop a field it does not know.
pub(super) fn figure_from_export(value: &[u8]) -> Result<Counts, String> {
    let raw: Value = serde_json::from_slice(value).map_err(|e| e.to_string())?;
    let counts: Counts = serde_json::from_value(raw.clone()).map_err(|e| e.to_string())?;
    if rows_of_value(&raw) == Some(rows_of(&counts)) {
        Ok(counts)
    } else {
        Err(format!(
            "it holds what this build does not count ({raw}); import it with the build that \
             exported it, or a newer one"
        ))
    }
}

/// [`rows_of`] read back.
fn counts_of(rows: &[Row]) -> Result<Counts, StoreError> {
    let mut fields = serde_json::Map::new();
    for (field, item, n) in rows {
        if item.is_empty() {
            fields.insert(field.clone(), (*n).into());
        } else if let Value::Object(items) = fields
            .entry(field.clone())
            .or_insert_with(|| Value::Object(serde_json::Map::new()))
        {
            items.insert(item.clone(), (*n).into());
        }
    }
    serde_json::from_value(Value::Object(fields))
        .map_err(|e| read(format!("usage figures that cannot be read: {e}")))
}

impl PgStore {
    /// Adds `figures` to the stored ones, all in one statement (one transaction: all or
    /// nothing), rows in key order so that concurrent flushes lock them in one order.
    pub async fn add_figures(&self, figures: &[(Key, Counts)]) -> Result<(), StoreError> {
        let rows: Vec<(String, &Counts)> = figures.iter().map(|(k, c)| (k.encode(), c)).collect();
        self.add_figure_rows(&rows).await
    }

    /// [`PgStore::add_figures`] under keys as stored (an import writes them as it finds them).
    pub(crate) async fn add_figure_rows(
        &self,
        figures: &[(String, &Counts)],
    ) -> Result<(), StoreError> {
        let client = self.pool.get().await.map_err(pool_write)?;
        add_figure_rows_with(&client, figures).await
    }

    /// Every stored figure, under its key as stored, in key order.
    pub async fn figures(&self) -> Result<Vec<(String, Counts)>, StoreError> {
        let client = self.pool.get().await.map_err(pool_read)?;
        figures_with(&client).await
    }
}

/// Every stored figure, read through `client` (a transaction, for an export).
pub(super) async fn figures_with(
    client: &impl deadpool_postgres::GenericClient,
) -> Result<Vec<(String, Counts)>, StoreError> {
    let rows = query_with(
        client,
        Access::Read,
        "SELECT key, field, item, n FROM figures ORDER BY key, field, item",
        &[],
    )
    .await?;
    let mut out: Vec<(String, Counts)> = Vec::new();
    let mut key: Option<String> = None;
    let mut group = Vec::new();
    for row in rows {
        let k: String = row.get(0);
        if key.as_ref().is_some_and(|current| *current != k) {
            out.push((key.take().unwrap_or_default(), counts_of(&group)?));
            group.clear();
        }
        key = Some(k);
        group.push((row.get(1), row.get(2), row.get(3)));
    }
    if let Some(k) = key {
        out.push((k, counts_of(&group)?));
    }
    Ok(out)
}

/// Adds `figures` (under keys as stored) through `client`, in one statement.
pub(super) async fn add_figure_rows_with(
    client: &impl deadpool_postgres::GenericClient,
    figures: &[(String, &Counts)],
) -> Result<(), StoreError> {
    let mut all: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    for (key, counts) in figures {
        for (field, item, n) in rows_of(counts) {
            *all.entry((key.clone(), field, item)).or_default() += n;
        }
    }
    if all.is_empty() {
        return Ok(());
    }
    let (mut keys, mut fields, mut items, mut ns) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ((key, field, item), n) in all {
        keys.push(key);
        fields.push(field);
        items.push(item);
        ns.push(n);
    }
    client
        .execute(
            "INSERT INTO figures (key, field, item, n) \
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) \
             ON CONFLICT (key, field, item) DO UPDATE SET n = figures.n + EXCLUDED.n",
            &[&keys, &fields, &items, &ns],
        )
        .await
        .map_err(|e| write(describe(&e)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_spread_over_rows_and_come_back_whole() {
        let c = crate::figures::sample();
        let rows = rows_of(&c);
        assert!(
            rows.contains(&("started".into(), String::new(), 3)),
            "{rows:?}"
        );
        assert!(
            rows.contains(&("outcomes".into(), "good".into(), 1)),
            "{rows:?}"
        );
        assert_eq!(counts_of(&rows).unwrap(), c);
        assert!(rows_of(&Counts::default()).is_empty(), "zeros add nothing");
        assert_eq!(counts_of(&[]).unwrap(), Counts::default());
    }

    #[test]
    fn a_figure_with_counts_this_build_does_not_keep_is_refused() {
        let known = br#"{"finished":2,"outcomes":{"o":2},"abandoned":{}}"#;
        assert_eq!(figure_from_export(known).unwrap().outcomes["o"], 2);
        for unknown in [
            &br#"{"started":3,"gave_up_at":{"q":1}}"#[..],
            br#"{"started":"3"}"#,
            br#"7"#,
        ] {
            assert!(
                figure_from_export(unknown).is_err(),
                "{}",
                String::from_utf8_lossy(unknown)
            );
        }
    }
}

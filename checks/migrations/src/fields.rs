//! Column types followed through each Django app's migrations.
//!
//! A Django `AlterField` restates the whole field, whatever changed: its
//! choices, help text, validators, default, or its type. Only the history
//! tells which: the field as the app's earlier migrations (`CreateModel`,
//! `AddField`, `AlterField`) left it. An `AlterField` that keeps the
//! column's storage (the same class, a `varchar` made longer or made
//! `text`) is not a type change; one whose earlier definition is unknown
//! still counts as one.

use std::collections::HashMap;

use shipready_schema::Op;
use shipready_schema::frameworks::FieldDef;

use crate::detect::{Migration, System};

/// Turn the `AlterField`s that keep the column's storage into no-ops.
/// `migrations` are in each app's order (as [`crate::detect::migrations`]
/// returns them).
pub fn settle_type_changes(migrations: &mut [Migration]) {
    let mut state: HashMap<(String, String, String), FieldDef> = HashMap::new();
    for m in migrations.iter_mut().filter(|m| m.system == System::Django) {
        for def in &m.fields {
            let key = (m.dir.clone(), def.table.clone(), def.column.clone());
            if def.altered
                && let Some(before) = state.get(&key)
                && !def.changes_storage_of(before)
            {
                for located in m.up.iter_mut().filter(|l| l.line == def.line) {
                    if matches!(&located.op, Op::ChangeType { table, column } if *table == def.table && *column == def.column)
                    {
                        located.op = Op::Other;
                    }
                }
            }
            state.insert(key, def.clone());
        }
    }
}

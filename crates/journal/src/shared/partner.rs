//! Partners' display names, keyed by partner id.

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, Value};

use super::{PARTNERS, SharedJournal};
use crate::entries::Partner;
use crate::error::Result;
use crate::fields::{Fields, entry_objects};
use crate::ids::PartnerId;
use crate::validate::require_text;

impl SharedJournal {
    /// Sets the name the other partner sees for me.
    pub fn set_partner_name(&mut self, me: &PartnerId, name: &str, now: i64) -> Result<()> {
        let name = require_text("name", name)?.trim();
        self.doc.transact(now, |am, roots| {
            let partners = &roots[PARTNERS];
            let obj = match am.get(partners, me.as_str())? {
                Some((Value::Object(ObjType::Map), obj)) => obj,
                _ => am.put_object(partners, me.as_str(), ObjType::Map)?,
            };
            am.put(&obj, "name", name)?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })
    }

    /// Everyone who has set a name, by partner id.
    pub fn partners(&self) -> Vec<Partner> {
        let am = self.doc.am();
        let mut out: Vec<Partner> = entry_objects(am, self.doc.root(PARTNERS))
            .into_iter()
            .filter_map(|(key, obj)| {
                let id = PartnerId::parse(&key).ok()?;
                let f = Fields::named(am, obj, "partner", &key);
                Some(Partner {
                    name: f.str("name").ok()?,
                    updated: f.int("updated").ok()?,
                    id,
                })
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    pub fn partner_name(&self, id: &PartnerId) -> Option<String> {
        let am = self.doc.am();
        match am.get(self.doc.root(PARTNERS), id.as_str()) {
            Ok(Some((Value::Object(ObjType::Map), obj))) => {
                Fields::named(am, obj, "partner", id.as_str())
                    .str("name")
                    .ok()
            }
            _ => None,
        }
    }
}

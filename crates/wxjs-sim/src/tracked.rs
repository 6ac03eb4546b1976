//! [`Records`]: a map of the simulator's state that remembers which keys changed since it was
//! last persisted, so that a platform call writes the records it touched — not the whole state.
//! Reads go through `Deref`; every way to change a record marks its key.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A map of records by key, with the keys changed since [`Records::take_changed`].
#[derive(Debug, Clone)]
pub struct Records<V> {
    map: BTreeMap<String, V>,
    changed: BTreeSet<String>,
}

impl<V> Default for Records<V> {
    fn default() -> Self {
        Self {
            map: BTreeMap::new(),
            changed: BTreeSet::new(),
        }
    }
}

impl<V> Deref for Records<V> {
    type Target = BTreeMap<String, V>;

    fn deref(&self) -> &Self::Target {
        &self.map
    }
}

impl<V> Records<V> {
    /// Inserts or replaces a record.
    pub fn insert(&mut self, key: String, value: V) -> Option<V> {
        self.changed.insert(key.clone());
        self.map.insert(key, value)
    }

    /// Removes a record.
    pub fn remove(&mut self, key: &str) -> Option<V> {
        let old = self.map.remove(key);
        if old.is_some() {
            self.changed.insert(key.to_owned());
        }
        old
    }

    /// A record to change.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        let v = self.map.get_mut(key)?;
        self.changed.insert(key.to_owned());
        Some(v)
    }

    /// A record to change, made with `V::default()` when absent.
    pub fn entry_or_default(&mut self, key: &str) -> &mut V
    where
        V: Default,
    {
        self.changed.insert(key.to_owned());
        self.map.entry(key.to_owned()).or_default()
    }

    /// Keeps the records `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &V) -> bool) {
        let changed = &mut self.changed;
        self.map.retain(|k, v| {
            let kept = keep(k, v);
            if !kept {
                changed.insert(k.clone());
            }
            kept
        });
    }

    /// Removes every record.
    pub fn clear(&mut self) {
        self.changed.extend(self.map.keys().cloned());
        self.map.clear();
    }

    /// Every record to change.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.changed.extend(self.map.keys().cloned());
        self.map.values_mut()
    }

    /// The changed keys with their records (`None`: removed), forgetting the changes.
    pub fn take_changed(&mut self) -> Vec<(String, Option<&V>)> {
        let keys = std::mem::take(&mut self.changed);
        keys.into_iter()
            .map(|k| {
                let v = self.map.get(&k);
                (k, v)
            })
            .collect()
    }

    /// Marks a key changed again (its write failed).
    pub fn mark(&mut self, key: &str) {
        self.changed.insert(key.to_owned());
    }

    /// Forgets the changes (after loading).
    pub fn settle(&mut self) {
        self.changed.clear();
    }
}

impl<V: Serialize> Serialize for Records<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.map.serialize(s)
    }
}

impl<'de, V: DeserializeOwned> Deserialize<'de> for Records<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self {
            map: BTreeMap::deserialize(d)?,
            changed: BTreeSet::new(),
        })
    }
}

impl<V> FromIterator<(String, V)> for Records<V> {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(iter: I) -> Self {
        Self {
            map: iter.into_iter().collect(),
            changed: BTreeSet::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Records;

    #[test]
    fn every_change_marks_its_key_once() {
        let mut r: Records<u32> = Records::default();
        r.insert("a".into(), 1);
        r.insert("b".into(), 2);
        *r.entry_or_default("c") += 3;
        let changed: Vec<_> = r
            .take_changed()
            .into_iter()
            .map(|(k, v)| (k, v.copied()))
            .collect();
        assert_eq!(
            changed,
            [
                ("a".into(), Some(1)),
                ("b".into(), Some(2)),
                ("c".into(), Some(3))
            ]
        );
        assert!(r.take_changed().is_empty());
        r.retain(|k, _| k != "a");
        if let Some(v) = r.get_mut("b") {
            *v = 20;
        }
        assert!(r.remove("zz").is_none());
        let changed: Vec<_> = r
            .take_changed()
            .into_iter()
            .map(|(k, v)| (k, v.copied()))
            .collect();
        assert_eq!(changed, [("a".into(), None), ("b".into(), Some(20))]);
        assert_eq!(r.len(), 2);
    }
}

//! Stable maps between original identifier strings and dense `u32` indices.
//!
//! Models work on dense indices; people, files and exports speak in the original ids
//! (`17850`, `85123A`). An [`IdMap`] assigns indices in first-seen order, so the same
//! input always gives the same indices.

use rustc_hash::FxHashMap;

/// A bijection between id strings and `0..len` indices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdMap {
    names: Vec<String>,
    /// Names of at most [`SHORT`] bytes (customer ids, product codes, invoice numbers),
    /// packed with their length into one integer: a lookup compares inside the table
    /// instead of following a pointer to the text, which is what loading a large file
    /// spends its time on (one lookup per id per line).
    short: FxHashMap<u128, u32>,
    /// Longer names (descriptions).
    long: FxHashMap<String, u32>,
}

/// The longest name kept in [`IdMap::short`]: 15 bytes and a length byte.
const SHORT: usize = 15;

fn pack(name: &str) -> Option<u128> {
    let bytes = name.as_bytes();
    if bytes.len() > SHORT {
        return None;
    }
    let mut packed = [0u8; 16];
    packed[..bytes.len()].copy_from_slice(bytes);
    packed[SHORT] = bytes.len() as u8;
    Some(u128::from_le_bytes(packed))
}

impl IdMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a map from names in index order; a repeated name keeps its first index.
    pub fn from_names<I: IntoIterator<Item = S>, S: Into<String>>(names: I) -> Self {
        let mut map = Self::new();
        for name in names {
            map.intern(&name.into());
        }
        map
    }

    /// The index of `name`, adding it when new.
    pub fn intern(&mut self, name: &str) -> u32 {
        let next = self.names.len();
        let i = match pack(name) {
            Some(key) => *self
                .short
                .entry(key)
                .or_insert_with(|| u32::try_from(next).expect("fewer than 2^32 distinct ids")),
            None => {
                if let Some(&i) = self.long.get(name) {
                    return i;
                }
                let i = u32::try_from(next).expect("fewer than 2^32 distinct ids");
                self.long.insert(name.to_owned(), i);
                i
            }
        };
        if i as usize == next {
            self.names.push(name.to_owned());
        }
        i
    }

    /// The index of `name`, if known.
    pub fn get(&self, name: &str) -> Option<u32> {
        match pack(name) {
            Some(key) => self.short.get(&key).copied(),
            None => self.long.get(name).copied(),
        }
    }

    /// The original id of index `i`.
    pub fn name(&self, i: u32) -> &str {
        &self.names[i as usize]
    }

    /// All ids in index order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when the map holds no id.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Keeps only the indices where `keep` is true and renumbers them densely in order;
    /// returns the old → new index table (`u32::MAX` for dropped ids).
    pub fn retain(&mut self, keep: &[bool]) -> Vec<u32> {
        let mut remap = vec![u32::MAX; self.names.len()];
        let old = std::mem::take(&mut self.names);
        self.short.clear();
        self.long.clear();
        for (i, name) in old.into_iter().enumerate() {
            if keep.get(i).copied().unwrap_or(false) {
                remap[i] = self.names.len() as u32;
                match pack(&name) {
                    Some(key) => {
                        self.short.insert(key, remap[i]);
                    }
                    None => {
                        self.long.insert(name.clone(), remap[i]);
                    }
                }
                self.names.push(name);
            }
        }
        remap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_seen_order_and_round_trip() {
        let mut m = IdMap::new();
        assert_eq!(m.intern("17850"), 0);
        assert_eq!(m.intern("85123A"), 1);
        assert_eq!(m.intern("17850"), 0);
        assert_eq!(m.name(1), "85123A");
        assert_eq!(m.get("nope"), None);
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn short_and_long_names_are_told_apart_by_every_byte() {
        let mut m = IdMap::new();
        let long = "WHITE HANGING HEART T-LIGHT HOLDER";
        let names = [
            "",
            "a",
            "a\0",
            "123456789012345",
            "1234567890123456",
            long,
            "ÉTÉ",
        ];
        for (i, name) in names.iter().enumerate() {
            assert_eq!(m.intern(name), i as u32, "{name:?}");
        }
        for (i, name) in names.iter().enumerate() {
            assert_eq!(m.intern(name), i as u32, "{name:?}");
            assert_eq!(m.get(name), Some(i as u32), "{name:?}");
            assert_eq!(m.name(i as u32), *name);
        }
        assert_eq!(m.get("123456789012346"), None);
        let remap = m.retain(&[false, true, true, false, true, true, false]);
        assert_eq!(remap[5], 3);
        assert_eq!(m.get(long), Some(3));
        assert_eq!(m.get("a\0"), Some(1));
        assert_eq!(m.get("123456789012345"), None);
    }

    #[test]
    fn retain_renumbers_densely() {
        let mut m = IdMap::from_names(["a", "b", "c"]);
        let remap = m.retain(&[true, false, true]);
        assert_eq!(remap, vec![0, u32::MAX, 1]);
        assert_eq!(m.names(), ["a", "c"]);
        assert_eq!(m.get("c"), Some(1));
    }
}

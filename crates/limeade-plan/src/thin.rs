//! [`ThinList`]: a list that costs one pointer where it is empty, for the lists of a kept tree
//! that are empty almost everywhere (a statement's imports, a function's decorators, defaults
//! and nested definitions). Trees are kept for every tracked module: 16 bytes less per such
//! list (against a `Vec`) is a tenth of a function's kept size.

use std::ops::{Deref, DerefMut};

use serde::{Serialize, Serializer};

/// An immutable-length list: empty without allocating, one pointer wide.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ThinList<T>(Option<Box<Box<[T]>>>);

impl<T> ThinList<T> {
    /// The empty list.
    pub const fn new() -> Self {
        ThinList(None)
    }

    /// Heap bytes the list's allocations take (not its items' own).
    pub(crate) fn allocated_bytes(&self) -> usize {
        self.0.as_ref().map_or(0, |items| {
            std::mem::size_of::<Box<[T]>>() + std::mem::size_of_val::<[T]>(items)
        })
    }
}

impl<T> From<Vec<T>> for ThinList<T> {
    fn from(items: Vec<T>) -> Self {
        if items.is_empty() {
            ThinList(None)
        } else {
            ThinList(Some(Box::new(items.into_boxed_slice())))
        }
    }
}

impl<T> FromIterator<T> for ThinList<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        ThinList::from(iter.into_iter().collect::<Vec<T>>())
    }
}

impl<T> Deref for ThinList<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        self.0.as_deref().map_or(&[], |items| items)
    }
}

impl<T> DerefMut for ThinList<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.0.as_deref_mut().map_or(&mut [], |items| items)
    }
}

impl<'a, T> IntoIterator for &'a ThinList<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, T> IntoIterator for &'a mut ThinList<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for ThinList<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Serialize> Serialize for ThinList<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_takes_one_pointer_and_no_allocation() {
        assert_eq!(
            std::mem::size_of::<ThinList<String>>(),
            std::mem::size_of::<usize>()
        );
        let empty: ThinList<String> = Vec::new().into();
        assert!(empty.is_empty());
        assert_eq!(empty.allocated_bytes(), 0);
        assert_eq!(empty, ThinList::new());
    }

    #[test]
    fn holds_its_items_in_order() {
        let mut list: ThinList<u32> = (1..=3).collect();
        assert_eq!(&*list, &[1, 2, 3]);
        for item in &mut list {
            *item *= 10;
        }
        assert_eq!(list.iter().copied().collect::<Vec<_>>(), vec![10, 20, 30]);
        assert_eq!(format!("{list:?}"), "[10, 20, 30]");
        assert_eq!(
            list.allocated_bytes(),
            std::mem::size_of::<Box<[u32]>>() + 3 * 4
        );
    }
}

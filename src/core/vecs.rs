//! Order-keeping removal and insertion at an index for short vectors, without the panics of
//! `Vec::remove` and `Vec::insert` (and their messages in the bundle): an index out of range
//! removes nothing, or appends.
//!
//! The elements between the index and the end move one swap at a time, where `Vec`'s own
//! functions move them in one `memmove`: the long run table keeps `Vec::remove`. Not
//! `slice::rotate_left`/`rotate_right` either: their general algorithm, instantiated per element
//! type, weighs 3.8 KB of wasm here (measured with the shipped build), for vectors of a few
//! elements.

use alloc::vec::Vec;
use core::mem::swap;

/// Removes and returns the element at `index`, shifting the later ones down one place, as
/// `Vec::remove` does; `None` (and `items` unchanged) if `index` is out of range.
pub(crate) fn take_at<T>(items: &mut Vec<T>, index: usize) -> Option<T> {
    let (taken, later) = items.get_mut(index..)?.split_first_mut()?;
    // Walking back from the end, each swap moves the taken element one place towards the end
    // and the one it passes one place towards the front.
    for item in later.iter_mut().rev() {
        swap(taken, item);
    }
    items.pop()
}

/// Inserts `item` at `index`, shifting the elements from there up one place, as `Vec::insert`
/// does; past the end it is appended.
pub(crate) fn put_at<T>(items: &mut Vec<T>, index: usize, item: T) {
    items.push(item);
    if let Some((put, earlier)) = items.get_mut(index..).and_then(<[T]>::split_last_mut) {
        // Each swap parks the next element in the last place, so the run from `index` ends up
        // rotated by one: the new element at `index`, the others after it in their order.
        for item in earlier {
            swap(item, put);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn take_at_matches_vec_remove() {
        for len in 0..6 {
            for index in 0..len + 2 {
                let mut ours: Vec<usize> = (0..len).collect();
                let taken = take_at(&mut ours, index);
                let mut std: Vec<usize> = (0..len).collect();
                let expected = (index < len).then(|| std.remove(index));
                assert_eq!((taken, ours), (expected, std), "len {len}, index {index}");
            }
        }
    }

    #[test]
    fn put_at_matches_vec_insert() {
        for len in 0..6 {
            for index in 0..=len {
                let mut ours: Vec<usize> = (0..len).collect();
                put_at(&mut ours, index, 99);
                let mut std: Vec<usize> = (0..len).collect();
                std.insert(index, 99);
                assert_eq!(ours, std, "len {len}, index {index}");
            }
        }
        let mut past_end = vec![1, 2];
        put_at(&mut past_end, 5, 3);
        assert_eq!(past_end, [1, 2, 3]);
    }
}

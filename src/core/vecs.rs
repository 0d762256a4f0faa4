//! Order-keeping removal and insertion at an index that cannot panic, unlike `Vec::remove`
//! and `Vec::insert`: an index out of range removes nothing, or appends.

use alloc::vec::Vec;

/// Removes and returns the element at `index`, shifting the later ones down one place, as
/// `Vec::remove` does; `None` (and `items` unchanged) if `index` is out of range.
pub(crate) fn take_at<T>(items: &mut Vec<T>, index: usize) -> Option<T> {
    let tail = items.get_mut(index..).filter(|tail| !tail.is_empty())?;
    tail.rotate_left(1);
    items.pop()
}

/// Inserts `item` at `index`, shifting the elements from there up one place, as `Vec::insert`
/// does; past the end it is appended.
pub(crate) fn put_at<T>(items: &mut Vec<T>, index: usize, item: T) {
    items.push(item);
    if let Some(tail) = items.get_mut(index..) {
        tail.rotate_right(1);
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

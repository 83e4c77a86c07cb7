// What nbdime's string comparisons allow from lengths alone (code points), shared by the cell
// pre-filters (prefilter.ts) and the output comparisons (compare.ts): one place for its thresholds.
import { calculateRatio } from './difflib.js'

/**
 * Whether `compare_strings_approximate(x, y, threshold)` (nbdime/diffing/generic.py) can hold for
 * strings of `la` and `lb` code points. It returns False when exactly one is empty, and when
 * `real_quick_ratio()` — `_calculate_ratio(min(la, lb), la + lb)`, difflib — is below the
 * threshold: the same expression here. Equal strings pass (ratio 1.0).
 */
export function lengthsMaySimilar(la: number, lb: number, threshold: number): boolean {
  if (la > 0 !== lb > 0) return false
  return !(calculateRatio(Math.min(la, lb), la + lb) < threshold)
}

/**
 * `compare_text_approximate(x, y)` can hold: both shorter than 10 (then it is True without a
 * comparison), or `compare_strings_approximate(x, y, 0.7)` can.
 */
export function textApproximateMayHold(la: number, lb: number): boolean {
  if (la > 0 !== lb > 0) return false
  if (la < 10 && lb < 10) return true
  return lengthsMaySimilar(la, lb, 0.7)
}

/** `compare_text_strict(x, y)` can hold: equal (so equal lengths), or `compare_strings_approximate(x, y, 0.95)` can. */
export function textStrictMayHold(la: number, lb: number): boolean {
  return la === lb || lengthsMaySimilar(la, lb, 0.95)
}

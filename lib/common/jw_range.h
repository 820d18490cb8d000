/* One item of a comma list of numbers and ranges ("2", "2-5"), as the [cores] tx key and
 * the EAL --lcores syntax write them. DPDK-free. */
#ifndef JW_RANGE_H
#define JW_RANGE_H

/* Reads a decimal N or a range N-M at *pp into *lo and *hi (hi = lo for a single N) and
 * advances *pp past it. Accepts only digits and one '-' (no sign, no blanks); does not check
 * lo <= hi or any bound, which the caller words in its own terms.
 * Returns 0; -EINVAL when *pp does not start with a digit (*pp unchanged); -EDOM when '-' is
 * not followed by a digit (*pp then points after the '-'). Values past ULONG_MAX read as
 * ULONG_MAX, which every caller's bound rejects. */
int jw_range_item(const char **pp, unsigned long *lo, unsigned long *hi);

#endif /* JW_RANGE_H */

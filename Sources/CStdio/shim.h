#include <stdio.h>

/* Swift 6 cannot read C's global `stdout` (shared mutable state): set its buffering here. */
static inline void tg_line_buffer_stdout(void) { setvbuf(stdout, NULL, _IOLBF, 0); }

/*
 * clock: monotonic and wall-clock time in milliseconds and microseconds.
 * Expiry uses wall-clock milliseconds (as Redis does, so absolute expiry times
 * move between servers); intervals and timeouts use the monotonic clock.
 */
#ifndef RH_CORE_CLOCK_H
#define RH_CORE_CLOCK_H

#include <stdint.h>

int64_t clock_mono_us(void);
int64_t clock_mono_ms(void);
int64_t clock_wall_us(void);
int64_t clock_wall_ms(void);

#endif
